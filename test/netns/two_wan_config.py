#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the config of the two-WAN topology (scripts/netns/two_wan.sh) as textproto on stdout.

  two_wan_config.py [--dc2] [--bfd-interval MS] [--bfd-multiplier N] [--hold-down MS]
                    [--link-test-interval MS] [--link-test-count N]
                    [--voice-resiliency NONE|FAILOVER|REVERTIBLE_FAILOVER] [--revert-seconds S]
                    [--voice-max-loss PCT] [--web-lb HUNT|PROPORTIONAL|ROUND_ROBIN]
                    [--weights W1,W2]

Routers: "branch" (lan0, wan0 = link A 192.0.2.1/24, wan1 = link B 198.51.100.1/24, with --dc2
wan2 = link C 203.0.113.1/24), "datacenter" (lan0, wan0 192.0.2.2/24, wan1 198.51.100.2/24) and
with --dc2 "datacenter2" (lan0, wan0 203.0.113.2/24). The branch reaches the datacenter over two
paths, "mpls" (wan0, cost 0) and "inet" (wan1, cost 10); both service policies prefer "mpls".
Services: voice (10.20.2.0/24 UDP 5060, 10000-20000; tenant sales) under policy "voice-sla"
(max loss --voice-max-loss %, default 5, resiliency --voice-resiliency, default FAILOVER), web
(10.20.3.10 TCP 80, UDP 7, ICMP; tenants engineering and sales) under policy "web-lb" (no SLA,
--web-lb, default HUNT). With --dc2 the branch routes web to datacenter (weight W1) and then to
datacenter2 (weight W2, default 3,1), and datacenter2 serves web locally.
Liveness defaults are the fast ones of the tests: BFD 100 ms x 3, hold-down 1 ms, link tests of
10 echoes every 1000 ms.
"""
import argparse

p = argparse.ArgumentParser()
p.add_argument("--dc2", action="store_true")
p.add_argument("--bfd-interval", type=int, default=100)
p.add_argument("--bfd-multiplier", type=int, default=3)
p.add_argument("--hold-down", type=int, default=1)
p.add_argument("--link-test-interval", type=int, default=1000)
p.add_argument("--link-test-count", type=int, default=10)
p.add_argument("--voice-resiliency", default="FAILOVER")
p.add_argument("--revert-seconds", type=int, default=0)
p.add_argument("--voice-max-loss", type=float, default=5.0)
p.add_argument("--web-lb", default="HUNT")
p.add_argument("--weights", default="3,1")
a = p.parse_args()

live = (f"    liveness {{ bfd_interval_ms: {a.bfd_interval} bfd_multiplier: {a.bfd_multiplier} "
        f"hold_down_ms: {a.hold_down} link_test_interval_ms: {a.link_test_interval} "
        f"link_test_count: {a.link_test_count} }}\n")


def wan(name, addr):
    return (f'  interfaces {{ name: "{name}" role: WAN addresses: "{addr}" '
            f'security_policy: "peer-hop" }}\n')


def peer(name, paths):
    s = f'  peers {{\n    name: "{name}"\n    security_policy: "peer-hop"\n'
    for pname, iface, addr, cost in paths:
        s += f'    paths {{ name: "{pname}" interface: "{iface}" address: "{addr}" cost: {cost} }}\n'
    return s + live + "  }\n"


w1, w2 = a.weights.split(",")
out = 'organization: "example-corp"\n\n'
out += 'routers {\n  name: "branch"\n'
out += '  interfaces { name: "lan0" role: LAN addresses: "10.10.0.1/16" }\n'
out += wan("wan0", "192.0.2.1/24") + wan("wan1", "198.51.100.1/24")
if a.dc2:
    out += wan("wan2", "203.0.113.1/24")
out += peer("datacenter", [("mpls", "wan0", "192.0.2.2", 0), ("inet", "wan1", "198.51.100.2", 10)])
if a.dc2:
    out += peer("datacenter2", [("dc2", "wan2", "203.0.113.2", 0)])
out += '  service_routes { name: "voice-via-dc" service: "voice" peer: "datacenter" }\n'
out += f'  service_routes {{ name: "web-via-dc" service: "web" peer: "datacenter" weight: {w1} }}\n'
if a.dc2:
    out += (f'  service_routes {{ name: "web-via-dc2" service: "web" peer: "datacenter2" '
            f'weight: {w2} }}\n')
out += "}\n\n"
out += 'routers {\n  name: "datacenter"\n'
out += '  interfaces { name: "lan0" role: LAN addresses: "10.20.0.1/16" }\n'
out += wan("wan0", "192.0.2.2/24") + wan("wan1", "198.51.100.2/24")
out += peer("branch", [("mpls", "wan0", "192.0.2.1", 0), ("inet", "wan1", "198.51.100.1", 10)])
out += '  service_routes { name: "voice-local" service: "voice" next_hop { interface: "lan0" } }\n'
out += '  service_routes { name: "web-local" service: "web" next_hop { interface: "lan0" } }\n'
out += "}\n\n"
if a.dc2:
    out += 'routers {\n  name: "datacenter2"\n'
    out += '  interfaces { name: "lan0" role: LAN addresses: "10.20.0.1/16" }\n'
    out += wan("wan0", "203.0.113.2/24")
    out += peer("branch", [("dc2", "wan0", "203.0.113.1", 0)])
    out += '  service_routes { name: "web-local" service: "web" next_hop { interface: "lan0" } }\n'
    out += "}\n\n"
out += '''tenants {
  name: "engineering"
  members { router: "branch" interface: "lan0" prefixes: "10.10.1.0/24" }
}
tenants {
  name: "sales"
  members { router: "branch" interface: "lan0" prefixes: "10.10.2.0/24" }
}

services {
  name: "voice"
  prefixes: "10.20.2.0/24"
  transports { protocol: UDP ports { start: 5060 } ports { start: 10000 end: 20000 } }
  access_policies { tenant: "sales" }
  service_policy: "voice-sla"
}
services {
  name: "web"
  prefixes: "10.20.3.10/32"
  transports { protocol: TCP ports { start: 80 } }
  transports { protocol: UDP ports { start: 7 } }
  transports { protocol: ICMP }
  access_policies { tenant: "engineering" }
  access_policies { tenant: "sales" }
  service_policy: "web-lb"
}

'''
revert = f" revert_hold_down_seconds: {a.revert_seconds}" if a.revert_seconds else ""
out += (f'service_policies {{\n  name: "voice-sla"\n  path_preference: "mpls"\n'
        f'  path_preference: "inet"\n  max_loss_percent: {a.voice_max_loss}\n'
        f'  session_resiliency: {a.voice_resiliency}{revert}\n}}\n')
out += (f'service_policies {{\n  name: "web-lb"\n  load_balancing: {a.web_lb}\n'
        f'  path_preference: "mpls"\n  path_preference: "inet"\n}}\n\n')
out += '''security_policies {
  name: "peer-hop"
  hmac: "sha256-128"
  hmac_mode: TIME_BASED
  encryption_cipher: "aes-256-cbc"
  hmac_keys: "hop-hmac"
  encryption_keys: "hop-aes"
}

keys { name: "demo-master" id: 1 hex: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" }
keys { name: "hop-hmac" id: 2 derive { master_key: "demo-master" context: "peer-hop hmac" } }
keys { name: "hop-aes" id: 3 derive { master_key: "demo-master" context: "peer-hop aes-256" } }

timeouts { udp_seconds: 120 }
'''
print(out, end="")
