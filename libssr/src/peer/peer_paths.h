// SPDX-License-Identifier: Apache-2.0
// PeerPaths: every peer path of one router, each with its BFD session, link tests, quality and
// NAT / path-metrics observations; the object the router pipeline talks to.
//
// Design note. Paths are built once, in Create, from the router's config: for every peer
// (config::Router::peers) and every one of its paths (config::Peer::paths: a WAN interface and a
// peer address; the local end is the interface's first address of that family), one path, with
// the peer's liveness settings (config::PeerLiveness) over the options' defaults. Paths of one peer are contiguous, discriminators are
// `discriminator_base + path index + 1`, and everything a path needs at run time (names, path id,
// addresses) is stored then; afterwards Receive and Poll never allocate. The object is pure logic:
// frames go out through a FrameSink the pipeline installs (it owns TX), time is the caller's
// millisecond clock (the same reading the PacketCrypto objects get, for time-based HMAC), and
// path status changes reach observers (e.g. the pipeline's path table: a path that goes down is
// not chosen for new sessions) only after the BFD hold-down (bfd_session.h).
//
// Receive demultiplexes by the IP address pair (our waypoint = destination, peer waypoint =
// source), then verifies and decodes with that path's receive PacketCrypto (peer_frame.h), checks
// TLV 14 against the configured peer router name, and feeds the BFD session or the link test; an
// echo from the peer is reflected at once while the BFD session is Up. A peer behind a NAT whose
// packets arrive from an address that is not configured is counted as peer_frame_unknown_path:
// learning paths from NATed sources (§2.13 outbound-only) is not implemented yet; TLV 25 is sent
// (the source we observe) and received (the address the peer observes for us, nat_detected()).
//
// Path Metrics (TLV 26, §5.5 [LIB]) ride on every control packet: colour = (now_ms / 1000) mod 16,
// Tx Time = now_ms mod 2^28, Rx Colour / Rx Time = the peer's latest colour and Tx Time advanced by
// our hold time, Previous Rx Colour Count = packets received from the peer in its previous colour.
// A received Rx Time gives metrics_rtt_ms. Path choice uses the link-test averages (O-18).
//
// Thread-safety: none. One owner calls Poll / Receive / ChoosePath (the control thread, or one
// worker); other workers read path status through the observer's own snapshot.
#ifndef SSR_PEER_PEER_PATHS_H_
#define SSR_PEER_PEER_PATHS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "crypto/packet_crypto.h"
#include "peer/bfd_session.h"
#include "peer/link_test.h"
#include "peer/path_selection.h"
#include "peer/peer_frame.h"
#include "svr/metadata.h"
#include "util/counters.h"

