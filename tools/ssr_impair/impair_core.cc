// SPDX-License-Identifier: Apache-2.0
#include "impair_core.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "util/strings.h"

namespace ssr::impair {
namespace {

constexpr double kMaxDelayMs = 60000;      // one minute
constexpr double kMaxRateMbit = 1000000;   // 1 Tbit/s: far above anything the relay can carry

absl::Status Bad(absl::string_view key, absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(key, "=", value, ": ", why));
}

// A finite number in [lo, hi].
absl::Status ParseNumber(absl::string_view key, absl::string_view value, double lo, double hi,
                         absl::string_view unit, double* out) {
  double v = 0;
  if (!absl::SimpleAtod(value, &v) || !std::isfinite(v)) {
    return Bad(key, value, absl::StrCat("not a number (", unit, ")"));
  }
  if (v < lo || v > hi) {
    return Bad(key, value, absl::StrFormat("out of range [%g, %g] %s", lo, hi, unit));
  }
  *out = v;
  return absl::OkStatus();
}

// Milliseconds (microsecond resolution) to nanoseconds.
uint64_t MsToNs(double ms) { return static_cast<uint64_t>(std::llround(ms * 1000.0)) * 1000; }

std::string NsToMs(uint64_t ns) { return absl::StrFormat("%.3f", static_cast<double>(ns) / 1e6); }

absl::Status ParseGe(absl::string_view value, GilbertElliott* ge) {
  if (value == "off" || value == "0") {
    *ge = GilbertElliott{};
    return absl::OkStatus();
  }
  std::vector<absl::string_view> parts = absl::StrSplit(value, ',');
  if (parts.size() < 2 || parts.size() > 4) {
    return Bad("ge", value, "want P,R[,LOSS_BAD[,LOSS_GOOD]] in percent, or off");
  }
  double v[4] = {0, 0, 100, 0};
  const char* names[4] = {"P (good->bad)", "R (bad->good)", "LOSS_BAD", "LOSS_GOOD"};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!absl::SimpleAtod(parts[i], &v[i]) || !std::isfinite(v[i]) || v[i] < 0 || v[i] > 100) {
      return Bad("ge", value, absl::StrCat(names[i], " \"", parts[i], "\" is not 0..100 %"));
    }
  }
  if (v[0] == 0 && v[1] == 0) return Bad("ge", value, "P and R cannot both be 0");
  ge->enabled = true;
  ge->p = v[0] / 100;
  ge->r = v[1] / 100;
  ge->loss_bad = v[2] / 100;
  ge->loss_good = v[3] / 100;
  return absl::OkStatus();
}

bool ParseDirection(absl::string_view word, bool* a2b, bool* b2a) {
  if (word == "a2b") {
    *a2b = true, *b2a = false;
  } else if (word == "b2a") {
    *a2b = false, *b2a = true;
  } else if (word == "both") {
    *a2b = true, *b2a = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace

double GilbertElliott::MeanLoss() const {
  if (!enabled || p + r <= 0) return 0;
  return (p * loss_bad + r * loss_good) / (p + r);
}

absl::Status ApplySetting(absl::string_view key, absl::string_view value, DirectionParams* params) {
  double v = 0;
  if (key == "delay" || key == "jitter") {
    if (auto s = ParseNumber(key, value, 0, kMaxDelayMs, "ms", &v); !s.ok()) return s;
    (key == "delay" ? params->delay_ns : params->jitter_ns) = MsToNs(v);
  } else if (key == "dist") {
    if (value == "uniform") {
      params->dist = JitterDist::kUniform;
    } else if (value == "normal") {
      params->dist = JitterDist::kNormal;
    } else {
      return Bad(key, value, "want uniform or normal");
    }
  } else if (key == "loss") {
    if (auto s = ParseNumber(key, value, 0, 100, "%", &v); !s.ok()) return s;
    params->loss = v / 100;
  } else if (key == "ge") {
    return ParseGe(value, &params->ge);
  } else if (key == "rate") {
    if (auto s = ParseNumber(key, value, 0, kMaxRateMbit, "Mbit/s (0 = unlimited)", &v); !s.ok()) {
      return s;
    }
    params->rate_bps = v * 1e6;
  } else if (key == "reorder" || key == "state") {
    bool on = false;
    if (key == "reorder" ? (value == "on" || value == "1") : value == "up") {
      on = true;
    } else if (key == "reorder" ? !(value == "off" || value == "0") : value != "down") {
      return Bad(key, value, key == "reorder" ? "want on or off" : "want up or down");
    }
    (key == "reorder" ? params->reorder : params->up) = on;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown setting \"", key, "\" (want delay, jitter, dist, loss, ge, rate, reorder, state)"));
  }
  return absl::OkStatus();
}

