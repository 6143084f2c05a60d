// SPDX-License-Identifier: Apache-2.0
// Loading: parse (config/parse.cc), then validate (config/validate.cc and its sections).
#include "config/loader.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"

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
  absl::StatusOr<std::shared_ptr<const Config>> config =
      LoadConfigString(*text, FormatForPath(path), options);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ":\n", config.status().message()));
  }
  return config;
}

}  // namespace ssr::config
