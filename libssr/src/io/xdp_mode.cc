// SPDX-License-Identifier: Apache-2.0
#include "io/xdp_mode.h"

#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "io/bpf_log.h"

namespace ssr::io {

std::string_view XdpModeName(XdpMode mode) {
  switch (mode) {
    case XdpMode::kAuto:
      return "auto";
    case XdpMode::kNative:
      return "native";
    case XdpMode::kSkb:
      return "skb";
  }
  return "invalid";
}

std::string_view ZeroCopyModeName(ZeroCopyMode mode) {
  switch (mode) {
    case ZeroCopyMode::kAuto:
      return "auto";
    case ZeroCopyMode::kRequire:
      return "require";
    case ZeroCopyMode::kOff:
      return "off";
  }
  return "invalid";
}

std::string_view XdpAttachModeName(XdpAttachMode mode) {
  switch (mode) {
    case XdpAttachMode::kNone:
      return "none";
    case XdpAttachMode::kNative:
      return "native";
    case XdpAttachMode::kSkb:
      return "skb";
    case XdpAttachMode::kHardware:
      return "hw";
    case XdpAttachMode::kMulti:
      return "multi";
  }
  return "invalid";
}

absl::StatusOr<XdpAttachMode> QueryXdpAttachMode(int ifindex) {
  RouteBpfLibraryLogs();
  LIBBPF_OPTS(bpf_xdp_query_opts, opts);
  const int err = bpf_xdp_query(ifindex, 0, &opts);
  if (err != 0) {
    return absl::UnavailableError(
        absl::StrCat("bpf_xdp_query(ifindex ", ifindex, ") failed: ", std::strerror(-err)));
  }
  switch (opts.attach_mode) {
    case XDP_ATTACHED_DRV:
      return XdpAttachMode::kNative;
    case XDP_ATTACHED_SKB:
      return XdpAttachMode::kSkb;
    case XDP_ATTACHED_HW:
      return XdpAttachMode::kHardware;
    case XDP_ATTACHED_MULTI:
      return XdpAttachMode::kMulti;
    default:
      return XdpAttachMode::kNone;
  }
}

}  // namespace ssr::io
