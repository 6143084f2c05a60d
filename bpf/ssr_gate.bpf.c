// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The XDP gate: deny by default at the NIC.
 *
 * One program serves every interface of a router; ssr_iface_arr (or, for large ifindexes,
 * ssr_ifaces) tells it which side (LAN/WAN) and which config interface a packet arrived on. Verdicts (see bpf/README.md and the reason list
 * in ssr/bpf_shared.h):
 *   any side: ARP and ICMPv6 ND (133-137) -> kernel; MLD (130-132, 143) from a link-local
 *        source with hop limit 1 -> kernel; unknown ifindex -> kernel (knob).
 *   LAN: to an own/management address -> kernel; an ICMP error (v4 3, 11, 12; v6 1-4) from any
 *        source -> AF_XDP (the pipeline keeps it only when it quotes a live session,
 *        docs/protocol.md §2.11.1); tenant member + allowed service -> AF_XDP;
 *        source is a service (possible session reply) -> AF_XDP; everything else dropped with
 *        the first reason policy::RouterPolicy::Decide would give (non_member, no_service,
 *        denied).
 *   WAN: from a configured peer of this interface to an own address of it, UDP 1280 or TCP/UDP
 *        to a port in the peer's waypoint range -> AF_XDP; otherwise UDP 1280 or TCP/UDP to a
 *        waypoint port of an own WAN address -> dropped (libssr owns them, docs/protocol.md §6);
 *        otherwise to an own/management address -> kernel (ICMP errors included: they are
 *        about the outer packets, which the pipeline does not act on); everything else dropped.
 * AF_XDP redirect falls back to XDP_DROP when the receive queue has no socket: passing allowed
 * traffic to the kernel would let it be forwarded without SVR (counted as drop_no_socket).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ssr/bpf_shared.h"

/* <linux/icmp.h> pulls in libc headers; the constants needed: */
#define SSR_ICMP_ECHO_REPLY 0
#define SSR_ICMP_DEST_UNREACH 3
#define SSR_ICMP_TIME_EXCEEDED 11
#define SSR_ICMP_PARAMETERPROB 12

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Load-time knobs (set through the skeleton's rodata before load). */
const volatile __u16 ssr_liveness_port = 1280;
const volatile __u32 ssr_unknown_ifindex_action = XDP_PASS;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ssr_gate_state);
} ssr_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SSR_GATE_MAX_IFINDEX_ENTRIES *SSR_GATE_GENERATIONS);
	__type(key, struct ssr_iface_key);
	__type(value, struct ssr_iface_value);
} ssr_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SSR_GATE_IFINDEX_DIRECT *SSR_GATE_GENERATIONS);
	__type(key, __u32);
	__type(value, struct ssr_iface_value);
} ssr_iface_arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SSR_GATE_MAX_TENANT_PREFIXES *SSR_GATE_GENERATIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ssr_tenant_key);
	__type(value, struct ssr_tenant_value);
} ssr_tenants SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SSR_GATE_MAX_SERVICE_PREFIXES *SSR_GATE_GENERATIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ssr_service_key);
	__type(value, struct ssr_service_value);
} ssr_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SSR_GATE_MAX_SERVICES *SSR_GATE_GENERATIONS);
	__type(key, __u32);
	__type(value, struct ssr_access_value);
} ssr_access SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SSR_GATE_MAX_PEER_ADDRESSES *SSR_GATE_GENERATIONS);
	__type(key, struct ssr_peer_key);
	__type(value, struct ssr_peer_value);
} ssr_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SSR_GATE_MAX_LOCAL_ADDRESSES *SSR_GATE_GENERATIONS);
	__type(key, struct ssr_local_key);
	__type(value, struct ssr_local_value);
} ssr_locals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SSR_GATE_REASON_COUNT);
	__type(key, __u32);
	__type(value, struct ssr_gate_counter);
} ssr_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SSR_GATE_XSK_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} ssr_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SSR_GATE_V4_SUMMARY_WORDS *SSR_GATE_GENERATIONS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} ssr_v4_sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SSR_GATE_V4_SUMMARY_WORDS *SSR_GATE_GENERATIONS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} ssr_v4_locals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SSR_GATE_V6_SUMMARY_WORDS *SSR_GATE_GENERATIONS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} ssr_v6_sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SSR_GATE_V6_SUMMARY_WORDS *SSR_GATE_GENERATIONS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} ssr_v6_locals SEC(".maps");

