// 1.3 automatic_differentiation: derivatives three ways (forward AD, reverse AD, finite
// differences) checked against hand-derived gradients of four ML losses, then where each breaks.
//
// Experiments (each a section of report.md):
//   1. forward mode = reverse mode = closed form on four losses;
//   2. the V-shaped error of finite differences against h (two failure modes);
//   3. the same V for a network's gradient;
//   4. the cost of forward and reverse mode as the number of inputs grows;
//   5. non-differentiable points, |x| and ReLU at 0 (two failure modes).
// Follows Griewank & Walther, "Evaluating Derivatives" (2008), ch. 2-3 and 14, and Nocedal &
// Wright, "Numerical Optimization", section 8.1. Equations (n) refer to NOTES.md.
// Run: ./learn run automatic_differentiation [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "automatic_differentiation.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "mlc/timer.hpp"

namespace ad = automatic_differentiation;

namespace {

using Eigen::VectorXd;
using mlc::num;

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Forward-mode AD with dual numbers, reverse-mode AD with a tape (a Wengert list), and "
    "finite differences, each checked against hand-derived gradients of the logistic loss, "
    "softmax cross-entropy, a 2-layer tanh network and Rosenbrock. Measures the V-shaped "
    "truncation/rounding error of finite differences against its model, the cost of forward "
    "vs reverse mode in operations as the number of inputs grows, and what each method "
    "returns at a kink (|x|, ReLU at 0).",
    "report.md, metrics.json, figures/fd_error_vs_h.svg, figures/fd_error_mlp.svg, "
    "figures/ad_cost.svg, figures/kinks.svg");

