// SPDX-License-Identifier: Apache-2.0
#include "packet/checksum.h"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "packet/byte_order.h"
#include "packet/header_views.h"
#include "packet_test_util.h"

namespace {

using ssr::packet::ChecksumUpdate16;
using ssr::packet::ChecksumUpdate32;
using ssr::packet::ChecksumUpdateAddress;
using ssr::packet::ChecksumUpdateBytes;
using ssr::packet::InternetChecksum;
using ssr::packet::LoadBe16;
using ssr::packet::LoadBe32;
using ssr::packet::OnesComplementSum;
using ssr::packet::StoreBe16;
using ssr::packet::StoreBe32;
using ssr::packet::testing::Ip;

// Textbook RFC 1071 reference: 16-bit big-endian words, 32-bit accumulator, fold, complement.
uint16_t ReferenceChecksum(std::span<const uint8_t> data) {
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) sum += uint32_t{data[i]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> RandomBytes(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(byte(rng));
  return v;
}

}  // namespace

TEST_CASE("RFC 1071 section 3 example sums to 0xddf2", "[packet][checksum]") {
  const std::array<uint8_t, 8> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(OnesComplementSum(data) == 0xddf2);
  CHECK(InternetChecksum(data) == 0x220d);
}

TEST_CASE("Known IPv4 header checksum is computed and verified", "[packet][checksum]") {
  // A widely quoted example header (192.168.0.1 -> 192.168.0.199, UDP), checksum 0xb861.
  std::array<uint8_t, 20> header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  CHECK(ssr::packet::VerifyIpv4HeaderChecksum(header));
  CHECK(ssr::packet::Ipv4HeaderChecksum(header) == 0xb861);  // stale field is ignored
  header[10] = 0x12;
  CHECK(ssr::packet::Ipv4HeaderChecksum(header) == 0xb861);
  CHECK_FALSE(ssr::packet::VerifyIpv4HeaderChecksum(header));
}

TEST_CASE("Checksum of every length and alignment matches the RFC 1071 reference",
          "[packet][checksum]") {
  std::mt19937 rng(1071);
  const std::vector<uint8_t> data = RandomBytes(rng, 600);
  for (size_t start = 0; start < 8; ++start) {
    for (size_t len = 0; len + start <= 300; ++len) {
      std::span<const uint8_t> s(data.data() + start, len);
      INFO("start " << start << " len " << len);
      REQUIRE(InternetChecksum(s) == ReferenceChecksum(s));
    }
  }
  // Long buffers exercise the unrolled loop's accumulators.
  const std::vector<uint8_t> big = RandomBytes(rng, 9000);
  CHECK(InternetChecksum(big) == ReferenceChecksum(big));
  const std::vector<uint8_t> ones(4096, 0xff);
  CHECK(InternetChecksum(ones) == ReferenceChecksum(ones));
}

TEST_CASE("Sums compose across even-length pieces", "[packet][checksum]") {
  std::mt19937 rng(7);
  const std::vector<uint8_t> data = RandomBytes(rng, 101);
  for (size_t split = 0; split <= data.size(); split += 2) {
    std::span<const uint8_t> all(data);
    const uint16_t first = OnesComplementSum(all.first(split));
    CHECK(OnesComplementSum(all.subspan(split), first) == OnesComplementSum(all));
  }
}

TEST_CASE("RFC 1624 section 4 example: eqn. 3 gives 0x0000", "[packet][checksum]") {
  CHECK(ChecksumUpdate16(0xdd2f, 0x5555, 0x3285) == 0x0000);
  // The same update in UDP form must not produce "no checksum".
  CHECK(ssr::packet::UdpChecksumUpdate16(0xdd2f, 0x5555, 0x3285) == 0xffff);
}

TEST_CASE("Incremental updates equal a full recomputation on random data", "[packet][checksum]") {
  std::mt19937 rng(1624);
  std::uniform_int_distribution<size_t> len_dist(8, 200);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<uint8_t> data = RandomBytes(rng, len_dist(rng));
    const uint16_t before = InternetChecksum(data);
    // Field start on an even offset, as every header field we rewrite is.
    const size_t max_even = (data.size() - 4) / 2;
    const size_t off = 2 * std::uniform_int_distribution<size_t>(0, max_even)(rng);
    INFO("iter " << iter << " size " << data.size() << " off " << off);
    switch (iter % 3) {
      case 0: {
        const uint16_t old_word = LoadBe16(&data[off]);
        const uint16_t new_word = static_cast<uint16_t>(rng());
        StoreBe16(&data[off], new_word);
        REQUIRE(ChecksumUpdate16(before, old_word, new_word) == InternetChecksum(data));
        break;
      }
      case 1: {
        const uint32_t old_value = LoadBe32(&data[off]);
        const uint32_t new_value = static_cast<uint32_t>(rng());
        StoreBe32(&data[off], new_value);
        REQUIRE(ChecksumUpdate32(before, old_value, new_value) == InternetChecksum(data));
        break;
      }
      default: {
        // Arbitrary length (odd included) range starting at an even offset.
        const size_t n = std::uniform_int_distribution<size_t>(1, data.size() - off)(rng);
        const std::vector<uint8_t> old_bytes(data.begin() + static_cast<long>(off),
                                             data.begin() + static_cast<long>(off + n));
        const std::vector<uint8_t> new_bytes = RandomBytes(rng, n);
        std::copy(new_bytes.begin(), new_bytes.end(), data.begin() + static_cast<long>(off));
        REQUIRE(ChecksumUpdateBytes(before, old_bytes, new_bytes) == InternetChecksum(data));
        break;
      }
    }
  }
}

