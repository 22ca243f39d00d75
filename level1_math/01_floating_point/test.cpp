// 1.1 floating_point: the grade. Every stable formula is checked against an independent
// exact answer (closed forms, integer arithmetic, 50-digit Boost.Multiprecision), the
// log-loss gradient against central differences, and each failure mode of the report is
// reproduced on small inputs. Error bounds are the published ones (Higham 2002, Goldberg
// 1991), in units of the unit roundoff u = 2^-53.
#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "floating_point.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "reference.hpp"

namespace {

namespace fp = floating_point;
namespace ref = floating_point::reference;
using Real = ref::Real;

constexpr double kU = 0x1p-53;
const double kLogDblMax = std::log(DBL_MAX);

double ulp(double x) {
  return std::nextafter(x, INFINITY) - x;
}

// ---- Machine epsilon, unit roundoff, range ---------------------------------------------

TEST(MachineEpsilon, HalvingFindsNumericLimitsEpsilonForEveryType) {
  const auto f = fp::find_machine_epsilon<float>();
  const auto d = fp::find_machine_epsilon<double>();
  const auto ld = fp::find_machine_epsilon<long double>();
  EXPECT_EQ(f.epsilon, std::numeric_limits<float>::epsilon());
  EXPECT_EQ(d.epsilon, std::numeric_limits<double>::epsilon());
  EXPECT_EQ(ld.epsilon, std::numeric_limits<long double>::epsilon());
  // p significand bits (with the hidden one) take p - 1 halvings.
  EXPECT_EQ(f.halvings, std::numeric_limits<float>::digits - 1);
  EXPECT_EQ(d.halvings, 52);
  EXPECT_EQ(d.epsilon, std::ldexp(1.0, -52));
}

TEST(MachineEpsilon, UnitRoundoffIsTheLargestXWithOnePlusXEqualToOne) {
  const double u = fp::last_double_where([](double x) { return 1.0 + x == 1.0; }, 0.0, 1.0);
  EXPECT_EQ(u, 0x1p-53);  // a tie, rounded to even
  EXPECT_EQ(u, std::numeric_limits<double>::epsilon() / 2);
  EXPECT_GT(1.0 + std::nextafter(u, 1.0), 1.0);
}

TEST(MachineEpsilon, ExpOverflowThresholdFoundByBisectionIsLogDblMax) {
  const double t =
      fp::last_double_where([](double x) { return std::isfinite(std::exp(x)); }, 0.0, 1000.0);
  EXPECT_LE(std::abs(t - kLogDblMax), ulp(kLogDblMax)) << t;
  EXPECT_TRUE(std::isfinite(std::exp(t)));
  EXPECT_TRUE(std::isinf(std::exp(std::nextafter(t, INFINITY))));
}

TEST(MachineEpsilon, BisectionRejectsABracketThatDoesNotBracket) {
  EXPECT_THROW(fp::last_double_where([](double) { return true; }, 0.0, 1.0), std::invalid_argument);
}

// ---- Summation --------------------------------------------------------------------------

TEST(Summation, IntegersSumExactlyByEveryMethod) {
  // 1 + 2 + ... + n = n(n+1)/2 has no rounding error below 2^53: every method must be exact.
  const Eigen::Index n = 10000;
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(n, 1.0, static_cast<double>(n));
  const double exact = static_cast<double>(n * (n + 1) / 2);
  EXPECT_EQ(fp::naive_sum(x), exact);
  EXPECT_EQ(fp::pairwise_sum(x), exact);
  EXPECT_EQ(fp::kahan_sum(x), exact);
  EXPECT_EQ(fp::pairwise_sum(Eigen::VectorXd(0)), 0.0);
}

TEST(Summation, KahanRecoversTinyTermsThatTheNaiveLoopDrops) {
  // 1 + 10 terms of 2^-53: each naive addition is a tie that rounds back to 1. The exact
  // sum 1 + 10 2^-53 = 1 + 5 eps rounds to itself (it is a double).
  Eigen::VectorXd x = Eigen::VectorXd::Constant(11, 0x1p-53);
  x[0] = 1.0;
  EXPECT_EQ(fp::naive_sum(x), 1.0);
  EXPECT_EQ(fp::kahan_sum(x), 1.0 + 10 * 0x1p-53);
}

TEST(Summation, KahanSumOfTenthIsCorrectToTwoUnitRoundoffs) {
  // Exact: n fl(0.1), in 50 digits (fl(0.1) has 53 bits, n < 2^24: the product is exact).
  for (const Eigen::Index n : {10, 1000, 100000, 1000000}) {
    const Eigen::VectorXd x = Eigen::VectorXd::Constant(n, 0.1);
    const Real exact = Real(n) * Real(0.1);
    EXPECT_LE(ref::relative_error(fp::kahan_sum(x), exact), 2 * kU) << n;  // (6)
    EXPECT_LE(ref::relative_error(fp::pairwise_sum(x), exact),
              std::ceil(std::log2(static_cast<double>(n))) * kU)
        << n;  // (5)
    EXPECT_LE(ref::relative_error(fp::naive_sum(x), exact), static_cast<double>(n - 1) * kU)
        << n;  // (4)
  }
}

TEST(Summation, RandomSumsMeetTheirErrorBounds) {
  mlc::Rng rng(1);
  const Eigen::VectorXd x = rng.uniform_vector(200000);
  const Real exact = ref::sum(x);  // exact: uniforms are k 2^-53
  const double n = static_cast<double>(x.size());
  EXPECT_LE(ref::relative_error(fp::kahan_sum(x), exact), 2 * kU);
  EXPECT_LE(ref::relative_error(fp::pairwise_sum(x), exact), std::ceil(std::log2(n)) * kU);
  EXPECT_LE(ref::relative_error(fp::naive_sum(x), exact), (n - 1) * kU);
}

TEST(Summation, PrefixSumsEqualSumsOfPrefixes) {
  mlc::Rng rng(2);
  const Eigen::VectorXd x = rng.uniform_vector(100);
  const auto sums = ref::prefix_sums(x, {0, 10, 100});
  EXPECT_EQ(sums[0], 0);
  EXPECT_EQ(sums[1], ref::sum(x.head(10)));
  EXPECT_EQ(sums[2], ref::sum(x));
}

// Failure mode: the naive error grows with n while Kahan's stays at u.
TEST(FailureMode, NaiveSummationErrorGrowsWithNWhileKahanStaysAtU) {
  std::vector<double> naive, kahan;
  for (const Eigen::Index n : {1000, 10000, 100000, 1000000}) {
    const Eigen::VectorXd x = Eigen::VectorXd::Constant(n, 0.1);
    const Real exact = Real(n) * Real(0.1);
    naive.push_back(ref::relative_error(fp::naive_sum(x), exact));
    kahan.push_back(ref::relative_error(fp::kahan_sum(x), exact));
  }
  for (std::size_t i = 1; i < naive.size(); ++i) EXPECT_GT(naive[i], naive[i - 1]) << i;
  // At n = 1e6 the error is far above the u that a correctly rounded sum would have.
  EXPECT_GT(naive.back(), 1000 * kU);
  for (double e : kahan) EXPECT_LE(e, 2 * kU);
}

// ---- Variance -----------------------------------------------------------------------------

TEST(Variance, HandComputedSampleVariance) {
  Eigen::VectorXd x(8);
  x << 2, 4, 4, 4, 5, 5, 7, 9;  // mean 5, sum of squared deviations 32
  EXPECT_DOUBLE_EQ(fp::one_pass_variance(x), 32.0 / 7.0);
  EXPECT_DOUBLE_EQ(fp::two_pass_variance(x), 32.0 / 7.0);
  EXPECT_DOUBLE_EQ(fp::welford_variance(x), 32.0 / 7.0);
  EXPECT_EQ(ref::variance(x), Real(32) / 7);
}

TEST(Variance, ShiftedDataHaveTheVarianceOfTheOffsets) {
  // 1e9 + {4, 7, 13, 16} (Welford's test case in Chan, Golub, LeVeque 1983 style): every
  // value is an exact double, the sample variance is exactly 90 / 3 = 30.
  Eigen::VectorXd x(4);
  x << 1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16;
  EXPECT_EQ(ref::variance(x), 30);
  EXPECT_NEAR(fp::two_pass_variance(x), 30.0, 30.0 * 1e-12);
  EXPECT_NEAR(fp::welford_variance(x), 30.0, 30.0 * 1e-12);
}

TEST(Variance, WelfordAndTwoPassAreWithinTheConditioningLimit) {
  // Relative condition number of the variance ~ mean/std (kappa); a backward-stable method
  // has relative error <= c n u kappa. With n = 500 and kappa up to 1e10 we allow n u kappa.
  mlc::Rng rng(3);
  const Eigen::VectorXd noise = rng.normal_vector(500);
  for (const double mean : {0.0, 1e2, 1e6, 1e10}) {
    const Eigen::VectorXd x = noise.array() + mean;
    const Real exact = ref::variance(x);
    const double kappa = std::max(1.0, mean);
    const double bound = 500 * kU * kappa;
    EXPECT_LE(ref::relative_error(fp::two_pass_variance(x), exact), bound) << mean;
    EXPECT_LE(ref::relative_error(fp::welford_variance(x), exact), bound) << mean;
  }
}

TEST(Variance, RejectsFewerThanTwoValues) {
  const Eigen::VectorXd one = Eigen::VectorXd::Ones(1);
  EXPECT_THROW(fp::one_pass_variance(one), std::invalid_argument);
  EXPECT_THROW(fp::two_pass_variance(one), std::invalid_argument);
  EXPECT_THROW(fp::welford_variance(one), std::invalid_argument);
}

// Failure mode: one-pass variance loses every digit above mean/std ~ 1e8.
TEST(FailureMode, OnePassVarianceLosesAllDigitsAboveMeanOverStdOf1e8) {
  mlc::Rng rng(4);
  const Eigen::VectorXd noise = rng.normal_vector(1000);
  // mean/std = 1e4: error about u 1e8 ~ 1e-8, digits already lost but some remain.
  const Eigen::VectorXd x4 = noise.array() + 1e4;
  EXPECT_LT(ref::relative_error(fp::one_pass_variance(x4), ref::variance(x4)), 1e-3);
  // mean/std = 1e9: predicted u 1e18 ~ 100; nothing is left of the answer.
  const Eigen::VectorXd x9 = noise.array() + 1e9;
  const Real exact = ref::variance(x9);
  EXPECT_GT(ref::relative_error(fp::one_pass_variance(x9), exact), 0.5);
  EXPECT_LT(ref::relative_error(fp::welford_variance(x9), exact), 1e-5);
  EXPECT_LT(ref::relative_error(fp::two_pass_variance(x9), exact), 1e-5);
}

TEST(FailureMode, OnePassVarianceCanBeNegative) {
  // Values 1e9 + {0, 1, 2} and the like: search a few small shifted samples until the
  // one-pass formula goes negative (exact variance 1 > 0 for all of them).
  bool negative = false;
  for (int k = 0; k < 200 && !negative; ++k) {
    Eigen::VectorXd x(3);
    const double base = 1e9 + 37.0 * k;
    x << base, base + 1, base + 2;
    ASSERT_EQ(ref::variance(x), 1);
    negative = fp::one_pass_variance(x) < 0;
    if (negative) {
      EXPECT_EQ(fp::welford_variance(x), 1.0);
    }
  }
  EXPECT_TRUE(negative);
}

// ---- log-sum-exp and softmax --------------------------------------------------------------

TEST(LogSumExp, MatchesFiftyDigitReferenceAtEveryScale) {
  mlc::Rng rng(5);
  for (const double scale : {1e-3, 1.0, 100.0, 1e4, 1e6}) {
    const Eigen::VectorXd z = scale * rng.normal_vector(20);
    // Relative condition number of lse is max|z| / |lse| <= ... ; for these logits the
    // measured error stays within a few u (Blanchard, Higham, Higham 2021, Thm 2.2).
    const Real exact = ref::log_sum_exp(z);
    const double bound = 4 * kU * (1 + static_cast<double>(z.cwiseAbs().maxCoeff() / abs(exact)));
    EXPECT_LE(ref::relative_error(fp::log_sum_exp(z), exact), bound) << scale;
  }
}

TEST(LogSumExp, HandComputedCases) {
  Eigen::VectorXd z(3);
  z << 0.0, 0.0, 0.0;
  EXPECT_DOUBLE_EQ(fp::log_sum_exp(z), std::log(3.0));
  z << 1000.0, 1000.0, -INFINITY;  // log(2 e^1000) = 1000 + log 2
  EXPECT_DOUBLE_EQ(fp::log_sum_exp(z), 1000.0 + std::log(2.0));
  z << -INFINITY, -INFINITY, -INFINITY;
  EXPECT_EQ(fp::log_sum_exp(z), -INFINITY);
}

TEST(Softmax, MatchesReferenceSumsToOneAndIsShiftInvariant) {
  mlc::Rng rng(6);
  const Eigen::VectorXd z = 30.0 * rng.normal_vector(50);
  const Eigen::VectorXd p = fp::softmax(z);
  // Each p_i has relative error O(u (|z_i - m| + K)); in absolute terms well below 1e-13.
  EXPECT_LE(ref::max_abs_error(p, ref::softmax(z)), 1e-13);
  EXPECT_NEAR(p.sum(), 1.0, 50 * kU);
  EXPECT_ALLCLOSE(fp::softmax(z.array() + 1e3), p, 1e-12);  // softmax(z + c) = softmax(z)
  // log softmax is finite where p underflows, and equals log p where p is normal.
  const Eigen::VectorXd lp = fp::log_softmax(z);
  EXPECT_TRUE(lp.allFinite());
  for (Eigen::Index i = 0; i < z.size(); ++i)
    if (p[i] > 1e-300) {
      EXPECT_NEAR(lp[i], std::log(p[i]), 1e-12 * std::max(1.0, std::abs(lp[i])));
    }
}

// Failure mode: naive softmax overflows at log(DBL_MAX), the shifted one does not.
TEST(FailureMode, NaiveSoftmaxOverflowsAtLogDblMax) {
  Eigen::VectorXd v(2);
  v << 1.0, 0.0;
  const double s = fp::last_double_where(
      [&](double t) { return fp::naive_softmax(t * v).allFinite(); }, 1.0, 1e4);
  EXPECT_LE(std::abs(s - kLogDblMax), 2 * ulp(kLogDblMax)) << s;
  const Eigen::VectorXd z = 710.0 * v;  // just above the threshold
  EXPECT_TRUE(fp::naive_softmax(z).hasNaN());
  EXPECT_TRUE(std::isinf(fp::naive_log_sum_exp(z)));
  const Eigen::VectorXd p = fp::softmax(z);
  EXPECT_LE(ref::max_abs_error(p, ref::softmax(z)), kU);
  EXPECT_LE(ref::relative_error(fp::log_sum_exp(z), ref::log_sum_exp(z)), 2 * kU);
}

TEST(FailureMode, NaiveSoftmaxSilentlyReturnsZerosWhenOnlyTheSumOverflows) {
  // e^709.5 = 1.35e308 is finite, but two of them sum past DBL_MAX = 1.80e308: every
  // probability becomes e^z_i / inf = 0, a finite vector that sums to 0.
  const Eigen::VectorXd z = Eigen::VectorXd::Constant(2, 709.5);
  const Eigen::VectorXd p = fp::naive_softmax(z);
  EXPECT_TRUE(p.allFinite());
  EXPECT_EQ(p.sum(), 0.0);
  EXPECT_ALLCLOSE(fp::softmax(z), Eigen::VectorXd::Constant(2, 0.5), 0.0);
}

TEST(FailureMode, NaiveLogSumExpOfKEqualLogitsOverflowsLogKEarlier) {
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(1000);
  const double c = fp::last_double_where(
      [&](double t) { return std::isfinite(fp::naive_log_sum_exp(t * ones)); }, 1.0, 1e4);
  // K e^c = DBL_MAX; the sum of 1000 rounded terms is itself rounded, so allow 1e-12.
  EXPECT_NEAR(c, kLogDblMax - std::log(1000.0), 1e-12 * kLogDblMax);
}

TEST(FailureMode, NaiveSoftmaxOfVeryNegativeLogitsIsZeroOverZero) {
  const Eigen::VectorXd z = Eigen::VectorXd::Constant(10, -800.0);
  EXPECT_TRUE(fp::naive_softmax(z).hasNaN());
  EXPECT_EQ(fp::naive_log_sum_exp(z), -INFINITY);
  EXPECT_ALLCLOSE(fp::softmax(z), Eigen::VectorXd::Constant(10, 0.1), 2 * kU);
  EXPECT_NEAR(fp::log_sum_exp(z), -800.0 + std::log(10.0), 800 * kU);
}

// ---- log1p and expm1 ----------------------------------------------------------------------

TEST(Log1pExpm1, KahanTricksMeetGoldbergsBound) {
  // Goldberg (1991) Theorem 4: with a correctly rounded log, the trick (13) has relative
  // error <= 5u for 0 <= x < 3/4. expm1 (14) is held to the same bound.
  mlc::Rng rng(7);
  for (int i = 0; i < 2000; ++i) {
    const double x = std::pow(10.0, rng.uniform(-20.0, 0.0)) * 0.75;
    EXPECT_LE(ref::relative_error(fp::log1p_kahan(x), ref::log1p(x)), 5 * kU) << x;
    EXPECT_LE(ref::relative_error(fp::expm1_kahan(x), ref::expm1(x)), 5 * kU) << x;
    EXPECT_LE(ref::relative_error(fp::expm1_kahan(-x), ref::expm1(-x)), 5 * kU) << -x;
  }
  EXPECT_EQ(fp::log1p_kahan(0.0), 0.0);
  EXPECT_EQ(fp::expm1_kahan(-1000.0), -1.0);
  EXPECT_THROW(fp::log1p_kahan(-2.0), std::invalid_argument);
}

// Failure mode: log(1 + x) loses the digits of x below u.
TEST(FailureMode, NaiveLog1pLosesDigitsLikeUOverX) {
  for (const double x : {1e-4, 1e-8, 1e-12}) {
    const double e = ref::relative_error(fp::log1p_naive(x), ref::log1p(x));
    EXPECT_GT(e, 0.01 * kU / x) << x;  // the error is of the order of u / x ...
    EXPECT_LT(e, 2.0 * kU / x) << x;   // ... bounded by the rounding of 1 + x
  }
  EXPECT_EQ(fp::log1p_naive(1e-17), 0.0);  // x < u: all digits gone
  EXPECT_EQ(fp::expm1_naive(1e-17), 0.0);
  EXPECT_EQ(fp::log1p_kahan(1e-17), 1e-17);
}

// ---- Sigmoid and log-loss -----------------------------------------------------------------

TEST(Sigmoid, MatchesReferenceAndIsSymmetric) {
  for (double z = -700.0; z <= 700.0; z += 3.7) {
    EXPECT_LE(ref::relative_error(fp::sigmoid(z), ref::sigmoid(z)), 4 * kU) << z;
    // s(-z) = 1 - s(z): each side carries at most ~3u of rounding (exp, add, divide),
    // and 1 - s(z) is exact for s >= 1/2 (Sterbenz), so they agree to within 4u absolutely.
    EXPECT_NEAR(fp::sigmoid(-z), 1.0 - fp::sigmoid(z), 4 * kU);
  }
  // Where e^-z overflows the naive form gives 0; the branch form the subnormal e^z.
  EXPECT_EQ(fp::naive_sigmoid(-720.0), 0.0);
  EXPECT_GT(fp::sigmoid(-720.0), 0.0);
  EXPECT_LE(ref::relative_error(fp::sigmoid(-720.0), ref::sigmoid(-720.0)), 1e-10);
}

TEST(LogLoss, MatchesFiftyDigitReferenceForHardAndSoftLabels) {
  for (const double y : {0.0, 0.3, 1.0})
    for (double t = -3; t <= 2.8; t += 0.125) {  // |z| <= 631: e^-|z| is a normal double
      for (const double sign : {-1.0, 1.0}) {
        const double z = sign * std::pow(10.0, t);
        EXPECT_LE(ref::relative_error(fp::log_loss(z, y), ref::log_loss(z, y)), 8 * kU)
            << "z = " << z << ", y = " << y;
      }
    }
  EXPECT_DOUBLE_EQ(fp::log_loss(0.0, 1.0), std::log(2.0));
  EXPECT_THROW(fp::log_loss(0.0, 1.5), std::invalid_argument);
}

TEST(LogLoss, DerivativeMatchesCentralDifferencesEvenWhenSaturated) {
  // (18) sigmoid(z) - y, one example at a time, out to |z| = 50 where naive losses fail.
  for (const double y : {0.0, 0.3, 1.0})
    for (const double z : {-50.0, -30.0, -5.0, -0.5, 0.0, 0.5, 5.0, 30.0, 50.0}) {
      const auto f = [y](const Eigen::VectorXd& v) { return fp::log_loss(v[0], y); };
      const Eigen::VectorXd at = Eigen::VectorXd::Constant(1, z);
      const Eigen::VectorXd derivative =
          Eigen::VectorXd::Constant(1, fp::log_loss_derivative(z, y));
      const auto check = mlc::gradcheck(f, derivative, at);
      // sigmoid(z) - y is a difference of two numbers in [0, 1]: rounding leaves an absolute
      // error up to about u, a large relative one where sigmoid(z) ≈ y = 1 (z >= 30, where
      // sigmoid(50) - 1 rounds to 0). Hence relative 1e-6 or absolute 4 eps = 8u.
      EXPECT_TRUE(check.passes(1e-6, 4 * std::numeric_limits<double>::epsilon()))
          << "z = " << z << ", y = " << y << ": " << check.relative_error << ", |a - n| "
          << check.error_norm;
    }
}

TEST(LogLoss, MeanGradientMatchesCentralDifferences) {
  mlc::Rng rng(8);
  const Eigen::Index n = 40;
  const Eigen::VectorXd z = rng.normal_vector(n, 0.0, 2.0);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) y[i] = rng.bernoulli(0.5) ? 1.0 : 0.0;
  y[0] = 0.3;  // a soft label
  const auto loss = [&](const Eigen::VectorXd& t) { return fp::mean_log_loss(t, y); };
  const auto check = mlc::gradcheck(loss, fp::mean_log_loss_gradient(z, y), z);
  EXPECT_TRUE(check.passes(1e-6)) << check.relative_error << " at " << check.worst_index;
}

