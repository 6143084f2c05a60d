// SPDX-License-Identifier: Apache-2.0
// Every prefix of valid frames is parsed from an exactly-sized heap buffer: a cut header must not
// be accepted, the reason must name the layer that was cut, and AddressSanitizer (in the sanitizer
// build) proves nothing is read past the end.
#include <catch2/catch.hpp>

#include "packet_cases.h"
#include "packet_test_util.h"

using namespace ssr::packet;
using namespace ssr::packet::testing;

TEST_CASE("No proper prefix of an unpadded valid frame parses as ok", "[packet]") {
  for (const PacketCase& c : ValidCases()) {
    if (c.name == "udp4_padded") continue;  // its prefixes down to the IP length are complete
    INFO(c.name);
    for (size_t n = 0; n < c.bytes.size(); ++n) {
      PacketInfo info;
      INFO("prefix " << n);
      REQUIRE(ParsePrefix(c.bytes, n, &info, c.from_ip) != ParseResult::kOk);
    }
    PacketInfo info;
    CHECK(ParsePrefix(c.bytes, c.bytes.size(), &info, c.from_ip) == ParseResult::kOk);
  }
}

TEST_CASE("Prefixes of a padded frame are ok exactly down to the IP packet end", "[packet]") {
  PacketSpec s = Udp4();
  s.min_frame_length = 80;
  const auto frame = BuildFrameVector(s);
  const size_t ip_end = 14 + 20 + 8 + kSmallPayload.size();
  for (size_t n = 0; n <= frame.size(); ++n) {
    PacketInfo info;
    INFO("prefix " << n);
    CHECK((ParsePrefix(frame, n, &info) == ParseResult::kOk) == (n >= ip_end));
  }
}

TEST_CASE("Truncated IPv4 TCP frame reports the layer that was cut", "[packet]") {
  const auto frame = BuildFrameVector(Tcp4());
  for (size_t n = 0; n < frame.size(); ++n) {
    PacketInfo info;
    const ParseResult r = ParsePrefix(frame, n, &info);
    INFO("prefix " << n << " -> " << ParseResultName(r));
    if (n < 14) {
      CHECK(r == ParseResult::kTruncatedEthernet);
    } else if (n < 34) {
      CHECK(r == ParseResult::kTruncatedIpv4);
    } else {
      CHECK(r == ParseResult::kIpv4TotalLengthExceedsFrame);
    }
  }
}

TEST_CASE("Truncated tagged IPv6 frame with extensions reports the layer that was cut",
          "[packet]") {
  static const std::array<Ipv6ExtensionSpec, 1> exts = {{{kIpProtoHopByHop, kPad6}}};
  PacketSpec s = V6(Udp4());
  s.vlan_count = 2;
  s.vlans[0] = {kEtherTypeQinQ, 1};
  s.vlans[1] = {kEtherTypeVlan, 2};
  s.ipv6_extensions = exts;
  const auto frame = BuildFrameVector(s);
  for (size_t n = 0; n < frame.size(); ++n) {
    PacketInfo info;
    const ParseResult r = ParsePrefix(frame, n, &info);
    INFO("prefix " << n << " -> " << ParseResultName(r));
    if (n < 14) {
      CHECK(r == ParseResult::kTruncatedEthernet);
    } else if (n < 22) {
      CHECK(r == ParseResult::kTruncatedVlan);
    } else if (n < 62) {
      CHECK(r == ParseResult::kTruncatedIpv6);
    } else {
      CHECK(r == ParseResult::kIpv6PayloadLengthExceedsFrame);
    }
  }
}

TEST_CASE("Transport headers cut by the IP length report the transport layer", "[packet]") {
  // The frame keeps all its bytes; only the IP length shrinks, so the L4 check is what trips.
  struct Shape {
    PacketSpec spec;
    size_t header;
    ParseResult cut;
  };
  const Shape shapes[] = {
      {Tcp4(), 20, ParseResult::kTruncatedTcp},    {Udp4(), 8, ParseResult::kTruncatedUdp},
      {Icmp4(), 8, ParseResult::kTruncatedIcmp},   {V6(Tcp4()), 20, ParseResult::kTruncatedTcp},
      {V6(Udp4()), 8, ParseResult::kTruncatedUdp}, {V6(Icmp4()), 8, ParseResult::kTruncatedIcmpv6},
  };
  for (const Shape& shape : shapes) {
    const bool v6 = shape.spec.src.is_v6();
    const auto original = BuildFrameVector(shape.spec);
    for (size_t l4 = 0; l4 < shape.header; ++l4) {
      auto frame = original;
      if (v6) {
        StoreBe16(frame.data() + kL3 + 4, static_cast<uint16_t>(l4));
      } else {
        StoreBe16(frame.data() + kL3 + 2, static_cast<uint16_t>(20 + l4));
      }
      PacketInfo info;
      INFO("v6=" << v6 << " l4 bytes " << l4);
      CHECK(ParseExact(frame, &info) == shape.cut);
    }
  }
}
