#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Helpers of key_rotation_test.sh and session_limits_test.sh (standard library only), each run
inside a namespace of the test.

  streams.py udp-stream DST PORT --bind SRC --rate R --seconds S
      sends R numbered datagrams a second for S seconds to an echo server and counts the echoes
      (2 s grace after the last); prints "udp-stream sent=N received=M lost=L dup=D" and exits 0
      only when every datagram came back exactly once.
  streams.py capture IFACE SRC DST SECONDS OUT
      AF_PACKET capture on IFACE for SECONDS; writes the largest IPv4 UDP frame from SRC to DST
      (a session's first packet, which carries the SVR metadata) to OUT; prints
      "capture frames=N saved=BYTES".
  streams.py replay IFACE FILE [COUNT]
      sends the frame in FILE COUNT times (default 1) out of IFACE; prints "replay sent=N".
  streams.py tcp-stream DST PORT --bind SRC --seconds S [--attempts N]
      a paced TCP stream (16 KiB every 10 ms for S seconds) to a traffic.py tcp-sink, whose
      "<bytes> <sha256>" answer must match ours. First a connection must prove that both of its
      directions get through: 1 MiB sent within 2 s (which needs the receiver's ACKs); else it is
      closed and another opened, up to N (default 12) times. With several workers per router and
      end hosts on multi-queue veths, each host picks the queue of a TCP flow from its own socket
      hash, so the two directions of a flow may reach different workers, and a worker drops
      packets of a session another worker holds (see session_limits_test.sh). Prints one line per
      refused attempt, then "tcp-stream ... match" or "... MISMATCH".
  streams.py udp-flood DST PORT PREFIX FIRST LAST RATE SECONDS
      UDP datagrams from spoofed sources PREFIX.FIRST-LAST (random source ports; a /24 prefix given
      as "a.b.c") to DST:PORT through a raw socket, RATE per second for SECONDS; prints
      "udp-flood sent=N".
"""
import hashlib
import os
import random
import socket
import struct
import sys
import threading
import time


def udp_stream(argv):
    dst, port = argv[0], int(argv[1])
    opts = dict(zip(argv[2::2], argv[3::2]))
    src, rate, seconds = opts["--bind"], int(opts["--rate"]), float(opts["--seconds"])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(0.2)
    total = int(rate * seconds)
    seen = {}
    done = threading.Event()

    def receive():
        while not done.is_set():
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                continue
            if data[:4] == b"SSRS":
                seq = struct.unpack("!I", data[4:8])[0]
                seen[seq] = seen.get(seq, 0) + 1

    t = threading.Thread(target=receive)
    t.start()
    start = time.monotonic()
    for i in range(total):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        s.sendto(b"SSRS" + struct.pack("!I", i) + bytes(120), (dst, port))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(seen) < total:
        time.sleep(0.05)
    done.set()
    t.join()
    got = sum(1 for i in range(total) if i in seen)
    dup = sum(c - 1 for c in seen.values())
    lost = [i for i in range(total) if i not in seen]
    print(f"udp-stream sent={total} received={got} lost={total - got} dup={dup}"
          + (f" first_lost={lost[:10]}" if lost else ""), flush=True)
    return 0 if got == total and dup == 0 else 1


def capture(argv):
    iface, src, dst, seconds, out = argv[0], argv[1], argv[2], float(argv[3]), argv[4]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL: wa is a bridge port
    s.bind((iface, 0))
    s.settimeout(0.1)
    want = (socket.inet_aton(src), socket.inet_aton(dst))
    best = b""
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        n += 1
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            continue
        if (frame[26:30], frame[30:34]) == want and len(frame) > len(best):
            best = frame
    with open(out, "wb") as f:
        f.write(best)
    print(f"capture frames={n} saved={len(best)}", flush=True)
    return 0 if best else 1


def replay(argv):
    iface, path = argv[0], argv[1]
    count = int(argv[2]) if len(argv) > 2 else 1
    frame = open(path, "rb").read()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for _ in range(count):
        s.send(frame)
        time.sleep(0.01)
    print(f"replay sent={count}", flush=True)
    return 0


def tcp_stream(argv):
    dst, port = argv[0], int(argv[1])
    opts = dict(zip(argv[2::2], argv[3::2]))
    src, seconds = opts["--bind"], float(opts["--seconds"])
    attempts = int(opts.get("--attempts", "12"))
    for attempt in range(1, attempts + 1):
        h = hashlib.sha256()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(2)
        try:
            s.connect((dst, port))
            first = os.urandom(1 << 20)
            s.sendall(first)
        except OSError as e:
            print(f"tcp-stream attempt {attempt}: {e}: both directions do not get through, "
                  "another connection", flush=True)
            s.close()
            continue
        h.update(first)
        sent = len(first)
        print(f"tcp-stream {src} -> {dst}:{port}: through on attempt {attempt}", flush=True)
        break
    else:
        print(f"tcp-stream: no connection got through in {attempts} attempts", flush=True)
        return 1
    t0 = time.monotonic()
    try:
        s.settimeout(20)
        while time.monotonic() < t0 + seconds:
            chunk = os.urandom(16384)
            s.sendall(chunk)
            h.update(chunk)
            sent += len(chunk)
            time.sleep(0.01)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            b = s.recv(4096)
            if not b:
                break
            reply += b
    except OSError as e:
        print(f"tcp-stream {src} -> {dst}:{port}: {e} after {sent} bytes", flush=True)
        return 1
    mine = h.hexdigest()
    fields = reply.decode(errors="replace").split()
    theirs_n, theirs = (int(fields[0]), fields[1]) if len(fields) == 2 else (-1, "(none)")
    same = theirs_n == sent and theirs == mine
    print(f"tcp-stream {src} -> {dst}:{port}: sent {sent} bytes, sha256 sender {mine[:16]}... "
          f"receiver {theirs[:16]}... ({theirs_n} bytes): {'match' if same else 'MISMATCH'}",
          flush=True)
    return 0 if same else 1


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return (~total) & 0xFFFF


def udp_flood(argv):
    dst, port, prefix = argv[0], int(argv[1]), argv[2]
    first, last, rate, seconds = int(argv[3]), int(argv[4]), int(argv[5]), float(argv[6])
    rnd = random.Random(os.getpid())
    payload = b"flood" + bytes(27)
    packets = []
    for _ in range(8192):
        src = "%s.%d" % (prefix, rnd.randint(first, last))
        udp = struct.pack("!HHHH", 1024 + rnd.randrange(64000), port, 8 + len(payload), 0) + payload
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(udp))
        udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
        packets.append(ip + udp)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    batch = max(1, rate // 100)
    start = time.monotonic()
    sent = 0
    while time.monotonic() - start < seconds:
        for _ in range(batch):
            try:
                s.sendto(packets[sent % len(packets)], (dst, 0))
            except OSError:
                pass
            sent += 1
        delay = start + sent / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(f"udp-flood sent={sent}", flush=True)
    return 0


def main():
    cmds = {"udp-stream": udp_stream, "capture": capture, "replay": replay, "udp-flood": udp_flood,
            "tcp-stream": tcp_stream}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
