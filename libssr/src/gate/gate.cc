// SPDX-License-Identifier: Apache-2.0
#include "gate/gate.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gate/v4_summary.h"
#include "gate/v6_summary.h"
#include "io/bpf_log.h"
#include "ssr/ssr_gate.skel.h"

namespace ssr::gate {
namespace {

// Layout checks: the C++ view of every shared struct is the one the BPF object was built with
// (the load-time check below compares against the object's BTF-derived map sizes).
static_assert(sizeof(ssr_gate_state) == 8);
static_assert(sizeof(ssr_iface_key) == 8 && sizeof(ssr_iface_value) == 8);
static_assert(sizeof(ssr_tenant_key) == 4 + SSR_GATE_TENANT_SCOPE_BITS / 8 + 16);
static_assert(sizeof(ssr_tenant_value) == 4);
static_assert(sizeof(ssr_service_key) == 4 + SSR_GATE_SERVICE_SCOPE_BITS / 8 + 16);
static_assert(sizeof(ssr_service_rule) == 8);
static_assert(sizeof(ssr_service_value) == 8 + 8 * SSR_GATE_MAX_SERVICE_RULES);
static_assert(sizeof(ssr_access_value) == SSR_GATE_MAX_TENANTS / 8);
static_assert(SSR_GATE_MAX_TENANTS % 64 == 0);
static_assert(sizeof(ssr_peer_key) == 20 && sizeof(ssr_peer_value) == 4);
static_assert(sizeof(ssr_local_key) == 20 && sizeof(ssr_port_range) == 4 &&
              sizeof(ssr_local_value) == 16 + 4 * SSR_GATE_MAX_LOCAL_WAYPOINT_RANGES);
static_assert(sizeof(ssr_gate_counter) == 16);
static_assert(SSR_GATE_MAX_INTERFACES <= 64);

// How long Update waits between flipping the generation and deleting the old one. An XDP program
// runs to completion inside one NAPI poll (microseconds); this is orders of magnitude more.
constexpr auto kGenerationGrace = std::chrono::milliseconds(10);

std::string ErrnoText(int err) { return std::strerror(err < 0 ? -err : err); }

absl::Status ErrnoStatus(int err, std::string_view what) {
  err = err < 0 ? -err : err;
  const std::string msg = absl::StrCat("gate: ", std::string(what), ": ", ErrnoText(err));
  switch (err) {
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(
          absl::StrCat(msg, " (needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)"));
    case E2BIG:
    case ENOSPC:
    case ENOMEM:
      return absl::ResourceExhaustedError(msg);
    case ENODEV:
    case ENOENT:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

absl::Status CheckMap(const bpf_map* map, const char* expected_name, size_t key_size,
                      size_t value_size) {
  if (map == nullptr) return absl::InternalError(absl::StrCat("gate: map ", expected_name,
                                                              " missing from the object"));
  const std::string_view name = bpf_map__name(map);
  if (name != expected_name) {
    return absl::InternalError(absl::StrCat("gate: map \"", std::string(name),
                                            "\" where bpf_shared.h names \"", expected_name,
                                            "\""));
  }
  if (bpf_map__key_size(map) != key_size || bpf_map__value_size(map) != value_size) {
    return absl::InternalError(absl::StrCat(
        "gate: map ", expected_name, " has key/value sizes ", bpf_map__key_size(map), "/",
        bpf_map__value_size(map), " in the BPF object but ", key_size, "/", value_size,
        " in bpf_shared.h (rebuild both sides)"));
  }
  return absl::OkStatus();
}

template <typename K, typename V>
absl::Status Put(const bpf_map* map, const K& key, const V& value, const char* what) {
  if (bpf_map_update_elem(bpf_map__fd(map), &key, &value, BPF_ANY) != 0) {
    return ErrnoStatus(errno, absl::StrCat("writing ", what, " entry into ", bpf_map__name(map)));
  }
  return absl::OkStatus();
}

template <typename K>
void Remove(const bpf_map* map, const K& key) {
  // ENOENT is fine: the entry may never have been written (failed update).
  bpf_map_delete_elem(bpf_map__fd(map), &key);
}

template <typename K>
K WithGen(K key, uint32_t gen) {
  key.gen = static_cast<uint8_t>(gen);
  return key;
}

uint32_t AccessKey(uint32_t service, uint32_t gen) { return gen * SSR_GATE_MAX_SERVICES + service; }

}  // namespace

absl::StatusOr<std::unique_ptr<Gate>> Gate::Load(GateContents contents,
                                                 const GateOptions& options) {
  io::RouteBpfLibraryLogs();
  auto gate = std::unique_ptr<Gate>(new Gate());
  gate->skel_ = ssr_gate__open();
  if (gate->skel_ == nullptr) return ErrnoStatus(errno, "opening the embedded BPF object");
  gate->skel_->rodata->ssr_liveness_port = options.liveness_port;
  gate->skel_->rodata->ssr_unknown_ifindex_action =
      options.pass_unknown_interfaces ? XDP_PASS : XDP_DROP;

  const auto& m = gate->skel_->maps;
  for (absl::Status s : {
           CheckMap(m.ssr_state, SSR_GATE_MAP_STATE, sizeof(uint32_t), sizeof(ssr_gate_state)),
           CheckMap(m.ssr_ifaces, SSR_GATE_MAP_IFACES, sizeof(ssr_iface_key),
                    sizeof(ssr_iface_value)),
           CheckMap(m.ssr_iface_arr, SSR_GATE_MAP_IFACE_ARRAY, sizeof(uint32_t),
                    sizeof(ssr_iface_value)),
           CheckMap(m.ssr_tenants, SSR_GATE_MAP_TENANTS, sizeof(ssr_tenant_key),
                    sizeof(ssr_tenant_value)),
           CheckMap(m.ssr_services, SSR_GATE_MAP_SERVICES, sizeof(ssr_service_key),
                    sizeof(ssr_service_value)),
           CheckMap(m.ssr_access, SSR_GATE_MAP_ACCESS, sizeof(uint32_t),
                    sizeof(ssr_access_value)),
           CheckMap(m.ssr_peers, SSR_GATE_MAP_PEERS, sizeof(ssr_peer_key),
                    sizeof(ssr_peer_value)),
           CheckMap(m.ssr_locals, SSR_GATE_MAP_LOCALS, sizeof(ssr_local_key),
                    sizeof(ssr_local_value)),
           CheckMap(m.ssr_counters, SSR_GATE_MAP_COUNTERS, sizeof(uint32_t),
                    sizeof(ssr_gate_counter)),
           CheckMap(m.ssr_xsks, SSR_GATE_MAP_XSKS, sizeof(uint32_t), sizeof(uint32_t)),
           CheckMap(m.ssr_v4_sources, SSR_GATE_MAP_V4_SOURCES, sizeof(uint32_t),
                    sizeof(uint64_t)),
           CheckMap(m.ssr_v4_locals, SSR_GATE_MAP_V4_LOCALS, sizeof(uint32_t), sizeof(uint64_t)),
           CheckMap(m.ssr_v6_sources, SSR_GATE_MAP_V6_SOURCES, sizeof(uint32_t),
                    sizeof(uint64_t)),
           CheckMap(m.ssr_v6_locals, SSR_GATE_MAP_V6_LOCALS, sizeof(uint32_t), sizeof(uint64_t)),
       }) {
    if (!s.ok()) return s;
  }
  if (std::string_view(bpf_program__name(gate->skel_->progs.ssr_gate)) != SSR_GATE_PROGRAM) {
    return absl::InternalError("gate: program name differs from bpf_shared.h");
  }

  if (int err = ssr_gate__load(gate->skel_); err != 0) {
    if (err == -EACCES || err == -EPERM) {
      // Both "no permission" and "the verifier rejected the program" come back as EACCES/EPERM.
      // If a plain map can be created, BPF is permitted and the verifier said no.
      const int probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ssr_probe", 4, 4, 1, nullptr);
      if (probe >= 0) {
        close(probe);
        return absl::InternalError(absl::StrCat(
            "gate: the kernel verifier rejected the XDP gate program (", ErrnoText(err),
            "; the verifier output is in the log, component \"libbpf\")"));
      }
    }
    return ErrnoStatus(err, "loading the XDP gate program");
  }
  // The summaries are written in place through a shared mapping (2 MiB per generation) instead
  // of 2^18 map updates per reload.
  static_assert(kV4SummaryBytes == SSR_GATE_V6_SUMMARY_WORDS * sizeof(uint64_t));
  for (auto [map, out] : {std::pair{m.ssr_v4_sources, &gate->v4_sources_},
                          std::pair{m.ssr_v4_locals, &gate->v4_locals_},
                          std::pair{m.ssr_v6_sources, &gate->v6_sources_},
                          std::pair{m.ssr_v6_locals, &gate->v6_locals_}}) {
    void* p = mmap(nullptr, kV4SummaryBytes * SSR_GATE_GENERATIONS, PROT_READ | PROT_WRITE,
                   MAP_SHARED, bpf_map__fd(map), 0);
    if (p == MAP_FAILED) {
      return ErrnoStatus(errno, absl::StrCat("mapping ", bpf_map__name(map), " into memory"));
    }
    *out = static_cast<uint64_t*>(p);
  }
  if (absl::Status s = gate->WriteGeneration(contents, 0); !s.ok()) return s;
  if (absl::Status s = gate->SetGeneration(0); !s.ok()) return s;
  gate->contents_ = std::move(contents);
  return gate;
}

Gate::~Gate() {
  for (Attachment& a : attachments_) {
    if (a.program != nullptr) {
      if (a.attached) {
        xdp_program__detach(a.program, a.ifindex,
                            a.mode == XdpMode::kSkb ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
      }
      xdp_program__close(a.program);
    }
  }
  for (uint64_t* summary : {v4_sources_, v4_locals_, v6_sources_, v6_locals_}) {
    if (summary != nullptr) munmap(summary, kV4SummaryBytes * SSR_GATE_GENERATIONS);
  }
  ssr_gate__destroy(skel_);
}

absl::StatusOr<uint32_t> Gate::XskMapKey(std::string_view name, uint32_t queue) const {
  for (const Attachment& a : attachments_) {
    if (a.name != name) continue;
    if (queue >= SSR_GATE_MAX_QUEUES) {
      return absl::InvalidArgumentError(absl::StrCat("gate: receive queue ", queue, " of \"",
                                                     a.name, "\" is beyond the gate's ",
                                                     SSR_GATE_MAX_QUEUES, " queues"));
    }
    return uint32_t{a.xsk_slot} * SSR_GATE_MAX_QUEUES + queue;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "gate: interface \"", std::string(name), "\" is not attached or registered"));
}

absl::Status Gate::AddSocket(std::string_view name, uint32_t queue, int xsk_fd) {
  absl::StatusOr<uint32_t> key = XskMapKey(name, queue);
  if (!key.ok()) return key.status();
  const uint32_t fd = static_cast<uint32_t>(xsk_fd);
  if (bpf_map_update_elem(xskmap_fd(), &*key, &fd, BPF_ANY) != 0) {
    return ErrnoStatus(errno, absl::StrCat("adding the AF_XDP socket of \"", std::string(name),
                                           "\" queue ", queue, " to ", SSR_GATE_MAP_XSKS));
  }
  return absl::OkStatus();
}

absl::Status Gate::RemoveSocket(std::string_view name, uint32_t queue) {
  absl::StatusOr<uint32_t> key = XskMapKey(name, queue);
  if (!key.ok()) return key.status();
  if (bpf_map_delete_elem(xskmap_fd(), &*key) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("removing the AF_XDP socket of \"",
                                           std::string(name), "\" queue ", queue));
  }
  return absl::OkStatus();
}

int Gate::xskmap_fd() const { return bpf_map__fd(skel_->maps.ssr_xsks); }
int Gate::MapFd(const char* name) const {
  return bpf_object__find_map_fd_by_name(skel_->obj, name);
}
int Gate::program_fd() const { return bpf_program__fd(skel_->progs.ssr_gate); }

Gate::Attachment* Gate::FindAttachment(std::string_view name) {
  for (Attachment& a : attachments_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

absl::Status Gate::WriteInterface(const Attachment& a, const GateContents& contents,
                                  uint32_t gen) {
  const GateInterface* itf = contents.FindInterface(a.name);
  if (itf == nullptr) return absl::OkStatus();  // not in this config: stays unmapped
  ssr_iface_value value = itf->value;
  value.xsk_slot = a.xsk_slot;
  return PutInterface(static_cast<uint32_t>(a.ifindex), gen, value);
}

absl::Status Gate::PutInterface(uint32_t ifindex, uint32_t gen, const ssr_iface_value& value) {
  if (ifindex < SSR_GATE_IFINDEX_DIRECT) {
    return Put(skel_->maps.ssr_iface_arr, gen * SSR_GATE_IFINDEX_DIRECT + ifindex, value,
               "interface");
  }
  ssr_iface_key key{};
  key.ifindex = ifindex;
  key.gen = gen;
  return Put(skel_->maps.ssr_ifaces, key, value, "interface");
}

void Gate::RemoveInterface(uint32_t ifindex, uint32_t gen) {
  if (ifindex < SSR_GATE_IFINDEX_DIRECT) {
    // Array entries cannot be deleted: role 0 is "no interface".
    (void)Put(skel_->maps.ssr_iface_arr, gen * SSR_GATE_IFINDEX_DIRECT + ifindex,
              ssr_iface_value{}, "interface");
    return;
  }
  ssr_iface_key key{};
  key.ifindex = ifindex;
  key.gen = gen;
  Remove(skel_->maps.ssr_ifaces, key);
}

absl::Status Gate::RegisterInterface(std::string_view name) {
  if (FindAttachment(name) != nullptr) return absl::OkStatus();
  const std::string n(name);
  if (contents_.FindInterface(name) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("gate: interface \"", n, "\" is not an interface of the router"));
  }
  const unsigned ifindex = if_nametoindex(n.c_str());
  if (ifindex == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("gate: interface \"", n, "\" not found in this network namespace"));
  }
  Attachment a;
  a.name = n;
  a.ifindex = static_cast<int>(ifindex);
  // Lowest free block of the XSKMAP; stable while the interface stays registered.
  for (uint16_t slot = 0;; ++slot) {
    if (slot >= SSR_GATE_MAX_XSK_INTERFACES) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "gate: cannot register interface \"", n, "\": the gate serves at most ",
          SSR_GATE_MAX_XSK_INTERFACES, " interfaces"));
    }
    if (std::none_of(attachments_.begin(), attachments_.end(),
                     [&](const Attachment& b) { return b.xsk_slot == slot; })) {
      a.xsk_slot = slot;
      break;
    }
  }
  if (absl::Status s = WriteInterface(a, contents_, generation_); !s.ok()) return s;
  attachments_.push_back(std::move(a));
  return absl::OkStatus();
}