// max_i |a_i - b_i| / max(||b||_inf, 1): how far a gradient is from a reference.
double scaled_difference(const VectorXd& a, const VectorXd& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

// Quotes metrics under one prefix, with 3 significant digits unless told.
struct Quote {
  mlc::Report& report;
  std::string prefix;
  std::string operator()(const std::string& name, double value, int sig = 3) const {
    return report.quote(prefix + name, value, sig);
  }
};

// ---- 1. Forward = reverse = closed form on four losses -----------------------------------

// One loss, written once as a template (generic in the scalar type), at parameters theta:
// its table row of differences between forward mode, reverse mode, the closed form and
// central differences, recorded as the metrics agreement.<name>.*.
template <class Generic>
std::vector<std::string> agreement_row(mlc::Report& report, const std::string& name,
                                       const std::string& data, const VectorXd& theta, Generic g,
                                       const VectorXd& closed) {
  mlc::require_finite(closed, "closed-form gradient of " + name);
  const ad::GradientResult fwd = ad::gradient_forward(g, theta);
  const ad::GradientResult rev = ad::gradient_reverse(g, theta);
  const auto f = [g](const VectorXd& t) { return g(ad::to_std(t)); };
  const VectorXd fd = ad::finite_difference_gradient(f, theta, 1e-6, ad::Difference::kCentral);
  const Quote q{report, "agreement." + name + "."};
  fmt::print("  {:<11} n = {:>3}  |fwd-rev| {:.1e}\n", name, theta.size(),
             scaled_difference(fwd.gradient, rev.gradient));
  return {name,
          data,
          q("parameters", static_cast<double>(theta.size()), 10),
          q("tape_nodes", static_cast<double>(rev.tape_nodes), 10),
          q("forward_vs_closed", scaled_difference(fwd.gradient, closed)),
          q("reverse_vs_closed", scaled_difference(rev.gradient, closed)),
          q("forward_vs_reverse", scaled_difference(fwd.gradient, rev.gradient)),
          q("central_fd_vs_closed", scaled_difference(fd, closed)),
          q("gradcheck_relative_error", mlc::gradcheck(f, closed, theta).relative_error)};
}

// moons: the data set of the tanh network (stream `data`); theta draws the parameters.
void agreement_experiment(mlc::Report& report, bool quick, mlc::Rng data, mlc::Rng theta) {
  report.section("Forward mode = reverse mode = closed form");
  mlc::Dataset bc = mlc::load_dataset("breast_cancer");
  const mlc::Dataset iris = mlc::load_dataset("iris");
  if (quick) {
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < bc.n(); i += 6) rows.push_back(i);
    bc = mlc::subset(bc, rows);
  }
  const Eigen::MatrixXd Xbc = mlc::Standardizer().fit_transform(bc.X);
  const Eigen::MatrixXd Xir = mlc::Standardizer().fit_transform(iris.X);
  const Eigen::VectorXi yir = iris.labels();
  const mlc::Dataset moons = mlc::make_moons(quick ? 40 : 200, 0.1, data);
  const Eigen::Index H = 8;

  report.text(
      "Each loss is written once as a template and evaluated three ways: with `double` (the "
      "value), with dual numbers (forward mode, one sweep per input) and on a tape (reverse "
      "mode, one recording sweep and one backward sweep). The closed form is the gradient "
      "derived by hand, (L1')-(L4'). Differences are max_i |a_i - b_i| / max(‖b‖∞, 1). The "
      "central difference uses h = 1e-6 (mlc::gradcheck's step); the last column is "
      "mlc::gradcheck's norm-wise relative error ‖a - n‖ / (‖a‖ + ‖n‖) of the closed form.");
  fmt::print("Forward = reverse = closed form:\n");
  std::vector<std::vector<std::string>> rows;
  const VectorXd t1 = theta.normal_vector(Xbc.cols() + 1, 0.0, 0.3);
  rows.push_back(agreement_row(
      report, "logistic", fmt::format("breast_cancer ({} × {})", Xbc.rows(), Xbc.cols()), t1,
      [&](const auto& t) { return ad::logistic_loss(t, Xbc, bc.y); },
      ad::logistic_loss_gradient(t1, Xbc, bc.y)));
  const VectorXd t2 = theta.normal_vector(Xir.cols() * 3, 0.0, 0.5);
  rows.push_back(agreement_row(
      report, "softmax_ce", fmt::format("iris ({} × {}, 3 classes)", Xir.rows(), Xir.cols()), t2,
      [&](const auto& t) { return ad::softmax_cross_entropy(t, Xir, yir, 3); },
      ad::softmax_cross_entropy_gradient(t2, Xir, yir, 3)));
  const VectorXd t3 = theta.normal_vector(ad::mlp_parameter_count(2, H), 0.0, 0.7);
  rows.push_back(agreement_row(
      report, "tanh_mlp", fmt::format("moons ({} × 2), H = {}", moons.n(), H), t3,
      [&](const auto& t) { return ad::mlp_loss(t, moons.X, moons.y, H); },
      ad::mlp_loss_gradient(t3, moons.X, moons.y, H)));
  const VectorXd t4 = theta.normal_vector(10);
  rows.push_back(agreement_row(
      report, "rosenbrock", "x ~ N(0, I), n = 10", t4,
      [](const auto& t) { return ad::rosenbrock(t); }, ad::rosenbrock_gradient(t4)));
  report.table(
      {"loss", "data", "parameters n", "tape nodes", "forward vs closed", "reverse vs closed",
       "forward vs reverse", "central FD vs closed", "gradcheck rel. error"},
      rows);
  report.text(
      "Both AD modes agree with the hand-derived gradients to the last few bits (they "
      "apply the same chain rule in a different order of floating-point operations); the "
      "finite difference is 4 to 8 digits short, for the reasons measured next.");
}

// ---- 2. The V-shaped error of finite differences -------------------------------------------

