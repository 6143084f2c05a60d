#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Helpers of flood_netns_test.cc, each run inside a namespace the test created.

  syn_flood.py serve ADDR PORT
      accepts TCP connections, answers each with "ok" and closes it.
  syn_flood.py flood DST PORT SRC_PREFIX RATE SECONDS
      sends TCP SYNs from spoofed sources SRC_PREFIX.21-.254 (random ports, a /24 prefix given
      as "a.b.c") to DST:PORT through a raw socket, RATE per second for SECONDS; prints
      "flood sent=N seconds=S".
  syn_flood.py probe DST PORT SECONDS INTERVAL_MS TIMEOUT_S
      opens a real TCP connection every INTERVAL_MS and reads the server's "ok"; prints one line
      per attempt "probe at_ms=T ok=0|1 ms=LATENCY" and a summary
      "probes n=N failed=F max_ms=M".
"""
import array
import os
import random
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(array.array("H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def syn(src, dst, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    c = checksum(pseudo + tcp)
    # array("H") sums in host order; the checksum goes back in the same order.
    tcp = tcp[:16] + struct.pack("=H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + tcp


def flood(dst, port, prefix, rate, seconds):
    rnd = random.Random(os.getpid())
    packets = []
    for i in range(65536):
        src = "%s.%d" % (prefix, 21 + rnd.randrange(234))
        packets.append(syn(src, dst, 1024 + rnd.randrange(64000), port, rnd.getrandbits(32)))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    target = (dst, 0)
    batch = max(1, rate // 100)  # one batch every 10 ms
    start = time.monotonic()
    sent = 0
    i = 0
    while True:
        now = time.monotonic() - start
        if now >= seconds:
            break
        due = int(now * rate) + batch
        while sent < due:
            try:
                s.sendto(packets[i], target)
                sent += 1
            except OSError:
                time.sleep(0.0005)
            i = (i + 1) & 0xFFFF
        time.sleep(0.005)
    print("flood sent=%d seconds=%.2f" % (sent, time.monotonic() - start), flush=True)


def probe(dst, port, seconds, interval_ms, timeout_s):
    start = time.monotonic()
    n = failed = 0
    worst = 0.0
    k = 0
    while time.monotonic() - start < seconds:
        at = time.monotonic()
        ok = 0
        try:
            with socket.create_connection((dst, port), timeout=timeout_s) as c:
                c.settimeout(timeout_s)
                ok = 1 if c.recv(2) == b"ok" else 0
        except OSError:
            ok = 0
        ms = (time.monotonic() - at) * 1000.0
        n += 1
        failed += 1 - ok
        worst = max(worst, ms)
        print("probe at_ms=%d ok=%d ms=%.1f" % ((at - start) * 1000, ok, ms), flush=True)
        k += 1
        delay = start + k * interval_ms / 1000.0 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("probes n=%d failed=%d max_ms=%.1f" % (n, failed, worst), flush=True)


def serve(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4096)
    print("serving", flush=True)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(b"ok")
        except OSError:
            pass
        c.close()


def main(argv):
    if argv[1] == "serve":
        serve(argv[2], int(argv[3]))
    elif argv[1] == "flood":
        flood(argv[2], int(argv[3]), argv[4], int(argv[5]), float(argv[6]))
    elif argv[1] == "probe":
        probe(argv[2], int(argv[3]), float(argv[4]), int(argv[5]), float(argv[6]))
    else:
        sys.exit("unknown mode " + argv[1])


if __name__ == "__main__":
    main(sys.argv)
