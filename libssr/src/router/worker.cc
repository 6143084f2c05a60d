// SPDX-License-Identifier: Apache-2.0
#include "router/worker.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "router/queue_assignment.h"
#include "util/status_macros.h"

namespace ssr::router {
namespace {

uint64_t ClockUs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}
uint64_t ClockMs(clockid_t clock) { return ClockUs(clock) / 1000; }
uint64_t NowUs() { return ClockUs(CLOCK_MONOTONIC); }
uint64_t NowMs() { return ClockMs(CLOCK_MONOTONIC); }
// unix - monotonic, for the pipeline's time-based HMAC windows (§4.4: wall-clock time).
int64_t WallOffsetMs() {
  return static_cast<int64_t>(ClockMs(CLOCK_REALTIME)) - static_cast<int64_t>(NowMs());
}

constexpr uint64_t kSlowPathMs = 10;   // expiry / sweep step
constexpr uint32_t kSweepSteps = 100;  // steps per full table visit (~1 s)
// Idle policy (not busy_poll): for WorkerOptions::idle_yield_us (RouterOptions::idle_yield,
// 2 ms by default) after the last received packet an empty poll yields the CPU (sched_yield)
// instead of sleeping; after that the worker sleeps in poll() for at most kIdleSleepMs at a time.
// A sleeping worker must be woken by the kernel for the next burst, and on a shared core (an
// embedding appliance, or both routers of bench/run) that wake-up on every burst costs more than
// the packets; yielding keeps the thread runnable without taking the CPU from anyone who needs
// it. idle_yield_us = 0 sleeps as soon as the rings are empty (an idle core is really idle).
constexpr int kIdleSleepMs = 1;

}  // namespace

Worker::Worker(const WorkerOptions& options)
    : options_(options),
      config_generation_(options.config_generation),
      events_(options.session_events ? options.event_queue : 2) {}

