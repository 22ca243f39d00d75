// statistical_inference.cpp: the estimators, intervals, tests, power formulas, p-value
// adjustments and the Monte-Carlo simulations of lesson 1.7. Pure computation: no I/O.
// Equation numbers refer to NOTES.md; sources are cited in statistical_inference.hpp.
#include "statistical_inference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <fmt/format.h>

#include "mlc/error.hpp"

namespace statistical_inference {

namespace {

const boost::math::normal kStdNormal(0.0, 1.0);

double mean_of(const Eigen::Ref<const Eigen::VectorXd>& x) { return x.mean(); }

// Unbiased sample variance s^2 = sum (x - mean)^2 / (n - 1).
double sample_variance(const Eigen::Ref<const Eigen::VectorXd>& x) {
  const double m = x.mean();
  return (x.array() - m).square().sum() / static_cast<double>(x.size() - 1);
}

// Two-sided p-value of a standard normal statistic: 2 (1 - Phi(|z|)).
double normal_two_sided_p(double z) {
  return 2.0 * boost::math::cdf(boost::math::complement(kStdNormal, std::abs(z)));
}

// Two-sided p-value of a Student t statistic with df degrees of freedom.
double t_two_sided_p(double t, double df) {
  const boost::math::students_t dist(df);
  return 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(t)));
}

double z_quantile(double p) { return boost::math::quantile(kStdNormal, p); }

void require_level(double level, const char* fn) {
  mlc::require(level > 0.0 && level < 1.0, fn,
               fmt::format("confidence level must lie in (0, 1), got {}", level));
}

void require_levels(const std::vector<double>& levels, const char* fn) {
  mlc::require(!levels.empty(), fn, "at least one confidence level is needed");
  for (double l : levels) require_level(l, fn);
}

// One bootstrap resample of x (n draws with replacement) into `resample` (size n,
// allocated by the caller once): its mean and its sample variance, by the two-pass
// sample_variance above. A one-pass (sum x^2 - n mean^2) / (n - 1) cancels completely
// once |mean| / sd exceeds 1/sqrt(u) ~ 1e8 (floating_point, 1.1, its (7)), which made t* in
// (10) infinite.
std::pair<double, double> resample_mean_var(const Eigen::Ref<const Eigen::VectorXd>& x,
                                            Eigen::VectorXd& resample, mlc::Rng& rng) {
  const Eigen::Index n = x.size();
  for (Eigen::Index i = 0; i < n; ++i) resample(i) = x(rng.index(n));
  return {resample.mean(), sample_variance(resample)};
}

// Sorts p ascending and returns the permutation: order[k] = index of the k-th smallest.
std::vector<std::size_t> ascending_order(const std::vector<double>& p) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  return order;
}

void require_p_values(const std::vector<double>& p, const char* fn) {
  for (double v : p)
    mlc::require(v >= 0.0 && v <= 1.0, fn, fmt::format("p-values must lie in [0, 1], got {}", v));
}

}  // namespace

// ---- Maximum likelihood -------------------------------------------------------------------

NormalFit normal_mle(const Eigen::Ref<const Eigen::VectorXd>& x) {
  mlc::require(x.size() >= 2, "normal_mle", fmt::format("need n >= 2 observations, got {}", x.size()));
  const double n = static_cast<double>(x.size());
  const double mu = x.mean();
  const double sigma = std::sqrt((x.array() - mu).square().sum() / n);  // (1) biased MLE
  // (2) inverse Fisher information: I(mu) = n/sigma^2, I(sigma) = 2n/sigma^2.
  return {{mu, sigma / std::sqrt(n)}, {sigma, sigma / std::sqrt(2.0 * n)}};
}

Estimate exponential_mle(const Eigen::Ref<const Eigen::VectorXd>& x) {
  mlc::require(x.size() >= 1 && (x.array() > 0.0).all(), "exponential_mle",
               "need at least one observation, all positive");
  const double lambda = 1.0 / x.mean();
  return {lambda, lambda / std::sqrt(static_cast<double>(x.size()))};  // (3) I(lambda) = n/lambda^2
}

