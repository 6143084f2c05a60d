# SPDX-License-Identifier: Apache-2.0
# Run by `cmake --install` (component ssr_router, see ../CMakeLists.txt) with SSR_SERVICE_SOURCE
# (this directory), SSR_SERVICE_BINARY (a build directory), SSR_DEFAULT_CONFIG and
# SSR_SYSTEMD_UNIT_DIR set. Evaluated at install time so that the unit's paths follow the prefix
# actually installed to (`cmake --install --prefix P`):
#   P/bin/ssr-router                                (install(TARGETS), not here)
#   P/<SSR_SYSTEMD_UNIT_DIR>/ssr-router@.service    ExecStart = P/bin/ssr-router
#   CONFDIR/ssr/default.textproto                   the built-in demo config
#   CONFDIR/ssr/router.env.example                  the per-instance environment file, commented
# CONFDIR is /etc for the prefix /usr, P/etc otherwise. DESTDIR is honoured (not written into the
# files).
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(SSR_CONFDIR "/etc/ssr")
else()
  set(SSR_CONFDIR "${prefix}/etc/ssr")
endif()
set(SSR_BINDIR "${prefix}/bin")
if(IS_ABSOLUTE "${SSR_SYSTEMD_UNIT_DIR}")
  set(unit_dir "${SSR_SYSTEMD_UNIT_DIR}")
else()
  set(unit_dir "${prefix}/${SSR_SYSTEMD_UNIT_DIR}")
endif()
set(stage "${SSR_SERVICE_BINARY}/ssr-service-stage")
configure_file("${SSR_SERVICE_SOURCE}/ssr-router@.service.in" "${stage}/ssr-router@.service" @ONLY)
configure_file("${SSR_SERVICE_SOURCE}/router.env.example" "${stage}/router.env.example" @ONLY)
file(INSTALL DESTINATION "${unit_dir}" TYPE FILE FILES "${stage}/ssr-router@.service")
file(INSTALL DESTINATION "${SSR_CONFDIR}" TYPE FILE
     FILES "${SSR_DEFAULT_CONFIG}" "${stage}/router.env.example")
