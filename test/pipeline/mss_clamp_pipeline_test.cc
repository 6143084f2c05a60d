// SPDX-License-Identifier: Apache-2.0
// TCP MSS clamping through two routers (issue 14 item 1, docs/protocol.md §2.7.1): the SYN and
// SYN-ACK of an SVR session reach the end hosts with an MSS whose full-size segments fit the WAN
// path; enforce_mss auto / a value / off on the WAN interface or the peer; each router clamps
// both on the way to the WAN and on the way to the LAN, so the smaller view of the path wins; the
// UDP-transformed segment keeps a valid TCP checksum (incremental update); config errors.
#include <string>

#include <catch2/catch.hpp>

#include "packet/checksum.h"
#include "pipeline/mss_clamp.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

// sales (10.10.2.10) to mail (10.20.1.30, TCP 25, no payload encryption), or with `erp` an
// engineering host (10.10.1.10) to erp (10.20.1.20, TCP 443, payload-aes: AES-256-CBC).
struct Flow {
  const char* client = "10.10.2.10";
  const char* server = "10.20.1.30";
  uint16_t port = 25;
};
const Flow kMail{};
const Flow kErp{"10.10.1.10", "10.20.1.20", 443};
const Flow kMail6{"fd00:10:2::10", "fd00:20:1::30", 25};

// A Linux-like SYN option list: MSS, SACK-permitted, timestamps, NOP, window scale.
Bytes LinuxOptions(uint16_t mss) {
  return {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss), 4, 2, 8, 10, 0, 0, 0,
          1, 0, 0, 0, 0, 1, 3, 3, 7};
}

PacketSpec Seg(const Flow& f, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
               std::span<const uint8_t> options = {}, std::span<const uint8_t> payload = {}) {
  PacketSpec s = from_client ? TcpSpec(f.client, f.server, 41000, f.port, flags, seq, ack, payload)
                             : TcpSpec(f.server, f.client, f.port, 41000, flags, seq, ack, payload);
  s.tcp_options = options;
  return s;
}

// The MSS option of a frame's TCP header (0: none), after checking its TCP checksum.
uint16_t MssOf(const Bytes& frame) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  REQUIRE(info.l4_protocol == packet::kIpProtoTcp);
  const auto tcp = std::span<const uint8_t>(frame).subspan(info.l4_offset, info.l4_length);
  CHECK(packet::VerifyTransportChecksum(info.src, info.dst, packet::kIpProtoTcp, tcp));
  return ReadMss(tcp);
}

uint32_t IpLength(const Bytes& frame) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  return info.l3_length;
}

struct Handshake {
  uint16_t syn_on_wire = 0;     // MSS of the SYN as it crossed the cable (outer TCP only)
  uint16_t syn_at_server = 0;   // as delivered by router B
  uint16_t synack_at_client = 0;  // as delivered by router A
};

// Client SYN (MSS client_mss), server SYN-ACK (MSS server_mss), client ACK. Each delivered
// segment must equal what the end host sent with only the MSS changed (checksum included).
Handshake Open(Rig& rig, const Flow& f, uint16_t client_mss, uint16_t server_mss,
               bool outer_tcp = true) {
  Handshake h;
  rig.AddServer(f.server);
  const Bytes syn_opts = LinuxOptions(client_mss);
  rig.FromClient(rig.ClientFrame(Seg(f, true, packet::kTcpSyn, 1000, 0, syn_opts)));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  if (outer_tcp) h.syn_on_wire = MssOf(rig.wire_a_to_b_.at(0));
  h.syn_at_server = MssOf(rig.to_server_.back());
  const Bytes syn_seen = LinuxOptions(h.syn_at_server);
  CHECK(rig.to_server_.back() == rig.AtServer(Seg(f, true, packet::kTcpSyn, 1000, 0, syn_seen)));

  const Bytes synack_opts = LinuxOptions(server_mss);
  rig.FromServer(rig.ServerFrame(
      Seg(f, false, packet::kTcpSyn | packet::kTcpAck, 5000, 1001, synack_opts)));
  rig.Step();
  REQUIRE(rig.to_client_.size() == 1);
  h.synack_at_client = MssOf(rig.to_client_.back());
  const Bytes synack_seen = LinuxOptions(h.synack_at_client);
  CHECK(rig.to_client_.back() ==
        rig.AtClient(Seg(f, false, packet::kTcpSyn | packet::kTcpAck, 5000, 1001, synack_seen)));

  rig.FromClient(rig.ClientFrame(Seg(f, true, packet::kTcpAck, 1001, 5001)));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 2);
  return h;
}

