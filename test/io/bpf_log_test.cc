// SPDX-License-Identifier: Apache-2.0
// libbpf's and libxdp's own messages go to the libssr log sink (io/bpf_log.h), never to stderr:
// after a libssr entry point into libbpf ran, messages the two libraries print arrive in a
// capturing sink, and file descriptor 2 stays empty.
#include <bpf/libbpf.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "io/xdp_mode.h"
#include "ssr/log.h"

namespace ssr::io {
namespace {

struct Line {
  LogSeverity severity;
  std::string component;
  std::string message;
};

class CapturingSink : public LogSink {
 public:
  void Send(LogSeverity severity, std::string_view component, std::string_view message) override {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back({severity, std::string(component), std::string(message)});
  }
  bool Has(const std::string& component) {
    std::lock_guard<std::mutex> lock(mu);
    for (const Line& l : lines) {
      if (l.component == component && !l.message.empty() && l.message.back() != '\n') return true;
    }
    return false;
  }
  std::mutex mu;
  std::vector<Line> lines;
};

// Points file descriptor 2 at a temporary file while alive; Text() returns what was written.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    file_ = std::tmpfile();
    saved_ = dup(2);
    if (file_ != nullptr && saved_ >= 0) dup2(fileno(file_), 2);
  }
  ~StderrCapture() {
    Restore();
    if (file_ != nullptr) std::fclose(file_);
  }
  void Restore() {
    std::fflush(stderr);
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
      saved_ = -1;
    }
  }
  std::string Text() {
    Restore();
    std::string out;
    if (file_ == nullptr) return out;
    std::rewind(file_);
    char buf[512];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), file_)) > 0) out.append(buf, n);
    return out;
  }
  bool ok() const { return file_ != nullptr; }

 private:
  FILE* file_ = nullptr;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("libbpf and libxdp messages reach the log sink and nothing reaches stderr", "[io]") {
  CapturingSink sink;
  LogSink* previous = SetLogSink(&sink);
  SetMinLogSeverity(LogSeverity::kDebug);
  std::string err;
  {
    StderrCapture capture;
    REQUIRE(capture.ok());
    // A libssr entry point into libbpf (an ifindex no interface has: the query just fails).
    (void)QueryXdpAttachMode(0x7ffffff0);
    // libbpf complains about an object that is not ELF.
    static const char kJunk[] = "this is not an ELF object";
    bpf_object* obj = bpf_object__open_mem(kJunk, sizeof(kJunk), nullptr);
    CHECK(obj == nullptr);
    // libxdp complains about a file that does not exist.
    xdp_program* prog = xdp_program__open_file("/nonexistent/ssr_bpf_log_test.o", "xdp", nullptr);
    CHECK(libxdp_get_error(prog) != 0);
    err = capture.Text();
  }
  SetMinLogSeverity(LogSeverity::kInfo);
  SetLogSink(previous);
  CHECK(err == "");
  CHECK(sink.Has("libbpf"));
  CHECK(sink.Has("libxdp"));
}

}  // namespace ssr::io
