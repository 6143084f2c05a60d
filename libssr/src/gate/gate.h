// SPDX-License-Identifier: Apache-2.0
// The XDP gate loader: loads the embedded BPF object, fills its maps, attaches it to the
// router's interfaces, applies reloads and reads its counters.
//
// Design note: one Gate owns one loaded program (the bpftool skeleton, object embedded in the
// library) and the libxdp handles of the interfaces it is attached to; the same program serves
// every interface, and the ifindex map (filled on Attach / RegisterInterface from the config
// interface of the same name) tells it which side a packet is on. Map contents come only from
// ComputeGateContents (gate/gate_contents.h). Reloads are double-buffered by generation (see
// bpf/include/ssr/bpf_shared.h): Update writes the complete new generation beside the live one,
// flips the live generation with one map write, waits for in-flight packets, then deletes the old
// generation — so a packet is judged either entirely by the old or entirely by the new config
// and traffic allowed by both is never dropped during a reload.
//
// AF_XDP sockets are not created here: the AF_XDP port creates them with
// XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD and hands them over with AddSocket(ifname, queue,
// xsk_socket__fd(xsk)). The XSKMAP is keyed by (interface slot, queue), not by queue alone, since
// one program serves several interfaces whose queue 0s need different sockets; so
// xsk_socket__update_xskmap (which uses the bare queue id as key) must not be used with it.
// A redirect to a receive queue without a socket is dropped (counter drop_no_socket).
//
// Thread-safety: a Gate is not thread-safe; call it from the control thread. The BPF program
// itself runs concurrently with every method. Lifetime: destroying the Gate detaches the program
// from every interface it attached to and frees the maps (AF_XDP sockets keep their own reference
// to the XSKMAP entries they were put in until they are closed).
#ifndef SSR_GATE_GATE_H_
#define SSR_GATE_GATE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config/model.h"
#include "gate/gate_contents.h"
#include "io/xdp_mode.h"
#include "ssr/bpf_shared.h"

struct ssr_gate;      // bpftool skeleton (ssr/ssr_gate.skel.h)
struct xdp_program;   // libxdp

namespace ssr::gate {

// How the program is attached: ssr::XdpMode (ssr/xdp_mode.h; names: io::XdpModeName). kAuto
// tries native (driver) mode, then skb (generic) mode.

struct GateOptions {
  // Peer liveness (BFD) UDP port (rodata knob ssr_liveness_port).
  uint16_t liveness_port = config::kPeerLivenessPort;
  // Action for packets on interfaces missing from the ifindex map (rodata knob): XDP_PASS when
  // true (the design's default), XDP_DROP when false.
  bool pass_unknown_interfaces = true;
};

// One verdict reason's counter, summed over CPUs.
struct GateCounter {
  ssr_gate_reason reason = SSR_GATE_REASON_COUNT;
  std::string_view name;  // "lan_allow", ...
  std::string_view help;
  bool is_drop = false;  // the gate dropped these packets (kind DROP in SSR_GATE_REASONS)
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

class Gate {
 public:
  // Opens and loads the embedded program with `options` as rodata knobs and fills generation 0
  // of its maps from `contents`. Errors: PermissionDenied (no CAP_BPF / CAP_SYS_ADMIN / memlock),
  // Unavailable (kernel refused the program or a map type), Internal (a map's key or value size
  // differs from bpf_shared.h), ResourceExhausted (a map is full).
  static absl::StatusOr<std::unique_ptr<Gate>> Load(GateContents contents,
                                                    const GateOptions& options = {});

  ~Gate();
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // Maps the Linux interface `name` (in the calling thread's network namespace) to the config
  // interface of the same name, without attaching the program (tests, or a caller that attaches
  // by other means). FailedPrecondition when the interface does not exist or is not an
  // interface of the router.
  absl::Status RegisterInterface(std::string_view name);

