// regularization.cpp: ridge, lasso and elastic net, their paths, cross-validation of λ and
// early stopping. Equation numbers refer to NOTES.md (and regularization.hpp). The
// coordinate descent follows Friedman, Hastie & Tibshirani (2010) §2: covariance updates
// (§2.2), warm starts from λ_max (§2.5), an active set swept until it settles; it departs
// from glmnet in stopping on the duality gap (8) as well as on the largest coefficient move.
#include "regularization.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>
#include <Eigen/Cholesky>
#include <Eigen/SVD>

#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "model_evaluation.hpp"

namespace regularization {

namespace {

void require_xy(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const char* function) {
  mlc::require(X.rows() == y.size(), function,
               fmt::format("X has {} rows but y has {} entries", X.rows(), y.size()));
  mlc::require(X.rows() >= 2, function, fmt::format("need at least 2 samples, got {}", X.rows()));
  mlc::require(X.cols() >= 1, function, "X has no columns");
}

void require_penalty(double lambda, double alpha, const char* function) {
  mlc::require(std::isfinite(lambda) && lambda >= 0, function,
               fmt::format("lambda must be finite and >= 0, got {}", lambda));
  mlc::require(alpha >= 0 && alpha <= 1, function,
               fmt::format("alpha must lie in [0, 1], got {}", alpha));
}

}  // namespace

// ---- Models and centering -------------------------------------------------------------------

Eigen::VectorXd LinearModel::predict(const Eigen::MatrixXd& X) const {
  mlc::require(X.cols() == w.size(), "LinearModel::predict",
               fmt::format("X has {} columns, the model {} coefficients", X.cols(), w.size()));
  return (X * w).array() + intercept;
}

LinearModel GramProblem::model(const Eigen::VectorXd& w) const {
  return {w, y_mean - x_mean.dot(w)};  // the intercept of centering: b = ȳ − X̄ w
}

void center(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, Eigen::MatrixXd& Xc,
            Eigen::VectorXd& yc) {
  require_xy(X, y, "center");
  Xc = X.rowwise() - X.colwise().mean();
  yc = y.array() - y.mean();
}

GramProblem make_gram_problem(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  require_xy(X, y, "make_gram_problem");
  GramProblem p;
  p.n = X.rows();
  p.x_mean = X.colwise().mean();
  p.y_mean = y.mean();
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  center(X, y, Xc, yc);
  const double n = static_cast<double>(p.n);
  p.G.noalias() = Xc.transpose() * Xc / n;  // [d × d], nd² flops
  p.c.noalias() = Xc.transpose() * yc / n;  // [d]
  p.yy = yc.squaredNorm() / n;
  mlc::require_finite(p.G, "make_gram_problem: XᵀX");
  return p;
}

// ---- The objective ------------------------------------------------------------------------

double elastic_net_objective(const Eigen::MatrixXd& Xc, const Eigen::VectorXd& yc,
                             const Eigen::VectorXd& w, double lambda, double alpha) {
  require_xy(Xc, yc, "elastic_net_objective");
  mlc::require(w.size() == Xc.cols(), "elastic_net_objective",
               fmt::format("w has {} entries, X {} columns", w.size(), Xc.cols()));
  const double n = static_cast<double>(Xc.rows());
  // (1)
  return (yc - Xc * w).squaredNorm() / (2 * n) +
         lambda * (alpha * w.lpNorm<1>() + 0.5 * (1 - alpha) * w.squaredNorm());
}

Eigen::VectorXd smooth_gradient(const Eigen::MatrixXd& Xc, const Eigen::VectorXd& yc,
                                const Eigen::VectorXd& w, double lambda, double alpha) {
  require_xy(Xc, yc, "smooth_gradient");
  mlc::require(w.size() == Xc.cols(), "smooth_gradient",
               fmt::format("w has {} entries, X {} columns", w.size(), Xc.cols()));
  const double n = static_cast<double>(Xc.rows());
  // ∇ of the smooth part of (1): −Xcᵀ(yc − Xc w)/n + λ(1−α) w   [d]
  return -Xc.transpose() * (yc - Xc * w) / n + lambda * (1 - alpha) * w;
}

// ---- Ridge -------------------------------------------------------------------------------

LinearModel ridge_cholesky(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double lambda) {
  require_xy(X, y, "ridge_cholesky");
  require_penalty(lambda, 0.0, "ridge_cholesky");
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  center(X, y, Xc, yc);
  const double n = static_cast<double>(X.rows());
  // (2) (XcᵀXc + nλI) w = Xcᵀyc by Cholesky LLᵀ: nd² + d³/3 flops
  Eigen::MatrixXd A = Xc.transpose() * Xc;
  A.diagonal().array() += n * lambda;
  const Eigen::LLT<Eigen::MatrixXd> llt(A);
  if (llt.info() != Eigen::Success) {
    throw mlc::NumericalError(fmt::format(
        "ridge_cholesky: XᵀX + nλI is not positive definite (λ = {}); use λ > 0", lambda));
  }
  const Eigen::VectorXd w = llt.solve(Xc.transpose() * yc);
  mlc::require_finite(w, "ridge_cholesky: coefficients");
  return {w, y.mean() - X.colwise().mean().dot(w)};
}

Eigen::VectorXd ridge_svd_coefficients(const Eigen::VectorXd& s, const Eigen::MatrixXd& V,
                                       const Eigen::VectorXd& Uty, double n_lambda) {
  mlc::require(s.size() == V.cols() && s.size() == Uty.size(), "ridge_svd_coefficients",
               fmt::format("s has {} entries, V {} columns, Uᵀy {} entries", s.size(), V.cols(),
                           Uty.size()));
  mlc::require(n_lambda >= 0, "ridge_svd_coefficients", "n_lambda must be >= 0");
  // BEGIN EXERCISE ridge_svd: w = V diag(s/(s² + nλ)) Uᵀy, equation (3)
  Eigen::VectorXd shrunk(s.size());  // the coordinates of w in the basis V   [r]
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    const double denominator = s(i) * s(i) + n_lambda;
    shrunk(i) = denominator > 0 ? s(i) / denominator * Uty(i) : 0.0;
  }
  return V * shrunk;  // [d]
  // END EXERCISE
}

