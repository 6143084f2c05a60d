// SPDX-License-Identifier: Apache-2.0
// IPv4 summaries of the gate's exact maps: one bit per /24 (see the design note on
// ssr_v4_sources / ssr_v4_locals in bpf/include/ssr/bpf_shared.h).
//
// Design note: the summaries are derived from GateContents only (the same entries the exact maps
// get), so they can never admit anything the exact maps would refuse; they only let the program
// skip lookups that cannot match. A set bit is always safe (the exact lookups run), a clear bit
// must be proven: every prefix of the summarised entries sets every /24 it overlaps, including
// prefixes shorter than /24 (a /8 sets 65536 bits) and longer ones (a /32 sets its /24).
#ifndef SSR_GATE_V4_SUMMARY_H_
#define SSR_GATE_V4_SUMMARY_H_

#include <cstdint>
#include <span>
#include <vector>

#include "gate/gate_contents.h"
#include "ssr/bpf_shared.h"

namespace ssr::gate {

inline constexpr uint32_t kV4SummaryWords = SSR_GATE_V4_SUMMARY_WORDS;

// One generation's summary: kV4SummaryWords words.
using V4Summary = std::vector<uint64_t>;

struct V4Summaries {
  V4Summary sources;  // every IPv4 tenant prefix (any scope), service prefix and peer address
  V4Summary locals;   // every own / management IPv4 address
};

// Sets the bit of every /24 that the IPv4 prefix `address_host`/`length` overlaps
// (`address_host` in host byte order; bits beyond `length` are ignored). `summary` must hold
// kV4SummaryWords words.
void MarkV4Prefix(std::span<uint64_t> summary, uint32_t address_host, uint32_t length);

// Whether the /24 of `address_host` is marked (the gate then does the exact lookups).
bool V4SummaryMaybe(std::span<const uint64_t> summary, uint32_t address_host);

// Writes the summaries of `contents` (IPv6 entries are not summarised) into `sources` and
// `locals`, kV4SummaryWords words each, clearing whatever they held: the loader fills the
// generation's half of the mapped maps in place.
void FillV4Summaries(const GateContents& contents, std::span<uint64_t> sources,
                     std::span<uint64_t> locals);

// The same into new vectors (tests).
V4Summaries BuildV4Summaries(const GateContents& contents);

}  // namespace ssr::gate

#endif  // SSR_GATE_V4_SUMMARY_H_
