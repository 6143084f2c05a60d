// SPDX-License-Identifier: Apache-2.0
#include "policy/prefix_table.h"

#include <catch2/catch.hpp>
#include <random>

namespace ssr::policy {
namespace {
util::IpAddress Ip(const char* t) { return *util::IpAddress::Parse(t); }
util::IpPrefix P(const char* t) { return *util::IpPrefix::Parse(t); }
}  // namespace

TEST_CASE("PrefixTable returns the longest matching prefix per family", "[policy]") {
  PrefixTable<int> t;
  CHECK(t.Insert(P("10.0.0.0/8"), 8));
  CHECK(t.Insert(P("10.1.0.0/16"), 16));
  CHECK(t.Insert(P("10.1.2.0/24"), 24));
  CHECK(t.Insert(P("0.0.0.0/0"), 0));
  CHECK(t.Insert(P("2001:db8::/32"), 32));
  CHECK_FALSE(t.Insert(P("10.1.0.0/16"), 99));  // exact duplicate keeps the first value
  CHECK(t.size() == 5);
  CHECK(*t.Lookup(Ip("10.1.2.3")) == 24);
  CHECK(*t.Lookup(Ip("10.1.3.3")) == 16);
  CHECK(*t.Lookup(Ip("10.2.0.1")) == 8);
  CHECK(*t.Lookup(Ip("192.168.1.1")) == 0);
  CHECK(*t.Lookup(Ip("2001:db8:1::1")) == 32);
  CHECK(t.Lookup(Ip("2001:db9::1")) == nullptr);  // v4 default route does not cover IPv6
}

TEST_CASE("PrefixTable ForEachMatch walks longest first and can stop", "[policy]") {
  PrefixTable<int> t;
  t.Insert(P("10.0.0.0/8"), 8);
  t.Insert(P("10.1.0.0/16"), 16);
  t.Insert(P("10.1.2.3/32"), 32);
  std::vector<int> seen;
  CHECK_FALSE(t.ForEachMatch(Ip("10.1.2.3"), [&](int len, int v) {
    CHECK(len == v);
    seen.push_back(v);
    return false;
  }));
  CHECK(seen == std::vector<int>{32, 16, 8});
  seen.clear();
  CHECK(t.ForEachMatch(Ip("10.1.2.3"), [&](int, int v) {
    seen.push_back(v);
    return v == 16;
  }));
  CHECK(seen == std::vector<int>{32, 16});
}

TEST_CASE("PrefixTable agrees with a linear scan on random prefixes", "[policy]") {
  std::mt19937 rng(12345);
  PrefixTable<size_t> t;
  std::vector<util::IpPrefix> prefixes;
  for (size_t i = 0; i < 500; ++i) {
    const int len = static_cast<int>(rng() % 33);
    const util::IpPrefix p(util::IpAddress::V4(static_cast<uint32_t>(rng())).Masked(len), len);
    if (t.Insert(p, prefixes.size())) prefixes.push_back(p);
  }
  for (int i = 0; i < 2000; ++i) {
    const util::IpAddress a = util::IpAddress::V4(static_cast<uint32_t>(rng()));
    int best_len = -1;
    size_t best = 0;
    for (size_t k = 0; k < prefixes.size(); ++k) {
      if (prefixes[k].Contains(a) && prefixes[k].length() > best_len) {
        best_len = prefixes[k].length();
        best = k;
      }
    }
    const size_t* got = t.Lookup(a);
    if (best_len < 0) {
      CHECK(got == nullptr);
    } else {
      REQUIRE(got != nullptr);
      CHECK(*got == best);
    }
  }
}

}  // namespace ssr::policy