/* What the parser learned; addresses in network order, ports in host order. */
struct ssr_pkt {
	__u8 family;
	__u8 proto; /* IPv4 protocol / IPv6 upper-layer next header */
	__u8 has_l4; /* a transport header was read (ports / ICMP type valid) */
	__u8 non_first_fragment;
	__u8 icmp_type;
	__u8 hop_limit; /* IPv6 only */
	__u16 vlan;
	__u16 sport;
	__u16 dport;
	__u8 src[16];
	__u8 dst[16];
};

static __always_inline int ssr_count(enum ssr_gate_reason reason, __u32 len, int action)
{
	__u32 key = reason;
	struct ssr_gate_counter *c = bpf_map_lookup_elem(&ssr_counters, &key);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
	return action;
}

static __always_inline int ssr_redirect(struct xdp_md *ctx, const struct ssr_iface_value *itf,
					enum ssr_gate_reason reason, __u32 len)
{
	__u32 queue = ctx->rx_queue_index;
	long ret = XDP_DROP;

	if (queue < SSR_GATE_MAX_QUEUES && itf->xsk_slot < SSR_GATE_MAX_XSK_INTERFACES)
		ret = bpf_redirect_map(&ssr_xsks, itf->xsk_slot * SSR_GATE_MAX_QUEUES + queue,
				       XDP_DROP);
	if (ret != XDP_REDIRECT)
		return ssr_count(SSR_GATE_DROP_NO_SOCKET, len, XDP_DROP);
	return ssr_count(reason, len, XDP_REDIRECT);
}

static __always_inline void ssr_copy16(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, 16);
}

static __always_inline int ssr_is_ipv6_extension(__u8 nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case 139: /* HIP */
	case 140: /* Shim6 */
		return 1;
	default:
		return 0;
	}
}

/*
 * Reads the transport header at `l4`, which must fit before `end` (the end of the IP packet, by
 * its length field) and `data_end` (the end of the frame, the bound the verifier knows). Returns
 * 0 or -1 when the header is truncated.
 */
static __always_inline int ssr_parse_l4(void *l4, void *end, void *data_end, struct ssr_pkt *p)
{
	if (p->non_first_fragment)
		return 0;
	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end || (void *)(th + 1) > data_end)
			return -1;
		if (th->doff < 5)
			return -1;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->has_l4 = 1;
		return 0;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end || (void *)(uh + 1) > data_end)
			return -1;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		p->has_l4 = 1;
		return 0;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 *ih = l4;

		/* Only the header of the family's own ICMP is parsed, as packet::ParseFrame does. */
		if ((p->family == SSR_GATE_FAMILY_IPV4) != (p->proto == IPPROTO_ICMP))
			return 0;
		if ((void *)(ih + 8) > end || (void *)(ih + 8) > data_end)
			return -1;
		p->icmp_type = ih[0];
		p->has_l4 = 1;
		return 0;
	}
	default:
		return 0;
	}
}

