// SPDX-License-Identifier: Apache-2.0
// IPv6 summaries of the gate's exact maps: 2^24 hashed bits, sources by /64, locals by address
// (see the design note on ssr_v6_sources / ssr_v6_locals in bpf/include/ssr/bpf_shared.h).
//
// Design note: as for IPv4 (gate/v4_summary.h) the summaries are derived from GateContents only
// and are conservative: every /64 a tenant, service or peer prefix overlaps has its hash bit set
// (or, for a prefix shorter than /(64 - SSR_GATE_V6_SUMMARY_MAX_EXPAND), every bit), every own or
// management address its hash bit. A hash collision sets a bit that other keys share, which only
// sends them to the exact lookups.
#ifndef SSR_GATE_V6_SUMMARY_H_
#define SSR_GATE_V6_SUMMARY_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "gate/gate_contents.h"
#include "ssr/bpf_shared.h"

namespace ssr::gate {

inline constexpr uint32_t kV6SummaryWords = SSR_GATE_V6_SUMMARY_WORDS;

// One generation's summary: kV6SummaryWords words.
using V6Summary = std::vector<uint64_t>;
using V6Address = std::array<uint8_t, 16>;  // network order

struct V6Summaries {
  V6Summary sources;  // every IPv6 tenant prefix (any scope), service prefix and peer address
  V6Summary locals;   // every own / management IPv6 address
};

// The 24-bit summary hash of an address: of its /64 (`whole` false) or of all 128 bits.
uint32_t V6SummaryHash(const uint8_t* addr, bool whole);

// Marks the hash of every /64 that `addr`/`length` overlaps (bits beyond `length` ignored), or
// every bit when that is more than 2^SSR_GATE_V6_SUMMARY_MAX_EXPAND /64s.
void MarkV6SourcePrefix(std::span<uint64_t> summary, const uint8_t* addr, uint32_t length);

// Marks the hash of the whole address `addr`.
void MarkV6Address(std::span<uint64_t> summary, const uint8_t* addr);

// Whether the bit of `addr` (by its /64, or `whole`) is marked: the gate then does the exact
// lookups.
bool V6SummaryMaybe(std::span<const uint64_t> summary, const uint8_t* addr, bool whole);

// Writes the IPv6 summaries of `contents` into `sources` and `locals`, kV6SummaryWords words
// each, clearing whatever they held (IPv4 entries are not summarised here).
void FillV6Summaries(const GateContents& contents, std::span<uint64_t> sources,
                     std::span<uint64_t> locals);

// The same into new vectors (tests).
V6Summaries BuildV6Summaries(const GateContents& contents);

}  // namespace ssr::gate

#endif  // SSR_GATE_V6_SUMMARY_H_
