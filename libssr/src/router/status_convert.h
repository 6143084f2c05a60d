// SPDX-License-Identifier: Apache-2.0
// Conversions between the public ssr::Status / ssr::Result<T> (ssr/status.h) and absl::Status /
// absl::StatusOr<T>, which the library uses inside. Both carry the same codes (same numbers) and a
// message; a conversion copies the code and the message, nothing else (abseil payloads are not
// carried).
#ifndef SSR_ROUTER_STATUS_CONVERT_H_
#define SSR_ROUTER_STATUS_CONVERT_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ssr/status.h"

namespace ssr {

inline Status FromAbsl(const absl::Status& st) {
  if (st.ok()) return Status();
  return Status(static_cast<StatusCode>(static_cast<int>(st.code())), std::string(st.message()));
}

inline absl::Status ToAbsl(const Status& st) {
  if (st.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(static_cast<int>(st.code())), st.message());
}

template <typename T>
Result<T> FromAbsl(absl::StatusOr<T>&& r) {
  if (!r.ok()) return FromAbsl(r.status());
  return Result<T>(std::move(*r));
}

template <typename T>
absl::StatusOr<T> ToAbsl(Result<T>&& r) {
  if (!r.ok()) return ToAbsl(r.status());
  return std::move(r).value();
}

}  // namespace ssr

#endif  // SSR_ROUTER_STATUS_CONVERT_H_
