// SPDX-License-Identifier: Apache-2.0
#include "config/model.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"

namespace ssr::config {

SecretBytes::~SecretBytes() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string SecretBytes::ToString() const {
  return absl::StrCat("<redacted ", bytes_.size(), " bytes>");
}

std::string_view ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kIcmp:
      return "ICMP";
    case Protocol::kTcp:
      return "TCP";
    case Protocol::kUdp:
      return "UDP";
  }
  return "?";
}

const Interface* Router::FindInterface(std::string_view itf_name) const {
  std::optional<size_t> i = InterfaceIndex(itf_name);
  return i ? &interfaces[*i] : nullptr;
}

std::optional<size_t> Router::InterfaceIndex(std::string_view itf_name) const {
  // Routers have a handful of interfaces: a scan beats a hash map here and is off the hot path.
  for (size_t i = 0; i < interfaces.size(); ++i) {
    if (interfaces[i].name == itf_name) return i;
  }
  return std::nullopt;
}

std::string_view LoadBalancingName(LoadBalancing lb) {
  switch (lb) {
    case LoadBalancing::kHunt: return "hunt";
    case LoadBalancing::kProportional: return "proportional";
    case LoadBalancing::kRoundRobin: return "round-robin";
  }
  return "?";
}

std::string_view SessionResiliencyName(SessionResiliency r) {
  switch (r) {
    case SessionResiliency::kNone: return "none";
    case SessionResiliency::kFailover: return "failover";
    case SessionResiliency::kRevertibleFailover: return "revertible-failover";
  }
  return "?";
}

const ServiceRoute* Router::RouteForService(size_t service) const {
  for (const ServiceRoute& r : service_routes) {
    if (r.service == service) return &r;
  }
  return nullptr;
}

namespace {
std::optional<size_t> Find(const absl::flat_hash_map<std::string, size_t>& index,
                           std::string_view name) {
  auto it = index.find(absl::string_view(name.data(), name.size()));
  if (it == index.end()) return std::nullopt;
  return it->second;
}

template <typename T>
void Index(const std::vector<T>& items, absl::flat_hash_map<std::string, size_t>* index) {
  index->clear();
  for (size_t i = 0; i < items.size(); ++i) index->emplace(items[i].name, i);
}
}  // namespace

const Router* Config::FindRouter(std::string_view name) const {
  std::optional<size_t> i = RouterIndex(name);
  return i ? &routers[*i] : nullptr;
}
std::optional<size_t> Config::RouterIndex(std::string_view name) const {
  return Find(router_index_, name);
}
std::optional<size_t> Config::TenantIndex(std::string_view name) const {
  return Find(tenant_index_, name);
}
std::optional<size_t> Config::ServiceIndex(std::string_view name) const {
  return Find(service_index_, name);
}
std::optional<size_t> Config::SecurityPolicyIndex(std::string_view name) const {
  return Find(policy_index_, name);
}
std::optional<size_t> Config::KeyIndex(std::string_view name) const {
  return Find(key_index_, name);
}

void Config::BuildIndexes() {
  Index(routers, &router_index_);
  Index(tenants, &tenant_index_);
  Index(services, &service_index_);
  Index(security_policies, &policy_index_);
  Index(keys, &key_index_);
}

bool Config::IsSelfOrAncestor(size_t ancestor, size_t tenant) const {
  std::optional<size_t> t = tenant;
  while (t) {
    if (*t == ancestor) return true;
    t = tenants[*t].parent;
  }
  return false;
}

Permission Config::AccessFor(size_t service, size_t tenant) const {
  const Service& s = services[service];
  std::optional<size_t> t = tenant;
  while (t) {
    for (const AccessEntry& e : s.access) {
      if (e.tenant == *t) return e.permission;
    }
    t = tenants[*t].parent;
  }
  return Permission::kDeny;
}

}  // namespace ssr::config
