// SPDX-License-Identifier: Apache-2.0
// See etcd_config.h.
#include "etcd_config.h"

#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "ssr/log.h"
#include "ssr/router.h"

namespace ssr::etcd {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::chrono::milliseconds kMaxBackoff{10000};
constexpr std::chrono::milliseconds kRequestTimeout{3000};

void Log(LogSeverity severity, const std::string& message) { ssr::Log(severity, "etcd", message); }

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// An int64 of the gateway: a JSON string of digits (proto3 JSON mapping) or a number.
std::optional<int64_t> Int64Field(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return 0;  // proto3 JSON omits zero values
  if (it->is_number_integer()) return it->get<int64_t>();
  if (!it->is_string()) return std::nullopt;
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (const char ch : s) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + (ch - '0');
  }
  return n;
}

// cpp-httplib's error, in words (its own names are one word: "Connection", "Read").
std::string HttpError(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (refused or unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "cannot connect (timed out)";
    case httplib::Error::Read:
      return "no answer (read failed or timed out)";
    case httplib::Error::Write:
      return "cannot send the request (write failed)";
    default:
      return "HTTP client error " + httplib::to_string(error);
  }
}

std::chrono::milliseconds Backoff(std::chrono::milliseconds base, int failures) {
  std::chrono::milliseconds d = base;
  for (int i = 0; i < failures && d < kMaxBackoff; ++i) d *= 2;
  return std::min(d, kMaxBackoff);
}

}  // namespace

// --- documents ---------------------------------------------------------------------------------

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(data[i]) << 16) |
                       (static_cast<uint8_t>(data[i + 1]) << 8) | static_cast<uint8_t>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after '='
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::string Endpoint::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

absl::StatusOr<std::vector<Endpoint>> ParseEndpoints(std::string_view list) {
  std::vector<Endpoint> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view entry = list.substr(pos, comma - pos);
    pos = comma + 1;
    const std::string quoted = "\"" + std::string(entry) + "\"";
    if (entry.empty()) return absl::InvalidArgumentError("--config-etcd: empty endpoint");
    if (entry.substr(0, 8) == "https://") {
      return absl::InvalidArgumentError("--config-etcd: " + quoted +
                                        ": https is not supported (use http://)");
    }
    if (entry.substr(0, 7) == "http://") entry.remove_prefix(7);
    while (!entry.empty() && entry.back() == '/') entry.remove_suffix(1);
    Endpoint ep;
    std::string_view port;
    if (!entry.empty() && entry.front() == '[') {
      const size_t close = entry.find(']');
      if (close == std::string_view::npos) {
        return absl::InvalidArgumentError("--config-etcd: " + quoted + ": missing ']'");
      }
      ep.host = std::string(entry.substr(1, close - 1));
      std::string_view rest = entry.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':') {
          return absl::InvalidArgumentError("--config-etcd: " + quoted + ": expected ':PORT'");
        }
        port = rest.substr(1);
        if (port.empty())
          return absl::InvalidArgumentError("--config-etcd: " + quoted + ": empty port");
      }
    } else {
      const size_t colon = entry.rfind(':');
      if (colon != std::string_view::npos && entry.find(':') != colon) {
        return absl::InvalidArgumentError("--config-etcd: " + quoted +
                                          ": write an IPv6 address as [ADDRESS]:PORT");
      }
      ep.host = std::string(entry.substr(0, colon));
      if (colon != std::string_view::npos) {
        port = entry.substr(colon + 1);
        if (port.empty())
          return absl::InvalidArgumentError("--config-etcd: " + quoted + ": empty port");
      }
    }
    if (ep.host.empty())
      return absl::InvalidArgumentError("--config-etcd: " + quoted + ": no host");
    if (!port.empty()) {
      int n = 0;
      for (const char ch : port) {
        if (ch < '0' || ch > '9' || n > 65535) {
          return absl::InvalidArgumentError("--config-etcd: " + quoted + ": bad port");
        }
        n = n * 10 + (ch - '0');
      }
      if (n < 1 || n > 65535) {
        return absl::InvalidArgumentError("--config-etcd: " + quoted + ": port not in 1-65535");
      }
      ep.port = n;
    }
    out.push_back(std::move(ep));
    if (comma == list.size()) break;
  }
  return out;
}

