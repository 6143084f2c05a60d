// SPDX-License-Identifier: Apache-2.0
// SVR fragmentation when metadata would exceed the MTU (§2.14), and reassembly.
#include "svr/fragment.h"

#include <algorithm>

#include <catch2/catch.hpp>
#include <numeric>
#include <vector>

#include "packet/builder.h"
#include "packet/checksum.h"
#include "packet/parser.h"

namespace ssr::svr {
namespace {

util::IpAddress Ip(const char* t) { return *util::IpAddress::Parse(t); }

Metadata SessionMd() {
  Metadata md;
  md.security_id = 3;
  md.Set(TlvField::kSecurityId);
  md.SetForwardContext({Ip("10.1.1.10"), Ip("10.20.2.5"), 5060, 5060, 17});
  md.tenant_name = Metadata::AsBytes("sales");
  md.Set(TlvField::kTenantName);
  md.service_name = Metadata::AsBytes("voice");
  md.Set(TlvField::kServiceName);
  md.Set(TlvField::kSessionUuid);
  return md;
}

struct Fragments {
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<size_t> lengths;
  size_t count = 0;
};

Fragments Split(const std::vector<uint8_t>& payload, size_t mtu, bool v6 = false) {
  packet::PacketSpec spec;
  if (v6) {
    spec.src = Ip("2001:db8::a");
    spec.dst = Ip("2001:db8::b");
  }
  spec.src_port = 16400;
  spec.dst_port = 16401;
  spec.payload = payload;
  spec.ipv4_id = 0x4321;
  spec.dont_fragment = true;
  std::vector<uint8_t> frame(packet::FrameLength(spec));
  REQUIRE(packet::BuildFrame(spec, frame) == frame.size());
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  Fragments f;
  f.buffers.assign(16, std::vector<uint8_t>(2048));
  f.lengths.assign(16, 0);
  std::vector<std::span<uint8_t>> outs(f.buffers.begin(), f.buffers.end());
  REQUIRE(FragmentUdpPacket(frame, info, SessionMd(), 77, mtu, outs, f.lengths, &f.count) ==
          FragmentResult::kOk);
  return f;
}

struct Parsed {
  packet::PacketInfo info;
  Metadata md;
  MetadataLayout layout;
  std::span<const uint8_t> data;
  std::span<const uint8_t> encoded_md;
};

Parsed ParseFragment(const std::vector<uint8_t>& buffer, size_t length) {
  Parsed p;
  std::span<const uint8_t> frame(buffer.data(), length);
  REQUIRE(packet::ParseFrame(frame, &p.info) == packet::ParseResult::kOk);
  std::span<const uint8_t> l4_payload = p.info.Payload(frame);
  REQUIRE(DecodeMetadata(l4_payload, &p.md, &p.layout, nullptr) == DecodeResult::kOk);
  p.encoded_md = l4_payload.first(p.layout.total());
  p.data = l4_payload.subspan(p.layout.total());
  return p;
}

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), uint8_t{1});
  return v;
}

}  // namespace

TEST_CASE("A packet too big for the MTU with metadata is split into SVR fragments", "[svr][svr-7.17]") {
  const std::vector<uint8_t> payload = Pattern(1400);
  const Fragments f = Split(payload, 1500);
  REQUIRE(f.count == 2);
  size_t offset = 0;
  std::vector<uint16_t> largest_seen;
  size_t largest_ip = 0;
  for (size_t i = 0; i < f.count; ++i) {
    INFO("fragment " << i);
    const Parsed p = ParseFragment(f.buffers[i], f.lengths[i]);
    CHECK(p.info.l3_length <= 1500);
    CHECK(packet::VerifyIpv4HeaderChecksum(p.info.L3Header(std::span<const uint8_t>(f.buffers[i]))));
    CHECK(packet::VerifyTransportChecksum(p.info.src, p.info.dst, p.info.l4_protocol,
                                          p.info.L4(std::span<const uint8_t>(f.buffers[i]))));
    CHECK(p.info.src_port == 16400);
    REQUIRE(p.md.Has(TlvField::kFragment));
    CHECK(p.md.Has(TlvField::kSecurityId));
    CHECK(p.md.fragment.extended_id == 77);
    CHECK(p.md.fragment.original_id == 0x4321);
    CHECK(p.md.fragment.dont_fragment);
    CHECK(p.md.fragment.offset * 8u == offset);
    CHECK(p.md.fragment.more_fragments == (i + 1 < f.count));
    largest_seen.push_back(p.md.fragment.largest_seen);
    largest_ip = std::max<size_t>(largest_ip, p.info.l3_length);
    // Session TLVs only on the first fragment.
    CHECK(p.md.Has(TlvField::kTenantName) == (i == 0));
    if (i + 1 < f.count) CHECK(p.data.size() % 8 == 0);
    CHECK(std::equal(p.data.begin(), p.data.end(), payload.begin() + static_cast<long>(offset)));
    offset += p.data.size();
  }
  CHECK(offset == payload.size());
  // Every fragment announces the largest IP packet length of the datagram.
  for (uint16_t l : largest_seen) CHECK(l == largest_ip);
}

