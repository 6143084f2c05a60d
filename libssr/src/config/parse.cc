// SPDX-License-Identifier: Apache-2.0
// Config text → v1::Config, and the file reading shared by config files and key files.
#include "config/parse.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace ssr::config {
namespace {

// Collects text-format parser errors with line and column (1-based for people).
class TextErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors.push_back(ParseError{SourcePosition{line + 1, column + 1}, message});
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    errors.push_back(ParseError{SourcePosition{line + 1, column + 1}, message});
  }
  std::vector<ParseError> errors;
};

bool LooksLikeJson(std::string_view text) {
  for (char ch : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(ch))) continue;
    return ch == '{';
  }
  return false;
}

// Byte offset -> line and column.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  SourcePosition At(size_t offset) const {
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    const size_t line = static_cast<size_t>(it - starts_.begin());  // 1-based
    return SourcePosition{static_cast<int>(line), static_cast<int>(offset - starts_[line - 1] + 1)};
  }

 private:
  std::vector<size_t> starts_;
};

// Records the position of every set field of `message`, walking protobuf's ParseInfoTree.
void RecordTextLocations(const google::protobuf::Message& message,
                         const google::protobuf::TextFormat::ParseInfoTree& tree,
                         const std::string& prefix, FieldLocations& out) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    const std::string name =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    const bool is_message = field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE;
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const int index = field->is_repeated() ? i : -1;
      const std::string path = field->is_repeated() ? absl::StrCat(name, "[", i, "]") : name;
      const google::protobuf::TextFormat::ParseLocation loc = tree.GetLocation(field, index);
      if (loc.line >= 0) out.Set(path, SourcePosition{loc.line + 1, loc.column + 1});
      if (!is_message) continue;
      const google::protobuf::TextFormat::ParseInfoTree* nested =
          tree.GetTreeForNested(field, index);
      if (nested == nullptr) continue;
      RecordTextLocations(field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                               : reflection->GetMessage(message, field),
                          *nested, path, out);
    }
  }
}

// "routerName" -> "router_name" (proto3 JSON accepts both; validation paths use the proto name).
std::string ProtoFieldName(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 4);
  for (char ch : key) {
    if (absl::ascii_isupper(static_cast<unsigned char>(ch))) {
      out.push_back('_');
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(ch)));
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// An input iterator over the text that publishes how far nlohmann-json's lexer has read, so the
// SAX handler knows where the token it is handed ends.
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* p, const char** read_up_to) : p_(p), read_up_to_(read_up_to) {}
  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    ++p_;
    *read_up_to_ = p_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const TrackingIterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  const char** read_up_to_;
};

// SAX handler: finds duplicate keys and a syntax error, and records where each field starts.
class JsonScanner {
 public:
  using json = nlohmann::json;
  JsonScanner(std::string_view text, const char** read_up_to, FieldLocations& locations,
              std::vector<ParseError>& errors)
      : text_(text),
        index_(text),
        read_up_to_(read_up_to),
        locations_(locations),
        errors_(errors) {}

