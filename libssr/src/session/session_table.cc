// SPDX-License-Identifier: Apache-2.0
#include "session/session_table.h"

#include <algorithm>
#include <chrono>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ssr::session {
namespace {

uint64_t Ms(std::chrono::seconds s) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(s).count());
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

// +1 / -1 on a counter; never below 0, so a count that went astray (a session's tenant index
// remapped before SetTenantCount) cannot wrap into a cap that refuses everything.
void Add(uint32_t& counter, int delta) {
  if (delta > 0) {
    ++counter;
  } else if (counter > 0) {
    --counter;
  }
}

}  // namespace

std::string_view RemovalReasonName(RemovalReason r) {
  switch (r) {
    case RemovalReason::kEvictedEmbryonic:
      return "evicted_embryonic";
    case RemovalReason::kExpiredTcpEmbryonic:
      return "expired_tcp_embryonic";
    case RemovalReason::kExpiredTcpEstablished:
      return "expired_tcp_established";
    case RemovalReason::kExpiredTcpClosing:
      return "expired_tcp_closing";
    case RemovalReason::kExpiredUdp:
      return "expired_udp";
    case RemovalReason::kExpiredUdpDns:
      return "expired_udp_dns";
    case RemovalReason::kExpiredIcmp:
      return "expired_icmp";
    case RemovalReason::kExpiredOther:
      return "expired_other";
  }
  return "invalid";
}

std::string_view InsertResultName(InsertResult r) {
  switch (r) {
    case InsertResult::kOk:
      return "ok";
    case InsertResult::kExists:
      return "exists";
    case InsertResult::kInvalidKey:
      return "invalid_key";
    case InsertResult::kTableFull:
      return "table_full";
    case InsertResult::kEmbryonicLimit:
      return "embryonic_limit";
  }
  return "invalid";
}

absl::StatusOr<std::unique_ptr<SessionTable>> SessionTable::Create(
    const SessionTableOptions& options) {
  if (options.max_sessions == 0 || options.max_sessions > kMaxSessions) {
    return absl::InvalidArgumentError(absl::StrCat("session table: max_sessions ",
                                                   options.max_sessions, " is not in 1..",
                                                   kMaxSessions));
  }
  return std::unique_ptr<SessionTable>(new SessionTable(options));
}

SessionTable::SessionTable(const SessionTableOptions& options)
    : capacity_(options.max_sessions),
      max_waypoint_probes_(std::max<uint32_t>(options.max_waypoint_probes, 1)),
      sessions_(options.max_sessions),
      index_(size_t{options.max_sessions} * 2),
      occupied_((size_t{options.max_sessions} + 63) / 64, 0),
      source_embryonic_(size_t{2} * kSourceBuckets, 0) {
  Retune(options);
  // Free list in index order, so a fresh table fills the array front to back.
  for (uint32_t i = capacity_; i-- > 0;) PushFreeSlot(i);
}

void SessionTable::Retune(const SessionTableOptions& options) {
  max_embryonic_per_source_ = options.max_embryonic_per_source;
  max_embryonic_per_tenant_ = options.max_embryonic_per_tenant;
  pressure_percent_ = std::min<uint32_t>(options.pressure_percent, 100);
  pressure_timeout_ms_ = options.embryonic_pressure_timeout_ms;
  const config::Timeouts& t = options.timeouts;
  timeout_ms_[kTcpEmbryonic] = Ms(t.tcp_embryonic);
  timeout_ms_[kTcpEstablished] = Ms(t.tcp_established);
  timeout_ms_[kTcpClosing] = Ms(t.tcp_closing);
  timeout_ms_[kUdp] = Ms(t.udp);
  timeout_ms_[kUdpDns] = Ms(t.udp_dns);
  timeout_ms_[kIcmp] = Ms(t.icmp);
  timeout_ms_[kOther] = Ms(t.other);
  if (options.quarantine_ms == SessionTableOptions::kDefaultQuarantine) {
    quarantine_ms_ = 2 * *std::max_element(timeout_ms_.begin(), timeout_ms_.end());
  } else {
    quarantine_ms_ = options.quarantine_ms;
  }
}

// ---- lists ----

void SessionTable::PushBack(List& list, uint32_t index) {
  Session& s = sessions_[index];
  s.prev = list.tail;
  s.next = kNil;
  if (list.tail != kNil) {
    sessions_[list.tail].next = index;
  } else {
    list.head = index;
  }
  list.tail = index;
}

