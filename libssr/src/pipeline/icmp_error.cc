// SPDX-License-Identifier: Apache-2.0
// Pipeline ICMP errors (docs/protocol.md §2.11.1): an ICMP / ICMPv6 error message is never the
// first packet of a session, whatever the policy allows for ICMP. It is accepted only when the
// packet it quotes is one this router sent on the side the error arrived on: the quoted tuple,
// reversed, must be the key of a live session on that side (addresses, protocol, ports, in the
// direction the router rewrote it to), the error must be addressed to the quoted packet's
// source, and for TCP the quoted sequence number must lie in the range the session tracked for
// that direction. Everything else is dropped and counted.
//
// A matched error from the LAN of a session toward a peer is relayed along the session
// (RelayIcmpError): a UDP packet on the session's waypoint tuple, like a control packet (O-9),
// whose metadata names the session (UUID) and the error's source (TLV 20 / 21, ICMP Error
// Location Address) and whose body is the error's 8-byte ICMP header followed by the quoted 8
// transport bytes with the ports zeroed (they are this side's). The far router
// (DeliverRelayedIcmpError) finds the session by tuple and UUID and rebuilds an error for its own
// end host: from the address that host sent the quoted packet to, quoting that host's original
// tuple (IP header + 8 bytes, ports / echo identifier of that tuple, the TCP sequence number or
// UDP length as relayed), checksums computed. Errors matched on a WAN side, on local breakout or
// transit sessions are not relayed (counted).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/parser.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"
#include "session/session.h"
#include "session/translation.h"

