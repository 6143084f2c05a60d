// SPDX-License-Identifier: Apache-2.0
// The peer layer inside a pipeline (docs/protocol.md §5.1, §5.7): BFD sessions and link tests
// on every peer path (peer/peer_paths.h), their frames sent and received through this
// pipeline's own ports, and the path status they produce driving new sessions' route and path
// choice and moving established sessions off a path that goes down or out of SLA
// (path_choice.cc).
//
// Design note.
//  * One owner. PeerPaths keeps one BFD session per path; two pipelines of one router running it
//    would look like two peers to the other side. The Router runs it in worker 0 only. BFD
//    frames that the NIC's queue hashing gives to another worker are dropped there
//    (peer_liveness), so on a multi-queue WAN a path's BFD may never come up at this end (see
//    the next point for why that does not stop traffic; a limit of this version, §5.7). The
//    status and quality it measures reach every worker through the router's PathBoard
//    (path_board.h, path_choice.cc), so all workers' sessions fail over and revert alike.
//  * Optimistic until proven down. A path counts as up from the start and until BFD, having come
//    up on it, reports it down (after the hold-down, bfd_session.h). A peer that does not speak
//    BFD, or whose BFD frames never reach this worker, therefore never loses its paths; and
//    sessions can open while BFD is still coming up after a start or a reload.
//  * Frames. PeerPaths builds complete Ethernet frames; the sink copies each into a frame of
//    this worker's pool with the MAC addresses of the neighbour table and the WAN link's VLAN
//    tag, and queues it on the peer's WAN port like any packet (no kernel socket). Received UDP
//    1280 frames from a configured peer go to PeerPaths::Receive, which authenticates and
//    decodes them with the peer's receive policy.
//  * Clocks. PeerPaths runs on unix milliseconds (the time-based HMAC of its frames needs the
//    wall clock, CryptoNow); sessions moved on a status change use the pipeline's monotonic clock.
#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "pipeline/peer_hop.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"
#include "util/status_macros.h"

