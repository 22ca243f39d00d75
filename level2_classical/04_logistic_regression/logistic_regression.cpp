// logistic_regression.cpp: the algorithm. Pure computation: no I/O, no printing.
// Equation numbers refer to NOTES.md; shapes are written [rows × cols].
#include "logistic_regression.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include "mlc/error.hpp"

namespace logistic_regression {

namespace {

using Eigen::Index;

// The per-sample weights as a vector: ones when none were given.
VectorXd weights_or_ones(const VectorXd& sample_weight, Index n) {
  return sample_weight.size() == 0 ? VectorXd::Ones(n) : sample_weight;
}

void check_binary(const char* fn, const MatrixXd& X, const VectorXd& y, const VectorXd& theta,
                  double lambda, const VectorXd& sample_weight) {
  mlc::require(X.rows() > 0 && X.cols() > 0, fn, "X must be non-empty");
  mlc::require(y.size() == X.rows(), fn,
               fmt::format("y has {} entries, X has {} rows", y.size(), X.rows()));
  mlc::require(theta.size() == X.cols() + 1, fn,
               fmt::format("theta has {} entries, expected d + 1 = {}", theta.size(), X.cols() + 1));
  mlc::require(lambda >= 0.0, fn, "lambda must be non-negative");
  mlc::require(sample_weight.size() == 0 || sample_weight.size() == X.rows(), fn,
               fmt::format("sample_weight has {} entries, X has {} rows", sample_weight.size(),
                           X.rows()));
  mlc::require(((y.array() == 0.0) || (y.array() == 1.0)).all(), fn, "y must hold 0/1 labels");
  mlc::require(sample_weight.size() == 0 || (sample_weight.array() >= 0.0).all(), fn,
               "sample weights must be non-negative");
}

void check_softmax(const char* fn, const MatrixXd& X, const VectorXi& y, const MatrixXd& Theta,
                   double lambda, const VectorXd& sample_weight) {
  mlc::require(X.rows() > 0 && X.cols() > 0, fn, "X must be non-empty");
  mlc::require(y.size() == X.rows(), fn,
               fmt::format("y has {} entries, X has {} rows", y.size(), X.rows()));
  mlc::require(Theta.rows() == X.cols() + 1 && Theta.cols() >= 2, fn,
               fmt::format("Theta is {} × {}, expected (d + 1) × K = {} × K with K ≥ 2",
                           Theta.rows(), Theta.cols(), X.cols() + 1));
  mlc::require(lambda >= 0.0, fn, "lambda must be non-negative");
  mlc::require(sample_weight.size() == 0 || sample_weight.size() == X.rows(), fn,
               fmt::format("sample_weight has {} entries, X has {} rows", sample_weight.size(),
                           X.rows()));
  mlc::require(sample_weight.size() == 0 || (sample_weight.array() >= 0.0).all(), fn,
               "sample weights must be non-negative");
  mlc::require(y.size() == 0 || (y.minCoeff() >= 0 && y.maxCoeff() < Theta.cols()), fn,
               fmt::format("labels must lie in 0..{}", Theta.cols() - 1));
}

// ---- Binary model on X̃ = [X 1] --------------------------------------------------------

// (2) f(θ) = (1/n) Σ s_i [softplus(z_i) − y_i z_i] + (λ/2)‖w‖²
double binary_loss_t(const MatrixXd& Xt, const VectorXd& y, const VectorXd& theta, double lambda,
                     const VectorXd& s) {
  const Index n = Xt.rows(), d = Xt.cols() - 1;
  const VectorXd z = Xt * theta;  // [n]
  double total = 0.0;
  for (Index i = 0; i < n; ++i) total += s(i) * (softplus(z(i)) - y(i) * z(i));
  return total / static_cast<double>(n) + 0.5 * lambda * theta.head(d).squaredNorm();
}

VectorXd binary_gradient_t(const MatrixXd& Xt, const VectorXd& y, const VectorXd& theta,
                           double lambda, const VectorXd& s) {
  // BEGIN EXERCISE sigmoid_gradient: the gradient of the penalised mean log-loss, equation (3)
  const Index n = Xt.rows(), d = Xt.cols() - 1;
  const VectorXd z = Xt * theta;                                          // [n]
  const VectorXd r = s.cwiseProduct(z.unaryExpr([](double v) { return sigmoid(v); }) - y);  // S(σ − y)
  VectorXd g = Xt.transpose() * r / static_cast<double>(n);               // X̃ᵀ S (σ − y) / n   [d+1]
  g.head(d) += lambda * theta.head(d);                                    // + λ [w; 0]
  return g;
  // END EXERCISE
}

MatrixXd binary_hessian_t(const MatrixXd& Xt, const VectorXd& theta, double lambda,
                          const VectorXd& s) {
  // BEGIN EXERCISE logistic_hessian: the IRLS weights and the Hessian, equation (4)
  const Index n = Xt.rows(), d = Xt.cols() - 1;
  const VectorXd z = Xt * theta;
  VectorXd a(n);  // a_i = s_i σ_i (1 − σ_i), the IRLS weights
  for (Index i = 0; i < n; ++i) {
    const double p = sigmoid(z(i));
    a(i) = s(i) * p * (1.0 - p);
  }
  MatrixXd H(d + 1, d + 1);
  H.noalias() = Xt.transpose() * (Xt.array().colwise() * a.array()).matrix();  // X̃ᵀ A X̃
  H /= static_cast<double>(n);
  H.topLeftCorner(d, d).diagonal().array() += lambda;  // + λ diag(1, …, 1, 0)
  return H;
  // END EXERCISE
}

// ---- Softmax model on X̃ --------------------------------------------------------------

double softmax_loss_t(const MatrixXd& Xt, const VectorXi& y, const MatrixXd& Theta, double lambda,
                      const VectorXd& s) {
  const Index n = Xt.rows(), d = Xt.cols() - 1;
  const MatrixXd Z = Xt * Theta;  // [n × K]
  double total = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double m = Z.row(i).maxCoeff();
    const double lse = m + std::log((Z.row(i).array() - m).exp().sum());  // logsumexp (7)
    total += s(i) * (lse - Z(i, y(i)));
  }
  return total / static_cast<double>(n) + 0.5 * lambda * Theta.topRows(d).squaredNorm();
}

MatrixXd softmax_gradient_t(const MatrixXd& Xt, const VectorXi& y, const MatrixXd& Theta,
                            double lambda, const VectorXd& s) {
  // BEGIN EXERCISE softmax_cross_entropy_gradient: the gradient of (7), equation (8)
  const Index n = Xt.rows(), d = Xt.cols() - 1;
  MatrixXd R = softmax(Xt * Theta);                          // P   [n × K]
  for (Index i = 0; i < n; ++i) R(i, y(i)) -= 1.0;           // P − Y
  R.array().colwise() *= s.array();                          // S (P − Y)
  MatrixXd G = Xt.transpose() * R / static_cast<double>(n);  // X̃ᵀ S (P − Y) / n   [(d+1) × K]
  G.topRows(d) += lambda * Theta.topRows(d);                 // + λ [W; 0]
  return G;
  // END EXERCISE
}

MatrixXd softmax_hessian_t(const MatrixXd& Xt, const MatrixXd& Theta, double lambda,
                           const VectorXd& s) {
  const Index n = Xt.rows(), p = Xt.cols(), d = p - 1, K = Theta.cols();
  const MatrixXd P = softmax(Xt * Theta);  // [n × K]
  // (9) split as block-diag(X̃ᵀ diag(s p_k) X̃) − Mᵀ M, where row i of M is √s_i (p_i ⊗ x̃_i)ᵀ
  // [n × pK]: one large symmetric rank-n update (SYRK) instead of K(K+1)/2 small products,
  // the same O(n p² K²) flops at a much higher rate.
  MatrixXd M(n, p * K);
  const VectorXd root_s = s.cwiseSqrt();
  for (Index k = 0; k < K; ++k) {
    M.middleCols(k * p, p) = Xt.array().colwise() * (root_s.cwiseProduct(P.col(k))).array();
  }
  MatrixXd H = MatrixXd::Zero(p * K, p * K);
  H.selfadjointView<Eigen::Lower>().rankUpdate(M.transpose(), -1.0);  // − Mᵀ M (lower half)
  H.triangularView<Eigen::StrictlyUpper>() = H.transpose();
  for (Index k = 0; k < K; ++k) {
    const VectorXd c = s.cwiseProduct(P.col(k));  // s_i p_ik
    H.block(k * p, k * p, p, p).noalias() += Xt.transpose() * (Xt.array().colwise() * c.array()).matrix();
  }
  H /= static_cast<double>(n);
  for (Index k = 0; k < K; ++k) H.block(k * p, k * p, d, d).diagonal().array() += lambda;
  return H;
}

// (5) Δ = −(H + εI)⁻¹ g by Cholesky, ε raised until H + εI factorizes.
VectorXd solve_newton_system(const MatrixXd& H, const VectorXd& g) {
  // BEGIN EXERCISE newton_step: the Newton / IRLS direction, equation (5)
  const double scale = 1.0 + H.diagonal().cwiseAbs().mean();
  for (double eps = 1e-12 * scale; eps < 1e6 * scale; eps *= 100.0) {
    MatrixXd shifted = H;
    shifted.diagonal().array() += eps;
    Eigen::LLT<MatrixXd> llt(shifted);
    if (llt.info() == Eigen::Success) {
      VectorXd delta = -llt.solve(g);
      if (delta.allFinite()) return delta;
    }
  }
  return -g / scale;  // unreachable for a finite symmetric H: a gradient step as last resort
  // END EXERCISE
}

// Damped Newton driver shared by the binary and the softmax models (Boyd & Vandenberghe
// Algorithm 9.5 with backtracking factor 1/2 and Armijo constant 1e-4).
VectorXd damped_newton(const std::function<double(const VectorXd&)>& value,
                       const std::function<VectorXd(const VectorXd&)>& gradient,
                       const std::function<VectorXd(const VectorXd&, const VectorXd&)>& direction,
                       const std::function<double(const VectorXd&)>& weight_norm, VectorXd theta,
                       int max_iterations, double tolerance, FitTrace* trace) {
  double f = value(theta);
  VectorXd g = gradient(theta);
  FitTrace local;
  FitTrace& tr = trace ? *trace : local;
  tr = FitTrace{};
  auto record = [&] {
    tr.loss.push_back(f);
    tr.gradient_norm.push_back(g.norm());
    tr.weight_norm.push_back(weight_norm(theta));
  };
  record();
  for (int it = 0; it < max_iterations; ++it) {
    const VectorXd delta = direction(theta, g);
    const double decrement2 = -g.dot(delta);  // λ(θ)² = gᵀ H⁻¹ g
    if (!(decrement2 > 0.0) || std::sqrt(decrement2) <= tolerance) {
      // Inside the region of quadratic convergence: the full step is safe and squares the
      // error once more, so take it (it costs one evaluation) instead of discarding it.
      if (decrement2 > 0.0 && delta.allFinite()) {
        theta += delta;
        f = value(theta);
        g = gradient(theta);
        ++tr.iterations;
        record();
      }
      tr.converged = true;
      break;
    }
    double t = 1.0;
    bool accepted = false;
    VectorXd candidate;
    double f_candidate = f;
    for (int halvings = 0; halvings < 60; ++halvings, t *= 0.5) {
      candidate = theta + t * delta;
      f_candidate = value(candidate);
      // Armijo with a rounding slack of a few ulps of f: near the optimum the decrease
      // (~ decrement²) falls below the rounding of f long before θ is accurate (the error in
      // θ is ~ √ε there), and an exact test would then stop the iteration too early.
      const double slack = 8.0 * std::numeric_limits<double>::epsilon() * std::abs(f);
      if (std::isfinite(f_candidate) && f_candidate <= f - 1e-4 * t * decrement2 + slack) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {  // no decrease representable in double: θ is optimal to rounding
      tr.converged = decrement2 < 1e-12;
      break;
    }
    const double step_norm = t * delta.norm();
    theta = candidate;
    f = f_candidate;
    g = gradient(theta);
    ++tr.iterations;
    record();
    if (step_norm <= tolerance * (1.0 + theta.norm())) {
      tr.converged = true;
      break;
    }
  }
  if (!theta.allFinite()) throw mlc::NumericalError("damped_newton: parameters contain NaN or Inf");
  return theta;
}

VectorXd labels_as_double(const VectorXi& y) { return y.cast<double>(); }

double largest_eigenvalue_of_gram(const MatrixXd& Xt, const VectorXd& s) {
  const MatrixXd G = Xt.transpose() * (Xt.array().colwise() * s.array()).matrix();
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(G, Eigen::EigenvaluesOnly);
  return eig.eigenvalues().maxCoeff();
}

}  // namespace

// ---- (1) stable scalar pieces --------------------------------------------------------

double sigmoid(double z) {
  // For z < 0 write σ(z) = e^z / (1 + e^z) so that e^{−z} never overflows.
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

double softplus(double z) {
  // log(1 + e^z) = max(z, 0) + log1p(e^{−|z|})
  return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z)));
}

