#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Raw Ethernet frames for the netns tests (standard library only; run as root inside a namespace
the test created; AF_PACKET on IFACE).

  frames.py wan-vlan IFACE DST_MAC SRC DST PORT --vlan V[,V...] [--count N]
      UDP datagrams SRC:40000 -> DST:PORT, N per VLAN; V is a VLAN id or "none" (untagged).
      Prints "wan-vlan sent=N".
  frames.py frag-abuse IFACE DST_MAC SRC DST PORT [--vlan V] [--flood N] [--rounds R]
            [--tcp-port P]
      bad IP fragments of UDP datagrams SRC:40001 -> DST:PORT (IPv4 or IPv6 after the address
      family): per round one overlapping pair, one tiny first fragment (8 bytes of a TCP header,
      to --tcp-port), one duplicate, one datagram never completed; then N first fragments of new datagram ids (never completed: the pool fills).
      Prints "frag-abuse sent=N" and what it sent per kind.
  frames.py frag-wan IFACE DST_MAC SRC DST PORT [--count N] [--first]
      non-first fragments of N datagram ids (never completed) from SRC (a spoofed peer address,
      or any other address) to DST; with --first, first fragments with a UDP header to PORT
      instead. Prints "frag-wan sent=N".
"""
import argparse
import os
import random
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def is6(addr):
    return ":" in addr


def ether(dst_mac, src_mac, vlan, ethertype):
    h = mac_bytes(dst_mac) + src_mac
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", ethertype)


def udp(src, dst, sport, dport, payload):
    fam = socket.AF_INET6 if is6(src) else socket.AF_INET
    s, d = socket.inet_pton(fam, src), socket.inet_pton(fam, dst)
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    if fam == socket.AF_INET:
        pseudo = s + d + struct.pack("!BBH", 0, 17, length)
    else:
        pseudo = s + d + struct.pack("!IxxxB", length, 17)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack("!H", c) + payload


def ipv4(src, dst, proto, ident, offset8, more, data, ttl=64):
    flags = (0x2000 if more else 0) | offset8
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, flags, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + data


def ipv6(src, dst, next_header, data, hop_limit=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(data), next_header, hop_limit,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + data


def ipv6_frag(src, dst, ident, offset8, more, data):
    fh = struct.pack("!BBHI", 17, 0, (offset8 << 3) | (1 if more else 0), ident)
    return ipv6(src, dst, 44, fh + data)


class Sender:
    def __init__(self, iface, dst_mac, vlan=None):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((iface, 0))
        self.src_mac = self.s.getsockname()[4][:6]
        self.dst_mac = dst_mac
        self.vlan = vlan
        self.sent = 0

    def ip(self, packet, v6, vlan="default"):
        v = self.vlan if vlan == "default" else vlan
        self.s.send(ether(self.dst_mac, self.src_mac, v, 0x86DD if v6 else 0x0800) + packet)
        self.sent += 1


def fragment(src, dst, ident, offset8, more, data):
    """One IP fragment of protocol UDP in the family of src."""
    if is6(src):
        return ipv6_frag(src, dst, ident, offset8, more, data)
    return ipv4(src, dst, 17, ident & 0xFFFF, offset8, more, data)


def wan_vlan(a):
    tx = Sender(a.iface, a.dst_mac)
    for v in a.vlan.split(","):
        tag = None if v == "none" else int(v)
        for i in range(a.count):
            seg = udp(a.src, a.dst, 40000, a.port, b"ssr wrong vlan %d" % i)
            pkt = ipv6(a.src, a.dst, 17, seg) if is6(a.src) else ipv4(a.src, a.dst, 17, i, 0, False, seg)
            tx.ip(pkt, is6(a.src), tag)
    print(f"wan-vlan sent={tx.sent}", flush=True)


def frag_abuse(a):
    tx = Sender(a.iface, a.dst_mac, a.vlan)
    v6 = is6(a.src)
    rnd = random.Random(os.getpid())
    base = rnd.randrange(1 << 20) << 8
    counts = {"overlap": 0, "tiny": 0, "duplicate": 0, "incomplete": 0, "flood": 0}
    ident = base
    for r in range(a.rounds):
        data = udp(a.src, a.dst, 40001, a.port, bytes(rnd.getrandbits(8) for _ in range(392)))
        # Overlap: [0, 96) then [64, 400): the second overlaps the first (RFC 5722 discard).
        ident += 1
        tx.ip(fragment(a.src, a.dst, ident, 0, True, data[:96]), v6)
        tx.ip(fragment(a.src, a.dst, ident, 8, False, data[64:]), v6)
        counts["overlap"] += 1
        # Tiny first fragment: a UDP header fits in 8 bytes, so a TCP first fragment (to
        # --tcp-port) holding 8 bytes of its 20-byte header (RFC 1858).
        ident += 1
        tcp = struct.pack("!HHIIBBHHH", 40002, a.tcp_port, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
        if v6:
            fh = struct.pack("!BBHI", 6, 0, 1, ident)
            tx.ip(ipv6(a.src, a.dst, 44, fh + tcp[:8]), True)
        else:
            tx.ip(ipv4(a.src, a.dst, 6, ident & 0xFFFF, 0, True, tcp[:8]), False)
        counts["tiny"] += 1
        # Duplicate: the same first fragment twice (the datagram is then left incomplete).
        ident += 1
        frag = fragment(a.src, a.dst, ident, 0, True, data[:200])
        tx.ip(frag, v6)
        tx.ip(frag, v6)
        counts["duplicate"] += 1
        # Never completed: a last fragment without the rest.
        ident += 1
        tx.ip(fragment(a.src, a.dst, ident, 25, False, data[200:]), v6)
        counts["incomplete"] += 1
    for i in range(a.flood):
        ident += 1
        tx.ip(fragment(a.src, a.dst, ident, 0, True, udp(a.src, a.dst, 40003, a.port, bytes(64))[:64]), v6)
        counts["flood"] += 1
    print("frag-abuse sent=%d %s" % (tx.sent, " ".join(f"{k}={v}" for k, v in counts.items())),
          flush=True)


def frag_wan(a):
    tx = Sender(a.iface, a.dst_mac, a.vlan)
    v6 = is6(a.src)
    ident = random.Random(os.getpid()).randrange(1 << 16)
    for i in range(a.count):
        if a.first:
            tx.ip(fragment(a.src, a.dst, ident + i, 0, True,
                           udp(a.src, a.dst, 40004, a.port, bytes(120))[:64]), v6)
        else:
            tx.ip(fragment(a.src, a.dst, ident + i, 10, False, bytes(48)), v6)
    print(f"frag-wan sent={tx.sent}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("wan-vlan", "frag-abuse", "frag-wan"):
        q = sub.add_parser(name)
        for arg in ("iface", "dst_mac", "src", "dst"):
            q.add_argument(arg)
        q.add_argument("port", type=int)
        q.add_argument("--count", type=int, default=10)
        if name == "wan-vlan":
            q.add_argument("--vlan", required=True)
        else:
            q.add_argument("--vlan", type=int, default=None)
        if name == "frag-wan":
            q.add_argument("--first", action="store_true")
        if name == "frag-abuse":
            q.add_argument("--rounds", type=int, default=10)
            q.add_argument("--flood", type=int, default=0)
            q.add_argument("--tcp-port", type=int, default=80)
    a = p.parse_args()
    {"wan-vlan": wan_vlan, "frag-abuse": frag_abuse, "frag-wan": frag_wan}[a.cmd](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
