// stochastic_optimization.cpp: the algorithms of lesson 1.5 (see the header for sources).
// Pure computation: no I/O. Equation numbers refer to NOTES.md.
#include "stochastic_optimization.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>
#include <Eigen/Cholesky>
#include <Eigen/LU>

#include "gradient_descent.hpp"
#include "mlc/error.hpp"

namespace stochastic_optimization {

namespace {

// softplus(z) = log(1 + e^z) without overflow: max(z, 0) + log1p(e^{-|z|}).
double softplus(double z) {
  return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z)));
}

// σ(z) = 1 / (1 + e^{-z}) without overflow.
double sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

}  // namespace

// ---- Logistic loss -----------------------------------------------------------------------

LogisticLoss::LogisticLoss(MatrixXd X, VectorXd y, double l2)
    : X_(std::move(X)), y_(std::move(y)), l2_(l2) {
  mlc::require(X_.rows() == y_.size() && X_.rows() > 0, "LogisticLoss",
               fmt::format("X is {} × {} but y has {} entries", X_.rows(), X_.cols(), y_.size()));
  mlc::require(l2_ >= 0, "LogisticLoss", "the L2 weight must be non-negative");
  for (Index i = 0; i < y_.size(); ++i)
    mlc::require(y_(i) == 0.0 || y_(i) == 1.0, "LogisticLoss",
                 fmt::format("y({}) = {} is not 0 or 1", i, y_(i)));
}

double LogisticLoss::value(const VectorXd& w) const {
  mlc::require(w.size() == dim(), "LogisticLoss::value", "w has the wrong size");
  const VectorXd z = X_ * w;  // [n]
  double sum = 0.0;
  for (Index i = 0; i < n(); ++i) sum += softplus(z(i)) - y_(i) * z(i);
  return sum / static_cast<double>(n()) + 0.5 * l2_ * w.squaredNorm();  // (1)
}

VectorXd LogisticLoss::gradient(const VectorXd& w) const {
  mlc::require(w.size() == dim(), "LogisticLoss::gradient", "w has the wrong size");
  const VectorXd z = X_ * w;
  VectorXd r(n());  // residuals σ(z_i) - y_i
  for (Index i = 0; i < n(); ++i) r(i) = sigmoid(z(i)) - y_(i);
  return X_.transpose() * r / static_cast<double>(n()) + l2_ * w;  // (2) Xᵀ(σ - y)/n + λw  [d]
}

VectorXd LogisticLoss::batch_gradient(const VectorXd& w, const std::vector<Index>& rows) const {
  mlc::require(w.size() == dim() && !rows.empty(), "LogisticLoss::batch_gradient",
               "w has the wrong size or the batch is empty");
  VectorXd g = VectorXd::Zero(dim());
  for (Index i : rows) {
    const double z = X_.row(i).dot(w);
    g.noalias() += (sigmoid(z) - y_(i)) * X_.row(i).transpose();
  }
  return g / static_cast<double>(rows.size()) + l2_ * w;  // (3)
}

MatrixXd LogisticLoss::hessian(const VectorXd& w) const {
  mlc::require(w.size() == dim(), "LogisticLoss::hessian", "w has the wrong size");
  const VectorXd z = X_ * w;
  VectorXd s(n());  // σ(z)(1 - σ(z))
  for (Index i = 0; i < n(); ++i) {
    const double p = sigmoid(z(i));
    s(i) = p * (1.0 - p);
  }
  MatrixXd H = X_.transpose() * s.asDiagonal() * X_ / static_cast<double>(n());  // (4) [d × d]
  H.diagonal().array() += l2_;
  return H;
}

MatrixXd LogisticLoss::per_sample_gradients(const VectorXd& w) const {
  const VectorXd z = X_ * w;
  MatrixXd G(n(), dim());
  for (Index i = 0; i < n(); ++i)
    G.row(i) = (sigmoid(z(i)) - y_(i)) * X_.row(i) + l2_ * w.transpose();
  return G;
}

double LogisticLoss::accuracy(const VectorXd& w) const {
  const VectorXd z = X_ * w;
  Index correct = 0;
  for (Index i = 0; i < n(); ++i) correct += ((z(i) > 0) == (y_(i) == 1.0)) ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(n());
}

