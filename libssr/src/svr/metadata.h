// SPDX-License-Identifier: Apache-2.0
// SVR metadata: the 12-byte header and the TLV sections (docs/protocol.md §3).
//
// Design note. Metadata rides on the first packets of a session, so decoding is on the per-packet
// path of every new session and of every packet that arrives with the cookie. The decoded form,
// `Metadata`, is therefore a fixed-size, trivially copyable struct: fixed-size values are copied
// out, variable-length values (names, keys, lists) are spans into the buffer the caller decoded
// from (the packet, or the caller's scratch buffer holding the decrypted payload section). A
// presence bit per field records what the packet carried. Nothing allocates, nothing throws, and
// every length read from the wire is checked against the bytes actually present before use: a
// malformed input yields a named DecodeResult (each one also a counter name), never an
// out-of-bounds read.
//
// Encoding is the mirror image: every present field is written, header-section fields first, in
// registry order, into a caller buffer; sizes can be computed beforehand (EncodedSizes) so the
// caller can check the MTU before touching the packet.
//
// Encryption of the payload section (§4.6) is not done here: callers encode the payload section
// into a scratch buffer, encrypt it with the crypto layer, and assemble with WriteMetadataHeader;
// on receive they decode the header, decrypt [HL, HL+PL) and call DecodeTlvSection on the result.
#ifndef SSR_SVR_METADATA_H_
#define SSR_SVR_METADATA_H_

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "svr/tlv_types.h"
#include "util/counters.h"
#include "util/ip_address.h"

namespace ssr::svr {

// The 8-byte metadata cookie, in wire order (Appendix A).
inline constexpr std::array<uint8_t, 8> kCookie = {0x4C, 0x48, 0xDB, 0xC6,
                                                   0xDD, 0xF6, 0x67, 0x0C};
inline constexpr uint8_t kMetadataVersion = 1;
inline constexpr size_t kMetadataHeaderSize = 12;
inline constexpr size_t kMaxHeaderLength = 4095;  // 12-bit field
inline constexpr size_t kTlvHeaderSize = 4;

// Every outcome of decoding; each name doubles as a counter name (X-macro list).
#define SSR_SVR_DECODE_RESULTS(X)                                                              \
  X(kOk, "md_ok", "metadata decoded")                                                          \
  X(kNotMetadata, "md_absent", "payload shorter than 12 bytes or no cookie: not metadata")     \
  X(kBadVersion, "md_bad_version", "metadata version is not 1 (§7.7)")                         \
  X(kHeaderLengthTooSmall, "md_header_length_too_small", "header length below 12 (§7.5)")      \
  X(kLengthsExceedPayload, "md_lengths_exceed_payload",                                        \
    "header length + payload length beyond the L4 payload (§7.6)")                            \
  X(kTruncatedTlv, "md_truncated_tlv", "a TLV header or value runs past its section (§7.9)")   \
  X(kBadTlvLength, "md_bad_tlv_length", "a known TLV with the wrong value length")             \
  X(kBadTlvValue, "md_bad_tlv_value", "a known TLV whose value is inconsistent")               \
  X(kDuplicateTlv, "md_duplicate_tlv", "the same TLV twice in one packet")                     \
  X(kWrongSection, "md_wrong_section",                                                         \
    "Fragment, Security ID or Control Message outside the header section (O-20)")

SSR_DEFINE_COUNTER_ENUM(DecodeResult, SSR_SVR_DECODE_RESULTS)

// Things a successful decode tolerated; counted, never fatal (§7.21, O-20).
#define SSR_SVR_DECODE_NOTES(X)                                                         \
  X(kUnknownTlv, "md_unknown_tlv", "unknown TLV type skipped by its length")            \
  X(kMisplacedTlv, "md_misplaced_tlv", "known TLV in the other section, skipped")       \
  X(kLegacyTlv, "md_legacy_tlv", "legacy (non-draft) TLV 8, 13 or 28 received")

SSR_DEFINE_COUNTER_ENUM(DecodeNote, SSR_SVR_DECODE_NOTES)

std::string_view DecodeResultName(DecodeResult r);

// Original (forward) or reverse-orientation 5-tuple (types 2-5). For ICMP echo the source port
// carries the identifier and the destination port is 0 (§2.11).
struct SessionContext {
  util::IpAddress source;
  util::IpAddress destination;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint8_t protocol = 0;
  friend bool operator==(const SessionContext&, const SessionContext&) = default;
};

// Type 1 (§3.6.2).
struct FragmentInfo {
  uint32_t extended_id = 0;
  uint16_t original_id = 0;
  bool reserved = false;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t offset = 0;  // 13 bits, in 8-byte units
  uint16_t largest_seen = 0;
  friend bool operator==(const FragmentInfo&, const FragmentInfo&) = default;
};

// Type 26 (§3.6.6).
struct PathMetrics {
  uint8_t tx_color = 0;           // 4 bits
  uint32_t tx_time_ms = 0;        // 28 bits
  uint8_t rx_color = 0;           // 4 bits
  uint32_t rx_time_ms = 0;        // 28 bits
  bool drop_flag = false;         // "D" bit
  uint16_t previous_rx_color_count = 0;  // 15 bits
  friend bool operator==(const PathMetrics&, const PathMetrics&) = default;
};

// Type 50 (§3.6.7).
struct MulticastGroup {
  uint8_t flags = 0;
  util::IpAddress source;  // 0.0.0.0 or :: for (*,G); family decides the wire length
  util::IpAddress group;
  uint8_t protocol = 0;
  friend bool operator==(const MulticastGroup&, const MulticastGroup&) = default;
};

// Control message reasons (TLV 24, §2.16).
enum class ControlMessage : uint8_t {
  kUnknown = 0,
  kKeepAlive = 1,
  kEnableMetadata = 2,
  kDisableMetadata = 3,
  kDeleteSession = 6,
  kHealthCheckStateExists = 8,
};

using Uuid = std::array<uint8_t, 16>;

// Decoded (or to-be-encoded) metadata. Spans refer to the caller's buffer.
struct Metadata {
  std::bitset<kTlvFieldCount> present;

