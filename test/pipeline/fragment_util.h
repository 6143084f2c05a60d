// SPDX-License-Identifier: Apache-2.0
// Test helper: splits a whole Ethernet frame (IPv4, or IPv6; hop-by-hop and routing headers stay in
// front of the fragment header, as RFC 8200 puts them) into IP
// fragments the way a host or a router on the path would (RFC 791 / RFC 8200).
#ifndef SSR_TEST_PIPELINE_FRAGMENT_UTIL_H_
#define SSR_TEST_PIPELINE_FRAGMENT_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/parser.h"
#include "packet/protocol.h"

namespace ssr::pipeline::testing {

using Bytes = std::vector<uint8_t>;

// One fragment: data bytes [begin, end) of the fragmentable part; `last` clears MF.
struct Piece {
  uint32_t begin;
  uint32_t end;
  bool last;
};

// The unfragmentable part of an IPv6 packet at `l3`: the IPv6 header and any hop-by-hop /
// routing headers after it; *nh_field: where the byte naming what follows them sits.
inline size_t Ipv6Unfragmentable(const std::vector<uint8_t>& frame, size_t l3, size_t* nh_field) {
  size_t unfrag = 40;
  *nh_field = 6;
  while (frame[l3 + *nh_field] == packet::kIpProtoHopByHop ||
         frame[l3 + *nh_field] == packet::kIpProtoRouting) {
    const size_t len = (size_t{frame[l3 + unfrag + 1]} + 1) * 8;
    *nh_field = unfrag;
    unfrag += len;
  }
  return unfrag;
}

// The fragment of `frame` carrying `p` (IPv4 identification / IPv6 fragment id `id`).
inline std::vector<uint8_t> FragmentOf(const std::vector<uint8_t>& frame, Piece p, uint32_t id) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  const size_t l3 = info.l3_offset;
  std::vector<uint8_t> out(frame.begin(), frame.begin() + static_cast<long>(l3));
  if (info.ip_version == 4) {
    const size_t hl = info.l3_header_length;
    const uint8_t* data = frame.data() + l3 + hl;
    REQUIRE(p.end <= info.l3_length - hl);
    out.insert(out.end(), frame.begin() + static_cast<long>(l3), frame.begin() + static_cast<long>(l3 + hl));
    out.insert(out.end(), data + p.begin, data + p.end);
    uint8_t* ip = out.data() + l3;
    packet::StoreBe16(ip + 2, static_cast<uint16_t>(hl + p.end - p.begin));
    packet::StoreBe16(ip + 4, static_cast<uint16_t>(id));
    packet::StoreBe16(ip + 6, static_cast<uint16_t>((p.last ? 0 : packet::kIpv4FlagMoreFragments) |
                                                    (p.begin / 8)));
    packet::StoreBe16(ip + 10, packet::Ipv4HeaderChecksum({ip, hl}));
  } else {
    size_t nh_field = 0;
    const size_t unfrag = Ipv6Unfragmentable(frame, l3, &nh_field);
    const uint8_t* data = frame.data() + l3 + unfrag;
    REQUIRE(p.end <= info.l3_length - unfrag);
    out.insert(out.end(), frame.begin() + static_cast<long>(l3),
               frame.begin() + static_cast<long>(l3 + unfrag));
    const uint8_t next = out[l3 + nh_field];
    out[l3 + nh_field] = packet::kIpProtoFragment;
    uint8_t fh[8] = {next, 0, 0, 0, 0, 0, 0, 0};
    packet::StoreBe16(fh + 2, static_cast<uint16_t>(p.begin | (p.last ? 0 : 1)));
    packet::StoreBe32(fh + 4, id);
    out.insert(out.end(), fh, fh + 8);
    out.insert(out.end(), data + p.begin, data + p.end);
    packet::StoreBe16(out.data() + l3 + 4, static_cast<uint16_t>(unfrag - 40 + 8 + p.end - p.begin));
  }
  return out;
}