// A data segment of `size` bytes whose payload begins with the metadata cookie (so the router
// adds the 12-byte false-positive marker, the worst case, §3.8). Returns the IP length it had on
// the cable (its first outer fragment's when it left as `pieces` outer IPv4 fragments, §2.14.2),
// 0 when it did not reach the other end host.
uint32_t SendFullSize(Rig& rig, const Flow& f, bool from_client, size_t size, uint32_t seq,
                      uint32_t ack, size_t pieces = 1) {
  Bytes payload(size, 0x5a);
  std::copy(svr::kCookie.begin(), svr::kCookie.end(), payload.begin());
  const PacketSpec s = Seg(f, from_client, packet::kTcpAck, seq, ack, {}, Keep(payload));
  std::vector<Bytes>& out = from_client ? rig.to_server_ : rig.to_client_;
  std::vector<Bytes>& wire = from_client ? rig.wire_a_to_b_ : rig.wire_b_to_a_;
  const size_t before = out.size();
  const size_t wire_before = wire.size();
  if (from_client) {
    rig.FromClient(rig.ClientFrame(s));
  } else {
    rig.FromServer(rig.ServerFrame(s));
  }
  rig.Step();
  if (out.size() == before) return 0;
  CHECK(out.back() == (from_client ? rig.AtServer(s) : rig.AtClient(s)));
  REQUIRE(wire.size() == wire_before + pieces);
  return IpLength(wire[wire_before]);
}

Rig MakeRig(const std::string& text, const std::string& text_a = "") {
  RigOptions o;
  o.config = LoadConfig(text);
  if (!text_a.empty()) o.config_a = LoadConfig(text_a);
  return Rig(o);
}

std::string Default() { return std::string(config::DefaultConfigText()); }
// enforce_mss on both routers' WAN interfaces / peers.
std::string OnWanInterfaces(std::string text, const char* setting) {
  return Replace(std::move(text), "role: WAN\n",
                 std::string("role: WAN\n    enforce_mss: \"") + setting + "\"\n");
}
std::string OnPeers(std::string text, const std::string& line) {
  return Replace(std::move(text), "    interface: \"wan0\"\n", "    interface: \"wan0\"\n    " + line + "\n");
}

TEST_CASE("MSS auto (default): the SYN leaves router A clamped, the server and the client each "
          "receive the clamped MSS, and a full-size segment is exactly the WAN MTU",
          "[pipeline][mss]") {
  Rig rig = MakeRig(Default());
  // 1500 - 20 (IPv4) - 20 (TCP) - 12 (false-positive marker) - 16 (HMAC-SHA256-128 hop tag)
  const Handshake h = Open(rig, kMail, 1460, 1460);
  CHECK(h.syn_on_wire == 1432);
  CHECK(h.syn_at_server == 1432);
  CHECK(h.synack_at_client == 1432);
  // A clamped the SYN, B the SYN-ACK, each on its way to the WAN; the other router found them
  // within its own limit.
  CHECK(Get(rig.a(), PipelineCounter::kMssClamped) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kMssClamped) == 1);

  // Full-size segments both ways are exactly 1500 bytes on the cable; one byte more does not fit.
  CHECK(SendFullSize(rig, kMail, true, 1432, 1001, 5001) == 1500);
  CHECK(SendFullSize(rig, kMail, false, 1432, 5001, 2433) == 1500);
  // One byte more no longer fits: the segment has no DF, so its outer packet leaves as two IPv4
  // fragments, the first exactly the WAN MTU (docs/protocol.md §2.14.2), and arrives whole.
  CHECK(SendFullSize(rig, kMail, true, 1433, 2433, 6433, 2) == 1500);
  CHECK(Get(rig.a(), PipelineCounter::kOuterFragmented) == 2);
  CHECK(Get(rig.a(), PipelineCounter::kTooBigSent) + Get(rig.a(), PipelineCounter::kExceedsMtuDfClear) == 0);
}

