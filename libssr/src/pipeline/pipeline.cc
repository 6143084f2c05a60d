// SPDX-License-Identifier: Apache-2.0
// Pipeline core: creation and reload of the config-derived state, bursts and transmission,
// classification by side, session admission and removal. The roles live in their own files (see
// the list in pipeline.h).
#include "pipeline/pipeline.h"

#include <time.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "packet/parser.h"
#include "peer/bfd_packet.h"
#include "pipeline/burst_open.h"
#include "pipeline/burst_seal.h"
#include "pipeline/ip_reassembly.h"
#include "pipeline/peer_hop.h"
#include "pipeline/pipeline_internal.h"
#include "pipeline/replay_filter.h"
#include "pipeline/session_budget.h"
#include "pipeline/svr_fragment_path.h"
#include "session/flow_owner.h"
#include "session/translation.h"
#include "svr/fragment.h"
#include "util/status_macros.h"

namespace ssr::pipeline {

using packet::PacketInfo;
using session::Direction;
using session::FlowKey;
using session::Session;

namespace {
uint64_t MonotonicUs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}
}  // namespace

Pipeline::Pipeline(const PipelineOptions& options)
    : options_(options),
      clock_us_(options.clock_us != nullptr ? options.clock_us : &MonotonicUs),
      neighbors_(options.neighbor_capacity) {}

Pipeline::~Pipeline() {
  // A shared budget outlives this pipeline: give back the units of the sessions that die with it.
  if (own_budget_ != nullptr || sessions_ == nullptr) return;
  for (uint32_t i = 0; i < sessions_->capacity(); ++i) {
    if (sessions_->at(i).live()) ReleaseBudget(sessions_->at(i));
  }
}

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(const PipelineOptions& options) {
  if (options.config == nullptr) return absl::InvalidArgumentError("PipelineOptions.config is null");
  std::unique_ptr<Pipeline> p(new Pipeline(options));
  SSR_RETURN_IF_ERROR(p->Init());
  return p;
}

session::SessionTableOptions Pipeline::TableOptions(const config::Config& cfg) const {
  session::SessionTableOptions topt;
  topt.max_sessions = options_.max_sessions != 0 ? options_.max_sessions : cfg.limits.max_sessions;
  topt.timeouts = cfg.timeouts;
  topt.max_embryonic_per_source = cfg.limits.max_embryonic_per_source;
  topt.max_embryonic_per_tenant = cfg.limits.max_embryonic_per_tenant;
  topt.pressure_percent = cfg.limits.embryonic_pressure_percent;
  topt.embryonic_pressure_timeout_ms =
      uint64_t{cfg.limits.tcp_embryonic_under_pressure_seconds} * 1000;
  return topt;
}

absl::Status Pipeline::Init() {
  SSR_ASSIGN_OR_RETURN(state_, BuildState(std::move(options_.config)));
  const config::Config& cfg = config();
  const config::Router& r = router();
  const size_t router_index = state_.policy->router_index();

  SSR_ASSIGN_OR_RETURN(sessions_, session::SessionTable::Create(TableOptions(cfg)));
  sessions_->SetRemovalCallback(&Pipeline::RemovalThunk, this);
  sessions_->SetTenantCount(static_cast<uint32_t>(cfg.tenants.size()));
  uuids_ = std::make_unique<UuidIndex>(sessions_->capacity());
  EnsureReplayFilter(state_);
  reassembly_ = std::make_unique<IpReassembly>(cfg.limits.ip_reassembly_slots,
                                               cfg.limits.ip_reassembly_timeout_ms);
  svr::FragmentReassembler::Options sro;
  sro.slots = std::max<uint32_t>(1, options_.svr_reassembly_slots);
  sro.max_datagram = kMaxSvrDatagram;
  sro.timeout_ms = options_.svr_reassembly_timeout_ms;
  sro.max_first_metadata = md_buf_.size() + kFragmentTlvSize;
  svr_reassembly_ = std::make_unique<svr::FragmentReassembler>(sro);
  svr_fragment_id_ = uint32_t{options_.worker_id} << 24;
  large_ = std::make_unique<uint8_t[]>(kLargeFrameSize);

  const size_t n_if = r.interfaces.size();
  macs_.resize(n_if);
  for (size_t i = 0; i < n_if; ++i) {
    if (i < options_.interface_macs.size()) {
      macs_[i] = options_.interface_macs[i];
    } else {
      macs_[i] = {0x02, 0x55, static_cast<uint8_t>(router_index), 0, 0, static_cast<uint8_t>(i)};
    }
  }
  ports_.assign(n_if, nullptr);
  tx_.resize(n_if);
  for (auto& q : tx_) q.reserve(io::kMaxBurst * 4);
  InitBurstSeal();
  budget_ = options_.budget;
  if (budget_ == nullptr) {
    own_budget_ = std::make_unique<SessionBudget>(cfg.limits.max_sessions);
    budget_ = own_budget_.get();
  }
  tenant_budget_.clear();
  for (const auto& t : cfg.tenants) tenant_budget_.push_back(&budget_->ForTenant(t.name));
  SSR_ASSIGN_OR_RETURN(uuid_source_, crypto::IvGenerator::Create());
  uint8_t start[16];
  uuid_source_->Next(std::span<uint8_t, 16>(start));
  fragment_id_ = uint32_t{start[0]} << 24 | uint32_t{start[1]} << 16 |
                 uint32_t{start[2]} << 8 | start[3];
  SetInterfaceMtus();
  service_counts_.assign(cfg.services.size(), ServiceCounts{});
  board_ = options_.path_board;
  if (options_.run_peer_layer) {
    if (board_ == nullptr) {
      own_board_ = std::make_unique<PathBoard>();
      board_ = own_board_.get();
    }
    SSR_ASSIGN_OR_RETURN(std::unique_ptr<peer::PeerPaths> layer, CreatePeerLayer(state_));
    WirePeerLayer(std::move(layer));
  }
  return absl::OkStatus();
}