absl::StatusOr<ConfigFormat> ParseFormat(std::string_view name) {
  if (name == "auto") return ConfigFormat::kAuto;
  if (name == "text") return ConfigFormat::kText;
  if (name == "json") return ConfigFormat::kJson;
  return absl::InvalidArgumentError("--config-format: \"" + std::string(name) +
                                    "\" is not auto, text or json");
}

std::string RangeRequest(std::string_view key) { return Json{{"key", Base64Encode(key)}}.dump(); }

std::string PutRequest(std::string_view key, std::string_view value) {
  return Json{{"key", Base64Encode(key)}, {"value", Base64Encode(value)}}.dump();
}

absl::StatusOr<RangeResult> ParseRangeResponse(std::string_view body) {
  const Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::DataLossError("etcd range answer is not a JSON object");
  }
  if (doc.contains("error") || doc.contains("code")) {
    return absl::UnavailableError(GatewayError(200, body));
  }
  RangeResult result;
  const auto header = doc.find("header");
  if (header == doc.end() || !header->is_object()) {
    return absl::DataLossError("etcd range answer has no header");
  }
  const std::optional<int64_t> revision = Int64Field(*header, "revision");
  if (!revision) return absl::DataLossError("etcd range answer: bad header.revision");
  result.revision = *revision;
  const auto kvs = doc.find("kvs");
  if (kvs == doc.end() || (kvs->is_array() && kvs->empty())) return result;
  if (!kvs->is_array() || !(*kvs)[0].is_object()) {
    return absl::DataLossError("etcd range answer: kvs is not a list of objects");
  }
  const Json& kv = (*kvs)[0];
  const std::optional<int64_t> mod = Int64Field(kv, "mod_revision");
  if (!mod) return absl::DataLossError("etcd range answer: bad kvs[0].mod_revision");
  std::optional<std::string> value = std::string();
  if (const auto v = kv.find("value"); v != kv.end()) {  // omitted when empty
    if (!v->is_string()) return absl::DataLossError("etcd range answer: kvs[0].value not a string");
    value = Base64Decode(v->get_ref<const std::string&>());
    if (!value) return absl::DataLossError("etcd range answer: kvs[0].value is not base64");
  }
  result.found = true;
  result.mod_revision = *mod;
  result.value = std::move(*value);
  return result;
}

std::string GatewayError(int http_status, std::string_view body) {
  const Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded() && doc.is_object()) {
    for (const char* field : {"message", "error"}) {
      const auto it = doc.find(field);
      if (it != doc.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
        return "etcd error: " + it->get<std::string>();
      }
    }
  }
  return "HTTP status " + std::to_string(http_status);
}

std::string StatusKey(std::string_view key, std::string_view router) {
  return std::string(key) + "/status/" + std::string(router);
}

std::string AppliedStatus(std::string_view router, int64_t revision) {
  return Json{{"router", router}, {"applied_revision", revision}}.dump();
}

