// SPDX-License-Identifier: Apache-2.0
// Internal to config validation: the passes behind Validate() (config/loader.h), one file per
// section of proto/ssr/config/v1/config.proto.
//
//   validate.cc           Validate(): the order of the passes; the name indexes of every list
//   validate_security.cc  keys, security_policies     ("Security policies and keys")
//   validate_routers.cc   routers: interfaces, management addresses, peers, service routes
//                         ("Routers, interfaces, peers and service routes")
//   validate_tenants.cc   tenants and their members   ("Tenants")
//   validate_services.cc  services: prefixes, transports, access policies
//                         ("Services and access policy")
//   validate_limits.cc    timeouts, limits            ("Timeouts and limits")
//   validate_fields.h     rules shared by sections: names, addresses, prefixes, port ranges
//
// Every pass reports into one ErrorSink (config/error_sink.h) and takes what it needs from other
// sections as explicit arguments: the name indexes (NameIndexes, built first, so references
// resolve whatever the order of the lists) and the parts of the model that earlier passes built.
// Passes run in a fixed order (see Validate()) and the order of their errors is part of the
// contract (test/config compares messages in order).
//
// A new section of the proto gets its own validate_<section>.cc with its entry points declared
// below, is called from Validate() after the passes whose output it reads, and adds its list to
// NameIndexes if its items have names that other sections reference.
#ifndef SSR_CONFIG_VALIDATE_H_
#define SSR_CONFIG_VALIDATE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/error_sink.h"
#include "config/loader.h"
#include "config/model.h"
#include "config/validate_fields.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "ssr/config/v1/config.pb.h"

namespace ssr::config::internal {

template <typename T>
using ProtoList = google::protobuf::RepeatedPtrField<T>;

// ---- names (validate.cc) ------------------------------------------------------------------------

// Name → index for every named list. The first occurrence of a name wins.
struct NameIndexes {
  NameIndex keys;
  NameIndex security_policies;
  NameIndex routers;
  NameIndex tenants;
  NameIndex services;
  NameIndex service_policies;
};

// Indexes the names of every list; reports invalid names and duplicates.
NameIndexes IndexNames(const v1::Config& proto, ErrorSink& errors);

// ---- security policies and keys (validate_security.cc) ----------------------------------------

// Key ids and material (hex, file relative to options.base_dir, or HKDF derivation). Key values
// never appear in messages.
std::vector<Key> ValidateKeys(const ProtoList<v1::Key>& keys, const NameIndex& key_names,
                              const LoadOptions& options, ErrorSink& errors);

// Algorithms, key lists and their key sizes; `keys` is ValidateKeys()'s output.
std::vector<SecurityPolicy> ValidateSecurityPolicies(const ProtoList<v1::SecurityPolicy>& policies,
                                                     const NameIndex& key_names,
                                                     const std::vector<Key>& keys,
                                                     ErrorSink& errors);

// Resolves a reference to a security policy (from an interface, peer or service); reports an
// undefined name at `path`. Empty names are the caller's rule to report.
std::optional<size_t> ResolveSecurityPolicy(const std::string& name, const std::string& path,
                                            const NameIndex& policy_names, ErrorSink& errors);

// ---- routers, interfaces, peers and service routes (validate_routers.cc) -----------------------

// Each router's interfaces (and the overlap of their subnets) and management addresses.
std::vector<Router> ValidateRouters(const ProtoList<v1::Router>& routers,
                                    const NameIndex& policy_names, ErrorSink& errors);

// Peers and service routes: references to other routers (their interfaces as built by
// ValidateRouters()), services and security policies. Adds them to `model_routers`.
void ValidateRouterReferences(const ProtoList<v1::Router>& routers, const NameIndexes& names,
                              const std::vector<SecurityPolicy>& security_policies,
                              ErrorSink& errors, std::vector<Router>* model_routers);

// ---- tenants (validate_tenants.cc) --------------------------------------------------------------

// Tenants (parent, depth) and their members (router, LAN interface, VLAN, prefixes); `routers` is
// ValidateRouters()'s output.
std::vector<Tenant> ValidateTenants(const ProtoList<v1::Tenant>& tenants,
                                    const NameIndex& tenant_names, const NameIndex& router_names,
                                    const std::vector<Router>& routers, ErrorSink& errors);

// Members of different tenants (or one tenant twice) claiming the same sources where their scopes
// meet. Reads the tenants and routers of `model`.
void ValidateMemberOverlaps(const ProtoList<v1::Tenant>& tenants, const NameIndex& router_names,
                            const Config& model, ErrorSink& errors);

// ---- services and access policy (validate_services.cc) ------------------------------------------

// Prefixes, transports, access policies (tenant references) and the payload security policy.
std::vector<Service> ValidateServices(const ProtoList<v1::Service>& services,
                                      const NameIndex& tenant_names, const NameIndex& policy_names,
                                      const NameIndex& service_policy_names,
                                      const std::vector<ServicePolicy>& service_policies,
                                      ErrorSink& errors);

// Service policies: the load-balancing strategy, SLA bounds, path preference, resiliency.
std::vector<ServicePolicy> ValidateServicePolicies(const ProtoList<v1::ServicePolicy>& policies,
                                                   ErrorSink& errors);

// Path names in the service policies' path_preference: each a path of some peer of some
// router (`routers` after ValidateRouterReferences()).
void ValidateServicePolicyPaths(const std::vector<Router>& routers,
                                std::vector<ServicePolicy>& policies, ErrorSink& errors);

// Two services with the same prefix and overlapping transports; `model_services` is
// ValidateServices()'s output.
void ValidateServiceOverlaps(const ProtoList<v1::Service>& services,
                             const std::vector<Service>& model_services, ErrorSink& errors);

// ---- timeouts and limits (validate_limits.cc) ---------------------------------------------------

Timeouts ValidateTimeouts(const v1::Timeouts& timeouts, ErrorSink& errors);
Limits ValidateLimits(const v1::Limits& limits, ErrorSink& errors);

}  // namespace ssr::config::internal

#endif  // SSR_CONFIG_VALIDATE_H_
