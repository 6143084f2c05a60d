// SPDX-License-Identifier: Apache-2.0
// Which kernel interface holds the neighbours of a config interface (router/neighbor_refresh.h):
// a tagged WAN's peers are resolved by the kernel on its VLAN device (wan0.20), whose ifindex is
// not wan0's; their entries must still reach the WAN interface's table, and resolution of its
// next hops must be asked on that device (docs/protocol.md §2.17).
#include <catch2/catch.hpp>

#include "config/loader.h"
#include "router/neighbor_refresh.h"

namespace ssr::router {
namespace {

util::IpAddress Ip(const char* text) { return *util::IpAddress::Parse(text); }

KernelNeighbor Kn(int ifindex, const char* ip, uint8_t last) {
  KernelNeighbor k;
  k.ifindex = ifindex;
  k.address = Ip(ip);
  k.mac = {0x02, 0, 0, 0, 0, last};
  return k;
}

TEST_CASE("A tagged WAN's neighbours are read from its VLAN device and resolved there",
          "[router][neighbor][vlan]") {
  // Config interfaces: 0 = lan0 (ifindex 2), 1 = wan0 (ifindex 3) on VLAN 20.
  const std::vector<int> ifindexes = {2, 3};
  const std::vector<std::string> names = {"lan0", "wan0"};
  const std::vector<KernelVlanLink> links = {
      {7, 3, 30, "wan0.30"},  // another VLAN of wan0
      {8, 2, 20, "lan0.20"},  // VLAN 20 of another interface
      {9, 3, 20, "wan0.20"},
  };
  const auto devices = NeighborDevicesOf(ifindexes, names, {0, 20}, links);
  REQUIRE(devices.size() == 2);
  CHECK(devices[0] == NeighborDevice{2, "lan0"});
  CHECK(devices[1] == NeighborDevice{9, "wan0.20"});

  const std::vector<KernelNeighbor> kernel = {
      Kn(2, "10.20.2.5", 1),    // a server on lan0
      Kn(9, "192.0.2.1", 2),    // the peer, resolved on wan0.20
      Kn(3, "192.0.2.77", 3),   // untagged on wan0: another network than the WAN's VLAN
      Kn(7, "192.0.2.1", 4),    // VLAN 30: not the WAN
      Kn(8, "10.20.2.6", 5),
  };
  const auto entries = NeighborEntriesOf(devices, kernel);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0] == NeighborEntry{0, Ip("10.20.2.5"), {0x02, 0, 0, 0, 0, 1}});
  CHECK(entries[1] == NeighborEntry{1, Ip("192.0.2.1"), {0x02, 0, 0, 0, 0, 2}});
}

TEST_CASE("Without a VLAN, or without the VLAN device, neighbours are read from the interface",
          "[router][neighbor][vlan]") {
  const std::vector<KernelVlanLink> links = {{9, 3, 20, "wan0.20"}};
  CHECK(NeighborDevicesOf({2, 3}, {"lan0", "wan0"}, {0, 0}, links) ==
        std::vector<NeighborDevice>{{2, "lan0"}, {3, "wan0"}});
  CHECK(NeighborDevicesOf({2, 3}, {"lan0", "wan0"}, {0, 40}, links) ==
        std::vector<NeighborDevice>{{2, "lan0"}, {3, "wan0"}});
  const auto entries = NeighborEntriesOf({{2, "lan0"}, {3, "wan0"}}, {Kn(3, "192.0.2.1", 2)});
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].interface == 1);
}

TEST_CASE("NeighborVlansOf gives each interface's WAN vlan", "[router][neighbor][vlan]") {
  std::string text(config::DefaultConfigText());
  const std::string anchor = "    role: WAN\n";
  const size_t at = text.find(anchor);
  REQUIRE(at != std::string::npos);
  text.insert(at + anchor.size(), "    vlan: 20\n");
  auto cfg = config::LoadConfigString(text, config::ConfigFormat::kText);
  INFO(cfg.status().ToString());
  REQUIRE(cfg.ok());
  const config::Router* r = (*cfg)->FindRouter("branch");
  REQUIRE(r != nullptr);
  CHECK(NeighborVlansOf(*r) == std::vector<uint16_t>{0, 20});
}

}  // namespace
}  // namespace ssr::router
