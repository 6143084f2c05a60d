#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest tool.bench_cost_ratio (bench/pktgen/CMakeLists.txt): the cost ratios of bench/run's summary
# (run.d/summarize.py) follow the rule of bench/RESULTS.md's cost method. Each figure divides the
# DUT CPU's busy time by the packets the DUT processed, so frames lost before the DUT (the loss
# column) are reported next to the ratio and never refuse it; only a saturated DUT CPU (busy
# >= 99 %) does. Fed with hand-made cost.tsv rows; no network, no root.
#   cost_ratio_test.sh WORK_DIR
set -u
work=$1
summarize=$(dirname "$0")/summarize.py
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

# summarize_case NAME: runs summarize.py on $work/NAME, whose results.tsv / cost.tsv /
# bpfcost.tsv the caller wrote; fails the test when it fails.
summarize_case() {
	local out=$work/$1
	printf 'command: test\ndate: test\n' > "$out/run-info.txt"
	python3 "$summarize" "$out" "test" > "$out/stdout" 2>&1 || { cat "$out/stdout"; fail "summarize.py failed ($1)"; }
}

# cost.tsv: scen size ns busy% offered_Mpps rx_Mpps loss% note runs generator
run_case() { # NAME, then the cost.tsv rows on stdin; prints the summary's cost ratio lines
	local out=$work/$1
	mkdir -p "$out"
	: > "$out/results.tsv"
	cat > "$out/cost.tsv"
	# scen, XDP program ns/run, runs, NAPI kthread ns per run
	printf 'xdp_drop\t24.4\t3000000\t120.0\ngate_drop\t68.5\t3000000\t130.0\n' > "$out/bpfcost.tsv"
	summarize_case "$1"
	grep '^| gate drop of non-members vs raw XDP_DROP | ns of' "$out/summary.md" ||
		fail "no gate cost ratio line ($1)"
}

T=$'\t'
# The 2026-12-06 trial bench/run used to refuse: 0.54 % of the frames lost in the generator path,
# DUT CPU a quarter busy.
line=$(run_case lost_in_generator <<EOF2
xdp_drop${T}64${T}218.0${T}23.4${T}1.0000${T}0.8775${T}0.540${T}XDP_DROP${T}211.5,218.0,255.5${T}afxdp
gate_drop${T}64${T}242.0${T}25.1${T}1.0000${T}0.8498${T}0.540${T}gate${T}240.0,242.0,250.0${T}afxdp
EOF2
) || { echo "$line"; exit 1; }
echo "$line"
echo "$line" | grep -qF '| 0.90 (met; loss 0.540 % / 0.540 %, not in the figures) | ≥ 0.9 |' ||
	fail "a trial with 0.54 % loss below saturation must give the ratio 218 / 242 = 0.90 and report the loss"

# Much loss (10 %), DUT not saturated: still a ratio (250 / 1000 = 0.25, not met), loss shown.
line=$(run_case much_loss <<EOF2
xdp_drop${T}64${T}250.0${T}20.0${T}1.0000${T}0.9000${T}10.000${T}XDP_DROP${T}250.0${T}afxdp
gate_drop${T}64${T}1000.0${T}60.0${T}1.0000${T}0.9000${T}10.000${T}gate${T}1000.0${T}afxdp
EOF2
) || { echo "$line"; exit 1; }
echo "$line"
echo "$line" | grep -qF '| 0.25 (not met; loss 10.000 % / 10.000 %, not in the figures) |' ||
	fail "loss alone must not refuse a ratio"

# Saturated DUT CPU (99.5 % busy): no ratio, the reason named.
line=$(run_case saturated <<EOF2
xdp_drop${T}64${T}218.0${T}23.4${T}1.0000${T}0.8775${T}0.000${T}XDP_DROP${T}218.0${T}afxdp
gate_drop${T}64${T}242.0${T}99.5${T}1.0000${T}0.8498${T}0.000${T}gate${T}242.0${T}afxdp
EOF2
) || { echo "$line"; exit 1; }
echo "$line"
echo "$line" | grep -qF '| n/a (gate_drop 64 saturated: DUT CPU busy 99.5 %, loss 0.000 %) |' ||
	fail "a saturated trial must not give a ratio"
grep -q 'never divided by, and no reason to refuse a ratio' "$work/saturated/summary.md" ||
	fail "the summary does not state the rule"
# The NAPI kthread figure (per packet the XDP program ran on) gives its own ratio: 120 / 130.
grep -q 'XDP_DROP 120.0 ns, gate non-member drop 130.0 ns: gate drop vs raw XDP_DROP 0.92 (met, goal ≥ 0.9)' \
	"$work/saturated/summary.md" || fail "no NAPI-thread cost ratio"

# Rate ratios at 1400 B: bench/run searches NDR / PDR at 1400 B for ssr_hmac, ssr_cbc and
# ssr_gcm_enc, and encrypted ÷ HMAC-only divides them (results.tsv: scen size rx tx loss p50 p99
# ndr pdr note runs). A row without a search is named, not divided.
out=$work/rate1400
mkdir -p "$out"
cat > "$out/results.tsv" <<EOF2
ssr_hmac${T}1400${T}0.3218${T}1.4272${T}77.451${T}${T}${T}0.3000${T}0.3300${T}hmac${T}0.3218
ssr_cbc${T}1400${T}0.3520${T}1.5292${T}76.979${T}${T}${T}0.2800${T}0.3135${T}cbc${T}0.3520
ssr_gcm_enc${T}1400${T}0.2778${T}1.4731${T}81.140${T}${T}${T}${T}${T}gcm${T}0.2778
EOF2
summarize_case rate1400
line=$(grep '^| encrypted SVR (default policy: AES-256-CBC + HMAC) vs SVR+HMAC only | ssr_cbc 1400 B' "$out/summary.md") ||
	fail "no encrypted ÷ HMAC-only rate ratio line"
echo "$line"
echo "$line" | grep -qF '| 1.09 (met) | 0.93 (met) | 0.95 (met) | ≥ 0.9 |' ||
	fail "the 1400-byte ratio must divide max offered (0.3520 / 0.3218), NDR (0.28 / 0.30) and PDR (0.3135 / 0.33)"
line=$(grep '^| encrypted SVR (AES-256-GCM) vs SVR+HMAC only | ssr_gcm_enc 1400 B' "$out/summary.md") ||
	fail "no GCM ÷ HMAC-only rate ratio line"
echo "$line"
echo "$line" | grep -qF '| 0.86 (not met) | n/a (ssr_gcm_enc 1400 B: not searched) | n/a (ssr_gcm_enc 1400 B: not searched) |' ||
	fail "a row without a search must be named, not divided"
echo "PASS: cost ratios divide by what the DUT processed, report loss, refuse only saturation; 1400-byte rate ratios use the 1400-byte searches"