// Median relative error over 31 points x in [-1, 1] for f = exp: f = f' = f'' = f''', so
// the relative models (9), (11) are the same at every x and the median smooths the
// rounding noise of a single x.
double median_relative_error(double h, bool central) {
  auto f = [](double x) { return std::exp(x); };
  std::vector<double> e;
  for (int i = 0; i <= 30; ++i) {
    const double x = -1.0 + i / 15.0;
    const double d = central ? ad::central_difference(f, x, h) : ad::forward_difference(f, x, h);
    e.push_back(std::abs(d - std::exp(x)) / std::exp(x));
  }
  std::nth_element(e.begin(), e.begin() + 15, e.end());
  return e[15];
}

// One scheme's row of the finite-difference table, and the numbers its failure modes quote.
struct Scheme {
  std::string h_star, at_h_star, truncation_slope, rounding_slope, at_small, at_large;
};

Scheme scheme_row(const Quote& q, const VectorXd& h, const VectorXd& measured,
                  const VectorXd& model, double h_star, bool central,
                  std::vector<std::vector<std::string>>& rows) {
  Eigen::Index best = 0;
  measured.minCoeff(&best);
  // Slopes: least-squares fits of log error on log h over the two arms of the V.
  const Scheme s{
      q("h_star_model", h_star),
      q("error_at_h_star", median_relative_error(h_star, central)),
      q("truncation_slope", ad::log_log_slope(h, measured, central ? 1e-3 : 1e-4, 1e-1)),
      q("rounding_slope", ad::log_log_slope(h, measured, 1e-14, central ? 1e-8 : 1e-10)),
      q("error_h_1e-13", median_relative_error(1e-13, central)),  // the two ends of the V
      q("error_h_1e-1", median_relative_error(1e-1, central))};
  rows.push_back({central ? "central (8)" : "forward (7)", s.h_star, q("h_best_measured", h(best)),
                  s.at_h_star, q("min_error_model", model.minCoeff()), s.truncation_slope,
                  s.rounding_slope, s.at_small, s.at_large});
  q.report.metric(q.prefix + "min_error_measured", measured(best));
  return s;
}

