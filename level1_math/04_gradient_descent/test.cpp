// test.cpp: the grade of lesson 1.4 gradient_descent.
//
// In order of value: each method against an independent reference (the closed-form linear
// recursion of the error on a quadratic, computed with Eigen; the closed-form Armijo step on
// a quadratic; a hand-computed case), every hand-written gradient against central
// differences, the convergence rates and bounds of NOTES.md, and each failure mode that
// the report claims. Everything here is deterministic: no statistical tolerances are needed;
// where a tolerance is not at rounding level, the comment beside it derives it.
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "gradient_descent.hpp"
#include "mlc/data.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"

namespace gd = gradient_descent;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

gd::Quadratic quadratic(int d, double mu, double L, std::uint64_t seed) {
  mlc::Rng rng(seed);
  return gd::random_quadratic(d, mu, L, rng);
}

// x0 = x* + Σ v_i / √λ_i: every eigen-direction holds the same share of the initial gap.
VectorXd hard_start(const gd::Quadratic& q) {
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(q.A);
  return q.minimizer() + eig.eigenvectors() * eig.eigenvalues().cwiseSqrt().cwiseInverse();
}

gd::StopRule iterations(int k) {
  gd::StopRule stop;
  stop.max_iterations = k;
  return stop;
}

gd::StopRule to_relative_gap(const gd::Quadratic& q, const VectorXd& x0, double tol, int max_iter) {
  gd::StopRule stop;
  stop.max_iterations = max_iter;
  stop.target_value = q.minimum() + tol * (q.value(x0) - q.minimum());
  return stop;
}

// A small synthetic logistic problem: n × d Gaussian features plus an intercept column,
// labels from a noisy linear rule.
gd::LogisticLoss small_logistic(std::uint64_t seed, double lambda = 0.05) {
  mlc::Rng rng(seed);
  const int n = 120, d = 4;
  gd::LogisticLoss loss;
  loss.X.resize(n, d + 1);
  loss.X << rng.normal_matrix(n, d), VectorXd::Ones(n);
  const VectorXd w_true = rng.normal_vector(d + 1);
  loss.y.resize(n);
  for (int i = 0; i < n; ++i) loss.y(i) = loss.X.row(i).dot(w_true) + rng.normal() > 0.0 ? 1.0 : 0.0;
  loss.lambda = lambda;
  return loss;
}

// The 2-D quadratic of the report: eigenvalues μ = 1/κ, L = 1, stiff axis at 30°.
struct Valley {
  gd::Quadratic q;
  Eigen::Vector2d stiff, flat;
  VectorXd x0;
};
Valley valley(double kappa) {
  const double angle = std::numbers::pi / 6.0;
  Valley v{gd::rotated_quadratic_2d(1.0 / kappa, 1.0, angle),
           Eigen::Vector2d(std::cos(angle), std::sin(angle)),
           Eigen::Vector2d(-std::sin(angle), std::cos(angle)), VectorXd()};
  v.x0 = -1.0 * v.stiff + std::sqrt(kappa) * v.flat;
  return v;
}

}  // namespace

// ---- 1. Against independent references ------------------------------------------------

TEST(Quadratic, MinimizerMinimumAndSpectrumMatchEigen) {
  const gd::Quadratic q = quadratic(8, 0.02, 3.0, 1);
  const VectorXd x_ref = q.A.colPivHouseholderQr().solve(q.b);
  EXPECT_ALLCLOSE(q.minimizer(), x_ref, 1e-10);
  EXPECT_NEAR(q.minimum(), q.value(x_ref), 1e-12);
  EXPECT_NEAR(q.strong_convexity(), 0.02, 1e-12);
  EXPECT_NEAR(q.smoothness(), 3.0, 1e-12);
  EXPECT_ALLCLOSE(q.gradient(x_ref), VectorXd::Zero(8), 1e-10);
}

TEST(GradientDescent, MatchesClosedFormErrorRecursion) {
  // (2) on (1): e_k = (I − ηA)^k e_0 = V diag((1 − ηλ_i)^k) Vᵀ e_0, computed with Eigen.
  const gd::Quadratic q = quadratic(6, 0.1, 2.0, 2);
  const VectorXd x_star = q.minimizer();
  const VectorXd x0 = VectorXd::Constant(6, 1.5);
  const double step = 1.3 / 2.0;
  const int k = 37;
  const gd::Trace t = gd::gradient_descent(q.objective(), x0, step, iterations(k));
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(q.A);
  const VectorXd factors = (1.0 - step * eig.eigenvalues().array()).pow(k).matrix();
  const VectorXd e_k = eig.eigenvectors() * factors.asDiagonal() * eig.eigenvectors().transpose() * (x0 - x_star);
  EXPECT_ALLCLOSE(t.x, x_star + e_k, 1e-10);
  EXPECT_EQ(t.iterations, k);
  EXPECT_EQ(t.gradient_evaluations, k);
  ASSERT_EQ(t.values.size(), static_cast<std::size_t>(k + 1));
  EXPECT_NEAR(t.values.back(), q.value(t.x), 1e-14);
}

