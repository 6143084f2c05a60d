// SPDX-License-Identifier: Apache-2.0
#include "session/translation.h"

#include "packet/checksum.h"
#include "packet/header_views.h"
#include "packet/protocol.h"

namespace ssr::session {

std::string_view RewriteResultName(RewriteResult r) {
  switch (r) {
    case RewriteResult::kOk:
      return "ok";
    case RewriteResult::kFamilyMismatch:
      return "family_mismatch";
    case RewriteResult::kProtocolMismatch:
      return "protocol_mismatch";
    case RewriteResult::kFragment:
      return "fragment";
    case RewriteResult::kNotEcho:
      return "not_echo";
  }
  return "invalid";
}

RewriteResult RewriteTuple(std::span<uint8_t> frame, const packet::PacketInfo& info,
                           const FlowKey& to) {
  const bool v4 = info.is_ipv4();
  if (v4 != to.src.is_v4() || v4 != to.dst.is_v4()) return RewriteResult::kFamilyMismatch;
  if (info.l4_protocol != to.protocol) return RewriteResult::kProtocolMismatch;
  if (info.is_fragment) return RewriteResult::kFragment;
  const bool icmp = info.is_icmp();
  if (icmp && !info.icmp_is_echo) return RewriteResult::kNotEcho;

  const util::IpAddress old_src = info.src;
  const util::IpAddress old_dst = info.dst;
  if (v4) {
    const packet::Ipv4HeaderView ip(info.L3Header(frame));
    uint16_t cs = ip.checksum();
    cs = packet::ChecksumUpdateAddress(cs, old_src, to.src);
    cs = packet::ChecksumUpdateAddress(cs, old_dst, to.dst);
    ip.set_src(to.src);
    ip.set_dst(to.dst);
    ip.set_checksum(cs);
  } else {
    const packet::Ipv6HeaderView ip(info.L3Header(frame));
    ip.set_src(to.src);
    ip.set_dst(to.dst);
  }
  if (!info.has_l4) return RewriteResult::kOk;

  const std::span<uint8_t> l4 = info.L4(frame);
  if (info.is_tcp()) {
    const packet::TcpHeaderView tcp(l4);
    uint16_t cs = tcp.checksum();
    cs = packet::ChecksumUpdateAddress(cs, old_src, to.src);
    cs = packet::ChecksumUpdateAddress(cs, old_dst, to.dst);
    cs = packet::ChecksumUpdate16(cs, tcp.src_port(), to.src_port);
    cs = packet::ChecksumUpdate16(cs, tcp.dst_port(), to.dst_port);
    tcp.set_src_port(to.src_port);
    tcp.set_dst_port(to.dst_port);
    tcp.set_checksum(cs);
  } else if (info.is_udp()) {
    const packet::UdpHeaderView udp(l4);
    uint16_t cs = udp.checksum();
    cs = packet::UdpChecksumUpdateAddress(cs, old_src, to.src);
    cs = packet::UdpChecksumUpdateAddress(cs, old_dst, to.dst);
    cs = packet::UdpChecksumUpdate16(cs, udp.src_port(), to.src_port);
    cs = packet::UdpChecksumUpdate16(cs, udp.dst_port(), to.dst_port);
    udp.set_src_port(to.src_port);
    udp.set_dst_port(to.dst_port);
    udp.set_checksum(cs);
  } else if (icmp) {
    const packet::IcmpHeaderView icmp_view(l4);
    uint16_t cs = icmp_view.checksum();
    if (!v4) {  // ICMPv6 covers the pseudo-header; ICMPv4 does not
      cs = packet::ChecksumUpdateAddress(cs, old_src, to.src);
      cs = packet::ChecksumUpdateAddress(cs, old_dst, to.dst);
    }
    cs = packet::ChecksumUpdate16(cs, icmp_view.identifier(), to.src_port);
    icmp_view.set_identifier(to.src_port);
    icmp_view.set_checksum(cs);
  }
  return RewriteResult::kOk;
}

}  // namespace ssr::session
