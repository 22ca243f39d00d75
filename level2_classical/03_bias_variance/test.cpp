// Tests of 2.3 bias_variance: the grade of the lesson. In order: the learners and the
// minimum-norm solver against independent references (Boost.Math Legendre polynomials, brute
// force k-NN, Eigen's JacobiSVD and CompleteOrthogonalDecomposition, exact polynomial
// recovery); the bias–variance estimators against closed forms (k-NN with k = n, OLS with a
// fixed design) within Monte-Carlo error; the decomposition identity (1); the failure modes
// of the report (the interpolation threshold, training error as a selection criterion);
// input checks; the program's reported peak.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Dense>
#include <boost/math/special_functions/legendre.hpp>

#include "bias_variance.hpp"
#include "mlc/error.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"

namespace bv = bias_variance;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// p(x) = Σ_j c_j x^j evaluated by Horner's rule.
VectorXd monomial_polynomial(const VectorXd& coeffs, const VectorXd& x) {
  VectorXd y = VectorXd::Zero(x.size());
  for (Index j = coeffs.size() - 1; j >= 0; --j) y = (y.array() * x.array() + coeffs(j)).matrix();
  return y;
}

double geometric_mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(x);
  return std::exp(s / static_cast<double>(v.size()));
}

// Geometric-mean test MSE, coefficient norm and σ_min of min-norm random features at width p.
struct ThresholdPoint {
  double test_mse, ridge_test_mse, norm, sigma_min;
};
ThresholdPoint threshold_point(Index n, Index p, int seeds) {
  std::vector<double> err, ridge, norm, smin;
  for (int s = 0; s < seeds; ++s) {
    mlc::Rng rng(100 + static_cast<std::uint64_t>(s));
    const bv::Teacher teacher = bv::make_teacher(10, 0.5, rng);
    const auto train = bv::sample_teacher(teacher, n, rng);
    const auto test = bv::sample_teacher(teacher, 500, rng);
    mlc::Rng features = rng.derive(static_cast<std::uint64_t>(p));
    const auto r = bv::random_features_regression(train, test, p, 1.0, features);
    err.push_back(r.test_mse);
    ridge.push_back(r.ridge_test_mse);
    norm.push_back(r.coefficient_norm);
    smin.push_back(r.sigma_min);
  }
  return {geometric_mean(err), geometric_mean(ridge), geometric_mean(norm), geometric_mean(smin)};
}

}  // namespace

// ---- 1. Correctness against independent references ------------------------------------------

TEST(Legendre, DesignMatchesBoostLegendreP) {
  const VectorXd x = mlc::Rng(1).uniform_vector(25);
  const MatrixXd Phi = bv::legendre_design(x, 20);
  for (Index i = 0; i < x.size(); ++i) {
    for (int j = 0; j <= 20; ++j) {
      // |P_j| ≤ 1 on [−1, 1]; the recurrence is stable there: errors of a few ulps per step
      EXPECT_NEAR(Phi(i, j), boost::math::legendre_p(j, 2.0 * x(i) - 1.0), 1e-12);
    }
  }
}

TEST(Polynomial, FitOfDegreeDReproducesADegreeDPolynomialExactly) {
  mlc::Rng rng(2);
  for (int degree : {0, 1, 3, 8, 12}) {
    const VectorXd c = rng.normal_vector(degree + 1);
    const VectorXd x = rng.uniform_vector(40);
    const VectorXd grid = bv::uniform_grid(101);
    const auto fit = bv::fit_polynomial(x, monomial_polynomial(c, x), degree);
    // noise-free data in the model's span: the fit is exact up to κ(Φ) u (κ ≤ 1e4 here)
    EXPECT_ALLCLOSE(fit.predict(grid), monomial_polynomial(c, grid), 1e-9) << "degree " << degree;
  }
}

