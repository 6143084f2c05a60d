// SPDX-License-Identifier: Apache-2.0
// ssr-router: runs one router of a libssr config on Linux interfaces, using only the public API
// (and the tools' command-line helper, tools/cli/ssr_cli.h). `ssr-router --help` explains every
// option, the signals, exit codes and files; the summary:
//
//   ssr-router (--config FILE | --default) --router NAME
//              --interface CONFIG_IFACE=OS_IFNAME   (repeat for every interface of the router)
//              [--xdp-mode native|skb|auto] [--zero-copy auto|require|off] [--workers N]
//              [--summary-interval SECONDS] [--stats-file PATH] [--log-level LEVEL]
//              [--busy-poll] [--idle-yield-us N] [--frames N] [--fill-ring N] [--rx-ring N]
//              [--batch N] [--control-socket PATH|none] [--metrics-listen ADDR:PORT]
//   ssr-router --config-etcd ENDPOINTS --config-key KEY [--config-format F] [--config-poll-ms N]
//              --router NAME ...   (config from an etcd key, followed; tools/etcd/etcd_config.h)
//   ssr-router --cleanup --interface [CONFIG_IFACE=]OS_IFNAME ...
//   ssr-router --help | -h | --version
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
// defaults 32768, 8192, 8192, 64: what the kernel can queue while a worker is not running,
// see router.h). Each takes a decimal integer below 2^32; the ranges are Router::Create's (frames
// 256 to 1048576 and at least interfaces x fill ring / 2 + 64, ring sizes powers of two from 64
// to 16384, the fill ring not more than the frames, batch 1 to 64), and a value outside them
// exits 2 with its message, which names the RouterOptions field ("fill_ring_size: 3000 ...").
// --summary-interval SECONDS (alias --stats-interval): print a one-line summary
// ("ssr-router NAME: rx=.. tx=.. sessions=.. drops=..") on stdout every SECONDS; 0 (the default)
// prints none.
//
// Output: stdout carries "ready" (once the router runs) and the summaries; stderr carries the log,
// one line per message: "2026-12-06T20:31:05.123Z INFO  text" (UTC, milliseconds, level DEBUG,
// INFO, WARN or ERROR), filtered by --log-level (default info). Library messages read
// "<component>: text".
//
// --control-socket PATH: the Unix socket ssrctl talks to (default /run/ssr/NAME.sock, mode 0600;
// "none": no socket). Served by its own thread through the public API (tools/ctl); see
// docs/operations.md "Control socket". When the default path cannot be used (e.g. a router of the
// same name already serves it) the router runs without it and logs a warning; an explicit PATH
// that cannot be used is an error (exit 1).
// --metrics-listen ADDR:PORT: serve Prometheus / OpenMetrics text on http://ADDR:PORT/metrics
// from a thread of its own (tools/metrics; docs/operations.md "Metrics"); off by default. An
// address that cannot be bound is an error (exit 1).
//
// Signals: SIGHUP reloads the config file (errors are logged, the old config keeps running);
// SIGUSR1 writes the full stats dump to --stats-file, or to stderr without one; SIGINT / SIGTERM
// stop cleanly (the XDP gate is detached and the sockets are freed when the router is
// destroyed). After a crash (SIGKILL) the next start takes over the gate the dead process left
// attached; --cleanup detaches any XDP program from the given interfaces (also programs that are
// not libssr gates) and exits.
// Under systemd (examples/ssr-router/systemd/ssr-router@.service.in, Type=notify) it reports
// READY=1, RELOADING=1 / READY=1 around reloads, STOPPING=1 and STATUS= lines via sd_notify
// (libsystemd, optional at build time); docs/operations.md "Running as a service".
// Exit codes: 0 ok, 1 runtime error, 2 bad usage or bad config.
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
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#if SSR_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "router/status_convert.h"
#include "ssr/config.h"
#include "ssr/log.h"
#include "ssr/router.h"
#include "ssr/version.h"
#include "control_server.h"
#include "etcd_config.h"
#include "metrics_server.h"
#include "ssr_cli.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

