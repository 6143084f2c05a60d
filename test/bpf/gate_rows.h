// SPDX-License-Identifier: Apache-2.0
// The XDP gate's fixture table: {description, router, interface, input frame, expected action,
// expected reason}. Shared by the BPF test (which checks action, counter and unchanged output)
// and by bench/bpf (which reports ns/packet per row). Built from the default config's addresses:
//   branch:     lan0 10.10.0.1/16 (engineering 10.10.1.0/24, contractors 10.10.1.128/25,
//               sales 10.10.2.0/24, guest 10.10.9.0/24), wan0 192.0.2.1, peer 192.0.2.2
//   datacenter: lan0 10.20.0.1/16 (crm .1.10 tcp/443, erp .1.20 tcp/443,8443, mail .1.30,
//               voice 10.20.2.0/24 udp/5060,10000-20000, web .3.10 tcp/80,443 udp/7 icmp),
//               wan0 192.0.2.2, peer 192.0.2.1
#ifndef SSR_TEST_BPF_GATE_ROWS_H_
#define SSR_TEST_BPF_GATE_ROWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ssr/bpf_shared.h"

namespace ssr::gate::test {

struct GateRow {
  std::string description;
  std::string router;     // "branch" or "datacenter"
  std::string interface;  // "lan0", "wan0" or "lan0p" (not in the gate's map)
  std::vector<uint8_t> frame;
  uint32_t action = 0;  // XDP_* with AF_XDP sockets on the receive queues
  ssr_gate_reason reason = SSR_GATE_REASON_COUNT;
};

std::vector<GateRow> GateRows();

}  // namespace ssr::gate::test

#endif  // SSR_TEST_BPF_GATE_ROWS_H_
