// SPDX-License-Identifier: Apache-2.0
// Config from etcd for ssr-router (`--config-etcd ENDPOINTS --config-key KEY`): one config for a
// fleet of routers, kept in an etcd v3 key. See docs/operations.md "Config from etcd".
//
// The router reads the key at start (waiting, with backoff, until etcd answers and the key
// exists), validates it with the same loader as a config file (ssr::Config::Parse), runs it, then
// polls the key on a thread of its own (ConfigSource) every --config-poll-ms (default 500 ms).
// Every new revision of the key (its mod_revision) is validated and applied with Router::Reload,
// which is atomic: a revision that does not validate, or that Reload refuses, is rejected and the
// running config stays. After each revision the router writes its status, a JSON document, to
// `<KEY>/status/<ROUTER>`:
//   {"router": "branch", "applied_revision": 7}
//   {"router": "branch", "rejected_revision": 8, "errors": ["tenants[0]...: ..."],
//    "applied_revision": 7}
// ("applied_revision" in a rejection is the revision still running.)
//
// Why polling and not the streaming /v3/watch: one range request per interval on an idle key is
// cheap for etcd, needs no long-lived stream to cancel at shutdown or to resynchronise after a
// compaction or a reconnection (a poll always reads the current value), and the cost, up to one
// interval of delay, is irrelevant for configuration changes. Revisions that come and go within
// one interval are skipped; only the latest value matters.
//
// Transport: etcd's JSON gRPC gateway (POST /v3/kv/range and /v3/kv/put, keys and values in
// base64), over plain HTTP with cpp-httplib (Debian libcpp-httplib-dev). ENDPOINTS is a comma
// separated list ("http://10.0.0.1:2379,http://10.0.0.2:2379" or "host:port"); a request that
// fails goes to the next endpoint. TLS (https://) is not supported in this version.
//
// Errors (etcd unreachable, HTTP errors) are logged (component "etcd") and retried with
// exponential backoff (the poll interval doubling up to 10 s); they never stop the router. Config
// values are never logged (they contain keys); validation errors are redacted by the loader.
#ifndef SSR_TOOLS_ETCD_ETCD_CONFIG_H_
#define SSR_TOOLS_ETCD_ETCD_CONFIG_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ssr/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace ssr {
inline namespace v0 {
class Router;
}  // namespace v0
}  // namespace ssr

namespace ssr::etcd {

// --- documents (pure functions, unit-tested) ---------------------------------------------------

std::string Base64Encode(std::string_view data);
// nullopt when `text` is not valid base64 (standard alphabet, '=' padding).
std::optional<std::string> Base64Decode(std::string_view text);

struct Endpoint {
  std::string host;  // IPv6 without brackets
  int port = 2379;
  std::string ToString() const;  // "host:port" ("[v6]:port")
};
// "http://10.0.0.1:2379,10.0.0.2" -> endpoints (port 2379 when omitted). Errors name the entry.
absl::StatusOr<std::vector<Endpoint>> ParseEndpoints(std::string_view list);

// "auto", "text" or "json".
absl::StatusOr<ConfigFormat> ParseFormat(std::string_view name);

// JSON bodies of POST /v3/kv/range and /v3/kv/put.
std::string RangeRequest(std::string_view key);
std::string PutRequest(std::string_view key, std::string_view value);

struct RangeResult {
  int64_t revision = 0;  // the store's revision (header.revision)
  bool found = false;    // the key exists
  int64_t mod_revision = 0;
  std::string value;
};
// Parses a /v3/kv/range answer (int64 fields are JSON strings in the gateway's encoding; numbers
// are accepted too). Errors for non-JSON, a gateway error document, or bad base64.
absl::StatusOr<RangeResult> ParseRangeResponse(std::string_view body);
// An error answer of the gateway ({"error": ..., "message": ..., "code": N}) as text, or the
// HTTP status when the body is not such a document.
std::string GatewayError(int http_status, std::string_view body);

// `<key>/status/<router>`.
std::string StatusKey(std::string_view key, std::string_view router);
// {"router": ROUTER, "applied_revision": N}
std::string AppliedStatus(std::string_view router, int64_t revision);
// {"router": ROUTER, "rejected_revision": N, "errors": [one per line of `errors`],
//  "applied_revision": RUNNING} ("applied_revision" omitted when `running` is 0: nothing runs).
std::string RejectedStatus(std::string_view router, int64_t revision, std::string_view errors,
                           int64_t running);

// --- client ------------------------------------------------------------------------------------

// Range and put on one key through the JSON gateway. Tries the endpoints in turn, starting with
// the one that answered last. Not thread-safe (one per user).
class Client {
 public:
  Client(std::vector<Endpoint> endpoints, std::chrono::milliseconds timeout);
  absl::StatusOr<RangeResult> Get(std::string_view key);
  absl::Status Put(std::string_view key, std::string_view value);

 private:
  absl::StatusOr<std::string> Post(const std::string& path, const std::string& body);
  std::vector<Endpoint> endpoints_;
  std::chrono::milliseconds timeout_;
  size_t current_ = 0;
};

// --- ssr-router's options and config source ----------------------------------------------------

struct Options {
  std::optional<std::string> endpoints;  // --config-etcd
  std::optional<std::string> key;        // --config-key
  std::string format = "auto";           // --config-format
  uint32_t poll_ms = 500;                // --config-poll-ms
  bool enabled() const { return endpoints.has_value() || key.has_value(); }
};

// Adds --config-etcd, --config-key, --config-format and --config-poll-ms to `app`, excluding
// the options named in `exclusive` (e.g. --config, --default) when they exist.
void AddOptions(CLI::App& app, Options* options, const std::vector<std::string>& exclusive);

class ConfigSource {
 public:
  // Checks the options (an error message names the option: a usage error).
  static absl::StatusOr<std::unique_ptr<ConfigSource>> Create(const Options& options,
                                                              std::string router);
  ~ConfigSource();  // stops the watcher

  // The config in the key now, validated. The first call waits for etcd and the key (retrying
  // with backoff, logging); if that first value does not validate it writes the rejected status.
  // Later calls (SIGHUP, ssrctl reload) read the key once, without waiting.
  absl::StatusOr<Config> Load();

  // Once `router` runs the config of the first Load(): writes its applied status and starts
  // polling the key. `router` must outlive Stop().
  void Start(Router* router);
  void Stop();

 private:
  ConfigSource(const Options& options, std::vector<Endpoint> endpoints, ConfigFormat format,
               std::string router);
  void Run();
  // One poll: reads the key and applies a new revision. Errors are connection errors (retried).
  absl::Status PollOnce();
  void WriteStatus(std::string document);
  bool WaitFor(std::chrono::milliseconds delay);  // false when stopping

  const std::string key_;
  const std::string status_key_;
  const std::string router_name_;
  const ConfigFormat format_;
  const std::chrono::milliseconds poll_;

  std::mutex mu_;  // serialises Load() and the watcher (both use client_)
  Client client_;
  bool loaded_once_ = false;
  int64_t loaded_revision_ = 0;  // of the last Load()
  int64_t seen_revision_ = 0;    // last mod_revision decided (applied or rejected)
  int64_t applied_revision_ = 0;
  std::optional<std::string> pending_status_;  // a status put that failed, retried next poll
  Router* router_ = nullptr;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ssr::etcd

#endif  // SSR_TOOLS_ETCD_ETCD_CONFIG_H_
