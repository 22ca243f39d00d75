// Tests of lesson 1.8 information_theory: closed forms (Bernoulli, categorical, Gaussian
// entropy; Gaussian KL and MI) against independent computations (Boost.Math densities and
// adaptive Gauss–Kronrod quadrature, Eigen), gradients against mlc::gradcheck, identities
// and properties (Gibbs, JS ≤ log 2, MI = H(X)+H(Y)-H(X,Y)), the moment-matching forward-KL
// fit, and every failure mode the report claims.
#include "information_theory.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include <Eigen/Eigenvalues>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <gtest/gtest.h>

#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"

namespace it = information_theory;

namespace {

const double kLog2 = std::log(2.0);

// A random distribution on K points: normalised uniforms (all entries > 0).
Eigen::VectorXd random_distribution(Eigen::Index K, mlc::Rng& rng) {
  Eigen::VectorXd p = rng.uniform_vector(K, 0.05, 1.0);
  return p / p.sum();
}

double log_normal_pdf(double x, double mu, double sigma) {
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - std::log(sigma) - 0.5 * std::log(2.0 * std::numbers::pi);
}

// Adaptive Gauss–Kronrod (Boost), independent of the lesson's fixed composite rule.
template <class F>
double gauss_kronrod(F f, double a, double b) {
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, a, b, 15, 1e-13);
}

it::GaussianMixture bimodal() {
  it::GaussianMixture p;
  p.weights = Eigen::Vector2d(0.6, 0.4);
  p.means = Eigen::Vector2d(-2.0, 2.0);
  p.sds = Eigen::Vector2d(0.5, 0.8);
  return p;
}

it::GaussianMixture single_gaussian(double mu, double sigma) {
  it::GaussianMixture p;
  p.weights = Eigen::VectorXd::Ones(1);
  p.means = Eigen::VectorXd::Constant(1, mu);
  p.sds = Eigen::VectorXd::Constant(1, sigma);
  return p;
}

struct SampleStats {
  double mean = 0.0, sd = 0.0;
};

SampleStats stats(const std::vector<double>& v) {
  SampleStats s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(s.sd / static_cast<double>(v.size() - 1));
  return s;
}

// ---- 1. Correctness against closed forms and independent references --------------------

TEST(Entropy, BernoulliMatchesClosedForm) {
  for (double theta : {0.01, 0.1, 0.3, 0.5, 0.9}) {
    const double closed = -theta * std::log(theta) - (1 - theta) * std::log(1 - theta);
    EXPECT_NEAR(it::bernoulli_entropy(theta), closed, 1e-15) << theta;
  }
  EXPECT_NEAR(it::bernoulli_entropy(0.5), kLog2, 1e-15);
  EXPECT_EQ(it::bernoulli_entropy(0.0), 0.0);  // 0 log 0 = 0
  EXPECT_EQ(it::bernoulli_entropy(1.0), 0.0);
}

TEST(Entropy, UniformCategoricalIsLogKAndTheMaximum) {
  mlc::Rng rng(1);
  for (int K : {2, 5, 17}) {
    EXPECT_NEAR(it::entropy(Eigen::VectorXd::Constant(K, 1.0 / K)), std::log(K), 1e-14);
    for (int r = 0; r < 20; ++r) EXPECT_LT(it::entropy(random_distribution(K, rng)), std::log(K));
  }
  Eigen::VectorXd point = Eigen::VectorXd::Zero(4);
  point(2) = 1.0;
  EXPECT_EQ(it::entropy(point), 0.0);
}

TEST(Entropy, HandComputedCategorical) {
  Eigen::Vector3d p(0.5, 0.25, 0.25);  // H = 1.5 bits = 1.5 log 2 nats
  EXPECT_NEAR(it::entropy(p), 1.5 * kLog2, 1e-15);
}

TEST(Gaussian, DifferentialEntropyMatchesBoostDensityQuadrature) {
  // -∫ p log p with p from boost::math::normal, adaptive Gauss–Kronrod, vs (8)
  for (double sigma : {0.1, 1.0, 3.0}) {
    const boost::math::normal dist(0.7, sigma);
    const double h = -gauss_kronrod(
        [&](double x) {
          const double p = boost::math::pdf(dist, x);
          return p > 0.0 ? p * std::log(p) : 0.0;
        },
        0.7 - 30 * sigma, 0.7 + 30 * sigma);
    EXPECT_NEAR(it::gaussian_entropy(sigma), h, 1e-10) << sigma;
    EXPECT_NEAR(it::gaussian_entropy(sigma), 0.5 * std::log(2 * std::numbers::pi * std::exp(1.0) * sigma * sigma), 1e-14);
  }
}

