// SPDX-License-Identifier: Apache-2.0
// ssr-router's command line without a network (label tool): usage errors exit 2 and name the
// problem; --help, -h and --version; the log line format and --log-level.
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "router_test_support.h"

namespace ssr::test {
namespace {

// "(COMMAND)": RunCapture's own "2>&1" then applies to the subshell, not to COMMAND's redirections.
std::string Subshell(const std::string& command) {
  std::string out = "(";
  out += command;
  out += ")";
  return out;
}

struct UsageCase {
  const char* args;
  const char* message;
};

}  // namespace

TEST_CASE("ssr-router exits 2 naming the problem for each usage error") {
  const UsageCase cases[] = {
      {"", "no --interface given"},
      {"--router branch --interface lan0=a --interface wan0=b",
       "exactly one of --config FILE, --default and --config-etcd"},
      {"--default --config x --router branch --interface lan0=a",
       "exactly one of --config FILE, --default and --config-etcd"},
      {"--default --interface lan0=a", "--router NAME is required"},
      {"--default --router branch --interface lan0", "expected CONFIG_IFACE=OS_IFNAME"},
      {"--default --router branch --interface lan0=", "Linux interface name is empty"},
      {"--default --router branch --interface lan0=a --xdp-mode fast", "--xdp-mode: \"fast\""},
      {"--default --router branch --interface lan0=a --zero-copy maybe", "--zero-copy: \"maybe\""},
      {"--default --router branch --interface lan0=a --workers 0", "--workers: \"0\""},
      {"--default --router branch --interface lan0=a --stats-interval -1",
       "--stats-interval: \"-1\""},
      {"--default --router branch --interface lan0=a --idle-yield-us -1",
       "--idle-yield-us: \"-1\""},
      {"--default --router branch --interface lan0=a --idle-yield-us 1000001",
       "--idle-yield-us: \"1000001\""},
      {"--default --router branch --interface lan0=a --idle-yield-us 2ms",
       "--idle-yield-us: \"2ms\""},
      {"--default --router branch --interface lan0=a --idle-yield-us ''", "--idle-yield-us: \"\""},
      {"--default --router branch --interface lan0=a --idle-yield-us",
       "option \"--idle-yield-us\" is missing its value"},
      // --frames, --fill-ring, --rx-ring, --batch: the parser wants a decimal integer below 2^32
      // and names the flag ...
      {"--default --router branch --interface lan0=a --frames -1", "--frames: \"-1\""},
      {"--default --router branch --interface lan0=a --frames 4294967296",
       "--frames: \"4294967296\""},
      {"--default --router branch --interface lan0=a --frames 4k", "--frames: \"4k\""},
      {"--default --router branch --interface lan0=a --fill-ring ''", "--fill-ring: \"\""},
      {"--default --router branch --interface lan0=a --fill-ring +64", "--fill-ring: \"+64\""},
      {"--default --router branch --interface lan0=a --rx-ring 0x800", "--rx-ring: \"0x800\""},
      {"--default --router branch --interface lan0=a --rx-ring 99999999999",
       "--rx-ring: \"99999999999\""},
      {"--default --router branch --interface lan0=a --batch ' 8'", "--batch: \" 8\""},
      {"--default --router branch --interface lan0=a --control-socket ''",
       "--control-socket: empty path (give PATH or \"none\")"},
      {"--default --router branch --interface lan0=a --batch",
       "option \"--batch\" is missing its value"},
      {"--default --router branch --interface lan0=a --metrics-listen localhost:9464",
       "--metrics-listen \"localhost:9464\": \"localhost\" is not an IPv4 address"},
      {"--default --router branch --interface lan0=a --metrics-listen 127.0.0.1:99999",
       "--metrics-listen \"127.0.0.1:99999\": port 99999 above 65535"},
      // ... and Router::Create checks the ranges (all interfaces bound so that it gets there),
      // naming the RouterOptions field.
      {"--default --router branch --interface lan0=a --interface wan0=b --frames 255",
       "frames_per_worker: 255 is not in 256..1048576"},
      {"--default --router branch --interface lan0=a --interface wan0=b --frames 4294967295",
       "frames_per_worker: 4294967295 is not in 256..1048576"},
      {"--default --router branch --interface lan0=a --interface wan0=b --fill-ring 3000",
       "fill_ring_size: 3000 is not a power of two from 64 to 16384"},
      {"--default --router branch --interface lan0=a --interface wan0=b --frames 4096 "
       "--fill-ring 8192",
       "fill_ring_size: 8192 is more than frames_per_worker 4096"},
      {"--default --router branch --interface lan0=a --interface wan0=b --frames 4096 "
       "--fill-ring 4096",
       "frames_per_worker: 4096 is less than the 4160 frames"},
      // The default fill ring (8192) with fewer frames than 2 interfaces need.
      {"--default --router branch --interface lan0=a --interface wan0=b --frames 8192",
       "frames_per_worker: 8192 is less than the 8256 frames"},
      {"--default --router branch --interface lan0=a --interface wan0=b --rx-ring 32768",
       "rx_ring_size: 32768 is not a power of two from 64 to 16384"},
      {"--default --router branch --interface lan0=a --interface wan0=b --batch 0",
       "rx_batch: 0 is not in 1..64"},
      {"--default --router branch --interface lan0=a --interface wan0=b --batch 65",
       "rx_batch: 65 is not in 1..64"},
      {"--default --router branch --interface lan0=a --bogus", "\"--bogus\""},
      {"--default --router branch --interface lan0=a extra", "unexpected argument \"extra\""},
      {"--default --router hq --interface lan0=a", "\"hq\" is not a router of the config"},
      {"--default --router branch --interface lan0=a",
       "\"wan0\" of router \"branch\" has no Linux interface"},
      {"--config /nonexistent/x.textproto --router branch --interface lan0=a",
       "/nonexistent/x.textproto"},
      // --config-etcd (tools/etcd/etcd_config.h): checked before etcd is asked anything.
      {"--config x --config-etcd h --config-key /k --router branch --interface lan0=a",
       "--config excludes --config-etcd"},
      {"--config-etcd h --router branch --interface lan0=a",
       "--config-etcd needs --config-key KEY"},
      {"--config-key /k --router branch --interface lan0=a", "--config-key needs --config-etcd"},
      {"--config-etcd https://h --config-key /k --router branch --interface lan0=a",
       "--config-etcd: \"https://h\": https is not supported"},
      {"--config-etcd h:99999 --config-key /k --router branch --interface lan0=a",
       "--config-etcd: \"h:99999\": port not in 1-65535"},
      {"--config-etcd h --config-key /k --config-poll-ms 10 --router branch --interface lan0=a",
       "--config-poll-ms: 10 is not from 50 to 60000"},
      {"--config-etcd h --config-key /k --config-format yaml --router branch --interface lan0=a",
       "--config-format: \"yaml\" is not auto, text or json"},
  };
  for (const UsageCase& c : cases) {
    std::string out;
    const int rc = RunCapture(SsrRouterPath() + " " + c.args, &out);
    INFO("ssr-router " << c.args << "\n" << out);
    CHECK(rc == 2);
    CHECK_THAT(out, Catch::Contains(c.message));
  }
}

TEST_CASE("ssr-router accepts --idle-yield-us from 0 to 1000000 and lists it in --help") {
  for (const char* us : {"0", "2000", "1000000"}) {
    std::string out;
    // Parsed and passed on: Router::Create then stops at the unbound wan0 (exit 2), not at the
    // flag.
    const int rc = RunCapture(
        SsrRouterPath() + " --default --router branch --interface lan0=a --idle-yield-us " + us,
        &out);
    INFO("--idle-yield-us " << us << "\n" << out);
    CHECK(rc == 2);
    CHECK_THAT(out, Catch::Contains("\"wan0\" of router \"branch\" has no Linux interface"));
    CHECK_THAT(out, !Catch::Contains("--idle-yield-us:"));
    CHECK_THAT(out, !Catch::Contains("idle_yield"));
  }
  std::string help;
  CHECK(RunCapture(SsrRouterPath() + " --help", &help) == 0);
  CHECK_THAT(help, Catch::Contains("[--idle-yield-us N]"));
}

TEST_CASE("ssr-router accepts --frames, --fill-ring, --rx-ring, --batch and lists them in --help") {
  for (const char* flags : {"--frames 256 --fill-ring 64 --rx-ring 64 --batch 1",
                            "--frames 8192 --fill-ring 4096 --rx-ring 4096 --batch 32",
                            "--frames 1048576 --fill-ring 16384 --rx-ring 16384 --batch 64"}) {
    std::string out;
    // Parsed, passed on and past Router::Create's option checks: it stops at the Linux
    // interface "a" that does not exist (a runtime error, exit 1), not at a flag or a field.
    const int rc = RunCapture(SsrRouterPath() +
                                  " --default --router branch --interface lan0=a"
                                  " --interface wan0=b " +
                                  flags,
                              &out);
    INFO(flags << "\n" << out);
    CHECK(rc == 1);
    CHECK_THAT(out, Catch::Contains("Linux interface \"a\""));
    for (const char* name : {"--frames:", "--fill-ring:", "--rx-ring:", "--batch:",
                             "frames_per_worker", "fill_ring_size", "rx_ring_size", "rx_batch"}) {
      CHECK_THAT(out, !Catch::Contains(name));
    }
  }
  std::string help;
  CHECK(RunCapture(SsrRouterPath() + " --help", &help) == 0);
  CHECK_THAT(help, Catch::Contains("[--frames N] [--fill-ring N] [--rx-ring N] [--batch N]"));
}

TEST_CASE("ssr-router reports a bad config file with the field path and exits 2") {
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/bad.textproto";
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs(
      "organization: \"o\"\nrouters { name: \"r\" interfaces { name: \"lan0\" role: LAN "
      "addresses: \"10.0.0.1/40\" } }\n",
      f);
  std::fclose(f);
  std::string out;
  const int rc =
      RunCapture(SsrRouterPath() + " --config " + path + " --router r --interface lan0=x", &out);
  std::remove(path.c_str());
  rmdir(dir.c_str());
  INFO(out);
  CHECK(rc == 2);
  CHECK_THAT(out, Catch::Contains("routers[0].interfaces[0].addresses[0]"));
  CHECK_THAT(out, Catch::Contains("10.0.0.1/40"));
}

// Every option ssr-router accepts, as --help must list it.
constexpr const char* kOptions[] = {
    "--config",         "--default",       "--router",    "--interface",
    "--xdp-mode",       "--zero-copy",     "--workers",   "--summary-interval",
    "--stats-interval", "--stats-file",    "--log-level", "--cleanup",
    "--busy-poll",      "--idle-yield-us", "--frames",    "--fill-ring",
    "--rx-ring",        "--batch",         "--version",   "--help",
    "--metrics-listen"};

TEST_CASE("ssr-router --help and -h exit 0 and explain every option, signal, exit code and file") {
  for (const char* flag : {"--help", "-h"}) {
    std::string help;
    // stdout only: the help is not an error.
    const int rc = RunCapture(Subshell(SsrRouterPath() + " " + flag + " 2>/dev/null"), &help);
    INFO(flag << "\n" << help);
    CHECK(rc == 0);
    for (const char* option : kOptions) CHECK_THAT(help, Catch::Contains(option));
    for (const char* text : {"SIGHUP", "SIGUSR1", "SIGINT", "SIGTERM",
                             "Exit codes:", "Files:", "reload", "stderr when no --stats-file",
                             "runtime error", "bad command line", "debug|info|warning|error",
                             "Environment:", "NOTIFY_SOCKET", "READY=1", "STOPPING=1",
                             "ssr-router@.service", "/etc/ssr/NAME.textproto"}) {
      CHECK_THAT(help, Catch::Contains(text));
    }
    // Each option line carries its meaning, not just its name.
    CHECK_THAT(help, Catch::Contains("--busy-poll                     workers never sleep"));
  }
}

TEST_CASE("ssr-router --version prints the tool and the project version and exits 0") {
  std::string out;
  CHECK(RunCapture(SsrRouterPath() + " --version", &out) == 0);
  CHECK(out == std::string("ssr-router ") + SSR_TEST_PROJECT_VERSION + "\n");
}

TEST_CASE("ssr-router rejects an unknown option or a bad --log-level in one line, exit 2") {
  for (const auto& [args, message] :
       {std::pair{"--no-such-option", "ssr-router: unknown option \"--no-such-option\"\n"},
        std::pair{"--default --router branch --interface lan0=a --log-level loud",
                  "ssr-router: --log-level: \"loud\" is not debug, info, warning or error\n"},
        std::pair{"--default --router branch --interface lan0=a --summary-interval 1s",
                  "ssr-router: --summary-interval: \"1s\" is not a number of seconds"},
        std::pair{"--default --router branch --interface lan0=a --log-level",
                  "ssr-router: option \"--log-level\" is missing its value\n"}}) {
    std::string out;
    const int rc = RunCapture(SsrRouterPath() + " " + args, &out);
    INFO(args << "\n" << out);
    CHECK(rc == 2);
    CHECK(out.rfind(message, 0) == 0);  // the first line
    CHECK_THAT(out, Catch::Contains("try 'ssr-router --help'"));
  }
}

namespace {

// The stderr lines of ssr-router with `args` (stdout dropped); its exit code in *rc.
std::vector<std::string> StderrLines(const std::string& args, int* rc) {
  std::string err;
  *rc = RunCapture(Subshell(SsrRouterPath() + " " + args + " 2>&1 >/dev/null"), &err);
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("ssr-router logs UTC timestamped lines with a level, filtered by --log-level") {
  // Fails early, without a network: the Linux interface does not exist (runtime error, exit 1).
  const std::string run =
      "--default --router branch --interface lan0=ssr-no-such-if0 --interface wan0=b";
  const std::regex line_re(
      R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z (DEBUG|INFO |WARN |ERROR) \S.*$)");
  int rc = 0;
  const std::vector<std::string> lines = StderrLines(run, &rc);
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  INFO(all);
  CHECK(rc == 1);
  REQUIRE(lines.size() >= 2);
  const time_t now = time(nullptr);
  bool saw_info = false, saw_error = false;
  for (const std::string& l : lines) {
    std::smatch m;
    REQUIRE(std::regex_match(l, m, line_re));
    tm t{};
    t.tm_year = std::stoi(m[1]) - 1900;
    t.tm_mon = std::stoi(m[2]) - 1;
    t.tm_mday = std::stoi(m[3]);
    t.tm_hour = std::stoi(m[4]);
    t.tm_min = std::stoi(m[5]);
    t.tm_sec = std::stoi(m[6]);
    const time_t when = timegm(&t);  // UTC: within a minute of this test's clock
    CHECK(when <= now + 1);
    CHECK(when >= now - 60);
    CHECK(m[7] != "DEBUG");  // default level: info
    if (m[7] == "INFO ") saw_info = l.find("starting router branch") != std::string::npos;
    if (m[7] == "ERROR")
      saw_error = l.find("Linux interface \"ssr-no-such-if0\"") != std::string::npos;
  }
  CHECK(saw_info);
  CHECK(saw_error);

  // debug adds the DEBUG lines; warning drops the INFO lines and keeps the ERROR ones.
  const std::vector<std::string> debug = StderrLines(run + " --log-level debug", &rc);
  CHECK(rc == 1);
  bool saw_debug = false;
  for (const std::string& l : debug) {
    CHECK(std::regex_match(l, line_re));
    if (l.find(" DEBUG options: ") != std::string::npos) saw_debug = true;
  }
  CHECK(saw_debug);
  const std::vector<std::string> quiet = StderrLines(run + " --log-level warning", &rc);
  CHECK(rc == 1);
  REQUIRE_FALSE(quiet.empty());
  for (const std::string& l : quiet) {
    CHECK(std::regex_match(l, line_re));
    CHECK(l.find(" INFO  ") == std::string::npos);
  }
  CHECK_THAT(quiet.back(), Catch::Contains("ERROR Linux interface") ||
                               Catch::Contains("Linux interface \"ssr-no-such-if0\""));
}

TEST_CASE("ssr-router's periodic summary is off by default and --summary-interval sets it") {
  // Without a network the router never gets to print one, so this checks the value it runs with,
  // which the debug log shows; --stats-interval is the older name of the same option.
  const std::string run =
      "--default --router branch --interface lan0=x0 --interface wan0=x1 "
      "--log-level debug";
  for (const auto& [extra, expected] :
       {std::pair{"", "summary_interval=0.000000"},
        std::pair{" --summary-interval 2.5", "summary_interval=2.500000"},
        std::pair{" --stats-interval 0.5", "summary_interval=0.500000"}}) {
    int rc = 0;
    std::string all;
    for (const std::string& l : StderrLines(run + extra, &rc)) all += l + "\n";
    INFO(extra << "\n" << all);
    CHECK(rc == 1);
    CHECK_THAT(all, Catch::Contains(expected));
  }
}

}  // namespace ssr::test
