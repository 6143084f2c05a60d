// SPDX-License-Identifier: Apache-2.0
// Umem and XskPort on veth pairs inside test namespaces (ctest label `netns`). Frames are sent
// with AF_PACKET sockets from one namespace and received through XskPort in the other, or
// transmitted through XskPort and captured with AF_PACKET; every check compares exact bytes.
#include "io/xsk_port.h"

#include <net/if.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/umem.h"
#include "io/xsk_redirect_program.h"
#include "netns_fixture.h"

namespace ssr::io {
namespace {

using test::InNetns;
using test::NetnsTopology;
using test::VethEnd;

std::string ToString(const absl::Status& s) { return std::string(s.ToString()); }

// Two namespaces joined by one veth pair: "peer" (AF_PACKET side) and "dut" (XskPort side).
struct VethPair {
  explicit VethPair(int mtu = 1500) {
    const std::string peer_ns = topology.AddNamespace();
    const std::string dut_ns = topology.AddNamespace();
    peer = {peer_ns, "peer0", "02:00:00:00:0a:01", "10.99.0.1"};
    dut = {dut_ns, "dut0", "02:00:00:00:0b:01", "10.99.0.2"};
    topology.AddVethPair(peer, dut, mtu);
  }
  std::vector<uint8_t> Frame(size_t size, uint32_t seed) const {
    return test::BuildUdpFrame(dut.mac, peer.mac, peer.ipv4, dut.ipv4, size, seed);
  }
  NetnsTopology topology;  // first: destroyed last
  VethEnd peer;
  VethEnd dut;
};

// The Umem's own socket becomes the first port's socket: create it in the ports' namespace.
std::unique_ptr<Umem> MakeUmem(const std::string& netns = "", uint32_t frame_size = 4096) {
  std::optional<InNetns> in;
  if (!netns.empty()) in.emplace(netns);
  auto umem = Umem::Create({.frame_count = 4096, .frame_size = frame_size});
  if (!umem.ok()) test::SkipTest("cannot create a UMEM here: " + ToString(umem.status()));
  return std::move(umem).value();
}

// Creates a port inside `netns`; a mode the kernel refuses (Unavailable) skips the test.
std::unique_ptr<XskPort> PortOrSkip(const std::string& netns, Umem* umem,
                                    const XskPortOptions& options) {
  InNetns in(netns);
  auto port = XskPort::Create(umem, options);
  if (absl::IsUnavailable(port.status())) {
    test::SkipTest("AF_XDP " + std::string(XdpModeName(options.xdp_mode)) +
                   " mode not available: " + ToString(port.status()));
  }
  INFO(ToString(port.status()));
  REQUIRE(port.ok());
  return std::move(port).value();
}

// A packet socket in `netns` on `ifname`; its fd and ifindex.
struct PacketSocket {
  PacketSocket(const std::string& netns, const std::string& ifname) {
    InNetns in(netns);
    fd = test::OpenPacketSocket(ifname);
    ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
    REQUIRE(fd >= 0);
  }
  ~PacketSocket() { close(fd); }
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;
  bool Send(const std::vector<uint8_t>& frame) const { return test::SendRaw(fd, ifindex, frame); }
  int fd = -1;
  int ifindex = 0;
};

// Receives through `port` until `count` frames arrived or the timeout passes; copies them out
// and frees the frames.
std::vector<std::vector<uint8_t>> ReceiveFrames(XskPort& port, Umem& umem, size_t count,
                                                int timeout_ms = 2000) {
  std::vector<std::vector<uint8_t>> got;
  std::array<Frame, kMaxBurst> burst;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
    const size_t n = port.Receive(burst);
    for (size_t i = 0; i < n; ++i) {
      got.emplace_back(burst[i].data, burst[i].data + burst[i].length);
      // Received packets sit at the XDP headroom; the rest of the frame is writable.
      CHECK(burst[i].capacity == umem.frame_size() - kFrameHeadroom);
    }
    umem.Free({burst.data(), n});
    port.Flush();
    if (n == 0) usleep(1000);
  }
  return got;
}

// Copies `frame` into a Umem frame, transmits it and flushes until its completion is reaped.
bool TransmitOne(XskPort& port, Umem& umem, const std::vector<uint8_t>& bytes) {
  Frame f;
  if (umem.Allocate({&f, 1}) != 1 || bytes.size() > f.capacity) return false;
  std::copy(bytes.begin(), bytes.end(), f.data);
  f.length = static_cast<uint32_t>(bytes.size());
  if (port.Transmit({&f, 1}) != 1) {
    umem.Free({&f, 1});
    return false;
  }
  for (int i = 0; i < 1000 && port.tx_in_flight() != 0; ++i) {
    port.Flush();
    if (port.tx_in_flight() != 0) usleep(1000);
  }
  return port.tx_in_flight() == 0;
}

const std::vector<size_t> kSizes = {60, 128, 1000, 1514};

void CheckReceivesExactFrames(XdpMode mode) {
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  auto port =
      PortOrSkip(net.dut.netns, umem.get(), {.interface = net.dut.ifname, .xdp_mode = mode});
  CHECK(port->mode().xdp ==
        (mode == XdpMode::kNative ? XdpAttachMode::kNative : XdpAttachMode::kSkb));
  PacketSocket sender(net.peer.netns, net.peer.ifname);
  std::vector<std::vector<uint8_t>> sent;
  for (size_t i = 0; i < kSizes.size(); ++i) {
    sent.push_back(net.Frame(kSizes[i], static_cast<uint32_t>(i)));
    REQUIRE(sender.Send(sent.back()));
  }
  const auto got = ReceiveFrames(*port, *umem, sent.size());
  REQUIRE(got.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) CHECK(got[i] == sent[i]);
  CHECK(port->counters().Get(XskCounter::kRxPackets) == sent.size());
}

void CheckTransmitsExactFrames(XdpMode mode) {
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  auto port =
      PortOrSkip(net.dut.netns, umem.get(), {.interface = net.dut.ifname, .xdp_mode = mode});
  PacketSocket capture(net.peer.netns, net.peer.ifname);
  const size_t free_before = umem->available();
  for (size_t i = 0; i < kSizes.size(); ++i) {
    // Toward the peer: swap the roles of the MACs and addresses.
    const auto frame = test::BuildUdpFrame(net.peer.mac, net.dut.mac, net.dut.ipv4, net.peer.ipv4,
                                           kSizes[i], 100 + static_cast<uint32_t>(i));
    REQUIRE(TransmitOne(*port, *umem, frame));
    CHECK(test::WaitForFrame(capture.fd, frame, 2000));
  }
  CHECK(umem->available() == free_before);  // every completion came back to the pool
  CHECK(port->counters().Get(XskCounter::kTxCompleted) == kSizes.size());
}

// LAN namespace "hosts" has a0 and b0; the DUT namespace has r0 (peer of a0) and r1 (peer of
// b0), each with an XskPort on one shared Umem. Frames sent on a0 are received on r0,
// transmitted unchanged on r1 and captured on b0.
void CheckForwardsBetweenPortsOfOneUmem(XdpMode mode) {
  NetnsTopology topology;
  const std::string hosts = topology.AddNamespace();
  const std::string dut = topology.AddNamespace();
  const VethEnd a0{hosts, "a0", "02:00:00:00:0a:01", "10.98.1.1"};
  const VethEnd r0{dut, "r0", "02:00:00:00:0c:01", "10.98.1.2"};
  const VethEnd b0{hosts, "b0", "02:00:00:00:0b:01", "10.98.2.1"};
  const VethEnd r1{dut, "r1", "02:00:00:00:0c:02", "10.98.2.2"};
  topology.AddVethPair(a0, r0);
  topology.AddVethPair(b0, r1);
  auto umem = MakeUmem(dut);
  auto lan = PortOrSkip(dut, umem.get(), {.interface = "r0", .xdp_mode = mode});
  auto wan = PortOrSkip(dut, umem.get(), {.interface = "r1", .xdp_mode = mode});
  CHECK(umem->socket_count() == 2);
  PacketSocket sender(hosts, "a0");
  PacketSocket capture(hosts, "b0");

  constexpr int kFrames = 100;
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < kFrames; ++i) {
    sent.push_back(test::BuildUdpFrame(r0.mac, a0.mac, a0.ipv4, b0.ipv4, 60 + i * 13,
                                       static_cast<uint32_t>(i)));
    REQUIRE(sender.Send(sent.back()));
  }
  std::array<Frame, kMaxBurst> burst;
  size_t forwarded = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (forwarded < sent.size() && std::chrono::steady_clock::now() < deadline) {
    const size_t n = lan->Receive(burst);
    const size_t accepted = wan->Transmit({burst.data(), n});
    umem->Free({burst.data() + accepted, n - accepted});
    forwarded += accepted;
    wan->Flush();
    lan->Flush();
    if (n == 0) usleep(1000);
  }
  REQUIRE(forwarded == sent.size());
  // Order is kept end to end: check each frame at the far end.
  for (const auto& frame : sent) CHECK(test::WaitForFrame(capture.fd, frame, 2000));
  for (int i = 0; i < 1000 && wan->tx_in_flight() != 0; ++i) {
    wan->Flush();
    usleep(1000);
  }
  CHECK(wan->tx_in_flight() == 0);
  CHECK(wan->counters().Get(XskCounter::kTxCompleted) == sent.size());
}

