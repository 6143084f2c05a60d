// SPDX-License-Identifier: Apache-2.0
// SVR fragmentation through two routers (docs/protocol.md §2.14): a packet that carries metadata
// (a first packet, reverse metadata) and fits the path MTU only without it leaves as SVR
// fragments, each with the Fragment TLV and its own hop trailer; the peer authenticates each,
// reassembles, and processes the packet once: the session opens, the payload is decrypted, the
// server receives it byte-identical and its reply comes back the same way. Out of order,
// duplicate, missing and tampered fragments; fast-path packets keep frag-needed.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline/svr_fragment_path.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

// A voice packet (UDP 10.10.2.10:40000 -> 10.20.2.5:5060, or the IPv6 pair) whose IP packet is
// `ip_length` bytes, DF set; with `echo` an ICMP echo request to web (10.20.3.10) instead.
PacketSpec Sized(uint32_t ip_length, bool v6 = false, bool echo = false) {
  const uint32_t headers = (v6 ? 40 : 20) + 8;
  PacketSpec s = VoiceSpec(40000, Keep(Pattern(ip_length - headers)));
  if (v6) {
    s.src = Ip("fd00:10:2::10");
    s.dst = Ip("fd00:20:2::5");
  }
  if (echo) {
    s.dst = Ip("10.20.3.10");
    s.protocol = packet::kIpProtoIcmp;
    s.icmp_id = 7;
  }
  s.dont_fragment = true;
  return s;
}
PacketSpec Reply(PacketSpec s, bool echo) {
  s = Reversed(s);
  if (echo) s.icmp_type = packet::kIcmpEchoReply;
  return s;
}

// "" when the frames are equal, else where they first differ (readable failures).
std::string Diff(const Bytes& got, const Bytes& want) {
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    if (got[i] != want[i]) {
      return "byte " + std::to_string(i) + ": " + std::to_string(got[i]) + " != " +
             std::to_string(want[i]);
    }
  }
  if (got.size() != want.size()) {
    return "length " + std::to_string(got.size()) + " != " + std::to_string(want.size());
  }
  return "";
}

// The SVR fragments among `wire` (frames whose header section has a Fragment TLV).
std::vector<svr::FragmentInfo> FragmentsOf(const std::vector<Bytes>& wire, size_t tag) {
  std::vector<svr::FragmentInfo> out;
  for (const Bytes& f : wire) {
    const WireView v = ViewWire(f, tag);
    if (v.has_metadata && v.header.Has(svr::TlvField::kFragment)) {
      CHECK(v.header.Has(svr::TlvField::kSecurityId));
      CHECK(v.info.l3_length <= 1500);
      out.push_back(v.header.fragment);
    }
  }
  return out;
}

// Offsets continue, MF on all but the last, one Extended ID, Largest Seen the largest packet.
void CheckFragmentSet(const std::vector<svr::FragmentInfo>& f, const std::vector<Bytes>& wire) {
  REQUIRE(f.size() >= 2);
  uint32_t largest = 0;
  for (const Bytes& w : wire) {
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(w, &info) == packet::ParseResult::kOk);
    largest = std::max(largest, info.l3_length);
  }
  for (size_t i = 0; i < f.size(); ++i) {
    CHECK(f[i].extended_id == f[0].extended_id);
    CHECK(f[i].more_fragments == (i + 1 < f.size()));
    CHECK(f[i].largest_seen == largest);
  }
  CHECK(f[0].offset == 0);
  CHECK(f[1].offset > 0);
}

struct Case {
  const char* name;
  std::string config;
  bool v6_wan = false;
  bool v6_inner = false;
  bool echo = false;
  size_t tag = 16;     // hop trailer
  uint32_t size = 0;   // the inner packet size sent
  bool largest = true;  // size is the largest inner packet the fast path carries
};

std::string Default() { return std::string(config::DefaultConfigText()); }
std::string PayloadAes(std::string text) {
  return Replace(std::move(text), "ports { start: 10000 end: 20000 } }",
                 "ports { start: 10000 end: 20000 } } security_policy: \"payload-aes\"");
}
std::string GcmHop(std::string text) {
  return Replace(std::move(text),
                 "  hmac: \"sha256-128\"\n  hmac_mode: TIME_BASED\n"
                 "  encryption_cipher: \"aes-256-cbc\"\n"
                 "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"\n",
                 "  hmac: \"none\"\n  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-gcm\"\n"
                 "  encryption_keys: \"hop-aes\"\n");
}

