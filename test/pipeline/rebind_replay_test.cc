// SPDX-License-Identifier: Apache-2.0
// Replays re-aimed at other waypoint ports (issue 13 items 1 and 2, docs/protocol.md §2.6, §2.9,
// §2.16, §6 "Replay"). The hop authentication does not cover the outer headers, so a captured
// packet can be resent within the HMAC window with other ports. It must not move a session (a
// rebind needs a higher move sequence, TLV 60), must not end another session on the tuple it is
// aimed at, and a recovery reply it provokes must not reach a session of the other protocol
// (TLV 61) nor keep a session sending metadata for ever. A session the receiver holds on a wrong
// tuple, or lost, comes back when the sender is asked to re-signal.
#include <catch2/catch.hpp>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

constexpr uint8_t kSyn = packet::kTcpSyn;
constexpr uint8_t kAck = packet::kTcpAck;
constexpr uint8_t kPshAck = packet::kTcpAck | packet::kTcpPsh;
const Bytes kChunk = {'d', 'a', 't', 'a'};

// engineering host 10.10.1.10:sport -> web 10.20.3.10:80.
PacketSpec WebFromClient(uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack,
                         std::span<const uint8_t> payload = {}) {
  return TcpSpec("10.10.1.10", "10.20.3.10", sport, 80, flags, seq, ack, payload);
}
PacketSpec WebFromServer(uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack,
                         std::span<const uint8_t> payload = {}) {
  return TcpSpec("10.20.3.10", "10.10.1.10", 80, sport, flags, seq, ack, payload);
}

// A captured WAN frame resent with other outer ports; the L4 checksum is made right again so a
// router can only tell by what the ports mean.
Bytes Reaim(Bytes frame, uint16_t src_port, uint16_t dst_port) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  REQUIRE((info.is_tcp() || info.is_udp()));
  uint8_t* l4 = frame.data() + info.l4_offset;
  packet::StoreBe16(l4, src_port);
  packet::StoreBe16(l4 + 2, dst_port);
  const size_t sum_at = info.is_tcp() ? 16 : 6;
  packet::StoreBe16(l4 + sum_at, 0);
  const std::span<const uint8_t> segment(l4, info.l4_length);
  packet::StoreBe16(l4 + sum_at, info.is_tcp()
                                     ? packet::TransportChecksum(info.src, info.dst,
                                                                 packet::kIpProtoTcp, segment)
                                     : packet::UdpChecksum(info.src, info.dst, segment));
  return frame;
}

WireView View(const Bytes& frame) { return ViewWire(frame, 16); }

// The client opens a web connection (SYN, SYN-ACK, ACK) from `sport`.
void OpenWeb(Rig& rig, uint16_t sport) {
  rig.FromClient(rig.ClientFrame(WebFromClient(sport, kSyn, 1, 0)));
  rig.Step();
  rig.FromServer(rig.ServerFrame(WebFromServer(sport, kSyn | kAck, 7, 2)));
  rig.Step();
  rig.FromClient(rig.ClientFrame(WebFromClient(sport, kAck, 2, 8)));
  rig.Step();
}

// One data segment each way on an open web connection; true when both arrived byte-identical.
bool WebRoundTrip(Rig& rig, uint16_t sport) {
  const size_t at_server = rig.to_server_.size();
  const size_t at_client = rig.to_client_.size();
  const PacketSpec data = WebFromClient(sport, kPshAck, 2, 8, kChunk);
  rig.FromClient(rig.ClientFrame(data));
  rig.Step();
  const PacketSpec ack = WebFromServer(sport, kAck, 8, 6);
  rig.FromServer(rig.ServerFrame(ack));
  rig.Step();
  return rig.to_server_.size() == at_server + 1 && rig.to_server_.back() == rig.AtServer(data) &&
         rig.to_client_.size() == at_client + 1 && rig.to_client_.back() == rig.AtClient(ack);
}

// The datacenter with a second WAN address, known to the branch as a second peer path (the
// topology of statement 47).
std::shared_ptr<const config::Config> TwoPathConfig() {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "addresses: \"192.0.2.2/24\"",
                 "addresses: \"192.0.2.2/24\" addresses: \"192.0.2.12/24\"");
  text = Replace(text, "    addresses: \"192.0.2.2\"\n",
                 "    addresses: \"192.0.2.2\"\n    addresses: \"192.0.2.12\"\n");
  return LoadConfig(text);
}

