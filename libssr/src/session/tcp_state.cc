// SPDX-License-Identifier: Apache-2.0
#include "session/tcp_state.h"

#include <algorithm>
#include <cstddef>

#include "packet/byte_order.h"
#include "packet/protocol.h"

namespace ssr::session {
namespace {

using packet::kTcpAck;
using packet::kTcpCwr;
using packet::kTcpEce;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;
using packet::kTcpUrg;

size_t Index(Direction d) { return static_cast<size_t>(d); }
uint8_t SeqBit(Direction d) {
  return d == Direction::kForward ? kTrackSeqForward : kTrackSeqReverse;
}
uint8_t WindowBit(Direction d) {
  return d == Direction::kForward ? kTrackWindowForward : kTrackWindowReverse;
}

// Serial-number distance a - b (RFC 1982): negative when a is before b, across the wrap.
int64_t SeqDistance(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

// |seq - next| <= window in serial arithmetic (window < 2^31 always: at most 65535 << 14).
bool InWindow(uint32_t seq, uint32_t next, uint32_t window) {
  const int64_t d = SeqDistance(seq, next);
  return d >= -int64_t{window} && d <= int64_t{window};
}

// The shift applied to d's non-SYN windows: d's option if both SYNs carried one (RFC 7323),
// 0 if either SYN lacked it, the largest if a SYN was not seen (midstream pickup).
uint8_t EffectiveScale(const Session& s, Direction d) {
  const uint8_t mine = s.tcp_wscale[Index(d)];
  const uint8_t theirs = s.tcp_wscale[Index(Opposite(d))];
  if (mine == kWindowScaleUnknown || theirs == kWindowScaleUnknown) return kMaxWindowScale;
  if (mine == kNoWindowScale || theirs == kNoWindowScale) return 0;
  return std::min(mine, kMaxWindowScale);
}

// RFC 7323 window-scale option (kind 3, length 3) among a SYN's options, else kNoWindowScale.
uint8_t FindWindowScale(std::span<const uint8_t> options) {
  size_t i = 0;
  while (i < options.size()) {
    const uint8_t kind = options[i];
    if (kind == 0) break;  // end of options
    if (kind == 1) {       // no-operation
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) break;
    const uint8_t len = options[i + 1];
    if (len < 2 || i + len > options.size()) break;
    if (kind == 3 && len == 3) return options[i + 2];
    i += len;
  }
  return kNoWindowScale;
}

TcpTransition Stay(TcpState state, uint8_t seen) { return {state, seen, UpdateResult::kOk}; }

TcpTransition Invalid(TcpState state, uint8_t seen, bool strict) {
  return {state, seen, strict ? UpdateResult::kInvalid : UpdateResult::kOk};
}

// FIN handling once the handshake is done (or skipped by a midstream pickup).
TcpTransition AfterHandshake(TcpState from, TcpState state, uint8_t seen, Direction d,
                             uint8_t flags) {
  if ((flags & kTcpFin) != 0) {
    seen |= d == Direction::kForward ? kSeenFinForward : kSeenFinReverse;
    const bool both = (seen & kSeenFinForward) != 0 && (seen & kSeenFinReverse) != 0;
    state = both ? TcpState::kClosing : TcpState::kFinWait;
  }
  return {state, seen, state != from ? UpdateResult::kStateChanged : UpdateResult::kOk};
}

}  // namespace

TcpSegment ReadTcpSegment(std::span<const uint8_t> header, uint32_t payload_length) {
  TcpSegment seg;
  if (header.size() < packet::kTcpMinHeaderLength) return seg;
  seg.flags = header[13];
  seg.has_seq = true;
  seg.seq = packet::LoadBe32(&header[4]);
  seg.ack = packet::LoadBe32(&header[8]);
  seg.window = packet::LoadBe16(&header[14]);
  seg.length = payload_length;
  if ((seg.flags & kTcpSyn) != 0) {
    const size_t header_length = std::min<size_t>(header.size(), (size_t{header[12]} >> 4) * 4);
    if (header_length > packet::kTcpMinHeaderLength) {
      seg.wscale = FindWindowScale(header.subspan(packet::kTcpMinHeaderLength,
                                                  header_length - packet::kTcpMinHeaderLength));
    }
  }
  return seg;
}

TcpSegment ReadTcpSegment(std::span<const uint8_t> segment) {
  if (segment.size() < packet::kTcpMinHeaderLength) return TcpSegment{};
  const size_t header_length = (size_t{segment[12]} >> 4) * 4;
  if (header_length < packet::kTcpMinHeaderLength || header_length > segment.size()) {
    TcpSegment seg;
    seg.flags = segment[13];
    return seg;
  }
  return ReadTcpSegment(segment.first(header_length),
                        static_cast<uint32_t>(segment.size() - header_length));
}

bool TcpFlagsValid(uint8_t tcp_flags) {
  switch (tcp_flags & ~(kTcpPsh | kTcpEce | kTcpCwr)) {
    case kTcpSyn:
    case kTcpSyn | kTcpUrg:
    case kTcpSyn | kTcpAck:
    case kTcpRst:
    case kTcpRst | kTcpAck:
    case kTcpFin | kTcpAck:
    case kTcpFin | kTcpAck | kTcpUrg:
    case kTcpAck:
    case kTcpAck | kTcpUrg:
      return true;
    default:
      return false;
  }
}

WindowVerdict CheckTcpWindow(const Session& s, Direction d, const TcpSegment& seg) {
  const bool rst = (seg.flags & kTcpRst) != 0;
  const bool fin = (seg.flags & kTcpFin) != 0;
  if (!seg.has_seq || (!rst && !fin)) return WindowVerdict::kOk;
  const WindowVerdict out = rst ? WindowVerdict::kRstOutOfWindow : WindowVerdict::kFinOutOfWindow;
  if (rst && s.tcp_state == TcpState::kSynSent && d == Direction::kReverse) {
    // RFC 9293 §3.10.7.3: in SYN-SENT an RST counts only with an ACK of the SYN.
    if ((s.tcp_track & kTrackSeqForward) == 0) return WindowVerdict::kOk;
    const bool acks_syn =
        (seg.flags & kTcpAck) != 0 && seg.ack == s.tcp_next_seq[Index(Direction::kForward)];
    return acks_syn ? WindowVerdict::kOk : out;
  }
  const Direction r = Opposite(d);
  if ((s.tcp_track & SeqBit(d)) == 0 || (s.tcp_track & WindowBit(r)) == 0) {
    return WindowVerdict::kOk;
  }
  return InWindow(seg.seq, s.tcp_next_seq[Index(d)], s.tcp_max_window[Index(r)])
             ? WindowVerdict::kOk
             : out;
}

void TrackTcpSegment(Session& s, Direction d, const TcpSegment& seg) {
  if (!seg.has_seq) return;
  const bool syn = (seg.flags & kTcpSyn) != 0;
  const bool handshake = s.tcp_state == TcpState::kSynSent || s.tcp_state == TcpState::kSynReceived;
  if (syn && (seg.flags & kTcpAck) == 0 && d == Direction::kForward &&
      s.tcp_state == TcpState::kSynSent) {
    s.tcp_track = 0;  // a new connection on the tuple (or its SYN again)
    s.tcp_wscale = {kWindowScaleUnknown, kWindowScaleUnknown};
  }
  const Direction r = Opposite(d);
  if ((s.tcp_track & SeqBit(d)) != 0 && (s.tcp_track & WindowBit(r)) != 0 &&
      !InWindow(seg.seq, s.tcp_next_seq[Index(d)], s.tcp_max_window[Index(r)])) {
    return;  // not in the window: learn nothing from it
  }
  // The options of a SYN count during the handshake only (a stray SYN later changes nothing).
  if (syn && handshake) s.tcp_wscale[Index(d)] = seg.wscale;
  const uint32_t end = seg.seq + seg.length + (syn ? 1u : 0u) + ((seg.flags & kTcpFin) != 0 ? 1u : 0u);
  if ((s.tcp_track & SeqBit(d)) == 0 || SeqDistance(end, s.tcp_next_seq[Index(d)]) > 0) {
    s.tcp_next_seq[Index(d)] = end;
  }
  // Windows in SYN segments are never scaled (RFC 7323 §2.2).
  const uint32_t window = syn ? uint32_t{seg.window} : uint32_t{seg.window} << EffectiveScale(s, d);
  if ((s.tcp_track & WindowBit(d)) == 0 || window > s.tcp_max_window[Index(d)]) {
    s.tcp_max_window[Index(d)] = window;
  }
  s.tcp_track |= static_cast<uint8_t>(SeqBit(d) | WindowBit(d));
}

TcpTransition NextTcpState(TcpState state, uint8_t seen, Direction d, uint8_t flags, bool strict) {
  // Combinations no TCP sends (SYN+FIN, SYN+RST, null, xmas, ...): docs/protocol.md §6.
  if (strict && !TcpFlagsValid(flags)) return {state, seen, UpdateResult::kInvalid};
  const bool fwd = d == Direction::kForward;
  const bool syn = (flags & kTcpSyn) != 0;
  const bool ack = (flags & kTcpAck) != 0;
  const bool pure_syn = syn && !ack;

  if ((flags & kTcpRst) != 0) {
    return {TcpState::kClosed, seen,
            state == TcpState::kClosed ? UpdateResult::kOk : UpdateResult::kStateChanged};
  }
  switch (state) {
    case TcpState::kNone:
      if (fwd && pure_syn) return {TcpState::kSynSent, seen, UpdateResult::kStateChanged};
      if (strict) return {state, seen, UpdateResult::kInvalid};
      // Midstream pickup (enforcement `allow`): whatever the peers do next is their business.
      return AfterHandshake(state, TcpState::kEstablished, seen, d, flags);
    case TcpState::kSynSent:
      if (!fwd && syn) return {TcpState::kSynReceived, seen, UpdateResult::kStateChanged};
      if (fwd && pure_syn) return Stay(state, seen);  // retransmitted SYN
      return Invalid(state, seen, strict);
    case TcpState::kSynReceived:
      if (fwd && ack && !syn) return AfterHandshake(state, TcpState::kEstablished, seen, d, flags);
      if (syn) return Stay(state, seen);  // retransmitted SYN or SYN-ACK
      return Invalid(state, seen, strict);
    case TcpState::kEstablished:
    case TcpState::kFinWait:
    case TcpState::kClosing:
      if (syn) {
        // The client reusing the tuple after both FINs starts a new connection.
        if (state == TcpState::kClosing && fwd && pure_syn) {
          return {TcpState::kSynSent, static_cast<uint8_t>(seen & ~(kSeenFinForward | kSeenFinReverse)),
                  UpdateResult::kStateChanged};
        }
        // A late SYN-ACK retransmission (our final ACK was lost) is normal; other SYNs are not.
        if (!fwd && ack) return Stay(state, seen);
        return Invalid(state, seen, strict);
      }
      return AfterHandshake(state, state, seen, d, flags);
    case TcpState::kClosed:
      if (fwd && pure_syn) {
        return {TcpState::kSynSent, static_cast<uint8_t>(seen & ~(kSeenFinForward | kSeenFinReverse)),
                UpdateResult::kStateChanged};
      }
      return Invalid(state, seen, strict);
  }
  return Stay(state, seen);
}

FirstPacketVerdict FirstPacketAction(uint8_t tcp_flags, config::TcpStateEnforcement enforcement) {
  // Before the RST rule: SYN+RST is a bad combination, not an RST (docs/protocol.md §6).
  if (!TcpFlagsValid(tcp_flags)) return FirstPacketVerdict::kBadFlags;
  if ((tcp_flags & kTcpRst) != 0) return FirstPacketVerdict::kDrop;  // RFC 9293 3.10.7.1
  if ((tcp_flags & kTcpSyn) != 0 && (tcp_flags & kTcpAck) == 0) return FirstPacketVerdict::kCreate;
  switch (enforcement) {
    case config::TcpStateEnforcement::kReset:
      return FirstPacketVerdict::kReset;
    case config::TcpStateEnforcement::kBlock:
      return FirstPacketVerdict::kDrop;
    case config::TcpStateEnforcement::kAllow:
      return FirstPacketVerdict::kCreate;
  }
  return FirstPacketVerdict::kDrop;
}

}  // namespace ssr::session
