// SPDX-License-Identifier: Apache-2.0
// Link tests: echo packets, latency / jitter / loss per test, running averages and MOS
// (docs/protocol.md §5.4, §7.69).
//
// Design note. Every `interval_ms` (default 10 s) a LinkTest starts a test on its peer path and
// hands out `length` (default 10) echo packets back to back through Poll; the peer reflects each
// one (flag `reflected` set, everything else unchanged) and OnReply records the round trip. A test
// ends when every echo came back or `reply_timeout_ms` after it started; echoes arriving later
// are counted as late and ignored. State is fixed-size (one RTT slot per possible echo, at most
// 255), so nothing allocates. Tests only run while the path is up; a path going down abandons the
// running test without a result (its losses say nothing the BFD state does not).
//
// Numbers (all [LIB], §5.4), per test over the echoes received, in sequence order:
//   RTT_i     = receive time - send time (the send time travels in the echo; ms clock)
//   latency   = mean(RTT) / 2                                     (one-way estimate)
//   jitter    = mean |RTT_i - RTT_{i-1}| over consecutive received echoes (needs >= 2)
//   loss      = 1 - received / sent                               (a fraction, 0..1)
// Running averages: EWMA with alpha = 0.25 per test (avg += 0.25 (x - avg)); the first sample
// initialises the average. §5.4 also mentions RFC 3550's 1/16 gain for jitter; that gain is meant
// per packet, and per 10-s test it would need minutes to follow a change, so libssr uses the same
// 0.25 EWMA for all three. A test with no reply updates loss only; one with a single reply
// updates latency and loss but not jitter.
// MOS (simplified ITU-T G.107 E-model, §5.4), from the running averages:
//   d  = latency + 2 x jitter + 10 ms
//   Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)
//   Ie = 30 ln(1 + 15 loss)
//   R  = 93.2 - Id - Ie
//   MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R), clamped to 1..4.5 (R < 0 gives 1)
//
// Echo packet ([LIB]; it rides on UDP 1280 after the SVR metadata, like a control packet, and
// before the HMAC trailer), 28 bytes, big-endian:
//   0..4    magic "SSRE" (0x53 0x53 0x52 0x45). Its first byte has the version bits 010, so an echo
//           can never be taken for a BFD version-1 control packet (whose first byte is 0x20-0x3F).
//   4       flags: bit 0 = reflected (set by the peer that sends it back); other bits 0
//   5..8    reserved, 0
//   8..12   sender's BFD discriminator of this path
//   12..16  test id
//   16..20  sequence number within the test (0..length-1)
//   20..28  send time, the sender's ms clock (only the sender interprets it)
#ifndef SSR_PEER_LINK_TEST_H_
#define SSR_PEER_LINK_TEST_H_

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "peer/bfd_session.h"
#include "util/counters.h"

