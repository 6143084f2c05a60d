// SPDX-License-Identifier: Apache-2.0
// Status propagation macros. Debian 12's abseil (20220623) ships absl::Status but not the
// RETURN_IF_ERROR / ASSIGN_OR_RETURN macros that newer abseil and Google code use, so we define
// our own with the same semantics.
#ifndef SSR_UTIL_STATUS_MACROS_H_
#define SSR_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SSR_STATUS_MACROS_CONCAT_INNER_(x, y) x##y
#define SSR_STATUS_MACROS_CONCAT_(x, y) SSR_STATUS_MACROS_CONCAT_INNER_(x, y)

// Evaluates `expr` (an absl::Status) once; returns it from the enclosing function if not OK.
#define SSR_RETURN_IF_ERROR(expr)                         \
  do {                                                    \
    ::absl::Status ssr_status_macro_status_ = (expr);     \
    if (!ssr_status_macro_status_.ok()) {                 \
      return ssr_status_macro_status_;                    \
    }                                                     \
  } while (false)

// SSR_ASSIGN_OR_RETURN(lhs, rexpr): evaluates `rexpr` (an absl::StatusOr<T>) once; on error returns
// its status from the enclosing function, otherwise moves the value into `lhs`. `lhs` may be a
// declaration (`auto x`, `const Foo& y` is not allowed) or an existing variable.
#define SSR_ASSIGN_OR_RETURN(lhs, rexpr) \
  SSR_ASSIGN_OR_RETURN_IMPL_(SSR_STATUS_MACROS_CONCAT_(ssr_statusor_, __LINE__), lhs, rexpr)

#define SSR_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  if (!statusor.ok()) {                                  \
    return std::move(statusor).status();                 \
  }                                                      \
  lhs = std::move(statusor).value()

#endif  // SSR_UTIL_STATUS_MACROS_H_
