// 1.5 stochastic_optimization: SGD, its schedules and adaptive variants, Newton and L-BFGS,
// on the breast-cancer logistic loss, Rosenbrock, a saddle and the Adam counterexample.
//
// Experiments (each section of report.md):
//   1. the problem: the L2-regularized logistic loss (1) and its exact minimum by Newton;
//   2. every stochastic optimizer per epoch, each at its best constant step;
//   3. the same per unit of gradient work, beside the deterministic methods;
//   4. the noise floor η tr Σ/(4B) of constant-step SGD measured against theory (7);
//   5. decaying schedules (8) going below it (failure mode: the noise floor);
//   6. trajectories on Rosenbrock (14);
//   7. Adam failing on Reddi, Kale & Kumar's (2018) online problem (18) while AMSGrad
//      converges (failure mode);
//   8. pure Newton converging to a saddle point of (19) (failure mode).
// Sources: see stochastic_optimization.hpp and NOTES.md.
// Run: ./learn run stochastic_optimization [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <Eigen/Eigenvalues>

#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/stats.hpp"
#include "stochastic_optimization.hpp"

namespace so = stochastic_optimization;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Row = std::vector<std::string>;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Mini-batch SGD with constant, 1/t, step-decay and cosine schedules; momentum, AdaGrad, "
    "RMSProp, Adam (with bias correction) and AMSGrad; Newton's method and L-BFGS. On the "
    "L2-regularized logistic loss of the breast-cancer data it compares them per epoch and per "
    "gradient evaluation, measures the noise floor of constant-step SGD against the theory "
    "eta tr(Sigma)/(4B), draws the paths on Rosenbrock, shows Adam drifting to the worst point "
    "of the Reddi-Kale-Kumar counterexample while AMSGrad converges, and pure Newton "
    "converging to a saddle point.",
    "report.md, metrics.json, figures/optimizers_epochs.svg, figures/cost_passes.svg, "
    "figures/noise_floor.svg, figures/schedules.svg, figures/rosenbrock.svg, "
    "figures/adam_counterexample.svg");

constexpr double kL2 = 0.01;  // λ of (1)
constexpr int kBatch = 32;    // the mini-batch of sections 2 and 3
// Random streams derived from the seed: the split of repetition s is kSplitStream + s.
constexpr std::uint64_t kSplitStream = 1, kOptimizerBatches = 100, kNoiseFloorBatches = 200,
                        kStepSweepBatches = 300, kScheduleBatches = 400;

// 0, 1, ..., n - 1: the epoch axis.
VectorXd axis(std::size_t n) {
  return VectorXd::LinSpaced(static_cast<Index>(n), 0.0, static_cast<double>(n) - 1.0);
}

// f - f* clipped at 1e-16 so that a log axis can show it.
VectorXd gaps(const std::vector<double>& values, double f_star) {
  VectorXd g(static_cast<Index>(values.size()));
  for (Index i = 0; i < g.size(); ++i)
    g(i) = std::max(values[static_cast<std::size_t>(i)] - f_star, 1e-16);
  return g;
}

// The logistic problem: the training and test losses of one split and, once solved, the
// minimizer w* and the extreme eigenvalues μ, L of the Hessian there.
struct Problem {
  so::LogisticLoss train, test;
  VectorXd w0{}, w_star{};
  double f_star = 0.0, mu = 0.0, L = 0.0;
};

// Stratified 75/25 split of breast_cancer, standardized with the training part's statistics,
// plus a column of ones for the intercept.
Problem load_problem(mlc::Rng split_rng) {
  const mlc::Dataset full = mlc::load_dataset("breast_cancer");
  auto split = mlc::train_test_split(full, 0.25, split_rng, true);
  mlc::Standardizer scaler;
  auto with_intercept = [](const MatrixXd& Z) {
    MatrixXd A(Z.rows(), Z.cols() + 1);
    A << Z, VectorXd::Ones(Z.rows());
    return A;
  };
  const MatrixXd Ztrain = scaler.fit_transform(split.train.X);
  return {
      .train = so::LogisticLoss(with_intercept(Ztrain), split.train.y, kL2),
      .test = so::LogisticLoss(with_intercept(scaler.transform(split.test.X)), split.test.y, kL2)};
}

// ---- 1. The problem and its exact minimum ------------------------------------------------

