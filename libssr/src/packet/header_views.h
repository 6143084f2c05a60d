// SPDX-License-Identifier: Apache-2.0
// Header views: typed accessors over the bytes of one protocol header, read-only or mutable.
//
// Design note: a view is a span plus fixed field offsets; getters/setters go through
// LoadBe*/StoreBe* (byte_order.h), so there are no packed structs, no type punning and no
// unaligned-access UB, and a view is as cheap as the pointer it holds. `XViewT<const uint8_t>`
// (alias `ConstXView`) reads; `XViewT<uint8_t>` (alias `XView`) also writes, for NAT and metadata
// rewrites done in place. A view is built over a span that already holds at least kMinSize bytes:
// the parser has checked that for every header it reports in PacketInfo, and the constructor
// asserts it. Variable-length parts (IPv4/TCP options, payloads) are clamped to the span, so even a
// view over a corrupted length field cannot read past its span.
// Views do not touch checksums: callers update them with checksum.h (full or RFC 1624
// incremental), because which checksums a rewrite affects depends on the rewrite.
#ifndef SSR_PACKET_HEADER_VIEWS_H_
#define SSR_PACKET_HEADER_VIEWS_H_

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "packet/byte_order.h"
#include "packet/protocol.h"
#include "util/ip_address.h"

namespace ssr::packet {

using MacAddress = std::array<uint8_t, kMacLength>;

namespace internal {

// Shared storage and helpers for all views. B is `uint8_t` (mutable) or `const uint8_t`.
template <typename B>
class ViewBase {
 public:
  static_assert(std::is_same_v<std::remove_const_t<B>, uint8_t>);
  static constexpr bool kMutable = !std::is_const_v<B>;

  std::span<B> bytes() const { return bytes_; }

 protected:
  ViewBase(std::span<B> bytes, size_t min_size) : bytes_(bytes) {
    assert(bytes.size() >= min_size);
    (void)min_size;
  }
  uint8_t U8(size_t off) const { return bytes_[off]; }
  uint16_t U16(size_t off) const { return LoadBe16(bytes_.data() + off); }
  uint32_t U32(size_t off) const { return LoadBe32(bytes_.data() + off); }
  void SetU8(size_t off, uint8_t v) const requires kMutable { bytes_[off] = v; }
  void SetU16(size_t off, uint16_t v) const requires kMutable { StoreBe16(bytes_.data() + off, v); }
  void SetU32(size_t off, uint32_t v) const requires kMutable { StoreBe32(bytes_.data() + off, v); }
  // Bytes [begin, end) clamped to the span.
  std::span<B> Range(size_t begin, size_t end) const {
    end = std::min(end, bytes_.size());
    begin = std::min(begin, end);
    return bytes_.subspan(begin, end - begin);
  }
  util::IpAddress V4At(size_t off) const {
    return util::IpAddress::V4Bytes(std::span<const uint8_t, 4>(bytes_.data() + off, 4));
  }
  util::IpAddress V6At(size_t off) const {
    return util::IpAddress::V6Bytes(std::span<const uint8_t, 16>(bytes_.data() + off, 16));
  }
  // Writes the 4 or 16 address bytes; the family must match the header (asserted).
  void SetAddressAt(size_t off, const util::IpAddress& a, size_t width) const requires kMutable {
    assert(a.bytes().size() == width);
    std::memcpy(bytes_.data() + off, a.bytes().data(), std::min(width, a.bytes().size()));
  }

 private:
  std::span<B> bytes_;
};

}  // namespace internal

// Ethernet II header (without VLAN tags). ether_type() is the TPID when the frame is tagged.
template <typename B>
class EthernetViewT : public internal::ViewBase<B> {
  using Base = internal::ViewBase<B>;

 public:
  static constexpr size_t kMinSize = kEthernetHeaderLength;
  explicit EthernetViewT(std::span<B> bytes) : Base(bytes, kMinSize) {}

  MacAddress dst_mac() const { return Mac(0); }
  MacAddress src_mac() const { return Mac(6); }
  uint16_t ether_type() const { return this->U16(12); }

