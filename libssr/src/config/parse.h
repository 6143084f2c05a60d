// SPDX-License-Identifier: Apache-2.0
// Reading and parsing config text: file I/O, format detection, protobuf text and JSON parsing.
// No validation happens here: a parsed v1::Config still goes through Validate() (config/loader.h).
#ifndef SSR_CONFIG_PARSE_H_
#define SSR_CONFIG_PARSE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ssr/config/v1/config.pb.h"

namespace ssr::config {

enum class ConfigFormat {
  kAuto,  // JSON if the first non-blank character is '{', otherwise text format
  kText,  // protobuf text format
  kJson,  // proto3 JSON mapping
};

// A place in config text: 1-based line and column (column in bytes); 0 when unknown.
struct SourcePosition {
  int line = 0;
  int column = 0;
  bool known() const { return line > 0; }
};

// Where each field of a parsed config was written, keyed by the field paths validation errors use
// ("routers[0].peers[1].name"). Text format: from protobuf's ParseInfoTree (the field name's
// position). JSON: the key's opening quote, or an array element's '{' or string.
class FieldLocations {
 public:
  void Set(std::string path, SourcePosition position);
  // The position of `path`, or of its longest known prefix ("routers[0].name" of a router
  // without a name: where routers[0] starts); unknown when no prefix is known.
  SourcePosition Find(std::string_view path) const;
  size_t size() const { return positions_.size(); }

 private:
  absl::flat_hash_map<std::string, SourcePosition> positions_;
};

// One syntax error (or schema error found while parsing) with its position when known.
struct ParseError {
  SourcePosition position;
  std::string message;
};

// The result of ParseConfigWithLocations: the config and its field positions, or the errors.
struct ParsedConfig {
  ConfigFormat format = ConfigFormat::kText;  // the format used (never kAuto)
  v1::Config proto;
  FieldLocations locations;
  std::vector<ParseError> errors;
  bool ok() const { return errors.empty(); }
};

// Parses text in the given format and records where each field was written.
//  - text format: every syntax error with line and column, unknown fields rejected;
//  - JSON: first checked as JSON (nlohmann-json's SAX parser): a syntax error is one error with
//    its line and column; a key given twice in one object (also as "fooBar" and "foo_bar") is an
//    error at the second key naming the first, like text format's repeated non-repeated field;
//    then protobuf's JSON parser maps it onto the schema (its errors have no position).
ParsedConfig ParseConfigWithLocations(std::string_view text, ConfigFormat format);

// The errors of a failed parse as one InvalidArgument status, one per line:
// "line L, column C: message" (text format), "JSON: line L, column C: message" (JSON), the
// position left out when unknown.
absl::Status ParseErrorsToStatus(const ParsedConfig& parsed);

// ParseConfigWithLocations without the locations; errors as ParseErrorsToStatus().
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
