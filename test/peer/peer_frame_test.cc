// SPDX-License-Identifier: Apache-2.0
// BFD and echo frames on the wire (docs/protocol.md §5.1, §5.3, §7.66): UDP 1280 between the
// waypoints, SVR metadata, the message, the authentication trailer; and every rejection.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "packet/builder.h"
#include "packet/parser.h"
#include "peer/peer_frame.h"
#include "peer_test_util.h"

namespace ssr::peer {
namespace {

using testing::Ip;

PathEndpoints V4Endpoints() {
  PathEndpoints ep;
  ep.src_mac = {0x02, 0, 0, 0, 0, 0x0a};
  ep.dst_mac = {0x02, 0, 0, 0, 0, 0x0b};
  ep.local = Ip("198.51.100.1");
  ep.remote = Ip("203.0.113.1");
  ep.dscp = 48;
  return ep;
}

PeerMetadata SampleMetadata() {
  PeerMetadata m;
  m.source_router_name = "west";
  m.peer_path_id = "to-east:198.51.100.1->203.0.113.1";
  m.observed_source = Ip("203.0.113.1");
  svr::PathMetrics pm;
  pm.tx_color = 3;
  pm.tx_time_ms = 0x0ABCDEF;
  pm.rx_color = 2;
  pm.rx_time_ms = 0x0123456;
  pm.previous_rx_color_count = 9;
  m.path_metrics = pm;
  return m;
}

BfdControl SampleControl() {
  BfdControl c;
  c.state = BfdState::kInit;
  c.my_discriminator = 0x53520001;
  c.your_discriminator = 0x53520002;
  return c;
}

std::string_view View(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

TEST_CASE("BFD frames use UDP destination port 1280 between the waypoint addresses",
          "[peer][frame][svr-7.66]") {
  std::array<uint8_t, 1500> frame{};
  const size_t n = BuildControlFrame(V4Endpoints(), SampleMetadata(), SampleControl(), nullptr,
                                     0, frame);
  REQUIRE(n > 0);
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(std::span<const uint8_t>(frame.data(), n), &info) ==
          packet::ParseResult::kOk);
  CHECK(info.is_udp());
  CHECK(info.dst_port == 1280);
  CHECK(info.src_port == 1280);
  CHECK(info.src == Ip("198.51.100.1"));
  CHECK(info.dst == Ip("203.0.113.1"));
  CHECK(info.tos == 48 << 2);
  // The UDP payload starts with the SVR cookie (metadata first, §5.3).
  const auto payload = info.Payload(std::span<const uint8_t>(frame.data(), n));
  CHECK(svr::StartsWithCookie(payload));
}

TEST_CASE("Echo frames also go to UDP port 1280 on the waypoints", "[peer][frame][svr-7.66]") {
  std::array<uint8_t, 1500> frame{};
  PathEndpoints ep = V4Endpoints();
  ep.local = Ip("2001:db8:1::1");
  ep.remote = Ip("2001:db8:2::1");
  EchoPacket e;
  e.sender_discriminator = 1;
  const size_t n = BuildEchoFrame(ep, SampleMetadata(), e, nullptr, 0, frame);
  REQUIRE(n > 0);
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(std::span<const uint8_t>(frame.data(), n), &info) ==
          packet::ParseResult::kOk);
  CHECK(info.is_ipv6());
  CHECK(info.dst_port == 1280);
  CHECK(info.dst == Ip("2001:db8:2::1"));
}

TEST_CASE("A control frame round-trips metadata and BFD fields", "[peer][frame]") {
  std::array<uint8_t, 1500> frame{};
  const size_t n = BuildControlFrame(V4Endpoints(), SampleMetadata(), SampleControl(), nullptr,
                                     0, frame);
  REQUIRE(n > 0);
  PeerFrame f;
  REQUIRE(ParsePeerFrame(std::span<const uint8_t>(frame.data(), n), nullptr, 0, &f) ==
          PeerFrameResult::kOk);
  CHECK(f.kind == PeerMessageKind::kControl);
  CHECK(f.control == SampleControl());
  CHECK(f.source == Ip("198.51.100.1"));
  CHECK(f.metadata.Has(svr::TlvField::kSecurityId));
  CHECK(f.metadata.security_id == 1);
  CHECK(View(f.metadata.source_router_name) == "west");
  CHECK(View(f.metadata.peer_path_id) == "to-east:198.51.100.1->203.0.113.1");
  REQUIRE(f.metadata.Has(svr::TlvField::kSourceNatV4));
  CHECK(f.metadata.source_nat == Ip("203.0.113.1"));
  REQUIRE(f.metadata.Has(svr::TlvField::kPathMetrics));
  CHECK(f.metadata.path_metrics == *SampleMetadata().path_metrics);
}

TEST_CASE("An IPv6 path omits TLV 25, which has no IPv6 form", "[peer][frame]") {
  PathEndpoints ep = V4Endpoints();
  ep.local = Ip("2001:db8:1::1");
  ep.remote = Ip("2001:db8:2::1");
  PeerMetadata m = SampleMetadata();
  m.observed_source = Ip("2001:db8:2::1");
  std::array<uint8_t, 1500> frame{};
  const size_t n = BuildControlFrame(ep, m, SampleControl(), nullptr, 0, frame);
  REQUIRE(n > 0);
  PeerFrame f;
  REQUIRE(ParsePeerFrame(std::span<const uint8_t>(frame.data(), n), nullptr, 0, &f) ==
          PeerFrameResult::kOk);
  CHECK_FALSE(f.metadata.Has(svr::TlvField::kSourceNatV4));
  CHECK(f.metadata.Has(svr::TlvField::kPeerPathId));
}

TEST_CASE("An echo frame round-trips", "[peer][frame]") {
  EchoPacket e;
  e.reflected = true;
  e.sender_discriminator = 0x53520003;
  e.test_id = 4;
  e.sequence = 2;
  e.send_time_ms = 123456;
  std::array<uint8_t, 1500> frame{};
  const size_t n = BuildEchoFrame(V4Endpoints(), SampleMetadata(), e, nullptr, 0, frame);
  REQUIRE(n > 0);
  PeerFrame f;
  REQUIRE(ParsePeerFrame(std::span<const uint8_t>(frame.data(), n), nullptr, 0, &f) ==
          PeerFrameResult::kOk);
  CHECK(f.kind == PeerMessageKind::kEcho);
  CHECK(f.echo == e);
}

TEST_CASE("Signed BFD frames verify with the peer's key and carry its Security ID",
          "[peer][frame]") {
  for (auto [hmac, cipher] :
       {std::pair{crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone},
        std::pair{crypto::HmacSuite::kSha256, crypto::CipherSuite::kNone},
        std::pair{crypto::HmacSuite::kNone, crypto::CipherSuite::kAes256Gcm}}) {
    INFO(crypto::HmacSuiteName(hmac) << " " << crypto::CipherSuiteName(cipher));
    auto tx = testing::MakeCrypto(hmac, cipher);
    auto rx = testing::MakeCrypto(hmac, cipher);
    std::array<uint8_t, 1500> frame{};
    const uint64_t now = 1'790'000'000'000;
    const size_t n =
        BuildControlFrame(V4Endpoints(), SampleMetadata(), SampleControl(), tx.get(), now, frame);
    REQUIRE(n > 0);
    const std::span<const uint8_t> bytes(frame.data(), n);
    PeerFrame f;
    REQUIRE(ParsePeerFrame(bytes, rx.get(), now + 500, &f) == PeerFrameResult::kOk);
    CHECK(f.metadata.security_id == 7);
    CHECK(f.control == SampleControl());

    // One flipped bit in the BFD section: the trailer no longer verifies.
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(bytes, &info) == packet::ParseResult::kOk);
    std::vector<uint8_t> tampered(bytes.begin(), bytes.end());
    tampered[info.payload_offset + info.payload_length - 20] ^= 0x01;
    CHECK(ParsePeerFrame(tampered, rx.get(), now, &f) == PeerFrameResult::kAuthFailed);
    // A different key does not verify either.
    auto other = testing::MakeCrypto(hmac, cipher, 0x0c);
    CHECK(ParsePeerFrame(bytes, other.get(), now, &f) == PeerFrameResult::kAuthFailed);
  }
}

