// SPDX-License-Identifier: Apache-2.0
// ssr-pktgen: the bundled packet generator, AF_XDP sink, raw AF_XDP forwarder and XDP_DROP
// baseline of the side-by-side benchmark (bench/run). Run as root.
//
//   ssr-pktgen run   --tx-if IF [--tx-netns NS] --dst-mac MAC [--src-mac MAC]
//                    [--src-ip A] [--dst-ip B] [--sport P] [--dport P]
//                    [--size 64|512|1400|imix|N] [--flows N (0 = a new flow per packet)]
//                    [--rate PPS|max] [--duration S] [--threads N]
//                    [--rx-if IF [--rx-netns NS] [--rx-xdp-mode native|skb] [--rx-idle yield|sleep]]
//                                             AF_XDP sink (yield: it yields the CPU instead of
//                                             sleeping for 50 ms after a frame; default), or
//                    [--rx-counter-cmd CMD]   shell command printing a counter of received packets
//                    [--drops-cmd CMD]        shell command printing "name value" counter lines
//                    [--search ndr|pdr|both] [--trial-duration S] [--precision F] [--max-trials N]
//                    [--label TEXT] [--crypto TEXT] [--note TEXT] [--json PATH] [--quiet]
//                    [--generator auto|live|afxdp]   frame generator (generator.h); auto: live
//                                             frames when the kernel allows them, else AF_XDP TX
//                    [--burst N]              AF_XDP generator, paced: N frames back to back
//                                             per burst at the same average rate (1..64)
//                    [--cost-cpu N]           CPU-time cost of every trial on CPU N (the device
//                                             under test's): busy time from /proc/stat per
//                                             received packet, in the totals and the JSON
//   ssr-pktgen fwd   --in IF --out IF --dst-mac MAC [--src-mac MAC] [--netns NS]
//                    [--xdp-mode native|skb|auto] [--batch N] [--no-wakeup] [--idle-yield-us N]
//                    [--frames N] [--fill-ring N] [--rx-ring N]   Umem frames, fill/completion
//                                             and RX/TX ring entries (defaults 32768 / 8192 /
//                                             8192, ssr-router's: RouterOptions in router.h)
//   ssr-pktgen drop  --if IF [--netns NS] [--xdp-mode native|skb]
//   ssr-pktgen relay --in IF --out IF [--netns NS]   attaches an XDP redirect from IF to IF and
//                                             exits (the program stays until --detach or the
//                                             namespace goes); --in IF --detach removes it
//   ssr-pktgen --help | -h | --version         (--help / -h also after a subcommand)
//
// --help explains the subcommands, signals, exit codes and files (CLI11, tools/cli/ssr_cli.h;
// the subcommands' options are still parsed by hand below). Exit codes: 0 done, 1 runtime error,
// 2 bad command line (one line naming the option and value), 130 `run` stopped by a signal.
//
// Design note. `run` is one process: the main thread enters the generator's namespace and
// drives trials; the generator threads (one per CPU, or per queue) send frames stamped with a
// probe (trial, stream, sequence number, CLOCK_MONOTONIC ns) out of --tx-if, with the live-frame
// BPF_PROG_RUN generator or the AF_XDP TX generator (generator.h says how each works and how
// `auto` chooses; the one used is named in the header and the JSON, with the reason of a
// fallback). The sink thread enters the receiver's namespace and reads frames from an AF_XDP
// socket (io::XskPort with its own redirect program), so every frame is a latency probe. When the
// receiver is not an AF_XDP sink (XDP_DROP baselines, the gate dropping non-members),
// --rx-counter-cmd gives the received count, read before and after each trial. --drops-cmd (e.g.
// SIGUSR1 to ssr-router, then its --stats-file) gives drops by reason as the delta of every
// counter whose name contains "drop". A run whose generator cannot start, or that sends nothing,
// exits 1 with the generator's first error on stderr.
// Outputs: text on stdout (header naming every mode, one line per second, totals, the
// latency histogram, NDR/PDR) and the same as JSON with --json.
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/umem.h"
#include "io/xsk_port.h"
#include "packet/builder.h"
#include "ssr/router.h"
#include "generator.h"
#include "pktgen_core.h"
#include "probe.h"
#include "ssr/ssr_pktgen.skel.h"
#include "ssr/version.h"
#include "ssr_cli.h"

namespace ssr::pktgen {
namespace {

void OnSignal(int) { g_interrupted.store(true); }

uint64_t NowNs() { return MonotonicNs(); }

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "ssr-pktgen: %s\n", msg.c_str());
  std::exit(1);
}

// A bad command line: one line naming the option and value, then exit 2.
[[noreturn]] void DieUsage(const std::string& msg) { std::exit(cli::UsageError("ssr-pktgen", msg)); }

constexpr char kSynopsis[] =
    "usage: ssr-pktgen run   --tx-if IF [--tx-netns NS] --dst-mac MAC [--src-mac MAC]\n"
    "                        [--src-ip A] [--dst-ip B] [--sport P] [--dport P]\n"
    "                        [--size 64|512|1400|imix|N] [--flows N (0 = a new flow per packet)]\n"
    "                        [--rate PPS|max] [--duration S] [--threads N]\n"
    "                        [--rx-if IF [--rx-netns NS] [--rx-xdp-mode native|skb]\n"
    "                         [--rx-idle yield|sleep]]   AF_XDP sink, or\n"
    "                        [--rx-counter-cmd CMD]   shell command printing a received count\n"
    "                        [--drops-cmd CMD]        shell command printing \"name value\" lines\n"
    "                        [--search ndr|pdr|both] [--trial-duration S] [--precision F]\n"
    "                        [--max-trials N] [--label TEXT] [--crypto TEXT] [--note TEXT]\n"
    "                        [--json PATH] [--quiet] [--generator auto|live|afxdp]\n"
    "                        [--burst N (1..64, AF_XDP generator)] [--cost-cpu N]\n"
    "       ssr-pktgen fwd   --in IF --out IF --dst-mac MAC [--src-mac MAC] [--netns NS]\n"
    "                        [--xdp-mode native|skb|auto] [--batch N] [--no-wakeup]\n"
    "                        [--idle-yield-us N] [--frames N] [--fill-ring N] [--rx-ring N]\n"
    "       ssr-pktgen drop  --if IF [--netns NS] [--xdp-mode native|skb]\n"
    "       ssr-pktgen relay --in IF --out IF [--netns NS]  |  --in IF --detach\n"
    "       ssr-pktgen --help | -h | --version      (also: ssr-pktgen SUBCOMMAND --help)\n"
    "\n"
    "The packet generator, AF_XDP sink, raw AF_XDP forwarder and XDP_DROP baseline of the\n"
    "side-by-side benchmark (bench/run). Run as root. The options are explained in the comment\n"
    "at the top of bench/pktgen/main.cc; in short:\n"
    "  run    sends probe-stamped frames out of --tx-if at --rate for --duration seconds (or\n"
    "         searches the NDR/PDR rate with --search) and reports throughput, drops and latency\n"
    "  fwd    forwards frames from --in to --out over AF_XDP, rewriting the MACs (no SVR)\n"
    "  drop   attaches an XDP_DROP program to --if until stopped\n"
    "  relay  attaches an XDP redirect from --in to --out and exits; --detach removes it\n";

