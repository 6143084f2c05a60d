// SPDX-License-Identifier: Apache-2.0
// ControlServer: the Unix stream socket through which ssrctl talks to a running ssr-router
// (protocol: ctl_protocol.h; operation: docs/operations.md, "Control socket").
//
// Design note. The server has its own thread ("ssr-ctl"); it never runs on a worker or the
// router's control thread, and everything it asks goes through the public Router API (Stats,
// Sessions, Reload), so a request costs the workers no more than those calls do. Connections are
// served one at a time, one request each: the request line is read with a 2 s timeout and at most
// ctl::kMaxRequestBytes bytes, the answer written with a 5 s timeout, then the connection is
// closed. Access: the socket file is created with mode 0600 (owner: the user running the router,
// normally root), so others cannot connect(2) at all; a peer whose SO_PEERCRED uid is neither
// that user nor root is refused as well.
//
// Socket file: the directory is created (mode 0755) when missing; an existing socket nobody
// listens on (a router that was killed) is replaced; a socket another process answers on, or a
// file that is not a socket, is an error. The destructor removes the file if it is still the
// one this server created.
#ifndef SSR_TOOLS_CTL_CONTROL_SERVER_H_
#define SSR_TOOLS_CTL_CONTROL_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ctl_protocol.h"
#include "ssr/router.h"

namespace ssr::ctl {

// The body answering `request` on `router` (RenderStats etc.); `reload` reloads the router's
// config (ssr-router: re-reads --config and calls Router::Reload).
absl::StatusOr<std::string> Answer(ssr::Router& router, const Request& request,
                                   const std::function<absl::Status()>& reload);

class ControlServer {
 public:
  // The answer to one request line: the body (sent after "ok") or an error.
  using Handler = std::function<absl::StatusOr<std::string>(const Request&)>;

  // Binds `path` and starts serving. Errors name the path and what failed.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(const std::string& path,
                                                              Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& path() const { return path_; }
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }

 private:
  ControlServer(std::string path, Handler handler);
  void Run();
  void Serve(int fd);

  const std::string path_;
  const Handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::atomic<uint64_t> requests_{0};
  std::thread thread_;
};

}  // namespace ssr::ctl

#endif  // SSR_TOOLS_CTL_CONTROL_SERVER_H_
