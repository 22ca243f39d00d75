// gradient_descent.hpp: first-order methods for smooth convex minimisation.
//
// Gradient descent with a fixed step, Polyak's heavy ball, Nesterov's accelerated
// gradient (constant momentum, optional adaptive restart) and gradient descent with
// Armijo backtracking; the test problems they are studied on (quadratics with a chosen
// spectrum, L2-regularised logistic regression); and the rates the theory predicts.
// Equation numbers (n) refer to NOTES.md.
//
// Sources:
//   Nesterov, Introductory Lectures on Convex Optimization (2004), §2.1.5 (gradient method,
//     Thm 2.1.15) and §2.2.1 (the constant-step optimal scheme for strongly convex f).
//   Polyak, "Some methods of speeding up the convergence of iteration methods" (1964);
//     Polyak, Introduction to Optimization (1987), §3.2.1 (heavy ball on quadratics).
//   Nocedal & Wright, Numerical Optimization (2nd ed., 2006), §3.1 (Armijo condition (3.4),
//     backtracking Algorithm 3.1).
//   O'Donoghue & Candès, "Adaptive restart for accelerated gradient schemes" (2015).
//
// Symbols: x ∈ R^d the iterate, f the objective, g = ∇f(x), L the smoothness constant
// (largest Hessian eigenvalue), μ the strong-convexity constant (smallest), κ = L/μ,
// η (step) the step size, β (momentum) the momentum coefficient.
// Data layout (logistic regression): rows are samples, X is n × d, y ∈ {0, 1}^n.
#pragma once

#include <functional>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace gradient_descent {

// ---- Line search (the interface lesson 1.5 builds on) ----------------------------------

struct LineSearchResult {
  double step;       // the accepted t (0 when success is false)
  int evaluations;   // how many times f was evaluated
  bool success;      // false when no trial step met the Armijo condition
};

// Armijo backtracking, equation (9): the largest t = t0 * beta^k (k = 0, 1, ...,
// max_steps-1) with f(x + t d) <= f(x) + c * t * g·d. Requires g·d < 0 (a descent
// direction); fx = f(x) is passed in because the caller already has it. A non-finite
// f(x + t d) counts as a failed trial (the step is shrunk), so an overflow is harmless.
// On failure, step = 0 and evaluations = max_steps.
// Cost: `evaluations` calls of f, each O(cost of f).
LineSearchResult armijo_backtracking(const std::function<double(const Eigen::VectorXd&)>& f,
                                     const Eigen::VectorXd& x, double fx,
                                     const Eigen::VectorXd& g,
                                     const Eigen::VectorXd& direction, double t0 = 1.0,
                                     double beta = 0.5, double c = 1e-4, int max_steps = 60);

// ---- Objectives ------------------------------------------------------------------------

// A differentiable objective: f(x) and ∇f(x).
struct Objective {
  std::function<double(const Eigen::VectorXd&)> value;
  std::function<Eigen::VectorXd(const Eigen::VectorXd&)> gradient;
};

// The quadratic (1) f(x) = ½ xᵀ A x − bᵀ x with A symmetric positive definite (d × d).
// Its minimiser is x* = A⁻¹ b, its minimum f* = −½ bᵀ x*, and L, μ are the extreme
// eigenvalues of A.
struct Quadratic {
  Eigen::MatrixXd A;  // d × d, symmetric positive definite
  Eigen::VectorXd b;  // d

  double value(const Eigen::VectorXd& x) const;              // O(d²)
  Eigen::VectorXd gradient(const Eigen::VectorXd& x) const;  // (1) A x − b, O(d²)
  Eigen::VectorXd minimizer() const;                         // A⁻¹ b by Cholesky, O(d³)
  double minimum() const;                                    // f(x*)
  double smoothness() const;                                 // L = λ_max(A)
  double strong_convexity() const;                           // μ = λ_min(A)
  Objective objective() const;
};

// A = Q diag(eigenvalues) Qᵀ with Q orthogonal (d × d), b chosen so that x* = x_star.
Quadratic make_quadratic(const Eigen::VectorXd& eigenvalues, const Eigen::MatrixXd& Q,
                         const Eigen::VectorXd& x_star);
// The 2-D quadratic with eigenvalues μ and L whose stiff axis (eigenvalue L) makes the
// angle `angle` (radians) with the x axis; x* = 0.
Quadratic rotated_quadratic_2d(double mu, double L, double angle);
// A d-dimensional quadratic with eigenvalues log-spaced from μ to L (both included), a
// random orthogonal eigenbasis (QR of a Gaussian matrix) and x* ~ N(0, I).
Quadratic random_quadratic(int d, double mu, double L, mlc::Rng& rng);

// L2-regularised logistic regression, equation (11):
//   f(w) = (1/n) Σ_i [log(1 + exp(x_iᵀ w)) − y_i x_iᵀ w] + (λ/2) ‖w‖²
// with y_i ∈ {0, 1}. Add a column of ones to X for an intercept (it is then
// regularised too, which keeps f λ-strongly convex).
struct LogisticLoss {
  Eigen::MatrixXd X;  // n × d
  Eigen::VectorXd y;  // n, entries 0 or 1
  double lambda = 0.0;

  double value(const Eigen::VectorXd& w) const;              // (11), O(nd)
  Eigen::VectorXd gradient(const Eigen::VectorXd& w) const;  // (12) Xᵀ(σ(Xw) − y)/n + λw
  Eigen::MatrixXd hessian(const Eigen::VectorXd& w) const;   // (13) Xᵀ S X / n + λI, O(nd²)
  // (14) L ≤ ‖X‖₂² / (4n) + λ, since σ' ≤ 1/4: the step 1/L that needs no line search.
  double smoothness_bound() const;
  Objective objective() const;
};

