// SPDX-License-Identifier: Apache-2.0
// PeerPaths: two routers built from one config exchange real frames (BFD, echoes, metadata,
// HMAC) over an in-memory wire with per-path delay and cuts, under a fake millisecond clock.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "packet/parser.h"
#include "peer/peer_paths.h"
#include "peer_test_util.h"

namespace ssr::peer {
namespace {

using testing::Ip;

PeerPathsOptions FastOptions() {
  PeerPathsOptions o;
  o.bfd.jitter = false;
  return o;
}

// The wire: frames a router sends on its path i arrive at the other router `delay_ms[i]` later
// (paths are numbered alike on both routers), unless path i is cut.
class Network {
 public:
  explicit Network(const PeerPathsOptions& options, const config::Config& config = testing::TwoRouters()) {
    auto w = PeerPaths::Create(config, 0, options);
    auto e = PeerPaths::Create(config, 1, options);
    REQUIRE(w.ok());
    REQUIRE(e.ok());
    west = std::move(w).value();
    east = std::move(e).value();
    west->SetFrameSink(&Network::FromWest, this);
    east->SetFrameSink(&Network::FromEast, this);
    west->AddObserver(&Network::OnWestEvent, this);
  }

  std::unique_ptr<PeerPaths> west;
  std::unique_ptr<PeerPaths> east;
  std::array<uint64_t, 3> delay_ms{0, 0, 0};
  std::array<bool, 3> cut{false, false, false};
  std::vector<PathEvent> west_events;
  std::vector<std::vector<uint8_t>> west_sent;  // every frame west sent
  uint64_t now = 0;

  void RunUntil(uint64_t end) {
    for (; now < end; ++now) {
      west->Poll(now);
      east->Poll(now);
      Deliver();
    }
  }

 private:
  struct InFlight {
    uint64_t at;
    bool to_east;
    std::vector<uint8_t> frame;
  };

  void Queue(size_t path, std::span<const uint8_t> frame, bool to_east) {
    if (to_east) west_sent.emplace_back(frame.begin(), frame.end());
    if (cut[path]) return;
    queue_.push_back({now + delay_ms[path], to_east, {frame.begin(), frame.end()}});
  }
  static void FromWest(void* ctx, size_t path, std::span<const uint8_t> frame) {
    static_cast<Network*>(ctx)->Queue(path, frame, true);
  }
  static void FromEast(void* ctx, size_t path, std::span<const uint8_t> frame) {
    static_cast<Network*>(ctx)->Queue(path, frame, false);
  }
  static void OnWestEvent(void* ctx, const PathEvent& e) {
    static_cast<Network*>(ctx)->west_events.push_back(e);
  }

  void Deliver() {
    // Receiving may send (reflections, Final), which can be due now when the delay is 0.
    for (bool more = true; more;) {
      more = false;
      for (size_t i = 0; i < queue_.size(); ++i) {
        if (queue_[i].at > now) continue;
        InFlight f = std::move(queue_[i]);
        queue_.erase(queue_.begin() + static_cast<long>(i));
        (f.to_east ? east : west)->Receive(f.frame, now);
        more = true;
        break;
      }
    }
  }

