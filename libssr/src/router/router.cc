// SPDX-License-Identifier: Apache-2.0
// ssr::Router: wires the gate (gate/), the AF_XDP ports (io/) and one Pipeline per worker
// (pipeline/) into the public embedding API (ssr/router.h).
//
// Threads: the caller's (Create, Start, Stop, Reload, Stats), one per worker (worker.h), and a
// control thread (control_loop.h) that refreshes neighbours from the kernel once per second and
// kicks kernel resolution of unknown next hops (neighbor_refresh.h), and delivers session events
// to the embedding callback (events.h). Router::Impl only wires these together.
#include "ssr/router.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "config/model.h"
#include "gate/gate.h"
#include "gate/gate_contents.h"
#include "io/afxdp_probe.h"
#include "io/port.h"
#include "io/unique_fd.h"
#include "io/xdp_mode.h"
#include "router/config_access.h"
#include "router/control_loop.h"
#include "router/events.h"
#include "router/handoff.h"
#include "router/neighbor_refresh.h"
#include "router/netdev.h"
#include "router/health.h"
#include "router/path_watch.h"
#include "router/port_ranges.h"
#include "router/queue_assignment.h"
#include "router/reload_limits.h"
#include "router/session_list.h"
#include "router/stale_gate.h"
#include "router/status_convert.h"
#include "router/worker.h"
#include "ssr/log.h"
#include "util/status_macros.h"

namespace ssr {
namespace {

using router::Worker;

constexpr uint32_t kMaxWorkers = SSR_GATE_MAX_QUEUES;
// Frames each handoff ring holds (router/handoff.h): 256 x ~3.8 KiB, about 1 MiB per ordered
// pair of workers; at 2 ms of idle yield and a 1 ms bounded sleep that covers bursts of 256
// frames toward one owner per loop iteration.
constexpr size_t kHandoffSlots = 256;
constexpr std::chrono::microseconds kMaxIdleYield{1'000'000};  // RouterOptions::idle_yield
// RouterOptions::frames_per_worker, fill_ring_size and rx_ring_size (router.h).
constexpr uint32_t kMinFrames = 256;
constexpr uint32_t kMaxFrames = 1u << 20;
constexpr uint32_t kMinRing = 64;
constexpr uint32_t kMaxRing = 16384;
constexpr uint32_t kTailReserve = 256;  // SVR metadata and trailers the pipeline may append

io::ZeroCopyMode ToIo(ZeroCopy z) {
  switch (z) {
    case ZeroCopy::kRequire:
      return io::ZeroCopyMode::kRequire;
    case ZeroCopy::kOff:
      return io::ZeroCopyMode::kOff;
    case ZeroCopy::kAuto:
      break;
  }
  return io::ZeroCopyMode::kAuto;
}

absl::Status Prefixed(const absl::Status& st, const std::string& prefix) {
  return absl::Status(st.code(), absl::StrCat(prefix, st.message()));
}

// Gate contents of `router` with each config interface renamed to the Linux interface bound to
// it (the gate looks interfaces up by name; the maps themselves use config indexes).
absl::StatusOr<gate::GateContents> ContentsFor(const config::Config& cfg, const std::string& router,
                                               const std::vector<std::string>& os_names) {
  SSR_ASSIGN_OR_RETURN(gate::GateContents contents, gate::ComputeGateContents(cfg, router));
  const config::Router* r = cfg.FindRouter(router);
  for (gate::GateInterface& gi : contents.interfaces) {
    const auto idx = r->InterfaceIndex(gi.name);
    if (idx.has_value() && *idx < os_names.size()) gi.name = os_names[*idx];
  }
  return contents;
}

// Inspects the XDP hook of `os` (config interface `config_name`) before the gate attaches: a
// libssr gate whose router no longer runs (killed) is detached, with a warning; a gate a running
// router owns is an error naming its pid. Returns what was there.
absl::StatusOr<router::XdpOccupant> TakeOverStaleGate(const std::string& config_name,
                                                      const std::string& os) {
  absl::StatusOr<router::XdpOccupant> occ = router::InspectXdp(os);
  if (!occ.ok()) return router::XdpOccupant{};  // the attach reports what is wrong
  const std::string where = absl::StrCat("interface ", config_name, " (", os, "): ");
  switch (occ->kind) {
    case router::XdpOccupant::Kind::kNone:
    case router::XdpOccupant::Kind::kForeign:
      break;
    case router::XdpOccupant::Kind::kLiveGate:
      return absl::FailedPreconditionError(absl::StrCat(
          where, "the XDP gate of a running libssr router (pid ",
          absl::StrJoin(occ->owners, ", "), ") is attached; stop that router first"));
    case router::XdpOccupant::Kind::kStaleGate: {
      Log(LogSeverity::kWarning, "router",
          absl::StrCat(where, "taking over the XDP gate (program id ", occ->program_id,
                       ") that a libssr router which no longer runs left attached"));
      const absl::Status st = router::DetachAllXdp(os);
      if (!st.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            where, "detaching the XDP gate a stopped libssr router left attached failed (",
            st.message(), "); run `ssr-router --cleanup --interface ", os,
            "` (ssr::DetachXdp) and start again"));
      }
      break;
    }
  }
  return occ;
}

bool IsRingSize(uint32_t v) { return v >= kMinRing && v <= kMaxRing && (v & (v - 1)) == 0; }

