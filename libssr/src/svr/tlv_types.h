// SPDX-License-Identifier: Apache-2.0
// The SVR metadata TLV registry: the single table to update when the draft changes (O-1).
//
// Source: docs/protocol.md §3.5 (draft-menon-svr §10 as read through the V2 Wireshark
// dissector). Each row: field id, wire type, section, value length (kVariable for variable-length
// values), legacy flag (types 8, 13, 28 come from the product, not the draft: parsed, never sent
// by default, O-7), and a display name.
//
// Types 60 to 62 are libssr extensions (docs/protocol.md §3.5): a peer that does not know them
// skips them by their length (md_unknown_tlv), so sending them does not break interoperation.
//
// Type 46 has two meanings (O-6): Session Health Check in the header section, Security Encryption
// Key in the payload section. That is why the decoder works on (type, section) → field, not on the
// type alone, and why TlvField and the wire type are distinct.
#ifndef SSR_SVR_TLV_TYPES_H_
#define SSR_SVR_TLV_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ssr::svr {

enum class TlvSection : uint8_t { kHeader, kPayload };

inline constexpr int kVariable = -1;
// Multicast Group Context is 11 bytes (IPv4) or 35 (IPv6); checked by its own rule.
inline constexpr int kMulticastLength = -2;

//  X(field,                  type, section,  length,            legacy, name)
#define SSR_SVR_TLVS(X)                                                                   \
  X(kFragment, 1, kHeader, 10, false, "Fragment")                                         \
  X(kForwardContextV4, 2, kPayload, 13, false, "Forward Context IPv4")                    \
  X(kForwardContextV6, 3, kPayload, 37, false, "Forward Context IPv6")                    \
  X(kReverseContextV4, 4, kPayload, 13, false, "Reverse Context IPv4")                    \
  X(kReverseContextV6, 5, kPayload, 37, false, "Reverse Context IPv6")                    \
  X(kSessionUuid, 6, kPayload, 16, false, "Session UUID")                                 \
  X(kTenantName, 7, kPayload, kVariable, false, "Tenant Name")                            \
  X(kGlobalInterfaceId, 8, kPayload, 4, true, "Global Interface ID")                      \
  X(kServiceName, 10, kPayload, kVariable, false, "Service Name")                         \
  X(kSessionEncrypted, 11, kPayload, 0, false, "Session Encrypted")                       \
  X(kTcpSyn, 12, kPayload, 0, false, "TCP SYN Packet")                                    \
  X(kNumberOfSessions, 13, kPayload, 8, true, "Number of Sessions")                       \
  X(kSourceRouterName, 14, kPayload, kVariable, false, "Source Router Name")              \
  X(kSecurityPolicyName, 15, kPayload, kVariable, false, "Security Policy")               \
  X(kSecurityId, 16, kHeader, 4, false, "Security ID")                                    \
  X(kDestinationRouterName, 17, kPayload, kVariable, false, "Destination Router Name")    \
  X(kDisableForwardMetadata, 18, kPayload, 0, false, "Disable Forward Metadata")          \
  X(kPeerPathId, 19, kPayload, kVariable, false, "Peer Pathway ID")                       \
  X(kIcmpErrorLocationV4, 20, kHeader, 4, false, "IPv4 ICMP Error Location Address")      \
  X(kIcmpErrorLocationV6, 21, kHeader, 16, false, "IPv6 ICMP Error Location Address")     \
  X(kControlMessage, 24, kHeader, 1, false, "SVR Control Message")                        \
  X(kSourceNatV4, 25, kPayload, 4, false, "IPv4 Source NAT Address")                      \
  X(kPathMetrics, 26, kHeader, 10, false, "Path Metrics")                                 \
  X(kModifyRequest, 28, kPayload, 2, true, "Modify Request")                              \
  X(kApplicationName, 35, kPayload, kVariable, false, "Application Name")                 \
  X(kRemainingSessionTime, 42, kPayload, 4, false, "Remaining Session Time")              \
  X(kSessionHealthCheck, 46, kHeader, 1, false, "Session Health Check")                   \
  X(kSecurityEncryptionKey, 46, kPayload, kVariable, false, "Security Encryption Key")    \
  X(kMulticastGroupContext, 50, kPayload, kMulticastLength, false, "Multicast Group Context") \
  X(kMulticastEgressList, 51, kPayload, kVariable, false, "Multicast Egress List")      \
  X(kMoveSequence, 60, kPayload, 4, false, "Move Sequence [libssr]")                      \
  X(kControlProtocol, 61, kPayload, 1, false, "Control Subject Protocol [libssr]")         \
  X(kPayloadKeyId, 62, kPayload, 4, false, "Payload Key ID [libssr]")

#define SSR_SVR_TLV_ENUM_(field, type, section, length, legacy, name) field,
enum class TlvField : uint8_t { SSR_SVR_TLVS(SSR_SVR_TLV_ENUM_) kCount };
#undef SSR_SVR_TLV_ENUM_

inline constexpr size_t kTlvFieldCount = static_cast<size_t>(TlvField::kCount);

struct TlvInfo {
  TlvField field;
  uint16_t type;
  TlvSection section;
  int length;  // fixed value length, kVariable or kMulticastLength
  bool legacy;
  std::string_view name;
};

#define SSR_SVR_TLV_INFO_(field, type, section, length, legacy, name) \
  TlvInfo{TlvField::field, type, TlvSection::section, length, legacy, name},
inline constexpr TlvInfo kTlvInfo[] = {SSR_SVR_TLVS(SSR_SVR_TLV_INFO_)};
#undef SSR_SVR_TLV_INFO_

constexpr const TlvInfo& InfoOf(TlvField f) { return kTlvInfo[static_cast<size_t>(f)]; }

namespace internal {
// (type, section) → field + 1 (0 = not defined), for types below 64: every registered type is.
// Built at compile time so the decoder does one array load per TLV instead of a table scan.
struct FieldTable {
  uint8_t by_section[2][64] = {};
  constexpr FieldTable() {
    for (const TlvInfo& info : kTlvInfo) {
      by_section[static_cast<size_t>(info.section)][info.type] =
          static_cast<uint8_t>(static_cast<size_t>(info.field) + 1);
    }
  }
};
inline constexpr FieldTable kFieldTable{};
}  // namespace internal

// The field a (type, section) pair means; nullopt for a type the registry does not define in
// that section (it may be defined in the other one).
constexpr std::optional<TlvField> FieldFor(uint16_t type, TlvSection section) {
  if (type >= 64) return std::nullopt;
  const uint8_t v = internal::kFieldTable.by_section[static_cast<size_t>(section)][type];
  if (v == 0) return std::nullopt;
  return static_cast<TlvField>(v - 1);
}

}  // namespace ssr::svr

#endif  // SSR_SVR_TLV_TYPES_H_
