#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ssr-pcap writes a capture that tshark reads: 6 packets, every IP/UDP/TCP checksum correct, and
# the metadata bytes where they belong. Exit 77 (ctest SKIP) when tshark is not installed.
set -euo pipefail
tool="$1"
# Usage first (needs no tshark): --help prints the usage and writes no file; an unknown option and
# a missing argument are usage errors (exit 2), never a capture file named like an option.
scratch="$(mktemp -d)"
out="$(mktemp --suffix=.pcap)"
trap 'rm -rf "$out" "$scratch"' EXIT
for opt in --help -h; do
  help="$(cd "$scratch" && "$tool" "$opt")" || { echo "FAIL: $opt exited non-zero"; exit 1; }
  case "$help" in usage:*) ;; *) echo "FAIL: $opt printed: $help"; exit 1 ;; esac
  for want in "Exit codes:" "Files:" "--version"; do
    case "$help" in *"$want"*) ;; *) echo "FAIL: $opt does not mention $want"; exit 1 ;; esac
  done
done
version="$("$tool" --version)" || { echo "FAIL: --version exited non-zero"; exit 1; }
case "$version" in "ssr-pcap "[0-9]*.[0-9]*.[0-9]*) ;; *) echo "FAIL: --version printed: $version"; exit 1 ;; esac
err="$(cd "$scratch" && "$tool" --bogus 2>&1 >/dev/null || true)"
case "$err" in 'ssr-pcap: unknown option "--bogus"'*) ;; *) echo "FAIL: --bogus said: $err"; exit 1 ;; esac
rc=0; (cd "$scratch" && "$tool" --bogus 2>/dev/null) || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: --bogus exited $rc, expected 2"; exit 1; }
rc=0; (cd "$scratch" && "$tool" 2>/dev/null) || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: no argument exited $rc, expected 2"; exit 1; }
[ -z "$(ls -A "$scratch")" ] || { echo "FAIL: usage runs wrote files: $(ls -A "$scratch")"; exit 1; }
command -v tshark >/dev/null || { echo "tshark not installed: SKIP"; exit 77; }
"$tool" "$out"
fields=(-T fields -e frame.number -e ip.checksum.status -e udp.checksum.status
        -e tcp.checksum.status -e data.data)
opts=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE)
lines="$(tshark -r "$out" "${opts[@]}" "${fields[@]}" 2>/dev/null)"
echo "$lines"
count=$(echo "$lines" | wc -l)
[ "$count" -eq 6 ] || { echo "FAIL: expected 6 packets, tshark read $count"; exit 1; }
# Checksum status 1 = good (0 bad, 2 unverified) in tshark's field encoding; anything else is a failure.
bad=$(echo "$lines" | awk -F'\t' '{ for (i = 2; i <= 4; i++) if ($i != "" && $i != "1") print }')
[ -z "$bad" ] || { echo "FAIL: bad checksums:"; echo "$bad"; exit 1; }
# Packet 1 is UDP: its payload starts with the cookie, v1 header of HL 20.
first=$(echo "$lines" | head -1 | awk -F'\t' '{print $5}')
case "$first" in
  4c48dbc6ddf6670c1014*) ;;
  *) echo "FAIL: first packet payload does not start with the metadata header: $first"; exit 1 ;;
esac
# Packet 3 is the fast path: original payload only.
third=$(echo "$lines" | sed -n 3p | awk -F'\t' '{print $5}')
[ "$third" = "12340100" ] || { echo "FAIL: fast-path payload is $third"; exit 1; }
echo "PASS"