// RouterOptions::frames_per_worker, fill_ring_size, rx_ring_size and rx_batch (router.h).
// Each port keeps fill_ring_size / 2 frames in the kernel (io::XskPortOptions::fill_frames = 0)
// and a received burst is in the pipeline while the ports refill, so a worker's Umem needs
// interfaces x fill_ring_size / 2 + io::kMaxBurst frames; with fewer, the ports created last
// would start with short or empty fill rings.
absl::Status CheckRings(const RouterOptions& options, size_t interfaces) {
  const uint32_t frames = options.frames_per_worker;
  if (frames < kMinFrames || frames > kMaxFrames) {
    return absl::InvalidArgumentError(
        absl::StrCat("frames_per_worker: ", frames, " is not in ", kMinFrames, "..", kMaxFrames));
  }
  const uint32_t fill = options.fill_ring_size;
  if (!IsRingSize(fill)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "fill_ring_size: ", fill, " is not a power of two from ", kMinRing, " to ", kMaxRing));
  }
  if (fill > frames) {
    return absl::InvalidArgumentError(
        absl::StrCat("fill_ring_size: ", fill, " is more than frames_per_worker ", frames));
  }
  const uint64_t needed = static_cast<uint64_t>(interfaces) * (fill / 2) + io::kMaxBurst;
  if (frames < needed) {
    return absl::InvalidArgumentError(
        absl::StrCat("frames_per_worker: ", frames, " is less than the ", needed, " frames that ",
                     interfaces, " interface(s) with fill_ring_size ", fill, " need (", interfaces,
                     " x ", fill, " / 2 + ", io::kMaxBurst, ")"));
  }
  if (!IsRingSize(options.rx_ring_size)) {
    return absl::InvalidArgumentError(absl::StrCat("rx_ring_size: ", options.rx_ring_size,
                                                   " is not a power of two from ", kMinRing, " to ",
                                                   kMaxRing));
  }
  if (options.rx_batch < 1 || options.rx_batch > io::kMaxBurst) {
    return absl::InvalidArgumentError(
        absl::StrCat("rx_batch: ", options.rx_batch, " is not in 1..", io::kMaxBurst));
  }
  return absl::OkStatus();
}

}  // namespace

// Hidden: a nested class takes the exported Router's visibility otherwise.
struct __attribute__((visibility("hidden"))) Router::Impl {
  RouterOptions options;
  std::string router_name;
  std::vector<std::string> os_names;  // by config interface index
  std::vector<int> ifindexes;         // by config interface index
  std::vector<XdpMode> modes;         // by config interface index: as attached (native / skb)
  std::vector<uint32_t> queue_counts;  // by config interface index: RX queues (all served)
  io::UniqueFd netns{-1};

  // state_mu guards the config snapshot and the reload counters.
  mutable std::mutex state_mu;
  Config config = ConfigAccess::Wrap(nullptr);
  uint64_t generation = 1;
  std::map<uint64_t, std::shared_ptr<const config::Config>> recent;  // for event names
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;

  // gate_mu guards the Gate object (control-plane calls only; the program runs regardless).
  mutable std::mutex gate_mu;
  std::unique_ptr<gate::Gate> gate;  // declared before workers: sockets go first
  // Router-wide session limits the workers share; declared before them, so it outlives them.
  std::unique_ptr<pipeline::SessionBudget> session_budget;
  // Peer path status the workers share (pipeline/path_board.h); outlives them too.
  std::unique_ptr<pipeline::PathBoard> path_board;
  // Rings between the workers (router/handoff.h, flow steering); outlives them. Null: 1 worker.
  std::unique_ptr<router::HandoffMesh> handoff;
  std::vector<std::unique_ptr<Worker>> workers;
  // The control thread's parts (router/control_loop.h, neighbor_refresh.h, events.h).
  std::unique_ptr<router::NeighborRefresh> neighbors;
  std::unique_ptr<router::EventDelivery> events;
  std::unique_ptr<router::PathWatch> path_watch;
  std::unique_ptr<router::HealthMonitor> health;
  std::unique_ptr<router::ControlLoop> control_loop;
  // Router::Stats without the health report (what the once-a-second health sample reads).
  RouterStats CollectStats() const;

