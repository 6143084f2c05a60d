// SPDX-License-Identifier: Apache-2.0
// Minimal pcap (libpcap classic format, microsecond timestamps, LINKTYPE_ETHERNET) writer, so
// encoded SVR packets can be opened in Wireshark/tshark. Not for the hot path: it uses stdio.
#ifndef SSR_UTIL_PCAP_WRITER_H_
#define SSR_UTIL_PCAP_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ssr::util {

inline constexpr uint32_t kPcapMagic = 0xa1b2c3d4;     // microsecond timestamps
inline constexpr uint32_t kLinkTypeEthernet = 1;
inline constexpr uint32_t kPcapSnapLength = 65535;

class PcapWriter {
 public:
  // Creates (truncates) `path` and writes the global header.
  static absl::StatusOr<std::unique_ptr<PcapWriter>> Create(const std::string& path);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends one Ethernet frame with the given timestamp (microseconds since the epoch). Frames
  // longer than the snap length are truncated in the file (orig_len keeps the real length).
  absl::Status Write(std::span<const uint8_t> frame, uint64_t timestamp_us);
  // Flushes and closes; further writes fail. Called by the destructor if not called before.
  absl::Status Close();

  size_t packets_written() const { return packets_; }

 private:
  PcapWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;
  std::string path_;
  size_t packets_ = 0;
};

}  // namespace ssr::util

#endif  // SSR_UTIL_PCAP_WRITER_H_
