// SPDX-License-Identifier: Apache-2.0
#include "peer/peer_frame.h"

#include <array>
#include <cstring>

#include "packet/builder.h"
#include "packet/parser.h"

namespace ssr::peer {

namespace {

using crypto::CryptoResult;

// A GCM policy without HMAC authenticates through GMAC over the whole message (SealPayload with
// an empty payload); every other policy through Sign / Verify (a no-op for hmac kNone).
bool UsesGmac(const crypto::PacketCrypto& c) {
  return crypto::IsGcm(c.policy().cipher) && c.policy().hmac == crypto::HmacSuite::kNone;
}

size_t GmacTrailerSize() { return crypto::kGcmExplicitNonceSize + crypto::kGcmTagSize; }

// Writes metadata into `out`; returns bytes written or 0.
size_t EncodePeerMetadata(const PeerMetadata& m, uint32_t security_id, bool ipv4,
                          std::span<uint8_t> out) noexcept {
  if (m.source_router_name.size() > kMaxPeerNameLength ||
      m.peer_path_id.size() > kMaxPeerNameLength) {
    return 0;
  }
  svr::Metadata md;
  md.security_id = security_id;
  md.Set(svr::TlvField::kSecurityId);
  if (m.path_metrics) {
    md.path_metrics = *m.path_metrics;
    md.Set(svr::TlvField::kPathMetrics);
  }
  if (!m.source_router_name.empty()) {
    md.source_router_name = svr::Metadata::AsBytes(m.source_router_name);
    md.Set(svr::TlvField::kSourceRouterName);
  }
  if (!m.peer_path_id.empty()) {
    md.peer_path_id = svr::Metadata::AsBytes(m.peer_path_id);
    md.Set(svr::TlvField::kPeerPathId);
  }
  if (ipv4 && m.observed_source && m.observed_source->is_v4()) {
    md.source_nat = *m.observed_source;
    md.Set(svr::TlvField::kSourceNatV4);
  }
  return svr::EncodeMetadata(md, out);
}

template <typename EncodeMessage>
size_t BuildFrame(const PathEndpoints& ep, const PeerMetadata& m, EncodeMessage encode_message,
                  crypto::PacketCrypto* crypto, uint64_t now_ms, std::span<uint8_t> out) noexcept {
  if (ep.local.family() != ep.remote.family() || ep.dscp > 63) return 0;
  std::array<uint8_t, kMaxPeerPayload> scratch;
  const uint32_t security_id = crypto != nullptr ? crypto->send_key_id() : m.security_id;
  const size_t md_len = EncodePeerMetadata(m, security_id, ep.local.is_v4(), scratch);
  if (md_len == 0) return 0;
  const size_t msg_len = encode_message(std::span<uint8_t>(scratch).subspan(md_len));
  if (msg_len == 0) return 0;
  size_t len = md_len + msg_len;
  if (crypto != nullptr) {
    size_t signed_len = 0;
    const CryptoResult r = UsesGmac(*crypto)
                               ? crypto->SealPayload(scratch, /*payload_offset=*/len,
                                                     /*payload_len=*/0, now_ms, &signed_len)
                               : crypto->Sign(scratch, len, now_ms, &signed_len);
    if (r != CryptoResult::kOk) return 0;
    len = signed_len;
  }
  packet::PacketSpec spec;
  spec.src_mac = ep.src_mac;
  spec.dst_mac = ep.dst_mac;
  spec.src = ep.local;
  spec.dst = ep.remote;
  spec.protocol = packet::kIpProtoUdp;
  spec.tos = static_cast<uint8_t>(ep.dscp << 2);
  spec.src_port = ep.local_port;
  spec.dst_port = ep.remote_port;
  spec.payload = std::span<const uint8_t>(scratch.data(), len);
  return packet::BuildFrame(spec, out);
}

}  // namespace

size_t BuildControlFrame(const PathEndpoints& endpoints, const PeerMetadata& metadata,
                         const BfdControl& control, crypto::PacketCrypto* crypto, uint64_t now_ms,
                         std::span<uint8_t> out) noexcept {
  return BuildFrame(
      endpoints, metadata,
      [&control](std::span<uint8_t> at) { return EncodeBfdControl(control, at); }, crypto, now_ms,
      out);
}

size_t BuildEchoFrame(const PathEndpoints& endpoints, const PeerMetadata& metadata,
                      const EchoPacket& echo, crypto::PacketCrypto* crypto, uint64_t now_ms,
                      std::span<uint8_t> out) noexcept {
  return BuildFrame(
      endpoints, metadata, [&echo](std::span<uint8_t> at) { return EncodeEcho(echo, at); }, crypto,
      now_ms, out);
}

PeerFrameResult ParsePeerPayload(std::span<const uint8_t> payload, crypto::PacketCrypto* crypto,
                                 uint64_t now_ms, PeerFrame* out) noexcept {
  // Cookie first: anything else on the port is dropped without crypto work (§7.53).
  svr::MetadataLayout layout;
  out->metadata = svr::Metadata{};
  out->metadata_result = svr::DecodeMetadataHeader(payload, &layout);
  if (out->metadata_result == svr::DecodeResult::kNotMetadata) return PeerFrameResult::kNoMetadata;
  if (out->metadata_result != svr::DecodeResult::kOk) return PeerFrameResult::kBadMetadata;
  out->metadata_result = svr::DecodeTlvSection(
      payload.subspan(svr::kMetadataHeaderSize, layout.header_length - svr::kMetadataHeaderSize),
      svr::TlvSection::kHeader, &out->metadata, nullptr);
  if (out->metadata_result != svr::DecodeResult::kOk) return PeerFrameResult::kBadMetadata;
  if (!out->metadata.Has(svr::TlvField::kSecurityId)) return PeerFrameResult::kNoSecurityId;

  size_t body_len = payload.size();
  out->crypto_result = CryptoResult::kOk;
  if (crypto != nullptr) {
    if (UsesGmac(*crypto)) {
      // OpenPayload works in place; with an empty ciphertext it only checks the tag, so a scratch
      // copy is verified and the original bytes are decoded.
      if (payload.size() > kMaxPeerPayload) return PeerFrameResult::kTooLarge;
      if (payload.size() < GmacTrailerSize()) {
        out->crypto_result = CryptoResult::kTooShort;
        return PeerFrameResult::kAuthFailed;
      }
      std::array<uint8_t, kMaxPeerPayload> scratch;
      std::memcpy(scratch.data(), payload.data(), payload.size());
      const size_t offset = payload.size() - GmacTrailerSize();
      size_t plain_len = 0;
      out->crypto_result = crypto->OpenPayload(out->metadata.security_id, scratch, offset,
                                               payload.size(), now_ms, &plain_len);
      body_len = offset;
    } else {
      out->crypto_result = crypto->Verify(out->metadata.security_id, payload, now_ms, &body_len);
    }
    if (out->crypto_result != CryptoResult::kOk) return PeerFrameResult::kAuthFailed;
  }
  const std::span<const uint8_t> body = payload.first(body_len);

  out->metadata = svr::Metadata{};
  out->metadata_result = svr::DecodeMetadata(body, &out->metadata, &layout, nullptr);
  if (out->metadata_result != svr::DecodeResult::kOk) return PeerFrameResult::kBadMetadata;
  const std::span<const uint8_t> message = body.subspan(layout.total());
  if (message.empty()) return PeerFrameResult::kNoMessage;
  if (IsEcho(message)) {
    out->kind = PeerMessageKind::kEcho;
    out->echo_result = DecodeEcho(message, &out->echo);
    return out->echo_result == EchoDecodeResult::kOk ? PeerFrameResult::kOk
                                                     : PeerFrameResult::kBadEcho;
  }
  out->kind = PeerMessageKind::kControl;
  out->bfd_result = DecodeBfdControl(message, &out->control);
  return out->bfd_result == BfdDecodeResult::kOk ? PeerFrameResult::kOk : PeerFrameResult::kBadBfd;
}

PeerFrameResult ParsePeerFrame(std::span<const uint8_t> frame, crypto::PacketCrypto* crypto,
                               uint64_t now_ms, PeerFrame* out) noexcept {
  packet::PacketInfo info;
  if (packet::ParseFrame(frame, &info) != packet::ParseResult::kOk || !info.is_udp() ||
      info.is_fragment) {
    return PeerFrameResult::kNotUdp;
  }
  out->source = info.src;
  out->destination = info.dst;
  out->source_port = info.src_port;
  out->destination_port = info.dst_port;
  if (info.dst_port != kBfdPort) return PeerFrameResult::kWrongPort;
  return ParsePeerPayload(info.Payload(frame), crypto, now_ms, out);
}

}  // namespace ssr::peer
