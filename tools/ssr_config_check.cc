// SPDX-License-Identifier: Apache-2.0
// ssr-config-check: validates a libssr configuration and prints "OK" or every error.
//
//   ssr-config-check [options] FILE        check a config file (.json or text format)
//   ssr-config-check [options] --default   check the built-in default config
//
// Options:
//   --router NAME   also require that router NAME exists and print its summary
//   --matrix        print the access matrix (tenant x service: allow / deny)
//   --quiet         print only "OK" or the errors
//   --json          print the result as one JSON document on stdout (for CI):
//                   {"ok": bool, "errors": [{"file", "line", "column", "field", "message",
//                   "code"}]}
//   --print-default print the built-in default config text and exit
//   -h, --help      explain the options, exit codes and files, exit 0
//   --version       print "ssr-config-check VERSION", exit 0
//
// Exit status: 0 valid, 1 invalid config, 2 usage error or unreadable file. A bad command line is
// reported in one line naming the option ("ssr-config-check: unknown option \"--x\"").
// Key material is never printed.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "config/loader.h"
#include "nlohmann/json.hpp"
#include "ssr/version.h"
#include "ssr_cli.h"
#include "util/strings.h"

namespace {

using ssr::config::Config;

constexpr char kUsage[] =
    "usage: ssr-config-check [--router NAME] [--matrix] [--quiet] [--json] (FILE | --default)\n"
    "       ssr-config-check --print-default\n";

constexpr char kSynopsis[] =
    "usage: ssr-config-check [--router NAME] [--matrix] [--quiet] [--json] (FILE | --default)\n"
    "       ssr-config-check --print-default\n"
    "       ssr-config-check --help | -h | --version\n"
    "\n"
    "Validates a libssr configuration; prints \"OK\" and a summary, or every error with its\n"
    "position and field path (\"FILE:LINE:COL: routers[0].interfaces[1].addresses[0]: ...\") on\n"
    "stderr. With --json, one JSON document on stdout instead:\n"
    "  {\"ok\": false, \"errors\": [{\"file\": ..., \"line\": 12, \"column\": 7,\n"
    "   \"field\": \"routers[0].interfaces[0].mtu\", \"message\": ..., \"code\": "
    "\"INVALID_ARGUMENT\"}]}\n"
    "  (line and column null when unknown, field \"\" for the file as a whole).\n";

constexpr char kFooter[] =
    "Exit codes:\n"
    "  0  the config is valid (or --help, --version, --print-default)\n"
    "  1  the config is invalid: every error on stderr, then \"N error(s)\"\n"
    "  2  bad command line, or FILE cannot be read\n"
    "\n"
    "Files:\n"
    "  FILE  the config: protobuf text format, or JSON when the name ends in .json; files it\n"
    "        names (key files) are read relative to FILE's directory\n"
    "\n"
    "Signals: none handled (SIGINT/SIGTERM end the program). Key material is never printed.\n";

// One error of --json output.
nlohmann::json JsonError(const std::string& file, ssr::config::SourcePosition position,
                         const std::string& field, const std::string& message,
                         absl::StatusCode code) {
  nlohmann::json e;
  e["file"] = file;
  e["line"] = position.known() ? nlohmann::json(position.line) : nlohmann::json(nullptr);
  e["column"] = position.known() ? nlohmann::json(position.column) : nlohmann::json(nullptr);
  e["field"] = field;
  e["message"] = message;
  e["code"] = absl::StatusCodeToString(code);
  return e;
}

void PrintJson(const nlohmann::json& errors) {
  nlohmann::json doc;
  doc["ok"] = errors.empty();
  doc["errors"] = errors;
  std::printf("%s\n", doc.dump(2).c_str());
}

void PrintRouter(const Config& c, const ssr::config::Router& r) {
  std::printf("router %s:\n", r.name.c_str());
  for (const auto& itf : r.interfaces) {
    std::vector<std::string> addrs;
    for (const auto& a : itf.addresses) {
      addrs.push_back(absl::StrCat(a.address.ToString(), "/", a.prefix_length));
    }
    std::printf("  interface %-8s %s %s\n", itf.name.c_str(),
                itf.role == ssr::config::InterfaceRole::kLan ? "LAN" : "WAN",
                absl::StrJoin(addrs, " ").c_str());
  }
  for (const auto& p : r.peers) {
    std::vector<std::string> addrs;
    for (const auto& a : p.addresses) addrs.push_back(a.ToString());
    std::printf("  peer %-12s via %s at %s, waypoint ports %u-%u%s, policy %s\n", p.name.c_str(),
                r.interfaces[p.interface].name.c_str(), absl::StrJoin(addrs, " ").c_str(),
                p.waypoint_ports.first, p.waypoint_ports.last, p.parity_rule ? " (even/odd)" : "",
                c.security_policies[p.security_policy].name.c_str());
  }
  for (const auto& route : r.service_routes) {
    const std::string& service = c.services[route.service].name;
    if (route.kind == ssr::config::ServiceRoute::Kind::kPeer) {
      std::printf("  route %-8s -> peer %s\n", service.c_str(), r.peers[route.peer].name.c_str());
    } else {
      std::printf("  route %-8s -> local %s%s\n", service.c_str(),
                  r.interfaces[route.interface].name.c_str(),
                  route.gateway ? absl::StrCat(" via ", route.gateway->ToString()).c_str() : "");
    }
  }
}

void PrintMatrix(const Config& c) {
  size_t width = 6;
  for (const auto& t : c.tenants) width = std::max(width, t.name.size());
  std::printf("access (deny by default):\n  %-*s", static_cast<int>(width), "tenant");
  for (const auto& s : c.services) std::printf(" %-6s", s.name.c_str());
  std::printf("\n");
  for (size_t t = 0; t < c.tenants.size(); ++t) {
    std::printf("  %-*s", static_cast<int>(width), c.tenants[t].name.c_str());
    for (size_t s = 0; s < c.services.size(); ++s) {
      const bool allowed = c.AccessFor(s, t) == ssr::config::Permission::kAllow;
      std::printf(" %-*s", static_cast<int>(std::max<size_t>(6, c.services[s].name.size())),
                  allowed ? "allow" : "deny");
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  std::string router;
  bool use_default = false;
  bool print_default = false;
  bool matrix = false;
  bool quiet = false;
  bool json = false;
  CLI::App app("", "ssr-config-check");
  ssr::cli::Setup(app, kSynopsis, kFooter, SSR_VERSION_STRING);
  app.add_option("FILE", files, "the config file to check (.json, or protobuf text format)")
      ->type_name("");
  app.add_flag("--default", use_default, "check the built-in default config instead of FILE");
  app.add_option("--router", router,
                 "also require that router NAME exists, and print only its summary")
      ->option_text("NAME");
  app.add_flag("--matrix", matrix, "also print the access matrix (tenant x service: allow/deny)");
  app.add_flag("--quiet", quiet, "print only \"OK\" or the errors");
  app.add_flag("--json", json,
               "print the result as one JSON document on stdout: {\"ok\": bool, \"errors\": "
               "[{\"file\", \"line\", \"column\", \"field\", \"message\", \"code\"}]} (for CI)");
  app.add_flag("--print-default", print_default,
               "print the built-in default config (protobuf text format) and exit 0");
  if (std::optional<int> code = ssr::cli::Parse(app, argc, argv)) return *code;
  if (print_default) {
    std::fwrite(ssr::config::DefaultConfigText().data(), 1, ssr::config::DefaultConfigText().size(),
                stdout);
    return 0;
  }
  if (files.size() > 1) {
    std::fprintf(stderr, "ssr-config-check: only one FILE may be given\n%s", kUsage);
    return 2;
  }
  const std::string file = files.empty() ? "" : files[0];
  if (use_default == !file.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  const std::string source = use_default ? "<built-in default>" : file;
  std::string text;
  ssr::config::LoadOptions options;
  ssr::config::ConfigFormat format = ssr::config::ConfigFormat::kAuto;
  if (use_default) {
    text = std::string(ssr::config::DefaultConfigText());
  } else {
    absl::StatusOr<std::string> read = ssr::config::ReadFileToString(file);
    if (!read.ok()) {
      if (json) {
        PrintJson(nlohmann::json::array(
            {JsonError(file, {}, "", std::string(read.status().message()), read.status().code())}));
      } else {
        std::fprintf(stderr, "ssr-config-check: %s\n",
                     std::string(read.status().message()).c_str());
      }
      return 2;
    }
    text = std::move(*read);
    options.base_dir = std::filesystem::path(file).parent_path().string();
    format = ssr::config::FormatForPath(file);  // the same rule as LoadConfigFile
  }

  const ssr::config::ParsedConfig parsed = ssr::config::ParseConfigWithLocations(text, format);
  if (!parsed.ok()) {
    if (json) {
      nlohmann::json errors = nlohmann::json::array();
      for (const ssr::config::ParseError& e : parsed.errors) {
        errors.push_back(
            JsonError(source, e.position, "", e.message, absl::StatusCode::kInvalidArgument));
      }
      PrintJson(errors);
      return 1;
    }
    // The parser may report several problems, one per line.
    const std::vector<std::string> lines =
        absl::StrSplit(ssr::config::ParseErrorsToStatus(parsed).message(), '\n', absl::SkipEmpty());
    for (const std::string& line : lines)
      std::fprintf(stderr, "%s: %s\n", source.c_str(), line.c_str());
    std::fprintf(stderr, "%zu error%s\n", lines.size(), lines.size() == 1 ? "" : "s");
    return 1;
  }
  ssr::config::ValidationResult result = ssr::config::Validate(parsed.proto, options);
  if (result.ok() && !router.empty() && result.config->FindRouter(router) == nullptr) {
    result.errors.push_back({absl::StatusCode::kNotFound, "",
                             absl::StrCat("router \"", router, "\" is not defined in the config")});
  }
  if (json) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : result.errors) {
      errors.push_back(JsonError(source, parsed.locations.Find(e.path), e.path, e.message, e.code));
    }
    PrintJson(errors);
    return result.ok() ? 0 : 1;
  }
  if (!result.ok()) {
    // "FILE:LINE:COL: field.path: message" where the field's position is known.
    for (const auto& e : result.errors) {
      std::fprintf(
          stderr, "%s\n",
          ssr::config::FormatConfigError(source, e, parsed.locations.Find(e.path)).c_str());
    }
    std::fprintf(stderr, "%zu error%s\n", result.errors.size(),
                 result.errors.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("OK\n");
  if (quiet) return 0;
  const Config& c = *result.config;
  std::printf(
      "%s: organization \"%s\": %zu routers, %zu tenants, %zu services, "
      "%zu security policies, %zu keys\n",
      source.c_str(), c.organization.c_str(), c.routers.size(), c.tenants.size(), c.services.size(),
      c.security_policies.size(), c.keys.size());
  for (const auto& r : c.routers) {
    if (router.empty() || r.name == router) PrintRouter(c, r);
  }
  if (matrix) PrintMatrix(c);
  return 0;
}
