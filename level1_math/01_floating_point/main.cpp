// 1.1 floating_point: IEEE-754 double precision in practice, measured.
//
// Experiments (each a section of report.md; 2-6 are failure modes):
//   1. machine epsilon, the unit roundoff, the spacing of doubles and the range of exp;
//   2. summation: naive, pairwise and Kahan against n;
//   3. sample variance: one-pass, two-pass and Welford against mean/std;
//   4. log-sum-exp and softmax against the largest logit;
//   5. log(1 + x) and exp(x) - 1 for small x;
//   6. the sigmoid and the log-loss from logits, with their gradients.
// Every error is measured against an exact answer computed in 50 digits (reference.hpp).
// Sources: Higham, Accuracy and Stability of Numerical Algorithms (2002), chapters 1-4;
// Goldberg (1991); see floating_point.hpp and NOTES.md.
// Run: ./learn run floating_point [--quick] [--seed N] [--out DIR]   (full ~5 s, quick < 1 s)
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "floating_point.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "reference.hpp"

namespace {

namespace fp = floating_point;
namespace ref = floating_point::reference;
using Eigen::Index;
using Eigen::VectorXd;
using mlc::num;
using Rows = std::vector<std::vector<std::string>>;
using VectorFn = double (*)(const Eigen::Ref<const VectorXd>&);

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "IEEE-754 double precision in practice: machine epsilon, the unit roundoff and the "
    "overflow threshold of exp found by experiment; then naive against stable formulas for "
    "summation (naive, pairwise, Kahan), the sample variance (one-pass, two-pass, Welford), "
    "log-sum-exp and softmax, log1p / expm1 and the log-loss from logits, each measured "
    "against exact 50-digit answers across magnitudes until the naive one breaks.",
    "report.md, metrics.json, figures/summation_error.svg, figures/variance_error.svg, "
    "figures/softmax_error.svg, figures/log1p_error.svg, figures/log_loss_error.svg");

constexpr double kU = 0x1p-53;        // unit roundoff of binary64, (2)
constexpr double kPlotFloor = 1e-18;  // exact results (error 0) are drawn here
const double kLogDblMax = std::log(std::numeric_limits<double>::max());

// 10^(lo/steps), ..., 10^(hi/steps).
VectorXd logspace(int lo, int hi, int steps_per_decade) {
  VectorXd v(hi - lo + 1);
  for (int k = lo; k <= hi; ++k)
    v[k - lo] = std::pow(10.0, static_cast<double>(k) / steps_per_decade);
  return v;
}

// Least-squares slope of log10(err) against log10(n) over the finite, nonzero errors.
double loglog_slope(const VectorXd& n, const VectorXd& err) {
  std::vector<double> xs, ys;
  for (Index i = 0; i < n.size(); ++i)
    if (std::isfinite(err[i]) && err[i] > 0) {
      xs.push_back(std::log10(n[i]));
      ys.push_back(std::log10(err[i]));
    }
  const auto k = static_cast<double>(xs.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) mx += xs[i] / k, my += ys[i] / k;
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) * (xs[i] - mx);
  }
  return sxy / sxx;
}

double finite_max(const VectorXd& v) {
  double m = 0;
  for (double e : v) m = std::isfinite(e) ? std::max(m, e) : m;
  return m;
}

// Errors on a log axis: 0 drawn at kPlotFloor; inf / NaN left out (the formula failed).
VectorXd for_log_axis(const VectorXd& errors) {
  return errors.unaryExpr([](double e) {
    return std::isfinite(e) ? std::max(e, kPlotFloor) : std::numeric_limits<double>::quiet_NaN();
  });
}

// Quotes metrics under one prefix, with 3 significant digits unless told.
struct Quote {
  mlc::Report& report;
  std::string prefix;
  std::string operator()(const std::string& name, double value, int sig = 3) const {
    return report.quote(prefix + name, value, sig);
  }
};

// Error curves against a swept x: curve() measures error_at(j) at every x_j, records the
// errors as the array metric prefix + name and draws them (unless the label is empty).
struct ErrorPlot {
  mlc::Report& report;
  mlc::Figure fig;
  VectorXd x;
  std::string prefix;
  VectorXd curve(const std::string& name, const std::string& label,
                 const std::function<double(Index)>& error_at) {
    VectorXd e(x.size());
    for (Index j = 0; j < x.size(); ++j) e[j] = error_at(j);
    report.metric(prefix + name, e);
    if (!label.empty()) fig.line_points(x, for_log_axis(e), label);
    return e;
  }
};

// ---- 1. Machine epsilon, the unit roundoff, the spacing of doubles, the range of exp ----

template <class T>
std::vector<std::string> epsilon_row(const Quote& q, const char* type, const std::string& key) {
  const auto found = fp::find_machine_epsilon<T>();
  const T limits = std::numeric_limits<T>::epsilon();
  q.report.metric("epsilon." + key + "_matches_numeric_limits", found.epsilon == limits);
  return {type,
          std::to_string(std::numeric_limits<T>::digits),
          q(key + "_halvings", found.halvings),
          q(key, static_cast<double>(found.epsilon), 6),
          num(static_cast<double>(limits), 6),
          found.epsilon == limits ? "yes" : "NO"};
}