TEST_CASE("MSS auto with end-to-end payload encryption (AES-256-CBC) leaves room for IV and "
          "padding",
          "[pipeline][mss]") {
  Rig rig = MakeRig(Default());
  const Handshake h = Open(rig, kErp, 1460, 1460);
  CHECK(h.syn_at_server == 1400);  // 1432 - 16 IV - 16 padding (worst case)
  CHECK(h.synack_at_client == 1400);
  const uint32_t len = SendFullSize(rig, kErp, true, 1400, 1001, 5001);
  CHECK(len > 1500 - 16);
  CHECK(len <= 1500);
  CHECK(SendFullSize(rig, kErp, false, 1400, 5001, 2401) <= 1500);
}

TEST_CASE("MSS auto on an AES-GCM hop: the GCM trailer instead of the HMAC tag",
          "[pipeline][mss]") {
  const std::string text = Replace(
      Default(),
      "  hmac: \"sha256-128\"\n  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n"
      "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"\n",
      "  hmac: \"none\"\n  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-gcm\"\n"
      "  encryption_keys: \"hop-aes\"\n");
  Rig rig = MakeRig(text);
  const Handshake h = Open(rig, kMail, 1460, 1460);
  CHECK(h.syn_at_server == 1500 - 40 - 12 - 24);
  CHECK(h.synack_at_client == 1500 - 40 - 12 - 24);
  CHECK(SendFullSize(rig, kMail, true, 1424, 1001, 5001) == 1500);
}

// mail and sales get IPv6 prefixes; with v6_wan the routers peer over IPv6.
std::string DualStack(bool v6_wan) {
  std::string text = Default();
  text = Replace(text, "prefixes: \"10.10.2.0/24\"", "prefixes: \"10.10.2.0/24\" prefixes: \"fd00:10:2::/64\"");
  text = Replace(text, "prefixes: \"10.20.1.30/32\"", "prefixes: \"10.20.1.30/32\" prefixes: \"fd00:20:1::30/128\"");
  return v6_wan ? PeerOverIpv6(std::move(text)) : text;
}

TEST_CASE("MSS auto over an IPv6 peer path: 20 bytes less for the outer IPv6 header, and an IPv6 "
          "session over an IPv4 path gets the IPv4 figure",
          "[pipeline][mss]") {
  for (const bool v6_wan : {false, true}) {
    DYNAMIC_SECTION((v6_wan ? "IPv6 over IPv6" : "IPv6 over IPv4")) {
      Rig rig = MakeRig(DualStack(v6_wan));
      if (v6_wan) {
        rig.a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig.b_mac_wan_);
        rig.b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig.a_mac_wan_);
      }
      const Handshake h = Open(rig, kMail6, 1440, 1440);  // IPv6 hosts at MTU 1500
      const uint16_t want = v6_wan ? 1500 - 60 - 28 : 1500 - 40 - 28;
      CHECK(h.syn_on_wire == want);
      CHECK(h.syn_at_server == want);
      CHECK(h.synack_at_client == want);
      CHECK(SendFullSize(rig, kMail6, true, want, 1001, 5001) == 1500);
      CHECK(SendFullSize(rig, kMail6, false, want, 5001, 1001u + want) == 1500);
    }
  }
}