  std::deque<InFlight> queue_;
};

TEST_CASE("PeerPaths builds one path per configured path of each peer, over its interface",
          "[peer][paths]") {
  auto w = PeerPaths::Create(testing::TwoRouters(), 0, PeerPathsOptions{});
  REQUIRE(w.ok());
  const PeerPaths& west = **w;
  REQUIRE(west.path_count() == 3);
  CHECK(west.PathsOfPeer(0) == std::pair<size_t, size_t>{0, 3});
  CHECK(west.path(0).endpoints.local == Ip("198.51.100.1"));
  CHECK(west.path(0).endpoints.remote == Ip("203.0.113.1"));
  CHECK(west.path(0).interface == 1);
  CHECK(west.path(1).endpoints.local == Ip("192.0.2.1"));
  CHECK(west.path(1).interface == 2);
  CHECK(west.path(1).name == "wan1:203.0.113.1");
  CHECK(west.path(2).endpoints.local == Ip("2001:db8:1::1"));
  CHECK(west.path(2).endpoints.remote == Ip("2001:db8:2::1"));
  CHECK(west.path(0).path_id == "to-east:198.51.100.1->203.0.113.1");
  CHECK(west.path(0).peer_router_name == "east");
  CHECK(west.path(0).bfd.my_discriminator() == 0x53520001);
  CHECK(west.path(2).bfd.my_discriminator() == 0x53520003);
  CHECK(west.FindPath(Ip("192.0.2.1"), Ip("203.0.113.1")) == std::optional<size_t>(1));
  CHECK_FALSE(west.FindPath(Ip("192.0.2.1"), Ip("203.0.113.9")).has_value());
  CHECK(west.FindPathByDiscriminator(0x53520002) == std::optional<size_t>(1));
  CHECK_FALSE(west.FindPathByDiscriminator(0x53520004).has_value());
  CHECK_FALSE(west.FindPathByDiscriminator(0).has_value());
  CHECK(west.path(0).status() == PathStatus::kDown);
}

TEST_CASE("PeerPaths refuses bad options and a peer without a path", "[peer][paths]") {
  PeerPathsOptions bad;
  bad.bfd.multiplier = 1;
  auto r = PeerPaths::Create(testing::TwoRouters(), 0, bad);
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(r.status().message() == "bfd.multiplier: 1 is outside 3..20");
  CHECK_FALSE(PeerPaths::Create(testing::TwoRouters(), 2, PeerPathsOptions{}).ok());

  config::Config c = testing::TwoRouters();
  c.routers[1].peers[0].paths = {testing::PathTo(0, "wan0", "2001:db8:1::1")};
  c.routers[1].interfaces[0].addresses = {testing::Addr("203.0.113.1", 24)};
  r = PeerPaths::Create(c, 1, PeerPathsOptions{});
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(r.status().message() ==
        "routers[1] (east).peers[0] (to-west): no address of interface \"wan0\" has the family "
        "of peer address 2001:db8:1::1, so path \"wan0:2001:db8:1::1\" cannot exist");
  c = testing::TwoRouters();
  c.routers[1].peers[0].paths.clear();
  r = PeerPaths::Create(c, 1, PeerPathsOptions{});
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(r.status().message() == "routers[1] (east).peers[0] (to-west): the peer has no path");

  // Liveness settings out of range (a hand-built model; the config validator refuses them
  // first) name the peer.
  c = testing::TwoRouters();
  c.routers[0].peers[0].liveness.bfd_multiplier = 2;
  r = PeerPaths::Create(c, 0, PeerPathsOptions{});
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(r.status().message() ==
        "routers[0] (west).peers[0] (to-east).liveness: bfd.multiplier: 2 is outside 3..20");
}

TEST_CASE("Every frame PeerPaths sends goes to UDP port 1280 on the peer's waypoint",
          "[peer][paths][svr-7.66]") {
  Network net(FastOptions());
  net.RunUntil(30000);
  REQUIRE(net.west_sent.size() > 50);
  size_t v4 = 0;
  for (const std::vector<uint8_t>& frame : net.west_sent) {
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
    CHECK(info.is_udp());
    CHECK(info.dst_port == 1280);
    const auto path = net.west->FindPath(info.src, info.dst);
    REQUIRE(path.has_value());  // source and destination are a configured waypoint pair
    v4 += info.is_ipv4();
  }
  CHECK(v4 > 0);
  CHECK(v4 < net.west_sent.size());
}

TEST_CASE("Peer paths come up, are notified after hold-down and measure their latency",
          "[peer][paths][svr-7.69]") {
  Network net(FastOptions());
  net.delay_ms = {20, 60, 5};
  net.RunUntil(30000);
  for (size_t i = 0; i < 3; ++i) {
    INFO("path " << i);
    CHECK(net.west->path(i).bfd.state() == BfdState::kUp);
    CHECK(net.west->path(i).usable());
    CHECK(net.east->path(i).usable());
  }
  REQUIRE(net.west_events.size() == 3);
  for (const PathEvent& e : net.west_events) {
    CHECK(e.status == PathStatus::kUp);
    CHECK(e.now_ms >= 5000);  // hold-down
  }
  // Link tests every 10 s, 10 echoes each, RTT = 2 x delay, latency = RTT / 2.
  const PeerPath& p0 = net.west->path(0);
  CHECK(p0.link_test.tests_completed() >= 2);
  CHECK(p0.link_test.echoes_sent() == 10 * (p0.link_test.tests_completed() + (p0.link_test.running() ? 1 : 0)));
  CHECK(p0.quality().latency_ms == 20.0);
  CHECK(p0.quality().jitter_ms == 0.0);
  CHECK(p0.quality().loss == 0.0);
  CHECK(net.west->path(1).quality().latency_ms == 60.0);
  CHECK(net.west->path(2).quality().latency_ms == 5.0);
  CHECK(net.east->counters().Get(PeerCounter::kEchoReflected) > 0);
  CHECK(net.west->link_reply_counters().Get(LinkReplyResult::kAccepted) ==
        net.west->counters().Get(PeerCounter::kTxEcho));
  // Path metrics (TLV 26): Rx Time echoed back with the hold time gives the RTT.
  REQUIRE(p0.metrics.metrics_rtt_ms.has_value());
  CHECK(*p0.metrics.metrics_rtt_ms == 40);
  // TLV 25: east reports the address it sees for us, our own waypoint: no NAT.
  REQUIRE(p0.seen_by_peer.has_value());
  CHECK(*p0.seen_by_peer == Ip("198.51.100.1"));
  CHECK_FALSE(p0.nat_detected());
  CHECK(net.west->frame_counters().Get(PeerFrameResult::kOk) > 0);
  CHECK(net.west->frame_counters().Total() == net.west->frame_counters().Get(PeerFrameResult::kOk));
}

TEST_CASE("A cut path is notified down 3 s + hold-down after its last BFD packet",
          "[peer][paths][svr-7.67]") {
  Network net(FastOptions());
  net.RunUntil(20000);
  REQUIRE(net.west->path(1).usable());
  net.west_events.clear();
  net.cut[1] = true;  // both directions of path 1
  const uint64_t last = net.west->path(1).bfd.last_rx_ms();
  net.RunUntil(last + 3000);
  CHECK(net.west->path(1).bfd.state() == BfdState::kUp);
  net.RunUntil(last + 3001);
  CHECK(net.west->path(1).bfd.state() == BfdState::kDown);
  net.RunUntil(last + 8000);
  CHECK(net.west->path(1).usable());
  CHECK(net.west_events.empty());
  net.RunUntil(last + 8001);
  CHECK_FALSE(net.west->path(1).usable());
  REQUIRE(net.west_events.size() == 1);
  CHECK(net.west_events[0].path == 1);
  CHECK(net.west_events[0].status == PathStatus::kDown);
  CHECK(net.west_events[0].diag == BfdDiag::kControlDetectionTimeExpired);
  CHECK(net.west_events[0].now_ms == last + 8000);
  CHECK(net.west->counters().Get(PeerCounter::kPathDown) == 1);
  CHECK(net.west->path(0).usable());
  CHECK(net.west->path(2).usable());
}

TEST_CASE("New sessions avoid a down path and, with the filter, a path over max-latency",
          "[peer][paths][svr-7.70]") {
  Network net(FastOptions());
  net.delay_ms = {20, 300, 30};  // path 1: 300 ms one way, over the 250 ms default
  net.RunUntil(25000);
  REQUIRE(net.west->path(1).quality().latency_ms == 300.0);
  net.west->SetVectorCost(0, 10);
  net.west->SetVectorCost(1, 1);  // the slow path is the cheapest
  net.west->SetVectorCost(2, 20);
  ServicePolicy plain;
  CHECK(net.west->ChoosePath(0, plain).path == std::optional<size_t>(1));
  ServicePolicy filtered;
  filtered.path_quality_filter = true;
  PeerPaths::Choice c = net.west->ChoosePath(0, filtered);
  CHECK(c.path == std::optional<size_t>(0));
  CHECK(c.reason == PathChoiceReason::kWithinSla);

  net.cut[0] = true;  // path 0 goes down: the next best within SLA is path 2
  net.RunUntil(net.now + 9000);
  REQUIRE_FALSE(net.west->path(0).usable());
  CHECK(net.west->ChoosePath(0, filtered).path == std::optional<size_t>(2));
  CHECK(net.west->ChoosePath(0, plain).path == std::optional<size_t>(1));
  CHECK(net.west->ChoosePath(7, plain).reason == PathChoiceReason::kNoPathUp);
}

TEST_CASE("Paths with matching HMAC keys come up, a wrong key keeps them down", "[peer][paths]") {
  for (const bool same_key : {true, false}) {
    INFO("same key: " << same_key);
    Network net(FastOptions());
    auto west_tx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
    auto west_rx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
    auto east_tx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone,
                                       same_key ? 0x0b : 0x0c);
    auto east_rx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
    net.west->SetPeerCrypto(0, west_tx.get(), west_rx.get());
    net.east->SetPeerCrypto(0, east_tx.get(), east_rx.get());
    net.now = 1'790'000'000'000;  // time-based HMAC needs a wall-clock-like reading
    net.RunUntil(net.now + 12000);
    CHECK(net.west->path(0).usable() == same_key);
    if (same_key) continue;
    CHECK(net.east->path(0).bfd.state() != BfdState::kUp);  // never Up: west drops east's packets
    CHECK(net.west->frame_counters().Get(PeerFrameResult::kAuthFailed) > 0);
    CHECK(west_rx->counters().Get(crypto::CryptoCounter::kHmacFail) > 0);
  }
}

TEST_CASE("A packet from the wrong router name or an unknown address pair is dropped",
          "[peer][paths]") {
  auto w = PeerPaths::Create(testing::TwoRouters(), 0, FastOptions());
  REQUIRE(w.ok());
  PeerPaths& west = **w;
  PathEndpoints ep;
  ep.local = Ip("203.0.113.1");
  ep.remote = Ip("198.51.100.1");
  PeerMetadata m;
  m.source_router_name = "mallory";
  BfdControl c;
  c.my_discriminator = 9;
  std::array<uint8_t, 1500> frame{};
  size_t n = BuildControlFrame(ep, m, c, nullptr, 0, frame);
  REQUIRE(n > 0);
  CHECK(west.Receive(std::span<const uint8_t>(frame.data(), n), 0) ==
        PeerFrameResult::kPeerNameMismatch);
  CHECK(west.path(0).bfd.state() == BfdState::kDown);
  CHECK(west.path(0).rx_packets == 0);

  ep.local = Ip("203.0.113.77");  // not a configured peer address
  m.source_router_name = "east";
  n = BuildControlFrame(ep, m, c, nullptr, 0, frame);
  CHECK(west.Receive(std::span<const uint8_t>(frame.data(), n), 0) ==
        PeerFrameResult::kUnknownPath);
  CHECK(west.frame_counters().Get(PeerFrameResult::kUnknownPath) == 1);
  CHECK(west.frame_counters().Get(PeerFrameResult::kPeerNameMismatch) == 1);
}

TEST_CASE("TLV 25 from the peer reveals a NAT in front of our waypoint", "[peer][paths]") {
  auto w = PeerPaths::Create(testing::TwoRouters(), 0, FastOptions());
  REQUIRE(w.ok());
  PeerPaths& west = **w;
  PathEndpoints ep;
  ep.local = Ip("203.0.113.1");
  ep.remote = Ip("198.51.100.1");
  PeerMetadata m;
  m.source_router_name = "east";
  m.observed_source = Ip("100.64.0.9");  // east sees west's packets from a NAT address
  BfdControl c;
  c.my_discriminator = 9;
  std::array<uint8_t, 1500> frame{};
  size_t n = BuildControlFrame(ep, m, c, nullptr, 0, frame);
  REQUIRE(west.Receive(std::span<const uint8_t>(frame.data(), n), 0) == PeerFrameResult::kOk);
  CHECK(west.path(0).nat_detected());
  CHECK(west.counters().Get(PeerCounter::kNatDetected) == 1);
  CHECK(west.path(0).observed_peer_source == std::optional<util::IpAddress>(Ip("203.0.113.1")));
  m.observed_source = Ip("100.64.0.10");  // the mapping changes
  n = BuildControlFrame(ep, m, c, nullptr, 0, frame);
  REQUIRE(west.Receive(std::span<const uint8_t>(frame.data(), n), 1) == PeerFrameResult::kOk);
  CHECK(west.counters().Get(PeerCounter::kNatMappingChanged) == 1);
  CHECK(west.path(0).bfd.state() == BfdState::kInit);  // the Down packet started the handshake
}

TEST_CASE("Echoes are not reflected while the BFD session is not Up", "[peer][paths]") {
  auto w = PeerPaths::Create(testing::TwoRouters(), 0, FastOptions());
  REQUIRE(w.ok());
  PeerPaths& west = **w;
  size_t sent = 0;
  west.SetFrameSink([](void* ctx, size_t, std::span<const uint8_t>) { ++*static_cast<size_t*>(ctx); },
                    &sent);
  PathEndpoints ep;
  ep.local = Ip("203.0.113.1");
  ep.remote = Ip("198.51.100.1");
  PeerMetadata m;
  m.source_router_name = "east";
  EchoPacket e;
  e.sender_discriminator = 5;
  std::array<uint8_t, 1500> frame{};
  const size_t n = BuildEchoFrame(ep, m, e, nullptr, 0, frame);
  REQUIRE(west.Receive(std::span<const uint8_t>(frame.data(), n), 0) == PeerFrameResult::kOk);
  CHECK(west.counters().Get(PeerCounter::kEchoNotReflected) == 1);
  CHECK(west.counters().Get(PeerCounter::kEchoReflected) == 0);
  CHECK(sent == 1);  // only path 0's first control packet (Receive polls the path)
}

TEST_CASE("Fast BFD comes up once and stays up when the routers start apart, first test answered",
          "[peer][paths]") {
  // BFD 100 ms x 3 (the fast liveness of the netns tests). West runs alone for 1.234 s: the two
  // sessions then reach Up at different times, each leaving the 1 s slow-start interval. Each
  // must send its first Up packet at once: on the slow-start schedule the peer, which already
  // expects one every 100 ms, declared the path down 300 ms later and the path flapped for ever
  // (found by netns.two_wan_sla: both routers logged paths down / up every ~1.5 s). And the
  // peer must be Up when the first link test's echoes arrive: echoes reaching a session still in
  // Init are not reflected, and that test counted as 100 % loss.
  config::Config c = testing::TwoRouters();
  for (config::Router& r : c.routers) {
    for (config::Peer& peer : r.peers) {
      peer.liveness.bfd_interval_ms = 100;
      peer.liveness.bfd_multiplier = 3;
      peer.liveness.hold_down_ms = 1;
      peer.liveness.link_test_interval_ms = 1000;
      peer.liveness.link_test_count = 10;
    }
  }
  Network net(PeerPathsOptions{}, c);  // BFD jitter on, as in the router
  net.delay_ms = {5, 5, 5};
  for (; net.now < 1234; ++net.now) net.west->Poll(net.now);
  net.RunUntil(8000);
  for (size_t i = 0; i < 3; ++i) {
    INFO("path " << i);
    const PeerPath& p = net.west->path(i);
    CHECK(p.bfd.state() == BfdState::kUp);
    CHECK(net.east->path(i).bfd.state() == BfdState::kUp);
    CHECK(p.link_test.tests_completed() >= 5);
    CHECK(p.quality().loss == 0.0);
    CHECK(net.east->path(i).quality().loss == 0.0);
  }
  // One event per path: up, never down again.
  CHECK(net.west_events.size() == 3);
  for (const PathEvent& e : net.west_events) CHECK(e.status == PathStatus::kUp);
  CHECK(net.east->counters().Get(PeerCounter::kEchoNotReflected) == 0);
  CHECK(net.west->counters().Get(PeerCounter::kEchoNotReflected) == 0);
}

TEST_CASE("A peer's liveness settings replace the defaults on its paths only", "[peer][paths]") {
  config::Config c = testing::TwoRouters();
  config::PeerLiveness& live = c.routers[0].peers[0].liveness;
  live.bfd_interval_ms = 100;
  live.bfd_multiplier = 4;
  live.hold_down_ms = 1;
  live.link_test_interval_ms = 1500;
  live.link_test_count = 5;
  auto w = PeerPaths::Create(c, 0, PeerPathsOptions{});
  REQUIRE(w.ok());
  for (size_t i = 0; i < (*w)->path_count(); ++i) {
    const PeerPath& p = (*w)->path(i);
    CHECK(p.bfd.options().desired_min_tx_ms == 100);
    CHECK(p.bfd.options().required_min_rx_ms == 100);
    CHECK(p.bfd.options().multiplier == 4);
    CHECK(p.bfd.options().hold_down_ms == 1);
    CHECK(p.link_test.options().interval_ms == 1500);
    CHECK(p.link_test.options().length == 5);
    CHECK(p.link_test.options().reply_timeout_ms == 1500);
  }
  // The other router keeps SVR's defaults.
  auto e = PeerPaths::Create(c, 1, PeerPathsOptions{});
  REQUIRE(e.ok());
  CHECK((*e)->path(0).bfd.options().desired_min_tx_ms == 1000);
  CHECK((*e)->path(0).bfd.options().hold_down_ms == 5000);
  CHECK((*e)->path(0).link_test.options().interval_ms == 10000);
}

}  // namespace
}  // namespace ssr::peer
