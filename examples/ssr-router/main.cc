// SPDX-License-Identifier: Apache-2.0
// ssr-router: runs one router of a libssr config on Linux interfaces, using only the public API.
//
//   ssr-router (--config FILE | --default) --router NAME
//              --interface CONFIG_IFACE=OS_IFNAME   (repeat for every interface of the router)
//              [--xdp-mode native|skb|auto] [--zero-copy auto|require|off] [--workers N]
//              [--stats-interval SECONDS] [--stats-file PATH] [--busy-poll]
//              [--idle-yield-us N] [--frames N] [--fill-ring N] [--rx-ring N] [--batch N]
//              [--cleanup]
//
// --busy-poll: workers never sleep in poll() when their rings are empty (lowest latency, one
// core per worker at 100 %); by default a worker yields its CPU for 2 ms after the last packet,
// then sleeps in poll() (up to 1 ms at a time) until traffic resumes.
// --idle-yield-us N: that yield time in microseconds (0 to 1000000, default 2000; ignored with
// --busy-poll). 0: a worker sleeps in poll() as soon as its rings are empty, so an idle core is
// really idle (for CPU-time-per-packet measurements), at the cost of a wake-up per burst.
// --frames N, --fill-ring N, --rx-ring N, --batch N: each worker's AF_XDP frames, fill and
// completion ring entries per interface, RX and TX ring entries per socket, and RX descriptors
// per receive (RouterOptions::frames_per_worker, fill_ring_size, rx_ring_size, rx_batch;
// defaults 4096, 2048, 2048, 64). Deeper rings absorb bursts but cost cache footprint and
// latency. Each takes a decimal integer below 2^32; the ranges are Router::Create's (frames
// 256 to 1048576 and at least interfaces x fill ring / 2 + 64, ring sizes powers of two from 64
// to 16384, the fill ring not more than the frames, batch 1 to 64), and a value outside them
// exits 2 with its message, which names the RouterOptions field ("fill_ring_size: 3000 ...").
//
// Signals: SIGHUP reloads the config file (errors are printed, the old config keeps running);
// SIGUSR1 writes the full stats dump to --stats-file; SIGINT / SIGTERM stop cleanly (the XDP gate
// is detached and the sockets are freed when the router is destroyed). After a crash (SIGKILL)
// the next start takes over the gate the dead process left attached; --cleanup detaches any XDP
// program from the given interfaces (also programs that are not libssr gates) and exits.
// Exit codes: 0 ok, 1 runtime error, 2 bad usage or bad config.
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ssr/config.h"
#include "ssr/log.h"
#include "ssr/router.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    "usage: ssr-router (--config FILE | --default) --router NAME\n"
    "                  --interface CONFIG_IFACE=OS_IFNAME   (repeat for every interface)\n"
    "                  [--xdp-mode native|skb|auto] [--zero-copy auto|require|off]\n"
    "                  [--workers N] [--stats-interval SECONDS] [--stats-file PATH]\n"
    "                  [--busy-poll] [--idle-yield-us N]\n"
    "                  [--frames N] [--fill-ring N] [--rx-ring N] [--batch N]\n"
    "       ssr-router --cleanup --interface [CONFIG_IFACE=]OS_IFNAME ...\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "ssr-router: %s\n%s", message.c_str(), kUsage);
  return kExitUsage;
}

class StderrSink : public ssr::LogSink {
 public:
  void Send(ssr::LogSeverity severity, std::string_view component,
            std::string_view message) override {
    std::fprintf(stderr, "ssr-router: %s %.*s: %.*s\n",
                 std::string(ssr::LogSeverityName(severity)).c_str(),
                 static_cast<int>(component.size()), component.data(),
                 static_cast<int>(message.size()), message.data());
  }
};

struct Args {
  std::optional<std::string> config_file;
  bool use_default = false;
  std::string router;
  std::vector<ssr::InterfaceBinding> interfaces;
  ssr::XdpMode xdp_mode = ssr::XdpMode::kAuto;
  ssr::ZeroCopy zero_copy = ssr::ZeroCopy::kAuto;
  uint32_t workers = 0;
  double stats_interval = 1.0;
  std::string stats_file;
  bool cleanup = false;
  bool busy_poll = false;
  long idle_yield_us = 2000;
  // Defaults of RouterOptions; Router::Create checks the ranges.
  uint32_t frames = ssr::RouterOptions{}.frames_per_worker;
  uint32_t fill_ring = ssr::RouterOptions{}.fill_ring_size;
  uint32_t rx_ring = ssr::RouterOptions{}.rx_ring_size;
  uint32_t batch = ssr::RouterOptions{}.rx_batch;
};