TEST_CASE("A SYN and a SYN-ACK with 40 bytes of options and their metadata fit a 1280-byte IPv6 "
          "peer path (the clamp does not subtract metadata)",
          "[pipeline][mss]") {
  std::string text = Replace(DualStack(true), "role: WAN\n", "role: WAN\n    mtu: 1280\n");
  text = OnPeers(text, "udp_transform: true");  // the largest first packet: UDP header + TLV 12
  Rig rig = MakeRig(text);
  rig.a().neighbors().SetStatic(kWan, Ip("2001:db8::2"), rig.b_mac_wan_);
  rig.b().neighbors().SetStatic(kWan, Ip("2001:db8::1"), rig.a_mac_wan_);
  rig.AddServer(kMail6.server);
  const auto options = [](uint16_t mss) {
    Bytes o = LinuxOptions(mss);
    o.resize(40, 1);  // padded with NOPs to the 40-byte maximum
    return o;
  };
  const uint16_t want = 1280 - 60 - 28 - 8;
  const PacketSpec syn = Seg(kMail6, true, packet::kTcpSyn, 1000, 0, Keep(options(1440)));
  rig.FromClient(rig.ClientFrame(syn));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(Seg(kMail6, true, packet::kTcpSyn, 1000, 0, Keep(options(want)))));
  const PacketSpec synack =
      Seg(kMail6, false, packet::kTcpSyn | packet::kTcpAck, 5000, 1001, Keep(options(1440)));
  rig.FromServer(rig.ServerFrame(synack));
  rig.Step();
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(rig.to_client_[0] == rig.AtClient(Seg(kMail6, false, packet::kTcpSyn | packet::kTcpAck, 5000,
                                              1001, Keep(options(want)))));
  CHECK(Get(rig.a(), PipelineCounter::kExceedsMtu) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kExceedsMtu) == 0);
  CHECK(IpLength(rig.wire_a_to_b_.at(0)) < 1280);
  CHECK(IpLength(rig.wire_b_to_a_.at(0)) < 1280);
}

TEST_CASE("MSS off: SYN and SYN-ACK cross unchanged, and with off on one router only the other clamps on "
          "both of its sides",
          "[pipeline][mss]") {
  SECTION("off on both WAN interfaces") {
    Rig rig = MakeRig(OnWanInterfaces(Default(), "off"));
    const Handshake h = Open(rig, kMail, 1460, 1460);
    CHECK(h.syn_at_server == 1460);
    CHECK(h.synack_at_client == 1460);
    CHECK(Get(rig.a(), PipelineCounter::kMssClamped) == 0);
    CHECK(Get(rig.b(), PipelineCounter::kMssClamped) == 0);
  }
  SECTION("off on router A: B clamps the SYN on its way to the server (egress) and the SYN-ACK on "
          "its way to the WAN") {
    Rig rig = MakeRig(Default(), OnWanInterfaces(Default(), "off"));
    const Handshake h = Open(rig, kMail, 1460, 1460);
    CHECK(h.syn_on_wire == 1460);
    CHECK(h.syn_at_server == 1432);
    CHECK(h.synack_at_client == 1432);
    CHECK(Get(rig.a(), PipelineCounter::kMssClamped) == 0);
    CHECK(Get(rig.b(), PipelineCounter::kMssClamped) == 2);
  }
  SECTION("off on the interfaces, auto on the peers: the peer's setting wins") {
    Rig rig = MakeRig(OnPeers(OnWanInterfaces(Default(), "off"), "enforce_mss: \"auto\""));
    const Handshake h = Open(rig, kMail, 1460, 1460);
    CHECK(h.syn_at_server == 1432);
    CHECK(h.synack_at_client == 1432);
  }
}

TEST_CASE("MSS: a reload to off applies to the next SYN", "[pipeline][mss]") {
  Rig rig = MakeRig(Default());
  CHECK(Open(rig, kMail, 1460, 1460).syn_at_server == 1432);
  const auto off = LoadConfig(OnWanInterfaces(Default(), "off"));
  REQUIRE(rig.a().Reload(off).ok());
  REQUIRE(rig.b().Reload(off).ok());
  PacketSpec syn = Seg(kMail, true, packet::kTcpSyn, 7000, 0, Keep(LinuxOptions(1460)));
  syn.src_port = 41001;
  rig.FromClient(rig.ClientFrame(syn));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 3);
  CHECK(rig.to_server_.back() == rig.AtServer(syn));
  CHECK(Get(rig.a(), PipelineCounter::kMssClamped) == 1);
}