TEST(Gaussian, MultivariateEntropyOfDiagonalCovarianceIsSumOfMarginals) {
  Eigen::Matrix3d cov = Eigen::Vector3d(0.5, 2.0, 4.0).asDiagonal();
  EXPECT_NEAR(it::gaussian_entropy(Eigen::MatrixXd(cov)),
              it::gaussian_entropy(std::sqrt(0.5)) + it::gaussian_entropy(std::sqrt(2.0)) +
                  it::gaussian_entropy(2.0),
              1e-13);
}

TEST(Gaussian, KlClosedFormMatchesQuadratureBothRules) {
  const double cases[][4] = {{0, 1, 1, 2}, {1, 2, 0, 1}, {-3, 0.5, 2, 1.5}, {0.3, 1, 0.3, 1}};
  for (const auto& c : cases) {
    const double closed = it::gaussian_kl(c[0], c[1], c[2], c[3]);
    const auto lp = [&](double x) { return log_normal_pdf(x, c[0], c[1]); };
    const auto lq = [&](double x) { return log_normal_pdf(x, c[2], c[3]); };
    const double lo = c[0] - 30 * c[1], hi = c[0] + 30 * c[1];
    const double ours = it::kl_divergence_quadrature(lp, lq, lo, hi);
    const double gk = gauss_kronrod([&](double x) { return std::exp(lp(x)) * (lp(x) - lq(x)); }, lo, hi);
    EXPECT_NEAR(closed, ours, 1e-11);
    EXPECT_NEAR(closed, gk, 1e-10);
  }
  EXPECT_NEAR(it::gaussian_kl(0.3, 1.0, 0.3, 1.0), 0.0, 1e-15);
  // Asymmetry: KL(N(0,1) ‖ N(1,4)) = log 2 + 2/8 - 1/2 ≠ KL(N(1,4) ‖ N(0,1)) = -log 2 + 5/2 - 1/2
  EXPECT_NEAR(it::gaussian_kl(0, 1, 1, 2), kLog2 - 0.25, 1e-15);
  EXPECT_NEAR(it::gaussian_kl(1, 2, 0, 1), 2.0 - kLog2, 1e-15);
}

TEST(Gaussian, MutualInformationEqualsEntropyIdentity) {
  for (double rho : {-0.9, -0.3, 0.0, 0.5, 0.99}) {
    Eigen::Matrix2d cov;
    cov << 1.0, rho, rho, 1.0;
    const double identity = 2 * it::gaussian_entropy(1.0) - it::gaussian_entropy(Eigen::MatrixXd(cov));
    EXPECT_NEAR(it::gaussian_mutual_information(rho), identity, 1e-13) << rho;
    EXPECT_NEAR(it::gaussian_mutual_information(rho), -0.5 * std::log(1 - rho * rho), 1e-14);
  }
}

TEST(Gaussian, DiscretisedMutualInformationConvergesToClosedForm) {
  // Discrete MI (5) of the gridded density: the log cell-area terms cancel, and midpoint sums
  // of a Gaussian converge spectrally: at 200 cells (width 0.08) the error is rounding-level.
  for (double rho : {0.3, 0.8}) {
    const double grid = it::mutual_information(it::discretised_bivariate_gaussian(rho, 8.0, 200));
    EXPECT_NEAR(grid, it::gaussian_mutual_information(rho), 1e-10) << rho;
  }
  const double coarse = it::mutual_information(it::discretised_bivariate_gaussian(0.8, 8.0, 16));
  const double finer = it::mutual_information(it::discretised_bivariate_gaussian(0.8, 8.0, 32));
  const double truth = it::gaussian_mutual_information(0.8);
  EXPECT_LT(std::abs(finer - truth), std::abs(coarse - truth));
}

TEST(Quadrature, CompositeGaussLegendreIntegratesGaussianMoments) {
  const auto phi = [](double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi); };
  EXPECT_NEAR(it::integrate(phi, -12, 12), 1.0, 1e-14);
  EXPECT_NEAR(it::integrate([&](double z) { return z * z * phi(z); }, -12, 12), 1.0, 1e-14);
  EXPECT_NEAR(it::integrate([&](double z) { return std::pow(z, 4) * phi(z); }, -12, 12), 3.0, 1e-13);
}

