// SPDX-License-Identifier: Apache-2.0
#include "util/counters.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

namespace {
#define TEST_COUNTERS(X)                         \
  X(kAlpha, "alpha", "first counter")            \
  X(kBeta, "beta", "second counter")             \
  X(kGamma, "gamma", "third counter")
SSR_DEFINE_COUNTER_ENUM(TestCounter, TEST_COUNTERS)
}  // namespace

using ssr::util::CounterArray;
using ssr::util::CounterCount;

TEST_CASE("X-macro counter list yields enum, names and help in order", "[util]") {
  STATIC_REQUIRE(CounterCount<TestCounter>() == 3);
  CHECK(CounterName(TestCounter::kAlpha) == "alpha");
  CHECK(CounterName(TestCounter::kGamma) == "gamma");
  CHECK(CounterHelp(TestCounter::kBeta) == "second counter");
  CHECK(CounterName(TestCounter::kCount) == "invalid");
  std::set<std::string> names;
  for (size_t i = 0; i < CounterCount<TestCounter>(); ++i) {
    names.emplace(CounterName(static_cast<TestCounter>(i)));
  }
  CHECK(names.size() == 3);
}

TEST_CASE("CounterArray increments, aggregates and resets", "[util]") {
  CounterArray<TestCounter> a;
  CounterArray<TestCounter> b;
  a.Increment(TestCounter::kAlpha);
  a.Increment(TestCounter::kAlpha, 4);
  b.Increment(TestCounter::kBeta, 2);
  b.Increment(TestCounter::kAlpha);
  a.AddFrom(b);
  CHECK(a.Get(TestCounter::kAlpha) == 6);
  CHECK(a.Get(TestCounter::kBeta) == 2);
  CHECK(a.Get(TestCounter::kGamma) == 0);
  CHECK(a.Total() == 8);
  a.Reset();
  CHECK(a.Total() == 0);
}