void problem_section(mlc::Report& report, Problem& p, const mlc::Rng& root, bool quick) {
  const Index d = p.train.dim();
  const so::SmoothProblem logistic = so::logistic_problem(p.train);
  const so::DeterministicOptions exact{.max_iterations = 100,
                                       .gradient_tolerance = 1e-12,
                                       .cost_of_hessian = static_cast<double>(d)};
  p.w0 = VectorXd::Zero(d);
  const so::Trace newton = so::newton(logistic, p.w0, true, exact);
  if (!newton.converged) throw mlc::NumericalError("Newton did not reach ||g|| <= 1e-12");
  p.w_star = newton.iterates.back();
  p.f_star = newton.values.back();
  // ||∇f|| ≤ 1e-8: below that the Armijo test compares values that differ by less than
  // their rounding error, and L-BFGS's pairs (s, y) are mostly noise.
  const so::Trace lbfgs =
      so::lbfgs(logistic, p.w0, 10, {.max_iterations = 500, .gradient_tolerance = 1e-8});
  const Eigen::SelfAdjointEigenSolver<MatrixXd> hess_eig(p.train.hessian(p.w_star));
  p.mu = hess_eig.eigenvalues().minCoeff();
  p.L = hess_eig.eigenvalues().maxCoeff();
  // Test accuracy of the exact minimizer over 5 splits (1 in --quick); split 0 is this one.
  std::vector<double> accs;
  for (int s = 0; s < (quick ? 1 : 5); ++s) {
    const Problem ps = load_problem(root.derive(kSplitStream + static_cast<std::uint64_t>(s)));
    const so::Trace t = so::newton(so::logistic_problem(ps.train), p.w0, true, exact);
    accs.push_back(ps.test.accuracy(t.iterates.back()));
  }
  report.metric("data.n_test", static_cast<double>(p.test.n()));
  report.section("The problem: L2-regularized logistic loss on breast cancer");
  report.text(fmt::format(
      "Stratified 75/25 split of the breast-cancer data (seed {}), features standardized with "
      "the training part's statistics, a column of ones for the intercept: n = {} training "
      "rows, d = {}. The objective is the mean log-loss plus (λ/2)||w||² with λ = {} (1). "
      "Damped Newton from w = 0 reaches ||∇f|| ≤ 1e-12 in {} iterations: f* = {}. L-BFGS "
      "(m = 10) ends {} away from Newton's w*. The Hessian at w* has eigenvalues in [{}, {}] "
      "(condition number {}). Test accuracy of the minimizer (the point of this lesson is the "
      "optimization, not the classifier): {} ± {} over {} split(s).",
      report.options().seed, report.quote("data.n_train", static_cast<double>(p.train.n())),
      report.quote("data.dim", static_cast<double>(d)), report.quote("logistic.l2", kL2),
      report.quote("logistic.newton_iterations", newton.iterations()),
      report.quote("logistic.f_star", p.f_star, 10),
      report.quote("logistic.lbfgs_distance_to_newton", (lbfgs.iterates.back() - p.w_star).norm(),
                   3),
      report.quote("logistic.hessian_min_eigenvalue", p.mu),
      report.quote("logistic.hessian_max_eigenvalue", p.L),
      report.quote("logistic.condition_number", p.L / p.mu),
      report.quote("breast_cancer.test_accuracy", mlc::mean(accs)),
      report.quote("breast_cancer.test_accuracy_sd", mlc::sample_sd(accs), 2), accs.size()));
  fmt::print("Newton: f* = {:.10f} in {} iterations, L-BFGS(10) in {}; test accuracy {:.4f}\n",
             p.f_star, newton.iterations(), lbfgs.iterations(), mlc::mean(accs));
}

// ---- 2. Every stochastic optimizer per epoch ---------------------------------------------

const std::vector<so::Method> kMethods = {so::Method::sgd,     so::Method::momentum,
                                          so::Method::adagrad, so::Method::rmsprop,
                                          so::Method::adam,    so::Method::amsgrad};