  // Header section.
  FragmentInfo fragment;
  uint32_t security_id = 0;
  util::IpAddress icmp_error_location;  // type 20 (IPv4) or 21 (IPv6)
  uint8_t control_message = 0;          // raw value; see ControlMessage
  PathMetrics path_metrics;
  uint8_t health_check = 0;

  // Payload section.
  SessionContext forward_context;       // type 2 or 3
  SessionContext reverse_context;       // type 4 or 5
  Uuid session_uuid{};
  std::span<const uint8_t> tenant_name;
  uint32_t global_interface_id = 0;
  std::span<const uint8_t> service_name;
  uint64_t number_of_sessions = 0;
  std::span<const uint8_t> source_router_name;
  std::span<const uint8_t> security_policy_name;
  std::span<const uint8_t> destination_router_name;
  std::span<const uint8_t> peer_path_id;
  util::IpAddress source_nat;           // IPv4
  uint16_t modify_request = 0;
  std::span<const uint8_t> application_name;
  uint32_t remaining_session_time = 0;
  std::span<const uint8_t> security_encryption_key;
  MulticastGroup multicast_group;
  std::span<const uint8_t> multicast_egress_list;  // raw value: count(2) {len(1) name}*
  // [libssr] extensions (docs/protocol.md §2.9, §2.16).
  uint32_t move_sequence = 0;     // type 60: how often the sender moved / re-signalled the session
  uint8_t control_protocol = 0;   // type 61: IP protocol of the tuple a control message is about
  uint32_t payload_key_id = 0;    // type 62: Security ID of the session's end-to-end payload key

