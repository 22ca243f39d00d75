// Tests of lesson 1.7 statistical_inference: estimators, intervals, tests and adjustments
// against closed forms, Boost.Math and published numbers; then every statistical property
// the report claims (coverage, false-positive rates, FWER, FDR, power), asserted with a
// tolerance of 4.5 Monte-Carlo standard errors. A rate p estimated from R independent
// replications has standard error sqrt(p(1-p)/R); a correct implementation falls outside
// ±4.5 SE with probability ~7e-6 per assertion, so the seeds are not tuned.
#include "statistical_inference.hpp"

#include <cmath>
#include <numeric>

#include <gtest/gtest.h>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "mlc/error.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/stats.hpp"
#include "mlc/testing.hpp"

namespace si = statistical_inference;

namespace {

// Monte-Carlo standard error of a proportion p estimated from R replications.
double mc_se(double p, int replications) {
  return std::sqrt(p * (1.0 - p) / replications);
}
constexpr double kZ = 4.5;  // tolerance in standard errors (two-sided tail ~ 7e-6)

Eigen::VectorXd vec(std::initializer_list<double> v) {
  Eigen::VectorXd x(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double e : v) x(i++) = e;
  return x;
}

// ---- Maximum likelihood ------------------------------------------------------------------

TEST(MaximumLikelihood, NormalMleMatchesClosedForm) {
  // x = 1..5: mean 3, sum of squares 10, sigma_MLE = sqrt(10/5) = sqrt(2).
  const auto fit = si::normal_mle(vec({1, 2, 3, 4, 5}));
  EXPECT_DOUBLE_EQ(fit.mean.value, 3.0);
  EXPECT_NEAR(fit.sd.value, std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(fit.mean.se, std::sqrt(2.0 / 5.0), 1e-15);  // sigma / sqrt(n)
  EXPECT_NEAR(fit.sd.se, std::sqrt(2.0 / 10.0), 1e-15);   // sigma / sqrt(2n)
}

TEST(MaximumLikelihood, ExponentialAndBernoulliMleMatchClosedForm) {
  const auto e = si::exponential_mle(vec({0.5, 1.5, 2.0, 4.0}));  // mean 2
  EXPECT_DOUBLE_EQ(e.value, 0.5);
  EXPECT_DOUBLE_EQ(e.se, 0.25);                                     // lambda / sqrt(4)
  const auto b = si::bernoulli_mle(vec({1, 0, 0, 1, 1, 0, 1, 1}));  // 5 of 8
  EXPECT_DOUBLE_EQ(b.value, 0.625);
  EXPECT_NEAR(b.se, std::sqrt(0.625 * 0.375 / 8.0), 1e-15);
  EXPECT_THROW(si::exponential_mle(vec({1.0, -1.0})), std::invalid_argument);
  EXPECT_THROW(si::bernoulli_mle(vec({1.0, 0.5})), std::invalid_argument);
}

TEST(MaximumLikelihood, GammaScoreDerivativeMatchesCentralDifferences) {
  for (double alpha : {0.3, 1.0, 2.5, 40.0}) {
    const double s = 0.2;
    const mlc::ScalarFunction g = [s](const Eigen::VectorXd& a) {
      return si::gamma_shape_score(a(0), s);
    };
    const Eigen::VectorXd analytic =
        Eigen::VectorXd::Constant(1, si::gamma_shape_score_derivative(alpha));
    const Eigen::VectorXd at = Eigen::VectorXd::Constant(1, alpha);
    const auto check = mlc::gradcheck(g, analytic, at);
    EXPECT_TRUE(check.passes(1e-6)) << "alpha = " << alpha << ", rel err " << check.relative_error;
  }
}

TEST(MaximumLikelihood, GammaMleZeroesTheLogLikelihoodGradient) {
  mlc::Rng rng(11);
  Eigen::VectorXd x(2000);
  for (auto& v : x) v = si::sample_gamma(2.5, 1.5, rng);
  const auto fit = si::gamma_mle(x);
  // Gamma log-likelihood per observation in (shape a, rate b):
  //   a log b - lgamma(a) + (a - 1) mean(log x) - b mean(x); its gradient vanishes at the MLE.
  const double mlog = x.array().log().mean(), mx = x.mean();
  const mlc::ScalarFunction loglik = [&](const Eigen::VectorXd& th) {
    return th(0) * std::log(th(1)) - std::lgamma(th(0)) + (th(0) - 1.0) * mlog - th(1) * mx;
  };
  const Eigen::VectorXd grad = mlc::numerical_gradient(
      loglik, Eigen::VectorXd(Eigen::Vector2d(fit.shape.value, fit.rate.value)));
  EXPECT_LT(grad.cwiseAbs().maxCoeff(), 1e-8);
  // And the estimate lies within 4.5 Fisher standard errors of the truth.
  EXPECT_NEAR(fit.shape.value, 2.5, kZ * fit.shape.se);
  EXPECT_NEAR(fit.rate.value, 1.5, kZ * fit.rate.se);
}

TEST(MaximumLikelihood, GammaNewtonConvergesQuadratically) {
  mlc::Rng rng(12);
  Eigen::VectorXd x(500);
  for (auto& v : x) v = si::sample_gamma(3.0, 1.0, rng);
  const auto fit = si::gamma_mle(x, /*initial_shape=*/0.3);
  const double a_hat = fit.shape.value;
  ASSERT_GE(fit.history.size(), 5u);
  int quadratic_steps = 0;
  for (std::size_t k = 0; k + 1 < fit.history.size(); ++k) {
    const double e = std::abs(fit.history[k] - a_hat),
                 e_next = std::abs(fit.history[k + 1] - a_hat);
    if (e < 0.5 && e_next > 1e-12) {
      // e_{k+1} <= C e_k^2 with C = |g''/(2 g')| of order one near the root.
      EXPECT_LT(e_next, 2.0 * e * e) << "step " << k;
      ++quadratic_steps;
    }
  }
  EXPECT_GE(quadratic_steps, 2);
  // Minka's starting point is already close: few iterations.
  EXPECT_LE(si::gamma_mle(x).iterations, 4);
}

TEST(MaximumLikelihood, GammaFisherStandardErrorMatchesSpreadOfEstimates) {
  // R estimates of the shape from n = 200; the sample sd of R estimates has relative standard
  // error ~ 1/sqrt(2(R-1)) = 0.041 for R = 300; 4.5 SE = 18% relative (plus O(1/n) bias).
  const int R = 300, n = 200;
  mlc::Rng rng(13);
  Eigen::VectorXd shapes(R), ses(R), x(n);
  for (int r = 0; r < R; ++r) {
    for (auto& v : x) v = si::sample_gamma(2.0, 1.0, rng);
    const auto fit = si::gamma_mle(x);
    shapes(r) = fit.shape.value;
    ses(r) = fit.shape.se;
  }
  const double sd = std::sqrt((shapes.array() - shapes.mean()).square().sum() / (R - 1));
  EXPECT_NEAR(sd / ses.mean(), 1.0, kZ / std::sqrt(2.0 * (R - 1)));
}

// ---- Tests and intervals against closed forms and published numbers ---------------------

TEST(HypothesisTests, TTestMatchesClosedFormWithTwoDegreesOfFreedom) {
  // x = {1, 2, 6}: mean 3, s^2 = (4 + 1 + 9)/2 = 7, t = 3 / sqrt(7/3). For 2 df the t CDF
  // is closed form: F(t) = 1/2 + t / (2 sqrt(2 + t^2)), so p = 1 - |t| / sqrt(2 + t^2).
  const auto r = si::t_test(vec({1, 2, 6}), 0.0);
  const double t = 3.0 / std::sqrt(7.0 / 3.0);
  EXPECT_NEAR(r.statistic, t, 1e-14);
  EXPECT_DOUBLE_EQ(r.df, 2.0);
  EXPECT_NEAR(r.p_value, 1.0 - t / std::sqrt(2.0 + t * t), 1e-12);
}

TEST(HypothesisTests, ZTestPValueIsTwoSidedNormalTail) {
  // mean 0.5 of n = 16 with sigma = 2: z = 0.5 / (2/4) = 1, p = 2(1 - Phi(1)) = 0.3173105.
  Eigen::VectorXd x = Eigen::VectorXd::Constant(16, 0.5);
  const auto r = si::z_test(x, 0.0, 2.0);
  EXPECT_DOUBLE_EQ(r.statistic, 1.0);
  EXPECT_NEAR(r.p_value, 0.3173105078629141, 1e-12);
}

TEST(HypothesisTests, WelchTTestMatchesPublishedSleepDataResult) {
  // Student's (1908) sleep data; R: t.test(extra ~ group, data = sleep) prints
  // t = -1.8608, df = 17.776, p-value = 0.07939 (tolerances: the printed digits).
  const auto g1 = vec({0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0});
  const auto g2 = vec({1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4});
  const auto r = si::welch_t_test(g1, g2);
  EXPECT_NEAR(r.statistic, -1.8608, 5e-5);
  EXPECT_NEAR(r.df, 17.776, 5e-4);
  EXPECT_NEAR(r.p_value, 0.07939, 5e-6);
  // Against Boost directly: p = 2 (1 - F_t(|t|; df)).
  const boost::math::students_t dist(r.df);
  EXPECT_NEAR(r.p_value,
              2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(r.statistic))), 1e-14);
}

