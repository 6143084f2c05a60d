#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Traffic programs for the namespace demo and the netns tests (standard library only).

  udp-echo-server ADDR PORT            echo every datagram back (runs until killed)
  udp-echo ADDR PORT --bind SRC [--count N] [--timeout S]
                                       send N numbered datagrams, wait for each echo
  udp-send ADDR PORT --bind SRC [--sport P] [--count N]
                                       send N datagrams from SRC:P (SO_REUSEADDR, so P may be a
                                       port an echo server holds: a packet that looks like a reply)
  udp-refused ADDR PORT --bind SRC [--count N] [--timeout S]
                                       connected UDP socket: send up to N datagrams (one per
                                       timeout), exit 0 once a recv fails with ECONNREFUSED (an
                                       ICMP port unreachable came back), 1 if none does
  tcp-sink ADDR PORT                   per connection: read to EOF, answer "<bytes> <sha256>\n"
  tcp-send ADDR PORT --bind SRC (--bytes N | --seconds S) [--timeout S]
                                       send N random bytes (or 16 KiB every 10 ms for S seconds),
                                       compare the sink's sha256 with ours
  tcp-connect ADDR PORT --bind SRC [--timeout S]
                                       exit 0 if a TCP connection is established, 1 if not

Every client prints one line saying what happened and exits 0 on success, 1 on failure.
ADDR and SRC are IPv4 or IPv6 addresses (the socket family follows ADDR).
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


def udp_echo_server(a):
    s = socket.socket(_family(a.addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    print(f"udp echo server on {a.addr}:{a.port}", flush=True)
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def udp_echo(a):
    s = socket.socket(_family(a.addr), socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    s.settimeout(a.timeout)
    ok = 0
    for i in range(a.count):
        msg = f"ssr udp echo {i} ".encode() + os.urandom(a.size)
        s.sendto(msg, (a.addr, a.port))
        deadline = time.monotonic() + a.timeout
        while time.monotonic() < deadline:
            try:
                data, _ = s.recvfrom(65535)
            except socket.timeout:
                break
            if data == msg:
                ok += 1
                break
        if a.interval:
            time.sleep(a.interval)
    print(f"udp echo {a.bind} -> {a.addr}:{a.port}: {ok}/{a.count} echoed", flush=True)
    return 0 if ok == a.count else 1


def udp_send(a):
    s = socket.socket(_family(a.addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.sport))
    for i in range(a.count):
        s.sendto(f"ssr udp probe {i}".encode(), (a.addr, a.port))
        time.sleep(0.05)
    print(f"udp {a.bind}:{a.sport} -> {a.addr}:{a.port}: sent {a.count} datagrams", flush=True)
    return 0


def udp_refused(a):
    s = socket.socket(_family(a.addr), socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    s.connect((a.addr, a.port))
    s.settimeout(a.timeout)
    for i in range(a.count):
        try:
            s.send(f"ssr udp refused probe {i}".encode())
            s.recv(65535)
            print(f"udp {a.bind} -> {a.addr}:{a.port}: got an answer, not refused", flush=True)
            return 1
        except ConnectionRefusedError:
            print(f"udp {a.bind} -> {a.addr}:{a.port}: ECONNREFUSED after {i + 1} datagram(s)",
                  flush=True)
            return 0
        except socket.timeout:
            continue
    print(f"udp {a.bind} -> {a.addr}:{a.port}: no ICMP error in {a.count} tries", flush=True)
    return 1


def _sink_conn(c, peer):
    h = hashlib.sha256()
    n = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            h.update(b)
            n += len(b)
        c.sendall(f"{n} {h.hexdigest()}\n".encode())
        print(f"tcp sink: {peer[0]}:{peer[1]} sent {n} bytes sha256 {h.hexdigest()}", flush=True)
    except OSError as e:
        print(f"tcp sink: {peer[0]}:{peer[1]}: {e}", flush=True)
    finally:
        c.close()


def tcp_sink(a):
    s = socket.socket(_family(a.addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.listen(16)
    print(f"tcp sink on {a.addr}:{a.port}", flush=True)
    while True:
        c, peer = s.accept()
        threading.Thread(target=_sink_conn, args=(c, peer), daemon=True).start()


def tcp_send(a):
    h = hashlib.sha256()
    sent = 0
    s = socket.socket(_family(a.addr), socket.SOCK_STREAM)
    s.bind((a.bind, 0))
    s.settimeout(a.timeout)
    t0 = time.monotonic()
    try:
        s.connect((a.addr, a.port))
        if a.seconds:  # a paced stream that stays open across whatever the caller does meanwhile
            end = t0 + a.seconds
            while time.monotonic() < end:
                chunk = os.urandom(16384)
                s.sendall(chunk)
                h.update(chunk)
                sent += len(chunk)
                time.sleep(0.01)
        else:
            data = os.urandom(a.bytes)
            s.sendall(data)
            h.update(data)
            sent = len(data)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            b = s.recv(4096)
            if not b:
                break
            reply += b
    except OSError as e:
        print(f"tcp {a.bind} -> {a.addr}:{a.port}: {e}", flush=True)
        return 1
    dt = time.monotonic() - t0
    mine = h.hexdigest()
    fields = reply.decode(errors="replace").split()
    theirs_n, theirs = (int(fields[0]), fields[1]) if len(fields) == 2 else (-1, "(none)")
    same = theirs_n == sent and theirs == mine
    print(f"tcp {a.bind} -> {a.addr}:{a.port}: sent {sent} bytes in {dt:.2f} s, "
          f"sha256 sender {mine[:16]}... receiver {theirs[:16]}... "
          f"({theirs_n} bytes): {'match' if same else 'MISMATCH'}", flush=True)
    return 0 if same else 1


def tcp_connect(a):
    s = socket.socket(_family(a.addr), socket.SOCK_STREAM)
    s.bind((a.bind, 0))
    s.settimeout(a.timeout)
    try:
        s.connect((a.addr, a.port))
    except OSError as e:
        print(f"tcp connect {a.bind} -> {a.addr}:{a.port}: not established ({e})", flush=True)
        return 1
    print(f"tcp connect {a.bind} -> {a.addr}:{a.port}: established", flush=True)
    s.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("udp-echo-server", "udp-echo", "udp-send", "udp-refused", "tcp-sink", "tcp-send",
                 "tcp-connect"):
        q = sub.add_parser(name)
        q.add_argument("addr")
        q.add_argument("port", type=int)
        if name in ("udp-echo", "udp-send", "udp-refused", "tcp-send", "tcp-connect"):
            q.add_argument("--bind", required=True)
            q.add_argument("--timeout", type=float, default=3.0)
        if name == "udp-echo":
            q.add_argument("--count", type=int, default=3)
            q.add_argument("--size", type=int, default=32)
            q.add_argument("--interval", type=float, default=0.0)
        if name == "udp-refused":
            q.add_argument("--count", type=int, default=3)
        if name == "udp-send":
            q.add_argument("--sport", type=int, default=0)
            q.add_argument("--count", type=int, default=3)
        if name == "tcp-send":
            q.add_argument("--bytes", type=int, default=1 << 20)
            q.add_argument("--seconds", type=float, default=0.0)
    a = p.parse_args()
    fn = {"udp-echo-server": udp_echo_server, "udp-echo": udp_echo, "udp-send": udp_send,
          "udp-refused": udp_refused, "tcp-sink": tcp_sink,
          "tcp-send": tcp_send, "tcp-connect": tcp_connect}[a.cmd]
    try:
        return fn(a) or 0
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
