// SPDX-License-Identifier: Apache-2.0
#include "router/path_watch.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ssr/log.h"

namespace ssr::router {

PathWatch::PathWatch(PathCallback callback, const pipeline::PathBoard* board, std::string router)
    : callback_(std::move(callback)), board_(board), router_(std::move(router)) {}

void PathWatch::SetConfig(std::shared_ptr<const config::Config> config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = std::move(config);
  resync_ = true;
}

size_t PathWatch::Poll() {
  std::shared_ptr<const config::Config> cfg;
  bool resync = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cfg = config_;
    resync = resync_;
    resync_ = false;
  }
  if (cfg == nullptr) return 0;
  const config::Router* r = cfg->FindRouter(router_);
  if (r == nullptr) return 0;
  known_.resize(pipeline::PathBoard::kMaxPaths);
  size_t events = 0;
  size_t slot = 0;
  for (const config::Peer& peer : r->peers) {
    for (const config::PeerPathConfig& cp : peer.paths) {
      const size_t i = slot++;
      if (i >= pipeline::PathBoard::kMaxPaths) continue;
      pipeline::PathRecord rec;
      if (!board_->Read(i, &rec)) continue;
      Known& k = known_[i];
      if (resync) {
        k.up = rec.up;
        k.changes = rec.changes;
        continue;
      }
      if (rec.up == k.up && rec.changes == k.changes) continue;
      k.up = rec.up;
      k.changes = rec.changes;
      PathEvent e;
      e.peer = peer.name;
      e.path = cp.name;
      e.interface = cp.interface < r->interfaces.size() ? r->interfaces[cp.interface].name : "";
      e.remote = cp.address.ToString();
      e.up = rec.up;
      e.quality_measured = rec.quality.measured;
      e.latency_ms = rec.quality.latency_ms;
      e.jitter_ms = rec.quality.jitter_ms;
      e.loss_percent = rec.quality.loss_percent();
      e.mos = rec.quality.mos;
      std::string quality = "not measured yet";
      if (e.quality_measured) {
        quality = absl::StrFormat("latency %.1f ms, jitter %.1f ms, loss %.2f %%, MOS %.2f",
                                  e.latency_ms, e.jitter_ms, e.loss_percent, e.mos);
      }
      Log(e.up ? LogSeverity::kInfo : LogSeverity::kWarning, "paths",
          absl::StrCat("peer \"", e.peer, "\" path \"", e.path, "\" (", e.interface, " -> ",
                       e.remote, ") is ", e.up ? "up" : "down", "; ", quality));
      ++events;
      ++delivered_;
      if (callback_) callback_(e);
    }
  }
  return events;
}

}  // namespace ssr::router
