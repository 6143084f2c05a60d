// SPDX-License-Identifier: Apache-2.0
#include "router_test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace ssr::test {

DemoTopology BuildDemoTopology(NetnsTopology& topo, int queues) {
  DemoTopology t;
  t.client = topo.AddNamespace();
  t.branch = topo.AddNamespace();
  t.datacenter = topo.AddNamespace();
  t.server = topo.AddNamespace();
  auto ex = [](const std::string& ns, const std::string& cmd) { NetnsTopology::Exec(ns, cmd); };
  const std::string q =
      " numtxqueues " + std::to_string(queues) + " numrxqueues " + std::to_string(queues);
  ex(t.client, "ip link add c0" + q + " type veth peer name lan0" + q + " netns " + t.branch);
  ex(t.branch, "ip link add wan0" + q + " type veth peer name wan0" + q + " netns " + t.datacenter);
  ex(t.datacenter, "ip link add lan0" + q + " type veth peer name s0" + q + " netns " + t.server);
  for (const std::string& ns : {t.client, t.branch, t.datacenter, t.server}) {
    // Dual stack, IPv6 usable at once: no duplicate address detection, no router solicitations.
    ex(ns, "sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0");
  }
  for (const auto& [ns, ifname] :
       std::vector<std::pair<std::string, std::string>>{{t.client, "c0"},
                                                        {t.branch, "lan0"},
                                                        {t.branch, "wan0"},
                                                        {t.datacenter, "wan0"},
                                                        {t.datacenter, "lan0"},
                                                        {t.server, "s0"}}) {
    ex(ns, "sysctl -qw net.ipv6.conf." + ifname + ".disable_ipv6=0 net.ipv6.conf." + ifname +
               ".accept_dad=0 net.ipv6.conf." + ifname + ".router_solicitations=0");
  }
  ex(t.client, "ip addr add 10.10.9.20/16 dev c0");
  ex(t.client, "ip addr add fd00:10:10:9::20/48 dev c0 nodad");
  ex(t.branch, "ip addr add 10.10.0.1/16 dev lan0");
  ex(t.branch, "ip addr add fd00:10:10::1/48 dev lan0 nodad");
  ex(t.branch, "ip addr add 192.0.2.1/24 dev wan0");
  ex(t.branch, "ip addr add 2001:db8:2::1/64 dev wan0 nodad");
  ex(t.datacenter, "ip addr add 192.0.2.2/24 dev wan0");
  ex(t.datacenter, "ip addr add 2001:db8:2::2/64 dev wan0 nodad");
  ex(t.datacenter, "ip addr add 10.20.0.1/16 dev lan0");
  ex(t.datacenter, "ip addr add fd00:10:20::1/48 dev lan0 nodad");
  ex(t.server, "ip addr add 10.20.3.10/16 dev s0");
  ex(t.server, "ip addr add fd00:10:20:3::10/48 dev s0 nodad");
  ex(t.client, "ip link set c0 up");
  ex(t.branch, "ip link set lan0 up");
  ex(t.branch, "ip link set wan0 up");
  ex(t.datacenter, "ip link set wan0 up");
  ex(t.datacenter, "ip link set lan0 up");
  ex(t.server, "ip link set s0 up");
  ex(t.client, "ip route add default via 10.10.0.1");
  ex(t.client, "ip -6 route add default via fd00:10:10::1");
  ex(t.server, "ip route add default via 10.20.0.1");
  ex(t.server, "ip -6 route add default via fd00:10:20::1");
  return t;
}

pid_t SpawnInNetns(const std::string& netns, const std::vector<std::string>& argv,
                   const std::string& out_file) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<std::string> full = {"ip", "netns", "exec", netns};
    full.insert(full.end(), argv.begin(), argv.end());
    std::vector<char*> args;
    for (std::string& a : full) args.push_back(a.data());
    args.push_back(nullptr);
    execvp("ip", args.data());
    _exit(127);
  }
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WaitForLine(const std::string& file, const std::string& line, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream in(ReadFile(file));
    for (std::string l; std::getline(in, l);) {
      if (l == line) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int StopChild(pid_t pid, int sig, int timeout_ms) {
  if (sig != 0) kill(pid, sig);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

std::map<std::string, std::string> ReadStatsFile(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(ReadFile(path));
  for (std::string name, value; in >> name >> value;) out[name] = value;
  return out;
}

int RunCapture(const std::string& command, std::string* output) {
  output->clear();
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) output->append(buf, n);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string SsrRouterPath() {
  return std::string(SSR_BINARY_DIR) + "/examples/ssr-router/ssr-router";
}

std::string MakeTempDir() {
  char tmpl[] = "/tmp/ssr-router-test-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  REQUIRE(dir != nullptr);
  return dir;
}

}  // namespace ssr::test
