// linear_regression.hpp: ordinary least squares three ways (normal equations, Householder
// QR, gradient descent), the classical inference on its coefficients, and the residual
// diagnostics that tell when the fit can be trusted.
//
//   model          y = A β + ε,  ε ~ N(0, σ² I)                              NOTES.md (1)
//   normal eqs.    AᵀA β = Aᵀy by Cholesky                                    (2)
//   QR             A = QR,  R β = Qᵀy                                         (3)
//   GD             f(β) = ‖Aβ − y‖² / (2n),  ∇f = Aᵀ(Aβ − y) / n              (4)-(5)
//   inference      σ̂² = RSS/(n−p),  SE_j = σ̂ √[(AᵀA)⁻¹]_jj,  t_j = β̂_j / SE_j  (6)-(8)
//   intervals      mean response and prediction at a new row a₀              (9)-(10)
//   diagnostics    leverage h_ii, standardized residuals, Cook's distance,
//                  VIF_j = 1 / (1 − R²_j), normal QQ plot                    (11)-(14)
//
// Sources: Seber & Lee, Linear Regression Analysis, 2nd ed. (2003): §3.1-3.4 (OLS,
// Gauss-Markov), §5.1-5.3 (t and F inference, intervals), §10.2-10.6 (residuals, leverage,
// Cook's distance, collinearity). Golub & Van Loan, Matrix Computations, 4th ed., §5.3
// (least squares by QR and normal equations). Cook (1977), "Detection of influential
// observation in linear regression", Technometrics 19(1). Hastie, Tibshirani & Friedman,
// ESL 2nd ed., §3.2. Efron, Hastie, Johnstone & Tibshirani (2004), "Least angle
// regression" (the diabetes data).
//
// Layout: rows are samples. X is n × d (features), A = [1 | X] is the n × p design with
// p = d + 1 when an intercept is fitted; β has p entries, intercept first. Functions are
// pure (no I/O) and check their inputs with mlc::require.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "gradient_descent.hpp"
#include "mlc/rng.hpp"

namespace linear_regression {

// ---- Design --------------------------------------------------------------------------------

// A = [1 | X]: the design with an intercept column first.   [n × (d+1)]
Eigen::MatrixXd design_matrix(const Eigen::MatrixXd& X);

// ---- Solvers -------------------------------------------------------------------------------

// (2) β = (AᵀA)⁻¹ Aᵀy by Cholesky of the Gram matrix (lesson 1.2's cholesky and triangular
// solves). np² + p³/3 flops. Its error grows like κ(A)² u. Throws mlc::NumericalError when
// AᵀA is not numerically positive definite.
Eigen::VectorXd ols_normal_equations(const Eigen::MatrixXd& A, const Eigen::VectorXd& y);

// (3) β from A = QR (lesson 1.2's Householder QR): R β = (Qᵀy)_{1:p} by back substitution.
// 2np² − 2p³/3 flops; error grows like κ(A) u (+ κ(A)² u ‖r‖/‖A‖‖β‖).
Eigen::VectorXd ols_qr_solve(const Eigen::MatrixXd& A, const Eigen::VectorXd& y);

// (4)-(5) The mean squared-error loss f(β) = ‖Aβ − y‖² / (2n) as an objective for the
// solvers of lesson 1.4. Its Hessian is AᵀA / n, so L = λ_max(AᵀA)/n, μ = λ_min(AᵀA)/n.
struct LeastSquaresLoss {
  Eigen::MatrixXd A;  // n × p
  Eigen::VectorXd y;  // n