constexpr char kSynopsis[] =
    "usage: ssr-router (--config FILE | --default) --router NAME\n"
    "                  --interface CONFIG_IFACE=OS_IFNAME   (repeat for every interface)\n"
    "                  [--xdp-mode native|skb|auto] [--zero-copy auto|require|off]\n"
    "                  [--workers N] [--summary-interval SECONDS] [--stats-file PATH]\n"
    "                  [--log-level debug|info|warning|error]\n"
    "                  [--busy-poll] [--idle-yield-us N]\n"
    "                  [--frames N] [--fill-ring N] [--rx-ring N] [--batch N]\n"
    "                  [--control-socket PATH|none] [--metrics-listen ADDR:PORT]\n"
    "       ssr-router --config-etcd ENDPOINTS --config-key KEY [--config-format auto|text|json]\n"
    "                  [--config-poll-ms N] --router NAME ...  (the config from etcd, followed)\n"
    "       ssr-router --cleanup --interface [CONFIG_IFACE=]OS_IFNAME ...\n"
    "       ssr-router --help | -h | --version\n"
    "\n"
    "Runs router NAME of a libssr config on Linux interfaces (AF_XDP sockets behind an XDP gate)\n"
    "until SIGINT or SIGTERM. Prints \"ready\" on stdout once it forwards.\n";

constexpr char kFooter[] =
    "Output:\n"
    "  stdout: \"ready\" once the router runs, then the --summary-interval lines\n"
    "          (\"ssr-router NAME: rx=N tx=N sessions=N drops=N (reason=N ...)\").\n"
    "  stderr: the log, one line per message, \"2026-12-06T20:31:05.123Z INFO  text\" (UTC time\n"
    "          with milliseconds; level DEBUG, INFO, WARN or ERROR; library messages read\n"
    "          \"COMPONENT: text\"); usage errors are one line \"ssr-router: text\".\n"
    "\n"
    "Signals:\n"
    "  SIGHUP           reload --config FILE; on an error the old config keeps running and the\n"
    "                   error is logged (systemctl reload ssr-router@NAME sends it)\n"
    "  SIGUSR1          write every counter (\"name value\" lines, plus \"mode.IFACE "
    "native|skb\")\n"
    "                   to --stats-file, or to stderr when no --stats-file is given\n"
    "  SIGINT, SIGTERM  stop: detach the XDP gate, close the AF_XDP sockets, remove the control\n"
    "                   socket, write --stats-file, exit 0 (SIGKILL leaves the gate attached:\n"
    "                   the next start takes it over, or run --cleanup)\n"
    "\n"
    "Environment:\n"
    "  NOTIFY_SOCKET    set by systemd for a Type=notify service: ssr-router sends READY=1 once\n"
    "                   the gate is attached and the workers forward, RELOADING=1 then READY=1\n"
    "                   around each reload (SIGHUP or ssrctl reload), STOPPING=1 on SIGINT /\n"
    "                   SIGTERM, and STATUS= lines (sd_notify(3); needs a build with libsystemd)\n"
    "\n"
    "Exit codes:\n"
    "  0  stopped by SIGINT/SIGTERM, or --help, --version, --cleanup done\n"
    "  1  runtime error (interface missing, XDP attach or socket failure, --cleanup failure)\n"
    "  2  bad command line, bad config file, or options Router::Create rejects\n"
    "\n"
    "Files:\n"
    "  --config FILE      the configuration (.textproto / .json; see ssr-config-check)\n"
    "  --stats-file PATH  counter dump, replaced atomically (PATH.tmp, then rename) on SIGUSR1\n"
    "                     and at exit\n"
    "  /run/ssr/NAME.sock control socket for ssrctl (mode 0600; --control-socket PATH|none)\n"
    "  ssr-router@.service  the systemd unit `cmake --install` puts in PREFIX/lib/systemd/system:\n"
    "                     instance NAME runs --router NAME --config /etc/ssr/NAME.textproto with\n"
    "                     the interfaces of /etc/ssr/NAME.env (PREFIX/etc/ssr unless PREFIX=/usr)\n"

    "  --metrics-listen   http://ADDR:PORT/metrics for Prometheus (none by default)\n";

