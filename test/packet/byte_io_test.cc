// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>

#include "packet/byte_reader.h"
#include "packet/byte_writer.h"

using ssr::packet::ByteReader;
using ssr::packet::ByteWriter;

TEST_CASE("ByteReader reads big-endian integers in sequence", "[packet]") {
  const std::array<uint8_t, 15> data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                        0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  ByteReader r(data);
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  REQUIRE(r.ReadU8(&u8));
  REQUIRE(r.ReadU16(&u16));
  REQUIRE(r.ReadU32(&u32));
  REQUIRE(r.ReadU64(&u64));
  CHECK(u8 == 0x01);
  CHECK(u16 == 0x0203);
  CHECK(u32 == 0x04050607u);
  CHECK(u64 == 0x08090a0b0c0d0e0full);
  CHECK(r.offset() == 15);
  CHECK(r.remaining() == 0);
  CHECK(r.empty());
}

TEST_CASE("ByteReader failed reads consume nothing and leave outputs untouched", "[packet]") {
  const std::array<uint8_t, 3> data = {0xaa, 0xbb, 0xcc};
  ByteReader r(data);
  REQUIRE(r.Skip(1));
  uint32_t u32 = 0x12345678;
  uint64_t u64 = 7;
  std::array<uint8_t, 3> out = {1, 2, 3};
  std::span<const uint8_t> sp;
  CHECK_FALSE(r.ReadU32(&u32));
  CHECK_FALSE(r.ReadU64(&u64));
  CHECK_FALSE(r.ReadBytes(out));
  CHECK_FALSE(r.ReadSpan(3, &sp));
  CHECK_FALSE(r.Skip(3));
  CHECK(u32 == 0x12345678);
  CHECK(u64 == 7);
  CHECK(out == std::array<uint8_t, 3>{1, 2, 3});
  CHECK(r.offset() == 1);
  uint16_t u16 = 0;
  REQUIRE(r.ReadU16(&u16));
  CHECK(u16 == 0xbbcc);
  uint8_t u8 = 9;
  CHECK_FALSE(r.ReadU8(&u8));
  CHECK_FALSE(r.PeekU8(&u8));
  CHECK(u8 == 9);
}

TEST_CASE("ByteReader peeks without consuming and reads spans without copying", "[packet]") {
  const std::array<uint8_t, 6> data = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
  ByteReader r(data);
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  REQUIRE(r.PeekU16(&u16));
  REQUIRE(r.PeekU32(&u32));
  CHECK(u16 == 0x1122);
  CHECK(u32 == 0x11223344u);
  CHECK(r.offset() == 0);
  std::span<const uint8_t> sp;
  REQUIRE(r.ReadSpan(2, &sp));
  CHECK(sp.data() == data.data());
  CHECK(sp.size() == 2);
  CHECK(r.Rest().size() == 4);
  CHECK(r.CanRead(4));
  CHECK_FALSE(r.CanRead(5));
}

TEST_CASE("ByteReader over an empty span fails every read", "[packet]") {
  ByteReader r{std::span<const uint8_t>()};
  uint8_t u8;
  CHECK_FALSE(r.ReadU8(&u8));
  CHECK(r.Skip(0));
  CHECK(r.remaining() == 0);
}

TEST_CASE("ByteWriter writes big-endian integers, bytes and fills", "[packet]") {
  std::array<uint8_t, 20> buf{};
  ByteWriter w(buf);
  REQUIRE(w.WriteU8(0x01));
  REQUIRE(w.WriteU16(0x0203));
  REQUIRE(w.WriteU32(0x04050607));
  REQUIRE(w.WriteU64(0x08090a0b0c0d0e0full));
  const std::array<uint8_t, 2> bytes = {0xee, 0xff};
  REQUIRE(w.WriteBytes(bytes));
  REQUIRE(w.Fill(0x5a, 2));
  REQUIRE(w.Skip(1));
  CHECK(w.offset() == 20);
  CHECK(w.remaining() == 0);
  const std::array<uint8_t, 20> expected = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                            0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
                                            0x0f, 0xee, 0xff, 0x5a, 0x5a, 0x00};
  CHECK(buf == expected);
  CHECK(w.Written().size() == 20);
}

TEST_CASE("ByteWriter failed writes change neither the buffer nor the position", "[packet]") {
  std::array<uint8_t, 5> buf = {9, 9, 9, 9, 9};
  ByteWriter w(buf);
  REQUIRE(w.WriteU16(0x0102));
  CHECK_FALSE(w.WriteU32(0xdeadbeef));
  CHECK_FALSE(w.WriteU64(1));
  const std::array<uint8_t, 4> bytes = {1, 2, 3, 4};
  CHECK_FALSE(w.WriteBytes(bytes));
  CHECK_FALSE(w.Fill(0, 4));
  CHECK_FALSE(w.Skip(4));
  CHECK(w.offset() == 2);
  CHECK(buf == std::array<uint8_t, 5>{1, 2, 9, 9, 9});
  REQUIRE(w.WriteU8(3));
  REQUIRE(w.WriteU16(0x0405));
  CHECK_FALSE(w.WriteU8(6));
  CHECK(buf == std::array<uint8_t, 5>{1, 2, 3, 4, 5});
}