Estimate bernoulli_mle(const Eigen::Ref<const Eigen::VectorXd>& x) {
  mlc::require(x.size() >= 1 && ((x.array() == 0.0) || (x.array() == 1.0)).all(), "bernoulli_mle",
               "need at least one observation, each 0 or 1");
  const double p = x.mean();
  return {p, std::sqrt(p * (1.0 - p) / static_cast<double>(x.size()))};  // (4) I(p) = n/(p(1-p))
}

double gamma_shape_score(double alpha, double s) {
  return std::log(alpha) - boost::math::digamma(alpha) - s;  // (5)
}

double gamma_shape_score_derivative(double alpha) {
  return 1.0 / alpha - boost::math::trigamma(alpha);
}

GammaFit gamma_mle(const Eigen::Ref<const Eigen::VectorXd>& x, double initial_shape,
                   double tolerance, int max_iterations) {
  mlc::require(x.size() >= 2 && (x.array() > 0.0).all(), "gamma_mle",
               fmt::format("need n >= 2 positive observations, got n = {}", x.size()));
  const double n = static_cast<double>(x.size());
  const double mean = x.mean();
  const double s = std::log(mean) - x.array().log().mean();  // (5) s > 0 by Jensen
  mlc::require(s > 0.0, "gamma_mle", "all observations are equal: the shape is unbounded");
  GammaFit fit;
  // Minka's (2002) closed-form approximation as starting point.
  double alpha = initial_shape > 0.0
                     ? initial_shape
                     : (3.0 - s + std::sqrt((s - 3.0) * (s - 3.0) + 24.0 * s)) / (12.0 * s);
  fit.history.push_back(alpha);
  // Newton on the profile score g(alpha) = log(alpha) - digamma(alpha) - s = 0,
  // g'(alpha) = 1/alpha - trigamma(alpha) < 0.
  for (int k = 0; k < max_iterations; ++k) {
    double next = alpha - gamma_shape_score(alpha, s) / gamma_shape_score_derivative(alpha);
    if (next <= 0.0) next = alpha / 2.0;  // stay in the domain
    fit.iterations = k + 1;
    const double step = std::abs(next - alpha);
    alpha = next;
    fit.history.push_back(alpha);
    if (step <= tolerance * alpha) break;
  }
  mlc::require_finite(Eigen::VectorXd::Constant(1, alpha), "gamma_mle shape");
  const double beta = alpha / mean;
  // (6) Fisher information per observation [[psi'(a), -1/b], [-1/b, a/b^2]]; its inverse
  // over n: Var(a) = a / (n (a psi'(a) - 1)), Var(b) = b^2 psi'(a) / (n (a psi'(a) - 1)).
  const double tri = boost::math::trigamma(alpha);
  const double det = alpha * tri - 1.0;
  fit.shape = {alpha, std::sqrt(alpha / (n * det))};
  fit.rate = {beta, std::sqrt(beta * beta * tri / (n * det))};
  return fit;
}

