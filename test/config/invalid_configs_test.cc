// SPDX-License-Identifier: Apache-2.0
// Table-driven validation tests: a small valid base config, and rows that each change it in one
// way and list the exact errors Validate() must report (ConfigError::ToString(), all of them, in
// order) and the status code ErrorsToStatus() must pick. Expected messages were written from the
// proto's field documentation and the issue ("name the field path and the value"), not copied
// from the validator's output; a second table holds edge cases that must load.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "config/loader.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "ssr/config/v1/config.pb.h"

namespace ssr::config {
namespace {

using v1::Config;

// Two routers joined over one WAN subnet; one service behind r2, reached from r1 through the peer;
// a tenant with a nested child (nested prefixes of an ancestor are allowed).
//   routers[0] r1: interfaces[0] lan0 (VLAN 10), [1] wan0; peers[0] r2; service_routes[0] → r2
//   routers[1] r2: interfaces[0] lan0, [1] wan0; peers[0] r1; service_routes[0] local via gateway
//   tenants[0] eng 10.1.1.0/24, tenants[1] lab.eng 10.1.1.128/25 (both on r1 lan0)
//   services[0] web 10.2.3.0/24 TCP 443, allows eng
//   security_policies[0] hop; keys[0] hmac-key (16 bytes), keys[1] aes-key (32 bytes)
constexpr char kBase[] = R"pb(
  routers {
    name: "r1"
    interfaces { name: "lan0" role: LAN addresses: "10.1.0.1/16" vlans: 10 }
    interfaces { name: "wan0" role: WAN addresses: "192.0.2.1/24" security_policy: "hop" }
    peers { name: "r2" addresses: "192.0.2.2" interface: "wan0" security_policy: "hop" }
    service_routes { name: "web-via-r2" service: "web" peer: "r2" }
  }
  routers {
    name: "r2"
    interfaces { name: "lan0" role: LAN addresses: "10.2.0.1/16" }
    interfaces { name: "wan0" role: WAN addresses: "192.0.2.2/24" security_policy: "hop" }
    peers { name: "r1" addresses: "192.0.2.1" interface: "wan0" security_policy: "hop" }
    service_routes {
      name: "web-local"
      service: "web"
      next_hop { interface: "lan0" gateway: "10.2.0.254" }
    }
  }
  tenants {
    name: "eng"
    members { router: "r1" interface: "lan0" prefixes: "10.1.1.0/24" }
  }
  tenants {
    name: "lab.eng"
    members { router: "r1" interface: "lan0" prefixes: "10.1.1.128/25" }
  }
  services {
    name: "web"
    prefixes: "10.2.3.0/24"
    transports {
      protocol: TCP
      ports { start: 443 }
    }
    access_policies { tenant: "eng" }
  }
  security_policies { name: "hop" hmac_keys: "hmac-key" encryption_keys: "aes-key" }
  keys { name: "hmac-key" id: 1 hex: "00112233445566778899aabbccddeeff" }
  keys {
    name: "aes-key"
    id: 2
    hex: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
  }
)pb";

const std::string kTestdata = SSR_CONFIG_TESTDATA;

using Edit = std::function<void(Config&)>;

// Merges text-format fields into a message: repeated fields are appended, singular ones replaced.
template <typename Message>
void Merge(Message* message, const char* text) {
  google::protobuf::TextFormat::Parser parser;
  if (!parser.MergeFromString(text, message)) FAIL("bad test snippet: " << text);
}

Config Base() {
  absl::StatusOr<Config> proto = ParseConfig(kBase, ConfigFormat::kText);
  REQUIRE(proto.ok());
  return *proto;
}

struct Outcome {
  std::vector<std::string> errors;
  absl::StatusCode code = absl::StatusCode::kOk;
  bool has_config = false;
};

Outcome Run(const Edit& edit, bool via_json) {
  Config proto = Base();
  edit(proto);
  if (via_json) {
    // The edited proto goes through JSON text (unknown enum numbers are written as numbers, e.g.
    // "role":7) and back, so these rows test what a JSON file with such values produces.
    std::string json;
    REQUIRE(google::protobuf::util::MessageToJsonString(proto, &json).ok());
    absl::StatusOr<Config> parsed = ParseConfig(json, ConfigFormat::kJson);
    INFO(json);
    REQUIRE(parsed.ok());
    proto = *parsed;
  }
  LoadOptions options;
  options.base_dir = kTestdata;
  ValidationResult result = Validate(proto, options);
  Outcome out;
  for (const ConfigError& e : result.errors) out.errors.push_back(e.ToString());
  out.code = ErrorsToStatus(result.errors).code();
  out.has_config = result.config != nullptr;
  return out;
}

struct Row {
  const char* name;
  Edit edit;
  std::vector<std::string> errors;
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  // Rows for numeric enum values go through JSON, as a user would write them there.
  bool via_json = false;
  // Text that must not appear in any message (key material).
  const char* secret = nullptr;
};

std::string Missing(const std::string& file) {
  return absl::StrCat("\"", file, "\" cannot be read: ", kTestdata, "/", file,
                      ": No such file or directory");
}

constexpr char kNameRule[] =
    " is not a valid name (1-63 characters from [a-z0-9_-], starting with a letter or digit)";
constexpr char kDottedRule[] =
    " is not a valid name (labels of 1-63 characters from [a-z0-9_-] joined by '.', at most 255 "
    "characters)";
constexpr char kPrefixExample[] =
    " is not a valid prefix (expected address/length, e.g. \"10.1.0.0/16\" or \"2001:db8::/32\")";
constexpr char kSecretHex[] = "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e7x";
constexpr char kOddHex[] = "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e71";

std::vector<Row> InvalidRows() {
  using absl::StatusCode;
  auto r1 = [](Config& c) { return c.mutable_routers(0); };
  auto r2 = [](Config& c) { return c.mutable_routers(1); };
  auto peer = [](Config& c) { return c.mutable_routers(0)->mutable_peers(0); };
  auto hop = [](Config& c) { return c.mutable_security_policies(0); };
  auto web = [](Config& c) { return c.mutable_services(0); };
  auto next_hop = [](Config& c) {
    return c.mutable_routers(1)->mutable_service_routes(0)->mutable_next_hop();
  };
  return {
      // ---- names ------------------------------------------------------------------------------
      {"router name with an underscore-led invalid label",
       [](Config& c) { Merge(&c, R"pb(routers { name: "Edge_1" })pb"); },
       {absl::StrCat("routers[2].name: \"Edge_1\"", kNameRule)}},
      {"router name longer than 63 characters",
       [](Config& c) { c.add_routers()->set_name(std::string(64, 'a')); },
       {absl::StrCat("routers[2].name: \"", std::string(64, 'a'), "\"", kNameRule)}},
      {"duplicate router name",
       [](Config& c) { Merge(&c, R"pb(routers { name: "r1" })pb"); },
       {"routers[2].name: \"r1\" is already used by routers[0]"},
       StatusCode::kAlreadyExists},
      {"two routers without a name are each reported once, not as duplicates",
       [](Config& c) { Merge(&c, R"pb(routers {}
                                      routers {})pb"); },
       {absl::StrCat("routers[2].name: \"\"", kNameRule),
        absl::StrCat("routers[3].name: \"\"", kNameRule)}},
      {"tenant name with an empty label",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "eng..x"
                          members { prefixes: "10.9.0.0/16" }
                        })pb");
       },
       {absl::StrCat("tenants[2].name: \"eng..x\"", kDottedRule)}},
      {"duplicate tenant name",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "eng"
                          members { router: "r2" prefixes: "10.2.9.0/24" }
                        })pb");
       },
       {"tenants[2].name: \"eng\" is already used by tenants[0]"},
       StatusCode::kAlreadyExists},
      {"service name with an upper-case letter",
       [](Config& c) { Merge(&c, R"pb(services { name: "Web" prefixes: "10.2.4.0/24" })pb"); },
       {absl::StrCat("services[1].name: \"Web\"", kDottedRule)}},
      {"duplicate service name",
       [](Config& c) { Merge(&c, R"pb(services { name: "web" prefixes: "10.2.4.0/24" })pb"); },
       {"services[1].name: \"web\" is already used by services[0]"},
       StatusCode::kAlreadyExists},
      {"security policy name with a dot (policies have plain names)",
       [](Config& c) {
         Merge(
             &c,
             R"pb(security_policies { name: "hop.v2" hmac: "none" encryption_cipher: "none" })pb");
       },
       {absl::StrCat("security_policies[1].name: \"hop.v2\"", kNameRule)}},
      {"duplicate security policy name",
       [](Config& c) {
         Merge(&c,
               R"pb(security_policies { name: "hop" hmac: "none" encryption_cipher: "none" })pb");
       },
       {"security_policies[1].name: \"hop\" is already used by security_policies[0]"},
       StatusCode::kAlreadyExists},
      {"key without a name",
       [](Config& c) {
         Merge(&c, R"pb(keys { id: 3 hex: "00112233445566778899aabbccddeeff" })pb");
       },
       {absl::StrCat("keys[2].name: \"\"", kNameRule)}},
      {"duplicate key name",
       [](Config& c) {
         Merge(&c, R"pb(keys { name: "aes-key" id: 3 hex: "00112233445566778899aabbccddeeff" })pb");
       },
       {"keys[2].name: \"aes-key\" is already used by keys[1]"},
       StatusCode::kAlreadyExists},
      {"a name with a control character is shown escaped on one line",
       [](Config& c) { c.add_routers()->set_name("edge\n1"); },
       {absl::StrCat("routers[2].name: \"edge\\n1\"", kNameRule)}},

      // ---- interfaces ---------------------------------------------------------------------------
      {"interface name of 16 characters",
       [r1](Config& c) {
         Merge(r1(c), R"pb(interfaces { name: "lan-interface-01" role: LAN })pb");
       },
       {"routers[0].interfaces[2].name: \"lan-interface-01\" is not a valid interface name "
        "(1-15 characters, no '/', ':' or whitespace)"}},
      {"interface name with a slash",
       [r1](Config& c) { Merge(r1(c), R"pb(interfaces { name: "eth0/1" role: LAN })pb"); },
       {"routers[0].interfaces[2].name: \"eth0/1\" is not a valid interface name "
        "(1-15 characters, no '/', ':' or whitespace)"}},
      {"duplicate interface name in one router",
       [r1](Config& c) {
         Merge(r1(c), R"pb(interfaces { name: "lan0" role: LAN addresses: "10.3.0.1/16" })pb");
       },
       {"routers[0].interfaces[2].name: \"lan0\" is already used by another interface of router "
        "\"r1\""},
       StatusCode::kAlreadyExists},
      {"interface role missing: reported once, without follow-on peer errors",
       [r2](Config& c) { r2(c)->mutable_interfaces(1)->clear_role(); },
       {"routers[1].interfaces[1].role: is required (LAN or WAN)"}},
      {"interface address with a length beyond 32",
       [r1](Config& c) { r1(c)->mutable_interfaces(0)->set_addresses(0, "10.1.0.1/40"); },
       {"routers[0].interfaces[0].addresses[0]: \"10.1.0.1/40\" is not a valid interface address "
        "(expected address/length, e.g. \"10.1.1.1/24\")"}},
      {"interface address without a length",
       [r1](Config& c) { r1(c)->mutable_interfaces(0)->add_addresses("10.1.0.2"); },
       {"routers[0].interfaces[0].addresses[1]: \"10.1.0.2\" is not a valid interface address "
        "(expected address/length, e.g. \"10.1.1.1/24\")"}},
      {"interface subnets of one router overlap",
       [r1](Config& c) {
         Merge(r1(c), R"pb(interfaces { name: "lan1" role: LAN addresses: "10.1.5.1/24" })pb");
       },
       {"routers[0].interfaces[2].addresses[0]: \"10.1.5.1/24\" overlaps \"10.1.0.1/16\" of "
        "interface \"lan0\""}},
      {"VLAN ids 0 and 4095",
       [r1](Config& c) {
         r1(c)->mutable_interfaces(0)->add_vlans(0);
         r1(c)->mutable_interfaces(0)->add_vlans(4095);
       },
       {"routers[0].interfaces[0].vlans[1]: 0 is not a valid VLAN id (1-4094)",
        "routers[0].interfaces[0].vlans[2]: 4095 is not a valid VLAN id (1-4094)"}},
      {"VLAN listed twice on an interface",
       [r1](Config& c) { r1(c)->mutable_interfaces(0)->add_vlans(10); },
       {"routers[0].interfaces[0].vlans[1]: VLAN 10 is listed twice"},
       StatusCode::kAlreadyExists},
      {"WAN VLAN id 4095",
       [r1](Config& c) { r1(c)->mutable_interfaces(1)->set_vlan(4095); },
       {"routers[0].interfaces[1].vlan: 4095 is not a valid VLAN id (0 for untagged, or 1-4094)"}},
      {"vlan on a LAN interface",
       [r1](Config& c) { r1(c)->mutable_interfaces(0)->set_vlan(10); },
       {"routers[0].interfaces[0].vlan: 10 is not allowed on a LAN interface (list LAN VLANs in "
        "`vlans`)"}},
      {"vlans on a WAN interface",
       [r1](Config& c) { r1(c)->mutable_interfaces(1)->add_vlans(20); },
       {"routers[0].interfaces[1].vlans: is not allowed on a WAN interface (a WAN link is one "
        "VLAN: set `vlan`)"}},
      {"WAN interface without an address",
       [r1](Config& c) {
         Merge(r1(c), R"pb(interfaces { name: "wan1" role: WAN security_policy: "hop" })pb");
       },
       {"routers[0].interfaces[2].addresses: a WAN interface needs at least one address"}},
      {"WAN interface without a security policy",
       [r1](Config& c) {
         Merge(r1(c), R"pb(interfaces { name: "wan1" role: WAN addresses: "198.51.100.1/24" })pb");
       },
       {"routers[0].interfaces[2].security_policy: is required on a WAN interface"}},
      {"WAN interface naming an unknown security policy",
       [r1](Config& c) { r1(c)->mutable_interfaces(1)->set_security_policy("nope"); },
       {"routers[0].interfaces[1].security_policy: \"nope\" is not a defined security policy"}},
      {"LAN interface with a security policy",
       [r1](Config& c) { r1(c)->mutable_interfaces(0)->set_security_policy("hop"); },
       {"routers[0].interfaces[0].security_policy: \"hop\" is not allowed on a LAN interface "
        "(only WAN interfaces receive SVR traffic)"}},
      {"MTU below 1280 and above 9000",
       [r1](Config& c) {
         r1(c)->mutable_interfaces(0)->set_mtu(1279);
         r1(c)->mutable_interfaces(1)->set_mtu(9001);
       },
       {"routers[0].interfaces[0].mtu: 1279 is out of range (1280-9000)",
        "routers[0].interfaces[1].mtu: 9001 is out of range (1280-9000)"}},
      {"management address that is not an address",
       [r1](Config& c) { r1(c)->add_management_addresses("10.0.0.300"); },
       {"routers[0].management_addresses[0]: \"10.0.0.300\" is not a valid IP address"}},

      // ---- peers ------------------------------------------------------------------------------
      {"peer naming an unknown router",
       [r1](Config& c) {
         Merge(r1(c), R"pb(peers {
                             name: "r9"
                             addresses: "192.0.2.9"
                             interface: "wan0"
                             security_policy: "hop"
                           })pb");
       },
       {"routers[0].peers[1].name: \"r9\" is not a defined router"}},
      {"router listing itself as a peer",
       [r1](Config& c) {
         Merge(r1(c), R"pb(peers {
                             name: "r1"
                             addresses: "192.0.2.1"
                             interface: "wan0"
                             security_policy: "hop"
                           })pb");
       },
       {"routers[0].peers[1].name: router \"r1\" cannot be a peer of itself"}},
      {"same peer listed twice",
       [r1](Config& c) { *r1(c)->add_peers() = r1(c)->peers(0); },
       {"routers[0].peers[1].name: \"r2\" is already a peer of router \"r1\""},
       StatusCode::kAlreadyExists},
      {"peer without addresses",
       [peer](Config& c) { peer(c)->clear_addresses(); },
       {"routers[0].peers[0].addresses: at least one peer address is required (or give paths)"}},
      {"peer address that is not an address",
       [peer](Config& c) { peer(c)->set_addresses(0, "192.0.2.256"); },
       {"routers[0].peers[0].addresses[0]: \"192.0.2.256\" is not a valid IP address"}},
      {"peer address that is a LAN address of the peer router",
       [peer](Config& c) { peer(c)->set_addresses(0, "10.2.0.1"); },
       {"routers[0].peers[0].addresses[0]: \"10.2.0.1\" is not an address of a WAN interface of "
        "router \"r2\""}},
      {"peer without an interface",
       [peer](Config& c) { peer(c)->clear_interface(); },
       {"routers[0].peers[0].interface: is required (the WAN interface that reaches the peer), "
        "unless paths are given"}},
      {"peer over an unknown interface",
       [peer](Config& c) { peer(c)->set_interface("wan9"); },
       {"routers[0].peers[0].interface: \"wan9\" is not an interface of router \"r1\""}},
      {"peer over a LAN interface",
       [peer](Config& c) { peer(c)->set_interface("lan0"); },
       {"routers[0].peers[0].interface: \"lan0\" is a LAN interface; peers are reached over a WAN "
        "interface"}},
      // ---- peer paths and liveness (docs/protocol.md §5.8) ------------------------------------
      {"peer with both paths and interface/addresses",
       [peer](Config& c) { Merge(peer(c), R"pb(paths { interface: "wan0" address: "192.0.2.2" })pb"); },
       {"routers[0].peers[0].paths: give either paths, or interface and addresses, not both"}},
      {"peer path without interface and address",
       [peer](Config& c) {
         peer(c)->clear_addresses();
         peer(c)->clear_interface();
         peer(c)->add_paths();
       },
       {"routers[0].peers[0].paths[0].interface: is required (the WAN interface of this path)",
        "routers[0].peers[0].paths[0].address: is required (the peer's waypoint address on this "
        "path)"}},
      {"peer path to a LAN address of the peer, over a LAN interface, badly named and costed",
       [peer](Config& c) {
         peer(c)->clear_addresses();
         peer(c)->clear_interface();
         Merge(peer(c), R"pb(paths { name: "_a" interface: "lan0" address: "10.2.0.1" cost: 70000 })pb");
       },
       {"routers[0].peers[0].paths[0].interface: \"lan0\" is a LAN interface; peers are reached "
        "over a WAN interface",
        "routers[0].peers[0].paths[0].address: \"10.2.0.1\" is not an address of a WAN interface "
        "of router \"r2\"",
        std::string("routers[0].peers[0].paths[0].name: \"_a\"") + kNameRule,
        "routers[0].peers[0].paths[0].cost: 70000 is out of range (0-65535)"}},
      {"the same peer path twice, and a name used twice",
       [peer](Config& c) {
         peer(c)->clear_addresses();
         peer(c)->clear_interface();
         Merge(c.mutable_routers(1)->mutable_interfaces(1), R"pb(addresses: "198.51.100.2/24")pb");
         Merge(peer(c), R"pb(paths { interface: "wan0" address: "192.0.2.2" name: "b" }
                             paths { interface: "wan0" address: "192.0.2.2" }
                             paths { interface: "wan0" address: "198.51.100.2" name: "b" })pb");
       },
       {"routers[0].peers[0].paths[1]: interface \"wan0\" and address \"192.0.2.2\" are already "
        "path \"b\" of peer \"r2\"",
        "routers[0].peers[0].paths[2].name: \"b\" is already a path of peer \"r2\""},
       StatusCode::kAlreadyExists},
      {"peer path whose family the interface lacks, and one over the interface's mtu",
       [peer](Config& c) {
         peer(c)->clear_addresses();
         peer(c)->clear_interface();
         Merge(c.mutable_routers(1)->mutable_interfaces(1), R"pb(addresses: "2001:db8::2/64")pb");
         Merge(peer(c), R"pb(paths { interface: "wan0" address: "2001:db8::2" }
                             paths { interface: "wan0" address: "192.0.2.2" path_mtu: 9000 })pb");
       },
       {"routers[0].peers[0].paths[0].address: \"2001:db8::2\": interface \"wan0\" has no "
        "address of the IPv6 family",
        "routers[0].peers[0].paths[1].path_mtu: 9000 is above the mtu 1500 of interface \"wan0\""}},
      {"peer paths over interfaces with different receive policies",
       [peer, r1](Config& c) {
         peer(c)->clear_addresses();
         peer(c)->clear_interface();
         Merge(r1(c), R"pb(interfaces {
                             name: "wan1"
                             role: WAN
                             addresses: "198.51.100.1/24"
                             security_policy: "hop2"
                           })pb");
         Merge(&c, R"pb(security_policies {
                          name: "hop2"
                          hmac_keys: "hmac-key"
                          encryption_keys: "aes-key"
                        })pb");
         Merge(c.mutable_routers(1)->mutable_interfaces(1), R"pb(addresses: "198.51.100.2/24")pb");
         Merge(peer(c), R"pb(paths { interface: "wan0" address: "192.0.2.2" }
                             paths { interface: "wan1" address: "198.51.100.2" })pb");
       },
       {"routers[0].peers[0].paths[1]: interface \"wan1\" checks received packets with another "
        "security policy than interface \"wan0\" (the first path's); a peer's paths must agree"}},
      {"peer liveness out of range",
       [peer](Config& c) {
         Merge(peer(c), R"pb(liveness {
                               bfd_interval_ms: 10
                               bfd_multiplier: 2
                               hold_down_ms: 400000
                               link_test_interval_ms: 999
                               link_test_count: 256
                             })pb");
       },
       {"routers[0].peers[0].liveness.bfd_interval_ms: 10 is out of range (50-600000)",
        "routers[0].peers[0].liveness.bfd_multiplier: 2 is out of range (3-20)",
        "routers[0].peers[0].liveness.hold_down_ms: 400000 is out of range (1-300000)",
        "routers[0].peers[0].liveness.link_test_interval_ms: 999 is out of range (1000-86400000)",
        "routers[0].peers[0].liveness.link_test_count: 256 is out of range (1-255)"}},
      {"service policy SLA bounds out of range",
       [](Config& c) {
         Merge(&c, R"pb(service_policies {
                          name: "voice"
                          max_latency_ms: 0
                          max_jitter_ms: 60001
                          max_loss_percent: 101
                          min_mos: 0.5
                          revert_hold_down_seconds: 3601
                        })pb");
       },
       {"service_policies[0].max_latency_ms: 0 is out of range (1-60000)",
        "service_policies[0].max_jitter_ms: 60001 is out of range (1-60000)",
        "service_policies[0].max_loss_percent: 101 is out of range (0-100)",
        "service_policies[0].min_mos: 0.5 is out of range (1.0-5.0)",
        "service_policies[0].revert_hold_down_seconds: 3601 is out of range (1-3600)"}},
      {"strict SLA without a bound, unknown and repeated preferred paths",
       [](Config& c) {
         Merge(&c, R"pb(service_policies {
                          name: "voice"
                          strict_sla: true
                          path_preference: "wan0:192.0.2.2"
                          path_preference: "wan0:192.0.2.2"
                          path_preference: "mpls"
                        })pb");
       },
       {"service_policies[0].path_preference[1]: \"wan0:192.0.2.2\" is listed twice",
        "service_policies[0].strict_sla: needs an SLA bound (max_latency_ms, max_jitter_ms, "
        "max_loss_percent or min_mos)",
        "service_policies[0].path_preference[1]: \"mpls\" is not the name of a path of any peer"}},
      {"service policy with an unknown resiliency value",
       [](Config& c) {
         Merge(&c, R"pb(service_policies { name: "voice" session_resiliency: 9 })pb");
       },
       {"service_policies[0].session_resiliency: 9 is not valid (NONE, FAILOVER or "
        "REVERTIBLE_FAILOVER)"},
       StatusCode::kInvalidArgument, true},
      {"waypoint range whose start exceeds its end",
       [peer](Config& c) { Merge(peer(c), "waypoint_ports { start: 5000 end: 4000 }"); },
       {"routers[0].peers[0].waypoint_ports: 5000-4000 is not a valid port range (start exceeds "
        "end)"}},
      {"waypoint range below 1024",
       [peer](Config& c) { Merge(peer(c), "waypoint_ports { start: 512 end: 1023 }"); },
       {"routers[0].peers[0].waypoint_ports: 512-1023 starts below 1024 (well-known ports are not "
        "used as waypoint ports)"}},
      {"waypoint range of 255 ports",
       [peer](Config& c) { Merge(peer(c), "waypoint_ports { start: 20000 end: 20254 }"); },
       {"routers[0].peers[0].waypoint_ports: 20000-20254 holds 255 ports; at least 256 are "
        "required"}},
      {"waypoint range of a single port",
       [peer](Config& c) { Merge(peer(c), "waypoint_ports { start: 30000 }"); },
       {"routers[0].peers[0].waypoint_ports: 30000 holds 1 port; at least 256 are required"}},
      {"NAT keep-alive interval above an hour",
       [peer](Config& c) { Merge(peer(c), "nat_keep_alive_seconds: 3601"); },
       {"routers[0].peers[0].nat_keep_alive_seconds: 3601 is above the maximum of 3600"}},
      {"path MTU below 1280",
       [peer](Config& c) { Merge(peer(c), "path_mtu: 1279"); },
       {"routers[0].peers[0].path_mtu: 1279 is out of range (1280-9000)"}},
      {"path MTU above 9000",
       [peer](Config& c) { Merge(peer(c), "path_mtu: 9001"); },
       {"routers[0].peers[0].path_mtu: 9001 is out of range (1280-9000)"}},
      {"path MTU above the WAN interface's mtu (default 1500)",
       [peer](Config& c) { Merge(peer(c), "path_mtu: 1600"); },
       {"routers[0].peers[0].path_mtu: 1600 is above the mtu 1500 of interface \"wan0\""}},
      {"waypoint range containing the peer liveness port 1280",
       [peer](Config& c) { Merge(peer(c), "waypoint_ports { start: 1024 end: 2047 }"); },
       {"routers[0].peers[0].waypoint_ports: 1024-2047 contains the peer liveness (BFD) port "
        "1280"}},
      {"waypoint range ending past 65535",
       [peer](Config& c) { Merge(peer(c), "waypoint_ports { start: 65000 end: 65536 }"); },
       {"routers[0].peers[0].waypoint_ports: 65000-65536 is not a valid port range (ports are "
        "1-65535)"}},
      {"peer without a security policy",
       [peer](Config& c) { peer(c)->clear_security_policy(); },
       {"routers[0].peers[0].security_policy: is required (how packets to the peer are signed)"}},
      {"peer naming an unknown security policy",
       [peer](Config& c) { peer(c)->set_security_policy("nope"); },
       {"routers[0].peers[0].security_policy: \"nope\" is not a defined security policy"}},
      {"peer sending with an hmac sha1 policy",
       [peer](Config& c) {
         Merge(&c, R"pb(security_policies {
                          name: "legacy"
                          hmac: "sha1"
                          hmac_keys: "hmac-key"
                          encryption_keys: "aes-key"
                        })pb");
         peer(c)->set_security_policy("legacy");
       },
       {"routers[0].peers[0].security_policy: \"legacy\" uses hmac \"sha1\", which is accepted on "
        "receive only"}},
      {"peering that the other router does not list back",
       [r2](Config& c) { r2(c)->clear_peers(); },
       {"routers[0].peers[0].name: router \"r2\" does not list \"r1\" among its peers"}},

      // ---- service routes ---------------------------------------------------------------------
      {"route for an unknown service",
       [r2](Config& c) {
         Merge(r2(c), R"pb(service_routes {
                             name: "mail-local"
                             service: "mail"
                             next_hop { interface: "lan0" }
                           })pb");
       },
       {"routers[1].service_routes[1].service: \"mail\" is not a defined service"}},
      {"route with neither next_hop nor peer",
       [r2](Config& c) {
         Merge(&c, R"pb(services { name: "db" prefixes: "10.2.5.0/24" })pb");
         Merge(r2(c), R"pb(service_routes { name: "db-local" service: "db" })pb");
       },
       {"routers[1].service_routes[1]: one of next_hop or peer is required"}},
      {"route to a router that is not a peer",
       [r1](Config& c) { r1(c)->mutable_service_routes(0)->set_peer("r3"); },
       {"routers[0].service_routes[0].peer: \"r3\" is not a peer of router \"r1\""}},
      {"next hop without an interface",
       [next_hop](Config& c) { next_hop(c)->clear_interface(); },
       {"routers[1].service_routes[0].next_hop.interface: is required (the LAN interface of the "
        "next hop)"}},
      {"next hop on an unknown interface",
       [next_hop](Config& c) { next_hop(c)->set_interface("lan9"); },
       {"routers[1].service_routes[0].next_hop.interface: \"lan9\" is not an interface of router "
        "\"r2\""}},
      {"next hop on a WAN interface",
       [next_hop](Config& c) { next_hop(c)->set_interface("wan0"); },
       {"routers[1].service_routes[0].next_hop.interface: \"wan0\" is a WAN interface; a local "
        "next hop is on a LAN interface"}},
      {"next-hop gateway that is not an address",
       [next_hop](Config& c) { next_hop(c)->set_gateway("10.2.0.999"); },
       {"routers[1].service_routes[0].next_hop.gateway: \"10.2.0.999\" is not a valid IP address"}},
      {"next-hop gateway outside the interface's subnets",
       [next_hop](Config& c) { next_hop(c)->set_gateway("10.3.0.1"); },
       {"routers[1].service_routes[0].next_hop.gateway: \"10.3.0.1\" is not on a subnet of "
        "interface \"lan0\""}},
      {"route weight above 1000",
       [r2](Config& c) { r2(c)->mutable_service_routes(0)->set_weight(1001); },
       {"routers[1].service_routes[0].weight: 1001 is out of range (0-1000; 0 means 1)"}},
      {"service naming a service policy that is not defined",
       [](Config& c) { c.mutable_services(0)->set_service_policy("spread"); },
       {"services[0].service_policy: \"spread\" is not a defined service policy"}},
      {"service policy with an unknown load-balancing value",
       [](Config& c) {
         Merge(&c, R"pb(service_policies { name: "spread" load_balancing: 7 })pb");
       },
       {"service_policies[0].load_balancing: 7 is not a valid strategy (HUNT, PROPORTIONAL or "
        "ROUND_ROBIN)"}},
      {"two service policies with one name",
       [](Config& c) {
         Merge(&c, R"pb(service_policies { name: "spread" }
                        service_policies { name: "spread" load_balancing: ROUND_ROBIN })pb");
       },
       {"service_policies[1].name: \"spread\" is already used by service_policies[0]"},
       StatusCode::kAlreadyExists},
      {"duplicate route name on one router",
       [r2](Config& c) {
         Merge(&c, R"pb(services { name: "db" prefixes: "10.2.5.0/24" })pb");
         Merge(r2(c), R"pb(service_routes {
                             name: "web-local"
                             service: "db"
                             next_hop { interface: "lan0" }
                           })pb");
       },
       {"routers[1].service_routes[1].name: \"web-local\" is already a route of router \"r2\""},
       StatusCode::kAlreadyExists},
      {"route name with a space",
       [r1](Config& c) { r1(c)->mutable_service_routes(0)->set_name("web via r2"); },
       {absl::StrCat("routers[0].service_routes[0].name: \"web via r2\"", kNameRule)}},

      // ---- tenants ----------------------------------------------------------------------------
      {"tenant whose parent is not defined",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "qa.ops"
                          members { router: "r1" interface: "lan0" prefixes: "10.1.7.0/24" }
                        })pb");
       },
       {"tenants[2].name: parent tenant \"ops\" of \"qa.ops\" is not defined"}},
      {"tenant without members",
       [](Config& c) { Merge(&c, R"pb(tenants { name: "idle" })pb"); },
       {"tenants[2].members: at least one member is required"}},
      {"member on an unknown router: no follow-on overlap with a tenant of r1",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "ops"
                          members { router: "r9" interface: "lan0" prefixes: "10.1.1.0/24" }
                        })pb");
       },
       {"tenants[2].members[0].router: \"r9\" is not a defined router"}},
      {"member on an interface that the router or any router lacks",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "ops"
                          members { router: "r1" interface: "lan9" prefixes: "10.1.7.0/24" }
                          members { interface: "lan9" prefixes: "10.1.8.0/24" }
                        })pb");
       },
       {"tenants[2].members[0].interface: \"lan9\" is not an interface of router \"r1\"",
        "tenants[2].members[1].interface: \"lan9\" is not an interface of any router"}},
      {"member on a WAN interface",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "ops"
                          members { router: "r1" interface: "wan0" prefixes: "10.1.7.0/24" }
                        })pb");
       },
       {"tenants[2].members[0].interface: \"wan0\" is a WAN interface; tenant members are on LAN "
        "interfaces"}},
      {"member VLAN that the interface does not carry",
       [](Config& c) {
         Merge(&c,
               R"pb(tenants {
                      name: "ops"
                      members { router: "r1" interface: "lan0" vlan: 20 prefixes: "10.1.7.0/24" }
                    })pb");
       },
       {"tenants[2].members[0].vlan: VLAN 20 is not configured on interface \"lan0\""}},
      {"member VLAN 4095",
       [](Config& c) {
         Merge(&c,
               R"pb(tenants {
                      name: "ops"
                      members { router: "r1" interface: "lan0" vlan: 4095 prefixes: "10.1.7.0/24" }
                    })pb");
       },
       {"tenants[2].members[0].vlan: 4095 is not a valid VLAN id (0 for any, or 1-4094)"}},
      {"member without prefixes",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "ops"
                          members { router: "r1" interface: "lan0" }
                        })pb");
       },
       {"tenants[2].members[0].prefixes: at least one prefix is required"}},
      {"member prefix /33 on IPv4",
       [](Config& c) { c.mutable_tenants(0)->mutable_members(0)->add_prefixes("10.0.0.0/33"); },
       {"tenants[0].members[0].prefixes[1]: \"10.0.0.0/33\" is not a valid IPv4 prefix (length "
        "must be 0-32)"}},
      {"member prefix /129 on IPv6",
       [](Config& c) { c.mutable_tenants(0)->mutable_members(0)->add_prefixes("2001:db8::/129"); },
       {"tenants[0].members[0].prefixes[1]: \"2001:db8::/129\" is not a valid IPv6 prefix (length "
        "must be 0-128)"}},
      {"member prefix with a non-numeric length",
       [](Config& c) { c.mutable_tenants(0)->mutable_members(0)->add_prefixes("10.0.0.0/x"); },
       {"tenants[0].members[0].prefixes[1]: \"10.0.0.0/x\" is not a valid IPv4 prefix (length "
        "must be 0-32)"}},
      {"member prefix with host bits set",
       [](Config& c) { c.mutable_tenants(0)->mutable_members(0)->add_prefixes("10.1.8.1/24"); },
       {"tenants[0].members[0].prefixes[1]: \"10.1.8.1/24\" is not a valid IPv4 prefix (host bits "
        "are set; the network is \"10.1.8.0/24\")"}},
      {"member prefix without a length",
       [](Config& c) { c.mutable_tenants(0)->mutable_members(0)->add_prefixes("2001:db8::"); },
       {"tenants[0].members[0].prefixes[1]: \"2001:db8::\" is not a valid IPv6 prefix (missing "
        "\"/length\")"}},
      {"member prefix with an address that does not parse",
       [](Config& c) { c.mutable_tenants(0)->mutable_members(0)->add_prefixes("10.1.8/24"); },
       {absl::StrCat("tenants[0].members[0].prefixes[1]: \"10.1.8/24\"", kPrefixExample)}},
      {"overlapping prefixes of unrelated tenants on the same interface",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "ops"
                          members { router: "r1" interface: "lan0" prefixes: "10.1.1.0/26" }
                        })pb");
       },
       {"tenants[2].members[0].prefixes[0]: \"10.1.1.0/26\" overlaps \"10.1.1.0/24\" of tenant "
        "\"eng\" (tenants[0].members[0].prefixes[0]) on interface \"lan0\" of router \"r1\""}},
      {"overlap with a member scoped to every router and interface, on one VLAN",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "ops"
                          members { vlan: 10 prefixes: "10.1.0.0/16" }
                        })pb");
       },
       {"tenants[2].members[0].prefixes[0]: \"10.1.0.0/16\" overlaps \"10.1.1.0/24\" of tenant "
        "\"eng\" (tenants[0].members[0].prefixes[0]) on interface \"lan0\" of router \"r1\" VLAN "
        "10",
        "tenants[2].members[0].prefixes[0]: \"10.1.0.0/16\" overlaps \"10.1.1.128/25\" of tenant "
        "\"lab.eng\" (tenants[1].members[0].prefixes[0]) on interface \"lan0\" of router \"r1\" "
        "VLAN 10"}},
      {"sibling tenants overlap although both nest in their parent",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "qa.eng"
                          members { router: "r1" interface: "lan0" prefixes: "10.1.1.192/26" }
                        })pb");
       },
       {"tenants[2].members[0].prefixes[0]: \"10.1.1.192/26\" overlaps \"10.1.1.128/25\" of "
        "tenant \"lab.eng\" (tenants[1].members[0].prefixes[0]) on interface \"lan0\" of router "
        "\"r1\""}},
      {"child tenant claiming exactly its parent's prefix",
       [](Config& c) { c.mutable_tenants(1)->mutable_members(0)->set_prefixes(0, "10.1.1.0/24"); },
       {"tenants[1].members[0].prefixes[0]: \"10.1.1.0/24\" overlaps \"10.1.1.0/24\" of tenant "
        "\"eng\" (tenants[0].members[0].prefixes[0]) on interface \"lan0\" of router \"r1\""}},
      {"same prefix twice in one tenant",
       [](Config& c) {
         Merge(c.mutable_tenants(0),
               R"pb(members { router: "r1" interface: "lan0" prefixes: "10.1.1.0/24" })pb");
       },
       {"tenants[0].members[1].prefixes[0]: \"10.1.1.0/24\" is already claimed by "
        "tenants[0].members[0].prefixes[0] on interface \"lan0\" of router \"r1\""},
       StatusCode::kAlreadyExists},

      // ---- services ---------------------------------------------------------------------------
      {"service without prefixes",
       [](Config& c) { Merge(&c, R"pb(services { name: "db" })pb"); },
       {"services[1].prefixes: at least one prefix is required"}},
      {"service prefix with host bits set",
       [web](Config& c) { web(c)->set_prefixes(0, "10.2.3.1/24"); },
       {"services[0].prefixes[0]: \"10.2.3.1/24\" is not a valid IPv4 prefix (host bits are set; "
        "the network is \"10.2.3.0/24\")"}},
      {"transport without a protocol",
       [web](Config& c) { Merge(web(c), "transports { ports { start: 80 } }"); },
       {"services[0].transports[1].protocol: is required (TCP, UDP or ICMP)"}},
      {"ICMP transport with ports",
       [web](Config& c) { Merge(web(c), "transports { protocol: ICMP ports { start: 1 } }"); },
       {"services[0].transports[1].ports: must be empty for ICMP (ICMP has no ports)"}},
      {"port range whose start exceeds its end",
       [web](Config& c) {
         Merge(web(c), "transports { protocol: UDP ports { start: 600 end: 500 } }");
       },
       {"services[0].transports[1].ports[0]: 600-500 is not a valid port range (start exceeds "
        "end)"}},
      {"port 0 and port 65536",
       [web](Config& c) {
         Merge(web(c),
               "transports { protocol: UDP ports { start: 0 end: 80 } ports { start: 65536 } }");
       },
       {"services[0].transports[1].ports[0]: 0-80 is not a valid port range (ports are 1-65535)",
        "services[0].transports[1].ports[1]: 65536 is not a valid port range (ports are "
        "1-65535)"}},
      {"overlapping port ranges in one transport",
       [web](Config& c) { Merge(web(c)->mutable_transports(0), "ports { start: 400 end: 500 }"); },
       {"services[0].transports[0].ports[1]: 400-500 overlaps 443 of the same transport"}},
      {"protocol listed in two transports",
       [web](Config& c) { Merge(web(c), "transports { protocol: TCP ports { start: 80 } }"); },
       {"services[0].transports[1].protocol: TCP is listed twice; put all its port ranges in one "
        "transport"},
       StatusCode::kAlreadyExists},
      {"access policy for an unknown tenant",
       [web](Config& c) { Merge(web(c), R"pb(access_policies { tenant: "finance" })pb"); },
       {"services[0].access_policies[1].tenant: \"finance\" is not a defined tenant"}},
      {"tenant with two access policies in one service",
       [web](Config& c) {
         Merge(web(c), R"pb(access_policies { tenant: "eng" permission: DENY })pb");
       },
       {"services[0].access_policies[1].tenant: tenant \"eng\" already has an access policy in "
        "service \"web\""},
       StatusCode::kAlreadyExists},
      {"service naming an unknown security policy",
       [web](Config& c) { web(c)->set_security_policy("nope"); },
       {"services[0].security_policy: \"nope\" is not a defined security policy"}},
      {"two services with the same prefix and overlapping ports",
       [](Config& c) {
         Merge(&c, R"pb(services {
                          name: "web2"
                          prefixes: "10.2.3.0/24"
                          transports {
                            protocol: TCP
                            ports { start: 400 end: 500 }
                          }
                        })pb");
       },
       {"services[1].prefixes[0]: \"10.2.3.0/24\" is also a prefix of service \"web\" "
        "(services[0]) with overlapping transports; a packet could match both"}},
      {"a service without transports overlaps every service on its prefix",
       [](Config& c) {
         Merge(&c,
               R"pb(services { name: "all" prefixes: "10.9.0.0/16" prefixes: "10.2.3.0/24" })pb");
       },
       {"services[1].prefixes[1]: \"10.2.3.0/24\" is also a prefix of service \"web\" "
        "(services[0]) with overlapping transports; a packet could match both"}},

      // ---- security policies ------------------------------------------------------------------
      {"unknown HMAC algorithm",
       [hop](Config& c) { hop(c)->set_hmac("md5"); },
       {"security_policies[0].hmac: \"md5\" is not a known HMAC algorithm (known: none, sha1, "
        "sha256, sha256-128)"}},
      {"unknown cipher aes-512-cbc",
       [hop](Config& c) { hop(c)->set_encryption_cipher("aes-512-cbc"); },
       {"security_policies[0].encryption_cipher: \"aes-512-cbc\" is not a known cipher (known: "
        "none, aes-128-cbc, aes-256-cbc, aes-128-gcm, aes-256-gcm)"}},
      {"cipher spelled in upper case is unknown",
       [hop](Config& c) { hop(c)->set_encryption_cipher("AES-256-CBC"); },
       {"security_policies[0].encryption_cipher: \"AES-256-CBC\" is not a known cipher (known: "
        "none, aes-128-cbc, aes-256-cbc, aes-128-gcm, aes-256-gcm)"}},
      {"policy without keys for the default algorithms",
       [hop](Config& c) {
         hop(c)->clear_hmac_keys();
         hop(c)->clear_encryption_keys();
       },
       {"security_policies[0].hmac_keys: at least one key is required for hmac \"sha256-128\"",
        "security_policies[0].encryption_keys: at least one key is required for cipher "
        "\"aes-256-cbc\""}},
      {"keys listed for hmac none and cipher none (reported once, unknown names not resolved)",
       [hop](Config& c) {
         hop(c)->set_hmac("none");
         hop(c)->set_encryption_cipher("none");
         hop(c)->add_hmac_keys("no-such-key");
       },
       {"security_policies[0].hmac_keys: must be empty when hmac is \"none\"",
        "security_policies[0].encryption_keys: must be empty when encryption_cipher is \"none\""}},
      {"policy naming an unknown key",
       [hop](Config& c) { hop(c)->add_hmac_keys("old-key"); },
       {"security_policies[0].hmac_keys[1]: \"old-key\" is not a defined key"}},
      {"key listed twice in one list",
       [hop](Config& c) { hop(c)->add_encryption_keys("aes-key"); },
       {"security_policies[0].encryption_keys[1]: key \"aes-key\" is listed twice in "
        "encryption_keys"},
       StatusCode::kAlreadyExists},
      {"HMAC key shorter than 16 bytes",
       [hop](Config& c) {
         Merge(&c, R"pb(keys { name: "short" id: 3 hex: "00112233445566778899aabbccddee" })pb");
         hop(c)->add_hmac_keys("short");
       },
       {"security_policies[0].hmac_keys[1]: key \"short\" is 15 bytes; HMAC keys must be at least "
        "16 bytes"}},
      {"cipher key of the wrong size for aes-256-cbc and for aes-128-gcm",
       [hop](Config& c) {
         hop(c)->set_encryption_keys(0, "hmac-key");
         Merge(&c, R"pb(security_policies {
                          name: "gcm"
                          hmac: "none"
                          encryption_cipher: "aes-128-gcm"
                          encryption_keys: "aes-key"
                        })pb");
       },
       {"security_policies[0].encryption_keys[0]: key \"hmac-key\" is 16 bytes; aes-256-cbc needs "
        "32 bytes",
        "security_policies[1].encryption_keys[0]: key \"aes-key\" is 32 bytes; aes-128-gcm needs "
        "16 bytes"}},
      {"key rotation overlap above one day",
       [hop](Config& c) { hop(c)->set_key_rotation_overlap_seconds(86401); },
       {"security_policies[0].key_rotation_overlap_seconds: 86401 is out of range (0-86400)"}},
      {"rekey interval below one minute and above one day",
       [hop](Config& c) {
         hop(c)->set_rekey_interval_seconds(59);
         hop(c)->set_rekey_master_key("aes-key");
         Merge(&c, R"pb(security_policies {
                          name: "long"
                          hmac_keys: "hmac-key"
                          encryption_keys: "aes-key"
                          rekey_interval_seconds: 86401
                          rekey_master_key: "aes-key"
                        })pb");
       },
       {"security_policies[0].rekey_interval_seconds: 59 is out of range (0 for off, or "
        "60-86400)",
        "security_policies[1].rekey_interval_seconds: 86401 is out of range (0 for off, or "
        "60-86400)"}},
      {"rekey without a master key, and with an unknown one",
       [hop](Config& c) {
         hop(c)->set_rekey_interval_seconds(3600);
         Merge(&c, R"pb(security_policies {
                          name: "other"
                          hmac_keys: "hmac-key"
                          encryption_keys: "aes-key"
                          rekey_interval_seconds: 3600
                          rekey_master_key: "no-such-key"
                        })pb");
       },
       {"security_policies[0].rekey_master_key: is required when rekey_interval_seconds is set",
        "security_policies[1].rekey_master_key: \"no-such-key\" is not a defined key"}},
      {"rekey master key derived, or shorter than 16 bytes; the key is never shown",
       [hop](Config& c) {
         Merge(&c, R"pb(keys {
                          name: "derived"
                          id: 3
                          derive { master_key: "aes-key" context: "x" }
                        }
                        keys { name: "short" id: 4 hex: "5ec2e75ec2e75ec2e75ec2e75ec2e7" }
                        security_policies {
                          name: "other"
                          hmac_keys: "hmac-key"
                          encryption_keys: "aes-key"
                          rekey_interval_seconds: 3600
                          rekey_master_key: "short"
                        })pb");
         hop(c)->set_rekey_interval_seconds(3600);
         hop(c)->set_rekey_master_key("derived");
       },
       {"security_policies[0].rekey_master_key: key \"derived\" is derived; a master key must "
        "be given as hex or file",
        "security_policies[1].rekey_master_key: key \"short\" is 15 bytes; a rekey master key "
        "must be at least 16 bytes"},
       StatusCode::kInvalidArgument,
       false,
       "5ec2e75ec2e7"},
      {"rekey clock skew not under half the interval, and above one hour",
       [hop](Config& c) {
         hop(c)->set_rekey_interval_seconds(60);
         hop(c)->set_rekey_master_key("aes-key");
         hop(c)->set_rekey_max_clock_skew_seconds(30);
         Merge(&c, R"pb(security_policies {
                          name: "other"
                          hmac_keys: "hmac-key"
                          encryption_keys: "aes-key"
                          rekey_interval_seconds: 86400
                          rekey_master_key: "aes-key"
                          rekey_max_clock_skew_seconds: 3601
                        })pb");
       },
       {"security_policies[0].rekey_max_clock_skew_seconds: 30 must be less than half of "
        "rekey_interval_seconds (60)",
        "security_policies[1].rekey_max_clock_skew_seconds: 3601 is out of range (0 for 10, or "
        "1-3600)"}},
      {"rekey fields without a rekey interval",
       [hop](Config& c) {
         hop(c)->set_rekey_master_key("aes-key");
         hop(c)->set_rekey_max_clock_skew_seconds(5);
       },
       {"security_policies[0].rekey_master_key: is set but rekey_interval_seconds is 0 (rekeying "
        "is off)",
        "security_policies[0].rekey_max_clock_skew_seconds: is set but rekey_interval_seconds is "
        "0 (rekeying is off)"}},
      {"rekey with the receive-only hmac sha1",
       [](Config& c) {
         Merge(&c, R"pb(security_policies {
                          name: "legacy"
                          hmac: "sha1"
                          hmac_keys: "hmac-key"
                          encryption_keys: "aes-key"
                          rekey_interval_seconds: 600
                          rekey_master_key: "aes-key"
                        })pb");
       },
       {"security_policies[1].rekey_interval_seconds: rekeying needs a policy that can sign; "
        "hmac \"sha1\" is receive-only"}},
      {"a key id in the epoch-key range while a policy rekeys",
       [hop](Config& c) {
         hop(c)->set_rekey_interval_seconds(600);
         hop(c)->set_rekey_master_key("aes-key");
         c.mutable_keys(1)->set_id(2147483648u);
       },
       {"keys[1].id: 2147483648 is in the range 2147483648-4294967295 that the epoch keys of "
        "automatic rekeying use (a security policy sets rekey_interval_seconds); use "
        "1-2147483647"}},

      // ---- keys -------------------------------------------------------------------------------
      {"key id 0",
       [](Config& c) { c.mutable_keys(0)->set_id(0); },
       {"keys[0].id: 0 is not a valid key id (1-4294967295)"}},
      {"key id used twice",
       [](Config& c) { c.mutable_keys(1)->set_id(1); },
       {"keys[1].id: 1 is already used by key \"hmac-key\" (keys[0])"},
       StatusCode::kAlreadyExists},
      {"key without a source",
       [](Config& c) { Merge(&c, R"pb(keys { name: "spare" id: 3 })pb"); },
       {"keys[2]: one of hex, file or derive is required"}},
      {"key hex with a non-hex digit: the value is never shown",
       [](Config& c) { c.mutable_keys(1)->set_hex(kSecretHex); },
       {"keys[1].hex: the key is not valid hexadecimal (only the digits 0-9, a-f and A-F are "
        "allowed; the value is not shown)"},
       StatusCode::kInvalidArgument,
       false,
       kSecretHex},
      {"key hex with an odd number of digits: the value is never shown",
       [](Config& c) { c.mutable_keys(1)->set_hex(kOddHex); },
       {"keys[1].hex: the key has an odd number of hexadecimal digits (37; two digits per byte are "
        "expected)"},
       StatusCode::kInvalidArgument,
       false,
       kOddHex},
      {"empty key hex",
       [](Config& c) { c.mutable_keys(1)->set_hex(""); },
       {"keys[1].hex: the key is empty"}},
      {"key file that does not exist (resolved against the base directory)",
       [](Config& c) { c.mutable_keys(1)->set_file("no-such-key.hex"); },
       {absl::StrCat("keys[1].file: ", Missing("no-such-key.hex"))},
       StatusCode::kNotFound},
      {"key file that is a device, which would never end",
       [](Config& c) { c.mutable_keys(1)->set_file("/dev/zero"); },
       {"keys[1].file: \"/dev/zero\" is not a regular file"},
       StatusCode::kFailedPrecondition},
      {"key file that is a directory",
       [](Config& c) { c.mutable_keys(1)->set_file("."); },
       {"keys[1].file: \".\" is not a regular file"},
       StatusCode::kFailedPrecondition},
      {"key file larger than 4096 bytes",
       [](Config& c) { c.mutable_keys(1)->set_file("too-large.hex"); },
       {"keys[1].file: \"too-large.hex\" is 4097 bytes; a key file holds at most 4096 bytes of "
        "hexadecimal text"}},
      {"empty key file path",
       [](Config& c) { c.mutable_keys(1)->set_file(""); },
       {"keys[1].file: is empty (a file path is expected)"}},
      {"key file whose content is not hex: the content is never shown",
       [](Config& c) { c.mutable_keys(1)->set_file("not-hex.hex"); },
       {"keys[1].file: the content of \"not-hex.hex\" is not valid hexadecimal (only the digits "
        "0-9, a-f and A-F are allowed; the value is not shown)"},
       StatusCode::kInvalidArgument,
       false,
       "f00dfeed"},
      {"derived key with an unknown master",
       [](Config& c) {
         Merge(c.mutable_keys(1), R"pb(derive { master_key: "nope" context: "aes" })pb");
       },
       {"keys[1].derive.master_key: \"nope\" is not a defined key"}},
      {"derived key whose master is itself derived",
       [](Config& c) {
         Merge(c.mutable_keys(1), R"pb(derive { master_key: "hmac-key" context: "aes" })pb");
         Merge(&c, R"pb(keys {
                          name: "k3"
                          id: 3
                          derive { master_key: "aes-key" context: "x" }
                        })pb");
       },
       {"keys[2].derive.master_key: key \"aes-key\" is itself derived; a master key must be given "
        "as hex or file"}},
      {"derived key without a context",
       [](Config& c) { Merge(c.mutable_keys(1), R"pb(derive { master_key: "hmac-key" })pb"); },
       {"keys[1].derive.context: is required (keys derived for different purposes must differ)"}},
      {"derived key lengths 15 and 65",
       [](Config& c) {
         Merge(c.mutable_keys(1),
               R"pb(derive { master_key: "hmac-key" context: "aes" length: 15 })pb");
         Merge(&c, R"pb(keys {
                          name: "k3"
                          id: 3
                          derive { master_key: "hmac-key" context: "x" length: 65 }
                        })pb");
       },
       {"keys[1].derive.length: 15 is out of range (16-64)",
        "keys[2].derive.length: 65 is out of range (16-64)"}},

      // ---- timeouts and limits ----------------------------------------------------------------
      {"timeout above seven days",
       [](Config& c) { c.mutable_timeouts()->set_udp_seconds(604801); },
       {"timeouts.udp_seconds: 604801 is out of range (1-604800)"}},
      {"embryonic timeout above the established timeout",
       [](Config& c) {
         Merge(&c, "timeouts { tcp_embryonic_seconds: 60 tcp_established_seconds: 30 }");
       },
       {"timeouts.tcp_embryonic_seconds: 60 exceeds tcp_established_seconds (30)"}},
      {"embryonic timeout above the default established timeout",
       [](Config& c) { c.mutable_timeouts()->set_tcp_embryonic_seconds(1801); },
       {"timeouts.tcp_embryonic_seconds: 1801 exceeds tcp_established_seconds (1800)"}},
      {"out-of-range established timeout is not compared with the embryonic one",
       [](Config& c) {
         Merge(&c, "timeouts { tcp_embryonic_seconds: 2000 tcp_established_seconds: 700000 }");
       },
       {"timeouts.tcp_established_seconds: 700000 is out of range (1-604800)"}},
      {"max_sessions below 1024",
       [](Config& c) { c.mutable_limits()->set_max_sessions(1023); },
       {"limits.max_sessions: 1023 is out of range (1024-16777216)"}},
      {"max_sessions above 2^24",
       [](Config& c) { c.mutable_limits()->set_max_sessions(16777217); },
       {"limits.max_sessions: 16777217 is out of range (1024-16777216)"}},
      {"per-tenant limit above max_sessions",
       [](Config& c) { Merge(&c, "limits { max_sessions: 2048 max_sessions_per_tenant: 4096 }"); },
       {"limits.max_sessions_per_tenant: 4096 exceeds max_sessions (2048)"}},
      {"per-tenant limit above the default max_sessions",
       [](Config& c) { c.mutable_limits()->set_max_sessions_per_tenant(1048577); },
       {"limits.max_sessions_per_tenant: 1048577 exceeds max_sessions (1048576)"}},
      {"embryonic caps above max_sessions",
       [](Config& c) {
         Merge(&c, R"pb(limits {
                          max_sessions: 2048
                          max_embryonic_per_source: 2049
                          max_embryonic_per_tenant: 4096
                        })pb");
       },
       {"limits.max_embryonic_per_source: 2049 exceeds max_sessions (2048)",
        "limits.max_embryonic_per_tenant: 4096 exceeds max_sessions (2048)"}},
      {"embryonic pressure above 100 percent",
       [](Config& c) { c.mutable_limits()->set_embryonic_pressure_percent(101); },
       {"limits.embryonic_pressure_percent: 101 is out of range (1-100)"}},
      {"embryonic timeout under pressure above seven days",
       [](Config& c) { c.mutable_limits()->set_tcp_embryonic_under_pressure_seconds(604801); },
       {"limits.tcp_embryonic_under_pressure_seconds: 604801 is out of range (1-604800)"}},
      {"IP reassembly slots above 4096",
       [](Config& c) { c.mutable_limits()->set_ip_reassembly_slots(4097); },
       {"limits.ip_reassembly_slots: 4097 is out of range (1-4096)"}},
      {"IP reassembly timeout below 100 ms",
       [](Config& c) { c.mutable_limits()->set_ip_reassembly_timeout_ms(99); },
       {"limits.ip_reassembly_timeout_ms: 99 is out of range (100-60000)"}},
      {"IP reassembly timeout above a minute",
       [](Config& c) { c.mutable_limits()->set_ip_reassembly_timeout_ms(60001); },
       {"limits.ip_reassembly_timeout_ms: 60001 is out of range (100-60000)"}},

      // ---- whole config -----------------------------------------------------------------------
      {"config without routers",
       [](Config& c) { c = Config(); },
       {"routers: at least one router is required"}},

      // ---- numeric enum values outside the schema (JSON) --------------------------------------
      {"JSON interface role 7",
       [r1](Config& c) {
         r1(c)->mutable_interfaces(0)->set_role(static_cast<v1::Interface::Role>(7));
       },
       {"routers[0].interfaces[0].role: 7 is not a valid role (LAN or WAN)"},
       StatusCode::kInvalidArgument,
       true},
      {"JSON access permission 9",
       [web](Config& c) {
         web(c)->mutable_access_policies(0)->set_permission(
             static_cast<v1::AccessPolicy::Permission>(9));
       },
       {"services[0].access_policies[0].permission: 9 is not a valid permission (ALLOW or DENY)"},
       StatusCode::kInvalidArgument,
       true},
      {"JSON transport protocol 4",
       [web](Config& c) {
         web(c)->mutable_transports(0)->set_protocol(static_cast<v1::Transport::Protocol>(4));
       },
       {"services[0].transports[0].protocol: 4 is not a valid protocol (TCP, UDP or ICMP)"},
       StatusCode::kInvalidArgument,
       true},
      {"JSON HMAC mode 3",
       [hop](Config& c) { hop(c)->set_hmac_mode(static_cast<v1::SecurityPolicy::HmacMode>(3)); },
       {"security_policies[0].hmac_mode: 3 is not a valid HMAC mode (REGULAR or TIME_BASED)"},
       StatusCode::kInvalidArgument,
       true},
      {"JSON service initiation 2",
       [web](Config& c) { web(c)->set_initiation(static_cast<v1::Service::Initiation>(2)); },
       {"services[0].initiation: 2 is not a valid initiation (CLIENT_ONLY)"},
       StatusCode::kInvalidArgument,
       true},
      {"JSON TCP state enforcement 4",
       [web](Config& c) {
         web(c)->set_tcp_state_enforcement(static_cast<v1::Service::TcpStateEnforcement>(4));
       },
       {"services[0].tcp_state_enforcement: 4 is not a valid value (RESET, BLOCK or ALLOW)"},
       StatusCode::kInvalidArgument,
       true},
  };
}

