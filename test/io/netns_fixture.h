// SPDX-License-Identifier: Apache-2.0
// NetnsTopology: network namespaces and veth pairs for AF_XDP tests, created with unique names
// and removed in the destructor (and, for crashed runs, by the ctest cleanup fixture that
// deletes every namespace whose name starts with kNetnsPrefix).
//
// How code runs "inside" a namespace. The kernel keeps the network namespace per thread, so
// InNetns switches the calling thread with setns(CLONE_NEWNET) and switches back in its
// destructor; sockets, XDP programs and AF_XDP sockets created meanwhile stay bound to that
// namespace's interfaces and can be used afterwards from anywhere. `ip netns exec` also gives
// the command a fresh mount namespace with its own /sys and bpffs; the equivalent here is
// EnterPrivateMountNamespace(), done once per test process before the first namespace is
// created: unshare(CLONE_NEWNS), mounts made slaves of the host, bpffs mounted at /sys/fs/bpf.
// So nothing is mounted on the host, and the namespaces' /run/netns bind mounts live only in
// the test's mount namespace: even a crashed test leaves no live namespace, only a stale name
// that the cleanup test removes.
//
// Skipping. Catch2 2.13 has no SKIP: SkipTest() prints the reason, tears down every live
// topology and exits with 77, which ctest reports as "Skipped" (SKIP_RETURN_CODE 77).
#ifndef SSR_TEST_IO_NETNS_FIXTURE_H_
#define SSR_TEST_IO_NETNS_FIXTURE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ssr::test {

inline constexpr char kNetnsPrefix[] = "ssrio";

// Prints "SKIPPED: <reason>", removes all live topologies, exits with 77.
[[noreturn]] void SkipTest(const std::string& reason);
// Skips unless root with the tools the fixture needs (ip).
void RequireNetnsSupport();

// setns() guard for the calling thread.
class InNetns {
 public:
  explicit InNetns(const std::string& netns);
  ~InNetns();
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  int saved_ = -1;
};

struct VethEnd {
  std::string netns;
  std::string ifname;
  std::string mac;   // "02:..."
  std::string ipv4;  // "10.x.y.z" (a /24)
};

class NetnsTopology {
 public:
  NetnsTopology();   // enters the private mount namespace once per process
  ~NetnsTopology();  // deletes the namespaces (their veths go with them)
  NetnsTopology(const NetnsTopology&) = delete;
  NetnsTopology& operator=(const NetnsTopology&) = delete;

  // Creates a namespace with a unique name (kNetnsPrefix + pid + sequence), lo up.
  std::string AddNamespace();
  // veth pair a <-> b with the given addresses, both up, static neighbours on both sides,
  // IPv6 disabled (no DAD, no router solicitations or MLD reports in the captures).
  void AddVethPair(const VethEnd& a, const VethEnd& b, int mtu = 1500, int queues = 1);
  // Runs a shell command inside `netns`; fails the test if it fails (unless may_fail).
  static int Exec(const std::string& netns, const std::string& command, bool may_fail = false);
  void Teardown();  // idempotent

 private:
  std::vector<std::string> namespaces_;
};

// Creates an AF_PACKET socket in the calling thread's namespace bound to `ifname`, receiving
// every protocol. Returns the fd (owned by the caller) or -1.
int OpenPacketSocket(const std::string& ifname);
// Sends one raw frame on a packet socket bound to `ifindex`.
bool SendRaw(int fd, int ifindex, const std::vector<uint8_t>& frame);
// Receives frames until `match` is seen or `timeout_ms` passes; returns true if seen.
bool WaitForFrame(int fd, const std::vector<uint8_t>& match, int timeout_ms);

// An Ethernet/IPv4/UDP frame of exactly `size` bytes (>= 42) whose payload is derived from
// `seed`, so every test frame is distinct.
std::vector<uint8_t> BuildUdpFrame(const std::string& dst_mac, const std::string& src_mac,
                                   const std::string& src_ip, const std::string& dst_ip,
                                   size_t size, uint32_t seed);

}  // namespace ssr::test

#endif  // SSR_TEST_IO_NETNS_FIXTURE_H_
