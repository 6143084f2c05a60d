// SPDX-License-Identifier: Apache-2.0
// The IP fragment reassembly pool on its own: any order, IPv4 and IPv6 (the fragment header is
// removed), the abuse cases of docs/protocol.md §2.14.1 and the fixed memory bound.
#include "pipeline/ip_reassembly.h"

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "fragment_util.h"
#include "packet/builder.h"
#include "util/ip_address.h"

namespace ssr::pipeline::testing {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Datagram(bool v6, size_t payload_size, uint16_t sport = 40000) {
  static std::vector<Bytes> kept;
  kept.emplace_back(payload_size);
  for (size_t i = 0; i < payload_size; ++i) kept.back()[i] = static_cast<uint8_t>(i * 7 + 3);
  packet::PacketSpec s;
  s.src = *util::IpAddress::Parse(v6 ? "fd00:10:2::10" : "10.10.2.10");
  s.dst = *util::IpAddress::Parse(v6 ? "fd00:20:2::5" : "10.20.2.5");
  s.protocol = packet::kIpProtoUdp;
  s.src_port = sport;
  s.dst_port = 5060;
  s.ipv4_id = 0x4242;
  s.payload = kept.back();
  Bytes out(packet::FrameLength(s));
  REQUIRE(packet::BuildFrame(s, out) == out.size());
  return out;
}

// Feeds one fragment through the pool in a frame of 4096 bytes (as the pipeline's frames are).
struct Fed {
  FragmentResult result;
  Bytes frame;  // the whole datagram when kComplete
};
Fed Feed(IpReassembly& r, const Bytes& fragment, uint64_t now, uint16_t side = 0) {
  Bytes buf(4096, 0);
  std::copy(fragment.begin(), fragment.end(), buf.begin());
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(std::span<const uint8_t>(buf.data(), fragment.size()), &info) ==
          packet::ParseResult::kOk);
  REQUIRE(info.is_fragment);
  uint32_t len = 0;
  Fed f{r.Add(side, buf, info, now, &len), {}};
  if (f.result == FragmentResult::kComplete) f.frame.assign(buf.begin(), buf.begin() + len);
  return f;
}

TEST_CASE("IP reassembly: a datagram in 2 or 3 fragments, in any order, comes out byte-identical "
          "to the unfragmented one (IPv4 and IPv6)",
          "[pipeline][ip-fragment]") {
  for (const bool v6 : {false, true}) {
    const Bytes whole = Datagram(v6, 1200);
    const auto frags = Fragments(whole, {504, 1000}, 0x4242);
    std::vector<std::vector<size_t>> orders = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {2, 0, 1}};
    for (const auto& order : orders) {
      IpReassembly r(4, 1000);
      for (size_t k = 0; k < order.size(); ++k) {
        const Fed f = Feed(r, frags[order[k]], 0);
        if (k + 1 < order.size()) {
          CHECK(f.result == FragmentResult::kHeld);
        } else {
          REQUIRE(f.result == FragmentResult::kComplete);
          CHECK(f.frame == whole);
        }
      }
      CHECK(r.in_use() == 0);
    }
    IpReassembly r(4, 1000);
    const auto two = Fragments(whole, {600}, 0x4242);
    CHECK(Feed(r, two[1], 0).result == FragmentResult::kHeld);
    CHECK(Feed(r, two[0], 0).frame == whole);
  }
}

TEST_CASE("IP reassembly: IPv6 with a hop-by-hop header before the fragment header comes out "
          "with the hop-by-hop header naming the transport again",
          "[pipeline][ip-fragment]") {
  static const std::array<uint8_t, 6> pad6 = {};
  static const std::array<packet::Ipv6ExtensionSpec, 2> exts = {
      {{packet::kIpProtoHopByHop, pad6}, {packet::kIpProtoDstOpts, pad6}}};
  static const Bytes payload(900, 0x5a);
  packet::PacketSpec s;
  s.src = *util::IpAddress::Parse("fd00:10:2::10");
  s.dst = *util::IpAddress::Parse("fd00:20:2::5");
  s.ipv6_extensions = exts;
  s.payload = payload;
  Bytes whole(packet::FrameLength(s));
  REQUIRE(packet::BuildFrame(s, whole) == whole.size());
  // The destination options header is fragmentable: it travels in the first fragment's data.
  const auto frags = Fragments(whole, {400}, 5);
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frags[0], &info) == packet::ParseResult::kOk);
  REQUIRE(info.ipv6_fragment_header == 48);
  IpReassembly r(2, 1000);
  CHECK(Feed(r, frags[1], 0).result == FragmentResult::kHeld);
  const Fed f = Feed(r, frags[0], 0);
  REQUIRE(f.result == FragmentResult::kComplete);
  CHECK(f.frame == whole);
}

