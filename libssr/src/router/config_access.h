// SPDX-License-Identifier: Apache-2.0
// The library's own access to the validated model behind a public ssr::Config (ssr/config.h keeps
// it private: embedders see only the public API). Only library code and its tests include this.
#ifndef SSR_ROUTER_CONFIG_ACCESS_H_
#define SSR_ROUTER_CONFIG_ACCESS_H_

#include <memory>
#include <utility>

#include "config/model.h"
#include "ssr/config.h"

namespace ssr {
inline namespace v0 {

struct ConfigAccess {
  // The model (never null).
  static const std::shared_ptr<const config::Config>& Model(const Config& c) { return c.model_; }
  static Config Wrap(std::shared_ptr<const config::Config> model) {
    return Config(std::move(model));
  }
};

}  // namespace v0
}  // namespace ssr

#endif  // SSR_ROUTER_CONFIG_ACCESS_H_