// What the far host receives for `s`: an IPv6 outer header has no DF bit to carry, so an IPv4
// packet that crossed an IPv6 peer path arrives with DF clear (SVR fragments or not).
PacketSpec Arrives(PacketSpec s, const Case& c) {
  if (c.v6_wan && !c.v6_inner) s.dont_fragment = false;
  return s;
}

Rig MakeRig(const Case& c) {
  RigOptions o;
  o.config = LoadConfig(c.config);
  Rig rig(o);
  if (c.v6_wan) {
    rig.a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig.b_mac_wan_);
    rig.b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig.a_mac_wan_);
  }
  rig.AddServer(c.echo ? "10.20.3.10" : (c.v6_inner ? "fd00:20:2::5" : "10.20.2.5"));
  return rig;
}

TEST_CASE("A first packet that fits the path MTU only without its metadata crosses as SVR "
          "fragments, its reply too, the fast path is unchanged",
          "[pipeline][svr-fragment]") {
  // size: 1500 minus the fast path's growth (hop trailer, the fresh UDP header of ICMP, CBC IV
  // and padding, the outer IPv6 header's 20 extra bytes).
  const std::vector<Case> cases = {
      {"UDP, default policy", Default(), false, false, false, 16, 1484},
      {"UDP of 1472 bytes", Default(), false, false, false, 16, 1472, false},
      {"ICMP echo (ping -M do)", Default(), false, false, true, 16, 1476},
      {"ICMP echo of 1472 bytes", Default(), false, false, true, 16, 1472, false},
      {"UDP, payload AES-CBC", PayloadAes(Default()), false, false, false, 16, 1467},
      {"UDP, AES-GCM hop", GcmHop(Default()), false, false, false, 24, 1476},
      {"IPv4 over an IPv6 peer path", DualStackConfigText(true), true, false, false, 16, 1464},
      {"IPv6 over an IPv6 peer path", DualStackConfigText(true), true, true, false, 16, 1484},
      {"IPv6 over an IPv4 peer path", DualStackConfigText(false), false, true, false, 16, 1500},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      Rig rig = MakeRig(c);
      const PacketSpec req = Sized(c.size, c.v6_inner, c.echo);
      rig.FromClient(rig.ClientFrame(req));
      rig.Step();
      CHECK(rig.to_client_.empty());  // no frag-needed / Packet Too Big
      CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) == 0);
      REQUIRE(rig.to_server_.size() == 1);
      CHECK(Diff(rig.to_server_[0], rig.AtServer(Arrives(req, c))) == "");
      const auto fwd = FragmentsOf(rig.wire_a_to_b_, c.tag);
      CHECK(fwd.size() == rig.wire_a_to_b_.size());
      CheckFragmentSet(fwd, rig.wire_a_to_b_);
      CHECK(fwd[0].dont_fragment == !c.v6_inner);
      CHECK(Get(rig.a(), PipelineCounter::kSvrFragmentedPackets) == 1);
      CHECK(Get(rig.a(), PipelineCounter::kSvrFragmentsSent) == fwd.size());
      CHECK(Get(rig.b(), PipelineCounter::kSvrFragReceived) == fwd.size());
      CHECK(Get(rig.b(), PipelineCounter::kSvrFragReassembled) == 1);
      CHECK(Get(rig.b(), PipelineCounter::kMdReceivedForward) == 1);
      CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 1);
      CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 0);

      // The reply carries reverse metadata: fragmented the same way.
      const PacketSpec rep = Reply(req, c.echo);
      rig.FromServer(rig.ServerFrame(rep));
      rig.Step();
      CHECK(Get(rig.b(), PipelineCounter::kTooBigSent) == 0);
      REQUIRE(rig.to_client_.size() == 1);
      CHECK(Diff(rig.to_client_[0], rig.AtClient(Arrives(rep, c))) == "");
      CheckFragmentSet(FragmentsOf(rig.wire_b_to_a_, c.tag), rig.wire_b_to_a_);
      CHECK(Get(rig.b(), PipelineCounter::kSvrFragmentedPackets) == 1);
      CHECK(Get(rig.a(), PipelineCounter::kSvrFragReassembled) == 1);
      CHECK(Get(rig.a(), PipelineCounter::kMdReceivedReverse) == 1);

      // The handshake is over: the same size now goes whole, on the fast path.
      rig.to_server_.clear();
      const size_t wire = rig.wire_a_to_b_.size();
      rig.FromClient(rig.ClientFrame(req));
      rig.Step();
      REQUIRE(rig.to_server_.size() == 1);
      CHECK(Diff(rig.to_server_[0], rig.AtServer(Arrives(req, c))) == "");
      CHECK(rig.wire_a_to_b_.size() == wire + 1);
      CHECK(Get(rig.a(), PipelineCounter::kSvrFragmentedPackets) == 1);
      // One byte more is no SVR matter: frag-needed / Packet Too Big naming `size`, as before.
      if (c.largest && c.size < 1500) {
        rig.to_server_.clear();
        rig.FromClient(rig.ClientFrame(Sized(c.size + 1, c.v6_inner, c.echo)));
        rig.Step();
        CHECK(rig.to_server_.empty());
        CHECK(rig.to_client_.size() == 2);
        CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) == 1);
        CHECK(Get(rig.a(), PipelineCounter::kSvrFragmentedPackets) == 1);
      }
    }
  }
}

