#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds libssr.
#   scripts/build.sh release   -> build/release  (RelWithDebInfo, -Werror)
#   scripts/build.sh check     -> build/check    (RelWithDebInfo, -Werror, ASan+UBSan, benchmarks)
# Extra arguments after the preset go to cmake at configure time.
set -euo pipefail
cd "$(dirname "$0")/.."

preset="${1:-release}"
shift || true
case "$preset" in
  release) args=(-DSSR_WERROR=ON) ;;
  # -g1 (line tables only) instead of -g: same code and warnings, ASan traces keep file:line,
  # and the debug info of template-heavy test code no longer dominates compile and link time.
  check)   args=(-DSSR_WERROR=ON -DSSR_SANITIZE=address,undefined -DSSR_BUILD_BENCH=ON
                 "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
                 "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG") ;;
  *) echo "usage: scripts/build.sh [release|check] [cmake args...]" >&2; exit 2 ;;
esac

dir="build/$preset"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${args[@]}" "$@"
cmake --build "$dir" -j "$(nproc)"
