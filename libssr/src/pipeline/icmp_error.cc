// SPDX-License-Identifier: Apache-2.0
// Pipeline ICMP errors (docs/protocol.md §2.11.1): an ICMP / ICMPv6 error message is never the
// first packet of a session, whatever the policy allows for ICMP. It is accepted only when the
// packet it quotes is one this router sent on the side the error arrived on: the quoted tuple,
// reversed, must be the key of a live session on that side (addresses, protocol, ports, in the
// direction the router rewrote it to), the error must be addressed to the quoted packet's
// source, and for TCP the quoted sequence number must lie in the range the session tracked for
// that direction. Everything else is dropped and counted; so is a matched error, because relaying
// it along the session (TLV 20 / 21 to the peer, rebuilt at the far router) is not implemented.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "packet/parser.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"
#include "session/session.h"

namespace ssr::pipeline {

using session::Direction;
using session::FlowKey;
using session::Session;

namespace {

// Whether `seq`, the sequence number of a TCP segment the router forwarded in direction d, is
// one it can have sent: not ahead of the end of the highest segment seen from d (next_seq), and
// not further behind it than what can still be unacknowledged or in the network. Data in flight
// is bounded by the largest window the receiver advertised (W, already scaled); twice that covers
// an error about a segment sent before the window's worth after it. With no window seen from the
// receiver yet (a SYN), 65535 bytes (what a SYN with data can carry, with room). No segment
// tracked from d at all: the router never forwarded one, so nothing can be quoted.
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

Disposition Pipeline::HandleIcmpError(Packet& pkt) {
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
  Count(PipelineCounter::kIcmpErrorNotRelayed);
  return Disposition::kDropped;
}

}  // namespace ssr::pipeline
