// automatic_differentiation.cpp: dual numbers, the tape, finite differences and the
// hand-derived gradients (automatic_differentiation.hpp has the contract, NOTES.md the math;
// (n) refers to NOTES.md's equation n).
#include "automatic_differentiation.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace automatic_differentiation {

namespace {
thread_local std::uint64_t g_dual_operations = 0;
inline void count_operation() { ++g_dual_operations; }
double sigmoid(double z) {  // never overflows: e^{-|z|} <= 1
  const double e = std::exp(-std::abs(z));
  return z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}
}  // namespace

std::uint64_t dual_operation_count() { return g_dual_operations; }
void reset_dual_operation_count() { g_dual_operations = 0; }

double softplus(double a) { return std::max(a, 0.0) + std::log1p(std::exp(-std::abs(a))); }

// ==== Dual numbers: (a + a'ε) ∘ (b + b'ε), ε² = 0, (2) ====================================

Dual operator+(const Dual& a, const Dual& b) {
  count_operation();
  return {a.value + b.value, a.deriv + b.deriv};
}

Dual operator-(const Dual& a, const Dual& b) {
  count_operation();
  return {a.value - b.value, a.deriv - b.deriv};
}

Dual operator*(const Dual& a, const Dual& b) {
  count_operation();
  // BEGIN EXERCISE dual_multiply: the product rule on dual numbers, equation (2)
  // (a + a'ε)(b + b'ε) = ab + (a'b + ab')ε + a'b'ε², and ε² = 0.
  return {a.value * b.value, a.deriv * b.value + a.value * b.deriv};
  // END EXERCISE
}

Dual operator/(const Dual& a, const Dual& b) {
  count_operation();
  // (a/b)' = (a' b - a b') / b² = (a' - (a/b) b') / b
  const double q = a.value / b.value;
  return {q, (a.deriv - q * b.deriv) / b.value};
}

Dual operator-(const Dual& a) {
  count_operation();
  return {-a.value, -a.deriv};
}

// Every elementary function: f(a + a'ε) = f(a) + f'(a) a' ε, (2).
Dual exp(const Dual& a) {
  count_operation();
  const double e = std::exp(a.value);
  return {e, e * a.deriv};
}

Dual log(const Dual& a) {
  count_operation();
  return {std::log(a.value), a.deriv / a.value};
}

Dual sin(const Dual& a) {
  count_operation();
  return {std::sin(a.value), std::cos(a.value) * a.deriv};
}

Dual cos(const Dual& a) {
  count_operation();
  return {std::cos(a.value), -std::sin(a.value) * a.deriv};
}

Dual tanh(const Dual& a) {
  count_operation();
  // BEGIN EXERCISE dual_tanh: the chain rule for tanh on a dual number, equation (2)
  // tanh'(a) = 1 - tanh(a)², reusing the value already computed.
  const double t = std::tanh(a.value);
  return {t, (1.0 - t * t) * a.deriv};
  // END EXERCISE
}

Dual sqrt(const Dual& a) {
  count_operation();
  const double s = std::sqrt(a.value);
  return {s, a.deriv / (2.0 * s)};  // at a = 0: 0 / 0 = NaN when a' = 0 (failure mode)
}

Dual square(const Dual& a) {
  count_operation();
  return {a.value * a.value, 2.0 * a.value * a.deriv};
}

Dual abs(const Dual& a) {
  count_operation();
  // (13) d|a| = sign(a) a', with sign(0) = 0: the minimum-norm subgradient at the kink.
  const double s = a.value > 0.0 ? 1.0 : (a.value < 0.0 ? -1.0 : 0.0);
  return {std::abs(a.value), s * a.deriv};
}

Dual relu(const Dual& a) {
  count_operation();
  // (13) relu'(a) = [a > 0]: at a = 0 the left derivative 0 (PyTorch's convention).
  return {a.value > 0.0 ? a.value : 0.0, a.value > 0.0 ? a.deriv : 0.0};
}

Dual softplus(const Dual& a) {
  count_operation();
  return {softplus(a.value), sigmoid(a.value) * a.deriv};
}

// ==== The tape, (4)-(6) ==================================================================

Eigen::Index Tape::push(const Node& node) {
  nodes_.push_back(node);
  return static_cast<Eigen::Index>(nodes_.size()) - 1;
}