namespace ssr::peer {

inline constexpr std::array<uint8_t, 4> kEchoMagic = {0x53, 0x53, 0x52, 0x45};  // "SSRE"
inline constexpr size_t kEchoSize = 28;
inline constexpr size_t kMaxLinkTestLength = 255;

struct EchoPacket {
  bool reflected = false;
  uint32_t sender_discriminator = 0;
  uint32_t test_id = 0;
  uint32_t sequence = 0;
  uint64_t send_time_ms = 0;
  friend bool operator==(const EchoPacket&, const EchoPacket&) = default;
};

#define SSR_ECHO_DECODE_RESULTS(X)                                     \
  X(kOk, "echo_ok", "echo packet decoded")                             \
  X(kTruncated, "echo_truncated", "fewer than 28 bytes")               \
  X(kBadMagic, "echo_bad_magic", "does not start with the echo magic") \
  X(kReservedBits, "echo_reserved_bits", "reserved flag bits or bytes not zero")

SSR_DEFINE_COUNTER_ENUM(EchoDecodeResult, SSR_ECHO_DECODE_RESULTS)

// True if `in` starts with the echo magic (the receiver's control / echo demultiplexing).
bool IsEcho(std::span<const uint8_t> in);
// Writes 28 bytes; 0 if `out` is too small.
size_t EncodeEcho(const EchoPacket& echo, std::span<uint8_t> out) noexcept;
// Decodes exactly the first 28 bytes; later bytes are ignored.
EchoDecodeResult DecodeEcho(std::span<const uint8_t> in, EchoPacket* out) noexcept;
// The packet a peer sends back: the same echo with `reflected` set.
inline EchoPacket Reflect(const EchoPacket& e) {
  EchoPacket r = e;
  r.reflected = true;
  return r;
}

struct LinkTestOptions {
  uint32_t interval_ms = 10000;      // link-test-interval, 1000..86400000
  uint32_t length = 10;              // link-test-length, 0..255 (0 disables tests)
  uint32_t reply_timeout_ms = 2000;  // 1..interval_ms
  double ewma_alpha = 0.25;          // (0, 1]
};

// InvalidArgument naming the field and the value.
absl::Status ValidateLinkTestOptions(const LinkTestOptions& options);

// MOS of the simplified E-model above (loss as a fraction 0..1).
double MosFromQuality(double latency_ms, double jitter_ms, double loss_fraction);

// Raw numbers of one finished test.
struct LinkTestResult {
  uint32_t test_id = 0;
  uint32_t sent = 0;
  uint32_t received = 0;
  bool has_latency = false;  // received >= 1
  bool has_jitter = false;   // received >= 2
  double latency_ms = 0;
  double jitter_ms = 0;
  double loss = 0;  // fraction
  double mos = 0;   // from this test's raw numbers
};

// Running averages used for path selection.
struct PathQuality {
  bool measured = false;     // at least one test finished
  bool has_latency = false;  // at least one test had a reply
  bool has_jitter = false;   // at least one test had two replies
  double latency_ms = 0;
  double jitter_ms = 0;
  double loss = 0;  // fraction 0..1
  double mos = 0;   // 0 until measured
  double loss_percent() const { return loss * 100.0; }
};

#define SSR_LINK_REPLY_RESULTS(X)                                                   \
  X(kAccepted, "echo_reply_accepted", "reflected echo matched the running test")    \
  X(kNotReflected, "echo_reply_not_reflected", "echo without the reflected flag")   \
  X(kWrongPath, "echo_reply_wrong_path", "sender discriminator is not this path's") \
  X(kLate, "echo_reply_late", "echo of a test that already ended (or never ran)")   \
  X(kUnknownSequence, "echo_reply_unknown_sequence", "sequence number never sent")  \
  X(kDuplicate, "echo_reply_duplicate", "second reply for the same echo")           \
  X(kBadTimestamp, "echo_reply_bad_timestamp", "send time outside the test or in the future")

SSR_DEFINE_COUNTER_ENUM(LinkReplyResult, SSR_LINK_REPLY_RESULTS)

class LinkTest {
 public:
  // `discriminator` identifies the path in its echoes (the BFD session's own discriminator);
  // `options` must pass ValidateLinkTestOptions.
  LinkTest(uint32_t discriminator, const LinkTestOptions& options);
  LinkTest() : LinkTest(0, LinkTestOptions{}) {}

  struct PollResult {
    bool send = false;           // an echo is due now; it was written to *out
    bool test_finished = false;  // a test ended in this call: last_result() / quality() changed
    uint64_t next_deadline_ms = kNever;
  };
  // Call repeatedly while it returns send == true (echoes go back to back). `path_up` is the
  // BFD state of the path: tests start when it is up (the first one at once) and stop when down.
  PollResult Poll(uint64_t now_ms, bool path_up, EchoPacket* out) noexcept;

  // A reflected echo came back on this path.
  LinkReplyResult OnReply(const EchoPacket& echo, uint64_t now_ms) noexcept;

  bool running() const { return running_; }
  uint32_t tests_completed() const { return tests_completed_; }
  uint64_t echoes_sent() const { return echoes_sent_; }
  const LinkTestResult& last_result() const { return last_result_; }
  const PathQuality& quality() const { return quality_; }
  const LinkTestOptions& options() const { return options_; }

 private:
  void Finish() noexcept;

  LinkTestOptions options_;
  uint32_t discriminator_ = 0;
  bool running_ = false;
  uint32_t test_id_ = 0;
  uint64_t test_start_ms_ = 0;
  uint64_t next_test_ms_ = kNever;
  uint32_t sent_ = 0;
  uint32_t received_ = 0;
  std::bitset<kMaxLinkTestLength> got_;
  std::array<uint32_t, kMaxLinkTestLength> rtt_ms_{};
  uint32_t tests_completed_ = 0;
  uint64_t echoes_sent_ = 0;
  LinkTestResult last_result_;
  PathQuality quality_;
};

}  // namespace ssr::peer

#endif  // SSR_PEER_LINK_TEST_H_