std::string RejectedStatus(std::string_view router, int64_t revision, std::string_view errors,
                           int64_t running) {
  Json list = Json::array();
  size_t pos = 0;
  while (pos < errors.size()) {
    size_t nl = errors.find('\n', pos);
    if (nl == std::string_view::npos) nl = errors.size();
    if (nl > pos) list.push_back(std::string(errors.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  Json doc{{"router", router}, {"rejected_revision", revision}, {"errors", std::move(list)}};
  if (running > 0) doc["applied_revision"] = running;
  // Invalid UTF-8 in an error (a quoted value) is replaced rather than failing the dump.
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// --- client ------------------------------------------------------------------------------------

Client::Client(std::vector<Endpoint> endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), timeout_(timeout) {}

absl::StatusOr<std::string> Client::Post(const std::string& path, const std::string& body) {
  std::string errors;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    const size_t index = (current_ + i) % endpoints_.size();
    const Endpoint& ep = endpoints_[index];
    httplib::Client http(ep.host, ep.port);
    http.set_connection_timeout(timeout_);
    http.set_read_timeout(timeout_);
    http.set_write_timeout(timeout_);
    const httplib::Result res = http.Post(path, body, "application/json");
    std::string error;
    if (!res) {
      error = HttpError(res.error());
    } else if (res->status != 200) {
      error = GatewayError(res->status, res->body);
    } else {
      current_ = index;
      return res->body;
    }
    if (!errors.empty()) errors += "; ";
    errors += ep.ToString() + ": " + error;
  }
  return absl::UnavailableError(errors);
}

absl::StatusOr<RangeResult> Client::Get(std::string_view key) {
  absl::StatusOr<std::string> body = Post("/v3/kv/range", RangeRequest(key));
  if (!body.ok()) return body.status();
  return ParseRangeResponse(*body);
}

absl::Status Client::Put(std::string_view key, std::string_view value) {
  absl::StatusOr<std::string> body = Post("/v3/kv/put", PutRequest(key, value));
  return body.ok() ? absl::OkStatus() : body.status();
}

// --- options and config source -----------------------------------------------------------------

void AddOptions(CLI::App& app, Options* options, const std::vector<std::string>& exclusive) {
  CLI::Option* endpoints =
      app.add_option("--config-etcd", options->endpoints,
                     "read the config from etcd instead of a file, follow its changes and write "
                     "the status back (docs/operations.md \"Config from etcd\"); comma separated "
                     "http://HOST:PORT list")
          ->option_text("ENDPOINTS");
  app.add_option("--config-key", options->key, "with --config-etcd: the etcd key of the config")
      ->option_text("KEY");
  app.add_option("--config-format", options->format,
                 "with --config-etcd: the format of the key's value (default auto: JSON if it "
                 "starts with '{', else text format)")
      ->option_text("auto|text|json");
  app.add_option("--config-poll-ms", options->poll_ms,
                 "with --config-etcd: how often the key is read, 50 to 60000 ms (default 500)")
      ->option_text("N");
  for (const std::string& name : exclusive) {
    if (CLI::Option* other = app.get_option_no_throw(name)) endpoints->excludes(other);
  }
}

absl::StatusOr<std::unique_ptr<ConfigSource>> ConfigSource::Create(const Options& options,
                                                                   std::string router) {
  if (!options.endpoints) return absl::InvalidArgumentError("--config-key needs --config-etcd");
  if (!options.key || options.key->empty()) {
    return absl::InvalidArgumentError("--config-etcd needs --config-key KEY");
  }
  if (options.poll_ms < 50 || options.poll_ms > 60000) {
    return absl::InvalidArgumentError("--config-poll-ms: " + std::to_string(options.poll_ms) +
                                      " is not from 50 to 60000");
  }
  absl::StatusOr<std::vector<Endpoint>> endpoints = ParseEndpoints(*options.endpoints);
  if (!endpoints.ok()) return endpoints.status();
  absl::StatusOr<ConfigFormat> format = ParseFormat(options.format);
  if (!format.ok()) return format.status();
  return std::unique_ptr<ConfigSource>(
      new ConfigSource(options, std::move(*endpoints), *format, std::move(router)));
}

ConfigSource::ConfigSource(const Options& options, std::vector<Endpoint> endpoints,
                           ConfigFormat format, std::string router)
    : key_(*options.key),
      status_key_(StatusKey(*options.key, router)),
      router_name_(std::move(router)),
      format_(format),
      poll_(options.poll_ms),
      client_(std::move(endpoints), kRequestTimeout) {}

ConfigSource::~ConfigSource() { Stop(); }

absl::StatusOr<Config> ConfigSource::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  const bool first = !loaded_once_;
  absl::StatusOr<RangeResult> got;
  std::string last_error;
  for (int failures = 0;; ++failures) {
    got = client_.Get(key_);
    std::string error;
    if (!got.ok()) {
      error = std::string(got.status().message());
    } else if (!got->found) {
      error = "the config key does not exist (yet)";
    } else {
      break;
    }
    if (!first) return absl::UnavailableError(error);
    if (error != last_error) Log(LogSeverity::kWarning, error + "; waiting for it");
    last_error = error;
    std::this_thread::sleep_for(Backoff(poll_, failures));
  }
  loaded_once_ = true;
  Result<Config> config = Config::Parse(got->value, format_);
  if (!config.ok()) {
    if (first) {
      seen_revision_ = got->mod_revision;
      WriteStatus(RejectedStatus(router_name_, got->mod_revision,
                                 std::string(config.status().message()), 0));
    }
    return absl::InvalidArgumentError("etcd revision " + std::to_string(got->mod_revision) + ":\n" +
                                      std::string(config.status().message()));
  }
  loaded_revision_ = got->mod_revision;
  if (first) {
    Log(LogSeverity::kInfo, "config revision " + std::to_string(loaded_revision_) +
                                " read from etcd (" + std::to_string(got->value.size()) +
                                " bytes)");
  }
  return std::move(config).value();
}

void ConfigSource::Start(Router* router) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    router_ = router;
    seen_revision_ = applied_revision_ = loaded_revision_;
    WriteStatus(AppliedStatus(router_name_, applied_revision_));
  }
  thread_ = std::thread([this] { Run(); });
}

