// SPDX-License-Identifier: Apache-2.0
// ByteWriter: a bounded, non-owning cursor that writes into a caller's byte span.
//
// Design note: the mirror of ByteReader. Every write is checked against the end of the span and
// returns false without writing anything when it does not fit, so a failed write leaves both the
// buffer and the position unchanged. No allocation, no exceptions, all inline. Multi-byte values
// are written big-endian. Backpatching (lengths, checksums) is done through the span returned by
// Written() or by keeping the offset of the field and writing with StoreBe16 into the buffer.
#ifndef SSR_PACKET_BYTE_WRITER_H_
#define SSR_PACKET_BYTE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "packet/byte_order.h"

namespace ssr::packet {

class ByteWriter {
 public:
  constexpr ByteWriter() = default;
  constexpr explicit ByteWriter(std::span<uint8_t> buffer) : buffer_(buffer) {}

  bool WriteU8(uint8_t v) {
    if (remaining() < 1) return false;
    buffer_[offset_] = v;
    offset_ += 1;
    return true;
  }
  bool WriteU16(uint16_t v) {
    if (remaining() < 2) return false;
    StoreBe16(cursor(), v);
    offset_ += 2;
    return true;
  }
  bool WriteU32(uint32_t v) {
    if (remaining() < 4) return false;
    StoreBe32(cursor(), v);
    offset_ += 4;
    return true;
  }
  bool WriteU64(uint64_t v) {
    if (remaining() < 8) return false;
    StoreBe64(cursor(), v);
    offset_ += 8;
    return true;
  }
  bool WriteBytes(std::span<const uint8_t> bytes) {
    if (remaining() < bytes.size()) return false;
    // memmove: callers may copy from the same buffer (e.g. shifting a header).
    if (!bytes.empty()) std::memmove(cursor(), bytes.data(), bytes.size());
    offset_ += bytes.size();
    return true;
  }
  // Writes `n` copies of `value`.
  bool Fill(uint8_t value, size_t n) {
    if (remaining() < n) return false;
    if (n != 0) std::memset(cursor(), value, n);
    offset_ += n;
    return true;
  }
  // Advances over `n` bytes without writing them (their content is whatever the buffer held).
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    offset_ += n;
    return true;
  }

  size_t offset() const { return offset_; }
  size_t remaining() const { return buffer_.size() - offset_; }
  size_t capacity() const { return buffer_.size(); }
  // The bytes written (or skipped) so far.
  std::span<uint8_t> Written() const { return buffer_.first(offset_); }
  std::span<uint8_t> buffer() const { return buffer_; }

 private:
  uint8_t* cursor() const { return buffer_.data() + offset_; }

  std::span<uint8_t> buffer_;
  size_t offset_ = 0;
};

}  // namespace ssr::packet

#endif  // SSR_PACKET_BYTE_WRITER_H_
