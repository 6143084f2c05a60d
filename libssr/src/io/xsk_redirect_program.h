// SPDX-License-Identifier: Apache-2.0
// XskRedirectProgram: a minimal XDP program that redirects every frame of an interface to the
// AF_XDP socket of its RX queue, with its own XSKMAP. For tests and for running XskPort without
// the XDP gate; the router uses the gate's XSKMAP (bpf/) instead, which is deny-by-default.
//
// Design note. The program is the kernel >= 5.3 variant of libxdp's default AF_XDP program:
//     return bpf_redirect_map(&xsks_map, key_offset + ctx->rx_queue_index, XDP_PASS);
// written as seven BPF instructions and loaded with bpf_prog_load: no object file, no bpffs, no
// libxdp dispatcher. What libxdp 1.3.1 itself does here (measured on this kernel): without
// INHIBIT_PROG_LOAD, xsk_socket__create first tries its multi-program dispatcher, which the
// kernel refuses (EPERM, with a libbpf error printed per attempt), then attaches
// xsk_def_xdp_prog.o alone in the requested mode (native and skb both work, with or without
// bpffs) and detaches it in xsk_socket__delete through netlink by ifindex, i.e. in the
// namespace of the thread that deletes the socket. Owning the program instead gives an exact
// mode choice and report, no dependency on libxdp's installed object files, and a detach that
// cannot hit another namespace's interface: the program is attached through a BPF link
// (BPF_LINK_CREATE, BPF_XDP), and closing the link fd detaches it from exactly that device, from
// any thread and namespace; a crashed process leaves nothing attached. Frames of a queue
// without a socket go to the kernel stack (XDP_PASS).
//
// Lifetime: owns the map, program and link fds; move-only through unique_ptr.
#ifndef SSR_IO_XSK_REDIRECT_PROGRAM_H_
#define SSR_IO_XSK_REDIRECT_PROGRAM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "io/unique_fd.h"
#include "io/xdp_mode.h"

namespace ssr::io {

class XskRedirectProgram {
 public:
  // Loads the map and program and attaches them to `ifindex` (in the calling thread's network
  // namespace; `ifname` is for messages). kAuto tries native first, then skb. Fails with
  // FailedPrecondition if the interface already has an XDP program, Unavailable if the mode is
  // not supported, naming the interface and the mode.
  // `key_offset` is added to the queue index to form the XSKMAP key (as the gate does with its
  // per-interface slots); 0 gives libxdp's layout, key = queue.
  static absl::StatusOr<std::unique_ptr<XskRedirectProgram>> Create(int ifindex,
                                                                    const std::string& ifname,
                                                                    XdpMode mode,
                                                                    uint32_t key_offset = 0);
  XskRedirectProgram(const XskRedirectProgram&) = delete;
  XskRedirectProgram& operator=(const XskRedirectProgram&) = delete;

  int xskmap_fd() const { return map_.get(); }
  XdpAttachMode attach_mode() const { return attach_mode_; }

  static constexpr uint32_t kMaxQueues = 64;  // XSKMAP entries from key_offset on

 private:
  XskRedirectProgram() = default;
  UniqueFd map_;
  UniqueFd prog_;
  UniqueFd link_;  // closed before prog_/map_ (declared last): detaches first
  XdpAttachMode attach_mode_ = XdpAttachMode::kNone;
};

}  // namespace ssr::io

#endif  // SSR_IO_XSK_REDIRECT_PROGRAM_H_
