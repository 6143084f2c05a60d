// SPDX-License-Identifier: Apache-2.0
// Shared by the burst crypto tests (burst_crypto_test.cc, burst_open_test.cc, burst_alloc_test.cc):
// the default config with the voice service's payload encrypted, its keys, the two kinds of flow
// (payload-encrypted voice, HMAC-only web) and the mixed traffic both burst tests send.
#ifndef SSR_TEST_PIPELINE_BURST_TEST_UTIL_H_
#define SSR_TEST_PIPELINE_BURST_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "io/port.h"
#include "pipeline_rig.h"

namespace ssr::pipeline::testing {

// The default config with the voice service's payload encrypted (payload-aes); web (UDP 7) stays
// HMAC-only.
inline std::shared_ptr<const config::Config> PayloadAesConfig() {
  const std::string text = Replace(
      std::string(config::DefaultConfigText()),
      "transports { protocol: UDP ports { start: 5060 } ports { start: 10000 end: 20000 } }\n"
      "  access_policies { tenant: \"sales\" }\n",
      "transports { protocol: UDP ports { start: 5060 } ports { start: 10000 end: 20000 } }\n"
      "  access_policies { tenant: \"sales\" }\n  security_policy: \"payload-aes\"\n");
  REQUIRE(text != config::DefaultConfigText());
  return LoadConfig(text);
}

// The material of the key called `name` in `cfg`.
inline std::span<const uint8_t> KeyBytes(const config::Config& cfg, std::string_view name) {
  for (const config::Key& k : cfg.keys) {
    if (k.name == name) return k.material.bytes();
  }
  FAIL("no key " << name);
  return {};
}

// A voice packet (payload-encrypted under PayloadAesConfig) or, with !encrypted, a web packet
// (UDP 7: hop HMAC only), with `len` payload bytes of `fill`.
inline packet::PacketSpec Flow(bool encrypted, uint16_t sport, uint8_t fill, size_t len) {
  packet::PacketSpec s = VoiceSpec(sport, Keep(Bytes(len, fill)));
  if (!encrypted) {
    s.dst = Ip("10.20.3.10");  // web, UDP 7: hop HMAC only
    s.dst_port = 7;
  }
  return s;
}

// The mixed traffic: kEncrypted + kPlain established sessions (source ports 3000...), kNew first
// packets (source ports 4000...).
inline constexpr int kEncrypted = 12;
inline constexpr int kPlain = 8;
inline constexpr int kNew = 4;

// Round 1: opens the kEncrypted + kPlain sessions both ways (metadata handshake done). The rig
// needs the servers 10.20.2.5 and 10.20.3.10.
inline void OpenSessions(Rig& rig) {
  for (int i = 0; i < kEncrypted + kPlain; ++i) {
    const packet::PacketSpec s = Flow(i < kEncrypted, static_cast<uint16_t>(3000 + i), 1, 64);
    rig.FromClient(rig.ClientFrame(s));
    rig.Step();
    rig.FromServer(rig.ServerFrame(Reversed(s)));
    rig.Step();
  }
}

// Round 2: one mixed burst of established encrypted and HMAC-only packets (3 of each session) with
// the first packets of kNew new sessions in the middle of it.
inline std::vector<packet::PacketSpec> MixedBurst() {
  std::vector<packet::PacketSpec> sent;
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < kEncrypted + kPlain; ++i) {
      // Encrypted and HMAC-only sessions interleaved: 7 is prime to 20, so every flow once.
      const int flow = (i * 7 + k) % (kEncrypted + kPlain);
      // Sizes around every padding case, up to a full 1400-byte payload.
      const size_t len = 1400 - static_cast<size_t>((i * 37 + k * 5) % 300);
      sent.push_back(Flow(flow < kEncrypted, static_cast<uint16_t>(3000 + flow),
                          static_cast<uint8_t>(i + k), len));
    }
    if (k == 1) {
      for (int n = 0; n < kNew; ++n) {  // first packets in the middle of the burst
        sent.push_back(Flow(n % 2 == 0, static_cast<uint16_t>(4000 + n), 0x77, 200));
      }
    }
  }
  REQUIRE(sent.size() <= io::kMaxBurst);
  return sent;
}

}  // namespace ssr::pipeline::testing

#endif  // SSR_TEST_PIPELINE_BURST_TEST_UTIL_H_
