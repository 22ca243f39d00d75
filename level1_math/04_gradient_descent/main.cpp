// 1.4 gradient_descent: gradient descent, Polyak's heavy ball, Nesterov's accelerated
// gradient and Armijo backtracking, measured against the rates the theory predicts.
//
// Experiments (each section of report.md):
//   1. iterates on the level sets of 2-D quadratics with κ = 1, 10, 100;
//   2. log suboptimality against the bounds (3), (5), (7), (8b) on a 50-D quadratic, κ = 100;
//   3. the step-size limit 2/L: measured contraction factor against |1 − ηλ| (failure mode);
//   4. ill-conditioning: iterations to a tolerance against κ, fitted (failure mode);
//   5. momentum overshoot with a badly tuned β, and adaptive restart (failure mode);
//   6. L2-regularised logistic regression on breast_cancer: GD, Nesterov, GD + Armijo.
// Sources: Nesterov, Introductory Lectures on Convex Optimization (2004) §2.1–2.2; Polyak (1964);
// Nocedal & Wright, Numerical Optimization (2006) §3.1; O'Donoghue & Candès (2015).
// Run: ./learn run gradient_descent [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include "gradient_descent.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"

namespace gd = gradient_descent;
using Eigen::VectorXd;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Gradient descent on quadratics and on a convex loss: the linear rate (1 - 1/kappa) and the "
    "step-size limit 2/L made visible and measured, Polyak's heavy ball and Nesterov's momentum "
    "with their sqrt(kappa) rates, Armijo backtracking. Failure modes provoked and measured: a "
    "step above 2/L diverges, ill-conditioning makes the iteration count grow linearly with "
    "kappa, badly tuned momentum overshoots. Real loss: L2-regularised logistic regression on "
    "breast_cancer.",
    "report.md, metrics.json, figures/contours_kappa_{1,10,100}.svg, figures/suboptimality.svg, "
    "figures/step_size_limit.svg, figures/conditioning.svg, figures/momentum_overshoot.svg, "
    "figures/logistic.svg");

// ---- Small helpers of the experiment (no algorithm here) -------------------------------

VectorXd iteration_axis(std::size_t n) {
  return VectorXd::LinSpaced(static_cast<Eigen::Index>(n), 0.0, static_cast<double>(n) - 1.0);
}

// f(x_k) − f*, with non-positive gaps (rounding at convergence) as NaN so a log plot skips them.
VectorXd gap_series(const gd::Trace& trace, double f_star) {
  VectorXd gap(static_cast<Eigen::Index>(trace.values.size()));
  for (std::size_t k = 0; k < trace.values.size(); ++k) {
    const double g = trace.values[k] - f_star;
    gap(static_cast<Eigen::Index>(k)) = g > 0.0 ? g : std::nan("");
  }
  return gap;
}

// c · rate^k for k = 0..n−1: a theoretical bound drawn beside a measured curve.
VectorXd bound_series(double c, double rate, std::size_t n) {
  VectorXd b(static_cast<Eigen::Index>(n));
  for (Eigen::Index k = 0; k < b.size(); ++k) b(k) = c * std::pow(rate, static_cast<double>(k));
  return b;
}

// Records a metric and returns its table cell, so that every number shown is a metric.
std::string cell(mlc::Report& report, const std::string& name, double value, int sig = 4) {
  report.metric(name, value);
  return mlc::num(value, sig);
}

// The first index with gap <= fraction · gap0 (the start of the asymptotic regime).
int first_below(const gd::Trace& trace, double f_star, double fraction) {
  return gd::iterations_to_reach(trace.values,
                                 f_star + fraction * (trace.values.front() - f_star));
}

struct NamedRun {
  std::string key;    // metric name part
  std::string label;  // legend
  gd::Trace trace;
};

// ---- 1. Iterates on contour plots --------------------------------------------------------

