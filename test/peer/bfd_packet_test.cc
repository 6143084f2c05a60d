// SPDX-License-Identifier: Apache-2.0
// BFD control packet codec (RFC 5880 §4.1) and the packet-only reception checks of §6.8.6.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "peer/bfd_packet.h"

namespace ssr::peer {
namespace {

BfdControl Sample() {
  BfdControl p;
  p.diag = static_cast<uint8_t>(BfdDiag::kNeighborSignaledSessionDown);
  p.state = BfdState::kUp;
  p.poll = true;
  p.control_plane_independent = true;
  p.demand = true;
  p.detect_mult = 5;
  p.my_discriminator = 0x11223344;
  p.your_discriminator = 0x55667788;
  p.desired_min_tx_us = 300000;
  p.required_min_rx_us = 250000;
  p.required_min_echo_rx_us = 0;
  return p;
}

TEST_CASE("BFD control packet encodes to the RFC 5880 byte layout", "[peer][bfd]") {
  std::array<uint8_t, 24> out{};
  REQUIRE(EncodeBfdControl(Sample(), out) == 24);
  const std::array<uint8_t, 24> expected = {
      0x23,                    // version 1 (001), diag 3
      0xEA,                    // state Up (11), P (1), F 0, C (1), A 0, D (1), M 0
      0x05, 0x18,              // detect mult 5, length 24
      0x11, 0x22, 0x33, 0x44,  // my discriminator
      0x55, 0x66, 0x77, 0x88,  // your discriminator
      0x00, 0x04, 0x93, 0xE0,  // 300000 us
      0x00, 0x03, 0xD0, 0x90,  // 250000 us
      0x00, 0x00, 0x00, 0x00};
  CHECK(out == expected);
}

TEST_CASE("BFD control packet round-trips through encode and decode", "[peer][bfd]") {
  for (BfdState s : {BfdState::kAdminDown, BfdState::kDown, BfdState::kInit, BfdState::kUp}) {
    BfdControl p = Sample();
    p.state = s;
    std::array<uint8_t, 24> buf{};
    REQUIRE(EncodeBfdControl(p, buf) == 24);
    BfdControl q;
    REQUIRE(DecodeBfdControl(buf, &q) == BfdDecodeResult::kOk);
    CHECK(q == p);
  }
}

TEST_CASE("BFD encode refuses a buffer shorter than 24 bytes", "[peer][bfd]") {
  std::array<uint8_t, 23> small{};
  CHECK(EncodeBfdControl(Sample(), small) == 0);
}

TEST_CASE("BFD decode ignores bytes after Length", "[peer][bfd]") {
  std::array<uint8_t, 40> buf{};
  REQUIRE(EncodeBfdControl(Sample(), buf) == 24);
  buf[30] = 0xFF;
  BfdControl q;
  CHECK(DecodeBfdControl(buf, &q) == BfdDecodeResult::kOk);
  CHECK(q == Sample());
}

struct MalformedRow {
  const char* what;
  BfdDecodeResult expected;
  size_t size;             // bytes handed to the decoder
  void (*mutate)(BfdControl*);
};

TEST_CASE("Every malformed BFD packet yields its named result", "[peer][bfd]") {
  const MalformedRow rows[] = {
      {"23 bytes", BfdDecodeResult::kTruncated, 23, [](BfdControl*) {}},
      {"empty", BfdDecodeResult::kTruncated, 0, [](BfdControl*) {}},
      {"version 0", BfdDecodeResult::kBadVersion, 24, [](BfdControl* p) { p->version = 0; }},
      {"version 2", BfdDecodeResult::kBadVersion, 24, [](BfdControl* p) { p->version = 2; }},
      {"length 23", BfdDecodeResult::kLengthTooSmall, 24, [](BfdControl* p) { p->length = 23; }},
      {"A bit with length 24", BfdDecodeResult::kLengthTooSmall, 24,
       [](BfdControl* p) { p->authentication_present = true; }},
      {"length 25 > 24 bytes", BfdDecodeResult::kLengthExceedsPayload, 24,
       [](BfdControl* p) { p->length = 25; }},
      {"detect mult 0", BfdDecodeResult::kZeroDetectMult, 24,
       [](BfdControl* p) { p->detect_mult = 0; }},
      {"multipoint", BfdDecodeResult::kMultipoint, 24, [](BfdControl* p) { p->multipoint = true; }},
      {"my discriminator 0", BfdDecodeResult::kZeroMyDiscriminator, 24,
       [](BfdControl* p) { p->my_discriminator = 0; }},
      {"your 0 in Up", BfdDecodeResult::kZeroYourDiscriminator, 24,
       [](BfdControl* p) { p->your_discriminator = 0; }},
      {"your 0 in Init", BfdDecodeResult::kZeroYourDiscriminator, 24,
       [](BfdControl* p) {
         p->your_discriminator = 0;
         p->state = BfdState::kInit;
       }},
      {"poll and final", BfdDecodeResult::kPollAndFinal, 24,
       [](BfdControl* p) { p->final = true; }},
      {"A bit with length 26", BfdDecodeResult::kAuthenticationUnsupported, 26,
       [](BfdControl* p) {
         p->authentication_present = true;
         p->length = 26;
       }},
  };
  for (const MalformedRow& row : rows) {
    INFO(row.what);
    BfdControl p = Sample();
    row.mutate(&p);
    std::vector<uint8_t> buf(std::max<size_t>(row.size, 24));
    REQUIRE(EncodeBfdControl(p, buf) == 24);
    buf.resize(row.size);
    BfdControl q;
    CHECK(DecodeBfdControl(buf, &q) == row.expected);
  }
  // Every named result except kOk has a row above.
  size_t covered = 0;
  for (size_t r = 1; r < util::CounterCount<BfdDecodeResult>(); ++r) {
    const auto result = static_cast<BfdDecodeResult>(r);
    for (const MalformedRow& row : rows) {
      if (row.expected == result) {
        ++covered;
        break;
      }
    }
  }
  CHECK(covered == util::CounterCount<BfdDecodeResult>() - 1);
}

TEST_CASE("BFD Down and AdminDown packets may carry Your Discriminator 0", "[peer][bfd]") {
  for (BfdState s : {BfdState::kDown, BfdState::kAdminDown}) {
    BfdControl p = Sample();
    p.state = s;
    p.your_discriminator = 0;
    std::array<uint8_t, 24> buf{};
    REQUIRE(EncodeBfdControl(p, buf) == 24);
    BfdControl q;
    CHECK(DecodeBfdControl(buf, &q) == BfdDecodeResult::kOk);
  }
}

TEST_CASE("BFD decode result names are distinct counter names", "[peer][bfd]") {
  CHECK(CounterName(BfdDecodeResult::kZeroDetectMult) == "bfd_zero_detect_mult");
  CHECK(CounterName(BfdDecodeResult::kOk) == "bfd_ok");
  CHECK(BfdStateName(BfdState::kInit) == "Init");
}

}  // namespace
}  // namespace ssr::peer