absl::StatusOr<Pipeline::State> Pipeline::BuildState(
    std::shared_ptr<const config::Config> config) const {
  State st;
  SSR_ASSIGN_OR_RETURN(st.policy, policy::RouterPolicy::Build(config, options_.router));
  const size_t router_index = st.policy->router_index();
  const config::Router& r = st.policy->router();
  const config::Config& cfg = *config;
  if (router_index > crypto::kMaxSenderId) {
    return absl::InvalidArgumentError(
        absl::StrCat("router \"", r.name, "\" has index ", router_index,
                     ": AES-GCM nonce spaces allow at most ", crypto::kMaxSenderId + 1, " routers"));
  }
  const crypto::NonceSpace nonce{static_cast<uint16_t>(router_index), options_.worker_id,
                                 gcm_sequence_.get()};
  for (size_t i = 0; i < r.peers.size(); ++i) {
    SSR_ASSIGN_OR_RETURN(std::unique_ptr<PeerState> ps, PeerState::Create(cfg, r, i, nonce, keys_));
    st.peers.push_back(std::move(ps));
  }
  st.services.resize(cfg.services.size());
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    SSR_ASSIGN_OR_RETURN(st.services[i], ServiceCrypto::Create(cfg, i, nonce, keys_));
  }
  st.routes.Build(cfg, r);
  BuildPathChoice(cfg, &st);
  st.config = std::move(config);
  SSR_RETURN_IF_ERROR(AddRekeyedHops(st, CryptoNow(now_ms_)));
  return st;
}


