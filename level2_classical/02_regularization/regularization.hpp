// regularization.hpp: penalised least squares. Ridge in closed form (Cholesky of the
// normal equations and the SVD), lasso and elastic net by cyclic coordinate descent with
// soft thresholding (covariance updates, active set, warm starts along a λ path, duality
// gap), λ chosen by K-fold cross-validation with the one-standard-error rule, and early
// stopping of gradient descent as an implicit ridge penalty.
//
// The objective (NOTES.md (1)), with the intercept b unpenalised:
//
//   J(b, w) = 1/(2n) ‖y − b·1 − Xw‖² + λ ( α‖w‖₁ + (1−α)/2 ‖w‖² ),   0 ≤ α ≤ 1.
//
// b is removed by centering: with X̄, ȳ the column means, b = ȳ − X̄ w and w minimises J on
// the centered data Xc = X − 1X̄, yc = y − ȳ. α = 0 is ridge, α = 1 the lasso.
//
//   ridge         (XcᵀXc + nλI) w = Xcᵀyc                                        (2)
//   ridge by SVD  Xc = U S Vᵀ:  w = V diag(s/(s² + nλ)) Uᵀyc                     (3)
//   effective df  df(λ) = Σ s²/(s² + nλ) = tr H(λ)                              (4)
//   soft thresh.  S(z, γ) = sign(z) max(|z| − γ, 0)                              (5)
//   CD update     w_j ← S(c_j − (Gw)_j + G_jj w_j, λα) / (G_jj + λ(1−α)),
//                 G = XcᵀXc/n, c = Xcᵀyc/n   (covariance updates)                (6)
//   λ_max         max_j |x_jᵀ yc| / (nα): the smallest λ with w = 0               (7)
//   duality gap   P(w) − D(θ) ≥ 0, zero exactly at the optimum                   (8)
//   one-SE rule   the largest λ with CV(λ) ≤ CV(λ_min) + SE(λ_min)               (9)
//   GD filter     w_t = V diag((1 − (1 − ηs²/n)^t)/s) Uᵀyc  ≈ ridge at λ = 1/(tη) (10)
//
// Sources: Hoerl & Kennard (1970), "Ridge regression", Technometrics 12(1); Tibshirani
// (1996), "Regression shrinkage and selection via the lasso", JRSS-B 58(1); Zou & Hastie
// (2005), "Regularization and variable selection via the elastic net", JRSS-B 67(2);
// Friedman, Hastie & Tibshirani (2010), "Regularization paths for generalized linear
// models via coordinate descent", J. Stat. Software 33(1) (the algorithm followed here:
// §2.1–2.6, covariance updates §2.2, warm starts and λ_max §2.5); Efron, Hastie, Johnstone
// & Tibshirani (2004), "Least angle regression", Ann. Statist. 32(2) (the diabetes data);
// Hastie, Tibshirani & Friedman, ESL 2nd ed. §3.4 (ridge, lasso, df), §7.10 (CV, one-SE
// rule); Yao, Rosasco & Caponnetto (2007), "On early stopping in gradient descent
// learning", Constr. Approx. 26.
//
// Layout: rows are samples, X is n × d, y has n entries, w has d entries. Coefficients of
// a path are stored column by column: coefs is d × L for L values of λ. Functions are pure
// (no I/O) and check their inputs with mlc::require.
#pragma once

#include <functional>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace regularization {

// ---- Models and centering -------------------------------------------------------------------

struct LinearModel {
  Eigen::VectorXd w;                                        // d coefficients
  double intercept = 0;                                     // b = ȳ − X̄ w (unpenalised)
  Eigen::VectorXd predict(const Eigen::MatrixXd& X) const;  // Xw + b   [n]
};

