// SPDX-License-Identifier: Apache-2.0
#include "router/stale_gate.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "io/bpf_log.h"
#include "io/unique_fd.h"
#include "router/netdev.h"
#include "ssr/bpf_shared.h"

namespace ssr::router {
namespace {

struct Program {
  std::string name;
  uint32_t id = 0;
};

// The name the kernel keeps for program `id` ("" when it cannot be read).
std::string KernelProgramName(uint32_t id) {
  io::UniqueFd fd(bpf_prog_get_fd_by_id(id));
  if (fd.get() < 0) return "";
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) return "";
  return std::string(info.name, strnlen(info.name, sizeof(info.name)));
}

// Map ids program `id` uses.
std::vector<uint32_t> MapIdsOf(uint32_t id) {
  io::UniqueFd fd(bpf_prog_get_fd_by_id(id));
  if (fd.get() < 0) return {};
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0 || info.nr_map_ids == 0) return {};
  std::vector<uint32_t> ids(info.nr_map_ids);
  bpf_prog_info again{};
  again.nr_map_ids = static_cast<uint32_t>(ids.size());
  again.map_ids = reinterpret_cast<uintptr_t>(ids.data());
  len = sizeof(again);
  if (bpf_obj_get_info_by_fd(fd.get(), &again, &len) != 0) return {};
  ids.resize(std::min<size_t>(ids.size(), again.nr_map_ids));
  return ids;
}

// Programs on the hook of `ifindex`: the attached ones, or a libxdp dispatcher's components.
std::vector<Program> AttachedPrograms(int ifindex, const bpf_xdp_query_opts& q) {
  std::vector<Program> out;
  for (uint32_t id : {q.drv_prog_id, q.skb_prog_id, q.hw_prog_id}) {
    if (id == 0) continue;
    const std::string name = KernelProgramName(id);
    if (name != "xdp_dispatcher") {
      out.push_back({name, id});
      continue;
    }
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (mp == nullptr || libxdp_get_error(mp) != 0) {
      out.push_back({name, id});  // unreadable dispatcher: not known to be ours
      continue;
    }
    bool any = false;
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p != nullptr;
         p = xdp_multiprog__next_prog(p, mp)) {
      out.push_back({xdp_program__name(p), xdp_program__id(p)});
      any = true;
    }
    if (!any) out.push_back({name, id});
    xdp_multiprog__close(mp);
  }
  return out;
}

// Processes (by /proc) holding a BPF map fd whose id is in `maps`.
std::vector<pid_t> MapHolders(const std::set<uint32_t>& maps) {
  std::vector<pid_t> owners;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return owners;
  while (dirent* pe = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(pe->d_name, &end, 10);
    if (end == pe->d_name || *end != '\0' || pid <= 0) continue;
    const std::string fd_dir = absl::StrCat("/proc/", pid, "/fd");
    DIR* fds = opendir(fd_dir.c_str());
    if (fds == nullptr) continue;
    bool holds = false;
    while (dirent* fe = readdir(fds)) {
      if (fe->d_name[0] == '.') continue;
      char target[64] = {};
      const std::string link = absl::StrCat(fd_dir, "/", fe->d_name);
      const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
      if (n <= 0 || std::string_view(target, static_cast<size_t>(n)) != "anon_inode:bpf-map") {
        continue;
      }
      std::ifstream info(absl::StrCat("/proc/", pid, "/fdinfo/", fe->d_name));
      for (std::string line; std::getline(info, line);) {
        if (line.rfind("map_id:", 0) != 0) continue;
        const uint32_t id = static_cast<uint32_t>(std::strtoul(line.c_str() + 7, nullptr, 10));
        holds = maps.count(id) > 0;
        break;
      }
      if (holds) break;
    }
    closedir(fds);
    if (holds) owners.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return owners;
}

}  // namespace

absl::StatusOr<XdpOccupant> InspectXdp(const std::string& ifname) {
  io::RouteBpfLibraryLogs();
  absl::StatusOr<int> ifindex = InterfaceIndex(ifname);
  if (!ifindex.ok()) return ifindex.status();
  bpf_xdp_query_opts q{};
  q.sz = sizeof(q);
  if (bpf_xdp_query(*ifindex, 0, &q) != 0) {
    return absl::InternalError(
        absl::StrCat("interface \"", ifname, "\": bpf_xdp_query: ", std::strerror(errno)));
  }
  XdpOccupant occ;
  const std::vector<Program> programs = AttachedPrograms(*ifindex, q);
  if (programs.empty()) return occ;
  std::set<uint32_t> maps;
  for (const Program& p : programs) {
    if (p.name != SSR_GATE_PROGRAM) {
      occ.kind = XdpOccupant::Kind::kForeign;
      occ.program = p.name;
      occ.program_id = p.id;
      return occ;
    }
    for (uint32_t m : MapIdsOf(p.id)) maps.insert(m);
  }
  occ.program = SSR_GATE_PROGRAM;
  occ.program_id = programs.front().id;
  occ.owners = MapHolders(maps);
  occ.kind = occ.owners.empty() ? XdpOccupant::Kind::kStaleGate : XdpOccupant::Kind::kLiveGate;
  return occ;
}

}  // namespace ssr::router
