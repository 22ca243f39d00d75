// Tests of the seeded random engine (mlc/rng.hpp).
#include "mlc/rng.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "mlc/error.hpp"

namespace {

TEST(Rng, SameSeedSameStream) {
  mlc::Rng a(123), b(123), c(124);
  for (int i = 0; i < 100; ++i) {
    const double x = a.normal();
    EXPECT_EQ(x, b.normal());
    (void)c;
  }
  EXPECT_NE(mlc::Rng(123).next_u64(), mlc::Rng(124).next_u64());
}

TEST(Rng, DerivedStreamsDifferFromShiftedSeeds) {
  mlc::Rng base(5);
  EXPECT_NE(base.derive(1).next_u64(), mlc::Rng(6).next_u64());
  EXPECT_NE(base.derive(1).next_u64(), base.derive(2).next_u64());
  EXPECT_EQ(base.derive(3).next_u64(), mlc::Rng(5).derive(3).next_u64());
}

// Moments of 200 000 draws. Tolerances are 5 standard errors: for U(0,1) the mean has
// sd sqrt(1/12 / n) = 6.5e-4; for N(0,1) the mean has sd 1/sqrt(n) = 2.2e-3 and the
// variance has sd sqrt(2/n) = 3.2e-3.
TEST(Rng, UniformAndNormalHaveTheRightMoments) {
  mlc::Rng rng(1);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double z = rng.normal();
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 5 * 6.5e-4);
  EXPECT_NEAR(sn / n, 0.0, 5 * 2.2e-3);
  EXPECT_NEAR(sn2 / n, 1.0, 5 * 3.2e-3);
}

TEST(Rng, IntegerCoversTheRangeUniformly) {
  mlc::Rng rng(2);
  std::vector<int> counts(6, 0);
  const int n = 60000;
  for (int i = 0; i < n; ++i) {
    const auto k = rng.integer(1, 6);
    ASSERT_GE(k, 1);
    ASSERT_LE(k, 6);
    ++counts[static_cast<std::size_t>(k - 1)];
  }
  // Each count is Binomial(n, 1/6): sd = sqrt(n p (1-p)) = 91.3; 5 sd = 456.
  for (int c : counts) EXPECT_NEAR(c, n / 6.0, 456);
}

TEST(Rng, PermutationAndSampleWithoutReplacementAreValid) {
  mlc::Rng rng(3);
  auto p = rng.permutation(50);
  std::vector<Eigen::Index> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (Eigen::Index i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
  auto s = rng.sample_without_replacement(100, 30);
  EXPECT_EQ(std::set<Eigen::Index>(s.begin(), s.end()).size(), 30u);
  EXPECT_THROW(rng.sample_without_replacement(3, 4), std::invalid_argument);
}

TEST(Rng, StateRoundTripContinuesTheSameStream) {
  mlc::Rng a(11);
  a.normal();  // leaves a spare normal deviate in the state
  for (int i = 0; i < 5; ++i) a.uniform();
  mlc::Rng b(999);
  b.set_state(a.state());
  EXPECT_EQ(b.seed(), a.seed());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(a.normal(), b.normal());
    EXPECT_EQ(a.next_u64(), b.next_u64());
  }
  EXPECT_THROW(b.set_state("mlc-rng-1 garbage"), mlc::DataError);
  EXPECT_THROW(b.set_state(""), mlc::DataError);
  EXPECT_THROW(b.set_state(a.state() + " extra"), mlc::DataError);
}

}  // namespace
