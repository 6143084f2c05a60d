// SPDX-License-Identifier: Apache-2.0
// The probe every generated frame carries right after its UDP header (written by pktgen_gen in
// pktgen.bpf.c, read by the sink). Host byte order: generator and sink run on the same host and
// share CLOCK_MONOTONIC, so the latency is rx_time - tx_ns.
#ifndef SSR_BENCH_PKTGEN_PROBE_H_
#define SSR_BENCH_PKTGEN_PROBE_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace ssr::pktgen {

inline constexpr uint16_t kProbeMagic = 0x5347;
inline constexpr uint32_t kProbeLength = 16;
inline constexpr uint32_t kProbeOffset = 14 + 20 + 8;  // in generated frames

struct Probe {
  uint8_t trial = 0;   // trial id (frames of an earlier trial are ignored)
  uint8_t stream = 0;  // generator thread (live frames: its CPU; AF_XDP: its queue)
  uint32_t seq = 0;
  uint64_t tx_ns = 0;
};

// Writes the probe at kProbeOffset of a generated frame (what pktgen_gen in pktgen.bpf.c writes:
// magic, trial << 8 | stream, sequence number, transmit time), for the AF_XDP generator.
inline void WriteProbe(uint8_t* frame, const Probe& p) {
  uint8_t* at = frame + kProbeOffset;
  const uint16_t magic = kProbeMagic;
  const uint16_t stream = static_cast<uint16_t>(p.trial << 8 | p.stream);
  std::memcpy(at, &magic, 2);
  std::memcpy(at + 2, &stream, 2);
  std::memcpy(at + 4, &p.seq, 4);
  std::memcpy(at + 8, &p.tx_ns, 8);
}

// Finds the probe in an Ethernet/IPv4/UDP frame (any IPv4 header length, optional one VLAN
// tag); nullopt when the frame is not a generated one.
inline std::optional<Probe> ParseProbe(std::span<const uint8_t> f) {
  size_t off = 12;
  if (f.size() < off + 2) return std::nullopt;
  uint16_t type = static_cast<uint16_t>(f[off] << 8 | f[off + 1]);
  off += 2;
  if (type == 0x8100) {
    if (f.size() < off + 4) return std::nullopt;
    type = static_cast<uint16_t>(f[off + 2] << 8 | f[off + 3]);
    off += 4;
  }
  if (type != 0x0800 || f.size() < off + 20) return std::nullopt;
  const size_t ihl = static_cast<size_t>(f[off] & 0x0f) * 4;
  if (f[off + 9] != 17 || ihl < 20) return std::nullopt;
  off += ihl + 8;
  if (f.size() < off + kProbeLength) return std::nullopt;
  uint16_t magic = 0;
  uint16_t stream = 0;
  Probe p;
  std::memcpy(&magic, &f[off], 2);
  if (magic != kProbeMagic) return std::nullopt;
  std::memcpy(&stream, &f[off + 2], 2);
  std::memcpy(&p.seq, &f[off + 4], 4);
  std::memcpy(&p.tx_ns, &f[off + 8], 8);
  p.trial = static_cast<uint8_t>(stream >> 8);
  p.stream = static_cast<uint8_t>(stream & 0xff);
  return p;
}

}  // namespace ssr::pktgen

#endif  // SSR_BENCH_PKTGEN_PROBE_H_
