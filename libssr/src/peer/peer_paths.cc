// SPDX-License-Identifier: Apache-2.0
#include "peer/peer_paths.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "packet/parser.h"

namespace ssr::peer {

namespace {
constexpr uint32_t kTimeMask28 = (1u << 28) - 1;
constexpr uint64_t kColorPeriodMs = 1000;  // §5.5: colour advances every 1 s
constexpr size_t kMaxPathsPerChoice = 64;

std::string_view AsView(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace

absl::StatusOr<std::unique_ptr<PeerPaths>> PeerPaths::Create(const config::Config& config,
                                                             size_t router_index,
                                                             const PeerPathsOptions& options) {
  if (router_index >= config.routers.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "router index ", router_index, " is not below the router count ", config.routers.size()));
  }
  if (absl::Status s = ValidateBfdOptions(options.bfd); !s.ok()) return s;
  if (absl::Status s = ValidateLinkTestOptions(options.link_test); !s.ok()) return s;
  if (options.dscp > 63) {
    return absl::InvalidArgumentError(
        absl::StrCat("bfd.dscp: ", options.dscp, " is outside 0..63"));
  }
  const config::Router& router = config.routers[router_index];
  std::unique_ptr<PeerPaths> self(new PeerPaths(router.name, options));
  for (size_t pi = 0; pi < router.peers.size(); ++pi) {
    const config::Peer& peer = router.peers[pi];
    const std::string where = absl::StrCat("routers[", router_index, "] (", router.name, ").peers[",
                                           pi, "] (", peer.name, ")");
    if (peer.router >= config.routers.size()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": router index out of range"));
    }
    // The peer's liveness settings over the options' (config::PeerLiveness: 0 keeps them).
    BfdOptions bfd = options.bfd;
    LinkTestOptions link_test = options.link_test;
    const config::PeerLiveness& live = peer.liveness;
    if (live.bfd_interval_ms != 0) {
      bfd.desired_min_tx_ms = live.bfd_interval_ms;
      bfd.required_min_rx_ms = live.bfd_interval_ms;
    }
    if (live.bfd_multiplier != 0) bfd.multiplier = static_cast<uint8_t>(live.bfd_multiplier);
    if (live.hold_down_ms != 0) bfd.hold_down_ms = live.hold_down_ms;
    if (live.link_test_interval_ms != 0) {
      link_test.interval_ms = live.link_test_interval_ms;
      link_test.reply_timeout_ms = std::min(link_test.reply_timeout_ms, live.link_test_interval_ms);
    }
    if (live.link_test_count != 0) link_test.length = live.link_test_count;
    if (absl::Status s = ValidateBfdOptions(bfd); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".liveness: ", s.message()));
    }
    if (absl::Status s = ValidateLinkTestOptions(link_test); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".liveness: ", s.message()));
    }
    const size_t first = self->paths_.size();
    // One path per configured path (config::Peer::paths), in order: path i of the peer here is
    // path i of the pipeline's PeerState. The local end is the interface's first address of the
    // remote's family.
    for (const config::PeerPathConfig& cp : peer.paths) {
      if (cp.interface >= router.interfaces.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": path \"", cp.name, "\": interface index out of range"));
      }
      const config::Interface& itf = router.interfaces[cp.interface];
      const util::IpAddress* local = nullptr;
      for (const config::InterfaceAddress& a : itf.addresses) {
        if (a.address.family() == cp.address.family()) {
          local = &a.address;
          break;
        }
      }
      if (local == nullptr) {
        return absl::FailedPreconditionError(
            absl::StrCat(where, ": no address of interface \"", itf.name,
                         "\" has the family of peer address ", cp.address.ToString(),
                         ", so path \"", cp.name, "\" cannot exist"));
      }
      const util::IpAddress& remote = cp.address;
      {
        const size_t index = self->paths_.size();
        const uint32_t discriminator =
            options.discriminator_base + static_cast<uint32_t>(index) + 1;
        if (discriminator == 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "discriminator_base: ", options.discriminator_base, " wraps to 0 at path ", index));
        }
        PeerPath p;
        p.peer = pi;
        p.interface = cp.interface;
        p.name = cp.name;
        p.peer_name = peer.name;
        p.peer_router_name = config.routers[peer.router].name;
        p.path_id = absl::StrCat(peer.name, ":", local->ToString(), "->", remote.ToString());
        if (p.path_id.size() > kMaxPeerNameLength) p.path_id.resize(kMaxPeerNameLength);
        if (p.peer_router_name.size() > kMaxPeerNameLength ||
            router.name.size() > kMaxPeerNameLength) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": router names longer than ", kMaxPeerNameLength, " bytes"));
        }
        p.endpoints.local = *local;
        p.endpoints.remote = remote;
        p.endpoints.dscp = options.dscp;
        p.vector_cost = cp.cost;
        p.bfd = BfdSession(discriminator, bfd);
        p.link_test = LinkTest(discriminator, link_test);
        self->paths_.push_back(std::move(p));
      }
    }
    if (self->paths_.size() == first) {
      return absl::FailedPreconditionError(absl::StrCat(where, ": the peer has no path"));
    }
    self->peer_ranges_.emplace_back(first, self->paths_.size() - first);
  }
  return self;
}