TEST(Polynomial, LegendreBasisIsFarBetterConditionedThanMonomial) {
  const VectorXd x = mlc::Rng(3).uniform_vector(30);
  auto cond = [](const MatrixXd& A) {
    const VectorXd s = Eigen::JacobiSVD<MatrixXd>(A).singularValues();
    return s(0) / s(s.size() - 1);
  };
  const double legendre = cond(bv::legendre_design(x, 15)),
               monomial = cond(bv::monomial_design(x, 15));
  EXPECT_LT(legendre, 1e6);
  EXPECT_GT(monomial / legendre, 1e5);
}

TEST(Knn, RegressMatchesBruteForce) {
  mlc::Rng rng(4);
  const VectorXd x = rng.uniform_vector(25), y = rng.normal_vector(25);
  const VectorXd q = rng.uniform_vector(40);
  for (int k : {1, 2, 5, 13, 25}) {
    const VectorXd ours = bv::knn_regress(x, y, q, k);
    for (Index i = 0; i < q.size(); ++i) {
      std::vector<Index> idx(25);
      std::iota(idx.begin(), idx.end(), Index{0});
      std::sort(idx.begin(), idx.end(), [&](Index a, Index b) {
        const double da = std::abs(x(a) - q(i)), db = std::abs(x(b) - q(i));
        return da != db ? da < db : x(a) < x(b);
      });
      double mean = 0;
      for (int j = 0; j < k; ++j) mean += y(idx[static_cast<std::size_t>(j)]) / k;
      EXPECT_NEAR(ours(i), mean, 1e-12) << "k = " << k << ", query " << i;
    }
  }
}

TEST(Knn, KEqualsNPredictsTheTrainingMean) {
  mlc::Rng rng(5);
  const VectorXd x = rng.uniform_vector(17), y = rng.normal_vector(17);
  const VectorXd pred = bv::knn_regress(x, y, bv::uniform_grid(9), 17);
  EXPECT_ALLCLOSE(pred, VectorXd::Constant(9, y.mean()), 1e-12);
}

TEST(MinNorm, EqualsJacobiSvdAndCompleteOrthogonalDecomposition) {
  mlc::Rng rng(6);
  for (auto [n, p] : {std::pair<Index, Index>{30, 80}, {80, 30}, {40, 40}}) {
    const MatrixXd Phi = rng.normal_matrix(n, p);
    const VectorXd y = rng.normal_vector(n);
    const VectorXd ours = bv::min_norm_least_squares(Phi, y).coefficients;
    const VectorXd jacobi =
        Eigen::JacobiSVD<MatrixXd>(Phi, Eigen::ComputeThinU | Eigen::ComputeThinV).solve(y);
    const VectorXd cod = Phi.completeOrthogonalDecomposition().solve(y);
    // square case: κ ~ 1e2–1e3 for a random 40 × 40 Gaussian matrix, so agreement ~ κ u ‖a‖
    const double tol = 1e-9 * std::max(1.0, jacobi.norm());
    EXPECT_ALLCLOSE(ours, jacobi, tol) << n << "×" << p;
    EXPECT_ALLCLOSE(ours, cod, tol) << n << "×" << p;
  }
}

TEST(MinNorm, RankDeficientMatrixUsesTheCutoff) {
  mlc::Rng rng(7);
  const MatrixXd Phi = rng.normal_matrix(20, 3) * rng.normal_matrix(3, 12);  // rank 3
  const VectorXd y = rng.normal_vector(20);
  const auto sol = bv::min_norm_least_squares(Phi, y);
  EXPECT_EQ(sol.rank, 3);
  const VectorXd cod = Phi.completeOrthogonalDecomposition().solve(y);
  EXPECT_ALLCLOSE(sol.coefficients, cod, 1e-9);
}

