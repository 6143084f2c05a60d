// SPDX-License-Identifier: Apache-2.0
// Adaptive encryption between two routers (docs/protocol.md §4.10): a session whose first payload
// is already encrypted (TLS, DTLS, ESP, IKE) crosses the WAN with its payload as the end hosts
// sent it, both ways; any other session of the same service is encrypted end to end; with
// adaptive encryption off every session is. What is visible is checked on the frames that
// crossed the cable.
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

constexpr const char* kClient = "10.10.2.10";  // sales
constexpr const char* kServer = "10.20.3.10";  // web: in this test every protocol, payload-aes
constexpr size_t kTag = 16;                    // hop HMAC-SHA256-128

// The built-in config with "web" taking every protocol and encrypting its payload end to end
// under payload-aes, with or without adaptive encryption.
std::string AdaptiveConfigText(bool adaptive) {
  const std::string base(config::DefaultConfigText());
  std::string t = Replace(base,
                          "  transports { protocol: TCP ports { start: 80 } ports { start: 443 } }\n"
                          "  transports { protocol: UDP ports { start: 7 } }\n"
                          "  transports { protocol: ICMP }\n",
                          "  security_policy: \"payload-aes\"\n");
  REQUIRE(t != base);
  if (adaptive) {
    const std::string before = t;
    t = Replace(t, "  encryption_keys: \"payload-aes\"\n",
                "  encryption_keys: \"payload-aes\"\n  adaptive_encryption: true\n");
    REQUIRE(t != before);
  }
  return t;
}

RigOptions Options(bool adaptive) {
  RigOptions o;
  o.config = LoadConfig(AdaptiveConfigText(adaptive));
  return o;
}

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes Cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Whether `needle` appears in one of `frames` (as sent by the end host: not encrypted by SVR).
bool OnWire(const std::vector<Bytes>& frames, const Bytes& needle) {
  return std::any_of(frames.begin(), frames.end(), [&](const Bytes& f) {
    return std::search(f.begin(), f.end(), needle.begin(), needle.end()) != f.end();
  });
}

// A TLS 1.2 ClientHello record start (RFC 8446 §5.1) followed by a recognisable body.
Bytes ClientHello() {
  return Cat(Bytes{0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c, 0x03, 0x03},
             Text("client-random-and-ciphers-tls"));
}
Bytes DtlsClientHello() {
  return Cat(Bytes{0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x40, 0x01, 0, 0, 0x34},
             Text("dtls-client-hello-body"));
}
// IKEv2 IKE_SA_INIT header (RFC 7296 §3.1) whose Length is the datagram's, then a body.
Bytes IkeSaInit() {
  const Bytes body = Text("ike-sa-init-payloads");
  const auto len = static_cast<uint8_t>(28 + body.size());
  return Cat(Bytes{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0x21, 0x20, 0x22, 0x08, 0, 0,
                   0, 0, 0, 0, 0, len},
             body);
}
Bytes Esp() { return Cat(Bytes{0, 0, 0x10, 0x01, 0, 0, 0, 1}, Text("esp-ciphertext-bytes")); }

PacketSpec Tcp(bool from_client, uint16_t client_port, uint8_t flags, uint32_t seq, uint32_t ack,
               const Bytes& payload = {}) {
  PacketSpec s;
  s.src = Ip(from_client ? kClient : kServer);
  s.dst = Ip(from_client ? kServer : kClient);
  s.protocol = packet::kIpProtoTcp;
  s.src_port = from_client ? client_port : 443;
  s.dst_port = from_client ? 443 : client_port;
  s.tcp_flags = flags;
  s.tcp_seq = seq;
  s.tcp_ack = ack;
  s.payload = Keep(payload);
  return s;
}

PacketSpec Other(bool from_client, uint8_t protocol, uint16_t client_port, uint16_t server_port,
                 const Bytes& payload) {
  PacketSpec s;
  s.src = Ip(from_client ? kClient : kServer);
  s.dst = Ip(from_client ? kServer : kClient);
  s.protocol = protocol;
  s.src_port = from_client ? client_port : server_port;
  s.dst_port = from_client ? server_port : client_port;
  s.payload = Keep(payload);
  return s;
}

