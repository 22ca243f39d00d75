// 1.3 automatic_differentiation: derivatives three ways (forward AD, reverse AD, finite
// differences) checked against hand-derived gradients of four ML losses, then where each
// breaks. Follows Griewank & Walther, "Evaluating Derivatives" (2008), ch. 2-3 and 14, and
// Nocedal & Wright, "Numerical Optimization", section 8.1. Run: ./learn run automatic_differentiation
// [--quick] [--seed N] [--out DIR]. Equations (n) refer to NOTES.md.
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
#include "mlc/timer.hpp"

namespace ad = automatic_differentiation;

namespace {

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
double scaled_difference(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

std::string sci(double v) { return mlc::num(v, 3); }

// ---- Experiment 1: forward = reverse = closed form on four losses ------------------------
struct LossCase {
  std::string name, data;
  Eigen::VectorXd theta;
  ad::GradientResult fwd, rev;
  Eigen::VectorXd closed;
  std::function<double(const Eigen::VectorXd&)> f;
};

template <class Generic>
LossCase make_case(std::string name, std::string data, const Eigen::VectorXd& theta, Generic g,
                   Eigen::VectorXd closed) {
  LossCase c;
  c.name = std::move(name);
  c.data = std::move(data);
  c.theta = theta;
  c.fwd = ad::gradient_forward(g, theta);
  c.rev = ad::gradient_reverse(g, theta);
  c.closed = std::move(closed);
  c.f = [g](const Eigen::VectorXd& t) { return g(ad::to_std(t)); };
  return c;
}

void agreement_experiment(mlc::Report& report, const mlc::Options& opt, mlc::Rng& rng) {
  report.section("Forward mode = reverse mode = closed form");
  mlc::Dataset bc = mlc::load_dataset("breast_cancer");
  mlc::Dataset iris = mlc::load_dataset("iris");
  if (opt.quick) {
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < bc.n(); i += 6) rows.push_back(i);
    bc = mlc::subset(bc, rows);
  }
  const Eigen::MatrixXd Xbc = mlc::Standardizer().fit_transform(bc.X);
  const Eigen::MatrixXd Xir = mlc::Standardizer().fit_transform(iris.X);
  const Eigen::VectorXi yir = iris.labels();
  mlc::Rng moons_rng = rng.derive(1);
  const mlc::Dataset moons = mlc::make_moons(opt.quick ? 40 : 200, 0.1, moons_rng);
  const Eigen::Index H = 8;

  std::vector<LossCase> cases;
  {
    const Eigen::VectorXd th = rng.normal_vector(Xbc.cols() + 1, 0.0, 0.3);
    cases.push_back(make_case("logistic", fmt::format("breast_cancer ({} × {})", Xbc.rows(), Xbc.cols()), th,
                              [&](const auto& t) { return ad::logistic_loss(t, Xbc, bc.y); },
                              ad::logistic_loss_gradient(th, Xbc, bc.y)));
  }
  {
    const Eigen::VectorXd th = rng.normal_vector(Xir.cols() * 3, 0.0, 0.5);
    cases.push_back(make_case("softmax_ce", fmt::format("iris ({} × {}, 3 classes)", Xir.rows(), Xir.cols()), th,
                              [&](const auto& t) { return ad::softmax_cross_entropy(t, Xir, yir, 3); },
                              ad::softmax_cross_entropy_gradient(th, Xir, yir, 3)));
  }
  {
    const Eigen::VectorXd th = rng.normal_vector(ad::mlp_parameter_count(2, H), 0.0, 0.7);
    cases.push_back(make_case("tanh_mlp", fmt::format("moons ({} × 2), H = {}", moons.n(), H), th,
                              [&](const auto& t) { return ad::mlp_loss(t, moons.X, moons.y, H); },
                              ad::mlp_loss_gradient(th, moons.X, moons.y, H)));
  }
  {
    const Eigen::VectorXd x = rng.normal_vector(10);
    cases.push_back(make_case("rosenbrock", "x ~ N(0, I), n = 10", x,
                              [](const auto& t) { return ad::rosenbrock(t); }, ad::rosenbrock_gradient(x)));
  }

  report.text(
      "Each loss is written once as a template and evaluated three ways: with `double` (the "
      "value), with dual numbers (forward mode, one sweep per input) and on a tape (reverse "
      "mode, one recording sweep and one backward sweep). The closed form is the gradient "
      "derived by hand, (L1')-(L4'). Differences are max_i |a_i - b_i| / max(‖b‖∞, 1). The "
      "central difference uses h = 1e-6 (mlc::gradcheck's step); the last column is "
      "mlc::gradcheck's norm-wise relative error ‖a - n‖ / (‖a‖ + ‖n‖) of the closed form.");
  std::vector<std::vector<std::string>> rows;
  fmt::print("Forward = reverse = closed form:\n");
  for (const auto& c : cases) {
    const double fc = scaled_difference(c.fwd.gradient, c.closed);
    const double rc = scaled_difference(c.rev.gradient, c.closed);
    const double fr = scaled_difference(c.fwd.gradient, c.rev.gradient);
    const Eigen::VectorXd fd = ad::finite_difference_gradient(c.f, c.theta, 1e-6, ad::Difference::kCentral);
    const double dc = scaled_difference(fd, c.closed);
    const double gc = mlc::gradcheck(c.f, c.closed, c.theta).relative_error;
    mlc::require_finite(c.closed, "closed-form gradient of " + c.name);
    const std::string p = "agreement." + c.name;
    report.metric(p + ".parameters", static_cast<double>(c.theta.size()));
    report.metric(p + ".tape_nodes", static_cast<double>(c.rev.tape_nodes));
    report.metric(p + ".forward_vs_closed", fc);
    report.metric(p + ".reverse_vs_closed", rc);
    report.metric(p + ".forward_vs_reverse", fr);
    report.metric(p + ".central_fd_vs_closed", dc);
    report.metric(p + ".gradcheck_relative_error", gc);
    rows.push_back({c.name, c.data, fmt::format("{}", c.theta.size()), fmt::format("{}", c.rev.tape_nodes), sci(fc),
                    sci(rc), sci(fr), sci(dc), sci(gc)});
    fmt::print("  {:<11} n = {:>3}  |fwd-closed| {:.1e}  |rev-closed| {:.1e}  |fwd-rev| {:.1e}  |fd-closed| {:.1e}\n",
               c.name, c.theta.size(), fc, rc, fr, dc);
  }
  report.table({"loss", "data", "parameters n", "tape nodes", "forward vs closed", "reverse vs closed",
                "forward vs reverse", "central FD vs closed", "gradcheck rel. error"},
               rows);
  report.text(
      "Both AD modes agree with the hand-derived gradients to the last few bits (they "
      "apply the same chain rule in a different order of floating-point operations); the "
      "finite difference is 4 to 8 digits short, for the reasons measured next.");
}

// ---- Experiment 2: the V-shaped error of finite differences ----------------------------
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

struct FdSummary {
  double hf, hc, f_small, c_small, f_large, c_large, f_at_opt, c_at_opt, slope_ft, slope_ct, slope_fr, slope_cr,
      ad_worst;
};

FdSummary fd_experiment(mlc::Report& report, const mlc::Options& opt) {
  report.section("Finite differences: truncation against rounding");
  const double u = ad::kUnitRoundoff;
  const double step = opt.quick ? 0.25 : 0.05;
  const int count = static_cast<int>(std::lround(15.0 / step)) + 1;  // h from 1e-15 to 1
  Eigen::VectorXd h(count), ef(count), ec(count), mf(count), mc(count);
  for (int i = 0; i < count; ++i) {
    h(i) = std::pow(10.0, -15.0 + step * i);
    ef(i) = median_relative_error(h(i), false);
    ec(i) = median_relative_error(h(i), true);
    mf(i) = ad::forward_difference_error(h(i), 1, 1, u).total();
    mc(i) = ad::central_difference_error(h(i), 1, 1, u).total();
  }
  const double hf = ad::forward_difference_optimal_step(1, 1, u), hc = ad::central_difference_optimal_step(1, 1, u);
  Eigen::Index bf = 0, bc = 0;
  ef.minCoeff(&bf);
  ec.minCoeff(&bc);
  const double slope_ft = ad::log_log_slope(h, ef, 1e-4, 1e-1), slope_ct = ad::log_log_slope(h, ec, 1e-3, 1e-1);
  const double slope_fr = ad::log_log_slope(h, ef, 1e-14, 1e-10), slope_cr = ad::log_log_slope(h, ec, 1e-14, 1e-8);
  // The two ends of the V, measured with the same estimator.
  const double f_small = median_relative_error(1e-13, false), c_small = median_relative_error(1e-13, true);
  const double f_large = median_relative_error(1e-1, false), c_large = median_relative_error(1e-1, true);
  const double f_at_opt = median_relative_error(hf, false), c_at_opt = median_relative_error(hc, true);
  // Forward-mode AD for the same derivative: exp on a dual number, no step at all.
  double ad_worst = 0.0;
  for (int i = 0; i <= 30; ++i) {
    const double x = -1.0 + i / 15.0;
    ad_worst = std::max(ad_worst, std::abs(ad::exp(ad::Dual(x, 1.0)).deriv - std::exp(x)) / std::exp(x));
  }

  mlc::Figure fig("Finite-difference error for d/dx exp(x), median over 31 points x in [-1, 1]");
  fig.xlabel("step h").ylabel("relative error |D_h f - f'| / |f'|").logx().logy().legend("bottom left");
  fig.line(h, ef, "forward difference (7), measured", {.color = 0});
  fig.line(h, mf, "model (9): h/2 + 2u/h", {.color = 0, .dash = true});
  fig.line(h, ec, "central difference (8), measured", {.color = 1});
  fig.line(h, mc, "model (11): h^2/6 + u/h", {.color = 1, .dash = true});
  fig.vline(hf, "h* = 2√u", {.color = 0, .width = 1.0, .dash = true});
  fig.vline(hc, "h* = ∛(3u)", {.color = 1, .width = 1.0, .dash = true});
  fig.yrange(1e-13, 2.0);
  report.figure(fig, "fd_error_vs_h",
                "the V: to the right of h* the truncation error falls with h (slope 1 forward, 2 "
                "central), to the left the rounding error u/h grows (slope -1); dashed: the error "
                "models (9) and (11) with u = 2^-53 and their optima (10), (12). Forward-mode AD has error 0 here (off the log scale)");

  report.metric("fd.unit_roundoff", u);
  report.metric("fd.forward.h_star_model", hf);
  report.metric("fd.central.h_star_model", hc);
  report.metric("fd.forward.h_best_measured", h(bf));
  report.metric("fd.central.h_best_measured", h(bc));
  report.metric("fd.forward.min_error_measured", ef(bf));
  report.metric("fd.central.min_error_measured", ec(bc));
  report.metric("fd.forward.min_error_model", mf.minCoeff());
  report.metric("fd.central.min_error_model", mc.minCoeff());
  report.metric("fd.forward.error_at_h_star", f_at_opt);
  report.metric("fd.central.error_at_h_star", c_at_opt);
  report.metric("fd.forward.truncation_slope", slope_ft);
  report.metric("fd.central.truncation_slope", slope_ct);
  report.metric("fd.forward.rounding_slope", slope_fr);
  report.metric("fd.central.rounding_slope", slope_cr);
  report.metric("fd.forward.error_h_1e-13", f_small);
  report.metric("fd.central.error_h_1e-13", c_small);
  report.metric("fd.forward.error_h_1e-1", f_large);
  report.metric("fd.central.error_h_1e-1", c_large);
  report.metric("fd.forward_ad.max_error", ad_worst);

  report.table({"scheme", "h* model", "h best (grid)", "error at h* (measured)", "model minimum",
                "truncation slope", "rounding slope", "error at h = 1e-13", "error at h = 0.1"},
               {{"forward (7)", sci(hf), sci(h(bf)), sci(f_at_opt), sci(mf.minCoeff()), mlc::num(slope_ft, 3),
                 mlc::num(slope_fr, 3), sci(f_small), sci(f_large)},
                {"central (8)", sci(hc), sci(h(bc)), sci(c_at_opt), sci(mc.minCoeff()), mlc::num(slope_ct, 3),
                 mlc::num(slope_cr, 3), sci(c_small), sci(c_large)}});
  report.text(fmt::format(
      "Slopes are least-squares fits of log error on log h: truncation over h in [1e-4, 0.1] "
      "(forward) and [1e-3, 0.1] (central), rounding over [1e-14, 1e-10] (forward) and "
      "[1e-14, 1e-8] (central). Forward-mode AD computes the same derivative with a worst "
      "relative error of {} over the 31 points: there is no step to choose.",
      sci(ad_worst)));
  fmt::print("Finite differences on exp: forward best {:.1e} at h = {:.1e} (model h* {:.1e}), central best {:.1e} at h = {:.1e} (model h* {:.1e})\n",
             ef(bf), h(bf), hf, ec(bc), h(bc), hc);
  fmt::print("  slopes: truncation {:.2f} / {:.2f}, rounding {:.2f} / {:.2f}; AD error {:.1e}\n", slope_ft, slope_ct,
             slope_fr, slope_cr, ad_worst);
  return {hf, hc, f_small, c_small, f_large, c_large, f_at_opt, c_at_opt, slope_ft, slope_ct, slope_fr, slope_cr,
          ad_worst};
}

// ---- Experiment 3: the same V for a network's gradient ----------------------------------
void fd_mlp_experiment(mlc::Report& report, const mlc::Options& opt, mlc::Rng& rng) {
  report.section("Finite differences on a network's gradient");
  mlc::Rng data_rng = rng.derive(2);
  const mlc::Dataset moons = mlc::make_moons(opt.quick ? 40 : 200, 0.1, data_rng);
  const Eigen::Index H = 8;
  const Eigen::VectorXd th = rng.normal_vector(ad::mlp_parameter_count(2, H), 0.0, 0.7);
  auto loss = [&](const Eigen::VectorXd& t) { return ad::mlp_loss(ad::to_std(t), moons.X, moons.y, H); };
  const Eigen::VectorXd exact =
      ad::gradient_reverse([&](const auto& t) { return ad::mlp_loss(t, moons.X, moons.y, H); }, th).gradient;
  const double step = opt.quick ? 0.5 : 0.125;
  const int count = static_cast<int>(std::lround(13.0 / step)) + 1;  // 1e-14 .. 0.1
  Eigen::VectorXd h(count), ef(count), ec(count);
  for (int i = 0; i < count; ++i) {
    h(i) = std::pow(10.0, -14.0 + step * i);
    ef(i) = scaled_difference(ad::finite_difference_gradient(loss, th, h(i), ad::Difference::kForward), exact);
    ec(i) = scaled_difference(ad::finite_difference_gradient(loss, th, h(i), ad::Difference::kCentral), exact);
  }
  Eigen::Index bf = 0, bc = 0;
  ef.minCoeff(&bf);
  ec.minCoeff(&bc);
  mlc::Figure fig(fmt::format("Finite-difference gradient of the tanh network loss ({} parameters)", th.size()));
  fig.xlabel("step h").ylabel("max_i |g_FD - g_AD|_i / max(‖g_AD‖∞, 1)").logx().logy().legend("bottom left");
  fig.line_points(h, ef, "forward differences", {.color = 0});
  fig.line_points(h, ec, "central differences", {.color = 1});
  fig.vline(h(bf), "best forward h", {.color = 0, .width = 1.0, .dash = true});
  fig.vline(h(bc), "best central h", {.color = 1, .width = 1.0, .dash = true});
  report.figure(fig, "fd_error_mlp",
                "the gradient of a real loss (2-layer tanh network on moons) by finite differences, "
                "against the reverse-mode gradient as exact reference: the same V, per component");
  report.metric("fd_mlp.parameters", static_cast<double>(th.size()));
  report.metric("fd_mlp.forward.h_best", h(bf));
  report.metric("fd_mlp.central.h_best", h(bc));
  report.metric("fd_mlp.forward.min_error", ef(bf));
  report.metric("fd_mlp.central.min_error", ec(bc));
  report.table({"scheme", "best h on the grid", "error there", "evaluations of the loss"},
               {{"forward", sci(h(bf)), sci(ef(bf)), fmt::format("{}", th.size() + 1)},
                {"central", sci(h(bc)), sci(ec(bc)), fmt::format("{}", 2 * th.size())}});
  fmt::print("FD gradient of the tanh network: forward best {:.1e} at h = {:.1e}, central best {:.1e} at h = {:.1e}\n",
             ef(bf), h(bf), ec(bc), h(bc));
}

// ---- Experiment 4: the cost of forward vs reverse mode ----------------------------------
void cost_experiment(mlc::Report& report, const mlc::Options& opt, mlc::Rng& rng) {
  report.section("Cost of forward and reverse mode as the number of inputs grows");
  const int max_log2 = opt.quick ? 6 : 10;
  std::vector<double> ns, nf, fwd, rev, fd, nodes;
  std::vector<std::vector<std::string>> rows;
  auto f = [](const auto& t) { return ad::rosenbrock(t); };
  for (int e = 1; e <= max_log2; ++e) {
    const int n = 1 << e;
    const Eigen::VectorXd x = rng.normal_vector(n);
    mlc::Timer tf;
    const auto rf = ad::gradient_forward(f, x);
    const double t_fwd = tf.seconds();
    mlc::Timer tr;
    const auto rr = ad::gradient_reverse(f, x);
    const double t_rev = tr.seconds();
    const double n_f = static_cast<double>(rr.tape_nodes - n);  // operations of one evaluation
    mlc::require(scaled_difference(rf.gradient, rr.gradient) < 1e-12, "cost_experiment",
                 "forward and reverse gradients disagree");
    ns.push_back(n);
    nf.push_back(n_f);
    fwd.push_back(static_cast<double>(rf.operations));
    rev.push_back(static_cast<double>(rr.operations));
    fd.push_back(2.0 * n * n_f);  // central differences: 2n evaluations of f
    nodes.push_back(static_cast<double>(rr.tape_nodes));
    rows.push_back({fmt::format("{}", n), fmt::format("{}", n_f), fmt::format("{}", rf.operations),
                    fmt::format("{}", rr.operations), mlc::num(static_cast<double>(rf.operations) / n_f, 4),
                    mlc::num(static_cast<double>(rr.operations) / n_f, 4),
                    fmt::format("{}", rr.tape_nodes * static_cast<Eigen::Index>(sizeof(ad::Node)))});
    report.timing(fmt::format("cost.n{}.forward_seconds", n), t_fwd);
    report.timing(fmt::format("cost.n{}.reverse_seconds", n), t_rev);
    if (e == max_log2) {
      fmt::print("Cost at n = {}: forward {} ops in {} sweeps ({:.3f} s), reverse {} ops in 2 sweeps ({:.4f} s)\n", n,
                 rf.operations, rf.sweeps, t_fwd, rr.operations, t_rev);
    }
  }
  report.metric("cost.rosenbrock.n", ns);
  report.metric("cost.rosenbrock.ops_one_evaluation", nf);
  report.metric("cost.rosenbrock.ops_forward_mode", fwd);
  report.metric("cost.rosenbrock.ops_reverse_mode", rev);
  report.metric("cost.rosenbrock.ops_central_fd", fd);
  report.metric("cost.rosenbrock.tape_nodes", nodes);
  const Eigen::Map<const Eigen::VectorXd> vn(ns.data(), static_cast<Eigen::Index>(ns.size()));
  const Eigen::Map<const Eigen::VectorXd> vf(fwd.data(), static_cast<Eigen::Index>(fwd.size()));
  const Eigen::Map<const Eigen::VectorXd> vr(rev.data(), static_cast<Eigen::Index>(rev.size()));
  const double slope_fwd = ad::log_log_slope(vn, vf, 8, 1e9), slope_rev = ad::log_log_slope(vn, vr, 8, 1e9);
  report.metric("cost.rosenbrock.forward_slope", slope_fwd);
  report.metric("cost.rosenbrock.reverse_slope", slope_rev);

  mlc::Figure fig("Cost of the gradient of Rosenbrock_n, in elementary operations");
  fig.xlabel("number of inputs n").ylabel("elementary operations").logx().logy().legend("top left");
  fig.line_points(vn, Eigen::Map<const Eigen::VectorXd>(fd.data(), vn.size()), "central differences: 2n evaluations",
                  {.color = 2, .dash = true});
  fig.line_points(vn, vf, "forward mode: n sweeps of dual numbers", {.color = 0});
  fig.line_points(vn, vr, "reverse mode: record + one backward sweep", {.color = 1});
  fig.line_points(vn, Eigen::Map<const Eigen::VectorXd>(nf.data(), vn.size()), "one evaluation of f", {.color = 8});
  report.figure(fig, "ad_cost",
                "operation counts (deterministic, no wall times): forward mode and finite differences "
                "grow as n · N_f (slope 2 here, since N_f ∝ n), reverse mode as 2 N_f (slope 1)");
  report.text(fmt::format(
      "N_f is the number of elementary operations of one evaluation (the tape's operation "
      "nodes). Forward mode executes exactly n · N_f dual operations (n sweeps), reverse mode "
      "N_f recorded nodes plus N_f swept back, whatever n. Fitted log-log slopes over n ≥ 8: "
      "forward {}, reverse {}. The price of reverse mode is memory: the tape keeps every node "
      "({} bytes each) until the backward sweep.",
      mlc::num(slope_fwd, 3), mlc::num(slope_rev, 3), sizeof(ad::Node)));
  report.table({"n", "N_f", "forward-mode ops", "reverse-mode ops", "forward / N_f", "reverse / N_f",
                "tape memory (bytes)"},
               rows);
}

// ---- Experiment 5: kinks -----------------------------------------------------------------
struct KinkRow {
  std::string name;
  double ad_fwd, ad_rev, central, forward, left, right;
};

template <class Generic>
KinkRow kink_row(std::string name, Generic g, double h) {
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(1);
  auto f = [&](double x) { return g(std::vector<double>{x}); };
  KinkRow r;
  r.name = std::move(name);
  r.ad_fwd = ad::gradient_forward(g, zero).gradient(0);
  r.ad_rev = ad::gradient_reverse(g, zero).gradient(0);
  r.central = ad::central_difference(f, 0.0, h);
  r.forward = ad::forward_difference(f, 0.0, h);
  r.left = (f(0.0) - f(-h)) / h;  // one-sided quotients; exact for piecewise-linear f
  r.right = (f(h) - f(0.0)) / h;
  return r;
}

struct KinkSummary {
  std::vector<KinkRow> rows;
  double abs_primitive, simplified_identity;
};

KinkSummary kink_experiment(mlc::Report& report) {
  report.section("Non-differentiable points: |x| and ReLU at 0");
  const double h = 1e-6;
  std::vector<KinkRow> rows_k = {
      kink_row("abs", [](const auto& t) { return ad::abs(t[0]); }, h),
      kink_row("relu", [](const auto& t) { return ad::relu(t[0]); }, h),
      kink_row("relu_x_minus_relu_neg_x", [](const auto& t) { return ad::relu(t[0]) - ad::relu(-t[0]); }, h),
      kink_row("sqrt_x_squared", [](const auto& t) { return ad::sqrt(t[0] * t[0]); }, h),
  };
  const std::vector<std::string> shown = {"\\|x\\|", "relu(x)", "relu(x) - relu(-x)  (= x)", "sqrt(x·x)  (= \\|x\\|)"};
  const std::vector<std::string> subdiff = {"[-1, 1]", "[0, 1]", "{1}", "[-1, 1]"};
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < rows_k.size(); ++i) {
    const auto& r = rows_k[i];
    const std::string p = "kink." + r.name;
    report.metric(p + ".ad_forward", r.ad_fwd);
    report.metric(p + ".ad_reverse", r.ad_rev);
    report.metric(p + ".central_difference", r.central);
    report.metric(p + ".forward_difference", r.forward);
    report.metric(p + ".left_derivative", r.left);
    report.metric(p + ".right_derivative", r.right);
    rows.push_back({shown[i], mlc::num(r.ad_fwd), mlc::num(r.ad_rev), mlc::num(r.central), mlc::num(r.forward),
                    mlc::num(r.left), mlc::num(r.right), subdiff[i]});
    fmt::print("  at 0, {:<24}: AD {} / {}, central {}, forward {}, one-sided {} | {}\n", r.name, r.ad_fwd, r.ad_rev,
               r.central, r.forward, r.left, r.right);
  }
  report.text(fmt::format(
      "Each function evaluated at x = 0 exactly; differences with h = {}. The AD conventions "
      "(13) are sign(0) = 0 for |x| and relu'(0) = 0; the last column is the set of valid "
      "(Clarke) subgradients.",
      mlc::num(h)));
  report.table({"function", "AD forward", "AD reverse", "central difference", "forward difference",
                "left derivative", "right derivative", "subdifferential"},
               rows);
  // Mitigations, measured: write the function with the primitive that has a chosen derivative.
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(1);
  const double abs_prim = ad::gradient_reverse([](const auto& t) { return ad::abs(t[0]); }, zero).gradient(0);
  const double ident = ad::gradient_reverse([](const auto& t) { return t[0] * 1.0; }, zero).gradient(0);
  report.metric("kink.mitigation.abs_primitive_gradient", abs_prim);
  report.metric("kink.mitigation.simplified_identity_gradient", ident);

