// SPDX-License-Identifier: Apache-2.0
// SVR metadata codec: byte-exact vectors, round trips of every TLV, and every malformed input
// named. Tests tagged [svr-7.N] cover conformance statement N of docs/protocol.md §7.
#include "svr/metadata.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

namespace ssr::svr {
namespace {

util::IpAddress Ip(const char* text) { return *util::IpAddress::Parse(text); }

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      continue;  // spaces and newlines
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

std::vector<uint8_t> Encode(const Metadata& md) {
  std::vector<uint8_t> out(8192);
  const size_t n = EncodeMetadata(md, out);
  out.resize(n);
  return out;
}

// Decodes from an exactly-sized heap copy so ASan flags any read past the end.
DecodeResult DecodeExact(const std::vector<uint8_t>& bytes, Metadata* md, MetadataLayout* layout,
                         DecodeNotes* notes = nullptr) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size() + 1]);
  std::copy(bytes.begin(), bytes.end(), copy.get());
  // Spans in `md` would dangle after return; callers only look at fixed-size fields or re-decode.
  return DecodeMetadata(std::span<const uint8_t>(copy.get(), bytes.size()), md, layout, notes);
}

const Uuid kUuid = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
                    0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};

// The §3.10 worked example.
Metadata WorkedExample() {
  Metadata md;
  md.security_id = 1;
  md.Set(TlvField::kSecurityId);
  md.SetForwardContext({Ip("10.1.1.10"), Ip("8.8.8.8"), 40000, 53, 17});
  md.tenant_name = Metadata::AsBytes("blue");
  md.Set(TlvField::kTenantName);
  md.service_name = Metadata::AsBytes("dns");
  md.Set(TlvField::kServiceName);
  md.session_uuid = kUuid;
  md.Set(TlvField::kSessionUuid);
  return md;
}

// Copied from docs/protocol.md §3.10.
const char kWorkedExampleHex[] =
    "4c 48 db c6 dd f6 67 0c 10 14 00 34 00 10 00 04"
    "00 00 00 01 00 02 00 0d 0a 01 01 0a 08 08 08 08"
    "9c 40 00 35 11 00 07 00 04 62 6c 75 65 00 0a 00"
    "03 64 6e 73 00 06 00 10 0f 1e 2d 3c 4b 5a 69 78"
    "87 96 a5 b4 c3 d2 e1 f0";

// Every field set, with both context families exercised across two fixtures.
Metadata EverythingV4() {
  static const std::string kNames[] = {"tenant.a", "svc", "router-a", "policy", "router-b",
                                       "path-1",   "app", "KEYBYTES"};
  static const std::vector<uint8_t> kEgress = {0, 2, 3, 'r', '-', '1', 1, 'x'};
  Metadata md;
  for (size_t i = 0; i < kTlvFieldCount; ++i) md.Set(static_cast<TlvField>(i));
  // v6 variants off in this fixture.
  md.present.reset(static_cast<size_t>(TlvField::kForwardContextV6));
  md.present.reset(static_cast<size_t>(TlvField::kReverseContextV6));
  md.present.reset(static_cast<size_t>(TlvField::kIcmpErrorLocationV6));
  md.fragment = {0xA1B2C3D4, 0x1234, false, true, true, 0x1ABC, 1400};
  md.security_id = 7;
  md.icmp_error_location = Ip("192.0.2.77");
  md.control_message = 6;
  md.path_metrics = {0x5, 0x0ABCDEF, 0xA, 0x0123456, true, 0x7FFE};
  md.health_check = 1;
  md.forward_context = {Ip("10.0.0.1"), Ip("10.0.0.2"), 1234, 80, 6};
  md.reverse_context = {Ip("10.0.0.2"), Ip("10.0.0.1"), 80, 1234, 6};
  md.session_uuid = kUuid;
  md.tenant_name = Metadata::AsBytes(kNames[0]);
  md.global_interface_id = 0xDEADBEEF;
  md.service_name = Metadata::AsBytes(kNames[1]);
  md.number_of_sessions = 0x0102030405060708ULL;
  md.source_router_name = Metadata::AsBytes(kNames[2]);
  md.security_policy_name = Metadata::AsBytes(kNames[3]);
  md.destination_router_name = Metadata::AsBytes(kNames[4]);
  md.peer_path_id = Metadata::AsBytes(kNames[5]);
  md.source_nat = Ip("203.0.113.5");
  md.modify_request = 0xC123;
  md.application_name = Metadata::AsBytes(kNames[6]);
  md.remaining_session_time = 3600;
  md.payload_key_id = 0x01020304;
  md.security_encryption_key = Metadata::AsBytes(kNames[7]);
  md.multicast_group = {0x01, Ip("0.0.0.0"), Ip("239.1.2.3"), 17};
  md.multicast_egress_list = kEgress;
  return md;
}