void contour_experiment(mlc::Report& report, double kappa,
                        std::vector<std::vector<std::string>>& table) {
  const double L = 1.0, mu = 1.0 / kappa, angle = std::numbers::pi / 6.0;
  const gd::Quadratic q = gd::rotated_quadratic_2d(mu, L, angle);
  const gd::Objective f = q.objective();
  // x0 = 1 along the stiff axis and √κ along the flat one: each half of f(x0) = 1 is ½.
  const Eigen::Vector2d stiff(std::cos(angle), std::sin(angle));
  const Eigen::Vector2d flat(-std::sin(angle), std::cos(angle));
  const VectorXd x0 = -1.0 * stiff + std::sqrt(kappa) * flat;
  gd::StopRule stop;
  stop.max_iterations = 5000;
  stop.target_value = 1e-6 * q.value(x0);  // f* = 0
  stop.record_iterates = true;

  const auto hb = gd::heavy_ball_optimal(mu, L);
  const auto nag = gd::nesterov_strongly_convex(mu, L);
  std::vector<NamedRun> runs;
  runs.push_back({"gd", "GD, step 1/L", gd::gradient_descent(f, x0, 1.0 / L, stop)});
  runs.push_back({"gd_opt", "GD, step 2/(L+mu)", gd::gradient_descent(f, x0, 2.0 / (L + mu), stop)});
  runs.push_back({"heavy_ball", "heavy ball (7)", gd::heavy_ball(f, x0, hb.step, hb.momentum, stop)});
  runs.push_back({"nesterov", "Nesterov (8)", gd::nesterov(f, x0, nag.step, nag.momentum, stop)});

  // The grid covers every iterate with a margin; levels are f0 · {2, 1, 1/2, 1/4, ...}.
  double lo_x = 0, hi_x = 0, lo_y = 0, hi_y = 0;
  for (const auto& run : runs) {
    for (const auto& x : run.trace.iterates) {
      lo_x = std::min(lo_x, x(0));
      hi_x = std::max(hi_x, x(0));
      lo_y = std::min(lo_y, x(1));
      hi_y = std::max(hi_y, x(1));
    }
  }
  const double margin = 0.15 * std::max(hi_x - lo_x, hi_y - lo_y);
  const int m = 181;
  const VectorXd xs = VectorXd::LinSpaced(m, lo_x - margin, hi_x + margin);
  const VectorXd ys = VectorXd::LinSpaced(m, lo_y - margin, hi_y + margin);
  Eigen::MatrixXd z(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) z(i, j) = q.value(Eigen::Vector2d(xs(j), ys(i)));
  std::vector<double> levels;
  for (int j = -1; j < 12; ++j) levels.push_back(std::pow(0.5, j) * q.value(x0));

  const std::string k_name = fmt::format("{:g}", kappa);
  mlc::Figure fig(fmt::format("Iterates on the level sets of f, kappa = {}", k_name));
  fig.xlabel("x_1").ylabel("x_2").equal_axes().legend("outside right top").size(900, 560);
  fig.contour(z, xs, ys, levels, "level sets f0 / 2^j");
  std::vector<std::string> row{k_name};
  constexpr int kPointTypes[] = {7, 5, 9, 13};  // circle, square, triangle, diamond
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& it = runs[r].trace.iterates;
    const std::size_t shown = std::min<std::size_t>(it.size(), 400);
    VectorXd px(static_cast<Eigen::Index>(shown)), py(static_cast<Eigen::Index>(shown));
    for (std::size_t k = 0; k < shown; ++k) {
      px(static_cast<Eigen::Index>(k)) = it[k](0);
      py(static_cast<Eigen::Index>(k)) = it[k](1);
    }
    fig.line_points(px, py, runs[r].label,
                    {.color = static_cast<int>(r), .width = 1.0, .point_type = kPointTypes[r % 4],
                     .point_size = 0.6});
    const int iters = runs[r].trace.reached_target ? runs[r].trace.iterations : -1;
    row.push_back(cell(report, fmt::format("contour.kappa_{}.{}.iterations", k_name, runs[r].key),
                       iters));
  }
  table.push_back(row);
  report.figure(fig, fmt::format("contours_kappa_{}", k_name),
                fmt::format("kappa = {}: iterates of the four methods from x0 (f(x0) = 1) on the "
                            "level sets f0 / 2^j (first 400 iterates shown)",
                            k_name));
}

// ---- 2. Suboptimality against the bounds ---------------------------------------------------