TEST_CASE("SVR fragments reassemble in any order, for IPv4 and IPv6", "[svr]") {
  for (bool v6 : {false, true}) {
    const std::vector<uint8_t> payload = Pattern(3000);
    const Fragments f = Split(payload, 700, v6);
    REQUIRE(f.count >= 5);
    FragmentReassembler reassembler({});
    FragmentReassembler::Datagram d;
    // Last first, then the rest backwards.
    for (size_t k = 0; k < f.count; ++k) {
      const size_t i = f.count - 1 - k;
      const Parsed p = ParseFragment(f.buffers[i], f.lengths[i]);
      const ReassemblyResult r =
          reassembler.Add(p.info.src, p.md, p.encoded_md, p.data, 1000, &d);
      CHECK(r == (k + 1 == f.count ? ReassemblyResult::kComplete : ReassemblyResult::kIncomplete));
    }
    CHECK(std::vector<uint8_t>(d.payload.begin(), d.payload.end()) == payload);
    Metadata first;
    MetadataLayout layout;
    REQUIRE(DecodeMetadata(d.first_metadata, &first, &layout, nullptr) == DecodeResult::kOk);
    CHECK(first.Has(TlvField::kServiceName));
    CHECK(reassembler.in_progress() == 0);
  }
}

TEST_CASE("Reassembly drops duplicates, overlaps, stale and malformed fragments", "[svr]") {
  const std::vector<uint8_t> payload = Pattern(2000);
  const Fragments f = Split(payload, 800);
  REQUIRE(f.count == 3);
  const Parsed p0 = ParseFragment(f.buffers[0], f.lengths[0]);
  const Parsed p1 = ParseFragment(f.buffers[1], f.lengths[1]);
  FragmentReassembler::Options options;
  options.slots = 2;
  options.timeout_ms = 100;
  FragmentReassembler r(options);
  FragmentReassembler::Datagram d;
  const util::IpAddress src = Ip("10.0.0.1");
  CHECK(r.Add(src, p0.md, p0.encoded_md, p0.data, 0, &d) == ReassemblyResult::kIncomplete);
  CHECK(r.Add(src, p0.md, p0.encoded_md, p0.data, 0, &d) == ReassemblyResult::kDuplicate);
  // Same offset, shorter data: overlaps what is there.
  CHECK(r.Add(src, p0.md, p0.encoded_md, p0.data.first(8), 0, &d) == ReassemblyResult::kDuplicate);
  Metadata shifted = p1.md;
  shifted.fragment.offset = static_cast<uint16_t>(shifted.fragment.offset - 1);
  CHECK(r.Add(src, shifted, {}, p1.data, 0, &d) == ReassemblyResult::kOverlap);
  Metadata odd = p1.md;
  CHECK(r.Add(src, odd, {}, p1.data.first(7), 0, &d) == ReassemblyResult::kBadFragment);
  Metadata none;
  CHECK(r.Add(src, none, {}, p1.data, 0, &d) == ReassemblyResult::kMissingFragmentTlv);
  Metadata far = p1.md;
  far.fragment.offset = 0x1FFF;
  CHECK(r.Add(src, far, {}, p1.data, 0, &d) == ReassemblyResult::kTooLarge);
  // After the timeout the half datagram is gone: its second fragment starts a new one.
  CHECK(r.Add(src, p1.md, {}, p1.data, 500, &d) == ReassemblyResult::kIncomplete);
  CHECK(r.counters().Get(ReassemblyResult::kTimedOut) == 1);
  // Two more datagrams from other sources fill both slots and evict the oldest.
  Metadata other = p0.md;
  other.fragment.extended_id = 1;
  CHECK(r.Add(Ip("10.0.0.2"), other, p0.encoded_md, p0.data, 501, &d) ==
        ReassemblyResult::kIncomplete);
  other.fragment.extended_id = 2;
  CHECK(r.Add(Ip("10.0.0.3"), other, p0.encoded_md, p0.data, 502, &d) ==
        ReassemblyResult::kIncomplete);
  CHECK(r.counters().Get(ReassemblyResult::kEvicted) == 1);
}

