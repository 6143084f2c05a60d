// SPDX-License-Identifier: Apache-2.0
// The metadata handshake (docs/protocol.md §2.6), first-packet loss (§2.8) and the control
// messages (§2.16), observed on the cable between two routers.
#include <algorithm>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

const Bytes kPing = {'p', 'i', 'n', 'g'};

// The default config with the hop policy's metadata encryption off, so tests can read the
// payload-TLV section on the wire.
std::shared_ptr<const config::Config> ClearMetadataConfig() {
  std::string text(config::DefaultConfigText());
  text = Replace(text,
                 "  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n"
                 "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"\n",
                 "  hmac_mode: TIME_BASED\n  encryption_cipher: \"none\"\n"
                 "  hmac_keys: \"hop-hmac\"\n");
  return LoadConfig(text);
}

PacketSpec Voice(uint16_t sport = 40000, const Bytes& payload = kPing) {
  return VoiceSpec(sport, Keep(payload));
}
PacketSpec Answer(PacketSpec s) { return Reversed(s); }

// The router forgets every session behind the pipeline's back (a restart, a failover).
void LoseAllSessions(Pipeline& p, uint64_t now_ms) {
  session::SessionTable& t = p.sessions();
  for (uint32_t i = 0; i < t.capacity(); ++i) {
    if (t.at(i).live()) t.Erase(t.at(i), now_ms);
  }
}

// Full metadata (both sections, in clear) of a wire frame with a 16-byte tag.
svr::Metadata ClearMetadata(const Bytes& frame) {
  const WireView w = ViewWire(frame, 16);
  REQUIRE(w.has_metadata);
  svr::Metadata md;
  svr::MetadataLayout layout;
  REQUIRE(svr::DecodeMetadata(w.l4_payload.first(w.l4_payload.size() - 16), &md, &layout,
                              nullptr) == svr::DecodeResult::kOk);
  return md;
}

TEST_CASE("Forward metadata rides on every forward packet until reverse metadata arrives, reverse "
          "metadata until a forward packet without it, then none in either direction",
          "[pipeline][svr-7.31][svr-7.32][svr-7.33]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  // Three forward packets before any answer: all carry forward metadata.
  for (int i = 0; i < 3; ++i) {
    rig.FromClient(rig.ClientFrame(Voice()));
    rig.Step();
  }
  REQUIRE(rig.wire_a_to_b_.size() == 3);
  for (const Bytes& f : rig.wire_a_to_b_) CHECK(ViewWire(f, 16).has_metadata);
  // The answer carries reverse metadata; it stops forward metadata.
  rig.FromServer(rig.ServerFrame(Answer(Voice())));
  rig.Step();
  REQUIRE(rig.wire_b_to_a_.size() == 1);
  CHECK(ViewWire(rig.wire_b_to_a_[0], 16).has_metadata);
  CHECK(Get(rig.a(), PipelineCounter::kForwardMdStopped) == 1);
  // A second answer before any forward packet: still reverse metadata.
  rig.FromServer(rig.ServerFrame(Answer(Voice())));
  rig.Step();
  CHECK(ViewWire(rig.wire_b_to_a_[1], 16).has_metadata);
  // Next forward packet: no metadata; it ends reverse metadata.
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  CHECK_FALSE(ViewWire(rig.wire_a_to_b_[3], 16).has_metadata);
  CHECK(Get(rig.b(), PipelineCounter::kReverseMdStopped) == 1);
  // Fast path both ways from now on.
  for (int i = 0; i < 3; ++i) {
    rig.FromClient(rig.ClientFrame(Voice()));
    rig.FromServer(rig.ServerFrame(Answer(Voice())));
    rig.Step();
  }
  for (size_t i = 3; i < rig.wire_a_to_b_.size(); ++i) CHECK_FALSE(ViewWire(rig.wire_a_to_b_[i], 16).has_metadata);
  for (size_t i = 2; i < rig.wire_b_to_a_.size(); ++i) CHECK_FALSE(ViewWire(rig.wire_b_to_a_[i], 16).has_metadata);
  CHECK(rig.to_server_.size() == 7);
  CHECK(rig.to_client_.size() == 5);
}