TEST_CASE("Umem allocates frames at the XDP headroom with the rest of the frame as capacity",
          "[umem]") {
  test::RequireNetnsSupport();  // xsk_umem__create needs CAP_NET_RAW
  for (uint32_t frame_size : {2048u, 4096u}) {
    auto umem = MakeUmem("", frame_size);
    std::array<Frame, 8> frames;
    REQUIRE(umem->Allocate(frames) == frames.size());
    for (const Frame& f : frames) {
      const uint64_t addr = umem->AddressOf(f);
      CHECK(addr % frame_size == kFrameHeadroom);
      CHECK(f.capacity == frame_size - kFrameHeadroom);
      CHECK(f.length == 0);
    }
    CHECK(umem->available() == 4096 - frames.size());
    umem->Free(frames);
    CHECK(umem->available() == 4096);
  }
}

TEST_CASE("Umem allocation stops at zero when every frame is out", "[umem]") {
  test::RequireNetnsSupport();
  auto umem = Umem::Create({.frame_count = 128, .frame_size = 2048});
  REQUIRE(umem.ok());
  std::vector<Frame> frames(200);
  CHECK((*umem)->Allocate(frames) == 128);
  CHECK((*umem)->Allocate(frames) == 0);
  CHECK((*umem)->available() == 0);
}

