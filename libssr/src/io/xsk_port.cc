// SPDX-License-Identifier: Apache-2.0
#include "io/xsk_port.h"

#include <bpf/bpf.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "io/bpf_log.h"
#include "util/strings.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace ssr::io {
namespace {

bool IsPowerOfTwo(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

absl::Status ValidateOptions(const Umem& umem, const XskPortOptions& o) {
  if (o.interface.empty() || o.interface.size() >= IF_NAMESIZE) {
    return absl::InvalidArgumentError(
        absl::StrCat("interface: \"", o.interface, "\" is not a valid interface name"));
  }
  if (!IsPowerOfTwo(o.rx_ring_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rx_ring_size: ", o.rx_ring_size, " is not a power of two"));
  }
  if (!IsPowerOfTwo(o.tx_ring_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tx_ring_size: ", o.tx_ring_size, " is not a power of two"));
  }
  if (o.batch_size == 0 || o.batch_size > kMaxBurst) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_size: ", o.batch_size, " is not in 1..", kMaxBurst));
  }
  if (o.xskmap_key > 0xffffffffLL || (o.xskmap_key >= 0 && o.xskmap_fd < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("xskmap_key: ", o.xskmap_key,
                     o.xskmap_fd < 0 ? " needs xskmap_fd" : " does not fit a 32-bit XSKMAP key"));
  }
  if (o.fill_frames > umem.options().fill_ring_size) {
    return absl::InvalidArgumentError(absl::StrCat("fill_frames: ", o.fill_frames,
                                                   " exceeds the fill ring size ",
                                                   umem.options().fill_ring_size));
  }
  return absl::OkStatus();
}

// Transient sendto results of a TX wake-up: the kernel is busy or the ring is being drained.
bool IsTransientKickError(int err) {
  return err == EAGAIN || err == EBUSY || err == ENOBUFS || err == ENETDOWN;
}

}  // namespace

std::string XskModeString(const XskMode& mode) {
  return absl::StrCat("xdp=", util::ToAbsl(XdpAttachModeName(mode.xdp)),
                      " zero_copy=", mode.zero_copy ? "on" : "off",
                      " need_wakeup=", mode.need_wakeup ? "on" : "off",
                      " program=", mode.own_program ? "own" : "external");
}

XskPort::XskPort(Umem* umem, const XskPortOptions& options, int ifindex)
    : umem_(umem),
      batch_(options.batch_size),
      fill_target_(options.fill_frames != 0 ? options.fill_frames
                                            : umem->options().fill_ring_size / 2),
      need_wakeup_(options.need_wakeup),
      options_(options),
      ifindex_(ifindex),
      name_(absl::StrCat(options.interface, ":", options.queue_id)) {}

absl::StatusOr<std::unique_ptr<XskPort>> XskPort::Create(Umem* umem,
                                                         const XskPortOptions& options) {
  RouteBpfLibraryLogs();
  if (umem == nullptr) return absl::InvalidArgumentError("umem: null");
  if (absl::Status s = ValidateOptions(*umem, options); !s.ok()) return s;
  const int ifindex = static_cast<int>(if_nametoindex(options.interface.c_str()));
  if (ifindex == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("interface: \"", options.interface, "\" not found"));
  }
  if (umem->socket_count() == 0 && umem->netns_inode() != CurrentNetnsInode()) {
    // libxdp would bind the Umem's own socket, which lives in the other namespace, to the
    // ifindex of this one: silently the wrong interface.
    return absl::FailedPreconditionError(absl::StrCat(
        "interface: \"", options.interface,
        "\": the Umem was created in another network namespace; create it in the namespace of "
        "the interfaces its ports use"));
  }
  std::unique_ptr<XskPort> port(new XskPort(umem, options, ifindex));
  const std::string where =
      absl::StrCat("AF_XDP socket on \"", options.interface, "\" queue ", options.queue_id);

  int map_fd = options.xskmap_fd;
  if (map_fd < 0) {
    if (options.queue_id >= XskRedirectProgram::kMaxQueues) {
      return absl::InvalidArgumentError(absl::StrCat("queue_id: ", options.queue_id,
                                                     " exceeds the redirect program's ",
                                                     XskRedirectProgram::kMaxQueues, " queues"));
    }
    auto program = XskRedirectProgram::Create(ifindex, options.interface, options.xdp_mode);
    if (!program.ok()) return program.status();
    port->program_ = std::move(program).value();
    map_fd = port->program_->xskmap_fd();
    port->mode_.xdp = port->program_->attach_mode();
    port->mode_.own_program = true;
  } else {
    auto attached = QueryXdpAttachMode(ifindex);
    if (!attached.ok()) return attached.status();
    port->mode_.xdp = *attached;
    // The program is someone else's: its mode can only be checked, not chosen. None attached
    // yet is fine (the router attaches the gate after its sockets are in the map).
    const bool contradicts =
        (options.xdp_mode == XdpMode::kNative && *attached == XdpAttachMode::kSkb) ||
        (options.xdp_mode == XdpMode::kSkb && *attached == XdpAttachMode::kNative);
    if (contradicts) {
      return absl::FailedPreconditionError(
          absl::StrCat("xdp_mode: ", util::ToAbsl(XdpModeName(options.xdp_mode)),
                       " requested but the XDP program on \"", options.interface,
                       "\" is attached in ", util::ToAbsl(XdpAttachModeName(*attached)), " mode"));
    }
  }

  xsk_socket_config config{};
  config.rx_size = options.rx_ring_size;
  config.tx_size = options.tx_ring_size;
  config.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  config.xdp_flags = 0;  // unused: libxdp attaches nothing
  uint16_t bind_flags = options.need_wakeup ? XDP_USE_NEED_WAKEUP : 0;
  if (options.zero_copy == ZeroCopyMode::kRequire) bind_flags |= XDP_ZEROCOPY;
  if (options.zero_copy == ZeroCopyMode::kOff) bind_flags |= XDP_COPY;
  config.bind_flags = bind_flags;

  const int err = xsk_socket__create_shared(&port->xsk_, options.interface.c_str(),
                                            options.queue_id, umem->handle(), &port->rx_,
                                            &port->tx_, &port->fill_, &port->comp_, &config);
  if (err != 0) {
    port->xsk_ = nullptr;
    const int e = -err;
    if (options.zero_copy == ZeroCopyMode::kRequire && (e == EOPNOTSUPP || e == EINVAL)) {
      return absl::UnavailableError(absl::StrCat("zero_copy: require: ", where,
                                                 ": the driver does not support AF_XDP "
                                                 "zero-copy (",
                                                 std::strerror(e), ")"));
    }
    if (e == EINVAL) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": bind failed: ", std::strerror(e),
                       " (queue_id beyond the interface's RX queues, or ring sizes refused)"));
    }
    if (e == EBUSY) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": bind failed: ", std::strerror(e),
                       " (another AF_XDP socket is bound to this queue)"));
    }
    return absl::UnavailableError(
        absl::StrCat(where, ": xsk_socket__create failed: ", std::strerror(e)));
  }
  umem->AddSocket();
  port->fd_ = xsk_socket__fd(port->xsk_);

  const int64_t key = options.xskmap_key >= 0 ? options.xskmap_key : options.queue_id;
  int e = 0;
  if (options.xskmap_key >= 0) {
    const uint32_t key32 = static_cast<uint32_t>(key);
    const int sock_fd = port->fd_;
    e = bpf_map_update_elem(map_fd, &key32, &sock_fd, BPF_ANY);
  } else {
    e = xsk_socket__update_xskmap(port->xsk_, map_fd);
  }
  if (e != 0) {
    return absl::UnavailableError(
        absl::StrCat(where, ": inserting the socket into the XSKMAP at key ", key,
                     " failed: ", std::strerror(e < 0 ? -e : errno)));
  }

  xdp_options xo{};
  socklen_t len = sizeof(xo);
  if (getsockopt(port->fd_, SOL_XDP, XDP_OPTIONS, &xo, &len) != 0) {
    return absl::UnavailableError(
        absl::StrCat(where, ": getsockopt(XDP_OPTIONS) failed: ", std::strerror(errno)));
  }
  port->mode_.zero_copy = (xo.flags & XDP_OPTIONS_ZEROCOPY) != 0;
  port->mode_.need_wakeup = options.need_wakeup;
  port->RefillFillRing();
  return port;
}

