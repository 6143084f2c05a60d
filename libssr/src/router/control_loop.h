// SPDX-License-Identifier: Apache-2.0
// The control thread of a Router: refreshes neighbours from the kernel once per second (sooner,
// with quick follow-ups, after a worker counted a no_neighbor drop or after kicking resolution)
// and delivers session events and peer path changes (path_watch.h) every 20 ms.
//
// Thread-safety: Run() is the body of one thread; RequestStop() may be called from any other.
#ifndef SSR_ROUTER_CONTROL_LOOP_H_
#define SSR_ROUTER_CONTROL_LOOP_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "router/events.h"
#include "router/neighbor_refresh.h"
#include "router/path_watch.h"
#include "router/worker.h"

namespace ssr::router {

class ControlLoop {
 public:
  // None owned; all must outlive the loop. `netns_fd`: setns() target of the thread, -1: stay.
  ControlLoop(const std::vector<std::unique_ptr<Worker>>* workers, NeighborRefresh* neighbors,
              EventDelivery* events, PathWatch* paths, int netns_fd);

  // The thread body: runs until `stop` is true (set through RequestStop).
  void Run(const std::atomic<bool>& stop);

  // Sets `stop` and wakes Run at once (`stop` is also what the workers watch).
  void RequestStop(std::atomic<bool>& stop);

  // Called by Run about once per second (set before Run starts).
  void SetEverySecond(std::function<void()> fn) { every_second_ = std::move(fn); }

 private:
  const std::vector<std::unique_ptr<Worker>>* workers_;
  NeighborRefresh* neighbors_;
  EventDelivery* events_;
  PathWatch* paths_;
  std::function<void()> every_second_;
  int netns_fd_;
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_CONTROL_LOOP_H_
