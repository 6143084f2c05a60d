// SPDX-License-Identifier: Apache-2.0
// Session table micro-benchmarks: lookups/s, inserts/s, erases/s and insert+erase churn at 1k,
// 64k and 1M sessions (IPv4 keys; one IPv6 lookup case), and bytes per session at 1M.
//
// Lookups go through a random permutation of all forward and reverse keys, so consecutive
// lookups touch unrelated sessions and index slots as real traffic does (a sequential walk
// would be served from the prefetcher). Each table has exactly the capacity under test, so
// "at N sessions" means a full table of N.
// Memory (BM_SessionMemory1M) is reported two ways: computed from capacities
// (SessionTable::MemoryBytes: session array + index slots) and measured as the growth of this
// process's resident set across creating the table and filling it with 1M sessions.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include <unistd.h>

#include "packet/protocol.h"
#include "session/session_table.h"

namespace ssr::session {
namespace {

FlowKey ClientKey(uint32_t n, bool v6) {
  FlowKey k;
  if (v6) {
    uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
    uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20};
    src[12] = static_cast<uint8_t>(n >> 24);
    src[13] = static_cast<uint8_t>(n >> 16);
    src[14] = static_cast<uint8_t>(n >> 8);
    src[15] = static_cast<uint8_t>(n);
    k.src = util::IpAddress::V6Bytes(src);
    k.dst = util::IpAddress::V6Bytes(dst);
  } else {
    k.src = util::IpAddress::V4(0x0a000000u | (n & 0x00ffffffu));
    k.dst = util::IpAddress::V4(0x08080808u);
  }
  k.src_port = static_cast<uint16_t>(1024 + (n >> 24));
  k.dst_port = 443;
  k.protocol = packet::kIpProtoTcp;
  k.side = 1;
  return k;
}

// Outer reverse key: even/odd waypoint ports as AllocateWaypoints would hand them out.
FlowKey OuterKey(uint32_t n, bool v6) {
  FlowKey k;
  if (v6) {
    const uint8_t local[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const uint8_t remote[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    k.src = util::IpAddress::V6Bytes(remote);
    k.dst = util::IpAddress::V6Bytes(local);
  } else {
    k.src = util::IpAddress::V4(0xcb007114u);  // 203.0.113.20
    k.dst = util::IpAddress::V4(0xc633640au);  // 198.51.100.10
  }
  k.src_port = static_cast<uint16_t>(16385 + 2 * (n % 24575));
  k.dst_port = static_cast<uint16_t>(16384 + 2 * ((n / 24575) % 24576));
  k.protocol = packet::kIpProtoTcp;
  k.side = 2;
  return k;
}

std::vector<SessionInit> MakeInits(uint32_t count, bool v6, uint32_t first = 0) {
  std::vector<SessionInit> inits(count);
  for (uint32_t i = 0; i < count; ++i) {
    inits[i].forward = ClientKey(first + i, v6);
    inits[i].reverse = OuterKey(first + i, v6);
    inits[i].tenant = first + i;
  }
  return inits;
}

std::unique_ptr<SessionTable> MakeTable(uint32_t capacity) {
  SessionTableOptions options;
  options.max_sessions = capacity;
  options.quarantine_ms = 0;
  return std::move(SessionTable::Create(options)).value();
}

// A full table of `n` sessions and a random permutation of its 2n keys.
struct Filled {
  Filled(uint32_t n, bool v6) : table(MakeTable(n)) {
    const std::vector<SessionInit> inits = MakeInits(n, v6);
    keys.reserve(2 * size_t{n});
    for (const SessionInit& init : inits) {
      if (table->Insert(init, 0).result != InsertResult::kOk) std::abort();
      keys.push_back(init.forward);
      keys.push_back(init.reverse);
    }
    std::shuffle(keys.begin(), keys.end(), std::mt19937_64(42));
  }
  std::unique_ptr<SessionTable> table;
  std::vector<FlowKey> keys;
};

void Lookup(benchmark::State& state, bool v6) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  Filled f(n, v6);
  size_t i = 0;
  for (auto _ : state) {
    const LookupResult r = f.table->Lookup(f.keys[i]);
    benchmark::DoNotOptimize(r.session);
    if (++i == f.keys.size()) i = 0;
  }
  if (f.table->counters().Get(SessionCounter::kLookupMiss) != 0) state.SkipWithError("miss");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_SessionLookupV4(benchmark::State& state) { Lookup(state, false); }
void BM_SessionLookupV6(benchmark::State& state) { Lookup(state, true); }

// Burst of 32 as the worker does it: hash all + prefetch their index slots, prefetch the
// sessions those slots point to, then look up.
void BM_SessionLookupBurst32V4(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  Filled f(n, false);
  constexpr size_t kBurst = 32;
  const size_t bursts = f.keys.size() / kBurst;
  size_t b = 0;
  uint64_t hashes[kBurst];
  for (auto _ : state) {
    const FlowKey* keys = &f.keys[b * kBurst];
    for (size_t k = 0; k < kBurst; ++k) {
      hashes[k] = FlowIndex::Hash(keys[k]);
      f.table->Prefetch(hashes[k]);
    }
    for (size_t k = 0; k < kBurst; ++k) f.table->PrefetchSession(hashes[k]);
    for (size_t k = 0; k < kBurst; ++k) {
      const LookupResult r = f.table->Lookup(keys[k], hashes[k]);
      benchmark::DoNotOptimize(r.session);
    }
    if (++b == bursts) b = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBurst));
}

// Fills an empty table to n (timed), empties it (untimed), repeats.
void BM_SessionInsertV4(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  auto table = MakeTable(n);
  std::vector<SessionInit> inits = MakeInits(n, false);
  std::shuffle(inits.begin(), inits.end(), std::mt19937_64(1));
  std::vector<Session*> sessions(n);
  for (auto _ : state) {
    for (uint32_t i = 0; i < n; ++i) sessions[i] = table->Insert(inits[i], 0).session;
    state.PauseTiming();
    if (table->size() != n) state.SkipWithError("insert failed");
    for (Session* s : sessions) table->Erase(*s, 0);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

// Empties a full table of n (timed), refills it (untimed), repeats.
void BM_SessionEraseV4(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  auto table = MakeTable(n);
  std::vector<SessionInit> inits = MakeInits(n, false);
  std::vector<Session*> sessions(n);
  auto fill = [&] {
    for (uint32_t i = 0; i < n; ++i) sessions[i] = table->Insert(inits[i], 0).session;
    std::shuffle(sessions.begin(), sessions.end(), std::mt19937_64(2));
  };
  fill();
  for (auto _ : state) {
    for (Session* s : sessions) table->Erase(*s, 0);
    state.PauseTiming();
    fill();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

// Steady churn in a full table: each item erases the oldest session and inserts a new one.
void BM_SessionChurnV4(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  auto table = MakeTable(n);
  // 2n distinct inits used as a ring: session i is replaced by i + n.
  const std::vector<SessionInit> inits = MakeInits(2 * n, false);
  std::vector<Session*> ring(n);
  for (uint32_t i = 0; i < n; ++i) ring[i] = table->Insert(inits[i], 0).session;
  uint32_t next = n;
  uint32_t slot = 0;
  for (auto _ : state) {
    table->Erase(*ring[slot], 0);
    ring[slot] = table->Insert(inits[next], 0).session;
    if (++next == 2 * n) next = 0;
    if (++slot == n) slot = 0;
  }
  if (table->size() != n) state.SkipWithError("churn lost sessions");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

long ResidentBytes() {
  long size = 0;
  long resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

void BM_SessionMemory1M(benchmark::State& state) {
  constexpr uint32_t kSessions = 1u << 20;
  const std::vector<SessionInit> inits = MakeInits(kSessions, false);
  for (auto _ : state) {
    const long before = ResidentBytes();
    auto table = MakeTable(kSessions);
    for (const SessionInit& init : inits) table->Insert(init, 0);
    const long after = ResidentBytes();
    state.counters["sessions"] = table->size();
    state.counters["sizeof_session"] = sizeof(Session);
    state.counters["index_slots"] = static_cast<double>(table->index().capacity());
    state.counters["bytes_per_session_computed"] =
        static_cast<double>(table->MemoryBytes()) / kSessions;
    state.counters["bytes_per_session_rss"] = static_cast<double>(after - before) / kSessions;
  }
}

BENCHMARK(BM_SessionLookupV4)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_SessionLookupV6)->Arg(1 << 16);
BENCHMARK(BM_SessionLookupBurst32V4)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_SessionInsertV4)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_SessionEraseV4)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_SessionChurnV4)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_SessionMemory1M)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ssr::session

BENCHMARK_MAIN();
