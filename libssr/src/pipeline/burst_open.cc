// SPDX-License-Identifier: Apache-2.0
// Burst opening of the fast path from peers: DeferOpen (called by HandleWan) and OpenDeferred
// (called by Handle, HandleWan and at the end of ProcessBurstAt). See burst_open.h for the
// design.
#include "pipeline/burst_open.h"

#include <span>

#include "pipeline/peer_hop.h"
#include "pipeline/pipeline_internal.h"

namespace ssr::pipeline {

bool Pipeline::OpenPending() const { return open_ != nullptr && open_->count != 0; }

bool Pipeline::DeferOpen(size_t interface, Packet& pkt, WanPacket& w, uint64_t now_ms) {
  BurstOpen& b = *open_;
  if (!b.active || pkt.reassembled || b.current >= b.frames.size() ||
      pkt.frame != &b.frames[b.current] || !w.hit || w.has_md || w.marker) {
    return false;
  }
  PeerState& peer = *w.peer;
  if (peer.gcm_recv || w.trailer == 0 || peer.replay_filter) return false;
  session::Session& s = *w.hit.session;
  if ((s.flags & session::kTransit) != 0) return false;
  // The key VerifyHop would try first.
  const uint32_t sid = s.context != 0 ? s.context : peer.recv->send_key_id();
  const uint64_t crypto_now = CryptoNow(now_ms);
  const crypto::BurstHmacKey* hk = peer.recv->BurstVerifyKey(sid, crypto_now);
  if (hk == nullptr || hk->tag_size != w.trailer ||
      pkt.info.payload_offset < crypto::kTimeWindowPrefixSize) {
    return false;
  }
  // Decrypt with the burst only where ToLan would decrypt.
  const crypto::BurstCipherKey* ck = nullptr;
  constexpr uint32_t kPayloadFlags = session::kPayloadEncrypted | session::kAdaptivePending |
                                     session::kAdaptiveUnconfirmed | session::kUdpTransform;
  if ((s.flags & kPayloadFlags) == session::kPayloadEncrypted && pkt.info.ttl > 1) {
    ServiceCrypto& sc = *state_.services[s.service];
    if (sc.payload != nullptr && crypto::IsCbc(sc.payload->policy().cipher)) {
      ck = sc.payload->BurstOpenKey(sc.SessionKey(s, crypto_now), crypto_now);
    }
  }
  if (b.count == BurstOpen::kMaxJobs) OpenDeferred();
  const size_t i = b.count++;
  crypto::OpenJob& job = b.jobs[i];
  job.buffer = pkt.buffer();
  job.region_offset = pkt.info.payload_offset;
  job.region_len = w.payload.size();
  job.prefix_len = 0;
  job.hmac_key = hk;
  job.cipher_key = ck;
  job.decrypt = ck != nullptr;
  job.payload_len = 0;
  job.result = crypto::CryptoResult::kNotConfigured;
  BurstOpen::Pending& p = b.pending[i];
  p.frame = b.current;
  p.interface = interface;
  p.pkt = pkt;
  p.w = w;
  p.verify_id = sid;
  b.deferred = true;
  return true;
}

void Pipeline::OpenDeferred() {
  BurstOpen& b = *open_;
  const size_t n = b.count;
  if (n == 0) return;
  b.count = 0;
  const uint64_t now_ms = now_ms_;
  const uint64_t crypto_now = CryptoNow(now_ms);
  b.opener->Open(std::span(b.jobs.data(), n), crypto_now);
  size_t opened = 0;
  for (size_t i = 0; i < n; ++i) {
    const crypto::OpenJob& job = b.jobs[i];
    BurstOpen::Pending& p = b.pending[i];
    Packet& pkt = p.pkt;
    WanPacket& w = p.w;
    PeerState& peer = *w.peer;
    // VerifyHop's steps with the burst's verdict. The preferred key is read again: an earlier
    // packet of the burst may have switched the session's key.
    session::Session& s = *w.hit.session;
    w.security_id = s.context != 0 ? s.context : peer.recv->send_key_id();
    uint32_t used = w.security_id;
    Disposition d = Disposition::kDropped;
    bool ok = true;
    if (job.verified) {
      peer.recv->CountBurstVerified();
      w.l4_len = job.region_len - w.trailer;
      used = p.verify_id;
      ++opened;
    } else if (peer.OpenHopAnyKey(w.security_id, w.payload, crypto_now, &w.l4_len, &used,
                                  /*any_key=*/true) != crypto::CryptoResult::kOk) {
      // Not verified by the burst: the scalar rule on the untouched bytes decides and counts.
      Count(PipelineCounter::kAuthFail);
      ok = false;
    }
    if (ok) {
      if (used != w.security_id) {
        w.security_id = used;
        s.context = used;
        Count(PipelineCounter::kHopKeySwitched);
      }
      neighbors_.Learn(static_cast<uint16_t>(p.interface), pkt.info.src,
                       packet::EthernetView(pkt.frame->bytes()).src_mac());
      b.opened = job.verified && job.decrypt;
      b.open_result = job.result;
      b.open_len = job.payload_len;
      d = HandleWanVerified(pkt, w, now_ms);
      b.opened = false;
    }
    if (d != Disposition::kForwarded && pool_ != nullptr) pool_->Free({pkt.frame, 1});
    if (p.frame < b.dispositions.size()) b.dispositions[p.frame] = d;
  }
  Count(PipelineCounter::kBurstOpened, opened);
}

}  // namespace ssr::pipeline