TEST(LogLoss, RejectsMismatchedSizes) {
  EXPECT_THROW(fp::mean_log_loss(Eigen::VectorXd::Zero(3), Eigen::VectorXd::Zero(2)),
               std::invalid_argument);
  EXPECT_THROW(fp::mean_log_loss_gradient(Eigen::VectorXd::Zero(3), Eigen::VectorXd::Zero(2)),
               std::invalid_argument);
}

// Failure mode: the naive loss is inf once the sigmoid rounds to 1, NaN once it is 0.
TEST(FailureMode, NaiveLogLossIsInfOrNaNAboveFiftyThreeLogTwo) {
  const double t = fp::last_double_where(
      [](double z) { return std::isfinite(fp::naive_log_loss(z, 0.0)); }, 1.0, 1000.0);
  // 1 + e^-z rounds to 1 once e^-z <= 2^-53, i.e. z >= 53 log 2 = 36.7368.
  EXPECT_NEAR(t, 53 * std::log(2.0), 1e-9);
  EXPECT_TRUE(std::isinf(fp::naive_log_loss(40.0, 0.0)));
  // y = 1: log(1 - s) = log(0) = -inf is multiplied by 1 - y = 0: NaN, where the true loss
  // is e^-40 = 4.2e-18. y = 0 below -log(DBL_MAX): s = 0 and y log s = 0 * -inf = NaN.
  EXPECT_TRUE(std::isnan(fp::naive_log_loss(40.0, 1.0)));
  EXPECT_TRUE(std::isnan(fp::naive_log_loss(-720.0, 0.0)));
  EXPECT_LE(ref::relative_error(fp::log_loss(40.0, 0.0), ref::log_loss(40.0, 0.0)), 2 * kU);
  EXPECT_LE(ref::relative_error(fp::log_loss(40.0, 1.0), ref::log_loss(40.0, 1.0)), 2 * kU);
  EXPECT_LE(ref::relative_error(fp::log_loss(-700.0, 0.0), ref::log_loss(-700.0, 0.0)), 2 * kU);
}