TEST_CASE("the base config of the invalid-config table is valid", "[config]") {
  const Outcome out = Run([](Config&) {}, false);
  CHECK(out.errors.empty());
  CHECK(out.has_config);
}

TEST_CASE("each invalid config reports exactly its expected errors in order", "[config]") {
  size_t invalid_rows = 0;
  for (const Row& row : InvalidRows()) {
    ++invalid_rows;
    DYNAMIC_SECTION(row.name) {
      const Outcome out = Run(row.edit, row.via_json);
      CHECK(out.errors == row.errors);
      CHECK_FALSE(out.has_config);
      CHECK(out.code == row.code);
      if (row.secret != nullptr) {
        for (const std::string& e : out.errors) CHECK(e.find(row.secret) == std::string::npos);
      }
    }
  }
  CHECK(invalid_rows >= 45);
}

// Edge cases next to the rules above that the proto documents as allowed.
std::vector<Row> ValidRows() {
  auto peer = [](Config& c) { return c.mutable_routers(0)->mutable_peers(0); };
  return {
      {"a grandchild nested in its ancestors' prefixes",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "bench.lab.eng"
                          members { router: "r1" interface: "lan0" prefixes: "10.1.1.240/28" }
                        })pb");
       },
       {}},
      {"overlapping prefixes of unrelated tenants on different routers",
       [](Config& c) {
         Merge(&c, R"pb(tenants {
                          name: "ops"
                          members { router: "r2" interface: "lan0" prefixes: "10.1.1.0/24" }
                        })pb");
       },
       {}},
      {"overlapping prefixes of unrelated tenants on different VLANs",
       [](Config& c) {
         c.mutable_routers(0)->mutable_interfaces(0)->add_vlans(20);
         c.mutable_tenants(0)->mutable_members(0)->set_vlan(10);
         c.mutable_tenants(1)->mutable_members(0)->set_vlan(10);
         Merge(&c,
               R"pb(tenants {
                      name: "ops"
                      members { router: "r1" interface: "lan0" vlan: 20 prefixes: "10.1.1.0/24" }
                    })pb");
       },
       {}},
      {"two services on one prefix with disjoint ports",
       [](Config& c) {
         Merge(&c, R"pb(services {
                          name: "web-alt"
                          prefixes: "10.2.3.0/24"
                          transports {
                            protocol: TCP
                            ports { start: 8443 }
                          }
                          transports {
                            protocol: UDP
                            ports { start: 443 }
                          }
                        })pb");
       },
       {}},
      {"waypoint range of exactly 256 ports above the liveness port",
       [peer](Config& c) { Merge(peer(c), "waypoint_ports { start: 1281 end: 1536 }"); },
       {}},
      {"interface name of exactly 15 characters",
       [](Config& c) {
         Merge(c.mutable_routers(0), R"pb(interfaces { name: "lan-interface-1" role: LAN })pb");
       },
       {}},
      {"WAN interface receiving with an hmac sha1 policy",
       [](Config& c) {
         Merge(&c, R"pb(security_policies {
                          name: "legacy"
                          hmac: "sha1"
                          hmac_keys: "hmac-key"
                          encryption_keys: "aes-key"
                        })pb");
         c.mutable_routers(0)->mutable_interfaces(1)->set_security_policy("legacy");
       },
       {}},
      {"key file relative to the base directory, surrounded by whitespace",
       [](Config& c) { c.mutable_keys(1)->set_file("aes-256.hex"); },
       {}},
      {"key derived from a hex master, used as an AES-256 key",
       [](Config& c) {
         Merge(c.mutable_keys(1), R"pb(derive { master_key: "hmac-key" context: "aes" })pb");
       },
       {}},
      {"upper-case hex digits",
       [](Config& c) { c.mutable_keys(0)->set_hex("00112233445566778899AABBCCDDEEFF"); },
       {}},
      {"limits and timeouts at their bounds",
       [](Config& c) {
         Merge(&c, R"pb(timeouts { tcp_established_seconds: 604800 tcp_embryonic_seconds: 604800 }
                        limits {
                          max_sessions: 16777216
                          max_sessions_per_tenant: 16777216
                          max_embryonic_per_source: 16777216
                          max_embryonic_per_tenant: 1
                          embryonic_pressure_percent: 100
                          tcp_embryonic_under_pressure_seconds: 604800
                        })pb");
       },
       {}},
      {"IP reassembly limits at their bounds",
       [](Config& c) {
         Merge(&c, "limits { ip_reassembly_slots: 4096 ip_reassembly_timeout_ms: 60000 }");
       },
       {}},
      {"IP reassembly limits at their lower bounds",
       [](Config& c) { Merge(&c, "limits { ip_reassembly_slots: 1 ip_reassembly_timeout_ms: 100 }"); },
       {}},
  };
}

