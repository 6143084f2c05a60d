// SPDX-License-Identifier: Apache-2.0
// The RouterStats the HealthMonitor tests (health_test.cc, health_alloc_test.cc) sample: a router
// with a gateway (rx_packets, policy_drop), one interface, one peer with one path and one service;
// the tests move its counters.
#ifndef SSR_TEST_ROUTER_HEALTH_TEST_UTIL_H_
#define SSR_TEST_ROUTER_HEALTH_TEST_UTIL_H_

#include <string>

#include "router/health.h"

namespace ssr::router::testing {

// pipeline: rx_packets, policy_drop; interface wan0: kernel_rx_dropped, kernel_rx_ring_full; peer
// "dc" with the path `path` (up); the service `service`; room for 1000 sessions.
inline RouterStats HealthStats(const std::string& path, const std::string& service) {
  RouterStats s;
  s.session_capacity = 1000;
  s.pipeline = {{"rx_packets", 0, false}, {"policy_drop", 0, true}};
  InterfaceStats i;
  i.name = "wan0";
  i.counters = {{"kernel_rx_dropped", 0, true}, {"kernel_rx_ring_full", 0, true}};
  s.interfaces = {i};
  PeerStats p;
  p.name = "dc";
  PeerPathStats pp;
  pp.name = path;
  pp.up = true;
  p.paths = {pp};
  s.peers = {p};
  ServiceStats v;
  v.name = service;
  s.services = {v};
  return s;
}

}  // namespace ssr::router::testing

#endif  // SSR_TEST_ROUTER_HEALTH_TEST_UTIL_H_