absl::Status Pipeline::Reload(std::shared_ptr<const config::Config> config) {
  if (config == nullptr) return absl::InvalidArgumentError("Reload: config is null");
  // Keys this reload takes out of service stay accepted for their overlap (key_rotation.h); a
  // reload that fails leaves them as they were.
  struct RestoreKeys {
    KeyRotation& keys;
    KeyRotation before;
    bool applied = false;
    ~RestoreKeys() {
      if (!applied) keys = std::move(before);
    }
  } restore_keys{keys_, keys_};
  keys_.Reload(*state_.config, *config, CryptoNow(now_ms_));
  SSR_ASSIGN_OR_RETURN(State st, BuildState(std::move(config)));
  // Ports, MACs and transmit queues are bound per interface index: the interface list must stay.
  const config::Router& now = router();
  const config::Router& next = st.policy->router();
  bool same = now.interfaces.size() == next.interfaces.size();
  for (size_t i = 0; same && i < now.interfaces.size(); ++i) {
    same = now.interfaces[i].name == next.interfaces[i].name &&
           now.interfaces[i].role == next.interfaces[i].role;
  }
  if (!same) {
    return absl::FailedPreconditionError(absl::StrCat(
        "router \"", options_.router,
        "\": the reloaded config changes the router's interfaces (names, order or roles); "
        "restart the router to apply it"));
  }
  // Established sessions stay (their keys, UUIDs, TCP state and timers are untouched); their
  // tenant / service / peer indices are mapped by name onto the new config. A session whose
  // tenant, service or peer no longer exists is removed (counted); the new access policy applies
  // to new sessions.
  const config::Config& old_cfg = *state_.config;
  const config::Config& new_cfg = *st.config;
  // The peer layer keeps its BFD sessions when the peers and their paths are the same, else it
  // starts again from the new config (paths count as up until BFD says otherwise, peer_layer.cc).
  std::unique_ptr<peer::PeerPaths> fresh_peer_layer;
  if (options_.run_peer_layer) {
    bool same_peers = now.peers.size() == next.peers.size();
    for (size_t i = 0; same_peers && i < now.peers.size(); ++i) {
      same_peers = now.peers[i].name == next.peers[i].name &&
                   now.peers[i].liveness == next.peers[i].liveness &&
                   now.peers[i].paths.size() == next.peers[i].paths.size();
      for (size_t k = 0; same_peers && k < now.peers[i].paths.size(); ++k) {
        same_peers = now.peers[i].paths[k].interface == next.peers[i].paths[k].interface &&
                     now.peers[i].paths[k].address == next.peers[i].paths[k].address &&
                     now.peers[i].paths[k].cost == next.peers[i].paths[k].cost;
      }
    }
    if (!same_peers) {
      SSR_ASSIGN_OR_RETURN(fresh_peer_layer, CreatePeerLayer(st));
    }
  }
  // Tenant counters of the new config (by name, so live sessions stay counted where they are).
  std::vector<std::atomic<uint32_t>*> tenant_budget;
  for (const auto& t : new_cfg.tenants) tenant_budget.push_back(&budget_->ForTenant(t.name));
  for (uint32_t i = 0; i < sessions_->capacity(); ++i) {
    Session& s = sessions_->at(i);
    if (!s.live()) continue;
    const std::optional<size_t> t = new_cfg.TenantIndex(old_cfg.tenants[s.tenant].name);
    const std::optional<size_t> v = new_cfg.ServiceIndex(old_cfg.services[s.service].name);
    std::optional<size_t> p;
    // The session's route, by name (route_choice.h): gone from the new config, the session goes.
    std::optional<size_t> route;
    if (s.route < now.service_routes.size()) {
      for (size_t k = 0; k < next.service_routes.size(); ++k) {
        if (next.service_routes[k].name == now.service_routes[s.route].name) route = k;
      }
    }
    if ((s.flags & session::kLocalBreakout) != 0) {
      p = 0;
    } else {
      const std::string& name = now.peers[s.peer].name;
      for (size_t k = 0; k < next.peers.size(); ++k) {
        if (next.peers[k].name == name) p = k;
      }
    }
    if (!t || !v || !p || !route) {
      Forget(s, now_ms_);
      Count(PipelineCounter::kReloadRemoved);
      continue;
    }
    s.tenant = static_cast<uint32_t>(*t);
    s.service = static_cast<uint32_t>(*v);
    s.peer = static_cast<uint32_t>(*p);
    s.route = static_cast<uint32_t>(*route);
  }
  // Peer path states (SetPeerPathUp) carry over for peers and addresses that remain.
  for (const auto& old_peer : state_.peers) {
    for (auto& new_peer : st.peers) {
      if (new_peer->config->name != old_peer->config->name) continue;
      for (PeerState::Path& path : new_peer->paths) {
        const size_t was = old_peer->PathIndexFor(path.wan, path.remote);
        if (was < old_peer->paths.size()) {
          path.up = old_peer->paths[was].up;
          path.quality = old_peer->paths[was].quality;
          path.usable_since_ms = old_peer->paths[was].usable_since_ms;
        }
      }
    }
  }
  state_ = std::move(st);
  service_counts_.assign(state_.config->services.size(), ServiceCounts{});
  SetInterfaceMtus();
  WirePeerLayer(std::move(fresh_peer_layer));
  tenant_budget_ = std::move(tenant_budget);
  EnsureReplayFilter(state_);  // a policy may have turned the replay filter on
  // The new timeouts and embryonic limits apply to live sessions too (the table's size does not
  // change: limits.max_sessions takes a restart); tenant indices were remapped, so the embryonic
  // counts are rebuilt under the new caps.
  sessions_->Retune(TableOptions(new_cfg));
  sessions_->SetTenantCount(static_cast<uint32_t>(new_cfg.tenants.size()));
  restore_keys.applied = true;
  rekey_next_ms_ = 0;  // the new hop crypto's next epoch event (rekey.cc)
  Count(PipelineCounter::kReloads);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Bursts and transmission

size_t Pipeline::Poll(uint64_t now_ms) { return Poll(now_ms, clock_us_()); }

size_t Pipeline::Poll(uint64_t now_ms, uint64_t now_us) {
  size_t received = 0;
  std::array<io::Frame, io::kMaxBurst> frames;
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] == nullptr) continue;
    const size_t n = ports_[i]->Receive(frames);
    if (n == 0) continue;
    received += n;
    ProcessBurstAt(i, std::span(frames.data(), n), now_ms, now_us, {});
  }
  PollPeerLayer(now_ms);
  for (io::Port* p : ports_) {
    if (p != nullptr) p->Flush();
  }
  return received;
}

