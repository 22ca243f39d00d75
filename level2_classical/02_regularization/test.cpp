// test.cpp: the grade of lesson 2.2 regularization. Ridge against Eigen's LDLT and QR,
// the lasso against its closed form on an orthonormal design and its KKT conditions, the
// elastic net against ridge at α = 0, gradients against central differences, path and
// cross-validation properties, early stopping against its spectral closed form (10), and
// the two failure modes of the report reproduced on small sizes.
#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Cholesky>
#include <Eigen/QR>

#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/testing.hpp"
#include "regularization.hpp"
#include "model_evaluation.hpp"

namespace rg = regularization;

namespace {

struct Xy {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
};

// All 442 diabetes rows, standardized (as in Efron et al. 2004).
Xy diabetes() {
  const mlc::Dataset data = mlc::load_dataset("diabetes");
  mlc::Standardizer scaler;
  return {scaler.fit_transform(data.X), data.y};
}

rg::CdOptions tight() {
  rg::CdOptions o;
  o.tol = 1e-13;      // moves at the rounding level of the coefficients
  o.gap_tol = 1e-13;  // the gap's own rounding is ~1e-16 yy
  return o;
}

// x_jᵀ r / n with r = yc − Xc w on the centered data: an independent residual, not the
// Gram form the solver uses.
Eigen::VectorXd residual_correlation(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                     const Eigen::VectorXd& w) {
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  rg::center(X, y, Xc, yc);
  return Xc.transpose() * (yc - Xc * w) / static_cast<double>(X.rows());
}

}  // namespace

// ---- 1. Correctness against independent references ------------------------------------------

TEST(Ridge, CholeskyEqualsSvdEqualsEigenLdlt) {
  const Xy d = diabetes();
  const double n = static_cast<double>(d.X.rows());
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  rg::center(d.X, d.y, Xc, yc);
  const rg::RidgeSvd svd(d.X, d.y);
  for (double lambda : {1e-3, 0.1, 1.0, 10.0}) {
    Eigen::MatrixXd A = Xc.transpose() * Xc;
    A.diagonal().array() += n * lambda;  // (XᵀX + nλI) w = Xᵀy
    const Eigen::VectorXd reference = A.ldlt().solve(Xc.transpose() * yc);
    const rg::LinearModel chol = rg::ridge_cholesky(d.X, d.y, lambda);
    const rg::LinearModel by_svd = svd.fit(lambda);
    EXPECT_ALLCLOSE(chol.w, reference, 1e-10);
    EXPECT_ALLCLOSE(by_svd.w, reference, 1e-10);
    EXPECT_NEAR(chol.intercept, d.y.mean(), 1e-10);  // standardized X: X̄ = 0
    EXPECT_NEAR(by_svd.intercept, chol.intercept, 1e-10);
  }
}

TEST(Ridge, LambdaZeroIsOrdinaryLeastSquares) {
  const mlc::Dataset data = mlc::load_dataset("diabetes");  // raw units, intercept matters
  Eigen::MatrixXd A(data.n(), data.d() + 1);
  A << Eigen::VectorXd::Ones(data.n()), data.X;
  const Eigen::VectorXd beta = A.colPivHouseholderQr().solve(data.y);
  const rg::LinearModel m = rg::ridge_cholesky(data.X, data.y, 0.0);
  EXPECT_NEAR(m.intercept, beta(0), 1e-8 * std::abs(beta(0)));
  EXPECT_TRUE(mlc::testing::AllClose(m.w, beta.tail(data.d()), 0.0, 1e-8));
  const rg::LinearModel s = rg::RidgeSvd(data.X, data.y).fit(0.0);
  EXPECT_TRUE(mlc::testing::AllClose(s.w, beta.tail(data.d()), 0.0, 1e-8));
}