MatrixXd with_intercept(const MatrixXd& X) {
  MatrixXd Xt(X.rows(), X.cols() + 1);
  Xt.leftCols(X.cols()) = X;
  Xt.col(X.cols()).setOnes();
  return Xt;
}

// ---- Binary ------------------------------------------------------------------------------

double binary_loss(const MatrixXd& X, const VectorXd& y, const VectorXd& theta, double lambda,
                   const VectorXd& sample_weight) {
  check_binary("binary_loss", X, y, theta, lambda, sample_weight);
  return binary_loss_t(with_intercept(X), y, theta, lambda, weights_or_ones(sample_weight, X.rows()));
}

VectorXd binary_gradient(const MatrixXd& X, const VectorXd& y, const VectorXd& theta,
                         double lambda, const VectorXd& sample_weight) {
  check_binary("binary_gradient", X, y, theta, lambda, sample_weight);
  return binary_gradient_t(with_intercept(X), y, theta, lambda,
                           weights_or_ones(sample_weight, X.rows()));
}

MatrixXd binary_hessian(const MatrixXd& X, const VectorXd& y, const VectorXd& theta, double lambda,
                        const VectorXd& sample_weight) {
  check_binary("binary_hessian", X, y, theta, lambda, sample_weight);
  return binary_hessian_t(with_intercept(X), theta, lambda, weights_or_ones(sample_weight, X.rows()));
}