/* Parses the IP header at `l3`. Returns 0, or the drop reason. */
static __always_inline int ssr_parse_ipv4(void *l3, void *data_end, struct ssr_pkt *p)
{
	struct iphdr *iph = l3;
	__u32 hlen, tot;
	void *end;

	if ((void *)(iph + 1) > data_end)
		return SSR_GATE_DROP_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return SSR_GATE_DROP_MALFORMED;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen)
		return SSR_GATE_DROP_MALFORMED;
	if (tot > 0xffff || (void *)((__u8 *)l3 + tot) > data_end)
		return SSR_GATE_DROP_MALFORMED;
	end = (__u8 *)l3 + tot;
	p->family = SSR_GATE_FAMILY_IPV4;
	p->proto = iph->protocol;
	p->non_first_fragment = (bpf_ntohs(iph->frag_off) & 0x1fff) != 0;
	__builtin_memset(p->src, 0, 16);
	__builtin_memset(p->dst, 0, 16);
	__builtin_memcpy(p->src, &iph->saddr, 4);
	__builtin_memcpy(p->dst, &iph->daddr, 4);
	if (ssr_parse_l4((__u8 *)l3 + hlen, end, data_end, p))
		return SSR_GATE_DROP_MALFORMED;
	return 0;
}

static __always_inline int ssr_parse_ipv6(void *l3, void *data_end, struct ssr_pkt *p)
{
	struct ipv6hdr *ip6h = l3;
	__u8 *pos, *end;
	__u8 nh;
	int i;

	if ((void *)(ip6h + 1) > data_end)
		return SSR_GATE_DROP_MALFORMED;
	if (ip6h->version != 6)
		return SSR_GATE_DROP_MALFORMED;
	end = (__u8 *)(ip6h + 1) + bpf_ntohs(ip6h->payload_len);
	if ((void *)end > data_end)
		return SSR_GATE_DROP_MALFORMED;
	p->family = SSR_GATE_FAMILY_IPV6;
	p->hop_limit = ip6h->hop_limit;
	ssr_copy16(p->src, (const __u8 *)&ip6h->saddr);
	ssr_copy16(p->dst, (const __u8 *)&ip6h->daddr);
	nh = ip6h->nexthdr;
	pos = (__u8 *)(ip6h + 1);
	for (i = 0; i < SSR_GATE_MAX_IPV6_EXTENSIONS; i++) {
		__u32 len;

		if (!ssr_is_ipv6_extension(nh))
			break;
		if (pos + 8 > end || (void *)(pos + 8) > data_end)
			return SSR_GATE_DROP_MALFORMED;
		if (nh == IPPROTO_FRAGMENT) {
			__u16 frag = ((__u16)pos[2] << 8) | pos[3];

			len = 8;
			if ((frag & 0xfff8) != 0)
				p->non_first_fragment = 1;
		} else if (nh == IPPROTO_AH) {
			len = ((__u32)pos[1] + 2) * 4;
		} else {
			len = ((__u32)pos[1] + 1) * 8;
		}
		nh = pos[0];
		pos += len;
		if (pos > end)
			return SSR_GATE_DROP_MALFORMED;
		if (p->non_first_fragment)
			break;
	}
	if (!p->non_first_fragment && ssr_is_ipv6_extension(nh))
		return SSR_GATE_DROP_IPV6_EXTENSIONS;
	p->proto = nh;
	if (nh == IPPROTO_NONE)
		return 0;
	if (ssr_parse_l4(pos, end, data_end, p))
		return SSR_GATE_DROP_MALFORMED;
	return 0;
}

/*
 * 0 when the IPv4 summary `map` proves that no exact entry can match `addr` (network order,
 * IPv4 only), else 1 (see bpf_shared.h). An array lookup the verifier inlines.
 */
static __always_inline int ssr_v4_maybe(void *map, __u8 gen, const __u8 *addr)
{
	__u32 a = ((__u32)addr[0] << 24) | ((__u32)addr[1] << 16) | ((__u32)addr[2] << 8);
	__u32 key = SSR_GATE_V4_SUMMARY_INDEX(gen, a);
	__u64 *word = bpf_map_lookup_elem(map, &key);

	if (!word)
		return 1; /* cannot happen (array, index in range): take the exact path */
	return (*word >> SSR_GATE_V4_SUMMARY_BIT(a)) & 1;
}

/*
 * The same for the IPv6 summary `map`: keyed by the /64 of `addr` (whole = 0) or by the whole
 * address (whole = 1), see SSR_GATE_V6_HASH in bpf_shared.h.
 */
