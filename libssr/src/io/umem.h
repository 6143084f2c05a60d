// SPDX-License-Identifier: Apache-2.0
// Umem: the AF_XDP packet memory of one worker, and the FramePool the worker allocates from.
//
// Design note (buffer handling, after bpf-examples' AF_XDP-forwarding/xsk_fwd.c, simplified to
// one worker per pool so the pool needs no lock and no per-thread cache):
//
//   * One anonymous mmap of frame_count * frame_size bytes, registered with the kernel as an
//     xsk_umem (aligned chunk mode: frame_size is 2048 or 4096, a power of two, so the frame base
//     of any address inside a frame is `addr & ~(frame_size - 1)`).
//   * A frame is, at any time, in exactly one place: the free stack below, a fill ring (given to
//     the kernel for RX), the pipeline (a Frame returned by Receive/Allocate), a TX ring, or a
//     completion ring. Frames move between them by address only; nothing is copied.
//   * The free stack is a std::vector<uint64_t> of frame base addresses reserved to frame_count,
//     so push/pop never allocate. LIFO keeps recently used (cache-warm) frames in circulation.
//   * Every XskPort of the worker (LAN and WAN sockets, possibly several queues) shares this
//     Umem (xsk_socket__create_shared), so a frame received on one port is transmitted on another
//     without a copy, and the completion of that transmit returns the frame here. Each
//     (interface, queue) has its own fill and completion ring; those live in the XskPort.
//
// Headroom. Received packets start XDP_PACKET_HEADROOM (256) bytes into their frame: the umem
// frame_headroom is 0 and the kernel reserves 256 bytes in front of the packet (copy mode and
// zero-copy alike) for XDP programs that push headers. Allocate() uses the same 256-byte offset
// so locally built frames look like received ones. The pipeline grows packets only at the tail,
// so Frame::capacity = frame_size - offset of data in its frame (3840 for 4096-byte frames,
// 1792 for 2048), which leaves room for a full 1500-byte MTU frame plus ~250 bytes of SVR
// metadata and trailer even with 2048-byte frames.
//
// Network namespace: libxdp creates the Umem's AF_XDP socket in xsk_umem__create and reuses it
// as the first port's socket, so the Umem must be created in the network namespace of the
// interfaces its ports use (XskPort::Create checks this and names the mismatch).
//
// Lifetime: created by a factory, owned through unique_ptr, never copied or moved (the kernel
// holds pointers into the area). Every XskPort using it must be destroyed before it.
// Thread-safety: one worker thread uses a Umem and its ports; no internal locking.
#ifndef SSR_IO_UMEM_H_
#define SSR_IO_UMEM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "io/port.h"

struct xsk_umem;
struct xsk_ring_prod;
struct xsk_ring_cons;

namespace ssr::io {

// Offset of the packet in its frame (XDP_PACKET_HEADROOM; see the design note).
inline constexpr uint32_t kFrameHeadroom = 256;

struct UmemOptions {
  uint32_t frame_count = 4096;  // frames in the area (4096 x 4096 B = 16 MiB)
  uint32_t frame_size = 4096;   // 4096 (default) or 2048
  // Size of each fill / completion ring (one pair per interface and queue); powers of two.
  uint32_t fill_ring_size = 2048;
  uint32_t completion_ring_size = 2048;
};

class Umem final : public FramePool {
 public:
  // Maps the area and registers it (xsk_umem__create). InvalidArgument names the option and the
  // value; other failures carry the errno text of the call that failed.
  static absl::StatusOr<std::unique_ptr<Umem>> Create(const UmemOptions& options = {});
  ~Umem() override;
  Umem(const Umem&) = delete;
  Umem& operator=(const Umem&) = delete;

  // FramePool. Allocated frames have length 0, data at kFrameHeadroom, capacity as above.
  size_t Allocate(std::span<Frame> out) override;
  void Free(std::span<const Frame> frames) override;
  size_t available() const override { return free_.size(); }

  const UmemOptions& options() const { return options_; }
  uint32_t frame_size() const { return options_.frame_size; }
  uint8_t* area() const { return area_; }
  size_t area_size() const { return area_size_; }

  // --- for XskPort (same layer): the address-level free stack and ring hand-over. ---
  // Frame for umem address `addr` (anywhere inside a frame) holding `length` bytes.
  Frame FrameAt(uint64_t addr, uint32_t length) const {
    const uint32_t offset = static_cast<uint32_t>(addr & frame_mask_);
    return Frame{area_ + addr, length, options_.frame_size - offset, addr};
  }
  // Umem address of a frame's current data pointer (the pipeline may have moved `data`).
  uint64_t AddressOf(const Frame& frame) const { return static_cast<uint64_t>(frame.data - area_); }
  void PushFree(uint64_t addr) { free_.push_back(addr & ~frame_mask_); }
  // Pops up to `n` frame base addresses into `out`; returns how many.
  size_t PopFree(uint64_t* out, size_t n) {
    if (n > free_.size()) n = free_.size();
    for (size_t i = 0; i < n; ++i) {
      out[i] = free_.back();
      free_.pop_back();
    }
    return n;
  }
  xsk_umem* handle() const { return umem_; }
  // The fill / completion rings xsk_umem__create set up; libxdp binds them to the first socket.
  xsk_ring_prod* initial_fill_ring() const { return fill_.get(); }
  xsk_ring_cons* initial_completion_ring() const { return comp_.get(); }
  // Sockets created on this Umem (kept by XskPort; a Umem outliving none is the rule).
  int socket_count() const { return sockets_; }
  // Inode of the network namespace the Umem (and its first socket) was created in.
  uint64_t netns_inode() const { return netns_inode_; }
  void AddSocket() { ++sockets_; }
  void RemoveSocket() { --sockets_; }

 private:
  Umem(const UmemOptions& options, uint8_t* area, size_t area_size);

  UmemOptions options_;
  uint8_t* area_;
  size_t area_size_;
  uint64_t frame_mask_;
  xsk_umem* umem_ = nullptr;
  std::unique_ptr<xsk_ring_prod> fill_;
  std::unique_ptr<xsk_ring_cons> comp_;
  std::vector<uint64_t> free_;  // reserved to frame_count: push/pop never allocate
  int sockets_ = 0;
  uint64_t netns_inode_ = 0;
};

// Inode of the calling thread's network namespace (0 if unknown).
uint64_t CurrentNetnsInode();

}  // namespace ssr::io

#endif  // SSR_IO_UMEM_H_
