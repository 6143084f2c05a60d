// SPDX-License-Identifier: Apache-2.0
// ProbeAfXdp: one test per condition it names, each produced for real inside a test namespace.
#include "io/afxdp_probe.h"

#include <linux/capability.h>
#include <net/if.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "io/xsk_redirect_program.h"
#include "netns_fixture.h"

namespace ssr::io {
namespace {

using test::InNetns;
using test::NetnsTopology;
using test::VethEnd;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

struct Veth {
  explicit Veth(int mtu = 1500, int queues = 1) {
    const std::string a = topology.AddNamespace();
    ns = topology.AddNamespace();
    topology.AddVethPair({a, "peer0", "02:00:00:00:0a:01", "10.97.0.1"},
                         {ns, "dut0", "02:00:00:00:0b:01", "10.97.0.2"}, mtu, queues);
  }
  NetnsTopology topology;
  std::string ns;
};

TEST_CASE("ProbeAfXdp passes on a veth with a fitting MTU and an existing queue", "[probe]") {
  Veth veth;
  InNetns in(veth.ns);
  const absl::Status s = ProbeAfXdp({.interface = "dut0", .queue_id = 0});
  INFO(s.ToString());
  CHECK(s.ok());
}

TEST_CASE("ProbeAfXdp names an interface that does not exist", "[probe]") {
  Veth veth;
  InNetns in(veth.ns);
  const absl::Status s = ProbeAfXdp({.interface = "nope0"});
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(Message(s) == "AF_XDP probe: interface \"nope0\" not found");
}

TEST_CASE("ProbeAfXdp names an MTU larger than the frame size allows", "[probe]") {
  Veth veth(/*mtu=*/9000);
  InNetns in(veth.ns);
  const absl::Status s = ProbeAfXdp({.interface = "dut0", .xdp_mode = XdpMode::kSkb});
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(Message(s) ==
        "AF_XDP probe: interface \"dut0\" MTU 9000 is larger than the frame size allows: at "
        "most 3822 with 4096-byte frames (256 headroom, 18 Ethernet+VLAN, 0 tail reserve)");
}

TEST_CASE("ProbeAfXdp accepts the largest MTU a 2048-byte frame holds and not one more",
          "[probe]") {
  const ProbeOptions options{.interface = "dut0", .frame_size = 2048, .xdp_mode = XdpMode::kSkb};
  const uint32_t limit = 2048 - 256 - 18;
  REQUIRE(MaxMtuForFrames(options, "veth") == limit);
  {
    Veth veth(static_cast<int>(limit));
    InNetns in(veth.ns);
    const absl::Status s = ProbeAfXdp(options);
    INFO(s.ToString());
    CHECK(s.ok());
  }
  Veth veth(static_cast<int>(limit + 1));
  InNetns in(veth.ns);
  CHECK_THAT(Message(ProbeAfXdp(options)), Catch::Contains("MTU 1775 is larger"));
}

TEST_CASE("ProbeAfXdp applies veth's native XDP limit only in native mode", "[probe]") {
  // A veth refuses a native XDP program above this MTU; skb mode has no such limit.
  Veth veth(/*mtu=*/3600);
  InNetns in(veth.ns);
  CHECK(ProbeAfXdp({.interface = "dut0", .xdp_mode = XdpMode::kSkb}).ok());
  const absl::Status native = ProbeAfXdp({.interface = "dut0", .xdp_mode = XdpMode::kNative});
  CHECK_THAT(Message(native), Catch::Contains("MTU 3600 is larger than the frame size allows: "
                                              "at most 3506"));
  CHECK_THAT(Message(native),
             Catch::Contains("native XDP on veth also needs MTU <= 3506 on both ends"));
}

TEST_CASE("The probe's veth native limit is the MTU at which the kernel still attaches XDP",
          "[probe]") {
  const uint32_t limit = MaxMtuForFrames({.xdp_mode = XdpMode::kNative}, "veth");
  {
    Veth veth(static_cast<int>(limit));
    InNetns in(veth.ns);
    auto program = XskRedirectProgram::Create(static_cast<int>(if_nametoindex("dut0")), "dut0",
                                              XdpMode::kNative);
    INFO(program.status().ToString());
    CHECK(program.ok());
  }
  Veth veth(static_cast<int>(limit + 1));
  InNetns in(veth.ns);
  auto program = XskRedirectProgram::Create(static_cast<int>(if_nametoindex("dut0")), "dut0",
                                            XdpMode::kNative);
  CHECK(absl::IsUnavailable(program.status()));
}

TEST_CASE("ProbeAfXdp counts the tail reserve against the frame", "[probe]") {
  Veth veth(/*mtu=*/1500);
  InNetns in(veth.ns);
  CHECK(
      ProbeAfXdp(
          {.interface = "dut0", .frame_size = 2048, .tail_reserve = 250, .xdp_mode = XdpMode::kSkb})
          .ok());
  CHECK_THAT(Message(ProbeAfXdp({.interface = "dut0",
                                 .frame_size = 2048,
                                 .tail_reserve = 300,
                                 .xdp_mode = XdpMode::kSkb})),
             Catch::Contains("at most 1474 with 2048-byte frames"));
}

TEST_CASE("ProbeAfXdp names a queue beyond the interface's RX queues", "[probe]") {
  Veth veth(1500, /*queues=*/4);
  InNetns in(veth.ns);
  CHECK(ProbeAfXdp({.interface = "dut0", .queue_id = 3}).ok());
  const absl::Status s = ProbeAfXdp({.interface = "dut0", .queue_id = 4});
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(Message(s) == "AF_XDP probe: queue 4 requested but interface \"dut0\" has 4 RX queue(s)");
}

TEST_CASE("ProbeAfXdp names a missing bpffs", "[probe]") {
  test::RequireNetnsSupport();
  char dir[] = "/tmp/ssrio_nobpffs_XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const absl::Status s = ProbeAfXdp({.bpffs_path = dir});
  rmdir(dir);
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(Message(s) == std::string("AF_XDP probe: bpffs not mounted at ") + dir +
                          " (mount -t bpf bpf " + dir + ")");
}

TEST_CASE("ProbeAfXdp names every capability a process without them lacks", "[probe]") {
  test::RequireNetnsSupport();
  Veth veth;  // for the private mount namespace with bpffs
  int pipefd[2];
  REQUIRE(pipe(pipefd) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Drop CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF and CAP_SYS_ADMIN from the effective set.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    syscall(SYS_capget, &header, data);
    for (int cap : {CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, 39 /* CAP_BPF */}) {
      data[cap / 32].effective &= ~(1u << (cap % 32));
    }
    if (syscall(SYS_capset, &header, data) != 0) _exit(2);
    const std::string m(ProbeAfXdp({}).message());
    const bool denied = absl::IsPermissionDenied(ProbeAfXdp({}));
    const std::string out = (denied ? "P" : "-") + m;
    (void)!write(pipefd[1], out.data(), out.size());
    _exit(0);
  }
  close(pipefd[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof(buf))) > 0;) out.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(out ==
        "PAF_XDP probe: capability CAP_NET_ADMIN missing (needed to attach XDP programs); "
        "capability CAP_NET_RAW missing (needed to create AF_XDP sockets); capability CAP_BPF "
        "missing (needed to load BPF programs and maps)");
}

}  // namespace
}  // namespace ssr::io
