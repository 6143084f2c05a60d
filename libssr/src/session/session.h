// SPDX-License-Identifier: Apache-2.0
// Session: one bidirectional conversation, as stored in the SessionTable.
//
// Design note: the record is three cache lines (192 bytes, alignas(64)) laid out by access:
//   line 0  forward key + everything the per-packet path reads or writes (TCP state, flags,
//           last activity), so a forward-direction hit touches one line;
//   line 1  reverse key (compared on a reverse-direction hit, and the source of the forward
//           translation) + the embryonic/free/quarantine list links + tenant/service/peer;
//   line 2  cold: UUID, creation time, peer path, an opaque pipeline slot; then the TCP
//           sequence tracking of the RST/FIN window check (docs/protocol.md §6), which a TCP
//           packet of a tracked session reads and writes (one more line for TCP only).
// Translations are not stored: the rewrite of direction d is Reversed(key of the other
// direction) (flow_key.h, translation.h). Storing them would cost 88 bytes per session and a way
// for the two to disagree. Times are uint64 milliseconds of the caller's monotonic clock.
#ifndef SSR_SESSION_SESSION_H_
#define SSR_SESSION_SESSION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "session/flow_key.h"

namespace ssr::session {

// TCP connection state as seen by a middlebox (both directions pass through the router).
enum class TcpState : uint8_t {
  kNone,         // no TCP packet accounted yet (Update not called since Insert)
  kSynSent,      // forward SYN seen
  kSynReceived,  // reverse SYN-ACK (or SYN: simultaneous open) seen
  kEstablished,  // forward ACK completed the handshake, or picked up midstream (non-strict)
  kFinWait,      // FIN seen in one direction
  kClosing,      // FIN seen in both directions
  kClosed,       // RST seen
};
std::string_view TcpStateName(TcpState s);

// Which inactivity timeout applies (config::Timeouts). TCP picks embryonic / established /
// closing from its TcpState at expiry time.
enum class ProtocolClass : uint8_t {
  kAuto,  // SessionInit only: derive from the forward key
  kTcp,
  kUdp,
  kUdpDns,  // UDP with port 53 on either end
  kIcmp,
  kOther,
};
// Timeout class of an application tuple (protocol and ports as the end hosts see them).
ProtocolClass ClassifyProtocol(uint8_t protocol, uint16_t src_port, uint16_t dst_port);

// Bits of Session::flags. The table interprets only kWaypointsAllocated and kStrictTcp; the rest
// belong to the pipeline (metadata handshake of docs/protocol.md §2.6, encryption) and are stored
// here so the fast path reads them from the line it already has.
enum SessionFlag : uint16_t {
  kSendForwardMetadata = 1u << 0,  // ingress: add forward metadata until reverse MD arrives
  kSendReverseMetadata = 1u << 1,  // egress: add reverse metadata until a forward pkt without MD
  kPayloadEncrypted = 1u << 2,     // payload encrypted end to end (TLV 11)
  kUdpTransform = 1u << 3,         // TCP carried as UDP between the routers (§2.12)
  kHealthCheckPending = 1u << 4,   // inactivity-based recovery: next packet carries TLV 46
  kLocalBreakout = 1u << 5,        // next hop is not an SVR peer: no metadata, no waypoints
  kTransit = 1u << 6,              // intermediate router: both flows on WAN, payload untouched
  kResignal = 1u << 7,             // moved to another path: metadata rides on any TCP segment
  // The reverse key's ports came from AllocateWaypoints: on removal the reverse flow stays
  // indexed for the quarantine time so the pair is not handed out again (§2.4).
  kWaypointsAllocated = 1u << 8,
  // Transport state enforcement is reset/block: packets invalid for the TCP state are reported.
  kStrictTcp = 1u << 9,
  kIndexedByUuid = 1u << 10,       // pipeline: the session is in its UUID index
  // Adaptive encryption (docs/protocol.md §4.10), ingress only: a TCP session whose client has
  // sent no data yet; its payload is left clear until the first data segment decides.
  kAdaptivePending = 1u << 11,
  // Ingress only: switched to encryption at the first client data; the egress has not confirmed
  // (no reverse metadata since), so reverse packets still arrive clear.
  kAdaptiveUnconfirmed = 1u << 12,
};

// Internal bits of Session::seen (owned by the table).
enum SeenBit : uint8_t {
  kSeenReverse = 1u << 0,  // a reverse packet was accounted: the session is answered
  kSeenFinForward = 1u << 1,
  kSeenFinReverse = 1u << 2,
};

// TCP window-scale values of Session::tcp_wscale besides the shift itself (0..14).
inline constexpr uint8_t kNoWindowScale = 0xFE;       // the SYN carried no window-scale option
inline constexpr uint8_t kWindowScaleUnknown = 0xFF;  // no SYN seen from that side
inline constexpr uint8_t kMaxWindowScale = 14;        // RFC 7323 §2.3

// Bits of Session::tcp_track: which per-direction tracking values hold something.
enum TcpTrackBit : uint8_t {
  kTrackSeqForward = 1u << 0,     // tcp_next_seq[kForward]
  kTrackSeqReverse = 1u << 1,     // tcp_next_seq[kReverse]
  kTrackWindowForward = 1u << 2,  // tcp_max_window[kForward]
  kTrackWindowReverse = 1u << 3,  // tcp_max_window[kReverse]
};

// Slot lifecycle inside the table.
enum class SlotState : uint8_t {
  kFree,
  kLive,
  kQuarantined,  // removed; its reverse key stays indexed until last_activity_ms (= deadline)
};

struct alignas(64) Session {
  // ---- line 0: forward flow and per-packet state ----
  FlowKey forward;                              // 0..44
  TcpState tcp_state = TcpState::kNone;         // 44
  ProtocolClass protocol_class = ProtocolClass::kOther;  // 45
  SlotState slot_state = SlotState::kFree;      // 46
  uint8_t seen = 0;                             // 47 SeenBit
  uint16_t flags = 0;                           // 48 SessionFlag
  uint16_t reserved0 = 0;                       // 50
  uint32_t reserved1 = 0;                       // 52
  // Last packet time; for a quarantined slot, the time the quarantine ends.
  uint64_t last_activity_ms = 0;                // 56

