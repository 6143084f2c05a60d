// SPDX-License-Identifier: Apache-2.0
// IP fragmentation of packets the router sends (outer_fragment.h, docs/protocol.md §2.14.2):
// SplitIpv4, SplitIpv6 and the pipeline hooks Pipeline::SendFragments (called by
// HopSealAndSend for packets ToPeer marked fragmentable, and by the LAN egress for packets over
// the interface's MTU) and Pipeline::TransmitLarge (a packet in the large frame on a path that
// does not split).
#include "pipeline/outer_fragment.h"

#include <algorithm>
#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/protocol.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"

namespace ssr::pipeline {

bool SplitIpv4(io::Frame& first, uint32_t l3_offset, uint32_t mtu, std::span<io::Frame> rest,
               bool in_place) {
  if (first.length < l3_offset + 20) return false;
  uint8_t* ip = first.data + l3_offset;
  if ((ip[0] >> 4) != 4) return false;
  const uint32_t header = uint32_t{ip[0] & 0x0fu} * 4;
  const uint32_t total = packet::LoadBe16(ip + 2);
  const uint16_t frag = packet::LoadBe16(ip + 6);
  if (header < 20 || total < header || l3_offset + total > first.length) return false;
  if ((frag & (packet::kIpv4FlagDontFragment | packet::kIpv4FlagMoreFragments |
               packet::kIpv4FragmentOffsetMask)) != 0) {
    return false;
  }
  const uint32_t count = Ipv4FragmentCount(header, total, mtu);
  const uint32_t skip = in_place ? 1 : 0;  // fragments written into `first` itself
  if (count < 2 || rest.size() != count - skip) return false;
  const uint32_t per = Ipv4FragmentData(header, mtu);
  for (uint32_t i = skip; i < count; ++i) {
    const uint32_t data = i + 1 < count ? per : total - header - per * i;
    if (rest[i - skip].capacity < l3_offset + header + data) return false;
  }
  // Fragments 1.. first (they read data behind what fragment 0 keeps), then fragment 0 in place.
  for (uint32_t i = skip; i < count; ++i) {
    const uint32_t begin = per * i;
    const uint32_t data = i + 1 < count ? per : total - header - begin;
    io::Frame& f = rest[i - skip];
    std::memcpy(f.data, first.data, l3_offset + header);
    std::memcpy(f.data + l3_offset + header, ip + header + begin, data);
    uint8_t* h = f.data + l3_offset;
    packet::StoreBe16(h + 2, static_cast<uint16_t>(header + data));
    packet::StoreBe16(h + 6, static_cast<uint16_t>((i + 1 < count ? packet::kIpv4FlagMoreFragments : 0) |
                                                   (begin / 8)));
    packet::StoreBe16(h + 10, 0);
    packet::StoreBe16(h + 10, packet::Ipv4HeaderChecksum({h, header}));
    f.length = l3_offset + header + data;
  }
  if (!in_place) return true;
  packet::StoreBe16(ip + 2, static_cast<uint16_t>(header + per));
  packet::StoreBe16(ip + 6, packet::kIpv4FlagMoreFragments);
  packet::StoreBe16(ip + 10, 0);
  packet::StoreBe16(ip + 10, packet::Ipv4HeaderChecksum({ip, header}));
  first.length = l3_offset + header + per;
  return true;
}

bool SplitIpv6(io::Frame& first, uint32_t l3_offset, uint32_t mtu, uint32_t id,
               std::span<io::Frame> rest, bool in_place) {
  constexpr uint32_t kHeader = packet::kIpv6HeaderLength;
  if (first.length < l3_offset + kHeader) return false;
  uint8_t* ip = first.data + l3_offset;
  if ((ip[0] >> 4) != 6) return false;
  const uint8_t next = ip[6];
  if (next == packet::kIpProtoHopByHop || next == packet::kIpProtoRouting ||
      next == packet::kIpProtoFragment) {
    return false;
  }
  const uint32_t total = kHeader + packet::LoadBe16(ip + 4);
  if (l3_offset + total > first.length) return false;
  const uint32_t count = Ipv6FragmentCount(total, mtu);
  const uint32_t skip = in_place ? 1 : 0;
  if (count < 2 || rest.size() != count - skip) return false;
  const uint32_t per = Ipv6FragmentData(mtu);
  if (in_place && first.capacity < l3_offset + kIpv6FragmentOverhead + per) return false;
  for (uint32_t i = skip; i < count; ++i) {
    const uint32_t data = i + 1 < count ? per : total - kHeader - per * i;
    if (rest[i - skip].capacity < l3_offset + kIpv6FragmentOverhead + data) return false;
  }
  const auto write_headers = [&](uint8_t* h, uint32_t i, uint32_t data) {
    h[6] = packet::kIpProtoFragment;
    packet::StoreBe16(h + 4, static_cast<uint16_t>(8 + data));
    uint8_t* fh = h + kHeader;
    fh[0] = next;
    fh[1] = 0;
    packet::StoreBe16(fh + 2, static_cast<uint16_t>((per * i) | (i + 1 < count ? 1 : 0)));
    packet::StoreBe32(fh + 4, id);
  };
  // Fragments 1.. first (they read data behind what fragment 0 keeps), then fragment 0 in place.
  for (uint32_t i = skip; i < count; ++i) {
    const uint32_t begin = per * i;
    const uint32_t data = i + 1 < count ? per : total - kHeader - begin;
    io::Frame& f = rest[i - skip];
    std::memcpy(f.data, first.data, l3_offset + kHeader);
    std::memcpy(f.data + l3_offset + kIpv6FragmentOverhead, ip + kHeader + begin, data);
    write_headers(f.data + l3_offset, i, data);
    f.length = l3_offset + kIpv6FragmentOverhead + data;
  }
  if (!in_place) return true;
  std::memmove(ip + kIpv6FragmentOverhead, ip + kHeader, per);
  write_headers(ip, 0, per);
  first.length = l3_offset + kIpv6FragmentOverhead + per;
  return true;
}

uint32_t Pipeline::NextFragmentId() {
  ++fragment_id_;
  if (fragment_id_ == 0) ++fragment_id_;
  return fragment_id_;
}

void Pipeline::TransmitLarge(size_t interface, const io::Frame& frame) {
  // A path that does not split (a reset, a rebuilt ICMP error): the packet must fit one frame.
  io::Frame f;
  if (frame.length > large_pool_capacity_) {
    Count(PipelineCounter::kLargeFrameUnsent);
    return;
  }
  if (pool_ == nullptr || pool_->Allocate({&f, 1}) != 1) {
    Count(PipelineCounter::kNoPool);
    return;
  }
  std::memcpy(f.data, frame.data, frame.length);
  f.length = frame.length;
  Transmit(interface, f);
}

Disposition Pipeline::SendFragments(size_t interface, io::Frame& frame, uint32_t l3_offset,
                                    uint32_t mtu, bool fresh_ipv4_id, PipelineCounter sent,
                                    PipelineCounter fail) {
  const bool large = frame.handle == kLargeFrameHandle;
  const uint32_t capacity = large ? large_pool_capacity_ : frame.capacity;
  if (pool_ == nullptr) {
    Count(PipelineCounter::kNoPool);
    return Disposition::kDropped;
  }
  // Every piece must fit a pool frame as well as the MTU.
  if (capacity > l3_offset) mtu = std::min(mtu, capacity - l3_offset);
  uint8_t* ip = frame.data + l3_offset;
  const bool v4 = (ip[0] >> 4) == 4;
  const uint32_t total = frame.length - l3_offset;
  if (total <= mtu) {  // only the large frame gets here: one pool frame holds it whole
    if (!large) {
      Transmit(interface, frame);
      return Disposition::kForwarded;
    }
    io::Frame f;
    if (pool_->Allocate({&f, 1}) != 1) {
      Count(PipelineCounter::kNoPool);
      return Disposition::kDropped;
    }
    std::memcpy(f.data, frame.data, frame.length);
    f.length = frame.length;
    Transmit(interface, f);
    return Disposition::kForwarded;
  }
  const uint32_t count = v4 ? Ipv4FragmentCount(uint32_t{ip[0] & 0x0fu} * 4, total, mtu)
                            : Ipv6FragmentCount(total, mtu);
  if (count < 2 || count > kMaxOuterFragments) {
    Count(fail);
    return Disposition::kDropped;
  }
  io::Frame frames[kMaxOuterFragments];
  const std::span<io::Frame> more(frames, large ? count : count - 1);
  const size_t got = pool_->Allocate(more);
  if (got != more.size()) {  // all or nothing: a partial datagram is useless to the receiver
    pool_->Free(more.first(got));
    Count(PipelineCounter::kNoPool);
    return Disposition::kDropped;
  }
  if (v4 && fresh_ipv4_id) {
    const uint32_t header = uint32_t{ip[0] & 0x0fu} * 4;
    packet::StoreBe16(ip + 4, static_cast<uint16_t>(NextFragmentId()));
    packet::StoreBe16(ip + 10, 0);
    packet::StoreBe16(ip + 10, packet::Ipv4HeaderChecksum({ip, header}));
  }
  const bool ok = v4 ? SplitIpv4(frame, l3_offset, mtu, more, !large)
                     : SplitIpv6(frame, l3_offset, mtu, NextFragmentId(), more, !large);
  if (!ok) {
    pool_->Free(more);
    Count(fail);
    return Disposition::kDropped;
  }
  if (!large) Transmit(interface, frame);
  for (const io::Frame& f : more) Transmit(interface, f);
  Count(sent, count);
  return Disposition::kForwarded;
}

}  // namespace ssr::pipeline
