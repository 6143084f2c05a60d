// SPDX-License-Identifier: Apache-2.0
// Pipeline WAN receive: a packet from a peer, in steps with one job each.
//
//   SourcePeer            from a configured peer, to one of our waypoints (BFD: dropped, no peer layer)
//   (cookie check)        no session and no cookie: recovery only, no metadata or HMAC work
//   DecodeHeaderSection   the clear header TLVs (the Security ID that selects the key, §4.8)
//   VerifyHop             the hop authentication (HMAC tag or GCM trailer)
//   (SVR fragment)        held for reassembly; the rebuilt packet continues below (§2.14)
//   DecodePayloadSection  the protected payload TLVs, decrypted with the hop key
//   (control)             a control message is consumed here (control.cc)
//   ResolveSession        the session: existing, rebound by UUID, replaced, or new (egress/transit)
//   UpdateHandshake       the metadata handshake flags (§2.6) and health-check answers (§2.8)
//   then ToLan (egress.cc) or Relay (transit.cc).
#include <optional>
#include <span>

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

Disposition Pipeline::HandleWan(size_t interface, Packet& pkt, uint64_t now_ms) {
  PeerState* const peer = SourcePeer(interface, pkt);
  if (peer == nullptr) return Disposition::kDropped;
  const session::LookupResult hit = sessions_->Lookup(pkt.key);
  const std::span<uint8_t> payload = pkt.info.Payload(pkt.frame->bytes());
  const bool has_cookie = svr::StartsWithCookie(payload);
  // Off the fast path: the packets waiting for their burst opening go first (burst_open.h). The
  // lookup above stays valid: their continuation creates and erases no session.
  if (OpenPending() && (!hit || has_cookie)) OpenDeferred();
  // The cheap check before any work: neither a session nor the cookie means no metadata decode
  // and no HMAC (beyond a rate-limited recovery reply).
  if (!hit && !has_cookie) return RecoverUnknownTuple(interface, pkt, *peer, payload, now_ms);

  WanPacket w;
  w.peer = peer;
  w.hit = hit;
  w.payload = payload;
  w.trailer = peer->recv_trailer;
  if (!DecodeHeaderSection(w, has_cookie)) return Disposition::kDropped;
  if (open_ != nullptr && open_->active) {
    if (DeferOpen(interface, pkt, w, now_ms)) return Disposition::kConsumed;  // not final
    if (OpenPending()) OpenDeferred();
  }
  if (!VerifyHop(interface, pkt, w, now_ms)) return Disposition::kDropped;
  if (w.has_md && w.md.Has(TlvField::kFragment)) {
    // An SVR fragment (§2.14), authenticated on its own above: held until its datagram is
    // complete; then pkt holds the whole packet, without hop trailer and Fragment TLV, which goes
    // through the steps after authentication once. Only this branch produces such a packet, and
    // only from fragments that passed VerifyHop.
    if (const std::optional<Disposition> held =
            ReassembleSvrFragment(pkt, *peer, w.md, w.layout, w.l4_len, now_ms)) {
      return *held;
    }
    WanPacket whole;
    whole.peer = peer;
    whole.hit = sessions_->Lookup(pkt.key);
    whole.payload = pkt.info.Payload(pkt.frame->bytes());
    whole.trailer = 0;
    if (!DecodeHeaderSection(whole, svr::StartsWithCookie(whole.payload))) {
      return Disposition::kDropped;
    }
    if (!whole.has_md || whole.md.Has(TlvField::kFragment)) {  // never fragments twice
      Count(PipelineCounter::kMdMalformed);
      return Disposition::kDropped;
    }
    // The Security ID the first fragment was authenticated with (its metadata is this one).
    whole.security_id = whole.md.Has(TlvField::kSecurityId) ? whole.md.security_id
                                                              : w.security_id;
    whole.l4_len = whole.payload.size();
    if (whole.hit && whole.md.Has(TlvField::kSecurityId)) {
      whole.hit.session->context = whole.security_id;
    }
    return HandleWanVerified(pkt, whole, now_ms);
  }
  return HandleWanVerified(pkt, w, now_ms);
}

