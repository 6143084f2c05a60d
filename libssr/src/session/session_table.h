// SPDX-License-Identifier: Apache-2.0
// SessionTable: the per-worker table of sessions, both flows of each indexed by FlowKey.
//
// Design note.
//  * Memory is allocated once, in Create(): a fixed array of max_sessions Session records
//    (192 B each) and a FlowIndex with a power-of-two number of 8-byte slots >= 4 x max_sessions
//    (both flows, load <= 0.5). At the default 1,048,576 sessions that is 192 + 32 = 224 bytes
//    per session. Both arrays sit on transparent huge pages when large (huge_array.h). Insert,
//    Lookup, Update, Erase, Expire and AllocateWaypoints never allocate, throw, lock or make
//    system calls. One table per worker; not thread-safe.
//  * Every slot is on exactly one intrusive list (links inside the Session) or on none:
//      free list        unused slots (singly linked);
//      embryonic LRU    live embryonic sessions (below), least recently active first;
//      quarantine FIFO  removed sessions whose allocated waypoint pair is held back (§2.4);
//      none             settled live sessions (answered, TCP handshake completed), and TCP
//                       sessions reset or closed after they settled.
//  * "Embryonic" (for eviction) means precisely: live, and either unanswered (no packet
//    accounted in the reverse direction yet, Session::answered() is false) or a TCP session
//    whose handshake has not completed (state none, SYN sent, SYN received, or closed by an RST
//    before it was established) even though the server answered. That covers a TCP SYN with or
//    without SYN-ACK / RST, a TCP session picked up midstream without any answer, and UDP / ICMP
//    / other sessions that have carried packets in one direction only. A session leaves the LRU
//    for good when it is answered and (TCP) its handshake completed: such sessions are never
//    evicted. A SYN flood whose SYNs the server answers therefore stays evictable
//    (docs/protocol.md §2.10.1).
//  * When Insert finds no free slot it takes, in this order: the quarantine head (its tuple
//    reservation is dropped early, counted), then the least recently active embryonic session
//    (evicted: counted and reported through the removal callback), else it fails with
//    kTableFull. All three are O(1).
//  * Embryonic caps (SessionTableOptions): Insert refuses a new session (kEmbryonicLimit,
//    counted) when its client address or its tenant already holds the configured number of
//    embryonic sessions. Per-source counts live in a fixed count-min sketch (2 rows x 4096
//    32-bit counters, 32 KiB, allocated in Create); an address is over its cap only when both of
//    its counters are, so a collision can make a source look busier than it is only if it
//    collides in both rows. Per-tenant counts are an array indexed by tenant (SetTenantCount).
//    The client address is the forward key's source when the reverse key came from the waypoint
//    allocator (ingress; transit sessions are not counted per source), else the reverse key's
//    destination (egress and local breakout: the address the server answers).
//  * Under pressure (live sessions >= pressure_percent of capacity) a TCP session still on the
//    embryonic LRU expires after embryonic_pressure_timeout_ms when that is shorter than its
//    normal timeout (counted as kExpiredUnderPressure too).
//  * Expiry is an incremental sweep (Expire(now, budget) looks at `budget` slots, resuming where
//    the last call stopped), so it needs no timer structure and its cost per call is bounded; a
//    session is removed at most one full sweep period after its timeout. The worker calls it
//    from its idle/drain loop with a budget that sweeps the table in ~1 s.
//  * Waypoint quarantine: a removed session whose reverse key came from AllocateWaypoints keeps
//    its reverse key in the index (slot state kQuarantined) until `quarantine_ms` has passed, so
//    the allocator's index probe sees the pair as taken. Quarantined flows are invisible to
//    Lookup. Evicted sessions and early-reclaimed quarantine slots skip the quarantine (their
//    slot is needed right now); the removal callback lets the pipeline send Delete Session.
#ifndef SSR_SESSION_SESSION_TABLE_H_
#define SSR_SESSION_SESSION_TABLE_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "session/flow_index.h"
#include "session/flow_key.h"
#include "session/huge_array.h"
#include "session/session.h"
#include "session/tcp_state.h"
#include "session/waypoint.h"
#include "util/counters.h"

