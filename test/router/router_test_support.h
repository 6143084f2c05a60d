// SPDX-License-Identifier: Apache-2.0
// Helpers of the router tests: the demo topology of the built-in config in network namespaces,
// and running ssr-router as a child process.
//
//   client 10.10.9.20/16 (guest) --c0  lan0-- branch --wan0  wan0-- datacenter --lan0  s0--
//   server 10.20.3.10/16 (web)
//
// Dual stack like scripts/netns/topology.sh: the client is also fd00:10:10:9::20/48, the server
// fd00:10:20:3::10/48, the routers' LAN and WAN interfaces carry the config's IPv6 addresses
// (fd00:10:10::1, fd00:10:20::1, 2001:db8:2::1 and ::2), added without DAD so they are usable at
// once. The routers' interfaces carry the config's addresses in the kernel (ARP, ND and
// own-address traffic go to the kernel); the client and server route through the routers.
#ifndef SSR_TEST_ROUTER_ROUTER_TEST_SUPPORT_H_
#define SSR_TEST_ROUTER_ROUTER_TEST_SUPPORT_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "io/netns_fixture.h"

namespace ssr::test {

struct DemoTopology {
  std::string client;
  std::string branch;
  std::string datacenter;
  std::string server;
};
// Builds the four namespaces and three veth pairs (`queues` RX/TX queues each) inside `topo`
// (removed with it).
DemoTopology BuildDemoTopology(NetnsTopology& topo, int queues = 1);

// Runs `argv` (argv[0] a path) inside `netns` (through `ip netns exec`, so the child has the
// namespace's /sys), stdout and stderr to `out_file`. Returns the pid.
pid_t SpawnInNetns(const std::string& netns, const std::vector<std::string>& argv,
                   const std::string& out_file);
// Waits until `file` contains a line equal to `line`; false after timeout_ms.
bool WaitForLine(const std::string& file, const std::string& line, int timeout_ms);
// Sends `sig` and waits for the child to exit; returns its exit status (-1: timeout, then
// SIGKILL; 128+n: killed by signal n).
int StopChild(pid_t pid, int sig, int timeout_ms);
// Reads a "name value" file into a map (the value kept as text).
std::map<std::string, std::string> ReadStatsFile(const std::string& path);
std::string ReadFile(const std::string& path);
// Runs a shell command, returns its exit status and fills `output` with stdout + stderr.
int RunCapture(const std::string& command, std::string* output);
// Path of the built ssr-router.
std::string SsrRouterPath();
// A fresh temporary directory (removed by the caller).
std::string MakeTempDir();

}  // namespace ssr::test

#endif  // SSR_TEST_ROUTER_ROUTER_TEST_SUPPORT_H_
