// SPDX-License-Identifier: Apache-2.0
#include "peer/bfd_session.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ssr::peer {

namespace {

absl::Status OutOfRange(std::string_view field, uint64_t value, uint64_t lo, uint64_t hi) {
  return absl::InvalidArgumentError(absl::StrCat("bfd.",
                                                 absl::string_view(field.data(), field.size()),
                                                 ": ", value, " is outside ", lo, "..", hi));
}

constexpr uint64_t kSlowStartTxUs = 1'000'000;  // RFC 5880 §6.8.3

}  // namespace

absl::Status ValidateBfdOptions(const BfdOptions& o) {
  if (o.desired_min_tx_ms < 50 || o.desired_min_tx_ms > 600000) {
    return OutOfRange("desired_min_tx_ms", o.desired_min_tx_ms, 50, 600000);
  }
  if (o.required_min_rx_ms < 1 || o.required_min_rx_ms > 600000) {
    return OutOfRange("required_min_rx_ms", o.required_min_rx_ms, 1, 600000);
  }
  if (o.required_min_echo_rx_ms > 600000) {
    return OutOfRange("required_min_echo_rx_ms", o.required_min_echo_rx_ms, 0, 600000);
  }
  if (o.multiplier < 3 || o.multiplier > 20) {
    return OutOfRange("multiplier", o.multiplier, 3, 20);
  }
  if (o.hold_down_ms > 300000) return OutOfRange("hold_down_ms", o.hold_down_ms, 0, 300000);
  return absl::OkStatus();
}

std::string_view PathStatusName(PathStatus s) { return s == PathStatus::kUp ? "up" : "down"; }

BfdSession::BfdSession(uint32_t my_discriminator, const BfdOptions& options)
    : options_(options),
      my_discriminator_(my_discriminator),
      rng_state_(options.jitter_seed != 0 ? options.jitter_seed : 0x2545F4914F6CDD1Dull) {}

uint32_t BfdSession::AdvertisedDesiredMinTxUs() const {
  const uint64_t own = uint64_t{options_.desired_min_tx_ms} * 1000;
  if (options_.slow_start && state_ != BfdState::kUp) {
    return static_cast<uint32_t>(std::max(own, kSlowStartTxUs));
  }
  return static_cast<uint32_t>(own);
}

uint64_t BfdSession::TxIntervalUs() const {
  return std::max<uint64_t>(AdvertisedDesiredMinTxUs(), remote_min_rx_us_);
}

uint64_t BfdSession::DetectionTimeUs() const {
  const uint64_t own_rx = uint64_t{options_.required_min_rx_ms} * 1000;
  if (remote_detect_mult_ == 0) return uint64_t{options_.multiplier} * own_rx;
  return uint64_t{remote_detect_mult_} * std::max<uint64_t>(own_rx, remote_desired_tx_us_);
}

void BfdSession::SetState(BfdState s, BfdDiag diag, uint64_t now_ms) noexcept {
  if (s == state_) return;
  const uint32_t advertised_before = AdvertisedDesiredMinTxUs();
  state_ = s;
  local_diag_ = static_cast<uint8_t>(diag);
  if (s == BfdState::kUp) {
    // Leaving the slow-start floor changes Desired Min TX: confirm it with a Poll Sequence.
    // Send it now rather than on the slow-start schedule: the peer's detection time follows the
    // interval we advertise, so waiting up to 1 s for the next periodic packet would let it
    // expire (a path flapping forever at 100 ms x 3 when the routers start apart), and the peer
    // leaves Init only on our first Up packet (until then it reflects no link-test echo).
    if (AdvertisedDesiredMinTxUs() != advertised_before) {
      poll_active_ = true;
      if (next_tx_ms_ != kNever) next_tx_ms_ = std::min(next_tx_ms_, now_ms);
    }
  } else {
    poll_active_ = false;
  }
  const PathStatus status = s == BfdState::kUp ? PathStatus::kUp : PathStatus::kDown;
  if (status == notified_) {
    pending_since_ms_ = kNever;  // flapped back within the hold-down: nothing to report
  } else if (pending_since_ms_ == kNever) {
    pending_since_ms_ = now_ms;
  }
}

void BfdSession::ExpireDetection(uint64_t now_ms) noexcept {
  if (state_ != BfdState::kInit && state_ != BfdState::kUp) return;
  if (last_rx_ms_ == kNever || now_ms < last_rx_ms_) return;
  if ((now_ms - last_rx_ms_) * 1000 < DetectionTimeUs()) return;
  SetState(BfdState::kDown, BfdDiag::kControlDetectionTimeExpired, now_ms);
  remote_discriminator_ = 0;  // RFC 5880 §6.8.1
}

