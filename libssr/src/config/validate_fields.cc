// SPDX-License-Identifier: Apache-2.0
#include "config/validate_fields.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ssr::config::internal {

using util::IpAddress;
using util::IpPrefix;

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

std::string Quote(std::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(absl::string_view(s.data(), s.size())), "\"");
}

std::string Idx(absl::string_view list, size_t i) { return absl::StrCat(list, "[", i, "]"); }
std::string Field(absl::string_view parent, absl::string_view name) {
  return absl::StrCat(parent, ".", name);
}

bool IsValidName(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (s[0] == '-' || s[0] == '_') return false;
  return std::all_of(s.begin(), s.end(), IsNameChar);
}

bool IsValidDottedName(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (absl::string_view label : absl::StrSplit(absl::string_view(s.data(), s.size()), '.')) {
    if (!IsValidName(std::string_view(label.data(), label.size()))) return false;
  }
  return true;
}

bool IsValidInterfaceName(std::string_view s) {
  // Linux: at most IFNAMSIZ-1 = 15 bytes, no '/', ':' or whitespace, not "." or "..".
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  for (char c : s) {
    if (c == '/' || c == ':' || absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        !absl::ascii_isprint(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::optional<size_t> Lookup(const NameIndex& index, const std::string& name) {
  auto it = index.find(name);
  if (it == index.end()) return std::nullopt;
  return it->second;
}

std::optional<IpAddress> ParseAddress(const std::string& text, const std::string& path,
                                      ErrorSink& errors) {
  std::optional<IpAddress> a = IpAddress::Parse(text);
  if (!a) errors.Add(path, absl::StrCat(Quote(text), " is not a valid IP address"));
  return a;
}

std::optional<IpPrefix> ParsePrefix(const std::string& text, const std::string& path,
                                    ErrorSink& errors) {
  IpPrefix::ParseError why = IpPrefix::ParseError::kNone;
  std::optional<IpPrefix> prefix = IpPrefix::Parse(text, &why);
  if (prefix) return prefix;
  const std::string_view view(text);
  const size_t slash = view.find('/');
  std::optional<IpAddress> addr =
      IpAddress::Parse(slash == std::string_view::npos ? view : view.substr(0, slash));
  const std::string family = addr ? (addr->is_v4() ? "IPv4 " : "IPv6 ") : "";
  switch (why) {
    case IpPrefix::ParseError::kMissingLength:
      errors.Add(path, absl::StrCat(Quote(text), " is not a valid ", family,
                                    "prefix (missing \"/length\")"));
      break;
    case IpPrefix::ParseError::kBadAddress:
    case IpPrefix::ParseError::kNone:
      errors.Add(path, absl::StrCat(Quote(text),
                                    " is not a valid prefix (expected address/length, e.g. "
                                    "\"10.1.0.0/16\" or \"2001:db8::/32\")"));
      break;
    case IpPrefix::ParseError::kBadLength:
      errors.Add(path,
                 absl::StrCat(Quote(text), " is not a valid ", family, "prefix (length must be 0-",
                              addr ? addr->bit_width() : 128, ")"));
      break;
    case IpPrefix::ParseError::kHostBitsSet: {
      int length = 0;
      if (!absl::SimpleAtoi(
              absl::string_view(view.substr(slash + 1).data(), view.size() - slash - 1), &length)) {
        length = 0;
      }
      errors.Add(path, absl::StrCat(Quote(text), " is not a valid ", family,
                                    "prefix (host bits are set; the network is \"",
                                    IpPrefix(addr->Masked(length), length).ToString(), "\")"));
      break;
    }
  }
  return std::nullopt;
}

std::string ShowPorts(uint32_t first, uint32_t last) {
  return first == last ? absl::StrCat(first) : absl::StrCat(first, "-", last);
}

std::optional<PortRange> ParsePortRange(const v1::PortRange& r, const std::string& path,
                                        ErrorSink& errors) {
  const uint32_t start = r.start();
  const uint32_t end = r.end() == 0 ? r.start() : r.end();
  const std::string shown = ShowPorts(start, end);
  if (start == 0 || start > 65535 || end > 65535) {
    errors.Add(path, absl::StrCat(shown, " is not a valid port range (ports are 1-65535)"));
    return std::nullopt;
  }
  if (start > end) {
    errors.Add(path, absl::StrCat(shown, " is not a valid port range (start exceeds end)"));
    return std::nullopt;
  }
  return PortRange{static_cast<uint16_t>(start), static_cast<uint16_t>(end)};
}

}  // namespace ssr::config::internal