// A non-negative decimal integer that fits uint32_t ("--frames: \"x\" is not ..." otherwise).
std::optional<uint32_t> ParseUint32(const std::string& value) {
  if (value.empty() || value.size() > 10) return std::nullopt;
  uint64_t n = 0;
  for (const char ch : value) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(ch - '0');
  }
  if (n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(n);
}

// Returns an exit code when the program must stop (usage error), nullopt to go on.
std::optional<int> ParseArgs(int argc, char** argv, Args* args) {
  enum Opt {
    kConfig = 1,
    kDefault,
    kRouter,
    kInterface,
    kXdpMode,
    kZeroCopy,
    kWorkers,
    kStatsInterval,
    kStatsFile,
    kCleanup,
    kBusyPoll,
    kIdleYieldUs,
    kFrames,
    kFillRing,
    kRxRing,
    kBatch,
    kHelp
  };
  static const option kOptions[] = {
      {"config", required_argument, nullptr, kConfig},
      {"default", no_argument, nullptr, kDefault},
      {"router", required_argument, nullptr, kRouter},
      {"interface", required_argument, nullptr, kInterface},
      {"xdp-mode", required_argument, nullptr, kXdpMode},
      {"zero-copy", required_argument, nullptr, kZeroCopy},
      {"workers", required_argument, nullptr, kWorkers},
      {"stats-interval", required_argument, nullptr, kStatsInterval},
      {"stats-file", required_argument, nullptr, kStatsFile},
      {"cleanup", no_argument, nullptr, kCleanup},
      {"busy-poll", no_argument, nullptr, kBusyPoll},
      {"idle-yield-us", required_argument, nullptr, kIdleYieldUs},
      {"frames", required_argument, nullptr, kFrames},
      {"fill-ring", required_argument, nullptr, kFillRing},
      {"rx-ring", required_argument, nullptr, kRxRing},
      {"batch", required_argument, nullptr, kBatch},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0},
  };
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "", kOptions, nullptr)) != -1) {
    const std::string value = optarg != nullptr ? optarg : "";
    switch (c) {
      case kConfig:
        args->config_file = value;
        break;
      case kDefault:
        args->use_default = true;
        break;
      case kRouter:
        args->router = value;
        break;
      case kInterface: {
        const size_t eq = value.find('=');
        if (eq == std::string::npos) {
          // CONFIG_IFACE=OS_IFNAME; a bare name is accepted for --cleanup (checked below).
          args->interfaces.push_back({"", value});
        } else {
          args->interfaces.push_back({value.substr(0, eq), value.substr(eq + 1)});
        }
        if (args->interfaces.back().os_name.empty()) {
          return UsageError("--interface \"" + value + "\": the Linux interface name is empty");
        }
        break;
      }
      case kXdpMode:
        if (value == "native")
          args->xdp_mode = ssr::XdpMode::kNative;
        else if (value == "skb")
          args->xdp_mode = ssr::XdpMode::kSkb;
        else if (value == "auto")
          args->xdp_mode = ssr::XdpMode::kAuto;
        else
          return UsageError("--xdp-mode: \"" + value + "\" is not native, skb or auto");
        break;
      case kZeroCopy:
        if (value == "auto")
          args->zero_copy = ssr::ZeroCopy::kAuto;
        else if (value == "require")
          args->zero_copy = ssr::ZeroCopy::kRequire;
        else if (value == "off")
          args->zero_copy = ssr::ZeroCopy::kOff;
        else
          return UsageError("--zero-copy: \"" + value + "\" is not auto, require or off");
        break;
      case kWorkers: {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || errno != 0 || n < 1 || n > 64) {
          return UsageError("--workers: \"" + value + "\" is not a number from 1 to 64");
        }
        args->workers = static_cast<uint32_t>(n);
        break;
      }
      case kStatsInterval: {
        char* end = nullptr;
        const double d = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !std::isfinite(d) || d < 0 || d > 86400) {
          return UsageError("--stats-interval: \"" + value +
                            "\" is not a number of seconds (0 = off)");
        }
        args->stats_interval = d;
        break;
      }
      case kStatsFile:
        args->stats_file = value;
        break;
      case kCleanup:
        args->cleanup = true;
        break;
      case kBusyPoll:
        args->busy_poll = true;
        break;
      case kIdleYieldUs: {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || errno != 0 || n < 0 || n > 1000000) {
          return UsageError("--idle-yield-us: \"" + value +
                            "\" is not a number of microseconds from 0 to 1000000");
        }
        args->idle_yield_us = n;
        break;
      }
      case kFrames:
      case kFillRing:
      case kRxRing:
      case kBatch: {
        const std::optional<uint32_t> n = ParseUint32(value);
        if (!n.has_value()) {
          const char* flag = c == kFrames     ? "--frames"
                             : c == kFillRing ? "--fill-ring"
                             : c == kRxRing   ? "--rx-ring"
                                              : "--batch";
          return UsageError(std::string(flag) + ": \"" + value +
                            "\" is not a non-negative integer below 2^32");
        }
        uint32_t* target = c == kFrames     ? &args->frames
                           : c == kFillRing ? &args->fill_ring
                           : c == kRxRing   ? &args->rx_ring
                                            : &args->batch;
        *target = *n;
        break;
      }
      case kHelp:
        std::fputs(kUsage, stdout);
        return kExitOk;
      default: {
        const std::string bad = optind - 1 < argc ? argv[optind - 1] : "?";
        if (optopt != 0 && optopt < kConfig) return UsageError("unknown option \"" + bad + "\"");
        return UsageError("bad option \"" + bad + "\" (unknown, or missing its value)");
      }
    }
  }
  if (optind < argc) return UsageError(std::string("unexpected argument \"") + argv[optind] + "\"");
  if (args->interfaces.empty()) return UsageError("no --interface given");
  if (args->cleanup) return std::nullopt;
  if (args->config_file.has_value() == args->use_default) {
    return UsageError("give exactly one of --config FILE and --default");
  }
  if (args->router.empty()) return UsageError("--router NAME is required");
  for (const ssr::InterfaceBinding& b : args->interfaces) {
    if (b.config_name.empty()) {
      return UsageError("--interface \"" + b.os_name + "\": expected CONFIG_IFACE=OS_IFNAME");
    }
  }
  return std::nullopt;
}

