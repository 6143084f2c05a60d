// SPDX-License-Identifier: Apache-2.0
// ssr::Router in-process, on veths inside network namespaces the test creates (label netns):
// the branch and datacenter routers of the built-in config forward a ping from the guest client
// to the web service, over IPv4 and IPv6 (ICMPv6 echo, with the IPv6 neighbours found by ND
// through the gate), across the WAN of either family; reloads and session events are checked
// around it.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "io/netns_fixture.h"
#include "router_test_support.h"
#include "ssr/router.h"

namespace ssr::test {
namespace {

std::unique_ptr<ssr::Router> CreateIn(const std::string& netns, const std::string& router,
                                      ssr::SessionCallback on_session = nullptr,
                                      uint32_t workers = 0,
                                      const ssr::Config& config = ssr::Config::Default()) {
  ssr::RouterOptions o;
  o.workers = workers;
  o.router = router;
  o.interfaces = {{"lan0", "lan0"}, {"wan0", "wan0"}};
  o.max_sessions_per_worker = 4096;
  o.on_session = std::move(on_session);
  InNetns in(netns);
  auto r = ssr::Router::Create(o, config);
  if (!r.ok()) FAIL("Router::Create(" << router << "): " << r.status().message());
  return std::move(*r);
}

// Pings the web service (10.20.3.10, or its IPv6 address) from the guest client; returns the
// replies received of `count`.
int Ping(const DemoTopology& t, int count, const std::string& web = "10.20.3.10") {
  std::string out;
  RunCapture("ip netns exec " + t.client + " ping -n -q -c " + std::to_string(count) +
                 " -i 0.2 -W 2 " + web,
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
  CHECK(r.status().code() == ssr::StatusCode::kFailedPrecondition);
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
  const ssr::Status st = branch->Reload(*other);
  CHECK(st.code() == ssr::StatusCode::kNotFound);
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
  const ssr::Status st = branch->Reload(*changed);
  CHECK(st.code() == ssr::StatusCode::kFailedPrecondition);
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
  for (const char* cmd : {"sysctl -qw net.ipv6.conf.wan0.accept_dad=0",
                          "ip addr add 192.0.2.1/24 dev wan0",
                          "ip addr add 2001:db8:2::1/64 dev wan0 nodad", "ip link set wan0 up"}) {
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
  Ping(t, 1, "fd00:10:20:3::10");  // warm-up: ND on both LANs
  CHECK(Ping(t, 3, "fd00:10:20:3::10") == 3);
  branch->Stop();
  datacenter->Stop();
  CHECK(branch->Stats().Get("pipeline.tx_packets") >= 12);
}

// The built-in config with each router's IPv6 peer address first: sessions take the IPv6 WAN
// path (docs/protocol.md §2.15).
ssr::Config ConfigWithIpv6Wan() {
  std::ifstream in(std::string(SSR_SOURCE_DIR) + "/examples/configs/default.textproto");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"    addresses: \"192.0.2.2\"\n    addresses: \"2001:db8:2::2\"\n",
            "    addresses: \"2001:db8:2::2\"\n    addresses: \"192.0.2.2\"\n"},
           {"    addresses: \"192.0.2.1\"\n    addresses: \"2001:db8:2::1\"\n",
            "    addresses: \"2001:db8:2::1\"\n    addresses: \"192.0.2.1\"\n"}}) {
    const size_t at = text.find(from);
    if (at == std::string::npos) FAIL("default.textproto has no peer address pair " << from);
    text.replace(at, from.size(), to);
  }
  auto cfg = ssr::Config::Parse(text);
  if (!cfg.ok()) FAIL("IPv6-WAN config: " << cfg.status().message());
  return *cfg;
}

TEST_CASE("Router forwards ICMPv6 echo between the dual-stack client and server over either WAN") {
  for (const bool v6_wan : {false, true}) {
    DYNAMIC_SECTION((v6_wan ? "IPv6 WAN (IPv6 peer address first)" : "IPv4 WAN (built-in config)")) {
      RequireNetnsSupport();
      NetnsTopology topo;
      const DemoTopology t = BuildDemoTopology(topo);
      const ssr::Config cfg = v6_wan ? ConfigWithIpv6Wan() : ssr::Config::Default();
      if (v6_wan) {
        // No IPv4 on the WAN in the kernel: a peer path over IPv4 could not resolve its
        // neighbour (no_neighbor), so whatever crosses went over IPv6.
        NetnsTopology::Exec(t.branch, "ip -4 addr flush dev wan0");
        NetnsTopology::Exec(t.datacenter, "ip -4 addr flush dev wan0");
      }
      auto branch = CreateIn(t.branch, "branch", nullptr, 0, cfg);
      auto datacenter = CreateIn(t.datacenter, "datacenter", nullptr, 0, cfg);
      REQUIRE(branch->Start().ok());
      REQUIRE(datacenter->Start().ok());
      // Warm-ups: ND / ARP on both LANs (and the WAN); their answers may or may not come back.
      const int warm6 = Ping(t, 1, "fd00:10:20:3::10");
      CHECK(Ping(t, 5, "fd00:10:20:3::10") == 5);
      const int warm4 = Ping(t, 1);
      CHECK(Ping(t, 3) == 3);  // dual stack: IPv4 sessions too, over the same WAN
      branch->Stop();
      datacenter->Stop();
      const ssr::RouterStats bs = branch->Stats();
      const ssr::RouterStats ds = datacenter->Stats();
      CHECK(bs.Get("gate.pass_nd") >= 1);  // the client's solicitation for the router
      CHECK(ds.Get("gate.pass_nd") >= 1);  // the kernel's answers for the server and the peer
      CHECK(bs.Get("gate.lan_allow") >= 10);
      CHECK(ds.Get("gate.lan_service_reply") >= static_cast<uint64_t>(8 + warm6 + warm4));
      CHECK(bs.Get("pipeline.session_created") >= 2);
      CHECK(ds.Get("pipeline.session_created") >= 2);
      CHECK(bs.Get("pipeline.auth_fail") == 0);
      if (v6_wan) CHECK(bs.Get("pipeline.no_neighbor") == 0);
    }
  }
}

}  // namespace ssr::test
