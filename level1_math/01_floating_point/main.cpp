// 1.1 floating_point: IEEE-754 double precision in practice, measured.
//
// The experiment: find machine epsilon, the unit roundoff and the overflow threshold of
// exp by experiment; then, for each pair of naive and stable formulas (summation, sample
// variance, log-sum-exp and softmax, log1p / expm1, the log-loss), sweep the input's
// magnitude and measure the relative error of each against an exact answer computed in
// 50 digits (reference.hpp). Sources: Higham, Accuracy and Stability of Numerical
// Algorithms (2002), chapters 1-4; Goldberg (1991); see floating_point.hpp and NOTES.md.
//
//   ./learn run floating_point            # full run, ~5 s
//   ./learn run floating_point --quick    # smaller sweeps, < 1 s
#include <algorithm>
#include <cmath>
#include <limits>
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
using mlc::num;

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
Eigen::VectorXd logspace(int lo, int hi, int steps_per_decade) {
  Eigen::VectorXd v(hi - lo + 1);
  for (int k = lo; k <= hi; ++k)
    v[k - lo] = std::pow(10.0, static_cast<double>(k) / steps_per_decade);
  return v;
}

// Errors on a log axis: 0 drawn at kPlotFloor; inf / NaN left out (the formula failed).
Eigen::VectorXd for_log_axis(const Eigen::VectorXd& errors) {
  return errors.unaryExpr([](double e) {
    return std::isfinite(e) ? std::max(e, kPlotFloor) : std::numeric_limits<double>::quiet_NaN();
  });
}

