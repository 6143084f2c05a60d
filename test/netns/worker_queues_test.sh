#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every RX queue is served when interfaces have more queues than the router has workers
# (docs/architecture.md "Workers and queues", docs/protocol.md §2.10.2): flow_steering_test.sh
# with WORKERS workers on QUEUES-queue veths (e.g. 1 worker on 2 queues, 2 workers on 4): the
# 64 TCP transfers, 64 UDP echo flows (their senders' TX queues, hence the routers' RX queues,
# differ) and the long TCP stream all complete, and packets did arrive on queues >= WORKERS.
#   worker_queues_test.sh SSR_ROUTER XDP_PASS_OBJ WORKERS QUEUES
[ $# -ge 4 ] || { echo "usage: $0 SSR_ROUTER XDP_PASS_OBJ WORKERS QUEUES" >&2; exit 2; }
SSR_TEST_VETH_QUEUES="$4" exec bash "$(dirname "$0")/flow_steering_test.sh" "$1" "$2" "$3"