TEST_CASE("Forward and reverse metadata carry the same session UUID, reverse metadata has TLV 18 "
          "and the server-side reverse context",
          "[pipeline][svr-7.13][svr-7.34]") {
  RigOptions o;
  o.config = ClearMetadataConfig();
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Answer(Voice())));
  rig.Step();
  const svr::Metadata fwd = ClearMetadata(rig.wire_a_to_b_.at(0));
  const svr::Metadata rev = ClearMetadata(rig.wire_b_to_a_.at(0));
  REQUIRE(fwd.Has(svr::TlvField::kSessionUuid));
  REQUIRE(rev.Has(svr::TlvField::kSessionUuid));
  CHECK(fwd.session_uuid == rev.session_uuid);
  CHECK((fwd.session_uuid[6] >> 4) == 4);  // RFC 4122 version 4
  CHECK(rev.Has(svr::TlvField::kDisableForwardMetadata));
  CHECK_FALSE(fwd.Has(svr::TlvField::kDisableForwardMetadata));
  REQUIRE(rev.Has(svr::TlvField::kReverseContextV4));
  CHECK(rev.reverse_context.source == Ip("10.20.2.5"));
  CHECK(rev.reverse_context.source_port == 5060);
  REQUIRE(fwd.Has(svr::TlvField::kForwardContextV4));
  CHECK(fwd.forward_context ==
        svr::SessionContext{Ip("10.10.2.10"), Ip("10.20.2.5"), 40000, 5060, packet::kIpProtoUdp});
  CHECK(std::string_view(reinterpret_cast<const char*>(fwd.tenant_name.data()),
                         fwd.tenant_name.size()) == "sales");
  CHECK(std::string_view(reinterpret_cast<const char*>(fwd.service_name.data()),
                         fwd.service_name.size()) == "voice");
}

TEST_CASE("A lost first packet: the next forward packet carries the same metadata and UUID and "
          "establishes the session",
          "[pipeline][svr-7.35]") {
  RigOptions o;
  o.config = ClearMetadataConfig();
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  int seen = 0;
  rig.cable = [&](Bytes&, bool a_to_b) { return !(a_to_b && seen++ == 0); };  // lose the first
  rig.FromClient(rig.ClientFrame(Voice(40000, {1})));
  rig.Step();
  CHECK(rig.to_server_.empty());
  CHECK(rig.b().sessions().size() == 0);
  rig.FromClient(rig.ClientFrame(Voice(40000, {2})));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 1);
  CHECK(rig.to_server_[0] == rig.AtServer(Voice(40000, {2})));
  const svr::Metadata first = ClearMetadata(rig.wire_a_to_b_.at(0));
  const svr::Metadata second = ClearMetadata(rig.wire_a_to_b_.at(1));
  CHECK(first.session_uuid == second.session_uuid);
  CHECK(first.forward_context == second.forward_context);
  CHECK(rig.b().sessions().size() == 1);
}

TEST_CASE("A retransmitted SYN carries the same forward metadata, the egress keeps one session",
          "[pipeline][svr-7.37]") {
  RigOptions o;
  o.config = ClearMetadataConfig();
  Rig rig(o);
  rig.AddServer("10.20.1.20");
  PacketSpec syn;
  syn.src = Ip("10.10.1.10");
  syn.dst = Ip("10.20.1.20");
  syn.protocol = packet::kIpProtoTcp;
  syn.src_port = 42000;
  syn.dst_port = 8443;
  syn.tcp_flags = packet::kTcpSyn;
  syn.tcp_seq = 100;
  rig.FromClient(rig.ClientFrame(syn));
  rig.Step();
  rig.FromClient(rig.ClientFrame(syn));  // the SYN-ACK was lost: the client retransmits
  rig.Step();
  REQUIRE(rig.wire_a_to_b_.size() == 2);
  const svr::Metadata a = ClearMetadata(rig.wire_a_to_b_[0]);
  const svr::Metadata b = ClearMetadata(rig.wire_a_to_b_[1]);
  CHECK(a.session_uuid == b.session_uuid);
  CHECK(a.forward_context == b.forward_context);
  CHECK(a.present == b.present);
  CHECK(rig.b().sessions().size() == 1);
  CHECK(Get(rig.b(), PipelineCounter::kDuplicateFirst) == 1);
  CHECK(rig.to_server_.size() == 2);
}