TEST_CASE("edge configs the proto documents as allowed load", "[config]") {
  for (const Row& row : ValidRows()) {
    DYNAMIC_SECTION(row.name) {
      const Outcome out = Run(row.edit, row.via_json);
      CHECK(out.errors == std::vector<std::string>{});
      CHECK(out.has_config);
    }
  }
}

TEST_CASE("a config with many errors reports all of them in validation order", "[config]") {
  Config c = Base();
  // One error in each section, written in file order; validation reports names, keys, policies,
  // routers, tenants, services, peers/routes, overlaps, timeouts, limits (validate.cc passes).
  c.mutable_routers(0)->mutable_interfaces(0)->set_mtu(100);
  c.mutable_routers(0)->mutable_peers(0)->set_interface("wan9");
  c.mutable_tenants(0)->mutable_members(0)->set_prefixes(0, "10.1.1.0/33");
  c.mutable_services(0)->add_access_policies()->set_tenant("finance");
  c.mutable_security_policies(0)->set_encryption_cipher("aes-512-cbc");
  c.mutable_keys(1)->set_id(1);
  c.mutable_timeouts()->set_icmp_seconds(700000);
  c.mutable_limits()->set_max_sessions(10);
  Merge(&c, R"pb(routers { name: "r1" })pb");
  const ValidationResult result = Validate(c);
  std::vector<std::string> got;
  for (const ConfigError& e : result.errors) got.push_back(e.ToString());
  const std::vector<std::string> want = {
      "routers[2].name: \"r1\" is already used by routers[0]",
      "keys[1].id: 1 is already used by key \"hmac-key\" (keys[0])",
      "security_policies[0].encryption_cipher: \"aes-512-cbc\" is not a known cipher (known: none, "
      "aes-128-cbc, aes-256-cbc, aes-128-gcm, aes-256-gcm)",
      "routers[0].interfaces[0].mtu: 100 is out of range (1280-9000)",
      "tenants[0].members[0].prefixes[0]: \"10.1.1.0/33\" is not a valid IPv4 prefix (length must "
      "be 0-32)",
      "services[0].access_policies[1].tenant: \"finance\" is not a defined tenant",
      "routers[0].peers[0].interface: \"wan9\" is not an interface of router \"r1\"",
      "timeouts.icmp_seconds: 700000 is out of range (1-604800)",
      "limits.max_sessions: 10 is out of range (1024-16777216)",
  };
  CHECK(got == want);
  CHECK(result.errors.size() == 9);
  CHECK(result.config == nullptr);
}

