// SPDX-License-Identifier: Apache-2.0
// Per-peer hop state of a Pipeline (private to libssr/src/pipeline): the peer paths with their
// waypoint pools, and the hop crypto both ways (docs/protocol.md §4, §5.1).
//
// Design note. One PeerState per configured peer of the router, built from the config snapshot
// (PeerState::Create, called by Pipeline::BuildState) and replaced as a whole by Reload. The hop
// policy of the peer signs / seals what is sent; the policy of the WAN interface (or the peer's)
// checks what is received. SealHop / OpenHop are the only places that choose between an HMAC tag
// and a GCM trailer. The code using this state (MovePeerPath, metadata encoding, HopSealAndSend)
// is in peer_hop.cc; FindPeer, per packet, is inline in pipeline_internal.h.
#ifndef SSR_PIPELINE_PEER_HOP_H_
#define SSR_PIPELINE_PEER_HOP_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "crypto/packet_crypto.h"
#include "pipeline/key_rotation.h"
#include "pipeline/pipeline.h"
#include "peer/link_test.h"
#include "session/session.h"
#include "session/waypoint.h"
#include "util/ip_address.h"

namespace ssr::pipeline {

// A GCM hop trailer: explicit nonce + tag.
inline constexpr size_t kGcmTrailer = crypto::kGcmExplicitNonceSize + crypto::kGcmTagSize;

// One peer path per configured path (config::Peer::paths, §5.1, §5.8): our waypoint of the
// remote's family on the path's WAN interface -> theirs.
struct Pipeline::PeerPath {
  size_t wan = 0;  // interface index
  util::IpAddress local;
  util::IpAddress remote;
  std::optional<session::WaypointPool> pool_udp;
  std::optional<session::WaypointPool> pool_tcp;
  std::string id;    // TLV 19
  std::string name;  // config::PeerPathConfig::name
  uint32_t cost = 0;
  // Largest outer IP packet on this path: its path_mtu, else the peer's, else the WAN
  // interface's mtu (docs/protocol.md §2.14.2).
  uint32_t path_mtu = 1500;
  bool up = true;               // as the peer layer says (Pipeline::SetPeerPathUp)
  peer::PathQuality quality;    // the latest link-test averages (Pipeline::SetPeerPathQuality)
  uint64_t usable_since_ms = 0;  // pipeline clock: when it last came up (revertible failover)
  size_t slot = 0;               // PathBoard slot (path_board.h); kMaxPaths: none
  // Preference rank by service policy index (ServicePolicy.path_preference; the last entry is
  // for services without a policy): lower is preferred (Pipeline::BuildPathChoice).
  std::vector<uint32_t> rank;
};

struct Pipeline::PeerState {
  // Peer `index` of router `r` in `cfg`, its crypto in nonce space `nonce`.
  static absl::StatusOr<std::unique_ptr<PeerState>> Create(const config::Config& cfg,
                                                           const config::Router& r, size_t index,
                                                           crypto::NonceSpace nonce,
                                                           const KeyRotation& keys);

  const config::Peer* config = nullptr;
  size_t index = 0;
  size_t first_slot = 0;  // PathBoard slot of paths[0] (path_board.h)
  using Path = PeerPath;
  std::vector<Path> paths;
  // The first path that is up, or paths.size() when none is.
  size_t FirstUpPath() const {
    for (size_t i = 0; i < paths.size(); ++i) {
      if (paths[i].up) return i;
    }
    return paths.size();
  }
  const Path* PathTo(const util::IpAddress& remote) const {
    for (const Path& p : paths) {
      if (p.remote == remote) return &p;
    }
    return nullptr;
  }
  // The path over interface `wan` to `remote`, or paths.size().
  size_t PathIndexFor(size_t wan, const util::IpAddress& remote) const {
    for (size_t i = 0; i < paths.size(); ++i) {
      if (paths[i].wan == wan && paths[i].remote == remote) return i;
    }
    return paths.size();
  }
  // True if some path of the peer leaves over interface `wan`.
  bool UsesInterface(size_t wan) const {
    for (const Path& p : paths) {
      if (p.wan == wan) return true;
    }
    return false;
  }
  // The path an outer tuple travels (its side and remote address), else the first path.
  Path& PathForOuter(const session::FlowKey& outer) {
    const size_t i = PathIndexFor(outer.side, outer.dst);
    return paths[i < paths.size() ? i : 0];
  }
  // The path session `s` is bound to (its peer_path, clamped: never out of range).
  Path& SessionPath(const session::Session& s) {
    return paths[std::min<size_t>(s.peer_path, paths.size() - 1)];
  }
  // Addresses of the WAN interfaces of the peer's paths: any of them may be the local waypoint a
  // peer path of the other router ends on.
  std::vector<util::IpAddress> locals;
  bool IsLocal(const util::IpAddress& a) const {
    return std::find(locals.begin(), locals.end(), a) != locals.end();
  }
  std::unique_ptr<crypto::PacketCrypto> send;
  std::unique_ptr<crypto::PacketCrypto> recv;
  bool gcm_send = false;
  bool gcm_recv = false;
  size_t recv_trailer = 0;
  bool replay_filter = false;  // the receive policy's replay_filter (replay_filter.h)
  // Control replies (Enable SVR Metadata) to this peer in the current second (control.cc).
  uint64_t rate_window_start = 0;
  uint32_t rate_count = 0;
  // Delete Session messages for sessions the table removed itself, this second (pipeline.cc).
  uint64_t delete_window_start = 0;
  uint32_t delete_count = 0;