TEST(HeavyBall, MatchesStackedLinearRecurrence) {
  // (6) on (1): [e_{k+1}; e_k] = [[(1+β)I − αA, −βI]; [I, 0]] [e_k; e_{k−1}], e_{−1} = e_0.
  const int d = 5;
  const gd::Quadratic q = quadratic(d, 0.05, 1.0, 3);
  const double alpha = 0.8, beta = 0.6;
  MatrixXd T = MatrixXd::Zero(2 * d, 2 * d);
  T.topLeftCorner(d, d) = (1.0 + beta) * MatrixXd::Identity(d, d) - alpha * q.A;
  T.topRightCorner(d, d) = -beta * MatrixXd::Identity(d, d);
  T.bottomLeftCorner(d, d) = MatrixXd::Identity(d, d);
  const VectorXd x0 = VectorXd::LinSpaced(d, -1.0, 2.0);
  VectorXd state(2 * d);
  state << x0 - q.minimizer(), x0 - q.minimizer();
  const int k = 25;
  for (int i = 0; i < k; ++i) state = T * state;
  const gd::Trace t = gd::heavy_ball(q.objective(), x0, alpha, beta, iterations(k));
  EXPECT_ALLCLOSE(t.x, q.minimizer() + state.head(d), 1e-10);
}

TEST(Nesterov, MatchesStackedLinearRecurrence) {
  // (8) on (1): e_{k+1} = (I − αA)((1+β) e_k − β e_{k−1}).
  const int d = 5;
  const gd::Quadratic q = quadratic(d, 0.05, 1.0, 4);
  const double alpha = 0.9, beta = 0.7;
  const MatrixXd M = MatrixXd::Identity(d, d) - alpha * q.A;
  MatrixXd T = MatrixXd::Zero(2 * d, 2 * d);
  T.topLeftCorner(d, d) = (1.0 + beta) * M;
  T.topRightCorner(d, d) = -beta * M;
  T.bottomLeftCorner(d, d) = MatrixXd::Identity(d, d);
  const VectorXd x0 = VectorXd::LinSpaced(d, 2.0, -1.0);
  VectorXd state(2 * d);
  state << x0 - q.minimizer(), x0 - q.minimizer();
  const int k = 25;
  for (int i = 0; i < k; ++i) state = T * state;
  const gd::Trace t = gd::nesterov(q.objective(), x0, alpha, beta, iterations(k));
  EXPECT_ALLCLOSE(t.x, q.minimizer() + state.head(d), 1e-10);
  EXPECT_EQ(t.gradient_evaluations, k);
}

TEST(HeavyBall, SpectralRadiusMatchesEigenSolver) {
  for (const double alpha : {0.3, 1.0, 1.7})
    for (const double beta : {0.0, 0.25, 0.81})
      for (const double lambda : {0.01, 0.5, 1.0}) {
        Eigen::Matrix2d T;
        T << 1.0 + beta - alpha * lambda, -beta, 1.0, 0.0;
        const double reference = T.eigenvalues().cwiseAbs().maxCoeff();
        EXPECT_NEAR(gd::heavy_ball_spectral_radius(alpha, beta, lambda), reference, 1e-7)
            << "alpha " << alpha << " beta " << beta << " lambda " << lambda;
      }
}

TEST(Armijo, HandComputedCase) {
  // f(x) = x², x = 1, g = 2, d = −2: t = 1 gives f(−1) = 1 > 1 − 4c; t = 1/2 gives f(0) = 0.
  const auto f = [](const VectorXd& v) { return v.squaredNorm(); };
  const VectorXd x = VectorXd::Constant(1, 1.0), g = VectorXd::Constant(1, 2.0);
  const auto ls = gd::armijo_backtracking(f, x, 1.0, g, -g);
  EXPECT_TRUE(ls.success);
  EXPECT_EQ(ls.step, 0.5);
  EXPECT_EQ(ls.evaluations, 2);
}