TEST_CASE("Umem rejects a frame size other than 2048 or 4096 and names it", "[umem]") {
  auto umem = Umem::Create({.frame_size = 3000});
  REQUIRE(absl::IsInvalidArgument(umem.status()));
  CHECK(umem.status().message() == "umem.frame_size: 3000 must be 2048 or 4096");
}

TEST_CASE("XskPort rejects a batch size above the burst limit and names it", "[xsk]") {
  test::RequireNetnsSupport();
  auto umem = MakeUmem();
  auto port = XskPort::Create(umem.get(), {.interface = "lo", .batch_size = 65});
  REQUIRE(absl::IsInvalidArgument(port.status()));
  CHECK(port.status().message() == "batch_size: 65 is not in 1..64");
}

TEST_CASE("XskPort reports an interface that does not exist", "[xsk]") {
  test::RequireNetnsSupport();
  auto umem = MakeUmem();
  auto port = XskPort::Create(umem.get(), {.interface = "ssrio_nope0"});
  REQUIRE(absl::IsFailedPrecondition(port.status()));
  CHECK(port.status().message() == "interface: \"ssrio_nope0\" not found");
}

TEST_CASE("XskPort refuses a Umem created in another network namespace", "[xsk]") {
  VethPair net;
  auto umem = MakeUmem(net.peer.netns);
  InNetns in(net.dut.netns);
  auto port = XskPort::Create(umem.get(), {.interface = "dut0"});
  REQUIRE(absl::IsFailedPrecondition(port.status()));
  CHECK(port.status().message() ==
        "interface: \"dut0\": the Umem was created in another network namespace; create it in "
        "the namespace of the interfaces its ports use");
}

