// SPDX-License-Identifier: Apache-2.0
// Replay filter (replay_filter.h) and the pipeline's use of it: which packets it looks at, and
// when its side array is allocated.
#include "pipeline/replay_filter.h"

#include <algorithm>
#include <cstring>

#include "pipeline/peer_hop.h"
#include "pipeline/pipeline.h"

namespace ssr::pipeline {

ReplayFilter::ReplayFilter(uint32_t slots)
    : slots_(slots), histories_(std::make_unique<History[]>(slots)) {}

uint32_t ReplayFilter::StampOf(const std::array<uint8_t, 16>& uuid) {
  uint32_t words[4];
  std::memcpy(words, uuid.data(), sizeof(words));
  return words[0] ^ words[1] ^ words[2] ^ words[3];
}

uint32_t ReplayFilter::TagOf(std::span<const uint8_t> payload) {
  if (payload.size() < sizeof(uint32_t)) return 1;
  uint32_t tag = 0;
  std::memcpy(&tag, payload.data() + payload.size() - sizeof(tag), sizeof(tag));
  return tag != 0 ? tag : 1;
}

bool ReplayFilter::SeenOrRecord(uint32_t slot, uint32_t stamp, uint32_t tag) {
  History& h = histories_[slot];
  if (h.stamp != stamp) {
    // The slot's history is another (earlier) session's: start clean.
    h.stamp = stamp;
    h.tags.fill(0);
  } else {
    bool seen = false;
    for (const uint32_t t : h.tags) seen |= t == tag;  // no early exit: vectorised compares
    if (seen) return true;
  }
  std::memmove(&h.tags[1], &h.tags[0], (kHistory - 1) * sizeof(uint32_t));
  h.tags[0] = tag;
  return false;
}

// The peers' receive policies are a property of the config snapshot; the side array is sized like
// the session table, which never changes, and is kept once allocated (a reload that turns the
// filter off makes Replayed skip it).
void Pipeline::EnsureReplayFilter(const State& st) {
  if (replay_ != nullptr) return;
  const bool wanted = std::any_of(st.peers.begin(), st.peers.end(),
                                  [](const std::unique_ptr<PeerState>& p) { return p->replay_filter; });
  if (wanted) replay_ = std::make_unique<ReplayFilter>(sessions_->capacity());
}

bool Pipeline::Replayed(const session::Session& s, const PeerState& peer,
                        std::span<const uint8_t> payload) {
  // Only a tag over a fresh per-packet value tells a re-send from a legitimate packet with the
  // same bytes (replay_filter.h).
  if (!peer.replay_filter || (!peer.gcm_recv && (s.flags & session::kPayloadEncrypted) == 0)) {
    return false;
  }
  if (!replay_->SeenOrRecord(sessions_->IndexOf(s), ReplayFilter::StampOf(s.uuid),
                             ReplayFilter::TagOf(payload))) {
    return false;
  }
  Count(PipelineCounter::kReplayDropped);
  return true;
}

}  // namespace ssr::pipeline