void Pipeline::ProcessBurst(size_t interface, std::span<io::Frame> frames, uint64_t now_ms,
                            std::span<Disposition> dispositions) {
  ProcessBurstAt(interface, frames, now_ms, clock_us_(), dispositions);
}

void Pipeline::ProcessBurstAt(size_t interface, std::span<io::Frame> frames, uint64_t now_ms,
                              uint64_t now_us, std::span<Disposition> dispositions) {
  now_ms_ = now_ms;
  burst_us_ = now_us;
  MaybeRekey(now_ms);  // between bursts: at most one comparison unless an epoch event is due
  // The kernel copied these frames into the Umem, often on another CPU (the veth receive runs
  // where the sender runs): the first read of each header is a cache miss that costs more than
  // parsing it. Asking for all headers of the burst up front overlaps those misses. Two lines
  // cover Ethernet + IP + L4 + the SVR cookie; the headers are rewritten, hence "for write".
  for (const io::Frame& f : frames) {
    __builtin_prefetch(f.data, 1, 3);
    __builtin_prefetch(f.data + 64, 1, 3);
  }
  // Burst sealing pays off from a few packets on (one alone waits for a lane flush that costs
  // more than OpenSSL): smaller bursts are sealed one at a time (burst_seal.h).
  burst_now_ = burst_ != nullptr && frames.size() >= kMinSealBurst;
  // Burst opening likewise (burst_open.h): deferred packets get their disposition when the burst
  // opens them (OpenDeferred), in arrival order.
  if (open_ != nullptr) {
    open_->active = frames.size() >= kMinSealBurst;
    open_->frames = frames;
    open_->dispositions = dispositions;
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    counters_.Increment(PipelineCounter::kRxPackets);
    created_service_ = kNoService;
    if (open_ != nullptr) open_->current = i;
    const Disposition d = Handle(interface, frames[i], now_ms);
    if (open_ != nullptr && std::exchange(open_->deferred, false)) continue;
    // A session's first packet on its way out: measured when its TX flush submits it.
    if (created_service_ != kNoService && d == Disposition::kForwarded &&
        pending_setup_count_ < pending_setups_.size()) {
      pending_setups_[pending_setup_count_++] = created_service_;
    }
    if (d != Disposition::kForwarded && pool_ != nullptr) pool_->Free({&frames[i], 1});
    if (i < dispositions.size()) dispositions[i] = d;
  }
  if (open_ != nullptr) {
    OpenDeferred();
    open_->active = false;
    open_->frames = {};
    open_->dispositions = {};
  }
  burst_now_ = false;
  FlushTx();
}

uint32_t Pipeline::Expire(uint64_t now_ms, uint32_t budget) {
  now_ms_ = now_ms;
  MaybeRekey(now_ms);
  const uint32_t n = sessions_->Expire(now_ms, budget);
  counters_.Increment(PipelineCounter::kIpFragTimeout, reassembly_->Expire(now_ms));
  ExpireSvrFragments(now_ms);
  SendKeepAlives(now_ms, budget);
  FlushTx();
  return n;
}

void Pipeline::FlushTx() {
  if (burst_ != nullptr) SealDeferred();  // frames waiting for their burst seal go sealed
  for (size_t i = 0; i < tx_.size(); ++i) {
    std::vector<io::Frame>& q = tx_[i];
    if (q.empty()) continue;
    size_t sent = 0;
    if (ports_[i] != nullptr) sent = ports_[i]->Transmit(q);
    counters_.Increment(PipelineCounter::kTxPackets, sent);
    if (sent < q.size()) {
      counters_.Increment(PipelineCounter::kTxRingFull, q.size() - sent);
      if (pool_ != nullptr) pool_->Free(std::span(q).subspan(sent));
    }
    q.clear();
  }
  if (pending_setup_count_ != 0) RecordSetups();
}

