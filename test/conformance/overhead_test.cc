// SPDX-License-Identifier: Apache-2.0
// Per-packet wire overhead of every security suite, measured on real encoded packets.
//
// For each suite the test builds the SVR packets a router sends for one UDP session: the first
// packet (forward metadata of docs/protocol.md §3.7, payload-TLV section encrypted when the suite
// has a cipher, payload sealed, HMAC) and a fast-path packet (payload sealed, HMAC), each as a
// full Ethernet/IPv4/UDP frame. Overhead = SVR frame length - original frame length (SVR rewrites
// the outer addresses and ports instead of adding an outer header, so only what follows the UDP
// header grows). Every packet is checked by the receive side (verify, decrypt, decode) so the
// numbers come from packets that work. The table is written to the build tree
// (overhead_table.md) and must equal the one in README.md (kExpected below mirrors it).
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/packet_crypto.h"
#include "packet/builder.h"
#include "svr/metadata.h"

namespace ssr {
namespace {

using crypto::CipherSuite;
using crypto::CryptoResult;
using crypto::HmacSuite;

struct Suite {
  const char* name;
  HmacSuite hmac;
  CipherSuite cipher;
};

constexpr Suite kSuites[] = {
    {"none (no HMAC, no encryption)", HmacSuite::kNone, CipherSuite::kNone},
    {"HMAC-SHA256-128", HmacSuite::kSha256_128, CipherSuite::kNone},
    {"HMAC-SHA256", HmacSuite::kSha256, CipherSuite::kNone},
    {"AES-128-CBC + HMAC-SHA256-128", HmacSuite::kSha256_128, CipherSuite::kAes128Cbc},
    {"AES-256-CBC + HMAC-SHA256-128 (default)", HmacSuite::kSha256_128, CipherSuite::kAes256Cbc},
    {"AES-256-CBC + HMAC-SHA256", HmacSuite::kSha256, CipherSuite::kAes256Cbc},
    {"AES-128-GCM (libssr extension)", HmacSuite::kNone, CipherSuite::kAes128Gcm},
    {"AES-256-GCM (libssr extension)", HmacSuite::kNone, CipherSuite::kAes256Gcm},
};

// Payloads: a G.729 voice packet's UDP payload (RTP 12 + voice 20), and a bulk 1400-byte one.
constexpr size_t kVoicePayload = 32;
constexpr size_t kBulkPayload = 1400;
constexpr uint64_t kNow = 1'800'000'000'000;

util::IpAddress Ip(const char* t) { return *util::IpAddress::Parse(t); }

svr::Metadata ForwardMetadata(uint32_t security_id) {
  svr::Metadata md;
  md.security_id = security_id;
  md.Set(svr::TlvField::kSecurityId);
  md.SetForwardContext({Ip("10.10.2.9"), Ip("10.20.2.5"), 40000, 5060, 17});
  md.tenant_name = svr::Metadata::AsBytes("sales");
  md.Set(svr::TlvField::kTenantName);
  md.service_name = svr::Metadata::AsBytes("voice");
  md.Set(svr::TlvField::kServiceName);
  md.Set(svr::TlvField::kSessionUuid);
  md.source_router_name = svr::Metadata::AsBytes("branch");
  md.Set(svr::TlvField::kSourceRouterName);
  md.peer_path_id = svr::Metadata::AsBytes("wan0");
  md.Set(svr::TlvField::kPeerPathId);
  return md;
}

size_t FrameLength(std::span<const uint8_t> udp_payload) {
  packet::PacketSpec spec;
  spec.src = Ip("192.0.2.1");
  spec.dst = Ip("192.0.2.2");
  spec.src_port = 16400;
  spec.dst_port = 16401;
  spec.payload = udp_payload;
  std::vector<uint8_t> frame(packet::FrameLength(spec));
  REQUIRE(packet::BuildFrame(spec, frame) == frame.size());  // a real, valid frame
  return frame.size();
}

struct Sender {
  std::unique_ptr<crypto::PacketCrypto> tx;
  std::unique_ptr<crypto::PacketCrypto> rx;
};

Sender MakeCrypto(const Suite& s) {
  crypto::SecurityPolicy policy;
  policy.hmac = s.hmac;
  policy.hmac_mode = crypto::HmacMode::kTimeBased;
  policy.cipher = s.cipher;
  crypto::KeyMaterial material;
  if (s.hmac != HmacSuite::kNone) material.hmac_key.assign(32, 0x0b);
  material.cipher_key.assign(crypto::CipherKeySize(s.cipher), 0x42);
  const crypto::KeySnapshot keys(
      1, {crypto::KeyEntry{7, crypto::KeyRole::kCurrent, crypto::kForever, material}});
  auto tx = crypto::PacketCrypto::Create(policy, keys);
  auto rx = crypto::PacketCrypto::Create(policy, keys);
  REQUIRE(tx.ok());
  REQUIRE(rx.ok());
  return {std::move(*tx), std::move(*rx)};
}

// Fast-path packet: payload sealed + HMAC. Returns the UDP payload as sent.
std::vector<uint8_t> FastPath(Sender& c, size_t payload_len) {
  std::vector<uint8_t> buf(payload_len + 256, 0);
  for (size_t i = 0; i < payload_len; ++i) buf[i] = static_cast<uint8_t>(i);
  size_t len = 0;
  REQUIRE(c.tx->SealPayload(buf, 0, payload_len, kNow, &len) == CryptoResult::kOk);
  REQUIRE(c.tx->Sign(buf, len, kNow, &len) == CryptoResult::kOk);
  buf.resize(len);
  // Receive side: verify, open, and get the original payload back.
  std::vector<uint8_t> rx = buf;
  size_t without_tag = 0;
  REQUIRE(c.rx->Verify(7, rx, kNow, &without_tag) == CryptoResult::kOk);
  size_t plain = 0;
  REQUIRE(c.rx->OpenPayload(7, rx, 0, without_tag, kNow, &plain) == CryptoResult::kOk);
  REQUIRE(plain == payload_len);
  for (size_t i = 0; i < payload_len; ++i) REQUIRE(rx[i] == static_cast<uint8_t>(i));
  return buf;
}

// First packet: metadata (payload TLVs sealed when there is a cipher) + payload sealed + HMAC.
std::vector<uint8_t> FirstPacket(Sender& c, size_t payload_len, bool encrypt_metadata) {
  const svr::Metadata md = ForwardMetadata(7);
  std::vector<uint8_t> buf(4096, 0);
  // Header TLVs.
  const size_t header_tlvs =
      svr::EncodeTlvSection(md, svr::TlvSection::kHeader,
                            std::span<uint8_t>(buf).subspan(svr::kMetadataHeaderSize));
  REQUIRE(header_tlvs > 0);
  const size_t section_at = svr::kMetadataHeaderSize + header_tlvs;
  std::span<uint8_t> section = std::span<uint8_t>(buf).subspan(section_at, 2048);
  const size_t prefix = encrypt_metadata ? c.tx->MetadataPrefixSize() : 0;
  const size_t tlvs =
      svr::EncodeTlvSection(md, svr::TlvSection::kPayload, section.subspan(prefix));
  REQUIRE(tlvs > 0);
  size_t section_len = tlvs;
  if (encrypt_metadata) {
    REQUIRE(c.tx->SealMetadata(section, tlvs, &section_len) == CryptoResult::kOk);
  }
  REQUIRE(svr::WriteMetadataHeader(
      buf, {static_cast<uint16_t>(section_at), static_cast<uint16_t>(section_len)}));
  const size_t md_len = section_at + section_len;
  for (size_t i = 0; i < payload_len; ++i) buf[md_len + i] = static_cast<uint8_t>(i);
  size_t len = 0;
  REQUIRE(c.tx->SealPayload(buf, md_len, payload_len, kNow, &len) == CryptoResult::kOk);
  REQUIRE(c.tx->Sign(buf, len, kNow, &len) == CryptoResult::kOk);
  buf.resize(len);

  // Receive side: verify, parse the header, open the payload, decrypt the TLV section, decode.
  std::vector<uint8_t> rx = buf;
  size_t without_tag = 0;
  REQUIRE(c.rx->Verify(7, rx, kNow, &without_tag) == CryptoResult::kOk);
  svr::MetadataLayout layout;
  REQUIRE(svr::DecodeMetadataHeader(std::span<const uint8_t>(rx.data(), without_tag), &layout) ==
          svr::DecodeResult::kOk);
  // The payload is opened before the metadata section is decrypted in place: with GCM the
  // metadata as transmitted is the AAD of the payload's tag (and, without an HMAC, the only thing
  // that authenticates it), so it must be checked first.
  size_t plain = 0;
  REQUIRE(c.rx->OpenPayload(7, rx, layout.total(), without_tag, kNow, &plain) ==
          CryptoResult::kOk);
  REQUIRE(plain == payload_len);
  svr::Metadata decoded;
  REQUIRE(svr::DecodeTlvSection(
              std::span<const uint8_t>(rx).subspan(svr::kMetadataHeaderSize,
                                                   layout.header_length - svr::kMetadataHeaderSize),
              svr::TlvSection::kHeader, &decoded, nullptr) == svr::DecodeResult::kOk);
  std::span<uint8_t> rx_section = std::span<uint8_t>(rx).subspan(layout.header_length,
                                                                  layout.payload_length);
  size_t tlv_offset = 0;
  size_t tlv_len = rx_section.size();
  if (encrypt_metadata) {
    REQUIRE(c.rx->OpenMetadata(decoded.security_id, rx_section, kNow, &tlv_offset, &tlv_len) ==
            CryptoResult::kOk);
  }
  REQUIRE(svr::DecodeTlvSection(rx_section.subspan(tlv_offset, tlv_len),
                                svr::TlvSection::kPayload, &decoded,
                                nullptr) == svr::DecodeResult::kOk);
  CHECK(decoded.forward_context == md.forward_context);
  return buf;
}

struct Row {
  std::string suite;
  size_t first_voice, steady_voice, first_bulk, steady_bulk;
  friend bool operator==(const Row&, const Row&) = default;
};

// Mirrors the table in README.md ("Per-packet overhead"). Derivation, so that a wrong number
// here is caught by reading: metadata = header 12 + Security ID 8 + payload TLVs 73 (forward
// context 17, tenant "sales" 9, service "voice" 9, UUID 20, source router "branch" 10, peer
// path "wan0" 8) = 93. CBC seals the 73-byte TLV section as IV 16 + 80 (PKCS#7) = 96 and the
// payload as +16 IV + padding (16 for 32 B, which is block-aligned; 8 for 1400 B). GCM seals the
// section as nonce 8 + 73 + tag 16 and the payload as nonce 8 + tag 16.
const std::vector<Row> kExpected = {
    {"none (no HMAC, no encryption)", 93, 0, 93, 0},
    {"HMAC-SHA256-128", 109, 16, 109, 16},
    {"HMAC-SHA256", 125, 32, 125, 32},
    {"AES-128-CBC + HMAC-SHA256-128", 164, 48, 156, 40},
    {"AES-256-CBC + HMAC-SHA256-128 (default)", 164, 48, 156, 40},
    {"AES-256-CBC + HMAC-SHA256", 180, 64, 172, 56},
    {"AES-128-GCM (libssr extension)", 141, 24, 141, 24},
    {"AES-256-GCM (libssr extension)", 141, 24, 141, 24},
};

}  // namespace

TEST_CASE("Per-packet overhead of every suite, from real encoded packets", "[conformance][svr-7.49]") {
  std::vector<Row> rows;
  for (const Suite& s : kSuites) {
    INFO(s.name);
    Sender c = MakeCrypto(s);
    const bool encrypt_metadata = s.cipher != CipherSuite::kNone;
    Row row{s.name, 0, 0, 0, 0};
    for (size_t payload_len : {kVoicePayload, kBulkPayload}) {
      const std::vector<uint8_t> original(payload_len, 0);
      const size_t base = FrameLength(original);
      const size_t steady = FrameLength(FastPath(c, payload_len)) - base;
      const size_t first = FrameLength(FirstPacket(c, payload_len, encrypt_metadata)) - base;
      // Steady state is exactly the trailer the suite promises (§4.9).
      CHECK(steady == crypto::TrailerOverhead(s.hmac, s.cipher, payload_len));
      (payload_len == kVoicePayload ? row.first_voice : row.first_bulk) = first;
      (payload_len == kVoicePayload ? row.steady_voice : row.steady_bulk) = steady;
    }
    rows.push_back(row);
  }

  std::string table =
      "| suite | first packet, 32 B payload | fast path, 32 B payload | first packet, 1400 B "
      "payload | fast path, 1400 B payload |\n| --- | --- | --- | --- | --- |\n";
  for (const Row& r : rows) {
    table += absl::StrCat("| ", r.suite, " | ", r.first_voice, " | ", r.steady_voice, " | ",
                          r.first_bulk, " | ", r.steady_bulk, " |\n");
  }
  std::ofstream(SSR_OVERHEAD_TABLE_OUT) << table;
  INFO(table);
  REQUIRE(rows.size() == kExpected.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    INFO(rows[i].suite);
    CHECK(rows[i] == kExpected[i]);
  }
}

}  // namespace ssr