constexpr char kFooter[] =
    "Signals:\n"
    "  SIGINT, SIGTERM  run: stop the trials, print what was measured, exit 130; fwd, drop\n"
    "                   (which print \"ready\" once running): detach and exit 0\n"
    "\n"
    "Exit codes:\n"
    "  0    done (or --help, --version)\n"

    "  1    runtime error (interface, namespace, BPF load or attach, nothing sent)\n"
    "  2    bad command line (unknown subcommand or option, missing or bad value)\n"
    "  130  run was stopped by SIGINT or SIGTERM\n"
    "\n"
    "Files:\n"
    "  --json PATH  run: the results as JSON\n"
    "  pktgen.bpf.o is built into the binary (no file is read)\n";

// `SUBCOMMAND --help` / `-h` anywhere in the subcommand's arguments: the help, exit 0.
void HelpIfAsked(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kSynopsis, stdout);
      std::fputs("\n", stdout);
      std::fputs(kFooter, stdout);
      std::exit(0);
    }
  }
}

bool EnterNetns(const std::string& name, std::string* error) {
  if (name.empty()) return true;
  const std::string path = "/var/run/netns/" + name;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "netns " + name + ": " + std::strerror(errno);
    return false;
  }
  const int rc = setns(fd, CLONE_NEWNET);
  const int saved = errno;
  close(fd);
  if (rc != 0) {
    *error = "setns " + name + ": " + std::strerror(saved);
    return false;
  }
  return true;
}

std::optional<packet::MacAddress> ParseMac(const std::string& s) {
  packet::MacAddress m{};
  unsigned v[6];
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
    return std::nullopt;
  }
  for (int i = 0; i < 6; ++i) {
    if (v[i] > 255) return std::nullopt;
    m[static_cast<size_t>(i)] = static_cast<uint8_t>(v[i]);
  }
  return m;
}

std::string CpuModel() {
  FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (f == nullptr) return "unknown";
  char line[512];
  std::string model = "unknown";
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::strncmp(line, "model name", 10) == 0) {
      const char* colon = std::strchr(line, ':');
      if (colon != nullptr) {
        model = colon + 2;
        while (!model.empty() && (model.back() == '\n' || model.back() == ' ')) model.pop_back();
      }
      break;
    }
  }
  std::fclose(f);
  return model + " x" + std::to_string(sysconf(_SC_NPROCESSORS_ONLN));
}

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::map<std::string, uint64_t> ParseCounters(const std::string& text) {
  std::map<std::string, uint64_t> m;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    char name[256];
    unsigned long long v = 0;
    if (std::sscanf(line.c_str(), "%255s %llu", name, &v) == 2) m[name] = v;
  }
  return m;
}

bool ReadCpuTimes(int cpu, CpuTimes* out) {
  FILE* f = std::fopen("/proc/stat", "r");
  if (f == nullptr) return false;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  return ParseProcStatCpu(text, cpu, out);
}
double NsPerJiffy() { return 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK)); }

// ---------------------------------------------------------------------------------------------
struct Options {
  std::string tx_netns, tx_if, rx_netns, rx_if;
  std::string rx_xdp_mode = "native";
  bool rx_sleep = false;  // --rx-idle sleep: the sink sleeps in poll() as soon as its ring is empty
  packet::MacAddress dst_mac{}, src_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  std::string src_ip = "10.10.2.10", dst_ip = "10.20.2.10";
  uint16_t sport = 1024, dport = 5060;
  std::string size = "64";
  uint32_t flows = 1;
  double rate = 0;  // 0 = max
  double duration = 5;
  int threads = 1;
  std::string rx_counter_cmd, drops_cmd;
  std::string search;  // "", ndr, pdr, both
  double trial_duration = 2;
  double precision = 0.02;
  int max_trials = 10;
  std::string label, crypto = "none", note, json;
  bool quiet = false;
  std::string generator = "auto";  // auto, live, afxdp
  int cost_cpu = -1;               // >= 0: CPU-time cost of every trial on this CPU
  uint32_t burst = 1;              // AF_XDP generator: frames per paced burst
};

// ---------------------------------------------------------------------------------------------
// Sink: AF_XDP receiver that checks probes.
struct SinkSnapshot {
  uint64_t rx = 0, rx_bytes = 0, stale = 0, other = 0, duplicates = 0, out_of_order = 0;
  LatencyHistogram total_latency;
  uint64_t interval_rx = 0, interval_bytes = 0;
  LatencyHistogram interval_latency;
};

class Sink {
 public:
  static constexpr uint64_t kSinkSpinNs = 50'000'000;  // yield, not sleep, this long after a frame
  static constexpr uint32_t kSinkFrames = 32768, kSinkRing = 16384;

