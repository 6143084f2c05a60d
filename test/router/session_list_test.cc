// SPDX-License-Identifier: Apache-2.0
// Router::Sessions' parts that need no worker (router/session_list.h, SessionQuery in worker.h):
// the filter resolved to config indexes with errors that name the unknown name or bad address,
// which sessions a query matches, and a copied session turned into a SessionInfo.
#include <catch2/catch.hpp>
#include <string>

#include "router/config_access.h"
#include "router/session_list.h"
#include "router/worker.h"
#include "session/session.h"
#include "ssr/config.h"
#include "ssr/router.h"

namespace ssr::router {
namespace {

const config::Config& Demo() {
  static const Config cfg = Config::Default();
  return *ConfigAccess::Model(cfg);
}

uint32_t TenantIndex(const std::string& name) {
  for (size_t i = 0; i < Demo().tenants.size(); ++i) {
    if (Demo().tenants[i].name == name) return static_cast<uint32_t>(i);
  }
  FAIL("no tenant " << name);
  return 0;
}

uint32_t ServiceIndex(const std::string& name) {
  for (size_t i = 0; i < Demo().services.size(); ++i) {
    if (Demo().services[i].name == name) return static_cast<uint32_t>(i);
  }
  FAIL("no service " << name);
  return 0;
}

util::IpAddress Ip(const char* text) { return *util::IpAddress::Parse(text); }

// A live guest -> web ping session of the branch, toward peer 0 (datacenter).
session::Session GuestPing() {
  session::Session s;
  s.slot_state = session::SlotState::kLive;
  s.forward.src = Ip("10.10.9.20");
  s.forward.dst = Ip("10.20.3.10");
  s.forward.protocol = 1;
  s.forward.src_port = 77;
  s.reverse.src = Ip("192.0.2.2");
  s.reverse.dst = Ip("192.0.2.1");
  s.reverse.protocol = 17;
  s.reverse.src_port = 16385;
  s.reverse.dst_port = 16384;
  s.tenant = TenantIndex("guest");
  s.service = ServiceIndex("web");
  s.peer = 0;
  s.seen = session::kSeenReverse;
  s.uuid = {0x70, 0x47, 0xd8, 0x45, 0xcd, 0x22, 0x41, 0x77,
            0xa9, 0xaa, 0xf5, 0xc9, 0xcc, 0x76, 0xa5, 0xab};
  s.created_ms = 1000;
  s.last_activity_ms = 4000;
  return s;
}

SessionQuery Resolve(const SessionFilter& f) {
  absl::StatusOr<SessionQuery> q = ResolveSessionFilter(f, Demo(), "branch", 10, 7);
  REQUIRE(q.ok());
  return *q;
}

std::string Error(const SessionFilter& f) {
  absl::StatusOr<SessionQuery> q = ResolveSessionFilter(f, Demo(), "branch", 10, 7);
  REQUIRE_FALSE(q.ok());
  return std::string(q.status().message());
}

TEST_CASE("a session filter resolves to indexes of the running config") {
  const SessionQuery all = Resolve({});
  CHECK(all.tenant == SessionQuery::kAny);
  CHECK(all.service == SessionQuery::kAny);
  CHECK(all.peer == SessionQuery::kAny);
  CHECK_FALSE(all.has_prefix);
  CHECK(all.limit == 10);
  CHECK(all.generation == 7);
  const SessionQuery q = Resolve({"guest", "web", "datacenter", "10.10.9.0/24"});
  CHECK(q.tenant == TenantIndex("guest"));
  CHECK(q.service == ServiceIndex("web"));
  CHECK(q.peer == 0);
  CHECK(q.has_prefix);
  CHECK(q.prefix.ToString() == "10.10.9.0/24");
  CHECK(Resolve({"", "", "", "fd00::1"}).prefix.ToString() == "fd00::1/128");
}

TEST_CASE("an unknown name or a bad address is named in the error") {
  CHECK(Error({"nosuch", "", "", ""}).rfind("no tenant \"nosuch\" (there are: engineering, ", 0) ==
        0);
  CHECK(Error({"", "nosuch", "", ""}).rfind("no service \"nosuch\" (there are: crm, ", 0) == 0);
  CHECK(Error({"", "", "branch", ""}) == "no peer \"branch\" (there are: datacenter)");
  CHECK(Error({"", "", "", "10.1.2"}) == "address \"10.1.2\" is not an IP address or prefix");
  CHECK(Error({"", "", "", "10.1.2.3/24"}) ==
        "address \"10.1.2.3/24\" is not an IP prefix (e.g. 10.1.0.0/16)");
}

TEST_CASE("a query matches live sessions on every given field") {
  const session::Session s = GuestPing();
  CHECK(Resolve({}).Matches(s));
  CHECK(Resolve({"guest", "web", "datacenter", "10.20.3.10"}).Matches(s));
  CHECK(Resolve({"", "", "", "192.0.2.0/24"}).Matches(s));  // an address of the reverse flow
  CHECK_FALSE(Resolve({"engineering", "", "", ""}).Matches(s));
  CHECK_FALSE(Resolve({"", "crm", "", ""}).Matches(s));
  CHECK_FALSE(Resolve({"", "", "", "10.10.1.0/24"}).Matches(s));
  CHECK_FALSE(Resolve({"", "", "", "fd00:10:10:9::20"}).Matches(s));
  session::Session breakout = s;
  breakout.flags = session::kLocalBreakout;
  CHECK(Resolve({"guest", "", "", ""}).Matches(breakout));
  CHECK_FALSE(Resolve({"", "", "datacenter", ""}).Matches(breakout));  // no peer at all
  session::Session gone = s;
  gone.slot_state = session::SlotState::kQuarantined;
  CHECK_FALSE(Resolve({}).Matches(gone));
}

TEST_CASE("a copied session reads with the config's names") {
  const SessionInfo i = ToSessionInfo(GuestPing(), 2, Demo(), "branch", 5000);
  CHECK(i.worker == 2);
  CHECK(i.uuid == "7047d845-cd22-4177-a9aa-f5c9cc76a5ab");
  CHECK(i.tenant == "guest");
  CHECK(i.service == "web");
  CHECK(i.peer == "datacenter");
  CHECK(i.protocol == 1);
  CHECK(i.source == "10.10.9.20");
  CHECK(i.source_port == 77);
  CHECK(i.destination == "10.20.3.10");
  CHECK(i.reverse_source == "192.0.2.2");
  CHECK(i.reverse_source_port == 16385);
  CHECK(i.reverse_destination_port == 16384);
  CHECK(i.tcp_state == "none");
  CHECK(i.answered);
  CHECK_FALSE(i.local_breakout);
  CHECK_FALSE(i.encrypted);
  CHECK(i.age_ms == 4000);
  CHECK(i.idle_ms == 1000);
  session::Session b = GuestPing();
  b.flags = session::kLocalBreakout | session::kPayloadEncrypted;
  const SessionInfo j = ToSessionInfo(b, 0, Demo(), "branch", 500);  // clock before creation
  CHECK(j.peer.empty());
  CHECK(j.local_breakout);
  CHECK(j.encrypted);
  CHECK(j.age_ms == 0);
  CHECK(j.idle_ms == 0);
}

}  // namespace
}  // namespace ssr::router