namespace ssr::session {

#define SSR_SESSION_COUNTERS(X)                                                                 \
  X(kLookupHit, "session_lookup_hit", "packet matched a session flow")                         \
  X(kLookupMiss, "session_lookup_miss", "packet matched no session flow")                      \
  X(kInserted, "session_inserted", "session created")                                          \
  X(kExists, "session_exists", "insert refused: the forward or reverse key is already in use")  \
  X(kInvalidKey, "session_invalid_key", "insert refused: forward and reverse key are equal")    \
  X(kTableFull, "session_table_full",                                                          \
    "insert refused: no free slot and no embryonic session to evict")                          \
  X(kEvictedEmbryonic, "session_evicted_embryonic",                                            \
    "embryonic session evicted to admit a new one (table full)")                               \
  X(kEvictedHalfOpen, "session_evicted_half_open",                                             \
    "of session_evicted_embryonic: the server had answered but the TCP handshake was not done") \
  X(kEmbryonicSourceLimit, "session_embryonic_source_limit",                                   \
    "insert refused: the client address holds max_embryonic_per_source embryonic sessions")    \
  X(kEmbryonicTenantLimit, "session_embryonic_tenant_limit",                                   \
    "insert refused: the tenant holds max_embryonic_per_tenant embryonic sessions")            \
  X(kExpiredUnderPressure, "session_expired_under_pressure",                                   \
    "TCP embryonic session expired by the shorter under-pressure timeout (table nearly full)")  \
  X(kQuarantineReclaimed, "session_quarantine_reclaimed",                                      \
    "quarantined waypoint pair released early: its slot was needed (table full) or a new "     \
    "session uses its key")                                                                    \
  X(kQuarantineReleased, "session_quarantine_released", "waypoint pair quarantine ended")      \
  X(kErased, "session_erased", "session removed by the caller (close, Delete Session)")        \
  X(kExpiredTcpEmbryonic, "session_expired_tcp_embryonic",                                     \
    "TCP session idle past the embryonic timeout before the handshake completed")             \
  X(kExpiredTcpEstablished, "session_expired_tcp_established",                                 \
    "established TCP session idle past its timeout")                                           \
  X(kExpiredTcpClosing, "session_expired_tcp_closing",                                         \
    "TCP session idle past the closing timeout after FIN or RST")                              \
  X(kExpiredUdp, "session_expired_udp", "UDP session idle past its timeout")                   \
  X(kExpiredUdpDns, "session_expired_udp_dns", "UDP port-53 session idle past its timeout")    \
  X(kExpiredIcmp, "session_expired_icmp", "ICMP echo session idle past its timeout")           \
  X(kExpiredOther, "session_expired_other", "other-protocol session idle past its timeout")    \
  X(kTcpStateChange, "session_tcp_state_change", "TCP state moved")                            \
  X(kTcpInvalid, "session_tcp_invalid",                                                        \
    "strict transport-state enforcement: packet invalid for the TCP state")                    \
  X(kTcpRstOutOfWindow, "session_tcp_rst_out_of_window",                                      \
    "TCP RST outside the receiver's window: not accepted (docs/protocol.md §6)")              \
  X(kTcpFinOutOfWindow, "session_tcp_fin_out_of_window",                                      \
    "TCP FIN outside the receiver's window: not accepted (docs/protocol.md §6)")              \
  X(kWaypointsAllocated, "session_waypoints_allocated", "waypoint port pair handed out")       \
  X(kRebound, "session_rebound", "a live session's flow moved to a new key (peer-path move)")   \
  X(kWaypointsExhausted, "session_waypoints_exhausted",                                        \
    "no free waypoint port pair within the probe budget")

SSR_DEFINE_COUNTER_ENUM(SessionCounter, SSR_SESSION_COUNTERS)

// Why the table removed a session on its own (reported through the removal callback).
enum class RemovalReason : uint8_t {
  kEvictedEmbryonic,
  kExpiredTcpEmbryonic,
  kExpiredTcpEstablished,
  kExpiredTcpClosing,
  kExpiredUdp,
  kExpiredUdpDns,
  kExpiredIcmp,
  kExpiredOther,
};
std::string_view RemovalReasonName(RemovalReason r);

// Called for every session the table removes by itself (eviction, expiry), while the session is
// still intact, so the pipeline can send Delete Session or release per-session resources. It
// must not call back into the table.
using RemovalCallback = void (*)(void* context, const Session& session, RemovalReason reason);

struct SessionTableOptions {
  uint32_t max_sessions = config::Limits{}.max_sessions;
  config::Timeouts timeouts;
  // How long a removed session's allocated waypoint pair stays reserved. kDefaultQuarantine
  // means 2 x the longest timeout in `timeouts` (docs/protocol.md §2.4); 0 disables quarantine.
  static constexpr uint64_t kDefaultQuarantine = std::numeric_limits<uint64_t>::max();
  uint64_t quarantine_ms = kDefaultQuarantine;
  // AllocateWaypoints gives up (kExhausted) after this many taken pairs in a row.
  uint32_t max_waypoint_probes = 64;
  // Embryonic caps (design note); 0: no cap. The per-tenant cap binds for tenants below the
  // count given to SetTenantCount (none until it is called).
  uint32_t max_embryonic_per_source = config::Limits{}.max_embryonic_per_source;
  uint32_t max_embryonic_per_tenant = config::Limits{}.max_embryonic_per_tenant;
  // Under-pressure embryonic timeout (design note); pressure_percent 0 disables it.
  uint32_t pressure_percent = config::Limits{}.embryonic_pressure_percent;
  uint64_t embryonic_pressure_timeout_ms =
      uint64_t{config::Limits{}.tcp_embryonic_under_pressure_seconds} * 1000;
};

// Everything Insert needs; the table copies it into the Session.
struct SessionInit {
  FlowKey forward;  // the first packet's tuple as received
  FlowKey reverse;  // the tuple answers arrive with
  uint32_t tenant = 0;
  uint32_t service = 0;
  uint32_t peer = 0;
  uint32_t peer_path = 0;
  uint32_t context = 0;
  uint32_t route = 0;  // index in the router's service_routes
  uint32_t payload_key = 0;  // Session::payload_key
  std::array<uint8_t, 16> uuid{};
  uint16_t flags = 0;  // SessionFlag bits
  // Timeout class. kAuto derives it from the forward key, which is right at the ingress
  // (LAN tuple). Egress and intermediate routers see the outer tuple there and pass
  // ClassifyProtocol() of the forward context instead.
  ProtocolClass protocol_class = ProtocolClass::kAuto;
};

enum class InsertResult : uint8_t { kOk, kExists, kInvalidKey, kTableFull, kEmbryonicLimit };
std::string_view InsertResultName(InsertResult r);

struct InsertOutcome {
  InsertResult result = InsertResult::kTableFull;
  Session* session = nullptr;  // set for kOk
};

struct LookupResult {
  Session* session = nullptr;  // nullptr: miss
  Direction direction = Direction::kForward;
  explicit operator bool() const { return session != nullptr; }
};

enum class WaypointResult : uint8_t { kOk, kExhausted };

class SessionTable {
 public:
  // InvalidArgument if max_sessions is 0 or above kMaxSessions.
  static absl::StatusOr<std::unique_ptr<SessionTable>> Create(const SessionTableOptions& options);
  static constexpr uint32_t kMaxSessions = 1u << 30;

  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  void SetRemovalCallback(RemovalCallback callback, void* context) {
    callback_ = callback;
    callback_context_ = context;
  }

