/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one header shared by the XDP gate (bpf/ssr_gate.bpf.c, compiled as BPF C) and its
 * userspace side (libssr/src/gate, compiled as C++20). Every map key and value, the verdict
 * reasons, the map names and the map sizes live here and nowhere else; the C++ side
 * static_asserts the struct sizes and checks bpf_map__key_size()/bpf_map__value_size() of every
 * map at load, so a change here that only one side sees cannot go unnoticed.
 *
 * Design note (generations): every map that is filled from the config carries a generation bit
 * in its key (ssr_gate_state.gen says which one is live). A reload writes the complete new
 * generation next to the live one, flips ssr_gate_state.gen with one array update, and only then
 * deletes the old generation. A packet reads the generation once and does every lookup in it, so
 * it sees either the whole old or the whole new policy, never a mixture of the two (a tenant
 * index from the new config checked against an access bitmap of the old one). Established
 * traffic allowed by both configs is never dropped during a reload. Map capacities below are per
 * generation; the maps hold two generations.
 *
 * Design note (stateless LAN replies): the gate keeps no sessions. A LAN packet whose *source*
 * matches a service (source address in a service prefix and source port in one of that
 * service's transports, or an ICMP/ICMPv6 echo reply from a service with an ICMP transport) is
 * redirected to userspace as a possible session reply (reason lan_service_reply), where the
 * session table decides. Userspace drops it (and counts) when no session matches.
 *
 * Layout rules: fixed-width types only, explicit padding (always zero), no bitfields, no
 * pointers, sizes multiple of 4; the same struct layout in BPF (bpfel) and on x86-64.
 */
#ifndef SSR_BPF_SHARED_H_
#define SSR_BPF_SHARED_H_

#include <linux/types.h>

/* ---- Map names (as the skeleton and `bpftool map` show them; at most 15 characters) ---- */
#define SSR_GATE_MAP_STATE "ssr_state"
#define SSR_GATE_MAP_IFACES "ssr_ifaces"
#define SSR_GATE_MAP_IFACE_ARRAY "ssr_iface_arr"
#define SSR_GATE_MAP_TENANTS "ssr_tenants"
#define SSR_GATE_MAP_SERVICES "ssr_services"
#define SSR_GATE_MAP_ACCESS "ssr_access"
#define SSR_GATE_MAP_PEERS "ssr_peers"
#define SSR_GATE_MAP_LOCALS "ssr_locals"
#define SSR_GATE_MAP_COUNTERS "ssr_counters"
#define SSR_GATE_MAP_XSKS "ssr_xsks"
#define SSR_GATE_MAP_V4_SOURCES "ssr_v4_sources"
#define SSR_GATE_MAP_V4_LOCALS "ssr_v4_locals"
#define SSR_GATE_MAP_V6_SOURCES "ssr_v6_sources"
#define SSR_GATE_MAP_V6_LOCALS "ssr_v6_locals"
#define SSR_GATE_PROGRAM "ssr_gate"

/* ---- Capacities (per generation unless noted) ---- */
#define SSR_GATE_GENERATIONS 2
#define SSR_GATE_MAX_INTERFACES 64 /* per router: bit index in ssr_local_value.itf_mask */
#define SSR_GATE_MAX_IFINDEX_ENTRIES 256
/* ifindexes below this are looked up in ssr_iface_arr (an array read), the rest in ssr_ifaces */
#define SSR_GATE_IFINDEX_DIRECT 4096
#define SSR_GATE_MAX_TENANTS 512
#define SSR_GATE_MAX_SERVICES 1024
#define SSR_GATE_MAX_TENANT_PREFIXES 16384 /* (LAN interface, VLAN, prefix) entries */
#define SSR_GATE_MAX_SERVICE_PREFIXES 4096
#define SSR_GATE_MAX_SERVICE_RULES 32 /* rules reachable from one service prefix */
#define SSR_GATE_MAX_PEER_ADDRESSES 1024
#define SSR_GATE_MAX_LOCAL_ADDRESSES 1024
#define SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES 8 /* merged waypoint port ranges per own WAN address */
#define SSR_GATE_MAX_XSK_INTERFACES 16 /* interfaces with AF_XDP sockets (xsk slots) */
#define SSR_GATE_MAX_QUEUES 64 /* receive queues per interface */
/* XSKMAP (not per generation): key = xsk_slot * SSR_GATE_MAX_QUEUES + receive queue. One program
 * serves several interfaces, and their queue 0s need different sockets. */
#define SSR_GATE_XSK_ENTRIES (SSR_GATE_MAX_XSK_INTERFACES * SSR_GATE_MAX_QUEUES)
/* IPv4 summaries: one bit per /24, in 64-bit words (2 MiB per generation and map). */
#define SSR_GATE_V4_SUMMARY_WORDS (1u << 18)
/* IPv6 summaries: 2^24 hashed bits, in 64-bit words (2 MiB per generation and map). */
#define SSR_GATE_V6_SUMMARY_WORDS (1u << 18)
#define SSR_GATE_MAX_IPV6_EXTENSIONS 8 /* same as packet::kMaxIpv6ExtensionHeaders */

/* ---- Interface roles (ssr_iface_value.role) ---- */
#define SSR_GATE_ROLE_LAN 1
#define SSR_GATE_ROLE_WAN 2

/* ---- Address families in keys (same values as util::IpFamily) ---- */
#define SSR_GATE_FAMILY_IPV4 4
#define SSR_GATE_FAMILY_IPV6 6

/* ---- Rule protocol classes (ssr_service_rule.proto) ---- */
#define SSR_GATE_PROTO_ANY 0 /* a service without transports: every protocol and port */
#define SSR_GATE_PROTO_ICMP 1 /* ICMP and ICMPv6 (policy's ICMP transport) */
#define SSR_GATE_PROTO_TCP 6
#define SSR_GATE_PROTO_UDP 17

/* ---- ssr_local_value.flags ---- */
#define SSR_GATE_LOCAL_MANAGEMENT 1u /* one of Router::management_addresses */
#define SSR_GATE_LOCAL_INTERFACE 2u /* an address of one of the router's interfaces */
#define SSR_GATE_LOCAL_WAYPOINT 4u /* an address of a WAN interface: see ssr_local_value */

/*
 * Verdict reasons: one per-CPU counter each. X(enum, "name", "help", kind). Every packet the gate
 * sees is counted exactly once, under the reason of the action it got. kind: DROP for a packet
 * the gate dropped, INFO for one it passed on (kernel or AF_XDP); SSR_GATE_KIND_##kind.
 */
#define SSR_GATE_KIND_INFO 0
#define SSR_GATE_KIND_DROP 1
#define SSR_GATE_REASONS(X)                                                                    \
	X(SSR_GATE_PASS_UNKNOWN_IFINDEX, "pass_unknown_ifindex",                               \
	  "interface not in the gate's interface map: to the kernel", INFO)                    \
	X(SSR_GATE_PASS_ARP, "pass_arp", "ARP: to the kernel", INFO)                           \
	X(SSR_GATE_PASS_ND, "pass_nd",                                                         \
	  "ICMPv6 router/neighbour discovery or redirect (types 133-137), or MLD "             \
	  "(130-132, 143) from a link-local source with hop limit 1: to the kernel", INFO)     \
	X(SSR_GATE_PASS_LOCAL, "pass_local",                                                   \
	  "to a management or own interface address and not "                                  \
	  "waypoint traffic: to the kernel", INFO)                                             \
	X(SSR_GATE_LAN_ALLOW, "lan_allow",                                                     \
	  "LAN: tenant member and the service allows the tenant: to AF_XDP", INFO)             \
	X(SSR_GATE_LAN_SERVICE_REPLY, "lan_service_reply",                                     \
	  "LAN: source is a service (address and port/echo reply): possible session reply, "   \
	  "to AF_XDP", INFO)                                                                   \
	X(SSR_GATE_LAN_ICMP_ERROR, "lan_icmp_error",                                           \
	  "LAN: ICMP error (v4 types 3, 11, 12; v6 types 1-4) from any source, not to an own "  \
	  "address: to AF_XDP, where the pipeline drops it unless it quotes a live session",   \
	  INFO)                                                                                \
	X(SSR_GATE_LAN_FRAGMENT, "lan_fragment",                                               \
	  "LAN: non-first fragment from a tenant member or a service address: to AF_XDP, "     \
	  "where the pipeline reassembles it", INFO)                                           \
	X(SSR_GATE_WAN_WAYPOINT, "wan_waypoint",                                               \
	  "WAN: TCP/UDP from a configured peer to an own "                                     \
	  "address and waypoint port: to AF_XDP", INFO)                                        \
	X(SSR_GATE_WAN_LIVENESS, "wan_liveness",                                               \
	  "WAN: peer liveness (UDP 1280) from a configured peer to an own address: to AF_XDP, "\
	  "where this version drops it (pipeline peer_liveness: no peer layer)", INFO)          \
	X(SSR_GATE_WAN_FRAGMENT, "wan_fragment",                                               \
	  "WAN: non-first fragment from a configured peer to an own address: to AF_XDP, "      \
	  "where the pipeline reassembles it", INFO)                                           \
	X(SSR_GATE_DROP_NO_SOCKET, "drop_no_socket",                                           \
	  "would go to AF_XDP but no socket is bound to the receive queue", DROP)              \
	X(SSR_GATE_DROP_MALFORMED, "drop_malformed",                                           \
	  "truncated or invalid Ethernet, VLAN, IP or transport header", DROP)                 \
	X(SSR_GATE_DROP_ETHERTYPE, "drop_ethertype", "neither IPv4, IPv6 nor ARP", DROP)       \
	X(SSR_GATE_DROP_VLAN, "drop_vlan", "more than one VLAN tag", DROP)                     \
	X(SSR_GATE_DROP_IPV6_EXTENSIONS, "drop_ipv6_extensions",                               \
	  "IPv6 extension header chain longer than the gate walks", DROP)                      \
	X(SSR_GATE_DROP_NON_MEMBER, "drop_non_member",                                         \
	  "LAN: source is a member of no tenant (deny by default)", DROP)                      \
	X(SSR_GATE_DROP_NO_SERVICE, "drop_no_service",                                         \
	  "LAN: destination matches no service (deny by default)", DROP)                       \
	X(SSR_GATE_DROP_DENIED, "drop_denied",                                                 \
	  "LAN: the tenant may not use the service (deny by default)", DROP)                   \
	X(SSR_GATE_DROP_WAN_NOT_LOCAL, "drop_wan_not_local",                                   \
	  "WAN: not waypoint traffic from a peer and not "                                     \
	  "to an own or management address", DROP)                                             \
	X(SSR_GATE_DROP_WAN_NOT_PEER, "drop_wan_not_peer",                                     \
	  "WAN: TCP/UDP to a waypoint port or UDP to the liveness port of an own WAN "         \
	  "address, not from a configured peer of that interface in its range: libssr owns "   \
	  "these ports, the kernel does not get them", DROP)                                 \
	X(SSR_GATE_DROP_WAN_VLAN, "drop_wan_vlan",                                             \
	  "WAN: IP frame whose VLAN tag (none = 0) is not the interface's vlan", DROP)

#define SSR_GATE_REASON_ENUM_(e, name, help, kind) e,
enum ssr_gate_reason { SSR_GATE_REASONS(SSR_GATE_REASON_ENUM_) SSR_GATE_REASON_COUNT };
#undef SSR_GATE_REASON_ENUM_

/* ARRAY, one entry (key 0): which generation of the config maps is live. */
struct ssr_gate_state {
	__u32 gen; /* 0 or 1 */
	__u32 pad;
};

/*
 * What the interface is in the router's config, by (ifindex, generation): in ssr_iface_arr (ARRAY,
 * key = gen * SSR_GATE_IFINDEX_DIRECT + ifindex, an entry with role 0 is no interface) when the
 * ifindex is below SSR_GATE_IFINDEX_DIRECT, else in ssr_ifaces (HASH, key ssr_iface_key). Every
 * packet does this lookup first, so the common case is an inlined array read, not a hash.
 */
struct ssr_iface_key {
	__u32 ifindex;
	__u32 gen;
};
struct ssr_iface_value {
	__u8 role; /* SSR_GATE_ROLE_* */
	__u8 pad;
	__u16 itf; /* index in config::Router::interfaces */
	__u16 xsk_slot; /* this interface's block in ssr_xsks (stable while the gate is loaded) */
	__u16 vlan; /* WAN: the link's 802.1Q VLAN ID (config::Interface::vlan), 0 untagged; LAN: 0 */
};

/*
 * LPM_TRIE: tenant classification. The scope (generation, family, config interface, VLAN;
 * SSR_GATE_TENANT_SCOPE_BITS bits) is always matched in full; prefixlen = scope + prefix length.
 * VLAN 0 = untagged. Members that apply to every interface / VLAN are expanded to one entry per
 * (LAN interface, VLAN incl. 0), as policy::RouterPolicy does.
 */
struct ssr_tenant_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 family; /* SSR_GATE_FAMILY_* */
	__u16 itf;
	__u16 vlan;
	__u16 pad;
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes, rest zero */
};
#define SSR_GATE_TENANT_SCOPE_BITS 64
struct ssr_tenant_value {
	__u32 tenant; /* index in config::Config::tenants */
};

