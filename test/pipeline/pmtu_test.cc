// SPDX-License-Identifier: Apache-2.0
// Path MTU (docs/protocol.md §2.14.2): LAN packets that no longer fit the peer's path MTU once
// SVR is added. IPv4 with DF and every IPv6 packet get ICMP frag-needed / Packet Too Big naming
// the size that fits without metadata (proved by sending a packet of exactly that size, which is
// delivered, and one byte more, which is not; a packet with metadata that fits only without it
// leaves as SVR fragments, svr_fragment_test.cc); IPv4 without DF leaves as outer fragments
// (outer_fragment_test.cc);
// the errors are rate limited; a configured path MTU and the WAN interface's mtu are honoured.
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "packet/checksum.h"
#include "pipeline/pmtu.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

// A voice packet (UDP 10.10.2.10:40000 -> 10.20.2.5:5060, or the IPv6 pair) whose IP packet is
// `ip_length` bytes.
// With `echo`: an ICMP echo request of that size to the web server 10.20.3.10 instead (ICMP
// travels between the routers as UDP with a fresh header, §2.11).
PacketSpec Sized(uint32_t ip_length, bool df, bool v6 = false, bool echo = false) {
  const uint32_t headers = (v6 ? 40 : 20) + 8;
  PacketSpec s = VoiceSpec(40000, Keep(Bytes(ip_length - headers, 0x5a)));
  if (v6) {
    s.src = Ip("fd00:10:2::10");
    s.dst = Ip("fd00:20:2::5");
  }
  if (echo) {
    s.dst = Ip("10.20.3.10");
    s.protocol = packet::kIpProtoIcmp;
    s.icmp_id = 7;
  }
  s.dont_fragment = df;
  return s;
}
PacketSpec EchoReply(PacketSpec s) {
  s = Reversed(s);
  s.icmp_type = packet::kIcmpEchoReply;
  return s;
}

// Completes the §2.6 handshake of the voice session so later packets carry no metadata.
void Establish(Rig& rig, bool v6 = false, bool echo = false) {
  rig.FromClient(rig.ClientFrame(Sized(100, true, v6, echo)));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  const PacketSpec request = Sized(100, true, v6, echo);
  rig.FromServer(rig.ServerFrame(echo ? EchoReply(request) : Reversed(request)));
  rig.Step();
  REQUIRE(rig.to_client_.size() == 1);
  rig.FromClient(rig.ClientFrame(Sized(100, true, v6, echo)));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 2);
  REQUIRE(Get(rig.a(), PipelineCounter::kForwardMdStopped) == 1);
  rig.to_server_.clear();
  rig.to_client_.clear();
}

// The ICMP error the client received for `sent`; checks everything but the MTU, returns it.
uint32_t CheckTooBig(const Rig& rig, const Bytes& frame, const Bytes& sent, const char* from) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  packet::PacketInfo orig;
  REQUIRE(packet::ParseFrame(sent, &orig) == packet::ParseResult::kOk);
  const bool v4 = orig.ip_version == 4;
  CHECK(std::equal(kClientMac.begin(), kClientMac.end(), frame.begin()));
  CHECK(std::equal(rig.a_mac_lan_.begin(), rig.a_mac_lan_.end(), frame.begin() + 6));
  CHECK(info.src == Ip(from));
  CHECK(info.dst == orig.src);
  CHECK(info.l4_protocol == (v4 ? packet::kIpProtoIcmp : packet::kIpProtoIcmpv6));
  CHECK(info.icmp_is_error);
  const std::span<const uint8_t> msg(frame.data() + info.l4_offset, info.l4_length);
  if (v4) {
    CHECK(packet::VerifyIpv4HeaderChecksum({frame.data() + info.l3_offset, 20}));
    CHECK(packet::VerifyIcmpChecksum(msg));
    CHECK(msg[0] == 3);
    CHECK(msg[1] == 4);
    CHECK(msg[4] == 0);
    CHECK(msg[5] == 0);
    CHECK(info.l3_length == std::min<uint32_t>(kIcmpv4ErrorMax, 28 + orig.l3_length));
  } else {
    CHECK(packet::VerifyTransportChecksum(info.src, info.dst, packet::kIpProtoIcmpv6, msg));
    CHECK(msg[0] == 2);
    CHECK(msg[1] == 0);
    CHECK(info.l3_length == std::min<uint32_t>(kIcmpv6ErrorMax, 48 + orig.l3_length));
  }
  // The quote: the offending packet from its IP header on, as much as fits.
  const size_t quoted = msg.size() - 8;
  REQUIRE(quoted <= orig.l3_length);
  CHECK(std::equal(msg.begin() + 8, msg.end(), sent.begin() + orig.l3_offset));
  return v4 ? packet::LoadBe16(msg.data() + 6) : packet::LoadBe32(msg.data() + 4);
}

