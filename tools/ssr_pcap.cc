// SPDX-License-Identifier: Apache-2.0
// ssr-pcap: writes a pcap of example SVR packets (the §3.10 session between two waypoints), so the
// wire format can be inspected with Wireshark or tshark:
//
//   ssr-pcap OUT.pcap
//
// Packets: (1) UDP first packet with forward metadata, (2) the reverse first packet with reverse
// metadata (TLV 18), (3) a fast-path UDP packet without metadata, (4) a UDP packet whose payload
// starts with the cookie, carrying the 12-byte false-positive marker, (5) a TCP SYN with forward
// metadata, (6) a Delete Session control packet. Exit status 0 on success, 1 on error, 2 on bad
// usage
// (`-h` / `--help` print the usage on stdout and exit 0; `--version` prints "ssr-pcap VERSION").
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "packet/builder.h"
#include "packet/parser.h"
#include "ssr/version.h"
#include "ssr_cli.h"
#include "svr/metadata.h"
#include "svr/packet_edit.h"
#include "util/pcap_writer.h"

namespace {

using ssr::packet::PacketSpec;
using ssr::svr::Metadata;
using ssr::svr::TlvField;
using ssr::util::IpAddress;

IpAddress Ip(const char* t) { return *IpAddress::Parse(t); }

constexpr ssr::svr::Uuid kUuid = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
                                  0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};

// Builds the frame for `spec` and inserts `inserted` (encoded metadata or a marker) after its L4
// header; returns the frame, empty on failure.
std::vector<uint8_t> FrameWith(const PacketSpec& spec, std::span<const uint8_t> inserted) {
  std::vector<uint8_t> buffer(2048);
  size_t length = ssr::packet::BuildFrame(spec, buffer);
  if (length == 0) return {};
  if (!inserted.empty()) {
    ssr::packet::PacketInfo info;
    if (ssr::packet::ParseFrame(std::span<const uint8_t>(buffer.data(), length), &info) !=
            ssr::packet::ParseResult::kOk ||
        ssr::svr::InsertMetadata(buffer, &length, info, inserted, 1500) !=
            ssr::svr::EditResult::kOk) {
      return {};
    }
  }
  buffer.resize(length);
  return buffer;
}

// The frame for `spec` with `md` encoded after its L4 header (none if md is null).
std::vector<uint8_t> Frame(const PacketSpec& spec, const Metadata* md) {
  std::vector<uint8_t> encoded(1024);
  encoded.resize(md == nullptr ? 0 : ssr::svr::EncodeMetadata(*md, encoded));
  if (md != nullptr && encoded.empty()) return {};
  return FrameWith(spec, encoded);
}

}  // namespace

constexpr char kSynopsis[] =
    "usage: ssr-pcap OUT.pcap\n"
    "       ssr-pcap --help | -h | --version\n"
    "\n"
    "Writes six example SVR packets (first packets with forward and reverse metadata, a fast-path\n"
    "packet, a false-positive marker, a TCP SYN with metadata, a Delete Session control packet)\n"
    "to the pcap file OUT.pcap, for Wireshark or tshark. OUT.pcap may not start with '-'\n"
    "(write ./-name for such a file).\n";

constexpr char kFooter[] =
    "Exit codes:\n"
    "  0  OUT.pcap written (or --help, --version)\n"
    "  1  OUT.pcap cannot be written, or a packet cannot be built\n"
    "  2  bad command line (no OUT.pcap, more than one, an unknown option)\n"
    "\n"
    "Files:\n"
    "  OUT.pcap  created or truncated; pcap format, Ethernet link type\n"
    "\n"
    "Signals: none handled.\n";

