// SPDX-License-Identifier: Apache-2.0
// Writes (or checks) the packet fuzz target's seed corpus, test/fuzz/corpus/packet/.
//
//   packet_corpus_gen --write <dir>   regenerate the files
//   packet_corpus_gen --check <dir>   exit 1 if <dir> differs from what --write would produce
//
// The seeds come from packet_cases.h, the same table the parser tests use. File names are
// "<frame|ip>-<expected parse result>--<case>.bin", which packet_corpus_test checks, so a seed
// that stops meaning what its name says fails a test instead of silently losing coverage.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "packet_cases.h"

namespace {

using ssr::packet::testing::PacketCase;

std::string FileName(const PacketCase& c) {
  return std::string(c.from_ip ? "ip-" : "frame-") +
         std::string(ssr::packet::ParseResultName(c.expected)) + "--" + c.name + ".bin";
}

std::vector<PacketCase> CorpusCases() {
  std::vector<PacketCase> out;
  for (auto& c : ssr::packet::testing::ValidCases()) {
    if (c.in_corpus) out.push_back(std::move(c));
  }
  for (auto& c : ssr::packet::testing::MalformedCases()) {
    if (c.in_corpus) out.push_back(std::move(c));
  }
  return out;
}

std::vector<uint8_t> ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "--write" && std::string(argv[1]) != "--check")) {
    std::fprintf(stderr, "usage: %s --write|--check <corpus dir>\n", argv[0]);
    return 2;
  }
  const bool write = std::string(argv[1]) == "--write";
  const std::filesystem::path dir(argv[2]);
  std::set<std::string> expected;
  int problems = 0;
  for (const PacketCase& c : CorpusCases()) {
    const std::string name = FileName(c);
    expected.insert(name);
    const auto path = dir / name;
    if (write) {
      std::filesystem::create_directories(dir);
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(c.bytes.data()),
                static_cast<std::streamsize>(c.bytes.size()));
      if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
    } else if (!std::filesystem::exists(path) || ReadFile(path) != c.bytes) {
      std::fprintf(stderr, "stale or missing: %s\n", path.c_str());
      ++problems;
    }
  }
  if (std::filesystem::is_directory(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (expected.count(name) == 0) {
        std::fprintf(stderr, "not generated (remove or add to packet_cases.h): %s\n",
                     entry.path().c_str());
        ++problems;
      }
    }
  }
  if (problems != 0) {
    std::fprintf(stderr, "regenerate with: packet_corpus_gen --write %s\n", dir.c_str());
    return 1;
  }
  std::printf("%s %zu corpus files in %s\n", write ? "wrote" : "checked", expected.size(),
              dir.c_str());
  return 0;
}
