// gradient_descent.cpp: first-order methods, their test problems and their rates.
// Pure computation, no I/O. Equation numbers (n) refer to NOTES.md; the interface and the
// sources are documented in gradient_descent.hpp.
#include "gradient_descent.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <fmt/format.h>

#include "mlc/error.hpp"

namespace gradient_descent {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// ---- Line search -----------------------------------------------------------------------

LineSearchResult armijo_backtracking(const std::function<double(const VectorXd&)>& f,
                                     const VectorXd& x, double fx, const VectorXd& g,
                                     const VectorXd& direction, double t0, double beta, double c,
                                     int max_steps) {
  constexpr const char* kWhere = "armijo_backtracking";
  mlc::require(g.size() == x.size() && direction.size() == x.size(), kWhere,
               fmt::format("x has {} entries, g {}, direction {}", x.size(), g.size(),
                           direction.size()));
  mlc::require(std::isfinite(fx), kWhere, "f(x) must be finite");
  mlc::require(t0 > 0.0 && beta > 0.0 && beta < 1.0 && c > 0.0 && c < 1.0 && max_steps >= 1,
               kWhere,
               fmt::format("need t0 > 0, 0 < beta < 1, 0 < c < 1, max_steps >= 1; got t0 = {}, "
                           "beta = {}, c = {}, max_steps = {}",
                           t0, beta, c, max_steps));
  const double slope = g.dot(direction);  // g·d, the directional derivative at t = 0
  mlc::require(slope < 0.0, kWhere,
               fmt::format("direction is not a descent direction: g·d = {} (must be < 0)", slope));
  // BEGIN EXERCISE armijo_backtracking: shrink t = t0, t0·β, t0·β², ... until the sufficient-decrease condition (9) holds
  double t = t0;
  for (int k = 0; k < max_steps; ++k) {
    const double f_trial = f(x + t * direction);
    // (9) f(x + t d) <= f(x) + c t g·d. A NaN f_trial compares false: the step shrinks.
    if (f_trial <= fx + c * t * slope) return {t, k + 1, true};
    t *= beta;
  }
  return {0.0, max_steps, false};
  // END EXERCISE
}

// ---- Quadratics ------------------------------------------------------------------------

double Quadratic::value(const VectorXd& x) const {
  return 0.5 * x.dot(A * x) - b.dot(x);  // (1)
}

VectorXd Quadratic::gradient(const VectorXd& x) const {
  return A * x - b;  // (1) ∇f = A x − b   [d]
}

VectorXd Quadratic::minimizer() const {
  Eigen::LLT<MatrixXd> llt(A);
  if (llt.info() != Eigen::Success) {
    throw mlc::NumericalError("Quadratic::minimizer: A is not positive definite");
  }
  return llt.solve(b);
}

double Quadratic::minimum() const {
  return -0.5 * b.dot(minimizer());  // f(x*) = ½ x*ᵀ A x* − bᵀ x* = −½ bᵀ x*
}

double Quadratic::smoothness() const {
  return Eigen::SelfAdjointEigenSolver<MatrixXd>(A, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
}

double Quadratic::strong_convexity() const {
  return Eigen::SelfAdjointEigenSolver<MatrixXd>(A, Eigen::EigenvaluesOnly).eigenvalues().minCoeff();
}

Objective Quadratic::objective() const {
  return {[q = *this](const VectorXd& x) { return q.value(x); },
          [q = *this](const VectorXd& x) { return q.gradient(x); }};
}

Quadratic make_quadratic(const VectorXd& eigenvalues, const MatrixXd& Q, const VectorXd& x_star) {
  const auto d = eigenvalues.size();
  mlc::require(d >= 1 && Q.rows() == d && Q.cols() == d && x_star.size() == d, "make_quadratic",
               fmt::format("{0} eigenvalues need a {0} × {0} Q and {0} entries of x*; got {1} × {2} "
                           "and {3}",
                           d, Q.rows(), Q.cols(), x_star.size()));
  mlc::require(eigenvalues.minCoeff() > 0.0, "make_quadratic", "eigenvalues must be positive");
  mlc::require((Q.transpose() * Q - MatrixXd::Identity(d, d)).norm() < 1e-8 * static_cast<double>(d),
               "make_quadratic", "Q must be orthogonal");
  Quadratic q;
  q.A = Q * eigenvalues.asDiagonal() * Q.transpose();
  q.A = 0.5 * (q.A + q.A.transpose()).eval();  // exactly symmetric
  q.b = q.A * x_star;                          // so that A x* = b
  return q;
}

Quadratic rotated_quadratic_2d(double mu, double L, double angle) {
  mlc::require(0.0 < mu && mu <= L, "rotated_quadratic_2d",
               fmt::format("need 0 < mu <= L; got mu = {}, L = {}", mu, L));
  MatrixXd Q(2, 2);  // columns: the stiff axis (eigenvalue L), then the flat one (μ)
  Q << std::cos(angle), -std::sin(angle), std::sin(angle), std::cos(angle);
  return make_quadratic(Eigen::Vector2d(L, mu), Q, VectorXd::Zero(2));
}

Quadratic random_quadratic(int d, double mu, double L, mlc::Rng& rng) {
  mlc::require(d >= 2 && 0.0 < mu && mu <= L, "random_quadratic",
               fmt::format("need d >= 2 and 0 < mu <= L; got d = {}, mu = {}, L = {}", d, mu, L));
  VectorXd eigenvalues(d);
  for (int i = 0; i < d; ++i) {
    eigenvalues(i) = mu * std::pow(L / mu, static_cast<double>(i) / (d - 1));
  }
  const MatrixXd G = rng.normal_matrix(d, d);
  const MatrixXd Q = Eigen::HouseholderQR<MatrixXd>(G).householderQ() * MatrixXd::Identity(d, d);
  return make_quadratic(eigenvalues, Q, rng.normal_vector(d));
}

// ---- Logistic regression ---------------------------------------------------------------

namespace {

// log(1 + e^z) without overflow.
double softplus(double z) { return z > 0.0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

// σ(z) = 1 / (1 + e^{−z}) without overflow.
double sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

void check_logistic(const LogisticLoss& loss, const VectorXd& w, const char* where) {
  mlc::require(loss.X.rows() == loss.y.size() && loss.X.rows() > 0, where,
               fmt::format("X is {} × {} but y has {} entries", loss.X.rows(), loss.X.cols(),
                           loss.y.size()));
  mlc::require(w.size() == loss.X.cols(), where,
               fmt::format("w has {} entries, X has {} columns", w.size(), loss.X.cols()));
}

}  // namespace

double LogisticLoss::value(const VectorXd& w) const {
  check_logistic(*this, w, "LogisticLoss::value");
  const VectorXd z = X * w;  // [n]
  double sum = 0.0;
  for (Eigen::Index i = 0; i < z.size(); ++i) sum += softplus(z(i)) - y(i) * z(i);
  return sum / static_cast<double>(X.rows()) + 0.5 * lambda * w.squaredNorm();  // (11)
}

VectorXd LogisticLoss::gradient(const VectorXd& w) const {
  check_logistic(*this, w, "LogisticLoss::gradient");
  const VectorXd z = X * w;
  const VectorXd residual = z.unaryExpr(&sigmoid) - y;                               // σ(Xw) − y   [n]
  return X.transpose() * residual / static_cast<double>(X.rows()) + lambda * w;  // (12)   [d]
}

MatrixXd LogisticLoss::hessian(const VectorXd& w) const {
  check_logistic(*this, w, "LogisticLoss::hessian");
  const VectorXd p = (X * w).unaryExpr(&sigmoid);
  const VectorXd s = p.array() * (1.0 - p.array());  // σ'(z_i) = σ(1 − σ) ≤ 1/4
  MatrixXd H = X.transpose() * s.asDiagonal() * X / static_cast<double>(X.rows());  // (13)
  H.diagonal().array() += lambda;
  return H;
}

double LogisticLoss::smoothness_bound() const {
  // (14) ‖X‖₂² = λ_max(XᵀX), a d × d symmetric eigenproblem: O(nd² + d³).
  const MatrixXd gram = X.transpose() * X;
  const double norm2 =
      Eigen::SelfAdjointEigenSolver<MatrixXd>(gram, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
  return norm2 / (4.0 * static_cast<double>(X.rows())) + lambda;
}

Objective LogisticLoss::objective() const {
  return {[l = *this](const VectorXd& w) { return l.value(w); },
          [l = *this](const VectorXd& w) { return l.gradient(w); }};
}

VectorXd logistic_newton_minimizer(const LogisticLoss& loss, double gradient_tolerance,
                                   int max_iterations) {
  mlc::require(loss.lambda > 0.0, "logistic_newton_minimizer",
               "lambda must be positive (else the minimiser may not exist)");
  VectorXd w = VectorXd::Zero(loss.X.cols());
  const auto f = [&loss](const VectorXd& v) { return loss.value(v); };
  for (int it = 0; it <= max_iterations; ++it) {
    const VectorXd g = loss.gradient(w);
    if (g.norm() <= gradient_tolerance) return w;
    const VectorXd direction = -loss.hessian(w).llt().solve(g);  // Newton step −H⁻¹ g
    // Damped Newton: Armijo from t = 1. Near x* rounding can hide the tiny decrease; the
    // full step is then the right one (quadratic convergence).
    const LineSearchResult ls = armijo_backtracking(f, w, loss.value(w), g, direction);
    w += (ls.success ? ls.step : 1.0) * direction;
  }
  throw mlc::NumericalError(fmt::format(
      "logistic_newton_minimizer: gradient norm still above {} after {} Newton steps",
      gradient_tolerance, max_iterations));
}

// ---- Methods ---------------------------------------------------------------------------

namespace {

void check_run(const char* where, const Objective& f, const VectorXd& x0, const StopRule& stop) {
  mlc::require(static_cast<bool>(f.value) && static_cast<bool>(f.gradient), where,
               "the objective needs both value and gradient");
  mlc::require(x0.size() > 0 && x0.allFinite(), where, "x0 must be non-empty and finite");
  mlc::require(stop.max_iterations >= 0, where, "max_iterations must be >= 0");
}

// Bookkeeping shared by every method: records f(x_k) (and x_k) in the trace and decides
// when to stop. These evaluations are for the record; methods count their own cost.
class Monitor {
 public:
  Monitor(const Objective& f, const VectorXd& x0, const StopRule& stop, Trace& trace)
      : f_(f), stop_(stop), trace_(trace) {
    record(x0);
  }
  bool running() const { return !stopped_; }
  void stop() { stopped_ = true; }

  // Appends x_{k+1}; returns f(x_{k+1}).
  double record(const VectorXd& x) {
    const double fx = f_.value(x);
    trace_.values.push_back(fx);
    if (stop_.record_iterates) trace_.iterates.push_back(x);
    trace_.x = x;
    trace_.iterations = static_cast<int>(trace_.values.size()) - 1;
    if (!std::isfinite(fx) || fx > stop_.divergence_value) {
      trace_.diverged = true;  // a result, not an error: the caller provoked it or reports it
      stopped_ = true;
    } else if (fx <= stop_.target_value ||
               (stop_.gradient_tolerance > 0.0 && f_.gradient(x).norm() <= stop_.gradient_tolerance)) {
      trace_.reached_target = true;
      stopped_ = true;
    } else if (trace_.iterations >= stop_.max_iterations) {
      stopped_ = true;
    }
    return fx;
  }

 private:
  const Objective& f_;
  const StopRule& stop_;
  Trace& trace_;
  bool stopped_ = false;
};

}  // namespace

Trace gradient_descent(const Objective& f, const VectorXd& x0, double step, const StopRule& stop) {
  check_run("gradient_descent", f, x0, stop);
  mlc::require(step > 0.0, "gradient_descent", fmt::format("step must be > 0; got {}", step));
  Trace trace;
  Monitor monitor(f, x0, stop, trace);
  // BEGIN EXERCISE gradient_descent: the iteration (2); call monitor.record(x) after each step
  VectorXd x = x0;
  while (monitor.running()) {
    x -= step * f.gradient(x);  // (2) x_{k+1} = x_k − η ∇f(x_k)
    ++trace.gradient_evaluations;
    monitor.record(x);
  }
  // END EXERCISE
  return trace;
}

Trace heavy_ball(const Objective& f, const VectorXd& x0, double step, double momentum,
                 const StopRule& stop) {
  check_run("heavy_ball", f, x0, stop);
  mlc::require(step > 0.0 && momentum >= 0.0 && momentum < 1.0, "heavy_ball",
               fmt::format("need step > 0 and 0 <= momentum < 1; got {}, {}", step, momentum));
  Trace trace;
  Monitor monitor(f, x0, stop, trace);
  // BEGIN EXERCISE heavy_ball: Polyak's iteration (6) with x_{−1} = x_0; call monitor.record(x) after each step
  VectorXd x = x0;
  VectorXd x_prev = x0;
  while (monitor.running()) {
    VectorXd x_next = x - step * f.gradient(x) + momentum * (x - x_prev);  // (6)
    ++trace.gradient_evaluations;
    x_prev = std::move(x);
    x = std::move(x_next);
    monitor.record(x);
  }
  // END EXERCISE
  return trace;
}

Trace nesterov(const Objective& f, const VectorXd& x0, double step, double momentum,
               const StopRule& stop, bool adaptive_restart) {
  check_run("nesterov", f, x0, stop);
  mlc::require(step > 0.0 && momentum >= 0.0 && momentum < 1.0, "nesterov",
               fmt::format("need step > 0 and 0 <= momentum < 1; got {}, {}", step, momentum));
  Trace trace;
  Monitor monitor(f, x0, stop, trace);
  if (adaptive_restart) trace.function_evaluations = 1;  // f(x_0), needed for the first test
  // BEGIN EXERCISE nesterov: the look-ahead iteration (8), with the function-value restart (10) when adaptive_restart
  VectorXd x = x0;
  VectorXd x_prev = x0;
  double fx = trace.values.front();
  while (monitor.running()) {
    const VectorXd y = x + momentum * (x - x_prev);  // (8) extrapolate
    VectorXd x_next = y - step * f.gradient(y);      // (8) gradient step from y
    ++trace.gradient_evaluations;
    x_prev = std::move(x);
    x = std::move(x_next);
    const double f_next = monitor.record(x);
    if (adaptive_restart) {
      ++trace.function_evaluations;
      if (f_next > fx) {  // (10) f went up: drop the momentum, the next step is plain GD
        x_prev = x;
        ++trace.restarts;
      }
      fx = f_next;
    }
  }
  // END EXERCISE
  return trace;
}

Trace gradient_descent_armijo(const Objective& f, const VectorXd& x0, const ArmijoOptions& armijo,
                              const StopRule& stop) {
  check_run("gradient_descent_armijo", f, x0, stop);
  mlc::require(armijo.growth >= 1.0, "gradient_descent_armijo",
               fmt::format("growth must be >= 1; got {}", armijo.growth));
  Trace trace;
  Monitor monitor(f, x0, stop, trace);
  VectorXd x = x0;
  double fx = trace.values.front();
  double t0 = armijo.t0;
  trace.function_evaluations = 1;  // f(x_0) for the first Armijo test
  while (monitor.running()) {
    const VectorXd g = f.gradient(x);
    ++trace.gradient_evaluations;
    if (g.squaredNorm() == 0.0) {  // exactly stationary: no descent direction exists
      trace.reached_target = true;
      break;
    }
    const LineSearchResult ls = armijo_backtracking(f.value, x, fx, g, -g, t0, armijo.beta, armijo.c,
                                                    armijo.max_steps);
    trace.function_evaluations += ls.evaluations;
    if (!ls.success) {
      trace.line_search_failed = true;
      break;
    }
    x -= ls.step * g;  // (2) with η_k from (9); f(x) was the accepted trial value
    trace.steps.push_back(ls.step);
    if (armijo.growth > 1.0) t0 = armijo.growth * ls.step;
    fx = monitor.record(x);
  }
  return trace;
}

// ---- Tuning and rates ------------------------------------------------------------------

MomentumParameters heavy_ball_optimal(double mu, double L) {
  mlc::require(0.0 < mu && mu <= L, "heavy_ball_optimal",
               fmt::format("need 0 < mu <= L; got mu = {}, L = {}", mu, L));
  const double sq_kappa = std::sqrt(L / mu);
  const double rho = (sq_kappa - 1.0) / (sq_kappa + 1.0);
  const double root_sum = std::sqrt(L) + std::sqrt(mu);
  return {4.0 / (root_sum * root_sum), rho * rho};  // (7)
}

MomentumParameters nesterov_strongly_convex(double mu, double L) {
  mlc::require(0.0 < mu && mu <= L, "nesterov_strongly_convex",
               fmt::format("need 0 < mu <= L; got mu = {}, L = {}", mu, L));
  const double sq_kappa = std::sqrt(L / mu);
  return {1.0 / L, (sq_kappa - 1.0) / (sq_kappa + 1.0)};  // (8)
}

double gd_contraction(double step, double mu, double L) {
  return std::max(std::abs(1.0 - step * mu), std::abs(1.0 - step * L));  // (4)
}

double heavy_ball_envelope(int k, double mu, double L) {
  mlc::require(k >= 0 && 0.0 < mu && mu <= L, "heavy_ball_envelope",
               fmt::format("need k >= 0 and 0 < mu <= L; got k = {}, mu = {}, L = {}", k, mu, L));
  const double sq_kappa = std::sqrt(L / mu);
  const double rho = (sq_kappa - 1.0) / (sq_kappa + 1.0);
  // (7b) e_k / e_0 = ρ^k (U_k(c) − ρ U_{k−1}(c)), |U_k| <= k + 1 on [−1, 1].
  return std::pow(rho, k) * (1.0 + (1.0 + rho) * k);
}

double heavy_ball_spectral_radius(double step, double momentum, double lambda) {
  // Roots of z² − a z + β with a = 1 + β − αλ (the characteristic polynomial of (6)).
  const double a = 1.0 + momentum - step * lambda;
  const double discriminant = a * a - 4.0 * momentum;
  if (discriminant < 0.0) return std::sqrt(momentum);  // complex pair: |z|² = z z̄ = β
  const double root = std::sqrt(discriminant);
  return std::max(std::abs(a + root), std::abs(a - root)) / 2.0;
}

// ---- Measuring runs --------------------------------------------------------------------

int iterations_to_reach(const std::vector<double>& values, double target) {
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (values[k] <= target) return static_cast<int>(k);
  }
  return -1;
}

double measured_rate(const std::vector<double>& values, double f_star, int from, int to) {
  mlc::require(0 <= from && from < to && to < static_cast<int>(values.size()), "measured_rate",
               fmt::format("need 0 <= from < to < {}; got from = {}, to = {}", values.size(),
                           from, to));
  const double gap_from = values[static_cast<std::size_t>(from)] - f_star;
  const double gap_to = values[static_cast<std::size_t>(to)] - f_star;
  mlc::require(gap_from > 0.0 && gap_to > 0.0, "measured_rate",
               fmt::format("gaps must be positive; got {} and {}", gap_from, gap_to));
  return std::pow(gap_to / gap_from, 1.0 / (to - from));
}

int count_increases(const std::vector<double>& values) {
  int increases = 0;
  for (std::size_t k = 1; k < values.size(); ++k) increases += values[k] > values[k - 1] ? 1 : 0;
  return increases;
}

PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y) {
  mlc::require(x.size() == y.size() && x.size() >= 2, "fit_power_law",
               fmt::format("need equal sizes >= 2; got {} and {}", x.size(), y.size()));
  const auto n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mlc::require(x[i] > 0.0 && y[i] > 0.0, "fit_power_law", "x and y must be positive");
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
  }
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return {slope, (sy - slope * sx) / n};
}

}  // namespace gradient_descent
