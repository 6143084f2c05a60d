// SPDX-License-Identifier: Apache-2.0
// ICMP errors (docs/protocol.md §2.11.1): an error never opens a session, even to a service that
// allows ICMP; it is matched against the live session whose packet it quotes (addresses, ports,
// direction, side, and for TCP a plausible sequence number); a match from the LAN is relayed to
// the peer (TLV 20 / 21), which rebuilds the error for its own end host; everything else is
// dropped with a counter that says which case it was. Guest hosts (10.10.9.0/24) reach web
// (10.20.3.10: TCP 80/443, UDP 7, ICMP) in the default config.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "packet/checksum.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

constexpr const char* kClient = "10.10.9.20";  // guest
constexpr const char* kServer = "10.20.3.10";  // web

PacketSpec Udp(bool from_client, uint16_t client_port = 5555) {
  PacketSpec s;
  s.src = Ip(from_client ? kClient : kServer);
  s.dst = Ip(from_client ? kServer : kClient);
  s.protocol = packet::kIpProtoUdp;
  s.src_port = from_client ? client_port : 7;
  s.dst_port = from_client ? 7 : client_port;
  s.payload = Keep({1, 2, 3, 4});
  return s;
}

PacketSpec Tcp(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
               std::span<const uint8_t> payload = {}) {
  PacketSpec s;
  s.src = Ip(from_client ? kClient : kServer);
  s.dst = Ip(from_client ? kServer : kClient);
  s.protocol = packet::kIpProtoTcp;
  s.src_port = from_client ? 40000 : 80;
  s.dst_port = from_client ? 80 : 40000;
  s.tcp_flags = flags;
  s.tcp_seq = seq;
  s.tcp_ack = ack;
  s.payload = payload;
  return s;
}

PacketSpec Ping(uint8_t type) {
  PacketSpec s;
  s.src = Ip(type == 8 ? kClient : kServer);
  s.dst = Ip(type == 8 ? kServer : kClient);
  s.protocol = packet::kIpProtoIcmp;
  s.icmp_type = type;
  s.icmp_id = 0x77;
  s.icmp_seq = 1;
  s.payload = Keep({9, 9, 9, 9});
  return s;
}

// The first `keep` bytes of the IP packet `quoted` describes; keep 0: its IP header + 8 bytes
// (what RFC 792 requires an ICMPv4 error to carry).
Bytes Quote(const PacketSpec& quoted, size_t keep = 0) {
  Bytes ip(packet::IpPacketLength(quoted));
  REQUIRE(!ip.empty());
  REQUIRE(packet::BuildIp(quoted, ip) == ip.size());
  const size_t header = quoted.src.is_v4() ? size_t{ip[0] & 0x0fu} * 4 : 40;
  ip.resize(std::min(ip.size(), keep != 0 ? keep : header + 8));
  return ip;
}

// An ICMP error from `src` to `dst` (type/code, and the 4 "rest of header" bytes: 0, or the MTU
// of a fragmentation-needed / packet-too-big) carrying `quote`.
PacketSpec Error(util::IpAddress src, util::IpAddress dst, int type, uint8_t code, Bytes quote,
                 uint16_t mtu = 0) {
  PacketSpec s;
  s.src = src;
  s.dst = dst;
  s.protocol = s.src.is_v4() ? packet::kIpProtoIcmp : packet::kIpProtoIcmpv6;
  s.icmp_type = type;
  s.icmp_code = code;
  s.icmp_id = 0;
  s.icmp_seq = mtu;
  s.payload = Keep(std::move(quote));
  return s;
}

// A port unreachable sent by the end host that received `quoted`.
PacketSpec PortUnreachable(const PacketSpec& quoted) {
  return Error(quoted.dst, quoted.src, 3, 3, Quote(quoted));
}
PacketSpec Error(const char* src, const char* dst, int type, uint8_t code, Bytes quote,
                 uint16_t mtu = 0) {
  return Error(Ip(src), Ip(dst), type, code, std::move(quote), mtu);
}

// Sends a client frame through both routers; true if something reached the server.
bool FromClient(Rig& rig, const PacketSpec& spec) {
  const size_t before = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(spec));
  rig.Step();
  return rig.to_server_.size() != before;
}
bool FromServer(Rig& rig, const PacketSpec& spec) {
  const size_t before = rig.to_client_.size();
  rig.FromServer(rig.ServerFrame(spec));
  rig.Step();
  return rig.to_client_.size() != before;
}

