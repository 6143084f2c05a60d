// SPDX-License-Identifier: Apache-2.0
// Crypto-layer micro-benchmarks: ns per packet for the per-packet calls of PacketCrypto (HMAC
// sign/verify, payload encrypt/decrypt) per suite at 64, 512 and 1400 bytes, next to raw OpenSSL
// per-call equivalents measured in the same binary:
//   * BM_OpenSslHmacReinit        - what `openssl speed -hmac sha256` times: a keyed EVP_MAC_CTX
//     re-initialised (NULL key) + update + final per call.
//   * BM_OpenSslHmacQMac          - one-shot EVP_Q_mac (fetch + key + MAC per call).
//   * BM_OpenSslCbcFreshCtx       - one-shot AES-CBC with a fresh EVP_CIPHER_CTX per call
//     (cipher fetched once), what code that does not keep contexts pays.
//   * BM_OpenSslCbcStreamUpdate   - what `openssl speed -evp aes-128-cbc` times: one
//     EVP_EncryptUpdate on a context initialised once (no per-packet IV), the lower bound.
// bench/crypto_vs_openssl.sh runs this binary and `openssl speed` together and prints ratios.
//
// Decrypt benchmarks must restore the ciphertext each iteration (decryption is in place); the
// Copy/<size> rows give that memcpy's cost so it can be subtracted.
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "crypto/burst.h"
#include "crypto/packet_crypto.h"

