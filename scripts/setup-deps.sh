#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package libssr needs to build, test and run. Idempotent: packages that
# are already installed are not touched, and apt is not called at all when nothing is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  clang llvm libclang-rt-14-dev          # BPF programs, libFuzzer builds
  libbpf-dev libxdp-dev bpftool          # XDP / AF_XDP
  libssl-dev                             # HMAC, AES (OpenSSL 3.0)
  libipsec-mb-dev                        # multi-buffer AES-CBC + HMAC for bursts (crypto/burst.h)
  libabsl-dev                            # absl::Status, containers, strings
  libcli11-dev                           # the tools' command lines (tools/cli/ssr_cli.h)
  nlohmann-json3-dev                     # ssrctl / control socket JSON documents (tools/ctl), JSON
                                         # config syntax and duplicate-key checks (config/parse.cc)
  help2man                               # man pages from the tools' --help (optional target `man`)
  doxygen                                # API reference from the public headers (target `docs`,
                                         # tool.api_docs); ~19 MB, its clang/llvm are already here
  libsystemd-dev                         # sd_notify: ssr-router readiness under systemd (Type=notify)
  systemd                                # systemd-analyze verify and a real service manager for the
                                         # unit's tests (router.systemd_unit, netns.systemd_service)
  libcpp-httplib-dev                     # ssr-router --metrics-listen HTTP server (tools/metrics)
  prometheus                             # netns.prometheus scrapes two routers with a real server
                                         # (in a namespace; where systemd runs, Debian also starts
                                         # its own prometheus.service, which the test does not use)
  etcd-server etcd-client               # ssr-router --config-etcd (tools/etcd), its netns test
  libprotobuf-dev protobuf-compiler      # configuration model
  catch2 libbenchmark-dev                # tests, micro-benchmarks
  iproute2 iputils-ping socat python3    # namespaces, veth, ping, UDP echo / TCP transfer (demo, netns tests)
  tshark                                 # tests check that captures we write decode
  openssl                                # s_server / s_client (netns adaptive encryption test)
  ethtool                                # bench/run (smoke in ctest): veth NAPI threads, XDP counters
  dpkg-dev file                          # Debian packages (cpack -G DEB): dpkg-shlibdeps, file
  lintian                                # packaging.deb lints the packages (optional: skipped without)
)

# `--bench`: also what bench/run's comparison scenarios use (kernel forwarding with nftables,
# wireguard-go, iperf3, the gnuplot plot).
BENCH_PACKAGES=(nftables wireguard-go wireguard-tools iperf3 gnuplot-nox)
if [ "${1:-}" = "--bench" ]; then PACKAGES+=("${BENCH_PACKAGES[@]}"); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-deps: missing packages: ${missing[*]}" >&2
  echo "setup-deps: run as root (or install them with sudo apt-get install ...)" >&2
  exit 1
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
