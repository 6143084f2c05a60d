// SPDX-License-Identifier: Apache-2.0
// ssr::Config: a validated libssr configuration, as the embedding API sees it.
//
// A Config is loaded from protobuf text format or JSON (the schema is proto/ssr/config/v1/
// config.proto; examples/configs/default.textproto is a complete example) and fully validated
// before it exists: every field and name reference is checked, and a load error lists every
// problem found, one per line, each naming the field path and the value (an ssr::Status with code
// kInvalidArgument), e.g.
//   tenants[2].members[0].prefixes[0]: "10.0.0.0/33" is not a valid IPv4 prefix ...
// Key material is never echoed in errors.
//
// Ownership and thread-safety: a Config is an immutable snapshot shared by reference counting;
// copying it is cheap (no deep copy), copies may be used and destroyed from any thread, and a
// Router keeps the snapshot it runs alive for as long as it needs it.
#ifndef SSR_CONFIG_H_
#define SSR_CONFIG_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ssr/export.h"
#include "ssr/status.h"

namespace ssr {

namespace config {
class Config;  // the library's internal model (opaque here; not part of the public API)
}  // namespace config

inline namespace v0 {

struct ConfigAccess;  // the library's own access to the model (defined in a private header)

/// Syntax of the text given to Config::Parse.
enum class ConfigFormat {
  kAuto,  // JSON if the first non-blank character is '{', otherwise protobuf text format
  kText,
  kJson,
};

/// A validated, immutable configuration (see the file comment): load it with LoadFile or Parse.
class SSR_EXPORT Config {
 public:
  // Reads and validates a file. The format follows the extension (.json: JSON, anything else:
  // text format, with content sniffing as fallback). Relative key-file paths resolve against
  // the file's directory. Errors: NotFound / PermissionDenied naming the path, InvalidArgument
  // listing every validation error.
  static Result<Config> LoadFile(const std::string& path);
  // Parses and validates `text`. Relative key-file paths resolve against the working directory.
  static Result<Config> Parse(std::string_view text, ConfigFormat format = ConfigFormat::kAuto);
  // The built-in two-router demo config (branch / datacenter), compiled into the library.
  static Config Default();

  // Names of the routers the config defines, in file order.
  std::vector<std::string> RouterNames() const;
  // The organisation name.
  std::string organization() const;

 private:
  friend struct ConfigAccess;
  explicit Config(std::shared_ptr<const config::Config> model) : model_(std::move(model)) {}

  std::shared_ptr<const config::Config> model_;  // never null
};

}  // namespace v0
}  // namespace ssr

#endif  // SSR_CONFIG_H_
