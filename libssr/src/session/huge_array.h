// SPDX-License-Identifier: Apache-2.0
// HugeArray: fixed-size storage for the table's big preallocated arrays (sessions, index slots).
//
// Design note: at 1M sessions a lookup touches one random index slot and one random session in a
// 224 MB working set, so with 4 KiB pages nearly every lookup also misses the TLB twice, and
// under virtualisation (nested paging) a TLB miss costs several memory accesses. Arrays of at
// least 2 MiB are therefore 2 MiB-aligned and advised for transparent huge pages (MADV_HUGEPAGE,
// which is what THP's default "madvise" mode waits for) BEFORE their elements are constructed,
// so the first touch faults in huge pages. The advice is a hint: if the kernel refuses, the
// array works the same on small pages. Storage comes from the aligned global operator new, so
// sanitizers and allocation-counting tests see it like any other allocation. Construction-time
// only; element access is a plain pointer index.
#ifndef SSR_SESSION_HUGE_ARRAY_H_
#define SSR_SESSION_HUGE_ARRAY_H_

#include <sys/mman.h>

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>

namespace ssr::session {

template <typename T>
class HugeArray {
  static_assert(std::is_trivially_destructible_v<T>, "elements are never destroyed one by one");

 public:
  static constexpr size_t kHugePage = size_t{2} << 20;

  explicit HugeArray(size_t count)
      : count_(count),
        align_(count * sizeof(T) >= kHugePage ? kHugePage : alignof(T)),
        data_(static_cast<T*>(::operator new(Bytes(), std::align_val_t{align_}))) {
    if (align_ == kHugePage) madvise(data_, Bytes(), MADV_HUGEPAGE);
    std::uninitialized_value_construct_n(data_, count_);
  }
  ~HugeArray() { ::operator delete(data_, std::align_val_t{align_}); }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;

  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* get() { return data_; }
  const T* get() const { return data_; }
  size_t size() const { return count_; }

 private:
  // Rounded up to whole huge pages when advised, so the last page can be huge too.
  size_t Bytes() const {
    const size_t bytes = count_ * sizeof(T);
    return align_ == kHugePage ? (bytes + kHugePage - 1) / kHugePage * kHugePage : bytes;
  }

  size_t count_;
  size_t align_;
  T* data_;
};

}  // namespace ssr::session

#endif  // SSR_SESSION_HUGE_ARRAY_H_