TEST_CASE("IP reassembly: duplicates are dropped alone, overlaps and inconsistent lengths discard "
          "the datagram and its later fragments",
          "[pipeline][ip-fragment]") {
  const Bytes whole = Datagram(false, 1200);
  IpReassembly r(4, 1000);
  SECTION("duplicate") {
    const auto f = Fragments(whole, {504}, 0x4242);
    CHECK(Feed(r, f[0], 0).result == FragmentResult::kHeld);
    CHECK(Feed(r, f[0], 0).result == FragmentResult::kDuplicate);
    CHECK(Feed(r, f[1], 0).frame == whole);
  }
  SECTION("overlap") {
    CHECK(Feed(r, FragmentOf(whole, {0, 512, false}, 2), 0).result == FragmentResult::kHeld);
    CHECK(Feed(r, FragmentOf(whole, {504, 1000, false}, 2), 0).result == FragmentResult::kOverlap);
    CHECK(Feed(r, FragmentOf(whole, {512, 1208, true}, 2), 0).result == FragmentResult::kDiscarded);
    CHECK(r.in_use() == 1);
    CHECK(r.Expire(1000) == 0);  // discarded: not counted again as never completed
    CHECK(r.in_use() == 0);
  }
  SECTION("a fragment rewriting the transport header (RFC 1858 offset-8 overlap)") {
    CHECK(Feed(r, FragmentOf(whole, {8, 512, false}, 3), 0).result == FragmentResult::kHeld);
    CHECK(Feed(r, FragmentOf(whole, {0, 16, false}, 3), 0).result == FragmentResult::kOverlap);
  }
  SECTION("misaligned non-last fragment") {
    CHECK(Feed(r, FragmentOf(whole, {0, 500, false}, 4), 0).result == FragmentResult::kBadLength);
  }
  SECTION("two last fragments disagreeing on the end") {
    CHECK(Feed(r, FragmentOf(whole, {512, 1208, true}, 5), 0).result == FragmentResult::kHeld);
    CHECK(Feed(r, FragmentOf(whole, {1000, 1200, true}, 5), 0).result == FragmentResult::kBadLength);
  }
  SECTION("data beyond the last fragment's end") {
    CHECK(Feed(r, FragmentOf(whole, {504, 1000, true}, 7), 0).result == FragmentResult::kHeld);
    CHECK(Feed(r, FragmentOf(whole, {600, 1008, false}, 7), 0).result == FragmentResult::kBadLength);
  }
}

TEST_CASE("IP reassembly: too many fragments and too large datagrams are discarded",
          "[pipeline][ip-fragment]") {
  IpReassembly r(4, 1000);
  const Bytes whole = Datagram(false, 1200);
  for (uint32_t i = 0; i < IpReassembly::kMaxFragments; ++i) {
    CHECK(Feed(r, FragmentOf(whole, {i * 8, i * 8 + 8, false}, 9), 0).result == FragmentResult::kHeld);
  }
  CHECK(Feed(r, FragmentOf(whole, {200, 208, false}, 9), 0).result == FragmentResult::kTooMany);
  const Bytes big = Datagram(false, 4200);
  CHECK(Feed(r, FragmentOf(big, {0, 2048, false}, 10), 0).result == FragmentResult::kHeld);
  CHECK(Feed(r, FragmentOf(big, {2048, 4208, true}, 10), 0).result == FragmentResult::kTooBig);
}

