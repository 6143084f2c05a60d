// SPDX-License-Identifier: Apache-2.0
// PathWatch: tells the embedding program (RouterOptions::on_path_change) and the log when a peer
// path goes down or comes up, as the router's workers act on it (docs/protocol.md §5.7).
//
// Design note. The workers' shared PathBoard (pipeline/path_board.h) is the one source: the
// control thread polls it every cycle (20 ms), compares each slot's status and change count
// with what it reported last, and reports the difference with the names of the current config
// (slot i is the i-th path in config order). A path that went down and up again between two
// polls is reported once, with its current status. After a reload the slots are matched to the
// new config's paths; their current status is taken as known (no event for it).
//
// Thread-safety: Poll runs on the control thread; SetConfig may be called from any thread.
#ifndef SSR_ROUTER_PATH_WATCH_H_
#define SSR_ROUTER_PATH_WATCH_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/model.h"
#include "pipeline/path_board.h"
#include "ssr/router.h"

namespace ssr::router {

class PathWatch {
 public:
  // `board` must outlive the watch; `callback` may be empty (events are logged anyway).
  PathWatch(PathCallback callback, const pipeline::PathBoard* board, std::string router);

  // The config whose paths the slots belong to (called at creation and after every reload).
  void SetConfig(std::shared_ptr<const config::Config> config);

  // Reports changes since the last call. Returns the number of events.
  size_t Poll();

  uint64_t delivered() const { return delivered_; }

 private:
  struct Known {
    bool up = true;
    uint64_t changes = 0;
  };
  PathCallback callback_;
  const pipeline::PathBoard* board_;
  std::string router_;
  std::mutex mu_;
  std::shared_ptr<const config::Config> config_;  // guarded by mu_
  bool resync_ = true;                            // guarded by mu_
  std::vector<Known> known_;                      // control thread only
  uint64_t delivered_ = 0;
};

}  // namespace ssr::router

#endif  // SSR_ROUTER_PATH_WATCH_H_