  double value(const Eigen::VectorXd& beta) const;              // (4), 2np flops
  Eigen::VectorXd gradient(const Eigen::VectorXd& beta) const;  // (5) Aᵀ(Aβ − y)/n, 4np flops
  Eigen::VectorXd hessian_eigenvalues() const;                  // of AᵀA/n, ascending
  gradient_descent::Objective objective() const;
};

// Coefficients γ fitted on standardized features z = (x − m) / s (intercept first) mapped
// back to the raw features: β_j = γ_j / s_j, β_0 = γ_0 − Σ_j γ_j m_j / s_j.
Eigen::VectorXd unstandardize_coefficients(const Eigen::VectorXd& gamma,
                                           const Eigen::RowVectorXd& mean,
                                           const Eigen::RowVectorXd& scale);

// ---- The fit and its inference ---------------------------------------------------------------

// Everything inference and diagnostics need, from one Householder QR of A.
struct OlsFit {
  Eigen::VectorXd coefficients;  // β̂   [p]
  Eigen::VectorXd fitted;        // ŷ = Aβ̂   [n]
  Eigen::VectorXd residuals;     // e = y − ŷ   [n]
  Eigen::MatrixXd Q;             // thin Q   [n × p]
  Eigen::MatrixXd R;             // upper triangular   [p × p]
  Eigen::MatrixXd R_inverse;     // R⁻¹, so (AᵀA)⁻¹ = R⁻¹R⁻ᵀ   [p × p]
  double rss = 0;                // Σ e_i²
  double tss = 0;                // Σ (y_i − ȳ)²
  double r2 = 0;                 // 1 − RSS/TSS (the intercept model is the baseline)
  double adjusted_r2 = 0;        // 1 − (RSS/(n−p)) / (TSS/(n−1))
  double sigma = 0;              // σ̂ = √(RSS/(n−p)), the residual standard error   (6)
  Eigen::Index n = 0, p = 0;
  double df() const { return static_cast<double>(n - p); }
};

// The OLS fit of y on A (A should contain an intercept column for r2 to be the usual R²).
// Requires n > p and A of full column rank (a zero diagonal of R is a NumericalError).
OlsFit ols_fit(const Eigen::MatrixXd& A, const Eigen::VectorXd& y);

// (7) SE_j = σ̂ √[(AᵀA)⁻¹]_jj with (AᵀA)⁻¹ = R⁻¹R⁻ᵀ, so [(AᵀA)⁻¹]_jj = ‖row j of R⁻¹‖².
Eigen::VectorXd coefficient_standard_errors(const OlsFit& fit);

// (8) t_j = β̂_j / SE_j ~ t_{n−p} under H0: β_j = 0; two-sided p-value 2 P(T > |t_j|);
// confidence interval β̂_j ± t_{n−p, (1+level)/2} SE_j. Boost.Math students_t.
struct CoefficientTable {
  Eigen::VectorXd estimate, std_error, t_statistic, p_value, ci_lower, ci_upper;
  double df = 0, level = 0.95;
};
CoefficientTable coefficient_inference(const OlsFit& fit, double level = 0.95);

// The overall F test of H0: all slopes are zero (the intercept-only model):
// F = (R²/(p−1)) / ((1−R²)/(n−p)) ~ F_{p−1, n−p}; p-value from Boost.Math fisher_f.
struct FTest {
  double statistic = 0, p_value = 0, df1 = 0, df2 = 0;
};
FTest overall_f_test(const OlsFit& fit);

// (9) confidence interval of the mean response a₀ᵀβ:  a₀ᵀβ̂ ± t σ̂ √(a₀ᵀ(AᵀA)⁻¹a₀)
// (10) prediction interval of a new y₀:               a₀ᵀβ̂ ± t σ̂ √(1 + a₀ᵀ(AᵀA)⁻¹a₀)
// A0 holds the new rows of the design (with the intercept column), m × p.
struct Intervals {
  Eigen::VectorXd center, lower, upper;  // m each
};
Intervals mean_response_interval(const OlsFit& fit, const Eigen::MatrixXd& A0, double level = 0.95);
Intervals prediction_interval(const OlsFit& fit, const Eigen::MatrixXd& A0, double level = 0.95);

// ---- Diagnostics -----------------------------------------------------------------------------

// (11) Leverages h_ii = [A(AᵀA)⁻¹Aᵀ]_ii = ‖row i of Q‖²; 0 ≤ h_ii ≤ 1, Σ h_ii = p.
Eigen::VectorXd leverages(const OlsFit& fit);
// (12) Internally studentized residuals r_i = e_i / (σ̂ √(1 − h_ii)).
Eigen::VectorXd standardized_residuals(const OlsFit& fit);
// (13) Cook's distance D_i = r_i² h_ii / (p (1 − h_ii)) = ‖A(β̂ − β̂₍ᵢ₎)‖² / (p σ̂²).
Eigen::VectorXd cooks_distance(const OlsFit& fit);

// (14) VIF_j = 1 / (1 − R²_j), R²_j from regressing column j of X on the other columns
// (with an intercept). VIF_j is also the j-th diagonal of the inverse correlation matrix.
Eigen::VectorXd variance_inflation_factors(const Eigen::MatrixXd& X);

// Normal QQ plot: the sorted sample against Φ⁻¹((i − 0.5)/n) (Boost.Math normal), and the
// correlation of the two columns (Filliben's statistic: near 1 for normal data).
struct QqPlot {
  Eigen::VectorXd theoretical, sample;
  double correlation = 0;
};
QqPlot normal_qq(const Eigen::VectorXd& values);

// ---- Simulations (the experiments of the failure modes and of the coverage) --------------

// Coverage of the `level` confidence interval (8) of each coefficient on a fixed design A:
// `replications` draws y = Aβ + σ ε, ε ~ N(0, I); the fraction of intervals that contain β_j.
// Monte-Carlo standard error √(level (1 − level) / replications).
struct CoverageResult {
  Eigen::VectorXd coverage;  // p
  int replications = 0;
  double monte_carlo_se = 0;
};
CoverageResult simulate_coefficient_coverage(const Eigen::MatrixXd& A, const Eigen::VectorXd& beta,
                                             double sigma, double level, int replications,
                                             mlc::Rng& rng);

// Two features with correlation ρ (a duplicate of x₁ with noise): x₁ ~ N(0,1),
// x₂ = ρ x₁ + √(1 − ρ²) z, y = 1 + x₁ + x₂ + σ ε, one fixed design of n rows and
// `replications` noise draws. Reports the VIF of x₁, the mean reported SE of β̂₁ and the
// empirical standard deviation of β̂₁ over the draws (they agree when (7) is right).
struct CollinearityResult {
  double rho = 0, sample_correlation = 0, vif = 0;
  double mean_std_error = 0;      // mean over draws of SE(β̂₁) from (7)
  double empirical_sd = 0;        // sample sd of β̂₁ over draws
  double mean_sum_std_error = 0;  // mean SE of β̂₁ + β̂₂ (the estimable combination)
};
CollinearityResult duplicate_feature_experiment(Eigen::Index n, double rho, double sigma,
                                                int replications, mlc::Rng& rng);

}  // namespace linear_regression