void CheckSameFields(const Metadata& a, const Metadata& b) {
  CHECK(a.present == b.present);
  auto same = [](std::span<const uint8_t> x, std::span<const uint8_t> y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end());
  };
  CHECK(a.fragment == b.fragment);
  CHECK(a.security_id == b.security_id);
  CHECK(a.icmp_error_location == b.icmp_error_location);
  CHECK(a.control_message == b.control_message);
  CHECK(a.path_metrics == b.path_metrics);
  CHECK(a.health_check == b.health_check);
  CHECK(a.forward_context == b.forward_context);
  CHECK(a.reverse_context == b.reverse_context);
  CHECK(a.session_uuid == b.session_uuid);
  CHECK(same(a.tenant_name, b.tenant_name));
  CHECK(a.global_interface_id == b.global_interface_id);
  CHECK(same(a.service_name, b.service_name));
  CHECK(a.number_of_sessions == b.number_of_sessions);
  CHECK(same(a.source_router_name, b.source_router_name));
  CHECK(same(a.security_policy_name, b.security_policy_name));
  CHECK(same(a.destination_router_name, b.destination_router_name));
  CHECK(same(a.peer_path_id, b.peer_path_id));
  CHECK(a.source_nat == b.source_nat);
  CHECK(a.modify_request == b.modify_request);
  CHECK(same(a.application_name, b.application_name));
  CHECK(a.remaining_session_time == b.remaining_session_time);
  CHECK(a.payload_key_id == b.payload_key_id);
  CHECK(same(a.security_encryption_key, b.security_encryption_key));
  CHECK(a.multicast_group == b.multicast_group);
  CHECK(same(a.multicast_egress_list, b.multicast_egress_list));
}

// A header followed by the given raw header-TLV and payload-TLV bytes.
std::vector<uint8_t> Raw(const std::vector<uint8_t>& header_tlvs,
                         const std::vector<uint8_t>& payload_tlvs) {
  std::vector<uint8_t> out(kMetadataHeaderSize);
  REQUIRE(WriteMetadataHeader(out, {static_cast<uint16_t>(12 + header_tlvs.size()),
                                    static_cast<uint16_t>(payload_tlvs.size())}));
  out.insert(out.end(), header_tlvs.begin(), header_tlvs.end());
  out.insert(out.end(), payload_tlvs.begin(), payload_tlvs.end());
  return out;
}

}  // namespace

TEST_CASE("Worked example of §3.10 encodes byte-exact", "[svr][svr-7.3][svr-7.10][svr-7.14]") {
  const std::vector<uint8_t> expected = Hex(kWorkedExampleHex);
  REQUIRE(expected.size() == 72);
  const std::vector<uint8_t> encoded = Encode(WorkedExample());
  CHECK(encoded == expected);
  Metadata from_digest;
  MetadataLayout layout;
  REQUIRE(DecodeExact(expected, &from_digest, &layout) == DecodeResult::kOk);
  CHECK(layout.header_length == 20);
  CHECK(layout.payload_length == 52);
  CHECK(from_digest.security_id == 1);
  CHECK(from_digest.forward_context ==
        SessionContext{Ip("10.1.1.10"), Ip("8.8.8.8"), 40000, 53, 17});
  CHECK(from_digest.session_uuid == kUuid);
  CHECK(from_digest.Has(TlvField::kTenantName));
  CHECK(from_digest.Has(TlvField::kServiceName));
}

TEST_CASE("Every metadata starts with the cookie and version 1", "[svr][svr-7.1][svr-7.2]") {
  const std::vector<uint8_t> encoded = Encode(WorkedExample());
  REQUIRE(encoded.size() >= 12);
  CHECK(std::equal(kCookie.begin(), kCookie.end(), encoded.begin()));
  CHECK(encoded[0] == 0x4C);
  CHECK(encoded[7] == 0x0C);
  CHECK((encoded[8] >> 4) == 1);
}

