#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ssr-pcap writes a capture that tshark reads: 6 packets, every IP/UDP/TCP checksum correct, and
# the metadata bytes where they belong. Exit 77 (ctest SKIP) when tshark is not installed.
set -euo pipefail
tool="$1"
command -v tshark >/dev/null || { echo "tshark not installed: SKIP"; exit 77; }
out="$(mktemp --suffix=.pcap)"
trap 'rm -f "$out"' EXIT
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
