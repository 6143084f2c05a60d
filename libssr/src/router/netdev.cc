// SPDX-License-Identifier: Apache-2.0
#include "router/netdev.h"

#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>

#include "absl/strings/str_cat.h"
#include "io/bpf_log.h"
#include "io/unique_fd.h"

namespace ssr::router {
namespace {

std::string Errno(int err) { return std::strerror(err); }

bool FillIfreq(const std::string& name, ifreq* ifr) {
  std::memset(ifr, 0, sizeof(*ifr));
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  std::memcpy(ifr->ifr_name, name.data(), name.size());
  return true;
}

}  // namespace

absl::StatusOr<int> InterfaceIndex(const std::string& name) {
  const unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) {
    return absl::NotFoundError(
        absl::StrCat("Linux interface \"", name, "\" does not exist in this network namespace"));
  }
  return static_cast<int>(idx);
}

absl::StatusOr<packet::MacAddress> InterfaceMac(const std::string& name) {
  ifreq ifr;
  if (!FillIfreq(name, &ifr))
    return absl::InvalidArgumentError(absl::StrCat("bad interface name \"", name, "\""));
  io::UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::InternalError(absl::StrCat("socket: ", Errno(errno)));
  if (ioctl(fd.get(), SIOCGIFHWADDR, &ifr) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("interface \"", name, "\": SIOCGIFHWADDR: ", Errno(errno)));
  }
  packet::MacAddress mac{};
  std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

uint32_t RxQueueCount(const std::string& name) {
  ifreq ifr;
  if (!FillIfreq(name, &ifr)) return 1;
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  ifr.ifr_data = reinterpret_cast<char*>(&ch);
  io::UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0 || ioctl(fd.get(), SIOCETHTOOL, &ifr) != 0) return 1;
  const uint32_t n = ch.rx_count + ch.combined_count;
  return n == 0 ? 1 : n;
}

absl::Status DetachAllXdp(const std::string& name) {
  io::RouteBpfLibraryLogs();
  absl::StatusOr<int> ifindex = InterfaceIndex(name);
  if (!ifindex.ok()) return ifindex.status();
  // libxdp first: it also removes the bpffs state of a dispatcher it finds.
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(*ifindex);
  if (libxdp_get_error(mp) == 0 && mp != nullptr) {
    xdp_multiprog__detach(mp);  // errors fall through to the netlink detach below
    xdp_multiprog__close(mp);
  }
  bpf_xdp_query_opts q{};
  q.sz = sizeof(q);
  if (bpf_xdp_query(*ifindex, 0, &q) != 0) {
    return absl::InternalError(
        absl::StrCat("interface \"", name, "\": bpf_xdp_query: ", Errno(errno)));
  }
  struct ModeFlag {
    uint32_t prog_id;
    uint32_t flag;
    const char* name;
  };
  const std::array<ModeFlag, 3> modes = {{{q.skb_prog_id, XDP_FLAGS_SKB_MODE, "skb"},
                                          {q.drv_prog_id, XDP_FLAGS_DRV_MODE, "native"},
                                          {q.hw_prog_id, XDP_FLAGS_HW_MODE, "hw"}}};
  for (const ModeFlag& m : modes) {
    if (m.prog_id == 0) continue;
    if (bpf_xdp_detach(*ifindex, m.flag, nullptr) != 0) {
      return absl::InternalError(absl::StrCat("interface \"", name, "\": detaching the ", m.name,
                                              "-mode XDP program ", m.prog_id,
                                              " failed: ", Errno(errno)));
    }
  }
  if (bpf_xdp_query(*ifindex, 0, &q) == 0 && (q.skb_prog_id | q.drv_prog_id | q.hw_prog_id) != 0) {
    return absl::InternalError(absl::StrCat("interface \"", name,
                                            "\": an XDP program is still attached (held by a "
                                            "BPF link of a live process?)"));
  }
  return absl::OkStatus();
}

namespace {

// One NETLINK_ROUTE dump: sends `request` (a header of type `type` with NLM_F_REQUEST |
// NLM_F_DUMP, followed by its family message `body`), then calls `on_message` for every message
// of type `reply_type` until NLMSG_DONE. `what` names the request in errors.
template <typename Body>
absl::Status NetlinkDump(uint16_t type, const Body& body, uint16_t reply_type, const char* what,
                         const std::function<void(const nlmsghdr*)>& on_message) {
  io::UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) return absl::InternalError(absl::StrCat("netlink socket: ", Errno(errno)));
  struct {
    nlmsghdr nh;
    Body body;
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(Body));
  req.nh.nlmsg_type = type;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = 1;
  req.body = body;
  if (send(fd.get(), &req, req.nh.nlmsg_len, 0) < 0) {
    return absl::InternalError(absl::StrCat("netlink send: ", Errno(errno)));
  }
  std::vector<char> buf(1 << 16);
  for (;;) {
    const ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("netlink recv: ", Errno(errno)));
    }
    size_t len = static_cast<size_t>(n);
    for (auto* nh = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(nh, len);
         nh = NLMSG_NEXT(nh, len)) {
      if (nh->nlmsg_type == NLMSG_DONE) return absl::OkStatus();
      if (nh->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(nh));
        return absl::InternalError(absl::StrCat("netlink ", what, ": ", Errno(-e->error)));
      }
      if (nh->nlmsg_type == reply_type) on_message(nh);
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<KernelNeighbor>> DumpKernelNeighbors() {
  constexpr uint16_t kUsable =
      NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;
  std::vector<KernelNeighbor> out;
  ndmsg request{};
  request.ndm_family = AF_UNSPEC;
  const absl::Status st = NetlinkDump(RTM_GETNEIGH, request, RTM_NEWNEIGH, "RTM_GETNEIGH",
                                      [&out](const nlmsghdr* nh) {
    const auto* nd = static_cast<const ndmsg*>(NLMSG_DATA(nh));
    if ((nd->ndm_state & kUsable) == 0) return;
    KernelNeighbor kn;
    kn.ifindex = nd->ndm_ifindex;
    bool have_ip = false;
    bool have_mac = false;
    int attr_len = static_cast<int>(RTM_PAYLOAD(nh));
    for (auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(const_cast<ndmsg*>(nd)) +
                                             NLMSG_ALIGN(sizeof(ndmsg)));
         RTA_OK(a, attr_len); a = RTA_NEXT(a, attr_len)) {
      const auto* data = static_cast<const uint8_t*>(RTA_DATA(a));
      const size_t dlen = RTA_PAYLOAD(a);
      if (a->rta_type == NDA_DST && nd->ndm_family == AF_INET && dlen == 4) {
        kn.address = util::IpAddress::V4Bytes(std::span<const uint8_t, 4>(data, 4));
        have_ip = true;
      } else if (a->rta_type == NDA_DST && nd->ndm_family == AF_INET6 && dlen == 16) {
        kn.address = util::IpAddress::V6Bytes(std::span<const uint8_t, 16>(data, 16));
        have_ip = true;
      } else if (a->rta_type == NDA_LLADDR && dlen == 6) {
        std::memcpy(kn.mac.data(), data, 6);
        have_mac = true;
      }
    }
    if (have_ip && have_mac) out.push_back(kn);
  });
  if (!st.ok()) return st;
  return out;
}