void PeerPaths::SetPeerCrypto(size_t peer, crypto::PacketCrypto* send,
                              crypto::PacketCrypto* receive) {
  const auto [first, count] = PathsOfPeer(peer);
  for (size_t i = first; i < first + count; ++i) {
    paths_[i].send_crypto = send;
    paths_[i].receive_crypto = receive;
  }
}

void PeerPaths::SetPathMacs(size_t path, const packet::MacAddress& src,
                            const packet::MacAddress& dst) {
  paths_[path].endpoints.src_mac = src;
  paths_[path].endpoints.dst_mac = dst;
}

std::pair<size_t, size_t> PeerPaths::PathsOfPeer(size_t peer) const {
  if (peer >= peer_ranges_.size()) return {0, 0};
  return peer_ranges_[peer];
}

std::optional<size_t> PeerPaths::FindPath(const util::IpAddress& local,
                                          const util::IpAddress& remote) const noexcept {
  for (size_t i = 0; i < paths_.size(); ++i) {
    if (paths_[i].endpoints.local == local && paths_[i].endpoints.remote == remote) return i;
  }
  return std::nullopt;
}

std::optional<size_t> PeerPaths::FindPathByDiscriminator(uint32_t d) const noexcept {
  const uint32_t index = d - options_.discriminator_base - 1;
  if (d == 0 || index >= paths_.size()) return std::nullopt;
  return index;
}

PeerMetadata PeerPaths::MetadataFor(const PeerPath& p, bool with_metrics,
                                    uint64_t now_ms) const noexcept {
  PeerMetadata m;
  m.source_router_name = router_name_;
  m.peer_path_id = p.path_id;
  m.observed_source = p.observed_peer_source;
  if (with_metrics) {
    svr::PathMetrics pm;
    pm.tx_color = static_cast<uint8_t>((now_ms / kColorPeriodMs) % 16);
    pm.tx_time_ms = static_cast<uint32_t>(now_ms & kTimeMask28);
    if (p.metrics.have_rx) {
      pm.rx_color = p.metrics.last_rx_color;
      pm.rx_time_ms = static_cast<uint32_t>(
          (p.metrics.last_rx_tx_time + (now_ms - p.metrics.last_rx_at_ms)) & kTimeMask28);
      pm.previous_rx_color_count = static_cast<uint16_t>(p.metrics.rx_in_prev_color & 0x7FFF);
    }
    m.path_metrics = pm;
  }
  return m;
}

void PeerPaths::Send(size_t i, std::span<const uint8_t> frame) noexcept {
  if (sink_ == nullptr) {
    counters_.Increment(PeerCounter::kTxNoSink);
    return;
  }
  ++paths_[i].tx_packets;
  sink_(sink_context_, i, frame);
}