void SessionTable::Unlink(List& list, uint32_t index) {
  Session& s = sessions_[index];
  if (s.prev != kNil) {
    sessions_[s.prev].next = s.next;
  } else {
    list.head = s.next;
  }
  if (s.next != kNil) {
    sessions_[s.next].prev = s.prev;
  } else {
    list.tail = s.prev;
  }
  s.prev = s.next = kNil;
}

uint32_t SessionTable::PopFreeSlot() {
  const uint32_t index = free_head_;
  if (index != kNil) free_head_ = sessions_[index].next;
  return index;
}

void SessionTable::PushFreeSlot(uint32_t index) {
  Session& s = sessions_[index];
  s.slot_state = SlotState::kFree;
  MarkFree(index);
  s.prev = kNil;
  s.next = free_head_;
  free_head_ = index;
}

// ---- lookup / insert / update / erase ----

LookupResult SessionTable::Lookup(const FlowKey& key, uint64_t hash) {
  const uint32_t id = FindFlow(key, hash);
  if (id != FlowIndex::kNone) {
    Session& s = sessions_[id >> 1];
    // Only reverse flows of quarantined slots stay indexed; to packets they do not exist.
    if (s.slot_state == SlotState::kLive) {
      counters_.Increment(SessionCounter::kLookupHit);
      return {&s, static_cast<Direction>(id & 1u)};
    }
  }
  counters_.Increment(SessionCounter::kLookupMiss);
  return {};
}

InsertOutcome SessionTable::Insert(const SessionInit& init, uint64_t now_ms) {
  if (init.forward == init.reverse) {
    counters_.Increment(SessionCounter::kInvalidKey);
    return {InsertResult::kInvalidKey, nullptr};
  }
  const uint64_t forward_hash = FlowIndex::Hash(init.forward);
  const uint64_t reverse_hash = FlowIndex::Hash(init.reverse);
  for (int pass = 0; pass < 2; ++pass) {
    const uint32_t id = pass == 0 ? FindFlow(init.forward, forward_hash)
                                  : FindFlow(init.reverse, reverse_hash);
    if (id == FlowIndex::kNone) continue;
    if (sessions_[id >> 1].slot_state == SlotState::kLive) {
      counters_.Increment(SessionCounter::kExists);
      return {InsertResult::kExists, nullptr};
    }
    // A quarantine only reserves a tuple against our own allocator; a session that really uses
    // the tuple (e.g. chosen by the peer) takes precedence.
    ReleaseQuarantine(id >> 1);
    counters_.Increment(SessionCounter::kQuarantineReclaimed);
  }

  if (CheckEmbryonicCaps(init) != InsertResult::kOk) {
    return {InsertResult::kEmbryonicLimit, nullptr};
  }

  const uint32_t index = AcquireSlot(now_ms);
  if (index == kNil) {
    counters_.Increment(SessionCounter::kTableFull);
    return {InsertResult::kTableFull, nullptr};
  }
  Session& s = sessions_[index];
  s = Session{};
  s.forward = init.forward;
  s.reverse = init.reverse;
  s.protocol_class =
      init.protocol_class != ProtocolClass::kAuto
          ? init.protocol_class
          : ClassifyProtocol(init.forward.protocol, init.forward.src_port, init.forward.dst_port);
  s.slot_state = SlotState::kLive;
  MarkOccupied(index);
  s.flags = init.flags;
  s.last_activity_ms = now_ms;
  s.tenant = init.tenant;
  s.service = init.service;
  s.peer = init.peer;
  s.uuid = init.uuid;
  s.created_ms = now_ms;
  s.peer_path = init.peer_path;
  s.context = init.context;
  s.route = init.route;
  s.payload_key = init.payload_key;
  index_.Insert(forward_hash, FlowId(index, Direction::kForward));
  index_.Insert(reverse_hash, FlowId(index, Direction::kReverse));
  PushBack(embryonic_, index);
  ++embryonic_count_;
  CountEmbryonic(s, +1);
  ++live_;
  counters_.Increment(SessionCounter::kInserted);
  return {InsertResult::kOk, &s};
}

InsertResult SessionTable::CheckEmbryonicCaps(const SessionInit& init) {
  if (max_embryonic_per_tenant_ != 0 &&
      EmbryonicOfTenant(init.tenant) >= max_embryonic_per_tenant_) {
    counters_.Increment(SessionCounter::kEmbryonicTenantLimit);
    return InsertResult::kEmbryonicLimit;
  }
  if (max_embryonic_per_source_ != 0 && (init.flags & kTransit) == 0) {
    const bool allocated = (init.flags & kWaypointsAllocated) != 0;
    if (EmbryonicFromSource(allocated ? init.forward.src : init.reverse.dst) >=
        max_embryonic_per_source_) {
      counters_.Increment(SessionCounter::kEmbryonicSourceLimit);
      return InsertResult::kEmbryonicLimit;
    }
  }
  return InsertResult::kOk;
}