  // api_mu serialises Start / Stop / Reload.
  std::mutex api_mu;
  std::atomic<bool> running{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::thread control;
  uint64_t config_request = 0;

  ~Impl() {
    StopThreads();
    workers.clear();  // sockets and UMEMs before the gate (XSKMAP, program)
    std::lock_guard<std::mutex> lock(gate_mu);
    gate.reset();  // detaches from every interface
  }

  void StopThreads() {
    if (control_loop != nullptr) {
      control_loop->RequestStop(stop);
    } else {
      stop.store(true);
    }
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
    threads.clear();
    if (control.joinable()) control.join();
    if (events != nullptr) events->Deliver(workers);  // what the workers queued before they stopped
  }

  // The config generation `gen` ran, or the current one once it is no longer kept.
  std::shared_ptr<const config::Config> ConfigOf(uint64_t gen) const {
    std::lock_guard<std::mutex> lock(state_mu);
    auto it = recent.find(gen);
    return it != recent.end() ? it->second : ConfigAccess::Model(config);
  }

  // Sends `cfg` to every worker and waits for their answers; returns the first error.
  absl::Status ReloadWorkers(const std::shared_ptr<const config::Config>& cfg, uint64_t gen,
                             std::vector<size_t>* succeeded) {
    absl::Status first;
    if (!running) {
      for (size_t i = 0; i < workers.size(); ++i) {
        absl::Status st = workers[i]->ReloadNow(cfg, gen);
        if (st.ok()) {
          succeeded->push_back(i);
        } else if (first.ok()) {
          first = Prefixed(st, absl::StrCat("worker ", i, ": "));
        }
      }
      return first;
    }
    const uint64_t req = ++config_request;
    for (auto& w : workers) {
      std::lock_guard<std::mutex> lock(w->shared().mu);
      w->shared().pending_config = cfg;
      w->shared().pending_generation = gen;
      w->shared().config_request.store(req, std::memory_order_release);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (size_t i = 0; i < workers.size(); ++i) {
      auto& sh = workers[i]->shared();
      while (sh.config_done.load(std::memory_order_acquire) != req) {
        if (std::chrono::steady_clock::now() > deadline) {
          return absl::DeadlineExceededError(
              absl::StrCat("worker ", i, " did not apply the config within 10 s"));
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      std::lock_guard<std::mutex> lock(sh.mu);
      if (sh.config_result.ok()) {
        succeeded->push_back(i);
      } else if (first.ok()) {
        first = Prefixed(sh.config_result, absl::StrCat("worker ", i, ": "));
      }
    }
    return first;
  }

  // The public calls (Router::Create, Start, Reload, Sessions) with the library's own statuses.
  static absl::StatusOr<std::unique_ptr<Router>> Create(const RouterOptions& options,
                                                        const Config& config);
  static absl::Status Start(Router& self);
  static absl::Status Reload(Impl& m, const Config& config);
  static absl::StatusOr<SessionList> Sessions(Impl& m, const SessionFilter& filter, size_t limit);
};

Router::Router(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Router::~Router() = default;

Result<std::unique_ptr<Router>> Router::Create(const RouterOptions& options, const Config& config) {
  return FromAbsl(Impl::Create(options, config));
}

absl::StatusOr<std::unique_ptr<Router>> Router::Impl::Create(const RouterOptions& options,
                                                             const Config& config) {
  const std::shared_ptr<const config::Config>& cfg = ConfigAccess::Model(config);
  if (cfg == nullptr) return absl::InvalidArgumentError("config: empty Config");
  const config::Router* r = cfg->FindRouter(options.router);
  if (r == nullptr) {
    std::vector<std::string> names;
    for (const config::Router& x : cfg->routers) names.push_back(absl::StrCat("\"", x.name, "\""));
    return absl::NotFoundError(absl::StrCat(
        "router: \"", options.router,
        "\" is not a router of the config (routers: ", absl::StrJoin(names, ", "), ")"));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->router_name = options.router;
  impl->os_names.assign(r->interfaces.size(), "");

  // Interface bindings: every config interface exactly once, Linux names distinct.
  for (size_t i = 0; i < options.interfaces.size(); ++i) {
    const InterfaceBinding& b = options.interfaces[i];
    const auto idx = r->InterfaceIndex(b.config_name);
    if (!idx.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("interfaces[", i, "]: \"", b.config_name,
                                                     "\" is not an interface of router \"",
                                                     options.router, "\""));
    }
    if (b.os_name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "interfaces[", i, "]: no Linux interface given for \"", b.config_name, "\""));
    }
    if (!impl->os_names[*idx].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("interfaces[", i, "]: \"", b.config_name, "\" is bound twice"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (options.interfaces[j].os_name == b.os_name) {
        return absl::InvalidArgumentError(absl::StrCat("interfaces[", i, "]: Linux interface \"",
                                                       b.os_name, "\" is already bound to \"",
                                                       options.interfaces[j].config_name, "\""));
      }
    }
    impl->os_names[*idx] = b.os_name;
  }
  for (size_t i = 0; i < r->interfaces.size(); ++i) {
    if (impl->os_names[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "interfaces: interface \"", r->interfaces[i].name, "\" of router \"", options.router,
          "\" has no Linux interface (add a binding ", r->interfaces[i].name, "=<ifname>)"));
    }
  }
  if (r->interfaces.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("router \"", options.router, "\" has no interfaces"));
  }
  if (options.workers > kMaxWorkers) {
    return absl::InvalidArgumentError(
        absl::StrCat("workers: ", options.workers, " is above the maximum of ", kMaxWorkers));
  }
  SSR_RETURN_IF_ERROR(CheckRings(options, r->interfaces.size()));
  if (options.idle_yield < std::chrono::microseconds::zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("idle_yield: ", options.idle_yield.count(), " us is negative"));
  }
  if (options.idle_yield > kMaxIdleYield) {
    return absl::InvalidArgumentError(absl::StrCat("idle_yield: ", options.idle_yield.count(),
                                                   " us is above the maximum of ",
                                                   kMaxIdleYield.count(), " us (1 s)"));
  }
  if (options.health_window < std::chrono::seconds(10) ||
      options.health_window > std::chrono::seconds(3600)) {
    return absl::InvalidArgumentError(absl::StrCat("health_window: ", options.health_window.count(),
                                                   " s is out of range (10-3600 s)"));
  }
  if (options.on_session && options.session_event_queue == 0) {
    return absl::InvalidArgumentError("session_event_queue: must be at least 1");
  }

  // Linux interfaces and kernel features.
  std::vector<packet::MacAddress> macs;
  for (size_t i = 0; i < impl->os_names.size(); ++i) {
    const std::string& os = impl->os_names[i];
    auto ifindex = router::InterfaceIndex(os);
    if (!ifindex.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("interface ", r->interfaces[i].name, ": ", ifindex.status().message()));
    }
    impl->ifindexes.push_back(*ifindex);
    SSR_ASSIGN_OR_RETURN(packet::MacAddress mac, router::InterfaceMac(os));
    macs.push_back(mac);
  }
  // Every RX queue of every interface gets a socket (router/queue_assignment.h); the automatic
  // worker count is the smallest queue count, as a worker needs a queue of every interface.
  std::vector<std::string> if_labels;
  for (size_t i = 0; i < impl->os_names.size(); ++i) {
    impl->queue_counts.push_back(router::RxQueueCount(impl->os_names[i]));
    if_labels.push_back(absl::StrCat(r->interfaces[i].name, " (", impl->os_names[i], ")"));
  }
  uint32_t workers = options.workers;
  if (workers == 0) {
    workers = std::min(*std::min_element(impl->queue_counts.begin(), impl->queue_counts.end()),
                       kMaxWorkers);
  }
  SSR_RETURN_IF_ERROR(
      router::CheckQueueCounts(if_labels, impl->queue_counts, workers, SSR_GATE_MAX_QUEUES));
  {
    // A worker with several queues of an interface splits that interface's fill frames over
    // them (at least a burst each): its Umem must hold them all plus a burst.
    uint64_t needed = io::kMaxBurst;
    for (uint32_t q : impl->queue_counts) {
      const size_t sockets = router::QueuesOfWorker(0, workers, q).size();  // worker 0: the most
      needed += sockets * router::FillFramesPerSocket(options.fill_ring_size, sockets);
    }
    if (options.frames_per_worker < needed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "frames_per_worker: ", options.frames_per_worker, " is less than the ", needed,
          " frames the AF_XDP sockets of worker 0 (RX queues ", absl::StrJoin(impl->queue_counts, "/"),
          " over ", workers, " worker(s), fill_ring_size ", options.fill_ring_size, ") need"));
    }
  }
  for (size_t i = 0; i < impl->os_names.size(); ++i) {
    io::ProbeOptions probe;
    probe.interface = impl->os_names[i];
    probe.queue_id = workers - 1;
    probe.tail_reserve = kTailReserve;
    probe.xdp_mode = options.xdp_mode;
    probe.require_bpffs = false;
    absl::Status st = io::ProbeAfXdp(probe);
    if (!st.ok()) {
      return Prefixed(st, absl::StrCat("interface ", r->interfaces[i].name, " (", probe.interface,
                                       ", ", workers, " worker(s)): "));
    }
  }

  // What occupies each XDP hook: a gate a killed router left is taken over, a live router's is
  // not, and someone else's program is left to the attach (whose error then says what to do).
  std::vector<router::XdpOccupant> occupants(impl->os_names.size());
  for (size_t i = 0; i < impl->os_names.size(); ++i) {
    absl::StatusOr<router::XdpOccupant> occ =
        TakeOverStaleGate(r->interfaces[i].name, impl->os_names[i]);
    if (!occ.ok()) return occ.status();
    occupants[i] = std::move(*occ);
  }

  // Gate: load, attach everywhere (sockets are created with its XSKMAP afterwards).
  auto contents = ContentsFor(*cfg, options.router, impl->os_names);
  if (!contents.ok()) return Prefixed(contents.status(), "gate: ");
  auto gate = gate::Gate::Load(std::move(*contents));
  if (!gate.ok()) return Prefixed(gate.status(), "gate: ");
  impl->gate = std::move(*gate);
  for (size_t i = 0; i < impl->os_names.size(); ++i) {
    auto mode = impl->gate->Attach(impl->os_names[i], options.xdp_mode);
    if (!mode.ok()) {
      absl::Status st =
          Prefixed(mode.status(), absl::StrCat("interface ", r->interfaces[i].name, ": "));
      const router::XdpOccupant& occ = occupants[i];
      if (occ.kind != router::XdpOccupant::Kind::kForeign) return st;
      return absl::Status(
          st.code(),
          absl::StrCat(st.message(), "; the XDP program \"", occ.program, "\" (id ",
                       occ.program_id, ") is attached to ", impl->os_names[i],
                       " and is not a libssr gate: if it is not needed (e.g. left by a crashed "
                       "process), detach it with `ssr-router --cleanup --interface ",
                       impl->os_names[i], "` (ssr::DetachXdp) and start again"));
    }
    impl->modes.push_back(*mode);
  }

  // Netns of the creating thread, for the threads Start() creates (possibly from elsewhere).
  impl->netns = io::UniqueFd(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));

  // The control thread's parts.
  impl->neighbors = std::make_unique<router::NeighborRefresh>(impl->os_names, impl->ifindexes);
  impl->events = std::make_unique<router::EventDelivery>(
      options.on_session, options.router,
      [m = impl.get()](uint64_t gen) { return m->ConfigOf(gen); });
  impl->session_budget = std::make_unique<pipeline::SessionBudget>(cfg->limits.max_sessions);
  impl->path_board = std::make_unique<pipeline::PathBoard>();
  impl->path_watch = std::make_unique<router::PathWatch>(options.on_path_change,
                                                         impl->path_board.get(), options.router);
  impl->path_watch->SetConfig(cfg);
  router::HealthThresholds health_thresholds;
  health_thresholds.cpu = !options.busy_poll;
  impl->health = std::make_unique<router::HealthMonitor>(
      static_cast<size_t>(options.health_window.count()), health_thresholds);
  impl->control_loop = std::make_unique<router::ControlLoop>(
      &impl->workers, impl->neighbors.get(), impl->events.get(), impl->path_watch.get(),
      impl->netns.get());

  // CPUs to pin to.
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  const bool pin = options.pin_workers && workers <= cpus.size();

  if (workers > 1) {
    impl->handoff = std::make_unique<router::HandoffMesh>(workers, kHandoffSlots);
  }
  for (uint32_t w = 0; w < workers; ++w) {
    router::WorkerOptions wo;
    wo.id = w;
    wo.cpu = pin ? cpus[w] : -1;
    wo.config = cfg;
    wo.config_generation = 1;
    wo.router = options.router;
    wo.os_interfaces = impl->os_names;
    wo.macs = macs;
    wo.xdp_modes = impl->modes;
    wo.zero_copy = ToIo(options.zero_copy);
    wo.xskmap_fd = impl->gate->xskmap_fd();
    for (size_t i = 0; i < impl->os_names.size(); ++i) {
      wo.queues.push_back(router::QueuesOfWorker(w, workers, impl->queue_counts[i]));
      wo.xskmap_keys.emplace_back();
      for (uint32_t q : wo.queues.back()) {
        auto key = impl->gate->XskMapKey(impl->os_names[i], q);
        if (!key.ok()) return Prefixed(key.status(), "gate: ");
        wo.xskmap_keys.back().push_back(*key);
      }
    }
    wo.max_sessions = options.max_sessions_per_worker;
    wo.session_budget = impl->session_budget.get();
    wo.path_board = impl->path_board.get();
    wo.run_peer_layer = options.peer_liveness && w == 0;
    wo.frames = options.frames_per_worker;
    wo.fill_ring_size = options.fill_ring_size;
    wo.rx_ring_size = options.rx_ring_size;
    wo.rx_batch = options.rx_batch;
    wo.busy_poll = options.busy_poll;
    wo.idle_yield_us = static_cast<uint64_t>(options.idle_yield.count());
    wo.stats_period_ms = static_cast<uint64_t>(std::max<int64_t>(1, options.stats_period.count()));
    wo.session_events = static_cast<bool>(options.on_session);
    wo.event_queue = options.session_event_queue;
    wo.netns_fd = impl->netns.get();
    wo.handoff = impl->handoff.get();
    auto worker = Worker::Create(wo);
    if (!worker.ok()) return worker.status();
    impl->workers.push_back(std::move(*worker));
  }

  impl->config = config;
  impl->recent[1] = cfg;
  impl->neighbors->SetNextHops(router::NextHopsOf(*cfg, *r));
  impl->neighbors->SetInterfaceVlans(router::NeighborVlansOf(*r));
  impl->neighbors->Refresh(impl->workers, /*running=*/false);
  for (auto& w : impl->workers) w->Publish(true);
  Log(LogSeverity::kInfo, "router",
      absl::StrCat("router ", options.router, ": ", workers, " worker(s), XDP ",
                   absl::StrJoin(impl->modes, "/", [](std::string* out, XdpMode mode) {
                     out->append(io::XdpModeName(mode));
                   }),
                   ", RX queues ",
                   absl::StrJoin(impl->queue_counts, "/")));
  // Replies to the host's own connections on waypoint ports are dropped by the gate: say so.
  if (std::ifstream range_file(router::kLocalPortRangePath); range_file) {
    std::stringstream text;
    text << range_file.rdbuf();
    if (absl::StatusOr<config::PortRange> eph = router::ParseLocalPortRange(text.str()); eph.ok()) {
      for (const std::string& w : router::EphemeralPortWarnings(*r, *eph)) {
        Log(LogSeverity::kWarning, "router", w);
      }
    }
  }
  return std::unique_ptr<Router>(new Router(std::move(impl)));
}