void PeerPaths::Notify(size_t i, uint64_t now_ms) noexcept {
  const PeerPath& p = paths_[i];
  PathEvent e;
  e.path = i;
  e.peer = p.peer;
  e.status = p.bfd.notified_status();
  e.bfd_state = p.bfd.state();
  e.diag = p.bfd.local_diag();
  e.now_ms = now_ms;
  counters_.Increment(e.status == PathStatus::kUp ? PeerCounter::kPathUp : PeerCounter::kPathDown);
  for (const Observer& o : observers_) o.fn(o.context, e);
}

uint64_t PeerPaths::PollPath(size_t i, uint64_t now_ms) noexcept {
  PeerPath& p = paths_[i];
  BfdControl control;
  const BfdSession::PollResult r = p.bfd.Poll(now_ms, &control);
  if (r.send) {
    const size_t n = BuildControlFrame(p.endpoints, MetadataFor(p, true, now_ms), control,
                                       p.send_crypto, now_ms, tx_buffer_);
    if (n == 0) {
      counters_.Increment(PeerCounter::kTxBuildFailed);
    } else {
      counters_.Increment(PeerCounter::kTxControl);
      Send(i, std::span<const uint8_t>(tx_buffer_.data(), n));
    }
  }
  if (r.status_changed) Notify(i, now_ms);

  uint64_t deadline = r.next_deadline_ms;
  const bool up = p.bfd.state() == BfdState::kUp;
  for (;;) {
    EchoPacket echo;
    const LinkTest::PollResult lr = p.link_test.Poll(now_ms, up, &echo);
    if (lr.test_finished) counters_.Increment(PeerCounter::kLinkTestsCompleted);
    if (!lr.send) {
      deadline = std::min(deadline, lr.next_deadline_ms);
      break;
    }
    const size_t n = BuildEchoFrame(p.endpoints, MetadataFor(p, false, now_ms), echo, p.send_crypto,
                                    now_ms, tx_buffer_);
    if (n == 0) {
      counters_.Increment(PeerCounter::kTxBuildFailed);
    } else {
      counters_.Increment(PeerCounter::kTxEcho);
      Send(i, std::span<const uint8_t>(tx_buffer_.data(), n));
    }
  }
  return deadline;
}

uint64_t PeerPaths::Poll(uint64_t now_ms) noexcept {
  uint64_t deadline = kNever;
  for (size_t i = 0; i < paths_.size(); ++i) deadline = std::min(deadline, PollPath(i, now_ms));
  return deadline;
}

void PeerPaths::NoteMetadata(PeerPath& p, const PeerFrame& f, uint64_t now_ms) noexcept {
  p.observed_peer_source = f.source;
  if (f.metadata.Has(svr::TlvField::kSourceNatV4)) {
    const util::IpAddress seen = f.metadata.source_nat;
    if (!p.seen_by_peer || *p.seen_by_peer != seen) {
      if (p.seen_by_peer) counters_.Increment(PeerCounter::kNatMappingChanged);
      if (seen != p.endpoints.local) counters_.Increment(PeerCounter::kNatDetected);
      p.seen_by_peer = seen;
    }
  }
  if (f.metadata.Has(svr::TlvField::kPathMetrics)) {
    const svr::PathMetrics& pm = f.metadata.path_metrics;
    PathMetricsState& m = p.metrics;
    if (!m.have_rx || pm.tx_color != m.last_rx_color) {
      m.rx_in_prev_color = m.rx_in_color;
      m.rx_in_color = 0;
    }
    if (m.rx_in_color < 0x7FFF) ++m.rx_in_color;
    m.have_rx = true;
    m.last_rx_color = pm.tx_color;
    m.last_rx_tx_time = pm.tx_time_ms;
    m.last_rx_at_ms = now_ms;
    m.peer_prev_color_count = pm.previous_rx_color_count;
    if (pm.rx_time_ms != 0) {
      m.metrics_rtt_ms = static_cast<uint32_t>((now_ms - pm.rx_time_ms) & kTimeMask28);
    }
  }
}

