// automatic_differentiation.hpp: derivatives three ways, side by side (Ceres' habit):
// forward-mode AD with dual numbers, reverse-mode AD with a tape over scalars (a Wengert
// list), and finite differences; plus the hand-derived (closed-form) gradients of four
// losses that every one of them is checked against.
//
// Sources:
//   A. Griewank and A. Walther, "Evaluating Derivatives", 2nd ed., SIAM 2008:
//      ch. 2 (evaluation procedures, the Wengert list), ch. 3-4 (forward and reverse
//      modes, the cost bounds), ch. 14 (non-smooth elementals).
//   A. G. Baydin, B. A. Pearlmutter, A. A. Radul, J. M. Siskind, "Automatic
//      differentiation in machine learning: a survey", JMLR 18 (2018), sections 3.1-3.2.
//   J. Nocedal and S. J. Wright, "Numerical Optimization", 2nd ed., section 8.1, and
//      Press et al., "Numerical Recipes", 3rd ed., section 5.7 (finite-difference steps).
// Equation numbers (1)...(14) refer to NOTES.md.
//
// Layout: data X is m × d (rows are samples), y has m entries. Parameters of every loss
// are one flat vector theta (std::vector<T> inside the generic code, Eigen::VectorXd at
// the interface), packed as documented at each loss.
//
// The losses are written ONCE as templates over the scalar type T and evaluated with
//   T = double  (the value),  T = Dual (forward mode),  T = Var (reverse mode).
// Genericity is the lesson here: AD differentiates the very program that computes f.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include <Eigen/Core>

#include "mlc/error.hpp"

namespace automatic_differentiation {

// ==== Forward mode: dual numbers, (2) ====================================================
// A dual number a + a' ε with ε² = 0 carries a value and one directional derivative.
// Every arithmetic operation applies the chain rule to the ε part.
struct Dual {
  double value = 0.0;
  double deriv = 0.0;  // d value / d (seed direction)
  Dual() = default;
  Dual(double v, double d = 0.0) : value(v), deriv(d) {}  // implicit: constants have d = 0
};

Dual operator+(const Dual& a, const Dual& b);
Dual operator-(const Dual& a, const Dual& b);
Dual operator*(const Dual& a, const Dual& b);
Dual operator/(const Dual& a, const Dual& b);
Dual operator-(const Dual& a);
Dual exp(const Dual& a);
Dual log(const Dual& a);
Dual sin(const Dual& a);
Dual cos(const Dual& a);
Dual tanh(const Dual& a);
Dual sqrt(const Dual& a);
Dual square(const Dual& a);
Dual abs(const Dual& a);       // convention at 0: derivative 0 = sign(0), see (13)
Dual relu(const Dual& a);      // convention at 0: derivative 0 (the left derivative)
Dual softplus(const Dual& a);  // log(1 + e^a), computed stably; derivative sigmoid(a)

// Elementary operations on dual numbers executed by this thread since the last reset
// (every function above counts one). This is how the experiment measures the cost of
// forward mode as an operation count, which is deterministic, unlike a wall time.
std::uint64_t dual_operation_count();
void reset_dual_operation_count();

// ==== Reverse mode: a tape over scalars (the Wengert list), (4)-(6) ======================
// Each node i is one elementary operation v_i = φ_i(v_p0, v_p1) and records its parents
// and the local partials ∂φ_i/∂v_p. Nodes are appended in evaluation order, which is a
// topological order of the computational graph, so the backward pass is one sweep over
// the nodes in reverse order.
struct Node {
  Eigen::Index parent[2] = {-1, -1};  // -1: no parent (an input, or a unary operation)
  double partial[2] = {0.0, 0.0};     // ∂v_i / ∂v_parent[k]
};

class Tape;

// A scalar recorded on a tape: its value and the index of its node. A Var made from a
// double (tape == nullptr) is a constant: operations with it record only the other side.
struct Var {
  Tape* tape = nullptr;
  Eigen::Index index = -1;
  double value = 0.0;
  Var() = default;
  Var(double v) : value(v) {}  // implicit: a constant
  Var(Tape* t, Eigen::Index i, double v) : tape(t), index(i), value(v) {}
};

class Tape {
 public:
  // A new input (a leaf node without parents).
  Var variable(double value);
  // Records v = φ(a, b) with local partials da = ∂φ/∂a, db = ∂φ/∂b. A constant operand
  // (tape == nullptr) gets no edge; two constants give a constant and record nothing.
  // Throws std::invalid_argument when a and b live on different tapes.
  static Var record(double value, const Var& a, double da, const Var& b, double db);
  static Var record(double value, const Var& a, double da);