TEST_CASE("XskPort names a queue the interface does not have", "[xsk]") {
  VethPair net;  // one RX queue
  auto umem = MakeUmem(net.dut.netns);
  InNetns in(net.dut.netns);
  auto port = XskPort::Create(umem.get(), {.interface = "dut0", .queue_id = 3});
  REQUIRE(absl::IsFailedPrecondition(port.status()));
  CHECK_THAT(std::string(port.status().message()),
             Catch::StartsWith("AF_XDP socket on \"dut0\" queue 3: bind failed: Invalid argument "
                               "(queue_id beyond the interface's RX queues"));
}

TEST_CASE("XskPort receives the exact frames sent from the peer namespace (native XDP)",
          "[xsk][native]") {
  CheckReceivesExactFrames(XdpMode::kNative);
}

TEST_CASE("XskPort receives the exact frames sent from the peer namespace (skb XDP)",
          "[xsk][skb]") {
  CheckReceivesExactFrames(XdpMode::kSkb);
}

TEST_CASE("XskPort transmits exact frames that the peer captures (native XDP)", "[xsk][native]") {
  CheckTransmitsExactFrames(XdpMode::kNative);
}

TEST_CASE("XskPort transmits exact frames that the peer captures (skb XDP)", "[xsk][skb]") {
  CheckTransmitsExactFrames(XdpMode::kSkb);
}

TEST_CASE("Two ports sharing one Umem forward frames unchanged (native XDP)",
          "[xsk][shared][native]") {
  CheckForwardsBetweenPortsOfOneUmem(XdpMode::kNative);
}

TEST_CASE("Two ports sharing one Umem forward frames unchanged (skb XDP)", "[xsk][shared][skb]") {
  CheckForwardsBetweenPortsOfOneUmem(XdpMode::kSkb);
}

TEST_CASE("XskPort refills the fill ring by what it received", "[xsk]") {
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  auto port =
      PortOrSkip(net.dut.netns, umem.get(),
                 {.interface = net.dut.ifname, .xdp_mode = XdpMode::kNative, .fill_frames = 32});
  CHECK(port->fill_in_kernel() == 32);
  PacketSocket sender(net.peer.netns, net.peer.ifname);
  // Five rounds of 24 frames: more than the 32 fill-ring frames in total, so only refilled
  // frames can carry the later rounds.
  for (uint32_t round = 0; round < 5; ++round) {
    std::vector<std::vector<uint8_t>> sent;
    for (uint32_t i = 0; i < 24; ++i) {
      sent.push_back(net.Frame(100, round * 100 + i));
      REQUIRE(sender.Send(sent.back()));
    }
    const auto got = ReceiveFrames(*port, *umem, sent.size());
    REQUIRE(got == sent);
    CHECK(port->fill_in_kernel() == 32);
  }
  CHECK(port->counters().Get(XskCounter::kFillNoFrame) == 0);
}