// (3) The range of exp, by bisection over the doubles; returns the overflow threshold.
double exp_range(mlc::Report& report) {
  const Quote q{report, "exp."};
  const double overflow =
      fp::last_double_where([](double x) { return std::isfinite(std::exp(x)); }, 0.0, 1000.0);
  const double underflow_zero =
      fp::last_double_where([](double x) { return std::exp(x) == 0.0; }, -1000.0, 0.0);
  const double ulps = (overflow - kLogDblMax) / (std::nextafter(overflow, INFINITY) - overflow);
  report.text(fmt::format(
      "**Range of exp (3).** exp(x) is finite up to x = {} and inf from the next double on; "
      "log(DBL_MAX) = {} ({} ulp apart). It is 0 for x <= {:.13f} and positive from {} on; "
      "the closed form log(denorm_min / 2) = {} (below it exp rounds to 0 rather than to the "
      "smallest subnormal).",
      q("overflow_threshold", overflow, 18), q("log_dbl_max", kLogDblMax, 18),
      q("overflow_threshold_ulps_from_log_dbl_max", ulps, 2), underflow_zero,
      q("underflow_threshold", std::nextafter(underflow_zero, 0.0), 16),
      q("log_half_denorm_min", std::log(std::numeric_limits<double>::denorm_min()) - std::log(2.0),
        16)));
  const VectorXd low = VectorXd::Constant(4, -800.0).array().exp();  // Eigen's SIMD exp
  report.text(fmt::format(
      "A caution measured on this build: Eigen's vectorised `z.array().exp()` returns {} for "
      "z = -800 (std::exp: 0). It clamps its argument near -708.4 for speed and never "
      "produces 0 or a subnormal, so this lesson's code calls std::exp entry by entry.",
      q("eigen_vectorised_exp_at_minus_800", low[0], 4)));
  return overflow;
}

void machine_epsilon(mlc::Report& report) {
  report.section("Machine epsilon and the unit roundoff, by experiment");
  report.text(
      "Halve eps, starting from 1, while 1 + eps/2 still rounds to a number above 1 (1). "
      "The loop stops after p - 1 halvings for a format with p significand bits.");
  const Quote eps{report, "epsilon."};
  report.table(
      {"type", "digits p (numeric_limits)", "halvings", "epsilon found", "numeric_limits epsilon",
       "equal"},
      {epsilon_row<float>(eps, "float", "float"), epsilon_row<double>(eps, "double", "double"),
       epsilon_row<long double>(eps, "long double", "long_double")});

  // (2) the unit roundoff: the largest x with fl(1 + x) = 1, found by bisection.
  const Quote q{report, "unit_roundoff."};
  const double u = fp::last_double_where([](double x) { return 1.0 + x == 1.0; }, 0.0, 1.0);
  report.text(fmt::format(
      "The unit roundoff, the largest double x with fl(1 + x) = 1 (by bisection), is {} = 2^{} "
      "(the exact 2^-53 = {}): {} of epsilon, because 1 + 2^-53 is a tie and "
      "round-to-nearest-even sends it down to 1. Every operation obeys the model (2): "
      "fl(a op b) = (a op b)(1 + d), |d| <= u.",
      q("found", u, 6), std::ilogb(u), q("exact", kU, 6),
      q("over_epsilon", u / std::numeric_limits<double>::epsilon())));

  // The spacing of doubles: ulp(x) / x stays in [u, 2u], the absolute spacing grows with x.
  const Quote ulp{report, "ulp."};
  Rows rows;
  for (const auto& [x, key] :
       {std::pair{1.0, "1"}, {1e3, "1e3"}, {1e8, "1e8"}, {1e16, "1e16"}, {0x1p53, "2p53"}}) {
    const double gap = std::nextafter(x, INFINITY) - x;
    rows.push_back({x == 0x1p53 ? "2^53" : num(x, 4), ulp(fmt::format("at_{}", key), gap, 4),
                    ulp(fmt::format("relative_at_{}", key), gap / x, 4)});
  }
  report.text(
      "The gap between a double and the next (one ulp) grows with the number, but the "
      "relative gap stays between u and 2u. Above 2^53 it exceeds 1: odd integers are no "
      "longer representable. The square of a number near 1e8 is near 1e16 > 2^53 and is "
      "rounded by about 1: the size of the whole variance of data with std 1 (section 3).");
  report.table({"x", "ulp(x)", "ulp(x) / x"}, rows);
  const double overflow = exp_range(report);
  fmt::print("epsilon(double) = {:.6e}; u = {:.6e}; exp overflows above {:.12f}\n",
             fp::find_machine_epsilon<double>().epsilon, u, overflow);
}

// ---- 2. Summation ---------------------------------------------------------------------