absl::StatusOr<XdpMode> Gate::Attach(std::string_view name, XdpMode mode) {
  if (Attachment* existing = FindAttachment(name); existing != nullptr && existing->attached) {
    return absl::FailedPreconditionError(
        absl::StrCat("gate: already attached to interface \"", std::string(name), "\""));
  }
  if (absl::Status s = RegisterInterface(name); !s.ok()) return s;
  Attachment* a = FindAttachment(name);

  xdp_program* prog = xdp_program__from_bpf_obj(skel_->obj, nullptr);
  if (prog == nullptr || libxdp_get_error(prog) != 0) {
    const long err = prog == nullptr ? -errno : libxdp_get_error(prog);
    return ErrnoStatus(static_cast<int>(err), "wrapping the gate program for libxdp");
  }
  std::vector<XdpMode> modes;
  if (mode == XdpMode::kAuto || mode == XdpMode::kNative) modes.push_back(XdpMode::kNative);
  if (mode == XdpMode::kAuto || mode == XdpMode::kSkb) modes.push_back(XdpMode::kSkb);
  std::string errors;
  for (XdpMode m : modes) {
    const int err = xdp_program__attach(prog, a->ifindex,
                                        m == XdpMode::kSkb ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
    if (err == 0) {
      a->program = prog;
      a->attached = true;
      a->mode = m;
      return m;
    }
    absl::StrAppend(&errors, errors.empty() ? "" : "; ", std::string(io::XdpModeName(m)), ": ",
                    ErrnoText(err));
  }
  xdp_program__close(prog);
  return absl::UnavailableError(absl::StrCat("gate: attaching to interface \"", std::string(name),
                                             "\" failed (", errors, ")"));
}

absl::Status Gate::Detach(std::string_view name) {
  auto it = std::find_if(attachments_.begin(), attachments_.end(),
                         [&](const Attachment& a) { return a.name == name; });
  if (it == attachments_.end()) {
    return absl::NotFoundError(
        absl::StrCat("gate: interface \"", std::string(name), "\" is not attached"));
  }
  absl::Status status;
  if (it->program != nullptr) {
    if (it->attached) {
      const int err = xdp_program__detach(
          it->program, it->ifindex, it->mode == XdpMode::kSkb ? XDP_MODE_SKB : XDP_MODE_NATIVE,
          0);
      if (err != 0) status = ErrnoStatus(err, absl::StrCat("detaching from \"", it->name, "\""));
    }
    xdp_program__close(it->program);
  }
  for (uint32_t gen = 0; gen < SSR_GATE_GENERATIONS; ++gen) {
    RemoveInterface(static_cast<uint32_t>(it->ifindex), gen);
  }
  for (uint32_t q = 0; q < SSR_GATE_MAX_QUEUES; ++q) {
    Remove(skel_->maps.ssr_xsks, static_cast<uint32_t>(it->xsk_slot * SSR_GATE_MAX_QUEUES + q));
  }
  attachments_.erase(it);
  return status;
}

absl::Status Gate::WriteGeneration(const GateContents& c, uint32_t gen) {
  const auto& m = skel_->maps;
  for (const Attachment& a : attachments_) {
    if (absl::Status s = WriteInterface(a, c, gen); !s.ok()) return s;
  }
  for (const auto& e : c.tenants) {
    if (absl::Status s = Put(m.ssr_tenants, WithGen(e.key, gen), e.value, "tenant"); !s.ok()) {
      return s;
    }
  }
  for (const auto& e : c.services) {
    if (absl::Status s = Put(m.ssr_services, WithGen(e.key, gen), e.value, "service"); !s.ok()) {
      return s;
    }
  }
  for (const auto& e : c.access) {
    if (absl::Status s = Put(m.ssr_access, AccessKey(e.key, gen), e.value, "access"); !s.ok()) {
      return s;
    }
  }
  for (const auto& e : c.peers) {
    if (absl::Status s = Put(m.ssr_peers, WithGen(e.key, gen), e.value, "peer"); !s.ok()) {
      return s;
    }
  }
  for (const auto& e : c.locals) {
    if (absl::Status s = Put(m.ssr_locals, WithGen(e.key, gen), e.value, "local"); !s.ok()) {
      return s;
    }
  }
  // This generation is not live yet (or not any more): no packet reads these words now.
  FillV4Summaries(c, {v4_sources_ + size_t{gen} * kV4SummaryWords, kV4SummaryWords},
                  {v4_locals_ + size_t{gen} * kV4SummaryWords, kV4SummaryWords});
  FillV6Summaries(c, {v6_sources_ + size_t{gen} * kV6SummaryWords, kV6SummaryWords},
                  {v6_locals_ + size_t{gen} * kV6SummaryWords, kV6SummaryWords});
  return absl::OkStatus();
}

absl::Status Gate::DeleteGeneration(const GateContents& c, uint32_t gen,
                                    size_t access_slots_in_use) {
  const auto& m = skel_->maps;
  for (const Attachment& a : attachments_) RemoveInterface(static_cast<uint32_t>(a.ifindex), gen);
  for (const auto& e : c.tenants) Remove(m.ssr_tenants, WithGen(e.key, gen));
  for (const auto& e : c.services) Remove(m.ssr_services, WithGen(e.key, gen));
  for (const auto& e : c.peers) Remove(m.ssr_peers, WithGen(e.key, gen));
  for (const auto& e : c.locals) Remove(m.ssr_locals, WithGen(e.key, gen));
  std::memset(v4_sources_ + size_t{gen} * kV4SummaryWords, 0, kV4SummaryBytes);
  std::memset(v4_locals_ + size_t{gen} * kV4SummaryWords, 0, kV4SummaryBytes);
  std::memset(v6_sources_ + size_t{gen} * kV6SummaryWords, 0, kV4SummaryBytes);
  std::memset(v6_locals_ + size_t{gen} * kV6SummaryWords, 0, kV4SummaryBytes);
  // Array entries cannot be deleted: clear them, so a stale bit can never come back.
  const ssr_access_value zero{};
  for (size_t s = 0; s < access_slots_in_use; ++s) {
    if (absl::Status st = Put(m.ssr_access, AccessKey(static_cast<uint32_t>(s), gen), zero,
                              "access");
        !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

absl::Status Gate::SetGeneration(uint32_t gen) {
  ssr_gate_state state{};
  state.gen = gen;
  const uint32_t zero = 0;
  return Put(skel_->maps.ssr_state, zero, state, "state");
}

absl::Status Gate::Update(GateContents contents) {
  const uint32_t next = generation_ ^ 1u;
  // 1. The complete new generation beside the live one.
  if (absl::Status s = WriteGeneration(contents, next); !s.ok()) {
    (void)DeleteGeneration(contents, next, contents.access.size());
    return s;
  }
  // 2. One write makes it live.
  if (absl::Status s = SetGeneration(next); !s.ok()) {
    (void)DeleteGeneration(contents, next, contents.access.size());
    return s;
  }
  // 3. Packets that read the old generation finish, then the old generation goes.
  std::this_thread::sleep_for(kGenerationGrace);
  const uint32_t old = generation_;
  generation_ = next;
  GateContents previous = std::move(contents_);
  contents_ = std::move(contents);
  return DeleteGeneration(previous, old, previous.access.size());
}

absl::StatusOr<std::vector<GateCounter>> Gate::ReadCounters() const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return ErrnoStatus(cpus, "counting possible CPUs");
  std::vector<ssr_gate_counter> per_cpu(static_cast<size_t>(cpus));
  std::vector<GateCounter> out;
  out.reserve(SSR_GATE_REASON_COUNT);
  const int fd = bpf_map__fd(skel_->maps.ssr_counters);
  for (uint32_t r = 0; r < SSR_GATE_REASON_COUNT; ++r) {
    if (bpf_map_lookup_elem(fd, &r, per_cpu.data()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("reading counter ", ssr_gate_reason_name(r)));
    }
    GateCounter c;
    c.reason = static_cast<ssr_gate_reason>(r);
    c.name = ssr_gate_reason_name(r);
    c.help = ssr_gate_reason_help(r);
    c.is_drop = ssr_gate_reason_is_drop(r) != 0;
    for (const ssr_gate_counter& v : per_cpu) {
      c.packets += v.packets;
      c.bytes += v.bytes;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace ssr::gate
