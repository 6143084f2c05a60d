// SPDX-License-Identifier: Apache-2.0
// ssr-appliance-example: libssr embedded the way an appliance would, with libssr alone.
//
//   ssr-appliance-example --config FILE --router NAME --interface CONFIG_IFACE=OS_IFNAME...
//                         [--xdp-mode auto|native|skb] [--log FILE] [--metrics FILE]
//                         [--metrics-interval SECONDS]
//
// What it shows (README "Embedding"):
//  - one Router of a config file, reloaded when the file changes: inotify on the file's
//    directory (not on the file: editors and config managers replace a file by renaming a new
//    one over it, which a watch on the old inode would never see), events coalesced for 200 ms;
//    a config that does not load or that Reload refuses is logged with its errors and the old
//    one keeps running;
//  - a LogSink (stderr, or a file reopened on SIGHUP for log rotation) that receives the
//    library's messages and this program's, among them one line per session opened or closed
//    (RouterOptions::on_session, called on the router's control thread);
//  - metrics from Router::Stats() in the Prometheus text format, written for node_exporter's
//    textfile collector atomically (a temporary file in the same directory renamed over the old);
//  - a clean stop on SIGINT / SIGTERM: one thread waits for signals, inotify and the metrics
//    timer with poll(); the signals are blocked before the router starts its threads, so no
//    thread of the library ever runs a handler.
#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ssr/config.h"
#include "ssr/log.h"
#include "ssr/router.h"
#include "ssr/stats.h"

namespace {

constexpr char kHelp[] =
    "usage: ssr-appliance-example --config FILE --router NAME --interface CONFIG_IFACE=OS_IFNAME...\n"
    "                             [--xdp-mode auto|native|skb] [--log FILE] [--metrics FILE]\n"
    "                             [--metrics-interval SECONDS]\n"
    "       ssr-appliance-example --help | -h | --version\n"
    "\n"
    "Runs router NAME of the config FILE (protobuf text format or JSON) on the given Linux\n"
    "interfaces and prints \"ready\" once it forwards. Needs root (XDP, AF_XDP).\n"
    "\n"
    "Config changes: FILE's directory is watched (inotify); when FILE is written or replaced\n"
    "(an editor's or config manager's rename over it), it is loaded and the router reloaded\n"
    "200 ms later. A config that fails to load or that the router refuses is logged with its\n"
    "errors (\"config refused\") and the running config stays.\n"
    "\n"
    "Log: the library's messages and one line per session opened or closed (tenant, service,\n"
    "peer, protocol, source and destination) go to stderr, or to --log FILE (appended).\n"
    "\n"
    "Metrics: with --metrics FILE (name it *.prom in node_exporter's textfile directory), the\n"
    "router's counters are written in the Prometheus text format every --metrics-interval\n"
    "seconds (default 15) and once more at exit, atomically (FILE.tmp renamed over FILE).\n"
    "\n"
    "Signals: SIGINT, SIGTERM stop the router (the XDP gate is detached) and exit 0; SIGHUP\n"
    "reopens the log file and reloads FILE.\n"
    "Exit codes: 0 stopped by a signal (or --help, --version); 1 the config could not be loaded\n"
    "or the router not created or started; 2 bad command line.\n"
    "Files: FILE (read), the --log file (appended), the --metrics file and FILE.tmp beside it.\n";

// ---- Logging --------------------------------------------------------------------------------

// Writes "2026-12-07T01:02:03.456Z INFO component: message" lines to stderr or a file. Send() is
// called from any thread (workers never log per packet; the control thread and this program's
// thread do), so it takes a mutex.
class LineSink : public ssr::LogSink {
 public:
  // Opens `path` for appending ("" = stderr). Returns false (errno set) if it cannot.
  bool Open(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    path_ = path;
    return ReopenLocked();
  }
  bool Reopen() {
    std::lock_guard<std::mutex> lock(mu_);
    return ReopenLocked();
  }
  ~LineSink() override {
    if (file_ != nullptr && file_ != stderr) std::fclose(file_);
  }

