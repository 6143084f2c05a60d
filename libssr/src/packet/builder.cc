// SPDX-License-Identifier: Apache-2.0
#include "packet/builder.h"

#include "packet/byte_order.h"
#include "packet/checksum.h"

namespace ssr::packet {
namespace {

enum class L4Kind { kNone, kTcp, kUdp, kIcmp };

// Sizes of every part of the packet, computed once and shared by the length queries and writers.
struct Layout {
  bool v6 = false;
  L4Kind l4 = L4Kind::kNone;
  size_t ipv4_options = 0;  // padded
  size_t ip_header = 0;     // 20 + options, or 40
  size_t extensions = 0;    // IPv6 extension headers, including an appended fragment header
  bool append_fragment_header = false;
  size_t tcp_options = 0;  // padded
  size_t l4_header = 0;
  size_t ip_total = 0;
};

constexpr size_t RoundUp(size_t n, size_t unit) { return (n + unit - 1) / unit * unit; }

size_t ExtensionLength(const Ipv6ExtensionSpec& ext) {
  if (ext.type == kIpProtoFragment) return kIpv6FragmentHeaderLength;
  return RoundUp(2 + ext.body.size(), 8);
}

bool ComputeLayout(const PacketSpec& spec, Layout* l) {
  if (spec.src.family() != spec.dst.family()) return false;
  if (spec.vlan_count > kMaxVlanTags) return false;
  if (spec.fragment && (spec.fragment_offset % 8 != 0 || spec.fragment_offset > 0xfff8)) {
    return false;
  }
  l->v6 = spec.src.is_v6();
  const bool non_first_fragment = spec.fragment && spec.fragment_offset != 0;
  if (!non_first_fragment) {
    if (spec.protocol == kIpProtoTcp) {
      l->l4 = L4Kind::kTcp;
    } else if (spec.protocol == kIpProtoUdp) {
      l->l4 = L4Kind::kUdp;
    } else if ((!l->v6 && spec.protocol == kIpProtoIcmp) ||
               (l->v6 && spec.protocol == kIpProtoIcmpv6)) {
      l->l4 = L4Kind::kIcmp;
    }
  }
  switch (l->l4) {
    case L4Kind::kTcp:
      l->tcp_options = RoundUp(spec.tcp_options.size(), 4);
      if (l->tcp_options > kTcpMaxHeaderLength - kTcpMinHeaderLength) return false;
      l->l4_header = kTcpMinHeaderLength + l->tcp_options;
      break;
    case L4Kind::kUdp:
      l->l4_header = kUdpHeaderLength;
      break;
    case L4Kind::kIcmp:
      l->l4_header = kIcmpHeaderLength;
      break;
    case L4Kind::kNone:
      break;
  }
  const size_t l4_total = l->l4_header + spec.payload.size();
  if (l->v6) {
    l->ip_header = kIpv6HeaderLength;
    bool has_fragment_header = false;
    for (const Ipv6ExtensionSpec& ext : spec.ipv6_extensions) {
      const size_t length = ExtensionLength(ext);
      // The length byte counts 8-byte units beyond the first (4-byte units minus 2 for AH).
      if (length > 256 * 8) return false;
      l->extensions += length;
      has_fragment_header |= ext.type == kIpProtoFragment;
    }
    if (spec.fragment && !has_fragment_header) {
      l->append_fragment_header = true;
      l->extensions += kIpv6FragmentHeaderLength;
    }
    if (l->extensions + l4_total > kMaxIpPacketLength) return false;
  } else {
    l->ipv4_options = RoundUp(spec.ipv4_options.size(), 4);
    if (l->ipv4_options > kIpv4MaxOptionsLength) return false;
    l->ip_header = kIpv4MinHeaderLength + l->ipv4_options;
  }
  l->ip_total = l->ip_header + l->extensions + l4_total;
  if (!l->v6 && l->ip_total > kMaxIpPacketLength) return false;
  return true;
}

size_t L2Length(const PacketSpec& spec) {
  return kEthernetHeaderLength + kVlanTagLength * spec.vlan_count;
}

// Writes `bytes` then zeros up to `padded` bytes.
void WritePadded(ByteWriter* w, std::span<const uint8_t> bytes, size_t padded) {
  w->WriteBytes(bytes);
  w->Fill(0, padded - bytes.size());
}

void WriteFragmentHeader(const PacketSpec& spec, uint8_t next_header, ByteWriter* w) {
  w->WriteU8(next_header);
  w->WriteU8(0);
  w->WriteU16(static_cast<uint16_t>(spec.fragment_offset | (spec.more_fragments ? 1u : 0u)));
  w->WriteU32(spec.fragment_id);
}

void WriteIpHeaders(const PacketSpec& spec, const Layout& l, ByteWriter* w) {
  if (!l.v6) {
    uint16_t frag = spec.dont_fragment ? kIpv4FlagDontFragment : 0;
    uint16_t id = spec.ipv4_id;
    if (spec.fragment) {
      frag = static_cast<uint16_t>(frag | (spec.fragment_offset / 8) |
                                   (spec.more_fragments ? kIpv4FlagMoreFragments : 0));
      id = static_cast<uint16_t>(spec.fragment_id);
    }
    w->WriteU8(static_cast<uint8_t>(0x40 | (l.ip_header / 4)));
    w->WriteU8(spec.tos);
    w->WriteU16(static_cast<uint16_t>(l.ip_total));
    w->WriteU16(id);
    w->WriteU16(frag);
    w->WriteU8(spec.ttl);
    w->WriteU8(spec.protocol);
    w->WriteU16(0);  // checksum, backpatched
    w->WriteBytes(spec.src.bytes());
    w->WriteBytes(spec.dst.bytes());
    WritePadded(w, spec.ipv4_options, l.ipv4_options);
    return;
  }
  const auto& exts = spec.ipv6_extensions;
  // Next-header value of the header after extension i (i == exts.size() - 1 for the last one).
  auto next_after = [&](size_t i) -> uint8_t {
    if (i + 1 < exts.size()) return exts[i + 1].type;
    return l.append_fragment_header ? kIpProtoFragment : spec.protocol;
  };
  w->WriteU32((uint32_t{6} << 28) | (uint32_t{spec.tos} << 20) | (spec.flow_label & 0xfffff));
  w->WriteU16(static_cast<uint16_t>(l.ip_total - kIpv6HeaderLength));
  w->WriteU8(exts.empty() ? next_after(static_cast<size_t>(-1)) : exts[0].type);
  w->WriteU8(spec.ttl);
  w->WriteBytes(spec.src.bytes());
  w->WriteBytes(spec.dst.bytes());
  for (size_t i = 0; i < exts.size(); ++i) {
    const Ipv6ExtensionSpec& ext = exts[i];
    if (ext.type == kIpProtoFragment) {
      WriteFragmentHeader(spec, next_after(i), w);
      continue;
    }
    const size_t length = ExtensionLength(ext);
    w->WriteU8(next_after(i));
    w->WriteU8(static_cast<uint8_t>(ext.type == kIpProtoAh ? length / 4 - 2 : length / 8 - 1));
    WritePadded(w, ext.body, length - 2);
  }
  if (l.append_fragment_header) WriteFragmentHeader(spec, spec.protocol, w);
}

void WriteL4Header(const PacketSpec& spec, const Layout& l, ByteWriter* w) {
  switch (l.l4) {
    case L4Kind::kTcp:
      w->WriteU16(spec.src_port);
      w->WriteU16(spec.dst_port);
      w->WriteU32(spec.tcp_seq);
      w->WriteU32(spec.tcp_ack);
      w->WriteU8(static_cast<uint8_t>((l.l4_header / 4) << 4));
      w->WriteU8(spec.tcp_flags);
      w->WriteU16(spec.tcp_window);
      w->WriteU16(0);  // checksum, backpatched
      w->WriteU16(0);  // urgent pointer
      WritePadded(w, spec.tcp_options, l.tcp_options);
      return;
    case L4Kind::kUdp:
      w->WriteU16(spec.src_port);
      w->WriteU16(spec.dst_port);
      w->WriteU16(static_cast<uint16_t>(kUdpHeaderLength + spec.payload.size()));
      w->WriteU16(0);
      return;
    case L4Kind::kIcmp: {
      uint8_t type = static_cast<uint8_t>(spec.icmp_type);
      if (spec.icmp_type == kIcmpEchoRequestOfFamily) {
        type = l.v6 ? kIcmpv6EchoRequest : kIcmpEchoRequest;
      }
      w->WriteU8(type);
      w->WriteU8(spec.icmp_code);
      w->WriteU16(0);
      w->WriteU16(spec.icmp_id);
      w->WriteU16(spec.icmp_seq);
      return;
    }
    case L4Kind::kNone:
      return;
  }
}

void FillChecksums(const PacketSpec& spec, const Layout& l, std::span<uint8_t> ip) {
  if (!l.v6) StoreBe16(ip.data() + 10, Ipv4HeaderChecksum(ip.first(l.ip_header)));
  std::span<uint8_t> segment = ip.subspan(l.ip_header + l.extensions);
  switch (l.l4) {
    case L4Kind::kTcp:
      StoreBe16(segment.data() + TcpHeaderView::kChecksumOffset,
                TransportChecksum(spec.src, spec.dst, kIpProtoTcp, segment));
      break;
    case L4Kind::kUdp:
      StoreBe16(segment.data() + UdpHeaderView::kChecksumOffset,
                UdpChecksum(spec.src, spec.dst, segment));
      break;
    case L4Kind::kIcmp:
      StoreBe16(segment.data() + IcmpHeaderView::kChecksumOffset,
                l.v6 ? TransportChecksum(spec.src, spec.dst, kIpProtoIcmpv6, segment)
                     : IcmpChecksum(segment));
      break;
    case L4Kind::kNone:
      break;
  }
}

// Writes the IP packet into exactly l.ip_total bytes.
void WriteIpInto(const PacketSpec& spec, const Layout& l, std::span<uint8_t> ip) {
  ByteWriter w(ip);
  WriteIpHeaders(spec, l, &w);
  WriteL4Header(spec, l, &w);
  w.WriteBytes(spec.payload);
  FillChecksums(spec, l, ip);
}

}  // namespace

size_t IpPacketLength(const PacketSpec& spec) {
  Layout l;
  return ComputeLayout(spec, &l) ? l.ip_total : 0;
}

size_t FrameLength(const PacketSpec& spec) {
  Layout l;
  if (!ComputeLayout(spec, &l)) return 0;
  const size_t length = L2Length(spec) + l.ip_total;
  return length < spec.min_frame_length ? spec.min_frame_length : length;
}

bool WriteIp(const PacketSpec& spec, ByteWriter* writer) {
  Layout l;
  if (!ComputeLayout(spec, &l) || writer->remaining() < l.ip_total) return false;
  WriteIpInto(spec, l, writer->buffer().subspan(writer->offset(), l.ip_total));
  writer->Skip(l.ip_total);
  return true;
}

bool WriteFrame(const PacketSpec& spec, ByteWriter* writer) {
  Layout l;
  if (!ComputeLayout(spec, &l)) return false;
  const size_t l2 = L2Length(spec);
  const size_t unpadded = l2 + l.ip_total;
  const size_t total = unpadded < spec.min_frame_length ? spec.min_frame_length : unpadded;
  if (writer->remaining() < total) return false;
  ByteWriter w(writer->buffer().subspan(writer->offset(), total));
  w.WriteBytes(spec.dst_mac);
  w.WriteBytes(spec.src_mac);
  for (size_t i = 0; i < spec.vlan_count; ++i) {
    w.WriteU16(spec.vlans[i].tpid == 0 ? kEtherTypeVlan : spec.vlans[i].tpid);
    w.WriteU16(spec.vlans[i].tci);
  }
  w.WriteU16(l.v6 ? kEtherTypeIpv6 : kEtherTypeIpv4);
  WriteIpInto(spec, l, w.buffer().subspan(l2, l.ip_total));
  w.Skip(l.ip_total);
  w.Fill(0, total - unpadded);
  writer->Skip(total);
  return true;
}

size_t BuildIp(const PacketSpec& spec, std::span<uint8_t> out) {
  ByteWriter w(out);
  return WriteIp(spec, &w) ? w.offset() : 0;
}

size_t BuildFrame(const PacketSpec& spec, std::span<uint8_t> out) {
  ByteWriter w(out);
  return WriteFrame(spec, &w) ? w.offset() : 0;
}

}  // namespace ssr::packet
