// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the peer tests: a two-router config, prepared crypto, address parsing.
#ifndef SSR_TEST_PEER_PEER_TEST_UTIL_H_
#define SSR_TEST_PEER_PEER_TEST_UTIL_H_

#include <catch2/catch.hpp>

#include <memory>
#include <string_view>
#include <vector>

#include "config/model.h"
#include "crypto/key_store.h"
#include "crypto/packet_crypto.h"
#include "util/ip_address.h"

namespace ssr::peer::testing {

inline util::IpAddress Ip(std::string_view s) {
  const auto a = util::IpAddress::Parse(s);
  REQUIRE(a.has_value());
  return *a;
}

inline config::InterfaceAddress Addr(std::string_view s, int len) { return {Ip(s), len}; }

// A configured peer path over interface `itf` to `address` (named "<itf name>:<address>").
inline config::PeerPathConfig PathTo(size_t itf, std::string_view itf_name,
                                     std::string_view address) {
  config::PeerPathConfig p;
  p.interface = itf;
  p.address = Ip(address);
  p.name = std::string(itf_name) + ":" + std::string(address);
  return p;
}

// Router 0 "west": WAN wan0 = 198.51.100.1/24, 2001:db8:1::1/64; WAN wan1 = 192.0.2.1/24.
// Router 1 "east": WAN wan0 = 203.0.113.1/24, 2001:db8:2::1/64.
// Each has the other as its only peer, with three paths:
//   west: 0 = wan0 198.51.100.1 -> 203.0.113.1, 1 = wan1 192.0.2.1 -> 203.0.113.1, 2 = wan0 v6
//   east: 0 = 203.0.113.1 -> 198.51.100.1, 1 = 203.0.113.1 -> 192.0.2.1, 2 = v6
inline config::Config TwoRouters() {
  config::Config c;
  c.organization = "test";
  config::Router west;
  west.name = "west";
  config::Interface lan;
  lan.name = "lan0";
  lan.addresses = {Addr("10.1.1.1", 24)};
  config::Interface wan;
  wan.name = "wan0";
  wan.role = config::InterfaceRole::kWan;
  wan.addresses = {Addr("198.51.100.1", 24), Addr("2001:db8:1::1", 64)};
  config::Interface wan1 = wan;
  wan1.name = "wan1";
  wan1.addresses = {Addr("192.0.2.1", 24)};
  west.interfaces = {lan, wan, wan1};
  config::Peer to_east;
  to_east.name = "to-east";
  to_east.router = 1;
  to_east.interface = 1;
  to_east.addresses = {Ip("203.0.113.1"), Ip("203.0.113.1"), Ip("2001:db8:2::1")};
  to_east.paths = {PathTo(1, "wan0", "203.0.113.1"), PathTo(2, "wan1", "203.0.113.1"),
                   PathTo(1, "wan0", "2001:db8:2::1")};
  west.peers = {to_east};

  config::Router east;
  east.name = "east";
  wan.addresses = {Addr("203.0.113.1", 24), Addr("2001:db8:2::1", 64)};
  east.interfaces = {wan};
  config::Peer to_west;
  to_west.name = "to-west";
  to_west.router = 0;
  to_west.interface = 0;
  to_west.addresses = {Ip("198.51.100.1"), Ip("192.0.2.1"), Ip("2001:db8:1::1")};
  to_west.paths = {PathTo(0, "wan0", "198.51.100.1"), PathTo(0, "wan0", "192.0.2.1"),
                   PathTo(0, "wan0", "2001:db8:1::1")};
  east.peers = {to_west};
  c.routers = {west, east};
  c.BuildIndexes();
  return c;
}

// PacketCrypto for an HMAC suite (no cipher) or a GCM-only policy, key bytes all `fill`.
inline std::unique_ptr<crypto::PacketCrypto> MakeCrypto(crypto::HmacSuite hmac,
                                                        crypto::CipherSuite cipher,
                                                        uint8_t fill = 0x0b,
                                                        crypto::HmacMode mode =
                                                            crypto::HmacMode::kTimeBased) {
  crypto::SecurityPolicy policy;
  policy.hmac = hmac;
  policy.cipher = cipher;
  policy.hmac_mode = mode;
  crypto::KeyMaterial m;
  if (hmac != crypto::HmacSuite::kNone) m.hmac_key.assign(32, fill);
  if (cipher != crypto::CipherSuite::kNone) m.cipher_key.assign(crypto::CipherKeySize(cipher), fill);
  const crypto::KeySnapshot keys(
      1, {crypto::KeyEntry{7, crypto::KeyRole::kCurrent, crypto::kForever, m}});
  auto pc = crypto::PacketCrypto::Create(policy, keys);
  INFO(pc.status().ToString());
  REQUIRE(pc.ok());
  return std::move(pc).value();
}

}  // namespace ssr::peer::testing

#endif  // SSR_TEST_PEER_PEER_TEST_UTIL_H_