// ---- The program reports what the library measures ---------------------------------------

TEST(Program, QuickRunReportsTheThresholdsAndFailuresItClaims) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_EQ(m.at("unit_roundoff.found"), 0x1p-53);
  EXPECT_EQ(m.at("exp.overflow_threshold"), m.at("exp.log_dbl_max"));
  EXPECT_EQ(m.at("softmax.naive_nan_above_logit"), kLogDblMax);
  EXPECT_NEAR(m.at("log_loss.naive_inf_above_logit"), 53 * std::log(2.0), 1e-9);
  EXPECT_GT(m.at("variance.one_pass.rel_error_at_1e12"), 1.0);  // no digit left
  EXPECT_LT(m.at("variance.welford.rel_error_at_1e8"), 1e-6);
  EXPECT_LE(m.at("summation.kahan.max_rel_error_over_u"), 2.0);  // bound (6)
  EXPECT_GT(m.at("summation.tenth.naive.loglog_slope"), 0.8);    // systematic: ~n
}

// ---- The reference itself -----------------------------------------------------------------

TEST(Reference, RelativeErrorFlagsFailuresAndHandlesZero) {
  EXPECT_TRUE(std::isinf(ref::relative_error(NAN, Real(1))));
  EXPECT_TRUE(std::isinf(ref::relative_error(INFINITY, Real(1))));
  EXPECT_EQ(ref::relative_error(0.5, Real(0)), 0.5);
  EXPECT_EQ(ref::relative_error(1.5, Real(1)), 0.5);
  // 0.1 is not 1/10: the stored value is 0.1000000000000000055511151231257827...
  EXPECT_NEAR(ref::relative_error(0.1, Real(1) / 10), 5.551115123125783e-17, 1e-30);
}

}  // namespace