TEST(Ridge, EffectiveDegreesOfFreedomIsTraceOfHatMatrix) {
  const Xy d = diabetes();
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  rg::center(d.X, d.y, Xc, yc);
  const double n = static_cast<double>(d.X.rows());
  const rg::RidgeSvd svd(d.X, d.y);
  EXPECT_NEAR(svd.degrees_of_freedom(0.0), 10.0, 1e-12);  // rank of the design
  for (double lambda : {0.01, 1.0, 100.0}) {
    Eigen::MatrixXd A = Xc.transpose() * Xc;
    A.diagonal().array() += n * lambda;
    // (4) df = tr(Xc (XcᵀXc + nλI)⁻¹ Xcᵀ) = tr((XcᵀXc + nλI)⁻¹ XcᵀXc)
    const double trace = A.ldlt().solve(Xc.transpose() * Xc).trace();
    EXPECT_NEAR(svd.degrees_of_freedom(lambda), trace, 1e-10);
  }
}

TEST(SoftThreshold, MatchesDefinitionAndIsTheProximalMap) {
  EXPECT_EQ(rg::soft_threshold(3.0, 1.0), 2.0);
  EXPECT_EQ(rg::soft_threshold(-3.0, 1.0), -2.0);
  EXPECT_EQ(rg::soft_threshold(0.5, 1.0), 0.0);
  EXPECT_EQ(rg::soft_threshold(-1.0, 1.0), 0.0);
  EXPECT_EQ(rg::soft_threshold(1.7, 0.0), 1.7);
  // S(z, γ) = argmin_x ½(x − z)² + γ|x|: compare with a fine grid search.
  for (double z : {-2.3, -0.4, 0.0, 0.9, 3.1}) {
    const double gamma = 0.7;
    double best_x = 0, best_f = 1e300;
    for (int i = -40000; i <= 40000; ++i) {
      const double x = i * 1e-4;
      const double f = 0.5 * (x - z) * (x - z) + gamma * std::abs(x);
      if (f < best_f) best_f = f, best_x = x;
    }
    EXPECT_NEAR(rg::soft_threshold(z, gamma), best_x, 1e-4) << "z = " << z;
  }
}

TEST(Lasso, OrthonormalDesignEqualsSoftThresholdedOls) {
  // Columns orthogonal to 1 and to each other with XᵀX/n = I: the lasso decouples and
  // w_j = S(x_jᵀy/n, λ) (Tibshirani 1996, §2.2).
  const Eigen::Index n = 50, d = 6;
  mlc::Rng rng(7);
  Eigen::MatrixXd B(n, d + 1);
  B << Eigen::VectorXd::Ones(n), rng.normal_matrix(n, d);
  const Eigen::MatrixXd Q = B.householderQr().householderQ() * Eigen::MatrixXd::Identity(n, d + 1);
  const Eigen::MatrixXd X = std::sqrt(static_cast<double>(n)) * Q.rightCols(d);
  Eigen::VectorXd w_true(d);
  w_true << 2.0, -1.5, 0.8, 0.3, -0.1, 0.0;
  const Eigen::VectorXd y = 3.0 + (X * w_true).array() + 0.5 * rng.normal_vector(n).array();
  const Eigen::VectorXd ols =
      X.transpose() * (y.array() - y.mean()).matrix() / static_cast<double>(n);
  for (double lambda : {0.05, 0.4, 1.0}) {
    const rg::LinearModel m = rg::elastic_net(X, y, lambda, 1.0, tight());
    Eigen::VectorXd expected(d);
    for (Eigen::Index j = 0; j < d; ++j) expected(j) = rg::soft_threshold(ols(j), lambda);
    EXPECT_ALLCLOSE(m.w, expected, 1e-12);
    EXPECT_NEAR(m.intercept, y.mean(), 1e-12);
  }
}