static __always_inline int ssr_v6_maybe(void *map, __u8 gen, const __u8 *addr, int whole)
{
	__u64 hi, lo = 0;
	__u32 h, key;
	__u64 *word;

	__builtin_memcpy(&hi, addr, 8);
	hi = bpf_be64_to_cpu(hi);
	if (whole) {
		__builtin_memcpy(&lo, addr + 8, 8);
		lo = bpf_be64_to_cpu(lo);
	}
	h = SSR_GATE_V6_HASH(hi, lo);
	key = SSR_GATE_V6_SUMMARY_INDEX(gen, h);
	word = bpf_map_lookup_elem(map, &key);
	if (!word)
		return 1; /* cannot happen (array, index in range): take the exact path */
	return (*word >> SSR_GATE_V6_SUMMARY_BIT(h)) & 1;
}

/* 0 when the source summaries prove `p`'s source is in no tenant, service or peer entry. */
static __always_inline int ssr_source_maybe(__u8 gen, const struct ssr_pkt *p)
{
	if (p->family == SSR_GATE_FAMILY_IPV4)
		return ssr_v4_maybe(&ssr_v4_sources, gen, p->src);
	return ssr_v6_maybe(&ssr_v6_sources, gen, p->src, 0);
}

static __always_inline const struct ssr_local_value *ssr_local(__u8 gen, const struct ssr_pkt *p)
{
	struct ssr_local_key k = {};

	if (p->family == SSR_GATE_FAMILY_IPV4 ? !ssr_v4_maybe(&ssr_v4_locals, gen, p->dst)
					      : !ssr_v6_maybe(&ssr_v6_locals, gen, p->dst, 1))
		return NULL;

	k.gen = gen;
	k.family = p->family;
	ssr_copy16(k.addr, p->dst);
	return bpf_map_lookup_elem(&ssr_locals, &k);
}

static __always_inline int ssr_rule_matches(const struct ssr_service_rule *r, __u8 proto,
					    __u16 port)
{
	switch (r->proto) {
	case SSR_GATE_PROTO_ANY:
		return 1;
	case SSR_GATE_PROTO_ICMP:
		return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
	default:
		return r->proto == proto && port >= r->port_first && port <= r->port_last;
	}
}

/*
 * The service for (addr, proto, port), as policy::RouterPolicy::MatchService finds it, or -1.
 * `any_rule` instead accepts any rule of any prefix containing addr (fragments).
 */
static __always_inline int ssr_match_service(__u8 gen, __u8 family, const __u8 *addr, __u8 proto,
					     __u16 port, int any_rule)
{
	struct ssr_service_key k = {};
	struct ssr_service_value *v;
	int i;

	k.prefixlen = SSR_GATE_SERVICE_SCOPE_BITS + (family == SSR_GATE_FAMILY_IPV4 ? 32 : 128);
	k.gen = gen;
	k.family = family;
	ssr_copy16(k.addr, addr);
	v = bpf_map_lookup_elem(&ssr_services, &k);
	if (!v)
		return -1;
	for (i = 0; i < SSR_GATE_MAX_SERVICE_RULES; i++) {
		const struct ssr_service_rule *r = &v->rules[i];

		if (i >= v->count)
			break;
		if (any_rule || ssr_rule_matches(r, proto, port))
			return r->service;
	}
	return -1;
}

static __always_inline int ssr_allowed(__u8 gen, int service, __u32 tenant)
{
	__u32 key = (__u32)gen * SSR_GATE_MAX_SERVICES + (__u32)service;
	struct ssr_access_value *a;

	if (service < 0 || service >= SSR_GATE_MAX_SERVICES || tenant >= SSR_GATE_MAX_TENANTS)
		return 0;
	a = bpf_map_lookup_elem(&ssr_access, &key);
	if (!a)
		return 0;
	return (a->tenants[(tenant / 64) & (SSR_GATE_ACCESS_WORDS - 1)] >> (tenant % 64)) & 1;
}