struct TwoPathRig : Rig {
  TwoPathRig() : Rig(Options()) {
    a().neighbors().SetStatic(kWan, Ip("192.0.2.12"), b_mac_wan_);
    AddServer("10.20.3.10");
  }
  static RigOptions Options() {
    RigOptions o;
    o.config = TwoPathConfig();
    return o;
  }
};

TEST_CASE("A captured TCP SYN with metadata, resent on other outer ports within the HMAC "
          "window, moves nothing: refused, counted, the connection keeps flowing",
          "[pipeline][security][rebind]") {
  Rig rig;
  rig.AddServer("10.20.3.10");
  OpenWeb(rig, 46000);
  REQUIRE(rig.b().sessions().size() == 1);
  const Bytes syn = rig.wire_a_to_b_.at(0);
  REQUIRE(View(syn).has_metadata);
  REQUIRE(WebRoundTrip(rig, 46000));

  const WireView v = View(syn);
  rig.IntoB(Reaim(syn, static_cast<uint16_t>(v.info.src_port + 2),
                  static_cast<uint16_t>(v.info.dst_port + 2)));
  rig.Step();
  CHECK(Get(rig.b(), PipelineCounter::kRebindRefused) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kSessionRebound) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 1);
  CHECK(rig.b().sessions().size() == 1);
  // The refusal asks the sender to re-signal on the forged tuple: the branch holds no TCP
  // session there and changes nothing.
  CHECK(Get(rig.a(), PipelineCounter::kCtrlEnable) == 0);
  CHECK(WebRoundTrip(rig, 46000));
  CHECK(WebRoundTrip(rig, 46000));
}

TEST_CASE("A captured first packet aimed at another live session's tuple does not replace "
          "that session",
          "[pipeline][security][rebind]") {
  Rig rig;
  rig.AddServer("10.20.3.10");
  OpenWeb(rig, 46000);
  const Bytes syn_one = rig.wire_a_to_b_.at(0);
  OpenWeb(rig, 46001);
  REQUIRE(rig.b().sessions().size() == 2);
  const WireView two = View(rig.wire_a_to_b_.back());
  REQUIRE(two.info.src_port != View(syn_one).info.src_port);

  rig.IntoB(Reaim(syn_one, two.info.src_port, two.info.dst_port));
  rig.Step();
  CHECK(Get(rig.b(), PipelineCounter::kRebindRefused) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kSessionReplaced) == 0);
  CHECK(rig.b().sessions().size() == 2);
  CHECK(WebRoundTrip(rig, 46001));
  CHECK(WebRoundTrip(rig, 46000));
}

TEST_CASE("A legitimate move rebinds the session, and its move packet resent on other ports "
          "afterwards is refused",
          "[pipeline][security][rebind][svr-7.47]") {
  TwoPathRig rig;
  OpenWeb(rig, 46000);
  REQUIRE(rig.a().MovePeerPath(0, 0, 1, rig.now()) == 1);
  REQUIRE(WebRoundTrip(rig, 46000));
  CHECK(Get(rig.b(), PipelineCounter::kSessionRebound) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kRebindRefused) == 0);
  // The segment that moved the session: on the new path, with metadata.
  Bytes move;
  for (const Bytes& f : rig.wire_a_to_b_) {
    const WireView w = View(f);
    if (w.info.dst == Ip("192.0.2.12") && w.has_metadata) move = f;
  }
  REQUIRE(!move.empty());
  CHECK(rig.b().sessions().at(0).move_seq == 1);

  const WireView m = View(move);
  rig.IntoB(Reaim(move, static_cast<uint16_t>(m.info.src_port + 2),
                  static_cast<uint16_t>(m.info.dst_port + 2)));
  rig.Step();
  CHECK(Get(rig.b(), PipelineCounter::kRebindRefused) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kSessionRebound) == 1);
  CHECK(WebRoundTrip(rig, 46000));
  // The handshake of the move completed: no metadata any more.
  CHECK_FALSE(View(rig.wire_a_to_b_.back()).has_metadata);
}

