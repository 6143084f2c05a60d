// SPDX-License-Identifier: Apache-2.0
// Validate(): runs the section passes (validate_*.cc) in order and builds the model.
//
// Validation runs in passes so that references resolve whatever the order of the lists:
//   1. names of every list are indexed (first occurrence wins; later duplicates are errors);
//   2. keys, security policies, routers/interfaces, tenants, services are checked field by field;
//   3. references across lists (peers, service routes, members) are resolved;
//   4. whole-config rules (member overlap, service overlap, peer reciprocity) run last.
// Every problem is recorded and checking goes on, so the user sees all errors in one run. The
// model is returned only when no error was found. The order of the calls below is the order of
// the errors; a new section's pass goes after the passes whose output it reads.
#include "config/validate.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "config/loader.h"

namespace ssr::config {
namespace internal {
namespace {

// Indexes the names of one list; reports bad names and duplicates. First occurrence wins.
template <typename Repeated>
void IndexList(const Repeated& items, absl::string_view list, bool dotted, NameIndex* index,
               ErrorSink& errors) {
  for (int i = 0; i < items.size(); ++i) {
    const std::string& name = items[i].name();
    const std::string path = Field(Idx(list, static_cast<size_t>(i)), "name");
    if (dotted ? !IsValidDottedName(name) : !IsValidName(name)) {
      errors.Add(path, absl::StrCat(Quote(name), " is not a valid name (",
                                    dotted ? kDottedNameRule : kNameRule, ")"));
    }
    auto [it, inserted] = index->emplace(name, static_cast<size_t>(i));
    // A missing name is reported once above, not again as a duplicate of another missing name.
    if (!inserted && !name.empty()) {
      errors.Add(path, absl::StrCat(Quote(name), " is already used by ", Idx(list, it->second)),
                 absl::StatusCode::kAlreadyExists);
    }
  }
}

}  // namespace

NameIndexes IndexNames(const v1::Config& proto, ErrorSink& errors) {
  NameIndexes names;
  IndexList(proto.keys(), "keys", false, &names.keys, errors);
  IndexList(proto.security_policies(), "security_policies", false, &names.security_policies,
            errors);
  IndexList(proto.routers(), "routers", false, &names.routers, errors);
  IndexList(proto.tenants(), "tenants", true, &names.tenants, errors);
  IndexList(proto.services(), "services", true, &names.services, errors);
  IndexList(proto.service_policies(), "service_policies", false, &names.service_policies, errors);
  return names;
}

}  // namespace internal

ValidationResult Validate(const v1::Config& p, const LoadOptions& options) {
  ErrorSink errors;
  auto config = std::make_shared<Config>();
  Config& c = *config;
  c.organization = p.organization();
  const internal::NameIndexes names = internal::IndexNames(p, errors);
  c.keys = internal::ValidateKeys(p.keys(), names.keys, options, errors);
  c.security_policies =
      internal::ValidateSecurityPolicies(p.security_policies(), names.keys, c.keys, errors);
  c.routers = internal::ValidateRouters(p.routers(), names.security_policies, errors);
  c.tenants =
      internal::ValidateTenants(p.tenants(), names.tenants, names.routers, c.routers, errors);
  c.service_policies = internal::ValidateServicePolicies(p.service_policies(), errors);
  c.services = internal::ValidateServices(p.services(), names.tenants, names.security_policies,
                                          names.service_policies, c.service_policies, errors);
  internal::ValidateRouterReferences(p.routers(), names, c.security_policies, errors, &c.routers);
  internal::ValidateServicePolicyPaths(c.routers, c.service_policies, errors);
  internal::ValidateMemberOverlaps(p.tenants(), names.routers, c, errors);
  internal::ValidateServiceOverlaps(p.services(), c.services, errors);
  c.timeouts = internal::ValidateTimeouts(p.timeouts(), errors);
  c.limits = internal::ValidateLimits(p.limits(), errors);
  ValidationResult result;
  result.errors = errors.Take();
  if (result.errors.empty()) {
    c.BuildIndexes();
    result.config = std::move(config);
  }
  return result;
}

}  // namespace ssr::config
