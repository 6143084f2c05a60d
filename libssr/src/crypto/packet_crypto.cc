// SPDX-License-Identifier: Apache-2.0
#include "crypto/packet_crypto.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/byte_order.h"
#include "crypto/rekey.h"
#include "util/status_macros.h"

namespace ssr::crypto {
namespace {

constexpr uint64_t kHintShift = 62;

// nonce = salt(4) || explicit(8, big-endian)
GcmNonce MakeNonce(std::span<const uint8_t, kGcmSaltSize> salt, uint64_t explicit_nonce) {
  GcmNonce n;
  std::memcpy(n.data(), salt.data(), kGcmSaltSize);
  internal::StoreBigEndian64(explicit_nonce, n.data() + kGcmSaltSize);
  return n;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PacketCrypto>> PacketCrypto::Create(const SecurityPolicy& policy,
                                                                   const KeySnapshot& keys,
                                                                   NonceSpace nonce_space) {
  return CreateImpl(policy, keys, nonce_space, /*receive_only=*/false);
}

absl::StatusOr<std::unique_ptr<PacketCrypto>> PacketCrypto::CreateReceiveOnly(
    const SecurityPolicy& policy, const KeySnapshot& keys) {
  return CreateImpl(policy, keys, NonceSpace{}, /*receive_only=*/true);
}

absl::StatusOr<std::unique_ptr<PacketCrypto>> PacketCrypto::CreateImpl(const SecurityPolicy& policy,
                                                                       const KeySnapshot& keys,
                                                                       NonceSpace nonce_space,
                                                                       bool receive_only) {
  if (policy.hmac == HmacSuite::kSha1 && !receive_only) {
    return absl::InvalidArgumentError(
        "hmac-cipher sha1 is receive-only (O-16); it cannot sign outgoing packets");
  }
  if (nonce_space.sender_id > kMaxSenderId) {
    return absl::InvalidArgumentError(absl::StrCat("GCM sender id ", nonce_space.sender_id,
                                                   " exceeds 14 bits (max ", kMaxSenderId, ")"));
  }
  if (keys.entries().empty() || keys.entries().size() > kMaxKeysPerStore) {
    return absl::InvalidArgumentError(absl::StrCat("key snapshot holds ", keys.entries().size(),
                                                   " keys (1-", kMaxKeysPerStore, " allowed)"));
  }
  std::unique_ptr<PacketCrypto> pc(new PacketCrypto());
  pc->policy_ = policy;
  pc->receive_only_ = receive_only;
  pc->generation_ = keys.generation();
  pc->nonce_space_ = nonce_space;
  if (nonce_space.sequence != nullptr) pc->sequence_ = nonce_space.sequence;
  for (const KeyEntry& e : keys.entries()) {
    if (e.id == 0) return absl::InvalidArgumentError("security id 0 is reserved");
    KeySlot& slot = pc->slots_[pc->slot_count_++];
    slot.id = e.id;
    slot.accept_until_ms = e.accept_until_ms;
    slot.accept_from_ms = e.accept_from_ms;
    slot.epoch = e.epoch;
    pc->has_epoch_keys_ = pc->has_epoch_keys_ || e.epoch;
    if (policy.hmac != HmacSuite::kNone) {
      auto h = PreparedHmac::Create(policy.hmac, e.material.hmac_key);
      if (!h.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("security id ", e.id, ": ", h.status().message()));
      }
      slot.hmac.emplace(std::move(h).value());
      // The burst form (crypto/burst.h) where it applies; without it the scalar path signs.
      if (BurstCryptoBuilt() && !receive_only &&
          (policy.hmac == HmacSuite::kSha256 || policy.hmac == HmacSuite::kSha256_128)) {
        auto bk = std::make_unique<BurstHmacKey>();
        if (PrepareBurstHmacKey(policy.hmac, e.material.hmac_key, policy.hmac_mode,
                                policy.time.window_ms, bk.get())
                .ok()) {
          bk->stale_probe_windows = policy.time.stale_probe_windows;
          slot.burst_hmac = std::move(bk);
        }
      }
    }
    if (IsCbc(policy.cipher)) {
      auto c = AesCbc::Create(policy.cipher, e.material.cipher_key);
      if (!c.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("security id ", e.id, ": ", c.status().message()));
      }
      slot.cbc.emplace(std::move(c).value());
      if (BurstCryptoBuilt() && !receive_only) {
        auto bk = std::make_unique<BurstCipherKey>();
        if (PrepareBurstCipherKey(policy.cipher, e.material.cipher_key, bk.get()).ok()) {
          slot.burst_cbc = std::move(bk);
        }
      }
    } else if (IsGcm(policy.cipher)) {
      auto g = AesGcm::Create(policy.cipher, e.material.cipher_key);
      if (!g.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("security id ", e.id, ": ", g.status().message()));
      }
      slot.gcm.emplace(std::move(g).value());
    }
  }
  if (keys.entries().front().role != KeyRole::kCurrent) {
    return absl::InvalidArgumentError("key snapshot does not start with its current key");
  }
  if (IsCbc(policy.cipher)) {
    SSR_ASSIGN_OR_RETURN(IvGenerator iv, IvGenerator::Create());
    pc->iv_.emplace(std::move(iv));
  }
  return pc;
}

