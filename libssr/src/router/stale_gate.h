// SPDX-License-Identifier: Apache-2.0
// What occupies an interface's XDP hook before a Router attaches its gate: nothing, a libssr gate
// a running process still owns, a libssr gate whose process is gone (after kill -9 the program
// stays attached: libxdp attaches without a BPF link when no bpffs is mounted, and a dispatcher
// is pinned in bpffs), or someone else's program.
//
// Ours: every program on the hook (behind a libxdp dispatcher, every component program) is named
// SSR_GATE_PROGRAM. Owned: some process in this PID namespace holds a file descriptor of one of
// those programs' maps (a running Router keeps its gate's map fds open for its lifetime; after
// the process died only the attached program references them). A router running in another PID
// namespace is invisible here and its gate looks stale.
//
// Thread-safety: stateless; acts in the calling thread's network namespace.
#ifndef SSR_ROUTER_STALE_GATE_H_
#define SSR_ROUTER_STALE_GATE_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ssr::router {

struct XdpOccupant {
  enum class Kind {
    kNone,       // no XDP program attached
    kStaleGate,  // a libssr gate nobody owns: safe to detach
    kLiveGate,   // a libssr gate of a running process (owners)
    kForeign,    // a program that is not a libssr gate (program, program_id)
  };
  Kind kind = Kind::kNone;
  std::string program;      // kForeign: the first program that is not ours; else SSR_GATE_PROGRAM
  uint32_t program_id = 0;  // that program's id
  std::vector<pid_t> owners;  // kLiveGate: the processes holding the gate's maps
};

// NotFound when the interface does not exist; Internal when the kernel cannot be queried.
absl::StatusOr<XdpOccupant> InspectXdp(const std::string& ifname);

}  // namespace ssr::router

#endif  // SSR_ROUTER_STALE_GATE_H_