TEST_CASE("Header and payload lengths count exactly their TLV bytes", "[svr][svr-7.3][svr-7.4]") {
  Metadata md = EverythingV4();
  EncodedSizes sizes;
  REQUIRE(ComputeEncodedSizes(md, &sizes));
  const std::vector<uint8_t> encoded = Encode(md);
  REQUIRE(encoded.size() == sizes.total());
  MetadataLayout layout;
  REQUIRE(DecodeMetadataHeader(encoded, &layout) == DecodeResult::kOk);
  CHECK(layout.header_length == 12 + sizes.header_tlvs);
  CHECK(layout.payload_length == sizes.payload_tlvs);
  // Header TLVs: fragment 14, security id 8, icmp v4 8, control 5, path metrics 14, health 5.
  CHECK(sizes.header_tlvs == 14 + 8 + 8 + 5 + 14 + 5);
}

TEST_CASE("Every TLV round-trips (IPv4 variants)", "[svr]") {
  const Metadata md = EverythingV4();
  const std::vector<uint8_t> encoded = Encode(md);
  REQUIRE_FALSE(encoded.empty());
  Metadata decoded;
  MetadataLayout layout;
  DecodeNotes notes;
  REQUIRE(DecodeMetadata(encoded, &decoded, &layout, &notes) == DecodeResult::kOk);
  CHECK(layout.total() == encoded.size());
  CheckSameFields(md, decoded);
  CHECK(notes.Get(DecodeNote::kLegacyTlv) == 3);  // 8, 13, 28
  CHECK(notes.Get(DecodeNote::kUnknownTlv) == 0);
}

TEST_CASE("Every TLV round-trips (IPv6 variants)", "[svr][svr-7.11][svr-7.12][svr-7.20]") {
  Metadata md = EverythingV4();
  md.present.reset(static_cast<size_t>(TlvField::kForwardContextV4));
  md.present.reset(static_cast<size_t>(TlvField::kReverseContextV4));
  md.present.reset(static_cast<size_t>(TlvField::kIcmpErrorLocationV4));
  md.SetForwardContext({Ip("2001:db8::1"), Ip("2001:db8::2"), 5000, 443, 6});
  md.SetReverseContext({Ip("2001:db8::2"), Ip("2001:db8::1"), 443, 5000, 6});
  md.SetIcmpErrorLocation(Ip("2001:db8::ff"));
  md.multicast_group = {0x00, Ip("2001:db8::5"), Ip("ff3e::1234"), 17};
  const std::vector<uint8_t> encoded = Encode(md);
  REQUIRE_FALSE(encoded.empty());
  Metadata decoded;
  MetadataLayout layout;
  REQUIRE(DecodeMetadata(encoded, &decoded, &layout, nullptr) == DecodeResult::kOk);
  CheckSameFields(md, decoded);
  CHECK(decoded.Has(TlvField::kForwardContextV6));
  CHECK_FALSE(decoded.Has(TlvField::kForwardContextV4));
}

TEST_CASE("Context TLVs have the registry types and lengths", "[svr][svr-7.8][svr-7.10][svr-7.11][svr-7.12]") {
  struct Row {
    TlvField field;
    uint16_t type;
    int length;
  };
  const Row rows[] = {{TlvField::kForwardContextV4, 2, 13}, {TlvField::kForwardContextV6, 3, 37},
                      {TlvField::kReverseContextV4, 4, 13}, {TlvField::kReverseContextV6, 5, 37},
                      {TlvField::kSessionUuid, 6, 16},      {TlvField::kSecurityId, 16, 4},
                      {TlvField::kFragment, 1, 10},         {TlvField::kControlMessage, 24, 1},
                      {TlvField::kPathMetrics, 26, 10}};
  for (const Row& row : rows) {
    INFO(InfoOf(row.field).name);
    CHECK(InfoOf(row.field).type == row.type);
    CHECK(InfoOf(row.field).length == row.length);
  }
  // Forward context bytes: src, dst, sport, dport, proto, big-endian; TLV header type/length BE.
  Metadata md;
  md.SetForwardContext({Ip("1.2.3.4"), Ip("5.6.7.8"), 0x0102, 0x0304, 6});
  std::vector<uint8_t> section(64);
  const size_t n = EncodeTlvSection(md, TlvSection::kPayload, section);
  section.resize(n);
  CHECK(section == Hex("0002 000d 01020304 05060708 0102 0304 06"));
}