// Checks that `frame`, delivered to an end host, is a well-formed ICMP error of `type`/`code`
// (rest-of-header `mtu`) from the host `quoted` was sent to, back to its sender, quoting its
// tuple (and TCP sequence number): what a host stack needs to find the socket.
void CheckDelivered(const Bytes& frame, const PacketSpec& quoted, int type, uint8_t code,
                    uint16_t mtu = 0) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  REQUIRE(info.is_icmp());
  CHECK(info.icmp_is_error);
  CHECK(info.icmp_type == type);
  CHECK(info.icmp_code == code);
  CHECK(info.src == quoted.dst);
  CHECK(info.dst == quoted.src);
  const std::span<const uint8_t> bytes(frame);
  const auto l4 = info.L4(bytes);
  CHECK(packet::LoadBe16(l4.data() + 6) == mtu);
  if (info.is_ipv4()) {
    CHECK(packet::VerifyIpv4HeaderChecksum(info.L3Header(bytes)));
    CHECK(packet::VerifyIcmpChecksum(l4));
  } else {
    CHECK(packet::VerifyTransportChecksum(info.src, info.dst, packet::kIpProtoIcmpv6, l4));
  }
  packet::IcmpQuote q;
  REQUIRE(packet::ParseIcmpQuote(bytes, info, &q) == packet::IcmpQuoteResult::kOk);
  CHECK(q.src == quoted.src);
  CHECK(q.dst == quoted.dst);
  CHECK(q.l4_protocol == quoted.protocol);
  if (quoted.protocol == packet::kIpProtoTcp || quoted.protocol == packet::kIpProtoUdp) {
    CHECK(q.src_port == quoted.src_port);
    CHECK(q.dst_port == quoted.dst_port);
  } else {
    CHECK(q.src_port == quoted.icmp_id);
  }
  CHECK(q.has_tcp_seq == (quoted.protocol == packet::kIpProtoTcp));
  if (q.has_tcp_seq) CHECK(q.tcp_seq == quoted.tcp_seq);
}

uint64_t Errors(const Pipeline& p) {
  return Get(p, PipelineCounter::kIcmpErrorMalformed) +
         Get(p, PipelineCounter::kIcmpErrorNoSession) + Get(p, PipelineCounter::kIcmpErrorBadSeq) +
         Get(p, PipelineCounter::kIcmpErrorNotRelayed);
}

TEST_CASE("An ICMP error quoting no session opens none, although the service allows ICMP",
          "[pipeline][icmp-error]") {
  Rig rig;
  rig.AddServer(kServer);
  // Port unreachable about a UDP datagram, fragmentation needed about a TCP segment, time
  // exceeded about an echo request: none was ever sent to this client.
  const PacketSpec errors[] = {
      PortUnreachable(Udp(false)),
      Error(kClient, kServer, 3, 4, Quote(Tcp(false, packet::kTcpAck, 5001, 1001)), 1400),
      Error(kClient, kServer, 11, 0, Quote(Ping(0))),
  };
  for (const PacketSpec& e : errors) CHECK_FALSE(FromClient(rig, e));
  CHECK(rig.wire_a_to_b_.empty());
  CHECK(rig.a().sessions().size() == 0);
  CHECK(Get(rig.a(), PipelineCounter::kFirstPacket) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorNoSession) == 3);
  // The service does allow ICMP: an echo request opens a session and is delivered.
  CHECK(FromClient(rig, Ping(8)));
  CHECK(rig.a().sessions().size() == 1);
  CHECK(Errors(rig.a()) == 3);
}

