// SPDX-License-Identifier: Apache-2.0
#include "gate/v6_summary.h"

#include <algorithm>

namespace ssr::gate {
namespace {

uint64_t BigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void SetBit(std::span<uint64_t> summary, uint32_t h) {
  summary[h >> 6] |= uint64_t{1} << (h & 63);
}

}  // namespace

uint32_t V6SummaryHash(const uint8_t* addr, bool whole) {
  const uint64_t hi = BigEndian64(addr);
  const uint64_t lo = whole ? BigEndian64(addr + 8) : 0;
  return SSR_GATE_V6_HASH(hi, lo);
}

void MarkV6SourcePrefix(std::span<uint64_t> summary, const uint8_t* addr, uint32_t length) {
  length = std::min<uint32_t>(length, 128);
  if (length < 64 - SSR_GATE_V6_SUMMARY_MAX_EXPAND) {
    std::fill(summary.begin(), summary.end(), ~uint64_t{0});
    return;
  }
  const uint64_t hi = BigEndian64(addr);
  if (length >= 64) {
    SetBit(summary, SSR_GATE_V6_HASH(hi, 0));
    return;
  }
  const uint64_t first = hi & (~uint64_t{0} << (64 - length));
  const uint64_t count = uint64_t{1} << (64 - length);  // <= 2^SSR_GATE_V6_SUMMARY_MAX_EXPAND
  for (uint64_t i = 0; i < count; ++i) SetBit(summary, SSR_GATE_V6_HASH(first + i, 0));
}

void MarkV6Address(std::span<uint64_t> summary, const uint8_t* addr) {
  SetBit(summary, V6SummaryHash(addr, true));
}

bool V6SummaryMaybe(std::span<const uint64_t> summary, const uint8_t* addr, bool whole) {
  const uint32_t h = V6SummaryHash(addr, whole);
  return ((summary[h >> 6] >> (h & 63)) & 1) != 0;
}

void FillV6Summaries(const GateContents& contents, std::span<uint64_t> sources,
                     std::span<uint64_t> locals) {
  std::fill(sources.begin(), sources.end(), 0);
  std::fill(locals.begin(), locals.end(), 0);
  ForEachSummaryEntry(
      contents, SSR_GATE_FAMILY_IPV6,
      [&](const uint8_t* addr, uint32_t length) { MarkV6SourcePrefix(sources, addr, length); },
      [&](const uint8_t* addr) { MarkV6Address(locals, addr); });
}

V6Summaries BuildV6Summaries(const GateContents& contents) {
  V6Summaries s;
  s.sources.resize(kV6SummaryWords);
  s.locals.resize(kV6SummaryWords);
  FillV6Summaries(contents, s.sources, s.locals);
  return s;
}

}  // namespace ssr::gate
