// mlc/testing.hpp: GoogleTest helpers shared by every lesson's test.cpp.
//
//   EXPECT_ALLCLOSE(ours, eigen_reference, 1e-10);      // matrices, elementwise
//   mlc::testing::TempDir dir;                          // removed at scope exit
//   auto run = mlc::testing::run_lesson({"--quick", "--out", dir.path()});
//   EXPECT_EQ(run.exit_code, 0) << run.output;
//   auto metrics = mlc::testing::read_metrics(dir.path());
//   EXPECT_GT(metrics.at("breast_cancer.test_accuracy"), 0.95);
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <gtest/gtest.h>

namespace mlc::testing {

// |a - b| <= atol + rtol |b| entrywise, with a message naming the worst entry.
::testing::AssertionResult AllClose(const Eigen::Ref<const Eigen::MatrixXd>& a,
                                    const Eigen::Ref<const Eigen::MatrixXd>& b, double atol,
                                    double rtol = 0.0);

#define EXPECT_ALLCLOSE(a, b, atol) EXPECT_TRUE(::mlc::testing::AllClose((a), (b), (atol)))
#define ASSERT_ALLCLOSE(a, b, atol) ASSERT_TRUE(::mlc::testing::AllClose((a), (b), (atol)))

// A fresh temporary folder, removed with its contents when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct ProgramRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a program with arguments (no shell).
ProgramRun run_program(const std::filesystem::path& program, const std::vector<std::string>& args);
// The lesson's own program: ctest sets MLC_LESSON_PROGRAM (cmake/Lesson.cmake).
std::filesystem::path lesson_program();
ProgramRun run_lesson(const std::vector<std::string>& args);

// The "metrics" object of <dir>/metrics.json as name -> number (arrays are flattened to
// name[0], name[1], ...; null becomes NaN): mlc::parse_metrics (mlc/report.hpp) on the
// file. A missing or malformed file throws DataError naming it, which fails the test.
std::map<std::string, double> read_metrics(const std::filesystem::path& dir);

}  // namespace mlc::testing
