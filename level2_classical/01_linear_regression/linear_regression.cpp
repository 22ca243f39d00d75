// linear_regression.cpp: OLS by normal equations, Householder QR and gradient descent;
// t/F inference with Boost.Math; leverage, Cook's distance, VIF, QQ plot. Equation numbers
// (n) refer to NOTES.md. The factorizations come from lesson 1.2 (linear_algebra), the
// loss is minimised by the methods of lesson 1.4 (gradient_descent).
#include "linear_regression.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <Eigen/Eigenvalues>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "linear_algebra.hpp"
#include "mlc/error.hpp"

namespace linear_regression {

namespace {

void require_system(const Eigen::MatrixXd& A, const Eigen::VectorXd& y, const char* function) {
  mlc::require(A.rows() == y.size(), function,
               fmt::format("A is {} × {} but y has {} entries", A.rows(), A.cols(), y.size()));
  mlc::require(
      A.rows() > A.cols() && A.cols() > 0, function,
      fmt::format("needs more rows than columns (n > p >= 1), got {} × {}", A.rows(), A.cols()));
  mlc::require(A.allFinite() && y.allFinite(), function, "A and y must be finite");
}

// The two-sided quantile t_{df, (1+level)/2}.
double t_quantile(double df, double level) {
  mlc::require(level > 0.0 && level < 1.0, "t_quantile",
               fmt::format("level must be in (0, 1), got {}", level));
  const boost::math::students_t dist(df);
  return boost::math::quantile(dist, 0.5 * (1.0 + level));
}

// a₀ᵀ(AᵀA)⁻¹a₀ = ‖R⁻ᵀ a₀‖² for each row a₀ of A0.   [m]
Eigen::VectorXd quadratic_form_inverse_gram(const OlsFit& fit, const Eigen::MatrixXd& A0,
                                            const char* function) {
  mlc::require(A0.cols() == fit.p, function,
               fmt::format("new rows have {} columns, the fit has p = {}", A0.cols(), fit.p));
  return (A0 * fit.R_inverse).rowwise().squaredNorm();  // row i: a₀ᵀ R⁻¹ (R⁻¹)ᵀ a₀
}

Intervals interval(const OlsFit& fit, const Eigen::MatrixXd& A0, double level, double extra,
                   const char* function) {
  const Eigen::VectorXd q = quadratic_form_inverse_gram(fit, A0, function);
  const double t = t_quantile(fit.df(), level);
  Intervals out;
  out.center = A0 * fit.coefficients;
  const Eigen::VectorXd half = t * fit.sigma * (q.array() + extra).sqrt().matrix();
  out.lower = out.center - half;
  out.upper = out.center + half;
  return out;
}

}  // namespace

Eigen::MatrixXd design_matrix(const Eigen::MatrixXd& X) {
  mlc::require(X.rows() > 0, "design_matrix", "X has no rows");
  Eigen::MatrixXd A(X.rows(), X.cols() + 1);
  A.col(0).setOnes();
  A.rightCols(X.cols()) = X;
  return A;
}

// ---- Solvers -------------------------------------------------------------------------------

Eigen::VectorXd ols_normal_equations(const Eigen::MatrixXd& A, const Eigen::VectorXd& y) {
  require_system(A, y, "ols_normal_equations");
  const Eigen::MatrixXd gram = A.transpose() * A;  // AᵀA   [p × p], np² flops
  const Eigen::VectorXd rhs = A.transpose() * y;   // Aᵀy   [p]
  const linear_algebra::CholeskyFactorization chol = linear_algebra::cholesky(gram);
  if (!chol.positive_definite) {
    throw mlc::NumericalError(fmt::format(
        "ols_normal_equations: AᵀA is not numerically positive definite (pivot {} of column {})",
        chol.failed_pivot, chol.failed_column));
  }
  // (2) L Lᵀ β = Aᵀy: forward, then back substitution
  const Eigen::VectorXd z = linear_algebra::solve_lower_triangular(chol.L, rhs);
  return linear_algebra::solve_upper_triangular(chol.L.transpose(), z);
}

Eigen::VectorXd ols_qr_solve(const Eigen::MatrixXd& A, const Eigen::VectorXd& y) {
  require_system(A, y, "ols_qr_solve");
  // BEGIN EXERCISE ols_qr_solve: least squares by Householder QR, equation (3)
  const linear_algebra::HouseholderQr qr = linear_algebra::householder_qr(A);
  const Eigen::VectorXd qty = linear_algebra::householder_apply_qt(qr, y);  // Qᵀy   [n]
  // ‖Aβ − y‖² = ‖Rβ − (Qᵀy)_{1:p}‖² + ‖(Qᵀy)_{p+1:n}‖²: the first term vanishes at (3)
  return linear_algebra::solve_upper_triangular(qr.R, qty.head(A.cols()));
  // END EXERCISE
}

double LeastSquaresLoss::value(const Eigen::VectorXd& beta) const {
  // (4) f(β) = ‖Aβ − y‖² / (2n)
  return 0.5 * (A * beta - y).squaredNorm() / static_cast<double>(A.rows());
}

Eigen::VectorXd LeastSquaresLoss::gradient(const Eigen::VectorXd& beta) const {
  mlc::require(beta.size() == A.cols(), "LeastSquaresLoss::gradient",
               fmt::format("β has {} entries, A has {} columns", beta.size(), A.cols()));
  // BEGIN EXERCISE least_squares_gradient: the gradient of the mean squared error, equation (5)
  const Eigen::VectorXd residual = A * beta - y;                    // Aβ − y   [n]
  return A.transpose() * residual / static_cast<double>(A.rows());  // Aᵀ(Aβ − y)/n   [p]
  // END EXERCISE
}

Eigen::VectorXd LeastSquaresLoss::hessian_eigenvalues() const {
  const Eigen::MatrixXd H = A.transpose() * A / static_cast<double>(A.rows());
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(H, Eigen::EigenvaluesOnly).eigenvalues();
}

gradient_descent::Objective LeastSquaresLoss::objective() const {
  return {[this](const Eigen::VectorXd& b) { return value(b); },
          [this](const Eigen::VectorXd& b) { return gradient(b); }};
}

Eigen::VectorXd unstandardize_coefficients(const Eigen::VectorXd& gamma,
                                           const Eigen::RowVectorXd& mean,
                                           const Eigen::RowVectorXd& scale) {
  mlc::require(gamma.size() == mean.size() + 1 && mean.size() == scale.size(),
               "unstandardize_coefficients",
               fmt::format("γ has {} entries; expected d + 1 with d = {} means and {} scales",
                           gamma.size(), mean.size(), scale.size()));
  Eigen::VectorXd beta(gamma.size());
  const Eigen::ArrayXd slopes =
      gamma.tail(mean.size()).array() / scale.transpose().array();  // γ_j / s_j
  beta.tail(mean.size()) = slopes.matrix();
  beta(0) = gamma(0) - (slopes * mean.transpose().array()).sum();  // γ_0 − Σ γ_j m_j / s_j
  return beta;
}

// ---- The fit and its inference ---------------------------------------------------------------

OlsFit ols_fit(const Eigen::MatrixXd& A, const Eigen::VectorXd& y) {
  require_system(A, y, "ols_fit");
  const linear_algebra::HouseholderQr qr = linear_algebra::householder_qr(A);
  OlsFit fit;
  fit.n = A.rows();
  fit.p = A.cols();
  fit.R = qr.R;
  const double scale = qr.R.diagonal().cwiseAbs().maxCoeff();
  for (Eigen::Index j = 0; j < fit.p; ++j) {
    if (!(std::abs(qr.R(j, j)) > 1e-14 * scale)) {
      throw mlc::NumericalError(fmt::format(
          "ols_fit: the design is rank deficient (|R({0},{0})| = {1:.3g} <= 1e-14 max |R_jj|); "
          "drop or combine collinear columns",
          j, std::abs(qr.R(j, j))));
    }
  }
  fit.Q = linear_algebra::householder_thin_q(qr);
  const Eigen::VectorXd qty = linear_algebra::householder_apply_qt(qr, y);
  fit.coefficients = linear_algebra::solve_upper_triangular(qr.R, qty.head(fit.p));  // (3)
  fit.R_inverse =
      qr.R.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(fit.p, fit.p));
  fit.fitted = A * fit.coefficients;
  fit.residuals = y - fit.fitted;
  fit.rss = fit.residuals.squaredNorm();
  fit.tss = (y.array() - y.mean()).matrix().squaredNorm();
  fit.r2 = fit.tss > 0 ? 1.0 - fit.rss / fit.tss : 0.0;
  const double n = static_cast<double>(fit.n);
  fit.adjusted_r2 = fit.tss > 0 ? 1.0 - (fit.rss / fit.df()) / (fit.tss / (n - 1.0)) : 0.0;
  fit.sigma = std::sqrt(fit.rss / fit.df());  // (6)
  mlc::require_finite(fit.coefficients, "ols_fit: coefficients");
  return fit;
}