TEST_CASE("A re-aimed copy of a move that arrives before the real one is undone: the real one "
          "is refused, the sender is asked to re-signal and its higher sequence moves the "
          "session back",
          "[pipeline][security][rebind]") {
  TwoPathRig rig;
  OpenWeb(rig, 46000);
  REQUIRE(rig.a().MovePeerPath(0, 0, 1, rig.now()) == 1);
  // An attacker on the path wins the race with a copy of the move on other ports.
  bool raced = false;
  rig.cable = [&](Bytes& f, bool a_to_b) {
    if (!a_to_b || raced) return true;
    const WireView w = View(f);
    if (!w.info.is_tcp() || !w.has_metadata) return true;
    raced = true;
    rig.IntoB(Reaim(f, static_cast<uint16_t>(w.info.src_port + 2),
                    static_cast<uint16_t>(w.info.dst_port + 2)));
    return true;
  };
  const PacketSpec data = WebFromClient(46000, kPshAck, 2, 8, kChunk);
  rig.FromClient(rig.ClientFrame(data));
  rig.Step();
  REQUIRE(raced);
  CHECK(Get(rig.b(), PipelineCounter::kSessionRebound) == 1);  // the copy
  CHECK(Get(rig.b(), PipelineCounter::kRebindRefused) == 1);   // the real one
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentEnable) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlEnable) == 1);
  CHECK(rig.a().sessions().at(0).move_seq == 2);

  // The client's next segment carries the higher sequence on the real tuple: moved back.
  CHECK(WebRoundTrip(rig, 46000));
  CHECK(Get(rig.b(), PipelineCounter::kSessionRebound) == 2);
  CHECK(rig.b().sessions().at(0).move_seq == 2);
  CHECK(WebRoundTrip(rig, 46000));
  CHECK_FALSE(View(rig.wire_a_to_b_.back()).has_metadata);
  CHECK(rig.b().sessions().size() == 1);
}

TEST_CASE("A re-aimed copy of a fresh move aimed at another live session's tuple does not end "
          "that session",
          "[pipeline][security][rebind]") {
  TwoPathRig rig;
  OpenWeb(rig, 46000);
  OpenWeb(rig, 46001);
  REQUIRE(rig.a().MovePeerPath(0, 0, 1, rig.now()) == 2);
  // The second connection moves first: the datacenter rebinds it to its new tuple.
  REQUIRE(WebRoundTrip(rig, 46001));
  REQUIRE(Get(rig.b(), PipelineCounter::kSessionRebound) == 1);
  Bytes second_move;
  for (const Bytes& f : rig.wire_a_to_b_) {
    if (View(f).info.dst == Ip("192.0.2.12")) second_move = f;
  }
  REQUIRE(!second_move.empty());
  const WireView x = View(second_move);
  // The first connection's move (sequence 1, fresh) is copied onto that tuple and arrives first.
  bool raced = false;
  rig.cable = [&](Bytes& f, bool a_to_b) {
    if (!a_to_b || raced || !View(f).has_metadata) return true;
    raced = true;
    rig.IntoB(Reaim(f, x.info.src_port, x.info.dst_port));
    return true;
  };
  CHECK(WebRoundTrip(rig, 46000));
  REQUIRE(raced);
  CHECK(Get(rig.b(), PipelineCounter::kRebindRefused) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kSessionReplaced) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kSessionRebound) == 2);
  CHECK(rig.b().sessions().size() == 2);
  CHECK(WebRoundTrip(rig, 46001));
  CHECK(WebRoundTrip(rig, 46000));
}

TEST_CASE("A TCP session the receiver lost comes back: asked to re-signal, the sender carries "
          "metadata on its next data segment",
          "[pipeline][security][rebind][svr-7.38]") {
  // The datacenter forgets established TCP after 60 s, the branch after 1800 s. Web keeps the
  // default enforcement (reset): only a re-signal (move sequence > 0) is picked up midstream.
  std::string text(config::DefaultConfigText());
  RigOptions o;
  o.config_a = LoadConfig(text);
  o.config = LoadConfig(Replace(text, "timeouts { udp_seconds: 120 }",
                                "timeouts { udp_seconds: 120 tcp_established_seconds: 60 }"));
  Rig rig(o);
  rig.AddServer("10.20.3.10");
  OpenWeb(rig, 46000);
  REQUIRE(WebRoundTrip(rig, 46000));
  rig.Advance(61'000);
  rig.b().Expire(rig.now(), 1u << 20);
  REQUIRE(rig.b().sessions().size() == 0);
  REQUIRE(rig.a().sessions().size() == 1);

  // The next segment finds no session: the datacenter asks for metadata; that segment is lost.
  const size_t at_server = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(WebFromClient(46000, kPshAck, 2, 8, kChunk)));
  rig.Step();
  CHECK(rig.to_server_.size() == at_server);
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentEnable) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlEnable) == 1);
  // The retransmission carries forward metadata inline (not a SYN) and recreates the session.
  CHECK(WebRoundTrip(rig, 46000));
  CHECK(View(rig.wire_a_to_b_.back()).has_metadata);  // forward metadata on a data segment
  CHECK(View(rig.wire_b_to_a_.back()).has_metadata);  // answered on the server's ACK
  CHECK(Get(rig.b(), PipelineCounter::kSessionCreated) == 2);
  CHECK(Get(rig.b(), PipelineCounter::kTcpInvalid) == 0);
  CHECK(WebRoundTrip(rig, 46000));
  CHECK_FALSE(View(rig.wire_a_to_b_.back()).has_metadata);
  // Picked up established, and the service's enforcement applies again.
  int live = 0;
  for (uint32_t i = 0; i < rig.b().sessions().capacity(); ++i) {
    const session::Session& s = rig.b().sessions().at(i);
    if (!s.live()) continue;
    ++live;
    CHECK(s.tcp_state == session::TcpState::kEstablished);
    CHECK((s.flags & session::kStrictTcp) != 0);
    CHECK(s.move_seq == 1);
  }
  CHECK(live == 1);
}

