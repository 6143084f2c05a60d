# SPDX-License-Identifier: Apache-2.0
# Man pages generated at build time from each installed tool's --help with help2man (the version
# line is the project version, so a tool without --version still gets its page; Debian `help2man`,
# scripts/setup-deps.sh), installed gzip-compressed (gzip -9n, as Debian wants them) under
# share/man/man1 with the tool's install component (ssr-impair's page with ssr_lab, the others with
# ssr_router, i.e. in the ssr-router package). Optional: without
# help2man (or with -DSSR_MAN_PAGES=OFF) there is no `man` target and nothing is installed.
find_program(SSR_HELP2MAN help2man)
if(SSR_HELP2MAN)
  option(SSR_MAN_PAGES "Generate man pages from the tools' --help with help2man" ON)
else()
  option(SSR_MAN_PAGES "Generate man pages from the tools' --help with help2man" OFF)
  message(STATUS "libssr: help2man not found (Debian help2man): no man pages")
endif()

if(SSR_MAN_PAGES)
  if(NOT SSR_HELP2MAN)
    message(FATAL_ERROR "libssr: SSR_MAN_PAGES=ON needs help2man (Debian help2man)")
  endif()
  find_program(SSR_MAN_GZIP gzip REQUIRED)
  # target|one-line description for the NAME section
  set(SSR_MAN_TOOLS
      "ssr-router|run a libssr SVR router on Linux interfaces (AF_XDP behind an XDP gate)"
      "ssrctl|ask a running ssr-router about its state through its control socket"
      "ssr-config-check|validate a libssr configuration file"
      "ssr-pcap|write example SVR packets to a pcap file for Wireshark or tshark"
      "ssr-impair|relay Ethernet frames between two interfaces with delay, jitter, loss, rate limits, link cuts")
  set(SSR_MAN_DIR ${PROJECT_BINARY_DIR}/man/man1)
  file(MAKE_DIRECTORY ${SSR_MAN_DIR})
  set(SSR_MAN_PAGES_BUILT)
  foreach(entry IN LISTS SSR_MAN_TOOLS)
    string(FIND "${entry}" "|" cut)
    string(SUBSTRING "${entry}" 0 ${cut} tool)
    math(EXPR rest "${cut} + 1")
    string(SUBSTRING "${entry}" ${rest} -1 description)
    set(page ${SSR_MAN_DIR}/${tool}.1)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${SSR_HELP2MAN} --no-info --no-discard-stderr --section=1
              "--name=${description}" "--version-string=${tool} ${PROJECT_VERSION}"
              --output=${page} $<TARGET_FILE:${tool}>
      DEPENDS ${tool}
      COMMENT "help2man: ${tool}.1"
      VERBATIM)
    add_custom_command(
      OUTPUT ${page}.gz
      COMMAND ${SSR_MAN_GZIP} -9nkf ${page}
      DEPENDS ${page}
      COMMENT "gzip: ${tool}.1.gz"
      VERBATIM)
    list(APPEND SSR_MAN_PAGES_BUILT ${page} ${page}.gz)
    if(tool STREQUAL "ssr-impair")
      set(component ssr_lab)
    else()
      set(component ssr_router)
    endif()
    install(FILES ${page}.gz DESTINATION share/man/man1 COMPONENT ${component})
  endforeach()
  add_custom_target(man ALL DEPENDS ${SSR_MAN_PAGES_BUILT})
endif()
