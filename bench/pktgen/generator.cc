// SPDX-License-Identifier: Apache-2.0
#include "generator.h"

#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "absl/strings/str_cat.h"

#include "io/umem.h"
#include "io/xsk_port.h"
#include "io/xsk_redirect_program.h"
#include "probe.h"
#include "ssr/ssr_pktgen.skel.h"
#include "util/ip_address.h"

namespace ssr::pktgen {

std::atomic<bool> g_interrupted{false};

uint64_t MonotonicNs() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ULL + static_cast<uint64_t>(t.tv_nsec);
}

void PinThread(int cpu) {
  cpu_set_t cs;
  CPU_ZERO(&cs);
  CPU_SET(cpu, &cs);
  pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
}

bool FaultInjected(const char* what) {
  const char* env = std::getenv("SSR_PKTGEN_FAULT");
  if (env == nullptr) return false;
  const std::string list = std::string(",") + env + ",";
  return list.find(std::string(",") + what + ",") != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
Generator::~Generator() { Join(); }

bool Generator::SetupCommon(const GeneratorConfig& c, std::string* error) {
  config_ = c;
  mix_ = ParseSizeMix(c.size);
  if (mix_.sizes.empty()) {
    *error = "--size: \"" + c.size + "\" is not 64..1518 or imix";
    return false;
  }
  auto src = util::IpAddress::Parse(c.src_ip);
  auto dst = util::IpAddress::Parse(c.dst_ip);
  if (!src || !dst || !src->is_v4() || !dst->is_v4()) {
    *error = "--src-ip/--dst-ip: IPv4 addresses expected (\"" + c.src_ip + "\", \"" + c.dst_ip + "\")";
    return false;
  }
  for (const auto& [size, weight] : mix_.sizes) {
    packet::PacketSpec spec;
    spec.dst_mac = c.dst_mac;
    spec.src_mac = c.src_mac;
    spec.src = *src;
    spec.dst = *dst;
    spec.protocol = packet::kIpProtoUdp;
    spec.src_port = c.sport;
    spec.dst_port = c.dport;
    const size_t frame_len = size - kFcsBytes;
    std::vector<uint8_t> payload(frame_len - kProbeOffset, 0);
    spec.payload = payload;
    std::vector<uint8_t> frame(frame_len);
    if (packet::BuildFrame(spec, frame) != frame_len) {
      *error = "cannot build a frame of " + std::to_string(size) + " bytes";
      return false;
    }
    // UDP checksum 0 (not computed): ports and probe change per frame.
    frame[kProbeOffset - 2] = 0;
    frame[kProbeOffset - 1] = 0;
    frames_.push_back(std::move(frame));
  }
  threads_ = std::max(1, c.threads);
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    *error = std::string("sched_getaffinity: ") + std::strerror(errno);
    return false;
  }
  cpus_.clear();
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) cpus_.push_back(cpu);
  }
  if (threads_ > static_cast<int>(cpus_.size())) {
    *error = "--threads " + std::to_string(threads_) + ": more than the " +
             std::to_string(cpus_.size()) + " CPUs this process may run on";
    return false;
  }
  cpus_.resize(static_cast<size_t>(threads_));
  return true;
}

void Generator::BeginTrial(uint8_t trial_id, double rate_pps) {
  trial_id_ = trial_id;
  interval_ps_ = PacingIntervalPs(rate_pps / threads_);
  for (auto& c : sent_) c.store(0);
  for (auto& b : bytes_) b.store(0);
  PrepareTrial();
}

void Generator::Start(double duration) {
  stop_.store(false);
  errors_.store(0);
  const uint64_t end = MonotonicNs() + static_cast<uint64_t>(duration * 1e9);
  for (int t = 0; t < threads_; ++t) {
    workers_.emplace_back([this, t, end] { Worker(t, end); });
  }
}

void Generator::Join() {
  for (auto& w : workers_) w.join();
  workers_.clear();
}

uint64_t Generator::sent() const {
  uint64_t s = 0;
  for (int t = 0; t < threads_; ++t) s += sent_[static_cast<size_t>(t)].load(std::memory_order_relaxed);
  return s;
}

uint64_t Generator::sent_bytes() const {
  uint64_t s = 0;
  for (int t = 0; t < threads_; ++t) s += bytes_[static_cast<size_t>(t)].load(std::memory_order_relaxed);
  return s;
}

void Generator::RecordError(const std::string& what) {
  if (errors_.fetch_add(1) == 0) std::fprintf(stderr, "ssr-pktgen: %s\n", what.c_str());
}

void Generator::AddSent(int t, uint64_t frames, uint64_t bytes) {
  sent_[static_cast<size_t>(t)].fetch_add(frames, std::memory_order_relaxed);
  bytes_[static_cast<size_t>(t)].fetch_add(bytes, std::memory_order_relaxed);
}