  bool Has(TlvField f) const { return present.test(static_cast<size_t>(f)); }
  void Set(TlvField f) { present.set(static_cast<size_t>(f)); }

  // Convenience setters for the common fields; they set the presence bit (and pick the v4/v6
  // TLV type from the address family).
  void SetForwardContext(const SessionContext& c);
  void SetReverseContext(const SessionContext& c);
  void SetIcmpErrorLocation(const util::IpAddress& a);
  // Names are stored as spans: `name` must outlive encoding.
  static std::span<const uint8_t> AsBytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
};

// Counts for tolerated oddities seen while decoding (unknown or misplaced TLVs).
using DecodeNotes = util::CounterArray<DecodeNote>;

// Lengths from the 12-byte header.
struct MetadataLayout {
  uint16_t header_length = 0;   // 12 + header TLV bytes
  uint16_t payload_length = 0;  // payload TLV section as transmitted (maybe encrypted)
  size_t total() const { return size_t{header_length} + payload_length; }
  bool is_false_positive_marker() const {
    return header_length == kMetadataHeaderSize && payload_length == 0;
  }
};

// True if `l4_payload` begins with the 8 cookie bytes.
bool StartsWithCookie(std::span<const uint8_t> l4_payload);

// Parses the 12-byte header at the start of `l4_payload` (the L4 payload without any trailer):
// kNotMetadata if it is shorter than 12 bytes or has no cookie; kBadVersion,
// kHeaderLengthTooSmall or kLengthsExceedPayload if malformed (§3.9).
DecodeResult DecodeMetadataHeader(std::span<const uint8_t> l4_payload, MetadataLayout* layout);

// Walks one TLV section (exactly the section's bytes, already decrypted if it was encrypted) and
// fills `md`. Unknown types are skipped and noted; known types in the other section are skipped
// and noted, except Fragment, Security ID and Control Message, which are kWrongSection (O-20).
// `notes` may be null.
DecodeResult DecodeTlvSection(std::span<const uint8_t> section, TlvSection which, Metadata* md,
                              DecodeNotes* notes);

// Header + both sections of clear-text metadata at the start of `l4_payload`. On kOk, `layout`
// tells how many bytes the metadata occupies (the original payload follows).
DecodeResult DecodeMetadata(std::span<const uint8_t> l4_payload, Metadata* md,
                            MetadataLayout* layout, DecodeNotes* notes);

// Byte sizes of the sections `md` encodes to.
struct EncodedSizes {
  size_t header_tlvs = 0;
  size_t payload_tlvs = 0;
  size_t total() const { return kMetadataHeaderSize + header_tlvs + payload_tlvs; }
};
// Fails (returns false) if the header section would exceed the 12-bit Header Length or the
// payload section 65535 bytes, or a value cannot be encoded (e.g. a name over 65535 bytes, a
// context whose two addresses differ in family).
bool ComputeEncodedSizes(const Metadata& md, EncodedSizes* sizes);

// Writes the TLVs of one section of `md` into `out`; returns bytes written, 0 if `out` is too
// small or the section is empty.
size_t EncodeTlvSection(const Metadata& md, TlvSection which, std::span<uint8_t> out);

// Writes the 12-byte header (cookie, version 1, lengths) into out[0..12). Returns false if `out`
// is smaller than 12 bytes or header_length is outside 12..4095.
bool WriteMetadataHeader(std::span<uint8_t> out, const MetadataLayout& layout);

// Header + header TLVs + clear payload TLVs. Returns bytes written, 0 on failure (too small or
// not encodable).
size_t EncodeMetadata(const Metadata& md, std::span<uint8_t> out);

// The 12-byte false-positive marker (§3.8): cookie, version 1, HL 12, PL 0.
bool WriteFalsePositiveMarker(std::span<uint8_t> out);

}  // namespace ssr::svr

#endif  // SSR_SVR_METADATA_H_
