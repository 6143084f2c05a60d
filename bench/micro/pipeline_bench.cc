// SPDX-License-Identifier: Apache-2.0
// The forwarding pipeline per packet (one worker, no I/O): fast-path UDP at the ingress with the
// default hop policy (HMAC-SHA256-128, time-based), the same with end-to-end AES-256-CBC payload
// encryption (TCP to erp), the egress side (verify + restore), and new-session setup (policy,
// waypoints, session, encrypted metadata, HMAC) at the ingress. Frames are processed in bursts of
// 32 through ProcessBurst with a port that frees what it is given.
#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "config/loader.h"
#include "io/memory_port.h"
#include "packet/builder.h"
#include "pipeline/pipeline.h"

namespace ssr::pipeline {
namespace {

constexpr size_t kBurst = 32;
constexpr uint64_t kNow = 1'796'000'000'000;

class FreePort final : public io::Port {
 public:
  explicit FreePort(io::FramePool* pool) : pool_(pool) {}
  std::string_view name() const override { return "free"; }
  size_t Receive(std::span<io::Frame>) override { return 0; }
  size_t Transmit(std::span<const io::Frame> frames) override {
    if (!frames.empty()) {
      last.assign(frames.back().data, frames.back().data + frames.back().length);
    }
    pool_->Free(frames);
    return frames.size();
  }
  void Flush() override {}
  std::vector<uint8_t> last;

 private:
  io::FramePool* pool_;
};

struct Bench {
  std::unique_ptr<Pipeline> a, b;
  io::MemoryFramePool pool{1024, 4096};
  FreePort a_lan{&pool}, a_wan{&pool}, b_lan{&pool}, b_wan{&pool};

