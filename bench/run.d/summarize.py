#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# bench/run's last step: results.tsv -> summary.md (table, ratios, the command), plot.dat and a
# gnuplot PNG (Mpps per scenario and packet size); with a third argument, the summary replaces
# the "## Side-by-side (bench/run)" section at the end of that RESULTS.md.
#   summarize.py OUT_DIR "COMMAND" [RESULTS_MD]
import json
import os
import re
import shutil
import subprocess
import sys

out, command = sys.argv[1], sys.argv[2]
results_md = sys.argv[3] if len(sys.argv) > 3 else None
SECTION = "## Side-by-side (bench/run)"
ORDER = ["xdp_drop", "afxdp_fwd", "afxdp_fwd2", "ssr_plain", "ssr_hmac", "ssr_cbc", "ssr_gcm", "ssr_gcm_enc", "gate_drop",
         "kernel_nft", "wireguard", "session_rate", "ssr_hmac_2w"]
SIZES = ["64", "512", "1400", "imix"]



def read_tsv(name, min_fields):
    """The rows of OUT/name with at least min_fields tab-separated fields ([] if it is missing)."""
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    return [f for f in (line.rstrip("\n").split("\t") for line in open(path)) if len(f) >= min_fields]


rows = {}
for f in read_tsv("results.tsv", 10):
    rows[(f[0], f[1])] = dict(zip(["scen", "size", "rx", "tx", "loss", "p50", "p99", "ndr", "pdr",
                                   "note", "runs"], f))
scens = [s for s in ORDER if any(k[0] == s for k in rows)] + \
        sorted({k[0] for k in rows} - set(ORDER))
sizes = [s for s in SIZES if any(k[1] == s for k in rows)]


def number(table, scen, size, field):
    """table[(scen, size)][field] as a float; None when the row, the field or a number is missing."""
    r = table.get((scen, size))
    try:
        return float(r[field]) if r and r.get(field) else None
    except ValueError:
        return None


def mpps(scen, size):
    return number(rows, scen, size, "rx")


lines = [SECTION, ""]
info = open(os.path.join(out, "run-info.txt")).read().strip().splitlines()
lines += ["Measured in one run by `%s` (%s)." % (command, "; ".join(info[1:])), "",
          "Received Mpps per scenario and frame size (RFC 2544 sizes, FCS included; IMIX 7:4:1 of "
          "64/576/1500). One 2-vCPU VM runs the generator, the devices under test and the sink at "
          "once: the forwarding work of every scenario (AF_XDP forwarder(s), both ssr-routers, "
          "nftables forwarding, both wireguard-go endpoints) is confined to one CPU and the "
          "generator and sink (or iperf3) to the other, so the table compares work per core. "
          "Absolute figures are low and noisy; compare within a run. Each cell is the median of "
          "the runs listed under \"runs @64\" (Mpps of every run at 64 B, the spread tells how far "
          "to trust a cell). The sink yields its CPU instead of sleeping while frames arrive (its wake-ups "
          "would otherwise be charged to the DUT core) and keeps 8192 frames in its fill ring, enough for "
          "a scheduler tick of the generator at full speed on their shared CPU; the raw forwarders wait for frames like "
          "ssr-router does (yield for 2 ms after the last frame, then sleep). The size columns are the received rate with the generator at full "
          "speed (forwarding paths are then overloaded, hence the loss column); NDR (0 loss) and "
          "PDR (<= 0.5 % loss) come from a binary search of 1-second trials at 64 B, and at 1400 B "
          "for ssr_hmac, ssr_cbc and ssr_gcm_enc (the encrypted ÷ HMAC-only ratios; `--search`, "
          "first run only), where one disturbed trial moves the result a lot. JSON per measurement "
          "(header with every mode, per-second lines, latency histogram, drops by reason, search "
          "trials; `.rN` for every run) in `bench/results/latest/json/`.", ""]
head = "| scenario | " + " | ".join("%s B" % s if s != "imix" else "IMIX" for s in sizes) + \
       " | runs @64 | loss % @64 | latency p50 / p99 µs @64 | NDR / PDR Mpps @64 | what |"
