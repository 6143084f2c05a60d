// SPDX-License-Identifier: Apache-2.0
// Reading and parsing config text: file I/O, format detection, protobuf text and JSON parsing.
// No validation happens here: a parsed v1::Config still goes through Validate() (config/loader.h).
#ifndef SSR_CONFIG_PARSE_H_
#define SSR_CONFIG_PARSE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ssr/config/v1/config.pb.h"

namespace ssr::config {

enum class ConfigFormat {
  kAuto,  // JSON if the first non-blank character is '{', otherwise text format
  kText,  // protobuf text format
  kJson,  // proto3 JSON mapping
};

// Parses text in the given format. Syntax errors and unknown fields are reported with line and
// column (text format) or the JSON parser's message.
absl::StatusOr<v1::Config> ParseConfig(std::string_view text, ConfigFormat format);

// The format a config file's name implies: .json is JSON; .textproto, .txtpb and .pbtxt are text
// format; anything else is kAuto (content sniffing).
ConfigFormat FormatForPath(const std::string& path);

// Largest config file ReadFileToString accepts.
inline constexpr uintmax_t kMaxConfigFileBytes = 16u << 20;

// Reads a regular file of at most kMaxConfigFileBytes in full (used by the tools); errors name the
// path: NotFound, PermissionDenied, FailedPrecondition (directory, FIFO, device), InvalidArgument
// (too large).
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace ssr::config

#endif  // SSR_CONFIG_PARSE_H_