// Returns the best constant step of each method of kMethods.
std::vector<double> optimizers_section(mlc::Report& report, const Problem& p, const mlc::Rng& root,
                                       bool quick) {
  const int epochs = quick ? 10 : 100;
  mlc::Figure fig("Stochastic optimizers on the logistic loss (B = 32, constant steps)");
  fig.xlabel("epoch").ylabel("f(w) - f*").logy();
  std::vector<Row> rows;
  std::vector<double> best_lr;
  for (const so::Method method : kMethods) {
    so::TrainingHistory best;
    double best_lr_m = NAN, best_final = INFINITY;
    for (double lr : {1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0}) {
      mlc::Rng batches = root.derive(kOptimizerBatches);  // the same for every method and step
      auto h = so::train(p.train, p.w0, {.method = method, .schedule = {.eta0 = lr}}, kBatch,
                         epochs, batches);
      const double final_gap = h.diverged ? INFINITY : h.loss.back() - p.f_star;
      if (final_gap < best_final) {
        best_final = final_gap;
        best_lr_m = lr;
        best = std::move(h);
      }
    }
    // "SGD+momentum (μ = 0.9)" -> "optimizers.sgd_momentum (μ = 0.9)"
    const std::string name = method_name(method);
    std::string key = "optimizers.";
    for (unsigned char c : name) key += c == '+' ? '_' : static_cast<char>(std::tolower(c));
    fig.line(axis(best.loss.size()), gaps(best.loss, p.f_star),
             fmt::format("{} (η = {:g})", name, best_lr_m));
    const double gap_half = best.loss[static_cast<std::size_t>(epochs / 2)] - p.f_star;
    rows.push_back({name, report.quote(key + ".best_lr", best_lr_m),
                    report.quote(key + ".gap_half", gap_half, 3),
                    report.quote(key + ".gap_final", best_final, 3)});
    fmt::print("  {:13s} best η = {:<6g} f - f* = {:.3e} after {} epochs\n", name, best_lr_m,
               best_final, epochs);
    best_lr.push_back(best_lr_m);
  }
  report.section("Stochastic optimizers per epoch");
  report.text(fmt::format(
      "Each method runs {} epochs of reshuffled mini-batches of B = {} from w = 0 with a "
      "constant step, the same batches for all; its step size is the best of the grid "
      "{{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3}} by final training loss (momentum μ = 0.9; "
      "Adam and AMSGrad β = (0.9, 0.999); RMSProp ρ = 0.999). f* is Newton's.",
      epochs, kBatch));
  report.table({"method", "best η", fmt::format("f - f* at epoch {}", epochs / 2),
                fmt::format("f - f* at epoch {}", epochs)},
               rows);
  report.figure(fig, "optimizers_epochs",
                "Training loss above f* per epoch for each stochastic optimizer at its best "
                "constant step: all stall at a plateau set by the gradient noise.");
  return best_lr;
}

// ---- 3. Per unit of gradient work: deterministic vs stochastic ---------------------------

void cost_section(mlc::Report& report, const Problem& p, const std::vector<double>& best_lr,
                  const mlc::Rng& root, bool quick) {
  const int passes = quick ? 60 : 400;
  const Index d = p.train.dim();
  const so::SmoothProblem logistic = so::logistic_problem(p.train);
  const so::DeterministicOptions budget{.max_iterations = quick ? 200 : 2000,
                                        .gradient_tolerance = 1e-12,
                                        .cost_of_hessian = static_cast<double>(d)};
  mlc::Figure fig("Work to reach f*: full-gradient units (one unit = n per-sample gradients)");
  fig.xlabel("passes over the data (a Hessian counts d passes)").ylabel("f(w) - f*").logy();
  fig.xrange(0, passes);
  std::vector<Row> rows;
  // values[i] after cost[i] passes: the first cost at which f - f* ≤ 1e-6 (NaN if never) and
  // the gap at the last value within the budget.
  auto add = [&](const std::string& name, const std::string& key, const std::vector<double>& values,
                 const std::vector<double>& cost) {
    fig.line(cost, gaps(values, p.f_star), name);
    double reach = NAN, at_budget = values.front();
    for (std::size_t i = 0; i < values.size() && std::isnan(reach); ++i)
      if (values[i] - p.f_star <= 1e-6) reach = cost[i];
    for (std::size_t i = 0; i < cost.size() && cost[i] <= passes; ++i) at_budget = values[i];
    rows.push_back({name, report.quote("cost." + key + ".passes_to_1e-6", reach),
                    report.quote("cost." + key + ".gap_at_budget", at_budget - p.f_star, 3)});
  };
  const so::Trace gd = so::gradient_descent_armijo(logistic, p.w0, budget);
  const so::Trace nt = so::newton(logistic, p.w0, true, budget);
  const so::Trace lb = so::lbfgs(logistic, p.w0, 10, budget);
  add("GD + Armijo", "gd", gd.values, gd.cost);
  add("Newton (damped)", "newton", nt.values, nt.cost);
  add("L-BFGS (m = 10)", "lbfgs", lb.values, lb.cost);
  for (std::size_t m : {std::size_t{0}, std::size_t{4}}) {  // SGD and Adam
    // The best step size of section 2, on the same batches, for the whole budget.
    mlc::Rng batches = root.derive(kOptimizerBatches);
    const auto h =
        so::train(p.train, p.w0, {.method = kMethods[m], .schedule = {.eta0 = best_lr[m]}}, kBatch,
                  passes, batches);
    std::vector<double> cost;
    for (double s : h.sample_gradients) cost.push_back(s / static_cast<double>(p.train.n()));
    add(fmt::format("{} (B = 32, η = {:g})", method_name(kMethods[m]), best_lr[m]),
        m == 0 ? "sgd" : "adam", h.loss, cost);
  }
  report.section("Cost in gradient evaluations");
  report.text(fmt::format(
      "The same problem with the work counted in passes over the data: one full gradient or "
      "loss value is one pass (n per-sample gradients), a mini-batch epoch is one pass, a "
      "Hessian is d = {} passes (its cost is n d² against n d). Line-search trial values count. "
      "The budget is {} passes; SGD and Adam use their best step of the previous section.",
      d, passes));
  report.table({"method", "passes to f - f* ≤ 1e-6", fmt::format("f - f* after {} passes", passes)},
               rows);
  report.figure(fig, "cost_passes",
                "Loss above f* against passes over the data: stochastic methods are cheap early "
                "and stall; L-BFGS and Newton converge to machine precision.");
}