Worker::~Worker() = default;

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(const WorkerOptions& options) {
  std::unique_ptr<Worker> w(new Worker(options));
  io::UmemOptions uo;
  uo.frame_count = options.frames;
  uo.fill_ring_size = options.fill_ring_size;
  uo.completion_ring_size = options.fill_ring_size;
  SSR_ASSIGN_OR_RETURN(w->umem_, io::Umem::Create(uo));
  for (size_t i = 0; i < options.os_interfaces.size(); ++i) {
    w->port_begin_.push_back(w->ports_.size());
    const std::vector<uint32_t>& queues = options.queues.at(i);
    if (queues.empty() || options.xskmap_keys.at(i).size() != queues.size()) {
      return absl::InvalidArgumentError(absl::StrCat("worker ", options.id, ": interface ",
                                                     options.os_interfaces[i],
                                                     ": no RX queue assigned"));
    }
    for (size_t k = 0; k < queues.size(); ++k) {
      io::XskPortOptions po;
      po.interface = options.os_interfaces[i];
      po.queue_id = queues[k];
      po.xdp_mode = options.xdp_modes.at(i);
      po.zero_copy = options.zero_copy;
      po.rx_ring_size = options.rx_ring_size;
      po.tx_ring_size = options.rx_ring_size;
      po.batch_size = options.rx_batch;
      po.fill_frames = FillFramesPerSocket(options.fill_ring_size, queues.size());
      po.xskmap_fd = options.xskmap_fd;
      po.xskmap_key = options.xskmap_keys[i][k];
      auto port = io::XskPort::Create(w->umem_.get(), po);
      if (!port.ok()) {
        return absl::Status(port.status().code(),
                            absl::StrCat("worker ", options.id, ": AF_XDP socket on ",
                                         po.interface, " queue ", po.queue_id, ": ",
                                         port.status().message()));
      }
      w->ports_.push_back(std::move(*port));
    }
  }
  w->port_begin_.push_back(w->ports_.size());
  for (size_t i = 0; i < options.os_interfaces.size(); ++i) {
    std::vector<io::Port*> set;
    for (const auto& p : w->interface_ports(i)) set.push_back(p.get());
    w->interface_ports_.push_back(
        std::make_unique<QueueSetPort>(options.os_interfaces[i], std::move(set)));
  }
  pipeline::PipelineOptions pipe;
  pipe.config = options.config;
  pipe.router = options.router;
  pipe.worker_id = static_cast<uint8_t>(options.id);
  pipe.max_sessions = options.max_sessions;
  pipe.budget = options.session_budget;
  pipe.path_board = options.path_board;
  pipe.run_peer_layer = options.run_peer_layer;
  pipe.interface_macs = options.macs;
  if (options.handoff != nullptr && options.handoff->workers() > 1) {
    pipe.workers = options.handoff->workers();
    pipe.steer = &Worker::Steer;
    pipe.steer_context = w.get();
  }
  SSR_ASSIGN_OR_RETURN(w->pipeline_, pipeline::Pipeline::Create(pipe));
  for (size_t i = 0; i < w->interface_ports_.size(); ++i) {
    w->pipeline_->Bind(i, w->interface_ports_[i].get());
  }
  w->pipeline_->SetPool(w->umem_.get());

  const size_t peers = w->pipeline_->router().peers.size();
  w->peer_count_.assign(peers, 0);
  w->peer_sessions_.assign(peers, 0);
  w->path_count_.assign(pipeline::PathBoard::kMaxPaths, 0);
  w->path_sessions_.assign(pipeline::PathBoard::kMaxPaths, 0);
  w->shared_.snapshot.path_sessions.assign(pipeline::PathBoard::kMaxPaths, 0);
  const size_t routes = w->pipeline_->router().service_routes.size();
  w->route_count_.assign(routes, 0);
  w->route_sessions_.assign(routes, 0);
  if (options.session_events) w->pipeline_->SetSessionObserver(&Worker::OnSession, w.get());
  w->shared_.snapshot.xsk.resize(w->interface_ports_.size());
  w->shared_.snapshot.peer_sessions.assign(peers, 0);
  return w;
}

absl::Status Worker::ReloadNow(std::shared_ptr<const config::Config> config, uint64_t generation) {
  SSR_RETURN_IF_ERROR(pipeline_->Reload(std::move(config), NowMs()));
  config_generation_ = generation;
  const size_t peers = pipeline_->router().peers.size();
  peer_count_.assign(peers, 0);
  peer_sessions_.assign(peers, 0);
  std::fill(path_count_.begin(), path_count_.end(), 0);
  std::fill(path_sessions_.begin(), path_sessions_.end(), 0);
  const size_t routes = pipeline_->router().service_routes.size();
  route_count_.assign(routes, 0);
  route_sessions_.assign(routes, 0);
  return absl::OkStatus();
}

void Worker::ApplyNeighbors(const std::vector<NeighborEntry>& entries) {
  for (const NeighborEntry& e : entries) {
    pipeline_->neighbors().SetStatic(e.interface, e.address, e.mac);
  }
}