/*
 * LPM_TRIE: service match on the destination. The value of a prefix P holds the rules of P
 * followed by the rules of every shorter service prefix that contains P (longest first, config
 * order within one prefix), so the single longest match gives exactly the candidates that
 * policy::RouterPolicy::MatchService tries in order; the first matching rule wins.
 */
struct ssr_service_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 family;
	__u16 pad;
	__u8 addr[16];
};
#define SSR_GATE_SERVICE_SCOPE_BITS 32
struct ssr_service_rule {
	__u16 port_first; /* host order; 0..65535 when the transport lists no ports */
	__u16 port_last;
	__u8 proto; /* SSR_GATE_PROTO_* */
	__u8 pad;
	__u16 service; /* index in config::Config::services */
};
struct ssr_service_value {
	__u32 count; /* rules used, <= SSR_GATE_MAX_SERVICE_RULES */
	__u32 pad;
	struct ssr_service_rule rules[SSR_GATE_MAX_SERVICE_RULES];
};

/*
 * ARRAY: access, key = gen * SSR_GATE_MAX_SERVICES + service. Bit t set = tenant t may use the
 * service (config::Config::AccessFor with the tenant hierarchy already resolved).
 */
#define SSR_GATE_ACCESS_WORDS (SSR_GATE_MAX_TENANTS / 64)
struct ssr_access_value {
	__u64 tenants[SSR_GATE_ACCESS_WORDS];
};

