// SPDX-License-Identifier: Apache-2.0
// The XDP gate run through bpf_prog_test_run_opts, its maps filled by ComputeGateContents from
// the built-in default config (the code the router runs). Label `bpf`: needs root; every test
// enters a private network namespace and skips (exit 77) when BPF or namespaces are refused.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "gate/gate.h"
#include "gate/v6_summary.h"
#include "gate_rows.h"
#include "gate_test_support.h"
#include "packet/protocol.h"
#include "policy/policy.h"

namespace ssr::gate::test {
namespace {

size_t CountEntries(int map_fd, size_t key_size) {
  std::vector<uint8_t> key(key_size), next(key_size);
  size_t n = 0;
  void* prev = nullptr;
  while (bpf_map_get_next_key(map_fd, prev, next.data()) == 0) {
    ++n;
    key = next;
    prev = key.data();
  }
  return n;
}

uint64_t Sum(const std::vector<uint64_t>& v) {
  uint64_t s = 0;
  for (uint64_t x : v) s += x;
  return s;
}

ssr_gate_reason DropReasonOf(policy::Verdict v) {
  switch (v) {
    case policy::Verdict::kNonMember:
      return SSR_GATE_DROP_NON_MEMBER;
    case policy::Verdict::kNoService:
      return SSR_GATE_DROP_NO_SERVICE;
    case policy::Verdict::kDenied:
      return SSR_GATE_DROP_DENIED;
    default:
      return SSR_GATE_REASON_COUNT;
  }
}

}  // namespace

TEST_CASE("every fixture row gets its action and reason counter and leaves the frame unchanged",
          "[bpf]") {
  const std::vector<GateRow> rows = GateRows();
  REQUIRE(rows.size() >= 20);
  auto config = DefaultConfig();
  std::set<ssr_gate_reason> reasons_seen;
  for (const std::string router : {"branch", "datacenter"}) {
    std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, router);
    auto sockets = AddSocketsOrSkip(*gate);
    for (const GateRow& row : rows) {
      if (row.router != router) continue;
      INFO(row.router << "/" << row.interface << ": " << row.description);
      const std::vector<uint64_t> before = CounterPackets(*gate);
      const RunResult r = RunGate(*gate, row.interface, row.frame);
      REQUIRE(r.err == 0);
      CHECK(ActionName(r.action) == ActionName(row.action));
      CHECK(r.out == row.frame);
      const std::vector<uint64_t> after = CounterPackets(*gate);
      CHECK(ssr_gate_reason_name(row.reason) != std::string("invalid"));
      CHECK(after[row.reason] - before[row.reason] == 1);
      CHECK(Sum(after) - Sum(before) == 1);
      reasons_seen.insert(row.reason);
    }
  }
  // The table exercises every reason except the no-socket fallback (its own test) and the IPv6
  // chain limit (below).
  CHECK(reasons_seen.size() == SSR_GATE_REASON_COUNT - 2);
}

TEST_CASE("an interface whose ifindex is past the array is looked up in the hash, same verdicts",
          "[bpf]") {
  // lan0 moves to ifindex 5000 (>= SSR_GATE_IFINDEX_DIRECT: the ssr_ifaces hash), wan0 stays
  // in the array; every branch row must still get its verdict.
  EnterTestNamespace();
  static_assert(5000 >= SSR_GATE_IFINDEX_DIRECT);
  auto shell = [](const char* cmd) {
    return std::system((std::string(cmd) + " >/dev/null 2>&1").c_str());
  };
  if (shell("ip link del lan0 && ip link add lan0 index 5000 type veth peer name lan0p && "
            "ip link set lan0 up && ip link set lan0p up") != 0) {
    SkipTest("recreating lan0 with ifindex 5000 failed");
  }
  REQUIRE(if_nametoindex("lan0") == 5000);
  auto config = DefaultConfig();
  {
    std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
    auto sockets = AddSocketsOrSkip(*gate);
    CHECK(CountEntries(gate->MapFd(SSR_GATE_MAP_IFACES), sizeof(ssr_iface_key)) == 1);
    size_t rows = 0;
    for (const GateRow& row : GateRows()) {
      if (row.router != "branch") continue;
      INFO(row.interface << ": " << row.description);
      const std::vector<uint64_t> before = CounterPackets(*gate);
      const RunResult r = RunGate(*gate, row.interface, row.frame);
      REQUIRE(r.err == 0);
      CHECK(ActionName(r.action) == ActionName(row.action));
      CHECK(CounterPackets(*gate)[row.reason] - before[row.reason] == 1);
      ++rows;
    }
    CHECK(rows > 20);
  }
  shell("ip link del lan0 && ip link add lan0 type veth peer name lan0p && ip link set lan0 up && "
        "ip link set lan0p up");
}