void summation(mlc::Report& report, mlc::Rng rng, bool quick) {
  report.section("Summation: naive, pairwise and Kahan");
  const Quote q{report, "summation."};
  ErrorPlot plot{report, mlc::Figure("Summation: relative error against n"),
                 logspace(4, quick ? 20 : 28, 4).array().round(), "summation."};
  const VectorXd& n = plot.x;  // 10 ... 1e7 terms (1e5 with --quick)
  const Index m = n.size();
  report.metric("summation.n", n);
  std::vector<Index> ns;
  for (double v : n) ns.push_back(static_cast<Index>(v));
  // Two data sets: 0.1 repeated (exact sum n fl(0.1)) and uniforms (exact prefix sums).
  const VectorXd tenth = VectorXd::Constant(ns.back(), 0.1);
  const VectorXd uniform = rng.uniform_vector(ns.back());
  const std::vector<ref::Real> exact_uniform = ref::prefix_sums(uniform, ns);
  const auto on_tenth = [&](VectorFn sum) {
    return [&, sum](Index j) {
      return ref::relative_error(sum(tenth.head(ns[j])), ref::Real(ns[j]) * ref::Real(0.1));
    };
  };
  const auto on_uniform = [&](VectorFn sum) {
    return [&, sum](Index j) {
      return ref::relative_error(sum(uniform.head(ns[j])), exact_uniform[j]);
    };
  };

  report.text(fmt::format(
      "Two data sets of n = 10 ... {} values: the constant 0.1, whose partial sums all round "
      "the same way (systematic errors), and uniforms on [0, 1) drawn from the seed (errors of "
      "random sign: a random walk). Exact sums in 50 digits: n fl(0.1), and the uniforms' sum "
      "(exact, each being k 2^-53). With positive terms the condition number is 1 and the "
      "bounds are relative: (n-1)u naive (4), ceil(log2 n) u pairwise (5), 2u Kahan (6).",
      num(n[m - 1], 3)));
  plot.fig.xlabel("n (number of terms)").ylabel("relative error").logx().logy().legend("top left");
  const VectorXd c_naive =
      plot.curve("tenth.naive.rel_error", "naive, 0.1 repeated", on_tenth(fp::naive_sum));
  const VectorXd u_naive =
      plot.curve("uniform.naive.rel_error", "naive, uniforms", on_uniform(fp::naive_sum));
  const VectorXd u_pair =
      plot.curve("uniform.pairwise.rel_error", "pairwise, uniforms", on_uniform(fp::pairwise_sum));
  const VectorXd c_kahan =
      plot.curve("tenth.kahan.rel_error", "Kahan, 0.1 repeated", on_tenth(fp::kahan_sum));
  const VectorXd u_kahan =
      plot.curve("uniform.kahan.rel_error", "Kahan, uniforms", on_uniform(fp::kahan_sum));
  const VectorXd c_pair = plot.curve("tenth.pairwise.rel_error", "", on_tenth(fp::pairwise_sum));
  const VectorXd bound_naive = (n.array() - 1.0) * kU;  // (4)
  plot.fig.line(n, bound_naive, "bound (n-1)u", {.color = 0, .dash = true})
      .line(n, n.unaryExpr([](double v) { return std::ceil(std::log2(v)) * kU; }),
            "bound ceil(log2 n) u", {.color = 2, .dash = true})
      .line(n, VectorXd::Constant(m, 2 * kU), "bound 2u", {.color = 4, .dash = true});
  report.figure(plot.fig, "summation_error",
                "relative error of the naive loop, pairwise and Kahan summation against n; "
                "dashed: the worst-case bounds (4)-(6). An exact result (error 0) is drawn "
                "at 1e-18.");
  Rows rows;  // entries of the array metrics above, one n per decade
  for (Index j = 0; j < m; j += 4)
    rows.push_back({num(n[j], 3), num(c_naive[j], 3), num(c_pair[j], 3), num(c_kahan[j], 3),
                    num(u_naive[j], 3), num(u_pair[j], 3), num(u_kahan[j], 3),
                    num(bound_naive[j], 3)});
  report.table({"n", "naive (0.1)", "pairwise (0.1)", "Kahan (0.1)", "naive (unif.)",
                "pairwise (unif.)", "Kahan (unif.)", "bound (n-1)u"},
               rows);

  const std::string slope_c = q("tenth.naive.loglog_slope", loglog_slope(n, c_naive));
  const std::string slope_u = q("uniform.naive.loglog_slope", loglog_slope(n, u_naive));
  const std::string kahan =
      q("kahan.max_rel_error_over_u", std::max(finite_max(c_kahan), finite_max(u_kahan)) / kU);
  report.text(fmt::format(
      "The naive error grows like n^{} for the constant data and n^{} for the uniforms: well "
      "inside the worst case (n-1)u, but without limit; Kahan's never exceeds {} u. "
      "Separately, fl(0.1) differs from 1/10 by a relative {}: summing 0.1 ten million times "
      "cannot give exactly 10^6 even when every addition is exact, a representation error no "
      "summation algorithm can remove.",
      slope_c, slope_u, kahan,
      q("tenth.representation_error", static_cast<double>(abs(ref::Real(0.1) * 10 - 1)))));
  fmt::print("summation: naive 0.1 error {:.2e} at n = {:.0e}; Kahan <= {} u; slopes {} / {}\n",
             c_naive[m - 1], n[m - 1], kahan, slope_c, slope_u);

  const std::string n_max = num(n[m - 1], 3);
  report.failure_mode(
      {.name = "Naive summation error grows with n",
       .trigger = "summing 0.1 repeated n times and n uniforms, n = 10 ... " + n_max,
       .symptom = fmt::format(
           "relative error of the naive loop {} at n = 10 and {} at n = {} for 0.1 repeated "
           "(slope {} on log-log axes); {} for the uniforms at n = {} (slope {})",
           num(c_naive[0], 3), q("tenth.naive.rel_error_at_n_max", c_naive[m - 1]), n_max, slope_c,
           q("uniform.naive.rel_error_at_n_max", u_naive[m - 1]), n_max, slope_u),
       .why = "each addition s + x_k rounds with relative error up to u of the running sum, "
              "and the running sum grows with k: the n - 1 rounding errors accumulate, "
              "systematically when they have one sign (4).",
       .mitigation = fmt::format(
           "Kahan summation carries the lost low-order bits in a correction term: error at "
           "most {} u over all n (bound 2u); pairwise summation {} at n = {} (bound "
           "ceil(log2 n) u).",
           kahan, q("uniform.pairwise.rel_error_at_n_max", u_pair[m - 1]), n_max)});
}

// ---- 3. Variance ----------------------------------------------------------------------