/* HASH: (generation, WAN interface, peer address) -> the peer's waypoint port range. */
struct ssr_peer_key {
	__u8 gen;
	__u8 family;
	__u16 itf;
	__u8 addr[16];
};
struct ssr_peer_value {
	__u16 port_first; /* host order */
	__u16 port_last;
};

/*
 * HASH: (generation, own or management address) -> what it is, which interfaces own it and, for
 * an address of a WAN interface (SSR_GATE_LOCAL_WAYPOINT), the ports libssr owns on it.
 *
 * Design note (waypoint ports belong to libssr): on a waypoint address, UDP to the liveness port
 * and TCP/UDP to a port in the waypoint range of any peer of the owning WAN interface(s) is SVR
 * traffic; only libssr handles it, so the gate never passes it to the kernel. From a configured
 * peer of the arrival interface, in that peer's range, it goes to AF_XDP; from anyone else
 * (non-peer, or a peer outside its own range, or via another interface) it is dropped
 * (drop_wan_not_peer, docs/protocol.md §6). `waypoint` is the union of those peers' ranges,
 * overlapping and adjacent ranges merged, sorted; when more than
 * SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES disjoint ranges remain, the two with the smallest gap
 * between them are joined until they fit (a superset: it can only drop more, never pass
 * waypoint traffic to the kernel). Other ports of the address still go to the kernel.
 */