// ---- Discrete identities and properties -------------------------------------------------

TEST(Divergence, GibbsKlIsNonNegativeAndZeroOnlyAtEquality) {
  mlc::Rng rng(2);
  for (int r = 0; r < 200; ++r) {
    const Eigen::VectorXd p = random_distribution(6, rng), q = random_distribution(6, rng);
    EXPECT_GT(it::kl_divergence(p, q), 0.0);
    EXPECT_NEAR(it::kl_divergence(p, p), 0.0, 1e-15);
  }
}

TEST(Divergence, KlHandComputedAndAsymmetric) {
  Eigen::Vector2d p(0.5, 0.5), q(0.9, 0.1);
  EXPECT_NEAR(it::kl_divergence(p, q), 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1), 1e-15);
  EXPECT_NEAR(it::kl_divergence(q, p), 0.9 * std::log(0.9 / 0.5) + 0.1 * std::log(0.1 / 0.5), 1e-15);
  EXPECT_GT(std::abs(it::kl_divergence(p, q) - it::kl_divergence(q, p)), 0.1);
}

TEST(Divergence, CrossEntropyIsEntropyPlusKl) {
  mlc::Rng rng(3);
  for (int r = 0; r < 50; ++r) {
    const Eigen::VectorXd p = random_distribution(7, rng), q = random_distribution(7, rng);
    EXPECT_NEAR(it::cross_entropy(p, q), it::entropy(p) + it::kl_divergence(p, q), 1e-13);
  }
}

TEST(Divergence, JsIsSymmetricAndBoundedByLog2) {
  mlc::Rng rng(4);
  for (int r = 0; r < 200; ++r) {
    Eigen::VectorXd p = random_distribution(5, rng), q = random_distribution(5, rng);
    if (r % 2 == 0) {  // sparse supports too
      p(r % 5) = 0.0;
      p /= p.sum();
    }
    const double js = it::js_divergence(p, q);
    EXPECT_NEAR(js, it::js_divergence(q, p), 1e-15);
    EXPECT_GE(js, 0.0);
    EXPECT_LE(js, kLog2);
  }
}

TEST(Divergence, JsReachesLog2OnlyForDisjointSupports) {
  Eigen::Vector4d a(0.5, 0.5, 0, 0), b(0, 0, 0.3, 0.7);
  EXPECT_NEAR(it::js_divergence(a, b), kLog2, 1e-15);
  Eigen::Vector4d c(0.5, 0.4, 0.1, 0);  // overlaps a
  EXPECT_LT(it::js_divergence(a, c), kLog2 - 0.1);
}

TEST(MutualInformation, EqualsEntropyIdentityAndIsBounded) {
  mlc::Rng rng(5);
  for (int r = 0; r < 50; ++r) {
    const Eigen::VectorXd flat = random_distribution(12, rng);
    const Eigen::MatrixXd pxy = Eigen::Map<const Eigen::MatrixXd>(flat.data(), 3, 4);
    const double hx = it::entropy(it::marginal_x(pxy)), hy = it::entropy(it::marginal_y(pxy));
    const double mi = it::mutual_information(pxy);
    EXPECT_NEAR(mi, hx + hy - it::joint_entropy(pxy), 1e-13);
    EXPECT_GE(mi, 0.0);
    EXPECT_LE(mi, std::min(hx, hy));
  }
}

TEST(MutualInformation, ZeroForProductAndEntropyForACopy) {
  mlc::Rng rng(6);
  const Eigen::VectorXd px = random_distribution(4, rng), py = random_distribution(3, rng);
  EXPECT_NEAR(it::mutual_information(px * py.transpose()), 0.0, 1e-15);
  const Eigen::MatrixXd copy = px.asDiagonal();  // Y = X
  EXPECT_NEAR(it::mutual_information(copy), it::entropy(px), 1e-14);
}