// The reference minimiser of a logistic loss by Newton's method (Hessian solves with
// Cholesky), run until ‖∇f‖ <= gradient_tolerance. Throws mlc::NumericalError if it
// does not get there within max_iterations.
Eigen::VectorXd logistic_newton_minimizer(const LogisticLoss& loss,
                                          double gradient_tolerance = 1e-12,
                                          int max_iterations = 50);

// ---- Methods ---------------------------------------------------------------------------

// When to stop. A run stops after max_iterations, when f(x_k) <= target_value (use
// f* + tol · (f(x_0) − f*) to count iterations to a tolerance), when ‖∇f(x_k)‖ <=
// gradient_tolerance, or when it diverges: f(x_k) not finite or above divergence_value.
struct StopRule {
  int max_iterations = 1000;
  double target_value = -std::numeric_limits<double>::infinity();
  double gradient_tolerance = 0.0;
  double divergence_value = 1e100;
  bool record_iterates = false;  // keep x_0, ..., x_K (for contour plots)
};

// What a run did. values[k] = f(x_k) for k = 0..iterations (evaluated for the record;
// not counted as cost). The evaluation counts are what the method itself needed.
struct Trace {
  std::vector<double> values;
  std::vector<Eigen::VectorXd> iterates;  // only when StopRule::record_iterates
  std::vector<double> steps;              // accepted step sizes (line search only)
  Eigen::VectorXd x;                      // the last iterate
  int iterations = 0;
  int function_evaluations = 0;
  int gradient_evaluations = 0;
  bool reached_target = false;  // target_value or gradient_tolerance met
  bool diverged = false;        // f became non-finite or exceeded divergence_value
  bool line_search_failed = false;
  int restarts = 0;             // momentum resets (adaptive restart only)
};

// (2) x_{k+1} = x_k − η ∇f(x_k). Converges on an L-smooth convex f for 0 < η < 2/L.
Trace gradient_descent(const Objective& f, const Eigen::VectorXd& x0, double step,
                       const StopRule& stop = {});

// (6) Polyak's heavy ball: x_{k+1} = x_k − α ∇f(x_k) + β (x_k − x_{k−1}), x_{−1} = x_0.
Trace heavy_ball(const Objective& f, const Eigen::VectorXd& x0, double step, double momentum,
                 const StopRule& stop = {});

// (8) Nesterov's accelerated gradient with constant momentum:
//   y_k = x_k + β (x_k − x_{k−1}),  x_{k+1} = y_k − α ∇f(y_k),  x_{−1} = x_0.
// With adaptive_restart, the momentum is reset (x_{k−1} := x_k) whenever f increases
// (O'Donoghue & Candès' function scheme); this costs one f evaluation per iteration.
Trace nesterov(const Objective& f, const Eigen::VectorXd& x0, double step, double momentum,
               const StopRule& stop = {}, bool adaptive_restart = false);

// Gradient descent whose step is found by armijo_backtracking at every iteration. The
// first trial is t0; with growth > 1 each later search starts at growth × the step accepted
// last (Nocedal & Wright §3.5), so the step can grow back after a cautious stretch.
struct ArmijoOptions {
  double t0 = 1.0;
  double beta = 0.5;
  double c = 1e-4;
  int max_steps = 60;
  double growth = 1.0;  // 1: every search starts at t0
};
Trace gradient_descent_armijo(const Objective& f, const Eigen::VectorXd& x0,
                              const ArmijoOptions& armijo = {}, const StopRule& stop = {});

// ---- Tuning and rates (the theory the experiments are compared with) -------------------

struct MomentumParameters {
  double step;
  double momentum;
};
// (7) α = 4 / (√L + √μ)², β = ((√κ − 1)/(√κ + 1))²: the optimal heavy ball on quadratics.
MomentumParameters heavy_ball_optimal(double mu, double L);
// (8) α = 1/L, β = (√κ − 1)/(√κ + 1): Nesterov's constant-momentum scheme.
MomentumParameters nesterov_strongly_convex(double mu, double L);

// (4) The per-iteration contraction of the error of GD with step η on a quadratic with
// spectrum in [μ, L]: max(|1 − ημ|, |1 − ηL|). Above 1 (η > 2/L) the iteration diverges.
double gd_contraction(double step, double mu, double L);
// (7b) The envelope ρ^k (1 + (1 + ρ) k), ρ = (√κ − 1)/(√κ + 1), that bounds |e_k| / |e_0|
// along every eigen-direction for the optimal heavy ball (7) with x_{−1} = x_0, so that
// f(x_k) − f* <= envelope² · (f(x_0) − f*) on a quadratic. Attained at λ = L.
double heavy_ball_envelope(int k, double mu, double L);
// The spectral radius of heavy ball's 2 × 2 iteration matrix [[1+β−αλ, −β], [1, 0]] for
// one eigenvalue λ of the Hessian: the largest |z| with z² − (1+β−αλ) z + β = 0.
double heavy_ball_spectral_radius(double step, double momentum, double lambda);

// ---- Measuring runs --------------------------------------------------------------------

// The first k with values[k] <= target, or -1 if never.
int iterations_to_reach(const std::vector<double>& values, double target);
// The geometric-mean contraction of the gap f(x_k) − f* over k in [from, to]:
// ((f_to − f*) / (f_from − f*))^(1/(to − from)). Requires positive gaps.
double measured_rate(const std::vector<double>& values, double f_star, int from, int to);
// Number of k with values[k+1] > values[k]: 0 for a monotone method.
int count_increases(const std::vector<double>& values);

// Least-squares fit of log y = intercept + slope · log x (all x, y > 0).
struct PowerLawFit {
  double slope;
  double intercept;
};
PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace gradient_descent