TEST(HypothesisTests, WelchEqualsPooledTWhenSizesAndVariancesAreEqual) {
  // y = 10 - x has the same variance as x; with equal n the Welch statistic equals the
  // pooled one, (mx - my) / sqrt(2 s^2 / n), and df = 2 (n - 1).
  const auto x = vec({2.1, 3.4, 1.9, 5.0, 4.2, 3.3});
  const Eigen::VectorXd y = (10.0 - x.array()).matrix();
  const double s2 = (x.array() - x.mean()).square().sum() / 5.0;
  const auto r = si::welch_t_test(x, y);
  EXPECT_NEAR(r.statistic, (x.mean() - y.mean()) / std::sqrt(2.0 * s2 / 6.0), 1e-12);
  EXPECT_NEAR(r.df, 10.0, 1e-12);
  // Antisymmetric in its arguments.
  EXPECT_NEAR(si::welch_t_test(y, x).statistic, -r.statistic, 1e-14);
  EXPECT_THROW(si::welch_t_test(vec({1.0}), y), std::invalid_argument);
}

TEST(ConfidenceIntervals, TIntervalUsesStudentQuantile) {
  // x = {1, 2, 6}: half width t_{2, 0.975} sqrt(7/3), t_{2, 0.975} = 4.302653 (tables).
  const auto ci = si::t_interval(vec({1, 2, 6}), 0.95);
  EXPECT_NEAR(ci.hi - 3.0, 4.302653 * std::sqrt(7.0 / 3.0), 1e-5);
  EXPECT_NEAR(ci.lo + ci.hi, 6.0, 1e-12);
  const auto z = si::z_interval(vec({1, 2, 6}), 0.95);  // z_{0.975} = 1.959964
  EXPECT_NEAR(z.hi - 3.0, 1.959964 * std::sqrt(7.0 / 3.0), 1e-5);
}