  bool Start(const Options& o, std::string* error) {
    thread_ = std::thread([this, o] { Run(o); });
    while (state_.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (state_.load() < 0) {
      *error = error_;
      thread_.join();
      return false;
    }
    return true;
  }
  void Shutdown() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  // Starts a new trial: frames of other trials are counted as stale from now on.
  void Reset(uint8_t trial) {
    trial_.store(trial);
    Command(2);
  }
  SinkSnapshot Snapshot() {
    Command(1);
    std::lock_guard<std::mutex> lock(mu_);
    return shared_;
  }
  uint64_t rx_now() const { return rx_live_.load(std::memory_order_relaxed); }
  const std::string& mode() const { return mode_; }

 private:
  void Command(int c) {
    cmd_.store(c, std::memory_order_release);
    while (cmd_.load(std::memory_order_acquire) != 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  void Run(const Options& o) {
    std::string err;
    if (!EnterNetns(o.rx_netns, &err)) {
      error_ = err;
      state_.store(-1);
      return;
    }
    // Deep rings: the sink shares its CPU with the generator, which runs a whole scheduler
    // tick (4 ms at HZ=250) at full speed; with the default Umem (1024 fill frames) the sink's
    // socket overflowed during it and the sink, not the device under test, bounded every
    // full-load rate (half of what the last forwarder sent was dropped at s0 on 2026-12-07).
    auto umem = io::Umem::Create({.frame_count = kSinkFrames,
                                  .frame_size = 4096,
                                  .fill_ring_size = kSinkRing,
                                  .completion_ring_size = 64});
    if (!umem.ok()) {
      error_ = "sink Umem: " + std::string(umem.status().message());
      state_.store(-1);
      return;
    }
    io::XskPortOptions po;
    po.interface = o.rx_if;
    po.rx_ring_size = kSinkRing;
    po.tx_ring_size = 64;
    po.xdp_mode = o.rx_xdp_mode == "skb" ? io::XdpMode::kSkb
                  : o.rx_xdp_mode == "auto" ? io::XdpMode::kAuto
                                            : io::XdpMode::kNative;
    auto port = io::XskPort::Create(umem->get(), po);
    if (!port.ok()) {
      error_ = "sink --rx-if " + o.rx_if + ": " + std::string(port.status().message());
      state_.store(-1);
      return;
    }
    mode_ = "AF_XDP sink " + io::XskModeString((*port)->mode()) + " batch=" +
            std::to_string(po.batch_size) + " rx_ring=" + std::to_string(po.rx_ring_size) +
            " fill_ring=" + std::to_string((*umem)->options().fill_ring_size) +
            " frame=" + std::to_string((*umem)->frame_size()) +
            (o.rx_sleep ? " idle=sleep" : " idle=yield");
    state_.store(1);
    std::vector<std::unique_ptr<SequenceTracker>> trackers(256);
    SinkSnapshot s;
    io::Frame frames[io::kMaxBurst];
    pollfd pfd{(*port)->fd(), POLLIN, 0};
    uint64_t last_rx_ns = 0;
    while (!stop_.load(std::memory_order_relaxed)) {
      const int c = cmd_.load(std::memory_order_acquire);
      if (c != 0) {
        if (c == 2) {
          s = SinkSnapshot();
          for (auto& t : trackers) t.reset();
        }
        s.duplicates = 0;
        s.out_of_order = 0;
        for (auto& t : trackers) {
          if (t) {
            s.duplicates += t->duplicates();
            s.out_of_order += t->out_of_order();
          }
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          shared_ = s;
        }
        s.interval_rx = 0;
        s.interval_bytes = 0;
        s.interval_latency.Reset();
        cmd_.store(0, std::memory_order_release);
      }
      const size_t n = (*port)->Receive(frames);
      if (n == 0) {
        (*port)->Flush();
        // While frames arrive, yield instead of sleeping: a sleeping sink has to be woken for
        // every burst, and that wake-up (wait-queue lock, IPI; expensive in this VM) is charged
        // to the CPU that delivered the frames, the device under test's. Sleep once idle.
        if (!o.rx_sleep && NowNs() - last_rx_ns < kSinkSpinNs) {
          sched_yield();
        } else {
          poll(&pfd, 1, 1);
        }
        continue;
      }
      const uint64_t now = NowNs();
      last_rx_ns = now;
      const uint8_t trial = static_cast<uint8_t>(trial_.load(std::memory_order_relaxed));
      for (size_t i = 0; i < n; ++i) {
        const auto p = ParseProbe(frames[i].bytes());
        if (!p) {
          ++s.other;
          continue;
        }
        if (p->trial != trial) {
          ++s.stale;
          continue;
        }
        ++s.rx;
        ++s.interval_rx;
        s.rx_bytes += frames[i].length + kFcsBytes;
        s.interval_bytes += frames[i].length + kFcsBytes;
        auto& tr = trackers[p->stream];
        if (!tr) tr = std::make_unique<SequenceTracker>();  // once per stream and trial
        tr->Record(p->seq);
        const uint64_t lat = now > p->tx_ns ? now - p->tx_ns : 0;
        s.total_latency.Record(lat);
        s.interval_latency.Record(lat);
      }
      rx_live_.fetch_add(n, std::memory_order_relaxed);
      (*umem)->Free(std::span<const io::Frame>(frames, n));
      (*port)->Flush();
    }
    port->reset();
  }

  std::thread thread_;
  std::atomic<int> state_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> cmd_{0};
  std::atomic<uint32_t> trial_{0};
  std::atomic<uint64_t> rx_live_{0};
  std::mutex mu_;
  SinkSnapshot shared_;
  std::string error_;
  std::string mode_;
};

// ---------------------------------------------------------------------------------------------
struct TrialReport {
  TrialResult result;
  double seconds = 0;
  uint64_t tx_bytes = 0, rx_bytes = 0, duplicates = 0, out_of_order = 0, stale = 0, other = 0;
  bool have_latency = false;
  LatencyHistogram latency;
  std::map<std::string, uint64_t> drops;
  bool have_cost = false;  // --cost-cpu
  CpuCost cost;
  struct Second {
    double t, tx_pps, rx_pps, l1_gbps, l2_gbps, loss_pct;
    uint64_t p50, p99, max;
  };
  std::vector<Second> per_second;
};

class Harness {
 public:
  Harness(const Options& o, Generator* gen, Sink* sink) : o_(o), gen_(gen), sink_(sink) {}

  uint64_t RxCounter() {
    if (sink_ != nullptr) return 0;
    if (o_.rx_counter_cmd.empty()) return 0;
    return std::strtoull(RunCommand(o_.rx_counter_cmd).c_str(), nullptr, 10);
  }

  TrialReport Trial(double rate, double duration, bool per_second) {
    TrialReport r;
    trial_id_ = static_cast<uint8_t>(trial_id_ + 1);
    gen_->BeginTrial(trial_id_, rate);
    if (sink_ != nullptr) sink_->Reset(trial_id_);
    std::map<std::string, uint64_t> drops0;
    if (!o_.drops_cmd.empty()) drops0 = ParseCounters(RunCommand(o_.drops_cmd));
    const uint64_t rx0 = RxCounter();
    // After the counter command (it may signal a process on the measured CPU), before the
    // generator starts.
    CpuTimes cpu0{}, cpu1{};
    const bool cost = o_.cost_cpu >= 0 && ReadCpuTimes(o_.cost_cpu, &cpu0);
    const uint64_t t0 = NowNs();
    gen_->Start(duration);
    uint64_t last_tx = 0, last_rx = rx0;
    uint64_t last_t = t0;
    const double avg = gen_->mix().AverageSize();
    for (int sec = 1; per_second && sec <= static_cast<int>(std::ceil(duration)); ++sec) {
      const uint64_t wake = t0 + static_cast<uint64_t>(std::min<double>(sec, duration) * 1e9);
      while (NowNs() < wake && !g_interrupted.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      const uint64_t now = NowNs();
      const uint64_t tx = gen_->sent();
      TrialReport::Second s{};
      const double dt = static_cast<double>(now - last_t) * 1e-9;
      s.t = static_cast<double>(now - t0) * 1e-9;
      s.tx_pps = static_cast<double>(tx - last_tx) / dt;
      uint64_t rxd = 0;
      double rx_bytes = 0;
      if (sink_ != nullptr) {
        const SinkSnapshot snap = sink_->Snapshot();
        rxd = snap.interval_rx;
        rx_bytes = static_cast<double>(snap.interval_bytes);
        s.p50 = snap.interval_latency.Percentile(50);
        s.p99 = snap.interval_latency.Percentile(99);
        s.max = snap.interval_latency.max();
      } else {
        const uint64_t rx = RxCounter();
        rxd = rx - last_rx;
        last_rx = rx;
        rx_bytes = static_cast<double>(rxd) * avg;
      }
      s.rx_pps = static_cast<double>(rxd) / dt;
      s.l2_gbps = rx_bytes * 8 / dt / 1e9;
      s.l1_gbps = (rx_bytes + static_cast<double>(rxd) * kL1OverheadBytes) * 8 / dt / 1e9;
      s.loss_pct = tx > last_tx ? 100.0 * (1.0 - static_cast<double>(rxd) / static_cast<double>(tx - last_tx)) : 0;
      last_tx = tx;
      last_t = now;
      r.per_second.push_back(s);
      if (!o_.quiet) {
        std::printf("  t=%5.1fs tx %8.4f Mpps  rx %8.4f Mpps  L1 %6.3f L2 %6.3f Gbit/s  loss %6.2f%%",
                    s.t, s.tx_pps / 1e6, s.rx_pps / 1e6, s.l1_gbps, s.l2_gbps, s.loss_pct);
        if (sink_ != nullptr) {
          std::printf("  lat p50 %.1f p99 %.1f max %.1f us", static_cast<double>(s.p50) / 1e3,
                      static_cast<double>(s.p99) / 1e3, static_cast<double>(s.max) / 1e3);
        }
        std::printf("\n");
        std::fflush(stdout);
      }
    }
    gen_->Join();
    const uint64_t t1 = NowNs();
    // Drain: wait until the receive count stops moving (at most 1 s).
    uint64_t prev = sink_ != nullptr ? sink_->rx_now() : 0;
    for (int i = 0; i < 20; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (sink_ == nullptr) {
        if (i >= 3) break;
        continue;
      }
      const uint64_t cur = sink_->rx_now();
      if (cur == prev && i >= 2) break;
      prev = cur;
    }
    r.have_cost = cost && ReadCpuTimes(o_.cost_cpu, &cpu1);
    r.seconds = static_cast<double>(t1 - t0) * 1e-9;
    r.result.tx = gen_->sent();
    r.tx_bytes = gen_->sent_bytes();
    if (sink_ != nullptr) {
      const SinkSnapshot snap = sink_->Snapshot();
      r.result.rx = snap.rx;
      r.rx_bytes = snap.rx_bytes;
      r.duplicates = snap.duplicates;
      r.out_of_order = snap.out_of_order;
      r.stale = snap.stale;
      r.other = snap.other;
      r.latency = snap.total_latency;
      r.have_latency = true;
      // Duplicates are not new packets.
      r.result.rx = r.result.rx > r.duplicates ? r.result.rx - r.duplicates : 0;
    } else {
      const uint64_t rx1 = RxCounter();
      r.result.rx = rx1 >= rx0 ? rx1 - rx0 : 0;
      r.rx_bytes = static_cast<uint64_t>(static_cast<double>(r.result.rx) * avg);
    }
    if (!o_.drops_cmd.empty()) {
      for (const auto& [name, v] : ParseCounters(RunCommand(o_.drops_cmd))) {
        if (name.find("drop") == std::string::npos) continue;
        const auto it = drops0.find(name);
        const uint64_t before = it == drops0.end() ? 0 : it->second;
        if (v > before) r.drops[name] = v - before;
      }
    }
    if (r.have_cost) r.cost = ComputeCpuCost(cpu0, cpu1, r.result.rx, NsPerJiffy());
    r.result.offered_pps = rate;
    r.result.tx_pps = static_cast<double>(r.result.tx) / r.seconds;
    r.result.rx_pps = static_cast<double>(r.result.rx) / r.seconds;
    return r;
  }

 private:
  const Options& o_;
  Generator* gen_;
  Sink* sink_;
  uint8_t trial_id_ = 0;
};

void PrintTotals(const char* title, const TrialReport& r, double avg) {
  const double loss = r.result.LossFraction();
  const uint64_t lost = r.result.tx > r.result.rx ? r.result.tx - r.result.rx : 0;
  std::printf("%s: %.2f s  tx %llu (%.4f Mpps)  rx %llu (%.4f Mpps)\n", title, r.seconds,
              static_cast<unsigned long long>(r.result.tx), r.result.tx_pps / 1e6,
              static_cast<unsigned long long>(r.result.rx), r.result.rx_pps / 1e6);
  std::printf("  rx Gbit/s L1 %.3f  L2 %.3f   (tx L1 %.3f L2 %.3f; average frame %.1f B)\n",
              L1BitsPerSecond(r.result.rx_pps, avg) / 1e9, L2BitsPerSecond(r.result.rx_pps, avg) / 1e9,
              L1BitsPerSecond(r.result.tx_pps, avg) / 1e9, L2BitsPerSecond(r.result.tx_pps, avg) / 1e9,
              avg);
  std::printf("  loss %llu (%.4f %%)  duplicates %llu  out-of-order %llu  stale %llu  non-probe %llu\n",
              static_cast<unsigned long long>(lost), loss * 100,
              static_cast<unsigned long long>(r.duplicates),
              static_cast<unsigned long long>(r.out_of_order),
              static_cast<unsigned long long>(r.stale), static_cast<unsigned long long>(r.other));
  if (r.have_latency && r.latency.count() > 0) {
    const auto& h = r.latency;
    std::printf("  latency us: min %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f mean %.1f (%llu probes)\n",
                static_cast<double>(h.min()) / 1e3, static_cast<double>(h.Percentile(50)) / 1e3,
                static_cast<double>(h.Percentile(90)) / 1e3, static_cast<double>(h.Percentile(99)) / 1e3,
                static_cast<double>(h.Percentile(99.9)) / 1e3, static_cast<double>(h.max()) / 1e3,
                h.mean() / 1e3, static_cast<unsigned long long>(h.count()));
    std::printf("  latency histogram (<= us: count):");
    for (const HistogramBin& b : CoarseBins(h)) {
      if (b.upper_ns == UINT64_MAX) {
        std::printf(" inf:%llu", static_cast<unsigned long long>(b.count));
      } else {
        std::printf(" %g:%llu", static_cast<double>(b.upper_ns) / 1e3, static_cast<unsigned long long>(b.count));
      }
    }
    std::printf("\n");
  }
  if (r.have_cost) {
    std::printf("  DUT CPU time: %.1f %% busy, %.1f ns per received packet (/proc/stat, %.0f ms ticks)\n",
                r.cost.busy_fraction * 100, r.cost.ns_per_packet, NsPerJiffy() / 1e6);
  }
  if (!r.drops.empty()) {
    std::printf("  drops by reason:");
    for (const auto& [name, v] : r.drops) std::printf(" %s=%llu", name.c_str(), static_cast<unsigned long long>(v));
    std::printf("\n");
  }
}

void TrialJson(JsonWriter& j, const std::string& key, const TrialReport& r, double avg) {
  j.BeginObject(key);
  j.Number("seconds", r.seconds)
      .Number("offered_pps", r.result.offered_pps)
      .Integer("tx_packets", r.result.tx)
      .Integer("rx_packets", r.result.rx)
      .Number("tx_pps", r.result.tx_pps)
      .Number("rx_pps", r.result.rx_pps)
      .Number("rx_gbps_l1", L1BitsPerSecond(r.result.rx_pps, avg) / 1e9)
      .Number("rx_gbps_l2", L2BitsPerSecond(r.result.rx_pps, avg) / 1e9)
      .Number("tx_gbps_l1", L1BitsPerSecond(r.result.tx_pps, avg) / 1e9)
      .Number("tx_gbps_l2", L2BitsPerSecond(r.result.tx_pps, avg) / 1e9)
      .Integer("lost", r.result.tx > r.result.rx ? r.result.tx - r.result.rx : 0)
      .Number("loss_pct", r.result.LossFraction() * 100)
      .Integer("duplicates", r.duplicates)
      .Integer("out_of_order", r.out_of_order)
      .Integer("stale", r.stale)
      .Integer("non_probe", r.other);
  if (r.have_latency && r.latency.count() > 0) {
    const auto& h = r.latency;
    j.BeginObject("latency_ns")
        .Integer("count", h.count())
        .Integer("min", h.min())
        .Integer("p50", h.Percentile(50))
        .Integer("p90", h.Percentile(90))
        .Integer("p99", h.Percentile(99))
        .Integer("p99_9", h.Percentile(99.9))
        .Integer("max", h.max())
        .Number("mean", h.mean());
    j.BeginArray("histogram");
    for (const HistogramBin& b : CoarseBins(h)) {
      j.BeginObject().Integer("le_ns", b.upper_ns == UINT64_MAX ? 0 : b.upper_ns).Integer("count", b.count).EndObject();
    }
    j.EndArray().EndObject();
  }
  if (r.have_cost) {
    j.BeginObject("dut_cpu")
        .Number("busy_ns", r.cost.busy_ns)
        .Number("busy_pct", r.cost.busy_fraction * 100)
        .Number("ns_per_packet", r.cost.ns_per_packet)
        .Number("tick_ns", NsPerJiffy())
        .EndObject();
  }
  j.BeginObject("drops");
  for (const auto& [name, v] : r.drops) j.Integer(name, v);
  j.EndObject();
  j.BeginArray("per_second");
  for (const auto& s : r.per_second) {
    j.BeginObject()
        .Number("t", s.t)
        .Number("tx_pps", s.tx_pps)
        .Number("rx_pps", s.rx_pps)
        .Number("rx_gbps_l1", s.l1_gbps)
        .Number("rx_gbps_l2", s.l2_gbps)
        .Number("loss_pct", s.loss_pct)
        .Integer("lat_p50_ns", s.p50)
        .Integer("lat_p99_ns", s.p99)
        .Integer("lat_max_ns", s.max)
        .EndObject();
  }
  j.EndArray();
  j.EndObject();
}

// ---------------------------------------------------------------------------------------------
int CmdRun(int argc, char** argv) {
  HelpIfAsked(argc, argv);
  Options o;
  bool have_dst_mac = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) DieUsage(a + ": missing value");
      return argv[++i];
    };
    auto num = [&](const std::string& v) -> double {
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(d) || d < 0) DieUsage(a + ": \"" + v + "\" is not a number");
      return d;
    };
    if (a == "--tx-if") o.tx_if = next();
    else if (a == "--tx-netns") o.tx_netns = next();
    else if (a == "--rx-if") o.rx_if = next();
    else if (a == "--rx-netns") o.rx_netns = next();
    else if (a == "--rx-xdp-mode") o.rx_xdp_mode = next();
    else if (a == "--rx-idle") {
      const std::string v = next();
      if (v != "yield" && v != "sleep") DieUsage("--rx-idle: \"" + v + "\" is not yield or sleep");
      o.rx_sleep = v == "sleep";
    }
    else if (a == "--dst-mac" || a == "--src-mac") {
      const std::string v = next();
      auto m = ParseMac(v);
      if (!m) DieUsage(a + ": \"" + v + "\" is not a MAC address");
      if (a == "--dst-mac") { o.dst_mac = *m; have_dst_mac = true; } else { o.src_mac = *m; }
    }
    else if (a == "--src-ip") o.src_ip = next();
    else if (a == "--dst-ip") o.dst_ip = next();
    else if (a == "--sport") o.sport = static_cast<uint16_t>(num(next()));
    else if (a == "--dport") o.dport = static_cast<uint16_t>(num(next()));
    else if (a == "--size") o.size = next();
    else if (a == "--flows") o.flows = static_cast<uint32_t>(num(next()));
    else if (a == "--rate") { const std::string v = next(); o.rate = v == "max" ? 0 : num(v); }
    else if (a == "--duration") o.duration = num(next());
    else if (a == "--threads") o.threads = static_cast<int>(num(next()));
    else if (a == "--rx-counter-cmd") o.rx_counter_cmd = next();
    else if (a == "--drops-cmd") o.drops_cmd = next();
    else if (a == "--search") o.search = next();
    else if (a == "--trial-duration") o.trial_duration = num(next());
    else if (a == "--precision") o.precision = num(next());
    else if (a == "--max-trials") o.max_trials = static_cast<int>(num(next()));
    else if (a == "--label") o.label = next();
    else if (a == "--crypto") o.crypto = next();
    else if (a == "--note") o.note = next();
    else if (a == "--json") o.json = next();
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--generator") {
      o.generator = next();
      if (o.generator != "auto" && o.generator != "live" && o.generator != "afxdp") {
        DieUsage("--generator: \"" + o.generator + "\" is not auto, live or afxdp");
      }
    }
    else if (a == "--burst") {
      const double b = num(next());
      if (b < 1 || b > Generator::kBatch || b != std::floor(b)) DieUsage("--burst: \"" + std::string(argv[i]) + "\" is not 1..64");
      o.burst = static_cast<uint32_t>(b);
    }
    else if (a == "--cost-cpu") {
      const double c = num(next());
      if (c != std::floor(c) || c >= CPU_SETSIZE) DieUsage("--cost-cpu: \"" + std::string(argv[i]) + "\" is not a CPU number");
      o.cost_cpu = static_cast<int>(c);
    }
    else DieUsage("run: unknown option " + a);
  }
  if (o.tx_if.empty()) DieUsage("run: --tx-if is required");
  if (!have_dst_mac) DieUsage("run: --dst-mac is required");
  if (ParseSizeMix(o.size).sizes.empty()) DieUsage("--size: \"" + o.size + "\" is not 64..1518 or imix");
  if (o.threads < 1 || o.threads > 64) DieUsage("--threads: 1..64");
  if (o.duration <= 0) DieUsage("--duration: must be > 0");
  if (!o.search.empty() && o.search != "ndr" && o.search != "pdr" && o.search != "both") {
    DieUsage("--search: \"" + o.search + "\" is not ndr, pdr or both");
  }
  std::string err;
  if (!EnterNetns(o.tx_netns, &err)) Die(err);
  if (o.cost_cpu >= 0) {
    CpuTimes probe;
    if (!ReadCpuTimes(o.cost_cpu, &probe)) Die("--cost-cpu " + std::to_string(o.cost_cpu) + ": no such CPU in /proc/stat");
  }
  GeneratorConfig gc;
  gc.tx_if = o.tx_if;
  gc.tx_netns = o.tx_netns;
  gc.dst_mac = o.dst_mac;
  gc.src_mac = o.src_mac;
  gc.src_ip = o.src_ip;
  gc.dst_ip = o.dst_ip;
  gc.sport = o.sport;
  gc.dport = o.dport;
  gc.size = o.size;
  gc.flows = o.flows;
  gc.threads = o.threads;
  gc.burst = o.burst;
  std::string fallback;
  std::unique_ptr<Generator> gen_owner = CreateGenerator(o.generator, gc, &fallback, &err);
  if (gen_owner == nullptr) Die(err);
  Generator& gen = *gen_owner;
  if (!fallback.empty()) {
    std::fprintf(stderr, "ssr-pktgen: %s; using the %s generator\n", fallback.c_str(), gen.kind());
  }
  std::unique_ptr<Sink> sink;
  if (!o.rx_if.empty()) {
    sink = std::make_unique<Sink>();
    if (!sink->Start(o, &err)) Die(err);
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);

  const double avg = gen.mix().AverageSize();
  const std::string rx_desc = sink ? sink->mode() + " rx-if=" + o.rx_netns + "/" + o.rx_if
                                   : (o.rx_counter_cmd.empty() ? "none" : "counter command: " + o.rx_counter_cmd);
  const std::string gen_desc = std::string(gen.kind()) + ": " + gen.Describe() +
                               (fallback.empty() ? "" : " [" + o.generator + ": " + fallback + "]");
  const std::string flows_desc = o.flows == 0 ? "new flow per packet" : std::to_string(o.flows);
  char rate_desc[64];
  if (o.rate > 0) std::snprintf(rate_desc, sizeof(rate_desc), "%.0f pps", o.rate);
  else std::snprintf(rate_desc, sizeof(rate_desc), "max");
  const std::string cpu = CpuModel();
  std::printf("# ssr-pktgen %s\n", o.label.c_str());
  std::printf("# generator: %s\n", gen_desc.c_str());
  std::printf("# receiver:  %s\n", rx_desc.c_str());
  std::printf("# traffic:   size=%s (avg %.1f B incl. FCS) flows=%s rate=%s duration=%.1fs %s:%u -> %s:%u UDP\n",
              o.size.c_str(), avg, flows_desc.c_str(), rate_desc, o.duration, o.src_ip.c_str(), o.sport,
              o.dst_ip.c_str(), o.dport);
  std::printf("# crypto:    %s\n# cpu:       %s\n", o.crypto.c_str(), cpu.c_str());
  if (!o.note.empty()) std::printf("# modes:     %s\n", o.note.c_str());
  std::fflush(stdout);

  Harness h(o, &gen, sink.get());
  TrialReport main = h.Trial(o.rate, o.duration, true);
  PrintTotals("total", main, avg);
  if (main.result.tx == 0 && !g_interrupted) {
    std::fprintf(stderr, "ssr-pktgen: the %s generator sent nothing in %.1f s (%llu errors)\n",
                 gen.kind(), main.seconds, static_cast<unsigned long long>(gen.errors()));
    if (sink) sink->Shutdown();
    return 1;
  }

  std::optional<SearchResult> ndr, pdr;
  auto search = [&](double threshold, const char* name, double known_good) {
    SearchResult sr = FindMaxRate(threshold, o.precision, o.max_trials, [&](double rate) {
      TrialReport t = h.Trial(rate, o.trial_duration, false);
      if (!o.quiet) {
        std::printf("  %s trial: offered %s%.4f Mpps  tx %.4f  rx %.4f Mpps  loss %.4f %%\n", name,
                    rate > 0 ? "" : "max ", rate / 1e6, t.result.tx_pps / 1e6, t.result.rx_pps / 1e6,
                    t.result.LossFraction() * 100);
        std::fflush(stdout);
      }
      return t.result;
    }, known_good);
    std::printf("%s (loss <= %.2f %%): %.4f Mpps  L1 %.3f Gbit/s  (%zu trials of %.1fs%s)\n", name,
                threshold * 100, sr.rate_pps / 1e6, L1BitsPerSecond(sr.rate_pps, avg) / 1e9,
                sr.trials.size(), o.trial_duration, sr.generator_bound ? "; generator-bound" : "");
    return sr;
  };
  if (!g_interrupted && (o.search == "ndr" || o.search == "both")) ndr = search(0.0, "NDR", 0);
  if (!g_interrupted && (o.search == "pdr" || o.search == "both")) pdr = search(0.005, "PDR", ndr ? ndr->rate_pps : 0);
  std::printf("RESULT tx_mpps=%.4f rx_mpps=%.4f loss_pct=%.4f ndr_mpps=%s pdr_mpps=%s\n",
              main.result.tx_pps / 1e6, main.result.rx_pps / 1e6, main.result.LossFraction() * 100,
              ndr ? std::to_string(ndr->rate_pps / 1e6).c_str() : "na",
              pdr ? std::to_string(pdr->rate_pps / 1e6).c_str() : "na");
  std::fflush(stdout);
  if (gen.errors() > 0) std::fprintf(stderr, "ssr-pktgen: %llu %s generator errors\n",
                                     static_cast<unsigned long long>(gen.errors()), gen.kind());

  if (!o.json.empty()) {
    JsonWriter j;
    j.BeginObject();
    j.BeginObject("header")
        .String("label", o.label)
        .String("generator", gen_desc)
        .String("receiver", rx_desc)
        .String("size", o.size)
        .Number("avg_frame_bytes", avg)
        .Integer("flows", o.flows)
        .String("flows_mode", flows_desc)
        .Number("rate_pps", o.rate)
        .Number("duration_s", o.duration)
        .Integer("threads", static_cast<uint64_t>(gen.threads()))
        .String("generator_kind", gen.kind())
        .String("generator_fallback", fallback)
        .Integer("cost_cpu", o.cost_cpu < 0 ? 0 : static_cast<uint64_t>(o.cost_cpu))
        .Bool("cost_measured", o.cost_cpu >= 0)
        .Integer("batch", Generator::kBatch)
        .String("crypto", o.crypto)
        .String("cpu", cpu)
        .String("modes", o.note)
        .EndObject();
    TrialJson(j, "total", main, avg);
    const std::pair<const char*, const std::optional<SearchResult>*> searches[] = {{"ndr", &ndr},
                                                                                  {"pdr", &pdr}};
    for (const auto& [key, opt] : searches) {
      if (!opt->has_value()) continue;
      const SearchResult* sr = &**opt;
      j.BeginObject(key)
          .Number("rate_pps", sr->rate_pps)
          .Number("gbps_l1", L1BitsPerSecond(sr->rate_pps, avg) / 1e9)
          .Bool("generator_bound", sr->generator_bound);
      j.BeginArray("trials");
      for (const TrialResult& t : sr->trials) {
        j.BeginObject().Number("offered_pps", t.offered_pps).Number("tx_pps", t.tx_pps)
            .Number("rx_pps", t.rx_pps).Number("loss_pct", t.LossFraction() * 100).EndObject();
      }
      j.EndArray().EndObject();
    }
    j.EndObject();
    FILE* f = std::fopen(o.json.c_str(), "w");
    if (f == nullptr) Die("--json " + o.json + ": " + std::strerror(errno));
    std::fprintf(f, "%s\n", j.str().c_str());
    std::fclose(f);
  }
  if (sink) sink->Shutdown();
  return g_interrupted ? 130 : 0;
}