TEST(Estimators, PluginMutualInformationHandComputed) {
  Eigen::Matrix2d diagonal;
  diagonal << 2, 0, 0, 2;  // Y = X, fair bit: I = log 2
  EXPECT_NEAR(it::plugin_mutual_information(diagonal), kLog2, 1e-15);
  Eigen::Matrix2d flat;
  flat << 3, 3, 1, 1;  // independent in the sample
  EXPECT_NEAR(it::plugin_mutual_information(flat), 0.0, 1e-15);
  Eigen::Matrix2d c;
  c << 3, 1, 1, 3;  // p = (3/8, 1/8; 1/8, 3/8), marginals ½
  const double expected = 2 * 0.375 * std::log(0.375 / 0.25) + 2 * 0.125 * std::log(0.125 / 0.25);
  EXPECT_NEAR(it::plugin_mutual_information(c), expected, 1e-15);
  EXPECT_NEAR(it::plugin_mutual_information(c), it::mutual_information(c / 8.0), 1e-15);
}

TEST(Estimators, MillerMadowEntropyHandComputed) {
  Eigen::Vector3d counts(3, 1, 0);  // m = 2 occupied cells, n = 4
  const double plugin = -0.75 * std::log(0.75) - 0.25 * std::log(0.25);
  EXPECT_NEAR(it::plugin_entropy(counts), plugin, 1e-15);
  EXPECT_NEAR(it::miller_madow_entropy(counts), plugin + 1.0 / 8.0, 1e-15);
}

TEST(Estimators, MillerMadowMiOfAFullTableSubtractsFirstOrderBias) {
  Eigen::Matrix3d c;
  c << 5, 2, 1, 1, 4, 2, 3, 1, 6;  // every cell occupied, n = 25
  EXPECT_NEAR(it::miller_madow_mutual_information(c),
              it::plugin_mutual_information(c) - it::plugin_mi_first_order_bias(3, 3, 25), 1e-14);
  EXPECT_NEAR(it::plugin_mi_first_order_bias(3, 3, 25), 4.0 / 50.0, 1e-16);
}

TEST(Estimators, AdditiveSmoothingHandComputed) {
  Eigen::Vector3d counts(3, 1, 0);
  EXPECT_ALLCLOSE(it::additive_smoothing(counts, 1.0), Eigen::Vector3d(4.0 / 7, 2.0 / 7, 1.0 / 7), 1e-15);
  EXPECT_ALLCLOSE(it::additive_smoothing(counts, 0.0), Eigen::Vector3d(0.75, 0.25, 0.0), 1e-15);
}

TEST(Estimators, SamplerFrequenciesMatchProbabilities) {
  mlc::Rng rng(7);
  Eigen::Vector4d p(0.1, 0.2, 0.3, 0.4);
  const Eigen::Index n = 100000;
  const Eigen::VectorXd freq = it::category_counts(it::sample_categorical(p, n, rng), 4) / double(n);
  for (int k = 0; k < 4; ++k) {
    // binomial standard error sqrt(p(1-p)/n) ≤ 0.0016; 5 standard errors
    EXPECT_NEAR(freq(k), p(k), 5 * std::sqrt(p(k) * (1 - p(k)) / n)) << k;
  }
}

// ---- 2. Cross-entropy = maximum likelihood, with checked gradients ----------------------

TEST(CrossEntropy, AverageNllEqualsCrossEntropyOfEmpiricalDistribution) {
  mlc::Rng rng(8);
  const Eigen::VectorXd pi = random_distribution(5, rng);
  const Eigen::VectorXi x = it::sample_categorical(pi, 300, rng);
  const Eigen::VectorXd p_hat = it::category_counts(x, 5) / 300.0;
  for (int r = 0; r < 20; ++r) {
    const Eigen::VectorXd q = random_distribution(5, rng);
    EXPECT_NEAR(it::average_negative_log_likelihood(x, q), it::cross_entropy(p_hat, q), 1e-13);
  }
}

TEST(CrossEntropy, SoftmaxCrossEntropyGradientPassesGradcheck) {
  mlc::Rng rng(9);
  const Eigen::VectorXd p_hat = random_distribution(6, rng);
  for (int r = 0; r < 5; ++r) {
    const Eigen::VectorXd theta = rng.normal_vector(6, 0.0, 2.0);
    const auto f = [&](const Eigen::VectorXd& t) { return it::softmax_cross_entropy(p_hat, t).value; };
    const auto check = mlc::gradcheck(f, it::softmax_cross_entropy(p_hat, theta).gradient, theta);
    EXPECT_TRUE(check.passes(1e-6)) << check.relative_error;
    EXPECT_NEAR(it::softmax_cross_entropy(p_hat, theta).value,
                it::cross_entropy(p_hat, it::softmax(theta)), 1e-13);
  }
}