TEST_CASE("Reassembly keys by flow as well as source and Extended ID, Expire drops stale datagrams",
          "[svr]") {
  const std::vector<uint8_t> payload = Pattern(2000);
  const Fragments f = Split(payload, 800);
  REQUIRE(f.count == 3);
  std::vector<Parsed> p;
  for (size_t i = 0; i < f.count; ++i) p.push_back(ParseFragment(f.buffers[i], f.lengths[i]));
  FragmentReassembler::Options options;
  options.timeout_ms = 100;
  FragmentReassembler r(options);
  FragmentReassembler::Datagram d;
  const util::IpAddress src = Ip("10.0.0.1");
  // The same source and Extended ID on two flows: two datagrams, neither completes the other.
  CHECK(r.Add(src, p[0].md, p[0].encoded_md, p[0].data, 0, &d, 1) == ReassemblyResult::kIncomplete);
  CHECK(r.Add(src, p[1].md, p[1].encoded_md, p[1].data, 0, &d, 2) == ReassemblyResult::kIncomplete);
  CHECK(r.Add(src, p[2].md, p[2].encoded_md, p[2].data, 0, &d, 2) == ReassemblyResult::kIncomplete);
  CHECK(r.in_progress() == 2);
  CHECK(r.Add(src, p[1].md, p[1].encoded_md, p[1].data, 0, &d, 1) == ReassemblyResult::kIncomplete);
  CHECK(r.Add(src, p[2].md, p[2].encoded_md, p[2].data, 0, &d, 1) == ReassemblyResult::kComplete);
  CHECK(std::equal(d.payload.begin(), d.payload.end(), payload.begin(), payload.end()));
  CHECK(r.in_progress() == 1);
  CHECK(r.Expire(100) == 0);
  CHECK(r.Expire(101) == 1);
  CHECK(r.in_progress() == 0);
  CHECK(r.counters().Get(ReassemblyResult::kTimedOut) == 1);
}

TEST_CASE("Fragmentation refuses what it cannot do", "[svr]") {
  packet::PacketSpec tcp;
  tcp.protocol = packet::kIpProtoTcp;
  tcp.tcp_flags = packet::kTcpSyn;
  std::vector<uint8_t> frame(packet::FrameLength(tcp));
  packet::BuildFrame(tcp, frame);
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  std::vector<uint8_t> out(2048);
  std::vector<std::span<uint8_t>> outs = {out};
  std::vector<size_t> lengths(1);
  size_t count = 0;
  CHECK(FragmentUdpPacket(frame, info, SessionMd(), 1, 1500, outs, lengths, &count) ==
        FragmentResult::kNotUdp);

  const std::vector<uint8_t> payload = Pattern(1400);
  packet::PacketSpec udp;
  udp.payload = payload;
  frame.assign(packet::FrameLength(udp), 0);
  packet::BuildFrame(udp, frame);
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  CHECK(FragmentUdpPacket(frame, info, SessionMd(), 1, 100, outs, lengths, &count) ==
        FragmentResult::kMtuTooSmall);
  CHECK(FragmentUdpPacket(frame, info, SessionMd(), 1, 1500, outs, lengths, &count) ==
        FragmentResult::kTooManyFragments);  // needs 2 outputs, one given
  std::vector<uint8_t> small_a(100), small_b(2048);
  std::vector<std::span<uint8_t>> small = {small_a, small_b};
  lengths.assign(2, 0);
  CHECK(FragmentUdpPacket(frame, info, SessionMd(), 1, 1500, small, lengths, &count) ==
        FragmentResult::kNoRoom);
  CHECK(count == 0);
}

}  // namespace ssr::svr