VectorXd newton_step(const MatrixXd& X, const VectorXd& y, const VectorXd& theta, double lambda,
                     const VectorXd& sample_weight) {
  check_binary("newton_step", X, y, theta, lambda, sample_weight);
  const MatrixXd Xt = with_intercept(X);
  const VectorXd s = weights_or_ones(sample_weight, X.rows());
  return solve_newton_system(binary_hessian_t(Xt, theta, lambda, s),
                             binary_gradient_t(Xt, y, theta, lambda, s));
}

VectorXd BinaryLogisticModel::decision_function(const MatrixXd& X) const {
  mlc::require(X.cols() == w.size(), "BinaryLogisticModel::decision_function",
               fmt::format("X has {} columns, the model {} weights", X.cols(), w.size()));
  return (X * w).array() + b;
}

VectorXd BinaryLogisticModel::predict_proba(const MatrixXd& X) const {
  return decision_function(X).unaryExpr([](double z) { return sigmoid(z); });
}

VectorXi BinaryLogisticModel::predict(const MatrixXd& X) const {
  return (predict_proba(X).array() >= 0.5).cast<int>();
}

VectorXd BinaryLogisticModel::theta() const {
  VectorXd t(w.size() + 1);
  t << w, b;
  return t;
}

BinaryLogisticModel fit_binary_newton(const MatrixXd& X, const VectorXi& y, double lambda,
                                      int max_iterations, double tolerance) {
  return fit_binary_newton(X, y, lambda, VectorXd{}, max_iterations, tolerance, nullptr);
}

