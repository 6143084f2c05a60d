// SPDX-License-Identifier: Apache-2.0
// Packet-layer micro-benchmarks: ns/packet for the parser on typical shapes, and the checksum
// routines (full over 64/512/1400 bytes, RFC 1624 incremental updates) that NAT / SVR rewrites
// run per packet.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

#include "packet/builder.h"
#include "packet/checksum.h"
#include "packet/parser.h"

namespace {

using ssr::packet::PacketInfo;
using ssr::packet::PacketSpec;
using ssr::util::IpAddress;

std::vector<uint8_t> Build(const PacketSpec& spec) {
  std::vector<uint8_t> frame(ssr::packet::FrameLength(spec));
  if (ssr::packet::BuildFrame(spec, frame) != frame.size() || frame.empty()) std::abort();
  return frame;
}

void ParseLoop(benchmark::State& state, const std::vector<uint8_t>& frame) {
  PacketInfo info;
  for (auto _ : state) {
    benchmark::DoNotOptimize(frame.data());
    auto r = ssr::packet::ParseFrame(frame, &info);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(info);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseFrameUdpV4_64B(benchmark::State& state) {
  static const std::array<uint8_t, 18> payload{};  // 14 + 20 + 8 + 18 = 60, padded to 64
  PacketSpec spec;
  spec.payload = payload;
  spec.min_frame_length = 64;
  ParseLoop(state, Build(spec));
}
BENCHMARK(BM_ParseFrameUdpV4_64B);

void BM_ParseFrameTcpV6WithExtensions(benchmark::State& state) {
  static const std::array<uint8_t, 6> opts{};
  static const std::array<uint8_t, 20> routing{};
  static const std::array<ssr::packet::Ipv6ExtensionSpec, 3> exts{{
      {ssr::packet::kIpProtoHopByHop, opts},
      {ssr::packet::kIpProtoRouting, routing},
      {ssr::packet::kIpProtoDstOpts, opts},
  }};
  static const std::array<uint8_t, 64> payload{};
  PacketSpec spec;
  spec.src = *IpAddress::Parse("2001:db8::1");
  spec.dst = *IpAddress::Parse("2001:db8::2");
  spec.protocol = ssr::packet::kIpProtoTcp;
  spec.ipv6_extensions = exts;
  spec.payload = payload;
  ParseLoop(state, Build(spec));
}
BENCHMARK(BM_ParseFrameTcpV6WithExtensions);

void BM_ParseFrameVlanTcpV4(benchmark::State& state) {
  static const std::array<uint8_t, 512> payload{};
  PacketSpec spec;
  spec.vlan_count = 1;
  spec.vlans[0].tci = 100;
  spec.protocol = ssr::packet::kIpProtoTcp;
  spec.payload = payload;
  ParseLoop(state, Build(spec));
}
BENCHMARK(BM_ParseFrameVlanTcpV4);

void BM_InternetChecksum(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)));
  std::iota(data.begin(), data.end(), uint8_t{7});
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    uint16_t c = ssr::packet::InternetChecksum(data);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_InternetChecksum)->Arg(64)->Arg(512)->Arg(1400);

void BM_TransportChecksumV4(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)));
  std::iota(data.begin(), data.end(), uint8_t{3});
  const IpAddress src = IpAddress::V4(0x0a000001);
  const IpAddress dst = IpAddress::V4(0xc0a80101);
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    uint16_t c = ssr::packet::TransportChecksum(src, dst, ssr::packet::kIpProtoTcp, data);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TransportChecksumV4)->Arg(64)->Arg(512)->Arg(1400);

void BM_ChecksumUpdate16(benchmark::State& state) {
  uint16_t csum = 0x1234;
  uint16_t port = 1000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(port);
    csum = ssr::packet::ChecksumUpdate16(csum, port, static_cast<uint16_t>(port + 1));
    benchmark::DoNotOptimize(csum);
  }
}
BENCHMARK(BM_ChecksumUpdate16);

void BM_ChecksumUpdateAddressV6(benchmark::State& state) {
  const IpAddress a = *IpAddress::Parse("2001:db8::1");
  const IpAddress b = *IpAddress::Parse("2001:db8:ffff::abcd");
  uint16_t csum = 0x1234;
  for (auto _ : state) {
    csum = ssr::packet::ChecksumUpdateAddress(csum, a, b);
    benchmark::DoNotOptimize(csum);
  }
}
BENCHMARK(BM_ChecksumUpdateAddressV6);

}  // namespace

BENCHMARK_MAIN();