double effective_degrees_of_freedom(const Eigen::VectorXd& s, double n_lambda) {
  mlc::require(n_lambda >= 0, "effective_degrees_of_freedom", "n_lambda must be >= 0");
  double df = 0;  // (4) Σ s²/(s² + nλ)
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    const double s2 = s(i) * s(i);
    if (s2 + n_lambda > 0) df += s2 / (s2 + n_lambda);
  }
  return df;
}

RidgeSvd::RidgeSvd(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  require_xy(X, y, "RidgeSvd");
  Eigen::MatrixXd Xc;
  Eigen::VectorXd yc;
  center(X, y, Xc, yc);
  // Xc = U S Vᵀ (thin): O(nd²)
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(Xc, Eigen::ComputeThinU | Eigen::ComputeThinV);
  s_ = svd.singularValues();
  V_ = svd.matrixV();
  Uty_ = svd.matrixU().transpose() * yc;
  x_mean_ = X.colwise().mean();
  y_mean_ = y.mean();
  n_ = X.rows();
}

LinearModel RidgeSvd::fit(double lambda) const {
  require_penalty(lambda, 0.0, "RidgeSvd::fit");
  const Eigen::VectorXd w = ridge_svd_coefficients(s_, V_, Uty_, static_cast<double>(n_) * lambda);
  return {w, y_mean_ - x_mean_.dot(w)};
}

double RidgeSvd::degrees_of_freedom(double lambda) const {
  return effective_degrees_of_freedom(s_, static_cast<double>(n_) * lambda);
}

// ---- Lasso and elastic net ----------------------------------------------------------------