std::string Summary(const ssr::RouterStats& s) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "ssr-router %s: rx=%llu tx=%llu sessions=%llu drops=%llu",
                s.router.c_str(), static_cast<unsigned long long>(s.Get("pipeline.rx_packets")),
                static_cast<unsigned long long>(s.Get("pipeline.tx_packets")),
                static_cast<unsigned long long>(s.sessions_live),
                static_cast<unsigned long long>(s.TotalDrops()));
  std::string line = buf;
  const std::vector<ssr::CounterValue> drops = s.NonZeroDrops();
  if (!drops.empty()) {
    line += " (";
    for (size_t i = 0; i < drops.size(); ++i) {
      if (i > 0) line += " ";
      line += drops[i].name + "=" + std::to_string(drops[i].value);
    }
    line += ")";
  }
  return line;
}

// Writes every counter as "name value" lines (plus "mode.<iface> native|skb"), atomically.
bool WriteStatsFile(const std::string& path, const ssr::RouterStats& s) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "ssr-router: --stats-file %s: %s\n", tmp.c_str(), std::strerror(errno));
    return false;
  }
  for (const ssr::CounterValue& c : s.Flatten()) {
    std::fprintf(f, "%s %llu\n", c.name.c_str(), static_cast<unsigned long long>(c.value));
  }
  for (const ssr::InterfaceStats& i : s.interfaces) {
    std::fprintf(f, "mode.%s %s\n", i.name.c_str(), i.xdp_mode.c_str());
  }
  const bool ok = std::fclose(f) == 0 && std::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok)
    std::fprintf(stderr, "ssr-router: --stats-file %s: %s\n", path.c_str(), std::strerror(errno));
  return ok;
}

absl::StatusOr<ssr::Config> LoadConfig(const Args& args) {
  if (args.use_default) return ssr::Config::Default();
  return ssr::Config::LoadFile(*args.config_file);
}

