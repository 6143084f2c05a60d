// SPDX-License-Identifier: Apache-2.0
// Flow steering inside the pipeline (docs/protocol.md §2.10.2): sessions get waypoint ports of
// their flow class, FlowOwner maps every packet of a session to one worker on both routers, and a
// frame owned by another worker is handed over before any processing.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "packet/parser.h"
#include "pipeline_rig.h"
#include "session/flow_owner.h"

namespace ssr::pipeline {
namespace {

using testing::Bytes;
using testing::Ip;
using testing::Keep;
using testing::kLan;
using testing::kWan;
using testing::Rig;
using testing::RigOptions;
using testing::VoiceSpec;

struct Captured {
  uint32_t owner;
  size_t interface;
  Bytes frame;
  bool reassembled;
};
struct Capture {
  std::vector<Captured> frames;
  static PipelineOptions::SteerResult Steer(void* self, uint32_t owner, size_t interface,
                                            const io::Frame& frame, bool reassembled) {
    auto& c = *static_cast<Capture*>(self);
    c.frames.push_back({owner, interface, Bytes(frame.data, frame.data + frame.length),
                        reassembled});
    return PipelineOptions::SteerResult::kHandedOff;
  }
};

packet::PacketInfo Parse(const Bytes& frame) {
  packet::PacketInfo info;
  REQUIRE(packet::ParseFrame(frame, &info) == packet::ParseResult::kOk);
  return info;
}

uint32_t Owner(Pipeline& p, size_t interface, const Bytes& frame) {
  return p.FlowOwner(interface, frame, Parse(frame), 0);
}

// Hands the captured frames to `p` as their owner would (ProcessHandedOff), then runs the rig.
void Deliver(Rig& rig, Pipeline& p, io::MemoryFramePool& pool, Capture& c) {
  for (Captured& f : c.frames) {
    io::Frame frame;
    REQUIRE(pool.Allocate({&frame, 1}) == 1);
    std::memcpy(frame.data, f.frame.data(), f.frame.size());
    frame.length = static_cast<uint32_t>(f.frame.size());
    p.ProcessHandedOff(f.interface, frame, f.reassembled, rig.now(), rig.now() * 1000);
  }
  c.frames.clear();
  p.FlushHandedOff();
  rig.Step();
}

TEST_CASE("steering: waypoint ports have the session's class, both routers agree on the owner") {
  constexpr uint32_t kWorkers = 4;
  // Both pipelines are worker 0 of a 4-worker router; what they hand over is captured, then
  // delivered back to them with ProcessHandedOff (as the owner would process it). The rig builds
  // the pipelines itself, so the capture is reached through a static.
  Capture ca;
  static Capture* shared = nullptr;
  shared = &ca;
  struct Fwd {
    static PipelineOptions::SteerResult Steer(void*, uint32_t owner, size_t interface,
                                              const io::Frame& frame, bool reassembled) {
      return Capture::Steer(shared, owner, interface, frame, reassembled);
    }
  };
  RigOptions o2;
  o2.base.workers = kWorkers;
  o2.base.steer = &Fwd::Steer;
  Rig r(o2);
  r.AddServer("10.20.2.5");
  size_t steered = 0;
  for (uint16_t sport = 40000; sport < 40040; ++sport) {
    CAPTURE(sport);
    const packet::PacketSpec spec = VoiceSpec(sport, Keep(Bytes(32, 0x11)));
    const uint32_t cls =
        session::FlowClass(spec.src, spec.src_port, spec.dst, spec.dst_port, spec.protocol);
    const uint32_t owner = session::OwnerOf(cls, kWorkers);
    const Bytes client = r.ClientFrame(spec);
    CHECK(Owner(r.a(), kLan, client) == owner);
    const size_t wire_before = r.wire_a_to_b_.size();
    r.FromClient(client);
    r.Step();
    if (owner != 0) {
      // Handed over before anything was done: nothing crossed the cable, no session.
      REQUIRE(ca.frames.size() == 1);
      CHECK(ca.frames[0].owner == owner);
      CHECK(ca.frames[0].interface == kLan);
      CHECK(r.wire_a_to_b_.size() == wire_before);
      ++steered;
      Deliver(r, r.a(), r.pool_a(), ca);
    }
    REQUIRE(r.wire_a_to_b_.size() == wire_before + 1);
    // B handed it over too when its owner (the same) is not 0; deliver it there.
    if (!ca.frames.empty()) {
      CHECK(ca.frames[0].owner == owner);
      CHECK(ca.frames[0].interface == kWan);
      Deliver(r, r.b(), r.pool_b(), ca);
    }
    const Bytes& wire = r.wire_a_to_b_.back();
    const packet::PacketInfo outer = Parse(wire);
    CHECK(session::PortClass(outer.src_port) == cls);  // A's waypoint port
    CHECK(session::PortClass(outer.dst_port) == cls);  // B's waypoint port
    CHECK(Owner(r.b(), kWan, wire) == owner);
    // The server's answer on B's LAN belongs to the same worker of B.
    const Bytes answer = r.ServerFrame(testing::Reversed(spec));
    CHECK(Owner(r.b(), kLan, answer) == owner);
  }
  CHECK(steered > 0);
  CHECK(r.a().counters().Get(PipelineCounter::kHandoffSent) == steered);
  CHECK(r.a().counters().Get(PipelineCounter::kHandoffReceived) == steered);
  CHECK(r.to_server_.size() == 40);  // every flow reached the server
  // Setup latency counts every session's first packet, handed over or not, at both routers.
  for (Pipeline* p : {&r.a(), &r.b()}) {
    uint64_t setups = 0;
    for (const Pipeline::ServiceCounts& c : p->service_counts()) setups += c.setup_count;
    CHECK(setups == 40);
  }
}

TEST_CASE("steering: BFD to worker 0, fragments by addresses, one worker never steers") {
  Capture c;
  static Capture* shared = nullptr;
  shared = &c;
  struct Fwd {
    static PipelineOptions::SteerResult Steer(void*, uint32_t owner, size_t interface,
                                              const io::Frame& frame, bool reassembled) {
      return Capture::Steer(shared, owner, interface, frame, reassembled);
    }
  };
  RigOptions o;
  o.base.workers = 8;
  o.base.steer = &Fwd::Steer;
  Rig r(o);
  packet::PacketSpec bfd;
  bfd.src = Ip("192.0.2.2");
  bfd.dst = Ip("192.0.2.1");
  bfd.protocol = packet::kIpProtoUdp;
  bfd.src_port = 1280;
  bfd.dst_port = 1280;
  bfd.payload = Keep(Bytes(24, 0));
  CHECK(Owner(r.a(), kWan, Rig::Build(bfd)) == 0);
  // Other WAN TCP / UDP: by the destination port's class.
  for (uint16_t port = 20000; port < 20200; port += 7) {
    bfd.dst_port = port;
    CHECK(Owner(r.a(), kWan, Rig::Build(bfd)) == session::OwnerOf(session::PortClass(port), 8));
  }
  // IP fragments: the same owner whatever their ports (later fragments carry none).
  packet::PacketSpec frag = VoiceSpec(40000, Keep(Bytes(64, 0x22)));
  frag.fragment = true;
  frag.more_fragments = true;
  frag.fragment_id = 77;
  const uint32_t first = Owner(r.a(), kLan, r.ClientFrame(frag));
  frag.src_port = 40001;
  CHECK(Owner(r.a(), kLan, r.ClientFrame(frag)) == first);
  CHECK(first == session::OwnerOf(session::FlowClass(frag.src, 0, frag.dst, 0, 0), 8));

  // One worker: nothing is handed over, every flow goes out directly.
  Rig one;
  for (uint16_t sport = 41000; sport < 41016; ++sport) {
    one.FromClient(one.ClientFrame(VoiceSpec(sport, Keep(Bytes(8, 1)))));
  }
  one.Step();
  CHECK(one.wire_a_to_b_.size() == 16);
  CHECK(one.a().counters().Get(PipelineCounter::kHandoffSent) == 0);
}

}  // namespace
}  // namespace ssr::pipeline
