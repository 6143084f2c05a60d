// SPDX-License-Identifier: Apache-2.0
#include "session/tcp_state.h"

#include "packet/protocol.h"

namespace ssr::session {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpRst;
using packet::kTcpSyn;

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

TcpTransition NextTcpState(TcpState state, uint8_t seen, Direction d, uint8_t flags, bool strict) {
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
