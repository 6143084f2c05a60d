// SPDX-License-Identifier: Apache-2.0
// Burst sealing of the pipeline's fast path (private to libssr/src/pipeline): packets of
// sessions toward a peer whose hop is signed with HMAC-SHA256 — with the payload AES-CBC
// encrypted or not — are sealed together, once per burst, with crypto::BurstSealer
// (intel-ipsec-mb), instead of one at a time with OpenSSL in ToPeer.
//
// Design note. ToPeer composes the frame as always (headers, metadata, plaintext body) and then,
// where it would seal the payload and sign the hop, asks DeferSeal. DeferSeal takes the packet when
// the whole result leaves as one frame on its path (no SVR fragments, no outer fragments, not the
// large frame, fits the path MTU and the buffer), both keys have a burst form and the burst engine
// exists. It does every step of the scalar path except the cipher work, in the same order: the
// session's payload key (ServiceCrypto::SessionKey), the next IV from the service's own IV
// generator (PacketCrypto::BurstPayloadKey: the IV sequence is the one the scalar path would have
// drawn), the peer's current hop key (PacketCrypto::BurstSignKey) and the same counters. A session
// whose payload is not encrypted gets an HMAC-only job. It queues the frame for transmission at its
// place in the interface's transmit queue (so mixed bursts keep their order), with a job for the
// burst. SealDeferred runs the jobs in one BurstSealer call, writes lengths and checksums
// (FinalizeFrame) and the frame lengths in the queue; FlushTx calls it before anything is handed to
// a port, and it runs as well when kMaxBurst jobs are pending. Bytes on the wire are those of the
// scalar path (tests: test/pipeline/burst_crypto_test.cc). A packet carrying metadata is deferred
// too: its metadata payload section was sealed (with the peer's own IV generator) when it was
// encoded, so only the payload and the hop tag wait. Everything else — GCM hops and payloads, SVR
// fragments, outer fragments, the large frame, packets that do not fit — stays on the scalar path,
// and so does every packet when PipelineOptions::burst_crypto is off or the engine is unavailable
// (no intel-ipsec-mb in the build, or a CPU without AVX2/AVX-512 AES: checked at creation, the
// reason kept in Pipeline::burst_crypto_status()).
//
// Small bursts: ProcessBurst defers only when it received at least kMinSealBurst (8) frames; a
// lone packet would wait for a single-lane flush, slower than OpenSSL (bench/RESULTS.md).
//
// Memory: one BurstSeal per pipeline, made at creation (jobs, layouts and IVs for kMaxBurst
// packets); nothing is allocated per packet. Deferred jobs point at keys of the current state_
// and at frames of the burst: they never outlive the burst (ProcessBurst / Expire end with
// FlushTx), so a Reload between bursts finds none pending.
#ifndef SSR_PIPELINE_BURST_SEAL_H_
#define SSR_PIPELINE_BURST_SEAL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "crypto/burst.h"
#include "crypto/cbc.h"
#include "pipeline/encap.h"
#include "pipeline/pipeline.h"

namespace ssr::pipeline {

struct Pipeline::BurstSeal {
  static constexpr size_t kMaxJobs = crypto::BurstSealer::kMaxBurst;
  struct Pending {
    size_t wan = 0;       // interface whose transmit queue holds the frame
    size_t tx_index = 0;  // its position there
    ComposedLayout lay;
  };
  std::unique_ptr<crypto::BurstSealer> sealer;
  size_t count = 0;
  std::array<crypto::SealJob, kMaxJobs> jobs{};
  std::array<Pending, kMaxJobs> pending{};
  std::array<crypto::Iv, kMaxJobs> ivs{};
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_BURST_SEAL_H_
