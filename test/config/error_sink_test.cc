// SPDX-License-Identifier: Apache-2.0
// ErrorSink, the error list every config validator reports into: errors stay in the order they
// were added, each with its path, message and code, and the composed status is the one
// ErrorsToStatus() gives (one "path: message" line per error; a shared code or InvalidArgument).
#include "config/error_sink.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "config/validate.h"
#include "ssr/config/v1/config.pb.h"

namespace ssr::config {
namespace {

std::vector<std::string> Lines(const ErrorSink& sink) {
  std::vector<std::string> out;
  for (const ConfigError& e : sink.errors()) out.push_back(e.ToString());
  return out;
}

TEST_CASE("an empty ErrorSink has no errors and an OK status", "[config][error_sink]") {
  ErrorSink sink;
  CHECK(sink.empty());
  CHECK(sink.size() == 0);
  CHECK(sink.errors().empty());
  CHECK(sink.ToStatus().ok());
  CHECK(sink.Take().empty());
}

TEST_CASE("ErrorSink keeps errors in the order they were added", "[config][error_sink]") {
  ErrorSink sink;
  sink.Add("routers[1].name", "\"b\" is bad");
  sink.Add("", "the whole file is bad");
  sink.Add("keys[0].id", "1 is already used", absl::StatusCode::kAlreadyExists);
  sink.Add("routers[0].name", "\"a\" is bad");
  REQUIRE(sink.size() == 4);
  CHECK_FALSE(sink.empty());
  CHECK(Lines(sink) == std::vector<std::string>{
                           "routers[1].name: \"b\" is bad",
                           "the whole file is bad",
                           "keys[0].id: 1 is already used",
                           "routers[0].name: \"a\" is bad",
                       });
  // Path, message and code are kept apart; the code defaults to InvalidArgument.
  CHECK(sink.errors()[0].path == "routers[1].name");
  CHECK(sink.errors()[0].message == "\"b\" is bad");
  CHECK(sink.errors()[0].code == absl::StatusCode::kInvalidArgument);
  CHECK(sink.errors()[1].path.empty());
  CHECK(sink.errors()[2].code == absl::StatusCode::kAlreadyExists);
}

TEST_CASE("ErrorSink composes one status listing every error, one per line",
          "[config][error_sink]") {
  ErrorSink sink;
  sink.Add("limits.max_sessions", "10 is out of range (1024-16777216)");
  sink.Add("", "no path here");
  sink.Add("timeouts.udp_seconds", "700000 is out of range (1-604800)");
  const absl::Status status = sink.ToStatus();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(status.message()) ==
        "limits.max_sessions: 10 is out of range (1024-16777216)\n"
        "no path here\n"
        "timeouts.udp_seconds: 700000 is out of range (1-604800)");
  CHECK(status == ErrorsToStatus(sink.errors()));
}

TEST_CASE("ErrorSink's status keeps a code all errors share and is InvalidArgument otherwise",
          "[config][error_sink]") {
  ErrorSink same;
  same.Add("routers[2].name", "\"r1\" is already used by routers[0]",
           absl::StatusCode::kAlreadyExists);
  same.Add("services[1].name", "\"web\" is already used by services[0]",
           absl::StatusCode::kAlreadyExists);
  CHECK(same.ToStatus().code() == absl::StatusCode::kAlreadyExists);

  ErrorSink mixed;
  mixed.Add("routers[2].name", "\"r1\" is already used by routers[0]",
            absl::StatusCode::kAlreadyExists);
  mixed.Add("keys[0].file", "\"k\" is not a regular file", absl::StatusCode::kFailedPrecondition);
  CHECK(mixed.ToStatus().code() == absl::StatusCode::kInvalidArgument);

  ErrorSink one;
  one.Add("keys[0].file", "\"k\" cannot be read", absl::StatusCode::kNotFound);
  CHECK(one.ToStatus().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("ErrorSink::Take hands over the errors in order and empties the sink",
          "[config][error_sink]") {
  ErrorSink sink;
  sink.Add("a", "first");
  sink.Add("b", "second");
  const std::vector<ConfigError> taken = sink.Take();
  REQUIRE(taken.size() == 2);
  CHECK(taken[0].ToString() == "a: first");
  CHECK(taken[1].ToString() == "b: second");
  CHECK(sink.empty());
  CHECK(sink.ToStatus().ok());
  sink.Add("c", "after take");
  CHECK(Lines(sink) == std::vector<std::string>{"c: after take"});
}

TEST_CASE("validators of different sections append to one sink in call order",
          "[config][error_sink]") {
  v1::Timeouts timeouts;
  timeouts.set_udp_seconds(700000);
  timeouts.set_icmp_seconds(700001);
  v1::Limits limits;
  limits.set_max_sessions(10);
  ErrorSink sink;
  sink.Add("routers", "an earlier pass's error");
  // Limits first, then timeouts: the sink records the calls' order, not a fixed section order.
  internal::ValidateLimits(limits, sink);
  internal::ValidateTimeouts(timeouts, sink);
  CHECK(Lines(sink) == std::vector<std::string>{
                           "routers: an earlier pass's error",
                           "limits.max_sessions: 10 is out of range (1024-16777216)",
                           "timeouts.udp_seconds: 700000 is out of range (1-604800)",
                           "timeouts.icmp_seconds: 700001 is out of range (1-604800)",
                       });
}

}  // namespace
}  // namespace ssr::config
