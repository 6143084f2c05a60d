// SPDX-License-Identifier: Apache-2.0
#include "io/bpf_log.h"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "ssr/log.h"

namespace ssr::io {
namespace {

void Forward(LogSeverity severity, std::string_view component, const char* format, va_list ap) {
  char buf[512];
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(buf, sizeof(buf), format, copy);
  va_end(copy);
  if (n < 0) return;
  std::string long_text;
  std::string_view text(buf, static_cast<size_t>(n) < sizeof(buf) ? static_cast<size_t>(n)
                                                                   : sizeof(buf) - 1);
  if (static_cast<size_t>(n) >= sizeof(buf)) {  // longer than the stack buffer (verifier logs)
    long_text.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(long_text.data(), long_text.size(), format, ap);
    long_text.resize(static_cast<size_t>(n));
    text = long_text;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  // Both libraries start most messages with their own name; the component says it already.
  if (text.size() > component.size() + 2 && text.substr(0, component.size()) == component &&
      text.substr(component.size(), 2) == ": ") {
    text.remove_prefix(component.size() + 2);
  }
  if (text.empty()) return;
  Log(severity, component, text);
}

int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list ap) {
  LogSeverity severity = LogSeverity::kDebug;
  if (level == LIBBPF_WARN) severity = LogSeverity::kWarning;
  if (level == LIBBPF_INFO) severity = LogSeverity::kInfo;
  Forward(severity, "libbpf", format, ap);
  return 0;
}

int LibxdpPrint(enum libxdp_print_level level, const char* format, va_list ap) {
  LogSeverity severity = LogSeverity::kDebug;
  if (level == LIBXDP_WARN) severity = LogSeverity::kWarning;
  if (level == LIBXDP_INFO) severity = LogSeverity::kInfo;
  Forward(severity, "libxdp", format, ap);
  return 0;
}

}  // namespace

void RouteBpfLibraryLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    libbpf_set_print(&LibbpfPrint);
    libxdp_set_print(&LibxdpPrint);
  });
}

}  // namespace ssr::io
