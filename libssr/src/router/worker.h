// SPDX-License-Identifier: Apache-2.0
// Worker: one forwarding thread of a Router — a UMEM, one AF_XDP socket per (router interface,
// RX queue the worker serves) on it (router/queue_assignment.h: worker w serves queues w, w + W,
// ... of every interface), and a Pipeline, driven by a run-to-completion loop. The pipeline sees
// one port per interface (router/queue_port.h): its receive takes from every queue the worker
// serves there, its transmit uses the interface's first such queue.
//
// Design note. The loop polls every port through Pipeline::Poll (a burst each), and between
// bursts does the slow work on a clock: session expiry and the per-peer session count sweep (each
// visits capacity / 100 slots every 10 ms, so the table is covered about once per second),
// applying a new config snapshot or neighbour list the control thread published, and copying the
// counters into the snapshot slot every stats period. Everything the control thread and the worker
// share lives in WorkerShared, behind one mutex that the packet path never takes: the worker checks
// two atomic generation numbers per loop iteration and locks only when one moved (or try-locks
// when publishing counters, skipping a period rather than waiting). Session events (the pipeline's
// SessionObserver, called as sessions open and close) go through a bounded SPSC ring; when it is
// full the event is dropped and counted, never waited for.
// When idle and not busy-polling, the worker yields the CPU for idle_yield_us (2 ms by default)
// after its last packet, then sleeps in poll() on its sockets for at most 1 ms at a time (0: it
// sleeps as soon as its rings are empty; worker.cc, "Idle policy").
//
// Thread-safety: Run() on one thread at a time; Shared() is for the control thread. Everything
// else (pipeline(), Apply*) only while the worker is not running.
#ifndef SSR_ROUTER_WORKER_H_
#define SSR_ROUTER_WORKER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config/model.h"
#include "crypto/suites.h"
#include "io/umem.h"
#include "io/xsk_port.h"
#include "packet/parse_result.h"
#include "pipeline/pipeline.h"
#include "peer/bfd_packet.h"
#include "pipeline/session_budget.h"
#include "policy/policy.h"
#include "router/handoff.h"
#include "router/queue_port.h"
#include "router/spsc_ring.h"
#include "session/flow_key.h"
#include "session/session_table.h"
#include "svr/metadata.h"
#include "util/counters.h"

