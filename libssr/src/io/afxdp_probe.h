// SPDX-License-Identifier: Apache-2.0
// ProbeAfXdp: a start-up check that names exactly what AF_XDP operation is missing, before the
// router creates a Umem or a socket.
//
// Checks, in this order, and all of them (one message lists every problem):
//   1. capabilities in the effective set (capget): CAP_NET_ADMIN (attach XDP), CAP_NET_RAW
//      (create AF_XDP sockets), CAP_BPF (load programs and maps; CAP_SYS_ADMIN also does)
//   2. bpffs mounted at `bpffs_path` (statfs magic), unless require_bpffs is false
//   3. AF_XDP sockets supported (socket(AF_XDP, SOCK_RAW, 0))
//   4. the interface exists (if_nametoindex, in the calling thread's network namespace)
//   5. its MTU fits a frame: MTU + 18 (Ethernet + one VLAN tag) + tail_reserve <=
//      frame_size - 256 (XDP_PACKET_HEADROOM, where the kernel places received packets). On
//      veth in native (or auto) mode also MTU <= PAGE_SIZE - 256 - 320 - 14 = 3506 on x86-64:
//      veth refuses a native XDP program when its peer's MTU exceeds a page minus headroom and
//      struct skb_shared_info ("Peer MTU is too large to set XDP"; measured on 6.18).
//   6. queue_id < the interface's RX queue count (ETHTOOL_GCHANNELS), if a queue is given
// The returned status carries the code of the first problem (PermissionDenied for
// capabilities, FailedPrecondition for bpffs / interface / MTU / queue, Unavailable for
// missing AF_XDP support) and a message naming each problem, separated by "; ".
#ifndef SSR_IO_AFXDP_PROBE_H_
#define SSR_IO_AFXDP_PROBE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "io/xdp_mode.h"

namespace ssr::io {

struct ProbeOptions {
  std::string interface = {};                       // empty: no interface checks (4-6)
  std::optional<uint32_t> queue_id = std::nullopt;  // checked against the RX queue count when set
  uint32_t frame_size = 4096;                       // the Umem's frame size
  uint32_t tail_reserve = 0;  // bytes the pipeline may append (SVR metadata, trailer)
  XdpMode xdp_mode = XdpMode::kAuto;
  bool require_bpffs = true;
  std::string bpffs_path = "/sys/fs/bpf";
};

// Largest MTU the options allow on `driver` ("veth" adds the native-XDP limit); the MTU check
// of ProbeAfXdp uses it. Exposed for messages and tests.
uint32_t MaxMtuForFrames(const ProbeOptions& options, const std::string& driver);

absl::Status ProbeAfXdp(const ProbeOptions& options);

}  // namespace ssr::io

#endif  // SSR_IO_AFXDP_PROBE_H_
