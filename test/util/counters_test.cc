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
#define TEST_KINDS(X)                                      \
  X(kSeen, "seen", "packets seen")                         \
  X(kLost, "lost", "packets dropped for a reason", kDrop)  \
  X(kNoted, "noted", "an event, declared explicitly", kInfo)
SSR_DEFINE_COUNTER_ENUM(KindCounter, TEST_KINDS)
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

TEST_CASE("X-macro counters declare their kind in an optional fourth column", "[util]") {
  using ssr::util::CounterKind;
  STATIC_REQUIRE(CounterKindOf(KindCounter::kSeen) == CounterKind::kInfo);
  STATIC_REQUIRE(CounterKindOf(KindCounter::kLost) == CounterKind::kDrop);
  STATIC_REQUIRE(CounterKindOf(KindCounter::kNoted) == CounterKind::kInfo);
  CHECK(CounterName(KindCounter::kLost) == "lost");
  CHECK(CounterHelp(KindCounter::kLost) == "packets dropped for a reason");
  CHECK(CounterKindOf(TestCounter::kAlpha) == CounterKind::kInfo);
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