TEST_CASE("Flag TLVs have length 0 and names carry no NUL", "[svr][svr-7.14][svr-7.15]") {
  Metadata md;
  md.Set(TlvField::kSessionEncrypted);
  md.Set(TlvField::kTcpSyn);
  md.Set(TlvField::kDisableForwardMetadata);
  md.tenant_name = Metadata::AsBytes("eng");
  md.Set(TlvField::kTenantName);
  std::vector<uint8_t> section(64);
  section.resize(EncodeTlvSection(md, TlvSection::kPayload, section));
  CHECK(section == Hex("0007 0003 656e67  000b 0000  000c 0000  0012 0000"));  // emit order
  // A flag with a non-zero length is malformed.
  Metadata decoded;
  MetadataLayout layout;
  CHECK(DecodeExact(Raw({}, Hex("000b 0001 00")), &decoded, &layout) ==
        DecodeResult::kBadTlvLength);
}

TEST_CASE("Header TLVs go in the header section, in clear", "[svr][svr-7.16][svr-7.17][svr-7.22]") {
  const Metadata md = EverythingV4();
  const std::vector<uint8_t> encoded = Encode(md);
  MetadataLayout layout;
  REQUIRE(DecodeMetadataHeader(encoded, &layout) == DecodeResult::kOk);
  // Walk the header section raw and collect types.
  std::vector<uint16_t> header_types;
  for (size_t off = 12; off < layout.header_length;) {
    const uint16_t type = static_cast<uint16_t>(encoded[off] << 8 | encoded[off + 1]);
    const uint16_t len = static_cast<uint16_t>(encoded[off + 2] << 8 | encoded[off + 3]);
    header_types.push_back(type);
    off += 4u + len;
  }
  CHECK(header_types == std::vector<uint16_t>{1, 16, 20, 24, 26, 46});
  // No type of the header section appears in the payload section (46 is the O-6 exception: it
  // means a different attribute there).
  for (size_t off = layout.header_length; off < layout.total();) {
    const uint16_t type = static_cast<uint16_t>(encoded[off] << 8 | encoded[off + 1]);
    const uint16_t len = static_cast<uint16_t>(encoded[off + 2] << 8 | encoded[off + 3]);
    if (type != 46) {
      CHECK(std::find(header_types.begin(), header_types.end(), type) == header_types.end());
    }
    off += 4u + len;
  }
}

TEST_CASE("Control message values round-trip", "[svr][svr-7.18]") {
  for (ControlMessage c : {ControlMessage::kKeepAlive, ControlMessage::kEnableMetadata,
                           ControlMessage::kDisableMetadata, ControlMessage::kDeleteSession,
                           ControlMessage::kHealthCheckStateExists}) {
    Metadata md;
    md.control_message = static_cast<uint8_t>(c);
    md.Set(TlvField::kControlMessage);
    const std::vector<uint8_t> encoded = Encode(md);
    CHECK(encoded.size() == 12 + 5);
    Metadata decoded;
    MetadataLayout layout;
    REQUIRE(DecodeMetadata(encoded, &decoded, &layout, nullptr) == DecodeResult::kOk);
    CHECK(decoded.control_message == static_cast<uint8_t>(c));
  }
}

TEST_CASE("Path metrics put the colour in the top 4 bits of each time word", "[svr][svr-7.19]") {
  Metadata md;
  md.path_metrics = {0x3, 0x0000123, 0xC, 0x0FFFFFF, false, 5};
  md.Set(TlvField::kPathMetrics);
  std::vector<uint8_t> section(32);
  section.resize(EncodeTlvSection(md, TlvSection::kHeader, section));
  CHECK(section == Hex("001a 000a 30000123 c0ffffff 0005"));
}

TEST_CASE("Multicast group context is 11 bytes for IPv4 and 35 for IPv6", "[svr][svr-7.20]") {
  Metadata md;
  md.multicast_group = {0, Ip("0.0.0.0"), Ip("239.0.0.1"), 17};
  md.Set(TlvField::kMulticastGroupContext);
  std::vector<uint8_t> section(64);
  CHECK(EncodeTlvSection(md, TlvSection::kPayload, section) == 4 + 11);
  md.multicast_group = {0, Ip("::"), Ip("ff02::1"), 17};
  CHECK(EncodeTlvSection(md, TlvSection::kPayload, section) == 4 + 35);
  // Family 4 with 35 bytes of value is malformed.
  Metadata decoded;
  MetadataLayout layout;
  std::vector<uint8_t> bad = Hex("0032 0023 04");
  bad.resize(4 + 35, 0);
  CHECK(DecodeExact(Raw({}, bad), &decoded, &layout) == DecodeResult::kBadTlvLength);
}

