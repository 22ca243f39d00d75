// statistical_inference.hpp: maximum likelihood, confidence intervals, hypothesis tests,
// power and sample size, A/B test design and multiple comparisons, from first principles.
//
// Sources (equation numbers refer to NOTES.md):
//   * Casella & Berger, Statistical Inference (2nd ed., 2002): §7.2 (MLE), §10.1 (Fisher
//     information and asymptotic normality), §8.3 (tests), §9.2 (intervals).
//   * Wasserman, All of Statistics (2004): ch. 8 (bootstrap), ch. 10 (tests, permutation
//     test §10.5, multiple testing §10.7).
//   * Efron & Tibshirani, An Introduction to the Bootstrap (1993): ch. 12–13 (bootstrap-t,
//     percentile interval).
//   * Welch (1947), Biometrika 34: the unequal-variance t statistic and its df.
//   * Holm (1979), Scand. J. Statist. 6; Benjamini & Hochberg (1995), JRSS-B 57.
//   * Minka (2002), "Estimating a Gamma distribution": Newton on the gamma shape.
//   * Fleiss, Levin & Paik, Statistical Methods for Rates and Proportions (3rd ed.), §4.2.
//
// Layout: a sample is an Eigen::VectorXd of n observations. Every random draw comes from
// an mlc::Rng passed in. Quantiles and CDFs of the normal and Student t distributions come
// from Boost.Math; digamma/trigamma too.
#pragma once

#include <array>
#include <functional>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace statistical_inference {

// ---- Maximum likelihood (NOTES (1)-(6)) -------------------------------------------------

// An estimate with its standard error from the inverse Fisher information, SE = 1/sqrt(n I).
struct Estimate {
  double value = 0.0;
  double se = 0.0;
};

// Normal(mu, sigma): mu = mean, sigma^2 = (1/n) sum (x - mean)^2 (the biased MLE);
// SE(mu) = sigma/sqrt(n), SE(sigma) = sigma/sqrt(2n)   (2).
struct NormalFit {
  Estimate mean, sd;
};
NormalFit normal_mle(const Eigen::Ref<const Eigen::VectorXd>& x);

// Exponential(rate lambda): lambda = 1/mean, SE = lambda/sqrt(n)   (3). Requires x > 0.
Estimate exponential_mle(const Eigen::Ref<const Eigen::VectorXd>& x);

// Bernoulli(p) from 0/1 outcomes: p = mean, SE = sqrt(p(1-p)/n)   (4).
Estimate bernoulli_mle(const Eigen::Ref<const Eigen::VectorXd>& x);

// Gamma(shape alpha, rate beta): the shape solves log(alpha) - digamma(alpha) = s with
// s = log(mean) - mean(log x) > 0 (5), by Newton's method; beta = alpha/mean. SEs from the
// inverse of the Fisher information (6) divided by n. `history` holds alpha_0, alpha_1, ...
struct GammaFit {
  Estimate shape, rate;
  int iterations = 0;
  std::vector<double> history;
};
// The profile score in the shape (5), g(alpha) = log(alpha) - digamma(alpha) - s, and its
// derivative g'(alpha) = 1/alpha - trigamma(alpha) < 0: Newton's iteration is
// alpha <- alpha - g/g'.
double gamma_shape_score(double alpha, double s);
double gamma_shape_score_derivative(double alpha);
// initial_shape <= 0 selects Minka's closed-form starting point.
GammaFit gamma_mle(const Eigen::Ref<const Eigen::VectorXd>& x, double initial_shape = 0.0,
                   double tolerance = 1e-12, int max_iterations = 100);

// Gamma(shape, rate) variate by Marsaglia & Tsang (2000); shape < 1 through
// Gamma(shape + 1) · U^(1/shape).
double sample_gamma(double shape, double rate, mlc::Rng& rng);

// ---- Confidence intervals (NOTES (7)-(10)) ----------------------------------------------

struct Interval {
  double lo = 0.0, hi = 0.0;
  bool contains(double v) const { return lo <= v && v <= hi; }
  double width() const { return hi - lo; }
};

// Wald / z interval for the mean: mean ± z_{1-a/2} s/sqrt(n), s the sample sd (7).
Interval z_interval(const Eigen::Ref<const Eigen::VectorXd>& x, double level);
// Student t interval: mean ± t_{n-1, 1-a/2} s/sqrt(n)   (8).
Interval t_interval(const Eigen::Ref<const Eigen::VectorXd>& x, double level);

// Sample quantile, linear interpolation between order statistics (Hyndman & Fan type 7).
// `sorted` must be ascending.
double quantile_sorted(const std::vector<double>& sorted, double p);

// Bootstrap percentile intervals for the mean (9), one per level, from the same B
// resamples: [q_{a/2}, q_{1-a/2}] of the bootstrap means.
std::vector<Interval> bootstrap_percentile_ci(const Eigen::Ref<const Eigen::VectorXd>& x,
                                              const std::vector<double>& levels, int resamples,
                                              mlc::Rng& rng);
// Bootstrap-t (studentized) intervals (10): [mean - t*_{1-a/2} se, mean - t*_{a/2} se].
std::vector<Interval> bootstrap_t_ci(const Eigen::Ref<const Eigen::VectorXd>& x,
                                     const std::vector<double>& levels, int resamples,
                                     mlc::Rng& rng);