void SessionTable::LeaveEmbryonic(uint32_t index) {
  Unlink(embryonic_, index);
  --embryonic_count_;
  CountEmbryonic(sessions_[index], -1);
}

// ---- embryonic caps ----

const util::IpAddress* SessionTable::ClientAddress(const Session& s) {
  if ((s.flags & kTransit) != 0) return nullptr;
  return (s.flags & kWaypointsAllocated) != 0 ? &s.forward.src : &s.reverse.dst;
}

void SessionTable::SourceBuckets(const util::IpAddress& address, uint32_t* a, uint32_t* b) const {
  const uint64_t h = absl::HashOf(address);
  *a = static_cast<uint32_t>(h) & (kSourceBuckets - 1);
  *b = kSourceBuckets + (static_cast<uint32_t>(h >> 32) & (kSourceBuckets - 1));
}

uint32_t SessionTable::EmbryonicFromSource(const util::IpAddress& address) const {
  uint32_t a = 0;
  uint32_t b = 0;
  SourceBuckets(address, &a, &b);
  return std::min(source_embryonic_[a], source_embryonic_[b]);
}

void SessionTable::CountEmbryonic(const Session& s, int delta) {
  // Without a cap nothing is counted (no hash per new session); a cap changes only in Retune,
  // after which SetTenantCount recounts.
  if (max_embryonic_per_source_ == 0) {
  } else if (const util::IpAddress* client = ClientAddress(s)) {
    uint32_t a = 0;
    uint32_t b = 0;
    SourceBuckets(*client, &a, &b);
    Add(source_embryonic_[a], delta);
    Add(source_embryonic_[b], delta);
  }
  if (max_embryonic_per_tenant_ != 0 && s.tenant < tenant_embryonic_.size()) {
    Add(tenant_embryonic_[s.tenant], delta);
  }
}

void SessionTable::SetTenantCount(uint32_t count) {
  tenant_embryonic_.assign(count, 0);
  std::fill(source_embryonic_.begin(), source_embryonic_.end(), 0);
  for (uint32_t i = embryonic_.head; i != kNil; i = sessions_[i].next) {
    CountEmbryonic(sessions_[i], +1);
  }
}

uint32_t SessionTable::AcquireSlot(uint64_t now_ms) {
  uint32_t index = PopFreeSlot();
  if (index != kNil) return index;
  if (quarantine_.head != kNil) {
    const uint32_t q = quarantine_.head;
    counters_.Increment(now_ms >= sessions_[q].last_activity_ms
                            ? SessionCounter::kQuarantineReleased
                            : SessionCounter::kQuarantineReclaimed);
    ReleaseQuarantine(q);
    return PopFreeSlot();
  }
  if (EvictOldestEmbryonic(now_ms)) return PopFreeSlot();
  return kNil;
}

bool SessionTable::EvictOldestEmbryonic(uint64_t now_ms) {
  if (embryonic_.head == kNil) return false;
  const uint32_t victim = embryonic_.head;
  counters_.Increment(SessionCounter::kEvictedEmbryonic);
  if (sessions_[victim].answered()) counters_.Increment(SessionCounter::kEvictedHalfOpen);
  if (callback_ != nullptr) {
    callback_(callback_context_, sessions_[victim], RemovalReason::kEvictedEmbryonic);
  }
  Remove(victim, now_ms, /*allow_quarantine=*/false);
  return true;
}