  void set_dst_mac(const MacAddress& m) const requires Base::kMutable {
    std::memcpy(this->bytes().data(), m.data(), kMacLength);
  }
  void set_src_mac(const MacAddress& m) const requires Base::kMutable {
    std::memcpy(this->bytes().data() + 6, m.data(), kMacLength);
  }
  void set_ether_type(uint16_t v) const requires Base::kMutable { this->SetU16(12, v); }

 private:
  MacAddress Mac(size_t off) const {
    MacAddress m;
    std::memcpy(m.data(), this->bytes().data() + off, kMacLength);
    return m;
  }
};

// One VLAN tag as it sits in the frame: TPID (0x8100 / 0x88A8) then TCI. Tag i of a frame starts
// at byte 12 + 4 * i.
template <typename B>
class VlanTagViewT : public internal::ViewBase<B> {
  using Base = internal::ViewBase<B>;

 public:
  static constexpr size_t kMinSize = kVlanTagLength;
  explicit VlanTagViewT(std::span<B> bytes) : Base(bytes, kMinSize) {}

  uint16_t tpid() const { return this->U16(0); }
  uint16_t tci() const { return this->U16(2); }
  uint16_t vlan_id() const { return tci() & 0x0fff; }
  uint8_t priority() const { return static_cast<uint8_t>(tci() >> 13); }
  bool drop_eligible() const { return (tci() & 0x1000) != 0; }

  void set_tpid(uint16_t v) const requires Base::kMutable { this->SetU16(0, v); }
  void set_tci(uint16_t v) const requires Base::kMutable { this->SetU16(2, v); }
  void set_vlan_id(uint16_t vid) const requires Base::kMutable {
    set_tci(static_cast<uint16_t>((tci() & 0xf000) | (vid & 0x0fff)));
  }
};

template <typename B>
class Ipv4HeaderViewT : public internal::ViewBase<B> {
  using Base = internal::ViewBase<B>;

 public:
  static constexpr size_t kMinSize = kIpv4MinHeaderLength;
  explicit Ipv4HeaderViewT(std::span<B> bytes) : Base(bytes, kMinSize) {}

  uint8_t version() const { return this->U8(0) >> 4; }
  uint8_t ihl() const { return this->U8(0) & 0x0f; }
  size_t header_length() const { return size_t{ihl()} * 4; }
  uint8_t tos() const { return this->U8(1); }
  uint8_t dscp() const { return tos() >> 2; }
  uint8_t ecn() const { return tos() & 0x03; }
  uint16_t total_length() const { return this->U16(2); }
  uint16_t identification() const { return this->U16(4); }
  uint16_t flags_and_fragment_offset() const { return this->U16(6); }
  bool dont_fragment() const { return (flags_and_fragment_offset() & kIpv4FlagDontFragment) != 0; }
  bool more_fragments() const {
    return (flags_and_fragment_offset() & kIpv4FlagMoreFragments) != 0;
  }
  // In bytes (the wire field counts 8-byte units).
  uint32_t fragment_offset() const {
    return uint32_t{static_cast<uint16_t>(flags_and_fragment_offset() & kIpv4FragmentOffsetMask)} *
           8;
  }
  uint8_t ttl() const { return this->U8(8); }
  uint8_t protocol() const { return this->U8(9); }
  uint16_t checksum() const { return this->U16(10); }
  util::IpAddress src() const { return this->V4At(12); }
  util::IpAddress dst() const { return this->V4At(16); }
  std::span<B> src_bytes() const { return this->bytes().subspan(12, 4); }
  std::span<B> dst_bytes() const { return this->bytes().subspan(16, 4); }
  // Options (IHL*4 - 20 bytes), clamped to the span.
  std::span<B> options() const { return this->Range(kMinSize, header_length()); }

