// 1.5 stochastic_optimization: SGD, its schedules and adaptive variants, Newton and L-BFGS,
// on the breast-cancer logistic loss, Rosenbrock, a saddle and the Adam counterexample.
//
// What it shows: (a) every optimizer on the same L2-regularized logistic loss, per epoch
// and per unit of gradient work; (b) the noise floor η tr Σ/(4B) of constant-step SGD
// measured against theory (7); (c) decaying schedules going below it; (d) trajectories
// on Rosenbrock; (e) Adam failing on Reddi, Kale & Kumar's (2018) online problem while
// AMSGrad converges; (f) pure Newton converging to a saddle point.
// Sources: see stochastic_optimization.hpp and NOTES.md.
// Run: ./learn run stochastic_optimization [--quick] [--seed N] [--out DIR]
#include <algorithm>
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
#include "mlc/timer.hpp"
#include "stochastic_optimization.hpp"

namespace so = stochastic_optimization;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

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

VectorXd range(Index n, double start = 0.0) {
  VectorXd r(n);
  for (Index i = 0; i < n; ++i) r(i) = start + static_cast<double>(i);
  return r;
}

// f - f* clipped at 1e-16 so that a log axis can show it.
VectorXd gaps(const std::vector<double>& values, double f_star) {
  VectorXd g(static_cast<Index>(values.size()));
  for (Index i = 0; i < g.size(); ++i)
    g(i) = std::max(values[static_cast<std::size_t>(i)] - f_star, 1e-16);
  return g;
}

// First cumulative cost at which f - f* <= target; NaN if never.
double cost_to_reach(const std::vector<double>& values, const std::vector<double>& cost,
                     double f_star, double target) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] - f_star <= target) return cost[i];
  return NAN;
}

struct Data {
  so::LogisticLoss train, test;
};

