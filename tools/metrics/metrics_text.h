// SPDX-License-Identifier: Apache-2.0
// A RouterStats as Prometheus metrics: the text exposition format 0.0.4 (what Prometheus asks
// for by default) or OpenMetrics 1.0 text (when the scraper accepts application/openmetrics-text).
// docs/operations.md "Metrics" lists the families. Conventions (prometheus.io "Metric and label
// naming"): every name starts with "ssr_", counters end in "_total", values are in base units
// (seconds, ratios 0..1), and the sum over a family's label values means something:
//   - the gate's verdicts are one family, ssr_gate_packets_total{reason="drop_non_member"}: every
//     packet gets exactly one reason, so the sum is the packets the gate saw;
//   - the worker counter lists (pipeline, policy, crypto, session, parse, decode) and the AF_XDP
//     socket counters mix unlike things (rx_packets next to no_neighbor), so each counter is its
//     own family, ssr_pipeline_no_neighbor_total, whose HELP is the counter's own help string
//     (CounterValue::help, from the layer's X-macro list); the gate family's HELP lists its
//     reasons' help strings;
//   - per interface, peer path, route and worker: labels interface=, peer=, path=, route=,
//     service=, worker=.
// The router's name is a label of ssr_router_info only: Prometheus adds the target's labels
// (instance, job) to every sample itself.
#ifndef SSR_TOOLS_METRICS_METRICS_TEXT_H_
#define SSR_TOOLS_METRICS_METRICS_TEXT_H_

#include <string>
#include <string_view>

#include "ssr/stats.h"

namespace ssr::metrics {

enum class Format {
  kPrometheus,   // text/plain; version=0.0.4
  kOpenMetrics,  // application/openmetrics-text; version=1.0.0 (ends with "# EOF")
};

// The Content-Type header for `format`.
std::string_view ContentType(Format format);

// The format to answer an HTTP Accept header with: OpenMetrics when it names
// application/openmetrics-text, else the Prometheus text format.
Format NegotiateFormat(std::string_view accept);

// Every family of `stats` in `format`.
std::string FormatMetrics(const RouterStats& stats, Format format);

// A label value with backslash, double quote and newline escaped (both formats).
std::string EscapeLabelValue(std::string_view value);

// `name` made a valid metric name part: every character outside [a-zA-Z0-9_] becomes '_'.
std::string SanitizeName(std::string_view name);

// Whether `name` matches the Prometheus metric name regex [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(std::string_view name);
// Whether `name` matches the label name regex [a-zA-Z_][a-zA-Z0-9_]* and does not start with "__".
bool IsValidLabelName(std::string_view name);

}  // namespace ssr::metrics

#endif  // SSR_TOOLS_METRICS_METRICS_TEXT_H_