lines += [head, "|" + " --- |" * (len(sizes) + 6)]
reasons = []
for s in scens:
    cells = []
    for z in sizes:
        r = rows.get((s, z))
        if r is None:
            cells.append("")
        elif r["rx"] == "n/a":
            cells.append("n/a")
            reasons.append("%s %s: %s" % (s, z, r["note"]))
        else:
            cells.append(r["rx"])
    r64 = rows.get((s, "64")) or next((rows[k] for k in rows if k[0] == s), {})
    ok = r64 and r64.get("rx") != "n/a"
    lat = "%s / %s" % (r64["p50"], r64["p99"]) if ok and r64.get("p50") else ""
    srch = "%s / %s" % (r64["ndr"], r64["pdr"]) if ok and r64.get("ndr") else ""
    note = r64.get("note", "") if ok else ""
    runs = r64.get("runs", "").replace(",", " / ") if ok else ""
    lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (s, " | ".join(cells), runs,
                                                           r64.get("loss", "") if ok else "",
                                                           lat, srch, note.replace("|", "/")))
if reasons:
    lines += ["", "n/a:"] + ["- " + r for r in reasons]

# Which generator sent the frames of each measurement (JSON headers), and why auto fell back.
gens, fallbacks = {}, set()
jdir = os.path.join(out, "json")
for name in sorted(os.listdir(jdir)) if os.path.isdir(jdir) else []:
    if not name.endswith(".json"):
        continue
    try:
        h = json.load(open(os.path.join(jdir, name))).get("header", {})
    except (ValueError, OSError):
        continue
    if "generator_kind" in h:
        gens.setdefault(h["generator_kind"], []).append(name[:-5])
        if h.get("generator_fallback"):
            fallbacks.add(h["generator_fallback"])
if gens:
    desc = {"live": "live-frame BPF_PROG_RUN", "afxdp": "AF_XDP TX (copy mode)"}
    lines += ["", "Generator: " + "; ".join("%s for %d measurement(s)" % (desc.get(k, k), len(v))
                                             for k, v in sorted(gens.items())) +
              "".join(" (auto fell back: %s)" % f for f in sorted(fallbacks)) + "."]

# Cost per packet (cost.tsv, bpfcost.tsv): CPU time of the DUT CPU per packet at a fixed rate.
cost = {(f[0], f[1]): dict(zip(["scen", "size", "ns", "busy", "offered", "rx", "loss", "note", "runs", "gen"], f))
        for f in read_tsv("cost.tsv", 10)}
prog = {f[0]: (float(f[1]), int(f[2])) for f in read_tsv("bpfcost.tsv", 3)}
# CPU time of the XDP path's NAPI kthreads per packet its program ran on (4th column; 0 = unknown).
napi = {f[0]: float(f[3]) for f in read_tsv("bpfcost.tsv", 4) if float(f[3]) > 0}


# A cost trial whose DUT CPU was this busy (percent) or more is saturated: no ratio from it.
COST_SATURATED_BUSY_PCT = 99


def cost_ns(scen, size):
    return number(cost, scen, size, "ns")