void FromClient(Rig& rig, const PacketSpec& s) {
  const size_t before = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(s));
  rig.Step();
  REQUIRE(rig.to_server_.size() == before + 1);
  CHECK(rig.to_server_.back() == rig.AtServer(s));  // delivered exactly as the client sent it
}
void FromServer(Rig& rig, const PacketSpec& s) {
  const size_t before = rig.to_client_.size();
  rig.FromServer(rig.ServerFrame(s));
  rig.Step();
  REQUIRE(rig.to_client_.size() == before + 1);
  CHECK(rig.to_client_.back() == rig.AtClient(s));
}

// The flags of the session of client port `client_port`: at A its forward key is the client's
// tuple, at B its reverse key is the server's answer to the client.
uint16_t Flags(Pipeline& p, const char* client_ip, uint16_t client_port) {
  for (uint32_t i = 0; i < p.sessions().capacity(); ++i) {
    const session::Session& s = p.sessions().at(i);
    if (!s.live()) continue;
    if ((s.forward.src == Ip(client_ip) && s.forward.src_port == client_port) ||
        (s.reverse.dst == Ip(client_ip) && s.reverse.dst_port == client_port)) {
      return s.flags;
    }
  }
  FAIL("no session for the client port");
  return 0;
}
bool Encrypted(Pipeline& p, uint16_t client_port) {
  return (Flags(p, kClient, client_port) & session::kPayloadEncrypted) != 0;
}

// What crossed the cable for one TCP session: handshake, client data, server reply, more client
// data; each end host gets exactly what the other sent.
struct TcpSeen {
  bool first = false, reply = false, second = false;
  bool last_forward_has_metadata = false;
};
TcpSeen RunTcp(Rig& rig, uint16_t port, const Bytes& first) {
  const Bytes reply = Text("server-reply-" + std::to_string(port));
  const Bytes second = Text("client-second-" + std::to_string(port));
  FromClient(rig, Tcp(true, port, packet::kTcpSyn, 100, 0));
  FromServer(rig, Tcp(false, port, packet::kTcpSyn | packet::kTcpAck, 900, 101));
  FromClient(rig, Tcp(true, port, packet::kTcpAck, 101, 901));
  const size_t a_before = rig.wire_a_to_b_.size();
  const size_t b_before = rig.wire_b_to_a_.size();
  const auto first_len = static_cast<uint32_t>(first.size());
  FromClient(rig, Tcp(true, port, packet::kTcpAck | packet::kTcpPsh, 101, 901, first));
  FromServer(rig, Tcp(false, port, packet::kTcpAck | packet::kTcpPsh, 901, 101 + first_len, reply));
  const auto reply_len = static_cast<uint32_t>(reply.size());
  FromClient(rig, Tcp(true, port, packet::kTcpAck | packet::kTcpPsh, 101 + first_len,
                      901 + reply_len, second));
  const std::vector<Bytes> ab(rig.wire_a_to_b_.begin() + static_cast<ptrdiff_t>(a_before),
                              rig.wire_a_to_b_.end());
  const std::vector<Bytes> ba(rig.wire_b_to_a_.begin() + static_cast<ptrdiff_t>(b_before),
                              rig.wire_b_to_a_.end());
  TcpSeen seen;
  seen.first = OnWire(ab, first);
  seen.reply = OnWire(ba, reply);
  seen.second = OnWire(ab, second);
  seen.last_forward_has_metadata = ViewWire(rig.wire_a_to_b_.back(), kTag).has_metadata;
  return seen;
}

