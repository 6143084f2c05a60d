// SPDX-License-Identifier: Apache-2.0
// ssr-router's config from etcd (tools/etcd/etcd_config.h) without etcd: base64, endpoints, the
// JSON gateway's request and answer documents, the status documents, and the client and
// ConfigSource::Load against a fake gateway (cpp-httplib server on 127.0.0.1, a map for a store)
// that answers like etcd's /v3/kv/range and /v3/kv/put. The real etcd is netns.etcd_config's.
#include "etcd_config.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "ssr/config/v1/config.pb.h"

namespace ssr::etcd {
namespace {

using Json = nlohmann::json;

TEST_CASE("base64 encodes the RFC 4648 test vectors and decodes them back") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(Base64Encode(plain) == encoded);
    CHECK(Base64Decode(encoded) == std::optional<std::string>(plain));
  }
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  CHECK(Base64Encode(binary).size() == 344);
  CHECK(Base64Decode(Base64Encode(binary)) == binary);
  CHECK(Base64Encode("\xff\xfe") == "//4=");
}

TEST_CASE("base64 refuses what is not base64") {
  CHECK_FALSE(Base64Decode("Zg=").has_value());       // length not a multiple of 4
  CHECK_FALSE(Base64Decode("Z!==").has_value());      // not in the alphabet
  CHECK_FALSE(Base64Decode("Zg==Zm9v").has_value());  // padding before the end
  CHECK_FALSE(Base64Decode("Z=g=").has_value());      // data after padding
  CHECK_FALSE(Base64Decode("====").has_value());
}

TEST_CASE("endpoints: URL or host:port lists, default port, IPv6 in brackets, errors name them") {
  auto eps = ParseEndpoints("http://10.0.0.1:2379,10.0.0.2,[fd00::1]:4001,http://h:1/");
  REQUIRE(eps.ok());
  REQUIRE(eps->size() == 4);
  CHECK((*eps)[0].host == "10.0.0.1");
  CHECK((*eps)[0].port == 2379);
  CHECK((*eps)[1].host == "10.0.0.2");
  CHECK((*eps)[1].port == 2379);
  CHECK((*eps)[2].host == "fd00::1");
  CHECK((*eps)[2].port == 4001);
  CHECK((*eps)[2].ToString() == "[fd00::1]:4001");
  CHECK((*eps)[3].ToString() == "h:1");
  for (const char* bad : {"", "a,,b", "https://x:2379", "x:0", "x:65536", "x:abc", "fd00::1",
                          "[fd00::1", ":2379", "x:"}) {
    INFO(bad);
    const auto st = ParseEndpoints(bad);
    REQUIRE_FALSE(st.ok());
    CHECK(std::string(st.status().message()).rfind("--config-etcd: ", 0) == 0);
  }
  CHECK(std::string(ParseEndpoints("https://x").status().message()) ==
        "--config-etcd: \"https://x\": https is not supported (use http://)");
}

TEST_CASE("config formats") {
  CHECK(*ParseFormat("auto") == ConfigFormat::kAuto);
  CHECK(*ParseFormat("text") == ConfigFormat::kText);
  CHECK(*ParseFormat("json") == ConfigFormat::kJson);
  CHECK(std::string(ParseFormat("yaml").status().message()) ==
        "--config-format: \"yaml\" is not auto, text or json");
}

TEST_CASE("range and put requests carry base64 keys and values") {
  CHECK(Json::parse(RangeRequest("/ssr/fleet")) == Json{{"key", "L3Nzci9mbGVldA=="}});
  CHECK(Json::parse(PutRequest("k", "{\"a\": 1}")) ==
        Json{{"key", "aw=="}, {"value", Base64Encode("{\"a\": 1}")}});
}