TEST(Armijo, StepMatchesClosedFormOnQuadratics) {
  // On (1), f(x + t d) = f(x) + t g·d + ½ t² dᵀAd, so (9) holds iff
  // t <= t_max = 2 (1 − c)(−g·d) / (dᵀAd): the accepted step is the first t0 β^k <= t_max.
  mlc::Rng rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    const gd::Quadratic q = quadratic(4, 0.1, 5.0, 100 + static_cast<std::uint64_t>(trial));
    const VectorXd x = rng.normal_vector(4);
    const VectorXd g = q.gradient(x);
    const VectorXd d = -g + 0.3 * rng.normal_vector(4).cwiseProduct(g.cwiseAbs());
    if (g.dot(d) >= 0.0) continue;
    const double c = 0.3, beta = 0.6, t0 = rng.uniform(0.5, 3.0);
    const double t_max = 2.0 * (1.0 - c) * (-g.dot(d)) / d.dot(q.A * d);
    int k = 0;
    while (t0 * std::pow(beta, k) > t_max) ++k;
    const auto ls = gd::armijo_backtracking([&](const VectorXd& v) { return q.value(v); }, x,
                                            q.value(x), g, d, t0, beta, c);
    ASSERT_TRUE(ls.success);
    EXPECT_NEAR(ls.step, t0 * std::pow(beta, k), 1e-15 * t0) << "trial " << trial;
    EXPECT_EQ(ls.evaluations, k + 1) << "trial " << trial;
  }
}

TEST(Armijo, ReportsFailureWhenNoTrialStepIsAccepted) {
  // Every trial point evaluates to NaN (an overflow, say): the step keeps shrinking, and
  // after max_steps the search gives up without throwing.
  const VectorXd x = VectorXd::Constant(2, 1.0), g = VectorXd::Constant(2, 1.0);
  const auto f = [](const VectorXd&) { return std::nan(""); };
  const auto ls = gd::armijo_backtracking(f, x, 0.0, g, -g, 1.0, 0.5, 1e-4, 7);
  EXPECT_FALSE(ls.success);
  EXPECT_EQ(ls.step, 0.0);
  EXPECT_EQ(ls.evaluations, 7);
}

TEST(Armijo, RejectsAnAscentDirection) {
  const VectorXd x = VectorXd::Constant(2, 1.0), g = VectorXd::Constant(2, 1.0);
  const auto f = [](const VectorXd& v) { return v.squaredNorm(); };
  EXPECT_THROW(gd::armijo_backtracking(f, x, 2.0, g, g), std::invalid_argument);
  EXPECT_THROW(gd::armijo_backtracking(f, x, 2.0, g, -g, 1.0, 1.5), std::invalid_argument);
}

TEST(Logistic, LossMatchesNaiveFormulaAndStaysFiniteForHugeMargins) {
  const gd::LogisticLoss loss = small_logistic(6);
  const VectorXd w = VectorXd::LinSpaced(5, -0.5, 0.5);
  const VectorXd z = loss.X * w;
  double naive = 0.0;  // safe here: |z| is small
  for (int i = 0; i < z.size(); ++i) naive += std::log(1.0 + std::exp(z(i))) - loss.y(i) * z(i);
  naive = naive / static_cast<double>(z.size()) + 0.5 * loss.lambda * w.squaredNorm();
  EXPECT_NEAR(loss.value(w), naive, 1e-13);
  // One sample with margin z = ±1000: the naive exp overflows, (11) gives z·(1 − y) exactly.
  gd::LogisticLoss big;
  big.X = MatrixXd::Constant(1, 1, 1000.0);
  big.y = VectorXd::Constant(1, 0.0);
  EXPECT_DOUBLE_EQ(big.value(VectorXd::Constant(1, 1.0)), 1000.0);
  EXPECT_DOUBLE_EQ(big.value(VectorXd::Constant(1, -1.0)), 0.0);
  EXPECT_TRUE(big.gradient(VectorXd::Constant(1, 1.0)).allFinite());
}

// ---- 2. Hand-written gradients against central differences ----------------------------

TEST(Gradcheck, QuadraticGradient) {
  const gd::Quadratic q = quadratic(6, 0.1, 4.0, 7);
  const VectorXd x = VectorXd::LinSpaced(6, -2.0, 1.0);
  const auto check = mlc::gradcheck([&](const VectorXd& v) { return q.value(v); }, q.gradient(x), x);
  EXPECT_TRUE(check.passes(1e-7)) << check.relative_error;
}