double soft_threshold(double z, double gamma) {
  mlc::require(gamma >= 0, "soft_threshold", fmt::format("gamma must be >= 0, got {}", gamma));
  // BEGIN EXERCISE soft_threshold: S(z, γ) = sign(z) max(|z| − γ, 0), equation (5)
  if (z > gamma) return z - gamma;
  if (z < -gamma) return z + gamma;
  return 0.0;
  // END EXERCISE
}

double coordinate_descent_sweep(const Eigen::MatrixXd& G, const Eigen::VectorXd& c, double lambda,
                                double alpha, const std::vector<Eigen::Index>& coords,
                                Eigen::VectorXd& w, Eigen::VectorXd& Gw, long& updates) {
  // BEGIN EXERCISE lasso_coordinate_descent: one cyclic pass of the update (6)
  double max_change = 0;
  for (const Eigen::Index j : coords) {
    const double gjj = G(j, j);
    const double denominator = gjj + lambda * (1 - alpha);
    // partial residual correlation x_jᵀ(y − Σ_{k≠j} x_k w_k)/n = c_j − (Gw)_j + G_jj w_j
    const double z = c(j) - Gw(j) + gjj * w(j);
    const double w_new = denominator > 0 ? soft_threshold(z, lambda * alpha) / denominator : 0.0;
    const double delta = w_new - w(j);
    if (delta != 0.0) {
      w(j) = w_new;
      Gw.noalias() += delta * G.col(j);  // covariance update, O(d)
      ++updates;
      max_change = std::max(max_change, std::abs(delta) * std::sqrt(gjj));
    }
  }
  return max_change;
  // END EXERCISE
}

double duality_gap(const GramProblem& p, const Eigen::VectorXd& w, double lambda, double alpha) {
  mlc::require(w.size() == p.d(), "duality_gap",
               fmt::format("w has {} entries, the problem {} features", w.size(), p.d()));
  require_penalty(lambda, alpha, "duality_gap");
  const Eigen::VectorXd Gw = p.G * w;
  const double ridge = lambda * (1 - alpha);
  const double mu = lambda * alpha;
  // Primal (1): ‖r‖²/n = yy − 2cᵀw + wᵀGw
  const double rr = std::max(p.yy - 2 * p.c.dot(w) + w.dot(Gw), 0.0);
  const double primal = 0.5 * rr + 0.5 * ridge * w.squaredNorm() + mu * w.lpNorm<1>();
  if (mu == 0) {
    // Ridge (α = 0): no dual constraint to scale into; strong convexity with modulus
    // m ≥ λ bounds the suboptimality by ‖∇J‖²/(2λ).
    if (ridge == 0) return std::numeric_limits<double>::infinity();
    return (Gw - p.c + ridge * w).squaredNorm() / (2 * ridge);
  }
  // (8) augmented lasso: X̃ᵀr̃/n = c − Gw − λ(1−α)w, ‖r̃‖²/n = ‖r‖²/n + λ(1−α)‖w‖²,
  // r̃ᵀỹ/n = yy − cᵀw. Dual D(s) = s·r̃ᵀỹ/n − s²‖r̃‖²/(2n), feasible for |s| ≤ μ/‖X̃ᵀr̃/n‖∞.
  const double corr = (p.c - Gw - ridge * w).lpNorm<Eigen::Infinity>();
  const double rr_aug = rr + ridge * w.squaredNorm();
  const double ry = p.yy - p.c.dot(w);
  double s = rr_aug > 0 ? ry / rr_aug : 1.0;  // the unconstrained maximiser of D
  if (corr > 0) s = std::clamp(s, -mu / corr, mu / corr);
  const double dual = s * ry - 0.5 * s * s * rr_aug;
  return std::max(primal - dual, 0.0);
}

