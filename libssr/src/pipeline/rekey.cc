// SPDX-License-Identifier: Apache-2.0
// Automatic rekeying of the hop crypto (docs/protocol.md §4.7.1, crypto/rekey.h,
// pipeline/key_rotation.h).
//
// Design note. A peer's hop crypto (PeerState::send, ::recv) whose policy rekeys is a
// PacketCrypto for one epoch e: it signs / seals under e's key and accepts e-1, e, e+1 within
// their clock-skew windows, checked per packet against the crypto clock (no allocation, no
// branch on the epoch beyond the window comparison). Nothing per packet derives a key:
//   * halfway through epoch e, RekeyTick prepares the PacketCrypto of e+1 (HKDF derivation,
//     context allocation, key expansion) and keeps it in RekeyedHop::next;
//   * at the boundary, the first RekeyTick swaps it in (pointer moves, the counters carried
//     over); the previous object stays in RekeyedHop::next until the next preparation frees it,
//     so the boundary itself neither allocates nor frees;
//   * RekeyTick runs at the start of a burst (ProcessBurst) or an Expire, only when the crypto
//     clock reaches rekey_next_ms_ (the next preparation or boundary): one comparison otherwise.
//   * If the clock jumped (SetWallClockOffset) or no burst ran for a whole epoch, the tick builds
//     the current epoch's object directly (allocation between bursts, as a reload does).
// Established sessions need nothing: a fast-path packet that fails under its session's key is
// tried under the other accepted keys (the next epoch's among them) and its session learns the
// key that verified (hop_key_switched); packets with metadata name their epoch key.
#include <algorithm>
#include <utility>

#include "crypto/rekey.h"
#include "pipeline/peer_hop.h"
#include "pipeline/pipeline.h"
#include "util/status_macros.h"

namespace ssr::pipeline {

absl::StatusOr<std::unique_ptr<crypto::PacketCrypto>> Pipeline::BuildEpochCrypto(
    const State& st, const RekeyedHop& h, uint64_t epoch) const {
  const config::Config& cfg = *st.config;
  const config::Router& r = st.policy->router();
  const config::Peer& pc = r.peers[h.peer];
  const config::SecurityPolicy& p = cfg.security_policies[h.policy];
  SSR_ASSIGN_OR_RETURN(crypto::KeySnapshot keys,
                       keys_.HopSnapshot(cfg, p, r.name, cfg.routers[pc.router].name,
                                         epoch * h.interval_ms));
  crypto::SecurityPolicy c;
  c.hmac = p.hmac;
  c.hmac_mode = p.hmac_mode;
  c.cipher = p.cipher;
  const crypto::NonceSpace nonce{static_cast<uint16_t>(st.policy->router_index()),
                                 options_.worker_id, gcm_sequence_.get()};
  return crypto::PacketCrypto::Create(c, keys, nonce);
}

absl::Status Pipeline::AddRekeyedHops(State& st, uint64_t crypto_now) const {
  const config::Config& cfg = *st.config;
  const config::Router& r = st.policy->router();
  for (size_t i = 0; i < r.peers.size(); ++i) {
    const config::Peer& pc = r.peers[i];
    const size_t send_policy = pc.security_policy;
    const size_t recv_policy =
        r.interfaces[pc.interface].security_policy.value_or(pc.security_policy);
    for (const bool send : {true, false}) {
      const size_t policy = send ? send_policy : recv_policy;
      const config::SecurityPolicy& p = cfg.security_policies[policy];
      if (!p.rekeys()) continue;
      RekeyedHop h;
      h.peer = i;
      h.send = send;
      h.policy = policy;
      h.interval_ms = static_cast<uint64_t>(p.rekey_interval.count()) * 1000;
      h.epoch = crypto::EpochOf(crypto_now, h.interval_ms);
      SSR_ASSIGN_OR_RETURN(std::unique_ptr<crypto::PacketCrypto> pc_epoch,
                           BuildEpochCrypto(st, h, h.epoch));
      PeerState& ps = *st.peers[i];
      (send ? ps.send : ps.recv) = std::move(pc_epoch);
      st.rekey.push_back(std::move(h));
    }
  }
  return absl::OkStatus();
}

void Pipeline::RekeyTick(uint64_t crypto_now) {
  uint64_t next_event = ~uint64_t{0};
  for (RekeyedHop& h : state_.rekey) {
    PeerState& ps = *state_.peers[h.peer];
    std::unique_ptr<crypto::PacketCrypto>& in_use = h.send ? ps.send : ps.recv;
    const uint64_t e = crypto::EpochOf(crypto_now, h.interval_ms);
    if (e != h.epoch) {
      std::unique_ptr<crypto::PacketCrypto> fresh;
      if (h.next != nullptr && h.next_epoch == e) {
        fresh = std::move(h.next);  // prepared ahead: the usual case
      } else {
        absl::StatusOr<std::unique_ptr<crypto::PacketCrypto>> built =
            BuildEpochCrypto(state_, h, e);
        if (!built.ok()) {
          Count(PipelineCounter::kRekeyFailed);
          next_event = std::min(next_event, crypto_now + 1000);
          continue;
        }
        fresh = std::move(*built);
      }
      fresh->mutable_counters().AddFrom(in_use->counters());
      h.next = std::move(in_use);
      h.next_epoch = h.epoch;
      in_use = std::move(fresh);
      h.epoch = e;
      if (h.clocked) Count(PipelineCounter::kRekeyEpochChanged);
    }
    h.clocked = true;
    const uint64_t prepare_at = e * h.interval_ms + h.interval_ms / 2;
    if (h.next_epoch != e + 1) {
      if (crypto_now >= prepare_at) {
        absl::StatusOr<std::unique_ptr<crypto::PacketCrypto>> built =
            BuildEpochCrypto(state_, h, e + 1);
        if (built.ok()) {
          h.next = std::move(*built);
          h.next_epoch = e + 1;
        } else {
          Count(PipelineCounter::kRekeyFailed);  // built at the boundary instead
        }
      } else {
        next_event = std::min(next_event, prepare_at);
      }
    }
    next_event = std::min(next_event, (e + 1) * h.interval_ms);
  }
  rekey_next_ms_ = next_event;
}

}  // namespace ssr::pipeline
