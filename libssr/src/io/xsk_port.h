// SPDX-License-Identifier: Apache-2.0
// XskPort: an io::Port on one AF_XDP socket (interface, queue) whose frames live in a Umem.
//
// Design note (rings and wake-ups, after bpf-examples' xsk_fwd.c):
//
//   Receive   peeks up to min(out.size(), batch_size) RX descriptors, turns them into Frames
//             (the caller owns them now) and refills the fill ring with as many frames from the
//             Umem's free stack (the fill ring is kept at `fill_frames` frames in the kernel).
//             When nothing arrived and the kernel asked for it (fill ring need_wakeup), one
//             recvfrom(MSG_DONTWAIT) wakes the driver.
//   Transmit  takes frames of this port's Umem only (received on any port of the Umem, or
//             from Umem::Allocate); it reaps the completion ring (no syscall), then writes one
//             TX descriptor per frame
//             (addr = the frame's data pointer as a umem address, so the pipeline may move
//             `data` inside the frame) and submits them; accepts what fits (a prefix).
//   Flush     kicks the TX ring with sendto(MSG_DONTWAIT) when descriptors are waiting and the
//             kernel asks for a wake-up (with need_wakeup off: whenever descriptors wait), reaps
//             completions back into the Umem free stack and tops up the fill ring.
//
//   Copy mode (veth, and any driver without AF_XDP zero-copy) transmits from the sendto
//   itself, at most 32 descriptors per call (the kernel's TX batch), and always asks for a TX
//   wake-up; so Flush kicks up to kMaxKicksPerFlush times until the ring is drained, i.e. one
//   or two syscalls per burst of 64. In zero-copy mode the driver clears the flag while its
//   NAPI loop runs and most Flushes make no syscall.
//
// Program and XSKMAP. With `xskmap_fd` set (the router: the gate's XSKMAP, bpf/), the socket is
// created with XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, so libxdp never attaches its own
// accept-everything program, and inserted at key `xskmap_key` (default: `queue_id`, through
// xsk_socket__update_xskmap).
// Without it (tests, tools), the port attaches its own XskRedirectProgram to the interface in
// the requested xdp_mode (one such port per interface).
//
// Per packet: no allocation, no exception, no syscall; per burst at most the wake-ups above.
// Lifetime: the Umem must outlive the port. Frames the kernel holds (fill/RX/TX/completion
// rings) when the port is destroyed are not returned to the Umem's free stack: ports are meant
// to live as long as their Umem. Creation and destruction act on the interface in the calling
// thread's network namespace. Thread-safety: one worker thread per Umem and its ports.
#ifndef SSR_IO_XSK_PORT_H_
#define SSR_IO_XSK_PORT_H_

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "io/port.h"
#include "io/umem.h"
#include "io/xdp_mode.h"
#include "io/xsk_redirect_program.h"
#include "util/counters.h"

