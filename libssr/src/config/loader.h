// SPDX-License-Identifier: Apache-2.0
// Loading and validating configuration: text/JSON → proto → validated model (config/model.h).
//
// Every error found is reported, not only the first. Errors come in the order the validator's
// passes run (keys, security policies, routers, tenants, services, cross references, timeouts,
// limits), and in list order within a pass, not in the order of the lines of the file. Each error
// names the path of the field at fault and the value, e.g.
//   tenants[2].members[0].prefixes[0]: "10.0.0.0/33" is not a valid IPv4 prefix (length must be
//   0-32)
// Key values are the one exception: errors about keys never echo the key text.
//
// Where things are (this header is the entry point and includes the first two):
//   parse.h/.cc           reading files, format detection, protobuf text and JSON parsing
//   error_sink.h/.cc      ConfigError, ErrorSink (the one error list every validator fills),
//                         ErrorsToStatus
//   validate.h/.cc        Validate(): name indexes, then one pass per section in a fixed order
//   validate_security.cc  keys and security policies
//   validate_routers.cc   routers, interfaces, management addresses, peers, service routes
//   validate_tenants.cc   tenants and members
//   validate_services.cc  services, transports, access policies
//   validate_limits.cc    timeouts and limits
//   validate_fields.h/.cc rules shared by sections (names, addresses, prefixes, ports, quoting)
// Checks for a new section of proto/ssr/config/v1/config.proto go in a new validate_<section>.cc
// declared in validate.h and called from Validate() (see validate.h).
#ifndef SSR_CONFIG_LOADER_H_
#define SSR_CONFIG_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config/error_sink.h"
#include "config/model.h"
#include "config/parse.h"
#include "ssr/config/v1/config.pb.h"

namespace ssr::config {

struct LoadOptions {
  // Directory that relative key file paths (Key.file) are resolved against. Empty: the current
  // working directory. LoadConfigFile() sets it to the config file's directory.
  std::string base_dir;
};

// The outcome of validation: either a config (errors empty) or the full list of errors.
struct ValidationResult {
  std::shared_ptr<const Config> config;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
};

// Checks every field and reference of `proto` and builds the model.
ValidationResult Validate(const v1::Config& proto, const LoadOptions& options = {});

// Parse + Validate. On failure the status message lists every error, one per line.
absl::StatusOr<std::shared_ptr<const Config>> LoadConfigString(std::string_view text,
                                                               ConfigFormat format,
                                                               const LoadOptions& options = {});

// Reads `path` (format from the extension, see FormatForPath(); content sniffing otherwise) and
// loads it. Relative key files resolve against its directory. On failure the message is
// "PATH:\n" and the parse errors (ParseErrorsToStatus()), or one line per validation error as
// FormatConfigError() with the field's position in the file.
absl::StatusOr<std::shared_ptr<const Config>> LoadConfigFile(const std::string& path);

// "FILE:LINE:COL: field.path: message" (compiler style), or "FILE: field.path: message" when the
// position is unknown (an error without a field path: "FILE:LINE:COL: message").
std::string FormatConfigError(const std::string& file, const ConfigError& error, SourcePosition at);

// The built-in default config (examples/configs/default.textproto compiled into the library):
// the two-router branch/data-center organisation of the README demo.
std::string_view DefaultConfigText();

}  // namespace ssr::config

#endif  // SSR_CONFIG_LOADER_H_