bool Generator::stopping() const {
  return stop_.load(std::memory_order_relaxed) || g_interrupted.load(std::memory_order_relaxed);
}

namespace {

// SSR_PKTGEN_FAULT=slowlive / slowafxdp: the pause after each live-frame call (of one batch) or
// each AF_XDP burst, which caps that generator at ~64 frames per 2 ms or less.
constexpr auto kSlowFaultPause = std::chrono::milliseconds(2);

std::string CpuList(const std::vector<int>& cpus) {
  std::string s;
  for (int c : cpus) {
    if (!s.empty()) s.push_back(',');
    s.append(std::to_string(c));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Live frames: BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES. Each call costs ~2 ms of set-up
// on this kernel (a page pool per call), so calls are long (~20 ms) and fixed rates are paced
// frame by frame inside the program; frames sent are read from its per-CPU sequence counter.
class LiveGenerator final : public Generator {
 public:
  ~LiveGenerator() override {
    Join();
    if (skel_ != nullptr) ssr_pktgen__destroy(skel_);
  }
  const char* kind() const override { return "live"; }
  std::string Describe() const override {
    return "live-frame BPF_PROG_RUN (XDP_REDIRECT via devmap) batch=" + std::to_string(kBatch) +
           " threads=" + std::to_string(threads_) + " cpus=" + CpuList(cpus_) +
           " tx-if=" + config_.tx_netns + "/" + config_.tx_if;
  }

  bool Setup(const GeneratorConfig& c, std::string* error) {
    if (!SetupCommon(c, error)) return false;
    skel_ = ssr_pktgen__open();
    if (skel_ == nullptr) {
      *error = "open BPF skeleton failed";
      return false;
    }
    skel_->rodata->flows = c.flows;
    skel_->rodata->base_sport = c.sport;
    if (ssr_pktgen__load(skel_) != 0) {
      *error = std::string("load pktgen.bpf.o: ") + std::strerror(errno);
      return false;
    }
    const unsigned ifindex = if_nametoindex(c.tx_if.c_str());
    if (ifindex == 0) {
      *error = "--tx-if " + c.tx_if + ": no such interface";
      return false;
    }
    const uint32_t key = 0;
    const uint32_t value = ifindex;
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.tx_port), &key, &value, 0) != 0) {
      *error = "--tx-if " + c.tx_if + ": devmap update: " + std::strerror(errno);
      return false;
    }
    prog_fd_ = bpf_program__fd(skel_->progs.pktgen_gen);
    slow_ = FaultInjected("slowlive");
    return true;
  }

  // One live-frame call whose only frame the pacer drops (next_ps in the far future): nothing
  // leaves the interface, but a kernel that refuses live frames says so.
  bool Probe(std::string* error) {
    WriteStates(GenState{.seq = 0, .next_ps = UINT64_MAX, .interval_ps = 1});
    const int rc = RunLive(0, 1);
    WriteStates(GenState{});
    if (rc != 0) {
      *error = std::string("BPF_PROG_RUN with live frames: ") + std::strerror(rc);
      return false;
    }
    return true;
  }

 protected:
  void PrepareTrial() override {
    skel_->bss->trial_id = trial_id_;
    WriteStates(GenState{.seq = 0, .next_ps = 0, .interval_ps = interval_ps_});
  }

  void Worker(int t, uint64_t end) override {
    const int cpu = cpus_[static_cast<size_t>(t)];
    PinThread(cpu);
    SizePicker picker(mix_);
    // Adapted so that one call lasts ~20 ms; one batch per call with SSR_PKTGEN_FAULT=slowlive.
    uint64_t repeat = slow_ ? kBatch : 16384;
    uint64_t seq = SentOnCpu(cpu);
    while (!stopping()) {
      const uint64_t now = MonotonicNs();
      if (now >= end) break;
      const size_t pick = picker.Pick();
      const int rc = RunLive(pick, repeat);
      if (rc != 0) {
        RecordError(std::string("BPF_PROG_RUN (live frames): ") + std::strerror(rc));
        if (errors() > 100) break;
        continue;
      }
      const uint64_t after = MonotonicNs();
      const uint64_t seq_now = SentOnCpu(cpu);
      const uint64_t n = seq_now - seq;
      seq = seq_now;
      picker.Add(pick, n);  // the mix follows frames sent, not calls
      AddSent(t, n, n * (frames_[pick].size() + kFcsBytes));
      const double call_ns = static_cast<double>(std::max<uint64_t>(after - now, 1));
      repeat = std::clamp<uint64_t>(static_cast<uint64_t>(static_cast<double>(repeat) * 20e6 / call_ns),
                                    1024, uint64_t{1} << 22);
      if (slow_) {  // SSR_PKTGEN_FAULT=slowlive
        repeat = kBatch;
        std::this_thread::sleep_for(kSlowFaultPause);
      }
    }
  }

