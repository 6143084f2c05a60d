// SPDX-License-Identifier: Apache-2.0
// The gate's IPv6 summaries (gate/v6_summary.h): every /64 a source prefix overlaps is marked,
// prefixes too short to list mark everything, locals are marked by whole address, and the
// summaries of real contents cover every tenant, service, peer and local entry; the IPv4 source
// summary covers the peers too.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/model.h"
#include "gate/gate_contents.h"
#include "gate/v4_summary.h"
#include "gate/v6_summary.h"

namespace {

using ssr::gate::kV6SummaryWords;
using ssr::gate::V6Address;
using ssr::gate::V6Summary;
using ssr::gate::V6SummaryMaybe;

V6Address A(const char* text) {
  V6Address a{};
  REQUIRE(inet_pton(AF_INET6, text, a.data()) == 1);
  return a;
}

size_t BitsSet(const V6Summary& s) {
  size_t n = 0;
  for (uint64_t w : s) n += static_cast<size_t>(__builtin_popcountll(w));
  return n;
}

bool Maybe(const V6Summary& s, const char* text, bool whole = false) {
  return V6SummaryMaybe(s, A(text).data(), whole);
}

}  // namespace

TEST_CASE("MarkV6SourcePrefix marks the hash of every /64 a prefix overlaps") {
  struct Row {
    const char* prefix;
    uint32_t length;
    size_t max_bits;  // /64s overlapped (hash collisions can only make fewer bits)
    const char* inside;
    const char* outside;
  };
  const Row rows[] = {
      {"fd00:10:10:1::10", 128, 1, "fd00:10:10:1:ffff::1", "fd00:10:10:2::10"},
      {"fd00:10:10:1::", 64, 1, "fd00:10:10:1::", "fd00:10:10:0:ffff:ffff:ffff:ffff"},
      {"fd00:10:10:1::200", 120, 1, "fd00:10:10:1::1", "fd00:10:10:0::200"},
      {"fd00:10:10::", 63, 2, "fd00:10:10:1::5", "fd00:10:10:2::5"},
      {"fd00:10:10::", 48, 65536, "fd00:10:10:ffff::1", "fd00:10:11::1"},
      {"fd00:10:10:77::", 48, 65536, "fd00:10:10::1", "fd00:10:f::1"},  // host bits ignored
  };
  for (const Row& r : rows) {
    CAPTURE(r.prefix, r.length);
    V6Summary s(kV6SummaryWords, 0);
    ssr::gate::MarkV6SourcePrefix(s, A(r.prefix).data(), r.length);
    CHECK(BitsSet(s) <= r.max_bits);
    CHECK(BitsSet(s) + 16 >= r.max_bits);  // a few collisions at most, never a lost /64
    CHECK(Maybe(s, r.prefix));
    CHECK(Maybe(s, r.inside));
    CHECK_FALSE(Maybe(s, r.outside));
  }
  // The longest prefix still listed /64 by /64, and the first that marks every bit.
  V6Summary listed(kV6SummaryWords, 0);
  ssr::gate::MarkV6SourcePrefix(listed, A("fd00:1000::").data(),
                                64 - SSR_GATE_V6_SUMMARY_MAX_EXPAND);
  CHECK(BitsSet(listed) <= size_t{1} << SSR_GATE_V6_SUMMARY_MAX_EXPAND);
  CHECK(BitsSet(listed) > (size_t{1} << SSR_GATE_V6_SUMMARY_MAX_EXPAND) * 9 / 10);
  CHECK(Maybe(listed, "fd00:1000::"));
  CHECK(Maybe(listed, "fd00:1000:f:ffff::1"));  // the last /64 of the /44
  V6Summary all(kV6SummaryWords, 0);
  ssr::gate::MarkV6SourcePrefix(all, A("fd00::").data(), 63 - SSR_GATE_V6_SUMMARY_MAX_EXPAND);
  CHECK(BitsSet(all) == size_t{kV6SummaryWords} * 64);
  CHECK(Maybe(all, "2001:db8::1"));
}

