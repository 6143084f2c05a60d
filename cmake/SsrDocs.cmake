# SPDX-License-Identifier: Apache-2.0
# API reference (README "Embedding"): target `docs` runs Doxygen over the public headers
# (libssr/include/ssr/*.h and the generated ssr/version.h) into build/.../docs/html; an
# undocumented public member or a malformed doc comment fails it (docs/api/Doxyfile.in). Only
# when Doxygen is found (Debian package doxygen, scripts/setup-deps.sh); the test tool.api_docs
# builds it and is skipped (77) without Doxygen.
find_package(Doxygen QUIET)
find_package(Python3 QUIET COMPONENTS Interpreter)
set(SSR_GENERATED_INCLUDE ${PROJECT_BINARY_DIR}/libssr/include)  # libssr/CMakeLists.txt
if(DOXYGEN_FOUND AND Python3_Interpreter_FOUND)
  set(SSR_DOCS_OUTPUT ${PROJECT_BINARY_DIR}/docs)
  file(GLOB SSR_DOCS_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/libssr/include/ssr/*.h)
  list(APPEND SSR_DOCS_HEADERS ${SSR_GENERATED_INCLUDE}/ssr/version.h)
  list(JOIN SSR_DOCS_HEADERS " " SSR_DOCS_INPUT)
  configure_file(${PROJECT_SOURCE_DIR}/docs/api/Doxyfile.in ${SSR_DOCS_OUTPUT}/Doxyfile @ONLY)
  add_custom_command(
    OUTPUT ${SSR_DOCS_OUTPUT}/html/index.html
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${SSR_DOCS_OUTPUT}/html
    COMMAND ${DOXYGEN_EXECUTABLE} ${SSR_DOCS_OUTPUT}/Doxyfile
    DEPENDS ${SSR_DOCS_HEADERS} ${SSR_DOCS_OUTPUT}/Doxyfile
            ${PROJECT_SOURCE_DIR}/docs/api/doxygen_filter.py
    WORKING_DIRECTORY ${SSR_DOCS_OUTPUT}
    COMMENT "Doxygen: API reference in ${SSR_DOCS_OUTPUT}/html (warnings are errors)"
    VERBATIM)
  add_custom_target(docs DEPENDS ${SSR_DOCS_OUTPUT}/html/index.html)
  set(SSR_HAVE_DOCS ON)
else()
  set(SSR_HAVE_DOCS OFF)
endif()
if(SSR_BUILD_TESTS)
  # Builds the docs target and checks an undocumented member fails it (docs/api/check_docs.sh;
  # exit 77 = skipped without Doxygen).
  add_test(NAME tool.api_docs
           COMMAND bash ${PROJECT_SOURCE_DIR}/docs/api/check_docs.sh ${SSR_HAVE_DOCS}
                   ${PROJECT_BINARY_DIR})
  set_tests_properties(tool.api_docs PROPERTIES LABELS "tool" SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()
