#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Helpers of the two-WAN tests (test/netns/two_wan_*_test.sh; standard library only), each run
inside a namespace of scripts/netns/two_wan.sh.

  two_wan.py voice DST PORT --bind SRC --rate R --seconds S [--tag TAG] [--grace G]
      a "voice" stream: R numbered datagrams a second (TAG + seq + 120 bytes, UDP) for S seconds
      to an echo server; prints "voice sent=N received=M lost=L dup=D max_gap_ms=G
      lost_seq=FIRST-LAST,..." (max_gap_ms: the longest time between two consecutive echoes).
      Exits 0 (the caller judges the loss).
  two_wan.py echo ADDR PORT NAME
      UDP echo server that appends " @NAME" to each reply (which datacenter answered).
  two_wan.py sessions DST PORT --bind SRC --count N
      N UDP sessions (a socket each, its own source port), one datagram each (3 tries), counts
      the answers per echo server NAME; prints "sessions count=N <name>=K ... none=Z".
  two_wan.py watch SECONDS OUT IFACE...
      AF_PACKET capture on each IFACE (a relay veth in the impairment namespace) for SECONDS:
      one line per frame of at most 400 bytes that carries a stream tag (VOIC, WEB_, NEWV) from
      the branch side (frames the relay did not send): "<kernel receive time> <iface> <tag> <seq>"; frames to or from UDP 1280 are
      counted per iface on the last line "liveness <iface>=<n> ...".
  two_wan.py bfd IFACE SECONDS SRC DST [ROUTER [STATE]]
      captures UDP 1280 frames from SRC to DST on IFACE for SECONDS and decodes them per
      docs/protocol.md §5.3 / §3.2 / §3.3: SVR metadata header with header TLV 16 (Security ID),
      payload TLVs 14 (router name) and 19 (peer path id), then a BFD control packet (RFC 5880:
      version 1, length 24, no A bit; with header TLV 26 Path Metrics, 10 bytes, and payload TLV
      25, the IPv4 source NAT address) or a link-test echo (magic SSRE, 28 bytes; libssr sends
      echoes without TLV 26), then the 16-byte hop HMAC tag (checked as check_wan_capture.py does). Prints the decoded BFD packets'
      fields and "bfd frames=N echoes=M bad=K"; exits 0 when N >= 1, K == 0 and (if given) every
      frame names ROUTER in TLV 14 and every BFD packet is in STATE (e.g. Up).