double sample_gamma(double shape, double rate, mlc::Rng& rng) {
  mlc::require(shape > 0.0 && rate > 0.0, "sample_gamma", "shape and rate must be positive");
  if (shape < 1.0) {
    const double u = rng.uniform();
    return sample_gamma(shape + 1.0, rate, rng) * std::pow(1.0 - u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double z, v;
    do {
      z = rng.normal();
      v = 1.0 + c * z;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = 1.0 - rng.uniform();  // (0, 1]
    if (std::log(u) < 0.5 * z * z + d - d * v + d * std::log(v)) return d * v / rate;
  }
}

// ---- Confidence intervals -------------------------------------------------------------------

Interval z_interval(const Eigen::Ref<const Eigen::VectorXd>& x, double level) {
  mlc::require(x.size() >= 2, "z_interval", "need n >= 2 observations");
  require_level(level, "z_interval");
  const double se = std::sqrt(sample_variance(x) / static_cast<double>(x.size()));
  const double half = z_quantile(0.5 + level / 2.0) * se;  // (7)
  return {mean_of(x) - half, mean_of(x) + half};
}

Interval t_interval(const Eigen::Ref<const Eigen::VectorXd>& x, double level) {
  mlc::require(x.size() >= 2, "t_interval", "need n >= 2 observations");
  require_level(level, "t_interval");
  const double n = static_cast<double>(x.size());
  const double se = std::sqrt(sample_variance(x) / n);
  const boost::math::students_t dist(n - 1.0);
  const double half = boost::math::quantile(dist, 0.5 + level / 2.0) * se;  // (8)
  return {mean_of(x) - half, mean_of(x) + half};
}

double quantile_sorted(const std::vector<double>& sorted, double p) {
  mlc::require(!sorted.empty(), "quantile_sorted", "empty sample");
  mlc::require(p >= 0.0 && p <= 1.0, "quantile_sorted", fmt::format("p must lie in [0, 1], got {}", p));
  const double h = static_cast<double>(sorted.size() - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::vector<Interval> bootstrap_percentile_ci(const Eigen::Ref<const Eigen::VectorXd>& x,
                                              const std::vector<double>& levels, int resamples,
                                              mlc::Rng& rng) {
  mlc::require(x.size() >= 2, "bootstrap_percentile_ci", "need n >= 2 observations");
  mlc::require(resamples >= 10, "bootstrap_percentile_ci", "need at least 10 resamples");
  require_levels(levels, "bootstrap_percentile_ci");
  // BEGIN EXERCISE bootstrap_percentile_ci: B resampled means, then their a/2 and 1-a/2 quantiles, (9)
  const Eigen::Index n = x.size();
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (double& m : means) {
    double sum = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) sum += x(rng.index(n));  // draw with replacement
    m = sum / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  std::vector<Interval> intervals;
  intervals.reserve(levels.size());
  for (double level : levels) {
    const double a = 1.0 - level;
    intervals.push_back({quantile_sorted(means, a / 2.0), quantile_sorted(means, 1.0 - a / 2.0)});
  }
  return intervals;
  // END EXERCISE
}

std::vector<Interval> bootstrap_t_ci(const Eigen::Ref<const Eigen::VectorXd>& x,
                                     const std::vector<double>& levels, int resamples,
                                     mlc::Rng& rng) {
  mlc::require(x.size() >= 2, "bootstrap_t_ci", "need n >= 2 observations");
  mlc::require(resamples >= 10, "bootstrap_t_ci", "need at least 10 resamples");
  require_levels(levels, "bootstrap_t_ci");
  const double n = static_cast<double>(x.size());
  const double mean = x.mean();
  const double se = std::sqrt(sample_variance(x) / n);
  // (10) t* = (mean* - mean) / se*; a resample of identical values has se* = 0 and t* = ±inf
  // (or 0 when mean* = mean), which sorts to the ends as it should.
  std::vector<double> t_star(static_cast<std::size_t>(resamples));
  Eigen::VectorXd resample(x.size());
  for (double& t : t_star) {
    const auto [m, v] = resample_mean_var(x, resample, rng);
    const double se_star = std::sqrt(v / n);
    const double diff = m - mean;
    t = se_star > 0.0 ? diff / se_star
                      : (diff == 0.0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), diff));
  }
  std::sort(t_star.begin(), t_star.end());
  std::vector<Interval> intervals;
  for (double level : levels) {
    const double a = 1.0 - level;
    intervals.push_back({mean - quantile_sorted(t_star, 1.0 - a / 2.0) * se,
                         mean - quantile_sorted(t_star, a / 2.0) * se});
  }
  return intervals;
}

// ---- Hypothesis tests --------------------------------------------------------------------------

TestResult z_test(const Eigen::Ref<const Eigen::VectorXd>& x, double mu0, double sigma) {
  mlc::require(x.size() >= 1 && sigma > 0.0, "z_test", "need n >= 1 and sigma > 0");
  const double z = (x.mean() - mu0) / (sigma / std::sqrt(static_cast<double>(x.size())));  // (11)
  return {z, 0.0, normal_two_sided_p(z)};
}

TestResult two_sample_z_test(const Eigen::Ref<const Eigen::VectorXd>& x,
                             const Eigen::Ref<const Eigen::VectorXd>& y, double sigma) {
  mlc::require(x.size() >= 1 && y.size() >= 1 && sigma > 0.0, "two_sample_z_test",
               fmt::format("need non-empty samples and sigma > 0 (n_x = {}, n_y = {})", x.size(), y.size()));
  const double se = sigma * std::sqrt(1.0 / static_cast<double>(x.size()) + 1.0 / static_cast<double>(y.size()));
  const double z = (y.mean() - x.mean()) / se;  // (11)
  return {z, 0.0, normal_two_sided_p(z)};
}

TestResult t_test(const Eigen::Ref<const Eigen::VectorXd>& x, double mu0) {
  mlc::require(x.size() >= 2, "t_test", fmt::format("need n >= 2 observations, got {}", x.size()));
  const double n = static_cast<double>(x.size());
  const double t = (x.mean() - mu0) / std::sqrt(sample_variance(x) / n);  // (12)
  return {t, n - 1.0, t_two_sided_p(t, n - 1.0)};
}

TestResult welch_t_test(const Eigen::Ref<const Eigen::VectorXd>& x,
                        const Eigen::Ref<const Eigen::VectorXd>& y) {
  mlc::require(x.size() >= 2 && y.size() >= 2, "welch_t_test",
               fmt::format("need n >= 2 in each sample (n_x = {}, n_y = {})", x.size(), y.size()));
  // BEGIN EXERCISE welch_t_test: the Welch statistic (13) and the Welch–Satterthwaite df (14)
  const double nx = static_cast<double>(x.size()), ny = static_cast<double>(y.size());
  const double vx = sample_variance(x) / nx;  // s_x^2 / n_x
  const double vy = sample_variance(y) / ny;  // s_y^2 / n_y
  const double t = (x.mean() - y.mean()) / std::sqrt(vx + vy);                          // (13)
  const double df = (vx + vy) * (vx + vy) / (vx * vx / (nx - 1.0) + vy * vy / (ny - 1.0));  // (14)
  return {t, df, t_two_sided_p(t, df)};
  // END EXERCISE
}

TestResult permutation_test(const Eigen::Ref<const Eigen::VectorXd>& x,
                            const Eigen::Ref<const Eigen::VectorXd>& y, int permutations,
                            mlc::Rng& rng) {
  mlc::require(x.size() >= 1 && y.size() >= 1 && permutations >= 1, "permutation_test",
               fmt::format("need non-empty samples and permutations >= 1 (n_x = {}, n_y = {})",
                           x.size(), y.size()));
  // BEGIN EXERCISE permutation_test: relabel the pooled sample at random, count |T*| >= |T|, (15)
  const Eigen::Index nx = x.size(), ny = y.size(), N = nx + ny;
  std::vector<double> pooled(static_cast<std::size_t>(N));
  for (Eigen::Index i = 0; i < nx; ++i) pooled[static_cast<std::size_t>(i)] = x(i);
  for (Eigen::Index i = 0; i < ny; ++i) pooled[static_cast<std::size_t>(nx + i)] = y(i);
  const double total = x.sum() + y.sum();
  const double observed = x.mean() - y.mean();
  // Ties in floating point: a permuted statistic equal to the observed one up to rounding
  // counts as "at least as extreme".
  const double threshold = std::abs(observed) * (1.0 - 1e-12) - 1e-300;
  long extreme = 0;
  for (int b = 0; b < permutations; ++b) {
    // Partial Fisher–Yates: the first nx slots become a uniformly random subset.
    double sum_x = 0.0;
    for (Eigen::Index i = 0; i < nx; ++i) {
      const Eigen::Index j = i + rng.index(N - i);
      std::swap(pooled[static_cast<std::size_t>(i)], pooled[static_cast<std::size_t>(j)]);
      sum_x += pooled[static_cast<std::size_t>(i)];
    }
    const double t_star = sum_x / static_cast<double>(nx) - (total - sum_x) / static_cast<double>(ny);
    if (std::abs(t_star) >= threshold) ++extreme;
  }
  const double p = (1.0 + static_cast<double>(extreme)) / (1.0 + static_cast<double>(permutations));
  return {observed, 0.0, p};
  // END EXERCISE
}

TestResult two_proportion_z_test(long successes_a, long n_a, long successes_b, long n_b) {
  mlc::require(n_a >= 1 && n_b >= 1 && successes_a >= 0 && successes_b >= 0 && successes_a <= n_a &&
                   successes_b <= n_b,
               "two_proportion_z_test",
               fmt::format("need 0 <= successes <= n in each arm (a: {}/{}, b: {}/{})", successes_a,
                           n_a, successes_b, n_b));
  const double pa = static_cast<double>(successes_a) / static_cast<double>(n_a);
  const double pb = static_cast<double>(successes_b) / static_cast<double>(n_b);
  const double pooled = static_cast<double>(successes_a + successes_b) / static_cast<double>(n_a + n_b);
  const double se = std::sqrt(pooled * (1.0 - pooled) * (1.0 / static_cast<double>(n_a) + 1.0 / static_cast<double>(n_b)));
  if (se == 0.0) return {0.0, 0.0, 1.0};  // no variation at all: no evidence either way
  const double z = (pb - pa) / se;
  return {z, 0.0, normal_two_sided_p(z)};
}

// ---- Power and sample size -----------------------------------------------------------------------

double power_two_sample_z(double delta, double sigma, double n_per_arm, double alpha) {
  mlc::require(sigma > 0.0 && n_per_arm > 0.0 && alpha > 0.0 && alpha < 1.0, "power_two_sample_z",
               "need sigma > 0, n > 0 and alpha in (0, 1)");
  // (16) power = Phi(d - z) + Phi(-d - z), d = delta / (sigma sqrt(2/n)), z = z_{1-a/2}.
  const double d = delta / (sigma * std::sqrt(2.0 / n_per_arm));
  const double z = z_quantile(1.0 - alpha / 2.0);
  return boost::math::cdf(kStdNormal, d - z) + boost::math::cdf(kStdNormal, -d - z);
}

long sample_size_two_sample_z(double delta, double sigma, double alpha, double power) {
  mlc::require(delta != 0.0 && sigma > 0.0 && alpha > 0.0 && alpha < 1.0 && power > 0.0 && power < 1.0,
               "sample_size_two_sample_z", "need delta != 0, sigma > 0, alpha and power in (0, 1)");
  const double z = z_quantile(1.0 - alpha / 2.0) + z_quantile(power);
  return static_cast<long>(std::ceil(2.0 * sigma * sigma * z * z / (delta * delta)));  // (17)
}

long ab_sample_size(double p0, double mde, double alpha, double power) {
  const double p1 = p0 + mde;
  mlc::require(p0 > 0.0 && p0 < 1.0 && p1 > 0.0 && p1 < 1.0 && mde != 0.0, "ab_sample_size",
               fmt::format("need 0 < p0, p0 + mde < 1 and mde != 0 (p0 = {}, mde = {})", p0, mde));
  mlc::require(alpha > 0.0 && alpha < 1.0 && power > 0.0 && power < 1.0, "ab_sample_size",
               "alpha and power must lie in (0, 1)");
  // (18) n = [z_{1-a/2} sqrt(2 pbar qbar) + z_power sqrt(p0 q0 + p1 q1)]^2 / mde^2.
  const double pbar = (p0 + p1) / 2.0;
  const double root = z_quantile(1.0 - alpha / 2.0) * std::sqrt(2.0 * pbar * (1.0 - pbar)) +
                      z_quantile(power) * std::sqrt(p0 * (1.0 - p0) + p1 * (1.0 - p1));
  return static_cast<long>(std::ceil(root * root / (mde * mde)));
}

// ---- Multiple comparisons ---------------------------------------------------------------------

std::vector<double> bonferroni_adjust(const std::vector<double>& p) {
  require_p_values(p, "bonferroni_adjust");
  std::vector<double> adjusted(p.size());
  const double m = static_cast<double>(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) adjusted[i] = std::min(1.0, m * p[i]);  // (19)
  return adjusted;
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  require_p_values(p, "holm_adjust");
  // BEGIN EXERCISE holm_adjust: step-down, p_(k) · (m - k + 1) made monotone by a running max, (20)
  const std::size_t m = p.size();
  const std::vector<std::size_t> order = ascending_order(p);
  std::vector<double> adjusted(m);
  double running_max = 0.0;
  for (std::size_t k = 0; k < m; ++k) {  // k = 0 is the smallest p-value
    const double scaled = std::min(1.0, static_cast<double>(m - k) * p[order[k]]);
    running_max = std::max(running_max, scaled);
    adjusted[order[k]] = running_max;
  }
  return adjusted;
  // END EXERCISE
}

std::vector<double> benjamini_hochberg(const std::vector<double>& p) {
  require_p_values(p, "benjamini_hochberg");
  // BEGIN EXERCISE benjamini_hochberg: step-up, p_(k) · m / k made monotone by a running min from the top, (21)
  const std::size_t m = p.size();
  const std::vector<std::size_t> order = ascending_order(p);
  std::vector<double> adjusted(m);
  double running_min = 1.0;
  for (std::size_t k = m; k-- > 0;) {  // rank k + 1, from the largest p-value down
    const double scaled = static_cast<double>(m) * p[order[k]] / static_cast<double>(k + 1);
    running_min = std::min(running_min, scaled);
    adjusted[order[k]] = running_min;
  }
  return adjusted;
  // END EXERCISE
}

// ---- Simulations ------------------------------------------------------------------------------

Eigen::MatrixXd ci_coverage(const Sampler& draw, double true_mean, int n,
                            const std::vector<double>& levels, int replications, int resamples,
                            mlc::Rng& rng) {
  mlc::require(n >= 2 && replications >= 1, "ci_coverage", "need n >= 2 and replications >= 1");
  require_levels(levels, "ci_coverage");
  const auto L = static_cast<Eigen::Index>(levels.size());
  Eigen::MatrixXd covered = Eigen::MatrixXd::Zero(L, 4);
  Eigen::VectorXd x(n);
  for (int r = 0; r < replications; ++r) {
    for (int i = 0; i < n; ++i) x(i) = draw(rng);
    const auto pct = bootstrap_percentile_ci(x, levels, resamples, rng);
    const auto boot_t = bootstrap_t_ci(x, levels, resamples, rng);
    for (Eigen::Index l = 0; l < L; ++l) {
      const double level = levels[static_cast<std::size_t>(l)];
      covered(l, kZ) += z_interval(x, level).contains(true_mean);
      covered(l, kT) += t_interval(x, level).contains(true_mean);
      covered(l, kPercentile) += pct[static_cast<std::size_t>(l)].contains(true_mean);
      covered(l, kBootstrapT) += boot_t[static_cast<std::size_t>(l)].contains(true_mean);
    }
  }
  return covered / static_cast<double>(replications);
}

Eigen::VectorXd simulate_t_test_p_values(double effect, int n, int replications, mlc::Rng& rng) {
  mlc::require(n >= 2 && replications >= 1, "simulate_t_test_p_values", "need n >= 2 and replications >= 1");
  Eigen::VectorXd p(replications);
  for (int r = 0; r < replications; ++r) p(r) = t_test(rng.normal_vector(n, effect, 1.0), 0.0).p_value;
  return p;
}

double simulated_power_two_sample_z(double delta, double sigma, int n_per_arm, double alpha,
                                    int replications, mlc::Rng& rng) {
  mlc::require(n_per_arm >= 1 && replications >= 1, "simulated_power_two_sample_z",
               "need n_per_arm >= 1 and replications >= 1");
  long rejections = 0;
  for (int r = 0; r < replications; ++r) {
    const Eigen::VectorXd x = rng.normal_vector(n_per_arm, 0.0, sigma);
    const Eigen::VectorXd y = rng.normal_vector(n_per_arm, delta, sigma);
    rejections += two_sample_z_test(x, y, sigma).p_value < alpha;
  }
  return static_cast<double>(rejections) / replications;
}

double simulated_power_two_proportions(double p_a, double p_b, long n_per_arm, double alpha,
                                       int replications, mlc::Rng& rng) {
  mlc::require(n_per_arm >= 1 && replications >= 1, "simulated_power_two_proportions",
               "need n_per_arm >= 1 and replications >= 1");
  long rejections = 0;
  for (int r = 0; r < replications; ++r) {
    long sa = 0, sb = 0;
    for (long i = 0; i < n_per_arm; ++i) {
      sa += rng.bernoulli(p_a);
      sb += rng.bernoulli(p_b);
    }
    rejections += two_proportion_z_test(sa, n_per_arm, sb, n_per_arm).p_value < alpha;
  }
  return static_cast<double>(rejections) / replications;
}

double optional_stopping_false_positive_rate(int batch_size, int looks, double alpha, bool peek,
                                             int replications, mlc::Rng& rng) {
  mlc::require(batch_size >= 1 && looks >= 1 && replications >= 1, "optional_stopping_false_positive_rate",
               "need batch_size, looks and replications >= 1");
  // p < alpha  <=>  |z| > z_{1-a/2}; the z statistic of the first k batches is S_k / sqrt(k b).
  const double z_crit = z_quantile(1.0 - alpha / 2.0);
  long rejections = 0;
  for (int r = 0; r < replications; ++r) {
    double sum = 0.0;
    for (int k = 1; k <= looks; ++k) {
      for (int i = 0; i < batch_size; ++i) sum += rng.normal();
      if (!peek && k < looks) continue;
      const double z = sum / std::sqrt(static_cast<double>(k) * batch_size);
      if (std::abs(z) > z_crit) {
        ++rejections;
        break;  // stop at the first "significant" look
      }
    }
  }
  return static_cast<double>(rejections) / replications;
}

std::array<ErrorRates, 4> simulate_multiple_testing(int m, int m_alternative, double effect, int n,
                                                    double alpha, int replications,
                                                    mlc::Rng& rng) {
  mlc::require(m >= 1 && m_alternative >= 0 && m_alternative <= m && n >= 2 && replications >= 1,
               "simulate_multiple_testing",
               fmt::format("need 0 <= m_alternative <= m, n >= 2 (m = {}, m_alternative = {}, n = {})", m,
                           m_alternative, n));
  std::array<ErrorRates, 4> rates{};
  std::vector<double> p(static_cast<std::size_t>(m));
  for (int r = 0; r < replications; ++r) {
    for (int i = 0; i < m; ++i)
      p[static_cast<std::size_t>(i)] =
          t_test(rng.normal_vector(n, i < m_alternative ? effect : 0.0, 1.0), 0.0).p_value;
    const std::array<std::vector<double>, 4> adjusted{p, bonferroni_adjust(p), holm_adjust(p),
                                                      benjamini_hochberg(p)};
    for (int proc = 0; proc < 4; ++proc) {
      int false_rej = 0, true_rej = 0;
      for (int i = 0; i < m; ++i) {
        if (adjusted[static_cast<std::size_t>(proc)][static_cast<std::size_t>(i)] <= alpha) {
          (i < m_alternative ? true_rej : false_rej) += 1;
        }
      }
      const int total = false_rej + true_rej;
      rates[static_cast<std::size_t>(proc)].fwer += false_rej > 0;
      rates[static_cast<std::size_t>(proc)].fdr += total > 0 ? static_cast<double>(false_rej) / total : 0.0;
      if (m_alternative > 0)
        rates[static_cast<std::size_t>(proc)].power += static_cast<double>(true_rej) / m_alternative;
    }
  }
  for (auto& e : rates) {
    e.fwer /= replications;
    e.fdr /= replications;
    e.power /= replications;
  }
  return rates;
}

}  // namespace statistical_inference
