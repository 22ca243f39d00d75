// Lesson 2.3 bias_variance: the algorithms (pure computation, no I/O). See bias_variance.hpp
// for the contracts and NOTES.md for the equations (n).
#include "bias_variance.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <string>

#include <fmt/format.h>
#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <Eigen/SVD>

#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/stats.hpp"
#include "model_evaluation.hpp"

namespace bias_variance {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

double sine_target(double x) {
  return std::sin(2.0 * std::numbers::pi * x);
}

VectorXd uniform_grid(Index m) {
  mlc::require(m >= 1, "uniform_grid", "needs m >= 1");
  return VectorXd::LinSpaced(m, 0.5, static_cast<double>(m) - 0.5) / static_cast<double>(m);
}

// ---- Learners -------------------------------------------------------------------------------

MatrixXd legendre_design(const VectorXd& x, int degree) {
  mlc::require(degree >= 0, "legendre_design", fmt::format("degree {} < 0", degree));
  // BEGIN EXERCISE legendre_design: Legendre columns P_0..P_degree at t = 2x − 1, recurrence (6)
  const Index n = x.size();
  MatrixXd Phi(n, degree + 1);
  const VectorXd t = 2.0 * x.array() - 1.0;  // [0, 1] → [−1, 1]
  Phi.col(0).setOnes();
  if (degree >= 1) Phi.col(1) = t;
  for (int k = 1; k < degree; ++k) {
    // (6) (k+1) P_{k+1} = (2k+1) t P_k − k P_{k−1}
    Phi.col(k + 1) = ((2.0 * k + 1.0) * t.array() * Phi.col(k).array() -
                      static_cast<double>(k) * Phi.col(k - 1).array()) /
                     (k + 1.0);
  }
  return Phi;
  // END EXERCISE
}

MatrixXd monomial_design(const VectorXd& x, int degree) {
  mlc::require(degree >= 0, "monomial_design", fmt::format("degree {} < 0", degree));
  MatrixXd Phi(x.size(), degree + 1);
  Phi.col(0).setOnes();
  for (int j = 1; j <= degree; ++j) Phi.col(j) = Phi.col(j - 1).cwiseProduct(x);
  return Phi;
}

VectorXd PolynomialFit::predict(const VectorXd& x) const {
  return legendre_design(x, degree) * coefficients;
}

PolynomialFit fit_polynomial(const VectorXd& x, const VectorXd& y, int degree) {
  mlc::require(x.size() == y.size(), "fit_polynomial",
               fmt::format("x has {} entries, y has {}", x.size(), y.size()));
  mlc::require(
      degree >= 0 && degree + 1 <= x.size(), "fit_polynomial",
      fmt::format("degree {} needs at least {} points, got {}", degree, degree + 1, x.size()));
  // (7) min ||Φc − y||², Φ = QRΠᵀ: c = Π R⁻¹ Qᵀ y   O(n d²)
  PolynomialFit fit;
  fit.degree = degree;
  fit.coefficients = legendre_design(x, degree).colPivHouseholderQr().solve(y);
  mlc::require_finite(fit.coefficients, "fit_polynomial: coefficients");
  return fit;
}

VectorXd knn_regress(const VectorXd& x_train, const VectorXd& y_train, const VectorXd& x_query,
                     int k) {
  const Index n = x_train.size();
  mlc::require(y_train.size() == n, "knn_regress",
               fmt::format("x_train has {} entries, y_train has {}", n, y_train.size()));
  mlc::require(k >= 1 && k <= n, "knn_regress", fmt::format("k = {} outside [1, n = {}]", k, n));
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index a, Index b) { return x_train(a) < x_train(b); });
  VectorXd xs(n), ys(n);
  for (Index i = 0; i < n; ++i) {
    xs(i) = x_train(order[static_cast<std::size_t>(i)]);
    ys(i) = y_train(order[static_cast<std::size_t>(i)]);
  }
  VectorXd prediction(x_query.size());
  for (Index q = 0; q < x_query.size(); ++q) {
    // BEGIN EXERCISE knn_window: the k nearest sorted inputs form a window; average its y (8)
    const double x0 = x_query(q);
    // hi = first sorted input >= x0; the window [lo + 1, hi) grows towards the nearer side.
    Index hi = std::lower_bound(xs.data(), xs.data() + n, x0) - xs.data();
    Index lo = hi - 1;
    double sum = 0.0;
    for (int taken = 0; taken < k; ++taken) {
      const bool take_left =
          hi >= n || (lo >= 0 && x0 - xs(lo) <= xs(hi) - x0);  // ties go to the smaller x
      if (take_left) {
        sum += ys(lo--);
      } else {
        sum += ys(hi++);
      }
    }
    prediction(q) = sum / k;
    // END EXERCISE
  }
  return prediction;
}

