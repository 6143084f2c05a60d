// SPDX-License-Identifier: Apache-2.0
// embed-minimal: the smallest program that embeds libssr.
//
//   embed-minimal ROUTER CONFIG_IFACE=OS_IFNAME...     (runs the built-in demo config)
//   embed-minimal --help | -h | --version
//
// Runs router ROUTER of the built-in config on the given Linux interfaces until SIGINT or
// SIGTERM, then prints its packet counters. It depends on libssr alone, so its two options are
// parsed by hand (the project's tools use CLI11, tools/cli/ssr_cli.h).
#include <csignal>
#include <cstdio>
#include <string>

#include "ssr/router.h"

namespace {

constexpr char kHelp[] =
    "usage: embed-minimal ROUTER CONFIG_IFACE=OS_IFNAME...\n"
    "       embed-minimal --help | -h | --version\n"
    "\n"
    "Runs router ROUTER of libssr's built-in demo config, binding each config interface to a\n"
    "Linux interface, prints \"ready\", and on SIGINT or SIGTERM stops and prints\n"
    "\"rx=N tx=N drops=N\". Needs root (XDP, AF_XDP).\n"
    "\n"
    "Signals: SIGINT, SIGTERM stop the router (the XDP gate is detached) and exit 0.\n"
    "Exit codes: 0 stopped by a signal (or --help, --version); 1 the router could not be\n"
    "created or started; 2 bad command line.\n"
    "Files: none.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (argc == 2 && std::string(argv[1]) == "--version") {
    std::printf("embed-minimal %s\n", std::string(ssr::Version()).c_str());
    return 0;
  }
  if (argc < 3 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s ROUTER CONFIG_IFACE=OS_IFNAME... (libssr %s; --help)\n",
                 argv[0], std::string(ssr::Version()).c_str());
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