XskPort::~XskPort() {
  if (xsk_ != nullptr) {
    xsk_socket__delete(xsk_);
    umem_->RemoveSocket();
  }
  // program_ (if any) detaches when its link fd closes, after the socket is gone.
}

size_t XskPort::Receive(std::span<Frame> out) {
  uint32_t want = static_cast<uint32_t>(out.size() < batch_ ? out.size() : batch_);
  uint32_t idx = 0;
  const uint32_t got = xsk_ring_cons__peek(&rx_, want, &idx);
  if (got == 0) {
    if (need_wakeup_ && xsk_ring_prod__needs_wakeup(&fill_)) {
      counters_.Increment(XskCounter::kRxWakeups);
      recvfrom(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
    }
    return 0;
  }
  for (uint32_t i = 0; i < got; ++i) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(&rx_, idx + i);
    out[i] = umem_->FrameAt(d->addr, d->len);
  }
  xsk_ring_cons__release(&rx_, got);
  fill_in_kernel_ -= got;
  counters_.Increment(XskCounter::kRxPackets, got);
  RefillFillRing();
  return got;
}

size_t XskPort::Transmit(std::span<const Frame> frames) {
  ReapCompletions();
  const uint32_t want = static_cast<uint32_t>(frames.size());
  uint32_t n = xsk_prod_nb_free(&tx_, want);
  if (n > want) n = want;
  uint32_t idx = 0;
  if (n == 0 || xsk_ring_prod__reserve(&tx_, n, &idx) != n) n = 0;
  for (uint32_t i = 0; i < n; ++i) {
    xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx + i);
    d->addr = umem_->AddressOf(frames[i]);
    d->len = frames[i].length;
    d->options = 0;
  }
  if (n != 0) {
    xsk_ring_prod__submit(&tx_, n);
    tx_in_flight_ += n;
    counters_.Increment(XskCounter::kTxPackets, n);
  }
  if (n < want) counters_.Increment(XskCounter::kTxRingFull, want - n);
  return n;
}