TEST_CASE("A signed frame replayed outside the time windows is rejected", "[peer][frame]") {
  auto tx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
  auto rx = testing::MakeCrypto(crypto::HmacSuite::kSha256_128, crypto::CipherSuite::kNone);
  std::array<uint8_t, 1500> frame{};
  const uint64_t now = 1'790'000'000'000;
  const size_t n =
      BuildControlFrame(V4Endpoints(), SampleMetadata(), SampleControl(), tx.get(), now, frame);
  REQUIRE(n > 0);
  PeerFrame f;
  CHECK(ParsePeerFrame(std::span<const uint8_t>(frame.data(), n), rx.get(), now + 5000, &f) ==
        PeerFrameResult::kAuthFailed);
  CHECK(f.crypto_result == crypto::CryptoResult::kStale);
}

// A UDP frame to `port` with `payload`.
std::vector<uint8_t> Udp(std::span<const uint8_t> payload, uint16_t port = 1280,
                         uint8_t protocol = packet::kIpProtoUdp) {
  packet::PacketSpec spec;
  spec.src = Ip("203.0.113.1");
  spec.dst = Ip("198.51.100.1");
  spec.protocol = protocol;
  spec.src_port = 1280;
  spec.dst_port = port;
  spec.payload = payload;
  std::vector<uint8_t> out(1500);
  out.resize(packet::BuildFrame(spec, out));
  REQUIRE(!out.empty());
  return out;
}