void variance(mlc::Report& report, mlc::Rng rng, bool quick) {
  report.section("Sample variance: one-pass, two-pass and Welford");
  const Quote q{report, "variance."};
  const Index n = quick ? 200 : 1000;
  const VectorXd noise = rng.normal_vector(n);  // std 1; the same draw for every mean
  ErrorPlot plot{report, mlc::Figure("Sample variance: relative error against mean / std"),
                 logspace(0, 28, 2), "variance."};
  const VectorXd& ratio = plot.x;  // mean / std = 1 ... 1e14, ratio[j] = 10^(j/2)
  report.metric("variance.mean_over_std", ratio);
  std::vector<VectorXd> data;
  std::vector<ref::Real> exact;  // the variance of the stored doubles, in 50 digits
  for (double r : ratio) {
    data.push_back(noise.array() + r);
    exact.push_back(ref::variance(data.back()));
  }
  const auto error_of = [&](VectorFn variance) {
    return [&, variance](Index j) { return ref::relative_error(variance(data[j]), exact[j]); };
  };

  const std::string n_text = q("n", static_cast<double>(n), 4);
  report.text(fmt::format(
      "n = {} standard normal draws shifted by a mean from 1 to 1e14 (the same draws for every "
      "mean: only mean/std changes); exact variances of the stored doubles in 50 digits. The "
      "variance has condition number about mean/std (Chan, Golub and LeVeque 1983): a relative "
      "perturbation u of the data moves it by u mean/std, the best any method can promise. "
      "The one-pass formula (7) subtracts two numbers of size n mean^2 to get one of size "
      "n std^2 and loses u (mean/std)^2.",
      n_text));
  plot.fig.xlabel("mean / std").ylabel("relative error").logx().logy().legend("top left");
  const VectorXd e[] = {
      plot.curve("one_pass.rel_error", "one-pass (7)", error_of(fp::one_pass_variance)),
      plot.curve("two_pass.rel_error", "two-pass (8)", error_of(fp::two_pass_variance)),
      plot.curve("welford.rel_error", "Welford (9)", error_of(fp::welford_variance))};
  plot.fig
      .line(ratio, kU * ratio.array() * ratio.array(), "u (mean/std)^2", {.color = 0, .dash = true})
      .line(ratio, kU * ratio, "u mean/std", {.color = 2, .dash = true})
      .hline(1.0, "all digits lost", {.color = 8, .dash = true});
  report.figure(plot.fig, "variance_error",
                "relative error of three variance algorithms against the ratio mean/std "
                "(std = 1, log axes). Errors of exactly 0 are drawn at 1e-18.");
  Rows rows;  // entries of the array metrics above
  int negatives = 0;
  double first_lost = NAN;
  for (Index j = 0; j < ratio.size(); ++j) {
    const double value = fp::one_pass_variance(data[j]);
    negatives += value < 0;
    if (std::isnan(first_lost) && e[0][j] >= 0.5) first_lost = ratio[j];
    if (j % 4 == 0)
      rows.push_back(
          {num(ratio[j], 2), num(value, 4), num(e[0][j], 3), num(e[1][j], 3), num(e[2][j], 3)});
  }
  report.table({"mean / std", "one-pass value", "one-pass rel. error", "two-pass rel. error",
                "Welford rel. error"},
               rows);
  // at[method][k]: the relative error at mean/std = 1e4, 1e8, 1e12 (j = 8, 16, 24).
  std::string at[3][3];
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 3; ++k)
      at[i][k] = q(fmt::format("{}.rel_error_at_1e{}",
                               std::array{"one_pass", "two_pass", "welford"}[i], 4 * k + 4),
                   e[i][8 * k + 8]);
  const std::string neg = q("one_pass.negative_count", negatives, 4);
  const std::string lost = q("one_pass.first_ratio_error_above_half", first_lost);
  report.text(fmt::format(
      "The one-pass formula has relative error {} at mean/std = 1e4 and no correct digit "
      "from mean/std = {} on ({} at 1e8); it returned a negative variance at {} of the {} "
      "ratios. Two-pass and Welford stay within a small multiple of u mean/std: {} and {} "
      "at 1e8.",
      at[0][0], lost, at[0][1], neg, ratio.size(), at[1][1], at[2][1]));
  fmt::print("variance: mean/std = 1e8: one-pass error {}, two-pass {}, Welford {}\n", at[0][1],
             at[1][1], at[2][1]);

  report.failure_mode(
      {.name = "One-pass variance loses every digit when mean/std > 1e8",
       .trigger = fmt::format("n = {} values with std 1 and mean from 1 to 1e14", n_text),
       .symptom = fmt::format(
           "relative error of (sum x^2 - (sum x)^2/n)/(n-1): {} at mean/std = 1e4, {} at 1e8, "
           "{} at 1e12; relative error >= 0.5 from mean/std = {} on; negative variance at {} "
           "of {} ratios",
           at[0][0], at[0][1], at[0][2], lost, neg, ratio.size()),
       .why = "sum x^2 and (sum x)^2/n are each about n mean^2 and carry rounding errors of "
              "u n mean^2; their difference n std^2 is smaller by (std/mean)^2, so the "
              "relative error is u (mean/std)^2, which reaches 1 at mean/std = 1/sqrt(u) = 9.5e7.",
       .mitigation = fmt::format(
           "subtract the mean before squaring: two-pass relative error {} and Welford's "
           "one-pass update {} at mean/std = 1e8 ({} and {} at 1e12), both within the "
           "conditioning limit u mean/std.",
           at[1][1], at[2][1], at[1][2], at[2][2])});
}

// ---- 4. log-sum-exp and softmax -------------------------------------------------------

// A probability vector: finite and summing to 1 (to far better than 1e-12).
bool is_distribution(const VectorXd& p) {
  return p.allFinite() && std::abs(p.sum() - 1.0) <= 1e-12;
}

// Where the naive forms first fail on the logits z(c) = w + c, by bisection on the shift c.
struct NaiveLimits {
  double lse_inf, sm_wrong, sm_nan, sm_under;
};