Var Tape::variable(double value) { return Var(this, push(Node{}), value); }

Var Tape::record(double value, const Var& a, double da, const Var& b, double db) {
  mlc::require(a.tape == nullptr || b.tape == nullptr || a.tape == b.tape, "Tape::record",
               "the two operands live on different tapes");
  Tape* tape = a.tape != nullptr ? a.tape : b.tape;
  if (tape == nullptr) return Var(value);  // constant ∘ constant = constant
  Node node;
  int k = 0;
  if (a.tape != nullptr) {
    node.parent[k] = a.index;
    node.partial[k++] = da;
  }
  if (b.tape != nullptr) {
    node.parent[k] = b.index;
    node.partial[k] = db;
  }
  return Var(tape, tape->push(node), value);
}

Var Tape::record(double value, const Var& a, double da) {
  if (a.tape == nullptr) return Var(value);
  Node node;
  node.parent[0] = a.index;
  node.partial[0] = da;
  return Var(a.tape, a.tape->push(node), value);
}

Eigen::VectorXd Tape::backward(const Var& output) const {
  mlc::require(output.tape == this && output.index >= 0 && output.index < size(), "Tape::backward",
               fmt::format("the output is not a node of this tape (index {}, tape size {})",
                           output.index, size()));
  Eigen::VectorXd adjoint = Eigen::VectorXd::Zero(size());
  // BEGIN EXERCISE tape_backward: the reverse sweep over the Wengert list, equation (6)
  // v̄_out = 1; for i = out, ..., 0: for each parent p of node i: v̄_p += (∂v_i/∂v_p) v̄_i.
  // Nodes were appended in evaluation order, so every parent has a smaller index than its
  // child: by the time node i is reached, every node that uses v_i has already pushed its
  // contribution into v̄_i (reverse topological order).
  adjoint(output.index) = 1.0;
  for (Eigen::Index i = output.index; i >= 0; --i) {
    const Node& node = nodes_[static_cast<std::size_t>(i)];
    for (int k = 0; k < 2; ++k) {
      if (node.parent[k] >= 0) adjoint(node.parent[k]) += node.partial[k] * adjoint(i);
    }
  }
  return adjoint;
  // END EXERCISE
}

// Each operation records its value and its local partials, (5).
Var operator+(const Var& a, const Var& b) { return Tape::record(a.value + b.value, a, 1.0, b, 1.0); }
Var operator-(const Var& a, const Var& b) { return Tape::record(a.value - b.value, a, 1.0, b, -1.0); }
Var operator*(const Var& a, const Var& b) { return Tape::record(a.value * b.value, a, b.value, b, a.value); }
Var operator/(const Var& a, const Var& b) {
  const double q = a.value / b.value;
  return Tape::record(q, a, 1.0 / b.value, b, -q / b.value);
}
Var operator-(const Var& a) { return Tape::record(-a.value, a, -1.0); }
Var exp(const Var& a) {
  const double e = std::exp(a.value);
  return Tape::record(e, a, e);
}
Var log(const Var& a) { return Tape::record(std::log(a.value), a, 1.0 / a.value); }
Var sin(const Var& a) { return Tape::record(std::sin(a.value), a, std::cos(a.value)); }
Var cos(const Var& a) { return Tape::record(std::cos(a.value), a, -std::sin(a.value)); }
Var tanh(const Var& a) {
  const double t = std::tanh(a.value);
  return Tape::record(t, a, 1.0 - t * t);
}
Var sqrt(const Var& a) {
  const double s = std::sqrt(a.value);
  return Tape::record(s, a, 1.0 / (2.0 * s));  // at a = 0 the partial is +inf (failure mode)
}
Var square(const Var& a) { return Tape::record(a.value * a.value, a, 2.0 * a.value); }
Var abs(const Var& a) {
  const double s = a.value > 0.0 ? 1.0 : (a.value < 0.0 ? -1.0 : 0.0);  // (13)
  return Tape::record(std::abs(a.value), a, s);
}
Var relu(const Var& a) { return Tape::record(a.value > 0.0 ? a.value : 0.0, a, a.value > 0.0 ? 1.0 : 0.0); }
Var softplus(const Var& a) { return Tape::record(softplus(a.value), a, sigmoid(a.value)); }

