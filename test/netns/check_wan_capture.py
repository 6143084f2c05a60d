#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks SVR on the WAN link from pcap captures (one per router's wan0: each sees the packets its
router sends, since received ones are taken by XDP before any capture point).

For every TCP/UDP session between the two routers' WAN addresses (waypoint 5-tuple):
  - SVR metadata (the 8-byte cookie 4c48dbc6ddf6670c right after the L4 header) is on the first
    packets of each direction only: once a packet of a direction goes without it, no later packet
    of that direction carries it; the session's very first packet carries it, and at least one
    packet of each direction goes without it (metadata stops);
  - every packet ends with a valid 16-byte HMAC-SHA256-128 tag over the L4 payload, keyed with the
    default config's "hop-hmac" key (HKDF-SHA256 of demo-master, salt "libssr key derivation v1",
    info "peer-hop hmac") in time-based mode (8-byte big-endian floor(unix_ms / 2000) prepended,
    windows T, T-1, T+1 around the capture time);
  - a TCP session's SYN carries the cookie, its later segments do not.
Peer liveness (UDP 1280 between the two routers: BFD and link tests, docs/protocol.md §5.3) is no
session: each such packet must carry SVR metadata (the cookie) and a valid hop HMAC tag;
--expect-liveness requires at least one from each router.
Prints one line per session and exits 0 if all hold, 1 otherwise.

usage: check_wan_capture.py [--expect-tcp N] [--expect-udp N] [--expect-liveness] [--verbose] PCAP...
"""
import argparse
import hashlib
import hmac
import struct
import sys
import time

COOKIE = bytes.fromhex("4c48dbc6ddf6670c")
MASTER = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
SALT = b"libssr key derivation v1"
WAN = {"192.0.2.1", "192.0.2.2"}
TAG_LEN = 16
WINDOW_MS = 2000


def hkdf_sha256(ikm, salt, info, length=32):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


HOP_KEY = hkdf_sha256(MASTER, SALT, b"peer-hop hmac")
# Unix time minus CLOCK_MONOTONIC now (same boot as the capture), for a diagnosis only.
MONOTONIC_OFFSET = time.time() - time.monotonic()


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    else:
        endian = ">"
        magic = struct.unpack(">I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, expected Ethernet (1)")
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        ts = sec + frac / (1e9 if nano else 1e6)
        yield ts, data[off:off + incl]
        off += incl


def ipv4(b):
    return ".".join(str(x) for x in b)


def parse(frame):
    """Returns (src, sport, dst, dport, proto, l4_header_bytes, l4_payload, tcp_flags) or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    proto = ip[9]
    src, dst = ipv4(ip[12:16]), ipv4(ip[16:20])
    l4 = ip[ihl:total]
    if proto == 17:
        sport, dport = struct.unpack("!HH", l4[:4])
        return src, sport, dst, dport, "udp", l4[:8], l4[8:], 0
    if proto == 6:
        sport, dport = struct.unpack("!HH", l4[:4])
        doff = (l4[12] >> 4) * 4
        return src, sport, dst, dport, "tcp", l4[:doff], l4[doff:], l4[13]
    return None