// ---- 4. The noise floor of constant-step SGD vs batch size -------------------------------

struct NoiseFloorResult {
  double trace_sigma, eta, slope;  // tr Σ (6), the step, fitted log-log slope against B
};

NoiseFloorResult noise_floor_section(mlc::Report& report, const Problem& p, const mlc::Rng& root,
                                     bool quick) {
  const double trace_sigma = so::gradient_noise_trace(p.train, p.w_star), eta = 0.02;
  const std::vector<int> batches =
      quick ? std::vector<int>{1, 4, 16} : std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128};
  const std::vector<double> etas =
      quick ? std::vector<double>{0.01, 0.04} : std::vector<double>{0.005, 0.01, 0.02, 0.04, 0.08};
  // Burn-in: a few relaxation times 1/(2ημ) of the slowest direction (fewer in --quick).
  const double relaxations = quick ? 0.5 : 3.0;
  const long steps = quick ? 4000 : 40000;
  // Measures the floor of step `step` and batch B from w*, adds the table row (measured ±
  // s.e., theory (7), ratio) recorded under `key`, returns the measured floor.
  auto measure = [&](std::vector<Row>& rows, const std::string& key, const std::string& label,
                     double step, int B, mlc::Rng rng, bool record_se) {
    const auto nf = so::measure_noise_floor(p.train, p.w_star, p.f_star, step, B,
                                            static_cast<long>(relaxations / (step * p.mu)), steps,
                                            quick ? 10 : 20, rng);
    const double theory = so::noise_floor_theory(step, trace_sigma, B);
    rows.push_back({label, report.quote(key + ".measured", nf.mean_excess),
                    record_se ? report.quote(key + ".standard_error", nf.standard_error, 2)
                              : mlc::num(nf.standard_error, 2),
                    report.quote(key + ".theory", theory),
                    report.quote(key + ".ratio", nf.mean_excess / theory, 3)});
    return nf.mean_excess;
  };
  const auto nb = static_cast<Index>(batches.size());
  VectorXd b_vec(nb), measured(nb), theory(nb);
  std::vector<Row> floor_rows, eta_rows;
  for (Index i = 0; i < nb; ++i) {
    const int B = batches[static_cast<std::size_t>(i)];
    b_vec(i) = B;
    theory(i) = so::noise_floor_theory(eta, trace_sigma, B);
    measured(i) = measure(floor_rows, fmt::format("noise_floor.B{}", B), std::to_string(B), eta, B,
                          root.derive(kNoiseFloorBatches + static_cast<std::uint64_t>(i)), true);
  }
  // Least-squares slope of log(measured) on log(B): theory says -1.
  const VectorXd lb = b_vec.array().log(), lm = measured.array().log();
  const double slope = ((lb.array() - lb.mean()) * (lm.array() - lm.mean())).sum() /
                       (lb.array() - lb.mean()).square().sum();
  // The step-size sweep at B = 4 (the s.e. is shown, not recorded): theory says ∝ η.
  for (std::size_t i = 0; i < etas.size(); ++i) {
    const std::string key = fmt::format("noise_floor.eta_sweep.{}", i);
    measure(eta_rows, key, report.quote(key + ".eta", etas[i]), etas[i], 4,
            root.derive(kStepSweepBatches + i), false);
  }
  report.metric("noise_floor.eta", eta);
  report.section("The noise floor vs batch size");
  report.text(fmt::format(
      "Constant-step SGD started at w* with batches drawn with replacement does not stay "
      "there: it settles into a stationary cloud whose mean excess loss, to first order in η, "
      "is η tr(Σ)/(4B) (7), Σ the covariance of per-sample gradients at w* (6); tr Σ = {}. "
      "Each row averages f(w_k) - f* over {} steps after a burn-in of {} (standard error by "
      "20 batch means). Fitted log-log slope against B: {} (theory -1).",
      report.quote("noise_floor.trace_sigma", trace_sigma), steps,
      static_cast<long>(relaxations / (eta * p.mu)),
      report.quote("noise_floor.slope_vs_batch", slope, 3)));
  report.table({"B", "measured", "± s.e.", "theory (7)", "ratio"}, floor_rows);
  report.text(fmt::format("The same at B = 4 for several step sizes (burn-in {}/(ημ) steps):",
                          relaxations));
  report.table({"η", "measured", "± s.e.", "theory (7)", "ratio"}, eta_rows);
  mlc::Figure fig("Noise floor of constant-step SGD (η = 0.02) vs batch size");
  fig.xlabel("batch size B").ylabel("time-averaged f(w_k) - f*").logx().logy();
  fig.line_points(b_vec, measured, "measured (with-replacement batches)");
  fig.line(b_vec, theory, "theory η tr(Σ) / (4B)", {.dash = true});
  report.figure(fig, "noise_floor",
                "Mean excess loss of constant-step SGD in its stationary regime against the "
                "batch size, with the first-order theory (7).");
  fmt::print("Noise floor: tr Σ = {:.4f}, slope {:.3f} (theory -1)\n", trace_sigma, slope);
  return {trace_sigma, eta, slope};
}