// The sufficient statistics of (1) on centered data, computed once per data set:
// G = XcᵀXc/n [d × d], c = Xcᵀyc/n [d], yy = ycᵀyc/n. nd² flops; every later step of
// coordinate descent costs O(d) per changed coefficient, independent of n.
struct GramProblem {
  Eigen::MatrixXd G;
  Eigen::VectorXd c;
  double yy = 0;
  Eigen::RowVectorXd x_mean;
  double y_mean = 0;
  Eigen::Index n = 0;
  Eigen::Index d() const { return G.rows(); }
  // The model with coefficients w and intercept b = ȳ − X̄ w.
  LinearModel model(const Eigen::VectorXd& w) const;
};
GramProblem make_gram_problem(const Eigen::MatrixXd& X, const Eigen::VectorXd& y);

// Centered copies: Xc = X − 1X̄, yc = y − ȳ.
void center(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, Eigen::MatrixXd& Xc,
            Eigen::VectorXd& yc);

// ---- The objective ------------------------------------------------------------------------

// (1) on centered data: 1/(2n)‖yc − Xc w‖² + λ(α‖w‖₁ + (1−α)/2‖w‖²). 2nd flops.
double elastic_net_objective(const Eigen::MatrixXd& Xc, const Eigen::VectorXd& yc,
                             const Eigen::VectorXd& w, double lambda, double alpha);
// Gradient of the smooth part of (1): −Xcᵀ(yc − Xc w)/n + λ(1−α) w. With α = 0 it is the
// full gradient of the ridge objective. 4nd flops.
Eigen::VectorXd smooth_gradient(const Eigen::MatrixXd& Xc, const Eigen::VectorXd& yc,
                                const Eigen::VectorXd& w, double lambda, double alpha);

// ---- Ridge -------------------------------------------------------------------------------

// (2) by Cholesky (LLᵀ) of XcᵀXc + nλI. nd² + d³/3 flops. λ ≥ 0; λ = 0 is OLS and needs
// full column rank (throws mlc::NumericalError otherwise).
LinearModel ridge_cholesky(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double lambda);

// (3) the shrinkage V diag(s/(s² + nλ)) Uᵀy in SVD coordinates: s are the singular values
// [r], V [d × r], Uty = Uᵀyc [r], n_lambda = nλ. O(dr) flops. A zero singular value with
// nλ = 0 contributes nothing (the minimum-norm solution).
Eigen::VectorXd ridge_svd_coefficients(const Eigen::VectorXd& s, const Eigen::MatrixXd& V,
                                       const Eigen::VectorXd& Uty, double n_lambda);

// (4) effective degrees of freedom Σ s²/(s² + nλ).
double effective_degrees_of_freedom(const Eigen::VectorXd& s, double n_lambda);

// One thin SVD of Xc (O(nd²)), then ridge for any λ in O(d²): the whole ridge path.
class RidgeSvd {
 public:
  RidgeSvd(const Eigen::MatrixXd& X, const Eigen::VectorXd& y);
  LinearModel fit(double lambda) const;            // (3)
  double degrees_of_freedom(double lambda) const;  // (4)
  const Eigen::VectorXd& singular_values() const { return s_; }
  const Eigen::MatrixXd& V() const { return V_; }
  const Eigen::VectorXd& Uty() const { return Uty_; }
  Eigen::Index n() const { return n_; }

 private:
  Eigen::VectorXd s_, Uty_;
  Eigen::MatrixXd V_;
  Eigen::RowVectorXd x_mean_;
  double y_mean_ = 0;
  Eigen::Index n_ = 0;
};

// ---- Lasso and elastic net by coordinate descent -------------------------------------------

// (5) S(z, γ) = sign(z) max(|z| − γ, 0), γ ≥ 0: the proximal map of γ|·|.
double soft_threshold(double z, double gamma);

// One cyclic pass of (6) over the coordinates `coords`, updating w and Gw = G w in place
// (Gw += δ G.col(j) when w_j moves by δ: O(d) per changed coefficient). Returns the largest
// |δ_j| · sqrt(G_jj) (the change measured in units of the fit). `updates` counts the
// coefficients that changed.
double coordinate_descent_sweep(const Eigen::MatrixXd& G, const Eigen::VectorXd& c, double lambda,
                                double alpha, const std::vector<Eigen::Index>& coords,
                                Eigen::VectorXd& w, Eigen::VectorXd& Gw, long& updates);