// --- log -----------------------------------------------------------------------------------------

ssr::LogSeverity g_log_level = ssr::LogSeverity::kInfo;

const char* LevelName(ssr::LogSeverity severity) {
  switch (severity) {
    case ssr::LogSeverity::kDebug:
      return "DEBUG";
    case ssr::LogSeverity::kInfo:
      return "INFO";
    case ssr::LogSeverity::kWarning:
      return "WARN";
    case ssr::LogSeverity::kError:
      return "ERROR";
  }
  return "?";
}

// "2026-12-06T20:31:05.123Z" (UTC, milliseconds).
std::string Timestamp() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", now.tv_nsec / 1000000);
  return buf;
}

// Writes `message` to stderr as log lines (one per line of `message`), each
// "TIMESTAMP LEVEL text", with one write per call so that threads do not interleave.
void LogLine(ssr::LogSeverity severity, std::string_view message) {
  if (severity < g_log_level) return;
  const std::string prefix = Timestamp() + " " + LevelName(severity) +
                             std::string(6 - std::strlen(LevelName(severity)), ' ');
  std::string out;
  size_t pos = 0;
  for (;;) {
    const size_t nl = message.find('\n', pos);
    out += prefix;
    out += message.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    out += '\n';
    if (nl == std::string_view::npos || nl + 1 == message.size()) break;
    pos = nl + 1;
  }
  std::fwrite(out.data(), 1, out.size(), stderr);
}

void LogInfo(std::string_view message) { LogLine(ssr::LogSeverity::kInfo, message); }
void LogError(std::string_view message) { LogLine(ssr::LogSeverity::kError, message); }

class StderrSink : public ssr::LogSink {
 public:
  void Send(ssr::LogSeverity severity, std::string_view component,
            std::string_view message) override {
    LogLine(severity, std::string(component) + ": " + std::string(message));
  }
};

// --- systemd readiness (Type=notify) ------------------------------------------------------------

// Sends `state` ("READY=1", "STATUS=...", several lines allowed) to the service manager through
// $NOTIFY_SOCKET (sd_notify(3)); nothing when the variable is unset (not run by systemd) or when
// built without libsystemd (a warning at start says so).
void Notify(const std::string& state) {
#if SSR_HAVE_SYSTEMD
  const int r = sd_notify(0, state.c_str());
  if (r < 0) {
    LogLine(ssr::LogSeverity::kWarning,
            "sd_notify(" + state.substr(0, state.find('\n')) + "): " + std::strerror(-r));
  }
#else
  (void)state;
#endif
}

// "RELOADING=1" with the CLOCK_MONOTONIC time systemd (253+) asks for.
std::string ReloadingState() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return "RELOADING=1\nMONOTONIC_USEC=" +
         std::to_string(static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000);
}

// "READY=1" and the STATUS= line after a reload (whether it succeeded or not: the router runs).
std::string ReloadedState(const ssr::Status& st, uint64_t generation) {
  const std::string gen = std::to_string(generation);
  if (st.ok()) return "READY=1\nSTATUS=forwarding, config generation " + gen + " (reloaded)";
  std::string message(st.message().substr(0, 200));  // one line
  for (char& ch : message) ch = ch == '\n' ? ' ' : ch;
  return "READY=1\nSTATUS=forwarding, config generation " + gen + "; the last reload failed: " +
         message;
}

// --- command line --------------------------------------------------------------------------------