// The first packet of `size` whose fragments the cable holds instead of delivering.
std::vector<Bytes> HeldFragments(Rig& rig, const PacketSpec& req) {
  std::vector<Bytes> held;
  rig.cable = [&held](Bytes& f, bool a_to_b) {
    if (!a_to_b) return true;
    held.push_back(f);
    return false;
  };
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  rig.cable = nullptr;
  REQUIRE(held.size() >= 2);
  return held;
}

TEST_CASE("SVR fragments out of order, duplicated, missing or tampered",
          "[pipeline][svr-fragment]") {
  Case c{"", Default()};
  const PacketSpec req = Sized(1484);
  SECTION("out of order: delivered once, whole") {
    Rig rig = MakeRig(c);
    std::vector<Bytes> held = HeldFragments(rig, req);
    std::reverse(held.begin(), held.end());
    for (const Bytes& f : held) {
      rig.IntoB(f);
      rig.Step();
    }
    REQUIRE(rig.to_server_.size() == 1);
    CHECK(Diff(rig.to_server_[0], rig.AtServer(req)) == "");
    CHECK(Get(rig.b(), PipelineCounter::kSvrFragReassembled) == 1);
  }
  SECTION("a duplicate is dropped and counted, the packet delivered once") {
    Rig rig = MakeRig(c);
    const std::vector<Bytes> held = HeldFragments(rig, req);
    rig.IntoB(held[1]);
    rig.IntoB(held[1]);
    rig.Step();
    CHECK(rig.to_server_.empty());
    CHECK(Get(rig.b(), PipelineCounter::kSvrFragDuplicate) == 1);
    for (size_t i = 0; i < held.size(); ++i) {
      if (i != 1) rig.IntoB(held[i]);
    }
    rig.Step();
    REQUIRE(rig.to_server_.size() == 1);
    CHECK(Diff(rig.to_server_[0], rig.AtServer(req)) == "");
  }
  SECTION("a missing fragment: nothing delivered, no session, the datagram times out") {
    Rig rig = MakeRig(c);
    const std::vector<Bytes> held = HeldFragments(rig, req);
    for (size_t i = 0; i + 1 < held.size(); ++i) rig.IntoB(held[i]);
    rig.Step();
    CHECK(rig.to_server_.empty());
    CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 0);
    rig.Advance(1000);
    rig.Expire();
    CHECK(Get(rig.b(), PipelineCounter::kSvrFragTimeout) == 0);
    rig.Advance(1001);
    rig.Expire();
    CHECK(Get(rig.b(), PipelineCounter::kSvrFragTimeout) == 1);
    // The late last fragment alone starts a new datagram that never completes.
    rig.IntoB(held.back());
    rig.Step();
    CHECK(rig.to_server_.empty());
    CHECK(Get(rig.b(), PipelineCounter::kSvrFragReassembled) == 0);
  }
  SECTION("a tampered fragment fails hop authentication: nothing held, nothing delivered") {
    for (const bool first : {true, false}) {
      Rig rig = MakeRig(c);
      std::vector<Bytes> held = HeldFragments(rig, req);
      Bytes& bad = first ? held.front() : held.back();
      bad[bad.size() - 40] ^= 0x01;  // a body byte
      for (const Bytes& f : held) rig.IntoB(f);
      rig.Step();
      CHECK(rig.to_server_.empty());
      CHECK(Get(rig.b(), PipelineCounter::kAuthFail) == 1);
      CHECK(Get(rig.b(), PipelineCounter::kSvrFragReceived) == held.size() - 1);
      CHECK(Get(rig.b(), PipelineCounter::kSvrFragReassembled) == 0);
      CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 0);
    }
  }
  SECTION("a fragment from an address that is no peer is dropped before the pool") {
    Rig rig = MakeRig(c);
    std::vector<Bytes> held = HeldFragments(rig, req);
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(held[0], &info) == packet::ParseResult::kOk);
    held[0][info.l3_offset + 15] ^= 0x40;  // source 192.0.2.1 -> 192.0.2.65
    rig.IntoB(held[0]);
    rig.Step();
    CHECK(Get(rig.b(), PipelineCounter::kWanNotPeer) == 1);
    CHECK(Get(rig.b(), PipelineCounter::kSvrFragReceived) == 0);
  }
}