TEST(Lasso, SatisfiesKktConditionsOnDiabetes) {
  const Xy d = diabetes();
  const rg::GramProblem p = rg::make_gram_problem(d.X, d.y);
  const double lmax = rg::lambda_max(p, 1.0);
  for (double frac : {0.5, 0.1, 0.01, 0.001}) {
    const double lambda = frac * lmax;
    const rg::CdResult r = rg::elastic_net_cd(p, lambda, 1.0, {}, tight());
    ASSERT_TRUE(r.converged);
    const Eigen::VectorXd g = residual_correlation(d.X, d.y, r.w);
    for (Eigen::Index j = 0; j < g.size(); ++j) {
      if (r.w(j) == 0.0) {
        EXPECT_LE(std::abs(g(j)), lambda * (1 + 1e-8)) << "j = " << j << ", λ = " << lambda;
      } else {
        EXPECT_NEAR(g(j), lambda * (r.w(j) > 0 ? 1 : -1), 1e-8 * lmax) << "j = " << j;
      }
    }
  }
}

TEST(ElasticNet, SatisfiesKktConditions) {
  const Xy d = diabetes();
  const double alpha = 0.5;
  const rg::GramProblem p = rg::make_gram_problem(d.X, d.y);
  const double lambda = 0.05 * rg::lambda_max(p, alpha);
  const rg::CdResult r = rg::elastic_net_cd(p, lambda, alpha, {}, tight());
  // x_jᵀr/n − λ(1−α)w_j ∈ λα ∂|w_j|
  const Eigen::VectorXd g = residual_correlation(d.X, d.y, r.w) - lambda * (1 - alpha) * r.w;
  int nonzero = 0;
  for (Eigen::Index j = 0; j < g.size(); ++j) {
    if (r.w(j) == 0.0) {
      EXPECT_LE(std::abs(g(j)), lambda * alpha * (1 + 1e-8));
    } else {
      ++nonzero;
      EXPECT_NEAR(g(j), lambda * alpha * (r.w(j) > 0 ? 1 : -1), 1e-8 * lambda);
    }
  }
  EXPECT_GT(nonzero, 3);
}

TEST(ElasticNet, AlphaZeroEqualsRidge) {
  const Xy d = diabetes();
  const rg::GramProblem p = rg::make_gram_problem(d.X, d.y);
  for (double lambda : {0.1, 1.0, 10.0}) {
    const rg::CdResult r = rg::elastic_net_cd(p, lambda, 0.0, {}, tight());
    EXPECT_ALLCLOSE(r.w, rg::ridge_cholesky(d.X, d.y, lambda).w, 1e-8);
  }
}

// ---- 2. Gradients ---------------------------------------------------------------------------

TEST(Gradients, RidgeObjectiveGradientMatchesCentralDifferences) {
  mlc::Rng rng(3);
  const Eigen::MatrixXd X = rng.normal_matrix(30, 5);
  const Eigen::VectorXd y = rng.normal_vector(30);
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  rg::center(X, y, Xc, yc);
  const double lambda = 0.3;
  const Eigen::VectorXd w = rng.normal_vector(5);
  const auto f = [&](const Eigen::VectorXd& v) {
    return rg::elastic_net_objective(Xc, yc, v, lambda, 0.0);
  };
  const auto check = mlc::gradcheck(f, rg::smooth_gradient(Xc, yc, w, lambda, 0.0), w);
  EXPECT_TRUE(check.passes(1e-7)) << "relative error " << check.relative_error;
  // and the ridge solution is a stationary point
  const Eigen::VectorXd w_star = rg::ridge_cholesky(X, y, lambda).w;
  EXPECT_LT(rg::smooth_gradient(Xc, yc, w_star, lambda, 0.0).norm(), 1e-12);
}

TEST(Gradients, ElasticNetSmoothPartGradientMatchesCentralDifferences) {
  mlc::Rng rng(4);
  const Eigen::MatrixXd X = rng.normal_matrix(40, 6);
  const Eigen::VectorXd y = rng.normal_vector(40);
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  rg::center(X, y, Xc, yc);
  const double lambda = 0.2, alpha = 0.4;
  const Eigen::VectorXd w = rng.normal_vector(6);
  const auto smooth = [&](const Eigen::VectorXd& v) {
    return rg::elastic_net_objective(Xc, yc, v, lambda, alpha) - lambda * alpha * v.lpNorm<1>();
  };
  const auto check = mlc::gradcheck(smooth, rg::smooth_gradient(Xc, yc, w, lambda, alpha), w);
  EXPECT_TRUE(check.passes(1e-7)) << "relative error " << check.relative_error;
}