TEST_CASE("an IPv6 extension chain longer than the gate walks is dropped", "[bpf]") {
  auto config = DefaultConfig();
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  static const uint8_t kBody[6] = {};
  std::vector<packet::Ipv6ExtensionSpec> chain(SSR_GATE_MAX_IPV6_EXTENSIONS + 1,
                                               {packet::kIpProtoDstOpts, kBody});
  packet::PacketSpec s = Tcp("fd00::5", 40000, "2001:db8::1", 443);
  s.ipv6_extensions = chain;
  const std::vector<uint8_t> frame = Frame(s);
  const std::vector<uint64_t> before = CounterPackets(*gate);
  const RunResult r = RunGate(*gate, "lan0", frame);
  REQUIRE(r.err == 0);
  CHECK(r.action == XDP_DROP);
  CHECK(CounterPackets(*gate)[SSR_GATE_DROP_IPV6_EXTENSIONS] -
            before[SSR_GATE_DROP_IPV6_EXTENSIONS] ==
        1);
}

TEST_CASE("allowed traffic without an AF_XDP socket on the queue is dropped as drop_no_socket",
          "[bpf]") {
  auto config = DefaultConfig();
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  const std::vector<uint8_t> frame = Frame(Tcp("10.10.2.5", 40000, "10.20.1.10", 443));
  const std::vector<uint64_t> before = CounterPackets(*gate);
  const RunResult r = RunGate(*gate, "lan0", frame);
  REQUIRE(r.err == 0);
  CHECK(ActionName(r.action) == "XDP_DROP");
  const std::vector<uint64_t> after = CounterPackets(*gate);
  CHECK(after[SSR_GATE_DROP_NO_SOCKET] - before[SSR_GATE_DROP_NO_SOCKET] == 1);
  CHECK(after[SSR_GATE_LAN_ALLOW] == before[SSR_GATE_LAN_ALLOW]);

  // With a socket on the queue the same frame is redirected.
  auto sockets = AddSocketsOrSkip(*gate);
  CHECK(ActionName(RunGate(*gate, "lan0", frame).action) == "XDP_REDIRECT");
  // And again dropped once the socket leaves the map.
  REQUIRE(gate->RemoveSocket("lan0", 0).ok());
  CHECK(ActionName(RunGate(*gate, "lan0", frame).action) == "XDP_DROP");
}

namespace {

// Action and reason counter of one frame on `ifname`.
std::pair<std::string, std::string> Verdict(const Gate& gate, const std::string& ifname,
                                            const std::vector<uint8_t>& frame) {
  const std::vector<uint64_t> before = CounterPackets(gate);
  const RunResult r = RunGate(gate, ifname, frame);
  REQUIRE(r.err == 0);
  const std::vector<uint64_t> after = CounterPackets(gate);
  std::string reason = "none";
  for (size_t i = 0; i < after.size(); ++i) {
    if (after[i] != before[i]) reason = ssr_gate_reason_name(static_cast<unsigned>(i));
  }
  return {ActionName(r.action), reason};
}

std::string WithWaypointRange(std::string text, const std::string& range) {
  const std::string peer = "addresses: \"2001:db8:2::2\"\n    interface: \"wan0\"";
  const size_t at = text.find(peer);
  REQUIRE(at != std::string::npos);
  text.insert(at + peer.size(), " waypoint_ports { " + range + " }");
  return text;
}

}  // namespace

