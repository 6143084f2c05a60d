# SPDX-License-Identifier: Apache-2.0
# Debian packages with CPack (`cmake --build build/release --target package`, or
# `cpack -G DEB` in the build directory; never part of the normal build). One package per install
# component:
#   libssr0     ssr_runtime  libssr.so.0* (the shared library target ssr_shared; the package is
#                            left out of a tree without that target)
#   libssr-dev  ssr_dev      public headers, libssr.so (namelink), libssr.a, the CMake package, the
#                            .pc files, config.proto (the config manual)
#   ssr-router  ssr_router   ssr-router, ssrctl, ssr-config-check, ssr-pcap, the systemd unit, the
#                            demo config and router.env.example (conffiles), the man pages
# Every package carries /usr/share/doc/<package>/copyright (machine-readable, from LICENSE and
# LICENSES/), changelog.Debian.gz and the license texts. Depends: dpkg-shlibdeps for the
# binaries (Debian dpkg-dev), plus the inter-package and -dev dependencies below. Packages are
# built with prefix /usr and DESTDIR (CPACK_SET_DESTDIR), so the unit and /etc/ssr get the paths
# of the installed system (examples/ssr-router/systemd/install.cmake). Checked by the test
# packaging.deb (test/packaging/deb_test.sh).
include(GNUInstallDirs)

set(SSR_DEB_MAINTAINER "libssr maintainers <maintainers@libssr.example>" CACHE STRING
    "Maintainer field of the Debian packages (cmake/SsrPackaging.cmake)")
set(SSR_DEB_RELEASE "1" CACHE STRING
    "Debian revision of the packages: version PROJECT_VERSION-SSR_DEB_RELEASE")
set(SSR_DEB_VERSION "${PROJECT_VERSION}-${SSR_DEB_RELEASE}")

set(SSR_DEB_COMPONENTS ssr_dev ssr_router)
if(TARGET ssr_shared)
  list(PREPEND SSR_DEB_COMPONENTS ssr_runtime)
endif()
set(SSR_DEB_NAME_ssr_runtime libssr0)
set(SSR_DEB_NAME_ssr_dev libssr-dev)
set(SSR_DEB_NAME_ssr_router ssr-router)

# --- Files every package carries under share/doc/<package> ----------------------------------
# copyright (Debian machine-readable format 1.0) from LICENSE and LICENSES/: the BSD-2-Clause text
# in full, Apache-2.0 and GPL-2 by reference to /usr/share/common-licenses (Debian policy 12.5;
# lintian refuses the full Apache text there); changelog.Debian.gz; the license files themselves
# (LICENSE, LICENSES/*).
set(SSR_DEB_DOC_STAGE ${PROJECT_BINARY_DIR}/packaging/doc)
file(MAKE_DIRECTORY ${SSR_DEB_DOC_STAGE})
# A license text as the indented body of a copyright paragraph (empty lines become " .").
function(ssr_deb_license_body file out)
  file(READ ${file} text)
  string(REGEX REPLACE "[ \t\r]+\n" "\n" text "${text}")
  string(REGEX REPLACE "^\n+" "" text "${text}")
  string(REGEX REPLACE "\n+$" "" text "${text}")
  string(REPLACE "\n" "\n " text " ${text}")
  string(REPLACE "\n \n" "\n .\n" text "${text}")
  string(REPLACE "\n \n" "\n .\n" text "${text}")
  set(${out} "${text}\n" PARENT_SCOPE)
