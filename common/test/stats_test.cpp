// Tests of the summaries of repeated measurements (mlc/stats.hpp).
#include "mlc/stats.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace {

TEST(Stats, MeanAndSampleSdOnAHandExample) {
  const std::vector<double> v{2, 4, 4, 4, 5, 5, 7, 9};  // mean 5, Σ(x − 5)² = 32
  EXPECT_DOUBLE_EQ(mlc::mean(v), 5.0);
  EXPECT_DOUBLE_EQ(mlc::sample_sd(v), std::sqrt(32.0 / 7.0));
  EXPECT_DOUBLE_EQ(mlc::sample_sd(std::vector<double>{3.0}), 0.0);
  EXPECT_THROW(mlc::mean(std::vector<double>{}), std::invalid_argument);
}

TEST(Stats, SampleSdHasNoCancellationOnALargeOffset) {
  // One-pass formulas lose every digit here (lesson 1.1); two passes do not.
  const std::vector<double> v{1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};  // sd of 4, 7, 13, 16 = √30
  EXPECT_NEAR(mlc::sample_sd(v), std::sqrt(30.0), 1e-6);
}

}  // namespace
