// SPDX-License-Identifier: Apache-2.0
// Config text → v1::Config, and the file reading shared by config files and key files.
#include "config/parse.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace ssr::config {
namespace {

// Collects text-format parser errors with line and column (1-based for people).
class TextErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors.push_back(absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    errors.push_back(absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message));
  }
  std::vector<std::string> errors;
};

bool LooksLikeJson(std::string_view text) {
  for (char ch : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(ch))) continue;
    return ch == '{';
  }
  return false;
}

}  // namespace

absl::StatusOr<v1::Config> ParseConfig(std::string_view text, ConfigFormat format) {
  if (format == ConfigFormat::kAuto) {
    format = LooksLikeJson(text) ? ConfigFormat::kJson : ConfigFormat::kText;
  }
  v1::Config config;
  if (format == ConfigFormat::kJson) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), &config, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("JSON: ", status.message().ToString()));
    }
    return config;
  }
  google::protobuf::TextFormat::Parser parser;
  TextErrorCollector collector;
  parser.RecordErrorsTo(&collector);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  if (!parser.ParseFromString(std::string(text), &config) || !collector.errors.empty()) {
    if (collector.errors.empty()) collector.errors.push_back("text format parse error");
    return absl::InvalidArgumentError(absl::StrJoin(collector.errors, "\n"));
  }
  return config;
}

ConfigFormat FormatForPath(const std::string& path) {
  const std::filesystem::path extension = std::filesystem::path(path).extension();
  if (extension == ".json") return ConfigFormat::kJson;
  if (extension == ".textproto" || extension == ".txtpb" || extension == ".pbtxt") {
    return ConfigFormat::kText;
  }
  return ConfigFormat::kAuto;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  // Check the file type before opening: opening a FIFO would block, and /dev/zero never ends.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    if (ec == std::errc::permission_denied) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": ", ec.message()));
    }
    return absl::NotFoundError(absl::StrCat(path, ": No such file or directory"));
  }
  if (std::filesystem::is_directory(st)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": is a directory"));
  }
  if (!std::filesystem::is_regular_file(st)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": is not a regular file"));
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxConfigFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", size, " bytes is larger than the ",
                                                   kMaxConfigFileBytes, "-byte limit"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why = err != 0 ? std::strerror(err) : "cannot open";
    if (err == EACCES) return absl::PermissionDeniedError(absl::StrCat(path, ": ", why));
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", why));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return ss.str();
}

}  // namespace ssr::config
