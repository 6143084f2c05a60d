// SPDX-License-Identifier: Apache-2.0
// ssr-impair: a WAN impairment relay between two interfaces (delay, jitter, loss, burst loss, rate
// limit, link up/down), controlled while it runs through a Unix socket. Usage, control commands,
// counters and limits: tools/ssr_impair/README.md (and `ssr-impair --help`).
//
// One thread, one epoll loop: two AF_PACKET sockets (PACKET_VNET_HDR, so checksum-offloaded and
// GSO frames of veths are relayed intact), a signalfd, the control socket; the wait times out at
// the earliest due frame (epoll_pwait2, nanoseconds; timer slack 1 us). Frames live in a fixed
// pool of slots allocated at start; the per-frame path allocates nothing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "impair_core.h"
#include "ssr/version.h"

namespace {

using ssr::impair::DirectionParams;
using ssr::impair::ImpairCounter;
using ssr::impair::Link;
using ssr::impair::PopResult;
using ssr::impair::Scheduled;
using ssr::impair::Verdict;

// struct virtio_net_hdr of <linux/virtio_net.h>, which C++ cannot include (a member is named
// `class`). PACKET_VNET_HDR puts it before every frame read or written.
struct VnetHdr {
  uint8_t flags;
  uint8_t gso_type;  // 0 = VIRTIO_NET_HDR_GSO_NONE
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(VnetHdr) == 10);
constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM

constexpr size_t kBatch = 64;
constexpr size_t kVnetHdr = sizeof(VnetHdr);
constexpr size_t kMaxConns = 8;

constexpr char kUsage[] =
    "usage: ssr-impair [options] IFACE_A IFACE_B\n"
    "       ssr-impair ctl SOCKET COMMAND...\n"
    "Relays Ethernet frames both ways between IFACE_A and IFACE_B (AF_PACKET, promiscuous) and\n"
    "impairs each direction (a2b: received on IFACE_A, sent on IFACE_B; b2a: the reverse).\n"
    "Options that set both directions:\n"
    "  --delay MS         fixed one-way delay in ms (microsecond resolution; default 0)\n"
    "  --jitter MS        jitter in ms: uniform in [delay-jitter, delay+jitter], or with\n"
    "                     --dist normal the standard deviation (cut at 4 sigma); never below 0\n"
    "  --dist uniform|normal\n"
    "  --loss PCT         random loss in percent (0..100)\n"
    "  --ge P,R[,LB[,LG]] Gilbert-Elliott burst loss, percent: P good->bad, R bad->good,\n"
    "                     LB loss in bad (default 100), LG loss in good (default 0); 'off'\n"
    "  --rate MBIT        rate limit in Mbit/s (0 = unlimited); excess waits in the queue\n"
    "  --reorder          let jitter reorder frames (default: order kept)\n"
    "  --down             start with the link down (every frame dropped)\n"
    "  --a2b SETTINGS     settings for one direction only, after the ones above, as\n"
    "  --b2a SETTINGS     space-separated key=value: delay= jitter= dist= loss= ge= rate=\n"
    "                     reorder=on|off state=up|down (e.g. --a2b 'delay=30 loss=1')\n"
    "Other options:\n"
    "  --control PATH     Unix control socket (SOCK_SEQPACKET) for `ssr-impair ctl`\n"
    "  --queue N          frames held per direction (default 8192); full -> dropped_overflow\n"
    "  --max-frame BYTES  largest frame relayed (default 65550: GSO super-frames of veths)\n"
    "  --seed N           random seed (default: from the clock)\n"
    "  -h, --help         this text\n"
    "  --version          \"ssr-impair VERSION\" (the libssr version), exit 0\n"
    "Control commands (ssr-impair ctl SOCKET ...; DIR is a2b, b2a or both, default both):\n"
    "  down [DIR] | up [DIR]          cut / restore the link (queued frames are lost when due)\n"
    "  set [DIR] KEY=VALUE...         change settings (same keys as --a2b)\n"
    "  stats [DIR] | show [DIR]       counters / settings, one line per direction\n"
    "  reset [DIR]                    zero the counters\n"
    "Signals: SIGINT/SIGTERM stop (counters printed on stdout), SIGUSR1 prints the counters.\n"
    "Exit status: 0 stopped by a signal, 1 runtime error (interface, socket, permission),\n"
    "2 bad usage. ctl: 0 reply ok, 1 error reply or no relay at SOCKET, 2 bad usage.\n";

uint64_t NowNs() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ULL + static_cast<uint64_t>(t.tv_nsec);
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Fixed pool of frame slots (vnet header + frame), mmap'ed once; only touched pages use memory.
class FramePool {
 public:
  bool Init(size_t slots, size_t slot_size, std::string* error) {
    slot_size_ = (slot_size + 63) & ~size_t{63};
    bytes_ = slots * slot_size_;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      *error = Errno("mmap of the frame pool (" + std::to_string(bytes_) + " bytes)");
      return false;
    }
    base_ = static_cast<uint8_t*>(p);
    free_.reserve(slots);
    for (size_t i = slots; i > 0; --i) free_.push_back(static_cast<uint32_t>(i - 1));
    return true;
  }
  ~FramePool() {
    if (base_ != nullptr) munmap(base_, bytes_);
  }
  uint8_t* At(uint32_t slot) { return base_ + size_t{slot} * slot_size_; }
  size_t slot_size() const { return slot_size_; }
  size_t available() const { return free_.size(); }
  uint32_t Take() {
    uint32_t s = free_.back();
    free_.pop_back();
    return s;
  }
  void Give(uint32_t slot) { free_.push_back(slot); }  // capacity reserved: no allocation

