// SPDX-License-Identifier: Apache-2.0
// Port: where a worker receives and transmits bursts of packet frames.
//
// Design note. A worker owns one FramePool and one Port per interface it serves; every port of a
// worker draws its frames from that pool (with AF_XDP: one UMEM shared by the worker's sockets,
// as in bpf-examples' xsk_fwd.c), so a frame received on the LAN port can be edited in place and
// transmitted on the WAN port without a copy. The pipeline only sees Frames: a pointer to the
// packet bytes, its length and the bytes available behind it (metadata insertion grows packets
// at the tail). Two implementations exist: MemoryPort (io/memory_port.h: tests, pure pipeline
// runs) and the AF_XDP port (io/xsk_port.h). The calls are per burst, so the virtual dispatch
// costs nothing per packet.
//
// Ownership: a Frame returned by Receive or Allocate belongs to the caller until it is passed
// to Transmit (accepted frames belong to the port again) or Free. Frames not accepted by
// Transmit (ring full) stay with the caller, who must Free them (and count the drop).
// Thread-safety: a pool and its ports are used by one worker thread only.
#ifndef SSR_IO_PORT_H_
#define SSR_IO_PORT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ssr::io {

// Largest burst a worker handles at once (docs/architecture.md §3).
inline constexpr size_t kMaxBurst = 64;

struct Frame {
  uint8_t* data = nullptr;  // first byte of the Ethernet frame
  uint32_t length = 0;      // bytes of the frame
  uint32_t capacity = 0;    // bytes writable from `data` (length may grow up to this)
  uint64_t handle = 0;      // pool-specific identity (UMEM address); opaque to the pipeline
  std::span<uint8_t> buffer() const { return {data, capacity}; }
  std::span<uint8_t> bytes() const { return {data, length}; }
};

// Frames of one worker.
class FramePool {
 public:
  virtual ~FramePool() = default;
  // Fills up to out.size() fresh frames (length 0); returns how many (0 when exhausted).
  virtual size_t Allocate(std::span<Frame> out) = 0;
  // Returns frames to the pool.
  virtual void Free(std::span<const Frame> frames) = 0;
  virtual size_t available() const = 0;
};

class Port {
 public:
  virtual ~Port() = default;
  virtual std::string_view name() const = 0;
  // Fills up to out.size() received frames; returns how many.
  virtual size_t Receive(std::span<Frame> out) = 0;
  // Queues frames for transmission; returns how many were accepted (a prefix of `frames`).
  virtual size_t Transmit(std::span<const Frame> frames) = 0;
  // Pushes queued frames out (e.g. a TX wake-up) and reclaims completed ones. Called once per
  // burst and from the idle loop.
  virtual void Flush() = 0;
};

}  // namespace ssr::io

#endif  // SSR_IO_PORT_H_