TEST_CASE("One Flush pushes a whole burst of 64 out in copy mode", "[xsk][mode]") {
  // Copy mode sends at most 32 descriptors per sendto; Flush must kick until the ring is empty.
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  auto port = PortOrSkip(net.dut.netns, umem.get(), {.interface = net.dut.ifname});
  REQUIRE_FALSE(port->mode().zero_copy);
  std::array<Frame, kMaxBurst> burst;
  REQUIRE(umem->Allocate(burst) == burst.size());
  for (size_t i = 0; i < burst.size(); ++i) {
    const auto bytes = test::BuildUdpFrame(net.peer.mac, net.dut.mac, net.dut.ipv4, net.peer.ipv4,
                                           64, static_cast<uint32_t>(i));
    std::copy(bytes.begin(), bytes.end(), burst[i].data);
    burst[i].length = static_cast<uint32_t>(bytes.size());
  }
  REQUIRE(port->Transmit(burst) == burst.size());
  port->Flush();
  const uint64_t kicks = port->counters().Get(XskCounter::kTxWakeups);
  CHECK(kicks >= 1);
  CHECK(kicks <= XskPort::kMaxKicksPerFlush);
  // Later Flushes only reap completions: nothing was left on the TX ring to kick.
  for (int i = 0; i < 1000 && port->tx_in_flight() != 0; ++i) {
    usleep(1000);
    port->Flush();
  }
  CHECK(port->tx_in_flight() == 0);
  CHECK(port->counters().Get(XskCounter::kTxWakeups) == kicks);
  CHECK(port->counters().Get(XskCounter::kTxCompleted) == burst.size());
}

TEST_CASE("XskPort in auto mode reports native XDP and copy mode on veth", "[xsk][mode]") {
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  auto port = PortOrSkip(net.dut.netns, umem.get(), {.interface = net.dut.ifname});
  InNetns in(net.dut.netns);
  const auto attached = QueryXdpAttachMode(port->ifindex());
  REQUIRE(attached.ok());
  CHECK(port->mode().xdp == *attached);
  CHECK(port->mode().xdp == XdpAttachMode::kNative);
  CHECK_FALSE(port->mode().zero_copy);  // veth has no AF_XDP zero-copy
  CHECK(port->mode().need_wakeup);
  CHECK(port->mode().own_program);
  CHECK(XskModeString(port->mode()) == "xdp=native zero_copy=off need_wakeup=on program=own");
}

TEST_CASE("XskPort with zero-copy required fails on veth and names the option", "[xsk][mode]") {
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  InNetns in(net.dut.netns);
  auto port = XskPort::Create(umem.get(),
                              {.interface = net.dut.ifname, .zero_copy = ZeroCopyMode::kRequire});
  REQUIRE(absl::IsUnavailable(port.status()));
  CHECK_THAT(std::string(port.status().message()),
             Catch::StartsWith("zero_copy: require: AF_XDP socket on \"dut0\" queue 0"));
}

TEST_CASE("XskPort without need_wakeup kicks every flush and still moves frames", "[xsk][mode]") {
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  auto port = PortOrSkip(
      net.dut.netns, umem.get(),
      {.interface = net.dut.ifname, .zero_copy = ZeroCopyMode::kOff, .need_wakeup = false});
  CHECK_FALSE(port->mode().need_wakeup);
  PacketSocket peer(net.peer.netns, net.peer.ifname);
  const auto in = net.Frame(200, 7);
  REQUIRE(peer.Send(in));
  CHECK(ReceiveFrames(*port, *umem, 1) == std::vector<std::vector<uint8_t>>{in});
  const auto out =
      test::BuildUdpFrame(net.peer.mac, net.dut.mac, net.dut.ipv4, net.peer.ipv4, 300, 8);
  REQUIRE(TransmitOne(*port, *umem, out));
  CHECK(test::WaitForFrame(peer.fd, out, 2000));
  CHECK(port->counters().Get(XskCounter::kTxWakeups) >= 1);
}

TEST_CASE("XskPort joins an XSKMAP it is given instead of attaching a program", "[xsk][xskmap]") {
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  std::unique_ptr<XskRedirectProgram> gate;
  {
    InNetns in(net.dut.netns);
    auto program =
        XskRedirectProgram::Create(static_cast<int>(if_nametoindex("dut0")), "dut0", XdpMode::kSkb);
    INFO(ToString(program.status()));
    REQUIRE(program.ok());
    gate = std::move(program).value();
  }
  auto port = PortOrSkip(net.dut.netns, umem.get(),
                         {.interface = net.dut.ifname, .xskmap_fd = gate->xskmap_fd()});
  CHECK_FALSE(port->mode().own_program);
  CHECK(port->mode().xdp == XdpAttachMode::kSkb);
  PacketSocket sender(net.peer.netns, net.peer.ifname);
  const auto frame = net.Frame(500, 42);
  REQUIRE(sender.Send(frame));
  CHECK(ReceiveFrames(*port, *umem, 1) == std::vector<std::vector<uint8_t>>{frame});
}

