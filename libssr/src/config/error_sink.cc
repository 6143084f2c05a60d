// SPDX-License-Identifier: Apache-2.0
#include "config/error_sink.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ssr::config {

std::string ConfigError::ToString() const {
  return path.empty() ? message : absl::StrCat(path, ": ", message);
}

absl::Status ErrorsToStatus(const std::vector<ConfigError>& errors) {
  if (errors.empty()) return absl::OkStatus();
  absl::StatusCode code = errors.front().code;
  for (const ConfigError& e : errors) {
    if (e.code != code) code = absl::StatusCode::kInvalidArgument;
  }
  std::vector<std::string> lines;
  lines.reserve(errors.size());
  for (const ConfigError& e : errors) lines.push_back(e.ToString());
  return absl::Status(code, absl::StrJoin(lines, "\n"));
}

void ErrorSink::Add(std::string path, std::string message, absl::StatusCode code) {
  errors_.push_back(ConfigError{code, std::move(path), std::move(message)});
}

std::vector<ConfigError> ErrorSink::Take() {
  std::vector<ConfigError> out = std::move(errors_);
  errors_.clear();
  return out;
}

absl::Status ErrorSink::ToStatus() const { return ErrorsToStatus(errors_); }

}  // namespace ssr::config
