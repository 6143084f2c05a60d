// SPDX-License-Identifier: Apache-2.0
// A port for the no-allocation tests: accepts every frame, returns it to the pool, counts it and
// keeps the last one's bytes in a fixed buffer (nothing here allocates).
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

}  // namespace ssr::pipeline::testing

#endif  // SSR_TEST_PIPELINE_SINK_PORT_H_