UpdateResult SessionTable::Update(Session& s, Direction d, const TcpSegment& segment,
                                  uint64_t now_ms) {
  UpdateResult result = UpdateResult::kOk;
  const bool was_settled = Settled(s);
  if (s.protocol_class == ProtocolClass::kTcp) {
    // Like kInvalid below: an RST or FIN outside the window (docs/protocol.md §6) neither
    // refreshes the timer nor answers the session.
    switch (CheckTcpWindow(s, d, segment)) {
      case WindowVerdict::kOk:
        break;
      case WindowVerdict::kRstOutOfWindow:
        counters_.Increment(SessionCounter::kTcpRstOutOfWindow);
        return UpdateResult::kRstOutOfWindow;
      case WindowVerdict::kFinOutOfWindow:
        counters_.Increment(SessionCounter::kTcpFinOutOfWindow);
        return UpdateResult::kFinOutOfWindow;
    }
    const TcpTransition t =
        NextTcpState(s.tcp_state, s.seen, d, segment.flags, (s.flags & kStrictTcp) != 0);
    if (t.result == UpdateResult::kInvalid) {
      // Neither refreshes the timer nor answers the session: a stray or spoofed packet the
      // caller drops must not keep an embryonic session alive or protect it from eviction.
      counters_.Increment(SessionCounter::kTcpInvalid);
      return UpdateResult::kInvalid;
    }
    if (t.result == UpdateResult::kStateChanged) counters_.Increment(SessionCounter::kTcpStateChange);
    s.tcp_state = t.state;
    s.seen = t.seen;
    result = t.result;
    TrackTcpSegment(s, d, segment);
  }
  s.last_activity_ms = now_ms;
  // Settled sessions (the common case) are decided from line 0 alone: they left the LRU on the
  // packet that settled them. The links (line 1) are read only for the others.
  if (was_settled) return result;
  if (d == Direction::kReverse) s.seen |= kSeenReverse;
  const uint32_t index = IndexOf(s);
  if (OnEmbryonicList(index)) {
    // TCP stays embryonic until its handshake completed, even when the server answered: a SYN
    // flood the server answers (SYN-ACK or RST) must stay evictable.
    if (Settled(s)) {
      LeaveEmbryonic(index);
    } else if (d == Direction::kForward && embryonic_.tail != index) {
      Unlink(embryonic_, index);
      PushBack(embryonic_, index);  // most recently active moves to the tail
    }
  }
  return result;
}

InsertResult SessionTable::Rebind(Session& s, Direction d, const FlowKey& key) {
  if (s.slot_state != SlotState::kLive) return InsertResult::kInvalidKey;
  if (key == s.key(Opposite(d))) {
    counters_.Increment(SessionCounter::kInvalidKey);
    return InsertResult::kInvalidKey;
  }
  const uint32_t index = IndexOf(s);
  if (key == s.key(d)) return InsertResult::kOk;
  const uint64_t hash = FlowIndex::Hash(key);
  const uint32_t holder = FindFlow(key, hash);
  if (holder != FlowIndex::kNone) {
    if (sessions_[holder >> 1].slot_state == SlotState::kLive) {
      counters_.Increment(SessionCounter::kExists);
      return InsertResult::kExists;
    }
    ReleaseQuarantine(holder >> 1);
    counters_.Increment(SessionCounter::kQuarantineReclaimed);
  }
  FlowKey& slot = d == Direction::kForward ? s.forward : s.reverse;
  index_.Erase(FlowIndex::Hash(slot), FlowId(index, d));
  // The client address may come from the moved key: move its embryonic count with it.
  const bool embryonic = OnEmbryonicList(index);
  if (embryonic) CountEmbryonic(s, -1);
  slot = key;
  if (embryonic) CountEmbryonic(s, +1);
  index_.Insert(hash, FlowId(index, d));
  counters_.Increment(SessionCounter::kRebound);
  return InsertResult::kOk;
}

void SessionTable::Erase(Session& s, uint64_t now_ms) {
  if (s.slot_state != SlotState::kLive) return;
  counters_.Increment(SessionCounter::kErased);
  Remove(IndexOf(s), now_ms, /*allow_quarantine=*/true);
}

void SessionTable::Remove(uint32_t index, uint64_t now_ms, bool allow_quarantine) {
  Session& s = sessions_[index];
  index_.Erase(FlowIndex::Hash(s.forward), FlowId(index, Direction::kForward));
  if (OnEmbryonicList(index)) LeaveEmbryonic(index);
  --live_;
  if (allow_quarantine && (s.flags & kWaypointsAllocated) != 0 && quarantine_ms_ > 0) {
    s.slot_state = SlotState::kQuarantined;
    s.last_activity_ms = SaturatingAdd(now_ms, quarantine_ms_);
    PushBack(quarantine_, index);
    ++quarantined_;
    return;
  }
  index_.Erase(FlowIndex::Hash(s.reverse), FlowId(index, Direction::kReverse));
  PushFreeSlot(index);
}

void SessionTable::ReleaseQuarantine(uint32_t index) {
  Session& s = sessions_[index];
  index_.Erase(FlowIndex::Hash(s.reverse), FlowId(index, Direction::kReverse));
  Unlink(quarantine_, index);
  --quarantined_;
  PushFreeSlot(index);
}

// ---- timeouts ----