void Worker::Publish(bool wait_for_lock) {
  std::unique_lock<std::mutex> lock(shared_.mu, std::defer_lock);
  if (wait_for_lock) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return;
  }
  WorkerSnapshot& s = shared_.snapshot;
  s.pipeline = pipeline_->counters();
  s.policy = pipeline_->policy_counters();
  s.decode = pipeline_->decode_counters();
  s.parse = pipeline_->parse_counters();
  s.crypto = pipeline_->CryptoCounters();
  s.session = pipeline_->sessions().counters();
  s.xsk.resize(interface_ports_.size());  // by interface: the sum over its queues' sockets
  for (size_t i = 0; i < interface_ports_.size(); ++i) {
    s.xsk[i] = util::CounterArray<io::XskCounter>{};
    for (const auto& p : interface_ports(i)) s.xsk[i].AddFrom(p->counters());
  }
  s.peer_sessions = peer_sessions_;  // same size as before: no allocation after the first copy
  s.path_sessions = path_sessions_;
  s.route_sessions = route_sessions_;
  s.service_counts = pipeline_->service_counts();
  if (const peer::PeerPaths* layer = pipeline_->peer_layer()) {
    s.paths.resize(layer->path_count());  // sized once per config
    for (size_t i = 0; i < layer->path_count(); ++i) {
      const peer::PeerPath& p = layer->path(i);
      WorkerSnapshot::PathSnapshot& out = s.paths[i];
      out.peer = p.peer;
      out.local = p.endpoints.local;
      out.remote = p.endpoints.remote;
      out.up = pipeline_->PeerPathUpByAddress(p.peer, p.endpoints.local, p.endpoints.remote);
      out.bfd_state = p.bfd.state();
      out.quality = p.quality();
      out.tx_frames = p.tx_packets;
      out.rx_frames = p.rx_packets;
    }
  } else {
    s.paths.clear();
  }
  s.sessions_live = pipeline_->sessions().size();
  s.polls = polls_;
  s.idle_sleeps = idle_sleeps_;
  if (in_run_) {  // one clock read per publish (every stats_period), not per packet
    timespec ts{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) {
      s.cpu_ns = static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
    }
  }
  s.events_dropped = events_dropped_;
  const size_t room = s.neighbor_misses.size() - s.neighbor_miss_count;
  s.neighbor_miss_count += pipeline_->neighbors().TakeMisses(
      std::span<pipeline::NeighborMiss>(s.neighbor_misses).subspan(s.neighbor_miss_count, room));
}

bool SessionQuery::Matches(const session::Session& s) const {
  if (!s.live()) return false;
  if (tenant != kAny && s.tenant != tenant) return false;
  if (service != kAny && s.service != service) return false;
  if (peer != kAny && ((s.flags & session::kLocalBreakout) != 0 || s.peer != peer)) return false;
  if (has_prefix) {
    const session::FlowKey* keys[] = {&s.forward, &s.reverse};
    bool any = false;
    for (const session::FlowKey* k : keys) {
      any = any || prefix.Contains(k->src) || prefix.Contains(k->dst);
    }
    if (!any) return false;
  }
  return true;
}

// Session listing (Router::Sessions): the worker copies the sessions it owns itself, between
// bursts, so a copy is never half-updated; the listing as a whole is not a point-in-time picture
// (sessions opened or closed while the visit runs may or may not be in it).
bool Worker::ListStep(uint32_t slots) {
  session::SessionTable& table = pipeline_->sessions();
  bool full = false;
  const bool wrapped = table.VisitOccupied(&list_cursor_, slots, [&](uint32_t i) {
    const session::Session& s = table.at(i);
    if (full || !list_query_.Matches(s)) return;
    if (list_out_.sessions.size() >= list_query_.limit) {
      full = true;
      return;
    }
    list_out_.sessions.push_back(s);
  });
  if (full) list_out_.truncated = true;
  return wrapped || full;
}

void Worker::FinishListing() {
  list_out_.stale = config_generation_ != list_query_.generation;
  list_active_ = false;
  std::lock_guard<std::mutex> lock(shared_.mu);
  shared_.session_listing = std::move(list_out_);
  list_out_ = SessionListing{};
  shared_.session_done.store(list_seen_, std::memory_order_release);
}

SessionListing Worker::ListSessionsNow(const SessionQuery& query) {
  list_query_ = query;
  list_out_ = SessionListing{};
  list_cursor_ = 0;
  while (!ListStep(pipeline_->sessions().capacity())) {
  }
  list_out_.stale = config_generation_ != list_query_.generation;
  SessionListing out = std::move(list_out_);
  list_out_ = SessionListing{};
  return out;
}

void Worker::Emit(const RawSessionEvent& e) {
  if (!events_.TryPush(e)) ++events_dropped_;
}

