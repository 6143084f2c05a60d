// SPDX-License-Identifier: Apache-2.0
// PacketCrypto: one worker's prepared crypto for one security policy (§4.1-4.8).
//
// Design note. Everything that costs allocation or key expansion happens in Create: ciphers are
// fetched, every accepted key of a KeySnapshot gets its keyed HMAC states and keyed
// encrypt/decrypt contexts, the IV generator is seeded. The per-packet methods are noexcept, take
// the caller's buffer and the burst's clock reading (`now_ms`, injected so tests are
// deterministic), write in place, and return a CryptoResult; each result also bumps a counter in
// the worker-owned CounterArray (no atomics: one writer).
//
// The object is packet-agnostic: callers pass byte ranges of the L4 payload (docs/protocol.md §4.2
// trailer layout) and the svr layer decides placement:
//
//   send:    [prefix: metadata][payload] --SealPayload--> [prefix][ciphertext][IV 16] (CBC)
//                                                          [prefix][ciphertext][nonce 8][tag 16]
//                                                          (GCM)
//            then Sign over everything so far --> ... [HMAC tag]              (HMAC suites, §4.3)
//   receive: Verify (strips the tag) --> OpenPayload (strips IV / nonce+tag, removes padding)
//
// GCM extension (docs/protocol-notes.md "Crypto"): the policy's cipher key encrypts and
// authenticates in one pass; AAD = [T (8 bytes BE) in time-based mode] || prefix, so metadata is
// authenticated without an HMAC. A policy with a GCM cipher normally has hmac = kNone; a session
// whose payload is not to be encrypted (adaptive encryption) still calls SealPayload with
// payload_len = 0, which turns GCM into GMAC over the whole prefix.
//   Explicit nonce (8 bytes, big-endian) = window hint (2 bits: T mod 4, 0 in regular mode)
//   || sender id (14 bits) || worker id (8 bits) || sequence (40 bits); full nonce = salt(4) ||
//   explicit. Uniqueness per key: the sequence is per worker, the worker id separates workers of
//   one router, the sender id separates routers that share the key (a configured, unique-per-key
//   router index, e.g. its position in the authority); the window hint is extra and never needed
//   for uniqueness. 2^40 packets per worker per key, then kNonceExhausted until the key rotates.
//
// Thread-safety: not thread-safe; one instance per worker.
#ifndef SSR_CRYPTO_PACKET_CRYPTO_H_
#define SSR_CRYPTO_PACKET_CRYPTO_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "crypto/burst.h"
#include "crypto/cbc.h"
#include "crypto/gcm.h"
#include "crypto/hmac.h"
#include "crypto/key_store.h"
#include "crypto/suites.h"
#include "util/counters.h"

namespace ssr::crypto {

// One security policy in crypto-layer terms (the config layer maps onto it). Defaults are the
// libssr defaults of §4.1: aes-256-cbc + sha256-128, time-based.
struct SecurityPolicy {
  HmacSuite hmac = HmacSuite::kSha256_128;
  HmacMode hmac_mode = HmacMode::kTimeBased;
  CipherSuite cipher = CipherSuite::kAes256Cbc;
  TimePolicy time;
};

// Disjoint GCM nonce spaces (see the design note). Ignored by the spec suites.
struct NonceSpace {
  uint16_t sender_id = 0;  // 14 bits used
  uint8_t worker_id = 0;
  // The sequence counter, when several PacketCrypto of one worker may hold the same key (policies
  // shared by peers, objects rebuilt by a config reload): one counter outlives them all, so no
  // explicit nonce repeats under a key. Null: the object's own counter. Not owned.
  uint64_t* sequence = nullptr;
};
inline constexpr uint16_t kMaxSenderId = (1u << 14) - 1;
inline constexpr uint64_t kGcmSequenceLimit = uint64_t{1} << 40;

class PacketCrypto {
 public:
  // Prepares contexts for every key in `keys`. InvalidArgument names the offending key id and
  // length, a sender id above 14 bits, or a policy that signs with sha1 (receive-only, O-16: use
  // CreateReceiveOnly). Keys without material for a configured suite are an error.
  static absl::StatusOr<std::unique_ptr<PacketCrypto>> Create(const SecurityPolicy& policy,
                                                              const KeySnapshot& keys,
                                                              NonceSpace nonce_space = {});
  // Same, for an inbound-only policy; allows HmacSuite::kSha1; Sign / Seal* return
  // kVerifyOnlySuite.
  static absl::StatusOr<std::unique_ptr<PacketCrypto>> CreateReceiveOnly(
      const SecurityPolicy& policy, const KeySnapshot& keys);

  PacketCrypto(const PacketCrypto&) = delete;
  PacketCrypto& operator=(const PacketCrypto&) = delete;

  const SecurityPolicy& policy() const { return policy_; }
  uint32_t send_key_id() const { return slots_[0].id; }  // Security ID to put in TLV 16
  uint64_t key_generation() const { return generation_; }
  const util::CounterArray<CryptoCounter>& counters() const { return counters_; }
  util::CounterArray<CryptoCounter>& mutable_counters() { return counters_; }