  void Send(ssr::LogSeverity severity, std::string_view component,
            std::string_view message) override {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    char stamp[40];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
    const std::string severity_name(ssr::LogSeverityName(severity));
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(file_, "%s.%03ldZ %s %.*s: %.*s\n", stamp, now.tv_nsec / 1000000,
                 severity_name.c_str(), static_cast<int>(component.size()), component.data(),
                 static_cast<int>(message.size()), message.data());
    std::fflush(file_);
  }

 private:
  bool ReopenLocked() {
    if (path_.empty()) {
      file_ = stderr;
      return true;
    }
    std::FILE* f = std::fopen(path_.c_str(), "a");
    if (f == nullptr) return false;
    if (file_ != nullptr && file_ != stderr) std::fclose(file_);
    file_ = f;
    return true;
  }

  std::mutex mu_;
  std::string path_;
  std::FILE* file_ = stderr;
};

void Info(const std::string& message) { ssr::Log(ssr::LogSeverity::kInfo, "appliance", message); }
void Error(const std::string& message) {
  ssr::Log(ssr::LogSeverity::kError, "appliance", message);
}

std::string Endpoint(const std::string& address, uint16_t port) {
  if (address.find(':') != std::string::npos) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

std::string ProtocolName(uint8_t protocol) {
  switch (protocol) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "icmpv6";
    default: return std::to_string(protocol);
  }
}

// Runs on the router's control thread (never on a worker); it only formats and logs.
void LogSession(const ssr::SessionEvent& e) {
  std::string line = e.kind == ssr::SessionEvent::Kind::kOpened ? "session opened" : "session closed";
  line += " tenant=" + (e.tenant.empty() ? std::string("-") : e.tenant);
  line += " service=" + (e.service.empty() ? std::string("-") : e.service);
  line += " peer=" + (e.peer.empty() ? std::string("-") : e.peer);
  line += ' ';
  line += ProtocolName(e.protocol);
  line += ' ';
  line += Endpoint(e.source, e.source_port);
  line += " -> ";
  line += Endpoint(e.destination, e.destination_port);
  if (!e.uuid.empty()) line += " uuid=" + e.uuid;
  line += " worker=" + std::to_string(e.worker);
  ssr::Log(ssr::LogSeverity::kInfo, "session", line);
}

// ---- Metrics --------------------------------------------------------------------------------

// Label values escape backslash, double quote and newline (Prometheus text format 0.0.4).
std::string LabelValue(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Metric names keep [a-zA-Z0-9_]; anything else becomes '_'.
std::string MetricName(std::string_view v) {
  std::string out(v);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) c = '_';
  }
  return out;
}

