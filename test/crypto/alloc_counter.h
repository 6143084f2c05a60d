// SPDX-License-Identifier: Apache-2.0
// Allocation counting for crypto_alloc_test (hooks and main() live in alloc_main.cc).
#ifndef SSR_TEST_CRYPTO_ALLOC_COUNTER_H_
#define SSR_TEST_CRYPTO_ALLOC_COUNTER_H_

#include <cstddef>

namespace ssr::crypto::testing {

void StartCountingAllocations();
// Allocations (operator new family + OpenSSL malloc/realloc) since StartCountingAllocations().
size_t StopCountingAllocations();

template <typename F>
size_t CountAllocations(F&& body) {
  StartCountingAllocations();
  body();
  return StopCountingAllocations();
}

}  // namespace ssr::crypto::testing

#endif  // SSR_TEST_CRYPTO_ALLOC_COUNTER_H_