TEST_CASE("An ICMP error quoting a live UDP session's packet is relayed to the other end host",
          "[pipeline][icmp-error]") {
  Rig rig;
  rig.AddServer(kServer);
  REQUIRE(FromClient(rig, Udp(true)));
  REQUIRE(FromServer(rig, Udp(false)));

  // The server's port unreachable about the request (B's LAN) reaches the client from the
  // server, quoting the client's own request; the client's about the reply reaches the server.
  REQUIRE(FromServer(rig, PortUnreachable(Udp(true))));
  CheckDelivered(rig.to_client_.back(), Udp(true), 3, 3);
  CHECK(Get(rig.b(), PipelineCounter::kIcmpErrorRelayed) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorDelivered) == 1);
  REQUIRE(FromClient(rig, PortUnreachable(Udp(false))));
  CheckDelivered(rig.to_server_.back(), Udp(false), 3, 3);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorRelayed) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kIcmpErrorDelivered) == 1);
  // Between the routers: UDP on the session's waypoint ports, TLV 20 naming the error's source.
  const WireView relay = ViewWire(rig.wire_a_to_b_.back(), 16);
  CHECK(relay.info.is_udp());
  REQUIRE(relay.has_metadata);
  CHECK(relay.header.Has(svr::TlvField::kIcmpErrorLocationV4));
  CHECK(relay.header.icmp_error_location == Ip(kClient));
  // No session was added; the session still carries data.
  CHECK(rig.a().sessions().size() == 1);
  CHECK(rig.b().sessions().size() == 1);
  CHECK(FromClient(rig, Udp(true)));

  // What does not fit the flow: another port; an error not addressed to the quoted packet's
  // sender; a quote of the client's own request (a packet A never sent on its LAN).
  const size_t wire = rig.wire_a_to_b_.size();
  CHECK_FALSE(FromClient(rig, PortUnreachable(Udp(false, 5556))));
  CHECK_FALSE(FromClient(rig, Error(kClient, "10.20.3.11", 3, 3, Quote(Udp(false)))));
  CHECK_FALSE(FromClient(rig, Error("10.10.9.1", kClient, 3, 3, Quote(Udp(true)))));
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorNoSession) == 3);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorRelayed) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kFirstPacket) == 1);  // the request only
  CHECK(rig.wire_a_to_b_.size() == wire);

  // The session must be live: once it timed out, the same error matches nothing.
  rig.Advance(200'000);
  rig.Expire();
  REQUIRE(rig.a().sessions().size() == 0);
  const size_t wire_after = rig.wire_a_to_b_.size();
  CHECK_FALSE(FromClient(rig, PortUnreachable(Udp(false))));
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorNoSession) == 4);
  CHECK(rig.a().sessions().size() == 0);
  CHECK(rig.wire_a_to_b_.size() == wire_after);
}

TEST_CASE("An ICMP error quoting a TCP sequence number outside the session's range is dropped",
          "[pipeline][icmp-error]") {
  Rig rig;
  rig.AddServer(kServer);
  REQUIRE(FromClient(rig, Tcp(true, packet::kTcpSyn, 1000, 0)));
  // Before the server answered: an error about the SYN (next_seq 1001, no window yet) fits, and
  // the client gets it (host unreachable from the server's side).
  REQUIRE(FromServer(rig, Error(kServer, kClient, 3, 1, Quote(Tcp(true, packet::kTcpSyn, 1000, 0)))));
  CheckDelivered(rig.to_client_.back(), Tcp(true, packet::kTcpSyn, 1000, 0), 3, 1);
  CHECK(Get(rig.b(), PipelineCounter::kIcmpErrorRelayed) == 1);
  // No segment from the server was ever forwarded: nothing of that direction can be quoted.
  CHECK_FALSE(FromClient(rig, PortUnreachable(Tcp(false, packet::kTcpAck, 5001, 1001))));
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorBadSeq) == 1);

  REQUIRE(FromServer(rig, Tcp(false, packet::kTcpSyn | packet::kTcpAck, 5000, 1001)));
  REQUIRE(FromClient(rig, Tcp(true, packet::kTcpAck, 1001, 5001)));
  const Bytes data(100, 0x5a);
  REQUIRE(FromServer(rig, Tcp(false, packet::kTcpAck, 5001, 1001, Keep(data))));  // next 5101
  REQUIRE(rig.a().sessions().at(0).tcp_state == session::TcpState::kEstablished);

  // Fragmentation needed for the server's data segment, from the client's side: in range.
  const auto frag_needed = [](uint32_t seq) {
    return Error(kClient, kServer, 3, 4, Quote(Tcp(false, packet::kTcpAck, seq, 1001)), 1280);
  };
  REQUIRE(FromClient(rig, frag_needed(5001)));
  CheckDelivered(rig.to_server_.back(), Tcp(false, packet::kTcpAck, 5001, 1001), 3, 4, 1280);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorRelayed) == 1);
  // Far outside (a blind guess), and ahead of anything the server sent.
  CHECK_FALSE(FromClient(rig, frag_needed(5001 + 0x40000000u)));
  CHECK_FALSE(FromClient(rig, frag_needed(5200)));
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorBadSeq) == 3);
  // The same at the other router, about the client's segments.
  REQUIRE(FromServer(rig, PortUnreachable(Tcp(true, packet::kTcpAck, 1001, 5001))));
  CheckDelivered(rig.to_client_.back(), Tcp(true, packet::kTcpAck, 1001, 5001), 3, 3);
  CHECK_FALSE(FromServer(rig, PortUnreachable(Tcp(true, packet::kTcpAck, 1001 - 0x20000000u, 5001))));
  CHECK(Get(rig.b(), PipelineCounter::kIcmpErrorRelayed) == 2);
  CHECK(Get(rig.b(), PipelineCounter::kIcmpErrorBadSeq) == 1);

  // The connection is untouched and still carries data both ways.
  CHECK(rig.a().sessions().at(0).tcp_state == session::TcpState::kEstablished);
  CHECK(FromClient(rig, Tcp(true, packet::kTcpAck, 1001, 5101, Keep({1, 2, 3}))));
  CHECK(FromServer(rig, Tcp(false, packet::kTcpAck, 5101, 1004, Keep({4, 5}))));
}