Status Router::Start() { return FromAbsl(Impl::Start(*this)); }

absl::Status Router::Impl::Start(Router& self) {
  Impl& m = *self.impl_;
  std::lock_guard<std::mutex> api(m.api_mu);
  if (m.running) return absl::FailedPreconditionError("Start: the router is already running");
  m.stop.store(false);
  // The sample needs the counters, not the report it feeds (CollectStats leaves health empty).
  m.control_loop->SetEverySecond([&m] { m.health->Sample(m.CollectStats()); });
  try {
    for (auto& w : m.workers) {
      Worker* wp = w.get();
      m.threads.emplace_back([wp, &m] { wp->Run(m.stop); });
    }
    m.control = std::thread([&m] { m.control_loop->Run(m.stop); });
  } catch (const std::system_error& e) {
    m.StopThreads();
    return absl::InternalError(absl::StrCat("Start: creating a thread failed: ", e.what()));
  }
  m.running = true;
  return absl::OkStatus();
}

void Router::Stop() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> api(m.api_mu);
  if (!m.running) return;
  m.StopThreads();
  m.running = false;
}

bool Router::running() const {
  std::lock_guard<std::mutex> api(impl_->api_mu);
  return impl_->running;
}

Status Router::Reload(const Config& config) { return FromAbsl(Impl::Reload(*impl_, config)); }