TEST(MinNorm, HasTheSmallestNormAmongInterpolators) {
  mlc::Rng rng(8);
  const MatrixXd Phi = rng.normal_matrix(15, 40);
  const VectorXd y = rng.normal_vector(15);
  const VectorXd a = bv::min_norm_least_squares(Phi, y).coefficients;
  EXPECT_LT((Phi * a - y).norm(), 1e-10);  // p > n: an interpolator
  const MatrixXd pinv = Phi.completeOrthogonalDecomposition().pseudoInverse();
  for (int t = 0; t < 5; ++t) {
    // v = (I − Φ⁺Φ) z lies in the null space of Φ: a + v interpolates as well
    const VectorXd z = rng.normal_vector(40);
    const VectorXd v = z - pinv * (Phi * z);
    EXPECT_LT((Phi * (a + v) - y).norm(), 1e-9);
    EXPECT_GT((a + v).norm(), a.norm());
    // a ⟂ null(Φ), so ‖a + v‖² = ‖a‖² + ‖v‖² (Pythagoras)
    EXPECT_NEAR((a + v).squaredNorm(), a.squaredNorm() + v.squaredNorm(),
                1e-9 * (a + v).squaredNorm());
  }
}

TEST(Ridge, MatchesTheSvdFilterFormulaAndTendsToMinNorm) {
  mlc::Rng rng(9);
  for (auto [n, p] : {std::pair<Index, Index>{25, 60}, {60, 25}}) {
    const MatrixXd Phi = rng.normal_matrix(n, p);
    const VectorXd y = rng.normal_vector(n);
    const Eigen::JacobiSVD<MatrixXd> svd(Phi, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const VectorXd s = svd.singularValues();
    const double lambda = 0.7;
    // (11) a = V diag(s/(s² + λ)) Uᵀ y
    const VectorXd filter = s.array() / (s.array().square() + lambda);
    const VectorXd reference =
        svd.matrixV() * (filter.asDiagonal() * (svd.matrixU().transpose() * y));
    EXPECT_ALLCLOSE(bv::ridge_least_squares(Phi, y, lambda), reference, 1e-10);
    // λ → 0⁺: the ridge solution approaches Φ⁺y, with error O(λ / s_min²) (s_min² ≳ 1 here)
    EXPECT_ALLCLOSE(bv::ridge_least_squares(Phi, y, 1e-9),
                    bv::min_norm_least_squares(Phi, y).coefficients, 1e-6);
  }
}

TEST(RandomFeatures, ReluFeaturesMatchTheDefinition) {
  MatrixXd X(2, 4), W(3, 4);
  X << 1, 0, -1, 2,  //
      0, 1, 1, -1;
  W << 1, 1, 1, 1,  //
      -1, 0, 0, 0,  //
      0, 2, 0, 1;
  // (9) φ_j(x) = max(0, w_jᵀx / √d), √d = 2
  MatrixXd expected(2, 3);
  expected << 1.0, 0.0, 1.0,  //
      0.5, 0.0, 0.5;
  EXPECT_ALLCLOSE(bv::relu_features(X, W), expected, 1e-15);
}

// ---- 2. The bias–variance estimators against closed forms --------------------------------------

TEST(Decompose, BiasPlusVarianceIsTheMeanSquaredDeviationFromF) {
  mlc::Rng rng(10);
  const MatrixXd P = rng.normal_matrix(50, 7);
  const VectorXd f = rng.normal_vector(7);
  const MatrixXd targets = rng.normal_matrix(50, 7);
  const auto d = bv::decompose(P, f, targets, 0.25);
  // exact algebra of (3), (4): b(x) + v(x) = (1/R) Σ_r (f(x) − ŷ_r(x))²
  const double direct = (P.rowwise() - f.transpose()).array().square().mean();
  EXPECT_NEAR(d.bias2 + d.variance, direct, 1e-12);
  EXPECT_NEAR(d.expected_test_error, (targets - P).array().square().mean(), 1e-12);
  EXPECT_NEAR(d.noise_measured, (targets.rowwise() - f.transpose()).array().square().mean(), 1e-12);
}

TEST(BiasVariance, KnnWithKEqualsNMatchesClosedFormRandomDesign) {
  // k = n predicts ȳ = mean of n values f(X_i) + σε_i: Var = (Var f(X) + σ²)/n with
  // Var sin(2πU) = 1/2, and E ȳ = 0, so bias²(x) = f(x)².
  const int R = 2000, n = 20;
  const double sigma = 0.3;
  bv::RegressionProblem problem;
  problem.sigma = sigma;
  problem.n = n;
  problem.x_test = bv::uniform_grid(50);
  const auto d = bv::bias_variance_decomposition(bv::knn_learner(n), problem, R, mlc::Rng(11));
  const double v = (0.5 + sigma * sigma) / n;
  // ȳ is close to normal (a mean of 20 bounded draws), so the sample variance has
  // s.e. v √(2/(R−1)); 5 s.e.
  EXPECT_NEAR(d.variance, v, 5.0 * v * std::sqrt(2.0 / (R - 1)));
  // On the midpoint grid mean f = 0, so the bias² estimate minus its target is
  // ȳ_R² − v̂/R, of mean 0 and s.e. √2 v/R (ȳ_R ~ N(0, v/R)); 5 s.e.
  const double bias2 = problem.x_test.unaryExpr(&bv::sine_target).squaredNorm() / 50.0;
  EXPECT_NEAR(d.bias2, bias2, 5.0 * std::sqrt(2.0) * v / R);
}

TEST(BiasVariance, KnnWithKEqualsNFixedDesignHasVarianceSigma2OverN) {
  const int R = 2000, n = 20;
  const double sigma = 0.4;
  bv::RegressionProblem problem;
  problem.sigma = sigma;
  problem.n = n;
  problem.x_test = bv::uniform_grid(50);
  problem.fixed_design = mlc::Rng(12).uniform_vector(n);
  const auto d = bv::bias_variance_decomposition(bv::knn_learner(n), problem, R, mlc::Rng(13));
  const double v = sigma * sigma / n;  // only the noise is redrawn: Var ȳ = σ²/n exactly
  // ȳ is exactly normal here: sample variance s.e. v √(2/(R−1)); 5 s.e.
  EXPECT_NEAR(d.variance, v, 5.0 * v * std::sqrt(2.0 / (R - 1)));
  // bias(x) = f(x) − mean_i f(x_i). With δ = ȳ_R − E ȳ ~ N(0, v/R) the estimate minus the
  // target is −2δ·mean_x bias(x) + δ² − v̂/R: s.e. ≤ 2|mean bias|√(v/R) + √2 v/R; 5 s.e.
  const double fbar = problem.fixed_design.unaryExpr(&bv::sine_target).mean();
  const VectorXd bias = problem.x_test.unaryExpr(&bv::sine_target).array() - fbar;
  const double se = 2.0 * std::abs(bias.mean()) * std::sqrt(v / R) + std::sqrt(2.0) * v / R;
  EXPECT_NEAR(d.bias2, bias.squaredNorm() / 50.0, 5.0 * se);
}

TEST(BiasVariance, OlsVarianceIsSigma2TimesLeverageWithFixedDesign) {
  // A correctly specified quadratic model: f(x) = 1 + 2x − 3x², fitted by degree 2.
  const int R = 2000, n = 25;
  const double sigma = 0.5;
  bv::RegressionProblem problem;
  problem.f = [](double x) { return 1.0 + 2.0 * x - 3.0 * x * x; };
  problem.sigma = sigma;
  problem.n = n;
  problem.x_test = bv::uniform_grid(40);
  problem.fixed_design = mlc::Rng(14).uniform_vector(n);
  const auto d =
      bv::bias_variance_decomposition(bv::polynomial_learner(2), problem, R, mlc::Rng(15));
  // Var ŷ(x₀) = σ² φ(x₀)ᵀ (ΦᵀΦ)⁻¹ φ(x₀)   (fixed design, Gaussian noise: ŷ(x₀) exactly normal)
  const MatrixXd Phi = bv::legendre_design(problem.fixed_design, 2);
  const MatrixXd Phi0 = bv::legendre_design(problem.x_test, 2);
  const MatrixXd G = Phi.transpose() * Phi;
  const VectorXd theory = sigma * sigma * (Phi0 * G.ldlt().solve(Phi0.transpose())).diagonal();
  // pointwise: each v̂(x₀) has s.e. v(x₀) √(2/(R−1)); 5 s.e. (40 points, P(any > 5 s.e.) ≈ 2e-5)
  for (Index i = 0; i < theory.size(); ++i) {
    EXPECT_NEAR(d.variance_at(i), theory(i), 5.0 * theory(i) * std::sqrt(2.0 / (R - 1))) << i;
  }
  // unbiased model: bias²(x₀) = 0; the estimate (ȳ − f)² − v̂/R has s.e. ≈ √2 v(x₀)/R, and the
  // s.d. of a mean is at most the mean of the s.d.s; 5 s.e.
  EXPECT_NEAR(d.bias2, 0.0, 5.0 * std::sqrt(2.0) * theory.mean() / R);
}

TEST(BiasVariance, DecompositionIdentityHoldsWithinMonteCarloError) {
  bv::RegressionProblem problem;
  problem.x_test = bv::uniform_grid(60);
  const mlc::Rng sets(16);
  for (const auto& [name, learner] :
       std::vector<std::pair<std::string, bv::Learner>>{{"degree 1", bv::polynomial_learner(1)},
                                                        {"degree 3", bv::polynomial_learner(3)},
                                                        {"degree 9", bv::polynomial_learner(9)},
                                                        {"k = 1", bv::knn_learner(1)},
                                                        {"k = 7", bv::knn_learner(7)}}) {
    const auto d = bv::bias_variance_decomposition(learner, problem, 400, sets);
    // z = (e − bias² − variance − σ²)/s.e. is a mean of R = 400 iid per-set terms: ≈ N(0, 1)
    // by the CLT; |z| < 4 fails with probability 6e-5 under (1)
    EXPECT_LT(std::abs(d.z_score()), 4.0) << name;
    EXPECT_LT(std::abs(d.cross_z_score()), 4.0) << name;
    EXPECT_GT(d.standard_error, 0.0);
  }
}

TEST(BiasVariance, BiasFallsAndVarianceRisesWithDegree) {
  bv::RegressionProblem problem;
  problem.x_test = bv::uniform_grid(60);
  const mlc::Rng sets(17);
  const auto d1 = bv::bias_variance_decomposition(bv::polynomial_learner(1), problem, 200, sets);
  const auto d5 = bv::bias_variance_decomposition(bv::polynomial_learner(5), problem, 200, sets);
  const auto d10 = bv::bias_variance_decomposition(bv::polynomial_learner(10), problem, 200, sets);
  // degree 1 cannot follow a sine: bias² ≈ 0.2 ≫ its MC error (≈ v/R ≈ 1e-4)
  EXPECT_GT(d1.bias2, 10.0 * d5.bias2 + 0.1);
  EXPECT_GT(d10.variance, 5.0 * d5.variance);
  EXPECT_GT(d10.expected_test_error, d5.expected_test_error);
  EXPECT_LT(d10.train_error, d5.train_error);
}

// ---- 3. Failure modes ------------------------------------------------------------------------

TEST(FailureMode, InterpolationThresholdSpikesTestErrorAndNorm) {
  const Index n = 40;
  const auto half = threshold_point(n, n / 2, 4), at = threshold_point(n, n, 4),
             wide = threshold_point(n, 10 * n, 4);
  EXPECT_GT(at.test_mse, 5.0 * half.test_mse);
  EXPECT_GT(at.test_mse, 5.0 * wide.test_mse);
  EXPECT_GT(at.norm, 5.0 * half.norm);
  EXPECT_GT(at.norm, 5.0 * wide.norm);
  EXPECT_LT(at.sigma_min, 0.2 * half.sigma_min);
  EXPECT_LT(at.sigma_min, 0.2 * wide.sigma_min);
  // mitigation: ridge has no spike
  EXPECT_LT(at.ridge_test_mse, 1.5 * half.ridge_test_mse);
  EXPECT_LT(at.ridge_test_mse, 0.2 * at.test_mse);
}

TEST(FailureMode, MinNormInterpolatesEveryTrainingSetBeyondTheThreshold) {
  mlc::Rng rng(18);
  const bv::Teacher teacher = bv::make_teacher(10, 0.5, rng);
  const auto train = bv::sample_teacher(teacher, 40, rng);
  for (Index p : {40, 80, 400}) {
    const auto r = bv::random_features_regression(train, train, p, 1.0, rng);
    EXPECT_LT(r.train_mse, 1e-12) << "p = " << p;
  }
}

TEST(FailureMode, TrainingErrorPicksTheLargestDegreeCrossValidationDoesNot) {
  std::vector<int> degrees(15);
  std::iota(degrees.begin(), degrees.end(), 0);
  const VectorXd grid = bv::uniform_grid(200);
  const VectorXd f = grid.unaryExpr(&bv::sine_target);
  std::vector<int> cv_choices;
  int cv_better = 0;
  const int sets = 10;
  for (int s = 0; s < sets; ++s) {
    mlc::Rng rng(200 + static_cast<std::uint64_t>(s));
    const VectorXd x = rng.uniform_vector(30);
    const VectorXd y = x.unaryExpr(&bv::sine_target) + 0.3 * rng.normal_vector(30);
    const auto sel = bv::select_polynomial_degree(x, y, degrees, 5, rng);
    for (Index j = 1; j < sel.train_mse.size(); ++j) {
      EXPECT_LE(sel.train_mse(j), sel.train_mse(j - 1) * (1 + 1e-12));  // nested models
    }
    EXPECT_EQ(sel.by_train, 14);
    cv_choices.push_back(sel.by_cv);
    auto err = [&](int d) { return (bv::fit_polynomial(x, y, d).predict(grid) - f).squaredNorm(); };
    cv_better += err(sel.by_cv) < err(sel.by_train) ? 1 : 0;
  }
  std::sort(cv_choices.begin(), cv_choices.end());
  EXPECT_GE(cv_choices[sets / 2], 3);
  EXPECT_LE(cv_choices[sets / 2], 7);
  EXPECT_GE(cv_better, 9);
}

// ---- 4. Input checks ---------------------------------------------------------------------------

TEST(Inputs, BadArgumentsThrow) {
  const VectorXd x = bv::uniform_grid(5), y = VectorXd::Zero(5);
  EXPECT_THROW(bv::fit_polynomial(x, y, 5), std::invalid_argument);  // 6 coefficients, 5 points
  EXPECT_THROW(bv::fit_polynomial(x, VectorXd::Zero(4), 1), std::invalid_argument);
  EXPECT_THROW(bv::knn_regress(x, y, x, 6), std::invalid_argument);
  EXPECT_THROW(bv::knn_regress(x, y, x, 0), std::invalid_argument);
  EXPECT_THROW(bv::decompose(MatrixXd::Zero(1, 3), VectorXd::Zero(3), MatrixXd::Zero(1, 3), 1.0),
               std::invalid_argument);
  EXPECT_THROW(bv::min_norm_least_squares(MatrixXd::Zero(3, 4), VectorXd::Zero(2)),
               std::invalid_argument);
  EXPECT_THROW(bv::ridge_least_squares(MatrixXd::Zero(3, 4), VectorXd::Zero(3), 0.0),
               std::invalid_argument);
}

// ---- 5. The program ----------------------------------------------------------------------------

TEST(Program, QuickRunReportsThePeakAtTheInterpolationThreshold) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_EQ(m.at("double_descent.peak_p"), m.at("double_descent.n"));
  EXPECT_GT(m.at("double_descent.peak_ratio_half"), 10.0);
  EXPECT_GT(m.at("double_descent.peak_ratio_10n"), 10.0);
  EXPECT_EQ(m.at("selection.train_picks_max_degree_fraction"), 1.0);
}
