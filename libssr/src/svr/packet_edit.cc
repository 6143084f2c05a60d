// SPDX-License-Identifier: Apache-2.0
#include "svr/packet_edit.h"

#include <cstring>

#include "packet/checksum.h"
#include "packet/header_views.h"
#include "packet/protocol.h"

namespace ssr::svr {

using packet::PacketInfo;

std::string_view EditResultName(EditResult r) { return CounterName(r); }

namespace {

EditResult CheckEditable(std::span<uint8_t> buffer, size_t frame_length, const PacketInfo& info) {
  if (!info.has_l4 || (!info.is_tcp() && !info.is_udp())) return EditResult::kNotTcpOrUdp;
  if (info.is_fragment) return EditResult::kFragment;
  if (frame_length > buffer.size() || size_t{info.l3_offset} + info.l3_length > frame_length ||
      size_t{info.payload_offset} + info.payload_length != size_t{info.l3_offset} + info.l3_length) {
    return EditResult::kInconsistent;
  }
  return EditResult::kOk;
}

}  // namespace

void FixLengthsAndChecksums(std::span<uint8_t> buffer, const PacketInfo& info, size_t l3_length) {
  std::span<uint8_t> l3 = buffer.subspan(info.l3_offset, l3_length);
  const size_t l4_length = l3_length - (info.l4_offset - info.l3_offset);
  if (info.is_ipv4()) {
    packet::Ipv4HeaderView ip(l3);
    ip.set_total_length(static_cast<uint16_t>(l3_length));
    ip.set_checksum(0);
    ip.set_checksum(packet::Ipv4HeaderChecksum(l3.first(info.l3_header_length)));
  } else {
    packet::Ipv6HeaderView ip(l3);
    ip.set_payload_length(static_cast<uint16_t>(l3_length - packet::kIpv6HeaderLength));
  }
  std::span<uint8_t> segment = buffer.subspan(info.l4_offset, l4_length);
  if (info.is_udp()) {
    packet::UdpHeaderView udp(segment);
    udp.set_length(static_cast<uint16_t>(l4_length));
    udp.set_checksum(0);
    udp.set_checksum(packet::UdpChecksum(info.src, info.dst, segment));
  } else {
    packet::TcpHeaderView tcp(segment);
    tcp.set_checksum(0);
    tcp.set_checksum(packet::TransportChecksum(info.src, info.dst, packet::kIpProtoTcp, segment));
  }
}

EditResult InsertMetadata(std::span<uint8_t> buffer, size_t* frame_length, const PacketInfo& info,
                          std::span<const uint8_t> metadata, size_t mtu) {
  if (EditResult r = CheckEditable(buffer, *frame_length, info); r != EditResult::kOk) return r;
  if (info.is_tcp() && (info.tcp_flags & packet::kTcpSyn) == 0) return EditResult::kTcpNotSyn;
  const size_t new_l3_length = size_t{info.l3_length} + metadata.size();
  if (new_l3_length > packet::kMaxIpPacketLength) return EditResult::kTooLong;
  if (new_l3_length > mtu) return EditResult::kExceedsMtu;
  const size_t new_frame_length = size_t{info.l3_offset} + new_l3_length;
  if (new_frame_length > buffer.size()) return EditResult::kNoRoom;

  uint8_t* payload = buffer.data() + info.payload_offset;
  if (info.payload_length != 0) std::memmove(payload + metadata.size(), payload, info.payload_length);
  if (!metadata.empty()) std::memcpy(payload, metadata.data(), metadata.size());
  FixLengthsAndChecksums(buffer, info, new_l3_length);
  *frame_length = new_frame_length;
  return EditResult::kOk;
}

EditResult RemoveMetadata(std::span<uint8_t> buffer, size_t* frame_length, const PacketInfo& info,
                          size_t length) {
  if (EditResult r = CheckEditable(buffer, *frame_length, info); r != EditResult::kOk) return r;
  if (info.payload_length < length) return EditResult::kPayloadTooShort;
  uint8_t* payload = buffer.data() + info.payload_offset;
  const size_t rest = info.payload_length - length;
  if (rest != 0) std::memmove(payload, payload + length, rest);
  const size_t new_l3_length = size_t{info.l3_length} - length;
  FixLengthsAndChecksums(buffer, info, new_l3_length);
  *frame_length = size_t{info.l3_offset} + new_l3_length;
  return EditResult::kOk;
}

}  // namespace ssr::svr