CdResult elastic_net_cd(const GramProblem& p, double lambda, double alpha,
                        const Eigen::VectorXd& w0, const CdOptions& options) {
  require_penalty(lambda, alpha, "elastic_net_cd");
  mlc::require(alpha > 0 || lambda > 0, "elastic_net_cd",
               "alpha = 0 with lambda = 0 is unpenalised least squares: use ridge_cholesky");
  mlc::require(w0.size() == 0 || w0.size() == p.d(), "elastic_net_cd",
               fmt::format("warm start has {} entries, the problem {} features", w0.size(), p.d()));
  const Eigen::Index d = p.d();
  CdResult result;
  result.w = w0.size() == 0 ? Eigen::VectorXd::Zero(d) : w0;
  Eigen::VectorXd Gw = p.G * result.w;  // maintained by covariance updates
  std::vector<Eigen::Index> all(static_cast<std::size_t>(d));
  std::iota(all.begin(), all.end(), Eigen::Index{0});
  const double gap_scale = std::max(p.yy, std::numeric_limits<double>::min());
  const double change_tol = options.tol * std::sqrt(gap_scale);  // in units of y
  std::vector<Eigen::Index> active;
  while (result.sweeps < options.max_sweeps) {
    // a full pass: lets any coefficient enter or leave
    const double change = coordinate_descent_sweep(p.G, p.c, lambda, alpha, all, result.w, Gw,
                                                   result.coordinate_updates);
    ++result.sweeps;
    result.coordinate_visits += d;
    if (change < change_tol) {
      result.duality_gap = duality_gap(p, result.w, lambda, alpha);
      if (result.duality_gap <= options.gap_tol * gap_scale) {
        result.converged = true;
        break;
      }
    }
    if (!options.active_set) continue;
    // the active set: sweep only the non-zero coefficients until they settle
    active.clear();
    for (Eigen::Index j = 0; j < d; ++j) {
      if (result.w(j) != 0.0) active.push_back(j);
    }
    while (!active.empty() && result.sweeps < options.max_sweeps) {
      const double inner = coordinate_descent_sweep(p.G, p.c, lambda, alpha, active, result.w, Gw,
                                                    result.coordinate_updates);
      ++result.sweeps;
      result.coordinate_visits += static_cast<long>(active.size());
      if (inner < change_tol) break;
    }
  }
  if (!result.converged) result.duality_gap = duality_gap(p, result.w, lambda, alpha);
  mlc::require_finite(result.w, "elastic_net_cd: coefficients");
  return result;
}

LinearModel elastic_net(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double lambda,
                        double alpha, const CdOptions& options) {
  const GramProblem p = make_gram_problem(X, y);
  return p.model(elastic_net_cd(p, lambda, alpha, {}, options).w);
}

double lambda_max(const GramProblem& p, double alpha) {
  mlc::require(alpha > 0 && alpha <= 1, "lambda_max",
               fmt::format("alpha must lie in (0, 1], got {} (ridge has no finite λ_max)", alpha));
  // (7) the subgradient condition |c_j| ≤ λα holds for every j exactly when λ ≥ ‖c‖∞/α
  return p.c.lpNorm<Eigen::Infinity>() / alpha;
}

Eigen::VectorXd lambda_grid(double lambda_max, double ratio, int count) {
  mlc::require(lambda_max > 0 && ratio > 0 && ratio < 1 && count >= 2, "lambda_grid",
               fmt::format("need lambda_max > 0, 0 < ratio < 1, count >= 2; got {}, {}, {}",
                           lambda_max, ratio, count));
  Eigen::VectorXd grid(count);
  for (int k = 0; k < count; ++k) {
    grid(k) = lambda_max * std::pow(ratio, static_cast<double>(k) / (count - 1));
  }
  return grid;
}

LinearModel Path::model(Eigen::Index k) const {
  mlc::require(k >= 0 && k < coefs.cols(), "Path::model",
               fmt::format("index {} outside a path of {} values", k, coefs.cols()));
  return {coefs.col(k), intercepts(k)};
}