// (8) the duality gap of (1) at w, written with G, c, yy only (O(d²)). The elastic net is a
// lasso on the augmented data [Xc; √(nλ(1−α)) I], [yc; 0], whose dual point is the scaled
// residual θ = s·r/n with s chosen so that ‖X̃ᵀθ‖_∞ ≤ λα.
double duality_gap(const GramProblem& problem, const Eigen::VectorXd& w, double lambda,
                   double alpha);

struct CdOptions {
  int max_sweeps = 100000;  // full plus active-set passes
  double tol = 1e-7;        // check the gap once max |δ_j| sqrt(G_jj) < tol · sqrt(yy) ...
  double gap_tol = 1e-9;    // ... and stop when the duality gap < gap_tol · yy
  bool active_set = true;   // sweep the non-zero coefficients until they settle, then all
};

struct CdResult {
  Eigen::VectorXd w;
  int sweeps = 0;               // passes over a coordinate set
  long coordinate_updates = 0;  // coefficient changes (each costs O(d))
  long coordinate_visits = 0;   // coefficients examined (each costs O(1) + the update)
  double duality_gap = 0;
  bool converged = false;
};

// Minimises (1) for one λ from the start w0 (a warm start; zeros when empty).
// 0 < α ≤ 1, or α = 0 with λ > 0 (ridge by coordinate descent).
CdResult elastic_net_cd(const GramProblem& problem, double lambda, double alpha,
                        const Eigen::VectorXd& w0 = {}, const CdOptions& options = {});

// Convenience: builds the Gram problem and returns the fitted model.
LinearModel elastic_net(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double lambda,
                        double alpha, const CdOptions& options = {});

// (7) λ_max = max_j |x_jᵀ yc| / (nα) (α > 0).
double lambda_max(const GramProblem& problem, double alpha);

// `count` values geometrically spaced from lambda_max down to ratio · lambda_max.
Eigen::VectorXd lambda_grid(double lambda_max, double ratio, int count);

struct Path {
  Eigen::VectorXd lambdas;     // L, as given (usually decreasing)
  Eigen::MatrixXd coefs;       // d × L
  Eigen::VectorXd intercepts;  // L
  long coordinate_updates = 0;
  long coordinate_visits = 0;
  int sweeps = 0;
  double max_duality_gap = 0;  // over the path (relative to yy)
  bool converged = true;
  LinearModel model(Eigen::Index k) const;
};

// The elastic-net path along `lambdas`, each solve warm-started from the previous one when
// warm_start (else from zero). Friedman et al. (2010) §2.5.
Path elastic_net_path(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double alpha,
                      const Eigen::VectorXd& lambdas, const CdOptions& options = {},
                      bool warm_start = true);
Path elastic_net_path(const GramProblem& problem, double alpha, const Eigen::VectorXd& lambdas,
                      const CdOptions& options = {}, bool warm_start = true);

// The ridge path from one SVD (3).
Path ridge_path(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& lambdas);

// For each column of `coefs` [d × L] taken in order, the order in which coefficients first
// become non-zero (|w_j| > threshold); ties within one column broken by larger |w_j|.
// Coefficients that never enter are left out.
std::vector<Eigen::Index> entry_order(const Eigen::MatrixXd& coefs, double threshold = 0.0);

// ---- Choosing λ by cross-validation ---------------------------------------------------------

// Fits the whole path on a training part: (X, y, lambdas) -> Path.
using PathFitter = std::function<Path(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                      const Eigen::VectorXd& lambdas)>;

