// SPDX-License-Identifier: Apache-2.0
// Peer path choice, failover and revert (docs/protocol.md §5.6, §5.7): which path of a peer a new
// session takes under its service's policy, what happens to the sessions on a path whose status
// or quality changes, and how that status travels from the pipeline that runs the peer layer to
// every pipeline of the router (path_board.h).
//
// Design note.
//  * Choice. A new session toward a peer takes SelectPath (peer/path_selection.h) over the peer's
//    paths: usable (up) paths only; with SLA bounds in the service policy, the paths that meet
//    them first (a path not measured yet meets them); among those the lowest preference rank
//    (ServicePolicy.path_preference, unlisted paths after the listed ones), then the lowest
//    cost, then the lowest latency, then config order. The rank and cost form one vector cost
//    (rank × 65536 + cost) so SelectPath's kVector ordering is exactly that. With no path
//    meeting the SLA, a strict policy refuses the session (no_path_meets_sla), otherwise the
//    best usable path carries it.
//  * Failover. When a path goes down, or stops meeting the SLA of a service policy, the sessions
//    on it whose service allows failover (resiliency FAILOVER / REVERTIBLE_FAILOVER; the
//    default) move to the path a new session of their service would take now, if that is
//    another one; others stay (session_not_moved). The scan visits the whole session table once
//    per such event (a path event is rare; the table is in memory): no allocation.
//  * Revert. When a path comes up or back within an SLA, a check is scheduled after the
//    shortest revert hold-down of the revertible policies; then every session of a revertible
//    service on a path less preferred (rank, cost) than the one it would now take moves there,
//    provided that path has been usable for the policy's hold-down. A path that went down again
//    meanwhile is not chosen (it is not usable), so a flapping path does not pull sessions back.
//  * Board. The pipeline that runs the peer layer publishes every path's record when it changes
//    (status from BFD events, quality after link tests); every pipeline, that one included,
//    applies records that differ from what it holds (SyncPathBoard, one atomic load per Poll
//    when nothing changed). Counters of path events (peer_path_went_up / _down) are counted by
//    the publisher only, so the router's sum counts each event once.
#include <algorithm>
#include <array>
#include <limits>

#include "pipeline/peer_hop.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_internal.h"

