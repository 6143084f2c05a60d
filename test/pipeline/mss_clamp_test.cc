// SPDX-License-Identifier: Apache-2.0
// TCP MSS clamping, the pure part (docs/protocol.md §2.7.1): the option walk of ClampMss (MSS in
// any position, at odd offsets, repeated, malformed lists), the incremental checksum update
// checked against a full recomputation over IPv4 and IPv6, and AutoMss's path arithmetic.
#include "pipeline/mss_clamp.h"

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <catch2/catch.hpp>

#include "packet/builder.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/parser.h"

namespace ssr::pipeline {
namespace {

using Bytes = std::vector<uint8_t>;

util::IpAddress Ip(const char* text) { return *util::IpAddress::Parse(text); }

// A TCP frame with `options` (a multiple of 4 bytes or padded by the builder) and a payload.
struct Segment {
  Bytes frame;
  packet::PacketInfo info;
  std::span<uint8_t> tcp() { return std::span<uint8_t>(frame).subspan(info.l4_offset, info.l4_length); }
  bool ChecksumOk() {
    return packet::VerifyTransportChecksum(info.src, info.dst, packet::kIpProtoTcp, tcp());
  }
  uint16_t Checksum() { return packet::LoadBe16(tcp().data() + 16); }
};

Segment Make(const Bytes& options, bool v6 = false, uint8_t flags = packet::kTcpSyn) {
  static const Bytes payload = {'d', 'a', 't', 'a', '!'};  // odd length: the sum pads it
  packet::PacketSpec s;
  s.src = Ip(v6 ? "fd00:10:2::10" : "10.10.2.10");
  s.dst = Ip(v6 ? "fd00:20:1::30" : "10.20.1.30");
  s.protocol = packet::kIpProtoTcp;
  s.src_port = 41000;
  s.dst_port = 25;
  s.tcp_flags = flags;
  s.tcp_seq = 0x12345678;
  s.tcp_options = options;
  s.payload = payload;
  Segment seg;
  seg.frame.resize(packet::FrameLength(s));
  REQUIRE(packet::BuildFrame(s, seg.frame) == seg.frame.size());
  REQUIRE(packet::ParseFrame(seg.frame, &seg.info) == packet::ParseResult::kOk);
  REQUIRE(seg.ChecksumOk());
  return seg;
}

Bytes Mss(uint16_t v) { return {2, 4, static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}; }
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const Bytes kNop = {1};
const Bytes kSackPerm = {4, 2};
const Bytes kWscale = {3, 3, 7};
const Bytes kTimestamps = {8, 10, 0, 0, 0, 1, 0, 0, 0, 0};

// The checksum ClampMss left must equal a full recomputation of the rewritten segment.
void CheckRecomputed(Segment& seg) {
  const uint16_t incremental = seg.Checksum();
  packet::StoreBe16(seg.tcp().data() + 16, 0);
  const uint16_t full =
      packet::TransportChecksum(seg.info.src, seg.info.dst, packet::kIpProtoTcp, seg.tcp());
  packet::StoreBe16(seg.tcp().data() + 16, incremental);
  CHECK(incremental == full);
  CHECK(seg.ChecksumOk());
}

TEST_CASE("ClampMss lowers the MSS wherever it sits among the options, checksum updated "
          "incrementally (IPv4 and IPv6)",
          "[mss]") {
  struct Case {
    const char* name;
    Bytes options;
  };
  const std::vector<Case> cases = {
      {"MSS alone", Mss(1460)},
      {"Linux SYN: MSS, SACK-permitted, timestamps, NOP, window scale",
       Cat({Mss(1460), kSackPerm, kTimestamps, kNop, kWscale})},
      {"after one NOP (value at an odd offset)", Cat({kNop, Mss(1460), kNop, kNop, kNop})},
      {"after NOP and window scale", Cat({kNop, kWscale, Mss(1460)})},
      {"after SACK-permitted and window scale (odd offset)", Cat({kSackPerm, kWscale, Mss(1460)})},
      {"last, after timestamps and SACK-permitted", Cat({kSackPerm, kTimestamps, Mss(1460)})},
      {"BSD order: MSS, NOP, WS, NOP, NOP, TS, SACK-perm, EOL",
       Cat({Mss(1460), kNop, kWscale, kNop, kNop, kTimestamps, kSackPerm, Bytes{0, 0}})},
  };
  for (const bool v6 : {false, true}) {
    for (const Case& c : cases) {
      DYNAMIC_SECTION((v6 ? "IPv6: " : "IPv4: ") << c.name) {
        Segment seg = Make(c.options, v6);
        const Bytes before = seg.frame;
        CHECK(ReadMss(seg.tcp()) == 1460);
        CHECK(ClampMss(seg.tcp(), 1380) == MssClampResult::kClamped);
        CHECK(ReadMss(seg.tcp()) == 1380);
        CheckRecomputed(seg);
        // Only the two MSS bytes and the two checksum bytes changed.
        size_t changed = 0;
        for (size_t i = 0; i < before.size(); ++i) changed += before[i] != seg.frame[i];
        CHECK(changed >= 2);
        CHECK(changed <= 4);
        // A second pass finds it within the limit and changes nothing.
        const Bytes clamped = seg.frame;
        CHECK(ClampMss(seg.tcp(), 1380) == MssClampResult::kWithinLimit);
        CHECK(seg.frame == clamped);
      }
    }
  }
}

TEST_CASE("ClampMss clamps a SYN-ACK and leaves an MSS at or below the limit alone", "[mss]") {
  Segment synack = Make(Cat({Mss(8960), kNop, kWscale}), false, packet::kTcpSyn | packet::kTcpAck);
  CHECK(ClampMss(synack.tcp(), 1432) == MssClampResult::kClamped);
  CHECK(ReadMss(synack.tcp()) == 1432);
  CheckRecomputed(synack);

  for (const uint16_t mss : {uint16_t{536}, uint16_t{1432}}) {
    Segment seg = Make(Mss(mss));
    const Bytes before = seg.frame;
    CHECK(ClampMss(seg.tcp(), 1432) == MssClampResult::kWithinLimit);
    CHECK(seg.frame == before);
  }
}

TEST_CASE("ClampMss leaves a segment without SYN, or a SYN without an MSS option, unchanged",
          "[mss]") {
  Segment ack = Make(Mss(1460), false, packet::kTcpAck);  // an MSS option outside a SYN
  Bytes before = ack.frame;
  CHECK(ClampMss(ack.tcp(), 1000) == MssClampResult::kNotSyn);
  CHECK(ack.frame == before);

  for (const Bytes& options : {Bytes{}, Cat({kSackPerm, kTimestamps}), Cat({kNop, kWscale})}) {
    Segment syn = Make(options);
    before = syn.frame;
    CHECK(ClampMss(syn.tcp(), 1000) == MssClampResult::kNoOption);
    CHECK(syn.frame == before);  // no option is added
    CHECK(ReadMss(syn.tcp()) == 0);
  }
}

TEST_CASE("ClampMss on malformed option lists: stops where a host stops, changes nothing after",
          "[mss]") {
  SECTION("option length 0 or 1, or past the header: nothing to clamp before it") {
    for (const Bytes& options :
         {Bytes{8, 0, 2, 4, 5, 0xb4}, Bytes{8, 1, 2, 4, 5, 0xb4}, Bytes{8, 40, 2, 4, 5, 0xb4},
          Bytes{kNop[0], kNop[0], kNop[0], 2}}) {
      Segment seg = Make(options);
      const Bytes before = seg.frame;
      CHECK(ClampMss(seg.tcp(), 1000) == MssClampResult::kMalformed);
      CHECK(seg.frame == before);
    }
  }
  SECTION("an MSS before the fault is clamped, one after it is not") {
    Segment seg = Make(Cat({Mss(1460), Bytes{8, 0}, Mss(1460)}));
    CHECK(ClampMss(seg.tcp(), 1000) == MssClampResult::kClamped);
    CHECK(packet::LoadBe16(seg.tcp().data() + 22) == 1000);
    CHECK(packet::LoadBe16(seg.tcp().data() + 28) == 1460);
    CheckRecomputed(seg);
  }
  SECTION("an MSS option of the wrong length is skipped, as hosts ignore it") {
    Segment seg = Make(Bytes{2, 5, 5, 0xb4, 0, 1, 1, 1});
    const Bytes before = seg.frame;
    CHECK(ClampMss(seg.tcp(), 1000) == MssClampResult::kNoOption);
    CHECK(seg.frame == before);
    Segment seg3 = Make(Cat({Bytes{2, 3, 5}, Mss(1460)}));
    CHECK(ClampMss(seg3.tcp(), 1000) == MssClampResult::kClamped);
    CHECK(ReadMss(seg3.tcp()) == 1000);
    CheckRecomputed(seg3);
  }
  SECTION("an MSS after End of Option List is not an option") {
    Segment seg = Make(Cat({Bytes{0}, kNop, kNop, kNop, Mss(1460)}));
    const Bytes before = seg.frame;
    CHECK(ClampMss(seg.tcp(), 1000) == MssClampResult::kNoOption);
    CHECK(seg.frame == before);
  }
  SECTION("two MSS options: both clamped") {
    Segment seg = Make(Cat({Mss(1460), Mss(9000)}));
    CHECK(ClampMss(seg.tcp(), 1000) == MssClampResult::kClamped);
    CHECK(packet::LoadBe16(seg.tcp().data() + 22) == 1000);
    CHECK(packet::LoadBe16(seg.tcp().data() + 26) == 1000);
    CheckRecomputed(seg);
  }
  SECTION("data offset below 5 words or past the span; a span shorter than a header") {
    Segment seg = Make(Mss(1460));
    const Bytes before = seg.frame;
    seg.tcp()[12] = 4 << 4;
    CHECK(ClampMss(seg.tcp(), 1000) == MssClampResult::kMalformed);
    seg.tcp()[12] = 6 << 4;
    CHECK(ClampMss(seg.tcp().first(23), 1000) == MssClampResult::kMalformed);
    CHECK(ClampMss(seg.tcp().first(19), 1000) == MssClampResult::kMalformed);
    CHECK(seg.frame == before);
    CHECK(ClampMss(seg.tcp().first(24), 1000) == MssClampResult::kClamped);
  }
}

TEST_CASE("ClampMss on random option bytes: the checksum always verifies and no MSS it walks to "
          "stays above the limit",
          "[mss]") {
  std::mt19937 rng(14);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> small(0, 5);
  for (int i = 0; i < 4000; ++i) {
    Bytes options(static_cast<size_t>(std::uniform_int_distribution<int>(0, 40)(rng)));
    for (uint8_t& b : options) {
      // Mostly plausible kinds and lengths, so MSS options and malformed ones both occur.
      b = static_cast<uint8_t>(small(rng) == 0 ? byte(rng) : small(rng));
    }
    if (options.size() >= 4 && small(rng) < 3) {
      const size_t at = static_cast<size_t>(std::uniform_int_distribution<int>(
          0, static_cast<int>(options.size()) - 4)(rng));
      const Bytes mss = Mss(static_cast<uint16_t>(byte(rng) << 8 | byte(rng)));
      std::copy(mss.begin(), mss.end(), options.begin() + static_cast<std::ptrdiff_t>(at));
    }
    Segment seg = Make(options, i % 2 == 1);
    const uint16_t limit = static_cast<uint16_t>(std::uniform_int_distribution<int>(536, 9000)(rng));
    const Bytes before = seg.frame;
    const MssClampResult r = ClampMss(seg.tcp(), limit);
    INFO("options " << options.size() << " result " << static_cast<int>(r));
    CHECK(seg.ChecksumOk());
    if (r != MssClampResult::kClamped) CHECK(seg.frame == before);
    if (r != MssClampResult::kMalformed) CHECK(ReadMss(seg.tcp()) <= limit);
  }
}

TEST_CASE("AutoMss: MTU minus outer IP and TCP headers and the worst-case SVR data overhead",
          "[mss]") {
  MssPath p;
  p.mtu = 1500;
  p.hop_trailer = 16;  // HMAC-SHA256-128, the default hop policy
  // 1500 - 20 - 20 - 12 (false-positive marker) - 16
  CHECK(SvrDataOverhead(p) == 28);
  CHECK(AutoMss(p) == 1432);
  p.ipv6 = true;  // 1500 - 40 - 20 - 28
  CHECK(AutoMss(p) == 1412);
  p.ipv6 = false;
  p.udp_transform = true;  // + 8-byte UDP header
  CHECK(AutoMss(p) == 1424);
  p.udp_transform = false;
  p.payload_cipher = crypto::CipherSuite::kAes256Cbc;  // + 16 IV + up to 16 padding
  CHECK(AutoMss(p) == 1400);
  p.payload_cipher = crypto::CipherSuite::kAes128Gcm;  // + 8 nonce + 16 tag
  CHECK(AutoMss(p) == 1408);
  p.hop_trailer = 32;  // HMAC-SHA256
  p.payload_cipher = crypto::CipherSuite::kNone;
  CHECK(AutoMss(p) == 1416);
  p.mtu = 1280;
  p.ipv6 = true;
  p.udp_transform = true;
  p.payload_cipher = crypto::CipherSuite::kAes128Cbc;  // the largest overhead at the smallest MTU
  CHECK(AutoMss(p) == 1280 - 40 - 20 - (32 + 12 + 8 + 32));
  p.mtu = 100;
  CHECK(AutoMss(p) == 0);
}

}  // namespace
}  // namespace ssr::pipeline