TEST_CASE("MarkV6Address marks by whole address: another host of the /64 stays clear") {
  V6Summary s(kV6SummaryWords, 0);
  ssr::gate::MarkV6Address(s, A("fd00:10:10::1").data());
  CHECK(BitsSet(s) == 1);
  CHECK(Maybe(s, "fd00:10:10::1", true));
  CHECK_FALSE(Maybe(s, "fd00:10:10::2", true));
}

TEST_CASE("BuildV6Summaries covers every IPv6 tenant, service, peer and local entry") {
  absl::StatusOr<std::shared_ptr<const ssr::config::Config>> config =
      ssr::config::LoadConfigString(ssr::config::DefaultConfigText(),
                                    ssr::config::ConfigFormat::kText);
  REQUIRE(config.ok());
  for (const char* router : {"branch", "datacenter"}) {
    CAPTURE(router);
    absl::StatusOr<ssr::gate::GateContents> contents =
        ssr::gate::ComputeGateContents(**config, router);
    REQUIRE(contents.ok());
    const ssr::gate::V6Summaries s = ssr::gate::BuildV6Summaries(*contents);
    size_t sources = 0;
    for (const auto& e : contents->tenants) {
      if (e.key.family != SSR_GATE_FAMILY_IPV6) continue;
      ++sources;
      CHECK(V6SummaryMaybe(s.sources, e.key.addr, false));
    }
    for (const auto& e : contents->services) {
      if (e.key.family != SSR_GATE_FAMILY_IPV6) continue;
      ++sources;
      CHECK(V6SummaryMaybe(s.sources, e.key.addr, false));
    }
    size_t peers = 0;
    for (const auto& e : contents->peers) {
      if (e.key.family != SSR_GATE_FAMILY_IPV6) continue;
      ++peers;
      CHECK(V6SummaryMaybe(s.sources, e.key.addr, false));
    }
    size_t locals = 0;
    for (const auto& e : contents->locals) {
      if (e.key.family != SSR_GATE_FAMILY_IPV6) continue;
      ++locals;
      CHECK(V6SummaryMaybe(s.locals, e.key.addr, true));
    }
    CHECK(sources > 0);
    CHECK(peers > 0);
    CHECK(locals > 0);
    CHECK(BitsSet(s.locals) <= locals);
    // IPv6 entries only: the IPv4 ones are in the IPv4 summaries.
    CHECK(BitsSet(s.sources) <= sources + peers);
  }
  absl::StatusOr<ssr::gate::GateContents> branch =
      ssr::gate::ComputeGateContents(**config, "branch");
  REQUIRE(branch.ok());
  const ssr::gate::V6Summaries s = ssr::gate::BuildV6Summaries(*branch);
  // The addresses the fixture rows of test/bpf/gate_rows.cc put on either side of the summary.
  CHECK_FALSE(Maybe(s.sources, "fd00::5"));
  CHECK_FALSE(Maybe(s.sources, "fd00:10:10:3::7"));
  CHECK_FALSE(Maybe(s.sources, "2001:db8:7::1"));
  CHECK(Maybe(s.sources, "fd00:10:10:1:ffff:ffff:ffff:fffe"));
  CHECK(Maybe(s.sources, "fd00:10:20:1::99"));  // crm's /64
  CHECK(Maybe(s.sources, "2001:db8:2::99"));    // the peer's /64
  CHECK(Maybe(s.locals, "fd00:10:10::1", true));
  CHECK_FALSE(Maybe(s.locals, "fd00:10:10::2", true));
  CHECK_FALSE(Maybe(s.locals, "2001:db8:2::3", true));
  // IPv4 peers share the IPv4 source summary.
  const ssr::gate::V4Summaries v4 = ssr::gate::BuildV4Summaries(*branch);
  CHECK(ssr::gate::V4SummaryMaybe(v4.sources, (192u << 24) | (0u << 16) | (2u << 8) | 2u));
  CHECK_FALSE(ssr::gate::V4SummaryMaybe(v4.sources, (198u << 24) | (51u << 16) | (100u << 8) | 7u));
}
