#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the micro-benchmarks (Release, no sanitizers) and runs them.
#   bench/micro/run.sh                 all benchmarks
#   bench/micro/run.sh svr_bench ...   only the named ones
# Extra Google Benchmark flags can be passed in BENCH_FLAGS (default --benchmark_min_time=0.2).
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DSSR_BUILD_BENCH=ON -DSSR_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" >/dev/null
benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  mapfile -t benches < <(find build/bench/bench/micro -maxdepth 1 -type f -executable -name '*_bench' -printf '%f\n' | sort)
fi
for b in "${benches[@]}"; do
  echo "== $b"
  "build/bench/bench/micro/$b" ${BENCH_FLAGS:---benchmark_min_time=0.2}
done