void Pipeline::RecordSetups() {
  const uint64_t now_us = clock_us_();  // one read per flush that carries first packets
  const uint64_t us = now_us > burst_us_ ? now_us - burst_us_ : 0;
  const size_t bucket = SetupBucket(us);
  for (size_t i = 0; i < pending_setup_count_; ++i) {
    const uint32_t service = pending_setups_[i];
    if (service >= service_counts_.size()) continue;  // a reload since (indices changed)
    ServiceCounts& c = service_counts_[service];
    ++c.setup_buckets[bucket];
    ++c.setup_count;
    c.setup_sum_us += us;
  }
  pending_setup_count_ = 0;
}

// ---------------------------------------------------------------------------------------------
// Classification

void Pipeline::SetInterfaceMtus() {
  if_mtu_.clear();
  for (const config::Interface& itf : router().interfaces) if_mtu_.push_back(itf.mtu);
}

uint32_t Pipeline::FlowOwner(size_t interface, std::span<const uint8_t> frame,
                             const packet::PacketInfo& info, uint32_t self) const {
  const uint32_t workers = options_.workers;
  if (info.is_fragment) {  // every fragment of a datagram to one worker; ports are not in all
    return session::OwnerOf(session::FlowClass(info.src, 0, info.dst, 0, 0), workers);
  }
  if (IsWan(interface)) {
    if (info.icmp_is_error) {  // about a packet we sent: its source port is our waypoint port
      packet::IcmpQuote q;
      if (packet::ParseIcmpQuote(frame, info, &q) != packet::IcmpQuoteResult::kOk ||
          (q.l4_protocol != packet::kIpProtoTcp && q.l4_protocol != packet::kIpProtoUdp)) {
        return self;
      }
      return session::OwnerOf(session::PortClass(q.src_port), workers);
    }
    if (!info.is_tcp() && !info.is_udp()) return self;
    if (info.is_udp() && info.dst_port == peer::kBfdPort) return 0;  // the peer layer's worker
    return session::OwnerOf(session::PortClass(info.dst_port), workers);
  }
  if (info.icmp_is_error) {
    packet::IcmpQuote q;
    if (packet::ParseIcmpQuote(frame, info, &q) != packet::IcmpQuoteResult::kOk) return self;
    return session::OwnerOf(
        session::FlowClass(q.src, q.src_port, q.dst, q.dst_port, q.l4_protocol), workers);
  }
  uint16_t sport = 0;
  uint16_t dport = 0;
  if (info.is_tcp() || info.is_udp()) {
    sport = info.src_port;
    dport = info.dst_port;
  } else if (info.is_icmp() && info.icmp_is_echo) {
    sport = info.icmp_identifier;
  }
  return session::OwnerOf(session::FlowClass(info.src, sport, info.dst, dport, info.l4_protocol),
                          workers);
}

Disposition Pipeline::ProcessHandedOff(size_t interface, io::Frame& frame, bool reassembled,
                                       uint64_t now_ms, uint64_t now_us) {
  now_ms_ = now_ms;
  // Setups pending from this drain keep the drain's start; a new batch starts at now_us.
  if (pending_setup_count_ == 0) burst_us_ = now_us;
  counters_.Increment(PipelineCounter::kHandoffReceived);
  handed_off_ = true;
  created_service_ = kNoService;
  const Disposition d = Handle(interface, frame, now_ms, reassembled);
  handed_off_ = false;
  if (created_service_ != kNoService && d == Disposition::kForwarded &&
      pending_setup_count_ < pending_setups_.size()) {
    pending_setups_[pending_setup_count_++] = created_service_;
  }
  if (d != Disposition::kForwarded && pool_ != nullptr) pool_->Free({&frame, 1});
  return d;
}

void Pipeline::FlushHandedOff() { FlushTx(); }