PacketCrypto::KeySlot* PacketCrypto::FindSlot(uint32_t id, uint64_t now_ms) noexcept {
  for (size_t i = 0; i < slot_count_; ++i) {
    if (slots_[i].id == id) {
      if (slots_[i].Live(now_ms)) return &slots_[i];
      counters_.Increment(slots_[i].epoch ? CryptoCounter::kRekeyEpochSkew
                                          : CryptoCounter::kKeyExpired);
      return nullptr;
    }
  }
  // An epoch id this policy holds no key for: an epoch beyond the neighbouring ones.
  counters_.Increment(has_epoch_keys_ && IsEpochKeyId(id) ? CryptoCounter::kRekeyEpochSkew
                                                          : CryptoCounter::kUnknownKeyId);
  return nullptr;
}

const PacketCrypto::KeySlot* PacketCrypto::SlotOf(uint32_t id) const noexcept {
  for (size_t i = 0; i < slot_count_; ++i) {
    if (slots_[i].id == id) return &slots_[i];
  }
  return nullptr;
}

PacketCrypto::KeySlot* PacketCrypto::FindSlotQuiet(uint32_t id) noexcept {
  for (size_t i = 0; i < slot_count_; ++i) {
    if (slots_[i].id == id) return &slots_[i];
  }
  return nullptr;
}

bool PacketCrypto::Accepts(uint32_t security_id, uint64_t now_ms) const noexcept {
  const KeySlot* k = SlotOf(security_id);
  return k != nullptr && k->Live(now_ms);
}

CryptoResult PacketCrypto::CountFailure(CryptoResult r, bool aead) noexcept {
  switch (r) {
    case CryptoResult::kOk:
      break;
    case CryptoResult::kBadTag:
      counters_.Increment(aead ? CryptoCounter::kDecryptFail : CryptoCounter::kHmacFail);
      break;
    case CryptoResult::kStale:
      counters_.Increment(CryptoCounter::kHmacStale);
      break;
    case CryptoResult::kUnknownKeyId:
      break;  // counted in FindSlot
    case CryptoResult::kTooShort:
      counters_.Increment(CryptoCounter::kTooShort);
      break;
    case CryptoResult::kNotBlockMultiple:
      counters_.Increment(CryptoCounter::kNotBlockMultiple);
      break;
    case CryptoResult::kBadPadding:
      counters_.Increment(CryptoCounter::kBadPadding);
      break;
    case CryptoResult::kBufferTooSmall:
      counters_.Increment(CryptoCounter::kBufferTooSmall);
      break;
    case CryptoResult::kNonceExhausted:
      counters_.Increment(CryptoCounter::kNonceExhausted);
      break;
    case CryptoResult::kVerifyOnlySuite:
      counters_.Increment(CryptoCounter::kVerifyOnlySuite);
      break;
    case CryptoResult::kNotConfigured:
    case CryptoResult::kCipherError:
      counters_.Increment(CryptoCounter::kCipherError);
      break;
  }
  return r;
}

