# SPDX-License-Identifier: Apache-2.0
# Every external dependency is found here, once. scripts/setup-deps installs them from Debian 12.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf>=1.1)
pkg_check_modules(LIBXDP REQUIRED IMPORTED_TARGET libxdp>=1.3)
find_package(absl REQUIRED CONFIG)
# The tools' command lines (tools/cli/ssr_cli.h; header-only, not needed by the library).
find_package(CLI11 2.1 REQUIRED CONFIG)
# JSON documents of the control socket (tools/ctl; Debian nlohmann-json3-dev, header-only, not
# needed by the library).
find_package(nlohmann_json 3.10 REQUIRED CONFIG)
# sd_notify (Debian libsystemd-dev): ssr-router tells systemd READY=1 / RELOADING=1 / STOPPING=1
# (examples/ssr-router/ssr-router@.service, Type=notify). Optional, not needed by the library:
# without it ssr-router runs the same but cannot be a Type=notify service.
pkg_check_modules(LIBSYSTEMD QUIET IMPORTED_TARGET libsystemd)
if(LIBSYSTEMD_FOUND)
  set(SSR_HAVE_SYSTEMD 1)
  message(STATUS "libssr: libsystemd ${LIBSYSTEMD_VERSION} found: ssr-router sends sd_notify")
else()
  set(SSR_HAVE_SYSTEMD 0)
  message(STATUS "libssr: libsystemd not found (Debian libsystemd-dev): ssr-router is built "
                 "without sd_notify; its systemd unit (Type=notify) would time out at start")
endif()

# The HTTP server of ssr-router --metrics-listen (tools/metrics; Debian libcpp-httplib-dev, built
# by Debian as a shared library with a pkg-config file; not needed by the library).
pkg_check_modules(HTTPLIB IMPORTED_TARGET cpp-httplib>=0.11)
if(NOT HTTPLIB_FOUND)
  message(FATAL_ERROR "libssr: cpp-httplib >= 0.11 not found (pkg-config cpp-httplib): it serves "
                      "ssr-router --metrics-listen. Install Debian's libcpp-httplib-dev "
                      "(scripts/setup-deps.sh does).")
endif()

# HTTP (Debian libcpp-httplib-dev; not needed by the library): etcd's JSON gateway for
# ssr-router --config-etcd (tools/etcd). Guarded: other tools may find it too.
if(NOT TARGET PkgConfig::CPPHTTPLIB)
  pkg_check_modules(CPPHTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)
endif()
find_package(Protobuf REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
# intel-ipsec-mb (Debian libipsec-mb-dev, no pkg-config file): multi-buffer sealing of bursts
# (libssr/src/crypto/burst.h). Optional: without it OpenSSL seals every packet.
find_path(SSR_IPSEC_MB_INCLUDE intel-ipsec-mb.h)
find_library(SSR_IPSEC_MB_LIBRARY IPSec_MB)
if(SSR_IPSEC_MB_INCLUDE AND SSR_IPSEC_MB_LIBRARY)
  set(SSR_HAVE_IPSEC_MB 1)
  set(SSR_PC_EXTRA_LIBS "-lIPSec_MB")
  message(STATUS "libssr: intel-ipsec-mb found (${SSR_IPSEC_MB_LIBRARY}): burst sealing enabled")
else()
  set(SSR_HAVE_IPSEC_MB 0)
  set(SSR_PC_EXTRA_LIBS "")
  message(STATUS "libssr: intel-ipsec-mb not found: burst sealing disabled (OpenSSL only)")
endif()
if(SSR_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED CONFIG)
  include(Catch)
endif()
if(SSR_BUILD_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()