void Worker::Sweep(uint32_t budget) {
  session::SessionTable& table = pipeline_->sessions();
  const bool visit_done = table.VisitOccupied(&sweep_cursor_, budget, [&](uint32_t i) {
    const session::Session& s = table.at(i);
    if (!s.live()) return;
    if (s.route < route_count_.size()) ++route_count_[s.route];
    if ((s.flags & session::kLocalBreakout) == 0 && s.peer < peer_count_.size()) {
      ++peer_count_[s.peer];
      const size_t slot = pipeline_->PathSlot(s.peer, s.peer_path);
      if (slot < path_count_.size()) ++path_count_[slot];
    }
  });
  if (visit_done) {
    peer_sessions_.swap(peer_count_);
    std::fill(peer_count_.begin(), peer_count_.end(), 0);
    path_sessions_.swap(path_count_);
    std::fill(path_count_.begin(), path_count_.end(), 0);
    route_sessions_.swap(route_count_);
    std::fill(route_count_.begin(), route_count_.end(), 0);
  }
}

// Session events come from the pipeline as they happen (pipeline.h SessionObserver): copied into
// the bounded queue, never blocking the worker (a full queue counts events_dropped).
void Worker::OnSession(void* self, const session::Session& s, bool opened) {
  Worker& w = *static_cast<Worker*>(self);
  RawSessionEvent e;
  e.opened = opened;
  e.uuid = s.uuid;
  e.tenant = s.tenant;
  e.service = s.service;
  e.peer = s.peer;
  e.flags = s.flags;
  e.forward = s.forward;
  e.created_ms = s.created_ms;
  e.config_generation = w.config_generation_;
  w.Emit(e);
}

pipeline::PipelineOptions::SteerResult Worker::Steer(void* self, uint32_t owner,
                                                     size_t interface, const io::Frame& frame,
                                                     bool reassembled) {
  using R = pipeline::PipelineOptions::SteerResult;
  Worker& w = *static_cast<Worker*>(self);
  if (frame.length > kHandoffBytes) return R::kTooLarge;
  HandoffFrame* slot = w.options_.handoff->ring(w.options_.id, owner).WriteSlot();
  if (slot == nullptr) return R::kRingFull;
  slot->interface = static_cast<uint16_t>(interface);
  slot->reassembled = reassembled ? 1 : 0;
  slot->length = frame.length;
  std::memcpy(slot->data, frame.data, frame.length);
  w.options_.handoff->ring(w.options_.id, owner).Commit();
  return R::kHandedOff;
}

size_t Worker::DrainHandoff(uint64_t now_ms, uint64_t now_us) {
  HandoffMesh& mesh = *options_.handoff;
  size_t done = 0;
  std::array<io::Frame, io::kMaxBurst> frames;
  for (uint32_t from = 0; from < mesh.workers(); ++from) {
    if (from == options_.id) continue;
    SpscRing<HandoffFrame>& ring = mesh.ring(from, options_.id);
    if (ring.ReadSlot() == nullptr) continue;
    // Frames of our own UMEM; none free (all in flight): the ring keeps them for the next turn.
    const size_t got = umem_->Allocate(frames);
    size_t used = 0;
    while (used < got) {
      const HandoffFrame* in = ring.ReadSlot();
      if (in == nullptr) break;
      io::Frame& f = frames[used];
      if (in->length <= f.capacity) {
        std::memcpy(f.data, in->data, in->length);
        f.length = in->length;
        const size_t interface = in->interface;
        const bool reassembled = in->reassembled != 0;
        ring.Release();
        ++used;
        pipeline_->ProcessHandedOff(interface, f, reassembled, now_ms, now_us);
        ++done;
      } else {
        ring.Release();  // our frames are smaller than the sender's (2048-byte UMEM frames)
        pipeline_->CountHandoffTooLarge();
      }
    }
    if (used < got) umem_->Free(std::span(frames.data() + used, got - used));
  }
  if (done != 0) pipeline_->FlushHandedOff();
  return done;
}