if cost:
    csizes = [z for z in SIZES if any(k[1] == z for k in cost)]
    cscens = [s for s in ORDER if any(k[0] == s for k in cost)] + sorted({k[0] for k in cost} - set(ORDER))
    lines += ["", "### Cost per packet (CPU time of the device-under-test CPU)", "",
              "Busy time of the DUT CPU (/proc/stat, 10 ms ticks) per packet received, in ns, at a fixed "
              "offered rate below saturation: the \"cost per packet\" line of the header names the rates (one "
              "for the forwarding paths, a higher one for XDP_DROP and the gate), the sizes and the NAPI "
              "moderation; the AF_XDP generator sends bursts of 64 frames through the relay. The DUT works "
              "only when packets come: every veth receive of the DUT runs in a NAPI thread pinned to its "
              "CPU with interrupt moderation (the sink's on the generator CPU), and the AF_XDP forwarders "
              "and ssr-routers sleep in poll() as soon as their rings are empty; so a figure includes the "
              "kernel's receive path and wake-ups, not only the forwarding code. The two XDP rows run with "
              "the kernel's BPF statistics on (~20-40 ns per run more), and give the XDP program's own run "
              "time per packet next to it. Median of the runs listed. The denominator is the packets the "
              "DUT processed, as the DUT counted them (xdp_drop: the veth's XDP drop counter; gate_drop: "
              "the gate's drop_non_member counter; forwarding paths: the packets delivered at the sink, so "
              "work spent on frames lost inside the DUT is charged to the delivered ones). Frames the "
              "generator sent that the DUT never counted are the loss column: reported, never divided "
              "by, and no reason to refuse a ratio. A figure is a cost only below saturation: a ratio "
              "is not computed from a trial with the DUT CPU %g %% busy or more (the loss of such a "
              "trial would be the DUT's own)." % COST_SATURATED_BUSY_PCT, ""]
    lines += ["| scenario | " + " | ".join("ns/pkt @%s B" % z for z in csizes) +
              " | runs @%s | DUT busy %% | rx Mpps | loss %% | XDP program ns/run | what |" % csizes[0],
              "|" + " --- |" * (len(csizes) + 7)]
    for s in cscens:
        first = cost.get((s, csizes[0]), {})
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s, " | ".join(cost[(s, z)]["ns"] if (s, z) in cost else "" for z in csizes),
            first.get("runs", "").replace(",", " / "), first.get("busy", ""), first.get("rx", ""),
            first.get("loss", ""), ("%.1f" % prog[s][0]) if s in prog else "", first.get("note", "")))

    def cratio(name, num, den, goal):
        a, b = cost_ns(*num), cost_ns(*den)
        saturated = [k for k in (num, den) if k in cost and
                     float(cost[k]["busy"]) >= COST_SATURATED_BUSY_PCT]
        if a is None or b is None:
            cell = "n/a (no %s)" % (("%s %s" % num) if a is None else ("%s %s" % den))
        elif saturated:
            cell = "n/a (%s saturated: DUT CPU busy %s %%, loss %s %%)" % (
                "%s %s" % saturated[0], cost[saturated[0]]["busy"], cost[saturated[0]]["loss"])
        else:
            # Rate equivalent: work per packet of the baseline ÷ that of the measured path. Both
            # figures divide by the packets the DUT processed; the loss is only reported.
            cell = "%.2f (%s; loss %s %% / %s %%, not in the figures)" % (
                b / a, "met" if b / a >= goal else "not met", cost[den]["loss"], cost[num]["loss"])
        return "| %s | ns of %s %s B ÷ ns of %s %s B | %s | ≥ %g |" % (name, den[0], den[1], num[0], num[1], cell, goal)
    lines += ["", "Cost ratios (the baseline's ns per packet ÷ the measured path's: a rate-equivalent ratio, "
              "1.0 = as cheap as the baseline; loss of the baseline's trial / the measured path's).", "",
              "| ratio | measured | value | goal |", "| --- | --- | --- | --- |",
              cratio("gate drop of non-members vs raw XDP_DROP", ("gate_drop", "64"), ("xdp_drop", "64"), 0.9),
              cratio("SVR+HMAC vs two raw AF_XDP forwarders (same hops)", ("ssr_hmac", "64"), ("afxdp_fwd2", "64"), 0.9),
              cratio("encrypted SVR (AES-256-CBC + HMAC) vs SVR+HMAC only", ("ssr_cbc", "1400"), ("ssr_hmac", "1400"), 0.9),
              cratio("encrypted SVR (AES-256-GCM) vs SVR+HMAC only", ("ssr_gcm_enc", "1400"), ("ssr_hmac", "1400"), 0.9)]
    if "xdp_drop" in prog and "gate_drop" in prog:
        lines += ["", "XDP programs alone (kernel BPF statistics, per run): XDP_DROP %.1f ns, gate non-member "
                  "drop %.1f ns: the gate's verdict costs %.1f ns more per packet." % (
                      prog["xdp_drop"][0], prog["gate_drop"][0], prog["gate_drop"][0] - prog["xdp_drop"][0])]
    if "xdp_drop" in napi and "gate_drop" in napi:
        r = napi["xdp_drop"] / napi["gate_drop"]
        lines += ["", "Receive path alone (CPU time of the interface's NAPI kthreads, /proc/PID/schedstat, per "
                  "packet the XDP program ran on, over all trials; what else runs on the DUT CPU does not "
                  "enter it): XDP_DROP %.1f ns, gate non-member drop %.1f ns: gate drop vs raw XDP_DROP "
                  "%.2f (%s, goal ≥ 0.9)." % (napi["xdp_drop"], napi["gate_drop"], r,
                                               "met" if r >= 0.9 else "not met")]