namespace {

using ssr::crypto::CipherSuite;
using ssr::crypto::CryptoResult;
using ssr::crypto::HmacMode;
using ssr::crypto::HmacSuite;
using ssr::crypto::KeyEntry;
using ssr::crypto::KeyMaterial;
using ssr::crypto::KeyRole;
using ssr::crypto::KeySnapshot;
using ssr::crypto::PacketCrypto;
using ssr::crypto::SecurityPolicy;

constexpr uint64_t kNow = 1'800'000'000'000;

std::unique_ptr<PacketCrypto> MakeCrypto(HmacSuite h, CipherSuite c, HmacMode mode) {
  KeyMaterial m{std::vector<uint8_t>(32, 0x11),
                std::vector<uint8_t>(ssr::crypto::CipherKeySize(c), 0x22)};
  KeySnapshot keys(1, {KeyEntry{1, KeyRole::kCurrent, ssr::crypto::kForever, std::move(m)}});
  SecurityPolicy p;
  p.hmac = h;
  p.cipher = c;
  p.hmac_mode = mode;
  auto pc = PacketCrypto::Create(p, keys);
  if (!pc.ok()) std::abort();
  return std::move(pc).value();
}

void Check(bool ok, benchmark::State& state) {
  if (!ok) state.SkipWithError("crypto call failed");
}

// --- HMAC ---

void BM_Sign(benchmark::State& state, HmacSuite h, HmacMode mode) {
  const size_t len = static_cast<size_t>(state.range(0));
  auto pc = MakeCrypto(h, CipherSuite::kNone, mode);
  std::vector<uint8_t> buf(len + 32, 0xab);
  size_t out = 0;
  for (auto _ : state) {
    const CryptoResult r = pc->Sign(buf, len, kNow, &out);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  Check(out == len + ssr::crypto::HmacTagSize(h), state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

void BM_Verify(benchmark::State& state, HmacSuite h, HmacMode mode) {
  const size_t len = static_cast<size_t>(state.range(0));
  auto pc = MakeCrypto(h, CipherSuite::kNone, mode);
  std::vector<uint8_t> buf(len + 32, 0xab);
  size_t signed_len = 0, out = 0;
  Check(pc->Sign(buf, len, kNow, &signed_len) == CryptoResult::kOk, state);
  bool ok = true;
  for (auto _ : state) {
    ok &= pc->Verify(1, std::span(buf).first(signed_len), kNow, &out) == CryptoResult::kOk;
    benchmark::DoNotOptimize(out);
  }
  Check(ok, state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

// --- payload encryption ---

void BM_Encrypt(benchmark::State& state, CipherSuite c) {
  const size_t len = static_cast<size_t>(state.range(0));
  auto pc = MakeCrypto(HmacSuite::kNone, c, HmacMode::kRegular);
  std::vector<uint8_t> buf(len + 64, 0xcd);
  size_t out = 0;
  for (auto _ : state) {
    const CryptoResult r = pc->SealPayload(buf, 0, len, kNow, &out);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  Check(out == len + pc->Overhead(len), state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

void BM_Decrypt(benchmark::State& state, CipherSuite c) {
  const size_t len = static_cast<size_t>(state.range(0));
  auto pc = MakeCrypto(HmacSuite::kNone, c, HmacMode::kRegular);
  std::vector<uint8_t> sealed(len + 64, 0xcd);
  size_t sealed_len = 0, plain = 0;
  Check(pc->SealPayload(sealed, 0, len, kNow, &sealed_len) == CryptoResult::kOk, state);
  std::vector<uint8_t> work(sealed.size());
  bool ok = true;
  for (auto _ : state) {
    std::memcpy(work.data(), sealed.data(), sealed_len);
    ok &= pc->OpenPayload(1, work, 0, sealed_len, kNow, &plain) == CryptoResult::kOk;
    benchmark::DoNotOptimize(plain);
  }
  Check(ok && plain == len, state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

// Full send / receive of one packet under a policy: seal + sign / verify + open.
void BM_Protect(benchmark::State& state, HmacSuite h, CipherSuite c) {
  const size_t len = static_cast<size_t>(state.range(0));
  auto pc = MakeCrypto(h, c, HmacMode::kTimeBased);
  std::vector<uint8_t> buf(len + 128, 0xcd);
  size_t sealed = 0, out = 0;
  for (auto _ : state) {
    pc->SealPayload(buf, 0, len, kNow, &sealed);
    const CryptoResult r = pc->Sign(buf, sealed, kNow, &out);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  Check(out == len + pc->Overhead(len), state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

void BM_Unprotect(benchmark::State& state, HmacSuite h, CipherSuite c) {
  const size_t len = static_cast<size_t>(state.range(0));
  auto pc = MakeCrypto(h, c, HmacMode::kTimeBased);
  std::vector<uint8_t> sealed(len + 128, 0xcd);
  size_t s = 0, total = 0, body = 0, plain = 0;
  pc->SealPayload(sealed, 0, len, kNow, &s);
  pc->Sign(sealed, s, kNow, &total);
  std::vector<uint8_t> work(sealed.size());
  bool ok = true;
  for (auto _ : state) {
    std::memcpy(work.data(), sealed.data(), total);
    ok &= pc->Verify(1, std::span(work).first(total), kNow, &body) == CryptoResult::kOk;
    ok &= pc->OpenPayload(1, work, 0, body, kNow, &plain) == CryptoResult::kOk;
    benchmark::DoNotOptimize(plain);
  }
  Check(ok && plain == len, state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

// A burst of packets of `len` bytes sealed under the default policy (AES-256-CBC payload, then
// the HMAC-SHA256-128 time-based hop tag over prefix, ciphertext and IV), as the pipeline does:
// one packet at a time through PacketCrypto (OpenSSL), or the whole burst in one BurstSealer call
// (intel-ipsec-mb, crypto/burst.h). Both draw a fresh IV per packet. Items = packets, so the
// reported items_per_second compares the cost per packet; range(1) is the burst size.
constexpr size_t kBurstHeadroom = 8;  // the end of the L4 header, where the time window goes

void BM_SealBurstOpenSsl(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  const size_t burst = static_cast<size_t>(state.range(1));
  auto pc = MakeCrypto(HmacSuite::kSha256_128, CipherSuite::kAes256Cbc, HmacMode::kTimeBased);
  std::vector<std::vector<uint8_t>> bufs(burst, std::vector<uint8_t>(len + 128, 0xcd));
  size_t sealed = 0, out = 0;
  bool ok = true;
  for (auto _ : state) {
    for (auto& b : bufs) {
      ok &= pc->SealPayload(b, 0, len, kNow, &sealed) == CryptoResult::kOk;
      ok &= pc->Sign(b, sealed, kNow, &out) == CryptoResult::kOk;
    }
    benchmark::ClobberMemory();
  }
  Check(ok && out == len + pc->Overhead(len), state);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * burst));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * burst * len));
}

void BM_SealBurstIpsecMb(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  const size_t burst = static_cast<size_t>(state.range(1));
  const std::vector<uint8_t> hkey(32, 0x11), ckey(32, 0x22);
  auto sealer = ssr::crypto::BurstSealer::Create(CipherSuite::kAes256Cbc, ckey,
                                                 HmacSuite::kSha256_128, hkey,
                                                 HmacMode::kTimeBased, 0);
  if (!sealer.ok()) {
    state.SkipWithError(std::string(sealer.status().message()).c_str());
    return;
  }
  auto ivgen = ssr::crypto::IvGenerator::Create();
  if (!ivgen.ok()) std::abort();
  std::vector<std::vector<uint8_t>> bufs(burst,
                                         std::vector<uint8_t>(kBurstHeadroom + len + 128, 0xcd));
  std::vector<ssr::crypto::Iv> ivs(burst);
  std::vector<ssr::crypto::SealJob> jobs(burst);
  for (size_t i = 0; i < burst; ++i) {
    jobs[i].buffer = bufs[i];
    jobs[i].region_offset = kBurstHeadroom;
    jobs[i].payload_len = len;
    jobs[i].iv = ivs[i].data();
  }
  bool ok = true;
  for (auto _ : state) {
    for (auto& iv : ivs) ok &= ivgen->Next(iv);
    (*sealer)->Seal(jobs, kNow);
    for (const auto& j : jobs) ok &= j.result == CryptoResult::kOk;
    benchmark::ClobberMemory();
  }
  Check(ok && jobs[0].out_len == len + ssr::crypto::TrailerOverhead(HmacSuite::kSha256_128,
                                                                     CipherSuite::kAes256Cbc, len),
        state);
  state.SetLabel(std::string((*sealer)->arch()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * burst));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * burst * len));
}

// The receive side of the above: a burst of packets sealed under the default policy is
// verified (HMAC-SHA256-128, time-based) and decrypted (AES-256-CBC), one packet at a time
// through PacketCrypto (OpenSSL: Verify + OpenPayload), or the whole burst in one BurstOpener
// call (intel-ipsec-mb). Decryption is in place, so every iteration first copies the sealed
// packets into the work buffers (the same copy for both). Items = packets.
struct SealedBurst {
  std::vector<std::vector<uint8_t>> sealed, work;
  size_t total = 0;  // region length: ciphertext + IV + tag
};

SealedBurst MakeSealedBurst(PacketCrypto& pc, size_t len, size_t burst) {
  SealedBurst b;
  b.sealed.assign(burst, std::vector<uint8_t>(kBurstHeadroom + len + 128, 0xcd));
  for (auto& buf : b.sealed) {
    std::span<uint8_t> region = std::span(buf).subspan(kBurstHeadroom);
    size_t s = 0;
    if (pc.SealPayload(region, 0, len, kNow, &s) != CryptoResult::kOk ||
        pc.Sign(region, s, kNow, &b.total) != CryptoResult::kOk) {
      std::abort();
    }
  }
  b.work = b.sealed;
  return b;
}

void BM_OpenBurstOpenSsl(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  const size_t burst = static_cast<size_t>(state.range(1));
  auto pc = MakeCrypto(HmacSuite::kSha256_128, CipherSuite::kAes256Cbc, HmacMode::kTimeBased);
  SealedBurst b = MakeSealedBurst(*pc, len, burst);
  size_t body = 0, plain = 0;
  bool ok = true;
  for (auto _ : state) {
    for (size_t i = 0; i < burst; ++i) {
      std::memcpy(b.work[i].data(), b.sealed[i].data(), kBurstHeadroom + b.total);
    }
    for (auto& w : b.work) {
      std::span<uint8_t> region = std::span(w).subspan(kBurstHeadroom);
      ok &= pc->Verify(1, region.first(b.total), kNow, &body) == CryptoResult::kOk;
      ok &= pc->OpenPayload(1, region, 0, body, kNow, &plain) == CryptoResult::kOk;
    }
    benchmark::ClobberMemory();
  }
  Check(ok && plain == len, state);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * burst));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * burst * len));
}

void BM_OpenBurstIpsecMb(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  const size_t burst = static_cast<size_t>(state.range(1));
  auto pc = MakeCrypto(HmacSuite::kSha256_128, CipherSuite::kAes256Cbc, HmacMode::kTimeBased);
  SealedBurst b = MakeSealedBurst(*pc, len, burst);
  auto opener = ssr::crypto::BurstOpener::Create();
  if (!opener.ok()) {
    state.SkipWithError(std::string(opener.status().message()).c_str());
    return;
  }
  const std::vector<uint8_t> hkey(32, 0x11), ckey(32, 0x22);  // MakeCrypto's keys
  ssr::crypto::BurstCipherKey ck;
  ssr::crypto::BurstHmacKey hk;
  if (!ssr::crypto::PrepareBurstCipherKey(CipherSuite::kAes256Cbc, ckey, &ck).ok() ||
      !ssr::crypto::PrepareBurstHmacKey(HmacSuite::kSha256_128, hkey, HmacMode::kTimeBased, 0,
                                        &hk)
           .ok()) {
    std::abort();
  }
  std::vector<ssr::crypto::OpenJob> jobs(burst);
  for (size_t i = 0; i < burst; ++i) {
    jobs[i].buffer = b.work[i];
    jobs[i].region_offset = kBurstHeadroom;
    jobs[i].region_len = b.total;
    jobs[i].cipher_key = &ck;
    jobs[i].hmac_key = &hk;
  }
  bool ok = true;
  for (auto _ : state) {
    for (size_t i = 0; i < burst; ++i) {
      std::memcpy(b.work[i].data(), b.sealed[i].data(), kBurstHeadroom + b.total);
    }
    (*opener)->Open(jobs, kNow);
    for (const auto& j : jobs) ok &= j.result == CryptoResult::kOk && j.payload_len == len;
    benchmark::ClobberMemory();
  }
  Check(ok, state);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * burst));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * burst * len));
}

void BM_Copy(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> a(len + 64, 1), b(len + 64);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), len + 16);
    benchmark::ClobberMemory();
  }
}