void suboptimality_experiment(mlc::Report& report, mlc::Rng rng) {
  const int d = 50;
  const double L = 1.0, kappa = 100.0, mu = L / kappa;
  const gd::Quadratic q = gd::random_quadratic(d, mu, L, rng);
  const gd::Objective f = q.objective();
  const VectorXd x_star = q.minimizer();
  const double f_star = q.minimum();
  const VectorXd x0 = VectorXd::Zero(d);
  const double gap0 = q.value(x0) - f_star;
  gd::StopRule stop;
  stop.max_iterations = 4000;
  stop.target_value = f_star + 1e-12 * gap0;

  const double sk = std::sqrt(kappa);
  const double rho_hb = (sk - 1.0) / (sk + 1.0);
  const double rho_opt = (kappa - 1.0) / (kappa + 1.0);
  const auto hb = gd::heavy_ball_optimal(mu, L);
  const auto nag = gd::nesterov_strongly_convex(mu, L);
  struct Entry {
    NamedRun run;
    double rate;                          // the bound's asymptotic factor per iteration
    std::function<double(int)> bound;     // k -> bound on f(x_k) − f*
    std::string bound_label;
  };
  const double c_nag = gap0 + 0.5 * mu * (x0 - x_star).squaredNorm();
  std::vector<Entry> entries;
  entries.push_back({{"gd", "GD, step 1/L", gd::gradient_descent(f, x0, 1.0 / L, stop)},
                     1.0 - 1.0 / kappa,
                     [&](int k) { return gap0 * std::pow(1.0 - 1.0 / kappa, k); },
                     "(3) (1-1/kappa)^k"});
  entries.push_back({{"gd_opt", "GD, step 2/(L+mu)", gd::gradient_descent(f, x0, 2.0 / (L + mu), stop)},
                     rho_opt * rho_opt,
                     [&](int k) { return gap0 * std::pow(rho_opt, 2 * k); },
                     "(5) ((kappa-1)/(kappa+1))^2k"});
  entries.push_back({{"heavy_ball", "heavy ball (7)", gd::heavy_ball(f, x0, hb.step, hb.momentum, stop)},
                     rho_hb * rho_hb,
                     [&](int k) { return gap0 * std::pow(gd::heavy_ball_envelope(k, mu, L), 2); },
                     "(7b) rho^2k (1+(1+rho)k)^2"});
  entries.push_back({{"nesterov", "Nesterov (8)", gd::nesterov(f, x0, nag.step, nag.momentum, stop)},
                     1.0 - 1.0 / sk,
                     [&](int k) { return c_nag * std::pow(1.0 - 1.0 / sk, k); },
                     "(8b) (1-1/sqrt kappa)^k"});

  mlc::Figure fig("Suboptimality on a 50-D quadratic, kappa = 100");
  fig.xlabel("iteration k").ylabel("f(x_k) - f*").logy().legend("outside right top").size(980, 520);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const auto& [run, rate, bound_of, bound_label] = entries[e];
    const auto& t = run.trace;
    const std::size_t n = t.values.size();
    VectorXd bound(static_cast<Eigen::Index>(n));
    for (std::size_t k = 0; k < n; ++k) bound(static_cast<Eigen::Index>(k)) = bound_of(static_cast<int>(k));
    fig.line(iteration_axis(n), gap_series(t, f_star), run.label, {.color = static_cast<int>(e)});
    fig.line(iteration_axis(n), bound, bound_label, {.color = static_cast<int>(e), .width = 1.0, .dash = true});
    // Measured rate over the asymptotic regime: from gap <= 1e-3 gap0 to the end.
    const int from = first_below(t, f_star, 1e-3);
    const double measured = gd::measured_rate(t.values, f_star, from, t.iterations);
    double worst_ratio = 0.0;  // max_k gap_k / bound_k: <= 1 when the bound holds
    for (std::size_t k = 0; k < n; ++k) {
      worst_ratio = std::max(worst_ratio, (t.values[k] - f_star) / bound(static_cast<Eigen::Index>(k)));
    }
    const std::string p = "quadratic.kappa_100." + run.key;
    rows.push_back({run.label, bound_label, cell(report, p + ".rate_theory", rate, 6),
                    cell(report, p + ".rate_measured", measured, 6),
                    cell(report, p + ".iterations", t.reached_target ? t.iterations : -1),
                    cell(report, p + ".max_gap_over_bound", worst_ratio, 3)});
  }
  // The bound (3) is the general one for L-smooth μ-strongly convex f; on a quadratic the
  // exact contraction of GD with step 1/L is (1 − 1/κ)² per iteration on the gap.
  const double quad_rate = (1.0 - 1.0 / kappa) * (1.0 - 1.0 / kappa);
  // Nesterov's iteration matrix on the eigenvalue μ has a double root 1 − 1/√κ (NOTES (8c)),
  // so on a quadratic its gap contracts by (1 − 1/√κ)² asymptotically: the square of (8b).
  const double nag_quad_rate = (1.0 - 1.0 / sk) * (1.0 - 1.0 / sk);

  report.section("Suboptimality against the theoretical bounds");
  report.text(fmt::format(
      "A {}-dimensional quadratic with eigenvalues log-spaced in [mu, L] = [{}, {}] (kappa = {}), "
      "a random orthogonal eigenbasis and x* ~ N(0, I); x0 = 0. Each method runs until "
      "f(x_k) - f* <= 1e-12 (f(x0) - f*). The measured rate is the geometric mean of the gap ratio "
      "from the first k with gap <= 1e-3 gap0 to the end. Dashed lines are the bounds: (3) is "
      "the general bound for L-smooth, mu-strongly convex f with step 1/L; on a quadratic the "
      "exact worst-case factor is (1 - 1/kappa)^2 = {} per iteration, which the measured rate "
      "approaches. Likewise Nesterov's asymptotic factor on a quadratic is (1 - 1/sqrt(kappa))^2 = {} "
      "(8c), the square of the bound's (8b). The heavy ball has no bound of the form C rho^k with "
      "C = 1: at the edges of the spectrum its iteration matrix has a double eigenvalue, and the "
      "Chebyshev argument of (7b) gives |e_k| <= rho^k (1 + (1+rho) k) |e_0| per eigen-direction, "
      "a polynomial factor that the measured curve follows (the measured rate over a finite window "
      "is a little above rho^2).",
      d, cell(report, "quadratic.mu", mu), cell(report, "quadratic.L", L),
      cell(report, "quadratic.kappa", kappa), cell(report, "quadratic.kappa_100.gd.rate_quadratic", quad_rate, 6),
      cell(report, "quadratic.kappa_100.nesterov.rate_quadratic", nag_quad_rate, 6)));
  report.table({"method", "bound", "theory rate", "measured rate", "iterations to 1e-12",
                "max gap / bound"},
               rows);
  report.figure(fig, "suboptimality",
                "log suboptimality against the bounds (dashed, same colour): GD's rate depends on "
                "kappa, the momentum methods' on sqrt(kappa)");
  fmt::print("Suboptimality, kappa = 100: GD 1/L {} iterations, heavy ball {}, Nesterov {}\n",
             entries[0].run.trace.iterations, entries[2].run.trace.iterations,
             entries[3].run.trace.iterations);
}

// ---- 3. The step-size limit 2/L ------------------------------------------------------------

struct StepSizeResult {
  double diverging_eta_L, diverging_factor, diverging_theory, diverging_gap_ratio;  // gap_K / gap_0
  int armijo_iterations, armijo_function_evaluations;
  double armijo_mean_step_L;
};

