// 1.4 gradient_descent: gradient descent, Polyak's heavy ball, Nesterov's accelerated
// gradient and Armijo backtracking, measured against the rates the theory predicts.
//
// Experiments (each a section of report.md):
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

#include <fmt/format.h>
#include <Eigen/Eigenvalues>

#include "gradient_descent.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"

namespace gd = gradient_descent;
using Eigen::VectorXd;
using mlc::num;

namespace {

using Rows = std::vector<std::vector<std::string>>;

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

// The first index with gap <= fraction · gap0 (the start of the asymptotic regime).
int first_below(const gd::Trace& trace, double f_star, double fraction) {
  return gd::iterations_to_reach(trace.values, f_star + fraction * (trace.values.front() - f_star));
}

// Iterations to the stopping target, or -1 when the run never reached it.
int iterations(const gd::Trace& t) {
  return t.reached_target ? t.iterations : -1;
}

// The mean accepted step of a line search (summed in order).
double mean_step(const gd::Trace& t) {
  double sum = 0.0;
  for (double s : t.steps) sum += s;
  return sum / static_cast<double>(std::max<std::size_t>(t.steps.size(), 1));
}

struct NamedRun {
  std::string key;    // metric name part
  std::string label;  // legend
  gd::Trace trace;
};

// The 2-D quadratic with eigenvalues μ = 1/κ and L = 1, its stiff axis at 30 degrees, and the
// start with f(x0) = 1: 1 along the stiff axis and √κ along the flat one (½ of f(x0) each).
struct Valley {
  double kappa, L = 1.0, mu = 1.0 / kappa, angle = std::numbers::pi / 6.0;
  gd::Quadratic q = gd::rotated_quadratic_2d(mu, L, angle);
  Eigen::Vector2d stiff{std::cos(angle), std::sin(angle)};
  Eigen::Vector2d flat{-std::sin(angle), std::cos(angle)};
  VectorXd x0 = -1.0 * stiff + std::sqrt(kappa) * flat;
};

// ---- 1. Iterates on contour plots --------------------------------------------------------

// One κ: the figure, and the table row of iterations to f <= 1e-6 f(x0).
std::vector<std::string> contour_experiment(mlc::Report& report, double kappa) {
  const Valley v{kappa};
  const gd::Objective f = v.q.objective();
  gd::StopRule stop;
  stop.max_iterations = 5000;
  stop.target_value = 1e-6 * v.q.value(v.x0);  // f* = 0
  stop.record_iterates = true;
  const auto hb = gd::heavy_ball_optimal(v.mu, v.L);
  const auto nag = gd::nesterov_strongly_convex(v.mu, v.L);
  const std::vector<NamedRun> runs = {
      {"gd", "GD, step 1/L", gd::gradient_descent(f, v.x0, 1.0 / v.L, stop)},
      {"gd_opt", "GD, step 2/(L+mu)", gd::gradient_descent(f, v.x0, 2.0 / (v.L + v.mu), stop)},
      {"heavy_ball", "heavy ball (7)", gd::heavy_ball(f, v.x0, hb.step, hb.momentum, stop)},
      {"nesterov", "Nesterov (8)", gd::nesterov(f, v.x0, nag.step, nag.momentum, stop)}};

  // The grid covers every iterate with a margin; levels are f0 · {2, 1, 1/2, 1/4, ...}.
  double lo_x = 0, hi_x = 0, lo_y = 0, hi_y = 0;
  for (const auto& run : runs)
    for (const auto& x : run.trace.iterates) {
      lo_x = std::min(lo_x, x(0));
      hi_x = std::max(hi_x, x(0));
      lo_y = std::min(lo_y, x(1));
      hi_y = std::max(hi_y, x(1));
    }
  const double margin = 0.15 * std::max(hi_x - lo_x, hi_y - lo_y);
  const int m = 181;
  const VectorXd xs = VectorXd::LinSpaced(m, lo_x - margin, hi_x + margin);
  const VectorXd ys = VectorXd::LinSpaced(m, lo_y - margin, hi_y + margin);
  Eigen::MatrixXd z(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) z(i, j) = v.q.value(Eigen::Vector2d(xs(j), ys(i)));
  std::vector<double> levels;
  for (int j = -1; j < 12; ++j) levels.push_back(std::pow(0.5, j) * v.q.value(v.x0));

  const std::string k_name = fmt::format("{:g}", kappa);
  mlc::Figure fig(fmt::format("Iterates on the level sets of f, kappa = {}", k_name));
  fig.xlabel("x_1").ylabel("x_2").equal_axes().legend("outside right top").size(900, 560);
  fig.contour(z, xs, ys, levels, "level sets f0 / 2^j");
  std::vector<std::string> row{k_name};
  constexpr int kPointTypes[] = {7, 5, 9, 13};  // circle, square, triangle, diamond
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& it = runs[r].trace.iterates;
    const std::size_t shown = std::min<std::size_t>(it.size(), 400);
    std::vector<double> px, py;
    for (std::size_t k = 0; k < shown; ++k) {
      px.push_back(it[k](0));
      py.push_back(it[k](1));
    }
    fig.line_points(px, py, runs[r].label,
                    {.color = static_cast<int>(r),
                     .width = 1.0,
                     .point_type = kPointTypes[r % 4],
                     .point_size = 0.6});
    row.push_back(report.quote(fmt::format("contour.kappa_{}.{}.iterations", k_name, runs[r].key),
                               iterations(runs[r].trace)));
  }
  report.figure(fig, fmt::format("contours_kappa_{}", k_name),
                fmt::format("kappa = {}: iterates of the four methods from x0 (f(x0) = 1) on the "
                            "level sets f0 / 2^j (first 400 iterates shown)",
                            k_name));
  return row;
}

