// SPDX-License-Identifier: Apache-2.0
// ComposeFrame / FinalizeFrame (encap.h) and the UUID index, on their own.
#include <random>

#include <catch2/catch.hpp>

#include "packet/checksum.h"
#include "pipeline/encap.h"
#include "pipeline/uuid_index.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

TEST_CASE("ComposeFrame rebuilds ICMP as UDP with metadata and FinalizeFrame makes it valid",
          "[pipeline][encap]") {
  packet::PacketSpec ping;
  ping.src = Ip("10.1.1.1");
  ping.dst = Ip("10.2.2.2");
  ping.protocol = packet::kIpProtoIcmp;
  ping.icmp_type = 8;
  ping.payload = Keep({1, 2, 3, 4});
  Bytes frame = Rig::Build(ping);
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  const Bytes icmp(frame.begin() + info.l4_offset, frame.begin() + info.l4_offset + info.l4_length);
  frame.resize(512);
  const Bytes md = {0xaa, 0xbb, 0xcc};
  ComposeSpec spec;
  spec.tuple.src = Ip("192.0.2.1");
  spec.tuple.dst = Ip("192.0.2.2");
  spec.tuple.protocol = packet::kIpProtoUdp;
  spec.tuple.src_port = 16384;
  spec.tuple.dst_port = 16385;
  spec.l2.vlan = 7;
  spec.l4 = L4Source::kFreshUdp;
  spec.metadata = md;
  spec.body_offset = info.l4_offset;
  spec.body_length = info.l4_length;
  ComposedLayout lay;
  REQUIRE(ComposeFrame(frame, info, spec, &lay) == ComposeResult::kOk);
  const uint32_t len = FinalizeFrame(frame, lay, static_cast<uint32_t>(md.size() + icmp.size()));
  frame.resize(len);
  packet::PacketInfo out;
  REQUIRE(packet::ParseFrame(frame, &out) == packet::ParseResult::kOk);
  CHECK(out.is_udp());
  CHECK(out.vlan_count == 1);
  CHECK(out.vlans[0].vlan_id() == 7);
  CHECK(out.src_port == 16384);
  CHECK(packet::VerifyIpv4HeaderChecksum(out.L3Header(std::span<const uint8_t>(frame))));
  CHECK(packet::VerifyTransportChecksum(out.src, out.dst, packet::kIpProtoUdp,
                                        out.L4(std::span<const uint8_t>(frame))));
  const auto payload = out.Payload(std::span<const uint8_t>(frame));
  CHECK(Bytes(payload.begin(), payload.begin() + 3) == md);
  CHECK(Bytes(payload.begin() + 3, payload.end()) == icmp);
}

TEST_CASE("ComposeFrame refuses a frame without room and a spec that mixes families",
          "[pipeline][encap]") {
  packet::PacketSpec udp;
  udp.payload = Keep(Bytes(100, 1));
  Bytes frame = Rig::Build(udp);
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  ComposeSpec spec;
  spec.tuple.src = Ip("10.0.0.1");
  spec.tuple.dst = Ip("10.0.0.2");
  spec.tuple.protocol = packet::kIpProtoUdp;
  spec.l4 = L4Source::kKeep;
  spec.body_offset = info.payload_offset;
  spec.body_length = info.payload_length;
  spec.reserve = 64;  // the frame buffer has no tail room at all
  ComposedLayout lay;
  CHECK(ComposeFrame(frame, info, spec, &lay) == ComposeResult::kNoRoom);
  spec.reserve = 0;
  spec.tuple.dst = Ip("2001:db8::2");
  CHECK(ComposeFrame(frame, info, spec, &lay) == ComposeResult::kBadSpec);
}

TEST_CASE("The UUID index finds every indexed session after random inserts and erases",
          "[pipeline]") {
  session::SessionTableOptions o;
  o.max_sessions = 512;
  auto table = session::SessionTable::Create(o);
  REQUIRE(table.ok());
  UuidIndex index(512);
  std::mt19937 rng(7);
  std::vector<uint32_t> live;
  for (uint32_t i = 0; i < 400; ++i) {
    session::SessionInit init;
    init.forward.src = util::IpAddress::V4(0x0a000000 + i);
    init.forward.dst = Ip("10.9.9.9");
    init.reverse = session::Reversed(init.forward);
    init.reverse.side = 1;
    for (auto& b : init.uuid) b = static_cast<uint8_t>(rng());
    init.uuid[0] = static_cast<uint8_t>(i % 4);  // crowd the home slots: long probe runs
    auto out = (*table)->Insert(init, 0);
    REQUIRE(out.result == session::InsertResult::kOk);
    index.Insert((*table)->IndexOf(*out.session), **table);
    live.push_back((*table)->IndexOf(*out.session));
  }
  std::shuffle(live.begin(), live.end(), rng);
  for (size_t k = 0; k < 250; ++k) {
    index.Erase(live.back(), **table);
    CHECK(index.Find((*table)->at(live.back()).uuid, **table) == UuidIndex::kNone);
    live.pop_back();
  }
  for (uint32_t id : live) CHECK(index.Find((*table)->at(id).uuid, **table) == id);
}

}  // namespace
}  // namespace ssr::pipeline::testing
