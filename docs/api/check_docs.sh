#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tool.api_docs: builds the API reference (cmake target `docs`, docs/api/Doxyfile.in) and checks
# it: Doxygen ran without a warning and wrote the pages of the main types; then the same Doxyfile
# over a header with one undocumented member must fail (so "warnings are errors" really holds).
#   check_docs.sh HAVE_DOCS(ON|OFF) BINARY_DIR        (exit 77: skipped, no Doxygen)
set -euo pipefail
have="$1"
bin="$2"
if [ "$have" != ON ]; then
  echo "SKIPPED: Doxygen (or python3) was not found when CMake configured this tree (scripts/setup-deps.sh installs doxygen)"
  exit 77
fi
cmake --build "$bin" --target docs
html="$bin/docs/html"
[ ! -s "$bin/docs/warnings.log" ] || { echo "FAIL: Doxygen warnings:"; cat "$bin/docs/warnings.log"; exit 1; }
for page in index.html classssr_1_1Router.html classssr_1_1Config.html classssr_1_1LogSink.html \
            structssr_1_1RouterOptions.html structssr_1_1SessionEvent.html structssr_1_1RouterStats.html; do
  found="$(find "$html" -name "$page" -o -name "${page/ssr_1_1/ssr_1_1v0_1_1}" | head -n1)"
  [ -n "$found" ] || { echo "FAIL: the reference has no $page"; exit 1; }
done
grep -rq "on_session" "$html" || { echo "FAIL: RouterOptions::on_session is not in the reference"; exit 1; }
echo "API reference: $(find "$html" -name '*.html' | wc -l) pages in $html, no warning"

tmp="$(mktemp -d /tmp/ssr-api-docs-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/bad.h" <<'H'
// SPDX-License-Identifier: Apache-2.0
// A header with one undocumented member (check_docs.sh).
namespace ssr {
// Documented.
struct Documented {
  int documented = 0;  // documented
  int undocumented_member = 0;
};
}  // namespace ssr
H
if { cat "$bin/docs/Doxyfile"; echo "INPUT = $tmp/bad.h"; echo "OUTPUT_DIRECTORY = $tmp/out"
     echo "WARN_LOGFILE = $tmp/warnings.log"; } | doxygen - >"$tmp/doxygen.log" 2>&1; then
  echo "FAIL: Doxygen accepted a header with an undocumented member"; cat "$tmp/warnings.log"; exit 1
fi
grep -q "undocumented_member" "$tmp/warnings.log" ||
  { echo "FAIL: Doxygen failed, but not on the undocumented member:"; cat "$tmp/doxygen.log" "$tmp/warnings.log"; exit 1; }
echo "an undocumented member fails the build: ok ($(grep -m1 undocumented_member "$tmp/warnings.log"))"