// ---- Rosenbrock and the saddle ----------------------------------------------------------

double rosenbrock(const VectorXd& p, double a, double b) {
  mlc::require(p.size() == 2, "rosenbrock", "the point must have 2 entries");
  const double u = a - p(0), v = p(1) - p(0) * p(0);
  return u * u + b * v * v;  // (14)
}

VectorXd rosenbrock_gradient(const VectorXd& p, double a, double b) {
  mlc::require(p.size() == 2, "rosenbrock_gradient", "the point must have 2 entries");
  const double x = p(0), v = p(1) - x * x;
  VectorXd g(2);
  g << -2.0 * (a - x) - 4.0 * b * x * v, 2.0 * b * v;
  return g;
}

MatrixXd rosenbrock_hessian(const VectorXd& p, double a, double b) {
  (void)a;
  mlc::require(p.size() == 2, "rosenbrock_hessian", "the point must have 2 entries");
  const double x = p(0), y = p(1);
  MatrixXd H(2, 2);
  H << 2.0 - 4.0 * b * (y - 3.0 * x * x), -4.0 * b * x, -4.0 * b * x, 2.0 * b;
  return H;
}

SmoothProblem rosenbrock_problem() {
  return {"Rosenbrock", [](const VectorXd& p) { return rosenbrock(p); },
          [](const VectorXd& p) { return rosenbrock_gradient(p); },
          [](const VectorXd& p) { return rosenbrock_hessian(p); }};
}

double saddle(const VectorXd& p) {
  mlc::require(p.size() == 2, "saddle", "the point must have 2 entries");
  const double x = p(0), y = p(1);
  return x * x - y * y + 0.25 * y * y * y * y;  // (19)
}

VectorXd saddle_gradient(const VectorXd& p) {
  mlc::require(p.size() == 2, "saddle_gradient", "the point must have 2 entries");
  VectorXd g(2);
  g << 2.0 * p(0), -2.0 * p(1) + p(1) * p(1) * p(1);
  return g;
}

MatrixXd saddle_hessian(const VectorXd& p) {
  mlc::require(p.size() == 2, "saddle_hessian", "the point must have 2 entries");
  MatrixXd H(2, 2);
  H << 2.0, 0.0, 0.0, -2.0 + 3.0 * p(1) * p(1);
  return H;
}

SmoothProblem saddle_problem() {
  return {"saddle x² - y² + y⁴/4", [](const VectorXd& p) { return saddle(p); },
          [](const VectorXd& p) { return saddle_gradient(p); },
          [](const VectorXd& p) { return saddle_hessian(p); }};
}

SmoothProblem logistic_problem(const LogisticLoss& loss) {
  return {"logistic loss", [&loss](const VectorXd& w) { return loss.value(w); },
          [&loss](const VectorXd& w) { return loss.gradient(w); },
          [&loss](const VectorXd& w) { return loss.hessian(w); }};
}

// ---- Schedules (8) ---------------------------------------------------------------------

double learning_rate(const Schedule& s, long t) {
  mlc::require(t >= 0, "learning_rate", "the step index must be non-negative");
  const double td = static_cast<double>(t);
  switch (s.kind) {
    case ScheduleKind::constant:
      return s.eta0;  // (8a)
    case ScheduleKind::inverse_time:
      return s.eta0 / (1.0 + td / s.tau);  // (8b)
    case ScheduleKind::step_decay:
      return s.eta0 * std::pow(s.drop_factor, static_cast<double>(t / s.drop_every));  // (8c)
    case ScheduleKind::cosine: {
      const double frac =
          std::min(td, static_cast<double>(s.total_steps)) / static_cast<double>(s.total_steps);
      return 0.5 * s.eta0 * (1.0 + std::cos(std::numbers::pi * frac));  // (8d)
    }
  }
  return s.eta0;
}

