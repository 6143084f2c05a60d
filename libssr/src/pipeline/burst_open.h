// SPDX-License-Identifier: Apache-2.0
// Burst opening of the fast path from peers (private to libssr/src/pipeline): packets of
// established sessions from a peer whose hop is signed with HMAC-SHA256 — with the payload
// AES-CBC encrypted or not — are verified (and decrypted) together, once per burst, with
// crypto::BurstOpener (intel-ipsec-mb), instead of one at a time with OpenSSL in VerifyHop and
// ToLan. The receive-side counterpart of burst_seal.h.
//
// Design note. HandleWan runs its steps up to VerifyHop as always (source peer, session lookup,
// clear header section). Where it would verify, it asks DeferOpen, which takes the packet when it
// is on the fast path (a session, no SVR cookie, so no metadata and no fragment), toward an egress
// session (not transit), the peer's hop is HMAC (not GCM) with no replay filter, and the session's
// preferred hop key has a burst form; the payload is decrypted with the burst too when ToLan would
// decrypt it (encrypted session, not adaptive / UDP-transformed, TTL > 1, the session key in burst
// form), else ToLan decrypts as before. The packet (Packet, WanPacket) waits in a fixed slot.
// OpenDeferred runs the burst (one BurstOpener call), then continues each waiting packet, in
// arrival order, with VerifyHop's remaining steps and HandleWanVerified: a tag that verified
// counts crypto_verified as Verify does; a tag that did not (bad, stale, a rotated key, too short)
// is checked again by the scalar VerifyAnyKey on the untouched bytes (nothing is decrypted unless
// the tag verified), so every verdict and counter is the scalar path's; a decryption result is
// counted as OpenPayload counts it (PacketCrypto::CountBurstOpened) and ToLan drops on failure
// (payload_decrypt_fail) exactly where it would have. Tests: test/pipeline/burst_crypto_test.cc.
//
// Order. Processing order is arrival order: before any packet that is not deferred is processed
// (a LAN packet, a fragment, an ICMP error, a WAN packet off the fast path) the waiting ones are
// continued first (Handle, HandleWan), and the burst ends with OpenDeferred. The steps a waiting
// packet ran before waiting (source peer, session lookup, key choice) only read state that the
// continuation of earlier fast-path packets does not change (no session is created or erased on
// the fast path; a key switch by an earlier packet is re-read at continuation).
//
// Small bursts: as for sealing, only bursts of at least kMinSealBurst (8) received frames defer.
// Memory: one BurstOpen per pipeline, made at creation; nothing is allocated per packet.
#ifndef SSR_PIPELINE_BURST_OPEN_H_
#define SSR_PIPELINE_BURST_OPEN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "crypto/burst.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"
#include "svr/metadata.h"

namespace ssr::pipeline {

// What the steps learned about one packet, handed from step to step.
struct Pipeline::WanPacket {
  PeerState* peer = nullptr;
  session::LookupResult hit;   // the session of the outer tuple (resolved by ResolveSession)
  std::span<uint8_t> payload;  // the L4 payload: metadata, body, trailers
  size_t trailer = 0;          // hop trailer bytes at its end (0: rebuilt from SVR fragments)
  size_t l_max = 0;            // the payload without the hop trailer
  svr::Metadata md;
  svr::MetadataLayout layout;
  bool has_md = false;  // metadata, not just a false-positive marker
  bool marker = false;  // false-positive marker (§3.8)
  bool rebound = false;
  uint32_t security_id = 0;
  size_t l4_len = 0;    // authenticated L4 payload length (metadata + body)
  size_t md_total = 0;  // metadata bytes in front of the body
  bool forward_md() const {
    return has_md && (md.Has(svr::TlvField::kForwardContextV4) || md.Has(svr::TlvField::kForwardContextV6));
  }
};

struct Pipeline::BurstOpen {
  static constexpr size_t kMaxJobs = crypto::BurstOpener::kMaxBurst;
  struct Pending {
    size_t frame = 0;      // index in the burst being processed
    size_t interface = 0;
    Packet pkt;
    WanPacket w;
    uint32_t verify_id = 0;  // the hop key the job verifies with
  };
  std::unique_ptr<crypto::BurstOpener> opener;
  size_t count = 0;
  std::array<crypto::OpenJob, kMaxJobs> jobs{};
  std::array<Pending, kMaxJobs> pending{};
  // The burst ProcessBurstAt is processing (dispositions and frames of continued packets).
  std::span<io::Frame> frames;
  std::span<Disposition> dispositions;
  size_t current = 0;     // index of the frame Handle is processing
  bool active = false;    // ProcessBurstAt defers in this burst
  bool deferred = false;  // Handle deferred the current frame
  // Set while a continued packet runs ToLan: its payload was opened with the burst.
  bool opened = false;
  crypto::CryptoResult open_result = crypto::CryptoResult::kNotConfigured;
  size_t open_len = 0;
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_BURST_OPEN_H_