void fd_experiment(mlc::Report& report, bool quick) {
  report.section("Finite differences: truncation against rounding");
  const double u = ad::kUnitRoundoff;
  const double step = quick ? 0.25 : 0.05;
  const int count = static_cast<int>(std::lround(15.0 / step)) + 1;  // h from 1e-15 to 1
  VectorXd h(count), ef(count), ec(count), mf(count), mc(count);
  for (int i = 0; i < count; ++i) {
    h(i) = std::pow(10.0, -15.0 + step * i);
    ef(i) = median_relative_error(h(i), false);
    ec(i) = median_relative_error(h(i), true);
    mf(i) = ad::forward_difference_error(h(i), 1, 1, u).total();
    mc(i) = ad::central_difference_error(h(i), 1, 1, u).total();
  }
  const double hf = ad::forward_difference_optimal_step(1, 1, u);
  const double hc = ad::central_difference_optimal_step(1, 1, u);
  // Forward-mode AD for the same derivative: exp on a dual number, no step at all.
  double ad_worst = 0.0;
  for (int i = 0; i <= 30; ++i) {
    const double x = -1.0 + i / 15.0;
    ad_worst =
        std::max(ad_worst, std::abs(ad::exp(ad::Dual(x, 1.0)).deriv - std::exp(x)) / std::exp(x));
  }

  mlc::Figure fig("Finite-difference error for d/dx exp(x), median over 31 points x in [-1, 1]");
  fig.xlabel("step h").ylabel("relative error |D_h f - f'| / |f'|").logx().logy();
  fig.legend("bottom left").yrange(1e-13, 2.0);
  fig.line(h, ef, "forward difference (7), measured", {.color = 0})
      .line(h, mf, "model (9): h/2 + 2u/h", {.color = 0, .dash = true})
      .line(h, ec, "central difference (8), measured", {.color = 1})
      .line(h, mc, "model (11): h^2/6 + u/h", {.color = 1, .dash = true})
      .vline(hf, "h* = 2√u", {.color = 0, .width = 1.0, .dash = true})
      .vline(hc, "h* = ∛(3u)", {.color = 1, .width = 1.0, .dash = true});
  report.figure(fig, "fd_error_vs_h",
                "the V: to the right of h* the truncation error falls with h (slope 1 forward, 2 "
                "central), to the left the rounding error u/h grows (slope -1); dashed: the error "
                "models (9) and (11) with u = 2^-53 and their optima (10), (12). Forward-mode AD "
                "has error 0 here (off the log scale)");
  report.metric("fd.unit_roundoff", u);
  std::vector<std::vector<std::string>> rows;
  const Scheme f = scheme_row(Quote{report, "fd.forward."}, h, ef, mf, hf, false, rows);
  const Scheme c = scheme_row(Quote{report, "fd.central."}, h, ec, mc, hc, true, rows);
  report.table({"scheme", "h* model", "h best (grid)", "error at h* (measured)", "model minimum",
                "truncation slope", "rounding slope", "error at h = 1e-13", "error at h = 0.1"},
               rows);
  const std::string ad_error = report.quote("fd.forward_ad.max_error", ad_worst, 3);
  report.text(fmt::format(
      "Slopes are least-squares fits of log error on log h: truncation over h in [1e-4, 0.1] "
      "(forward) and [1e-3, 0.1] (central), rounding over [1e-14, 1e-10] (forward) and "
      "[1e-14, 1e-8] (central). Forward-mode AD computes the same derivative with a worst "
      "relative error of {} over the 31 points: there is no step to choose.",
      ad_error));
  fmt::print(
      "Finite differences on exp: error at h* {} (forward), {} (central); slopes {} / {}, "
      "{} / {}; AD error {}\n",
      f.at_h_star, c.at_h_star, f.truncation_slope, c.truncation_slope, f.rounding_slope,
      c.rounding_slope, ad_error);

  report.failure_mode(
      {.name = "Finite-difference step too small: rounding dominates",
       .trigger = "differentiate exp on [-1, 1] with h = 1e-13, far below the optima h* of (10) "
                  "and (12)",
       .symptom = fmt::format(
           "median relative error {} (forward) and {} (central) at h = 1e-13, against {} and {} "
           "at h*; below h* the error grows as h shrinks, fitted slopes {} (forward) and {} "
           "(central) on log-log axes",
           f.at_small, c.at_small, f.at_h_star, c.at_h_star, f.rounding_slope, c.rounding_slope),
       .why = "f(x + h) and f(x) are each rounded with relative error ~u = 2^-53; their difference "
              "keeps that absolute error while shrinking with h, so the quotient carries ~u |f| / "
              "h: cancellation, (9)",
       .mitigation = fmt::format(
           "take h ≈ h* = 2 sqrt(u) = {} (forward) or (3u)^(1/3) = {} (central): measured errors "
           "{} and {}; or use AD, whose derivative of exp has worst relative error {} (no step)",
           f.h_star, c.h_star, f.at_h_star, c.at_h_star, ad_error)});
  report.failure_mode(
      {.name = "Finite-difference step too large: truncation dominates",
       .trigger = "the same derivatives with h = 0.1",
       .symptom = fmt::format(
           "median relative error {} (forward, model h/2 = 0.05) and {} (central, model h²/6 = "
           "{}); fitted truncation slopes {} and {}",
           f.at_large, c.at_large, num(0.1 * 0.1 / 6.0, 3), f.truncation_slope, c.truncation_slope),
       .why = "the difference quotient is the derivative of the Taylor polynomial plus the "
              "remainder f''h/2 (forward) or f'''h²/6 (central, the even terms cancel)",
       .mitigation =
           fmt::format("central differences at the same h cut the error from {} to {}; at h* it "
                       "is {}",
                       f.at_large, c.at_large, c.at_h_star)});
}

// ---- 3. The same V for a network's gradient ------------------------------------------------