namespace ssr::router {

// A neighbour for every worker's NeighborTable (config interface index).
struct NeighborEntry {
  uint16_t interface = 0;
  util::IpAddress address;
  packet::MacAddress mac{};
  friend bool operator==(const NeighborEntry&, const NeighborEntry&) = default;
};

// A session event as the worker records it (names are resolved by the control thread).
struct RawSessionEvent {
  bool opened = true;
  bool detailed = true;  // the fields below are valid
  std::array<uint8_t, 16> uuid{};
  uint32_t tenant = 0;
  uint32_t service = 0;
  uint32_t peer = 0;
  uint16_t flags = 0;
  session::FlowKey forward;
  uint64_t created_ms = 0;
  uint64_t config_generation = 0;
};

// Counters as of the last copy (see the design note).
struct WorkerSnapshot {
  util::CounterArray<pipeline::PipelineCounter> pipeline;
  util::CounterArray<policy::Verdict> policy;
  util::CounterArray<svr::DecodeResult> decode;
  util::CounterArray<packet::ParseResult> parse;
  util::CounterArray<crypto::CryptoCounter> crypto;
  util::CounterArray<session::SessionCounter> session;
  std::vector<util::CounterArray<io::XskCounter>> xsk;  // by config interface index
  std::vector<uint64_t> peer_sessions;                  // by config peer index (last full sweep)
  std::vector<uint64_t> path_sessions;   // by PathBoard slot (pipeline/path_board.h), same sweep
  std::vector<uint64_t> route_sessions;  // by config service route index, same sweep
  std::vector<pipeline::Pipeline::ServiceCounts> service_counts;  // by config service index
  // Worker 0's peer layer: every path of PeerPaths (empty when it does not run it).
  struct PathSnapshot {
    size_t peer = 0;
    util::IpAddress local;
    util::IpAddress remote;
    bool up = true;
    peer::BfdState bfd_state = peer::BfdState::kDown;
    peer::PathQuality quality;
    uint64_t tx_frames = 0;
    uint64_t rx_frames = 0;
  };
  std::vector<PathSnapshot> paths;
  uint64_t sessions_live = 0;
  uint64_t polls = 0;
  uint64_t idle_sleeps = 0;
  uint64_t cpu_ns = 0;  // CPU time of the worker thread (CLOCK_THREAD_CPUTIME_ID)
  uint64_t events_dropped = 0;
  // Next hops the pipeline found no MAC for since the control thread last took them
  // (NeighborRefresh::Refresh): the pipeline's misses are appended at each Publish.
  std::array<pipeline::NeighborMiss, pipeline::NeighborTable::kMaxMisses> neighbor_misses{};
  size_t neighbor_miss_count = 0;
};

// A session listing request (Router::Sessions, router/session_list.h): the filters as indexes of
// the config generation `generation` (kAny: no filter), at most `limit` sessions.
struct SessionQuery {
  static constexpr uint32_t kAny = 0xFFFFFFFFu;
  uint32_t tenant = kAny;
  uint32_t service = kAny;
  uint32_t peer = kAny;
  bool has_prefix = false;  // match sessions with any address of either flow in `prefix`
  util::IpPrefix prefix;
  size_t limit = 0;
  uint64_t generation = 0;
  bool Matches(const session::Session& s) const;
};

// What a worker answers: copies of matching live sessions (each copied whole by the worker that
// owns the table, so never torn), `truncated` when the limit stopped the visit, `stale` when the
// worker's config generation was not the query's (the indexes meant something else: ask again).
struct SessionListing {
  std::vector<session::Session> sessions;
  bool truncated = false;
  bool stale = false;
};

struct WorkerShared {
  std::mutex mu;
  // Session listing: the requester sets session_query and bumps session_request; the worker
  // visits its table a slice per loop iteration (kListSlice slots, so packets keep flowing
  // between slices), then stores session_listing and sets session_done to the request.
  SessionQuery session_query;
  SessionListing session_listing;
  std::atomic<uint64_t> session_request{0};
  std::atomic<uint64_t> session_done{0};
  // Config: the control thread sets pending_* and bumps config_request; the worker applies it
  // and stores config_result, then sets config_done to the generation it handled.
  std::shared_ptr<const config::Config> pending_config;
  uint64_t pending_generation = 0;
  std::atomic<uint64_t> config_request{0};
  std::atomic<uint64_t> config_done{0};
  absl::Status config_result;
  // Neighbours from the kernel (whole list; the worker applies entries not applied before).
  std::shared_ptr<const std::vector<NeighborEntry>> neighbors;
  std::atomic<uint64_t> neighbor_request{0};
  WorkerSnapshot snapshot;
};

struct WorkerOptions {
  uint32_t id = 0;
  int cpu = -1;  // pin to this CPU, -1: no pinning
  std::shared_ptr<const config::Config> config;
  uint64_t config_generation = 1;
  std::string router;
  std::vector<std::string> os_interfaces;  // by config interface index
  std::vector<packet::MacAddress> macs;    // by config interface index
  // By config interface index: the mode the XDP program on that interface attached in (each
  // socket is checked against its own interface's program; with xdp_mode auto, interfaces may
  // differ).
  std::vector<XdpMode> xdp_modes;
  io::ZeroCopyMode zero_copy = io::ZeroCopyMode::kAuto;
  int xskmap_fd = -1;
  // By config interface index: the RX queues this worker serves there (at least one; the first
  // also transmits, router/queue_assignment.h) and each socket's XSKMAP key (same order).
  std::vector<std::vector<uint32_t>> queues;
  std::vector<std::vector<uint32_t>> xskmap_keys;
  uint32_t max_sessions = 0;
  pipeline::SessionBudget* session_budget = nullptr;  // shared by the router's workers
  pipeline::PathBoard* path_board = nullptr;          // shared by the router's workers
  bool run_peer_layer = false;  // RouterOptions::peer_liveness, worker 0 only
  // RouterOptions::frames_per_worker, fill_ring_size, rx_ring_size, rx_batch (checked there):
  // the Umem's frame_count and fill / completion ring sizes, each socket's RX / TX ring sizes and
  // batch_size.
  uint32_t frames = 4096;
  uint32_t fill_ring_size = 2048;
  uint32_t rx_ring_size = 2048;
  uint32_t rx_batch = 64;
  bool busy_poll = false;
  uint64_t idle_yield_us = 2000;  // RouterOptions::idle_yield (not busy_poll)
  uint64_t stats_period_ms = 100;
  bool session_events = false;
  size_t event_queue = 4096;
  int netns_fd = -1;  // setns() target for the thread (not owned); -1: stay
  // Flow steering (handoff.h, docs/protocol.md §2.10.2): the router's rings between workers,
  // shared by all of them (not owned). Null: one worker, nothing is steered.
  HandoffMesh* handoff = nullptr;
};

class Worker {
 public:
  // Creates the Umem, the sockets and the pipeline in the calling thread's network namespace.
  static absl::StatusOr<std::unique_ptr<Worker>> Create(const WorkerOptions& options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The thread body: loops until `stop` is true, then publishes its counters a last time.
  void Run(const std::atomic<bool>& stop);

  WorkerShared& shared() const { return shared_; }
  SpscRing<RawSessionEvent>& events() { return events_; }
  const WorkerOptions& options() const { return options_; }
  // Every AF_XDP socket, interface by interface (config order), queues in options().queues order.
  const std::vector<std::unique_ptr<io::XskPort>>& ports() const { return ports_; }
  // The sockets of config interface `interface` (options().queues[interface] order).
  std::span<const std::unique_ptr<io::XskPort>> interface_ports(size_t interface) const {
    return std::span(ports_).subspan(port_begin_.at(interface),
                                     port_begin_.at(interface + 1) - port_begin_.at(interface));
  }

  // While not running: apply a config / neighbours directly, copy counters now.
  absl::Status ReloadNow(std::shared_ptr<const config::Config> config, uint64_t generation);
  void ApplyNeighbors(const std::vector<NeighborEntry>& entries);
  void Publish(bool wait_for_lock);
  // While not running: the whole listing at once.
  SessionListing ListSessionsNow(const SessionQuery& query);

  // Slots of the session table a running worker visits per loop iteration for a listing.
  static constexpr uint32_t kListSlice = 1024;

 private:
  explicit Worker(const WorkerOptions& options);
  void SlowPath(uint64_t now_ms);
  void Sweep(uint32_t budget);
  void Emit(const RawSessionEvent& e);
  // Session listing in progress (see WorkerShared): one slice; true when the listing is done.
  bool ListStep(uint32_t slots);
  void FinishListing();
  static void OnSession(void* self, const session::Session& s, bool opened);
  // PipelineOptions::steer: copies the frame into the ring toward `owner`.
  static pipeline::PipelineOptions::SteerResult Steer(void* self, uint32_t owner,
                                                      size_t interface, const io::Frame& frame,
                                                      bool reassembled);
  // Processes what the other workers handed over (at most a burst from each); returns how many.
  size_t DrainHandoff(uint64_t now_ms, uint64_t now_us);

  WorkerOptions options_;
  // Destruction order matters: the pipeline refers to the ports, the ports to the Umem.
  std::unique_ptr<io::Umem> umem_;
  std::vector<std::unique_ptr<io::XskPort>> ports_;
  std::vector<size_t> port_begin_;  // ports_ index of each interface's first socket, + end
  std::vector<std::unique_ptr<QueueSetPort>> interface_ports_;  // by config interface index
  std::unique_ptr<pipeline::Pipeline> pipeline_;

  uint64_t config_generation_ = 1;
  uint64_t config_seen_ = 0;
  uint64_t neighbors_seen_ = 0;
  uint64_t last_slow_ms_ = 0;
  uint64_t last_publish_ms_ = 0;
  uint64_t polls_ = 0;
  uint64_t idle_sleeps_ = 0;
  bool in_run_ = false;  // Publish runs on the worker thread (its CPU clock is readable)
  uint64_t events_dropped_ = 0;

  // Session sweep: cursor, per-peer counts of the sweep in progress, last complete counts.
  uint32_t sweep_cursor_ = 0;
  std::vector<uint64_t> peer_count_;
  std::vector<uint64_t> path_count_, path_sessions_;    // PathBoard::kMaxPaths each
  std::vector<uint64_t> route_count_, route_sessions_;  // by service route
  std::vector<uint64_t> peer_sessions_;
  // Session listing in progress (list_active_), its query, cursor and copies so far.
  bool list_active_ = false;
  uint64_t list_seen_ = 0;
  uint32_t list_cursor_ = 0;
  SessionQuery list_query_;
  SessionListing list_out_;

  SpscRing<RawSessionEvent> events_;
  mutable WorkerShared shared_;
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_WORKER_H_
