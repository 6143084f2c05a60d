// SPDX-License-Identifier: Apache-2.0
#include "gate_test_support.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "config/loader.h"

namespace ssr::gate::test {
namespace {

int RunShell(const std::string& command) {
  const int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

void SkipTest(const std::string& reason) {
  std::printf("SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  std::_Exit(77);
}

void EnterTestNamespace() {
  static bool done = false;
  if (done) return;
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
    SkipTest(std::string("unshare(CLONE_NEWNET | CLONE_NEWNS) failed (needs root): ") +
             std::strerror(errno));
  }
  // Keep mounts made here (bpffs) out of the host's mount namespace.
  if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    SkipTest(std::string("making / private failed: ") + std::strerror(errno));
  }
  struct statfs st {};
  if (statfs("/sys/fs/bpf", &st) != 0 || static_cast<uint32_t>(st.f_type) != 0xcafe4a11u) {
    if (mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) != 0) {
      SkipTest(std::string("mounting bpffs at /sys/fs/bpf failed: ") + std::strerror(errno));
    }
  }
  for (const char* cmd : {"ip link set lo up", "ip link add lan0 type veth peer name lan0p",
                          "ip link add wan0 type veth peer name wan0p", "ip link set lan0 up",
                          "ip link set lan0p up", "ip link set wan0 up", "ip link set wan0p up"}) {
    if (RunShell(cmd) != 0) SkipTest(std::string("\"") + cmd + "\" failed (veth missing?)");
  }
  done = true;
}

std::shared_ptr<const config::Config> DefaultConfig() {
  auto config = config::LoadConfigString(config::DefaultConfigText(), config::ConfigFormat::kText);
  if (!config.ok()) {
    std::fprintf(stderr, "default config does not load: %s\n", config.status().ToString().c_str());
    std::abort();
  }
  return *config;
}

std::unique_ptr<Gate> LoadGateOrSkip(const config::Config& config, std::string_view router) {
  EnterTestNamespace();
  absl::StatusOr<GateContents> contents = ComputeGateContents(config, router);
  if (!contents.ok()) {
    std::fprintf(stderr, "%s\n", contents.status().ToString().c_str());
    std::abort();
  }
  absl::StatusOr<std::unique_ptr<Gate>> gate = Gate::Load(*std::move(contents));
  if (!gate.ok()) {
    if (gate.status().code() == absl::StatusCode::kPermissionDenied ||
        gate.status().code() == absl::StatusCode::kUnavailable) {
      SkipTest(std::string(gate.status().message()));
    }
    std::fprintf(stderr, "%s\n", gate.status().ToString().c_str());
    std::abort();
  }
  for (const char* name : {"lan0", "wan0"}) {
    if (absl::Status s = (*gate)->RegisterInterface(name); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::abort();
    }
  }
  return *std::move(gate);
}

struct TestXsk::Rings {
  xsk_ring_prod fill{};
  xsk_ring_cons comp{};
  xsk_ring_cons rx{};
  xsk_ring_prod tx{};
};

TestXsk::TestXsk() : rings_(std::make_unique<Rings>()) {}

absl::StatusOr<std::unique_ptr<TestXsk>> TestXsk::Create(const std::string& ifname,
                                                         uint32_t queue) {
  auto x = std::unique_ptr<TestXsk>(new TestXsk());
  x->area_size_ = size_t{4096} * 64;
  void* area = mmap(nullptr, x->area_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                    -1, 0);
  if (area == MAP_FAILED) return absl::ResourceExhaustedError("mmap of the UMEM failed");
  x->area_ = area;
  if (int err = xsk_umem__create(&x->umem_, area, x->area_size_, &x->rings_->fill,
                                 &x->rings_->comp, nullptr);
      err != 0) {
    return absl::UnavailableError(std::string("xsk_umem__create: ") + std::strerror(-err));
  }
  xsk_socket_config cfg{};
  cfg.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;
  cfg.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS;
  cfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  cfg.xdp_flags = XDP_FLAGS_SKB_MODE;
  cfg.bind_flags = XDP_COPY;
  if (int err = xsk_socket__create(&x->xsk_, ifname.c_str(), queue, x->umem_, &x->rings_->rx,
                                   &x->rings_->tx, &cfg);
      err != 0) {
    return absl::UnavailableError(std::string("xsk_socket__create on ") + ifname + ": " +
                                  std::strerror(-err));
  }
  return x;
}

TestXsk::~TestXsk() {
  if (xsk_ != nullptr) xsk_socket__delete(xsk_);
  if (umem_ != nullptr) xsk_umem__delete(umem_);
  if (area_ != nullptr) munmap(area_, area_size_);
}

int TestXsk::fd() const { return xsk_socket__fd(xsk_); }

std::vector<std::unique_ptr<TestXsk>> AddSocketsOrSkip(Gate& gate) {
  std::vector<std::unique_ptr<TestXsk>> out;
  for (const char* name : {"lan0", "wan0"}) {
    absl::StatusOr<std::unique_ptr<TestXsk>> x = TestXsk::Create(name, 0);
    if (!x.ok()) SkipTest(std::string(x.status().message()));
    if (absl::Status s = gate.AddSocket(name, 0, (*x)->fd()); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::abort();
    }
    out.push_back(*std::move(x));
  }
  return out;
}

RunResult RunGate(const Gate& gate, const std::string& ifname, const std::vector<uint8_t>& frame,
                  uint32_t repeat) {
  RunResult r;
  r.out.resize(frame.size() + 256);
  xdp_md ctx{};
  ctx.ingress_ifindex = if_nametoindex(ifname.c_str());
  ctx.rx_queue_index = 0;
  // The linear part: all of the frame (a smaller data_end would put the rest into fragments).
  ctx.data_end = static_cast<uint32_t>(frame.size());
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_out = r.out.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(r.out.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof(ctx), .repeat = static_cast<int>(repeat));
  r.err = bpf_prog_test_run_opts(gate.program_fd(), &opts);
  if (r.err != 0) r.err = errno;
  r.action = opts.retval;
  r.duration_ns = opts.duration;
  r.out.resize(opts.data_size_out);
  return r;
}

util::IpAddress Ip(const std::string& text) {
  std::optional<util::IpAddress> a = util::IpAddress::Parse(text);
  if (!a) {
    std::fprintf(stderr, "bad address in test: %s\n", text.c_str());
    std::abort();
  }
  return *a;
}

std::vector<uint8_t> Frame(const packet::PacketSpec& spec) {
  std::vector<uint8_t> out(packet::FrameLength(spec));
  const size_t n = packet::BuildFrame(spec, out);
  if (n == 0) {
    std::fprintf(stderr, "test packet spec cannot be encoded\n");
    std::abort();
  }
  out.resize(n);
  return out;
}

packet::PacketSpec Tcp(const std::string& src, uint16_t sport, const std::string& dst,
                       uint16_t dport) {
  packet::PacketSpec s;
  s.src = Ip(src);
  s.dst = Ip(dst);
  s.protocol = packet::kIpProtoTcp;
  s.src_port = sport;
  s.dst_port = dport;
  s.tcp_flags = packet::kTcpSyn;
  return s;
}

packet::PacketSpec Udp(const std::string& src, uint16_t sport, const std::string& dst,
                       uint16_t dport) {
  packet::PacketSpec s = Tcp(src, sport, dst, dport);
  s.protocol = packet::kIpProtoUdp;
  return s;
}

packet::PacketSpec Icmp(const std::string& src, const std::string& dst, int type) {
  packet::PacketSpec s;
  s.src = Ip(src);
  s.dst = Ip(dst);
  s.protocol = s.src.is_v4() ? packet::kIpProtoIcmp : packet::kIpProtoIcmpv6;
  s.icmp_type = type;
  s.icmp_id = 7;
  s.icmp_seq = 1;
  return s;
}

std::vector<uint8_t> EtherTypeFrame(uint16_t ether_type) {
  std::vector<uint8_t> f(60, 0);
  const uint8_t dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(f.data(), dst, 6);
  std::memcpy(f.data() + 6, src, 6);
  f[12] = static_cast<uint8_t>(ether_type >> 8);
  f[13] = static_cast<uint8_t>(ether_type);
  return f;
}

std::vector<uint8_t> ArpFrame() {
  std::vector<uint8_t> f = EtherTypeFrame(0x0806);
  // Request: Ethernet/IPv4, who has 10.10.0.1, tell 10.10.1.5.
  const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1, 10, 10, 1, 5,
                           0, 0, 0, 0, 0, 0, 10, 10, 0, 1};
  std::memcpy(f.data() + 14, arp, sizeof(arp));
  return f;
}

std::vector<uint64_t> CounterPackets(const Gate& gate) {
  std::vector<uint64_t> out(SSR_GATE_REASON_COUNT, 0);
  absl::StatusOr<std::vector<GateCounter>> counters = gate.ReadCounters();
  if (!counters.ok()) {
    std::fprintf(stderr, "%s\n", counters.status().ToString().c_str());
    std::abort();
  }
  for (const GateCounter& c : *counters) out[c.reason] = c.packets;
  return out;
}

std::string ActionName(uint32_t action) {
  switch (action) {
    case XDP_ABORTED:
      return "XDP_ABORTED";
    case XDP_DROP:
      return "XDP_DROP";
    case XDP_PASS:
      return "XDP_PASS";
    case XDP_TX:
      return "XDP_TX";
    case XDP_REDIRECT:
      return "XDP_REDIRECT";
    default:
      return "action " + std::to_string(action);
  }
}

}  // namespace ssr::gate::test