absl::Status ApplySettings(absl::string_view list, DirectionParams* params) {
  DirectionParams copy = *params;
  for (absl::string_view word : absl::StrSplit(list, absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    size_t eq = word.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", word, "\" is not key=value (e.g. delay=30)"));
    }
    if (auto s = ApplySetting(word.substr(0, eq), word.substr(eq + 1), &copy); !s.ok()) return s;
  }
  *params = copy;
  return absl::OkStatus();
}

std::string FormatParams(const DirectionParams& p) {
  std::string ge = "off";
  if (p.ge.enabled) {
    ge = absl::StrFormat("%g,%g,%g,%g", p.ge.p * 100, p.ge.r * 100, p.ge.loss_bad * 100,
                         p.ge.loss_good * 100);
  }
  return absl::StrCat("state=", p.up ? "up" : "down", " delay=", NsToMs(p.delay_ns),
                      " jitter=", NsToMs(p.jitter_ns),
                      " dist=", p.dist == JitterDist::kUniform ? "uniform" : "normal",
                      " loss=", absl::StrFormat("%g", p.loss * 100), " ge=", ge,
                      " rate=", absl::StrFormat("%g", p.rate_bps / 1e6),
                      " reorder=", p.reorder ? "on" : "off");
}

// ---------------------------------------------------------------------------------------------
double Rng::Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

