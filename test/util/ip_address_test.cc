// SPDX-License-Identifier: Apache-2.0
#include "util/ip_address.h"

#include <catch2/catch.hpp>

using ssr::util::IpAddress;
using ssr::util::IpPrefix;
using PE = ssr::util::IpPrefix::ParseError;

TEST_CASE("IpAddress parses both families strictly", "[util]") {
  auto v4 = IpAddress::Parse("10.1.2.3");
  REQUIRE(v4);
  CHECK(v4->is_v4());
  CHECK(v4->v4_host_order() == 0x0A010203u);
  CHECK(v4->ToString() == "10.1.2.3");
  auto v6 = IpAddress::Parse("2001:db8::1");
  REQUIRE(v6);
  CHECK(v6->is_v6());
  CHECK(v6->ToString() == "2001:db8::1");
  CHECK(v6->bytes().size() == 16);
  for (const char* bad : {"", "10.1", "10.1.2.3 ", " 10.1.2.3", "256.1.1.1", "1.2.3.4.5",
                          "2001:db8::1%eth0", "fe80:::1", "hello"}) {
    INFO(bad);
    CHECK_FALSE(IpAddress::Parse(bad));
  }
}

TEST_CASE("IpPrefix parse reports the exact reason", "[util]") {
  PE err = PE::kNone;
  CHECK_FALSE(IpPrefix::Parse("10.0.0.0", &err));
  CHECK(err == PE::kMissingLength);
  CHECK_FALSE(IpPrefix::Parse("10.0.0/8", &err));
  CHECK(err == PE::kBadAddress);
  CHECK_FALSE(IpPrefix::Parse("10.0.0.0/33", &err));
  CHECK(err == PE::kBadLength);
  CHECK_FALSE(IpPrefix::Parse("10.0.0.0/", &err));
  CHECK(err == PE::kBadLength);
  CHECK_FALSE(IpPrefix::Parse("10.0.0.0/8x", &err));
  CHECK(err == PE::kBadLength);
  CHECK_FALSE(IpPrefix::Parse("2001:db8::/129", &err));
  CHECK(err == PE::kBadLength);
  CHECK_FALSE(IpPrefix::Parse("10.0.0.1/24", &err));
  CHECK(err == PE::kHostBitsSet);
  auto ok = IpPrefix::Parse("2001:db8::/32", &err);
  REQUIRE(ok);
  CHECK(err == PE::kNone);
  CHECK(ok->length() == 32);
  CHECK(ok->ToString() == "2001:db8::/32");
}

TEST_CASE("IpPrefix containment and overlap", "[util]") {
  auto p8 = *IpPrefix::Parse("10.0.0.0/8");
  auto p24 = *IpPrefix::Parse("10.1.2.0/24");
  auto other = *IpPrefix::Parse("192.168.0.0/16");
  auto v6 = *IpPrefix::Parse("::/0");
  auto all4 = *IpPrefix::Parse("0.0.0.0/0");
  CHECK(p8.Contains(*IpAddress::Parse("10.255.0.1")));
  CHECK_FALSE(p24.Contains(*IpAddress::Parse("10.1.3.1")));
  CHECK(p8.Overlaps(p24));
  CHECK(p24.Overlaps(p8));
  CHECK_FALSE(p8.Overlaps(other));
  CHECK_FALSE(v6.Overlaps(all4));  // families never overlap
  CHECK(all4.Contains(*IpAddress::Parse("1.2.3.4")));
  CHECK_FALSE(v6.Contains(*IpAddress::Parse("1.2.3.4")));
}
