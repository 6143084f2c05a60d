// SPDX-License-Identifier: Apache-2.0
#include "ctl_protocol.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ssr/router.h"

namespace ssr::ctl {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::pair<Request::What, std::string_view> kWhats[] = {
    {Request::What::kStats, "stats"},       {Request::What::kInterfaces, "interfaces"},
    {Request::What::kPeers, "peers"},       {Request::What::kPaths, "paths"},
    {Request::What::kSessions, "sessions"}, {Request::What::kHealth, "health"},
};

bool ValidValue(std::string_view v) {
  if (v.empty()) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string Num(uint64_t v) { return std::to_string(v); }
std::string Fixed(double v, int digits) { return absl::StrFormat("%.*f", digits, v); }

std::string ProtocolName(uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "icmpv6";
    default:
      return std::to_string(p);
  }
}

std::string Endpoint(const std::string& address, uint16_t port) {
  if (address.find(':') != std::string::npos) return absl::StrCat("[", address, "]:", port);
  return absl::StrCat(address, ":", port);
}

Json CountersJson(const std::vector<CounterValue>& counters) {
  Json j = Json::object();
  for (const CounterValue& c : counters) j[c.name] = c.value;
  return j;
}

Json PathJson(const std::string& peer, const PeerPathStats& p) {
  Json j;
  if (!peer.empty()) j["peer"] = peer;
  j["name"] = p.name;
  j["interface"] = p.interface;
  j["local"] = p.local;
  j["remote"] = p.remote;
  j["up"] = p.up;
  j["bfd_state"] = p.bfd_state;
  j["quality_measured"] = p.quality_measured;
  j["latency_ms"] = p.latency_ms;
  j["jitter_ms"] = p.jitter_ms;
  j["loss_percent"] = p.loss_percent;
  j["mos"] = p.mos;
  j["tx_frames"] = p.tx_frames;
  j["rx_frames"] = p.rx_frames;
  j["sessions"] = p.sessions;
  j["status_changes"] = p.status_changes;
  return j;
}

absl::Status CheckPeer(const RouterStats& stats, const std::string& peer) {
  if (peer.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const PeerStats& p : stats.peers) {
    if (p.name == peer) return absl::OkStatus();
    names.push_back(p.name);
  }
  return absl::NotFoundError(
      absl::StrCat("no peer \"", peer,
                   "\" (there are: ", names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
}

}  // namespace

std::string_view WhatName(Request::What what) {
  for (const auto& [w, name] : kWhats) {
    if (w == what) return name;
  }
  return "";
}

absl::StatusOr<Request> ParseRequest(std::string_view line) {
  if (line.size() > kMaxRequestBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request longer than ", kMaxRequestBytes, " bytes"));
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string> words;
  for (size_t pos = 0;;) {
    const size_t sp = line.find(' ', pos);
    words.emplace_back(line.substr(pos, sp == std::string_view::npos ? sp : sp - pos));
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  if (line.empty()) return absl::InvalidArgumentError("empty request");
  Request r;
  size_t next = 1;
  if (words[0] == "version") {
    r.command = Request::Command::kVersion;
  } else if (words[0] == "reload") {
    r.command = Request::Command::kReload;
  } else if (words[0] == "show") {
    r.command = Request::Command::kShow;
    if (words.size() < 2) {
      return absl::InvalidArgumentError(
          "show: what? (stats, interfaces, peers, paths, sessions or health)");
    }
    for (const auto& [w, name] : kWhats) {
      if (words[1] == name) r.what = w;
    }
    if (r.what == Request::What::kNone) {
      return absl::InvalidArgumentError(absl::StrCat(
          "show: unknown \"", words[1], "\" (stats, interfaces, peers, paths, sessions or health)"));
    }
    next = 2;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown command \"", words[0], "\" (show, reload or version)"));
  }
  const bool sessions = r.what == Request::What::kSessions;
  const bool peers = r.what == Request::What::kPeers || r.what == Request::What::kPaths;
  for (size_t i = next; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "json") {
      r.json = true;
      continue;
    }
    const size_t eq = w.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected word \"", w, "\""));
    }
    const std::string key = w.substr(0, eq);
    const std::string value(w.substr(eq + 1));
    if (!ValidValue(value)) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": empty or not printable value"));
    }
    const std::string command_name =
        r.command == Request::Command::kShow ? "show " + std::string(WhatName(r.what)) : words[0];
    if (key == "peer" && (sessions || peers)) {
      r.filter.peer = value;
    } else if (sessions && key == "tenant") {
      r.filter.tenant = value;
    } else if (sessions && key == "service") {
      r.filter.service = value;
    } else if (sessions && key == "address") {
      r.filter.address = value;
    } else if (sessions && key == "limit") {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
      if (*end != '\0' || value[0] == '-' || n < 1 || n > ssr::Router::kMaxSessionListing) {
        return absl::InvalidArgumentError(absl::StrCat(
            "limit: \"", value, "\" is not a number from 1 to ", ssr::Router::kMaxSessionListing));
      }
      r.limit = static_cast<size_t>(n);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(command_name, " takes no \"", key, "\" (", w, ")"));
    }
  }
  return r;
}