// HELP text escapes backslash and newline.
std::string HelpText(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Exposition {
 public:
  // One family: its HELP and TYPE lines. Samples follow with Sample().
  void Family(const std::string& name, const char* type, std::string_view help) {
    text_ += "# HELP " + name + " " + HelpText(help) + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::string& labels, uint64_t value) {
    text_ += name;
    if (!labels.empty()) text_ += "{" + labels + "}";
    text_ += ' ';
    text_ += std::to_string(value);
    text_ += '\n';
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Counters the program keeps itself (the router knows nothing of files that did not load).
struct ApplianceCounters {
  uint64_t config_loads = 0;     // file changes acted on
  uint64_t config_refused = 0;   // ... that did not load or that Reload refused
  bool last_config_ok = true;
};

std::string Metrics(const ssr::RouterStats& s, const ApplianceCounters& own) {
  Exposition x;
  const std::string router = "router=\"" + LabelValue(s.router) + "\"";
  x.Family("ssr_router_running", "gauge", "1 while the router's workers run");
  x.Sample("ssr_router_running", router, s.running ? 1 : 0);
  x.Family("ssr_config_generation", "gauge",
           "Config generation the router runs (1 at start, +1 per successful reload)");
  x.Sample("ssr_config_generation", router, s.config_generation);
  x.Family("ssr_reloads_total", "counter", "Router::Reload calls by result (ok, failed)");
  x.Sample("ssr_reloads_total", router + ",result=\"ok\"", s.reloads_ok);
  x.Sample("ssr_reloads_total", router + ",result=\"failed\"", s.reloads_failed);
  x.Family("ssr_appliance_config_changes_total", "counter",
           "Changes of the config file the appliance acted on");
  x.Sample("ssr_appliance_config_changes_total", router, own.config_loads);
  x.Family("ssr_appliance_config_refused_total", "counter",
           "Config file changes refused (did not load or validate, or Reload refused them)");
  x.Sample("ssr_appliance_config_refused_total", router, own.config_refused);
  x.Family("ssr_appliance_config_last_ok", "gauge",
           "1 when the last change of the config file was applied, 0 when it was refused");
  x.Sample("ssr_appliance_config_last_ok", router, own.last_config_ok ? 1 : 0);
  x.Family("ssr_sessions", "gauge", "Live sessions (sum over workers)");
  x.Sample("ssr_sessions", router, s.sessions_live);
  x.Family("ssr_dropped_packets_total", "counter", "Packets dropped, all reasons together");
  x.Sample("ssr_dropped_packets_total", router, s.TotalDrops());
  x.Family("ssr_session_events_dropped_total", "counter",
           "Session events lost because a worker's event queue was full");
  x.Sample("ssr_session_events_dropped_total", router, s.session_events_dropped);

  x.Family("ssr_gate_packets_total", "counter", "Packets the XDP gate handled, by reason");
  for (const ssr::CounterValue& c : s.gate) {
    x.Sample("ssr_gate_packets_total", router + ",reason=\"" + LabelValue(c.name) + "\"", c.value);
  }
  // The worker counter groups: one family per counter, named like ssr-router's
  // --metrics-listen (ssr_<group>_<counter>_total, the group's prefix not repeated).
  const std::pair<const char*, const std::vector<ssr::CounterValue>*> groups[] = {
      {"pipeline", &s.pipeline}, {"policy", &s.policy}, {"crypto", &s.crypto},
      {"session", &s.session},   {"parse", &s.parse},   {"decode", &s.decode}};
  for (const auto& [group, counters] : groups) {
    const std::string prefix = std::string(group) + "_";
    for (const ssr::CounterValue& c : *counters) {
      std::string n = c.name;
      if (n.compare(0, prefix.size(), prefix) == 0) n = n.substr(prefix.size());
      std::string name = "ssr_" + std::string(group) + "_" + MetricName(n);
      if (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0) name += "_total";
      x.Family(name, "counter", c.help.empty() ? c.name : c.help);
      x.Sample(name, router, c.value);
    }
  }
  x.Family("ssr_service_sessions_opened_total", "counter",
           "Sessions of the service this router opened (reset by a reload)");
  for (const ssr::ServiceStats& svc : s.services) {
    x.Sample("ssr_service_sessions_opened_total",
             router + ",service=\"" + LabelValue(svc.name) + "\"", svc.sessions_opened);
  }
  x.Family("ssr_peer_sessions", "gauge", "Live sessions toward the peer (~1 s old)");
  for (const ssr::PeerStats& p : s.peers) {
    x.Sample("ssr_peer_sessions", router + ",peer=\"" + LabelValue(p.name) + "\"", p.sessions);
  }
  return x.text();
}

// Writes `text` to `path` atomically: a temporary file beside it, renamed over it, so the
// textfile collector never reads half a file.
bool WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return false;
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

// ---- Command line ---------------------------------------------------------------------------

struct Args {
  std::string config;
  std::string log;
  std::string metrics;
  int metrics_interval = 15;
  ssr::RouterOptions options;
};

int Usage(const char* argv0, const std::string& problem) {
  std::fprintf(stderr, "%s: %s\nusage: %s --config FILE --router NAME --interface C=OS... "
               "(libssr %s; --help)\n", argv0, problem.c_str(), argv0,
               std::string(ssr::Version()).c_str());
  return 2;
}

// Returns -1 when the arguments are good, otherwise the exit code.
int ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (a == "--version") {
      std::printf("ssr-appliance-example %s\n", std::string(ssr::Version()).c_str());
      return 0;
    }
    if (i + 1 >= argc) return Usage(argv[0], a + " needs a value (or unknown option)");
    const std::string v = argv[++i];
    if (a == "--config") {
      args.config = v;
    } else if (a == "--router") {
      args.options.router = v;
    } else if (a == "--interface") {
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
        return Usage(argv[0], "--interface: expected CONFIG_IFACE=OS_IFNAME, got \"" + v + "\"");
      }
      args.options.interfaces.push_back({v.substr(0, eq), v.substr(eq + 1)});
    } else if (a == "--xdp-mode") {
      if (v == "auto") {
        args.options.xdp_mode = ssr::XdpMode::kAuto;
      } else if (v == "native") {
        args.options.xdp_mode = ssr::XdpMode::kNative;
      } else if (v == "skb") {
        args.options.xdp_mode = ssr::XdpMode::kSkb;
      } else {
        return Usage(argv[0], "--xdp-mode: expected auto, native or skb, got \"" + v + "\"");
      }
    } else if (a == "--log") {
      args.log = v;
    } else if (a == "--metrics") {
      args.metrics = v;
    } else if (a == "--metrics-interval") {
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 1 || n > 3600) {
        return Usage(argv[0], "--metrics-interval: expected 1 to 3600 seconds, got \"" + v + "\"");
      }
      args.metrics_interval = static_cast<int>(n);
    } else {
      return Usage(argv[0], "unknown option " + a);
    }
  }
  if (args.config.empty()) return Usage(argv[0], "--config is required");
  if (args.options.router.empty()) return Usage(argv[0], "--router is required");
  if (args.options.interfaces.empty()) return Usage(argv[0], "at least one --interface is required");
  return -1;
}