BinaryLogisticModel fit_binary_newton(const MatrixXd& X, const VectorXi& y, double lambda,
                                      const VectorXd& sample_weight, int max_iterations,
                                      double tolerance, FitTrace* trace) {
  const VectorXd yd = labels_as_double(y);
  const Index d = X.cols();
  check_binary("fit_binary_newton", X, yd, VectorXd::Zero(d + 1), lambda, sample_weight);
  mlc::require(max_iterations >= 0 && tolerance >= 0.0, "fit_binary_newton",
               "max_iterations and tolerance must be non-negative");
  const MatrixXd Xt = with_intercept(X);
  const VectorXd s = weights_or_ones(sample_weight, X.rows());
  const VectorXd theta = damped_newton(
      [&](const VectorXd& t) { return binary_loss_t(Xt, yd, t, lambda, s); },
      [&](const VectorXd& t) { return binary_gradient_t(Xt, yd, t, lambda, s); },
      [&](const VectorXd& t, const VectorXd& g) {
        return solve_newton_system(binary_hessian_t(Xt, t, lambda, s), g);
      },
      [d](const VectorXd& t) { return t.head(d).norm(); }, VectorXd::Zero(d + 1), max_iterations,
      tolerance, trace);
  return BinaryLogisticModel{theta.head(d), theta(d)};
}

