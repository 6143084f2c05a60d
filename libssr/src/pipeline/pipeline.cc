// SPDX-License-Identifier: Apache-2.0
#include "pipeline/pipeline.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/key_store.h"
#include "packet/byte_order.h"
#include "packet/parser.h"
#include "packet/protocol.h"
#include "pipeline/encap.h"
#include "session/translation.h"
#include "util/status_macros.h"

namespace ssr::pipeline {

using packet::PacketInfo;
using session::Direction;
using session::FlowKey;
using session::Session;
using svr::TlvField;

namespace {

// Whether the §2.6 handshake still wants metadata on this direction's packets (forward: until
// reverse metadata arrived; reverse: until a forward packet without metadata arrived). ToPeer
// and Relay apply their own further rules (TCP only on SYN / SYN-ACK, relay only what arrived).
bool MetadataPending(const Session& s, Direction d) {
  const uint16_t flag =
      d == Direction::kForward ? session::kSendForwardMetadata : session::kSendReverseMetadata;
  return (s.flags & flag) != 0;
}

// Tail room reserved for trailers: CBC payload (16 IV + up to 16 padding) or GCM (8 + 16),
// plus a hop tag (HMAC up to 32, or a GCM trailer of 24).
constexpr uint32_t kTrailerReserve = 32 + 32 + 32;
constexpr size_t kGcmTrailer = crypto::kGcmExplicitNonceSize + crypto::kGcmTagSize;

crypto::SecurityPolicy ToCrypto(const config::SecurityPolicy& p, bool with_hmac) {
  crypto::SecurityPolicy c;
  c.hmac = with_hmac ? p.hmac : crypto::HmacSuite::kNone;
  c.hmac_mode = p.hmac_mode;
  c.cipher = p.cipher;
  return c;
}

// Entry i pairs hmac_keys[i] with encryption_keys[i] (the shorter list repeats its last key);
// the Security ID on the wire is the HMAC key's id, or the cipher key's when there is no HMAC.
crypto::KeySnapshot ToKeySnapshot(const config::Config& cfg, const config::SecurityPolicy& p) {
  std::vector<crypto::KeyEntry> entries;
  const size_t nh = p.hmac_keys.size();
  const size_t nc = p.encryption_keys.size();
  const size_t n = std::max(nh, nc);
  for (size_t i = 0; i < n; ++i) {
    crypto::KeyEntry e;
    e.role = i == 0 ? crypto::KeyRole::kCurrent : crypto::KeyRole::kPrevious;
    if (nh != 0) {
      const config::Key& k = cfg.keys[p.hmac_keys[std::min(i, nh - 1)]];
      e.material.hmac_key.assign(k.material.bytes().begin(), k.material.bytes().end());
      e.id = k.id;
    }
    if (nc != 0) {
      const config::Key& k = cfg.keys[p.encryption_keys[std::min(i, nc - 1)]];
      e.material.cipher_key.assign(k.material.bytes().begin(), k.material.bytes().end());
      if (nh == 0) e.id = k.id;
    }
    entries.push_back(std::move(e));
  }
  if (entries.empty()) {
    // A policy without HMAC and cipher has no keys; the crypto layer still wants one (keyless)
    // entry, whose Security ID 1 goes on the wire and is never looked up.
    crypto::KeyEntry e;
    e.id = 1;
    entries.push_back(std::move(e));
  }
  return crypto::KeySnapshot(0, std::move(entries));
}

bool HopAuthIsGcm(const config::SecurityPolicy& p) {
  return crypto::IsGcm(p.cipher) && p.hmac == crypto::HmacSuite::kNone;
}

svr::SessionContext ContextOf(const FlowKey& k) {
  return svr::SessionContext{k.src, k.dst, k.src_port, k.dst_port, k.protocol};
}

bool IsTcpOrUdp(uint8_t protocol) {
  return protocol == packet::kIpProtoTcp || protocol == packet::kIpProtoUdp;
}

// The header fields every forwarded packet inherits from the received one (one router hop).
ComposeSpec ForwardedSpec(const PacketInfo& info, const L2Header& l2, const FlowKey& tuple) {
  ComposeSpec spec;
  spec.l2 = l2;
  spec.tuple = tuple;
  spec.ttl = static_cast<uint8_t>(info.ttl - 1);
  spec.tos = info.tos;
  spec.ipv4_id = static_cast<uint16_t>(info.fragment_id);
  spec.dont_fragment = info.dont_fragment;
  return spec;
}

}  // namespace

struct Pipeline::PeerState {
  const config::Peer* config = nullptr;
  size_t index = 0;
  size_t wan = 0;
  // One peer path per configured peer address (§5.1): our waypoint of that family -> theirs.
  struct Path {
    util::IpAddress local;
    util::IpAddress remote;
    std::optional<session::WaypointPool> pool_udp;
    std::optional<session::WaypointPool> pool_tcp;
    std::string id;  // TLV 19
  };
  std::vector<Path> paths;
  const Path* PathTo(const util::IpAddress& remote) const {
    for (const Path& p : paths) {
      if (p.remote == remote) return &p;
    }
    return nullptr;
  }
  // Addresses of the WAN interface toward the peer: any of them may be the local waypoint a
  // peer path of the other router ends on.
  std::vector<util::IpAddress> locals;
  bool IsLocal(const util::IpAddress& a) const {
    return std::find(locals.begin(), locals.end(), a) != locals.end();
  }
  std::unique_ptr<crypto::PacketCrypto> send;
  std::unique_ptr<crypto::PacketCrypto> recv;
  bool gcm_send = false;
  bool gcm_recv = false;
  size_t recv_trailer = 0;
  uint64_t rate_window_start = 0;
  uint32_t rate_count = 0;
};

struct Pipeline::ServiceCrypto {
  std::unique_ptr<crypto::PacketCrypto> payload;
};

struct Pipeline::Packet {
  io::Frame* frame = nullptr;
  PacketInfo info;
  FlowKey key;
  std::span<uint8_t> buffer() const { return frame->buffer(); }
};

Pipeline::Pipeline(const PipelineOptions& options)
    : options_(options), config_(options.config), neighbors_(options.neighbor_capacity) {}

Pipeline::~Pipeline() = default;

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(const PipelineOptions& options) {
  if (options.config == nullptr) return absl::InvalidArgumentError("PipelineOptions.config is null");
  std::unique_ptr<Pipeline> p(new Pipeline(options));
  SSR_RETURN_IF_ERROR(p->Init());
  return p;
}

absl::Status Pipeline::Init() {
  SSR_ASSIGN_OR_RETURN(State st, BuildState(config_));
  const config::Config& cfg = *config_;
  policy_ = std::move(st.policy);
  router_index_ = st.router_index;
  peers_ = std::move(st.peers);
  services_ = std::move(st.services);
  const config::Router& r = policy_->router();

  session::SessionTableOptions topt;
  topt.max_sessions = options_.max_sessions != 0 ? options_.max_sessions : cfg.limits.max_sessions;
  topt.timeouts = cfg.timeouts;
  SSR_ASSIGN_OR_RETURN(sessions_, session::SessionTable::Create(topt));
  sessions_->SetRemovalCallback(&Pipeline::RemovalThunk, this);
  uuids_ = std::make_unique<UuidIndex>(sessions_->capacity());

  const size_t n_if = r.interfaces.size();
  macs_.resize(n_if);
  for (size_t i = 0; i < n_if; ++i) {
    if (i < options_.interface_macs.size()) {
      macs_[i] = options_.interface_macs[i];
    } else {
      macs_[i] = {0x02, 0x55, static_cast<uint8_t>(router_index_), 0, 0, static_cast<uint8_t>(i)};
    }
  }
  ports_.assign(n_if, nullptr);
  tx_.resize(n_if);
  for (auto& q : tx_) q.reserve(io::kMaxBurst * 4);
  tenant_sessions_.assign(cfg.tenants.size(), 0);
  SSR_ASSIGN_OR_RETURN(uuid_source_, crypto::IvGenerator::Create());
  return absl::OkStatus();
}

absl::StatusOr<Pipeline::State> Pipeline::BuildState(
    const std::shared_ptr<const config::Config>& config) const {
  State st;
  SSR_ASSIGN_OR_RETURN(st.policy, policy::RouterPolicy::Build(config, options_.router));
  st.router_index = st.policy->router_index();
  const config::Router& r = st.policy->router();
  const config::Config& cfg = *config;
  if (st.router_index > crypto::kMaxSenderId) {
    return absl::InvalidArgumentError(
        absl::StrCat("router \"", r.name, "\" has index ", st.router_index,
                     ": AES-GCM nonce spaces allow at most ", crypto::kMaxSenderId + 1, " routers"));
  }
  const crypto::NonceSpace nonce{static_cast<uint16_t>(st.router_index), options_.worker_id};
  for (size_t i = 0; i < r.peers.size(); ++i) {
    const config::Peer& pc = r.peers[i];
    auto ps = std::make_unique<PeerState>();
    ps->config = &pc;
    ps->index = i;
    ps->wan = pc.interface;
    if (pc.addresses.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("peer \"", pc.name, "\" has no address"));
    }
    const config::Interface& wan = r.interfaces[pc.interface];
    for (const config::InterfaceAddress& a : wan.addresses) ps->locals.push_back(a.address);
    for (const util::IpAddress& remote : pc.addresses) {
      PeerState::Path path;
      path.remote = remote;
      bool found = false;
      for (const config::InterfaceAddress& a : wan.addresses) {
        if (a.address.family() == remote.family()) {
          path.local = a.address;
          found = true;
          break;
        }
      }
      if (!found) {
        return absl::FailedPreconditionError(absl::StrCat(
            "peer \"", pc.name, "\": interface \"", wan.name, "\" has no address of the ",
            remote.is_v4() ? "IPv4" : "IPv6", " family of peer address ", remote.ToString()));
      }
      session::WaypointPoolSpec spec;
      spec.side = static_cast<uint16_t>(pc.interface);
      spec.local = path.local;
      spec.remote = path.remote;
      spec.range = pc.waypoint_ports;
      spec.parity_rule = pc.parity_rule;
      spec.outer_protocol = packet::kIpProtoUdp;
      SSR_ASSIGN_OR_RETURN(path.pool_udp, session::WaypointPool::Create(spec));
      spec.outer_protocol = packet::kIpProtoTcp;
      SSR_ASSIGN_OR_RETURN(path.pool_tcp, session::WaypointPool::Create(spec));
      path.id = absl::StrCat(wan.name, ":", remote.ToString());
      ps->paths.push_back(std::move(path));
    }
    const config::SecurityPolicy& send_policy = cfg.security_policies[pc.security_policy];
    SSR_ASSIGN_OR_RETURN(ps->send,
                         crypto::PacketCrypto::Create(ToCrypto(send_policy, true),
                                                      ToKeySnapshot(cfg, send_policy), nonce));
    ps->gcm_send = HopAuthIsGcm(send_policy);
    const config::SecurityPolicy& recv_policy =
        cfg.security_policies[wan.security_policy.value_or(pc.security_policy)];
    if (recv_policy.hmac == crypto::HmacSuite::kSha1) {
      SSR_ASSIGN_OR_RETURN(ps->recv,
                           crypto::PacketCrypto::CreateReceiveOnly(
                               ToCrypto(recv_policy, true), ToKeySnapshot(cfg, recv_policy)));
    } else {
      SSR_ASSIGN_OR_RETURN(ps->recv,
                           crypto::PacketCrypto::Create(ToCrypto(recv_policy, true),
                                                        ToKeySnapshot(cfg, recv_policy), nonce));
    }
    ps->gcm_recv = HopAuthIsGcm(recv_policy);
    ps->recv_trailer = ps->gcm_recv ? kGcmTrailer : crypto::HmacTagSize(recv_policy.hmac);
    st.peers.push_back(std::move(ps));
  }