  // The live session whose forward or reverse key is `key`, and which of the two it matched.
  LookupResult Lookup(const FlowKey& key) {
    return Lookup(key, FlowIndex::Hash(key));
  }
  // Same with a precomputed FlowIndex::Hash(key). For a burst, run the stages over all packets
  // before the next stage: hash + Prefetch, then PrefetchSession, then Lookup; each stage's
  // memory accesses then overlap instead of costing one cache miss per packet in turn.
  LookupResult Lookup(const FlowKey& key, uint64_t hash);
  void Prefetch(uint64_t hash) const { index_.Prefetch(hash); }
  // Prefetches the cache line holding the key the home index slot points to (the forward key
  // is in line 0 of a session, the reverse key in line 1).
  void PrefetchSession(uint64_t hash) const {
    const uint32_t id = index_.Peek(hash);
    if (id != FlowIndex::kNone) __builtin_prefetch(&KeyOfFlow(id));
  }

  // Creates a session with both flows. Fails with kExists if either key is used by a live
  // session (a quarantined holder of the key is released instead: the new session wins),
  // kInvalidKey if the two keys are equal, kTableFull as described in the design note. The new
  // session starts unanswered, TCP state kNone: the caller accounts the first packet with
  // Update(kForward, ...) like any other.
  InsertOutcome Insert(const SessionInit& init, uint64_t now_ms);
  // The embryonic caps alone (Insert applies them too): kEmbryonicLimit (counted) when `init`'s
  // client address or tenant is at its cap, else kOk. Lets a caller refuse before spending
  // work on the session (e.g. allocating waypoints); init.flags must already carry
  // kWaypointsAllocated / kTransit as they will be inserted.
  InsertResult CheckEmbryonicCaps(const SessionInit& init);

