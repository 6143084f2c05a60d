// SPDX-License-Identifier: Apache-2.0
// ns/packet of the XDP gate per fixture row (test/bpf/gate_rows.cc), measured with
// bpf_prog_test_run_opts in repeat mode (the kernel times `repeat` runs of the program on one
// frame and reports the average). Maps are filled from the built-in default config through
// ComputeGateContents, AF_XDP sockets sit on the receive queues so redirect rows take the
// redirect path. A one-instruction XDP_DROP program on the same frames is the baseline of the
// same run; the ratio column is gate / baseline.
//
// Usage: gate_bench [repeat (default 1000000)] [rounds (default 3, the median is printed)]
// Needs root (BPF, a private network namespace); exits 77 when that is refused.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gate_rows.h"
#include "gate_test_support.h"

namespace {

using ssr::gate::test::GateRow;

// r0 = XDP_DROP; exit.
int LoadBaselineProgram() {
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_DROP},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  return bpf_prog_load(BPF_PROG_TYPE_XDP, "ssr_drop_base", "GPL", insns, 2, nullptr);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Average ns per run of `prog_fd` over `repeat` runs, median of `rounds`.
double Measure(int prog_fd, const GateRow& row, uint32_t repeat, int rounds) {
  std::vector<double> samples;
  std::vector<uint8_t> out(row.frame.size() + 256);
  for (int i = 0; i < rounds; ++i) {
    xdp_md ctx{};
    ctx.ingress_ifindex = if_nametoindex(row.interface.c_str());
    ctx.data_end = static_cast<uint32_t>(row.frame.size());
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = row.frame.data(), .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(row.frame.size()),
                .data_size_out = static_cast<uint32_t>(out.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof(ctx), .repeat = static_cast<int>(repeat));
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
      std::perror("bpf_prog_test_run_opts");
      std::exit(1);
    }
    samples.push_back(static_cast<double>(opts.duration));
  }
  return Median(samples);
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t repeat = argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10))
                                   : 1000000u;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  auto config = ssr::gate::test::DefaultConfig();
  const std::vector<GateRow> rows = ssr::gate::test::GateRows();
  const int baseline_fd = [] {
    ssr::gate::test::EnterTestNamespace();
    return LoadBaselineProgram();
  }();
  if (baseline_fd < 0) ssr::gate::test::SkipTest("cannot load the baseline XDP program");

  std::printf("# XDP gate, bpf_prog_test_run_opts, repeat %u, median of %d rounds, CPU %ld "
              "online\n",
              repeat, rounds, sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-4s %-10s %-6s %-13s %-22s %8s %8s %6s  %s\n", "row", "router", "itf", "action",
              "reason", "ns/pkt", "base ns", "ratio", "description");
  for (const std::string router : {"branch", "datacenter"}) {
    auto gate = ssr::gate::test::LoadGateOrSkip(*config, router);
    auto sockets = ssr::gate::test::AddSocketsOrSkip(*gate);
    for (size_t i = 0; i < rows.size(); ++i) {
      const GateRow& row = rows[i];
      if (row.router != router) continue;
      const auto check = ssr::gate::test::RunGate(*gate, row.interface, row.frame);
      const double ns = Measure(gate->program_fd(), row, repeat, rounds);
      const double base = Measure(baseline_fd, row, repeat, rounds);
      std::printf("%-4zu %-10s %-6s %-13s %-22s %8.1f %8.1f %6.2f  %s%s\n", i + 1,
                  row.router.c_str(), row.interface.c_str(),
                  ssr::gate::test::ActionName(check.action).c_str(),
                  ssr_gate_reason_name(row.reason), ns, base, base > 0 ? ns / base : 0.0,
                  row.description.c_str(),
                  check.action == row.action ? "" : "  [ACTION DIFFERS FROM THE TABLE]");
    }
  }
  close(baseline_fd);
  return 0;
}
