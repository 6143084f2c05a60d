// SPDX-License-Identifier: Apache-2.0
// TCP MSS clamping: the option rewrite, the path computation, and the pipeline's use of them
// (docs/protocol.md §2.7.1). See mss_clamp.h.
#include "pipeline/mss_clamp.h"

#include <array>
#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/protocol.h"
#include "pipeline/peer_hop.h"
#include "pipeline/pipeline.h"
#include "svr/metadata.h"

namespace ssr::pipeline {
namespace {

constexpr size_t kTcpChecksumOffset = 16;

// The header length the data offset announces, 0 when it is below 20 or past the span.
size_t HeaderLength(std::span<const uint8_t> tcp) {
  if (tcp.size() < packet::kTcpMinHeaderLength) return 0;
  const size_t len = (size_t{tcp[12]} >> 4) * 4;
  if (len < packet::kTcpMinHeaderLength || len > tcp.size()) return 0;
  return len;
}

// Replaces the 16-bit value at `offset` of the segment (an MSS value may sit at an odd offset:
// after a single NOP, say) and updates the checksum over the 16-bit-aligned words it touches.
void Rewrite16(std::span<uint8_t> tcp, size_t offset, uint16_t value) {
  const size_t start = offset & ~size_t{1};
  const size_t end = (offset + 2 + 1) & ~size_t{1};
  std::array<uint8_t, 4> old{};
  std::memcpy(old.data(), tcp.data() + start, end - start);
  packet::StoreBe16(tcp.data() + offset, value);
  const uint16_t sum = packet::LoadBe16(tcp.data() + kTcpChecksumOffset);
  packet::StoreBe16(tcp.data() + kTcpChecksumOffset,
                    packet::ChecksumUpdateBytes(sum, std::span<const uint8_t>(old.data(), end - start),
                                                tcp.subspan(start, end - start)));
}

}  // namespace

MssClampResult ClampMss(std::span<uint8_t> tcp, uint16_t limit) {
  if (tcp.size() < packet::kTcpMinHeaderLength) return MssClampResult::kMalformed;
  if ((tcp[13] & packet::kTcpSyn) == 0) return MssClampResult::kNotSyn;
  const size_t header = HeaderLength(tcp);
  if (header == 0) return MssClampResult::kMalformed;
  bool found = false;
  bool clamped = false;
  size_t at = packet::kTcpMinHeaderLength;
  while (at < header) {
    const uint8_t kind = tcp[at];
    if (kind == kTcpOptionEnd) break;
    if (kind == kTcpOptionNop) {
      ++at;
      continue;
    }
    if (at + 1 >= header || tcp[at + 1] < 2 || at + tcp[at + 1] > header) {
      return clamped ? MssClampResult::kClamped : MssClampResult::kMalformed;
    }
    const uint8_t len = tcp[at + 1];
    if (kind == kTcpOptionMss && len == kTcpOptionMssLength) {
      found = true;
      if (packet::LoadBe16(tcp.data() + at + 2) > limit) {
        Rewrite16(tcp, at + 2, limit);
        clamped = true;
      }
    }
    at += len;
  }
  if (clamped) return MssClampResult::kClamped;
  return found ? MssClampResult::kWithinLimit : MssClampResult::kNoOption;
}

uint16_t ReadMss(std::span<const uint8_t> tcp) {
  const size_t header = HeaderLength(tcp);
  size_t at = packet::kTcpMinHeaderLength;
  while (header != 0 && at < header) {
    const uint8_t kind = tcp[at];
    if (kind == kTcpOptionEnd) break;
    if (kind == kTcpOptionNop) {
      ++at;
      continue;
    }
    if (at + 1 >= header || tcp[at + 1] < 2 || at + tcp[at + 1] > header) break;
    if (kind == kTcpOptionMss && tcp[at + 1] == kTcpOptionMssLength) {
      return packet::LoadBe16(tcp.data() + at + 2);
    }
    at += tcp[at + 1];
  }
  return 0;
}

size_t SvrDataOverhead(const MssPath& path) {
  size_t n = path.hop_trailer + svr::kMetadataHeaderSize;  // the false-positive marker (§3.8)
  if (path.udp_transform) n += packet::kUdpHeaderLength;
  if (crypto::IsCbc(path.payload_cipher)) n += crypto::kCbcIvSize + crypto::kAesBlockSize;
  if (crypto::IsGcm(path.payload_cipher)) n += crypto::kGcmExplicitNonceSize + crypto::kGcmTagSize;
  return n;
}

uint16_t AutoMss(const MssPath& path) {
  const size_t headers = (path.ipv6 ? packet::kIpv6HeaderLength : packet::kIpv4MinHeaderLength) +
                         packet::kTcpMinHeaderLength + SvrDataOverhead(path);
  if (path.mtu <= headers) return 0;
  const size_t mss = path.mtu - headers;
  return static_cast<uint16_t>(mss > 0xffff ? 0xffff : mss);
}

// ---------------------------------------------------------------------------------------------
// The pipeline's use: called by ToPeer (ingress.cc) and ToLan (egress.cc) for SYN segments.

void Pipeline::ClampSynMss(const session::Session& s, bool ipv6_outer, std::span<uint8_t> tcp) {
  if (s.peer >= state_.peers.size()) return;
  PeerState& peer = *state_.peers[s.peer];
  const PeerState::Path& peer_path = peer.SessionPath(s);
  const config::Interface& wan = router().interfaces[peer_path.wan];
  const config::MssClamp& setting = peer.config->enforce_mss ? *peer.config->enforce_mss
                                                             : wan.enforce_mss;
  uint16_t limit = setting.value;
  if (setting.mode == config::MssClamp::Mode::kOff) return;
  if (setting.mode == config::MssClamp::Mode::kAuto) {
    const config::Config& cfg = config();
    MssPath path;
    path.mtu = peer_path.path_mtu;  // the path's path_mtu, else the peer's, else the WAN mtu
    path.ipv6 = ipv6_outer;
    path.udp_transform = (s.flags & session::kUdpTransform) != 0;
    path.hop_trailer = peer.hop_trailer;  // as PeerState::Create chose it (GCM trailer or tag)
    const std::optional<size_t> sp = cfg.services[s.service].security_policy;
    // A service with a payload policy is assumed encrypted: under adaptive encryption (§4.10) a
    // TCP session is decided after its SYN, and may then be encrypted.
    if ((s.flags & session::kPayloadEncrypted) != 0 || sp) {
      // Encrypted by the far end without a policy here: assume the larger CBC expansion.
      path.payload_cipher = sp ? cfg.security_policies[*sp].cipher : crypto::CipherSuite::kAes256Cbc;
    }
    limit = AutoMss(path);
  }
  if (ClampMss(tcp, limit) == MssClampResult::kClamped) Count(PipelineCounter::kMssClamped);
}

}  // namespace ssr::pipeline
