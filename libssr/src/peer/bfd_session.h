// SPDX-License-Identifier: Apache-2.0
// BfdSession: one asynchronous-mode BFD session (RFC 5880 §6.2, §6.8) on one peer path.
//
// Design note. The session is pure logic: no sockets, no threads, no clock of its own. Time is
// the caller's uint64 millisecond reading (`now_ms`), so tests drive two sessions through a fake
// clock and see exact timings. Two calls move it:
//   * Receive(packet, now_ms) applies a decoded control packet (RFC 5880 §6.8.6 state table:
//     AdminDown / Down / Init / Up, three-way handshake) and learns the peer's timers;
//   * Poll(now_ms, &out) expires the detection timer, delivers a pending hold-down notification,
//     and says whether a control packet is due now (filling `out`) and when to call again.
// Nothing allocates; the object is a few dozen bytes and trivially copyable.
//
// Timers (docs/protocol.md §5.2, all negotiated in microseconds as on the wire):
//   * TX interval = max(own desired-min-tx, peer's required-min-rx) (§7.68). The peer's value
//     starts at 1 µs (RFC 5880 §6.8.1), so before the first packet we send at our own rate. A peer
//     required-min-rx of 0 stops periodic transmission (RFC 5880 §6.8.7).
//   * Jitter (RFC 5880 §6.8.7): each interval is reduced by a random 0-25 % (0-10 %+10 % when the
//     multiplier is 1). The random source is a xorshift generator seeded from the options, so runs
//     are reproducible; `jitter = false` gives exact intervals.
//   * Detection time = Detect Mult × max(own required-min-rx, peer's desired-min-tx). RFC 5880
//     §6.8.4 uses the multiplier the peer sends; §5.2 writes "multiplier"; with the default 3 on
//     both sides they agree. Before any packet of the peer is received it is own multiplier × own
//     required-min-rx (§5.2). The session goes Down (diag 1) when
//     now_ms - last_rx_ms >= detection time: with defaults exactly 3000 ms after the last packet
//     (§7.67).
//   * Slow start (RFC 5880 §6.8.3): while not Up the advertised desired-min-tx is at least 1 s.
//     Leaving that floor on entering Up changes a timer, so a Poll Sequence starts (P bit on our
//     packets until the peer answers with F). A received P is answered by one extra packet with F
//     at the next Poll, outside the periodic schedule.
//   * Hold-down (§5.2, §5.7): state() changes immediately; notified_status() (what the router
//     acts on: up = usable for new sessions) follows only after the new up/down status has held
//     for hold_down_ms. A flap back within the hold-down cancels the pending notification.
//     Dynamic damping is not implemented.
// Demand mode and the BFD echo function of RFC 5880 are not used: link quality comes from the
// SVR link tests (link_test.h), a received D bit is ignored (the session stays asynchronous).
//
// Thread-safety: none; one owner (the control thread or one worker).
#ifndef SSR_PEER_BFD_SESSION_H_
#define SSR_PEER_BFD_SESSION_H_

#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/status/status.h"
#include "peer/bfd_packet.h"
#include "util/counters.h"

namespace ssr::peer {

inline constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

// BFD timer options; defaults are docs/protocol.md §5.2 / Appendix A. The config has no BFD fields
// yet, so the router fills this struct itself.
struct BfdOptions {
  uint32_t desired_min_tx_ms = 1000;        // 50..600000
  uint32_t required_min_rx_ms = 500;        // 1..600000
  uint32_t required_min_echo_rx_ms = 1000;  // 0..600000 (0: we do not reflect echoes)
  uint8_t multiplier = 3;                   // 3..20
  uint32_t hold_down_ms = 5000;             // 0..300000 (0 only for tests / fast failover, §5.7)
  bool jitter = true;                       // RFC 5880 §6.8.7
  uint64_t jitter_seed = 0x9E3779B97F4A7C15ull;
  bool slow_start = true;  // RFC 5880 §6.8.3
};

// InvalidArgument naming the field and the value when an option is out of range.
absl::Status ValidateBfdOptions(const BfdOptions& options);

// Liveness as the rest of the router sees it.
enum class PathStatus : uint8_t { kDown, kUp };
std::string_view PathStatusName(PathStatus s);

// Outcomes of BfdSession::Receive; each name doubles as a counter name.
#define SSR_BFD_RECEIVE_RESULTS(X)                                         \
  X(kAccepted, "bfd_rx_accepted", "control packet applied to the session") \
  X(kWrongDiscriminator, "bfd_rx_wrong_discriminator",                     \
    "Your Discriminator is not this session's (RFC 5880 §6.8.6)")          \
  X(kAdminDown, "bfd_rx_admin_down", "session is AdminDown: packet discarded (RFC 5880 §6.8.6)")

SSR_DEFINE_COUNTER_ENUM(BfdReceiveResult, SSR_BFD_RECEIVE_RESULTS)

class BfdSession {
 public:
  // `my_discriminator` must be nonzero and unique among the caller's sessions; `options` must
  // pass ValidateBfdOptions (checked by the factories that create sessions).
  BfdSession(uint32_t my_discriminator, const BfdOptions& options);
  BfdSession() : BfdSession(1, BfdOptions{}) {}

