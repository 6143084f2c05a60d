#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Traffic of flow_steering_test.sh (standard library only), run inside the client namespace.

  steer_traffic.py tcp-many DST PORT --bind SRC --count N --bytes B [--timeout T]
      N concurrent TCP connections from N distinct source ports, each sending B random bytes to a
      traffic.py tcp-sink and checking its "<bytes> <sha256>" answer; prints one line per failed
      connection, then "tcp-many ok=K of N in S s"; exits 0 only when all N matched.
  steer_traffic.py udp-many DST PORT --bind SRC --flows N --count C [--timeout T]
      N UDP flows (distinct source ports) to an echo server, each sending C numbered datagrams one
      at a time and waiting for its echo (resent up to 3 times, 0.5 s apart); prints
      "udp-many flows_ok=K of N echoes=E of N*C"; exits 0 only when every datagram came back.
"""
import argparse
import hashlib
import os
import socket
import sys
import threading
import time


def _family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def _tcp_one(a, i, results):
    data = os.urandom(a.bytes)
    mine = hashlib.sha256(data).hexdigest()
    s = socket.socket(_family(a.dst), socket.SOCK_STREAM)
    try:
        s.bind((a.bind, 0))
        s.settimeout(a.timeout)
        s.connect((a.dst, a.port))
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            b = s.recv(4096)
            if not b:
                break
            reply += b
        fields = reply.decode(errors="replace").split()
        ok = len(fields) == 2 and int(fields[0]) == len(data) and fields[1] == mine
        if not ok:
            print(f"tcp {i}: answer {reply!r} does not match", flush=True)
        results[i] = ok
    except OSError as e:
        print(f"tcp {i} from port {s.getsockname()[1] if s.fileno() >= 0 else '?'}: {e}",
              flush=True)
        results[i] = False
    finally:
        s.close()


def tcp_many(a):
    results = [False] * a.count
    threads = [threading.Thread(target=_tcp_one, args=(a, i, results)) for i in range(a.count)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
        time.sleep(0.005)  # the sink's listen backlog is 16
    for t in threads:
        t.join()
    ok = sum(results)
    print(f"tcp-many ok={ok} of {a.count} in {time.monotonic() - t0:.2f} s", flush=True)
    return 0 if ok == a.count else 1


def _udp_flow(a, i, echoes):
    s = socket.socket(_family(a.dst), socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    s.settimeout(0.5)
    got = 0
    for n in range(a.count):
        msg = f"flow {i} seq {n}".encode()
        for _ in range(4):
            s.sendto(msg, (a.dst, a.port))
            try:
                while True:
                    b, _peer = s.recvfrom(2048)
                    if b == msg:
                        got += 1
                        break
            except socket.timeout:
                continue
            break
    echoes[i] = got
    s.close()


def udp_many(a):
    echoes = [0] * a.flows
    threads = [threading.Thread(target=_udp_flow, args=(a, i, echoes)) for i in range(a.flows)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(echoes)
    flows_ok = sum(1 for e in echoes if e == a.count)
    print(f"udp-many flows_ok={flows_ok} of {a.flows} echoes={total} of {a.flows * a.count}",
          flush=True)
    return 0 if flows_ok == a.flows else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tcp-many")
    t.add_argument("dst")
    t.add_argument("port", type=int)
    t.add_argument("--bind", required=True)
    t.add_argument("--count", type=int, default=64)
    t.add_argument("--bytes", type=int, default=200000)
    t.add_argument("--timeout", type=float, default=15)
    u = sub.add_parser("udp-many")
    u.add_argument("dst")
    u.add_argument("port", type=int)
    u.add_argument("--bind", required=True)
    u.add_argument("--flows", type=int, default=64)
    u.add_argument("--count", type=int, default=10)
    a = p.parse_args()
    return tcp_many(a) if a.cmd == "tcp-many" else udp_many(a)


if __name__ == "__main__":
    sys.exit(main())
