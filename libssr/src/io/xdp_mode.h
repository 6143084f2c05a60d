// SPDX-License-Identifier: Apache-2.0
// XDP attach mode and AF_XDP zero-copy choices, as requested by the user and as obtained from
// the kernel.
//
// Requested: XdpMode (native | skb | auto; ssr/xdp_mode.h, the enum the public API and the gate
// use too) says how an XDP program is attached to the interface; ZeroCopyMode (auto | require | off) says how an AF_XDP socket binds. Obtained:
// XdpAttachMode is what the kernel reports for the interface (bpf_xdp_query), and the socket's
// XDP_OPTIONS say whether it runs zero-copy. On veth (this VM) native and skb both attach, and
// sockets always run in copy mode.
#ifndef SSR_IO_XDP_MODE_H_
#define SSR_IO_XDP_MODE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "ssr/xdp_mode.h"

namespace ssr::io {

using ::ssr::XdpMode;

enum class ZeroCopyMode : uint8_t {
  kAuto,     // zero-copy if the driver supports it, otherwise copy
  kRequire,  // fail unless zero-copy (XDP_ZEROCOPY)
  kOff,      // always copy (XDP_COPY)
};

// What the kernel reports for an interface (mirrors XDP_ATTACHED_*).
enum class XdpAttachMode : uint8_t {
  kNone,      // no XDP program attached
  kNative,    // driver mode
  kSkb,       // generic mode
  kHardware,  // offloaded
  kMulti,     // several programs in different modes
};

std::string_view XdpModeName(XdpMode mode);              // "auto", "native", "skb"
std::string_view ZeroCopyModeName(ZeroCopyMode mode);    // "auto", "require", "off"
std::string_view XdpAttachModeName(XdpAttachMode mode);  // "none", "native", "skb", "hw", "multi"

// Attach mode of the XDP program on `ifindex` in the calling thread's network namespace.
absl::StatusOr<XdpAttachMode> QueryXdpAttachMode(int ifindex);

}  // namespace ssr::io

#endif  // SSR_IO_XDP_MODE_H_