// Sends a DF packet of `size` on the established session; true when the server got it.
bool Delivered(Rig& rig, uint32_t size, bool v6 = false, bool echo = false) {
  rig.to_server_.clear();
  const PacketSpec spec = Sized(size, true, v6, echo);
  rig.FromClient(rig.ClientFrame(spec));
  rig.Step();
  if (rig.to_server_.size() != 1) return false;
  CHECK(rig.to_server_[0] == rig.AtServer(spec));
  return true;
}

// The MTU a 1500-byte DF packet is told, after checking the error is well formed; then proves
// it: a packet of that size is delivered and one byte more is not.
uint32_t ProbeMtu(Rig& rig, const char* lan_address, bool v6 = false, bool echo = false) {
  rig.to_client_.clear();
  const uint64_t sent_before = Get(rig.a(), PipelineCounter::kTooBigSent);
  const size_t wire_before = rig.wire_a_to_b_.size();
  const Bytes big = rig.ClientFrame(Sized(1500, true, v6, echo));
  rig.FromClient(big);
  rig.Step();
  CHECK(rig.wire_a_to_b_.size() == wire_before);  // nothing left for the peer
  CHECK(rig.to_server_.empty());
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) == sent_before + 1);
  const uint32_t mtu = CheckTooBig(rig, rig.to_client_[0], big, lan_address);
  REQUIRE(mtu < 1500);
  CHECK(Delivered(rig, mtu, v6, echo));
  rig.to_client_.clear();
  CHECK_FALSE(Delivered(rig, mtu + 1, v6, echo));
  CHECK(rig.to_client_.size() == 1);
  rig.to_client_.clear();
  return mtu;
}

std::shared_ptr<const config::Config> WithVoicePayloadEncryption() {
  return LoadConfig(Replace(std::string(config::DefaultConfigText()),
                            "ports { start: 10000 end: 20000 } }",
                            "ports { start: 10000 end: 20000 } } security_policy: \"payload-aes\""));
}

TEST_CASE("A DF IPv4 packet over the path MTU because of SVR trailers gets frag-needed with the "
          "MTU that fits",
          "[pipeline][pmtu]") {
  SECTION("hop HMAC only") {
    Rig rig;
    rig.AddServer("10.20.2.5");
    Establish(rig);
    // Outer IPv4 + UDP like the inner packet, plus the 16-byte sha256-128 tag of peer-hop.
    CHECK(ProbeMtu(rig, "10.10.0.1") == 1500 - 16);
    CHECK(Get(rig.a(), PipelineCounter::kExceedsMtu) == 0);
  }
  SECTION("hop HMAC and end-to-end AES-CBC payload encryption") {
    RigOptions o;
    o.config = WithVoicePayloadEncryption();
    Rig rig(o);
    rig.AddServer("10.20.2.5");
    Establish(rig);
    // 16-byte tag, 16-byte IV, and the body padded to a block: the largest body b with
    // 28 + 16 + 16 + 16 * (b / 16 + 1) <= 1500 is 1439, a 1467-byte packet.
    CHECK(ProbeMtu(rig, "10.10.0.1") == 1467);
  }
  SECTION("ICMP echo (ping -M do), carried as UDP") {
    Rig rig;
    rig.AddServer("10.20.3.10");
    Establish(rig, false, true);
    // The whole ICMP message follows a fresh 8-byte UDP header: 8 bytes more than the tag.
    CHECK(ProbeMtu(rig, "10.10.0.1", false, true) == 1500 - 16 - 8);
  }
}

