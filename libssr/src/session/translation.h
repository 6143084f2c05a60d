// SPDX-License-Identifier: Apache-2.0
// Address/port translation of session packets.
//
// Design note: a session's rewrite in direction d maps the packet's tuple (which equals
// session.key(d)) onto Reversed(session.key(Opposite(d))): the packet must leave looking exactly
// like the mirror image of what the other direction arrives with. That one rule covers all roles:
//   ingress  forward: LAN tuple          -> outer waypoint tuple (local wp:port -> remote wp:port)
//            reverse: outer from the peer -> original LAN tuple restored (server -> client)
//   egress   forward: outer from the peer -> server tuple from the forward context (or its NAT)
//            reverse: server reply        -> outer waypoint tuple back to the peer
//   transit  forward/reverse: outer of one hop <-> outer of the next
// The side/vlan of the result say where the packet leaves. Protocol changes (ICMP or other
// protocols carried as UDP, UDP transform) are visible as result.protocol != key.protocol; they
// need the metadata layer's re-encapsulation, not a header rewrite, so RewriteTuple refuses them.
#ifndef SSR_SESSION_TRANSLATION_H_
#define SSR_SESSION_TRANSLATION_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "packet/packet_info.h"
#include "session/flow_key.h"
#include "session/session.h"

namespace ssr::session {

// The tuple a packet of `direction` has after the session's rewrite.
inline FlowKey TranslatedTuple(const Session& session, Direction direction) {
  return Reversed(session.key(Opposite(direction)));
}

enum class RewriteResult : uint8_t {
  kOk,
  kFamilyMismatch,    // the packet's IP version differs from the target tuple's
  kProtocolMismatch,  // the target tuple has another protocol (needs re-encapsulation)
  kFragment,          // IP fragments are reassembled or refused before translation
  kNotEcho,           // ICMP other than echo request/reply has no identifier to rewrite
};
std::string_view RewriteResultName(RewriteResult r);

// Rewrites the addresses and ports (ICMP echo: identifier) of the parsed packet in `frame` to
// `to`, updating the IPv4 header checksum and the TCP/UDP/ICMP checksum incrementally
// (RFC 1624 via packet/checksum.h), so the cost does not depend on the payload size. `info` must
// be the parse of `frame` (ParseFrame or ParseIp with the same offsets). side and vlan of `to`
// are not written (L2 is the caller's). On any result but kOk the frame is unchanged.
RewriteResult RewriteTuple(std::span<uint8_t> frame, const packet::PacketInfo& info,
                           const FlowKey& to);

}  // namespace ssr::session

#endif  // SSR_SESSION_TRANSLATION_H_
