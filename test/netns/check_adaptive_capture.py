#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks adaptive encryption (docs/protocol.md §4.10) on a WAN capture holding two TCP sessions
of one service whose payload policy has adaptive_encryption on: a TLS session and a plain-text one.

  - the TLS session's data segments carry the end hosts' TLS records as sent, right after the TCP
    header (no SVR metadata on them: it was decided on the ClientHello, nothing to re-signal): a
    ClientHello from the client side, a ServerHello from the server side;
  - the plain session's text (--marker, and the echo of it) appears nowhere in the capture: SVR
    encrypted its payload; its first data segment carries SVR metadata again (the cookie), which
    is the switch to encryption re-signalled with TLV 11;
  - every packet of both sessions ends with a valid hop HMAC tag (the HMAC stays on both).
Prints what it found and exits 0 if all hold, 1 otherwise.

usage: check_adaptive_capture.py --marker TEXT PCAP
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_wan_capture import COOKIE, TAG_LEN, WAN, parse, read_pcap, tag_ok  # noqa: E402


def is_client_hello(p):
    return len(p) > 5 and p[0] == 0x16 and p[1] == 0x03 and 1 <= p[2] <= 4 and p[5] == 0x01


def is_server_hello(p):
    return len(p) > 5 and p[0] == 0x16 and p[1] == 0x03 and 1 <= p[2] <= 4 and p[5] == 0x02


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("--marker", required=True)
    a = ap.parse_args()
    marker = a.marker.encode()
    errors = []

    sessions = {}
    raw = []
    for ts, frame in read_pcap(a.pcap):
        raw.append(frame)
        r = parse(frame)
        if not r or r[0] not in WAN or r[2] not in WAN or r[4] != "tcp":
            continue
        fwd = (r[0], r[1], r[2], r[3])
        key = min(fwd, (r[2], r[3], r[0], r[1]))
        s = sessions.setdefault(key, {"first": fwd, "pkts": []})
        s["pkts"].append((ts, "fwd" if fwd == s["first"] else "rev", r))

    for needle in (marker, marker[::-1]):
        if any(needle in f for f in raw):
            errors.append(f"plain text {needle!r} is visible on the WAN")
    print(f"plain text {a.marker!r} (and its echo) on the WAN: "
          f"{'yes' if any(marker in f for f in raw) else 'no'}")

    tls = plain = None
    for key, s in sessions.items():
        # Data segments (not the SYN / SYN-ACK, which carry the session's first metadata).
        data = [(d, r[6][:-TAG_LEN]) for _, d, r in s["pkts"]
                if len(r[6]) > TAG_LEN and not r[7] & 0x02]
        if any(d == "fwd" and is_client_hello(p) for d, p in data):
            tls = (key, s, data)
        elif data:
            plain = (key, s, data)
        for ts, d, r in s["pkts"]:
            if tag_ok(r[6], ts) is None:
                errors.append(f"{key}: {d} packet without a valid hop HMAC tag")
    print(f"TCP sessions on the WAN: {len(sessions)}")
    if tls is None:
        errors.append("no TCP session carries a TLS ClientHello after its TCP header")
    else:
        key, s, data = tls
        hellos = sum(1 for d, p in data if d == "fwd" and is_client_hello(p))
        server = sum(1 for d, p in data if d == "rev" and is_server_hello(p))
        records = sum(1 for d, p in data if p[:1] in (b"\x14", b"\x15", b"\x16", b"\x17") and
                      p[1:2] == b"\x03")
        print(f"TLS session {key}: {len(data)} data segments, {records} start with a TLS record "
              f"header, ClientHello {hellos}, ServerHello {server}")
        if server == 0:
            errors.append("the TLS session's ServerHello is not visible from the server side")
        if any(p.startswith(COOKIE) for _, p in data):
            errors.append("the TLS session's data segments carry SVR metadata (re-signalled)")
    if plain is None:
        errors.append("no plain TCP session with data on the WAN")
    else:
        key, s, data = plain
        first_fwd = next((p for d, p in data if d == "fwd"), b"")
        resignal = first_fwd.startswith(COOKIE)
        records = sum(1 for _, p in data if is_client_hello(p) or is_server_hello(p))
        print(f"plain session {key}: {len(data)} data segments, first client data carries SVR "
              f"metadata (TLV 11 re-signal): {'yes' if resignal else 'no'}")
        if not resignal:
            errors.append("the plain session's first data segment does not re-signal metadata")
        if records:
            errors.append("the plain session shows TLS handshake records")

    for e in errors:
        print("ERROR:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
