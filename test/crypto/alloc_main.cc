// SPDX-License-Identifier: Apache-2.0
// main() for crypto_alloc_test. Kept apart from the tests because CRYPTO_set_mem_functions must run
// before OpenSSL's first allocation, so this main installs OpenSSL's hooks first. The global
// operator new/delete replacement comes from test/support/counting_allocator.cc; OpenSSL's own
// allocations are added to the same count.
#define CATCH_CONFIG_RUNNER
#include <openssl/crypto.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include "support/counting_allocator.h"

namespace {

void* CountingMalloc(size_t n, const char* /*file*/, int /*line*/) {
  ssr::testing::NoteAllocation();
  return std::malloc(n);
}
void* CountingRealloc(void* p, size_t n, const char* /*file*/, int /*line*/) {
  ssr::testing::NoteAllocation();
  return std::realloc(p, n);
}
void CountingFree(void* p, const char* /*file*/, int /*line*/) { std::free(p); }

}  // namespace

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
