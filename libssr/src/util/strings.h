// SPDX-License-Identifier: Apache-2.0
// Debian 12's abseil (20220623) has its own absl::string_view, distinct from std::string_view
// (docs/architecture.md §5). These helpers convert explicitly at the boundary.
#ifndef SSR_UTIL_STRINGS_H_
#define SSR_UTIL_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace ssr::util {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace ssr::util

#endif  // SSR_UTIL_STRINGS_H_