  // Bytes this policy appends for a payload of payload_len bytes (§4.9).
  size_t Overhead(size_t payload_len) const {
    return TrailerOverhead(policy_.hmac, policy_.cipher, payload_len);
  }

  // --- per packet (noexcept, no allocation, no locks, no syscalls) ---

  // Encrypts buf[payload_offset, payload_offset + payload_len) in place with the current key and
  // appends the cipher trailer; *out_len = new total length of the region from buf[0].
  // cipher kNone: no-op (kOk, *out_len = payload_offset + payload_len).
  CryptoResult SealPayload(std::span<uint8_t> buf, size_t payload_offset, size_t payload_len,
                           uint64_t now_ms, size_t* out_len) noexcept;

  // Reverse of SealPayload on buf[0, len) under the key of `security_id`; decrypts in place and
  // strips the trailer: the plaintext is buf[payload_offset, payload_offset + *payload_len).
  CryptoResult OpenPayload(uint32_t security_id, std::span<uint8_t> buf, size_t payload_offset,
                           size_t len, uint64_t now_ms, size_t* payload_len) noexcept;

  // SealPayload under the key of `security_id` (a session that keeps the key it started with,
  // docs/protocol.md §4.7) while that key is accepted at now_ms; kUnknownKeyId otherwise.
  CryptoResult SealPayloadWith(uint32_t security_id, std::span<uint8_t> buf, size_t payload_offset,
                               size_t payload_len, uint64_t now_ms, size_t* out_len) noexcept;

  // True if `security_id` names a key accepted at now_ms (counts nothing).
  bool Accepts(uint32_t security_id, uint64_t now_ms) const noexcept;

  // Appends the HMAC tag of buf[0, len) ([T] prepended in time-based mode, §4.3/§4.4) with the
  // current key; *out_len = len + tag size. hmac kNone: no-op.
  CryptoResult Sign(std::span<uint8_t> buf, size_t len, uint64_t now_ms, size_t* out_len) noexcept;

  // Checks the tag at the end of `packet` under the key of `security_id`; on kOk *out_len is the
  // length without the tag. kBadTag / kStale / kUnknownKeyId / kTooShort otherwise.
  CryptoResult Verify(uint32_t security_id, std::span<const uint8_t> packet, uint64_t now_ms,
                      size_t* out_len) noexcept;

  // Verify under `preferred`, and when that fails (bad tag, or its key is unknown or expired)
  // under the other accepted keys, current first: the peer rotated its sending key (§4.7). The
  // extra work is on the failure path only. *used_id = the key that verified. Counts one failure
  // when none verifies: key_expired if `preferred` is past its overlap, else as Verify. HMAC
  // suites only (a GCM hop: OpenGmacAnyKey).
  CryptoResult VerifyAnyKey(uint32_t preferred, std::span<const uint8_t> packet, uint64_t now_ms,
                            size_t* out_len, uint32_t* used_id) noexcept;

  // The GCM counterpart of VerifyAnyKey for a trailer over buf[0, payload_offset) with no
  // ciphertext (GMAC: len == payload_offset + nonce + tag), which is what a GCM hop is.
  CryptoResult OpenGmacAnyKey(uint32_t preferred, std::span<uint8_t> buf, size_t payload_offset,
                              size_t len, uint64_t now_ms, uint32_t* used_id) noexcept;

  // Burst sealing (crypto/burst.h; the pipeline's deferred sealing, pipeline/burst_seal.cc): the
  // steps of SealPayloadWith and Sign up to the cipher work, which a BurstSealer then does for a
  // whole burst. Keys in burst form are prepared in Create when the build has intel-ipsec-mb and
  // the policy's suites fit (AES-CBC payload, HMAC-SHA256 hop).
  //
  // BurstPayloadKey: the key of `security_id` accepted at now_ms in burst form, with the next IV
  // drawn from this object's generator into `iv` (the order SealPayloadWith draws them in) and
  // kSealed counted. Null, with nothing drawn or counted, when SealPayloadWith would fail or the
  // key has no burst form: the caller takes the scalar path, which counts the failure.
  const BurstCipherKey* BurstPayloadKey(uint32_t security_id, uint64_t now_ms, Iv& iv) noexcept;
  // The current signing key in burst form, or null (nothing counted either way).
  const BurstHmacKey* BurstSignKey() const noexcept {
    return receive_only_ || slot_count_ == 0 ? nullptr : slots_[0].burst_hmac.get();
  }
  // Counts one signature made with BurstSignKey (kSigned, as Sign does).
  void CountBurstSigned() noexcept { counters_.Increment(CryptoCounter::kSigned); }