// ==== Finite differences, (7)-(12) =======================================================

double forward_difference(const ScalarFn& f, double x, double h) {
  mlc::require(h > 0.0 && std::isfinite(h), "forward_difference", fmt::format("step h = {} must be positive", h));
  return (f(x + h) - f(x)) / h;  // (7)
}

double central_difference(const ScalarFn& f, double x, double h) {
  mlc::require(h > 0.0 && std::isfinite(h), "central_difference", fmt::format("step h = {} must be positive", h));
  // BEGIN EXERCISE central_difference: the symmetric difference quotient, equation (8)
  // The even terms of the Taylor series cancel: the error is f'''(x) h² / 6 + O(h⁴).
  return (f(x + h) - f(x - h)) / (2.0 * h);
  // END EXERCISE
}

Eigen::VectorXd finite_difference_gradient(const VectorFn& f, const Eigen::VectorXd& x, double h,
                                           Difference scheme) {
  mlc::require(x.size() > 0, "finite_difference_gradient", "x is empty");
  Eigen::VectorXd g(x.size());
  Eigen::VectorXd xi = x;
  const double f0 = scheme == Difference::kForward ? f(x) : 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    auto fi = [&](double t) {
      xi(i) = t;
      const double v = f(xi);
      xi(i) = x(i);
      return v;
    };
    g(i) = scheme == Difference::kCentral ? central_difference(fi, x(i), h)
                                          : (fi(x(i) + h) - f0) / h;
  }
  return g;
}

FdErrorModel forward_difference_error(double h, double f0, double f2, double u) {
  return {f2 * h / 2.0, 2.0 * u * f0 / h};  // (9)
}

FdErrorModel central_difference_error(double h, double f0, double f3, double u) {
  return {f3 * h * h / 6.0, u * f0 / h};  // (11)
}

double forward_difference_optimal_step(double f0, double f2, double u) {
  mlc::require(f0 > 0 && f2 > 0 && u > 0, "forward_difference_optimal_step", "needs positive f0, f2, u");
  return 2.0 * std::sqrt(u * f0 / f2);  // (10)
}

double central_difference_optimal_step(double f0, double f3, double u) {
  mlc::require(f0 > 0 && f3 > 0 && u > 0, "central_difference_optimal_step", "needs positive f0, f3, u");
  return std::cbrt(3.0 * u * f0 / f3);  // (12)
}

