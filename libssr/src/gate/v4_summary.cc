// SPDX-License-Identifier: Apache-2.0
#include "gate/v4_summary.h"

#include <algorithm>

namespace ssr::gate {
namespace {

uint32_t HostOrder(const uint8_t* addr) {
  return (uint32_t{addr[0]} << 24) | (uint32_t{addr[1]} << 16) | (uint32_t{addr[2]} << 8) |
         uint32_t{addr[3]};
}

}  // namespace

void MarkV4Prefix(std::span<uint64_t> summary, uint32_t address_host, uint32_t length) {
  length = std::min<uint32_t>(length, 32);
  const uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  const uint32_t first = (address_host & mask) >> 8;  // index of the first /24 covered
  // A prefix of /24 or longer covers one /24; a shorter one 2^(24 - length) of them.
  const uint32_t count = length >= 24 ? 1 : uint32_t{1} << (24 - length);
  uint32_t i = first;
  const uint32_t end = first + count;  // <= 2^24: no overflow
  // Head and tail bit by bit, whole words in between (a /8 is 1024 words).
  while (i < end && (i & 63) != 0) {
    summary[i >> 6] |= uint64_t{1} << (i & 63);
    ++i;
  }
  while (i + 64 <= end) {
    summary[i >> 6] = ~uint64_t{0};
    i += 64;
  }
  while (i < end) {
    summary[i >> 6] |= uint64_t{1} << (i & 63);
    ++i;
  }
}

bool V4SummaryMaybe(std::span<const uint64_t> summary, uint32_t address_host) {
  const uint32_t index = address_host >> 8;
  return ((summary[index >> 6] >> (index & 63)) & 1) != 0;
}

void FillV4Summaries(const GateContents& contents, std::span<uint64_t> sources,
                     std::span<uint64_t> locals) {
  std::fill(sources.begin(), sources.end(), 0);
  std::fill(locals.begin(), locals.end(), 0);
  ForEachSummaryEntry(
      contents, SSR_GATE_FAMILY_IPV4,
      [&](const uint8_t* addr, uint32_t length) {
        MarkV4Prefix(sources, HostOrder(addr), length);
      },
      [&](const uint8_t* addr) { MarkV4Prefix(locals, HostOrder(addr), 32); });
}

V4Summaries BuildV4Summaries(const GateContents& contents) {
  V4Summaries s;
  s.sources.resize(kV4SummaryWords);
  s.locals.resize(kV4SummaryWords);
  FillV4Summaries(contents, s.sources, s.locals);
  return s;
}

}  // namespace ssr::gate