absl::Status Router::Impl::Reload(Impl& m, const Config& config) {
  std::lock_guard<std::mutex> api(m.api_mu);
  auto reject = [&m](absl::Status st) {
    std::lock_guard<std::mutex> lock(m.state_mu);
    ++m.reloads_failed;
    return st;
  };
  const std::shared_ptr<const config::Config>& cfg = ConfigAccess::Model(config);
  if (cfg == nullptr) return reject(absl::InvalidArgumentError("Reload: empty Config"));
  const config::Router* next = cfg->FindRouter(m.router_name);
  if (next == nullptr) {
    return reject(absl::NotFoundError(
        absl::StrCat("Reload: router \"", m.router_name,
                     "\" is not in the new config; the old config keeps running")));
  }
  const config::Router* now = ConfigAccess::Model(m.config)->FindRouter(m.router_name);
  bool same = next->interfaces.size() == now->interfaces.size();
  for (size_t i = 0; same && i < now->interfaces.size(); ++i) {
    same = next->interfaces[i].name == now->interfaces[i].name &&
           next->interfaces[i].role == now->interfaces[i].role;
  }
  if (!same) {
    return reject(absl::FailedPreconditionError(
        absl::StrCat("Reload: the interfaces of router \"", m.router_name,
                     "\" changed (names, roles or order); restart the router to change them")));
  }
  if (absl::Status st = router::CheckReloadLimits(ConfigAccess::Model(m.config)->limits, cfg->limits);
      !st.ok()) {
    return reject(Prefixed(st, "Reload: "));
  }
  // Trial: everything a worker will build from the config, without touching the running ones.
  {
    pipeline::PipelineOptions trial;
    trial.config = cfg;
    trial.router = m.router_name;
    trial.max_sessions = 16;
    trial.neighbor_capacity = 16;
    auto p = pipeline::Pipeline::Create(trial);
    if (!p.ok()) return reject(Prefixed(p.status(), "Reload: "));
  }
  auto contents = ContentsFor(*cfg, m.router_name, m.os_names);
  if (!contents.ok()) return reject(Prefixed(contents.status(), "Reload: gate: "));
  gate::GateContents old_contents;
  {
    std::lock_guard<std::mutex> lock(m.gate_mu);
    old_contents = m.gate->contents();
    absl::Status st = m.gate->Update(std::move(*contents));
    if (!st.ok()) return reject(Prefixed(st, "Reload: gate: "));
  }
  uint64_t gen = 0;
  std::shared_ptr<const config::Config> old_cfg;
  {
    std::lock_guard<std::mutex> lock(m.state_mu);
    gen = m.generation + 1;
    old_cfg = ConfigAccess::Model(m.config);
    m.recent[gen] = cfg;
  }
  std::vector<size_t> done;
  absl::Status st = m.ReloadWorkers(cfg, gen, &done);
  if (!st.ok()) {
    // Roll back: the gate and the workers that took the new config return to the old one.
    {
      std::lock_guard<std::mutex> lock(m.gate_mu);
      (void)m.gate->Update(std::move(old_contents));
    }
    std::vector<size_t> ignored;
    (void)m.ReloadWorkers(old_cfg, gen - 1, &ignored);
    std::lock_guard<std::mutex> lock(m.state_mu);
    m.recent.erase(gen);
    ++m.reloads_failed;
    return Prefixed(st, "Reload: ");
  }
  std::lock_guard<std::mutex> lock(m.state_mu);
  m.config = config;
  m.generation = gen;
  m.neighbors->SetNextHops(router::NextHopsOf(*cfg, *next));
  m.path_watch->SetConfig(cfg);
  m.neighbors->SetInterfaceVlans(router::NeighborVlansOf(*next));
  ++m.reloads_ok;
  while (m.recent.size() > 4) m.recent.erase(m.recent.begin());
  return absl::OkStatus();
}