bool PacketCrypto::NextExplicitNonce(uint64_t window_hint, uint64_t* explicit_nonce) noexcept {
  if (*sequence_ >= kGcmSequenceLimit) return false;
  *explicit_nonce = ((window_hint & 3) << kHintShift) | (uint64_t{nonce_space_.sender_id} << 48) |
                    (uint64_t{nonce_space_.worker_id} << 40) | (*sequence_)++;
  return true;
}

CryptoResult PacketCrypto::SealPayload(std::span<uint8_t> buf, size_t payload_offset,
                                       size_t payload_len, uint64_t now_ms,
                                       size_t* out_len) noexcept {
  if (payload_offset > buf.size() || payload_len > buf.size() - payload_offset) {
    return CountFailure(CryptoResult::kBufferTooSmall, false);
  }
  if (policy_.cipher == CipherSuite::kNone) {
    *out_len = payload_offset + payload_len;
    return CryptoResult::kOk;
  }
  if (receive_only_) return CountFailure(CryptoResult::kVerifyOnlySuite, false);
  return SealPayloadSlot(slots_[0], buf, payload_offset, payload_len, now_ms, out_len);
}

CryptoResult PacketCrypto::SealPayloadWith(uint32_t security_id, std::span<uint8_t> buf,
                                           size_t payload_offset, size_t payload_len,
                                           uint64_t now_ms, size_t* out_len) noexcept {
  if (payload_offset > buf.size() || payload_len > buf.size() - payload_offset) {
    return CountFailure(CryptoResult::kBufferTooSmall, false);
  }
  if (policy_.cipher == CipherSuite::kNone) {
    *out_len = payload_offset + payload_len;
    return CryptoResult::kOk;
  }
  if (receive_only_) return CountFailure(CryptoResult::kVerifyOnlySuite, false);
  KeySlot* key = FindSlot(security_id, now_ms);
  if (key == nullptr) return CryptoResult::kUnknownKeyId;
  return SealPayloadSlot(*key, buf, payload_offset, payload_len, now_ms, out_len);
}

const BurstCipherKey* PacketCrypto::BurstPayloadKey(uint32_t security_id, uint64_t now_ms,
                                                    Iv& iv) noexcept {
  if (receive_only_ || !iv_) return nullptr;
  const KeySlot* key = SlotOf(security_id);
  if (key == nullptr || !key->Live(now_ms) || !key->burst_cbc) return nullptr;
  if (!iv_->Next(iv)) return nullptr;
  counters_.Increment(CryptoCounter::kSealed);
  return key->burst_cbc.get();
}

CryptoResult PacketCrypto::SealPayloadSlot(KeySlot& key, std::span<uint8_t> buf,
                                           size_t payload_offset, size_t payload_len,
                                           uint64_t now_ms, size_t* out_len) noexcept {
  std::span<uint8_t> rest = buf.subspan(payload_offset);
  if (key.cbc) {
    const size_t padded = CbcPaddedSize(payload_len);
    if (rest.size() < padded + kCbcIvSize)
      return CountFailure(CryptoResult::kBufferTooSmall, false);
    Iv iv;
    if (!iv_->Next(iv)) return CountFailure(CryptoResult::kCipherError, false);
    size_t ct_len = 0;
    const CryptoResult r = key.cbc->EncryptInPlace(rest, payload_len, iv, &ct_len);
    if (r != CryptoResult::kOk) return CountFailure(r, false);
    std::memcpy(rest.data() + ct_len, iv.data(), kCbcIvSize);  // IV trailer (§4.2, O-4)
    *out_len = payload_offset + ct_len + kCbcIvSize;
  } else {
    const size_t trailer = kGcmExplicitNonceSize + kGcmTagSize;
    if (rest.size() < payload_len + trailer) {
      return CountFailure(CryptoResult::kBufferTooSmall, false);
    }
    const bool timed = policy_.hmac_mode == HmacMode::kTimeBased;
    const uint64_t t = TimeWindowOf(now_ms, policy_.time.window_ms);
    uint64_t explicit_nonce = 0;
    if (!NextExplicitNonce(timed ? t : 0, &explicit_nonce)) {
      return CountFailure(CryptoResult::kNonceExhausted, false);
    }
    const GcmNonce nonce = MakeNonce(key.gcm->salt(), explicit_nonce);
    uint8_t window[kTimeWindowPrefixSize];
    internal::StoreBigEndian64(t, window);
    std::span<const uint8_t> aad1 =
        timed ? std::span<const uint8_t>(window) : std::span<const uint8_t>();
    uint8_t* trailer_at = rest.data() + payload_len;
    const CryptoResult r = key.gcm->Seal(
        nonce, aad1, buf.first(payload_offset), rest.first(payload_len),
        std::span<uint8_t, kGcmTagSize>(trailer_at + kGcmExplicitNonceSize, kGcmTagSize));
    if (r != CryptoResult::kOk) return CountFailure(r, true);
    internal::StoreBigEndian64(explicit_nonce, trailer_at);
    *out_len = payload_offset + payload_len + trailer;
  }
  counters_.Increment(CryptoCounter::kSealed);
  return CryptoResult::kOk;
}