namespace ssr::pipeline {

absl::StatusOr<std::unique_ptr<peer::PeerPaths>> Pipeline::CreatePeerLayer(
    const State& st) const {
  return peer::PeerPaths::Create(*st.config, st.policy->router_index(), options_.peer_options);
}

void Pipeline::WirePeerLayer(std::unique_ptr<peer::PeerPaths> fresh) {
  if (fresh != nullptr) {
    peer_paths_ = std::move(fresh);
    peer_paths_->SetFrameSink(&Pipeline::PeerSinkThunk, this);
    peer_paths_->AddObserver(&Pipeline::PeerEventThunk, this);
    peer_next_poll_ms_ = 0;
    // A new set of paths: every slot is published again (optimistic up), path_board.h.
    published_.clear();
    layer_up_.clear();
  }
  if (peer_paths_ == nullptr) return;
  // The peers' crypto objects belong to state_, rebuilt by every Reload.
  for (size_t i = 0; i < state_.peers.size(); ++i) {
    peer_paths_->SetPeerCrypto(i, state_.peers[i]->send.get(), state_.peers[i]->recv.get());
  }
}

bool Pipeline::PeerPathUpByAddress(size_t peer, const util::IpAddress& local,
                                   const util::IpAddress& remote) const {
  if (peer >= state_.peers.size()) return true;
  for (const PeerState::Path& p : state_.peers[peer]->paths) {
    if (p.local == local && p.remote == remote) return p.up;
  }
  return true;
}

bool Pipeline::PeerPathUp(size_t peer, size_t path) const {
  return peer < state_.peers.size() && path < state_.peers[peer]->paths.size() &&
         state_.peers[peer]->paths[path].up;
}

void Pipeline::PollPeerLayer(uint64_t now_ms) {
  if (peer_paths_ != nullptr) {
    const uint64_t unix_ms = CryptoNow(now_ms);
    if (unix_ms >= peer_next_poll_ms_) {
      now_ms_ = now_ms;
      peer_next_poll_ms_ = peer_paths_->Poll(unix_ms);
      PublishPeerPaths(false);  // link tests that finished, status events (OnPeerPathEvent)
      FlushTx();
    }
  }
  SyncPathBoard(now_ms);
}

void Pipeline::ReceivePeerFrame(const Packet& pkt) {
  if (peer_paths_ == nullptr) {
    Count(PipelineCounter::kPeerLiveness);
    return;
  }
  Count(PipelineCounter::kPeerFrameIn);
  peer_paths_->Receive(pkt.frame->bytes(), CryptoNow(now_ms_));
  // A reply (a reflected echo, a BFD Final) may be due earlier than the last computed deadline.
  peer_next_poll_ms_ = 0;
}

void Pipeline::PeerSinkThunk(void* self, size_t path, std::span<const uint8_t> frame) {
  static_cast<Pipeline*>(self)->SendPeerFrame(path, frame);
}

void Pipeline::PeerEventThunk(void* self, const peer::PathEvent& event) {
  static_cast<Pipeline*>(self)->OnPeerPathEvent(event);
}

void Pipeline::SendPeerFrame(size_t path, std::span<const uint8_t> frame) {
  constexpr size_t kEthernet = 14;
  const peer::PeerPath& pp = peer_paths_->path(path);
  if (pp.peer >= state_.peers.size() || frame.size() <= kEthernet) return;
  const size_t wan = pp.interface;
  const uint16_t vlan = router().interfaces[wan].vlan;
  // Not ResolveL2: a path whose peer address has no neighbour (a family not configured in the
  // kernel, a peer that is away) is counted apart from data packets' no_neighbor.
  const packet::MacAddress* mac =
      neighbors_.Find(static_cast<uint16_t>(wan), pp.endpoints.remote);
  if (mac == nullptr) {
    Count(PipelineCounter::kPeerFrameNoNeighbor);
    neighbors_.NoteMiss(static_cast<uint16_t>(wan), pp.endpoints.remote);
    return;
  }
  L2Header l2;
  l2.dst = *mac;
  l2.src = macs_[wan];
  const size_t l2_len = vlan != 0 ? kEthernet + 4 : kEthernet;
  io::Frame f;
  if (pool_ == nullptr || pool_->Allocate({&f, 1}) != 1) {
    Count(PipelineCounter::kNoPool);
    return;
  }
  if (frame.size() - kEthernet + l2_len > f.capacity) {
    pool_->Free({&f, 1});
    Count(PipelineCounter::kNoRoom);
    return;
  }
  std::memcpy(f.data, l2.dst.data(), 6);
  std::memcpy(f.data + 6, l2.src.data(), 6);
  size_t at = 12;
  if (vlan != 0) {
    f.data[at++] = 0x81;
    f.data[at++] = 0x00;
    f.data[at++] = static_cast<uint8_t>(vlan >> 8);
    f.data[at++] = static_cast<uint8_t>(vlan);
  }
  std::memcpy(f.data + at, frame.data() + 12, frame.size() - 12);  // EtherType, IP packet
  f.length = static_cast<uint32_t>(at + frame.size() - 12);
  Count(PipelineCounter::kPeerFrameOut);
  Transmit(wan, f);
}

void Pipeline::OnPeerPathEvent(const peer::PathEvent& event) {
  if (event.peer >= state_.peers.size() || event.path >= peer_paths_->path_count()) return;
  if (layer_up_.size() != peer_paths_->path_count()) PublishPeerPaths(true);  // sizes them
  const bool up = event.status == peer::PathStatus::kUp;
  Count(up ? PipelineCounter::kPeerPathUp : PipelineCounter::kPeerPathDown);
  // Published now; every pipeline (this one included) applies it in SyncPathBoard: new sessions
  // avoid a path that is down, sessions on it fail over (path_choice.cc).
  layer_up_[event.path] = up ? 1 : 0;
  PublishPeerPaths(false);
}

}  // namespace ssr::pipeline