std::string describe(const Schedule& s) {
  switch (s.kind) {
    case ScheduleKind::constant:
      return fmt::format("constant η = {:g}", s.eta0);
    case ScheduleKind::inverse_time:
      return fmt::format("1/t: η₀ = {:g}, τ = {:g}", s.eta0, s.tau);
    case ScheduleKind::step_decay:
      return fmt::format("step decay: η₀ = {:g}, ×{:g} every {} steps", s.eta0, s.drop_factor,
                         s.drop_every);
    case ScheduleKind::cosine:
      return fmt::format("cosine: η₀ = {:g} over {} steps", s.eta0, s.total_steps);
  }
  return "?";
}

// ---- Steps -----------------------------------------------------------------------------

void momentum_step(VectorXd& x, const VectorXd& g, VectorXd& velocity, double lr, double mu) {
  velocity = mu * velocity + g;  // (9)
  x -= lr * velocity;
}

void adagrad_step(VectorXd& x, const VectorXd& g, VectorXd& sum_squares, double lr, double eps) {
  sum_squares.array() += g.array().square();  // (10)
  x.array() -= lr * g.array() / (sum_squares.array().sqrt() + eps);
}

void rmsprop_step(VectorXd& x, const VectorXd& g, VectorXd& mean_square, double lr, double rho,
                  double eps) {
  mean_square = rho * mean_square + (1.0 - rho) * g.cwiseAbs2();  // (11)
  x.array() -= lr * g.array() / (mean_square.array().sqrt() + eps);
}

void adam_step(VectorXd& x, const VectorXd& g, AdamState& state, double lr, double beta1,
               double beta2, double eps) {
  mlc::require(
      x.size() == g.size() && state.m.size() == g.size(), "adam_step",
      fmt::format("x has {}, g {} and the state {} entries", x.size(), g.size(), state.m.size()));
  // BEGIN EXERCISE adam_step: Adam with bias correction, equations (12a-d)
  state.t += 1;
  const double t = static_cast<double>(state.t);
  state.m = beta1 * state.m + (1.0 - beta1) * g;              // (12a) first moment
  state.v = beta2 * state.v + (1.0 - beta2) * g.cwiseAbs2();  // (12b) second moment
  const double c1 = 1.0 - std::pow(beta1, t);                 // (12c) bias corrections
  const double c2 = 1.0 - std::pow(beta2, t);
  x.array() -= lr * (state.m.array() / c1) / ((state.v.array() / c2).sqrt() + eps);  // (12d)
  // END EXERCISE
}

void amsgrad_step(VectorXd& x, const VectorXd& g, AdamState& state, double lr, double beta1,
                  double beta2, double eps) {
  mlc::require(
      x.size() == g.size() && state.m.size() == g.size() && state.v_max.size() == g.size(),
      "amsgrad_step",
      fmt::format("x has {}, g {} and the state {} entries", x.size(), g.size(), state.m.size()));
  // BEGIN EXERCISE amsgrad_step: AMSGrad, the running maximum of v, equation (13)
  state.t += 1;
  const double t = static_cast<double>(state.t);
  state.m = beta1 * state.m + (1.0 - beta1) * g;
  state.v = beta2 * state.v + (1.0 - beta2) * g.cwiseAbs2();
  state.v_max = state.v_max.cwiseMax(state.v);  // (13) the denominator never shrinks
  const double c1 = 1.0 - std::pow(beta1, t);
  const double c2 = 1.0 - std::pow(beta2, t);
  x.array() -= lr * (state.m.array() / c1) / ((state.v_max.array() / c2).sqrt() + eps);
  // END EXERCISE
}

std::string method_name(Method method) {
  switch (method) {
    case Method::sgd:
      return "SGD";
    case Method::momentum:
      return "SGD+momentum";
    case Method::adagrad:
      return "AdaGrad";
    case Method::rmsprop:
      return "RMSProp";
    case Method::adam:
      return "Adam";
    case Method::amsgrad:
      return "AMSGrad";
  }
  return "?";
}

Optimizer::Optimizer(OptimizerConfig config, Index dim)
    : config_(std::move(config)), buffer_(VectorXd::Zero(dim)), adam_(dim) {}

