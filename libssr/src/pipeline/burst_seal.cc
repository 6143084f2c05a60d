// SPDX-License-Identifier: Apache-2.0
// Burst sealing of the fast path toward peers: DeferSeal (called by ToPeer) and SealDeferred
// (called by FlushTx). See burst_seal.h for the design.
#include "pipeline/burst_seal.h"

#include "pipeline/burst_open.h"

#include <span>

#include "pipeline/peer_hop.h"
#include "pipeline/pipeline_internal.h"

namespace ssr::pipeline {

void Pipeline::InitBurstSeal() {
  burst_.reset();
  open_.reset();
  if (!options_.burst_crypto) {
    burst_status_ = absl::FailedPreconditionError("PipelineOptions.burst_crypto is off");
    return;
  }
  absl::StatusOr<std::unique_ptr<crypto::BurstSealer>> sealer =
      crypto::BurstSealer::CreateEngine();
  if (!sealer.ok()) {
    burst_status_ = sealer.status();  // the scalar path seals every packet
    return;
  }
  burst_ = std::make_unique<BurstSeal>();
  burst_->sealer = std::move(sealer).value();
  burst_status_ = absl::OkStatus();
  // The receive side (burst_open.h): same library and CPU check, so it exists when sealing does.
  absl::StatusOr<std::unique_ptr<crypto::BurstOpener>> opener = crypto::BurstOpener::Create();
  if (opener.ok()) {
    open_ = std::make_unique<BurstOpen>();
    open_->opener = std::move(opener).value();
  }
}

bool Pipeline::DeferSeal(session::Session& s, PeerState& peer, const PeerPath& path,
                         io::Frame& frame, const ComposedLayout& lay, size_t md_len,
                         size_t body_len, bool encrypt, uint64_t now_ms) {
  if (!burst_now_ || peer.gcm_send || frame.handle == kLargeFrameHandle) return false;
  ServiceCrypto& sc = *state_.services[s.service];
  if (encrypt && (sc.payload == nullptr || !crypto::IsCbc(sc.payload->policy().cipher))) {
    return false;
  }
  const crypto::BurstHmacKey* hk = peer.send->BurstSignKey();
  if (hk == nullptr) return false;
  // The whole result: [metadata][ciphertext][IV][tag] (or [metadata][body][tag]) in one frame
  // that fits the path.
  const size_t region_len =
      md_len + (encrypt ? crypto::CbcPaddedSize(body_len) + crypto::kCbcIvSize : body_len) +
      hk->tag_size;
  const size_t frame_len = size_t{lay.l4_offset} + lay.l4_header_length + region_len;
  if (frame_len > frame.capacity || frame_len - lay.l3_offset > path.path_mtu ||
      lay.payload_offset < crypto::kTimeWindowPrefixSize) {
    return false;
  }
  std::vector<io::Frame>& q = tx_[path.wan];
  if (q.size() == q.capacity()) FlushTx();  // seals what is pending first
  if (burst_->count == BurstSeal::kMaxJobs) SealDeferred();
  const size_t i = burst_->count;
  const crypto::BurstCipherKey* ck = nullptr;
  if (encrypt) {
    const uint64_t crypto_now = CryptoNow(now_ms);
    ck = sc.payload->BurstPayloadKey(sc.SessionKey(s, crypto_now), crypto_now, burst_->ivs[i]);
    if (ck == nullptr) return false;  // the scalar path reports why
  }
  peer.send->CountBurstSigned();

  crypto::SealJob& job = burst_->jobs[i];
  job.buffer = frame.buffer().first(frame_len);
  job.region_offset = lay.payload_offset;
  job.prefix_len = md_len;
  job.payload_len = body_len;
  job.encrypt = encrypt;
  job.iv = encrypt ? burst_->ivs[i].data() : nullptr;
  job.cipher_key = ck;
  job.hmac_key = hk;
  job.out_len = 0;
  job.result = crypto::CryptoResult::kNotConfigured;
  BurstSeal::Pending& p = burst_->pending[i];
  p.wan = path.wan;
  p.tx_index = q.size();
  p.lay = lay;
  q.push_back(frame);  // its place in the order; length and bytes are final after SealDeferred
  ++burst_->count;
  return true;
}

void Pipeline::SealDeferred() {
  BurstSeal& b = *burst_;
  const size_t n = b.count;
  if (n == 0) return;
  b.count = 0;
  b.sealer->Seal(std::span(b.jobs.data(), n), CryptoNow(now_ms_));
  size_t sealed = 0;
  for (size_t i = 0; i < n; ++i) {
    const crypto::SealJob& job = b.jobs[i];
    io::Frame& f = tx_[b.pending[i].wan][b.pending[i].tx_index];
    if (job.result != crypto::CryptoResult::kOk) [[unlikely]] {
      continue;
    }
    f.length = FinalizeFrame(f.buffer(), b.pending[i].lay, static_cast<uint32_t>(job.out_len));
    ++sealed;
  }
  Count(PipelineCounter::kBurstSealed, sealed);
  if (sealed == n) [[likely]] return;
  // A job the library refused (never seen: sizes were checked in DeferSeal): dropped, counted,
  // and taken out of its queue, last first so the positions of the others stay valid.
  for (size_t i = n; i-- > 0;) {
    if (b.jobs[i].result == crypto::CryptoResult::kOk) continue;
    std::vector<io::Frame>& q = tx_[b.pending[i].wan];
    const io::Frame f = q[b.pending[i].tx_index];
    q.erase(q.begin() + static_cast<std::ptrdiff_t>(b.pending[i].tx_index));
    if (pool_ != nullptr) pool_->Free({&f, 1});
    Count(PipelineCounter::kCryptoFail);
  }
}

}  // namespace ssr::pipeline
