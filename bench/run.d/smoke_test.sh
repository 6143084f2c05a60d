#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest checks of bench/run's generator choice and of its failure path (bench/pktgen/CMakeLists.txt):
#   smoke_test.sh fallback BUILD_DIR OUT_DIR   the live-frame generator fails (as on kernels that
#       refuse live frames): bench/run --smoke still measures, with the AF_XDP generator, and says
#       why in the JSON header and the summary
#   smoke_test.sh fails BUILD_DIR OUT_DIR      every generator fails: bench/run --smoke exits 1
#       and prints the generator's first error line
#   smoke_test.sh costfails BUILD_DIR OUT_DIR  the AF_XDP generator fails: the cost trial (always
#       that generator) measures nothing, and bench/run --smoke exits 1 naming it
# Exit 77 (SKIP) when bench/run cannot run here (not root, no network namespaces).
set -u
mode=$1 build=$2 out=$3
run=$(dirname "$0")/../run
rm -rf "$out"
case $mode in
fallback)
	SSR_PKTGEN_FAULT=live "$run" --smoke --scenarios afxdp_fwd --no-cost --build-dir "$build" --out "$out" > "$out.log" 2>&1
	rc=$?
	[ $rc = 77 ] && exit 77
	cat "$out.log"
	[ $rc = 0 ] || { echo "FAIL: bench/run exited $rc with the AF_XDP generator available"; exit 1; }
	j=$out/json/afxdp_fwd-64.json
	grep -q '"generator_kind":"afxdp"' "$j" || { echo "FAIL: $j does not name the afxdp generator"; exit 1; }
	grep -q '"generator_fallback":"live-frame generator unavailable (BPF_PROG_RUN with live frames: Operation not permitted)"' "$j" ||
		{ echo "FAIL: $j does not give the fallback reason"; exit 1; }
	grep -q '^Generator: AF_XDP TX (copy mode) for 1 measurement(s) (auto fell back: live-frame generator unavailable' "$out/summary.md" ||
		{ echo "FAIL: the summary does not name the generator and the fallback"; exit 1; }
	awk -F'\t' '$1=="afxdp_fwd" && $2=="64" && $3+0 > 0 {ok=1} END {exit !ok}' "$out/results.tsv" ||
		{ echo "FAIL: no afxdp_fwd rate measured"; exit 1; }
	echo "PASS: fallback to the AF_XDP generator, named with its reason"
	;;
fails)
	SSR_PKTGEN_FAULT=live,afxdp "$run" --smoke --scenarios afxdp_fwd --no-cost --build-dir "$build" --out "$out" > "$out.log" 2>&1
	rc=$?
	[ $rc = 77 ] && exit 77
	cat "$out.log"
	[ $rc = 1 ] || { echo "FAIL: bench/run exited $rc although nothing was measured (expected 1)"; exit 1; }
	grep -q '^bench/run: 1 measurement(s) measured nothing:' "$out.log" || { echo "FAIL: no failure summary"; exit 1; }
	grep -q 'afxdp_fwd 64: ssr-pktgen: live-frame generator unavailable (BPF_PROG_RUN with live frames: Operation not permitted); AF_XDP generator: AF_XDP socket on "g0": Operation not permitted' "$out.log" ||
		{ echo "FAIL: the generator's first error line is not shown"; exit 1; }
	echo "PASS: a run that measures nothing fails and says why"
	;;
costfails)
	SSR_PKTGEN_FAULT=afxdp "$run" --smoke --scenarios afxdp_fwd --build-dir "$build" --out "$out" > "$out.log" 2>&1
	rc=$?
	[ $rc = 77 ] && exit 77
	cat "$out.log"
	[ $rc = 1 ] || { echo "FAIL: bench/run exited $rc although the cost trial measured nothing (expected 1)"; exit 1; }
	grep -q '^  afxdp_fwd cost 64: ssr-pktgen: AF_XDP generator: AF_XDP socket on "g0": Operation not permitted' "$out.log" ||
		{ echo "FAIL: the cost trial's failure is not listed with the generator's error"; exit 1; }
	echo "PASS: a cost trial that measures nothing fails the run"
	;;
*) echo "usage: smoke_test.sh fallback|fails|costfails BUILD_DIR OUT_DIR" >&2; exit 2 ;;
esac