// ---- Hypothesis tests (NOTES (11)-(15)) -------------------------------------------------

struct TestResult {
  double statistic = 0.0;
  double df = 0.0;       // degrees of freedom (0 for z tests)
  double p_value = 1.0;  // two-sided
};

// One-sample z test of H0: mean = mu0 with known sigma (11).
TestResult z_test(const Eigen::Ref<const Eigen::VectorXd>& x, double mu0, double sigma);
// Two-sample z test of H0: mean(y) = mean(x), known common sigma (11).
TestResult two_sample_z_test(const Eigen::Ref<const Eigen::VectorXd>& x,
                             const Eigen::Ref<const Eigen::VectorXd>& y, double sigma);
// One-sample Student t test of H0: mean = mu0 (12).
TestResult t_test(const Eigen::Ref<const Eigen::VectorXd>& x, double mu0);
// Welch's two-sample t test of H0: mean(x) = mean(y) with unequal variances (13), (14);
// statistic = (mean(x) - mean(y)) / sqrt(s_x^2/n_x + s_y^2/n_y).
TestResult welch_t_test(const Eigen::Ref<const Eigen::VectorXd>& x,
                        const Eigen::Ref<const Eigen::VectorXd>& y);
// Two-sided permutation test of H0: x and y exchangeable, statistic mean(x) - mean(y) (15);
// p = (1 + #{|T*| >= |T|}) / (1 + permutations).
TestResult permutation_test(const Eigen::Ref<const Eigen::VectorXd>& x,
                            const Eigen::Ref<const Eigen::VectorXd>& y, int permutations,
                            mlc::Rng& rng);
// Pooled two-proportion z test (A/B test) of H0: p_a = p_b from success counts.
TestResult two_proportion_z_test(long successes_a, long n_a, long successes_b, long n_b);

// ---- Power and sample size (NOTES (16)-(18)) --------------------------------------------

// Power of the two-sided two-sample z test with n per arm, effect delta, known sigma (16).
double power_two_sample_z(double delta, double sigma, double n_per_arm, double alpha);
// Smallest n per arm with power >= target: ceil(2 sigma^2 (z_{1-a/2} + z_power)^2 / delta^2) (17).
long sample_size_two_sample_z(double delta, double sigma, double alpha, double power);
// A/B test: n per arm to detect conversion p0 -> p0 + mde with the pooled two-proportion
// z test (18) (Fleiss, Levin & Paik §4.2, without continuity correction).
long ab_sample_size(double p0, double mde, double alpha, double power);

// ---- Multiple comparisons (NOTES (19)-(21)) ---------------------------------------------

// Adjusted p-values in the input order (as R's p.adjust); reject H_i when adjusted <= alpha.
std::vector<double> bonferroni_adjust(const std::vector<double>& p);   // (19)
std::vector<double> holm_adjust(const std::vector<double>& p);         // (20) step-down
std::vector<double> benjamini_hochberg(const std::vector<double>& p);  // (21) step-up

// ---- Simulations (the experiments and the tests share them) -----------------------------

using Sampler = std::function<double(mlc::Rng&)>;

// Coverage of the four intervals for the mean, by R replications of samples of size n.
// Returns a levels × 4 matrix: columns z (7), t (8), bootstrap percentile (9), bootstrap-t (10).
enum CiMethod { kZ = 0, kT = 1, kPercentile = 2, kBootstrapT = 3 };
Eigen::MatrixXd ci_coverage(const Sampler& draw, double true_mean, int n,
                            const std::vector<double>& levels, int replications, int resamples,
                            mlc::Rng& rng);

// p-values of R one-sample t tests of H0: mean = 0 on n draws from N(effect, 1).
Eigen::VectorXd simulate_t_test_p_values(double effect, int n, int replications, mlc::Rng& rng);

// Rejection rate of the two-sample z test (sigma known) with effect delta, n per arm.
double simulated_power_two_sample_z(double delta, double sigma, int n_per_arm, double alpha,
                                    int replications, mlc::Rng& rng);
// Rejection rate of the two-proportion z test with true conversions p_a, p_b, n per arm.
double simulated_power_two_proportions(double p_a, double p_b, long n_per_arm, double alpha,
                                       int replications, mlc::Rng& rng);

// Optional stopping under H0: N(0,1) data arrive in `looks` batches of `batch_size`; a
// one-sample z test (sigma = 1) is run after every batch when `peek`, and the experiment
// stops at the first p < alpha; without peeking only the final z test is run. Returns the
// fraction of replications that rejected H0 (the false-positive rate).
double optional_stopping_false_positive_rate(int batch_size, int looks, double alpha, bool peek,
                                             int replications, mlc::Rng& rng);

// m one-sample t tests (n draws each) per replication; the first m_alternative hypotheses
// have mean `effect`, the rest are null. For each procedure: the family-wise error rate
// P(any true null rejected), the false discovery rate E[V / max(R, 1)] and the average
// power (fraction of true alternatives rejected).
enum Procedure { kUncorrected = 0, kBonferroni = 1, kHolm = 2, kBenjaminiHochberg = 3 };
struct ErrorRates {
  double fwer = 0.0, fdr = 0.0, power = 0.0;
};
std::array<ErrorRates, 4> simulate_multiple_testing(int m, int m_alternative, double effect, int n,
                                                    double alpha, int replications,
                                                    mlc::Rng& rng);

}  // namespace statistical_inference