namespace ssr::pipeline {

using session::Session;

namespace {

constexpr size_t kMaxCandidates = 64;

peer::ServicePolicy ToPathPolicy(const config::ServicePolicy* sp) {
  peer::ServicePolicy p;
  p.best_path = peer::BestPath::kVector;
  if (sp == nullptr || !sp->HasSla()) {
    p.path_quality_filter = false;
    return p;
  }
  constexpr double kNoBound = std::numeric_limits<double>::infinity();
  p.path_quality_filter = true;
  p.max_latency_ms = sp->max_latency_ms ? *sp->max_latency_ms : kNoBound;
  p.max_jitter_ms = sp->max_jitter_ms ? *sp->max_jitter_ms : kNoBound;
  p.max_loss_percent = sp->max_loss_percent ? *sp->max_loss_percent : kNoBound;
  p.min_mos = sp->min_mos;
  p.best_effort = !sp->strict_sla;
  return p;
}

// Whether `path` meets `policy` (a path not measured yet does; no SLA: always).
bool Within(const peer::ServicePolicy& policy, const peer::PathQuality& q) {
  if (!policy.path_quality_filter) return true;
  peer::PathCandidate c;
  c.up = true;
  c.quality = q;
  return peer::MeetsSla(c, policy);
}

}  // namespace

void Pipeline::BuildPathChoice(const config::Config& cfg, State* st) {
  const size_t n_policies = cfg.service_policies.size();
  st->path_policies.clear();
  for (const config::ServicePolicy& sp : cfg.service_policies) {
    st->path_policies.push_back(ToPathPolicy(&sp));
  }
  st->path_policies.push_back(ToPathPolicy(nullptr));
  size_t slot = 0;
  for (auto& peer : st->peers) {
    peer->first_slot = slot;
    for (PeerPath& path : peer->paths) {
      path.slot = slot < PathBoard::kMaxPaths ? slot : PathBoard::kMaxPaths;
      ++slot;
      path.rank.assign(n_policies + 1, 0);
      for (size_t k = 0; k < n_policies; ++k) {
        const std::vector<std::string>& order = cfg.service_policies[k].path_preference;
        const auto it = std::find(order.begin(), order.end(), path.name);
        path.rank[k] = static_cast<uint32_t>(it - order.begin());  // unlisted: order.size()
      }
    }
  }
}

size_t Pipeline::PathSlot(size_t peer, size_t path) const {
  if (peer >= state_.peers.size() || path >= state_.peers[peer]->paths.size()) {
    return PathBoard::kMaxPaths;
  }
  return state_.peers[peer]->paths[path].slot;
}

const config::ServicePolicy* Pipeline::ServicePolicyOf(size_t service) const {
  const config::Config& cfg = config();
  if (service >= cfg.services.size() || !cfg.services[service].service_policy) return nullptr;
  return &cfg.service_policies[*cfg.services[service].service_policy];
}

Pipeline::PathPick Pipeline::ChoosePeerPath(size_t peer_index, size_t service) const {
  PathPick pick;
  if (peer_index >= state_.peers.size()) return pick;
  const PeerState& peer = *state_.peers[peer_index];
  const config::Config& cfg = config();
  size_t k = cfg.service_policies.size();  // the default policy's index
  if (service < cfg.services.size() && cfg.services[service].service_policy) {
    k = *cfg.services[service].service_policy;
  }
  std::array<peer::PathCandidate, kMaxCandidates> cands;
  const size_t n = std::min(peer.paths.size(), kMaxCandidates);
  for (size_t i = 0; i < n; ++i) {
    const PeerPath& p = peer.paths[i];
    cands[i].up = p.up;
    cands[i].quality = p.quality;
    const uint32_t rank = k < p.rank.size() ? p.rank[k] : 0;
    cands[i].vector_cost = std::min<uint32_t>(rank, 0xffff) * 65536u + std::min(p.cost, 0xffffu);
  }
  const peer::PathChoice c =
      peer::SelectPath(std::span<const peer::PathCandidate>(cands.data(), n),
                       state_.path_policies[k]);
  pick.path = c.index;
  pick.reason = c.reason;
  return pick;
}

bool Pipeline::RebindToPath(Session& s, size_t peer, size_t path_index, uint64_t now_ms) {
  PeerPath& path = state_.peers[peer]->paths[path_index];
  session::FlowKey reverse;
  session::WaypointPool& pool =
      s.reverse.protocol == packet::kIpProtoTcp ? *path.pool_tcp : *path.pool_udp;
  if (sessions_->AllocateWaypoints(pool, now_ms, &reverse, SessionClass(s.forward)) !=
          session::WaypointResult::kOk ||
      sessions_->Rebind(s, session::Direction::kReverse, reverse) != session::InsertResult::kOk) {
    Count(PipelineCounter::kSessionMoveFailed);
    return false;
  }
  s.peer = static_cast<uint32_t>(peer);
  s.peer_path = static_cast<uint32_t>(path_index);
  Resignal(s);
  return true;
}

bool Pipeline::MoveSession(Session& s, size_t to_path, uint64_t now_ms) {
  if (!RebindToPath(s, s.peer, to_path, now_ms)) return false;
  Count(PipelineCounter::kSessionMoved);
  return true;
}

size_t Pipeline::ApplyPeerPathState(size_t peer_index, size_t path_index,
                                    const PathRecord& record, uint64_t now_ms) {
  if (peer_index >= state_.peers.size() || path_index >= state_.peers[peer_index]->paths.size()) {
    return 0;
  }
  if (now_ms > now_ms_) now_ms_ = now_ms;
  PeerState& peer = *state_.peers[peer_index];
  PeerPath& path = peer.paths[path_index];
  const config::Config& cfg = config();
  // Which policies the path stops (or starts) meeting: bit k for policy k (the first 63; the
  // default policy has no SLA).
  bool worse = path.up && !record.up;
  bool better = !path.up && record.up;
  for (size_t k = 0; k < cfg.service_policies.size() && k < 63; ++k) {
    const peer::ServicePolicy& pol = state_.path_policies[k];
    if (!pol.path_quality_filter) continue;
    const bool was = Within(pol, path.quality), is = Within(pol, record.quality);
    worse |= was && !is && record.up;
    better |= !was && is && record.up;
  }
  path.up = record.up;
  path.quality = record.quality;
  if (better) {
    path.usable_since_ms = now_ms;
    uint64_t hold_ms = 0;
    for (const config::ServicePolicy& sp : cfg.service_policies) {
      if (sp.resiliency != config::SessionResiliency::kRevertibleFailover) continue;
      const uint64_t h = static_cast<uint64_t>(sp.revert_hold_down.count()) * 1000;
      if (hold_ms == 0 || h < hold_ms) hold_ms = h;
    }
    if (hold_ms != 0 && (revert_due_ms_ == 0 || now_ms + hold_ms < revert_due_ms_)) {
      revert_due_ms_ = now_ms + hold_ms;
    }
  }
  // One pass over the table: a session on another path of this peer may be stranded there
  // (moves here when the path got better), one on this path may have to leave (it got worse).
  const bool rescue = better && record.up;
  if (!rescue && !worse) return 0;
  size_t moved = 0;
  for (uint32_t i = 0; i < sessions_->capacity(); ++i) {
    Session& s = sessions_->at(i);
    if (!s.live() || s.peer != peer_index || (s.flags & session::kWaypointsAllocated) == 0) {
      continue;
    }
    const config::ServicePolicy* sp = ServicePolicyOf(s.service);
    const size_t k = sp != nullptr ? *cfg.services[s.service].service_policy
                                   : cfg.service_policies.size();
    if (s.peer_path != path_index) {
      // Stranded on a path that is down (or out of its SLA) and found no target when that path
      // failed (session_not_moved): moves here now if a new session of its service would take
      // this path. No hold-down: it is not being carried at all.
      if (!rescue || s.peer_path >= peer.paths.size()) continue;
      if (sp != nullptr && sp->resiliency == config::SessionResiliency::kNone) continue;
      const PeerPath& at = peer.paths[s.peer_path];
      const bool at_out = at.up && !Within(state_.path_policies[k], at.quality);
      if (at.up && !at_out) continue;
      const PathPick pick = ChoosePeerPath(s.peer, s.service);
      if (!pick.path || *pick.path != path_index) continue;
      if (at_out && pick.reason != peer::PathChoiceReason::kWithinSla) continue;
      moved += MoveSession(s, path_index, now_ms) ? 1 : 0;
      continue;
    }
    if (!worse) continue;
    if (path.up && Within(state_.path_policies[k], path.quality)) continue;  // still fine for it
    if (sp != nullptr && sp->resiliency == config::SessionResiliency::kNone) {
      Count(PipelineCounter::kSessionNotMoved);
      continue;
    }
    const PathPick pick = ChoosePeerPath(s.peer, s.service);
    if (!pick.path && !path.up && RerouteSession(s, now_ms)) {
      ++moved;
      continue;
    }
    // Off a path that is down: to the best usable one. Off a path that is up but out of SLA:
    // only to a path within the SLA (best effort would trade one miss for another, and churn).
    const bool target_ok =
        pick.path && *pick.path != path_index &&
        (!path.up || pick.reason == peer::PathChoiceReason::kWithinSla);
    if (!target_ok) {
      Count(PipelineCounter::kSessionNotMoved);
      continue;
    }
    moved += MoveSession(s, *pick.path, now_ms) ? 1 : 0;
  }
  return moved;
}

bool Pipeline::RerouteSession(Session& s, uint64_t now_ms) {
  // Only the router that opened the session toward the peer may send it elsewhere: an egress
  // holds no waypoints of its own, a transit router relays what its previous hop chose.
  if ((s.flags & session::kTransit) != 0 || (s.flags & session::kWaypointsAllocated) == 0) {
    return false;
  }
  bool sla_refused = false;
  const uint32_t index = ChooseUsableRoute(s.service, &sla_refused);
  const config::ServiceRoute* route =
      index != RouteChooser::kNone ? &router().service_routes[index] : nullptr;
  if (route == nullptr || route->kind != config::ServiceRoute::Kind::kPeer ||
      route->peer == s.peer) {
    // Only another peer will do: a session cannot turn into local breakout halfway (the end
    // host's packets would change addresses), and the same peer has no usable path.
    return false;
  }
  const PathPick pick = ChoosePeerPath(route->peer, s.service);
  if (!pick.path) return false;
  // The new peer knows nothing of the session: the metadata RebindToPath re-signals (with a
  // move sequence above 0, so a TCP session is picked up midstream, §2.9) opens it there.
  if (!RebindToPath(s, route->peer, *pick.path, now_ms)) return false;
  s.route = index;
  Count(PipelineCounter::kSessionRerouted);
  return true;
}

void Pipeline::RevertSessions(uint64_t now_ms) {
  revert_due_ms_ = 0;
  const config::Config& cfg = config();
  for (uint32_t i = 0; i < sessions_->capacity(); ++i) {
    Session& s = sessions_->at(i);
    if (!s.live() || (s.flags & session::kWaypointsAllocated) == 0 ||
        s.peer >= state_.peers.size()) {
      continue;
    }
    const config::ServicePolicy* sp = ServicePolicyOf(s.service);
    if (sp == nullptr || sp->resiliency != config::SessionResiliency::kRevertibleFailover) continue;
    PeerState& peer = *state_.peers[s.peer];
    const size_t k = *cfg.services[s.service].service_policy;
    const PathPick pick = ChoosePeerPath(s.peer, s.service);
    if (!pick.path || *pick.path == s.peer_path || s.peer_path >= peer.paths.size()) continue;
    const PeerPath& to = peer.paths[*pick.path];
    const PeerPath& at = peer.paths[s.peer_path];
    // Back only to a more preferred path: lower (rank, cost, config order). A failover target
    // that is merely better measured stays: revert is about preference, not chasing latency.
    const uint64_t to_pref = uint64_t{to.rank[k]} << 32 | uint64_t{to.cost} << 16 | *pick.path;
    const uint64_t at_pref = uint64_t{at.rank[k]} << 32 | uint64_t{at.cost} << 16 | s.peer_path;
    const bool at_ok = at.up && Within(state_.path_policies[k], at.quality);
    if (at_ok && to_pref >= at_pref) continue;
    const uint64_t hold_ms = static_cast<uint64_t>(sp->revert_hold_down.count()) * 1000;
    if (now_ms < to.usable_since_ms + hold_ms) {
      const uint64_t due = to.usable_since_ms + hold_ms;
      if (revert_due_ms_ == 0 || due < revert_due_ms_) revert_due_ms_ = due;
      continue;
    }
    if (MoveSession(s, *pick.path, now_ms)) Count(PipelineCounter::kSessionReverted);
  }
}

void Pipeline::PublishPeerPaths(bool all) {
  if (peer_paths_ == nullptr || board_ == nullptr) return;
  if (published_.size() != peer_paths_->path_count()) {
    published_.assign(peer_paths_->path_count(), PathRecord{});
    layer_up_.assign(peer_paths_->path_count(), 1);  // optimistic: up (peer_layer.cc)
    all = true;
  }
  for (size_t i = 0; i < peer_paths_->path_count(); ++i) {
    const peer::PeerPath& pp = peer_paths_->path(i);
    const auto [first, count] = peer_paths_->PathsOfPeer(pp.peer);
    const size_t slot = PathSlot(pp.peer, i - first);
    PathRecord r;
    r.up = layer_up_[i] != 0;
    r.quality = pp.quality();
    if (!all && r == published_[i]) continue;
    published_[i] = r;
    board_->Publish(slot, r);
  }
}

void Pipeline::SyncPathBoard(uint64_t now_ms) {
  if (board_ != nullptr) {
    const uint64_t gen = board_->generation();
    if (gen != board_seen_) {
      board_seen_ = gen;
      for (size_t p = 0; p < state_.peers.size(); ++p) {
        PeerState& peer = *state_.peers[p];
        for (size_t i = 0; i < peer.paths.size(); ++i) {
          PathRecord r;
          if (!board_->Read(peer.paths[i].slot, &r)) continue;
          PathRecord mine;
          mine.up = peer.paths[i].up;
          mine.quality = peer.paths[i].quality;
          if (r == mine) continue;
          ApplyPeerPathState(p, i, r, now_ms);
        }
      }
    }
  }
  if (revert_due_ms_ != 0 && now_ms >= revert_due_ms_) RevertSessions(now_ms);
}

}  // namespace ssr::pipeline
