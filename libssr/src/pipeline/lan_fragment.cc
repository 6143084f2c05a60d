// SPDX-License-Identifier: Apache-2.0
// LAN egress fragmentation (docs/protocol.md §2.14.2; the splitters and the design note are in
// outer_fragment.h). A packet leaving on a LAN interface larger than the interface's MTU (config
// `mtu`, default 1500) is split into IP fragments of at most that MTU, each in a pool frame:
//   a datagram this router reassembled (the packet, or the outer packet that carried it)
//                      IPv4: fragments (DF cleared: the datagram was a fragment train already);
//                      IPv6: fragments with a fragment header (the router re-fragments what it
//                      reassembled, as a reassembling firewall does);
//   IPv4 without DF    fragments, like any router (RFC 791);
//   anything else      dropped, `lan_exceeds_mtu` (IPv4 with DF, IPv6 whole from its source:
//                      local breakout answers them with frag-needed / Packet Too Big before
//                      composing, LocalForward; at the SVR egress the sender is across the
//                      peer path and is not told).
// The IPv4 id is kept, except at the SVR egress of a packet that came over an IPv6 peer path,
// whose IPv4 header was rebuilt with id 0: a fresh id from the worker's counter then keeps
// consecutive datagrams apart at the receiver. Frame shortage: nothing is sent (`no_frame`).
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/protocol.h"
#include "pipeline/outer_fragment.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"

namespace ssr::pipeline {

bool Pipeline::MayFragment(const Packet& pkt) {
  return pkt.reassembled || (pkt.info.ip_version == 4 && !pkt.info.dont_fragment);
}

Disposition Pipeline::SendLanFragments(size_t interface, Packet& pkt, uint32_t l3_offset,
                                       bool fresh_ipv4_id) {
  io::Frame& f = *pkt.frame;
  const uint32_t mtu = if_mtu_[interface];
  uint8_t* ip = f.data + l3_offset;
  if (f.length - l3_offset > mtu) {
    const bool v4 = (ip[0] >> 4) == 4;
    const bool df = v4 && (packet::LoadBe16(ip + 6) & packet::kIpv4FlagDontFragment) != 0;
    if (!pkt.reassembled && (!v4 || df)) {
      Count(PipelineCounter::kLanExceedsMtu);
      return Disposition::kDropped;
    }
    if (df) {  // a reassembled datagram: its fragments had no business carrying DF
      const uint32_t header = uint32_t{ip[0] & 0x0fu} * 4;
      packet::StoreBe16(ip + 6, 0);
      packet::StoreBe16(ip + 10, 0);
      packet::StoreBe16(ip + 10, packet::Ipv4HeaderChecksum({ip, header}));
    }
  }
  return SendFragments(interface, f, l3_offset, mtu, fresh_ipv4_id,
                       PipelineCounter::kLanFragmented, PipelineCounter::kLanExceedsMtu);
}

}  // namespace ssr::pipeline