std::string FormatRequest(const Request& r) {
  std::string out;
  switch (r.command) {
    case Request::Command::kVersion:
      out = "version";
      break;
    case Request::Command::kReload:
      out = "reload";
      break;
    case Request::Command::kShow:
      out = "show " + std::string(WhatName(r.what));
      break;
  }
  const std::pair<const char*, const std::string*> keys[] = {{"tenant", &r.filter.tenant},
                                                             {"service", &r.filter.service},
                                                             {"address", &r.filter.address},
                                                             {"peer", &r.filter.peer}};
  for (const auto& [key, value] : keys) {
    if (!value->empty()) absl::StrAppend(&out, " ", key, "=", *value);
  }
  if (r.what == Request::What::kSessions && r.limit != kDefaultSessionLimit) {
    absl::StrAppend(&out, " limit=", r.limit);
  }
  if (r.json) out += " json";
  return out;
}

std::string OkResponse(std::string_view body) { return "ok\n" + std::string(body); }

std::string ErrorResponse(std::string_view message) {
  std::string m(message);
  while (!m.empty() && m.back() == '\n') m.pop_back();
  std::string flat;
  for (char c : m) {
    if (c == '\n') {
      flat += "; ";
    } else {
      flat += c;
    }
  }
  return "error " + flat + "\n";
}

