// SPDX-License-Identifier: Apache-2.0
// TCP MSS clamping (docs/protocol.md §2.7.1): the MSS option of a SYN / SYN-ACK lowered so that
// the end hosts' full-size data segments still fit the WAN MTU once SVR has added its per-packet
// overhead.
//
// Design note. Two pure functions, no state: AutoMss computes the largest MSS whose data segments
// fit a path (MTU, outer family, UDP transform, hop trailer, payload cipher), ClampMss rewrites
// the MSS option of one TCP header in place with an incremental checksum update (RFC 1624). The
// pipeline glue (Pipeline::ClampSynMss, in mss_clamp.cc) picks the setting (peer, else its WAN
// interface: auto / a value / off), fills in the path from the session and its peer, and counts
// `mss_clamped`; ingress.cc (ToPeer, LAN -> WAN) and egress.cc (ToLan, WAN -> LAN) call it for
// segments with SYN set. Nothing here allocates; ClampMss is called only for SYN segments.
#ifndef SSR_PIPELINE_MSS_CLAMP_H_
#define SSR_PIPELINE_MSS_CLAMP_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/suites.h"

namespace ssr::pipeline {

inline constexpr uint8_t kTcpOptionEnd = 0;
inline constexpr uint8_t kTcpOptionNop = 1;
inline constexpr uint8_t kTcpOptionMss = 2;
inline constexpr uint8_t kTcpOptionMssLength = 4;

// What ClampMss did.
enum class MssClampResult : uint8_t {
  kNotSyn,       // SYN not set: nothing looked at
  kMalformed,    // data offset below 20 or past the span, or an option runs past the header; no
                 // MSS option before the fault needed lowering, nothing changed
  kNoOption,     // a SYN without an MSS option: none is added (docs/protocol.md §2.7.1)
  kWithinLimit,  // the MSS option is already at or below the limit
  kClamped,      // lowered to the limit, checksum updated
};

// `tcp` starts with a TCP header (its data offset says how long; the span may go on with the
// payload). For a segment with SYN set, every well-formed MSS option (kind 2, length 4) above
// `limit` is set to `limit` and the TCP checksum is updated incrementally; options are walked
// until End of Option List, the end of the header, or a malformed option (length below 2 or past
// the header: the walk stops there, as a receiving host's does, and what was clamped before it
// stays clamped). An MSS option of another length is skipped (hosts ignore it too).
MssClampResult ClampMss(std::span<uint8_t> tcp, uint16_t limit);

// The MSS option value of a SYN's header, 0 when there is none (tests and tools).
uint16_t ReadMss(std::span<const uint8_t> tcp);

// What a data segment of a session crosses, for AutoMss.
struct MssPath {
  uint32_t mtu = 1500;       // largest outer IP packet on the WAN path
  bool ipv6 = false;         // outer family: 40-byte IP header instead of 20
  bool udp_transform = false;  // TCP carried as UDP (§2.12): an 8-byte UDP header in front
  size_t hop_trailer = 0;    // hop authentication: HMAC tag, or the GCM nonce + tag
  crypto::CipherSuite payload_cipher = crypto::CipherSuite::kNone;  // end-to-end encryption
};

// Worst-case bytes SVR adds to a fast-path data segment on `path` besides the outer IP and TCP
// headers: the UDP header of the transform, a false-positive marker (a payload that begins with
// the metadata cookie gets a 12-byte header, §3.8), the payload cipher's expansion (CBC: 16 IV +
// up to 16 padding; GCM: 8 nonce + 16 tag) and the hop trailer.
size_t SvrDataOverhead(const MssPath& path);

// The largest MSS whose full-size data segments fit `path`:
//   mtu - (ipv6 ? 40 : 20) - 20 - SvrDataOverhead(path),
// so that IP + TCP (20 + options the sender subtracts from the MSS, RFC 6691) + data + overhead
// <= mtu. Never below 0 (a path that small carries nothing; config keeps mtu >= 1280).
uint16_t AutoMss(const MssPath& path);

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_MSS_CLAMP_H_