void contour_section(mlc::Report& report) {
  report.section("Iterates on contour plots");
  report.text(
      "Three 2-D quadratics f(x) = 1/2 x^T A x with eigenvalues mu = 1/kappa and L = 1, the stiff "
      "axis at 30 degrees, all started from a point with f(x0) = 1 split evenly between the two "
      "eigen-directions. GD with step 1/L removes the stiff component in one step and then crawls "
      "along the valley with factor (1 - 1/kappa); the step 2/(L+mu) balances the two components "
      "and zig-zags across the valley; the momentum methods overshoot along the valley but arrive "
      "in about sqrt(kappa) times fewer steps. The table gives the iterations to f <= 1e-6 f(x0).");
  Rows rows;
  for (const double kappa : {1.0, 10.0, 100.0}) rows.push_back(contour_experiment(report, kappa));
  report.table({"kappa", "GD 1/L", "GD 2/(L+mu)", "heavy ball", "Nesterov"}, rows);
}

// ---- 2. Suboptimality against the bounds ---------------------------------------------------

void suboptimality_experiment(mlc::Report& report, mlc::Rng rng) {
  const int d = 50;
  const double L = 1.0, kappa = 100.0, mu = L / kappa;
  const gd::Quadratic q = gd::random_quadratic(d, mu, L, rng);
  const gd::Objective f = q.objective();
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
  const double c_nag = gap0 + 0.5 * mu * (x0 - q.minimizer()).squaredNorm();
  struct Entry {
    NamedRun run;
    double rate;                       // the bound's asymptotic factor per iteration
    std::function<double(int)> bound;  // k -> bound on f(x_k) − f*
    std::string bound_label;
  };
  const std::vector<Entry> entries = {
      {{"gd", "GD, step 1/L", gd::gradient_descent(f, x0, 1.0 / L, stop)},
       1.0 - 1.0 / kappa,
       [&](int k) { return gap0 * std::pow(1.0 - 1.0 / kappa, k); },
       "(3) (1-1/kappa)^k"},
      {{"gd_opt", "GD, step 2/(L+mu)", gd::gradient_descent(f, x0, 2.0 / (L + mu), stop)},
       rho_opt * rho_opt,
       [&](int k) { return gap0 * std::pow(rho_opt, 2 * k); },
       "(5) ((kappa-1)/(kappa+1))^2k"},
      {{"heavy_ball", "heavy ball (7)", gd::heavy_ball(f, x0, hb.step, hb.momentum, stop)},
       rho_hb * rho_hb,
       [&](int k) { return gap0 * std::pow(gd::heavy_ball_envelope(k, mu, L), 2); },
       "(7b) rho^2k (1+(1+rho)k)^2"},
      {{"nesterov", "Nesterov (8)", gd::nesterov(f, x0, nag.step, nag.momentum, stop)},
       1.0 - 1.0 / sk,
       [&](int k) { return c_nag * std::pow(1.0 - 1.0 / sk, k); },
       "(8b) (1-1/sqrt kappa)^k"}};

  mlc::Figure fig("Suboptimality on a 50-D quadratic, kappa = 100");
  fig.xlabel("iteration k").ylabel("f(x_k) - f*").logy().legend("outside right top");
  fig.size(980, 520);
  Rows rows;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const auto& [run, rate, bound_of, bound_label] = entries[e];
    const auto& t = run.trace;
    const std::size_t n = t.values.size();
    VectorXd bound(static_cast<Eigen::Index>(n));
    double worst_ratio = 0.0;  // max_k gap_k / bound_k: <= 1 when the bound holds
    for (std::size_t k = 0; k < n; ++k) {
      bound(static_cast<Eigen::Index>(k)) = bound_of(static_cast<int>(k));
      worst_ratio =
          std::max(worst_ratio, (t.values[k] - f_star) / bound(static_cast<Eigen::Index>(k)));
    }
    fig.line(iteration_axis(n), gap_series(t, f_star), run.label, {.color = static_cast<int>(e)});
    fig.line(iteration_axis(n), bound, bound_label,
             {.color = static_cast<int>(e), .width = 1.0, .dash = true});
    // Measured rate over the asymptotic regime: from gap <= 1e-3 gap0 to the end.
    const double measured =
        gd::measured_rate(t.values, f_star, first_below(t, f_star, 1e-3), t.iterations);
    const std::string p = "quadratic.kappa_100." + run.key;
    rows.push_back({run.label, bound_label, report.quote(p + ".rate_theory", rate, 6),
                    report.quote(p + ".rate_measured", measured, 6),
                    report.quote(p + ".iterations", iterations(t)),
                    report.quote(p + ".max_gap_over_bound", worst_ratio, 3)});
  }
  report.section("Suboptimality against the theoretical bounds");
  // The bound (3) is the general one for L-smooth μ-strongly convex f; on a quadratic the
  // exact contraction of GD with step 1/L is (1 − 1/κ)² per iteration on the gap.
  // Nesterov's iteration matrix on the eigenvalue μ has a double root 1 − 1/√κ (NOTES (8c)),
  // so on a quadratic its gap contracts by (1 − 1/√κ)² asymptotically: the square of (8b).
  report.text(fmt::format(
      "A {}-dimensional quadratic with eigenvalues log-spaced in [mu, L] = [{}, {}] (kappa = {}), "
      "a random orthogonal eigenbasis and x* ~ N(0, I); x0 = 0. Each method runs until "
      "f(x_k) - f* <= 1e-12 (f(x0) - f*). The measured rate is the geometric mean of the gap ratio "
      "from the first k with gap <= 1e-3 gap0 to the end. Dashed lines are the bounds: (3) is "
      "the general bound for L-smooth, mu-strongly convex f with step 1/L; on a quadratic the "
      "exact worst-case factor is (1 - 1/kappa)^2 = {} per iteration, which the measured rate "
      "approaches. Likewise Nesterov's asymptotic factor on a quadratic is (1 - 1/sqrt(kappa))^2 = "
      "{} (8c), the square of the bound's (8b). The heavy ball has no bound of the form C rho^k "
      "with C = 1: at the edges of the spectrum its iteration matrix has a double eigenvalue, and "
      "the Chebyshev argument of (7b) gives |e_k| <= rho^k (1 + (1+rho) k) |e_0| per "
      "eigen-direction, a polynomial factor that the measured curve follows (the measured rate "
      "over a finite window is a little above rho^2).",
      d, report.quote("quadratic.mu", mu), report.quote("quadratic.L", L),
      report.quote("quadratic.kappa", kappa),
      report.quote("quadratic.kappa_100.gd.rate_quadratic",
                   (1.0 - 1.0 / kappa) * (1.0 - 1.0 / kappa), 6),
      report.quote("quadratic.kappa_100.nesterov.rate_quadratic",
                   (1.0 - 1.0 / sk) * (1.0 - 1.0 / sk), 6)));
  report.table(
      {"method", "bound", "theory rate", "measured rate", "iterations to 1e-12", "max gap / bound"},
      rows);
  report.figure(fig, "suboptimality",
                "log suboptimality against the bounds (dashed, same colour): GD's rate depends on "
                "kappa, the momentum methods' on sqrt(kappa)");
  fmt::print("Suboptimality, kappa = 100: GD 1/L {} iterations, heavy ball {}, Nesterov {}\n",
             entries[0].run.trace.iterations, entries[2].run.trace.iterations,
             entries[3].run.trace.iterations);
}

