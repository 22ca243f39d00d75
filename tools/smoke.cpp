// mlc_smoke PROGRAM LESSON_ID: the smoke test of a lesson program (cmake/Lesson.cmake).
//
// Checks the program contract of DESIGN.md:
//   * --help exits 0 and prints usage; an unknown flag exits 2 with usage;
//   * --quick --seed 7 --out TMP exits 0 and writes report.md (with a Failure modes
//     section), metrics.json (schema: lesson, seed, quick, metrics, timing, versions) and
//     figures/NAME.svg with NAME.gp and NAME.dat beside each;
//   * a second identical run gives the same metrics.json apart from "timing" and the same
//     report.md apart from its wall-time line and its closing Timing section.
// Prints what failed and exits 1, or prints a summary and exits 0.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"
#include "smoke_checks.hpp"

namespace fs = std::filesystem;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::cout << "FAIL: " << what << "\n";
  }
}

// The file's text, or nullopt after a FAIL line naming it.
std::optional<std::string> read(const fs::path& file) {
  try {
    return mlc::read_text_file(file);
  } catch (const mlc::DataError& e) {
    check(false, e.what());
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: mlc_smoke PROGRAM LESSON_ID\n";
    return 2;
  }
  const std::string program = argv[1], lesson = argv[2];
  std::string output;

  int status = mlc::run_process({program, "--help"}, {}, &output);
  check(status == 0, fmt::format("--help exits {} (expected 0)", status));
  check(output.find("--seed") != std::string::npos && output.find("--quick") != std::string::npos,
        "--help lists --seed and --quick");

  status = mlc::run_process({program, "--no-such-flag"}, {}, &output);
  check(status == 2, fmt::format("an unknown flag exits {} (expected 2)", status));
  check(output.find("--no-such-flag") != std::string::npos, "the error names the unknown flag");

  char pattern[] = "/tmp/mlc-smoke-XXXXXX";
  const char* tmp = ::mkdtemp(pattern);
  if (!tmp) {
    std::cerr << "cannot create a temporary folder\n";
    return 1;
  }
  const fs::path root(tmp);
  const fs::path run1 = root / "run1", run2 = root / "run2";

  status = mlc::run_process({program, "--quick", "--seed", "7", "--out", run1.string()}, {}, &output);
  check(status == 0, fmt::format("--quick --seed 7 exits {} (expected 0); output:\n{}", status, output));
  if (status == 0) {
    const auto report = read(run1 / "report.md").value_or("");
    check(report.find("## Failure modes") != std::string::npos, "report.md has a Failure modes section");
    const auto metrics = read(run1 / "metrics.json");
    if (metrics) {
      for (const auto& problem : smoke::metrics_json_problems(*metrics, lesson, 7)) check(false, problem);
    }
    int svgs = 0;
    if (fs::is_directory(run1 / "figures")) {
      for (const auto& entry : fs::directory_iterator(run1 / "figures")) {
        if (entry.path().extension() != ".svg") continue;
        ++svgs;
        const auto stem = entry.path().stem().string();
        const auto svg = read(entry.path()).value_or("");
        check(svg.find("<svg") != std::string::npos && svg.find("</svg>") != std::string::npos,
              stem + ".svg is a complete SVG document");
        check(fs::exists(run1 / "figures" / (stem + ".gp")), stem + ".gp is beside " + stem + ".svg");
        check(fs::exists(run1 / "figures" / (stem + ".dat")), stem + ".dat is beside " + stem + ".svg");
        check(report.find("figures/" + stem + ".svg") != std::string::npos, "report.md embeds " + stem + ".svg");
      }
    }
    check(svgs > 0, "the run wrote at least one figure");

    // Determinism: the same seed and flags give the same outputs.
    status = mlc::run_process({program, "--quick", "--seed", "7", "--out", run2.string()}, {}, &output);
    check(status == 0, fmt::format("the second run exits {}", status));
    if (status == 0 && metrics) {
      const auto again = read(run2 / "metrics.json");
      check(again && smoke::same_metrics_apart_from_timing(*metrics, *again),
            "two runs with seed 7 give identical metrics.json apart from timing");
      check(smoke::without_wall_time(report) == smoke::without_wall_time(read(run2 / "report.md").value_or("")),
            "two runs with seed 7 give identical report.md apart from the wall-time line");
    }
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  if (failures > 0) {
    std::cout << fmt::format("{}: {} smoke check(s) failed\n", lesson, failures);
    return 1;
  }
  std::cout << fmt::format("{}: program contract holds (help, usage error, outputs, determinism)\n", lesson);
  return 0;
}