struct Args {
  std::optional<std::string> config_file;
  bool use_default = false;
  std::string router;
  std::vector<ssr::InterfaceBinding> interfaces;
  ssr::XdpMode xdp_mode = ssr::XdpMode::kAuto;
  ssr::ZeroCopy zero_copy = ssr::ZeroCopy::kAuto;
  uint32_t workers = 0;
  double summary_interval = 0;
  std::string stats_file;
  std::string control_socket;  // "" = none
  bool control_socket_given = false;
  std::string metrics_listen;  // "" = no metrics endpoint
  bool cleanup = false;
  bool busy_poll = false;
  long idle_yield_us = 2000;
  // Defaults of RouterOptions; Router::Create checks the ranges.
  uint32_t frames = ssr::RouterOptions{}.frames_per_worker;
  uint32_t fill_ring = ssr::RouterOptions{}.fill_ring_size;
  uint32_t rx_ring = ssr::RouterOptions{}.rx_ring_size;
  uint32_t batch = ssr::RouterOptions{}.rx_batch;
  // --config-etcd (tools/etcd/etcd_config.h): the config source, created by ParseArgs.
  ssr::etcd::Options etcd;
  std::shared_ptr<ssr::etcd::ConfigSource> etcd_source;
};

int UsageError(const std::string& message) { return ssr::cli::UsageError("ssr-router", message); }

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

// The option values as given; CLI11 collects them, ParseArgs checks them with messages that name
// the option and the value.
struct RawArgs {
  std::vector<std::string> interfaces;
  std::optional<std::string> config, router, xdp_mode, zero_copy, workers, summary_interval,
      stats_interval, stats_file, log_level, idle_yield_us, frames, fill_ring, rx_ring, batch,
      control_socket;
  bool use_default = false, cleanup = false, busy_poll = false;
};