// ---- 3. The step-size limit 2/L ------------------------------------------------------------

void step_size_experiment(mlc::Report& report, mlc::Rng rng, bool quick) {
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
  VectorXd measured(sweep);
  double max_abs_error = 0.0;
  for (int i = 0; i < sweep; ++i) {
    measured(i) = factor_of(gd::gradient_descent(f, x0, eta_L(i) / L, stop));
    max_abs_error =
        std::max(max_abs_error, std::abs(measured(i) - gd::gd_contraction(eta_L(i) / L, mu, L)));
  }
  const VectorXd fine = VectorXd::LinSpaced(400, 0.0, 2.6);
  mlc::Figure fig("Contraction of the error per iteration against the step size");
  fig.xlabel("eta L").ylabel("||x_{k+1} - x*|| / ||x_k - x*||  (asymptotic)").legend("top left");
  fig.line(fine, fine.unaryExpr([&](double s) { return gd::gd_contraction(s / L, mu, L); }),
           "(4) max(|1 - eta mu|, |1 - eta L|)", {.color = 0});
  fig.points(eta_L, measured, "measured (last 50 of 300 iterations)",
             {.color = 1, .point_type = 7, .point_size = 0.7});
  fig.hline(1.0, "1: no contraction").vline(2.0, "eta = 2/L");

  Rows rows;
  for (const double s : {0.5, 1.0, 1.5, 1.9, 1.99, 2.01, 2.1, 2.5}) {
    const gd::Trace t = gd::gradient_descent(f, x0, s / L, stop);
    const std::string p = fmt::format("step.eta_L_{:g}", s);
    const double factor = factor_of(t);
    rows.push_back({fmt::format("{:g}", s),
                    report.quote(p + ".factor_theory", gd::gd_contraction(s / L, mu, L), 5),
                    report.quote(p + ".factor_measured", factor, 5),
                    report.quote(p + ".final_gap_over_gap0",
                                 (t.values.back() - f_star) / (t.values.front() - f_star), 3),
                    factor > 1.0 ? "diverges" : "converges"});
  }
  // Mitigation: backtracking from the same too-large step.
  gd::StopRule to_tol;
  to_tol.max_iterations = 20000;
  to_tol.target_value = f_star + 1e-8 * (q.value(x0) - f_star);
  const gd::Trace armijo = gd::gradient_descent_armijo(f, x0, {.t0 = 2.5 / L}, to_tol);
  const std::string armijo_iterations =
      report.quote("step.armijo_rescue.iterations", iterations(armijo));
  const std::string armijo_step =
      report.quote("step.armijo_rescue.mean_step_L", mean_step(armijo) * L, 3);

  report.section("The step-size limit 2/L");
  report.text(fmt::format(
      "The {}-D quadratic of spectrum [mu, L] = [{}, {}]; gradient descent with a fixed step eta "
      "for {} iterations from x0 = 0. The error obeys e_(k+1) = (I - eta A) e_k, so each "
      "eigen-component is multiplied by (1 - eta lambda_i) and the slowest one sets the "
      "asymptotic factor (4). Above eta = 2/L the stiff component is multiplied by |1 - eta L| > "
      "1 at every step: the iteration diverges geometrically. Over the {}-point sweep the "
      "measured factor differs from (4) by at most {}.",
      d, num(mu), num(L), K, sweep, report.quote("step.sweep.max_abs_error", max_abs_error, 3)));
  report.table({"eta L", "theory (4)", "measured factor", "gap_K / gap_0", "verdict"}, rows);
  report.figure(
      fig, "step_size_limit",
      "measured asymptotic error contraction (points) against (4); above 2/L it exceeds 1");
  report.text(fmt::format(
      "Mitigation, measured: gradient descent with Armijo backtracking started at the diverging "
      "step t0 = 2.5/L reaches gap <= 1e-8 gap0 in {} iterations ({} function evaluations, mean "
      "accepted step {} / L); the safe fixed step 1/L needs {} iterations.",
      armijo_iterations,
      report.quote("step.armijo_rescue.function_evaluations", armijo.function_evaluations),
      armijo_step,
      report.quote("step.gd_1_over_L.iterations",
                   iterations(gd::gradient_descent(f, x0, 1.0 / L, to_tol)))));
  fmt::print("Step size: eta L = 2.1 grows the error by {} per iteration (theory {})\n", rows[6][2],
             rows[6][1]);

  report.failure_mode(
      {.name = "A step above 2/L diverges",
       .trigger = "gradient descent with a fixed step eta = 2.1/L on the 50-D quadratic (L = 1, "
                  "mu = 0.01)",
       .symptom = fmt::format("the error grows by a measured factor {} per iteration (theory |1 - "
                              "eta L| = {}); after 300 iterations f - f* is {} times its start",
                              rows[6][2], rows[6][1], rows[6][3]),
       .why = "e_(k+1) = (I - eta A) e_k: the component along the top eigenvector is multiplied "
              "by 1 - eta L, whose modulus exceeds 1 once eta > 2/L; any rounding-level "
              "component along it is amplified geometrically",
       .mitigation = fmt::format("keep eta < 2/L (1/L is safe), or backtrack: Armijo from t0 = "
                                 "2.5/L converges to 1e-8 in {} iterations with mean step {}/L",
                                 armijo_iterations, armijo_step)});
}