 private:
  uint8_t* base_ = nullptr;
  size_t bytes_ = 0;
  size_t slot_size_ = 0;
  std::vector<uint32_t> free_;
};

struct Port {
  std::string name;
  int fd = -1;
};

struct Direction {
  const char* name;
  Port* in;
  Port* out;
  Link* link;
  FramePool pool;
  // Batch state, sized once.
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<uint32_t, kBatch> slots{};
};

struct Options {
  std::string a, b, control;
  DirectionParams params;
  std::string a2b_settings, b2a_settings;
  size_t queue = 8192;
  size_t max_frame = 65550;
  uint64_t seed = 0;
  bool seed_set = false;
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "ssr-impair: %s\n(ssr-impair --help for usage)\n", message.c_str());
  return 2;
}

bool ParseSize(const char* text, size_t lo, size_t hi, size_t* out) {
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < lo || v > hi) return false;
  *out = static_cast<size_t>(v);
  return true;
}

// Returns -1 when the options are fine, else the exit code (after printing).
int ParseOptions(int argc, char** argv, Options* o) {
  enum : int {
    kDelay = 1000, kJitter, kDist, kLoss, kGe, kRate, kReorder, kDown, kA2b, kB2a, kControl,
    kQueue, kMaxFrame, kSeed, kVersion
  };
  static const option kLong[] = {
      {"delay", required_argument, nullptr, kDelay},
      {"jitter", required_argument, nullptr, kJitter},
      {"dist", required_argument, nullptr, kDist},
      {"loss", required_argument, nullptr, kLoss},
      {"ge", required_argument, nullptr, kGe},
      {"rate", required_argument, nullptr, kRate},
      {"reorder", no_argument, nullptr, kReorder},
      {"down", no_argument, nullptr, kDown},
      {"a2b", required_argument, nullptr, kA2b},
      {"b2a", required_argument, nullptr, kB2a},
      {"control", required_argument, nullptr, kControl},
      {"queue", required_argument, nullptr, kQueue},
      {"max-frame", required_argument, nullptr, kMaxFrame},
      {"seed", required_argument, nullptr, kSeed},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, kVersion},
      {nullptr, 0, nullptr, 0},
  };
  opterr = 0;
  int c = 0;
  int index = 0;
  while ((c = getopt_long(argc, argv, ":h", kLong, &index)) != -1) {
    const std::string opt = std::string("--") + kLong[index].name;
    absl::Status s;
    switch (c) {
      case 'h':
        std::fputs(kUsage, stdout);
        return 0;
      case kVersion:  // as the other tools print it (tools/cli/ssr_cli.h)
        std::printf("ssr-impair %s\n", SSR_VERSION_STRING);
        return 0;
      case kDelay: s = ApplySetting("delay", optarg, &o->params); break;
      case kJitter: s = ApplySetting("jitter", optarg, &o->params); break;
      case kDist: s = ApplySetting("dist", optarg, &o->params); break;
      case kLoss: s = ApplySetting("loss", optarg, &o->params); break;
      case kGe: s = ApplySetting("ge", optarg, &o->params); break;
      case kRate: s = ApplySetting("rate", optarg, &o->params); break;
      case kReorder: o->params.reorder = true; break;
      case kDown: o->params.up = false; break;
      case kA2b: o->a2b_settings = optarg; break;
      case kB2a: o->b2a_settings = optarg; break;
      case kControl:
        if (std::strlen(optarg) == 0 || std::strlen(optarg) >= sizeof(sockaddr_un{}.sun_path)) {
          return UsageError(std::string("--control: \"") + optarg + "\" must be 1.." +
                            std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " characters");
        }
        o->control = optarg;
        break;
      case kQueue:
        if (!ParseSize(optarg, 1, 1 << 20, &o->queue)) {
          return UsageError(std::string("--queue: \"") + optarg + "\" is not 1..1048576 frames");
        }
        break;
      case kMaxFrame:
        if (!ParseSize(optarg, 128, 1 << 20, &o->max_frame)) {
          return UsageError(std::string("--max-frame: \"") + optarg +
                            "\" is not 128..1048576 bytes");
        }
        break;
      case kSeed:
        if (!absl::SimpleAtoi(optarg, &o->seed)) {
          return UsageError(std::string("--seed: \"") + optarg + "\" is not an unsigned integer");
        }
        o->seed_set = true;
        break;
      case ':':
        return UsageError(std::string("option ") + argv[optind - 1] + " needs a value");
      default:
        return UsageError(std::string("unknown option ") + argv[optind - 1]);
    }
    if (!s.ok()) return UsageError(opt + ": " + std::string(s.message()));
  }
  if (argc - optind != 2) {
    return UsageError("want two interfaces IFACE_A IFACE_B, got " + std::to_string(argc - optind));
  }
  o->a = argv[optind];
  o->b = argv[optind + 1];
  if (o->a == o->b) return UsageError("IFACE_A and IFACE_B are the same: " + o->a);
  return -1;
}

