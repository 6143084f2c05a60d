// SPDX-License-Identifier: Apache-2.0
// Outer IPv4 fragmentation (outer_fragment.h, docs/protocol.md §2.14.2): SplitIpv4 and the
// pipeline hook Pipeline::SendOuterFragments (called by HopSealAndSend for packets ToPeer marked
// fragmentable).
#include "pipeline/outer_fragment.h"

#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/protocol.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"

namespace ssr::pipeline {

bool SplitIpv4(io::Frame& first, uint32_t l3_offset, uint32_t mtu, std::span<io::Frame> rest) {
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
  if (count < 2 || rest.size() != count - 1) return false;
  const uint32_t per = Ipv4FragmentData(header, mtu);
  for (uint32_t i = 1; i < count; ++i) {
    const uint32_t data = i + 1 < count ? per : total - header - per * i;
    if (rest[i - 1].capacity < l3_offset + header + data) return false;
  }
  // Fragments 1.. first (they read data behind what fragment 0 keeps), then fragment 0 in place.
  for (uint32_t i = 1; i < count; ++i) {
    const uint32_t begin = per * i;
    const uint32_t data = i + 1 < count ? per : total - header - begin;
    io::Frame& f = rest[i - 1];
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
  packet::StoreBe16(ip + 2, static_cast<uint16_t>(header + per));
  packet::StoreBe16(ip + 6, packet::kIpv4FlagMoreFragments);
  packet::StoreBe16(ip + 10, 0);
  packet::StoreBe16(ip + 10, packet::Ipv4HeaderChecksum({ip, header}));
  first.length = l3_offset + header + per;
  return true;
}

Disposition Pipeline::SendOuterFragments(PeerState& peer, io::Frame& frame, uint32_t l3_offset) {
  const uint8_t* ip = frame.data + l3_offset;
  const uint32_t header = uint32_t{ip[0] & 0x0fu} * 4;
  const uint32_t count = Ipv4FragmentCount(header, frame.length - l3_offset, peer.path_mtu);
  if (count < 2 || count > kMaxOuterFragments) {
    Count(PipelineCounter::kExceedsMtuDfClear);
    return Disposition::kDropped;
  }
  io::Frame rest[kMaxOuterFragments - 1];
  const std::span<io::Frame> more(rest, count - 1);
  if (pool_ == nullptr) {
    Count(PipelineCounter::kNoPool);
    return Disposition::kDropped;
  }
  const size_t got = pool_->Allocate(more);
  if (got != more.size()) {  // all or nothing: a partial datagram is useless to the peer
    pool_->Free(more.first(got));
    Count(PipelineCounter::kNoPool);
    return Disposition::kDropped;
  }
  if (!SplitIpv4(frame, l3_offset, peer.path_mtu, more)) {
    pool_->Free(more);
    Count(PipelineCounter::kExceedsMtuDfClear);
    return Disposition::kDropped;
  }
  Transmit(peer.wan, frame);
  for (const io::Frame& f : more) Transmit(peer.wan, f);
  Count(PipelineCounter::kOuterFragmented, count);
  return Disposition::kForwarded;
}

}  // namespace ssr::pipeline