void Optimizer::step(VectorXd& x, const VectorXd& g) {
  mlc::require(x.size() == buffer_.size() && g.size() == buffer_.size(), "Optimizer::step",
               fmt::format("x has {} and g {} entries, the optimizer {}", x.size(), g.size(),
                           buffer_.size()));
  const double lr = learning_rate(config_.schedule, t_);
  const auto& c = config_;
  switch (c.method) {
    case Method::sgd:
      x -= lr * g;
      break;  // (5)
    case Method::momentum:
      momentum_step(x, g, buffer_, lr, c.momentum);
      break;
    case Method::adagrad:
      adagrad_step(x, g, buffer_, lr, c.eps);
      break;
    case Method::rmsprop:
      rmsprop_step(x, g, buffer_, lr, c.beta2, c.eps);
      break;
    case Method::adam:
      adam_step(x, g, adam_, lr, c.beta1, c.beta2, c.eps);
      break;
    case Method::amsgrad:
      amsgrad_step(x, g, adam_, lr, c.beta1, c.beta2, c.eps);
      break;
  }
  ++t_;
}

// ---- Mini-batch SGD --------------------------------------------------------------------

long sgd_epoch(const LogisticLoss& loss, VectorXd& w, Optimizer& optimizer, int batch_size,
               mlc::Rng& rng, Sampling sampling) {
  mlc::require(batch_size >= 1 && w.size() == loss.dim(), "sgd_epoch",
               fmt::format("batch size {} (must be >= 1), w has {} entries for d = {}", batch_size,
                           w.size(), loss.dim()));
  // BEGIN EXERCISE sgd_epoch: one epoch of mini-batch steps (3), (5)
  const Index n = loss.n();
  const Index B = batch_size;
  std::vector<Index> batch;
  batch.reserve(static_cast<std::size_t>(B));
  if (sampling == Sampling::reshuffle) {
    const std::vector<Index> order = rng.permutation(n);
    for (Index start = 0; start < n; start += B) {
      const Index end = std::min(n, start + B);
      batch.assign(order.begin() + start, order.begin() + end);
      optimizer.step(w, loss.batch_gradient(w, batch));  // (3) unbiased estimate of (2)
    }
  } else {
    for (Index start = 0; start < n; start += B) {
      const Index size = std::min(B, n - start);
      batch.clear();
      for (Index k = 0; k < size; ++k) batch.push_back(rng.index(n));
      optimizer.step(w, loss.batch_gradient(w, batch));
    }
  }
  return static_cast<long>(n);
  // END EXERCISE
}

TrainingHistory train(const LogisticLoss& loss, const VectorXd& w0, const OptimizerConfig& config,
                      int batch_size, int epochs, mlc::Rng& rng, Sampling sampling) {
  mlc::require(epochs >= 0, "train", "epochs must be non-negative");
  TrainingHistory h;
  h.w = w0;
  Optimizer optimizer(config, loss.dim());
  h.loss.push_back(loss.value(h.w));
  h.sample_gradients.push_back(0.0);
  for (int e = 0; e < epochs; ++e) {
    const long used = sgd_epoch(loss, h.w, optimizer, batch_size, rng, sampling);
    const double f = h.w.allFinite() ? loss.value(h.w) : INFINITY;
    h.loss.push_back(f);
    h.sample_gradients.push_back(h.sample_gradients.back() + static_cast<double>(used));
    if (!std::isfinite(f)) {
      h.diverged = true;  // a divergence is a result; the caller reports it
      break;
    }
  }
  return h;
}

// ---- Noise floor ------------------------------------------------------------------------

double gradient_noise_trace(const LogisticLoss& loss, const VectorXd& w) {
  const MatrixXd G = loss.per_sample_gradients(w);  // [n × d]
  const Eigen::RowVectorXd mean = G.colwise().mean();
  return (G.rowwise() - mean).squaredNorm() / static_cast<double>(loss.n());  // (6) tr Σ
}

double noise_floor_theory(double eta, double noise_trace, int batch_size) {
  mlc::require(eta > 0 && batch_size >= 1, "noise_floor_theory", "need η > 0 and B >= 1");
  return eta * noise_trace / (4.0 * batch_size);  // (7)
}

