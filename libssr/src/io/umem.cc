// SPDX-License-Identifier: Apache-2.0
#include "io/umem.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <xdp/xsk.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "io/bpf_log.h"
#include "ssr/log.h"

namespace ssr::io {
namespace {

bool IsPowerOfTwo(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

uint64_t CurrentNetnsInode() {
  struct stat st {};
  if (stat("/proc/thread-self/ns/net", &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

absl::StatusOr<std::unique_ptr<Umem>> Umem::Create(const UmemOptions& options) {
  RouteBpfLibraryLogs();
  if (options.frame_size != 2048 && options.frame_size != 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("umem.frame_size: ", options.frame_size, " must be 2048 or 4096"));
  }
  if (options.frame_count < 2 * kMaxBurst) {
    return absl::InvalidArgumentError(absl::StrCat("umem.frame_count: ", options.frame_count,
                                                   " is below the minimum of ", 2 * kMaxBurst));
  }
  if (!IsPowerOfTwo(options.fill_ring_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("umem.fill_ring_size: ", options.fill_ring_size, " is not a power of two"));
  }
  if (!IsPowerOfTwo(options.completion_ring_size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "umem.completion_ring_size: ", options.completion_ring_size, " is not a power of two"));
  }
  const size_t size = static_cast<size_t>(options.frame_count) * options.frame_size;
  void* area = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (area == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("umem: mmap of ", size, " bytes failed: ", std::strerror(errno)));
  }
  // From here the Umem owns the mapping (its destructor unmaps it).
  std::unique_ptr<Umem> umem(new Umem(options, static_cast<uint8_t*>(area), size));
  const xsk_umem_config config = {
      .fill_size = options.fill_ring_size,
      .comp_size = options.completion_ring_size,
      .frame_size = options.frame_size,
      .frame_headroom = 0,
      .flags = 0,
  };
  const int err =
      xsk_umem__create(&umem->umem_, area, size, umem->fill_.get(), umem->comp_.get(), &config);
  if (err != 0) {
    umem->umem_ = nullptr;
    return absl::UnavailableError(absl::StrCat("umem: xsk_umem__create (", options.frame_count,
                                               " frames of ", options.frame_size,
                                               " bytes) failed: ", std::strerror(-err)));
  }
  umem->netns_inode_ = CurrentNetnsInode();
  return umem;
}

Umem::Umem(const UmemOptions& options, uint8_t* area, size_t area_size)
    : options_(options),
      area_(area),
      area_size_(area_size),
      frame_mask_(options.frame_size - 1),
      fill_(std::make_unique<xsk_ring_prod>()),
      comp_(std::make_unique<xsk_ring_cons>()) {
  free_.reserve(options.frame_count);
  // Highest address at the bottom so the first frames handed out are the lowest ones.
  for (uint32_t i = options.frame_count; i > 0; --i) {
    free_.push_back(static_cast<uint64_t>(i - 1) * options.frame_size);
  }
}

Umem::~Umem() {
  if (umem_ != nullptr) {
    const int err = xsk_umem__delete(umem_);
    if (err != 0) {
      // A socket still uses the area: the kernel may write into it, so neither free the libxdp
      // handle nor unmap. This is a programming error (ports must die first); leak loudly.
      Log(LogSeverity::kError, "io",
          absl::StrCat("Umem destroyed while ", sockets_,
                       " AF_XDP socket(s) still use it; leaking the area: ", std::strerror(-err)));
      return;
    }
  }
  munmap(area_, area_size_);
}

size_t Umem::Allocate(std::span<Frame> out) {
  const size_t n = out.size() < free_.size() ? out.size() : free_.size();
  for (size_t i = 0; i < n; ++i) {
    const uint64_t base = free_.back();
    free_.pop_back();
    out[i] = FrameAt(base + kFrameHeadroom, 0);
  }
  return n;
}

void Umem::Free(std::span<const Frame> frames) {
  for (const Frame& f : frames) PushFree(f.handle);
}

}  // namespace ssr::io