TEST_CASE("waypoint ports of a WAN address follow the configured range and reloads, and "
          "management addresses are not waypoints",
          "[bpf]") {
  std::string text(config::DefaultConfigText());
  const size_t at = text.find("name: \"branch\"");
  REQUIRE(at != std::string::npos);
  text.insert(text.find('\n', at) + 1, "  management_addresses: \"198.51.100.1\"\n");
  auto load = [](const std::string& t) {
    auto c = config::LoadConfigString(t, config::ConfigFormat::kText);
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    return *c;
  };
  auto narrow = load(WithWaypointRange(text, "start: 20000 end: 29999"));
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*narrow, "branch");
  auto sockets = AddSocketsOrSkip(*gate);
  using V = std::pair<std::string, std::string>;
  const V drop{"XDP_DROP", "drop_wan_not_peer"};
  const V kernel{"XDP_PASS", "pass_local"};
  const V waypoint{"XDP_REDIRECT", "wan_waypoint"};
  const V liveness{"XDP_REDIRECT", "wan_liveness"};
  const std::string wan = "wan0";

  CHECK(Verdict(*gate, wan, Frame(Udp("192.0.2.99", 1, "192.0.2.1", 25000))) == drop);
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.99", 1, "192.0.2.1", 20000))) == drop);
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.99", 1, "192.0.2.1", 29999))) == drop);
  CHECK(Verdict(*gate, wan, Frame(Udp("192.0.2.99", 1, "192.0.2.1", 1280))) == drop);
  // Outside the configured range the kernel gets it (e.g. its own ephemeral ports).
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.99", 1, "192.0.2.1", 19999))) == kernel);
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.99", 1, "192.0.2.1", 40000))) == kernel);
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.99", 1, "192.0.2.1", 22))) == kernel);
  // The peer: its range to userspace, other ports to the kernel as before.
  CHECK(Verdict(*gate, wan, Frame(Udp("192.0.2.2", 1, "192.0.2.1", 25000))) == waypoint);
  CHECK(Verdict(*gate, wan, Frame(Udp("192.0.2.2", 1, "192.0.2.1", 1280))) == liveness);
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.2", 1, "192.0.2.1", 40000))) == kernel);
  // A management address is not a waypoint: any port from anyone goes to the kernel.
  CHECK(Verdict(*gate, wan, Frame(Udp("192.0.2.99", 1, "198.51.100.1", 25000))) == kernel);
  CHECK(Verdict(*gate, wan, Frame(Udp("192.0.2.99", 1, "198.51.100.1", 1280))) == kernel);

  // A reload to the default range moves the dropped ports with it.
  auto wide = load(text);
  auto contents = ComputeGateContents(*wide, "branch");
  REQUIRE(contents.ok());
  REQUIRE(gate->Update(*std::move(contents)).ok());
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.99", 1, "192.0.2.1", 40000))) == drop);
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.99", 1, "192.0.2.1", 16383))) == kernel);
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.2", 1, "192.0.2.1", 40000))) == waypoint);
}

TEST_CASE("a WAN interface with a vlan takes IP frames tagged with exactly that VLAN", "[bpf]") {
  std::string text(config::DefaultConfigText());
  const size_t at = text.find("role: WAN");  // branch's wan0, the first WAN interface
  REQUIRE(at != std::string::npos);
  text.insert(text.find('\n', at) + 1, "    vlan: 20\n");
  auto c = config::LoadConfigString(text, config::ConfigFormat::kText);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  std::unique_ptr<Gate> gate = LoadGateOrSkip(**c, "branch");
  auto sockets = AddSocketsOrSkip(*gate);
  using V = std::pair<std::string, std::string>;
  const V waypoint{"XDP_REDIRECT", "wan_waypoint"};
  const V mismatch{"XDP_DROP", "drop_wan_vlan"};
  const std::string wan = "wan0";
  auto tagged = [](packet::PacketSpec s, uint16_t vid) {
    s.vlans[s.vlan_count] = packet::VlanTag{packet::kEtherTypeVlan, vid};
    ++s.vlan_count;
    return s;
  };
  const packet::PacketSpec peer = Udp("192.0.2.2", 16400, "192.0.2.1", 16500);
  const packet::PacketSpec peer6 = Udp("2001:db8:2::2", 16400, "2001:db8:2::1", 16500);

  // The peer's waypoint packet on the link's VLAN goes to userspace as on an untagged link.
  CHECK(Verdict(*gate, wan, Frame(tagged(peer, 20))) == waypoint);
  CHECK(Verdict(*gate, wan, Frame(tagged(peer6, 20))) == waypoint);
  // Untagged or on another VLAN: dropped, whatever the packet.
  CHECK(Verdict(*gate, wan, Frame(peer)) == mismatch);
  CHECK(Verdict(*gate, wan, Frame(peer6)) == mismatch);
  CHECK(Verdict(*gate, wan, Frame(tagged(peer, 30))) == mismatch);
  CHECK(Verdict(*gate, wan, Frame(Tcp("192.0.2.99", 1, "192.0.2.1", 22))) == mismatch);
  CHECK(Verdict(*gate, wan, Frame(tagged(Tcp("192.0.2.99", 1, "192.0.2.1", 22), 20))) ==
        V{"XDP_PASS", "pass_local"});
  // Neighbour resolution reaches the kernel on any VLAN.
  CHECK(Verdict(*gate, wan, ArpFrame()) == V{"XDP_PASS", "pass_arp"});
  CHECK(Verdict(*gate, wan, Frame(Icmp("fe80::1", "ff02::1:ff00:1", 135))) ==
        V{"XDP_PASS", "pass_nd"});
  // The LAN is unaffected: its VLANs are tenant scope.
  CHECK(Verdict(*gate, "lan0", Frame(Tcp("10.10.2.5", 40000, "10.20.1.10", 443))) ==
        V{"XDP_REDIRECT", "lan_allow"});

  // A reload to an untagged wan0 turns it around.
  auto untagged = ComputeGateContents(*DefaultConfig(), "branch");
  REQUIRE(untagged.ok());
  REQUIRE(gate->Update(*std::move(untagged)).ok());
  CHECK(Verdict(*gate, wan, Frame(peer)) == waypoint);
  CHECK(Verdict(*gate, wan, Frame(tagged(peer, 20))) == mismatch);
}