/* Source matches a service: a reply from a server to a session that userspace may hold. */
static __always_inline int ssr_is_service_reply(__u8 gen, const struct ssr_pkt *p)
{
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		if (!p->has_l4)
			return 0;
		if (!((p->proto == IPPROTO_ICMP && p->icmp_type == SSR_ICMP_ECHO_REPLY) ||
		      (p->proto == IPPROTO_ICMPV6 && p->icmp_type == ICMPV6_ECHO_REPLY)))
			return 0;
	}
	return ssr_match_service(gen, p->family, p->src, p->proto, p->sport, 0) >= 0;
}

/*
 * An ICMP error message of the packet's own family, as packet::IcmpIsError defines it: ICMPv4
 * destination unreachable, time exceeded, parameter problem; ICMPv6 destination unreachable,
 * packet too big, time exceeded, parameter problem. has_l4 is set only for the family's own ICMP
 * and never for a non-first fragment.
 */
static __always_inline int ssr_is_icmp_error(const struct ssr_pkt *p)
{
	if (!p->has_l4)
		return 0;
	if (p->proto == IPPROTO_ICMP)
		return p->icmp_type == SSR_ICMP_DEST_UNREACH || p->icmp_type == SSR_ICMP_TIME_EXCEEDED ||
		       p->icmp_type == SSR_ICMP_PARAMETERPROB;
	if (p->proto == IPPROTO_ICMPV6)
		return p->icmp_type >= ICMPV6_DEST_UNREACH && p->icmp_type <= ICMPV6_PARAMPROB;
	return 0;
}

static __always_inline int ssr_lan(struct xdp_md *ctx, __u8 gen, const struct ssr_iface_value *itf,
				   const struct ssr_pkt *p, __u32 len)
{
	struct ssr_tenant_key tk = {};
	struct ssr_tenant_value *tenant;
	enum ssr_gate_reason reason;
	int service;

	if (ssr_local(gen, p))
		return ssr_count(SSR_GATE_PASS_LOCAL, len, XDP_PASS);
	/*
	 * ICMP errors are about another packet and never open a session; they come from servers,
	 * clients and routers on the LAN side alike (a router there is in no tenant or service
	 * prefix), so the source is not checked. The pipeline keeps only those that quote a live
	 * session and counts the rest (docs/protocol.md §2.11.1).
	 */
	if (ssr_is_icmp_error(p))
		return ssr_redirect(ctx, itf, SSR_GATE_LAN_ICMP_ERROR, len);
	/* A flood from outside every tenant and service prefix ends here (no LPM lookups; IPv4 by its
	 * /24, IPv6 by its /64). */
	if (!ssr_source_maybe(gen, p))
		return ssr_count(SSR_GATE_DROP_NON_MEMBER, len, XDP_DROP);

	tk.prefixlen = SSR_GATE_TENANT_SCOPE_BITS + (p->family == SSR_GATE_FAMILY_IPV4 ? 32 : 128);
	tk.gen = gen;
	tk.family = p->family;
	tk.itf = itf->itf;
	tk.vlan = p->vlan;
	ssr_copy16(tk.addr, p->src);
	tenant = bpf_map_lookup_elem(&ssr_tenants, &tk);

	if (p->non_first_fragment) {
		/* No ports: userspace matches the fragment to its first fragment's session. */
		if (tenant || ssr_match_service(gen, p->family, p->src, 0, 0, 1) >= 0)
			return ssr_redirect(ctx, itf, SSR_GATE_LAN_FRAGMENT, len);
		return ssr_count(SSR_GATE_DROP_NON_MEMBER, len, XDP_DROP);
	}

	if (tenant) {
		service = ssr_match_service(gen, p->family, p->dst, p->proto, p->dport, 0);
		if (service >= 0 && ssr_allowed(gen, service, tenant->tenant))
			return ssr_redirect(ctx, itf, SSR_GATE_LAN_ALLOW, len);
		reason = service < 0 ? SSR_GATE_DROP_NO_SERVICE : SSR_GATE_DROP_DENIED;
	} else {
		reason = SSR_GATE_DROP_NON_MEMBER;
	}
	if (ssr_is_service_reply(gen, p))
		return ssr_redirect(ctx, itf, SSR_GATE_LAN_SERVICE_REPLY, len);
	return ssr_count(reason, len, XDP_DROP);
}

