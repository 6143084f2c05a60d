// SPDX-License-Identifier: Apache-2.0
// In-memory implementation of FramePool and Port, for tests and for running the pipeline over
// packet buffers without a NIC.
//
// Design note. MemoryFramePool is a fixed array of equal-sized frames and a free stack of their
// indices (handle = index), allocated once. MemoryPort is a pair of bounded FIFOs of Frames:
// `Inject` copies bytes into a pool frame and queues it for Receive; Transmit moves frames to
// the TX FIFO, from where a test takes them (`TakeTransmitted`, which copies the bytes out and
// frees the frames) or a Wire moves them to another port's RX FIFO, as a cable would. Queue
// capacity bounds both FIFOs like a ring: Transmit accepts only what fits. No allocation after
// construction (besides TakeTransmitted's returned vectors, a test convenience).
#ifndef SSR_IO_MEMORY_PORT_H_
#define SSR_IO_MEMORY_PORT_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/port.h"

namespace ssr::io {

class MemoryFramePool final : public FramePool {
 public:
  MemoryFramePool(size_t frame_count, uint32_t frame_size);
  size_t Allocate(std::span<Frame> out) override;
  void Free(std::span<const Frame> frames) override;
  size_t available() const override { return free_.size(); }
  size_t frame_count() const { return frame_count_; }
  uint32_t frame_size() const { return frame_size_; }

 private:
  Frame FrameAt(uint64_t index) {
    return Frame{storage_.get() + index * frame_size_, 0, frame_size_, index};
  }
  size_t frame_count_;
  uint32_t frame_size_;
  std::unique_ptr<uint8_t[]> storage_;
  std::vector<uint64_t> free_;  // reserved to frame_count_: push/pop never allocate
};

class MemoryPort final : public Port {
 public:
  MemoryPort(std::string name, MemoryFramePool* pool, size_t queue_capacity = 1024);
  ~MemoryPort() override;

  std::string_view name() const override { return name_; }
  size_t Receive(std::span<Frame> out) override;
  size_t Transmit(std::span<const Frame> frames) override;
  void Flush() override { ++flushes_; }

  // Test side. Inject copies `bytes` into a pool frame queued for Receive; false if the pool is
  // empty, the frame too small or the RX queue full.
  bool Inject(std::span<const uint8_t> bytes);
  // Frames transmitted so far, copied out (oldest first); their frames go back to the pool.
  std::vector<std::vector<uint8_t>> TakeTransmitted();
  // Moves every transmitted frame to `to`'s RX queue (no copy when both use the same pool, else
  // copied into `to`'s pool); frames that do not fit are freed and counted in dropped_on_wire().
  // Returns how many moved.
  size_t DeliverTo(MemoryPort& to);
  // Frees every transmitted frame (a lossy cable); returns how many.
  size_t DropTransmitted();

  size_t rx_pending() const { return rx_.size(); }
  size_t tx_pending() const { return tx_.size(); }
  uint64_t flushes() const { return flushes_; }
  uint64_t dropped_on_wire() const { return dropped_on_wire_; }

 private:
  std::string name_;
  MemoryFramePool* pool_;
  size_t capacity_;
  std::deque<Frame> rx_;
  std::deque<Frame> tx_;
  uint64_t flushes_ = 0;
  uint64_t dropped_on_wire_ = 0;
};

}  // namespace ssr::io

#endif  // SSR_IO_MEMORY_PORT_H_