TEST(Gradcheck, LogisticGradientAndHessian) {
  const gd::LogisticLoss loss = small_logistic(8);
  mlc::Rng rng(9);
  for (int trial = 0; trial < 3; ++trial) {
    const VectorXd w = rng.normal_vector(5);
    const auto check = mlc::gradcheck([&](const VectorXd& v) { return loss.value(v); }, loss.gradient(w), w);
    EXPECT_TRUE(check.passes(1e-6)) << check.relative_error;
    // (13) is the Jacobian of (12).
    const MatrixXd H_num = mlc::numerical_jacobian([&](const VectorXd& v) { return loss.gradient(v); }, w);
    EXPECT_LT(mlc::max_relative_error(loss.hessian(w), H_num), 1e-6);
  }
}

TEST(Gradcheck, LogisticGradientOnBreastCancer) {
  const mlc::Dataset data = mlc::load_dataset("breast_cancer");
  mlc::Standardizer scaler;
  gd::LogisticLoss loss;
  loss.X = scaler.fit_transform(data.X);
  loss.y = data.y;
  loss.lambda = 1e-2;
  mlc::Rng rng(10);
  const VectorXd w = rng.normal_vector(loss.X.cols(), 0.0, 0.5);
  const auto check = mlc::gradcheck([&](const VectorXd& v) { return loss.value(v); }, loss.gradient(w), w);
  EXPECT_TRUE(check.passes(1e-6)) << check.relative_error;
}

// ---- 3. Properties: rates, bounds, monotonicity ----------------------------------------

TEST(GradientDescent, ConditionNumberOneConvergesInOneStep) {
  const gd::Quadratic q = gd::rotated_quadratic_2d(2.0, 2.0, 0.3);
  const gd::Trace t = gd::gradient_descent(q.objective(), VectorXd::Constant(2, 3.0), 0.5, iterations(1));
  EXPECT_ALLCLOSE(t.x, q.minimizer(), 1e-15);
}

TEST(GradientDescent, StepOneOverLMeetsTheLinearRateBound) {
  // (3) f(x_k) − f* <= (1 − 1/κ)^k gap0 in general; on a quadratic even (1 − 1/κ)^(2k).
  const double kappa = 50.0;
  const gd::Quadratic q = quadratic(10, 1.0 / kappa, 1.0, 11);
  const VectorXd x0 = hard_start(q);
  const gd::Trace t = gd::gradient_descent(q.objective(), x0, 1.0, iterations(400));
  const double gap0 = t.values.front() - q.minimum();
  for (std::size_t k = 0; k < t.values.size(); ++k) {
    const double bound = gap0 * std::pow(1.0 - 1.0 / kappa, 2.0 * static_cast<double>(k));
    ASSERT_LE(t.values[k] - q.minimum(), bound * (1.0 + 1e-9) + 1e-14) << "k = " << k;
  }
}

TEST(GradientDescent, OptimalFixedStepContractsBothEndsOfTheSpectrumByRho) {
  // (5) with η = 2/(L+μ): 1 − ημ = ρ and 1 − ηL = −ρ, ρ = (κ−1)/(κ+1). On the 2-D valley
  // (only those two eigenvalues) the gap is therefore exactly ρ^(2k) gap0 at every k.
  const double kappa = 30.0;
  const Valley v = valley(kappa);
  const gd::Trace t = gd::gradient_descent(v.q.objective(), v.x0, 2.0 / (1.0 + 1.0 / kappa), iterations(120));
  const double rho = (kappa - 1.0) / (kappa + 1.0);
  for (std::size_t k = 0; k < t.values.size(); ++k) {
    const double expected = t.values.front() * std::pow(rho, 2.0 * static_cast<double>(k));
    ASSERT_NEAR(t.values[k] / expected, 1.0, 1e-9) << "k = " << k;  // f* = 0 here
  }
}

