// SPDX-License-Identifier: Apache-2.0
// Shared by the burst crypto tests (burst_test.cc: sealing, burst_open_test.cc: opening): random
// bytes and IVs from the test's generator, placing a region in a frame for a SealJob, and copies of
// the frames' headers (which a burst must leave as it found them).
#ifndef SSR_TEST_CRYPTO_BURST_TEST_UTIL_H_
#define SSR_TEST_CRYPTO_BURST_TEST_UTIL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "crypto/burst.h"
#include "crypto/cbc.h"

namespace ssr::crypto::testing {

// `n` bytes from `rng` (one draw a byte).
inline std::vector<uint8_t> Random(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// An IV from `rng` (the same draws as Random(rng, kCbcIvSize)).
inline Iv RandomIv(std::mt19937& rng) {
  Iv iv;
  for (auto& b : iv) b = static_cast<uint8_t>(rng());
  return iv;
}

// Copies prefix and payload into `frame` at `header` (the region) and returns the job sealing
// them there: buffer, region_offset, prefix_len and payload_len set, the rest left to the caller.
inline SealJob PlaceForSeal(std::vector<uint8_t>& frame, size_t header,
                            const std::vector<uint8_t>& prefix,
                            const std::vector<uint8_t>& payload) {
  std::copy(prefix.begin(), prefix.end(), frame.begin() + static_cast<long>(header));
  std::copy(payload.begin(), payload.end(),
            frame.begin() + static_cast<long>(header + prefix.size()));
  SealJob job;
  job.buffer = frame;
  job.region_offset = header;
  job.prefix_len = prefix.size();
  job.payload_len = payload.size();
  return job;
}

// The first `header` bytes of every frame.
inline std::vector<std::vector<uint8_t>> Headers(const std::vector<std::vector<uint8_t>>& frames,
                                                 size_t header) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& f : frames) out.emplace_back(f.begin(), f.begin() + static_cast<long>(header));
  return out;
}

}  // namespace ssr::crypto::testing

#endif  // SSR_TEST_CRYPTO_BURST_TEST_UTIL_H_