Eigen::VectorXd coefficient_standard_errors(const OlsFit& fit) {
  mlc::require(fit.R_inverse.rows() == fit.p && fit.p > 0, "coefficient_standard_errors",
               "the fit has no R⁻¹ (use ols_fit)");
  // BEGIN EXERCISE coefficient_standard_errors: SE_j = σ̂ √[(AᵀA)⁻¹]_jj, equations (6)-(7)
  // (AᵀA)⁻¹ = (RᵀR)⁻¹ = R⁻¹R⁻ᵀ, whose j-th diagonal entry is the squared norm of row j of R⁻¹
  return fit.sigma * fit.R_inverse.rowwise().norm();
  // END EXERCISE
}

CoefficientTable coefficient_inference(const OlsFit& fit, double level) {
  CoefficientTable table;
  table.df = fit.df();
  table.level = level;
  table.estimate = fit.coefficients;
  table.std_error = coefficient_standard_errors(fit);
  table.t_statistic = table.estimate.cwiseQuotient(table.std_error);  // (8)
  const boost::math::students_t dist(table.df);
  table.p_value.resize(fit.p);
  for (Eigen::Index j = 0; j < fit.p; ++j) {  // 2 P(T > |t|), the complement avoids 1 − (1 − tiny)
    table.p_value(j) =
        2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(table.t_statistic(j))));
  }
  const double t = t_quantile(table.df, level);
  table.ci_lower = table.estimate - t * table.std_error;
  table.ci_upper = table.estimate + t * table.std_error;
  return table;
}

