// SPDX-License-Identifier: Apache-2.0
// Router-wide session limits (pipeline/session_budget.h, docs/protocol.md §2.10.1): the counters
// themselves, under concurrent workers, and two pipelines of one router sharing them.
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/session_budget.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

TEST_CASE("SessionBudget refuses past the router limit and the tenant limit, and gives back",
          "[pipeline][budget]") {
  SessionBudget budget(3);
  SessionBudget::TenantCounter& a = budget.ForTenant("a");
  SessionBudget::TenantCounter& b = budget.ForTenant("b");
  CHECK(&budget.ForTenant("a") == &a);  // one counter per name
  CHECK(budget.Acquire(a, 2) == SessionBudget::Result::kOk);
  CHECK(budget.Acquire(a, 2) == SessionBudget::Result::kOk);
  CHECK(budget.Acquire(a, 2) == SessionBudget::Result::kTenantFull);
  CHECK(budget.Acquire(b, 0) == SessionBudget::Result::kOk);
  CHECK(budget.Acquire(b, 0) == SessionBudget::Result::kRouterFull);
  CHECK(budget.live() == 3);
  CHECK(a.load() == 2);
  CHECK(b.load() == 1);  // counted without a limit too (a reload may set one)
  budget.Release(a);
  CHECK(budget.Acquire(b, 0) == SessionBudget::Result::kOk);
  CHECK(b.load() == 2);
  // A refusal by the router limit leaves the tenant's count as it was.
  CHECK(budget.Acquire(a, 2) == SessionBudget::Result::kRouterFull);
  CHECK(a.load() == 1);
}

TEST_CASE("SessionBudget never admits more than its limit to threads racing for it",
          "[pipeline][budget]") {
  SessionBudget budget(1000);
  SessionBudget::TenantCounter& t = budget.ForTenant("t");
  std::atomic<uint32_t> admitted{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (budget.Acquire(t, 600) == SessionBudget::Result::kOk) {
          admitted.fetch_add(1);
          if (i % 3 == 0) {  // some sessions end while others are being opened
            budget.Release(t);
            admitted.fetch_sub(1);
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(admitted.load() == 600);  // the tenant limit is the tighter one
  CHECK(t.load() == 600);
  CHECK(budget.live() == 600);
}

constexpr const char* kClient = "10.10.2.10";

// Sends one new voice flow from the client's `sport` into `rig`; true when it reached the server.
bool NewFlow(Rig& rig, uint16_t sport) {
  const size_t before = rig.to_server_.size();
  rig.FromClient(rig.ClientFrame(VoiceSpec(sport, Keep(Bytes(40, 0x11)))));
  rig.Step();
  return rig.to_server_.size() > before;
}

// The server answers `sport`'s flow (the session is then no longer embryonic).
bool Answer(Rig& rig, uint16_t sport) {
  const size_t before = rig.to_client_.size();
  rig.FromServer(rig.ServerFrame(Reversed(VoiceSpec(sport, Keep(Bytes(40, 0x22))))));
  rig.Step();
  return rig.to_client_.size() > before;
}

std::string WithLimits(const std::string& limits) {
  return Replace(std::string(config::DefaultConfigText()), "limits { max_sessions: 1048576 }",
                 "limits { max_sessions: 1048576 " + limits + " }");
}

TEST_CASE("max_sessions_per_tenant holds for two workers of one router together",
          "[pipeline][budget]") {
  const auto cfg = LoadConfig(WithLimits("max_sessions_per_tenant: 10"));
  SessionBudget budget(cfg->limits.max_sessions);
  RigOptions o;
  o.config = cfg;
  o.budget_a = &budget;
  Rig w1(o), w2(o);  // the branch router's two workers (each with its own datacenter)
  w1.AddServer("10.20.2.5");
  w2.AddServer("10.20.2.5");
  int through = 0;
  for (uint16_t p = 0; p < 8; ++p) through += NewFlow(w1, 40000 + p) ? 1 : 0;
  for (uint16_t p = 0; p < 8; ++p) through += NewFlow(w2, 41000 + p) ? 1 : 0;
  CHECK(through == 10);
  CHECK(Get(w1.a(), PipelineCounter::kTenantLimit) + Get(w2.a(), PipelineCounter::kTenantLimit) == 6);
  CHECK(w1.a().sessions().size() + w2.a().sessions().size() == 10);
  CHECK(budget.live() == 10);
  // A session ending on one worker makes room on the other.
  w1.Advance(static_cast<uint64_t>(std::chrono::milliseconds(cfg->timeouts.udp).count()) + 1000);
  w1.Expire();
  CHECK(budget.live() == 2);
  CHECK(NewFlow(w2, 41100));
  CHECK(budget.live() == 3);
}

TEST_CASE("max_sessions holds for two workers together: a worker evicts its own embryonic "
          "sessions, never an answered one, and refuses when it has none",
          "[pipeline][budget]") {
  SessionBudget budget(12);
  RigOptions o;
  o.budget_a = &budget;
  Rig w1(o), w2(o);
  w1.AddServer("10.20.2.5");
  w2.AddServer("10.20.2.5");
  // Worker 1: eight sessions the server answered.
  for (uint16_t p = 0; p < 8; ++p) {
    REQUIRE(NewFlow(w1, 40000 + p));
    REQUIRE(Answer(w1, 40000 + p));
  }
  // Worker 2: unanswered flows. Four fit; each later one evicts worker 2's oldest.
  int through = 0;
  for (uint16_t p = 0; p < 10; ++p) through += NewFlow(w2, 41000 + p) ? 1 : 0;
  CHECK(through == 10);
  CHECK(w2.a().sessions().size() == 4);
  CHECK(w2.a().sessions().counters().Get(session::SessionCounter::kEvictedEmbryonic) == 6);
  CHECK(budget.live() == 12);
  // Worker 1 has nothing it may evict: its new flow is refused, its sessions keep working.
  CHECK_FALSE(NewFlow(w1, 40100));
  CHECK(Get(w1.a(), PipelineCounter::kRouterSessionLimit) == 1);
  CHECK(w1.a().sessions().counters().Get(session::SessionCounter::kEvictedEmbryonic) == 0);
  for (uint16_t p = 0; p < 8; ++p) CHECK(NewFlow(w1, 40000 + p));  // established flows pass
  CHECK(budget.live() == 12);
}

TEST_CASE("a pipeline destroyed with live sessions gives their units back to the shared budget",
          "[pipeline][budget]") {
  SessionBudget budget(100);
  RigOptions o;
  o.budget_a = &budget;
  {
    Rig w(o);
    w.AddServer("10.20.2.5");
    for (uint16_t p = 0; p < 5; ++p) REQUIRE(NewFlow(w, 40000 + p));
    CHECK(budget.live() == 5);
  }
  CHECK(budget.live() == 0);
}

}  // namespace
}  // namespace ssr::pipeline::testing