namespace {
// Our waypoint on a path: the first address of its interface in the remote's family.
std::string LocalOf(const config::Router& r, const config::PeerPathConfig& cp) {
  if (cp.interface >= r.interfaces.size()) return "";
  for (const config::InterfaceAddress& a : r.interfaces[cp.interface].addresses) {
    if (a.address.family() == cp.address.family()) return a.address.ToString();
  }
  return "";
}
}  // namespace

RouterStats Router::Stats() const {
  RouterStats s = impl_->CollectStats();
  s.health = impl_->health->Report();
  return s;
}

RouterStats Router::Impl::CollectStats() const {
  const Impl& m = *this;
  RouterStats s;
  s.router = m.router_name;
  std::shared_ptr<const config::Config> cfg;
  {
    std::lock_guard<std::mutex> lock(m.state_mu);
    cfg = ConfigAccess::Model(m.config);
    s.config_generation = m.generation;
    s.reloads_ok = m.reloads_ok;
    s.reloads_failed = m.reloads_failed;
  }
  s.session_events_delivered = m.events->delivered();
  s.neighbor_refreshes = m.neighbors->refreshes();
  s.neighbor_kicks = m.neighbors->kicks();
  s.running = m.running;
  const config::Router* r = cfg->FindRouter(m.router_name);

  {
    std::lock_guard<std::mutex> lock(m.gate_mu);
    auto gc = m.gate->ReadCounters();
    if (gc.ok()) {
      for (const gate::GateCounter& c : *gc) {
        CounterValue v{std::string(c.name), c.packets, c.is_drop, std::string(c.help)};
        s.gate.push_back(std::move(v));
      }
    } else {
      Log(LogSeverity::kWarning, "router", absl::StrCat("gate counters: ", gc.status().message()));
    }
  }

  router::WorkerSnapshot sum;
  std::vector<router::WorkerSnapshot::PathSnapshot> paths;
  sum.xsk.resize(m.os_names.size());
  sum.peer_sessions.assign(r->peers.size(), 0);
  sum.path_sessions.assign(pipeline::PathBoard::kMaxPaths, 0);
  sum.route_sessions.assign(r->service_routes.size(), 0);
  sum.service_counts.assign(cfg->services.size(), pipeline::Pipeline::ServiceCounts{});
  for (const auto& w : m.workers) {
    auto& sh = w->shared();
    std::lock_guard<std::mutex> lock(sh.mu);
    const router::WorkerSnapshot& ws = sh.snapshot;
    sum.pipeline.AddFrom(ws.pipeline);
    sum.policy.AddFrom(ws.policy);
    sum.decode.AddFrom(ws.decode);
    sum.parse.AddFrom(ws.parse);
    sum.crypto.AddFrom(ws.crypto);
    sum.session.AddFrom(ws.session);
    for (size_t i = 0; i < ws.xsk.size() && i < sum.xsk.size(); ++i) sum.xsk[i].AddFrom(ws.xsk[i]);
    for (size_t i = 0; i < ws.peer_sessions.size() && i < sum.peer_sessions.size(); ++i) {
      sum.peer_sessions[i] += ws.peer_sessions[i];
    }
    for (size_t i = 0; i < ws.path_sessions.size() && i < sum.path_sessions.size(); ++i) {
      sum.path_sessions[i] += ws.path_sessions[i];
    }
    for (size_t i = 0; i < ws.route_sessions.size() && i < sum.route_sessions.size(); ++i) {
      sum.route_sessions[i] += ws.route_sessions[i];
    }
    // A worker still on another config (a reload in progress) has other service indices.
    if (ws.service_counts.size() == sum.service_counts.size()) {
      for (size_t i = 0; i < ws.service_counts.size(); ++i) {
        sum.service_counts[i].opened += ws.service_counts[i].opened;
        sum.service_counts[i].refused += ws.service_counts[i].refused;
        sum.service_counts[i].no_path += ws.service_counts[i].no_path;
        for (size_t b = 0; b < pipeline::Pipeline::kSetupBuckets; ++b) {
          sum.service_counts[i].setup_buckets[b] += ws.service_counts[i].setup_buckets[b];
        }
        sum.service_counts[i].setup_count += ws.service_counts[i].setup_count;
        sum.service_counts[i].setup_sum_us += ws.service_counts[i].setup_sum_us;
      }
    }
    sum.sessions_live += ws.sessions_live;
    if (!ws.paths.empty()) paths = ws.paths;  // worker 0 runs the peer layer
    s.session_events_dropped += ws.events_dropped;
    WorkerStats wst;
    wst.id = w->options().id;
    wst.cpu = w->options().cpu;
    wst.rx_packets = ws.pipeline.Get(pipeline::PipelineCounter::kRxPackets);
    wst.tx_packets = ws.pipeline.Get(pipeline::PipelineCounter::kTxPackets);
    wst.sessions = ws.sessions_live;
    wst.polls = ws.polls;
    wst.idle_sleeps = ws.idle_sleeps;
    wst.cpu_ns = ws.cpu_ns;
    wst.handoff_sent = ws.pipeline.Get(pipeline::PipelineCounter::kHandoffSent);
    wst.handoff_received = ws.pipeline.Get(pipeline::PipelineCounter::kHandoffReceived);
    wst.handoff_ring_full = ws.pipeline.Get(pipeline::PipelineCounter::kHandoffRingFull);
    wst.rx_queues = w->options().queues;
    s.workers.push_back(wst);
  }
  s.sessions_live = sum.sessions_live;
  if (m.session_budget != nullptr) s.sessions_budgeted = m.session_budget->live();

  auto add = [](std::vector<CounterValue>* out, auto counters, auto drop_of) {
    using Enum = decltype(drop_of(0));
    for (size_t i = 0; i < util::CounterCount<Enum>(); ++i) {
      const Enum e = static_cast<Enum>(i);
      out->push_back({std::string(CounterName(e)), counters.Get(e),
                      CounterKindOf(e) == util::CounterKind::kDrop, std::string(CounterHelp(e))});
    }
  };
  add(&s.pipeline, sum.pipeline, [](int) { return pipeline::PipelineCounter{}; });
  add(&s.policy, sum.policy, [](int) { return policy::Verdict{}; });
  add(&s.crypto, sum.crypto, [](int) { return crypto::CryptoCounter{}; });
  add(&s.session, sum.session, [](int) { return session::SessionCounter{}; });
  add(&s.parse, sum.parse, [](int) { return packet::ParseResult{}; });
  add(&s.decode, sum.decode, [](int) { return svr::DecodeResult{}; });
  // Only the pipeline's drops count as packet drops (policy/parse/decode explain them).
  for (auto* v : {&s.policy, &s.crypto, &s.session, &s.parse, &s.decode}) {
    for (CounterValue& c : *v) c.is_drop = false;
  }

  for (size_t i = 0; i < m.os_names.size(); ++i) {
    InterfaceStats is;
    is.name = r->interfaces[i].name;
    is.os_name = m.os_names[i];
    is.role = r->interfaces[i].role == config::InterfaceRole::kWan ? "wan" : "lan";
    is.xdp_mode = i < m.modes.size() ? std::string(io::XdpModeName(m.modes[i])) : "";
    is.queues = i < m.queue_counts.size() ? m.queue_counts[i] : 0;
    for (uint32_t q = 0; q < is.queues; ++q) {
      is.queue_workers.push_back(
          router::WorkerOfQueue(q, static_cast<uint32_t>(m.workers.size())));
    }
    is.zero_copy = !m.workers.empty() && !m.workers[0]->interface_ports(i).empty() &&
                   m.workers[0]->interface_ports(i).front()->mode().zero_copy;
    add(&is.counters, sum.xsk[i], [](int) { return io::XskCounter{}; });
    for (CounterValue& c : is.counters) c.is_drop = false;
    // The kernel's own AF_XDP socket counters (XDP_STATISTICS), summed over the workers: frames
    // the gate redirected that never reached a socket (RX ring full, no fill-ring frame) show up
    // only here. getsockopt on the control thread; the workers are not disturbed.
    xdp_statistics k{};
    for (const auto& w : m.workers) {
      for (const auto& port : w->interface_ports(i)) {  // every queue's socket
        const absl::StatusOr<xdp_statistics> ks = port->KernelStatistics();
        if (!ks.ok()) continue;
        k.rx_dropped += ks->rx_dropped;
        k.rx_invalid_descs += ks->rx_invalid_descs;
        k.tx_invalid_descs += ks->tx_invalid_descs;
        k.rx_ring_full += ks->rx_ring_full;
        k.rx_fill_ring_empty_descs += ks->rx_fill_ring_empty_descs;
        k.tx_ring_empty_descs += ks->tx_ring_empty_descs;
      }
    }
    is.counters.push_back({"kernel_rx_dropped", k.rx_dropped, true,
                           "dropped: kernel XDP_STATISTICS rx_dropped (no room in the socket)"});
    is.counters.push_back({"kernel_rx_ring_full", k.rx_ring_full, true,
                           "dropped: kernel XDP_STATISTICS rx_ring_full (socket RX ring full)"});
    is.counters.push_back({"kernel_rx_invalid_descs", k.rx_invalid_descs, true,
                           "dropped: kernel XDP_STATISTICS rx_invalid_descs"});
    is.counters.push_back({"kernel_tx_invalid_descs", k.tx_invalid_descs, true,
                           "dropped: kernel XDP_STATISTICS tx_invalid_descs"});
    is.counters.push_back({"kernel_rx_fill_ring_empty", k.rx_fill_ring_empty_descs, false,
                           "kernel XDP_STATISTICS rx_fill_ring_empty_descs (no fill-ring frame)"});
    is.counters.push_back({"kernel_tx_ring_empty", k.tx_ring_empty_descs, false,
                           "kernel XDP_STATISTICS tx_ring_empty_descs"});
    s.interfaces.push_back(std::move(is));
  }
  size_t slot_base = 0;  // PathBoard slot of the peer's first path (config order)
  for (size_t p = 0; p < r->peers.size(); ++p) {
    PeerStats ps;
    ps.name = r->peers[p].name;
    ps.interface = r->peers[p].interface < r->interfaces.size()
                       ? r->interfaces[r->peers[p].interface].name
                       : "";
    for (const util::IpAddress& a : r->peers[p].addresses) ps.addresses.push_back(a.ToString());
    ps.sessions = sum.peer_sessions[p];
    // Paths in config order: status and quality from the board (what the workers act on), BFD
    // state and frame counts from worker 0's peer layer (same order, peer_paths.h).
    for (size_t k = 0; k < r->peers[p].paths.size(); ++k) {
      const config::PeerPathConfig& cp = r->peers[p].paths[k];
      PeerPathStats pp;
      pp.name = cp.name;
      pp.interface = cp.interface < r->interfaces.size() ? r->interfaces[cp.interface].name : "";
      pp.remote = cp.address.ToString();
      const size_t slot = slot_base + k;
      pipeline::PathRecord rec;
      if (slot < pipeline::PathBoard::kMaxPaths && m.path_board->Read(slot, &rec)) {
        pp.up = rec.up;
        pp.quality_measured = rec.quality.measured;
        pp.latency_ms = rec.quality.latency_ms;
        pp.jitter_ms = rec.quality.jitter_ms;
        pp.loss_percent = rec.quality.loss_percent();
        pp.mos = rec.quality.mos;
        pp.status_changes = rec.changes;
      }
      if (slot < sum.path_sessions.size()) pp.sessions = sum.path_sessions[slot];
      if (slot < paths.size()) {
        const router::WorkerSnapshot::PathSnapshot& path = paths[slot];
        pp.local = path.local.ToString();
        pp.bfd_state = std::string(peer::BfdStateName(path.bfd_state));
        pp.tx_frames = path.tx_frames;
        pp.rx_frames = path.rx_frames;
      } else {
        pp.local = LocalOf(*r, cp);
      }
      ps.paths.push_back(std::move(pp));
    }
    slot_base += r->peers[p].paths.size();
    s.peers.push_back(std::move(ps));
  }
  for (size_t i = 0; i < r->service_routes.size(); ++i) {
    const config::ServiceRoute& sr = r->service_routes[i];
    RouteStats rs;
    rs.name = sr.name;
    rs.service = sr.service < cfg->services.size() ? cfg->services[sr.service].name : "";
    rs.target = sr.kind == config::ServiceRoute::Kind::kPeer
                    ? absl::StrCat("peer ", sr.peer < r->peers.size() ? r->peers[sr.peer].name : "")
                    : absl::StrCat("next-hop ", sr.interface < r->interfaces.size()
                                                    ? r->interfaces[sr.interface].name
                                                    : "");
    rs.sessions = sum.route_sessions[i];
    s.routes.push_back(std::move(rs));
  }
  for (size_t i = 0; i < cfg->services.size(); ++i) {
    ServiceStats vs;
    vs.name = cfg->services[i].name;
    vs.sessions_opened = sum.service_counts[i].opened;
    vs.sessions_refused = sum.service_counts[i].refused;
    vs.no_usable_path = sum.service_counts[i].no_path;
    static_assert(ServiceStats::SetupLatency::kBuckets == pipeline::Pipeline::kSetupBuckets);
    vs.setup_latency.buckets = sum.service_counts[i].setup_buckets;
    vs.setup_latency.count = sum.service_counts[i].setup_count;
    vs.setup_latency.sum_us = sum.service_counts[i].setup_sum_us;
    s.services.push_back(std::move(vs));
  }
  s.session_capacity = cfg->limits.max_sessions;
  return s;
}