  // (6) The backward pass: the adjoints v̄_i = ∂output/∂v_i of every node, starting from
  // v̄_output = 1 and sweeping the nodes output.index, ..., 0 in reverse (topological)
  // order, each node adding partial · v̄_i into the adjoints of its parents.
  Eigen::VectorXd backward(const Var& output) const;

  Eigen::Index size() const { return static_cast<Eigen::Index>(nodes_.size()); }
  const std::vector<Node>& nodes() const { return nodes_; }
  void clear() { nodes_.clear(); }

 private:
  Eigen::Index push(const Node& node);
  std::vector<Node> nodes_;
};

Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& a);
Var exp(const Var& a);
Var log(const Var& a);
Var sin(const Var& a);
Var cos(const Var& a);
Var tanh(const Var& a);
Var sqrt(const Var& a);
Var square(const Var& a);
Var abs(const Var& a);   // same conventions as for Dual
Var relu(const Var& a);
Var softplus(const Var& a);

// ==== Plain doubles: the same names, so that one template evaluates all three ==========
// (Without these, exp(2.0) inside the namespace would convert 2.0 to a Dual.)
inline double exp(double a) { return std::exp(a); }
inline double log(double a) { return std::log(a); }
inline double sin(double a) { return std::sin(a); }
inline double cos(double a) { return std::cos(a); }
inline double tanh(double a) { return std::tanh(a); }
inline double sqrt(double a) { return std::sqrt(a); }
inline double abs(double a) { return std::abs(a); }
inline double square(double a) { return a * a; }
inline double relu(double a) { return a > 0.0 ? a : 0.0; }
double softplus(double a);  // max(a, 0) + log1p(e^{-|a|}), never overflows

inline double value_of(double a) { return a; }
inline double value_of(const Dual& a) { return a.value; }
inline double value_of(const Var& a) { return a.value; }

// ==== Gradient drivers ===================================================================
struct GradientResult {
  double value = 0.0;
  Eigen::VectorXd gradient;
  std::uint64_t operations = 0;  // elementary operations executed (see each driver)
  int sweeps = 0;                // passes over the computation
  Eigen::Index tape_nodes = 0;   // reverse mode: nodes stored (its memory cost)
};

// Forward mode, (3): n sweeps, sweep i seeds x_i with derivative 1 (the others 0) and
// reads ∂f/∂x_i from the output's ε part. operations = n × (operations of one sweep).
template <class F>
GradientResult gradient_forward(F&& f, const Eigen::VectorXd& x) {
  mlc::require(x.size() > 0, "gradient_forward", "x is empty");
  const Eigen::Index n = x.size();
  GradientResult r;
  r.gradient.resize(n);
  const std::uint64_t start = dual_operation_count();
  std::vector<Dual> xd(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) xd[static_cast<std::size_t>(j)] = Dual(x(j), i == j ? 1.0 : 0.0);
    const Dual y = f(xd);
    r.value = y.value;
    r.gradient(i) = y.deriv;
  }
  r.operations = dual_operation_count() - start;
  r.sweeps = static_cast<int>(n);
  return r;
}

// Forward mode in one sweep: the directional derivative ∇f(x)·v (a Jacobian-vector
// product), seeding x with direction v.
template <class F>
double directional_derivative(F&& f, const Eigen::VectorXd& x, const Eigen::VectorXd& v) {
  mlc::require(x.size() == v.size() && x.size() > 0, "directional_derivative",
               "x and v must have the same positive size");
  std::vector<Dual> xd(static_cast<std::size_t>(x.size()));
  for (Eigen::Index j = 0; j < x.size(); ++j) xd[static_cast<std::size_t>(j)] = Dual(x(j), v(j));
  return f(xd).deriv;
}

// Reverse mode, (4)-(6): one forward sweep records the tape, one backward sweep gives the
// whole gradient. operations = recorded operation nodes + nodes swept backward.
template <class F>
GradientResult gradient_reverse(F&& f, const Eigen::VectorXd& x) {
  mlc::require(x.size() > 0, "gradient_reverse", "x is empty");
  const Eigen::Index n = x.size();
  Tape tape;
  std::vector<Var> xv;
  xv.reserve(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) xv.push_back(tape.variable(x(i)));  // nodes 0..n-1
  const Var y = f(xv);
  GradientResult r;
  r.value = y.value;
  r.sweeps = 2;
  r.tape_nodes = tape.size();
  if (y.tape == nullptr) {  // f does not depend on x
    r.gradient = Eigen::VectorXd::Zero(n);
    return r;
  }
  const Eigen::VectorXd adjoint = tape.backward(y);
  r.gradient = adjoint.head(n);
  r.operations = static_cast<std::uint64_t>((tape.size() - n) + (y.index + 1 - n));
  return r;
}