"""
import os
import select
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_wan_capture  # noqa: E402  (hop HMAC tag check with the demo's hop-hmac key)

COOKIE = bytes.fromhex("4c48dbc6ddf6670c")
TAGS = (b"VOIC", b"WEB_", b"NEWV")
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def opts(argv):
    return dict(zip(argv[0::2], argv[1::2]))


def voice(argv):
    dst, port = argv[0], int(argv[1])
    o = opts(argv[2:])
    rate, seconds = int(o["--rate"]), float(o["--seconds"])
    tag = o.get("--tag", "VOIC").encode()
    grace = float(o.get("--grace", "2"))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((o["--bind"], 0))
    s.settimeout(0.1)
    total = int(rate * seconds)
    seen = {}
    times = []
    done = threading.Event()

    def receive():
        while not done.is_set():
            try:
                data = s.recv(2048)
            except socket.timeout:
                continue
            if data[:4] == tag:
                seq = struct.unpack("!I", data[4:8])[0]
                seen[seq] = seen.get(seq, 0) + 1
                times.append(time.monotonic())

    t = threading.Thread(target=receive)
    t.start()
    start = time.monotonic()
    for i in range(total):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            s.sendto(tag + struct.pack("!I", i) + bytes(120), (dst, port))
        except OSError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and len(seen) < total:
        time.sleep(0.05)
    done.set()
    t.join()
    lost = [i for i in range(total) if i not in seen]
    runs = []
    for i in lost:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    gap = max((b - a for a, b in zip(times, times[1:])), default=0)
    dup = sum(c - 1 for c in seen.values())
    print(f"voice sent={total} received={total - len(lost)} lost={len(lost)} dup={dup} "
          f"max_gap_ms={gap * 1000:.0f} lost_seq="
          + (",".join(f"{a}-{b}" for a, b in runs[:20]) or "none"), flush=True)
    return 0


def echo(argv):
    addr, port, name = argv[0], int(argv[1]), argv[2].encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print(f"echo {name.decode()} on {addr}:{port}", flush=True)
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data + b" @" + name, peer)


def sessions(argv):
    dst, port = argv[0], int(argv[1])
    o = opts(argv[2:])
    n = int(o["--count"])
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((o["--bind"], 0))
        s.connect((dst, port))
        socks.append(s)
    answers = {}
    for attempt in range(3):
        for i, s in enumerate(socks):
            if i not in answers:
                s.send(f"session {i} try {attempt}".encode())
        deadline = time.monotonic() + 1.0
        while len(answers) < n and time.monotonic() < deadline:
            pending = [s for i, s in enumerate(socks) if i not in answers]
            r, _, _ = select.select(pending, [], [], 0.1)
            for s in r:
                data = s.recv(2048)
                answers[socks.index(s)] = data.rsplit(b" @", 1)[-1].decode()
        if len(answers) == n:
            break
        time.sleep(0.2)
    counts = {}
    for name in answers.values():
        counts[name] = counts.get(name, 0) + 1
    print(f"sessions count={n} " + " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
          + f" none={n - len(answers)}", flush=True)
    return 0


def l4(frame):
    """(src, dst, proto, sport, dport, payload) of an untagged IPv4 frame, or None."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    body = ip[ihl:total]
    if ip[9] == 17 and len(body) >= 8:
        sport, dport = struct.unpack("!HH", body[:4])
        return src, dst, 17, sport, dport, body[8:]
    if ip[9] == 6 and len(body) >= 20:
        sport, dport = struct.unpack("!HH", body[:4])
        return src, dst, 6, sport, dport, body[(body[12] >> 4) * 4:]
    return None


def watch(argv):
    seconds, out = float(argv[0]), argv[1]
    socks = {}
    for iface in argv[2:]:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        # Kernel receive times (this process may lag behind the traffic on a loaded VM), and room
        # for a burst: a TCP transfer shares the links.
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        s.bind((iface, 0))
        socks[s] = iface
    live = {i: 0 for i in argv[2:]}
    end = time.monotonic() + seconds
    with open(out, "w") as f:
        print("watching", flush=True)
        while time.monotonic() < end:
            r, _, _ = select.select(list(socks), [], [], 0.1)
            for s in r:
                frame, anc, _, addr = s.recvmsg(65535, 64)
                now = time.time()
                for level, kind, data in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                        sec, nsec = struct.unpack("qq", data[:16])
                        now = sec + nsec / 1e9
                if addr[2] == PACKET_OUTGOING:
                    continue
                p = l4(frame)
                if p is None:
                    continue
                if p[2] == 17 and 1280 in (p[3], p[4]):
                    live[socks[s]] += 1
                    continue
                if len(frame) > 400:
                    continue  # stream datagrams are small; TCP segments' random bytes may hold a tag
                for tag in TAGS:
                    k = frame.find(tag)
                    if k >= 0 and k + 8 <= len(frame):
                        seq = struct.unpack("!I", frame[k + 4:k + 8])[0]
                        f.write(f"{now:.6f} {socks[s]} {tag.decode()} {seq}\n")
                        f.flush()
                        break
        f.write("liveness " + " ".join(f"{k}={v}" for k, v in live.items()) + "\n")
    return 0


def tlvs(section):
    out = []
    i = 0
    while i < len(section):
        if i + 4 > len(section):
            raise ValueError("truncated TLV header")
        t, n = struct.unpack("!HH", section[i:i + 4])
        if i + 4 + n > len(section):
            raise ValueError(f"TLV {t} runs past its section")
        out.append((t, section[i + 4:i + 4 + n]))
        i += 4 + n
    return out


