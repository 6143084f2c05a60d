// SPDX-License-Identifier: Apache-2.0
#include "ssr/log.h"

#include <atomic>

namespace ssr {
inline namespace v0 {
namespace {
std::atomic<LogSink*> g_sink{nullptr};
std::atomic<int> g_min_severity{static_cast<int>(LogSeverity::kInfo)};
}  // namespace

std::string_view LogSeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug:
      return "DEBUG";
    case LogSeverity::kInfo:
      return "INFO";
    case LogSeverity::kWarning:
      return "WARNING";
    case LogSeverity::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

LogSink* SetLogSink(LogSink* sink) { return g_sink.exchange(sink, std::memory_order_acq_rel); }

void SetMinLogSeverity(LogSeverity severity) {
  g_min_severity.store(static_cast<int>(severity), std::memory_order_relaxed);
}

void Log(LogSeverity severity, std::string_view component, std::string_view message) {
  if (static_cast<int>(severity) < g_min_severity.load(std::memory_order_relaxed)) return;
  LogSink* sink = g_sink.load(std::memory_order_acquire);
  if (sink != nullptr) sink->Send(severity, component, message);
}

}  // namespace v0
}  // namespace ssr
