// SPDX-License-Identifier: Apache-2.0
// ssr::Router in-process, on veths inside network namespaces the test creates (label netns):
// the branch and datacenter routers of the built-in config forward a ping from the guest client
// to the web service; reloads and session events are checked around it.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "io/netns_fixture.h"
#include "router_test_support.h"
#include "ssr/router.h"

namespace ssr::test {
namespace {

std::unique_ptr<ssr::Router> CreateIn(const std::string& netns, const std::string& router,
                                      ssr::SessionCallback on_session = nullptr,
                                      uint32_t workers = 0) {
  ssr::RouterOptions o;
  o.workers = workers;
  o.router = router;
  o.interfaces = {{"lan0", "lan0"}, {"wan0", "wan0"}};
  o.max_sessions_per_worker = 4096;
  o.on_session = std::move(on_session);
  InNetns in(netns);
  auto r = ssr::Router::Create(o, ssr::Config::Default());
  if (!r.ok()) FAIL("Router::Create(" << router << "): " << r.status().message());
  return std::move(*r);
}

// Pings the web service from the guest client; returns the replies received of `count`.
int Ping(const DemoTopology& t, int count) {
  std::string out;
  RunCapture("ip netns exec " + t.client + " ping -n -q -c " + std::to_string(count) +
                 " -i 0.2 -W 2 10.20.3.10",
             &out);
  const size_t pos = out.find(" received");
  if (pos == std::string::npos) return 0;
  size_t start = out.rfind(", ", pos);
  start = start == std::string::npos ? 0 : start + 2;
  return std::atoi(out.substr(start, pos - start).c_str());
}

template <typename Pred>
bool WaitFor(Pred pred, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace

TEST_CASE("Router::Create names a Linux interface that does not exist") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const std::string ns = topo.AddNamespace();
  ssr::RouterOptions o;
  o.router = "branch";
  o.interfaces = {{"lan0", "lan0"}, {"wan0", "nosuch9"}};
  InNetns in(ns);
  NetnsTopology::Exec(ns, "ip link add lan0 type veth peer name peer0");
  const auto r = ssr::Router::Create(o, ssr::Config::Default());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("\"nosuch9\""));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("wan0"));
}

TEST_CASE(
    "Router::Reload of a config without the router is rejected and the old config keeps "
    "forwarding") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  auto branch = CreateIn(t.branch, "branch");
  auto datacenter = CreateIn(t.datacenter, "datacenter");
  REQUIRE(branch->Start().ok());
  REQUIRE(datacenter->Start().ok());
  Ping(t, 1);  // warm-up: neighbour resolution may cost the first packet
  REQUIRE(Ping(t, 3) == 3);

  const auto other = ssr::Config::Parse(R"(
    organization: "other"
    routers { name: "hq" interfaces { name: "lan0" role: LAN addresses: "10.1.0.1/16" } }
  )");
  REQUIRE(other.ok());
  const absl::Status st = branch->Reload(*other);
  CHECK(st.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(st.message()), Catch::Contains("\"branch\""));
  ssr::RouterStats s = branch->Stats();
  CHECK(s.config_generation == 1);
  CHECK(s.reloads_failed == 1);
  CHECK(branch->config().organization() == "example-corp");
  CHECK(Ping(t, 3) == 3);

  REQUIRE(branch->Reload(ssr::Config::Default()).ok());
  s = branch->Stats();
  CHECK(s.config_generation == 2);
  CHECK(s.reloads_ok == 1);
  CHECK(Ping(t, 3) == 3);
  branch->Stop();
  datacenter->Stop();
  s = branch->Stats();
  CHECK(s.Get("pipeline.reloads") == 1);
  CHECK(s.Get("policy.policy_allow") >= 1);
}

TEST_CASE("Router::Reload that changes the router's interfaces is rejected naming the reason") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  auto branch = CreateIn(t.branch, "branch");
  const auto changed = ssr::Config::Parse(R"(
    organization: "example-corp"
    routers { name: "branch" interfaces { name: "lan1" role: LAN addresses: "10.10.0.1/16" } }
  )");
  REQUIRE(changed.ok());
  const absl::Status st = branch->Reload(*changed);
  CHECK(st.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(st.message()), Catch::Contains("interfaces of router \"branch\" changed"));
  CHECK(branch->Stats().config_generation == 1);
}