CryptoResult PacketCrypto::OpenPayload(uint32_t security_id, std::span<uint8_t> buf,
                                       size_t payload_offset, size_t len, uint64_t now_ms,
                                       size_t* payload_len) noexcept {
  if (len > buf.size() || payload_offset > len) return CountFailure(CryptoResult::kTooShort, false);
  if (policy_.cipher == CipherSuite::kNone) {
    *payload_len = len - payload_offset;
    return CryptoResult::kOk;
  }
  KeySlot* key = FindSlot(security_id, now_ms);
  if (key == nullptr) return CryptoResult::kUnknownKeyId;
  const size_t body = len - payload_offset;
  if (key->cbc) {
    if (body < kCbcIvSize + kAesBlockSize) return CountFailure(CryptoResult::kTooShort, false);
    const size_t ct_len = body - kCbcIvSize;
    Iv iv;
    std::memcpy(iv.data(), buf.data() + payload_offset + ct_len, kCbcIvSize);
    size_t plain = 0;
    const CryptoResult r =
        key->cbc->DecryptInPlace(buf.subspan(payload_offset, ct_len), iv, &plain);
    if (r != CryptoResult::kOk) return CountFailure(r, false);
    *payload_len = plain;
  } else {
    const CryptoResult r = OpenGcm(*key, buf, payload_offset, len, now_ms, payload_len);
    if (r != CryptoResult::kOk) return CountFailure(r, r == CryptoResult::kBadTag);
  }
  counters_.Increment(CryptoCounter::kOpened);
  return CryptoResult::kOk;
}

CryptoResult PacketCrypto::OpenGcm(KeySlot& key, std::span<uint8_t> buf,
                                   size_t payload_offset, size_t len, uint64_t now_ms,
                                   size_t* payload_len) noexcept {
  const size_t body = len - payload_offset;
  const size_t trailer = kGcmExplicitNonceSize + kGcmTagSize;
  if (body < trailer) return CryptoResult::kTooShort;
  const size_t ct_len = body - trailer;
  const uint8_t* trailer_at = buf.data() + payload_offset + ct_len;
  const uint64_t explicit_nonce = internal::LoadBigEndian64(trailer_at);
  const GcmNonce nonce = MakeNonce(key.gcm->salt(), explicit_nonce);
  const std::span<const uint8_t, kGcmTagSize> tag(trailer_at + kGcmExplicitNonceSize,
                                                  kGcmTagSize);
  std::span<uint8_t> ct = buf.subspan(payload_offset, ct_len);
  std::span<const uint8_t> prefix = buf.first(payload_offset);
  CryptoResult r;
  if (policy_.hmac_mode == HmacMode::kTimeBased) {
    // The 2-bit hint names the sender's window among T-1, T, T+1 without a trial decryption per
    // window (in-place decryption destroys the ciphertext a second trial would need). The one
    // hint value outside that set means T±2: probe T-2 (a replay) to tell stale from forged.
    const uint64_t t = TimeWindowOf(now_ms, policy_.time.window_ms);
    const uint64_t hint = explicit_nonce >> kHintShift;
    uint64_t window = 0;
    bool stale_probe = false;
    if (hint == (t & 3)) {
      window = t;
    } else if (hint == ((t + 1) & 3)) {
      window = t + 1;
    } else if (hint == ((t - 1) & 3)) {
      window = t - 1;
    } else {
      stale_probe = true;
      window = t - 2;
      if (policy_.time.stale_probe_windows == 0 || t < 2) {
        return CryptoResult::kBadTag;
      }
    }
    uint8_t wbytes[kTimeWindowPrefixSize];
    internal::StoreBigEndian64(window, wbytes);
    r = key.gcm->Open(nonce, wbytes, prefix, ct, tag);
    if (stale_probe && r == CryptoResult::kOk) r = CryptoResult::kStale;
  } else {
    r = key.gcm->Open(nonce, {}, prefix, ct, tag);
  }
  if (r == CryptoResult::kOk) *payload_len = ct_len;
  return r;
}

