// SPDX-License-Identifier: Apache-2.0
// Two routers wired back to back through in-memory ports (issue 4's test topology):
//
//   client(s) --lan0-- [router A "branch"] --wan0 === cable === wan0-- [router B "datacenter"]
//                                                                       --lan0-- server(s)
//
// Each router is a Pipeline with its own frame pool. The cable between the WAN ports is driven by
// the test: Step() moves frames across until nothing moves, and records every frame that crossed
// it (wire_) so tests can inspect metadata and trailers, drop frames (first-packet loss), alter
// them (forged HMAC) or replay them. What the routers emit on their LAN ports is collected in
// to_client_ / to_server_.
#ifndef SSR_TEST_PIPELINE_PIPELINE_RIG_H_
#define SSR_TEST_PIPELINE_PIPELINE_RIG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "config/loader.h"
#include "io/memory_port.h"
#include "packet/builder.h"
#include "packet/parser.h"
#include "pipeline/pipeline.h"
#include "svr/metadata.h"

namespace ssr::pipeline::testing {

using Bytes = std::vector<uint8_t>;

inline constexpr packet::MacAddress kClientMac = {0x02, 0xc1, 0, 0, 0, 0x01};
inline constexpr packet::MacAddress kServerMac = {0x02, 0x5e, 0, 0, 0, 0x01};
inline constexpr size_t kLan = 0;  // interface indices in both routers of the default config
inline constexpr size_t kWan = 1;
// A realistic wall clock (ms) so the time-based HMAC windows are ordinary numbers.
inline constexpr uint64_t kStartMs = 1'796'000'000'000;

inline util::IpAddress Ip(const char* text) { return *util::IpAddress::Parse(text); }

// PacketSpec holds its payload as a span: Keep() gives test payloads (often temporaries) a
// stable home for the rest of the test program.
inline std::span<const uint8_t> Keep(Bytes payload) {
  static std::deque<Bytes> kept;
  kept.push_back(std::move(payload));
  return kept.back();
}

// The flow most pipeline tests use: a sales host to the voice service of the default config
// (10.10.2.10:sport -> 10.20.2.5:5060 UDP, routed to the datacenter, no payload encryption).
inline packet::PacketSpec VoiceSpec(uint16_t sport, std::span<const uint8_t> payload) {
  packet::PacketSpec s;
  s.src = Ip("10.10.2.10");
  s.dst = Ip("10.20.2.5");
  s.protocol = packet::kIpProtoUdp;
  s.src_port = sport;
  s.dst_port = 5060;
  s.payload = payload;
  return s;
}
// A TCP segment src:sport -> dst:dport with the given flags, sequence and acknowledgement numbers.
inline packet::PacketSpec TcpSpec(const char* src, const char* dst, uint16_t sport, uint16_t dport,
                                  uint8_t flags, uint32_t seq, uint32_t ack,
                                  std::span<const uint8_t> payload = {}) {
  packet::PacketSpec s;
  s.src = Ip(src);
  s.dst = Ip(dst);
  s.protocol = packet::kIpProtoTcp;
  s.src_port = sport;
  s.dst_port = dport;
  s.tcp_flags = flags;
  s.tcp_seq = seq;
  s.tcp_ack = ack;
  s.payload = payload;
  return s;
}
// The same packet spec in the other direction (addresses and ports swapped).
inline packet::PacketSpec Reversed(packet::PacketSpec s) {
  std::swap(s.src, s.dst);
  std::swap(s.src_port, s.dst_port);
  return s;
}

inline std::shared_ptr<const config::Config> LoadConfig(std::string_view text) {
  auto c = config::LoadConfigString(text, config::ConfigFormat::kText);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *c;
}

inline std::shared_ptr<const config::Config> DefaultConfig() {
  return LoadConfig(config::DefaultConfigText());
}

// Replaces every occurrence of `from` in `text` (for config variants in tests).
inline std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// `text` with the two routers peering over IPv6 (2001:db8::1 / ::2 instead of 192.0.2.1 / .2).
inline std::string PeerOverIpv6(std::string text) {
  text = Replace(text, "addresses: \"192.0.2.1/24\"", "addresses: \"2001:db8::1/64\"");
  text = Replace(text, "addresses: \"192.0.2.2/24\"", "addresses: \"2001:db8::2/64\"");
  text = Replace(text, "addresses: \"192.0.2.2\"", "addresses: \"2001:db8::2\"");
  text = Replace(text, "addresses: \"192.0.2.1\"", "addresses: \"2001:db8::1\"");
  return text;
}

// The built-in config with IPv6 prefixes for sales (fd00:10:2::/64) and voice (fd00:20:2::/64);
// with v6_wan the routers also peer over IPv6.
inline std::string DualStackConfigText(bool v6_wan) {
  std::string text(config::DefaultConfigText());
  text = Replace(text, "prefixes: \"10.10.2.0/24\"", "prefixes: \"10.10.2.0/24\" prefixes: \"fd00:10:2::/64\"");
  text = Replace(text, "prefixes: \"10.20.2.0/24\"", "prefixes: \"10.20.2.0/24\" prefixes: \"fd00:20:2::/64\"");
  return v6_wan ? PeerOverIpv6(std::move(text)) : text;
}

// Pipeline::Create(o), which must succeed.
inline std::unique_ptr<Pipeline> CreatePipeline(const PipelineOptions& o) {
  auto p = Pipeline::Create(o);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return std::move(*p);
}

struct RigOptions {
  std::shared_ptr<const config::Config> config;
  // Router A's own config when set (a peer whose config disagrees with B's); B and cfg_ use
  // `config`.
  std::shared_ptr<const config::Config> config_a;
  uint32_t max_sessions_a = 1024;
  uint32_t max_sessions_b = 1024;
  PipelineOptions base;  // recovery mode etc.; config/router/max_sessions are filled in
  // Router A's session budget when set (A as one worker of a router with several).
  SessionBudget* budget_a = nullptr;
};

class Rig {
 public:
  explicit Rig(RigOptions o = {}) : cfg_(o.config ? o.config : DefaultConfig()) {
    PipelineOptions pa = o.base;
    pa.config = o.config_a ? o.config_a : cfg_;
    pa.router = "branch";
    pa.max_sessions = o.max_sessions_a;
    if (o.budget_a != nullptr) pa.budget = o.budget_a;
    PipelineOptions pb = o.base;
    pb.config = cfg_;
    pb.router = "datacenter";
    pb.max_sessions = o.max_sessions_b;
    a_ = CreatePipeline(pa);
    b_ = CreatePipeline(pb);
    Wire(*a_, pool_a_, a_lan_, a_wan_);
    Wire(*b_, pool_b_, b_lan_, b_wan_);
    a_mac_wan_ = {0x02, 0x55, 0, 0, 0, 1};
    b_mac_wan_ = {0x02, 0x55, 1, 0, 0, 1};
    a_mac_lan_ = {0x02, 0x55, 0, 0, 0, 0};
    b_mac_lan_ = {0x02, 0x55, 1, 0, 0, 0};
    a_->neighbors().SetStatic(kWan, Ip("192.0.2.2"), b_mac_wan_);
    b_->neighbors().SetStatic(kWan, Ip("192.0.2.1"), a_mac_wan_);
  }

