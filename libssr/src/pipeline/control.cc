// SPDX-License-Identifier: Apache-2.0
// Pipeline control messages (§2.16): consuming the ones a peer sends (never forwarded, §7.43),
// sending our own (Enable / Disable SVR Metadata, Delete Session, Keep Alive, health-check
// answers) with the per-peer rate limit on replies, and the NAT keep-alive sweep (§2.13).
#include <algorithm>

#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"
#include "session/translation.h"

namespace ssr::pipeline {

using packet::PacketInfo;
using session::Direction;
using session::FlowKey;
using session::Session;
using svr::TlvField;

session::LookupResult Pipeline::FindControlledSession(const FlowKey& key, const svr::Metadata& md) {
  // A message naming a UUID is for the session carrying it; the outer tuple alone can be shared.
  const auto is_it = [&md](const session::LookupResult& r) {
    return r && (!md.Has(TlvField::kSessionUuid) || md.session_uuid == r.session->uuid);
  };
  if (md.Has(TlvField::kControlProtocol)) {
    // [libssr] TLV 61 names the protocol of the tuple the message is about (control packets all
    // travel as UDP): a session of the other protocol on the same ports is never the one. Without
    // it, a TCP segment re-aimed at a UDP session's ports could make the egress's recovery reply
    // (Enable SVR Metadata, no UUID) land on that UDP session (docs/protocol.md §2.16, §6).
    FlowKey named = key;
    named.protocol = md.control_protocol;
    const session::LookupResult hit = sessions_->Lookup(named);
    if (is_it(hit)) return hit;
    FlowKey other = key;
    other.protocol = md.control_protocol == packet::kIpProtoTcp ? packet::kIpProtoUdp
                                                                : packet::kIpProtoTcp;
    if (sessions_->Lookup(other)) Count(PipelineCounter::kCtrlOtherProtocol);
    return {};
  }
  // A peer that does not send TLV 61: the tuple as UDP, then as TCP.
  const session::LookupResult hit = sessions_->Lookup(key);
  if (is_it(hit)) return hit;
  if (key.protocol == packet::kIpProtoUdp) {
    // Control packets of TCP sessions travel as UDP on the session's waypoint ports (O-9). The
    // waypoint pools are per protocol, so a UDP session may hold the same ports as the TCP
    // session the message is for: a UDP session with another UUID does not end the search.
    FlowKey tcp = key;
    tcp.protocol = packet::kIpProtoTcp;
    const session::LookupResult tcp_hit = sessions_->Lookup(tcp);
    if (is_it(tcp_hit)) return tcp_hit;
  }
  return {};
}

Disposition Pipeline::HandleControl(PeerState& peer, Packet& pkt, const svr::Metadata& md,
                                    uint64_t now_ms) {
  Count(PipelineCounter::kCtrlReceived);
  const session::LookupResult hit = FindControlledSession(pkt.key, md);
  Session* s = hit.session;
  const auto reason = static_cast<svr::ControlMessage>(md.control_message);
  if (s == nullptr && reason != svr::ControlMessage::kUnknown) {
    Count(PipelineCounter::kCtrlNoSession);
    return Disposition::kConsumed;
  }
  switch (reason) {
    case svr::ControlMessage::kEnableMetadata:
      // The opening router sends the metadata again, with a higher move sequence so that a
      // receiver holding the session on another tuple may rebind it back; a TCP session carries
      // it inline on its next segment, SYN or not (§2.8, §2.9). An intermediate router relays
      // what the opening router sends and keeps the sequence it accepted.
      if (hit.direction == Direction::kReverse) {
        if ((s->flags & session::kTransit) != 0) {
          s->flags |= session::kSendForwardMetadata;
        } else {
          Resignal(*s);
        }
      }
      Count(PipelineCounter::kCtrlEnable);
      break;
    case svr::ControlMessage::kDisableMetadata:
      s->flags &= static_cast<uint16_t>(~session::kSendForwardMetadata);
      Count(PipelineCounter::kCtrlDisable);
      break;
    case svr::ControlMessage::kDeleteSession:
      if ((s->flags & session::kTransit) != 0) {
        // Pass the news on to the other hop before forgetting the session.
        const Direction toward = hit.direction == Direction::kForward ? Direction::kForward
                                                                      : Direction::kReverse;
        const FlowKey other = session::TranslatedTuple(*s, toward);
        PeerState& next = *state_.peers[FindPeerIndexOnSide(other)];
        SendControl(next, other, svr::ControlMessage::kDeleteSession, s, now_ms);
      }
      Forget(*s, now_ms);
      Count(PipelineCounter::kCtrlDelete);
      break;
    case svr::ControlMessage::kKeepAlive:
      s->last_activity_ms = now_ms;
      Count(PipelineCounter::kCtrlKeepAlive);
      break;
    case svr::ControlMessage::kHealthCheckStateExists:
      s->flags &= static_cast<uint16_t>(~session::kHealthCheckPending);
      Count(PipelineCounter::kCtrlHealthAck);
      break;
    default:
      Count(PipelineCounter::kCtrlUnknown);
      break;
  }
  (void)peer;
  return Disposition::kConsumed;
}

bool Pipeline::RateLimitOk(PeerState& peer, uint64_t now_ms) {
  if (now_ms >= peer.rate_window_start + 1000 || now_ms < peer.rate_window_start) {
    peer.rate_window_start = now_ms;
    peer.rate_count = 0;
  }
  if (peer.rate_count >= options_.control_replies_per_second) return false;
  ++peer.rate_count;
  return true;
}

void Pipeline::SendControl(PeerState& peer, const FlowKey& outer_in, svr::ControlMessage reason,
                           const Session* s, uint64_t now_ms) {
  if (pool_ == nullptr) {
    Count(PipelineCounter::kNoPool);
    return;
  }
  FlowKey outer = outer_in;
  outer.protocol = packet::kIpProtoUdp;
  L2Header l2;
  const PeerState::Path& path = peer.PathForOuter(outer);
  if (!ResolveL2(path.wan, outer.dst, outer.vlan, &l2)) return;
  svr::Metadata md;
  md.security_id = peer.send->send_key_id();
  md.Set(TlvField::kSecurityId);
  md.control_message = static_cast<uint8_t>(reason);
  md.Set(TlvField::kControlMessage);
  md.control_protocol = outer_in.protocol;  // [libssr] TLV 61: which session on these ports
  md.Set(TlvField::kControlProtocol);
  if (s != nullptr) {
    md.session_uuid = s->uuid;
    md.Set(TlvField::kSessionUuid);
    if (reason == svr::ControlMessage::kDisableMetadata) {
      md.SetReverseContext(ContextOf(s->reverse));
      md.Set(TlvField::kDisableForwardMetadata);
    }
  }
  const size_t md_len = EncodeWith(peer, md);
  if (md_len == 0) {
    Count(PipelineCounter::kCryptoFail);
    return;
  }
  io::Frame f;
  if (pool_->Allocate({&f, 1}) != 1) {
    Count(PipelineCounter::kNoPool);
    return;
  }
  ComposeSpec spec;
  spec.l2 = l2;
  spec.tuple = outer;
  spec.l4 = L4Source::kFreshUdp;
  spec.metadata = std::span<const uint8_t>(md_buf_.data(), md_len);
  spec.reserve = kTrailerReserve;
  ComposedLayout lay;
  const PacketInfo none;
  if (ComposeFrame(f.buffer(), none, spec, &lay) != ComposeResult::kOk) {
    pool_->Free({&f, 1});
    Count(PipelineCounter::kNoRoom);
    return;
  }
  // The frame is ours: HopSealAndSend counts a failure and leaves the frame to us.
  if (HopSealAndSend(peer, path, f, lay, md_len, now_ms) != Disposition::kForwarded) {
    pool_->Free({&f, 1});
    return;
  }
  switch (reason) {
    case svr::ControlMessage::kEnableMetadata: Count(PipelineCounter::kCtrlSentEnable); break;
    case svr::ControlMessage::kDisableMetadata: Count(PipelineCounter::kCtrlSentDisable); break;
    case svr::ControlMessage::kDeleteSession: Count(PipelineCounter::kCtrlSentDelete); break;
    case svr::ControlMessage::kKeepAlive: Count(PipelineCounter::kCtrlSentKeepAlive); break;
    case svr::ControlMessage::kHealthCheckStateExists: Count(PipelineCounter::kCtrlSentHealthAck); break;
    default: break;
  }
}

void Pipeline::SendKeepAlives(uint64_t now_ms, uint32_t budget) {
  bool any_keep_alive = false;
  for (const auto& p : state_.peers) any_keep_alive |= p->config->nat_keep_alive.count() != 0;
  if (!any_keep_alive) return;
  // Session::reserved1 holds the second of the last keep-alive (ingress sessions only).
  const uint32_t now_s = static_cast<uint32_t>(now_ms / 1000);
  sessions_->VisitOccupied(&keep_alive_cursor_, budget, [&](uint32_t index) {
    Session& s = sessions_->at(index);
    if (!s.live() || (s.flags & session::kWaypointsAllocated) == 0) return;
    PeerState& peer = *state_.peers[s.peer];
    const uint64_t interval_ms =
        static_cast<uint64_t>(peer.config->nat_keep_alive.count()) * 1000;
    if (interval_ms == 0 || now_ms - std::min(now_ms, s.last_activity_ms) < interval_ms) return;
    if (s.reserved1 != 0 && uint64_t{now_s - s.reserved1} * 1000 < interval_ms) return;
    SendControl(peer, session::TranslatedTuple(s, Direction::kForward),
                svr::ControlMessage::kKeepAlive, &s, now_ms);
    s.reserved1 = now_s;
  });
}

}  // namespace ssr::pipeline
