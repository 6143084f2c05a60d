// SPDX-License-Identifier: Apache-2.0
// What the role files of the Pipeline share (private to libssr/src/pipeline; see the file list in
// pipeline.h): the received packet, trailer sizes, small helpers, and the per-packet core
// helpers every output path calls (defined here so each role file can inline them).
#ifndef SSR_PIPELINE_PIPELINE_INTERNAL_H_
#define SSR_PIPELINE_PIPELINE_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "io/port.h"
#include "packet/header_views.h"
#include "packet/packet_info.h"
#include "packet/protocol.h"
#include "pipeline/encap.h"
#include "pipeline/outer_fragment.h"
#include "pipeline/peer_hop.h"
#include "pipeline/pipeline.h"
#include "session/flow_key.h"
#include "session/flow_owner.h"
#include "session/session_table.h"
#include "session/tcp_state.h"
#include "svr/metadata.h"

namespace ssr::pipeline {

// One received frame with its parse and its tuple (side = receiving interface).
struct Pipeline::Packet {
  io::Frame* frame = nullptr;
  packet::PacketInfo info;
  session::FlowKey key;
  bool reassembled = false;  // a datagram this router reassembled from IP fragments (§2.14.1)
  std::span<uint8_t> buffer() const { return frame->buffer(); }
};

// Tail room reserved for trailers: CBC payload (16 IV + up to 16 padding) or GCM (8 + 16),
// plus a hop tag (HMAC up to 32, or a GCM trailer of 24).
inline constexpr uint32_t kTrailerReserve = 32 + 32 + 32;

// Whether the §2.6 handshake still wants metadata on this direction's packets (forward: until
// reverse metadata arrived; reverse: until a forward packet without metadata arrived). ToPeer
// and Relay apply their own further rules (TCP only on SYN / SYN-ACK, relay only what arrived).
inline bool MetadataPending(const session::Session& s, session::Direction d) {
  const uint16_t flag = d == session::Direction::kForward ? session::kSendForwardMetadata
                                                          : session::kSendReverseMetadata;
  return (s.flags & flag) != 0;
}

inline svr::SessionContext ContextOf(const session::FlowKey& k) {
  return svr::SessionContext{k.src, k.dst, k.src_port, k.dst_port, k.protocol};
}

inline bool IsTcpOrUdp(uint8_t protocol) {
  return protocol == packet::kIpProtoTcp || protocol == packet::kIpProtoUdp;
}

// The header fields every forwarded packet inherits from the received one (one router hop).
inline ComposeSpec ForwardedSpec(const packet::PacketInfo& info, const L2Header& l2,
                                 const session::FlowKey& tuple) {
  ComposeSpec spec;
  spec.l2 = l2;
  spec.tuple = tuple;
  spec.ttl = static_cast<uint8_t>(info.ttl - 1);
  spec.tos = info.tos;
  spec.ipv4_id = static_cast<uint16_t>(info.fragment_id);
  spec.dont_fragment = info.dont_fragment;
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Per-packet core helpers (declared in pipeline.h, part of the core).

inline void Pipeline::Transmit(size_t interface, const io::Frame& frame) {
  if (frame.handle == kLargeFrameHandle) [[unlikely]] {  // never handed to a port
    TransmitLarge(interface, frame);
    return;
  }
  std::vector<io::Frame>& q = tx_[interface];
  if (q.size() == q.capacity()) FlushTx();
  q.push_back(frame);
}

inline bool Pipeline::ResolveL2(size_t interface, const util::IpAddress& next_hop, uint16_t vlan,
                                L2Header* l2) {
  const packet::MacAddress* mac = neighbors_.Find(static_cast<uint16_t>(interface), next_hop);
  if (mac == nullptr) {
    Count(PipelineCounter::kNoNeighbor);
    neighbors_.NoteMiss(static_cast<uint16_t>(interface), next_hop);  // resolved off the hot path
    return false;
  }
  l2->dst = *mac;
  l2->src = macs_[interface];
  l2->vlan = vlan;
  return true;
}

// Accounts the packet in its session; false (counted) when the TCP tracker refuses it.
inline bool Pipeline::Finish(session::Session& s, session::Direction d,
                             const session::TcpSegment& tcp, uint64_t now_ms) {
  switch (sessions_->Update(s, d, tcp, now_ms)) {
    case session::UpdateResult::kOk:
    case session::UpdateResult::kStateChanged:
      return true;
    case session::UpdateResult::kInvalid:
      Count(PipelineCounter::kTcpInvalid);
      return false;
    case session::UpdateResult::kRstOutOfWindow:  // docs/protocol.md §6
      Count(PipelineCounter::kTcpRstOutOfWindow);
      return false;
    case session::UpdateResult::kFinOutOfWindow:
      Count(PipelineCounter::kTcpFinOutOfWindow);
      return false;
  }
  return false;
}

// The TCP segment of a packet whose TCP header the parse located (a LAN packet, or a WAN packet
// whose outer TCP header is the original one): payload_length is the original payload's.
// Anything but TCP: flags only (ignored by the table for non-TCP sessions).
inline session::TcpSegment ParsedTcpSegment(const uint8_t* frame, const packet::PacketInfo& info,
                                            size_t payload_length) {
  if (!info.is_tcp()) {
    session::TcpSegment seg;
    seg.flags = info.tcp_flags;
    return seg;
  }
  return session::ReadTcpSegment(
      std::span<const uint8_t>(frame + info.l4_offset, info.tcp_header_length),
      static_cast<uint32_t>(payload_length));
}

inline Disposition Pipeline::SendToLan(size_t interface, Packet& pkt, uint32_t l3_offset,
                                       bool fresh_ipv4_id) {
  io::Frame& f = *pkt.frame;
  if (f.length - l3_offset > if_mtu_[interface] || f.handle == kLargeFrameHandle) [[unlikely]] {
    return SendLanFragments(interface, pkt, l3_offset, fresh_ipv4_id);
  }
  Transmit(interface, f);
  return Disposition::kForwarded;
}

inline bool Pipeline::IsWan(size_t interface) const {
  return interface < router().interfaces.size() &&
         router().interfaces[interface].role == config::InterfaceRole::kWan;
}

inline int Pipeline::SessionClass(const session::FlowKey& forward) const {
  return static_cast<int>(IsWan(forward.side) ? session::PortClass(forward.dst_port)
                                              : session::FlowClass(forward));
}

inline Pipeline::PeerState* Pipeline::FindPeer(size_t interface, const util::IpAddress& address) {
  // Routers have a handful of peers: a scan is faster than a hash here.
  for (auto& p : state_.peers) {
    if (p->PathIndexFor(interface, address) < p->paths.size()) return p.get();
  }
  return nullptr;
}

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_PIPELINE_INTERNAL_H_
