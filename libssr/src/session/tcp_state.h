// SPDX-License-Identifier: Apache-2.0
// TCP state tracking for sessions, and the transport-state-enforcement decision for packets that
// miss the table.
//
// Design note: the router sees both directions, so it tracks the connection the way a stateful
// firewall does, from flags only (no sequence-number window: the waypoint rewrite keeps
// sequence numbers, and window tracking is out of scope for this layer):
//
//   kNone --fwd SYN--> kSynSent --rev SYN(-ACK)--> kSynReceived --fwd ACK--> kEstablished
//   kEstablished --FIN (one dir)--> kFinWait --FIN (other dir)--> kClosing
//   any --RST--> kClosed            kClosing/kClosed --fwd SYN--> kSynSent (tuple reuse)
//
// Strict mode (the service's transport-state-enforcement is reset or block, docs/protocol.md
// §2.2) reports packets that do not fit the state as kInvalid and leaves the state alone: data or
// ACKs before the handshake completes, a SYN on an established connection, anything but a SYN
// after RST. Non-strict mode (allow) accepts them; a session whose first packet was not a SYN is
// picked up midstream as kEstablished. Retransmitted SYNs / SYN-ACKs are valid in every state
// that can produce them. The caller decides what to do with kInvalid (drop, count, RST).
#ifndef SSR_SESSION_TCP_STATE_H_
#define SSR_SESSION_TCP_STATE_H_

#include <cstdint>

#include "config/model.h"
#include "session/flow_key.h"
#include "session/session.h"

namespace ssr::session {

enum class UpdateResult : uint8_t {
  kOk,            // accounted, state unchanged
  kStateChanged,  // TCP state moved (see Session::tcp_state)
  kInvalid,       // strict mode: the packet does not fit the TCP state; state unchanged
};

struct TcpTransition {
  TcpState state;
  uint8_t seen;  // Session::seen with the FIN bits updated
  UpdateResult result;
};

// Pure transition function behind SessionTable::Update (exposed for tests and for callers that
// want to check a packet without accounting it). `seen` carries the per-direction FIN bits.
TcpTransition NextTcpState(TcpState state, uint8_t seen, Direction direction, uint8_t tcp_flags,
                           bool strict);

// What to do with a TCP packet that matched no session (docs/protocol.md §2.2 step 2, §7.27).
enum class FirstPacketVerdict : uint8_t {
  kCreate,  // a session start (SYN without ACK), or enforcement `allow`
  kReset,   // answer with RST (enforcement `reset`, the default)
  kDrop,    // drop silently (enforcement `block`, or an RST: never answer an RST with an RST)
};

FirstPacketVerdict FirstPacketAction(uint8_t tcp_flags, config::TcpStateEnforcement enforcement);

}  // namespace ssr::session

#endif  // SSR_SESSION_TCP_STATE_H_