TEST(HeavyBall, OptimalParametersFollowTheDoubleRootLaw) {
  // (7): every eigenvalue of the iteration matrix has modulus ρ = (√κ−1)/(√κ+1).
  const double kappa = 100.0;
  const auto p = gd::heavy_ball_optimal(1.0 / kappa, 1.0);
  const double rho = (std::sqrt(kappa) - 1.0) / (std::sqrt(kappa) + 1.0);
  EXPECT_NEAR(p.momentum, rho * rho, 1e-15);
  for (const double lambda : {1.0 / kappa, 0.1, 0.5, 1.0}) {
    EXPECT_NEAR(gd::heavy_ball_spectral_radius(p.step, p.momentum, lambda), rho, 1e-7);
  }
  // (7b) At λ = μ and λ = L the root is double (+ρ and −ρ), so with e_{−1} = e_0 the
  // eigen-coordinates are e_0 ρ^k (1 + (1−ρ)k) and e_0 (−ρ)^k (1 + (1+ρ)k). From the valley's
  // start (half of f(x0) = 1 on each axis):
  //   f(x_k) = ½ ρ^(2k) [(1 + (1−ρ)k)² + (1 + (1+ρ)k)²].
  const Valley v = valley(kappa);
  const gd::Trace t = gd::heavy_ball(v.q.objective(), v.x0, p.step, p.momentum, iterations(100));
  for (std::size_t k = 0; k < t.values.size(); ++k) {
    const double kk = static_cast<double>(k);
    const double expected = 0.5 * std::pow(rho, 2.0 * kk) *
                            (std::pow(1.0 + (1.0 - rho) * kk, 2) + std::pow(1.0 + (1.0 + rho) * kk, 2));
    ASSERT_NEAR(t.values[k] / expected, 1.0, 1e-8) << "k = " << k;
  }
}

TEST(HeavyBall, OptimalParametersMeetTheChebyshevEnvelopeOnAnySpectrum) {
  // (7b) holds for every eigenvalue in [μ, L], hence for a 10-D quadratic with a random
  // eigenbasis: f(x_k) − f* <= envelope(k)² (f(x0) − f*).
  const double kappa = 100.0;
  const gd::Quadratic q = quadratic(10, 1.0 / kappa, 1.0, 24);
  const auto p = gd::heavy_ball_optimal(1.0 / kappa, 1.0);
  const gd::Trace t = gd::heavy_ball(q.objective(), hard_start(q), p.step, p.momentum, iterations(120));
  const double gap0 = t.values.front() - q.minimum();
  for (std::size_t k = 0; k < t.values.size(); ++k) {
    const double envelope = gd::heavy_ball_envelope(static_cast<int>(k), 1.0 / kappa, 1.0);
    ASSERT_LE(t.values[k] - q.minimum(), envelope * envelope * gap0 * (1.0 + 1e-9) + 1e-13) << "k = " << k;
  }
}

TEST(Nesterov, OptimalMomentumFollowsTheDoubleRootLaw) {
  // (8c) With α = 1/L and β = (√κ−1)/(√κ+1), the mode λ = μ has the double root
  // r = 1 − 1/√κ and the mode λ = L the root 0 (it is gone after one step). So on the
  // valley, for k >= 1: f(x_k) = ½ r^(2k) (1 + (1−r)k)²: the gap rate is r², the square of
  // the rate in the general bound (8b).
  const double kappa = 100.0;
  const auto p = gd::nesterov_strongly_convex(1.0 / kappa, 1.0);
  const double r = 1.0 - 1.0 / std::sqrt(kappa);
  const Valley v = valley(kappa);
  const gd::Trace t = gd::nesterov(v.q.objective(), v.x0, p.step, p.momentum, iterations(100));
  for (std::size_t k = 1; k < t.values.size(); ++k) {
    const double kk = static_cast<double>(k);
    const double expected = 0.5 * std::pow(r, 2.0 * kk) * std::pow(1.0 + (1.0 - r) * kk, 2);
    ASSERT_NEAR(t.values[k] / expected, 1.0, 1e-8) << "k = " << k;
  }
}

TEST(Nesterov, MeetsItsBoundOnAQuadraticAndOnTheLogisticLoss) {
  // (8b) f(x_k) − f* <= (f(x0) − f* + μ/2 ‖x0 − x*‖²)(1 − 1/√κ)^k for any L-smooth,
  // μ-strongly convex f.
  const double kappa = 100.0;
  const gd::Quadratic q = quadratic(10, 1.0 / kappa, 1.0, 14);
  const VectorXd x0 = hard_start(q);
  const auto p = gd::nesterov_strongly_convex(1.0 / kappa, 1.0);
  const gd::Trace t = gd::nesterov(q.objective(), x0, p.step, p.momentum, iterations(300));
  const double c = t.values.front() - q.minimum() + 0.5 / kappa * (x0 - q.minimizer()).squaredNorm();
  for (std::size_t k = 0; k < t.values.size(); ++k) {
    ASSERT_LE(t.values[k] - q.minimum(), c * std::pow(1.0 - 0.1, static_cast<double>(k)) + 1e-14) << k;
  }
  // The logistic loss with μ = λ and L from (14).
  const gd::LogisticLoss loss = small_logistic(15);
  const VectorXd w_star = gd::logistic_newton_minimizer(loss);
  const double f_star = loss.value(w_star), L = loss.smoothness_bound(), mu = loss.lambda;
  const auto pl = gd::nesterov_strongly_convex(mu, L);
  const VectorXd w0 = VectorXd::Zero(5);
  const gd::Trace tl = gd::nesterov(loss.objective(), w0, pl.step, pl.momentum, iterations(200));
  const gd::Trace tg = gd::gradient_descent(loss.objective(), w0, 1.0 / L, iterations(200));
  const double cl = tl.values.front() - f_star + 0.5 * mu * w_star.squaredNorm();
  const double rate = 1.0 - std::sqrt(mu / L);
  for (std::size_t k = 0; k < tl.values.size(); ++k) {
    ASSERT_LE(tl.values[k] - f_star, cl * std::pow(rate, static_cast<double>(k)) + 1e-14) << k;
    // (3) for GD with step 1/L on the same loss.
    ASSERT_LE(tg.values[k] - f_star, (tg.values.front() - f_star) * std::pow(1.0 - mu / L, static_cast<double>(k)) + 1e-14) << k;
  }
}

