// SPDX-License-Identifier: Apache-2.0
#include "crypto/adaptive.h"

#include <cstddef>

namespace ssr::crypto {
namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoEsp = 50;
constexpr uint16_t kNatTPort = 4500;
constexpr uint16_t kIkePort = 500;
constexpr size_t kIkeHeader = 28;  // SPIs (16), next payload, version, exchange, flags, id, length
constexpr uint8_t kTlsHandshake = 0x16;
constexpr uint8_t kClientHello = 1;
constexpr size_t kTlsRecordHeader = 5;    // type, version(2), length(2)
constexpr size_t kDtlsRecordHeader = 13;  // type, version(2), epoch(2), sequence(6), length(2)

constexpr Classification kEncrypted(PayloadKind k) { return {PayloadClass::kAlreadyEncrypted, k}; }
constexpr Classification kClear{PayloadClass::kNotEncrypted, PayloadKind::kClear};
constexpr Classification kNoPayload{PayloadClass::kUndecided, PayloadKind::kNoPayload};
constexpr Classification kPartial{PayloadClass::kUndecided, PayloadKind::kPartial};

// TLS: 0x16, 0x03 0x01..0x04, length(2), handshake type 1. A segment may end inside the record
// header; while every byte present still fits a ClientHello the answer is "undecided".
Classification ClassifyTls(std::span<const uint8_t> p) {
  if (p[0] != kTlsHandshake) return kClear;
  if (p.size() >= 2 && p[1] != 0x03) return kClear;
  if (p.size() >= 3 && (p[2] < 0x01 || p[2] > 0x04)) return kClear;
  if (p.size() <= kTlsRecordHeader) return kPartial;
  return p[kTlsRecordHeader] == kClientHello ? kEncrypted(PayloadKind::kTls) : kClear;
}

// DTLS: 0x16, 0xfe 0xff (1.0) or 0xfe 0xfd (1.2; DTLS 1.3 ClientHellos use it too), epoch 0,
// handshake type 1 right after the 13-byte record header. UDP datagrams are not split, so a
// short datagram is simply not a ClientHello.
bool IsDtlsClientHello(std::span<const uint8_t> p) {
  return p.size() > kDtlsRecordHeader && p[0] == kTlsHandshake && p[1] == 0xfe &&
         (p[2] == 0xff || p[2] == 0xfd) && p[3] == 0 && p[4] == 0 &&
         p[kDtlsRecordHeader] == kClientHello;
}

// IKE on UDP 500 (RFC 7296 §3.1, RFC 2408 §3.1): a 28-byte header, major version 1 or 2 in the
// high nibble of byte 17, and a Length field (bytes 24..27) equal to the datagram's payload.
bool IsIke(std::span<const uint8_t> p) {
  if (p.size() < kIkeHeader) return false;
  const uint8_t major = p[17] >> 4;
  const uint32_t length = (uint32_t{p[24]} << 24) | (uint32_t{p[25]} << 16) |
                          (uint32_t{p[26]} << 8) | uint32_t{p[27]};
  return (major == 1 || major == 2) && length == p.size();
}

}  // namespace

Classification ClassifyFirstPayload(uint8_t ip_protocol, uint16_t src_port, uint16_t dst_port,
                                    std::span<const uint8_t> payload,
                                    const AdaptiveOptions& options) noexcept {
  if (ip_protocol == kProtoEsp) return kEncrypted(PayloadKind::kEsp);
  if (ip_protocol == kProtoUdp) {
    if (src_port == kNatTPort || dst_port == kNatTPort) {
      // RFC 3948: a lone 0xFF is a NAT-keepalive (says nothing yet); four zero bytes are the
      // non-ESP marker in front of IKE; anything else starts with a non-zero SPI = ESP.
      if (payload.empty() || (payload.size() == 1 && payload[0] == 0xff)) return kNoPayload;
      if (payload.size() < 4) return kClear;
      const bool zero_marker =
          payload[0] == 0 && payload[1] == 0 && payload[2] == 0 && payload[3] == 0;
      return kEncrypted(zero_marker ? PayloadKind::kNatTIke : PayloadKind::kNatTEsp);
    }
    if ((src_port == kIkePort || dst_port == kIkePort) && IsIke(payload)) {
      return kEncrypted(PayloadKind::kIke);
    }
    if (options.recognise_dtls && IsDtlsClientHello(payload)) {
      return kEncrypted(PayloadKind::kDtls);
    }
    return kClear;  // UDP, even an empty datagram: assumed clear, encrypted from the start
  }
  if (ip_protocol == kProtoTcp) {
    if (payload.empty()) return kNoPayload;
    return ClassifyTls(payload);
  }
  return kClear;  // ICMP and everything else: assumed clear (§4.10)
}

AdaptiveDecision DecideAdaptive(bool encrypt, bool adaptive, Classification c) noexcept {
  if (!encrypt) return AdaptiveDecision::kDoNotEncrypt;
  if (!adaptive) return AdaptiveDecision::kEncrypt;
  switch (c.verdict) {
    case PayloadClass::kAlreadyEncrypted:
      return AdaptiveDecision::kDoNotEncrypt;
    case PayloadClass::kNotEncrypted:
      return AdaptiveDecision::kEncrypt;
    case PayloadClass::kUndecided:
      // §4.10: a TCP session starts unencrypted and is watched until its client sends data.
      return AdaptiveDecision::kDefer;
  }
  return AdaptiveDecision::kEncrypt;
}

std::string_view PayloadKindName(PayloadKind k) {
  switch (k) {
    case PayloadKind::kEsp:
      return "esp";
    case PayloadKind::kNatTEsp:
      return "nat-t-esp";
    case PayloadKind::kNatTIke:
      return "nat-t-ike";
    case PayloadKind::kIke:
      return "ike";
    case PayloadKind::kTls:
      return "tls";
    case PayloadKind::kDtls:
      return "dtls";
    case PayloadKind::kClear:
      return "clear";
    case PayloadKind::kNoPayload:
      return "no-payload";
    case PayloadKind::kPartial:
      return "partial";
  }
  return "invalid";
}

}  // namespace ssr::crypto