// ---- 3. Properties ----------------------------------------------------------------------------

TEST(Path, AllZeroAtAndAboveLambdaMax) {
  const Xy d = diabetes();
  const rg::GramProblem p = rg::make_gram_problem(d.X, d.y);
  for (double alpha : {1.0, 0.5}) {
    const double lmax = rg::lambda_max(p, alpha);
    for (double f : {1.0, 1.5, 10.0}) {
      EXPECT_TRUE((rg::elastic_net_cd(p, f * lmax, alpha).w.array() == 0.0).all()) << f;
    }
    EXPECT_GT((rg::elastic_net_cd(p, 0.99 * lmax, alpha).w.array() != 0.0).count(), 0);
  }
}

TEST(Path, WarmStartsAndActiveSetGiveTheSameSolutionsWithFewerOperations) {
  mlc::Rng rng(11);
  const auto data = rg::make_sparse_regression(100, 40, 4, 1.0, 0.5, 1.0, rng);
  const rg::GramProblem p = rg::make_gram_problem(data.X, data.y);
  const Eigen::VectorXd lambdas = rg::lambda_grid(rg::lambda_max(p, 1.0), 1e-2, 30);
  rg::CdOptions full = tight();
  full.active_set = false;
  const rg::Path warm = rg::elastic_net_path(p, 1.0, lambdas, tight(), true);
  const rg::Path cold = rg::elastic_net_path(p, 1.0, lambdas, full, false);
  EXPECT_TRUE(warm.converged && cold.converged);
  EXPECT_ALLCLOSE(warm.coefs, cold.coefs, 1e-8);
  EXPECT_LT(warm.coordinate_visits, cold.coordinate_visits);
}

TEST(Path, LassoEntryOrderOnDiabetesMatchesEfronEtAl2004) {
  const Xy d = diabetes();
  const rg::GramProblem p = rg::make_gram_problem(d.X, d.y);
  const rg::Path path =
      rg::elastic_net_path(p, 1.0, rg::lambda_grid(rg::lambda_max(p, 1.0), 1e-4, 400));
  // LARS paper, Fig. 1: 3, 9, 4, 7, 2, 10, 5, 8, 6, 1 (1-based): bmi, ltg, bp, hdl, ...
  const std::vector<Eigen::Index> lars = {2, 8, 3, 6, 1, 9, 4, 7, 5, 0};
  EXPECT_EQ(rg::entry_order(path.coefs), lars);
}

TEST(Path, DualityGapVanishesAtTheSolutionAndBoundsSuboptimality) {
  const Xy d = diabetes();
  const rg::GramProblem p = rg::make_gram_problem(d.X, d.y);
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  rg::center(d.X, d.y, Xc, yc);
  const double lambda = 0.05 * rg::lambda_max(p, 1.0);
  const Eigen::VectorXd w = rg::elastic_net_cd(p, lambda, 1.0, {}, tight()).w;
  EXPECT_LT(rg::duality_gap(p, w, lambda, 1.0), 1e-12 * p.yy);
  const double best = rg::elastic_net_objective(Xc, yc, w, lambda, 1.0);
  mlc::Rng rng(5);
  for (int trial = 0; trial < 5; ++trial) {
    const Eigen::VectorXd v = w + rng.normal_vector(w.size());
    const double gap = rg::duality_gap(p, v, lambda, 1.0);
    EXPECT_GE(gap, rg::elastic_net_objective(Xc, yc, v, lambda, 1.0) - best - 1e-9);
  }
}