struct ssr_local_key {
	__u8 gen;
	__u8 family;
	__u16 pad;
	__u8 addr[16];
};
struct ssr_port_range {
	__u16 port_first; /* host order */
	__u16 port_last;
};
struct ssr_local_value {
	__u32 flags; /* SSR_GATE_LOCAL_* */
	__u32 waypoint_count; /* ranges used in `waypoint`, <= SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES */
	__u64 itf_mask; /* bit i: an address of config interface i */
	struct ssr_port_range waypoint[SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES];
};

/*
 * ARRAY (mmapable), key = gen * SSR_GATE_V4_SUMMARY_WORDS + word, value = 64 bits: the IPv4
 * summaries that let a flood exit early. Bit b of word w stands for the /24 with index
 * w * 64 + b (the top 24 bits of the address). Design note: a summary is a conservative filter
 * in front of the exact lookups, never a decision of its own. A clear bit proves that no entry of
 * the summarised maps can match an address in that /24, so the gate may skip those lookups; a
 * set bit only says "look". ssr_v4_sources summarises every IPv4 tenant prefix (all interfaces
 * and VLANs) and every IPv4 service prefix: a source outside all of them is a member of no
 * tenant and not a service (no possible session reply, no fragment to pass on), so a LAN packet
 * from it is dropped as drop_non_member after two array reads instead of an LPM miss and an LPM
 * lookup. ssr_v4_locals summarises the own and management IPv4 addresses: a clear bit means the
 * destination is not local (the ssr_locals hash lookup is skipped). ssr_v4_sources also marks
 * every IPv4 peer address (ssr_peers, WAN only): a WAN source whose bit is clear is no peer, so
 * the peer hash lookup is skipped too (a LAN flood from a peer's /24 merely takes the exact
 * path). Userspace (gate/v4_summary.h) builds them from the same contents as the exact maps and
 * writes them with the generation they belong to.
 */
