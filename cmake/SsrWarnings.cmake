# SPDX-License-Identifier: Apache-2.0
# Project-wide warning and sanitizer flags. Warnings are applied to our own targets through
# ssr_set_warnings(); generated protobuf code gets a relaxed set because we do not own it.

set(SSR_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Wunused -Woverloaded-virtual
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(SSR_WERROR)
  list(APPEND SSR_WARNING_FLAGS -Werror)
endif()

function(ssr_set_warnings target)
  target_compile_options(${target} PRIVATE ${SSR_WARNING_FLAGS})
endfunction()

if(SSR_SANITIZE)
  message(STATUS "libssr: sanitizers enabled: ${SSR_SANITIZE}")
  add_compile_options(-fsanitize=${SSR_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SSR_SANITIZE})
endif()