int main(int argc, char** argv) {
  std::vector<std::string> outputs;
  CLI::App app("", "ssr-pcap");
  ssr::cli::Setup(app, kSynopsis, kFooter, SSR_VERSION_STRING);
  app.add_option("OUT.pcap", outputs, "the pcap file to write")->type_name("");
  if (std::optional<int> code = ssr::cli::Parse(app, argc, argv)) return *code;
  if (outputs.size() != 1) {
    return ssr::cli::UsageError(
        "ssr-pcap", outputs.empty() ? "no OUT.pcap given" : "give exactly one OUT.pcap");
  }
  const std::string path = outputs[0];
  if (path.empty()) return ssr::cli::UsageError("ssr-pcap", "OUT.pcap is empty");
  const std::vector<uint8_t> dns_query = {0x12, 0x34, 0x01, 0x00};
  std::vector<uint8_t> cookie_payload = {0x4C, 0x48, 0xDB, 0xC6, 0xDD, 0xF6, 0x67, 0x0C, 0x99};

  PacketSpec wan;  // waypoint 198.51.100.10:16400 -> 203.0.113.20:16401 (§2.1)
  wan.src = Ip("198.51.100.10");
  wan.dst = Ip("203.0.113.20");
  wan.src_port = 16400;
  wan.dst_port = 16401;
  wan.payload = dns_query;

  Metadata forward;
  forward.security_id = 1;
  forward.Set(TlvField::kSecurityId);
  forward.SetForwardContext({Ip("10.1.1.10"), Ip("8.8.8.8"), 40000, 53, 17});
  forward.tenant_name = Metadata::AsBytes("blue");
  forward.Set(TlvField::kTenantName);
  forward.service_name = Metadata::AsBytes("dns");
  forward.Set(TlvField::kServiceName);
  forward.session_uuid = kUuid;
  forward.Set(TlvField::kSessionUuid);
  forward.source_router_name = Metadata::AsBytes("branch");
  forward.Set(TlvField::kSourceRouterName);
  forward.peer_path_id = Metadata::AsBytes("wan0");
  forward.Set(TlvField::kPeerPathId);

  PacketSpec reverse = wan;
  std::swap(reverse.src, reverse.dst);
  std::swap(reverse.src_port, reverse.dst_port);
  Metadata back;
  back.security_id = 1;
  back.Set(TlvField::kSecurityId);
  back.SetReverseContext({Ip("8.8.8.8"), Ip("10.1.1.10"), 53, 40000, 17});
  back.session_uuid = kUuid;
  back.Set(TlvField::kSessionUuid);
  back.Set(TlvField::kDisableForwardMetadata);
  back.source_router_name = Metadata::AsBytes("datacenter");
  back.Set(TlvField::kSourceRouterName);

  PacketSpec false_positive = wan;
  false_positive.payload = cookie_payload;
  std::vector<uint8_t> marker(ssr::svr::kMetadataHeaderSize);
  ssr::svr::WriteFalsePositiveMarker(marker);
  const std::vector<uint8_t> fp_frame = FrameWith(false_positive, marker);

  PacketSpec syn = wan;
  syn.protocol = ssr::packet::kIpProtoTcp;
  syn.tcp_flags = ssr::packet::kTcpSyn;
  syn.src_port = 16402;
  syn.dst_port = 16403;
  syn.payload = {};
  Metadata syn_md = forward;
  syn_md.SetForwardContext({Ip("10.1.1.10"), Ip("10.20.1.10"), 40001, 443, 6});
  syn_md.service_name = Metadata::AsBytes("crm");

  Metadata control;
  control.control_message = static_cast<uint8_t>(ssr::svr::ControlMessage::kDeleteSession);
  control.Set(TlvField::kControlMessage);
  control.security_id = 1;
  control.Set(TlvField::kSecurityId);
  control.session_uuid = kUuid;
  control.Set(TlvField::kSessionUuid);
  PacketSpec control_spec = wan;
  control_spec.payload = {};

  const std::vector<std::vector<uint8_t>> frames = {
      Frame(wan, &forward), Frame(reverse, &back),        Frame(wan, nullptr), fp_frame,
      Frame(syn, &syn_md),  Frame(control_spec, &control)};
  auto writer = ssr::util::PcapWriter::Create(path);
  if (!writer.ok()) {
    std::fprintf(stderr, "ssr-pcap: %s\n", std::string(writer.status().message()).c_str());
    return 1;
  }
  uint64_t ts = 1'700'000'000'000'000ULL;
  for (const auto& f : frames) {
    if (f.empty()) {
      std::fprintf(stderr, "ssr-pcap: failed to build a packet\n");
      return 1;
    }
    if (auto s = (*writer)->Write(f, ts += 1000); !s.ok()) {
      std::fprintf(stderr, "ssr-pcap: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  if (auto s = (*writer)->Close(); !s.ok()) {
    std::fprintf(stderr, "ssr-pcap: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("wrote %zu packets to %s\n", frames.size(), path.c_str());
  return 0;
}
