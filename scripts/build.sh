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
  check)   args=(-DSSR_WERROR=ON -DSSR_SANITIZE=address,undefined -DSSR_BUILD_BENCH=ON) ;;
  *) echo "usage: scripts/build.sh [release|check] [cmake args...]" >&2; exit 2 ;;
esac

dir="build/$preset"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${args[@]}" "$@"
cmake --build "$dir" -j "$(nproc)"
