// SPDX-License-Identifier: Apache-2.0
// ssr::Router: the embedding API of libssr — one SVR router on Linux interfaces.
//
// What a Router is. Router::Create loads the XDP gate (deny by default at the NIC) and attaches
// it to every interface of one router of a Config, creates one worker per receive queue (an AF_XDP
// socket per interface on that queue, a UMEM, and a forwarding pipeline with its own session
// table), and checks everything it can before returning: an object that exists is ready to Start.
// Start() runs the workers (one thread each, pinned to a CPU when there are enough CPUs) and a
// control thread; Stop() ends them. Destroying the Router detaches the gate from every interface
// and frees the sockets and memory.
//
//   auto config = ssr::Config::LoadFile("router.textproto");            // or Config::Default()
//   ssr::RouterOptions options;
//   options.router = "branch";
//   options.interfaces = {{"lan0", "eth1"}, {"wan0", "eth2"}};
//   auto router = ssr::Router::Create(options, *config);                 // ssr::Result
//   (*router)->Start();
//   ... (*router)->Reload(new_config); (*router)->Stats(); ...
//   (*router)->Stop();
//
// Interfaces: options.interfaces must map every interface of the router in the config to a Linux
// interface (names may differ). The Linux interfaces carry the config's addresses in the kernel
// too: ARP / neighbour discovery and traffic to the router's own addresses are passed to the
// kernel by the gate. The worker learns next-hop MAC addresses from received frames and from the
// kernel's neighbour table (read once per second); when a peer or a next hop is unknown to the
// kernel, the control thread sends one UDP datagram (port 9, discard) toward it so the kernel
// resolves it.
//
// Network namespace: all threads, sockets and netlink queries of a Router run in the network
// namespace of the thread that called Create(), whatever thread later calls Start().
//
// Thread-safety: Start, Stop, Reload and Stats may be called from any thread, concurrently;
// they serialise on an internal mutex (Stats only briefly). They must not be called from inside
// a session callback (a callback runs on the control thread, which Stop joins). The destructor
// must not race with any other call.
//
// Failure behaviour: every error is an ssr::Status (ssr/status.h) whose message names the field or
// interface at fault. Reload is atomic: a config that fails validation, names no such router,
// changes the router's interface list, or cannot be loaded into the gate or the pipelines is
// rejected with its errors and the old config keeps running unchanged.
//
// Limits of this version: peer liveness (BFD) is not run by the Router (peers are treated as
// reachable). Session open/close events are reported as they happen by the workers' pipelines
// and delivered from a control thread (never on a worker); if a worker's event queue is full the
// event is dropped and counted (RouterStats, router.events_dropped), never waited for.
#ifndef SSR_ROUTER_H_
#define SSR_ROUTER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ssr/config.h"
#include "ssr/export.h"
#include "ssr/stats.h"
#include "ssr/status.h"
#include "ssr/version.h"
#include "ssr/xdp_mode.h"

