// SPDX-License-Identifier: Apache-2.0
// ssr::metrics::MetricsServer: serves FormatMetrics() of a router on GET /metrics over HTTP, on
// threads of its own (never a worker), for `ssr-router --metrics-listen ADDR:PORT`.
//
// The HTTP side is cpp-httplib (Debian libcpp-httplib-dev 0.11), not a server written here. Chosen
// over civetweb (libcivetweb-dev): its API is C++ (a handler is a lambda; bind, listen and stop are
// plain calls whose failures we can report), and Debian builds it as a shared library with a
// pkg-config file, so only this file parses its header; civetweb is a C API of callbacks with
// void* user data, made to be an embedded web (file) server. Two threads answer scrapes, one
// request per connection (no keep-alive: a scraper's idle connection would hold a thread); each
// answer is one Router::Stats().
#ifndef SSR_TOOLS_METRICS_METRICS_SERVER_H_
#define SSR_TOOLS_METRICS_METRICS_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ssr/stats.h"

namespace ssr::metrics {

// ADDR:PORT as --metrics-listen takes it: an IPv4 address or a bracketed IPv6 address
// ("[::1]:9464"), and a port 0 to 65535 (0: any free port, for tests).
struct ListenAddress {
  std::string host;  // without brackets
  uint16_t port = 0;
};
// InvalidArgument naming the value when it is not ADDR:PORT.
absl::StatusOr<ListenAddress> ParseListenAddress(const std::string& value);

class MetricsServer {
 public:
  using StatsFn = std::function<RouterStats()>;

  // Binds `listen` (ADDR:PORT) and starts answering GET /metrics with FormatMetrics(stats()).
  // Errors name the address: InvalidArgument (not ADDR:PORT), Unavailable (cannot bind, with
  // the reason, e.g. "Address already in use").
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                              StatsFn stats);
  // Stops the server and joins its thread; no scrape is in progress once it returns.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return port_; }                  // the bound port (useful with port 0)
  const std::string& address() const { return address_; }  // "ADDR:PORT" as bound

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::string address_;
};

}  // namespace ssr::metrics

#endif  // SSR_TOOLS_METRICS_METRICS_SERVER_H_