// Returns an exit code when the program must stop (help, version, usage error), nullopt to go on.
std::optional<int> ParseArgs(int argc, char** argv, Args* args) {
  CLI::App app("", "ssr-router");
  ssr::cli::Setup(app, kSynopsis, kFooter, SSR_VERSION_STRING);
  RawArgs raw;
  app.add_option("--config", raw.config, "the config to run (.textproto or .json)")
      ->option_text("FILE");
  app.add_flag("--default", raw.use_default, "run the built-in demo config instead of --config");
  app.add_option("--router", raw.router, "which router of the config this process is")
      ->option_text("NAME");
  app.add_option("--interface", raw.interfaces,
                 "bind the config's interface to a Linux interface; "
                 "repeat for every interface of the router (with --cleanup: [CONFIG_IFACE=]"
                 "OS_IFNAME)")
      ->option_text("CONFIG_IFACE=OS_IFNAME")
      ->allow_extra_args(false)  // one value per --interface; a second word is an argument
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--xdp-mode", raw.xdp_mode,
                 "XDP attach mode of the gate; auto (default) tries native, "
                 "then skb (generic)")
      ->option_text("native|skb|auto");
  app.add_option("--zero-copy", raw.zero_copy,
                 "AF_XDP zero-copy; auto (default) uses it where the driver "
                 "can, require fails without it, off always copies")
      ->option_text("auto|require|off");
  app.add_option("--workers", raw.workers,
                 "worker threads, 1 to 64; worker w serves RX queues w, w+N, ... of every "
                 "interface, so no interface may have fewer than N queues (default: the "
                 "smallest RX queue count of the interfaces, 1 when a driver reports none)")
      ->option_text("N");
  app.add_option("--summary-interval", raw.summary_interval,
                 "print a one-line summary (rx, tx, sessions, drops by reason) on stdout "
                 "every SECONDS, 0 to 86400; 0 (default) = none")
      ->option_text("SECONDS");
  app.add_option("--stats-interval", raw.stats_interval, "alias of --summary-interval")
      ->option_text("SECONDS");
  app.add_option("--stats-file", raw.stats_file,
                 "where SIGUSR1 and the exit write every counter (default: SIGUSR1 writes "
                 "to stderr, the exit writes none)")
      ->option_text("PATH");
  app.add_option("--log-level", raw.log_level,
                 "lowest level of the log lines on stderr (default "
                 "info)")
      ->option_text("debug|info|warning|error");
  app.add_option("--control-socket", raw.control_socket,
                 "Unix socket for ssrctl, mode 0600 (default /run/ssr/NAME.sock; \"none\": no "
                 "socket)")
      ->type_name("PATH");
  app.add_option("--metrics-listen", args->metrics_listen,
                 "serve Prometheus metrics on http://ADDR:PORT/metrics (IPv6: [ADDR]:PORT; "
                 "default: none)")
      ->option_text("ADDR:PORT");
  app.add_flag("--cleanup", raw.cleanup,
               "detach every XDP program (libssr's or not) from the --interface list and exit");
  app.add_flag("--busy-poll", raw.busy_poll,
               "workers never sleep when their rings are empty (lowest latency, one core per "
               "worker at 100 %)");
  app.add_option("--idle-yield-us", raw.idle_yield_us,
                 "microseconds a worker yields its CPU after its last packet before it sleeps "
                 "in poll(), 0 to 1000000 (default 2000; ignored with --busy-poll)")
      ->option_text("N");
  app.add_option("--frames", raw.frames,
                 "AF_XDP frames per worker, 256 to 1048576 and at least interfaces x fill "
                 "ring / 2 + 64 (default 32768)")
      ->option_text("N");
  app.add_option("--fill-ring", raw.fill_ring,
                 "fill and completion ring entries per interface, power of two 64 to 16384, "
                 "at most --frames (default 8192)")
      ->option_text("N");
  app.add_option("--rx-ring", raw.rx_ring,
                 "RX and TX ring entries per socket, power of two 64 to 16384 (default 8192)")
      ->option_text("N");
  app.add_option("--batch", raw.batch, "RX descriptors per receive, 1 to 64 (default 64)")
      ->option_text("N");
  ssr::etcd::AddOptions(app, &args->etcd, {"--config", "--default"});
  if (std::optional<int> code = ssr::cli::Parse(app, argc, argv)) return code;

  args->config_file = raw.config;
  args->use_default = raw.use_default;
  args->router = raw.router.value_or("");
  args->cleanup = raw.cleanup;
  args->busy_poll = raw.busy_poll;
  args->stats_file = raw.stats_file.value_or("");
  if (raw.control_socket.has_value()) {
    if (raw.control_socket->empty()) {
      return UsageError("--control-socket: empty path (give PATH or \"none\")");
    }
    args->control_socket_given = true;
    args->control_socket = *raw.control_socket == "none" ? "" : *raw.control_socket;
  }
  if (!args->metrics_listen.empty()) {
    const auto listen = ssr::metrics::ParseListenAddress(args->metrics_listen);
    if (!listen.ok()) return UsageError(std::string(listen.status().message()));
  }
  for (const std::string& value : raw.interfaces) {
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
  }
  if (raw.xdp_mode.has_value()) {
    const std::string& value = *raw.xdp_mode;
    if (value == "native")
      args->xdp_mode = ssr::XdpMode::kNative;
    else if (value == "skb")
      args->xdp_mode = ssr::XdpMode::kSkb;
    else if (value == "auto")
      args->xdp_mode = ssr::XdpMode::kAuto;
    else
      return UsageError("--xdp-mode: \"" + value + "\" is not native, skb or auto");
  }
  if (raw.zero_copy.has_value()) {
    const std::string& value = *raw.zero_copy;
    if (value == "auto")
      args->zero_copy = ssr::ZeroCopy::kAuto;
    else if (value == "require")
      args->zero_copy = ssr::ZeroCopy::kRequire;
    else if (value == "off")
      args->zero_copy = ssr::ZeroCopy::kOff;
    else
      return UsageError("--zero-copy: \"" + value + "\" is not auto, require or off");
  }
  if (raw.workers.has_value()) {
    const std::string& value = *raw.workers;
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno != 0 || n < 1 || n > 64) {
      return UsageError("--workers: \"" + value + "\" is not a number from 1 to 64");
    }
    args->workers = static_cast<uint32_t>(n);
  }
  for (const auto& [flag, given] : {std::pair{"--stats-interval", &raw.stats_interval},
                                    std::pair{"--summary-interval", &raw.summary_interval}}) {
    if (!given->has_value()) continue;
    const std::string& value = **given;
    char* end = nullptr;
    const double d = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(d) || d < 0 || d > 86400) {
      return UsageError(std::string(flag) + ": \"" + value +
                        "\" is not a number of seconds from 0 to 86400 (0 = off)");
    }
    args->summary_interval = d;
  }
  if (raw.log_level.has_value()) {
    const std::string& value = *raw.log_level;
    if (value == "debug")
      g_log_level = ssr::LogSeverity::kDebug;
    else if (value == "info")
      g_log_level = ssr::LogSeverity::kInfo;
    else if (value == "warning")
      g_log_level = ssr::LogSeverity::kWarning;
    else if (value == "error")
      g_log_level = ssr::LogSeverity::kError;
    else
      return UsageError("--log-level: \"" + value + "\" is not debug, info, warning or error");
  }
  if (raw.idle_yield_us.has_value()) {
    const std::string& value = *raw.idle_yield_us;
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno != 0 || n < 0 || n > 1000000) {
      return UsageError("--idle-yield-us: \"" + value +
                        "\" is not a number of microseconds from 0 to 1000000");
    }
    args->idle_yield_us = n;
  }
  for (const auto& [flag, given, target] :
       {std::tuple{"--frames", &raw.frames, &args->frames},
        std::tuple{"--fill-ring", &raw.fill_ring, &args->fill_ring},
        std::tuple{"--rx-ring", &raw.rx_ring, &args->rx_ring},
        std::tuple{"--batch", &raw.batch, &args->batch}}) {
    if (!given->has_value()) continue;
    const std::optional<uint32_t> n = ParseUint32(**given);
    if (!n.has_value()) {
      return UsageError(std::string(flag) + ": \"" + **given +
                        "\" is not a non-negative integer below 2^32");
    }
    *target = *n;
  }
  if (args->interfaces.empty()) return UsageError("no --interface given");
  if (args->cleanup) return std::nullopt;
  if (args->config_file.has_value() + args->use_default + args->etcd.enabled() != 1) {
    return UsageError("give exactly one of --config FILE, --default and --config-etcd");
  }
  if (args->router.empty()) return UsageError("--router NAME is required");
  if (!args->control_socket_given) args->control_socket = "/run/ssr/" + args->router + ".sock";
  if (args->etcd.enabled()) {
    auto source = ssr::etcd::ConfigSource::Create(args->etcd, args->router);
    if (!source.ok()) return UsageError(std::string(source.status().message()));
    args->etcd_source = std::move(*source);
    args->config_file = "(etcd)";  // names the source in log lines; LoadConfig reads etcd
  }
  for (const ssr::InterfaceBinding& b : args->interfaces) {
    if (b.config_name.empty()) {
      return UsageError("--interface \"" + b.os_name + "\": expected CONFIG_IFACE=OS_IFNAME");
    }
  }
  return std::nullopt;
}