TEST(CrossEntropy, MinimiserIsTheEmpiricalDistribution) {
  mlc::Rng rng(10);
  Eigen::VectorXd pi(5);
  pi << 0.4, 0.25, 0.15, 0.12, 0.08;
  const Eigen::VectorXi x = it::sample_categorical(pi, 200, rng);
  const Eigen::VectorXd p_hat = it::category_counts(x, 5) / 200.0;
  const it::CategoricalFit fit = it::fit_categorical_by_cross_entropy(p_hat, 1.0, 20000, 1e-12);
  ASSERT_TRUE(fit.converged);
  EXPECT_ALLCLOSE(fit.q, p_hat, 1e-10);
  EXPECT_NEAR(fit.cross_entropy, it::entropy(p_hat), 1e-13);
  // Every other q has a larger NLL on the same data, by exactly KL(p̂‖q) (2)
  const double best = it::average_negative_log_likelihood(x, p_hat);
  for (int r = 0; r < 50; ++r) {
    const Eigen::VectorXd q = random_distribution(5, rng);
    EXPECT_GT(it::average_negative_log_likelihood(x, q), best);
    EXPECT_NEAR(it::average_negative_log_likelihood(x, q) - best, it::kl_divergence(p_hat, q), 1e-13);
  }
}

TEST(CrossEntropy, ExcessLossDecreasesMonotonically) {
  Eigen::VectorXd p_hat(4);
  p_hat << 0.5, 0.3, 0.15, 0.05;
  const it::CategoricalFit fit = it::fit_categorical_by_cross_entropy(p_hat, 1.0, 5000, 1e-12);
  // KL(p̂‖q_t) is computed as H(p̂, q_t) - H(p̂), a difference of O(1) numbers: rounding of a
  // few ulps (~1e-15) is allowed once it has reached the floor.
  for (std::size_t t = 1; t < fit.kl_history.size(); ++t)
    EXPECT_LE(fit.kl_history[t], fit.kl_history[t - 1] + 1e-15) << t;
  EXPECT_LT(fit.kl_history.back(), 1e-14);
}

// ---- 3. KL fits of a Gaussian to a mixture ----------------------------------------------

TEST(KlFit, ForwardAndReverseObjectivesMatchGaussianClosedFormForAGaussianTarget) {
  const it::GaussianMixture p = single_gaussian(0.5, 1.3);
  for (const auto& [mu, s] : {std::pair{0.0, 0.0}, std::pair{2.0, -0.5}, std::pair{-1.0, 0.7}}) {
    EXPECT_NEAR(it::forward_kl(p, mu, s).value, it::gaussian_kl(0.5, 1.3, mu, std::exp(s)), 1e-11);
    EXPECT_NEAR(it::reverse_kl(p, mu, s).value, it::gaussian_kl(mu, std::exp(s), 0.5, 1.3), 1e-11);
  }
}

TEST(KlFit, ForwardKlGradientPassesGradcheck) {
  const it::GaussianMixture p = bimodal();
  for (const auto& [mu, s] : {std::pair{0.5, 0.0}, std::pair{-2.0, -0.7}, std::pair{3.0, 1.0}}) {
    const auto f = [&](const Eigen::VectorXd& t) { return it::forward_kl(p, t(0), t(1)).value; };
    const Eigen::VectorXd g = it::forward_kl(p, mu, s).gradient;
    const auto check = mlc::gradcheck(f, g, Eigen::Vector2d(mu, s));
    EXPECT_TRUE(check.passes(1e-6)) << check.relative_error << " at " << mu << ", " << s;
  }
}

TEST(KlFit, ReverseKlGradientPassesGradcheck) {
  const it::GaussianMixture p = bimodal();
  for (const auto& [mu, s] : {std::pair{0.5, 0.0}, std::pair{-2.0, -0.7}, std::pair{3.0, 1.0}}) {
    const auto f = [&](const Eigen::VectorXd& t) { return it::reverse_kl(p, t(0), t(1)).value; };
    const Eigen::VectorXd g = it::reverse_kl(p, mu, s).gradient;
    const auto check = mlc::gradcheck(f, g, Eigen::Vector2d(mu, s));
    EXPECT_TRUE(check.passes(1e-6)) << check.relative_error << " at " << mu << ", " << s;
  }
}

