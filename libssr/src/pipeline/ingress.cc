// SPDX-License-Identifier: Apache-2.0
// Pipeline ingress: packets from the LAN. A first packet runs the policy and creates the session
// (toward a peer, or local breakout to a LAN next hop); every packet of a session toward a peer
// is encapsulated there (ToPeer: metadata while the handshake wants it, payload encryption, hop
// authentication).
#include <algorithm>

#include "crypto/adaptive.h"
#include "packet/byte_order.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"
#include "pipeline/pmtu.h"
#include "pipeline/svr_fragment_path.h"
#include "session/translation.h"

namespace ssr::pipeline {

using packet::PacketInfo;
using session::Direction;
using session::FlowKey;
using session::Session;

namespace {

// The service's payload policy has adaptive encryption on (docs/protocol.md §4.10).
bool AdaptiveOn(const config::Config& cfg, size_t service) {
  const std::optional<size_t> sp = cfg.services[service].security_policy;
  return sp && cfg.security_policies[*sp].adaptive_encryption;
}

}  // namespace

// Adaptive encryption, the decision at the ingress (§4.10). A session that is not TCP is decided
// by its first packet: not encrypted when that is ESP, NAT-T ESP / IKE or a DTLS ClientHello (and
// then never); encrypted otherwise, a NAT-T keepalive included. A TCP session is left clear
// (kAdaptivePending, no TLV 11 on the SYN) until its client's first data segment: a TLS
// ClientHello keeps it clear for good; anything else switches it to encryption from that segment
// on, re-signalled with TLV 11 in forward metadata on every segment until reverse metadata
// confirms the egress switched too. Server data before any client data decides "encrypt" (the
// server spoke first: not a TLS session); that first server data itself has crossed clear.
void Pipeline::AdaptiveDecide(Session& s, const packet::PacketInfo& info,
                              std::span<const uint8_t> payload, bool from_client) {
  const crypto::Classification c = crypto::ClassifyFirstPayload(
      info.l4_protocol, s.forward.src_port, s.forward.dst_port, payload);
  crypto::AdaptiveDecision decision = crypto::DecideAdaptive(true, true, c);
  if (!from_client) decision = crypto::AdaptiveDecision::kEncrypt;
  const bool tcp = s.forward.protocol == packet::kIpProtoTcp;
  if (decision == crypto::AdaptiveDecision::kDefer) {
    if (tcp) return;  // no client data yet, or the first bytes of what may be a ClientHello
    decision = crypto::AdaptiveDecision::kEncrypt;  // UDP 4500 keepalive first: encrypt
  }
  const bool was_pending = (s.flags & session::kAdaptivePending) != 0;
  s.flags &= static_cast<uint16_t>(~session::kAdaptivePending);
  if (decision == crypto::AdaptiveDecision::kDoNotEncrypt) {
    Count(PipelineCounter::kAdaptivePlain);
    return;
  }
  Count(PipelineCounter::kAdaptiveEncrypted);
  s.flags |= session::kPayloadEncrypted;
  if (was_pending) {
    s.flags |= session::kAdaptiveUnconfirmed | session::kSendForwardMetadata | session::kResignal;
  }
}

Disposition Pipeline::HandleLan(size_t interface, Packet& pkt, uint64_t now_ms) {
  const session::LookupResult hit = sessions_->Lookup(pkt.key);
  if (!hit) return FirstPacket(interface, pkt, now_ms);
  Session& s = *hit.session;
  if ((s.flags & session::kLocalBreakout) != 0) return LocalForward(s, hit.direction, pkt, now_ms);
  return ToPeer(s, hit.direction, pkt, now_ms);
}

Disposition Pipeline::FirstPacket(size_t interface, Packet& pkt, uint64_t now_ms) {
  Count(PipelineCounter::kFirstPacket);
  const PacketInfo& info = pkt.info;
  const packet::MacAddress src_mac = packet::EthernetView(pkt.frame->bytes()).src_mac();
  policy::FlowKey pk{interface, pkt.key.vlan, info.src, info.dst, info.l4_protocol,
                     pkt.key.dst_port};
  const policy::Decision dec = state_.policy->Decide(pk);
  policy_counters_.Increment(dec.verdict);
  if (dec.verdict != policy::Verdict::kAllow) {
    Count(PipelineCounter::kPolicyDrop);
    return Disposition::kDropped;
  }
  const size_t tenant = *dec.tenant;
  const size_t service = *dec.service;
  const config::Service& svc = config().services[service];
  if (info.is_tcp()) {
    switch (session::FirstPacketAction(info.tcp_flags, svc.tcp_state_enforcement)) {
      case session::FirstPacketVerdict::kCreate:
        break;
      case session::FirstPacketVerdict::kReset:
        neighbors_.Learn(static_cast<uint16_t>(interface), info.src, src_mac);
        return SendReset(interface, pkt);
      case session::FirstPacketVerdict::kDrop:
        Count(PipelineCounter::kTcpNotSynDrop);
        return Disposition::kDropped;
      case session::FirstPacketVerdict::kBadFlags:  // SYN+FIN and the like (§6)
        Count(PipelineCounter::kTcpBadFlags);
        return Disposition::kDropped;
    }
  }
  uint32_t route_index = 0;
  const config::ServiceRoute* route = ChooseRoute(service, &route_index);  // counted if none
  if (route == nullptr) {
    if (service < service_counts_.size()) ++service_counts_[service].no_path;
    return Disposition::kDropped;
  }

  session::SessionInit init;
  init.forward = pkt.key;
  init.route = route_index;
  init.tenant = static_cast<uint32_t>(tenant);
  init.service = static_cast<uint32_t>(service);
  if (info.is_tcp() && svc.tcp_state_enforcement != config::TcpStateEnforcement::kAllow) {
    init.flags |= session::kStrictTcp;
  }
  session::WaypointPool* waypoints = nullptr;
  if (route->kind == config::ServiceRoute::Kind::kNextHop) {
    init.reverse = session::Reversed(pkt.key);
    init.reverse.side = static_cast<uint16_t>(route->interface);
    init.reverse.vlan = 0;
    init.flags |= session::kLocalBreakout;
  } else {
    PeerState& peer = *state_.peers[route->peer];
    const bool transform = info.is_tcp() && peer.config->udp_transform;
    // The best path under the service's policy (path_choice.cc; ChooseRoute made sure there
    // is one).
    const PathPick pick = ChoosePeerPath(route->peer, service);
    if (!pick.path) {
      Count(PipelineCounter::kNoUsableRoute);
      return Disposition::kDropped;
    }
    const size_t path_index = *pick.path;
    PeerState::Path& path = peer.paths[path_index];
    waypoints = info.is_tcp() && !transform ? &*path.pool_tcp : &*path.pool_udp;
    if (transform) init.flags |= session::kUdpTransform;
    init.peer = static_cast<uint32_t>(route->peer);
    init.peer_path = static_cast<uint32_t>(path_index);
    init.flags |= session::kSendForwardMetadata | session::kWaypointsAllocated;
    if (state_.services[service]->payload) {
      init.payload_key = state_.services[service]->payload->send_key_id();
      // Adaptive: TCP waits for its client's first data; the rest is decided right below.
      init.flags |= !AdaptiveOn(config(), service) ? session::kPayloadEncrypted
                    : info.is_tcp()                ? session::kAdaptivePending
                                                   : 0;
    }
    uuid_source_->Next(std::span<uint8_t, 16>(init.uuid));
    init.uuid[6] = static_cast<uint8_t>((init.uuid[6] & 0x0f) | 0x40);  // RFC 4122 version 4
    init.uuid[8] = static_cast<uint8_t>((init.uuid[8] & 0x3f) | 0x80);  // variant 10
  }
  Session* const s = AdmitSession(init, waypoints, /*from_metadata=*/false, now_ms);
  if (service < service_counts_.size()) {
    ++(s != nullptr ? service_counts_[service].opened : service_counts_[service].refused);
  }
  if (s == nullptr) return Disposition::kDropped;
  if ((s->flags & session::kLocalBreakout) == 0 && !info.is_tcp() &&
      state_.services[service]->payload && AdaptiveOn(config(), service)) {
    AdaptiveDecide(*s, info, info.Payload(std::span<const uint8_t>(pkt.frame->bytes())),
                   /*from_client=*/true);
  }
  // Replies to the client need its MAC.
  neighbors_.Learn(static_cast<uint16_t>(interface), info.src, src_mac);
  if ((s->flags & session::kLocalBreakout) != 0) {
    return LocalForward(*s, Direction::kForward, pkt, now_ms);
  }
  return ToPeer(*s, Direction::kForward, pkt, now_ms);
}

Disposition Pipeline::LocalForward(Session& s, Direction d, Packet& pkt, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  if (!Finish(s, d, ParsedTcpSegment(pkt.frame->data, info, info.payload_length), now_ms)) {
    return Disposition::kDropped;
  }
  if (info.ttl <= 1) {
    Count(PipelineCounter::kTtlExceeded);
    return Disposition::kDropped;
  }
  const FlowKey out = session::TranslatedTuple(s, d);
  util::IpAddress next_hop = out.dst;
  const config::ServiceRoute* route = SessionRoute(s);
  if (d == Direction::kForward && route != nullptr && route->gateway) next_hop = *route->gateway;
  // Over the outgoing interface's MTU and not to be fragmented: the sender is told (§2.14.2).
  if (info.l3_length > if_mtu_[out.side] && !MayFragment(pkt)) [[unlikely]] {
    return PacketTooBig(pkt, if_mtu_[out.side], now_ms);
  }
  L2Header l2;
  if (!ResolveL2(out.side, next_hop, out.vlan, &l2)) return Disposition::kDropped;
  ComposeSpec spec = ForwardedSpec(info, l2, out);
  const bool ports = IsTcpOrUdp(info.l4_protocol) && info.has_l4;
  spec.l4 = ports ? L4Source::kKeep : L4Source::kNone;
  spec.body_offset = ports ? info.payload_offset : info.l4_offset;
  spec.body_length = ports ? info.payload_length : info.l4_length;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  pkt.frame->length = FinalizeFrame(pkt.buffer(), lay, spec.body_length);
  Count(PipelineCounter::kLocalBreakout);
  return SendToLan(out.side, pkt, lay.l3_offset, false);
}

Disposition Pipeline::ToPeer(Session& s, Direction d, Packet& pkt, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  PeerState& peer = *state_.peers[s.peer];
  const uint64_t idle_ms = now_ms - std::min(now_ms, s.last_activity_ms);
  if (!Finish(s, d, ParsedTcpSegment(pkt.frame->data, info, info.payload_length), now_ms)) {
    return Disposition::kDropped;
  }
  if (info.ttl <= 1) {
    Count(PipelineCounter::kTtlExceeded);
    return Disposition::kDropped;
  }
  FlowKey outer = session::TranslatedTuple(s, d);
  const bool keep_l4 = outer.protocol == info.l4_protocol;
  if (!keep_l4 && outer.protocol == packet::kIpProtoTcp) {
    Count(PipelineCounter::kProtocolMismatch);
    return Disposition::kDropped;
  }
  const PeerState::Path& path = peer.PathForOuter(outer);
  L2Header l2;
  if (!ResolveL2(path.wan, outer.dst, outer.vlan, &l2)) return Disposition::kDropped;
  if (info.is_tcp() && info.has_l4 && (info.tcp_flags & packet::kTcpSyn) != 0) {  // §2.7.1
    ClampSynMss(s, outer.dst.is_v6(), pkt.buffer().subspan(info.l4_offset, info.l4_length));
  }
  // Adaptive encryption (§4.10): the client's first data segment decides a pending TCP session.
  if ((s.flags & session::kAdaptivePending) != 0 && d == Direction::kForward &&
      info.payload_length != 0) [[unlikely]] {
    AdaptiveDecide(s, info, info.Payload(std::span<const uint8_t>(pkt.frame->bytes())),
                   /*from_client=*/true);
  }

  // Metadata (§2.6): forward until reverse metadata arrived; reverse until a forward packet
  // without metadata arrived. TCP only on SYN / SYN-ACK (O-9).
  bool want_md = MetadataPending(s, d);
  const bool transform = (s.flags & session::kUdpTransform) != 0;
  if (want_md && info.is_tcp() && !transform && (s.flags & session::kResignal) == 0 &&
      (info.tcp_flags & packet::kTcpSyn) == 0) {
    want_md = false;
    Count(PipelineCounter::kMdSkippedTcp);
  }
  const bool health_check = !want_md && options_.recovery == RecoveryMode::kInactivityBased &&
                            !info.is_tcp() && idle_ms >= options_.inactivity_ms;
  size_t md_len = 0;
  std::span<const uint8_t> payload = info.Payload(std::span<const uint8_t>(pkt.frame->bytes()));
  if (!keep_l4) payload = info.L4(std::span<const uint8_t>(pkt.frame->bytes()));
  if (want_md || health_check) {
    const bool syn_marker = transform && d == Direction::kForward &&
                            (info.tcp_flags & packet::kTcpSyn) != 0;
    md_len = BuildMetadata(s, d, peer, health_check && !want_md, syn_marker);
    if (md_len == 0) {
      Count(PipelineCounter::kCryptoFail);
      return Disposition::kDropped;
    }
    if (want_md) {
      Count(d == Direction::kForward ? PipelineCounter::kMdSentForward
                                     : PipelineCounter::kMdSentReverse);
    } else {
      Count(PipelineCounter::kHealthCheckSent);
      s.flags |= session::kHealthCheckPending;
    }
  } else if (svr::StartsWithCookie(payload)) {
    svr::WriteFalsePositiveMarker(md_buf_);
    md_len = svr::kMetadataHeaderSize;
    Count(PipelineCounter::kFalsePositiveAdded);
  }

  // Path MTU (§2.14.2): a packet that no longer fits is dropped, its sender told what fits.
  Encapsulation enc;
  const uint32_t kept_l4 = keep_l4 ? info.payload_offset - info.l4_offset : 0;
  enc.outer_headers = IpHeaderLength(outer.dst) + (keep_l4 ? kept_l4 : packet::kUdpHeaderLength);
  enc.inner_prefix = info.l4_offset - info.l3_offset + kept_l4;
  enc.metadata = static_cast<uint32_t>(md_len);
  if ((s.flags & session::kPayloadEncrypted) != 0 && state_.services[s.service]->payload) {
    enc.payload_cipher = state_.services[s.service]->payload->policy().cipher;
  }
  enc.hop_trailer = peer.hop_trailer;
  // A packet with metadata that would fit without it leaves as SVR fragments (§2.14,
  // svr_fragment_path.h), whatever its DF bit. Otherwise an IPv4 packet without DF, or a datagram
  // reassembled here, is sent as outer IPv4 / IPv6 fragments (outer_fragment.h): never refused.
  const bool too_big = OuterLengthForBody(enc, payload.size()) > path.path_mtu;
  SvrFragmentPlan plan;
  bool svr_fragments = false;
  if (too_big && (want_md || health_check)) {
    Encapsulation bare = enc;
    bare.metadata = 0;
    svr_fragments = OuterLengthForBody(bare, payload.size()) <= path.path_mtu &&
                    PlanSvrFragments(enc, static_cast<uint32_t>(payload.size()), path.path_mtu,
                                     &plan);
  }
  const bool fragment = !svr_fragments && MayFragment(pkt);
  if (too_big && !fragment && !svr_fragments) {
    uint32_t told = LargestInner(enc, path.path_mtu);
    if (want_md || health_check) {
      // The size that fits without the metadata, when a packet of that size would leave as SVR
      // fragments: the sender's retry goes through and it keeps the fast path's MTU, not a lower
      // one for the metadata of the first packets.
      Encapsulation bare = enc;
      bare.metadata = 0;
      const uint32_t bare_inner = LargestInner(bare, path.path_mtu);
      SvrFragmentPlan retry;
      if (bare_inner > told && bare_inner >= enc.inner_prefix &&
          PlanSvrFragments(enc, bare_inner - enc.inner_prefix, path.path_mtu, &retry)) {
        told = bare_inner;
      }
    }
    return PacketTooBig(pkt, told, now_ms);
  }

  ComposeSpec spec = ForwardedSpec(info, l2, outer);
  spec.l4 = keep_l4 ? L4Source::kKeep : L4Source::kFreshUdp;
  spec.metadata = std::span<const uint8_t>(md_buf_.data(), md_len);
  spec.body_offset = keep_l4 ? info.payload_offset : info.l4_offset;
  spec.body_length = static_cast<uint32_t>(payload.size());
  spec.reserve = kTrailerReserve;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  // Burst sealing (burst_seal.h): a packet that leaves whole is queued, and its payload
  // encryption (if any) and hop tag are done with the rest of the burst, byte-identical to the
  // steps below; anything DeferSeal declines takes them.
  if (!svr_fragments && DeferSeal(s, peer, path, *pkt.frame, lay, md_len, spec.body_length,
                                  (s.flags & session::kPayloadEncrypted) != 0, now_ms)) {
    return Disposition::kForwarded;
  }
  // Trailers over the L4 payload (§4.8): payload encryption (end to end), then the hop tag.
  std::span<uint8_t> region = pkt.buffer().subspan(lay.payload_offset);
  size_t len = md_len + spec.body_length;
  if ((s.flags & session::kPayloadEncrypted) != 0) {
    const ServiceCrypto& sc = *state_.services[s.service];
    if (sc.payload == nullptr ||
        sc.payload->SealPayloadWith(sc.SessionKey(s, CryptoNow(now_ms)), region, md_len,
                                    spec.body_length, CryptoNow(now_ms),
                                    &len) != crypto::CryptoResult::kOk) {
      Count(PipelineCounter::kCryptoFail);
      return Disposition::kDropped;
    }
  }
  if (svr_fragments) {
    return SendSvrFragments(peer, path, *pkt.frame, lay, md_len, len, plan, info, now_ms);
  }
  return HopSealAndSend(peer, path, *pkt.frame, lay, len, now_ms, fragment);
}

}  // namespace ssr::pipeline
