// SPDX-License-Identifier: Apache-2.0
#include "peer/bfd_packet.h"

#include "packet/byte_order.h"

namespace ssr::peer {

std::string_view BfdStateName(BfdState s) {
  switch (s) {
    case BfdState::kAdminDown:
      return "AdminDown";
    case BfdState::kDown:
      return "Down";
    case BfdState::kInit:
      return "Init";
    case BfdState::kUp:
      return "Up";
  }
  return "invalid";
}

namespace {
constexpr uint8_t kFlagPoll = 0x20;
constexpr uint8_t kFlagFinal = 0x10;
constexpr uint8_t kFlagCpi = 0x08;
constexpr uint8_t kFlagAuth = 0x04;
constexpr uint8_t kFlagDemand = 0x02;
constexpr uint8_t kFlagMultipoint = 0x01;
}  // namespace

size_t EncodeBfdControl(const BfdControl& p, std::span<uint8_t> out) noexcept {
  if (out.size() < kBfdControlSize) return 0;
  uint8_t* b = out.data();
  b[0] = static_cast<uint8_t>(((p.version & 0x07) << 5) | (p.diag & 0x1F));
  b[1] = static_cast<uint8_t>((static_cast<uint8_t>(p.state) & 0x03) << 6 |
                              (p.poll ? kFlagPoll : 0) | (p.final ? kFlagFinal : 0) |
                              (p.control_plane_independent ? kFlagCpi : 0) |
                              (p.authentication_present ? kFlagAuth : 0) |
                              (p.demand ? kFlagDemand : 0) | (p.multipoint ? kFlagMultipoint : 0));
  b[2] = p.detect_mult;
  b[3] = p.length;
  packet::StoreBe32(b + 4, p.my_discriminator);
  packet::StoreBe32(b + 8, p.your_discriminator);
  packet::StoreBe32(b + 12, p.desired_min_tx_us);
  packet::StoreBe32(b + 16, p.required_min_rx_us);
  packet::StoreBe32(b + 20, p.required_min_echo_rx_us);
  return kBfdControlSize;
}

BfdDecodeResult DecodeBfdControl(std::span<const uint8_t> in, BfdControl* out) noexcept {
  if (in.size() < kBfdControlSize) return BfdDecodeResult::kTruncated;
  const uint8_t* b = in.data();
  BfdControl p;
  p.version = static_cast<uint8_t>(b[0] >> 5);
  p.diag = static_cast<uint8_t>(b[0] & 0x1F);
  p.state = static_cast<BfdState>(b[1] >> 6);
  p.poll = (b[1] & kFlagPoll) != 0;
  p.final = (b[1] & kFlagFinal) != 0;
  p.control_plane_independent = (b[1] & kFlagCpi) != 0;
  p.authentication_present = (b[1] & kFlagAuth) != 0;
  p.demand = (b[1] & kFlagDemand) != 0;
  p.multipoint = (b[1] & kFlagMultipoint) != 0;
  p.detect_mult = b[2];
  p.length = b[3];
  p.my_discriminator = packet::LoadBe32(b + 4);
  p.your_discriminator = packet::LoadBe32(b + 8);
  p.desired_min_tx_us = packet::LoadBe32(b + 12);
  p.required_min_rx_us = packet::LoadBe32(b + 16);
  p.required_min_echo_rx_us = packet::LoadBe32(b + 20);
  *out = p;

  if (p.version != kBfdVersion) return BfdDecodeResult::kBadVersion;
  const size_t min_length = p.authentication_present ? kBfdMinLengthWithAuth : kBfdControlSize;
  if (p.length < min_length) return BfdDecodeResult::kLengthTooSmall;
  if (p.length > in.size()) return BfdDecodeResult::kLengthExceedsPayload;
  if (p.detect_mult == 0) return BfdDecodeResult::kZeroDetectMult;
  if (p.multipoint) return BfdDecodeResult::kMultipoint;
  if (p.my_discriminator == 0) return BfdDecodeResult::kZeroMyDiscriminator;
  if (p.your_discriminator == 0 && p.state != BfdState::kDown && p.state != BfdState::kAdminDown) {
    return BfdDecodeResult::kZeroYourDiscriminator;
  }
  if (p.poll && p.final) return BfdDecodeResult::kPollAndFinal;
  if (p.authentication_present) return BfdDecodeResult::kAuthenticationUnsupported;
  return BfdDecodeResult::kOk;
}

}  // namespace ssr::peer