TEST(Conditioning, IterationsGrowLinearlyInKappaForGDAndAsSqrtKappaWithMomentum) {
  // From the hard start, GD needs k ≈ κ ln(1/(tol·d)) / 2 steps (the slowest direction holds
  // 1/d of the gap): slope 1 in log-log, up to the O(1/κ) error of ln(1 − 1/κ) ≈ −1/κ at
  // κ = 10 and the neighbouring eigenvalues, hence ±0.1. Nesterov's (1 − 1/√κ)^k: slope ½.
  std::vector<double> kappas{10.0, 100.0, 1000.0}, it_gd, it_nag;
  for (std::size_t i = 0; i < kappas.size(); ++i) {
    const double kappa = kappas[i];
    const gd::Quadratic q = quadratic(10, 1.0 / kappa, 1.0, 20 + i);
    const VectorXd x0 = hard_start(q);
    const gd::StopRule stop = to_relative_gap(q, x0, 1e-6, 100000);
    const auto p = gd::nesterov_strongly_convex(1.0 / kappa, 1.0);
    const gd::Trace t_gd = gd::gradient_descent(q.objective(), x0, 1.0, stop);
    const gd::Trace t_nag = gd::nesterov(q.objective(), x0, p.step, p.momentum, stop);
    ASSERT_TRUE(t_gd.reached_target && t_nag.reached_target);
    it_gd.push_back(t_gd.iterations);
    it_nag.push_back(t_nag.iterations);
  }
  EXPECT_NEAR(gd::fit_power_law(kappas, it_gd).slope, 1.0, 0.1);
  EXPECT_NEAR(gd::fit_power_law(kappas, it_nag).slope, 0.5, 0.1);
}

TEST(Armijo, GradientDescentWithBacktrackingIsMonotoneAndConverges) {
  const gd::Quadratic q = quadratic(10, 0.01, 1.0, 16);
  const VectorXd x0 = hard_start(q);
  const gd::Trace t = gd::gradient_descent_armijo(q.objective(), x0, {.t0 = 4.0}, to_relative_gap(q, x0, 1e-8, 20000));
  EXPECT_TRUE(t.reached_target);
  EXPECT_EQ(gd::count_increases(t.values), 0);
  EXPECT_EQ(t.steps.size(), static_cast<std::size_t>(t.iterations));
  // Every accepted step satisfies (9) with g·d = −‖g‖², so f decreases by >= c t ‖g‖².
  const gd::LogisticLoss loss = small_logistic(17);
  const gd::Trace tl = gd::gradient_descent_armijo(loss.objective(), VectorXd::Zero(5), {}, iterations(100));
  EXPECT_EQ(gd::count_increases(tl.values), 0);
  // With growth, the search restarts at twice the last step: from a tiny t0 the steps grow
  // far beyond it, and f still never increases.
  const gd::Trace tg = gd::gradient_descent_armijo(loss.objective(), VectorXd::Zero(5), {.t0 = 1e-3, .growth = 2.0},
                                                   iterations(100));
  EXPECT_EQ(gd::count_increases(tg.values), 0);
  EXPECT_GT(tg.steps.back(), 100.0 * 1e-3);
  EXPECT_EQ(tl.function_evaluations, 1 + [&] {
    int e = 0;  // each iteration costs at least one trial
    for (double s : tl.steps) e += 1 + static_cast<int>(std::lround(std::log(s) / std::log(0.5)));
    return e;
  }());
}