// --- raw OpenSSL equivalents ---

void BM_OpenSslHmacReinit(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  const uint8_t key[32] = {0x11};
  bool ok = EVP_MAC_init(ctx, key, sizeof(key), params) == 1;
  std::vector<uint8_t> buf(len, 0xab);
  uint8_t out[32];
  size_t outl = 0;
  for (auto _ : state) {
    ok &= EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1;
    ok &= EVP_MAC_update(ctx, buf.data(), len) == 1;
    ok &= EVP_MAC_final(ctx, out, &outl, sizeof(out)) == 1;
    benchmark::DoNotOptimize(out);
  }
  Check(ok, state);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

void BM_OpenSslHmacQMac(benchmark::State& state) {
  const size_t len = static_cast<size_t>(state.range(0));
  const uint8_t key[32] = {0x11};
  std::vector<uint8_t> buf(len, 0xab);
  uint8_t out[32];
  size_t outl = 0;
  bool ok = true;
  for (auto _ : state) {
    ok &= EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key, sizeof(key), buf.data(), len,
                    out, sizeof(out), &outl) != nullptr;
    benchmark::DoNotOptimize(out);
  }
  Check(ok, state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

void BM_OpenSslCbcFreshCtx(benchmark::State& state, const char* name) {
  const size_t len = static_cast<size_t>(state.range(0));
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  const uint8_t key[32] = {0x22};
  const uint8_t iv[16] = {0x33};
  std::vector<uint8_t> buf(len + 32, 0xcd);
  bool ok = cipher != nullptr;
  for (auto _ : state) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int outl = 0, finl = 0;
    ok &= EVP_EncryptInit_ex2(ctx, cipher, key, iv, nullptr) == 1;
    ok &= EVP_EncryptUpdate(ctx, buf.data(), &outl, buf.data(), static_cast<int>(len)) == 1;
    ok &= EVP_EncryptFinal_ex(ctx, buf.data() + outl, &finl) == 1;
    EVP_CIPHER_CTX_free(ctx);
    benchmark::ClobberMemory();
  }
  Check(ok, state);
  EVP_CIPHER_free(cipher);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

void BM_OpenSslCbcStreamUpdate(benchmark::State& state, const char* name) {
  const size_t len = static_cast<size_t>(state.range(0));
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  const uint8_t key[32] = {0x22};
  const uint8_t iv[16] = {0x33};
  bool ok = EVP_EncryptInit_ex2(ctx, cipher, key, iv, nullptr) == 1;
  // A length that is not a block multiple (1400) leaves a partial block buffered, so an update can
  // emit up to 15 bytes more than it is given: size the output for that.
  std::vector<uint8_t> buf(len + 32, 0xcd);
  for (auto _ : state) {
    int outl = 0;
    ok &= EVP_EncryptUpdate(ctx, buf.data(), &outl, buf.data(), static_cast<int>(len)) == 1;
    benchmark::ClobberMemory();
  }
  Check(ok, state);
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}

#define SSR_SIZES Arg(64)->Arg(512)->Arg(1400)

BENCHMARK_CAPTURE(BM_Sign, sha256_time, HmacSuite::kSha256, HmacMode::kTimeBased)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Sign, sha256_128_time, HmacSuite::kSha256_128, HmacMode::kTimeBased)
    ->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Sign, sha256_regular, HmacSuite::kSha256, HmacMode::kRegular)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Verify, sha256_time, HmacSuite::kSha256, HmacMode::kTimeBased)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Verify, sha256_128_time, HmacSuite::kSha256_128, HmacMode::kTimeBased)
    ->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Verify, sha256_regular, HmacSuite::kSha256, HmacMode::kRegular)->SSR_SIZES;