Disposition Pipeline::Handle(size_t interface, io::Frame& frame, uint64_t now_ms,
                             bool reassembled) {
  Packet pkt;
  pkt.frame = &frame;
  pkt.reassembled = reassembled;
  const packet::ParseResult pr = packet::ParseFrame(frame.bytes(), &pkt.info);
  if (pr != packet::ParseResult::kOk) {
    // A first fragment whose transport header does not fit in it (RFC 1858's tiny fragment).
    if (pkt.info.is_first_fragment &&
        (pr == packet::ParseResult::kTruncatedTcp || pr == packet::ParseResult::kTruncatedUdp ||
         pr == packet::ParseResult::kTruncatedIcmp || pr == packet::ParseResult::kTruncatedIcmpv6 ||
         pr == packet::ParseResult::kTcpDataOffsetBeyondSegment)) {
      Count(PipelineCounter::kIpFragTiny);
      return Disposition::kDropped;
    }
    parse_counters_.Increment(pr);
    Count(pr == packet::ParseResult::kUnsupportedEtherType ? PipelineCounter::kNotIp
                                                            : PipelineCounter::kParseError);
    return Disposition::kDropped;
  }
  if (interface >= router().interfaces.size()) {
    Count(PipelineCounter::kUnknownInterface);
    return Disposition::kDropped;
  }
  const PacketInfo& info = pkt.info;
  // A WAN link is one VLAN (the interface's `vlan`, 0 = untagged): anything else never reaches
  // the peer checks, the fragment pool or a session lookup (docs/protocol.md §2.17).
  if (const config::Interface& itf = router().interfaces[interface];
      itf.role == config::InterfaceRole::kWan &&
      (info.vlan_count != (itf.vlan != 0 ? 1 : 0) ||
       (itf.vlan != 0 && info.vlans[0].vlan_id() != itf.vlan))) {
    Count(PipelineCounter::kWanVlanMismatch);
    return Disposition::kDropped;
  }
  // Flow steering (§2.10.2): one branch when the router has one worker.
  if (options_.workers > 1 && !std::exchange(handed_off_, false)) {
    const uint32_t owner = FlowOwner(interface, frame.bytes(), info, options_.worker_id);
    if (owner != options_.worker_id) {
      switch (options_.steer(options_.steer_context, owner, interface, frame, reassembled)) {
        case PipelineOptions::SteerResult::kHandedOff:
          Count(PipelineCounter::kHandoffSent);
          return Disposition::kConsumed;
        case PipelineOptions::SteerResult::kRingFull:
          Count(PipelineCounter::kHandoffRingFull);
          return Disposition::kDropped;
        case PipelineOptions::SteerResult::kTooLarge:
          break;
      }
      Count(PipelineCounter::kHandoffTooLarge);
      return Disposition::kDropped;
    }
  }
  // Packets waiting for their burst opening go first: processing order is arrival order.
  if (OpenPending() && (info.is_fragment || info.icmp_is_error || !IsWan(interface))) {
    OpenDeferred();
  }
  if (info.is_fragment) return HandleFragment(interface, frame, info, now_ms);
  FlowKey& k = pkt.key;
  k.src = info.src;
  k.dst = info.dst;
  k.protocol = info.l4_protocol;
  if (info.is_tcp() || info.is_udp()) {
    k.src_port = info.src_port;
    k.dst_port = info.dst_port;
  } else if (info.is_icmp() && info.icmp_is_echo) {
    k.src_port = info.icmp_identifier;
  }
  k.side = static_cast<uint16_t>(interface);
  k.vlan = info.vlan_count != 0 ? info.vlans[info.vlan_count - 1].vlan_id() : 0;
  // An ICMP error is about another packet: it never opens a session (§2.11.1).
  if (info.icmp_is_error) return HandleIcmpError(pkt, now_ms);
  return IsWan(interface) ? HandleWan(interface, pkt, now_ms) : HandleLan(interface, pkt, now_ms);
}

// IP fragments (§2.14.1, design note in ip_reassembly.h): reassembled, then processed as one
// packet by Handle. The rebuilt header has MF clear and offset 0; a datagram that still parses as
// a fragment (an IPv6 chain with a second fragment header) is dropped here, so Handle never sees
// a fragment the second time and this recursion is one level deep. A datagram that would leave
// less than kReassemblyTailRoom free in the received frame (the most SVR can add) is rebuilt in
// the large frame instead; the received frame then goes back to the pool, and every path that
// transmits the large frame copies or splits it into pool frames (outer_fragment.h).
namespace {
// Metadata (md_buf_), trailers, header growth.
constexpr uint32_t kReassemblyTailRoom = 2048 + kTrailerReserve + 64;
}  // namespace