void Worker::SlowPath(uint64_t now_ms) {
  pipeline_->SetWallClockOffset(WallOffsetMs());
  in_run_ = true;  // follows clock adjustments (NTP)
  const uint32_t capacity = pipeline_->sessions().capacity();
  const uint32_t budget = std::max<uint32_t>(64, capacity / kSweepSteps);
  pipeline_->Expire(now_ms, budget);
  Sweep(budget);
}

void Worker::Run(const std::atomic<bool>& stop) {
  if (options_.netns_fd >= 0) setns(options_.netns_fd, CLONE_NEWNET);
  if (options_.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(options_.cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  char name[16];
  snprintf(name, sizeof(name), "ssr-worker-%u", options_.id);
  pthread_setname_np(pthread_self(), name);

  std::vector<pollfd> fds;
  for (const auto& p : ports_) fds.push_back(pollfd{p->fd(), POLLIN, 0});
  uint64_t last_rx_us = 0;
  pipeline_->SetWallClockOffset(WallOffsetMs());
  last_slow_ms_ = last_publish_ms_ = NowMs();
  while (!stop.load(std::memory_order_relaxed)) {
    const uint64_t now_us = NowUs();  // the loop's one clock read
    const uint64_t now = now_us / 1000;
    size_t n = options_.handoff != nullptr ? DrainHandoff(now, now_us) : 0;
    n += pipeline_->Poll(now, now_us);  // now_us: the bursts' start (setup latency)
    ++polls_;
    if (n != 0) last_rx_us = now_us;

    // Control-thread requests: two relaxed loads per iteration, a lock only when one moved.
    const uint64_t creq = shared_.config_request.load(std::memory_order_acquire);
    if (creq != config_seen_) {
      config_seen_ = creq;
      std::shared_ptr<const config::Config> cfg;
      uint64_t generation = 0;
      {
        std::lock_guard<std::mutex> lock(shared_.mu);
        cfg = shared_.pending_config;
        generation = shared_.pending_generation;
      }
      absl::Status st = ReloadNow(std::move(cfg), generation);
      {
        std::lock_guard<std::mutex> lock(shared_.mu);
        shared_.config_result = std::move(st);
      }
      shared_.config_done.store(creq, std::memory_order_release);
    }
    const uint64_t nreq = shared_.neighbor_request.load(std::memory_order_acquire);
    if (nreq != neighbors_seen_) {
      neighbors_seen_ = nreq;
      std::shared_ptr<const std::vector<NeighborEntry>> list;
      {
        std::lock_guard<std::mutex> lock(shared_.mu);
        list = shared_.neighbors;
      }
      if (list != nullptr) ApplyNeighbors(*list);
    }

    const uint64_t lreq = shared_.session_request.load(std::memory_order_acquire);
    if (lreq != list_seen_) {
      list_seen_ = lreq;
      {
        std::lock_guard<std::mutex> lock(shared_.mu);
        list_query_ = shared_.session_query;
      }
      list_out_ = SessionListing{};
      list_out_.sessions.reserve(std::min<size_t>(list_query_.limit, pipeline_->sessions().size()));
      list_cursor_ = 0;
      list_active_ = true;
    }
    if (list_active_ && ListStep(kListSlice)) FinishListing();

    if (now - last_slow_ms_ >= kSlowPathMs) {
      last_slow_ms_ = now;
      SlowPath(now);
    }
    if (now - last_publish_ms_ >= options_.stats_period_ms) {
      last_publish_ms_ = now;
      Publish(false);
    }
    if (!options_.busy_poll && n == 0 && !list_active_) {
      if (now_us - last_rx_us < options_.idle_yield_us) {
        sched_yield();
      } else {
        ++idle_sleeps_;
        poll(fds.data(), fds.size(), kIdleSleepMs);
      }
    }
  }
  Publish(true);
}

}  // namespace ssr::router
