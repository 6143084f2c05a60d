// SPDX-License-Identifier: Apache-2.0
// The gate's IPv4 /24 summaries (gate/v4_summary.h): every /24 a prefix overlaps is marked, no
// other, and the summaries of real contents cover every tenant, service and local entry.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/model.h"
#include "gate/gate_contents.h"
#include "gate/v4_summary.h"

namespace {

using ssr::gate::kV4SummaryWords;
using ssr::gate::MarkV4Prefix;
using ssr::gate::V4Summary;
using ssr::gate::V4SummaryMaybe;

constexpr uint32_t Ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

size_t BitsSet(const V4Summary& s) {
  size_t n = 0;
  for (uint64_t w : s) n += static_cast<size_t>(__builtin_popcountll(w));
  return n;
}

}  // namespace

TEST_CASE("MarkV4Prefix marks exactly the /24s a prefix overlaps") {
  struct Row {
    uint32_t address;
    uint32_t length;
    size_t bits;          // /24s marked
    uint32_t inside;      // an address that must be marked
    uint32_t outside;     // an address that must not be
  };
  const Row rows[] = {
      {Ip(10, 1, 1, 10), 32, 1, Ip(10, 1, 1, 200), Ip(10, 1, 2, 10)},
      {Ip(10, 1, 1, 0), 24, 1, Ip(10, 1, 1, 0), Ip(10, 1, 0, 255)},
      {Ip(10, 1, 1, 128), 25, 1, Ip(10, 1, 1, 1), Ip(10, 1, 2, 0)},  // longer than /24
      {Ip(10, 1, 0, 0), 23, 2, Ip(10, 1, 1, 255), Ip(10, 1, 2, 0)},
      {Ip(10, 1, 0, 0), 16, 256, Ip(10, 1, 255, 1), Ip(10, 2, 0, 0)},
      {Ip(172, 16, 0, 0), 12, 4096, Ip(172, 31, 255, 255), Ip(172, 32, 0, 0)},
      {Ip(10, 0, 0, 0), 8, 65536, Ip(10, 255, 0, 1), Ip(11, 0, 0, 0)},
      {Ip(10, 9, 9, 9), 8, 65536, Ip(10, 0, 0, 1), Ip(9, 255, 255, 255)},  // host bits ignored
      {Ip(10, 1, 0, 64), 18, 64, Ip(10, 1, 63, 0), Ip(10, 1, 64, 0)},     // one whole word
      {Ip(10, 1, 0, 32), 19, 32, Ip(10, 1, 31, 0), Ip(10, 1, 32, 0)},     // half a word
      {Ip(0, 0, 0, 0), 0, size_t{1} << 24, Ip(255, 255, 255, 255), Ip(0, 0, 0, 0)},
  };
  for (const Row& r : rows) {
    CAPTURE(r.address, r.length);
    V4Summary s(kV4SummaryWords, 0);
    MarkV4Prefix(s, r.address, r.length);
    CHECK(BitsSet(s) == r.bits);
    CHECK(V4SummaryMaybe(s, r.address));
    CHECK(V4SummaryMaybe(s, r.inside));
    if (r.length > 0) CHECK_FALSE(V4SummaryMaybe(s, r.outside));
  }
}

TEST_CASE("BuildV4Summaries covers every IPv4 tenant, service and local entry, and only those") {
  // The built-in default config's branch router: its tenant members, services, own addresses.
  absl::StatusOr<std::shared_ptr<const ssr::config::Config>> config =
      ssr::config::LoadConfigString(ssr::config::DefaultConfigText(),
                                    ssr::config::ConfigFormat::kText);
  REQUIRE(config.ok());
  absl::StatusOr<ssr::gate::GateContents> contents =
      ssr::gate::ComputeGateContents(**config, "branch");
  REQUIRE(contents.ok());
  const ssr::gate::V4Summaries s = ssr::gate::BuildV4Summaries(*contents);
  auto host = [](const uint8_t* a) { return Ip(a[0], a[1], a[2], a[3]); };
  size_t v4 = 0;
  for (const auto& e : contents->tenants) {
    if (e.key.family != SSR_GATE_FAMILY_IPV4) continue;
    ++v4;
    CHECK(V4SummaryMaybe(s.sources, host(e.key.addr)));
  }
  for (const auto& e : contents->services) {
    if (e.key.family != SSR_GATE_FAMILY_IPV4) continue;
    ++v4;
    CHECK(V4SummaryMaybe(s.sources, host(e.key.addr)));
  }
  REQUIRE(v4 > 0);
  size_t locals = 0;
  for (const auto& e : contents->locals) {
    if (e.key.family != SSR_GATE_FAMILY_IPV4) continue;
    ++locals;
    CHECK(V4SummaryMaybe(s.locals, host(e.key.addr)));
  }
  REQUIRE(locals > 0);
  // Addresses in no prefix of the default config stay clear, among them bench/run's flood of
  // non-members (10.10.7.0/24, next to the members 10.10.1-2.0/24 and 10.10.9.0/24).
  CHECK_FALSE(V4SummaryMaybe(s.sources, Ip(10, 10, 7, 1)));
  CHECK_FALSE(V4SummaryMaybe(s.sources, Ip(10, 10, 3, 1)));
  CHECK(V4SummaryMaybe(s.sources, Ip(10, 10, 1, 200)));
  CHECK_FALSE(V4SummaryMaybe(s.locals, Ip(10, 10, 7, 1)));
  CHECK(V4SummaryMaybe(s.locals, Ip(10, 10, 0, 1)));
  CHECK(BitsSet(s.locals) <= locals);
}
