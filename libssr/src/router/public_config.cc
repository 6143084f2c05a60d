// SPDX-License-Identifier: Apache-2.0
// ssr::Config (public) on top of the config layer's loader.
#include <cstdlib>

#include "config/loader.h"
#include "router/status_convert.h"
#include "ssr/config.h"
#include "ssr/log.h"

namespace ssr {
inline namespace v0 {

Result<Config> Config::LoadFile(const std::string& path) {
  auto loaded = config::LoadConfigFile(path);
  if (!loaded.ok()) return FromAbsl(loaded.status());
  return Config(std::move(*loaded));
}

Result<Config> Config::Parse(std::string_view text, ConfigFormat format) {
  config::ConfigFormat f = config::ConfigFormat::kAuto;
  if (format == ConfigFormat::kText) f = config::ConfigFormat::kText;
  if (format == ConfigFormat::kJson) f = config::ConfigFormat::kJson;
  auto loaded = config::LoadConfigString(text, f);
  if (!loaded.ok()) return FromAbsl(loaded.status());
  return Config(std::move(*loaded));
}

Config Config::Default() {
  const std::string_view text = config::DefaultConfigText();
  auto loaded = config::LoadConfigString(text, config::ConfigFormat::kText);
  if (!loaded.ok()) {
    // The default config is validated by the config tests; failing here is a build defect.
    Log(LogSeverity::kError, "config", "the built-in default config does not validate");
    std::abort();
  }
  return Config(std::move(*loaded));
}

std::vector<std::string> Config::RouterNames() const {
  std::vector<std::string> names;
  for (const config::Router& r : model_->routers) names.push_back(r.name);
  return names;
}

std::string Config::organization() const { return model_->organization; }

}  // namespace v0
}  // namespace ssr
