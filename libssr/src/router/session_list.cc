// SPDX-License-Identifier: Apache-2.0
#include "router/session_list.h"

#include <time.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "router/events.h"
#include "session/session.h"

namespace ssr::router {
namespace {

uint64_t MonotonicMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

template <class T>
absl::StatusOr<uint32_t> IndexByName(const std::vector<T>& list, const std::string& name,
                                     const char* what) {
  std::vector<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].name == name) return static_cast<uint32_t>(i);
    names.push_back(list[i].name);
  }
  return absl::NotFoundError(
      absl::StrCat("no ", what, " \"", name,
                   "\" (there are: ", names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
}

}  // namespace

absl::StatusOr<SessionQuery> ResolveSessionFilter(const SessionFilter& filter,
                                                  const config::Config& cfg,
                                                  const std::string& router, size_t limit,
                                                  uint64_t generation) {
  SessionQuery q;
  q.limit = limit;
  q.generation = generation;
  if (!filter.tenant.empty()) {
    auto i = IndexByName(cfg.tenants, filter.tenant, "tenant");
    if (!i.ok()) return i.status();
    q.tenant = *i;
  }
  if (!filter.service.empty()) {
    auto i = IndexByName(cfg.services, filter.service, "service");
    if (!i.ok()) return i.status();
    q.service = *i;
  }
  if (!filter.peer.empty()) {
    const config::Router* r = cfg.FindRouter(router);
    if (r == nullptr) return absl::NotFoundError(absl::StrCat("no router \"", router, "\""));
    auto i = IndexByName(r->peers, filter.peer, "peer");
    if (!i.ok()) return i.status();
    q.peer = *i;
  }
  if (!filter.address.empty()) {
    if (filter.address.find('/') != std::string::npos) {
      std::optional<util::IpPrefix> p = util::IpPrefix::Parse(filter.address);
      if (!p.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "address \"", filter.address, "\" is not an IP prefix (e.g. 10.1.0.0/16)"));
      }
      q.prefix = *p;
    } else {
      std::optional<util::IpAddress> a = util::IpAddress::Parse(filter.address);
      if (!a.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("address \"", filter.address, "\" is not an IP address or prefix"));
      }
      q.prefix = util::IpPrefix(*a, a->bit_width());
    }
    q.has_prefix = true;
  }
  return q;
}

SessionInfo ToSessionInfo(const session::Session& s, uint32_t worker, const config::Config& cfg,
                          const std::string& router, uint64_t now_ms) {
  SessionInfo info;
  info.worker = worker;
  info.uuid = UuidText(s.uuid);
  if (s.tenant < cfg.tenants.size()) info.tenant = cfg.tenants[s.tenant].name;
  if (s.service < cfg.services.size()) info.service = cfg.services[s.service].name;
  info.local_breakout = (s.flags & session::kLocalBreakout) != 0;
  const config::Router* r = cfg.FindRouter(router);
  if (!info.local_breakout && r != nullptr && s.peer < r->peers.size()) {
    info.peer = r->peers[s.peer].name;
  }
  info.protocol = s.forward.protocol;
  info.source = s.forward.src.ToString();
  info.source_port = s.forward.src_port;
  info.destination = s.forward.dst.ToString();
  info.destination_port = s.forward.dst_port;
  info.reverse_source = s.reverse.src.ToString();
  info.reverse_source_port = s.reverse.src_port;
  info.reverse_destination = s.reverse.dst.ToString();
  info.reverse_destination_port = s.reverse.dst_port;
  info.tcp_state = std::string(session::TcpStateName(s.tcp_state));
  info.answered = s.answered();
  info.encrypted = (s.flags & session::kPayloadEncrypted) != 0;
  info.created_ms = s.created_ms;
  info.last_activity_ms = s.last_activity_ms;
  info.age_ms = now_ms > s.created_ms ? now_ms - s.created_ms : 0;
  info.idle_ms = now_ms > s.last_activity_ms ? now_ms - s.last_activity_ms : 0;
  return info;
}

absl::StatusOr<SessionList> ListSessions(const std::vector<std::unique_ptr<Worker>>& workers,
                                         bool running, const std::string& router,
                                         const SessionFilter& filter, size_t limit,
                                         const CurrentConfig& current,
                                         std::chrono::milliseconds timeout) {
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const auto [cfg, generation] = current();
    absl::StatusOr<SessionQuery> query =
        ResolveSessionFilter(filter, *cfg, router, limit, generation);
    if (!query.ok()) return query.status();
    std::vector<SessionListing> answers(workers.size());
    if (!running) {
      for (size_t i = 0; i < workers.size(); ++i) answers[i] = workers[i]->ListSessionsNow(*query);
    } else {
      std::vector<uint64_t> requests(workers.size());
      for (size_t i = 0; i < workers.size(); ++i) {
        WorkerShared& sh = workers[i]->shared();
        std::lock_guard<std::mutex> lock(sh.mu);
        sh.session_query = *query;
        requests[i] = sh.session_request.load(std::memory_order_relaxed) + 1;
        sh.session_request.store(requests[i], std::memory_order_release);
      }
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      for (size_t i = 0; i < workers.size(); ++i) {
        WorkerShared& sh = workers[i]->shared();
        while (sh.session_done.load(std::memory_order_acquire) != requests[i]) {
          if (std::chrono::steady_clock::now() > deadline) {
            return absl::DeadlineExceededError(absl::StrCat(
                "worker ", i, " did not list its sessions within ", timeout.count(), " ms"));
          }
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        std::lock_guard<std::mutex> lock(sh.mu);
        answers[i] = std::move(sh.session_listing);
        sh.session_listing = SessionListing{};
      }
    }
    bool stale = false;
    for (const SessionListing& a : answers) stale = stale || a.stale;
    if (stale && attempt + 1 < kAttempts) continue;
    if (stale) {
      return absl::UnavailableError("the config changed during every attempt to list sessions");
    }
    SessionList out;
    out.config_generation = generation;
    const uint64_t now_ms = MonotonicMs();
    for (size_t i = 0; i < answers.size(); ++i) {
      out.truncated = out.truncated || answers[i].truncated;
      for (const session::Session& s : answers[i].sessions) {
        if (out.sessions.size() >= limit) {
          out.truncated = true;
          break;
        }
        out.sessions.push_back(ToSessionInfo(s, workers[i]->options().id, *cfg, router, now_ms));
      }
    }
    return out;
  }
  return absl::UnavailableError("the config changed during every attempt to list sessions");
}

}  // namespace ssr::router