 private:
  struct GenState {  // struct gen_state of pktgen.bpf.c
    uint64_t seq = 0;
    uint64_t next_ps = 0;
    uint64_t interval_ps = 0;
  };
  void WriteStates(const GenState& s) {
    std::vector<GenState> states(static_cast<size_t>(libbpf_num_possible_cpus()), s);
    const uint32_t key = 0;
    bpf_map_update_elem(bpf_map__fd(skel_->maps.gen_state), &key, states.data(), 0);
  }
  // 0 or the errno of the call.
  int RunLive(size_t pick, uint64_t repeat) {
    if (FaultInjected("live")) return EPERM;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frames_[pick].data(),
                .data_size_in = static_cast<uint32_t>(frames_[pick].size()),
                .repeat = static_cast<int>(repeat), .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
                .batch_size = kBatch);
    return bpf_prog_test_run_opts(prog_fd_, &opts) != 0 ? errno : 0;
  }
  uint64_t SentOnCpu(int cpu) const {
    std::vector<GenState> states(static_cast<size_t>(libbpf_num_possible_cpus()));
    const uint32_t key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.gen_state), &key, states.data()) != 0) return 0;
    return states[static_cast<size_t>(cpu)].seq;
  }

  ssr_pktgen* skel_ = nullptr;
  int prog_fd_ = -1;
  bool slow_ = false;  // SSR_PKTGEN_FAULT=slowlive, read once in Setup
};

// ---------------------------------------------------------------------------------------------
// AF_XDP TX: one socket (own Umem) per thread on queue t. The redirect program attached to the
// interface hands frames arriving there (ARP, replies) to the sockets, which free them.
class XskGenerator final : public Generator {
 public:
  ~XskGenerator() override {
    Join();
    for (auto& q : queues_) q.port.reset();  // ports before their Umem, the program last
    queues_.clear();
  }
  const char* kind() const override { return "afxdp"; }
  std::string Describe() const override {
    return "AF_XDP TX " + mode_ + " batch=" + std::to_string(kBatch) + " frames=" +
           std::to_string(kFrames) + " threads=" + std::to_string(threads_) + " (queues 0.." +
           std::to_string(threads_ - 1) + ") cpus=" + CpuList(cpus_) + " tx-if=" + config_.tx_netns +
           "/" + config_.tx_if + " pacing=user space burst=" + std::to_string(config_.burst);
  }

  bool Setup(const GeneratorConfig& c, std::string* error) {
    if (!SetupCommon(c, error)) return false;
    if (FaultInjected("afxdp")) {
      *error = "AF_XDP socket on \"" + c.tx_if + "\": " + std::strerror(EPERM) +
               " (SSR_PKTGEN_FAULT=afxdp)";
      return false;
    }
    const int ifindex = static_cast<int>(if_nametoindex(c.tx_if.c_str()));
    if (ifindex == 0) {
      *error = "--tx-if " + c.tx_if + ": no such interface";
      return false;
    }
    auto program = io::XskRedirectProgram::Create(ifindex, c.tx_if, io::XdpMode::kAuto);
    if (!program.ok()) {
      *error = "--tx-if " + c.tx_if + ": " + std::string(program.status().message());
      return false;
    }
    program_ = std::move(program).value();
    for (int t = 0; t < threads_; ++t) {
      Queue q;
      auto umem = io::Umem::Create({.frame_count = kFrames});
      if (!umem.ok()) {
        *error = "generator Umem: " + std::string(umem.status().message());
        return false;
      }
      q.umem = std::move(umem).value();
      io::XskPortOptions po;
      po.interface = c.tx_if;
      po.queue_id = static_cast<uint32_t>(t);
      po.xskmap_fd = program_->xskmap_fd();
      po.fill_frames = 256;  // RX is not what this socket is for
      auto port = io::XskPort::Create(q.umem.get(), po);
      if (!port.ok()) {
        *error = "--tx-if " + c.tx_if + " queue " + std::to_string(t) + ": " +
                 std::string(port.status().message());
        return false;
      }
      q.port = std::move(port).value();
      mode_ = absl::StrCat("(", io::XskModeString(q.port->mode()), ")");
      queues_.push_back(std::move(q));
    }
    slow_ = FaultInjected("slowafxdp");
    return true;
  }

 protected:
  void PrepareTrial() override {}

