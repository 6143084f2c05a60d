#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's second command (and what CI runs): installs what is missing, builds with warnings
# as errors under ASan+UBSan (benchmarks compiled too, so they cannot rot), and runs every test
# with ctest. Extra arguments go to ctest (e.g. -L unit). The optimised build of the main job is
# compiled too: GCC warns differently without sanitizers, and the README's first command must not
# break on -Werror.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-deps.sh
bash scripts/build.sh check
# Library, tools and examples only: the tests run from the sanitizer build (keeps CI short).
bash scripts/build.sh release -DSSR_BUILD_TESTS=OFF

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd build/check
ctest --output-on-failure -j "$(nproc)" "$@"