// ---- 4. Ill-conditioning: iterations against kappa -----------------------------------------

void conditioning_experiment(mlc::Report& report, const mlc::Rng& rng, bool quick) {
  const std::vector<double> kappas =
      quick ? std::vector<double>{1, 10, 100, 1000}
            : std::vector<double>{1, 3, 10, 30, 100, 300, 1000, 3000, 10000};
  const int d = 20;
  const double L = 1.0, tol = 1e-6;
  const char* keys[] = {"gd", "gd_zero_start", "heavy_ball", "nesterov"};
  std::vector<double> it[4], fit_it[4], fit_k, bound;  // iterations of each method, per κ
  Rows rows;
  for (std::size_t i = 0; i < kappas.size(); ++i) {
    const double kappa = kappas[i], mu = L / kappa;
    mlc::Rng r = rng.derive(i);
    const gd::Quadratic q = gd::random_quadratic(d, mu, L, r);
    const gd::Objective f = q.objective();
    const double f_star = q.minimum();
    // The hard start: every eigen-direction v_i holds the same share of the initial gap,
    // x0 = x* + Σ v_i / √λ_i (so ½ λ_i e_i² = ½ for each i). The easy one: x0 = 0.
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(q.A);
    const VectorXd x0 =
        q.minimizer() + eig.eigenvectors() * eig.eigenvalues().cwiseSqrt().cwiseInverse();
    const VectorXd zero = VectorXd::Zero(d);
    const auto stop_for = [&](const VectorXd& start) {
      gd::StopRule stop;
      stop.max_iterations = static_cast<int>(40 * kappa) + 100;
      stop.target_value = f_star + tol * (q.value(start) - f_star);
      return stop;
    };
    const auto hb = gd::heavy_ball_optimal(mu, L);
    const auto nag = gd::nesterov_strongly_convex(mu, L);
    const gd::Trace traces[] = {gd::gradient_descent(f, x0, 1.0 / L, stop_for(x0)),
                                gd::gradient_descent(f, zero, 1.0 / L, stop_for(zero)),
                                gd::heavy_ball(f, x0, hb.step, hb.momentum, stop_for(x0)),
                                gd::nesterov(f, x0, nag.step, nag.momentum, stop_for(x0))};
    // Iterations after which the quadratic bound (1 − 1/κ)^(2k) guarantees the tolerance.
    bound.push_back(kappa == 1.0 ? 1.0
                                 : std::ceil(std::log(tol) / (2.0 * std::log(1.0 - 1.0 / kappa))));
    const std::string p = fmt::format("conditioning.kappa_{:g}.", kappa);
    rows.push_back({fmt::format("{:g}", kappa)});
    for (int m = 0; m < 4; ++m) {
      if (!traces[m].reached_target)
        throw mlc::NumericalError(
            fmt::format("conditioning: a method missed the tolerance at kappa = {}", kappa));
      it[m].push_back(traces[m].iterations);
      if (kappa >= 10.0) fit_it[m].push_back(traces[m].iterations);
      rows.back().push_back(report.quote(p + keys[m] + ".iterations", traces[m].iterations));
      if (m == 0) rows.back().push_back(report.quote(p + "gd.iterations_bound", bound.back()));
    }
    if (kappa >= 10.0) fit_k.push_back(kappa);
  }
  double s[4];           // fitted exponent s of iterations ~ κ^s over κ >= 10, per method
  std::string slope[4];  // quoted
  for (int m = 0; m < 4; ++m) {
    s[m] = gd::fit_power_law(fit_k, fit_it[m]).slope;
    slope[m] = report.quote(fmt::format("conditioning.{}.slope", keys[m]), s[m], 4);
  }

  const VectorXd kv = mlc::to_vector(kappas);
  mlc::Figure fig("Iterations to reach a 1e-6 relative gap against the condition number");
  fig.xlabel("kappa = L / mu").ylabel("iterations").logx().logy().legend("top left");
  fig.line_points(kv, it[0], fmt::format("GD 1/L (slope {:.2f})", s[0]), {.color = 0})
      .line(kv, bound, "GD: bound from (1-1/kappa)^2k", {.color = 0, .width = 1.0, .dash = true})
      .line_points(kv, it[1], fmt::format("GD 1/L from x0 = 0 (slope {:.2f})", s[1]), {.color = 1})
      .line_points(kv, it[2], fmt::format("heavy ball (slope {:.2f})", s[2]), {.color = 2})
      .line_points(kv, it[3], fmt::format("Nesterov (slope {:.2f})", s[3]), {.color = 3});
  report.section("Ill-conditioning: iterations grow linearly with kappa");
  report.text(fmt::format(
      "Random {}-D quadratics with eigenvalues log-spaced in [1/kappa, 1], run until "
      "f(x_k) - f* <= {} (f(x0) - f*) from the hard start x0 = x* + sum_i v_i / sqrt(lambda_i), "
      "where every eigen-direction holds the same share of the initial gap. Fitting "
      "log(iterations) = a + s log(kappa) over kappa >= 10 gives s = {} for GD with step 1/L "
      "(theory 1: (1 - 1/kappa)^2k reaches tol after about kappa log(1/tol) / 2 steps), s = {} "
      "for the heavy ball and s = {} for Nesterov (theory 1/2). The bound column is the iteration "
      "count after which (1 - 1/kappa)^2k guarantees the tolerance. From the easy start x0 = 0 "
      "(with x* ~ N(0, I)) the slow directions hold little of the gap, and GD's fitted slope "
      "drops to {}: the worst case is linear in kappa, a typical start can be milder.",
      d, num(tol), slope[0], slope[2], slope[3], slope[1]));
  report.table({"kappa", "GD 1/L", "GD bound", "GD from x0 = 0", "heavy ball", "Nesterov"}, rows);
  report.figure(fig, "conditioning",
                "iterations to tolerance vs kappa (log-log) with fitted slopes");
  fmt::print("Conditioning: iterations ~ kappa^{} (GD), kappa^{} (Nesterov)\n", slope[0], slope[3]);

  report.failure_mode(
      {.name = "Ill-conditioning: zig-zag and iterations linear in kappa",
       .trigger = fmt::format("random quadratics with kappa up to {}", num(kappas.back())),
       .symptom = fmt::format("iterations of GD (step 1/L) to a 1e-6 relative gap grow as "
                              "kappa^{} from the hard start (kappa^{} from x0 = 0), fitted over "
                              "kappa >= 10; {} iterations at kappa = {}; with step 2/(L+mu) the "
                              "iterates zig-zag across the valley (contour plots)",
                              slope[0], slope[1], rows.back()[1], num(kappas.back())),
       .why = "one step size must be stable for the largest curvature L and make progress along "
              "the smallest mu; the contraction is at best (kappa-1)/(kappa+1) per step",
       .mitigation = fmt::format("momentum: heavy ball and Nesterov scale as kappa^{} and kappa^{} "
                                 "(measured); preconditioning (lesson 1.5: Newton) removes kappa",
                                 slope[2], slope[3])});
}