namespace ssr {
inline namespace v0 {

// How the XDP gate is attached: XdpMode (ssr/xdp_mode.h), requested for every interface; with
// kAuto each interface gets native mode if its driver supports it, otherwise skb, and its AF_XDP
// sockets follow the mode obtained on that interface (RouterStats: InterfaceStats::xdp_mode).
// How AF_XDP sockets bind: zero-copy when possible, zero-copy or fail, always copy.
enum class ZeroCopy { kAuto, kRequire, kOff };

/// Binds an interface of the router in the config to a Linux interface.
struct InterfaceBinding {
  std::string config_name;  // interface of the router in the config
  std::string os_name;      // Linux interface (in the creating thread's network namespace)
};

// A session opened or closed by a worker, as reported to RouterOptions::on_session.
struct SessionEvent {
  /// Whether the session was opened or closed.
  enum class Kind { kOpened, kClosed };
  /// Opened or closed.
  Kind kind = Kind::kOpened;
  /// Worker (receive queue) whose table holds the session.
  uint32_t worker = 0;
  std::string uuid;  // RFC 4122 text; the same in the kOpened and kClosed event of a session
  // The fields below are filled for both kinds (local-breakout sessions have no UUID: empty).
  std::string tenant;
  /// Service the session belongs to.
  std::string service;
  std::string peer;      // empty for local breakout (next hop on a LAN)
  uint8_t protocol = 0;  // IP protocol of the first packet (6 TCP, 17 UDP, 1 / 58 ICMP)
  std::string source;    // forward flow as the router received it
  /// Source port (ICMP echo: the identifier).
  uint16_t source_port = 0;
  /// Destination address of the forward flow.
  std::string destination;
  /// Destination port (0 for ICMP).
  uint16_t destination_port = 0;
  uint64_t created_ms = 0;  // worker clock (CLOCK_MONOTONIC milliseconds)
};

// Called on the router's control thread, never on a worker. It may take its time (events queue
// up behind it, bounded; overflow is counted in RouterStats::session_events_dropped) but must not
// call Start, Stop or the destructor of the Router that calls it.
using SessionCallback = std::function<void(const SessionEvent&)>;

// A peer path went down or came up (docs/protocol.md §5.7): BFD, after its hold-down, changed
// the path's status, and the router's workers now act on it (new sessions avoid a path that is
// down, sessions on it fail over as their service policy says).
struct PathEvent {
  std::string peer;       // config name of the peer
  std::string path;       // config name of the path (PeerPath.name, or "<interface>:<address>")
  std::string interface;  // config name of our WAN interface on the path
  std::string remote;     // the peer's waypoint address on the path
  /// true: the path came up; false: it went down.
  bool up = false;
  // The path's link-test averages at the time (valid when quality_measured).
  bool quality_measured = false;
  /// Link-test average latency, milliseconds.
  double latency_ms = 0;
  /// Link-test average jitter, milliseconds.
  double jitter_ms = 0;
  /// Link-test loss, percent.
  double loss_percent = 0;
  /// Mean opinion score computed from the link test (1 to 4.5).
  double mos = 0;
};
// Called on the router's control thread (within about 20 ms of the change), like
// SessionCallback; the change is also logged (component "paths") whether or not one is set.
using PathCallback = std::function<void(const PathEvent&)>;

/// How Router::Create builds a router: which router of the config, on which interfaces, and how.
struct RouterOptions {
  std::string router;                        // router name in the config (required)
  std::vector<InterfaceBinding> interfaces;  // every interface of that router (required)
  /// XDP attach mode requested for every interface (see XdpMode).
  XdpMode xdp_mode = XdpMode::kAuto;
  /// Whether the AF_XDP sockets bind zero-copy (see ZeroCopy).
  ZeroCopy zero_copy = ZeroCopy::kAuto;
  // Worker threads. Every RX queue of every interface is served: worker w takes queues w,
  // w + workers, w + 2 x workers, ... (an AF_XDP socket each; docs/architecture.md "Workers and
  // queues"). An interface with fewer queues than workers is refused (FailedPrecondition naming
  // it and its queue count). 0: the smallest RX queue count of the interfaces (1 for a driver
  // that does not report channels).
  uint32_t workers = 0;
  // Pin worker i to the i-th CPU of the process's affinity mask when workers <= CPUs.
  bool pin_workers = true;
  // Peer liveness (docs/protocol.md §5.1, §5.7): worker 0 runs BFD (SVR's defaults: 1 s, x3,
  // 5 s hold-down; per peer: Peer.liveness in the config) and link tests on every peer path
  // through its AF_XDP ports; every worker applies the status and quality it measures: a path
  // that is down (or out of a service's SLA) is avoided by new sessions, and its sessions move
  // to another path of the peer as their service policy says (ServicePolicy.session_resiliency).
  // Paths count as up until BFD, once up on them, says otherwise, so a peer without BFD keeps
  // working. BFD frames the NIC hands to other workers than worker 0 are dropped (counted
  // peer_liveness). false: no BFD is sent and received UDP 1280 from peers is dropped (counted).
  bool peer_liveness = true;
  // Session table size of each worker. 0: the config's limits.max_sessions. The config's
  // max_sessions and max_sessions_per_tenant hold for all workers together either way
  // (docs/protocol.md §2.10.1 "Router-wide limits").
  uint32_t max_sessions_per_worker = 0;
  // AF_XDP memory and ring depths of each worker. The fill frames of an interface (half its
  // fill ring) are what the kernel can queue for a worker that is not running: when a worker
  // shares its core with whatever feeds it (another router, an appliance's threads, the
  // receive softirq), the scheduler lets the feeder run for a whole tick (4 ms at HZ=250) and
  // everything beyond those frames is dropped after the kernel has already paid for receiving
  // it. The defaults, 32768 frames (128 MiB per worker) / 8192 / 8192 / 64, hold 4096 frames
  // per interface, about 4 ms at a million packets a second, and cover up to 7 interfaces;
  // bench/run ring_sweep measured them against shallower and deeper rings (bench/RESULTS.md
  // "Ring depth and batch size"): at 4096 / 2048 / 2048 a flood cut two routers sharing a core
  // to half their PDR, with these they keep it. Routers with cores of their own need less.
  // Router::Create checks each one (InvalidArgument naming the field and the value).
  //
  // Frames in each worker's AF_XDP memory (4096-byte frames: frames_per_worker x 4 KiB that the
  // kernel pins, per worker), 256 to 1048576. Every interface keeps half its fill ring
  // (fill_ring_size / 2 frames) given to the kernel for receiving, and a received burst (up to
  // 64 frames) is in the pipeline while the fill rings are topped up again, so at least
  // interfaces x fill_ring_size / 2 + 64 frames (2 x 4096 + 64 = 8256 with the defaults); with
  // fewer, the last interfaces' fill rings would start short or empty. Frames beyond that are
  // what transmits in flight (TX and completion rings) draw on.
  uint32_t frames_per_worker = 32768;
  // Fill and completion ring entries of each interface (per worker), a power of two from 64 to
  // 16384 and not more than frames_per_worker. Half of it is kept filled (see above).
  uint32_t fill_ring_size = 8192;
  // RX and TX ring entries of each AF_XDP socket (one per interface and worker), a power of two
  // from 64 to 16384.
  uint32_t rx_ring_size = 8192;
  // RX descriptors a worker takes from a socket per receive (its burst), 1 to 64. Smaller bursts
  // send the first packets of a burst on sooner but spread each poll's fixed cost over fewer
  // packets.
  uint32_t rx_batch = 64;
  // false: a worker without packets yields its CPU (sched_yield) for `idle_yield` (2 ms by
  // default) after the last packet, then sleeps in poll() on its sockets (up to 1 ms at a time)
  // until traffic resumes; an idle router thus uses no CPU, and a busy one sharing a core is not
  // woken per burst. (A worker that sees a packet at least every `idle_yield`, e.g. above ~500
  // packets/s with the default, never sleeps: it shows as busy in top while giving the CPU to
  // any other runnable thread.)
  // true: workers spin (lowest latency, 100% of a core each, even when idle).
  bool busy_poll = false;
  // How long an idle worker yields its CPU after the last received packet before sleeping in
  // poll() (see busy_poll; ignored when busy_poll is true). 0: sleep in poll() as soon as the
  // rings are empty, so an idle core is really idle (what a CPU-time-per-packet measurement
  // needs), at the cost of a kernel wake-up for each burst. From 0 to 1 s.
  std::chrono::microseconds idle_yield{2000};
  // How often each worker copies its counters for Stats().
  std::chrono::milliseconds stats_period{100};
  // Session events (see SessionCallback). Empty: no events are recorded.
  SessionCallback on_session;
  size_t session_event_queue = 4096;  // per worker
  // Peer path status changes (see PathCallback). Empty: they are only logged.
  PathCallback on_path_change;
  // WAN assurance window (Health()): 10 s to 1 h. One sample per second.
  std::chrono::seconds health_window{300};
};

/// One SVR router on Linux interfaces (see the file comment): Create, Start, Reload, Stats, Stop.
class SSR_EXPORT Router {
 public:
  // Checks the options against `config` and builds the router without starting it. Errors:
  // NotFound (no such router: the message lists the routers there are), InvalidArgument (an
  // interface binding missing, unknown or duplicated, workers, frames_per_worker, a ring size,
  // rx_batch or idle_yield out of range),
  // FailedPrecondition (a Linux interface missing or with too few queues, or its XDP gate owned
  // by a running router: the message names its pid), PermissionDenied /
  // Unavailable (no CAP_BPF / CAP_NET_ADMIN, no AF_XDP, the kernel refused the XDP mode or
  // zero-copy; when another XDP program is in the way, the message names it and DetachXdp /
  // `ssr-router --cleanup`).
  // An XDP gate that a router which no longer runs left attached (after kill -9; a gate whose
  // maps no process holds) is detached and replaced, with a warning logged.
  static Result<std::unique_ptr<Router>> Create(const RouterOptions& options,
                                                const Config& config);
  // Stops if running, detaches the gate, frees sockets and memory.
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Starts the worker and control threads. FailedPrecondition if already running; Internal if a
  // thread could not be created (then nothing runs). After Start returns, the gate redirects
  // allowed traffic to the workers.
  Status Start();
  // Stops the threads and waits for them (within about a millisecond plus the time a session
  // callback in progress needs). Idempotent. Gate and sockets stay in place until the Router is
  // destroyed, so while stopped the traffic the gate lets through is not forwarded (it fills the
  // sockets' receive rings, then the kernel drops it); Start may be called again.
  void Stop();
  /// true between a successful Start() and Stop().
  bool running() const;

  // Replaces the config atomically (see the header comment). Sessions survive when their tenant,
  // service and peer still exist. Waits until every worker runs the new config (or, when
  // stopped, applies it directly). Errors carry every validation error, one per line.
  Status Reload(const Config& config);

  // Counters now (see ssr/stats.h for how fresh they are).
  RouterStats Stats() const;
  // WAN assurance now (docs/operations.md "WAN assurance"): SLEs of the gateway, every peer path
  // and every service over the last RouterOptions::health_window, sampled once per second by
  // the control thread while the router runs.
  HealthReport Health() const;

  // The config the router runs.
  Config config() const;
  /// The options the router was created with.
  const RouterOptions& options() const;

  // Live sessions matching `filter` (ssr/stats.h), at most `limit` (1 to kMaxSessionListing)
  // over all workers. Each worker copies its own sessions between packet bursts, a slice of its
  // table per loop iteration, so packets keep flowing and no session is seen half-updated; the
  // list is not a point-in-time picture: sessions opened or closed during the listing (a few ms
  // per million table slots) may or may not be in it. When stopped, the tables are read
  // directly. Serialises with Start / Stop / Reload. Errors: InvalidArgument (limit, address),
  // NotFound (no such tenant, service or peer: named), DeadlineExceeded (a worker did not answer
  // within 5 s).
  static constexpr size_t kMaxSessionListing = 100000;
/// Lists live sessions: see kMaxSessionListing above for what the listing is and its errors.
  Result<SessionList> Sessions(const SessionFilter& filter, size_t limit) const;

 private:
  struct Impl;  // defined in the library
  explicit Router(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Detaches every XDP program (any mode, libxdp dispatchers and legacy attachments) from each of
// the Linux interfaces `os_interfaces` in the calling thread's network namespace — the clean-up
// after a router process was killed (Router::Create takes over a killed router's own gate by
// itself; this also removes programs that are not libssr gates). An interface without a program is not an error; a missing
// interface is (NotFound, named). All interfaces are tried; the first error is returned.
SSR_EXPORT Status DetachXdp(const std::vector<std::string>& os_interfaces);

// The library's version, "MAJOR.MINOR.PATCH" (SSR_VERSION_STRING of ssr/version.h, generated
// from project(VERSION)). Compare with SSR_VERSION_STRING to detect a header/library mismatch.
SSR_EXPORT std::string_view Version();

}  // namespace v0
}  // namespace ssr

#endif  // SSR_ROUTER_H_
