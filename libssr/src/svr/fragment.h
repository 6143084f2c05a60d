// SPDX-License-Identifier: Apache-2.0
// SVR fragmentation (docs/protocol.md §2.14): when metadata (and trailers) would push a packet over
// the path MTU, the sending router splits the packet's original payload into several SVR packets,
// each with a Fragment TLV (type 1, header section, never encrypted) telling the receiving router
// how to put the payload back together.
//
// Wire rules used here [LIB where the draft is silent]:
//  * Every fragment is a full packet on the session's outer tuple (same IP header fields and L4
//    ports as the original), carrying metadata: the Fragment TLV plus, when the caller sets it,
//    the Security ID (so §7.16 holds for fragments too). The FIRST fragment also carries the
//    session's own TLVs (the metadata the unfragmented packet would have carried).
//  * Fragment TLV fields: Extended ID = a per-sender counter that identifies the datagram;
//    Original ID = the low 16 bits of the original IPv4 identification (0 for IPv6); Offset = the
//    position of this fragment's data in the original L4 payload, in 8-byte units; M = more
//    fragments follow; D = the original's IPv4 DF bit; Largest Seen = the largest IP packet
//    length produced for this datagram (so the egress can re-fragment like the source did).
//  * Every fragment but the last carries a multiple of 8 data bytes.
//  * Only UDP packets are fragmented: TCP segments carry metadata only on SYN/SYN-ACK (O-9), which
//    have no room problem in practice; a TCP packet that does not fit is reported to the caller.
//
// The pipeline (libssr/src/pipeline/svr_fragment_path.{h,cc}) splits its composed packets itself
// (after payload encryption, with a hop trailer per fragment, any carried protocol) and uses
// FragmentReassembler on the receiving side; FragmentUdpPacket is the standalone splitter.
//
// Reassembly keeps a fixed number of slots with preallocated buffers (no allocation per packet);
// a datagram that does not complete within the timeout, or that is pushed out by newer ones when
// every slot is busy, is dropped and counted.
#ifndef SSR_SVR_FRAGMENT_H_
#define SSR_SVR_FRAGMENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "packet/packet_info.h"
#include "svr/metadata.h"
#include "util/counters.h"
#include "util/ip_address.h"

namespace ssr::svr {

#define SSR_SVR_FRAGMENT_RESULTS(X)                                                            \
  X(kOk, "frag_ok", "done")                                                                    \
  X(kNotUdp, "frag_not_udp", "only UDP packets are SVR-fragmented")                            \
  X(kMtuTooSmall, "frag_mtu_too_small", "MTU leaves no room for 8 data bytes per fragment")    \
  X(kTooManyFragments, "frag_too_many", "more fragments needed than output buffers given")     \
  X(kNoRoom, "frag_no_room", "an output buffer is too small for its fragment")                 \
  X(kMetadataNotEncodable, "frag_metadata_not_encodable", "first-fragment metadata too large") \
  X(kInconsistent, "frag_inconsistent", "packet info does not match the buffer")

SSR_DEFINE_COUNTER_ENUM(FragmentResult, SSR_SVR_FRAGMENT_RESULTS)

// Splits a UDP frame (parsed as `info`, payload = the original payload, no metadata inserted yet)
// into SVR fragments of at most `mtu` bytes of IP packet each. `session_md` is the metadata the
// whole packet would have carried (it must not contain a Fragment TLV); it goes into the first
// fragment. Later fragments carry only the Fragment TLV, plus Security ID if `session_md` has one.
// Fragment i is written to outputs[i]; its frame length to lengths[i]; *count = fragments made.
FragmentResult FragmentUdpPacket(std::span<const uint8_t> frame, const packet::PacketInfo& info,
                                 const Metadata& session_md, uint32_t extended_id, size_t mtu,
                                 std::span<const std::span<uint8_t>> outputs,
                                 std::span<size_t> lengths, size_t* count);

#define SSR_SVR_REASSEMBLY_RESULTS(X)                                                         \
  X(kIncomplete, "reasm_incomplete", "fragment stored, datagram not complete yet")            \
  X(kComplete, "reasm_complete", "datagram complete")                                         \
  X(kDuplicate, "reasm_duplicate", "fragment already received")                               \
  X(kOverlap, "reasm_overlap", "fragment overlaps received data with different bounds")       \
  X(kTooLarge, "reasm_too_large", "fragment data beyond the maximum datagram size")           \
  X(kBadFragment, "reasm_bad_fragment", "non-final fragment whose length is not a multiple of 8") \
  X(kMissingFragmentTlv, "reasm_missing_fragment_tlv", "metadata without a Fragment TLV")     \
  X(kEvicted, "reasm_evicted", "an unfinished datagram was dropped to make room")             \
  X(kTimedOut, "reasm_timed_out", "an unfinished datagram timed out")

SSR_DEFINE_COUNTER_ENUM(ReassemblyResult, SSR_SVR_REASSEMBLY_RESULTS)

// Fixed-capacity reassembly of SVR fragments from many peers. Single-threaded (one per worker).
class FragmentReassembler {
 public:
  struct Options {
    size_t slots = 64;                  // datagrams in progress at once
    size_t max_datagram = 65535;        // bytes of original payload per datagram
    uint64_t timeout_ms = 2000;         // unfinished datagrams are dropped after this
    size_t max_first_metadata = 2048;   // bytes of first-fragment metadata kept per datagram
  };

  // The reassembled datagram, valid until the next Add() call.
  struct Datagram {
    std::span<const uint8_t> payload;         // the original L4 payload
    std::span<const uint8_t> first_metadata;  // encoded metadata of the first fragment
  };

  explicit FragmentReassembler(const Options& options);

  // Adds one fragment: `source` is the sending waypoint, `md` its decoded metadata (must have the
  // Fragment TLV), `encoded_md` the metadata bytes as received (kept for the first fragment), and
  // `data` the fragment's data bytes (L4 payload after the metadata). On kComplete, *out holds the
  // datagram. `flow` narrows the key further (source, Extended ID, flow): the pipeline passes the
  // outer tuple's ports and protocol, so two sessions' datagrams never mix.
  ReassemblyResult Add(const util::IpAddress& source, const Metadata& md,
                       std::span<const uint8_t> encoded_md, std::span<const uint8_t> data,
                       uint64_t now_ms, Datagram* out, uint64_t flow = 0);
  // Drops the unfinished datagrams older than the timeout (counted kTimedOut); returns how many.
  size_t Expire(uint64_t now_ms);

  const util::CounterArray<ReassemblyResult>& counters() const { return counters_; }
  size_t in_progress() const;

 private:
  struct Slot {
    bool used = false;
    util::IpAddress source;
    uint64_t flow = 0;
    uint32_t extended_id = 0;
    uint64_t first_seen_ms = 0;
    size_t total = 0;             // known once the last fragment arrived; 0 = unknown
    size_t received = 0;          // data bytes received
    size_t first_md_length = 0;
    bool have_first = false;
    std::vector<uint64_t> units;  // bitmap of received 8-byte units
    std::vector<uint8_t> data;
    std::vector<uint8_t> first_md;
  };
  Slot* FindOrClaim(const util::IpAddress& source, uint64_t flow, uint32_t extended_id,
                    uint64_t now_ms);
  ReassemblyResult Record(ReassemblyResult r) {
    counters_.Increment(r);
    return r;
  }

  Options options_;
  std::vector<Slot> slots_;
  util::CounterArray<ReassemblyResult> counters_;
};

}  // namespace ssr::svr

#endif  // SSR_SVR_FRAGMENT_H_