StepSizeResult step_size_experiment(mlc::Report& report, mlc::Rng rng, bool quick) {
  const int d = 50;
  const double L = 1.0, mu = 0.01;
  const gd::Quadratic q = gd::random_quadratic(d, mu, L, rng);
  const gd::Objective f = q.objective();
  const double f_star = q.minimum();
  const VectorXd x0 = VectorXd::Zero(d);
  const int K = 300, window = 50;
  gd::StopRule stop;
  stop.max_iterations = K;

  // The measured error contraction per iteration: sqrt of the gap ratio over the last
  // `window` iterations (the gap is a quadratic form in the error).
  const auto factor_of = [&](const gd::Trace& t) {
    const int to = t.iterations;
    return std::sqrt(gd::measured_rate(t.values, f_star, std::max(0, to - window), to));
  };

  const int sweep = quick ? 13 : 50;
  const VectorXd eta_L = VectorXd::LinSpaced(sweep, 0.05, 2.5);
  VectorXd measured(sweep), theory_at(sweep);
  double max_abs_error = 0.0;
  for (int i = 0; i < sweep; ++i) {
    const double step = eta_L(i) / L;
    measured(i) = factor_of(gd::gradient_descent(f, x0, step, stop));
    theory_at(i) = gd::gd_contraction(step, mu, L);
    max_abs_error = std::max(max_abs_error, std::abs(measured(i) - theory_at(i)));
  }
  const VectorXd fine = VectorXd::LinSpaced(400, 0.0, 2.6);
  const VectorXd theory = fine.unaryExpr([&](double s) { return gd::gd_contraction(s / L, mu, L); });

  mlc::Figure fig("Contraction of the error per iteration against the step size");
  fig.xlabel("eta L").ylabel("||x_{k+1} - x*|| / ||x_k - x*||  (asymptotic)").legend("top left");
  fig.line(fine, theory, "(4) max(|1 - eta mu|, |1 - eta L|)", {.color = 0});
  fig.points(eta_L, measured, "measured (last 50 of 300 iterations)",
             {.color = 1, .point_type = 7, .point_size = 0.7});
  fig.hline(1.0, "1: no contraction").vline(2.0, "eta = 2/L");

  std::vector<std::vector<std::string>> rows;
  StepSizeResult result{};
  for (const double s : {0.5, 1.0, 1.5, 1.9, 1.99, 2.01, 2.1, 2.5}) {
    const gd::Trace t = gd::gradient_descent(f, x0, s / L, stop);
    const std::string p = fmt::format("step.eta_L_{}", fmt::format("{:g}", s));
    const double factor = factor_of(t);
    const double th = gd::gd_contraction(s / L, mu, L);
    const double final_gap = t.values.back() - f_star;
    rows.push_back({fmt::format("{:g}", s), cell(report, p + ".factor_theory", th, 5),
                    cell(report, p + ".factor_measured", factor, 5),
                    cell(report, p + ".final_gap_over_gap0", final_gap / (t.values.front() - f_star), 3),
                    factor > 1.0 ? "diverges" : "converges"});
    if (s == 2.1) result = {s, factor, th, final_gap / (t.values.front() - f_star), 0, 0, 0.0};
  }
  // Mitigation: backtracking from the same too-large step.
  gd::StopRule to_tol;
  to_tol.max_iterations = 20000;
  to_tol.target_value = f_star + 1e-8 * (q.value(x0) - f_star);
  const gd::Trace armijo = gd::gradient_descent_armijo(f, x0, {.t0 = 2.5 / L}, to_tol);
  double mean_step = 0.0;
  for (double s : armijo.steps) mean_step += s;
  mean_step /= static_cast<double>(std::max<std::size_t>(armijo.steps.size(), 1));
  const gd::Trace plain = gd::gradient_descent(f, x0, 1.0 / L, to_tol);
  result.armijo_iterations = armijo.reached_target ? armijo.iterations : -1;
  result.armijo_function_evaluations = armijo.function_evaluations;
  result.armijo_mean_step_L = mean_step * L;

  report.section("The step-size limit 2/L");
  report.text(fmt::format(
      "The {}-D quadratic of spectrum [mu, L] = [{}, {}]; gradient descent with a fixed step eta "
      "for {} iterations from x0 = 0. The error obeys e_(k+1) = (I - eta A) e_k, so each "
      "eigen-component is multiplied by (1 - eta lambda_i) and the slowest one sets the "
      "asymptotic factor (4). Above eta = 2/L the stiff component is multiplied by |1 - eta L| > 1 "
      "at every step: the iteration diverges geometrically. Over the {}-point sweep the measured "
      "factor differs from (4) by at most {}.",
      d, mlc::num(mu), mlc::num(L), K, sweep, cell(report, "step.sweep.max_abs_error", max_abs_error, 3)));
  report.table({"eta L", "theory (4)", "measured factor", "gap_K / gap_0", "verdict"}, rows);
  report.figure(fig, "step_size_limit",
                "measured asymptotic error contraction (points) against (4); above 2/L it exceeds 1");
  report.text(fmt::format(
      "Mitigation, measured: gradient descent with Armijo backtracking started at the diverging "
      "step t0 = 2.5/L reaches gap <= 1e-8 gap0 in {} iterations ({} function evaluations, mean "
      "accepted step {} / L); the safe fixed step 1/L needs {} iterations.",
      cell(report, "step.armijo_rescue.iterations", result.armijo_iterations),
      cell(report, "step.armijo_rescue.function_evaluations", result.armijo_function_evaluations),
      cell(report, "step.armijo_rescue.mean_step_L", result.armijo_mean_step_L, 3),
      cell(report, "step.gd_1_over_L.iterations", plain.reached_target ? plain.iterations : -1)));
  fmt::print("Step size: eta L = 2.1 grows the error by {:.4f} per iteration (theory {:.4f})\n",
             result.diverging_factor, result.diverging_theory);
  return result;
}

// ---- 4. Ill-conditioning: iterations against kappa -----------------------------------------

struct ConditioningResult {
  double gd_slope, gd_slope_zero_start, nesterov_slope, heavy_ball_slope;
  double gd_iters_at_max, kappa_max;
};

