// SPDX-License-Identifier: Apache-2.0
// Ports for the no-allocation tests: they accept every frame, return it to the pool and count it,
// keeping the bytes of the last one (SinkPort) or of the first kMax ones (CapturePort) in fixed
// buffers (nothing here allocates).
#ifndef SSR_TEST_PIPELINE_SINK_PORT_H_
#define SSR_TEST_PIPELINE_SINK_PORT_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "io/memory_port.h"
#include "io/port.h"

namespace ssr::pipeline::testing {

class SinkPort final : public io::Port {
 public:
  explicit SinkPort(io::FramePool* pool) : pool_(pool) {}
  std::string_view name() const override { return "sink"; }
  size_t Receive(std::span<io::Frame>) override { return 0; }
  size_t Transmit(std::span<const io::Frame> frames) override {
    for (const io::Frame& f : frames) {
      last_length = f.length;
      std::copy(f.data, f.data + std::min<size_t>(f.length, last.size()), last.begin());
      ++sent;
    }
    pool_->Free(frames);
    return frames.size();
  }
  void Flush() override {}
  std::array<uint8_t, 4096> last{};
  size_t last_length = 0;
  size_t sent = 0;

 private:
  io::FramePool* pool_;
};

// Keeps the bytes of up to kMax transmitted frames (count of them so far; the test may reset
// count) in fixed buffers and frees the frames.
class CapturePort final : public io::Port {
 public:
  static constexpr size_t kMax = 8;
  explicit CapturePort(io::FramePool* pool) : pool_(pool) {}
  std::string_view name() const override { return "capture"; }
  size_t Receive(std::span<io::Frame>) override { return 0; }
  size_t Transmit(std::span<const io::Frame> frames) override {
    for (const io::Frame& f : frames) {
      if (count < kMax) {
        std::copy(f.data, f.data + std::min<size_t>(f.length, 4096), frames_[count].begin());
        lengths[count++] = f.length;
      }
      ++sent;
    }
    pool_->Free(frames);
    return frames.size();
  }
  void Flush() override {}
  const uint8_t* data(size_t i) const { return frames_[i].data(); }
  std::array<size_t, kMax> lengths{};
  size_t count = 0;
  size_t sent = 0;

 private:
  std::array<std::array<uint8_t, 4096>, kMax> frames_{};
  io::FramePool* pool_;
};

}  // namespace ssr::pipeline::testing

#endif  // SSR_TEST_PIPELINE_SINK_PORT_H_
