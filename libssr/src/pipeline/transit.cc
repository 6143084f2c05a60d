// SPDX-License-Identifier: Apache-2.0
// Pipeline transit: the intermediate router (§2.5 step 7). A session whose service route is
// another peer joins two waypoint pairs; packets are relayed from one peer to the other with the
// payload untouched and metadata rebuilt for the next hop.
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
using svr::TlvField;

Disposition Pipeline::TransitFirst(PeerState& from, const config::ServiceRoute& route, Packet& pkt,
                                   const svr::Metadata& md, size_t md_total, size_t l4_len,
                                   size_t tenant, size_t service, uint64_t now_ms) {
  PeerState& next = *state_.peers[route.peer];
  const bool tcp_outer = pkt.info.is_tcp();
  if (&next == &from || (!tcp_outer && md.forward_context.protocol == packet::kIpProtoTcp &&
                         !next.config->udp_transform) ||
      (tcp_outer && next.config->udp_transform)) {
    // Back where it came from (a routing loop), or the two hops disagree on UDP transform: the
    // segment would have to change shape, which a relay does not do.
    Count(PipelineCounter::kTransitUnsupported);
    return Disposition::kDropped;
  }
  session::SessionInit init;
  init.forward = pkt.key;
  const PathPick pick = ChoosePeerPath(next.index, service);  // ChooseRoute made sure of one
  if (!pick.path) {
    Count(PipelineCounter::kNoUsableRoute);
    return Disposition::kDropped;
  }
  const size_t path_index = *pick.path;
  PeerState::Path& path = next.paths[path_index];
  init.peer_path = static_cast<uint32_t>(path_index);
  init.route = static_cast<uint32_t>(&route - router().service_routes.data());
  init.tenant = static_cast<uint32_t>(tenant);
  init.service = static_cast<uint32_t>(service);
  init.peer = static_cast<uint32_t>(next.index);
  init.uuid = md.session_uuid;
  init.context = md.Has(TlvField::kSecurityId) ? md.security_id : from.recv->send_key_id();
  init.flags = session::kTransit | session::kWaypointsAllocated | session::kSendForwardMetadata |
               session::kSendReverseMetadata;
  if (md.Has(TlvField::kSessionEncrypted)) init.flags |= session::kPayloadEncrypted;
  if (!tcp_outer && md.forward_context.protocol == packet::kIpProtoTcp) {
    init.flags |= session::kUdpTransform;
  }
  const svr::SessionContext& fc = md.forward_context;
  init.protocol_class = session::ClassifyProtocol(fc.protocol, fc.source_port, fc.destination_port);
  Session* const s = AdmitSession(init, tcp_outer ? &*path.pool_tcp : &*path.pool_udp,
                                  /*from_metadata=*/true, now_ms);
  if (s == nullptr) return Disposition::kDropped;
  if (md.Has(TlvField::kMoveSequence)) s->move_seq = md.move_sequence;  // §2.9: rebinds need more
  return Relay(*s, Direction::kForward, pkt, &md, md_total, l4_len, now_ms);
}