ConditioningResult conditioning_experiment(mlc::Report& report, const mlc::Rng& rng, bool quick) {
  const std::vector<double> kappas = quick ? std::vector<double>{1, 10, 100, 1000}
                                           : std::vector<double>{1, 3, 10, 30, 100, 300, 1000, 3000, 10000};
  const int d = 20;
  const double L = 1.0, tol = 1e-6;
  std::vector<double> fit_k, gd_it, gd0_it, hb_it, nag_it;
  const auto m = static_cast<Eigen::Index>(kappas.size());
  VectorXd kv(m), gd_v(m), gd0_v(m), hb_v(m), nag_v(m), gd_pred(m);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < kappas.size(); ++i) {
    const double kappa = kappas[i], mu = L / kappa;
    mlc::Rng r = rng.derive(i);
    const gd::Quadratic q = gd::random_quadratic(d, mu, L, r);
    const gd::Objective f = q.objective();
    const double f_star = q.minimum();
    // The hard start: every eigen-direction v_i holds the same share of the initial gap,
    // x0 = x* + Σ v_i / √λ_i (so ½ λ_i e_i² = ½ for each i). The easy one: x0 = 0.
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(q.A);
    const VectorXd x0 = q.minimizer() + eig.eigenvectors() * eig.eigenvalues().cwiseSqrt().cwiseInverse();
    const VectorXd zero = VectorXd::Zero(d);
    const auto stop_for = [&](const VectorXd& start) {
      gd::StopRule stop;
      stop.max_iterations = static_cast<int>(40 * kappa) + 100;
      stop.target_value = f_star + tol * (q.value(start) - f_star);
      return stop;
    };
    const auto hb = gd::heavy_ball_optimal(mu, L);
    const auto nag = gd::nesterov_strongly_convex(mu, L);
    const gd::Trace t_gd = gd::gradient_descent(f, x0, 1.0 / L, stop_for(x0));
    const gd::Trace t_gd0 = gd::gradient_descent(f, zero, 1.0 / L, stop_for(zero));
    const gd::Trace t_hb = gd::heavy_ball(f, x0, hb.step, hb.momentum, stop_for(x0));
    const gd::Trace t_nag = gd::nesterov(f, x0, nag.step, nag.momentum, stop_for(x0));
    if (!t_gd.reached_target || !t_gd0.reached_target || !t_hb.reached_target || !t_nag.reached_target) {
      throw mlc::NumericalError(fmt::format("conditioning: a method missed the tolerance at kappa = {}", kappa));
    }
    // Iterations after which the quadratic bound (1 − 1/κ)^(2k) guarantees the tolerance.
    const double predicted =
        kappa == 1.0 ? 1.0 : std::ceil(std::log(tol) / (2.0 * std::log(1.0 - 1.0 / kappa)));
    const auto e = static_cast<Eigen::Index>(i);
    kv(e) = kappa;
    gd_v(e) = t_gd.iterations;
    gd0_v(e) = t_gd0.iterations;
    hb_v(e) = t_hb.iterations;
    nag_v(e) = t_nag.iterations;
    gd_pred(e) = predicted;
    const std::string p = fmt::format("conditioning.kappa_{:g}", kappa);
    rows.push_back({fmt::format("{:g}", kappa), cell(report, p + ".gd.iterations", t_gd.iterations),
                    cell(report, p + ".gd.iterations_bound", predicted),
                    cell(report, p + ".gd_zero_start.iterations", t_gd0.iterations),
                    cell(report, p + ".heavy_ball.iterations", t_hb.iterations),
                    cell(report, p + ".nesterov.iterations", t_nag.iterations)});
    if (kappa >= 10.0) {
      fit_k.push_back(kappa);
      gd_it.push_back(t_gd.iterations);
      gd0_it.push_back(t_gd0.iterations);
      hb_it.push_back(t_hb.iterations);
      nag_it.push_back(t_nag.iterations);
    }
  }
  const auto fit_gd = gd::fit_power_law(fit_k, gd_it);
  const auto fit_gd0 = gd::fit_power_law(fit_k, gd0_it);
  const auto fit_hb = gd::fit_power_law(fit_k, hb_it);
  const auto fit_nag = gd::fit_power_law(fit_k, nag_it);

  mlc::Figure fig("Iterations to reach a 1e-6 relative gap against the condition number");
  fig.xlabel("kappa = L / mu").ylabel("iterations").logx().logy().legend("top left");
  fig.line_points(kv, gd_v, fmt::format("GD 1/L (slope {:.2f})", fit_gd.slope), {.color = 0});
  fig.line(kv, gd_pred, "GD: bound from (1-1/kappa)^2k", {.color = 0, .width = 1.0, .dash = true});
  fig.line_points(kv, gd0_v, fmt::format("GD 1/L from x0 = 0 (slope {:.2f})", fit_gd0.slope), {.color = 1});
  fig.line_points(kv, hb_v, fmt::format("heavy ball (slope {:.2f})", fit_hb.slope), {.color = 2});
  fig.line_points(kv, nag_v, fmt::format("Nesterov (slope {:.2f})", fit_nag.slope), {.color = 3});

  report.section("Ill-conditioning: iterations grow linearly with kappa");
  report.text(fmt::format(
      "Random {}-D quadratics with eigenvalues log-spaced in [1/kappa, 1], run until "
      "f(x_k) - f* <= {} (f(x0) - f*) from the hard start x0 = x* + sum_i v_i / sqrt(lambda_i), "
      "where every eigen-direction holds the same share of the initial gap. Fitting "
      "log(iterations) = a + s log(kappa) over kappa >= 10 gives s = {} for GD with step 1/L "
      "(theory 1: (1 - 1/kappa)^2k reaches tol after about kappa log(1/tol) / 2 steps), s = {} "
      "for the heavy ball and s = {} for Nesterov (theory 1/2). The bound column is the iteration "
      "count after which (1 - 1/kappa)^2k guarantees the tolerance. From the easy start x0 = 0 "
      "(with x* ~ N(0, I)) the slow directions hold little of the gap, and GD's fitted slope drops "
      "to {}: the worst case is linear in kappa, a typical start can be milder.",
      d, mlc::num(tol), cell(report, "conditioning.gd.slope", fit_gd.slope, 4),
      cell(report, "conditioning.heavy_ball.slope", fit_hb.slope, 4),
      cell(report, "conditioning.nesterov.slope", fit_nag.slope, 4),
      cell(report, "conditioning.gd_zero_start.slope", fit_gd0.slope, 4)));
  report.table({"kappa", "GD 1/L", "GD bound", "GD from x0 = 0", "heavy ball", "Nesterov"}, rows);
  report.figure(fig, "conditioning", "iterations to tolerance vs kappa (log-log) with fitted slopes");
  fmt::print("Conditioning: iterations ~ kappa^{:.2f} (GD), kappa^{:.2f} (Nesterov)\n", fit_gd.slope,
             fit_nag.slope);
  return {fit_gd.slope, fit_gd0.slope, fit_nag.slope, fit_hb.slope, gd_v(m - 1), kv(m - 1)};
}

// ---- 5. Momentum overshoot ---------------------------------------------------------------

struct OvershootResult {
  int bad_increases, bad_iterations, restart_increases, restart_iterations, tuned_iterations;
  double period_measured, period_theory, rate_measured, rate_theory;
};