TEST_CASE("IP reassembly: a datagram that does not fit the frame with the tail room asked for is "
          "written into the spill buffer, and one over kMaxData is discarded",
          "[pipeline][ip-fragment]") {
  IpReassembly r(4, 1000);
  std::vector<uint8_t> spill(16384, 0);
  auto feed = [&](const Bytes& fragment, uint32_t tail_room, bool* spilled, Bytes* out) {
    Bytes buf(4096, 0);
    std::copy(fragment.begin(), fragment.end(), buf.begin());
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(std::span<const uint8_t>(buf.data(), fragment.size()), &info) ==
            packet::ParseResult::kOk);
    uint32_t len = 0;
    const FragmentResult res = r.Add(0, buf, info, 0, &len, spill, tail_room, spilled);
    if (res == FragmentResult::kComplete) {
      const uint8_t* from = *spilled ? spill.data() : buf.data();
      out->assign(from, from + len);
    }
    return res;
  };
  for (const bool v6 : {false, true}) {
    const Bytes whole = Datagram(v6, 4000);
    const auto frags = Fragments(whole, {1448, 2896}, 0x4242);
    bool spilled = false;
    Bytes out;
    // 4042 (4062) bytes fit the 4096-byte frame, but not with 2300 bytes of tail room.
    CHECK(feed(frags[0], 2300, &spilled, &out) == FragmentResult::kHeld);
    CHECK(feed(frags[2], 2300, &spilled, &out) == FragmentResult::kHeld);
    CHECK(feed(frags[1], 2300, &spilled, &out) == FragmentResult::kComplete);
    CHECK(spilled);
    CHECK(out == whole);
  }
  // A small datagram stays in the frame when the tail room fits, and spills when it does not.
  const Bytes small = Datagram(false, 1200);
  for (const uint32_t tail_room : {0u, 3000u}) {
    bool spilled = false;
    Bytes out;
    const auto frags = Fragments(small, {504}, 0x4242);
    CHECK(feed(frags[0], tail_room, &spilled, &out) == FragmentResult::kHeld);
    CHECK(feed(frags[1], tail_room, &spilled, &out) == FragmentResult::kComplete);
    CHECK(spilled == (tail_room != 0));
    CHECK(out == small);
  }
  // The largest datagram the pool takes (9216 bytes of data) spills; one more 8 bytes does not.
  for (const size_t payload : {size_t{9216 - 8}, size_t{9216}}) {
    const Bytes big = Datagram(false, payload);
    std::vector<uint32_t> cuts;
    for (uint32_t c = 1480; c < payload + 8; c += 1480) cuts.push_back(c);
    const auto frags = Fragments(big, cuts, 0x4242);
    bool spilled = false;
    Bytes out;
    FragmentResult last = FragmentResult::kHeld;
    for (const Bytes& f : frags) last = feed(f, 0, &spilled, &out);
    if (payload + 8 <= IpReassembly::kMaxData) {
      CHECK(last == FragmentResult::kComplete);
      CHECK(out == big);
    } else {
      CHECK(last == FragmentResult::kTooBig);  // the fragment reaching beyond kMaxData
    }
  }
}

TEST_CASE("IP reassembly: the pool is fixed: a flood fills it, new datagrams are refused until "
          "the held ones time out, and a held datagram still completes",
          "[pipeline][ip-fragment]") {
  IpReassembly r(8, 1000);
  const size_t bytes = r.memory_bytes();
  CHECK(bytes >= 8 * IpReassembly::kMaxData);
  const Bytes whole = Datagram(false, 1200);
  const auto legit = Fragments(whole, {504}, 0x4242);
  CHECK(Feed(r, legit[0], 0).result == FragmentResult::kHeld);
  for (uint32_t id = 0; id < 7; ++id) {
    CHECK(Feed(r, FragmentOf(whole, {0, 504, false}, id), 10).result == FragmentResult::kHeld);
  }
  for (uint32_t id = 100; id < 200; ++id) {
    CHECK(Feed(r, FragmentOf(whole, {0, 504, false}, id), 20).result == FragmentResult::kPoolFull);
  }
  CHECK(r.in_use() == 8);
  CHECK(r.memory_bytes() == bytes);
  CHECK(Feed(r, legit[1], 30).frame == whole);  // held before the flood: not evicted
  // The same key on another side is another datagram.
  CHECK(Feed(r, legit[0], 30, /*side=*/1).result == FragmentResult::kHeld);
  CHECK(r.Expire(1009) == 0);
  CHECK(r.Expire(1010) == 7);  // the flood's datagrams, oldest first
  CHECK(r.in_use() == 1);
  CHECK(r.Expire(1030) == 1);
  CHECK(r.in_use() == 0);
  CHECK(Feed(r, legit[0], 2000).result == FragmentResult::kHeld);
  CHECK(Feed(r, legit[1], 2000).frame == whole);
  CHECK(r.memory_bytes() == bytes);
}

