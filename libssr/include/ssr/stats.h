// SPDX-License-Identifier: Apache-2.0
// ssr::RouterStats: a point-in-time copy of a running router's counters.
//
// Where the numbers come from. Every verdict of the data path increments a named counter: the
// XDP gate counts per reason in per-CPU BPF maps (read when Router::Stats() is called); each
// worker owns its pipeline, policy, crypto, session, parse, decode and AF_XDP socket counters
// (plain integers, no atomics on the packet path) and copies them into a snapshot slot about
// every RouterOptions::stats_period (100 ms by default) and once more when it stops. Stats()
// sums those snapshots, so worker counters may lag by up to one period while the router runs
// and are exact after Stop(). Counter names are the ones the layers define (see
// docs / each layer's counter list); a counter that never moved is still listed, with 0.
//
// A RouterStats is a plain value: copy it, keep it, read it from any thread.
#ifndef SSR_STATS_H_
#define SSR_STATS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ssr/export.h"

namespace ssr {
inline namespace v0 {

/// One named counter.
struct CounterValue {
  /// Counter name as its layer defines it ("drop_non_member", "rx_packets", ...).
  std::string name;
  /// Its value (packets or events since the router was created).
  uint64_t value = 0;
  bool is_drop = false;  // the counter counts packets that were dropped
  // What the counter counts: the help text of the layer's counter list (SSR_GATE_REASONS,
  // SSR_PIPELINE_COUNTERS, ...); empty for values that are not from such a list (Flatten()).
  std::string help{};
};

// One router interface (summed over its queues / workers).
struct InterfaceStats {
  std::string name;        // config interface name
  std::string os_name;     // Linux interface it is bound to
  std::string role;        // "lan" or "wan"
  std::string xdp_mode;    // attach mode of the gate obtained from the kernel: "native" or "skb"
  bool zero_copy = false;  // AF_XDP sockets bound zero-copy (false: copy mode)
  uint32_t queues = 0;     // RX queues, each served by an AF_XDP socket of one worker
  /// The worker serving each RX queue (index: queue number): queue q goes to worker q mod the
  /// worker count (docs/architecture.md "Workers and queues").
  std::vector<uint32_t> queue_workers;
  // AF_XDP socket counters ("xsk_rx_packets", ...) and the kernel's own socket counters
  // ("kernel_rx_dropped", "kernel_rx_ring_full", ...: frames redirected to a socket that did not
  // take them; counted as drops).
  std::vector<CounterValue> counters;
};

// One configured peer of the router.
// One peer path as worker 0's peer layer sees it (RouterOptions::peer_liveness, docs/protocol.md
// §5.1-§5.7); refreshed with the counters.
struct PeerPathStats {
  std::string name;       // config name of the path (PeerPath.name, or "<interface>:<address>")
  std::string interface;  // config name of our WAN interface on this path
  std::string local;   // our waypoint address
  std::string remote;  // the peer's waypoint address
  // Whether new sessions may take the path (down only after BFD, having come up, failed).
  bool up = true;
  std::string bfd_state;  // RFC 5880 state of the path's BFD session: "Up", "Down", "Init", ...
  // Link-test averages (§5.4), valid when quality_measured.
  bool quality_measured = false;
  /// Link-test average latency, milliseconds.
  double latency_ms = 0;
  /// Link-test average jitter, milliseconds.
  double jitter_ms = 0;
  /// Link-test loss, percent.
  double loss_percent = 0;
  /// Mean opinion score computed from the link test.
  double mos = 0;
  uint64_t tx_frames = 0;  // BFD and link-test frames sent on the path
  uint64_t rx_frames = 0;  // ... and received
  // Times the path went down or came up since the router started (as published to the workers).
  uint64_t status_changes = 0;
  // Live sessions on the path (all workers; from the same sweep as PeerStats::sessions).
  uint64_t sessions = 0;
};

// One service route of the router (config Router.service_routes).
struct RouteStats {
  /// Config name of the route.
  std::string name;
  /// Service the route serves.
  std::string service;
  std::string target;  // "peer <name>" or "next-hop <interface>"
  // Live sessions the route carries (all workers; from the background sweep, ~1 s old).
  uint64_t sessions = 0;
};

/// One configured peer of the router.
struct PeerStats {
  /// Config name of the peer.
  std::string name;
  std::string interface;               // config name of the WAN interface of the first path
  std::vector<std::string> addresses;  // the peer's waypoint addresses
  // Live sessions toward this peer, counted by each worker's background sweep of its session
  // table (refreshed about once per second; exact only when the table is idle).
  uint64_t sessions = 0;
  // The peer's paths (config order; BFD fields stay at their defaults when peer liveness is off).
  std::vector<PeerPathStats> paths;
};

// Sessions of one service that this router opened as the first router (all workers; reset for
// the workers by a reload, so compare with care across one).
struct ServiceStats {
  /// Service name in the config.
  std::string name;
  /// Sessions of the service this router opened.
  uint64_t sessions_opened = 0;
  uint64_t sessions_refused = 0;  // table or tenant limit, no waypoint pair
  uint64_t no_usable_path = 0;    // no route of the service was usable (no_route / no_usable_route / no_path_meets_sla)
  // First-packet latency through this router (docs/operations.md "WAN assurance"): for every
  // packet that created a session of the service here (as the first router, a waypoint or the
  // egress router) and was handed to a TX ring, the time from the start of the worker loop turn
  // that received its burst to the submission of its TX descriptor, in a log2 histogram of
  // microseconds: buckets[0] counts latencies ≤ 1 µs, buckets[i] those in (2^(i-1), 2^i] µs, the
  // last bucket those above 2^(kBuckets-2) µs (~4.2 s). Summed over the workers; reset for a
  // worker by a reload, like the counters above.
  struct SetupLatency {
    /// Number of buckets.
    static constexpr size_t kBuckets = 24;
    /// Sessions per bucket (see above for the bucket bounds).
    std::array<uint64_t, kBuckets> buckets{};
    uint64_t count = 0;   // sessions measured (the sum of the buckets)
    uint64_t sum_us = 0;  // their latencies added up
  };
  /// First-packet (setup) latency of this service's sessions here.
  SetupLatency setup_latency{};
};

/// One worker thread (one receive queue of every interface).
struct WorkerStats {
  /// Worker index (also its first receive queue on every interface).
  uint32_t id = 0;
  int cpu = -1;  // CPU the worker is pinned to, -1 when not pinned
  /// Packets the worker received.
  uint64_t rx_packets = 0;
  /// Packets the worker sent.
  uint64_t tx_packets = 0;
  uint64_t sessions = 0;     // live sessions in this worker's table
  uint64_t polls = 0;        // loop iterations
  uint64_t idle_sleeps = 0;  // times the worker slept waiting for packets
  uint64_t cpu_ns = 0;       // CPU time the worker thread used (as of its last counter copy)
  // Flow steering (docs/protocol.md §2.10.2): frames this worker handed to the worker owning
  // their flow, frames it received that way, and frames dropped because the owner's ring was full.
  uint64_t handoff_sent = 0;
  /// Frames other workers handed to this one.
  uint64_t handoff_received = 0;
  /// Frames dropped because the owning worker's handoff ring was full.
  uint64_t handoff_ring_full = 0;
  /// RX queues this worker serves on each interface (RouterStats::interfaces order): id, id +
  /// workers, id + 2 x workers, ...; the first one also carries the worker's transmissions there.
  std::vector<std::vector<uint32_t>> rx_queues;
};

// WAN assurance (docs/operations.md "WAN assurance"): service-level experience over a window.
struct HealthItem {
  std::string scope;       // "gateway", "path" or "service"
  std::string name;        // "" for the gateway, "<peer>/<path>" for a path, the service name
  double sle_percent = 100;  // good share of the window, 0-100
  std::string classifier;  // what cost the most ("drops", "loss", "no usable path", ...); "" = none
  uint64_t samples = 0;    // seconds in the window that counted
};
/// The SLEs of the gateway, every path and every service (Router::Health).
struct HealthReport {
  /// Length of the window the SLEs cover, seconds.
  uint32_t window_seconds = 0;
  std::vector<HealthItem> items;  // gateway first, then paths, then services
};

/// Everything Router::Stats() returns (see the file comment for how fresh it is).
struct SSR_EXPORT RouterStats {
  /// Router name in the config.
  std::string router;
  // 1 for the config the router was created with, +1 for every successful Reload.
  uint64_t config_generation = 0;
  /// true while the workers run.
  bool running = false;
  uint64_t sessions_live = 0;  // sum over workers
  // The router-wide count the workers admit sessions against (limits.max_sessions): exact at the
  // time of the dump, where sessions_live sums per-worker snapshots taken up to ~100 ms apart.
  uint64_t sessions_budgeted = 0;

  std::vector<CounterValue> gate;      // XDP gate, per reason ("drop_non_member", ...)
  std::vector<CounterValue> pipeline;  // forwarding path ("rx_packets", "no_neighbor", ...)
  std::vector<CounterValue> policy;    // first-packet verdicts ("policy_allow", ...)
  std::vector<CounterValue> crypto;    // HMAC / cipher results
  std::vector<CounterValue> session;   // session table ("session_inserted", ...)
  std::vector<CounterValue> parse;     // frame parser results
  std::vector<CounterValue> decode;    // metadata decoder results
  /// Per interface of the router, config order.
  std::vector<InterfaceStats> interfaces;
  /// Per configured peer.
  std::vector<PeerStats> peers;
  /// Per service route.
  std::vector<RouteStats> routes;
  /// Per service.
  std::vector<ServiceStats> services;
  // Session table capacity of the router (the config's limits.max_sessions, all workers).
  uint64_t session_capacity = 0;
  // WAN assurance as of the last sample (Router::Health()).
  HealthReport health;
  /// Per worker thread.
  std::vector<WorkerStats> workers;

  /// Successful Reload() calls.
  uint64_t reloads_ok = 0;
  /// Reload() calls that were refused (the old config kept running).
  uint64_t reloads_failed = 0;
  /// Session events handed to RouterOptions::on_session.
  uint64_t session_events_delivered = 0;
  // Session events lost because a worker's bounded event queue was full (the worker never
  // waits for the callback thread).
  uint64_t session_events_dropped = 0;
  uint64_t neighbor_refreshes = 0;  // kernel neighbour-table reads applied to the workers
  // Kernel resolutions asked for next hops without a MAC (configured next hops the kernel does
  // not know, and hosts a worker found no MAC for, each at most once per second).
  uint64_t neighbor_kicks = 0;

  // Every numeric value as "group.name" pairs, in a stable order: "gate.<reason>",
  // "pipeline.<counter>", "policy.<verdict>", "crypto.<counter>", "session.<counter>",
  // "parse.<result>", "decode.<result>", "sessions.live", "xsk.<interface>.<counter>",
  // "peer.<name>.sessions", "peer.<name>.path.<i>.<field>" (up, bfd_up, latency_us, jitter_us,
  // loss_ppm, mos_x100, tx_frames, rx_frames, status_changes, sessions),
  // "route.<name>.sessions", "service.<name>.{opened,refused,no_path}", "worker.<id>.<field>",
  // "router.<field>".
  std::vector<CounterValue> Flatten() const;
  // One value of Flatten() by name; 0 when there is no such name.
  uint64_t Get(std::string_view flat_name) const;
  // Sum of the gate's drop_* reasons and the pipeline counters documented as drops.
  uint64_t TotalDrops() const;
  // The non-zero drop counters behind TotalDrops(), as "gate_<reason>" / "pipeline_<counter>".
  std::vector<CounterValue> NonZeroDrops() const;
};

// One live session as Router::Sessions lists it. Times are the worker's clock (CLOCK_MONOTONIC
// milliseconds); age_ms and idle_ms are relative to the moment the listing was made.
struct SessionInfo {
  /// Worker whose table holds the session.
  uint32_t worker = 0;
  std::string uuid;  // RFC 4122 text; all zeros for local breakout (no SVR session)
  /// Tenant of the session's source.
  std::string tenant;
  /// Service the session belongs to.
  std::string service;
  std::string peer;      // empty for local breakout (next hop on a LAN)
  uint8_t protocol = 0;  // IP protocol of the forward flow (6 TCP, 17 UDP, 1 / 58 ICMP)
  // The forward flow as the router receives it (the first packet's direction) ...
  std::string source;
  uint16_t source_port = 0;  // ICMP echo: the identifier
  /// Destination address of the forward flow.
  std::string destination;
  /// Destination port of the forward flow.
  uint16_t destination_port = 0;
  // ... and the reverse flow (what the answers look like when they arrive: on the WAN side for
  // an SVR session, the peer's waypoints).
  std::string reverse_source;
  /// Source port of the reverse flow.
  uint16_t reverse_source_port = 0;
  /// Destination address of the reverse flow.
  std::string reverse_destination;
  /// Destination port of the reverse flow.
  uint16_t reverse_destination_port = 0;
  std::string tcp_state;  // "none", "syn_sent", "established", ... (TCP only; else "none")
  bool answered = false;  // a reverse packet was seen
  /// The session leaves through a LAN next hop, not to a peer.
  bool local_breakout = false;
  bool encrypted = false;  // payload encrypted end to end
  /// When the session was created (worker clock, ms).
  uint64_t created_ms = 0;
  /// When the session last saw a packet (worker clock, ms).
  uint64_t last_activity_ms = 0;
  /// How old the session was when listed, ms.
  uint64_t age_ms = 0;
  /// How long the session had been idle when listed, ms.
  uint64_t idle_ms = 0;
};

// Which sessions Router::Sessions returns: every field that is not empty must match. tenant,
// service and peer are names of the running config; address is an IP address or prefix
// ("10.1.0.0/16") that any address of either flow of the session must fall in.
struct SessionFilter {
  /// Tenant name (exact).
  std::string tenant;
  /// Service name (exact).
  std::string service;
  /// Peer name (exact).
  std::string peer;
  /// IP address or prefix that an address of either flow must fall in.
  std::string address;
};

/// The result of Router::Sessions.
struct SessionList {
  std::vector<SessionInfo> sessions;  // by worker, then table slot order
  // The limit stopped the listing: more sessions match than were returned.
  bool truncated = false;
  uint64_t config_generation = 0;  // the config the names come from
};

}  // namespace v0
}  // namespace ssr

#endif  // SSR_STATS_H_