// Metadata (security id 1 unless `with_security_id` is false) followed by `message`.
std::vector<uint8_t> MetadataThen(std::span<const uint8_t> message, bool with_security_id = true) {
  svr::Metadata md;
  if (with_security_id) {
    md.security_id = 1;
    md.Set(svr::TlvField::kSecurityId);
  }
  std::vector<uint8_t> out(256);
  const size_t n = svr::EncodeMetadata(md, out);
  REQUIRE(n > 0);
  out.resize(n);
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

TEST_CASE("Every rejected peer frame yields its named result", "[peer][frame]") {
  std::array<uint8_t, 24> bfd{};
  REQUIRE(EncodeBfdControl(SampleControl(), bfd) == 24);
  std::array<uint8_t, kEchoSize> echo{};
  REQUIRE(EncodeEcho(EchoPacket{}, echo) == kEchoSize);
  PeerFrame f;

  const std::vector<uint8_t> garbage(40, 0x42);
  CHECK(ParsePeerFrame(Udp(garbage), nullptr, 0, &f) == PeerFrameResult::kNoMetadata);
  CHECK(ParsePeerFrame(Udp(MetadataThen(bfd), 3784), nullptr, 0, &f) ==
        PeerFrameResult::kWrongPort);
  CHECK(ParsePeerFrame(Udp(MetadataThen(bfd), 1280, packet::kIpProtoTcp), nullptr, 0, &f) ==
        PeerFrameResult::kNotUdp);
  CHECK(ParsePeerFrame(Udp(MetadataThen(bfd, false)), nullptr, 0, &f) ==
        PeerFrameResult::kNoSecurityId);
  CHECK(ParsePeerFrame(Udp(MetadataThen({})), nullptr, 0, &f) == PeerFrameResult::kNoMessage);
  CHECK(ParsePeerFrame(Udp(MetadataThen(std::span<const uint8_t>(bfd).first(20))), nullptr, 0,
                       &f) == PeerFrameResult::kBadBfd);
  CHECK(f.bfd_result == BfdDecodeResult::kTruncated);
  auto bad_echo = echo;
  bad_echo[5] = 1;
  CHECK(ParsePeerFrame(Udp(MetadataThen(bad_echo)), nullptr, 0, &f) == PeerFrameResult::kBadEcho);
  CHECK(f.echo_result == EchoDecodeResult::kReservedBits);

  std::vector<uint8_t> bad_md = MetadataThen(bfd);
  bad_md[8] = 0x20;  // metadata version 2
  CHECK(ParsePeerFrame(Udp(bad_md), nullptr, 0, &f) == PeerFrameResult::kBadMetadata);
  CHECK(f.metadata_result == svr::DecodeResult::kBadVersion);

  // A signed-path receiver given a frame with no room for a tag.
  auto rx = testing::MakeCrypto(crypto::HmacSuite::kSha256, crypto::CipherSuite::kNone);
  const std::vector<uint8_t> tiny = MetadataThen({});
  CHECK(ParsePeerFrame(Udp(tiny), rx.get(), 0, &f) == PeerFrameResult::kAuthFailed);
  CHECK(f.crypto_result == crypto::CryptoResult::kTooShort);
  auto gcm = testing::MakeCrypto(crypto::HmacSuite::kNone, crypto::CipherSuite::kAes128Gcm);
  const std::vector<uint8_t> big = MetadataThen(std::vector<uint8_t>(kMaxPeerPayload, 0));
  CHECK(ParsePeerFrame(Udp(big), gcm.get(), 0, &f) == PeerFrameResult::kTooLarge);
}

TEST_CASE("Frames that cannot be built return 0", "[peer][frame]") {
  std::array<uint8_t, 1500> frame{};
  PeerMetadata m = SampleMetadata();
  const std::string long_name(kMaxPeerNameLength + 1, 'x');
  m.source_router_name = long_name;
  CHECK(BuildControlFrame(V4Endpoints(), m, SampleControl(), nullptr, 0, frame) == 0);
  PathEndpoints mixed = V4Endpoints();
  mixed.remote = Ip("2001:db8:2::1");
  CHECK(BuildControlFrame(mixed, SampleMetadata(), SampleControl(), nullptr, 0, frame) == 0);
  std::array<uint8_t, 60> small{};
  CHECK(BuildControlFrame(V4Endpoints(), SampleMetadata(), SampleControl(), nullptr, 0, small) ==
        0);
}

}  // namespace
}  // namespace ssr::peer
