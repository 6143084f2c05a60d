// SPDX-License-Identifier: Apache-2.0
// ssrctl: asks a running ssr-router through its control socket (docs/operations.md, "Control
// socket"). `ssrctl --help` explains the commands, options and exit codes; the summary:
//
//   ssrctl [--socket PATH | --router NAME] show stats|interfaces|peers|paths|sessions|health
//          [--tenant T] [--service S] [--address A] [--peer P] [--limit N] [--json]
//   ssrctl [--socket PATH | --router NAME] reload [--json]
//   ssrctl [--socket PATH | --router NAME] version [--json]
//   ssrctl --help | -h | --version
//
// Exit codes: 0 ok, 1 the router answered with an error (e.g. a reload it refused, an unknown
// tenant), 2 bad command line, 3 the router could not be reached (no socket, permission denied,
// no answer within --timeout).
#include <errno.h>
#include <glob.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ctl_protocol.h"
#include "ssr/version.h"
#include "ssr_cli.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitAnswer = 1;
constexpr int kExitUnreachable = 3;
constexpr size_t kMaxAnswerBytes = 256u << 20;
constexpr char kTool[] = "ssrctl";
constexpr char kSocketDir[] = "/run/ssr";

constexpr char kSynopsis[] =
    "usage: ssrctl [--socket PATH | --router NAME] show stats|interfaces|peers|paths|sessions|health\n"
    "              [--tenant T] [--service S] [--address A] [--peer P] [--limit N] [--json]\n"
    "       ssrctl [--socket PATH | --router NAME] reload [--json]\n"
    "       ssrctl [--socket PATH | --router NAME] version [--json]\n"
    "       ssrctl --help | -h | --version\n"
    "\n"
    "Asks a running ssr-router through its control socket (root only: the socket has mode\n"
    "0600). Tables by default, one JSON document with --json.\n";

constexpr char kFooter[] =
    "Commands:\n"
    "  show stats       every counter (name, value, whether it counts drops)\n"
    "  show interfaces  interfaces: Linux name, role, XDP and AF_XDP mode, packets, kernel drops\n"
    "  show peers       peers: addresses, live sessions, paths up (--peer P: that peer only)\n"
    "  show paths       peer paths: BFD state, latency, jitter, loss, MOS (--peer P)\n"
    "  show sessions    live sessions, at most --limit (default 1000, up to 100000), filtered by\n"
    "                   --tenant, --service, --peer and --address (an address or prefix that\n"
    "                   either flow of the session has); each worker copies its sessions between\n"
    "                   packet bursts, so the list is not one instant: sessions opening or "
    "closing\n"
    "                   meanwhile may or may not appear\n"
    "  show health      WAN assurance: SLE % of the gateway, every peer path and every service\n"
    "                   over the router's window, with what cost the most (drops, loss, ...)\n"
    "  reload           reload the router's config file (as SIGHUP); an error keeps the old one\n"
    "  version          the router's name, libssr version and config generation\n"
    "\n"
    "Exit codes:\n"
    "  0  answered\n"
    "  1  the router answered with an error (unknown tenant, a refused reload, ...)\n"
    "  2  bad command line\n"
    "  3  the router could not be reached (no socket, permission denied, no answer in time)\n"
    "\n"
    "Files:\n"
    "  /run/ssr/NAME.sock  the control socket of router NAME (ssr-router --control-socket)\n";

