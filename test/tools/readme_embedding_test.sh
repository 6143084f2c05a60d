#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tool.readme_embedding: the complete program of README.md "Embedding" (the ```cpp block after the
# "embedding-example" marker) compiles against the public headers as C++17, warnings as errors,
# with nothing but the public include directories (libssr/include, the generated ssr/version.h)
# and the system's on the include path.
#   readme_embedding_test.sh SOURCE_DIR BINARY_DIR CXX
set -euo pipefail
src="$1"
bin="$2"
cxx="$3"
tmp="$(mktemp -d /tmp/ssr-readme-embedding-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
awk '/<!-- embedding-example/ { marker = 1; next }
     marker && /^```cpp$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$src/README.md" >"$tmp/example.cc"
lines=$(wc -l <"$tmp/example.cc")
[ "$lines" -gt 20 ] || { echo "FAIL: README.md has no embedding example after the marker ($lines lines)"; exit 1; }
grep -q 'ssr::Router::Create' "$tmp/example.cc" || { echo "FAIL: the example does not create a Router"; exit 1; }
"$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$src/libssr/include" \
  -I"$bin/libssr/include" "$tmp/example.cc"
echo "README.md embedding example ($lines lines): compiles as C++17"