TEST_CASE("Unknown TLV types are skipped by length and counted", "[svr][svr-7.21]") {
  // Type 9 (unassigned) in the payload, type 200 in the header, then a known TLV after each.
  const std::vector<uint8_t> md = Raw(Hex("00c8 0002 abcd 0010 0004 00000009"),
                                      Hex("0009 0003 010203 0007 0001 78"));
  Metadata decoded;
  MetadataLayout layout;
  DecodeNotes notes;
  REQUIRE(DecodeExact(md, &decoded, &layout, &notes) == DecodeResult::kOk);
  CHECK(notes.Get(DecodeNote::kUnknownTlv) == 2);
  CHECK(decoded.security_id == 9);
  CHECK(decoded.Has(TlvField::kTenantName));
}

TEST_CASE("A known TLV in the wrong section is skipped, or rejected for 1, 16 and 24",
          "[svr][svr-7.22]") {
  Metadata decoded;
  MetadataLayout layout;
  DecodeNotes notes;
  // Tenant name (payload TLV) in the header: skipped and noted.
  REQUIRE(DecodeExact(Raw(Hex("0007 0001 78"), {}), &decoded, &layout, &notes) ==
          DecodeResult::kOk);
  CHECK(notes.Get(DecodeNote::kMisplacedTlv) == 1);
  CHECK_FALSE(decoded.Has(TlvField::kTenantName));
  for (const char* tlv : {"0001 000a 00000000 0000 0000 0000", "0010 0004 00000001", "0018 0001 02"}) {
    INFO(tlv);
    Metadata md;
    CHECK(DecodeExact(Raw({}, Hex(tlv)), &md, &layout) == DecodeResult::kWrongSection);
  }
}

TEST_CASE("Type 46 means health check in the header and key in the payload", "[svr]") {
  Metadata decoded;
  MetadataLayout layout;
  std::vector<uint8_t> bytes = Raw(Hex("002e 0001 01"), Hex("002e 0003 aabbcc"));
  std::unique_ptr<uint8_t[]> buf(new uint8_t[bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), buf.get());
  REQUIRE(DecodeMetadata({buf.get(), bytes.size()}, &decoded, &layout, nullptr) ==
          DecodeResult::kOk);
  CHECK(decoded.health_check == 1);
  CHECK(decoded.security_encryption_key.size() == 3);
  CHECK(decoded.security_encryption_key[0] == 0xaa);
}

TEST_CASE("False-positive marker is a bare 12-byte header", "[svr][svr-7.23][svr-7.24]") {
  std::vector<uint8_t> marker(12);
  REQUIRE(WriteFalsePositiveMarker(marker));
  CHECK(marker == Hex("4c48dbc6ddf6670c 100c 0000"));
  // The receiver sees a valid header with no TLVs and strips exactly 12 bytes.
  std::vector<uint8_t> packet = marker;
  const std::vector<uint8_t> payload = Hex("4c48dbc6ddf6670c 1234");  // payload starts with cookie
  packet.insert(packet.end(), payload.begin(), payload.end());
  Metadata decoded;
  MetadataLayout layout;
  REQUIRE(DecodeMetadata(packet, &decoded, &layout, nullptr) == DecodeResult::kOk);
  CHECK(layout.is_false_positive_marker());
  CHECK(layout.total() == 12);
  CHECK(decoded.present.none());
  CHECK(std::equal(packet.begin() + 12, packet.end(), payload.begin(), payload.end()));
  CHECK(StartsWithCookie(payload));
}

