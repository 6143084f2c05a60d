// SPDX-License-Identifier: GPL-2.0
// XDP programs of the bundled packet generator (bench/pktgen):
//   pktgen_gen   run by BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: paces (per-CPU interval),
//                stamps each frame with the probe (stream, sequence number, CLOCK_MONOTONIC
//                time), varies the flow, and redirects it out of the interface in `tx_port`.
//                Pacing is here, not in user space, because every BPF_PROG_RUN call costs
//                ~2 ms of set-up on this kernel (page pool per call): calls must be long.
//   pktgen_drop  XDP_DROP (the raw drop baseline).
//   pktgen_relay XDP_REDIRECT of every frame to `tx_port` (the generator-side relay).
// Frame layout (built by ssr-pktgen): Ethernet / IPv4 (20 bytes) / UDP / probe. The probe layout
// is struct pktgen_probe in probe.h.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} tx_port SEC(".maps");

// Per CPU (one generator thread per CPU). Written by user space before each trial.
struct gen_state {
  __u64 seq;          // frames sent (the next frame's sequence number)
  __u64 next_ps;      // pacing: earliest time of the next frame, picoseconds
  __u64 interval_ps;  // pacing: 1e12 / rate; 0 = as fast as possible
};
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct gen_state);
} gen_state SEC(".maps");

// Written by user space between trials (.bss, mmapped by the skeleton).
volatile __u32 trial_id = 0;  // high byte of the probe's stream field
// Set before load (frozen .rodata, so the verifier sees constants).
const volatile __u32 flows = 1;      // >0: source port cycles over `flows` ports; 0: new flow per packet
const volatile __u32 base_sport = 1024;

#define PROBE_MAGIC 0x5347  // "SG"
#define ETH_LEN 14
#define IP_OFF ETH_LEN
#define UDP_OFF (ETH_LEN + 20)
#define PROBE_OFF (UDP_OFF + 8)
#define PROBE_LEN 16

static __always_inline __u16 bswap16(__u16 v) { return (__u16)((v << 8) | (v >> 8)); }

SEC("xdp") int pktgen_gen(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  if (data + PROBE_OFF + PROBE_LEN > end) return XDP_ABORTED;
  __u32 key = 0;
  struct gen_state *st = bpf_map_lookup_elem(&gen_state, &key);
  if (!st) return XDP_ABORTED;
  const __u64 now_ns = bpf_ktime_get_ns();
  if (st->interval_ps) {
    // Pacing inside the run loop: a frame that is early is dropped right away (recycled, tens
    // of ns), so one long BPF_PROG_RUN call sends at the exact rate, frame by frame. After a
    // stall at most 64 frames (one batch) go out back to back
    // (kMaxCatchUpFrames in pktgen_core.h).
    const __u64 now_ps = now_ns * 1000;
    if (now_ps < st->next_ps) return XDP_DROP;
    __u64 next = st->next_ps + st->interval_ps;
    const __u64 floor = now_ps - 64 * st->interval_ps;
    if (next < floor) next = floor;
    st->next_ps = next;
  }
  __u64 seq = st->seq++;
  __u8 *p = data;
  if (flows > 0) {
    __u16 sport = (__u16)(base_sport + (__u32)(seq % flows));
    *(__u16 *)(p + UDP_OFF) = bswap16(sport);
  } else {
    // New flow per packet: source port from the sequence number (1024..65535), the last
    // source address byte from the next bits (1..254), so the source stays inside its /24:
    // 254 x 64512 = 16.4 M distinct flows. The IPv4 checksum is patched incrementally.
    __u32 n = (__u32)seq;
    __u16 sport = (__u16)(1024 + n % 64512);
    __u8 b3 = (__u8)(1 + (n / 64512) % 254);
    *(__u16 *)(p + UDP_OFF) = bswap16(sport);
    __u16 *ip16 = (__u16 *)(p + IP_OFF);
    __u16 old = ip16[7];  // source address bytes 2..3 (network order in memory)
    p[IP_OFF + 15] = b3;
    __u16 nw = ip16[7];
    // RFC 1624: HC' = ~(~HC + ~m + m')
    __u32 sum = (__u16)~ip16[5];
    sum += (__u16)~old;
    sum += nw;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    ip16[5] = (__u16)~sum;
  }
  __u16 *probe = (__u16 *)(p + PROBE_OFF);
  probe[0] = PROBE_MAGIC;
  probe[1] = (__u16)((trial_id << 8) | (bpf_get_smp_processor_id() & 0xff));
  *(__u32 *)(p + PROBE_OFF + 4) = (__u32)seq;
  *(__u64 *)(p + PROBE_OFF + 8) = now_ns;
  return bpf_redirect_map(&tx_port, 0, 0);
}

SEC("xdp") int pktgen_drop(struct xdp_md *ctx) { return XDP_DROP; }

// The relay between the generator and the device under test (ssr-pktgen relay): every frame
// that arrives is redirected out of the interface in `tx_port`. It turns what the AF_XDP
// generator sends (socket buffers, in copy mode) into XDP frames on the generator's CPU, so the
// device under test receives bulks of XDP frames, as from the live-frame generator or a NIC.
SEC("xdp") int pktgen_relay(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 0, 0); }

char _license[] SEC("license") = "GPL";