TEST_CASE("UDP checksum never computes 0 and transmits it as 0xFFFF", "[packet][checksum]") {
  const auto src = Ip("10.1.2.3");
  const auto dst = Ip("10.9.8.7");
  std::vector<uint8_t> seg = {0x04, 0x00, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 0, 0, 0, 0};
  // Choose the last word so the true checksum is 0: adding the would-be checksum to the sum
  // makes it 0xffff.
  const uint16_t c = ssr::packet::TransportChecksum(src, dst, ssr::packet::kIpProtoUdp, seg);
  StoreBe16(&seg[10], c);
  REQUIRE(ssr::packet::TransportChecksum(src, dst, ssr::packet::kIpProtoUdp, seg) == 0);
  const uint16_t udp = ssr::packet::UdpChecksum(src, dst, seg);
  CHECK(udp == 0xffff);
  StoreBe16(&seg[6], udp);
  CHECK(ssr::packet::VerifyTransportChecksum(src, dst, ssr::packet::kIpProtoUdp, seg));
}

TEST_CASE("UDP zero checksum verifies over IPv4 and fails over IPv6", "[packet][checksum]") {
  const std::array<uint8_t, 8> seg = {0x04, 0x00, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00};
  CHECK(ssr::packet::VerifyTransportChecksum(Ip("10.0.0.1"), Ip("10.0.0.2"),
                                             ssr::packet::kIpProtoUdp, seg));
  CHECK_FALSE(ssr::packet::VerifyTransportChecksum(Ip("2001:db8::1"), Ip("2001:db8::2"),
                                                   ssr::packet::kIpProtoUdp, seg));
}

TEST_CASE("UDP incremental update keeps an absent checksum absent", "[packet][checksum]") {
  CHECK(ssr::packet::UdpChecksumUpdate16(0, 1000, 2000) == 0);
  CHECK(ssr::packet::UdpChecksumUpdateAddress(0, Ip("10.0.0.1"), Ip("192.0.2.1")) == 0);
}

