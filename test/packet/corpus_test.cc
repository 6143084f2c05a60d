// SPDX-License-Identifier: Apache-2.0
// The fuzz seed corpus is checked in; each file's name states the parse result it must produce.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "packet_test_util.h"

using namespace ssr::packet;

TEST_CASE("Every packet seed-corpus file parses to the result its name states", "[packet]") {
  const std::filesystem::path dir =
      std::filesystem::path(SSR_SOURCE_DIR) / "test/fuzz/corpus/packet";
  REQUIRE(std::filesystem::is_directory(dir));
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    INFO(name);
    const size_t dash = name.find('-');
    const size_t sep = name.find("--");
    REQUIRE(dash != std::string::npos);
    REQUIRE(sep != std::string::npos);
    const std::string kind = name.substr(0, dash);
    const std::string expected = name.substr(dash + 1, sep - dash - 1);
    REQUIRE((kind == "frame" || kind == "ip"));
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                     std::istreambuf_iterator<char>()};
    PacketInfo info;
    const ParseResult r = testing::ParsePrefix(bytes, bytes.size(), &info, kind == "ip");
    CHECK(std::string(ParseResultName(r)) == expected);
    ++files;
  }
  CHECK(files >= 15);
}