// ---- 5. Schedules, and the failure mode of the constant step -----------------------------

void schedules_section(mlc::Report& report, const Problem& p, const NoiseFloorResult& nf,
                       const mlc::Rng& root, bool quick) {
  const int batch = 4, epochs = quick ? 30 : 200;
  const double eta0 = 0.05;
  const long total = (p.train.n() + batch - 1) / batch * epochs;  // steps
  using K = so::ScheduleKind;
  const std::vector<so::Schedule> schedules = {
      {.kind = K::constant, .eta0 = eta0},
      // τ = 1/(η₀μ): η_t ≈ 1/(μ t) late, Bottou et al. Thm 4.7
      {.kind = K::inverse_time, .eta0 = eta0, .tau = std::round(1.0 / (eta0 * p.mu))},
      {.kind = K::step_decay, .eta0 = eta0, .drop_every = total / 6, .drop_factor = 0.5},
      {.kind = K::cosine, .eta0 = eta0, .total_steps = total}};
  const std::vector<std::string> keys = {"constant", "inverse_time", "step_decay", "cosine"};
  const double floor = so::noise_floor_theory(eta0, nf.trace_sigma, batch);
  mlc::Figure fig(fmt::format("SGD (B = {}) with four step-size schedules", batch));
  fig.xlabel("epoch").ylabel("f(w) - f*").logy();
  std::vector<Row> rows;  // schedule, final gap, ratio to the floor
  for (std::size_t i = 0; i < schedules.size(); ++i) {
    mlc::Rng batches = root.derive(kScheduleBatches);  // the same batches for each schedule
    const auto h = so::train(p.train, p.w0, {.method = so::Method::sgd, .schedule = schedules[i]},
                             batch, epochs, batches, so::Sampling::with_replacement);
    // The last tenth of the epochs, averaged: the level the run ends at.
    double tail = 0.0;
    const int tail_n = std::max(1, epochs / 10);
    for (int e = epochs - tail_n + 1; e <= epochs; ++e)
      tail += h.loss[static_cast<std::size_t>(e)] - p.f_star;
    tail /= tail_n;
    fig.line(axis(h.loss.size()), gaps(h.loss, p.f_star), describe(schedules[i]));
    rows.push_back({describe(schedules[i]),
                    report.quote("schedules." + keys[i] + ".final_gap", tail, 3),
                    report.quote("schedules." + keys[i] + ".ratio_to_floor", tail / floor, 3)});
  }
  fig.hline(floor, "noise floor η₀ tr(Σ)/(4B) of the constant step");
  report.section("Step-size schedules");
  report.text(fmt::format(
      "SGD with with-replacement batches of B = {} from w = 0 for {} epochs, the same batches "
      "for all four schedules (8), η₀ = {}. The constant step's predicted floor (7) is {}. The "
      "table gives f - f* averaged over the last tenth of the epochs.",
      batch, epochs, eta0, report.quote("schedules.floor_theory", floor)));
  report.table({"schedule", "final f - f*", "÷ floor (7)"}, rows);
  report.figure(fig, "schedules",
                "Constant-step SGD stalls at the predicted floor; the decaying schedules "
                "keep going below it.");
  report.failure_mode(
      {.name = "Constant-step SGD stalls at a noise floor",
       .trigger = fmt::format("SGD with a constant step η = {} and batches of B = {} on the "
                              "logistic loss, {} epochs.",
                              eta0, batch, epochs),
       .symptom = fmt::format(
           "f - f* levels off at {} over the last tenth of the run, {} times the predicted "
           "floor η tr(Σ)/(4B) = {}; started at w* (η = {}) the measured floor falls as B^{} "
           "(theory B^-1).",
           rows[0][1], rows[0][2], report.quote("schedules.floor_theory", floor, 3),
           report.quote("noise_floor.eta", nf.eta),
           report.quote("noise_floor.slope_vs_batch", nf.slope, 3)),
       .why = "A mini-batch gradient has variance tr(Σ)/B that does not vanish at w*, so each "
              "step kicks the iterate by about η√(tr Σ/B); the contraction ηH balances the kicks "
              "at a stationary spread whose excess loss is η tr(Σ)/(4B), eq. (7).",
       .mitigation = fmt::format(
           "Decaying steps: 1/t reaches {} ({}× the floor), step decay {} ({}×), cosine {} "
           "({}×), in the same number of steps. Larger batches also lower the floor as 1/B "
           "(table above).",
           rows[1][1], rows[1][2], rows[2][1], rows[2][2], rows[3][1], rows[3][2])});
}