NoiseFloor measure_noise_floor(const LogisticLoss& loss, const VectorXd& w_star, double f_star,
                               double eta, int batch_size, long burn_in, long steps, int eval_every,
                               mlc::Rng& rng, int blocks) {
  mlc::require(steps >= static_cast<long>(blocks) * eval_every && blocks >= 2 && eval_every >= 1,
               "measure_noise_floor", "need at least `blocks` evaluations after burn-in");
  VectorXd w = w_star;
  std::vector<Index> batch(static_cast<std::size_t>(batch_size));
  std::vector<double> excess;
  for (long k = 0; k < burn_in + steps; ++k) {
    for (auto& i : batch) i = rng.index(loss.n());
    w -= eta * loss.batch_gradient(w, batch);  // (5) with-replacement batch
    if (k >= burn_in && (k - burn_in) % eval_every == 0) excess.push_back(loss.value(w) - f_star);
  }
  mlc::require_finite(w, "measure_noise_floor: SGD iterate (step too large?)");
  NoiseFloor r;
  r.steps = steps;
  const std::size_t m = excess.size(), per = m / static_cast<std::size_t>(blocks);
  std::vector<double> means;
  for (int b = 0; b < blocks; ++b) {
    double s = 0.0;
    for (std::size_t j = 0; j < per; ++j) s += excess[b * per + j];
    means.push_back(s / static_cast<double>(per));
  }
  double mean = 0.0;
  for (double v : means) mean += v;
  mean /= blocks;
  double var = 0.0;
  for (double v : means) var += (v - mean) * (v - mean);
  var /= (blocks - 1);
  r.mean_excess = mean;
  r.standard_error = std::sqrt(var / blocks);  // batch means: blocks ≫ correlation time
  return r;
}

// ---- Deterministic methods ----------------------------------------------------------------

namespace {

void record(Trace& t, const VectorXd& x, double f, const VectorXd& g, double cost) {
  t.iterates.push_back(x);
  t.values.push_back(f);
  t.gradient_norms.push_back(g.norm());
  t.cost.push_back(cost);
}

double total_cost(const Trace& t, const DeterministicOptions& o) {
  return static_cast<double>(t.function_evaluations + t.gradient_evaluations) +
         o.cost_of_hessian * static_cast<double>(t.hessian_evaluations);
}

}  // namespace

Trace gradient_descent_armijo(const SmoothProblem& p, const VectorXd& x0,
                              const DeterministicOptions& o) {
  Trace t;
  VectorXd x = x0;
  double f = p.value(x);
  VectorXd g = p.gradient(x);
  t.function_evaluations = 1;
  t.gradient_evaluations = 1;
  record(t, x, f, g, total_cost(t, o));
  double t0 = 1.0;
  for (int k = 0; k < o.max_iterations && g.norm() > o.gradient_tolerance; ++k) {
    const VectorXd d = -g;
    const auto ls = gradient_descent::armijo_backtracking(p.value, x, f, g, d, t0);
    t.function_evaluations += ls.evaluations;
    if (!ls.success) break;
    t0 = 2.0 * ls.step;  // let the step grow back: Armijo from t = 1 would cap it at 1
    x += ls.step * d;
    f = p.value(x);
    g = p.gradient(x);
    ++t.function_evaluations;
    ++t.gradient_evaluations;
    record(t, x, f, g, total_cost(t, o));
  }
  t.converged = g.norm() <= o.gradient_tolerance;
  return t;
}

Trace gradient_descent_fixed(const SmoothProblem& p, const VectorXd& x0, double step,
                             const DeterministicOptions& o) {
  mlc::require(step > 0, "gradient_descent_fixed", "the step must be positive");
  Trace t;
  VectorXd x = x0;
  VectorXd g = p.gradient(x);
  t.gradient_evaluations = 1;
  record(t, x, p.value(x), g, total_cost(t, o));
  for (int k = 0; k < o.max_iterations && g.norm() > o.gradient_tolerance; ++k) {
    x -= step * g;  // (5) with the full gradient
    g = p.gradient(x);
    ++t.gradient_evaluations;
    if (!x.allFinite()) break;
    record(t, x, p.value(x), g, total_cost(t, o));
  }
  t.converged = g.norm() <= o.gradient_tolerance;
  return t;
}