  // RegisterInterface + attach through libxdp. Returns the mode obtained (kNative or kSkb).
  // FailedPrecondition: interface missing / not in the config / already attached; Unavailable:
  // the kernel refused every mode tried (message names the modes and errors).
  absl::StatusOr<XdpMode> Attach(std::string_view name, XdpMode mode = XdpMode::kAuto);

  // Detaches from `name` and removes it from the ifindex map. NotFound if not attached.
  absl::Status Detach(std::string_view name);

  // Applies a reload (see the design note). On error the previous config stays live and
  // complete. Registered interfaces missing from `contents` leave the ifindex map (their
  // packets then count as pass_unknown_ifindex): detach them first.
  absl::Status Update(GateContents contents);

  // Puts the AF_XDP socket `xsk_fd` (xsk_socket__fd) bound to (`name`, `queue`) into the
  // XSKMAP; traffic the gate lets through on that queue goes to it from now on. The interface
  // must be attached or registered. FailedPrecondition / InvalidArgument (queue too large).
  absl::Status AddSocket(std::string_view name, uint32_t queue, int xsk_fd);
  absl::Status RemoveSocket(std::string_view name, uint32_t queue);
  // The XSKMAP key of (`name`, `queue`): slot * SSR_GATE_MAX_QUEUES + queue.
  absl::StatusOr<uint32_t> XskMapKey(std::string_view name, uint32_t queue) const;
  // The XSKMAP itself (e.g. for `bpftool map dump`-style inspection).
  int xskmap_fd() const;
  // A map by its bpf_shared.h name (SSR_GATE_MAP_*), or -1 (tests, diagnostics).
  int MapFd(const char* name) const;
  // The program, e.g. for bpf_prog_test_run_opts.
  int program_fd() const;
  // The live generation (0 or 1); flips on every successful Update.
  uint32_t generation() const { return generation_; }
  const GateContents& contents() const { return contents_; }

  // Per-reason counters summed over all CPUs, in enum order (SSR_GATE_REASON_COUNT entries).
  absl::StatusOr<std::vector<GateCounter>> ReadCounters() const;

 private:
  struct Attachment {
    std::string name;
    int ifindex = 0;
    bool attached = false;  // false: only registered
    XdpMode mode = XdpMode::kAuto;
    uint16_t xsk_slot = 0;  // block of the XSKMAP
    xdp_program* program = nullptr;
  };

  Gate() = default;
  absl::Status WriteGeneration(const GateContents& contents, uint32_t gen);
  absl::Status DeleteGeneration(const GateContents& contents, uint32_t gen,
                                size_t access_slots_in_use);
  absl::Status WriteInterface(const Attachment& a, const GateContents& contents, uint32_t gen);
  // One (ifindex, generation) entry: in ssr_iface_arr below SSR_GATE_IFINDEX_DIRECT, else in
  // ssr_ifaces (bpf_shared.h); removing writes role 0 into the array.
  absl::Status PutInterface(uint32_t ifindex, uint32_t gen, const ssr_iface_value& value);
  void RemoveInterface(uint32_t ifindex, uint32_t gen);
  absl::Status SetGeneration(uint32_t gen);
  Attachment* FindAttachment(std::string_view name);

  ssr_gate* skel_ = nullptr;
  GateContents contents_;
  uint32_t generation_ = 0;
  std::vector<Attachment> attachments_;
  // ssr_v4_sources / ssr_v4_locals / ssr_v6_sources / ssr_v6_locals mapped into memory (both
  // generations, the same size each), see v4_summary.h and v6_summary.h.
  static constexpr size_t kV4SummaryBytes = SSR_GATE_V4_SUMMARY_WORDS * sizeof(uint64_t);
  uint64_t* v4_sources_ = nullptr;
  uint64_t* v4_locals_ = nullptr;
  uint64_t* v6_sources_ = nullptr;
  uint64_t* v6_locals_ = nullptr;
};

}  // namespace ssr::gate

#endif  // SSR_GATE_GATE_H_