TEST_CASE("A full-size first packet is told the fast path's MTU, not what fits with metadata, "
          "a retry of that size crosses as SVR fragments",
          "[pipeline][svr-fragment][pmtu]") {
  for (const bool echo : {false, true}) {
    DYNAMIC_SECTION((echo ? "ICMP echo" : "UDP")) {
      Case c{"", Default()};
      c.echo = echo;
      Rig rig = MakeRig(c);
      rig.FromClient(rig.ClientFrame(Sized(1500, false, echo)));
      rig.Step();
      CHECK(rig.wire_a_to_b_.empty());
      REQUIRE(rig.to_client_.size() == 1);
      packet::PacketInfo info;
      REQUIRE(packet::ParseFrame(rig.to_client_[0], &info) == packet::ParseResult::kOk);
      const uint32_t told = packet::LoadBe16(rig.to_client_[0].data() + info.l4_offset + 6);
      CHECK(told == (echo ? 1476u : 1484u));
      rig.to_client_.clear();
      const PacketSpec retry = Sized(told, false, echo);
      rig.FromClient(rig.ClientFrame(retry));
      rig.Step();
      REQUIRE(rig.to_server_.size() == 1);
      CHECK(Diff(rig.to_server_[0], rig.AtServer(retry)) == "");
      CHECK(Get(rig.a(), PipelineCounter::kSvrFragmentedPackets) == 1);
    }
  }
}

std::string OnPeers(std::string text, const std::string& line) {
  return Replace(std::move(text), "    interface: \"wan0\"\n",
                 "    interface: \"wan0\"\n    " + line + "\n");
}

