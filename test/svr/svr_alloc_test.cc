// SPDX-License-Identifier: Apache-2.0
// The per-packet SVR codec paths never allocate: a counting global operator new sees zero calls
// across thousands of encode / decode / insert / remove / fragment / reassemble operations.
// Separate executable because it replaces the global allocator (test/support).
#include <catch2/catch.hpp>
#include <vector>

#include "packet/builder.h"
#include "packet/parser.h"
#include "svr/fragment.h"
#include "svr/metadata.h"
#include "svr/packet_edit.h"
#include "support/counting_allocator.h"

namespace ssr::svr {

TEST_CASE("SVR codec per-packet calls make no heap allocation", "[svr][alloc]") {
  Metadata md;
  md.security_id = 1;
  md.Set(TlvField::kSecurityId);
  md.SetForwardContext({*util::IpAddress::Parse("10.1.1.10"),
                        *util::IpAddress::Parse("10.20.1.10"), 40000, 443, 17});
  md.tenant_name = Metadata::AsBytes("engineering");
  md.Set(TlvField::kTenantName);
  md.Set(TlvField::kSessionUuid);
  std::vector<uint8_t> encoded(512);
  const std::vector<uint8_t> payload(1400, 0x5A);
  packet::PacketSpec spec;
  spec.payload = payload;
  std::vector<uint8_t> frame(2048);
  size_t length = packet::BuildFrame(spec, frame);
  const std::vector<uint8_t> original(frame.begin(), frame.begin() + static_cast<long>(length));
  std::vector<std::vector<uint8_t>> frag_buffers(4, std::vector<uint8_t>(2048));
  std::vector<std::span<uint8_t>> outs(frag_buffers.begin(), frag_buffers.end());
  std::vector<size_t> lengths(4);
  FragmentReassembler reassembler({});
  size_t checksum = 0;

  // The hooks are active: one visible allocation is counted (stored through a volatile pointer so
  // the optimiser cannot elide the new/delete pair).
  CHECK(ssr::testing::CountAllocations([] {
          static int* volatile sink = nullptr;
          sink = new int(1);
          delete sink;
        }) == 1);
  const size_t before = ssr::testing::TotalAllocations();
  for (int i = 0; i < 5000; ++i) {
    const size_t n = EncodeMetadata(md, encoded);
    Metadata decoded;
    MetadataLayout layout;
    checksum += DecodeMetadata(std::span<const uint8_t>(encoded.data(), n), &decoded, &layout,
                               nullptr) == DecodeResult::kOk;
    packet::PacketInfo info;
    packet::ParseFrame(std::span<const uint8_t>(frame.data(), length), &info);
    checksum += InsertMetadata(frame, &length, info, std::span<const uint8_t>(encoded.data(), n),
                               9000) == EditResult::kOk;
    packet::ParseFrame(std::span<const uint8_t>(frame.data(), length), &info);
    checksum += RemoveMetadata(frame, &length, info, n) == EditResult::kOk;
    packet::ParseFrame(std::span<const uint8_t>(frame.data(), length), &info);
    size_t count = 0;
    checksum += FragmentUdpPacket(std::span<const uint8_t>(frame.data(), length), info, md,
                                  static_cast<uint32_t>(i), 1000, outs, lengths, &count) ==
                FragmentResult::kOk;
    for (size_t k = 0; k < count; ++k) {
      packet::PacketInfo fi;
      std::span<const uint8_t> f(frag_buffers[k].data(), lengths[k]);
      packet::ParseFrame(f, &fi);
      Metadata fm;
      MetadataLayout fl;
      DecodeMetadata(fi.Payload(f), &fm, &fl, nullptr);
      FragmentReassembler::Datagram d;
      checksum += reassembler.Add(fi.src, fm, fi.Payload(f).first(fl.total()),
                                  fi.Payload(f).subspan(fl.total()), 0, &d) ==
                  ReassemblyResult::kComplete;
    }
  }
  const size_t allocations = ssr::testing::TotalAllocations() - before;
  CHECK(allocations == 0);
  CHECK(checksum == 5000 * 5);  // every step succeeded, so the loop measured the real paths
  CHECK(std::equal(original.begin(), original.end(), frame.begin()));
}

}  // namespace ssr::svr