// ---- 6. Rosenbrock -----------------------------------------------------------------------

void rosenbrock_section(mlc::Report& report, bool quick) {
  const so::SmoothProblem rosen = so::rosenbrock_problem();
  const VectorXd r0{{-1.2, 1.0}}, r_star{{1.0, 1.0}};
  const so::DeterministicOptions ropt{.max_iterations = quick ? 5000 : 50000,
                                      .gradient_tolerance = 1e-8};
  const int adam_iters = quick ? 5000 : 20000;
  const so::OptimizerConfig adam{.method = so::Method::adam, .schedule = {.eta0 = 0.02}};
  const std::vector<std::tuple<std::string, std::string, so::Trace>> paths = {
      {"GD + Armijo", "gd", so::gradient_descent_armijo(rosen, r0, ropt)},
      {"Newton (damped)", "newton", so::newton(rosen, r0, true, ropt)},
      {"L-BFGS (m = 5)", "lbfgs", so::lbfgs(rosen, r0, 5, ropt)},
      {"Adam (η = 0.02)", "adam", so::run_optimizer(rosen, r0, adam, adam_iters, ropt)}};
  const int grid = 160;
  const VectorXd xs = VectorXd::LinSpaced(grid, -2.0, 2.0),
                 ys = VectorXd::LinSpaced(grid, -1.0, 3.0);
  MatrixXd z(grid, grid);
  for (int i = 0; i < grid; ++i)
    for (int j = 0; j < grid; ++j) z(i, j) = so::rosenbrock(VectorXd{{xs(j), ys(i)}});
  mlc::Figure fig("Paths on Rosenbrock from (-1.2, 1)");
  fig.xlabel("x").ylabel("y").xrange(-2, 2).yrange(-1, 3).legend("bottom right");
  fig.contour(z, xs, ys, {0.1, 1, 4, 16, 64, 256, 1024}, "level sets of f");
  std::vector<Row> rows;
  for (const auto& [name, key_part, t] : paths) {
    // At most ~400 points per path so the SVG stays small; keep the first 100 steps whole.
    std::vector<double> px, py;
    const std::size_t n_it = t.iterates.size(), stride = std::max<std::size_t>(1, n_it / 300);
    for (std::size_t k = 0; k < n_it; k += (k < 100 ? 1 : stride)) {
      px.push_back(t.iterates[k](0));
      py.push_back(t.iterates[k](1));
    }
    px.push_back(t.iterates.back()(0));
    py.push_back(t.iterates.back()(1));
    fig.line_points(px, py, name, {.point_size = 0.3});
    const std::string key = "rosenbrock." + key_part;
    auto count = [&](const std::string& what, double v) { return report.quote(key + what, v, 10); };
    report.metric(key + ".converged", t.converged ? 1.0 : 0.0);
    rows.push_back(
        {name, count(".iterations", t.iterations()),
         count(".function_evaluations", static_cast<double>(t.function_evaluations)),
         count(".gradient_evaluations", static_cast<double>(t.gradient_evaluations)),
         count(".hessian_evaluations", static_cast<double>(t.hessian_evaluations)),
         report.quote(key + ".distance_to_minimum", (t.iterates.back() - r_star).norm(), 3),
         t.converged ? "yes" : "no"});
  }
  report.section("Rosenbrock");
  report.text(fmt::format(
      "f(x, y) = (1 - x)² + 100 (y - x²)² (14) from (-1.2, 1); stop at ||∇f|| ≤ 1e-8 or "
      "{} iterations ({} for Adam, which uses the exact gradient here).",
      ropt.max_iterations, adam_iters));
  report.table(
      {"method", "iterations", "f evals", "∇f evals", "Hessians", "||x - x*||", "converged"}, rows);
  report.figure(fig, "rosenbrock",
                "Paths on the Rosenbrock valley: Newton and L-BFGS follow the curved valley in "
                "tens of steps; gradient descent zig-zags across it.");
}

// ---- 7. Adam vs AMSGrad on the Reddi-Kale-Kumar counterexample ---------------------------