TEST_CASE("MSS value: the configured number replaces the automatic one, smaller MSS options are "
          "left alone",
          "[pipeline][mss]") {
  SECTION("a value on the peers") {
    Rig rig = MakeRig(OnPeers(Default(), "enforce_mss: \"1300\""));
    const Handshake h = Open(rig, kMail, 1460, 1200);
    CHECK(h.syn_on_wire == 1300);
    CHECK(h.syn_at_server == 1300);
    CHECK(h.synack_at_client == 1200);
    CHECK(Get(rig.a(), PipelineCounter::kMssClamped) == 1);
    CHECK(Get(rig.b(), PipelineCounter::kMssClamped) == 0);
  }
  SECTION("a value above the automatic one, on the interfaces") {
    Rig rig = MakeRig(OnWanInterfaces(Default(), "1450"));
    const Handshake h = Open(rig, kMail, 1460, 9000);
    CHECK(h.syn_at_server == 1450);
    CHECK(h.synack_at_client == 1450);
  }
}

TEST_CASE("MSS auto with different WAN MTUs: each router clamps to its own path, the end hosts "
          "get the smaller",
          "[pipeline][mss]") {
  // The datacenter's WAN link carries 1400 bytes, the branch's 1500.
  const std::string text = Replace(Default(), "    addresses: \"192.0.2.2/24\"\n",
                                   "    addresses: \"192.0.2.2/24\"\n    mtu: 1400\n");
  Rig rig = MakeRig(text);
  const Handshake h = Open(rig, kMail, 1460, 1460);
  CHECK(h.syn_on_wire == 1432);       // router A's view
  CHECK(h.syn_at_server == 1400 - 68);  // router B lowered it again on its way to the server
  CHECK(h.synack_at_client == 1400 - 68);
  CHECK(Get(rig.a(), PipelineCounter::kMssClamped) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kMssClamped) == 2);
  // The server's full-size segments fit B's link.
  CHECK(SendFullSize(rig, kMail, false, 1332, 5001, 1001) == 1400);
}

TEST_CASE("MSS auto with UDP transform: 8 bytes for the UDP header, and the carried TCP segment "
          "keeps a valid checksum",
          "[pipeline][mss]") {
  const std::string text = OnPeers(Default(), "udp_transform: true");
  SECTION("clear payload") {
    Rig rig = MakeRig(text);
    const Handshake h = Open(rig, kMail, 1460, 1460, /*outer_tcp=*/false);
    // Open() compared the delivered frames with a rebuilt segment: checksum included, which no
    // router recomputes for a transformed segment (the clamp's incremental update).
    CHECK(h.syn_at_server == 1424);
    CHECK(h.synack_at_client == 1424);
    // No marker here: the carried segment begins with the TCP ports, not the cookie (it could,
    // for one port pair and sequence number: the clamp leaves the 12 bytes for that case).
    CHECK(SendFullSize(rig, kMail, true, 1424, 1001, 5001) == 1500 - 12);
  }
  SECTION("payload encrypted end to end") {
    Rig rig = MakeRig(text);
    const Handshake h = Open(rig, kErp, 1460, 1460, /*outer_tcp=*/false);
    CHECK(h.syn_at_server == 1392);
    CHECK(h.synack_at_client == 1392);
    CHECK(SendFullSize(rig, kErp, true, 1392, 1001, 5001) <= 1500);
  }
}

TEST_CASE("MSS: a SYN without an MSS option crosses unchanged (no option is added)",
          "[pipeline][mss]") {
  Rig rig = MakeRig(Default());
  rig.AddServer(kMail.server);
  const Bytes opts = {4, 2, 1, 3, 3, 7};  // SACK-permitted, NOP, window scale
  const PacketSpec syn = Seg(kMail, true, packet::kTcpSyn, 1000, 0, opts);
  rig.FromClient(rig.ClientFrame(syn));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(syn));
  CHECK(Get(rig.a(), PipelineCounter::kMssClamped) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kMssClamped) == 0);
}

// ---- configuration -----------------------------------------------------------------------------

std::string LoadError(const std::string& text) {
  const auto c = config::LoadConfigString(text, config::ConfigFormat::kText);
  REQUIRE_FALSE(c.ok());
  return std::string(c.status().message());
}

