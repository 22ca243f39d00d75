// Lesson 2.3 bias_variance: the bias–variance decomposition measured by repeated sampling,
// learning curves, and double descent of minimum-norm random-features regression.
//
// Conventions. One-dimensional problems: inputs x ∈ [0, 1] as Eigen::VectorXd [n]; the
// target f(x) = sin(2πx) plus Gaussian noise of standard deviation σ. Multi-dimensional
// problems (random features): rows are samples, X is n × d; the feature matrix Φ is n × p.
// Equation numbers refer to NOTES.md.
//
// References: S. Geman, E. Bienenstock & R. Doursat (1992), "Neural networks and the
// bias/variance dilemma", Neural Computation 4:1–58 (the decomposition (1)); T. Hastie,
// R. Tibshirani & J. Friedman, The Elements of Statistical Learning, 2nd ed. (2009), §2.9,
// §7.3 (bias–variance of k-NN and linear fits), §7.10 (cross-validation); M. Belkin, D. Hsu,
// S. Ma & S. Mandal (2019), "Reconciling modern machine-learning practice and the classical
// bias–variance trade-off", PNAS 116:15849 (double descent); A. Rahimi & B. Recht (2007),
// "Random features for large-scale kernel machines", NIPS; S. Mei & A. Montanari (2022),
// "The generalization error of random features regression: precise asymptotics and the
// double descent curve", CPAM 75:667 (the ReLU random-features model used here);
// T. Hastie, A. Montanari, S. Rosset & R. Tibshirani (2022), "Surprises in high-dimensional
// ridgeless least squares interpolation", Annals of Statistics 50:949; G. H. Golub &
// C. F. Van Loan, Matrix Computations, 4th ed. (2013), §5.5 (minimum-norm least squares).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace bias_variance {

// ---- The known function ---------------------------------------------------------------------

// f(x) = sin(2πx), the regression function of every one-dimensional experiment.
double sine_target(double x);

// A regression problem y = f(x) + σ ε, ε ~ N(0, 1). Training inputs are drawn x ~ U[0, 1]
// afresh for every training set (random design) unless `fixed_design` is non-empty, in
// which case only the noise is redrawn (fixed design). Test inputs are fixed.
struct RegressionProblem {
  std::function<double(double)> f = sine_target;
  double sigma = 0.3;
  Eigen::Index n = 30;           // training set size
  Eigen::VectorXd x_test;        // [m] test inputs (e.g. a uniform grid on [0, 1])
  Eigen::VectorXd fixed_design;  // [n] or empty
};

// m midpoints of a uniform grid on [0, 1]: (i + ½)/m. Averages over it approximate
// E_x over x ~ U[0, 1] (midpoint rule).
Eigen::VectorXd uniform_grid(Eigen::Index m);

// ---- Learners ---------------------------------------------------------------------------------

// Legendre design matrix Φ_ij = P_j(2 x_i − 1), j = 0..degree   [n × (degree+1)], by the
// three-term recurrence (k+1) P_{k+1}(t) = (2k+1) t P_k(t) − k P_{k−1}(t).            (6)
// On [0, 1] these columns are orthogonal in L²; the monomial basis x^j is not, and its
// condition number grows exponentially with the degree.
Eigen::MatrixXd legendre_design(const Eigen::VectorXd& x, int degree);
// The monomial (Vandermonde) design Φ_ij = x_i^j, for the conditioning comparison.
Eigen::MatrixXd monomial_design(const Eigen::VectorXd& x, int degree);

// Least-squares polynomial of a given degree in the Legendre basis, solved by
// Householder QR with column pivoting (7). Requires degree + 1 ≤ n.
struct PolynomialFit {
  int degree = 0;
  Eigen::VectorXd coefficients;  // [degree + 1], Legendre coefficients
  Eigen::VectorXd predict(const Eigen::VectorXd& x) const;
};
PolynomialFit fit_polynomial(const Eigen::VectorXd& x, const Eigen::VectorXd& y, int degree);

// One-dimensional k-NN regression: ŷ(x₀) = mean of the y_i of the k training inputs nearest
// to x₀ (8); ties in distance broken towards the smaller x. Requires 1 ≤ k ≤ n.
// Cost O(n log n + m (log n + k)) by sorting the training inputs once.
Eigen::VectorXd knn_regress(const Eigen::VectorXd& x_train, const Eigen::VectorXd& y_train,
                            const Eigen::VectorXd& x_query, int k);

// A learner fits on (x, y) and predicts at x_query.
using Learner = std::function<Eigen::VectorXd(const Eigen::VectorXd& x, const Eigen::VectorXd& y,
                                              const Eigen::VectorXd& x_query)>;
Learner polynomial_learner(int degree);
Learner knn_learner(int k);

// ---- The bias–variance decomposition ------------------------------------------------------------