Path elastic_net_path(const GramProblem& p, double alpha, const Eigen::VectorXd& lambdas,
                      const CdOptions& options, bool warm_start) {
  mlc::require(lambdas.size() >= 1, "elastic_net_path", "no lambda values");
  Path path;
  path.lambdas = lambdas;
  path.coefs.resize(p.d(), lambdas.size());
  path.intercepts.resize(lambdas.size());
  Eigen::VectorXd w = Eigen::VectorXd::Zero(p.d());
  for (Eigen::Index k = 0; k < lambdas.size(); ++k) {
    const CdResult r =
        elastic_net_cd(p, lambdas(k), alpha, warm_start ? w : Eigen::VectorXd{}, options);
    w = r.w;
    path.coefs.col(k) = w;
    path.intercepts(k) = p.model(w).intercept;
    path.coordinate_updates += r.coordinate_updates;
    path.coordinate_visits += r.coordinate_visits;
    path.sweeps += r.sweeps;
    path.max_duality_gap = std::max(
        path.max_duality_gap, r.duality_gap / std::max(p.yy, std::numeric_limits<double>::min()));
    path.converged = path.converged && r.converged;
  }
  return path;
}

Path elastic_net_path(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double alpha,
                      const Eigen::VectorXd& lambdas, const CdOptions& options, bool warm_start) {
  return elastic_net_path(make_gram_problem(X, y), alpha, lambdas, options, warm_start);
}

Path ridge_path(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                const Eigen::VectorXd& lambdas) {
  mlc::require(lambdas.size() >= 1, "ridge_path", "no lambda values");
  const RidgeSvd svd(X, y);
  Path path;
  path.lambdas = lambdas;
  path.coefs.resize(X.cols(), lambdas.size());
  path.intercepts.resize(lambdas.size());
  for (Eigen::Index k = 0; k < lambdas.size(); ++k) {
    const LinearModel m = svd.fit(lambdas(k));
    path.coefs.col(k) = m.w;
    path.intercepts(k) = m.intercept;
  }
  return path;
}

std::vector<Eigen::Index> entry_order(const Eigen::MatrixXd& coefs, double threshold) {
  std::vector<Eigen::Index> order;
  std::vector<bool> entered(static_cast<std::size_t>(coefs.rows()), false);
  for (Eigen::Index k = 0; k < coefs.cols(); ++k) {
    std::vector<Eigen::Index> now;
    for (Eigen::Index j = 0; j < coefs.rows(); ++j) {
      if (!entered[static_cast<std::size_t>(j)] && std::abs(coefs(j, k)) > threshold)
        now.push_back(j);
    }
    std::sort(now.begin(), now.end(), [&](Eigen::Index a, Eigen::Index b) {
      return std::abs(coefs(a, k)) > std::abs(coefs(b, k));
    });
    for (const Eigen::Index j : now) {
      entered[static_cast<std::size_t>(j)] = true;
      order.push_back(j);
    }
  }
  return order;
}

// ---- Cross-validation -----------------------------------------------------------------------

Eigen::Index one_standard_error_rule(const Eigen::VectorXd& lambdas, const Eigen::VectorXd& mean,
                                     const Eigen::VectorXd& se) {
  mlc::require(lambdas.size() >= 1 && lambdas.size() == mean.size() && mean.size() == se.size(),
               "one_standard_error_rule",
               fmt::format("lambdas {}, mean {}, se {} entries (equal, >= 1, required)",
                           lambdas.size(), mean.size(), se.size()));
  // BEGIN EXERCISE one_standard_error_rule: the largest λ within one SE of the minimum, (9)
  Eigen::Index k_min = 0;
  mean.minCoeff(&k_min);
  const double threshold = mean(k_min) + se(k_min);
  Eigen::Index chosen = k_min;
  for (Eigen::Index k = 0; k < lambdas.size(); ++k) {
    if (mean(k) <= threshold && lambdas(k) > lambdas(chosen)) chosen = k;
  }
  return chosen;
  // END EXERCISE
}

