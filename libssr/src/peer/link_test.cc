// SPDX-License-Identifier: Apache-2.0
#include "peer/link_test.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "packet/byte_order.h"

namespace ssr::peer {

bool IsEcho(std::span<const uint8_t> in) {
  return in.size() >= kEchoMagic.size() &&
         std::memcmp(in.data(), kEchoMagic.data(), kEchoMagic.size()) == 0;
}

size_t EncodeEcho(const EchoPacket& e, std::span<uint8_t> out) noexcept {
  if (out.size() < kEchoSize) return 0;
  uint8_t* b = out.data();
  std::memcpy(b, kEchoMagic.data(), kEchoMagic.size());
  b[4] = e.reflected ? 1 : 0;
  b[5] = b[6] = b[7] = 0;
  packet::StoreBe32(b + 8, e.sender_discriminator);
  packet::StoreBe32(b + 12, e.test_id);
  packet::StoreBe32(b + 16, e.sequence);
  packet::StoreBe64(b + 20, e.send_time_ms);
  return kEchoSize;
}

EchoDecodeResult DecodeEcho(std::span<const uint8_t> in, EchoPacket* out) noexcept {
  if (in.size() < kEchoSize) return EchoDecodeResult::kTruncated;
  if (!IsEcho(in)) return EchoDecodeResult::kBadMagic;
  const uint8_t* b = in.data();
  if ((b[4] & ~uint8_t{1}) != 0 || b[5] != 0 || b[6] != 0 || b[7] != 0) {
    return EchoDecodeResult::kReservedBits;
  }
  EchoPacket e;
  e.reflected = (b[4] & 1) != 0;
  e.sender_discriminator = packet::LoadBe32(b + 8);
  e.test_id = packet::LoadBe32(b + 12);
  e.sequence = packet::LoadBe32(b + 16);
  e.send_time_ms = packet::LoadBe64(b + 20);
  *out = e;
  return EchoDecodeResult::kOk;
}

absl::Status ValidateLinkTestOptions(const LinkTestOptions& o) {
  if (o.interval_ms < 1000 || o.interval_ms > 86400000) {
    return absl::InvalidArgumentError(
        absl::StrCat("link_test.interval_ms: ", o.interval_ms, " is outside 1000..86400000"));
  }
  if (o.length > kMaxLinkTestLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("link_test.length: ", o.length, " is outside 0..", kMaxLinkTestLength));
  }
  if (o.reply_timeout_ms < 1 || o.reply_timeout_ms > o.interval_ms) {
    return absl::InvalidArgumentError(
        absl::StrCat("link_test.reply_timeout_ms: ", o.reply_timeout_ms, " is outside 1..",
                     o.interval_ms, " (the interval)"));
  }
  if (!(o.ewma_alpha > 0.0 && o.ewma_alpha <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("link_test.ewma_alpha: ", o.ewma_alpha, " is outside (0, 1]"));
  }
  return absl::OkStatus();
}

double MosFromQuality(double latency_ms, double jitter_ms, double loss_fraction) {
  const double d = latency_ms + 2.0 * jitter_ms + 10.0;
  double id = 0.024 * d;
  if (d > 177.3) id += 0.11 * (d - 177.3);
  const double ie = 30.0 * std::log(1.0 + 15.0 * std::clamp(loss_fraction, 0.0, 1.0));
  const double r = 93.2 - id - ie;
  if (r <= 0.0) return 1.0;
  const double mos = 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r);
  return std::clamp(mos, 1.0, 4.5);
}

LinkTest::LinkTest(uint32_t discriminator, const LinkTestOptions& options)
    : options_(options), discriminator_(discriminator) {}