  // Burst opening (crypto/burst.h BurstOpener; the pipeline's deferred opening,
  // pipeline/burst_open.cc). The keys of `security_id` in burst form while it is accepted at
  // now_ms, or null (nothing counted: the caller takes the scalar path, which counts).
  const BurstHmacKey* BurstVerifyKey(uint32_t security_id, uint64_t now_ms) const noexcept {
    const KeySlot* key = SlotOf(security_id);
    return key != nullptr && key->Live(now_ms) ? key->burst_hmac.get() : nullptr;
  }
  const BurstCipherKey* BurstOpenKey(uint32_t security_id, uint64_t now_ms) const noexcept {
    const KeySlot* key = SlotOf(security_id);
    return key != nullptr && key->Live(now_ms) ? key->burst_cbc.get() : nullptr;
  }
  // Counts a tag a BurstOpener verified under BurstVerifyKey (kVerified, as Verify does).
  void CountBurstVerified() noexcept { counters_.Increment(CryptoCounter::kVerified); }
  // Counts the outcome of a payload a BurstOpener decrypted under BurstOpenKey as OpenPayload
  // counts it (kOpened, or the failure's counter) and returns r.
  CryptoResult CountBurstOpened(CryptoResult r) noexcept {
    if (r != CryptoResult::kOk) return CountFailure(r, false);
    counters_.Increment(CryptoCounter::kOpened);
    return r;
  }

  // Metadata payload-TLV section (§4.6, O-5). The caller encodes the TLVs at
  // section[MetadataPrefixSize(), +tlv_len); sealing writes the IV (CBC) or explicit nonce (GCM) in
  // front, encrypts in place and (GCM) appends the tag. *section_len = bytes for Payload Length.
  size_t MetadataPrefixSize() const;
  CryptoResult SealMetadata(std::span<uint8_t> section, size_t tlv_len,
                            size_t* section_len) noexcept;
  // Decrypts a received section in place: TLVs at section[*tlv_offset, +*tlv_len).
  CryptoResult OpenMetadata(uint32_t security_id, std::span<uint8_t> section, uint64_t now_ms,
                            size_t* tlv_offset, size_t* tlv_len) noexcept;

 private:
  struct KeySlot {
    uint32_t id = 0;
    uint64_t accept_until_ms = kForever;
    uint64_t accept_from_ms = 0;
    bool epoch = false;  // an epoch key of automatic rekeying (KeyEntry::epoch)
    bool Live(uint64_t now_ms) const {
      return now_ms >= accept_from_ms && now_ms < accept_until_ms;
    }
    std::optional<PreparedHmac> hmac;
    std::optional<AesCbc> cbc;
    std::optional<AesGcm> gcm;
    std::unique_ptr<BurstCipherKey> burst_cbc;  // burst forms (BurstPayloadKey, BurstSignKey)
    std::unique_ptr<BurstHmacKey> burst_hmac;
  };

  PacketCrypto() = default;
  static absl::StatusOr<std::unique_ptr<PacketCrypto>> CreateImpl(const SecurityPolicy& policy,
                                                                  const KeySnapshot& keys,
                                                                  NonceSpace nonce_space,
                                                                  bool receive_only);
  // Slot for `id` accepted at now_ms; counts kUnknownKeyId (or kKeyExpired) on failure.
  KeySlot* FindSlot(uint32_t id, uint64_t now_ms) noexcept;
  // Slot for `id` whatever its overlap, or nullptr.
  const KeySlot* SlotOf(uint32_t id) const noexcept;
  KeySlot* FindSlotQuiet(uint32_t id) noexcept;
  // GCM open of buf[payload_offset, len) under `key`; counts nothing.
  CryptoResult OpenGcm(KeySlot& key, std::span<uint8_t> buf, size_t payload_offset,
                       size_t len, uint64_t now_ms, size_t* payload_len) noexcept;
  CryptoResult SealPayloadSlot(KeySlot& key, std::span<uint8_t> buf, size_t payload_offset,
                               size_t payload_len, uint64_t now_ms, size_t* out_len) noexcept;
  // Failure path of VerifyAnyKey / OpenGmacAnyKey: true (and rekey_epoch_skew counted) if the
  // packet authenticates under an epoch key that is outside its clock-skew window at now_ms.
  bool VerifiesUnderSkewedEpoch(std::span<const uint8_t> packet, uint64_t now_ms) noexcept;
  bool OpensUnderSkewedEpoch(std::span<uint8_t> buf, size_t payload_offset, size_t len,
                             uint64_t now_ms) noexcept;
  // Bumps the counter for a failed result of a receive/decrypt call and returns r.
  CryptoResult CountFailure(CryptoResult r, bool aead) noexcept;
  // Next explicit GCM nonce value for `window_hint`, or false when the sequence space is used up.
  bool NextExplicitNonce(uint64_t window_hint, uint64_t* explicit_nonce) noexcept;

  SecurityPolicy policy_;
  bool receive_only_ = false;
  uint64_t generation_ = 0;
  NonceSpace nonce_space_;
  uint64_t gcm_sequence_ = 0;
  uint64_t* sequence_ = &gcm_sequence_;  // NonceSpace::sequence, or gcm_sequence_
  size_t slot_count_ = 0;
  bool has_epoch_keys_ = false;  // some slot is an epoch key (automatic rekeying)
  std::array<KeySlot, kMaxKeysPerStore> slots_;  // slots_[0] is the current (sending) key
  std::optional<IvGenerator> iv_;
  util::CounterArray<CryptoCounter> counters_;
};

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_PACKET_CRYPTO_H_