  // Bytes SealHop appends (the send policy's HMAC tag, or a GCM trailer).
  uint32_t hop_trailer = 0;
  // Appends the hop authentication (HMAC tag, or a GCM trailer authenticating region[0, *len))
  // to region[0, *len); *len grows by the trailer. `crypto_now_ms` is unix time.
  crypto::CryptoResult SealHop(std::span<uint8_t> region, size_t* len, uint64_t crypto_now_ms) {
    return gcm_send ? send->SealPayload(region, *len, 0, crypto_now_ms, len)
                    : send->Sign(region, *len, crypto_now_ms, len);
  }
  // Checks the hop authentication of a received L4 payload under key `security_id`; *len: the
  // payload without the trailer.
  crypto::CryptoResult OpenHop(uint32_t security_id, std::span<uint8_t> payload,
                               uint64_t crypto_now_ms, size_t* len) {
    uint32_t used = 0;
    return OpenHopAnyKey(security_id, payload, crypto_now_ms, len, &used, false);
  }
  // OpenHop; with `any_key`, a hop that fails under `security_id` is tried under the other
  // accepted keys (PacketCrypto::VerifyAnyKey, OpenGmacAnyKey: a GCM hop trailer authenticates
  // and decrypts nothing, so trials are harmless); *used_id = the key that verified.
  crypto::CryptoResult OpenHopAnyKey(uint32_t security_id, std::span<uint8_t> payload,
                                     uint64_t crypto_now_ms, size_t* len, uint32_t* used_id,
                                     bool any_key) {
    *used_id = security_id;
    if (!gcm_recv && any_key) {
      return recv->VerifyAnyKey(security_id, payload, crypto_now_ms, len, used_id);
    }
    if (gcm_recv && any_key && payload.size() >= kGcmTrailer) {
      const size_t body = payload.size() - kGcmTrailer;
      const crypto::CryptoResult r = recv->OpenGmacAnyKey(security_id, payload, body,
                                                          payload.size(), crypto_now_ms, used_id);
      if (r == crypto::CryptoResult::kOk) *len = body;
      return r;
    }
    if (!gcm_recv) return recv->Verify(security_id, payload, crypto_now_ms, len);
    if (payload.size() < kGcmTrailer) return crypto::CryptoResult::kTooShort;
    const size_t body = payload.size() - kGcmTrailer;
    const crypto::CryptoResult r =
        recv->OpenPayload(security_id, payload, body, payload.size(), crypto_now_ms, len);
    if (r == crypto::CryptoResult::kOk) *len = body;
    return r;
  }
};

// End-to-end payload crypto of one service (null: the service's payload is not encrypted).
struct Pipeline::ServiceCrypto {
  static absl::StatusOr<std::unique_ptr<ServiceCrypto>> Create(const config::Config& cfg,
                                                               size_t service,
                                                               crypto::NonceSpace nonce,
                                                           const KeyRotation& keys);
  std::unique_ptr<crypto::PacketCrypto> payload;
  // The key session `s` encrypts / decrypts its payload with, both ways (docs/protocol.md §4.7):
  // the one it started with while that is accepted, else (no key yet, or its overlap ended) the
  // current key, which it keeps from then on. Never a trial of several keys: CBC has no integrity.
  uint32_t SessionKey(session::Session& s, uint64_t crypto_now_ms) const {
    if (s.payload_key == 0 || !payload->Accepts(s.payload_key, crypto_now_ms)) {
      s.payload_key = payload->send_key_id();
    }
    return s.payload_key;
  }
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_PEER_HOP_H_