void ConfigSource::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ConfigSource::WaitFor(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void ConfigSource::Run() {
  int failures = 0;
  std::string last_error;
  while (WaitFor(Backoff(poll_, failures))) {
    absl::Status st;
    {
      std::lock_guard<std::mutex> lock(mu_);
      st = PollOnce();
    }
    if (st.ok()) {
      if (failures > 0) Log(LogSeverity::kInfo, "etcd answers again");
      failures = 0;
      last_error.clear();
      continue;
    }
    ++failures;
    const std::string error(st.message());
    if (error != last_error) {
      Log(LogSeverity::kWarning, error + "; retrying with backoff (the config in use stays)");
    }
    last_error = error;
  }
}

absl::Status ConfigSource::PollOnce() {
  absl::StatusOr<RangeResult> got = client_.Get(key_);
  if (!got.ok()) return got.status();
  if (pending_status_) WriteStatus(std::move(*pending_status_));
  if (!got->found) {
    if (seen_revision_ != -1) {
      Log(LogSeverity::kWarning, "the config key was deleted; the config in use stays");
      seen_revision_ = -1;
    }
    return absl::OkStatus();
  }
  if (got->mod_revision == seen_revision_) return absl::OkStatus();
  const int64_t revision = got->mod_revision;
  seen_revision_ = revision;
  Result<Config> config = Config::Parse(got->value, format_);
  const Status st = config.ok() ? router_->Reload(*config) : config.status();
  if (st.ok()) {
    applied_revision_ = revision;
    Log(LogSeverity::kInfo, "config revision " + std::to_string(revision) +
                                " applied (generation " +
                                std::to_string(router_->Stats().config_generation) + ")");
    WriteStatus(AppliedStatus(router_name_, revision));
  } else {
    Log(LogSeverity::kError, "config revision " + std::to_string(revision) +
                                 " rejected, revision " + std::to_string(applied_revision_) +
                                 " keeps running:\n" + std::string(st.message()));
    WriteStatus(
        RejectedStatus(router_name_, revision, std::string(st.message()), applied_revision_));
  }
  return absl::OkStatus();
}

void ConfigSource::WriteStatus(std::string document) {
  pending_status_.reset();
  const absl::Status st = client_.Put(status_key_, document);
  if (st.ok()) return;
  Log(LogSeverity::kWarning,
      "could not write the status key (retried at the next poll): " + std::string(st.message()));
  pending_status_ = std::move(document);
}

}  // namespace ssr::etcd