TEST(ConfidenceIntervals, QuantileInterpolatesBetweenOrderStatistics) {
  const std::vector<double> v{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(si::quantile_sorted(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(si::quantile_sorted(v, 0.25), 1.75);  // h = 0.75: 1 + 0.75 (2 - 1)
  EXPECT_DOUBLE_EQ(si::quantile_sorted(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(si::quantile_sorted(v, 1.0), 4.0);
}

TEST(ConfidenceIntervals, BootstrapPercentileHandCaseOfTwoPoints) {
  // x = {0, 1}: a resample mean is 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4. With B =
  // 2000, the 2.5% and 97.5% quantiles are 0 and 1, and the 40% interval (30% and 70%
  // quantiles) is {1/2} unless a tail count strays by > 100 (~ 5 SE of 19): never.
  mlc::Rng rng(3);
  const auto ci = si::bootstrap_percentile_ci(vec({0, 1}), {0.95, 0.4}, 2000, rng);
  ASSERT_EQ(ci.size(), 2u);
  EXPECT_DOUBLE_EQ(ci[0].lo, 0.0);
  EXPECT_DOUBLE_EQ(ci[0].hi, 1.0);
  EXPECT_DOUBLE_EQ(ci[1].lo, 0.5);
  EXPECT_DOUBLE_EQ(ci[1].hi, 0.5);
}

TEST(ConfidenceIntervals, BootstrapPercentileIsShiftEquivariantAndNested) {
  mlc::Rng data_rng(4);
  const Eigen::VectorXd x = data_rng.normal_vector(30);
  const Eigen::VectorXd shifted = (x.array() + 7.0).matrix();
  mlc::Rng a(5), b(5);  // the same resample indices for both
  const auto ci = si::bootstrap_percentile_ci(x, {0.8, 0.95}, 500, a);
  const auto cs = si::bootstrap_percentile_ci(shifted, {0.8, 0.95}, 500, b);
  for (int l = 0; l < 2; ++l) {
    EXPECT_NEAR(cs[l].lo, ci[l].lo + 7.0, 1e-12);
    EXPECT_NEAR(cs[l].hi, ci[l].hi + 7.0, 1e-12);
    EXPECT_GE(ci[l].lo, x.minCoeff());
    EXPECT_LE(ci[l].hi, x.maxCoeff());
  }
  EXPECT_LE(ci[1].lo, ci[0].lo);  // the 95% interval contains the 80% one
  EXPECT_GE(ci[1].hi, ci[0].hi);
}

// The bootstrap-t statistic (10) needs each resample's variance. Data offset by 1e8 with
// sd 1 have mean/sd = 1e8 > 1/sqrt(u): a one-pass sum-of-squares variance cancels
// completely there (floating_point, 1.1), t* becomes ±inf and the interval is lost. The
// two-pass variance keeps about 8 digits, so the interval is the unshifted one shifted.
TEST(ConfidenceIntervals, BootstrapTIsShiftEquivariantForDataFarFromZero) {
  mlc::Rng data_rng(4);
  const Eigen::VectorXd x = data_rng.normal_vector(30);
  const double offset = 1e8;
  const Eigen::VectorXd shifted = (x.array() + offset).matrix();
  mlc::Rng a(6), b(6);  // the same resample indices for both
  const auto ci = si::bootstrap_t_ci(x, {0.8, 0.95}, 500, a);
  const auto cs = si::bootstrap_t_ci(shifted, {0.8, 0.95}, 500, b);
  for (int l = 0; l < 2; ++l) {
    ASSERT_TRUE(std::isfinite(cs[l].lo) && std::isfinite(cs[l].hi)) << cs[l].lo << ", " << cs[l].hi;
    // Tolerance: the shifted data carry an absolute rounding error of u * 1e8 = 1.5e-8.
    EXPECT_NEAR(cs[l].lo - offset, ci[l].lo, 1e-6);
    EXPECT_NEAR(cs[l].hi - offset, ci[l].hi, 1e-6);
  }
}

TEST(HypothesisTests, PermutationTestMatchesExactEnumeration) {
  // x = {1, 2, 3}, y = {4, 5, 6}: of the C(6,3) = 20 relabellings, exactly 2 ({1,2,3} and
  // {4,5,6}) have |mean difference| >= 3, so the exact p-value is 0.1. The Monte-Carlo
  // p-value (1 + count)/(1 + B) has SE sqrt(0.1 · 0.9 / B) = 0.0067 for B = 2000.
  mlc::Rng rng(6);
  const int B = 2000;
  const auto r = si::permutation_test(vec({1, 2, 3}), vec({4, 5, 6}), B, rng);
  EXPECT_DOUBLE_EQ(r.statistic, -3.0);
  EXPECT_NEAR(r.p_value, 0.1, kZ * mc_se(0.1, B));
}

TEST(HypothesisTests, PermutationTestMatchesEnumerationOnTenPoints) {
  // Exact p by enumerating all C(10,5) = 252 splits of a pooled sample.
  const auto x = vec({3.1, 4.7, 2.2, 5.9, 4.4});
  const auto y = vec({5.3, 6.8, 4.9, 7.7, 3.6});
  Eigen::VectorXd pooled(10);
  pooled << x, y;
  const double observed = std::abs(x.mean() - y.mean());
  int extreme = 0, total = 0;
  for (int mask = 0; mask < 1024; ++mask) {
    if (__builtin_popcount(static_cast<unsigned>(mask)) != 5) continue;
    double sx = 0;
    for (int i = 0; i < 10; ++i) sx += (mask >> i & 1) ? pooled(i) : 0.0;
    const double d = std::abs(sx / 5.0 - (pooled.sum() - sx) / 5.0);
    extreme += d >= observed - 1e-12;
    ++total;
  }
  ASSERT_EQ(total, 252);
  const double exact = static_cast<double>(extreme) / total;
  mlc::Rng rng(7);
  const int B = 4000;
  const auto r = si::permutation_test(x, y, B, rng);
  EXPECT_NEAR(r.p_value, exact, kZ * mc_se(exact, B) + 1.0 / B);  // +1/B: the "+1" in (15)
}

TEST(HypothesisTests, TwoProportionTestHandCase) {
  // 20/100 vs 30/100: pooled 0.25, se = sqrt(0.25 · 0.75 · 0.02) = 0.0612372, z = 1.632993.
  const auto r = si::two_proportion_z_test(20, 100, 30, 100);
  EXPECT_NEAR(r.statistic, 0.1 / std::sqrt(0.25 * 0.75 * 0.02), 1e-12);
  EXPECT_NEAR(r.p_value, 0.1024704, 1e-6);  // 2 (1 - Phi(1.632993))
  EXPECT_DOUBLE_EQ(si::two_proportion_z_test(0, 50, 0, 50).p_value, 1.0);
}

// ---- Multiple comparisons ------------------------------------------------------------------

TEST(MultipleComparisons, AdjustmentsMatchHandComputedCase) {
  // p = {0.01, 0.04, 0.03, 0.005}, m = 4; sorted 0.005, 0.01, 0.03, 0.04.
  // Bonferroni: 4p.  Holm: 4·0.005 = 0.02, 3·0.01 = 0.03, 2·0.03 = 0.06, 1·0.04 -> max 0.06.
  // BH: 0.005·4/1 = 0.02, 0.01·4/2 = 0.02, 0.03·4/3 = 0.04, 0.04·4/4 = 0.04 (running min).
  const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
  const auto bonf = si::bonferroni_adjust(p), holm = si::holm_adjust(p),
             bh = si::benjamini_hochberg(p);
  const std::vector<double> bonf_ref{0.04, 0.16, 0.12, 0.02}, holm_ref{0.03, 0.06, 0.06, 0.02},
      bh_ref{0.02, 0.04, 0.04, 0.02};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(bonf[i], bonf_ref[i], 1e-15) << i;
    EXPECT_NEAR(holm[i], holm_ref[i], 1e-15) << i;
    EXPECT_NEAR(bh[i], bh_ref[i], 1e-15) << i;
  }
  // Capped at one.
  EXPECT_DOUBLE_EQ(si::holm_adjust({0.6, 0.7})[0], 1.0);
  EXPECT_THROW(si::benjamini_hochberg({0.5, 1.5}), std::invalid_argument);
}

TEST(MultipleComparisons, BhIsNoStricterThanHolmWhichIsNoStricterThanBonferroni) {
  // Holm's thresholds a/(m-k+1) are >= Bonferroni's a/m and <= BH's k a/m, so on every
  // vector of p-values the adjusted values are ordered BH <= Holm <= Bonferroni.
  mlc::Rng rng(8);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> p(12);
    for (auto& v : p) v = std::pow(rng.uniform(), 3.0);
    const auto bonf = si::bonferroni_adjust(p), holm = si::holm_adjust(p),
               bh = si::benjamini_hochberg(p);
    for (std::size_t i = 0; i < p.size(); ++i) {
      EXPECT_LE(holm[i], bonf[i] + 1e-15);
      EXPECT_LE(bh[i], holm[i] + 1e-15);
      EXPECT_GE(bh[i], p[i] - 1e-15);
    }
  }
}

// ---- Power and sample size -------------------------------------------------------------------

TEST(PowerAndSampleSize, TextbookTwoSampleSizeIs63PerArm) {
  // delta = 0.5 sigma, alpha = 0.05, power 0.8: 2 (1.959964 + 0.841621)^2 / 0.25 = 62.79.
  EXPECT_EQ(si::sample_size_two_sample_z(0.5, 1.0, 0.05, 0.8), 63);
  EXPECT_GE(si::power_two_sample_z(0.5, 1.0, 63, 0.05), 0.8);
  EXPECT_LT(si::power_two_sample_z(0.5, 1.0, 62, 0.05), 0.8);
  EXPECT_NEAR(si::power_two_sample_z(0.0, 1.0, 63, 0.05), 0.05, 1e-15);  // size = alpha
}

TEST(PowerAndSampleSize, AbSampleSizeHandCase) {
  // p0 = 0.20 -> 0.25: pbar = 0.225, sqrt(2 · 0.225 · 0.775) = 0.590551,
  // sqrt(0.16 + 0.1875) = 0.589491; (1.959964 · 0.590551 + 0.841621 · 0.589491)^2 / 0.0025
  // = 1093.7, so 1094 per arm.
  EXPECT_EQ(si::ab_sample_size(0.20, 0.05, 0.05, 0.8), 1094);
  // Smaller effects need quadratically more: halving the MDE roughly quadruples n.
  EXPECT_NEAR(static_cast<double>(si::ab_sample_size(0.20, 0.025, 0.05, 0.8)) / 1094.0, 4.0, 0.2);
}

TEST(PowerAndSampleSize, SimulatedPowerMatchesClosedForm) {
  // n = 30 per arm, delta = 0.5: analytic power p ~ 0.49; R = 1500 replications give
  // SE sqrt(p(1-p)/R) ~ 0.013; tolerance 4.5 SE.
  const int R = 1500;
  mlc::Rng rng(9);
  const double analytic = si::power_two_sample_z(0.5, 1.0, 30, 0.05);
  const double simulated = si::simulated_power_two_sample_z(0.5, 1.0, 30, 0.05, R, rng);
  EXPECT_NEAR(simulated, analytic, kZ * mc_se(analytic, R));
}

TEST(PowerAndSampleSize, AbDesignReachesTargetPowerBySimulation) {
  // At the designed n = 1094 per arm the two-proportion test should have power ~ 0.8;
  // R = 400 gives SE sqrt(0.8 · 0.2 / 400) = 0.02; tolerance 4.5 SE = 0.09.
  const int R = 400;
  mlc::Rng rng(10);
  const double power = si::simulated_power_two_proportions(0.20, 0.25, 1094, 0.05, R, rng);
  EXPECT_NEAR(power, 0.8, kZ * mc_se(0.8, R));
}

// ---- Statistical properties and the failure modes ------------------------------------------

TEST(StatisticalProperties, PValuesAreUniformUnderTheNull) {
  // Under H0, P(p <= u) = u for each u; each empirical fraction has SE sqrt(u(1-u)/R).
  const int R = 2000;
  mlc::Rng rng(14);
  const Eigen::VectorXd p = si::simulate_t_test_p_values(0.0, 10, R, rng);
  for (double u : {0.05, 0.25, 0.5, 0.75}) {
    const double frac = (p.array() <= u).cast<double>().mean();
    EXPECT_NEAR(frac, u, kZ * mc_se(u, R)) << "u = " << u;
  }
  // Under an alternative (effect 0.8, n = 10) the p-values pile up near zero.
  const Eigen::VectorXd p_alt = si::simulate_t_test_p_values(0.8, 10, 500, rng);
  EXPECT_GT((p_alt.array() <= 0.05).cast<double>().mean(), 0.05 + kZ * mc_se(0.05, 500));
}

TEST(StatisticalProperties, TIntervalCoversAtNominalLevelForNormalData) {
  // Normal data: the t interval is exact, coverage 0.95; the z interval with estimated
  // sigma has exact coverage P(|T_9| <= z_{0.975}) (from Boost); R = 1500: SE <= 0.0071.
  const int R = 1500, n = 10;
  mlc::Rng rng(15);
  const auto cov =
      si::ci_coverage([](mlc::Rng& g) { return g.normal(); }, 0.0, n, {0.95}, R, 50, rng);
  EXPECT_NEAR(cov(0, si::kT), 0.95, kZ * mc_se(0.95, R));
  // The lesson's z interval (7) on a sample: its critical value, half-width / (s / sqrt(n)),
  // is Boost's normal quantile z_{0.975}.
  const Eigen::VectorXd sample = rng.normal_vector(n);
  const si::Interval zi = si::z_interval(sample, 0.95);
  const double critical = (zi.hi - zi.lo) / 2.0 / (mlc::sample_sd(sample) / std::sqrt(double(n)));
  EXPECT_NEAR(critical, boost::math::quantile(boost::math::normal(), 0.975), 1e-12);
  const boost::math::students_t t9(n - 1);
  const double z_exact = 1.0 - 2.0 * boost::math::cdf(boost::math::complement(t9, critical));
  EXPECT_NEAR(cov(0, si::kZ), z_exact, kZ * mc_se(z_exact, R));
  // On the same samples the t interval contains the z interval, so the difference of the
  // coverages is the fraction with z_{0.975} < |T_9| <= t_{9,0.975}: a proportion with
  // exact value 0.95 - z_exact = 0.032 (Boost), SE sqrt(p(1-p)/R) = 0.0045.
  const double gap = 0.95 - z_exact;
  EXPECT_NEAR(cov(0, si::kT) - cov(0, si::kZ), gap, kZ * mc_se(gap, R));
}

TEST(FailureModes, BootstrapPercentileUnderCoversSkewedSmallSample) {
  // Exponential(1) data, n = 10, nominal 95%: the percentile interval's coverage is well
  // below 0.95 (~0.87). Asserted as a rejection of "coverage = 0.95" at 4.5 SE: with
  // R = 2000, SE = sqrt(0.95 · 0.05 / 2000) = 0.0049, so the coverage must be < 0.928.
  const int R = 2000;
  mlc::Rng rng(16);
  const auto expo = [](mlc::Rng& g) { return -std::log(1.0 - g.uniform()); };
  const auto small = si::ci_coverage(expo, 1.0, 10, {0.95}, R, 200, rng);
  const double pct = small(0, si::kPercentile), boot_t = small(0, si::kBootstrapT);
  EXPECT_LT(pct, 0.95 - kZ * mc_se(0.95, R));
  // Mitigation 1: the bootstrap-t interval corrects for skewness and covers better. SE of
  // the difference of two coverages, as if from independent samples: sqrt(v1/R + v2/R)
  // (~0.009); the two are measured on the same samples and positively correlated, which
  // only makes the true SE of the difference smaller, so this bound is conservative.
  const double se_diff = std::sqrt(pct * (1 - pct) / R + boot_t * (1 - boot_t) / R);
  EXPECT_GT(boot_t - pct, kZ * se_diff);
  // Mitigation 2: more data. Coverage at n = 50 against n = 5 (independent samples of
  // R2 = 600 each): the difference must exceed 4.5 SE of the difference.
  const int R2 = 600;
  const double c5 = si::ci_coverage(expo, 1.0, 5, {0.95}, R2, 100, rng)(0, si::kPercentile);
  const double c50 = si::ci_coverage(expo, 1.0, 50, {0.95}, R2, 100, rng)(0, si::kPercentile);
  EXPECT_GT(c50 - c5, kZ * std::sqrt(c5 * (1 - c5) / R2 + c50 * (1 - c50) / R2));
}

TEST(FailureModes, PeekingInflatesTheFalsePositiveRate) {
  // H0 true, z test after each of 10 batches of 10, stop at the first p < 0.05. The rate is
  // asserted to exceed 0.05 by more than 4.5 SE under "rate = 0.05": SE = sqrt(0.05 · 0.95 /
  // 2000) = 0.0049, so rate > 0.072 (the full run measured 0.181 with 10 looks).
  const int R = 2000;
  mlc::Rng rng(17);
  const double peeking = si::optional_stopping_false_positive_rate(10, 10, 0.05, true, R, rng);
  EXPECT_GT(peeking, 0.05 + kZ * mc_se(0.05, R));
  EXPECT_GT(peeking, 0.12);  // 0.181 - 0.12 = 0.061 is 7 SE of sqrt(0.18 · 0.82 / 2000) = 0.0086
  // Mitigation: the fixed-horizon design, one test after all 100 observations: rate = alpha.
  const double fixed = si::optional_stopping_false_positive_rate(10, 10, 0.05, false, R, rng);
  EXPECT_NEAR(fixed, 0.05, kZ * mc_se(0.05, R));
}

TEST(FailureModes, TwentyUncorrectedTestsGiveFamilyWiseErrorNear64Percent) {
  // 20 independent true nulls at alpha = 0.05: FWER = 1 - 0.95^20 = 0.6415; R = 1000 gives
  // SE sqrt(0.64 · 0.36 / 1000) = 0.015; tolerance 4.5 SE = 0.068.
  const int R = 1000;
  mlc::Rng rng(18);
  const auto rates = si::simulate_multiple_testing(20, 0, 0.0, 8, 0.05, R, rng);
  const double expected = 1.0 - std::pow(0.95, 20);
  EXPECT_NEAR(rates[si::kUncorrected].fwer, expected, kZ * mc_se(expected, R));
  // Mitigations: Bonferroni and Holm keep FWER <= alpha (Bonferroni's is 1 - (1 - a/m)^m =
  // 0.0488 here); one-sided bound at alpha + 4.5 SE(alpha) = 0.05 + 0.031.
  EXPECT_LE(rates[si::kBonferroni].fwer, 0.05 + kZ * mc_se(0.05, R));
  EXPECT_LE(rates[si::kHolm].fwer, 0.05 + kZ * mc_se(0.05, R));
  // With every null true, BH's FDR equals its FWER and is <= alpha.
  EXPECT_LE(rates[si::kBenjaminiHochberg].fdr, 0.05 + kZ * mc_se(0.05, R));
}

TEST(FailureModes, BenjaminiHochbergControlsFdrWithMorePowerThanHolm) {
  // m = 20, 5 true effects of 1.5 sd, n = 8 per test. For independent tests with continuous
  // null p-values BH's FDR (21) is exactly (m0/m) alpha = q = 0.0375 (the bound of
  // Benjamini & Hochberg 1995 holds with equality; Benjamini & Yekutieli 2001). The false discovery
  // proportion lies in [0, 1] with mean q, so its variance is <= q(1 - q), and the SE of its mean
  // over R = 12000 replications is <= sqrt(q(1-q)/R) = 0.0017: the tolerance 4.5 SE = 0.0078
  // rejects an FDR above 0.0453, and a BH as conservative as Holm.
  const int R = 12000;
  mlc::Rng rng(19);
  const auto rates = si::simulate_multiple_testing(20, 5, 1.5, 8, 0.05, R, rng);
  const double q = 15.0 / 20.0 * 0.05;
  EXPECT_NEAR(rates[si::kBenjaminiHochberg].fdr, q, kZ * mc_se(q, R));
  // Uncorrected testing makes a false discovery in most replications (FWER ~ 1 - 0.95^15).
  const double uncorrected = 1.0 - std::pow(0.95, 15);
  EXPECT_NEAR(rates[si::kUncorrected].fwer, uncorrected, kZ * mc_se(uncorrected, R));
  // Power is ordered per replication (BH rejects a superset of Holm, Holm of Bonferroni).
  EXPECT_GE(rates[si::kBenjaminiHochberg].power, rates[si::kHolm].power);
  EXPECT_GE(rates[si::kHolm].power, rates[si::kBonferroni].power);
  EXPECT_GT(rates[si::kBenjaminiHochberg].power, rates[si::kBonferroni].power);
}

}  // namespace
