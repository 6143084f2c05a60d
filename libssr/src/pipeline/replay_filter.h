// SPDX-License-Identifier: Apache-2.0
// Replay filter: drops an exact re-send of one of a session's recent fast-path packets
// (docs/protocol.md §6 "Replay"; the config knob is SecurityPolicy.replay_filter).
//
// Design note. The SVR trailer carries no sequence number (§4.2), so the receiver cannot keep an
// IPsec / WireGuard style sliding window without changing the wire format. What a receiver can do
// without the peer's help: remember the authentication tags of the last kHistory authenticated
// fast-path packets of each session and drop a packet whose tag is among them. The tag is an
// HMAC (or GCM tag) over the L4 payload and, in time-based mode, the time window (§4.3-4.4), so an
// attacker without the key can only produce a known tag by re-sending a captured packet.
//
// What it catches: a captured packet (TCP or UDP, either direction, at the egress, the ingress or
// a transit router) re-sent while fewer than kHistory newer packets of the same session arrived,
// including duplicates made by the network. What it does not catch: an older packet still inside
// the acceptance window (time-based: the signing window and its neighbours, 4-6 s with the
// default 2 s window; regular mode: forever) once kHistory newer packets pushed it out. At r
// packets per second per session the history spans kHistory / r seconds: 15 packets are 1.5 ms at
// 10 kpps, 150 ms at 100 pps. First packets (with metadata) are not looked at here: an existing
// session recognises them as duplicates (duplicate_first_packet).
//
// When it applies: only to sessions whose packets carry a fresh value under the tag (payload
// encrypted end to end: a fresh CBC IV or GCM nonce per packet; or an AES-GCM hop: a fresh nonce
// per packet). Without one, two legitimate packets with the same payload in the same time window
// have the same tag (TCP pure ACKs, retransmissions, a DNS retry), and dropping them would break
// the flow; such sessions are not filtered (documented limit).
//
// Memory and cost: one 64-byte line per session-table slot (a 4-byte stamp of the session that
// owns the history, and 15 4-byte tag suffixes), allocated once when a peer's receive policy
// turns the filter on (at creation, or at the first reload that does); none otherwise. Per packet:
// one line read, 15 compares and a 60-byte shift, no allocation. The history belongs to the
// session whose stamp (from its UUID) it carries: a slot reused by another session starts clean on
// that session's first fast-path packet, so nothing has to be cleared when sessions end. A
// legitimate packet is dropped only when the low 32 bits of its tag equal one of 15 remembered
// ones of its session: probability 15 / 2^32 (3.5e-9) per packet.
#ifndef SSR_PIPELINE_REPLAY_FILTER_H_
#define SSR_PIPELINE_REPLAY_FILTER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ssr::pipeline {

class ReplayFilter {
 public:
  static constexpr size_t kHistory = 15;

  // One history per session-table slot (`slots`: the table's capacity), zeroed.
  explicit ReplayFilter(uint32_t slots);

  // The value a history is stamped with: the session's UUID folded to 32 bits.
  static uint32_t StampOf(const std::array<uint8_t, 16>& uuid);
  // The remembered part of an authenticated L4 payload's tag: its last 4 bytes (the HMAC tag and
  // the GCM tag both end the payload). 0 stands for an empty entry, so a tag ending in 0 is
  // remembered as 1.
  static uint32_t TagOf(std::span<const uint8_t> payload);

  // True when `tag` is in the history of `slot` (owned by the session stamped `stamp`): a
  // re-send. Otherwise records it as the newest entry (dropping the oldest) and returns false. A
  // history stamped for another session is cleared first.
  bool SeenOrRecord(uint32_t slot, uint32_t stamp, uint32_t tag);

  uint32_t slots() const { return slots_; }
  size_t MemoryBytes() const { return size_t{slots_} * sizeof(History); }

 private:
  struct alignas(64) History {
    uint32_t stamp;
    std::array<uint32_t, kHistory> tags;  // [0] newest
  };
  static_assert(sizeof(History) == 64, "one cache line per slot");

  uint32_t slots_;
  std::unique_ptr<History[]> histories_;
};

}  // namespace ssr::pipeline

#endif  // SSR_PIPELINE_REPLAY_FILTER_H_
