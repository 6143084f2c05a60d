// SPDX-License-Identifier: Apache-2.0
// BFD and link-test packets on the wire between two waypoints (docs/protocol.md §5.1, §5.3, §7.66).
//
// Design note. A peer-path packet is an ordinary Ethernet / IPv4-or-IPv6 / UDP frame from our
// waypoint address to the peer's, UDP destination port 1280 (source port 1280 too by default),
// whose UDP payload is ([LIB] framing of §5.3):
//
//   SVR metadata | message | authentication trailer
//     metadata:  12-byte header; header TLVs 16 Security ID and (optional) 26 Path Metrics;
//                payload TLVs 14 Source Router Name, 19 Peer Pathway ID, 25 IPv4 Source NAT
//                Address = the source address we observe for the peer (NAT detection, §2.13;
//                IPv4 paths only, the TLV has no IPv6 form).
//     message:   a BFD control packet (24 bytes, bfd_packet.h) or a link-test echo (28 bytes,
//                link_test.h); they are told apart by the first byte (echo magic).
//     trailer:   the adjacency's HMAC tag (crypto::PacketCrypto::Sign over everything before it,
//                §4.3), or for a GCM-only policy the GMAC trailer (SealPayload with an empty
//                payload: explicit nonce + tag, authenticating everything before it); nothing
//                when no PacketCrypto is given.
//
// TLV 26 is a header-section TLV in the registry (svr/tlv_types.h), so it is encoded there even
// though §5.3 lists it with the payload TLVs (the svr decoder skips and notes a misplaced one,
// so it is only read from the header section). The payload-TLV section is sent in clear (§4.6
// metadata encryption is not applied to BFD): names and the observed address are visible on the
// wire, as §6 already notes for router names in BFD; the trailer still authenticates them.
//
// Receive order follows §4.3 / §7.53: UDP port, cookie (non-SVR bytes are dropped before any
// crypto), metadata header and header TLVs (for the Security ID), trailer verification, then the
// full metadata walk and the message. Nothing allocates: frames are built through a bounded stack
// scratch buffer and the decoded PeerFrame holds spans into the caller's frame.
#ifndef SSR_PEER_PEER_FRAME_H_
#define SSR_PEER_PEER_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "crypto/packet_crypto.h"
#include "packet/header_views.h"
#include "peer/bfd_packet.h"
#include "peer/link_test.h"
#include "svr/metadata.h"
#include "util/counters.h"
#include "util/ip_address.h"

namespace ssr::peer {

// Longest source router name / peer path id we send (each becomes one TLV).
inline constexpr size_t kMaxPeerNameLength = 255;
// Upper bound of the UDP payload of a peer-path packet we build or verify.
inline constexpr size_t kMaxPeerPayload = 1024;

// Addresses of one direction of a peer path.
struct PathEndpoints {
  packet::MacAddress src_mac{};
  packet::MacAddress dst_mac{};
  util::IpAddress local;   // our waypoint: IP source
  util::IpAddress remote;  // the peer's waypoint: IP destination
  uint16_t local_port = kBfdPort;
  uint16_t remote_port = kBfdPort;
  uint8_t dscp = 0;  // BFD dscp option (§5.2), 0..63
};

// The metadata fields a peer-path packet carries.
struct PeerMetadata {
  uint32_t security_id = 1;  // replaced by crypto->send_key_id() when a PacketCrypto is given
  std::string_view source_router_name;             // TLV 14, omitted when empty
  std::string_view peer_path_id;                   // TLV 19, omitted when empty
  std::optional<util::IpAddress> observed_source;  // TLV 25 (sent for IPv4 only)
  std::optional<svr::PathMetrics> path_metrics;    // TLV 26
};

enum class PeerMessageKind : uint8_t { kControl, kEcho };

// Builds the whole frame into `out`; returns its length, or 0 when a name is longer than
// kMaxPeerNameLength, the endpoints mix address families, signing fails, or `out` is too small.
// `now_ms` is the clock the PacketCrypto uses (time-based HMAC windows).
size_t BuildControlFrame(const PathEndpoints& endpoints, const PeerMetadata& metadata,
                         const BfdControl& control, crypto::PacketCrypto* crypto, uint64_t now_ms,
                         std::span<uint8_t> out) noexcept;
size_t BuildEchoFrame(const PathEndpoints& endpoints, const PeerMetadata& metadata,
                      const EchoPacket& echo, crypto::PacketCrypto* crypto, uint64_t now_ms,
                      std::span<uint8_t> out) noexcept;

#define SSR_PEER_FRAME_RESULTS(X)                                                              \
  X(kOk, "peer_frame_ok", "peer-path packet verified and decoded")                             \
  X(kNotUdp, "peer_frame_not_udp", "frame does not parse as Ethernet/IP/UDP")                  \
  X(kWrongPort, "peer_frame_wrong_port", "UDP destination port is not the BFD port 1280")      \
  X(kNoMetadata, "peer_frame_no_metadata", "UDP payload does not start with the SVR cookie")   \
  X(kBadMetadata, "peer_frame_bad_metadata", "metadata header or TLVs malformed (see md_*)")   \
  X(kNoSecurityId, "peer_frame_no_security_id", "metadata without TLV 16 Security ID")         \
  X(kTooLarge, "peer_frame_too_large", "UDP payload larger than kMaxPeerPayload")              \
  X(kAuthFailed, "peer_frame_auth_failed", "trailer did not verify (see the crypto counters)") \
  X(kNoMessage, "peer_frame_no_message", "nothing after the metadata")                         \
  X(kBadBfd, "peer_frame_bad_bfd", "BFD control packet rejected (see bfd_*)")                  \
  X(kBadEcho, "peer_frame_bad_echo", "echo packet rejected (see echo_*)")                      \
  X(kUnknownPath, "peer_frame_unknown_path",                                                   \
    "PeerPaths::Receive: no peer path for the packet's address pair")                          \
  X(kPeerNameMismatch, "peer_frame_name_mismatch",                                             \
    "PeerPaths::Receive: TLV 14 is not the configured peer router's name")

SSR_DEFINE_COUNTER_ENUM(PeerFrameResult, SSR_PEER_FRAME_RESULTS)

// A decoded peer-path packet. `metadata` spans point into the buffer that was parsed.
struct PeerFrame {
  util::IpAddress source;  // IP source as received (the peer's address as we observe it)
  util::IpAddress destination;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  svr::Metadata metadata;
  svr::DecodeResult metadata_result = svr::DecodeResult::kOk;
  crypto::CryptoResult crypto_result = crypto::CryptoResult::kOk;
  PeerMessageKind kind = PeerMessageKind::kControl;
  BfdDecodeResult bfd_result = BfdDecodeResult::kOk;
  EchoDecodeResult echo_result = EchoDecodeResult::kOk;
  BfdControl control;  // kind == kControl
  EchoPacket echo;     // kind == kEcho
};

// Parses a whole Ethernet frame (uses packet::ParseFrame).
PeerFrameResult ParsePeerFrame(std::span<const uint8_t> frame, crypto::PacketCrypto* crypto,
                               uint64_t now_ms, PeerFrame* out) noexcept;
// Same from the UDP payload of a frame the caller already parsed (source/destination fields of
// *out are left as the caller set them). `crypto` null: no trailer expected.
PeerFrameResult ParsePeerPayload(std::span<const uint8_t> udp_payload, crypto::PacketCrypto* crypto,
                                 uint64_t now_ms, PeerFrame* out) noexcept;

}  // namespace ssr::peer

#endif  // SSR_PEER_PEER_FRAME_H_