TEST_CASE("Malformed metadata yields its named reason", "[svr][svr-7.5][svr-7.6][svr-7.7][svr-7.9]") {
  struct Row {
    const char* description;
    std::vector<uint8_t> bytes;
    DecodeResult expected;
  };
  const std::vector<Row> rows = {
      {"too short for a header", Hex("4c48dbc6ddf6670c 100c"), DecodeResult::kNotMetadata},
      {"no cookie", Hex("4c48dbc6ddf6670d 100c 0000"), DecodeResult::kNotMetadata},
      {"version 2", Hex("4c48dbc6ddf6670c 200c 0000"), DecodeResult::kBadVersion},
      {"version 0", Hex("4c48dbc6ddf6670c 000c 0000"), DecodeResult::kBadVersion},
      {"header length 11", Hex("4c48dbc6ddf6670c 100b 0000"),
       DecodeResult::kHeaderLengthTooSmall},
      {"header length beyond payload", Hex("4c48dbc6ddf6670c 1010 0000 0010"),
       DecodeResult::kLengthsExceedPayload},
      {"payload length beyond payload", Hex("4c48dbc6ddf6670c 100c 0005 0007 0000"),
       DecodeResult::kLengthsExceedPayload},
      {"TLV header cut", Hex("4c48dbc6ddf6670c 100e 0000 0010"), DecodeResult::kTruncatedTlv},
      {"TLV value past header section", Hex("4c48dbc6ddf6670c 1012 0000 0010 0004 0000 0001"),
       DecodeResult::kTruncatedTlv},
      {"TLVs stop short of section end",
       Hex("4c48dbc6ddf6670c 100c 0006 0007 0001 78 00"), DecodeResult::kTruncatedTlv},
      {"security id of 3 bytes", Raw(Hex("0010 0003 000001"), {}), DecodeResult::kBadTlvLength},
      {"forward context v4 of 12 bytes", Raw({}, Hex("0002 000c 010203040506070800010002")),
       DecodeResult::kBadTlvLength},
      {"uuid of 15 bytes", Raw({}, Hex("0006 000f 000102030405060708090a0b0c0d0e")),
       DecodeResult::kBadTlvLength},
      {"two tenant names", Raw({}, Hex("0007 0001 61 0007 0001 62")), DecodeResult::kDuplicateTlv},
      {"v4 and v6 forward contexts",
       Raw({}, Hex("0002 000d 01020304050607080001000206"
                   "0003 0025 20010db8000000000000000000000001 20010db8000000000000000000000002"
                   "0001000206")),
       DecodeResult::kDuplicateTlv},
      {"multicast family 5", Raw({}, Hex("0032 000b 05 00 00000000 e0000001 11")),
       DecodeResult::kBadTlvValue},
      {"egress list count beyond value", Raw({}, Hex("0033 0004 0002 01 61")),
       DecodeResult::kBadTlvValue},
      {"control message in payload section", Raw({}, Hex("0018 0001 06")),
       DecodeResult::kWrongSection},
  };
  for (const Row& row : rows) {
    INFO(row.description);
    Metadata md;
    MetadataLayout layout;
    CHECK(DecodeResultName(DecodeExact(row.bytes, &md, &layout)) ==
          DecodeResultName(row.expected));
  }
}

TEST_CASE("Every truncation of valid metadata is rejected without reading out of bounds",
          "[svr]") {
  const std::vector<uint8_t> full = Encode(EverythingV4());
  REQUIRE(full.size() > 100);
  for (size_t n = 0; n < full.size(); ++n) {
    // Keep the original lengths: a cut anywhere must be caught by a length check.
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    Metadata md;
    MetadataLayout layout;
    const DecodeResult r = DecodeExact(cut, &md, &layout);
    INFO("length " << n << " -> " << DecodeResultName(r));
    CHECK(r != DecodeResult::kOk);
  }
}

TEST_CASE("Encoding refuses what it cannot represent", "[svr]") {
  Metadata md;
  md.forward_context = {Ip("10.0.0.1"), Ip("2001:db8::1"), 1, 2, 6};  // mixed families
  md.Set(TlvField::kForwardContextV4);
  EncodedSizes sizes;
  CHECK_FALSE(ComputeEncodedSizes(md, &sizes));
  std::vector<uint8_t> out(256);
  CHECK(EncodeMetadata(md, out) == 0);

  Metadata big;
  static const std::vector<uint8_t> kHuge(70000, 'x');
  big.tenant_name = kHuge;
  big.Set(TlvField::kTenantName);
  CHECK_FALSE(ComputeEncodedSizes(big, &sizes));

  // Output buffer one byte short.
  const std::vector<uint8_t> ok = Encode(WorkedExample());
  std::vector<uint8_t> small(ok.size() - 1);
  CHECK(EncodeMetadata(WorkedExample(), small) == 0);
  CHECK_FALSE(WriteMetadataHeader(std::span<uint8_t>(small.data(), 11), {12, 0}));
  CHECK_FALSE(WriteMetadataHeader(small, {11, 0}));
  CHECK_FALSE(WriteMetadataHeader(small, {4096, 0}));
}

}  // namespace ssr::svr