void fd_mlp_experiment(mlc::Report& report, bool quick, mlc::Rng data, mlc::Rng theta) {
  report.section("Finite differences on a network's gradient");
  const mlc::Dataset moons = mlc::make_moons(quick ? 40 : 200, 0.1, data);
  const Eigen::Index H = 8;
  const VectorXd th = theta.normal_vector(ad::mlp_parameter_count(2, H), 0.0, 0.7);
  auto loss = [&](const VectorXd& t) { return ad::mlp_loss(ad::to_std(t), moons.X, moons.y, H); };
  const VectorXd exact =
      ad::gradient_reverse([&](const auto& t) { return ad::mlp_loss(t, moons.X, moons.y, H); }, th)
          .gradient;
  const double step = quick ? 0.5 : 0.125;
  const int count = static_cast<int>(std::lround(13.0 / step)) + 1;  // 1e-14 .. 0.1
  VectorXd h(count), ef(count), ec(count);
  for (int i = 0; i < count; ++i) {
    h(i) = std::pow(10.0, -14.0 + step * i);
    ef(i) = scaled_difference(
        ad::finite_difference_gradient(loss, th, h(i), ad::Difference::kForward), exact);
    ec(i) = scaled_difference(
        ad::finite_difference_gradient(loss, th, h(i), ad::Difference::kCentral), exact);
  }
  Eigen::Index bf = 0, bc = 0;
  ef.minCoeff(&bf);
  ec.minCoeff(&bc);
  const std::string n = report.quote("fd_mlp.parameters", static_cast<double>(th.size()), 10);
  mlc::Figure fig(
      fmt::format("Finite-difference gradient of the tanh network loss ({} parameters)", n));
  fig.xlabel("step h").ylabel("max_i |g_FD - g_AD|_i / max(‖g_AD‖∞, 1)").logx().logy();
  fig.legend("bottom left");
  fig.line_points(h, ef, "forward differences", {.color = 0})
      .line_points(h, ec, "central differences", {.color = 1})
      .vline(h(bf), "best forward h", {.color = 0, .width = 1.0, .dash = true})
      .vline(h(bc), "best central h", {.color = 1, .width = 1.0, .dash = true});
  report.figure(
      fig, "fd_error_mlp",
      "the gradient of a real loss (2-layer tanh network on moons) by finite differences, "
      "against the reverse-mode gradient as exact reference: the same V, per component");
  const Quote q{report, "fd_mlp."};
  report.table({"scheme", "best h on the grid", "error there", "evaluations of the loss"},
               {{"forward", q("forward.h_best", h(bf)), q("forward.min_error", ef(bf)),
                 fmt::format("{}", th.size() + 1)},
                {"central", q("central.h_best", h(bc)), q("central.min_error", ec(bc)),
                 fmt::format("{}", 2 * th.size())}});
  fmt::print(
      "FD gradient of the tanh network: forward best {:.1e} at h = {:.1e}, central best "
      "{:.1e} at h = {:.1e}\n",
      ef(bf), h(bf), ec(bc), h(bc));
}

// ---- 4. The cost of forward vs reverse mode -------------------------------------------------