// ---- 5. Momentum overshoot ---------------------------------------------------------------

void overshoot_experiment(mlc::Report& report) {
  const Valley v{10.0};
  const double beta_bad = 0.9;  // a common default, far above the optimal β for κ = 10
  const gd::Objective f = v.q.objective();
  gd::StopRule stop;
  stop.max_iterations = 3000;
  stop.target_value = 1e-10 * v.q.value(v.x0);  // f* = 0
  stop.record_iterates = true;
  const auto hb = gd::heavy_ball_optimal(v.mu, v.L);
  const std::vector<NamedRun> runs = {
      {"gd", "GD 1/L", gd::gradient_descent(f, v.x0, 1.0 / v.L, stop)},
      {"heavy_ball_tuned", fmt::format("heavy ball, tuned (7): beta = {:.3f}", hb.momentum),
       gd::heavy_ball(f, v.x0, hb.step, hb.momentum, stop)},
      {"heavy_ball_bad", "heavy ball, step 1/L, beta = 0.9",
       gd::heavy_ball(f, v.x0, 1.0 / v.L, beta_bad, stop)},
      {"nesterov_bad", "Nesterov, step 1/L, beta = 0.9",
       gd::nesterov(f, v.x0, 1.0 / v.L, beta_bad, stop)},
      {"nesterov_restart", "Nesterov, beta = 0.9, adaptive restart (10)",
       gd::nesterov(f, v.x0, 1.0 / v.L, beta_bad, stop, true)}};

  // The oscillation of the bad heavy ball along the flat axis: with complex eigenvalues
  // √β e^{±iθ}, cos θ = (1 + β − αμ) / (2√β), the flat coordinate changes sign every π/θ
  // iterations. Measured: the mean spacing of its sign changes, doubled.
  const auto& bad = runs[2].trace;
  std::vector<int> changes;
  for (std::size_t k = 1; k < bad.iterates.size(); ++k)
    if (bad.iterates[k].dot(v.flat) * bad.iterates[k - 1].dot(v.flat) < 0.0)
      changes.push_back(static_cast<int>(k));
  const double period_measured = changes.size() >= 2 ? 2.0 * (changes.back() - changes.front()) /
                                                           static_cast<double>(changes.size() - 1)
                                                     : std::nan("");
  const double theta = std::acos((1.0 + beta_bad - v.mu / v.L) / (2.0 * std::sqrt(beta_bad)));
  const double rate_theory =
      std::pow(std::max(gd::heavy_ball_spectral_radius(1.0 / v.L, beta_bad, v.mu),
                        gd::heavy_ball_spectral_radius(1.0 / v.L, beta_bad, v.L)),
               2);
  const double rate_measured =
      gd::measured_rate(bad.values, 0.0, first_below(bad, 0.0, 1e-3), bad.iterations);

  mlc::Figure fig("Momentum overshoot on a 2-D quadratic, kappa = 10");
  fig.xlabel("iteration k").ylabel("f(x_k) - f*").logy().legend("outside right top");
  fig.size(980, 480);
  Rows rows;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& t = runs[r].trace;
    fig.line(iteration_axis(t.values.size()), gap_series(t, 0.0), runs[r].label,
             {.color = static_cast<int>(r)});
    const std::string p = "overshoot." + runs[r].key;
    rows.push_back({runs[r].label, report.quote(p + ".iterations", iterations(t)),
                    report.quote(p + ".increases", gd::count_increases(t.values)),
                    report.quote(p + ".restarts", t.restarts)});
  }
  const auto q = [&](const std::string& name, double value) {
    return report.quote("overshoot.heavy_ball_bad." + name, value);
  };
  const std::string period = q("period_measured", period_measured);
  const std::string period_th = q("period_theory", 2.0 * std::numbers::pi / theta);
  const std::string rate = q("rate_measured", rate_measured);
  const std::string rate_th = q("rate_theory", rate_theory);
  report.section("Momentum overshoot");
  report.text(fmt::format(
      "The 2-D quadratic with kappa = {} and the same start as the contour plots, run to "
      "f <= 1e-10 f(x0). With step 1/L and beta = {} (a common default, far above the optimal "
      "beta = {} of (7)), both eigenvalues of the heavy ball's iteration matrix are complex with "
      "modulus sqrt(beta): the iterate spirals, f rises and falls, and the gap contracts by about "
      "beta per iteration instead of the tuned rate. Measured: the flat coordinate changes sign "
      "with period {} iterations (theory 2 pi / theta = {}), the gap contracts by {} per "
      "iteration (theory: spectral radius squared = {}). The function-value restart (10) "
      "(O'Donoghue & Candes) keeps the same beta but drops the momentum whenever f increases.",
      num(v.kappa), num(beta_bad), num(hb.momentum, 3), period, period_th, rate, rate_th));
  report.table({"method", "iterations to 1e-10", "increases of f", "restarts"}, rows);
  report.figure(fig, "momentum_overshoot",
                "badly tuned momentum (beta = 0.9 on kappa = 10) oscillates; restart and tuning "
                "fix it");
  fmt::print(
      "Overshoot: heavy ball beta = 0.9 raises f {} times and needs {} iterations; with "
      "restart Nesterov needs {}\n",
      rows[2][2], rows[2][1], rows[4][1]);

  report.failure_mode(
      {.name = "Momentum overshoot when beta is badly tuned",
       .trigger = "heavy ball with step 1/L and beta = 0.9 on a 2-D quadratic with kappa = 10 "
                  "(optimal beta is about 0.27)",
       .symptom = fmt::format("f increases at {} of {} iterations; the iterate oscillates with "
                              "period {} (theory {}); gap rate {} per iteration (theory beta = {})",
                              rows[2][2], rows[2][1], period, period_th, rate, rate_th),
       .why = "with beta > (1 - sqrt(alpha mu))^2 every mode of the iteration matrix has complex "
              "eigenvalues of modulus sqrt(beta): an under-damped oscillator whose decay is set "
              "by beta alone",
       .mitigation = fmt::format("tune beta by (7): {} iterations; or keep beta = 0.9 with "
                                 "Nesterov + adaptive restart: {} iterations, f increases {} times",
                                 rows[1][1], rows[4][1], rows[4][2])});
}

