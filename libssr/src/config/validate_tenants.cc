// SPDX-License-Identifier: Apache-2.0
// Validation of the "Tenants" section: tenant hierarchy (parents, depth) and members (router, LAN
// interface, VLAN, source prefixes), then the whole-config rule that members of different tenants
// do not claim the same sources where their scopes meet. A new rule about tenants or members goes
// here; rules about what a tenant may reach belong to services (validate_services.cc).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/validate.h"

namespace ssr::config::internal {
namespace {

using util::IpPrefix;

Member CheckMember(const v1::Member& pm, const std::string& path, const NameIndex& router_names,
                   const std::vector<Router>& routers, ErrorSink& errors) {
  Member m;
  m.interface = pm.interface();
  std::vector<const Router*> scope;  // routers where the interface must exist
  if (!pm.router().empty()) {
    m.router = Lookup(router_names, pm.router());
    if (!m.router) {
      errors.Add(Field(path, "router"),
                 absl::StrCat(Quote(pm.router()), " is not a defined router"));
    } else {
      scope.push_back(&routers[*m.router]);
    }
  } else {
    for (const Router& r : routers) scope.push_back(&r);
  }
  std::vector<const Interface*> matched;
  if (!pm.interface().empty() && (m.router || pm.router().empty())) {
    for (const Router* r : scope) {
      if (const Interface* itf = r->FindInterface(pm.interface())) matched.push_back(itf);
    }
    if (matched.empty()) {
      errors.Add(Field(path, "interface"),
                 pm.router().empty()
                     ? absl::StrCat(Quote(pm.interface()), " is not an interface of any router")
                     : absl::StrCat(Quote(pm.interface()), " is not an interface of router ",
                                    Quote(pm.router())));
    }
    for (const Interface* itf : matched) {
      if (itf->role == InterfaceRole::kWan) {
        errors.Add(Field(path, "interface"),
                   absl::StrCat(Quote(pm.interface()),
                                " is a WAN interface; tenant members are on LAN interfaces"));
        break;
      }
    }
  }
  if (pm.vlan() > 4094) {
    errors.Add(Field(path, "vlan"),
               absl::StrCat(pm.vlan(), " is not a valid VLAN id (0 for any, or 1-4094)"));
  } else {
    m.vlan = static_cast<uint16_t>(pm.vlan());
    if (m.vlan != 0) {
      for (const Interface* itf : matched) {
        if (std::find(itf->vlans.begin(), itf->vlans.end(), m.vlan) == itf->vlans.end()) {
          errors.Add(Field(path, "vlan"),
                     absl::StrCat("VLAN ", m.vlan, " is not configured on interface ",
                                  Quote(pm.interface())));
          break;
        }
      }
    }
  }
  if (pm.prefixes_size() == 0) {
    errors.Add(Field(path, "prefixes"), "at least one prefix is required");
  }
  for (int i = 0; i < pm.prefixes_size(); ++i) {
    if (auto prefix = ParsePrefix(pm.prefixes(i),
                                  Idx(Field(path, "prefixes"), static_cast<size_t>(i)), errors)) {
      m.prefixes.push_back(*prefix);
    }
  }
  return m;
}

// Two members can match the same packet when each scope field is equal or empty on one side.
bool ScopesMeet(const Member& a, const Member& b) {
  const bool routers = !a.router || !b.router || *a.router == *b.router;
  const bool interfaces = a.interface.empty() || b.interface.empty() || a.interface == b.interface;
  const bool vlans = a.vlan == 0 || b.vlan == 0 || a.vlan == b.vlan;
  return routers && interfaces && vlans;
}

std::string DescribeScope(const Member& a, const Member& b, const std::vector<Router>& routers) {
  std::vector<std::string> parts;
  std::optional<size_t> router = a.router ? a.router : b.router;
  const std::string& itf = a.interface.empty() ? b.interface : a.interface;
  const uint16_t vlan = a.vlan == 0 ? b.vlan : a.vlan;
  parts.push_back(itf.empty() ? "on every LAN interface"
                              : absl::StrCat("on interface ", Quote(itf)));
  if (router) parts.push_back(absl::StrCat("of router ", Quote(routers[*router].name)));
  if (vlan != 0) parts.push_back(absl::StrCat("VLAN ", vlan));
  return absl::StrJoin(parts, " ");
}

}  // namespace

std::vector<Tenant> ValidateTenants(const ProtoList<v1::Tenant>& p_tenants,
                                    const NameIndex& tenant_names, const NameIndex& router_names,
                                    const std::vector<Router>& routers, ErrorSink& errors) {
  std::vector<Tenant> result(static_cast<size_t>(p_tenants.size()));
  for (int t = 0; t < p_tenants.size(); ++t) {
    const v1::Tenant& pt = p_tenants[t];
    const std::string path = Idx("tenants", static_cast<size_t>(t));
    Tenant& tenant = result[static_cast<size_t>(t)];
    tenant.name = pt.name();
    tenant.description = pt.description();
    const size_t dot = pt.name().find('.');
    if (dot != std::string::npos && IsValidDottedName(pt.name())) {
      const std::string parent = pt.name().substr(dot + 1);
      tenant.parent = Lookup(tenant_names, parent);
      if (!tenant.parent) {
        errors.Add(Field(path, "name"), absl::StrCat("parent tenant ", Quote(parent), " of ",
                                                     Quote(pt.name()), " is not defined"));
      }
    }
    if (pt.members_size() == 0) {
      errors.Add(Field(path, "members"), "at least one member is required");
    }
    for (int m = 0; m < pt.members_size(); ++m) {
      tenant.members.push_back(CheckMember(pt.members(m),
                                           Idx(Field(path, "members"), static_cast<size_t>(m)),
                                           router_names, routers, errors));
    }
  }
  for (Tenant& t : result) {
    for (std::optional<size_t> p = t.parent; p; p = result[*p].parent) ++t.depth;
  }
  return result;
}

void ValidateMemberOverlaps(const ProtoList<v1::Tenant>& p_tenants, const NameIndex& router_names,
                            const Config& model, ErrorSink& errors) {
  struct Claim {
    size_t tenant, member, prefix_index;
    IpPrefix prefix;
  };
  std::vector<Claim> claims;
  for (size_t t = 0; t < model.tenants.size(); ++t) {
    const v1::Tenant& pt = p_tenants[static_cast<int>(t)];
    for (size_t m = 0; m < model.tenants[t].members.size(); ++m) {
      // A member whose router is unknown (already reported) has no known scope: comparing it as
      // "every router" would report overlaps the user never wrote.
      const v1::Member& pm = pt.members(static_cast<int>(m));
      if (!pm.router().empty() && !Lookup(router_names, pm.router())) continue;
      // Map parsed prefixes back to their proto index (invalid ones were skipped).
      const auto& texts = pm.prefixes();
      for (int i = 0; i < texts.size(); ++i) {
        if (auto prefix = IpPrefix::Parse(texts[i])) {
          claims.push_back({t, m, static_cast<size_t>(i), *prefix});
        }
      }
    }
  }
  for (size_t j = 0; j < claims.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const Claim& a = claims[i];
      const Claim& b = claims[j];
      if (!a.prefix.Overlaps(b.prefix)) continue;
      const Member& ma = model.tenants[a.tenant].members[a.member];
      const Member& mb = model.tenants[b.tenant].members[b.member];
      if (!ScopesMeet(ma, mb)) continue;
      const bool related = a.tenant != b.tenant && (model.IsSelfOrAncestor(a.tenant, b.tenant) ||
                                                    model.IsSelfOrAncestor(b.tenant, a.tenant));
      // Nested prefixes of a tenant and its ancestor are fine (the longer wins); the same
      // prefix twice is ambiguous (or redundant, within one tenant) and always an error.
      if (related && a.prefix.length() != b.prefix.length()) continue;
      if (a.tenant == b.tenant && a.prefix != b.prefix) continue;
      const std::string path =
          Idx(Field(Idx(Field(Idx("tenants", b.tenant), "members"), b.member), "prefixes"),
              b.prefix_index);
      const std::string other =
          Idx(Field(Idx(Field(Idx("tenants", a.tenant), "members"), a.member), "prefixes"),
              a.prefix_index);
      if (a.tenant == b.tenant) {
        errors.Add(path,
                   absl::StrCat(Quote(b.prefix.ToString()), " is already claimed by ", other, " ",
                                DescribeScope(ma, mb, model.routers)),
                   absl::StatusCode::kAlreadyExists);
      } else {
        errors.Add(
            path, absl::StrCat(Quote(b.prefix.ToString()), " overlaps ", Quote(a.prefix.ToString()),
                               " of tenant ", Quote(model.tenants[a.tenant].name), " (", other,
                               ") ", DescribeScope(ma, mb, model.routers)));
      }
    }
  }
}

}  // namespace ssr::config::internal
