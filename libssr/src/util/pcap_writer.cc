// SPDX-License-Identifier: Apache-2.0
#include "util/pcap_writer.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ssr::util {
namespace {
// pcap headers are written in host byte order; readers detect it from the magic number.
template <typename T>
void Put(std::FILE* f, T v, bool* ok) {
  *ok = *ok && std::fwrite(&v, sizeof v, 1, f) == 1;
}
}  // namespace

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::Create(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("pcap: cannot create \"", path, "\": ", std::strerror(errno)));
  }
  bool ok = true;
  Put<uint32_t>(f, kPcapMagic, &ok);
  Put<uint16_t>(f, 2, &ok);  // version 2.4
  Put<uint16_t>(f, 4, &ok);
  Put<int32_t>(f, 0, &ok);   // thiszone
  Put<uint32_t>(f, 0, &ok);  // sigfigs
  Put<uint32_t>(f, kPcapSnapLength, &ok);
  Put<uint32_t>(f, kLinkTypeEthernet, &ok);
  if (!ok) {
    std::fclose(f);
    return absl::DataLossError(absl::StrCat("pcap: cannot write header to \"", path, "\""));
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(f, path));
}

PcapWriter::~PcapWriter() { (void)Close(); }

absl::Status PcapWriter::Write(std::span<const uint8_t> frame, uint64_t timestamp_us) {
  if (file_ == nullptr) return absl::FailedPreconditionError("pcap: writer is closed");
  const uint32_t captured =
      frame.size() > kPcapSnapLength ? kPcapSnapLength : static_cast<uint32_t>(frame.size());
  bool ok = true;
  Put<uint32_t>(file_, static_cast<uint32_t>(timestamp_us / 1000000), &ok);
  Put<uint32_t>(file_, static_cast<uint32_t>(timestamp_us % 1000000), &ok);
  Put<uint32_t>(file_, captured, &ok);
  Put<uint32_t>(file_, static_cast<uint32_t>(frame.size()), &ok);
  ok = ok && (captured == 0 || std::fwrite(frame.data(), 1, captured, file_) == captured);
  if (!ok) return absl::DataLossError(absl::StrCat("pcap: write to \"", path_, "\" failed"));
  ++packets_;
  return absl::OkStatus();
}

absl::Status PcapWriter::Close() {
  if (file_ == nullptr) return absl::OkStatus();
  const bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok) return absl::DataLossError(absl::StrCat("pcap: closing \"", path_, "\" failed"));
  return absl::OkStatus();
}

}  // namespace ssr::util
