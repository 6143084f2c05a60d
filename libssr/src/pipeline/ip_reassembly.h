// SPDX-License-Identifier: Apache-2.0
// IpReassembly: one worker's bounded pool for reassembling IP fragments (IPv4 and IPv6) that
// arrive on either side (docs/protocol.md §2.14.1).
//
// Design note. A non-first fragment has no transport header, so it cannot be matched to a session
// by its ports. Two designs were possible: (a) remember (src, dst, protocol, IP id) -> session
// from the first fragment and carry every fragment on its own in the session's SVR packets, or
// (b) reassemble the datagram at the router and process it as one packet. libssr does (b):
//  * (a) needs the first fragment before any other (fragments overtake each other; out-of-order
//    ones would have to be held anyway), needs the peer to rebuild IP fragments it never saw
//    whole, and would send every non-first fragment as a fresh SVR packet whose only session
//    reference is the IP id, which the WAN cannot check (no transport header to match, ICMP
//    errors, replay filter and TCP tracking all see fragments of nothing);
//  * (b) reuses every existing step (policy, session lookup, metadata, crypto, TCP tracking, ICMP
//    matching) unchanged on an ordinary packet, for both the LAN side (a host's fragmented
//    datagram) and the WAN side (a peer's SVR packet fragmented by the network).
// The cost of (b): a datagram is only forwarded once complete, and it must fit kMaxData bytes of
// fragmentable part: larger ones are dropped and counted (kTooBig), never sent truncated. One
// that does not fit the received frame (with room for SVR growth) is rebuilt in the pipeline's
// per-worker large frame instead and leaves split into pool frames. A reassembled datagram that
// does not fit the WAN MTU after SVR encapsulation leaves as outer IPv4 / IPv6 fragments
// (outer_fragment.h); one larger than a LAN interface's MTU leaves as IP fragments (lan egress).
//
// Memory: every slot and its buffers are allocated by the constructor; Add and Expire allocate
// nothing. A slot holds one datagram's unfragmentable header (from the first fragment) and its
// data; it is found through a chained hash on (side, vlan, version, src, dst, id, protocol for
// IPv4). Slots are kept in arrival order on a list: every slot has the same timeout, so the
// oldest is always at the head and expiry is O(expired).
//
// Rules (per datagram): fragments may arrive in any order; an exact duplicate of a fragment
// already held is dropped on its own (kDuplicate); any other overlap discards the whole datagram
// (kOverlap, as RFC 5722 requires for IPv6 and as RFC 1858 advises against overlap attacks for
// IPv4); a non-last fragment whose data is not a multiple of 8, an empty fragment, a second
// last fragment disagreeing on the end, or data beyond the end discard it too (kBadLength); more
// than kMaxFragments fragments discard it (kTooMany). A discarded datagram keeps its slot until
// its timeout so that its later fragments are dropped (kDiscarded) rather than opening a new slot.
// A datagram that does not complete within the timeout is dropped (counted by Expire). When every
// slot is in use, a fragment of a new datagram is dropped (kPoolFull): held datagrams are never
// evicted for newcomers, so a flood cannot flush fragments of datagrams already in progress, and
// the pool frees itself within one timeout after the flood stops.
#ifndef SSR_PIPELINE_IP_REASSEMBLY_H_
#define SSR_PIPELINE_IP_REASSEMBLY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "packet/packet_info.h"
#include "util/ip_address.h"

namespace ssr::pipeline {

enum class FragmentResult : uint8_t {
  kHeld,        // stored; the datagram is not complete yet (the frame may be freed)
  kComplete,    // the datagram is complete and was written into the frame (or the spill buffer)
  kDuplicate,   // dropped: the same fragment (offset and length) is already held
  kOverlap,     // dropped: overlaps a held fragment; the datagram is discarded
  kBadLength,   // dropped: empty, misaligned non-last, or inconsistent end; datagram discarded
  kTooMany,     // dropped: more than kMaxFragments fragments; datagram discarded
  kTooBig,      // dropped: the datagram would not fit the slot or the buffers; datagram discarded
  kPoolFull,    // dropped: no free slot for a new datagram
  kDiscarded,   // dropped: a fragment of a datagram already discarded
};

class IpReassembly {
 public:
  static constexpr uint32_t kMaxFragments = 16;
  // Fragmentable part of one datagram (everything after the IPv4 header / the IPv6 fragment
  // header): a 9000-byte jumbo datagram fits, and so does the outer SVR packet of a 4000-byte
  // UDP datagram with its metadata. Datagrams that do not fit a frame are written into the
  // caller's spill buffer (Pipeline's large frame, docs/protocol.md §2.14.1).
  static constexpr uint32_t kMaxData = 9216;
  // Unfragmentable part: the IPv4 header (<= 60) or the IPv6 header and the extension headers
  // before the fragment header.
  static constexpr uint32_t kMaxHeader = 256;

