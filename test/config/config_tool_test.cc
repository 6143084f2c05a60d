// SPDX-License-Identifier: Apache-2.0
// Runs the built ssr-config-check (path from CMake: SSR_CONFIG_CHECK) and checks its exit status,
// stdout and stderr: 0 and "OK" for valid configs, 1 and every error for invalid ones, 2 for usage
// errors and unreadable files, and key material never printed.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "config/loader.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace ssr::config {
namespace {

const std::string kTool = SSR_CONFIG_CHECK;
const std::string kTestdata = SSR_CONFIG_TESTDATA;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs the tool with `args`, stdout and stderr captured in temporary files.
Result Run(const std::vector<std::string>& args) {
  char out_path[] = "/tmp/ssr-config-check-out.XXXXXX";
  char err_path[] = "/tmp/ssr-config-check-err.XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  REQUIRE(out_fd >= 0);
  REQUIRE(err_fd >= 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  std::vector<std::string> argv_storage = {kTool};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, kTool.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_fd);
  close(err_fd);
  Result r;
  if (spawn_error == 0) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    // A crash (sanitizer abort, signal) must not look like any expected exit status.
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  r.out = ReadAll(out_path);
  r.err = ReadAll(err_path);
  std::remove(out_path);
  std::remove(err_path);
  INFO("cannot run " << kTool);
  REQUIRE(spawn_error == 0);
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// Hex of every key of the default config (the master and the three derived keys).
std::vector<std::string> DefaultKeyHex() {
  absl::StatusOr<std::shared_ptr<const Config>> c =
      LoadConfigString(DefaultConfigText(), ConfigFormat::kText);
  REQUIRE(c.ok());
  std::vector<std::string> hex;
  for (const Key& k : (*c)->keys) {
    const std::span<const uint8_t> b = k.material.bytes();
    hex.push_back(absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(b.data()), b.size())));
  }
  REQUIRE(hex.size() == 4);
  return hex;
}

