// SPDX-License-Identifier: Apache-2.0
#include "session/flow_key.h"

#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>
#include <vector>

#include "session/flow_index.h"
#include "session_test_util.h"

namespace ssr::session {
namespace {

using testing::Ip;
using testing::Key;

TEST_CASE("FlowKey equality and hash cover every field", "[session]") {
  const FlowKey base = Key("10.1.1.10", 40000, "8.8.8.8", 53, packet::kIpProtoUdp, 3, 7);
  const uint64_t h = FlowIndex::Hash(base);
  CHECK(FlowIndex::Hash(Key("10.1.1.10", 40000, "8.8.8.8", 53, packet::kIpProtoUdp, 3, 7)) == h);
  std::vector<FlowKey> variants(7, base);
  variants[0].src = Ip("10.1.1.11");
  variants[1].dst = Ip("8.8.4.4");
  variants[2].src_port = 40001;
  variants[3].dst_port = 54;
  variants[4].protocol = packet::kIpProtoTcp;
  variants[5].side = 4;
  variants[6].vlan = 8;
  for (const FlowKey& v : variants) {
    CHECK_FALSE(v == base);
    CHECK(FlowIndex::Hash(v) != h);
  }
}

TEST_CASE("FlowKey distinguishes an IPv4 address from the IPv6 address with the same bytes",
          "[session]") {
  const FlowKey v4 = Key("10.0.0.1", 1, "10.0.0.2", 2);
  const FlowKey v6 = Key("a00:1::", 1, "a00:2::", 2);
  CHECK_FALSE(v4 == v6);
}

TEST_CASE("Reversed swaps addresses and ports and keeps side, vlan and protocol", "[session]") {
  const FlowKey k = Key("10.1.1.10", 40000, "8.8.8.8", 443, packet::kIpProtoTcp, 3, 7);
  const FlowKey r = Reversed(k);
  CHECK(r == Key("8.8.8.8", 443, "10.1.1.10", 40000, packet::kIpProtoTcp, 3, 7));
  CHECK(Reversed(r) == k);
}

TEST_CASE("Reversed keeps the ICMP echo identifier in src_port", "[session]") {
  const FlowKey request = Key("10.1.1.10", 0x1234, "8.8.8.8", 0, packet::kIpProtoIcmp);
  CHECK(Reversed(request) == Key("8.8.8.8", 0x1234, "10.1.1.10", 0, packet::kIpProtoIcmp));
  const FlowKey request6 = Key("2001:db8::1", 7, "2001:db8::2", 0, packet::kIpProtoIcmpv6);
  CHECK(Reversed(request6) == Key("2001:db8::2", 7, "2001:db8::1", 0, packet::kIpProtoIcmpv6));
}

TEST_CASE("FlowKey ToString names side, protocol and both endpoints", "[session]") {
  CHECK(Key("10.1.1.10", 40000, "8.8.8.8", 53, packet::kIpProtoUdp, 3).ToString() ==
        "side 3 vlan 0 proto 17 10.1.1.10:40000 -> 8.8.8.8:53");
  CHECK(Key("2001:db8::1", 1, "2001:db8::2", 2, packet::kIpProtoUdp, 3).ToString() ==
        "side 3 vlan 0 proto 17 [2001:db8::1]:1 -> [2001:db8::2]:2");
}

// FlowIndex against a reference map under random insert/erase churn: checks backward-shift
// deletion keeps every remaining entry reachable and never leaves stale ones.
TEST_CASE("FlowIndex matches a reference map under random churn", "[session]") {
  constexpr uint32_t kKeys = 3000;
  std::vector<FlowKey> keys;
  for (uint32_t i = 0; i < kKeys; ++i) keys.push_back(testing::ClientKey(i));
  FlowIndex index(1024);
  REQUIRE(index.capacity() == 2048);
  auto key_of = [&](uint32_t id) -> const FlowKey& { return keys[id]; };
  std::unordered_map<uint32_t, bool> present;
  std::mt19937 rng(7);
  for (int step = 0; step < 200000; ++step) {
    const uint32_t id = rng() % kKeys;
    const uint64_t h = FlowIndex::Hash(keys[id]);
    const bool in = present[id];
    REQUIRE((index.Find(keys[id], h, key_of) == id) == in);
    if (in) {
      REQUIRE(index.Erase(h, id));
      present[id] = false;
    } else if (index.size() < 1024) {
      index.Insert(h, id);
      present[id] = true;
    }
  }
  size_t count = 0;
  for (const auto& [id, in] : present) {
    CHECK((index.Find(keys[id], FlowIndex::Hash(keys[id]), key_of) == id) == in);
    count += in ? 1 : 0;
  }
  CHECK(index.size() == count);
  CHECK(index.capacity() == 2048);
}

TEST_CASE("FlowIndex capacity is a power of two of at least twice the entries", "[session]") {
  CHECK(FlowIndex(1).capacity() == 16);
  CHECK(FlowIndex(1000).capacity() == 2048);
  CHECK(FlowIndex(1024).capacity() == 2048);
  CHECK(FlowIndex(1025).capacity() == 4096);
}

}  // namespace
}  // namespace ssr::session