void reddi_section(mlc::Report& report, bool quick) {
  const double C = 3.0, beta2 = 1.0 / (1.0 + C * C), alpha = 0.5;
  const long T = quick ? 30000 : 300000, T10 = T / 10;
  const auto adam = so::reddi_counterexample(so::Method::adam, C, T, alpha, 0.0, beta2);
  const auto ams = so::reddi_counterexample(so::Method::amsgrad, C, T, alpha, 0.0, beta2);
  mlc::Figure fig("Reddi-Kale-Kumar counterexample (C = 3, β₁ = 0, β₂ = 0.1)");
  fig.xlabel("round t").ylabel("x_t").logx().yrange(-1.1, 1.1).legend("center right");
  std::vector<double> tt, xa, xm;
  for (double u = 0; u <= std::log10(static_cast<double>(T)); u += 0.01) {
    const long t = std::min(T, static_cast<long>(std::pow(10.0, u)));
    tt.push_back(static_cast<double>(t));
    xa.push_back(adam.x(t - 1));
    xm.push_back(ams.x(t - 1));
  }
  fig.line(tt, xa, "Adam").line(tt, xm, "AMSGrad").hline(-1.0, "optimum x = -1");
  // Table row: x averaged over the last period (3 rounds: Adam oscillates inside each period)
  // and the average regret at T/10 and at T.
  auto row = [&](const std::string& name, const std::string& key, const so::OnlineRun& run) {
    return Row{
        name, report.quote("reddi." + key + ".final_x", run.x.tail(3).mean()),
        report.quote("reddi." + key + ".average_regret_T_over_10", run.average_regret(T10 - 1)),
        report.quote("reddi." + key + ".average_regret", run.average_regret(T - 1))};
  };
  const Row a = row("Adam", "adam", adam), m = row("AMSGrad", "amsgrad", ams);
  const std::string c_text = report.quote("reddi.C", C),
                    b_text = report.quote("reddi.beta2", beta2);
  report.section("Adam and AMSGrad on the Reddi-Kale-Kumar counterexample");
  report.text(fmt::format(
      "Online problem on [-1, 1] (18): f_t(x) = {} x when t mod 3 = 1, -x otherwise; the sum "
      "over a period is (C - 2)x, minimized at x = -1. Both methods use β₁ = 0, β₂ = 1/(1 + C²) "
      "= {}, α_t = {}/√t, projection onto [-1, 1], x₁ = 0, T = {} rounds. Regret R_T = Σ f_t(x_t) "
      "- min_x Σ f_t(x); a method that converges has R_T/T → 0. Adam playing x = +1 for ever "
      "would have R_T/T → 2(C - 2)/3 = {}.",
      c_text, b_text, alpha, report.quote("reddi.T", static_cast<double>(T), 10),
      mlc::num(2.0 * (C - 2.0) / 3.0)));
  report.table({"method", "x (mean of last period)", fmt::format("R_t/t at t = {}", T10),
                fmt::format("R_T/T at T = {}", T)},
               {a, m});
  report.figure(fig, "adam_counterexample",
                "The point played by Adam and AMSGrad: Adam drifts to x = +1, the worst point; "
                "AMSGrad goes to the optimum x = -1.");
  fmt::print("Reddi counterexample: Adam x = {}, R_T/T = {}; AMSGrad x = {}, R_T/T = {}\n", a[1],
             a[3], m[1], m[3]);
  report.failure_mode(
      {.name = "Adam does not converge on the Reddi-Kale-Kumar problem",
       .trigger = fmt::format("The online problem (18) with C = {}, β₁ = 0, β₂ = {}, "
                              "α_t = {}/√t, T = {}.",
                              c_text, b_text, alpha, T),
       .symptom = fmt::format("Adam ends at x = {} (the worst point of [-1, 1]) with average "
                              "regret R_T/T = {}, not decreasing (R_t/t = {} at t = T/10).",
                              a[1], a[3], a[2]),
       .why = "The large gradient C arrives once in three rounds; with a short memory β₂ its "
              "square is forgotten by the next two rounds, so v_t shrinks and the two small "
              "gradients -1 take steps almost as large as the one large step: net drift "
              "towards +1. The effective step α_t/√v_t is not monotone, which the convergence "
              "proof of Kingma & Ba implicitly assumed.",
       .mitigation = fmt::format("AMSGrad divides by the running maximum of v_t, so the "
                                 "effective step never grows: it ends at x = {} with R_T/T = {} "
                                 "(R_t/t = {} at t = T/10).",
                                 m[1], m[3], m[2])});
}

// ---- 8. Newton and the saddle ------------------------------------------------------------

