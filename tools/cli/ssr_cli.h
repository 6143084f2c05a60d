// SPDX-License-Identifier: Apache-2.0
// Command-line conventions shared by every libssr tool (ssr-router, ssr-config-check, ssr-pcap,
// ssr-pktgen), on top of CLI11 (Debian package libcli11-dev, header-only):
//
//   -h, --help     usage on stdout: the synopsis, every option with its meaning, then the
//                  sections the tool gives (signals, exit codes, files); exit 0
//   --version      "<tool> <SSR_VERSION_STRING>" on stdout; exit 0
//   a bad command line (unknown option, missing value, stray argument): one line on stderr,
//                  "<tool>: <what, naming the option and value>", then "try '<tool> --help'";
//                  exit 2
//
// abseil's flags library (a dependency already) cannot be used: its flag names are C
// identifiers, so none of the existing hyphenated options (--xdp-mode, --busy-poll, ...) could
// keep its spelling, it rejects -h, and Debian 12's version exits 1 after --help and on errors.
#ifndef SSR_TOOLS_CLI_SSR_CLI_H_
#define SSR_TOOLS_CLI_SSR_CLI_H_

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ssr::cli {

inline constexpr int kExitUsage = 2;

// Prints the synopsis given by the tool instead of CLI11's generated "Usage:" line, so that the
// alternative forms of a command (e.g. "--config FILE | --default") read as in the header
// comments.
class Formatter : public CLI::Formatter {
 public:
  explicit Formatter(std::string synopsis) : synopsis_(std::move(synopsis)) { column_width(34); }
  std::string make_usage(const CLI::App*, std::string) const override { return synopsis_; }
  // Wraps the description to 100 columns (CLI11 indents the continuation lines).
  std::string make_option_desc(const CLI::Option* opt) const override {
    const std::string text = CLI::Formatter::make_option_desc(opt);
    const size_t width = 100 - get_column_width();
    std::string out, line;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find(' ', pos);
      if (end == std::string::npos) end = text.size();
      const std::string word = text.substr(pos, end - pos);
      if (!line.empty() && line.size() + 1 + word.size() > width) {
        out += line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
      pos = end + 1;
    }
    return out + line;
  }

 private:
  std::string synopsis_;
};

// Configures `app` for the conventions above: `synopsis` (several lines, starting "usage: "),
// `footer` (the signals / exit codes / files sections), `version` (SSR_VERSION_STRING).
inline void Setup(CLI::App& app, const std::string& synopsis, const std::string& footer,
                  const std::string& version) {
  app.formatter(std::make_shared<Formatter>(synopsis + "\n"));
  app.footer(footer);
  app.set_version_flag("--version", app.get_name() + " " + version,
                       "print \"" + app.get_name() + " VERSION\" and exit 0");
  app.set_help_flag("-h,--help", "print this help and exit 0");
  // Leftover arguments are reported by Parse() with our own wording.
  app.allow_extras(true);
}

// One-line message for a usage error of `tool`, then a pointer to --help; returns kExitUsage.
inline int UsageError(const std::string& tool, const std::string& message) {
  std::fprintf(stderr, "%s: %s\ntry '%s --help'\n", tool.c_str(), message.c_str(), tool.c_str());
  return kExitUsage;
}

// Parses the command line. Returns the exit code when the program must stop now (0 after --help
// or --version, kExitUsage after an error), nullopt to go on.
inline std::optional<int> Parse(CLI::App& app, int argc, char** argv) {
  const std::string tool = app.get_name();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::printf("%s\n", e.what());
    return 0;
  } catch (const CLI::ArgumentMismatch& e) {
    // "--batch: 1 required TEXT missing" and the like: name the option.
    std::string what = e.what();
    const size_t colon = what.find(':');
    if (colon != std::string::npos && what.rfind("-", 0) == 0) {
      return UsageError(tool, "option \"" + what.substr(0, colon) + "\" is missing its value");
    }
    return UsageError(tool, what);
  } catch (const CLI::ParseError& e) {
    return UsageError(tool, e.what());
  }
  for (const std::string& extra : app.remaining()) {
    if (extra == "--") continue;  // CLI11 keeps the end-of-options marker; what follows is parsed
    if (extra.size() > 1 && extra[0] == '-') {
      return UsageError(tool, "unknown option \"" + extra + "\"");
    }
    return UsageError(tool, "unexpected argument \"" + extra + "\"");
  }
  return std::nullopt;
}

}  // namespace ssr::cli

#endif  // SSR_TOOLS_CLI_SSR_CLI_H_