bool OpenPort(Port* port, std::string* error) {
  const unsigned index = if_nametoindex(port->name.c_str());
  if (index == 0) {
    *error = Errno("interface \"" + port->name + "\"");
    return false;
  }
  port->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  // protocol 0: nothing until bind
  if (port->fd < 0) {
    *error = Errno("AF_PACKET socket for " + port->name);
    return false;
  }
  const int one = 1;
  const int rcvbuf = 32 << 20, sndbuf = 8 << 20;
  if (setsockopt(port->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) != 0 ||
      setsockopt(port->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0 ||
      setsockopt(port->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
    *error = Errno("packet socket options on " + port->name);
    return false;
  }
  if (setsockopt(port->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0) {
    setsockopt(port->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  if (setsockopt(port->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0) {
    setsockopt(port->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(index);
  if (bind(port->fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
    *error = Errno("bind to " + port->name);
    return false;
  }
  packet_mreq mreq{};
  mreq.mr_ifindex = static_cast<int>(index);
  mreq.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(port->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
    *error = Errno("promiscuous mode on " + port->name);
    return false;
  }
  return true;
}

// Adds the kernel's drop count of `d.in` (read-and-reset) to d's kernel_drops.
void RefreshKernelDrops(Direction& d) {
  tpacket_stats st{};
  socklen_t len = sizeof(st);
  if (getsockopt(d.in->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    d.link->counters().Increment(ImpairCounter::kKernelDrops, st.tp_drops);
  }
}

void Receive(Direction& d) {
  for (int round = 0; round < 16; ++round) {
    const size_t n = std::min(kBatch, d.pool.available());
    if (n == 0) return;
    for (size_t i = 0; i < n; ++i) {
      d.slots[i] = d.pool.Take();
      d.iovs[i] = iovec{d.pool.At(d.slots[i]), d.pool.slot_size()};
      d.msgs[i] = mmsghdr{};
      d.msgs[i].msg_hdr.msg_iov = &d.iovs[i];
      d.msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int r = recvmmsg(d.in->fd, d.msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT,
                           nullptr);
    const size_t got = r > 0 ? static_cast<size_t>(r) : 0;
    const uint64_t now = NowNs();
    for (size_t i = 0; i < got; ++i) {
      const size_t len = d.msgs[i].msg_len;
      if ((d.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len < kVnetHdr + ETH_HLEN) {
        d.link->counters().Increment(ImpairCounter::kRxFrames);
        d.link->counters().Increment(ImpairCounter::kDroppedOversize);
        d.pool.Give(d.slots[i]);
        continue;
      }
      VnetHdr vh;
      std::memcpy(&vh, d.pool.At(d.slots[i]), sizeof(vh));
      if (vh.gso_type != 0) {
        d.link->counters().Increment(ImpairCounter::kGsoFrames);
      }
      if ((vh.flags & ~kVnetNeedsCsum) != 0) {  // DATA_VALID is a receive-only flag: not sent on
        vh.flags &= kVnetNeedsCsum;
        std::memcpy(d.pool.At(d.slots[i]), &vh, sizeof(vh));
      }
      if (d.link->Offer(now, d.slots[i], static_cast<uint32_t>(len - kVnetHdr)) !=
          Verdict::kQueued) {
        d.pool.Give(d.slots[i]);
      }
    }
    for (size_t i = got; i < n; ++i) d.pool.Give(d.slots[i]);
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      std::fprintf(stderr, "ssr-impair: recvmmsg on %s: %s\n", d.in->name.c_str(),
                   std::strerror(errno));
    }
    if (got < n) return;
  }
}

void Transmit(Direction& d, uint64_t now) {
  for (;;) {
    size_t n = 0;
    std::array<uint32_t, kBatch> lengths{};
    while (n < kBatch) {
      Scheduled s;
      const PopResult res = d.link->Pop(now, &s);
      if (res == PopResult::kNone) break;
      if (res == PopResult::kDrop) {
        d.pool.Give(s.slot);
        continue;
      }
      d.slots[n] = s.slot;
      lengths[n] = s.length;
      d.iovs[n] = iovec{d.pool.At(s.slot), s.length + kVnetHdr};
      d.msgs[n] = mmsghdr{};
      d.msgs[n].msg_hdr.msg_iov = &d.iovs[n];
      d.msgs[n].msg_hdr.msg_iovlen = 1;
      ++n;
    }
    if (n == 0) return;
    size_t i = 0;
    while (i < n) {
      const int r = sendmmsg(d.out->fd, d.msgs.data() + i, static_cast<unsigned>(n - i), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        d.link->counters().Increment(ImpairCounter::kDroppedTxError);
        ++i;  // this frame is refused (ENOBUFS: the peer's backlog is full, ...): count, go on
        continue;
      }
      for (int k = 0; k < r; ++k) d.link->CountSent(lengths[i + static_cast<size_t>(k)]);
      i += static_cast<size_t>(r);
    }
    for (size_t k = 0; k < n; ++k) d.pool.Give(d.slots[k]);
    if (n < kBatch) return;
  }
}

void PrintCounters(Direction* dirs) {
  for (int i = 0; i < 2; ++i) {
    RefreshKernelDrops(dirs[i]);
    std::printf("%s (%s -> %s) %s\n", dirs[i].name, dirs[i].in->name.c_str(),
                dirs[i].out->name.c_str(), dirs[i].link->FormatCounters().c_str());
  }
  std::fflush(stdout);
}

int OpenControl(const std::string& path, std::string* error) {
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = "--control " + path + ": exists and is not a socket";
      return -1;
    }
    unlink(path.c_str());
  }
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = Errno("control socket");
    return -1;
  }
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.c_str(), path.size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) != 0 || listen(fd, 8) != 0) {
    *error = Errno("--control " + path);
    close(fd);
    return -1;
  }
  return fd;
}

int RunRelay(const Options& o) {
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // 1 us: wake-ups near the due times
  Port ports[2];
  ports[0].name = o.a;
  ports[1].name = o.b;
  std::string error;
  for (Port& p : ports) {
    if (!OpenPort(&p, &error)) {
      std::fprintf(stderr, "ssr-impair: %s\n", error.c_str());
      return 1;
    }
  }
  // One random stream per direction: with --seed, each direction's drops and delays depend only
  // on the frames of that direction.
  const uint64_t seed = o.seed_set ? o.seed : NowNs();
  ssr::impair::Xoshiro256 rng_a2b(seed), rng_b2a(seed ^ 0x5bd1e995a5a5a5a5ULL);
  Link links[2] = {Link(o.queue, &rng_a2b), Link(o.queue, &rng_b2a)};
  DirectionParams pa = o.params, pb = o.params;
  if (auto s = ApplySettings(o.a2b_settings, &pa); !s.ok()) {
    return UsageError("--a2b: " + std::string(s.message()));
  }
  if (auto s = ApplySettings(o.b2a_settings, &pb); !s.ok()) {
    return UsageError("--b2a: " + std::string(s.message()));
  }
  links[0].SetParams(pa);
  links[1].SetParams(pb);
  Direction dirs[2] = {{"a2b", &ports[0], &ports[1], &links[0], {}, {}, {}, {}},
                       {"b2a", &ports[1], &ports[0], &links[1], {}, {}, {}, {}}};
  for (Direction& d : dirs) {
    if (!d.pool.Init(o.queue + kBatch, kVnetHdr + o.max_frame, &error)) {
      std::fprintf(stderr, "ssr-impair: %s\n", error.c_str());
      return 1;
    }
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGUSR1);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (sfd < 0 || ep < 0) {
    std::fprintf(stderr, "ssr-impair: %s\n", Errno("signalfd/epoll").c_str());
    return 1;
  }
  int lfd = -1;
  if (!o.control.empty()) {
    lfd = OpenControl(o.control, &error);
    if (lfd < 0) {
      std::fprintf(stderr, "ssr-impair: %s\n", error.c_str());
      return 1;
    }
  }
  enum : uint64_t { kTagA = 0, kTagB = 1, kTagSignal = 2, kTagListen = 3, kTagConn = 16 };
  auto add = [&](int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
  };
  add(ports[0].fd, kTagA);
  add(ports[1].fd, kTagB);
  add(sfd, kTagSignal);
  if (lfd >= 0) add(lfd, kTagListen);
  // Control connections: one command each; one that sends nothing for 2 s is closed.
  std::array<int, kMaxConns> conns;
  std::array<uint64_t, kMaxConns> conn_deadline{};
  conns.fill(-1);
  auto close_conn = [&](size_t i) {
    epoll_ctl(ep, EPOLL_CTL_DEL, conns[i], nullptr);
    close(conns[i]);
    conns[i] = -1;
  };

  std::fprintf(stderr, "ssr-impair: relaying %s <-> %s; a2b %s; b2a %s%s%s\n", o.a.c_str(),
               o.b.c_str(), FormatParams(pa).c_str(), FormatParams(pb).c_str(),
               o.control.empty() ? "" : "; control ", o.control.c_str());

  bool stop = false;
  std::array<epoll_event, 16> events;
  std::vector<char> buf(4096);
  while (!stop) {
    const uint64_t now = NowNs();
    Transmit(dirs[0], now);
    Transmit(dirs[1], now);
    uint64_t wake = std::min(links[0].NextWakeNs(), links[1].NextWakeNs());
    for (size_t i = 0; i < kMaxConns; ++i) {
      if (conns[i] < 0) continue;
      if (conn_deadline[i] <= now) {
        close_conn(i);
      } else {
        wake = std::min(wake, conn_deadline[i]);
      }
    }
    timespec ts{};
    timespec* timeout = nullptr;
    if (wake != std::numeric_limits<uint64_t>::max()) {
      const uint64_t t = NowNs();
      const uint64_t dt = wake > t ? wake - t : 0;
      ts.tv_sec = static_cast<time_t>(dt / 1000000000ULL);
      ts.tv_nsec = static_cast<long>(dt % 1000000000ULL);
      timeout = &ts;
    }
    const int n = epoll_pwait2(ep, events.data(), static_cast<int>(events.size()), timeout,
                               nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "ssr-impair: %s\n", Errno("epoll_pwait2").c_str());
      return 1;
    }
    for (int e = 0; e < n; ++e) {
      const uint64_t tag = events[static_cast<size_t>(e)].data.u64;
      if (tag == kTagA || tag == kTagB) {
        Receive(dirs[tag]);
      } else if (tag == kTagSignal) {
        signalfd_siginfo si{};
        while (read(sfd, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
          if (si.ssi_signo == SIGUSR1) {
            PrintCounters(dirs);
          } else {
            stop = true;
          }
        }
      } else if (tag == kTagListen) {
        const int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) continue;
        auto free_conn = std::find(conns.begin(), conns.end(), -1);
        if (free_conn == conns.end()) {
          close(c);  // too many clients at once
          continue;
        }
        const auto i = static_cast<size_t>(free_conn - conns.begin());
        conns[i] = c;
        conn_deadline[i] = NowNs() + 2000000000ULL;
        add(c, kTagConn + i);
      } else if (tag >= kTagConn && tag < kTagConn + kMaxConns) {
        const size_t i = tag - kTagConn;
        const int c = conns[i];
        if (c < 0) continue;
        const ssize_t len = recv(c, buf.data(), buf.size() - 1, 0);
        if (len < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (len > 0) {
          RefreshKernelDrops(dirs[0]);
          RefreshKernelDrops(dirs[1]);
          const std::string reply = ssr::impair::ExecuteCommand(
              absl::string_view(buf.data(), static_cast<size_t>(len)), &links[0], &links[1]);
          send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
        close_conn(i);
      }
    }
  }
  PrintCounters(dirs);
  if (lfd >= 0) unlink(o.control.c_str());
  return 0;
}

int RunCtl(int argc, char** argv) {
  if (argc >= 3 && (std::strcmp(argv[2], "-h") == 0 || std::strcmp(argv[2], "--help") == 0)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc < 4) return UsageError("ctl: want SOCKET COMMAND... (e.g. ctl /run/imp.sock down)");
  const std::string path = argv[2];
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return UsageError("ctl: SOCKET \"" + path + "\" is too long");
  }
  std::string line;
  for (int i = 3; i < argc; ++i) absl::StrAppend(&line, i == 3 ? "" : " ", argv[i]);
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.c_str(), path.size());
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) != 0) {
    std::fprintf(stderr, "ssr-impair ctl: %s\n", Errno("connect to " + path).c_str());
    return 1;
  }
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) < 0) {
    std::fprintf(stderr, "ssr-impair ctl: %s\n", Errno("send to " + path).c_str());
    return 1;
  }
  std::vector<char> reply(65536);
  const ssize_t len = recv(fd, reply.data(), reply.size(), 0);
  close(fd);
  if (len <= 0) {
    std::fprintf(stderr, "ssr-impair ctl: no reply from %s%s\n", path.c_str(),
                 len < 0 ? (std::string(": ") + std::strerror(errno)).c_str() : "");
    return 1;
  }
  const std::string text(reply.data(), static_cast<size_t>(len));
  std::printf("%s\n", text.c_str());
  return text.rfind("ok", 0) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "ctl") == 0) return RunCtl(argc, argv);
  Options o;
  const int rc = ParseOptions(argc, argv, &o);
  if (rc >= 0) return rc;
  // Direction settings are checked before any socket is opened.
  DirectionParams check = o.params;
  if (auto s = ssr::impair::ApplySettings(o.a2b_settings, &check); !s.ok()) {
    return UsageError("--a2b: " + std::string(s.message()));
  }
  check = o.params;
  if (auto s = ssr::impair::ApplySettings(o.b2a_settings, &check); !s.ok()) {
    return UsageError("--b2a: " + std::string(s.message()));
  }
  return RunRelay(o);
}