/*
 * 1 when `p` is addressed to a port libssr owns on the waypoint address `local`: UDP to the
 * liveness port, or TCP/UDP to a port in the union of the waypoint ranges of the peers of the
 * address's WAN interface(s) (see ssr_local_value in bpf_shared.h).
 */
static __always_inline int ssr_waypoint_port(const struct ssr_local_value *local,
					     const struct ssr_pkt *p)
{
	__u32 i;

	if (!(local->flags & SSR_GATE_LOCAL_WAYPOINT) || !p->has_l4)
		return 0;
	if (p->proto == IPPROTO_UDP && p->dport == ssr_liveness_port)
		return 1;
	if (p->proto != IPPROTO_UDP && p->proto != IPPROTO_TCP)
		return 0;
	for (i = 0; i < SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES; i++) {
		const struct ssr_port_range *r = &local->waypoint[i];

		if (i >= local->waypoint_count)
			break;
		if (p->dport >= r->port_first && p->dport <= r->port_last)
			return 1;
	}
	return 0;
}

static __always_inline int ssr_wan(struct xdp_md *ctx, __u8 gen, const struct ssr_iface_value *itf,
				   const struct ssr_pkt *p, __u32 len)
{
	const struct ssr_local_value *local = ssr_local(gen, p);

	if (!local)
		return ssr_count(SSR_GATE_DROP_WAN_NOT_LOCAL, len, XDP_DROP);
	/* A source no peer entry can match (summary bit clear) skips the peer hash lookup. */
	if ((local->flags & SSR_GATE_LOCAL_INTERFACE) && itf->itf < 64 &&
	    ((local->itf_mask >> itf->itf) & 1) && ssr_source_maybe(gen, p)) {
		struct ssr_peer_key pk = {};
		struct ssr_peer_value *peer;

		pk.gen = gen;
		pk.family = p->family;
		pk.itf = itf->itf;
		ssr_copy16(pk.addr, p->src);
		peer = bpf_map_lookup_elem(&ssr_peers, &pk);
		if (peer) {
			if (p->non_first_fragment)
				return ssr_redirect(ctx, itf, SSR_GATE_WAN_FRAGMENT, len);
			if (p->has_l4 && p->proto == IPPROTO_UDP && p->dport == ssr_liveness_port)
				return ssr_redirect(ctx, itf, SSR_GATE_WAN_LIVENESS, len);
			if (p->has_l4 && (p->proto == IPPROTO_UDP || p->proto == IPPROTO_TCP) &&
			    p->dport >= peer->port_first && p->dport <= peer->port_last)
				return ssr_redirect(ctx, itf, SSR_GATE_WAN_WAYPOINT, len);
		}
	}
	/* Not waypoint traffic of a peer of this interface: a waypoint or liveness port of a WAN
	 * address is still libssr's, never the kernel's (docs/protocol.md §6). */
	if (ssr_waypoint_port(local, p))
		return ssr_count(SSR_GATE_DROP_WAN_NOT_PEER, len, XDP_DROP);
	return ssr_count(SSR_GATE_PASS_LOCAL, len, XDP_PASS);
}