TEST_CASE("IPv6 pseudo-header sum matches an explicit pseudo-header buffer", "[packet][checksum]") {
  const auto src = Ip("2001:db8::1");
  const auto dst = Ip("fe80::1234:5678");
  std::vector<uint8_t> pseudo(40, 0);
  std::copy(src.bytes().begin(), src.bytes().end(), pseudo.begin());
  std::copy(dst.bytes().begin(), dst.bytes().end(), pseudo.begin() + 16);
  StoreBe32(&pseudo[32], 0x00012345);  // a length above 65535 uses all 32 bits
  pseudo[39] = ssr::packet::kIpProtoTcp;
  CHECK(ssr::packet::PseudoHeaderSum(src, dst, ssr::packet::kIpProtoTcp, 0x00012345) ==
        OnesComplementSum(pseudo));
}

TEST_CASE("IPv4 pseudo-header sum matches an explicit pseudo-header buffer", "[packet][checksum]") {
  const auto src = Ip("192.0.2.10");
  const auto dst = Ip("198.51.100.20");
  std::array<uint8_t, 12> pseudo = {192, 0, 2, 10, 198, 51, 100, 20, 0, 17, 0x05, 0xdc};
  CHECK(ssr::packet::PseudoHeaderSum(src, dst, ssr::packet::kIpProtoUdp, 1500) ==
        OnesComplementSum(pseudo));
}

TEST_CASE("NAT-style address and port rewrite keeps IPv4 and TCP checksums valid",
          "[packet][checksum]") {
  using namespace ssr::packet;
  const std::array<uint8_t, 33> payload = {1, 2, 3};
  PacketSpec spec;
  spec.protocol = kIpProtoTcp;
  spec.payload = payload;
  std::vector<uint8_t> frame = testing::BuildFrameVector(spec);
  PacketInfo info;
  REQUIRE(ParseFrame(frame, &info) == ParseResult::kOk);
  std::span<uint8_t> all(frame);
  Ipv4HeaderView ip(info.L3Header(all));
  TcpHeaderView tcp(info.L4(all));
  const auto new_src = Ip("203.0.113.77");
  ip.set_checksum(ChecksumUpdateAddress(ip.checksum(), ip.src(), new_src));
  tcp.set_checksum(ChecksumUpdateAddress(tcp.checksum(), ip.src(), new_src));
  ip.set_src(new_src);
  tcp.set_checksum(ChecksumUpdate16(tcp.checksum(), tcp.src_port(), 40000));
  tcp.set_src_port(40000);
  CHECK(VerifyIpv4HeaderChecksum(info.L3Header(std::span<const uint8_t>(frame))));
  CHECK(VerifyTransportChecksum(new_src, ip.dst(), kIpProtoTcp,
                                info.L4(std::span<const uint8_t>(frame))));
}

TEST_CASE("IPv6 address rewrite keeps UDP and ICMPv6 checksums valid", "[packet][checksum]") {
  using namespace ssr::packet;
  const std::array<uint8_t, 11> payload = {9, 8, 7};
  for (uint8_t proto : {kIpProtoUdp, kIpProtoIcmpv6}) {
    PacketSpec spec;
    spec.src = Ip("2001:db8::1");
    spec.dst = Ip("2001:db8::2");
    spec.protocol = proto;
    spec.payload = payload;
    std::vector<uint8_t> frame = testing::BuildFrameVector(spec);
    PacketInfo info;
    REQUIRE(ParseFrame(frame, &info) == ParseResult::kOk);
    std::span<uint8_t> all(frame);
    Ipv6HeaderView ip(info.L3Header(all));
    const auto new_dst = Ip("2001:db8:ffff:1::99");
    uint8_t* csum = frame.data() + info.l4_offset + (proto == kIpProtoUdp ? 6 : 2);
    const uint16_t updated = proto == kIpProtoUdp
                                 ? UdpChecksumUpdateAddress(LoadBe16(csum), ip.dst(), new_dst)
                                 : ChecksumUpdateAddress(LoadBe16(csum), ip.dst(), new_dst);
    StoreBe16(csum, updated);
    ip.set_dst(new_dst);
    CHECK(VerifyTransportChecksum(ip.src(), new_dst, proto,
                                  info.L4(std::span<const uint8_t>(frame))));
  }
}
