// SPDX-License-Identifier: Apache-2.0
#include "io/memory_port.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace ssr::io {

MemoryFramePool::MemoryFramePool(size_t frame_count, uint32_t frame_size)
    : frame_count_(frame_count),
      frame_size_(frame_size),
      storage_(new uint8_t[frame_count * frame_size]()) {
  free_.reserve(frame_count);
  for (size_t i = frame_count; i > 0; --i) free_.push_back(i - 1);
}

size_t MemoryFramePool::Allocate(std::span<Frame> out) {
  const size_t n = std::min(out.size(), free_.size());
  for (size_t i = 0; i < n; ++i) {
    out[i] = FrameAt(free_.back());
    free_.pop_back();
  }
  return n;
}

void MemoryFramePool::Free(std::span<const Frame> frames) {
  for (const Frame& f : frames) free_.push_back(f.handle);
}

MemoryPort::MemoryPort(std::string name, MemoryFramePool* pool, size_t queue_capacity)
    : name_(std::move(name)), pool_(pool), capacity_(queue_capacity) {}

MemoryPort::~MemoryPort() {
  for (const Frame& f : rx_) pool_->Free({&f, 1});
  for (const Frame& f : tx_) pool_->Free({&f, 1});
}

size_t MemoryPort::Receive(std::span<Frame> out) {
  const size_t n = std::min(out.size(), rx_.size());
  for (size_t i = 0; i < n; ++i) {
    out[i] = rx_.front();
    rx_.pop_front();
  }
  return n;
}

size_t MemoryPort::Transmit(std::span<const Frame> frames) {
  const size_t n = std::min(frames.size(), capacity_ - std::min(capacity_, tx_.size()));
  for (size_t i = 0; i < n; ++i) tx_.push_back(frames[i]);
  return n;
}

bool MemoryPort::Inject(std::span<const uint8_t> bytes) {
  if (rx_.size() >= capacity_) return false;
  Frame f;
  if (pool_->Allocate({&f, 1}) != 1) return false;
  if (bytes.size() > f.capacity) {
    pool_->Free({&f, 1});
    return false;
  }
  std::memcpy(f.data, bytes.data(), bytes.size());
  f.length = static_cast<uint32_t>(bytes.size());
  rx_.push_back(f);
  return true;
}

std::vector<std::vector<uint8_t>> MemoryPort::TakeTransmitted() {
  std::vector<std::vector<uint8_t>> out;
  out.reserve(tx_.size());
  for (const Frame& f : tx_) {
    out.emplace_back(f.data, f.data + f.length);
    pool_->Free({&f, 1});
  }
  tx_.clear();
  return out;
}

size_t MemoryPort::DeliverTo(MemoryPort& to) {
  size_t moved = 0;
  for (const Frame& f : tx_) {
    if (to.pool_ != pool_) {
      // Another worker's pool: copy, as a real cable would.
      if (to.Inject(f.bytes())) {
        ++moved;
      } else {
        ++dropped_on_wire_;
      }
      pool_->Free({&f, 1});
    } else if (to.rx_.size() < to.capacity_) {
      to.rx_.push_back(f);
      ++moved;
    } else {
      pool_->Free({&f, 1});
      ++dropped_on_wire_;
    }
  }
  tx_.clear();
  return moved;
}

size_t MemoryPort::DropTransmitted() {
  const size_t n = tx_.size();
  for (const Frame& f : tx_) pool_->Free({&f, 1});
  tx_.clear();
  return n;
}

}  // namespace ssr::io
