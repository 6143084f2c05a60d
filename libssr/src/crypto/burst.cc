// SPDX-License-Identifier: Apache-2.0
#include "crypto/burst.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/base/const_init.h"
#include "absl/synchronization/mutex.h"
#include "crypto/byte_order.h"
#include "util/status_macros.h"

#if SSR_HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#endif

namespace ssr::crypto {

#if SSR_HAVE_IPSEC_MB

bool BurstCryptoBuilt() { return true; }

namespace {
constexpr size_t kSha256Block = 64;

// One manager for key setup (expansion, pads) shared by every Prepare* call, made on first use
// and kept for the process: key setup happens at config time, under this lock.
absl::Mutex g_setup_mu(absl::kConstInit);
IMB_MGR* g_setup_mgr ABSL_GUARDED_BY(g_setup_mu) = nullptr;

IMB_MGR* SetupManagerLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_setup_mu) {
  if (g_setup_mgr == nullptr) {
    IMB_MGR* m = alloc_mb_mgr(0);
    if (m == nullptr) return nullptr;
    IMB_ARCH arch = IMB_ARCH_NONE;
    init_mb_mgr_auto(m, &arch);
    if (imb_get_errno(m) != 0 || arch == IMB_ARCH_NONE) {
      free_mb_mgr(m);
      return nullptr;
    }
    g_setup_mgr = m;
  }
  return g_setup_mgr;
}

absl::Status CheckCipher(CipherSuite cipher, std::span<const uint8_t> key) {
  if (!IsCbc(cipher)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "burst sealing: cipher ", std::string(CipherSuiteName(cipher)), " is not AES-CBC"));
  }
  if (key.size() != CipherKeySize(cipher)) {
    return absl::InvalidArgumentError(
        absl::StrCat("burst sealing: ", std::string(CipherSuiteName(cipher)), " needs a ",
                     CipherKeySize(cipher), "-byte key, got ", key.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckHmac(HmacSuite hmac, std::span<const uint8_t> key) {
  if (hmac != HmacSuite::kSha256 && hmac != HmacSuite::kSha256_128) {
    return absl::InvalidArgumentError(absl::StrCat(
        "burst sealing: hmac ", std::string(HmacSuiteName(hmac)), " is not HMAC-SHA256"));
  }
  if (key.empty()) return absl::InvalidArgumentError("burst sealing: empty HMAC key");
  return absl::OkStatus();
}

// A job manager for `what` ("burst sealing", "burst opening") with the widest code path the CPU
// has, or why there is none worth using: the multi-buffer gain needs wide AES, an SSE-only
// manager would be no faster than OpenSSL one packet at a time (`fallback` says what happens
// instead). `*mgr` is set as soon as it is allocated (the caller frees it).
absl::Status InitWideManager(IMB_MGR** mgr, IMB_ARCH* arch, const char* what,
                             const char* fallback) {
  *mgr = alloc_mb_mgr(0);
  if (*mgr == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": alloc_mb_mgr failed"));
  }
  init_mb_mgr_auto(*mgr, arch);
  if (imb_get_errno(*mgr) != 0 || *arch == IMB_ARCH_NONE) {
    return absl::UnavailableError(absl::StrCat(what, ": intel-ipsec-mb found no usable code path: ",
                                               imb_get_strerror(imb_get_errno(*mgr))));
  }
  if (*arch != IMB_ARCH_AVX512 && *arch != IMB_ARCH_AVX2) {
    return absl::UnavailableError(
        absl::StrCat(what, ": the CPU offers no AVX2/AVX-512 AES path; ", fallback));
  }
  return absl::OkStatus();
}

}  // namespace

BurstCipherKey::~BurstCipherKey() {
  OPENSSL_cleanse(enc.data(), enc.size());
  OPENSSL_cleanse(dec.data(), dec.size());
}

