// SPDX-License-Identifier: Apache-2.0
#include "metrics_text.h"

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "ssr/version.h"

namespace ssr::metrics {
namespace {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

enum class Type { kCounter, kGauge, kInfo, kHistogram };

// Appends families in order; a family's TYPE and HELP lines are written with its first sample
// (a family without samples writes nothing).
class Writer {
 public:
  explicit Writer(Format format) : format_(format) {}

  // `name` without the type's suffix ("_total" of a counter, "_info" of an info family).
  void Family(std::string_view name, Type type, std::string_view help) {
    name_ = std::string(name);
    type_ = type;
    help_ = std::string(help);
    header_written_ = false;
  }

  void Sample(Labels labels, uint64_t value) { Sample(labels, std::to_string(value)); }
  void Sample(Labels labels, double value) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof(buf), value);
    Sample(labels, std::string(buf, r.ptr));
  }
  void Sample(Labels labels, const std::string& value) { Write(Suffix(), labels, value); }
  // Samples of a histogram family: `suffix` "_bucket" (labels end with le), "_sum" or "_count".
  void HistogramSample(std::string_view suffix, Labels labels, const std::string& value) {
    Write(suffix, labels, value);
  }

  std::string Finish() {
    if (format_ == Format::kOpenMetrics) out_ += "# EOF\n";
    return std::move(out_);
  }

