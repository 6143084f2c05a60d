#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Path choice by SLA and revertible failover over two WAN links (issue 15 item 7;
# docs/protocol.md §5.6, §5.7). Config (two_wan_config.py): voice under policy "voice-sla"
# (max_loss_percent 10, REVERTIBLE_FAILOVER, revert_hold_down_seconds 3, paths mpls then inet),
# web under "web-lb" (no SLA, same preference); BFD 100 ms x 10 (loss must not bring the path
# down: this is about quality), link tests of 10 echoes every second. A voice stream and a web
# stream (UDP, numbered, echoed) run on mpls (link wA); then wA loses 30 % each way
# (ssr_impair_ctl wA set loss=30):
#   - once the link tests measure more than 10 % loss, the voice session moves to inet (link wB),
#     a new voice session starts on inet, and web stays on mpls (captures on the relay veths
#     wA-a / wB-a, per-path session counts, session_moved);
# then wA's loss is removed:
#   - once mpls is within the SLA again, voice returns to it after the 3 s hold-down
#     (session_reverted; the capture shows voice on wA again, not before the hold-down).
#   two_wan_sla_test.sh SSR_ROUTER XDP_PASS_OBJ
# shellcheck source=test/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=test/netns/two_wan_lib.sh
source "$(dirname "$0")/two_wan_lib.sh"
ssr_test_require native
tw_up
d="$SSR_TOPO_DIR"
hold_s=3
# 10 %, not less: on the loaded test VM a link test now and then loses an echo of 10 to a stall
# (+2.5 % on the running loss); with a bound of 5 % that pushed mpls out of the SLA again right
# after the revert (SLA bounds have no hysteresis).
python3 "$TW_CONFIG" --bfd-multiplier 10 --voice-resiliency REVERTIBLE_FAILOVER \
  --revert-seconds "$hold_s" --voice-max-loss 10 >"$d/two_wan.conf" || fail "could not write the config"
tw_start branch "$d/two_wan.conf"
tw_start datacenter "$d/two_wan.conf"
ssr_router_wait_ready branch || fail "branch not ready"
ssr_router_wait_ready datacenter || fail "datacenter not ready"
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" udp-echo-server 10.20.2.5 10000 >"$d/echo-voice.log" 2>&1
ssr_bg ip netns exec "$SSR_NS_SERVER" python3 "$SSR_TRAFFIC" udp-echo-server 10.20.3.10 7 >"$d/echo-web.log" 2>&1
for f in echo-voice echo-web; do ssr_wait_file_line "$d/$f.log" ' on ' || fail "$f did not start"; done
tw_wait_paths branch datacenter 2 15 || fail "BFD not up on both paths"
for dst in 10.20.2.5:10000 10.20.3.10:7; do  # the datacenter resolves the servers' MACs
  ip netns exec "$SSR_NS_CLIENT" python3 "$TW_PY" voice "${dst%:*}" "${dst#*:}" --bind 10.10.2.10 \
    --rate 20 --seconds 1 --grace 0.5 >/dev/null
done

# loss_ppm PATH: the branch's running loss of path PATH to the datacenter (fresh dump).
loss_ppm() { ssr_stat "$(tw_dump branch loss)" "peer.datacenter.path.$1.loss_ppm"; }
# Both paths measured (a link test done) before anything starts.
deadline=$((SECONDS + 10))
until [ "$(ssr_stat "$(tw_dump branch m)" peer.datacenter.path.0.mos_x100)" -gt 0 ] &&
      [ "$(ssr_stat "$(tw_dump branch m)" peer.datacenter.path.1.mos_x100)" -gt 0 ]; do
  [ $SECONDS -lt $deadline ] || fail "no link test result on both paths"
  sleep 0.3
done

stream_s=32
ssr_bg ip netns exec "$SSR_NS_IMP" python3 "$TW_PY" watch $((stream_s + 3)) "$d/watch.log" wA-a wB-a \
  >"$d/watch.out" 2>&1
watch_pid=$SSR_LAST_PID
ssr_wait_file_line "$d/watch.out" watching 5 || fail "capture did not start"
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$TW_PY" voice 10.20.2.5 10000 --bind 10.10.2.10 \
  --rate 50 --seconds $stream_s >"$d/voice.log" 2>&1
voice_pid=$SSR_LAST_PID
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$TW_PY" voice 10.20.3.10 7 --bind 10.10.1.10 \
  --rate 20 --seconds $stream_s --tag WEB_ >"$d/web.log" 2>&1
web_pid=$SSR_LAST_PID
sleep 2.5
before="$(tw_dump branch before)"
echo "before: path 0 sessions $(tw_path_sessions "$before" datacenter 0), path 1 sessions" \
  "$(tw_path_sessions "$before" datacenter 1), path 0 loss $(ssr_stat "$before" peer.datacenter.path.0.loss_ppm) ppm"
[ "$(tw_path_sessions "$before" datacenter 1)" = 0 ] ||
  fail "sessions on path 1 (inet) before the loss: $(grep -E '^peer\.datacenter\.path\.[01]\.(up|loss_ppm|status_changes|sessions)|^pipeline\.(session_mov|session_not|peer_path)' "$before" | tr '\n' ' ')"

t_bad="$(tw_now)"
ssr_impair_ctl wA set loss=30 >/dev/null || fail "could not set loss on wA"
echo "wA: loss 30 % each way"
deadline=$((SECONDS + 10))
until [ "$(loss_ppm 0)" -gt 100000 ]; do
  [ $SECONDS -lt $deadline ] || fail "the link tests did not see mpls's loss above 10 %"
  sleep 0.2
