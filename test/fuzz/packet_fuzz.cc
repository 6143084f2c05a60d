// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the packet parser. Feeds the input to ParseFrame, and to ParseIp both as is and
// past a 14-byte Ethernet header (so Ethernet seeds also drive the L3 entry point). On kOk it
// checks the PacketInfo invariants, reads every field through the header views, and checks that
// an incremental checksum update after an address rewrite keeps a valid checksum valid.
// For ICMP errors it parses the quoted packet (ParseIcmpQuote) and checks that what it located
// lies inside the error's own IP packet. Violations trap, so both libFuzzer and the corpus replay
// report them.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "packet/checksum.h"
#include "packet/header_views.h"
#include "packet/parser.h"

namespace {

using namespace ssr::packet;
namespace util = ssr::util;

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckViews(std::span<const uint8_t> in, const PacketInfo& info) {
  if (info.is_ipv4()) {
    ConstIpv4HeaderView ip(info.L3Header(in));
    Require(ip.version() == 4);
    Require(ip.header_length() == info.l3_header_length);
    Require(ip.total_length() == info.l3_length);
    Require(ip.protocol() == info.l4_protocol);
    Require(ip.src() == info.src && ip.dst() == info.dst);
    Require(ip.options().size() == info.ipv4_options_length);
    Require(ip.fragment_offset() == info.fragment_offset);
  } else {
    ConstIpv6HeaderView ip(info.L3Header(in));
    Require(ip.version() == 6);
    Require(size_t{ip.payload_length()} + kIpv6HeaderLength == info.l3_length);
    Require(ip.src() == info.src && ip.dst() == info.dst);
    Require(info.ipv6_extension_count <= kMaxIpv6ExtensionHeaders);
  }
  if (info.is_tcp()) {
    ConstTcpHeaderView tcp(info.L4(in));
    Require(tcp.src_port() == info.src_port && tcp.dst_port() == info.dst_port);
    Require(tcp.header_length() == info.tcp_header_length);
    Require(tcp.seq() == info.tcp_seq && tcp.flags() == info.tcp_flags);
    Require(tcp.options().size() + kTcpMinHeaderLength == tcp.header_length());
  } else if (info.is_udp()) {
    ConstUdpHeaderView udp(info.L4(in));
    Require(udp.length() == info.udp_length && udp.length() >= kUdpHeaderLength);
    Require(udp.src_port() == info.src_port);
  } else if (info.is_icmp()) {
    ConstIcmpHeaderView icmp(info.L4(in));
    Require(icmp.type() == info.icmp_type && icmp.code() == info.icmp_code);
  }
}

// Rewrites the source address in a copy with RFC 1624 updates; whatever verified before must
// still verify afterwards.
void CheckIncrementalChecksums(std::span<const uint8_t> in, const PacketInfo& info) {
  std::vector<uint8_t> copy(in.begin(), in.end());
  std::span<uint8_t> buf(copy);
  const bool transport =
      (info.is_tcp() || info.is_udp() || (info.is_icmp() && info.is_ipv6())) && !info.is_fragment;
  const bool l4_ok =
      transport && VerifyTransportChecksum(info.src, info.dst, info.l4_protocol, info.L4(in));
  const util::IpAddress new_src = info.is_ipv4() ? util::IpAddress::V4(0xc0000201)
                                                 : *util::IpAddress::Parse("2001:db8:ffff::1");
  if (info.is_ipv4()) {
    Ipv4HeaderView ip(info.L3Header(buf));
    const bool ip_ok = VerifyIpv4HeaderChecksum(info.L3Header(in));
    ip.set_checksum(ChecksumUpdateAddress(ip.checksum(), info.src, new_src));
    ip.set_src(new_src);
    if (ip_ok) Require(VerifyIpv4HeaderChecksum(info.L3Header(std::span<const uint8_t>(copy))));
  } else {
    Ipv6HeaderView(info.L3Header(buf)).set_src(new_src);
  }
  if (!l4_ok) return;
  const size_t csum_offset = info.is_tcp()   ? TcpHeaderView::kChecksumOffset
                             : info.is_udp() ? UdpHeaderView::kChecksumOffset
                                             : IcmpHeaderView::kChecksumOffset;
  uint8_t* field = copy.data() + info.l4_offset + csum_offset;
  const uint16_t old_csum = LoadBe16(field);
  StoreBe16(field, info.is_udp() ? UdpChecksumUpdateAddress(old_csum, info.src, new_src)
                                 : ChecksumUpdateAddress(old_csum, info.src, new_src));
  Require(VerifyTransportChecksum(new_src, info.dst, info.l4_protocol,
                                  info.L4(std::span<const uint8_t>(copy))));
}

// The quote of an ICMP error: located inside the error's IP packet (8 transport bytes included),
// of the error's own IP version; anything but an unfragmented ICMP error is refused.
void CheckQuote(std::span<const uint8_t> in, const PacketInfo& info) {
  IcmpQuote q;
  const IcmpQuoteResult r = ParseIcmpQuote(in, info, &q);
  Require(IcmpQuoteResultName(r) != "invalid");
  const bool error = info.is_icmp() && info.icmp_is_error && !info.is_fragment;
  Require(error == (r != IcmpQuoteResult::kNotIcmpError));
  Require(!info.icmp_is_error || !info.icmp_is_echo);
  if (r != IcmpQuoteResult::kOk) return;
  Require(q.ip_version == info.ip_version);
  Require(q.l3_offset == info.l4_offset + kIcmpHeaderLength);
  Require(q.l4_offset >= q.l3_offset + (q.ip_version == 4 ? kIpv4MinHeaderLength : kIpv6HeaderLength));
  Require(size_t{q.l4_offset} + 8 <= size_t{info.l3_offset} + info.l3_length);
  Require(q.has_tcp_seq == (q.l4_protocol == kIpProtoTcp));
  if (q.has_tcp_seq) Require(LoadBe32(in.data() + q.l4_offset + 4) == q.tcp_seq);
}

void Check(std::span<const uint8_t> in, ParseResult r, const PacketInfo& info) {
  Require(static_cast<size_t>(r) < util::CounterCount<ParseResult>());
  Require(ParseResultName(r) != "invalid");
  if (r != ParseResult::kOk) return;
  Require(info.ip_version == 4 || info.ip_version == 6);
  Require(info.vlan_count <= kMaxVlanTags);
  Require(info.l3_offset + info.l3_length <= in.size());
  Require(info.l3_header_length <= info.l3_length);
  Require(info.l4_offset == info.l3_offset + info.l3_header_length);
  Require(info.l4_offset + info.l4_length == info.l3_offset + info.l3_length);
  Require(info.payload_offset >= info.l4_offset);
  Require(info.payload_offset + info.payload_length <= info.l4_offset + info.l4_length);
  Require(!info.is_first_fragment || info.is_fragment);
  Require(info.has_l4 || info.is_fragment || info.l4_protocol == kIpProtoNoNextHeader);
  CheckViews(in, info);
  CheckIncrementalChecksums(in, info);
  CheckQuote(in, info);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  PacketInfo info;
  Check(in, ParseFrame(in, &info), info);
  Check(in, ParseIp(in, &info), info);
  if (size > kEthernetHeaderLength) {
    const auto l3 = in.subspan(kEthernetHeaderLength);
    Check(l3, ParseIp(l3, &info), info);
  }
  return 0;
}