LinkTest::PollResult LinkTest::Poll(uint64_t now_ms, bool path_up, EchoPacket* out) noexcept {
  PollResult r;
  if (!path_up || options_.length == 0) {
    running_ = false;  // abandon: no result
    next_test_ms_ = kNever;
    return r;
  }
  if (next_test_ms_ == kNever && !running_) next_test_ms_ = now_ms;  // first test at once

  if (running_ && sent_ == options_.length &&
      (received_ == sent_ || now_ms >= test_start_ms_ + options_.reply_timeout_ms)) {
    Finish();
    r.test_finished = true;
  }
  if (!running_ && now_ms >= next_test_ms_) {
    running_ = true;
    ++test_id_;
    test_start_ms_ = now_ms;
    next_test_ms_ = now_ms + options_.interval_ms;
    sent_ = 0;
    received_ = 0;
    got_.reset();
  }
  if (running_ && sent_ < options_.length) {
    EchoPacket e;
    e.sender_discriminator = discriminator_;
    e.test_id = test_id_;
    e.sequence = sent_;
    e.send_time_ms = now_ms;
    *out = e;
    ++sent_;
    ++echoes_sent_;
    r.send = true;
  }
  if (running_) {
    r.next_deadline_ms =
        sent_ < options_.length ? now_ms : test_start_ms_ + options_.reply_timeout_ms;
  } else {
    r.next_deadline_ms = next_test_ms_;
  }
  return r;
}

LinkReplyResult LinkTest::OnReply(const EchoPacket& e, uint64_t now_ms) noexcept {
  if (!e.reflected) return LinkReplyResult::kNotReflected;
  if (e.sender_discriminator != discriminator_) return LinkReplyResult::kWrongPath;
  if (!running_ || e.test_id != test_id_) return LinkReplyResult::kLate;
  if (e.sequence >= sent_) return LinkReplyResult::kUnknownSequence;
  if (got_.test(e.sequence)) return LinkReplyResult::kDuplicate;
  if (e.send_time_ms < test_start_ms_ || e.send_time_ms > now_ms) {
    return LinkReplyResult::kBadTimestamp;
  }
  got_.set(e.sequence);
  rtt_ms_[e.sequence] =
      static_cast<uint32_t>(std::min<uint64_t>(now_ms - e.send_time_ms, UINT32_MAX));
  ++received_;
  return LinkReplyResult::kAccepted;
}

void LinkTest::Finish() noexcept {
  running_ = false;
  LinkTestResult res;
  res.test_id = test_id_;
  res.sent = sent_;
  res.received = received_;
  double rtt_sum = 0;
  double diff_sum = 0;
  uint32_t diffs = 0;
  bool have_prev = false;
  uint32_t prev = 0;
  for (uint32_t i = 0; i < sent_; ++i) {
    if (!got_.test(i)) continue;
    rtt_sum += rtt_ms_[i];
    if (have_prev) {
      diff_sum += std::fabs(static_cast<double>(rtt_ms_[i]) - static_cast<double>(prev));
      ++diffs;
    }
    prev = rtt_ms_[i];
    have_prev = true;
  }
  res.has_latency = received_ > 0;
  res.has_jitter = diffs > 0;
  if (res.has_latency) res.latency_ms = rtt_sum / received_ / 2.0;
  if (res.has_jitter) res.jitter_ms = diff_sum / diffs;
  res.loss = sent_ == 0 ? 0.0 : 1.0 - static_cast<double>(received_) / sent_;
  res.mos = MosFromQuality(res.latency_ms, res.jitter_ms, res.loss);
  last_result_ = res;
  ++tests_completed_;

  const double a = options_.ewma_alpha;
  auto update = [a](bool* has, double* avg, double x) {
    if (!*has) {
      *avg = x;
      *has = true;
    } else {
      *avg += a * (x - *avg);
    }
  };
  if (res.has_latency) update(&quality_.has_latency, &quality_.latency_ms, res.latency_ms);
  if (res.has_jitter) update(&quality_.has_jitter, &quality_.jitter_ms, res.jitter_ms);
  update(&quality_.measured, &quality_.loss, res.loss);
  quality_.mos = MosFromQuality(quality_.latency_ms, quality_.jitter_ms, quality_.loss);
}

}  // namespace ssr::peer