// Three sessions A -> B: UDP from 40000 and from 40001 and the web TCP connection. The waypoint
// pools are per protocol and hand out the same pairs, so the TCP connection shares its ports with
// the first UDP session, and the second UDP session holds ports no TCP session has.
struct CrossProtocol {
  Bytes tcp_fast;         // a captured fast-path segment of the TCP connection
  uint16_t udp2_src = 0;  // the second UDP session's outer ports, A -> B
  uint16_t udp2_dst = 0;
};

const Bytes kHello = {'h', 'e', 'l', 'l', 'o'};

// A UDP exchange on the voice session from `sport` (handshake: metadata both ways, then none).
void VoiceRoundTrip(Rig& rig, uint16_t sport) {
  rig.FromClient(rig.ClientFrame(VoiceSpec(sport, Keep(kHello))));
  rig.Step();
  rig.FromServer(rig.ServerFrame(Reversed(VoiceSpec(sport, Keep(kHello)))));
  rig.Step();
}

CrossProtocol OpenCrossProtocol(Rig& rig) {
  rig.AddServer("10.20.2.5");
  rig.AddServer("10.20.3.10");
  CrossProtocol c;
  VoiceRoundTrip(rig, 40000);
  VoiceRoundTrip(rig, 40001);
  const WireView udp2 = View(rig.wire_a_to_b_.back());
  c.udp2_src = udp2.info.src_port;
  c.udp2_dst = udp2.info.dst_port;
  OpenWeb(rig, 46000);
  REQUIRE(WebRoundTrip(rig, 46000));
  const size_t data_at = rig.wire_a_to_b_.size() - 1;
  c.tcp_fast = rig.wire_a_to_b_.at(data_at);
  const WireView t = View(c.tcp_fast);
  REQUIRE(t.info.is_tcp());
  REQUIRE_FALSE(t.has_metadata);
  REQUIRE(t.info.src_port != c.udp2_src);
  // Both UDP sessions completed their handshake: their packets carry no metadata.
  rig.FromClient(rig.ClientFrame(VoiceSpec(40001, Keep(kHello))));
  rig.Step();
  REQUIRE_FALSE(View(rig.wire_a_to_b_.back()).has_metadata);
  return c;
}

TEST_CASE("A TCP segment re-aimed at a UDP session's waypoint ports does not make that UDP "
          "session send forward metadata",
          "[pipeline][security][control]") {
  Rig rig;
  const CrossProtocol c = OpenCrossProtocol(rig);
  rig.IntoB(Reaim(c.tcp_fast, c.udp2_src, c.udp2_dst));
  rig.Step();
  // The datacenter has no TCP session there and asks for metadata (an authentic segment).
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentEnable) == 1);
  // The reply says it is about TCP: the branch leaves its UDP session on those ports alone.
  CHECK(Get(rig.a(), PipelineCounter::kCtrlOtherProtocol) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlEnable) == 0);
  for (int i = 0; i < 3; ++i) {
    rig.FromClient(rig.ClientFrame(VoiceSpec(40001, Keep(kHello))));
    rig.Step();
    CHECK_FALSE(View(rig.wire_a_to_b_.back()).has_metadata);
  }
  CHECK(Get(rig.a(), PipelineCounter::kMdSentForward) == 2 + 1);  // two UDP + the SYN
}