TEST_CASE("A first packet over the path MTU gets frag-needed with what fits without its metadata "
          "(the fast path's MTU), a retry of that size crosses as SVR fragments",
          "[pipeline][pmtu]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  const Bytes big = rig.ClientFrame(Sized(1500, true));
  rig.FromClient(big);
  rig.Step();
  CHECK(rig.wire_a_to_b_.empty());
  REQUIRE(rig.to_client_.size() == 1);
  const uint32_t mtu = CheckTooBig(rig, rig.to_client_[0], big, "10.10.0.1");
  // Not the lower size that would fit with a first packet's metadata (§2.14): the sender keeps
  // the path MTU the fast path needs anyway.
  CHECK(mtu == 1500 - 16);
  rig.to_client_.clear();
  // Still the session's first packet toward the peer (metadata pending): it leaves as SVR
  // fragments (svr_fragment_test.cc checks them) and arrives whole.
  CHECK(Delivered(rig, mtu));
  CHECK(Get(rig.a(), PipelineCounter::kSvrFragmentedPackets) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kMdReceivedForward) == 1);
  CHECK(rig.to_client_.empty());
}

TEST_CASE("An IPv4 packet without DF over the path MTU leaves as outer fragments, nobody is told",
          "[pipeline][pmtu]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  Establish(rig);
  const size_t wire_before = rig.wire_a_to_b_.size();
  const PacketSpec big = Sized(1500, false);
  rig.FromClient(rig.ClientFrame(big));
  rig.Step();
  CHECK(rig.to_client_.empty());
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(big));
  CHECK(rig.wire_a_to_b_.size() == wire_before + 2);  // outer_fragment_test.cc checks them
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 2);
  CHECK(Get(rig.a(), PipelineCounter::kExceedsMtuDfClear) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) == 0);
  // Without DF but fitting: forwarded whole as ever.
  const PacketSpec fits = Sized(1484, false);
  rig.FromClient(rig.ClientFrame(fits));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 2);
  CHECK(rig.to_server_[1] == rig.AtServer(fits));
  CHECK(rig.wire_a_to_b_.size() == wire_before + 3);
}

// Sales and voice with IPv6 prefixes, the routers peering over IPv6 (a 1500-byte IPv6 packet
// fits an IPv4 peer path: the outer header is 20 bytes smaller than the inner one).
std::shared_ptr<const config::Config> V6Config(bool lan_v6_address) {
  std::string text = DualStackConfigText(/*v6_wan=*/true);
  // The built-in config gives lan0 fd00:10:10::1/48; without it the error comes from the
  // interface's link-local address.
  if (!lan_v6_address) {
    text = Replace(text, " addresses: \"fd00:10:10::1/48\"", "");
  }
  return LoadConfig(text);
}

TEST_CASE("An IPv6 packet over the path MTU gets Packet Too Big with the MTU that fits",
          "[pipeline][pmtu]") {
  for (const bool lan_address : {true, false}) {
    DYNAMIC_SECTION((lan_address ? "from the LAN interface's address" : "from its link-local address")) {
      RigOptions o;
      o.config = V6Config(lan_address);
      Rig rig(o);
      rig.a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig.b_mac_wan_);
      rig.b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig.a_mac_wan_);
      rig.AddServer("fd00:20:2::5");
      Establish(rig, true);
      // a_mac_lan_ 02:55:00:00:00:00 -> fe80::55:ff:fe00:0 (modified EUI-64).
      CHECK(ProbeMtu(rig, lan_address ? "fd00:10:10::1" : "fe80::55:ff:fe00:0", true) == 1500 - 16);
    }
  }
}

