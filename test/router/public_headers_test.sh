#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The public headers are self-contained C++17 that needs no third-party header: a consumer TU that
# includes every header of libssr/include/ssr (and the generated ssr/version.h) compiles with
# -std=c++17 -Werror -Wall -Wextra -Wpedantic, with only the two public include directories on
# the include path, and the headers it pulls in (c++ -M, system headers included) contain
# nothing under absl/, google/, bpf/, xdp/, linux/bpf or openssl/ (offenders are printed).
# Usage: public_headers_test.sh SOURCE_DIR GENERATED_INCLUDE_DIR [CXX]
set -eu
src=$1
gen=$2
cxx=${3:-c++}
tmp=$(mktemp -d /tmp/ssr-public-headers-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

test -f "$gen/ssr/version.h" || { echo "FAIL: $gen/ssr/version.h not generated"; exit 1; }
tu="$tmp/consumer.cc"
n=0
for h in "$src"/libssr/include/ssr/*.h "$gen"/ssr/version.h; do
  echo "#include \"ssr/$(basename "$h")\"" >>"$tu"
  n=$((n + 1))
done
# A use of each kind of declaration, so templates are instantiated in C++17 too.
cat >>"$tu" <<'EOF2'
#include <memory>
#include <string>
int consumer_main() {
  ssr::Result<ssr::Config> c = ssr::Status(ssr::StatusCode::kNotFound, "x");
  ssr::Result<std::unique_ptr<ssr::Router>> r = ssr::Status(ssr::StatusCode::kInternal, "y");
  std::string m = c.status().message();
  const ssr::Status& s = r.status();
  return static_cast<int>(m.size() + s.ToString().size() + ssr::Version().size()) +
         (SSR_VERSION_MAJOR + SSR_ABI_VERSION);
}
EOF2
flags="-std=c++17 -Werror -Wall -Wextra -Wpedantic -I$src/libssr/include -I$gen"
# shellcheck disable=SC2086
"$cxx" $flags -c "$tu" -o "$tmp/consumer.o" || { echo "FAIL: the public headers do not compile as C++17"; exit 1; }
# shellcheck disable=SC2086
"$cxx" $flags -M "$tu" >"$tmp/deps"
bad=$(tr ' \\' '\n\n' <"$tmp/deps" | grep -E '(^|/)(absl|google|bpf|xdp|openssl)/|linux/bpf' || true)
if [ -n "$bad" ]; then
  echo "FAIL: the public headers include third-party headers:"
  echo "$bad"
  exit 1
fi
# The check above must have seen the headers (not an empty dependency list).
for h in router.h config.h status.h stats.h log.h export.h version.h; do
  grep -q "ssr/$h" "$tmp/deps" || { echo "FAIL: ssr/$h is not in the dependency list"; exit 1; }
done
echo "public headers: $n headers compile as C++17 and include no third-party header: ok"