// Two answered voice sessions (from 40000 and 40001); the datacenter loses the second one and
// answers its next packet with a genuine recovery reply (Enable SVR Metadata), returned here
// together with the first session's outer ports. The second session recovers.
struct CapturedReply {
  Bytes enable;
  uint16_t first_src = 0;  // the first session's outer ports, A -> B
  uint16_t first_dst = 0;
};

std::shared_ptr<const config::Config> LongUdpAtBranch() {
  // The datacenter forgets idle UDP after 120 s, the branch after 600 s.
  return LoadConfig(Replace(std::string(config::DefaultConfigText()),
                            "timeouts { udp_seconds: 120 }", "timeouts { udp_seconds: 600 }"));
}

CapturedReply CaptureRecoveryReply(Rig& rig) {
  rig.AddServer("10.20.2.5");
  CapturedReply c;
  VoiceRoundTrip(rig, 40000);
  const WireView one = View(rig.wire_a_to_b_.back());
  c.first_src = one.info.src_port;
  c.first_dst = one.info.dst_port;
  VoiceRoundTrip(rig, 40001);
  rig.Advance(100'000);
  VoiceRoundTrip(rig, 40000);
  rig.Advance(21'000);
  rig.b().Expire(rig.now(), 1u << 20);
  REQUIRE(rig.b().sessions().size() == 1);
  rig.FromClient(rig.ClientFrame(VoiceSpec(40001, Keep(kHello))));
  rig.Step();
  REQUIRE(Get(rig.b(), PipelineCounter::kCtrlSentEnable) == 1);
  c.enable = rig.wire_b_to_a_.back();
  REQUIRE(View(c.enable).header.Has(svr::TlvField::kControlMessage));
  VoiceRoundTrip(rig, 40001);  // recovered
  REQUIRE(Get(rig.b(), PipelineCounter::kSessionCreated) == 3);
  return c;
}

TEST_CASE("A recovery reply replayed at an answered UDP session drags it back into the metadata "
          "handshake only until the egress answers",
          "[pipeline][security][control]") {
  RigOptions o;
  o.config_a = LongUdpAtBranch();
  Rig rig(o);
  const CapturedReply c = CaptureRecoveryReply(rig);
  // The captured reply, resent at the first session's ports (B -> A), is authentic and UDP.
  rig.IntoA(Reaim(c.enable, c.first_dst, c.first_src));
  rig.Step();
  CHECK(Get(rig.a(), PipelineCounter::kCtrlEnable) == 2);
  // The first session sends forward metadata again; the datacenter answers with reverse
  // metadata, which ends it.
  VoiceRoundTrip(rig, 40000);
  CHECK(Get(rig.b(), PipelineCounter::kReverseMdRestarted) == 1);
  CHECK(View(rig.wire_b_to_a_.back()).has_metadata);
  for (int i = 0; i < 3; ++i) {
    rig.FromClient(rig.ClientFrame(VoiceSpec(40000, Keep(kHello))));
    rig.Step();
    CHECK_FALSE(View(rig.wire_a_to_b_.back()).has_metadata);
  }
}

TEST_CASE("A one-way flow dragged back into sending metadata is stopped by Disable SVR Metadata, "
          "also when it was answered before",
          "[pipeline][security][control]") {
  RigOptions o;
  o.config_a = LongUdpAtBranch();
  Rig rig(o);
  const CapturedReply c = CaptureRecoveryReply(rig);
  rig.IntoA(Reaim(c.enable, c.first_dst, c.first_src));
  rig.Step();
  REQUIRE(Get(rig.a(), PipelineCounter::kCtrlEnable) == 2);
  // The server no longer answers: nothing but Disable can end the metadata.
  const uint64_t disables = Get(rig.b(), PipelineCounter::kCtrlSentDisable);
  int with_md = 0;
  bool last_has_md = true;
  for (uint32_t i = 0; i < 2 * PipelineOptions{}.disable_md_after_packets; ++i) {
    rig.FromClient(rig.ClientFrame(VoiceSpec(40000, Keep(kHello))));
    rig.Step();
    last_has_md = View(rig.wire_a_to_b_.back()).has_metadata;
    with_md += last_has_md ? 1 : 0;
  }
  CHECK(Get(rig.b(), PipelineCounter::kCtrlSentDisable) == disables + 1);
  CHECK(Get(rig.a(), PipelineCounter::kCtrlDisable) >= 1);
  CHECK(with_md <= static_cast<int>(PipelineOptions{}.disable_md_after_packets));
  CHECK_FALSE(last_has_md);
}

}  // namespace
}  // namespace ssr::pipeline::testing