namespace {

struct GridResult {
  std::vector<uint64_t> expected = std::vector<uint64_t>(SSR_GATE_REASON_COUNT, 0);  // by reason
  size_t runs = 0, allowed = 0, replies = 0;
};

// Runs a grid of LAN packets (tagged with each of `vlans`, 0 = untagged) through the gate of
// `router` loaded from `config` and checks every action, and every counter, against what
// RouterPolicy::Decide says (see the test below).
GridResult CheckGridAgainstDecide(const std::shared_ptr<const config::Config>& config,
                                  const std::string& router, const std::vector<uint16_t>& vlans,
                                  const std::vector<uint16_t>& source_ports) {
  GridResult result;
  auto policy = policy::RouterPolicy::Build(config, router);
  REQUIRE(policy.ok());
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, router);
  auto sockets = AddSocketsOrSkip(*gate);
  const size_t lan = *(*policy)->router().InterfaceIndex("lan0");

  // Addresses: inside/at the edges of every member prefix and service prefix, and outside.
  std::vector<std::string> addresses = {"10.10.5.5",   "10.20.9.9",   "172.16.0.1",
                                        "10.10.1.127", "10.10.1.128", "10.10.1.255",
                                        "10.20.2.0",   "10.20.2.255", "10.20.1.11"};
  for (const config::Tenant& t : config->tenants) {
    for (const config::Member& m : t.members) {
      for (const util::IpPrefix& p : m.prefixes) addresses.push_back(p.address().ToString());
    }
  }
  for (const config::Service& s : config->services) {
    for (const util::IpPrefix& p : s.prefixes) addresses.push_back(p.address().ToString());
  }
  // Ports: the edges of every configured range and their neighbours.
  std::set<uint16_t> port_set = {1, 22, 80, 443, 40000, 65535};
  for (const config::Service& s : config->services) {
    for (const config::Transport& t : s.transports) {
      for (const config::PortRange& r : t.ports) {
        for (int p : {r.first - 1, int{r.first}, int{r.last}, r.last + 1}) {
          if (p > 0 && p <= 65535) port_set.insert(static_cast<uint16_t>(p));
        }
      }
    }
  }
  const std::vector<uint16_t> ports(port_set.begin(), port_set.end());
  std::set<std::string> own;
  for (const config::Interface& itf : (*policy)->router().interfaces) {
    for (const config::InterfaceAddress& a : itf.addresses) {
      own.insert(a.address.ToString());
      addresses.push_back(a.address.ToString());
    }
  }
  const uint8_t protocols[] = {packet::kIpProtoTcp, packet::kIpProtoUdp, packet::kIpProtoIcmp};