Data load_data(std::uint64_t seed) {
  const mlc::Dataset full = mlc::load_dataset("breast_cancer");
  mlc::Rng split_rng(seed);
  auto split = mlc::train_test_split(full, 0.25, split_rng, true);
  mlc::Standardizer scaler;
  const MatrixXd Ztrain = scaler.fit_transform(split.train.X);  // statistics of the train part only
  const MatrixXd Ztest = scaler.transform(split.test.X);
  auto with_intercept = [](const MatrixXd& Z) {
    MatrixXd A(Z.rows(), Z.cols() + 1);
    A << Z, VectorXd::Ones(Z.rows());
    return A;
  };
  return {so::LogisticLoss(with_intercept(Ztrain), split.train.y, kL2),
          so::LogisticLoss(with_intercept(Ztest), split.test.y, kL2)};
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  mlc::Rng rng(opt.seed);
  mlc::Timer timer;

  // ---- The problem and its exact minimum -------------------------------------------------
  const Data data = load_data(opt.seed);
  const so::LogisticLoss& loss = data.train;
  const Index d = loss.dim();
  const so::SmoothProblem logistic = so::logistic_problem(loss);
  so::DeterministicOptions exact{.max_iterations = 100,
                                 .gradient_tolerance = 1e-12,
                                 .cost_of_hessian = static_cast<double>(d)};
  const VectorXd w0 = VectorXd::Zero(d);
  const so::Trace newton_ref = so::newton(logistic, w0, true, exact);
  if (!newton_ref.converged) throw mlc::NumericalError("Newton did not reach ||g|| <= 1e-12");
  const VectorXd w_star = newton_ref.iterates.back();
  const double f_star = newton_ref.values.back();
  // ||∇f|| ≤ 1e-8: below that the Armijo test compares values that differ by less than
  // their rounding error, and L-BFGS's pairs (s, y) are mostly noise.
  const so::Trace lbfgs_ref =
      so::lbfgs(logistic, w0, 10, {.max_iterations = 500, .gradient_tolerance = 1e-8});
  const double lbfgs_dist = (lbfgs_ref.iterates.back() - w_star).norm();
  const Eigen::SelfAdjointEigenSolver<MatrixXd> hess_eig(loss.hessian(w_star));
  const double mu = hess_eig.eigenvalues().minCoeff(), L = hess_eig.eigenvalues().maxCoeff();
  // Test accuracy of the exact minimizer over 5 splits (seed, ..., seed + 4; 1 in --quick).
  std::vector<double> accs;
  for (int s = 0; s < (opt.quick ? 1 : 5); ++s) {
    const Data ds = load_data(opt.seed + static_cast<std::uint64_t>(s));
    const so::Trace t = so::newton(so::logistic_problem(ds.train), w0, true, exact);
    accs.push_back(ds.test.accuracy(t.iterates.back()));
  }
  const double test_acc = mlc::to_vector(accs).mean();
  const double test_sd =
      accs.size() > 1
          ? std::sqrt((mlc::to_vector(accs).array() - test_acc).square().sum() / (accs.size() - 1.0))
          : 0.0;
  fmt::print("Breast cancer: {} train / {} test rows, d = {} (with intercept), λ = {}\n", loss.n(),
             data.test.n(), d, kL2);
  fmt::print(
      "Newton: f* = {:.10f} in {} iterations; L-BFGS(10) lands {:.2e} away in {}; "
      "test accuracy {:.4f}; Hessian eigenvalues in [{:.4f}, {:.3f}]\n",
      f_star, newton_ref.iterations(), lbfgs_dist, lbfgs_ref.iterations(), test_acc, mu, L);

  report.section("The problem: L2-regularized logistic loss on breast cancer");
  report.text(fmt::format(
      "Stratified 75/25 split of the breast-cancer data (seed {}), features standardized with "
      "the training part's statistics, a column of ones for the intercept: n = {} training "
      "rows, d = {}. The objective is the mean log-loss plus (λ/2)||w||² with λ = {} (1). "
      "Damped Newton from w = 0 reaches ||∇f|| ≤ 1e-12 in {} iterations: f* = {}. L-BFGS "
      "(m = 10) ends {} away from Newton's w*. The Hessian at w* has eigenvalues in [{}, {}] "
      "(condition number {}). Test accuracy of the minimizer (the point of this lesson is the "
      "optimization, not the classifier): {} over {} split(s).",
      opt.seed, loss.n(), d, kL2, newton_ref.iterations(), mlc::num(f_star, 10),
      mlc::num(lbfgs_dist, 3), mlc::num(mu), mlc::num(L), mlc::num(L / mu),
      mlc::mean_sd(test_acc, test_sd), accs.size()));
  report.metric("data.n_train", static_cast<double>(loss.n()));
  report.metric("data.n_test", static_cast<double>(data.test.n()));
  report.metric("data.dim", static_cast<double>(d));
  report.metric("logistic.l2", kL2);
  report.metric("logistic.f_star", f_star);
  report.metric("logistic.newton_iterations", newton_ref.iterations());
  report.metric("logistic.lbfgs_distance_to_newton", lbfgs_dist);
  report.metric("logistic.hessian_min_eigenvalue", mu);
  report.metric("logistic.hessian_max_eigenvalue", L);
  report.metric("logistic.condition_number", L / mu);
  report.metric("breast_cancer.test_accuracy", test_acc);
  report.metric("breast_cancer.test_accuracy_sd", test_sd);
  report.timing("setup_seconds", timer.seconds());

  // ---- (a) Every stochastic optimizer per epoch ------------------------------------------
  timer.reset();
  const int batch = 32;
  const int epochs = opt.quick ? 10 : 100;
  const std::vector<double> lr_grid = {1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0};
  const std::vector<so::Method> methods = {so::Method::sgd,     so::Method::momentum,
                                           so::Method::adagrad, so::Method::rmsprop,
                                           so::Method::adam,    so::Method::amsgrad};
  mlc::Figure fig_epochs("Stochastic optimizers on the logistic loss (B = 32, constant steps)");
  fig_epochs.xlabel("epoch").ylabel("f(w) - f*").logy();
  std::vector<std::vector<std::string>> rows;
  std::vector<double> best_lr;
  for (std::size_t m = 0; m < methods.size(); ++m) {
    so::TrainingHistory best;
    double best_lr_m = NAN, best_final = INFINITY;
    for (double lr : lr_grid) {
      so::OptimizerConfig config{.method = methods[m], .schedule = {.eta0 = lr}};
      mlc::Rng run_rng = rng.derive(100);  // the same batches for every method and step size
      auto h = so::train(loss, w0, config, batch, epochs, run_rng);
      const double final_gap = h.diverged ? INFINITY : h.loss.back() - f_star;
      if (final_gap < best_final) {
        best_final = final_gap;
        best_lr_m = lr;
        best = std::move(h);
      }
    }
    const std::string name = method_name(methods[m]);
    const std::string key = fmt::format("optimizers.{}", [&] {
      std::string k = name;
      std::transform(k.begin(), k.end(), k.begin(), [](char c) {
        return c == '+' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      });
      return k;
    }());
    const double gap_half = best.loss[static_cast<std::size_t>(epochs / 2)] - f_star;
    fig_epochs.line(range(static_cast<Index>(best.loss.size())), gaps(best.loss, f_star),
                    fmt::format("{} (η = {:g})", name, best_lr_m));
    rows.push_back({name, mlc::num(best_lr_m), mlc::num(gap_half, 3), mlc::num(best_final, 3)});
    report.metric(key + ".best_lr", best_lr_m);
    report.metric(key + ".gap_half", gap_half);
    report.metric(key + ".gap_final", best_final);
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
      epochs, batch));
  report.table({"method", "best η", fmt::format("f - f* at epoch {}", epochs / 2),
                fmt::format("f - f* at epoch {}", epochs)},
               rows);
  report.figure(fig_epochs, "optimizers_epochs",
                "Training loss above f* per epoch for each stochastic optimizer at its best "
                "constant step: all stall at a plateau set by the gradient noise.");
  report.timing("optimizers_seconds", timer.seconds());
  fmt::print("Optimizers per epoch: {:.2f} s\n", timer.seconds());

  // ---- (b) Per unit of gradient work: deterministic vs stochastic ------------------------
  timer.reset();
  const int passes = opt.quick ? 60 : 400;
  so::DeterministicOptions budget{.max_iterations = opt.quick ? 200 : 2000,
                                  .gradient_tolerance = 1e-12,
                                  .cost_of_hessian = static_cast<double>(d)};
  const so::Trace gd = so::gradient_descent_armijo(logistic, w0, budget);
  const so::Trace nt = so::newton(logistic, w0, true, budget);
  const so::Trace lb = so::lbfgs(logistic, w0, 10, budget);
  mlc::Figure fig_cost("Work to reach f*: full-gradient units (one unit = n per-sample gradients)");
  fig_cost.xlabel("passes over the data (a Hessian counts d passes)").ylabel("f(w) - f*").logy();
  fig_cost.xrange(0, passes);
  std::vector<std::vector<std::string>> cost_rows;
  const double target = 1e-6;
  auto add_cost = [&](const std::string& name, const std::string& key,
                      const std::vector<double>& values, const std::vector<double>& cost) {
    fig_cost.line(cost, gaps(values, f_star), name);
    const double reach = cost_to_reach(values, cost, f_star, target);
    const double at_budget = [&] {
      double v = values.front();
      for (std::size_t i = 0; i < cost.size() && cost[i] <= passes; ++i) v = values[i];
      return v - f_star;
    }();
    cost_rows.push_back({name, mlc::num(reach, 4), mlc::num(at_budget, 3)});
    report.metric("cost." + key + ".passes_to_1e-6", reach);
    report.metric("cost." + key + ".gap_at_budget", at_budget);
  };
  add_cost("GD + Armijo", "gd", gd.values, gd.cost);
  add_cost("Newton (damped)", "newton", nt.values, nt.cost);
  add_cost("L-BFGS (m = 10)", "lbfgs", lb.values, lb.cost);
  for (std::size_t m : {std::size_t{0}, std::size_t{4}}) {
    // The best step size of (a), run for the whole budget.
    so::OptimizerConfig config{.method = methods[m], .schedule = {.eta0 = best_lr[m]}};
    mlc::Rng run_rng = rng.derive(100);
    const auto h = so::train(loss, w0, config, batch, passes, run_rng);
    std::vector<double> cost;
    for (double s : h.sample_gradients) cost.push_back(s / static_cast<double>(loss.n()));
    add_cost(fmt::format("{} (B = 32, η = {:g})", method_name(methods[m]), best_lr[m]),
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
               cost_rows);
  report.figure(fig_cost, "cost_passes",
                "Loss above f* against passes over the data: stochastic methods are cheap early "
                "and stall; L-BFGS and Newton converge to machine precision.");
  report.timing("cost_seconds", timer.seconds());

  // ---- (c) The noise floor of constant-step SGD vs batch size ----------------------------
  timer.reset();
  const double trace_sigma = so::gradient_noise_trace(loss, w_star);
  const double eta = 0.02;
  const std::vector<int> batches =
      opt.quick ? std::vector<int>{1, 4, 16} : std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128};
  // Burn-in: a few relaxation times 1/(2ημ) of the slowest direction (fewer in --quick).
  const double relaxations = opt.quick ? 0.5 : 3.0;
  const long burn_in = static_cast<long>(relaxations / (eta * mu));
  const long steps = opt.quick ? 4000 : 40000;
  const int eval_every = opt.quick ? 10 : 20;
  VectorXd b_vec(static_cast<Index>(batches.size())), measured(b_vec.size()), theory(b_vec.size()),
      lo(b_vec.size()), hi(b_vec.size());
  std::vector<std::vector<std::string>> floor_rows;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    mlc::Rng nf_rng = rng.derive(200 + i);
    const auto nf = so::measure_noise_floor(loss, w_star, f_star, eta, batches[i], burn_in, steps,
                                            eval_every, nf_rng);
    const double th = so::noise_floor_theory(eta, trace_sigma, batches[i]);
    const auto k = static_cast<Index>(i);
    b_vec(k) = batches[i];
    measured(k) = nf.mean_excess;
    theory(k) = th;
    floor_rows.push_back({std::to_string(batches[i]), mlc::num(nf.mean_excess, 4),
                          mlc::num(nf.standard_error, 2), mlc::num(th, 4),
                          mlc::num(nf.mean_excess / th, 3)});
    const std::string key = fmt::format("noise_floor.B{}", batches[i]);
    report.metric(key + ".measured", nf.mean_excess);
    report.metric(key + ".standard_error", nf.standard_error);
    report.metric(key + ".theory", th);
    report.metric(key + ".ratio", nf.mean_excess / th);
  }
  // Least-squares slope of log(measured) on log(B): theory says -1.
  const VectorXd lb_ = b_vec.array().log(), lm = measured.array().log();
  const double slope = ((lb_.array() - lb_.mean()) * (lm.array() - lm.mean())).sum() /
                       (lb_.array() - lb_.mean()).square().sum();
  // The step-size sweep at B = 4: theory says proportional to η.
  std::vector<std::vector<std::string>> eta_rows;
  const std::vector<double> etas = opt.quick ? std::vector<double>{0.01, 0.04}
                                             : std::vector<double>{0.005, 0.01, 0.02, 0.04, 0.08};
  for (std::size_t i = 0; i < etas.size(); ++i) {
    mlc::Rng nf_rng = rng.derive(300 + i);
    const long relax = static_cast<long>(relaxations / (etas[i] * mu));
    const auto nf =
        so::measure_noise_floor(loss, w_star, f_star, etas[i], 4, relax, steps, eval_every, nf_rng);
    const double th = so::noise_floor_theory(etas[i], trace_sigma, 4);
    eta_rows.push_back({mlc::num(etas[i]), mlc::num(nf.mean_excess, 4),
                        mlc::num(nf.standard_error, 2), mlc::num(th, 4),
                        mlc::num(nf.mean_excess / th, 3)});
    const std::string key = fmt::format("noise_floor.eta_sweep.{}", i);
    report.metric(key + ".eta", etas[i]);
    report.metric(key + ".measured", nf.mean_excess);
    report.metric(key + ".theory", th);
    report.metric(key + ".ratio", nf.mean_excess / th);
  }
  report.metric("noise_floor.eta", eta);
  report.metric("noise_floor.trace_sigma", trace_sigma);
  report.metric("noise_floor.slope_vs_batch", slope);
  mlc::Figure fig_floor("Noise floor of constant-step SGD (η = 0.02) vs batch size");
  fig_floor.xlabel("batch size B").ylabel("time-averaged f(w_k) - f*").logx().logy();
  fig_floor.line_points(b_vec, measured, "measured (with-replacement batches)");
  fig_floor.line(b_vec, theory, "theory η tr(Σ) / (4B)", {.dash = true});
  report.section("The noise floor vs batch size");
  report.text(fmt::format(
      "Constant-step SGD started at w* with batches drawn with replacement does not stay "
      "there: it settles into a stationary cloud whose mean excess loss, to first order in η, "
      "is η tr(Σ)/(4B) (7), Σ the covariance of per-sample gradients at w* (6); tr Σ = {}. "
      "Each row averages f(w_k) - f* over {} steps after a burn-in of {} (standard error by "
      "20 batch means). Fitted log-log slope against B: {} (theory -1).",
      mlc::num(trace_sigma), steps, burn_in, mlc::num(slope, 3)));
  report.table({"B", "measured", "± s.e.", "theory (7)", "ratio"}, floor_rows);
  report.text(fmt::format("The same at B = 4 for several step sizes (burn-in {}/(ημ) steps):",
                          relaxations));
  report.table({"η", "measured", "± s.e.", "theory (7)", "ratio"}, eta_rows);
  report.figure(fig_floor, "noise_floor",
                "Mean excess loss of constant-step SGD in its stationary regime against the "
                "batch size, with the first-order theory (7).");
  report.timing("noise_floor_seconds", timer.seconds());
  fmt::print("Noise floor: tr Σ = {:.4f}, slope {:.3f} (theory -1), {:.2f} s\n", trace_sigma, slope,
             timer.seconds());

  // ---- (d) Schedules ---------------------------------------------------------------------
  timer.reset();
  const int sched_batch = 4;
  const int sched_epochs = opt.quick ? 30 : 200;
  const double eta0 = 0.05;
  const long steps_per_epoch = (loss.n() + sched_batch - 1) / sched_batch;
  const long total = steps_per_epoch * sched_epochs;
  const std::vector<so::Schedule> schedules = {
      {.kind = so::ScheduleKind::constant, .eta0 = eta0},
      {.kind = so::ScheduleKind::inverse_time,
       .eta0 = eta0,
       .tau = std::round(1.0 / (eta0 * mu))},  // η_t ≈ 1/(μ t) late: Bottou et al. Thm 4.7
      {.kind = so::ScheduleKind::step_decay,
       .eta0 = eta0,
       .drop_every = total / 6,
       .drop_factor = 0.5},
      {.kind = so::ScheduleKind::cosine, .eta0 = eta0, .total_steps = total}};
  const std::vector<std::string> sched_keys = {"constant", "inverse_time", "step_decay", "cosine"};
  const double floor_const = so::noise_floor_theory(eta0, trace_sigma, sched_batch);
  mlc::Figure fig_sched(fmt::format("SGD (B = {}) with four step-size schedules", sched_batch));
  fig_sched.xlabel("epoch").ylabel("f(w) - f*").logy();
  std::vector<std::vector<std::string>> sched_rows;
  std::vector<double> sched_final;
  for (std::size_t i = 0; i < schedules.size(); ++i) {
    mlc::Rng run_rng = rng.derive(400);  // the same batches for each schedule
    const auto h = so::train(loss, w0, {.method = so::Method::sgd, .schedule = schedules[i]},
                             sched_batch, sched_epochs, run_rng, so::Sampling::with_replacement);
    // The last tenth of the epochs, averaged: the level the run ends at.
    double tail = 0.0;
    const int tail_n = std::max(1, sched_epochs / 10);
    for (int e = sched_epochs - tail_n + 1; e <= sched_epochs; ++e)
      tail += h.loss[static_cast<std::size_t>(e)] - f_star;
    tail /= tail_n;
    sched_final.push_back(tail);
    fig_sched.line(range(static_cast<Index>(h.loss.size())), gaps(h.loss, f_star),
                   describe(schedules[i]));
    sched_rows.push_back(
        {describe(schedules[i]), mlc::num(tail, 3), mlc::num(tail / floor_const, 3)});
    report.metric("schedules." + sched_keys[i] + ".final_gap", tail);
    report.metric("schedules." + sched_keys[i] + ".ratio_to_floor", tail / floor_const);
  }
  fig_sched.hline(floor_const, "noise floor η₀ tr(Σ)/(4B) of the constant step");
  report.metric("schedules.floor_theory", floor_const);
  report.section("Step-size schedules");
  report.text(fmt::format(
      "SGD with with-replacement batches of B = {} from w = 0 for {} epochs, the same batches "
      "for all four schedules (8), η₀ = {}. The constant step's predicted floor (7) is {}. The "
      "table gives f - f* averaged over the last tenth of the epochs.",
      sched_batch, sched_epochs, eta0, mlc::num(floor_const, 4)));
  report.table({"schedule", "final f - f*", "÷ floor (7)"}, sched_rows);
  report.figure(fig_sched, "schedules",
                "Constant-step SGD stalls at the predicted floor; the decaying schedules "
                "keep going below it.");
  report.timing("schedules_seconds", timer.seconds());

  // ---- (e) Rosenbrock --------------------------------------------------------------------
  timer.reset();
  const so::SmoothProblem rosen = so::rosenbrock_problem();
  VectorXd r0(2);
  r0 << -1.2, 1.0;
  VectorXd r_star(2);
  r_star << 1.0, 1.0;
  so::DeterministicOptions ropt{.max_iterations = opt.quick ? 5000 : 50000,
                                .gradient_tolerance = 1e-8};
  const int adam_iters = opt.quick ? 5000 : 20000;
  struct Path {
    std::string name, key;
    so::Trace trace;
  };
  std::vector<Path> paths;
  paths.push_back({"GD + Armijo", "gd", so::gradient_descent_armijo(rosen, r0, ropt)});
  paths.push_back({"Newton (damped)", "newton", so::newton(rosen, r0, true, ropt)});
  paths.push_back({"L-BFGS (m = 5)", "lbfgs", so::lbfgs(rosen, r0, 5, ropt)});
  paths.push_back(
      {"Adam (η = 0.02)", "adam",
       so::run_optimizer(rosen, r0, {.method = so::Method::adam, .schedule = {.eta0 = 0.02}},
                         adam_iters, ropt)});
  const int grid = 160;
  const VectorXd xs = VectorXd::LinSpaced(grid, -2.0, 2.0),
                 ys = VectorXd::LinSpaced(grid, -1.0, 3.0);
  MatrixXd z(grid, grid);
  for (int i = 0; i < grid; ++i)
    for (int j = 0; j < grid; ++j) z(i, j) = so::rosenbrock(VectorXd{{xs(j), ys(i)}});
  mlc::Figure fig_rosen("Paths on Rosenbrock from (-1.2, 1)");
  fig_rosen.xlabel("x").ylabel("y").xrange(-2, 2).yrange(-1, 3).legend("bottom right");
  fig_rosen.contour(z, xs, ys, {0.1, 1, 4, 16, 64, 256, 1024}, "level sets of f");
  std::vector<std::vector<std::string>> rosen_rows;
  for (const auto& p : paths) {
    const auto& t = p.trace;
    // At most ~400 points per path so the SVG stays small; keep the first 100 steps whole.
    std::vector<double> px, py;
    const std::size_t n_it = t.iterates.size();
    const std::size_t stride = std::max<std::size_t>(1, n_it / 300);
    for (std::size_t k = 0; k < n_it; k += (k < 100 ? 1 : stride)) {
      px.push_back(t.iterates[k](0));
      py.push_back(t.iterates[k](1));
    }
    px.push_back(t.iterates.back()(0));
    py.push_back(t.iterates.back()(1));
    fig_rosen.line_points(px, py, p.name, {.point_size = 0.3});
    const double err = (t.iterates.back() - r_star).norm();
    rosen_rows.push_back(
        {p.name, std::to_string(t.iterations()), std::to_string(t.function_evaluations),
         std::to_string(t.gradient_evaluations), std::to_string(t.hessian_evaluations),
         mlc::num(err, 3), t.converged ? "yes" : "no"});
    const std::string key = "rosenbrock." + p.key;
    report.metric(key + ".iterations", t.iterations());
    report.metric(key + ".function_evaluations", static_cast<double>(t.function_evaluations));
    report.metric(key + ".gradient_evaluations", static_cast<double>(t.gradient_evaluations));
    report.metric(key + ".hessian_evaluations", static_cast<double>(t.hessian_evaluations));
    report.metric(key + ".distance_to_minimum", err);
    report.metric(key + ".converged", t.converged ? 1.0 : 0.0);
    fmt::print("  Rosenbrock {:16s} {:6d} iterations, ||x - x*|| = {:.2e}\n", p.name,
               t.iterations(), err);
  }
  report.section("Rosenbrock");
  report.text(fmt::format(
      "f(x, y) = (1 - x)² + 100 (y - x²)² (14) from (-1.2, 1); stop at ||∇f|| ≤ 1e-8 or "
      "{} iterations ({} for Adam, which uses the exact gradient here).",
      ropt.max_iterations, adam_iters));
  report.table(
      {"method", "iterations", "f evals", "∇f evals", "Hessians", "||x - x*||", "converged"},
      rosen_rows);
  report.figure(fig_rosen, "rosenbrock",
                "Paths on the Rosenbrock valley: Newton and L-BFGS follow the curved valley in "
                "tens of steps; gradient descent zig-zags across it.");
  report.timing("rosenbrock_seconds", timer.seconds());

  // ---- (f) Adam vs AMSGrad on the Reddi-Kale-Kumar counterexample -------------------------
  timer.reset();
  const double C = 3.0, beta2 = 1.0 / (1.0 + C * C), alpha = 0.5;
  const long T = opt.quick ? 30000 : 300000;
  const auto adam_run = so::reddi_counterexample(so::Method::adam, C, T, alpha, 0.0, beta2);
  const auto ams_run = so::reddi_counterexample(so::Method::amsgrad, C, T, alpha, 0.0, beta2);
  mlc::Figure fig_reddi("Reddi-Kale-Kumar counterexample (C = 3, β₁ = 0, β₂ = 0.1)");
  fig_reddi.xlabel("round t").ylabel("x_t").logx().yrange(-1.1, 1.1).legend("center right");
  {
    std::vector<double> tt, xa, xm;
    for (double u = 0; u <= std::log10(static_cast<double>(T)); u += 0.01) {
      const long t = std::min(T, static_cast<long>(std::pow(10.0, u)));
      tt.push_back(static_cast<double>(t));
      xa.push_back(adam_run.x(t - 1));
      xm.push_back(ams_run.x(t - 1));
    }
    fig_reddi.line(tt, xa, "Adam");
    fig_reddi.line(tt, xm, "AMSGrad");
    fig_reddi.hline(-1.0, "optimum x = -1");
  }
  // x averaged over the last period (3 rounds): Adam oscillates inside each period.
  auto last_period_mean = [&](const VectorXd& x) { return x.tail(3).mean(); };
  const double adam_x = last_period_mean(adam_run.x), ams_x = last_period_mean(ams_run.x);
  const double adam_regret = adam_run.average_regret(T - 1),
               ams_regret = ams_run.average_regret(T - 1);
  const long T10 = T / 10;
  const double adam_regret10 = adam_run.average_regret(T10 - 1),
               ams_regret10 = ams_run.average_regret(T10 - 1);
  report.metric("reddi.C", C);
  report.metric("reddi.beta2", beta2);
  report.metric("reddi.T", static_cast<double>(T));
  report.metric("reddi.adam.final_x", adam_x);
  report.metric("reddi.amsgrad.final_x", ams_x);
  report.metric("reddi.adam.average_regret", adam_regret);
  report.metric("reddi.amsgrad.average_regret", ams_regret);
  report.metric("reddi.adam.average_regret_T_over_10", adam_regret10);
  report.metric("reddi.amsgrad.average_regret_T_over_10", ams_regret10);
  report.section("Adam and AMSGrad on the Reddi-Kale-Kumar counterexample");
  report.text(fmt::format(
      "Online problem on [-1, 1] (18): f_t(x) = {} x when t mod 3 = 1, -x otherwise; the sum "
      "over a period is (C - 2)x, minimized at x = -1. Both methods use β₁ = 0, β₂ = 1/(1 + C²) "
      "= {}, α_t = {}/√t, projection onto [-1, 1], x₁ = 0, T = {} rounds. Regret R_T = Σ f_t(x_t) "
      "- min_x Σ f_t(x); a method that converges has R_T/T → 0. Adam playing x = +1 for ever "
      "would have R_T/T → 2(C - 2)/3 = {}.",
      C, mlc::num(beta2), alpha, T, mlc::num(2.0 * (C - 2.0) / 3.0)));
  report.table({"method", "x (mean of last period)", fmt::format("R_t/t at t = {}", T10),
                fmt::format("R_T/T at T = {}", T)},
               {{"Adam", mlc::num(adam_x), mlc::num(adam_regret10), mlc::num(adam_regret)},
                {"AMSGrad", mlc::num(ams_x), mlc::num(ams_regret10), mlc::num(ams_regret)}});
  report.figure(fig_reddi, "adam_counterexample",
                "The point played by Adam and AMSGrad: Adam drifts to x = +1, the worst point; "
                "AMSGrad goes to the optimum x = -1.");
  report.timing("reddi_seconds", timer.seconds());
  fmt::print(
      "Reddi counterexample: Adam x = {:.4f}, R_T/T = {:.4f}; AMSGrad x = {:.4f}, "
      "R_T/T = {:.5f}\n",
      adam_x, adam_regret, ams_x, ams_regret);

  // ---- (g) Newton and the saddle ---------------------------------------------------------
  timer.reset();
  const so::SmoothProblem sad = so::saddle_problem();
  VectorXd s0(2);
  s0 << 1.0, 0.5;
  so::DeterministicOptions sopt{.max_iterations = 500, .gradient_tolerance = 1e-10};
  struct SaddleRun {
    std::string name, key;
    so::Trace trace;
  };
  std::vector<SaddleRun> sruns;
  sruns.push_back({"Newton (pure)", "newton", so::newton(sad, s0, false, sopt)});
  sruns.push_back({"GD (step 0.1)", "gd", so::gradient_descent_fixed(sad, s0, 0.1, sopt)});
  sruns.push_back(
      {"Newton (modified Hessian + Armijo)", "damped_newton", so::newton(sad, s0, true, sopt)});
  std::vector<std::vector<std::string>> srows;
  std::vector<std::pair<double, double>> seigs;
  for (const auto& r : sruns) {
    const auto& t = r.trace;
    const VectorXd x = t.iterates.back();
    const Eigen::SelfAdjointEigenSolver<MatrixXd> es(so::saddle_hessian(x));
    const double e_min = es.eigenvalues().minCoeff(), e_max = es.eigenvalues().maxCoeff();
    seigs.emplace_back(e_min, e_max);
    srows.push_back({r.name, std::to_string(t.iterations()),
                     fmt::format("({}, {})", mlc::num(x(0), 3), mlc::num(x(1), 4)),
                     mlc::num(t.values.back(), 4), mlc::num(t.gradient_norms.back(), 2),
                     fmt::format("{}, {}", mlc::num(e_min, 4), mlc::num(e_max, 4))});
    const std::string key = "saddle." + r.key;
    report.metric(key + ".iterations", t.iterations());
    report.metric(key + ".x", x(0));
    report.metric(key + ".y", x(1));
    report.metric(key + ".f", t.values.back());
    report.metric(key + ".gradient_norm", t.gradient_norms.back());
    report.metric(key + ".hessian_min_eigenvalue", e_min);
    report.metric(key + ".hessian_max_eigenvalue", e_max);
    fmt::print("  saddle {:36s} -> ({:+.3e}, {:+.6f}), f = {:+.6f}, eig H = ({:+.3f}, {:+.3f})\n",
               r.name, x(0), x(1), t.values.back(), e_min, e_max);
  }
  report.section("Newton's method and a saddle point");
  report.text(
      "f(x, y) = x² - y² + y⁴/4 (19) has a saddle at the origin (Hessian diag(2, -2)) and "
      "minima at (0, ±√2) with f = -1. From (1, 0.5) each method runs until ||∇f|| ≤ 1e-10. "
      "The last column gives the Hessian's eigenvalues at the end point.");
  report.table({"method", "iterations", "end point", "f", "||∇f||", "eigenvalues of H"}, srows);
  report.timing("saddle_seconds", timer.seconds());

  // ---- Failure modes ---------------------------------------------------------------------
  report.failure_mode(
      {.name = "Constant-step SGD stalls at a noise floor",
       .trigger = fmt::format("SGD with a constant step η = {} and batches of B = {} on the "
                              "logistic loss, {} epochs.",
                              eta0, sched_batch, sched_epochs),
       .symptom =
           fmt::format("f - f* levels off at {} over the last tenth of the run, {} times "
                       "the predicted floor η tr(Σ)/(4B) = {}; started at w* (η = {}) the "
                       "measured floor falls as B^{} (theory B^-1).",
                       mlc::num(sched_final[0], 3), mlc::num(sched_final[0] / floor_const, 3),
                       mlc::num(floor_const, 3), eta, mlc::num(slope, 3)),
       .why = "A mini-batch gradient has variance tr(Σ)/B that does not vanish at w*, so each "
              "step kicks the iterate by about η√(tr Σ/B); the contraction ηH balances the kicks "
              "at a stationary spread whose excess loss is η tr(Σ)/(4B), eq. (7).",
       .mitigation =
           fmt::format("Decaying steps: 1/t reaches {} ({}× the floor), step decay {} "
                       "({}×), cosine {} ({}×), in the same number of steps. Larger "
                       "batches also lower the floor as 1/B (table above).",
                       mlc::num(sched_final[1], 3), mlc::num(sched_final[1] / floor_const, 3),
                       mlc::num(sched_final[2], 3), mlc::num(sched_final[2] / floor_const, 3),
                       mlc::num(sched_final[3], 3), mlc::num(sched_final[3] / floor_const, 3))});
  report.failure_mode(
      {.name = "Adam does not converge on the Reddi-Kale-Kumar problem",
       .trigger = fmt::format("The online problem (18) with C = {}, β₁ = 0, β₂ = {}, "
                              "α_t = {}/√t, T = {}.",
                              C, mlc::num(beta2), alpha, T),
       .symptom = fmt::format("Adam ends at x = {} (the worst point of [-1, 1]) with average "
                              "regret R_T/T = {}, not decreasing (R_t/t = {} at t = T/10).",
                              mlc::num(adam_x), mlc::num(adam_regret), mlc::num(adam_regret10)),
       .why = "The large gradient C arrives once in three rounds; with a short memory β₂ its "
              "square is forgotten by the next two rounds, so v_t shrinks and the two small "
              "gradients -1 take steps almost as large as the one large step: net drift "
              "towards +1. The effective step α_t/√v_t is not monotone, which the convergence "
              "proof of Kingma & Ba implicitly assumed.",
       .mitigation = fmt::format("AMSGrad divides by the running maximum of v_t, so the "
                                 "effective step never grows: it ends at x = {} with R_T/T = {} "
                                 "(R_t/t = {} at t = T/10).",
                                 mlc::num(ams_x), mlc::num(ams_regret), mlc::num(ams_regret10))});
  {
    const auto& tn = sruns[0].trace;
    const auto& tg = sruns[1].trace;
    const auto& tm = sruns[2].trace;
    report.failure_mode(
        {.name = "Pure Newton converges to a saddle point",
         .trigger = "Newton's method with unit steps and the unmodified Hessian on "
                    "f = x² - y² + y⁴/4 (19), started at (1, 0.5).",
         .symptom = fmt::format(
             "It converges in {} iterations to ({}, {}) with ||∇f|| = {} and f = {}, where the "
             "Hessian's eigenvalues are {} and {}: a saddle, not a minimum.",
             tn.iterations(), mlc::num(tn.iterates.back()(0), 3),
             mlc::num(tn.iterates.back()(1), 3), mlc::num(tn.gradient_norms.back(), 2),
             mlc::num(tn.values.back(), 4), mlc::num(seigs[0].first, 4),
             mlc::num(seigs[0].second, 4)),
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
             mlc::num(tg.values.back(), 4), tg.iterations(), mlc::num(tm.values.back(), 4),
             tm.iterations())});
  }

  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