TEST_CASE("An egress that lost the session answers a fast-path packet with Enable SVR Metadata "
          "(rate limited), the ingress then re-sends full metadata and the session is rebuilt",
          "[pipeline][svr-7.38][svr-7.39]") {
  RigOptions o;
  o.base.control_replies_per_second = 1;
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Answer(Voice())));
  rig.Step();
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();  // handshake complete
  REQUIRE(rig.b().sessions().size() == 1);
  // B loses its state (e.g. restart): erase its session behind the pipeline's back.
  LoseAllSessions(rig.b(), rig.now());
  const size_t server_before = rig.to_server_.size();
  // Two fast-path packets arrive for the unknown tuple: one Enable reply (rate limit 1/s), both
  // dropped.
  int dropped_enable = 0;
  rig.cable = [&](Bytes&, bool a_to_b) { return a_to_b || dropped_enable++ > 0; };  // hold B's reply
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  CHECK(rig.to_server_.size() == server_before);
  CHECK(Get(rig.b(), PipelineCounter::kWanNoSession) == 2);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentEnable) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlRateLimited) == 1);
  // Deliver the next Enable: a second reply after the rate-limit interval.
  rig.Advance(1000);
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kCtrlEnable) == 1);
  CHECK(rig.to_client_.size() == 1);  // the control packet was consumed by A, not forwarded
  // The next forward packet carries full metadata and re-creates the session at B.
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  CHECK(ViewWire(rig.wire_a_to_b_.back(), 16).has_metadata);
  CHECK(rig.b().sessions().size() == 1);
  CHECK(rig.to_server_.size() == server_before + 1);
  CHECK(rig.to_server_.back() == rig.AtServer(Voice()));
}

TEST_CASE("A one-way flow: the egress sends Disable SVR Metadata and the ingress stops sending "
          "forward metadata, control packets are never forwarded",
          "[pipeline][svr-7.40][svr-7.43]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  for (int i = 0; i < 10; ++i) {
    rig.FromClient(rig.ClientFrame(Voice()));
    rig.Step();
  }
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentDisable) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlDisable) == 1);
  CHECK(rig.to_client_.empty());
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  CHECK_FALSE(ViewWire(rig.wire_a_to_b_.back(), 16).has_metadata);
  CHECK(rig.to_server_.size() == 11);
  CHECK(rig.to_server_.back() == rig.AtServer(Voice()));
}

TEST_CASE("Inactivity-based recovery: after 5 s idle the next packet carries a health check, a "
          "router holding the session answers state-exists, one lacking it Enable SVR Metadata",
          "[pipeline][svr-7.41][svr-7.42]") {
  RigOptions o;
  o.base.recovery = RecoveryMode::kInactivityBased;
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Answer(Voice())));
  rig.Step();
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  rig.Advance(4999);
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kHealthCheckSent) == 0);
  rig.Advance(5000);
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kHealthCheckSent) == 1);
  const WireView w = ViewWire(rig.wire_a_to_b_.back(), 16);
  REQUIRE(w.has_metadata);
  CHECK(w.header.Has(svr::TlvField::kSessionHealthCheck));
  CHECK(w.header.health_check == 1);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentHealthAck) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlHealthAck) == 1);
  CHECK(rig.to_server_.back() == rig.AtServer(Voice()));  // the data still got through

  // Now B lacks the session: the health check is answered with Enable SVR Metadata.
  LoseAllSessions(rig.b(), rig.now());
  rig.Advance(6000);
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kHealthCheckSent) == 2);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentEnable) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlEnable) == 1);
}

// The default config with `extra` added to branch's peer entry (and metadata in clear).
std::shared_ptr<const config::Config> BranchPeerOption(std::string_view extra) {
  std::string text(config::DefaultConfigText());
  text = Replace(text,
                 "    addresses: \"2001:db8:2::2\"\n    interface: \"wan0\"\n    security_policy: \"peer-hop\"\n",
                 std::string("    addresses: \"2001:db8:2::2\"\n    interface: \"wan0\"\n"
                             "    security_policy: \"peer-hop\"\n    ") +
                     std::string(extra) + "\n");
  text = Replace(text,
                 "  hmac_mode: TIME_BASED\n  encryption_cipher: \"aes-256-cbc\"\n"
                 "  hmac_keys: \"hop-hmac\"\n  encryption_keys: \"hop-aes\"\n",
                 "  hmac_mode: TIME_BASED\n  encryption_cipher: \"none\"\n"
                 "  hmac_keys: \"hop-hmac\"\n");
  return LoadConfig(text);
}

