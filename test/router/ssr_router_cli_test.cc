// SPDX-License-Identifier: Apache-2.0
// ssr-router's command line without a network (label tool): usage errors exit 2 and name the
// problem.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "router_test_support.h"

namespace ssr::test {
namespace {

struct UsageCase {
  const char* args;
  const char* message;
};

}  // namespace

TEST_CASE("ssr-router exits 2 naming the problem for each usage error") {
  const UsageCase cases[] = {
      {"", "no --interface given"},
      {"--router branch --interface lan0=a --interface wan0=b",
       "exactly one of --config FILE and --default"},
      {"--default --config x --router branch --interface lan0=a",
       "exactly one of --config FILE and --default"},
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
      {"--default --router branch --interface lan0=a --batch",
       "option \"--batch\" is missing its value"},
      // ... and Router::Create checks the ranges (all interfaces bound so that it gets there),
      // naming the RouterOptions field.
      {"--default --router branch --interface lan0=a --interface wan0=b --frames 255",
       "frames_per_worker: 255 is not in 256..1048576"},
      {"--default --router branch --interface lan0=a --interface wan0=b --frames 4294967295",
       "frames_per_worker: 4294967295 is not in 256..1048576"},
      {"--default --router branch --interface lan0=a --interface wan0=b --fill-ring 3000",
       "fill_ring_size: 3000 is not a power of two from 64 to 16384"},
      {"--default --router branch --interface lan0=a --interface wan0=b --fill-ring 8192",
       "fill_ring_size: 8192 is more than frames_per_worker 4096"},
      {"--default --router branch --interface lan0=a --interface wan0=b --fill-ring 4096",
       "frames_per_worker: 4096 is less than the 4160 frames"},
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

}  // namespace ssr::test