 private:
  void Write(std::string_view suffix, Labels labels, const std::string& value) {
    if (!header_written_) WriteHeader();
    out_ += name_;
    out_ += suffix;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += label;
        out_ += "=\"";
        out_ += EscapeLabelValue(v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  std::string_view Suffix() const {
    switch (type_) {
      case Type::kCounter:
        return "_total";
      case Type::kInfo:
        return "_info";
      case Type::kGauge:
      case Type::kHistogram:
        break;
    }
    return "";
  }

  void WriteHeader() {
    header_written_ = true;
    // Prometheus 0.0.4 names the family by its sample name (no counter / info types of the
    // OpenMetrics kind: an info family is a gauge there); OpenMetrics by the name without suffix.
    const bool om = format_ == Format::kOpenMetrics;
    const std::string family = om ? name_ : name_ + std::string(Suffix());
    std::string_view type = "gauge";
    if (type_ == Type::kCounter) type = "counter";
    if (type_ == Type::kInfo && om) type = "info";
    if (type_ == Type::kHistogram) type = "histogram";
    out_ += "# HELP " + family + " ";
    for (const char ch : help_) {
      if (ch == '\\') {
        out_ += "\\\\";
      } else if (ch == '\n') {
        out_ += "\\n";
      } else if (ch == '"' && om) {
        out_ += "\\\"";
      } else {
        out_ += ch;
      }
    }
    out_ += "\n# TYPE " + family + " " + std::string(type) + "\n";
  }

  Format format_;
  std::string out_;
  std::string name_;
  Type type_ = Type::kGauge;
  std::string help_;
  bool header_written_ = false;
};

// "policy_allow" in group "policy" -> "allow" (no ssr_policy_policy_allow_total).
std::string CounterFamily(std::string_view group, std::string_view name) {
  std::string n = SanitizeName(name);
  const std::string prefix = std::string(group) + "_";
  if (n.size() > prefix.size() && n.compare(0, prefix.size(), prefix) == 0) {
    n = n.substr(prefix.size());
  }
  return "ssr_" + std::string(group) + "_" + n;
}

// One family per counter of a worker list, HELP = the counter's help string.
void CounterList(Writer* w, std::string_view group, const std::vector<CounterValue>& counters) {
  for (const CounterValue& c : counters) {
    w->Family(CounterFamily(group, c.name), Type::kCounter,
              c.help.empty() ? std::string(group) + " counter " + c.name : c.help);
    w->Sample({}, c.value);
  }
}

std::string_view Bool(bool b) { return b ? "true" : "false"; }

// Shortest text that reads back as `v` ("1e-06", "0.004194304").
std::string Float(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string_view ContentType(Format format) {
  return format == Format::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

Format NegotiateFormat(std::string_view accept) {
  return accept.find("application/openmetrics-text") != std::string_view::npos
             ? Format::kOpenMetrics
             : Format::kPrometheus;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string SanitizeName(std::string_view name) {
  std::string out(name);
  for (char& ch : out) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_';
    if (!ok) ch = '_';
  }
  return out;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool alpha =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':';
    if (!alpha && !(i > 0 && ch >= '0' && ch <= '9')) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
    if (!alpha && !(i > 0 && ch >= '0' && ch <= '9')) return false;
  }
  return true;
}

std::string FormatMetrics(const RouterStats& s, Format format) {
  Writer w(format);
  w.Family("ssr_router", Type::kInfo, "The router this process runs and the libssr version");
  w.Sample({{"router", s.router}, {"version", SSR_VERSION_STRING}}, uint64_t{1});
  w.Family("ssr_router_running", Type::kGauge, "1 while the router's workers run");
  w.Sample({}, uint64_t{s.running ? 1u : 0u});
  w.Family("ssr_config_generation", Type::kGauge,
           "1 for the config the router was created with, +1 for every successful reload");
  w.Sample({}, s.config_generation);
  w.Family("ssr_reloads", Type::kCounter, "Config reloads by result (ok, failed)");
  w.Sample({{"result", "ok"}}, s.reloads_ok);
  w.Sample({{"result", "failed"}}, s.reloads_failed);
  w.Family("ssr_sessions", Type::kGauge,
           "Live sessions, summed over the workers' snapshots (up to ~100 ms apart)");
  w.Sample({}, s.sessions_live);
  w.Family("ssr_sessions_budgeted", Type::kGauge,
           "Router-wide sessions the workers admit against limits.max_sessions");
  w.Sample({}, s.sessions_budgeted);
  w.Family("ssr_session_events_delivered", Type::kCounter,
           "Session events delivered to the session callback");
  w.Sample({}, s.session_events_delivered);
  w.Family("ssr_session_events_dropped", Type::kCounter,
           "Session events lost because a worker's bounded event queue was full");
  w.Sample({}, s.session_events_dropped);
  w.Family("ssr_neighbor_refreshes", Type::kCounter,
           "Kernel neighbour-table reads applied to the workers");
  w.Sample({}, s.neighbor_refreshes);
  w.Family("ssr_neighbor_kicks", Type::kCounter,
           "Kernel resolutions asked for next hops without a MAC address");
  w.Sample({}, s.neighbor_kicks);
  w.Family("ssr_dropped_packets", Type::kCounter,
           "Packets dropped: the gate's drop_* reasons plus the pipeline's drop counters");
  w.Sample({}, s.TotalDrops());

  // The gate: one family, one sample per reason; HELP lists the reasons' own help strings.
  std::string gate_help = "Packets by XDP gate verdict (label reason; drop_* reasons are drops):";
  for (const CounterValue& c : s.gate) gate_help += " " + c.name + ": " + c.help + ";";
  if (!s.gate.empty()) gate_help.pop_back();
  w.Family("ssr_gate_packets", Type::kCounter, gate_help);
  for (const CounterValue& c : s.gate) w.Sample({{"reason", c.name}}, c.value);

  CounterList(&w, "pipeline", s.pipeline);
  CounterList(&w, "policy", s.policy);
  CounterList(&w, "crypto", s.crypto);
  CounterList(&w, "session", s.session);
  CounterList(&w, "parse", s.parse);
  CounterList(&w, "decode", s.decode);

  // Interfaces.
  w.Family("ssr_interface", Type::kInfo,
           "A router interface: the Linux interface it is bound to, its role, XDP attach mode "
           "and whether its AF_XDP sockets are zero-copy");
  for (const InterfaceStats& i : s.interfaces) {
    w.Sample({{"interface", i.name},
              {"os_name", i.os_name},
              {"role", i.role},
              {"xdp_mode", i.xdp_mode},
              {"zero_copy", Bool(i.zero_copy)}},
             uint64_t{1});
  }
  w.Family("ssr_interface_queues", Type::kGauge,
           "RX queues of the interface, each served by an AF_XDP socket of one worker");
  for (const InterfaceStats& i : s.interfaces)
    w.Sample({{"interface", i.name}}, uint64_t{i.queues});
  // AF_XDP socket counters: one family per counter, one sample per interface (interfaces list the
  // same counters; a name only some list is still one family).
  std::vector<std::string> names;
  for (const InterfaceStats& i : s.interfaces) {
    for (const CounterValue& c : i.counters) {
      bool seen = false;
      for (const std::string& n : names) seen = seen || n == c.name;
      if (!seen) names.push_back(c.name);
    }
  }
  for (const std::string& name : names) {
    bool family = false;
    for (const InterfaceStats& i : s.interfaces) {
      for (const CounterValue& c : i.counters) {
        if (c.name != name) continue;
        if (!family) {
          w.Family(CounterFamily("xsk", name), Type::kCounter,
                   c.help.empty() ? "AF_XDP socket counter " + name : c.help);
          family = true;
        }
        w.Sample({{"interface", i.name}}, c.value);
      }
    }
  }

  // Peers and their paths.
  w.Family("ssr_peer_sessions", Type::kGauge, "Live sessions toward the peer (~1 s old)");
  for (const PeerStats& p : s.peers) w.Sample({{"peer", p.name}}, p.sessions);
  auto paths = [&](std::string_view name, Type type, std::string_view help, auto value,
                   bool measured_only) {
    w.Family(name, type, help);
    for (const PeerStats& p : s.peers) {
      for (const PeerPathStats& pp : p.paths) {
        if (measured_only && !pp.quality_measured) continue;
        w.Sample({{"peer", p.name}, {"path", pp.name}, {"interface", pp.interface}}, value(pp));
      }
    }
  };
  w.Family("ssr_path", Type::kInfo, "A peer path: our waypoint address and the peer's");
  for (const PeerStats& p : s.peers) {
    for (const PeerPathStats& pp : p.paths) {
      w.Sample({{"peer", p.name},
                {"path", pp.name},
                {"interface", pp.interface},
                {"local", pp.local},
                {"remote", pp.remote}},
               uint64_t{1});
    }
  }
  paths(
      "ssr_path_up", Type::kGauge, "1 when new sessions may take the path",
      [](const auto& pp) { return uint64_t{pp.up ? 1u : 0u}; }, false);
  paths(
      "ssr_path_bfd_up", Type::kGauge, "1 when the path's BFD session is Up",
      [](const auto& pp) { return uint64_t{pp.bfd_state == "Up" ? 1u : 0u}; }, false);
  paths(
      "ssr_path_latency_seconds", Type::kGauge,
      "Link-test average latency of the path (paths with a measurement only)",
      [](const auto& pp) { return pp.latency_ms / 1000.0; }, true);
  paths(
      "ssr_path_jitter_seconds", Type::kGauge, "Link-test average jitter of the path",
      [](const auto& pp) { return pp.jitter_ms / 1000.0; }, true);
  paths(
      "ssr_path_loss_ratio", Type::kGauge, "Link-test loss of the path, 0 to 1",
      [](const auto& pp) { return pp.loss_percent / 100.0; }, true);
  paths(
      "ssr_path_mos", Type::kGauge, "Mean opinion score of the path computed from the link test",
      [](const auto& pp) { return pp.mos; }, true);
  paths(
      "ssr_path_sessions", Type::kGauge, "Live sessions on the path (~1 s old)",
      [](const auto& pp) { return pp.sessions; }, false);
  paths(
      "ssr_path_status_changes", Type::kCounter,
      "Times the path went down or came up since the router started",
      [](const auto& pp) { return pp.status_changes; }, false);
  paths(
      "ssr_path_tx_frames", Type::kCounter, "BFD and link-test frames sent on the path",
      [](const auto& pp) { return pp.tx_frames; }, false);
  paths(
      "ssr_path_rx_frames", Type::kCounter, "BFD and link-test frames received on the path",
      [](const auto& pp) { return pp.rx_frames; }, false);

  // Service routes.
  w.Family("ssr_route_sessions", Type::kGauge,
           "Live sessions the service route carries (~1 s old)");
  for (const RouteStats& r : s.routes) {
    w.Sample({{"route", r.name}, {"service", r.service}, {"target", r.target}}, r.sessions);
  }

  // Services (as the first router) and WAN assurance (docs/operations.md "WAN assurance").
  auto services = [&](std::string_view name, std::string_view help, auto value) {
    w.Family(name, Type::kCounter, help);
    for (const ServiceStats& v : s.services) w.Sample({{"service", v.name}}, value(v));
  };
  services("ssr_service_sessions_opened", "Sessions of the service this router opened",
           [](const ServiceStats& v) { return v.sessions_opened; });
  services("ssr_service_sessions_refused",
           "Sessions of the service refused (table or tenant limit, no waypoint pair)",
           [](const ServiceStats& v) { return v.sessions_refused; });
  services("ssr_service_no_usable_path",
           "First packets of the service dropped because no route or path was usable",
           [](const ServiceStats& v) { return v.no_usable_path; });
  // First-packet latency: the log2 histogram of ServiceStats::setup_latency, bucket i's upper
  // bound 2^i µs, cumulative as Prometheus wants (the last, open bucket is +Inf).
  w.Family("ssr_service_setup_latency_seconds", Type::kHistogram,
           "Time a session's first packet spent in this router (first router, waypoint or "
           "egress), from the worker's burst start to its TX descriptor submission");
  for (const ServiceStats& v : s.services) {
    const ServiceStats::SetupLatency& h = v.setup_latency;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.buckets.size(); ++i) {
      cumulative += h.buckets[i];
      const bool last = i + 1 == h.buckets.size();
      const std::string le =
          last ? std::string("+Inf") : Float(static_cast<double>(uint64_t{1} << i) * 1e-6);
      w.HistogramSample("_bucket", {{"service", v.name}, {"le", le}}, std::to_string(cumulative));
    }
    w.HistogramSample("_sum", {{"service", v.name}}, Float(static_cast<double>(h.sum_us) * 1e-6));
    w.HistogramSample("_count", {{"service", v.name}}, std::to_string(h.count));
  }
  w.Family("ssr_health_sle_ratio", Type::kGauge,
           "Service-level experience over the health window: good share, 0 to 1 (scope gateway, "
           "path or service)");
  for (const HealthItem& h : s.health.items) {
    w.Sample({{"scope", h.scope}, {"name", h.name}}, h.sle_percent / 100.0);
  }
  w.Family("ssr_health_cost", Type::kInfo,
           "What cost the most in the health window (classifier: drops, ring full, table full, "
           "cpu, down, latency, jitter, loss, mos, refused, no usable path, slow setup)");
  for (const HealthItem& h : s.health.items) {
    if (!h.classifier.empty()) {
      w.Sample({{"scope", h.scope}, {"name", h.name}, {"classifier", h.classifier}}, uint64_t{1});
    }
  }

  // Workers.
  w.Family("ssr_workers", Type::kGauge, "Worker threads of the router");
  w.Sample({}, uint64_t{s.workers.size()});
  auto workers = [&](std::string_view name, Type type, std::string_view help, auto value) {
    w.Family(name, type, help);
    for (const WorkerStats& ws : s.workers)
      w.Sample({{"worker", std::to_string(ws.id)}}, value(ws));
  };
  workers("ssr_worker_rx_packets", Type::kCounter, "Packets the worker received",
          [](const WorkerStats& ws) { return ws.rx_packets; });
  workers("ssr_worker_tx_packets", Type::kCounter, "Packets the worker sent",
          [](const WorkerStats& ws) { return ws.tx_packets; });
  workers("ssr_worker_sessions", Type::kGauge, "Live sessions in the worker's table",
          [](const WorkerStats& ws) { return ws.sessions; });
  workers("ssr_worker_polls", Type::kCounter, "Loop iterations of the worker",
          [](const WorkerStats& ws) { return ws.polls; });
  workers("ssr_worker_idle_sleeps", Type::kCounter, "Times the worker slept waiting for packets",
          [](const WorkerStats& ws) { return ws.idle_sleeps; });
  return w.Finish();
}

}  // namespace ssr::metrics
