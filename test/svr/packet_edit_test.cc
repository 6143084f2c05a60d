// SPDX-License-Identifier: Apache-2.0
// Metadata insertion into and removal from real TCP/UDP frames (§3.1, conformance 7.25).
#include "svr/packet_edit.h"

#include <catch2/catch.hpp>
#include <vector>

#include "packet/builder.h"
#include "packet/checksum.h"
#include "packet/parser.h"
#include "svr/metadata.h"

namespace ssr::svr {
namespace {

using packet::PacketInfo;
using packet::PacketSpec;
using packet::ParseResult;

util::IpAddress Ip(const char* text) { return *util::IpAddress::Parse(text); }

const std::vector<uint8_t> kPayload = {0x12, 0x34, 0x01, 0x00, 0xAA, 0xBB, 0xCC};
const std::vector<uint8_t> kTcpOptions = {0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02};
const std::vector<uint8_t> kVlanPayload(5, 0x5A);

std::vector<uint8_t> Metadata72() {
  Metadata md;
  md.security_id = 1;
  md.Set(TlvField::kSecurityId);
  md.SetForwardContext({Ip("10.1.1.10"), Ip("8.8.8.8"), 40000, 53, 17});
  md.tenant_name = Metadata::AsBytes("blue");
  md.Set(TlvField::kTenantName);
  md.service_name = Metadata::AsBytes("dns");
  md.Set(TlvField::kServiceName);
  md.Set(TlvField::kSessionUuid);
  std::vector<uint8_t> out(128);
  out.resize(EncodeMetadata(md, out));
  return out;
}

struct Frame {
  std::vector<uint8_t> buffer;  // capacity 2048
  size_t length = 0;
  PacketInfo info;
};

Frame Build(const PacketSpec& spec) {
  Frame f;
  f.buffer.assign(2048, 0xEE);
  f.length = packet::BuildFrame(spec, f.buffer);
  REQUIRE(f.length > 0);
  REQUIRE(packet::ParseFrame(std::span<const uint8_t>(f.buffer.data(), f.length), &f.info) ==
          ParseResult::kOk);
  return f;
}

void Reparse(Frame* f) {
  REQUIRE(packet::ParseFrame(std::span<const uint8_t>(f->buffer.data(), f->length), &f->info) ==
          ParseResult::kOk);
}

void CheckChecksums(const Frame& f) {
  std::span<const uint8_t> buf(f.buffer.data(), f.length);
  if (f.info.is_ipv4()) CHECK(packet::VerifyIpv4HeaderChecksum(f.info.L3Header(buf)));
  CHECK(packet::VerifyTransportChecksum(f.info.src, f.info.dst, f.info.l4_protocol, f.info.L4(buf)));
}

std::vector<PacketSpec> Specs() {
  std::vector<PacketSpec> specs;
  PacketSpec udp4;
  udp4.payload = kPayload;
  specs.push_back(udp4);
  PacketSpec udp6 = udp4;
  udp6.src = Ip("2001:db8::1");
  udp6.dst = Ip("2001:db8::2");
  specs.push_back(udp6);
  PacketSpec syn4;
  syn4.protocol = packet::kIpProtoTcp;
  syn4.tcp_flags = packet::kTcpSyn;
  syn4.tcp_options = kTcpOptions;  // metadata must go after the options
  specs.push_back(syn4);
  PacketSpec synack6 = syn4;
  synack6.tcp_flags = packet::kTcpSyn | packet::kTcpAck;
  synack6.src = Ip("2001:db8::2");
  synack6.dst = Ip("2001:db8::1");
  synack6.payload = kPayload;
  specs.push_back(synack6);
  PacketSpec vlan_padded = udp4;
  vlan_padded.vlan_count = 1;
  vlan_padded.vlans[0].tci = 42;
  vlan_padded.payload = kVlanPayload;
  vlan_padded.min_frame_length = 64;  // Ethernet padding after the IP packet
  specs.push_back(vlan_padded);
  return specs;
}

}  // namespace

TEST_CASE("Metadata goes right after the L4 header with lengths and checksums valid",
          "[svr][svr-7.25]") {
  const std::vector<uint8_t> md = Metadata72();
  REQUIRE(md.size() == 72);
  for (const PacketSpec& spec : Specs()) {
    Frame f = Build(spec);
    const PacketInfo before = f.info;
    INFO("l4 " << int(before.l4_protocol) << " v" << int(before.ip_version));
    REQUIRE(InsertMetadata(f.buffer, &f.length, f.info, md, 1500) == EditResult::kOk);
    Reparse(&f);
    CHECK(f.length == before.l3_offset + before.l3_length + md.size());  // padding dropped
    CHECK(f.info.l3_length == before.l3_length + md.size());
    CHECK(f.info.payload_offset == before.payload_offset);
    CHECK(f.info.payload_length == before.payload_length + md.size());
    if (f.info.is_udp()) CHECK(f.info.udp_length == before.udp_length + md.size());
    CheckChecksums(f);
    // The metadata decodes in place and the original payload follows it unchanged.
    std::span<const uint8_t> l4_payload = f.info.Payload(std::span<const uint8_t>(f.buffer));
    Metadata decoded;
    MetadataLayout layout;
    REQUIRE(DecodeMetadata(l4_payload, &decoded, &layout, nullptr) == DecodeResult::kOk);
    CHECK(layout.total() == md.size());
    CHECK(std::equal(l4_payload.begin() + 72, l4_payload.end(),
                     spec.payload.begin(), spec.payload.end()));
  }
}

TEST_CASE("Removing inserted metadata restores the original packet byte for byte", "[svr]") {
  const std::vector<uint8_t> md = Metadata72();
  for (const PacketSpec& spec : Specs()) {
    Frame f = Build(spec);
    const std::vector<uint8_t> original(f.buffer.begin(),
                                        f.buffer.begin() + f.info.l3_offset + f.info.l3_length);
    REQUIRE(InsertMetadata(f.buffer, &f.length, f.info, md, 1500) == EditResult::kOk);
    Reparse(&f);
    REQUIRE(RemoveMetadata(f.buffer, &f.length, f.info, md.size()) == EditResult::kOk);
    CHECK(std::vector<uint8_t>(f.buffer.begin(), f.buffer.begin() + f.length) == original);
  }
}

TEST_CASE("False-positive marker is inserted and stripped like metadata", "[svr][svr-7.23][svr-7.24]") {
  std::vector<uint8_t> cookie_payload(kCookie.begin(), kCookie.end());
  cookie_payload.push_back(0x42);
  PacketSpec spec;
  spec.payload = cookie_payload;
  Frame f = Build(spec);
  const std::vector<uint8_t> original(f.buffer.begin(), f.buffer.begin() + f.length);
  std::vector<uint8_t> marker(12);
  REQUIRE(WriteFalsePositiveMarker(marker));
  REQUIRE(InsertMetadata(f.buffer, &f.length, f.info, marker, 1500) == EditResult::kOk);
  Reparse(&f);
  CheckChecksums(f);
  MetadataLayout layout;
  REQUIRE(DecodeMetadataHeader(f.info.Payload(std::span<const uint8_t>(f.buffer)), &layout) ==
          DecodeResult::kOk);
  REQUIRE(layout.is_false_positive_marker());
  REQUIRE(RemoveMetadata(f.buffer, &f.length, f.info, layout.total()) == EditResult::kOk);
  CHECK(std::vector<uint8_t>(f.buffer.begin(), f.buffer.begin() + f.length) == original);
}

TEST_CASE("Metadata is refused on TCP segments other than SYN and SYN-ACK", "[svr]") {
  PacketSpec spec;
  spec.protocol = packet::kIpProtoTcp;
  spec.tcp_flags = packet::kTcpAck | packet::kTcpPsh;
  spec.payload = kPayload;
  Frame f = Build(spec);
  const std::vector<uint8_t> before = f.buffer;
  const size_t length = f.length;
  CHECK(InsertMetadata(f.buffer, &f.length, f.info, Metadata72(), 1500) == EditResult::kTcpNotSyn);
  CHECK(f.buffer == before);
  CHECK(f.length == length);
}

TEST_CASE("A packet that would exceed the MTU is left untouched", "[svr]") {
  const std::vector<uint8_t> big(1400, 0x11);
  PacketSpec spec;
  spec.payload = big;
  Frame f = Build(spec);
  const std::vector<uint8_t> before = f.buffer;
  const size_t length = f.length;
  const size_t ip_len = f.info.l3_length;  // 1428
  CHECK(InsertMetadata(f.buffer, &f.length, f.info, Metadata72(), ip_len + 71) ==
        EditResult::kExceedsMtu);
  CHECK(f.buffer == before);
  CHECK(f.length == length);
  // Exactly at the MTU is fine.
  CHECK(InsertMetadata(f.buffer, &f.length, f.info, Metadata72(), ip_len + 72) == EditResult::kOk);
}

TEST_CASE("Edits refuse what they cannot do", "[svr]") {
  PacketSpec icmp;
  icmp.protocol = packet::kIpProtoIcmp;
  Frame f = Build(icmp);
  CHECK(InsertMetadata(f.buffer, &f.length, f.info, Metadata72(), 1500) ==
        EditResult::kNotTcpOrUdp);

  PacketSpec frag;
  frag.fragment = true;
  frag.more_fragments = true;
  frag.payload = kPayload;
  Frame g = Build(frag);
  CHECK(InsertMetadata(g.buffer, &g.length, g.info, Metadata72(), 1500) == EditResult::kFragment);

  PacketSpec udp;
  udp.payload = kPayload;
  Frame h = Build(udp);
  std::vector<uint8_t> tight(h.buffer.begin(), h.buffer.begin() + h.length + 10);
  size_t len = h.length;
  CHECK(InsertMetadata(tight, &len, h.info, Metadata72(), 1500) == EditResult::kNoRoom);
  CHECK(RemoveMetadata(h.buffer, &h.length, h.info, kPayload.size() + 1) ==
        EditResult::kPayloadTooShort);
  size_t wrong = h.length + 4000;
  CHECK(InsertMetadata(h.buffer, &wrong, h.info, Metadata72(), 1500) == EditResult::kInconsistent);
  CHECK(EditResultName(EditResult::kExceedsMtu) == "edit_exceeds_mtu");
}

}  // namespace ssr::svr
