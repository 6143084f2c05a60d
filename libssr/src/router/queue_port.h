// SPDX-License-Identifier: Apache-2.0
// QueueSetPort: the io::Port of one interface for a worker serving several of its RX queues
// (router/queue_assignment.h): one AF_XDP socket per queue, all on the worker's UMEM.
//
// Receive   fills the burst from the queues in turn, starting one queue further at every call,
//           so a busy queue cannot starve the others (each queue is first once every
//           queues() calls; the rest of the burst goes to the next ones).
// Transmit  goes to the first queue's socket (any socket of the worker's UMEM can send any of
//           its frames; one TX ring per interface keeps the order of a flow's packets).
// Flush     flushes every socket: TX kicks and completions, and the fill ring of each RX queue.
// With a single queue it is that socket, one virtual call deeper. Per call: no allocation, no
// syscall of its own. Thread-safety: the worker's thread only, like the ports it holds (not
// owned; they must outlive it).
#ifndef SSR_ROUTER_QUEUE_PORT_H_
#define SSR_ROUTER_QUEUE_PORT_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/port.h"

namespace ssr::router {

class QueueSetPort final : public io::Port {
 public:
  // `ports`: the sockets of one interface, the TX one first; at least one.
  QueueSetPort(std::string name, std::vector<io::Port*> ports)
      : name_(std::move(name)), ports_(std::move(ports)) {}

  std::string_view name() const override { return name_; }
  size_t Receive(std::span<io::Frame> out) override {
    const size_t n = ports_.size();
    size_t got = 0;
    for (size_t k = 0; k < n && got < out.size(); ++k) {
      size_t i = next_ + k;
      if (i >= n) i -= n;
      got += ports_[i]->Receive(out.subspan(got));
    }
    if (++next_ == n) next_ = 0;
    return got;
  }
  size_t Transmit(std::span<const io::Frame> frames) override {
    return ports_.front()->Transmit(frames);
  }
  void Flush() override {
    for (io::Port* p : ports_) p->Flush();
  }
  size_t queues() const { return ports_.size(); }

 private:
  std::string name_;
  std::vector<io::Port*> ports_;
  size_t next_ = 0;  // queue Receive starts with
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_QUEUE_PORT_H_