BfdReceiveResult BfdSession::Receive(const BfdControl& p, uint64_t now_ms) noexcept {
  ExpireDetection(now_ms);
  if (p.your_discriminator != 0 && p.your_discriminator != my_discriminator_) {
    return BfdReceiveResult::kWrongDiscriminator;
  }
  if (state_ == BfdState::kAdminDown) return BfdReceiveResult::kAdminDown;

  remote_discriminator_ = p.my_discriminator;
  remote_state_ = p.state;
  remote_detect_mult_ = p.detect_mult;
  remote_desired_tx_us_ = p.desired_min_tx_us;
  remote_min_echo_rx_us_ = p.required_min_echo_rx_us;
  if (remote_min_rx_us_ == 0 && p.required_min_rx_us != 0) next_tx_ms_ = now_ms;  // resume
  remote_min_rx_us_ = p.required_min_rx_us;
  last_rx_ms_ = now_ms;
  if (p.final) poll_active_ = false;
  if (p.poll) final_due_ = true;

  // RFC 5880 §6.8.6 state table.
  if (p.state == BfdState::kAdminDown) {
    if (state_ != BfdState::kDown) {
      SetState(BfdState::kDown, BfdDiag::kNeighborSignaledSessionDown, now_ms);
    }
  } else if (state_ == BfdState::kDown) {
    if (p.state == BfdState::kDown) {
      SetState(BfdState::kInit, BfdDiag::kNone, now_ms);
    } else if (p.state == BfdState::kInit) {
      SetState(BfdState::kUp, BfdDiag::kNone, now_ms);
    }
  } else if (state_ == BfdState::kInit) {
    if (p.state == BfdState::kInit || p.state == BfdState::kUp) {
      SetState(BfdState::kUp, BfdDiag::kNone, now_ms);
    }
  } else if (state_ == BfdState::kUp) {
    if (p.state == BfdState::kDown) {
      SetState(BfdState::kDown, BfdDiag::kNeighborSignaledSessionDown, now_ms);
    }
  }
  return BfdReceiveResult::kAccepted;
}

void BfdSession::SetAdminDown(bool admin_down, uint64_t now_ms) noexcept {
  if (admin_down) {
    SetState(BfdState::kAdminDown, BfdDiag::kAdministrativelyDown, now_ms);
  } else if (state_ == BfdState::kAdminDown) {
    SetState(BfdState::kDown, BfdDiag::kNone, now_ms);
  }
}

void BfdSession::FillPacket(BfdControl* out) const noexcept {
  BfdControl p;
  p.diag = local_diag_;
  p.state = state_;
  p.detect_mult = options_.multiplier;
  p.my_discriminator = my_discriminator_;
  p.your_discriminator = remote_discriminator_;
  p.desired_min_tx_us = AdvertisedDesiredMinTxUs();
  p.required_min_rx_us = options_.required_min_rx_ms * 1000;
  p.required_min_echo_rx_us = options_.required_min_echo_rx_ms * 1000;
  *out = p;
}

uint64_t BfdSession::JitteredIntervalMs(uint64_t interval_us) noexcept {
  uint64_t us = interval_us;
  if (options_.jitter) {
    // xorshift64: cheap, reproducible from the seed.
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    // Reduction in 1/10000: 0..25 % (10..25 % when the multiplier is 1, RFC 5880 §6.8.7).
    const uint64_t reduction =
        options_.multiplier == 1 ? 1000 + rng_state_ % 1501 : rng_state_ % 2501;
    us = interval_us - interval_us * reduction / 10000;
  }
  return std::max<uint64_t>(1, (us + 999) / 1000);
}

BfdSession::PollResult BfdSession::Poll(uint64_t now_ms, BfdControl* out) noexcept {
  PollResult r;
  ExpireDetection(now_ms);

  if (pending_since_ms_ != kNever && now_ms >= pending_since_ms_ + options_.hold_down_ms) {
    notified_ = state_ == BfdState::kUp ? PathStatus::kUp : PathStatus::kDown;
    pending_since_ms_ = kNever;
    r.status_changed = true;
  }

  const bool periodic_due = next_tx_ms_ != kNever && now_ms >= next_tx_ms_;
  if (periodic_due || final_due_) {
    FillPacket(out);
    if (final_due_) {
      out->final = true;  // answers the peer's Poll; never together with P
      final_due_ = false;
    } else {
      out->poll = poll_active_;
    }
    r.send = true;
    if (periodic_due) {
      next_tx_ms_ = remote_min_rx_us_ == 0 ? kNever : now_ms + JitteredIntervalMs(TxIntervalUs());
    }
  }

  uint64_t next = next_tx_ms_;
  if ((state_ == BfdState::kInit || state_ == BfdState::kUp) && last_rx_ms_ != kNever) {
    next = std::min(next, last_rx_ms_ + (DetectionTimeUs() + 999) / 1000);
  }
  if (pending_since_ms_ != kNever) {
    next = std::min(next, pending_since_ms_ + options_.hold_down_ms);
  }
  r.next_deadline_ms = next;
  return r;
}

}  // namespace ssr::peer