TEST(KlFit, ForwardKlFitIsMomentMatching) {
  const it::GaussianMixture p = bimodal();
  const auto fwd = [&](double mu, double s) { return it::forward_kl(p, mu, s); };
  const it::GaussianFit fit = it::fit_gaussian(fwd, 0.5, 0.0);
  ASSERT_TRUE(fit.converged);
  // Closed form: μ = Σ w μ_k = -0.4, σ² = Σ w (σ_k² + μ_k²) - μ² = 4.246. The stop rule
  // ‖∇‖ < 1e-7 with Hessian eigenvalues ≥ 0.23 bounds the parameter error by ~4.3e-7.
  EXPECT_NEAR(p.mean(), -0.4, 1e-15);
  EXPECT_NEAR(p.variance(), 4.246, 1e-13);
  EXPECT_NEAR(fit.mu, p.mean(), 1e-6);
  EXPECT_NEAR(std::log(fit.sigma), 0.5 * std::log(p.variance()), 1e-6);
}

TEST(KlFit, ReverseKlSeeksTheModeNearestItsStart) {
  const it::GaussianMixture p = bimodal();
  const auto rev = [&](double mu, double s) { return it::reverse_kl(p, mu, s); };
  const it::GaussianFit left = it::fit_gaussian(rev, -3.0, 0.0);
  const it::GaussianFit right = it::fit_gaussian(rev, 3.0, 0.0);
  ASSERT_TRUE(left.converged && right.converged);
  // Separated modes: q ≈ one component, KL(q‖p) ≈ -log w_k; the overlap of the other
  // component shifts μ by < 0.02 and the KL by < 0.01 (measured 0.0034 and 0.002).
  EXPECT_NEAR(left.mu, -2.0, 0.02);
  EXPECT_NEAR(left.sigma, 0.5, 0.02);
  EXPECT_NEAR(left.kl, -std::log(0.6), 0.01);
  EXPECT_NEAR(right.mu, 2.0, 0.03);
  EXPECT_NEAR(right.sigma, 0.8, 0.04);
  EXPECT_NEAR(right.kl, -std::log(0.4), 0.01);
  EXPECT_LT(left.kl, right.kl);  // the heavier mode is the global minimum
  for (const auto& f : {left, right}) {
    const Eigen::Vector2d eig =
        Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>(it::kl_hessian(rev, f.mu, std::log(f.sigma)))
            .eigenvalues();
    EXPECT_GT(eig(0), 0.1) << "not a local minimum at mu = " << f.mu;
  }
}

TEST(KlFit, ReverseKlHasABroadThirdLocalMinimum) {
  const it::GaussianMixture p = bimodal();
  const auto rev = [&](double mu, double s) { return it::reverse_kl(p, mu, s); };
  const it::GaussianFit broad = it::fit_gaussian(rev, 0.5, 0.0);
  ASSERT_TRUE(broad.converged);
  const Eigen::Vector2d eig =
      Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>(it::kl_hessian(rev, broad.mu, std::log(broad.sigma)))
          .eigenvalues();
  EXPECT_GT(eig(0), 0.1);      // a minimum, not a saddle (measured 0.30)
  EXPECT_GT(broad.sigma, 1.5);  // straddles both modes
  EXPECT_GT(broad.kl, -std::log(0.4));
}

TEST(KlFit, TheTwoDirectionsDisagree) {
  const it::GaussianMixture p = bimodal();
  const auto fwd = [&](double mu, double s) { return it::forward_kl(p, mu, s); };
  const auto rev = [&](double mu, double s) { return it::reverse_kl(p, mu, s); };
  const it::GaussianFit f = it::fit_gaussian(fwd, 0.5, 0.0);
  const it::GaussianFit r = it::fit_gaussian(rev, -3.0, 0.0);
  EXPECT_LT(fwd(f.mu, std::log(f.sigma)).value, fwd(r.mu, std::log(r.sigma)).value);
  EXPECT_LT(rev(r.mu, std::log(r.sigma)).value, rev(f.mu, std::log(f.sigma)).value);
  EXPECT_LT(r.sigma, f.sigma / 3);  // reverse is narrow (0.51), forward broad (2.06)
}