CryptoResult PacketCrypto::OpenGmacAnyKey(uint32_t preferred, std::span<uint8_t> buf,
                                          size_t payload_offset, size_t len, uint64_t now_ms,
                                          uint32_t* used_id) noexcept {
  *used_id = preferred;
  const size_t trailer = kGcmExplicitNonceSize + kGcmTagSize;
  if (!IsGcm(policy_.cipher) || len > buf.size() || payload_offset > len ||
      len - payload_offset != trailer) {
    return CountFailure(CryptoResult::kTooShort, true);
  }
  size_t plain = 0;
  KeySlot* first = FindSlotQuiet(preferred);
  const bool first_ok = first != nullptr && first->Live(now_ms);
  CryptoResult r = CryptoResult::kUnknownKeyId;
  if (first_ok) {
    r = OpenGcm(*first, buf, payload_offset, len, now_ms, &plain);
    if (r == CryptoResult::kOk) {
      counters_.Increment(CryptoCounter::kOpened);
      return r;
    }
    if (r != CryptoResult::kBadTag) return CountFailure(r, false);
  }
  // Failure path only. Nothing is decrypted in place (no ciphertext), so trials are harmless.
  for (size_t i = 0; i < slot_count_; ++i) {
    KeySlot& k = slots_[i];
    if (&k == first || !k.Live(now_ms)) continue;
    if (OpenGcm(k, buf, payload_offset, len, now_ms, &plain) == CryptoResult::kOk) {
      *used_id = k.id;
      counters_.Increment(CryptoCounter::kOpened);
      return CryptoResult::kOk;
    }
  }
  if (OpensUnderSkewedEpoch(buf, payload_offset, len, now_ms)) return CryptoResult::kUnknownKeyId;
  if (first_ok) return CountFailure(r, true);
  counters_.Increment(first != nullptr ? CryptoCounter::kKeyExpired : CryptoCounter::kUnknownKeyId);
  return CryptoResult::kUnknownKeyId;
}

bool PacketCrypto::OpensUnderSkewedEpoch(std::span<uint8_t> buf, size_t payload_offset,
                                         size_t len, uint64_t now_ms) noexcept {
  if (!has_epoch_keys_) return false;
  size_t plain = 0;
  for (size_t i = 0; i < slot_count_; ++i) {
    KeySlot& k = slots_[i];
    if (!k.epoch || k.Live(now_ms)) continue;
    if (OpenGcm(k, buf, payload_offset, len, now_ms, &plain) == CryptoResult::kOk) {
      counters_.Increment(CryptoCounter::kRekeyEpochSkew);
      return true;
    }
  }
  return false;
}

bool PacketCrypto::VerifiesUnderSkewedEpoch(std::span<const uint8_t> packet,
                                            uint64_t now_ms) noexcept {
  if (!has_epoch_keys_) return false;
  const size_t body = packet.size() - HmacTagSize(policy_.hmac);
  for (size_t i = 0; i < slot_count_; ++i) {
    const KeySlot& k = slots_[i];
    if (!k.epoch || k.Live(now_ms)) continue;
    if (k.hmac->Verify(packet.first(body), packet.subspan(body), policy_.hmac_mode, now_ms,
                       policy_.time) == CryptoResult::kOk) {
      counters_.Increment(CryptoCounter::kRekeyEpochSkew);
      return true;
    }
  }
  return false;
}

