// SPDX-License-Identifier: Apache-2.0
#include "io/xsk_redirect_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "io/bpf_log.h"
#include "util/strings.h"

namespace ssr::io {
namespace {

constexpr bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

// Returns the link fd or -errno.
int Attach(int prog_fd, int ifindex, uint32_t flags) {
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
  const int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
  return fd < 0 ? (fd == -1 ? -errno : fd) : fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<XskRedirectProgram>> XskRedirectProgram::Create(
    int ifindex, const std::string& ifname, XdpMode mode, uint32_t key_offset) {
  RouteBpfLibraryLogs();
  if (key_offset > (1u << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_offset: ", key_offset, " is above the limit of ", 1u << 20));
  }
  std::unique_ptr<XskRedirectProgram> p(new XskRedirectProgram());
  const int map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "ssr_xsks", sizeof(uint32_t),
                                    sizeof(uint32_t), key_offset + kMaxQueues, nullptr);
  if (map_fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "AF_XDP redirect program: creating the XSKMAP failed: ", std::strerror(-map_fd),
        " (AF_XDP sockets or CAP_BPF missing?)"));
  }
  p->map_ = UniqueFd(map_fd);

  // r2 = ctx->rx_queue_index + key_offset; r1 = &xsks_map; r3 = XDP_PASS;
  // return bpf_redirect_map(r1, r2, r3)
  const bpf_insn insns[] = {
      Insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1,
           static_cast<int16_t>(offsetof(xdp_md, rx_queue_index)), 0),
      Insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, static_cast<int32_t>(key_offset)),
      Insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd),
      Insn(0, 0, 0, 0, 0),  // second half of the 64-bit immediate
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, XDP_PASS),
      Insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map),
      Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
  };
  LIBBPF_OPTS(bpf_prog_load_opts, load_opts, .expected_attach_type = BPF_XDP);
  const int prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "ssr_xsk_redir", "Dual BSD/GPL", insns,
                                    sizeof(insns) / sizeof(insns[0]), &load_opts);
  if (prog_fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "AF_XDP redirect program: loading failed: ", std::strerror(-prog_fd), " (CAP_BPF?)"));
  }
  p->prog_ = UniqueFd(prog_fd);

  int link = -EOPNOTSUPP;
  if (mode != XdpMode::kSkb) {
    link = Attach(prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
    if (link >= 0) p->attach_mode_ = XdpAttachMode::kNative;
  }
  // Fall back to skb only when the driver lacks native XDP, not when the device is busy.
  if (link < 0 && mode == XdpMode::kAuto && link != -EBUSY && link != -EEXIST) {
    link = Attach(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
    if (link >= 0) p->attach_mode_ = XdpAttachMode::kSkb;
  } else if (mode == XdpMode::kSkb) {
    link = Attach(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
    if (link >= 0) p->attach_mode_ = XdpAttachMode::kSkb;
  }
  if (link < 0) {
    const std::string what = absl::StrCat("xdp_mode: ", util::ToAbsl(XdpModeName(mode)),
                                          ": attaching the AF_XDP redirect program to \"", ifname,
                                          "\" failed: ", std::strerror(-link));
    if (link == -EBUSY || link == -EEXIST) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, " (the interface already has an XDP program)"));
    }
    return absl::UnavailableError(what);
  }
  p->link_ = UniqueFd(link);
  return p;
}

}  // namespace ssr::io