void saddle_section(mlc::Report& report) {
  const so::SmoothProblem sad = so::saddle_problem();
  const VectorXd s0{{1.0, 0.5}};
  const so::DeterministicOptions sopt{.max_iterations = 500, .gradient_tolerance = 1e-10};
  const std::vector<std::tuple<std::string, std::string, so::Trace>> runs = {
      {"Newton (pure)", "newton", so::newton(sad, s0, false, sopt)},
      {"GD (step 0.1)", "gd", so::gradient_descent_fixed(sad, s0, 0.1, sopt)},
      {"Newton (modified Hessian + Armijo)", "damped_newton", so::newton(sad, s0, true, sopt)}};
  std::vector<Row> q;  // per run, quoted: iterations, x, y, f, ||∇f||, eigenvalues of H
  std::vector<Row> rows;
  for (const auto& [name, key_part, t] : runs) {
    const VectorXd x = t.iterates.back();
    const Eigen::SelfAdjointEigenSolver<MatrixXd> es(so::saddle_hessian(x));
    const std::string key = "saddle." + key_part;
    q.push_back({report.quote(key + ".iterations", t.iterations(), 10),
                 report.quote(key + ".x", x(0), 3), report.quote(key + ".y", x(1), 4),
                 report.quote(key + ".f", t.values.back(), 4),
                 report.quote(key + ".gradient_norm", t.gradient_norms.back(), 2),
                 report.quote(key + ".hessian_min_eigenvalue", es.eigenvalues().minCoeff(), 4),
                 report.quote(key + ".hessian_max_eigenvalue", es.eigenvalues().maxCoeff(), 4)});
    const Row& c = q.back();
    rows.push_back({name, c[0], fmt::format("({}, {})", c[1], c[2]), c[3], c[4],
                    fmt::format("{}, {}", c[5], c[6])});
  }
  report.section("Newton's method and a saddle point");
  report.text(
      "f(x, y) = x² - y² + y⁴/4 (19) has a saddle at the origin (Hessian diag(2, -2)) and "
      "minima at (0, ±√2) with f = -1. From (1, 0.5) each method runs until ||∇f|| ≤ 1e-10. "
      "The last column gives the Hessian's eigenvalues at the end point.");
  report.table({"method", "iterations", "end point", "f", "||∇f||", "eigenvalues of H"}, rows);
  fmt::print("Saddle: pure Newton ends at {} with f = {}; damped Newton f = {}\n", rows[0][2],
             q[0][3], q[2][3]);
  report.failure_mode(
      {.name = "Pure Newton converges to a saddle point",
       .trigger = "Newton's method with unit steps and the unmodified Hessian on "
                  "f = x² - y² + y⁴/4 (19), started at (1, 0.5).",
       .symptom = fmt::format(
           "It converges in {} iterations to ({}, {}) with ||∇f|| = {} and f = {}, where the "
           "Hessian's eigenvalues are {} and {}: a saddle, not a minimum.",
           q[0][0], q[0][1],
           report.quote("saddle.newton.y", std::get<2>(runs[0]).iterates.back()(1), 3), q[0][4],
           q[0][3], q[0][5], q[0][6]),
       .why = "The Newton step -H⁻¹g goes to the stationary point of the local quadratic "
              "model, whatever its type: along y the curvature -2 + 3y² is negative near 0, "
              "so the step points uphill to y = 0. Newton is attracted to every "
              "non-degenerate stationary point (the map y → 2y³/(3y² - 2) has 0 as a "
              "super-linearly attracting fixed point).",
       .mitigation = fmt::format(
           "Gradient descent (step 0.1) escapes along the negative curvature to f = {} in {} "
           "iterations; Newton with the Hessian shifted to be positive definite plus Armijo "
           "reaches f = {} in {} iterations. Both end points have positive Hessian "
           "eigenvalues.",
           q[1][3], q[1][0], q[2][3], q[2][0])});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  mlc::Timer timer;
  auto lap = [&](const char* name) {
    report.timing(name, timer.seconds());
    timer.reset();
  };
  Problem p = load_problem(root.derive(kSplitStream));
  problem_section(report, p, root, opt.quick);
  lap("setup_seconds");
  const std::vector<double> best_lr = optimizers_section(report, p, root, opt.quick);
  lap("optimizers_seconds");
  cost_section(report, p, best_lr, root, opt.quick);
  lap("cost_seconds");
  const NoiseFloorResult nf = noise_floor_section(report, p, root, opt.quick);
  lap("noise_floor_seconds");
  schedules_section(report, p, nf, root, opt.quick);
  lap("schedules_seconds");
  rosenbrock_section(report, opt.quick);
  lap("rosenbrock_seconds");
  reddi_section(report, opt.quick);
  lap("reddi_seconds");
  saddle_section(report);
  lap("saddle_seconds");
  report.headline({"breast_cancer.test_accuracy", "rosenbrock.adam.iterations"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