  st.services.resize(cfg.services.size());
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    st.services[i] = std::make_unique<ServiceCrypto>();
    const std::optional<size_t> sp = cfg.services[i].security_policy;
    if (!sp || cfg.security_policies[*sp].cipher == crypto::CipherSuite::kNone) continue;
    const config::SecurityPolicy& policy = cfg.security_policies[*sp];
    SSR_ASSIGN_OR_RETURN(st.services[i]->payload,
                         crypto::PacketCrypto::Create(ToCrypto(policy, false),
                                                      ToKeySnapshot(cfg, policy), nonce));
  }
  return st;
}


absl::Status Pipeline::Reload(std::shared_ptr<const config::Config> config) {
  if (config == nullptr) return absl::InvalidArgumentError("Reload: config is null");
  SSR_ASSIGN_OR_RETURN(State st, BuildState(config));
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
  const config::Config& old_cfg = *config_;
  const config::Config& new_cfg = *config;
  std::vector<uint32_t> tenant_sessions(new_cfg.tenants.size(), 0);
  for (uint32_t i = 0; i < sessions_->capacity(); ++i) {
    Session& s = sessions_->at(i);
    if (!s.live()) continue;
    const std::optional<size_t> t = new_cfg.TenantIndex(old_cfg.tenants[s.tenant].name);
    const std::optional<size_t> v = new_cfg.ServiceIndex(old_cfg.services[s.service].name);
    std::optional<size_t> p;
    if ((s.flags & session::kLocalBreakout) != 0) {
      p = 0;
    } else {
      const std::string& name = now.peers[s.peer].name;
      for (size_t k = 0; k < next.peers.size(); ++k) {
        if (next.peers[k].name == name) p = k;
      }
    }
    if (!t || !v || !p) {
      Forget(s, now_ms_);
      Count(PipelineCounter::kReloadRemoved);
      continue;
    }
    s.tenant = static_cast<uint32_t>(*t);
    s.service = static_cast<uint32_t>(*v);
    s.peer = static_cast<uint32_t>(*p);
    ++tenant_sessions[*t];
  }
  config_ = std::move(config);
  policy_ = std::move(st.policy);
  router_index_ = st.router_index;
  peers_ = std::move(st.peers);
  services_ = std::move(st.services);
  tenant_sessions_ = std::move(tenant_sessions);
  Count(PipelineCounter::kReloads);
  return absl::OkStatus();
}

util::CounterArray<crypto::CryptoCounter> Pipeline::CryptoCounters() const {
  util::CounterArray<crypto::CryptoCounter> sum;
  for (const auto& p : peers_) {
    sum.AddFrom(p->send->counters());
    sum.AddFrom(p->recv->counters());
  }
  for (const auto& s : services_) {
    if (s->payload) sum.AddFrom(s->payload->counters());
  }
  return sum;
}

bool Pipeline::IsWan(size_t interface) const {
  return interface < router().interfaces.size() &&
         router().interfaces[interface].role == config::InterfaceRole::kWan;
}

// ---------------------------------------------------------------------------------------------
// Bursts and transmission

size_t Pipeline::Poll(uint64_t now_ms) {
  size_t received = 0;
  std::array<io::Frame, io::kMaxBurst> frames;
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] == nullptr) continue;
    const size_t n = ports_[i]->Receive(frames);
    if (n == 0) continue;
    received += n;
    ProcessBurst(i, std::span(frames.data(), n), now_ms);
  }
  for (io::Port* p : ports_) {
    if (p != nullptr) p->Flush();
  }
  return received;
}

void Pipeline::ProcessBurst(size_t interface, std::span<io::Frame> frames, uint64_t now_ms,
                            std::span<Disposition> dispositions) {
  now_ms_ = now_ms;
  // The kernel copied these frames into the Umem, often on another CPU (the veth receive runs
  // where the sender runs): the first read of each header is a cache miss that costs more than
  // parsing it. Asking for all headers of the burst up front overlaps those misses. Two lines
  // cover Ethernet + IP + L4 + the SVR cookie; the headers are rewritten, hence "for write".
  for (const io::Frame& f : frames) {
    __builtin_prefetch(f.data, 1, 3);
    __builtin_prefetch(f.data + 64, 1, 3);
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    counters_.Increment(PipelineCounter::kRxPackets);
    const Disposition d = Handle(interface, frames[i], now_ms);
    if (d != Disposition::kForwarded && pool_ != nullptr) pool_->Free({&frames[i], 1});
    if (i < dispositions.size()) dispositions[i] = d;
  }
  FlushTx();
}

uint32_t Pipeline::Expire(uint64_t now_ms, uint32_t budget) {
  now_ms_ = now_ms;
  const uint32_t n = sessions_->Expire(now_ms, budget);
  bool any_keep_alive = false;
  for (const auto& p : peers_) any_keep_alive |= p->config->nat_keep_alive.count() != 0;
  if (any_keep_alive) {
    // Session::reserved1 holds the second of the last keep-alive (ingress sessions only).
    const uint32_t now_s = static_cast<uint32_t>(now_ms / 1000);
    sessions_->VisitOccupied(&keep_alive_cursor_, budget, [&](uint32_t index) {
      Session& s = sessions_->at(index);
      if (!s.live() || (s.flags & session::kWaypointsAllocated) == 0) return;
      PeerState& peer = *peers_[s.peer];
      const uint64_t interval_ms =
          static_cast<uint64_t>(peer.config->nat_keep_alive.count()) * 1000;
      if (interval_ms == 0 || now_ms - std::min(now_ms, s.last_activity_ms) < interval_ms) return;
      if (s.reserved1 != 0 && uint64_t{now_s - s.reserved1} * 1000 < interval_ms) return;
      SendControl(peer, session::TranslatedTuple(s, Direction::kForward),
                  svr::ControlMessage::kKeepAlive, &s, now_ms);
      s.reserved1 = now_s;
    });
  }
  FlushTx();
  return n;
}