SEC("xdp")
int ssr_gate(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = (__u32)(data_end - data);
	struct ethhdr *eth = data;
	struct ssr_iface_key ik = {};
	const struct ssr_iface_value *itf;
	const struct ssr_gate_state *st;
	struct ssr_pkt p = {};
	void *l3;
	__u32 zero = 0;
	__u16 type;
	__u8 gen;
	int reason;

	st = bpf_map_lookup_elem(&ssr_state, &zero);
	if (!st)
		return ssr_count(SSR_GATE_DROP_MALFORMED, len, XDP_DROP); /* cannot happen (array) */
	gen = st->gen & 1;
	ik.ifindex = ctx->ingress_ifindex;
	ik.gen = gen;
	if (ik.ifindex < SSR_GATE_IFINDEX_DIRECT) {
		__u32 slot = (__u32)gen * SSR_GATE_IFINDEX_DIRECT + ik.ifindex;

		itf = bpf_map_lookup_elem(&ssr_iface_arr, &slot);
		if (itf && itf->role == 0)
			itf = NULL;
	} else {
		itf = bpf_map_lookup_elem(&ssr_ifaces, &ik);
	}
	if (!itf)
		return ssr_count(SSR_GATE_PASS_UNKNOWN_IFINDEX, len, ssr_unknown_ifindex_action);

	if ((void *)(eth + 1) > data_end)
		return ssr_count(SSR_GATE_DROP_MALFORMED, len, XDP_DROP);
	type = bpf_ntohs(eth->h_proto);
	l3 = eth + 1;
	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		__u8 *tag = l3;

		if ((void *)(tag + 4) > data_end)
			return ssr_count(SSR_GATE_DROP_MALFORMED, len, XDP_DROP);
		p.vlan = (((__u16)tag[0] << 8) | tag[1]) & 0x0fff;
		type = ((__u16)tag[2] << 8) | tag[3];
		l3 = tag + 4;
		if (type == ETH_P_8021Q || type == ETH_P_8021AD)
			return ssr_count(SSR_GATE_DROP_VLAN, len, XDP_DROP);
	}

	if (type == ETH_P_ARP)
		return ssr_count(SSR_GATE_PASS_ARP, len, XDP_PASS);
	if (type == ETH_P_IP)
		reason = ssr_parse_ipv4(l3, data_end, &p);
	else if (type == ETH_P_IPV6)
		reason = ssr_parse_ipv6(l3, data_end, &p);
	else
		return ssr_count(SSR_GATE_DROP_ETHERTYPE, len, XDP_DROP);
	if (reason)
		return ssr_count(reason, len, XDP_DROP);

	if (p.proto == IPPROTO_ICMPV6 && p.family == SSR_GATE_FAMILY_IPV6 && p.has_l4 &&
	    p.icmp_type >= 133 && p.icmp_type <= 137 /* RS, RA, NS, NA, redirect */)
		return ssr_count(SSR_GATE_PASS_ND, len, XDP_PASS);
	/*
	 * MLD (query 130, v1 report 131, done 132, v2 report 143), only as RFC 3810 §5 / RFC 2710 §3
	 * has receivers accept it: link-local source (fe80::/10), hop limit 1. The kernel answers
	 * queries with reports of its groups, among them the solicited-node groups ND needs: a
	 * multicast-snooping switch that stops hearing them stops delivering neighbour
	 * solicitations for the router's addresses.
	 */
	if (p.proto == IPPROTO_ICMPV6 && p.family == SSR_GATE_FAMILY_IPV6 && p.has_l4 &&
	    ((p.icmp_type >= 130 && p.icmp_type <= 132) || p.icmp_type == 143) && p.hop_limit == 1 &&
	    p.src[0] == 0xfe && (p.src[1] & 0xc0) == 0x80)
		return ssr_count(SSR_GATE_PASS_ND, len, XDP_PASS);

	if (itf->role == SSR_GATE_ROLE_LAN)
		return ssr_lan(ctx, gen, itf, &p, len);
	/*
	 * A WAN link carries exactly one VLAN (config::Interface::vlan, 0 untagged): IP frames with
	 * any other tag, or untagged on a tagged link, are not the router's (docs/protocol.md §2.17).
	 * ARP and ND/MLD passed above, so the kernel still resolves neighbours on the link.
	 */
	if (p.vlan != itf->vlan)
		return ssr_count(SSR_GATE_DROP_WAN_VLAN, len, XDP_DROP);
	return ssr_wan(ctx, gen, itf, &p, len);
}
