// SPDX-License-Identifier: Apache-2.0
// main() and counting allocation hooks for crypto_alloc_test. Kept apart from the tests because
// CRYPTO_set_mem_functions must run before OpenSSL's first allocation (so this main calls it
// first) and because a replaced global operator new must not leak into other test executables.
#define CATCH_CONFIG_RUNNER
#include <openssl/crypto.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "alloc_counter.h"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<size_t> g_allocations{0};

void Note() {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
}

void* CountingMalloc(size_t n, const char* /*file*/, int /*line*/) {
  Note();
  return std::malloc(n);
}
void* CountingRealloc(void* p, size_t n, const char* /*file*/, int /*line*/) {
  Note();
  return std::realloc(p, n);
}
void CountingFree(void* p, const char* /*file*/, int /*line*/) { std::free(p); }

void* NewImpl(size_t n) {
  Note();
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

}  // namespace

namespace ssr::crypto::testing {
void StartCountingAllocations() {
  g_allocations.store(0);
  g_counting.store(true);
}
size_t StopCountingAllocations() {
  g_counting.store(false);
  return g_allocations.load();
}
}  // namespace ssr::crypto::testing

void* operator new(size_t n) { return NewImpl(n); }
void* operator new[](size_t n) { return NewImpl(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  Note();
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  Note();
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  // First thing: after OpenSSL's first allocation the hooks can no longer be installed.
  if (CRYPTO_set_mem_functions(CountingMalloc, CountingRealloc, CountingFree) != 1) {
    std::fprintf(stderr,
                 "crypto_alloc_test: CRYPTO_set_mem_functions failed (OpenSSL already "
                 "allocated); allocation counts would be meaningless\n");
    return 2;
  }
  return Catch::Session().run(argc, argv);
}