CryptoResult PacketCrypto::Sign(std::span<uint8_t> buf, size_t len, uint64_t now_ms,
                                size_t* out_len) noexcept {
  if (len > buf.size()) return CountFailure(CryptoResult::kBufferTooSmall, false);
  if (policy_.hmac == HmacSuite::kNone) {
    *out_len = len;
    return CryptoResult::kOk;
  }
  if (receive_only_ || policy_.hmac == HmacSuite::kSha1) {
    return CountFailure(CryptoResult::kVerifyOnlySuite, false);
  }
  const PreparedHmac& h = *slots_[0].hmac;
  const size_t n = h.tag_size();
  if (buf.size() - len < n) return CountFailure(CryptoResult::kBufferTooSmall, false);
  const uint64_t window = policy_.hmac_mode == HmacMode::kTimeBased
                              ? TimeWindowOf(now_ms, policy_.time.window_ms)
                              : kNoWindow;
  const CryptoResult r = h.Sign(buf.first(len), window, buf.subspan(len, n));
  if (r != CryptoResult::kOk) return CountFailure(r, false);
  *out_len = len + n;
  counters_.Increment(CryptoCounter::kSigned);
  return CryptoResult::kOk;
}

CryptoResult PacketCrypto::Verify(uint32_t security_id, std::span<const uint8_t> packet,
                                  uint64_t now_ms, size_t* out_len) noexcept {
  if (policy_.hmac == HmacSuite::kNone) {
    *out_len = packet.size();
    return CryptoResult::kOk;
  }
  const size_t n = HmacTagSize(policy_.hmac);
  if (packet.size() < n) return CountFailure(CryptoResult::kTooShort, false);
  KeySlot* key = FindSlot(security_id, now_ms);
  if (key == nullptr) return CryptoResult::kUnknownKeyId;
  const size_t body = packet.size() - n;
  const CryptoResult r = key->hmac->Verify(packet.first(body), packet.subspan(body),
                                           policy_.hmac_mode, now_ms, policy_.time);
  if (r != CryptoResult::kOk) return CountFailure(r, false);
  *out_len = body;
  counters_.Increment(CryptoCounter::kVerified);
  return CryptoResult::kOk;
}

CryptoResult PacketCrypto::VerifyAnyKey(uint32_t preferred, std::span<const uint8_t> packet,
                                        uint64_t now_ms, size_t* out_len,
                                        uint32_t* used_id) noexcept {
  *used_id = preferred;
  if (policy_.hmac == HmacSuite::kNone) {
    *out_len = packet.size();
    return CryptoResult::kOk;
  }
  const size_t n = HmacTagSize(policy_.hmac);
  if (packet.size() < n) return CountFailure(CryptoResult::kTooShort, false);
  const size_t body = packet.size() - n;
  const KeySlot* first = SlotOf(preferred);
  const bool first_ok = first != nullptr && first->Live(now_ms);
  CryptoResult r = CryptoResult::kUnknownKeyId;
  if (first_ok) {
    r = first->hmac->Verify(packet.first(body), packet.subspan(body), policy_.hmac_mode, now_ms,
                            policy_.time);
    if (r == CryptoResult::kOk || r == CryptoResult::kStale) {
      if (r == CryptoResult::kStale) return CountFailure(r, false);
      *out_len = body;
      counters_.Increment(CryptoCounter::kVerified);
      return r;
    }
  }
  // Failure path only: the peer may have rotated its sending key.
  for (size_t i = 0; i < slot_count_; ++i) {
    const KeySlot& k = slots_[i];
    if (&k == first || !k.Live(now_ms)) continue;
    const CryptoResult t = k.hmac->Verify(packet.first(body), packet.subspan(body),
                                          policy_.hmac_mode, now_ms, policy_.time);
    if (t == CryptoResult::kOk) {
      *used_id = k.id;
      *out_len = body;
      counters_.Increment(CryptoCounter::kVerified);
      return t;
    }
  }
  if (VerifiesUnderSkewedEpoch(packet, now_ms)) return CryptoResult::kUnknownKeyId;
  if (first_ok) return CountFailure(r, false);
  counters_.Increment(first != nullptr ? CryptoCounter::kKeyExpired : CryptoCounter::kUnknownKeyId);
  return CryptoResult::kUnknownKeyId;
}