namespace ssr::peer {

struct PeerPathsOptions {
  BfdOptions bfd;
  LinkTestOptions link_test;
  uint32_t discriminator_base = 0x53520000;  // path i uses base + i + 1 (never 0)
  uint8_t dscp = 0;                          // BFD dscp (§5.2)
};

#define SSR_PEER_COUNTERS(X)                                                               \
  X(kRxFrames, "peer_rx_frames", "frames handed to PeerPaths::Receive")                    \
  X(kTxControl, "peer_tx_control", "BFD control packets sent")                             \
  X(kTxEcho, "peer_tx_echo", "link-test echoes sent")                                      \
  X(kEchoReflected, "peer_echo_reflected", "echoes of the peer reflected back")            \
  X(kEchoNotReflected, "peer_echo_not_reflected",                                          \
    "echo of the peer dropped: BFD session not Up or echo reception disabled (rx echo 0)") \
  X(kTxBuildFailed, "peer_tx_build_failed", "a frame could not be built or signed")        \
  X(kTxNoSink, "peer_tx_no_sink", "a frame was due but no FrameSink is installed")         \
  X(kPathUp, "peer_path_up", "path status notified up (after hold-down)")                  \
  X(kPathDown, "peer_path_down", "path status notified down (after hold-down)")            \
  X(kLinkTestsCompleted, "peer_link_tests_completed", "link tests finished")               \
  X(kNatDetected, "peer_nat_detected",                                                     \
    "the peer observes our packets from an address other than our waypoint (TLV 25)")      \
  X(kNatMappingChanged, "peer_nat_mapping_changed",                                        \
    "the address the peer observes for us changed (TLV 25)")

SSR_DEFINE_COUNTER_ENUM(PeerCounter, SSR_PEER_COUNTERS)

// §5.5 state of one path (see the design note).
struct PathMetricsState {
  bool have_rx = false;
  uint8_t last_rx_color = 0;
  uint32_t last_rx_tx_time = 0;
  uint64_t last_rx_at_ms = 0;
  uint16_t rx_in_color = 0;       // packets received in the peer's current colour
  uint16_t rx_in_prev_color = 0;  // ... in its previous colour (sent back as the count)
  std::optional<uint32_t> metrics_rtt_ms;
  uint16_t peer_prev_color_count = 0;  // the count the peer reported for our previous colour
};

struct PeerPath {
  size_t peer = 0;               // index in config::Router::peers
  size_t interface = 0;          // index in config::Router::interfaces
  std::string name;              // config::PeerPathConfig::name
  std::string peer_name;         // config::Peer::name
  std::string peer_router_name;  // name of the peer's router (expected in TLV 14)
  std::string path_id;           // TLV 19: "<peer name>:<local>-><remote>"
  PathEndpoints endpoints;
  BfdSession bfd;
  LinkTest link_test;
  uint32_t vector_cost = 0;
  crypto::PacketCrypto* send_crypto = nullptr;          // not owned; null: no trailer
  crypto::PacketCrypto* receive_crypto = nullptr;       // not owned; null: no trailer expected
  std::optional<util::IpAddress> observed_peer_source;  // IP source of the peer's packets
  std::optional<util::IpAddress> seen_by_peer;          // TLV 25 from the peer
  PathMetricsState metrics;
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;

  PathStatus status() const { return bfd.notified_status(); }
  bool usable() const { return bfd.notified_status() == PathStatus::kUp; }
  const PathQuality& quality() const { return link_test.quality(); }
  bool nat_detected() const { return seen_by_peer && *seen_by_peer != endpoints.local; }
};

struct PathEvent {
  size_t path = 0;
  size_t peer = 0;
  PathStatus status = PathStatus::kDown;  // the newly notified status
  BfdState bfd_state = BfdState::kDown;
  BfdDiag diag = BfdDiag::kNone;
  uint64_t now_ms = 0;
};

// Called for every frame PeerPaths sends; `frame` is valid only during the call (it lives in
// PeerPaths' TX buffer). The sink copies or queues it and must not call back into the same
// PeerPaths (Receive / Poll) from inside the call.
using FrameSink = void (*)(void* context, size_t path, std::span<const uint8_t> frame);
// Called when a path's notified status changes (from Poll / Receive).
using PathObserver = void (*)(void* context, const PathEvent& event);

class PeerPaths {
 public:
  // Builds the paths of config.routers[router_index]. InvalidArgument for bad options (the
  // message names the field), or a router index out of range; FailedPrecondition naming the
  // peer when a peer has no address pair of one family with its interface.
  static absl::StatusOr<std::unique_ptr<PeerPaths>> Create(const config::Config& config,
                                                           size_t router_index,
                                                           const PeerPathsOptions& options);

  PeerPaths(const PeerPaths&) = delete;
  PeerPaths& operator=(const PeerPaths&) = delete;

  // --- setup (not per packet) ---
  void SetFrameSink(FrameSink sink, void* context) {
    sink_ = sink;
    sink_context_ = context;
  }
  void AddObserver(PathObserver observer, void* context) {
    observers_.push_back({observer, context});
  }
  // Crypto of every path of `peer` (the pointers must outlive their use; null = none).
  void SetPeerCrypto(size_t peer, crypto::PacketCrypto* send, crypto::PacketCrypto* receive);
  void SetPathMacs(size_t path, const packet::MacAddress& src, const packet::MacAddress& dst);
  void SetVectorCost(size_t path, uint32_t cost) { paths_[path].vector_cost = cost; }
  void SetAdminDown(size_t path, bool admin_down, uint64_t now_ms) {
    paths_[path].bfd.SetAdminDown(admin_down, now_ms);
  }