namespace ssr::io {

#define SSR_XSK_COUNTERS(X)                                                                    \
  X(kRxPackets, "xsk_rx_packets", "frames taken from the RX ring")                             \
  X(kTxPackets, "xsk_tx_packets", "frames written to the TX ring")                             \
  X(kTxCompleted, "xsk_tx_completed", "transmitted frames returned by the completion ring")    \
  X(kTxRingFull, "xsk_tx_ring_full",                                                           \
    "frames Transmit refused because the TX ring was full (the caller frees and counts them)") \
  X(kFillNoFrame, "xsk_fill_no_frame",                                                         \
    "fill-ring slots a refill could not fill (Umem out of free frames)")                       \
  X(kRxWakeups, "xsk_rx_wakeups", "recvfrom wake-ups asked for by the fill ring")              \
  X(kTxWakeups, "xsk_tx_wakeups", "sendto wake-ups of the TX ring")                            \
  X(kTxWakeupErrors, "xsk_tx_wakeup_errors", "sendto wake-ups failing with an unexpected errno")

SSR_DEFINE_COUNTER_ENUM(XskCounter, SSR_XSK_COUNTERS)

struct XskPortOptions {
  std::string interface = {};  // required
  uint32_t queue_id = 0;
  XdpMode xdp_mode = XdpMode::kAuto;
  ZeroCopyMode zero_copy = ZeroCopyMode::kAuto;
  uint32_t rx_ring_size = 2048;  // powers of two
  uint32_t tx_ring_size = 2048;
  bool need_wakeup = true;   // XDP_USE_NEED_WAKEUP
  uint32_t batch_size = 64;  // RX descriptors per Receive, 1..kMaxBurst
  // Frames kept in this port's fill ring; 0 = half the Umem's fill ring size.
  uint32_t fill_frames = 0;
  // XSKMAP of the XDP program already loaded for the interface (the router's gate). -1: attach
  // our own redirect program (tests).
  int xskmap_fd = -1;
  // Key of this socket in that XSKMAP. -1: queue_id (xsk_socket__update_xskmap, libxdp's
  // layout); the gate uses xsk_slot * SSR_GATE_MAX_QUEUES + queue (bpf_shared.h).
  int64_t xskmap_key = -1;
};

// The mode the port actually runs in.
struct XskMode {
  XdpAttachMode xdp = XdpAttachMode::kNone;  // attach mode of the interface's XDP program
  bool zero_copy = false;                    // socket bound zero-copy (XDP_OPTIONS_ZEROCOPY)
  bool need_wakeup = false;
  bool own_program = false;  // the port attached its own XskRedirectProgram
};
// "xdp=native zero_copy=off need_wakeup=on program=own"
std::string XskModeString(const XskMode& mode);

class XskPort final : public Port {
 public:
  // Creates the socket on (options.interface, options.queue_id) sharing `umem` (not owned),
  // attaches or joins the XDP program, fills the fill ring. Errors name the option and value:
  // FailedPrecondition for a missing interface or queue, or an xdp_mode the existing program
  // contradicts; Unavailable when the kernel refuses the mode (e.g. zero_copy: require on veth).
  static absl::StatusOr<std::unique_ptr<XskPort>> Create(Umem* umem, const XskPortOptions& options);
  ~XskPort() override;
  XskPort(const XskPort&) = delete;
  XskPort& operator=(const XskPort&) = delete;

  std::string_view name() const override { return name_; }  // "<interface>:<queue>"
  size_t Receive(std::span<Frame> out) override;
  size_t Transmit(std::span<const Frame> frames) override;
  void Flush() override;

  const XskMode& mode() const { return mode_; }
  const XskPortOptions& options() const { return options_; }
  int fd() const { return fd_; }
  int ifindex() const { return ifindex_; }
  // Frames submitted for TX whose completion has not been reaped yet.
  uint32_t tx_in_flight() const { return tx_in_flight_; }
  // Frames currently given to the kernel through the fill ring (RX buffers).
  uint32_t fill_in_kernel() const { return fill_in_kernel_; }
  const util::CounterArray<XskCounter>& counters() const { return counters_; }
  // Kernel counters of the socket (getsockopt XDP_STATISTICS; a syscall, not for the hot path).
  absl::StatusOr<xdp_statistics> KernelStatistics() const;

  static constexpr int kMaxKicksPerFlush = 4;

 private:
  XskPort(Umem* umem, const XskPortOptions& options, int ifindex);
  void ReapCompletions();
  void RefillFillRing();
  uint32_t TxPending();  // descriptors the kernel has not consumed yet

  // Hot fields first.
  xsk_ring_cons rx_{};
  xsk_ring_prod tx_{};
  xsk_ring_prod fill_{};
  xsk_ring_cons comp_{};
  Umem* umem_;
  int fd_ = -1;
  uint32_t batch_;
  uint32_t fill_target_;
  uint32_t fill_in_kernel_ = 0;
  uint32_t tx_in_flight_ = 0;
  bool need_wakeup_;
  util::CounterArray<XskCounter> counters_;

  xsk_socket* xsk_ = nullptr;
  std::unique_ptr<XskRedirectProgram> program_;  // only without options.xskmap_fd
  XskPortOptions options_;
  int ifindex_;
  std::string name_;
  XskMode mode_;
};

}  // namespace ssr::io

#endif  // SSR_IO_XSK_PORT_H_