SessionTable::TimeoutSlot SessionTable::TimeoutSlotOf(const Session& s) const {
  switch (s.protocol_class) {
    case ProtocolClass::kTcp:
      switch (s.tcp_state) {
        case TcpState::kNone:
        case TcpState::kSynSent:
        case TcpState::kSynReceived:
          return kTcpEmbryonic;
        case TcpState::kEstablished:
          return kTcpEstablished;
        case TcpState::kFinWait:
        case TcpState::kClosing:
        case TcpState::kClosed:
          return kTcpClosing;
      }
      return kTcpEstablished;
    case ProtocolClass::kUdp:
      return kUdp;
    case ProtocolClass::kUdpDns:
      return kUdpDns;
    case ProtocolClass::kIcmp:
      return kIcmp;
    case ProtocolClass::kAuto:
    case ProtocolClass::kOther:
      return kOther;
  }
  return kOther;
}

uint64_t SessionTable::TimeoutMs(const Session& s) const { return timeout_ms_[TimeoutSlotOf(s)]; }

uint32_t SessionTable::Expire(uint64_t now_ms, uint32_t budget) {
  static constexpr RemovalReason kReasons[kTimeoutSlots] = {
      RemovalReason::kExpiredTcpEmbryonic, RemovalReason::kExpiredTcpEstablished,
      RemovalReason::kExpiredTcpClosing,   RemovalReason::kExpiredUdp,
      RemovalReason::kExpiredUdpDns,       RemovalReason::kExpiredIcmp,
      RemovalReason::kExpiredOther};
  static constexpr SessionCounter kCounters[kTimeoutSlots] = {
      SessionCounter::kExpiredTcpEmbryonic, SessionCounter::kExpiredTcpEstablished,
      SessionCounter::kExpiredTcpClosing,   SessionCounter::kExpiredUdp,
      SessionCounter::kExpiredUdpDns,       SessionCounter::kExpiredIcmp,
      SessionCounter::kExpiredOther};

  uint32_t expired = 0;
  // Decided once per call: a sweep under pressure keeps the short timeout for its whole budget.
  const bool pressure = UnderPressure();
  VisitOccupied(&sweep_cursor_, budget, [&](uint32_t index) {
    Session& s = sessions_[index];
    if (s.slot_state == SlotState::kLive) {
      const TimeoutSlot slot = TimeoutSlotOf(s);
      uint64_t timeout = timeout_ms_[slot];
      bool early = false;
      if (pressure && s.protocol_class == ProtocolClass::kTcp && pressure_timeout_ms_ < timeout &&
          !Settled(s) && OnEmbryonicList(index)) {
        timeout = pressure_timeout_ms_;
        early = true;
      }
      // A clock that went backwards (now < last activity) never expires anything.
      if (now_ms < s.last_activity_ms || now_ms - s.last_activity_ms < timeout) return;
      counters_.Increment(kCounters[slot]);
      if (early && now_ms - s.last_activity_ms < timeout_ms_[slot]) {
        counters_.Increment(SessionCounter::kExpiredUnderPressure);
      }
      if (callback_ != nullptr) callback_(callback_context_, s, kReasons[slot]);
      Remove(index, now_ms, /*allow_quarantine=*/true);
      ++expired;
    } else if (s.slot_state == SlotState::kQuarantined && now_ms >= s.last_activity_ms) {
      counters_.Increment(SessionCounter::kQuarantineReleased);
      ReleaseQuarantine(index);
    }
  });
  return expired;
}

// ---- waypoints ----

WaypointResult SessionTable::AllocateWaypoints(WaypointPool& pool, uint64_t now_ms,
                                               FlowKey* reverse, int flow_class) {
  const uint64_t in_class =
      flow_class >= 0 ? pool.class_pair_count(static_cast<uint32_t>(flow_class)) : 0;
  const uint64_t attempts =
      std::min<uint64_t>(in_class != 0 ? in_class : pool.pair_count(), max_waypoint_probes_);
  for (uint64_t i = 0; i < attempts; ++i) {
    const FlowKey key = pool.ReverseKey(
        in_class != 0 ? pool.NextInClass(static_cast<uint32_t>(flow_class)) : pool.Next());
    const uint32_t id = FindFlow(key, FlowIndex::Hash(key));
    if (id != FlowIndex::kNone) {
      const Session& holder = sessions_[id >> 1];
      if (holder.slot_state != SlotState::kQuarantined || now_ms < holder.last_activity_ms) {
        continue;  // live, or still in quarantine
      }
      counters_.Increment(SessionCounter::kQuarantineReleased);
      ReleaseQuarantine(id >> 1);
    }
    *reverse = key;
    counters_.Increment(SessionCounter::kWaypointsAllocated);
    return WaypointResult::kOk;
  }
  counters_.Increment(SessionCounter::kWaypointsExhausted);
  return WaypointResult::kExhausted;
}

}  // namespace ssr::session
