// SPDX-License-Identifier: Apache-2.0
// Which RX queues of an interface each worker serves (docs/architecture.md "Workers and queues",
// docs/protocol.md §2.10.2).
//
// Design note. The NIC (or the veth sender's TX queue) picks the RX queue of a packet, and the
// gate redirects it to the AF_XDP socket of that queue (XSKMAP key xsk_slot * SSR_GATE_MAX_QUEUES
// + queue): a queue without a socket loses its packets. So every queue of every interface gets a
// socket: with W workers and Q queues, worker w serves queues w, w + W, w + 2W, ... (< Q), one
// AF_XDP socket per (interface, queue) on the worker's own UMEM (shared UMEM, one fill and
// completion ring per socket). Flow steering then moves each packet to the worker owning its
// session, whichever queue it came in on.
// Q < W is refused (CheckQueueCounts): a worker without a queue on an interface would have no
// socket to transmit on there, and a second socket on an already bound queue is refused by the
// kernel unless it shares that queue's UMEM (another worker's: its fill ring, no lock-free
// sharing). The automatic worker count (RouterOptions::workers = 0) is therefore the smallest
// queue count of the router's interfaces.
#ifndef SSR_ROUTER_QUEUE_ASSIGNMENT_H_
#define SSR_ROUTER_QUEUE_ASSIGNMENT_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ssr::router {

// The queues worker `worker` of `workers` serves on an interface with `queues` RX queues:
// worker, worker + workers, ... below `queues` (ascending; empty when worker >= queues).
inline std::vector<uint32_t> QueuesOfWorker(uint32_t worker, uint32_t workers, uint32_t queues) {
  std::vector<uint32_t> out;
  if (workers == 0) return out;
  for (uint32_t q = worker; q < queues; q += workers) out.push_back(q);
  return out;
}

// The worker serving RX queue `queue` (queue mod workers).
inline uint32_t WorkerOfQueue(uint32_t queue, uint32_t workers) {
  return workers == 0 ? 0 : queue % workers;
}

// "0-1", "0,2,4", "3", "" (ascending queue numbers; runs of consecutive ones as a range).
inline std::string QueueListString(const std::vector<uint32_t>& queues) {
  std::string out;
  for (size_t i = 0; i < queues.size();) {
    size_t j = i;
    while (j + 1 < queues.size() && queues[j + 1] == queues[j] + 1) ++j;
    if (!out.empty()) out += ",";
    if (j > i) {
      absl::StrAppend(&out, queues[i], "-", queues[j]);
    } else {
      absl::StrAppend(&out, queues[i]);
    }
    i = j + 1;
  }
  return out;
}

// Frames each of a worker's `sockets` AF_XDP sockets on one interface keeps in its fill ring
// (io::XskPortOptions::fill_frames): the interface's share of the worker's frames, half the fill
// ring (as with one socket), is split over its queues, but never below a burst (64), so a quiet
// queue still takes a burst at once.
inline uint32_t FillFramesPerSocket(uint32_t fill_ring_size, size_t sockets) {
  constexpr uint32_t kMinFill = 64;
  const uint32_t share =
      sockets <= 1 ? fill_ring_size / 2 : static_cast<uint32_t>(fill_ring_size / 2 / sockets);
  return share < kMinFill ? std::min(kMinFill, fill_ring_size) : share;
}

// Every interface must have at least `workers` RX queues and at most `max_queues` (the gate's
// SSR_GATE_MAX_QUEUES). `names[i]` names interface i in errors ("lan (veth0)").
inline absl::Status CheckQueueCounts(const std::vector<std::string>& names,
                                     const std::vector<uint32_t>& queues, uint32_t workers,
                                     uint32_t max_queues) {
  for (size_t i = 0; i < queues.size() && i < names.size(); ++i) {
    if (queues[i] < workers) {
      return absl::FailedPreconditionError(absl::StrCat(
          "workers: ", workers, " workers but interface ", names[i], " has ", queues[i],
          " RX queue(s): every worker needs a queue of every interface to transmit on (use at "
          "most ",
          queues[i], " workers, or give the interface more queues: ethtool -L)"));
    }
    if (queues[i] > max_queues) {
      return absl::FailedPreconditionError(
          absl::StrCat("interface ", names[i], " has ", queues[i], " RX queues, more than the ",
                       max_queues, " the gate serves (reduce them: ethtool -L)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ssr::router

#endif  // SSR_ROUTER_QUEUE_ASSIGNMENT_H_