Learner polynomial_learner(int degree) {
  return [degree](const VectorXd& x, const VectorXd& y, const VectorXd& x_query) {
    return fit_polynomial(x, y, degree).predict(x_query);
  };
}

Learner knn_learner(int k) {
  return [k](const VectorXd& x, const VectorXd& y, const VectorXd& x_query) {
    return knn_regress(x, y, x_query, k);
  };
}

// ---- The bias–variance decomposition --------------------------------------------------------

double Decomposition::z_score() const {
  return (expected_test_error - sum()) / standard_error;
}

double Decomposition::cross_z_score() const {
  return (expected_test_error - bias2 - variance - noise_measured) / cross_standard_error;
}

Decomposition decompose(const MatrixXd& predictions, const VectorXd& f_test,
                        const MatrixXd& test_targets, double noise_variance) {
  const Index R = predictions.rows(), m = predictions.cols();
  mlc::require(R >= 2, "decompose", fmt::format("needs at least 2 repeats, got {}", R));
  mlc::require(f_test.size() == m && test_targets.rows() == R && test_targets.cols() == m,
               "decompose",
               fmt::format("predictions {}×{}, f_test {}, test_targets {}×{}", R, m, f_test.size(),
                           test_targets.rows(), test_targets.cols()));
  mlc::require(noise_variance >= 0, "decompose", "noise variance < 0");
  Decomposition d;
  d.repeats = static_cast<int>(R);
  d.noise = noise_variance;
  // BEGIN EXERCISE bias_variance_decomposition: the estimators (3), (4) and the s.e. (5)
  const double r = static_cast<double>(R);
  const Eigen::RowVectorXd mean_prediction = predictions.colwise().mean();   // ȳ(x)   [1 × m]
  const MatrixXd centered = predictions.rowwise() - mean_prediction;         // [R × m]
  d.variance_at = centered.colwise().squaredNorm().transpose() / (r - 1.0);  // (3)
  d.bias2_at =
      (mean_prediction.transpose() - f_test).array().square().matrix() - d.variance_at / r;  // (4)
  d.variance = d.variance_at.mean();
  d.bias2 = d.bias2_at.mean();
  const MatrixXd test_sq = (test_targets - predictions).array().square().matrix();  // [R × m]
  const MatrixXd f_sq =
      (predictions.rowwise() - f_test.transpose()).array().square().matrix();  // (f − ŷ_r)²
  d.expected_test_error = test_sq.mean();
  // (5) e − (bias² + variance + σ²) = mean_r D_r with D_r = mean_x[(y⁰ − ŷ_r)² − (f − ŷ_r)²] − σ²,
  // R independent draws of mean zero: s.e. = sd(D_r)/√R.
  const VectorXd per_set_difference = (test_sq - f_sq).rowwise().mean().array() - noise_variance;
  d.standard_error = mlc::sample_sd(per_set_difference) / std::sqrt(r);
  d.test_error_se = mlc::sample_sd(test_sq.rowwise().mean()) / std::sqrt(r);
  // the realised noise (y⁰ − f)² and the cross term 2(y⁰ − f)(f − ŷ_r) that is left over
  const MatrixXd noise_sq = (test_targets.rowwise() - f_test.transpose()).array().square().matrix();
  d.noise_measured = noise_sq.mean();
  d.cross_standard_error = mlc::sample_sd((test_sq - f_sq - noise_sq).rowwise().mean()) / std::sqrt(r);
  return d;
  // END EXERCISE
}