void Pipeline::Transmit(size_t interface, const io::Frame& frame) {
  std::vector<io::Frame>& q = tx_[interface];
  if (q.size() == q.capacity()) FlushTx();
  q.push_back(frame);
}

void Pipeline::FlushTx() {
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
}

bool Pipeline::ResolveL2(size_t interface, const util::IpAddress& next_hop, uint16_t vlan,
                         L2Header* l2) {
  const packet::MacAddress* mac = neighbors_.Find(static_cast<uint16_t>(interface), next_hop);
  if (mac == nullptr) {
    Count(PipelineCounter::kNoNeighbor);
    return false;
  }
  l2->dst = *mac;
  l2->src = macs_[interface];
  l2->vlan = vlan;
  return true;
}

Pipeline::PeerState* Pipeline::FindPeer(size_t interface, const util::IpAddress& address) {
  // Routers have a handful of peers: a scan is faster than a hash here.
  for (auto& p : peers_) {
    if (p->wan != interface) continue;
    for (const util::IpAddress& a : p->config->addresses) {
      if (a == address) return p.get();
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Classification

Disposition Pipeline::Handle(size_t interface, io::Frame& frame, uint64_t now_ms) {
  Packet pkt;
  pkt.frame = &frame;
  const packet::ParseResult pr = packet::ParseFrame(frame.bytes(), &pkt.info);
  if (pr != packet::ParseResult::kOk) {
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
  if (info.is_fragment) {
    Count(PipelineCounter::kIpFragment);
    return Disposition::kDropped;
  }
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
  return IsWan(interface) ? HandleWan(interface, pkt, now_ms) : HandleLan(interface, pkt, now_ms);
}

Disposition Pipeline::HandleLan(size_t interface, Packet& pkt, uint64_t now_ms) {
  const session::LookupResult hit = sessions_->Lookup(pkt.key);
  if (!hit) return FirstPacket(interface, pkt, now_ms);
  Session& s = *hit.session;
  if ((s.flags & session::kLocalBreakout) != 0) return LocalForward(s, hit.direction, pkt, now_ms);
  return ToPeer(s, hit.direction, pkt, now_ms);
}

bool Pipeline::Finish(Session& s, Direction d, uint8_t tcp_flags, uint64_t now_ms) {
  if (sessions_->Update(s, d, tcp_flags, now_ms) == session::UpdateResult::kInvalid) {
    Count(PipelineCounter::kTcpInvalid);
    return false;
  }
  return true;
}

Disposition Pipeline::FirstPacket(size_t interface, Packet& pkt, uint64_t now_ms) {
  Count(PipelineCounter::kFirstPacket);
  const PacketInfo& info = pkt.info;
  const packet::MacAddress src_mac = packet::EthernetView(pkt.frame->bytes()).src_mac();
  policy::FlowKey pk{interface, pkt.key.vlan, info.src, info.dst, info.l4_protocol,
                     pkt.key.dst_port};
  const policy::Decision dec = policy_->Decide(pk);
  policy_counters_.Increment(dec.verdict);
  if (dec.verdict != policy::Verdict::kAllow) {
    Count(PipelineCounter::kPolicyDrop);
    return Disposition::kDropped;
  }
  const size_t tenant = *dec.tenant;
  const size_t service = *dec.service;
  const config::Service& svc = config_->services[service];
  if (info.is_tcp()) {
    switch (session::FirstPacketAction(info.tcp_flags, svc.tcp_state_enforcement)) {
      case session::FirstPacketVerdict::kCreate:
        break;
      case session::FirstPacketVerdict::kReset:
        neighbors_.Learn(static_cast<uint16_t>(interface), info.src, src_mac);
        return SendReset(interface, pkt);
      case session::FirstPacketVerdict::kDrop:
        Count(PipelineCounter::kTcpNotSynDrop);
        return Disposition::kDropped;
    }
  }
  if (dec.route == nullptr) {
    Count(PipelineCounter::kNoRoute);
    return Disposition::kDropped;
  }
  const uint32_t limit = config_->limits.max_sessions_per_tenant;
  if (limit != 0 && tenant_sessions_[tenant] >= limit) {
    Count(PipelineCounter::kTenantLimit);
    return Disposition::kDropped;
  }
  neighbors_.Learn(static_cast<uint16_t>(interface), info.src, src_mac);

  session::SessionInit init;
  init.forward = pkt.key;
  init.tenant = static_cast<uint32_t>(tenant);
  init.service = static_cast<uint32_t>(service);
  if (info.is_tcp() && svc.tcp_state_enforcement != config::TcpStateEnforcement::kAllow) {
    init.flags |= session::kStrictTcp;
  }
  if (dec.route->kind == config::ServiceRoute::Kind::kNextHop) {
    init.reverse = session::Reversed(pkt.key);
    init.reverse.side = static_cast<uint16_t>(dec.route->interface);
    init.reverse.vlan = 0;
    init.flags |= session::kLocalBreakout;
  } else {
    PeerState& peer = *peers_[dec.route->peer];
    const bool transform = info.is_tcp() && peer.config->udp_transform;
    PeerState::Path& path = peer.paths[0];  // path choice: the peer layer's, once wired in
    session::WaypointPool& pool = info.is_tcp() && !transform ? *path.pool_tcp : *path.pool_udp;
    if (transform) init.flags |= session::kUdpTransform;
    if (sessions_->AllocateWaypoints(pool, now_ms, &init.reverse) !=
        session::WaypointResult::kOk) {
      Count(PipelineCounter::kWaypointsExhausted);
      return Disposition::kDropped;
    }
    init.peer = static_cast<uint32_t>(dec.route->peer);
    init.flags |= session::kSendForwardMetadata | session::kWaypointsAllocated;
    if (services_[service]->payload) init.flags |= session::kPayloadEncrypted;
    uuid_source_->Next(std::span<uint8_t, 16>(init.uuid));
    init.uuid[6] = static_cast<uint8_t>((init.uuid[6] & 0x0f) | 0x40);  // RFC 4122 version 4
    init.uuid[8] = static_cast<uint8_t>((init.uuid[8] & 0x3f) | 0x80);  // variant 10
  }
  const session::InsertOutcome ins = sessions_->Insert(init, now_ms);
  if (ins.result != session::InsertResult::kOk) {
    Count(PipelineCounter::kSessionRefused);
    return Disposition::kDropped;
  }
  ++tenant_sessions_[tenant];
  Count(PipelineCounter::kSessionCreated);
  Session& s = *ins.session;
  Notify(s, true);
  if ((s.flags & session::kLocalBreakout) != 0) return LocalForward(s, Direction::kForward, pkt, now_ms);
  return ToPeer(s, Direction::kForward, pkt, now_ms);
}

// ---------------------------------------------------------------------------------------------
// Output paths

Disposition Pipeline::LocalForward(Session& s, Direction d, Packet& pkt, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  if (!Finish(s, d, info.tcp_flags, now_ms)) return Disposition::kDropped;
  if (info.ttl <= 1) {
    Count(PipelineCounter::kTtlExceeded);
    return Disposition::kDropped;
  }
  const FlowKey out = session::TranslatedTuple(s, d);
  util::IpAddress next_hop = out.dst;
  const config::ServiceRoute* route = router().RouteForService(s.service);
  if (d == Direction::kForward && route != nullptr && route->gateway) next_hop = *route->gateway;
  L2Header l2;
  if (!ResolveL2(out.side, next_hop, out.vlan, &l2)) return Disposition::kDropped;
  ComposeSpec spec = ForwardedSpec(info, l2, out);
  const bool ports = IsTcpOrUdp(info.l4_protocol) && info.has_l4;
  spec.l4 = ports ? L4Source::kKeep : L4Source::kNone;
  spec.body_offset = ports ? info.payload_offset : info.l4_offset;
  spec.body_length = ports ? info.payload_length : info.l4_length;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  pkt.frame->length = FinalizeFrame(pkt.buffer(), lay, spec.body_length);
  Count(PipelineCounter::kLocalBreakout);
  Transmit(out.side, *pkt.frame);
  return Disposition::kForwarded;
}

Disposition Pipeline::ToPeer(Session& s, Direction d, Packet& pkt, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  PeerState& peer = *peers_[s.peer];
  const uint64_t idle_ms = now_ms - std::min(now_ms, s.last_activity_ms);
  if (!Finish(s, d, info.tcp_flags, now_ms)) return Disposition::kDropped;
  if (info.ttl <= 1) {
    Count(PipelineCounter::kTtlExceeded);
    return Disposition::kDropped;
  }
  FlowKey outer = session::TranslatedTuple(s, d);
  const bool keep_l4 = outer.protocol == info.l4_protocol;
  if (!keep_l4 && outer.protocol == packet::kIpProtoTcp) {
    Count(PipelineCounter::kProtocolMismatch);
    return Disposition::kDropped;
  }
  L2Header l2;
  if (!ResolveL2(peer.wan, outer.dst, outer.vlan, &l2)) return Disposition::kDropped;

  // Metadata (§2.6): forward until reverse metadata arrived; reverse until a forward packet
  // without metadata arrived. TCP only on SYN / SYN-ACK (O-9).
  bool want_md = MetadataPending(s, d);
  const bool transform = (s.flags & session::kUdpTransform) != 0;
  if (want_md && info.is_tcp() && !transform && (s.flags & session::kResignal) == 0 &&
      (info.tcp_flags & packet::kTcpSyn) == 0) {
    want_md = false;
    Count(PipelineCounter::kMdSkippedTcp);
  }
  const bool health_check = !want_md && options_.recovery == RecoveryMode::kInactivityBased &&
                            !info.is_tcp() && idle_ms >= options_.inactivity_ms;
  size_t md_len = 0;
  std::span<const uint8_t> payload = info.Payload(std::span<const uint8_t>(pkt.frame->bytes()));
  if (!keep_l4) payload = info.L4(std::span<const uint8_t>(pkt.frame->bytes()));
  if (want_md || health_check) {
    const bool syn_marker = transform && d == Direction::kForward &&
                            (info.tcp_flags & packet::kTcpSyn) != 0;
    md_len = BuildMetadata(s, d, peer, health_check && !want_md, syn_marker);
    if (md_len == 0) {
      Count(PipelineCounter::kCryptoFail);
      return Disposition::kDropped;
    }
    if (want_md) {
      Count(d == Direction::kForward ? PipelineCounter::kMdSentForward
                                     : PipelineCounter::kMdSentReverse);
    } else {
      Count(PipelineCounter::kHealthCheckSent);
      s.flags |= session::kHealthCheckPending;
    }
  } else if (svr::StartsWithCookie(payload)) {
    svr::WriteFalsePositiveMarker(md_buf_);
    md_len = svr::kMetadataHeaderSize;
    Count(PipelineCounter::kFalsePositiveAdded);
  }

  ComposeSpec spec = ForwardedSpec(info, l2, outer);
  spec.l4 = keep_l4 ? L4Source::kKeep : L4Source::kFreshUdp;
  spec.metadata = std::span<const uint8_t>(md_buf_.data(), md_len);
  spec.body_offset = keep_l4 ? info.payload_offset : info.l4_offset;
  spec.body_length = static_cast<uint32_t>(payload.size());
  spec.reserve = kTrailerReserve;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  // Trailers over the L4 payload (§4.8): payload encryption (end to end), then the hop tag.
  std::span<uint8_t> region = pkt.buffer().subspan(lay.payload_offset);
  size_t len = md_len + spec.body_length;
  if ((s.flags & session::kPayloadEncrypted) != 0) {
    crypto::PacketCrypto* pc = services_[s.service]->payload.get();
    if (pc == nullptr ||
        pc->SealPayload(region, md_len, spec.body_length, CryptoNow(now_ms), &len) != crypto::CryptoResult::kOk) {
      Count(PipelineCounter::kCryptoFail);
      return Disposition::kDropped;
    }
  }
  return HopSealAndSend(peer, *pkt.frame, lay, len, now_ms);
}

Disposition Pipeline::HopSealAndSend(PeerState& peer, io::Frame& frame, const ComposedLayout& lay,
                                     size_t len, uint64_t now_ms) {
  std::span<uint8_t> region = frame.buffer().subspan(lay.payload_offset);
  const crypto::CryptoResult hr = peer.gcm_send ? peer.send->SealPayload(region, len, 0, CryptoNow(now_ms), &len)
                                                : peer.send->Sign(region, len, CryptoNow(now_ms), &len);
  if (hr != crypto::CryptoResult::kOk) {
    Count(PipelineCounter::kCryptoFail);
    return Disposition::kDropped;
  }
  frame.length = FinalizeFrame(frame.buffer(), lay, static_cast<uint32_t>(len));
  if (frame.length - lay.l3_offset > router().interfaces[peer.wan].mtu) {
    Count(PipelineCounter::kExceedsMtu);
    return Disposition::kDropped;
  }
  Transmit(peer.wan, frame);
  return Disposition::kForwarded;
}

Disposition Pipeline::ToLan(Session& s, Direction d, Packet& pkt, size_t md_total,
                            size_t l4_payload_len, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  if (info.ttl <= 1) {
    Count(PipelineCounter::kTtlExceeded);
    return Disposition::kDropped;
  }
  const FlowKey inner = session::TranslatedTuple(s, d);
  size_t body_len = l4_payload_len - md_total;
  if ((s.flags & session::kPayloadEncrypted) != 0) {
    crypto::PacketCrypto* pc = services_[s.service]->payload.get();
    size_t plain = 0;
    if (pc == nullptr ||
        pc->OpenPayload(pc->send_key_id(), pkt.buffer().subspan(info.payload_offset), md_total,
                        l4_payload_len, CryptoNow(now_ms), &plain) != crypto::CryptoResult::kOk) {
      Count(PipelineCounter::kPayloadDecryptFail);
      return Disposition::kDropped;
    }
    body_len = plain;
  }
  const bool keep_l4 = inner.protocol == info.l4_protocol;
  const bool transformed = !keep_l4 && inner.protocol == packet::kIpProtoTcp &&
                           (s.flags & session::kUdpTransform) != 0;
  if (!keep_l4 && (info.l4_protocol != packet::kIpProtoUdp ||
                   (IsTcpOrUdp(inner.protocol) && !transformed) ||
                   (transformed && body_len < packet::kTcpMinHeaderLength) ||
                   (session::IsIcmpProtocol(inner.protocol) && body_len < packet::kIcmpHeaderLength))) {
    Count(PipelineCounter::kProtocolMismatch);
    return Disposition::kDropped;
  }
  // TCP state follows the original flags: the outer TCP header carries them unchanged, and a
  // UDP-transformed session carries the whole original segment (§2.12).
  const size_t body_at = info.payload_offset + md_total;
  const uint8_t tcp_flags = transformed ? pkt.frame->data[body_at + 13] : info.tcp_flags;
  if (!Finish(s, d, tcp_flags, now_ms)) return Disposition::kDropped;
  // Where the TCP header sits in the received frame must not change for kKeep: its length is
  // taken from the parse, and the segment after it is what the body is.
  util::IpAddress next_hop = inner.dst;
  if (d == Direction::kForward) {
    const config::ServiceRoute* route = router().RouteForService(s.service);
    if (route != nullptr && route->kind == config::ServiceRoute::Kind::kNextHop && route->gateway) {
      next_hop = *route->gateway;
    }
  }
  L2Header l2;
  if (!ResolveL2(inner.side, next_hop, inner.vlan, &l2)) return Disposition::kDropped;
  ComposeSpec spec = ForwardedSpec(info, l2, inner);
  spec.l4 = keep_l4 ? L4Source::kKeep : L4Source::kNone;
  spec.body_offset = static_cast<uint32_t>(info.payload_offset + md_total);
  spec.body_length = static_cast<uint32_t>(body_len);
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  pkt.frame->length = FinalizeFrame(pkt.buffer(), lay, spec.body_length);
  Transmit(inner.side, *pkt.frame);
  return Disposition::kForwarded;
}

Disposition Pipeline::SendReset(size_t interface, Packet& pkt) {
  const PacketInfo& info = pkt.info;
  const bool had_ack = (info.tcp_flags & packet::kTcpAck) != 0;
  const uint32_t seg_len = info.payload_length + ((info.tcp_flags & packet::kTcpSyn) ? 1 : 0) +
                           ((info.tcp_flags & packet::kTcpFin) ? 1 : 0);
  L2Header l2;
  l2.dst = packet::EthernetView(pkt.frame->bytes()).src_mac();
  l2.src = macs_[interface];
  l2.vlan = pkt.key.vlan;
  ComposeSpec spec;
  spec.l2 = l2;
  spec.tuple = session::Reversed(pkt.key);
  spec.ttl = 64;
  spec.l4 = L4Source::kKeep;
  spec.body_offset = info.payload_offset;
  spec.body_length = 0;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  uint8_t* t = pkt.frame->data + lay.l4_offset;
  packet::StoreBe32(t + 4, had_ack ? info.tcp_ack : 0);
  packet::StoreBe32(t + 8, had_ack ? 0 : info.tcp_seq + seg_len);
  t[12] = static_cast<uint8_t>(5 << 4);  // no options
  t[13] = had_ack ? packet::kTcpRst : static_cast<uint8_t>(packet::kTcpRst | packet::kTcpAck);
  packet::StoreBe16(t + 14, 0);  // window
  packet::StoreBe16(t + 18, 0);  // urgent pointer
  lay.l4_header_length = packet::kTcpMinHeaderLength;
  pkt.frame->length = FinalizeFrame(pkt.buffer(), lay, 0);
  Count(PipelineCounter::kTcpNotSynReset);
  Transmit(interface, *pkt.frame);
  return Disposition::kForwarded;
}

// ---------------------------------------------------------------------------------------------
// WAN side

Disposition Pipeline::HandleWan(size_t interface, Packet& pkt, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  if (!info.is_tcp() && !info.is_udp()) {
    Count(PipelineCounter::kWanNotWaypoint);
    return Disposition::kDropped;
  }
  PeerState* peer = FindPeer(interface, info.src);
  if (peer == nullptr) {
    Count(PipelineCounter::kWanNotPeer);
    return Disposition::kDropped;
  }
  if (info.is_udp() && info.dst_port == config::kPeerLivenessPort) {
    Count(PipelineCounter::kPeerLiveness);
    return Disposition::kConsumed;
  }
  if (!peer->IsLocal(info.dst)) {
    Count(PipelineCounter::kWanNotWaypoint);
    return Disposition::kDropped;
  }
  session::LookupResult hit = sessions_->Lookup(pkt.key);
  std::span<uint8_t> payload = info.Payload(pkt.frame->bytes());
  const bool has_cookie = svr::StartsWithCookie(payload);
  if (!hit && !has_cookie) {
    // Packet-based recovery (§2.8): an authenticated fast-path packet for an unknown tuple is
    // answered with Enable SVR Metadata, at most control_replies_per_second per peer; the HMAC
    // is checked only when a reply may be sent, so garbage costs no HMAC work beyond that.
    Count(PipelineCounter::kWanNoSession);
    if (options_.recovery == RecoveryMode::kPacketBased) {
      if (!RateLimitOk(*peer, now_ms)) {
        Count(PipelineCounter::kCtrlRateLimited);
        return Disposition::kDropped;
      }
      size_t l = 0;
      const crypto::CryptoResult vr =
          peer->gcm_recv
              ? (payload.size() < kGcmTrailer
                     ? crypto::CryptoResult::kTooShort
                     : peer->recv->OpenPayload(peer->recv->send_key_id(), payload,
                                               payload.size() - kGcmTrailer, payload.size(),
                                               CryptoNow(now_ms), &l))
              : peer->recv->Verify(peer->recv->send_key_id(), payload, CryptoNow(now_ms), &l);
      if (vr != crypto::CryptoResult::kOk) {
        Count(PipelineCounter::kAuthFail);
        return Disposition::kDropped;
      }
      neighbors_.Learn(static_cast<uint16_t>(interface), info.src,
                       packet::EthernetView(pkt.frame->bytes()).src_mac());
      FlowKey reply = session::Reversed(pkt.key);
      SendControl(*peer, reply, svr::ControlMessage::kEnableMetadata, nullptr, now_ms);
    }
    return Disposition::kDropped;
  }

  // Security ID: from the clear header section when metadata is present (§4.8), else the one
  // the session learned.
  if (payload.size() < peer->recv_trailer) {
    Count(PipelineCounter::kAuthFail);
    return Disposition::kDropped;
  }
  const size_t l_max = payload.size() - peer->recv_trailer;
  svr::Metadata md;
  svr::MetadataLayout layout;
  bool has_md = false;
  bool marker = false;
  if (has_cookie) {
    const svr::DecodeResult hr = svr::DecodeMetadataHeader(payload.first(l_max), &layout);
    if (hr == svr::DecodeResult::kOk) {
      const svr::DecodeResult tr = svr::DecodeTlvSection(
          payload.subspan(svr::kMetadataHeaderSize, layout.header_length - svr::kMetadataHeaderSize),
          svr::TlvSection::kHeader, &md, &decode_notes_);
      if (tr != svr::DecodeResult::kOk) {
        decode_counters_.Increment(tr);
        Count(PipelineCounter::kMdMalformed);
        return Disposition::kDropped;
      }
      marker = layout.is_false_positive_marker();
      has_md = !marker;
    } else if (hr != svr::DecodeResult::kNotMetadata) {
      decode_counters_.Increment(hr);
      Count(PipelineCounter::kMdMalformed);
      return Disposition::kDropped;
    }
  }
  uint32_t security_id = peer->recv->send_key_id();
  if (md.Has(TlvField::kSecurityId)) {
    security_id = md.security_id;
  } else if (hit && hit.session->context != 0) {
    security_id = hit.session->context;  // the key the peer's metadata named for this session
  }
  size_t l4_len = 0;
  const crypto::CryptoResult vr =
      peer->gcm_recv ? peer->recv->OpenPayload(security_id, payload, l_max, payload.size(), CryptoNow(now_ms),
                                               &l4_len)
                     : peer->recv->Verify(security_id, payload, CryptoNow(now_ms), &l4_len);
  if (vr != crypto::CryptoResult::kOk) {
    Count(PipelineCounter::kAuthFail);
    return Disposition::kDropped;
  }
  if (peer->gcm_recv) l4_len = l_max;
  if (hit && md.Has(TlvField::kSecurityId)) hit.session->context = security_id;
  neighbors_.Learn(static_cast<uint16_t>(interface), info.src,
                   packet::EthernetView(pkt.frame->bytes()).src_mac());

  size_t md_total = 0;
  if (marker) {
    md_total = svr::kMetadataHeaderSize;
    Count(PipelineCounter::kFalsePositiveRemoved);
  } else if (has_md) {
    md_total = layout.total();
    if (layout.payload_length != 0) {
      std::span<uint8_t> section = payload.subspan(layout.header_length, layout.payload_length);
      size_t off = 0;
      size_t tlen = 0;
      if (peer->recv->OpenMetadata(security_id, section, CryptoNow(now_ms), &off, &tlen) !=
          crypto::CryptoResult::kOk) {
        Count(PipelineCounter::kMdDecryptFail);
        return Disposition::kDropped;
      }
      const svr::DecodeResult pr = svr::DecodeTlvSection(section.subspan(off, tlen),
                                                         svr::TlvSection::kPayload, &md,
                                                         &decode_notes_);
      if (pr != svr::DecodeResult::kOk) {
        decode_counters_.Increment(pr);
        Count(PipelineCounter::kMdMalformed);
        return Disposition::kDropped;
      }
    }
    decode_counters_.Increment(svr::DecodeResult::kOk);
    if (md.Has(TlvField::kControlMessage)) return HandleControl(*peer, pkt, md, now_ms);
  }

  const bool forward_md =
      has_md && (md.Has(TlvField::kForwardContextV4) || md.Has(TlvField::kForwardContextV6));
  bool rebound = false;
  if (!hit && forward_md && md.Has(TlvField::kSessionUuid)) {
    // A session we hold, re-signalled on a new outer tuple (moved to another peer path, §2.9):
    // rebind its forward flow, keep its state, answer with reverse metadata on the new path.
    const uint32_t id = uuids_->Find(md.session_uuid, *sessions_);
    if (id != UuidIndex::kNone) {
      Session& moved = sessions_->at(id);
      if (moved.live() && IsWan(moved.forward.side) &&
          sessions_->Rebind(moved, Direction::kForward, pkt.key) == session::InsertResult::kOk) {
        if ((moved.flags & session::kTransit) == 0) moved.peer = static_cast<uint32_t>(peer->index);
        moved.context = security_id;
        moved.flags |= session::kSendReverseMetadata;
        if (pkt.info.is_tcp()) moved.flags |= session::kResignal;  // answer on the next segment
        Count(PipelineCounter::kSessionRebound);
        hit = session::LookupResult{&moved, Direction::kForward};
        rebound = true;
      }
    }
  }
  if (!hit) {
    if (forward_md) return EgressFirst(interface, *peer, pkt, md, md_total, l4_len, now_ms);
    if (has_md && md.Has(TlvField::kSessionHealthCheck)) {
      // Health check for a session this router lacks (§2.8): ask for metadata.
      SendControl(*peer, session::Reversed(pkt.key), svr::ControlMessage::kEnableMetadata, nullptr,
                  now_ms);
    }
    Count(PipelineCounter::kCtrlNoSession);
    return Disposition::kDropped;
  }

  Session& s = *hit.session;
  if (has_md && hit.direction == Direction::kForward &&
      (md.Has(TlvField::kForwardContextV4) || md.Has(TlvField::kForwardContextV6))) {
    if (md.Has(TlvField::kSessionUuid) && md.session_uuid != s.uuid) {
      // The peer reused the outer tuple for a new session: this one is stale (§2.8).
      Count(PipelineCounter::kSessionReplaced);
      Forget(s, now_ms);
      return EgressFirst(interface, *peer, pkt, md, md_total, l4_len, now_ms);
    }
    if (!rebound) Count(PipelineCounter::kDuplicateFirst);
  }
  if (hit.direction == Direction::kForward) {
    // Egress: forward packets. Metadata keeps reverse metadata on; its absence ends it (§2.6).
    if (has_md) {
      Count(PipelineCounter::kMdReceivedForward);
      ++s.reserved0;
      const uint32_t n = options_.disable_md_after_packets;
      if (!s.answered() && n != 0 && s.reserved0 % n == 0 &&
          (s.flags & session::kTransit) == 0) {
        SendControl(*peer, session::TranslatedTuple(s, Direction::kReverse),
                    svr::ControlMessage::kDisableMetadata, &s, now_ms);
      }
    } else if ((s.flags & session::kSendReverseMetadata) != 0) {
      s.flags &= static_cast<uint16_t>(~(session::kSendReverseMetadata | session::kResignal));
      Count(PipelineCounter::kReverseMdStopped);
    }
  } else if (has_md) {
    Count(PipelineCounter::kMdReceivedReverse);
    if ((s.flags & session::kSendForwardMetadata) != 0) {
      s.flags &= static_cast<uint16_t>(~(session::kSendForwardMetadata | session::kResignal));
      Count(PipelineCounter::kForwardMdStopped);
    }
  }
  if (has_md && md.Has(TlvField::kSessionHealthCheck) && md.health_check != 0) {
    const FlowKey back = session::TranslatedTuple(s, Opposite(hit.direction));
    SendControl(*peer, back, svr::ControlMessage::kHealthCheckStateExists, &s, now_ms);
  }
  if ((s.flags & session::kTransit) != 0) {
    return Relay(s, hit.direction, pkt, has_md ? &md : nullptr, md_total, l4_len, now_ms);
  }
  return ToLan(s, hit.direction, pkt, md_total, l4_len, now_ms);
}

Disposition Pipeline::EgressFirst(size_t interface, PeerState& peer, Packet& pkt,
                                  const svr::Metadata& md, size_t md_total, size_t l4_len,
                                  uint64_t now_ms) {
  (void)interface;
  Count(PipelineCounter::kMdReceivedForward);
  if (!md.Has(TlvField::kSessionUuid) || !md.Has(TlvField::kTenantName) ||
      !md.Has(TlvField::kServiceName)) {
    Count(PipelineCounter::kMdIncomplete);
    return Disposition::kDropped;
  }
  const auto name = [](std::span<const uint8_t> b) {
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  };
  const std::optional<size_t> tenant = config_->TenantIndex(name(md.tenant_name));
  const std::optional<size_t> service = config_->ServiceIndex(name(md.service_name));
  if (!tenant || !service) {
    Count(PipelineCounter::kMdUnknownName);
    return Disposition::kDropped;
  }
  if (!policy_->Allowed(*service, *tenant)) {
    Count(PipelineCounter::kEgressDenied);
    return Disposition::kDropped;
  }
  const config::ServiceRoute* route = router().RouteForService(*service);
  if (route == nullptr) {
    Count(PipelineCounter::kNoRoute);
    return Disposition::kDropped;
  }
  const svr::SessionContext& fc = md.forward_context;
  if (route->kind == config::ServiceRoute::Kind::kPeer) {
    return TransitFirst(peer, *route, pkt, md, md_total, l4_len, *tenant, *service, now_ms);
  }
  const uint8_t outer = pkt.info.l4_protocol;
  // TCP travels as TCP, or as UDP with UDP transform (§2.12); everything else as UDP.
  const bool fits = outer == packet::kIpProtoTcp ? fc.protocol == packet::kIpProtoTcp : true;
  if (!fits || fc.source.family() != fc.destination.family()) {
    Count(PipelineCounter::kProtocolMismatch);
    return Disposition::kDropped;
  }
  const uint32_t limit = config_->limits.max_sessions_per_tenant;
  if (limit != 0 && tenant_sessions_[*tenant] >= limit) {
    Count(PipelineCounter::kTenantLimit);
    return Disposition::kDropped;
  }
  FlowKey original;
  original.src = fc.source;
  original.dst = fc.destination;
  original.protocol = fc.protocol;
  original.src_port = fc.source_port;
  original.dst_port = session::IsIcmpProtocol(fc.protocol) ? 0 : fc.destination_port;
  session::SessionInit init;
  init.forward = pkt.key;
  init.reverse = session::Reversed(original);
  init.reverse.side = static_cast<uint16_t>(route->interface);
  init.reverse.vlan = 0;
  init.tenant = static_cast<uint32_t>(*tenant);
  init.service = static_cast<uint32_t>(*service);
  init.peer = static_cast<uint32_t>(peer.index);
  init.uuid = md.session_uuid;
  init.context = md.Has(TlvField::kSecurityId) ? md.security_id : peer.recv->send_key_id();
  init.flags = session::kSendReverseMetadata;
  if (md.Has(TlvField::kSessionEncrypted)) init.flags |= session::kPayloadEncrypted;
  if (fc.protocol == packet::kIpProtoTcp && outer == packet::kIpProtoUdp) {
    init.flags |= session::kUdpTransform;
  }
  if (fc.protocol == packet::kIpProtoTcp &&
      config_->services[*service].tcp_state_enforcement != config::TcpStateEnforcement::kAllow) {
    init.flags |= session::kStrictTcp;
  }
  init.protocol_class = session::ClassifyProtocol(fc.protocol, fc.source_port, fc.destination_port);
  const session::InsertOutcome ins = sessions_->Insert(init, now_ms);
  if (ins.result != session::InsertResult::kOk) {
    Count(PipelineCounter::kSessionRefused);
    return Disposition::kDropped;
  }
  ++tenant_sessions_[*tenant];
  Count(PipelineCounter::kSessionCreated);
  Session& s = *ins.session;
  s.reserved0 = 1;
  s.flags |= session::kIndexedByUuid;
  uuids_->Insert(sessions_->IndexOf(s), *sessions_);
  Notify(s, true);
  return ToLan(s, Direction::kForward, pkt, md_total, l4_len, now_ms);
}

Disposition Pipeline::HandleControl(PeerState& peer, Packet& pkt, const svr::Metadata& md,
                                    uint64_t now_ms) {
  Count(PipelineCounter::kCtrlReceived);
  session::LookupResult hit = sessions_->Lookup(pkt.key);
  if (!hit && pkt.key.protocol == packet::kIpProtoUdp) {
    // Control packets of TCP sessions travel as UDP on the session's waypoint ports (O-9).
    FlowKey tcp = pkt.key;
    tcp.protocol = packet::kIpProtoTcp;
    hit = sessions_->Lookup(tcp);
  }
  Session* s = hit.session;
  if (s != nullptr && md.Has(TlvField::kSessionUuid) && md.session_uuid != s->uuid) s = nullptr;
  const auto reason = static_cast<svr::ControlMessage>(md.control_message);
  if (s == nullptr && reason != svr::ControlMessage::kUnknown) {
    Count(PipelineCounter::kCtrlNoSession);
    return Disposition::kConsumed;
  }
  switch (reason) {
    case svr::ControlMessage::kEnableMetadata:
      if (hit.direction == Direction::kReverse) s->flags |= session::kSendForwardMetadata;
      Count(PipelineCounter::kCtrlEnable);
      break;
    case svr::ControlMessage::kDisableMetadata:
      s->flags &= static_cast<uint16_t>(~session::kSendForwardMetadata);
      Count(PipelineCounter::kCtrlDisable);
      break;
    case svr::ControlMessage::kDeleteSession:
      if ((s->flags & session::kTransit) != 0) {
        // Pass the news on to the other hop before forgetting the session.
        const Direction toward = hit.direction == Direction::kForward ? Direction::kForward
                                                                      : Direction::kReverse;
        const FlowKey other = session::TranslatedTuple(*s, toward);
        PeerState& next = *peers_[FindPeerIndexOnSide(other)];
        SendControl(next, other, svr::ControlMessage::kDeleteSession, s, now_ms);
      }
      Forget(*s, now_ms);
      Count(PipelineCounter::kCtrlDelete);
      break;
    case svr::ControlMessage::kKeepAlive:
      s->last_activity_ms = now_ms;
      Count(PipelineCounter::kCtrlKeepAlive);
      break;
    case svr::ControlMessage::kHealthCheckStateExists:
      s->flags &= static_cast<uint16_t>(~session::kHealthCheckPending);
      Count(PipelineCounter::kCtrlHealthAck);
      break;
    default:
      Count(PipelineCounter::kCtrlUnknown);
      break;
  }
  (void)peer;
  return Disposition::kConsumed;
}

void Pipeline::Forget(Session& s, uint64_t now_ms) {
  Notify(s, false);
  if (s.tenant < tenant_sessions_.size() && tenant_sessions_[s.tenant] > 0) --tenant_sessions_[s.tenant];
  if ((s.flags & session::kIndexedByUuid) != 0) uuids_->Erase(sessions_->IndexOf(s), *sessions_);
  sessions_->Erase(s, now_ms);
}

size_t Pipeline::MovePeerPath(size_t peer_index, size_t from_path, size_t to_path,
                              uint64_t now_ms) {
  if (peer_index >= peers_.size()) return 0;
  PeerState& peer = *peers_[peer_index];
  if (from_path >= peer.paths.size() || to_path >= peer.paths.size() || from_path == to_path) {
    return 0;
  }
  PeerState::Path& path = peer.paths[to_path];
  size_t moved = 0;
  for (uint32_t i = 0; i < sessions_->capacity(); ++i) {
    Session& s = sessions_->at(i);
    if (!s.live() || s.peer != peer_index || s.peer_path != from_path ||
        (s.flags & session::kWaypointsAllocated) == 0) {
      continue;
    }
    FlowKey reverse;
    session::WaypointPool& pool =
        s.reverse.protocol == packet::kIpProtoTcp ? *path.pool_tcp : *path.pool_udp;
    if (sessions_->AllocateWaypoints(pool, now_ms, &reverse) != session::WaypointResult::kOk ||
        sessions_->Rebind(s, Direction::kReverse, reverse) != session::InsertResult::kOk) {
      Count(PipelineCounter::kSessionMoveFailed);
      continue;
    }
    s.peer_path = static_cast<uint32_t>(to_path);
    s.flags |= session::kSendForwardMetadata;
    if (s.reverse.protocol == packet::kIpProtoTcp) s.flags |= session::kResignal;
    Count(PipelineCounter::kSessionMoved);
    ++moved;
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------
// Transit

size_t Pipeline::FindPeerIndexOnSide(const FlowKey& outer) const {
  for (const auto& p : peers_) {
    if (p->wan == outer.side && p->PathTo(outer.dst) != nullptr) return p->index;
  }
  return 0;
}

Disposition Pipeline::TransitFirst(PeerState& from, const config::ServiceRoute& route, Packet& pkt,
                                   const svr::Metadata& md, size_t md_total, size_t l4_len,
                                   size_t tenant, size_t service, uint64_t now_ms) {
  PeerState& next = *peers_[route.peer];
  const bool tcp_outer = pkt.info.is_tcp();
  if (&next == &from || (!tcp_outer && md.forward_context.protocol == packet::kIpProtoTcp &&
                         !next.config->udp_transform) ||
      (tcp_outer && next.config->udp_transform)) {
    // Back where it came from (a routing loop), or the two hops disagree on UDP transform: the
    // segment would have to change shape, which a relay does not do.
    Count(PipelineCounter::kTransitUnsupported);
    return Disposition::kDropped;
  }
  const uint32_t limit = config_->limits.max_sessions_per_tenant;
  if (limit != 0 && tenant_sessions_[tenant] >= limit) {
    Count(PipelineCounter::kTenantLimit);
    return Disposition::kDropped;
  }
  session::SessionInit init;
  init.forward = pkt.key;
  PeerState::Path& path = next.paths[0];
  if (sessions_->AllocateWaypoints(tcp_outer ? *path.pool_tcp : *path.pool_udp, now_ms,
                                   &init.reverse) != session::WaypointResult::kOk) {
    Count(PipelineCounter::kWaypointsExhausted);
    return Disposition::kDropped;
  }
  init.tenant = static_cast<uint32_t>(tenant);
  init.service = static_cast<uint32_t>(service);
  init.peer = static_cast<uint32_t>(next.index);
  init.uuid = md.session_uuid;
  init.context = md.Has(TlvField::kSecurityId) ? md.security_id : from.recv->send_key_id();
  init.flags = session::kTransit | session::kWaypointsAllocated | session::kSendForwardMetadata |
               session::kSendReverseMetadata;
  if (md.Has(TlvField::kSessionEncrypted)) init.flags |= session::kPayloadEncrypted;
  if (!tcp_outer && md.forward_context.protocol == packet::kIpProtoTcp) {
    init.flags |= session::kUdpTransform;
  }
  const svr::SessionContext& fc = md.forward_context;
  init.protocol_class = session::ClassifyProtocol(fc.protocol, fc.source_port, fc.destination_port);
  const session::InsertOutcome ins = sessions_->Insert(init, now_ms);
  if (ins.result != session::InsertResult::kOk) {
    Count(PipelineCounter::kSessionRefused);
    return Disposition::kDropped;
  }
  ++tenant_sessions_[tenant];
  Count(PipelineCounter::kSessionCreated);
  ins.session->reserved0 = 1;
  ins.session->flags |= session::kIndexedByUuid;
  uuids_->Insert(sessions_->IndexOf(*ins.session), *sessions_);
  Notify(*ins.session, true);
  return Relay(*ins.session, Direction::kForward, pkt, &md, md_total, l4_len, now_ms);
}

Disposition Pipeline::Relay(Session& s, Direction d, Packet& pkt, const svr::Metadata* md_in,
                            size_t md_total, size_t l4_len, uint64_t now_ms) {
  const PacketInfo& info = pkt.info;
  const FlowKey outer = session::TranslatedTuple(s, d);
  PeerState& next = *peers_[FindPeerIndexOnSide(outer)];
  // TCP state: the outer TCP header carries the original flags; a transformed segment starts the
  // body (it is end-to-end encrypted when the session is, so its flags are not visible here).
  uint8_t tcp_flags = info.tcp_flags;
  if ((s.flags & session::kUdpTransform) != 0) {
    tcp_flags = (s.flags & session::kPayloadEncrypted) != 0
                    ? 0
                    : pkt.frame->data[info.payload_offset + md_total + 13];
  }
  if (!Finish(s, d, tcp_flags, now_ms)) return Disposition::kDropped;
  if (info.ttl <= 1) {
    Count(PipelineCounter::kTtlExceeded);
    return Disposition::kDropped;
  }
  L2Header l2;
  if (!ResolveL2(next.wan, outer.dst, outer.vlan, &l2)) return Disposition::kDropped;
  // Metadata for the next hop, rebuilt from what arrived (§2.5 step 7): the session attributes
  // travel on, this router names itself as the source and its own path; header TLVs are new.
  size_t md_len = 0;
  if (MetadataPending(s, d) && md_in != nullptr) {
    svr::Metadata md;
    md.security_id = next.send->send_key_id();
    md.Set(TlvField::kSecurityId);
    md.session_uuid = s.uuid;
    md.Set(TlvField::kSessionUuid);
    md.source_router_name = svr::Metadata::AsBytes(router().name);
    md.Set(TlvField::kSourceRouterName);
    if (d == Direction::kForward) {
      for (TlvField f : {TlvField::kForwardContextV4, TlvField::kForwardContextV6,
                         TlvField::kTenantName, TlvField::kServiceName,
                         TlvField::kSessionEncrypted, TlvField::kTcpSyn,
                         TlvField::kApplicationName}) {
        if (md_in->Has(f)) md.Set(f);
      }
      md.forward_context = md_in->forward_context;
      md.tenant_name = md_in->tenant_name;
      md.service_name = md_in->service_name;
      md.application_name = md_in->application_name;
      md.peer_path_id = svr::Metadata::AsBytes(next.PathTo(outer.dst)->id);
      md.Set(TlvField::kPeerPathId);
    } else {
      for (TlvField f : {TlvField::kReverseContextV4, TlvField::kReverseContextV6}) {
        if (md_in->Has(f)) md.Set(f);
      }
      md.reverse_context = md_in->reverse_context;
      md.Set(TlvField::kDisableForwardMetadata);
    }
    md_len = EncodeWith(next, md);
    if (md_len == 0) {
      Count(PipelineCounter::kCryptoFail);
      return Disposition::kDropped;
    }
    Count(d == Direction::kForward ? PipelineCounter::kMdSentForward
                                   : PipelineCounter::kMdSentReverse);
  } else if (md_total == 0 && svr::StartsWithCookie(info.Payload(
                                  std::span<const uint8_t>(pkt.frame->bytes())))) {
    svr::WriteFalsePositiveMarker(md_buf_);
    md_len = svr::kMetadataHeaderSize;
  } else if (md_total == svr::kMetadataHeaderSize && md_in == nullptr) {
    // A false-positive marker stays a marker: the next hop would read the payload as metadata.
    svr::WriteFalsePositiveMarker(md_buf_);
    md_len = svr::kMetadataHeaderSize;
  }
  ComposeSpec spec = ForwardedSpec(info, l2, outer);
  spec.l4 = L4Source::kKeep;
  spec.metadata = std::span<const uint8_t>(md_buf_.data(), md_len);
  spec.body_offset = static_cast<uint32_t>(info.payload_offset + md_total);
  spec.body_length = static_cast<uint32_t>(l4_len - md_total);
  spec.reserve = kTrailerReserve;
  ComposedLayout lay;
  if (ComposeFrame(pkt.buffer(), info, spec, &lay) != ComposeResult::kOk) {
    Count(PipelineCounter::kNoRoom);
    return Disposition::kDropped;
  }
  // The payload (and its IV trailer, when encrypted end to end) passes through untouched; only
  // the hop authentication is new.
  const Disposition out = HopSealAndSend(next, *pkt.frame, lay, md_len + spec.body_length, now_ms);
  if (out == Disposition::kForwarded) Count(PipelineCounter::kTransitRelayed);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metadata and control packets

size_t Pipeline::EncodeWith(PeerState& peer, svr::Metadata& md) {
  svr::EncodedSizes sizes;
  if (!svr::ComputeEncodedSizes(md, &sizes)) return 0;
  const size_t hl = svr::kMetadataHeaderSize + sizes.header_tlvs;
  const std::span<uint8_t> buf(md_buf_);
  if (hl > buf.size()) return 0;
  if (sizes.header_tlvs != 0 &&
      svr::EncodeTlvSection(md, svr::TlvSection::kHeader, buf.subspan(svr::kMetadataHeaderSize,
                                                                       sizes.header_tlvs)) !=
          sizes.header_tlvs) {
    return 0;
  }
  size_t section_len = 0;
  if (sizes.payload_tlvs != 0) {
    const size_t prefix = peer.send->MetadataPrefixSize();
    std::span<uint8_t> section = buf.subspan(hl);
    if (section.size() < prefix + sizes.payload_tlvs) return 0;
    if (svr::EncodeTlvSection(md, svr::TlvSection::kPayload, section.subspan(prefix)) !=
        sizes.payload_tlvs) {
      return 0;
    }
    if (peer.send->SealMetadata(section, sizes.payload_tlvs, &section_len) !=
        crypto::CryptoResult::kOk) {
      return 0;
    }
  }
  if (section_len > 0xffff) return 0;
  svr::MetadataLayout layout;
  layout.header_length = static_cast<uint16_t>(hl);
  layout.payload_length = static_cast<uint16_t>(section_len);
  if (!svr::WriteMetadataHeader(buf, layout)) return 0;
  return hl + section_len;
}

size_t Pipeline::BuildMetadata(const Session& s, Direction d, PeerState& peer, bool health_only,
                               bool tcp_syn) {
  const config::Config& cfg = *config_;
  svr::Metadata md;
  md.security_id = peer.send->send_key_id();
  md.Set(TlvField::kSecurityId);
  if (health_only) {
    md.health_check = 1;
    md.Set(TlvField::kSessionHealthCheck);
    return EncodeWith(peer, md);
  }
  md.session_uuid = s.uuid;
  md.Set(TlvField::kSessionUuid);
  md.source_router_name = svr::Metadata::AsBytes(router().name);
  md.Set(TlvField::kSourceRouterName);
  if (d == Direction::kForward) {
    md.SetForwardContext(ContextOf(s.forward));
    md.tenant_name = svr::Metadata::AsBytes(cfg.tenants[s.tenant].name);
    md.Set(TlvField::kTenantName);
    md.service_name = svr::Metadata::AsBytes(cfg.services[s.service].name);
    md.Set(TlvField::kServiceName);
    md.peer_path_id = svr::Metadata::AsBytes(peer.paths[std::min<size_t>(s.peer_path, peer.paths.size() - 1)].id);
    md.Set(TlvField::kPeerPathId);
    if ((s.flags & session::kPayloadEncrypted) != 0) md.Set(TlvField::kSessionEncrypted);
    if (tcp_syn) md.Set(TlvField::kTcpSyn);  // TLV 12: this UDP packet carries the TCP SYN
  } else {
    // Reverse context: the egress's reverse flow, server side as source (§3.6.1, O-8).
    md.SetReverseContext(ContextOf(s.reverse));
    md.Set(TlvField::kDisableForwardMetadata);
  }
  return EncodeWith(peer, md);
}

bool Pipeline::RateLimitOk(PeerState& peer, uint64_t now_ms) {
  if (now_ms >= peer.rate_window_start + 1000 || now_ms < peer.rate_window_start) {
    peer.rate_window_start = now_ms;
    peer.rate_count = 0;
  }
  if (peer.rate_count >= options_.control_replies_per_second) return false;
  ++peer.rate_count;
  return true;
}

void Pipeline::SendControl(PeerState& peer, const FlowKey& outer_in, svr::ControlMessage reason,
                           const Session* s, uint64_t now_ms) {
  if (pool_ == nullptr) {
    Count(PipelineCounter::kNoPool);
    return;
  }
  FlowKey outer = outer_in;
  outer.protocol = packet::kIpProtoUdp;
  L2Header l2;
  if (!ResolveL2(peer.wan, outer.dst, outer.vlan, &l2)) return;
  svr::Metadata md;
  md.security_id = peer.send->send_key_id();
  md.Set(TlvField::kSecurityId);
  md.control_message = static_cast<uint8_t>(reason);
  md.Set(TlvField::kControlMessage);
  if (s != nullptr) {
    md.session_uuid = s->uuid;
    md.Set(TlvField::kSessionUuid);
    if (reason == svr::ControlMessage::kDisableMetadata) {
      md.SetReverseContext(ContextOf(s->reverse));
      md.Set(TlvField::kDisableForwardMetadata);
    }
  }
  const size_t md_len = EncodeWith(peer, md);
  if (md_len == 0) {
    Count(PipelineCounter::kCryptoFail);
    return;
  }
  io::Frame f;
  if (pool_->Allocate({&f, 1}) != 1) {
    Count(PipelineCounter::kNoPool);
    return;
  }
  ComposeSpec spec;
  spec.l2 = l2;
  spec.tuple = outer;
  spec.l4 = L4Source::kFreshUdp;
  spec.metadata = std::span<const uint8_t>(md_buf_.data(), md_len);
  spec.reserve = kTrailerReserve;
  ComposedLayout lay;
  const PacketInfo none;
  if (ComposeFrame(f.buffer(), none, spec, &lay) != ComposeResult::kOk) {
    pool_->Free({&f, 1});
    Count(PipelineCounter::kNoRoom);
    return;
  }
  // The frame is ours: HopSealAndSend counts a failure and leaves the frame to us.
  if (HopSealAndSend(peer, f, lay, md_len, now_ms) != Disposition::kForwarded) {
    pool_->Free({&f, 1});
    return;
  }
  switch (reason) {
    case svr::ControlMessage::kEnableMetadata: Count(PipelineCounter::kCtrlSentEnable); break;
    case svr::ControlMessage::kDisableMetadata: Count(PipelineCounter::kCtrlSentDisable); break;
    case svr::ControlMessage::kDeleteSession: Count(PipelineCounter::kCtrlSentDelete); break;
    case svr::ControlMessage::kKeepAlive: Count(PipelineCounter::kCtrlSentKeepAlive); break;
    case svr::ControlMessage::kHealthCheckStateExists: Count(PipelineCounter::kCtrlSentHealthAck); break;
    default: break;
  }
}

void Pipeline::RemovalThunk(void* self, const Session& s, session::RemovalReason r) {
  static_cast<Pipeline*>(self)->OnRemoved(s, r);
}

void Pipeline::OnRemoved(const Session& s, session::RemovalReason reason) {
  (void)reason;
  Notify(s, false);
  if (s.tenant < tenant_sessions_.size() && tenant_sessions_[s.tenant] > 0) --tenant_sessions_[s.tenant];
  if ((s.flags & session::kIndexedByUuid) != 0) uuids_->Erase(sessions_->IndexOf(s), *sessions_);
  // The ingress tells the peer (§2.10): its state would otherwise live until its own timeout.
  if ((s.flags & session::kWaypointsAllocated) != 0 && s.peer < peers_.size()) {
    SendControl(*peers_[s.peer], session::TranslatedTuple(s, Direction::kForward),
                svr::ControlMessage::kDeleteSession, &s, now_ms_);
  }
}

}  // namespace ssr::pipeline