// The steps after the hop authentication: the protected metadata, then control, relayed ICMP
// errors, the session, and the egress or transit role.
Disposition Pipeline::HandleWanVerified(Packet& pkt, WanPacket& w, uint64_t now_ms) {
  PeerState* const peer = w.peer;
  const std::span<uint8_t> payload = w.payload;
  if (!DecodePayloadSection(w, now_ms)) return Disposition::kDropped;
  // An exact re-send of one of the session's last fast-path packets (replay_filter.h, §6).
  if (replay_ != nullptr && !w.has_md && w.hit && Replayed(*w.hit.session, *peer, payload)) {
    return Disposition::kDropped;
  }
  if (w.has_md && w.md.Has(TlvField::kControlMessage)) {
    return HandleControl(*peer, pkt, w.md, now_ms);
  }
  if (w.has_md && (w.md.Has(TlvField::kIcmpErrorLocationV4) ||
                   w.md.Has(TlvField::kIcmpErrorLocationV6))) {
    return DeliverRelayedIcmpError(pkt, w.md, w.md_total, w.l4_len);  // icmp_error.cc
  }
  if (const std::optional<Disposition> done = ResolveSession(pkt, w, now_ms)) return *done;
  UpdateHandshake(w, now_ms);
  Session& s = *w.hit.session;
  if ((s.flags & session::kTransit) != 0) {
    return Relay(s, w.hit.direction, pkt, w.has_md ? &w.md : nullptr, w.md_total, w.l4_len,
                 now_ms);
  }
  return ToLan(s, w.hit.direction, pkt, w.md_total, w.l4_len, now_ms);
}

// A WAN packet must be TCP or UDP, from a configured peer, to one of the addresses of the WAN
// interface toward it; peer liveness (BFD, UDP 1280) goes to the peer layer when this pipeline
// runs it (peer_layer.cc), else it is counted (peer_liveness). The caller drops on nullptr.
Pipeline::PeerState* Pipeline::SourcePeer(size_t interface, const Packet& pkt) {
  const PacketInfo& info = pkt.info;
  if (!info.is_tcp() && !info.is_udp()) {
    Count(PipelineCounter::kWanNotWaypoint);
    return nullptr;
  }
  PeerState* peer = FindPeer(interface, info.src);
  if (peer == nullptr) {
    Count(PipelineCounter::kWanNotPeer);
    return nullptr;
  }
  if (info.is_udp() && info.dst_port == config::kPeerLivenessPort) {
    ReceivePeerFrame(pkt);  // BFD, link tests: the peer layer's (peer_layer.cc), or counted
    return nullptr;
  }
  if (!peer->IsLocal(info.dst)) {
    Count(PipelineCounter::kWanNotWaypoint);
    return nullptr;
  }
  return peer;
}

// No session and no cookie. Packet-based recovery (§2.8): an authenticated fast-path packet for
// an unknown tuple is answered with Enable SVR Metadata, at most control_replies_per_second per
// peer; the HMAC is checked only when a reply may be sent, so garbage costs no HMAC work beyond
// that.
Disposition Pipeline::RecoverUnknownTuple(size_t interface, const Packet& pkt, PeerState& peer,
                                          std::span<uint8_t> payload, uint64_t now_ms) {
  Count(PipelineCounter::kWanNoSession);
  if (options_.recovery != RecoveryMode::kPacketBased) return Disposition::kDropped;
  if (!RateLimitOk(peer, now_ms)) {
    Count(PipelineCounter::kCtrlRateLimited);
    return Disposition::kDropped;
  }
  size_t l = 0;
  uint32_t used = 0;  // any accepted key: the peer may sign with a key it rotated to (§4.7)
  if (peer.OpenHopAnyKey(peer.recv->send_key_id(), payload, CryptoNow(now_ms), &l, &used, true) !=
      crypto::CryptoResult::kOk) {
    Count(PipelineCounter::kAuthFail);
    return Disposition::kDropped;
  }
  neighbors_.Learn(static_cast<uint16_t>(interface), pkt.info.src,
                   packet::EthernetView(pkt.frame->bytes()).src_mac());
  const FlowKey reply = session::Reversed(pkt.key);
  SendControl(peer, reply, svr::ControlMessage::kEnableMetadata, nullptr, now_ms);
  return Disposition::kDropped;
}