double binary_lipschitz(const MatrixXd& X, double lambda, const VectorXd& sample_weight) {
  mlc::require(sample_weight.size() == 0 || sample_weight.size() == X.rows(), "binary_lipschitz",
               "sample_weight must have one entry per row of X");
  const VectorXd s = weights_or_ones(sample_weight, X.rows());
  return largest_eigenvalue_of_gram(with_intercept(X), s) / (4.0 * static_cast<double>(X.rows())) +
         lambda;
}

BinaryLogisticModel fit_binary_gd(const MatrixXd& X, const VectorXi& y, double lambda,
                                  int iterations, double step, const VectorXd& sample_weight,
                                  FitTrace* trace, int record_every) {
  const VectorXd yd = labels_as_double(y);
  const Index d = X.cols();
  check_binary("fit_binary_gd", X, yd, VectorXd::Zero(d + 1), lambda, sample_weight);
  mlc::require(iterations >= 0, "fit_binary_gd", "iterations must be non-negative");
  const MatrixXd Xt = with_intercept(X);
  const VectorXd s = weights_or_ones(sample_weight, X.rows());
  const double eta = step > 0.0 ? step : 1.0 / binary_lipschitz(X, lambda, sample_weight);
  VectorXd theta = VectorXd::Zero(d + 1);
  if (trace) *trace = FitTrace{};
  for (int k = 0; k <= iterations; ++k) {
    const VectorXd g = binary_gradient_t(Xt, yd, theta, lambda, s);
    if (trace && (k == iterations || (record_every > 0 && k % record_every == 0))) {
      trace->loss.push_back(binary_loss_t(Xt, yd, theta, lambda, s));
      trace->gradient_norm.push_back(g.norm());
      trace->weight_norm.push_back(theta.head(d).norm());
    }
    if (k == iterations) break;
    theta -= eta * g;  // θ_{k+1} = θ_k − η ∇f(θ_k)
  }
  if (trace) trace->iterations = iterations;
  return BinaryLogisticModel{theta.head(d), theta(d)};
}

