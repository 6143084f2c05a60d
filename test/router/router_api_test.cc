// SPDX-License-Identifier: Apache-2.0
// Public API checks that need no kernel objects: config errors, Router::Create's validation of
// its options (done before any interface is touched), RouterStats helpers, the event ring.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "config/loader.h"
#include "router/port_ranges.h"
#include "router/reload_limits.h"
#include "router/spsc_ring.h"
#include "ssr/config.h"
#include "ssr/router.h"
#include "ssr/stats.h"

namespace {

ssr::RouterOptions BranchOptions() {
  ssr::RouterOptions o;
  o.router = "branch";
  o.interfaces = {{"lan0", "ssr-no-such-lan"}, {"wan0", "ssr-no-such-wan"}};
  return o;
}

std::string Message(const ssr::Status& st) { return std::string(st.message()); }

// Router::Create's error for `o` on the default config (whose Linux interfaces do not exist, so
// it always fails: on the options, or past them on the interfaces).
ssr::Status CreateError(const ssr::RouterOptions& o) {
  const auto r = ssr::Router::Create(o, ssr::Config::Default());
  REQUIRE_FALSE(r.ok());
  return r.status();
}

}  // namespace

TEST_CASE("Config::Parse rejects a bad prefix naming the field path and the value") {
  const auto cfg = ssr::Config::Parse(R"(
    organization: "o"
    routers { name: "r" interfaces { name: "lan0" role: LAN addresses: "10.0.0.1/33" } }
  )");
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.status().code() == ssr::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(cfg.status()), Catch::Contains("routers[0].interfaces[0].addresses[0]"));
  CHECK_THAT(Message(cfg.status()), Catch::Contains("10.0.0.1/33"));
}

TEST_CASE("Config::LoadFile names a missing file") {
  const auto cfg = ssr::Config::LoadFile("/nonexistent/ssr-router-test.textproto");
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.status().code() == ssr::StatusCode::kNotFound);
  CHECK_THAT(Message(cfg.status()), Catch::Contains("/nonexistent/ssr-router-test.textproto"));
}

TEST_CASE("Config::Default holds the branch and datacenter routers") {
  const std::vector<std::string> names = ssr::Config::Default().RouterNames();
  CHECK(names == std::vector<std::string>{"branch", "datacenter"});
}

TEST_CASE("Router::Create rejects an unknown router and lists the routers of the config") {
  ssr::RouterOptions o = BranchOptions();
  o.router = "hq";
  const auto r = ssr::Router::Create(o, ssr::Config::Default());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ssr::StatusCode::kNotFound);
  CHECK_THAT(Message(r.status()), Catch::Contains("\"hq\""));
  CHECK_THAT(Message(r.status()), Catch::Contains("\"branch\", \"datacenter\""));
}

TEST_CASE("Router::Create rejects a router interface without a Linux interface, naming it") {
  ssr::RouterOptions o = BranchOptions();
  o.interfaces.pop_back();  // wan0 unbound
  const auto r = ssr::Router::Create(o, ssr::Config::Default());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ssr::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(r.status()), Catch::Contains("\"wan0\""));
  CHECK_THAT(Message(r.status()), Catch::Contains("no Linux interface"));
}

TEST_CASE("Router::Create rejects a binding for an interface the router does not have") {
  ssr::RouterOptions o = BranchOptions();
  o.interfaces.push_back({"lan9", "eth9"});
  const auto r = ssr::Router::Create(o, ssr::Config::Default());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ssr::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(r.status()), Catch::Contains("interfaces[2]"));
  CHECK_THAT(Message(r.status()), Catch::Contains("\"lan9\""));
}

TEST_CASE("Router::Create rejects one Linux interface bound to two router interfaces") {
  ssr::RouterOptions o = BranchOptions();
  o.interfaces[1].os_name = o.interfaces[0].os_name;
  const auto r = ssr::Router::Create(o, ssr::Config::Default());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ssr::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(r.status()), Catch::Contains("interfaces[1]"));
  CHECK_THAT(Message(r.status()), Catch::Contains("already bound to \"lan0\""));
}

TEST_CASE("Router::Create rejects a router interface bound twice") {
  ssr::RouterOptions o = BranchOptions();
  o.interfaces.push_back({"lan0", "other0"});
  const auto r = ssr::Router::Create(o, ssr::Config::Default());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(Message(r.status()), Catch::Contains("\"lan0\" is bound twice"));
}

TEST_CASE("Router::Create rejects more workers than the gate has queue slots") {
  ssr::RouterOptions o = BranchOptions();
  o.workers = 65;
  const auto r = ssr::Router::Create(o, ssr::Config::Default());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ssr::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(r.status()), Catch::Contains("workers: 65"));
}

