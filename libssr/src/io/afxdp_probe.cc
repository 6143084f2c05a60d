// SPDX-License-Identifier: Apache-2.0
#include "io/afxdp_probe.h"

#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "io/bpf_log.h"
#include "io/umem.h"
#include "io/unique_fd.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

namespace ssr::io {
namespace {

constexpr uint32_t kBpfFsMagic = 0xcafe4a11;
constexpr uint32_t kEthVlanHeader = 14 + 4;
// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64 and the Ethernet header: veth's
// native XDP limit is PAGE_SIZE - XDP_PACKET_HEADROOM - these (3506 with 4 KiB pages, 6.18).
constexpr uint32_t kSkbSharedInfo = 320;
constexpr uint32_t kEthHeader = 14;

uint32_t VethNativeXdpMaxMtu() {
  const long page = sysconf(_SC_PAGESIZE);
  return static_cast<uint32_t>(page > 0 ? page : 4096) - kFrameHeadroom - kSkbSharedInfo -
         kEthHeader;
}

struct Problem {
  absl::StatusCode code;
  std::string message;
};

void CheckCapabilities(std::vector<Problem>& problems) {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    problems.push_back({absl::StatusCode::kPermissionDenied,
                        absl::StrCat("capget failed: ", std::strerror(errno))});
    return;
  }
  auto has = [&](int cap) { return (data[cap / 32].effective & (1u << (cap % 32))) != 0; };
  if (!has(CAP_NET_ADMIN)) {
    problems.push_back({absl::StatusCode::kPermissionDenied,
                        "capability CAP_NET_ADMIN missing (needed to attach XDP programs)"});
  }
  if (!has(CAP_NET_RAW)) {
    problems.push_back({absl::StatusCode::kPermissionDenied,
                        "capability CAP_NET_RAW missing (needed to create AF_XDP sockets)"});
  }
  if (!has(CAP_BPF) && !has(CAP_SYS_ADMIN)) {
    problems.push_back({absl::StatusCode::kPermissionDenied,
                        "capability CAP_BPF missing (needed to load BPF programs and maps)"});
  }
}

void CheckBpffs(const ProbeOptions& o, std::vector<Problem>& problems) {
  if (!o.require_bpffs) return;
  struct statfs st {};
  if (statfs(o.bpffs_path.c_str(), &st) != 0 || static_cast<uint32_t>(st.f_type) != kBpfFsMagic) {
    problems.push_back({absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("bpffs not mounted at ", o.bpffs_path, " (mount -t bpf bpf ",
                                     o.bpffs_path, ")")});
  }
}

void CheckAfXdp(std::vector<Problem>& problems) {
  UniqueFd fd(socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (fd.valid()) return;
  if (errno == EPERM || errno == EACCES) return;  // reported as CAP_NET_RAW above
  problems.push_back({absl::StatusCode::kUnavailable,
                      absl::StrCat("AF_XDP sockets not supported by the kernel (socket(AF_XDP): ",
                                   std::strerror(errno), ")")});
}

// ifreq-based ioctl on a throw-away datagram socket; returns false (errno set) on failure.
bool IfIoctl(unsigned long request, ifreq& ifr) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  return ioctl(fd.get(), request, &ifr) == 0;
}

void CheckInterface(const ProbeOptions& o, std::vector<Problem>& problems) {
  if (o.interface.empty()) return;
  if (o.interface.size() >= IF_NAMESIZE || if_nametoindex(o.interface.c_str()) == 0) {
    problems.push_back({absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("interface \"", o.interface, "\" not found")});
    return;
  }
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, o.interface.data(), o.interface.size());

  std::string driver;
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  if (IfIoctl(SIOCETHTOOL, ifr)) driver = info.driver;

  if (IfIoctl(SIOCGIFMTU, ifr)) {
    const uint32_t mtu = static_cast<uint32_t>(ifr.ifr_mtu);
    const uint32_t max_mtu = MaxMtuForFrames(o, driver);
    if (mtu > max_mtu) {
      std::string why =
          absl::StrCat("interface \"", o.interface, "\" MTU ", mtu,
                       " is larger than the frame size allows: at most ", max_mtu, " with ",
                       o.frame_size, "-byte frames (", kFrameHeadroom, " headroom, ",
                       kEthVlanHeader, " Ethernet+VLAN, ", o.tail_reserve, " tail reserve)");
      if (driver == "veth" && o.xdp_mode != XdpMode::kSkb) {
        absl::StrAppend(&why, "; native XDP on veth also needs MTU <= ", VethNativeXdpMaxMtu(),
                        " on both ends");
      }
      problems.push_back({absl::StatusCode::kFailedPrecondition, std::move(why)});
    }
  } else {
    problems.push_back({absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("interface \"", o.interface,
                                     "\": reading the MTU failed: ", std::strerror(errno))});
  }

  if (o.queue_id.has_value()) {
    ethtool_channels ch{};
    ch.cmd = ETHTOOL_GCHANNELS;
    ifr.ifr_data = reinterpret_cast<char*>(&ch);
    if (IfIoctl(SIOCETHTOOL, ifr)) {
      const uint32_t queues = ch.rx_count + ch.combined_count;
      if (queues != 0 && *o.queue_id >= queues) {
        problems.push_back({absl::StatusCode::kFailedPrecondition,
                            absl::StrCat("queue ", *o.queue_id, " requested but interface \"",
                                         o.interface, "\" has ", queues, " RX queue(s)")});
      }
    }
    // Drivers without ETHTOOL_GCHANNELS: the socket bind reports a bad queue itself.
  }
}

}  // namespace

uint32_t MaxMtuForFrames(const ProbeOptions& o, const std::string& driver) {
  const uint64_t overhead = uint64_t{kFrameHeadroom} + kEthVlanHeader + o.tail_reserve;
  uint64_t limit = o.frame_size > overhead ? o.frame_size - overhead : 0;
  if (driver == "veth" && o.xdp_mode != XdpMode::kSkb) {
    limit = std::min<uint64_t>(limit, VethNativeXdpMaxMtu());
  }
  return static_cast<uint32_t>(limit > 0xffffffffu ? 0xffffffffu : limit);
}

absl::Status ProbeAfXdp(const ProbeOptions& options) {
  RouteBpfLibraryLogs();
  std::vector<Problem> problems;
  CheckCapabilities(problems);
  CheckBpffs(options, problems);
  CheckAfXdp(problems);
  CheckInterface(options, problems);
  if (problems.empty()) return absl::OkStatus();
  std::vector<std::string> messages;
  messages.reserve(problems.size());
  for (const Problem& p : problems) messages.push_back(p.message);
  return absl::Status(problems.front().code,
                      absl::StrCat("AF_XDP probe: ", absl::StrJoin(messages, "; ")));
}

}  // namespace ssr::io
