// SPDX-License-Identifier: Apache-2.0
// embed-minimal: the smallest program that embeds libssr.
//
//   embed-minimal ROUTER CONFIG_IFACE=OS_IFNAME...     (runs the built-in demo config)
//
// Runs router ROUTER of the built-in config on the given Linux interfaces until SIGINT or
// SIGTERM, then prints its packet counters.
#include <csignal>
#include <cstdio>
#include <string>

#include "ssr/router.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ROUTER CONFIG_IFACE=OS_IFNAME... (libssr %s)\n", argv[0],
                 std::string(ssr::Version()).c_str());
    return 2;
  }
  ssr::RouterOptions options;
  options.router = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "expected CONFIG_IFACE=OS_IFNAME, got \"%s\"\n", argv[i]);
      return 2;
    }
    options.interfaces.push_back({arg.substr(0, eq), arg.substr(eq + 1)});
  }

  // Block the stop signals before the router starts its threads, then wait for one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto router = ssr::Router::Create(options, ssr::Config::Default());
  if (!router.ok()) {
    std::fprintf(stderr, "%s\n", std::string(router.status().message()).c_str());
    return 1;
  }
  if (auto st = (*router)->Start(); !st.ok()) {
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*router)->Stop();

  const ssr::RouterStats stats = (*router)->Stats();
  std::printf("rx=%llu tx=%llu drops=%llu\n",
              static_cast<unsigned long long>(stats.Get("pipeline.rx_packets")),
              static_cast<unsigned long long>(stats.Get("pipeline.tx_packets")),
              static_cast<unsigned long long>(stats.TotalDrops()));
  return 0;  // destroying the router detaches the XDP gate and frees the sockets
}
