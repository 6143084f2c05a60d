// SPDX-License-Identifier: Apache-2.0
#include "util/pcap_writer.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace {
std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
uint32_t U32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}
}  // namespace

TEST_CASE("PcapWriter writes a classic pcap global header and records", "[util]") {
  const std::string path = "/tmp/ssr_pcap_test_" + std::to_string(getpid()) + ".pcap";
  {
    auto writer = ssr::util::PcapWriter::Create(path);
    REQUIRE(writer.ok());
    const std::vector<uint8_t> a = {1, 2, 3};
    const std::vector<uint8_t> b(70, 0x7f);
    REQUIRE((*writer)->Write(a, 1'700'000'000'123'456ULL).ok());
    REQUIRE((*writer)->Write(b, 1'700'000'001'000'000ULL).ok());
    CHECK((*writer)->packets_written() == 2);
    REQUIRE((*writer)->Close().ok());
    CHECK_FALSE((*writer)->Write(a, 0).ok());
  }
  const std::vector<uint8_t> file = ReadAll(path);
  std::remove(path.c_str());
  REQUIRE(file.size() == 24 + 16 + 3 + 16 + 70);
  CHECK(U32(file, 0) == 0xa1b2c3d4);
  CHECK(U32(file, 16) == 65535);
  CHECK(U32(file, 20) == 1);  // Ethernet
  CHECK(U32(file, 24) == 1'700'000'000u);
  CHECK(U32(file, 28) == 123'456u);
  CHECK(U32(file, 32) == 3);
  CHECK(U32(file, 36) == 3);
  CHECK(file[40] == 1);
  CHECK(U32(file, 43 + 8) == 70);
}

TEST_CASE("PcapWriter reports an unwritable path", "[util]") {
  auto writer = ssr::util::PcapWriter::Create("/nonexistent-dir/x.pcap");
  REQUIRE_FALSE(writer.ok());
  CHECK(std::string(writer.status().message()).find("/nonexistent-dir/x.pcap") !=
        std::string::npos);
}