HealthReport Router::Health() const { return impl_->health->Report(); }

Config Router::config() const {
  std::lock_guard<std::mutex> lock(impl_->state_mu);
  return impl_->config;
}

const RouterOptions& Router::options() const { return impl_->options; }

Result<SessionList> Router::Sessions(const SessionFilter& filter, size_t limit) const {
  return FromAbsl(Impl::Sessions(*impl_, filter, limit));
}

absl::StatusOr<SessionList> Router::Impl::Sessions(Impl& m, const SessionFilter& filter,
                                                   size_t limit) {
  if (limit < 1 || limit > kMaxSessionListing) {
    return absl::InvalidArgumentError(absl::StrCat("Sessions: limit ", limit,
                                                   " is not from 1 to ", kMaxSessionListing));
  }
  std::lock_guard<std::mutex> api(m.api_mu);
  return router::ListSessions(
      m.workers, m.running, m.router_name, filter, limit,
      [&m] {
        std::lock_guard<std::mutex> lock(m.state_mu);
        return std::make_pair(ConfigAccess::Model(m.config), m.generation);
      },
      std::chrono::seconds(5));
}

inline namespace v0 {

Status DetachXdp(const std::vector<std::string>& os_interfaces) {
  absl::Status first;
  for (const std::string& name : os_interfaces) {
    absl::Status st = router::DetachAllXdp(name);
    if (!st.ok() && first.ok()) first = st;
  }
  return FromAbsl(first);
}

std::string_view Version() { return SSR_VERSION_STRING; }

}  // namespace v0

}  // namespace ssr