struct CvCurve {
  Eigen::VectorXd lambdas;   // L
  Eigen::MatrixXd fold_mse;  // K × L held-out mean squared error
  Eigen::VectorXd mean_mse;  // L
  Eigen::VectorXd se_mse;    // L: sample sd over folds / √K
  Eigen::Index index_min = 0, index_1se = 0;
  double lambda_min = 0, lambda_1se = 0;
};

// K-fold CV of a path over the given folds (from mlc::kfold_indices). With
// standardize_in_fold, each fold's training part is standardized with its own statistics
// (mlc::Standardizer) and the held-out part with the same ones.
CvCurve cross_validate_path(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                            const Eigen::VectorXd& lambdas,
                            const std::vector<std::vector<Eigen::Index>>& folds,
                            const PathFitter& fitter, bool standardize_in_fold = true);

// (9) The index of the largest λ whose mean CV error is within one standard error of the
// minimum: mean(k) ≤ mean(k_min) + se(k_min). lambdas in any order.
Eigen::Index one_standard_error_rule(const Eigen::VectorXd& lambdas, const Eigen::VectorXd& mean,
                                     const Eigen::VectorXd& se);

// ---- Early stopping -------------------------------------------------------------------------

struct GdIterates {
  std::vector<int> steps;      // iteration counts recorded (ascending)
  Eigen::MatrixXd coefs;       // d × steps.size()
  Eigen::VectorXd intercepts;  // steps.size()
};

// Gradient descent on the unpenalised least squares 1/(2n)‖yc − Xc w‖² from w = 0 with
// step η: w ← w + η (c − Gw) (covariance form, O(d²) per step). Records the iterates after
// each count in record_at (ascending, ≥ 0). Converges for 0 < η < 2/L, L = s_max²/n.
GdIterates least_squares_gradient_descent(const GramProblem& problem, double step,
                                          const std::vector<int>& record_at);

// (10) the spectral filters: ridge s²/(s² + nλ) and gradient descent 1 − (1 − ηs²/n)^t.
Eigen::VectorXd ridge_filter(const Eigen::VectorXd& s, Eigen::Index n, double lambda);
Eigen::VectorXd gradient_descent_filter(const Eigen::VectorXd& s, Eigen::Index n, double step,
                                        int t);

// ---- Measurements used by the experiments and the failure-mode tests ------------------------

// n samples of d features, the first two a correlated pair: x₀ ~ N(0,1), x₁ = ρx₀ +
// √(1−ρ²) e; the rest independent N(0,1). y = Xw + σ ε.
struct SyntheticRegression {
  Eigen::MatrixXd X;
  Eigen::VectorXd y, w;
};
SyntheticRegression make_correlated_pair(Eigen::Index n, Eigen::Index d, double rho,
                                         const Eigen::VectorXd& w, double noise, mlc::Rng& rng);

// Sparse regression for support recovery: X ~ N(0, Σ) with Σ_jk = ρ^|j−k| (AR(1)); k of
// the d coefficients, evenly spaced (j = i·d/k), are ±magnitude with random signs, the
// rest zero; y = Xw + σ ε.
SyntheticRegression make_sparse_regression(Eigen::Index n, Eigen::Index d, Eigen::Index k,
                                           double magnitude, double rho, double noise,
                                           mlc::Rng& rng);

// Selection of a pair of features (i, j) by a model fitted on B bootstrap resamples.
struct PairSelection {
  int resamples = 0;
  int only_first = 0, only_second = 0, both = 0, neither = 0;
  int first_larger = 0;          // |w_i| > |w_j|
  double mean_relative_gap = 0;  // mean over resamples of |w_i − w_j| / (|w_i| + |w_j|)
};
// Fits elastic_net(X*, y*, lambda, alpha) on `resamples` bootstrap resamples (rows drawn
// with replacement from rng) and counts how (i, j) were selected (|w| > threshold).
PairSelection bootstrap_pair_selection(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                       double lambda, double alpha, Eigen::Index i, Eigen::Index j,
                                       int resamples, mlc::Rng& rng, double threshold = 1e-10);

}  // namespace regularization
