// SPDX-License-Identifier: Apache-2.0
// Pipeline path MTU (docs/protocol.md §2.14.2): a LAN packet toward a peer that would exceed the
// peer's path MTU once SVR headers, metadata and trailers are added is dropped, and its sender is
// told the largest packet that fits, so that its path MTU discovery converges (a packet that
// carries metadata and fits without it leaves as SVR fragments instead, svr_fragment_path.h; a
// too large one with metadata is told what fits without the metadata):
//   IPv4 with DF set   ICMP destination unreachable, fragmentation needed (type 3 code 4) with
//                      the next-hop MTU (RFC 792, RFC 1191);
//   IPv6               ICMPv6 Packet Too Big (type 2) with the MTU, never below 1280 (RFC 4443);
//   IPv4 without DF    not refused here: the sealed outer packet is sent as IPv4 or IPv6
//   and datagrams      fragments (outer_fragment.h, `outer_fragmented`); so is a datagram this
//   reassembled here   router reassembled (its source fragmented it already, §2.14.1).
// The error is sent from the router's address on the receiving LAN interface (for IPv6 with no
// configured address there: the interface's EUI-64 link-local address), to the sender's MAC on
// the VLAN the packet came in on, and quotes as much of the packet as the RFCs allow (IPv4: the
// error within 576 bytes; IPv6: within 1280). One frame from the pool per error, no allocation;
// a per-worker token bucket limits the errors (too_big_per_second / too_big_burst); suppressed
// ones are counted.
#include "pipeline/pmtu.h"

#include <algorithm>
#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/protocol.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"

namespace ssr::pipeline {

uint32_t LargestInner(const Encapsulation& e, uint32_t path_mtu) {
  const uint64_t fixed = uint64_t{e.outer_headers} + e.metadata + e.hop_trailer;
  if (OuterLengthForBody(e, 0) > path_mtu) return 0;
  // Body bound ignoring the payload-cipher trailer (at most 32 bytes: CBC IV + a full block).
  uint64_t body = path_mtu - fixed;
  for (int step = 0; step <= 48 && OuterLengthForBody(e, body) > path_mtu; ++step) --body;
  while (OuterLengthForBody(e, body) > path_mtu) --body;  // not reached for the known ciphers
  return static_cast<uint32_t>(std::min<uint64_t>(body + e.inner_prefix, UINT32_MAX));
}

bool Pipeline::TooBigAllowed(uint64_t now_ms) {
  const uint64_t cap = uint64_t{options_.too_big_burst} * 1000;
  if (!too_big_started_) {
    too_big_started_ = true;
    too_big_tokens_ = cap;
    too_big_refill_ms_ = now_ms;
  } else if (now_ms > too_big_refill_ms_) {
    const uint64_t elapsed = std::min<uint64_t>(now_ms - too_big_refill_ms_, 3'600'000);
    too_big_tokens_ = std::min(cap, too_big_tokens_ + elapsed * options_.too_big_per_second);
    too_big_refill_ms_ = now_ms;
  }
  if (too_big_tokens_ < 1000 || options_.too_big_per_second == 0) return false;
  too_big_tokens_ -= 1000;
  return true;
}

Disposition Pipeline::PacketTooBig(Packet& pkt, uint32_t usable_mtu, uint64_t now_ms) {
  const packet::PacketInfo& info = pkt.info;
  const bool v4 = info.ip_version == 4;
  if (v4 && !info.dont_fragment) {
    Count(PipelineCounter::kExceedsMtuDfClear);
    return Disposition::kDropped;
  }
  const size_t side = pkt.key.side;
  // The router's address on the interface the packet came in on, of the sender's family.
  std::optional<util::IpAddress> from;
  for (const config::InterfaceAddress& a : router().interfaces[side].addresses) {
    if (a.address.family() == info.src.family()) {
      from = a.address;
      break;
    }
  }
  if (!from && v4) {
    Count(PipelineCounter::kTooBigNoAddress);
    return Disposition::kDropped;
  }
  if (!from) {  // fe80::/64 with the interface's modified EUI-64 (RFC 4291 appendix A)
    const packet::MacAddress& m = macs_[side];
    uint8_t ll[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                      static_cast<uint8_t>(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
    from = util::IpAddress::V6Bytes(std::span<const uint8_t, 16>(ll));
  }
  if (!TooBigAllowed(now_ms)) {
    Count(PipelineCounter::kTooBigRateLimited);
    return Disposition::kDropped;
  }
  if (pool_ == nullptr) {
    Count(PipelineCounter::kNoPool);
    return Disposition::kDropped;
  }
  io::Frame f;
  if (pool_->Allocate({&f, 1}) != 1) {
    Count(PipelineCounter::kNoPool);
    return Disposition::kDropped;
  }
  const uint32_t ip_header = IpHeaderLength(info.src);
  const uint32_t limit = v4 ? kIcmpv4ErrorMax : kIcmpv6ErrorMax;
  const uint32_t quote = std::min<uint32_t>(
      info.l3_length, limit - ip_header - static_cast<uint32_t>(packet::kIcmpHeaderLength));
  const uint32_t message = static_cast<uint32_t>(packet::kIcmpHeaderLength) + quote;
  ComposeSpec spec;
  spec.l2.dst = packet::EthernetView(pkt.frame->bytes()).src_mac();
  spec.l2.src = macs_[side];
  spec.l2.vlan = pkt.key.vlan;
  spec.tuple.src = *from;
  spec.tuple.dst = info.src;
  spec.tuple.protocol = v4 ? packet::kIpProtoIcmp : packet::kIpProtoIcmpv6;
  spec.ttl = 64;
  spec.l4 = L4Source::kNone;
  spec.reserve = message;
  ComposedLayout lay;
  const packet::PacketInfo none;
  if (ComposeFrame(f.buffer(), none, spec, &lay) != ComposeResult::kOk) {
    pool_->Free({&f, 1});
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  uint8_t* m = f.data + lay.body_offset;
  std::memset(m, 0, packet::kIcmpHeaderLength);
  if (v4) {
    m[0] = 3;  // destination unreachable
    m[1] = 4;  // fragmentation needed and DF set
    packet::StoreBe16(m + 6, static_cast<uint16_t>(std::min<uint32_t>(usable_mtu, 0xffff)));
  } else {
    m[0] = 2;  // packet too big
    packet::StoreBe32(m + 4, std::max(usable_mtu, kIpv6MinMtu));
  }
  std::memcpy(m + packet::kIcmpHeaderLength, pkt.frame->data + info.l3_offset, quote);
  const std::span<const uint8_t> msg(m, message);
  packet::StoreBe16(m + 2, v4 ? packet::IcmpChecksum(msg)
                              : packet::TransportChecksum(spec.tuple.src, spec.tuple.dst,
                                                          packet::kIpProtoIcmpv6, msg));
  f.length = FinalizeFrame(f.buffer(), lay, message);
  Count(PipelineCounter::kTooBigSent);
  Transmit(side, f);
  return Disposition::kDropped;
}

}  // namespace ssr::pipeline