  // Figure: derivative estimates near the kink, x in [-2h, 2h] with a visible h.
  const double hv = 1e-3;
  const int m = 161;
  Eigen::VectorXd xs(m), ad_relu(m), cd_relu(m), ad_abs(m), cd_abs(m);
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
  fig.points(xs, ad_abs, "AD, |x|: sign(x), 0 at 0", {.color = 0, .point_type = 6, .point_size = 0.8});
  fig.line(xs, cd_abs, "central difference, |x|: x/h inside [-h, h]", {.color = 0, .dash = true});
  fig.points(xs, ad_relu, "AD, relu: [x > 0]", {.color = 1, .point_type = 5, .point_size = 0.45});
  fig.line(xs, cd_relu, "central difference, relu: (x + h)/2h inside [-h, h]", {.color = 1, .dash = true});
  fig.vline(-hv, "x = -h", {.color = 8, .width = 0.8, .dash = true});
  fig.vline(hv, "x = +h", {.color = 8, .width = 0.8, .dash = true});
  report.figure(fig, "kinks",
                "AD applies the derivative of the branch taken (a step, with the convention at 0); a "
                "central difference smears the kink over [-h, h] and returns the average of the "
                "one-sided slopes at 0");
  return {rows_k, abs_prim, ident};
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  mlc::Rng rng(opt.seed);