TEST_CASE("Router::Create rejects an idle_yield below 0 or above 1 s, naming it and the value") {
  ssr::RouterOptions o = BranchOptions();
  o.idle_yield = std::chrono::microseconds(-1);
  ssr::Status st = CreateError(o);
  CHECK(st.code() == ssr::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(st), Catch::Contains("idle_yield: -1 us"));

  o.idle_yield = std::chrono::microseconds(1'000'001);
  st = CreateError(o);
  CHECK(st.code() == ssr::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(st), Catch::Contains("idle_yield: 1000001 us"));
  CHECK_THAT(Message(st), Catch::Contains("maximum of 1000000 us"));
}

TEST_CASE("Router::Create accepts idle_yield from 0 to 1 s") {
  ssr::RouterOptions o = BranchOptions();
  CHECK(o.idle_yield == std::chrono::microseconds(2000));  // the documented default
  for (const auto us : {std::chrono::microseconds(0), std::chrono::microseconds(1'000'000)}) {
    o.idle_yield = us;
    // Past the option checks: it fails later, on the Linux interfaces that do not exist.
    const std::string message = Message(CreateError(o));
    INFO(message);
    CHECK_THAT(message, !Catch::Contains("idle_yield"));
    CHECK_THAT(message, Catch::Contains("ssr-no-such-"));
  }
}

TEST_CASE("Router::Create rejects frames and ring depths out of range, naming field and value") {
  struct Row {
    uint32_t frames, fill, rx, batch;
    const char* message;
  };
  const Row rows[] = {
      {255, 2048, 2048, 64, "frames_per_worker: 255 is not in 256..1048576"},
      {1048577, 2048, 2048, 64, "frames_per_worker: 1048577 is not in 256..1048576"},
      {4096, 3000, 2048, 64, "fill_ring_size: 3000 is not a power of two from 64 to 16384"},
      {4096, 0, 2048, 64, "fill_ring_size: 0 is not a power of two from 64 to 16384"},
      {4096, 32, 2048, 64, "fill_ring_size: 32 is not a power of two from 64 to 16384"},
      {65536, 32768, 2048, 64, "fill_ring_size: 32768 is not a power of two from 64 to 16384"},
      {4096, 8192, 2048, 64, "fill_ring_size: 8192 is more than frames_per_worker 4096"},
      // Two interfaces keep 2 x 4096 / 2 frames in their fill rings, plus a burst of 64.
      {4096, 4096, 2048, 64, "frames_per_worker: 4096 is less than the 4160 frames"},
      {4159, 4096, 2048, 64, "frames_per_worker: 4159 is less than the 4160 frames"},
      {4096, 2048, 100, 64, "rx_ring_size: 100 is not a power of two from 64 to 16384"},
      {4096, 2048, 32, 64, "rx_ring_size: 32 is not a power of two from 64 to 16384"},
      {4096, 2048, 32768, 64, "rx_ring_size: 32768 is not a power of two from 64 to 16384"},
      {4096, 2048, 2048, 0, "rx_batch: 0 is not in 1..64"},
      {4096, 2048, 2048, 65, "rx_batch: 65 is not in 1..64"},
  };
  for (const Row& row : rows) {
    ssr::RouterOptions o = BranchOptions();
    o.frames_per_worker = row.frames;
    o.fill_ring_size = row.fill;
    o.rx_ring_size = row.rx;
    o.rx_batch = row.batch;
    const ssr::Status st = CreateError(o);
    INFO(row.message << "\n" << Message(st));
    CHECK(st.code() == ssr::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(st), Catch::Contains(row.message));
  }
}

TEST_CASE("Router::Create accepts frames and ring depths at the ends of their ranges") {
  ssr::RouterOptions o = BranchOptions();
  // The documented defaults.
  CHECK(o.frames_per_worker == 32768);
  CHECK(o.fill_ring_size == 8192);
  CHECK(o.rx_ring_size == 8192);
  CHECK(o.rx_batch == 64);
  struct Row {
    uint32_t frames, fill, rx, batch;
  };
  const Row rows[] = {
      {256, 64, 64, 1},             // smallest of everything
      {4160, 4096, 2048, 64},       // exactly 2 x 4096 / 2 + 64 frames
      {16448, 16384, 64, 32},       // exactly 2 x 16384 / 2 + 64 frames
      {1048576, 16384, 16384, 64},  // largest of everything
      {8192, 4096, 4096, 32},       // the netns test's values
  };
  for (const Row& row : rows) {
    o.frames_per_worker = row.frames;
    o.fill_ring_size = row.fill;
    o.rx_ring_size = row.rx;
    o.rx_batch = row.batch;
    // Past the option checks: it fails later, on the Linux interfaces that do not exist.
    const std::string message = Message(CreateError(o));
    INFO(row.frames << " " << row.fill << " " << row.rx << " " << row.batch << ": " << message);
    for (const char* field : {"frames_per_worker", "fill_ring_size", "rx_ring_size", "rx_batch"}) {
      CHECK_THAT(message, !Catch::Contains(field));
    }
    CHECK_THAT(message, Catch::Contains("ssr-no-such-"));
  }
}