NaiveLimits naive_limits(const std::function<VectorXd(double)>& z) {
  const auto last_c = [](const std::function<bool(double)>& holds) {
    return fp::last_double_where(holds, 0.0, 1e4);
  };
  return {.lse_inf = last_c([&](double c) { return std::isfinite(fp::naive_log_sum_exp(z(c))); }),
          .sm_wrong = last_c([&](double c) { return is_distribution(fp::naive_softmax(z(c))); }),
          .sm_nan = last_c([&](double c) { return fp::naive_softmax(z(c)).allFinite(); }),
          .sm_under = -last_c([&](double c) { return fp::naive_softmax(z(-c)).allFinite(); })};
}

// K equal logits c: the sum K e^c overflows at c = log(DBL_MAX) - log K.
Rows equal_logits_rows(const Quote& q) {
  Rows rows;
  for (const Index k : {1, 10, 1000}) {
    const VectorXd ones = VectorXd::Ones(k);
    const double c_over = fp::last_double_where(
        [&](double c) { return std::isfinite(fp::naive_log_sum_exp(c * ones)); }, 1.0, 1e4);
    const std::string key = fmt::format("lse.equal_logits_K{}.", k);
    rows.push_back({std::to_string(k), q(key + "naive_inf_above_logit", c_over, 12),
                    q(key + "predicted_inf_logit", kLogDblMax - std::log(double(k)), 12)});
  }
  return rows;
}

void softmax(mlc::Report& report, mlc::Rng rng, bool quick) {
  report.section("log-sum-exp and softmax");
  const Quote q{report, ""};
  const Index K = 10;
  VectorXd w = rng.uniform_vector(K, -3.0, 0.0);
  w[0] = 0.0;  // the largest logit of c + w is exactly c
  // The logits c + w: softmax does not depend on the shift c in exact arithmetic and
  // log-sum-exp moves with it, so any change of the error with c is finite precision at work.
  const Index m = std::lround(2000.0 / (quick ? 50.0 : 10.0)) + 1;
  ErrorPlot plot{report, mlc::Figure("log-sum-exp and softmax: error against the largest logit"),
                 VectorXd::LinSpaced(m, -1000.0, 1000.0), ""};
  const VectorXd& c = plot.x;
  report.metric("softmax.largest_logit", c);
  const auto z = [&](double shift) { return VectorXd(w.array() + shift); };
  const auto lse_error = [&](VectorFn lse) {
    return
        [&, lse](Index j) { return ref::relative_error(lse(z(c[j])), ref::log_sum_exp(z(c[j]))); };
  };
  const auto softmax_error = [&](VectorXd (*softmax)(const Eigen::Ref<const VectorXd>&)) {
    return [&, softmax](Index j) {
      return ref::max_abs_error(softmax(z(c[j])), ref::softmax(z(c[j])));
    };
  };
  const NaiveLimits lim = naive_limits(z);

  report.text(fmt::format(
      "K = {} logits c + w, w uniform on [-3, 0] with w_1 = 0, so that the largest logit is c; "
      "c sweeps -1000 ... 1000. Softmax error is the largest absolute error over the K "
      "probabilities (they lie in [0, 1]); log-sum-exp error is relative. Exact values in 50 "
      "digits, where exp cannot overflow.",
      K));
  plot.fig.xlabel("largest logit c").ylabel("error").logy().legend("right center");
  plot.curve("lse.naive.rel_error", "log-sum-exp naive (rel.)", lse_error(fp::naive_log_sum_exp));
  const VectorXd sm_naive = plot.curve("softmax.naive.max_abs_error", "softmax naive (abs.)",
                                       softmax_error(fp::naive_softmax));
  const VectorXd lse_stable = plot.curve("lse.stable.rel_error", "log-sum-exp shifted (10) (rel.)",
                                         lse_error(fp::log_sum_exp));
  const VectorXd sm_stable = plot.curve("softmax.stable.max_abs_error",
                                        "softmax shifted (11) (abs.)", softmax_error(fp::softmax));
  plot.fig.vline(kLogDblMax, "log(DBL_MAX)", {.color = 8, .dash = true})
      .vline(lim.sm_under, "exp = 0", {.color = 8, .dash = true})
      .yrange(1e-19, 1e3);
  report.figure(plot.fig, "softmax_error",
                "error of naive and max-shifted log-sum-exp and softmax against the largest "
                "logit c; the naive curves exist only between the dashed lines, where exp "
                "neither overflows nor underflows to 0. Errors of exactly 0 are drawn at 1e-18.");
  // Where both work (|c| <= 700), and below c = log(DBL_MIN) = -708.4, where the terms e^z_i
  // are subnormal: fewer significant bits.
  double naive_inside = 0, stable_inside = 0, naive_subnormal = 0;
  for (Index j = 0; j < m; ++j) {
    if (std::abs(c[j]) <= 700) {
      naive_inside = std::max(naive_inside, sm_naive[j]);
      stable_inside = std::max(stable_inside, sm_stable[j]);
    }
    if (c[j] < -700 && std::isfinite(sm_naive[j]))
      naive_subnormal = std::max(naive_subnormal, sm_naive[j]);
  }
  const std::string lse_inf = q("lse.naive_inf_above_logit", lim.lse_inf, 12);
  const std::string sm_wrong = q("softmax.naive_wrong_above_logit", lim.sm_wrong, 12);
  const std::string sm_nan = q("softmax.naive_nan_above_logit", lim.sm_nan, 12);
  const std::string sm_under = q("softmax.naive_nan_below_logit", lim.sm_under, 12);
  const std::string log_dbl_max = q("softmax.log_dbl_max", kLogDblMax, 12);
  report.text(fmt::format(
      "By bisection on c: naive log-sum-exp returns inf above c = {}, where the sum e^c "
      "(sum_i e^w_i) passes DBL_MAX (predicted: log(DBL_MAX) - lse(w) = {}); naive softmax "
      "then returns all zeros (each e^z_i / inf), not a distribution, above c = {}, and NaN "
      "(inf / inf) above c = {}, where exp itself overflows (log(DBL_MAX) = {}). At the other "
      "end every e^z_i underflows to 0 and naive softmax is 0/0 = NaN below c = {}; just above "
      "that the terms are subnormal and its error rises to {}. Where both work (|c| <= 700) "
      "the naive softmax error is at most {} and the shifted one {}.",
      lse_inf, q("lse.predicted_inf_logit", kLogDblMax - fp::log_sum_exp(w), 12), sm_wrong, sm_nan,
      log_dbl_max, sm_under, q("softmax.naive.worst_abs_error_below_minus_700", naive_subnormal),
      q("softmax.naive.worst_abs_error_within_700", naive_inside),
      q("softmax.stable.worst_abs_error_within_700", stable_inside)));
  report.text(
      "With K equal logits the sum K e^c overflows earlier still, at log(DBL_MAX) - log K:");
  const Rows rows = equal_logits_rows(q);
  report.table({"K equal logits", "naive log-sum-exp inf above c =", "log(DBL_MAX) - log K"}, rows);
  const std::string sm_worst = q("softmax.stable.worst_abs_error", finite_max(sm_stable));
  const std::string lse_worst = q("lse.stable.worst_rel_error_over_u", finite_max(lse_stable) / kU);
  report.text(fmt::format(
      "The shifted forms are finite and accurate for every logit tried: worst softmax error "
      "{} and worst log-sum-exp relative error {} u over c = -1000 ... 1000.",
      sm_worst, lse_worst));
  fmt::print("softmax: naive wrong above logit {:.6f}, NaN above {:.6f}; shifted worst error {}\n",
             lim.sm_wrong, lim.sm_nan, sm_worst);

  report.failure_mode(
      {.name = "Naive softmax overflows at logits near log(DBL_MAX) = 709.78",
       .trigger = fmt::format("K = {} logits with the largest c swept from -1000 to 1000", K),
       .symptom = fmt::format(
           "naive log-sum-exp returns inf above c = {}; naive softmax returns all zeros "
           "above c = {} and NaN above c = {} (log(DBL_MAX) = {}); below c = {} "
           "it returns 0/0 = NaN; with 1000 equal logits log-sum-exp is inf above {}",
           lse_inf, sm_wrong, sm_nan, log_dbl_max, sm_under, rows[2][1]),
       .why = "exp(z) exceeds DBL_MAX = 1.8e308 for z > 709.78 and rounds to inf, and the sum "
              "of the K terms overflows earlier, by the log of the mass of the other terms; "
              "inf/inf is NaN. Below -745.13 exp(z) rounds to 0 and the normaliser vanishes.",
       .mitigation = fmt::format(
           "subtract the largest logit first (10), (11): the result is unchanged in exact "
           "arithmetic, every exponent is <= 0 and the largest term is exactly 1. Worst "
           "measured softmax error {} and log-sum-exp relative error {} u over c = -1000 ... 1000.",
           sm_worst, lse_worst)});
}

