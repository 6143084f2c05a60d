// SPDX-License-Identifier: Apache-2.0
// X-macro counter lists.
//
// A layer declares its counters once as an X-macro list:
//
//   #define SSR_PACKET_COUNTERS(X) X(kTruncatedIpv4, "truncated_ipv4", "IPv4 header too short") ...
//
//   SSR_DEFINE_COUNTER_ENUM(PacketCounter, SSR_PACKET_COUNTERS)
//
// which yields `enum class PacketCounter : uint16_t { kTruncatedIpv4, ..., kCount }`, plus
// `CounterName(PacketCounter)` and `CounterHelp(PacketCounter)` returning the string columns and
// `CounterKindOf(PacketCounter)` returning the counter's kind: an optional fourth column, kDrop
// for a counter of packets the layer dropped (X(kTxRingFull, "tx_ring_full", "dropped: ...",
// kDrop)); without it the counter is kInfo. Code that needs to know which counters are drops
// asks CounterKindOf, never the name or the help text.
// `CounterArray<PacketCounter>` is a plain array of uint64_t indexed by the enum: it is meant to
// live in per-worker state (one writer, no atomics on the hot path); readers aggregate copies.
#ifndef SSR_UTIL_COUNTERS_H_
#define SSR_UTIL_COUNTERS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ssr::util {

// What a counter counts (see the header comment).
enum class CounterKind : uint8_t {
  kInfo,  // an event or a verdict that is not a loss
  kDrop,  // a packet dropped
};
// The declared kind, or kInfo when the list entry declares none.
constexpr CounterKind DeclaredKind() { return CounterKind::kInfo; }
constexpr CounterKind DeclaredKind(CounterKind kind) { return kind; }

#define SSR_COUNTER_ENUM_ENTRY_(name, str, help, ...) name,
#define SSR_COUNTER_NAME_CASE_(name, str, help, ...) \
  case Enum::name:                                   \
    return str;
#define SSR_COUNTER_HELP_CASE_(name, str, help, ...) \
  case Enum::name:                                   \
    return help;
#define SSR_COUNTER_KIND_CASE_(name, str, help, ...) \
  case Enum::name:                                   \
    return ::ssr::util::DeclaredKind(__VA_OPT__(::ssr::util::CounterKind::__VA_ARGS__));

#define SSR_DEFINE_COUNTER_ENUM(EnumName, LIST)                            \
  enum class EnumName : uint16_t { LIST(SSR_COUNTER_ENUM_ENTRY_) kCount }; \
  constexpr std::string_view CounterName(EnumName c) {                     \
    using Enum = EnumName;                                                 \
    switch (c) {                                                           \
      LIST(SSR_COUNTER_NAME_CASE_)                                         \
      case Enum::kCount:                                                   \
        break;                                                             \
    }                                                                      \
    return "invalid";                                                      \
  }                                                                        \
  constexpr std::string_view CounterHelp(EnumName c) {                     \
    using Enum = EnumName;                                                 \
    switch (c) {                                                           \
      LIST(SSR_COUNTER_HELP_CASE_)                                         \
      case Enum::kCount:                                                   \
        break;                                                             \
    }                                                                      \
    return "invalid";                                                      \
  }                                                                        \
  constexpr ::ssr::util::CounterKind CounterKindOf(EnumName c) {           \
    using Enum = EnumName;                                                 \
    switch (c) {                                                           \
      LIST(SSR_COUNTER_KIND_CASE_)                                         \
      case Enum::kCount:                                                   \
        break;                                                             \
    }                                                                      \
    return ::ssr::util::CounterKind::kInfo;                                \
  }

// Number of counters in an enum declared with SSR_DEFINE_COUNTER_ENUM.
template <typename Enum>
constexpr std::size_t CounterCount() {
  return static_cast<std::size_t>(Enum::kCount);
}

// Fixed-size counter block for one writer. Not thread-safe: each worker owns one; aggregation
// copies and adds (AddFrom).
template <typename Enum>
class CounterArray {
 public:
  constexpr void Increment(Enum c, uint64_t n = 1) { values_[Index(c)] += n; }
  constexpr uint64_t Get(Enum c) const { return values_[Index(c)]; }
  constexpr void AddFrom(const CounterArray& other) {
    for (std::size_t i = 0; i < values_.size(); ++i) values_[i] += other.values_[i];
  }
  constexpr void Reset() { values_.fill(0); }
  constexpr uint64_t Total() const {
    uint64_t sum = 0;
    for (uint64_t v : values_) sum += v;
    return sum;
  }
  static constexpr std::size_t size() { return CounterCount<Enum>(); }

 private:
  static constexpr std::size_t Index(Enum c) { return static_cast<std::size_t>(c); }
  std::array<uint64_t, CounterCount<Enum>()> values_{};
};

}  // namespace ssr::util

#endif  // SSR_UTIL_COUNTERS_H_