size_t PacketCrypto::MetadataPrefixSize() const {
  if (IsCbc(policy_.cipher)) return kCbcIvSize;
  if (IsGcm(policy_.cipher)) return kGcmExplicitNonceSize;
  return 0;
}

CryptoResult PacketCrypto::SealMetadata(std::span<uint8_t> section, size_t tlv_len,
                                        size_t* section_len) noexcept {
  const size_t prefix = MetadataPrefixSize();
  if (section.size() < prefix || tlv_len > section.size() - prefix) {
    return CountFailure(CryptoResult::kBufferTooSmall, false);
  }
  if (policy_.cipher == CipherSuite::kNone) {
    *section_len = tlv_len;
    return CryptoResult::kOk;
  }
  if (receive_only_) return CountFailure(CryptoResult::kVerifyOnlySuite, false);
  KeySlot& key = slots_[0];
  std::span<uint8_t> body = section.subspan(prefix);
  if (key.cbc) {
    Iv iv;
    if (!iv_->Next(iv)) return CountFailure(CryptoResult::kCipherError, false);
    size_t ct_len = 0;
    const CryptoResult r = key.cbc->EncryptInPlace(body, tlv_len, iv, &ct_len);
    if (r != CryptoResult::kOk) return CountFailure(r, false);
    std::memcpy(section.data(), iv.data(), kCbcIvSize);  // IV || ciphertext (O-5)
    *section_len = prefix + ct_len;
  } else {
    if (body.size() - tlv_len < kGcmTagSize) {
      return CountFailure(CryptoResult::kBufferTooSmall, false);
    }
    uint64_t explicit_nonce = 0;
    if (!NextExplicitNonce(0, &explicit_nonce)) {
      return CountFailure(CryptoResult::kNonceExhausted, false);
    }
    const GcmNonce nonce = MakeNonce(key.gcm->salt(), explicit_nonce);
    const CryptoResult r =
        key.gcm->Seal(nonce, {}, {}, body.first(tlv_len),
                      std::span<uint8_t, kGcmTagSize>(body.data() + tlv_len, kGcmTagSize));
    if (r != CryptoResult::kOk) return CountFailure(r, true);
    internal::StoreBigEndian64(explicit_nonce, section.data());
    *section_len = prefix + tlv_len + kGcmTagSize;
  }
  counters_.Increment(CryptoCounter::kSealed);
  return CryptoResult::kOk;
}

CryptoResult PacketCrypto::OpenMetadata(uint32_t security_id, std::span<uint8_t> section,
                                        uint64_t now_ms, size_t* tlv_offset,
                                        size_t* tlv_len) noexcept {
  if (policy_.cipher == CipherSuite::kNone) {
    *tlv_offset = 0;
    *tlv_len = section.size();
    return CryptoResult::kOk;
  }
  KeySlot* key = FindSlot(security_id, now_ms);
  if (key == nullptr) return CryptoResult::kUnknownKeyId;
  const size_t prefix = MetadataPrefixSize();
  if (key->cbc) {
    if (section.size() < prefix + kAesBlockSize)
      return CountFailure(CryptoResult::kTooShort, false);
    Iv iv;
    std::memcpy(iv.data(), section.data(), kCbcIvSize);
    size_t plain = 0;
    const CryptoResult r = key->cbc->DecryptInPlace(section.subspan(prefix), iv, &plain);
    if (r != CryptoResult::kOk) return CountFailure(r, false);
    *tlv_len = plain;
  } else {
    if (section.size() < prefix + kGcmTagSize) return CountFailure(CryptoResult::kTooShort, true);
    const size_t ct_len = section.size() - prefix - kGcmTagSize;
    const GcmNonce nonce = MakeNonce(key->gcm->salt(), internal::LoadBigEndian64(section.data()));
    const CryptoResult r = key->gcm->Open(
        nonce, {}, {}, section.subspan(prefix, ct_len),
        std::span<const uint8_t, kGcmTagSize>(section.data() + prefix + ct_len, kGcmTagSize));
    if (r != CryptoResult::kOk) return CountFailure(r, true);
    *tlv_len = ct_len;
  }
  *tlv_offset = prefix;
  counters_.Increment(CryptoCounter::kOpened);
  return CryptoResult::kOk;
}

}  // namespace ssr::crypto