  void set_version_ihl(uint8_t version, uint8_t ihl) const requires Base::kMutable {
    this->SetU8(0, static_cast<uint8_t>((version << 4) | (ihl & 0x0f)));
  }
  void set_tos(uint8_t v) const requires Base::kMutable { this->SetU8(1, v); }
  void set_total_length(uint16_t v) const requires Base::kMutable { this->SetU16(2, v); }
  void set_identification(uint16_t v) const requires Base::kMutable { this->SetU16(4, v); }
  void set_flags_and_fragment_offset(uint16_t v) const requires Base::kMutable {
    this->SetU16(6, v);
  }
  void set_ttl(uint8_t v) const requires Base::kMutable { this->SetU8(8, v); }
  void set_protocol(uint8_t v) const requires Base::kMutable { this->SetU8(9, v); }
  void set_checksum(uint16_t v) const requires Base::kMutable { this->SetU16(10, v); }
  void set_src(const util::IpAddress& a) const requires Base::kMutable {
    this->SetAddressAt(12, a, 4);
  }
  void set_dst(const util::IpAddress& a) const requires Base::kMutable {
    this->SetAddressAt(16, a, 4);
  }
};

template <typename B>
class Ipv6HeaderViewT : public internal::ViewBase<B> {
  using Base = internal::ViewBase<B>;

 public:
  static constexpr size_t kMinSize = kIpv6HeaderLength;
  explicit Ipv6HeaderViewT(std::span<B> bytes) : Base(bytes, kMinSize) {}

  uint8_t version() const { return this->U8(0) >> 4; }
  uint8_t traffic_class() const { return static_cast<uint8_t>((this->U32(0) >> 20) & 0xff); }
  uint32_t flow_label() const { return this->U32(0) & 0x000fffff; }
  uint16_t payload_length() const { return this->U16(4); }
  // The first next-header value (the one in the fixed header, before any extension header).
  uint8_t next_header() const { return this->U8(6); }
  uint8_t hop_limit() const { return this->U8(7); }
  util::IpAddress src() const { return this->V6At(8); }
  util::IpAddress dst() const { return this->V6At(24); }
  std::span<B> src_bytes() const { return this->bytes().subspan(8, 16); }
  std::span<B> dst_bytes() const { return this->bytes().subspan(24, 16); }

  void set_version_class_flow(uint8_t traffic_class,
                              uint32_t flow_label) const requires Base::kMutable {
    this->SetU32(0, (uint32_t{6} << 28) | (uint32_t{traffic_class} << 20) | (flow_label & 0xfffff));
  }
  void set_payload_length(uint16_t v) const requires Base::kMutable { this->SetU16(4, v); }
  void set_next_header(uint8_t v) const requires Base::kMutable { this->SetU8(6, v); }
  void set_hop_limit(uint8_t v) const requires Base::kMutable { this->SetU8(7, v); }
  void set_src(const util::IpAddress& a) const requires Base::kMutable {
    this->SetAddressAt(8, a, 16);
  }
  void set_dst(const util::IpAddress& a) const requires Base::kMutable {
    this->SetAddressAt(24, a, 16);
  }
};

template <typename B>
class TcpHeaderViewT : public internal::ViewBase<B> {
  using Base = internal::ViewBase<B>;

 public:
  static constexpr size_t kMinSize = kTcpMinHeaderLength;
  static constexpr size_t kChecksumOffset = 16;
  explicit TcpHeaderViewT(std::span<B> bytes) : Base(bytes, kMinSize) {}

  uint16_t src_port() const { return this->U16(0); }
  uint16_t dst_port() const { return this->U16(2); }
  uint32_t seq() const { return this->U32(4); }
  uint32_t ack() const { return this->U32(8); }
  // In 32-bit words, as on the wire.
  uint8_t data_offset() const { return this->U8(12) >> 4; }
  size_t header_length() const { return size_t{data_offset()} * 4; }
  uint8_t flags() const { return this->U8(13); }
  uint16_t window() const { return this->U16(14); }
  uint16_t checksum() const { return this->U16(16); }
  uint16_t urgent_pointer() const { return this->U16(18); }
  std::span<B> options() const { return this->Range(kMinSize, header_length()); }