TEST(CrossValidation, OneStandardErrorRuleHandComputed) {
  Eigen::VectorXd lambdas(4), mean(4), se(4);
  lambdas << 8, 4, 2, 1;
  mean << 10, 6, 5, 5.5;
  se << 1, 1, 0.5, 1;
  EXPECT_EQ(rg::one_standard_error_rule(lambdas, mean, se), 2);  // threshold 5.5: λ = 2
  se(2) = 1.2;                                                   // threshold 6.2: λ = 4
  EXPECT_EQ(rg::one_standard_error_rule(lambdas, mean, se), 1);
  // the order of the grid does not matter
  EXPECT_EQ(rg::one_standard_error_rule(lambdas.reverse(), mean.reverse(), se.reverse()), 2);
}

TEST(CrossValidation, OneSeLambdaIsAtLeastTheMinimisingLambda) {
  const Xy d = diabetes();
  mlc::Rng rng(21);
  const auto folds = mlc::kfold_indices(d.X.rows(), 5, rng);
  const rg::GramProblem p = rg::make_gram_problem(d.X, d.y);
  const Eigen::VectorXd lambdas = rg::lambda_grid(rg::lambda_max(p, 1.0), 1e-3, 40);
  const rg::CvCurve cv = rg::cross_validate_path(
      d.X, d.y, lambdas, folds,
      [](const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& l) {
        return rg::elastic_net_path(X, y, 1.0, l);
      });
  EXPECT_GE(cv.lambda_1se, cv.lambda_min);
  EXPECT_LE(cv.mean_mse(cv.index_1se), cv.mean_mse(cv.index_min) + cv.se_mse(cv.index_min));
  EXPECT_DOUBLE_EQ(cv.mean_mse.minCoeff(), cv.mean_mse(cv.index_min));
  // one fold and one λ recomputed independently (fold standardized on its training rows)
  const auto test_rows = folds[2];
  const auto train_rows = mlc::complement(test_rows, d.X.rows());
  mlc::Standardizer scaler;
  const Eigen::MatrixXd Xtr = scaler.fit_transform(d.X(train_rows, Eigen::all));
  const Eigen::MatrixXd Xte = scaler.transform(d.X(test_rows, Eigen::all));
  const rg::LinearModel m = rg::elastic_net(Xtr, d.y(train_rows), lambdas(10), 1.0, tight());
  const double mse = model_evaluation::mean_squared_error(d.y(test_rows), m.predict(Xte));
  EXPECT_NEAR(cv.fold_mse(2, 10), mse, 1e-6 * mse);
}

TEST(EarlyStopping, GradientDescentIteratesEqualTheSpectralFilter) {
  mlc::Rng rng(8);
  const Eigen::MatrixXd X = rng.normal_matrix(40, 8);
  const Eigen::VectorXd y = X * rng.normal_vector(8) + rng.normal_vector(40);
  const rg::GramProblem p = rg::make_gram_problem(X, y);
  const rg::RidgeSvd svd(X, y);
  const Eigen::VectorXd& s = svd.singular_values();
  const double step = 0.9 * 40.0 / (s(0) * s(0));
  const std::vector<int> steps = {0, 1, 5, 50, 500};
  const rg::GdIterates gd = rg::least_squares_gradient_descent(p, step, steps);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    // (10) w_t = V diag(f_t / s) Uᵀy
    const Eigen::VectorXd f = rg::gradient_descent_filter(s, 40, step, steps[i]);
    const Eigen::VectorXd expected = svd.V() * (f.array() / s.array() * svd.Uty().array()).matrix();
    EXPECT_ALLCLOSE(gd.coefs.col(static_cast<Eigen::Index>(i)), expected, 1e-10);
  }
}