  const std::vector<uint64_t> before = CounterPackets(*gate);
  size_t mismatches = 0;
  for (uint16_t vlan : vlans) {
    for (const std::string& src : addresses) {
      for (const std::string& dst : addresses) {
        if (src == dst) continue;
        // The default config is dual stack: pairs of one family (the other cannot be encoded).
        const bool v6 = Ip(src).is_v6();
        if (v6 != Ip(dst).is_v6()) continue;
        const int echo_request = v6 ? 128 : 8;
        const int echo_reply = v6 ? 129 : 0;
        for (uint8_t proto_of_v4 : protocols) {
          const bool icmp = proto_of_v4 == packet::kIpProtoIcmp;
          const uint8_t proto = icmp && v6 ? packet::kIpProtoIcmpv6 : proto_of_v4;
          for (uint16_t sport : icmp ? std::vector<uint16_t>{0} : source_ports) {
            for (uint16_t dport : icmp ? std::vector<uint16_t>{0} : ports) {
              for (int icmp_type :
                   icmp ? std::vector<int>{echo_request, echo_reply} : std::vector<int>{-1}) {
                packet::PacketSpec spec = proto == packet::kIpProtoTcp ? Tcp(src, sport, dst, dport)
                                          : proto == packet::kIpProtoUdp
                                              ? Udp(src, sport, dst, dport)
                                              : Icmp(src, dst, icmp_type);
                if (vlan != 0) {
                  spec.vlans[0].tci = vlan;
                  spec.vlan_count = 1;
                }
                policy::FlowKey key;
                key.interface = lan;
                key.vlan = vlan;
                key.source = Ip(src);
                key.destination = Ip(dst);
                key.protocol = proto;
                key.destination_port = dport;
                const policy::Decision d = (*policy)->Decide(key);
                const bool is_local = own.count(dst) != 0;
                uint32_t want_action;
                ssr_gate_reason want_reason;
                if (is_local) {
                  want_action = XDP_PASS;
                  want_reason = SSR_GATE_PASS_LOCAL;
                } else if (d.verdict == policy::Verdict::kAllow) {
                  want_action = XDP_REDIRECT;
                  want_reason = SSR_GATE_LAN_ALLOW;
                  ++result.allowed;
                } else if ((!icmp || icmp_type == echo_reply) &&
                           (*policy)->MatchService(key.source, proto, sport).has_value()) {
                  want_action = XDP_REDIRECT;
                  want_reason = SSR_GATE_LAN_SERVICE_REPLY;
                  ++result.replies;
                } else {
                  want_action = XDP_DROP;
                  want_reason = DropReasonOf(d.verdict);
                }
                const RunResult r = RunGate(*gate, "lan0", Frame(spec));
                ++result.runs;
                ++result.expected[want_reason];
                if (r.err != 0 || r.action != want_action) {
                  ++mismatches;
                  if (mismatches <= 10) {
                    FAIL_CHECK("vlan " << vlan << " " << src << ":" << sport << " -> " << dst << ":"
                                       << dport << " proto " << int{proto} << " icmp type "
                                       << icmp_type << ": gate " << ActionName(r.action)
                                       << ", expected " << ActionName(want_action) << " ("
                                       << ssr_gate_reason_name(want_reason) << ")");
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  CHECK(mismatches == 0);
  // Each packet counted under exactly the reason expected.
  const std::vector<uint64_t> after = CounterPackets(*gate);
  for (uint32_t i = 0; i < SSR_GATE_REASON_COUNT; ++i) {
    INFO("counter " << ssr_gate_reason_name(i));
    CHECK(after[i] - before[i] == result.expected[i]);
  }
  return result;
}

}  // namespace

// The gate never drops what policy allows, and drops every non-member / no-service / denied first
// packet for the reason Decide gives -- except a packet whose *source* is a service (address and
// source port in its transport, or an ICMP echo reply), which goes to userspace as a possible
// session reply.
TEST_CASE("gate verdicts agree with RouterPolicy::Decide over a grid from the default config",
          "[bpf]") {
  auto config = DefaultConfig();
  for (const std::string router : {"branch", "datacenter"}) {
    INFO("router " << router);
    // Source ports: a client's, and service ports (replies from servers).
    const GridResult g = CheckGridAgainstDecide(
        config, router, {0}, {40000, 7, 25, 80, 443, 5060, 8443, 10000, 20000, 20001});
    INFO(g.runs << " packets, " << g.allowed << " allowed, " << g.replies << " replies");
    if (router == "branch") CHECK(g.allowed > 0);
    CHECK(g.replies > 0);
    CHECK(g.expected[SSR_GATE_DROP_NON_MEMBER] > 0);
    if (router == "branch") {
      CHECK(g.expected[SSR_GATE_DROP_DENIED] > 0);
      CHECK(g.expected[SSR_GATE_DROP_NO_SERVICE] > 0);
    }
  }
}

// The same comparison where the lowering does more than copy: members scoped to a VLAN, to an
// interface or to nothing (expanded to every scope), and service prefixes nested in others (the
// gate's rule lists carry the outer prefixes' rules).
TEST_CASE("gate verdicts agree with RouterPolicy::Decide on VLAN members and nested services",
          "[bpf]") {
  std::string text(config::DefaultConfigText());
  auto insert_after = [&](const std::string& anchor, const std::string& line) {
    const size_t at = text.find(anchor);
    REQUIRE(at != std::string::npos);
    text.insert(text.find('\n', at) + 1, line + "\n");
  };
  insert_after("name: \"branch\"",
               "  interfaces { name: \"lan0\" role: LAN addresses: \"10.10.0.1/16\" addresses: "
               "\"fd00:10:10::1/48\" vlans: 100 vlans: 200 }");
  const std::string plain_lan0 =
      "  interfaces { name: \"lan0\" role: LAN addresses: \"10.10.0.1/16\" addresses: "
      "\"fd00:10:10::1/48\" }\n";
  text.erase(text.find(plain_lan0), plain_lan0.size());
  insert_after("name: \"engineering\"",
               "  members { router: \"branch\" vlan: 100 prefixes: \"10.10.3.0/24\" }");
  insert_after("name: \"guest\"",
               "  members { router: \"branch\" interface: \"lan0\" vlan: 200 prefixes: "
               "\"10.10.4.0/24\" }");
  insert_after("name: \"sales\"", "  members { prefixes: \"10.10.6.0/24\" }");
  text +=
      "services { name: \"wide\" prefixes: \"10.20.0.0/16\" access_policies { tenant: "
      "\"guest\" } }\n"
      "services { name: \"dns\" prefixes: \"10.20.2.53/32\" transports { protocol: UDP ports { "
      "start: 53 } } transports { protocol: TCP } access_policies { tenant: \"engineering\" } }\n";
  auto loaded = config::LoadConfigString(text, config::ConfigFormat::kText);
  if (!loaded.ok()) FAIL(loaded.status().ToString());
  std::shared_ptr<const config::Config> config = *loaded;
  const GridResult g = CheckGridAgainstDecide(config, "branch", {0, 100, 200, 300}, {40000, 53});
  INFO(g.runs << " packets, " << g.allowed << " allowed, " << g.replies << " replies");
  CHECK(g.allowed > 0);
  CHECK(g.replies > 0);
  CHECK(g.expected[SSR_GATE_DROP_NON_MEMBER] > 0);
  CHECK(g.expected[SSR_GATE_DROP_DENIED] > 0);
  CHECK(g.expected[SSR_GATE_DROP_NO_SERVICE] > 0);
}

namespace {

// The default config with guest's access to web removed and a new tenant inserted first, so
// every tenant index shifts by one.
std::shared_ptr<const config::Config> ReloadedConfig() {
  std::string text(config::DefaultConfigText());
  const std::string guest_web = "access_policies { tenant: \"guest\" }";
  const size_t at = text.find(guest_web);
  if (at == std::string::npos) SkipTest("default config changed: guest's web access not found");
  text.erase(at, guest_web.size());
  const size_t first_tenant = text.find("tenants {");
  text.insert(first_tenant,
              "tenants { name: \"lab\" members { router: \"branch\" interface: \"lan0\" "
              "prefixes: \"10.10.7.0/24\" prefixes: \"fd00:10:10:7::/64\" } }\n");
  const size_t web = text.find("name: \"web\"");
  text.insert(text.find('\n', web) + 1, "  access_policies { tenant: \"lab\" }\n");
  auto config = config::LoadConfigString(text, config::ConfigFormat::kText);
  if (!config.ok()) FAIL(config.status().ToString());
  return *config;
}

}  // namespace

TEST_CASE("Update makes the new config live and removes the old generation", "[bpf]") {
  auto config = DefaultConfig();
  auto reloaded = ReloadedConfig();
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  auto sockets = AddSocketsOrSkip(*gate);
  const auto guest_web = Frame(Tcp("10.10.9.9", 40000, "10.20.3.10", 80));
  const auto lab_web = Frame(Tcp("10.10.7.7", 40000, "10.20.3.10", 80));
  const auto sales_crm = Frame(Tcp("10.10.2.5", 40000, "10.20.1.10", 443));
  CHECK(RunGate(*gate, "lan0", guest_web).action == XDP_REDIRECT);
  CHECK(RunGate(*gate, "lan0", lab_web).action == XDP_DROP);
  const uint32_t gen = gate->generation();

  auto contents = ComputeGateContents(*reloaded, "branch");
  REQUIRE(contents.ok());
  const size_t tenants = contents->tenants.size();
  const size_t services = contents->services.size();
  REQUIRE(gate->Update(*std::move(contents)).ok());
  CHECK(gate->generation() != gen);
  CHECK(RunGate(*gate, "lan0", guest_web).action == XDP_DROP);
  CHECK(RunGate(*gate, "lan0", lab_web).action == XDP_REDIRECT);
  CHECK(RunGate(*gate, "lan0", sales_crm).action == XDP_REDIRECT);
  // Only the live generation's entries remain.
  CHECK(CountEntries(gate->MapFd(SSR_GATE_MAP_TENANTS), sizeof(ssr_tenant_key)) == tenants);
  CHECK(CountEntries(gate->MapFd(SSR_GATE_MAP_SERVICES), sizeof(ssr_service_key)) == services);
  // lan0 and wan0, both with small ifindexes: in the array, the old generation's entries cleared.
  CHECK(CountEntries(gate->MapFd(SSR_GATE_MAP_IFACES), sizeof(ssr_iface_key)) == 0);
  size_t interfaces = 0;
  for (uint32_t key = 0; key < SSR_GATE_IFINDEX_DIRECT * SSR_GATE_GENERATIONS; ++key) {
    ssr_iface_value v{};
    REQUIRE(bpf_map_lookup_elem(gate->MapFd(SSR_GATE_MAP_IFACE_ARRAY), &key, &v) == 0);
    if (v.role != 0) {
      ++interfaces;
      CHECK(key / SSR_GATE_IFINDEX_DIRECT == gate->generation());
    }
  }
  CHECK(interfaces == 2);
}

TEST_CASE("the IPv4 summaries follow every reload, the old generation's words are cleared",
          "[bpf]") {
  auto config = DefaultConfig();
  auto reloaded = ReloadedConfig();
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  auto sockets = AddSocketsOrSkip(*gate);
  // The word of the /24 of `a`.`b`.`c`.x in generation `gen` of the sources summary.
  auto word = [&](uint32_t gen, uint32_t a, uint32_t b, uint32_t c) {
    const uint32_t host = (a << 24) | (b << 16) | (c << 8);
    const uint32_t key = SSR_GATE_V4_SUMMARY_INDEX(gen, host);
    uint64_t value = ~uint64_t{0};
    REQUIRE(bpf_map_lookup_elem(gate->MapFd(SSR_GATE_MAP_V4_SOURCES), &key, &value) == 0);
    return (value >> SSR_GATE_V4_SUMMARY_BIT(host)) & 1;
  };
  const uint32_t first = gate->generation();
  CHECK(word(first, 10, 10, 9) == 1);  // guest's /24
  CHECK(word(first, 10, 10, 7) == 0);  // not a member yet
  // A new member in a /24 nobody used before is admitted at once: the new generation's summary
  // was written before the flip.
  auto contents = ComputeGateContents(*reloaded, "branch");
  REQUIRE(contents.ok());
  REQUIRE(gate->Update(*std::move(contents)).ok());
  const uint32_t second = gate->generation();
  REQUIRE(second != first);
  CHECK(word(second, 10, 10, 7) == 1);
  CHECK(RunGate(*gate, "lan0", Frame(Tcp("10.10.7.7", 40000, "10.20.3.10", 80))).action ==
        XDP_REDIRECT);
  // The old generation is gone entirely, its summary too.
  CHECK(word(first, 10, 10, 9) == 0);
  CHECK(word(first, 10, 10, 1) == 0);
  // And back: the member's /24 leaves the summary with it.
  auto back = ComputeGateContents(*config, "branch");
  REQUIRE(back.ok());
  REQUIRE(gate->Update(*std::move(back)).ok());
  CHECK(word(first, 10, 10, 7) == 0);
  CHECK(word(second, 10, 10, 7) == 0);
  const RunResult r = RunGate(*gate, "lan0", Frame(Tcp("10.10.7.7", 40000, "10.20.3.10", 80)));
  CHECK(r.action == XDP_DROP);
}

TEST_CASE("the IPv6 summaries follow every reload, the old generation's words are cleared",
          "[bpf]") {
  auto config = DefaultConfig();
  auto reloaded = ReloadedConfig();
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  auto sockets = AddSocketsOrSkip(*gate);
  // The bit of the /64 of `text` in generation `gen` of the IPv6 sources summary.
  auto bit = [&](uint32_t gen, const char* text) {
    uint8_t a[16];
    REQUIRE(inet_pton(AF_INET6, text, a) == 1);
    const uint32_t h = V6SummaryHash(a, false);
    const uint32_t key = SSR_GATE_V6_SUMMARY_INDEX(gen, h);
    uint64_t value = ~uint64_t{0};
    REQUIRE(bpf_map_lookup_elem(gate->MapFd(SSR_GATE_MAP_V6_SOURCES), &key, &value) == 0);
    return (value >> SSR_GATE_V6_SUMMARY_BIT(h)) & 1;
  };
  const auto lab_web = Frame(Tcp("fd00:10:10:7::7", 40000, "fd00:10:20:3::10", 80));
  const uint32_t first = gate->generation();
  CHECK(bit(first, "fd00:10:10:9::1") == 1);  // guest's /64
  CHECK(bit(first, "fd00:10:10:7::7") == 0);  // not a member yet
  CHECK(RunGate(*gate, "lan0", lab_web).action == XDP_DROP);
  auto contents = ComputeGateContents(*reloaded, "branch");
  REQUIRE(contents.ok());
  REQUIRE(gate->Update(*std::move(contents)).ok());
  const uint32_t second = gate->generation();
  REQUIRE(second != first);
  CHECK(bit(second, "fd00:10:10:7::7") == 1);
  CHECK(RunGate(*gate, "lan0", lab_web).action == XDP_REDIRECT);
  CHECK(bit(first, "fd00:10:10:9::1") == 0);
  auto back = ComputeGateContents(*config, "branch");
  REQUIRE(back.ok());
  REQUIRE(gate->Update(*std::move(back)).ok());
  CHECK(bit(first, "fd00:10:10:7::7") == 0);
  CHECK(bit(second, "fd00:10:10:7::7") == 0);
  const RunResult r = RunGate(*gate, "lan0", lab_web);
  CHECK(r.action == XDP_DROP);
}

TEST_CASE("traffic allowed by both configs is never dropped while reloads flip the generation",
          "[bpf]") {
  auto config = DefaultConfig();
  auto reloaded = ReloadedConfig();
  auto a = ComputeGateContents(*config, "branch");
  auto b = ComputeGateContents(*reloaded, "branch");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  auto sockets = AddSocketsOrSkip(*gate);
  // Sales -> crm is allowed in both configs, but sales' tenant index differs between them.
  const auto sales_crm = Frame(Tcp("10.10.2.5", 40000, "10.20.1.10", 443));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> runs{0}, wrong{0};
  std::thread sender([&] {
    while (!stop.load()) {
      const RunResult r = RunGate(*gate, "lan0", sales_crm, 64);
      runs += 64;
      if (r.err != 0 || r.action != XDP_REDIRECT) ++wrong;
    }
  });
  constexpr int kReloads = 20;
  int failed_updates = 0;
  for (int i = 0; i < kReloads; ++i) failed_updates += !gate->Update(i % 2 == 0 ? *b : *a).ok();
  stop = true;
  sender.join();
  CHECK(failed_updates == 0);
  CHECK(runs.load() > 0);
  CHECK(wrong.load() == 0);
  const std::vector<uint64_t> counters = CounterPackets(*gate);
  CHECK(counters[SSR_GATE_LAN_ALLOW] == runs.load());
  CHECK(counters[SSR_GATE_DROP_NON_MEMBER] + counters[SSR_GATE_DROP_DENIED] == 0);
}

TEST_CASE("Attach reports the mode obtained and the gate detaches when destroyed", "[bpf]") {
  auto config = DefaultConfig();
  for (XdpMode mode : {XdpMode::kNative, XdpMode::kSkb, XdpMode::kAuto}) {
    INFO("mode " << std::string(io::XdpModeName(mode)));
    const int ifindex = static_cast<int>(if_nametoindex("lan0"));
    {
      std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
      absl::StatusOr<XdpMode> got = gate->Attach("lan0", mode);
      REQUIRE(got.ok());
      CHECK(*got == (mode == XdpMode::kSkb ? XdpMode::kSkb : XdpMode::kNative));
      uint32_t id = 0;
      REQUIRE(bpf_xdp_query_id(ifindex,
                               *got == XdpMode::kSkb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
                               &id) == 0);
      bpf_prog_info info{};
      uint32_t len = sizeof(info);
      REQUIRE(bpf_obj_get_info_by_fd(gate->program_fd(), &info, &len) == 0);
      CHECK(id == info.id);
      CHECK_FALSE(gate->Attach("lan0", mode).ok());  // already attached
    }
    uint32_t id = 1;
    REQUIRE(bpf_xdp_query_id(ifindex, 0, &id) == 0);
    CHECK(id == 0);
  }
}

TEST_CASE("Detach removes the program and the interface from the gate", "[bpf]") {
  auto config = DefaultConfig();
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  REQUIRE(gate->Attach("wan0", XdpMode::kSkb).ok());
  REQUIRE(gate->Detach("wan0").ok());
  uint32_t id = 1;
  REQUIRE(bpf_xdp_query_id(static_cast<int>(if_nametoindex("wan0")), 0, &id) == 0);
  CHECK(id == 0);
  const RunResult r = RunGate(*gate, "wan0", Frame(Udp("192.0.2.2", 16400, "192.0.2.1", 16500)));
  CHECK(r.action == XDP_PASS);  // unknown interface now
  CHECK(gate->Detach("wan0").code() == absl::StatusCode::kNotFound);
}

TEST_CASE("Attach errors name the interface", "[bpf]") {
  auto config = DefaultConfig();
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  absl::StatusOr<XdpMode> r = gate->Attach("lan9");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("\"lan9\""));
}

TEST_CASE("counters are reported by name, one per reason, in enum order", "[bpf]") {
  auto config = DefaultConfig();
  std::unique_ptr<Gate> gate = LoadGateOrSkip(*config, "branch");
  auto counters = gate->ReadCounters();
  REQUIRE(counters.ok());
  REQUIRE(counters->size() == SSR_GATE_REASON_COUNT);
  std::set<std::string> names;
  for (uint32_t i = 0; i < counters->size(); ++i) {
    CHECK((*counters)[i].reason == static_cast<ssr_gate_reason>(i));
    CHECK((*counters)[i].packets == 0);
    names.insert(std::string((*counters)[i].name));
  }
  CHECK(names.size() == SSR_GATE_REASON_COUNT);
  CHECK(names.count("lan_service_reply") == 1);
  CHECK(names.count("drop_no_socket") == 1);
}

}  // namespace ssr::gate::test
