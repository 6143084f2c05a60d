// SPDX-License-Identifier: Apache-2.0
// Pure parts of the bundled packet generator (ssr-pktgen): rate pacing, frame sizes (fixed and
// IMIX) and bit rates, the latency histogram, sequence accounting (loss, reordering,
// duplicates), and the NDR / PDR rate search. No I/O here, so every piece is unit-tested.
//
// Design note.
//   * Sizes follow RFC 2544: "64 B" is the Ethernet frame including its 4-byte FCS, so the
//     generator hands size - 4 bytes to the device; L2 Gbit/s counts size * 8 bits per frame and
//     L1 Gbit/s adds the 20 bytes of preamble, start delimiter and inter-frame gap.
//   * IMIX is the simple 7:4:1 mix of 64, 576 and 1500-byte frames (average 353.8 B).
//   * FramePacer decides frame by frame (in the XDP program that generates the frames): one
//     frame per interval, at most 64 back to back after a stall.
//   * LatencyHistogram is log-linear (HdrHistogram-like): values below 64 ns are exact; above,
//     each power of two is split in 32 buckets, so a percentile is within 1/32 (3.1 %) of
//     the true value. Fixed size array: recording never allocates.
//   * SequenceTracker counts, per stream, packets received, duplicates (a sequence number seen
//     before, within a 65536-number window behind the highest) and out-of-order arrivals (lower
//     than the highest seen and not a duplicate). Loss is sent - unique received, computed by
//     the caller who knows what was sent.
//   * FindMaxRate is the NDR/PDR binary search (RFC 2544 §26.1 throughput, with a loss
//     threshold: 0 for NDR, 0.005 for PDR). A first trial at the maximum rate decides whether
//     the device is generator-bound; then the interval [0, max] is halved until it is narrower
//     than `precision` * max or `max_trials` trials have run.
#ifndef SSR_BENCH_PKTGEN_PKTGEN_CORE_H_
#define SSR_BENCH_PKTGEN_PKTGEN_CORE_H_

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ssr::pktgen {

// ---- frame sizes and bit rates ----
inline constexpr uint32_t kFcsBytes = 4;
inline constexpr uint32_t kL1OverheadBytes = 20;  // preamble 7 + SFD 1 + IFG 12

struct SizeMix {
  // (frame size incl. FCS, weight) pairs; one entry for a fixed size.
  std::vector<std::pair<uint32_t, uint32_t>> sizes;
  std::string name;  // "64", "imix"
  double AverageSize() const;
};
// "64", "512", "1400", any number 64..1518, or "imix". Empty mix when the text is invalid.
SizeMix ParseSizeMix(const std::string& text);

// Bits per second at L2 (frame incl. FCS) and L1 (+20 bytes per frame), for `pps` frames of
// average size `avg_size`.
double L2BitsPerSecond(double pps, double avg_size);
double L1BitsPerSecond(double pps, double avg_size);

// ---- pacing ----
// The generator's per-frame pacing, run inside the XDP program for every frame the live-frame
// loop offers (pktgen.bpf.c mirrors Admit line by line): a frame earlier than `next` is dropped
// at once; an admitted frame moves `next` one interval on, but never further back than
// 64 intervals before now, so a stall (e.g. the ~2 ms between two BPF_PROG_RUN calls) is
// followed by at most 64 back-to-back frames (one batch).
inline constexpr uint64_t kMaxCatchUpFrames = 64;
// Interval in picoseconds for `rate_pps` frames per second (0 = unpaced).
uint64_t PacingIntervalPs(double rate_pps);
class FramePacer {
 public:
  explicit FramePacer(uint64_t interval_ps) : interval_ps_(interval_ps) {}
  bool Admit(uint64_t now_ns) {
    if (interval_ps_ == 0) return true;
    const uint64_t now_ps = now_ns * 1000;
    if (now_ps < next_ps_) return false;
    uint64_t next = next_ps_ + interval_ps_;
    const uint64_t floor = now_ps - kMaxCatchUpFrames * interval_ps_;
    if (next < floor) next = floor;
    next_ps_ = next;
    return true;
  }

 private:
  uint64_t interval_ps_;
  uint64_t next_ps_ = 0;
};

// Picks the frame size of each generated frame (or call) so that the frame counts follow the
// mix's weights (the size with the largest deficit against its share; with one size, always it).
class SizePicker {
 public:
  explicit SizePicker(const SizeMix& mix);
  // The size to send next (index into mix.sizes), without counting it.
  size_t Pick() const;
  // Counts `frames` frames sent at size `i` (the live-frame generator sends a whole call of one
  // size and learns afterwards how many frames left).
  void Add(size_t i, uint64_t frames);
  // Pick and count one frame.
  size_t Next() {
    const size_t i = Pick();
    Add(i, 1);
    return i;
  }
  uint64_t count(size_t i) const { return counts_[i]; }

 private:
  std::vector<uint32_t> weights_;
  uint32_t weight_sum_ = 0;
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

// ---- per-frame flow variation ----
// What pktgen_gen (pktgen.bpf.c) does to a frame's flow, for generators that build frames in
// user space (the AF_XDP generator); the two are kept line by line alike and both follow this
// description. Frame layout: Ethernet / IPv4 (20 bytes) / UDP.
//   flows > 0: the UDP source port cycles over base_sport .. base_sport + flows - 1.
//   flows = 0: a new flow per frame: source port 1024 + seq % 64512, the last byte of the source
//              address 1 + (seq / 64512) % 254 (16.4 M flows inside the source /24), with the
//              IPv4 header checksum patched incrementally (RFC 1624).
// The UDP checksum stays 0 (not computed).
void ApplyFlow(uint8_t* frame, uint64_t seq, uint32_t flows, uint16_t base_sport);

// ---- CPU time of one CPU (cost per packet) ----
// Busy and total time of one CPU from /proc/stat (jiffies of USER_HZ). Busy is everything but
// idle and iowait (guest time is already inside user, so it is not added twice).
struct CpuTimes {
  uint64_t busy = 0;
  uint64_t total = 0;
};
// The `cpuN` line of a /proc/stat text; false when it is missing or malformed.
bool ParseProcStatCpu(const std::string& proc_stat, int cpu, CpuTimes* out);
// CPU-time cost of a trial on the device-under-test CPU: busy time between two readings,
// per packet. `ns_per_jiffy` is 1e9 / sysconf(_SC_CLK_TCK).
struct CpuCost {
  double busy_ns = 0;
  double busy_fraction = 0;  // busy / total over the interval (0..1)
  double ns_per_packet = 0;  // busy_ns / packets (0 when no packets)
};
CpuCost ComputeCpuCost(const CpuTimes& before, const CpuTimes& after, uint64_t packets,
                       double ns_per_jiffy);

// ---- latency ----
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;                 // 32 buckets per power of two
  static constexpr int kSubCount = 1 << kSubBits;
  static constexpr int kExact = 2 * kSubCount;       // values < 64 have their own bucket
  static constexpr int kBuckets = kExact + (64 - kSubBits - 1) * kSubCount;

  void Record(uint64_t value_ns);
  void Merge(const LatencyHistogram& other);
  void Reset() { *this = LatencyHistogram(); }
  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // Value at or below which `p` percent (0..100) of the recorded values lie (the bucket's
  // upper bound clipped to max; exact below 64 ns). 0 when empty.
  uint64_t Percentile(double p) const;
  // Bucket index of a value, and the bucket's [low, high] value range.
  static int BucketOf(uint64_t v);
  static uint64_t BucketLow(int b);
  static uint64_t BucketHigh(int b);
  uint64_t bucket_count(int b) const { return buckets_[static_cast<size_t>(b)]; }

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

// Coarse decade histogram for reports: counts per [1,2,5]x10^k ns bucket edges.
struct HistogramBin {
  uint64_t upper_ns;  // bin holds values <= upper_ns (and > the previous bin's upper)
  uint64_t count;
};
std::vector<HistogramBin> CoarseBins(const LatencyHistogram& h);

// ---- sequence accounting ----
class SequenceTracker {
 public:
  static constexpr uint32_t kWindow = 65536;
  void Record(uint32_t seq);
  uint64_t received() const { return received_; }
  uint64_t unique() const { return received_ - duplicates_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t out_of_order() const { return out_of_order_; }
  uint64_t highest() const { return highest_; }  // highest sequence seen + 1 (0: none)

 private:
  bool Seen(uint64_t seq) const { return seen_[seq % kWindow]; }
  std::bitset<kWindow> seen_;
  uint64_t highest_ = 0;  // one past the highest sequence number recorded
  uint64_t received_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t out_of_order_ = 0;
};

// ---- NDR / PDR search ----
struct TrialResult {
  double offered_pps = 0;   // rate asked for (0 = max)
  double tx_pps = 0;        // rate actually sent
  double rx_pps = 0;
  uint64_t tx = 0;
  uint64_t rx = 0;
  double LossFraction() const {
    return tx == 0 ? 0.0 : (tx > rx ? static_cast<double>(tx - rx) / static_cast<double>(tx) : 0.0);
  }
};
struct SearchResult {
  double rate_pps = 0;      // highest sent rate whose loss was within the threshold (0: none)
  TrialResult at_rate;      // that trial
  bool generator_bound = false;  // the max-rate trial passed: the device is faster than us
  std::vector<TrialResult> trials;
};
// `trial(rate)` runs one trial at `rate` pps (0 = as fast as possible). `known_good_pps` is a
// rate already shown to pass (e.g. the NDR when searching the PDR, which cannot be lower): the
// search starts its interval there instead of at 0.
SearchResult FindMaxRate(double loss_threshold, double precision, int max_trials,
                         const std::function<TrialResult(double rate_pps)>& trial,
                         double known_good_pps = 0);

// ---- small JSON writer (objects of numbers, strings and nested objects/arrays) ----
class JsonWriter {
 public:
  JsonWriter& BeginObject(const std::string& key = "");
  JsonWriter& EndObject();
  JsonWriter& BeginArray(const std::string& key);
  JsonWriter& EndArray();
  JsonWriter& Number(const std::string& key, double v);
  JsonWriter& Integer(const std::string& key, uint64_t v);
  JsonWriter& String(const std::string& key, const std::string& v);
  JsonWriter& Bool(const std::string& key, bool v);
  const std::string& str() const { return out_; }

 private:
  void Key(const std::string& key);
  std::string out_;
  std::vector<bool> first_{true};
};
std::string JsonEscape(const std::string& s);

}  // namespace ssr::pktgen

#endif  // SSR_BENCH_PKTGEN_PKTGEN_CORE_H_
