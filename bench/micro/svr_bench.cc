// SPDX-License-Identifier: Apache-2.0
// SVR metadata codec: ns per packet to encode and decode the forward first-packet metadata of
// docs/protocol.md §3.7 (security id; forward context, tenant, service, UUID, source router, peer
// path), and to insert it into / remove it from UDP frames of 64, 512 and 1400 bytes.
#include <benchmark/benchmark.h>

#include <vector>

#include "packet/builder.h"
#include "packet/parser.h"
#include "svr/metadata.h"
#include "svr/packet_edit.h"

namespace {

using ssr::svr::Metadata;
using ssr::svr::TlvField;

Metadata FirstPacketMetadata() {
  Metadata md;
  md.security_id = 1;
  md.Set(TlvField::kSecurityId);
  md.SetForwardContext({*ssr::util::IpAddress::Parse("10.1.1.10"),
                        *ssr::util::IpAddress::Parse("10.20.1.10"), 40000, 443, 6});
  md.tenant_name = Metadata::AsBytes("engineering");
  md.Set(TlvField::kTenantName);
  md.service_name = Metadata::AsBytes("crm");
  md.Set(TlvField::kServiceName);
  md.Set(TlvField::kSessionUuid);
  md.source_router_name = Metadata::AsBytes("branch");
  md.Set(TlvField::kSourceRouterName);
  md.peer_path_id = Metadata::AsBytes("wan0");
  md.Set(TlvField::kPeerPathId);
  return md;
}

void BM_EncodeFirstPacketMetadata(benchmark::State& state) {
  const Metadata md = FirstPacketMetadata();
  std::vector<uint8_t> out(512);
  for (auto _ : state) {
    size_t n = ssr::svr::EncodeMetadata(md, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_EncodeFirstPacketMetadata);

void BM_DecodeFirstPacketMetadata(benchmark::State& state) {
  std::vector<uint8_t> bytes(512);
  bytes.resize(ssr::svr::EncodeMetadata(FirstPacketMetadata(), bytes));
  for (auto _ : state) {
    Metadata md;
    ssr::svr::MetadataLayout layout;
    auto r = ssr::svr::DecodeMetadata(bytes, &md, &layout, nullptr);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(md);
  }
}
BENCHMARK(BM_DecodeFirstPacketMetadata);

// No cookie: the cost every fast-path packet pays to learn it carries no metadata.
void BM_DecodeNoMetadata(benchmark::State& state) {
  std::vector<uint8_t> payload(64, 0x42);
  for (auto _ : state) {
    ssr::svr::MetadataLayout layout;
    auto r = ssr::svr::DecodeMetadataHeader(payload, &layout);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_DecodeNoMetadata);

// Insert then remove (so each iteration starts from the same frame).
void BM_InsertRemoveMetadata(benchmark::State& state) {
  const size_t frame_size = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> payload(frame_size - 14 - 20 - 8, 0x33);
  ssr::packet::PacketSpec spec;
  spec.payload = payload;
  std::vector<uint8_t> buffer(2048);
  size_t length = ssr::packet::BuildFrame(spec, buffer);
  std::vector<uint8_t> md(512);
  md.resize(ssr::svr::EncodeMetadata(FirstPacketMetadata(), md));
  ssr::packet::PacketInfo info;
  ssr::packet::ParseFrame(std::span<const uint8_t>(buffer.data(), length), &info);
  ssr::packet::PacketInfo grown;
  for (auto _ : state) {
    auto r1 = ssr::svr::InsertMetadata(buffer, &length, info, md, 9000);
    ssr::packet::ParseFrame(std::span<const uint8_t>(buffer.data(), length), &grown);
    auto r2 = ssr::svr::RemoveMetadata(buffer, &length, grown, md.size());
    benchmark::DoNotOptimize(r1);
    benchmark::DoNotOptimize(r2);
  }
  state.SetLabel(std::to_string(md.size()) + " B metadata");
}
BENCHMARK(BM_InsertRemoveMetadata)->Arg(64)->Arg(512)->Arg(1400);

}  // namespace

BENCHMARK_MAIN();