#define SSR_GATE_V4_SUMMARY_INDEX(gen, addr_host) \
	((__u32)(gen) * SSR_GATE_V4_SUMMARY_WORDS + ((__u32)(addr_host) >> 14))
#define SSR_GATE_V4_SUMMARY_BIT(addr_host) (((__u32)(addr_host) >> 8) & 63u)

/*
 * ARRAY (mmapable), key = gen * SSR_GATE_V6_SUMMARY_WORDS + word, value = 64 bits: the IPv6
 * counterparts, conservative filters under the same rule (a clear bit proves that no exact entry
 * can match, a set bit says "look"). 128-bit addresses cannot be indexed directly, so a bit
 * stands for every key with the same hash h = SSR_GATE_V6_HASH(hi, lo) (24 bits; bit h % 64 of
 * word h / 64), hi and lo being the address's first and last 8 bytes as big-endian integers:
 *   ssr_v6_sources: keyed by the /64 of the source (lo = 0). Every IPv6 tenant prefix, service
 *     prefix and peer address marks the hash of every /64 it overlaps; a prefix shorter than
 *     /(64 - SSR_GATE_V6_SUMMARY_MAX_EXPAND) overlaps too many /64s to list and marks every bit
 *     (the summary then sends every IPv6 source to the exact lookups, as before it existed).
 *   ssr_v6_locals: keyed by the whole destination address; every own and management IPv6 address
 *     marks its hash.
 * Collisions only set bits other keys share (more exact lookups), never clear one. A LAN source
 * in a /64 of no tenant, service or peer prefix is dropped as drop_non_member after two array
 * reads, like IPv4; non-members inside a member's /64 take the exact path.
 */
#define SSR_GATE_V6_SUMMARY_MAX_EXPAND 20 /* at most 2^20 /64s marked one by one per prefix */
#define SSR_GATE_V6_HASH(hi, lo)                                                          \
	((__u32)((((__u64)(hi) ^ ((__u64)(lo) * 0xff51afd7ed558ccdULL)) *                    \
		  0x9e3779b97f4a7c15ULL) >> 40))
#define SSR_GATE_V6_SUMMARY_INDEX(gen, h) \
	((__u32)(gen) * SSR_GATE_V6_SUMMARY_WORDS + ((__u32)(h) >> 6))
#define SSR_GATE_V6_SUMMARY_BIT(h) ((__u32)(h) & 63u)

/* PERCPU_ARRAY: key = enum ssr_gate_reason. */
struct ssr_gate_counter {
	__u64 packets;
	__u64 bytes;
};

#ifndef __bpf__
/* Counter name of a reason ("lan_allow"), or "invalid". Userspace only. */
static inline const char *ssr_gate_reason_name(unsigned int reason)
{
#define SSR_GATE_REASON_NAME_(e, name, help, kind) \
	case e:                              \
		return name;
	switch (reason) {
		SSR_GATE_REASONS(SSR_GATE_REASON_NAME_)
	default:
		return "invalid";
	}
#undef SSR_GATE_REASON_NAME_
}

static inline const char *ssr_gate_reason_help(unsigned int reason)
{
#define SSR_GATE_REASON_HELP_(e, name, help, kind) \
	case e:                              \
		return help;
	switch (reason) {
		SSR_GATE_REASONS(SSR_GATE_REASON_HELP_)
	default:
		return "invalid";
	}
#undef SSR_GATE_REASON_HELP_
}

/* 1 when the reason is a drop (SSR_GATE_KIND_DROP), else 0. Userspace only. */
static inline int ssr_gate_reason_is_drop(unsigned int reason)
{
#define SSR_GATE_REASON_KIND_(e, name, help, kind) \
	case e:                                    \
		return SSR_GATE_KIND_##kind == SSR_GATE_KIND_DROP;
	switch (reason) {
		SSR_GATE_REASONS(SSR_GATE_REASON_KIND_)
	default:
		return 0;
	}
#undef SSR_GATE_REASON_KIND_
}
#endif /* !__bpf__ */

#endif /* SSR_BPF_SHARED_H_ */