TEST_CASE("Adaptive encryption: a TCP session opening with a TLS ClientHello crosses unencrypted "
          "both ways, plain HTTP to the same service is encrypted from its first data",
          "[pipeline][adaptive][svr-7.62]") {
  Rig rig(Options(true));
  rig.AddServer(kServer);
  const TcpSeen tls = RunTcp(rig, 41001, ClientHello());
  CHECK(tls.first);
  CHECK(tls.reply);  // the reverse direction agrees: the server's bytes cross as sent
  CHECK(tls.second);
  CHECK_FALSE(Encrypted(rig.a(), 41001));
  CHECK_FALSE(Encrypted(rig.b(), 41001));
  CHECK(Get(rig.a(), PipelineCounter::kAdaptivePlain) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kAdaptiveEncrypted) == 0);

  const TcpSeen http = RunTcp(rig, 41002, Text("GET /secret HTTP/1.1\r\nHost: web\r\n\r\n"));
  CHECK_FALSE(http.first);
  CHECK_FALSE(http.reply);
  CHECK_FALSE(http.second);
  CHECK(Encrypted(rig.a(), 41002));
  CHECK(Encrypted(rig.b(), 41002));
  CHECK(Get(rig.a(), PipelineCounter::kAdaptiveEncrypted) == 1);
  CHECK(Get(rig.a(), PipelineCounter::kAdaptivePlain) == 1);
  CHECK(Get(rig.b(), PipelineCounter::kAdaptiveSwitchApplied) == 1);
  // The switch was confirmed by reverse metadata: re-signalling stopped, reverse packets decrypt.
  CHECK_FALSE(http.last_forward_has_metadata);
  CHECK((Flags(rig.a(), kClient, 41002) &
         (session::kAdaptivePending | session::kAdaptiveUnconfirmed |
          session::kSendForwardMetadata)) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kPayloadDecryptFail) == 0);
  CHECK(Get(rig.b(), PipelineCounter::kPayloadDecryptFail) == 0);

  // Sticky: a later ClientHello-looking segment on the HTTP session does not turn it off, and
  // HTTP-looking data on the TLS session does not turn that one on.
  FromClient(rig, Tcp(true, 41001, packet::kTcpAck | packet::kTcpPsh, 999, 901,
                      Text("GET /not-reclassified")));
  CHECK(OnWire({rig.wire_a_to_b_.back()}, Text("GET /not-reclassified")));
  FromClient(rig, Tcp(true, 41002, packet::kTcpAck | packet::kTcpPsh, 999, 901, ClientHello()));
  CHECK_FALSE(OnWire({rig.wire_a_to_b_.back()}, ClientHello()));
  CHECK(Get(rig.a(), PipelineCounter::kAdaptivePlain) + Get(rig.a(), PipelineCounter::kAdaptiveEncrypted) == 2);
}

TEST_CASE("Adaptive encryption off: the TLS session is encrypted too", "[pipeline][adaptive]") {
  Rig rig(Options(false));
  rig.AddServer(kServer);
  const TcpSeen tls = RunTcp(rig, 41003, ClientHello());
  CHECK_FALSE(tls.first);
  CHECK_FALSE(tls.reply);
  CHECK_FALSE(tls.second);
  CHECK(Encrypted(rig.a(), 41003));
  CHECK(Encrypted(rig.b(), 41003));
  CHECK(Get(rig.a(), PipelineCounter::kAdaptivePlain) == 0);
  CHECK(Get(rig.a(), PipelineCounter::kAdaptiveEncrypted) == 0);
}

TEST_CASE("Adaptive encryption: the first client data lost on the WAN is retransmitted with the "
          "switch re-signalled, and decrypts",
          "[pipeline][adaptive]") {
  Rig rig(Options(true));
  rig.AddServer(kServer);
  FromClient(rig, Tcp(true, 41004, packet::kTcpSyn, 100, 0));
  FromServer(rig, Tcp(false, 41004, packet::kTcpSyn | packet::kTcpAck, 900, 101));
  FromClient(rig, Tcp(true, 41004, packet::kTcpAck, 101, 901));
  int lose = 1;
  rig.cable = [&](Bytes&, bool a_to_b) { return !(a_to_b && lose-- > 0); };
  const Bytes data = Text("POST /form HTTP/1.1\r\n\r\nuser=alice");
  const PacketSpec seg = Tcp(true, 41004, packet::kTcpAck | packet::kTcpPsh, 101, 901, data);
  rig.FromClient(rig.ClientFrame(seg));
  rig.Step();
  REQUIRE(rig.to_server_.size() == 2);  // SYN and ACK only: the data was lost
  FromClient(rig, seg);                 // the client's retransmission
  CHECK_FALSE(OnWire(rig.wire_a_to_b_, data));
  CHECK(Encrypted(rig.b(), 41004));
  FromServer(rig, Tcp(false, 41004, packet::kTcpAck, 901, 101 + static_cast<uint32_t>(data.size()),
                      Text("HTTP/1.1 200 OK")));
  CHECK_FALSE(OnWire(rig.wire_b_to_a_, Text("HTTP/1.1 200 OK")));
  CHECK(Get(rig.a(), PipelineCounter::kAdaptiveEncrypted) == 1);
}