FTest overall_f_test(const OlsFit& fit) {
  mlc::require(fit.p >= 2, "overall_f_test", "needs at least one slope besides the intercept");
  FTest test;
  test.df1 = static_cast<double>(fit.p - 1);
  test.df2 = fit.df();
  test.statistic = ((fit.tss - fit.rss) / test.df1) / (fit.rss / test.df2);
  const boost::math::fisher_f dist(test.df1, test.df2);
  test.p_value = boost::math::cdf(boost::math::complement(dist, test.statistic));
  return test;
}

Intervals mean_response_interval(const OlsFit& fit, const Eigen::MatrixXd& A0, double level) {
  return interval(fit, A0, level, 0.0, "mean_response_interval");  // (9)
}

Intervals prediction_interval(const OlsFit& fit, const Eigen::MatrixXd& A0, double level) {
  return interval(fit, A0, level, 1.0, "prediction_interval");  // (10): the new ε adds σ²
}

// ---- Diagnostics -----------------------------------------------------------------------------

Eigen::VectorXd leverages(const OlsFit& fit) {
  mlc::require(fit.Q.rows() == fit.n && fit.n > 0, "leverages", "the fit has no Q (use ols_fit)");
  return fit.Q.rowwise().squaredNorm();  // (11) H = QQᵀ, h_ii = ‖q_i‖²
}

Eigen::VectorXd standardized_residuals(const OlsFit& fit) {
  const Eigen::VectorXd h = leverages(fit);
  // (12) Var(e_i) = σ² (1 − h_ii)
  return fit.residuals.array() / (fit.sigma * (1.0 - h.array()).sqrt());
}

Eigen::VectorXd cooks_distance(const OlsFit& fit) {
  mlc::require(fit.residuals.size() == fit.n && fit.n > fit.p, "cooks_distance",
               "needs a fit with n > p");
  // BEGIN EXERCISE cooks_distance: influence of each row on the whole fit, equation (13)
  const Eigen::ArrayXd h = leverages(fit).array();
  const Eigen::ArrayXd r = standardized_residuals(fit).array();
  return (r.square() * h / (static_cast<double>(fit.p) * (1.0 - h))).matrix();
  // END EXERCISE
}

Eigen::VectorXd variance_inflation_factors(const Eigen::MatrixXd& X) {
  mlc::require(
      X.cols() >= 2 && X.rows() > X.cols() + 1, "variance_inflation_factors",
      fmt::format("needs d >= 2 features and n > d + 1 rows, got {} × {}", X.rows(), X.cols()));
  // BEGIN EXERCISE variance_inflation_factors: VIF_j = 1 / (1 − R²_j), equation (14)
  const Eigen::Index d = X.cols();
  Eigen::VectorXd vif(d);
  Eigen::MatrixXd others(X.rows(), d - 1);
  for (Eigen::Index j = 0; j < d; ++j) {
    others << X.leftCols(j), X.rightCols(d - 1 - j);              // X without column j
    const OlsFit aux = ols_fit(design_matrix(others), X.col(j));  // x_j ~ 1 + x_{−j}
    vif(j) = 1.0 / (1.0 - aux.r2);
  }
  return vif;
  // END EXERCISE
}

