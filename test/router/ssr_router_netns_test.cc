// SPDX-License-Identifier: Apache-2.0
// ssr-router as a process on veths inside network namespaces the test creates (label netns):
// forwarding through two routers with the stats dump checked, the idle policy (--busy-poll,
// --idle-yield-us), deeper rings and a smaller batch (--frames, --fill-ring, --rx-ring, --batch),
// SIGHUP reloads, SIGTERM clean-up, and --cleanup of an XDP program a crashed process left
// attached.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "io/netns_fixture.h"
#include "router_test_support.h"

namespace ssr::test {
namespace {

std::vector<std::string> RouterArgs(const std::string& router, const std::string& dir,
                                    const std::vector<std::string>& extra = {}) {
  std::vector<std::string> a = {SsrRouterPath(),    "--router",     router,
                                "--interface",      "lan0=lan0",    "--interface",
                                "wan0=wan0",        "--stats-file", dir + "/" + router + ".stats",
                                "--stats-interval", "0.2"};
  if (extra.empty()) a.push_back("--default");
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// Starts branch and datacenter on the demo topology (datacenter on the default config; branch
// with `branch_extra`, or the default config when empty) and waits until both are ready; on a
// timeout both are killed and the test fails with their output.
std::pair<pid_t, pid_t> StartRouters(const DemoTopology& t, const std::string& dir,
                                     const std::vector<std::string>& branch_extra = {}) {
  const pid_t b =
      SpawnInNetns(t.branch, RouterArgs("branch", dir, branch_extra), dir + "/branch.out");
  const pid_t d =
      SpawnInNetns(t.datacenter, RouterArgs("datacenter", dir), dir + "/datacenter.out");
  const bool ready = WaitForLine(dir + "/branch.out", "ready", 60000) &&
                     WaitForLine(dir + "/datacenter.out", "ready", 60000);
  if (!ready) {
    StopChild(b, SIGKILL, 1000);
    StopChild(d, SIGKILL, 1000);
    FAIL("not ready:\n" << ReadFile(dir + "/branch.out") << ReadFile(dir + "/datacenter.out"));
  }
  return {b, d};
}

uint64_t Num(const std::map<std::string, std::string>& stats, const std::string& name) {
  auto it = stats.find(name);
  return it == stats.end() ? 0 : std::stoull(it->second);
}

std::string LastLineStartingWith(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string last;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(prefix, 0) == 0) last = l;
  }
  return last;
}

// Pings web (10.20.3.10, or its IPv6 address fd00:10:20:3::10) from the guest client.
int PingReplies(const DemoTopology& t, int count, const std::string& web = "10.20.3.10") {
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

bool NoXdpOn(const std::string& netns, const std::string& ifname) {
  std::string out;
  RunCapture("ip netns exec " + netns + " ip link show " + ifname, &out);
  return out.find(ifname) != std::string::npos && out.find("xdp") == std::string::npos;
}

// A one-instruction XDP program (return XDP_PASS) attached through netlink without a BPF link,
// so it stays after its fd is closed — what a killed process can leave behind.
void AttachLeftoverXdp(const std::string& netns, const std::string& ifname, uint32_t mode_flag) {
  InNetns in(netns);
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "leftover", "GPL", insns, 2, nullptr);
  if (fd < 0) SkipTest("cannot load an XDP program: " + std::string(strerror(errno)));
  const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  REQUIRE(ifindex > 0);
  const int rc = bpf_xdp_attach(ifindex, fd, mode_flag, nullptr);
  close(fd);
  REQUIRE(rc == 0);
}

}  // namespace