// ---------------------------------------------------------------------------------------------
void WaitForSignal() {
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  std::printf("ready\n");
  std::fflush(stdout);
}

int CmdDrop(int argc, char** argv) {
  HelpIfAsked(argc, argv);
  std::string netns, ifname, mode = "native";
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) DieUsage(a + ": missing value");
    if (a == "--netns") netns = argv[++i];
    else if (a == "--if") ifname = argv[++i];
    else if (a == "--xdp-mode") mode = argv[++i];
    else DieUsage("drop: unknown option " + a);
  }
  std::string err;
  if (!EnterNetns(netns, &err)) Die(err);
  const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) Die("--if " + ifname + ": no such interface");
  ssr_pktgen* skel = ssr_pktgen__open_and_load();
  if (skel == nullptr) Die("load pktgen.bpf.o failed");
  LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = mode == "skb" ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
  const int link = bpf_link_create(bpf_program__fd(skel->progs.pktgen_drop), ifindex, BPF_XDP, &lo);
  if (link < 0) Die("attach XDP_DROP to " + ifname + " (" + mode + "): " + std::strerror(errno));
  WaitForSignal();
  while (!g_interrupted.load()) pause();
  close(link);
  ssr_pktgen__destroy(skel);
  return 0;
}

// relay: pktgen_relay attached (native, through netlink, so it stays when this process exits)
// to --in, redirecting every frame out of --out. Removed with the namespace or --detach.
int CmdRelay(int argc, char** argv) {
  HelpIfAsked(argc, argv);
  std::string netns, in_if, out_if;
  bool detach = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--detach") { detach = true; continue; }
    if (i + 1 >= argc) DieUsage(a + ": missing value");
    if (a == "--netns") netns = argv[++i];
    else if (a == "--in") in_if = argv[++i];
    else if (a == "--out") out_if = argv[++i];
    else DieUsage("relay: unknown option " + a);
  }
  if (in_if.empty() || (!detach && out_if.empty())) DieUsage("relay: --in and --out are required");
  std::string err;
  if (!EnterNetns(netns, &err)) Die(err);
  const int in_index = static_cast<int>(if_nametoindex(in_if.c_str()));
  if (in_index == 0) Die("--in " + in_if + ": no such interface");
  if (detach) {
    if (bpf_xdp_detach(in_index, XDP_FLAGS_DRV_MODE, nullptr) != 0) Die("detach from " + in_if + ": " + std::strerror(errno));
    return 0;
  }
  const uint32_t out_index = if_nametoindex(out_if.c_str());
  if (out_index == 0) Die("--out " + out_if + ": no such interface");
  ssr_pktgen* skel = ssr_pktgen__open_and_load();
  if (skel == nullptr) Die("load pktgen.bpf.o failed");
  const uint32_t key = 0;
  if (bpf_map_update_elem(bpf_map__fd(skel->maps.tx_port), &key, &out_index, 0) != 0) {
    Die("--out " + out_if + ": devmap update: " + std::strerror(errno));
  }
  if (bpf_xdp_attach(in_index, bpf_program__fd(skel->progs.pktgen_relay), XDP_FLAGS_DRV_MODE, nullptr) != 0) {
    Die("attach the relay to " + in_if + " (native): " + std::strerror(errno));
  }
  ssr_pktgen__destroy(skel);  // the attached program keeps itself and its devmap alive
  std::printf("relay %s -> %s\n", in_if.c_str(), out_if.c_str());
  return 0;
}

