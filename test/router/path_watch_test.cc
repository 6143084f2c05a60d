// SPDX-License-Identifier: Apache-2.0
// Path changes reach the embedding program and the log (router/path_watch.h): the control thread
// compares the workers' PathBoard with what it reported last and names the path from the config.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/loader.h"
#include "router/path_watch.h"
#include "ssr/log.h"

namespace ssr::router {
namespace {

// Collects the "paths" component's messages as "SEVERITY message".
class Collect : public LogSink {
 public:
  void Send(LogSeverity severity, std::string_view component, std::string_view message) override {
    if (component == "paths") {
      lines.push_back(std::string(LogSeverityName(severity)) + " " + std::string(message));
    }
  }
  std::vector<std::string> lines;
};

std::shared_ptr<const config::Config> Default() {
  auto c = config::LoadConfigString(config::DefaultConfigText(), config::ConfigFormat::kText);
  REQUIRE(c.ok());
  return *c;
}

pipeline::PathRecord Record(bool up, double loss_percent = 0) {
  pipeline::PathRecord r;
  r.up = up;
  r.quality.measured = true;
  r.quality.has_latency = true;
  r.quality.latency_ms = 12.5;
  r.quality.loss = loss_percent / 100;
  r.quality.mos = 4.1;
  return r;
}

TEST_CASE("a path going down and up is reported once each, with its names, to the callback and "
          "the log",
          "[router][paths]") {
  std::vector<PathEvent> events;
  Collect sink;
  LogSink* const before = SetLogSink(&sink);
  const std::vector<std::string>& logs = sink.lines;
  pipeline::PathBoard board;
  PathWatch watch([&](const PathEvent& e) { events.push_back(e); }, &board, "branch");
  CHECK(watch.Poll() == 0);  // no config yet
  watch.SetConfig(Default());
  board.Publish(0, Record(true));
  board.Publish(1, Record(true));
  CHECK(watch.Poll() == 0);  // the first look after a config is taken as known
  CHECK(watch.Poll() == 0);
  board.Publish(1, Record(false, 100));
  CHECK(watch.Poll() == 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].peer == "datacenter");
  CHECK(events[0].path == "wan0:2001:db8:2::2");
  CHECK(events[0].interface == "wan0");
  CHECK(events[0].remote == "2001:db8:2::2");
  CHECK_FALSE(events[0].up);
  CHECK(events[0].quality_measured);
  CHECK(events[0].loss_percent == Approx(100));
  CHECK(watch.Poll() == 0);
  // Down and up again between two polls: one event, the current status.
  board.Publish(0, Record(false));
  board.Publish(0, Record(true));
  board.Publish(1, Record(true));
  CHECK(watch.Poll() == 2);
  REQUIRE(events.size() == 3);
  CHECK(events[1].path == "wan0:192.0.2.2");
  CHECK(events[1].up);
  CHECK(events[2].up);
  CHECK(watch.delivered() == 3);
  REQUIRE(logs.size() == 3);
  CHECK(logs[0] ==
        "WARNING peer \"datacenter\" path \"wan0:2001:db8:2::2\" (wan0 -> 2001:db8:2::2) is down; "
        "latency 12.5 ms, jitter 0.0 ms, loss 100.00 %, MOS 4.10");
  SetLogSink(before);
}

TEST_CASE("without a callback path changes are still logged", "[router][paths]") {
  Collect sink;
  LogSink* const before = SetLogSink(&sink);
  const std::vector<std::string>& logs = sink.lines;
  pipeline::PathBoard board;
  PathWatch watch(nullptr, &board, "datacenter");
  watch.SetConfig(Default());
  watch.Poll();
  board.Publish(0, pipeline::PathRecord{});  // up, not measured
  board.Publish(0, Record(false));
  CHECK(watch.Poll() == 1);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].rfind("WARNING peer \"branch\" path \"wan0:192.0.2.1\" (wan0 -> 192.0.2.1) is down",
                      0) == 0);
  SetLogSink(before);
}

}  // namespace
}  // namespace ssr::router