OvershootResult overshoot_experiment(mlc::Report& report) {
  const double L = 1.0, kappa = 10.0, mu = L / kappa, angle = std::numbers::pi / 6.0;
  const double beta_bad = 0.9;  // a common default, far above the optimal β for κ = 10
  const gd::Quadratic q = gd::rotated_quadratic_2d(mu, L, angle);
  const gd::Objective f = q.objective();
  const Eigen::Vector2d stiff(std::cos(angle), std::sin(angle));
  const Eigen::Vector2d flat(-std::sin(angle), std::cos(angle));
  const VectorXd x0 = -1.0 * stiff + std::sqrt(kappa) * flat;
  gd::StopRule stop;
  stop.max_iterations = 3000;
  stop.target_value = 1e-10 * q.value(x0);  // f* = 0
  stop.record_iterates = true;
  const auto hb = gd::heavy_ball_optimal(mu, L);

  std::vector<NamedRun> runs;
  runs.push_back({"gd", "GD 1/L", gd::gradient_descent(f, x0, 1.0 / L, stop)});
  runs.push_back({"heavy_ball_tuned", fmt::format("heavy ball, tuned (7): beta = {:.3f}", hb.momentum),
                  gd::heavy_ball(f, x0, hb.step, hb.momentum, stop)});
  runs.push_back({"heavy_ball_bad", "heavy ball, step 1/L, beta = 0.9",
                  gd::heavy_ball(f, x0, 1.0 / L, beta_bad, stop)});
  runs.push_back({"nesterov_bad", "Nesterov, step 1/L, beta = 0.9",
                  gd::nesterov(f, x0, 1.0 / L, beta_bad, stop)});
  runs.push_back({"nesterov_restart", "Nesterov, beta = 0.9, adaptive restart (10)",
                  gd::nesterov(f, x0, 1.0 / L, beta_bad, stop, true)});

  // The oscillation of the bad heavy ball along the flat axis: with complex eigenvalues
  // √β e^{±iθ}, cos θ = (1 + β − αμ) / (2√β), the flat coordinate changes sign every π/θ
  // iterations. Measured: the mean spacing of its sign changes, doubled.
  const auto& bad = runs[2].trace;
  std::vector<int> changes;
  for (std::size_t k = 1; k < bad.iterates.size(); ++k) {
    if (bad.iterates[k].dot(flat) * bad.iterates[k - 1].dot(flat) < 0.0) changes.push_back(static_cast<int>(k));
  }
  const double period_measured =
      changes.size() >= 2 ? 2.0 * (changes.back() - changes.front()) / static_cast<double>(changes.size() - 1)
                          : std::nan("");
  const double theta = std::acos((1.0 + beta_bad - mu / L) / (2.0 * std::sqrt(beta_bad)));
  const double period_theory = 2.0 * std::numbers::pi / theta;
  const double rate_theory = std::pow(std::max(gd::heavy_ball_spectral_radius(1.0 / L, beta_bad, mu),
                                               gd::heavy_ball_spectral_radius(1.0 / L, beta_bad, L)),
                                      2);
  const double rate_measured =
      gd::measured_rate(bad.values, 0.0, first_below(bad, 0.0, 1e-3), bad.iterations);

  mlc::Figure fig("Momentum overshoot on a 2-D quadratic, kappa = 10");
  fig.xlabel("iteration k").ylabel("f(x_k) - f*").logy().legend("outside right top").size(980, 480);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& t = runs[r].trace;
    fig.line(iteration_axis(t.values.size()), gap_series(t, 0.0), runs[r].label, {.color = static_cast<int>(r)});
    const std::string p = "overshoot." + runs[r].key;
    rows.push_back({runs[r].label, cell(report, p + ".iterations", t.reached_target ? t.iterations : -1),
                    cell(report, p + ".increases", gd::count_increases(t.values)),
                    cell(report, p + ".restarts", t.restarts)});
  }
  report.section("Momentum overshoot");
  report.text(fmt::format(
      "The 2-D quadratic with kappa = {} and the same start as the contour plots, run to "
      "f <= 1e-10 f(x0). With step 1/L and beta = {} (a common default, far above the optimal "
      "beta = {} of (7)), both eigenvalues of the heavy ball's iteration matrix are complex with "
      "modulus sqrt(beta): the iterate spirals, f rises and falls, and the gap contracts by about "
      "beta per iteration instead of the tuned rate. Measured: the flat coordinate changes sign with "
      "period {} iterations (theory 2 pi / theta = {}), the gap contracts by {} per iteration "
      "(theory: spectral radius squared = {}). The function-value restart (10) (O'Donoghue & Candes) "
      "keeps the same beta but drops the momentum whenever f increases.",
      mlc::num(kappa), mlc::num(beta_bad), mlc::num(hb.momentum, 3),
      cell(report, "overshoot.heavy_ball_bad.period_measured", period_measured, 4),
      cell(report, "overshoot.heavy_ball_bad.period_theory", period_theory, 4),
      cell(report, "overshoot.heavy_ball_bad.rate_measured", rate_measured, 4),
      cell(report, "overshoot.heavy_ball_bad.rate_theory", rate_theory, 4)));
  report.table({"method", "iterations to 1e-10", "increases of f", "restarts"}, rows);
  report.figure(fig, "momentum_overshoot",
                "badly tuned momentum (beta = 0.9 on kappa = 10) oscillates; restart and tuning fix it");
  fmt::print("Overshoot: heavy ball beta = 0.9 raises f {} times and needs {} iterations; with "
             "restart Nesterov needs {}\n",
             gd::count_increases(bad.values), bad.iterations, runs[4].trace.iterations);
  return {gd::count_increases(bad.values),
          bad.iterations,
          gd::count_increases(runs[4].trace.values),
          runs[4].trace.iterations,
          runs[1].trace.iterations,
          period_measured,
          period_theory,
          rate_measured,
          rate_theory};
}

