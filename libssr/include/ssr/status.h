// SPDX-License-Identifier: Apache-2.0
// ssr::Status and ssr::Result<T>: how every fallible call of the public API reports errors.
//
// A Status is a code (StatusCode, the same codes and numbers as gRPC / abseil) and a message; an
// OK Status has code kOk and an empty message. The messages name the field, interface or value at
// fault (a config load error lists every problem, one per line). Result<T> holds either a T or a
// non-OK Status:
//
//   ssr::Result<ssr::Config> r = ssr::Config::LoadFile(path);
//   if (!r.ok()) { std::cerr << r.status().message() << "\n"; return 1; }
//   ssr::Config config = std::move(r).value();   // or *r, r->RouterNames()
//
// value(), operator* and operator-> on a Result that holds an error print the status to stderr
// and abort the process (check ok() first). Both types are plain C++17 (no dependency beyond the
// standard library); copying a Status copies its message.
#ifndef SSR_STATUS_H_
#define SSR_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ssr/export.h"

namespace ssr {
inline namespace v0 {

/// Error code of a Status; the numbers and meanings are abseil's / gRPC's canonical codes.
enum class StatusCode {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "OK", "CANCELLED", "INVALID_ARGUMENT", ... ("UNKNOWN_CODE" for a value outside the enum).
SSR_EXPORT std::string_view StatusCodeName(StatusCode code);

/// The outcome of an API call: OK, or a code and a message naming the field or value at fault.
class SSR_EXPORT Status {
 public:
  // OK.
  Status() = default;
  // `code` kOk makes an OK Status (the message is then dropped).
  Status(StatusCode code, std::string message)
      : code_(code), message_(code == StatusCode::kOk ? std::string() : std::move(message)) {}

  /// true when the call succeeded.
  bool ok() const { return code_ == StatusCode::kOk; }
  /// The error code (kOk when ok()).
  StatusCode code() const { return code_; }
  /// The error message (empty when ok()).
  const std::string& message() const { return message_; }
  // "OK", or "<CODE NAME>: <message>", e.g. "NOT_FOUND: /etc/ssr/x.textproto: no such file".
  std::string ToString() const;

  /// Same code and message.
  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }
  /// Different code or message.
  friend bool operator!=(const Status& a, const Status& b) { return !(a == b); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

namespace internal_result {
// Prints "ssr::Result::value() on an error: <status>" to stderr and aborts.
[[noreturn]] SSR_EXPORT void DieOnError(const Status& status);
// The Status a Result constructed from an OK Status holds instead (kInternal).
SSR_EXPORT Status OkStatusAsError();
}  // namespace internal_result

/// A value of type T, or the Status saying why there is none (like std::expected).
template <typename T>
class Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "Result<Status> is not supported");

 public:
  // A value.
  Result(const T& value) : value_(value) {}        // NOLINT(google-explicit-constructor)
  Result(T&& value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // Anything T can be built from implicitly (e.g. std::unique_ptr<Derived> for
  // Result<std::unique_ptr<Base>>).
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : value_(std::forward<U>(value)) {}  // NOLINT(google-explicit-constructor)
  // An error. An OK `error` is a programming error: the Result then holds kInternal.
  Result(Status error)  // NOLINT(google-explicit-constructor)
      : status_(error.ok() ? internal_result::OkStatusAsError() : std::move(error)) {}

  /// true when a value is held.
  bool ok() const { return value_.has_value(); }
  // OK when a value is held, otherwise the error.
  const Status& status() const { return status_; }

  // The value; on an error: prints the status to stderr and aborts.
  T& value() & {
    Check();
    return *value_;
  }
  /// The value (const); aborts on an error like value().
  const T& value() const& {
    Check();
    return *value_;
  }
  /// The value, moved out of a temporary Result; aborts on an error like value().
  T&& value() && {
    Check();
    return std::move(*value_);
  }
  /// value().
  T& operator*() & { return value(); }
  /// value().
  const T& operator*() const& { return value(); }
  /// value(), moved out.
  T&& operator*() && { return std::move(*this).value(); }
  /// &value().
  T* operator->() { return &value(); }
  /// &value().
  const T* operator->() const { return &value(); }

  // The value, or `fallback` on an error.
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  /// The value moved out, or `fallback` on an error.
  template <typename U>
  T value_or(U&& fallback) && {
    return ok() ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void Check() const {
    if (!value_.has_value()) internal_result::DieOnError(status_);
  }

  Status status_;  // OK when value_ is set
  std::optional<T> value_;
};

}  // namespace v0
}  // namespace ssr

#endif  // SSR_STATUS_H_