// "0-1", "0,2", "3": RX queue numbers (ascending), consecutive runs as a range.
std::string QueueList(const std::vector<uint32_t>& queues) {
  std::string out;
  for (size_t i = 0; i < queues.size();) {
    size_t j = i;
    while (j + 1 < queues.size() && queues[j + 1] == queues[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(queues[i]);
    if (j > i) out += "-" + std::to_string(queues[j]);
    i = j + 1;
  }
  return out;
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

// Every counter as "name value" lines, plus "mode.<iface> native|skb".
std::string FormatStats(const ssr::RouterStats& s) {
  std::string out;
  for (const ssr::CounterValue& c : s.Flatten()) {
    out += c.name + " " + std::to_string(c.value) + "\n";
  }
  for (const ssr::InterfaceStats& i : s.interfaces) {
    out += "mode." + i.name + " " + i.xdp_mode + "\n";
  }
  return out;
}

// Writes FormatStats() to `path` atomically (PATH.tmp, then rename).
bool WriteStatsFile(const std::string& path, const ssr::RouterStats& s) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    LogError("--stats-file " + tmp + ": " + std::strerror(errno));
    return false;
  }
  const std::string text = FormatStats(s);
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool ok = std::fclose(f) == 0 && written && std::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) LogError("--stats-file " + path + ": " + std::strerror(errno));
  return ok;
}

