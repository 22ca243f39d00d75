// GoogleTest helpers (mlc/testing.hpp).
#include "mlc/testing.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "mlc/io.hpp"
#include "mlc/report.hpp"

namespace mlc::testing {

::testing::AssertionResult AllClose(const Eigen::Ref<const Eigen::MatrixXd>& a,
                                    const Eigen::Ref<const Eigen::MatrixXd>& b, double atol, double rtol) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) {
    return ::testing::AssertionFailure() << "shapes differ: " << a.rows() << "×" << a.cols() << " vs "
                                         << b.rows() << "×" << b.cols();
  }
  double worst = 0.0;
  Eigen::Index wi = -1, wj = -1;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const double excess = std::abs(a(i, j) - b(i, j)) - (atol + rtol * std::abs(b(i, j)));
      if (!(excess <= 0.0) && (wi < 0 || !(excess <= worst))) {
        worst = excess;
        wi = i;
        wj = j;
      }
    }
  if (wi < 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << fmt::format(
             "entry ({}, {}) differs: {:.17g} vs {:.17g} (|diff| = {:.3g}, atol = {:.3g}, rtol = {:.3g})", wi, wj,
             a(wi, wj), b(wi, wj), std::abs(a(wi, wj) - b(wi, wj)), atol, rtol);
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/mlc-test-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("TempDir: cannot create " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ProgramRun run_program(const std::filesystem::path& program, const std::vector<std::string>& args) {
  std::vector<std::string> argv{program.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProgramRun run;
  run.exit_code = run_process(argv, {}, &run.output);
  return run;
}

std::filesystem::path lesson_program() {
  const char* p = std::getenv("MLC_LESSON_PROGRAM");
  if (!p || !*p) throw std::runtime_error("MLC_LESSON_PROGRAM is not set: run this test through ctest");
  return p;
}

ProgramRun run_lesson(const std::vector<std::string>& args) { return run_program(lesson_program(), args); }

std::map<std::string, double> read_metrics(const std::filesystem::path& dir) {
  const auto file = dir / "metrics.json";
  return parse_metrics(read_text_file(file), file.string());
}

}  // namespace mlc::testing