  bool null() { return Scalar(); }
  bool boolean(bool) { return Scalar(); }
  bool number_integer(json::number_integer_t) { return Scalar(); }
  bool number_unsigned(json::number_unsigned_t) { return Scalar(); }
  bool number_float(json::number_float_t, const json::string_t&) { return Scalar(); }
  bool binary(json::binary_t&) { return Scalar(); }
  bool string(json::string_t&) {
    if (!frames_.empty() && frames_.back().is_array) {
      locations_.Set(NextElementPath(), index_.At(StringStart()));
      return true;
    }
    return Scalar();
  }
  bool start_object(std::size_t) { return Open(false); }
  bool start_array(std::size_t) { return Open(true); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(json::string_t& key) {
    Frame& frame = frames_.back();
    const std::string name = ProtoFieldName(key);
    const SourcePosition at = index_.At(StringStart());
    const auto [it, inserted] = frame.keys.emplace(name, at);
    if (!inserted) {
      errors_.push_back(
          ParseError{at, absl::StrCat("duplicate key \"", key, "\" (first given at line ",
                                      it->second.line, ", column ", it->second.column, ")")});
    }
    frame.pending = frame.path.empty() ? name : absl::StrCat(frame.path, ".", name);
    if (inserted) locations_.Set(frame.pending, at);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line L, column C: why".
    // The position is taken from the text read so far, the reason from the message.
    std::string_view why = ex.what();
    const size_t colon = why.find(": ", why.find("column"));
    if (colon != std::string_view::npos) why.remove_prefix(colon + 2);
    const size_t offset = Offset() > 0 ? Offset() - 1 : 0;
    errors_.push_back(ParseError{index_.At(offset), std::string(why)});
    return false;
  }

 private:
  struct Frame {
    bool is_array = false;
    std::string path;
    int next_index = 0;
    std::string pending;  // path of the key just read (objects)
    absl::flat_hash_map<std::string, SourcePosition> keys;
  };

  size_t Offset() const { return static_cast<size_t>(*read_up_to_ - text_.data()); }
  // The opening quote of the string token that ends just before Offset().
  size_t StringStart() const {
    size_t i = Offset() >= 2 ? Offset() - 2 : 0;
    while (i > 0 && !(text_[i] == '"' && text_[i - 1] != '\\')) --i;
    return i;
  }
  std::string NextElementPath() {
    Frame& frame = frames_.back();
    return absl::StrCat(frame.path, "[", frame.next_index++, "]");
  }
  bool Scalar() {
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().next_index;
    return true;
  }
  bool Open(bool is_array) {
    std::string path;
    if (!frames_.empty()) {
      if (frames_.back().is_array) {
        path = NextElementPath();
        locations_.Set(path, index_.At(Offset() - 1));
      } else {
        path = frames_.back().pending;
      }
    }
    frames_.push_back(Frame{is_array, std::move(path), 0, {}, {}});
    return true;
  }
  bool Close() {
    frames_.pop_back();
    return true;
  }

  std::string_view text_;
  LineIndex index_;
  const char** read_up_to_;
  FieldLocations& locations_;
  std::vector<ParseError>& errors_;
  std::vector<Frame> frames_;
};

void ParseJson(std::string_view text, ParsedConfig& out) {
  const char* read_up_to = text.data();
  JsonScanner scanner(text, &read_up_to, out.locations, out.errors);
  const TrackingIterator first(text.data(), &read_up_to);
  const TrackingIterator last(text.data() + text.size(), &read_up_to);
  nlohmann::json::sax_parse(first, last, &scanner);
  if (!out.errors.empty()) return;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &out.proto, options);
  if (!status.ok()) out.errors.push_back(ParseError{{}, status.message().ToString()});
}

}  // namespace

void FieldLocations::Set(std::string path, SourcePosition position) {
  positions_.insert_or_assign(std::move(path), position);
}

SourcePosition FieldLocations::Find(std::string_view path) const {
  while (!path.empty()) {
    const auto it = positions_.find(absl::string_view(path.data(), path.size()));
    if (it != positions_.end()) return it->second;
    const size_t cut = path.find_last_of(".[");
    if (cut == std::string_view::npos) break;
    path = path.substr(0, cut);
  }
  return SourcePosition{};
}

ParsedConfig ParseConfigWithLocations(std::string_view text, ConfigFormat format) {
  ParsedConfig out;
  if (format == ConfigFormat::kAuto) {
    format = LooksLikeJson(text) ? ConfigFormat::kJson : ConfigFormat::kText;
  }
  out.format = format;
  if (format == ConfigFormat::kJson) {
    ParseJson(text, out);
    return out;
  }
  google::protobuf::TextFormat::Parser parser;
  google::protobuf::TextFormat::ParseInfoTree tree;
  TextErrorCollector collector;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  if (!parser.ParseFromString(std::string(text), &out.proto) || !collector.errors.empty()) {
    if (collector.errors.empty()) collector.errors.push_back({{}, "text format parse error"});
    out.errors = std::move(collector.errors);
    return out;
  }
  RecordTextLocations(out.proto, tree, "", out.locations);
  return out;
}

absl::Status ParseErrorsToStatus(const ParsedConfig& parsed) {
  if (parsed.ok()) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const ParseError& e : parsed.errors) {
    std::string line = parsed.format == ConfigFormat::kJson ? "JSON: " : "";
    if (e.position.known()) {
      absl::StrAppend(&line, "line ", e.position.line, ", column ", e.position.column, ": ");
    }
    absl::StrAppend(&line, e.message);
    lines.push_back(std::move(line));
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

absl::StatusOr<v1::Config> ParseConfig(std::string_view text, ConfigFormat format) {
  ParsedConfig parsed = ParseConfigWithLocations(text, format);
  if (!parsed.ok()) return ParseErrorsToStatus(parsed);
  return std::move(parsed.proto);
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
