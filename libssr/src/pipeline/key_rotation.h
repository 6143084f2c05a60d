// SPDX-License-Identifier: Apache-2.0
// Key rotation across config reloads (docs/protocol.md §4.7), private to libssr/src/pipeline.
//
// Design note. A security policy's key lists (hmac_keys, encryption_keys) are config; entry 0
// signs / encrypts. As a hop policy, entry i pairs hmac_keys[i] with encryption_keys[i] (the
// shorter list repeats its last key) under the HMAC key's id (the cipher key's without HMAC). As
// a service's end-to-end payload policy only encryption_keys count, each under its own id. The
// pipeline remembers, per policy name, the keys a reload took out of service ("retired" keys):
//   * a key that was first (sending) and no longer is, or that was accepted and disappeared from
//     the new list, is retired with a deadline of reload time + key_rotation_overlap (0: 30 s);
//   * a retired key stays accepted on receive until its deadline, whether or not the new config
//     still lists it, and is then refused per packet (PacketCrypto accept_until_ms, counted
//     key_expired); it never signs, except the end-to-end payload of a session that started
//     with it (the session keeps its keys, §4.7);
//   * a key listed after the first that was never first is a pre-distributed next key (or, at
//     start, a key of unknown age): accepted as long as it is listed;
//   * a retired key that becomes first again is no longer retired.
// Snapshot() builds the KeySnapshot from which PeerState / ServiceCrypto prepare their
// PacketCrypto: the config's keys, then retired keys (latest deadline first), at most
// kMaxKeysPerStore. Deadlines are unix milliseconds (the crypto clock, Pipeline::CryptoNow).
// Retired keys past their deadline are dropped at the next reload.
//
// Automatic rekeying (docs/protocol.md §4.7.1, crypto/rekey.h). A policy with a rekey interval I
// and clock-skew bound S has, as a hop policy, no configured hop keys: HopSnapshot for epoch e
// (from the unix clock) holds the epoch keys of the router pair,
//   e     current (signs), accepted in [e*I - S, (e+1)*I + S)
//   e-1   accepted until e*I + S (a peer whose clock is behind still sends under it)
//   e+1   accepted from (e+1)*I - S (a peer whose clock is ahead already sends under it)
// then retired configured keys (a reload that turned rekeying on), at most kMaxKeysPerStore. The
// pipeline swaps in the crypto of epoch e+1 at the boundary; it prepares it ahead of time
// (pipeline/rekey.cc). A reload that turns rekeying on retires the configured hop keys as usual;
// one that turns it off does not retire the epoch keys (they are per router pair): reload both
// routers within the clock-skew bound, or expect the sessions' next packets to fail until both run
// the same config.
#ifndef SSR_PIPELINE_KEY_ROTATION_H_
#define SSR_PIPELINE_KEY_ROTATION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "crypto/key_store.h"

namespace ssr::pipeline {

inline constexpr uint64_t kDefaultKeyOverlapMs = 30'000;

class KeyRotation {
 public:
  // The keys of policy `p` of `cfg` as PacketCrypto wants them (current first). `hop`: the hop
  // view (HMAC + cipher keys, ids of the HMAC keys); else the end-to-end payload view (cipher
  // keys only, their own ids).
  crypto::KeySnapshot Snapshot(const config::Config& cfg, const config::SecurityPolicy& p,
                               bool hop) const;
  // A reload from `old_cfg` to `new_cfg` at unix time now_ms: retires what it takes out of
  // service, forgets what expired or became current again.
  void Reload(const config::Config& old_cfg, const config::Config& new_cfg, uint64_t now_ms);
  // The hop keys of policy `p` between routers `local` and `remote` at unix time now_ms: Snapshot
  // (hop view) for a policy that does not rekey, else the epoch keys of now_ms's epoch (above).
  // Allocates and derives keys: never per packet.
  absl::StatusOr<crypto::KeySnapshot> HopSnapshot(const config::Config& cfg,
                                                  const config::SecurityPolicy& p,
                                                  std::string_view local, std::string_view remote,
                                                  uint64_t now_ms) const;

 private:
  struct Retired {
    std::string policy;
    bool hop = true;
    crypto::KeyEntry entry;  // role kPrevious, accept_until_ms = deadline
  };
  std::vector<Retired> retired_;
};

// The keys `p` lists (in the hop or payload view), each accepted forever (no reload history).
std::vector<crypto::KeyEntry> ConfigKeyEntries(const config::Config& cfg,
                                               const config::SecurityPolicy& p, bool hop);

// The epoch keys e-1, e, e+1 of rekeying policy `p` between routers `local` and `remote`, where
// e is the epoch of now_ms (current first; e-1 left out in epoch 0).
absl::StatusOr<std::vector<crypto::KeyEntry>> EpochKeyEntries(const config::Config& cfg,
                                                              const config::SecurityPolicy& p,
                                                              std::string_view local,
                                                              std::string_view remote,
                                                              uint64_t now_ms);

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_KEY_ROTATION_H_