// ---- 5. log1p and expm1 ---------------------------------------------------------------

void log1p_expm1(mlc::Report& report, bool quick) {
  report.section("log(1 + x) and exp(x) - 1 for small x");
  const Quote q{report, ""};
  const int steps = quick ? 2 : 4;
  ErrorPlot plot{report, mlc::Figure("log(1+x) and exp(x)-1: relative error against x"),
                 logspace(-20 * steps, 0, steps), ""};
  const VectorXd& x = plot.x;  // 1e-20 ... 1
  report.metric("log1p.x", x);
  report.text(
      "For small x, 1 + x rounds away the low digits of x: log(1 + x) then has relative error "
      "about u / x, and is exactly 0 once x < u. exp(x) - 1 cancels the same way. Kahan's "
      "trick (13), (14) divides by the rounded 1 + x (or e^x) so that its rounding error "
      "cancels; the C library's log1p and expm1 use dedicated polynomial approximations.");
  plot.fig.xlabel("x").ylabel("relative error").logx().logy().legend("top right");
  // Each form of log(1 + x) (metrics log1p.*) or exp(x) - 1 (expm1.*) against its exact value.
  struct Form {
    std::string key, label;
    double (*f)(double);
  };
  const Form forms[] = {{"log1p.naive", "log(1 + x)", fp::log1p_naive},
                        {"expm1.naive", "exp(x) - 1", fp::expm1_naive},
                        {"log1p.kahan", "log1p, Kahan's trick (13)", fp::log1p_kahan},
                        {"expm1.kahan", "expm1, Kahan's trick (14)", fp::expm1_kahan},
                        {"log1p.std", "std::log1p", [](double t) { return std::log1p(t); }},
                        {"expm1.std", "std::expm1", [](double t) { return std::expm1(t); }}};
  std::map<std::string, std::string> worst;  // key -> worst relative error in units of u
  for (const Form& form : forms) {
    const bool log1p = form.key.starts_with("log1p");
    const VectorXd err = plot.curve(form.key + ".rel_error", form.label, [&](Index j) {
      return ref::relative_error(form.f(x[j]), log1p ? ref::log1p(x[j]) : ref::expm1(x[j]));
    });
    if (!form.key.ends_with("naive"))
      worst[form.key] = q(form.key + ".worst_rel_error_over_u", finite_max(err) / kU);
  }
  plot.fig.line(x, (kU / x.array()).min(1.0).matrix(), "u / x", {.color = 8, .dash = true});
  report.figure(plot.fig, "log1p_error",
                "relative error of log(1 + x), exp(x) - 1 and the accurate forms against x; "
                "dashed: u/x. Errors of exactly 0 are drawn at 1e-18.");
  const auto naive_at = [](double t) {
    return ref::relative_error(fp::log1p_naive(t), ref::log1p(t));
  };
  const std::string at_1em8 = q("log1p.naive.rel_error_at_1e-8", naive_at(1e-8));
  const std::string at_1em17 = q("log1p.naive.rel_error_at_1e-17", naive_at(1e-17));
  report.text(fmt::format(
      "log(1 + x) has relative error {} at x = 1e-8 and {} at x = 1e-17 (it returns 0). Over "
      "x = 1e-20 ... 1 the worst relative errors are: Kahan's log1p {} u, std::log1p {} u, "
      "Kahan's expm1 {} u, std::expm1 {} u.",
      at_1em8, at_1em17, worst["log1p.kahan"], worst["log1p.std"], worst["expm1.kahan"],
      worst["expm1.std"]));
  fmt::print("log1p: naive error {} at 1e-8, {} at 1e-17; Kahan worst {} u\n", at_1em8, at_1em17,
             worst["log1p.kahan"]);

  report.failure_mode(
      {.name = "log(1 + x) returns 0 for x below u",
       .trigger = "x swept from 1e-20 to 1",
       .symptom = fmt::format("relative error {} at x = 1e-8 and {} at x = 1e-17, following u / x",
                              at_1em8, at_1em17),
       .why = "fl(1 + x) keeps only the digits of x above 2^-53: the rest is lost before the "
              "logarithm is taken, and for x < u it is all of x.",
       .mitigation = fmt::format("log1p: Kahan's trick (13) measured at most {} u, std::log1p {} "
                                 "u; for exp(x) - 1, expm1 (Kahan's trick {} u).",
                                 worst["log1p.kahan"], worst["log1p.std"], worst["expm1.kahan"])});
}

