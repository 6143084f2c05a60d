// SPDX-License-Identifier: Apache-2.0
// KeyStore: security ids, rotation overlap, snapshots (§4.7, §3.6.4).
#include "crypto/key_store.h"

#include <catch2/catch.hpp>
#include <vector>

namespace ssr::crypto {
namespace {

KeyMaterial Material(uint8_t b) {
  return KeyMaterial{std::vector<uint8_t>(32, b), std::vector<uint8_t>(32, b)};
}

std::unique_ptr<KeyStore> MakeStore(uint64_t overlap_ms, uint32_t first_id = 1) {
  auto s = KeyStore::Create(Material(1), overlap_ms, first_id);
  REQUIRE(s.ok());
  return std::move(s).value();
}

TEST_CASE("Key store starts with security id 1 as the current key", "[crypto]") {
  auto store = MakeStore(30'000);
  auto snap = store->Snapshot();
  CHECK(snap->current().id == 1);
  CHECK(snap->current().role == KeyRole::kCurrent);
  CHECK(snap->entries().size() == 1);
}

TEST_CASE("Key store refuses security id 0", "[crypto]") {
  CHECK_FALSE(KeyStore::Create(Material(1), 0, 0).ok());
}

TEST_CASE("Rotation increments the security id and skips 0 on wrap", "[crypto]") {
  auto store = MakeStore(1000, 0xffffffffu);
  CHECK(store->Rotate(Material(2), 0) == 1u);
  CHECK(store->Rotate(Material(3), 0) == 2u);
}

TEST_CASE("Rotation keeps the old key accepted for the overlap, then drops it", "[crypto]") {
  auto store = MakeStore(30'000);
  const uint64_t t0 = 1'000'000;
  const uint32_t id2 = store->Rotate(Material(2), t0);
  auto snap = store->Snapshot();
  CHECK(snap->current().id == id2);
  REQUIRE(snap->Find(1, t0) != nullptr);
  CHECK(snap->Find(1, t0)->role == KeyRole::kPrevious);
  CHECK(snap->Find(1, t0 + 29'999) != nullptr);
  CHECK(snap->Find(1, t0 + 30'000) == nullptr);  // overlap over: unknown from now on
  CHECK(snap->Find(id2, t0 + 1'000'000) != nullptr);
  store->ExpireOld(t0 + 30'000);
  CHECK(store->Snapshot()->entries().size() == 1);
}

TEST_CASE("Unknown security id is not found", "[crypto][svr-7.65]") {
  auto store = MakeStore(30'000);
  CHECK(store->Snapshot()->Find(99, 0) == nullptr);
}

TEST_CASE("Every change publishes a new snapshot and generation, old snapshots stay intact",
          "[crypto][svr-7.64]") {
  auto store = MakeStore(30'000);
  const uint64_t g1 = store->generation();
  auto before = store->Snapshot();
  store->Rotate(Material(2), 0);
  CHECK(store->generation() == g1 + 1);
  // A worker still holding the old snapshot keeps its keys (sessions keep their keys, §7.64).
  CHECK(before->entries().size() == 1);
  CHECK(before->current().id == 1);
  CHECK(before->current().material.cipher_key == std::vector<uint8_t>(32, 1));
  // Nothing to expire: no new generation.
  store->ExpireOld(1);
  CHECK(store->generation() == g1 + 1);
}

TEST_CASE("Rapid rotations keep at most kMaxKeysPerStore keys, dropping the oldest", "[crypto]") {
  auto store = MakeStore(1'000'000);
  for (uint8_t i = 2; i <= 7; ++i) store->Rotate(Material(i), i);
  auto snap = store->Snapshot();
  CHECK(snap->entries().size() == kMaxKeysPerStore);
  CHECK(snap->current().id == 7);
  CHECK(snap->Find(6, 10) != nullptr);
  CHECK(snap->Find(4, 10) != nullptr);
  CHECK(snap->Find(3, 10) == nullptr);
}

}  // namespace
}  // namespace ssr::crypto