TEST_CASE("Router::Create keeps a one-interface router's fill ring within frames_per_worker") {
  // One interface needs only fill_ring_size / 2 + 64 frames, so the fill ring's own bound shows.
  const auto cfg = ssr::Config::Parse(R"(
    organization: "o"
    routers { name: "r" interfaces { name: "lan0" role: LAN addresses: "10.0.0.1/24" } }
  )");
  REQUIRE(cfg.ok());
  ssr::RouterOptions o;
  o.router = "r";
  o.interfaces = {{"lan0", "ssr-no-such-lan"}};
  o.frames_per_worker = 2112;  // 4096 / 2 + 64
  o.fill_ring_size = 4096;
  auto r = ssr::Router::Create(o, *cfg);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ssr::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(r.status()), Catch::Contains("fill_ring_size: 4096 is more than "
                                                  "frames_per_worker 2112"));

  o.frames_per_worker = 4096;  // a fill ring as deep as the frames
  r = ssr::Router::Create(o, *cfg);
  REQUIRE_FALSE(r.ok());
  INFO(Message(r.status()));
  CHECK_THAT(Message(r.status()), !Catch::Contains("fill_ring_size"));
  CHECK_THAT(Message(r.status()), !Catch::Contains("frames_per_worker"));
  CHECK_THAT(Message(r.status()), Catch::Contains("ssr-no-such-lan"));
}

TEST_CASE("RouterStats::Flatten names values by group and Get finds them") {
  ssr::RouterStats s;
  s.gate = {{"lan_allow", 7, false}, {"drop_non_member", 2, true}};
  s.pipeline = {{"rx_packets", 11, false}};
  s.sessions_live = 3;
  s.sessions_budgeted = 2;
  ssr::InterfaceStats i;
  i.name = "lan0";
  i.counters = {{"xsk_rx_packets", 5, false}};
  s.interfaces.push_back(i);
  s.config_generation = 4;
  CHECK(s.Get("gate.lan_allow") == 7);
  CHECK(s.Get("pipeline.rx_packets") == 11);
  CHECK(s.Get("sessions.live") == 3);
  CHECK(s.Get("sessions.budgeted") == 2);
  CHECK(s.Get("xsk.lan0.xsk_rx_packets") == 5);
  CHECK(s.Get("router.config_generation") == 4);
  CHECK(s.Get("gate.no_such_reason") == 0);
}

TEST_CASE("RouterStats::Flatten lists each peer path's state and quality") {
  ssr::RouterStats s;
  ssr::PeerStats p;
  p.name = "datacenter";
  p.sessions = 2;
  ssr::PeerPathStats a;
  a.local = "192.0.2.1";
  a.remote = "192.0.2.2";
  a.up = true;
  a.bfd_state = "Up";
  a.quality_measured = true;
  a.latency_ms = 12.5;
  a.jitter_ms = 0.25;
  a.loss_percent = 1.5;
  a.mos = 4.21;
  a.tx_frames = 40;
  a.rx_frames = 39;
  ssr::PeerPathStats b;
  b.up = false;
  b.bfd_state = "Down";
  p.paths = {a, b};
  s.peers.push_back(p);
  CHECK(s.Get("peer.datacenter.sessions") == 2);
  CHECK(s.Get("peer.datacenter.path.0.up") == 1);
  CHECK(s.Get("peer.datacenter.path.0.bfd_up") == 1);
  CHECK(s.Get("peer.datacenter.path.0.latency_us") == 12500);
  CHECK(s.Get("peer.datacenter.path.0.jitter_us") == 250);
  CHECK(s.Get("peer.datacenter.path.0.loss_ppm") == 15000);
  CHECK(s.Get("peer.datacenter.path.0.mos_x100") == 421);
  CHECK(s.Get("peer.datacenter.path.0.tx_frames") == 40);
  CHECK(s.Get("peer.datacenter.path.0.rx_frames") == 39);
  CHECK(s.Get("peer.datacenter.path.1.up") == 0);
  CHECK(s.Get("peer.datacenter.path.1.bfd_up") == 0);
}

TEST_CASE("RouterStats::TotalDrops sums only the gate and pipeline drop counters") {
  ssr::RouterStats s;
  s.gate = {{"lan_allow", 7, false}, {"drop_non_member", 2, true}, {"drop_denied", 0, true}};
  s.pipeline = {{"rx_packets", 11, false}, {"no_neighbor", 3, true}};
  s.policy = {{"policy_denied", 9, false}};
  CHECK(s.TotalDrops() == 5);
  const std::vector<ssr::CounterValue> nz = s.NonZeroDrops();
  REQUIRE(nz.size() == 2);
  CHECK(nz[0].name == "gate_drop_non_member");
  CHECK(nz[1].name == "pipeline_no_neighbor");
}