BENCHMARK_CAPTURE(BM_Encrypt, aes_cbc_128, CipherSuite::kAes128Cbc)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Encrypt, aes_cbc_256, CipherSuite::kAes256Cbc)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Encrypt, aes_gcm_128, CipherSuite::kAes128Gcm)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Encrypt, aes_gcm_256, CipherSuite::kAes256Gcm)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Decrypt, aes_cbc_128, CipherSuite::kAes128Cbc)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Decrypt, aes_cbc_256, CipherSuite::kAes256Cbc)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Decrypt, aes_gcm_128, CipherSuite::kAes128Gcm)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Decrypt, aes_gcm_256, CipherSuite::kAes256Gcm)->SSR_SIZES;

BENCHMARK_CAPTURE(BM_Protect, cbc128_sha256_128, HmacSuite::kSha256_128, CipherSuite::kAes128Cbc)
    ->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Protect, cbc256_sha256_128, HmacSuite::kSha256_128, CipherSuite::kAes256Cbc)
    ->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Protect, gcm128, HmacSuite::kNone, CipherSuite::kAes128Gcm)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Protect, gcm256, HmacSuite::kNone, CipherSuite::kAes256Gcm)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Unprotect, cbc128_sha256_128, HmacSuite::kSha256_128, CipherSuite::kAes128Cbc)
    ->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Unprotect, cbc256_sha256_128, HmacSuite::kSha256_128, CipherSuite::kAes256Cbc)
    ->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Unprotect, gcm128, HmacSuite::kNone, CipherSuite::kAes128Gcm)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_Unprotect, gcm256, HmacSuite::kNone, CipherSuite::kAes256Gcm)->SSR_SIZES;
