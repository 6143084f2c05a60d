// SPDX-License-Identifier: Apache-2.0
#include "svr/fragment.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "svr/packet_edit.h"

namespace ssr::svr {

using packet::PacketInfo;

namespace {

constexpr size_t kMaxOffsetBytes = 0x1FFF * 8;  // 13-bit offset in 8-byte units

// Writes headers (copied from the original), metadata and data into `out`, fixing lengths and
// checksums. Returns the frame length, 0 if `out` is too small.
size_t WriteFragment(std::span<const uint8_t> frame, const PacketInfo& info,
                     std::span<const uint8_t> md, std::span<const uint8_t> data,
                     std::span<uint8_t> out) {
  const size_t headers = info.payload_offset;  // L2 + L3 + UDP header
  const size_t length = headers + md.size() + data.size();
  if (out.size() < length) return 0;
  std::memcpy(out.data(), frame.data(), headers);
  std::memcpy(out.data() + headers, md.data(), md.size());
  if (!data.empty()) std::memcpy(out.data() + headers + md.size(), data.data(), data.size());
  FixLengthsAndChecksums(out, info, length - info.l3_offset);
  return length;
}

}  // namespace

FragmentResult FragmentUdpPacket(std::span<const uint8_t> frame, const PacketInfo& info,
                                 const Metadata& session_md, uint32_t extended_id, size_t mtu,
                                 std::span<const std::span<uint8_t>> outputs,
                                 std::span<size_t> lengths, size_t* count) {
  *count = 0;
  if (!info.is_udp() || info.is_fragment) return FragmentResult::kNotUdp;
  if (size_t{info.payload_offset} + info.payload_length > frame.size()) {
    return FragmentResult::kInconsistent;
  }
  const std::span<const uint8_t> payload = frame.subspan(info.payload_offset, info.payload_length);
  const size_t ip_overhead = info.payload_offset - info.l3_offset;  // IP (+ext) + UDP headers

  // Metadata of the first fragment: the session's TLVs plus the Fragment TLV.
  Metadata first = session_md;
  first.Set(TlvField::kFragment);
  first.fragment = {extended_id, static_cast<uint16_t>(info.is_ipv4() ? info.fragment_id : 0),
                    false, info.dont_fragment, true, 0, 0};
  EncodedSizes first_sizes;
  if (!ComputeEncodedSizes(first, &first_sizes)) return FragmentResult::kMetadataNotEncodable;
  // Later fragments: Fragment TLV (+ Security ID).
  Metadata rest;
  rest.Set(TlvField::kFragment);
  rest.fragment = first.fragment;
  if (session_md.Has(TlvField::kSecurityId)) {
    rest.Set(TlvField::kSecurityId);
    rest.security_id = session_md.security_id;
  }
  EncodedSizes rest_sizes;
  ComputeEncodedSizes(rest, &rest_sizes);

  auto room = [&](size_t md_size) -> size_t {
    if (mtu <= ip_overhead + md_size) return 0;
    return (mtu - ip_overhead - md_size) & ~size_t{7};  // whole 8-byte units
  };
  const size_t first_room = room(first_sizes.total());
  const size_t rest_room = room(rest_sizes.total());
  if (first_room == 0 || rest_room == 0) return FragmentResult::kMtuTooSmall;
  if (payload.size() > kMaxOffsetBytes + rest_room) return FragmentResult::kTooManyFragments;

  // Plan the fragments first so Largest Seen can be filled in on every one of them.
  size_t planned = 0;
  size_t largest = 0;
  for (size_t offset = 0, i = 0; offset < payload.size() || i == 0; ++i) {
    const size_t md_size = i == 0 ? first_sizes.total() : rest_sizes.total();
    const size_t take = std::min(i == 0 ? first_room : rest_room, payload.size() - offset);
    largest = std::max(largest, ip_overhead + md_size + take);
    offset += take;
    ++planned;
    if (payload.empty()) break;
  }
  if (planned > outputs.size() || planned > lengths.size()) {
    return FragmentResult::kTooManyFragments;
  }

  // First-fragment metadata is a few hundred bytes; bound it so the scratch fits on the stack.
  std::array<uint8_t, 4096> md_buffer_storage;
  if (first_sizes.total() > md_buffer_storage.size()) return FragmentResult::kMetadataNotEncodable;
  size_t offset = 0;
  for (size_t i = 0; i < planned; ++i) {
    Metadata& md = i == 0 ? first : rest;
    const size_t take = std::min(i == 0 ? first_room : rest_room, payload.size() - offset);
    md.fragment.offset = static_cast<uint16_t>(offset / 8);
    md.fragment.more_fragments = i + 1 < planned;
    md.fragment.largest_seen = static_cast<uint16_t>(largest);
    const size_t md_length = EncodeMetadata(md, md_buffer_storage);
    if (md_length == 0) return FragmentResult::kMetadataNotEncodable;
    lengths[i] = WriteFragment(frame, info, std::span<const uint8_t>(md_buffer_storage.data(), md_length),
                               payload.subspan(offset, take), outputs[i]);
    if (lengths[i] == 0) return FragmentResult::kNoRoom;
    offset += take;
  }
  *count = planned;
  return FragmentResult::kOk;
}

FragmentReassembler::FragmentReassembler(const Options& options)
    : options_(options), slots_(options.slots) {
  // All memory is claimed here, once; Add() never allocates.
  for (Slot& s : slots_) {
    s.data.resize(options_.max_datagram);
    s.units.resize((options_.max_datagram / 8 + 1 + 63) / 64);
    s.first_md.resize(options_.max_first_metadata);
  }
}

size_t FragmentReassembler::in_progress() const {
  return static_cast<size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.used; }));
}

