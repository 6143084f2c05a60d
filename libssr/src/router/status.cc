// SPDX-License-Identifier: Apache-2.0
// ssr::Status (ssr/status.h).
#include "absl/status/status.h"

#include <cstdio>
#include <cstdlib>

#include "ssr/status.h"

namespace ssr {
inline namespace v0 {

// The codes are abseil's (and gRPC's), number for number: conversions are a cast.
static_assert(static_cast<int>(StatusCode::kUnauthenticated) ==
              static_cast<int>(absl::StatusCode::kUnauthenticated));
static_assert(static_cast<int>(StatusCode::kDataLoss) ==
              static_cast<int>(absl::StatusCode::kDataLoss));
static_assert(static_cast<int>(StatusCode::kInvalidArgument) ==
              static_cast<int>(absl::StatusCode::kInvalidArgument));

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kUnknown:
      return "UNKNOWN";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN_CODE";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

namespace internal_result {

void DieOnError(const Status& status) {
  std::fprintf(stderr, "ssr::Result::value() on an error: %s\n", status.ToString().c_str());
  std::fflush(stderr);
  std::abort();
}

Status OkStatusAsError() {
  return Status(StatusCode::kInternal, "ssr::Result constructed from an OK Status");
}

}  // namespace internal_result
}  // namespace v0
}  // namespace ssr