  // Accounts one packet of `session` in `direction`: refreshes the inactivity timer, marks the
  // session answered on the first reverse packet, and runs the TCP state machine for TCP
  // sessions (the segment is ignored otherwise). With sequence numbers (segment.has_seq) an
  // RST or FIN outside the receiver's window is refused (kRstOutOfWindow / kFinOutOfWindow,
  // counted, timer and state untouched) and accepted segments are tracked (tcp_state.h).
  UpdateResult Update(Session& session, Direction direction, const TcpSegment& segment,
                      uint64_t now_ms);
  // Flags only: no window check, no tracking.
  UpdateResult Update(Session& session, Direction direction, uint8_t tcp_flags, uint64_t now_ms) {
    TcpSegment segment;
    segment.flags = tcp_flags;
    return Update(session, direction, segment, now_ms);
  }

  // Moves one flow of a live session to a new key (a session moved to another peer path, §2.9):
  // TCP state, timers, UUID and the other flow stay. kExists if a live session uses `key` (a
  // quarantined holder is released instead), kInvalidKey if `key` equals the other flow's key.
  // The old key is released at once (not quarantined): the session that owned it still exists,
  // so the peer's state for that tuple is being moved, not orphaned.
  InsertResult Rebind(Session& session, Direction direction, const FlowKey& key);

  // Per-tenant embryonic counting covers tenants 0..count-1. Recounts every embryonic session
  // (O(embryonic sessions); allocates when the count grows): call it after tenant indices of
  // live sessions were remapped (config reload). Not for the packet path.
  void SetTenantCount(uint32_t count);
  // A reloaded config's timeouts and embryonic limits (options.timeouts, quarantine_ms,
  // max_embryonic_per_source/_tenant, pressure_percent, embryonic_pressure_timeout_ms; the
  // table's size and max_waypoint_probes stay). Expiry measures every live session against the
  // new timeouts from the next Expire on (a session's deadline is its last activity plus its
  // class's timeout); sessions already in quarantine keep their release time. Call
  // SetTenantCount after it: the embryonic counts are rebuilt there under the new caps. Not for
  // the packet path.
  void Retune(const SessionTableOptions& options);
  // The per-source sketch's estimate for `address` (the smaller of its two counters). Sources
  // and tenants are counted only while their cap is set (0 otherwise).
  uint32_t EmbryonicFromSource(const util::IpAddress& address) const;
  uint32_t EmbryonicOfTenant(uint32_t tenant) const {
    return tenant < tenant_embryonic_.size() ? tenant_embryonic_[tenant] : 0;
  }
  // True while the under-pressure embryonic timeout applies.
  bool UnderPressure() const {
    return pressure_percent_ != 0 &&
           uint64_t{live_} * 100 >= uint64_t{capacity_} * pressure_percent_;
  }
  // True while `session` is on the embryonic LRU (evictable).
  bool IsEmbryonic(const Session& session) const { return OnEmbryonicList(IndexOf(session)); }

