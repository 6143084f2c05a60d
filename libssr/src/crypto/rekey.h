// SPDX-License-Identifier: Apache-2.0
// Automatic rekeying with no exchange protocol (docs/protocol.md §4.7.1): epoch keys of a router
// pair derived from a master key, and the Security IDs that name them.
//
// Design note. Both routers of a peering know the master key (config), the organization and both
// router names, and read the same unix clock (NTP). Each derives, per key purpose,
//   key = HKDF-SHA256(ikm = master, salt = "libssr rekey v1",
//                     info = S(organization) || S(lo) || S(hi) || S(purpose) || epoch (8 bytes BE))
// where S(x) = length of x (2 bytes, big-endian) || x, lo / hi are the two router names in
// bytewise order (so both ends build the same info), purpose is "hmac" or "cipher", and epoch =
// floor(unix seconds / interval). The length prefixes keep the encoding injective.
// The key of an epoch is named on the wire (Security ID, TLV 16) by 0x80000000 | (epoch mod 2^31):
// the high bit marks an epoch key, and configs that rekey reserve that half of the id space
// (Key.id at most 0x7fffffff), so an epoch id never names a configured key. The receiver knows
// its own epoch; the 31 low bits tell it the sender's modulo 2^31 epochs (over 4000 years at the
// shortest interval, 60 s).
// Derivation allocates and calls OpenSSL: it runs when the pipeline prepares the next epoch's
// crypto (pipeline/rekey.cc), never per packet.
#ifndef SSR_CRYPTO_REKEY_H_
#define SSR_CRYPTO_REKEY_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ssr::crypto {

inline constexpr uint32_t kEpochKeyIdFlag = 0x8000'0000u;
inline constexpr uint32_t kEpochKeyIdMask = 0x7fff'ffffu;
// The largest Key.id a config that rekeys may use.
inline constexpr uint32_t kMaxConfiguredKeyIdWithRekey = kEpochKeyIdMask;
inline constexpr char kRekeySalt[] = "libssr rekey v1";

constexpr uint32_t EpochKeyId(uint64_t epoch) {
  return kEpochKeyIdFlag | static_cast<uint32_t>(epoch & kEpochKeyIdMask);
}
constexpr bool IsEpochKeyId(uint32_t id) { return (id & kEpochKeyIdFlag) != 0; }
// Epoch of unix time `unix_ms` for an interval of `interval_ms` (> 0).
constexpr uint64_t EpochOf(uint64_t unix_ms, uint64_t interval_ms) { return unix_ms / interval_ms; }

enum class RekeyPurpose : uint8_t { kHmac, kCipher };
std::string_view RekeyPurposeName(RekeyPurpose p);  // "hmac", "cipher"

// The HKDF info of the design note. InvalidArgument if a string is longer than 65535 bytes.
absl::StatusOr<std::vector<uint8_t>> EpochKeyInfo(std::string_view organization,
                                                  std::string_view router_a,
                                                  std::string_view router_b, RekeyPurpose purpose,
                                                  uint64_t epoch);

// The `length`-byte key of `purpose` for the pair {router_a, router_b} (either order) in `epoch`.
absl::StatusOr<std::vector<uint8_t>> DeriveEpochKey(std::span<const uint8_t> master,
                                                    std::string_view organization,
                                                    std::string_view router_a,
                                                    std::string_view router_b,
                                                    RekeyPurpose purpose, uint64_t epoch,
                                                    size_t length);

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_REKEY_H_
