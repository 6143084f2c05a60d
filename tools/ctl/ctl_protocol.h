// SPDX-License-Identifier: Apache-2.0
// The control socket protocol of ssr-router and ssrctl (docs/operations.md, "Control socket"):
// request parsing and formatting, and the answers rendered as aligned text tables or JSON
// documents (nlohmann-json) from the public API's values (ssr/stats.h).
//
// A request is one line of at most kMaxRequestBytes bytes, words separated by single spaces,
// ending with "\n":
//   version | reload | show WHAT [key=value ...] [json]
//   WHAT: stats | interfaces | peers | paths | sessions | health
//   keys: tenant, service, address, peer (sessions), peer (peers, paths), limit (sessions)
// The answer is "ok\n" followed by the body (text, or one JSON document), or "error MESSAGE\n",
// then the server closes the connection.
#ifndef SSR_TOOLS_CTL_CTL_PROTOCOL_H_
#define SSR_TOOLS_CTL_CTL_PROTOCOL_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ssr/stats.h"

namespace ssr::ctl {

inline constexpr size_t kMaxRequestBytes = 1024;
inline constexpr size_t kDefaultSessionLimit = 1000;

struct Request {
  enum class Command { kVersion, kReload, kShow };
  enum class What { kNone, kStats, kInterfaces, kPeers, kPaths, kSessions, kHealth };
  Command command = Command::kVersion;
  What what = What::kNone;
  SessionFilter filter;  // tenant, service, address, peer (peer also for peers / paths)
  size_t limit = kDefaultSessionLimit;
  bool json = false;
};

// Parses one request line (without its "\n"). InvalidArgument naming the word at fault.
absl::StatusOr<Request> ParseRequest(std::string_view line);
// The line for `request` (without "\n"); ParseRequest(FormatRequest(r)) gives r back.
std::string FormatRequest(const Request& request);
std::string_view WhatName(Request::What what);

// Answers framed for the socket: "ok\n" + body, "error " + message + "\n" (newlines in the
// message are sent as "; ").
std::string OkResponse(std::string_view body);
std::string ErrorResponse(std::string_view message);
// Splits a received answer: the body, or the error message (Unavailable when the answer is
// neither, e.g. cut short).
absl::StatusOr<std::string> ParseResponse(std::string_view response);

// Rows of text under a header, each column as wide as its widest cell, two spaces between
// columns; columns whose index is in `right` are right-aligned (numbers).
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        const std::vector<size_t>& right = {});

// The bodies of "show ..." (text or JSON per `json`). `peer` filters peers / paths when not
// empty (NotFound when no peer has that name).
std::string RenderStats(const RouterStats& stats, bool json);
std::string RenderInterfaces(const RouterStats& stats, bool json);
absl::StatusOr<std::string> RenderPeers(const RouterStats& stats, const std::string& peer,
                                        bool json);
absl::StatusOr<std::string> RenderPaths(const RouterStats& stats, const std::string& peer,
                                        bool json);
std::string RenderSessions(const SessionList& list, size_t limit, bool json);
// WAN assurance (Router::Health, docs/operations.md "WAN assurance").
std::string RenderHealth(const HealthReport& report, bool json);
std::string RenderVersion(const std::string& router, std::string_view version,
                          uint64_t config_generation, bool json);

}  // namespace ssr::ctl

#endif  // SSR_TOOLS_CTL_CTL_PROTOCOL_H_