done
t_over="$(tw_now)"
echo "mpls measured above 10 % loss after $(python3 -c "print(f'{$t_over - $t_bad:.1f}')") s"
sleep 1.5
ssr_bg ip netns exec "$SSR_NS_CLIENT" python3 "$TW_PY" voice 10.20.2.5 10000 --bind 10.10.2.10 \
  --rate 20 --seconds 2 --grace 0.5 --tag NEWV >"$d/newvoice.log" 2>&1
new_pid=$SSR_LAST_PID
sleep 2
bad="$(tw_dump branch bad)"
echo "out of SLA: path 0 sessions $(tw_path_sessions "$bad" datacenter 0), path 1 sessions" \
  "$(tw_path_sessions "$bad" datacenter 1); $(ssr_deltas "$before" "$bad" '^pipeline\.(session_moved|session_not_moved|session_move_failed|peer_path|no_path)')"
[ "$(ssr_stat "$bad" peer.datacenter.path.0.up)" = 1 ] || fail "mpls went down (BFD); expected only out of SLA"
[ "$(ssr_delta "$before" "$bad" pipeline.session_moved)" -ge 1 ] || fail "no session moved"
[ "$(tw_path_sessions "$bad" datacenter 1)" -ge 2 ] || fail "voice sessions are not on inet"
[ "$(tw_path_sessions "$bad" datacenter 0)" -ge 1 ] || fail "web did not stay on mpls"

t_restore="$(tw_now)"
ssr_impair_ctl wA set loss=0 >/dev/null || fail "could not remove the loss on wA"
echo "wA: loss removed"
deadline=$((SECONDS + 20))
until [ "$(loss_ppm 0)" -le 100000 ]; do
  [ $SECONDS -lt $deadline ] || fail "mpls's measured loss did not fall below 10 %"
  sleep 0.2
done
t_ok="$(tw_now)"
echo "mpls within the SLA again $(python3 -c "print(f'{$t_ok - $t_restore:.1f}')") s after the restore"
deadline=$((SECONDS + hold_s + 6))
while :; do
  sleep 0.5
  back="$(tw_dump branch back)"
  [ "$(ssr_delta "$bad" "$back" pipeline.session_reverted)" -ge 1 ] && [ $SECONDS -ge $((deadline - 4)) ] ||
    [ $SECONDS -ge $deadline ] && break
done
echo "after the hold-down: path 0 sessions $(tw_path_sessions "$back" datacenter 0), path 1" \
  "sessions $(tw_path_sessions "$back" datacenter 1); $(ssr_deltas "$bad" "$back" '^pipeline\.(session_moved|session_reverted)')"
[ "$(ssr_delta "$bad" "$back" pipeline.session_reverted)" -ge 1 ] || fail "no session reverted"
# The capture is judged up to here: later, on the loaded VM, a stalled link test can push mpls
# over the bound again (no hysteresis) and voice would rightly leave once more.
t_checked="$(tw_now)"

wait "$new_pid"; wait "$voice_pid"; wait "$web_pid"; wait "$watch_pid"
echo "voice: $(cat "$d/voice.log")"
echo "web: $(cat "$d/web.log")"
echo "new voice session: $(cat "$d/newvoice.log")"
n="$(sed -n 's/.* received=\([0-9]*\) .*/\1/p' "$d/newvoice.log")"
[ "${n:-0}" -ge 36 ] || fail "the new voice session on inet got $n of 40 echoes"
python3 - "$d/watch.log" "$t_bad" "$t_over" "$t_restore" "$t_ok" "$hold_s" "$t_checked" <<'PY' ||
import sys
bad, over, restore, ok_t, hold, checked = (float(x) for x in sys.argv[2:8])
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("liveness")]
pk = [(float(t), i, tag) for t, i, tag, s in rows]
err = []
def on(tag, t0, t1):
    return {i for t, i, g in pk if g == tag and t0 <= t < t1}
if on("VOIC", 0, bad) != {"wA-a"}:
    err.append(f"voice before the loss on {on('VOIC', 0, bad)}, expected wA-a only")
if on("WEB_", 0, 1e12) != {"wA-a"}:
    err.append(f"web on {on('WEB_', 0, 1e12)}, expected wA-a only (no SLA: it stays)")
if on("NEWV", 0, 1e12) != {"wB-a"}:
    err.append(f"the new voice session on {on('NEWV', 0, 1e12)}, expected wB-a only")
moved = [t for t, i, g in pk if g == "VOIC" and i == "wB-a" and t >= bad]
if not moved:
    err.append("voice never on wB-a")
else:
    print(f"voice moved to inet {moved[0] - over:.2f} s after the loss was measured "
          f"({moved[0] - bad:.2f} s after it began)")
    if on("VOIC", moved[0] + 0.2, restore) - {"wB-a"}:
        err.append("voice on wA-a while mpls was out of SLA")
back = [t for t, i, g in pk if g == "VOIC" and i == "wA-a" and t >= restore]
if not back:
    err.append("voice did not return to wA-a")
else:
    print(f"voice back on mpls {back[0] - ok_t:.2f} s after mpls was seen within the SLA "
          f"(hold-down {hold:.0f} s)")
    if back[0] < ok_t + hold - 1.0:
        err.append("voice returned before the hold-down")
    if on("VOIC", back[0] + 0.2, checked) - {"wA-a"}:
        err.append("voice on wB-a after the revert")
for e in err:
    print("ERROR:", e)
sys.exit(1 if err else 0)
PY
  fail "voice / web did not use the paths as expected"
for r in branch datacenter; do
  ssr_router_stop "$r" TERM
  [ "$SSR_RC" = 0 ] || fail "ssr-router $r exited with $SSR_RC"
done
ssr_test_elapsed
echo "PASS: voice left mpls when it broke the SLA (web stayed) and came back after the hold-down"