// The socket to use: --socket, /run/ssr/<router>.sock, or the only socket in /run/ssr.
std::optional<std::string> ChooseSocket(const std::string& socket, const std::string& router,
                                        std::string* error) {
  if (!socket.empty()) return socket;
  if (!router.empty()) return std::string(kSocketDir) + "/" + router + ".sock";
  glob_t g{};
  const std::string pattern = std::string(kSocketDir) + "/*.sock";
  std::vector<std::string> found;
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) found.push_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (found.size() == 1) return found[0];
  if (found.empty()) {
    *error = std::string("no control socket in ") + kSocketDir +
             " (is ssr-router running? it may use another --control-socket: give --socket PATH)";
  } else {
    *error = std::string("several routers run (") + std::to_string(found.size()) + " sockets in " +
             kSocketDir + "): choose one with --router NAME or --socket PATH";
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("", kTool);
  ssr::cli::Setup(app, kSynopsis, kFooter, SSR_VERSION_STRING);
  std::vector<std::string> words;
  std::string socket_path, router, tenant, service, address, peer;
  std::optional<std::string> limit;
  bool json = false;
  double timeout_s = 10;
  app.add_option("--socket", socket_path, "the router's control socket (default: --router's)")
      ->type_name("PATH");
  app.add_option("--router", router, "use /run/ssr/NAME.sock (default: the only socket there)")
      ->type_name("NAME");
  app.add_option("--tenant", tenant, "show sessions: of tenant T only")->type_name("T");
  app.add_option("--service", service, "show sessions: of service S only")->type_name("S");
  app.add_option("--address", address,
                 "show sessions: with an address in A (an IP address or prefix) only")
      ->type_name("A");
  app.add_option("--peer", peer, "show sessions, peers, paths: of peer P only")->type_name("P");
  app.add_option("--limit", limit, "show sessions: at most N (default 1000, 1 to 100000)")
      ->type_name("N");
  app.add_flag("--json", json, "print one JSON document instead of tables");
  app.add_option("--timeout", timeout_s, "seconds to wait for the answer (default 10)")
      ->type_name("SECONDS");
  app.add_option("command", words, "show WHAT | reload | version")->type_name("");
  if (std::optional<int> code = ssr::cli::Parse(app, argc, argv)) return *code;
  if (words.empty()) return ssr::cli::UsageError(kTool, "no command (show, reload or version)");
  if (!(timeout_s > 0 && timeout_s <= 3600)) {
    return ssr::cli::UsageError(kTool, "--timeout: not a number of seconds from 0 to 3600");
  }

  // Build the request line and check it with the router's own parser.
  std::string line;
  for (const std::string& w : words) line += (line.empty() ? "" : " ") + w;
  const std::pair<const char*, const std::string*> keys[] = {
      {"tenant", &tenant}, {"service", &service}, {"address", &address}, {"peer", &peer}};
  for (const auto& [key, value] : keys) {
    if (!value->empty()) line += std::string(" ") + key + "=" + *value;
  }
  if (limit.has_value()) line += " limit=" + *limit;
  if (json) line += " json";
  absl::StatusOr<ssr::ctl::Request> request = ssr::ctl::ParseRequest(line);
  if (!request.ok()) {
    std::string m(request.status().message());
    // Name the options as the user typed them.
    for (const char* key : {"tenant", "service", "address", "peer", "limit"}) {
      const std::string word = std::string("\"") + key + "\"";
      const size_t at = m.find(word);
      if (at != std::string::npos) m.replace(at, word.size(), std::string("--") + key);
      const std::string lead = std::string(key) + ":";
      if (m.rfind(lead, 0) == 0)
        m.replace(0, key == std::string("limit") ? 5 : lead.size() - 1, std::string("--") + key);
    }
    return ssr::cli::UsageError(kTool, m);
  }
  line = ssr::ctl::FormatRequest(*request) + "\n";

  std::string error;
  const std::optional<std::string> path = ChooseSocket(socket_path, router, &error);
  if (!path.has_value()) {
    std::fprintf(stderr, "%s: %s\n", kTool, error.c_str());
    return kExitUnreachable;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path->size() >= sizeof(addr.sun_path)) {
    return ssr::cli::UsageError(kTool, "--socket: path too long");
  }
  std::memcpy(addr.sun_path, path->data(), path->size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    std::string why = std::strerror(e);
    if (e == ENOENT) why = "no such socket (is the router running? see --socket / --router)";
    if (e == ECONNREFUSED) why = "connection refused (the router is not running)";
    if (e == EACCES || e == EPERM) {
      why = "permission denied (the control socket is for its owner, normally root)";
    }
    std::fprintf(stderr, "%s: %s: %s\n", kTool, path->c_str(), why.c_str());
    return kExitUnreachable;
  }
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = send(fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr, "%s: %s: sending the request: %s\n", kTool, path->c_str(),
                   std::strerror(errno));
      return kExitUnreachable;
    }
    off += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    const int r = left.count() > 0 ? poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      std::fprintf(stderr, "%s: %s: no answer within %g s\n", kTool, path->c_str(), timeout_s);
      return kExitUnreachable;
    }
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::fprintf(stderr, "%s: %s: %s\n", kTool, path->c_str(), std::strerror(errno));
      return kExitUnreachable;
    }
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.size() > kMaxAnswerBytes) {
      std::fprintf(stderr, "%s: %s: answer larger than %zu bytes\n", kTool, path->c_str(),
                   kMaxAnswerBytes);
      return kExitUnreachable;
    }
  }
  close(fd);
  absl::StatusOr<std::string> body = ssr::ctl::ParseResponse(answer);
  if (!body.ok()) {
    std::fprintf(stderr, "%s: %s\n", kTool, std::string(body.status().message()).c_str());
    return body.status().code() == absl::StatusCode::kUnavailable ? kExitUnreachable : kExitAnswer;
  }
  std::fwrite(body->data(), 1, body->size(), stdout);
  return kExitOk;
}