TEST_CASE("ICMP errors with a truncated or malformed quote are dropped and counted",
          "[pipeline][icmp-error]") {
  Rig rig;
  rig.AddServer(kServer);
  REQUIRE(FromClient(rig, Udp(true)));
  REQUIRE(FromServer(rig, Udp(false)));
  const size_t wire = rig.wire_a_to_b_.size();
  const PacketSpec reply = Udp(false);
  Bytes v6_in_v4 = Quote(reply);
  v6_in_v4[0] = 0x65;
  Bytes ihl4 = Quote(reply);
  ihl4[0] = 0x44;
  Bytes total_short = Quote(reply);
  total_short[2] = 0;
  total_short[3] = 19;
  PacketSpec v6_reply = Udp(false);
  v6_reply.src = Ip("2001:db8:20:3::10");
  v6_reply.dst = Ip("2001:db8:10:9::20");
  const PacketSpec malformed[] = {
      Error(kClient, kServer, 3, 3, {}),                  // no quote at all
      Error(kClient, kServer, 3, 3, Quote(reply, 10)),    // part of an IP header
      Error(kClient, kServer, 3, 3, Quote(reply, 27)),    // IP header + 7 bytes of UDP
      Error(kClient, kServer, 3, 3, v6_in_v4),            // IPv6 version nibble in ICMPv4
      Error(kClient, kServer, 3, 3, ihl4),                // IHL 4
      Error(kClient, kServer, 12, 0, total_short),        // total length < header length
      Error("2001:db8:10:9::20", "2001:db8:20:3::10", 1, 4, Quote(v6_reply, 47)),
  };
  for (const PacketSpec& e : malformed) CHECK_FALSE(FromClient(rig, e));
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorMalformed) == 7);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorRelayed) == 0);
  CHECK(rig.wire_a_to_b_.size() == wire);
  CHECK(rig.a().sessions().size() == 1);
  // The well-formed quote of the same reply matches and is relayed.
  CHECK(FromClient(rig, PortUnreachable(reply)));
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorRelayed) == 1);
}

TEST_CASE("An ICMP error on the WAN side is matched against the session's outer tuple",
          "[pipeline][icmp-error]") {
  Rig rig;
  rig.AddServer(kServer);
  REQUIRE(FromClient(rig, Udp(true)));
  REQUIRE(rig.wire_a_to_b_.size() == 1);
  // The outer packet A sent to B, as a router between them quotes it in a fragmentation needed.
  packet::PacketInfo outer;
  REQUIRE(packet::ParseFrame(rig.wire_a_to_b_[0], &outer) == packet::ParseResult::kOk);
  PacketSpec quoted;
  quoted.src = outer.src;
  quoted.dst = outer.dst;
  quoted.protocol = outer.l4_protocol;
  quoted.src_port = outer.src_port;
  quoted.dst_port = outer.dst_port;
  quoted.payload = Keep({0, 0, 0, 0});
  const auto from_wan_router = [&](const PacketSpec& q) {
    PacketSpec e = Error("198.51.100.1", "192.0.2.1", 3, 4, Quote(q), 1400);
    e.src_mac = rig.b_mac_wan_;
    e.dst_mac = rig.a_mac_wan_;
    rig.IntoA(Rig::Build(e));
    rig.Step();
  };
  from_wan_router(quoted);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorNotRelayed) == 1);  // about the outer path
  CHECK(rig.wire_a_to_b_.size() == 1);
  quoted.src_port = static_cast<uint16_t>(quoted.src_port + 2);
  from_wan_router(quoted);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorNoSession) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kWanNotWaypoint) == 0);
  CHECK(rig.to_client_.empty());
  CHECK(rig.a().sessions().size() == 1);
}