  // Evicts the oldest embryonic session (counted and reported through the removal callback like
  // an eviction by Insert) to make room under a limit the table does not know about (the
  // router-wide session budget). False when there is none: established sessions are never
  // evicted.
  bool EvictOldestEmbryonic(uint64_t now_ms);

  // Removes a live session (close, Delete Session). No callback: the caller knows. If its
  // waypoints were allocated the reverse key is quarantined.
  void Erase(Session& session, uint64_t now_ms);

  // Inspects up to `budget` slots from where the previous call stopped; removes live sessions
  // idle past their timeout (counter + callback) and ends finished quarantines. Returns the
  // number of sessions expired.
  uint32_t Expire(uint64_t now_ms, uint32_t budget);

  // Calls f(index) for every occupied slot (a live or quarantined session) among the next
  // `budget` slots from *cursor, in index order, and moves *cursor past them. A scan stops at
  // the end of the table: *cursor is then 0 and the result true (a full visit ended), so callers
  // that count per visit can start the next one. f may remove the session it is given. Empty
  // slots cost one bit each (an occupancy bitmap, 64 slots per word): sweeping a large, mostly
  // empty table reads 128 KiB per million slots instead of every session's cache line.
  template <class F>
  bool VisitOccupied(uint32_t* cursor, uint32_t budget, F&& f) {
    uint32_t i = *cursor < capacity_ ? *cursor : 0;
    uint32_t left = std::min(budget, capacity_ - i);
    while (left > 0) {
      const uint32_t bit = i & 63u;
      const uint32_t span = std::min(64u - bit, left);
      uint64_t word = occupied_[i >> 6] >> bit;
      if (span < 64) word &= (uint64_t{1} << span) - 1;
      while (word != 0) {
        const uint32_t b = static_cast<uint32_t>(__builtin_ctzll(word));
        word &= word - 1;
        f(i + b);
      }
      i += span;
      left -= span;
    }
    const bool wrapped = i == capacity_;
    *cursor = wrapped ? 0 : i;
    return wrapped;
  }

  // Picks the next free (local, remote) waypoint port pair of `pool` round-robin and writes the
  // reverse key it implies to *reverse (for SessionInit::reverse; set kWaypointsAllocated in
  // SessionInit::flags). A pair is free when no live or quarantined session has that reverse
  // key; a finished quarantine found on the way is released. kExhausted (counted) after
  // max_waypoint_probes taken pairs in a row, or once every pair of a smaller pool was tried.
  // With flow_class >= 0 (flow_owner.h) only pairs of that class are tried, unless the pool's
  // range has none (then the whole range).
  WaypointResult AllocateWaypoints(WaypointPool& pool, uint64_t now_ms, FlowKey* reverse,
                                   int flow_class = -1);

  // Inactivity timeout of a live session in its current state, in milliseconds.
  uint64_t TimeoutMs(const Session& session) const;

