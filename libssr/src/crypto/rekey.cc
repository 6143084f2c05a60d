// SPDX-License-Identifier: Apache-2.0
#include "crypto/rekey.h"

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/hkdf.h"

namespace ssr::crypto {

std::string_view RekeyPurposeName(RekeyPurpose p) {
  return p == RekeyPurpose::kHmac ? "hmac" : "cipher";
}

absl::StatusOr<std::vector<uint8_t>> EpochKeyInfo(std::string_view organization,
                                                  std::string_view router_a,
                                                  std::string_view router_b, RekeyPurpose purpose,
                                                  uint64_t epoch) {
  if (router_b < router_a) std::swap(router_a, router_b);
  std::vector<uint8_t> info;
  for (const std::string_view s :
       {organization, router_a, router_b, RekeyPurposeName(purpose)}) {
    if (s.size() > 0xffff) {
      return absl::InvalidArgumentError(
          absl::StrCat("rekey: a name of ", s.size(), " bytes is too long (at most 65535)"));
    }
    info.push_back(static_cast<uint8_t>(s.size() >> 8));
    info.push_back(static_cast<uint8_t>(s.size()));
    info.insert(info.end(), s.begin(), s.end());
  }
  for (int shift = 56; shift >= 0; shift -= 8) {
    info.push_back(static_cast<uint8_t>(epoch >> shift));
  }
  return info;
}

absl::StatusOr<std::vector<uint8_t>> DeriveEpochKey(std::span<const uint8_t> master,
                                                    std::string_view organization,
                                                    std::string_view router_a,
                                                    std::string_view router_b,
                                                    RekeyPurpose purpose, uint64_t epoch,
                                                    size_t length) {
  absl::StatusOr<std::vector<uint8_t>> info =
      EpochKeyInfo(organization, router_a, router_b, purpose, epoch);
  if (!info.ok()) return info.status();
  const std::string_view salt(kRekeySalt);
  return HkdfSha256(master,
                    std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(salt.data()),
                                             salt.size()),
                    *info, length);
}

}  // namespace ssr::crypto