// ---- 6. Logistic regression on breast_cancer ------------------------------------------------

void logistic_experiment(mlc::Report& report, mlc::Rng rng, bool quick) {
  const mlc::Dataset data = mlc::load_dataset("breast_cancer");
  mlc::Standardizer scaler;
  const Eigen::MatrixXd Z = scaler.fit_transform(data.X);
  gd::LogisticLoss loss;
  loss.X.resize(Z.rows(), Z.cols() + 1);
  loss.X << Z, VectorXd::Ones(Z.rows());  // last column: the intercept
  loss.y = data.y;
  loss.lambda = 1e-2;
  const Eigen::Index n = loss.X.rows(), d = loss.X.cols();

  // The gradient (12) against central differences at a random point.
  const VectorXd w_check = rng.normal_vector(d, 0.0, 0.5);
  const auto check = mlc::gradcheck([&](const VectorXd& w) { return loss.value(w); },
                                    loss.gradient(w_check), w_check);
  if (!check.passes(1e-6))
    throw mlc::NumericalError(
        fmt::format("logistic gradient fails gradcheck: {}", check.relative_error));

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
  const std::vector<NamedRun> runs = {
      {"gd", "GD, step 1/L", gd::gradient_descent(f, w0, 1.0 / L_bound, stop)},
      {"nesterov", "Nesterov (8), L and mu = lambda",
       gd::nesterov(f, w0, nag.step, nag.momentum, stop)},
      {"nesterov_restart", "Nesterov + restart (10)",
       gd::nesterov(f, w0, nag.step, nag.momentum, stop, true)},
      {"armijo", "GD + Armijo, t0 = 1", gd::gradient_descent_armijo(f, w0, {.t0 = 1.0}, stop)},
      {"armijo_growth", "GD + Armijo, t0 = 2 x last step",
       gd::gradient_descent_armijo(f, w0, {.t0 = 1.0, .growth = 2.0}, stop)}};

  mlc::Figure fig("L2-regularised logistic regression on breast_cancer");
  fig.xlabel("iteration k").ylabel("f(w_k) - f*").logy().legend("outside right top");
  fig.size(980, 480);
  Rows rows;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& t = runs[r].trace;
    fig.line(iteration_axis(t.values.size()), gap_series(t, f_star), runs[r].label,
             {.color = static_cast<int>(r)});
    const std::string p = "logistic." + runs[r].key;
    rows.push_back({runs[r].label, report.quote(p + ".iterations", iterations(t)),
                    report.quote(p + ".gradient_evaluations", t.gradient_evaluations),
                    report.quote(p + ".function_evaluations", t.function_evaluations)});
  }
  // The bound (3) for GD: gap0 (1 - mu/L)^k.
  const std::size_t n_gd = runs[0].trace.values.size();
  VectorXd bound(static_cast<Eigen::Index>(n_gd));
  for (Eigen::Index k = 0; k < bound.size(); ++k)
    bound(k) = gap0 * std::pow(1.0 - 1.0 / kappa_bound, static_cast<double>(k));
  fig.line(iteration_axis(n_gd), bound, "(3) bound for GD: (1 - mu/L)^k",
           {.color = 0, .width = 1.0, .dash = true});

  const auto& armijo = runs[3].trace;
  report.section("A real convex loss: logistic regression on breast_cancer");
  report.text(fmt::format(
      "breast_cancer ({} samples, {} features, standardized, plus an intercept column), "
      "loss (11) with lambda = {}. The gradient (12) passes the central-difference check with "
      "norm-wise relative error {}. The smoothness bound (14) ||X||^2/(4n) + lambda = {} gives "
      "the safe step 1/L and, with mu = lambda, kappa <= {}. The reference minimum f* = {} comes "
      "from Newton's method (||grad|| <= 1e-10). At w* the Hessian's largest eigenvalue is only "
      "{}: the bound assumes every sample sits at sigma' = 1/4, but most are classified with "
      "confidence, so 1/L is cautious. Armijo from t0 = 1 accepts a mean step of {} times 1/L "
      "(t0 itself is {} times 1/L; it backtracked {} times in all); started at twice the last "
      "accepted step it finds a mean step of {} times 1/L, close to the local stability limit "
      "2 / L(w*) = {} times 1/L. Each run stops at f - f* <= {}.",
      n, d - 1, num(loss.lambda),
      report.quote("logistic.gradcheck_relative_error", check.relative_error, 3),
      report.quote("logistic.L_bound", L_bound), report.quote("logistic.kappa_bound", kappa_bound),
      report.quote("logistic.f_star", f_star, 8), report.quote("logistic.L_at_optimum", L_star),
      report.quote("logistic.armijo.mean_step_times_L", mean_step(armijo) * L_bound, 3),
      num(L_bound, 3),
      report.quote("logistic.armijo.backtracks",
                   armijo.function_evaluations - 1 - armijo.iterations),
      report.quote("logistic.armijo_growth.mean_step_times_L", mean_step(runs[4].trace) * L_bound,
                   3),
      report.quote("logistic.local_step_limit_times_L", 2.0 * L_bound / L_star, 3), num(tol)));
  report.table({"method", "iterations", "gradient evaluations", "function evaluations"}, rows);
  report.figure(fig, "logistic",
                "suboptimality of GD, Nesterov and GD + Armijo on the logistic loss, with the "
                "GD bound (3) for the estimated L and mu = lambda");
  fmt::print(
      "Logistic (breast_cancer): L bound {:.3f}, GD {} iterations, Nesterov {}, Armijo {} "
      "(with step growth {})\n",
      L_bound, runs[0].trace.iterations, runs[1].trace.iterations, armijo.iterations,
      runs[4].trace.iterations);
}

// ---- The program -------------------------------------------------------------------------

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  contour_section(report);
  suboptimality_experiment(report, root.derive(1));
  step_size_experiment(report, root.derive(2), opt.quick);
  conditioning_experiment(report, root.derive(3), opt.quick);
  overshoot_experiment(report);
  logistic_experiment(report, root.derive(4), opt.quick);
  report.headline(
      {"quadratic.kappa_100.gd.rate_measured", "quadratic.kappa_100.nesterov.rate_measured"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