TEST_CASE("range answers: found, missing, numbers, gateway errors, damage") {
  // As etcd 3.4's gateway writes it: int64 as strings.
  auto r = ParseRangeResponse(
      R"({"header":{"cluster_id":"1","member_id":"2","revision":"12","raft_term":"2"},)"
      R"("kvs":[{"key":"aw==","create_revision":"4","mod_revision":"11","version":"3",)"
      R"("value":"aGVsbG8="}],"count":"1"})");
  REQUIRE(r.ok());
  CHECK(r->found);
  CHECK(r->revision == 12);
  CHECK(r->mod_revision == 11);
  CHECK(r->value == "hello");
  // Missing key: no kvs, no count.
  r = ParseRangeResponse(R"({"header":{"revision":"7"}})");
  REQUIRE(r.ok());
  CHECK_FALSE(r->found);
  CHECK(r->revision == 7);
  // An empty value is omitted; numbers instead of strings are accepted.
  r = ParseRangeResponse(R"({"header":{"revision":9},"kvs":[{"key":"aw==","mod_revision":9}]})");
  REQUIRE(r.ok());
  CHECK(r->found);
  CHECK(r->value.empty());
  CHECK(r->mod_revision == 9);

  auto bad = ParseRangeResponse(R"({"error":"etcdserver: request timed out","code":14,)"
                                R"("message":"etcdserver: request timed out"})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "etcd error: etcdserver: request timed out");
  CHECK_FALSE(ParseRangeResponse("not json").ok());
  CHECK_FALSE(ParseRangeResponse("[1]").ok());
  CHECK_FALSE(ParseRangeResponse(R"({"kvs":[]})").ok());  // no header
  CHECK_FALSE(ParseRangeResponse(R"({"header":{"revision":"x1"}})").ok());
  CHECK_FALSE(
      ParseRangeResponse(R"({"header":{"revision":"1"},"kvs":[{"mod_revision":"1","value":"%%"}]})")
          .ok());
  CHECK(GatewayError(404, "404 page not found") == "HTTP status 404");
  CHECK(GatewayError(400, R"({"error":"bad","code":3})") == "etcd error: bad");
}

TEST_CASE("status documents: applied, rejected with one error per line") {
  CHECK(Json::parse(AppliedStatus("branch", 7)) ==
        Json{{"router", "branch"}, {"applied_revision", 7}});
  const Json rejected =
      Json::parse(RejectedStatus("dc", 8, "tenants[0].name: \"\" is empty\nservices[1]: bad\n", 7));
  CHECK(rejected == Json{{"router", "dc"},
                         {"rejected_revision", 8},
                         {"errors", {"tenants[0].name: \"\" is empty", "services[1]: bad"}},
                         {"applied_revision", 7}});
  // Nothing runs yet (a rejected first revision): no applied_revision.
  CHECK_FALSE(Json::parse(RejectedStatus("dc", 3, "x", 0)).contains("applied_revision"));
  // Invalid UTF-8 in an error does not break the document.
  CHECK(Json::parse(RejectedStatus("dc", 3, "bad \xff byte", 0))["errors"].size() == 1);
  CHECK(StatusKey("/ssr/fleet", "branch") == "/ssr/fleet/status/branch");
}

// A fake gateway: /v3/kv/range and /v3/kv/put on a map, revisions like etcd's.
class FakeEtcd {
 public:
  FakeEtcd() {
    server_.Post("/v3/kv/range", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++ranges_;
      const std::string key = *Base64Decode(Json::parse(req.body)["key"].get<std::string>());
      Json doc{{"header", {{"revision", std::to_string(revision_)}}}};
      if (auto it = store_.find(key); it != store_.end()) {
        doc["kvs"] = Json::array({{{"key", Base64Encode(key)},
                                   {"mod_revision", std::to_string(it->second.first)},
                                   {"value", Base64Encode(it->second.second)}}});
        doc["count"] = "1";
      }
      res.set_content(doc.dump(), "application/json");
    });
    server_.Post("/v3/kv/put", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const Json in = Json::parse(req.body);
      store_[*Base64Decode(in["key"].get<std::string>())] = {
          ++revision_, *Base64Decode(in["value"].get<std::string>())};
      res.set_content(Json{{"header", {{"revision", std::to_string(revision_)}}}}.dump(),
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeEtcd() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void Set(const std::string& key, const std::string& value) {
    std::lock_guard<std::mutex> lock(mu_);
    store_[key] = {++revision_, value};
  }
  std::optional<std::string> Value(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = store_.find(key);
    if (it == store_.end()) return std::nullopt;
    return it->second.second;
  }
  int64_t Revision(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return store_.at(key).first;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  int64_t revision_ = 1;
  int ranges_ = 0;
  std::map<std::string, std::pair<int64_t, std::string>> store_;
};

std::string DefaultConfigText() {
  std::ifstream in(SSR_SOURCE_DIR "/examples/configs/default.textproto");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("client: put then get through the fake gateway, a dead endpoint is skipped") {
  FakeEtcd etcd;
  // Port 1 on 127.0.0.1 refuses connections: the client goes on to the next endpoint.
  Client client({{"127.0.0.1", 1}, {"127.0.0.1", etcd.port()}}, std::chrono::milliseconds(500));
  auto missing = client.Get("/k");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->found);
  REQUIRE(client.Put("/k", std::string("v\0al", 4)).ok());
  auto got = client.Get("/k");
  REQUIRE(got.ok());
  CHECK(got->found);
  CHECK(got->value == std::string("v\0al", 4));
  CHECK(got->mod_revision == etcd.Revision("/k"));

  Client dead({{"127.0.0.1", 1}}, std::chrono::milliseconds(500));
  auto err = dead.Get("/k");
  REQUIRE_FALSE(err.ok());
  CHECK(err.status().code() == absl::StatusCode::kUnavailable);
  CHECK(err.status().message() == "127.0.0.1:1: cannot connect (refused or unreachable)");
}

TEST_CASE("config source: Load validates the key's value, a bad first revision is reported") {
  FakeEtcd etcd;
  Options options;
  options.endpoints = "http://127.0.0.1:" + std::to_string(etcd.port());
  options.key = "/ssr/fleet";
  options.poll_ms = 50;

  etcd.Set("/ssr/fleet", "tenants { name: \"\" }\n");
  {
    auto source = ConfigSource::Create(options, "branch");
    REQUIRE(source.ok());
    auto config = (*source)->Load();
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    const std::optional<std::string> status = etcd.Value("/ssr/fleet/status/branch");
    REQUIRE(status.has_value());
    const Json doc = Json::parse(*status);
    CHECK(doc["router"] == "branch");
    CHECK(doc["rejected_revision"] == etcd.Revision("/ssr/fleet"));
    CHECK_FALSE(doc["errors"].empty());
    CHECK_FALSE(doc.contains("applied_revision"));
  }

  etcd.Set("/ssr/fleet", DefaultConfigText());
  auto source = ConfigSource::Create(options, "datacenter");
  REQUIRE(source.ok());
  auto config = (*source)->Load();
  REQUIRE(config.ok());
  CHECK(config->RouterNames() == std::vector<std::string>{"branch", "datacenter"});
  // JSON forced on a text value: refused by the parser, named by the revision.
  options.format = "json";
  auto json_source = ConfigSource::Create(options, "datacenter");
  REQUIRE(json_source.ok());
  auto refused = (*json_source)->Load();
  REQUIRE_FALSE(refused.ok());
  CHECK(std::string(refused.status().message())
            .rfind("etcd revision " + std::to_string(etcd.Revision("/ssr/fleet")) + ":", 0) == 0);
}

TEST_CASE("config source: a JSON value is detected (auto) or required (json), text refuses it") {
  ssr::config::v1::Config proto;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(DefaultConfigText(), &proto));
  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(proto, &json).ok());
  FakeEtcd etcd;
  etcd.Set("/ssr/json", json);
  Options options;
  options.endpoints = "127.0.0.1:" + std::to_string(etcd.port());
  options.key = "/ssr/json";
  for (const char* format : {"auto", "json", "text"}) {
    INFO(format);
    options.format = format;
    auto source = ConfigSource::Create(options, "branch");
    REQUIRE(source.ok());
    auto config = (*source)->Load();
    CHECK(config.ok() == (std::string(format) != "text"));
    if (config.ok()) CHECK(config->organization() == proto.organization());
  }
}

TEST_CASE("config source: option errors name the option") {
  Options options;
  options.key = "/k";
  CHECK(std::string(ConfigSource::Create(options, "r").status().message()) ==
        "--config-key needs --config-etcd");
  options.endpoints = "h";
  options.key.reset();
  CHECK(std::string(ConfigSource::Create(options, "r").status().message()) ==
        "--config-etcd needs --config-key KEY");
  options.key = "/k";
  options.poll_ms = 10;
  CHECK(std::string(ConfigSource::Create(options, "r").status().message()) ==
        "--config-poll-ms: 10 is not from 50 to 60000");
  options.poll_ms = 500;
  options.format = "xml";
  CHECK_FALSE(ConfigSource::Create(options, "r").ok());
}

}  // namespace
}  // namespace ssr::etcd