  // --- run time (no allocation) ---
  // Runs every path's timers: sends due control packets and echoes, delivers notifications.
  // Returns the earliest deadline at which Poll must run again.
  uint64_t Poll(uint64_t now_ms) noexcept;

  // A frame arrived with UDP destination port 1280 on a WAN interface. Applies it, sends what
  // it calls for (reflected echo, BFD Final), and returns the frame verdict (also counted).
  PeerFrameResult Receive(std::span<const uint8_t> frame, uint64_t now_ms) noexcept;

  // Path for a new session of a service routed to `peer` (§5.6): SelectPath over the peer's
  // paths, `up` = notified status. The index is a path index (path(i)). Only the first 64 paths
  // of a peer are considered (candidates live in a fixed stack array).
  struct Choice {
    std::optional<size_t> path;
    PathChoiceReason reason = PathChoiceReason::kNoPathUp;
  };
  Choice ChoosePath(size_t peer, const ServicePolicy& policy) const noexcept;

  // --- inspection ---
  size_t path_count() const { return paths_.size(); }
  const PeerPath& path(size_t i) const { return paths_[i]; }
  // Paths of `peer`: [first, first + count).
  std::pair<size_t, size_t> PathsOfPeer(size_t peer) const;
  std::optional<size_t> FindPath(const util::IpAddress& local,
                                 const util::IpAddress& remote) const noexcept;
  std::optional<size_t> FindPathByDiscriminator(uint32_t my_discriminator) const noexcept;

  const util::CounterArray<PeerCounter>& counters() const { return counters_; }
  const util::CounterArray<PeerFrameResult>& frame_counters() const { return frame_counters_; }
  const BfdDecodeCounters& bfd_decode_counters() const { return bfd_decode_counters_; }
  const util::CounterArray<BfdReceiveResult>& bfd_receive_counters() const {
    return bfd_receive_counters_;
  }
  const util::CounterArray<EchoDecodeResult>& echo_decode_counters() const {
    return echo_decode_counters_;
  }
  const util::CounterArray<LinkReplyResult>& link_reply_counters() const {
    return link_reply_counters_;
  }
  const util::CounterArray<svr::DecodeResult>& metadata_counters() const {
    return metadata_counters_;
  }

 private:
  PeerPaths(std::string router_name, const PeerPathsOptions& options)
      : router_name_(std::move(router_name)), options_(options) {}

  uint64_t PollPath(size_t i, uint64_t now_ms) noexcept;
  PeerMetadata MetadataFor(const PeerPath& p, bool with_metrics, uint64_t now_ms) const noexcept;
  void Send(size_t i, std::span<const uint8_t> frame) noexcept;
  void Notify(size_t i, uint64_t now_ms) noexcept;
  void NoteMetadata(PeerPath& p, const PeerFrame& f, uint64_t now_ms) noexcept;

  struct Observer {
    PathObserver fn;
    void* context;
  };

  std::string router_name_;
  PeerPathsOptions options_;
  std::vector<PeerPath> paths_;
  std::vector<std::pair<size_t, size_t>> peer_ranges_;  // per config peer: [first, count)
  std::vector<Observer> observers_;
  FrameSink sink_ = nullptr;
  void* sink_context_ = nullptr;
  std::array<uint8_t, 2048> tx_buffer_{};
  util::CounterArray<PeerCounter> counters_;
  util::CounterArray<PeerFrameResult> frame_counters_;
  BfdDecodeCounters bfd_decode_counters_;
  util::CounterArray<BfdReceiveResult> bfd_receive_counters_;
  util::CounterArray<EchoDecodeResult> echo_decode_counters_;
  util::CounterArray<LinkReplyResult> link_reply_counters_;
  util::CounterArray<svr::DecodeResult> metadata_counters_;
};

}  // namespace ssr::peer

#endif  // SSR_PEER_PEER_PATHS_H_
