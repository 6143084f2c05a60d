// SPDX-License-Identifier: Apache-2.0
// Config diagnostics: where each field was written (text format from protobuf's ParseInfoTree,
// JSON from the SAX pre-check), a JSON syntax error as one error with its position, and duplicate
// JSON keys rejected with their position.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "config/loader.h"

namespace ssr::config {
namespace {

struct Located {
  std::string path;
  int line;
  int column;
  bool operator==(const Located&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Located& l) {
  return os << l.path << " at " << l.line << ":" << l.column;
}

// Parses and validates `text`, returning every validation error with its position.
std::vector<Located> ValidationErrorPositions(const std::string& text, ConfigFormat format) {
  const ParsedConfig parsed = ParseConfigWithLocations(text, format);
  INFO(ParseErrorsToStatus(parsed).ToString());
  REQUIRE(parsed.ok());
  const ValidationResult result = Validate(parsed.proto);
  std::vector<Located> out;
  for (const ConfigError& e : result.errors) {
    const SourcePosition at = parsed.locations.Find(e.path);
    out.push_back(Located{e.path, at.line, at.column});
  }
  return out;
}

TEST_CASE("text format validation errors map to the line and column of their field", "[config]") {
  const std::string text =
      "organization: \"o\"\n"
      "routers {\n"
      "  name: \"r1\"\n"
      "  interfaces { name: \"lan0\" role: LAN addresses: \"10.1.0.1/16\" mtu: 100 }\n"
      "}\n"
      "tenants { name: \"eng\" members { prefixes: \"10.0.0.0/8\" prefixes: \"10.0.0.0/33\" } }\n";
  CHECK(ValidationErrorPositions(text, ConfigFormat::kText) ==
        std::vector<Located>{{"routers[0].interfaces[0].mtu", 4, 64},
                             {"tenants[0].members[0].prefixes[1]", 6, 56}});
}

TEST_CASE("JSON validation errors map to the position of their key or array element", "[config]") {
  const std::string json =
      "{\n"
      "  \"organization\": \"o\",\n"
      "  \"routers\": [{\n"
      "    \"name\": \"r1\",\n"
      "    \"interfaces\": [\n"
      "      {\"name\": \"lan0\", \"role\": \"LAN\", \"addresses\": [\"10.1.0.1/33\"], \"mtu\": "
      "100}\n"
      "    ]\n"
      "  }],\n"
      "  \"securityPolicies\": [{\"name\": \"p\", \"hmacKeys\": [\"nokey\"]}]\n"
      "}\n";
  const std::vector<Located> got = ValidationErrorPositions(json, ConfigFormat::kJson);
  for (const Located& l : got) UNSCOPED_INFO(l);
  // camelCase keys are found under the proto field names the error paths use.
  CHECK(std::find(got.begin(), got.end(), Located{"security_policies[0].hmac_keys[0]", 9, 51}) !=
        got.end());
  CHECK(std::find(got.begin(), got.end(),
                  Located{"routers[0].interfaces[0].addresses[0]", 6, 53}) != got.end());
  CHECK(std::find(got.begin(), got.end(), Located{"routers[0].interfaces[0].mtu", 6, 69}) !=
        got.end());
}

TEST_CASE("FieldLocations falls back to the longest known prefix of a path", "[config]") {
  FieldLocations locations;
  locations.Set("routers[0]", SourcePosition{3, 1});
  locations.Set("routers[0].peers[1]", SourcePosition{7, 5});
  CHECK(locations.Find("routers[0].peers[1].name").line == 7);
  CHECK(locations.Find("routers[0].name").line == 3);
  CHECK(locations.Find("routers[0].peers[2].name").line == 3);
  CHECK_FALSE(locations.Find("tenants[0]").known());
  CHECK_FALSE(locations.Find("").known());
}

TEST_CASE("a JSON syntax error is one error with its line and column", "[config]") {
  const std::string json =
      "{\n"
      "  \"organization\": \"a\",\n"
      "  \"routers\": [\n"
      "    {\"name\": \"r1\",}\n"
      "  ]\n"
      "}\n";
  const ParsedConfig parsed = ParseConfigWithLocations(json, ConfigFormat::kJson);
  REQUIRE(parsed.errors.size() == 1);
  CHECK(parsed.errors[0].position.line == 4);
  CHECK(parsed.errors[0].position.column == 19);  // the '}' after the trailing comma
  absl::StatusOr<v1::Config> proto = ParseConfig(json, ConfigFormat::kJson);
  REQUIRE_FALSE(proto.ok());
  INFO(proto.status().message());
  CHECK(proto.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(proto.status().message(), "JSON: line 4, column 19: syntax error"));
  CHECK_FALSE(absl::StrContains(proto.status().message(), "\n"));
}

TEST_CASE("a truncated JSON config is one error at its end", "[config]") {
  const ParsedConfig parsed =
      ParseConfigWithLocations("{\"routers\": [{\"name\": \"r1\"}", ConfigFormat::kJson);
  REQUIRE(parsed.errors.size() == 1);
  CHECK(parsed.errors[0].position.line == 1);
  CHECK(absl::StrContains(parsed.errors[0].message, "end of input"));
}

TEST_CASE("a duplicate JSON key is rejected with its position and the first one's", "[config]") {
  const std::string json =
      "{\n"
      "  \"organization\": \"a\",\n"
      "  \"routers\": [\n"
      "    {\"name\": \"r1\", \"name\": \"r2\"}\n"
      "  ]\n"
      "}\n";
  const ParsedConfig parsed = ParseConfigWithLocations(json, ConfigFormat::kJson);
  REQUIRE(parsed.errors.size() == 1);
  CHECK(parsed.errors[0].position.line == 4);
  CHECK(parsed.errors[0].position.column == 20);
  CHECK(parsed.errors[0].message == "duplicate key \"name\" (first given at line 4, column 6)");
  // The same config in text format is rejected too (a non-repeated field given twice).
  CHECK_FALSE(ParseConfig("routers { name: \"r1\" name: \"r2\" }", ConfigFormat::kText).ok());
}

TEST_CASE("JSON keys naming the same field in both spellings are duplicates", "[config]") {
  const ParsedConfig parsed = ParseConfigWithLocations(
      R"({"securityPolicies": [], "security_policies": []})", ConfigFormat::kJson);
  REQUIRE(parsed.errors.size() == 1);
  CHECK(absl::StrContains(parsed.errors[0].message, "duplicate key \"security_policies\""));
  CHECK(parsed.errors[0].position.column == 26);
}

TEST_CASE("the same key in different JSON objects is not a duplicate", "[config]") {
  absl::StatusOr<v1::Config> proto =
      ParseConfig(R"({"routers": [{"name": "r1"}, {"name": "r2"}], "tenants": [{"name": "t"}]})",
                  ConfigFormat::kJson);
  INFO(proto.status().ToString());
  REQUIRE(proto.ok());
  CHECK(proto->routers_size() == 2);
}

}  // namespace
}  // namespace ssr::config