TEST_CASE("ssr-config-check --default prints OK and exits 0", "[config][tool]") {
  const Result r = Run({"--default"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  REQUIRE_FALSE(r.out.empty());
  CHECK(Lines(r.out)[0] == "OK");
  CHECK(
      absl::StrContains(r.out, "organization \"example-corp\": 2 routers, 4 tenants, 5 services"));
  CHECK(r.err.empty());
}

TEST_CASE("ssr-config-check of a valid file prints OK and exits 0", "[config][tool]") {
  const std::string path = kTestdata + "/valid.textproto";
  const Result r = Run({"--quiet", path});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "OK\n");
  CHECK(r.err.empty());
}

TEST_CASE("ssr-config-check of a valid JSON file prints OK and exits 0", "[config][tool]") {
  const Result r = Run({"--quiet", kTestdata + "/valid.json"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "OK\n");
}

TEST_CASE("ssr-config-check of an invalid file prints every error on stderr and exits 1",
          "[config][tool]") {
  const std::string path = kTestdata + "/invalid.textproto";
  const Result r = Run({path});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  // FILE:LINE:COL of the field (protobuf's ParseInfoTree), then the field path and message.
  CHECK(Lines(r.err) ==
        std::vector<std::string>{
            absl::StrCat(path,
                         ":9:24: keys[0].hex: the key is not valid hexadecimal (only the digits "
                         "0-9, a-f and A-F are allowed; the value is not shown)"),
            absl::StrCat(path,
                         ":6:64: routers[0].interfaces[0].mtu: 100 is out of range (1280-9000)"),
            absl::StrCat(path,
                         ":8:33: tenants[0].members[0].prefixes[0]: \"10.0.0.0/33\" is not a valid "
                         "IPv4 prefix (length must be 0-32)"),
            "3 errors"});
  CHECK_FALSE(absl::StrContains(r.err, "5ec2e7"));
}

TEST_CASE("ssr-config-check --json prints every validation error with file, position and field",
          "[config][tool]") {
  const std::string path = kTestdata + "/invalid.textproto";
  const Result r = Run({"--json", path});
  CHECK(r.exit_code == 1);
  CHECK(r.err.empty());
  INFO(r.out);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  CHECK(doc["ok"] == false);
  REQUIRE(doc["errors"].size() == 3);
  const nlohmann::json& mtu = doc["errors"][1];
  CHECK(mtu["file"] == path);
  CHECK(mtu["line"] == 6);
  CHECK(mtu["column"] == 64);
  CHECK(mtu["field"] == "routers[0].interfaces[0].mtu");
  CHECK(mtu["message"] == "100 is out of range (1280-9000)");
  CHECK(mtu["code"] == "INVALID_ARGUMENT");
  CHECK(doc["errors"][0]["field"] == "keys[0].hex");
  CHECK_FALSE(absl::StrContains(r.out, "5ec2e7"));
}

TEST_CASE("ssr-config-check --json of a valid config is ok with no errors, exit 0",
          "[config][tool]") {
  const Result r = Run({"--json", kTestdata + "/valid.json"});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  INFO(r.out);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  CHECK(doc["ok"] == true);
  CHECK(doc["errors"].is_array());
  CHECK(doc["errors"].empty());
}

TEST_CASE("ssr-config-check --json of a JSON syntax error is one error with line and column",
          "[config][tool]") {
  const std::string path = kTestdata + "/syntax-error.json";
  const Result r = Run({"--json", path});
  CHECK(r.exit_code == 1);
  INFO(r.out);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  CHECK(doc["ok"] == false);
  REQUIRE(doc["errors"].size() == 1);
  CHECK(doc["errors"][0]["line"] == 4);
  CHECK(doc["errors"][0]["column"] == 19);
  CHECK(doc["errors"][0]["field"] == "");
  CHECK(absl::StrContains(doc["errors"][0]["message"].get<std::string>(), "syntax error"));
}

TEST_CASE("ssr-config-check rejects a duplicate JSON key naming both positions", "[config][tool]") {
  const std::string path = kTestdata + "/duplicate-key.json";
  const Result r = Run({path});
  CHECK(r.exit_code == 1);
  CHECK(r.err == absl::StrCat(path,
                              ": JSON: line 4, column 20: duplicate key \"name\" (first given at "
                              "line 4, column 6)\n1 error\n"));
}

TEST_CASE("ssr-config-check --json of an unreadable file exits 2 with a JSON error",
          "[config][tool]") {
  const std::string path = kTestdata + "/does-not-exist.json";
  const Result r = Run({"--json", path});
  CHECK(r.exit_code == 2);
  INFO(r.out);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  CHECK(doc["ok"] == false);
  REQUIRE(doc["errors"].size() == 1);
  CHECK(doc["errors"][0]["code"] == "NOT_FOUND");
  CHECK(doc["errors"][0]["line"].is_null());
}

TEST_CASE("ssr-config-check of a file with a syntax error names line and column and exits 1",
          "[config][tool]") {
  const std::string path = kTestdata + "/syntax-error.textproto";
  const Result r = Run({path});
  CHECK(r.exit_code == 1);
  INFO(r.err);
  CHECK(absl::StartsWith(r.err, absl::StrCat(path, ": line 4, column ")));
  CHECK(absl::StrContains(r.err, "colour"));
  CHECK(absl::EndsWith(r.err, "\n1 error\n"));
}

TEST_CASE("ssr-config-check of a missing file exits 2 naming the file", "[config][tool]") {
  const std::string path = kTestdata + "/does-not-exist.textproto";
  const Result r = Run({path});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(absl::StrContains(r.err, path));
}

TEST_CASE("ssr-config-check without a config exits 2 with usage", "[config][tool]") {
  const Result r = Run({});
  CHECK(r.exit_code == 2);
  CHECK(absl::StartsWith(r.err, "usage: ssr-config-check"));
}

TEST_CASE("ssr-config-check --help and -h explain options, exit codes and files, exit 0",
          "[config][tool]") {
  for (const char* flag : {"--help", "-h"}) {
    const Result r = Run({flag});
    INFO(flag << "\n" << r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(absl::StartsWith(r.out, "usage: ssr-config-check"));
    for (const char* text :
         {"FILE", "--default", "--router NAME", "--matrix", "--quiet", "--json", "--print-default",
          "--version", "Exit codes:", "the config is invalid", "Files:", "Signals:"}) {
      CHECK(absl::StrContains(r.out, text));
    }
  }
}

TEST_CASE("ssr-config-check --version prints the project version", "[config][tool]") {
  const Result r = Run({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == absl::StrCat("ssr-config-check ", SSR_TEST_PROJECT_VERSION, "\n"));
}

TEST_CASE("ssr-config-check names an option that misses its value, exit 2", "[config][tool]") {
  const Result r = Run({"--default", "--router"});
  CHECK(r.exit_code == 2);
  CHECK(absl::StartsWith(r.err, "ssr-config-check: option \"--router\" is missing its value\n"));
}

TEST_CASE("ssr-config-check with an unknown option exits 2", "[config][tool]") {
  const Result r = Run({"--frobnicate", "--default"});
  CHECK(r.exit_code == 2);
  CHECK(absl::StrContains(r.err, "unknown option \"--frobnicate\""));
}

TEST_CASE("ssr-config-check with both a file and --default exits 2", "[config][tool]") {
  const Result r = Run({"--default", kTestdata + "/valid.textproto"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
}

TEST_CASE("ssr-config-check with two files exits 2", "[config][tool]") {
  const Result r = Run({kTestdata + "/valid.textproto", kTestdata + "/valid.json"});
  CHECK(r.exit_code == 2);
  CHECK(absl::StrContains(r.err, "only one FILE"));
}

TEST_CASE("ssr-config-check --router with an unknown router exits 1", "[config][tool]") {
  const Result r = Run({"--router", "nowhere", "--default"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(Lines(r.err) ==
        std::vector<std::string>{
            "<built-in default>: router \"nowhere\" is not defined in the config", "1 error"});
}

TEST_CASE("ssr-config-check --router prints only that router", "[config][tool]") {
  const Result r = Run({"--router", "branch", "--default"});
  CHECK(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "router branch:"));
  CHECK(absl::StrContains(r.out, "peer datacenter"));
  CHECK_FALSE(absl::StrContains(r.out, "router datacenter:"));
}

TEST_CASE("ssr-config-check --matrix prints the access matrix", "[config][tool]") {
  const Result r = Run({"--matrix", "--default"});
  CHECK(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "access (deny by default):"));
  // guest: only web (the last column) is allowed.
  bool found_guest = false;
  for (const std::string& line : Lines(r.out)) {
    if (!absl::StartsWith(line, "  guest ")) continue;
    found_guest = true;
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    CHECK(cells == std::vector<std::string>{"guest", "deny", "deny", "deny", "deny", "allow"});
  }
  CHECK(found_guest);
}

TEST_CASE("ssr-config-check never prints key material", "[config][tool]") {
  const std::vector<std::string> keys = DefaultKeyHex();
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--default"},
                                               {"--matrix", "--default"},
                                               {"--router", "datacenter", "--default"},
                                               {"--router", "nowhere", "--default"}}) {
    const Result r = Run(args);
    INFO(absl::StrJoin(args, " "));
    CHECK((r.exit_code == 0 || r.exit_code == 1));
    for (const std::string& hex : keys) {
      CHECK_FALSE(absl::StrContains(r.out, hex));
      CHECK_FALSE(absl::StrContains(r.err, hex));
      // Nor a recognisable part of it.
      CHECK_FALSE(absl::StrContains(r.out, hex.substr(0, 16)));
    }
  }
}

TEST_CASE("ssr-config-check --print-default prints the built-in config text", "[config][tool]") {
  // The one exception to "keys are never printed": it prints the config as written (the demo
  // master key is in it, derived keys are not).
  const Result r = Run({"--print-default"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == DefaultConfigText());
  const std::vector<std::string> keys = DefaultKeyHex();
  for (size_t i = 1; i < keys.size(); ++i) CHECK_FALSE(absl::StrContains(r.out, keys[i]));
}

}  // namespace
}  // namespace ssr::config
