// SPDX-License-Identifier: Apache-2.0
#include "metrics_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "metrics_text.h"

namespace ssr::metrics {

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
};

namespace {

absl::Status BadAddress(const std::string& value, const std::string& why) {
  return absl::InvalidArgumentError("--metrics-listen \"" + value + "\": " + why +
                                    " (expected ADDR:PORT, e.g. 127.0.0.1:9464 or [::1]:9464)");
}

// Why `host`:`port` cannot be bound: the errno of a plain bind() (cpp-httplib reports only that
// it failed).
std::string BindError(const ListenAddress& a) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (a.host.find(':') != std::string::npos) {
    family = AF_INET6;
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port);
    inet_pton(AF_INET6, a.host.c_str(), &s6->sin6_addr);
    len = sizeof(*s6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a.port);
    inet_pton(AF_INET, a.host.c_str(), &s4->sin_addr);
    len = sizeof(*s4);
  }
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  std::string why = "bind failed";
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) why = std::strerror(errno);
  close(fd);
  return why;
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(const std::string& value) {
  ListenAddress a;
  std::string port;
  if (!value.empty() && value[0] == '[') {
    const size_t close = value.find("]:");
    if (close == std::string::npos)
      return BadAddress(value, "no \"]:PORT\" after the IPv6 address");
    a.host = value.substr(1, close - 1);
    port = value.substr(close + 2);
    in6_addr a6{};
    if (inet_pton(AF_INET6, a.host.c_str(), &a6) != 1) {
      return BadAddress(value, "\"" + a.host + "\" is not an IPv6 address");
    }
  } else {
    const size_t colon = value.rfind(':');
    if (colon == std::string::npos) return BadAddress(value, "no \":PORT\"");
    a.host = value.substr(0, colon);
    port = value.substr(colon + 1);
    in_addr a4{};
    if (inet_pton(AF_INET, a.host.c_str(), &a4) != 1) {
      return BadAddress(value, "\"" + a.host + "\" is not an IPv4 address (IPv6: [ADDR]:PORT)");
    }
  }
  if (port.empty() || port.size() > 5) return BadAddress(value, "bad port \"" + port + "\"");
  uint32_t n = 0;
  for (const char ch : port) {
    if (ch < '0' || ch > '9') return BadAddress(value, "bad port \"" + port + "\"");
    n = n * 10 + static_cast<uint32_t>(ch - '0');
  }
  if (n > 65535) return BadAddress(value, "port " + port + " above 65535");
  a.port = static_cast<uint16_t>(n);
  return a;
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                                    StatsFn stats) {
  absl::StatusOr<ListenAddress> a = ParseListenAddress(listen);
  if (!a.ok()) return a.status();
  auto impl = std::make_unique<Impl>();
  httplib::Server& server = impl->server;
  // Two threads, one request per connection: a scraper's kept-alive connection would hold a
  // thread until the read timeout and make every other client wait.
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // cpp-httplib's default sets SO_REUSEPORT too, which would let a second router bind the same
  // port and split the scrapes: only SO_REUSEADDR (restart while old connections linger).
  server.set_socket_options([](int fd) {
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  });
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_max_count(1);
  server.Get("/metrics",
             [stats = std::move(stats)](const httplib::Request& req, httplib::Response& res) {
               const Format format = NegotiateFormat(req.get_header_value("Accept"));
               res.set_content(FormatMetrics(stats(), format), std::string(ContentType(format)));
             });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ssr-router metrics: GET /metrics\n", "text/plain; charset=utf-8");
  });
  int port = a->port;
  if (a->port == 0) {
    port = server.bind_to_any_port(a->host);
    if (port <= 0) port = -1;
  } else if (!server.bind_to_port(a->host, a->port)) {
    port = -1;
  }
  if (port < 0) {
    return absl::UnavailableError("--metrics-listen " + listen +
                                  ": cannot listen: " + BindError(*a));
  }
  const std::string host = a->host.find(':') != std::string::npos ? "[" + a->host + "]" : a->host;
  impl->thread = std::thread([s = &impl->server] { s->listen_after_bind(); });
  // stop() does nothing before the thread runs the accept loop: wait for it (bounded; the socket
  // is bound, so this takes a thread start).
  for (int i = 0; i < 5000 && !impl->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::unique_ptr<MetricsServer> out(new MetricsServer(std::move(impl)));
  out->port_ = static_cast<uint16_t>(port);
  out->address_ = host + ":" + std::to_string(port);
  return out;
}

}  // namespace ssr::metrics
