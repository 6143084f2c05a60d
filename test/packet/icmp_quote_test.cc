// SPDX-License-Identifier: Apache-2.0
// ICMP errors: which types are errors (IcmpIsError, PacketInfo::icmp_is_error), and the parse of
// the packet an error quotes (ParseIcmpQuote): fields, each refusal, and that no quote length
// makes it read past the error's IP packet.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "packet_cases.h"
#include "packet_test_util.h"

namespace ssr::packet {
namespace {

using namespace testing;

// An ICMP(v6) error frame of the family of `quoted` (type 3 / 1 unless given) carrying `quote`.
std::vector<uint8_t> ErrorFrame(const std::vector<uint8_t>& quote, bool v6, int type = -1) {
  PacketSpec s = Icmp4();
  if (v6) s = V6(s);
  s.icmp_type = type >= 0 ? type : (v6 ? kIcmpv6DestUnreachable : kIcmpDestUnreachable);
  s.icmp_code = 3;
  s.icmp_id = 0;
  s.icmp_seq = 0;
  s.payload = quote;
  return BuildFrameVector(s);
}

IcmpQuoteResult ParseQuote(const std::vector<uint8_t>& frame, IcmpQuote* q) {
  PacketInfo info;
  REQUIRE(ParseFrame(frame, &info) == ParseResult::kOk);
  return ParseIcmpQuote(frame, info, q);
}

TEST_CASE("ICMP error types are recognised per family, echo and others are not errors",
          "[packet][icmp-quote]") {
  for (uint8_t t : {3, 11, 12}) CHECK(IcmpIsError(4, t));
  for (uint8_t t : {0, 4, 5, 8, 13, 14}) CHECK_FALSE(IcmpIsError(4, t));
  for (uint8_t t : {1, 2, 3, 4}) CHECK(IcmpIsError(6, t));
  for (uint8_t t : {128, 129, 133, 135, 136, 143}) CHECK_FALSE(IcmpIsError(6, t));
  PacketInfo info;
  REQUIRE(ParseFrame(BuildFrameVector(Icmp4()), &info) == ParseResult::kOk);
  CHECK(info.icmp_is_echo);
  CHECK_FALSE(info.icmp_is_error);
  REQUIRE(ParseFrame(ErrorFrame({}, false, kIcmpTimeExceeded), &info) == ParseResult::kOk);
  CHECK(info.icmp_is_error);
  IcmpQuote q;
  CHECK(ParseIcmpQuote(BuildFrameVector(Udp4()), PacketInfo{}, &q) == IcmpQuoteResult::kNotIcmpError);
  const auto echo = BuildFrameVector(Icmp4());
  REQUIRE(ParseFrame(echo, &info) == ParseResult::kOk);
  CHECK(ParseIcmpQuote(echo, info, &q) == IcmpQuoteResult::kNotIcmpError);
}

TEST_CASE("ParseIcmpQuote reads the quoted tuple of UDP, TCP and echo packets in both families",
          "[packet][icmp-quote]") {
  IcmpQuote q;
  {
    const auto quote = Truncated(BuildIpVector(Udp4()), 28);
    REQUIRE(ParseQuote(ErrorFrame(quote, false), &q) == IcmpQuoteResult::kOk);
    CHECK(q.ip_version == 4);
    CHECK(q.src == Udp4().src);
    CHECK(q.dst == Udp4().dst);
    CHECK(q.l4_protocol == kIpProtoUdp);
    CHECK(q.src_port == 5353);
    CHECK(q.dst_port == 53);
    CHECK_FALSE(q.has_tcp_seq);
    CHECK(q.l3_offset == kL4v4 + 8);
    CHECK(q.l4_offset == kL4v4 + 8 + 20);
  }
  {
    PacketSpec t = Tcp4();
    t.ipv4_options = kIpv4Options;  // the quoted header's options are skipped
    const auto quote = BuildIpVector(t);
    REQUIRE(ParseQuote(ErrorFrame(quote, false, kIcmpTimeExceeded), &q) == IcmpQuoteResult::kOk);
    CHECK(q.l4_protocol == kIpProtoTcp);
    CHECK(q.has_tcp_seq);
    CHECK(q.tcp_seq == 0x01020304);
    CHECK(q.l4_offset == kL4v4 + 8 + 32);
  }
  {
    static const std::array<Ipv6ExtensionSpec, 2> exts = {
        {{kIpProtoHopByHop, kPad6}, {kIpProtoDstOpts, kPad6}}};
    PacketSpec t = V6(Tcp4());
    t.ipv6_extensions = exts;
    const auto quote = Truncated(BuildIpVector(t), 40 + 16 + 8);
    REQUIRE(ParseQuote(ErrorFrame(quote, true, kIcmpv6PacketTooBig), &q) == IcmpQuoteResult::kOk);
    CHECK(q.ip_version == 6);
    CHECK(q.src == V6(Tcp4()).src);
    CHECK(q.l4_protocol == kIpProtoTcp);
    CHECK(q.src_port == 5353);
    CHECK(q.tcp_seq == 0x01020304);
    CHECK(q.l4_offset == kL4v6 + 8 + 56);
  }
  {
    // An error about an echo request: its identifier is the key's source port.
    const auto quote = Truncated(BuildIpVector(V6(Icmp4())), 48);
    REQUIRE(ParseQuote(ErrorFrame(quote, true), &q) == IcmpQuoteResult::kOk);
    CHECK(q.l4_protocol == kIpProtoIcmpv6);
    CHECK(q.src_port == 0x4242);
    CHECK(q.dst_port == 0);
  }
  {
    PacketSpec f = Udp4();
    f.fragment = true;
    f.more_fragments = true;
    REQUIRE(ParseQuote(ErrorFrame(BuildIpVector(f), false), &q) == IcmpQuoteResult::kOk);
    CHECK(q.is_first_fragment);
    CHECK(q.src_port == 5353);
  }
}

TEST_CASE("ParseIcmpQuote refuses short, foreign and malformed quotes",
          "[packet][icmp-quote]") {
  IcmpQuote q;
  const auto udp4 = BuildIpVector(Udp4());
  const auto udp6 = BuildIpVector(V6(Udp4()));
  // Every length short of IP header + 8 bytes is truncated, in both families.
  for (size_t n = 0; n < 28; ++n) {
    INFO(n);
    CHECK(ParseQuote(ErrorFrame(Truncated(udp4, n), false), &q) == IcmpQuoteResult::kTruncated);
  }
  for (size_t n = 0; n < 48; ++n) {
    INFO(n);
    CHECK(ParseQuote(ErrorFrame(Truncated(udp6, n), true), &q) == IcmpQuoteResult::kTruncated);
  }
  CHECK(ParseQuote(ErrorFrame(udp6, false), &q) == IcmpQuoteResult::kBadVersion);
  CHECK(ParseQuote(ErrorFrame(udp4, true), &q) == IcmpQuoteResult::kTruncated);  // 38 < 48 bytes
  CHECK(ParseQuote(ErrorFrame(With8(Truncated(udp6, 48), 0, 0x45), true), &q) ==
        IcmpQuoteResult::kBadVersion);
  CHECK(ParseQuote(ErrorFrame(With8(udp4, 0, 0x44), false), &q) == IcmpQuoteResult::kBadHeaderLength);
  CHECK(ParseQuote(ErrorFrame(With16(udp4, 2, 19), false), &q) == IcmpQuoteResult::kBadHeaderLength);
  {
    PacketSpec t = Udp4();
    t.ipv4_options = kIpv4Options;
    auto quote = BuildIpVector(t);
    quote[20 + 3] = 1;  // option 7 with length 1
    CHECK(ParseQuote(ErrorFrame(quote, false), &q) == IcmpQuoteResult::kBadHeaderLength);
    // IHL says 8 words of header but only the first 28 bytes are quoted.
    CHECK(ParseQuote(ErrorFrame(Truncated(BuildIpVector(t), 36), false), &q) ==
          IcmpQuoteResult::kTruncated);
  }
  {
    PacketSpec f = Udp4();
    f.fragment = true;
    f.fragment_offset = 1480;
    CHECK(ParseQuote(ErrorFrame(BuildIpVector(f), false), &q) == IcmpQuoteResult::kNonFirstFragment);
    PacketSpec g = V6(Udp4());
    g.fragment = true;
    g.fragment_offset = 1232;
    CHECK(ParseQuote(ErrorFrame(BuildIpVector(g), true), &q) == IcmpQuoteResult::kNonFirstFragment);
  }
  {
    // A hop-by-hop header that is not first, and a chain longer than the walk allows.
    static const std::array<Ipv6ExtensionSpec, 2> late = {
        {{kIpProtoDstOpts, kPad6}, {kIpProtoHopByHop, kPad6}}};
    PacketSpec t = V6(Udp4());
    t.ipv6_extensions = late;
    CHECK(ParseQuote(ErrorFrame(BuildIpVector(t), true), &q) == IcmpQuoteResult::kExtensionChain);
    static const std::array<Ipv6ExtensionSpec, kMaxIpv6ExtensionHeaders + 1> many = [] {
      std::array<Ipv6ExtensionSpec, kMaxIpv6ExtensionHeaders + 1> a{};
      for (auto& e : a) e = {kIpProtoDstOpts, kPad6};
      return a;
    }();
    t.ipv6_extensions = many;
    CHECK(ParseQuote(ErrorFrame(BuildIpVector(t), true), &q) == IcmpQuoteResult::kExtensionChain);
    // An extension header cut by the end of the quote.
    static const std::array<Ipv6ExtensionSpec, 1> routing = {{{kIpProtoRouting, kRoutingBody}}};
    t.ipv6_extensions = routing;
    CHECK(ParseQuote(ErrorFrame(Truncated(BuildIpVector(t), 40 + 16), true), &q) ==
          IcmpQuoteResult::kTruncated);
  }
}

TEST_CASE("ParseIcmpQuote never reads past the error's IP packet (Ethernet padding is not quote)",
          "[packet][icmp-quote]") {
  // The error is 8 + 27 bytes of ICMP; padding to 64 bytes follows the IP packet. A parser that
  // used the frame length instead of the IP length would find its 8 UDP bytes in the padding.
  PacketSpec s = Icmp4();
  s.icmp_type = kIcmpDestUnreachable;
  const auto quote = Truncated(BuildIpVector(Udp4()), 27);
  s.payload = quote;
  s.min_frame_length = 128;
  IcmpQuote q;
  CHECK(ParseQuote(BuildFrameVector(s), &q) == IcmpQuoteResult::kTruncated);
  for (IcmpQuoteResult r :
       {IcmpQuoteResult::kOk, IcmpQuoteResult::kNotIcmpError, IcmpQuoteResult::kTruncated,
        IcmpQuoteResult::kBadVersion, IcmpQuoteResult::kBadHeaderLength,
        IcmpQuoteResult::kExtensionChain, IcmpQuoteResult::kNonFirstFragment}) {
    CHECK(IcmpQuoteResultName(r) != "invalid");
  }
}

}  // namespace
}  // namespace ssr::packet