TEST_CASE(
    "ssr-router forwards a ping from guest 10.10.9.20 to web 10.20.3.10 through branch and "
    "datacenter, and an ICMPv6 echo between their IPv6 addresses") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  const std::string dir = MakeTempDir();
  const auto [b, d] = StartRouters(t, dir);
  PingReplies(t, 1);  // warm-up: neighbour resolution may cost the first packet
  const int replies = PingReplies(t, 10);
  PingReplies(t, 1, "fd00:10:20:3::10");  // warm-up: ND on both LANs
  const int replies_v6 = PingReplies(t, 10, "fd00:10:20:3::10");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // two stats lines, fresh counters
  CHECK(StopChild(b, SIGTERM, 20000) == 0);
  CHECK(StopChild(d, SIGTERM, 20000) == 0);
  const std::string branch_out = ReadFile(dir + "/branch.out");
  INFO(branch_out << ReadFile(dir + "/datacenter.out"));
  CHECK(replies == 10);
  CHECK(replies_v6 == 10);
  CHECK(NoXdpOn(t.branch, "lan0"));
  CHECK(NoXdpOn(t.branch, "wan0"));
  CHECK(NoXdpOn(t.datacenter, "lan0"));

  const std::string line = LastLineStartingWith(branch_out, "ssr-router branch: rx=");
  CHECK_FALSE(line.empty());
  std::cout << line << "\n";
  std::cout << LastLineStartingWith(ReadFile(dir + "/datacenter.out"), "ssr-router datacenter: rx=")
            << "\n";

  // Stats dumps written at exit: 11 pings of each family each way through both routers.
  const auto bs = ReadStatsFile(dir + "/branch.stats");
  const auto ds = ReadStatsFile(dir + "/datacenter.stats");
  CHECK(Num(bs, "gate.lan_allow") >= 20);     // echo requests from the guest
  CHECK(Num(bs, "gate.wan_waypoint") >= 20);  // replies from the datacenter
  CHECK(Num(bs, "gate.pass_nd") >= 1);        // the guest's solicitation for its router
  CHECK(Num(bs, "pipeline.session_created") >= 2);  // one per family
  CHECK(Num(bs, "policy.policy_allow") >= 1);
  CHECK(Num(bs, "pipeline.tx_packets") >= 20);
  CHECK(Num(bs, "crypto.crypto_signed") >= 10);
  CHECK(Num(bs, "crypto.crypto_verified") >= 10);
  CHECK(Num(bs, "pipeline.auth_fail") == 0);
  CHECK(Num(bs, "peer.datacenter.sessions") + Num(bs, "sessions.live") >= 1);
  CHECK(Num(ds, "gate.wan_waypoint") >= 10);
  CHECK(Num(ds, "gate.lan_service_reply") >= 20);  // the web server's replies
  CHECK(Num(ds, "pipeline.tx_packets") >= 20);
  CHECK(Num(ds, "pipeline.session_created") >= 1);
  CHECK(Num(ds, "xsk.lan0.xsk_tx_packets") >= 10);
  CHECK((bs.at("mode.lan0") == "native" || bs.at("mode.lan0") == "skb"));
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("ssr-router --busy-poll workers never sleep, default workers sleep once idle") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  const std::string dir = MakeTempDir();
  const auto [b, d] = StartRouters(t, dir, {"--default", "--busy-poll"});
  PingReplies(t, 1);
  const int replies = PingReplies(t, 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // idle: well past the 2 ms yield
  CHECK(StopChild(b, SIGTERM, 20000) == 0);
  CHECK(StopChild(d, SIGTERM, 20000) == 0);
  INFO(ReadFile(dir + "/branch.out") << ReadFile(dir + "/datacenter.out"));
  CHECK(replies == 5);  // a spinning worker forwards like a sleeping one
  const auto bs = ReadStatsFile(dir + "/branch.stats");
  const auto ds = ReadStatsFile(dir + "/datacenter.stats");
  CHECK(Num(bs, "worker.0.polls") > 0);
  CHECK(Num(bs, "worker.0.idle_sleeps") == 0);
  // Seconds of mostly idle time: the default worker slept (in 1 ms polls), it did not spin.
  CHECK(Num(ds, "worker.0.idle_sleeps") > 100);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("ssr-router --idle-yield-us 0 workers sleep whenever their rings are empty") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  const std::string dir = MakeTempDir();
  const auto [b, d] = StartRouters(t, dir, {"--default", "--idle-yield-us", "0"});
  PingReplies(t, 1);
  const int replies = PingReplies(t, 5);
  CHECK(StopChild(b, SIGTERM, 20000) == 0);
  CHECK(StopChild(d, SIGTERM, 20000) == 0);
  INFO(ReadFile(dir + "/branch.out") << ReadFile(dir + "/datacenter.out"));
  CHECK(replies == 5);  // a worker that never yields forwards like the default one
  const auto bs = ReadStatsFile(dir + "/branch.stats");
  // Every poll either received packets or was followed by a sleep: no yielding polls in between.
  const uint64_t polls = Num(bs, "worker.0.polls");
  const uint64_t sleeps = Num(bs, "worker.0.idle_sleeps");
  CHECK(sleeps > 100);
  CHECK(polls >= sleeps);
  CHECK(polls - sleeps <= Num(bs, "pipeline.rx_packets"));
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE(
    "ssr-router forwards with deeper rings and a smaller batch (--frames 8192 --fill-ring "
    "4096 --rx-ring 4096 --batch 32)") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  const std::string dir = MakeTempDir();
  const auto [b, d] = StartRouters(t, dir,
                                   {"--default", "--frames", "8192", "--fill-ring", "4096",
                                    "--rx-ring", "4096", "--batch", "32"});
  PingReplies(t, 1);
  const int replies = PingReplies(t, 5);
  CHECK(StopChild(b, SIGTERM, 20000) == 0);
  CHECK(StopChild(d, SIGTERM, 20000) == 0);
  INFO(ReadFile(dir + "/branch.out") << ReadFile(dir + "/datacenter.out"));
  CHECK(replies == 5);
  const auto bs = ReadStatsFile(dir + "/branch.stats");
  CHECK(Num(bs, "pipeline.rx_packets") >= 10);
  CHECK(Num(bs, "pipeline.tx_packets") >= 10);
  // 8192 frames cover both 4096-entry fill rings at half depth (2 x 2048) with room to spare:
  // every refill found its frames.
  CHECK(Num(bs, "xsk.lan0.xsk_fill_no_frame") == 0);
  CHECK(Num(bs, "xsk.wan0.xsk_fill_no_frame") == 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE(
    "ssr-router keeps the old config after a SIGHUP with a broken file and applies a good one") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const DemoTopology t = BuildDemoTopology(topo);
  const std::string dir = MakeTempDir();
  const std::string cfg = dir + "/router.textproto";
  REQUIRE(std::system(
              ("cp " + std::string(SSR_SOURCE_DIR) + "/examples/configs/default.textproto " + cfg)
                  .c_str()) == 0);
  const pid_t b =
      SpawnInNetns(t.branch, RouterArgs("branch", dir, {"--config", cfg}), dir + "/branch.out");
  REQUIRE(WaitForLine(dir + "/branch.out", "ready", 60000));

  REQUIRE(std::system(("echo 'routers { name: \"branch\" bogus_field: 1 }' >> " + cfg).c_str()) ==
          0);
  kill(b, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(b, SIGUSR1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto after_bad = ReadStatsFile(dir + "/branch.stats");

  REQUIRE(std::system(
              ("cp " + std::string(SSR_SOURCE_DIR) + "/examples/configs/default.textproto " + cfg)
                  .c_str()) == 0);
  kill(b, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int rc = StopChild(b, SIGTERM, 20000);
  const std::string out = ReadFile(dir + "/branch.out");
  INFO(out);
  CHECK(rc == 0);
  CHECK_THAT(out, Catch::Contains("reload failed, the old config keeps running"));
  CHECK_THAT(out, Catch::Contains("bogus_field"));
  CHECK(Num(after_bad, "router.config_generation") == 1);
  CHECK(Num(after_bad, "router.reloads_failed") == 0);  // rejected before reaching the router
  const auto final_stats = ReadStatsFile(dir + "/branch.stats");
  CHECK(Num(final_stats, "router.config_generation") == 2);
  CHECK(Num(final_stats, "router.reloads_ok") == 1);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("ssr-router --cleanup detaches XDP programs a killed process left on a veth") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const std::string ns = topo.AddNamespace();
  NetnsTopology::Exec(ns, "ip link add lan0 type veth peer name wan0");
  NetnsTopology::Exec(ns, "ip link set lan0 up");
  NetnsTopology::Exec(ns, "ip link set wan0 up");
  AttachLeftoverXdp(ns, "lan0", XDP_FLAGS_SKB_MODE);
  AttachLeftoverXdp(ns, "wan0", XDP_FLAGS_DRV_MODE);
  REQUIRE_FALSE(NoXdpOn(ns, "lan0"));
  REQUIRE_FALSE(NoXdpOn(ns, "wan0"));
  std::string out;
  const int rc = RunCapture("ip netns exec " + ns + " " + SsrRouterPath() +
                                " --cleanup --interface lan0=lan0 --interface wan0=wan0",
                            &out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(NoXdpOn(ns, "lan0"));
  CHECK(NoXdpOn(ns, "wan0"));
}

TEST_CASE("ssr-router --cleanup names a missing interface and exits 1") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const std::string ns = topo.AddNamespace();
  std::string out;
  const int rc = RunCapture(
      "ip netns exec " + ns + " " + SsrRouterPath() + " --cleanup --interface lan0=nosuch7", &out);
  CHECK(rc == 1);
  CHECK_THAT(out, Catch::Contains("\"nosuch7\""));
}

namespace {

// A namespace with the veth pair lan0 <-> wan0 (enough for the branch router of the default
// config to start).
std::string VethNamespace(NetnsTopology& topo) {
  const std::string ns = topo.AddNamespace();
  NetnsTopology::Exec(ns, "ip link add lan0 type veth peer name wan0");
  NetnsTopology::Exec(ns, "ip link set lan0 up");
  NetnsTopology::Exec(ns, "ip link set wan0 up");
  return ns;
}

// Starts ssr-router (branch) in `ns` with its output in dir/NAME.out and waits until it is ready;
// fails the test (after killing it) when it never gets there.
pid_t SpawnReadyRouter(const std::string& ns, const std::string& dir, const std::string& name) {
  const std::string out = dir + "/" + name + ".out";
  const pid_t pid = SpawnInNetns(ns, RouterArgs("branch", dir), out);
  if (!WaitForLine(out, "ready", 60000)) {
    StopChild(pid, SIGKILL, 1000);
    FAIL("not ready:\n" << ReadFile(out));
  }
  return pid;
}

std::string CommandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

TEST_CASE("ssr-router without --stats-file dumps the counters to stderr on SIGUSR1") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const std::string ns = VethNamespace(topo);
  const std::string dir = MakeTempDir();
  const std::string out = dir + "/usr1.out";
  const pid_t pid = SpawnInNetns(ns,
                                 {SsrRouterPath(), "--default", "--router", "branch", "--interface",
                                  "lan0=lan0", "--interface", "wan0=wan0"},
                                 out);
  if (!WaitForLine(out, "ready", 60000)) {
    StopChild(pid, SIGKILL, 1000);
    FAIL("not ready:\n" << ReadFile(out));
  }
  kill(pid, SIGUSR1);
  // The dump: a log line announcing it, then "name value" lines as in a --stats-file.
  bool dumped = false;
  for (int i = 0; i < 250 && !dumped; ++i) {
    const std::string text = ReadFile(out);
    dumped = text.find(" INFO  SIGUSR1: stats dump (no --stats-file)\n") != std::string::npos &&
             text.find("\npipeline.rx_packets ") != std::string::npos &&
             text.find("\nmode.lan0 ") != std::string::npos;
    if (!dumped) usleep(20000);
  }
  CHECK(StopChild(pid, SIGTERM, 20000) == 0);
  const std::string text = ReadFile(out);
  INFO(text);
  CHECK(dumped);
  // No periodic summary without --summary-interval.
  CHECK(LastLineStartingWith(text, "ssr-router branch: rx=").empty());
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("ssr-router starts again after kill -9, taking over the gate the killed one left") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const std::string ns = VethNamespace(topo);
  const std::string dir = MakeTempDir();
  const pid_t first = SpawnReadyRouter(ns, dir, "first");
  CHECK(StopChild(first, SIGKILL, 5000) == 128 + SIGKILL);
  REQUIRE_FALSE(NoXdpOn(ns, "lan0"));  // the killed process could not detach its gate
  REQUIRE_FALSE(NoXdpOn(ns, "wan0"));

  const pid_t second = SpawnInNetns(ns, RouterArgs("branch", dir), dir + "/second.out");
  const bool ready = WaitForLine(dir + "/second.out", "ready", 60000);
  const int rc = StopChild(second, SIGTERM, 10000);
  const std::string out = ReadFile(dir + "/second.out");
  INFO(out);
  CHECK(ready);
  CHECK(rc == 0);
  CHECK_THAT(out, Catch::Contains("taking over the XDP gate"));
  CHECK(NoXdpOn(ns, "lan0"));
  CHECK(NoXdpOn(ns, "wan0"));
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("ssr-router does not take over the gate of a running ssr-router and names its pid") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const std::string ns = VethNamespace(topo);
  const std::string dir = MakeTempDir();
  const pid_t first = SpawnReadyRouter(ns, dir, "first");
  std::string out;
  const int rc = RunCapture(
      "timeout 30 ip netns exec " + ns + " " + CommandLine(RouterArgs("branch", dir)), &out);
  const int first_rc = StopChild(first, SIGTERM, 10000);
  INFO(out);
  CHECK(rc == 1);
  CHECK_THAT(out, Catch::Contains("running libssr router (pid " + std::to_string(first)));
  CHECK(first_rc == 0);  // the running router was left alone
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("ssr-router refuses an interface with a program that is not a gate, naming --cleanup") {
  RequireNetnsSupport();
  NetnsTopology topo;
  const std::string ns = VethNamespace(topo);
  AttachLeftoverXdp(ns, "wan0", XDP_FLAGS_DRV_MODE);
  const std::string dir = MakeTempDir();
  std::string out;
  const int rc = RunCapture(
      "timeout 30 ip netns exec " + ns + " " + CommandLine(RouterArgs("branch", dir)), &out);
  INFO(out);
  CHECK(rc == 1);
  CHECK_THAT(out, Catch::Contains("\"leftover\""));
  CHECK_THAT(out, Catch::Contains("ssr-router --cleanup --interface wan0"));
  CHECK_FALSE(NoXdpOn(ns, "wan0"));  // someone else's program is never detached by a start
  CHECK(NoXdpOn(ns, "lan0"));        // and the gate is gone from the interface it did attach to
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace ssr::test