// ---- 4. Failure modes -------------------------------------------------------------------

TEST(FailureMode, PluginMiIsBiasedUpwardAtSmallSamples) {
  // Independent 8 × 8 table, n = 100: the report's setting.
  const int K = 8, R = 200;
  const Eigen::Index n = 100;
  const Eigen::MatrixXd table = Eigen::MatrixXd::Constant(K, K, 1.0 / (K * K));
  mlc::Rng rng(11);
  std::vector<double> plug, mm;
  for (int r = 0; r < R; ++r) {
    const Eigen::MatrixXd c = it::contingency_table(it::sample_joint(table, n, rng), K, K);
    plug.push_back(it::plugin_mutual_information(c));
    mm.push_back(it::miller_madow_mutual_information(c));
  }
  const SampleStats sp = stats(plug), sm = stats(mm);
  // Standard error of a mean of R estimates: sd / sqrt(R). True MI = 0.
  const double se = sp.sd / std::sqrt(R);
  EXPECT_GT(sp.mean, 20 * se);  // far beyond any Monte-Carlo fluctuation (measured ~80 se)
  EXPECT_GT(*std::min_element(plug.begin(), plug.end()), 0.0);
  // Same order as the first-order bias 49/200 = 0.245 (measured ratio 1.19)
  EXPECT_GT(sp.mean, 0.8 * it::plugin_mi_first_order_bias(K, K, double(n)));
  EXPECT_LT(sp.mean, 1.5 * it::plugin_mi_first_order_bias(K, K, double(n)));
  // The correction removes most of it
  EXPECT_LT(std::abs(sm.mean), 0.5 * sp.mean);
}

TEST(FailureMode, PluginMiBiasMatchesChiSquareMeanAndMillerMadowRemovesIt) {
  // Independent 4 × 4 table, n = 1000: all 16 cells occupied, 2nÎ → χ²_9, so
  // E[Î] = 9 / (2n) = 0.0045 and sd(Î) = sqrt(2·9) / (2n) ≈ 0.0021. Over R = 400 runs the
  // standard error of the mean is sd / sqrt(400) ≈ 1.1e-4; we allow 5 standard errors
  // (the O(1/n²) term of the bias expansion is ~1e-6, negligible).
  const int K = 4, R = 400;
  const Eigen::Index n = 1000;
  const Eigen::MatrixXd table = Eigen::MatrixXd::Constant(K, K, 1.0 / (K * K));
  mlc::Rng rng(12);
  std::vector<double> plug, mm;
  for (int r = 0; r < R; ++r) {
    const Eigen::MatrixXd c = it::contingency_table(it::sample_joint(table, n, rng), K, K);
    plug.push_back(it::plugin_mutual_information(c));
    mm.push_back(it::miller_madow_mutual_information(c));
  }
  const SampleStats sp = stats(plug), sm = stats(mm);
  const double bias = it::plugin_mi_first_order_bias(K, K, double(n));
  EXPECT_NEAR(sp.mean, bias, 5 * sp.sd / std::sqrt(R));
  EXPECT_NEAR(sm.mean, 0.0, 5 * sm.sd / std::sqrt(R));
  // χ² variance check: sd(Î) = sqrt(2 d)/(2n); the sd of a sample sd is ≈ sd/sqrt(2R), 5 of them
  const double sd_chi2 = std::sqrt(2.0 * 9.0) / (2.0 * double(n));
  EXPECT_NEAR(sp.sd, sd_chi2, 5 * sd_chi2 / std::sqrt(2.0 * R));
}

TEST(FailureMode, KlIsInfiniteWhenSupportsDiffer) {
  Eigen::Vector3d p(0.5, 0.3, 0.2), q(0.6, 0.4, 0.0);
  EXPECT_TRUE(std::isinf(it::kl_divergence(p, q)));
  EXPECT_TRUE(std::isinf(it::cross_entropy(p, q)));
  EXPECT_TRUE(std::isfinite(it::kl_divergence(q, p)));  // the other direction is fine
  const double js = it::js_divergence(p, q);
  EXPECT_TRUE(std::isfinite(js));
  EXPECT_LE(js, kLog2);
  // Mitigation: Laplace smoothing of counts makes every q_k > 0
  Eigen::Vector3d counts(6, 4, 0);
  EXPECT_TRUE(std::isfinite(it::kl_divergence(p, it::additive_smoothing(counts, 1.0))));
  // An unseen category in the data also makes the NLL infinite
  Eigen::VectorXi test_sample(2);
  test_sample << 0, 2;
  EXPECT_TRUE(std::isinf(it::average_negative_log_likelihood(test_sample, q)));
}