CvCurve cross_validate_path(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                            const Eigen::VectorXd& lambdas,
                            const std::vector<std::vector<Eigen::Index>>& folds,
                            const PathFitter& fitter, bool standardize_in_fold) {
  require_xy(X, y, "cross_validate_path");
  mlc::require(folds.size() >= 2, "cross_validate_path",
               fmt::format("need at least 2 folds, got {}", folds.size()));
  mlc::require(lambdas.size() >= 1, "cross_validate_path", "no lambda values");
  const auto K = static_cast<Eigen::Index>(folds.size());
  CvCurve cv;
  cv.lambdas = lambdas;
  cv.fold_mse.resize(K, lambdas.size());
  for (Eigen::Index f = 0; f < K; ++f) {
    const auto& test_rows = folds[static_cast<std::size_t>(f)];
    const auto train_rows = mlc::complement(test_rows, X.rows());
    Eigen::MatrixXd X_train = X(train_rows, Eigen::all);
    Eigen::MatrixXd X_test = X(test_rows, Eigen::all);
    const Eigen::VectorXd y_train = y(train_rows);
    const Eigen::VectorXd y_test = y(test_rows);
    if (standardize_in_fold) {
      mlc::Standardizer scaler;
      X_train = scaler.fit_transform(X_train);
      X_test = scaler.transform(X_test);
    }
    const Path path = fitter(X_train, y_train, lambdas);
    mlc::require(path.coefs.cols() == lambdas.size(), "cross_validate_path",
                 "the fitter returned a path of another length");
    // held-out predictions for every λ at once: X_test · coefs + b   [m × L]
    Eigen::MatrixXd pred = X_test * path.coefs;
    pred.rowwise() += path.intercepts.transpose();
    cv.fold_mse.row(f) =
        (pred.colwise() - y_test).colwise().squaredNorm() / static_cast<double>(y_test.size());
  }
  cv.mean_mse.resize(lambdas.size());
  cv.se_mse.resize(lambdas.size());
  for (Eigen::Index k = 0; k < lambdas.size(); ++k) {
    const std::vector<double> column(cv.fold_mse.col(k).data(), cv.fold_mse.col(k).data() + K);
    cv.mean_mse(k) = mlc::mean(column);
    cv.se_mse(k) = mlc::sample_sd(column) / std::sqrt(static_cast<double>(K));
  }
  cv.mean_mse.minCoeff(&cv.index_min);
  cv.index_1se = one_standard_error_rule(lambdas, cv.mean_mse, cv.se_mse);
  cv.lambda_min = lambdas(cv.index_min);
  cv.lambda_1se = lambdas(cv.index_1se);
  return cv;
}

// ---- Early stopping -------------------------------------------------------------------------

GdIterates least_squares_gradient_descent(const GramProblem& p, double step,
                                          const std::vector<int>& record_at) {
  mlc::require(step > 0, "least_squares_gradient_descent",
               fmt::format("step {} must be > 0", step));
  mlc::require(std::is_sorted(record_at.begin(), record_at.end()) &&
                   (record_at.empty() || record_at.front() >= 0),
               "least_squares_gradient_descent", "record_at must be ascending and >= 0");
  GdIterates it;
  it.steps = record_at;
  it.coefs.resize(p.d(), static_cast<Eigen::Index>(record_at.size()));
  it.intercepts.resize(static_cast<Eigen::Index>(record_at.size()));
  Eigen::VectorXd w = Eigen::VectorXd::Zero(p.d());
  std::size_t next = 0;
  for (int t = 0; next < record_at.size(); ++t) {
    while (next < record_at.size() && record_at[next] == t) {
      it.coefs.col(static_cast<Eigen::Index>(next)) = w;
      it.intercepts(static_cast<Eigen::Index>(next)) = p.model(w).intercept;
      ++next;
    }
    w.noalias() += step * (p.c - p.G * w);  // w ← w − η∇f, ∇f = Gw − c   O(d²)
  }
  mlc::require_finite(it.coefs, "least_squares_gradient_descent: iterates");
  return it;
}