// Fragments of `frame` cut at `cuts` (offsets into the fragmentable part, multiples of 8), in
// order.
inline std::vector<std::vector<uint8_t>> Fragments(const std::vector<uint8_t>& frame,
                                                   std::vector<uint32_t> cuts, uint32_t id) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  size_t nh_field = 0;
  const size_t unfrag = info.ip_version == 4 ? info.l3_header_length
                                             : Ipv6Unfragmentable(frame, info.l3_offset, &nh_field);
  cuts.push_back(static_cast<uint32_t>(info.l3_length - unfrag));
  std::vector<std::vector<uint8_t>> out;
  uint32_t begin = 0;
  for (size_t i = 0; i < cuts.size(); ++i) {
    out.push_back(FragmentOf(frame, Piece{begin, cuts[i], i + 1 == cuts.size()}, id));
    begin = cuts[i];
  }
  return out;
}

// Puts IP fragments (whole Ethernet frames, in any order) back together the way a receiving host
// does, independently of the pipeline's pool: the first fragment's L2 header and unfragmentable
// header, then the data in offset order; IPv4: MF and offset cleared, total length and header
// checksum recomputed; IPv6: the fragment header removed, payload length recomputed. Checks that
// every fragment's IP packet is at most `mtu` bytes, that all share one id and version, that
// non-last fragments carry multiples of 8 and that the data has no gap or overlap.
inline std::vector<uint8_t> Reassemble(const std::vector<std::vector<uint8_t>>& frames,
                                       uint32_t mtu) {
  REQUIRE(frames.size() >= 2);
  struct Part {
    uint32_t offset;
    std::vector<uint8_t> data;
  };
  std::vector<Part> parts;
  std::vector<uint8_t> head;  // L2 + unfragmentable header of the first fragment
  size_t head_l3 = 0;
  uint32_t end = 0;
  uint8_t version = 0;
  uint32_t id = 0;
  uint8_t v6_next = 0;
  size_t v6_nh_field = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    INFO("fragment " << i);
    packet::PacketInfo info;
    REQUIRE(packet::ParseFrame(frames[i], &info) == packet::ParseResult::kOk);
    REQUIRE(info.is_fragment);
    CHECK(info.l3_length <= mtu);
    CHECK(info.l3_offset + info.l3_length == frames[i].size());
    if (i == 0) {
      version = info.ip_version;
      id = info.fragment_id;
    }
    CHECK(info.ip_version == version);
    CHECK(info.fragment_id == id);
    const size_t l3 = info.l3_offset;
    const size_t start = version == 4 ? l3 + info.l3_header_length
                                      : l3 + info.ipv6_fragment_header + 8;
    std::vector<uint8_t> data(frames[i].begin() + static_cast<long>(start), frames[i].end());
    if (info.more_fragments) CHECK(data.size() % 8 == 0);
    if (!info.more_fragments) end = info.fragment_offset + static_cast<uint32_t>(data.size());
    if (info.fragment_offset == 0) {
      head_l3 = l3;
      if (version == 4) {
        head.assign(frames[i].begin(), frames[i].begin() + static_cast<long>(start));
      } else {
        head.assign(frames[i].begin(),
                    frames[i].begin() + static_cast<long>(l3 + info.ipv6_fragment_header));
        v6_nh_field = info.ipv6_fragment_nh_field;
        v6_next = frames[i][l3 + info.ipv6_fragment_header];
      }
    }
    parts.push_back(Part{info.fragment_offset, std::move(data)});
  }
  REQUIRE(!head.empty());
  REQUIRE(end != 0);
  std::sort(parts.begin(), parts.end(),
            [](const Part& a, const Part& b) { return a.offset < b.offset; });
  std::vector<uint8_t> out = head;
  uint32_t next = 0;
  for (const Part& p : parts) {
    REQUIRE(p.offset == next);  // no gap, no overlap
    out.insert(out.end(), p.data.begin(), p.data.end());
    next += static_cast<uint32_t>(p.data.size());
  }
  REQUIRE(next == end);
  uint8_t* ip = out.data() + head_l3;
  const size_t hl = head.size() - head_l3;
  if (version == 4) {
    packet::StoreBe16(ip + 2, static_cast<uint16_t>(hl + end));
    packet::StoreBe16(ip + 6, 0);
    packet::StoreBe16(ip + 10, 0);
    packet::StoreBe16(ip + 10, packet::Ipv4HeaderChecksum({ip, hl}));
  } else {
    ip[v6_nh_field] = v6_next;
    packet::StoreBe16(ip + 4, static_cast<uint16_t>(hl - 40 + end));
  }
  return out;
}

}  // namespace ssr::pipeline::testing

#endif  // SSR_TEST_PIPELINE_FRAGMENT_UTIL_H_
