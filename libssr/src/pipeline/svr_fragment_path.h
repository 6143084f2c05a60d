// SPDX-License-Identifier: Apache-2.0
// SVR fragmentation in the pipeline (docs/protocol.md §2.14): the arithmetic of splitting a
// packet that carries metadata into SVR fragments that each fit the peer's path MTU.
//
// Design note. A LAN packet toward a peer that carries metadata (a first packet, reverse metadata,
// a health check) and exceeds the path MTU only because of that metadata is sent as SVR fragments
// instead of being refused. ToPeer composes and payload-encrypts the whole packet as usual, so
// the end-to-end ciphertext (with its IV / nonce trailer) is computed once over the whole body;
// that body is then cut at multiples of 8 bytes. Every fragment is a full packet on the session's
// outer tuple (same outer IP and L4 header) with metadata of its own: the Fragment TLV (type 1,
// header section, clear) and the Security ID; the first fragment carries the packet's metadata
// too (its payload section sealed as it was for the whole packet) with the Fragment TLV inserted
// in front of the other header TLVs. Each fragment then gets its own hop trailer (HMAC tag or GCM
// trailer), so the peer authenticates each on its own before holding it, reassembles the body,
// and processes the rebuilt packet (metadata without the Fragment TLV, the whole body) once:
// metadata opened, session created, payload decrypted, delivered byte-identical.
// Fragment TLV fields: Extended ID = a per-worker counter; Original ID = the inner IPv4
// identification (0 for IPv6 and non-IP-id cases); DF = the inner packet's DF; offset = 8-byte
// units of the body as it follows the metadata (payload or ciphertext with its trailer); MF on all
// but the last; Largest Seen = the largest outer IP packet among the fragments.
// The first fragment is the packet's own frame; the others come from the worker's frame pool.
#ifndef SSR_PIPELINE_SVR_FRAGMENT_PATH_H_
#define SSR_PIPELINE_SVR_FRAGMENT_PATH_H_

#include <cstdint>

#include "pipeline/pmtu.h"
#include "svr/metadata.h"

namespace ssr::pipeline {

// At most this many fragments per packet (a 1500-byte path needs 2, a 1280 one 2-3).
inline constexpr uint32_t kMaxSvrFragments = 8;
// The Fragment TLV on the wire: TLV header + 10 bytes of value (§3.6.2).
inline constexpr uint32_t kFragmentTlvSize = static_cast<uint32_t>(svr::kTlvHeaderSize) + 10;
// Metadata of every fragment after the first: header, Fragment TLV, Security ID TLV.
inline constexpr uint32_t kRestFragmentMetadata =
    static_cast<uint32_t>(svr::kMetadataHeaderSize) + kFragmentTlvSize +
    static_cast<uint32_t>(svr::kTlvHeaderSize) + 4;
// Body bytes a reassembly slot holds (a packet's body fits one frame).
inline constexpr uint32_t kMaxSvrDatagram = 4096;

struct SvrFragmentPlan {
  uint32_t body = 0;        // body bytes after the metadata (payload-cipher trailer included)
  uint32_t first_data = 0;  // body bytes in the first fragment (a multiple of 8)
  uint32_t rest_data = 0;   // body bytes in each further fragment but the last (a multiple of 8)
  uint32_t count = 0;       // fragments
  uint32_t largest = 0;     // largest outer IP packet among them (Largest Seen)
};

// Plans the fragments of a packet encapsulated as `e` (e.metadata: the packet's own metadata)
// whose original body is `body` bytes, for `path_mtu`. False when it cannot be done: no room for
// 8 body bytes beside the metadata, more than kMaxSvrFragments, or a body beyond the 13-bit
// offset.
bool PlanSvrFragments(const Encapsulation& e, uint32_t body, uint32_t path_mtu,
                      SvrFragmentPlan* plan);

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_SVR_FRAGMENT_PATH_H_
