// SPDX-License-Identifier: Apache-2.0
// The pure part of ssr-impair (tools/ssr_impair/README.md): per-direction impairment parameters
// and their parsing, the random source, and `Link`, which decides each frame's fate (lost, dropped
// while down, queue overflow, or queued with a due time) and hands frames back when they are due.
// No sockets and no clock here: every call takes the current time (CLOCK_MONOTONIC nanoseconds in
// the tool, anything in the tests) and randomness comes from an injected `Rng`, so the unit tests
// (test/tools/impair_core_test.cc) drive it frame by frame.
#ifndef SSR_TOOLS_SSR_IMPAIR_IMPAIR_CORE_H_
#define SSR_TOOLS_SSR_IMPAIR_IMPAIR_CORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "util/counters.h"

namespace ssr::impair {

// Per-direction counters (one line per direction in `stats` and on exit).
#define SSR_IMPAIR_COUNTERS(X)                                                                   \
  X(kRxFrames, "rx_frames", "frames received on the input interface")                           \
  X(kRxBytes, "rx_bytes", "bytes received on the input interface (Ethernet header on)")         \
  X(kTxFrames, "tx_frames", "frames sent on the output interface")                              \
  X(kTxBytes, "tx_bytes", "bytes sent on the output interface")                                 \
  X(kDroppedLoss, "dropped_loss", "dropped: random loss (loss=)", kDrop)                        \
  X(kDroppedBurst, "dropped_burst", "dropped: Gilbert-Elliott burst loss (ge=)", kDrop)         \
  X(kDroppedDown, "dropped_down", "dropped: link down on arrival or when due", kDrop)           \
  X(kDroppedOverflow, "dropped_overflow", "dropped: the direction's queue was full", kDrop)     \
  X(kDroppedOversize, "dropped_oversize", "dropped: frame larger than --max-frame", kDrop)      \
  X(kDroppedTxError, "dropped_tx_error", "dropped: the kernel refused the send (e.g. ENOBUFS)",  \
    kDrop)                                                                                       \
  X(kKernelDrops, "kernel_drops", "dropped by the kernel before ssr-impair read them (socket " \
    "buffer full; PACKET_STATISTICS tp_drops)", kDrop)                                           \
  X(kGsoFrames, "gso_frames", "frames received as GSO super-frames (relayed whole)")

SSR_DEFINE_COUNTER_ENUM(ImpairCounter, SSR_IMPAIR_COUNTERS)
using Counters = util::CounterArray<ImpairCounter>;

enum class JitterDist : uint8_t { kUniform, kNormal };

// Gilbert-Elliott two-state burst loss: each frame first moves the chain (good -> bad with
// probability p, bad -> good with probability r), then is lost with the state's loss
// probability. Mean loss = (p * loss_bad + r * loss_good) / (p + r).
struct GilbertElliott {
  bool enabled = false;
  double p = 0;          // P(good -> bad), 0..1
  double r = 1;          // P(bad -> good), 0..1
  double loss_bad = 1;   // loss probability in the bad state
  double loss_good = 0;  // loss probability in the good state
  double MeanLoss() const;
};

struct DirectionParams {
  uint64_t delay_ns = 0;
  uint64_t jitter_ns = 0;
  JitterDist dist = JitterDist::kUniform;
  double loss = 0;  // probability 0..1 of random (independent) loss
  GilbertElliott ge;
  double rate_bps = 0;   // 0 = unlimited
  bool reorder = false;  // let jitter reorder frames (default: due times never go backwards)
  bool up = true;
};

// One setting `key=value` (the names of README "Settings": delay, jitter, dist, loss, ge, rate,
// reorder, state). Errors name the key and the value.
absl::Status ApplySetting(absl::string_view key, absl::string_view value, DirectionParams* params);
// Whitespace-separated `key=value` settings; applies all or none.
absl::Status ApplySettings(absl::string_view list, DirectionParams* params);
// The settings as `key=value` words, the form ApplySettings reads.
std::string FormatParams(const DirectionParams& params);

// Random source: 64 random bits per call. Injected so tests can use a fixed sequence.
class Rng {
 public:
  virtual ~Rng() = default;
  virtual uint64_t Next() = 0;
  double Uniform01();     // [0, 1)
  double StandardNormal();  // mean 0, standard deviation 1 (Box-Muller, one value per call)
};

// xoshiro256** seeded through splitmix64.
class Xoshiro256 final : public Rng {
 public:
  explicit Xoshiro256(uint64_t seed);
  uint64_t Next() override;

 private:
  uint64_t s_[4];
};

// A frame's fate when offered.
enum class Verdict : uint8_t { kQueued, kLost, kBurstLost, kDown, kOverflow };

// A queued frame: `slot` is the caller's buffer index, `length` its size in bytes.
struct Scheduled {
  uint64_t due_ns = 0;
  uint64_t seq = 0;
  uint32_t slot = 0;
  uint32_t length = 0;
};

enum class PopResult : uint8_t { kNone, kSend, kDrop };

// One direction of the relay. Holds at most `capacity` frames; allocates only at construction.
// Not thread-safe (one event loop owns it).
class Link {
 public:
  Link(size_t capacity, Rng* rng);

  void SetParams(const DirectionParams& params);
  const DirectionParams& params() const { return params_; }
  void SetUp(bool up) { params_.up = up; }

  // A frame of `length` bytes arrived at `now_ns`: counts it, decides loss, and on kQueued stores
  // it with its due time (delay + jitter; never before the previous frame's unless reorder).
  Verdict Offer(uint64_t now_ns, uint32_t slot, uint32_t length, uint64_t* due_ns = nullptr);

  // The next frame that may leave at `now_ns` (due, and the rate limit allows it): kSend (send
  // it, then call CountSent), kDrop (the link is down: counted in dropped_down, free the slot),
  // kNone (nothing may leave yet).
  PopResult Pop(uint64_t now_ns, Scheduled* out);

  // Earliest time at which Pop can return a frame; UINT64_MAX if the queue is empty.
  uint64_t NextWakeNs() const;

  void CountSent(uint32_t length);
  size_t queued() const { return heap_.size(); }
  size_t capacity() const { return capacity_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  // `rx_frames=.. ... queued=N` on one line.
  std::string FormatCounters() const;

 private:
  bool Lost(Verdict* why);
  uint64_t JitteredDelay();
  void Push(const Scheduled& s);
  Scheduled PopTop();

  size_t capacity_;
  Rng* rng_;
  DirectionParams params_;
  std::vector<Scheduled> heap_;  // min-heap on (due_ns, seq); reserved at construction
  uint64_t next_seq_ = 0;
  uint64_t last_due_ns_ = 0;
  uint64_t next_free_ns_ = 0;  // rate limit: when the line is free again
  bool ge_bad_ = false;
  Counters counters_;
};

// Executes one control command (README "Control") on the two directions; returns the reply:
// "ok ..." or "error: ...". `links` are {a2b, b2a}.
std::string ExecuteCommand(absl::string_view line, Link* a2b, Link* b2a);

}  // namespace ssr::impair

#endif  // SSR_TOOLS_SSR_IMPAIR_IMPAIR_CORE_H_
