// SPDX-License-Identifier: Apache-2.0
// Adaptive encryption classification and decision (§4.10), table-driven.
#include "crypto/adaptive.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto_test_util.h"

namespace ssr::crypto {
namespace {

using testing::Hex;

struct Row {
  std::string description;
  uint8_t protocol;
  uint16_t src_port, dst_port;
  std::string payload_hex;
  PayloadClass verdict;
  PayloadKind kind;
};

// Record/handshake prefixes are hand-built from RFC 8446 §5.1 (TLS record), RFC 6347 §4.1 (DTLS
// record) and RFC 3948 §2 (UDP-encapsulated ESP and the non-ESP marker).
const std::vector<Row>& Table() {
  static const auto* rows = new std::vector<Row>{
      {"ESP (IP protocol 50)", 50, 0, 0, "0000100100000001", PayloadClass::kAlreadyEncrypted,
       PayloadKind::kEsp},
      {"NAT-T ESP to 4500, SPI 0x1001", 17, 4500, 4500, "0000100100000001aabbccdd",
       PayloadClass::kAlreadyEncrypted, PayloadKind::kNatTEsp},
      {"NAT-T ESP from 4500", 17, 4500, 33000, "c0ffee0000000001", PayloadClass::kAlreadyEncrypted,
       PayloadKind::kNatTEsp},
      {"IKE behind the non-ESP marker on 4500", 17, 40000, 4500, "00000000aabbccddeeff0011",
       PayloadClass::kAlreadyEncrypted, PayloadKind::kNatTIke},
      {"NAT-keepalive 0xFF on 4500", 17, 40000, 4500, "ff", PayloadClass::kUndecided,
       PayloadKind::kNoPayload},
      {"IKEv2 IKE_SA_INIT on 500 (length 28 = datagram)", 17, 500, 500,
       "0102030405060708000000000000000021202208000000000000001c",
       PayloadClass::kAlreadyEncrypted, PayloadKind::kIke},
      {"IKEv1 Main Mode to 500", 17, 40000, 500,
       "010203040506070800000000000000000110020000000000000000200000000000000000",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},  // length 0x20 != 36 bytes
      {"IKEv1 header on 500, length matches", 17, 40000, 500,
       "01020304050607080000000000000000011002000000000000000024aabbccdd11223344",
       PayloadClass::kAlreadyEncrypted, PayloadKind::kIke},
      {"IKE-sized datagram on 500 with version 3 is clear", 17, 500, 500,
       "0102030405060708000000000000000021302208000000000000001c",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"short datagram on 500 is clear", 17, 500, 500, "0102030405060708",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"3 bytes on 4500 are neither ESP nor IKE", 17, 40000, 4500, "010203",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"TLS 1.2 ClientHello", 6, 40000, 443, "160303006a01000066", PayloadClass::kAlreadyEncrypted,
       PayloadKind::kTls},
      {"TLS 1.3 ClientHello (record version 0x0301)", 6, 40000, 8443, "16030100f4010000f0",
       PayloadClass::kAlreadyEncrypted, PayloadKind::kTls},
      {"TLS record version 0x0304", 6, 40000, 443, "1603040010010000",
       PayloadClass::kAlreadyEncrypted, PayloadKind::kTls},
      {"SSL 3.0 record version 0x0300 is not accepted", 6, 40000, 443, "16030000100100",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"TLS handshake but ServerHello (type 2)", 6, 443, 40000, "160303004a0200",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"TLS application data record (0x17)", 6, 40000, 443, "1703030020aabb",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"HTTP GET", 6, 40000, 80, "474554202f20485454502f312e310d0a", PayloadClass::kNotEncrypted,
       PayloadKind::kClear},
      {"TCP without payload (SYN)", 6, 40000, 443, "", PayloadClass::kUndecided,
       PayloadKind::kNoPayload},
      {"TCP segment ending inside the TLS record header", 6, 40000, 443, "160303",
       PayloadClass::kUndecided, PayloadKind::kPartial},
      {"TCP segment with the full record header only", 6, 40000, 443, "160303006a",
       PayloadClass::kUndecided, PayloadKind::kPartial},
      {"TCP one byte 0x16", 6, 40000, 443, "16", PayloadClass::kUndecided, PayloadKind::kPartial},
      {"DTLS 1.2 ClientHello", 17, 40000, 4433, "16fefd0000000000000000007a010000",
       PayloadClass::kAlreadyEncrypted, PayloadKind::kDtls},
      {"DTLS 1.0 ClientHello", 17, 40000, 4433, "16feff0000000000000000007a010000",
       PayloadClass::kAlreadyEncrypted, PayloadKind::kDtls},
      {"DTLS record with epoch 1 is not a first ClientHello", 17, 40000, 4433,
       "16fefd0001000000000000007a010000", PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"DTLS HelloVerifyRequest (type 3)", 17, 4433, 40000, "16fefd0000000000000000007a030000",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"TLS ClientHello over UDP is not DTLS", 17, 40000, 443, "160303006a01000066",
       PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"DNS query over UDP", 17, 40000, 53, "abcd01000001000000000000", PayloadClass::kNotEncrypted,
       PayloadKind::kClear},
      {"empty UDP datagram", 17, 40000, 9999, "", PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"ICMP echo", 1, 0, 0, "0800f7ff00010001", PayloadClass::kNotEncrypted, PayloadKind::kClear},
      {"GRE", 47, 0, 0, "00000800", PayloadClass::kNotEncrypted, PayloadKind::kClear},
  };
  return *rows;
}

TEST_CASE("Adaptive encryption classifies first payloads per the table",
          "[crypto][svr-7.61][svr-7.62][svr-7.63]") {
  for (const Row& row : Table()) {
    CAPTURE(row.description);
    const std::vector<uint8_t> payload = Hex(row.payload_hex);
    const Classification c =
        ClassifyFirstPayload(row.protocol, row.src_port, row.dst_port, payload);
    CHECK(PayloadKindName(c.kind) == PayloadKindName(row.kind));
    CHECK(c.verdict == row.verdict);
  }
}

TEST_CASE("Adaptive encryption can treat DTLS as clear UDP, as the product documents",
          "[crypto][svr-7.63]") {
  const std::vector<uint8_t> hello = Hex("16fefd0000000000000000007a010000");
  const Classification c = ClassifyFirstPayload(17, 40000, 4433, hello, {.recognise_dtls = false});
  CHECK(c.verdict == PayloadClass::kNotEncrypted);
}

TEST_CASE("A session whose first packet is ESP is never payload-encrypted", "[crypto][svr-7.61]") {
  const Classification c = ClassifyFirstPayload(50, 0, 0, Hex("00001001"));
  CHECK(DecideAdaptive(/*encrypt=*/true, /*adaptive=*/true, c) == AdaptiveDecision::kDoNotEncrypt);
}

TEST_CASE("TCP: ClientHello stays unencrypted, non-TLS data is encrypted, no data defers",
          "[crypto][svr-7.62]") {
  const auto syn = ClassifyFirstPayload(6, 40000, 443, {});
  CHECK(DecideAdaptive(true, true, syn) == AdaptiveDecision::kDefer);
  const auto hello = ClassifyFirstPayload(6, 40000, 443, Hex("160303006a01000066"));
  CHECK(DecideAdaptive(true, true, hello) == AdaptiveDecision::kDoNotEncrypt);
  const auto http = ClassifyFirstPayload(6, 40000, 80, Hex("474554202f"));
  CHECK(DecideAdaptive(true, true, http) == AdaptiveDecision::kEncrypt);
}

TEST_CASE("UDP sessions are encrypted from their first packet under adaptive encryption",
          "[crypto][svr-7.63]") {
  const auto dns = ClassifyFirstPayload(17, 40000, 53, Hex("abcd0100"));
  CHECK(DecideAdaptive(true, true, dns) == AdaptiveDecision::kEncrypt);
}

TEST_CASE("Policy switches win over classification", "[crypto]") {
  const auto esp = ClassifyFirstPayload(50, 0, 0, Hex("00001001"));
  CHECK(DecideAdaptive(/*encrypt=*/true, /*adaptive=*/false, esp) == AdaptiveDecision::kEncrypt);
  const auto http = ClassifyFirstPayload(6, 40000, 80, Hex("474554202f"));
  CHECK(DecideAdaptive(/*encrypt=*/false, /*adaptive=*/true, http) ==
        AdaptiveDecision::kDoNotEncrypt);
}

}  // namespace
}  // namespace ssr::crypto
