// SPDX-License-Identifier: Apache-2.0
#include "crypto/burst.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/byte_order.h"

#if SSR_HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#endif

namespace ssr::crypto {

#if SSR_HAVE_IPSEC_MB

bool BurstCryptoBuilt() { return true; }

namespace {
constexpr size_t kSha256Block = 64;
constexpr size_t kSha256Digest = 32;
}  // namespace

struct BurstSealer::State {
  IMB_MGR* mgr = nullptr;
  IMB_ARCH arch = IMB_ARCH_NONE;
  uint64_t key_len = 0;
  // Expanded AES keys (at most 15 round keys) and the SHA-256 states after one block of
  // key ^ ipad / key ^ opad, as the job API takes them.
  alignas(64) std::array<uint8_t, 16 * 15> enc_keys{};
  alignas(64) std::array<uint8_t, 16 * 15> dec_keys{};
  alignas(64) std::array<uint8_t, kSha256Digest> ipad{};
  alignas(64) std::array<uint8_t, kSha256Digest> opad{};
  // The 8 bytes each job's window overwrote, restored when the burst is done.
  std::array<std::array<uint8_t, kTimeWindowPrefixSize>, kMaxBurst> saved{};

  ~State() {
    OPENSSL_cleanse(enc_keys.data(), enc_keys.size());
    OPENSSL_cleanse(dec_keys.data(), dec_keys.size());
    OPENSSL_cleanse(ipad.data(), ipad.size());
    OPENSSL_cleanse(opad.data(), opad.size());
    if (mgr != nullptr) free_mb_mgr(mgr);
  }
};

absl::StatusOr<std::unique_ptr<BurstSealer>> BurstSealer::Create(
    CipherSuite cipher, std::span<const uint8_t> cipher_key, HmacSuite hmac,
    std::span<const uint8_t> hmac_key, HmacMode mode, uint32_t window_ms) {
  if (!IsCbc(cipher)) {
    return absl::InvalidArgumentError(
        absl::StrCat("burst sealing: cipher ", std::string(CipherSuiteName(cipher)), " is not AES-CBC"));
  }
  if (cipher_key.size() != CipherKeySize(cipher)) {
    return absl::InvalidArgumentError(absl::StrCat("burst sealing: ", std::string(CipherSuiteName(cipher)),
                                                   " needs a ", CipherKeySize(cipher),
                                                   "-byte key, got ", cipher_key.size()));
  }
  if (hmac != HmacSuite::kSha256 && hmac != HmacSuite::kSha256_128) {
    return absl::InvalidArgumentError(
        absl::StrCat("burst sealing: hmac ", std::string(HmacSuiteName(hmac)), " is not HMAC-SHA256"));
  }
  if (hmac_key.empty()) return absl::InvalidArgumentError("burst sealing: empty HMAC key");

  std::unique_ptr<BurstSealer> s(new BurstSealer());
  s->state_ = std::make_unique<State>();
  State& st = *s->state_;
  st.mgr = alloc_mb_mgr(0);
  if (st.mgr == nullptr) return absl::ResourceExhaustedError("burst sealing: alloc_mb_mgr failed");
  init_mb_mgr_auto(st.mgr, &st.arch);
  if (imb_get_errno(st.mgr) != 0 || st.arch == IMB_ARCH_NONE) {
    return absl::UnavailableError(absl::StrCat("burst sealing: intel-ipsec-mb found no usable code path: ",
                                               imb_get_strerror(imb_get_errno(st.mgr))));
  }
  // The multi-buffer gain needs wide AES: an SSE-only manager would seal no faster than OpenSSL.
  if (st.arch != IMB_ARCH_AVX512 && st.arch != IMB_ARCH_AVX2) {
    return absl::UnavailableError(
        "burst sealing: the CPU offers no AVX2/AVX-512 AES path; OpenSSL seals one packet at a time");
  }
  st.key_len = cipher_key.size();
  if (st.key_len == 32) {
    IMB_AES_KEYEXP_256(st.mgr, cipher_key.data(), st.enc_keys.data(), st.dec_keys.data());
  } else {
    IMB_AES_KEYEXP_128(st.mgr, cipher_key.data(), st.enc_keys.data(), st.dec_keys.data());
  }
  // RFC 2104: a key longer than the block is hashed first; the pads are key ^ 0x36 / 0x5c.
  std::array<uint8_t, kSha256Block> key_block{};
  if (hmac_key.size() > kSha256Block) {
    IMB_SHA256(st.mgr, hmac_key.data(), hmac_key.size(), key_block.data());
  } else {
    std::memcpy(key_block.data(), hmac_key.data(), hmac_key.size());
  }
  std::array<uint8_t, kSha256Block> pad{};
  for (size_t i = 0; i < kSha256Block; ++i) pad[i] = key_block[i] ^ 0x36;
  IMB_SHA256_ONE_BLOCK(st.mgr, pad.data(), st.ipad.data());
  for (size_t i = 0; i < kSha256Block; ++i) pad[i] = key_block[i] ^ 0x5c;
  IMB_SHA256_ONE_BLOCK(st.mgr, pad.data(), st.opad.data());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(key_block.data(), key_block.size());
  if (imb_get_errno(st.mgr) != 0) {
    return absl::InternalError(absl::StrCat("burst sealing: key setup failed: ",
                                            imb_get_strerror(imb_get_errno(st.mgr))));
  }
  s->tag_size_ = HmacTagSize(hmac);
  s->timed_ = mode == HmacMode::kTimeBased;
  s->window_ms_ = window_ms == 0 ? kDefaultTimeWindowMs : window_ms;
  return s;
}

BurstSealer::~BurstSealer() = default;

std::string_view BurstSealer::arch() const {
  switch (state_->arch) {
    case IMB_ARCH_AVX512: return "avx512";
    case IMB_ARCH_AVX2: return "avx2";
    case IMB_ARCH_AVX: return "avx";
    case IMB_ARCH_SSE: return "sse";
    case IMB_ARCH_NOAESNI: return "no-aesni";
    default: return "none";
  }
}

void BurstSealer::Seal(std::span<SealJob> jobs, uint64_t now_ms) noexcept {
  State& st = *state_;
  const size_t n = std::min(jobs.size(), kMaxBurst);
  for (size_t i = n; i < jobs.size(); ++i) jobs[i].result = CryptoResult::kNotConfigured;
  std::array<uint8_t, kTimeWindowPrefixSize> window{};
  internal::StoreBigEndian64(TimeWindowOf(now_ms, window_ms_), window.data());
  const size_t prefix = timed_ ? kTimeWindowPrefixSize : 0;

  for (size_t i = 0; i < n; ++i) {
    SealJob& j = jobs[i];
    const size_t padded = CbcPaddedSize(j.payload_len);
    const size_t need = j.prefix_len + padded + kCbcIvSize + tag_size_;
    if (j.region_offset > j.buffer.size() || j.buffer.size() - j.region_offset < need) {
      j.result = CryptoResult::kBufferTooSmall;
      continue;
    }
    if (j.region_offset < prefix) {
      j.result = CryptoResult::kTooShort;
      continue;
    }
    uint8_t* region = j.buffer.data() + j.region_offset;
    // PKCS#7 padding and the IV trailer are written before the job runs: the job encrypts the
    // padded payload in place and then hashes prefix, ciphertext and IV in one pass.
    uint8_t* payload = region + j.prefix_len;
    const uint8_t pad = static_cast<uint8_t>(padded - j.payload_len);
    std::memset(payload + j.payload_len, pad, pad);
    uint8_t* iv_at = payload + padded;
    std::memcpy(iv_at, j.iv, kCbcIvSize);
    if (timed_) {
      std::memcpy(st.saved[i].data(), region - prefix, prefix);
      std::memcpy(region - prefix, window.data(), prefix);
    }
    j.out_len = j.prefix_len + padded + kCbcIvSize + tag_size_;
    j.result = CryptoResult::kCipherError;  // until the library reports the job complete

    IMB_JOB* job = IMB_GET_NEXT_JOB(st.mgr);
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->chain_order = IMB_ORDER_CIPHER_HASH;
    job->cipher_mode = IMB_CIPHER_CBC;
    job->enc_keys = st.enc_keys.data();
    job->dec_keys = st.dec_keys.data();
    job->key_len_in_bytes = st.key_len;
    job->src = region - prefix;
    job->dst = payload;
    job->cipher_start_src_offset_in_bytes = prefix + j.prefix_len;
    job->msg_len_to_cipher_in_bytes = padded;
    job->iv = iv_at;
    job->iv_len_in_bytes = kCbcIvSize;
    job->hash_alg = IMB_AUTH_HMAC_SHA_256;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = prefix + j.prefix_len + padded + kCbcIvSize;
    job->u.HMAC._hashed_auth_key_xor_ipad = st.ipad.data();
    job->u.HMAC._hashed_auth_key_xor_opad = st.opad.data();
    job->auth_tag_output = iv_at + kCbcIvSize;
    job->auth_tag_output_len_in_bytes = tag_size_;
    job->user_data = &j;
    for (IMB_JOB* done = IMB_SUBMIT_JOB(st.mgr); done != nullptr;
         done = IMB_GET_COMPLETED_JOB(st.mgr)) {
      static_cast<SealJob*>(done->user_data)->result =
          done->status == IMB_STATUS_COMPLETED ? CryptoResult::kOk : CryptoResult::kCipherError;
    }
  }
  for (IMB_JOB* done = IMB_FLUSH_JOB(st.mgr); done != nullptr; done = IMB_FLUSH_JOB(st.mgr)) {
    static_cast<SealJob*>(done->user_data)->result =
        done->status == IMB_STATUS_COMPLETED ? CryptoResult::kOk : CryptoResult::kCipherError;
  }
  if (timed_) {
    for (size_t i = 0; i < n; ++i) {
      SealJob& j = jobs[i];
      if (j.result == CryptoResult::kBufferTooSmall || j.result == CryptoResult::kTooShort) continue;
      std::memcpy(j.buffer.data() + j.region_offset - prefix, st.saved[i].data(), prefix);
    }
  }
}

#else  // !SSR_HAVE_IPSEC_MB

bool BurstCryptoBuilt() { return false; }

struct BurstSealer::State {};

absl::StatusOr<std::unique_ptr<BurstSealer>> BurstSealer::Create(CipherSuite, std::span<const uint8_t>,
                                                                 HmacSuite, std::span<const uint8_t>,
                                                                 HmacMode, uint32_t) {
  return absl::UnavailableError(
      "burst sealing: libssr was built without intel-ipsec-mb (Debian libipsec-mb-dev); OpenSSL "
      "seals one packet at a time");
}

BurstSealer::~BurstSealer() = default;
std::string_view BurstSealer::arch() const { return "none"; }
void BurstSealer::Seal(std::span<SealJob> jobs, uint64_t) noexcept {
  for (SealJob& j : jobs) j.result = CryptoResult::kNotConfigured;
}

#endif  // SSR_HAVE_IPSEC_MB

}  // namespace ssr::crypto
