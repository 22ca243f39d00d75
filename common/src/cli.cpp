// Command line shared by every lesson program (mlc/cli.hpp).
#include "mlc/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "mlc/error.hpp"
#include "mlc/timer.hpp"

namespace mlc {

namespace {

std::string usage_footer(const LessonInfo& info) {
  std::string text;
  if (!info.outputs.empty()) text += "Outputs (in --out):\n" + info.outputs + "\n\n";
  text += fmt::format(
      "Exit status: 0 done; 2 bad usage or bad input; 1 internal error.\n"
      "Run through the driver: ./learn run {} [flags]",
      info.id);
  return text;
}

// Creates the output folder before the run, so that an --out that cannot hold the outputs
// is reported as bad usage, naming the folder and the fix, instead of as an internal error
// from the first file the program writes there.
void prepare_output_folder(const std::filesystem::path& out, const LessonInfo& info) {
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  std::string problem;
  if (ec) {
    problem = ec.message();
  } else if (!std::filesystem::is_directory(out, ec)) {
    problem = "it exists and is not a folder";
  } else if (::access(out.c_str(), W_OK | X_OK) != 0) {
    problem = std::strerror(errno);
  }
  if (problem.empty()) return;
  throw UsageError(fmt::format(
      "--out {}: cannot create or write the output folder ({})\n"
      "pass a writable folder, e.g. {} --out /tmp/{}, or omit --out for the default out/{}/{}",
      out.string(), problem, info.id, info.id, info.level_dir, info.id));
}

}  // namespace

int default_thread_count() {
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env != nullptr) {
    const std::string text(env);
    if (!text.empty() && text.size() <= 4 &&
        text.find_first_not_of("0123456789") == std::string::npos && std::stoi(text) >= 1) {
      return std::stoi(text);
    }
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::optional<Options> parse_args(int argc, const char* const* argv, const LessonInfo& info,
                                  std::ostream& help_out) {
  Options options;
  CLI::App app{
      fmt::format("Lesson {} {} ({})\n\n{}", info.number, info.title, info.id, info.summary),
      info.id};
  app.footer(usage_footer(info));
  std::string seed_text;
  CLI::Option* seed_option = app.add_option(
      "--seed", seed_text,
      fmt::format("seed from which every random choice derives (default {})", kDefaultSeed));
  std::string out_text;
  CLI::Option* out_option = app.add_option(
      "--out", out_text, fmt::format("output folder (default out/{}/{})", info.level_dir, info.id));
  app.add_flag("--quick", options.quick,
               "small sizes that finish in a few seconds (what ctest runs)");
  std::string threads_text;
  CLI::Option* threads_option = nullptr;
  if (info.flags.threads) {
    threads_option = app.add_option(
        "--threads", threads_text,
        fmt::format("threads for matrix products and batches (default {}: OMP_NUM_THREADS, "
                    "else the hardware's count); results do not depend on it",
                    default_thread_count()));
  }
  if (info.flags.resume) {
    app.add_flag("--resume", options.resume,
                 "continue a stopped run from the checkpoints in the output folder");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    help_out << app.help();
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    throw UsageError(fmt::format("{}\n\n{}", e.what(), app.help()));
  }

  options.seed = kDefaultSeed;
  if (seed_option->count() > 0) {
    // A seed is a non-negative integer; reject "abc", "-1", "1e3", "12x" and an empty value
    // (--seed= would otherwise run silently with the default seed).
    bool digits_only = seed_text.find_first_not_of("0123456789") == std::string::npos;
    if (seed_text.empty() || !digits_only || seed_text.size() > 19) {
      throw UsageError(
          fmt::format("--seed expects a non-negative integer below 10^19, got '{}'\n"
                      "example: {} --seed 7",
                      seed_text, info.id));
    }
    options.seed = std::stoull(seed_text);
  }
  if (info.flags.threads) {
    options.threads = default_thread_count();
    if (threads_option->count() > 0) {
      const bool digits_only = threads_text.find_first_not_of("0123456789") == std::string::npos;
      const int value = digits_only && !threads_text.empty() && threads_text.size() <= 4
                            ? std::stoi(threads_text)
                            : 0;
      if (value < 1 || value > 1024) {
        throw UsageError(
            fmt::format("--threads expects a whole number of threads from 1 to 1024, got '{}'\n"
                        "example: {} --threads 2",
                        threads_text, info.id));
      }
      options.threads = value;
    }
  }
  if (out_option->count() > 0 && out_text.empty()) {
    throw UsageError(
        fmt::format("--out expects a folder, got an empty value\n"
                    "example: {} --out /tmp/{}",
                    info.id, info.id));
  }
  options.out = out_text.empty() ? std::filesystem::path("out") / info.level_dir / info.id
                                 : std::filesystem::path(out_text);
  return options;
}

int lesson_main(int argc, const char* const* argv, const LessonInfo& info,
                const std::function<void(const Options&)>& body) {
  try {
    auto options = parse_args(argc, argv, info, std::cout);
    if (!options) return 0;
    prepare_output_folder(options->out, info);
    std::cout << fmt::format("== Lesson {} {} (seed {}{}{}{}) ==\n", info.number, info.title,
                             options->seed, options->quick ? ", quick" : "",
                             info.flags.threads ? fmt::format(", {} thread{}", options->threads,
                                                              options->threads == 1 ? "" : "s")
                                                : "",
                             options->resume ? ", resumed" : "");
    const Timer timer;
    body(*options);
    // The closing line of every run: where the report is and how long the run took.
    const auto report = options->out / "report.md";
    if (std::filesystem::exists(report)) {
      std::cout << fmt::format("Done in {}. Report: {}\n", format_duration(timer.seconds()),
                               report.string());
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << info.id << ": " << e.what() << "\n";
    return 2;
  } catch (const DataError& e) {
    std::cerr << info.id << ": bad input: " << e.what() << "\n";
    return 2;
  } catch (const NotImplemented& e) {
    std::cerr << info.id << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << info.id << ": internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace mlc