TEST_CASE("UDP transform: a TCP session travels as UDP, the SYN's packet carries TLV 12, and the "
          "server receives valid, byte-identical TCP segments",
          "[pipeline][svr-7.46]") {
  RigOptions o;
  o.config = BranchPeerOption("udp_transform: true");
  REQUIRE(o.config->routers[0].peers[0].udp_transform);
  Rig rig(o);
  rig.AddServer("10.20.3.10");
  const Bytes body = {'G', 'E', 'T', ' ', '/', '\n'};
  const PacketSpec syn = TcpSpec("10.10.1.10", "10.20.3.10", 45000, 80, packet::kTcpSyn, 10, 0);
  const PacketSpec synack =
      TcpSpec("10.20.3.10", "10.10.1.10", 80, 45000, packet::kTcpSyn | packet::kTcpAck, 90, 11);
  const PacketSpec data = TcpSpec("10.10.1.10", "10.20.3.10", 45000, 80,
                                  packet::kTcpAck | packet::kTcpPsh, 11, 91, body);
  rig.FromClient(rig.ClientFrame(syn));
  rig.Step();
  rig.FromServer(rig.ServerFrame(synack));
  rig.Step();
  rig.FromClient(rig.ClientFrame(data));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 2);
  CHECK(rig.to_server_[0] == rig.AtServer(syn));
  CHECK(rig.to_server_[1] == rig.AtServer(data));
  REQUIRE(rig.to_client_.size() == 1);
  CHECK(rig.to_client_[0] == rig.AtClient(synack));
  for (const Bytes& f : rig.wire_a_to_b_) CHECK(ViewWire(f, 16).info.is_udp());
  for (const Bytes& f : rig.wire_b_to_a_) CHECK(ViewWire(f, 16).info.is_udp());
  const svr::Metadata first = ClearMetadata(rig.wire_a_to_b_.at(0));
  CHECK(first.Has(svr::TlvField::kTcpSyn));
  CHECK(first.forward_context.protocol == packet::kIpProtoTcp);
  CHECK((rig.b().sessions().at(0).flags & session::kUdpTransform) != 0);
  CHECK(rig.b().sessions().at(0).tcp_state == session::TcpState::kEstablished);
}

TEST_CASE("NAT keep-alive: an idle session toward a peer with nat_keep_alive emits Keep Alive "
          "every interval, and the peer refreshes the session",
          "[pipeline][svr-7.48]") {
  RigOptions o;
  o.config = BranchPeerOption("nat_keep_alive_seconds: 20");
  Rig rig(o);
  rig.AddServer("10.20.2.5");
  rig.FromClient(rig.ClientFrame(Voice()));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Answer(Voice())));
  rig.Step();
  rig.Advance(19'999);
  rig.Expire();
  CHECK(Get(rig.a(), PipelineCounter::kCtrlSentKeepAlive) == 0);
  rig.Advance(1);
  rig.Expire();
  CHECK(Get(rig.a(), PipelineCounter::kCtrlSentKeepAlive) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlKeepAlive) == 1);
  const WireView w = ViewWire(rig.wire_a_to_b_.back(), 16);
  REQUIRE(w.has_metadata);
  CHECK(w.header.control_message == static_cast<uint8_t>(svr::ControlMessage::kKeepAlive));
  rig.Advance(10'000);
  rig.Expire();
  CHECK(Get(rig.a(), PipelineCounter::kCtrlSentKeepAlive) == 1);  // not before 20 s
  rig.Advance(10'000);
  rig.Expire();
  CHECK(Get(rig.a(), PipelineCounter::kCtrlSentKeepAlive) == 2);
  CHECK(rig.to_server_.size() == 1);  // keep-alives are consumed, never forwarded
  // Without the option, nothing is sent.
  Rig plain;
  plain.AddServer("10.20.2.5");
  plain.FromClient(plain.ClientFrame(Voice()));
  plain.Step();
  plain.Advance(60'000);
  plain.Expire();
  CHECK(Get(plain.a(), PipelineCounter::kCtrlSentKeepAlive) == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