TEST(FailureMode, InfiniteKlRateMatchesProbabilityOfAnUnseenCategory) {
  Eigen::VectorXd p(5);
  p << 0.50, 0.30, 0.15, 0.04, 0.01;
  const Eigen::Index n = 50;
  const int R = 2000;
  mlc::Rng rng(13);
  int infinite = 0;
  for (int r = 0; r < R; ++r) {
    const Eigen::VectorXd counts = it::category_counts(it::sample_categorical(p, n, rng), 5);
    const double kl = it::kl_divergence(p, counts / double(n));
    if (std::isinf(kl)) {
      ++infinite;
      EXPECT_LE(it::js_divergence(p, counts / double(n)), kLog2);
    }
    EXPECT_TRUE(std::isfinite(it::kl_divergence(p, it::additive_smoothing(counts, 0.5))));
  }
  const double exact = it::probability_some_category_unseen(p, double(n));
  // P(category 5 unseen) = 0.99^50 alone is 0.605: the exact value is a bit larger.
  EXPECT_GT(exact, std::pow(0.99, 50));
  EXPECT_LT(exact, std::pow(0.99, 50) + std::pow(0.96, 50) + 1e-3);
  // Binomial standard error sqrt(P(1-P)/R) ≈ 0.0106; 5 standard errors
  EXPECT_NEAR(double(infinite) / R, exact, 5 * std::sqrt(exact * (1 - exact) / R));
}

TEST(FailureMode, ProbabilityOfAnUnseenCategoryHandComputed) {
  Eigen::Vector2d p(0.5, 0.5);  // P(some unseen in n) = 2 · 0.5^n
  EXPECT_NEAR(it::probability_some_category_unseen(p, 3), 0.25, 1e-15);
  Eigen::Vector3d q(1.0 / 3, 1.0 / 3, 1.0 / 3);  // 3 (2/3)^n - 3 (1/3)^n
  EXPECT_NEAR(it::probability_some_category_unseen(q, 4), 3 * std::pow(2.0 / 3, 4) - 3 * std::pow(1.0 / 3, 4), 1e-14);
}

TEST(FailureMode, ReverseKlFitIgnoresTheOtherMode) {
  const it::GaussianMixture p = bimodal();
  const auto rev = [&](double mu, double s) { return it::reverse_kl(p, mu, s); };
  const it::GaussianFit left = it::fit_gaussian(rev, -3.0, 0.0);
  const boost::math::normal q(left.mu, left.sigma);
  const double q_right = boost::math::cdf(boost::math::complement(q, 0.0));
  EXPECT_LT(q_right, 1e-3);  // p has 0.4 of its mass there (measured q: 3.9e-5)
  // Forward KL on the same target pays in the valley: it puts density ≥ 10× p's at x = 0
  const auto fwd = [&](double mu, double s) { return it::forward_kl(p, mu, s); };
  const it::GaussianFit f = it::fit_gaussian(fwd, 0.5, 0.0);
  EXPECT_GT(boost::math::pdf(boost::math::normal(f.mu, f.sigma), 0.0), 10 * p.density(0.0));
}

// ---- Input checks -----------------------------------------------------------------------

TEST(InputChecks, RejectBadDistributionsAndSizes) {
  EXPECT_THROW(it::entropy(Eigen::Vector2d(0.5, 0.6)), std::invalid_argument);
  EXPECT_THROW(it::entropy(Eigen::Vector2d(1.5, -0.5)), std::invalid_argument);
  EXPECT_THROW(it::kl_divergence(Eigen::Vector2d(0.5, 0.5), Eigen::Vector3d(0.2, 0.3, 0.5)),
               std::invalid_argument);
  EXPECT_THROW(it::gaussian_mutual_information(1.0), std::invalid_argument);
  EXPECT_THROW(it::category_counts(Eigen::Vector2i(0, 3), 3), std::invalid_argument);
  EXPECT_THROW(it::plugin_mutual_information(Eigen::MatrixXd::Zero(2, 2)), std::invalid_argument);
}

}  // namespace