TEST_CASE("ICMP errors for over-MTU packets are rate limited per worker", "[pipeline][pmtu]") {
  RigOptions o;
  o.base.too_big_burst = 3;
  o.base.too_big_per_second = 4;  // one token per 250 ms
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  Establish(rig);
  const Bytes big = rig.ClientFrame(Sized(1500, true));
  for (int i = 0; i < 5; ++i) rig.FromClient(big);
  rig.Step();
  CHECK(rig.to_client_.size() == 3);
  CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) == 3);
  CHECK(Get(rig.a(), PipelineCounter::kTooBigRateLimited) == 2);
  rig.to_client_.clear();
  rig.Advance(250);
  rig.FromClient(big);
  rig.FromClient(big);
  rig.Step();
  CHECK(rig.to_client_.size() == 1);
  CHECK(Get(rig.a(), PipelineCounter::kTooBigRateLimited) == 3);
  rig.to_client_.clear();
  rig.Advance(10'000);  // refills to the burst, not beyond
  for (int i = 0; i < 5; ++i) rig.FromClient(big);
  rig.Step();
  CHECK(rig.to_client_.size() == 3);
  CHECK(rig.to_server_.empty());
}

TEST_CASE("The peer's configured path MTU, else the WAN interface's mtu, bounds what is sent",
          "[pipeline][pmtu]") {
  SECTION("peer path_mtu 1400") {
    RigOptions o;
    o.config = LoadConfig(Replace(Replace(std::string(config::DefaultConfigText()),
                                          "addresses: \"192.0.2.2\"",
                                          "addresses: \"192.0.2.2\" path_mtu: 1400"),
                                  "addresses: \"192.0.2.1\"", "addresses: \"192.0.2.1\" path_mtu: 1400"));
    Rig rig(o);
    rig.AddServer("10.20.2.5");
    Establish(rig);
    CHECK(ProbeMtu(rig, "10.10.0.1") == 1400 - 16);
    // The reply direction is bounded on the datacenter's side too: a full-size reply is refused.
    rig.FromServer(rig.ServerFrame(Reversed(Sized(1400, true))));
    rig.Step();
    CHECK(rig.to_client_.empty());
    CHECK(Get(rig.b(), PipelineCounter::kTooBigSent) == 1);
  }
  SECTION("wan0 mtu 1400, no path_mtu") {
    RigOptions o;
    std::string text(config::DefaultConfigText());
    text = Replace(text, "addresses: \"192.0.2.1/24\"", "addresses: \"192.0.2.1/24\" mtu: 1400");
    text = Replace(text, "addresses: \"192.0.2.2/24\"", "addresses: \"192.0.2.2/24\" mtu: 1400");
    o.config = LoadConfig(text);
    REQUIRE(o.config->routers[0].interfaces[1].mtu == 1400);
    REQUIRE(o.config->routers[1].interfaces[1].mtu == 1400);
    Rig rig(o);
    rig.AddServer("10.20.2.5");
    Establish(rig);
    CHECK(ProbeMtu(rig, "10.10.0.1") == 1400 - 16);
  }
}

TEST_CASE("LargestInner: the largest inner packet whose encapsulation fits", "[pipeline][pmtu]") {
  for (const crypto::CipherSuite c : {crypto::CipherSuite::kNone, crypto::CipherSuite::kAes128Cbc,
                                      crypto::CipherSuite::kAes256Gcm}) {
    for (uint32_t md : {0u, 137u}) {
      Encapsulation e;
      e.outer_headers = 48;
      e.inner_prefix = 28;
      e.metadata = md;
      e.payload_cipher = c;
      e.hop_trailer = 32;
      for (uint32_t mtu : {1280u, 1400u, 1500u, 1501u, 9000u}) {
        const uint32_t n = LargestInner(e, mtu);
        CHECK(OuterLength(e, n) <= mtu);
        CHECK(OuterLength(e, n + 1) > mtu);
      }
    }
  }
  Encapsulation huge;
  huge.outer_headers = 1400;
  huge.hop_trailer = 200;
  CHECK(LargestInner(huge, 1500) == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
