// SPDX-License-Identifier: Apache-2.0
// The one place config validation records its findings.
//
// Every validator (validate_*.cc) reports into the same ErrorSink, so the user sees all problems of
// a config in one run, in the order the passes found them (config/validate.cc fixes that order).
// An error is a field path ("tenants[2].members[0].prefixes[0]"), a message naming the value, and
// a status code: InvalidArgument unless the error is a duplicate (AlreadyExists) or a key file
// that cannot be used (its read error's code).
#ifndef SSR_CONFIG_ERROR_SINK_H_
#define SSR_CONFIG_ERROR_SINK_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ssr::config {

// One problem in a config.
struct ConfigError {
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  std::string path;     // field path, e.g. "tenants[2].members[0].prefixes[0]"; "" for the file
  std::string message;  // what is wrong, naming the value
  // "path: message" (or just the message when there is no path).
  std::string ToString() const;
};

// Turns a list of errors into one status: OK for none; otherwise the code of the errors if they
// all share one (InvalidArgument when they differ) and a message listing every error
// (ConfigError::ToString()), one per line, in list order.
absl::Status ErrorsToStatus(const std::vector<ConfigError>& errors);

// Collects errors in the order they are added. Never drops or reorders one.
class ErrorSink {
 public:
  void Add(std::string path, std::string message,
           absl::StatusCode code = absl::StatusCode::kInvalidArgument);

  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  const std::vector<ConfigError>& errors() const { return errors_; }

  // The collected errors, leaving the sink empty.
  std::vector<ConfigError> Take();

  // ErrorsToStatus(errors()).
  absl::Status ToStatus() const;

 private:
  std::vector<ConfigError> errors_;
};

}  // namespace ssr::config

#endif  // SSR_CONFIG_ERROR_SINK_H_