BurstHmacKey::~BurstHmacKey() {
  OPENSSL_cleanse(ipad.data(), ipad.size());
  OPENSSL_cleanse(opad.data(), opad.size());
}

absl::Status PrepareBurstCipherKey(CipherSuite cipher, std::span<const uint8_t> key,
                                   BurstCipherKey* out) {
  SSR_RETURN_IF_ERROR(CheckCipher(cipher, key));
  absl::MutexLock lock(&g_setup_mu);
  IMB_MGR* m = SetupManagerLocked();
  if (m == nullptr) return absl::UnavailableError("burst sealing: intel-ipsec-mb setup failed");
  out->key_len = key.size();
  if (key.size() == 32) {
    IMB_AES_KEYEXP_256(m, key.data(), out->enc.data(), out->dec.data());
  } else {
    IMB_AES_KEYEXP_128(m, key.data(), out->enc.data(), out->dec.data());
  }
  if (imb_get_errno(m) != 0) {
    return absl::InternalError(
        absl::StrCat("burst sealing: key setup failed: ", imb_get_strerror(imb_get_errno(m))));
  }
  return absl::OkStatus();
}

absl::Status PrepareBurstHmacKey(HmacSuite hmac, std::span<const uint8_t> key, HmacMode mode,
                                 uint32_t window_ms, BurstHmacKey* out) {
  SSR_RETURN_IF_ERROR(CheckHmac(hmac, key));
  absl::MutexLock lock(&g_setup_mu);
  IMB_MGR* m = SetupManagerLocked();
  if (m == nullptr) return absl::UnavailableError("burst sealing: intel-ipsec-mb setup failed");
  // RFC 2104: a key longer than the block is hashed first; the pads are key ^ 0x36 / 0x5c.
  std::array<uint8_t, kSha256Block> key_block{};
  if (key.size() > kSha256Block) {
    IMB_SHA256(m, key.data(), key.size(), key_block.data());
  } else {
    std::memcpy(key_block.data(), key.data(), key.size());
  }
  std::array<uint8_t, kSha256Block> pad{};
  for (size_t i = 0; i < kSha256Block; ++i) pad[i] = key_block[i] ^ 0x36;
  IMB_SHA256_ONE_BLOCK(m, pad.data(), out->ipad.data());
  for (size_t i = 0; i < kSha256Block; ++i) pad[i] = key_block[i] ^ 0x5c;
  IMB_SHA256_ONE_BLOCK(m, pad.data(), out->opad.data());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(key_block.data(), key_block.size());
  if (imb_get_errno(m) != 0) {
    return absl::InternalError(
        absl::StrCat("burst sealing: key setup failed: ", imb_get_strerror(imb_get_errno(m))));
  }
  out->tag_size = HmacTagSize(hmac);
  out->timed = mode == HmacMode::kTimeBased;
  out->window_ms = window_ms == 0 ? kDefaultTimeWindowMs : window_ms;
  return absl::OkStatus();
}

struct BurstSealer::State {
  IMB_MGR* mgr = nullptr;
  IMB_ARCH arch = IMB_ARCH_NONE;
  // The sealer's own keys (Create), for jobs that bring none; absent for CreateEngine.
  bool has_keys = false;
  BurstCipherKey cipher;
  BurstHmacKey hmac;
  // The 8 bytes each job's window overwrote, restored when the burst is done.
  std::array<std::array<uint8_t, kTimeWindowPrefixSize>, kMaxBurst> saved{};
  std::array<uint8_t, kMaxBurst> timed{};  // 1: job i overwrote its 8 bytes

  ~State() {
    if (mgr != nullptr) free_mb_mgr(mgr);
  }
};

absl::StatusOr<std::unique_ptr<BurstSealer>> BurstSealer::CreateEngine() {
  std::unique_ptr<BurstSealer> s(new BurstSealer());
  s->state_ = std::make_unique<State>();
  State& st = *s->state_;
  if (absl::Status init =
          InitWideManager(&st.mgr, &st.arch, "burst sealing", "OpenSSL seals one packet at a time");
      !init.ok()) {
    return init;
  }
  return s;
}