TEST_CASE("A TCP SYN carrying data that fits only without its metadata crosses as SVR fragments: "
          "outer TCP, UDP-transformed, with payload encryption",
          "[pipeline][svr-fragment]") {
  struct Tcp {
    const char* name;
    bool transform;
    const char* client;
    const char* server;
    uint16_t port;
  };
  // mail: TCP 25, clear payload; erp: TCP 443, payload-aes (AES-256-CBC end to end).
  for (const Tcp& t : {Tcp{"mail, outer TCP", false, "10.10.2.10", "10.20.1.30", 25},
                       Tcp{"mail, UDP transform", true, "10.10.2.10", "10.20.1.30", 25},
                       Tcp{"erp, outer TCP, payload AES", false, "10.10.1.10", "10.20.1.20", 443},
                       Tcp{"erp, UDP transform, payload AES", true, "10.10.1.10", "10.20.1.20",
                           443}}) {
    DYNAMIC_SECTION(t.name) {
      RigOptions o;
      std::string text = Default();
      if (t.transform) text = OnPeers(text, "udp_transform: true");
      o.config = LoadConfig(text);
      Rig rig(o);
      rig.AddServer(t.server);
      PacketSpec syn;
      syn.src = Ip(t.client);
      syn.dst = Ip(t.server);
      syn.protocol = packet::kIpProtoTcp;
      syn.src_port = 41000;
      syn.dst_port = t.port;
      syn.tcp_flags = packet::kTcpSyn;
      syn.tcp_seq = 1000;
      syn.dont_fragment = true;
      // 1440 bytes: fits 1500 with the hop tag, a UDP header and CBC's IV and padding, not with
      // a first packet's metadata.
      syn.payload = Keep(Pattern(1440 - 40));
      rig.FromClient(rig.ClientFrame(syn));
      rig.Step();
      CHECK(rig.to_client_.empty());
      REQUIRE(rig.to_server_.size() == 1);
      CHECK(Diff(rig.to_server_[0], rig.AtServer(syn)) == "");
      const auto f = FragmentsOf(rig.wire_a_to_b_, 16);
      CHECK(f.size() == rig.wire_a_to_b_.size());
      CheckFragmentSet(f, rig.wire_a_to_b_);
      packet::PacketInfo info;
      REQUIRE(packet::ParseFrame(rig.wire_a_to_b_[1], &info) == packet::ParseResult::kOk);
      CHECK(info.l4_protocol == (t.transform ? packet::kIpProtoUdp : packet::kIpProtoTcp));
      CHECK(Get(rig.a(), PipelineCounter::kSvrFragmentedPackets) == 1);
      CHECK(Get(rig.b(), PipelineCounter::kSvrFragReassembled) == 1);
      CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 1);
    }
  }
}

TEST_CASE("A health check (inactivity-based recovery) on a packet that fits only without it "
          "crosses as SVR fragments and is answered",
          "[pipeline][svr-fragment]") {
  RigOptions o;
  o.base.recovery = RecoveryMode::kInactivityBased;
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  const PacketSpec small = Sized(100);
  rig.FromClient(rig.ClientFrame(small));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Reply(small, false)));
  rig.Step();
  rig.FromClient(rig.ClientFrame(small));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 2);
  rig.Advance(6000);
  const PacketSpec big = Sized(1484);
  rig.FromClient(rig.ClientFrame(big));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kHealthCheckSent) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kSvrFragmentedPackets) == 1);
  REQUIRE(rig.to_server_.size() == 3);
  CHECK(Diff(rig.to_server_[2], rig.AtServer(big)) == "");
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentHealthAck) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlHealthAck) == 1);
  CHECK(rig.to_client_.size() == 1);  // no frag-needed
}

TEST_CASE("PlanSvrFragments: fragments fit the MTU, carry multiples of 8, cover the body",
          "[pipeline][svr-fragment]") {
  for (const crypto::CipherSuite cipher :
       {crypto::CipherSuite::kNone, crypto::CipherSuite::kAes256Cbc}) {
    for (uint32_t md : {120u, 300u, 900u}) {
      for (uint32_t mtu : {1280u, 1500u}) {
        Encapsulation e;
        e.outer_headers = 28;
        e.inner_prefix = 28;
        e.metadata = md;
        e.payload_cipher = cipher;
        e.hop_trailer = 32;
        Encapsulation bare = e;
        bare.metadata = 0;
        const uint32_t inner = LargestInner(bare, mtu);
        SvrFragmentPlan p;
        REQUIRE(PlanSvrFragments(e, inner - e.inner_prefix, mtu, &p));
        CHECK(p.first_data % 8 == 0);
        CHECK(p.rest_data % 8 == 0);
        CHECK(28 + md + kFragmentTlvSize + p.first_data + 32 <= mtu);
        CHECK(28 + kRestFragmentMetadata + p.rest_data + 32 <= mtu);
        CHECK(p.first_data + (p.count - 1) * p.rest_data >= p.body);
        CHECK(p.first_data + (p.count - 2) * p.rest_data < p.body);
        CHECK(p.largest <= mtu);
        CHECK(p.count >= 2);
      }
    }
  }
  Encapsulation huge;
  huge.outer_headers = 28;
  huge.metadata = 1450;
  huge.hop_trailer = 16;
  SvrFragmentPlan p;
  CHECK_FALSE(PlanSvrFragments(huge, 1000, 1500, &p));  // no room beside the metadata
}

}  // namespace
}  // namespace ssr::pipeline::testing
