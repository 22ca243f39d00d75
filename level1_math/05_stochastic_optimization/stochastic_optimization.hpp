// stochastic_optimization.hpp: mini-batch SGD and its adaptive variants (AdaGrad, RMSProp,
// Adam, AMSGrad), step-size schedules, and the second-order methods (Newton, L-BFGS) that
// stochastic methods are measured against.
//
// Sources:
//   Robbins & Monro (1951), "A stochastic approximation method" (SGD, decaying steps).
//   Bottou, Curtis & Nocedal (2018), "Optimization methods for large-scale machine
//     learning", SIAM Review 60(2), sections 4.2-4.3 (constant-step noise floor), 5.
//   Duchi, Hazan & Singer (2011), JMLR 12 (AdaGrad); Tieleman & Hinton (2012), COURSERA
//     lecture 6.5 (RMSProp); Kingma & Ba (2015), ICLR, Algorithm 1 (Adam).
//   Reddi, Kale & Kumar (2018), "On the convergence of Adam and beyond", ICLR: the
//     counterexample of Theorem 1 and AMSGrad (Algorithm 2).
//   Nocedal & Wright (2006), Numerical Optimization, 2nd ed.: Newton with Hessian
//     modification (section 3.4), L-BFGS two-loop recursion (Algorithm 7.4, 7.5).
//   Loshchilov & Hutter (2017), ICLR (cosine schedule).
// Where the code departs from a source it says so next to the code. Equation numbers refer
// to NOTES.md.
//
// Layout: rows are samples; X is n × d, y has n entries in {0, 1}; parameters w have d
// entries (the caller appends a column of ones to X for the intercept).
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace stochastic_optimization {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// ---- Objectives ------------------------------------------------------------------------

// L2-regularized mean logistic loss (1):
//   f(w) = (1/n) Σ_i [softplus(x_iᵀw) - y_i x_iᵀw] + (λ/2)||w||²
// written as the mean of per-sample losses f_i(w) = ℓ_i(w) + (λ/2)||w||², so that a
// mini-batch gradient (3) is an unbiased estimate of the full gradient (2).
class LogisticLoss {
 public:
  LogisticLoss(MatrixXd X, VectorXd y, double l2);

  Index n() const { return X_.rows(); }
  Index dim() const { return X_.cols(); }
  double l2() const { return l2_; }
  const MatrixXd& X() const { return X_; }
  const VectorXd& y() const { return y_; }

  double value(const VectorXd& w) const;       // (1), O(nd)
  VectorXd gradient(const VectorXd& w) const;  // (2), O(nd)
  // (3) the mean gradient of the rows `rows` (repeats allowed), O(|rows| d).
  VectorXd batch_gradient(const VectorXd& w, const std::vector<Index>& rows) const;
  MatrixXd hessian(const VectorXd& w) const;  // (4), O(nd²)
  // n × d: row i is ∇f_i(w), the per-sample gradient, for the noise covariance (6).
  MatrixXd per_sample_gradients(const VectorXd& w) const;
  // Fraction of rows with (x_iᵀw > 0) == (y_i == 1).
  double accuracy(const VectorXd& w) const;

 private:
  MatrixXd X_;
  VectorXd y_;
  double l2_;
};

// A smooth function with its derivatives, for the deterministic methods.
struct SmoothProblem {
  std::string name;
  std::function<double(const VectorXd&)> value;
  std::function<VectorXd(const VectorXd&)> gradient;
  std::function<MatrixXd(const VectorXd&)> hessian;
};

// Rosenbrock (14): f(x, y) = (a - x)² + b (y - x²)², minimum 0 at (a, a²).
double rosenbrock(const VectorXd& p, double a = 1.0, double b = 100.0);
VectorXd rosenbrock_gradient(const VectorXd& p, double a = 1.0, double b = 100.0);
MatrixXd rosenbrock_hessian(const VectorXd& p, double a = 1.0, double b = 100.0);
SmoothProblem rosenbrock_problem();

// The saddle function (19): f(x, y) = x² - y² + y⁴/4. Saddle at the origin (Hessian
// diag(2, -2)); minima at (0, ±√2) with f = -1.
double saddle(const VectorXd& p);
VectorXd saddle_gradient(const VectorXd& p);
MatrixXd saddle_hessian(const VectorXd& p);
SmoothProblem saddle_problem();

SmoothProblem logistic_problem(const LogisticLoss& loss);  // refers to `loss`: keep it alive

// ---- Step-size schedules (8) ---------------------------------------------------------

enum class ScheduleKind { constant, inverse_time, step_decay, cosine };

struct Schedule {
  ScheduleKind kind = ScheduleKind::constant;
  double eta0 = 0.01;      // η₀
  double tau = 1.0;        // inverse_time: η_t = η₀ / (1 + t/τ)
  long drop_every = 1000;  // step_decay: η_t = η₀ · factor^floor(t / drop_every)
  double drop_factor = 0.5;
  long total_steps = 1000;  // cosine: η_t = η₀ (1 + cos(π t / T)) / 2, t clamped to T
};

// The step size at step t = 0, 1, 2, ...
double learning_rate(const Schedule& schedule, long t);
std::string describe(const Schedule& schedule);

// ---- One step of each stochastic method -------------------------------------------------
// Each updates x in place from the (stochastic) gradient g with step size lr. The states
// start at zero vectors of the parameter's size.

// (9) heavy-ball momentum: v ← μ v + g;  x ← x - lr v
void momentum_step(VectorXd& x, const VectorXd& g, VectorXd& velocity, double lr, double mu);

// (10) AdaGrad: G ← G + g²;  x ← x - lr g / (√G + ε)
void adagrad_step(VectorXd& x, const VectorXd& g, VectorXd& sum_squares, double lr,
                  double eps = 1e-8);

// (11) RMSProp: v ← ρ v + (1 - ρ) g²;  x ← x - lr g / (√v + ε)
void rmsprop_step(VectorXd& x, const VectorXd& g, VectorXd& mean_square, double lr,
                  double rho = 0.9, double eps = 1e-8);

struct AdamState {
  VectorXd m, v;   // first and second moment estimates (biased)
  VectorXd v_max;  // AMSGrad only: the running maximum of v
  long t = 0;      // steps taken
  explicit AdamState(Index dim = 0)
      : m(VectorXd::Zero(dim)), v(VectorXd::Zero(dim)), v_max(VectorXd::Zero(dim)) {}
};

// (12a-d) Adam with bias correction (Kingma & Ba, Algorithm 1):
//   m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²;  m̂ = m/(1-β₁ᵗ);  v̂ = v/(1-β₂ᵗ);
//   x ← x - lr m̂ / (√v̂ + ε)
void adam_step(VectorXd& x, const VectorXd& g, AdamState& state, double lr, double beta1 = 0.9,
               double beta2 = 0.999, double eps = 1e-8);

// (13) AMSGrad (Reddi et al., Algorithm 2): as Adam, but divides by the running maximum
// v_max ← max(v_max, v), so that the effective step lr/√v_max never grows. Like PyTorch's
// amsgrad=True it keeps Adam's bias corrections (the paper omits them; with β₂ᵗ → 0 the
// difference vanishes after a few steps).
void amsgrad_step(VectorXd& x, const VectorXd& g, AdamState& state, double lr, double beta1 = 0.9,
                  double beta2 = 0.999, double eps = 1e-8);

enum class Method { sgd, momentum, adagrad, rmsprop, adam, amsgrad };
std::string method_name(Method method);

struct OptimizerConfig {
  Method method = Method::sgd;
  Schedule schedule;
  double momentum = 0.9;  // μ for Method::momentum
  double beta1 = 0.9;     // Adam / AMSGrad
  double beta2 = 0.999;   // Adam / AMSGrad; ρ for RMSProp is beta2 too
  double eps = 1e-8;
};

// A stochastic optimizer: a method, its schedule and its state.
class Optimizer {
 public:
  Optimizer(OptimizerConfig config, Index dim);
  // One update x ← x - (method's step) using g and the schedule's η_t; t advances.
  void step(VectorXd& x, const VectorXd& g);
  long steps() const { return t_; }
  const OptimizerConfig& config() const { return config_; }

 private:
  OptimizerConfig config_;
  long t_ = 0;
  VectorXd buffer_;  // velocity, sum of squares or mean square
  AdamState adam_;
};

// ---- Mini-batch SGD on the logistic loss ----------------------------------------------

enum class Sampling {
  reshuffle,         // each epoch visits a fresh permutation in batches of B (the last smaller)
  with_replacement,  // each batch draws B rows independently (the theory of (7))
};

// One epoch (⌈n/B⌉ steps) of mini-batch training with `optimizer` (3). Returns the number
// of per-sample gradients evaluated (n for one epoch).
long sgd_epoch(const LogisticLoss& loss, VectorXd& w, Optimizer& optimizer, int batch_size,
               mlc::Rng& rng, Sampling sampling = Sampling::reshuffle);

struct TrainingHistory {
  std::vector<double> loss;              // f(w) after each epoch; entry 0 is the start
  std::vector<double> sample_gradients;  // cumulative per-sample gradients, same length
  VectorXd w;
  bool diverged = false;  // the loss became non-finite (a result, not an error)
};

TrainingHistory train(const LogisticLoss& loss, const VectorXd& w0, const OptimizerConfig& config,
                      int batch_size, int epochs, mlc::Rng& rng,
                      Sampling sampling = Sampling::reshuffle);

// ---- The noise floor of constant-step SGD (7) ----------------------------------------

// (6) Σ = (1/n) Σ_i (∇f_i(w) - ∇f(w))(∇f_i(w) - ∇f(w))ᵀ; returns tr Σ.
double gradient_noise_trace(const LogisticLoss& loss, const VectorXd& w);
// (7) E[f(w_k) - f*] → η tr Σ / (4B) for small η (with-replacement batches of size B).
double noise_floor_theory(double eta, double noise_trace, int batch_size);

struct NoiseFloor {
  double mean_excess = 0.0;     // time average of f(w_k) - f* after burn-in
  double standard_error = 0.0;  // by batch means over `blocks` blocks
  long steps = 0;
};
// Runs constant-step SGD from w_star (with-replacement batches) for burn_in + steps steps
// and averages f(w_k) - f_star every `eval_every` steps after burn-in.
NoiseFloor measure_noise_floor(const LogisticLoss& loss, const VectorXd& w_star, double f_star,
                               double eta, int batch_size, long burn_in, long steps, int eval_every,
                               mlc::Rng& rng, int blocks = 20);

// ---- Deterministic methods -------------------------------------------------------------

struct Trace {
  std::vector<VectorXd> iterates;      // x_0, x_1, ...
  std::vector<double> values;          // f(x_k)
  std::vector<double> gradient_norms;  // ||∇f(x_k)||
  std::vector<double> cost;            // cumulative evaluations, see `cost_of_hessian`
  long function_evaluations = 0, gradient_evaluations = 0, hessian_evaluations = 0;
  bool converged = false;  // ||∇f|| ≤ tolerance reached
  int iterations() const { return static_cast<int>(iterates.size()) - 1; }
};

struct DeterministicOptions {
  int max_iterations = 1000;
  double gradient_tolerance = 1e-10;
  double cost_of_hessian =
      1.0;  // a Hessian counts as this many gradient evaluations in Trace::cost
};

// Gradient descent with Armijo backtracking (lesson 1.4's line search), each search
// starting from twice the previous accepted step (the first from t = 1).
Trace gradient_descent_armijo(const SmoothProblem& problem, const VectorXd& x0,
                              const DeterministicOptions& options);
// Gradient descent with a fixed step.
Trace gradient_descent_fixed(const SmoothProblem& problem, const VectorXd& x0, double step,
                             const DeterministicOptions& options);

// Any stochastic method of Optimizer run with the exact gradient for `iterations` steps
// (used to draw Adam's path on Rosenbrock next to the second-order methods).
Trace run_optimizer(const SmoothProblem& problem, const VectorXd& x0, const OptimizerConfig& config,
                    int iterations, const DeterministicOptions& options);

// (15) the Newton direction d = -H⁻¹g. `modified`: if H is not positive definite, use
// H + τI with the smallest τ = τ₀·2^k that makes the Cholesky factorization succeed
// (Nocedal & Wright, Algorithm 3.3), so d is a descent direction. Unmodified: a plain
// LU solve, whatever the signs of H's eigenvalues.
VectorXd newton_direction(const VectorXd& g, const MatrixXd& H, bool modified);

// Newton's method. `damped`: modified Hessian + Armijo line search (globally convergent
// on smooth functions bounded below). Pure: unmodified direction, unit step (16).
Trace newton(const SmoothProblem& problem, const VectorXd& x0, bool damped,
             const DeterministicOptions& options);

// (17) The L-BFGS two-loop recursion: returns r = H_k g, where H_k is the BFGS
// inverse-Hessian approximation built from H⁰ = γI (γ = sᵀy/yᵀy of the newest pair, 1
// when there is none) by the pairs (s_i, y_i), oldest first. O(m d).
VectorXd lbfgs_two_loop(const VectorXd& g, const std::deque<VectorXd>& s,
                        const std::deque<VectorXd>& y);

// L-BFGS with memory m and Armijo backtracking; a pair with sᵀy ≤ 1e-10 ||s|| ||y|| is
// skipped (Armijo alone does not guarantee the curvature condition).
Trace lbfgs(const SmoothProblem& problem, const VectorXd& x0, int memory,
            const DeterministicOptions& options);

// ---- The Reddi-Kale-Kumar counterexample (18) ---------------------------------------

// Online problem on F = [-1, 1]: f_t(x) = C x if t mod 3 == 1, else -x (t = 1, 2, ...).
// The sum over a period is (C - 2) x, minimized at x = -1. Runs Adam or AMSGrad with
// α_t = alpha / √t and projection onto F.
struct OnlineRun {
  VectorXd x;               // x_1, ..., x_T (the point played at each round)
  VectorXd average_regret;  // R_t / t, t = 1..T, R_t = Σ_s f_s(x_s) - min_x Σ_s f_s(x)
};
OnlineRun reddi_counterexample(Method method, double C, long T, double alpha, double beta1,
                               double beta2, double x1 = 0.0);

}  // namespace stochastic_optimization