// ---- 6. Sigmoid and the log-loss ------------------------------------------------------

// The sigmoid at z = -720, and the derivatives (18), (19) against central differences.
// Returns the largest absolute error of (18), quoted.
std::string sigmoid_and_gradients(mlc::Report& report, mlc::Rng rng, bool quick) {
  const Quote q{report, ""};
  const double s_stable = fp::sigmoid(-720.0);  // the naive form underflows to 0 here
  report.text(fmt::format(
      "The sigmoid (15): at z = -720 the naive 1/(1 + e^720) = 1/inf returns {}; the branch "
      "form returns {} (a subnormal, so with relative error {} rather than u).",
      q("sigmoid.at_minus_720.naive", fp::naive_sigmoid(-720.0), 4),
      q("sigmoid.at_minus_720.stable", s_stable, 4),
      q("sigmoid.at_minus_720.stable_rel_error",
        ref::relative_error(s_stable, ref::sigmoid(-720.0)))));

  // (18) per example, over saturated logits too; (19) of the mean loss over n moderate logits.
  double per_example = 0;
  for (const double y : {0.0, 0.3, 1.0})
    for (double t = -50.0; t <= 50.0; t += 0.5) {
      const auto f = [y](const VectorXd& v) { return fp::log_loss(v[0], y); };
      const VectorXd at = VectorXd::Constant(1, t);
      const VectorXd derivative = VectorXd::Constant(1, fp::log_loss_derivative(t, y));
      const auto c = mlc::gradcheck(f, derivative, at);
      per_example = std::max(per_example, c.max_absolute_error);
    }
  const Index n = quick ? 20 : 50;
  const VectorXd logits = rng.normal_vector(n, 0.0, 2.0);
  VectorXd labels(n);
  for (Index i = 0; i < n; ++i) labels[i] = rng.bernoulli(0.5) ? 1.0 : 0.0;
  const auto loss = [&](const VectorXd& t) { return fp::mean_log_loss(t, labels); };
  const auto check = mlc::gradcheck(loss, fp::mean_log_loss_gradient(logits, labels), logits);
  const std::string per_example_text =
      q("log_loss.gradcheck.per_example_max_abs_error", per_example);
  const std::string mean_text = q("log_loss.gradcheck.mean_loss_rel_error", check.relative_error);
  report.text(fmt::format(
      "The derivative (18), sigmoid(z) - y, against central differences (h = 1e-6): maximum "
      "absolute difference {} over z = -50, -49.5, ..., 50 and y in {{0, 0.3, 1}} (a difference "
      "of two numbers in [0, 1] is accurate to about u in absolute terms only: sigmoid(50) - 1 "
      "rounds to 0, so relative errors mean nothing there); the gradient (19) of the mean loss "
      "over n = {} logits from N(0, 2^2): norm-wise relative error {}. (Over many saturated "
      "logits the rounding error u |f| / h of the differences swamps gradient entries of order "
      "e^-|z| / n, and a norm-wise error would not see them wrong: so large logits are checked "
      "one example at a time.)",
      per_example_text, n, mean_text));
  fmt::print("log-loss: gradcheck (18) abs {}, (19) rel {}\n", per_example_text, mean_text);
  return per_example_text;
}