endfunction()
ssr_deb_license_body(${PROJECT_SOURCE_DIR}/LICENSES/BSD-2-Clause.txt SSR_BSD2_BODY)
string(TIMESTAMP SSR_DEB_YEAR "%Y" UTC)
file(WRITE ${SSR_DEB_DOC_STAGE}/copyright
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: libssr
Comment: The license of every source file is stated in an SPDX line at its top; LICENSES/README.md
 of the source tree maps files to licenses.

Files: *
Copyright: ${SSR_DEB_YEAR} the libssr authors
License: Apache-2.0

Files: bpf/*
Copyright: ${SSR_DEB_YEAR} the libssr authors
License: GPL-2.0-only or BSD-2-Clause
Comment: The XDP gate (compiled into libssr and ssr-router) is dual-licensed so that the kernel
 accepts it as GPL-compatible.

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use
 this software except in compliance with the License. Unless required by
 applicable law or agreed to in writing, software distributed under the License
 is distributed on an \"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
 KIND, either express or implied. See the License for the specific language
 governing permissions and limitations under the License.
 .
 On Debian systems, the complete text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0 (and in LICENSE beside this file).

License: GPL-2.0-only
 This program is free software; you can redistribute it and/or modify it under the terms of the
 GNU General Public License version 2 as published by the Free Software Foundation.
 .
 On Debian systems, the complete text of the GNU General Public License version 2 is in
 /usr/share/common-licenses/GPL-2.

License: BSD-2-Clause
${SSR_BSD2_BODY}")
# changelog.Debian.gz, one per package (its first line names the package). The date honours
# SOURCE_DATE_EPOCH (string(TIMESTAMP)); gzip -n leaves the time stamp out of the archive.
string(TIMESTAMP SSR_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
find_program(SSR_GZIP gzip REQUIRED)
foreach(component IN ITEMS ssr_runtime ssr_dev ssr_router)
  set(pkg ${SSR_DEB_NAME_${component}})
  file(MAKE_DIRECTORY ${SSR_DEB_DOC_STAGE}/${pkg})
  file(WRITE ${SSR_DEB_DOC_STAGE}/${pkg}/changelog.Debian
"${pkg} (${SSR_DEB_VERSION}) unstable; urgency=medium

  * libssr ${PROJECT_VERSION}, packaged with CPack (cmake/SsrPackaging.cmake).

 -- ${SSR_DEB_MAINTAINER}  ${SSR_DEB_DATE}
")
  execute_process(COMMAND ${SSR_GZIP} -9nc
                  INPUT_FILE ${SSR_DEB_DOC_STAGE}/${pkg}/changelog.Debian
                  OUTPUT_FILE ${SSR_DEB_DOC_STAGE}/${pkg}/changelog.Debian.gz
                  COMMAND_ERROR_IS_FATAL ANY)
  # Lintian flags license files next to copyright (extra-license-file); they are installed on
  # purpose, so that a plain `cmake --install` carries them too.
  file(WRITE ${SSR_DEB_DOC_STAGE}/${pkg}/lintian-overrides
"# LICENSE and LICENSES/ are installed beside copyright on purpose (cmake/SsrPackaging.cmake).
${pkg}: extra-license-file
")
  if(component IN_LIST SSR_DEB_COMPONENTS)
    set(docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/${pkg})
    install(FILES ${SSR_DEB_DOC_STAGE}/copyright ${SSR_DEB_DOC_STAGE}/${pkg}/changelog.Debian.gz
                  ${PROJECT_SOURCE_DIR}/LICENSE
            DESTINATION ${docdir} COMPONENT ${component})
    install(FILES ${PROJECT_SOURCE_DIR}/LICENSES/Apache-2.0.txt
                  ${PROJECT_SOURCE_DIR}/LICENSES/BSD-2-Clause.txt
                  ${PROJECT_SOURCE_DIR}/LICENSES/GPL-2.0-only.txt
                  ${PROJECT_SOURCE_DIR}/LICENSES/README.md
            DESTINATION ${docdir}/LICENSES COMPONENT ${component})
    install(FILES ${SSR_DEB_DOC_STAGE}/${pkg}/lintian-overrides
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME ${pkg}
            COMPONENT ${component})
  endif()
endforeach()

# --- CPack ----------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME libssr)
set(CPACK_PACKAGE_VENDOR "libssr")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SSR_DEB_MAINTAINER}")
# DESTDIR + prefix /usr (CPACK_INSTALL_PREFIX is the prefix CPack installs with; left unset it
# would be the build's /usr/local): install(CODE) (the systemd unit, /etc/ssr) sees the real
# prefix, so the unit runs /usr/bin/ssr-router and the config goes to /etc/ssr.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
# Only these components are packaged (ssr-impair, a test-lab tool, is installed by
# `cmake --install` but belongs to no package).
set(CPACK_COMPONENTS_ALL ${SSR_DEB_COMPONENTS})
set(CPACK_DEB_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SSR_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SSR_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_SOURCE libssr)

# The -dev packages the static library's link interface and the CMake package need
# (cmake/ssrConfig.cmake.in, cmake/ssr.pc.in).
set(SSR_DEB_DEV_DEPENDS "libabsl-dev, libprotobuf-dev, libssl-dev (>= 3.0), libxdp-dev (>= 1.3), "
                        "libbpf-dev (>= 1:1.1), pkg-config")
string(JOIN "" SSR_DEB_DEV_DEPENDS ${SSR_DEB_DEV_DEPENDS})
if(SSR_HAVE_IPSEC_MB)
  string(APPEND SSR_DEB_DEV_DEPENDS ", libipsec-mb-dev")
endif()

set(CPACK_DEBIAN_SSR_RUNTIME_PACKAGE_NAME libssr0)
set(CPACK_DEBIAN_SSR_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_SSR_RUNTIME_DESCRIPTION
"SVR (Secure Vector Routing) router SDK on AF_XDP - shared library
libssr is a C++ library that embeds a kernel-bypass SVR router in a network
appliance: an XDP gate steers the router's traffic to AF_XDP sockets, worker
threads forward it with per-session state, HMAC and encryption, and the
application drives it through ssr::Router (config, start, reload, statistics,
session events).
This package contains the shared library libssr.so.0.")
if(TARGET ssr_shared)
  set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
  set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
  get_target_property(SSR_SHARED_DIR ssr_shared BINARY_DIR)
  get_target_property(SSR_SHARED_OUT ssr_shared LIBRARY_OUTPUT_DIRECTORY)
  if(SSR_SHARED_OUT)
    set(SSR_SHARED_DIR ${SSR_SHARED_OUT})
  endif()
  # dpkg-shlibdeps finds libssr.so.0 (needed by ssr-router) in the build tree.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${SSR_SHARED_DIR})
  # The ldconfig trigger (lintian: lacks-ldconfig-trigger). CPack also writes postinst / postrm
  # calling ldconfig (lintian warns: maintscript-calls-ldconfig); harmless next to the trigger.
  set(SSR_DEB_RUNTIME_CONTROL_DIR ${PROJECT_BINARY_DIR}/packaging/control/libssr0)
  file(MAKE_DIRECTORY ${SSR_DEB_RUNTIME_CONTROL_DIR})
  file(WRITE ${SSR_DEB_RUNTIME_CONTROL_DIR}/triggers "activate-noawait ldconfig\n")
  set(CPACK_DEBIAN_SSR_RUNTIME_PACKAGE_CONTROL_EXTRA ${SSR_DEB_RUNTIME_CONTROL_DIR}/triggers)
  set(SSR_DEB_DEV_DEPENDS "libssr0 (= ${SSR_DEB_VERSION}), ${SSR_DEB_DEV_DEPENDS}")
endif()

set(CPACK_DEBIAN_SSR_DEV_PACKAGE_NAME libssr-dev)
set(CPACK_DEBIAN_SSR_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_SSR_DEV_PACKAGE_DEPENDS "${SSR_DEB_DEV_DEPENDS}")
set(CPACK_DEBIAN_SSR_DEV_DESCRIPTION
"SVR (Secure Vector Routing) router SDK on AF_XDP - development files
libssr is a C++ library that embeds a kernel-bypass SVR router in a network
appliance.
This package contains the public headers (<ssr/router.h>, <ssr/config.h>, ...),
the static library libssr.a, the CMake package (find_package(ssr)), the
pkg-config files and the configuration schema config.proto, the reference of
every config field.")

set(CPACK_DEBIAN_SSR_ROUTER_PACKAGE_NAME ssr-router)
set(CPACK_DEBIAN_SSR_ROUTER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SSR_ROUTER_DESCRIPTION
"SVR (Secure Vector Routing) router on AF_XDP, with its control tools
ssr-router runs a libssr SVR router on Linux interfaces: an XDP gate steers
its traffic to AF_XDP sockets, worker threads forward sessions between tenants
and peers with HMAC, encryption and path selection. The systemd unit
ssr-router@.service runs one instance per router (Type=notify, reload with
SIGHUP).
Also included: ssrctl (the client of the router's control socket),
ssr-config-check (validates a config file) and ssr-pcap (example SVR packets
for Wireshark).")
# /etc/ssr files are conffiles: dpkg keeps an administrator's edits on upgrade.
set(SSR_DEB_CONTROL_DIR ${PROJECT_BINARY_DIR}/packaging/control/ssr-router)
file(MAKE_DIRECTORY ${SSR_DEB_CONTROL_DIR})
file(WRITE ${SSR_DEB_CONTROL_DIR}/conffiles "/etc/ssr/default.textproto\n/etc/ssr/router.env.example\n")
set(CPACK_DEBIAN_SSR_ROUTER_PACKAGE_CONTROL_EXTRA ${SSR_DEB_CONTROL_DIR}/conffiles)

set(CPACK_COMPONENT_SSR_RUNTIME_DISPLAY_NAME "libssr shared library")
set(CPACK_COMPONENT_SSR_DEV_DISPLAY_NAME "libssr development files")
set(CPACK_COMPONENT_SSR_ROUTER_DISPLAY_NAME "ssr-router and tools")

include(CPack)