# Ring depth / batch sweep (sweep.tsv): scenario names sweep_<path>_f<frames>_l<fill>_r<rx>_b<batch>.
sweep = {(f[0], f[1]): f for f in read_tsv("sweep.tsv", 10)}
if sweep:
    def sweep_cell(path, tag, size, col):
        f = sweep.get(("sweep_%s_%s" % (path, tag), size))
        return f[col] if f and f[col] not in ("", "n/a") else None
    tags = []
    for scen, _ in sweep:
        m = re.search(r"(f\d+_l\d+_r\d+_b\d+)$", scen)
        if m and m.group(1) not in tags:
            tags.append(m.group(1))
    lines += ["", "### Ring depth and batch size (ring_sweep)", "",
              "Received Mpps with the generator at full speed, and the PDR at 64 B, for each AF_XDP "
              "configuration: frames per Umem / fill (and completion) ring entries / RX (and TX) ring "
              "entries / RX batch. The first row is the default of ssr-router (RouterOptions) and of the "
              "raw forwarder. \"Overload\" is the received rate at full offered load ÷ the PDR "
              "(goal ≥ 0.9 for ssr-router: a flood must not push it below what it forwards cleanly).", "",
              "| frames / fill / rx / batch | ssr_hmac 64 B | ssr_hmac 1400 B | ssr_hmac PDR @64 | overload | "
              "afxdp_fwd2 64 B | afxdp_fwd2 1400 B | afxdp_fwd2 PDR @64 | ssr_hmac ÷ afxdp_fwd2 @64 |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for tag in tags:
        parts = dict((p[0], p[1:]) for p in tag.split("_"))
        name = "%s / %s / %s / %s" % (parts.get("f", "?"), parts.get("l", "?"), parts.get("r", "?"), parts.get("b", "?"))
        h64, h1400, hpdr = (sweep_cell("ssr_hmac", tag, "64", 2), sweep_cell("ssr_hmac", tag, "1400", 2),
                            sweep_cell("ssr_hmac", tag, "64", 8))
        f64, f1400, fpdr = (sweep_cell("afxdp_fwd2", tag, "64", 2), sweep_cell("afxdp_fwd2", tag, "1400", 2),
                            sweep_cell("afxdp_fwd2", tag, "64", 8))
        over = ("%.2f (%s)" % (float(h64) / float(hpdr), "met" if float(h64) / float(hpdr) >= 0.9 else "not met")
                if h64 and hpdr and float(hpdr) > 0 else "n/a")
        rel = "%.2f" % (float(h64) / float(f64)) if h64 and f64 and float(f64) > 0 else "n/a"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, h64 or "n/a", h1400 or "n/a", hpdr or "n/a", over, f64 or "n/a", f1400 or "n/a", fpdr or "n/a", rel))

failed_path = os.path.join(out, "failed.txt")
failed = [l.strip() for l in open(failed_path)] if os.path.exists(failed_path) else []
if failed:
    lines += ["", "**Measured nothing (bench/run exits 1):**"] + ["- " + f for f in failed if f]


def searched(field):
    def get(scen, size):
        return number(rows, scen, size, field)
    return get


ndr, pdr = searched("ndr"), searched("pdr")


def search_bound(get, key):
    """True when the NDR (get is ndr) or PDR search of key's JSON found the generator the bound."""
    try:
        j = json.load(open(os.path.join(out, "json", "%s-%s.json" % key)))
    except (OSError, ValueError):
        return False
    return bool(j.get("ndr" if get is ndr else "pdr", {}).get("generator_bound"))


def ratio(name, num, den, goal):
    cells = []
    for get in (mpps, ndr, pdr):
        a, b = get(*num), get(*den)
        rn, rd = rows.get(num), rows.get(den)
        if get is mpps and rn and rd and rn["loss"] == "0.000" and rd["loss"] == "0.000":
            # Neither side lost a packet at full offered load: both rates are the generator's.
            cells.append("n/a (generator-bound, no loss on either side: see the cost ratios)")
        elif get is not mpps and search_bound(get, num) and search_bound(get, den):
            cells.append("n/a (generator-bound on both sides)")
        elif get is not mpps and (a is None or b is None) and (num in rows and den in rows):
            missing = num if a is None else den
            cells.append("n/a (%s %s B: not searched)" % missing)
        elif a is None or b is None:
            cells.append("n/a (no %s)" % (("%s %s" % num) if a is None else ("%s %s" % den)))
        elif b == 0:
            cells.append("n/a (%s %s: the search found no rate meeting its loss bound)" % den)
        else:
            cells.append("%.2f (%s)" % (a / b, "met" if a / b >= goal else "not met"))
    return "| %s | %s %s B ÷ %s %s B | %s | %s | %s | ≥ %g |" % (name, num[0], num[1], den[0], den[1],
                                                               cells[0], cells[1], cells[2], goal)