BENCHMARK(BM_Copy)->SSR_SIZES;
#define SSR_BURSTS ArgsProduct({{64, 512, 1400}, {1, 8, 32}})
BENCHMARK(BM_SealBurstOpenSsl)->SSR_BURSTS;
BENCHMARK(BM_SealBurstIpsecMb)->SSR_BURSTS;
BENCHMARK(BM_OpenBurstOpenSsl)->SSR_BURSTS;
BENCHMARK(BM_OpenBurstIpsecMb)->SSR_BURSTS;

BENCHMARK(BM_OpenSslHmacReinit)->SSR_SIZES;
BENCHMARK(BM_OpenSslHmacQMac)->SSR_SIZES;
BENCHMARK_CAPTURE(BM_OpenSslCbcFreshCtx, aes_128_cbc, "AES-128-CBC")->SSR_SIZES;
BENCHMARK_CAPTURE(BM_OpenSslCbcFreshCtx, aes_256_cbc, "AES-256-CBC")->SSR_SIZES;
BENCHMARK_CAPTURE(BM_OpenSslCbcStreamUpdate, aes_128_cbc, "AES-128-CBC")->SSR_SIZES;
BENCHMARK_CAPTURE(BM_OpenSslCbcStreamUpdate, aes_256_cbc, "AES-256-CBC")->SSR_SIZES;

}  // namespace

BENCHMARK_MAIN();