def decode_liveness(payload):
    """Returns ("bfd", fields) or ("echo", fields); raises ValueError when malformed."""
    if payload[:8] != COOKIE:
        raise ValueError("no SVR cookie")
    vh, plen = struct.unpack("!HH", payload[8:12])
    if vh >> 12 != 1:
        raise ValueError(f"metadata version {vh >> 12}")
    hlen = vh & 0x0FFF
    header = dict(tlvs(payload[12:hlen]))
    if 16 not in header or len(header[16]) != 4:
        raise ValueError("no Security ID (TLV 16) in the header section")
    pay = dict(tlvs(payload[hlen:hlen + plen]))
    for t in (14, 19):
        if t not in pay:
            raise ValueError(f"no TLV {t} in the payload section")
    msg = payload[hlen + plen:-16]
    fields = {"security_id": struct.unpack("!I", header[16])[0],
              "router": pay[14].decode(errors="replace"),
              "path_id": pay[19].decode(errors="replace"),
              "nat_source": socket.inet_ntoa(pay[25]) if len(pay.get(25, b"")) == 4 else "-"}
    if msg[:4] == b"SSRE":
        if len(msg) != 28:
            raise ValueError(f"echo of {len(msg)} bytes, expected 28")
        return "echo", fields
    # Path Metrics ride on BFD packets (libssr sends link-test echoes without them).
    if 26 not in header or len(header[26]) != 10:
        raise ValueError("BFD packet without Path Metrics (TLV 26, 10 bytes) in the header "
                         "section: " + str({t: len(v) for t, v in header.items()}))
    if len(pay.get(25, b"")) != 4:
        raise ValueError("BFD packet on an IPv4 path without TLV 25 (4 bytes)")
    if len(msg) != 24:
        raise ValueError(f"BFD control packet of {len(msg)} bytes, expected 24")
    b0, b1, mult, length, my, your, tx, rx, echo_rx = struct.unpack("!BBBBIIIII", msg)
    if b0 >> 5 != 1 or length != 24:
        raise ValueError(f"BFD version {b0 >> 5} length {length}")
    if b1 & 0x04:
        raise ValueError("BFD authentication bit set")
    state = ("AdminDown", "Down", "Init", "Up")[b1 >> 6]
    fields.update(state=state, mult=mult, my_disc=my, your_disc=your, desired_tx_us=tx,
                  required_rx_us=rx, echo_rx_us=echo_rx)
    return "bfd", fields


def bfd(argv):
    iface, seconds, src, dst = argv[0], float(argv[1]), argv[2], argv[3]
    router = argv[4] if len(argv) > 4 else None
    want_state = argv[5] if len(argv) > 5 else None
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    end = time.monotonic() + seconds
    n_bfd = n_echo = bad = 0
    shown = 0
    while time.monotonic() < end:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        p = l4(frame)
        if p is None or p[2] != 17 or (p[3], p[4]) != (1280, 1280) or (p[0], p[1]) != (src, dst):
            continue
        try:
            kind, f = decode_liveness(p[5])
            if check_wan_capture.tag_ok(p[5], time.time()) is None:
                raise ValueError("no valid hop HMAC tag (time-based, key hop-hmac)")
        except ValueError as e:
            bad += 1
            print(f"bad liveness frame {src} -> {dst}: {e}")
            continue
        if router is not None and f["router"] != router:
            bad += 1
            print(f"liveness frame {src} -> {dst} names router {f['router']!r}, expected {router!r}")
        if kind == "echo":
            n_echo += 1
            continue
        if want_state is not None and f["state"] != want_state:
            bad += 1
            print(f"BFD {src} -> {dst} in state {f['state']}, expected {want_state}")
        n_bfd += 1
        if shown < 3 or (f["state"] != "Up" and shown < 10):
            shown += 1
            print("bfd " + " ".join(f"{k}={v}" for k, v in f.items()))
    print(f"bfd frames={n_bfd} echoes={n_echo} bad={bad}", flush=True)
    return 0 if n_bfd >= 1 and bad == 0 else 1


def main():
    cmd, argv = sys.argv[1], sys.argv[2:]
    fn = {"voice": voice, "echo": echo, "sessions": sessions, "watch": watch, "bfd": bfd}[cmd]
    try:
        return fn(argv) or 0
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