TEST_CASE("enforce_mss config: auto, off and values load into the model and bad values name the "
          "field",
          "[pipeline][mss][config]") {
  using Mode = config::MssClamp::Mode;
  SECTION("model") {
    const auto def = LoadConfig(Default());
    CHECK(def->routers[0].interfaces[1].enforce_mss.mode == Mode::kAuto);
    CHECK_FALSE(def->routers[0].peers[0].enforce_mss.has_value());
    const auto off = LoadConfig(OnPeers(OnWanInterfaces(Default(), "off"), "enforce_mss: \"1300\""));
    CHECK(off->routers[1].interfaces[1].enforce_mss.mode == Mode::kOff);
    REQUIRE(off->routers[1].peers[0].enforce_mss.has_value());
    CHECK(off->routers[1].peers[0].enforce_mss->mode == Mode::kValue);
    CHECK(off->routers[1].peers[0].enforce_mss->value == 1300);
    CHECK(LoadConfig(OnWanInterfaces(Default(), "auto"))->routers[0].interfaces[1].enforce_mss.mode ==
          Mode::kAuto);
    // The bound follows the interface MTU.
    const std::string jumbo = Replace(OnWanInterfaces(Default(), "8960"), "role: WAN\n",
                                      "role: WAN\n    mtu: 9000\n");
    CHECK(LoadConfig(jumbo)->routers[0].interfaces[1].enforce_mss.value == 8960);
  }
  SECTION("errors") {
    CHECK_THAT(LoadError(OnWanInterfaces(Default(), "Auto")),
               Catch::Contains("routers[0].interfaces[1].enforce_mss: \"Auto\" is not a valid MSS "
                               "setting (\"auto\", \"off\" or a number of bytes, 536-1460)"));
    CHECK_THAT(LoadError(OnWanInterfaces(Default(), "-1")),
               Catch::Contains("routers[1].interfaces[1].enforce_mss: \"-1\" is not a valid MSS "
                               "setting"));
    CHECK_THAT(LoadError(OnWanInterfaces(Default(), "535")),
               Catch::Contains("routers[0].interfaces[1].enforce_mss: 535 is out of range "
                               "(536-1460: at most mtu 1500 minus 40 bytes of IPv4 and TCP header)"));
    CHECK_THAT(LoadError(OnWanInterfaces(Default(), "1461")),
               Catch::Contains("routers[0].interfaces[1].enforce_mss: 1461 is out of range"));
    CHECK_THAT(LoadError(Replace(Default(), "role: LAN", "role: LAN enforce_mss: \"auto\"")),
               Catch::Contains("routers[0].interfaces[0].enforce_mss: \"auto\" is not allowed on a "
                               "LAN interface"));
    // A peer's bound is its WAN interface's MTU.
    const std::string small = Replace(OnPeers(Default(), "enforce_mss: \"1361\""), "role: WAN\n",
                                      "role: WAN\n    mtu: 1400\n");
    CHECK_THAT(LoadError(small),
               Catch::Contains("routers[0].peers[0].enforce_mss: 1361 is out of range (536-1360"));
    CHECK_THAT(LoadError(OnPeers(Default(), "enforce_mss: \"100000\"")),
               Catch::Contains("routers[0].peers[0].enforce_mss: \"100000\" is not a valid MSS "
                               "setting"));
  }
}

TEST_CASE("MSS auto follows the peer's path_mtu, not only the WAN interface's mtu",
          "[pipeline][mss]") {
  // Both WAN interfaces carry 1500, but each router is told its path to the other carries 1400
  // (a path MTU below the interface's, docs/protocol.md §2.14.2).
  Rig rig = MakeRig(OnPeers(Default(), "path_mtu: 1400"));
  const Handshake h = Open(rig, kMail, 1460, 1460);
  CHECK(h.syn_on_wire == 1400 - 68);
  CHECK(h.syn_at_server == 1400 - 68);
  CHECK(h.synack_at_client == 1400 - 68);
  // A full-size segment of the clamped MSS fits the path exactly.
  CHECK(SendFullSize(rig, kMail, true, 1332, 1001, 5001) == 1400);
}

}  // namespace
}  // namespace ssr::pipeline::testing