  uint32_t size() const { return live_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t quarantined() const { return quarantined_; }
  uint32_t embryonic() const { return embryonic_count_; }
  uint32_t IndexOf(const Session& session) const {
    return static_cast<uint32_t>(&session - sessions_.get());
  }
  Session& at(uint32_t index) { return sessions_[index]; }
  const Session& at(uint32_t index) const { return sessions_[index]; }

  // Bytes held by the table, computed from capacities: session array + flow index slots +
  // occupancy bitmap (the object itself, the 32 KiB per-source sketch, the per-tenant counters
  // and allocator overhead are not counted; they do not grow with the capacity).
  size_t MemoryBytes() const {
    return size_t{capacity_} * sizeof(Session) + index_.MemoryBytes() +
           occupied_.size() * sizeof(uint64_t);
  }
  const FlowIndex& index() const { return index_; }

  const util::CounterArray<SessionCounter>& counters() const { return counters_; }

 private:
  static constexpr uint32_t kNil = 0xFFFFFFFFu;
  // Timeout classes, indexes of timeout_ms_.
  enum TimeoutSlot : uint8_t {
    kTcpEmbryonic, kTcpEstablished, kTcpClosing, kUdp, kUdpDns, kIcmp, kOther, kTimeoutSlots
  };

  explicit SessionTable(const SessionTableOptions& options);

  static uint32_t FlowId(uint32_t index, Direction d) {
    return index * 2 + static_cast<uint32_t>(d);
  }
  const FlowKey& KeyOfFlow(uint32_t flow_id) const {
    const Session& s = sessions_[flow_id >> 1];
    return (flow_id & 1u) != 0 ? s.reverse : s.forward;
  }
  uint32_t FindFlow(const FlowKey& key, uint64_t hash) const {
    return index_.Find(key, hash, [this](uint32_t id) -> const FlowKey& { return KeyOfFlow(id); });
  }

  TimeoutSlot TimeoutSlotOf(const Session& s) const;

  // List helpers. Lists are (head, tail) pairs of slot indices threaded through prev/next.
  struct List {
    uint32_t head = kNil;
    uint32_t tail = kNil;
  };
  void PushBack(List& list, uint32_t index);
  void Unlink(List& list, uint32_t index);
  uint32_t PopFreeSlot();
  void PushFreeSlot(uint32_t index);

  // Removes a live session's flows; quarantines it when allowed and its waypoints were
  // allocated, else returns the slot to the free list.
  void Remove(uint32_t index, uint64_t now_ms, bool allow_quarantine);
  // Ends a quarantine: unindexes the reverse key and frees the slot.
  void ReleaseQuarantine(uint32_t index);
  // A slot for a new session, or kNil (kTableFull).
  uint32_t AcquireSlot(uint64_t now_ms);

  // Embryonic LRU membership and the caps' counters. A live session off the LRU has prev ==
  // kNil (Unlink) and is not the head.
  bool OnEmbryonicList(uint32_t index) const {
    return sessions_[index].prev != kNil || embryonic_.head == index;
  }
  // Answered and, for TCP, handshake completed (line 0 only). A settled session is never on the
  // LRU: Update takes it off on the packet that settles it. An unsettled one may be off it too
  // (a TCP session established, then reset).
  static bool Settled(const Session& s) {
    return s.answered() &&
           (s.protocol_class != ProtocolClass::kTcp || s.tcp_state == TcpState::kEstablished ||
            s.tcp_state == TcpState::kFinWait || s.tcp_state == TcpState::kClosing);
  }
  void LeaveEmbryonic(uint32_t index);
  static const util::IpAddress* ClientAddress(const Session& s);
  void SourceBuckets(const util::IpAddress& address, uint32_t* a, uint32_t* b) const;
  void CountEmbryonic(const Session& s, int delta);
  static constexpr uint32_t kSourceBuckets = 4096;  // per row, power of two

  uint32_t capacity_;
  uint64_t quarantine_ms_;
  uint32_t max_waypoint_probes_;
  std::array<uint64_t, kTimeoutSlots> timeout_ms_{};

  HugeArray<Session> sessions_;
  FlowIndex index_;
  // Bit i set while slot i holds a live or quarantined session (VisitOccupied).
  std::vector<uint64_t> occupied_;
  void MarkOccupied(uint32_t index) { occupied_[index >> 6] |= uint64_t{1} << (index & 63u); }
  void MarkFree(uint32_t index) { occupied_[index >> 6] &= ~(uint64_t{1} << (index & 63u)); }

  uint32_t free_head_ = kNil;
  List embryonic_;
  List quarantine_;
  uint32_t live_ = 0;
  uint32_t quarantined_ = 0;
  uint32_t embryonic_count_ = 0;
  uint32_t sweep_cursor_ = 0;

  uint32_t max_embryonic_per_source_ = 0;
  uint32_t max_embryonic_per_tenant_ = 0;
  uint32_t pressure_percent_ = 0;
  uint64_t pressure_timeout_ms_ = 0;
  std::vector<uint32_t> source_embryonic_;  // 2 x kSourceBuckets, the count-min sketch
  std::vector<uint32_t> tenant_embryonic_;

  RemovalCallback callback_ = nullptr;
  void* callback_context_ = nullptr;
  util::CounterArray<SessionCounter> counters_;
};

}  // namespace ssr::session

#endif  // SSR_SESSION_SESSION_TABLE_H_