Disposition Pipeline::HandleFragment(size_t interface, io::Frame& frame,
                                     const packet::PacketInfo& info, uint64_t now_ms) {
  Count(PipelineCounter::kIpFragment);
  // On the WAN only peers' packets are wanted (as for whole packets): others never reach the pool.
  if (IsWan(interface) && FindPeer(interface, info.src) == nullptr) {
    Count(PipelineCounter::kWanNotPeer);
    return Disposition::kDropped;
  }
  counters_.Increment(PipelineCounter::kIpFragTimeout, reassembly_->Expire(now_ms));
  static_assert(sizeof(md_buf_) + kTrailerReserve + 40 <= kReassemblyTailRoom);
  // The largest datagram (two VLAN tags, the longest header) with that room fits the large frame.
  static_assert(22 + IpReassembly::kMaxHeader + IpReassembly::kMaxData + kReassemblyTailRoom <=
                kLargeFrameSize);
  uint32_t length = 0;
  bool spilled = false;
  switch (reassembly_->Add(static_cast<uint16_t>(interface), frame.buffer(), info, now_ms,
                           &length, std::span<uint8_t>(large_.get(), kLargeFrameSize),
                           kReassemblyTailRoom, &spilled)) {
    case FragmentResult::kHeld: return Disposition::kConsumed;
    case FragmentResult::kComplete: break;
    case FragmentResult::kDuplicate: Count(PipelineCounter::kIpFragDuplicate); return Disposition::kDropped;
    case FragmentResult::kOverlap: Count(PipelineCounter::kIpFragOverlap); return Disposition::kDropped;
    case FragmentResult::kBadLength: Count(PipelineCounter::kIpFragBadLength); return Disposition::kDropped;
    case FragmentResult::kTooMany: Count(PipelineCounter::kIpFragTooMany); return Disposition::kDropped;
    case FragmentResult::kTooBig: Count(PipelineCounter::kIpFragTooBig); return Disposition::kDropped;
    case FragmentResult::kPoolFull: Count(PipelineCounter::kIpFragPoolFull); return Disposition::kDropped;
    case FragmentResult::kDiscarded: Count(PipelineCounter::kIpFragDiscarded); return Disposition::kDropped;
  }
  io::Frame large{large_.get(), length, kLargeFrameSize, kLargeFrameHandle};
  io::Frame& whole = spilled ? large : frame;
  if (spilled) {
    large_pool_capacity_ = frame.capacity;  // every frame of the pool has the same
    Count(PipelineCounter::kIpFragLargeBuffer);
  }
  whole.length = length;
  packet::PacketInfo again;
  if (packet::ParseFrame(whole.bytes(), &again) == packet::ParseResult::kOk && again.is_fragment) {
    Count(PipelineCounter::kIpFragNested);
    return Disposition::kDropped;
  }
  Count(PipelineCounter::kIpFragReassembled);
  const Disposition d = Handle(interface, whole, now_ms, /*reassembled=*/true);
  // The received frame is no longer needed once the datagram was rebuilt in the large frame.
  return spilled && d == Disposition::kForwarded ? Disposition::kConsumed : d;
}

// ---------------------------------------------------------------------------------------------
// Sessions: admission and removal

Session* Pipeline::AdmitSession(session::SessionInit& init, session::WaypointPool* waypoints,
                                bool from_metadata, uint64_t now_ms) {
  // Before the waypoint search and the shared counters: a flood refused by its cap costs a hash
  // and two reads of this worker's memory.
  if (sessions_->CheckEmbryonicCaps(init) != session::InsertResult::kOk) {
    Count(PipelineCounter::kEmbryonicLimit);
    return nullptr;
  }
  // Router-wide limits (session_budget.h). The router full: this worker makes room by evicting
  // its own oldest embryonic session (the eviction releases its unit) and tries once more; it
  // cannot evict another worker's, and never an established one.
  std::atomic<uint32_t>& tenant = *tenant_budget_[init.tenant];
  const uint32_t tenant_limit = config().limits.max_sessions_per_tenant;
  SessionBudget::Result got = budget_->Acquire(tenant, tenant_limit);
  if (got == SessionBudget::Result::kRouterFull && sessions_->EvictOldestEmbryonic(now_ms)) {
    got = budget_->Acquire(tenant, tenant_limit);
  }
  if (got != SessionBudget::Result::kOk) {
    Count(got == SessionBudget::Result::kTenantFull ? PipelineCounter::kTenantLimit
                                                    : PipelineCounter::kRouterSessionLimit);
    return nullptr;
  }
  if (waypoints != nullptr &&
      sessions_->AllocateWaypoints(*waypoints, now_ms, &init.reverse, SessionClass(init.forward)) !=
          session::WaypointResult::kOk) {
    budget_->Release(tenant);
    Count(PipelineCounter::kWaypointsExhausted);
    return nullptr;
  }
  const session::InsertOutcome ins = sessions_->Insert(init, now_ms);
  if (ins.result != session::InsertResult::kOk) {
    budget_->Release(tenant);
    Count(ins.result == session::InsertResult::kEmbryonicLimit ? PipelineCounter::kEmbryonicLimit
                                                               : PipelineCounter::kSessionRefused);
    return nullptr;
  }
  Count(PipelineCounter::kSessionCreated);
  created_service_ = init.service;  // first-packet latency (ProcessBurstAt)
  Session& s = *ins.session;
  if (from_metadata) {
    // Sessions created from forward metadata count the metadata packets received (reserved0,
    // for Disable SVR Metadata on one-way flows) and can be found by UUID (a move, §2.9).
    s.reserved0 = 1;
    s.flags |= session::kIndexedByUuid;
    uuids_->Insert(sessions_->IndexOf(s), *sessions_);
  }
  Notify(s, true);
  return &s;
}