PeerFrameResult PeerPaths::Receive(std::span<const uint8_t> frame, uint64_t now_ms) noexcept {
  counters_.Increment(PeerCounter::kRxFrames);
  packet::PacketInfo info;
  PeerFrameResult result = PeerFrameResult::kOk;
  std::optional<size_t> index;
  PeerFrame f;
  if (packet::ParseFrame(frame, &info) != packet::ParseResult::kOk || !info.is_udp() ||
      info.is_fragment) {
    result = PeerFrameResult::kNotUdp;
  } else if (info.dst_port != kBfdPort) {
    result = PeerFrameResult::kWrongPort;
  } else if (index = FindPath(info.dst, info.src); !index) {
    result = PeerFrameResult::kUnknownPath;
  } else {
    f.source = info.src;
    f.destination = info.dst;
    f.source_port = info.src_port;
    f.destination_port = info.dst_port;
    result = ParsePeerPayload(info.Payload(frame), paths_[*index].receive_crypto, now_ms, &f);
    metadata_counters_.Increment(f.metadata_result);
    if (result == PeerFrameResult::kBadBfd) bfd_decode_counters_.Increment(f.bfd_result);
    if (result == PeerFrameResult::kBadEcho) echo_decode_counters_.Increment(f.echo_result);
  }
  if (result != PeerFrameResult::kOk) {
    frame_counters_.Increment(result);
    return result;
  }

  PeerPath& p = paths_[*index];
  if (f.metadata.Has(svr::TlvField::kSourceRouterName) &&
      AsView(f.metadata.source_router_name) != p.peer_router_name) {
    frame_counters_.Increment(PeerFrameResult::kPeerNameMismatch);
    return PeerFrameResult::kPeerNameMismatch;
  }
  frame_counters_.Increment(PeerFrameResult::kOk);
  ++p.rx_packets;
  NoteMetadata(p, f, now_ms);
  if (f.kind == PeerMessageKind::kControl) {
    bfd_decode_counters_.Increment(BfdDecodeResult::kOk);
    bfd_receive_counters_.Increment(p.bfd.Receive(f.control, now_ms));
  } else {
    echo_decode_counters_.Increment(EchoDecodeResult::kOk);
    if (f.echo.reflected) {
      link_reply_counters_.Increment(p.link_test.OnReply(f.echo, now_ms));
    } else if (p.bfd.state() != BfdState::kUp || options_.bfd.required_min_echo_rx_ms == 0) {
      counters_.Increment(PeerCounter::kEchoNotReflected);
    } else {
      const size_t n = BuildEchoFrame(p.endpoints, MetadataFor(p, false, now_ms), Reflect(f.echo),
                                      p.send_crypto, now_ms, tx_buffer_);
      if (n == 0) {
        counters_.Increment(PeerCounter::kTxBuildFailed);
      } else {
        counters_.Increment(PeerCounter::kEchoReflected);
        Send(*index, std::span<const uint8_t>(tx_buffer_.data(), n));
      }
    }
  }
  PollPath(*index, now_ms);  // Final replies, notifications, a finished link test
  return result;
}

PeerPaths::Choice PeerPaths::ChoosePath(size_t peer, const ServicePolicy& policy) const noexcept {
  Choice c;
  const auto [first, count] = PathsOfPeer(peer);
  std::array<PathCandidate, kMaxPathsPerChoice> candidates;
  const size_t n = std::min(count, kMaxPathsPerChoice);
  for (size_t k = 0; k < n; ++k) {
    const PeerPath& p = paths_[first + k];
    candidates[k].up = p.usable();
    candidates[k].quality = p.quality();
    candidates[k].vector_cost = p.vector_cost;
  }
  const PathChoice choice =
      SelectPath(std::span<const PathCandidate>(candidates.data(), n), policy);
  c.reason = choice.reason;
  if (choice.index) c.path = first + *choice.index;
  return c;
}

}  // namespace ssr::peer