// ---- 6. Logistic regression on breast_cancer ------------------------------------------------

void logistic_experiment(mlc::Report& report, mlc::Rng rng, bool quick) {
  const mlc::Dataset data = mlc::load_dataset("breast_cancer");
  mlc::Standardizer scaler;
  const Eigen::MatrixXd Z = scaler.fit_transform(data.X);
  gd::LogisticLoss loss;
  loss.X.resize(Z.rows(), Z.cols() + 1);
  loss.X << Z, Eigen::VectorXd::Ones(Z.rows());  // last column: the intercept
  loss.y = data.y;
  loss.lambda = 1e-2;
  const Eigen::Index n = loss.X.rows(), d = loss.X.cols();

  // The gradient (12) against central differences at a random point.
  const VectorXd w_check = rng.normal_vector(d, 0.0, 0.5);
  const auto check = mlc::gradcheck([&](const VectorXd& w) { return loss.value(w); },
                                    loss.gradient(w_check), w_check);
  if (!check.passes(1e-6)) {
    throw mlc::NumericalError(fmt::format("logistic gradient fails gradcheck: {}", check.relative_error));
  }

  const VectorXd w_star = gd::logistic_newton_minimizer(loss);
  const double f_star = loss.value(w_star);
  const double L_bound = loss.smoothness_bound();
  const double L_star =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(loss.hessian(w_star), Eigen::EigenvaluesOnly)
          .eigenvalues()
          .maxCoeff();
  const double mu = loss.lambda;  // f is λ-strongly convex; the true μ at w* is larger
  const double kappa_bound = L_bound / mu;
  const gd::Objective f = loss.objective();
  const VectorXd w0 = VectorXd::Zero(d);
  const double gap0 = loss.value(w0) - f_star;
  const double tol = quick ? 1e-6 : 1e-10;
  gd::StopRule stop;
  stop.max_iterations = quick ? 3000 : 40000;
  stop.target_value = f_star + tol;
  const auto nag = gd::nesterov_strongly_convex(mu, L_bound);

  std::vector<NamedRun> runs;
  runs.push_back({"gd", "GD, step 1/L", gd::gradient_descent(f, w0, 1.0 / L_bound, stop)});
  runs.push_back({"nesterov", "Nesterov (8), L and mu = lambda",
                  gd::nesterov(f, w0, nag.step, nag.momentum, stop)});
  runs.push_back({"nesterov_restart", "Nesterov + restart (10)",
                  gd::nesterov(f, w0, nag.step, nag.momentum, stop, true)});
  runs.push_back({"armijo", "GD + Armijo, t0 = 1", gd::gradient_descent_armijo(f, w0, {.t0 = 1.0}, stop)});
  runs.push_back({"armijo_growth", "GD + Armijo, t0 = 2 x last step",
                  gd::gradient_descent_armijo(f, w0, {.t0 = 1.0, .growth = 2.0}, stop)});

  mlc::Figure fig("L2-regularised logistic regression on breast_cancer");
  fig.xlabel("iteration k").ylabel("f(w_k) - f*").logy().legend("outside right top").size(980, 480);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& t = runs[r].trace;
    fig.line(iteration_axis(t.values.size()), gap_series(t, f_star), runs[r].label, {.color = static_cast<int>(r)});
    const std::string p = "logistic." + runs[r].key;
    rows.push_back({runs[r].label, cell(report, p + ".iterations", t.reached_target ? t.iterations : -1),
                    cell(report, p + ".gradient_evaluations", t.gradient_evaluations),
                    cell(report, p + ".function_evaluations", t.function_evaluations)});
  }
  const std::size_t n_gd = runs[0].trace.values.size();
  fig.line(iteration_axis(n_gd), bound_series(gap0, 1.0 - 1.0 / kappa_bound, n_gd),
           "(3) bound for GD: (1 - mu/L)^k", {.color = 0, .width = 1.0, .dash = true});
  const auto mean_step = [](const gd::Trace& t) {
    double sum = 0.0;
    for (double s : t.steps) sum += s;
    return sum / static_cast<double>(std::max<std::size_t>(t.steps.size(), 1));
  };

  report.section("A real convex loss: logistic regression on breast_cancer");
  report.text(fmt::format(
      "breast_cancer ({} samples, {} features, standardized, plus an intercept column), "
      "loss (11) with lambda = {}. The gradient (12) passes the central-difference check with "
      "norm-wise relative error {}. The smoothness bound (14) ||X||^2/(4n) + lambda = {} gives the safe step "
      "1/L and, with mu = lambda, kappa <= {}. The reference minimum f* = {} comes from Newton's "
      "method (||grad|| <= 1e-10). At w* the Hessian's largest eigenvalue is only {}: the bound "
      "assumes every sample sits at sigma' = 1/4, but most are classified with confidence, so "
      "1/L is cautious. Armijo from t0 = 1 accepts a mean step of {} times 1/L (t0 itself is "
      "{} times 1/L; it backtracked {} times in all); started at twice the last accepted step it "
      "finds a mean step of {} times 1/L, close to the local stability limit 2 / L(w*) = {} times 1/L. Each run "
      "stops at f - f* <= {}.",
      n, d - 1, mlc::num(loss.lambda), cell(report, "logistic.gradcheck_relative_error", check.relative_error, 3),
      cell(report, "logistic.L_bound", L_bound), cell(report, "logistic.kappa_bound", kappa_bound),
      cell(report, "logistic.f_star", f_star, 8), cell(report, "logistic.L_at_optimum", L_star),
      cell(report, "logistic.armijo.mean_step_times_L", mean_step(runs[3].trace) * L_bound, 3),
      mlc::num(L_bound, 3),
      cell(report, "logistic.armijo.backtracks",
           runs[3].trace.function_evaluations - 1 - runs[3].trace.iterations),
      cell(report, "logistic.armijo_growth.mean_step_times_L", mean_step(runs[4].trace) * L_bound, 3),
      cell(report, "logistic.local_step_limit_times_L", 2.0 * L_bound / L_star, 3), mlc::num(tol)));
  report.table({"method", "iterations", "gradient evaluations", "function evaluations"}, rows);
  report.figure(fig, "logistic",
                "suboptimality of GD, Nesterov and GD + Armijo on the logistic loss, with the "
                "GD bound (3) for the estimated L and mu = lambda");
  fmt::print("Logistic (breast_cancer): L bound {:.3f}, GD {} iterations, Nesterov {}, Armijo {} "
             "(with step growth {})\n",
             L_bound, runs[0].trace.iterations, runs[1].trace.iterations, runs[3].trace.iterations,
             runs[4].trace.iterations);
}