absl::StatusOr<std::unique_ptr<BurstSealer>> BurstSealer::Create(
    CipherSuite cipher, std::span<const uint8_t> cipher_key, HmacSuite hmac,
    std::span<const uint8_t> hmac_key, HmacMode mode, uint32_t window_ms) {
  SSR_RETURN_IF_ERROR(CheckCipher(cipher, cipher_key));
  SSR_RETURN_IF_ERROR(CheckHmac(hmac, hmac_key));
  SSR_ASSIGN_OR_RETURN(std::unique_ptr<BurstSealer> s, CreateEngine());
  State& st = *s->state_;
  SSR_RETURN_IF_ERROR(PrepareBurstCipherKey(cipher, cipher_key, &st.cipher));
  SSR_RETURN_IF_ERROR(PrepareBurstHmacKey(hmac, hmac_key, mode, window_ms, &st.hmac));
  st.has_keys = true;
  s->tag_size_ = st.hmac.tag_size;
  s->timed_ = st.hmac.timed;
  s->window_ms_ = st.hmac.window_ms;
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

namespace {
void Complete(IMB_JOB* done) {
  static_cast<SealJob*>(done->user_data)->result =
      done->status == IMB_STATUS_COMPLETED ? CryptoResult::kOk : CryptoResult::kCipherError;
}
}  // namespace

void BurstSealer::Seal(std::span<SealJob> jobs, uint64_t now_ms) noexcept {
  State& st = *state_;
  const size_t n = std::min(jobs.size(), kMaxBurst);
  for (size_t i = n; i < jobs.size(); ++i) jobs[i].result = CryptoResult::kNotConfigured;
  // The window T of the burst's clock, per distinct window length (one in practice).
  uint32_t window_of = 0;
  std::array<uint8_t, kTimeWindowPrefixSize> window{};
  bool any_timed = false;

  for (size_t i = 0; i < n; ++i) {
    SealJob& j = jobs[i];
    st.timed[i] = 0;
    const BurstCipherKey* ck = j.cipher_key != nullptr ? j.cipher_key
                               : st.has_keys           ? &st.cipher
                                                       : nullptr;
    const BurstHmacKey* hk = j.hmac_key != nullptr ? j.hmac_key
                             : st.has_keys         ? &st.hmac
                                                   : nullptr;
    if ((ck == nullptr && j.encrypt) || hk == nullptr) {
      j.result = CryptoResult::kNotConfigured;
      continue;
    }
    const size_t prefix = hk->timed ? kTimeWindowPrefixSize : 0;
    const size_t padded = j.encrypt ? CbcPaddedSize(j.payload_len) : j.payload_len;
    const size_t iv_len = j.encrypt ? kCbcIvSize : 0;
    const size_t need = j.prefix_len + padded + iv_len + hk->tag_size;
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
    uint8_t* iv_at = payload + padded;
    if (j.encrypt) {
      const uint8_t pad = static_cast<uint8_t>(padded - j.payload_len);
      std::memset(payload + j.payload_len, pad, pad);
      std::memcpy(iv_at, j.iv, kCbcIvSize);
    }
    if (hk->timed) {
      if (window_of != hk->window_ms) {
        internal::StoreBigEndian64(TimeWindowOf(now_ms, hk->window_ms), window.data());
        window_of = hk->window_ms;
      }
      std::memcpy(st.saved[i].data(), region - prefix, prefix);
      std::memcpy(region - prefix, window.data(), prefix);
      st.timed[i] = 1;
      any_timed = true;
    }
    j.out_len = need;
    j.result = CryptoResult::kCipherError;  // until the library reports the job complete

    IMB_JOB* job = IMB_GET_NEXT_JOB(st.mgr);
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->chain_order = IMB_ORDER_CIPHER_HASH;
    job->src = region - prefix;
    if (j.encrypt) {
      job->cipher_mode = IMB_CIPHER_CBC;
      job->enc_keys = ck->enc.data();
      job->dec_keys = ck->dec.data();
      job->key_len_in_bytes = ck->key_len;
      job->dst = payload;
      job->cipher_start_src_offset_in_bytes = prefix + j.prefix_len;
      job->msg_len_to_cipher_in_bytes = padded;
      job->iv = iv_at;
      job->iv_len_in_bytes = kCbcIvSize;
    } else {  // hash only: the library's NULL cipher leaves the bytes alone
      job->cipher_mode = IMB_CIPHER_NULL;
      job->enc_keys = nullptr;
      job->dec_keys = nullptr;
      job->key_len_in_bytes = 0;
      job->dst = region - prefix;
      job->cipher_start_src_offset_in_bytes = 0;
      job->msg_len_to_cipher_in_bytes = 0;
      job->iv = nullptr;
      job->iv_len_in_bytes = 0;
    }
    job->hash_alg = IMB_AUTH_HMAC_SHA_256;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = prefix + j.prefix_len + padded + iv_len;
    job->u.HMAC._hashed_auth_key_xor_ipad = hk->ipad.data();
    job->u.HMAC._hashed_auth_key_xor_opad = hk->opad.data();
    job->auth_tag_output = iv_at + iv_len;
    job->auth_tag_output_len_in_bytes = hk->tag_size;
    job->user_data = &j;
    for (IMB_JOB* done = IMB_SUBMIT_JOB(st.mgr); done != nullptr;
         done = IMB_GET_COMPLETED_JOB(st.mgr)) {
      Complete(done);
    }
  }
  for (IMB_JOB* done = IMB_FLUSH_JOB(st.mgr); done != nullptr; done = IMB_FLUSH_JOB(st.mgr)) {
    Complete(done);
  }
  if (any_timed) {
    for (size_t i = 0; i < n; ++i) {
      if (st.timed[i] == 0) continue;
      SealJob& j = jobs[i];
      std::memcpy(j.buffer.data() + j.region_offset - kTimeWindowPrefixSize, st.saved[i].data(),
                  kTimeWindowPrefixSize);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// BurstOpener

struct BurstOpener::State {
  IMB_MGR* mgr = nullptr;
  IMB_ARCH arch = IMB_ARCH_NONE;
  // Per job: the tag the library computed, the 8 bytes a window overwrote, and the state.
  std::array<std::array<uint8_t, 32>, kMaxBurst> tags{};
  std::array<std::array<uint8_t, kTimeWindowPrefixSize>, kMaxBurst> saved{};
  std::array<uint8_t, kMaxBurst> pending{};  // 1: the tag is still to be checked (this round)
  std::array<uint8_t, kMaxBurst> failed{};   // 1: the library failed a job of this packet
  ~State() {
    if (mgr != nullptr) free_mb_mgr(mgr);
  }
};

absl::StatusOr<std::unique_ptr<BurstOpener>> BurstOpener::Create() {
  std::unique_ptr<BurstOpener> o(new BurstOpener());
  o->state_ = std::make_unique<State>();
  State& st = *o->state_;
  if (absl::Status init =
          InitWideManager(&st.mgr, &st.arch, "burst opening", "OpenSSL opens one packet at a time");
      !init.ok()) {
    return init;
  }
  return o;
}

BurstOpener::~BurstOpener() = default;

namespace {

// The window PreparedHmac::Verify tries in its `round`-th step for current window t: T, T-1,
// T+1, then T-k, T+k for k = 2 .. 1 + probes (stale). False when the step does not exist or is
// skipped (T-k below zero).
bool WindowOfRound(uint64_t t, uint32_t probes, size_t round, uint64_t* w, bool* stale) {
  *stale = round >= 3;
  if (round == 0) {
    *w = t;
    return true;
  }
  if (round == 1) {
    *w = t - 1;
    return t >= 1;
  }
  if (round == 2) {
    *w = t + 1;
    return true;
  }
  const uint64_t k = 2 + (round - 3) / 2;
  if (k >= 2 + uint64_t{probes}) return false;
  if ((round - 3) % 2 == 0) {
    *w = t - k;
    return t >= k;
  }
  *w = t + k;
  return true;
}

size_t RoundsOf(const BurstHmacKey& k) { return k.timed ? 3 + 2 * size_t{k.stale_probe_windows} : 1; }

void CompleteHash(IMB_JOB* done, uint8_t* failed) {
  if (done->status != IMB_STATUS_COMPLETED) {
    failed[reinterpret_cast<uintptr_t>(done->user_data)] = 1;
  }
}

}  // namespace

void BurstOpener::Open(std::span<OpenJob> jobs, uint64_t now_ms) noexcept {
  State& st = *state_;
  const size_t n = std::min(jobs.size(), kMaxBurst);
  for (size_t i = n; i < jobs.size(); ++i) jobs[i].result = CryptoResult::kNotConfigured;
  size_t rounds = 0;
  for (size_t i = 0; i < n; ++i) {
    OpenJob& j = jobs[i];
    j.verified = false;
    st.pending[i] = 0;
    st.failed[i] = 0;
    const BurstHmacKey* hk = j.hmac_key;
    if (hk == nullptr || hk->tag_size == 0 || (j.decrypt && j.cipher_key == nullptr)) {
      j.result = CryptoResult::kNotConfigured;
      continue;
    }
    if (j.region_offset > j.buffer.size() || j.buffer.size() - j.region_offset < j.region_len ||
        (hk->timed && j.region_offset < kTimeWindowPrefixSize)) {
      j.result = CryptoResult::kBufferTooSmall;
      continue;
    }
    if (j.region_len < hk->tag_size) {
      j.result = CryptoResult::kTooShort;  // as PacketCrypto::Verify
      continue;
    }
    j.result = CryptoResult::kBadTag;  // until a window matches
    st.pending[i] = 1;
    rounds = std::max(rounds, RoundsOf(*hk));
  }

  // Hash rounds: round 0 is every packet under T (or without window); later rounds only the
  // packets that matched no window yet (the failure path, as PreparedHmac::Verify).
  for (size_t round = 0; round < rounds; ++round) {
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      if (st.pending[i] == 0) continue;
      OpenJob& j = jobs[i];
      const BurstHmacKey& hk = *j.hmac_key;
      if (round >= RoundsOf(hk)) {
        st.pending[i] = 0;  // no window left: kBadTag stays
        continue;
      }
      uint64_t w = 0;
      bool stale = false;
      const size_t prefix = hk.timed ? kTimeWindowPrefixSize : 0;
      if (hk.timed && !WindowOfRound(TimeWindowOf(now_ms, hk.window_ms), hk.stale_probe_windows,
                                     round, &w, &stale)) {
        continue;  // this step is skipped for this packet (T-k < 0): the next round tries on
      }
      uint8_t* region = j.buffer.data() + j.region_offset;
      if (hk.timed) {
        std::memcpy(st.saved[i].data(), region - prefix, prefix);
        internal::StoreBigEndian64(w, region - prefix);
      }
      IMB_JOB* job = IMB_GET_NEXT_JOB(st.mgr);
      job->cipher_direction = IMB_DIR_ENCRYPT;
      job->chain_order = IMB_ORDER_HASH_CIPHER;
      job->cipher_mode = IMB_CIPHER_NULL;
      job->enc_keys = nullptr;
      job->dec_keys = nullptr;
      job->key_len_in_bytes = 0;
      job->src = region - prefix;
      job->dst = region - prefix;
      job->cipher_start_src_offset_in_bytes = 0;
      job->msg_len_to_cipher_in_bytes = 0;
      job->iv = nullptr;
      job->iv_len_in_bytes = 0;
      job->hash_alg = IMB_AUTH_HMAC_SHA_256;
      job->hash_start_src_offset_in_bytes = 0;
      job->msg_len_to_hash_in_bytes = prefix + j.region_len - hk.tag_size;
      job->u.HMAC._hashed_auth_key_xor_ipad = hk.ipad.data();
      job->u.HMAC._hashed_auth_key_xor_opad = hk.opad.data();
      job->auth_tag_output = st.tags[i].data();
      job->auth_tag_output_len_in_bytes = hk.tag_size;
      job->user_data = reinterpret_cast<void*>(static_cast<uintptr_t>(i));
      any = true;
      for (IMB_JOB* done = IMB_SUBMIT_JOB(st.mgr); done != nullptr;
           done = IMB_GET_COMPLETED_JOB(st.mgr)) {
        CompleteHash(done, st.failed.data());
      }
      (void)stale;
    }
    if (!any) continue;
    for (IMB_JOB* done = IMB_FLUSH_JOB(st.mgr); done != nullptr; done = IMB_FLUSH_JOB(st.mgr)) {
      CompleteHash(done, st.failed.data());
    }
    // Compare (constant time in the tag bytes) and restore the windows' bytes.
    for (size_t i = 0; i < n; ++i) {
      if (st.pending[i] == 0) continue;
      OpenJob& j = jobs[i];
      const BurstHmacKey& hk = *j.hmac_key;
      uint64_t w = 0;
      bool stale = false;
      if (hk.timed && !WindowOfRound(TimeWindowOf(now_ms, hk.window_ms), hk.stale_probe_windows,
                                     round, &w, &stale)) {
        continue;
      }
      uint8_t* region = j.buffer.data() + j.region_offset;
      if (hk.timed) {
        std::memcpy(region - kTimeWindowPrefixSize, st.saved[i].data(), kTimeWindowPrefixSize);
      }
      if (st.failed[i] != 0) {
        j.result = CryptoResult::kCipherError;
        st.pending[i] = 0;
        continue;
      }
      const uint8_t* tag = region + j.region_len - hk.tag_size;
      if (CRYPTO_memcmp(tag, st.tags[i].data(), hk.tag_size) == 0) {
        j.result = stale ? CryptoResult::kStale : CryptoResult::kOk;
        st.pending[i] = 0;
      } else if (!hk.timed) {
        st.pending[i] = 0;  // regular mode: one window, kBadTag
      }
    }
  }

  // Decryption of the verified packets (PacketCrypto::OpenPayload's checks, then CBC in place).
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    OpenJob& j = jobs[i];
    if (j.result != CryptoResult::kOk) continue;
    j.verified = true;
    const size_t authed = j.region_len - j.hmac_key->tag_size;
    if (authed < j.prefix_len) {
      j.result = CryptoResult::kTooShort;  // as PacketCrypto::OpenPayload
      continue;
    }
    const size_t body = authed - j.prefix_len;
    if (!j.decrypt) {
      j.payload_len = body;
      continue;
    }
    if (body < kCbcIvSize + kAesBlockSize) {
      j.result = CryptoResult::kTooShort;
      continue;
    }
    const size_t ct_len = body - kCbcIvSize;
    if (ct_len % kAesBlockSize != 0) {
      j.result = CryptoResult::kNotBlockMultiple;
      continue;
    }
    uint8_t* ct = j.buffer.data() + j.region_offset + j.prefix_len;
    const BurstCipherKey& ck = *j.cipher_key;
    st.failed[i] = 0;
    IMB_JOB* job = IMB_GET_NEXT_JOB(st.mgr);
    job->cipher_direction = IMB_DIR_DECRYPT;
    job->chain_order = IMB_ORDER_HASH_CIPHER;
    job->cipher_mode = IMB_CIPHER_CBC;
    job->enc_keys = ck.enc.data();
    job->dec_keys = ck.dec.data();
    job->key_len_in_bytes = ck.key_len;
    job->src = ct;
    job->dst = ct;
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = ct_len;
    job->iv = ct + ct_len;  // the IV trailer, not overwritten (dst is the ciphertext only)
    job->iv_len_in_bytes = kCbcIvSize;
    job->hash_alg = IMB_AUTH_NULL;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = 0;
    job->auth_tag_output = nullptr;
    job->auth_tag_output_len_in_bytes = 0;
    job->user_data = reinterpret_cast<void*>(static_cast<uintptr_t>(i));
    j.payload_len = ct_len;  // padding checked below
    any = true;
    for (IMB_JOB* done = IMB_SUBMIT_JOB(st.mgr); done != nullptr;
         done = IMB_GET_COMPLETED_JOB(st.mgr)) {
      CompleteHash(done, st.failed.data());
    }
  }
  if (!any) return;
  for (IMB_JOB* done = IMB_FLUSH_JOB(st.mgr); done != nullptr; done = IMB_FLUSH_JOB(st.mgr)) {
    CompleteHash(done, st.failed.data());
  }
  for (size_t i = 0; i < n; ++i) {
    OpenJob& j = jobs[i];
    if (j.result != CryptoResult::kOk || !j.decrypt) continue;
    if (st.failed[i] != 0) {
      j.result = CryptoResult::kCipherError;
      continue;
    }
    // PKCS#7 check without data-dependent branches on the padding bytes (as AesCbc).
    const uint8_t* pt = j.buffer.data() + j.region_offset + j.prefix_len;
    const size_t len = j.payload_len;
    const uint8_t pad = pt[len - 1];
    unsigned bad = static_cast<unsigned>(pad == 0) | static_cast<unsigned>(pad > kAesBlockSize);
    for (size_t k = 0; k < kAesBlockSize; ++k) {
      const unsigned in_pad = 0u - static_cast<unsigned>(k < pad);
      bad |= in_pad & static_cast<unsigned>(pt[len - 1 - k] ^ pad);
    }
    if (bad != 0) {
      j.result = CryptoResult::kBadPadding;
      continue;
    }
    j.payload_len = len - pad;
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

absl::StatusOr<std::unique_ptr<BurstSealer>> BurstSealer::CreateEngine() {
  return BurstSealer::Create(CipherSuite::kNone, {}, HmacSuite::kNone, {}, HmacMode::kRegular, 0);
}
BurstCipherKey::~BurstCipherKey() = default;
BurstHmacKey::~BurstHmacKey() = default;
absl::Status PrepareBurstCipherKey(CipherSuite, std::span<const uint8_t>, BurstCipherKey*) {
  return absl::UnavailableError("burst sealing: built without intel-ipsec-mb");
}
absl::Status PrepareBurstHmacKey(HmacSuite, std::span<const uint8_t>, HmacMode, uint32_t,
                                 BurstHmacKey*) {
  return absl::UnavailableError("burst sealing: built without intel-ipsec-mb");
}
BurstSealer::~BurstSealer() = default;
std::string_view BurstSealer::arch() const { return "none"; }
void BurstSealer::Seal(std::span<SealJob> jobs, uint64_t) noexcept {
  for (SealJob& j : jobs) j.result = CryptoResult::kNotConfigured;
}
struct BurstOpener::State {};
absl::StatusOr<std::unique_ptr<BurstOpener>> BurstOpener::Create() {
  return absl::UnavailableError(
      "burst opening: libssr was built without intel-ipsec-mb (Debian libipsec-mb-dev); OpenSSL "
      "opens one packet at a time");
}
BurstOpener::~BurstOpener() = default;
void BurstOpener::Open(std::span<OpenJob> jobs, uint64_t) noexcept {
  for (OpenJob& j : jobs) j.result = CryptoResult::kNotConfigured;
}

#endif  // SSR_HAVE_IPSEC_MB

}  // namespace ssr::crypto