  void Worker(int t, uint64_t end) override {
    PinThread(cpus_[static_cast<size_t>(t)]);
    Queue& q = queues_[static_cast<size_t>(t)];
    FramePacer pacer(interval_ps_);
    SizePicker picker(mix_);
    io::Frame frames[kBatch];
    uint32_t seq = 0;
    // Frames admitted by the pacer and not sent yet (bursts: held until `burst` are due).
    size_t due = 0;
    const size_t burst = interval_ps_ == 0 ? 1 : std::clamp<size_t>(config_.burst, 1, kBatch);
    while (!stopping()) {
      const uint64_t now = MonotonicNs();
      if (now >= end) break;
      if (const size_t rx = q.port->Receive(frames); rx > 0) {
        q.umem->Free(std::span<const io::Frame>(frames, rx));
      }
      while (due < kBatch && pacer.Admit(now)) ++due;
      if (due < burst) {
        q.port->Flush();
        sched_yield();  // shares the CPU with the sink
        continue;
      }
      const size_t n = q.umem->Allocate(std::span<io::Frame>(frames, due));
      if (n == 0) {
        q.port->Flush();
        continue;
      }
      for (size_t i = 0; i < n; ++i) {
        const std::vector<uint8_t>& tmpl = frames_[picker.Next()];
        uint8_t* d = frames[i].data;
        // Headers and probe only: the payload bytes are whatever the frame held (zeros from the
        // mmap, or a frame received on this interface); the UDP checksum is 0.
        std::memcpy(d, tmpl.data(), kProbeOffset + kProbeLength);
        frames[i].length = static_cast<uint32_t>(tmpl.size());
        ApplyFlow(d, seq, config_.flows, config_.sport);
        WriteProbe(d, Probe{.trial = trial_id_, .stream = static_cast<uint8_t>(t), .seq = seq, .tx_ns = now});
        ++seq;
      }
      due -= n;
      const size_t accepted = q.port->Transmit(std::span<const io::Frame>(frames, n));
      if (accepted < n) {
        // TX ring full: those sequence numbers are used again by the next frames.
        q.umem->Free(std::span<const io::Frame>(frames + accepted, n - accepted));
        seq -= static_cast<uint32_t>(n - accepted);
      }
      q.port->Flush();
      uint64_t bytes = 0;
      for (size_t i = 0; i < accepted; ++i) bytes += frames[i].length + kFcsBytes;
      AddSent(t, accepted, bytes);
      if (slow_) std::this_thread::sleep_for(kSlowFaultPause);  // SSR_PKTGEN_FAULT=slowafxdp
      if (q.port->counters().Get(io::XskCounter::kTxWakeupErrors) != wakeup_errors_seen_[t]) {
        wakeup_errors_seen_[t] = q.port->counters().Get(io::XskCounter::kTxWakeupErrors);
        RecordError("AF_XDP TX wake-up (sendto) failed on " + std::string(q.port->name()));
      }
    }
    // Let the kernel send what is still in the TX ring (at most 200 ms).
    const uint64_t drain_end = MonotonicNs() + 200'000'000;
    while (q.port->tx_in_flight() > 0 && MonotonicNs() < drain_end) {
      q.port->Flush();
      sched_yield();
    }
  }

 private:
  static constexpr uint32_t kFrames = 4096;
  struct Queue {
    std::unique_ptr<io::Umem> umem;
    std::unique_ptr<io::XskPort> port;
  };
  std::unique_ptr<io::XskRedirectProgram> program_;
  std::vector<Queue> queues_;
  std::array<uint64_t, 64> wakeup_errors_seen_{};
  std::string mode_;
  bool slow_ = false;  // SSR_PKTGEN_FAULT=slowafxdp, read once in Setup
};

}  // namespace

std::unique_ptr<Generator> CreateGenerator(const std::string& which, const GeneratorConfig& config,
                                           std::string* fallback_reason, std::string* error) {
  if (which != "auto" && which != "live" && which != "afxdp") {
    *error = "--generator: \"" + which + "\" is not auto, live or afxdp";
    return nullptr;
  }
  if (which == "auto" || which == "live") {
    auto live = std::make_unique<LiveGenerator>();
    std::string err;
    if (live->Setup(config, &err) && live->Probe(&err)) return live;
    if (which == "live") {
      *error = "live-frame generator: " + err;
      return nullptr;
    }
    *fallback_reason = "live-frame generator unavailable (" + err + ")";
  }
  auto xsk = std::make_unique<XskGenerator>();
  std::string err;
  if (xsk->Setup(config, &err)) return xsk;
  *error = "AF_XDP generator: " + err;
  if (!fallback_reason->empty()) *error = *fallback_reason + "; " + *error;
  return nullptr;
}

}  // namespace ssr::pktgen
