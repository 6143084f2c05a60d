// SPDX-License-Identifier: Apache-2.0
// SVR fragmentation in the pipeline (svr_fragment_path.h, docs/protocol.md §2.14): planning,
// Pipeline::SendSvrFragments (called by ToPeer and Relay) and Pipeline::ReassembleSvrFragment (called by
// HandleWan for an authenticated packet with a Fragment TLV).
#include "pipeline/svr_fragment_path.h"

#include <algorithm>
#include <cstring>

#include "packet/byte_order.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"
#include "svr/fragment.h"
#include "svr/packet_edit.h"

namespace ssr::pipeline {

using svr::TlvField;

bool PlanSvrFragments(const Encapsulation& e, uint32_t body_plain, uint32_t path_mtu,
                      SvrFragmentPlan* plan) {
  const uint64_t body =
      uint64_t{body_plain} + crypto::TrailerOverhead(crypto::HmacSuite::kNone, e.payload_cipher,
                                                     body_plain);
  const auto room = [&](uint64_t md) -> uint64_t {
    const uint64_t fixed = uint64_t{e.outer_headers} + md + e.hop_trailer;
    return path_mtu > fixed ? (path_mtu - fixed) & ~uint64_t{7} : 0;
  };
  const uint64_t first_md = uint64_t{e.metadata} + kFragmentTlvSize;
  const uint64_t first = room(first_md);
  const uint64_t rest = room(kRestFragmentMetadata);
  if (first == 0 || rest == 0 || body > kMaxSvrDatagram || body <= first) return false;
  const uint64_t count = 1 + (body - first + rest - 1) / rest;
  if (count > kMaxSvrFragments) return false;
  // The first fragment is full; the second (when more follow) too; the last takes the rest.
  const uint64_t second = std::min(rest, body - first);
  plan->body = static_cast<uint32_t>(body);
  plan->first_data = static_cast<uint32_t>(first);
  plan->rest_data = static_cast<uint32_t>(rest);
  plan->count = static_cast<uint32_t>(count);
  plan->largest = static_cast<uint32_t>(std::max(e.outer_headers + first_md + first,
                                                 e.outer_headers + kRestFragmentMetadata + second) +
                                        e.hop_trailer);
  return true;
}

Disposition Pipeline::SendSvrFragments(PeerState& peer, const PeerState::Path& path,
                                       io::Frame& frame, const ComposedLayout& lay,
                                       size_t md_len, size_t len, const SvrFragmentPlan& plan,
                                       const packet::PacketInfo& inner, uint64_t now_ms) {
  const uint32_t po = lay.payload_offset;
  svr::MetadataLayout first_layout;
  if (len < md_len || len - md_len != plan.body || plan.count < 2 ||
      plan.count > kMaxSvrFragments || md_len < svr::kMetadataHeaderSize ||
      svr::DecodeMetadataHeader(std::span<const uint8_t>(frame.data + po, md_len),
                                &first_layout) != svr::DecodeResult::kOk ||
      first_layout.total() != md_len) {
    Count(PipelineCounter::kExceedsMtu);  // the plan does not match the packet: never sent
    return Disposition::kDropped;
  }
  if (po + md_len + kFragmentTlvSize + plan.first_data + peer.hop_trailer > frame.capacity) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  if (pool_ == nullptr) {
    Count(PipelineCounter::kNoPool);
    return Disposition::kDropped;
  }
  io::Frame rest[kMaxSvrFragments - 1];
  const std::span<io::Frame> more(rest, plan.count - 1);
  const size_t got = pool_->Allocate(more);
  if (got != more.size()) {  // all or nothing: a partial datagram is useless to the peer
    pool_->Free(more.first(got));
    Count(PipelineCounter::kNoPool);
    return Disposition::kDropped;
  }
  const auto fail = [&](PipelineCounter c) {
    pool_->Free(more);
    Count(c);
    return Disposition::kDropped;
  };

  svr::Metadata fmd;
  fmd.Set(TlvField::kFragment);
  fmd.fragment.extended_id = svr_fragment_id_++;
  fmd.fragment.original_id = inner.ip_version == 4 ? static_cast<uint16_t>(inner.fragment_id) : 0;
  fmd.fragment.dont_fragment = inner.ip_version == 4 && inner.dont_fragment;
  fmd.fragment.largest_seen = static_cast<uint16_t>(plan.largest);
  const uint64_t crypto_now = CryptoNow(now_ms);
  const uint8_t* body = frame.data + po + md_len;

  // Fragments 1.. first: they read the body behind what fragment 0 keeps in place.
  fmd.security_id = peer.send->send_key_id();
  fmd.Set(TlvField::kSecurityId);
  size_t offset = plan.first_data;
  for (uint32_t i = 1; i < plan.count; ++i) {
    io::Frame& f = more[i - 1];
    const size_t take = std::min<size_t>(plan.rest_data, plan.body - offset);
    fmd.fragment.offset = static_cast<uint16_t>(offset / 8);
    fmd.fragment.more_fragments = i + 1 < plan.count;
    if (po + kRestFragmentMetadata + take + peer.hop_trailer > f.capacity) {
      return fail(PipelineCounter::kNoRoom);
    }
    std::memcpy(f.data, frame.data, po);
    const size_t ml = svr::EncodeMetadata(fmd, f.buffer().subspan(po, kRestFragmentMetadata));
    if (ml != kRestFragmentMetadata) return fail(PipelineCounter::kCryptoFail);
    std::memcpy(f.data + po + ml, body + offset, take);
    size_t l = ml + take;
    if (peer.SealHop(f.buffer().subspan(po), &l, crypto_now) != crypto::CryptoResult::kOk) {
      return fail(PipelineCounter::kCryptoFail);
    }
    f.length = FinalizeFrame(f.buffer(), lay, static_cast<uint32_t>(l));
    offset += take;
  }

  // Fragment 0 in place: the packet's metadata with the Fragment TLV in front of its header TLVs,
  // then the first part of the body.
  svr::Metadata only;
  only.Set(TlvField::kFragment);
  only.fragment = fmd.fragment;
  only.fragment.offset = 0;
  only.fragment.more_fragments = true;
  uint8_t tlv[kFragmentTlvSize];
  if (svr::EncodeTlvSection(only, svr::TlvSection::kHeader, tlv) != kFragmentTlvSize) {
    return fail(PipelineCounter::kCryptoFail);
  }
  uint8_t* region = frame.data + po;
  constexpr size_t kHdr = svr::kMetadataHeaderSize;
  std::memmove(region + md_len + kFragmentTlvSize, region + md_len, plan.first_data);
  std::memmove(region + kHdr + kFragmentTlvSize, region + kHdr, md_len - kHdr);
  std::memcpy(region + kHdr, tlv, kFragmentTlvSize);
  first_layout.header_length = static_cast<uint16_t>(first_layout.header_length + kFragmentTlvSize);
  if (!svr::WriteMetadataHeader(std::span<uint8_t>(region, kHdr), first_layout)) {
    return fail(PipelineCounter::kCryptoFail);
  }
  size_t l = md_len + kFragmentTlvSize + plan.first_data;
  if (peer.SealHop(frame.buffer().subspan(po), &l, crypto_now) != crypto::CryptoResult::kOk) {
    return fail(PipelineCounter::kCryptoFail);
  }
  frame.length = FinalizeFrame(frame.buffer(), lay, static_cast<uint32_t>(l));
  Transmit(path.wan, frame);
  for (const io::Frame& f : more) Transmit(path.wan, f);
  Count(PipelineCounter::kSvrFragmentedPackets);
  Count(PipelineCounter::kSvrFragmentsSent, plan.count);
  return Disposition::kForwarded;
}

void Pipeline::ExpireSvrFragments(uint64_t now_ms) {
  Count(PipelineCounter::kSvrFragTimeout, svr_reassembly_->Expire(now_ms));
}

std::optional<Disposition> Pipeline::ReassembleSvrFragment(Packet& pkt, const PeerState& peer,
                                                           const svr::Metadata& md,
                                                           const svr::MetadataLayout& layout,
                                                           size_t l4_len, uint64_t now_ms) {
  Count(PipelineCounter::kSvrFragReceived);
  const std::span<uint8_t> payload = pkt.info.Payload(pkt.frame->bytes());
  const size_t md_total = layout.total();
  if (md_total > l4_len || l4_len > payload.size()) {
    Count(PipelineCounter::kMdMalformed);
    return Disposition::kDropped;
  }
  // Key: the peer's address, the Extended ID, and the outer tuple's ports and protocol.
  const uint64_t flow = (uint64_t{pkt.key.src_port} << 40) | (uint64_t{pkt.key.dst_port} << 24) |
                        (uint64_t{pkt.key.protocol} << 16) | (peer.index & 0xffff);
  using R = svr::ReassemblyResult;
  const util::CounterArray<R>& rc = svr_reassembly_->counters();
  const uint64_t timed_out = rc.Get(R::kTimedOut);
  const uint64_t evicted = rc.Get(R::kEvicted);
  svr::FragmentReassembler::Datagram dg;
  const R r = svr_reassembly_->Add(pkt.info.src, md, payload.first(md_total),
                                   payload.subspan(md_total, l4_len - md_total), now_ms, &dg, flow);
  Count(PipelineCounter::kSvrFragTimeout, rc.Get(R::kTimedOut) - timed_out);
  Count(PipelineCounter::kSvrFragPoolFull, rc.Get(R::kEvicted) - evicted);
  switch (r) {
    case R::kIncomplete: return Disposition::kConsumed;
    case R::kComplete: break;
    case R::kDuplicate: Count(PipelineCounter::kSvrFragDuplicate); return Disposition::kDropped;
    case R::kOverlap: Count(PipelineCounter::kSvrFragOverlap); return Disposition::kDropped;
    case R::kTooLarge: Count(PipelineCounter::kSvrFragTooBig); return Disposition::kDropped;
    case R::kBadFragment: Count(PipelineCounter::kSvrFragBadLength); return Disposition::kDropped;
    default: Count(PipelineCounter::kMdMalformed); return Disposition::kDropped;
  }

  // The whole packet: this fragment's outer headers (every fragment has the same), the first
  // fragment's metadata without its Fragment TLV, the body.
  const std::span<const uint8_t> first = dg.first_metadata;
  constexpr size_t kHdr = svr::kMetadataHeaderSize;
  svr::MetadataLayout fl;
  if (svr::DecodeMetadataHeader(first, &fl) != svr::DecodeResult::kOk ||
      fl.total() != first.size()) {
    Count(PipelineCounter::kMdMalformed);
    return Disposition::kDropped;
  }
  size_t at = kHdr;  // the Fragment TLV among the header TLVs
  size_t tlv_len = 0;
  while (at + svr::kTlvHeaderSize <= fl.header_length) {
    const uint16_t type = packet::LoadBe16(first.data() + at);
    tlv_len = svr::kTlvHeaderSize + packet::LoadBe16(first.data() + at + 2);
    if (type == svr::InfoOf(TlvField::kFragment).type) break;
    at += tlv_len;
    tlv_len = 0;
  }
  if (tlv_len == 0 || at + tlv_len > fl.header_length) {
    Count(PipelineCounter::kMdMalformed);
    return Disposition::kDropped;
  }
  const size_t md_out = first.size() - tlv_len;
  const uint32_t po = pkt.info.payload_offset;
  if (po + md_out + dg.payload.size() > pkt.frame->capacity) {
    Count(PipelineCounter::kSvrFragTooBig);
    return Disposition::kDropped;
  }
  uint8_t* out = pkt.frame->data + po;
  std::memcpy(out + kHdr, first.data() + kHdr, at - kHdr);
  std::memcpy(out + at, first.data() + at + tlv_len, first.size() - at - tlv_len);
  fl.header_length = static_cast<uint16_t>(fl.header_length - tlv_len);
  svr::WriteMetadataHeader(std::span<uint8_t>(out, kHdr), fl);
  std::memcpy(out + md_out, dg.payload.data(), dg.payload.size());
  const size_t l3_length = po - pkt.info.l3_offset + md_out + dg.payload.size();
  svr::FixLengthsAndChecksums(pkt.frame->buffer(), pkt.info, l3_length);
  pkt.frame->length = static_cast<uint32_t>(pkt.info.l3_offset + l3_length);
  const uint8_t protocol = pkt.info.l4_protocol;
  if (packet::ParseFrame(pkt.frame->bytes(), &pkt.info) != packet::ParseResult::kOk ||
      pkt.info.is_fragment || pkt.info.l4_protocol != protocol) {
    Count(PipelineCounter::kParseError);
    return Disposition::kDropped;
  }
  Count(PipelineCounter::kSvrFragReassembled);
  return std::nullopt;
}

}  // namespace ssr::pipeline