void XskPort::Flush() {
  for (int kick = 0; kick < kMaxKicksPerFlush && TxPending() != 0; ++kick) {
    if (need_wakeup_ && !xsk_ring_prod__needs_wakeup(&tx_)) break;
    counters_.Increment(XskCounter::kTxWakeups);
    if (sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && !IsTransientKickError(errno)) {
      counters_.Increment(XskCounter::kTxWakeupErrors);
      break;
    }
  }
  ReapCompletions();
  RefillFillRing();
}

uint32_t XskPort::TxPending() {
  // xsk_prod_nb_free refreshes the cached consumer index when asked for the whole ring.
  return tx_.size - xsk_prod_nb_free(&tx_, tx_.size);
}

void XskPort::ReapCompletions() {
  uint32_t idx = 0;
  const uint32_t n = xsk_ring_cons__peek(&comp_, comp_.size, &idx);
  if (n == 0) return;
  for (uint32_t i = 0; i < n; ++i) umem_->PushFree(*xsk_ring_cons__comp_addr(&comp_, idx + i));
  xsk_ring_cons__release(&comp_, n);
  tx_in_flight_ -= n;
  counters_.Increment(XskCounter::kTxCompleted, n);
}

void XskPort::RefillFillRing() {
  while (fill_in_kernel_ < fill_target_) {
    uint64_t addrs[kMaxBurst];
    uint32_t want = fill_target_ - fill_in_kernel_;
    if (want > kMaxBurst) want = kMaxBurst;
    const uint32_t popped = static_cast<uint32_t>(umem_->PopFree(addrs, want));
    if (popped == 0) {
      counters_.Increment(XskCounter::kFillNoFrame, want);
      return;
    }
    uint32_t idx = 0;
    if (xsk_ring_prod__reserve(&fill_, popped, &idx) != popped) {
      // Cannot happen while fill_target_ <= ring size; keep the frames rather than lose them.
      for (uint32_t i = 0; i < popped; ++i) umem_->PushFree(addrs[i]);
      return;
    }
    for (uint32_t i = 0; i < popped; ++i) *xsk_ring_prod__fill_addr(&fill_, idx + i) = addrs[i];
    xsk_ring_prod__submit(&fill_, popped);
    fill_in_kernel_ += popped;
    if (popped < want) {
      counters_.Increment(XskCounter::kFillNoFrame, want - popped);
      return;
    }
  }
}

absl::StatusOr<xdp_statistics> XskPort::KernelStatistics() const {
  xdp_statistics stats{};
  socklen_t len = sizeof(stats);
  if (getsockopt(fd_, SOL_XDP, XDP_STATISTICS, &stats, &len) != 0) {
    return absl::UnavailableError(
        absl::StrCat(name_, ": getsockopt(XDP_STATISTICS) failed: ", std::strerror(errno)));
  }
  return stats;
}

}  // namespace ssr::io