int CmdFwd(int argc, char** argv) {
  HelpIfAsked(argc, argv);
  std::string netns, in_if, out_if, mode = "native";
  packet::MacAddress dst{}, src{};
  bool have_dst = false, have_src = false, wakeup = true;
  // ssr-router's defaults (RouterOptions), so the raw forwarder compares like for like.
  const RouterOptions router_defaults;
  uint64_t idle_yield_ns = static_cast<uint64_t>(
      std::chrono::nanoseconds(router_defaults.idle_yield).count());
  io::UmemOptions uo{.frame_count = router_defaults.frames_per_worker,
                     .frame_size = 4096,
                     .fill_ring_size = router_defaults.fill_ring_size,
                     .completion_ring_size = router_defaults.fill_ring_size};
  uint32_t rx_ring = router_defaults.rx_ring_size;
  uint32_t batch = router_defaults.rx_batch;
  // A whole number for --frames / --fill-ring / --rx-ring (their ranges are checked by the Umem
  // and the socket, which name the option).
  auto count = [](const std::string& flag, const std::string& v) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || v[0] == '-' || n > UINT32_MAX) DieUsage(flag + ": \"" + v + "\" is not a count");
    return static_cast<uint32_t>(n);
  };
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-wakeup") { wakeup = false; continue; }
    if (i + 1 >= argc) DieUsage(a + ": missing value");
    const std::string v = argv[++i];
    if (a == "--netns") netns = v;
    else if (a == "--in") in_if = v;
    else if (a == "--out") out_if = v;
    else if (a == "--xdp-mode") mode = v;
    else if (a == "--batch") batch = count(a, v);
    else if (a == "--frames") uo.frame_count = count(a, v);
    else if (a == "--fill-ring") uo.fill_ring_size = uo.completion_ring_size = count(a, v);
    else if (a == "--rx-ring") rx_ring = count(a, v);
    else if (a == "--idle-yield-us") {
      char* end = nullptr;
      const unsigned long long us = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-' || us > 1'000'000) DieUsage("--idle-yield-us: \"" + v + "\" is not 0..1000000");
      idle_yield_ns = us * 1000;
    }
    else if (a == "--dst-mac" || a == "--src-mac") {
      auto m = ParseMac(v);
      if (!m) DieUsage(a + ": \"" + v + "\" is not a MAC address");
      if (a == "--dst-mac") { dst = *m; have_dst = true; } else { src = *m; have_src = true; }
    } else DieUsage("fwd: unknown option " + a);
  }
  if (in_if.empty() || out_if.empty() || !have_dst) DieUsage("fwd: --in, --out and --dst-mac are required");
  std::string err;
  if (!EnterNetns(netns, &err)) Die(err);
  auto umem = io::Umem::Create(uo);
  if (!umem.ok()) Die("--frames/--fill-ring: " + std::string(umem.status().message()));
  io::XskPortOptions po;
  po.xdp_mode = mode == "skb" ? io::XdpMode::kSkb : mode == "auto" ? io::XdpMode::kAuto : io::XdpMode::kNative;
  po.need_wakeup = wakeup;
  po.batch_size = batch;  // XskPort::Create names it when out of 1..64
  po.rx_ring_size = po.tx_ring_size = rx_ring;
  po.interface = in_if;
  auto in = io::XskPort::Create(umem->get(), po);
  if (!in.ok()) Die("--in " + in_if + ": " + std::string(in.status().message()));
  po.interface = out_if;
  auto out = io::XskPort::Create(umem->get(), po);
  if (!out.ok()) Die("--out " + out_if + ": " + std::string(out.status().message()));
  std::fprintf(stderr, "ssr-pktgen fwd: %s -> %s, %s batch=%u frames=%u fill_ring=%u rx_ring=%u idle_yield=%llu us\n",
               in_if.c_str(), out_if.c_str(), io::XskModeString((*in)->mode()).c_str(), po.batch_size,
               uo.frame_count, uo.fill_ring_size, rx_ring, static_cast<unsigned long long>(idle_yield_ns / 1000));
  WaitForSignal();
  io::Frame frames[io::kMaxBurst];
  uint64_t fwd = 0, dropped = 0;
  pollfd pfd{(*in)->fd(), POLLIN, 0};
  uint64_t last_rx_ns = 0;
  while (!g_interrupted.load(std::memory_order_relaxed)) {
    const size_t n = (*in)->Receive(frames);
    if (n == 0) {
      (*out)->Flush();
      (*in)->Flush();
      // The ssr-router worker's idle policy (libssr/src/router/worker.cc), so the comparison is
      // like for like: yield for 2 ms (--idle-yield-us) after the last frame, then sleep in poll().
      if (NowNs() - last_rx_ns < idle_yield_ns) {
        sched_yield();
      } else {
        poll(&pfd, 1, 1);
      }
      continue;
    }
    last_rx_ns = NowNs();
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(frames[i].data, dst.data(), 6);
      if (have_src) std::memcpy(frames[i].data + 6, src.data(), 6);
    }
    const size_t sent = (*out)->Transmit(std::span<const io::Frame>(frames, n));
    if (sent < n) {
      (*umem)->Free(std::span<const io::Frame>(frames + sent, n - sent));
      dropped += n - sent;
    }
    fwd += sent;
    (*out)->Flush();
    (*in)->Flush();
  }
  std::fprintf(stderr, "ssr-pktgen fwd: forwarded %llu, tx ring full %llu\n",
               static_cast<unsigned long long>(fwd), static_cast<unsigned long long>(dropped));
  out->reset();
  in->reset();
  return 0;
}

}  // namespace
}  // namespace ssr::pktgen

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "run") return ssr::pktgen::CmdRun(argc, argv);
  if (cmd == "fwd") return ssr::pktgen::CmdFwd(argc, argv);
  if (cmd == "drop") return ssr::pktgen::CmdDrop(argc, argv);
  if (cmd == "relay") return ssr::pktgen::CmdRelay(argc, argv);
  // No subcommand: --help, -h, --version, or a usage error.
  if (!cmd.empty() && cmd[0] != '-') {
    return ssr::cli::UsageError("ssr-pktgen", "unknown subcommand \"" + cmd +
                                                  "\" (run, fwd, drop or relay)");
  }
  CLI::App app("", "ssr-pktgen");
  ssr::cli::Setup(app, ssr::pktgen::kSynopsis, ssr::pktgen::kFooter, SSR_VERSION_STRING);
  if (std::optional<int> code = ssr::cli::Parse(app, argc, argv)) return *code;
  return ssr::cli::UsageError("ssr-pktgen", "no subcommand given (run, fwd, drop or relay)");
}