namespace {

// Attributes nested in `a` (IFLA_LINKINFO, IFLA_INFO_DATA), by type; later ones win.
std::array<const rtattr*, 32> Nested(const rtattr* a) {
  std::array<const rtattr*, 32> out{};
  int len = static_cast<int>(RTA_PAYLOAD(a));
  for (auto* n = static_cast<const rtattr*>(RTA_DATA(a)); RTA_OK(n, len); n = RTA_NEXT(n, len)) {
    if (n->rta_type < out.size()) out[n->rta_type] = n;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<KernelVlanLink>> DumpKernelVlanLinks() {
  std::vector<KernelVlanLink> out;
  ifinfomsg request{};
  request.ifi_family = AF_UNSPEC;
  const absl::Status st = NetlinkDump(RTM_GETLINK, request, RTM_NEWLINK, "RTM_GETLINK",
                                      [&out](const nlmsghdr* nh) {
    const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(nh));
    KernelVlanLink link;
    link.ifindex = ifi->ifi_index;
    bool is_vlan = false;
    bool have_id = false;
    int attr_len = static_cast<int>(IFLA_PAYLOAD(nh));
    for (auto* a = IFLA_RTA(const_cast<ifinfomsg*>(ifi)); RTA_OK(a, attr_len);
         a = RTA_NEXT(a, attr_len)) {
      if (a->rta_type == IFLA_IFNAME) {
        link.name = static_cast<const char*>(RTA_DATA(a));
      } else if (a->rta_type == IFLA_LINK && RTA_PAYLOAD(a) == 4) {
        std::memcpy(&link.parent_ifindex, RTA_DATA(a), 4);
      } else if (a->rta_type == IFLA_LINKINFO) {
        const auto info = Nested(a);
        const rtattr* kind = info[IFLA_INFO_KIND];
        if (kind == nullptr || std::strcmp(static_cast<const char*>(RTA_DATA(kind)), "vlan") != 0)
          continue;
        is_vlan = true;
        const rtattr* data = info[IFLA_INFO_DATA];
        if (data == nullptr) continue;
        const auto vl = Nested(data);
        if (vl[IFLA_VLAN_PROTOCOL] != nullptr && RTA_PAYLOAD(vl[IFLA_VLAN_PROTOCOL]) == 2) {
          uint16_t proto = 0;
          std::memcpy(&proto, RTA_DATA(vl[IFLA_VLAN_PROTOCOL]), 2);
          if (ntohs(proto) != 0x8100) is_vlan = false;  // 802.1ad: not a WAN tag
        }
        if (vl[IFLA_VLAN_ID] != nullptr && RTA_PAYLOAD(vl[IFLA_VLAN_ID]) == 2) {
          std::memcpy(&link.vlan, RTA_DATA(vl[IFLA_VLAN_ID]), 2);
          have_id = true;
        }
      }
    }
    if (is_vlan && have_id && link.parent_ifindex != 0) out.push_back(std::move(link));
  });
  if (!st.ok()) return st;
  return out;
}

absl::Status KickNeighborResolution(const std::string& name, const util::IpAddress& address) {
  const int family = address.is_v4() ? AF_INET : AF_INET6;
  io::UniqueFd fd(socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return absl::InternalError(absl::StrCat("socket: ", Errno(errno)));
  if (setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, name.c_str(),
                 static_cast<socklen_t>(name.size())) != 0) {
    return absl::InternalError(absl::StrCat("SO_BINDTODEVICE ", name, ": ", Errno(errno)));
  }
  sockaddr_storage ss{};
  socklen_t sl = 0;
  if (address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(9);
    std::memcpy(&sin->sin_addr, address.bytes().data(), 4);
    sl = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(9);
    std::memcpy(&sin6->sin6_addr, address.bytes().data(), 16);
    sl = sizeof(sockaddr_in6);
  }
  const char byte = 0;
  if (sendto(fd.get(), &byte, 1, 0, reinterpret_cast<sockaddr*>(&ss), sl) < 0) {
    return absl::UnavailableError(
        absl::StrCat("resolving ", address.ToString(), " on ", name, ": ", Errno(errno)));
  }
  return absl::OkStatus();
}

}  // namespace ssr::router
