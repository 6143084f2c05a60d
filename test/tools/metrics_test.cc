// SPDX-License-Identifier: Apache-2.0
// The Prometheus exposition of a RouterStats (tools/metrics/metrics_text.h) on synthetic stats:
// the exact text of a small case, OpenMetrics framing, escaping of label values and HELP, every
// name valid per the Prometheus regexes with one TYPE per family; and MetricsServer
// (metrics_server.h) on 127.0.0.1: GET /metrics answers FormatMetrics with the negotiated
// content type, a port in use is an error naming the address and the reason, bad ADDR:PORT
// values are refused with their value.
#include "metrics_text.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <iterator>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "metrics_server.h"
#include "ssr/version.h"

namespace ssr::metrics {
namespace {

RouterStats Small() {
  RouterStats s;
  s.router = "r1";
  s.config_generation = 2;
  s.running = true;
  s.sessions_live = 3;
  s.sessions_budgeted = 3;
  s.reloads_ok = 1;
  s.gate = {{"lan_allow", 5, false, "LAN: allowed"},
            {"drop_non_member", 7, true, "LAN: source is a member of no tenant"}};
  s.pipeline = {{"rx_packets", 11, false, "packets received"},
                {"no_neighbor", 2, true, "dropped: no MAC for the next hop"}};
  s.policy = {{"policy_allow", 4, false, "first packet allowed"}};
  PeerStats p;
  p.name = "dc";
  p.sessions = 3;
  PeerPathStats pp;
  pp.name = "wan0:192.0.2.2";
  pp.interface = "wan0";
  pp.local = "192.0.2.1";
  pp.remote = "192.0.2.2";
  pp.up = true;
  pp.bfd_state = "Up";
  pp.quality_measured = true;
  pp.latency_ms = 12.5;
  pp.jitter_ms = 0.25;
  pp.loss_percent = 1.5;
  pp.mos = 4.25;
  pp.sessions = 3;
  pp.status_changes = 1;
  pp.tx_frames = 10;
  pp.rx_frames = 9;
  p.paths.push_back(pp);
  s.peers.push_back(p);
  s.routes.push_back({"to-dc", "web", "peer dc", 3});
  WorkerStats w;
  w.id = 0;
  w.rx_packets = 11;
  w.tx_packets = 10;
  w.sessions = 3;
  w.polls = 100;
  w.idle_sleeps = 50;
  s.workers.push_back(w);
  return s;
}

TEST_CASE("a small RouterStats, exact Prometheus text") {
  const std::string want = std::string() +
                           "# HELP ssr_router_info The router this process runs and the libssr "
                           "version\n"
                           "# TYPE ssr_router_info gauge\n"
                           "ssr_router_info{router=\"r1\",version=\"" SSR_VERSION_STRING
                           "\"} 1\n"
                           "# HELP ssr_router_running 1 while the router's workers run\n"
                           "# TYPE ssr_router_running gauge\n"
                           "ssr_router_running 1\n"
                           "# HELP ssr_config_generation 1 for the config the router was created "
                           "with, +1 for every successful reload\n"
                           "# TYPE ssr_config_generation gauge\n"
                           "ssr_config_generation 2\n"
                           "# HELP ssr_reloads_total Config reloads by result (ok, failed)\n"
                           "# TYPE ssr_reloads_total counter\n"
                           "ssr_reloads_total{result=\"ok\"} 1\n"
                           "ssr_reloads_total{result=\"failed\"} 0\n"
                           "# HELP ssr_sessions Live sessions, summed over the workers' snapshots "
                           "(up to ~100 ms apart)\n"
                           "# TYPE ssr_sessions gauge\n"
                           "ssr_sessions 3\n"
                           "# HELP ssr_sessions_budgeted Router-wide sessions the workers admit "
                           "against limits.max_sessions\n"
                           "# TYPE ssr_sessions_budgeted gauge\n"
                           "ssr_sessions_budgeted 3\n"
                           "# HELP ssr_session_events_delivered_total Session events delivered "
                           "to the session callback\n"
                           "# TYPE ssr_session_events_delivered_total counter\n"
                           "ssr_session_events_delivered_total 0\n"
                           "# HELP ssr_session_events_dropped_total Session events lost because "
                           "a worker's bounded event queue was full\n"
                           "# TYPE ssr_session_events_dropped_total counter\n"
                           "ssr_session_events_dropped_total 0\n"
                           "# HELP ssr_neighbor_refreshes_total Kernel neighbour-table reads "
                           "applied to the workers\n"
                           "# TYPE ssr_neighbor_refreshes_total counter\n"
                           "ssr_neighbor_refreshes_total 0\n"
                           "# HELP ssr_neighbor_kicks_total Kernel resolutions asked for next "
                           "hops without a MAC address\n"
                           "# TYPE ssr_neighbor_kicks_total counter\n"
                           "ssr_neighbor_kicks_total 0\n"
                           "# HELP ssr_dropped_packets_total Packets dropped: the gate's drop_* "
                           "reasons plus the pipeline's drop counters\n"
                           "# TYPE ssr_dropped_packets_total counter\n"
                           "ssr_dropped_packets_total 9\n"
                           "# HELP ssr_gate_packets_total Packets by XDP gate verdict (label "
                           "reason; drop_* reasons are drops): lan_allow: LAN: allowed; "
                           "drop_non_member: LAN: source is a member of no tenant\n"
                           "# TYPE ssr_gate_packets_total counter\n"
                           "ssr_gate_packets_total{reason=\"lan_allow\"} 5\n"
                           "ssr_gate_packets_total{reason=\"drop_non_member\"} 7\n"
                           "# HELP ssr_pipeline_rx_packets_total packets received\n"
                           "# TYPE ssr_pipeline_rx_packets_total counter\n"
                           "ssr_pipeline_rx_packets_total 11\n"
                           "# HELP ssr_pipeline_no_neighbor_total dropped: no MAC for the next "
                           "hop\n"
                           "# TYPE ssr_pipeline_no_neighbor_total counter\n"
                           "ssr_pipeline_no_neighbor_total 2\n"
                           "# HELP ssr_policy_allow_total first packet allowed\n"
                           "# TYPE ssr_policy_allow_total counter\n"
                           "ssr_policy_allow_total 4\n"
                           "# HELP ssr_peer_sessions Live sessions toward the peer (~1 s old)\n"
                           "# TYPE ssr_peer_sessions gauge\n"
                           "ssr_peer_sessions{peer=\"dc\"} 3\n"
                           "# HELP ssr_path_info A peer path: our waypoint address and the "
                           "peer's\n"
                           "# TYPE ssr_path_info gauge\n"
                           "ssr_path_info{peer=\"dc\",path=\"wan0:192.0.2.2\",interface=\"wan0\","
                           "local=\"192.0.2.1\",remote=\"192.0.2.2\"} 1\n";
  const std::string l = "{peer=\"dc\",path=\"wan0:192.0.2.2\",interface=\"wan0\"}";
  const std::string paths =
      "# HELP ssr_path_up 1 when new sessions may take the path\n"
      "# TYPE ssr_path_up gauge\n"
      "ssr_path_up" + l + " 1\n"
      "# HELP ssr_path_bfd_up 1 when the path's BFD session is Up\n"
      "# TYPE ssr_path_bfd_up gauge\n"
      "ssr_path_bfd_up" + l + " 1\n"
      "# HELP ssr_path_latency_seconds Link-test average latency of the path (paths with a "
      "measurement only)\n"
      "# TYPE ssr_path_latency_seconds gauge\n"
      "ssr_path_latency_seconds" + l + " 0.0125\n"
      "# HELP ssr_path_jitter_seconds Link-test average jitter of the path\n"
      "# TYPE ssr_path_jitter_seconds gauge\n"
      "ssr_path_jitter_seconds" + l + " 0.00025\n"
      "# HELP ssr_path_loss_ratio Link-test loss of the path, 0 to 1\n"
      "# TYPE ssr_path_loss_ratio gauge\n"
      "ssr_path_loss_ratio" + l + " 0.015\n"
      "# HELP ssr_path_mos Mean opinion score of the path computed from the link test\n"
      "# TYPE ssr_path_mos gauge\n"
      "ssr_path_mos" + l + " 4.25\n"
      "# HELP ssr_path_sessions Live sessions on the path (~1 s old)\n"
      "# TYPE ssr_path_sessions gauge\n"
      "ssr_path_sessions" + l + " 3\n"
      "# HELP ssr_path_status_changes_total Times the path went down or came up since the "
      "router started\n"
      "# TYPE ssr_path_status_changes_total counter\n"
      "ssr_path_status_changes_total" + l + " 1\n"
      "# HELP ssr_path_tx_frames_total BFD and link-test frames sent on the path\n"
      "# TYPE ssr_path_tx_frames_total counter\n"
      "ssr_path_tx_frames_total" + l + " 10\n"
      "# HELP ssr_path_rx_frames_total BFD and link-test frames received on the path\n"
      "# TYPE ssr_path_rx_frames_total counter\n"
      "ssr_path_rx_frames_total" + l + " 9\n"
      "# HELP ssr_route_sessions Live sessions the service route carries (~1 s old)\n"
      "# TYPE ssr_route_sessions gauge\n"
      "ssr_route_sessions{route=\"to-dc\",service=\"web\",target=\"peer dc\"} 3\n"
      "# HELP ssr_workers Worker threads of the router\n"
      "# TYPE ssr_workers gauge\n"
      "ssr_workers 1\n"
      "# HELP ssr_worker_rx_packets_total Packets the worker received\n"
      "# TYPE ssr_worker_rx_packets_total counter\n"
      "ssr_worker_rx_packets_total{worker=\"0\"} 11\n"
      "# HELP ssr_worker_tx_packets_total Packets the worker sent\n"
      "# TYPE ssr_worker_tx_packets_total counter\n"
      "ssr_worker_tx_packets_total{worker=\"0\"} 10\n"
      "# HELP ssr_worker_sessions Live sessions in the worker's table\n"
      "# TYPE ssr_worker_sessions gauge\n"
      "ssr_worker_sessions{worker=\"0\"} 3\n"
      "# HELP ssr_worker_polls_total Loop iterations of the worker\n"
      "# TYPE ssr_worker_polls_total counter\n"
      "ssr_worker_polls_total{worker=\"0\"} 100\n"
      "# HELP ssr_worker_idle_sleeps_total Times the worker slept waiting for packets\n"
      "# TYPE ssr_worker_idle_sleeps_total counter\n"
      "ssr_worker_idle_sleeps_total{worker=\"0\"} 50\n";
  CHECK(FormatMetrics(Small(), Format::kPrometheus) == want + paths);
}

TEST_CASE("per-service session counts and WAN assurance SLEs") {
  RouterStats s = Small();
  s.services = {{"voice", 90, 2, 8}};
  s.health.window_seconds = 300;
  s.health.items = {{"gateway", "", 100, "", 300}, {"path", "dc/inet", 98.5, "loss", 300}};
  const std::string text = FormatMetrics(s, Format::kPrometheus);
  CHECK(text.find("ssr_service_sessions_opened_total{service=\"voice\"} 90\n") !=
        std::string::npos);
  CHECK(text.find("ssr_service_sessions_refused_total{service=\"voice\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("ssr_service_no_usable_path_total{service=\"voice\"} 8\n") != std::string::npos);
  CHECK(text.find("# TYPE ssr_health_sle_ratio gauge\n") != std::string::npos);
  CHECK(text.find("ssr_health_sle_ratio{scope=\"gateway\",name=\"\"} 1\n") != std::string::npos);
  CHECK(text.find("ssr_health_sle_ratio{scope=\"path\",name=\"dc/inet\"} 0.985\n") !=
        std::string::npos);
  CHECK(text.find("ssr_health_cost_info{scope=\"path\",name=\"dc/inet\",classifier=\"loss\"} 1\n") !=
        std::string::npos);
  // Nothing cost anything at the gateway: no info sample for it.
  CHECK(text.find("ssr_health_cost_info{scope=\"gateway\"") == std::string::npos);
}

std::map<std::string, std::string> CheckExposition(const std::string& text);  // below

TEST_CASE("first-packet latency: a Prometheus histogram per service, cumulative buckets, seconds") {
  RouterStats s = Small();
  s.services = {{"voice", 3, 0, 0}, {"web", 0, 0, 0}};
  ServiceStats::SetupLatency& h = s.services[0].setup_latency;
  h.buckets[0] = 1;   // ≤ 1 µs
  h.buckets[6] = 2;   // (32, 64] µs
  h.buckets[ServiceStats::SetupLatency::kBuckets - 1] = 1;  // over 2^22 µs
  h.count = 4;
  h.sum_us = 5'000'100;
  for (const Format format : {Format::kPrometheus, Format::kOpenMetrics}) {
    const std::string text = FormatMetrics(s, format);
    INFO(text);
    CHECK(text.find("# HELP ssr_service_setup_latency_seconds Time a session's first packet "
                    "spent in this router") != std::string::npos);
    const std::string f = "ssr_service_setup_latency_seconds";
    CHECK(text.find("# TYPE " + f + " histogram\n" +                          //
                    f + "_bucket{service=\"voice\",le=\"1e-06\"} 1\n" +     // ≤ 1 µs
                    f + "_bucket{service=\"voice\",le=\"2e-06\"} 1\n") !=  // cumulative
          std::string::npos);
    CHECK(text.find(f + "_bucket{service=\"voice\",le=\"3.2e-05\"} 1\n" +  //
                    f + "_bucket{service=\"voice\",le=\"6.4e-05\"} 3\n") != std::string::npos);
    CHECK(text.find(f + "_bucket{service=\"voice\",le=\"4.194304\"} 3\n" +  //
                    f + "_bucket{service=\"voice\",le=\"+Inf\"} 4\n" +      //
                    f + "_sum{service=\"voice\"} 5.0001\n" +                  //
                    f + "_count{service=\"voice\"} 4\n") != std::string::npos);
    // Every service has its histogram, measured or not; one TYPE line.
    CHECK(text.find(f + "_bucket{service=\"web\",le=\"+Inf\"} 0\n") != std::string::npos);
    CHECK(text.find("ssr_service_setup_latency_seconds_count{service=\"web\"} 0\n") !=
          std::string::npos);
    CHECK(text.find("# TYPE ssr_service_setup_latency_seconds") ==
          text.rfind("# TYPE ssr_service_setup_latency_seconds"));
  }
  CheckExposition(FormatMetrics(s, Format::kPrometheus));
}

TEST_CASE("the Grafana dashboard in examples/ queries only families the exposition has") {
  std::ifstream in(std::string(SSR_SOURCE_DIR) + "/examples/grafana/ssr-wan-assurance.json");
  REQUIRE(in.good());
  const std::string dashboard((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  RouterStats s = Small();
  s.services = {{"voice", 1, 0, 0}};
  s.health.items = {{"path", "dc/inet", 50, "loss", 10}};
  const std::string text = FormatMetrics(s, Format::kPrometheus);
  size_t names = 0;
  for (size_t at = dashboard.find("ssr_"); at != std::string::npos;
       at = dashboard.find("ssr_", at + 1)) {
    size_t end = at;
    while (end < dashboard.size() && (std::isalnum(static_cast<unsigned char>(dashboard[end])) ||
                                      dashboard[end] == '_')) {
      ++end;
    }
    std::string name = dashboard.substr(at, end - at);
    if (name == "ssr_wan_assurance" || name.empty()) continue;
    INFO(name);
    // A histogram's series (_bucket, _sum, _count) belong to the family without the suffix.
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base = name.substr(0, name.size() - std::min(name.size(), suffix.size()));
      if (name.size() > suffix.size() && name.substr(base.size()) == suffix &&
          text.find("# TYPE " + base + " histogram\n") != std::string::npos) {
        name = base;
      }
    }
    CHECK(text.find("# TYPE " + name + " ") != std::string::npos);
    ++names;
    at = end;
  }
  CHECK(names >= 10);
}

TEST_CASE("OpenMetrics: family names without suffix, info type, # EOF") {
  const std::string text = FormatMetrics(Small(), Format::kOpenMetrics);
  CHECK(text.find("# TYPE ssr_gate_packets counter\n"
                  "ssr_gate_packets_total{reason=\"lan_allow\"} 5\n") != std::string::npos);
  CHECK(text.find("# TYPE ssr_router info\nssr_router_info{router=\"r1\"") != std::string::npos);
  CHECK(text.find("# TYPE ssr_path_up gauge\n") != std::string::npos);
  CHECK(text.find("_total counter") == std::string::npos);
  REQUIRE(text.size() > 6);
  CHECK(text.substr(text.size() - 6) == "# EOF\n");
  CHECK(FormatMetrics(Small(), Format::kPrometheus).find("# EOF") == std::string::npos);
  CHECK(NegotiateFormat("application/openmetrics-text;version=1.0.0,text/plain;q=0.5") ==
        Format::kOpenMetrics);
  CHECK(NegotiateFormat("text/plain") == Format::kPrometheus);
  CHECK(NegotiateFormat("") == Format::kPrometheus);
  CHECK(ContentType(Format::kOpenMetrics).substr(0, 28) == "application/openmetrics-text");
  CHECK(ContentType(Format::kPrometheus) == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("label values and HELP are escaped") {
  CHECK(EscapeLabelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  CHECK(EscapeLabelValue("plain") == "plain");
  RouterStats s = Small();
  s.router = "r\"1\\\n";
  s.peers[0].name = "d\"c";
  s.pipeline[0].help = "line1\nback\\slash \"quoted\"";
  const std::string prom = FormatMetrics(s, Format::kPrometheus);
  CHECK(prom.find("ssr_router_info{router=\"r\\\"1\\\\\\n\",") != std::string::npos);
  CHECK(prom.find("ssr_peer_sessions{peer=\"d\\\"c\"} 3\n") != std::string::npos);
  // 0.0.4 escapes backslash and newline in HELP; OpenMetrics also the double quote.
  CHECK(prom.find("# HELP ssr_pipeline_rx_packets_total line1\\nback\\\\slash \"quoted\"\n") !=
        std::string::npos);
  const std::string om = FormatMetrics(s, Format::kOpenMetrics);
  CHECK(om.find("# HELP ssr_pipeline_rx_packets line1\\nback\\\\slash \\\"quoted\\\"\n") !=
        std::string::npos);
}

// Checks every line of a Prometheus text exposition: names and label names valid, each sample's
// family declared once by a TYPE line before it, counters ending in _total. Returns the samples.
std::map<std::string, std::string> CheckExposition(const std::string& text) {
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, std::string> samples;
  std::istringstream in(text);
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    INFO(line);
    REQUIRE(!line.empty());
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      CHECK(IsValidMetricName(name));
      CHECK(types.count(name) == 0);
      CHECK((type == "counter" || type == "gauge" || type == "histogram"));
      if (type == "counter") CHECK(name.size() > 6);
      if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
      types[name] = type;
      current = name;
      continue;
    }
    REQUIRE(line[0] != '#');
    const size_t end = line.find_first_of("{ ");
    REQUIRE(end != std::string::npos);
    const std::string name = line.substr(0, end);
    CHECK(IsValidMetricName(name));
    if (types[current] == "histogram") {
      CHECK((name == current + "_bucket" || name == current + "_sum" ||
             name == current + "_count"));
    } else {
      CHECK(name == current);
    }
    const size_t value_at = line.rfind(' ');
    if (line[end] == '{') {
      const size_t close = line.rfind('}');
      REQUIRE(close != std::string::npos);
      // Label names: the words before each =" (values here contain no '=' or ',').
      std::string labels = line.substr(end + 1, close - end - 1);
      size_t pos = 0;
      while (pos < labels.size()) {
        const size_t eq = labels.find("=\"", pos);
        REQUIRE(eq != std::string::npos);
        CHECK(IsValidLabelName(labels.substr(pos, eq - pos)));
        const size_t q = labels.find('"', eq + 2);
        REQUIRE(q != std::string::npos);
        pos = q + 2;  // past the closing quote and the comma
      }
    }
    samples[line.substr(0, value_at)] = line.substr(value_at + 1);
  }
  return samples;
}

TEST_CASE("every name is valid, every family declared once") {
  CHECK(IsValidMetricName("ssr_gate_packets_total"));
  CHECK(IsValidMetricName("a:b_1"));
  CHECK_FALSE(IsValidMetricName("1abc"));
  CHECK_FALSE(IsValidMetricName("a.b"));
  CHECK_FALSE(IsValidMetricName(""));
  CHECK(IsValidLabelName("peer"));
  CHECK_FALSE(IsValidLabelName("__name"));
  CHECK_FALSE(IsValidLabelName("a:b"));
  CHECK(SanitizeName("a.b-c") == "a_b_c");

  RouterStats s = Small();
  s.crypto = {{"hmac.bad-tag", 1, false, "odd name"}};
  s.session = {{"session_inserted", 2, false, ""}};
  InterfaceStats lan, wan;
  lan.name = "lan0";
  lan.os_name = "veth1";
  lan.role = "lan";
  lan.xdp_mode = "native";
  lan.queues = 1;
  lan.counters = {{"xsk_rx_packets", 3, false, "frames received"},
                  {"kernel_rx_dropped", 1, true, "kernel drop"}};
  wan = lan;
  wan.name = "wan0";
  wan.role = "wan";
  s.interfaces = {lan, wan};
  s.services = {{"voice", 1, 0, 0}};
  s.services[0].setup_latency.buckets[5] = 1;
  s.services[0].setup_latency.count = 1;
  const std::map<std::string, std::string> samples =
      CheckExposition(FormatMetrics(s, Format::kPrometheus));
  CHECK(samples.at("ssr_service_setup_latency_seconds_count{service=\"voice\"}") == "1");
  CHECK(samples.at("ssr_crypto_hmac_bad_tag_total") == "1");
  CHECK(samples.at("ssr_session_inserted_total") == "2");  // no ssr_session_session_...
  CHECK(samples.at("ssr_xsk_rx_packets_total{interface=\"wan0\"}") == "3");
  CHECK(samples.at("ssr_xsk_kernel_rx_dropped_total{interface=\"lan0\"}") == "1");
  CHECK(samples.at("ssr_interface_info{interface=\"lan0\",os_name=\"veth1\",role=\"lan\","
                   "xdp_mode=\"native\",zero_copy=\"false\"}") == "1");
  CHECK(samples.at("ssr_gate_packets_total{reason=\"drop_non_member\"}") == "7");
  // A path without a link-test measurement has no quality samples (not zeros).
  s.peers[0].paths[0].quality_measured = false;
  const std::map<std::string, std::string> unmeasured =
      CheckExposition(FormatMetrics(s, Format::kPrometheus));
  for (const auto& [name, value] : unmeasured) {
    CHECK(name.rfind("ssr_path_latency_seconds", 0) == std::string::npos);
    CHECK(name.rfind("ssr_path_mos", 0) == std::string::npos);
  }
  CHECK(unmeasured.count(
            "ssr_path_up{peer=\"dc\",path=\"wan0:192.0.2.2\",interface=\"wan0\"}") == 1);
}

TEST_CASE("ParseListenAddress") {
  auto a = ParseListenAddress("127.0.0.1:9464");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 9464);
  a = ParseListenAddress("[::1]:80");
  REQUIRE(a.ok());
  CHECK(a->host == "::1");
  CHECK(a->port == 80);
  for (const char* bad : {"", "9464", "localhost:9464", "127.0.0.1:", "127.0.0.1:65536",
                          "127.0.0.1:9x", "::1:9464", "[::1]9464", "[10.0.0.1]:80"}) {
    INFO(bad);
    const auto r = ParseListenAddress(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(r.status().message()).find(std::string("\"") + bad + "\"") !=
          std::string::npos);
  }
}

TEST_CASE("MetricsServer answers GET /metrics and names a port in use") {
  int calls = 0;
  auto server = MetricsServer::Start("127.0.0.1:0", [&calls] {
    ++calls;
    return Small();
  });
  REQUIRE(server.ok());
  const uint16_t port = (*server)->port();
  REQUIRE(port != 0);
  CHECK((*server)->address() == "127.0.0.1:" + std::to_string(port));

  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(res->body == FormatMetrics(Small(), Format::kPrometheus));
  res = client.Get("/metrics", {{"Accept", "application/openmetrics-text; version=1.0.0"}});
  REQUIRE(res);
  CHECK(res->get_header_value("Content-Type").rfind("application/openmetrics-text", 0) == 0);
  CHECK(res->body == FormatMetrics(Small(), Format::kOpenMetrics));
  CHECK(calls == 2);
  {
    // A client that connects and says nothing holds one thread; another scrape is answered.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    const auto t0 = std::chrono::steady_clock::now();
    httplib::Client other("127.0.0.1", port);
    auto r2 = other.Get("/metrics");
    REQUIRE(r2);
    CHECK(r2->status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    close(fd);
  }
  res = client.Get("/nothing");
  REQUIRE(res);
  CHECK(res->status == 404);

  const std::string taken = "127.0.0.1:" + std::to_string(port);
  auto second = MetricsServer::Start(taken, [] { return RouterStats{}; });
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(second.status().message()) ==
        "--metrics-listen " + taken + ": cannot listen: Address already in use");
  // An address of no local interface.
  auto foreign = MetricsServer::Start("192.0.2.1:9464", [] { return RouterStats{}; });
  REQUIRE_FALSE(foreign.ok());
  CHECK(std::string(foreign.status().message()).find("192.0.2.1:9464") != std::string::npos);
  CHECK(std::string(foreign.status().message()).find("Cannot assign requested address") !=
        std::string::npos);

  server->reset();  // stops and joins; the port is free again
  auto again = MetricsServer::Start(taken, [] { return RouterStats{}; });
  CHECK(again.ok());
}

}  // namespace
}  // namespace ssr::metrics
