// SPDX-License-Identifier: Apache-2.0
// XDP attach mode: the one enum the embedding API (RouterOptions::xdp_mode), the AF_XDP ports
// and the XDP gate share. As a request, kAuto means native if the driver supports it, otherwise
// skb; as a result (the mode a program did attach in), it is kNative or kSkb, per interface.
#ifndef SSR_XDP_MODE_H_
#define SSR_XDP_MODE_H_

namespace ssr {
inline namespace v0 {

/// How the XDP gate attaches to an interface (RouterOptions::xdp_mode).
enum class XdpMode {
  kAuto,    // native if the driver supports it, otherwise skb (generic)
  kNative,  // driver mode (XDP_FLAGS_DRV_MODE)
  kSkb,     // generic mode (XDP_FLAGS_SKB_MODE)
};

}  // namespace v0
}  // namespace ssr

#endif  // SSR_XDP_MODE_H_