Disposition Pipeline::Relay(Session& s, Direction d, Packet& pkt, const svr::Metadata* md_in,
                            size_t md_total, size_t l4_len, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  const FlowKey outer = session::TranslatedTuple(s, d);
  PeerState& next = *state_.peers[FindPeerIndexOnSide(outer)];
  // TCP state: the outer TCP header carries the original flags; a transformed segment starts the
  // body (it is end-to-end encrypted when the session is, so its flags are not visible here).
  // Sequence numbers (the RST/FIN window check, §6) need the original payload length too, which
  // an encrypted payload hides: flags only then.
  const bool encrypted = (s.flags & session::kPayloadEncrypted) != 0;
  session::TcpSegment tcp;
  tcp.flags = info.tcp_flags;
  if ((s.flags & session::kUdpTransform) != 0) {
    tcp.flags = 0;
    if (!encrypted && l4_len >= md_total + packet::kTcpMinHeaderLength) {
      tcp = session::ReadTcpSegment(std::span<const uint8_t>(
          pkt.frame->data + info.payload_offset + md_total, l4_len - md_total));
    } else if (!encrypted) {
      tcp.flags = pkt.frame->data[info.payload_offset + md_total + 13];
    }
  } else if (!encrypted && l4_len >= md_total) {
    tcp = ParsedTcpSegment(pkt.frame->data, info, l4_len - md_total);
  }
  if (!Finish(s, d, tcp, now_ms)) return Disposition::kDropped;
  if (info.ttl <= 1) {
    Count(PipelineCounter::kTtlExceeded);
    return Disposition::kDropped;
  }
  L2Header l2;
  const PeerState::Path& path = next.PathForOuter(outer);
  if (!ResolveL2(path.wan, outer.dst, outer.vlan, &l2)) return Disposition::kDropped;
  // Metadata for the next hop, rebuilt from what arrived (§2.5 step 7): the session attributes
  // travel on, this router names itself as the source and its own path; header TLVs are new.
  size_t md_len = 0;
  if (MetadataPending(s, d) && md_in != nullptr) {
    svr::Metadata md;
    md.security_id = next.send->send_key_id();
    md.Set(TlvField::kSecurityId);
    md.session_uuid = s.uuid;
    md.Set(TlvField::kSessionUuid);
    md.source_router_name = svr::Metadata::AsBytes(router().name);
    md.Set(TlvField::kSourceRouterName);
    if (md_in->Has(TlvField::kPayloadKeyId)) {  // end to end: relayed as received
      md.payload_key_id = md_in->payload_key_id;
      md.Set(TlvField::kPayloadKeyId);
    }
    if (d == Direction::kForward) {
      for (TlvField f : {TlvField::kForwardContextV4, TlvField::kForwardContextV6,
                         TlvField::kTenantName, TlvField::kServiceName,
                         TlvField::kSessionEncrypted, TlvField::kTcpSyn,
                         TlvField::kApplicationName, TlvField::kMoveSequence}) {
        if (md_in->Has(f)) md.Set(f);
      }
      md.forward_context = md_in->forward_context;
      md.tenant_name = md_in->tenant_name;
      md.service_name = md_in->service_name;
      md.application_name = md_in->application_name;
      md.move_sequence = md_in->move_sequence;  // the opening router's (§2.9)
      md.peer_path_id = svr::Metadata::AsBytes(path.id);
      md.Set(TlvField::kPeerPathId);
    } else {
      for (TlvField f : {TlvField::kReverseContextV4, TlvField::kReverseContextV6}) {
        if (md_in->Has(f)) md.Set(f);
      }
      md.reverse_context = md_in->reverse_context;
      md.Set(TlvField::kDisableForwardMetadata);
    }
    md_len = EncodeWith(next, md);
    if (md_len == 0) {
      Count(PipelineCounter::kCryptoFail);
      return Disposition::kDropped;
    }
    Count(d == Direction::kForward ? PipelineCounter::kMdSentForward
                                   : PipelineCounter::kMdSentReverse);
  } else if (md_total == 0 && svr::StartsWithCookie(info.Payload(
                                  std::span<const uint8_t>(pkt.frame->bytes())))) {
    svr::WriteFalsePositiveMarker(md_buf_);
    md_len = svr::kMetadataHeaderSize;
  } else if (md_total == svr::kMetadataHeaderSize && md_in == nullptr) {
    // A false-positive marker stays a marker: the next hop would read the payload as metadata.
    svr::WriteFalsePositiveMarker(md_buf_);
    md_len = svr::kMetadataHeaderSize;
  }
  ComposeSpec spec = ForwardedSpec(info, l2, outer);
  spec.l4 = L4Source::kKeep;
  spec.metadata = std::span<const uint8_t>(md_buf_.data(), md_len);
  spec.body_offset = static_cast<uint32_t>(info.payload_offset + md_total);
  spec.body_length = static_cast<uint32_t>(l4_len - md_total);
  spec.reserve = kTrailerReserve;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  // The payload (and its IV trailer, when encrypted end to end) passes through untouched; only
  // the hop authentication is new. Metadata that makes it exceed the next hop's path MTU when
  // the packet would fit without: SVR fragments, as at the ingress (§2.14). A packet that arrived
  // in outer fragments (or without DF) may leave in outer fragments again (§2.14.2).
  const size_t len = md_len + spec.body_length;
  if (md_len > svr::kMetadataHeaderSize) {
    Encapsulation enc;
    enc.outer_headers = lay.payload_offset - lay.l3_offset;
    enc.metadata = static_cast<uint32_t>(md_len);
    enc.hop_trailer = next.hop_trailer;
    Encapsulation bare = enc;
    bare.metadata = 0;
    SvrFragmentPlan plan;
    if (OuterLengthForBody(enc, spec.body_length) > path.path_mtu &&
        OuterLengthForBody(bare, spec.body_length) <= path.path_mtu &&
        PlanSvrFragments(enc, spec.body_length, path.path_mtu, &plan)) {
      const Disposition out =
          SendSvrFragments(next, path, *pkt.frame, lay, md_len, len, plan, info, now_ms);
      if (out == Disposition::kForwarded) Count(PipelineCounter::kTransitRelayed);
      return out;
    }
  }
  const Disposition out = HopSealAndSend(next, path, *pkt.frame, lay, len, now_ms, MayFragment(pkt));
  if (out == Disposition::kForwarded) Count(PipelineCounter::kTransitRelayed);
  return out;
}

}  // namespace ssr::pipeline
