// SPDX-License-Identifier: Apache-2.0
// Pipeline::Reload: a new config snapshot keeps established sessions; what it cannot apply is
// refused with the old config still running.
#include <catch2/catch.hpp>

#include "pipeline_rig.h"

namespace ssr::pipeline::testing {
namespace {

using packet::PacketSpec;

PacketSpec Voice(uint16_t sport) { return VoiceSpec(sport, Keep({'r', 'l'})); }

// Starts a voice session and completes its handshake.
void Establish(Rig& rig, uint16_t sport) {
  PacketSpec req = Voice(sport);
  rig.FromClient(rig.ClientFrame(req));
  rig.Step();
  std::swap(req.src, req.dst);
  std::swap(req.src_port, req.dst_port);
  rig.FromServer(rig.ServerFrame(req));
  rig.Step();
}

TEST_CASE("Reload keeps established sessions forwarding and applies the new policy to new ones",
          "[pipeline][reload]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  Establish(rig, 40000);
  // New config: a new tenant "lab" listed first (shifting every tenant index) that may use voice.
  std::string text(config::DefaultConfigText());
  text = Replace(text, "tenants {\n  name: \"engineering\"",
                 "tenants {\n  name: \"lab\"\n  members { router: \"branch\" interface: \"lan0\" "
                 "prefixes: \"10.10.3.0/24\" }\n}\ntenants {\n  name: \"engineering\"");
  text = Replace(text, "  access_policies { tenant: \"sales\" }\n}\nservices {\n  name: \"web\"",
                 "  access_policies { tenant: \"sales\" }\n  access_policies { tenant: \"lab\" }\n}\n"
                 "services {\n  name: \"web\"");
  auto next = LoadConfig(text);
  REQUIRE(next->tenants[0].name == "lab");
  REQUIRE(rig.a().Reload(next).ok());
  REQUIRE(rig.b().Reload(next).ok());
  CHECK(Get(rig.a(), PipelineCounter::kReloads) == 1);
  // The established session: same tuple, still forwarded, tenant index remapped.
  rig.FromClient(rig.ClientFrame(Voice(40000)));
  rig.Step();
  CHECK(rig.to_server_.back() == rig.AtServer(Voice(40000)));
  CHECK(Get(rig.a(), PipelineCounter::kFirstPacket) == 1);
  const session::Session& s = rig.a().sessions().at(0);
  CHECK(next->tenants[s.tenant].name == "sales");
  // A host of the new tenant now gets through.
  PacketSpec lab = Voice(40001);
  lab.src = Ip("10.10.3.3");
  rig.FromClient(rig.ClientFrame(lab));
  rig.Step();
  CHECK(rig.to_server_.back() == rig.AtServer(lab));
}

TEST_CASE("Reload removes sessions whose service disappeared, and counts them", "[pipeline][reload]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  Establish(rig, 40000);
  std::string text(config::DefaultConfigText());
  text = Replace(text, "  service_routes { name: \"voice-via-dc\" service: \"voice\" peer: \"datacenter\" }\n", "");
  text = Replace(text, "  service_routes { name: \"voice-local\" service: \"voice\" next_hop { interface: \"lan0\" } }\n", "");
  const size_t from = text.find("services {\n  name: \"voice\"");
  REQUIRE(from != std::string::npos);
  text.erase(from, text.find("services {\n  name: \"web\"") - from);
  REQUIRE(rig.a().Reload(LoadConfig(text)).ok());
  CHECK(rig.a().sessions().size() == 0);
  CHECK(Get(rig.a(), PipelineCounter::kReloadRemoved) == 1);
  rig.FromClient(rig.ClientFrame(Voice(40000)));
  rig.Step();
  CHECK(rig.a().policy_counters().Get(policy::Verdict::kNoService) == 1);
}

TEST_CASE("Reload refuses a config that changes the router's interfaces or lacks the router, the "
          "old config keeps running",
          "[pipeline][reload]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  Establish(rig, 40000);
  std::string renamed = Replace(std::string(config::DefaultConfigText()), "\"lan0\"", "\"inside\"");
  const absl::Status st = rig.a().Reload(LoadConfig(renamed));
  CHECK(st.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(st.message()), Catch::Contains("interfaces"));
  std::string no_branch = Replace(std::string(config::DefaultConfigText()), "name: \"branch\"", "name: \"hq\"");
  no_branch = Replace(no_branch, "router: \"branch\"", "router: \"hq\"");
  no_branch = Replace(no_branch, "name: \"branch\"", "name: \"hq\"");
  const absl::Status st2 = rig.a().Reload(LoadConfig(no_branch));
  CHECK_FALSE(st2.ok());
  CHECK_THAT(std::string(st2.message()), Catch::Contains("branch"));
  CHECK(Get(rig.a(), PipelineCounter::kReloads) == 0);
  rig.FromClient(rig.ClientFrame(Voice(40000)));
  rig.Step();
  CHECK(rig.to_server_.back() == rig.AtServer(Voice(40000)));
}

TEST_CASE("Reload applies new timeouts to the sessions that exist", "[pipeline][reload]") {
  Rig rig;
  rig.AddServer("10.20.2.5");
  Establish(rig, 40000);
  REQUIRE(rig.a().sessions().size() == 1);
  const std::string text(config::DefaultConfigText());
  REQUIRE(text.find("timeouts { udp_seconds: 120 }") != std::string::npos);
  // Under the running config (UDP 120 s) 61 s of silence keep the session.
  rig.Advance(61'000);
  rig.Expire();
  REQUIRE(rig.a().sessions().size() == 1);
  // UDP 60 s from the reload on: the same session, now past it, expires at the next sweep.
  REQUIRE(rig.a().Reload(LoadConfig(Replace(text, "timeouts { udp_seconds: 120 }",
                                            "timeouts { udp_seconds: 60 }")))
              .ok());
  rig.Expire();
  CHECK(rig.a().sessions().size() == 0);
  CHECK(rig.a().sessions().counters().Get(session::SessionCounter::kExpiredUdp) == 1);
  // And longer timeouts keep a session that the old ones would have ended.
  Establish(rig, 40001);
  REQUIRE(rig.a().sessions().size() == 1);
  REQUIRE(rig.a().Reload(LoadConfig(Replace(text, "timeouts { udp_seconds: 120 }",
                                            "timeouts { udp_seconds: 600 }")))
              .ok());
  rig.Advance(300'000);
  rig.Expire();
  CHECK(rig.a().sessions().size() == 1);
  rig.Advance(301'000);
  rig.Expire();
  CHECK(rig.a().sessions().size() == 0);
}

TEST_CASE("The session observer sees every session open and close, with the record intact",
          "[pipeline]") {
  struct Seen {
    int opened = 0;
    int closed = 0;
    svr::Uuid last_uuid{};
  } seen;
  Rig rig;
  rig.AddServer("10.20.2.5");
  rig.b().SetSessionObserver(
      [](void* ctx, const session::Session& s, bool opened) {
        auto& v = *static_cast<Seen*>(ctx);
        (opened ? v.opened : v.closed) += 1;
        v.last_uuid = s.uuid;
        CHECK(s.service < 5);
      },
      &seen);
  Establish(rig, 40000);
  CHECK(seen.opened == 1);
  CHECK(seen.closed == 0);
  const svr::Uuid uuid = rig.b().sessions().at(0).uuid;
  CHECK(seen.last_uuid == uuid);
  rig.Advance(200'000);
  rig.Expire();  // A times out and sends Delete Session; B removes its session
  CHECK(seen.closed == 1);
  CHECK(seen.last_uuid == uuid);
}

}  // namespace
}  // namespace ssr::pipeline::testing