int Cleanup(const Args& args) {
  std::vector<std::string> names;
  for (const ssr::InterfaceBinding& b : args.interfaces) names.push_back(b.os_name);
  const absl::Status st = ssr::DetachXdp(names);
  if (!st.ok()) {
    std::fprintf(stderr, "ssr-router: --cleanup: %s\n", std::string(st.message()).c_str());
    return kExitRuntime;
  }
  std::printf("ssr-router: XDP programs detached from %zu interface(s)\n", names.size());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (std::optional<int> code = ParseArgs(argc, argv, &args)) return *code;
  StderrSink sink;
  ssr::SetLogSink(&sink);
  ssr::SetMinLogSeverity(ssr::LogSeverity::kWarning);
  if (args.cleanup) return Cleanup(args);

  absl::StatusOr<ssr::Config> config = LoadConfig(args);
  if (!config.ok()) {
    std::fprintf(stderr, "ssr-router: config %s:\n%s\n",
                 args.config_file.value_or("(default)").c_str(),
                 std::string(config.status().message()).c_str());
    return kExitUsage;
  }

  // Signals are handled synchronously by the main thread: block them before any thread exists,
  // so the router's threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGINT, SIGTERM, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ssr::RouterOptions options;
  options.router = args.router;
  options.interfaces = args.interfaces;
  options.xdp_mode = args.xdp_mode;
  options.zero_copy = args.zero_copy;
  options.workers = args.workers;
  options.busy_poll = args.busy_poll;
  options.idle_yield = std::chrono::microseconds(args.idle_yield_us);
  options.frames_per_worker = args.frames;
  options.fill_ring_size = args.fill_ring;
  options.rx_ring_size = args.rx_ring;
  options.rx_batch = args.batch;
  absl::StatusOr<std::unique_ptr<ssr::Router>> router = ssr::Router::Create(options, *config);
  if (!router.ok()) {
    const absl::StatusCode code = router.status().code();
    const bool usage =
        code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound;
    std::fprintf(stderr, "ssr-router: %s\n", std::string(router.status().message()).c_str());
    return usage ? kExitUsage : kExitRuntime;
  }
  if (absl::Status st = (*router)->Start(); !st.ok()) {
    std::fprintf(stderr, "ssr-router: %s\n", std::string(st.message()).c_str());
    return kExitRuntime;
  }
  {
    const ssr::RouterStats s = (*router)->Stats();
    std::string modes;
    for (const ssr::InterfaceStats& i : s.interfaces) {
      modes += " " + i.name + "=" + i.os_name + "(" + i.xdp_mode +
               (i.zero_copy ? ",zero-copy" : ",copy") + ")";
    }
    std::fprintf(stderr, "ssr-router %s: %zu worker(s),%s\n", s.router.c_str(), s.workers.size(),
                 modes.c_str());
  }
  std::printf("ready\n");
  std::fflush(stdout);

  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  const long interval_ns = static_cast<long>(args.stats_interval * 1e9);
  for (;;) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    timespec wait{1, 0};
    if (interval_ns > 0) {
      long long left =
          (next.tv_sec - now.tv_sec) * 1000000000LL + (next.tv_nsec - now.tv_nsec) + interval_ns;
      if (left <= 0) {
        std::printf("%s\n", Summary((*router)->Stats()).c_str());
        std::fflush(stdout);
        next = now;
        left = interval_ns;
      }
      wait = timespec{static_cast<time_t>(left / 1000000000LL),
                      static_cast<long>(left % 1000000000LL)};
    }
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (sig == SIGUSR1) {
      if (args.stats_file.empty()) {
        std::fprintf(stderr, "ssr-router: SIGUSR1: no --stats-file given\n");
      } else {
        WriteStatsFile(args.stats_file, (*router)->Stats());
      }
    } else if (sig == SIGHUP) {
      absl::StatusOr<ssr::Config> next_config = LoadConfig(args);
      absl::Status st = next_config.ok() ? (*router)->Reload(*next_config) : next_config.status();
      if (st.ok()) {
        std::fprintf(stderr, "ssr-router: config reloaded (generation %llu)\n",
                     static_cast<unsigned long long>((*router)->Stats().config_generation));
      } else {
        std::fprintf(stderr, "ssr-router: reload failed, the old config keeps running:\n%s\n",
                     std::string(st.message()).c_str());
      }
    }
  }
  (*router)->Stop();
  if (!args.stats_file.empty()) WriteStatsFile(args.stats_file, (*router)->Stats());
  router->reset();  // detaches the gate, frees sockets and memory
  ssr::SetLogSink(nullptr);
  std::fprintf(stderr, "ssr-router: stopped\n");
  return kExitOk;
}