absl::StatusOr<std::string> ParseResponse(std::string_view response) {
  if (response.rfind("ok\n", 0) == 0) return std::string(response.substr(3));
  if (response.rfind("error ", 0) == 0) {
    std::string_view m = response.substr(6);
    while (!m.empty() && m.back() == '\n') m.remove_suffix(1);
    return absl::FailedPreconditionError(std::string(m));
  }
  if (response.empty()) {
    return absl::UnavailableError("the router closed the connection without an answer");
  }
  return absl::UnavailableError("the router's answer is malformed (neither \"ok\" nor \"error\")");
}

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        const std::vector<size_t>& right) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&width](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const std::string pad(width[i] - cell.size(), ' ');
      const bool r = std::find(right.begin(), right.end(), i) != right.end();
      std::string text = r ? pad + cell : cell + (i + 1 < width.size() ? pad : "");
      out += (i == 0 ? "" : "  ") + text;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();  // an empty last column
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string RenderStats(const RouterStats& s, bool json) {
  const std::vector<CounterValue> flat = s.Flatten();
  if (json) {
    Json j;
    j["router"] = s.router;
    j["running"] = s.running;
    j["config_generation"] = s.config_generation;
    j["sessions_live"] = s.sessions_live;
    j["total_drops"] = s.TotalDrops();
    j["counters"] = CountersJson(flat);
    return Dump(j);
  }
  std::string out = absl::StrCat("router ", s.router, "  running ", s.running ? "yes" : "no",
                                 "  config generation ", s.config_generation, "  sessions ",
                                 s.sessions_live, "  drops ", s.TotalDrops(), "\n\n");
  std::vector<std::vector<std::string>> rows;
  for (const CounterValue& c : flat) {
    rows.push_back({c.name, Num(c.value), c.is_drop ? "drop" : ""});
  }
  return out + FormatTable({"COUNTER", "VALUE", "KIND"}, rows, {1});
}

std::string RenderInterfaces(const RouterStats& s, bool json) {
  if (json) {
    Json list = Json::array();
    for (const InterfaceStats& i : s.interfaces) {
      Json j;
      j["name"] = i.name;
      j["os_name"] = i.os_name;
      j["role"] = i.role;
      j["xdp_mode"] = i.xdp_mode;
      j["zero_copy"] = i.zero_copy;
      j["queues"] = i.queues;
      j["counters"] = CountersJson(i.counters);
      list.push_back(std::move(j));
    }
    return Dump(Json{{"router", s.router}, {"interfaces", std::move(list)}});
  }
  std::vector<std::vector<std::string>> rows;
  for (const InterfaceStats& i : s.interfaces) {
    uint64_t rx = 0, tx = 0, drops = 0;
    for (const CounterValue& c : i.counters) {
      if (c.name == "xsk_rx_packets") rx = c.value;
      if (c.name == "xsk_tx_packets") tx = c.value;
      if (c.is_drop) drops += c.value;
    }
    rows.push_back({i.name, i.os_name, i.role, i.xdp_mode, i.zero_copy ? "zero-copy" : "copy",
                    Num(i.queues), Num(rx), Num(tx), Num(drops)});
  }
  return FormatTable(
      {"INTERFACE", "LINUX", "ROLE", "XDP", "AF_XDP", "QUEUES", "RX", "TX", "KERNEL_DROPS"}, rows,
      {5, 6, 7, 8});
}

absl::StatusOr<std::string> RenderPeers(const RouterStats& s, const std::string& peer, bool json) {
  if (absl::Status st = CheckPeer(s, peer); !st.ok()) return st;
  if (json) {
    Json list = Json::array();
    for (const PeerStats& p : s.peers) {
      if (!peer.empty() && p.name != peer) continue;
      Json j;
      j["name"] = p.name;
      j["interface"] = p.interface;
      j["addresses"] = p.addresses;
      j["sessions"] = p.sessions;
      Json paths = Json::array();
      for (const PeerPathStats& path : p.paths) paths.push_back(PathJson("", path));
      j["paths"] = std::move(paths);
      list.push_back(std::move(j));
    }
    return Dump(Json{{"router", s.router}, {"peers", std::move(list)}});
  }
  std::vector<std::vector<std::string>> rows;
  for (const PeerStats& p : s.peers) {
    if (!peer.empty() && p.name != peer) continue;
    size_t up = 0;
    for (const PeerPathStats& path : p.paths) up += path.up ? 1 : 0;
    rows.push_back({p.name, p.interface, absl::StrJoin(p.addresses, ","), Num(p.sessions),
                    p.paths.empty() ? "-" : absl::StrCat(up, "/", p.paths.size())});
  }
  return FormatTable({"PEER", "INTERFACE", "ADDRESSES", "SESSIONS", "PATHS_UP"}, rows, {3});
}

absl::StatusOr<std::string> RenderPaths(const RouterStats& s, const std::string& peer, bool json) {
  if (absl::Status st = CheckPeer(s, peer); !st.ok()) return st;
  if (json) {
    Json list = Json::array();
    for (const PeerStats& p : s.peers) {
      if (!peer.empty() && p.name != peer) continue;
      for (const PeerPathStats& path : p.paths) list.push_back(PathJson(p.name, path));
    }
    return Dump(Json{{"router", s.router}, {"paths", std::move(list)}});
  }
  std::vector<std::vector<std::string>> rows;
  for (const PeerStats& p : s.peers) {
    if (!peer.empty() && p.name != peer) continue;
    for (const PeerPathStats& path : p.paths) {
      const bool q = path.quality_measured;
      rows.push_back({p.name, path.name, path.interface, path.local, path.remote,
                      path.up ? "up" : "down", path.bfd_state,
                      q ? Fixed(path.latency_ms, 3) : "-", q ? Fixed(path.jitter_ms, 3) : "-",
                      q ? Fixed(path.loss_percent, 2) : "-", q ? Fixed(path.mos, 2) : "-",
                      Num(path.sessions), Num(path.tx_frames), Num(path.rx_frames)});
    }
  }
  return FormatTable({"PEER", "PATH", "INTERFACE", "LOCAL", "REMOTE", "STATE", "BFD",
                      "LATENCY_MS", "JITTER_MS", "LOSS_%", "MOS", "SESSIONS", "TX", "RX"},
                     rows, {7, 8, 9, 10, 11, 12, 13});
}

std::string RenderHealth(const HealthReport& report, bool json) {
  if (json) {
    Json items = Json::array();
    for (const HealthItem& i : report.items) {
      items.push_back(Json{{"scope", i.scope},
                           {"name", i.name},
                           {"sle_percent", i.sle_percent},
                           {"classifier", i.classifier},
                           {"samples", i.samples}});
    }
    return Dump(Json{{"window_seconds", report.window_seconds}, {"items", std::move(items)}});
  }
  std::vector<std::vector<std::string>> rows;
  for (const HealthItem& i : report.items) {
    rows.push_back({i.scope, i.name.empty() ? "-" : i.name, Fixed(i.sle_percent, 1),
                    i.classifier.empty() ? "-" : i.classifier, Num(i.samples)});
  }
  return absl::StrCat("window ", report.window_seconds, " s\n",
                      FormatTable({"SCOPE", "NAME", "SLE_%", "COST_MOST", "SAMPLES"}, rows,
                                  {2, 4}));
}

std::string RenderSessions(const SessionList& list, size_t limit, bool json) {
  if (json) {
    Json sessions = Json::array();
    for (const SessionInfo& s : list.sessions) {
      Json j;
      j["worker"] = s.worker;
      j["uuid"] = s.uuid;
      j["tenant"] = s.tenant;
      j["service"] = s.service;
      j["peer"] = s.peer;
      j["protocol"] = s.protocol;
      j["source"] = s.source;
      j["source_port"] = s.source_port;
      j["destination"] = s.destination;
      j["destination_port"] = s.destination_port;
      j["reverse_source"] = s.reverse_source;
      j["reverse_source_port"] = s.reverse_source_port;
      j["reverse_destination"] = s.reverse_destination;
      j["reverse_destination_port"] = s.reverse_destination_port;
      j["tcp_state"] = s.tcp_state;
      j["answered"] = s.answered;
      j["local_breakout"] = s.local_breakout;
      j["encrypted"] = s.encrypted;
      j["age_ms"] = s.age_ms;
      j["idle_ms"] = s.idle_ms;
      sessions.push_back(std::move(j));
    }
    Json j;
    j["config_generation"] = list.config_generation;
    j["limit"] = limit;
    j["truncated"] = list.truncated;
    j["sessions"] = std::move(sessions);
    return Dump(j);
  }
  std::vector<std::vector<std::string>> rows;
  for (const SessionInfo& s : list.sessions) {
    // ICMP echo has no ports (the identifier is in source_port; JSON has it).
    const bool icmp = s.protocol == 1 || s.protocol == 58;
    std::string state = s.protocol == 6 ? s.tcp_state : (s.answered ? "answered" : "unanswered");
    rows.push_back({Num(s.worker), s.tenant, s.service, s.local_breakout ? "-" : s.peer,
                    ProtocolName(s.protocol), icmp ? s.source : Endpoint(s.source, s.source_port),
                    icmp ? s.destination : Endpoint(s.destination, s.destination_port), state,
                    Fixed(static_cast<double>(s.age_ms) / 1000.0, 1),
                    Fixed(static_cast<double>(s.idle_ms) / 1000.0, 1),
                    s.local_breakout ? "-" : s.uuid});
  }
  std::string out = FormatTable({"W", "TENANT", "SERVICE", "PEER", "PROTO", "SOURCE", "DESTINATION",
                                 "STATE", "AGE_S", "IDLE_S", "UUID"},
                                rows, {0, 8, 9});
  absl::StrAppend(&out, list.sessions.size(), " session(s)");
  if (list.truncated) absl::StrAppend(&out, ", more not shown (limit ", limit, ")");
  return out + "\n";
}

std::string RenderVersion(const std::string& router, std::string_view version,
                          uint64_t config_generation, bool json) {
  if (json) {
    return Dump(Json{{"router", router},
                     {"version", std::string(version)},
                     {"config_generation", config_generation}});
  }
  return absl::StrCat("router ", router, ": libssr ", std::string(version), ", config generation ",
                      config_generation, "\n");
}

}  // namespace ssr::ctl