double Rng::StandardNormal() {
  double u1 = Uniform01();
  double u2 = Uniform01();
  if (u1 <= 0) u1 = 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

Xoshiro256::Xoshiro256(uint64_t seed) {
  for (uint64_t& s : s_) {
    seed += 0x9e3779b97f4a7c15ULL;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    s = z ^ (z >> 31);
  }
}

uint64_t Xoshiro256::Next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

// ---------------------------------------------------------------------------------------------
namespace {
// std::push_heap builds a max-heap: "less" is "later", so the top is the earliest (due, seq).
bool Later(const Scheduled& a, const Scheduled& b) {
  return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.seq > b.seq;
}
}  // namespace

Link::Link(size_t capacity, Rng* rng) : capacity_(capacity), rng_(rng) { heap_.reserve(capacity); }

void Link::SetParams(const DirectionParams& params) { params_ = params; }

bool Link::Lost(Verdict* why) {
  const GilbertElliott& ge = params_.ge;
  if (ge.enabled) {
    const double u = rng_->Uniform01();
    if (ge_bad_) {
      if (u < ge.r) ge_bad_ = false;
    } else if (u < ge.p) {
      ge_bad_ = true;
    }
    const double loss = ge_bad_ ? ge.loss_bad : ge.loss_good;
    if (loss > 0 && rng_->Uniform01() < loss) {
      *why = Verdict::kBurstLost;
      return true;
    }
  }
  if (params_.loss > 0 && rng_->Uniform01() < params_.loss) {
    *why = Verdict::kLost;
    return true;
  }
  return false;
}

uint64_t Link::JitteredDelay() {
  if (params_.jitter_ns == 0) return params_.delay_ns;
  const double jitter = static_cast<double>(params_.jitter_ns);
  double offset = 0;
  if (params_.dist == JitterDist::kUniform) {
    offset = (2.0 * rng_->Uniform01() - 1.0) * jitter;
  } else {
    offset = std::clamp(rng_->StandardNormal(), -4.0, 4.0) * jitter;
  }
  const double delay = static_cast<double>(params_.delay_ns) + offset;
  return delay <= 0 ? 0 : static_cast<uint64_t>(std::llround(delay));
}

Verdict Link::Offer(uint64_t now_ns, uint32_t slot, uint32_t length, uint64_t* due_ns) {
  counters_.Increment(ImpairCounter::kRxFrames);
  counters_.Increment(ImpairCounter::kRxBytes, length);
  if (!params_.up) {
    counters_.Increment(ImpairCounter::kDroppedDown);
    return Verdict::kDown;
  }
  Verdict why = Verdict::kLost;
  if (Lost(&why)) {
    counters_.Increment(why == Verdict::kBurstLost ? ImpairCounter::kDroppedBurst
                                                   : ImpairCounter::kDroppedLoss);
    return why;
  }
  if (heap_.size() >= capacity_) {
    counters_.Increment(ImpairCounter::kDroppedOverflow);
    return Verdict::kOverflow;
  }
  uint64_t due = now_ns + JitteredDelay();
  if (!params_.reorder && due < last_due_ns_) due = last_due_ns_;
  last_due_ns_ = std::max(last_due_ns_, due);
  Push(Scheduled{due, next_seq_++, slot, length});
  if (due_ns != nullptr) *due_ns = due;
  return Verdict::kQueued;
}

PopResult Link::Pop(uint64_t now_ns, Scheduled* out) {
  if (heap_.empty() || heap_.front().due_ns > now_ns) return PopResult::kNone;
  if (!params_.up) {
    *out = PopTop();
    counters_.Increment(ImpairCounter::kDroppedDown);
    return PopResult::kDrop;
  }
  if (params_.rate_bps > 0) {
    const uint64_t start = std::max(heap_.front().due_ns, next_free_ns_);
    if (start > now_ns) return PopResult::kNone;
    const double tx_ns = static_cast<double>(heap_.front().length) * 8e9 / params_.rate_bps;
    next_free_ns_ = start + static_cast<uint64_t>(std::llround(tx_ns));
  }
  *out = PopTop();
  return PopResult::kSend;
}

uint64_t Link::NextWakeNs() const {
  if (heap_.empty()) return std::numeric_limits<uint64_t>::max();
  uint64_t t = heap_.front().due_ns;
  if (params_.up && params_.rate_bps > 0) t = std::max(t, next_free_ns_);
  return t;
}

void Link::CountSent(uint32_t length) {
  counters_.Increment(ImpairCounter::kTxFrames);
  counters_.Increment(ImpairCounter::kTxBytes, length);
}

void Link::Push(const Scheduled& s) {
  heap_.push_back(s);  // never beyond the reserved capacity: no allocation
  std::push_heap(heap_.begin(), heap_.end(), Later);
}

Scheduled Link::PopTop() {
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  Scheduled s = heap_.back();
  heap_.pop_back();
  return s;
}

std::string Link::FormatCounters() const {
  std::string out;
  for (size_t i = 0; i < Counters::size(); ++i) {
    const auto c = static_cast<ImpairCounter>(i);
    absl::StrAppend(&out, i == 0 ? "" : " ", util::ToAbsl(CounterName(c)), "=", counters_.Get(c));
  }
  absl::StrAppend(&out, " queued=", heap_.size());
  return out;
}

// ---------------------------------------------------------------------------------------------
std::string ExecuteCommand(absl::string_view line, Link* a2b, Link* b2a) {
  std::vector<absl::string_view> words =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (words.empty()) return "error: empty command";
  const absl::string_view verb = words[0];
  size_t next = 1;
  bool to_a2b = true, to_b2a = true;
  if (words.size() > 1 && ParseDirection(words[1], &to_a2b, &to_b2a)) next = 2;
  auto rest_empty = [&] { return next == words.size(); };
  if (verb == "stats" || verb == "show") {
    if (!rest_empty()) return absl::StrCat("error: ", verb, " takes only an optional direction");
    std::string out = "ok";
    if (to_a2b) {
      absl::StrAppend(&out, "\na2b ", verb == "stats" ? a2b->FormatCounters()
                                                      : FormatParams(a2b->params()));
    }
    if (to_b2a) {
      absl::StrAppend(&out, "\nb2a ", verb == "stats" ? b2a->FormatCounters()
                                                      : FormatParams(b2a->params()));
    }
    return out;
  }
  if (verb == "up" || verb == "down") {
    if (!rest_empty()) {
      return absl::StrCat("error: ", verb, ": \"", words[next], "\" is not a2b, b2a or both");
    }
    if (to_a2b) a2b->SetUp(verb == "up");
    if (to_b2a) b2a->SetUp(verb == "up");
    return "ok";
  }
  if (verb == "reset") {
    if (!rest_empty()) return "error: reset takes only an optional direction";
    if (to_a2b) a2b->counters().Reset();
    if (to_b2a) b2a->counters().Reset();
    return "ok";
  }
  if (verb == "set") {
    if (rest_empty()) return "error: set needs key=value settings (e.g. set a2b delay=30 loss=1)";
    std::string settings;
    for (size_t i = next; i < words.size(); ++i) absl::StrAppend(&settings, words[i], " ");
    DirectionParams pa = a2b->params(), pb = b2a->params();
    absl::Status s = ApplySettings(settings, &pa);
    if (s.ok()) s = ApplySettings(settings, &pb);
    if (!s.ok()) return absl::StrCat("error: set: ", s.message());
    if (to_a2b) a2b->SetParams(pa);
    if (to_b2a) b2a->SetParams(pb);
    return "ok";
  }
  return absl::StrCat("error: unknown command \"", verb,
                      "\" (want stats, show, up, down, set, reset)");
}

}  // namespace ssr::impair