lines += ["", "Ratios (same run; benchmark goals, never test assertions). \"max offered\" divides the "
          "received rates of the table (generator at full speed, so overloaded paths show their "
          "overload behaviour); \"NDR\" and \"PDR\" divide the rates the search found (RFC 2544 style: "
          "the highest offered rate with no loss, and with < 0.5 % loss). "
          "The SVR path is two AF_XDP hops (ingress and egress router, both on the one DUT core), "
          "so the single-forwarder row charges SVR for a second hop; the \"same hops\" row compares "
          "it with two raw forwarders in series on that core.", "",
          "| ratio | measured | at max offered | at NDR | at PDR | goal |",
          "| --- | --- | --- | --- | --- | --- |",
          ratio("SVR+HMAC vs raw AF_XDP forwarding", ("ssr_hmac", "64"), ("afxdp_fwd", "64"), 0.8),
          ratio("SVR+HMAC vs raw AF_XDP forwarding, same hops (2) on the same core", ("ssr_hmac", "64"),
                ("afxdp_fwd2", "64"), 0.9),
          ratio("encrypted SVR (default policy: AES-256-CBC + HMAC) vs SVR+HMAC only", ("ssr_cbc", "1400"),
                ("ssr_hmac", "1400"), 0.9),
          ratio("encrypted SVR (AES-256-GCM) vs SVR+HMAC only", ("ssr_gcm_enc", "1400"),
                ("ssr_hmac", "1400"), 0.9),
          ratio("encrypted SVR (default policy: AES-256-CBC + HMAC) vs wireguard-go", ("ssr_cbc", "1400"),
                ("wireguard", "1400"), 10),
          ratio("encrypted SVR (AES-256-GCM, AEAD like WireGuard) vs wireguard-go", ("ssr_gcm_enc", "1400"),
                ("wireguard", "1400"), 10),
          ratio("gate drop of non-members vs raw XDP_DROP", ("gate_drop", "64"), ("xdp_drop", "64"), 0.9)]
extra = []
if mpps("session_rate", "64") is not None:
    extra.append("- new-session setup through both routers: %.4f M sessions/s (every packet a new "
                 "flow, delivered at the sink)" % mpps("session_rate", "64"))
if mpps("ssr_hmac_2w", "64") is not None and mpps("ssr_hmac", "64"):
    extra.append("- 2 workers ÷ 1 worker (HMAC, 64 B): %.2f" % (mpps("ssr_hmac_2w", "64") / mpps("ssr_hmac", "64")))
if extra:
    lines += [""] + extra
png = os.path.join(out, "side-by-side.png")

# gnuplot: clustered bars, one cluster per scenario, one bar per size.
dat = os.path.join(out, "plot.dat")
with open(dat, "w") as f:
    f.write("# scenario " + " ".join(sizes) + "\n")
    for s in scens:
        f.write(s + " " + " ".join("%s" % (mpps(s, z) if mpps(s, z) is not None else "-") for z in sizes) + "\n")
if not scens or not sizes:
    pass  # nothing measured at the sizes of the table: no plot
elif shutil.which("gnuplot"):
    cols = " , ".join("'%s' using %d:xtic(1) title '%s'" % (dat, i + 2, (z + " B") if z != "imix" else "IMIX")
                      if i == 0 else "'' using %d title '%s'" % (i + 2, (z + " B") if z != "imix" else "IMIX")
                      for i, z in enumerate(sizes))
    script = """set terminal png size 1200,600 noenhanced
set output '%s'
set title 'bench/run: received Mpps per scenario and frame size (log scale)'
set ylabel 'Mpps'
set logscale y
set style data histogram
set style histogram cluster gap 1
set style fill solid border -1
set boxwidth 0.9
set datafile missing '-'
set xtics rotate by -30
set key top right
set grid ytics
plot %s
""" % (png, cols)
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        print("summarize: gnuplot failed: " + r.stderr.strip(), file=sys.stderr)
    else:
        lines += ["", "![Mpps per scenario and size](results/latest/side-by-side.png)"]
else:
    lines += ["", "(no plot: gnuplot is not installed)"]

text = "\n".join(lines) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
if results_md:
    old = open(results_md).read() if os.path.exists(results_md) else ""
    i = old.find(SECTION)
    if i >= 0:
        old = old[:i]
    if old and not old.endswith("\n\n"):
        old = old.rstrip("\n") + "\n\n"
    open(results_md, "w").write(old + text)