VectorXd balanced_sample_weights(const VectorXi& y) {
  const Index n = y.size();
  const Index n1 = (y.array() == 1).count(), n0 = n - n1;
  mlc::require(n0 > 0 && n1 > 0, "balanced_sample_weights", "both classes must be present");
  VectorXd s(n);
  for (Index i = 0; i < n; ++i) {
    s(i) = static_cast<double>(n) / (2.0 * static_cast<double>(y(i) == 1 ? n1 : n0));
  }
  return s;
}

// ---- Softmax -----------------------------------------------------------------------------

MatrixXd softmax(const MatrixXd& scores) {
  MatrixXd P = scores.colwise() - scores.rowwise().maxCoeff();  // shift: no overflow
  P = P.array().exp();
  P.array().colwise() /= P.rowwise().sum().array();
  return P;
}

double softmax_loss(const MatrixXd& X, const VectorXi& y, const MatrixXd& Theta, double lambda,
                    const VectorXd& sample_weight) {
  check_softmax("softmax_loss", X, y, Theta, lambda, sample_weight);
  return softmax_loss_t(with_intercept(X), y, Theta, lambda, weights_or_ones(sample_weight, X.rows()));
}

MatrixXd softmax_cross_entropy_gradient(const MatrixXd& X, const VectorXi& y, const MatrixXd& Theta,
                                        double lambda, const VectorXd& sample_weight) {
  check_softmax("softmax_cross_entropy_gradient", X, y, Theta, lambda, sample_weight);
  return softmax_gradient_t(with_intercept(X), y, Theta, lambda,
                            weights_or_ones(sample_weight, X.rows()));
}

MatrixXd softmax_hessian(const MatrixXd& X, const VectorXi& y, const MatrixXd& Theta, double lambda,
                         const VectorXd& sample_weight) {
  check_softmax("softmax_hessian", X, y, Theta, lambda, sample_weight);
  return softmax_hessian_t(with_intercept(X), Theta, lambda, weights_or_ones(sample_weight, X.rows()));
}

MatrixXd SoftmaxModel::decision_function(const MatrixXd& X) const {
  mlc::require(X.cols() == W.rows(), "SoftmaxModel::decision_function",
               fmt::format("X has {} columns, the model {} weights per class", X.cols(), W.rows()));
  return (X * W).rowwise() + b.transpose();
}

MatrixXd SoftmaxModel::predict_proba(const MatrixXd& X) const { return softmax(decision_function(X)); }

VectorXi SoftmaxModel::predict(const MatrixXd& X) const {
  const MatrixXd Z = decision_function(X);
  VectorXi labels(Z.rows());
  for (Index i = 0; i < Z.rows(); ++i) Z.row(i).maxCoeff(&labels(i));
  return labels;
}

MatrixXd SoftmaxModel::theta() const {
  MatrixXd T(W.rows() + 1, W.cols());
  T.topRows(W.rows()) = W;
  T.bottomRows(1) = b.transpose();
  return T;
}

