// SPDX-License-Identifier: Apache-2.0
// Loading: parse (config/parse.cc), then validate (config/validate.cc and its sections).
#include "config/loader.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ssr::config {

absl::StatusOr<std::shared_ptr<const Config>> LoadConfigString(std::string_view text,
                                                               ConfigFormat format,
                                                               const LoadOptions& options) {
  absl::StatusOr<v1::Config> proto = ParseConfig(text, format);
  if (!proto.ok()) return proto.status();
  ValidationResult result = Validate(*proto, options);
  if (!result.ok()) return ErrorsToStatus(result.errors);
  return std::move(result.config);
}

absl::StatusOr<std::shared_ptr<const Config>> LoadConfigFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  LoadOptions options;
  options.base_dir = std::filesystem::path(path).parent_path().string();
  const ParsedConfig parsed = ParseConfigWithLocations(*text, FormatForPath(path));
  if (!parsed.ok()) {
    const absl::Status status = ParseErrorsToStatus(parsed);
    return absl::Status(status.code(), absl::StrCat(path, ":\n", status.message()));
  }
  ValidationResult result = Validate(parsed.proto, options);
  if (!result.ok()) {
    std::vector<std::string> lines;
    lines.reserve(result.errors.size());
    for (const ConfigError& e : result.errors) {
      lines.push_back(FormatConfigError(path, e, parsed.locations.Find(e.path)));
    }
    return absl::Status(ErrorsToStatus(result.errors).code(), absl::StrJoin(lines, "\n"));
  }
  return std::move(result.config);
}

std::string FormatConfigError(const std::string& file, const ConfigError& error,
                              SourcePosition at) {
  if (!at.known()) return absl::StrCat(file, ": ", error.ToString());
  return absl::StrCat(file, ":", at.line, ":", at.column, ": ", error.ToString());
}

}  // namespace ssr::config