  // Servers behind B need a neighbour entry (B has never heard from them).
  void AddServer(const char* ip) { b_->neighbors().SetStatic(kLan, Ip(ip), kServerMac); }

  Pipeline& a() { return *a_; }
  io::MemoryFramePool& pool_a() { return pool_a_; }
  io::MemoryFramePool& pool_b() { return pool_b_; }
  Pipeline& b() { return *b_; }
  uint64_t now() const { return now_; }
  const config::Config& config() const { return *cfg_; }
  void Advance(uint64_t ms) { now_ += ms; }

  // A frame from a client host on A's LAN.
  Bytes ClientFrame(packet::PacketSpec spec) const {
    spec.src_mac = kClientMac;
    spec.dst_mac = a_mac_lan_;
    return Build(spec);
  }
  // A frame from a server host on B's LAN.
  Bytes ServerFrame(packet::PacketSpec spec) const {
    spec.src_mac = kServerMac;
    spec.dst_mac = b_mac_lan_;
    return Build(spec);
  }
  // What a host on B's LAN must receive for `spec` (as sent by the client) after two hops.
  Bytes AtServer(packet::PacketSpec spec) const {
    spec.src_mac = b_mac_lan_;
    spec.dst_mac = kServerMac;
    spec.ttl = static_cast<uint8_t>(spec.ttl - 2);
    return Build(spec);
  }
  Bytes AtClient(packet::PacketSpec spec) const {
    spec.src_mac = a_mac_lan_;
    spec.dst_mac = kClientMac;
    spec.ttl = static_cast<uint8_t>(spec.ttl - 2);
    return Build(spec);
  }
  static Bytes Build(const packet::PacketSpec& spec) {
    Bytes out(packet::FrameLength(spec));
    REQUIRE(!out.empty());
    REQUIRE(packet::BuildFrame(spec, out) == out.size());
    return out;
  }