TEST_CASE("XskPort takes the XSKMAP key it is given as the gate lays out its slots",
          "[xsk][xskmap]") {
  // The gate's key is xsk_slot * SSR_GATE_MAX_QUEUES + queue; here a program adding 8.
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  std::unique_ptr<XskRedirectProgram> gate;
  {
    InNetns in(net.dut.netns);
    auto program = XskRedirectProgram::Create(static_cast<int>(if_nametoindex("dut0")), "dut0",
                                              XdpMode::kNative, /*key_offset=*/8);
    INFO(ToString(program.status()));
    REQUIRE(program.ok());
    gate = std::move(program).value();
  }
  auto port =
      PortOrSkip(net.dut.netns, umem.get(),
                 {.interface = net.dut.ifname, .xskmap_fd = gate->xskmap_fd(), .xskmap_key = 8});
  PacketSocket sender(net.peer.netns, net.peer.ifname);
  const auto frame = net.Frame(300, 77);
  REQUIRE(sender.Send(frame));
  CHECK(ReceiveFrames(*port, *umem, 1) == std::vector<std::vector<uint8_t>>{frame});
}

TEST_CASE("XskPort refuses an XSKMAP key without an XSKMAP", "[xsk][xskmap]") {
  test::RequireNetnsSupport();
  auto umem = MakeUmem();
  auto port = XskPort::Create(umem.get(), {.interface = "lo", .xskmap_key = 3});
  REQUIRE(absl::IsInvalidArgument(port.status()));
  CHECK(port.status().message() == "xskmap_key: 3 needs xskmap_fd");
}

TEST_CASE("XskPort refuses an xdp_mode the existing program contradicts", "[xsk][xskmap]") {
  VethPair net;
  auto umem = MakeUmem(net.dut.netns);
  InNetns in(net.dut.netns);
  auto gate =
      XskRedirectProgram::Create(static_cast<int>(if_nametoindex("dut0")), "dut0", XdpMode::kSkb);
  REQUIRE(gate.ok());
  auto port = XskPort::Create(
      umem.get(),
      {.interface = "dut0", .xdp_mode = XdpMode::kNative, .xskmap_fd = (*gate)->xskmap_fd()});
  REQUIRE(absl::IsFailedPrecondition(port.status()));
  CHECK(port.status().message() ==
        "xdp_mode: native requested but the XDP program on \"dut0\" is attached in skb mode");
}

TEST_CASE("A packet filling a 2048-byte frame arrives and one byte more is dropped", "[xsk][mtu]") {
  // 2048 - 256 headroom = 1792 bytes of packet per frame (MTU 1778 untagged).
  VethPair net(/*mtu=*/1800);
  auto umem = MakeUmem(net.dut.netns, 2048);
  auto port = PortOrSkip(net.dut.netns, umem.get(),
                         {.interface = net.dut.ifname, .xdp_mode = XdpMode::kSkb});
  PacketSocket sender(net.peer.netns, net.peer.ifname);
  const auto fits = net.Frame(2048 - kFrameHeadroom, 1);
  const auto too_big = net.Frame(2048 - kFrameHeadroom + 1, 2);
  REQUIRE(sender.Send(too_big));
  REQUIRE(sender.Send(fits));
  const auto got = ReceiveFrames(*port, *umem, 2, /*timeout_ms=*/500);
  CHECK(got == std::vector<std::vector<uint8_t>>{fits});
  const auto stats = port->KernelStatistics();
  REQUIRE(stats.ok());
  CHECK(stats->rx_dropped == 1);
}

}  // namespace
}  // namespace ssr::io