size_t FragmentReassembler::Expire(uint64_t now_ms) {
  size_t n = 0;
  for (Slot& s : slots_) {
    if (s.used && now_ms - s.first_seen_ms > options_.timeout_ms) {
      s.used = false;
      counters_.Increment(ReassemblyResult::kTimedOut);
      ++n;
    }
  }
  return n;
}

FragmentReassembler::Slot* FragmentReassembler::FindOrClaim(const util::IpAddress& source,
                                                            uint64_t flow, uint32_t extended_id,
                                                            uint64_t now_ms) {
  Slot* free_slot = nullptr;
  Slot* oldest = nullptr;
  for (Slot& s : slots_) {
    if (s.used && now_ms - s.first_seen_ms > options_.timeout_ms) {
      s.used = false;
      counters_.Increment(ReassemblyResult::kTimedOut);
    }
    if (s.used && s.source == source && s.flow == flow && s.extended_id == extended_id) return &s;
    if (!s.used && free_slot == nullptr) free_slot = &s;
    if (s.used && (oldest == nullptr || s.first_seen_ms < oldest->first_seen_ms)) oldest = &s;
  }
  Slot* s = free_slot;
  if (s == nullptr) {
    s = oldest;
    counters_.Increment(ReassemblyResult::kEvicted);
  }
  s->used = true;
  s->source = source;
  s->flow = flow;
  s->extended_id = extended_id;
  s->first_seen_ms = now_ms;
  s->total = 0;
  s->received = 0;
  s->first_md_length = 0;
  s->have_first = false;
  std::fill(s->units.begin(), s->units.end(), 0);
  return s;
}

ReassemblyResult FragmentReassembler::Add(const util::IpAddress& source, const Metadata& md,
                                          std::span<const uint8_t> encoded_md,
                                          std::span<const uint8_t> data, uint64_t now_ms,
                                          Datagram* out, uint64_t flow) {
  if (!md.Has(TlvField::kFragment)) return Record(ReassemblyResult::kMissingFragmentTlv);
  const FragmentInfo& f = md.fragment;
  const size_t start = size_t{f.offset} * 8;
  const size_t end = start + data.size();
  if (end > options_.max_datagram) return Record(ReassemblyResult::kTooLarge);
  if (f.more_fragments && data.size() % 8 != 0) return Record(ReassemblyResult::kBadFragment);
  if (f.offset == 0 && encoded_md.size() > options_.max_first_metadata) {
    return Record(ReassemblyResult::kTooLarge);
  }

  Slot* s = FindOrClaim(source, flow, f.extended_id, now_ms);
  // Units this fragment covers: all of them must be new, or all already present (duplicate).
  const size_t first_unit = start / 8;
  const size_t last_unit = data.empty() ? first_unit : (end - 1) / 8;
  size_t seen = 0;
  for (size_t u = first_unit; u <= last_unit && !data.empty(); ++u) {
    seen += (s->units[u / 64] >> (u % 64)) & 1u;
  }
  const size_t covered = data.empty() ? 0 : last_unit - first_unit + 1;
  if (covered != 0 && seen == covered) return Record(ReassemblyResult::kDuplicate);
  if (seen != 0) return Record(ReassemblyResult::kOverlap);
  if (!f.more_fragments) {
    if (s->total != 0 && s->total != end) return Record(ReassemblyResult::kOverlap);
    s->total = end;
  } else if (s->total != 0 && end > s->total) {
    return Record(ReassemblyResult::kOverlap);
  }
  for (size_t u = first_unit; u <= last_unit && !data.empty(); ++u) {
    s->units[u / 64] |= uint64_t{1} << (u % 64);
  }
  if (!data.empty()) std::memcpy(s->data.data() + start, data.data(), data.size());
  s->received += data.size();
  if (f.offset == 0) {
    std::memcpy(s->first_md.data(), encoded_md.data(), encoded_md.size());
    s->first_md_length = encoded_md.size();
    s->have_first = true;
  }
  const bool last_known = s->total != 0 || (!f.more_fragments);
  if (last_known && s->have_first && s->received == s->total) {
    out->payload = std::span<const uint8_t>(s->data.data(), s->total);
    out->first_metadata = std::span<const uint8_t>(s->first_md.data(), s->first_md_length);
    s->used = false;  // the buffer stays valid until the slot is claimed again
    return Record(ReassemblyResult::kComplete);
  }
  return Record(ReassemblyResult::kIncomplete);
}

}  // namespace ssr::svr