ssr::Result<ssr::Config> LoadConfig(const Args& args) {
  if (args.use_default) return ssr::Config::Default();
  if (args.etcd_source) return ssr::FromAbsl(args.etcd_source->Load());  // the key's value now
  return ssr::Config::LoadFile(*args.config_file);
}

int Cleanup(const Args& args) {
  std::vector<std::string> names;
  for (const ssr::InterfaceBinding& b : args.interfaces) names.push_back(b.os_name);
  const ssr::Status st = ssr::DetachXdp(names);
  if (!st.ok()) {
    LogError("--cleanup: " + std::string(st.message()));
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
  ssr::SetMinLogSeverity(g_log_level);
  if (args.cleanup) return Cleanup(args);
  LogInfo("ssr-router " SSR_VERSION_STRING ": starting router " + args.router + " (config " +
          args.config_file.value_or("(default)") + ")");
#if !SSR_HAVE_SYSTEMD
  if (std::getenv("NOTIFY_SOCKET") != nullptr) {
    LogLine(ssr::LogSeverity::kWarning,
            "NOTIFY_SOCKET is set, but this ssr-router was built without libsystemd (Debian "
            "libsystemd-dev): it cannot tell the service manager it is ready");
  }
#endif
  LogLine(ssr::LogSeverity::kDebug,
          "options: workers=" + std::to_string(args.workers) + " frames=" +
              std::to_string(args.frames) + " fill_ring=" + std::to_string(args.fill_ring) +
              " rx_ring=" + std::to_string(args.rx_ring) + " batch=" + std::to_string(args.batch) +
              " busy_poll=" + (args.busy_poll ? "1" : "0") +
              " idle_yield_us=" + std::to_string(args.idle_yield_us) +
              " summary_interval=" + std::to_string(args.summary_interval));

  ssr::Result<ssr::Config> config = LoadConfig(args);
  if (!config.ok()) {
    LogError("config " + args.config_file.value_or("(default)") + ":\n" +
             std::string(config.status().message()));
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
  ssr::Result<std::unique_ptr<ssr::Router>> router = ssr::Router::Create(options, *config);
  if (!router.ok()) {
    const ssr::StatusCode code = router.status().code();
    const bool usage =
        code == ssr::StatusCode::kInvalidArgument || code == ssr::StatusCode::kNotFound;
    LogError(std::string(router.status().message()));
    return usage ? kExitUsage : kExitRuntime;
  }
  if (ssr::Status st = (*router)->Start(); !st.ok()) {
    LogError(std::string(st.message()));
    return kExitRuntime;
  }
  std::string modes;
  {
    const ssr::RouterStats s = (*router)->Stats();
    for (size_t n = 0; n < s.interfaces.size(); ++n) {
      const ssr::InterfaceStats& i = s.interfaces[n];
      // "queues 0-1" (one worker), "queues 0,2|1,3" (worker 0's, then worker 1's, ...)
      std::string queues;
      for (const ssr::WorkerStats& w : s.workers) {
        if (!queues.empty()) queues += "|";
        queues += n < w.rx_queues.size() ? QueueList(w.rx_queues[n]) : "";
      }
      modes += " " + i.name + "=" + i.os_name + "(" + i.xdp_mode +
               (i.zero_copy ? ",zero-copy" : ",copy") + ",queues " + queues + ")";
    }
    LogInfo("ssr-router " + s.router + ": " + std::to_string(s.workers.size()) + " worker(s)," +
            modes);
  }
  // The control socket (ssrctl): its own thread, answering through the public API.
  std::unique_ptr<ssr::ctl::ControlServer> control;
  if (!args.control_socket.empty()) {
    ssr::Router* r = router->get();
    auto reload = [r, &args]() -> absl::Status {
      Notify(ReloadingState());
      ssr::Result<ssr::Config> next_config = LoadConfig(args);
      ssr::Status st = next_config.ok() ? r->Reload(*next_config) : next_config.status();
      Notify(ReloadedState(st, r->Stats().config_generation));
      if (st.ok()) {
        LogInfo("config reloaded (generation " + std::to_string(r->Stats().config_generation) +
                ") by the control socket");
      } else {
        LogError("reload by the control socket failed, the old config keeps running:\n" +
                 std::string(st.message()));
      }
      return ssr::ToAbsl(st);
    };
    auto server = ssr::ctl::ControlServer::Start(
        args.control_socket, [r, reload](const ssr::ctl::Request& request) {
          return ssr::ctl::Answer(*r, request, reload);
        });
    if (server.ok()) {
      control = std::move(*server);
      LogInfo("control socket " + args.control_socket);
    } else if (args.control_socket_given) {
      LogError(std::string(server.status().message()));
      (*router)->Stop();
      return kExitRuntime;
    } else {
      LogLine(ssr::LogSeverity::kWarning, std::string(server.status().message()) +
                                              "; running without a control socket");
    }
  }
  // Prometheus metrics (--metrics-listen): an HTTP server on its own thread (tools/metrics).
  std::unique_ptr<ssr::metrics::MetricsServer> metrics;
  if (!args.metrics_listen.empty()) {
    ssr::Router* r = router->get();
    auto server =
        ssr::metrics::MetricsServer::Start(args.metrics_listen, [r] { return r->Stats(); });
    if (!server.ok()) {
      LogError(std::string(server.status().message()));
      (*router)->Stop();
      return server.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage
                                                                           : kExitRuntime;
    }
    metrics = std::move(*server);
    LogInfo("metrics on http://" + metrics->address() + "/metrics");
  }
  // --config-etcd: status of the first revision, then a thread follows the key.
  if (args.etcd_source) args.etcd_source->Start(router->get());
  std::printf("ready\n");
  std::fflush(stdout);
  // systemd (Type=notify): the gate is attached and the workers forward.
  Notify("READY=1\nSTATUS=forwarding, config generation " +
         std::to_string((*router)->Stats().config_generation) + ";" + modes);

  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  const long interval_ns = static_cast<long>(args.summary_interval * 1e9);
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
    if (sig == SIGINT || sig == SIGTERM) {
      Notify(std::string("STOPPING=1\nSTATUS=stopping (") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
             "): detaching the XDP gate");
      break;
    }
    if (sig == SIGUSR1) {
      if (args.stats_file.empty()) {
        // Written whatever --log-level says: the operator asked for it.
        const std::string dump = FormatStats((*router)->Stats());
        const std::string header = Timestamp() + " INFO  SIGUSR1: stats dump (no --stats-file)\n";
        std::fwrite(header.data(), 1, header.size(), stderr);
        std::fwrite(dump.data(), 1, dump.size(), stderr);
        std::fflush(stderr);
      } else {
        WriteStatsFile(args.stats_file, (*router)->Stats());
      }
    } else if (sig == SIGHUP) {
      Notify(ReloadingState());
      ssr::Result<ssr::Config> next_config = LoadConfig(args);
      ssr::Status st = next_config.ok() ? (*router)->Reload(*next_config) : next_config.status();
      Notify(ReloadedState(st, (*router)->Stats().config_generation));
      if (st.ok()) {
        LogInfo("config reloaded (generation " +
                std::to_string((*router)->Stats().config_generation) + ")");
      } else {
        LogError("reload failed, the old config keeps running:\n" + std::string(st.message()));
      }
    }
  }
  control.reset();  // no request in progress once this returns
  metrics.reset();  // no scrape in progress once this returns
  if (args.etcd_source) args.etcd_source->Stop();
  (*router)->Stop();
  if (!args.stats_file.empty()) WriteStatsFile(args.stats_file, (*router)->Stats());
  router->reset();  // detaches the gate, frees sockets and memory
  ssr::SetLogSink(nullptr);
  LogInfo("stopped");
  return kExitOk;
}