namespace ssr::pipeline {

using session::Direction;
using session::FlowKey;
using session::Session;

namespace {

// Whether `seq`, the sequence number of a TCP segment the router forwarded in direction d, is
// one it can have sent: not ahead of the end of the highest segment seen from d (next_seq), and
// not further behind it than what can still be unacknowledged or in the network. Data in flight
// is bounded by the largest window the receiver advertised (W, already scaled); twice that leaves
// room for what the sender sent after the quoted segment while the error was on its way. With no
// window seen from the receiver yet (a SYN), 65535 bytes (what a SYN with data can carry, with
// room). No segment tracked from d at all: the router never forwarded one, so nothing can be
// quoted.
bool QuotedSeqPlausible(const Session& s, Direction d, uint32_t seq) {
  const size_t i = static_cast<size_t>(d);
  const size_t r = static_cast<size_t>(session::Opposite(d));
  const uint8_t seq_bit = d == Direction::kForward ? session::kTrackSeqForward
                                                   : session::kTrackSeqReverse;
  const uint8_t window_bit = d == Direction::kForward ? session::kTrackWindowReverse
                                                      : session::kTrackWindowForward;
  if ((s.tcp_track & seq_bit) == 0) return false;
  constexpr int64_t kNoWindowBehind = 65535;
  constexpr int64_t kMaxBehind = (int64_t{1} << 31) - 1;
  int64_t behind = kNoWindowBehind;
  if ((s.tcp_track & window_bit) != 0) {
    behind = std::min(kMaxBehind, std::max(kNoWindowBehind, 2 * int64_t{s.tcp_max_window[r]}));
  }
  const int64_t distance = static_cast<int32_t>(seq - s.tcp_next_seq[i]);
  return distance <= 0 && distance >= -behind;
}

}  // namespace

Disposition Pipeline::HandleIcmpError(Packet& pkt, uint64_t now_ms) {
  const packet::PacketInfo& info = pkt.info;
  packet::IcmpQuote q;
  if (packet::ParseIcmpQuote(pkt.frame->bytes(), info, &q) != packet::IcmpQuoteResult::kOk) {
    Count(PipelineCounter::kIcmpErrorMalformed);
    return Disposition::kDropped;
  }
  // The packet the error is about, as this router sent it on this side; answers to it would
  // arrive with the reversed tuple, which is the session's key for the other direction.
  FlowKey quoted;
  quoted.src = q.src;
  quoted.dst = q.dst;
  quoted.protocol = q.l4_protocol;
  quoted.src_port = q.src_port;
  quoted.dst_port = q.dst_port;
  quoted.side = pkt.key.side;
  quoted.vlan = pkt.key.vlan;
  // An error goes back to the sender of the packet it quotes (RFC 792 / RFC 4443).
  if (info.dst != q.src) {
    Count(PipelineCounter::kIcmpErrorNoSession);
    return Disposition::kDropped;
  }
  // Lookup finds live sessions only (a quarantined slot's key belongs to no session).
  const session::LookupResult hit = sessions_->Lookup(session::Reversed(quoted));
  if (!hit) {
    Count(PipelineCounter::kIcmpErrorNoSession);
    return Disposition::kDropped;
  }
  // Matching neither refreshes nor answers the session: the error is no packet of it.
  const Session& s = *hit.session;
  // The quoted packet went the other way than the answers the key matches.
  const Direction sent = session::Opposite(hit.direction);
  if (q.has_tcp_seq && s.protocol_class == session::ProtocolClass::kTcp &&
      !QuotedSeqPlausible(s, sent, q.tcp_seq)) {
    Count(PipelineCounter::kIcmpErrorBadSeq);
    return Disposition::kDropped;
  }
  const bool peer_session = (s.flags & (session::kLocalBreakout | session::kTransit)) == 0 &&
                            s.peer < state_.peers.size();
  if (!peer_session || IsWan(pkt.key.side)) {
    Count(PipelineCounter::kIcmpErrorNotRelayed);
    return Disposition::kDropped;
  }
  return RelayIcmpError(s, hit.direction, pkt, q, now_ms);
}

// The relay body [libssr]: the ICMP header (type, code, checksum 0, rest of header) and the 8
// quoted transport bytes, ports zeroed.
inline constexpr uint32_t kRelayBodyLength = 16;

Disposition Pipeline::RelayIcmpError(const Session& s, Direction d, Packet& pkt,
                                     const packet::IcmpQuote& q, uint64_t now_ms) {
  const packet::PacketInfo& info = pkt.info;
  PeerState& peer = *state_.peers[s.peer];
  // Answers to the quoted packet travel in d: so does the error, on the waypoint tuple of d.
  FlowKey outer = session::TranslatedTuple(s, d);
  const uint8_t session_protocol = outer.protocol;
  outer.protocol = packet::kIpProtoUdp;
  L2Header l2;
  const PeerState::Path& path = peer.PathForOuter(outer);
  if (!ResolveL2(path.wan, outer.dst, outer.vlan, &l2)) return Disposition::kDropped;
  svr::Metadata md;
  md.security_id = peer.send->send_key_id();
  md.Set(svr::TlvField::kSecurityId);
  md.control_protocol = session_protocol;  // [libssr] TLV 61, as on control messages
  md.Set(svr::TlvField::kControlProtocol);
  md.session_uuid = s.uuid;
  md.Set(svr::TlvField::kSessionUuid);
  md.SetIcmpErrorLocation(info.src);
  const size_t md_len = EncodeWith(peer, md);
  if (md_len == 0) {
    Count(PipelineCounter::kCryptoFail);
    return Disposition::kDropped;
  }
  // Stage the body in place: the ICMP header stays, the quoted transport bytes follow it.
  uint8_t* icmp = pkt.frame->data + info.l4_offset;
  std::memmove(icmp + packet::kIcmpHeaderLength, pkt.frame->data + q.l4_offset, 8);
  packet::StoreBe16(icmp + 2, 0);
  if (IsTcpOrUdp(q.l4_protocol)) packet::StoreBe32(icmp + packet::kIcmpHeaderLength, 0);
  ComposeSpec spec;
  spec.l2 = l2;
  spec.tuple = outer;
  spec.l4 = L4Source::kFreshUdp;
  spec.metadata = std::span<const uint8_t>(md_buf_.data(), md_len);
  spec.body_offset = info.l4_offset;
  spec.body_length = kRelayBodyLength;
  spec.reserve = kTrailerReserve;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  const Disposition out = HopSealAndSend(peer, path, *pkt.frame, lay, md_len + kRelayBodyLength, now_ms);
  if (out == Disposition::kForwarded) Count(PipelineCounter::kIcmpErrorRelayed);
  return out;
}

Disposition Pipeline::DeliverRelayedIcmpError(Packet& pkt, const svr::Metadata& md,
                                              size_t md_total, size_t l4_len) {
  const session::LookupResult hit =
      md.Has(svr::TlvField::kSessionUuid) ? FindControlledSession(pkt.key, md) : session::LookupResult{};
  if (!hit) {
    Count(PipelineCounter::kIcmpErrorNoSession);
    return Disposition::kDropped;
  }
  const Session& s = *hit.session;
  // The quoted packet is the one our end host sent the other way; it arrived with key(sent).
  const Direction sent = session::Opposite(hit.direction);
  const FlowKey& orig = s.key(sent);
  if ((s.flags & (session::kTransit | session::kLocalBreakout)) != 0 || IsWan(orig.side)) {
    Count(PipelineCounter::kIcmpErrorNotRelayed);
    return Disposition::kDropped;
  }
  const bool v4 = orig.src.is_v4();
  if (l4_len < md_total + kRelayBodyLength || md.icmp_error_location.is_v4() != v4 ||
      !packet::IcmpIsError(v4 ? 4 : 6, pkt.frame->data[pkt.info.payload_offset + md_total])) {
    Count(PipelineCounter::kIcmpErrorMalformed);
    return Disposition::kDropped;
  }
  // The relayed header and transport bytes, before the frame is rewritten around them.
  uint8_t relayed[kRelayBodyLength];
  std::memcpy(relayed, pkt.frame->data + pkt.info.payload_offset + md_total, kRelayBodyLength);

  // Toward the end host, as ToLan would send a packet of hit.direction.
  util::IpAddress next_hop = orig.src;
  if (hit.direction == Direction::kForward) {
    const config::ServiceRoute* route = SessionRoute(s);
    if (route != nullptr && route->kind == config::ServiceRoute::Kind::kNextHop && route->gateway) {
      next_hop = *route->gateway;
    }
  }
  L2Header l2;
  if (!ResolveL2(orig.side, next_hop, orig.vlan, &l2)) return Disposition::kDropped;
  const uint32_t quoted_ip = v4 ? 20 : 40;
  const uint32_t message = packet::kIcmpHeaderLength + quoted_ip + 8;
  ComposeSpec spec;
  spec.l2 = l2;
  spec.tuple.src = orig.dst;  // the host the quoted packet went to, as our end host knows it
  spec.tuple.dst = orig.src;
  spec.tuple.protocol = v4 ? packet::kIpProtoIcmp : packet::kIpProtoIcmpv6;
  spec.l4 = L4Source::kNone;
  spec.body_offset = 0;
  spec.body_length = 0;
  spec.reserve = message;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), pkt.info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  uint8_t* m = pkt.frame->data + lay.body_offset;
  std::memcpy(m, relayed, packet::kIcmpHeaderLength);
  // The quoted packet: our end host's original tuple, IP header + 8 transport bytes.
  uint8_t* ip = m + packet::kIcmpHeaderLength;
  std::memset(ip, 0, quoted_ip);
  if (v4) {
    ip[0] = 0x45;
    packet::StoreBe16(ip + 2, static_cast<uint16_t>(quoted_ip + 8));
    ip[8] = 64;
    ip[9] = orig.protocol;
    std::memcpy(ip + 12, orig.src.bytes().data(), 4);
    std::memcpy(ip + 16, orig.dst.bytes().data(), 4);
    packet::StoreBe16(ip + 10, packet::Ipv4HeaderChecksum({ip, 20}));
  } else {
    packet::StoreBe32(ip, uint32_t{6} << 28);
    packet::StoreBe16(ip + 4, 8);
    ip[6] = orig.protocol;
    ip[7] = 64;
    std::memcpy(ip + 8, orig.src.bytes().data(), 16);
    std::memcpy(ip + 24, orig.dst.bytes().data(), 16);
  }
  uint8_t* l4 = ip + quoted_ip;
  std::memcpy(l4, relayed + packet::kIcmpHeaderLength, 8);
  if (IsTcpOrUdp(orig.protocol)) {
    packet::StoreBe16(l4, orig.src_port);
    packet::StoreBe16(l4 + 2, orig.dst_port);
  } else if (session::IsIcmpProtocol(orig.protocol)) {
    packet::StoreBe16(l4 + 4, orig.src_port);  // the echo identifier
  }
  packet::StoreBe16(m + 2, 0);
  const std::span<const uint8_t> msg(m, message);
  packet::StoreBe16(m + 2, v4 ? packet::IcmpChecksum(msg)
                              : packet::TransportChecksum(spec.tuple.src, spec.tuple.dst,
                                                          packet::kIpProtoIcmpv6, msg));
  pkt.frame->length = FinalizeFrame(pkt.buffer(), lay, message);
  Count(PipelineCounter::kIcmpErrorDelivered);
  Transmit(orig.side, *pkt.frame);
  return Disposition::kForwarded;
}

}  // namespace ssr::pipeline