// ==== Finite differences, (7)-(12) =======================================================
using ScalarFn = std::function<double(double)>;
using VectorFn = std::function<double(const Eigen::VectorXd&)>;

enum class Difference { kForward, kCentral };

// (7) (f(x + h) - f(x)) / h, error O(h) + O(u/h).
double forward_difference(const ScalarFn& f, double x, double h);
// (8) (f(x + h) - f(x - h)) / (2h), error O(h²) + O(u/h).
double central_difference(const ScalarFn& f, double x, double h);
// The gradient of f: R^n -> R by n (forward: n + 1) or 2n (central) evaluations.
Eigen::VectorXd finite_difference_gradient(const VectorFn& f, const Eigen::VectorXd& x, double h,
                                           Difference scheme);

// The error models (9)-(12) for |f| ≈ f0, |f''| ≈ f2, |f'''| ≈ f3 and rounding u per
// evaluation of f:
//   forward: E(h) = f2 h / 2 + 2 u f0 / h,   h* = 2 sqrt(u f0 / f2)
//   central: E(h) = f3 h² / 6 + u f0 / h,    h* = (3 u f0 / f3)^(1/3)
struct FdErrorModel {
  double truncation = 0.0;
  double rounding = 0.0;
  double total() const { return truncation + rounding; }
};
FdErrorModel forward_difference_error(double h, double f0, double f2, double u);
FdErrorModel central_difference_error(double h, double f0, double f3, double u);
double forward_difference_optimal_step(double f0, double f2, double u);
double central_difference_optimal_step(double f0, double f3, double u);

// The unit roundoff of double, u = 2^-53.
inline constexpr double kUnitRoundoff = 0x1p-53;

// Least-squares slope of log10(error) against log10(h) over the points with h in
// [h_lo, h_hi] (the observed order of a difference formula). Requires >= 2 such points.
double log_log_slope(const Eigen::VectorXd& h, const Eigen::VectorXd& error, double h_lo,
                     double h_hi);

// ==== Losses: one generic definition each, and its hand-derived gradient =================
// Each is a template over T ∈ {double, Dual, Var}. The first operation of every sum is a
// T-valued term (no constant-with-constant operations), so that one evaluation executes
// exactly the same elementary operations for Dual as it records on the tape.

// (L1) Logistic loss, labels y ∈ {0, 1}, theta = (b, w_1..w_d):
//   L = (1/m) Σ_i softplus(z_i) - y_i z_i,  z_i = b + x_iᵀ w.
template <class T>
T logistic_loss(const std::vector<T>& theta, const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  const Eigen::Index m = X.rows(), d = X.cols();
  mlc::require(static_cast<Eigen::Index>(theta.size()) == d + 1 && y.size() == m && m > 0,
               "logistic_loss", "need theta of size d + 1, y of size m, m > 0");
  T total{};
  for (Eigen::Index i = 0; i < m; ++i) {
    T z = theta[0];
    for (Eigen::Index j = 0; j < d; ++j) z = z + theta[static_cast<std::size_t>(j + 1)] * X(i, j);
    const T term = softplus(z) - z * y(i);
    total = (i == 0) ? term : total + term;
  }
  return total / static_cast<double>(m);
}
// (L1') dL/db = mean(σ(z) - y), dL/dw = Xᵀ(σ(z) - y) / m.
Eigen::VectorXd logistic_loss_gradient(const Eigen::VectorXd& theta, const Eigen::MatrixXd& X,
                                       const Eigen::VectorXd& y);

