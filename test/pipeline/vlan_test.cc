// SPDX-License-Identifier: Apache-2.0
// 802.1Q VLANs through the two-router rig (docs/protocol.md §2.17): the reverse flow of a session
// leaves on the LAN VLAN its forward flow came in on, and a WAN interface's `vlan` tags what goes
// to the peer and is required on what comes from it.
#include <string>

#include <catch2/catch.hpp>

#include "packet/byte_order.h"

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

constexpr std::string_view kBranchLan =
    R"(interfaces { name: "lan0" role: LAN addresses: "10.10.0.1/16" addresses: "fd00:10:10::1/48" })";

// The default config with VLAN 10 allowed on the branch LAN and, when wan_vlan != 0, both WAN
// interfaces tagged with wan_vlan.
std::shared_ptr<const config::Config> VlanConfig(uint16_t wan_vlan) {
  std::string text = Replace(std::string(config::DefaultConfigText()), kBranchLan,
                             R"(interfaces { name: "lan0" role: LAN addresses: "10.10.0.1/16" )"
                             R"(addresses: "fd00:10:10::1/48" vlans: 10 })");
  if (wan_vlan != 0) {
    text = Replace(std::move(text), "role: WAN", "role: WAN vlan: " + std::to_string(wan_vlan));
  }
  return LoadConfig(text);
}

RigOptions Options(std::shared_ptr<const config::Config> cfg) {
  RigOptions o;
  o.config = std::move(cfg);
  return o;
}

packet::PacketSpec Tagged(packet::PacketSpec s, uint16_t vlan) {
  s.vlans[0] = packet::VlanTag{packet::kEtherTypeVlan, vlan};
  s.vlan_count = 1;
  return s;
}

// The outer VLAN id of a frame, 0 when untagged.
uint16_t VlanOf(const Bytes& frame) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  return info.vlan_count == 0 ? 0 : info.vlans[0].vlan_id();
}

TEST_CASE("vlan: the reply of a session opened on a LAN VLAN goes back out on that VLAN") {
  Rig rig(Options(VlanConfig(0)));
  rig.AddServer("10.20.2.5");
  const auto fwd = VoiceSpec(40000, Keep({1, 2, 3}));
  rig.FromClient(rig.ClientFrame(Tagged(fwd, 10)));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(fwd));  // the server side is untagged
  rig.FromServer(rig.ServerFrame(Reversed(fwd)));
  rig.Step();
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(VlanOf(rig.to_client_[0]) == 10);
  CHECK(rig.to_client_[0] == rig.AtClient(Tagged(Reversed(fwd), 10)));
  // The session belongs to VLAN 10: the same tuple untagged is not on it but a first packet of
  // its own (with new forward metadata) at the branch.
  CHECK(Get(rig.a(), PipelineCounter::kFirstPacket) == 1);
  const size_t crossed = rig.wire_a_to_b_.size();
  rig.FromClient(rig.ClientFrame(fwd));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kFirstPacket) == 2);
  REQUIRE(rig.wire_a_to_b_.size() == crossed + 1);
  CHECK(ViewWire(rig.wire_a_to_b_.back(), 16).has_metadata);
}

TEST_CASE("vlan: a WAN interface's vlan tags every frame to the peer, both directions") {
  Rig rig(Options(VlanConfig(20)));
  rig.AddServer("10.20.2.5");
  const auto fwd = VoiceSpec(40000, Keep({1, 2, 3}));
  rig.FromClient(rig.ClientFrame(Tagged(fwd, 10)));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(fwd));
  rig.FromServer(rig.ServerFrame(Reversed(fwd)));
  rig.Step();
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(rig.to_client_[0] == rig.AtClient(Tagged(Reversed(fwd), 10)));
  // Second round trip on the fast path (no metadata).
  rig.FromClient(rig.ClientFrame(Tagged(fwd, 10)));
  rig.FromServer(rig.ServerFrame(Reversed(fwd)));
  rig.Step();
  CHECK(rig.to_server_.size() == 2);
  CHECK(rig.to_client_.size() == 2);
  REQUIRE(rig.wire_a_to_b_.size() >= 2);
  REQUIRE(rig.wire_b_to_a_.size() >= 2);
  for (const Bytes& f : rig.wire_a_to_b_) CHECK(VlanOf(f) == 20);
  for (const Bytes& f : rig.wire_b_to_a_) CHECK(VlanOf(f) == 20);
  CHECK(Get(rig.b(), PipelineCounter::kWanVlanMismatch) == 0);
}

TEST_CASE("vlan: untagged and wrongly tagged WAN frames from the peer are dropped and counted") {
  Rig rig(Options(VlanConfig(20)));
  rig.AddServer("10.20.2.5");
  const auto fwd = VoiceSpec(40000, Keep({1, 2, 3}));
  std::vector<Bytes> first;
  rig.cable = [&](Bytes& f, bool a_to_b) {
    if (a_to_b) first.push_back(f);
    return false;  // nothing crosses on its own
  };
  rig.FromClient(rig.ClientFrame(fwd));
  rig.Step();
  REQUIRE(first.size() == 1);
  REQUIRE(VlanOf(first[0]) == 20);
  rig.cable = nullptr;

  // The same first packet with the tag stripped: the VLAN id sits at bytes 14-15, the tag is the
  // four bytes 12-15.
  Bytes untagged = first[0];
  untagged.erase(untagged.begin() + 12, untagged.begin() + 16);
  Bytes wrong = first[0];
  packet::StoreBe16(wrong.data() + 14, 21);
  rig.IntoB(untagged);
  rig.IntoB(wrong);
  rig.Step();
  CHECK(rig.to_server_.empty());
  CHECK(Get(rig.b(), PipelineCounter::kWanVlanMismatch) == 2);
  CHECK(Get(rig.b(), PipelineCounter::kWanNotPeer) == 0);
  // The correctly tagged original still opens the session.
  rig.IntoB(first[0]);
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(fwd));
  CHECK(Get(rig.b(), PipelineCounter::kWanVlanMismatch) == 2);
}

TEST_CASE("vlan: an untagged WAN interface drops tagged frames from the peer") {
  Rig rig(Options(VlanConfig(0)));
  rig.AddServer("10.20.2.5");
  const auto fwd = VoiceSpec(40000, Keep({1, 2, 3}));
  std::vector<Bytes> first;
  rig.cable = [&](Bytes& f, bool a_to_b) {
    if (a_to_b) first.push_back(f);
    return false;
  };
  rig.FromClient(rig.ClientFrame(fwd));
  rig.Step();
  REQUIRE(first.size() == 1);
  REQUIRE(VlanOf(first[0]) == 0);
  rig.cable = nullptr;
  Bytes tagged = first[0];
  const uint8_t tag[4] = {0x81, 0x00, 0x00, 20};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  REQUIRE(VlanOf(tagged) == 20);
  rig.IntoB(tagged);
  rig.Step();
  CHECK(rig.to_server_.empty());
  CHECK(Get(rig.b(), PipelineCounter::kWanVlanMismatch) == 1);
}

}  // namespace
}  // namespace ssr::pipeline::testing