Eigen::VectorXd ridge_filter(const Eigen::VectorXd& s, Eigen::Index n, double lambda) {
  const Eigen::ArrayXd s2 = s.array().square();
  return (s2 / (s2 + static_cast<double>(n) * lambda)).matrix();  // (10) left
}

Eigen::VectorXd gradient_descent_filter(const Eigen::VectorXd& s, Eigen::Index n, double step,
                                        int t) {
  const Eigen::ArrayXd s2 = s.array().square();
  // (10) right: 1 − (1 − ηs²/n)^t
  return (1.0 - (1.0 - step * s2 / static_cast<double>(n)).pow(static_cast<double>(t))).matrix();
}

// ---- Measurements ---------------------------------------------------------------------------

SyntheticRegression make_correlated_pair(Eigen::Index n, Eigen::Index d, double rho,
                                         const Eigen::VectorXd& w, double noise, mlc::Rng& rng) {
  mlc::require(d >= 2 && w.size() == d && n >= 2 && std::abs(rho) < 1, "make_correlated_pair",
               fmt::format("need d >= 2, w of size d, |rho| < 1; got d = {}, w {}, rho {}", d,
                           w.size(), rho));
  SyntheticRegression data;
  data.X = rng.normal_matrix(n, d);
  data.X.col(1) = rho * data.X.col(0) + std::sqrt(1 - rho * rho) * data.X.col(1);
  data.w = w;
  data.y = data.X * w + noise * rng.normal_vector(n);
  return data;
}

SyntheticRegression make_sparse_regression(Eigen::Index n, Eigen::Index d, Eigen::Index k,
                                           double magnitude, double rho, double noise,
                                           mlc::Rng& rng) {
  mlc::require(k >= 1 && k <= d && n >= 2 && std::abs(rho) < 1, "make_sparse_regression",
               fmt::format("need 1 <= k <= d, |rho| < 1; got k = {}, d = {}, rho {}", k, d, rho));
  SyntheticRegression data;
  data.X = rng.normal_matrix(n, d);
  for (Eigen::Index j = 1; j < d; ++j) {  // AR(1) columns: corr(x_j, x_k) = ρ^|j−k|
    data.X.col(j) = rho * data.X.col(j - 1) + std::sqrt(1 - rho * rho) * data.X.col(j);
  }
  data.w = Eigen::VectorXd::Zero(d);
  for (Eigen::Index i = 0; i < k; ++i) {  // k evenly spaced support positions
    data.w(i * d / k) = rng.bernoulli(0.5) ? magnitude : -magnitude;
  }
  data.y = data.X * data.w + noise * rng.normal_vector(n);
  return data;
}

PairSelection bootstrap_pair_selection(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                       double lambda, double alpha, Eigen::Index i, Eigen::Index j,
                                       int resamples, mlc::Rng& rng, double threshold) {
  require_xy(X, y, "bootstrap_pair_selection");
  mlc::require(i >= 0 && j >= 0 && i < X.cols() && j < X.cols() && i != j && resamples >= 1,
               "bootstrap_pair_selection",
               fmt::format("features ({}, {}) must be distinct columns of {}", i, j, X.cols()));
  PairSelection sel;
  sel.resamples = resamples;
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(X.rows()));
  double gap_sum = 0;
  for (int b = 0; b < resamples; ++b) {
    for (auto& r : rows) r = rng.index(X.rows());  // draw n rows with replacement
    const LinearModel m = elastic_net(X(rows, Eigen::all), y(rows), lambda, alpha);
    const double wi = std::abs(m.w(i)), wj = std::abs(m.w(j));
    const bool in_i = wi > threshold, in_j = wj > threshold;
    sel.both += in_i && in_j;
    sel.only_first += in_i && !in_j;
    sel.only_second += !in_i && in_j;
    sel.neither += !in_i && !in_j;
    sel.first_larger += wi > wj;
    gap_sum += wi + wj > 0 ? std::abs(m.w(i) - m.w(j)) / (wi + wj) : 0.0;
  }
  sel.mean_relative_gap = gap_sum / resamples;
  return sel;
}

}  // namespace regularization
