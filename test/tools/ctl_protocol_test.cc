// SPDX-License-Identifier: Apache-2.0
// The control socket's protocol (tools/ctl/ctl_protocol.h): request parsing and formatting,
// answer framing, tables and JSON documents; and ControlServer (control_server.h) on a socket in
// a temporary directory with a handler instead of a router: mode 0600, one request per
// connection, the size and time limits, errors, a stale socket replaced, a live one kept.
#include "ctl_protocol.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control_server.h"

namespace ssr::ctl {
namespace {

using Json = nlohmann::json;

// The whitespace-separated words of the line of `text` that starts with `first` + " ".
std::vector<std::string> Words(const std::string& text, const std::string& first) {
  const size_t at = text.find("\n" + first + " ");
  if (at == std::string::npos) return {};
  const std::string line = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
  std::vector<std::string> out;
  std::string word;
  for (char c : line + " ") {
    if (c != ' ') {
      word += c;
    } else if (!word.empty()) {
      out.push_back(word);
      word.clear();
    }
  }
  return out;
}

RouterStats SampleStats() {
  RouterStats s;
  s.router = "branch";
  s.running = true;
  s.config_generation = 3;
  s.sessions_live = 2;
  s.gate = {{"drop_non_member", 7, true}, {"pass_kernel", 1, false}};
  s.pipeline = {{"rx_packets", 1234, false}};
  InterfaceStats i;
  i.name = "lan0";
  i.os_name = "eth1";
  i.role = "lan";
  i.xdp_mode = "native";
  i.queues = 2;
  i.counters = {
      {"xsk_rx_packets", 10, false}, {"xsk_tx_packets", 20, false}, {"kernel_rx_dropped", 5, true}};
  s.interfaces.push_back(i);
  PeerStats p;
  p.name = "datacenter";
  p.interface = "wan0";
  p.addresses = {"192.0.2.2"};
  p.sessions = 2;
  PeerPathStats path;
  path.name = "wan0:192.0.2.2";
  path.interface = "wan0";
  path.sessions = 2;
  path.status_changes = 1;
  path.local = "192.0.2.1";
  path.remote = "192.0.2.2";
  path.bfd_state = "Up";
  path.quality_measured = true;
  path.latency_ms = 1.25;
  path.jitter_ms = 0.5;
  path.loss_percent = 0;
  path.mos = 4.4;
  path.tx_frames = 9;
  path.rx_frames = 8;
  p.paths.push_back(path);
  PeerStats q;
  q.name = "hub";
  q.interface = "wan0";
  s.peers = {p, q};
  return s;
}

SessionList SampleSessions() {
  SessionList l;
  l.config_generation = 3;
  SessionInfo a;
  a.worker = 1;
  a.uuid = "7047d845-cd22-4177-a9aa-f5c9cc76a5ab";
  a.tenant = "guest";
  a.service = "web";
  a.peer = "datacenter";
  a.protocol = 6;
  a.source = "10.10.9.20";
  a.source_port = 40000;
  a.destination = "10.20.3.10";
  a.destination_port = 80;
  a.tcp_state = "established";
  a.answered = true;
  a.age_ms = 1500;
  a.idle_ms = 100;
  SessionInfo b = a;
  b.protocol = 17;
  b.source = "fd00:10:10:9::20";
  b.destination = "fd00:10:20:3::10";
  b.destination_port = 53;
  b.local_breakout = true;
  b.peer = "";
  b.answered = false;
  l.sessions = {a, b};
  return l;
}

TEST_CASE("requests parse, and format back to the same line") {
  for (const char* line :
       {"version", "reload", "show stats", "show stats json", "show interfaces", "show peers",
        "show peers peer=datacenter json", "show paths peer=hub",
        "show sessions tenant=guest service=web address=10.0.0.0/8 peer=datacenter limit=5 json",
        "show sessions"}) {
    INFO(line);
    absl::StatusOr<Request> r = ParseRequest(line);
    REQUIRE(r.ok());
    CHECK(FormatRequest(*r) == line);
  }
  absl::StatusOr<Request> r = ParseRequest("show sessions json tenant=guest limit=7");
  REQUIRE(r.ok());
  CHECK(r->command == Request::Command::kShow);
  CHECK(r->what == Request::What::kSessions);
  CHECK(r->filter.tenant == "guest");
  CHECK(r->limit == 7);
  CHECK(r->json);
  CHECK(ParseRequest("show stats\r")->what == Request::What::kStats);  // telnet-style CRLF
  CHECK(ParseRequest("show sessions")->limit == kDefaultSessionLimit);
}

TEST_CASE("bad requests are refused with the word at fault") {
  auto error = [](const std::string& line) {
    absl::StatusOr<Request> r = ParseRequest(line);
    REQUIRE_FALSE(r.ok());
    return std::string(r.status().message());
  };
  CHECK(error("") == "empty request");
  CHECK(error("stop") == "unknown command \"stop\" (show, reload or version)");
  CHECK(error("show") == "show: what? (stats, interfaces, peers, paths, sessions or health)");
  CHECK(error("show wellbeing") ==
        "show: unknown \"wellbeing\" (stats, interfaces, peers, paths, sessions or health)");
  CHECK(error("show health tenant=guest") == "show health takes no \"tenant\" (tenant=guest)");
  CHECK(error("show stats tenant=guest") == "show stats takes no \"tenant\" (tenant=guest)");
  CHECK(error("show peers limit=3") == "show peers takes no \"limit\" (limit=3)");
  CHECK(error("show sessions limit=0") == "limit: \"0\" is not a number from 1 to 100000");
  CHECK(error("show sessions limit=100001") ==
        "limit: \"100001\" is not a number from 1 to 100000");
  CHECK(error("show sessions limit=-1").find("limit") == 0);
  CHECK(error("show sessions tenant=") == "tenant: empty or not printable value");
  CHECK(error("show sessions  json") == "unexpected word \"\"");
  CHECK(error("show sessions guest") == "unexpected word \"guest\"");
  CHECK(error(std::string(kMaxRequestBytes + 1, 'x')) == "request longer than 1024 bytes");
}

TEST_CASE("answers are framed as ok + body or one error line") {
  CHECK(OkResponse("a\nb\n") == "ok\na\nb\n");
  CHECK(ErrorResponse("first\nsecond\n") == "error first; second\n");
  CHECK(*ParseResponse("ok\nbody\n") == "body\n");
  CHECK(*ParseResponse("ok\n") == "");
  absl::StatusOr<std::string> e = ParseResponse("error no tenant \"x\"\n");
  REQUIRE_FALSE(e.ok());
  CHECK(e.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(e.status().message() == "no tenant \"x\"");
  CHECK(ParseResponse("").status().code() == absl::StatusCode::kUnavailable);
  CHECK(ParseResponse("garbage").status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("tables align columns, numbers to the right") {
  const std::string t = FormatTable({"NAME", "VALUE"}, {{"a", "1"}, {"longer", "12345"}}, {1});
  CHECK(t ==
        "NAME    VALUE\n"
        "a           1\n"
        "longer  12345\n");
}

TEST_CASE("show stats: every counter in text and JSON") {
  const RouterStats s = SampleStats();
  const std::string text = RenderStats(s, false);
  CHECK(text.rfind("router branch  running yes  config generation 3  sessions 2  drops 12\n", 0) ==
        0);
  CHECK(Words(text, "gate.drop_non_member") ==
        std::vector<std::string>{"gate.drop_non_member", "7", "drop"});
  CHECK(Words(text, "pipeline.rx_packets") ==
        std::vector<std::string>{"pipeline.rx_packets", "1234"});
  // Every line of the table as wide as the header: values right-aligned under VALUE.
  const size_t header = text.find("COUNTER ");
  REQUIRE(header != std::string::npos);
  const size_t value_end = text.find("VALUE", header) + 5 - header;
  size_t rows = 0;
  for (size_t pos = text.find('\n', header) + 1; pos < text.size();
       pos = text.find('\n', pos) + 1) {
    const std::string line = text.substr(pos, text.find('\n', pos) - pos);
    INFO(line);
    REQUIRE(line.size() >= value_end);
    CHECK(line[value_end - 1] != ' ');
    CHECK((value_end == line.size() || line[value_end] == ' '));
    ++rows;
  }
  CHECK(rows == s.Flatten().size());
  const Json j = Json::parse(RenderStats(s, true));
  CHECK(j["router"] == "branch");
  CHECK(j["config_generation"] == 3);
  CHECK(j["total_drops"] == 12);
  CHECK(j["counters"]["gate.drop_non_member"] == 7);
  CHECK(j["counters"]["xsk.lan0.kernel_rx_dropped"] == 5);
  CHECK(j["counters"].size() == s.Flatten().size());
}

TEST_CASE("show interfaces, peers and paths") {
  const RouterStats s = SampleStats();
  CHECK(RenderInterfaces(s, false) ==
        "INTERFACE  LINUX  ROLE  XDP     AF_XDP  QUEUES  RX  TX  KERNEL_DROPS\n"
        "lan0       eth1   lan   native  copy         2  10  20             5\n");
  const Json ij = Json::parse(RenderInterfaces(s, true));
  CHECK(ij["interfaces"][0]["os_name"] == "eth1");
  CHECK(ij["interfaces"][0]["counters"]["xsk_rx_packets"] == 10);

  CHECK(*RenderPeers(s, "", false) ==
        "PEER        INTERFACE  ADDRESSES  SESSIONS  PATHS_UP\n"
        "datacenter  wan0       192.0.2.2         2  1/1\n"
        "hub         wan0                         0  -\n");
  CHECK(*RenderPeers(s, "hub", false) ==
        "PEER  INTERFACE  ADDRESSES  SESSIONS  PATHS_UP\n"
        "hub   wan0                         0  -\n");
  const Json pj = Json::parse(*RenderPeers(s, "datacenter", true));
  REQUIRE(pj["peers"].size() == 1);
  CHECK(pj["peers"][0]["paths"][0]["mos"] == 4.4);
  absl::StatusOr<std::string> none = RenderPeers(s, "nosuch", false);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() == "no peer \"nosuch\" (there are: datacenter, hub)");

  CHECK(*RenderPaths(s, "", false) ==
        "PEER        PATH            INTERFACE  LOCAL      REMOTE     STATE  BFD  LATENCY_MS  "
        "JITTER_MS  LOSS_%   MOS  SESSIONS  TX  RX\n"
        "datacenter  wan0:192.0.2.2  wan0       192.0.2.1  192.0.2.2  up     Up        1.250  "
        "    0.500    0.00  4.40         2   9   8\n");
  const Json paths = Json::parse(*RenderPaths(s, "", true));
  CHECK(paths["paths"][0]["peer"] == "datacenter");
  CHECK(paths["paths"][0]["latency_ms"] == 1.25);
  CHECK(paths["paths"][0]["name"] == "wan0:192.0.2.2");
  CHECK(paths["paths"][0]["sessions"] == 2);
  CHECK(paths["paths"][0]["status_changes"] == 1);
  CHECK(RenderPaths(s, "hub", true).ok());
}

TEST_CASE("show sessions: a table with a count, JSON with every field") {
  SessionList l = SampleSessions();
  const std::string text = RenderSessions(l, 1000, false);
  CHECK(text ==
        "W  TENANT  SERVICE  PEER        PROTO  SOURCE                    DESTINATION            "
        "STATE        AGE_S  IDLE_S  UUID\n"
        "1  guest   web      datacenter  tcp    10.10.9.20:40000          10.20.3.10:80          "
        "established    1.5     0.1  7047d845-cd22-4177-a9aa-f5c9cc76a5ab\n"
        "1  guest   web      -           udp    [fd00:10:10:9::20]:40000  [fd00:10:20:3::10]:53  "
        "unanswered     1.5     0.1  -\n"
        "2 session(s)\n");
  l.truncated = true;
  CHECK(RenderSessions(l, 2, false).find("2 session(s), more not shown (limit 2)\n") !=
        std::string::npos);
  const Json j = Json::parse(RenderSessions(l, 2, true));
  CHECK(j["truncated"] == true);
  CHECK(j["limit"] == 2);
  CHECK(j["config_generation"] == 3);
  REQUIRE(j["sessions"].size() == 2);
  CHECK(j["sessions"][0]["tcp_state"] == "established");
  CHECK(j["sessions"][0]["source_port"] == 40000);
  CHECK(j["sessions"][1]["local_breakout"] == true);
  CHECK(j["sessions"][1]["answered"] == false);
  CHECK(Json::parse(RenderSessions(SessionList{}, 5, true))["sessions"].empty());
}

TEST_CASE("show health: one row per item, JSON with every field") {
  HealthReport r;
  r.window_seconds = 300;
  r.items = {{"gateway", "", 100, "", 300}, {"path", "dc/inet", 98.25, "loss", 300},
             {"service", "voice", 90, "no usable path", 12}};
  CHECK(RenderHealth(r, false) ==
        "window 300 s\n"
        "SCOPE    NAME     SLE_%  COST_MOST       SAMPLES\n"
        "gateway  -        100.0  -                   300\n"
        "path     dc/inet   98.2  loss                300\n"
        "service  voice     90.0  no usable path       12\n");
  const Json j = Json::parse(RenderHealth(r, true));
  CHECK(j["window_seconds"] == 300);
  REQUIRE(j["items"].size() == 3);
  CHECK(j["items"][1]["name"] == "dc/inet");
  CHECK(j["items"][1]["sle_percent"] == 98.25);
  CHECK(j["items"][2]["classifier"] == "no usable path");
  CHECK(j["items"][2]["samples"] == 12);
  CHECK(ParseRequest("show health json")->what == Request::What::kHealth);
}

TEST_CASE("version") {
  CHECK(RenderVersion("branch", "1.2.3", 4, false) ==
        "router branch: libssr 1.2.3, config generation 4\n");
  const Json j = Json::parse(RenderVersion("branch", "1.2.3", 4, true));
  CHECK(j["version"] == "1.2.3");
  CHECK(j["config_generation"] == 4);
}

// --- ControlServer ------------------------------------------------------------------------------

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ssr-ctl-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { (void)std::system(("rm -rf " + path).c_str()); }
};

int Connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Sends `request` as is and returns the whole answer.
std::string Ask(const std::string& path, const std::string& request) {
  const int fd = Connect(path);
  REQUIRE(fd >= 0);
  REQUIRE(send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  shutdown(fd, SHUT_WR);
  std::string out = ReadAll(fd);
  close(fd);
  return out;
}

absl::StatusOr<std::string> Echo(const Request& r) {
  if (r.filter.tenant == "bad") return absl::NotFoundError("no tenant \"bad\"");
  return "got: " + FormatRequest(r) + "\n";
}

TEST_CASE("ControlServer: a 0600 socket, one request per connection, errors as messages") {
  TempDir dir;
  const std::string path = dir.path + "/sub/r.sock";  // sub/ is created
  auto server = ControlServer::Start(path, Echo);
  REQUIRE(server.ok());
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_uid == geteuid());

  CHECK(Ask(path, "show sessions tenant=guest json\n") ==
        "ok\ngot: show sessions tenant=guest json\n");
  CHECK(Ask(path, "version") == "ok\ngot: version\n");  // EOF ends the line too
  CHECK(Ask(path, "show sessions tenant=bad\n") == "error no tenant \"bad\"\n");
  CHECK(Ask(path, "show nothing\n") ==
        "error show: unknown \"nothing\" (stats, interfaces, peers, paths, sessions or health)\n");
  CHECK(Ask(path, std::string(3000, 'a')) == "error request longer than 1024 bytes\n");
  CHECK((*server)->requests() == 5);

  // A client that sends nothing is answered after the read timeout, and the next one is served.
  const int idle = Connect(path);
  REQUIRE(idle >= 0);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(ReadAll(idle) == "error no complete request line within 2000 ms\n");
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(1900));
  close(idle);
  CHECK(Ask(path, "reload\n") == "ok\ngot: reload\n");

  // A second server on the same path is refused while the first answers.
  auto second = ControlServer::Start(path, Echo);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message() ==
        "control socket " + path +
            ": another process answers on it (a router of the same name running?)");
  server->reset();
  CHECK(lstat(path.c_str(), &st) != 0);  // removed with the server
  CHECK(Connect(path) < 0);
}

TEST_CASE("ControlServer: a stale socket is replaced, other files are not") {
  TempDir dir;
  const std::string path = dir.path + "/r.sock";
  {
    // A socket nobody listens on, as a killed router leaves it.
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
    close(fd);
  }
  auto server = ControlServer::Start(path, Echo);
  REQUIRE(server.ok());
  CHECK(Ask(path, "version\n") == "ok\ngot: version\n");
  server->reset();

  const std::string file = dir.path + "/plain";
  const int fd = open(file.c_str(), O_CREAT | O_WRONLY, 0600);
  close(fd);
  auto refused = ControlServer::Start(file, Echo);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message() ==
        "control socket " + file +
            ": exists and is not a socket; remove it or choose another path");
  auto too_long = ControlServer::Start("/tmp/" + std::string(200, 'x'), Echo);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ssr::ctl
