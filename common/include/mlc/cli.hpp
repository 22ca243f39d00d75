// mlc/cli.hpp: the command line every lesson program shares (DESIGN.md, "The experiment
// program"): --help, --seed N, --out DIR, --quick, and the two flags a lesson opts into
// through LessonFlags: --threads N (a lesson that runs threads) and --resume (a lesson
// that trains long and keeps checkpoints in its output folder).
//
// A lesson's main() is one line:
//
//   int main(int argc, char** argv) { return mlc::lesson_main(argc, argv, kLesson, run); }
//
// lesson_main parses the flags, creates the output folder (an --out that cannot be created
// or written is a UsageError), prints the header of the run (lesson, title, seed, quick),
// calls run(options), prints the closing line (wall time, the report's path), and maps
// exceptions to exit codes: UsageError and DataError -> 2 with the message, any other
// exception -> 1 ("internal error: ..."), so that no bad input ever ends in a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

namespace mlc {

// The optional flags a lesson accepts; a flag a lesson does not declare is an unknown flag
// (exit 2), so that no flag is ever accepted and silently ignored.
struct LessonFlags {
  bool threads = false;  // --threads N: the lesson sets Eigen's and OpenMP's thread count
  bool resume = false;   // --resume: continue from the checkpoints in --out
};

// What a lesson is; used by --help, the report header and the default output folder.
struct LessonInfo {
  std::string id;         // lesson id, e.g. "gradient_descent"
  std::string level_dir;  // e.g. "level1_math"
  std::string number;     // e.g. "1.4"
  std::string title;      // e.g. "Gradient descent"
  std::string summary;    // one paragraph for --help: what the lesson shows
  std::string outputs;    // for --help: the figures and the report it writes
  LessonFlags flags{};    // the optional flags it accepts
};

struct Options {
  std::uint64_t seed = 42;    // every random choice derives from it
  std::filesystem::path out;  // outputs go here; default out/<level_dir>/<id>/
  bool quick = false;         // small sizes, a few seconds: what ctest runs
  int threads = 1;            // --threads N (LessonFlags::threads), else 1; the lesson applies it
  bool resume = false;        // --resume (LessonFlags::resume): continue from the checkpoints
};

// The thread count a lesson with --threads uses when the flag is absent: OMP_NUM_THREADS when
// it is a positive integer (ctest sets 1, since it runs two tests at once), else the
// hardware's thread count.
int default_thread_count();

inline constexpr std::uint64_t kDefaultSeed = 42;

// Parses the common flags. Returns std::nullopt after printing --help to `help_out`.
// Throws UsageError (with the usage text) on an unknown flag or a bad value.
std::optional<Options> parse_args(int argc, const char* const* argv, const LessonInfo& info,
                                  std::ostream& help_out);

// Parses, runs `body`, and turns exceptions into exit codes (0, 1 or 2; see above).
int lesson_main(int argc, const char* const* argv, const LessonInfo& info,
                const std::function<void(const Options&)>& body);

}  // namespace mlc