QqPlot normal_qq(const Eigen::VectorXd& values) {
  mlc::require(values.size() >= 3 && values.allFinite(), "normal_qq",
               fmt::format("needs at least 3 finite values, got {}", values.size()));
  const Eigen::Index n = values.size();
  QqPlot qq;
  qq.sample = values;
  std::sort(qq.sample.begin(), qq.sample.end());
  qq.theoretical.resize(n);
  const boost::math::normal standard;
  for (Eigen::Index i = 0; i < n; ++i) {  // plotting positions (i − 0.5)/n, i = 1..n
    qq.theoretical(i) =
        boost::math::quantile(standard, (static_cast<double>(i) + 0.5) / static_cast<double>(n));
  }
  const Eigen::ArrayXd a = qq.theoretical.array() - qq.theoretical.mean();
  const Eigen::ArrayXd b = qq.sample.array() - qq.sample.mean();
  qq.correlation = (a * b).sum() / std::sqrt(a.square().sum() * b.square().sum());
  return qq;
}

// ---- Simulations -----------------------------------------------------------------------------

CoverageResult simulate_coefficient_coverage(const Eigen::MatrixXd& A, const Eigen::VectorXd& beta,
                                             double sigma, double level, int replications,
                                             mlc::Rng& rng) {
  mlc::require(beta.size() == A.cols(), "simulate_coefficient_coverage",
               fmt::format("β has {} entries, A has {} columns", beta.size(), A.cols()));
  mlc::require(replications >= 1 && sigma > 0, "simulate_coefficient_coverage",
               "needs replications >= 1 and σ > 0");
  // One QR for all draws: β̂ = R⁻¹Qᵀy, ŷ = QQᵀy, SE_j = σ̂ ‖row j of R⁻¹‖   (3), (7)
  const Eigen::VectorXd mean_response = A * beta;
  const OlsFit base = ols_fit(A, mean_response + sigma * rng.normal_vector(A.rows()));
  const Eigen::VectorXd row_norms = base.R_inverse.rowwise().norm();
  const double t = t_quantile(base.df(), level);
  Eigen::VectorXd covered = Eigen::VectorXd::Zero(A.cols());
  for (int r = 0; r < replications; ++r) {
    const Eigen::VectorXd y = mean_response + sigma * rng.normal_vector(A.rows());
    const Eigen::VectorXd qty = base.Q.transpose() * y;
    const Eigen::VectorXd estimate = base.R_inverse * qty;
    const double rss = (y - base.Q * qty).squaredNorm();
    const double sigma_hat = std::sqrt(rss / base.df());
    const Eigen::ArrayXd half = t * sigma_hat * row_norms.array();
    covered.array() += ((estimate - beta).array().abs() <= half).cast<double>();
  }
  CoverageResult out;
  out.replications = replications;
  out.coverage = covered / static_cast<double>(replications);
  out.monte_carlo_se = std::sqrt(level * (1.0 - level) / static_cast<double>(replications));
  return out;
}

CollinearityResult duplicate_feature_experiment(Eigen::Index n, double rho, double sigma,
                                                int replications, mlc::Rng& rng) {
  mlc::require(n >= 5 && rho >= 0.0 && rho < 1.0 && sigma > 0 && replications >= 2,
               "duplicate_feature_experiment",
               fmt::format("needs n >= 5, 0 <= ρ < 1, σ > 0, replications >= 2; got n = {}, ρ = {}",
                           n, rho));
  Eigen::MatrixXd X(n, 2);
  X.col(0) = rng.normal_vector(n);
  X.col(1) =
      rho * X.col(0) + std::sqrt(1.0 - rho * rho) * rng.normal_vector(n);  // corr(x₁, x₂) = ρ
  const Eigen::MatrixXd A = design_matrix(X);
  const Eigen::VectorXd mean_response = A * Eigen::Vector3d(1.0, 1.0, 1.0);
  CollinearityResult out;
  out.rho = rho;
  const Eigen::ArrayXd c0 = X.col(0).array() - X.col(0).mean(),
                       c1 = X.col(1).array() - X.col(1).mean();
  out.sample_correlation = (c0 * c1).sum() / std::sqrt(c0.square().sum() * c1.square().sum());
  out.vif = 1.0 / (1.0 - out.sample_correlation * out.sample_correlation);  // (14) with d = 2
  Eigen::VectorXd b1(replications);
  double se_sum = 0.0, se_combined_sum = 0.0;
  const Eigen::Vector3d contrast(0.0, 1.0, 1.0);  // β₁ + β₂
  for (int r = 0; r < replications; ++r) {
    const OlsFit fit = ols_fit(A, mean_response + sigma * rng.normal_vector(n));
    b1(r) = fit.coefficients(1);
    se_sum += coefficient_standard_errors(fit)(1);
    se_combined_sum +=
        fit.sigma * (contrast.transpose() * fit.R_inverse).norm();  // σ̂ √(cᵀ(AᵀA)⁻¹c)
  }
  out.mean_std_error = se_sum / replications;
  out.mean_sum_std_error = se_combined_sum / replications;
  out.empirical_sd = std::sqrt((b1.array() - b1.mean()).square().sum() / (replications - 1.0));
  return out;
}

}  // namespace linear_regression