// Decode, clear part. Security ID: from the clear header section when metadata is present
// (§4.8), else the one the session learned (VerifyHop). A payload too short for the hop trailer
// fails authentication here.
bool Pipeline::DecodeHeaderSection(WanPacket& w, bool has_cookie) {
  if (w.payload.size() < w.trailer) {
    Count(PipelineCounter::kAuthFail);
    return false;
  }
  w.l_max = w.payload.size() - w.trailer;
  if (!has_cookie) return true;
  const svr::DecodeResult hr = svr::DecodeMetadataHeader(w.payload.first(w.l_max), &w.layout);
  if (hr == svr::DecodeResult::kNotMetadata) return true;
  if (hr != svr::DecodeResult::kOk) {
    decode_counters_.Increment(hr);
    Count(PipelineCounter::kMdMalformed);
    return false;
  }
  const std::span<uint8_t> header_tlvs = w.payload.subspan(
      svr::kMetadataHeaderSize, w.layout.header_length - svr::kMetadataHeaderSize);
  const svr::DecodeResult tr =
      svr::DecodeTlvSection(header_tlvs, svr::TlvSection::kHeader, &w.md, &decode_notes_);
  if (tr != svr::DecodeResult::kOk) {
    decode_counters_.Increment(tr);
    Count(PipelineCounter::kMdMalformed);
    return false;
  }
  w.marker = w.layout.is_false_positive_marker();
  w.has_md = !w.marker;
  return true;
}

// Verify: the hop authentication under the key the metadata names, or the session learned. An
// authentic packet teaches the session its key and us the peer's MAC.
bool Pipeline::VerifyHop(size_t interface, const Packet& pkt, WanPacket& w, uint64_t now_ms) {
  PeerState& peer = *w.peer;
  w.security_id = peer.recv->send_key_id();
  if (w.md.Has(TlvField::kSecurityId)) {
    w.security_id = w.md.security_id;
  } else if (w.hit && w.hit.session->context != 0) {
    w.security_id = w.hit.session->context;  // the key the peer's metadata named for this session
  }
  // No Security ID on the wire (fast path): the session's key, and when that fails the other
  // accepted keys, current first; the one that verifies is the session's from now on (the peer
  // rotated its sending key, §4.7). The extra work is on the failure path only.
  const bool fast_path = w.hit && !w.md.Has(TlvField::kSecurityId);
  uint32_t used = w.security_id;
  if (peer.OpenHopAnyKey(w.security_id, w.payload, CryptoNow(now_ms), &w.l4_len, &used,
                         fast_path) != crypto::CryptoResult::kOk) {
    Count(PipelineCounter::kAuthFail);
    return false;
  }
  if (used != w.security_id) {
    w.security_id = used;
    w.hit.session->context = used;
    Count(PipelineCounter::kHopKeySwitched);
  }
  if (w.hit && w.md.Has(TlvField::kSecurityId)) w.hit.session->context = w.security_id;
  neighbors_.Learn(static_cast<uint16_t>(interface), pkt.info.src,
                   packet::EthernetView(pkt.frame->bytes()).src_mac());
  return true;
}

// Decode, protected part: the payload-TLV section, decrypted with the hop key; a false-positive
// marker is removed (§3.8).
bool Pipeline::DecodePayloadSection(WanPacket& w, uint64_t now_ms) {
  if (w.marker) {
    w.md_total = svr::kMetadataHeaderSize;
    Count(PipelineCounter::kFalsePositiveRemoved);
    return true;
  }
  if (!w.has_md) return true;
  w.md_total = w.layout.total();
  if (w.layout.payload_length != 0) {
    std::span<uint8_t> section = w.payload.subspan(w.layout.header_length, w.layout.payload_length);
    size_t off = 0;
    size_t tlen = 0;
    if (w.peer->recv->OpenMetadata(w.security_id, section, CryptoNow(now_ms), &off, &tlen) !=
        crypto::CryptoResult::kOk) {
      Count(PipelineCounter::kMdDecryptFail);
      return false;
    }
    const svr::DecodeResult pr = svr::DecodeTlvSection(section.subspan(off, tlen),
                                                       svr::TlvSection::kPayload, &w.md,
                                                       &decode_notes_);
    if (pr != svr::DecodeResult::kOk) {
      decode_counters_.Increment(pr);
      Count(PipelineCounter::kMdMalformed);
      return false;
    }
  }
  decode_counters_.Increment(svr::DecodeResult::kOk);
  return true;
}