void cost_experiment(mlc::Report& report, bool quick, mlc::Rng rng) {
  report.section("Cost of forward and reverse mode as the number of inputs grows");
  const int max_log2 = quick ? 6 : 10;
  std::vector<double> ns, nf, fwd, rev, fd, nodes;
  std::vector<std::vector<std::string>> rows;  // entries of the array metrics cost.rosenbrock.*
  auto f = [](const auto& t) { return ad::rosenbrock(t); };
  for (int e = 1; e <= max_log2; ++e) {
    const int n = 1 << e;
    const VectorXd x = rng.normal_vector(n);
    mlc::Timer timer;
    const auto rf = ad::gradient_forward(f, x);
    report.timing(fmt::format("cost.n{}.forward_seconds", n), timer.seconds());
    timer.reset();
    const auto rr = ad::gradient_reverse(f, x);
    report.timing(fmt::format("cost.n{}.reverse_seconds", n), timer.seconds());
    const double n_f = static_cast<double>(rr.tape_nodes - n);  // operations of one evaluation
    mlc::require(scaled_difference(rf.gradient, rr.gradient) < 1e-12, "cost_experiment",
                 "forward and reverse gradients disagree");
    ns.push_back(n);
    nf.push_back(n_f);
    fwd.push_back(static_cast<double>(rf.operations));
    rev.push_back(static_cast<double>(rr.operations));
    fd.push_back(2.0 * n * n_f);  // central differences: 2n evaluations of f
    nodes.push_back(static_cast<double>(rr.tape_nodes));
    rows.push_back(
        {fmt::format("{}", n), fmt::format("{}", n_f), fmt::format("{}", rf.operations),
         fmt::format("{}", rr.operations), num(fwd.back() / n_f, 4), num(rev.back() / n_f, 4),
         fmt::format("{}", rr.tape_nodes * static_cast<Eigen::Index>(sizeof(ad::Node)))});
  }
  report.metric("cost.rosenbrock.n", ns);
  report.metric("cost.rosenbrock.ops_one_evaluation", nf);
  report.metric("cost.rosenbrock.ops_forward_mode", fwd);
  report.metric("cost.rosenbrock.ops_reverse_mode", rev);
  report.metric("cost.rosenbrock.ops_central_fd", fd);
  report.metric("cost.rosenbrock.tape_nodes", nodes);
  const VectorXd vn = mlc::to_vector(ns);
  mlc::Figure fig("Cost of the gradient of Rosenbrock_n, in elementary operations");
  fig.xlabel("number of inputs n").ylabel("elementary operations").logx().logy();
  fig.legend("top left");
  fig.line_points(vn, fd, "central differences: 2n evaluations", {.color = 2, .dash = true})
      .line_points(vn, fwd, "forward mode: n sweeps of dual numbers", {.color = 0})
      .line_points(vn, rev, "reverse mode: record + one backward sweep", {.color = 1})
      .line_points(vn, nf, "one evaluation of f", {.color = 8});
  report.figure(fig, "ad_cost",
                "operation counts (deterministic, no wall times): forward mode and finite "
                "differences grow as n · N_f (slope 2 here, since N_f ∝ n), reverse mode as 2 N_f "
                "(slope 1)");
  report.text(fmt::format(
      "N_f is the number of elementary operations of one evaluation (the tape's operation "
      "nodes). Forward mode executes exactly n · N_f dual operations (n sweeps), reverse mode "
      "N_f recorded nodes plus N_f swept back, whatever n. Fitted log-log slopes over n ≥ 8: "
      "forward {}, reverse {}. The price of reverse mode is memory: the tape keeps every node "
      "({} bytes each) until the backward sweep.",
      report.quote("cost.rosenbrock.forward_slope",
                   ad::log_log_slope(vn, mlc::to_vector(fwd), 8, 1e9), 3),
      report.quote("cost.rosenbrock.reverse_slope",
                   ad::log_log_slope(vn, mlc::to_vector(rev), 8, 1e9), 3),
      sizeof(ad::Node)));
  report.table({"n", "N_f", "forward-mode ops", "reverse-mode ops", "forward / N_f",
                "reverse / N_f", "tape memory (bytes)"},
               rows);
  fmt::print("Cost at n = {}: forward {} ops, reverse {} ops\n", ns.back(), fwd.back(), rev.back());
}

// ---- 5. Kinks --------------------------------------------------------------------------------

// Every derivative estimate of one function at x = 0, quoted (metrics kink.<name>.*).
struct Kink {
  std::string ad_forward, ad_reverse, central, forward, left, right;
};