  // ---- line 1: reverse flow, links, classification ----
  FlowKey reverse;                              // 64..108
  // Links of whichever intrusive list the slot is on: the free list (next only), the embryonic
  // LRU (unanswered live sessions), or the quarantine FIFO. Answered live sessions are on none.
  uint32_t prev = 0;                            // 108
  uint32_t next = 0;                            // 112
  uint32_t tenant = 0;                          // 116
  uint32_t service = 0;                         // 120
  uint32_t peer = 0;                            // 124

  // ---- line 2: cold ----
  std::array<uint8_t, 16> uuid{};               // 128 RFC 4122 session UUID (TLV 6)
  uint64_t created_ms = 0;                      // 144
  uint32_t peer_path = 0;                       // 152
  // Opaque per-session slot owned by the pipeline (e.g. a crypto-context index).
  uint32_t context = 0;                         // 156
  // TCP sequence tracking (session/tcp_state.h, docs/protocol.md §6), indexed by the sending
  // direction: the sequence number after the highest segment seen (serial arithmetic), the
  // largest window that side advertised (already scaled), its window-scale option.
  std::array<uint32_t, 2> tcp_next_seq{};       // 160
  std::array<uint32_t, 2> tcp_max_window{};     // 168
  std::array<uint8_t, 2> tcp_wscale{kWindowScaleUnknown, kWindowScaleUnknown};  // 176
  uint8_t tcp_track = 0;                        // 178 TcpTrackBit
  // Move sequence (docs/protocol.md §2.9, TLV 60 [libssr]), owned by the pipeline: at the router
  // that opened the session, the last value it sent (incremented per move or re-signal); at the
  // receiving router, the highest value it accepted. A rebind onto a new outer tuple needs a
  // strictly greater one.
  uint32_t move_seq = 0;                        // 180
  // The service route the session was given (index in the router's service_routes; see
  // pipeline/route_choice.h), kept for its life; remapped by name on a config reload.
  uint32_t route = 0;                           // 184
  // Security ID of the service key that encrypts this session's payload end to end, both ways,
  // owned by the pipeline: the sender's current key when the session starts, kept while it is
  // accepted (docs/protocol.md §4.7: a session keeps its keys through a rotation).
  uint32_t payload_key = 0;                     // 188

  const FlowKey& key(Direction d) const { return d == Direction::kForward ? forward : reverse; }
  bool answered() const { return (seen & kSeenReverse) != 0; }
  bool live() const { return slot_state == SlotState::kLive; }
};

static_assert(sizeof(Session) == 192, "Session must stay three cache lines");
static_assert(offsetof(Session, last_activity_ms) < 64, "per-packet state must be in line 0");
static_assert(offsetof(Session, reverse) == 64, "reverse key starts line 1");
static_assert(std::is_trivially_destructible_v<Session>);

}  // namespace ssr::session

#endif  // SSR_SESSION_SESSION_H_
