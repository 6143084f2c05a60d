// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the session tests: key builders and small-table factories.
#ifndef SSR_TEST_SESSION_SESSION_TEST_UTIL_H_
#define SSR_TEST_SESSION_SESSION_TEST_UTIL_H_

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "packet/protocol.h"
#include "session/flow_key.h"
#include "session/session_table.h"
#include "util/ip_address.h"

namespace ssr::session::testing {

inline constexpr uint16_t kLanSide = 1;
inline constexpr uint16_t kWanSide = 2;

inline util::IpAddress Ip(std::string_view text) {
  auto a = util::IpAddress::Parse(text);
  REQUIRE(a.has_value());
  return *a;
}

inline FlowKey Key(std::string_view src, uint16_t src_port, std::string_view dst, uint16_t dst_port,
                   uint8_t protocol = packet::kIpProtoTcp, uint16_t side = kLanSide,
                   uint16_t vlan = 0) {
  FlowKey k;
  k.src = Ip(src);
  k.dst = Ip(dst);
  k.src_port = src_port;
  k.dst_port = dst_port;
  k.protocol = protocol;
  k.side = side;
  k.vlan = vlan;
  return k;
}

// A distinct IPv4 client key per n (10.x.y.z:port -> 8.8.8.8:443).
inline FlowKey ClientKey(uint32_t n, uint8_t protocol = packet::kIpProtoTcp) {
  FlowKey k;
  k.src = util::IpAddress::V4(0x0a000000u | (n & 0x00ffffffu));
  k.dst = util::IpAddress::V4(0x08080808u);
  k.src_port = static_cast<uint16_t>(1024 + (n >> 24));
  k.dst_port = 443;
  k.protocol = protocol;
  k.side = kLanSide;
  return k;
}

// Outer (waypoint) reverse key for session n: peer 203.0.113.20 -> us 198.51.100.10.
inline FlowKey OuterReverseKey(uint32_t n, uint8_t protocol = packet::kIpProtoTcp) {
  FlowKey k;
  k.src = util::IpAddress::V4(0xcb007114u);  // 203.0.113.20
  k.dst = util::IpAddress::V4(0xc633640au);  // 198.51.100.10
  k.src_port = static_cast<uint16_t>(16385 + 2 * (n % 24575));
  k.dst_port = static_cast<uint16_t>(16384 + 2 * ((n / 24575) % 24576));
  k.protocol = protocol;
  k.side = kWanSide;
  return k;
}

inline SessionInit Init(uint32_t n, uint8_t protocol = packet::kIpProtoTcp) {
  SessionInit init;
  init.forward = ClientKey(n, protocol);
  init.reverse = OuterReverseKey(n, protocol == packet::kIpProtoTcp ? packet::kIpProtoTcp
                                                                     : packet::kIpProtoUdp);
  init.tenant = n;
  return init;
}

inline std::unique_ptr<SessionTable> MakeTable(uint32_t max_sessions,
                                               uint64_t quarantine_ms = 0) {
  SessionTableOptions options;
  options.max_sessions = max_sessions;
  options.quarantine_ms = quarantine_ms;
  auto table = SessionTable::Create(options);
  REQUIRE(table.ok());
  return std::move(table).value();
}

inline constexpr uint64_t Seconds(uint64_t s) { return s * 1000; }

// Records removal callbacks.
struct Removals {
  std::vector<uint32_t> tenants;
  std::vector<RemovalReason> reasons;
  static void Record(void* context, const Session& s, RemovalReason reason) {
    auto* self = static_cast<Removals*>(context);
    self->tenants.push_back(s.tenant);
    self->reasons.push_back(reason);
  }
};

}  // namespace ssr::session::testing

#endif  // SSR_TEST_SESSION_SESSION_TEST_UTIL_H_