  // Allocates `slots` (>= 1) datagram slots; `timeout_ms` is a datagram's lifetime from its first
  // fragment.
  IpReassembly(uint32_t slots, uint32_t timeout_ms);
  IpReassembly(const IpReassembly&) = delete;
  IpReassembly& operator=(const IpReassembly&) = delete;

  // Adds the fragment `info` describes (a kOk parse of `buffer`'s first `length` bytes, with
  // info.is_fragment) received on `side`. kComplete: the whole datagram, with the L2 header of
  // this frame, has been written over `buffer` and *new_length is its frame length (the IP header
  // says it is no fragment any more; re-parse it). When the datagram would leave fewer than
  // `tail_room` bytes free in `buffer`, it is written into `spill` instead (same layout; *spilled
  // set) if it fits there, else kTooBig. Expired datagrams are reclaimed first.
  FragmentResult Add(uint16_t side, std::span<uint8_t> buffer, const packet::PacketInfo& info,
                     uint64_t now_ms, uint32_t* new_length, std::span<uint8_t> spill = {},
                     uint32_t tail_room = 0, bool* spilled = nullptr);

  // Frees datagrams whose timeout has passed; returns how many of them were still incomplete
  // (discarded datagrams were counted when they were discarded).
  uint32_t Expire(uint64_t now_ms);

  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t in_use() const { return in_use_; }
  // Bytes allocated at construction; constant for the pool's life.
  size_t memory_bytes() const { return memory_bytes_; }

 private:
  static constexpr uint32_t kNone = 0xffffffffu;
  struct Range {
    uint16_t begin;  // data offsets, end exclusive (kMaxData fits 16 bits)
    uint16_t end;
  };
  struct Slot {
    util::IpAddress src;
    util::IpAddress dst;
    uint32_t id = 0;
    uint16_t side = 0;
    uint16_t vlan = 0;
    uint8_t version = 0;
    uint8_t protocol = 0;  // IPv4 only (0 for IPv6, whose key has none)
    bool used = false;
    bool discarded = false;
    uint8_t fragments = 0;
    uint16_t header_length = 0;  // 0 until the first fragment arrived
    uint16_t nh_field = 0;       // IPv6: offset in the header of the byte naming the fragment header
    uint8_t next_header = 0;     // IPv6: the fragment header's next header (first fragment)
    uint32_t end = 0;            // datagram data length, 0 until the last fragment arrived
    uint32_t received = 0;       // data bytes held
    uint64_t deadline = 0;
    uint32_t hash_next = kNone;  // chain in buckets_
    uint32_t older = kNone;      // arrival-order list
    uint32_t newer = kNone;
    Range ranges[kMaxFragments];
  };
  struct Key {
    util::IpAddress src;
    util::IpAddress dst;
    uint32_t id;
    uint16_t side;
    uint16_t vlan;
    uint8_t version;
    uint8_t protocol;
  };

  static Key KeyOf(uint16_t side, const packet::PacketInfo& info);
  size_t Bucket(const Key& k) const;
  bool Matches(const Slot& s, const Key& k) const;
  uint32_t Find(const Key& k) const;
  uint32_t Open(const Key& k, uint64_t now_ms);
  void Release(uint32_t index);
  FragmentResult Discard(Slot& s, FragmentResult why);
  FragmentResult Emit(Slot& s, uint32_t index, std::span<uint8_t> buffer,
                      const packet::PacketInfo& info, uint32_t* new_length,
                      std::span<uint8_t> spill, uint32_t tail_room, bool* spilled);
  uint8_t* Data(uint32_t index) { return data_.get() + size_t{index} * kMaxData; }
  uint8_t* Header(uint32_t index) { return headers_.get() + size_t{index} * kMaxHeader; }

  uint32_t timeout_ms_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> buckets_;
  std::vector<uint32_t> free_;
  std::unique_ptr<uint8_t[]> data_;
  std::unique_ptr<uint8_t[]> headers_;
  uint32_t oldest_ = kNone;
  uint32_t newest_ = kNone;
  uint32_t in_use_ = 0;
  size_t memory_bytes_ = 0;
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_IP_REASSEMBLY_H_
