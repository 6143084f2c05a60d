// SPDX-License-Identifier: Apache-2.0
// Inserting SVR metadata into, and removing it from, TCP and UDP packets (docs/protocol.md §3.1).
//
// Buffer model: a frame occupies buffer[0, *frame_length); the buffer's size is its capacity
// (an AF_XDP frame, or a test vector). Metadata goes immediately after the L4 header (after TCP
// options); the original payload moves right. Afterwards the IPv4 total length and header
// checksum (or the IPv6 payload length), the UDP length and the TCP/UDP checksum are correct, and
// any Ethernet padding after the IP packet is dropped.
//
// The L4 checksum is recomputed over the whole segment rather than updated incrementally:
// inserting an odd number of bytes shifts the payload's byte alignment, which RFC 1624 cannot
// express, and these edits only happen on the handful of packets that carry metadata.
//
// TCP (O-9, §3.1): metadata travels only in SYN and SYN-ACK segments between routers. Any other
// TCP segment is refused with kTcpNotSyn; the caller re-signals such sessions out of band.
//
// MTU (§2.14): if the grown IP packet would exceed `mtu`, nothing is changed and kExceedsMtu is
// returned; the caller then splits the packet with SVR fragmentation (Fragment TLV).
#ifndef SSR_SVR_PACKET_EDIT_H_
#define SSR_SVR_PACKET_EDIT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "packet/packet_info.h"
#include "util/counters.h"

namespace ssr::svr {

#define SSR_SVR_EDIT_RESULTS(X)                                                                 \
  X(kOk, "edit_ok", "metadata inserted or removed")                                             \
  X(kNotTcpOrUdp, "edit_not_tcp_udp", "packet has no TCP or UDP header")                        \
  X(kFragment, "edit_ip_fragment", "IP fragments cannot carry inline metadata")                 \
  X(kTcpNotSyn, "edit_tcp_not_syn", "metadata only rides on TCP SYN / SYN-ACK (O-9)")           \
  X(kExceedsMtu, "edit_exceeds_mtu", "packet with metadata would exceed the path MTU (§2.14)")  \
  X(kNoRoom, "edit_no_room", "buffer too small for the grown frame")                            \
  X(kTooLong, "edit_too_long", "IP packet would exceed 65535 bytes")                            \
  X(kPayloadTooShort, "edit_payload_too_short", "payload shorter than the metadata to remove")  \
  X(kInconsistent, "edit_inconsistent", "packet info does not match the buffer")

SSR_DEFINE_COUNTER_ENUM(EditResult, SSR_SVR_EDIT_RESULTS)

std::string_view EditResultName(EditResult r);

// Inserts `metadata` after the L4 header of the parsed frame. `info` must describe the frame in
// `buffer` (ParseFrame of buffer[0, *frame_length)). `mtu` bounds the resulting IP packet length.
// On kOk, *frame_length is the new length; `info` is stale afterwards (re-parse or adjust).
EditResult InsertMetadata(std::span<uint8_t> buffer, size_t* frame_length,
                          const packet::PacketInfo& info, std::span<const uint8_t> metadata,
                          size_t mtu);

// Removes `length` bytes that follow the L4 header (metadata already decoded by the caller), fixing
// the same fields.
EditResult RemoveMetadata(std::span<uint8_t> buffer, size_t* frame_length,
                          const packet::PacketInfo& info, size_t length);

// After the L4 payload of the packet described by `info` changed length so that its IP packet is
// now `l3_length` bytes (headers unchanged and in place): rewrites the IPv4 total length and
// header checksum (or the IPv6 payload length), the UDP length, and recomputes the TCP/UDP
// checksum over the new segment. `info` must describe a TCP or UDP packet.
void FixLengthsAndChecksums(std::span<uint8_t> buffer, const packet::PacketInfo& info,
                            size_t l3_length);

}  // namespace ssr::svr

#endif  // SSR_SVR_PACKET_EDIT_H_