Trace run_optimizer(const SmoothProblem& p, const VectorXd& x0, const OptimizerConfig& config,
                    int iterations, const DeterministicOptions& o) {
  Trace t;
  Optimizer optimizer(config, x0.size());
  VectorXd x = x0;
  VectorXd g = p.gradient(x);
  t.gradient_evaluations = 1;
  record(t, x, p.value(x), g, total_cost(t, o));
  for (int k = 0; k < iterations && g.norm() > o.gradient_tolerance; ++k) {
    optimizer.step(x, g);
    if (!x.allFinite()) break;
    g = p.gradient(x);
    ++t.gradient_evaluations;
    record(t, x, p.value(x), g, total_cost(t, o));
  }
  t.converged = g.norm() <= o.gradient_tolerance;
  return t;
}

VectorXd newton_direction(const VectorXd& g, const MatrixXd& H, bool modified) {
  mlc::require(H.rows() == g.size() && H.cols() == g.size(), "newton_direction",
               fmt::format("H is {} × {} but g has {} entries", H.rows(), H.cols(), g.size()));
  if (!modified) return H.partialPivLu().solve(-g);  // (16) whatever the curvature
  // Nocedal & Wright Algorithm 3.3: τ₀ = 0 if min diag > 0, else -min diag + β.
  const double beta = 1e-3 * std::max(1.0, H.cwiseAbs().maxCoeff());
  const double min_diag = H.diagonal().minCoeff();
  double tau = min_diag > 0 ? 0.0 : -min_diag + beta;
  const Index d = g.size();
  for (int k = 0; k < 100; ++k) {
    Eigen::LLT<MatrixXd> llt(H + tau * MatrixXd::Identity(d, d));
    if (llt.info() == Eigen::Success) return llt.solve(-g);  // (15)
    tau = std::max(2.0 * tau, beta);
  }
  throw mlc::NumericalError("newton_direction: no shift τ made the Hessian positive definite");
}

Trace newton(const SmoothProblem& p, const VectorXd& x0, bool damped,
             const DeterministicOptions& o) {
  Trace t;
  VectorXd x = x0;
  double f = p.value(x);
  VectorXd g = p.gradient(x);
  t.function_evaluations = 1;
  t.gradient_evaluations = 1;
  record(t, x, f, g, total_cost(t, o));
  for (int k = 0; k < o.max_iterations && g.norm() > o.gradient_tolerance; ++k) {
    const MatrixXd H = p.hessian(x);
    ++t.hessian_evaluations;
    const VectorXd d = newton_direction(g, H, damped);
    double step = 1.0;
    if (damped) {
      const auto ls = gradient_descent::armijo_backtracking(p.value, x, f, g, d);
      t.function_evaluations += ls.evaluations;
      if (!ls.success) break;
      step = ls.step;
    }
    x += step * d;
    if (!x.allFinite()) break;
    f = p.value(x);
    g = p.gradient(x);
    ++t.function_evaluations;
    ++t.gradient_evaluations;
    record(t, x, f, g, total_cost(t, o));
  }
  t.converged = g.norm() <= o.gradient_tolerance;
  return t;
}

VectorXd lbfgs_two_loop(const VectorXd& g, const std::deque<VectorXd>& s,
                        const std::deque<VectorXd>& y) {
  mlc::require(s.size() == y.size(), "lbfgs_two_loop",
               fmt::format("{} s-vectors but {} y-vectors", s.size(), y.size()));
  for (std::size_t i = 0; i < s.size(); ++i)
    mlc::require(s[i].size() == g.size() && y[i].size() == g.size(), "lbfgs_two_loop",
                 "every s_i and y_i must have the size of g");
  // BEGIN EXERCISE lbfgs_two_loop: H_k g by the two-loop recursion, equation (17)
  const std::size_t m = s.size();
  std::vector<double> rho(m), alpha(m);
  VectorXd q = g;
  for (std::size_t j = m; j-- > 0;) {  // newest to oldest
    rho[j] = 1.0 / y[j].dot(s[j]);
    alpha[j] = rho[j] * s[j].dot(q);
    q -= alpha[j] * y[j];
  }
  const double gamma = m > 0 ? s[m - 1].dot(y[m - 1]) / y[m - 1].squaredNorm() : 1.0;
  VectorXd r = gamma * q;                // H⁰ q with H⁰ = γI
  for (std::size_t j = 0; j < m; ++j) {  // oldest to newest
    const double b = rho[j] * y[j].dot(r);
    r += (alpha[j] - b) * s[j];
  }
  return r;
  // END EXERCISE
}