TEST_CASE("SpscRing refuses items when full and returns them in order") {
  ssr::router::SpscRing<int> ring(4);
  REQUIRE(ring.capacity() == 4);
  for (int i = 0; i < 4; ++i) CHECK(ring.TryPush(i));
  CHECK_FALSE(ring.TryPush(99));
  int v = -1;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(ring.TryPop(&v));
    CHECK(v == i);
  }
  CHECK_FALSE(ring.TryPop(&v));
  CHECK(ring.TryPush(5));  // room again after the pops
}

TEST_CASE("Version() is project(VERSION), and the version macros agree with it") {
  CHECK(ssr::Version() == SSR_TEST_PROJECT_VERSION);
  CHECK(ssr::Version() == SSR_VERSION_STRING);
  const std::string composed = std::to_string(SSR_VERSION_MAJOR) + "." +
                               std::to_string(SSR_VERSION_MINOR) + "." +
                               std::to_string(SSR_VERSION_PATCH);
  CHECK(composed == SSR_TEST_PROJECT_VERSION);
}

TEST_CASE("ParseLocalPortRange reads the kernel's file and refuses anything else") {
  const absl::StatusOr<ssr::config::PortRange> ok = ssr::router::ParseLocalPortRange("32768\t60999\n");
  REQUIRE(ok.ok());
  CHECK(ok->first == 32768);
  CHECK(ok->last == 60999);
  for (const char* bad : {"", "32768", "60999 32768", "0 100", "1 70000", "a b", "1 2 3"}) {
    CAPTURE(bad);
    const absl::StatusOr<ssr::config::PortRange> r = ssr::router::ParseLocalPortRange(bad);
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("An ephemeral port range inside the waypoint ports is warned about, one per WAN "
          "interface, naming the overlap and the remedy") {
  auto cfg = ssr::config::LoadConfigString(ssr::config::DefaultConfigText(),
                                           ssr::config::ConfigFormat::kText);
  REQUIRE(cfg.ok());
  const ssr::config::Router* branch = (*cfg)->FindRouter("branch");
  REQUIRE(branch != nullptr);
  // Linux's default range against the default waypoint range 16384-65534.
  const std::vector<std::string> w = ssr::router::EphemeralPortWarnings(*branch, {32768, 60999});
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("\"wan0\"") != std::string::npos);
  CHECK(w[0].find("(32768-60999)") != std::string::npos);
  CHECK(w[0].find("net.ipv4.ip_local_port_range") != std::string::npos);
  // Below every waypoint range: nothing to say.
  CHECK(ssr::router::EphemeralPortWarnings(*branch, {1024, 16383}).empty());
  // Partial overlap names only the overlapping ports.
  const std::vector<std::string> edge = ssr::router::EphemeralPortWarnings(*branch, {10000, 16384});
  REQUIRE(edge.size() == 1);
  CHECK(edge[0].find("(16384-16384)") != std::string::npos);
}

TEST_CASE("A reload may change the per-tenant limit, the embryonic caps and the pressure rule "
          "but no size fixed at start") {
  const ssr::config::Limits running;
  ssr::config::Limits next = running;
  CHECK(ssr::router::CheckReloadLimits(running, next).ok());
  next.max_sessions_per_tenant = 512;  // read per new session: a reload applies it
  next.max_embryonic_per_source = 8;   // set on each table by Pipeline::Reload (Retune)
  next.max_embryonic_per_tenant = 100;
  next.embryonic_pressure_percent = 50;
  next.tcp_embryonic_under_pressure_seconds = 2;
  CHECK(ssr::router::CheckReloadLimits(running, next).ok());

  next.max_sessions = 1024;
  absl::Status st = ssr::router::CheckReloadLimits(running, next);
  CHECK(st.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(st.message()), Catch::Contains("limits.max_sessions: 1048576 -> 1024"));
  CHECK_THAT(std::string(st.message()), Catch::Contains("restart the router"));

  next = running;
  next.ip_reassembly_slots = 8;
  st = ssr::router::CheckReloadLimits(running, next);
  CHECK_THAT(std::string(st.message()), Catch::Contains("limits.ip_reassembly_slots: 64 -> 8"));
  next = running;
  next.ip_reassembly_timeout_ms = 1000;
  st = ssr::router::CheckReloadLimits(running, next);
  CHECK_THAT(std::string(st.message()), Catch::Contains("limits.ip_reassembly_timeout_ms: "));
}
