// SPDX-License-Identifier: Apache-2.0
// SpscRing: a bounded single-producer / single-consumer queue of trivially copyable items.
//
// Design note: the worker (producer) must never wait for the consumer (the control thread that
// runs embedding callbacks), so TryPush fails when the ring is full and the caller counts the
// loss. Storage is allocated once in the constructor; push and pop never allocate or lock. Head
// and tail sit on separate cache lines; each side caches the other side's index and reloads it
// only when the ring looks full / empty.
#ifndef SSR_ROUTER_SPSC_RING_H_
#define SSR_ROUTER_SPSC_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace ssr::router {

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // Capacity is rounded up to a power of two (at least 2).
  explicit SpscRing(size_t capacity) {
    size_t n = 2;
    while (n < capacity) n <<= 1;
    items_.resize(n);
    mask_ = n - 1;
  }

  // Producer side. False when full (nothing written).
  bool TryPush(const T& item) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;
    }
    items_[tail & mask_] = item;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side. False when empty.
  bool TryPop(T* item) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return false;
    }
    *item = items_[head & mask_];
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // In-place variants for large items (no copy through a temporary). Producer: the slot to fill,
  // or null when full; Commit() publishes it. Consumer: the oldest item, or null when empty;
  // Release() frees it.
  T* WriteSlot() {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return nullptr;
    }
    return &items_[tail & mask_];
  }
  void Commit() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  const T* ReadSlot() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return nullptr;
    }
    return &items_[head & mask_];
  }
  void Release() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  size_t capacity() const { return mask_ + 1; }

 private:
  std::vector<T> items_;
  uint64_t mask_ = 0;
  alignas(64) std::atomic<uint64_t> tail_{0};
  uint64_t head_cache_ = 0;  // producer's view of head_
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;  // consumer's view of tail_
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_SPSC_RING_H_