def tag_ok(payload, ts):
    """Window offset (-1, 0, 1) of the matching time window at unix time `ts`, or None."""
    if len(payload) < TAG_LEN:
        return None
    body, tag = payload[:-TAG_LEN], payload[-TAG_LEN:]
    t = int(ts * 1000) // WINDOW_MS
    for w in (t, t - 1, t + 1):
        mac = hmac.new(HOP_KEY, struct.pack("!Q", w) + body, hashlib.sha256).digest()[:TAG_LEN]
        if hmac.compare_digest(mac, tag):
            return w - t
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcaps", nargs="+")
    ap.add_argument("--expect-tcp", type=int, default=0)
    ap.add_argument("--expect-udp", type=int, default=0)
    ap.add_argument("--expect-liveness", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()

    packets = []
    for p in a.pcaps:
        for ts, frame in read_pcap(p):
            r = parse(frame)
            if r and r[0] in WAN and r[2] in WAN:
                packets.append((ts, r))
    packets.sort(key=lambda x: x[0])

    sessions = {}  # unordered waypoint tuple -> list of (ts, direction, parsed)
    liveness = []  # (ts, parsed) of UDP 1280 packets
    for ts, r in packets:
        src, sport, dst, dport, proto = r[:5]
        if proto == "udp" and 1280 in (sport, dport):
            liveness.append((ts, r))  # peer liveness, not a session
            continue
        fwd = (src, sport, dst, dport)
        rev = (dst, dport, src, sport)
        key = (proto,) + min(fwd, rev)
        sess = sessions.setdefault(key, {"first": fwd, "pkts": []})
        sess["pkts"].append((ts, "fwd" if fwd == sess["first"] else "rev", r))

    errors = []
    counts = {"tcp": 0, "udp": 0}
    for key, sess in sessions.items():
        proto = key[0]
        counts[proto] += 1
        s = sess["first"]
        name = f"{proto} {s[0]}:{s[1]} -> {s[2]}:{s[3]}"
        state = {"fwd": "md", "rev": "md"}
        md = {"fwd": 0, "rev": 0}
        plain = {"fwd": 0, "rev": 0}
        bad_tags = 0
        monotonic_tags = 0
        for i, (ts, d, r) in enumerate(sess["pkts"]):
            payload, flags = r[6], r[7]
            has_cookie = payload[:8] == COOKIE
            w = tag_ok(payload, ts)
            if a.verbose:
                fl = f" flags=0x{flags:02x}" if proto == "tcp" else ""
                print(f"  {name} #{i} {d} len={len(payload)}{fl} cookie={int(has_cookie)} "
                      f"tag={'ok' if w is not None else 'BAD'}")
            if w is None:
                bad_tags += 1
                # Diagnosis only: a tag keyed on CLOCK_MONOTONIC instead of unix time (§4.4)?
                if tag_ok(payload, ts - MONOTONIC_OFFSET) is not None:
                    monotonic_tags += 1
            if i == 0 and not has_cookie:
                errors.append(f"{name}: the first packet has no SVR metadata cookie")
            if proto == "tcp" and flags & 0x02 and not flags & 0x10 and not has_cookie:
                errors.append(f"{name}: SYN #{i} without the cookie")
            if has_cookie:
                md[d] += 1
                if state[d] == "plain":
                    errors.append(f"{name}: {d} packet #{i} carries the cookie after packets without")
            else:
                plain[d] += 1
                state[d] = "plain"
        if bad_tags:
            why = ""
            if monotonic_tags:
                why = (f" ({monotonic_tags} of them match when the time window is taken from "
                       "CLOCK_MONOTONIC instead of unix time: the sender's clock is not the "
                       "wall clock time-based HMAC needs, §4.4)")
            errors.append(f"{name}: {bad_tags} of {len(sess['pkts'])} packets without a valid "
                          f"time-based HMAC tag{why}")
        for d in ("fwd", "rev"):
            if plain[d] == 0:
                errors.append(f"{name}: no {d} packet without metadata (metadata never stopped)")
        print(f"{name}: {len(sess['pkts'])} packets, metadata on the first {md['fwd']} forward / "
              f"{md['rev']} reverse, then {plain['fwd']} / {plain['rev']} without; "
              f"HMAC tags valid {len(sess['pkts']) - bad_tags}/{len(sess['pkts'])}")
    print("packets with the cookie: "
          f"{sum(1 for _, r in packets if r[6][:8] == COOKIE and not (r[4] == 'udp' and 1280 in (r[1], r[3])))}")
    senders = {}
    live_md = live_tag = 0
    for ts, r in liveness:
        senders[r[0]] = senders.get(r[0], 0) + 1
        live_md += r[6][:8] == COOKIE
        live_tag += tag_ok(r[6], ts) is not None
    print(f"peer liveness (UDP 1280): {len(liveness)} packets "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(senders.items()))}), "
          f"with SVR metadata {live_md}, HMAC tags valid {live_tag}")
    if live_md != len(liveness) or live_tag != len(liveness):
        errors.append(f"peer liveness: {len(liveness) - live_md} packets without metadata, "
                      f"{len(liveness) - live_tag} without a valid hop HMAC tag")
    if a.expect_liveness and len(senders) < 2:
        errors.append(f"peer liveness from {len(senders)} router(s), expected both")
    if counts["tcp"] < a.expect_tcp:
        errors.append(f"{counts['tcp']} TCP sessions on the WAN, expected {a.expect_tcp}")
    if counts["udp"] < a.expect_udp:
        errors.append(f"{counts['udp']} UDP sessions on the WAN, expected {a.expect_udp}")
    for e in errors:
        print("ERROR:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