Decomposition bias_variance_decomposition(const Learner& learner, const RegressionProblem& problem,
                                          int repeats, const mlc::Rng& rng) {
  const Index m = problem.x_test.size();
  const bool fixed = problem.fixed_design.size() > 0;
  mlc::require(m >= 1, "bias_variance_decomposition", "no test inputs");
  mlc::require(
      !fixed || problem.fixed_design.size() == problem.n, "bias_variance_decomposition",
      fmt::format("fixed design has {} inputs, n = {}", problem.fixed_design.size(), problem.n));
  mlc::require(repeats >= 2, "bias_variance_decomposition", "needs at least 2 repeats");
  const VectorXd f_test = problem.x_test.unaryExpr(problem.f);
  MatrixXd predictions(repeats, m), test_targets(repeats, m);
  double train_error = 0.0;
  for (int r = 0; r < repeats; ++r) {
    mlc::Rng draw = rng.derive(static_cast<std::uint64_t>(r));
    const VectorXd x = fixed ? problem.fixed_design : draw.uniform_vector(problem.n);
    const VectorXd y = x.unaryExpr(problem.f) + problem.sigma * draw.normal_vector(problem.n);
    predictions.row(r) = learner(x, y, problem.x_test).transpose();
    test_targets.row(r) = (f_test + problem.sigma * draw.normal_vector(m)).transpose();
    train_error += model_evaluation::mean_squared_error(y, learner(x, y, x));
  }
  mlc::require_finite(predictions, "bias_variance_decomposition: predictions");
  Decomposition d = decompose(predictions, f_test, test_targets, problem.sigma * problem.sigma);
  d.train_error = train_error / repeats;
  return d;
}

// ---- Model selection ------------------------------------------------------------------------

