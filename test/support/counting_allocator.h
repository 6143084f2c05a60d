// SPDX-License-Identifier: Apache-2.0
// Counting global allocator for the "no heap allocation per packet" tests.
//
// Linking the object library `ssr_counting_allocator` into a test executable replaces every form
// of global operator new/delete (plain, array, nothrow, sized, aligned) with malloc/free-based
// versions that count allocations, so ASan sees matching pairs throughout. Only link it into
// dedicated *_alloc_test executables: the replacement applies to the whole program.
#ifndef SSR_TEST_SUPPORT_COUNTING_ALLOCATOR_H_
#define SSR_TEST_SUPPORT_COUNTING_ALLOCATOR_H_

#include <cstddef>

namespace ssr::testing {

// Allocations counted since the program started (whether or not counting was "started").
size_t TotalAllocations();
// Counts one allocation made outside operator new (e.g. OpenSSL's malloc hook).
void NoteAllocation();

// Counts the allocations made while `body` runs.
template <typename F>
size_t CountAllocations(F&& body) {
  const size_t before = TotalAllocations();
  body();
  return TotalAllocations() - before;
}

}  // namespace ssr::testing

#endif  // SSR_TEST_SUPPORT_COUNTING_ALLOCATOR_H_