Trace lbfgs(const SmoothProblem& p, const VectorXd& x0, int memory, const DeterministicOptions& o) {
  mlc::require(memory >= 1, "lbfgs", "the memory must be at least 1");
  Trace t;
  VectorXd x = x0;
  double f = p.value(x);
  VectorXd g = p.gradient(x);
  t.function_evaluations = 1;
  t.gradient_evaluations = 1;
  record(t, x, f, g, total_cost(t, o));
  std::deque<VectorXd> S, Y;
  for (int k = 0; k < o.max_iterations && g.norm() > o.gradient_tolerance; ++k) {
    VectorXd d = -lbfgs_two_loop(g, S, Y);
    if (g.dot(d) >= 0) {  // cannot happen with positive pairs; a guard against rounding
      d = -g;
      S.clear();
      Y.clear();
    }
    // The first step has no curvature information: start the search at ||d|| = 1.
    const double t0 = S.empty() ? std::min(1.0, 1.0 / g.norm()) : 1.0;
    const auto ls = gradient_descent::armijo_backtracking(p.value, x, f, g, d, t0);
    t.function_evaluations += ls.evaluations;
    if (!ls.success) break;
    const VectorXd x_new = x + ls.step * d;
    const VectorXd g_new = p.gradient(x_new);
    f = p.value(x_new);
    ++t.function_evaluations;
    ++t.gradient_evaluations;
    const VectorXd s = x_new - x, y = g_new - g;
    if (s.dot(y) > 1e-10 * s.norm() * y.norm()) {
      S.push_back(s);
      Y.push_back(y);
      if (static_cast<int>(S.size()) > memory) {
        S.pop_front();
        Y.pop_front();
      }
    }
    x = x_new;
    g = g_new;
    record(t, x, f, g, total_cost(t, o));
  }
  t.converged = g.norm() <= o.gradient_tolerance;
  return t;
}

// ---- Reddi-Kale-Kumar counterexample ----------------------------------------------------

OnlineRun reddi_counterexample(Method method, double C, long T, double alpha, double beta1,
                               double beta2, double x1) {
  mlc::require(method == Method::adam || method == Method::amsgrad, "reddi_counterexample",
               "the method must be Adam or AMSGrad");
  mlc::require(T >= 1 && C > 2 && std::abs(x1) <= 1, "reddi_counterexample",
               "need T >= 1, C > 2 and x1 in [-1, 1]");
  OnlineRun run;
  run.x.resize(T);
  run.average_regret.resize(T);
  VectorXd x(1);
  x(0) = x1;
  AdamState state(1);
  double loss_sum = 0.0;  // Σ_s f_s(x_s)
  double coef = 0.0;      // Σ_s f_s(x) = coef · x
  for (long t = 1; t <= T; ++t) {
    const double grad = (t % 3 == 1) ? C : -1.0;  // (18) f_t(x) = grad · x
    run.x(t - 1) = x(0);
    loss_sum += grad * x(0);
    coef += grad;
    run.average_regret(t - 1) = (loss_sum + std::abs(coef)) / static_cast<double>(t);
    VectorXd g(1);
    g(0) = grad;
    const double lr = alpha / std::sqrt(static_cast<double>(t));
    if (method == Method::adam)
      adam_step(x, g, state, lr, beta1, beta2, 1e-12);
    else
      amsgrad_step(x, g, state, lr, beta1, beta2, 1e-12);
    x(0) = std::clamp(x(0), -1.0, 1.0);  // projection onto F = [-1, 1]
  }
  return run;
}

}  // namespace stochastic_optimization
