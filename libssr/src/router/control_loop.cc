// SPDX-License-Identifier: Apache-2.0
#include "router/control_loop.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>

namespace ssr::router {

ControlLoop::ControlLoop(const std::vector<std::unique_ptr<Worker>>* workers,
                         NeighborRefresh* neighbors, EventDelivery* events, PathWatch* paths,
                         int netns_fd)
    : workers_(workers),
      neighbors_(neighbors),
      events_(events),
      paths_(paths),
      netns_fd_(netns_fd) {}

void ControlLoop::RequestStop(std::atomic<bool>& stop) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop.store(true);
  }
  cv_.notify_all();
}

void ControlLoop::Run(const std::atomic<bool>& stop) {
  if (netns_fd_ >= 0) setns(netns_fd_, CLONE_NEWNET);
  pthread_setname_np(pthread_self(), "ssr-control");
  using Clock = std::chrono::steady_clock;
  auto next_neighbors = Clock::now();
  auto next_second = Clock::now() + std::chrono::seconds(1);
  int follow_ups = 0;  // quick re-reads after kicking resolution
  uint64_t no_neighbor_seen = NoNeighborDrops(*workers_);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop.load()) {
    lock.unlock();
    // A no_neighbor drop means a worker lacks a MAC the kernel may know by now.
    const uint64_t no_neighbor = NoNeighborDrops(*workers_);
    if (no_neighbor != no_neighbor_seen) {
      no_neighbor_seen = no_neighbor;
      next_neighbors = std::min(next_neighbors, Clock::now());
    }
    if (Clock::now() >= next_neighbors) {
      const int kicked = neighbors_->Refresh(*workers_, /*running=*/true);
      if (kicked > 0) follow_ups = 3;
      auto delay = std::chrono::milliseconds(1000);
      if (follow_ups > 0) {
        --follow_ups;
        delay = std::chrono::milliseconds(100);
      }
      next_neighbors = Clock::now() + delay;
    }
    events_->Deliver(*workers_);
    paths_->Poll();
    if (every_second_ && Clock::now() >= next_second) {
      next_second += std::chrono::seconds(1);
      if (next_second < Clock::now()) next_second = Clock::now() + std::chrono::seconds(1);
      every_second_();
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(20), [&stop] { return stop.load(); });
  }
}

}  // namespace ssr::router