TEST(EarlyStopping, NearestRidgeLambdaFallsLikeOneOverTEta) {
  mlc::Rng rng(9);
  const Eigen::MatrixXd X = rng.normal_matrix(60, 20);
  const Eigen::VectorXd y = X * (0.3 * rng.normal_vector(20)) + rng.normal_vector(60);
  const rg::GramProblem p = rg::make_gram_problem(X, y);
  const rg::RidgeSvd svd(X, y);
  const Eigen::VectorXd& s = svd.singular_values();
  const double g_max = s(0) * s(0) / 60, g_min = s(s.size() - 1) * s(s.size() - 1) / 60;
  const double step = 1.0 / g_max;
  const std::vector<int> steps = {1, 2, 4, 8};
  const rg::GdIterates gd = rg::least_squares_gradient_descent(p, step, steps);
  const Eigen::VectorXd grid = rg::lambda_grid(1e2, 1e-7, 600);
  double previous = 1e300;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const double t_eta = steps[i] * step;
    ASSERT_GT(1 / t_eta, g_min);  // inside the spectrum, where the match is informative
    double best_dist = 1e300, lambda_star = 0;
    for (Eigen::Index k = 0; k < grid.size(); ++k) {
      const double dist = (svd.fit(grid(k)).w - gd.coefs.col(static_cast<Eigen::Index>(i))).norm();
      if (dist < best_dist) best_dist = dist, lambda_star = grid(k);
    }
    // λ* decreases with t, and λ*·tη stays within a constant factor of 1: the filters
    // 1 − e^{−x} and x/(1 + x) (x = g tη) cross 1/2 at x = ln 2 and x = 1.
    EXPECT_LT(lambda_star, previous);
    previous = lambda_star;
    EXPECT_GT(lambda_star * t_eta, 0.1);
    EXPECT_LT(lambda_star * t_eta, 2.0);
  }
}

// ---- 4. Failure modes
// -----------------------------------------------------------------------------

namespace {
Eigen::VectorXd pair_weights() {
  Eigen::VectorXd w(5);
  w << 1.0, 1.0, 0.5, 0.0, 0.0;
  return w;
}
}  // namespace

TEST(FailureModes, LassoPicksEitherOfTwoCorrelatedFeaturesLikeACoin) {
  // Independent data sets with ρ = 0.99 and equal true coefficients: when the lasso keeps
  // exactly one of the pair, by symmetry it is x₁ with probability 1/2.
  mlc::Rng rng(31);
  const int M = 200;
  int one = 0, x1 = 0;
  for (int r = 0; r < M; ++r) {
    const auto data = rg::make_correlated_pair(100, 5, 0.99, pair_weights(), 1.0, rng);
    const rg::GramProblem p = rg::make_gram_problem(data.X, data.y);
    const Eigen::VectorXd w = rg::elastic_net_cd(p, 0.2 * rg::lambda_max(p, 1.0), 1.0).w;
    if ((w(0) != 0.0) != (w(1) != 0.0)) {
      ++one;
      x1 += w(0) != 0.0;
    }
  }
  // The full run measured P(exactly one) = 0.34 over 400 data sets; with M = 200 its
  // standard error is √(0.34·0.66/200) = 0.034, so 0.15 lies more than 5 SE below.
  EXPECT_GT(static_cast<double>(one) / M, 0.15);
  // Binomial(one, 1/2): |x1/one − 1/2| ≤ 4 SE with SE = 0.5/√one.
  EXPECT_NEAR(static_cast<double>(x1) / one, 0.5, 4 * 0.5 / std::sqrt(static_cast<double>(one)));
}

