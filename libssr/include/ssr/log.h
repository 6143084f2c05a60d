// SPDX-License-Identifier: Apache-2.0
// Logging interface of libssr.
//
// The library never writes to stdout or stderr by itself. Every message goes to the LogSink the
// embedding program installed with SetLogSink(); with no sink installed, messages are discarded.
// That includes what libbpf and libxdp print (component "libbpf" / "libxdp"): libssr installs
// their process-wide print callbacks the first time it calls into them.
//
// Thread-safety: SetLogSink() and Log() may be called from any thread. The sink's Send() may be
// called concurrently from several threads and must be thread-safe itself. Log() is not meant for
// the per-packet path: the data path reports through counters, and logs only on state changes.
//
// Key material is never passed to the sink (config code redacts it before logging).
#ifndef SSR_LOG_H_
#define SSR_LOG_H_

#include <string_view>

#include "ssr/export.h"

namespace ssr {
inline namespace v0 {

/// How severe a log message is; SetMinLogSeverity drops those below a level.
enum class LogSeverity { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Returns "DEBUG", "INFO", "WARNING" or "ERROR".
SSR_EXPORT std::string_view LogSeverityName(LogSeverity severity);

/// Receives the library's log messages: implement Send() and install it with SetLogSink().
class SSR_EXPORT LogSink {
 public:
  virtual ~LogSink() = default;
  // `component` names the library layer ("config", "packet", ...). Both views are valid only for
  // the duration of the call; copy them if they must outlive it.
  virtual void Send(LogSeverity severity, std::string_view component, std::string_view message) = 0;
};

// Installs `sink` (not owned; may be nullptr to discard messages) and returns the previous sink.
// The caller keeps `sink` alive until it is replaced and no Log() call may still be using it;
// replacing the sink while other threads log is safe, destroying the old sink right after is only
// safe once those threads are quiescent.
SSR_EXPORT LogSink* SetLogSink(LogSink* sink);

// Messages below `severity` are dropped before reaching the sink. Default: kInfo.
SSR_EXPORT void SetMinLogSeverity(LogSeverity severity);

// Sends one message to the installed sink, if any and if `severity` is high enough.
SSR_EXPORT void Log(LogSeverity severity, std::string_view component, std::string_view message);

}  // namespace v0
}  // namespace ssr

#endif  // SSR_LOG_H_