// (L2) Softmax cross-entropy, classes y ∈ {0..k-1}, W is d × k packed column-major in
// theta (theta[j + d c] = W_jc), no bias:
//   L = (1/m) Σ_i [ logsumexp(z_i) - z_{i, y_i} ],  z_i = Wᵀ x_i.
// The log-sum-exp is shifted by c_i = max_c value(z_ic), a constant: exact and stable.
template <class T>
T softmax_cross_entropy(const std::vector<T>& theta, const Eigen::MatrixXd& X,
                        const Eigen::VectorXi& y, int k) {
  const Eigen::Index m = X.rows(), d = X.cols();
  mlc::require(k >= 2 && static_cast<Eigen::Index>(theta.size()) == d * k && y.size() == m && m > 0,
               "softmax_cross_entropy", "need k >= 2, theta of size d k, y of size m");
  T total{};
  std::vector<T> z(static_cast<std::size_t>(k));
  for (Eigen::Index i = 0; i < m; ++i) {
    mlc::require(y(i) >= 0 && y(i) < k, "softmax_cross_entropy", "label out of range");
    double shift = -INFINITY;
    for (int c = 0; c < k; ++c) {
      T zc = theta[static_cast<std::size_t>(c * d)] * X(i, 0);
      for (Eigen::Index j = 1; j < d; ++j) zc = zc + theta[static_cast<std::size_t>(j + c * d)] * X(i, j);
      z[static_cast<std::size_t>(c)] = zc;
      shift = std::max(shift, value_of(zc));
    }
    T sum = exp(z[0] - shift);
    for (int c = 1; c < k; ++c) sum = sum + exp(z[static_cast<std::size_t>(c)] - shift);
    const T term = log(sum) + shift - z[static_cast<std::size_t>(y(i))];
    total = (i == 0) ? term : total + term;
  }
  return total / static_cast<double>(m);
}
// (L2') dL/dW = Xᵀ(softmax(Z) - Y) / m   [d × k], Y one-hot; returned packed as theta.
Eigen::VectorXd softmax_cross_entropy_gradient(const Eigen::VectorXd& theta, const Eigen::MatrixXd& X,
                                               const Eigen::VectorXi& y, int k);

// (L3) A 2-layer tanh network, squared error. Hidden width H, scalar output;
// theta = (W1 [d × H] column-major, b1 [H], w2 [H], b2), size H(d + 2) + 1:
//   a_i = tanh(W1ᵀ x_i + b1)  [H],  o_i = w2ᵀ a_i + b2,  L = (1/2m) Σ_i (o_i - y_i)².
Eigen::Index mlp_parameter_count(Eigen::Index d, Eigen::Index hidden);
template <class T>
T mlp_loss(const std::vector<T>& theta, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
           Eigen::Index hidden) {
  const Eigen::Index m = X.rows(), d = X.cols(), H = hidden;
  mlc::require(H > 0 && static_cast<Eigen::Index>(theta.size()) == mlp_parameter_count(d, H) &&
                   y.size() == m && m > 0,
               "mlp_loss", "need theta of size H(d + 2) + 1 and y of size m");
  auto at = [&](Eigen::Index k) -> const T& { return theta[static_cast<std::size_t>(k)]; };
  const Eigen::Index b1 = d * H, w2 = b1 + H, b2 = w2 + H;
  T total{};
  for (Eigen::Index i = 0; i < m; ++i) {
    T o = at(b2);
    for (Eigen::Index h = 0; h < H; ++h) {
      T pre = at(b1 + h);
      for (Eigen::Index j = 0; j < d; ++j) pre = pre + at(j + h * d) * X(i, j);
      o = o + at(w2 + h) * tanh(pre);
    }
    const T term = square(o - y(i));
    total = (i == 0) ? term : total + term;
  }
  return total / (2.0 * static_cast<double>(m));
}
// (L3') Backpropagation by hand: r_i = (o_i - y_i)/m, dw2 = Σ r_i a_i, db2 = Σ r_i,
// δ_i = r_i w2 ⊙ (1 - a_i²), dW1 = Σ x_i δ_iᵀ, db1 = Σ δ_i.
Eigen::VectorXd mlp_loss_gradient(const Eigen::VectorXd& theta, const Eigen::MatrixXd& X,
                                  const Eigen::VectorXd& y, Eigen::Index hidden);

// (L4) The extended Rosenbrock function, n >= 2:
//   f(x) = Σ_{i<n-1} 100 (x_{i+1} - x_i²)² + (1 - x_i)².
template <class T>
T rosenbrock(const std::vector<T>& x) {
  mlc::require(x.size() >= 2, "rosenbrock", "needs n >= 2");
  T total{};
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    const T term = square(x[i + 1] - square(x[i])) * 100.0 + square(1.0 - x[i]);
    total = (i == 0) ? term : total + term;
  }
  return total;
}
// (L4') ∂f/∂x_i = -400 x_i (x_{i+1} - x_i²) - 2 (1 - x_i) + 200 (x_i - x_{i-1}²).
Eigen::VectorXd rosenbrock_gradient(const Eigen::VectorXd& x);

// Adapters: a loss of a std::vector<double> as a function of an Eigen vector.
inline std::vector<double> to_std(const Eigen::VectorXd& x) {
  return std::vector<double>(x.data(), x.data() + x.size());
}

}  // namespace automatic_differentiation
