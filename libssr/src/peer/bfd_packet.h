// SPDX-License-Identifier: Apache-2.0
// BFD control packet codec (RFC 5880 §4.1, the 24-byte mandatory section).
//
// Design note. BFD packets arrive from the network on every peer path (docs/protocol.md §5.1), so
// decoding is written like the metadata decoder: a fixed-size, trivially copyable struct, no
// allocation, no exceptions, every length read from the wire checked against the bytes present.
// Each malformed input yields a named BfdDecodeResult, which doubles as a counter name (X-macro).
//
// The decoder applies the reception checks of RFC 5880 §6.8.6 that depend on the packet alone;
// the ones that need session state (Your Discriminator selecting a session, session in AdminDown)
// are in BfdSession / PeerPaths. libssr does not implement BFD's own authentication section: the
// SVR HMAC trailer authenticates the whole UDP payload (§4.3, [LIB]), so a packet with the A bit
// set is discarded (RFC 5880 §6.8.6: "A bit set and no authentication in use").
//
// Wire layout (all big-endian):
//   byte 0    Vers(3) Diag(5)
//   byte 1    Sta(2) P F C A D M
//   byte 2    Detect Mult
//   byte 3    Length (bytes of the whole control packet)
//   4..8      My Discriminator
//   8..12     Your Discriminator
//   12..16    Desired Min TX Interval (microseconds)
//   16..20    Required Min RX Interval (microseconds)
//   20..24    Required Min Echo RX Interval (microseconds)
#ifndef SSR_PEER_BFD_PACKET_H_
#define SSR_PEER_BFD_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "util/counters.h"

namespace ssr::peer {

inline constexpr uint8_t kBfdVersion = 1;
inline constexpr size_t kBfdControlSize = 24;  // mandatory section, no authentication
inline constexpr size_t kBfdMinLengthWithAuth = 26;
// UDP port of BFD between SVR waypoints (docs/protocol.md §5.1, §7.66, Appendix A).
inline constexpr uint16_t kBfdPort = 1280;

enum class BfdState : uint8_t { kAdminDown = 0, kDown = 1, kInit = 2, kUp = 3 };

// RFC 5880 §4.1 diagnostic codes; values 9-31 are reserved (carried, never produced).
enum class BfdDiag : uint8_t {
  kNone = 0,
  kControlDetectionTimeExpired = 1,
  kEchoFunctionFailed = 2,
  kNeighborSignaledSessionDown = 3,
  kForwardingPlaneReset = 4,
  kPathDown = 5,
  kConcatenatedPathDown = 6,
  kAdministrativelyDown = 7,
  kReverseConcatenatedPathDown = 8,
};

std::string_view BfdStateName(BfdState s);

// Every outcome of decoding; each name doubles as a counter name.
#define SSR_BFD_DECODE_RESULTS(X)                                                        \
  X(kOk, "bfd_ok", "BFD control packet decoded")                                         \
  X(kTruncated, "bfd_truncated", "fewer than 24 bytes: no complete mandatory section")   \
  X(kBadVersion, "bfd_bad_version", "version is not 1 (RFC 5880 §6.8.6)")                \
  X(kLengthTooSmall, "bfd_length_too_small",                                             \
    "Length below 24, or below 26 with the A bit set (RFC 5880 §6.8.6)")                 \
  X(kLengthExceedsPayload, "bfd_length_exceeds_payload",                                 \
    "Length larger than the bytes carried (RFC 5880 §6.8.6)")                            \
  X(kZeroDetectMult, "bfd_zero_detect_mult", "Detect Mult is zero (RFC 5880 §6.8.6)")    \
  X(kMultipoint, "bfd_multipoint", "Multipoint (M) bit set (RFC 5880 §6.8.6)")           \
  X(kZeroMyDiscriminator, "bfd_zero_my_discriminator",                                   \
    "My Discriminator is zero (RFC 5880 §6.8.6)")                                        \
  X(kZeroYourDiscriminator, "bfd_zero_your_discriminator",                               \
    "Your Discriminator is zero while State is Init or Up (RFC 5880 §6.8.6)")            \
  X(kPollAndFinal, "bfd_poll_and_final", "both Poll and Final bits set (RFC 5880 §6.5)") \
  X(kAuthenticationUnsupported, "bfd_auth_unsupported",                                  \
    "A bit set: libssr uses the SVR HMAC, not BFD authentication (RFC 5880 §6.8.6)")

SSR_DEFINE_COUNTER_ENUM(BfdDecodeResult, SSR_BFD_DECODE_RESULTS)

using BfdDecodeCounters = util::CounterArray<BfdDecodeResult>;

// One control packet. Defaults describe a valid Down packet with the §5.2 default timers except
// the discriminators, which the sender sets.
struct BfdControl {
  uint8_t version = kBfdVersion;  // 3 bits
  uint8_t diag = 0;               // 5 bits, see BfdDiag
  BfdState state = BfdState::kDown;
  bool poll = false;
  bool final = false;
  bool control_plane_independent = false;
  bool authentication_present = false;
  bool demand = false;
  bool multipoint = false;
  uint8_t detect_mult = 3;
  uint8_t length = kBfdControlSize;
  uint32_t my_discriminator = 0;
  uint32_t your_discriminator = 0;
  uint32_t desired_min_tx_us = 1'000'000;
  uint32_t required_min_rx_us = 500'000;
  uint32_t required_min_echo_rx_us = 1'000'000;

  friend bool operator==(const BfdControl&, const BfdControl&) = default;
};
static_assert(std::is_trivially_copyable_v<BfdControl>);

// Writes the 24-byte mandatory section into out[0..24) exactly as the fields say (a test can
// encode deliberately malformed packets; senders use BfdSession's packets, which are valid).
// Fields wider than their wire width are masked. Returns 24, or 0 if `out` is too small.
size_t EncodeBfdControl(const BfdControl& packet, std::span<uint8_t> out) noexcept;

// Decodes `in` (the bytes that follow the SVR metadata, HMAC trailer already removed). Checks, in
// order: truncated, version, Length minimum (24, or 26 with A), Length beyond `in`, Detect Mult 0,
// M bit, My Discriminator 0, Your Discriminator 0 outside Down/AdminDown, P and F together, A bit.
// Bytes after Length are ignored (RFC 5880 only forbids Length larger than the payload). `*out`
// is filled with the decoded fields whenever `in` has 24 bytes, even when the result is an error.
BfdDecodeResult DecodeBfdControl(std::span<const uint8_t> in, BfdControl* out) noexcept;

}  // namespace ssr::peer

#endif  // SSR_PEER_BFD_PACKET_H_
