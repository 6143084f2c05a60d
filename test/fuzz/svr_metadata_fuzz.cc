// SPDX-License-Identifier: Apache-2.0
// Fuzz target: SVR metadata decoder. Decodes the input as an L4 payload; on success re-encodes
// the decoded metadata and decodes it again, which must give the same fields (round-trip
// invariant), and every span must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "svr/metadata.h"

namespace {
void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool Inside(std::span<const uint8_t> s, const uint8_t* data, size_t size) {
  return s.empty() || (s.data() >= data && s.data() + s.size() <= data + size);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ssr::svr;
  std::span<const uint8_t> input(data, size);
  Metadata md;
  MetadataLayout layout;
  DecodeNotes notes;
  const DecodeResult r = DecodeMetadata(input, &md, &layout, &notes);
  (void)StartsWithCookie(input);
  if (r != DecodeResult::kOk) return 0;
  Check(layout.total() <= size);
  Check(layout.header_length >= kMetadataHeaderSize);
  for (auto s : {md.tenant_name, md.service_name, md.source_router_name, md.security_policy_name,
                 md.destination_router_name, md.peer_path_id, md.application_name,
                 md.security_encryption_key, md.multicast_egress_list}) {
    Check(Inside(s, data, size));
  }
  // Re-encode: decoded metadata must always be encodable and decode to the same presence set.
  EncodedSizes sizes;
  Check(ComputeEncodedSizes(md, &sizes));
  std::vector<uint8_t> out(sizes.total());
  Check(EncodeMetadata(md, out) == sizes.total());
  Metadata again;
  MetadataLayout layout2;
  Check(DecodeMetadata(out, &again, &layout2, nullptr) == DecodeResult::kOk);
  Check(again.present == md.present);
  Check(again.security_id == md.security_id);
  Check(again.forward_context == md.forward_context);
  Check(again.session_uuid == md.session_uuid);
  return 0;
}
