// SPDX-License-Identifier: Apache-2.0
// The frame generators of ssr-pktgen run. Two send the same frames (Ethernet / IPv4 / UDP with
// the probe of probe.h, sizes and flows as pktgen_core.h describes) at a paced or maximal rate,
// one thread each:
//
//   live   BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES on pktgen_gen (pktgen.bpf.c), which
//          paces, stamps and redirects every frame out of the interface in the kernel. Fastest
//          (several Mpps per thread), but some kernels refuse live frames (EPERM seen on
//          6.18.44-fc-v1294 as root with every capability).
//   afxdp  an AF_XDP socket per thread on queue t of the interface (copy mode on veth): frames
//          are built in the thread's own Umem (the 58 bytes of headers and probe copied from a
//          template per size, flow and probe stamped in place; the payload is never written),
//          paced by FramePacer in user space, and sent in batches of 64 with one TX wake-up per
//          batch. About 1 Mpps per thread here.
//
// `auto` probes the live-frame generator with one call whose frame the pacer drops (nothing
// leaves the interface) and falls back to afxdp, saying why in one line.
//
// Fault injection for tests: SSR_PKTGEN_FAULT=live makes every live-frame call fail with EPERM
// (as the kernel above does); SSR_PKTGEN_FAULT=afxdp makes the AF_XDP generator fail to open
// its socket with EPERM. SSR_PKTGEN_FAULT=slowlive makes the live-frame generator slow on
// purpose (one batch of 64 frames per BPF_PROG_RUN call and a 2 ms pause after each call: a few
// 10 kpps at most); SSR_PKTGEN_FAULT=slowafxdp does the same to the AF_XDP generator (a 2 ms
// pause after each burst of at most 64 frames). The slow faults are read once when the generator
// is set up; without them the send loops are unchanged (bench/run's generator choice, ctest
// bench-calibration). Several may be given, separated by commas. Nothing else reads it.
//
// Threads and CPUs: thread t runs on the t-th CPU of the process's affinity mask, so
// `taskset -c 1 ssr-pktgen run ...` places the generator. Setup runs in the network namespace
// of the interface (the caller enters it first); the threads inherit it.
#ifndef SSR_BENCH_PKTGEN_GENERATOR_H_
#define SSR_BENCH_PKTGEN_GENERATOR_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "packet/builder.h"
#include "pktgen_core.h"

namespace ssr::pktgen {

struct GeneratorConfig {
  std::string tx_if;      // interface to send on (in the caller's network namespace)
  std::string tx_netns;   // for descriptions only
  packet::MacAddress dst_mac{}, src_mac{};
  std::string src_ip, dst_ip;
  uint16_t sport = 1024, dport = 5060;
  std::string size = "64";
  uint32_t flows = 1;  // 0: a new flow per frame
  int threads = 1;
  // AF_XDP generator, paced rates: frames leave in bursts of this many back to back (1..64), at
  // the same average rate. Bursts let a device that sleeps when idle be woken once per burst, as
  // a NIC's interrupt moderation does (cost-per-packet trials). 1: each frame when it is due.
  uint32_t burst = 1;
};

class Generator {
 public:
  static constexpr uint32_t kBatch = 64;
  virtual ~Generator();

  // "live" or "afxdp".
  virtual const char* kind() const = 0;
  // One line for the report header: the method and every mode.
  virtual std::string Describe() const = 0;

  // Resets the sequence numbers and sets each thread's pacing for the next Start.
  void BeginTrial(uint8_t trial_id, double rate_pps);
  // Runs `duration` seconds on all threads; Join waits for them.
  void Start(double duration);
  void Join();
  void Stop() { stop_.store(true); }

  uint64_t sent() const;
  uint64_t sent_bytes() const;
  uint64_t errors() const { return errors_.load(); }
  const SizeMix& mix() const { return mix_; }
  int threads() const { return threads_; }
  const std::vector<int>& cpus() const { return cpus_; }

 protected:
  // Frames per size (one template each) and the CPU of each thread.
  bool SetupCommon(const GeneratorConfig& config, std::string* error);
  virtual void PrepareTrial() = 0;
  virtual void Worker(int t, uint64_t end_ns) = 0;
  // Counts an error; the first one is printed to stderr with `what`.
  void RecordError(const std::string& what);
  void AddSent(int t, uint64_t frames, uint64_t bytes);
  bool stopping() const;

  GeneratorConfig config_;
  SizeMix mix_;
  std::vector<std::vector<uint8_t>> frames_;  // one built frame per size of the mix
  int threads_ = 1;
  std::vector<int> cpus_;
  uint8_t trial_id_ = 0;
  uint64_t interval_ps_ = 0;  // per thread; 0 = unpaced

 private:
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> errors_{0};
  std::array<std::atomic<uint64_t>, 64> sent_{};
  std::array<std::atomic<uint64_t>, 64> bytes_{};
};

// `which`: auto, live or afxdp. Returns the generator, or nullptr with `error` set (the first
// error line of the generator that was asked for, or of both for auto). With auto and a
// fallback, `fallback_reason` says why the live-frame generator was not used.
std::unique_ptr<Generator> CreateGenerator(const std::string& which, const GeneratorConfig& config,
                                           std::string* fallback_reason, std::string* error);

// True when SSR_PKTGEN_FAULT names `what` (see the comment at the top).
bool FaultInjected(const char* what);

// Set by ssr-pktgen's SIGINT/SIGTERM handler; generator threads stop when it is.
extern std::atomic<bool> g_interrupted;

// Pins the calling thread to `cpu`.
void PinThread(int cpu);
uint64_t MonotonicNs();

}  // namespace ssr::pktgen

#endif  // SSR_BENCH_PKTGEN_GENERATOR_H_