// Resolve: the session the packet belongs to. Returns the disposition when the packet was
// handled here (a new session, a refused move, or none to deliver on); nullopt when w.hit is the
// session.
std::optional<Disposition> Pipeline::ResolveSession(Packet& pkt, WanPacket& w, uint64_t now_ms) {
  PeerState& peer = *w.peer;
  const bool forward_md = w.forward_md();
  const bool named = forward_md && w.md.Has(TlvField::kSessionUuid);
  if (w.hit && named && w.hit.direction == Direction::kForward &&
      w.md.session_uuid != w.hit.session->uuid) {
    if (uuids_->Find(w.md.session_uuid, *sessions_) != UuidIndex::kNone) {
      // A session we hold on another tuple, named on the tuple of a live session: a captured
      // first packet or move re-aimed here to end this one. Never a reason to end it, whatever
      // its move sequence: the opening router quarantines a pair for twice the longest timeout
      // before reusing it (§2.4), so a genuine move does not land on a tuple we still hold. Refused
      // (§2.9); a genuine move waits until the stale session times out.
      Count(PipelineCounter::kRebindRefused);
      return Disposition::kDropped;
    }
    // The peer reused the outer tuple for a new session: this one is stale (§2.8).
    Count(PipelineCounter::kSessionReplaced);
    Forget(*w.hit.session, now_ms);
    return EgressFirst(peer, pkt, w.md, w.md_total, w.l4_len, now_ms);
  }
  if (!w.hit && named) {
    if (const std::optional<Disposition> refused = RebindMoved(pkt, w, now_ms)) return *refused;
  }
  if (!w.hit) {
    if (forward_md) return EgressFirst(peer, pkt, w.md, w.md_total, w.l4_len, now_ms);
    if (w.has_md && w.md.Has(TlvField::kSessionHealthCheck)) {
      // Health check for a session this router lacks (§2.8): ask for metadata.
      SendControl(peer, session::Reversed(pkt.key), svr::ControlMessage::kEnableMetadata, nullptr,
                  now_ms);
    }
    Count(PipelineCounter::kCtrlNoSession);
    return Disposition::kDropped;
  }
  Session& s = *w.hit.session;
  if (forward_md && w.hit.direction == Direction::kForward) {
    // The highest move sequence seen for the session counts, also on its own tuple: a copy of
    // this packet re-aimed elsewhere later is then refused.
    if (w.md.Has(TlvField::kMoveSequence) && w.md.move_sequence > s.move_seq) {
      s.move_seq = w.md.move_sequence;
    }
    if (!w.rebound) Count(PipelineCounter::kDuplicateFirst);
  }
  return std::nullopt;
}

// A session we hold, re-signalled on a new outer tuple (moved to another peer path, §2.9). The
// outer headers are not authenticated, so the tuple alone proves nothing: a captured first packet
// or move, re-aimed at other ports within the HMAC window, looks the same. The move must carry a
// move sequence (TLV 60, signed with the metadata) above the highest this session accepted; then
// its forward flow is rebound, its state kept, and reverse metadata answers on the new path.
// Otherwise the packet is dropped (`rebind_refused`), the session untouched, and the sender is
// asked (Enable SVR Metadata naming the session, within the reply budget) to re-signal with a
// higher sequence: if the refused tuple is the sender's real one (a re-aimed copy arrived first),
// that moves the session back; if it is a forged one, the sender holds no such session there and
// ignores it.
std::optional<Disposition> Pipeline::RebindMoved(const Packet& pkt, WanPacket& w,
                                                 uint64_t now_ms) {
  const uint32_t id = uuids_->Find(w.md.session_uuid, *sessions_);
  if (id == UuidIndex::kNone) return std::nullopt;
  Session& moved = sessions_->at(id);
  if (!moved.live() || !IsWan(moved.forward.side)) return std::nullopt;
  if (!w.md.Has(TlvField::kMoveSequence) || w.md.move_sequence <= moved.move_seq) {
    Count(PipelineCounter::kRebindRefused);
    if (RateLimitOk(*w.peer, now_ms)) {
      SendControl(*w.peer, session::Reversed(pkt.key), svr::ControlMessage::kEnableMetadata,
                  &moved, now_ms);
    } else {
      Count(PipelineCounter::kCtrlRateLimited);
    }
    return Disposition::kDropped;
  }
  if (sessions_->Rebind(moved, Direction::kForward, pkt.key) != session::InsertResult::kOk) {
    return std::nullopt;
  }
  moved.move_seq = w.md.move_sequence;
  if ((moved.flags & session::kTransit) == 0) {
    moved.peer = static_cast<uint32_t>(w.peer->index);
    const size_t arrived = w.peer->PathIndexFor(pkt.key.side, pkt.key.src);
    moved.peer_path = static_cast<uint32_t>(arrived < w.peer->paths.size() ? arrived : 0);
  }
  moved.context = w.security_id;
  moved.flags |= session::kSendReverseMetadata;
  if (pkt.info.is_tcp()) moved.flags |= session::kResignal;  // answer on the next segment
  Count(PipelineCounter::kSessionRebound);
  w.hit = session::LookupResult{&moved, Direction::kForward};
  w.rebound = true;
  return std::nullopt;
}