void Pipeline::Forget(Session& s, uint64_t now_ms) {
  Notify(s, false);
  ReleaseBudget(s);
  if ((s.flags & session::kIndexedByUuid) != 0) uuids_->Erase(sessions_->IndexOf(s), *sessions_);
  sessions_->Erase(s, now_ms);
}

bool Pipeline::SetPeerPathUp(size_t peer, size_t path, bool up) {
  if (peer >= state_.peers.size() || path >= state_.peers[peer]->paths.size()) return false;
  state_.peers[peer]->paths[path].up = up;
  return true;
}

const config::ServiceRoute* Pipeline::ChooseRoute(size_t service, uint32_t* index) {
  if (!state_.routes.HasRoute(service)) {
    Count(PipelineCounter::kNoRoute);
    return nullptr;
  }
  bool sla_refused = false;  // some peer had usable paths, none within the strict SLA
  const uint32_t chosen = ChooseUsableRoute(service, &sla_refused);
  if (chosen == RouteChooser::kNone) {
    Count(sla_refused ? PipelineCounter::kNoPathMeetsSla : PipelineCounter::kNoUsableRoute);
    return nullptr;
  }
  *index = chosen;
  return &router().service_routes[chosen];
}

uint32_t Pipeline::ChooseUsableRoute(size_t service, bool* sla_refused) {
  const auto& routes = router().service_routes;
  return state_.routes.Choose(service, [&](uint32_t r) {
    const config::ServiceRoute& route = routes[r];
    if (route.kind != config::ServiceRoute::Kind::kPeer) return true;
    const PathPick pick = ChoosePeerPath(route.peer, service);
    *sla_refused |= pick.reason == peer::PathChoiceReason::kNoPathMeetsSla;
    return pick.path.has_value();
  });
}

void Pipeline::ReleaseBudget(const Session& s) {
  if (s.tenant < tenant_budget_.size()) budget_->Release(*tenant_budget_[s.tenant]);
}

void Pipeline::RemovalThunk(void* self, const Session& s, session::RemovalReason r) {
  static_cast<Pipeline*>(self)->OnRemoved(s, r);
}

void Pipeline::OnRemoved(const Session& s, session::RemovalReason reason) {
  (void)reason;
  Notify(s, false);
  ReleaseBudget(s);
  if ((s.flags & session::kIndexedByUuid) != 0) uuids_->Erase(sessions_->IndexOf(s), *sessions_);
  // The ingress tells the peer (§2.10): its state would otherwise live until its own timeout.
  // Rate-limited per peer (§2.10.1): a flood evicts or expires sessions far faster than the
  // peer needs to hear about them, and each message costs a frame; the rest are counted and
  // left to the peer's own timeout.
  if ((s.flags & session::kWaypointsAllocated) != 0 && s.peer < state_.peers.size()) {
    PeerState& peer = *state_.peers[s.peer];
    if (!RemovalDeleteOk(peer, now_ms_)) {
      Count(PipelineCounter::kCtrlDeleteSuppressed);
      return;
    }
    SendControl(peer, session::TranslatedTuple(s, Direction::kForward),
                svr::ControlMessage::kDeleteSession, &s, now_ms_);
  }
}

bool Pipeline::RemovalDeleteOk(PeerState& peer, uint64_t now_ms) {
  if (now_ms >= peer.delete_window_start + 1000 || now_ms < peer.delete_window_start) {
    peer.delete_window_start = now_ms;
    peer.delete_count = 0;
  }
  if (peer.delete_count >= options_.removal_deletes_per_second) return false;
  ++peer.delete_count;
  return true;
}

}  // namespace ssr::pipeline
