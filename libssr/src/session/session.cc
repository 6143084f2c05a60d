// SPDX-License-Identifier: Apache-2.0
#include "session/session.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "packet/protocol.h"
#include "session/flow_key.h"

namespace ssr::session {

std::string FlowKey::ToString() const {
  auto endpoint = [](const util::IpAddress& a, uint16_t port) {
    return a.is_v6() ? absl::StrCat("[", a.ToString(), "]:", port)
                     : absl::StrCat(a.ToString(), ":", port);
  };
  return absl::StrCat("side ", side, " vlan ", vlan, " proto ", protocol, " ",
                      endpoint(src, src_port), " -> ", endpoint(dst, dst_port));
}

std::string_view TcpStateName(TcpState s) {
  switch (s) {
    case TcpState::kNone:
      return "none";
    case TcpState::kSynSent:
      return "syn_sent";
    case TcpState::kSynReceived:
      return "syn_received";
    case TcpState::kEstablished:
      return "established";
    case TcpState::kFinWait:
      return "fin_wait";
    case TcpState::kClosing:
      return "closing";
    case TcpState::kClosed:
      return "closed";
  }
  return "invalid";
}

ProtocolClass ClassifyProtocol(uint8_t protocol, uint16_t src_port, uint16_t dst_port) {
  constexpr uint16_t kDnsPort = 53;
  switch (protocol) {
    case packet::kIpProtoTcp:
      return ProtocolClass::kTcp;
    case packet::kIpProtoUdp:
      return src_port == kDnsPort || dst_port == kDnsPort ? ProtocolClass::kUdpDns
                                                          : ProtocolClass::kUdp;
    case packet::kIpProtoIcmp:
    case packet::kIpProtoIcmpv6:
      return ProtocolClass::kIcmp;
    default:
      return ProtocolClass::kOther;
  }
}

}  // namespace ssr::session