DegreeSelection select_polynomial_degree(const VectorXd& x, const VectorXd& y,
                                         const std::vector<int>& degrees, int folds,
                                         mlc::Rng& rng) {
  const Index n = x.size();
  mlc::require(y.size() == n, "select_polynomial_degree", "x and y differ in size");
  mlc::require(!degrees.empty() && folds >= 2 && folds <= n, "select_polynomial_degree",
               fmt::format("{} degrees, {} folds, n = {}", degrees.size(), folds, n));
  const auto fold_sets = mlc::kfold_indices(n, folds, rng);
  DegreeSelection s;
  s.degrees = degrees;
  s.train_mse.resize(static_cast<Index>(degrees.size()));
  s.cv_mse.resize(static_cast<Index>(degrees.size()));
  auto pick = [](const std::vector<Index>& rows, const VectorXd& v) {
    VectorXd out(static_cast<Index>(rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) out(static_cast<Index>(i)) = v(rows[i]);
    return out;
  };
  for (std::size_t j = 0; j < degrees.size(); ++j) {
    const int deg = degrees[j];
    const Index jj = static_cast<Index>(j);
    s.train_mse(jj) = model_evaluation::mean_squared_error(y, fit_polynomial(x, y, deg).predict(x));
    double squared_error = 0.0;  // Σ over all held-out points (folds differ in size by ≤ 1)
    for (const auto& test_rows : fold_sets) {
      const auto train_rows = mlc::complement(test_rows, n);
      const VectorXd yt = pick(test_rows, y);
      const VectorXd pred =
          fit_polynomial(pick(train_rows, x), pick(train_rows, y), deg).predict(pick(test_rows, x));
      squared_error +=
          model_evaluation::mean_squared_error(yt, pred) * static_cast<double>(yt.size());
    }
    s.cv_mse(jj) = squared_error / static_cast<double>(n);
  }
  Index best_train = 0, best_cv = 0;
  s.train_mse.minCoeff(&best_train);
  s.cv_mse.minCoeff(&best_cv);
  s.by_train = degrees[static_cast<std::size_t>(best_train)];
  s.by_cv = degrees[static_cast<std::size_t>(best_cv)];
  return s;
}

// ---- Random features and minimum-norm least squares -----------------------------------------

MatrixXd relu_features(const MatrixXd& X, const MatrixXd& W) {
  mlc::require(X.cols() == W.cols(), "relu_features",
               fmt::format("X is {}×{} but W is {}×{}", X.rows(), X.cols(), W.rows(), W.cols()));
  // BEGIN EXERCISE random_features: Φ = max(0, X Wᵀ / √d), equation (9)   [n × p]
  const double scale = 1.0 / std::sqrt(static_cast<double>(X.cols()));
  return ((X * W.transpose()) * scale).cwiseMax(0.0);
  // END EXERCISE
}

LeastSquaresSolution min_norm_least_squares(const MatrixXd& Phi, const VectorXd& y, double rcond) {
  mlc::require(Phi.rows() == y.size(), "min_norm_least_squares",
               fmt::format("Phi is {}×{} but y has {} entries", Phi.rows(), Phi.cols(), y.size()));
  LeastSquaresSolution sol;
  // BEGIN EXERCISE min_norm_least_squares: a = V Σ⁺ Uᵀ y with the cutoff, equation (10)
  // Thin SVD Φ = U Σ Vᵀ, U [n × r], V [p × r], r = min(n, p)   O(n p min(n, p))
  const Eigen::BDCSVD<MatrixXd> svd(Phi, Eigen::ComputeThinU | Eigen::ComputeThinV);
  sol.singular_values = svd.singularValues();
  const double tol = (rcond < 0 ? std::numeric_limits<double>::epsilon() *
                                      static_cast<double>(std::max(Phi.rows(), Phi.cols()))
                                : rcond) *
                     (sol.singular_values.size() > 0 ? sol.singular_values(0) : 0.0);
  VectorXd projected = svd.matrixU().transpose() * y;  // Uᵀ y   [r]
  sol.rank = 0;
  for (Index i = 0; i < projected.size(); ++i) {
    if (sol.singular_values(i) > tol) {
      projected(i) /= sol.singular_values(i);  // Σ⁺
      ++sol.rank;
    } else {
      projected(i) = 0.0;  // a direction of the null space: no component (minimum norm)
    }
  }
  sol.coefficients = svd.matrixV() * projected;
  return sol;
  // END EXERCISE
}

VectorXd ridge_least_squares(const MatrixXd& Phi, const VectorXd& y, double lambda) {
  mlc::require(Phi.rows() == y.size(), "ridge_least_squares",
               fmt::format("Phi is {}×{} but y has {} entries", Phi.rows(), Phi.cols(), y.size()));
  mlc::require(lambda > 0, "ridge_least_squares", "lambda must be > 0");
  // (11) via the smaller Gram matrix: (ΦᵀΦ + λI)⁻¹Φᵀy = Φᵀ(ΦΦᵀ + λI)⁻¹y (push-through identity)
  if (Phi.cols() <= Phi.rows()) {
    MatrixXd G = Phi.transpose() * Phi;  // [p × p]
    G.diagonal().array() += lambda;
    return G.llt().solve(Phi.transpose() * y);
  }
  MatrixXd K = Phi * Phi.transpose();  // [n × n]
  K.diagonal().array() += lambda;
  return Phi.transpose() * K.llt().solve(y);
}

double Teacher::f(const VectorXd& x) const {
  const double s = beta.dot(x);
  return s + 0.5 * (s * s - 1.0);
}

Teacher make_teacher(Index d, double sigma, mlc::Rng& rng) {
  mlc::require(d >= 1 && sigma >= 0, "make_teacher", "needs d >= 1 and sigma >= 0");
  Teacher t;
  t.beta = rng.normal_vector(d);
  t.beta.normalize();
  t.sigma = sigma;
  return t;
}

TeacherSample sample_teacher(const Teacher& teacher, Index n, mlc::Rng& rng) {
  TeacherSample s;
  s.X = rng.normal_matrix(n, teacher.beta.size());
  s.y.resize(n);
  for (Index i = 0; i < n; ++i) {
    s.y(i) = teacher.f(s.X.row(i).transpose()) + teacher.sigma * rng.normal();
  }
  return s;
}

RandomFeaturesResult random_features_regression(const TeacherSample& train,
                                                const TeacherSample& test, Index p,
                                                double ridge_lambda, mlc::Rng& rng) {
  mlc::require(p >= 1 && train.X.cols() == test.X.cols(), "random_features_regression",
               fmt::format("p = {}, train d = {}, test d = {}", p, train.X.cols(), test.X.cols()));
  const MatrixXd W = rng.normal_matrix(p, train.X.cols());  // w_j ~ N(0, I_d)   [p × d]
  const MatrixXd Phi = relu_features(train.X, W);           // [n × p]
  const MatrixXd Phi_test = relu_features(test.X, W);       // [m × p]
  const LeastSquaresSolution sol = min_norm_least_squares(Phi, train.y);
  const VectorXd ridge = ridge_least_squares(Phi, train.y, ridge_lambda);
  RandomFeaturesResult r;
  r.p = p;
  r.train_mse = model_evaluation::mean_squared_error(train.y, Phi * sol.coefficients);
  r.test_mse = model_evaluation::mean_squared_error(test.y, Phi_test * sol.coefficients);
  r.ridge_test_mse = model_evaluation::mean_squared_error(test.y, Phi_test * ridge);
  r.coefficient_norm = sol.coefficients.norm();
  r.ridge_coefficient_norm = ridge.norm();
  r.sigma_min = sol.singular_values(sol.singular_values.size() - 1);
  return r;
}

}  // namespace bias_variance