// Least-squares slope of log10(err) against log10(n) over the finite, nonzero errors.
double loglog_slope(const Eigen::VectorXd& n, const Eigen::VectorXd& err) {
  std::vector<double> xs, ys;
  for (Eigen::Index i = 0; i < n.size(); ++i)
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

double finite_max(const Eigen::VectorXd& v) {
  double m = 0;
  for (double e : v) m = std::isfinite(e) ? std::max(m, e) : m;
  return m;
}

// ---- 1. Machine epsilon, the unit roundoff, the spacing of doubles --------------------

template <class T>
std::vector<std::string> epsilon_row(const char* type, mlc::Report& report, const char* key) {
  const auto found = fp::find_machine_epsilon<T>();
  const T limits = std::numeric_limits<T>::epsilon();
  report.metric(fmt::format("epsilon.{}", key), static_cast<double>(found.epsilon));
  report.metric(fmt::format("epsilon.{}_halvings", key), found.halvings);
  report.metric(fmt::format("epsilon.{}_matches_numeric_limits", key), found.epsilon == limits);
  return {type,
          std::to_string(std::numeric_limits<T>::digits),
          std::to_string(found.halvings),
          num(static_cast<double>(found.epsilon), 6),
          num(static_cast<double>(limits), 6),
          found.epsilon == limits ? "yes" : "NO"};
}

void machine_epsilon(mlc::Report& report) {
  report.section("Machine epsilon and the unit roundoff, by experiment");
  report.text(
      "Halve eps, starting from 1, while 1 + eps/2 still rounds to a number above 1 (1). "
      "The loop stops after p - 1 halvings for a format with p significand bits.");
  report.table({"type", "digits p (numeric_limits)", "halvings", "epsilon found",
                "numeric_limits epsilon", "equal"},
               {epsilon_row<float>("float", report, "float"),
                epsilon_row<double>("double", report, "double"),
                epsilon_row<long double>("long double", report, "long_double")});

  // (2) the unit roundoff: the largest x with fl(1 + x) = 1, found by bisection.
  const double u_found = fp::last_double_where([](double x) { return 1.0 + x == 1.0; }, 0.0, 1.0);
  report.metric("unit_roundoff.found", u_found);
  report.metric("unit_roundoff.exact", kU);
  report.metric("unit_roundoff.over_epsilon", u_found / std::numeric_limits<double>::epsilon());
  report.text(fmt::format(
      "The unit roundoff, found by bisection as the largest double x with fl(1 + x) = 1, is "
      "{} = 2^{} (the exact 2^-53 = {}); it is epsilon/2 = {} of epsilon, because 1 + 2^-53 is "
      "a tie and round-to-nearest-even sends it down to 1. Every operation obeys the model "
      "(2): fl(a op b) = (a op b)(1 + d), |d| <= u.",
      num(u_found, 6), std::ilogb(u_found), num(kU, 6),
      num(u_found / std::numeric_limits<double>::epsilon(), 3)));

  // The spacing of doubles: ulp(x) / x stays in [u, 2u], the absolute spacing grows with x.
  std::vector<std::vector<std::string>> rows;
  for (const auto& [x, key] :
       {std::pair{1.0, "1"}, {1e3, "1e3"}, {1e8, "1e8"}, {1e16, "1e16"}, {0x1p53, "2p53"}}) {
    const double ulp = std::nextafter(x, INFINITY) - x;
    report.metric(fmt::format("ulp.at_{}", key), ulp);
    report.metric(fmt::format("ulp.relative_at_{}", key), ulp / x);
    rows.push_back({x == 0x1p53 ? "2^53" : num(x, 4), num(ulp, 4), num(ulp / x, 4)});
  }
  report.text(
      "The gap between a double and the next one (one ulp) grows with the number, but the "
      "relative gap stays between u and 2u. Above 2^53 the gap exceeds 1: odd integers are "
      "no longer representable. A square of a number near 1e8 is near 1e16 > 2^53 and is "
      "rounded by about 1: the size of the whole variance of data with std 1 (section 3).");
  report.table({"x", "ulp(x)", "ulp(x) / x"}, rows);

  // (3) The range: where exp overflows to inf and underflows to 0.
  const double overflow =
      fp::last_double_where([](double x) { return std::isfinite(std::exp(x)); }, 0.0, 1000.0);
  const double underflow_zero =
      fp::last_double_where([](double x) { return std::exp(x) == 0.0; }, -1000.0, 0.0);
  const double first_positive = std::nextafter(underflow_zero, 0.0);
  const double ulp_overflow = std::nextafter(overflow, INFINITY) - overflow;
  const double closed_underflow =
      std::log(std::numeric_limits<double>::denorm_min()) - std::log(2.0);
  report.metric("exp.overflow_threshold", overflow);
  report.metric("exp.log_dbl_max", kLogDblMax);
  report.metric("exp.overflow_threshold_ulps_from_log_dbl_max",
                (overflow - kLogDblMax) / ulp_overflow);
  report.metric("exp.underflow_threshold", first_positive);
  report.metric("exp.log_half_denorm_min", closed_underflow);
  // Vectorised libraries may trade this range for speed: Eigen's packet exp clamps its input.
  const Eigen::VectorXd low = Eigen::VectorXd::Constant(4, -800.0);
  const Eigen::VectorXd low_exp = low.array().exp();  // the packet (SIMD) code path
  const double eigen_exp = low_exp[0];
  report.metric("exp.eigen_vectorised_exp_at_minus_800", eigen_exp);
  report.text(fmt::format(
      "**Range of exp (3).** By bisection over the doubles, exp(x) is finite up to x = {:.15f} "
      "and inf from the next double on; log(DBL_MAX) = {:.15f} ({} ulp apart). At the other "
      "end exp(x) is 0 for x <= {:.13f} and positive from {:.13f} on; the closed form "
      "log(denorm_min / 2) = {:.13f} (below it exp rounds to 0 rather than to the smallest "
      "subnormal).",
      overflow, kLogDblMax, num((overflow - kLogDblMax) / ulp_overflow, 2), underflow_zero,
      first_positive, closed_underflow));
  report.text(fmt::format(
      "A caution measured on this build: Eigen's vectorised `z.array().exp()` returns {} for "
      "z = -800 (std::exp returns 0): it clamps its argument near -708.4 for speed and never "
      "produces 0 or a subnormal. This lesson's code therefore calls std::exp entry by entry.",
      num(eigen_exp, 4)));
  fmt::print(
      "epsilon(double) = {:.6e} after {} halvings; u = {:.6e}; exp overflows above {:.12f}\n",
      fp::find_machine_epsilon<double>().epsilon, fp::find_machine_epsilon<double>().halvings,
      u_found, overflow);
}

// ---- 2. Summation ---------------------------------------------------------------------

void summation(mlc::Report& report, mlc::Rng& rng, bool quick) {
  report.section("Summation: naive, pairwise and Kahan");
  const int decades = quick ? 5 : 7;
  const Eigen::VectorXd grid = logspace(4, 4 * decades, 4);  // n = 10 ... 10^decades
  std::vector<Eigen::Index> ns;
  for (double g : grid) ns.push_back(static_cast<Eigen::Index>(std::llround(g)));
  const Eigen::Index n_max = ns.back();

  const Eigen::VectorXd tenth = Eigen::VectorXd::Constant(n_max, 0.1);
  const Eigen::VectorXd uniform = rng.uniform_vector(n_max);
  const std::vector<ref::Real> exact_uniform = ref::prefix_sums(uniform, ns);

  const auto m = static_cast<Eigen::Index>(ns.size());
  Eigen::VectorXd n_d(m), c_naive(m), c_pair(m), c_kahan(m), u_naive(m), u_pair(m), u_kahan(m),
      bound_naive(m), bound_pair(m), bound_kahan(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    const Eigen::Index n = ns[static_cast<std::size_t>(j)];
    n_d[j] = static_cast<double>(n);
    const ref::Real exact_tenth = ref::Real(n) * ref::Real(0.1);  // n fl(0.1), exactly
    c_naive[j] = ref::relative_error(fp::naive_sum(tenth.head(n)), exact_tenth);
    c_pair[j] = ref::relative_error(fp::pairwise_sum(tenth.head(n)), exact_tenth);
    c_kahan[j] = ref::relative_error(fp::kahan_sum(tenth.head(n)), exact_tenth);
    const ref::Real& exact = exact_uniform[static_cast<std::size_t>(j)];
    u_naive[j] = ref::relative_error(fp::naive_sum(uniform.head(n)), exact);
    u_pair[j] = ref::relative_error(fp::pairwise_sum(uniform.head(n)), exact);
    u_kahan[j] = ref::relative_error(fp::kahan_sum(uniform.head(n)), exact);
    bound_naive[j] = static_cast<double>(n - 1) * kU;   // (4), all terms positive
    bound_pair[j] = std::ceil(std::log2(n_d[j])) * kU;  // (5)
    bound_kahan[j] = 2 * kU;                            // (6)
  }
  for (auto [name, v] : {std::pair{"naive", &c_naive}, {"pairwise", &c_pair}, {"kahan", &c_kahan}})
    report.metric(fmt::format("summation.tenth.{}.rel_error", name), *v);
  for (auto [name, v] : {std::pair{"naive", &u_naive}, {"pairwise", &u_pair}, {"kahan", &u_kahan}})
    report.metric(fmt::format("summation.uniform.{}.rel_error", name), *v);
  report.metric("summation.n", n_d);

  const double slope_tenth = loglog_slope(n_d, c_naive), slope_uniform = loglog_slope(n_d, u_naive);
  report.metric("summation.tenth.naive.loglog_slope", slope_tenth);
  report.metric("summation.uniform.naive.loglog_slope", slope_uniform);
  report.metric("summation.tenth.naive.rel_error_at_n_max", c_naive[m - 1]);
  report.metric("summation.uniform.naive.rel_error_at_n_max", u_naive[m - 1]);
  report.metric("summation.uniform.pairwise.rel_error_at_n_max", u_pair[m - 1]);
  const double kahan_worst = std::max(finite_max(c_kahan), finite_max(u_kahan));
  report.metric("summation.kahan.max_rel_error_over_u", kahan_worst / kU);
  // The value stored for 0.1 is not 1/10: a representation error, not a summation error.
  const double repr = static_cast<double>(abs(ref::Real(0.1) * 10 - 1));
  report.metric("summation.tenth.representation_error", repr);

  report.text(fmt::format(
      "Two data sets of n = 10 ... {} values: the constant 0.1 (every partial sum rounds the "
      "same way, so errors add up: systematic), and uniforms on [0, 1) drawn from the seed "
      "(errors of random sign: a random walk). Exact sums: n fl(0.1) in 50 digits, and the "
      "uniforms summed in 50 digits (exact, since each is k 2^-53). All terms are positive, "
      "so relative error bounds apply with condition number 1: (n-1)u for the naive loop "
      "(4), ceil(log2 n) u for pairwise (5), 2u for Kahan (6).",
      num(static_cast<double>(n_max), 3)));
  Eigen::VectorXd n_plot = n_d;
  mlc::Figure fig("Summation: relative error against n");
  fig.xlabel("n (number of terms)").ylabel("relative error").logx().logy().legend("top left");
  fig.line_points(n_plot, for_log_axis(c_naive), "naive, 0.1 repeated")
      .line_points(n_plot, for_log_axis(u_naive), "naive, uniforms")
      .line_points(n_plot, for_log_axis(u_pair), "pairwise, uniforms")
      .line_points(n_plot, for_log_axis(c_kahan), "Kahan, 0.1 repeated")
      .line_points(n_plot, for_log_axis(u_kahan), "Kahan, uniforms")
      .line(n_plot, bound_naive, "bound (n-1)u", {.color = 0, .dash = true})
      .line(n_plot, bound_pair, "bound ceil(log2 n) u", {.color = 2, .dash = true})
      .line(n_plot, bound_kahan, "bound 2u", {.color = 4, .dash = true});
  report.figure(fig, "summation_error",
                "relative error of the naive loop, pairwise and Kahan summation against n; "
                "dashed: the worst-case bounds (4)-(6). An exact result (error 0) is drawn "
                "at 1e-18.");

  std::vector<std::vector<std::string>> rows;
  for (Eigen::Index j = 0; j < m; j += 4)
    rows.push_back({num(n_d[j], 3), num(c_naive[j], 3), num(c_pair[j], 3), num(c_kahan[j], 3),
                    num(u_naive[j], 3), num(u_pair[j], 3), num(u_kahan[j], 3),
                    num(bound_naive[j], 3)});
  report.table({"n", "naive (0.1)", "pairwise (0.1)", "Kahan (0.1)", "naive (unif.)",
                "pairwise (unif.)", "Kahan (unif.)", "bound (n-1)u"},
               rows);
  report.text(fmt::format(
      "The naive error grows like n^{} for the constant data (systematic) and n^{} for the "
      "uniforms (random walk): well inside the worst case (n-1)u but growing without limit. "
      "Kahan's error never exceeds {} u. Separately, fl(0.1) differs from 1/10 by a relative "
      "{}: summing 0.1 ten million times cannot give exactly 10^6 even when every addition "
      "is exact, a representation error no summation algorithm can remove.",
      num(slope_tenth, 3), num(slope_uniform, 3), num(kahan_worst / kU, 3), num(repr, 3)));
  fmt::print(
      "summation: n = {:.0e}: naive 0.1 error {:.2e}, Kahan {:.2e}; slopes {:.2f} / {:.2f}\n",
      n_d[m - 1], c_naive[m - 1], c_kahan[m - 1], slope_tenth, slope_uniform);

  report.failure_mode(
      {.name = "Naive summation error grows with n",
       .trigger = fmt::format("summing 0.1 repeated n times and n uniforms, n = 10 ... {}",
                              num(static_cast<double>(n_max), 3)),
       .symptom = fmt::format(
           "relative error of the naive loop {} at n = 10 and {} at n = {} for 0.1 repeated "
           "(slope {} on log-log axes); {} for the uniforms at n = {} (slope {})",
           num(c_naive[0], 3), num(c_naive[m - 1], 3), num(n_d[m - 1], 3), num(slope_tenth, 3),
           num(u_naive[m - 1], 3), num(n_d[m - 1], 3), num(slope_uniform, 3)),
       .why = "each addition s + x_k rounds with relative error up to u of the running sum, "
              "and the running sum grows with k: the n - 1 rounding errors accumulate, "
              "systematically when they have one sign (4).",
       .mitigation = fmt::format(
           "Kahan summation carries the lost low-order bits in a correction term: error at "
           "most {} u over all n (bound 2u); pairwise summation {} at n = {} (bound "
           "ceil(log2 n) u).",
           num(kahan_worst / kU, 3), num(u_pair[m - 1], 3), num(n_d[m - 1], 3))});
}

// ---- 3. Variance ----------------------------------------------------------------------

void variance(mlc::Report& report, mlc::Rng& rng, bool quick) {
  report.section("Sample variance: one-pass, two-pass and Welford");
  const Eigen::Index n = quick ? 200 : 1000;
  const Eigen::VectorXd ratio = logspace(0, 28, 2);    // mean / std = 1 ... 1e14
  const Eigen::VectorXd noise = rng.normal_vector(n);  // std 1; the same draw for every mean
  const auto m = ratio.size();
  Eigen::VectorXd one(m), two(m), wel(m), one_value(m), bound_one(m), bound_wel(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    const Eigen::VectorXd x = noise.array() + ratio[j];
    const ref::Real exact = ref::variance(x);  // of the stored doubles
    one_value[j] = fp::one_pass_variance(x);
    one[j] = ref::relative_error(one_value[j], exact);
    two[j] = ref::relative_error(fp::two_pass_variance(x), exact);
    wel[j] = ref::relative_error(fp::welford_variance(x), exact);
    bound_one[j] = kU * ratio[j] * ratio[j];  // (7): cancellation amplifies u by (mean/std)^2
    bound_wel[j] = kU * ratio[j];
  }
  report.metric("variance.mean_over_std", ratio);
  report.metric("variance.one_pass.rel_error", one);
  report.metric("variance.two_pass.rel_error", two);
  report.metric("variance.welford.rel_error", wel);
  int negatives = 0;
  double first_lost = NAN;
  for (Eigen::Index j = 0; j < m; ++j) {
    negatives += one_value[j] < 0;
    if (std::isnan(first_lost) && one[j] >= 0.5) first_lost = ratio[j];
  }
  report.metric("variance.one_pass.negative_count", negatives);
  report.metric("variance.one_pass.first_ratio_error_above_half", first_lost);
  const Eigen::Index at1e4 = 8, at1e8 = 16, at1e12 = 24;  // ratio = 10^(j/2)
  for (auto [key, j] : {std::pair{"1e4", at1e4}, {"1e8", at1e8}, {"1e12", at1e12}}) {
    report.metric(fmt::format("variance.one_pass.rel_error_at_{}", key), one[j]);
    report.metric(fmt::format("variance.two_pass.rel_error_at_{}", key), two[j]);
    report.metric(fmt::format("variance.welford.rel_error_at_{}", key), wel[j]);
  }
  report.metric("variance.n", static_cast<double>(n));

  report.text(fmt::format(
      "n = {} standard normal draws shifted by a mean from 1 to 1e14 (the same draws for every "
      "mean, so only the ratio mean/std changes). The exact variance of the stored doubles is "
      "computed in 50 digits. The condition number of the variance is about mean/std "
      "(Chan, Golub and LeVeque 1983): a perturbation of u in the data moves the variance by "
      "u mean/std relatively, so u mean/std is the most any method can promise; the "
      "one-pass formula (7) subtracts two numbers of size n mean^2 to get one of size n std^2 "
      "and loses u (mean/std)^2.",
      n));
  mlc::Figure fig("Sample variance: relative error against mean / std");
  fig.xlabel("mean / std").ylabel("relative error").logx().logy().legend("top left");
  fig.line_points(ratio, for_log_axis(one), "one-pass (7)")
      .line_points(ratio, for_log_axis(two), "two-pass (8)")
      .line_points(ratio, for_log_axis(wel), "Welford (9)")
      .line(ratio, bound_one, "u (mean/std)^2", {.color = 0, .dash = true})
      .line(ratio, bound_wel, "u mean/std", {.color = 2, .dash = true})
      .hline(1.0, "all digits lost", {.color = 8, .dash = true});
  report.figure(fig, "variance_error",
                "relative error of three variance algorithms against the ratio mean/std "
                "(std = 1, log axes). Errors of exactly 0 are drawn at 1e-18.");
  std::vector<std::vector<std::string>> rows;
  for (Eigen::Index j = 0; j < m; j += 4)
    rows.push_back(
        {num(ratio[j], 2), num(one_value[j], 4), num(one[j], 3), num(two[j], 3), num(wel[j], 3)});
  report.table({"mean / std", "one-pass value", "one-pass rel. error", "two-pass rel. error",
                "Welford rel. error"},
               rows);
  report.text(fmt::format(
      "The one-pass formula has relative error {} at mean/std = 1e4 and no correct digit "
      "from mean/std = {} on (relative error {} at 1e8); "
      "it returned a negative variance at {} of the {} ratios. Two-pass and Welford stay "
      "within a small multiple of u mean/std: {} and {} at 1e8.",
      num(one[at1e4], 3), num(first_lost, 3), num(one[at1e8], 3), negatives, m, num(two[at1e8], 3),
      num(wel[at1e8], 3)));
  fmt::print("variance: mean/std = 1e8: one-pass error {:.2e}, two-pass {:.2e}, Welford {:.2e}\n",
             one[at1e8], two[at1e8], wel[at1e8]);

  report.failure_mode(
      {.name = "One-pass variance loses every digit when mean/std > 1e8",
       .trigger = fmt::format("n = {} values with std 1 and mean from 1 to 1e14", n),
       .symptom = fmt::format(
           "relative error of (sum x^2 - (sum x)^2/n)/(n-1): {} at mean/std = 1e4, {} at 1e8, "
           "{} at 1e12; relative error >= 0.5 from mean/std = {} on; negative variance at {} "
           "of {} ratios",
           num(one[at1e4], 3), num(one[at1e8], 3), num(one[at1e12], 3), num(first_lost, 3),
           negatives, m),
       .why = "sum x^2 and (sum x)^2/n are each about n mean^2 and carry rounding errors of "
              "u n mean^2; their difference n std^2 is smaller by (std/mean)^2, so the "
              "relative error is u (mean/std)^2, which reaches 1 at mean/std = 1/sqrt(u) = 9.5e7.",
       .mitigation = fmt::format(
           "subtract the mean before squaring: two-pass relative error {} and Welford's "
           "one-pass update {} at mean/std = 1e8 ({} and {} at 1e12), both within the "
           "conditioning limit u mean/std.",
           num(two[at1e8], 3), num(wel[at1e8], 3), num(two[at1e12], 3), num(wel[at1e12], 3))});
}

// ---- 4. log-sum-exp and softmax -------------------------------------------------------

// A probability vector: finite and summing to 1 (to far better than 1e-12).
bool is_distribution(const Eigen::VectorXd& p) {
  return p.allFinite() && std::abs(p.sum() - 1.0) <= 1e-12;
}

void softmax(mlc::Report& report, mlc::Rng& rng, bool quick) {
  report.section("log-sum-exp and softmax");
  const Eigen::Index K = 10;
  Eigen::VectorXd w = rng.uniform_vector(K, -3.0, 0.0);
  w[0] = 0.0;  // the largest logit of c + w is exactly c
  // The logits c + w for a shift c: softmax is unchanged by c in exact arithmetic and
  // log-sum-exp moves with it, so any change of the error with c is finite precision at work.
  const double step = quick ? 50.0 : 10.0;
  const auto m = static_cast<Eigen::Index>(std::lround(2000.0 / step)) + 1;
  const Eigen::VectorXd shift = Eigen::VectorXd::LinSpaced(m, -1000.0, 1000.0);
  Eigen::VectorXd lse_naive(m), lse_stable(m), sm_naive(m), sm_stable(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    const Eigen::VectorXd z = w.array() + shift[j];
    const ref::Real exact = ref::log_sum_exp(z);
    const std::vector<ref::Real> p = ref::softmax(z);
    lse_naive[j] = ref::relative_error(fp::naive_log_sum_exp(z), exact);
    lse_stable[j] = ref::relative_error(fp::log_sum_exp(z), exact);
    sm_naive[j] = ref::max_abs_error(fp::naive_softmax(z), p);
    sm_stable[j] = ref::max_abs_error(fp::softmax(z), p);
  }
  report.metric("softmax.largest_logit", shift);
  report.metric("softmax.naive.max_abs_error", sm_naive);
  report.metric("softmax.stable.max_abs_error", sm_stable);
  report.metric("lse.naive.rel_error", lse_naive);
  report.metric("lse.stable.rel_error", lse_stable);
  report.metric("softmax.stable.worst_abs_error", finite_max(sm_stable));
  report.metric("lse.stable.worst_rel_error_over_u", finite_max(lse_stable) / kU);

  // The thresholds, by bisection on the shift c.
  const auto logits = [&](double c) { return Eigen::VectorXd(w.array() + c); };
  const double sm_wrong = fp::last_double_where(
      [&](double c) { return is_distribution(fp::naive_softmax(logits(c))); }, 0.0, 1e4);
  const double sm_nan = fp::last_double_where(
      [&](double c) { return fp::naive_softmax(logits(c)).allFinite(); }, 0.0, 1e4);
  const double lse_inf = fp::last_double_where(
      [&](double c) { return std::isfinite(fp::naive_log_sum_exp(logits(c))); }, 0.0, 1e4);
  const double sm_under = -fp::last_double_where(
      [&](double t) { return fp::naive_softmax(logits(-t)).allFinite(); }, 0.0, 1e4);
  const double lse_w =
      fp::log_sum_exp(w);  // the sum e^c sum e^w_i overflows at log(DBL_MAX) - this
  report.metric("softmax.naive_wrong_above_logit", sm_wrong);
  report.metric("softmax.naive_nan_above_logit", sm_nan);
  report.metric("softmax.naive_nan_below_logit", sm_under);
  report.metric("lse.naive_inf_above_logit", lse_inf);
  report.metric("lse.predicted_inf_logit", kLogDblMax - lse_w);
  report.metric("softmax.log_dbl_max", kLogDblMax);

  // K equal logits c: the sum K e^c overflows at c = log(DBL_MAX) - log K.
  std::vector<std::vector<std::string>> rows;
  for (const Eigen::Index k : {1, 10, 1000}) {
    const Eigen::VectorXd ones = Eigen::VectorXd::Ones(k);
    const double c_over = fp::last_double_where(
        [&](double c) { return std::isfinite(fp::naive_log_sum_exp(c * ones)); }, 1.0, 1e4);
    const double predicted = kLogDblMax - std::log(static_cast<double>(k));
    report.metric(fmt::format("lse.equal_logits_K{}.naive_inf_above_logit", k), c_over);
    report.metric(fmt::format("lse.equal_logits_K{}.predicted_inf_logit", k), predicted);
    rows.push_back(
        {std::to_string(k), fmt::format("{:.9f}", c_over), fmt::format("{:.9f}", predicted)});
  }
  // Where naive and shifted both work, how do they compare? (|c| <= 700)
  double naive_inside = 0, stable_inside = 0, naive_subnormal = 0;
  for (Eigen::Index j = 0; j < m; ++j) {
    if (std::abs(shift[j]) <= 700) {
      naive_inside = std::max(naive_inside, sm_naive[j]);
      stable_inside = std::max(stable_inside, sm_stable[j]);
    }
    // Below c = log(DBL_MIN) = -708.4 the terms e^z_i are subnormal: fewer significant bits.
    if (shift[j] < -700 && std::isfinite(sm_naive[j]))
      naive_subnormal = std::max(naive_subnormal, sm_naive[j]);
  }
  report.metric("softmax.naive.worst_abs_error_below_minus_700", naive_subnormal);
  report.metric("softmax.naive.worst_abs_error_within_700", naive_inside);
  report.metric("softmax.stable.worst_abs_error_within_700", stable_inside);

  report.text(fmt::format(
      "K = {} logits c + w, with w uniform on [-3, 0] and w_1 = 0, so that the largest logit is "
      "c; c sweeps -1000 ... 1000. The softmax does not depend on c in exact arithmetic. "
      "Softmax error is the largest absolute error over the K probabilities (they lie in "
      "[0, 1]); log-sum-exp error is relative. Exact values in 50 digits, where exp cannot "
      "overflow.",
      K));
  mlc::Figure fig("log-sum-exp and softmax: error against the largest logit");
  fig.xlabel("largest logit c").ylabel("error").logy().legend("right center");
  fig.line_points(shift, for_log_axis(lse_naive), "log-sum-exp naive (rel.)")
      .line_points(shift, for_log_axis(sm_naive), "softmax naive (abs.)")
      .line_points(shift, for_log_axis(lse_stable), "log-sum-exp shifted (10) (rel.)")
      .line_points(shift, for_log_axis(sm_stable), "softmax shifted (11) (abs.)")
      .vline(kLogDblMax, "log(DBL_MAX)", {.color = 8, .dash = true})
      .vline(sm_under, "exp = 0", {.color = 8, .dash = true})
      .yrange(1e-19, 1e3);
  report.figure(fig, "softmax_error",
                "error of naive and max-shifted log-sum-exp and softmax against the largest "
                "logit c; the naive curves exist only between the dashed lines, where exp "
                "neither overflows nor underflows to 0. Errors of exactly 0 are drawn at 1e-18.");
  report.text(fmt::format(
      "By bisection on c: naive log-sum-exp returns inf above c = {:.9f}, where the sum "
      "e^c (sum_i e^w_i) passes DBL_MAX (predicted: log(DBL_MAX) - lse(w) = {:.9f}); naive "
      "softmax then returns all zeros (each e^z_i / inf) and is not a distribution above "
      "c = {:.9f}, and returns NaN (inf / inf) above c = {:.9f}, where exp itself overflows "
      "(log(DBL_MAX) = {:.9f}). At the other end every e^z_i underflows to 0 and naive softmax "
      "is 0/0 = NaN below c = {:.9f}; just above that, the terms are subnormal and the naive "
      "softmax error rises to {}. Where both work (|c| <= 700) the naive softmax error is at "
      "most {} and the shifted one {}.",
      lse_inf, kLogDblMax - lse_w, sm_wrong, sm_nan, kLogDblMax, sm_under, num(naive_subnormal, 3),
      num(naive_inside, 3), num(stable_inside, 3)));
  report.text(
      "With K equal logits the sum K e^c overflows earlier still, at log(DBL_MAX) - log K:");
  report.table({"K equal logits", "naive log-sum-exp inf above c =", "log(DBL_MAX) - log K"}, rows);
  report.text(fmt::format(
      "The shifted forms are finite and accurate for every logit tried: worst softmax error "
      "{} and worst log-sum-exp relative error {} u over c = -1000 ... 1000.",
      num(finite_max(sm_stable), 3), num(finite_max(lse_stable) / kU, 3)));
  fmt::print(
      "softmax: naive wrong above logit {:.6f}, NaN above {:.6f} (log DBL_MAX = {:.6f}); shifted "
      "worst error {:.2e}\n",
      sm_wrong, sm_nan, kLogDblMax, finite_max(sm_stable));

  report.failure_mode(
      {.name = "Naive softmax overflows at logits near log(DBL_MAX) = 709.78",
       .trigger = fmt::format("K = {} logits with the largest c swept from -1000 to 1000", K),
       .symptom = fmt::format(
           "naive log-sum-exp returns inf above c = {:.6f}; naive softmax returns all zeros "
           "above c = {:.6f} and NaN above c = {:.6f} (log(DBL_MAX) = {:.6f}); below c = {:.6f} "
           "it returns 0/0 = NaN; with 1000 equal logits log-sum-exp is inf above {}",
           lse_inf, sm_wrong, sm_nan, kLogDblMax, sm_under, rows[2][1]),
       .why = "exp(z) exceeds DBL_MAX = 1.8e308 for z > 709.78 and rounds to inf, and the sum "
              "of the K terms overflows earlier, by the log of the mass of the other terms; "
              "inf/inf is NaN. Below -745.13 exp(z) rounds to 0 and the normaliser vanishes.",
       .mitigation = fmt::format(
           "subtract the largest logit first (10), (11): the result is unchanged in exact "
           "arithmetic, every exponent is <= 0 and the largest term is exactly 1. Worst "
           "measured softmax error {} and log-sum-exp relative error {} u over c = -1000 ... 1000.",
           num(finite_max(sm_stable), 3), num(finite_max(lse_stable) / kU, 3))});
}

// ---- 5. log1p and expm1 ---------------------------------------------------------------

void log1p_expm1(mlc::Report& report, bool quick) {
  report.section("log(1 + x) and exp(x) - 1 for small x");
  const int steps = quick ? 2 : 4;
  const Eigen::VectorXd x = logspace(-20 * steps, 0, steps);  // 1e-20 ... 1
  const auto m = x.size();
  Eigen::VectorXd l_naive(m), l_kahan(m), l_std(m), e_naive(m), e_kahan(m), e_std(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    const ref::Real l = ref::log1p(x[j]), e = ref::expm1(x[j]);
    l_naive[j] = ref::relative_error(fp::log1p_naive(x[j]), l);
    l_kahan[j] = ref::relative_error(fp::log1p_kahan(x[j]), l);
    l_std[j] = ref::relative_error(std::log1p(x[j]), l);
    e_naive[j] = ref::relative_error(fp::expm1_naive(x[j]), e);
    e_kahan[j] = ref::relative_error(fp::expm1_kahan(x[j]), e);
    e_std[j] = ref::relative_error(std::expm1(x[j]), e);
  }
  report.metric("log1p.x", x);
  report.metric("log1p.naive.rel_error", l_naive);
  report.metric("log1p.kahan.rel_error", l_kahan);
  report.metric("log1p.std.rel_error", l_std);
  report.metric("expm1.naive.rel_error", e_naive);
  report.metric("expm1.kahan.rel_error", e_kahan);
  report.metric("expm1.std.rel_error", e_std);
  report.metric("log1p.kahan.worst_rel_error_over_u", finite_max(l_kahan) / kU);
  report.metric("log1p.std.worst_rel_error_over_u", finite_max(l_std) / kU);
  report.metric("expm1.kahan.worst_rel_error_over_u", finite_max(e_kahan) / kU);
  report.metric("expm1.std.worst_rel_error_over_u", finite_max(e_std) / kU);
  const double naive_at_1em8 = ref::relative_error(fp::log1p_naive(1e-8), ref::log1p(1e-8));
  const double naive_at_1em17 = ref::relative_error(fp::log1p_naive(1e-17), ref::log1p(1e-17));
  report.metric("log1p.naive.rel_error_at_1e-8", naive_at_1em8);
  report.metric("log1p.naive.rel_error_at_1e-17", naive_at_1em17);

  report.text(
      "For small x, 1 + x rounds away the low digits of x: log(1 + x) then has relative error "
      "about u / x, and returns exactly 0 once x < u. exp(x) - 1 subtracts two nearly equal "
      "numbers the same way. Kahan's trick (13), (14) divides by the rounded 1 + x (or e^x) "
      "so that its rounding error cancels; the C library's log1p and expm1 use dedicated "
      "polynomial approximations.");
  mlc::Figure fig("log(1+x) and exp(x)-1: relative error against x");
  fig.xlabel("x").ylabel("relative error").logx().logy().legend("top right");
  fig.line_points(x, for_log_axis(l_naive), "log(1 + x)")
      .line_points(x, for_log_axis(e_naive), "exp(x) - 1")
      .line_points(x, for_log_axis(l_kahan), "log1p, Kahan's trick (13)")
      .line_points(x, for_log_axis(e_kahan), "expm1, Kahan's trick (14)")
      .line_points(x, for_log_axis(l_std), "std::log1p")
      .line_points(x, for_log_axis(e_std), "std::expm1")
      .line(x, (kU / x.array()).min(1.0).matrix(), "u / x", {.color = 8, .dash = true});
  report.figure(fig, "log1p_error",
                "relative error of log(1 + x), exp(x) - 1 and the accurate forms against x; "
                "dashed: u/x. Errors of exactly 0 are drawn at 1e-18.");
  report.text(fmt::format(
      "log(1 + x) has relative error {} at x = 1e-8 and {} at x = 1e-17 (it returns 0). Over "
      "x = 1e-20 ... 1 the worst relative errors are: Kahan's log1p {} u, std::log1p {} u, "
      "Kahan's expm1 {} u, std::expm1 {} u.",
      num(naive_at_1em8, 3), num(naive_at_1em17, 3), num(finite_max(l_kahan) / kU, 3),
      num(finite_max(l_std) / kU, 3), num(finite_max(e_kahan) / kU, 3),
      num(finite_max(e_std) / kU, 3)));
  fmt::print("log1p: naive error {:.2e} at 1e-8, {:.2e} at 1e-17; Kahan worst {:.2f} u\n",
             naive_at_1em8, naive_at_1em17, finite_max(l_kahan) / kU);

  report.failure_mode(
      {.name = "log(1 + x) returns 0 for x below u",
       .trigger = "x swept from 1e-20 to 1",
       .symptom = fmt::format("relative error {} at x = 1e-8 and {} at x = 1e-17, following u / x",
                              num(naive_at_1em8, 3), num(naive_at_1em17, 3)),
       .why = "fl(1 + x) keeps only the digits of x above 2^-53: the rest is lost before the "
              "logarithm is taken, and for x < u it is all of x.",
       .mitigation =
           fmt::format("log1p: Kahan's trick (13) measured at most {} u, std::log1p {} u; for "
                       "exp(x) - 1, expm1 (Kahan's trick {} u).",
                       num(finite_max(l_kahan) / kU, 3), num(finite_max(l_std) / kU, 3),
                       num(finite_max(e_kahan) / kU, 3))});
}

// ---- 6. Sigmoid and the log-loss ------------------------------------------------------

void log_loss(mlc::Report& report, mlc::Rng& rng, bool quick) {
  report.section("The sigmoid and the log-loss from logits");
  // z = 0.01 ... 631: up to where the smallest loss, e^-631, is still a normal double.
  const int steps = quick ? 10 : 20;
  const Eigen::VectorXd z = logspace(-2 * steps, 28 * steps / 10, steps);
  const auto m = z.size();
  Eigen::VectorXd naive0(m), stable0(m), naive1(m), stable1(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    const ref::Real exact0 = ref::log_loss(z[j], 0.0), exact1 = ref::log_loss(z[j], 1.0);
    naive0[j] = ref::relative_error(fp::naive_log_loss(z[j], 0.0), exact0);
    stable0[j] = ref::relative_error(fp::log_loss(z[j], 0.0), exact0);
    naive1[j] = ref::relative_error(fp::naive_log_loss(z[j], 1.0), exact1);
    stable1[j] = ref::relative_error(fp::log_loss(z[j], 1.0), exact1);
  }
  report.metric("log_loss.logit", z);
  report.metric("log_loss.naive.y0.rel_error", naive0);
  report.metric("log_loss.stable.y0.rel_error", stable0);
  report.metric("log_loss.naive.y1.rel_error", naive1);
  report.metric("log_loss.stable.y1.rel_error", stable1);
  const double stable_worst = std::max(finite_max(stable0), finite_max(stable1));
  Eigen::Index last_finite1 = 0;  // the largest logit at which the naive y = 1 loss is finite
  for (Eigen::Index j = 0; j < m; ++j)
    if (std::isfinite(naive1[j])) last_finite1 = j;
  report.metric("log_loss.naive.y1.last_finite_logit", z[last_finite1]);
  report.metric("log_loss.naive.y1.rel_error_at_last_finite", naive1[last_finite1]);
  report.metric("log_loss.stable.worst_rel_error_over_u", stable_worst / kU);

  // The logit above which the naive loss for y = 0 is inf: sigmoid(z) rounds to 1.
  const double inf_above = fp::last_double_where(
      [](double t) { return std::isfinite(fp::naive_log_loss(t, 0.0)); }, 1.0, 1000.0);
  const double predicted = 53 * std::log(2.0);  // 1 + e^-z rounds to 1 once e^-z <= 2^-53
  report.metric("log_loss.naive_inf_above_logit", inf_above);
  report.metric("log_loss.predicted_inf_logit", predicted);
  // The logit below which the naive loss for y = 0 is NaN: 0 * log(0).
  const double nan_below = -fp::last_double_where(
      [](double t) { return !std::isnan(fp::naive_log_loss(-t, 0.0)); }, 1.0, 1000.0);
  report.metric("log_loss.naive_nan_below_logit", nan_below);

  report.text(
      "The loss of one example with logit z and label y, naive (16) against the form from the "
      "logit (17), for y = 0 (loss about z for large z: a confident wrong answer) and y = 1 "
      "(loss about e^-z: a confident right answer). Exact values: y log(1 + e^-z) + (1-y) "
      "log(1 + e^z) in 50 digits.");
  mlc::Figure fig("Binary log-loss: relative error against the logit");
  fig.xlabel("logit z").ylabel("relative error").logx().logy().legend("top left");
  fig.line_points(z, for_log_axis(naive0), "naive (16), y = 0")
      .line_points(z, for_log_axis(naive1), "naive (16), y = 1")
      .line_points(z, for_log_axis(stable0), "from logits (17), y = 0")
      .line_points(z, for_log_axis(stable1), "from logits (17), y = 1")
      .vline(inf_above, "z = 53 log 2", {.color = 8, .dash = true});
  report.figure(fig, "log_loss_error",
                "relative error of the binary log-loss, naive against from logits; both naive "
                "curves end at z = 36.74, where the sigmoid rounds to 1 and the naive loss "
                "returns inf (y = 0) or NaN (y = 1, from 0 log 0). Errors of exactly 0 are "
                "drawn at 1e-18.");

  // A few single cases, naive against stable against exact.
  std::vector<std::vector<std::string>> rows;
  for (const auto& [zc, yc] : {std::pair{40.0, 0.0}, {40.0, 1.0}, {-720.0, 0.0}, {-720.0, 1.0}}) {
    const double naive = fp::naive_log_loss(zc, yc), stable = fp::log_loss(zc, yc);
    const double exact = static_cast<double>(ref::log_loss(zc, yc));
    const std::string key = fmt::format("log_loss.z{}_y{}", zc, yc);
    report.metric(key + ".naive", naive);
    report.metric(key + ".stable", stable);
    report.metric(key + ".exact", exact);
    rows.push_back({num(zc, 4), num(yc, 1), num(naive, 6), num(stable, 6), num(exact, 6)});
  }
  report.text(fmt::format(
      "The naive loss for y = 0 is inf from z = {:.6f} on (the closed form 53 log 2 = {:.6f}: "
      "there e^-z <= u and 1 + e^-z rounds to 1, so the sigmoid is 1 and log(1 - 1) = -inf); "
      "for y = 1 it is NaN from the same z, because the -inf is multiplied by 1 - y = 0; and "
      "for y = 0 it is NaN below z = {:.6f} (e^-z overflows, the sigmoid is 0, 0 log 0 = NaN). "
      "Before it breaks, the naive y = 1 loss (about e^-z) loses digits like u e^z. The form "
      "from logits has worst relative error {} u over the sweep.",
      std::nextafter(inf_above, 1000.0), predicted, nan_below, num(stable_worst / kU, 3)));
  report.table({"z", "y", "naive (16)", "from logits (17)", "exact"}, rows);

  // The sigmoid: the naive form underflows to 0 where e^-z overflows.
  const double s_naive = fp::naive_sigmoid(-720.0), s_stable = fp::sigmoid(-720.0);
  const double s_err = ref::relative_error(s_stable, ref::sigmoid(-720.0));
  report.metric("sigmoid.at_minus_720.naive", s_naive);
  report.metric("sigmoid.at_minus_720.stable", s_stable);
  report.metric("sigmoid.at_minus_720.stable_rel_error", s_err);
  report.text(fmt::format(
      "The sigmoid (15): at z = -720 the naive 1/(1 + e^720) = 1/inf returns {}; the branch "
      "form returns {} (a subnormal, so with relative error {} rather than u).",
      num(s_naive, 4), num(s_stable, 4), num(s_err, 3)));

  // The derivative (18) per example against central differences, over saturated logits too,
  // and the gradient (19) of the mean loss over n moderate logits.
  double per_example = 0;
  for (const double y : {0.0, 0.3, 1.0})
    for (double t = -50.0; t <= 50.0; t += 0.5) {
      const Eigen::VectorXd at = Eigen::VectorXd::Constant(1, t);
      const auto f = [y](const Eigen::VectorXd& v) { return fp::log_loss(v[0], y); };
      const Eigen::VectorXd derivative =
          Eigen::VectorXd::Constant(1, fp::log_loss_derivative(t, y));
      const auto c = mlc::gradcheck(f, derivative, at);
      per_example = std::max(per_example, c.max_absolute_error);
    }
  const Eigen::Index n = quick ? 20 : 50;
  const Eigen::VectorXd logits = rng.normal_vector(n, 0.0, 2.0);
  Eigen::VectorXd labels(n);
  for (Eigen::Index i = 0; i < n; ++i) labels[i] = rng.bernoulli(0.5) ? 1.0 : 0.0;
  const auto loss = [&](const Eigen::VectorXd& t) { return fp::mean_log_loss(t, labels); };
  const auto check = mlc::gradcheck(loss, fp::mean_log_loss_gradient(logits, labels), logits);
  report.metric("log_loss.gradcheck.per_example_max_abs_error", per_example);
  report.metric("log_loss.gradcheck.mean_loss_rel_error", check.relative_error);
  report.text(fmt::format(
      "The derivative (18), sigmoid(z) - y, against central differences (h = 1e-6): maximum "
      "absolute difference {} over z = -50, -49.5, ..., 50 and y in {{0, 0.3, 1}} (a difference "
      "of two numbers in [0, 1] is accurate to about u in absolute terms only: sigmoid(50) - 1 "
      "rounds to 0, so relative errors are meaningless there); the gradient "
      "(19) of the mean loss over n = {} logits from N(0, 2^2): norm-wise relative error {}. "
      "(For a mean over many saturated logits the rounding error u |f| / h of the differences "
      "swamps gradient entries of order e^-|z| / n; the norm-wise error weighs such entries by "
      "their size and would not see them wrong, so large logits are checked one example at a "
      "time.)",
      num(per_example, 3), n, num(check.relative_error, 3)));
  fmt::print(
      "log-loss: naive inf above z = {:.6f}; stable worst {:.2f} u; gradcheck (18) abs {:.2e}, "
      "(19) rel {:.2e}\n",
      inf_above, stable_worst / kU, per_example, check.relative_error);

  report.failure_mode(
      {.name =
           "Naive log-loss returns inf for confident wrong logits and NaN for confident right ones",
       .trigger =
           "the naive loss -[y log s + (1-y) log(1-s)], s = 1/(1+e^-z), over z = 0.01 ... 631",
       .symptom = fmt::format(
           "y = 0: inf for z above {:.6f}; y = 1: NaN from the same logit on, after a relative "
           "error growing like u e^z ({} at z = {}); y = 0 and z below {:.6f}: NaN",
           inf_above, num(naive1[last_finite1], 3), num(z[last_finite1], 4), nan_below),
       .why = "the sigmoid rounds to 1 once e^-z < u (z > 53 log 2) and to 0 once e^-z "
              "overflows; the logarithm of 1 - 1 = 0 is -inf and 0 * log 0 is NaN. The "
              "information was lost in the sigmoid, before the logarithm.",
       .mitigation = fmt::format(
           "compute the loss from the logit, max(z,0) - yz + log1p(e^-|z|) (17): worst "
           "relative error {} u over the sweep; its derivative (18) checked to {} even at "
           "|z| = 50.",
           num(stable_worst / kU, 3), num(per_example, 3))});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  mlc::Rng rng(opt.seed);
  mlc::Timer timer;
  machine_epsilon(report);
  summation(report, rng, opt.quick);
  report.timing("summation_seconds", timer.seconds());
  variance(report, rng, opt.quick);
  softmax(report, rng, opt.quick);
  log1p_expm1(report, opt.quick);
  log_loss(report, rng, opt.quick);
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