  agreement_experiment(report, opt, rng);
  const FdSummary fd = fd_experiment(report, opt);
  fd_mlp_experiment(report, opt, rng);
  cost_experiment(report, opt, rng);
  fmt::print("Kinks:\n");
  const KinkSummary kink = kink_experiment(report);

  // ---- Failure modes, each from the numbers measured above --------------------------------
  report.failure_mode({
      .name = "Finite-difference step too small: rounding dominates",
      .trigger = "differentiate exp on [-1, 1] with h = 1e-13, far below the optima h* of (10) and (12)",
      .symptom = fmt::format(
          "median relative error {} (forward) and {} (central) at h = 1e-13, against {} and {} at h*; below "
          "h* the error grows as h shrinks, fitted slopes {} (forward) and {} (central) on log-log axes",
          sci(fd.f_small), sci(fd.c_small), sci(fd.f_at_opt), sci(fd.c_at_opt), mlc::num(fd.slope_fr, 3),
          mlc::num(fd.slope_cr, 3)),
      .why = "f(x + h) and f(x) are each rounded with relative error ~u = 2^-53; their difference keeps that "
             "absolute error while shrinking with h, so the quotient carries ~u |f| / h: cancellation, (9)",
      .mitigation = fmt::format(
          "take h ≈ h* = 2 sqrt(u) = {} (forward) or (3u)^(1/3) = {} (central): measured errors {} and {}; "
          "or use AD, whose derivative of exp has worst relative error {} (no step)",
          sci(fd.hf), sci(fd.hc), sci(fd.f_at_opt), sci(fd.c_at_opt), sci(fd.ad_worst))});
  report.failure_mode({
      .name = "Finite-difference step too large: truncation dominates",
      .trigger = "the same derivatives with h = 0.1",
      .symptom = fmt::format(
          "median relative error {} (forward, model h/2 = 0.05) and {} (central, model h²/6 = {}); "
          "fitted truncation slopes {} and {}",
          sci(fd.f_large), sci(fd.c_large), sci(0.1 * 0.1 / 6.0), mlc::num(fd.slope_ft, 3), mlc::num(fd.slope_ct, 3)),
      .why = "the difference quotient is the derivative of the Taylor polynomial plus the remainder f''h/2 "
             "(forward) or f'''h²/6 (central, the even terms cancel)",
      .mitigation = fmt::format("central differences at the same h cut the error from {} to {}; at h* it is {}",
                                sci(fd.f_large), sci(fd.c_large), sci(fd.c_at_opt))});
  const KinkRow& ka = kink.rows[0];
  const KinkRow& kr = kink.rows[1];
  report.failure_mode({
      .name = "Non-differentiable point: |x| and ReLU at 0",
      .trigger = "evaluate each derivative at x = 0 exactly",
      .symptom = fmt::format(
          "AD returns {} for |x| and {} for relu (both modes); central differences return {} and {}; forward "
          "differences {} and {}; the true one-sided derivatives are {} / {} for |x| and {} / {} for relu",
          mlc::num(ka.ad_rev), mlc::num(kr.ad_rev), mlc::num(ka.central), mlc::num(kr.central),
          mlc::num(ka.forward), mlc::num(kr.forward), mlc::num(ka.left), mlc::num(ka.right), mlc::num(kr.left),
          mlc::num(kr.right)),
      .why = "no derivative exists there; AD applies the rule of the branch the program takes plus a convention "
             "(sign(0) = 0, relu'(0) = 0), a central difference averages the two slopes, a forward difference "
             "takes the right one. Here all three land in the subdifferential, yet none is \"the\" derivative: each is a choice",
      .mitigation = "know the convention and check with one-sided differences (measured above); any element of "
                    "the subdifferential keeps subgradient methods convergent. Kinks are hit with probability "
                    "zero for continuous inputs, but not for zero-initialised biases or exactly-zero data"});
  const KinkRow& ki = kink.rows[2];
  const KinkRow& ks = kink.rows[3];
  report.failure_mode({
      .name = "AD differentiates the program, not the function",
      .trigger = "relu(x) - relu(-x) (which equals x) and sqrt(x·x) (which equals |x|), at x = 0",
      .symptom = fmt::format(
          "AD returns {} for relu(x) - relu(-x), whose derivative is 1 everywhere (central difference {}); "
          "for sqrt(x·x) AD returns {} (forward) / {} (reverse): 0/0 and 0·inf in the chain rule",
          mlc::num(ki.ad_rev), mlc::num(ki.central), mlc::num(ks.ad_fwd), mlc::num(ks.ad_rev)),
      .why = "the chain rule holds where every elementary function is differentiable; at a kink of an "
             "intermediate the conventions compose into a value that need not be a derivative (or subgradient) "
             "of the composite, and sqrt'(0) = inf turns 0 · inf into NaN",
      .mitigation = fmt::format(
          "write such functions as primitives with a defined derivative: the abs primitive returns {} (a "
          "subgradient) instead of NaN; the simplified program x returns {}",
          mlc::num(kink.abs_primitive), mlc::num(kink.simplified_identity))});
  report.write();
}

}  // namespace

int main(int argc, char** argv) { return mlc::lesson_main(argc, argv, kLesson, run); }
