// SPDX-License-Identifier: Apache-2.0
// RouterStats helpers (ssr/stats.h): flat names, lookups and drop totals.
#include "ssr/stats.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace ssr {

std::vector<CounterValue> RouterStats::Flatten() const {
  std::vector<CounterValue> out;
  auto group = [&out](const std::string& prefix, const std::vector<CounterValue>& list) {
    for (const CounterValue& c : list)
      out.push_back({absl::StrCat(prefix, ".", c.name), c.value, c.is_drop});
  };
  group("gate", gate);
  group("pipeline", pipeline);
  group("policy", policy);
  group("crypto", crypto);
  group("session", session);
  group("parse", parse);
  group("decode", decode);
  out.push_back({"sessions.live", sessions_live, false});
  out.push_back({"sessions.budgeted", sessions_budgeted, false});
  for (const InterfaceStats& i : interfaces) group(absl::StrCat("xsk.", i.name), i.counters);
  for (const PeerStats& p : peers) {
    out.push_back({absl::StrCat("peer.", p.name, ".sessions"), p.sessions, false});
    for (size_t i = 0; i < p.paths.size(); ++i) {
      const PeerPathStats& ps = p.paths[i];
      const std::string pre = absl::StrCat("peer.", p.name, ".path.", i, ".");
      const auto scaled = [](double v, double k) { return static_cast<uint64_t>(v * k + 0.5); };
      out.push_back({pre + "up", ps.up ? 1u : 0u, false});
      out.push_back({pre + "bfd_up", ps.bfd_state == "Up" ? 1u : 0u, false});
      out.push_back({pre + "latency_us", scaled(ps.latency_ms, 1000), false});
      out.push_back({pre + "jitter_us", scaled(ps.jitter_ms, 1000), false});
      out.push_back({pre + "loss_ppm", scaled(ps.loss_percent, 10000), false});
      out.push_back({pre + "mos_x100", scaled(ps.mos, 100), false});
      out.push_back({pre + "tx_frames", ps.tx_frames, false});
      out.push_back({pre + "rx_frames", ps.rx_frames, false});
      out.push_back({pre + "status_changes", ps.status_changes, false});
      out.push_back({pre + "sessions", ps.sessions, false});
    }
  }
  for (const RouteStats& r : routes) {
    out.push_back({absl::StrCat("route.", r.name, ".sessions"), r.sessions, false});
  }
  for (const ServiceStats& v : services) {
    const std::string pre = absl::StrCat("service.", v.name, ".");
    out.push_back({pre + "opened", v.sessions_opened, false});
    out.push_back({pre + "refused", v.sessions_refused, false});
    out.push_back({pre + "no_path", v.no_usable_path, false});
  }
  for (const WorkerStats& w : workers) {
    const std::string p = absl::StrCat("worker.", w.id, ".");
    out.push_back({p + "rx_packets", w.rx_packets, false});
    out.push_back({p + "tx_packets", w.tx_packets, false});
    out.push_back({p + "sessions", w.sessions, false});
    out.push_back({p + "polls", w.polls, false});
    out.push_back({p + "idle_sleeps", w.idle_sleeps, false});
    out.push_back({p + "cpu_ns", w.cpu_ns, false});
    out.push_back({p + "handoff_sent", w.handoff_sent, false});
    out.push_back({p + "handoff_received", w.handoff_received, false});
    out.push_back({p + "handoff_ring_full", w.handoff_ring_full, false});
  }
  out.push_back({"router.config_generation", config_generation, false});
  out.push_back({"router.reloads_ok", reloads_ok, false});
  out.push_back({"router.reloads_failed", reloads_failed, false});
  out.push_back({"router.session_events_delivered", session_events_delivered, false});
  out.push_back({"router.session_events_dropped", session_events_dropped, false});
  out.push_back({"router.neighbor_refreshes", neighbor_refreshes, false});
  out.push_back({"router.neighbor_kicks", neighbor_kicks, false});
  return out;
}

uint64_t RouterStats::Get(std::string_view flat_name) const {
  for (const CounterValue& c : Flatten()) {
    if (c.name == flat_name) return c.value;
  }
  return 0;
}

uint64_t RouterStats::TotalDrops() const {
  uint64_t sum = 0;
  for (const auto* list : {&gate, &pipeline}) {
    for (const CounterValue& c : *list) {
      if (c.is_drop) sum += c.value;
    }
  }
  for (const InterfaceStats& i : interfaces) {  // frames the kernel dropped at a socket
    for (const CounterValue& c : i.counters) {
      if (c.is_drop) sum += c.value;
    }
  }
  return sum;
}

std::vector<CounterValue> RouterStats::NonZeroDrops() const {
  std::vector<CounterValue> out;
  for (const CounterValue& c : gate) {
    if (c.is_drop && c.value != 0) out.push_back({absl::StrCat("gate_", c.name), c.value, true});
  }
  for (const CounterValue& c : pipeline) {
    if (c.is_drop && c.value != 0)
      out.push_back({absl::StrCat("pipeline_", c.name), c.value, true});
  }
  for (const InterfaceStats& i : interfaces) {
    for (const CounterValue& c : i.counters) {
      if (c.is_drop && c.value != 0) {
        out.push_back({absl::StrCat("xsk_", i.name, "_", c.name), c.value, true});
      }
    }
  }
  return out;
}

}  // namespace ssr
