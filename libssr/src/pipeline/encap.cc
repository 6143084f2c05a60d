// SPDX-License-Identifier: Apache-2.0
#include "pipeline/encap.h"

#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/protocol.h"

namespace ssr::pipeline {
namespace {

using packet::StoreBe16;
using packet::StoreBe32;

void WriteL2(uint8_t* p, const L2Header& l2, uint16_t ether_type) {
  std::memcpy(p, l2.dst.data(), 6);
  std::memcpy(p + 6, l2.src.data(), 6);
  if (l2.vlan != 0) {
    StoreBe16(p + 12, packet::kEtherTypeVlan);
    StoreBe16(p + 14, l2.vlan & 0x0fff);
    StoreBe16(p + 16, ether_type);
  } else {
    StoreBe16(p + 12, ether_type);
  }
}

void WriteIpHeader(uint8_t* p, const ComposeSpec& spec) {
  const session::FlowKey& t = spec.tuple;
  if (t.src.is_v4()) {
    p[0] = 0x45;
    p[1] = spec.tos;
    StoreBe16(p + 2, 0);  // total length: FinalizeFrame
    StoreBe16(p + 4, spec.ipv4_id);
    StoreBe16(p + 6, spec.dont_fragment ? packet::kIpv4FlagDontFragment : 0);
    p[8] = spec.ttl;
    p[9] = t.protocol;
    StoreBe16(p + 10, 0);
    std::memcpy(p + 12, t.src.bytes().data(), 4);
    std::memcpy(p + 16, t.dst.bytes().data(), 4);
  } else {
    StoreBe32(p, (uint32_t{6} << 28) | (uint32_t{spec.tos} << 20));
    StoreBe16(p + 4, 0);  // payload length: FinalizeFrame
    p[6] = t.protocol;
    p[7] = spec.ttl;
    std::memcpy(p + 8, t.src.bytes().data(), 16);
    std::memcpy(p + 24, t.dst.bytes().data(), 16);
  }
}

}  // namespace

ComposeResult ComposeFrame(std::span<uint8_t> frame, const packet::PacketInfo& old,
                           const ComposeSpec& spec, ComposedLayout* out) {
  const session::FlowKey& t = spec.tuple;
  if (t.src.family() != t.dst.family()) return ComposeResult::kBadSpec;
  if (uint64_t{spec.body_offset} + spec.body_length > frame.size()) return ComposeResult::kBadSpec;

  // The L4 header to write, staged on the stack: it may overlap the bytes the body moves into.
  uint8_t l4[packet::kTcpMaxHeaderLength];
  uint32_t l4_len = 0;
  switch (spec.l4) {
    case L4Source::kKeep: {
      if (!old.has_l4 || (!old.is_tcp() && !old.is_udp())) return ComposeResult::kBadSpec;
      l4_len = old.payload_offset - old.l4_offset;
      if (l4_len > sizeof(l4)) return ComposeResult::kBadSpec;
      std::memcpy(l4, frame.data() + old.l4_offset, l4_len);
      StoreBe16(l4, t.src_port);
      StoreBe16(l4 + 2, t.dst_port);
      StoreBe16(l4 + (old.is_tcp() ? 16 : 6), 0);
      break;
    }
    case L4Source::kFreshUdp:
      l4_len = packet::kUdpHeaderLength;
      StoreBe16(l4, t.src_port);
      StoreBe16(l4 + 2, t.dst_port);
      StoreBe16(l4 + 4, 0);
      StoreBe16(l4 + 6, 0);
      break;
    case L4Source::kNone:
      break;
  }

  ComposedLayout& lay = *out;
  lay.l3_offset = L2Length(spec.l2);
  lay.l3_header_length = IpHeaderLength(t.src);
  lay.l4_offset = lay.l3_offset + lay.l3_header_length;
  lay.l4_header_length = l4_len;
  lay.payload_offset = lay.l4_offset + l4_len;
  lay.body_offset = lay.payload_offset + static_cast<uint32_t>(spec.metadata.size());
  lay.ip_version = t.src.is_v4() ? 4 : 6;
  lay.protocol = t.protocol;
  lay.src = t.src;
  lay.dst = t.dst;
  if (uint64_t{lay.body_offset} + spec.body_length + spec.reserve > frame.size()) {
    return ComposeResult::kNoRoom;
  }

  uint8_t* p = frame.data();
  if (lay.body_offset != spec.body_offset && spec.body_length != 0) {
    std::memmove(p + lay.body_offset, p + spec.body_offset, spec.body_length);
  }
  WriteL2(p, spec.l2, t.src.is_v4() ? packet::kEtherTypeIpv4 : packet::kEtherTypeIpv6);
  WriteIpHeader(p + lay.l3_offset, spec);
  if (l4_len != 0) std::memcpy(p + lay.l4_offset, l4, l4_len);
  if (!spec.metadata.empty()) {
    std::memcpy(p + lay.payload_offset, spec.metadata.data(), spec.metadata.size());
  }
  return ComposeResult::kOk;
}

uint32_t FinalizeFrame(std::span<uint8_t> frame, const ComposedLayout& lay,
                       uint32_t l4_payload_length) {
  uint8_t* p = frame.data();
  const uint32_t l4_total = lay.l4_header_length + l4_payload_length;
  const uint32_t l3_length = lay.l3_header_length + l4_total;
  uint8_t* ip = p + lay.l3_offset;
  if (lay.ip_version == 4) {
    StoreBe16(ip + 2, static_cast<uint16_t>(l3_length));
    StoreBe16(ip + 10, 0);
    StoreBe16(ip + 10, packet::Ipv4HeaderChecksum({ip, 20}));
  } else {
    StoreBe16(ip + 4, static_cast<uint16_t>(l4_total));
  }
  uint8_t* l4 = p + lay.l4_offset;
  const std::span<const uint8_t> segment(l4, l4_total);
  if (lay.l4_header_length != 0 && lay.protocol == packet::kIpProtoUdp) {
    StoreBe16(l4 + 4, static_cast<uint16_t>(l4_total));
    StoreBe16(l4 + 6, 0);
    StoreBe16(l4 + 6, packet::UdpChecksum(lay.src, lay.dst, segment));
  } else if (lay.l4_header_length != 0 && lay.protocol == packet::kIpProtoTcp) {
    StoreBe16(l4 + 16, 0);
    StoreBe16(l4 + 16, packet::TransportChecksum(lay.src, lay.dst, packet::kIpProtoTcp, segment));
  }
  // kNone bodies (ICMP, ICMPv6, other protocols) are carried byte-identical: their checksums
  // cover only themselves (ICMP) or a pseudo-header with the restored original addresses.
  return lay.l4_offset + l4_total;
}

}  // namespace ssr::pipeline