TEST(Logistic, SmoothnessBoundDominatesTheHessianAndNewtonFindsTheMinimum) {
  const gd::LogisticLoss loss = small_logistic(18);
  mlc::Rng rng(19);
  const double L = loss.smoothness_bound();
  for (int trial = 0; trial < 5; ++trial) {
    const VectorXd w = rng.normal_vector(5, 0.0, 2.0);
    const double top = Eigen::SelfAdjointEigenSolver<MatrixXd>(loss.hessian(w)).eigenvalues().maxCoeff();
    EXPECT_LE(top, L * (1.0 + 1e-12));
  }
  const VectorXd w_star = gd::logistic_newton_minimizer(loss);
  EXPECT_LT(loss.gradient(w_star).norm(), 1e-10);
  // GD from 0 approaches the same minimum.
  const gd::Trace t = gd::gradient_descent(loss.objective(), VectorXd::Zero(5), 1.0 / L, iterations(3000));
  EXPECT_NEAR(t.values.back(), loss.value(w_star), 1e-10);
}

TEST(Measuring, HelpersOnKnownSequences) {
  std::vector<double> geometric;
  for (int k = 0; k < 20; ++k) geometric.push_back(1.0 + 3.0 * std::pow(0.8, k));
  EXPECT_NEAR(gd::measured_rate(geometric, 1.0, 2, 17), 0.8, 1e-12);
  EXPECT_EQ(gd::iterations_to_reach(geometric, 1.0 + 3.0 * std::pow(0.8, 5) + 1e-12), 5);
  EXPECT_EQ(gd::iterations_to_reach(geometric, 0.5), -1);
  EXPECT_EQ(gd::count_increases({1.0, 2.0, 1.5, 1.7, 1.7, 0.1}), 2);
  const auto fit = gd::fit_power_law({1.0, 10.0, 100.0}, {3.0, 3.0 * std::pow(10.0, 1.5), 3.0e3});
  EXPECT_NEAR(fit.slope, 1.5, 1e-12);
  EXPECT_NEAR(std::exp(fit.intercept), 3.0, 1e-12);
}