template <class Generic>
Kink kink_row(mlc::Report& report, const std::string& name, const std::string& shown,
              const std::string& subdifferential, Generic g, double h,
              std::vector<std::vector<std::string>>& rows) {
  const VectorXd zero = VectorXd::Zero(1);
  auto f = [&](double x) { return g(std::vector<double>{x}); };
  const Quote q{report, "kink." + name + "."};
  // One-sided quotients are exact for piecewise-linear f.
  const Kink k{q("ad_forward", ad::gradient_forward(g, zero).gradient(0), 4),
               q("ad_reverse", ad::gradient_reverse(g, zero).gradient(0), 4),
               q("central_difference", ad::central_difference(f, 0.0, h), 4),
               q("forward_difference", ad::forward_difference(f, 0.0, h), 4),
               q("left_derivative", (f(0.0) - f(-h)) / h, 4),
               q("right_derivative", (f(h) - f(0.0)) / h, 4)};
  rows.push_back(
      {shown, k.ad_forward, k.ad_reverse, k.central, k.forward, k.left, k.right, subdifferential});
  fmt::print("  at 0, {:<24}: AD {} / {}, central {}, forward {}, one-sided {} | {}\n", name,
             k.ad_forward, k.ad_reverse, k.central, k.forward, k.left, k.right);
  return k;
}

// Derivative estimates near the kink, x in [-2h, 2h] with a visible h.
void kink_figure(mlc::Report& report) {
  const double hv = 1e-3;
  const int m = 161;
  VectorXd xs(m), ad_relu(m), cd_relu(m), ad_abs(m), cd_abs(m);
  auto relu_f = [](double x) { return x > 0 ? x : 0.0; };
  auto abs_f = [](double x) { return std::abs(x); };
  for (int i = 0; i < m; ++i) {
    xs(i) = -2 * hv + 4 * hv * i / (m - 1);
    ad_relu(i) = ad::relu(ad::Dual(xs(i), 1.0)).deriv;
    ad_abs(i) = ad::abs(ad::Dual(xs(i), 1.0)).deriv;
    cd_relu(i) = ad::central_difference(relu_f, xs(i), hv);
    cd_abs(i) = ad::central_difference(abs_f, xs(i), hv);
  }
  mlc::Figure fig("Derivative estimates near a kink (central-difference step h = 1e-3)");
  fig.xlabel("x").ylabel("estimated derivative").legend("bottom right").yrange(-1.2, 1.3);
  fig.points(xs, ad_abs, "AD, |x|: sign(x), 0 at 0",
             {.color = 0, .point_type = 6, .point_size = 0.8})
      .line(xs, cd_abs, "central difference, |x|: x/h inside [-h, h]", {.color = 0, .dash = true})
      .points(xs, ad_relu, "AD, relu: [x > 0]", {.color = 1, .point_type = 5, .point_size = 0.45})
      .line(xs, cd_relu, "central difference, relu: (x + h)/2h inside [-h, h]",
            {.color = 1, .dash = true})
      .vline(-hv, "x = -h", {.color = 8, .width = 0.8, .dash = true})
      .vline(hv, "x = +h", {.color = 8, .width = 0.8, .dash = true});
  report.figure(fig, "kinks",
                "AD applies the derivative of the branch taken (a step, with the convention at "
                "0); a central difference smears the kink over [-h, h] and returns the average of "
                "the one-sided slopes at 0");
}