TEST_CASE("ICMPv6 errors: packet too big about a live IPv6 session matches, one about none opens none",
          "[pipeline][icmp-error]") {
  // Sales and voice get IPv6 prefixes, and voice allows ICMP (which covers ICMPv6).
  std::string text(config::DefaultConfigText());
  text = Replace(text, "prefixes: \"10.10.2.0/24\"", "prefixes: \"10.10.2.0/24\" prefixes: \"fd00:10:2::/64\"");
  text = Replace(text, "prefixes: \"10.20.2.0/24\"", "prefixes: \"10.20.2.0/24\" prefixes: \"fd00:20:2::/64\"");
  text = Replace(text, "ports { start: 10000 end: 20000 } }",
                 "ports { start: 10000 end: 20000 } }\n  transports { protocol: ICMP }");
  RigOptions o;
  o.config = LoadConfig(text);
  Rig rig(o);
  rig.AddServer("fd00:20:2::5");
  PacketSpec req;
  req.src = Ip("fd00:10:2::10");
  req.dst = Ip("fd00:20:2::5");
  req.protocol = packet::kIpProtoUdp;
  req.src_port = 40000;
  req.dst_port = 5060;
  req.payload = Keep(Bytes(64, 0x11));
  PacketSpec rsp = req;
  std::swap(rsp.src, rsp.dst);
  std::swap(rsp.src_port, rsp.dst_port);

  // Before any session: a packet too big from the client about a "reply" opens nothing.
  CHECK_FALSE(FromClient(rig, Error(req.src, req.dst, packet::kIcmpv6PacketTooBig, 0,
                                    Quote(rsp, 1232 - 48), 1280)));
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorNoSession) == 1);
  CHECK(rig.a().sessions().size() == 0);
  CHECK(rig.wire_a_to_b_.empty());
  // The service does take ICMPv6 from this client: an echo request opens a session.
  PacketSpec ping;
  ping.src = req.src;
  ping.dst = req.dst;
  ping.protocol = packet::kIpProtoIcmpv6;
  ping.icmp_id = 5;
  CHECK(FromClient(rig, ping));

  REQUIRE(FromClient(rig, req));
  REQUIRE(FromServer(rig, rsp));
  // ICMPv6 errors carry as much of the packet as fits: the whole reply here.
  REQUIRE(FromClient(rig, Error(req.src, req.dst, packet::kIcmpv6PacketTooBig, 0,
                                Quote(rsp, 1232 - 48), 1280)));
  CheckDelivered(rig.to_server_.back(), rsp, packet::kIcmpv6PacketTooBig, 0, 1280);
  REQUIRE(FromServer(rig, Error(rsp.src, rsp.dst, packet::kIcmpv6DestUnreachable, 4,
                                Quote(req, 1232 - 48))));
  CheckDelivered(rig.to_client_.back(), req, packet::kIcmpv6DestUnreachable, 4);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorRelayed) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kIcmpErrorRelayed) == 1);
  CHECK(ViewWire(rig.wire_a_to_b_.back(), 16).header.Has(svr::TlvField::kIcmpErrorLocationV6));
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorNoSession) == 1);
}

TEST_CASE("A relayed ICMP error for a session the far router no longer holds is dropped there",
          "[pipeline][icmp-error]") {
  Rig rig;
  rig.AddServer(kServer);
  REQUIRE(FromClient(rig, Udp(true)));
  REQUIRE(FromServer(rig, Udp(false)));
  // A times the session out; its Delete Session is lost, so B keeps the session.
  rig.cable = [](Bytes&, bool a_to_b) { return !a_to_b; };
  rig.Advance(200'000);
  rig.a().Expire(rig.now(), 1u << 20);
  rig.Step();
  REQUIRE(rig.a().sessions().size() == 0);
  REQUIRE(rig.b().sessions().size() == 1);
  CHECK_FALSE(FromServer(rig, PortUnreachable(Udp(true))));
  CHECK(Get(rig.b(), PipelineCounter::kIcmpErrorRelayed) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorNoSession) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorDelivered) == 0);
  CHECK(rig.a().sessions().size() == 0);  // and it opened nothing
}

TEST_CASE("ICMP echo is untouched by the error checks", "[pipeline][icmp-error]") {
  Rig rig;
  rig.AddServer(kServer);
  REQUIRE(FromClient(rig, Ping(8)));
  CHECK(rig.to_server_.back() == rig.AtServer(Ping(8)));
  REQUIRE(FromServer(rig, Ping(0)));
  CHECK(rig.to_client_.back() == rig.AtClient(Ping(0)));
  CHECK(Errors(rig.a()) == 0);
  CHECK(Errors(rig.b()) == 0);
  // An error about the echo request, from the server's side, reaches the client.
  REQUIRE(FromServer(rig, Error(kServer, kClient, 3, 1, Quote(Ping(8)))));
  CheckDelivered(rig.to_client_.back(), Ping(8), 3, 1);
  CHECK(Get(rig.b(), PipelineCounter::kIcmpErrorRelayed) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kIcmpErrorDelivered) == 1);
}

}  // namespace
}  // namespace ssr::pipeline::testing