TEST_CASE("IP reassembly: random fragment streams (valid, overlapping, misaligned, oversized, "
          "mixed datagrams) never exceed the pool and only complete whole datagrams",
          "[pipeline][ip-fragment]") {
  std::mt19937 rng(20261206);
  IpReassembly r(6, 50);
  const size_t bytes = r.memory_bytes();
  std::vector<Bytes> wholes;
  for (int i = 0; i < 8; ++i) {
    wholes.push_back(Datagram(i % 2 == 1, 64 + 300 * static_cast<size_t>(i),
                              static_cast<uint16_t>(1000 + i)));
  }
  size_t completed = 0;
  uint64_t now = 0;
  for (int step = 0; step < 20000; ++step) {
    now += rng() % 3;
    r.Expire(now);
    const size_t w = rng() % wholes.size();
    const Bytes& whole = wholes[w];
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(whole, &info) == packet::ParseResult::kOk);
    const uint32_t data = info.l3_length - (info.ip_version == 4 ? info.l3_header_length : 40);
    if (rng() % 4 == 0) {
      // A well-formed datagram under a fresh id, its fragments shuffled.
      std::vector<uint32_t> cuts;
      for (uint32_t c = 8 * (1 + rng() % 40); c < data; c += 8 * (1 + rng() % 60)) cuts.push_back(c);
      if (cuts.empty()) continue;
      auto frags = Fragments(whole, cuts, 0x10000 + static_cast<uint32_t>(step));
      std::shuffle(frags.begin(), frags.end(), rng);
      bool done = false;
      for (const Bytes& fr : frags) {
        const Fed f = Feed(r, fr, now);
        if (f.result == FragmentResult::kComplete) {
          done = true;
          REQUIRE(f.frame.size() == whole.size());
          const long from = static_cast<long>(info.l3_offset) + 12;
          CHECK(std::equal(f.frame.begin() + from, f.frame.end(), whole.begin() + from));
        }
      }
      completed += done ? 1 : 0;
      continue;
    }
    uint32_t begin = (rng() % (data / 8 + 1)) * 8;
    if (rng() % 8 == 0) begin = static_cast<uint32_t>(rng() % data);  // misaligned
    if (begin >= data) begin = data - 8;
    uint32_t end = begin + 8 + static_cast<uint32_t>(rng() % 700);
    bool last = end >= data || rng() % 6 == 0;
    if (end > data) end = data;
    if (begin == 0 && last) last = false;  // offset 0 without MF would be no fragment
    const uint32_t id = static_cast<uint32_t>(w * 4 + rng() % 4);
    Bytes frag = FragmentOf(whole, Piece{begin, end, last}, id);
    packet::PacketInfo fi;
    if (packet::ParseFrame(frag, &fi) != packet::ParseResult::kOk || !fi.is_fragment) continue;
    const Fed f = Feed(r, frag, now);
    CHECK(r.in_use() <= r.capacity());
    if (f.result == FragmentResult::kComplete) {
      ++completed;
      packet::PacketInfo out;
      REQUIRE(packet::ParseFrame(f.frame, &out) == packet::ParseResult::kOk);
      CHECK_FALSE(out.is_fragment);
      CHECK(out.l3_length == info.l3_length);
      // Every byte in its place (the IPv4 id and header checksum aside: ids are random here).
      REQUIRE(f.frame.size() == whole.size());
      const long from = static_cast<long>(info.l3_offset) + 12;
      CHECK(std::equal(f.frame.begin() + from, f.frame.end(), whole.begin() + from));
    }
  }
  CHECK(completed > 0);
  CHECK(r.memory_bytes() == bytes);
  r.Expire(now + 1000);
  CHECK(r.in_use() == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