void kink_experiment(mlc::Report& report) {
  report.section("Non-differentiable points: |x| and ReLU at 0");
  fmt::print("Kinks:\n");
  const double h = 1e-6;
  std::vector<std::vector<std::string>> rows;
  const Kink ka = kink_row(
      report, "abs", "\\|x\\|", "[-1, 1]", [](const auto& t) { return ad::abs(t[0]); }, h, rows);
  const Kink kr = kink_row(
      report, "relu", "relu(x)", "[0, 1]", [](const auto& t) { return ad::relu(t[0]); }, h, rows);
  const Kink ki = kink_row(
      report, "relu_x_minus_relu_neg_x", "relu(x) - relu(-x)  (= x)", "{1}",
      [](const auto& t) { return ad::relu(t[0]) - ad::relu(-t[0]); }, h, rows);
  const Kink ks = kink_row(
      report, "sqrt_x_squared", "sqrt(x·x)  (= \\|x\\|)", "[-1, 1]",
      [](const auto& t) { return ad::sqrt(t[0] * t[0]); }, h, rows);
  report.text(fmt::format(
      "Each function evaluated at x = 0 exactly; differences with h = {}. The AD conventions "
      "(13) are sign(0) = 0 for |x| and relu'(0) = 0; the last column is the set of valid "
      "(Clarke) subgradients.",
      num(h)));
  report.table({"function", "AD forward", "AD reverse", "central difference", "forward difference",
                "left derivative", "right derivative", "subdifferential"},
               rows);
  kink_figure(report);

  report.failure_mode(
      {.name = "Non-differentiable point: |x| and ReLU at 0",
       .trigger = "evaluate each derivative at x = 0 exactly",
       .symptom = fmt::format(
           "AD returns {} for |x| and {} for relu (both modes); central differences return {} and "
           "{}; forward differences {} and {}; the true one-sided derivatives are {} / {} for |x| "
           "and {} / {} for relu",
           ka.ad_reverse, kr.ad_reverse, ka.central, kr.central, ka.forward, kr.forward, ka.left,
           ka.right, kr.left, kr.right),
       .why = "no derivative exists there; AD applies the rule of the branch the program takes "
              "plus a convention (sign(0) = 0, relu'(0) = 0), a central difference averages the "
              "two slopes, a forward difference takes the right one. Here all three land in the "
              "subdifferential, yet none is \"the\" derivative: each is a choice",
       .mitigation = "know the convention and check with one-sided differences (measured above); "
                     "any element of the subdifferential keeps subgradient methods convergent. "
                     "Kinks are hit with probability zero for continuous inputs, but not for "
                     "zero-initialised biases or exactly-zero data"});
  // Mitigation, measured: write the function with a primitive that has a chosen derivative.
  const VectorXd zero = VectorXd::Zero(1);
  const Quote q{report, "kink.mitigation."};
  report.failure_mode(
      {.name = "AD differentiates the program, not the function",
       .trigger = "relu(x) - relu(-x) (which equals x) and sqrt(x·x) (which equals |x|), at x = 0",
       .symptom = fmt::format(
           "AD returns {} for relu(x) - relu(-x), whose derivative is 1 everywhere (central "
           "difference {}); for sqrt(x·x) AD returns {} (forward) / {} (reverse): 0/0 and 0·inf "
           "in the chain rule",
           ki.ad_reverse, ki.central, ks.ad_forward, ks.ad_reverse),
       .why = "the chain rule holds where every elementary function is differentiable; at a kink "
              "of an intermediate the conventions compose into a value that need not be a "
              "derivative (or subgradient) of the composite, and sqrt'(0) = inf turns 0 · inf "
              "into NaN",
       .mitigation = fmt::format(
           "write such functions as primitives with a defined derivative: the abs primitive "
           "returns {} (a subgradient) instead of NaN; the simplified program x returns {}",
           q("abs_primitive_gradient",
             ad::gradient_reverse([](const auto& t) { return ad::abs(t[0]); }, zero).gradient(0),
             4),
           q("simplified_identity_gradient",
             ad::gradient_reverse([](const auto& t) { return t[0] * 1.0; }, zero).gradient(0),
             4))});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  agreement_experiment(report, opt.quick, root.derive(1), root.derive(3));
  fd_experiment(report, opt.quick);
  fd_mlp_experiment(report, opt.quick, root.derive(2), root.derive(4));
  cost_experiment(report, opt.quick, root.derive(5));
  kink_experiment(report);
  report.headline({"fd.central.error_at_h_star", "agreement.softmax_ce.gradcheck_relative_error"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
