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
#   smoke_test.sh calibration BUILD_DIR OUT_DIR  the automatic generator choice of a full run
#       (choose_generator in bench/run: 1 s into XDP_DROP with each generator, AF_XDP for the whole
#       run when it is more than twice as fast as live frames). Three small full runs
#       (`--scenarios xdp_drop --sizes 64 --duration 1 --repeat 1 --no-cost`, ~7 s each):
#         slowlive    SSR_PKTGEN_FAULT=slowlive slows the live-frame generator down: xdp_drop is
#                     measured with AF_XDP, and where the kernel allows live frames (the
#                     calibration's live rate > 0) the log line, run-info.txt and the summary say
#                     AF_XDP was kept for the whole run, with both calibration rates
#         slowafxdp   SSR_PKTGEN_FAULT=slowafxdp slows the AF_XDP generator down: where live
#                     frames are allowed nothing is forced (no such line, run-info.txt says
#                     "generator: auto" without a reason) and xdp_drop is measured with live frames
#         refused     SSR_PKTGEN_FAULT=live (live frames refused, as some kernels do): nothing is
#                     forced and xdp_drop falls back to AF_XDP, named with its reason
#       Where the kernel itself refuses live frames, slowlive and slowafxdp say so and check only
#       that the measurement fell back to AF_XDP.
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
calibration)
	mkdir -p "$out"
	# calrun NAME FAULT: one small full run (auto generator, so choose_generator runs) into
	# $out/NAME with SSR_PKTGEN_FAULT=FAULT; sets o, rc, live, xsk (the calibration rates, pps,
	# as choose_generator reads them; live is -1 when the live-frame generator gave no rate).
	calrun() {
		o=$out/$1
		# --no-deps: xdp_drop needs none of the comparison scenarios' packages, and a test must
		# not install any.
		SSR_PKTGEN_FAULT=$2 "$run" --scenarios xdp_drop --sizes 64 --duration 1 --repeat 1 --no-cost \
			--no-deps --no-results-md --build-dir "$build" --out "$o" > "$o.log" 2>&1
		rc=$?
		[ $rc = 77 ] && exit 77
		echo "---- $1 (SSR_PKTGEN_FAULT=$2): bench/run exited $rc"
		cat "$o.log"
		[ $rc = 0 ] || { echo "FAIL: $1: bench/run exited $rc"; exit 1; }
		rate() { python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["total"]["rx_pps"]))' "$1" 2>/dev/null; }
		[ -f "$o/logs/calibrate-live.txt" ] && [ -f "$o/logs/calibrate-afxdp.txt" ] ||
			{ echo "FAIL: $1: the generator calibration did not run (no $o/logs/calibrate-*.txt)"; exit 1; }
		xsk=$(rate "$o/logs/calibrate-afxdp.json") || xsk=""
		live=$(rate "$o/logs/calibrate-live.json") || live=""
		[ -n "$live" ] || live=-1
		echo "$1: calibration rates: live frames $([ "$live" = -1 ] && echo "none" || echo "$live pps"), AF_XDP ${xsk:-none} pps"
	}
	# kind NAME: the generator that measured xdp_drop (JSON header), and its fallback reason.
	kind() { grep -o '"generator_kind":"[a-z]*"' "$o/json/xdp_drop-64.json" | cut -d'"' -f4; }
	fallback() { grep -o '"generator_fallback":"[^"]*"' "$o/json/xdp_drop-64.json" | cut -d'"' -f4; }
	forced="bench/run: generator afxdp for the whole run:"
	# Nothing forced: no log line, run-info.txt says "generator: auto (rates)" with no reason.
	not_forced() {
		! grep -q "^$forced" "$o.log" || { echo "FAIL: $1: AF_XDP was forced for the whole run"; exit 1; }
		grep -q '^generator: auto (rates); ' "$o/run-info.txt" ||
			{ echo "FAIL: $1: run-info.txt's generator line is not plain auto: $(grep '^generator:' "$o/run-info.txt")"; exit 1; }
	}
	# Live frames refused: the measurement fell back to AF_XDP and says why.
	fell_back() {
		[ "$(kind)" = afxdp ] || { echo "FAIL: $1: xdp_drop was measured with \"$(kind)\", not afxdp"; exit 1; }
		case $(fallback) in
		"live-frame generator unavailable ("*) ;;
		*) echo "FAIL: $1: the JSON header gives no fallback reason (\"$(fallback)\")"; exit 1 ;;
		esac
	}

	calrun slowlive slowlive
	[ -n "$xsk" ] && [ "$xsk" -gt 0 ] || { echo "FAIL: slowlive: the AF_XDP calibration measured nothing"; exit 1; }
	if [ "$live" -gt 0 ]; then
		[ "$xsk" -gt $((2 * live)) ] ||
			{ echo "FAIL: slowlive: SSR_PKTGEN_FAULT=slowlive did not make live frames less than half as fast as AF_XDP"; exit 1; }
		grep -qx "$forced live frames $live pps, AF_XDP $xsk pps into XDP_DROP at 64 B" "$o.log" ||
			{ echo "FAIL: slowlive: no \"$forced\" line with both rates"; exit 1; }
		reason="(auto: live frames reach $live pps into XDP_DROP at 64 B here, AF_XDP TX $xsk pps: AF_XDP for the whole run)"
		grep -qF "generator: afxdp $reason (rates); " "$o/run-info.txt" ||
			{ echo "FAIL: slowlive: run-info.txt's generator line does not give the choice and both rates"; exit 1; }
		grep -qF "generator: afxdp $reason" "$o/summary.md" ||
			{ echo "FAIL: slowlive: the summary does not give the generator choice"; exit 1; }
		[ "$(kind)" = afxdp ] && [ -z "$(fallback)" ] ||
			{ echo "FAIL: slowlive: xdp_drop was not measured with the afxdp generator asked for (kind \"$(kind)\", fallback \"$(fallback)\")"; exit 1; }
		echo "slowlive: AF_XDP kept for the whole run ($xsk pps > 2 x $live pps)"
	else
		echo "slowlive: this kernel refuses live frames ($(grep -m1 '^ssr-pktgen' "$o/logs/calibrate-live.txt")): checking only that xdp_drop was measured with AF_XDP"
		fell_back slowlive
	fi

	calrun slowafxdp slowafxdp
	if [ "$live" -gt 0 ]; then
		[ -n "$xsk" ] && [ "$xsk" -le $((2 * live)) ] ||
			{ echo "FAIL: slowafxdp: SSR_PKTGEN_FAULT=slowafxdp did not make AF_XDP at most twice as fast as live frames"; exit 1; }
		not_forced slowafxdp
		[ "$(kind)" = live ] || { echo "FAIL: slowafxdp: xdp_drop was measured with \"$(kind)\", not live frames"; exit 1; }
		echo "slowafxdp: nothing forced ($xsk pps <= 2 x $live pps), xdp_drop measured with live frames"
	else
		echo "slowafxdp: this kernel refuses live frames: checking only that xdp_drop fell back to AF_XDP"
		fell_back slowafxdp
	fi

	# Live frames refused (here by the fault): choose_generator keeps auto, ssr-pktgen falls back.
	calrun refused live
	[ "$live" = -1 ] || { echo "FAIL: refused: the live-frame calibration measured $live pps with live frames refused"; exit 1; }
	grep -q '^ssr-pktgen.*live-frame generator: BPF_PROG_RUN with live frames: Operation not permitted' "$o/logs/calibrate-live.txt" ||
		{ echo "FAIL: refused: the live-frame calibration does not say live frames were refused"; exit 1; }
	not_forced refused
	fell_back refused
	echo "refused: nothing forced, xdp_drop fell back to AF_XDP"
	echo "PASS: the generator choice of a full run follows the calibration rates"
	;;
*) echo "usage: smoke_test.sh fallback|fails|costfails|calibration BUILD_DIR OUT_DIR" >&2; exit 2 ;;
esac