// ---- The program -------------------------------------------------------------------------

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng rng(opt.seed);

  report.section("Iterates on contour plots");
  report.text(
      "Three 2-D quadratics f(x) = 1/2 x^T A x with eigenvalues mu = 1/kappa and L = 1, the stiff "
      "axis at 30 degrees, all started from a point with f(x0) = 1 split evenly between the two "
      "eigen-directions. GD with step 1/L removes the stiff component in one step and then crawls "
      "along the valley with factor (1 - 1/kappa); the step 2/(L+mu) balances the two components "
      "and zig-zags across the valley; the momentum methods overshoot along the valley but arrive "
      "in about sqrt(kappa) times fewer steps. The table gives the iterations to f <= 1e-6 f(x0).");
  std::vector<std::vector<std::string>> contour_rows;
  for (const double kappa : {1.0, 10.0, 100.0}) contour_experiment(report, kappa, contour_rows);
  report.table({"kappa", "GD 1/L", "GD 2/(L+mu)", "heavy ball", "Nesterov"}, contour_rows);

  suboptimality_experiment(report, rng.derive(1));
  const StepSizeResult step = step_size_experiment(report, rng.derive(2), opt.quick);
  const ConditioningResult cond = conditioning_experiment(report, rng.derive(3), opt.quick);
  const OvershootResult over = overshoot_experiment(report);
  logistic_experiment(report, rng.derive(4), opt.quick);

  report.failure_mode(
      {.name = "A step above 2/L diverges",
       .trigger = "gradient descent with a fixed step eta = 2.1/L on the 50-D quadratic (L = 1, mu = 0.01)",
       .symptom = fmt::format("the error grows by a measured factor {} per iteration (theory |1 - eta L| = "
                              "{}); after 300 iterations f - f* is {} times its start",
                              mlc::num(step.diverging_factor, 5), mlc::num(step.diverging_theory, 5),
                              mlc::num(step.diverging_gap_ratio, 3)),
       .why = "e_(k+1) = (I - eta A) e_k: the component along the top eigenvector is multiplied by "
              "1 - eta L, whose modulus exceeds 1 once eta > 2/L; any rounding-level component "
              "along it is amplified geometrically",
       .mitigation = fmt::format("keep eta < 2/L (1/L is safe), or backtrack: Armijo from t0 = 2.5/L "
                                 "converges to 1e-8 in {} iterations with mean step {}/L",
                                 step.armijo_iterations, mlc::num(step.armijo_mean_step_L, 3))});
  report.failure_mode(
      {.name = "Ill-conditioning: zig-zag and iterations linear in kappa",
       .trigger = fmt::format("random quadratics with kappa up to {}", mlc::num(cond.kappa_max)),
       .symptom = fmt::format("iterations of GD (step 1/L) to a 1e-6 relative gap grow as kappa^{} "
                              "from the hard start (kappa^{} from x0 = 0), fitted over kappa >= 10; {} "
                              "iterations at kappa = {}; with step 2/(L+mu) the iterates zig-zag "
                              "across the valley (contour plots)",
                              mlc::num(cond.gd_slope, 4), mlc::num(cond.gd_slope_zero_start, 4),
                              mlc::num(cond.gd_iters_at_max), mlc::num(cond.kappa_max)),
       .why = "one step size must be stable for the largest curvature L and make progress along the "
              "smallest mu; the contraction is at best (kappa-1)/(kappa+1) per step",
       .mitigation = fmt::format("momentum: heavy ball and Nesterov scale as kappa^{} and kappa^{} "
                                 "(measured); preconditioning (lesson 1.5: Newton) removes kappa",
                                 mlc::num(cond.heavy_ball_slope, 4), mlc::num(cond.nesterov_slope, 4))});
  report.failure_mode(
      {.name = "Momentum overshoot when beta is badly tuned",
       .trigger = "heavy ball with step 1/L and beta = 0.9 on a 2-D quadratic with kappa = 10 "
                  "(optimal beta is about 0.27)",
       .symptom = fmt::format("f increases at {} of {} iterations; the iterate oscillates with period {} "
                              "(theory {}); gap rate {} per iteration (theory beta = {})",
                              over.bad_increases, over.bad_iterations, mlc::num(over.period_measured, 4),
                              mlc::num(over.period_theory, 4), mlc::num(over.rate_measured, 4),
                              mlc::num(over.rate_theory, 4)),
       .why = "with beta > (1 - sqrt(alpha mu))^2 every mode of the iteration matrix has complex eigenvalues of "
              "modulus sqrt(beta): an under-damped oscillator whose decay is set by beta alone",
       .mitigation = fmt::format("tune beta by (7): {} iterations; or keep beta = 0.9 with Nesterov + "
                                 "adaptive restart: {} iterations, f increases {} times",
                                 over.tuned_iterations, over.restart_iterations, over.restart_increases)});

  report.write();
}

}  // namespace

int main(int argc, char** argv) { return mlc::lesson_main(argc, argv, kLesson, run); }
