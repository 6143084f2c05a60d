// SPDX-License-Identifier: Apache-2.0
// Internal to config validation: the field rules every section shares (names, addresses,
// prefixes, port ranges) and the helpers that spell field paths and quote values in messages.
// A rule used by one section only belongs in that section's validate_*.cc instead.
#ifndef SSR_CONFIG_VALIDATE_FIELDS_H_
#define SSR_CONFIG_VALIDATE_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "config/error_sink.h"
#include "config/model.h"
#include "ssr/config/v1/config.pb.h"
#include "util/ip_address.h"

namespace ssr::config::internal {

// Values from the config are quoted and C-escaped so that an error message is always one line
// and shows exactly what was written.
std::string Quote(std::string_view s);

// Field paths: Idx("tenants", 2) is "tenants[2]", Field("tenants[2]", "name") "tenants[2].name".
std::string Idx(absl::string_view list, size_t i);
std::string Field(absl::string_view parent, absl::string_view name);

// NAME and DOTTED NAME (see the proto's conventions) and Linux interface names.
bool IsValidName(std::string_view s);
bool IsValidDottedName(std::string_view s);
bool IsValidInterfaceName(std::string_view s);
inline constexpr absl::string_view kNameRule =
    "1-63 characters from [a-z0-9_-], starting with a letter or digit";
inline constexpr absl::string_view kDottedNameRule =
    "labels of 1-63 characters from [a-z0-9_-] joined by '.', at most 255 characters";

// Name → index of the first item of a list with that name.
using NameIndex = absl::flat_hash_map<std::string, size_t>;
std::optional<size_t> Lookup(const NameIndex& index, const std::string& name);

// Parsers that report a bad value at `path` and return nullopt.
std::optional<util::IpAddress> ParseAddress(const std::string& text, const std::string& path,
                                            ErrorSink& errors);
std::optional<util::IpPrefix> ParsePrefix(const std::string& text, const std::string& path,
                                          ErrorSink& errors);
// Checks a PortRange and returns it normalised (end 0 means a single port).
std::optional<PortRange> ParsePortRange(const v1::PortRange& r, const std::string& path,
                                        ErrorSink& errors);

// A range as written in messages: "443" for a single port, "400-500" otherwise.
std::string ShowPorts(uint32_t first, uint32_t last);

}  // namespace ssr::config::internal

#endif  // SSR_CONFIG_VALIDATE_FIELDS_H_
