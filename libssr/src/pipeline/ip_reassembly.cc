// SPDX-License-Identifier: Apache-2.0
#include "pipeline/ip_reassembly.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/hash/hash.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/protocol.h"

namespace ssr::pipeline {

using packet::PacketInfo;

IpReassembly::IpReassembly(uint32_t slots, uint32_t timeout_ms)
    : timeout_ms_(timeout_ms), slots_(std::max<uint32_t>(slots, 1)) {
  const uint32_t n = static_cast<uint32_t>(slots_.size());
  buckets_.assign(std::bit_ceil(size_t{n} * 2), kNone);
  free_.reserve(n);
  for (uint32_t i = n; i > 0; --i) free_.push_back(i - 1);
  data_ = std::make_unique<uint8_t[]>(size_t{n} * kMaxData);
  headers_ = std::make_unique<uint8_t[]>(size_t{n} * kMaxHeader);
  memory_bytes_ = size_t{n} * (kMaxData + kMaxHeader + sizeof(Slot) + sizeof(uint32_t)) +
                  buckets_.size() * sizeof(uint32_t);
}

IpReassembly::Key IpReassembly::KeyOf(uint16_t side, const PacketInfo& info) {
  Key k{info.src, info.dst, info.fragment_id, side,
        static_cast<uint16_t>(info.vlan_count != 0 ? info.vlans[info.vlan_count - 1].vlan_id() : 0),
        info.ip_version,
        // RFC 791 keys IPv4 fragments by protocol too; RFC 8200's IPv6 key has none (the next
        // header of a non-first fragment's fragment header need not match the first's).
        static_cast<uint8_t>(info.ip_version == 4 ? info.l4_protocol : 0)};
  return k;
}

size_t IpReassembly::Bucket(const Key& k) const {
  // absl's hash is seeded per process: a sender cannot aim every datagram at one chain.
  const size_t h = absl::HashOf(k.src, k.dst, k.id, k.side, k.vlan, k.version, k.protocol);
  return h & (buckets_.size() - 1);
}

bool IpReassembly::Matches(const Slot& s, const Key& k) const {
  return s.id == k.id && s.side == k.side && s.vlan == k.vlan && s.version == k.version &&
         s.protocol == k.protocol && s.src == k.src && s.dst == k.dst;
}

uint32_t IpReassembly::Find(const Key& k) const {
  for (uint32_t i = buckets_[Bucket(k)]; i != kNone; i = slots_[i].hash_next) {
    if (Matches(slots_[i], k)) return i;
  }
  return kNone;
}

uint32_t IpReassembly::Open(const Key& k, uint64_t now_ms) {
  const uint32_t i = free_.back();
  free_.pop_back();
  Slot& s = slots_[i];
  s = Slot{};
  s.src = k.src;
  s.dst = k.dst;
  s.id = k.id;
  s.side = k.side;
  s.vlan = k.vlan;
  s.version = k.version;
  s.protocol = k.protocol;
  s.used = true;
  s.deadline = now_ms + timeout_ms_;
  const size_t b = Bucket(k);
  s.hash_next = buckets_[b];
  buckets_[b] = i;
  // Newest at the tail of the arrival-order list.
  s.older = newest_;
  if (newest_ != kNone) slots_[newest_].newer = i;
  newest_ = i;
  if (oldest_ == kNone) oldest_ = i;
  ++in_use_;
  return i;
}

void IpReassembly::Release(uint32_t i) {
  Slot& s = slots_[i];
  const Key k{s.src, s.dst, s.id, s.side, s.vlan, s.version, s.protocol};
  uint32_t* link = &buckets_[Bucket(k)];
  while (*link != i) link = &slots_[*link].hash_next;
  *link = s.hash_next;
  if (s.older != kNone) slots_[s.older].newer = s.newer; else oldest_ = s.newer;
  if (s.newer != kNone) slots_[s.newer].older = s.older; else newest_ = s.older;
  s.used = false;
  free_.push_back(i);
  --in_use_;
}

uint32_t IpReassembly::Expire(uint64_t now_ms) {
  uint32_t incomplete = 0;
  while (oldest_ != kNone && slots_[oldest_].deadline <= now_ms) {
    if (!slots_[oldest_].discarded) ++incomplete;
    Release(oldest_);
  }
  return incomplete;
}

FragmentResult IpReassembly::Discard(Slot& s, FragmentResult why) {
  // The slot stays until its deadline so that the datagram's later fragments are recognised.
  s.discarded = true;
  return why;
}

FragmentResult IpReassembly::Add(uint16_t side, std::span<uint8_t> buffer, const PacketInfo& info,
                                 uint64_t now_ms, uint32_t* new_length, std::span<uint8_t> spill,
                                 uint32_t tail_room, bool* spilled) {
  const Key k = KeyOf(side, info);
  const size_t l3 = info.l3_offset;
  const size_t ip_end = l3 + info.l3_length;
  // Where this fragment's data starts: after the IPv4 header, or after the IPv6 fragment header
  // (the first fragment's extension headers after it are data, like its transport header).
  const size_t data_start =
      info.ip_version == 4 ? size_t{info.l4_offset}
                           : l3 + info.ipv6_fragment_header + packet::kIpv6FragmentHeaderLength;
  const size_t header_length = data_start - l3 - (info.ip_version == 4 ? 0 : packet::kIpv6FragmentHeaderLength);
  const size_t len = ip_end - data_start;
  const uint32_t off = info.fragment_offset;
  const size_t end = off + len;

  uint32_t i = Find(k);
  if (i == kNone) {
    if (free_.empty()) return FragmentResult::kPoolFull;
    i = Open(k, now_ms);
  }
  Slot& s = slots_[i];
  if (s.discarded) return FragmentResult::kDiscarded;
  if (len == 0 || (info.more_fragments && len % 8 != 0)) {
    return Discard(s, FragmentResult::kBadLength);
  }
  if (end > kMaxData) return Discard(s, FragmentResult::kTooBig);
  if (s.end != 0 && end > s.end) return Discard(s, FragmentResult::kBadLength);
  if (!info.more_fragments) {
    if (s.end != 0 && s.end != end) return Discard(s, FragmentResult::kBadLength);
    for (uint8_t r = 0; r < s.fragments; ++r) {
      if (s.ranges[r].end > end) return Discard(s, FragmentResult::kBadLength);
    }
  }
  for (uint8_t r = 0; r < s.fragments; ++r) {
    const Range& g = s.ranges[r];
    if (g.begin == off && g.end == end) return FragmentResult::kDuplicate;
    if (off < g.end && g.begin < end) return Discard(s, FragmentResult::kOverlap);
  }
  if (s.fragments == kMaxFragments) return Discard(s, FragmentResult::kTooMany);
  if (off == 0) {
    if (header_length > kMaxHeader) return Discard(s, FragmentResult::kTooBig);
    std::memcpy(Header(i), buffer.data() + l3, header_length);
    s.header_length = static_cast<uint16_t>(header_length);
    if (info.ip_version == 6) {
      s.nh_field = info.ipv6_fragment_nh_field;
      s.next_header = buffer[l3 + info.ipv6_fragment_header];
    }
  }
  if (!info.more_fragments) s.end = static_cast<uint32_t>(end);
  std::memcpy(Data(i) + off, buffer.data() + data_start, len);
  s.ranges[s.fragments++] = Range{static_cast<uint16_t>(off), static_cast<uint16_t>(end)};
  s.received += static_cast<uint32_t>(len);
  // No two held ranges overlap, so as many bytes as the datagram has means all of them.
  if (s.end != 0 && s.received == s.end && s.header_length != 0) {
    return Emit(s, i, buffer, info, new_length, spill, tail_room, spilled);
  }
  return FragmentResult::kHeld;
}

FragmentResult IpReassembly::Emit(Slot& s, uint32_t i, std::span<uint8_t> buffer,
                                  const PacketInfo& info, uint32_t* new_length,
                                  std::span<uint8_t> spill, uint32_t tail_room, bool* spilled) {
  const size_t l3 = info.l3_offset;  // this frame's L2 header stays in front
  const size_t hl = s.header_length;
  const size_t total = l3 + hl + s.end;
  uint8_t* base = buffer.data();
  if (total + tail_room > buffer.size() && total <= spill.size()) {
    std::memcpy(spill.data(), buffer.data(), l3);
    base = spill.data();
    if (spilled != nullptr) *spilled = true;
  } else if (total > buffer.size()) {
    return Discard(s, FragmentResult::kTooBig);
  }
  uint8_t* ip = base + l3;
  std::memcpy(ip, Header(i), hl);
  std::memcpy(ip + hl, Data(i), s.end);
  if (s.version == 4) {
    packet::StoreBe16(ip + 2, static_cast<uint16_t>(hl + s.end));
    packet::StoreBe16(ip + 6, 0);  // no MF, offset 0: a whole datagram
    packet::StoreBe16(ip + 10, 0);
    packet::StoreBe16(ip + 10, packet::Ipv4HeaderChecksum(std::span<const uint8_t>(ip, hl)));
  } else {
    // The fragment header is gone: the header before it names what followed it.
    ip[s.nh_field] = s.next_header;
    packet::StoreBe16(ip + 4, static_cast<uint16_t>(hl - packet::kIpv6HeaderLength + s.end));
  }
  *new_length = static_cast<uint32_t>(total);
  Release(i);
  return FragmentResult::kComplete;
}

}  // namespace ssr::pipeline
