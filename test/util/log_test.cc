// SPDX-License-Identifier: Apache-2.0
#include "ssr/log.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {
struct Captured {
  ssr::LogSeverity severity;
  std::string component;
  std::string message;
};

class CapturingSink : public ssr::LogSink {
 public:
  void Send(ssr::LogSeverity severity, std::string_view component,
            std::string_view message) override {
    lines.push_back({severity, std::string(component), std::string(message)});
  }
  std::vector<Captured> lines;
};
}  // namespace

TEST_CASE("Log reaches the installed sink and nothing without one", "[util]") {
  ssr::SetMinLogSeverity(ssr::LogSeverity::kInfo);
  ssr::Log(ssr::LogSeverity::kError, "test", "dropped: no sink");  // must not crash
  CapturingSink sink;
  ssr::LogSink* previous = ssr::SetLogSink(&sink);
  CHECK(previous == nullptr);
  ssr::Log(ssr::LogSeverity::kWarning, "config", "hello");
  REQUIRE(sink.lines.size() == 1);
  CHECK(sink.lines[0].severity == ssr::LogSeverity::kWarning);
  CHECK(sink.lines[0].component == "config");
  CHECK(sink.lines[0].message == "hello");
  CHECK(ssr::SetLogSink(nullptr) == &sink);
  ssr::Log(ssr::LogSeverity::kError, "config", "after removal");
  CHECK(sink.lines.size() == 1);
}

TEST_CASE("Log drops messages below the minimum severity", "[util]") {
  CapturingSink sink;
  ssr::SetLogSink(&sink);
  ssr::SetMinLogSeverity(ssr::LogSeverity::kWarning);
  ssr::Log(ssr::LogSeverity::kInfo, "x", "too low");
  ssr::Log(ssr::LogSeverity::kError, "x", "high enough");
  ssr::SetMinLogSeverity(ssr::LogSeverity::kInfo);
  ssr::SetLogSink(nullptr);
  REQUIRE(sink.lines.size() == 1);
  CHECK(sink.lines[0].message == "high enough");
  CHECK(ssr::LogSeverityName(ssr::LogSeverity::kDebug) == "DEBUG");
}
