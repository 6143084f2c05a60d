// SPDX-License-Identifier: Apache-2.0
// Validation of the "Services and access policy" section: each service's prefixes, transports
// (protocols and port ranges), access policies (tenant references, one entry per tenant),
// initiation, payload security policy and TCP state enforcement, then the whole-config rule that
// two services do not claim the same prefix with overlapping transports. A new rule about a
// service or its access policy goes here.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "config/validate.h"
#include "util/strings.h"

namespace ssr::config::internal {
namespace {

using util::IpPrefix;

// Two transports lists overlap if some (protocol, port) is in both; empty lists mean "all".
bool TransportsOverlap(const std::vector<Transport>& a, const std::vector<Transport>& b) {
  if (a.empty() || b.empty()) return true;
  for (const Transport& ta : a) {
    for (const Transport& tb : b) {
      if (ta.protocol != tb.protocol) continue;
      if (ta.ports.empty() || tb.ports.empty()) return true;
      for (const PortRange& ra : ta.ports) {
        for (const PortRange& rb : tb.ports) {
          if (ra.Overlaps(rb)) return true;
        }
      }
    }
  }
  return false;
}

// Path preference, SLA bounds and session resiliency of one service policy (path names are
// checked against the peers' paths in CheckPathPreferences, once routers are known).
void CheckServicePolicySla(const v1::ServicePolicy& pp, const std::string& path,
                           ServicePolicy* sp, ErrorSink& errors) {
  for (int k = 0; k < pp.path_preference_size(); ++k) {
    const std::string& name = pp.path_preference(k);
    if (std::find(sp->path_preference.begin(), sp->path_preference.end(), name) !=
        sp->path_preference.end()) {
      errors.Add(Idx(Field(path, "path_preference"), static_cast<size_t>(k)),
                 absl::StrCat(Quote(name), " is listed twice"));
      continue;
    }
    sp->path_preference.push_back(name);
  }
  auto bounded_ms = [&](bool has, uint32_t v, const char* field, std::optional<uint32_t>* out) {
    if (!has) return;
    if (v < 1 || v > 60000) {
      errors.Add(Field(path, field), absl::StrCat(v, " is out of range (1-60000)"));
    } else {
      *out = v;
    }
  };
  bounded_ms(pp.has_max_latency_ms(), pp.max_latency_ms(), "max_latency_ms", &sp->max_latency_ms);
  bounded_ms(pp.has_max_jitter_ms(), pp.max_jitter_ms(), "max_jitter_ms", &sp->max_jitter_ms);
  if (pp.has_max_loss_percent()) {
    const double v = pp.max_loss_percent();
    if (!(v >= 0 && v <= 100)) {
      errors.Add(Field(path, "max_loss_percent"), absl::StrCat(v, " is out of range (0-100)"));
    } else {
      sp->max_loss_percent = v;
    }
  }
  if (pp.has_min_mos()) {
    const double v = pp.min_mos();
    if (!(v >= 1 && v <= 5)) {
      errors.Add(Field(path, "min_mos"), absl::StrCat(v, " is out of range (1.0-5.0)"));
    } else {
      sp->min_mos = v;
    }
  }
  sp->strict_sla = pp.strict_sla();
  if (sp->strict_sla && !sp->HasSla()) {
    errors.Add(Field(path, "strict_sla"),
               "needs an SLA bound (max_latency_ms, max_jitter_ms, max_loss_percent or min_mos)");
  }
  switch (pp.session_resiliency()) {
    case v1::ServicePolicy::SESSION_RESILIENCY_UNSPECIFIED:
    case v1::ServicePolicy::FAILOVER:
      sp->resiliency = SessionResiliency::kFailover;
      break;
    case v1::ServicePolicy::NONE:
      sp->resiliency = SessionResiliency::kNone;
      break;
    case v1::ServicePolicy::REVERTIBLE_FAILOVER:
      sp->resiliency = SessionResiliency::kRevertibleFailover;
      break;
    default:
      errors.Add(Field(path, "session_resiliency"),
                 absl::StrCat(static_cast<int>(pp.session_resiliency()),
                              " is not valid (NONE, FAILOVER or REVERTIBLE_FAILOVER)"));
  }
  if (pp.revert_hold_down_seconds() != 0) {
    if (pp.revert_hold_down_seconds() > 3600) {
      errors.Add(Field(path, "revert_hold_down_seconds"),
                 absl::StrCat(pp.revert_hold_down_seconds(), " is out of range (1-3600)"));
    } else {
      sp->revert_hold_down = std::chrono::seconds(pp.revert_hold_down_seconds());
    }
  }
}

}  // namespace

std::vector<ServicePolicy> ValidateServicePolicies(const ProtoList<v1::ServicePolicy>& policies,
                                                   ErrorSink& errors) {
  std::vector<ServicePolicy> result(static_cast<size_t>(policies.size()));
  for (int i = 0; i < policies.size(); ++i) {
    const v1::ServicePolicy& pp = policies[i];
    ServicePolicy& sp = result[static_cast<size_t>(i)];
    sp.name = pp.name();
    switch (pp.load_balancing()) {
      case v1::ServicePolicy::LOAD_BALANCING_UNSPECIFIED:
      case v1::ServicePolicy::HUNT:
        sp.load_balancing = LoadBalancing::kHunt;
        break;
      case v1::ServicePolicy::PROPORTIONAL:
        sp.load_balancing = LoadBalancing::kProportional;
        break;
      case v1::ServicePolicy::ROUND_ROBIN:
        sp.load_balancing = LoadBalancing::kRoundRobin;
        break;
      default:
        errors.Add(Field(Idx("service_policies", static_cast<size_t>(i)), "load_balancing"),
                   absl::StrCat(static_cast<int>(pp.load_balancing()),
                                " is not a valid strategy (HUNT, PROPORTIONAL or ROUND_ROBIN)"));
    }
    CheckServicePolicySla(pp, Idx("service_policies", static_cast<size_t>(i)), &sp, errors);
  }
  return result;
}

std::vector<Service> ValidateServices(const ProtoList<v1::Service>& p_services,
                                      const NameIndex& tenant_names, const NameIndex& policy_names,
                                      const NameIndex& service_policy_names,
                                      const std::vector<ServicePolicy>& service_policies,
                                      ErrorSink& errors) {
  std::vector<Service> result(static_cast<size_t>(p_services.size()));
  for (int s = 0; s < p_services.size(); ++s) {
    const v1::Service& ps = p_services[s];
    const std::string path = Idx("services", static_cast<size_t>(s));
    Service& service = result[static_cast<size_t>(s)];
    service.name = ps.name();
    service.description = ps.description();
    if (!ps.service_policy().empty()) {
      if (std::optional<size_t> sp = Lookup(service_policy_names, ps.service_policy())) {
        service.service_policy = *sp;
        service.load_balancing = service_policies[*sp].load_balancing;
      } else {
        errors.Add(Field(path, "service_policy"),
                   absl::StrCat(Quote(ps.service_policy()), " is not a defined service policy"));
      }
    }
    if (ps.prefixes_size() == 0) {
      errors.Add(Field(path, "prefixes"), "at least one prefix is required");
    }
    for (int i = 0; i < ps.prefixes_size(); ++i) {
      if (auto prefix = ParsePrefix(ps.prefixes(i),
                                    Idx(Field(path, "prefixes"), static_cast<size_t>(i)), errors)) {
        service.prefixes.push_back(*prefix);
      }
    }
    for (int t = 0; t < ps.transports_size(); ++t) {
      const v1::Transport& pt = ps.transports(t);
      const std::string tpath = Idx(Field(path, "transports"), static_cast<size_t>(t));
      Transport transport;
      switch (pt.protocol()) {
        case v1::Transport::TCP:
          transport.protocol = Protocol::kTcp;
          break;
        case v1::Transport::UDP:
          transport.protocol = Protocol::kUdp;
          break;
        case v1::Transport::ICMP:
          transport.protocol = Protocol::kIcmp;
          break;
        case v1::Transport::PROTOCOL_UNSPECIFIED:
          errors.Add(Field(tpath, "protocol"), "is required (TCP, UDP or ICMP)");
          continue;
        default:
          errors.Add(Field(tpath, "protocol"), absl::StrCat(static_cast<int>(pt.protocol()),
                                                            " is not a valid protocol (TCP, UDP or "
                                                            "ICMP)"));
          continue;
      }
      if (transport.protocol == Protocol::kIcmp && pt.ports_size() > 0) {
        errors.Add(Field(tpath, "ports"), "must be empty for ICMP (ICMP has no ports)");
        continue;
      }
      for (int r = 0; r < pt.ports_size(); ++r) {
        const std::string rpath = Idx(Field(tpath, "ports"), static_cast<size_t>(r));
        if (auto range = ParsePortRange(pt.ports(r), rpath, errors)) {
          for (const PortRange& prev : transport.ports) {
            if (prev.Overlaps(*range)) {
              errors.Add(rpath,
                         absl::StrCat(ShowPorts(range->first, range->last), " overlaps ",
                                      ShowPorts(prev.first, prev.last), " of the same transport"));
              break;
            }
          }
          transport.ports.push_back(*range);
        }
      }
      for (const Transport& prev : service.transports) {
        if (prev.protocol == transport.protocol) {
          errors.Add(Field(tpath, "protocol"),
                     absl::StrCat(util::ToAbsl(ProtocolName(transport.protocol)),
                                  " is listed twice; put all its port ranges in one transport"),
                     absl::StatusCode::kAlreadyExists);
          break;
        }
      }
      service.transports.push_back(std::move(transport));
    }
    for (int a = 0; a < ps.access_policies_size(); ++a) {
      const v1::AccessPolicy& pa = ps.access_policies(a);
      const std::string apath = Idx(Field(path, "access_policies"), static_cast<size_t>(a));
      AccessEntry entry;
      switch (pa.permission()) {
        case v1::AccessPolicy::PERMISSION_UNSPECIFIED:
        case v1::AccessPolicy::ALLOW:
          entry.permission = Permission::kAllow;
          break;
        case v1::AccessPolicy::DENY:
          entry.permission = Permission::kDeny;
          break;
        default:
          errors.Add(Field(apath, "permission"),
                     absl::StrCat(static_cast<int>(pa.permission()),
                                  " is not a valid permission (ALLOW or DENY)"));
          continue;
      }
      std::optional<size_t> tenant = Lookup(tenant_names, pa.tenant());
      if (!tenant) {
        errors.Add(Field(apath, "tenant"),
                   absl::StrCat(Quote(pa.tenant()), " is not a defined tenant"));
        continue;
      }
      entry.tenant = *tenant;
      bool duplicate = false;
      for (const AccessEntry& prev : service.access) duplicate |= prev.tenant == *tenant;
      if (duplicate) {
        errors.Add(Field(apath, "tenant"),
                   absl::StrCat("tenant ", Quote(pa.tenant()),
                                " already has an access policy in service ", Quote(ps.name())),
                   absl::StatusCode::kAlreadyExists);
        continue;
      }
      service.access.push_back(entry);
    }
    if (ps.initiation() != v1::Service::INITIATION_UNSPECIFIED &&
        ps.initiation() != v1::Service::CLIENT_ONLY) {
      errors.Add(Field(path, "initiation"),
                 absl::StrCat(static_cast<int>(ps.initiation()),
                              " is not a valid initiation (CLIENT_ONLY)"));
    }
    if (!ps.security_policy().empty()) {
      service.security_policy = ResolveSecurityPolicy(
          ps.security_policy(), Field(path, "security_policy"), policy_names, errors);
    }
    switch (ps.tcp_state_enforcement()) {
      case v1::Service::TCP_STATE_ENFORCEMENT_UNSPECIFIED:
      case v1::Service::RESET:
        service.tcp_state_enforcement = TcpStateEnforcement::kReset;
        break;
      case v1::Service::BLOCK:
        service.tcp_state_enforcement = TcpStateEnforcement::kBlock;
        break;
      case v1::Service::ALLOW:
        service.tcp_state_enforcement = TcpStateEnforcement::kAllow;
        break;
      default:
        errors.Add(Field(path, "tcp_state_enforcement"),
                   absl::StrCat(static_cast<int>(ps.tcp_state_enforcement()),
                                " is not a valid value (RESET, BLOCK or ALLOW)"));
    }
  }
  return result;
}

void ValidateServiceOverlaps(const ProtoList<v1::Service>& p_services,
                             const std::vector<Service>& services, ErrorSink& errors) {
  // Longest prefix decides between services, so only an identical prefix with overlapping
  // transports is ambiguous.
  for (size_t j = 0; j < services.size(); ++j) {
    const v1::Service& pj = p_services[static_cast<int>(j)];
    for (int pi = 0; pi < pj.prefixes_size(); ++pi) {
      std::optional<IpPrefix> prefix = IpPrefix::Parse(pj.prefixes(pi));
      if (!prefix) continue;
      for (size_t i = 0; i < j; ++i) {
        const Service& other = services[i];
        if (std::find(other.prefixes.begin(), other.prefixes.end(), *prefix) ==
                other.prefixes.end() ||
            !TransportsOverlap(other.transports, services[j].transports)) {
          continue;
        }
        errors.Add(Idx(Field(Idx("services", j), "prefixes"), static_cast<size_t>(pi)),
                   absl::StrCat(Quote(prefix->ToString()), " is also a prefix of service ",
                                Quote(other.name), " (", Idx("services", i),
                                ") with overlapping transports; a packet could match both"));
        break;
      }
    }
  }
}

void ValidateServicePolicyPaths(const std::vector<Router>& routers,
                                std::vector<ServicePolicy>& policies, ErrorSink& errors) {
  for (size_t i = 0; i < policies.size(); ++i) {
    for (size_t k = 0; k < policies[i].path_preference.size(); ++k) {
      const std::string& name = policies[i].path_preference[k];
      bool found = false;
      for (const Router& r : routers) {
        for (const Peer& p : r.peers) {
          for (const PeerPathConfig& pc : p.paths) found |= pc.name == name;
        }
      }
      if (!found) {
        errors.Add(Idx(Field(Idx("service_policies", i), "path_preference"), k),
                   absl::StrCat(Quote(name), " is not the name of a path of any peer"));
      }
    }
  }
}

}  // namespace ssr::config::internal