TEST(Inputs, BadArgumentsAreRejected) {
  const gd::Quadratic q = quadratic(3, 0.1, 1.0, 21);
  EXPECT_THROW(gd::gradient_descent(q.objective(), VectorXd::Zero(3), 0.0), std::invalid_argument);
  EXPECT_THROW(gd::heavy_ball(q.objective(), VectorXd::Zero(3), 1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(gd::make_quadratic(VectorXd::Ones(2), 2.0 * MatrixXd::Identity(2, 2), VectorXd::Zero(2)),
               std::invalid_argument);
  gd::LogisticLoss loss = small_logistic(22);
  EXPECT_THROW(loss.value(VectorXd::Zero(3)), std::invalid_argument);
}

// ---- 4. The failure modes of the report ------------------------------------------------

TEST(FailureMode, StepAboveTwoOverLDiverges) {
  // (4): with η = 2.1/L the top eigen-component is multiplied by |1 − ηL| = 1.1 per step;
  // the next one (λ ≈ 0.6 L for this spectrum) by 0.26, so after 150 steps the measured
  // factor is 1.1 to rounding.
  const gd::Quadratic q = quadratic(10, 0.01, 1.0, 23);
  const VectorXd x0 = VectorXd::Zero(10);
  const gd::Trace t = gd::gradient_descent(q.objective(), x0, 2.1, iterations(200));
  const double growth = std::sqrt(gd::measured_rate(t.values, q.minimum(), 150, 200));
  EXPECT_NEAR(growth, 1.1, 1e-9);
  EXPECT_NEAR(gd::gd_contraction(2.1, 0.01, 1.0), 1.1, 1e-15);
  // Run long enough and it is flagged as diverged (a result, not an exception).
  const gd::Trace long_run = gd::gradient_descent(q.objective(), x0, 2.1, iterations(10000));
  EXPECT_TRUE(long_run.diverged);
  EXPECT_LT(long_run.iterations, 10000);
  // Just below the limit it converges, slowly: the top component contracts by 0.95.
  const gd::Trace below = gd::gradient_descent(q.objective(), x0, 1.95, to_relative_gap(q, x0, 1e-8, 5000));
  EXPECT_TRUE(below.reached_target);
}

TEST(FailureMode, ArmijoBacktrackingRescuesAStepAboveTwoOverL) {
  const gd::Quadratic q = quadratic(10, 0.01, 1.0, 23);
  const VectorXd x0 = VectorXd::Zero(10);
  const gd::Trace t = gd::gradient_descent_armijo(q.objective(), x0, {.t0 = 2.5}, to_relative_gap(q, x0, 1e-8, 20000));
  EXPECT_TRUE(t.reached_target);
  EXPECT_FALSE(t.diverged);
}

TEST(FailureMode, IllConditionedValleyMakesTheOptimalFixedStepZigZag) {
  // With η = 2/(L+μ) the stiff coordinate is multiplied by 1 − ηL = −(κ−1)/(κ+1) at every
  // step: it changes sign every iteration (the zig-zag). With η = 1/L it vanishes after one
  // step and the iterate crawls along the valley instead.
  const double kappa = 100.0;
  const Valley v = valley(kappa);
  const gd::StopRule stop = [] {
    gd::StopRule s;
    s.max_iterations = 200;
    s.record_iterates = true;
    return s;
  }();
  const gd::Trace zig = gd::gradient_descent(v.q.objective(), v.x0, 2.0 / (1.0 + 1.0 / kappa), stop);
  for (std::size_t k = 1; k < zig.iterates.size(); ++k) {
    const double ratio = zig.iterates[k].dot(v.stiff) / zig.iterates[k - 1].dot(v.stiff);
    ASSERT_NEAR(ratio, -(kappa - 1.0) / (kappa + 1.0), 1e-9) << "k = " << k;
  }
  const gd::Trace crawl = gd::gradient_descent(v.q.objective(), v.x0, 1.0, stop);
  EXPECT_NEAR(crawl.iterates[1].dot(v.stiff), 0.0, 1e-14);
  EXPECT_NEAR(crawl.iterates[100].dot(v.flat), std::sqrt(kappa) * std::pow(1.0 - 1.0 / kappa, 100), 1e-12);
}

TEST(FailureMode, BadlyTunedMomentumOvershootsAndRestartFixesIt) {
  // Heavy ball with α = 1/L, β = 0.9 on κ = 10: β > (1 − √(αμ))² ≈ 0.47, so both modes are
  // complex with modulus √β: the gap decays like β^k with oscillations of period 2π/θ,
  // cos θ = (1 + β − αμ) / (2√β) along the flat axis.
  const double kappa = 10.0, beta = 0.9;
  const Valley v = valley(kappa);
  gd::StopRule stop;
  stop.max_iterations = 3000;
  stop.target_value = 1e-10 * v.q.value(v.x0);
  stop.record_iterates = true;
  const gd::Trace bad = gd::heavy_ball(v.q.objective(), v.x0, 1.0, beta, stop);
  ASSERT_TRUE(bad.reached_target);
  EXPECT_GT(gd::count_increases(bad.values), bad.iterations / 3);  // f is far from monotone
  std::vector<int> changes;
  for (std::size_t k = 1; k < bad.iterates.size(); ++k) {
    if (bad.iterates[k].dot(v.flat) * bad.iterates[k - 1].dot(v.flat) < 0.0) changes.push_back(static_cast<int>(k));
  }
  ASSERT_GE(changes.size(), 5u);
  const double period = 2.0 * (changes.back() - changes.front()) / static_cast<double>(changes.size() - 1);
  const double theta = std::acos((1.0 + beta - 1.0 / kappa) / (2.0 * std::sqrt(beta)));
  // Sign changes fall on integer iterations: each spacing is off by < 1 from π/θ, and the
  // mean over the ~20 spacings by < 2/20 · 2 = 0.2 iterations of the period.
  EXPECT_NEAR(period, 2.0 * std::numbers::pi / theta, 0.2);
  // The gap envelope decays like β^k; the oscillation makes a window's ratio wobble by the
  // cos² factor, so the rate over a long window (≈ 10 periods) is within 2 % of β.
  EXPECT_NEAR(gd::measured_rate(bad.values, 0.0, 20, 200), beta, 0.02);

  const auto tuned = gd::heavy_ball_optimal(1.0 / kappa, 1.0);
  const gd::Trace good = gd::heavy_ball(v.q.objective(), v.x0, tuned.step, tuned.momentum, stop);
  const gd::Trace nag_bad = gd::nesterov(v.q.objective(), v.x0, 1.0, beta, stop);
  const gd::Trace nag_restart = gd::nesterov(v.q.objective(), v.x0, 1.0, beta, stop, true);
  EXPECT_LT(good.iterations * 3, bad.iterations);
  EXPECT_GT(nag_restart.restarts, 0);
  EXPECT_LT(nag_restart.iterations * 2, nag_bad.iterations);
  EXPECT_LT(gd::count_increases(nag_restart.values), gd::count_increases(nag_bad.values));
}
