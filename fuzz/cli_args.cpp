// Fuzz harness of mlc::parse_args (common/src/cli.cpp), the command line of every lesson
// program (over CLI11).
//
// Input: the arguments after the program name, separated by NUL bytes (at most 64). A
// UsageError is the documented answer to a bad command line; any other exception, a
// crash, a leak or undefined behaviour is a finding. Invariants of an accepted command
// line: --help returns nothing and prints the usage; otherwise the output folder is not
// empty, the seed is the default unless --seed was given, and --quick was given if quick.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "mlc/cli.hpp"
#include "mlc/error.hpp"

namespace {

const mlc::LessonInfo kInfo{"demo", "level1_math", "1.0", "Demo", "A demo lesson.", "report.md"};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "cli_args invariant violated: %s\n", what);
    std::abort();
  }
}

bool mentions(const std::vector<std::string>& args, const std::string& prefix) {
  for (const auto& a : args)
    if (a.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"demo"};
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
      if (args.size() > 64) return 0;
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  if (size > 0) args.push_back(current);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  std::ostringstream help;
  std::optional<mlc::Options> options;
  try {
    options = mlc::parse_args(static_cast<int>(args.size()), argv.data(), kInfo, help);
  } catch (const mlc::UsageError&) {
    return 0;
  }
  if (!options) {
    check(help.str().find("--seed") != std::string::npos, "--help prints the usage");
    return 0;
  }
  check(!options->out.empty(), "an output folder");
  check(options->seed == mlc::kDefaultSeed || mentions(args, "--seed"),
        "the default seed unless --seed");
  check(!options->quick || mentions(args, "--q"), "quick only when asked");
  return 0;
}