  struct PollResult {
    bool send = false;            // a control packet is due now; it was written to *out
    bool status_changed = false;  // notified_status() changed in this call (hold-down elapsed)
    uint64_t next_deadline_ms = kNever;  // call Poll again no later than this
  };

  // Runs timers at now_ms (call at or after the last next_deadline_ms; calling earlier is
  // harmless). When a packet is due, fills *out (may not be null) and schedules the next one.
  PollResult Poll(uint64_t now_ms, BfdControl* out) noexcept;

  // Applies a packet that DecodeBfdControl accepted (kOk). Expires the detection timer first, so
  // a packet arriving after a long gap without Poll calls still sees the session go Down first.
  BfdReceiveResult Receive(const BfdControl& packet, uint64_t now_ms) noexcept;

  // Administrative control (RFC 5880 §6.8.16): AdminDown sends AdminDown packets (diag 7) and
  // ignores received ones; leaving it returns to Down.
  void SetAdminDown(bool admin_down, uint64_t now_ms) noexcept;

  BfdState state() const { return state_; }
  BfdDiag local_diag() const { return static_cast<BfdDiag>(local_diag_); }
  PathStatus notified_status() const { return notified_; }
  bool notification_pending() const { return pending_since_ms_ != kNever; }
  uint32_t my_discriminator() const { return my_discriminator_; }
  uint32_t remote_discriminator() const { return remote_discriminator_; }
  BfdState remote_state() const { return remote_state_; }
  bool heard_from_peer() const { return last_rx_ms_ != kNever; }
  uint64_t last_rx_ms() const { return last_rx_ms_; }
  uint32_t remote_required_min_echo_rx_us() const { return remote_min_echo_rx_us_; }
  bool poll_sequence_active() const { return poll_active_; }
  const BfdOptions& options() const { return options_; }

  // Negotiated values, in microseconds (before jitter).
  uint64_t TxIntervalUs() const;
  uint64_t DetectionTimeUs() const;
  // The Desired Min TX we advertise now (slow start applied).
  uint32_t AdvertisedDesiredMinTxUs() const;

 private:
  void SetState(BfdState s, BfdDiag diag, uint64_t now_ms) noexcept;
  void ExpireDetection(uint64_t now_ms) noexcept;
  void FillPacket(BfdControl* out) const noexcept;
  uint64_t JitteredIntervalMs(uint64_t interval_us) noexcept;

  BfdOptions options_;
  uint32_t my_discriminator_ = 0;
  uint32_t remote_discriminator_ = 0;
  BfdState state_ = BfdState::kDown;
  BfdState remote_state_ = BfdState::kDown;
  uint8_t local_diag_ = 0;
  uint8_t remote_detect_mult_ = 0;  // 0 until the first packet
  uint32_t remote_desired_tx_us_ = 0;
  uint32_t remote_min_rx_us_ = 1;  // RFC 5880 §6.8.1 initial value
  uint32_t remote_min_echo_rx_us_ = 0;
  bool poll_active_ = false;
  bool final_due_ = false;
  uint64_t last_rx_ms_ = kNever;
  uint64_t next_tx_ms_ = 0;  // first Poll sends at once
  PathStatus notified_ = PathStatus::kDown;
  uint64_t pending_since_ms_ = kNever;
  uint64_t rng_state_ = 0;
};

}  // namespace ssr::peer

#endif  // SSR_PEER_BFD_SESSION_H_