TEST_CASE("ErrorsToStatus is AlreadyExists when every error is a duplicate", "[config]") {
  Config c = Base();
  Merge(&c, R"pb(routers { name: "r1" }
                 services { name: "web" prefixes: "10.9.0.0/16" })pb");
  const absl::Status status = ErrorsToStatus(Validate(c).errors);
  CHECK(status.code() == absl::StatusCode::kAlreadyExists);
  CHECK(std::string(status.message()) ==
        "routers[2].name: \"r1\" is already used by routers[0]\n"
        "services[1].name: \"web\" is already used by services[0]");
}

TEST_CASE("ErrorsToStatus is InvalidArgument when error codes are mixed", "[config]") {
  Config c = Base();
  Merge(&c, R"pb(routers { name: "r1" })pb");
  c.mutable_routers(0)->mutable_interfaces(0)->set_mtu(1);
  const std::vector<ConfigError> errors = Validate(c).errors;
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].code == absl::StatusCode::kAlreadyExists);
  CHECK(errors[1].code == absl::StatusCode::kInvalidArgument);
  const absl::Status status = ErrorsToStatus(errors);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(status.message()) ==
        "routers[2].name: \"r1\" is already used by routers[0]\n"
        "routers[0].interfaces[0].mtu: 1 is out of range (1280-9000)");
}

TEST_CASE("ErrorsToStatus of no errors is OK", "[config]") { CHECK(ErrorsToStatus({}).ok()); }

TEST_CASE("ConfigError::ToString joins path and message or is the bare message", "[config]") {
  CHECK(ConfigError{absl::StatusCode::kInvalidArgument, "limits.max_sessions", "1 is bad"}
            .ToString() == "limits.max_sessions: 1 is bad");
  CHECK(ConfigError{absl::StatusCode::kInvalidArgument, "", "whole file"}.ToString() ==
        "whole file");
}

}  // namespace
}  // namespace ssr::config
