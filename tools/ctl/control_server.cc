// SPDX-License-Identifier: Apache-2.0
#include "control_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "router/status_convert.h"

namespace ssr::ctl {
namespace {

constexpr int kReadTimeoutMs = 2000;
constexpr int kWriteTimeoutS = 5;

std::string Errno(int e) { return std::strerror(e); }

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("control socket \"", path,
                                                   "\": the path must have 1 to ",
                                                   sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// True when a process accepts connections on `path`.
bool Answered(const sockaddr_un& addr) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // peer gone or the 5 s send timeout: drop the connection
    off += static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<std::string> Answer(ssr::Router& router, const Request& r,
                                   const std::function<absl::Status()>& reload) {
  switch (r.command) {
    case Request::Command::kVersion: {
      const RouterStats s = router.Stats();
      return RenderVersion(s.router, std::string(ssr::Version()), s.config_generation, r.json);
    }
    case Request::Command::kReload: {
      if (absl::Status st = reload(); !st.ok()) {
        return absl::Status(
            st.code(), absl::StrCat("reload failed, the old config keeps running: ", st.message()));
      }
      const uint64_t gen = router.Stats().config_generation;
      if (r.json) return absl::StrCat("{\"config_generation\": ", gen, "}\n");
      return absl::StrCat("config reloaded (generation ", gen, ")\n");
    }
    case Request::Command::kShow:
      break;
  }
  switch (r.what) {
    case Request::What::kStats:
      return RenderStats(router.Stats(), r.json);
    case Request::What::kInterfaces:
      return RenderInterfaces(router.Stats(), r.json);
    case Request::What::kPeers:
      return RenderPeers(router.Stats(), r.filter.peer, r.json);
    case Request::What::kPaths:
      return RenderPaths(router.Stats(), r.filter.peer, r.json);
    case Request::What::kHealth:
      return RenderHealth(router.Health(), r.json);
    case Request::What::kSessions: {
      Result<SessionList> list = router.Sessions(r.filter, r.limit);
      if (!list.ok()) return ToAbsl(list.status());
      return RenderSessions(*list, r.limit, r.json);
    }
    case Request::What::kNone:
      break;
  }
  return absl::InvalidArgumentError("show: what?");
}

ControlServer::ControlServer(std::string path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)) {}

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& path,
                                                                    Handler handler) {
  absl::StatusOr<sockaddr_un> addr = Address(path);
  if (!addr.ok()) return addr.status();
  const std::string where = absl::StrCat("control socket ", path, ": ");
  const std::string dir = Parent(path);
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || mkdir(dir.c_str(), 0755) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, "directory ", dir, ": ", Errno(errno)));
    }
  }
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, "exists and is not a socket; remove it or choose another path"));
    }
    if (Answered(*addr)) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, "another process answers on it (a router of the same name running?)"));
    }
    unlink(path.c_str());  // left by a router that was killed
  }
  std::unique_ptr<ControlServer> s(new ControlServer(path, std::move(handler)));
  s->listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return absl::InternalError(absl::StrCat(where, "socket: ", Errno(errno)));
  // Mode 0600 from the start (umask), then explicitly: only the owner may connect.
  const mode_t old_mask = umask(0177);
  const int bound = bind(s->listen_fd_, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  const int bind_errno = errno;
  umask(old_mask);
  if (bound != 0) {
    return absl::FailedPreconditionError(absl::StrCat(where, "bind: ", Errno(bind_errno)));
  }
  if (chmod(path.c_str(), 0600) != 0 || lstat(path.c_str(), &st) != 0) {
    const int e = errno;
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat(where, "chmod 0600: ", Errno(e)));
  }
  s->dev_ = st.st_dev;
  s->ino_ = st.st_ino;
  if (listen(s->listen_fd_, 8) != 0 || pipe2(s->stop_pipe_, O_CLOEXEC) != 0) {
    const int e = errno;
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat(where, "listen: ", Errno(e)));
  }
  ControlServer* raw = s.get();
  try {
    s->thread_ = std::thread([raw] { raw->Run(); });
  } catch (const std::system_error& e) {
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat(where, "thread: ", e.what()));
  }
  return s;
}

ControlServer::~ControlServer() {
  if (stop_pipe_[1] >= 0) {
    const char c = 'x';
    (void)!write(stop_pipe_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  // Remove the file only if it is still ours (not replaced by another router since).
  struct stat st {};
  if (listen_fd_ >= 0 && lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    unlink(path_.c_str());
  }
  for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void ControlServer::Run() {
  pthread_setname_np(pthread_self(), "ssr-ctl");
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Serve(fd);
    close(fd);
  }
}

void ControlServer::Serve(int fd) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  const timeval send_timeout{kWriteTimeoutS, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      (cred.uid != 0 && cred.uid != geteuid())) {
    WriteAll(fd, ErrorResponse(absl::StrCat("permission denied: uid ", cred.uid,
                                            " may not use this control socket")));
    return;
  }
  // The request line: at most kMaxRequestBytes + "\n", within kReadTimeoutMs in all.
  std::string line;
  char buf[256];
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kReadTimeoutMs);
  bool complete = false;
  while (!complete) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      WriteAll(fd, ErrorResponse(
                       absl::StrCat("no complete request line within ", kReadTimeoutMs, " ms")));
      return;
    }
    pollfd p{fd, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // timeout: reported above
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (line.empty()) return;  // connected and left
      break;                     // EOF without "\n": take what came
    }
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        complete = true;
        break;
      }
      line += buf[i];
    }
    if (line.size() > kMaxRequestBytes) {
      WriteAll(fd, ErrorResponse(absl::StrCat("request longer than ", kMaxRequestBytes, " bytes")));
      return;
    }
  }
  absl::StatusOr<Request> request = ParseRequest(line);
  if (!request.ok()) {
    WriteAll(fd, ErrorResponse(std::string(request.status().message())));
    return;
  }
  absl::StatusOr<std::string> body = handler_(*request);
  WriteAll(fd, body.ok() ? OkResponse(*body) : ErrorResponse(std::string(body.status().message())));
}

}  // namespace ssr::ctl
