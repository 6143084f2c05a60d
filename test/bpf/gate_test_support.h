// SPDX-License-Identifier: Apache-2.0
// Helpers for the XDP gate tests and benchmark: a private network namespace with veth pairs
// named after the default config's interfaces, AF_XDP sockets bound to them so redirects
// succeed, frame builders and bpf_prog_test_run_opts.
//
// Design note: every process enters its own network (and mount) namespace with unshare() before
// it touches an interface, so the tests never see or change the host's interfaces, need no
// cleanup (the namespace dies with the process) and can name the veths "lan0" and "wan0" as the
// config does. A missing permission or kernel feature ends the process with exit code 77
// (ctest: Skipped), never a pass.
#ifndef SSR_TEST_BPF_GATE_TEST_SUPPORT_H_
#define SSR_TEST_BPF_GATE_TEST_SUPPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model.h"
#include "gate/gate.h"
#include "packet/builder.h"

struct xsk_socket;
struct xsk_umem;

namespace ssr::gate::test {

// Prints "SKIPPED: <reason>" and exits the process with 77.
[[noreturn]] void SkipTest(const std::string& reason);

// Once per process: private network + mount namespaces, bpffs mounted, lo up and the veth pairs
// lan0/lan0p and wan0/wan0p (up, one queue each). Skips the test when that is not permitted.
void EnterTestNamespace();

// The built-in default config (fails the test if it does not load).
std::shared_ptr<const config::Config> DefaultConfig();

// Loads a gate for `router` of `config` and registers lan0 and wan0; skips the test when BPF
// loading is not permitted here.
std::unique_ptr<Gate> LoadGateOrSkip(const config::Config& config, std::string_view router);

// An AF_XDP socket (copy mode, skb bind, no program loaded by libxdp) with its own UMEM, so that
// bpf_redirect_map into the gate's XSKMAP succeeds.
class TestXsk {
 public:
  static absl::StatusOr<std::unique_ptr<TestXsk>> Create(const std::string& ifname,
                                                         uint32_t queue);
  ~TestXsk();
  TestXsk(const TestXsk&) = delete;
  TestXsk& operator=(const TestXsk&) = delete;
  int fd() const;

 private:
  struct Rings;
  TestXsk();
  void* area_ = nullptr;
  size_t area_size_ = 0;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
  std::unique_ptr<Rings> rings_;  // libxdp ring structs (<xdp/xsk.h>)
};

// Creates sockets on (lan0, 0) and (wan0, 0) and puts them into the gate's XSKMAP.
std::vector<std::unique_ptr<TestXsk>> AddSocketsOrSkip(Gate& gate);

struct RunResult {
  int err = 0;          // bpf_prog_test_run_opts return (0 = ran)
  uint32_t action = 0;  // XDP action
  std::vector<uint8_t> out;
  uint32_t duration_ns = 0;  // average per run
};

// Runs the program once (or `repeat` times) on `frame` as if received on `ifname` queue 0.
RunResult RunGate(const Gate& gate, const std::string& ifname, const std::vector<uint8_t>& frame,
                  uint32_t repeat = 1);

// Frame builders.
std::vector<uint8_t> Frame(const packet::PacketSpec& spec);
packet::PacketSpec Tcp(const std::string& src, uint16_t sport, const std::string& dst,
                       uint16_t dport);
packet::PacketSpec Udp(const std::string& src, uint16_t sport, const std::string& dst,
                       uint16_t dport);
packet::PacketSpec Icmp(const std::string& src, const std::string& dst, int type);
std::vector<uint8_t> ArpFrame();
std::vector<uint8_t> EtherTypeFrame(uint16_t ether_type);
util::IpAddress Ip(const std::string& text);

// Counters summed over CPUs, indexed by reason.
std::vector<uint64_t> CounterPackets(const Gate& gate);

// "XDP_PASS", ...
std::string ActionName(uint32_t action);

}  // namespace ssr::gate::test

#endif  // SSR_TEST_BPF_GATE_TEST_SUPPORT_H_