TEST(FailureModes, LassoSelectionOfACorrelatedPairIsUnstableUnderBootstrap) {
  mlc::Rng data_rng = mlc::Rng(42).derive(2000);  // the data set of the full run
  const auto data = rg::make_correlated_pair(100, 5, 0.99, pair_weights(), 1.0, data_rng);
  const rg::GramProblem p = rg::make_gram_problem(data.X, data.y);
  const double lambda = 0.2 * rg::lambda_max(p, 1.0);
  mlc::Rng boot1(77), boot2(77);
  const int B = 100;
  const auto lasso = rg::bootstrap_pair_selection(data.X, data.y, lambda, 1.0, 0, 1, B, boot1);
  const auto net = rg::bootstrap_pair_selection(data.X, data.y, lambda, 0.1, 0, 1, B, boot2);
  // The full run (B = 400) measured the most frequent lasso pattern (only x₂) at 0.68; with
  // B = 100 its SE is √(0.68·0.32/100) = 0.047, so a pattern frequency above 0.9 (4.7 SE)
  // would mean the selection had become stable.
  const int modal = std::max({lasso.only_first, lasso.only_second, lasso.both, lasso.neither});
  EXPECT_LT(static_cast<double>(modal) / B, 0.9);
  EXPECT_GT(lasso.mean_relative_gap, 0.5);  // measured 0.86: one coefficient dominates
  // Mitigation: the elastic net keeps both, with nearly equal weights (measured 0.026).
  EXPECT_EQ(net.both, B);
  EXPECT_LT(net.mean_relative_gap, 0.1);
}

TEST(FailureModes, RescalingAFeatureChangesLassoSelectionAndStandardizingUndoesIt) {
  const Xy d = diabetes();
  const rg::GramProblem p = rg::make_gram_problem(d.X, d.y);
  const double lambda = 0.1 * rg::lambda_max(p, 1.0);
  const rg::LinearModel base = rg::elastic_net(d.X, d.y, lambda, 1.0);
  Eigen::MatrixXd X = d.X;
  X.col(0) *= 1000.0;  // age
  X.col(2) /= 1000.0;  // bmi
  const rg::LinearModel units = rg::elastic_net(X, d.y, lambda, 1.0);
  EXPECT_EQ(base.w(0), 0.0);
  EXPECT_NE(units.w(0), 0.0);  // age enters for reasons of units
  EXPECT_NE(base.w(2), 0.0);
  EXPECT_EQ(units.w(2), 0.0);  // the strongest predictor is dropped
  mlc::Standardizer scaler;
  const rg::LinearModel restored =
      rg::elastic_net(scaler.fit_transform(X), d.y, lambda, 1.0, tight());
  EXPECT_ALLCLOSE(restored.w, rg::elastic_net(d.X, d.y, lambda, 1.0, tight()).w, 1e-8);
}

// ---- Inputs and the program
// ------------------------------------------------------------------------

TEST(Inputs, BadShapesAndPenaltiesThrow) {
  const Eigen::MatrixXd X = Eigen::MatrixXd::Ones(5, 2);
  const Eigen::VectorXd y = Eigen::VectorXd::Ones(4);
  EXPECT_THROW(rg::ridge_cholesky(X, y, 1.0), std::invalid_argument);
  EXPECT_THROW(rg::make_gram_problem(X, y), std::invalid_argument);
  const Eigen::VectorXd y5 = Eigen::VectorXd::LinSpaced(5, 0, 1);
  EXPECT_THROW(rg::ridge_cholesky(X, y5, -1.0), std::invalid_argument);
  const rg::GramProblem p = rg::make_gram_problem(X, y5);
  EXPECT_THROW(rg::elastic_net_cd(p, 1.0, 1.5), std::invalid_argument);
  EXPECT_THROW(rg::lambda_max(p, 0.0), std::invalid_argument);
  EXPECT_THROW(rg::soft_threshold(1.0, -0.1), std::invalid_argument);
  EXPECT_THROW(rg::ridge_cholesky(X, y5, 0.0), mlc::NumericalError);  // constant columns: singular
}

TEST(Program, QuickRunWritesTheNamedMetrics) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  for (const char* name : {"diabetes.ridge.cv_mse", "diabetes.lasso.lambda_1se",
                           "diabetes.lasso.selected_features", "diabetes.lasso.test_r2"}) {
    EXPECT_TRUE(m.count(name)) << name;
  }
  EXPECT_GE(m.at("diabetes.lasso.lambda_1se"), m.at("diabetes.lasso.lambda_min"));
  EXPECT_EQ(m.at("diabetes.lasso.entry_order_matching_lars_prefix"), 10);
}
