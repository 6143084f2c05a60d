// SPDX-License-Identifier: Apache-2.0
// ByteReader: a bounded, non-owning cursor over a byte span (after quiche's QuicheDataReader).
//
// Design note: every read is checked against the end of the span and returns false instead of
// reading past it; a failed read consumes nothing and leaves the output untouched, so a caller can
// try an alternative or report exactly where the input ran out. Nothing allocates or throws, and
// everything is inline because this sits on the per-packet path. Multi-byte values are big-endian
// (network order). The reader never owns the bytes: the span must outlive it.
#ifndef SSR_PACKET_BYTE_READER_H_
#define SSR_PACKET_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "packet/byte_order.h"

namespace ssr::packet {

class ByteReader {
 public:
  constexpr ByteReader() = default;
  constexpr explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  bool ReadU8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = data_[offset_];
    offset_ += 1;
    return true;
  }
  bool ReadU16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = LoadBe16(cursor());
    offset_ += 2;
    return true;
  }
  bool ReadU32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = LoadBe32(cursor());
    offset_ += 4;
    return true;
  }
  bool ReadU64(uint64_t* v) {
    if (remaining() < 8) return false;
    *v = LoadBe64(cursor());
    offset_ += 8;
    return true;
  }
  // Copies out.size() bytes.
  bool ReadBytes(std::span<uint8_t> out) {
    if (remaining() < out.size()) return false;
    if (!out.empty()) std::memcpy(out.data(), cursor(), out.size());
    offset_ += out.size();
    return true;
  }
  // Returns a view of the next `n` bytes (no copy) and consumes them.
  bool ReadSpan(size_t n, std::span<const uint8_t>* out) {
    if (remaining() < n) return false;
    *out = data_.subspan(offset_, n);
    offset_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    offset_ += n;
    return true;
  }

  // Peeks read without consuming.
  bool PeekU8(uint8_t* v) const {
    if (remaining() < 1) return false;
    *v = data_[offset_];
    return true;
  }
  bool PeekU16(uint16_t* v) const {
    if (remaining() < 2) return false;
    *v = LoadBe16(cursor());
    return true;
  }
  bool PeekU32(uint32_t* v) const {
    if (remaining() < 4) return false;
    *v = LoadBe32(cursor());
    return true;
  }
  // True when at least `n` bytes remain; lets a parser check a whole fixed header once.
  bool CanRead(size_t n) const { return remaining() >= n; }

  size_t offset() const { return offset_; }
  size_t remaining() const { return data_.size() - offset_; }
  size_t size() const { return data_.size(); }
  bool empty() const { return remaining() == 0; }
  // The unread bytes.
  std::span<const uint8_t> Rest() const { return data_.subspan(offset_); }

 private:
  const uint8_t* cursor() const { return data_.data() + offset_; }

  std::span<const uint8_t> data_;
  size_t offset_ = 0;
};

}  // namespace ssr::packet

#endif  // SSR_PACKET_BYTE_READER_H_