  void FromClient(const Bytes& frame) { REQUIRE(a_lan_.Inject(frame)); }
  void FromServer(const Bytes& frame) { REQUIRE(b_lan_.Inject(frame)); }
  // Injects a frame on a router's WAN port as if it came over the cable.
  void IntoA(const Bytes& frame) { REQUIRE(a_wan_.Inject(frame)); }
  void IntoB(const Bytes& frame) { REQUIRE(b_wan_.Inject(frame)); }

  // Called for every frame crossing the cable (from A when a_to_b); return false to lose it.
  std::function<bool(Bytes& frame, bool a_to_b)> cable;

  // Runs both routers and the cable until nothing moves; collects LAN output.
  void Step() {
    for (int round = 0; round < 64; ++round) {
      size_t moved = a_->Poll(now_) + b_->Poll(now_);
      moved += Carry(a_wan_, b_wan_, true) + Carry(b_wan_, a_wan_, false);
      for (Bytes& f : a_lan_.TakeTransmitted()) to_client_.push_back(std::move(f));
      for (Bytes& f : b_lan_.TakeTransmitted()) to_server_.push_back(std::move(f));
      if (moved == 0) return;
    }
    FAIL("the routers kept exchanging frames for 64 rounds");
  }
  // Runs session expiry on both routers, then Step().
  void Expire() {
    a_->Expire(now_, 1u << 20);
    b_->Expire(now_, 1u << 20);
    Step();
  }

  std::vector<Bytes> to_client_;
  std::vector<Bytes> to_server_;
  std::vector<Bytes> wire_a_to_b_;
  std::vector<Bytes> wire_b_to_a_;

  std::shared_ptr<const config::Config> cfg_;
  packet::MacAddress a_mac_wan_{}, b_mac_wan_{}, a_mac_lan_{}, b_mac_lan_{};

 private:
  void Wire(Pipeline& p, io::MemoryFramePool& pool, io::MemoryPort& lan, io::MemoryPort& wan) {
    p.SetPool(&pool);
    p.Bind(kLan, &lan);
    p.Bind(kWan, &wan);
  }
  size_t Carry(io::MemoryPort& from, io::MemoryPort& to, bool a_to_b) {
    size_t n = 0;
    for (Bytes& f : from.TakeTransmitted()) {
      (a_to_b ? wire_a_to_b_ : wire_b_to_a_).push_back(f);
      if (cable && !cable(f, a_to_b)) continue;
      REQUIRE(to.Inject(f));
      ++n;
    }
    return n;
  }

  uint64_t now_ = kStartMs;
  io::MemoryFramePool pool_a_{512, 4096};
  io::MemoryFramePool pool_b_{512, 4096};
  io::MemoryPort a_lan_{"a-lan0", &pool_a_};
  io::MemoryPort a_wan_{"a-wan0", &pool_a_};
  io::MemoryPort b_lan_{"b-lan0", &pool_b_};
  io::MemoryPort b_wan_{"b-wan0", &pool_b_};
  std::unique_ptr<Pipeline> a_;
  std::unique_ptr<Pipeline> b_;
};

// The SVR metadata at the start of a WAN frame's L4 payload, if any (header section only: the
// payload section may be encrypted). Returns false when the payload does not start with the
// cookie.
struct WireView {
  packet::PacketInfo info;
  bool has_metadata = false;
  svr::MetadataLayout layout;
  svr::Metadata header;  // header-section TLVs
  std::span<const uint8_t> l4_payload;
};

inline WireView ViewWire(const Bytes& frame, size_t tag_size) {
  WireView v;
  REQUIRE(packet::ParseFrame(frame, &v.info) == packet::ParseResult::kOk);
  v.l4_payload = v.info.Payload(std::span<const uint8_t>(frame));
  if (!svr::StartsWithCookie(v.l4_payload)) return v;
  const auto body = v.l4_payload.first(v.l4_payload.size() - tag_size);
  REQUIRE(svr::DecodeMetadataHeader(body, &v.layout) == svr::DecodeResult::kOk);
  REQUIRE(svr::DecodeTlvSection(body.subspan(12, v.layout.header_length - 12),
                                svr::TlvSection::kHeader, &v.header,
                                nullptr) == svr::DecodeResult::kOk);
  v.has_metadata = !v.layout.is_false_positive_marker();
  return v;
}

inline uint64_t Get(const Pipeline& p, PipelineCounter c) { return p.counters().Get(c); }

}  // namespace ssr::pipeline::testing

#endif  // SSR_TEST_PIPELINE_PIPELINE_RIG_H_
