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
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlc/io.hpp"

namespace fs = std::filesystem;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::cout << "FAIL: " << what << "\n";
  }
}

// The report without what may differ between two runs: the wall-time line and the
// closing "## Timing" section (mlc/report.hpp).
std::string without_wall_time(const std::string& report) {
  std::istringstream in(report);
  std::string line, out;
  bool in_timing = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_timing = line == "## Timing";
    if (!in_timing && line.rfind("Wall time:", 0) != 0) out += line + "\n";
  }
  return out;
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
    const auto report = mlc::read_text_file(run1 / "report.md");
    check(report.find("## Failure modes") != std::string::npos, "report.md has a Failure modes section");
    nlohmann::json metrics;
    try {
      metrics = nlohmann::json::parse(mlc::read_text_file(run1 / "metrics.json"));
    } catch (const std::exception& e) {
      check(false, fmt::format("metrics.json parses: {}", e.what()));
    }
    if (metrics.is_object()) {
      check(metrics.value("lesson", "") == lesson, "metrics.json names the lesson " + lesson);
      check(metrics.contains("seed") && metrics["seed"] == 7, "metrics.json records seed 7");
      check(metrics.contains("quick") && metrics["quick"] == true, "metrics.json records quick = true");
      check(metrics.contains("metrics") && metrics["metrics"].is_object() && !metrics["metrics"].empty(),
            "metrics.json has a non-empty metrics object");
      if (metrics.contains("metrics") && metrics["metrics"].is_object()) {
        for (const auto& [name, value] : metrics["metrics"].items()) {
          bool ok = value.is_number() || value.is_null();
          if (value.is_array())
            for (const auto& v : value) ok = ok || v.is_number() || v.is_null();
          if (value.is_array()) {
            ok = true;
            for (const auto& v : value) ok = ok && (v.is_number() || v.is_null());
          }
          check(ok, "metric " + name + " is a number or an array of numbers");
        }
      }
      check(metrics.contains("timing") && metrics["timing"].is_object(), "metrics.json has timing");
      check(metrics.contains("versions") && metrics["versions"].is_object(), "metrics.json has versions");
    }
    int svgs = 0;
    if (fs::is_directory(run1 / "figures")) {
      for (const auto& entry : fs::directory_iterator(run1 / "figures")) {
        if (entry.path().extension() != ".svg") continue;
        ++svgs;
        const auto stem = entry.path().stem().string();
        const auto svg = mlc::read_text_file(entry.path());
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
    if (status == 0 && metrics.is_object()) {
      auto again = nlohmann::json::parse(mlc::read_text_file(run2 / "metrics.json"));
      metrics.erase("timing");
      again.erase("timing");
      check(metrics == again, "two runs with seed 7 give identical metrics.json apart from timing");
      check(without_wall_time(report) == without_wall_time(mlc::read_text_file(run2 / "report.md")),
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
