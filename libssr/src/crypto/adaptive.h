// SPDX-License-Identifier: Apache-2.0
// Adaptive encryption (§4.10, O-17): decide whether a session's payload is already encrypted by
// the endpoints, so the router does not encrypt it a second time.
//
// Pure functions over the first client packet's IP protocol, ports and L4 payload; no state, no
// allocation. The pipeline's ingress (Pipeline::AdaptiveDecide) calls ClassifyFirstPayload on a
// session's first packet, for TCP on each client data segment while it gets kUndecided, and then
// DecideAdaptive; docs/protocol.md §4.10 describes how the decision is signalled.
#ifndef SSR_CRYPTO_ADAPTIVE_H_
#define SSR_CRYPTO_ADAPTIVE_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace ssr::crypto {

enum class PayloadClass : uint8_t {
  kAlreadyEncrypted,  // ESP, IKE, NAT-T ESP/IKE, TLS ClientHello, DTLS ClientHello
  kNotEncrypted,      // anything else with payload bytes to judge
  kUndecided,         // not enough bytes yet (TCP without payload, a partial TLS record header)
};

// What was recognised; for counters and logs.
enum class PayloadKind : uint8_t {
  kEsp,        // IP protocol 50
  kNatTEsp,    // UDP 4500, non-zero SPI (RFC 3948)
  kNatTIke,    // UDP 4500, non-ESP marker (IKE of an IPsec-NAT session, RFC 3948 §2.2)
  kIke,        // UDP 500, an IKEv1 / IKEv2 header whose length is the datagram's (RFC 7296 §3.1)
  kTls,        // TLS ClientHello, record version 0x0301-0x0304
  kDtls,       // DTLS ClientHello, record version 0xfeff or 0xfefd
  kClear,      // none of the above
  kNoPayload,  // nothing to look at yet
  kPartial,    // a prefix that may still become a TLS/DTLS ClientHello
};

struct Classification {
  PayloadClass verdict;
  PayloadKind kind;
  friend bool operator==(const Classification&, const Classification&) = default;
};

struct AdaptiveOptions {
  // §4.10 says the product treats all UDP as clear; recognising DTLS is a libssr addition asked for
  // by the issue. Off restores the documented behaviour exactly (§7.63 for every UDP session).
  bool recognise_dtls = true;
};

// `ip_protocol`: 6 TCP, 17 UDP, 50 ESP, ...; ports in host order; `payload` = L4 payload.
Classification ClassifyFirstPayload(uint8_t ip_protocol, uint16_t src_port, uint16_t dst_port,
                                    std::span<const uint8_t> payload,
                                    const AdaptiveOptions& options = {}) noexcept;

enum class AdaptiveDecision : uint8_t {
  kEncrypt,       // install payload encryption now
  kDoNotEncrypt,  // leave the payload alone (already encrypted, or the policy does not encrypt)
  kDefer,         // TCP: no encryption yet, look again at the next client data (§4.10 DPI)
};

// encrypt = service policy's `encrypt`; adaptive = its `adaptive-encryption`.
AdaptiveDecision DecideAdaptive(bool encrypt, bool adaptive, Classification c) noexcept;

std::string_view PayloadKindName(PayloadKind k);

}  // namespace ssr::crypto

#endif  // SSR_CRYPTO_ADAPTIVE_H_