// The metadata handshake (§2.6) on the resolved session, and the answer to a health check.
void Pipeline::UpdateHandshake(WanPacket& w, uint64_t now_ms) {
  Session& s = *w.hit.session;
  if (w.has_md && w.md.Has(TlvField::kSessionEncrypted) &&
      w.hit.direction == Direction::kForward && (s.flags & session::kPayloadEncrypted) == 0)
      [[unlikely]] {
    // Adaptive encryption (§4.10): the ingress switched a TCP session to encryption at its
    // client's first data. Sticky: no metadata turns it off again.
    s.flags |= session::kPayloadEncrypted;
    Count(PipelineCounter::kAdaptiveSwitchApplied);
  }
  if (w.has_md && w.hit.direction == Direction::kReverse) {
    // Reverse metadata after the switch: the egress encrypts this packet and the next ones.
    s.flags &= static_cast<uint16_t>(~session::kAdaptiveUnconfirmed);
  }
  // The payload key the other end uses for this session (TLV 62, §4.7).
  if (w.has_md && w.md.Has(TlvField::kPayloadKeyId) &&
      (s.flags & session::kPayloadEncrypted) != 0) {
    s.payload_key = w.md.payload_key_id;
  }
  if (w.hit.direction == Direction::kForward) {
    // Egress: forward packets. Metadata keeps reverse metadata on; its absence ends it (§2.6).
    if (w.has_md) {
      Count(PipelineCounter::kMdReceivedForward);
      ++s.reserved0;
      if ((s.flags & session::kSendReverseMetadata) == 0) {
        // The handshake had completed and the ingress sends forward metadata again (Enable SVR
        // Metadata, a re-signal, or a replayed trigger): answer with reverse metadata so it stops
        // (§2.6), instead of leaving it sending forever. A TCP session answers on any segment; an
        // intermediate router relays the exchange end to end.
        s.flags |= session::kSendReverseMetadata;
        if (s.forward.protocol == packet::kIpProtoTcp) s.flags |= session::kResignal;
        if ((s.flags & session::kTransit) != 0) s.flags |= session::kSendForwardMetadata;
        Count(PipelineCounter::kReverseMdRestarted);
      }
      // Nothing answers (a one-way flow, also one that was answered before): after every n
      // forward packets with metadata the egress asks the ingress to stop (§2.6).
      const uint32_t n = options_.disable_md_after_packets;
      if (n != 0 && s.reserved0 % n == 0 && (s.flags & session::kTransit) == 0) {
        SendControl(*w.peer, session::TranslatedTuple(s, Direction::kReverse),
                    svr::ControlMessage::kDisableMetadata, &s, now_ms);
      }
    } else if ((s.flags & session::kSendReverseMetadata) != 0) {
      s.flags &= static_cast<uint16_t>(~(session::kSendReverseMetadata | session::kResignal));
      Count(PipelineCounter::kReverseMdStopped);
    }
  } else if (w.has_md) {
    Count(PipelineCounter::kMdReceivedReverse);
    if ((s.flags & session::kSendForwardMetadata) != 0) {
      s.flags &= static_cast<uint16_t>(~(session::kSendForwardMetadata | session::kResignal));
      Count(PipelineCounter::kForwardMdStopped);
    }
  }
  if (w.has_md && w.md.Has(TlvField::kSessionHealthCheck) && w.md.health_check != 0) {
    const FlowKey back = session::TranslatedTuple(s, Opposite(w.hit.direction));
    SendControl(*w.peer, back, svr::ControlMessage::kHealthCheckStateExists, &s, now_ms);
  }
}

}  // namespace ssr::pipeline
