// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the config loader. Parses the input as text format and as JSON; every config
// that parses is validated. Checks the loader's contract on every input: the result is a config
// or errors, never both and never neither; every error has a field path unless it concerns the
// whole config; messages are single lines without NUL bytes (values are quoted and escaped); a
// config that loads has every index in range. Violations trap, so both libFuzzer and the corpus
// replay report them.
//
// Key files are never read from the fuzzing machine: absolute paths and paths with ".." are
// replaced, and relative ones resolve against a directory that does not exist.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "ssr/config/v1/config.pb.h"

namespace {

using ssr::config::ConfigFormat;

constexpr char kNoSuchBaseDir[] = "/nonexistent-ssr-config-fuzz-dir";

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

void ConfineKeyFiles(ssr::config::v1::Config* proto) {
  for (ssr::config::v1::Key& key : *proto->mutable_keys()) {
    if (key.source_case() != ssr::config::v1::Key::kFile) continue;
    const std::string& file = key.file();
    if (file.empty()) continue;
    if (file.front() == '/' || file.find("..") != std::string::npos) key.set_file("absent.hex");
  }
}

void CheckValidation(const ssr::config::v1::Config& proto) {
  ssr::config::LoadOptions options;
  options.base_dir = kNoSuchBaseDir;
  const ssr::config::ValidationResult result = ssr::config::Validate(proto, options);
  Require(result.ok() == result.errors.empty());
  Require(result.ok() == (result.config != nullptr));
  for (const ssr::config::ConfigError& e : result.errors) {
    // Only whole-config problems have no path, and they still say what is wrong.
    Require(!e.message.empty());
    Require(e.path.find_first_of(std::string_view("\n\0", 2)) == std::string::npos);
    const std::string line = e.ToString();
    Require(line.find('\n') == std::string::npos);
    Require(line.find('\0') == std::string::npos);
    Require(e.code != absl::StatusCode::kOk);
  }
  const absl::Status status = ssr::config::ErrorsToStatus(result.errors);
  Require(status.ok() == result.ok());
  if (result.ok()) {
    // The model's invariants that later layers index by.
    const ssr::config::Config& c = *result.config;
    Require(!c.routers.empty());
    for (const ssr::config::Router& r : c.routers) {
      for (const ssr::config::Peer& p : r.peers) {
        Require(p.router < c.routers.size());
        Require(p.interface < r.interfaces.size());
        Require(p.security_policy < c.security_policies.size());
        Require(p.waypoint_ports.first <= p.waypoint_ports.last);
      }
      for (const ssr::config::ServiceRoute& s : r.service_routes) {
        Require(s.service < c.services.size());
        Require(s.kind == ssr::config::ServiceRoute::Kind::kPeer
                    ? s.peer < r.peers.size()
                    : s.interface < r.interfaces.size());
      }
    }
    for (size_t t = 0; t < c.tenants.size(); ++t) {
      Require(!c.tenants[t].parent || *c.tenants[t].parent < c.tenants.size());
      for (size_t s = 0; s < c.services.size(); ++s) (void)c.AccessFor(s, t);
    }
    for (const ssr::config::SecurityPolicy& p : c.security_policies) {
      for (size_t k : p.hmac_keys) Require(k < c.keys.size() && c.keys[k].material.size() >= 16);
      for (size_t k : p.encryption_keys) Require(k < c.keys.size());
    }
  }
}

void TryFormat(std::string_view text, ConfigFormat format) {
  absl::StatusOr<ssr::config::v1::Config> proto = ssr::config::ParseConfig(text, format);
  if (!proto.ok()) {
    Require(!proto.status().message().empty());
    return;
  }
  ConfineKeyFiles(&*proto);
  CheckValidation(*proto);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  TryFormat(text, ConfigFormat::kText);
  TryFormat(text, ConfigFormat::kJson);
  return 0;
}