void log_loss(mlc::Report& report, mlc::Rng rng, bool quick) {
  report.section("The sigmoid and the log-loss from logits");
  const Quote q{report, "log_loss."};
  const int steps = quick ? 10 : 20;
  ErrorPlot plot{report, mlc::Figure("Binary log-loss: relative error against the logit"),
                 logspace(-2 * steps, 28 * steps / 10, steps), "log_loss."};
  const VectorXd& z = plot.x;  // 0.01 ... 631: the smallest loss, e^-631, is still normal
  report.metric("log_loss.logit", z);
  const auto error_of = [&](double (*loss)(double, double), double y) {
    return [&, loss, y](Index j) {
      return ref::relative_error(loss(z[j], y), ref::log_loss(z[j], y));
    };
  };
  // The logits above which the naive loss for y = 0 is inf (the sigmoid rounds to 1), and
  // below which it is NaN (0 log 0).
  const double inf_above = fp::last_double_where(
      [](double t) { return std::isfinite(fp::naive_log_loss(t, 0.0)); }, 1.0, 1000.0);
  const double nan_below = -fp::last_double_where(
      [](double t) { return !std::isnan(fp::naive_log_loss(-t, 0.0)); }, 1.0, 1000.0);

  report.text(
      "The loss of one example with logit z and label y, naive (16) against the form from the "
      "logit (17), for y = 0 (loss about z for large z: a confident wrong answer) and y = 1 "
      "(loss about e^-z: a confident right answer). Exact values: y log(1 + e^-z) + (1-y) "
      "log(1 + e^z) in 50 digits.");
  plot.fig.xlabel("logit z").ylabel("relative error").logx().logy().legend("top left");
  plot.curve("naive.y0.rel_error", "naive (16), y = 0", error_of(fp::naive_log_loss, 0.0));
  const VectorXd naive1 =
      plot.curve("naive.y1.rel_error", "naive (16), y = 1", error_of(fp::naive_log_loss, 1.0));
  const VectorXd stable0 =
      plot.curve("stable.y0.rel_error", "from logits (17), y = 0", error_of(fp::log_loss, 0.0));
  const VectorXd stable1 =
      plot.curve("stable.y1.rel_error", "from logits (17), y = 1", error_of(fp::log_loss, 1.0));
  plot.fig.vline(inf_above, "z = 53 log 2", {.color = 8, .dash = true});
  report.figure(plot.fig, "log_loss_error",
                "relative error of the binary log-loss, naive against from logits; both naive "
                "curves end at z = 36.74, where the sigmoid rounds to 1 and the naive loss "
                "returns inf (y = 0) or NaN (y = 1, from 0 log 0). Errors of exactly 0 are "
                "drawn at 1e-18.");
  const std::string inf_text = q("naive_inf_above_logit", inf_above, 8);
  const std::string nan_text = q("naive_nan_below_logit", nan_below, 9);
  const std::string worst =
      q("stable.worst_rel_error_over_u", std::max(finite_max(stable0), finite_max(stable1)) / kU);
  // 1 + e^-z rounds to 1 once e^-z <= 2^-53: the first infinite naive loss is the next double.
  report.text(fmt::format(
      "The naive loss for y = 0 is inf from z = {:.6f} on (the closed form 53 log 2 = {}: "
      "there e^-z <= u, 1 + e^-z rounds to 1, the sigmoid is 1 and log(1 - 1) = -inf); for "
      "y = 1 it is NaN from the same z, the -inf being multiplied by 1 - y = 0; and for y = 0 "
      "it is NaN below z = {} (e^-z overflows, the sigmoid is 0, 0 log 0 = NaN). Before it "
      "breaks, the naive y = 1 loss (about e^-z) loses digits like u e^z. The form from "
      "logits has worst relative error {} u over the sweep.",
      std::nextafter(inf_above, 1000.0), q("predicted_inf_logit", 53 * std::log(2.0), 8), nan_text,
      worst));
  Rows rows;  // a few single cases, naive against stable against exact
  for (const auto& [zc, yc] : {std::pair{40.0, 0.0}, {40.0, 1.0}, {-720.0, 0.0}, {-720.0, 1.0}}) {
    const std::string key = fmt::format("z{}_y{}.", zc, yc);
    rows.push_back({num(zc, 4), num(yc, 1), q(key + "naive", fp::naive_log_loss(zc, yc), 6),
                    q(key + "stable", fp::log_loss(zc, yc), 6),
                    q(key + "exact", static_cast<double>(ref::log_loss(zc, yc)), 6)});
  }
  report.table({"z", "y", "naive (16)", "from logits (17)", "exact"}, rows);
  const std::string per_example = sigmoid_and_gradients(report, rng, quick);
  fmt::print("log-loss: naive inf above z = {}; stable worst {} u\n", inf_text, worst);

  Index last = 0;  // the largest logit at which the naive y = 1 loss is finite
  for (Index j = 0; j < z.size(); ++j) last = std::isfinite(naive1[j]) ? j : last;
  report.failure_mode(
      {.name = "Naive log-loss returns inf for confident wrong logits and NaN for confident "
               "right ones",
       .trigger = "the naive loss -[y log s + (1-y) log(1-s)], s = 1/(1+e^-z), over "
                  "z = 0.01 ... 631",
       .symptom = fmt::format(
           "y = 0: inf for z above {}; y = 1: NaN from the same logit on, after a relative "
           "error growing like u e^z ({} at z = {}); y = 0 and z below {}: NaN",
           inf_text, q("naive.y1.rel_error_at_last_finite", naive1[last]),
           q("naive.y1.last_finite_logit", z[last], 4), nan_text),
       .why = "the sigmoid rounds to 1 once e^-z < u (z > 53 log 2) and to 0 once e^-z "
              "overflows; the logarithm of 1 - 1 = 0 is -inf and 0 * log 0 is NaN. The "
              "information was lost in the sigmoid, before the logarithm.",
       .mitigation = fmt::format(
           "compute the loss from the logit, max(z,0) - yz + log1p(e^-|z|) (17): worst "
           "relative error {} u over the sweep; its derivative (18) checked to {} even at "
           "|z| = 50.",
           worst, per_example)});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  mlc::Timer timer;
  machine_epsilon(report);
  summation(report, root.derive(1), opt.quick);
  report.timing("summation_seconds", timer.seconds());
  variance(report, root.derive(2), opt.quick);
  softmax(report, root.derive(3), opt.quick);
  log1p_expm1(report, opt.quick);
  log_loss(report, root.derive(4), opt.quick);
  report.headline({"epsilon.double", "summation.kahan.max_rel_error_over_u"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