// ---- Config file watch ----------------------------------------------------------------------

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Drains the inotify fd; true if an event names the config file (written and closed, or a file
// renamed or moved to its name).
bool ConfigChanged(int fd, const std::string& base) {
  alignas(inotify_event) char buf[8192];
  bool changed = false;
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;  // EAGAIN: drained
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      if (ev->len > 0 && base == ev->name) changed = true;
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
  return changed;
}

void ArmTimer(int fd, long first_ms, long period_ms) {
  itimerspec t{};
  t.it_value.tv_sec = first_ms / 1000;
  t.it_value.tv_nsec = (first_ms % 1000) * 1000000;
  t.it_interval.tv_sec = period_ms / 1000;
  t.it_interval.tv_nsec = (period_ms % 1000) * 1000000;
  timerfd_settime(fd, 0, &t, nullptr);
}

// Loads the file and hands it to the router. Every error is logged; the running config stays.
void ReloadFromFile(ssr::Router& router, const std::string& path, ApplianceCounters& own) {
  ++own.config_loads;
  const uint64_t running = router.Stats().config_generation;
  auto loaded = ssr::Config::LoadFile(path);
  if (!loaded.ok()) {
    ++own.config_refused;
    own.last_config_ok = false;
    Error("config refused (" + path + " does not load; generation " + std::to_string(running) +
          " keeps running):\n" + std::string(loaded.status().message()));
    return;
  }
  if (auto st = router.Reload(*loaded); !st.ok()) {
    ++own.config_refused;
    own.last_config_ok = false;
    Error("config refused (the router rejected " + path + "; generation " +
          std::to_string(running) + " keeps running):\n" + std::string(st.message()));
    return;
  }
  own.last_config_ok = true;
  Info("config reloaded from " + path + " (generation " +
       std::to_string(router.Stats().config_generation) + ")");
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (const int rc = ParseArgs(argc, argv, args); rc >= 0) return rc;

  LineSink sink;
  if (!sink.Open(args.log)) {
    std::fprintf(stderr, "cannot open log file %s: %s\n", args.log.c_str(), std::strerror(errno));
    return 1;
  }
  ssr::SetLogSink(&sink);

  // Signals: blocked in every thread (the router's threads inherit the mask from this one, so
  // block before Create), read from a signalfd in the loop below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);

  // Watch the directory before the first load, so that a change between load and watch is not
  // missed.
  const std::string base = BaseName(args.config);
  const int watch_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (signal_fd < 0 || watch_fd < 0 ||
      inotify_add_watch(watch_fd, DirName(args.config).c_str(),
                        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    Error("cannot watch " + DirName(args.config) + ": " + std::strerror(errno));
    return 1;
  }

  auto loaded = ssr::Config::LoadFile(args.config);
  if (!loaded.ok()) {
    Error("config " + args.config + " does not load:\n" + std::string(loaded.status().message()));
    return 1;
  }
  args.options.on_session = LogSession;
  auto created = ssr::Router::Create(args.options, *loaded);
  if (!created.ok()) {
    Error("cannot create router " + args.options.router + ": " +
          std::string(created.status().message()));
    return 1;
  }
  std::unique_ptr<ssr::Router> router = std::move(*created);
  if (auto st = router->Start(); !st.ok()) {
    Error("cannot start router " + args.options.router + ": " + std::string(st.message()));
    return 1;
  }
  Info("router " + args.options.router + " running config " + args.config + " (libssr " +
       std::string(ssr::Version()) + ")");
  std::printf("ready\n");
  std::fflush(stdout);

  ApplianceCounters own;
  const int reload_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  const int metrics_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  auto write_metrics = [&] {
    if (args.metrics.empty()) return;
    if (!WriteAtomically(args.metrics, Metrics(router->Stats(), own))) {
      Error("cannot write metrics file " + args.metrics + ": " + std::strerror(errno));
    }
  };
  if (!args.metrics.empty()) {
    write_metrics();
    ArmTimer(metrics_timer, args.metrics_interval * 1000L, args.metrics_interval * 1000L);
  }

  pollfd fds[] = {{signal_fd, POLLIN, 0}, {watch_fd, POLLIN, 0}, {reload_timer, POLLIN, 0},
                  {metrics_timer, POLLIN, 0}};
  bool stop = false;
  while (!stop) {
    if (poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      Error(std::string("poll: ") + std::strerror(errno));
      break;
    }
    uint64_t ticks = 0;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si{};
      while (read(signal_fd, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
        if (si.ssi_signo == SIGHUP) {
          if (!sink.Reopen()) Error("cannot reopen log file " + args.log);
          ArmTimer(reload_timer, 1, 0);
        } else {
          Info(std::string("stopping on ") + (si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM"));
          stop = true;
        }
      }
    }
    // A change arms (or re-arms) a 200 ms timer: an editor's several events become one reload.
    if ((fds[1].revents & POLLIN) && ConfigChanged(watch_fd, base)) ArmTimer(reload_timer, 200, 0);
    if ((fds[2].revents & POLLIN) && read(reload_timer, &ticks, sizeof(ticks)) > 0 && !stop) {
      ReloadFromFile(*router, args.config, own);
      write_metrics();
    }
    if ((fds[3].revents & POLLIN) && read(metrics_timer, &ticks, sizeof(ticks)) > 0) {
      write_metrics();
    }
  }

  router->Stop();  // never from inside a callback: this is the program's own thread
  write_metrics();  // exact after Stop: the workers copied their counters a last time
  const ssr::RouterStats stats = router->Stats();
  Info("stopped: rx=" + std::to_string(stats.Get("pipeline.rx_packets")) +
       " tx=" + std::to_string(stats.Get("pipeline.tx_packets")) +
       " drops=" + std::to_string(stats.TotalDrops()));
  router.reset();  // detaches the XDP gate, frees the sockets
  ssr::SetLogSink(nullptr);
  return 0;
}
