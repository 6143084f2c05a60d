// SPDX-License-Identifier: Apache-2.0
// Peer-hop state of the Pipeline: building it from the config (paths, waypoint pools, hop and
// service crypto), finding peers, moving sessions between peer paths, hop sealing, and encoding
// metadata for a hop. See peer_hop.h.
#include "pipeline/peer_hop.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/key_store.h"
#include "packet/protocol.h"
#include "pipeline/pipeline_internal.h"
#include "util/status_macros.h"

namespace ssr::pipeline {

using session::Direction;
using session::FlowKey;
using session::Session;
using svr::TlvField;

namespace {

crypto::SecurityPolicy ToCrypto(const config::SecurityPolicy& p, bool with_hmac) {
  crypto::SecurityPolicy c;
  c.hmac = with_hmac ? p.hmac : crypto::HmacSuite::kNone;
  c.hmac_mode = p.hmac_mode;
  c.cipher = p.cipher;
  return c;
}

bool HopAuthIsGcm(const config::SecurityPolicy& p) {
  return crypto::IsGcm(p.cipher) && p.hmac == crypto::HmacSuite::kNone;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Building the state from a config snapshot

absl::StatusOr<std::unique_ptr<Pipeline::PeerState>> Pipeline::PeerState::Create(
    const config::Config& cfg, const config::Router& r, size_t index, crypto::NonceSpace nonce,
    const KeyRotation& keys) {
  const config::Peer& pc = r.peers[index];
  auto ps = std::make_unique<PeerState>();
  ps->config = &pc;
  ps->index = index;
  if (pc.paths.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("peer \"", pc.name, "\" has no path"));
  }
  for (const config::PeerPathConfig& cp : pc.paths) {
    const config::Interface& wan = r.interfaces[cp.interface];
    for (const config::InterfaceAddress& a : wan.addresses) {
      if (!ps->IsLocal(a.address)) ps->locals.push_back(a.address);
    }
    PeerState::Path path;
    path.wan = cp.interface;
    path.remote = cp.address;
    path.name = cp.name;
    path.cost = cp.cost;
    path.path_mtu = cp.path_mtu != 0 ? cp.path_mtu : pc.path_mtu != 0 ? pc.path_mtu : wan.mtu;
    bool found = false;
    for (const config::InterfaceAddress& a : wan.addresses) {
      if (a.address.family() == cp.address.family()) {
        path.local = a.address;
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::FailedPreconditionError(absl::StrCat(
          "peer \"", pc.name, "\": interface \"", wan.name, "\" has no address of the ",
          cp.address.is_v4() ? "IPv4" : "IPv6", " family of peer address ",
          cp.address.ToString()));
    }
    session::WaypointPoolSpec spec;
    spec.side = static_cast<uint16_t>(cp.interface);
    spec.vlan = wan.vlan;  // the outer tuples of this path carry the WAN link's tag
    spec.local = path.local;
    spec.remote = path.remote;
    spec.range = pc.waypoint_ports;
    spec.parity_rule = pc.parity_rule;
    spec.outer_protocol = packet::kIpProtoUdp;
    SSR_ASSIGN_OR_RETURN(path.pool_udp, session::WaypointPool::Create(spec));
    spec.outer_protocol = packet::kIpProtoTcp;
    SSR_ASSIGN_OR_RETURN(path.pool_tcp, session::WaypointPool::Create(spec));
    path.id = absl::StrCat(wan.name, ":", cp.address.ToString());
    ps->paths.push_back(std::move(path));
  }
  const config::SecurityPolicy& send_policy = cfg.security_policies[pc.security_policy];
  SSR_ASSIGN_OR_RETURN(ps->send,
                       crypto::PacketCrypto::Create(ToCrypto(send_policy, true),
                                                    keys.Snapshot(cfg, send_policy, true), nonce));
  ps->gcm_send = HopAuthIsGcm(send_policy);
  ps->hop_trailer = static_cast<uint32_t>(ps->gcm_send ? kGcmTrailer
                                                       : crypto::HmacTagSize(send_policy.hmac));
  // The receive policy: the first path's WAN interface's, else the peer's (validation makes the
  // interfaces of one peer's paths agree, or the peer's own policy applies).
  const config::Interface& wan = r.interfaces[pc.paths[0].interface];
  const config::SecurityPolicy& recv_policy =
      cfg.security_policies[wan.security_policy.value_or(pc.security_policy)];
  if (recv_policy.hmac == crypto::HmacSuite::kSha1) {
    SSR_ASSIGN_OR_RETURN(ps->recv,
                         crypto::PacketCrypto::CreateReceiveOnly(
                             ToCrypto(recv_policy, true), keys.Snapshot(cfg, recv_policy, true)));
  } else {
    SSR_ASSIGN_OR_RETURN(ps->recv,
                         crypto::PacketCrypto::Create(ToCrypto(recv_policy, true),
                                                      keys.Snapshot(cfg, recv_policy, true), nonce));
  }
  ps->gcm_recv = HopAuthIsGcm(recv_policy);
  ps->recv_trailer = ps->gcm_recv ? kGcmTrailer : crypto::HmacTagSize(recv_policy.hmac);
  ps->replay_filter = recv_policy.replay_filter;
  return ps;
}

absl::StatusOr<std::unique_ptr<Pipeline::ServiceCrypto>> Pipeline::ServiceCrypto::Create(
    const config::Config& cfg, size_t service, crypto::NonceSpace nonce, const KeyRotation& keys) {
  auto sc = std::make_unique<ServiceCrypto>();
  const std::optional<size_t> sp = cfg.services[service].security_policy;
  if (!sp || cfg.security_policies[*sp].cipher == crypto::CipherSuite::kNone) return sc;
  const config::SecurityPolicy& policy = cfg.security_policies[*sp];
  SSR_ASSIGN_OR_RETURN(sc->payload,
                       crypto::PacketCrypto::Create(ToCrypto(policy, false),
                                                    keys.Snapshot(cfg, policy, false), nonce));
  return sc;
}

util::CounterArray<crypto::CryptoCounter> Pipeline::CryptoCounters() const {
  util::CounterArray<crypto::CryptoCounter> sum;
  for (const auto& p : state_.peers) {
    sum.AddFrom(p->send->counters());
    sum.AddFrom(p->recv->counters());
  }
  for (const auto& s : state_.services) {
    if (s->payload) sum.AddFrom(s->payload->counters());
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Hop crypto

Disposition Pipeline::HopSealAndSend(PeerState& peer, const PeerState::Path& path,
                                     io::Frame& frame, const ComposedLayout& lay,
                                     size_t len, uint64_t now_ms, bool fragment) {
  std::span<uint8_t> region = frame.buffer().subspan(lay.payload_offset);
  if (peer.SealHop(region, &len, CryptoNow(now_ms)) != crypto::CryptoResult::kOk) {
    Count(PipelineCounter::kCryptoFail);
    return Disposition::kDropped;
  }
  frame.length = FinalizeFrame(frame.buffer(), lay, static_cast<uint32_t>(len));
  const bool large = frame.handle == kLargeFrameHandle;  // a reassembled datagram
  if (frame.length - lay.l3_offset > path.path_mtu || large) [[unlikely]] {
    if (fragment || large) {
      return SendFragments(path.wan, frame, lay.l3_offset, path.path_mtu, false,
                           PipelineCounter::kOuterFragmented, PipelineCounter::kExceedsMtuDfClear);
    }
    Count(PipelineCounter::kExceedsMtu);
    return Disposition::kDropped;
  }
  Transmit(path.wan, frame);
  return Disposition::kForwarded;
}

// ---------------------------------------------------------------------------------------------
// Peers and peer paths

size_t Pipeline::FindPeerIndexOnSide(const FlowKey& outer) const {
  for (const auto& p : state_.peers) {
    if (p->PathIndexFor(outer.side, outer.dst) < p->paths.size()) return p->index;
  }
  return 0;
}

size_t Pipeline::MovePeerPath(size_t peer_index, size_t from_path, size_t to_path,
                              uint64_t now_ms) {
  if (peer_index >= state_.peers.size()) return 0;
  PeerState& peer = *state_.peers[peer_index];
  if (from_path >= peer.paths.size() || to_path >= peer.paths.size() || from_path == to_path) {
    return 0;
  }
  size_t moved = 0;
  for (uint32_t i = 0; i < sessions_->capacity(); ++i) {
    Session& s = sessions_->at(i);
    if (!s.live() || s.peer != peer_index || s.peer_path != from_path ||
        (s.flags & session::kWaypointsAllocated) == 0) {
      continue;
    }
    moved += MoveSession(s, to_path, now_ms) ? 1 : 0;
  }
  return moved;
}

// The receiver rebinds a session it holds to a new outer tuple only for metadata whose move
// sequence (TLV 60) is higher than any it accepted for that session: a captured earlier packet
// re-aimed at other ports carries an old value and is refused (docs/protocol.md §2.9, §6).
void Pipeline::Resignal(Session& s) {
  ++s.move_seq;
  s.flags |= session::kSendForwardMetadata;
  if (s.reverse.protocol == packet::kIpProtoTcp) s.flags |= session::kResignal;
}

// ---------------------------------------------------------------------------------------------
// Metadata for a hop

size_t Pipeline::EncodeWith(PeerState& peer, svr::Metadata& md) {
  svr::EncodedSizes sizes;
  if (!svr::ComputeEncodedSizes(md, &sizes)) return 0;
  const size_t hl = svr::kMetadataHeaderSize + sizes.header_tlvs;
  const std::span<uint8_t> buf(md_buf_);
  if (hl > buf.size()) return 0;
  if (sizes.header_tlvs != 0 &&
      svr::EncodeTlvSection(md, svr::TlvSection::kHeader, buf.subspan(svr::kMetadataHeaderSize,
                                                                       sizes.header_tlvs)) !=
          sizes.header_tlvs) {
    return 0;
  }
  size_t section_len = 0;
  if (sizes.payload_tlvs != 0) {
    const size_t prefix = peer.send->MetadataPrefixSize();
    std::span<uint8_t> section = buf.subspan(hl);
    if (section.size() < prefix + sizes.payload_tlvs) return 0;
    if (svr::EncodeTlvSection(md, svr::TlvSection::kPayload, section.subspan(prefix)) !=
        sizes.payload_tlvs) {
      return 0;
    }
    if (peer.send->SealMetadata(section, sizes.payload_tlvs, &section_len) !=
        crypto::CryptoResult::kOk) {
      return 0;
    }
  }
  if (section_len > 0xffff) return 0;
  svr::MetadataLayout layout;
  layout.header_length = static_cast<uint16_t>(hl);
  layout.payload_length = static_cast<uint16_t>(section_len);
  if (!svr::WriteMetadataHeader(buf, layout)) return 0;
  return hl + section_len;
}

size_t Pipeline::BuildMetadata(const Session& s, Direction d, PeerState& peer, bool health_only,
                               bool tcp_syn) {
  const config::Config& cfg = config();
  svr::Metadata md;
  md.security_id = peer.send->send_key_id();
  md.Set(TlvField::kSecurityId);
  if (health_only) {
    md.health_check = 1;
    md.Set(TlvField::kSessionHealthCheck);
    return EncodeWith(peer, md);
  }
  md.session_uuid = s.uuid;
  md.Set(TlvField::kSessionUuid);
  md.source_router_name = svr::Metadata::AsBytes(router().name);
  md.Set(TlvField::kSourceRouterName);
  if ((s.flags & session::kPayloadEncrypted) != 0 && s.payload_key != 0) {
    md.payload_key_id = s.payload_key;  // [libssr] TLV 62: the key this session's payload uses
    md.Set(TlvField::kPayloadKeyId);
  }
  if (d == Direction::kForward) {
    md.SetForwardContext(ContextOf(s.forward));
    md.tenant_name = svr::Metadata::AsBytes(cfg.tenants[s.tenant].name);
    md.Set(TlvField::kTenantName);
    md.service_name = svr::Metadata::AsBytes(cfg.services[s.service].name);
    md.Set(TlvField::kServiceName);
    md.peer_path_id = svr::Metadata::AsBytes(peer.SessionPath(s).id);
    md.Set(TlvField::kPeerPathId);
    if ((s.flags & session::kPayloadEncrypted) != 0) md.Set(TlvField::kSessionEncrypted);
    if (tcp_syn) md.Set(TlvField::kTcpSyn);  // TLV 12: this UDP packet carries the TCP SYN
    if (s.move_seq != 0) {  // [libssr] TLV 60: moved or re-signalled (the first packet has none)
      md.move_sequence = s.move_seq;
      md.Set(TlvField::kMoveSequence);
    }
  } else {
    // Reverse context: the egress's reverse flow, server side as source (§3.6.1, O-8).
    md.SetReverseContext(ContextOf(s.reverse));
    md.Set(TlvField::kDisableForwardMetadata);
  }
  return EncodeWith(peer, md);
}

}  // namespace ssr::pipeline