  void set_src_port(uint16_t v) const requires Base::kMutable { this->SetU16(0, v); }
  void set_dst_port(uint16_t v) const requires Base::kMutable { this->SetU16(2, v); }
  void set_seq(uint32_t v) const requires Base::kMutable { this->SetU32(4, v); }
  void set_ack(uint32_t v) const requires Base::kMutable { this->SetU32(8, v); }
  void set_data_offset(uint8_t words) const requires Base::kMutable {
    this->SetU8(12, static_cast<uint8_t>((words << 4) | (this->U8(12) & 0x0f)));
  }
  void set_flags(uint8_t v) const requires Base::kMutable { this->SetU8(13, v); }
  void set_window(uint16_t v) const requires Base::kMutable { this->SetU16(14, v); }
  void set_checksum(uint16_t v) const requires Base::kMutable { this->SetU16(16, v); }
  void set_urgent_pointer(uint16_t v) const requires Base::kMutable { this->SetU16(18, v); }
};

template <typename B>
class UdpHeaderViewT : public internal::ViewBase<B> {
  using Base = internal::ViewBase<B>;

 public:
  static constexpr size_t kMinSize = kUdpHeaderLength;
  static constexpr size_t kChecksumOffset = 6;
  explicit UdpHeaderViewT(std::span<B> bytes) : Base(bytes, kMinSize) {}

  uint16_t src_port() const { return this->U16(0); }
  uint16_t dst_port() const { return this->U16(2); }
  uint16_t length() const { return this->U16(4); }
  uint16_t checksum() const { return this->U16(6); }

  void set_src_port(uint16_t v) const requires Base::kMutable { this->SetU16(0, v); }
  void set_dst_port(uint16_t v) const requires Base::kMutable { this->SetU16(2, v); }
  void set_length(uint16_t v) const requires Base::kMutable { this->SetU16(4, v); }
  void set_checksum(uint16_t v) const requires Base::kMutable { this->SetU16(6, v); }
};

// ICMPv4 and ICMPv6 share the first 8 bytes' layout; identifier/sequence are meaningful for echo.
template <typename B>
class IcmpHeaderViewT : public internal::ViewBase<B> {
  using Base = internal::ViewBase<B>;

 public:
  static constexpr size_t kMinSize = kIcmpHeaderLength;
  static constexpr size_t kChecksumOffset = 2;
  explicit IcmpHeaderViewT(std::span<B> bytes) : Base(bytes, kMinSize) {}

  uint8_t type() const { return this->U8(0); }
  uint8_t code() const { return this->U8(1); }
  uint16_t checksum() const { return this->U16(2); }
  uint16_t identifier() const { return this->U16(4); }
  uint16_t sequence() const { return this->U16(6); }
  uint32_t rest_of_header() const { return this->U32(4); }

  void set_type(uint8_t v) const requires Base::kMutable { this->SetU8(0, v); }
  void set_code(uint8_t v) const requires Base::kMutable { this->SetU8(1, v); }
  void set_checksum(uint16_t v) const requires Base::kMutable { this->SetU16(2, v); }
  void set_identifier(uint16_t v) const requires Base::kMutable { this->SetU16(4, v); }
  void set_sequence(uint16_t v) const requires Base::kMutable { this->SetU16(6, v); }
  void set_rest_of_header(uint32_t v) const requires Base::kMutable { this->SetU32(4, v); }
};

using EthernetView = EthernetViewT<uint8_t>;
using ConstEthernetView = EthernetViewT<const uint8_t>;
using VlanTagView = VlanTagViewT<uint8_t>;
using ConstVlanTagView = VlanTagViewT<const uint8_t>;
using Ipv4HeaderView = Ipv4HeaderViewT<uint8_t>;
using ConstIpv4HeaderView = Ipv4HeaderViewT<const uint8_t>;
using Ipv6HeaderView = Ipv6HeaderViewT<uint8_t>;
using ConstIpv6HeaderView = Ipv6HeaderViewT<const uint8_t>;
using TcpHeaderView = TcpHeaderViewT<uint8_t>;
using ConstTcpHeaderView = TcpHeaderViewT<const uint8_t>;
using UdpHeaderView = UdpHeaderViewT<uint8_t>;
using ConstUdpHeaderView = UdpHeaderViewT<const uint8_t>;
using IcmpHeaderView = IcmpHeaderViewT<uint8_t>;
using ConstIcmpHeaderView = IcmpHeaderViewT<const uint8_t>;

}  // namespace ssr::packet

#endif  // SSR_PACKET_HEADER_VIEWS_H_
