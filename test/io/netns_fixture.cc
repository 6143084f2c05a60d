// SPDX-License-Identifier: Apache-2.0
#include "netns_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace ssr::test {
namespace {

std::vector<NetnsTopology*>& LiveTopologies() {
  static std::vector<NetnsTopology*> live;
  return live;
}

int RunShell(const std::string& command) {
  const int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// See the header: the `ip netns exec` mount namespace, once per process.
void EnterPrivateMountNamespace() {
  static bool done = false;
  if (done) return;
  if (unshare(CLONE_NEWNS) != 0) {
    SkipTest(std::string("unshare(CLONE_NEWNS) failed: ") + std::strerror(errno));
  }
  if (mount("none", "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    SkipTest(std::string("making / a slave mount failed: ") + std::strerror(errno));
  }
  struct statfs st {};
  if (statfs("/sys/fs/bpf", &st) != 0 || static_cast<uint32_t>(st.f_type) != 0xcafe4a11u) {
    if (mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) != 0) {
      SkipTest(std::string("mounting bpffs at /sys/fs/bpf failed: ") + std::strerror(errno));
    }
  }
  done = true;
}

bool ParseMac(const std::string& s, uint8_t out[6]) {
  unsigned v[6];
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
    return false;
  }
  for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(v[i]);
  return true;
}

}  // namespace

void SkipTest(const std::string& reason) {
  std::printf("SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  for (NetnsTopology* t : LiveTopologies()) t->Teardown();
  std::_Exit(77);
}

void RequireNetnsSupport() {
  if (geteuid() != 0) SkipTest("network namespace tests need root");
  if (RunShell("ip -V") != 0) SkipTest("the ip tool (iproute2) is not installed");
}

InNetns::InNetns(const std::string& netns) {
  saved_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (saved_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
    const std::string err = std::strerror(errno);
    if (target >= 0) close(target);
    FAIL("entering network namespace " << netns << " failed: " << err);
  }
  close(target);
}

InNetns::~InNetns() {
  if (saved_ >= 0) {
    if (setns(saved_, CLONE_NEWNET) != 0) std::abort();  // a thread stuck in a test namespace
    close(saved_);
  }
}

NetnsTopology::NetnsTopology() {
  RequireNetnsSupport();
  EnterPrivateMountNamespace();
  LiveTopologies().push_back(this);
}

NetnsTopology::~NetnsTopology() {
  Teardown();
  auto& live = LiveTopologies();
  live.erase(std::remove(live.begin(), live.end(), this), live.end());
}

void NetnsTopology::Teardown() {
  for (const std::string& ns : namespaces_) RunShell("ip netns del " + ns);
  namespaces_.clear();
}

std::string NetnsTopology::AddNamespace() {
  static int sequence = 0;
  const std::string name =
      std::string(kNetnsPrefix) + "_" + std::to_string(getpid()) + "_" + std::to_string(sequence++);
  if (RunShell("ip netns add " + name) != 0) SkipTest("ip netns add " + name + " failed");
  namespaces_.push_back(name);
  Exec(name, "ip link set lo up");
  Exec(name,
       "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
       "net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
  return name;
}

void NetnsTopology::AddVethPair(const VethEnd& a, const VethEnd& b, int mtu, int queues) {
  const std::string q =
      " numrxqueues " + std::to_string(queues) + " numtxqueues " + std::to_string(queues);
  const std::string cmd = "ip link add name " + a.ifname + " netns " + a.netns + " address " +
                          a.mac + " mtu " + std::to_string(mtu) + q + " type veth peer name " +
                          b.ifname + " netns " + b.netns + " address " + b.mac + " mtu " +
                          std::to_string(mtu) + q;
  if (RunShell(cmd) != 0) SkipTest("creating a veth pair failed: " + cmd);
  for (const auto& [self, peer] : {std::pair{a, b}, std::pair{b, a}}) {
    Exec(self.netns, "ip addr add " + self.ipv4 + "/24 dev " + self.ifname);
    Exec(self.netns, "ip link set " + self.ifname + " up");
    Exec(self.netns, "ip neigh replace " + peer.ipv4 + " lladdr " + peer.mac + " dev " +
                         self.ifname + " nud permanent");
  }
}

int NetnsTopology::Exec(const std::string& netns, const std::string& command, bool may_fail) {
  const int rc = RunShell("ip netns exec " + netns + " " + command);
  if (rc != 0 && !may_fail) FAIL("in " << netns << ": `" << command << "` exited " << rc);
  return rc;
}

int OpenPacketSocket(const std::string& ifname) {
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) return -1;
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (addr.sll_ifindex == 0 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendRaw(int fd, int ifindex, const std::vector<uint8_t>& frame) {
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = ifindex;
  addr.sll_halen = ETH_ALEN;
  std::memcpy(addr.sll_addr, frame.data(), ETH_ALEN);
  return sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&addr),
                sizeof(addr)) == static_cast<ssize_t>(frame.size());
}

bool WaitForFrame(int fd, const std::vector<uint8_t>& match, int timeout_ms) {
  std::vector<uint8_t> buf(16384);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    // Only frames arriving at this interface count (not our own transmissions).
    sockaddr_ll from{};
    socklen_t len = sizeof(from);
    const ssize_t n = recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
    if (static_cast<size_t>(n) == match.size() &&
        std::equal(match.begin(), match.end(), buf.begin())) {
      return true;
    }
  }
  return false;
}

std::vector<uint8_t> BuildUdpFrame(const std::string& dst_mac, const std::string& src_mac,
                                   const std::string& src_ip, const std::string& dst_ip,
                                   size_t size, uint32_t seed) {
  if (size < 42) throw std::invalid_argument("frame too small");
  std::vector<uint8_t> f(size, 0);
  if (!ParseMac(dst_mac, &f[0]) || !ParseMac(src_mac, &f[6])) {
    throw std::invalid_argument("bad MAC");
  }
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t* ip = &f[14];
  const size_t ip_len = size - 14;
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>(ip_len >> 8);
  ip[3] = static_cast<uint8_t>(ip_len);
  ip[8] = 64;
  ip[9] = 17;  // UDP
  inet_pton(AF_INET, src_ip.c_str(), ip + 12);
  inet_pton(AF_INET, dst_ip.c_str(), ip + 16);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += static_cast<uint32_t>(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = static_cast<uint8_t>(~sum >> 8);
  ip[11] = static_cast<uint8_t>(~sum);
  uint8_t* udp = ip + 20;
  const size_t udp_len = ip_len - 20;
  udp[0] = 0x9c;  // 40000 -> 40001
  udp[1] = 0x40;
  udp[2] = 0x9c;
  udp[3] = 0x41;
  udp[4] = static_cast<uint8_t>(udp_len >> 8);
  udp[5] = static_cast<uint8_t>(udp_len);
  for (size_t i = 42; i < size; ++i) f[i] = static_cast<uint8_t>(seed * 131 + i * 7);
  return f;
}

}  // namespace ssr::test
