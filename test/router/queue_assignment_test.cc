// SPDX-License-Identifier: Apache-2.0
// RX queues per worker (router/queue_assignment.h) and the per-interface port over a worker's
// queues (router/queue_port.h): every queue of every interface has exactly one worker, for W
// workers x Q queues with Q = W, Q > W, Q not a multiple of W; Q < W is refused naming the
// interface, its queue count and the worker count; the port receives from every queue without
// starving one and transmits on the first.
#include "router/queue_assignment.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "io/memory_port.h"
#include "router/queue_port.h"

namespace ssr::router {
namespace {

using Queues = std::vector<uint32_t>;

TEST_CASE("queue assignment: worker w serves w, w + W, ... and every queue exactly once") {
  CHECK(QueuesOfWorker(0, 1, 2) == Queues{0, 1});               // --workers 1, 2-queue veths
  CHECK(QueuesOfWorker(0, 2, 4) == Queues{0, 2});               // 2 workers, 4 queues
  CHECK(QueuesOfWorker(1, 2, 4) == Queues{1, 3});
  CHECK(QueuesOfWorker(0, 4, 16) == Queues{0, 4, 8, 12});       // 16-queue NIC, 4 workers
  CHECK(QueuesOfWorker(3, 4, 16) == Queues{3, 7, 11, 15});
  CHECK(QueuesOfWorker(0, 2, 2) == Queues{0});                  // Q = W: one each
  CHECK(QueuesOfWorker(1, 2, 2) == Queues{1});
  CHECK(QueuesOfWorker(0, 3, 8) == Queues{0, 3, 6});            // Q not a multiple of W
  CHECK(QueuesOfWorker(1, 3, 8) == Queues{1, 4, 7});
  CHECK(QueuesOfWorker(2, 3, 8) == Queues{2, 5});
  CHECK(QueuesOfWorker(2, 3, 2).empty());                       // Q < W: worker 2 has none
  CHECK(QueuesOfWorker(0, 0, 4).empty());

  for (uint32_t workers = 1; workers <= 8; ++workers) {
    for (uint32_t queues = 1; queues <= 20; ++queues) {
      std::map<uint32_t, int> owners;
      for (uint32_t w = 0; w < workers; ++w) {
        const Queues mine = QueuesOfWorker(w, workers, queues);
        if (w < queues) {
          REQUIRE_FALSE(mine.empty());
          CHECK(mine.front() == w);  // its first queue (the TX socket) is its id
        }
        // Balanced: no worker has more than one queue more than another.
        CHECK(mine.size() >= queues / workers);
        CHECK(mine.size() <= (queues + workers - 1) / workers);
        for (uint32_t q : mine) {
          ++owners[q];
          CHECK(WorkerOfQueue(q, workers) == w);
        }
      }
      REQUIRE(owners.size() == queues);
      for (const auto& [q, n] : owners) {
        CHECK(q < queues);
        CHECK(n == 1);
      }
    }
  }
}

TEST_CASE("queue assignment: queue lists as ranges") {
  CHECK(QueueListString({0, 1}) == "0-1");
  CHECK(QueueListString({0, 2}) == "0,2");
  CHECK(QueueListString({3}) == "3");
  CHECK(QueueListString({0, 1, 2, 5, 7, 8}) == "0-2,5,7-8");
  CHECK(QueueListString({}).empty());
}

TEST_CASE("queue assignment: fewer queues than workers or more than the gate serves is refused") {
  const std::vector<std::string> names = {"lan (veth0)", "wan (veth1)"};
  CHECK(CheckQueueCounts(names, {8, 2}, 2, 64).ok());   // LAN 8 queues, WAN 2, 2 workers
  CHECK(CheckQueueCounts(names, {3, 5}, 3, 64).ok());
  const absl::Status few = CheckQueueCounts(names, {8, 2}, 4, 64);
  CHECK(few.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(few.message()) ==
        "workers: 4 workers but interface wan (veth1) has 2 RX queue(s): every worker needs a "
        "queue of every interface to transmit on (use at most 2 workers, or give the interface "
        "more queues: ethtool -L)");
  const absl::Status many = CheckQueueCounts(names, {65, 2}, 1, 64);
  CHECK(many.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(many.message()) ==
        "interface lan (veth0) has 65 RX queues, more than the 64 the gate serves (reduce them: "
        "ethtool -L)");
}

TEST_CASE("queue assignment: fill frames split over a worker's queues, at least a burst") {
  CHECK(FillFramesPerSocket(2048, 1) == 1024);  // one queue: half the fill ring, as before
  CHECK(FillFramesPerSocket(2048, 2) == 512);
  CHECK(FillFramesPerSocket(2048, 4) == 256);
  CHECK(FillFramesPerSocket(2048, 64) == 64);  // 16 would be below a burst
  CHECK(FillFramesPerSocket(64, 4) == 64);
}

TEST_CASE("queue port: receives from every queue, none starved, transmits on the first") {
  io::MemoryFramePool pool(256, 2048);
  io::MemoryPort q0("lan0:0", &pool), q1("lan0:1", &pool), q2("lan0:2", &pool);
  QueueSetPort port("lan0", {&q0, &q1, &q2});
  CHECK(port.queues() == 3);
  CHECK(port.name() == "lan0");
  const std::vector<uint8_t> a(60, 0xa0), b(60, 0xb1), c(60, 0xc2);
  // Queue 0 is busy (more than bursts of 4), queues 1 and 2 have one frame each.
  for (int i = 0; i < 12; ++i) REQUIRE(q0.Inject(a));
  REQUIRE(q1.Inject(b));
  REQUIRE(q2.Inject(c));
  std::vector<uint8_t> seen;
  std::array<io::Frame, 4> burst;
  size_t total = 0;
  for (int call = 0; call < 3; ++call) {
    const size_t n = port.Receive(burst);
    for (size_t i = 0; i < n; ++i) seen.push_back(burst[i].data[0]);
    pool.Free(std::span(burst.data(), n));
    total += n;
  }
  // The second call starts with queue 1, the third with queue 2: both got through within three
  // bursts although queue 0 alone could fill all of them.
  CHECK(std::count(seen.begin(), seen.end(), 0xb1) == 1);
  CHECK(std::count(seen.begin(), seen.end(), 0xc2) == 1);
  CHECK(total == 12);
  // Every queue is drained eventually.
  while (const size_t n = port.Receive(burst)) {
    pool.Free(std::span(burst.data(), n));
    total += n;
  }
  CHECK(total == 14);
  CHECK(q0.rx_pending() + q1.rx_pending() + q2.rx_pending() == 0);

  // Transmit goes to the first queue's socket; Flush reaches every socket (fill rings).
  io::Frame f;
  REQUIRE(pool.Allocate({&f, 1}) == 1);
  f.length = 60;
  CHECK(port.Transmit({&f, 1}) == 1);
  CHECK(q0.tx_pending() == 1);
  CHECK(q1.tx_pending() + q2.tx_pending() == 0);
  port.Flush();
  CHECK(q0.flushes() == 1);
  CHECK(q1.flushes() == 1);
  CHECK(q2.flushes() == 1);
  CHECK(q0.DropTransmitted() == 1);
}

}  // namespace
}  // namespace ssr::router