TEST_CASE("Adaptive encryption: a server that speaks first makes the session encrypted",
          "[pipeline][adaptive]") {
  Rig rig(Options(true));
  rig.AddServer(kServer);
  FromClient(rig, Tcp(true, 41005, packet::kTcpSyn, 100, 0));
  FromServer(rig, Tcp(false, 41005, packet::kTcpSyn | packet::kTcpAck, 900, 101));
  FromClient(rig, Tcp(true, 41005, packet::kTcpAck, 101, 901));
  const Bytes banner = Text("220 mail ESMTP ready\r\n");
  FromServer(rig, Tcp(false, 41005, packet::kTcpAck | packet::kTcpPsh, 901, 101, banner));
  CHECK(OnWire(rig.wire_b_to_a_, banner));  // the banner itself crossed before any decision
  CHECK(Get(rig.a(), PipelineCounter::kAdaptiveEncrypted) == 1);
  const Bytes hello = Text("EHLO client.example\r\n");
  const auto blen = static_cast<uint32_t>(banner.size());
  FromClient(rig, Tcp(true, 41005, packet::kTcpAck | packet::kTcpPsh, 101, 901 + blen, hello));
  CHECK_FALSE(OnWire(rig.wire_a_to_b_, hello));
  const Bytes reply = Text("250 mail.example greets you\r\n");
  FromServer(rig, Tcp(false, 41005, packet::kTcpAck | packet::kTcpPsh, 901 + blen,
                      101 + static_cast<uint32_t>(hello.size()), reply));
  CHECK_FALSE(OnWire(rig.wire_b_to_a_, reply));
  CHECK(Encrypted(rig.b(), 41005));
}

struct OtherCase {
  const char* name;
  uint8_t protocol;
  uint16_t server_port;
  Bytes first;
  bool plain;  // expected under adaptive encryption
};

TEST_CASE("Adaptive encryption: DTLS, ESP and IKE sessions cross unencrypted both ways, other UDP "
          "to the same service is encrypted, with adaptive off all are encrypted",
          "[pipeline][adaptive][svr-7.61][svr-7.63]") {
  const std::vector<OtherCase> cases = {
      {"DTLS ClientHello", packet::kIpProtoUdp, 4433, DtlsClientHello(), true},
      {"ESP (IP protocol 50)", 50, 0, Esp(), true},
      {"IKE on UDP 500", packet::kIpProtoUdp, 500, IkeSaInit(), true},
      {"NAT-T ESP on UDP 4500", packet::kIpProtoUdp, 4500, Esp(), true},
      {"NAT-T IKE on UDP 4500", packet::kIpProtoUdp, 4500,
       Cat(Bytes{0, 0, 0, 0}, IkeSaInit()), true},
      {"plain UDP", packet::kIpProtoUdp, 4433, Text("plain-datagram-to-4433"), false},
      {"ClientHello over UDP is not DTLS", packet::kIpProtoUdp, 4433, ClientHello(), false},
  };
  for (const bool adaptive : {true, false}) {
    for (const OtherCase& c : cases) {
      DYNAMIC_SECTION(c.name << (adaptive ? ", adaptive on" : ", adaptive off")) {
        Rig rig(Options(adaptive));
        rig.AddServer(kServer);
        const uint16_t cport = c.protocol == 50 ? 0 : (c.server_port == 500 ? 500 : 42000);
        FromClient(rig, Other(true, c.protocol, cport, c.server_port, c.first));
        const Bytes reply = c.protocol == 50 ? Cat(Bytes{0, 0, 0x20, 0x02, 0, 0, 0, 1},
                                                   Text("esp-reply"))
                                             : Text(std::string("reply-") + c.name);
        FromServer(rig, Other(false, c.protocol, cport, c.server_port, reply));
        const Bytes again = c.protocol == 50 ? Cat(Bytes{0, 0, 0x10, 0x01, 0, 0, 0, 2},
                                                   Text("esp-second"))
                                             : Text("second-datagram");
        FromClient(rig, Other(true, c.protocol, cport, c.server_port, again));
        const bool plain = adaptive && c.plain;
        CHECK(OnWire(rig.wire_a_to_b_, c.first) == plain);
        CHECK(OnWire(rig.wire_b_to_a_, reply) == plain);
        CHECK(OnWire(rig.wire_a_to_b_, again) == plain);
        CHECK(Get(rig.a(), PipelineCounter::kAdaptivePlain) == (plain ? 1 : 0));
        CHECK(Get(rig.a(), PipelineCounter::kAdaptiveEncrypted) == (adaptive && !c.plain ? 1 : 0));
        CHECK(Get(rig.b(), PipelineCounter::kPayloadDecryptFail) == 0);
        CHECK(Get(rig.a(), PipelineCounter::kPayloadDecryptFail) == 0);
      }
    }
  }
}

}  // namespace
}  // namespace ssr::pipeline::testing
