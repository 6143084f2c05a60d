// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// XDP_PASS: the netns tests attach it to a probe veth to find out whether XDP (native and skb
// mode) works here before they start ssr-router, so that a missing kernel feature is a skip.
#include <linux/bpf.h>

__attribute__((section("xdp"), used)) int ssr_test_xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

__attribute__((section("license"), used)) char _license[] = "Dual BSD/GPL";