// Estimates from R repeated training sets, averaged over the m test inputs:
//   ŷ_r(x)    the prediction of the model fitted on training set r       (R × m)
//   ȳ(x)      = (1/R) Σ_r ŷ_r(x)
//   variance  v(x) = 1/(R−1) Σ_r (ŷ_r(x) − ȳ(x))²        (unbiased)         (3)
//   bias²     b(x) = (ȳ(x) − f(x))² − v(x)/R             (unbiased)         (4)
//   error     e = mean_{r,x} (y⁰_r(x) − ŷ_r(x))² with fresh noisy targets y⁰
// so that exactly b(x) + v(x) = (1/R) Σ_r (f(x) − ŷ_r(x))², and
// e − (bias² + variance + σ²) = mean_{r,x} [σ²(ε²−1) + 2σε(f − ŷ_r)] has mean zero; its
// Monte-Carlo standard error (5) is computed from the R independent per-set means.
struct Decomposition {
  Eigen::VectorXd bias2_at, variance_at;  // per test input [m]
  double bias2 = 0, variance = 0;         // averaged over the test inputs
  double noise = 0;                       // σ², the irreducible error
  double noise_measured = 0;              // mean_{r,x} (y⁰ − f)², the realised noise
  double expected_test_error = 0;         // measured e
  double standard_error = 0;              // MC s.e. of e − (bias2 + variance + noise)   (5)
  double test_error_se = 0;               // MC s.e. of e itself
  double cross_standard_error = 0;        // MC s.e. of e − (bias2 + variance + noise_measured)
  double train_error = 0;                 // mean training MSE over the R sets
  int repeats = 0;
  double sum() const { return bias2 + variance + noise; }
  // (e − sum) / standard_error: a standard-normal draw when the identity (1) holds.
  double z_score() const;
  // The same with the realised noise in place of σ²: only the cross term 2(y⁰ − f)(f − ŷ)
  // remains, so the shared realised noise no longer moves every model's z together.
  double cross_z_score() const;
};

// The estimators (3)–(5) from the predictions [R × m], the true f at the test inputs [m],
// the fresh noisy test targets [R × m] and the noise variance σ².
Decomposition decompose(const Eigen::MatrixXd& predictions, const Eigen::VectorXd& f_test,
                        const Eigen::MatrixXd& test_targets, double noise_variance);

// Draws `repeats` training sets of `problem` (set r from rng.derive(r), so that every learner
// called with the same rng sees the same training sets: common random numbers), fits the
// learner on each, and returns decompose(...) with the mean training MSE filled in.
Decomposition bias_variance_decomposition(const Learner& learner, const RegressionProblem& problem,
                                          int repeats, const mlc::Rng& rng);

// ---- Model selection ----------------------------------------------------------------------------

// Training MSE and k-fold cross-validated MSE of polynomial fits of each degree on one
// training set. Training MSE is non-increasing in the degree (nested least squares).
struct DegreeSelection {
  std::vector<int> degrees;
  Eigen::VectorXd train_mse, cv_mse;
  int by_train = -1, by_cv = -1;  // the degrees that minimise each
};
DegreeSelection select_polynomial_degree(const Eigen::VectorXd& x, const Eigen::VectorXd& y,
                                         const std::vector<int>& degrees, int folds, mlc::Rng& rng);

// ---- Random features and minimum-norm least squares -------------------------------------------

// Random ReLU features φ_j(x) = max(0, w_jᵀ x / √d), w_j ~ N(0, I_d)  (9).
// W is p × d; returns Φ [n × p] for X [n × d].
Eigen::MatrixXd relu_features(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W);

// The minimum-norm least-squares solution a = Φ⁺ y = V Σ⁺ Uᵀ y (10), from the thin SVD,
// singular values below rcond · s_max treated as zero (rcond < 0: ε · max(n, p)).
struct LeastSquaresSolution {
  Eigen::VectorXd coefficients;     // [p]
  Eigen::VectorXd singular_values;  // [min(n, p)], descending
  Eigen::Index rank = 0;
};
LeastSquaresSolution min_norm_least_squares(const Eigen::MatrixXd& Phi, const Eigen::VectorXd& y,
                                            double rcond = -1.0);

// Ridge: argmin ||Φa − y||² + λ||a||² = V diag(s/(s² + λ)) Uᵀ y (11); λ → 0⁺ gives (10).
Eigen::VectorXd ridge_least_squares(const Eigen::MatrixXd& Phi, const Eigen::VectorXd& y,
                                    double lambda);

// The teacher of the double-descent experiment: x ~ N(0, I_d),
// y = βᵀx + ½((βᵀx)² − 1) + σ ε with ||β|| = 1 (a linear plus a quadratic part).
struct Teacher {
  Eigen::VectorXd beta;  // [d], unit norm
  double sigma = 0.5;
  double f(const Eigen::VectorXd& x) const;
};
Teacher make_teacher(Eigen::Index d, double sigma, mlc::Rng& rng);
struct TeacherSample {
  Eigen::MatrixXd X;  // [n × d]
  Eigen::VectorXd y;  // [n], noisy
};
TeacherSample sample_teacher(const Teacher& teacher, Eigen::Index n, mlc::Rng& rng);

// One random-features regression at width p: draw W (p × d), fit min-norm (10) and ridge
// (11) on the training sample, evaluate test MSE (noisy targets, model_evaluation's
// mean_squared_error), the coefficient norm and the smallest singular value of Φ.
struct RandomFeaturesResult {
  Eigen::Index p = 0;
  double train_mse = 0, test_mse = 0, ridge_test_mse = 0;
  double coefficient_norm = 0, ridge_coefficient_norm = 0;
  double sigma_min = 0;  // smallest singular value of Φ (of min(n, p))
};
RandomFeaturesResult random_features_regression(const TeacherSample& train,
                                                const TeacherSample& test, Eigen::Index p,
                                                double ridge_lambda, mlc::Rng& rng);

}  // namespace bias_variance
