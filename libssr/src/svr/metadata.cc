// SPDX-License-Identifier: Apache-2.0
#include "svr/metadata.h"

#include <algorithm>
#include <cstring>

#include "packet/byte_reader.h"
#include "packet/byte_writer.h"

namespace ssr::svr {

using packet::ByteReader;
using packet::ByteWriter;
using util::IpAddress;

std::string_view DecodeResultName(DecodeResult r) { return CounterName(r); }

void Metadata::SetForwardContext(const SessionContext& c) {
  forward_context = c;
  Set(c.source.is_v4() ? TlvField::kForwardContextV4 : TlvField::kForwardContextV6);
}

void Metadata::SetReverseContext(const SessionContext& c) {
  reverse_context = c;
  Set(c.source.is_v4() ? TlvField::kReverseContextV4 : TlvField::kReverseContextV6);
}

void Metadata::SetIcmpErrorLocation(const IpAddress& a) {
  icmp_error_location = a;
  Set(a.is_v4() ? TlvField::kIcmpErrorLocationV4 : TlvField::kIcmpErrorLocationV6);
}

bool StartsWithCookie(std::span<const uint8_t> l4_payload) {
  return l4_payload.size() >= kCookie.size() &&
         std::memcmp(l4_payload.data(), kCookie.data(), kCookie.size()) == 0;
}

DecodeResult DecodeMetadataHeader(std::span<const uint8_t> l4_payload, MetadataLayout* layout) {
  if (l4_payload.size() < kMetadataHeaderSize || !StartsWithCookie(l4_payload)) {
    return DecodeResult::kNotMetadata;
  }
  const uint8_t version = l4_payload[8] >> 4;
  const uint16_t header_length =
      static_cast<uint16_t>(((l4_payload[8] & 0x0F) << 8) | l4_payload[9]);
  const uint16_t payload_length = static_cast<uint16_t>((l4_payload[10] << 8) | l4_payload[11]);
  if (version != kMetadataVersion) return DecodeResult::kBadVersion;
  if (header_length < kMetadataHeaderSize) return DecodeResult::kHeaderLengthTooSmall;
  if (size_t{header_length} + payload_length > l4_payload.size()) {
    return DecodeResult::kLengthsExceedPayload;
  }
  layout->header_length = header_length;
  layout->payload_length = payload_length;
  return DecodeResult::kOk;
}

namespace {

bool ReadAddress(ByteReader* r, bool v6, IpAddress* out) {
  if (v6) {
    std::array<uint8_t, 16> b;
    if (!r->ReadBytes(b)) return false;
    *out = IpAddress::V6Bytes(b);
  } else {
    std::array<uint8_t, 4> b;
    if (!r->ReadBytes(b)) return false;
    *out = IpAddress::V4Bytes(b);
  }
  return true;
}

bool ReadContext(ByteReader* r, bool v6, SessionContext* c) {
  return ReadAddress(r, v6, &c->source) && ReadAddress(r, v6, &c->destination) &&
         r->ReadU16(&c->source_port) && r->ReadU16(&c->destination_port) &&
         r->ReadU8(&c->protocol);
}

// Decodes the value of one known TLV whose length was already checked against the registry.
DecodeResult DecodeValue(TlvField field, std::span<const uint8_t> value, Metadata* md) {
  ByteReader r(value);
  bool ok = true;
  switch (field) {
    case TlvField::kFragment: {
      uint16_t flags_offset = 0;
      ok = r.ReadU32(&md->fragment.extended_id) && r.ReadU16(&md->fragment.original_id) &&
           r.ReadU16(&flags_offset) && r.ReadU16(&md->fragment.largest_seen);
      md->fragment.reserved = (flags_offset & 0x8000) != 0;
      md->fragment.dont_fragment = (flags_offset & 0x4000) != 0;
      md->fragment.more_fragments = (flags_offset & 0x2000) != 0;
      md->fragment.offset = flags_offset & 0x1FFF;
      break;
    }
    case TlvField::kForwardContextV4:
    case TlvField::kForwardContextV6:
      // One forward context per packet, whatever its family.
      if (md->Has(TlvField::kForwardContextV4) || md->Has(TlvField::kForwardContextV6)) {
        return DecodeResult::kDuplicateTlv;
      }
      ok = ReadContext(&r, field == TlvField::kForwardContextV6, &md->forward_context);
      break;
    case TlvField::kReverseContextV4:
    case TlvField::kReverseContextV6:
      if (md->Has(TlvField::kReverseContextV4) || md->Has(TlvField::kReverseContextV6)) {
        return DecodeResult::kDuplicateTlv;
      }
      ok = ReadContext(&r, field == TlvField::kReverseContextV6, &md->reverse_context);
      break;
    case TlvField::kSessionUuid:
      ok = r.ReadBytes(md->session_uuid);
      break;
    case TlvField::kTenantName:
      md->tenant_name = value;
      break;
    case TlvField::kGlobalInterfaceId:
      ok = r.ReadU32(&md->global_interface_id);
      break;
    case TlvField::kServiceName:
      md->service_name = value;
      break;
    case TlvField::kSessionEncrypted:
    case TlvField::kTcpSyn:
    case TlvField::kDisableForwardMetadata:
      break;  // flags: presence is the value
    case TlvField::kNumberOfSessions:
      ok = r.ReadU64(&md->number_of_sessions);
      break;
    case TlvField::kSourceRouterName:
      md->source_router_name = value;
      break;
    case TlvField::kSecurityPolicyName:
      md->security_policy_name = value;
      break;
    case TlvField::kSecurityId:
      ok = r.ReadU32(&md->security_id);
      break;
    case TlvField::kDestinationRouterName:
      md->destination_router_name = value;
      break;
    case TlvField::kPeerPathId:
      md->peer_path_id = value;
      break;
    case TlvField::kIcmpErrorLocationV4:
    case TlvField::kIcmpErrorLocationV6:
      if (md->Has(TlvField::kIcmpErrorLocationV4) || md->Has(TlvField::kIcmpErrorLocationV6)) {
        return DecodeResult::kDuplicateTlv;
      }
      ok = ReadAddress(&r, field == TlvField::kIcmpErrorLocationV6, &md->icmp_error_location);
      break;
    case TlvField::kControlMessage:
      ok = r.ReadU8(&md->control_message);
      break;
    case TlvField::kSourceNatV4:
      ok = ReadAddress(&r, false, &md->source_nat);
      break;
    case TlvField::kPathMetrics: {
      uint32_t tx = 0;
      uint32_t rx = 0;
      uint16_t tail = 0;
      ok = r.ReadU32(&tx) && r.ReadU32(&rx) && r.ReadU16(&tail);
      md->path_metrics.tx_color = static_cast<uint8_t>(tx >> 28);
      md->path_metrics.tx_time_ms = tx & 0x0FFFFFFF;
      md->path_metrics.rx_color = static_cast<uint8_t>(rx >> 28);
      md->path_metrics.rx_time_ms = rx & 0x0FFFFFFF;
      md->path_metrics.drop_flag = (tail & 0x8000) != 0;
      md->path_metrics.previous_rx_color_count = tail & 0x7FFF;
      break;
    }
    case TlvField::kModifyRequest:
      ok = r.ReadU16(&md->modify_request);
      break;
    case TlvField::kApplicationName:
      md->application_name = value;
      break;
    case TlvField::kRemainingSessionTime:
      ok = r.ReadU32(&md->remaining_session_time);
      break;
    case TlvField::kSessionHealthCheck:
      ok = r.ReadU8(&md->health_check);
      break;
    case TlvField::kSecurityEncryptionKey:
      md->security_encryption_key = value;
      break;
    case TlvField::kMulticastGroupContext: {
      uint8_t family = 0;
      ok = r.ReadU8(&family);
      if (!ok || (family == 4 && value.size() != 11) || (family == 6 && value.size() != 35)) {
        return DecodeResult::kBadTlvLength;
      }
      if (family != 4 && family != 6) return DecodeResult::kBadTlvValue;
      ok = r.ReadU8(&md->multicast_group.flags) &&
           ReadAddress(&r, family == 6, &md->multicast_group.source) &&
           ReadAddress(&r, family == 6, &md->multicast_group.group) &&
           r.ReadU8(&md->multicast_group.protocol);
      break;
    }
    case TlvField::kMulticastEgressList: {
      // count(2) then count x {len(1), name}; must fill the value exactly.
      uint16_t count = 0;
      ok = r.ReadU16(&count);
      for (uint16_t i = 0; ok && i < count; ++i) {
        uint8_t len = 0;
        ok = r.ReadU8(&len) && r.Skip(len);
      }
      if (!ok || !r.empty()) return DecodeResult::kBadTlvValue;
      md->multicast_egress_list = value;
      break;
    }
    case TlvField::kMoveSequence:
      ok = r.ReadU32(&md->move_sequence);
      break;
    case TlvField::kControlProtocol:
      ok = r.ReadU8(&md->control_protocol);
      break;
    case TlvField::kPayloadKeyId:
      ok = r.ReadU32(&md->payload_key_id);
      break;
    case TlvField::kCount:
      return DecodeResult::kBadTlvValue;
  }
  // Fixed lengths were checked before, so a short read here means an inconsistent value.
  return ok ? DecodeResult::kOk : DecodeResult::kBadTlvLength;
}

bool MustBeInHeader(TlvField f) {
  return f == TlvField::kFragment || f == TlvField::kSecurityId ||
         f == TlvField::kControlMessage;
}

}  // namespace

DecodeResult DecodeTlvSection(std::span<const uint8_t> section, TlvSection which, Metadata* md,
                              DecodeNotes* notes) {
  ByteReader r(section);
  // Each TLV consumes at least 4 bytes, so the walk is bounded by section.size() / 4 steps.
  while (!r.empty()) {
    uint16_t type = 0;
    uint16_t length = 0;
    if (!r.ReadU16(&type) || !r.ReadU16(&length)) return DecodeResult::kTruncatedTlv;
    std::span<const uint8_t> value;
    if (!r.ReadSpan(length, &value)) return DecodeResult::kTruncatedTlv;

    std::optional<TlvField> field = FieldFor(type, which);
    if (!field) {
      const TlvSection other =
          which == TlvSection::kHeader ? TlvSection::kPayload : TlvSection::kHeader;
      std::optional<TlvField> misplaced = FieldFor(type, other);
      if (misplaced && MustBeInHeader(*misplaced)) return DecodeResult::kWrongSection;
      if (notes != nullptr) {
        notes->Increment(misplaced ? DecodeNote::kMisplacedTlv : DecodeNote::kUnknownTlv);
      }
      continue;
    }
    const TlvInfo& info = InfoOf(*field);
    if (info.length >= 0 && length != info.length) return DecodeResult::kBadTlvLength;
    if (md->Has(*field)) return DecodeResult::kDuplicateTlv;
    const DecodeResult value_result = DecodeValue(*field, value, md);
    if (value_result != DecodeResult::kOk) return value_result;
    md->Set(*field);
    if (info.legacy && notes != nullptr) notes->Increment(DecodeNote::kLegacyTlv);
  }
  return DecodeResult::kOk;
}

DecodeResult DecodeMetadata(std::span<const uint8_t> l4_payload, Metadata* md,
                            MetadataLayout* layout, DecodeNotes* notes) {
  const DecodeResult header = DecodeMetadataHeader(l4_payload, layout);
  if (header != DecodeResult::kOk) return header;
  const DecodeResult h = DecodeTlvSection(
      l4_payload.subspan(kMetadataHeaderSize, layout->header_length - kMetadataHeaderSize),
      TlvSection::kHeader, md, notes);
  if (h != DecodeResult::kOk) return h;
  return DecodeTlvSection(l4_payload.subspan(layout->header_length, layout->payload_length),
                          TlvSection::kPayload, md, notes);
}

namespace {

// Value length of a present field as it will be encoded; -1 if not encodable.
long ValueLength(TlvField f, const Metadata& md) {
  switch (f) {
    case TlvField::kForwardContextV4:
    case TlvField::kForwardContextV6:
      return md.forward_context.source.family() == md.forward_context.destination.family() &&
                     md.forward_context.source.is_v6() == (f == TlvField::kForwardContextV6)
                 ? InfoOf(f).length
                 : -1;
    case TlvField::kReverseContextV4:
    case TlvField::kReverseContextV6:
      return md.reverse_context.source.family() == md.reverse_context.destination.family() &&
                     md.reverse_context.source.is_v6() == (f == TlvField::kReverseContextV6)
                 ? InfoOf(f).length
                 : -1;
    case TlvField::kIcmpErrorLocationV4:
    case TlvField::kIcmpErrorLocationV6:
      return md.icmp_error_location.is_v6() == (f == TlvField::kIcmpErrorLocationV6)
                 ? InfoOf(f).length
                 : -1;
    case TlvField::kSourceNatV4:
      return md.source_nat.is_v4() ? 4 : -1;
    case TlvField::kTenantName:
      return static_cast<long>(md.tenant_name.size());
    case TlvField::kServiceName:
      return static_cast<long>(md.service_name.size());
    case TlvField::kSourceRouterName:
      return static_cast<long>(md.source_router_name.size());
    case TlvField::kSecurityPolicyName:
      return static_cast<long>(md.security_policy_name.size());
    case TlvField::kDestinationRouterName:
      return static_cast<long>(md.destination_router_name.size());
    case TlvField::kPeerPathId:
      return static_cast<long>(md.peer_path_id.size());
    case TlvField::kApplicationName:
      return static_cast<long>(md.application_name.size());
    case TlvField::kSecurityEncryptionKey:
      return static_cast<long>(md.security_encryption_key.size());
    case TlvField::kMulticastEgressList:
      return static_cast<long>(md.multicast_egress_list.size());
    case TlvField::kMulticastGroupContext: {
      const auto& g = md.multicast_group;
      if (g.source.family() != g.group.family()) return -1;
      return g.group.is_v6() ? 35 : 11;
    }
    default:
      return InfoOf(f).length;
  }
}

bool WriteAddress(ByteWriter* w, const IpAddress& a) { return w->WriteBytes(a.bytes()); }

bool WriteContext(ByteWriter* w, const SessionContext& c) {
  return WriteAddress(w, c.source) && WriteAddress(w, c.destination) &&
         w->WriteU16(c.source_port) && w->WriteU16(c.destination_port) && w->WriteU8(c.protocol);
}

bool WriteValue(TlvField f, const Metadata& md, ByteWriter* w) {
  switch (f) {
    case TlvField::kFragment: {
      const FragmentInfo& fr = md.fragment;
      const uint16_t flags_offset = static_cast<uint16_t>(
          (fr.reserved ? 0x8000 : 0) | (fr.dont_fragment ? 0x4000 : 0) |
          (fr.more_fragments ? 0x2000 : 0) | (fr.offset & 0x1FFF));
      return w->WriteU32(fr.extended_id) && w->WriteU16(fr.original_id) &&
             w->WriteU16(flags_offset) && w->WriteU16(fr.largest_seen);
    }
    case TlvField::kForwardContextV4:
    case TlvField::kForwardContextV6:
      return WriteContext(w, md.forward_context);
    case TlvField::kReverseContextV4:
    case TlvField::kReverseContextV6:
      return WriteContext(w, md.reverse_context);
    case TlvField::kSessionUuid:
      return w->WriteBytes(md.session_uuid);
    case TlvField::kTenantName:
      return w->WriteBytes(md.tenant_name);
    case TlvField::kGlobalInterfaceId:
      return w->WriteU32(md.global_interface_id);
    case TlvField::kServiceName:
      return w->WriteBytes(md.service_name);
    case TlvField::kSessionEncrypted:
    case TlvField::kTcpSyn:
    case TlvField::kDisableForwardMetadata:
      return true;
    case TlvField::kNumberOfSessions:
      return w->WriteU64(md.number_of_sessions);
    case TlvField::kSourceRouterName:
      return w->WriteBytes(md.source_router_name);
    case TlvField::kSecurityPolicyName:
      return w->WriteBytes(md.security_policy_name);
    case TlvField::kSecurityId:
      return w->WriteU32(md.security_id);
    case TlvField::kDestinationRouterName:
      return w->WriteBytes(md.destination_router_name);
    case TlvField::kPeerPathId:
      return w->WriteBytes(md.peer_path_id);
    case TlvField::kIcmpErrorLocationV4:
    case TlvField::kIcmpErrorLocationV6:
      return WriteAddress(w, md.icmp_error_location);
    case TlvField::kControlMessage:
      return w->WriteU8(md.control_message);
    case TlvField::kSourceNatV4:
      return WriteAddress(w, md.source_nat);
    case TlvField::kPathMetrics: {
      const PathMetrics& pm = md.path_metrics;
      return w->WriteU32((uint32_t{pm.tx_color} << 28) | (pm.tx_time_ms & 0x0FFFFFFF)) &&
             w->WriteU32((uint32_t{pm.rx_color} << 28) | (pm.rx_time_ms & 0x0FFFFFFF)) &&
             w->WriteU16(static_cast<uint16_t>((pm.drop_flag ? 0x8000 : 0) |
                                               (pm.previous_rx_color_count & 0x7FFF)));
    }
    case TlvField::kModifyRequest:
      return w->WriteU16(md.modify_request);
    case TlvField::kApplicationName:
      return w->WriteBytes(md.application_name);
    case TlvField::kRemainingSessionTime:
      return w->WriteU32(md.remaining_session_time);
    case TlvField::kSessionHealthCheck:
      return w->WriteU8(md.health_check);
    case TlvField::kSecurityEncryptionKey:
      return w->WriteBytes(md.security_encryption_key);
    case TlvField::kMulticastGroupContext: {
      const MulticastGroup& g = md.multicast_group;
      return w->WriteU8(g.group.is_v6() ? 6 : 4) && w->WriteU8(g.flags) &&
             WriteAddress(w, g.source) && WriteAddress(w, g.group) && w->WriteU8(g.protocol);
    }
    case TlvField::kMulticastEgressList:
      return w->WriteBytes(md.multicast_egress_list);
    case TlvField::kMoveSequence:
      return w->WriteU32(md.move_sequence);
    case TlvField::kControlProtocol:
      return w->WriteU8(md.control_protocol);
    case TlvField::kPayloadKeyId:
      return w->WriteU32(md.payload_key_id);
    case TlvField::kCount:
      return false;
  }
  return false;
}

// Order in which fields are emitted. Receivers accept any order (§3.7); we follow the order of
// the worked example of docs/protocol.md (§3.10: security id; forward context, tenant, service,
// UUID) so that
// its bytes are reproduced exactly, and registry order for everything else.
constexpr auto kEmitOrder = [] {
  std::array<TlvField, kTlvFieldCount> order{};
  constexpr TlvField kFirst[] = {TlvField::kForwardContextV4, TlvField::kForwardContextV6,
                                 TlvField::kReverseContextV4, TlvField::kReverseContextV6,
                                 TlvField::kTenantName,       TlvField::kServiceName,
                                 TlvField::kSessionUuid};
  size_t n = 0;
  for (TlvField f : kFirst) order[n++] = f;
  for (const TlvInfo& info : kTlvInfo) {
    bool listed = false;
    for (TlvField f : kFirst) listed = listed || f == info.field;
    if (!listed) order[n++] = info.field;
  }
  return order;
}();

// Bytes one section encodes to, or -1 if some present field cannot be encoded.
long SectionSize(const Metadata& md, TlvSection which) {
  long total = 0;
  for (const TlvInfo& info : kTlvInfo) {
    if (info.section != which || !md.Has(info.field)) continue;
    const long len = ValueLength(info.field, md);
    if (len < 0 || len > 65535) return -1;
    total += static_cast<long>(kTlvHeaderSize) + len;
  }
  return total;
}

}  // namespace

bool ComputeEncodedSizes(const Metadata& md, EncodedSizes* sizes) {
  const long header = SectionSize(md, TlvSection::kHeader);
  const long payload = SectionSize(md, TlvSection::kPayload);
  if (header < 0 || payload < 0) return false;
  if (kMetadataHeaderSize + static_cast<size_t>(header) > kMaxHeaderLength) return false;
  if (payload > 65535) return false;
  sizes->header_tlvs = static_cast<size_t>(header);
  sizes->payload_tlvs = static_cast<size_t>(payload);
  return true;
}

size_t EncodeTlvSection(const Metadata& md, TlvSection which, std::span<uint8_t> out) {
  ByteWriter w(out);
  for (TlvField field : kEmitOrder) {
    const TlvInfo& info = InfoOf(field);
    if (info.section != which || !md.Has(info.field)) continue;
    const long len = ValueLength(info.field, md);
    if (len < 0 || len > 65535) return 0;
    const size_t start = w.offset();
    if (!w.WriteU16(info.type) || !w.WriteU16(static_cast<uint16_t>(len)) ||
        !WriteValue(info.field, md, &w)) {
      return 0;
    }
    // A value writer that wrote a different length than announced would corrupt the stream.
    if (w.offset() - start != kTlvHeaderSize + static_cast<size_t>(len)) return 0;
  }
  return w.offset();
}

bool WriteMetadataHeader(std::span<uint8_t> out, const MetadataLayout& layout) {
  if (out.size() < kMetadataHeaderSize || layout.header_length < kMetadataHeaderSize ||
      layout.header_length > kMaxHeaderLength) {
    return false;
  }
  ByteWriter w(out);
  return w.WriteBytes(kCookie) &&
         w.WriteU16(static_cast<uint16_t>((kMetadataVersion << 12) | layout.header_length)) &&
         w.WriteU16(layout.payload_length);
}

size_t EncodeMetadata(const Metadata& md, std::span<uint8_t> out) {
  EncodedSizes sizes;
  if (!ComputeEncodedSizes(md, &sizes) || out.size() < sizes.total()) return 0;
  const MetadataLayout layout{static_cast<uint16_t>(kMetadataHeaderSize + sizes.header_tlvs),
                              static_cast<uint16_t>(sizes.payload_tlvs)};
  if (!WriteMetadataHeader(out, layout)) return 0;
  size_t offset = kMetadataHeaderSize;
  if (sizes.header_tlvs > 0) {
    if (EncodeTlvSection(md, TlvSection::kHeader, out.subspan(offset, sizes.header_tlvs)) !=
        sizes.header_tlvs) {
      return 0;
    }
    offset += sizes.header_tlvs;
  }
  if (sizes.payload_tlvs > 0) {
    if (EncodeTlvSection(md, TlvSection::kPayload, out.subspan(offset, sizes.payload_tlvs)) !=
        sizes.payload_tlvs) {
      return 0;
    }
    offset += sizes.payload_tlvs;
  }
  return offset;
}

bool WriteFalsePositiveMarker(std::span<uint8_t> out) {
  return WriteMetadataHeader(out, MetadataLayout{kMetadataHeaderSize, 0});
}

}  // namespace ssr::svr