  explicit Bench(uint32_t max_sessions = 1u << 16,
                 std::string_view config_text = config::DefaultConfigText()) {
    auto cfg = config::LoadConfigString(config_text, config::ConfigFormat::kText);
    PipelineOptions o;
    o.config = *cfg;
    o.router = "branch";
    o.max_sessions = max_sessions;
    a = std::move(*Pipeline::Create(o));
    o.router = "datacenter";
    b = std::move(*Pipeline::Create(o));
    for (auto* p : {a.get(), b.get()}) p->SetPool(&pool);
    a->Bind(0, &a_lan);
    a->Bind(1, &a_wan);
    b->Bind(0, &b_lan);
    b->Bind(1, &b_wan);
    a->neighbors().SetStatic(1, *util::IpAddress::Parse("192.0.2.2"), {2, 0x55, 1, 0, 0, 1});
    b->neighbors().SetStatic(1, *util::IpAddress::Parse("192.0.2.1"), {2, 0x55, 0, 0, 0, 1});
    b->neighbors().SetStatic(0, *util::IpAddress::Parse("10.20.2.5"), {2, 0x5e, 0, 0, 0, 1});
    b->neighbors().SetStatic(0, *util::IpAddress::Parse("10.20.1.20"), {2, 0x5e, 0, 0, 0, 1});
  }
  // Runs `frame` through router p on iface `kBurst` times per call.
  void Burst(Pipeline& p, size_t iface, const std::vector<uint8_t>& frame) {
    std::array<io::Frame, kBurst> frames;
    pool.Allocate(frames);
    for (io::Frame& f : frames) {
      std::copy(frame.begin(), frame.end(), f.data);
      f.length = static_cast<uint32_t>(frame.size());
    }
    p.ProcessBurst(iface, frames, kNow);
  }
  // Runs one frame through router p on iface.
  void One(Pipeline& p, size_t iface, const std::vector<uint8_t>& frame) {
    std::array<io::Frame, 1> f;
    pool.Allocate(f);
    std::copy(frame.begin(), frame.end(), f[0].data);
    f[0].length = static_cast<uint32_t>(frame.size());
    p.ProcessBurst(iface, f, kNow);
  }
};

std::vector<uint8_t> Frame(const packet::PacketSpec& s) {
  std::vector<uint8_t> out(packet::FrameLength(s));
  packet::BuildFrame(s, out);
  return out;
}

packet::PacketSpec Udp(size_t frame_size, uint16_t sport = 40000) {
  static std::vector<uint8_t> payload(2000, 0x5a);
  packet::PacketSpec s;
  s.src = *util::IpAddress::Parse("10.10.2.10");
  s.dst = *util::IpAddress::Parse("10.20.2.5");
  s.protocol = packet::kIpProtoUdp;
  s.src_port = sport;
  s.dst_port = 5060;
  s.payload = std::span<const uint8_t>(payload).first(frame_size - 42);
  return s;
}

// Stops forward metadata on every session of `p`, as a reverse packet with metadata would.
void StopForwardMetadata(Pipeline& p) {
  for (uint32_t i = 0; i < p.sessions().capacity(); ++i) {
    if (p.sessions().at(i).live()) p.sessions().at(i).flags &= ~session::kSendForwardMetadata;
  }
}

// The per-packet figures of a benchmark that sent kBurst packets an iteration: items processed,
// ns_per_packet, and forwarded_ratio (`forwarded` of them sent on; below 1 the figure measures a
// drop path).
void ReportPackets(benchmark::State& state, uint64_t forwarded) {
  const double packets = static_cast<double>(state.iterations() * kBurst);
  state.counters["forwarded_ratio"] = static_cast<double>(forwarded) / packets;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBurst));
  state.counters["ns_per_packet"] =
      benchmark::Counter(packets, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Fast path at the ingress: lookup, rewrite, HMAC (the session's handshake is complete).
void BM_IngressFastPathUdp(benchmark::State& state) {
  Bench b;
  const auto req = Frame(Udp(static_cast<size_t>(state.range(0))));
  b.Burst(*b.a, 0, req);  // creates the session
  b.b->ProcessBurst(1, {}, kNow);
  StopForwardMetadata(*b.a);
  const uint64_t tx0 = b.a->counters().Get(PipelineCounter::kTxPackets);
  for (auto _ : state) b.Burst(*b.a, 0, req);
  ReportPackets(state, b.a->counters().Get(PipelineCounter::kTxPackets) - tx0);
}
BENCHMARK(BM_IngressFastPathUdp)->Arg(64)->Arg(512)->Arg(1400);

// Fast path at the egress: lookup, HMAC verify, restore, checksum.
void BM_EgressFastPathUdp(benchmark::State& state) {
  Bench b;
  const auto req = Frame(Udp(static_cast<size_t>(state.range(0))));
  // The session starts with a small packet: a 1400-byte first packet plus metadata exceeds the
  // 1500-byte MTU (no SVR fragmentation yet) and would be dropped.
  b.Burst(*b.a, 0, Frame(Udp(64)));
  b.Burst(*b.b, 1, b.a_wan.last);  // egress session from the metadata packet
  StopForwardMetadata(*b.a);
  b.Burst(*b.a, 0, req);
  const std::vector<uint8_t> outer = b.a_wan.last;  // a fast-path packet
  const uint64_t tx0 = b.b->counters().Get(PipelineCounter::kTxPackets);
  for (auto _ : state) b.Burst(*b.b, 1, outer);
  ReportPackets(state, b.b->counters().Get(PipelineCounter::kTxPackets) - tx0);
}
BENCHMARK(BM_EgressFastPathUdp)->Arg(64)->Arg(512)->Arg(1400);

// New sessions at the ingress: every packet of every burst is the first packet of a new UDP flow
// (distinct source port and address), so each one runs policy, waypoint allocation, session
// insert, metadata encoding + AES-256-CBC of the payload TLVs and the HMAC.
void BM_IngressNewSession(benchmark::State& state) {
  Bench b(1u << 20);
  std::vector<std::vector<uint8_t>> frames;
  for (uint32_t i = 0; i < 4096; ++i) frames.push_back(Frame(Udp(128, static_cast<uint16_t>(1024 + i))));
  size_t next = 0;
  uint8_t host = 10;
  for (auto _ : state) {
    if (next + kBurst > frames.size()) {
      state.PauseTiming();
      next = 0;
      ++host;  // a new client address in 10.10.2.0/24 (sales): every flow is new again
      for (auto& f : frames) f[14 + 15] = host;
      state.ResumeTiming();
    }
    std::array<io::Frame, kBurst> burst;
    b.pool.Allocate(burst);
    for (size_t i = 0; i < kBurst; ++i) {
      const auto& src = frames[next++];
      std::copy(src.begin(), src.end(), burst[i].data);
      burst[i].length = static_cast<uint32_t>(src.size());
    }
    b.a->ProcessBurst(0, burst, kNow);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBurst));
  state.counters["sessions"] = static_cast<double>(b.a->sessions().size());
  state.counters["forwarded_ratio"] =
      static_cast<double>(b.a->counters().Get(PipelineCounter::kTxPackets)) /
      static_cast<double>(state.iterations() * kBurst);
}
BENCHMARK(BM_IngressNewSession)->Iterations(1500);

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The default config with the voice service's payload encrypted end to end (payload-aes).
std::string PayloadAesVoice() {
  const std::string voice =
      "  transports { protocol: UDP ports { start: 5060 } ports { start: 10000 end: 20000 } }\n"
      "  access_policies { tenant: \"sales\" }\n";
  return ReplaceAll(std::string(config::DefaultConfigText()), voice,
                    voice + "  security_policy: \"payload-aes\"\n");
}

// The egress fast path with the replay filter (SecurityPolicy.replay_filter, issue 13 item 5) off
// or on: 64-byte UDP to voice with its payload encrypted end to end (a fresh IV per packet, so the
// filter applies to the session). Args: sessions, replay_filter (0/1). One session: 64 distinct
// packets of it, cycled (each comes back after 64 > 15 packets: never a replay; everything hot in
// cache). Many sessions: 16 distinct packets of each, sent in rounds over all sessions, so
// consecutive packets touch different sessions and history lines (forwarded_ratio 1: none is
// taken for a replay).
void BM_EgressFastPathReplayFilter(benchmark::State& state) {
  const auto sessions = static_cast<uint32_t>(state.range(0));
  std::string text = PayloadAesVoice();
  if (state.range(1) != 0) {
    text = ReplaceAll(text, "  name: \"peer-hop\"\n", "  name: \"peer-hop\"\n  replay_filter: true\n");
  }
  Bench b(1u << 17, text);
  std::vector<std::vector<uint8_t>> first;
  for (uint32_t i = 0; i < sessions; ++i) {
    first.push_back(Frame(Udp(64, static_cast<uint16_t>(1024 + i))));
    b.One(*b.a, 0, first.back());
    b.One(*b.b, 1, b.a_wan.last);  // the egress session from the metadata packet
  }
  StopForwardMetadata(*b.a);
  // 64 packets of each session when there is one, 16 of each otherwise, in rounds over the
  // sessions: a session's packet comes back after 16 or more of its own, out of its history.
  const uint32_t per_session = sessions == 1 ? 64 : 16;
  std::vector<std::vector<uint8_t>> fast;
  for (uint32_t round = 0; round < per_session; ++round) {
    for (uint32_t i = 0; i < sessions; ++i) {
      b.One(*b.a, 0, first[i]);
      fast.push_back(b.a_wan.last);
    }
  }
  const uint64_t tx0 = b.b->counters().Get(PipelineCounter::kTxPackets);
  size_t next = 0;
  for (auto _ : state) {
    std::array<io::Frame, kBurst> burst;
    b.pool.Allocate(burst);
    for (size_t i = 0; i < kBurst; ++i) {
      const auto& src = fast[next];
      next = next + 1 == fast.size() ? 0 : next + 1;
      std::copy(src.begin(), src.end(), burst[i].data);
      burst[i].length = static_cast<uint32_t>(src.size());
    }
    b.b->ProcessBurst(1, burst, kNow);
  }
  state.counters["sessions"] = static_cast<double>(b.b->sessions().size());
  state.counters["replay_dropped"] =
      static_cast<double>(b.b->counters().Get(PipelineCounter::kReplayDropped));
  ReportPackets(state, b.b->counters().Get(PipelineCounter::kTxPackets) - tx0);
}
BENCHMARK(BM_EgressFastPathReplayFilter)
    ->Args({1, 0})->Args({1, 1})->Args({4096, 0})->Args({4096, 1});


// A WAN port of router A that hands what A transmits straight to router B's WAN side (the frames
// share one pool; B transmits or frees them), so one ProcessBurst on A runs both routers.
class CablePort final : public io::Port {
 public:
  std::string_view name() const override { return "cable"; }
  size_t Receive(std::span<io::Frame>) override { return 0; }
  size_t Transmit(std::span<const io::Frame> frames) override {
    std::array<io::Frame, 256> copy;
    const size_t n = std::min(frames.size(), copy.size());
    std::copy(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(n), copy.begin());
    to->ProcessBurst(1, std::span(copy.data(), n), kNow);
    return n;
  }
  void Flush() override {}
  Pipeline* to = nullptr;
};

// Two routers back to back, 1400-byte UDP frames of one established session (voice), in bursts
// of 32: A's ingress (encap, payload encryption when on, hop HMAC) then B's egress (HMAC verify,
// decryption, restore). Args: encrypted (0: HMAC-only, the default policy's hop; 1: payload
// AES-256-CBC + hop HMAC-SHA256-128), burst_crypto (0/1: PipelineOptions::burst_crypto on A and
// B; only A seals). Compare encrypted / HMAC-only per packet within one run (issue 11 item 5).
void BM_TwoRoutersUdp1400(benchmark::State& state) {
  const bool encrypted = state.range(0) != 0;
  const bool burst = state.range(1) != 0;
  const std::string text =
      encrypted ? PayloadAesVoice() : std::string(config::DefaultConfigText());
  auto cfg = config::LoadConfigString(text, config::ConfigFormat::kText);
  io::MemoryFramePool pool(1024, 4096);
  FreePort a_lan(&pool), b_lan(&pool), b_wan(&pool);
  CablePort cable;
  PipelineOptions o;
  o.config = *cfg;
  o.burst_crypto = burst;
  o.router = "branch";
  auto a = std::move(*Pipeline::Create(o));
  o.router = "datacenter";
  auto b = std::move(*Pipeline::Create(o));
  cable.to = b.get();
  a->SetPool(&pool);
  b->SetPool(&pool);
  a->Bind(0, &a_lan);
  a->Bind(1, &cable);
  b->Bind(0, &b_lan);
  b->Bind(1, &b_wan);
  a->neighbors().SetStatic(1, *util::IpAddress::Parse("192.0.2.2"), {2, 0x55, 1, 0, 0, 1});
  b->neighbors().SetStatic(1, *util::IpAddress::Parse("192.0.2.1"), {2, 0x55, 0, 0, 0, 1});
  b->neighbors().SetStatic(0, *util::IpAddress::Parse("10.20.2.5"), {2, 0x5e, 0, 0, 0, 1});
  auto run = [&](const std::vector<uint8_t>& frame) {
    std::array<io::Frame, kBurst> frames;
    pool.Allocate(frames);
    for (io::Frame& f : frames) {
      std::copy(frame.begin(), frame.end(), f.data);
      f.length = static_cast<uint32_t>(frame.size());
    }
    a->ProcessBurst(0, frames, kNow);
  };
  // The session starts with a small packet (a 1400-byte one plus metadata would not fit whole);
  // B creates its session from the metadata; then A stops sending metadata as a reply would.
  run(Frame(Udp(64)));
  StopForwardMetadata(*a);
  const auto req = Frame(Udp(1400));
  const uint64_t tx0 = b->counters().Get(PipelineCounter::kTxPackets);
  const uint64_t sealed0 = a->counters().Get(PipelineCounter::kBurstSealed);
  const uint64_t opened0 = b->counters().Get(PipelineCounter::kBurstOpened);
  for (auto _ : state) run(req);
  const double packets = static_cast<double>(state.iterations() * kBurst);
  // Every packet must reach B's LAN (forwarded_ratio 1), or the figure measures a drop path.
  ReportPackets(state, b->counters().Get(PipelineCounter::kTxPackets) - tx0);
  state.counters["burst_sealed_ratio"] =
      static_cast<double>(a->counters().Get(PipelineCounter::kBurstSealed) - sealed0) / packets;
  state.counters["burst_opened_ratio"] =
      static_cast<double>(b->counters().Get(PipelineCounter::kBurstOpened) - opened0) / packets;
  state.SetLabel(!burst ? "scalar" : a->burst_crypto_status().ok() ? "burst" : "burst-unavailable");
}
BENCHMARK(BM_TwoRoutersUdp1400)
    ->ArgNames({"encrypted", "burst"})
    ->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1});

}  // namespace
}  // namespace ssr::pipeline

BENCHMARK_MAIN();
