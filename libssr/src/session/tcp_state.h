// SPDX-License-Identifier: Apache-2.0
// TCP state tracking for sessions, and the transport-state-enforcement decision for packets that
// miss the table.
//
// Design note: the router sees both directions, so it tracks the connection the way a stateful
// firewall does: the state from the flags, plus a sequence window that only RST and FIN must
// fall into (below; the waypoint rewrite keeps sequence numbers):
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
//
// Firewall checks on top of the state machine (docs/protocol.md §6):
//  * Flag combinations (TcpFlagsValid): the table of Linux conntrack (tcp_valid_flags), PSH,
//    ECE and CWR ignored. Valid: SYN, SYN+URG, SYN+ACK, RST, RST+ACK, FIN+ACK, FIN+ACK+URG, ACK,
//    ACK+URG. Everything else is invalid: no flags ("null"), FIN without ACK (incl. FIN+URG+PSH,
//    "xmas"), SYN with FIN or RST, SYN+ACK+URG, URG alone, anything with three of SYN/FIN/RST.
//    A first packet with an invalid combination never opens a session (kBadFlags, whatever the
//    enforcement); on a session, strict enforcement reports it as kInvalid.
//  * RST / FIN window (CheckTcpWindow): the table tracks per direction the sequence number after
//    the highest segment seen (next_seq) and the largest window advertised. An RST or FIN from d
//    is accepted only if its sequence number lies in [next_seq(d) - W, next_seq(d) + W], W the
//    largest window the receiver advertised: the receiver's RCV.NXT is at most W behind
//    next_seq(d) (no more than W is in flight), and RFC 5961 §3.2 accepts an RST in
//    [RCV.NXT, RCV.NXT + RCV.WND). A middlebox cannot send the challenge ACK, so an in-window
//    RST closes and an out-of-window RST or FIN is dropped (kRstOutOfWindow / kFinOutOfWindow),
//    state and timer untouched. In SYN-SENT the answer RST must acknowledge the SYN exactly
//    (RFC 9293 §3.10.7.3). Nothing to compare with (no segment seen yet from d, no window from
//    the receiver, or no sequence numbers visible: has_seq false) accepts.
//  * Window scaling: the shift comes from the SYN and SYN-ACK options (both must carry it, RFC
//    7323); a session whose SYN the router did not see (midstream pickup) uses the largest shift
//    (14) for both sides: W up to 2^30, conservative (never drops a legitimate RST).
//  * Only segments that are themselves in the window move next_seq and the window, so a
//    spoofed far-away segment cannot drag the window to where the attacker's RST lands.
#ifndef SSR_SESSION_TCP_STATE_H_
#define SSR_SESSION_TCP_STATE_H_

#include <cstdint>
#include <span>

#include "config/model.h"
#include "session/flow_key.h"
#include "session/session.h"

namespace ssr::session {

enum class UpdateResult : uint8_t {
  kOk,            // accounted, state unchanged
  kStateChanged,  // TCP state moved (see Session::tcp_state)
  kInvalid,       // strict mode: the packet does not fit the TCP state; state unchanged
  kRstOutOfWindow,  // an RST outside the receiver's window: to drop; state unchanged
  kFinOutOfWindow,  // a FIN outside the receiver's window: to drop; state unchanged
};

// One TCP segment as the tracker sees it. has_seq false: only the flags are known (the segment
// is not visible, e.g. end-to-end encrypted at a transit router): no window check, no tracking.
struct TcpSegment {
  uint8_t flags = 0;
  bool has_seq = false;
  uint8_t wscale = kNoWindowScale;  // a SYN's window-scale option, kNoWindowScale if absent
  uint16_t window = 0;              // as in the header (not scaled)
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint32_t length = 0;  // payload bytes (SYN and FIN not counted)
};

// A segment from its TCP header (header.size() >= 20; options up to the data offset or the
// span's end, whichever is shorter) and its payload length. Fewer than 20 bytes: has_seq false.
TcpSegment ReadTcpSegment(std::span<const uint8_t> header, uint32_t payload_length);
// A segment from a whole TCP segment (header + payload), the header length from its data offset.
TcpSegment ReadTcpSegment(std::span<const uint8_t> segment);

// Whether a flag combination is one a TCP sends (the table in the design note).
bool TcpFlagsValid(uint8_t tcp_flags);

enum class WindowVerdict : uint8_t { kOk, kRstOutOfWindow, kFinOutOfWindow };
// The RST/FIN sequence check for a segment of `s` sent in direction d (design note).
WindowVerdict CheckTcpWindow(const Session& s, Direction d, const TcpSegment& segment);
// Learns from an accepted segment, after the state machine moved s.tcp_state: next_seq and
// window of d, the window scale from a handshake SYN. A forward SYN that (re)started the
// handshake (state kSynSent: a new connection on the tuple) starts the tracking afresh.
void TrackTcpSegment(Session& s, Direction d, const TcpSegment& segment);

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
  kBadFlags,  // drop: an invalid flag combination (TcpFlagsValid), whatever the enforcement
};

FirstPacketVerdict FirstPacketAction(uint8_t tcp_flags, config::TcpStateEnforcement enforcement);

}  // namespace ssr::session

#endif  // SSR_SESSION_TCP_STATE_H_
