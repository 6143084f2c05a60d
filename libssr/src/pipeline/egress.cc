// SPDX-License-Identifier: Apache-2.0
// Pipeline egress: packets leaving toward the LAN. ToLan restores the original tuple (payload
// decrypted when the session is encrypted end to end); EgressFirst creates the egress session
// from received forward metadata; SendReset answers a TCP first packet without SYN (§7.27).
#include <optional>
#include <string_view>

#include "packet/byte_order.h"
#include "pipeline/burst_open.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"
#include "session/translation.h"

namespace ssr::pipeline {

using packet::PacketInfo;
using session::Direction;
using session::FlowKey;
using session::Session;
using svr::TlvField;

Disposition Pipeline::ToLan(Session& s, Direction d, Packet& pkt, size_t md_total,
                            size_t l4_payload_len, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  if (info.ttl <= 1) {
    Count(PipelineCounter::kTtlExceeded);
    return Disposition::kDropped;
  }
  const FlowKey inner = session::TranslatedTuple(s, d);
  size_t body_len = l4_payload_len - md_total;
  if ((s.flags & (session::kAdaptivePending | session::kUdpTransform)) ==
          session::kAdaptivePending &&
      body_len != 0) [[unlikely]] {
    // Ingress of an adaptive TCP session: the server spoke first (§4.10). (A UDP-transformed
    // segment's body holds its TCP header: not judged here.)
    AdaptiveDecide(s, info, std::span<const uint8_t>(), /*from_client=*/false);
  } else if ((s.flags & (session::kPayloadEncrypted | session::kAdaptiveUnconfirmed)) ==
             session::kPayloadEncrypted) {
    const ServiceCrypto& sc = *state_.services[s.service];
    crypto::PacketCrypto* pc = sc.payload.get();
    size_t plain = 0;
    crypto::CryptoResult r = crypto::CryptoResult::kNotConfigured;
    if (open_ != nullptr && open_->opened) {
      // Decrypted with its burst (burst_open.h): counted as OpenPayload counts.
      open_->opened = false;
      (void)sc.SessionKey(s, CryptoNow(now_ms));
      r = pc->CountBurstOpened(open_->open_result);
      plain = open_->open_len;
    } else if (pc != nullptr) {
      r = pc->OpenPayload(sc.SessionKey(s, CryptoNow(now_ms)),
                          pkt.buffer().subspan(info.payload_offset), md_total, l4_payload_len,
                          CryptoNow(now_ms), &plain);
    }
    if (pc == nullptr || r != crypto::CryptoResult::kOk) {
      Count(PipelineCounter::kPayloadDecryptFail);
      return Disposition::kDropped;
    }
    body_len = plain;
  }
  const bool keep_l4 = inner.protocol == info.l4_protocol;
  const bool transformed = !keep_l4 && inner.protocol == packet::kIpProtoTcp &&
                           (s.flags & session::kUdpTransform) != 0;
  if (!keep_l4 && (info.l4_protocol != packet::kIpProtoUdp ||
                   (IsTcpOrUdp(inner.protocol) && !transformed) ||
                   (transformed && body_len < packet::kTcpMinHeaderLength) ||
                   (session::IsIcmpProtocol(inner.protocol) && body_len < packet::kIcmpHeaderLength))) {
    Count(PipelineCounter::kProtocolMismatch);
    return Disposition::kDropped;
  }
  // TCP state follows the original flags: the outer TCP header carries them unchanged, and a
  // UDP-transformed session carries the whole original segment (§2.12).
  // Sequence numbers too, for the RST/FIN window check (§6): the body is plaintext here.
  const size_t body_at = info.payload_offset + md_total;
  const session::TcpSegment tcp =
      transformed ? session::ReadTcpSegment(std::span<const uint8_t>(pkt.frame->data + body_at, body_len))
                  : ParsedTcpSegment(pkt.frame->data, info, body_len);
  if (!Finish(s, d, tcp, now_ms)) return Disposition::kDropped;
  // Where the TCP header sits in the received frame must not change for kKeep: its length is
  // taken from the parse, and the segment after it is what the body is.
  util::IpAddress next_hop = inner.dst;
  if (d == Direction::kForward) {
    const config::ServiceRoute* route = SessionRoute(s);
    if (route != nullptr && route->kind == config::ServiceRoute::Kind::kNextHop && route->gateway) {
      next_hop = *route->gateway;
    }
  }
  L2Header l2;
  if (!ResolveL2(inner.side, next_hop, inner.vlan, &l2)) return Disposition::kDropped;
  if (inner.protocol == packet::kIpProtoTcp && (tcp.flags & packet::kTcpSyn) != 0) {  // §2.7.1
    ClampSynMss(s, info.ip_version == 6,
                transformed ? pkt.buffer().subspan(body_at, body_len)
                            : pkt.buffer().subspan(info.l4_offset, info.l4_length));
  }
  ComposeSpec spec = ForwardedSpec(info, l2, inner);
  spec.l4 = keep_l4 ? L4Source::kKeep : L4Source::kNone;
  spec.body_offset = static_cast<uint32_t>(info.payload_offset + md_total);
  spec.body_length = static_cast<uint32_t>(body_len);
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  pkt.frame->length = FinalizeFrame(pkt.buffer(), lay, spec.body_length);
  // Over the LAN MTU: split (§2.14.2). An IPv4 header rebuilt from an IPv6 outer one has id 0.
  return SendToLan(inner.side, pkt, lay.l3_offset,
                   /*fresh_ipv4_id=*/info.ip_version == 6);
}

Disposition Pipeline::EgressFirst(PeerState& peer, Packet& pkt, const svr::Metadata& md,
                                  size_t md_total, size_t l4_len, uint64_t now_ms) {
  Count(PipelineCounter::kMdReceivedForward);
  if (!md.Has(TlvField::kSessionUuid) || !md.Has(TlvField::kTenantName) ||
      !md.Has(TlvField::kServiceName)) {
    Count(PipelineCounter::kMdIncomplete);
    return Disposition::kDropped;
  }
  const auto name = [](std::span<const uint8_t> b) {
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  };
  const config::Config& cfg = config();
  const std::optional<size_t> tenant = cfg.TenantIndex(name(md.tenant_name));
  const std::optional<size_t> service = cfg.ServiceIndex(name(md.service_name));
  if (!tenant || !service) {
    Count(PipelineCounter::kMdUnknownName);
    return Disposition::kDropped;
  }
  if (!state_.policy->Allowed(*service, *tenant)) {
    Count(PipelineCounter::kEgressDenied);
    return Disposition::kDropped;
  }
  // The names are only what the previous hop claims: the addresses must agree with them
  // (docs/protocol.md §6). The destination, protocol and port must select the named service
  // exactly as an ingress with this config would have selected it (MatchService: longest
  // service prefix, first matching transport rule), so a peer can neither reach an address or
  // port outside the service nor borrow a permitted service's name for a more specific one that
  // is denied. Checked before the route, so a transit router refuses it too.
  const svr::SessionContext& fc = md.forward_context;
  if (state_.policy->MatchService(fc.destination, fc.protocol, fc.destination_port) != service) {
    Count(PipelineCounter::kEgressServiceMismatch);
    return Disposition::kDropped;
  }
  // A client on one of our own LAN subnets reaches us over the LAN, never through a peer.
  if (state_.policy->OnLanSubnet(fc.source)) {
    Count(PipelineCounter::kEgressSourceImplausible);
    return Disposition::kDropped;
  }
  uint32_t route_index = 0;
  const config::ServiceRoute* route = ChooseRoute(*service, &route_index);  // counted if none
  if (route == nullptr) return Disposition::kDropped;
  // A TCP flag combination no TCP sends (SYN+FIN, ...) opens no session here either (§6). The
  // flags are those of the outer TCP header, or of the transformed segment when it is readable
  // (an end-to-end encrypted one is checked by the state machine after decryption).
  if (fc.protocol == packet::kIpProtoTcp) {
    const size_t body_at = pkt.info.payload_offset + md_total;
    const bool outer_tcp = pkt.info.l4_protocol == packet::kIpProtoTcp;
    const bool readable = outer_tcp || (!md.Has(TlvField::kSessionEncrypted) &&
                                        l4_len >= md_total + packet::kTcpMinHeaderLength);
    const uint8_t flags = outer_tcp ? pkt.info.tcp_flags : pkt.frame->data[body_at + 13];
    if (readable && !session::TcpFlagsValid(flags)) {
      Count(PipelineCounter::kTcpBadFlags);
      return Disposition::kDropped;
    }
  }
  if (route->kind == config::ServiceRoute::Kind::kPeer) {
    return TransitFirst(peer, *route, pkt, md, md_total, l4_len, *tenant, *service, now_ms);
  }
  const uint8_t outer = pkt.info.l4_protocol;
  // TCP travels as TCP, or as UDP with UDP transform (§2.12); everything else as UDP.
  const bool fits = outer == packet::kIpProtoTcp ? fc.protocol == packet::kIpProtoTcp : true;
  if (!fits || fc.source.family() != fc.destination.family()) {
    Count(PipelineCounter::kProtocolMismatch);
    return Disposition::kDropped;
  }
  FlowKey original;
  original.src = fc.source;
  original.dst = fc.destination;
  original.protocol = fc.protocol;
  original.src_port = fc.source_port;
  original.dst_port = session::IsIcmpProtocol(fc.protocol) ? 0 : fc.destination_port;
  session::SessionInit init;
  init.forward = pkt.key;
  init.reverse = session::Reversed(original);
  init.reverse.side = static_cast<uint16_t>(route->interface);
  init.reverse.vlan = 0;
  init.tenant = static_cast<uint32_t>(*tenant);
  init.service = static_cast<uint32_t>(*service);
  init.peer = static_cast<uint32_t>(peer.index);
  // The path the session arrived on (its replies leave on it: stats and MSS clamping use it).
  const size_t arrived = peer.PathIndexFor(pkt.key.side, pkt.key.src);
  init.peer_path = static_cast<uint32_t>(arrived < peer.paths.size() ? arrived : 0);
  init.route = route_index;
  init.uuid = md.session_uuid;
  init.context = md.Has(TlvField::kSecurityId) ? md.security_id : peer.recv->send_key_id();
  init.flags = session::kSendReverseMetadata;
  if (md.Has(TlvField::kSessionEncrypted)) init.flags |= session::kPayloadEncrypted;
  // The ingress's payload key (TLV 62); without it, this router's current key (§4.7).
  if (md.Has(TlvField::kPayloadKeyId)) init.payload_key = md.payload_key_id;
  if (fc.protocol == packet::kIpProtoTcp && outer == packet::kIpProtoUdp) {
    init.flags |= session::kUdpTransform;
  }
  // A TCP session re-signalled midstream (not a SYN) answers on any segment (§2.9). With a move
  // sequence above 0 the signed metadata says the opening router has tracked the connection
  // since its SYN and this router lost it: picked up midstream, also under reset / block
  // enforcement, which applies again from the next segment (§2.8).
  const bool midstream =
      outer == packet::kIpProtoTcp && (pkt.info.tcp_flags & packet::kTcpSyn) == 0;
  if (midstream) init.flags |= session::kResignal;
  const bool resumed = midstream && md.Has(TlvField::kMoveSequence) && md.move_sequence != 0;
  const bool strict =
      fc.protocol == packet::kIpProtoTcp &&
      cfg.services[*service].tcp_state_enforcement != config::TcpStateEnforcement::kAllow;
  if (strict && !resumed) init.flags |= session::kStrictTcp;
  init.protocol_class = session::ClassifyProtocol(fc.protocol, fc.source_port, fc.destination_port);
  Session* const s = AdmitSession(init, /*waypoints=*/nullptr, /*from_metadata=*/true, now_ms);
  if (s == nullptr) return Disposition::kDropped;
  if (md.Has(TlvField::kMoveSequence)) s->move_seq = md.move_sequence;  // §2.9: rebinds need more
  const Disposition out = ToLan(*s, Direction::kForward, pkt, md_total, l4_len, now_ms);
  if (strict && resumed && s->live()) s->flags |= session::kStrictTcp;
  return out;
}

Disposition Pipeline::SendReset(size_t interface, Packet& pkt) {
  const PacketInfo& info = pkt.info;
  const bool had_ack = (info.tcp_flags & packet::kTcpAck) != 0;
  const uint32_t seg_len = info.payload_length + ((info.tcp_flags & packet::kTcpSyn) ? 1 : 0) +
                           ((info.tcp_flags & packet::kTcpFin) ? 1 : 0);
  L2Header l2;
  l2.dst = packet::EthernetView(pkt.frame->bytes()).src_mac();
  l2.src = macs_[interface];
  l2.vlan = pkt.key.vlan;
  ComposeSpec spec;
  spec.l2 = l2;
  spec.tuple = session::Reversed(pkt.key);
  spec.ttl = 64;
  spec.l4 = L4Source::kKeep;
  spec.body_offset = info.payload_offset;
  spec.body_length = 0;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  uint8_t* t = pkt.frame->data + lay.l4_offset;
  packet::StoreBe32(t + 4, had_ack ? info.tcp_ack : 0);
  packet::StoreBe32(t + 8, had_ack ? 0 : info.tcp_seq + seg_len);
  t[12] = static_cast<uint8_t>(5 << 4);  // no options
  t[13] = had_ack ? packet::kTcpRst : static_cast<uint8_t>(packet::kTcpRst | packet::kTcpAck);
  packet::StoreBe16(t + 14, 0);  // window
  packet::StoreBe16(t + 18, 0);  // urgent pointer
  lay.l4_header_length = packet::kTcpMinHeaderLength;
  pkt.frame->length = FinalizeFrame(pkt.buffer(), lay, 0);
  Count(PipelineCounter::kTcpNotSynReset);
  Transmit(interface, *pkt.frame);
  return Disposition::kForwarded;
}

}  // namespace ssr::pipeline