double log_log_slope(const Eigen::VectorXd& h, const Eigen::VectorXd& error, double h_lo, double h_hi) {
  mlc::require(h.size() == error.size(), "log_log_slope",
               fmt::format("h has {} entries, error {}", h.size(), error.size()));
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int k = 0;
  for (Eigen::Index i = 0; i < h.size(); ++i) {
    if (h(i) < h_lo || h(i) > h_hi || !(error(i) > 0.0)) continue;
    const double lx = std::log10(h(i)), ly = std::log10(error(i));
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
    ++k;
  }
  mlc::require(k >= 2, "log_log_slope", "fewer than two points with positive error in [h_lo, h_hi]");
  return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

// ==== Hand-derived gradients ===============================================================

Eigen::VectorXd logistic_loss_gradient(const Eigen::VectorXd& theta, const Eigen::MatrixXd& X,
                                       const Eigen::VectorXd& y) {
  const Eigen::Index m = X.rows(), d = X.cols();
  mlc::require(theta.size() == d + 1 && y.size() == m && m > 0, "logistic_loss_gradient",
               fmt::format("theta has {} entries (need d + 1 = {}), y {} (need m = {})", theta.size(),
                           d + 1, y.size(), m));
  const Eigen::VectorXd z = (X * theta.tail(d)).array() + theta(0);  // [m]
  Eigen::VectorXd r(m);                                                // σ(z) - y  [m]
  for (Eigen::Index i = 0; i < m; ++i) r(i) = sigmoid(z(i)) - y(i);
  Eigen::VectorXd g(d + 1);
  g(0) = r.sum() / static_cast<double>(m);                          // (L1') dL/db
  g.tail(d) = X.transpose() * r / static_cast<double>(m);           // (L1') dL/dw = Xᵀ r / m  [d]
  return g;
}

Eigen::VectorXd softmax_cross_entropy_gradient(const Eigen::VectorXd& theta, const Eigen::MatrixXd& X,
                                               const Eigen::VectorXi& y, int k) {
  const Eigen::Index m = X.rows(), d = X.cols();
  mlc::require(k >= 2 && theta.size() == d * k && y.size() == m && m > 0, "softmax_cross_entropy_gradient",
               fmt::format("theta has {} entries (need d k = {}), y {} (need m = {})", theta.size(), d * k,
                           y.size(), m));
  const Eigen::Map<const Eigen::MatrixXd> W(theta.data(), d, k);  // [d × k]
  Eigen::MatrixXd P = X * W;                                       // logits Z  [m × k]
  for (Eigen::Index i = 0; i < m; ++i) {
    P.row(i).array() -= P.row(i).maxCoeff();
    P.row(i) = P.row(i).array().exp().matrix();
    P.row(i) /= P.row(i).sum();                                    // softmax(Z)
    P(i, y(i)) -= 1.0;                                             // softmax(Z) - Y
  }
  const Eigen::MatrixXd G = X.transpose() * P / static_cast<double>(m);  // (L2')  [d × k]
  return Eigen::Map<const Eigen::VectorXd>(G.data(), d * k);
}

Eigen::Index mlp_parameter_count(Eigen::Index d, Eigen::Index hidden) { return hidden * (d + 2) + 1; }

Eigen::VectorXd mlp_loss_gradient(const Eigen::VectorXd& theta, const Eigen::MatrixXd& X,
                                  const Eigen::VectorXd& y, Eigen::Index hidden) {
  const Eigen::Index m = X.rows(), d = X.cols(), H = hidden;
  mlc::require(H > 0 && theta.size() == mlp_parameter_count(d, H) && y.size() == m && m > 0,
               "mlp_loss_gradient",
               fmt::format("theta has {} entries (need H(d + 2) + 1 = {}), y {} (need m = {})",
                           theta.size(), mlp_parameter_count(d, H), y.size(), m));
  const Eigen::Map<const Eigen::MatrixXd> W1(theta.data(), d, H);  // [d × H]
  const Eigen::VectorXd b1 = theta.segment(d * H, H);               // [H]
  const Eigen::VectorXd w2 = theta.segment(d * H + H, H);           // [H]
  const double b2 = theta(d * H + 2 * H);
  // forward: A = tanh(X W1 + 1 b1ᵀ)  [m × H],  o = A w2 + b2  [m]
  const Eigen::MatrixXd A = ((X * W1).rowwise() + b1.transpose()).array().tanh().matrix();
  const Eigen::VectorXd r = ((A * w2).array() + b2 - y.array()).matrix() / static_cast<double>(m);  // [m]
  // backward, (L3'): δ = (r w2ᵀ) ⊙ (1 - A ⊙ A)  [m × H]
  const Eigen::MatrixXd delta = ((r * w2.transpose()).array() * (1.0 - A.array().square())).matrix();
  Eigen::VectorXd g(theta.size());
  Eigen::Map<Eigen::MatrixXd>(g.data(), d, H) = X.transpose() * delta;  // dW1 = Xᵀ δ  [d × H]
  g.segment(d * H, H) = delta.colwise().sum().transpose();               // db1  [H]
  g.segment(d * H + H, H) = A.transpose() * r;                           // dw2 = Aᵀ r  [H]
  g(d * H + 2 * H) = r.sum();                                            // db2
  return g;
}

Eigen::VectorXd rosenbrock_gradient(const Eigen::VectorXd& x) {
  const Eigen::Index n = x.size();
  mlc::require(n >= 2, "rosenbrock_gradient", fmt::format("needs n >= 2, got {}", n));
  Eigen::VectorXd g = Eigen::VectorXd::Zero(n);
  for (Eigen::Index i = 0; i + 1 < n; ++i) {  // (L4') term i touches x_i and x_{i+1}
    const double t = x(i + 1) - x(i) * x(i);
    g(i) += -400.0 * x(i) * t - 2.0 * (1.0 - x(i));
    g(i + 1) += 200.0 * t;
  }
  return g;
}

}  // namespace automatic_differentiation