TEST_CASE("Router reports the session a ping opens with its tenant, service and peer names") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  std::mutex mu;
  std::vector<ssr::SessionEvent> events;
  auto branch = CreateIn(t.branch, "branch", [&](const ssr::SessionEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  });
  auto datacenter = CreateIn(t.datacenter, "datacenter");
  REQUIRE(branch->Start().ok());
  REQUIRE(datacenter->Start().ok());
  Ping(t, 1);
  REQUIRE(Ping(t, 2) == 2);
  const bool seen = WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        for (const ssr::SessionEvent& e : events) {
          if (e.kind == ssr::SessionEvent::Kind::kOpened && e.destination == "10.20.3.10")
            return true;
        }
        return false;
      },
      5000);
  REQUIRE(seen);
  std::lock_guard<std::mutex> lock(mu);
  for (const ssr::SessionEvent& e : events) {
    if (e.kind != ssr::SessionEvent::Kind::kOpened || e.destination != "10.20.3.10") continue;
    CHECK(e.tenant == "guest");
    CHECK(e.service == "web");
    CHECK(e.peer == "datacenter");
    CHECK(e.source == "10.10.9.20");
    CHECK(e.protocol == 1);
    CHECK(e.uuid.size() == 36);
  }
  CHECK(branch->Stats().session_events_dropped == 0);
}

TEST_CASE("Router runs one worker per RX queue by default and forwards with two workers") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo, 2);
  auto branch = CreateIn(t.branch, "branch");
  auto datacenter = CreateIn(t.datacenter, "datacenter");
  REQUIRE(branch->Stats().workers.size() == 2);
  REQUIRE(datacenter->Stats().workers.size() == 2);
  REQUIRE(branch->Start().ok());
  REQUIRE(datacenter->Start().ok());
  Ping(t, 1);
  CHECK(Ping(t, 5) == 5);
  branch->Stop();
  datacenter->Stop();
  const ssr::RouterStats s = branch->Stats();
  CHECK(s.Get("pipeline.tx_packets") >= 10);
  CHECK(s.Get("worker.0.rx_packets") + s.Get("worker.1.rx_packets") ==
        s.Get("pipeline.rx_packets"));
  REQUIRE(s.interfaces.size() == 2);
  CHECK(s.interfaces[0].queues == 2);
  // The kernel's socket counters are exported next to ours (drops a socket never saw).
  const std::vector<ssr::CounterValue> flat = s.Flatten();
  CHECK(std::any_of(flat.begin(), flat.end(), [](const ssr::CounterValue& c) {
    return c.name == "xsk.lan0.kernel_rx_ring_full" && c.is_drop;
  }));
  if (std::thread::hardware_concurrency() >= 2) {
    CHECK(s.workers[0].cpu >= 0);  // pinned when workers <= CPUs
    CHECK(s.workers[0].cpu != s.workers[1].cpu);
  }
}

TEST_CASE(
    "Router in auto XDP mode forwards when one interface attaches native and the other only skb") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  // The branch's WAN becomes a macvlan on top of the veth: macvlan has no driver XDP, so the gate
  // attaches there in skb mode while the LAN veth takes native mode.
  for (const char* cmd : {"ip link set wan0 down", "ip addr flush dev wan0",
                          "ip link set wan0 name wanlow", "ip link set wanlow up"}) {
    NetnsTopology::Exec(t.branch, cmd);
  }
  if (NetnsTopology::Exec(t.branch, "ip link add wan0 link wanlow type macvlan mode bridge",
                          /*may_fail=*/true) != 0) {
    SkipTest("macvlan interfaces are not available");
  }
  for (const char* cmd : {"sysctl -qw net.ipv6.conf.wan0.disable_ipv6=1",
                          "ip addr add 192.0.2.1/24 dev wan0", "ip link set wan0 up"}) {
    NetnsTopology::Exec(t.branch, cmd);
  }
  auto branch = CreateIn(t.branch, "branch");  // RouterOptions::xdp_mode: kAuto
  auto datacenter = CreateIn(t.datacenter, "datacenter");
  const ssr::RouterStats before = branch->Stats();
  REQUIRE(before.interfaces.size() == 2);
  CHECK(before.interfaces[0].os_name == "lan0");
  CHECK(before.interfaces[0].xdp_mode == "native");
  CHECK(before.interfaces[1].os_name == "wan0");
  CHECK(before.interfaces[1].xdp_mode == "skb");
  REQUIRE(branch->Start().ok());
  REQUIRE(datacenter->Start().ok());
  Ping(t, 1);  // warm-up: neighbour resolution may cost the first packet
  CHECK(Ping(t, 3) == 3);
  branch->Stop();
  datacenter->Stop();
  CHECK(branch->Stats().Get("pipeline.tx_packets") >= 6);
}

}  // namespace ssr::test