SoftmaxModel fit_softmax_newton(const MatrixXd& X, const VectorXi& y, int num_classes, double lambda,
                                int max_iterations, double tolerance, FitTrace* trace) {
  const Index p = X.cols() + 1, K = num_classes;
  mlc::require(num_classes >= 2, "fit_softmax_newton", "num_classes must be at least 2");
  check_softmax("fit_softmax_newton", X, y, MatrixXd::Zero(p, K), lambda, {});
  const MatrixXd Xt = with_intercept(X);
  const VectorXd s = VectorXd::Ones(X.rows());
  auto as_matrix = [p, K](const VectorXd& t) { return Eigen::Map<const MatrixXd>(t.data(), p, K); };
  const VectorXd theta = damped_newton(
      [&](const VectorXd& t) { return softmax_loss_t(Xt, y, as_matrix(t), lambda, s); },
      [&](const VectorXd& t) {
        const MatrixXd G = softmax_gradient_t(Xt, y, as_matrix(t), lambda, s);
        return VectorXd(Eigen::Map<const VectorXd>(G.data(), G.size()));
      },
      [&](const VectorXd& t, const VectorXd& g) {
        // Keep Θ 1 = 0 (each row of Θ sums to zero over the classes): the gradient (8) lies in
        // that subspace and the Hessian maps it to itself, so the projection removes only the
        // redundant direction (b_k += c for all k, and w_k += v when λ = 0) that the shift
        // of (5) would otherwise amplify.
        VectorXd delta = solve_newton_system(softmax_hessian_t(Xt, as_matrix(t), lambda, s), g);
        Eigen::Map<MatrixXd> D(delta.data(), p, K);
        D.colwise() -= D.rowwise().mean();
        return delta;
      },
      [&](const VectorXd& t) { return as_matrix(t).topRows(p - 1).norm(); }, VectorXd::Zero(p * K),
      max_iterations, tolerance, trace);
  const MatrixXd T = as_matrix(theta);
  return SoftmaxModel{T.topRows(p - 1), T.bottomRows(1).transpose()};
}

SoftmaxModel fit_softmax_gd(const MatrixXd& X, const VectorXi& y, int num_classes, double lambda,
                            int iterations, double step, FitTrace* trace, int record_every) {
  const Index p = X.cols() + 1, d = p - 1;
  mlc::require(num_classes >= 2, "fit_softmax_gd", "num_classes must be at least 2");
  check_softmax("fit_softmax_gd", X, y, MatrixXd::Zero(p, num_classes), lambda, {});
  mlc::require(iterations >= 0, "fit_softmax_gd", "iterations must be non-negative");
  const MatrixXd Xt = with_intercept(X);
  const VectorXd s = VectorXd::Ones(X.rows());
  const double L = largest_eigenvalue_of_gram(Xt, s) / (2.0 * static_cast<double>(X.rows())) + lambda;
  const double eta = step > 0.0 ? step : 1.0 / L;
  MatrixXd Theta = MatrixXd::Zero(p, num_classes);
  if (trace) *trace = FitTrace{};
  for (int k = 0; k <= iterations; ++k) {
    const MatrixXd G = softmax_gradient_t(Xt, y, Theta, lambda, s);
    if (trace && (k == iterations || (record_every > 0 && k % record_every == 0))) {
      trace->loss.push_back(softmax_loss_t(Xt, y, Theta, lambda, s));
      trace->gradient_norm.push_back(G.norm());
      trace->weight_norm.push_back(Theta.topRows(d).norm());
    }
    if (k == iterations) break;
    Theta -= eta * G;
  }
  if (trace) trace->iterations = iterations;
  return SoftmaxModel{Theta.topRows(d), Theta.bottomRows(1).transpose()};
}

double slope_against_log(const std::vector<double>& t, const std::vector<double>& y) {
  mlc::require(t.size() == y.size() && t.size() >= 2, "slope_against_log",
               "t and y need equal sizes, at least 2");
  const Index m = static_cast<Index>(t.size());
  VectorXd u(m), v(m);
  for (Index i = 0; i < m; ++i) {
    mlc::require(t[static_cast<std::size_t>(i)] > 0.0, "slope_against_log", "t must be positive");
    u(i) = std::log(t[static_cast<std::size_t>(i)]);
    v(i) = y[static_cast<std::size_t>(i)];
  }
  const VectorXd uc = u.array() - u.mean();
  return uc.dot(v) / uc.squaredNorm();
}

}  // namespace logistic_regression
