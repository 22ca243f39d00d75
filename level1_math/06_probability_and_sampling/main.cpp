// 1.6 probability_and_sampling: samplers from uniforms, LLN and CLT by simulation, and a
// Kolmogorov–Smirnov test written from scratch, each checked against Boost.Math.
//
// Shows: inverse-CDF (closed forms and Boost quantiles), Box–Muller, rejection and
// importance sampling, every sampler graded by the KS test and by its moments; the KS
// p-value checked against tabled and exact critical values and by simulation under the
// null; the CLT rate n^-1/2 against Berry–Esseen; and three failure modes: the CLT for
// Cauchy samples, importance sampling with a light-tailed proposal, and the KS test with
// estimated parameters (Lilliefors). Follows Devroye (1986), Robert & Casella (2004),
// Stephens (1974), Marsaglia, Tsang & Wang (2003); see NOTES.md.
//
// Run:  ./learn run probability_and_sampling [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/cauchy.hpp>
#include <boost/math/distributions/exponential.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/uniform.hpp>
#include <boost/math/quadrature/exp_sinh.hpp>

#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/error.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/timer.hpp"
#include "probability_and_sampling.hpp"

namespace {

namespace bm = boost::math;
namespace ps = probability_and_sampling;
using Eigen::VectorXd;
using mlc::num;

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Builds samplers from uniform random numbers (inverse CDF with closed forms and with "
    "Boost.Math quantiles, Box-Muller, rejection, importance sampling) and grades each one "
    "with a Kolmogorov-Smirnov test written from scratch (checked against tabled and exact "
    "critical values and by simulation) and with its moments. Shows the law of large "
    "numbers and the central limit theorem by simulation (KS distance of standardized means "
    "vs n against Berry-Esseen), and provokes three failures: the CLT for Cauchy samples, "
    "importance sampling with a light-tailed proposal (ESS collapse), and the KS test with "
    "estimated parameters.",
    "report.md, metrics.json, figures/inverse_cdf.svg, figures/rejection.svg, "
    "figures/clt_ks_distance.svg, figures/clt_histograms.svg, figures/running_means.svg, "
    "figures/importance_ess.svg");

// Log-spaced integers 1 = n_0 < ... <= n_max with about `per_decade` points per decade.
std::vector<Eigen::Index> log_indices(Eigen::Index n_max, int per_decade) {
  std::vector<Eigen::Index> idx;
  const int steps =
      static_cast<int>(std::ceil(std::log10(static_cast<double>(n_max)) * per_decade));
  for (int s = 0; s <= steps; ++s) {
    const auto k =
        static_cast<Eigen::Index>(std::round(std::pow(10.0, static_cast<double>(s) / per_decade)));
    if (k <= n_max && (idx.empty() || k > idx.back())) idx.push_back(k);
  }
  return idx;
}

VectorXd grid(double lo, double hi, int points) {
  return VectorXd::LinSpaced(points, lo, hi);
}

// A density histogram drawn as an outline (a staircase line), so that several can overlap:
// bin heights count / (n_total · width) over `bins` equal bins of [lo, hi].
std::pair<VectorXd, VectorXd> step_histogram(const VectorXd& values, int bins, double lo,
                                             double hi) {
  VectorXd counts = VectorXd::Zero(bins);
  const double width = (hi - lo) / bins;
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    if (!(values(i) >= lo && values(i) < hi)) continue;
    counts(std::min(bins - 1, static_cast<int>((values(i) - lo) / width))) += 1.0;
  }
  counts /= static_cast<double>(values.size()) * width;
  VectorXd x(2 * bins + 2), y(2 * bins + 2);
  x(0) = lo;
  y(0) = 0.0;
  for (int b = 0; b < bins; ++b) {
    x(2 * b + 1) = lo + b * width;
    x(2 * b + 2) = lo + (b + 1) * width;
    y(2 * b + 1) = y(2 * b + 2) = counts(b);
  }
  x(2 * bins + 1) = hi;
  y(2 * bins + 1) = 0.0;
  return {x, y};
}

template <class F>
VectorXd apply(const VectorXd& x, F f) {
  VectorXd y(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) y(i) = f(x(i));
  return y;
}

// z-score of a sample mean against the true mean: (x̄ - μ) / (σ/√n).
double mean_z(const VectorXd& x, double mu, double var) {
  return (ps::sample_mean(x) - mu) / std::sqrt(var / static_cast<double>(x.size()));
}
// z-score of the sample variance: SE(s²) ≈ σ² √((κ - 1)/n), κ = μ4/σ⁴ (delta method).
double var_z(const VectorXd& x, double var, double kurtosis) {
  return (ps::sample_variance(x) - var) /
         (var * std::sqrt((kurtosis - 1.0) / static_cast<double>(x.size())));
}

// The bimodal target of the rejection experiment: 0.35 N(-2, 0.6²) + 0.65 N(1.5, 1).
struct Bimodal {
  bm::normal left{-2.0, 0.6}, right{1.5, 1.0};
  double w = 0.35;
  double pdf(double x) const { return w * bm::pdf(left, x) + (1 - w) * bm::pdf(right, x); }
  double cdf(double x) const { return w * bm::cdf(left, x) + (1 - w) * bm::cdf(right, x); }
  double mean() const { return w * -2.0 + (1 - w) * 1.5; }
  double variance() const {
    const double m2 = w * (0.36 + 4.0) + (1 - w) * (1.0 + 2.25);
    return m2 - mean() * mean();
  }
};

// ------------------------------------------------------------------------ 1. samplers
void samplers(mlc::Report& report, mlc::Rng& rng, bool quick) {
  const Eigen::Index n = quick ? 4000 : 20000;
  report.section("Samplers from uniforms, graded by KS and by moments");
  report.text(fmt::format(
      "Each sampler draws n = {} values from mlc::Rng uniforms. The Kolmogorov-Smirnov test "
      "(10)-(13) compares the sample with the Boost.Math CDF; the mean and variance are "
      "compared with Boost's moments in units of their Monte-Carlo standard errors "
      "(z = (estimate - truth)/SE, SE(mean) = σ/√n, SE(s²) = σ²√((κ-1)/n)). The last row is a "
      "deliberately wrong sampler (Box-Muller with r = √(-log u1), i.e. variance 1/2): the "
      "test must reject it.",
      n));
  struct Row {
    std::string name, key;
    VectorXd x;
    ps::Cdf cdf;
    double mean, var, kurt;  // NaN when the moments do not exist (Cauchy)
  };
  std::vector<Row> rows;
  const bm::exponential_distribution<> expo(2.0);
  const bm::cauchy_distribution<> cauchy(0.0, 1.0);
  const bm::gamma_distribution<> gam(2.5, 1.0);
  const bm::normal_distribution<> normal(0.0, 1.0);
  const bm::beta_distribution<> beta(2.0, 5.0);
  const double nan = std::nan("");

  Row r1{"Exponential(2), inverse CDF (2)",
         "exponential",
         ps::inverse_cdf_sample([](double u) { return ps::exponential_quantile(u, 2.0); }, rng, n),
         [&](double x) { return bm::cdf(expo, x); },
         bm::mean(expo),
         bm::variance(expo),
         bm::kurtosis(expo)};
  rows.push_back(r1);
  Row r2{"Cauchy(0,1), inverse CDF (3)",
         "cauchy",
         ps::inverse_cdf_sample([](double u) { return ps::cauchy_quantile(u, 0.0, 1.0); }, rng, n),
         [&](double x) { return bm::cdf(cauchy, x); },
         nan,
         nan,
         nan};
  rows.push_back(r2);
  Row r3{"Gamma(2.5,1), Boost quantile (1)",
         "gamma",
         ps::inverse_cdf_sample([&](double u) { return bm::quantile(gam, u); }, rng, n),
         [&](double x) { return bm::cdf(gam, x); },
         bm::mean(gam),
         bm::variance(gam),
         bm::kurtosis(gam)};
  rows.push_back(r3);
  Row r4{"N(0,1), Box-Muller (4)",
         "box_muller",
         ps::sample_normal_box_muller(rng, n),
         [&](double x) { return bm::cdf(normal, x); },
         0.0,
         1.0,
         3.0};
  rows.push_back(r4);

  // Rejection: Beta(2,5) from a uniform proposal; M = max pdf at the mode (a-1)/(a+b-2).
  const double m_beta = bm::pdf(beta, 0.2);
  const auto rej_beta = ps::rejection_sample([&](double x) { return bm::pdf(beta, x); },
                                             [](mlc::Rng& r) { return r.uniform(); },
                                             [](double) { return 1.0; }, m_beta, rng, n);
  rows.push_back({"Beta(2,5), rejection from U(0,1) (5)", "beta", rej_beta.samples,
                  [&](double x) { return bm::cdf(beta, x); }, bm::mean(beta), bm::variance(beta),
                  bm::kurtosis(beta)});
  // Rejection: the bimodal mixture from a N(0, 3²) proposal; M found on a grid, +2 %.
  const Bimodal bi;
  const bm::normal_distribution<> prop(0.0, 3.0);
  auto bi_pdf = [&](double x) { return bi.pdf(x); };
  auto prop_pdf = [&](double x) { return bm::pdf(prop, x); };
  const double m_bi = 1.02 * ps::envelope_constant(bi_pdf, prop_pdf, -15.0, 15.0);
  const auto rej_bi = ps::rejection_sample(
      bi_pdf, [](mlc::Rng& r) { return r.normal(0.0, 3.0); }, prop_pdf, m_bi, rng, n);
  // Kurtosis of the mixture for SE(s²): fourth central moment from the components.
  double mu4 = 0.0;
  for (auto [w, mu, sd] : {std::tuple{bi.w, -2.0, 0.6}, std::tuple{1 - bi.w, 1.5, 1.0}}) {
    const double d = mu - bi.mean();
    mu4 += w * (d * d * d * d + 6 * d * d * sd * sd + 3 * sd * sd * sd * sd);
  }
  rows.push_back({"Bimodal mixture, rejection from N(0,9) (5)", "bimodal", rej_bi.samples,
                  [&](double x) { return bi.cdf(x); }, bi.mean(), bi.variance(),
                  mu4 / (bi.variance() * bi.variance())});
  // The deliberately wrong sampler: Box-Muller without the factor 2 in r = √(-2 log u1).
  VectorXd wrong(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
    wrong(i) = std::sqrt(-std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  rows.push_back({"WRONG: Box-Muller with r = √(-log u1)", "wrong_box_muller", wrong,
                  [&](double x) { return bm::cdf(normal, x); }, 0.0, 1.0, 3.0});

  std::vector<std::vector<std::string>> table;
  for (const auto& r : rows) {
    const auto ks = ps::ks_test(r.x, r.cdf);
    report.metric("samplers." + r.key + ".ks_d", ks.statistic);
    report.metric("samplers." + r.key + ".ks_p", ks.p_value);
    std::string mz = "-", vz = "-";
    if (std::isfinite(r.mean)) {
      const double zm = mean_z(r.x, r.mean, r.var), zv = var_z(r.x, r.var, r.kurt);
      report.metric("samplers." + r.key + ".mean_z", zm);
      report.metric("samplers." + r.key + ".var_z", zv);
      mz = num(zm, 3);
      vz = num(zv, 3);
    } else {
      // Cauchy: no mean; the sample median has SE π γ / (2 √n) (density 1/(πγ) at 0).
      const double zmed =
          ps::sample_median(r.x) / (std::numbers::pi / (2.0 * std::sqrt(static_cast<double>(n))));
      report.metric("samplers." + r.key + ".median_z", zmed);
      mz = num(zmed, 3) + " (median)";
    }
    table.push_back({r.name, num(ks.statistic, 3), num(ks.p_value, 3), mz, vz});
    fmt::print("  {:<44} D = {:.4f}  p = {:.3g}  z(mean) = {}  z(var) = {}\n", r.name, ks.statistic,
               ks.p_value, mz, vz);
  }
  report.table({"sampler", "KS D_n", "KS p-value", "z(mean)", "z(variance)"}, table);

  const double acc_beta = rej_beta.acceptance_rate(), acc_bi = rej_bi.acceptance_rate();
  report.metric("rejection.beta.acceptance", acc_beta);
  report.metric("rejection.beta.theory", 1.0 / m_beta);
  report.metric("rejection.bimodal.acceptance", acc_bi);
  report.metric("rejection.bimodal.theory", 1.0 / m_bi);
  report.metric("rejection.bimodal.envelope_violations",
                static_cast<double>(rej_bi.envelope_violations));
  auto acc_se = [](double p, long proposals) {
    return std::sqrt(p * (1 - p) / static_cast<double>(proposals));
  };
  report.text(fmt::format(
      "Rejection sampling accepts a proposal with probability 1/M (6). Measured acceptance "
      "rates against 1/M (the number of proposals for n acceptances is negative-binomial; the "
      "SE shown is the binomial √(p(1-p)/proposals)):"));
  report.table({"target", "proposal", "M", "acceptance", "1/M", "SE"},
               {{"Beta(2,5)", "U(0,1)", num(m_beta), num(acc_beta), num(1.0 / m_beta),
                 num(acc_se(1.0 / m_beta, rej_beta.proposals), 2)},
                {"bimodal mixture", "N(0, 3²)", num(m_bi), num(acc_bi), num(1.0 / m_bi),
                 num(acc_se(1.0 / m_bi, rej_bi.proposals), 2)}});
  fmt::print("  rejection acceptance: Beta {:.4f} (1/M = {:.4f}), bimodal {:.4f} (1/M = {:.4f})\n",
             acc_beta, 1.0 / m_beta, acc_bi, 1.0 / m_bi);

  // Figure: inverse-CDF and Box-Muller histograms over the Boost densities.
  mlc::Figure f1("Inverse-CDF and Box-Muller samples over the true densities");
  f1.xlabel("x").ylabel("density").xrange(-4.0, 8.0);
  const VectorXd xs = grid(-4.0, 8.0, 481);
  const VectorXd xp = grid(0.0, 4.0, 200), xg = grid(0.0, 8.0, 400);
  const auto [hx0, hy0] = step_histogram(rows[3].x, 64, -4.0, 4.0);
  const auto [hx1, hy1] = step_histogram(rows[0].x, 64, 0.0, 4.0);
  const auto [hx2, hy2] = step_histogram(rows[2].x, 80, 0.0, 8.0);
  f1.line(hx0, hy0, "Box-Muller N(0,1)", {.color = 0, .width = 1.2});
  f1.line(hx1, hy1, "inverse CDF Exp(2)", {.color = 1, .width = 1.2});
  f1.line(hx2, hy2, "Boost quantile Gamma(2.5,1)", {.color = 2, .width = 1.2});
  f1.line(xs, apply(xs, [&](double x) { return bm::pdf(normal, x); }), "true pdfs (Boost)",
          {.color = 7, .width = 1.5, .dash = true});
  f1.line(xp, apply(xp, [&](double x) { return bm::pdf(expo, x); }), "",
          {.color = 7, .width = 1.5, .dash = true});
  f1.line(xg, apply(xg, [&](double x) { return bm::pdf(gam, x); }), "",
          {.color = 7, .width = 1.5, .dash = true});
  f1.yrange(0.0, 2.1);
  report.figure(
      f1, "inverse_cdf",
      "Density histograms of the samples (coloured outlines) over the Boost.Math pdfs (dashed).");

  mlc::Figure f2("Rejection sampling of a bimodal mixture from N(0, 3²)");
  f2.xlabel("x").ylabel("density");
  const VectorXd xb = grid(-6.0, 6.0, 481);
  f2.histogram(rej_bi.samples, 80, "accepted samples", true, std::pair{-6.0, 6.0});
  f2.line(xb, apply(xb, bi_pdf), "target p(x)", {.width = 2});
  f2.line(xb, apply(xb, [&](double x) { return m_bi * prop_pdf(x); }), "envelope M q(x)",
          {.dash = true});
  report.figure(f2, "rejection",
                fmt::format("Accepted draws (histogram), the target density and the envelope M q "
                            "(M = {}); the acceptance rate {} matches 1/M = {}.",
                            num(m_bi), num(acc_bi), num(1.0 / m_bi)));
}

// --------------------------------------------------------------- 2. the KS test itself
void ks_validation(mlc::Report& report, mlc::Rng& rng, bool quick) {
  report.section("The Kolmogorov-Smirnov test, checked");
  // Asymptotic critical values: solve Q(λ) = α by bisection.
  auto lambda_alpha = [](double alpha) {
    double lo = 0.3, hi = 4.0;
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (lo + hi);
      (ps::kolmogorov_q(mid) > alpha ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
  };
  const double l05 = lambda_alpha(0.05), l01 = lambda_alpha(0.01);
  report.metric("ks.lambda_05", l05);
  report.metric("ks.lambda_01", l01);
  report.text(fmt::format(
      "Solving Q(λ) = α (11) gives the asymptotic critical values λ(5 %) = {} and λ(1 %) = {} "
      "(tables: 1.358 and 1.628, i.e. D > 1.358/√n rejects at 5 %). For finite n the table below "
      "uses the tabled exact 5 % critical values of D_n (Miller 1956) and compares three p-values "
      "at those points: the exact one (14) by the Marsaglia-Tsang-Wang matrix power, Stephens' "
      "corrected asymptotic one (13), and the uncorrected Q(√n D).",
      num(l05, 5), num(l01, 5)));
  struct Tab {
    int n;
    double d;
  };
  const std::vector<Tab> tabled{{5, 0.56328}, {10, 0.40925}, {20, 0.29408}, {30, 0.24170}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tabled) {
    const double exact = 1.0 - ps::kolmogorov_exact_cdf(t.d, t.n);
    const double stephens = ps::kolmogorov_pvalue(t.d, t.n);
    const double raw = ps::kolmogorov_q(std::sqrt(static_cast<double>(t.n)) * t.d);
    const std::string k = fmt::format("ks.table.n{}", t.n);
    report.metric(k + ".exact_p", exact);
    report.metric(k + ".stephens_p", stephens);
    report.metric(k + ".uncorrected_p", raw);
    rows.push_back(
        {std::to_string(t.n), num(t.d, 5), num(exact, 4), num(stephens, 4), num(raw, 4)});
  }
  report.table({"n", "tabled D (5 %)", "exact p (14)", "Stephens p (13)", "uncorrected Q(√n D)"},
               rows);

  // Null simulation: p-values of uniform samples against the U(0,1) CDF.
  const int reps = quick ? 600 : 4000;
  const double se = std::sqrt(0.05 * 0.95 / reps);
  report.text(fmt::format(
      "Under the null the p-value is uniform. {} samples of size n from U(0,1) were tested "
      "against the U(0,1) CDF; the rejection rate at α = 0.05 should be 0.05 within the "
      "Monte-Carlo SE √(0.05·0.95/{}) = {}, and the p-values themselves should pass a KS test "
      "for uniformity.",
      reps, reps, num(se, 2)));
  std::vector<std::vector<std::string>> null_rows;
  for (const int n : {10, 100}) {
    VectorXd p(reps), p_raw(reps), p_exact(reps);
    for (int r = 0; r < reps; ++r) {
      const VectorXd u = rng.uniform_vector(n);
      const double d = ps::ks_statistic(u, [](double x) { return std::clamp(x, 0.0, 1.0); });
      p(r) = ps::kolmogorov_pvalue(d, n);
      p_raw(r) = ps::kolmogorov_q(std::sqrt(static_cast<double>(n)) * d);
      if (n == 10) p_exact(r) = 1.0 - ps::kolmogorov_exact_cdf(d, n);  // (14), cheap at n = 10
    }
    const double rate = (p.array() < 0.05).cast<double>().mean();
    const double rate_raw = (p_raw.array() < 0.05).cast<double>().mean();
    const auto unif = [](double x) { return std::clamp(x, 0.0, 1.0); };
    const auto pp = ps::ks_test(p, unif);
    const std::string k = fmt::format("ks.null.n{}", n);
    report.metric(k + ".rejection_rate", rate);
    report.metric(k + ".rejection_rate_uncorrected", rate_raw);
    report.metric(k + ".pvalue_uniformity_p", pp.p_value);
    std::string exact_cell = "-";
    if (n == 10) {
      const auto pe = ps::ks_test(p_exact, unif);
      report.metric(k + ".exact_pvalue_uniformity_p", pe.p_value);
      exact_cell = num(pe.p_value, 3);
    }
    null_rows.push_back({std::to_string(n), num(rate), num((rate - 0.05) / se, 3), num(rate_raw),
                         num(pp.p_value, 3), exact_cell});
    fmt::print(
        "  KS null, n = {}: rejection rate {:.4f} (uncorrected {:.4f}), KS p of p-values {:.3g} "
        "(exact: {})\n",
        n, rate, rate_raw, pp.p_value, exact_cell);
  }
  // Where is Stephens' formula off? max |p_(13) - p_(14)| over a grid of D, n = 10.
  double worst = 0.0, worst_p = 0.0;
  for (double d = 0.06; d < 0.9; d += 0.0005) {
    const double pe = 1.0 - ps::kolmogorov_exact_cdf(d, 10), pst = ps::kolmogorov_pvalue(d, 10);
    if (std::abs(pe - pst) > worst) {
      worst = std::abs(pe - pst);
      worst_p = pe;
    }
  }
  report.metric("ks.stephens.n10.max_abs_error", worst);
  report.metric("ks.stephens.n10.max_error_at_p", worst_p);
  report.metric("ks.null.se", se);
  report.table({"n", "rejection rate (13)", "z vs 0.05", "rate, uncorrected Q(√n D)",
                "KS p of the p-values (13)", "KS p of the exact p-values (14)"},
               null_rows);
  report.text(fmt::format(
      "Stephens' formula is tuned for the upper tail, where tests are decided: over D in [0.06, "
      "0.9] at "
      "n = 10 its largest error against the exact p-value (14) is {}, at an exact p-value of {}. "
      "Its "
      "p-values are therefore not exactly uniform in the bulk, which a KS test of {} p-values can "
      "detect; the exact p-values carry no such error.",
      num(worst, 3), num(worst_p, 3), reps));
}

// -------------------------------------------- 3. failure: KS with estimated parameters
void lilliefors(mlc::Report& report, mlc::Rng& rng, bool quick) {
  const int reps = quick ? 600 : 4000;
  const int n = 50;
  const bm::normal_distribution<> std_normal;
  // D of a normal sample against N(x̄, s²) fitted to that same sample.
  auto d_fitted = [&](const VectorXd& x) {
    const double m = ps::sample_mean(x), s = std::sqrt(ps::sample_variance(x));
    return ps::ks_statistic(x, [&](double t) { return bm::cdf(std_normal, (t - m) / s); });
  };
  // Calibration (Lilliefors 1967, by simulation): D with fitted parameters has a
  // parameter-free null law for a location-scale family, so its 95 % quantile can be
  // simulated once from N(0,1) and reused.
  VectorXd d_cal(reps);
  for (int r = 0; r < reps; ++r) d_cal(r) = d_fitted(rng.normal_vector(n));
  const double c95 = ps::sample_quantile(d_cal, 0.95);
  // Fresh samples from N(3, 2²): the null is true (the data are normal).
  int reject_naive = 0, reject_cal = 0;
  for (int r = 0; r < reps; ++r) {
    const VectorXd x = rng.normal_vector(n, 3.0, 2.0);
    const double d = d_fitted(x);
    reject_naive += ps::kolmogorov_pvalue(d, n) < 0.05;
    reject_cal += d > c95;
  }
  const double rate_naive = static_cast<double>(reject_naive) / reps;
  const double rate_cal = static_cast<double>(reject_cal) / reps;
  const double se = std::sqrt(0.05 * 0.95 / reps);
  report.metric("lilliefors.rejection_rate_naive", rate_naive);
  report.metric("lilliefors.rejection_rate_calibrated", rate_cal);
  report.metric("lilliefors.critical_sqrt_n", c95 * std::sqrt(static_cast<double>(n)));
  report.metric("lilliefors.se", se);
  fmt::print(
      "  KS with fitted N(x̄, s²), n = {}: rejection rate {:.4f} (nominal 0.05); calibrated "
      "{:.4f}\n",
      n, rate_naive, rate_cal);
  report.failure_mode(
      {.name = "KS p-values are wrong when the parameters are estimated from the same sample",
       .trigger =
           fmt::format("{} normal samples of n = {} (true null) tested against N(x̄, s²) fitted to "
                       "each sample, with the Kolmogorov p-value (13).",
                       reps, n),
       .symptom =
           fmt::format("rejection rate at α = 0.05 is {} instead of 0.05 (MC SE {}): the test is "
                       "far too conservative and loses power.",
                       num(rate_naive), num(se, 2)),
       .why = "The fitted CDF is pulled towards the empirical one, so D_n is stochastically "
              "smaller than "
              "under a fixed F; (11)-(13) assume F was fixed before seeing the data.",
       .mitigation = fmt::format(
           "Simulate the null law of D with fitted parameters (Lilliefors): the simulated "
           "95 % point is {}/√n (Lilliefors' table: 0.886/√n), and the calibrated "
           "test rejects {} of fresh null samples.",
           num(c95 * std::sqrt(static_cast<double>(n))), num(rate_cal))});
}

// ------------------------------------------------------------------------ 4. LLN, CLT
void clt(mlc::Report& report, mlc::Rng& rng, bool quick) {
  report.section("Law of large numbers and central limit theorem");
  const int reps = quick ? 2000 : 20000;
  const int max_pow = quick ? 6 : 9;  // n = 1, 2, ..., 2^max_pow
  const bm::normal_distribution<> std_normal;
  const auto phi = [&](double z) { return bm::cdf(std_normal, z); };
  // Berry-Esseen: sup|F_n - Φ| <= C ρ / (σ³ √n), C = 0.4748 (Shevtsova 2011).
  constexpr double c_be = 0.4748;
  const double rho_exp = 12.0 / std::numbers::e - 2.0;               // E|X-1|³ for Exp(1), σ = 1
  const double rho_unif = (1.0 / 32.0) / std::pow(1.0 / 12.0, 1.5);  // ρ/σ³ for U(0,1)

  VectorXd ns(max_pow + 1), d_exp(max_pow + 1), d_exact(max_pow + 1), d_unif(max_pow + 1),
      be_exp(max_pow + 1), be_unif(max_pow + 1), floor_line(max_pow + 1);
  std::vector<VectorXd> hist_z;
  const std::vector<int> hist_n{1, 5, 30};
  for (int hn : hist_n) {
    VectorXd z(reps);
    for (int r = 0; r < reps; ++r) {
      double s = 0.0;
      for (int i = 0; i < hn; ++i) s += ps::exponential_quantile(rng.uniform(), 1.0);
      z(r) = (s - hn) / std::sqrt(static_cast<double>(hn));
    }
    hist_z.push_back(z);
  }
  const VectorXd zgrid = grid(-8.0, 8.0, 16001);
  for (int k = 0; k <= max_pow; ++k) {
    const int n = 1 << k;
    const double sn = std::sqrt(static_cast<double>(n));
    VectorXd ze(reps), zu(reps);
    for (int r = 0; r < reps; ++r) {
      double se = 0.0, su = 0.0;
      for (int i = 0; i < n; ++i) {
        se += ps::exponential_quantile(rng.uniform(), 1.0);
        su += rng.uniform();
      }
      ze(r) = (se - n) / sn;                                  // standardized mean, Exp(1)
      zu(r) = (su - 0.5 * n) / (sn * std::sqrt(1.0 / 12.0));  // standardized mean, U(0,1)
    }
    ns(k) = n;
    d_exp(k) = ps::ks_statistic(ze, phi);
    d_unif(k) = ps::ks_statistic(zu, phi);
    // Exact: Σ Exp(1) ~ Gamma(n, 1), so sup_z |P((G - n)/√n <= z) - Φ(z)| on a fine grid.
    const bm::gamma_distribution<> g(n, 1.0);
    double sup = 0.0;
    for (Eigen::Index i = 0; i < zgrid.size(); ++i) {
      const double x = n + sn * zgrid(i);
      const double fg = x <= 0.0 ? 0.0 : bm::cdf(g, x);
      sup = std::max(sup, std::abs(fg - phi(zgrid(i))));
    }
    d_exact(k) = sup;
    be_exp(k) = c_be * rho_exp / sn;
    be_unif(k) = c_be * rho_unif / sn;
    floor_line(k) = 0.8687 / std::sqrt(static_cast<double>(reps));  // E[D_R] ≈ √(π/2) ln 2 / √R
  }
  const double slope_exact = ps::loglog_slope(ns, d_exact);
  // Simulated slope over the n where the signal is above the MC floor (n <= 16).
  const Eigen::Index m = std::min<Eigen::Index>(5, ns.size());
  const double slope_sim = ps::loglog_slope(ns.head(m), d_exp.head(m));
  report.metric("clt.n", ns);
  report.metric("clt.exponential.ks_distance", d_exp);
  report.metric("clt.exponential.ks_distance_exact", d_exact);
  report.metric("clt.uniform.ks_distance", d_unif);
  report.metric("clt.exponential.slope_exact", slope_exact);
  report.metric("clt.exponential.slope_simulated", slope_sim);
  report.metric("clt.mc_floor", floor_line(0));
  report.metric("clt.berry_esseen.exponential_constant", c_be * rho_exp);
  fmt::print(
      "  CLT: KS distance of standardized Exp means ~ n^{:.3f} (exact, Gamma), n^{:.3f} "
      "(simulated)\n",
      slope_exact, slope_sim);

  report.text(fmt::format(
      "For each n, {} standardized means √n(x̄ - μ)/σ were drawn and their KS distance D to "
      "N(0,1) measured with (10). For Exp(1) the exact distance is known: the sum of n Exp(1) is "
      "Gamma(n, 1) (Boost CDF, sup on a grid of 16001 points). The exact distance falls as "
      "n^{} (fitted log-log slope; Berry-Esseen predicts -1/2 and bounds it by "
      "0.4748 ρ/σ³ √n = {}/√n). The simulated distance follows it down to the Monte-Carlo floor "
      "≈ 0.87/√R = {} (simulated slope over n <= 16: {}). Uniform means have zero skewness, "
      "so their distance drops faster than n^-1/2 (the Edgeworth term of order 1/√n vanishes) "
      "and hits the floor at once.",
      reps, num(slope_exact, 3), num(c_be * rho_exp, 3), num(floor_line(0), 3), num(slope_sim, 3)));
  std::vector<std::vector<std::string>> rows;
  for (int k = 0; k <= max_pow; ++k)
    rows.push_back(
        {num(ns(k)), num(d_exp(k), 3), num(d_exact(k), 3), num(be_exp(k), 3), num(d_unif(k), 3)});
  report.table({"n", "D, Exp means (sim.)", "D, Exp means (exact)", "Berry-Esseen bound",
                "D, U means (sim.)"},
               rows);

  mlc::Figure f("CLT: KS distance of standardized means to N(0,1)");
  f.xlabel("n (sample size of each mean)").ylabel("sup |F_n - Φ|").logx().logy();
  f.line_points(ns, d_exp, "Exp(1), simulated");
  f.line(ns, d_exact, "Exp(1), exact (Gamma CDF)", {.width = 2});
  f.line_points(ns, d_unif, "U(0,1), simulated");
  f.line(ns, be_exp, "Berry-Esseen bound, Exp", {.dash = true});
  f.line(ns, be_unif, "Berry-Esseen bound, U", {.dash = true});
  f.line(ns, floor_line, "MC floor 0.87/√R", {.color = 8, .dash = true});
  f.legend("bottom left");
  report.figure(
      f, "clt_ks_distance",
      "KS distance to N(0,1) vs n on log-log axes: the exponential (skewed) converges at "
      "the Berry-Esseen rate n^-1/2, the uniform (symmetric) faster; the simulation bottoms "
      "out at its Monte-Carlo floor.");

  mlc::Figure h("Standardized means of n Exp(1) draws");
  h.xlabel("√n (x̄ - 1)").ylabel("density").xrange(-4.0, 5.0);
  for (std::size_t i = 0; i < hist_n.size(); ++i) {
    const auto [hx, hy] = step_histogram(hist_z[i], 90, -4.0, 5.0);
    h.line(hx, hy, fmt::format("n = {}", hist_n[i]), {.color = static_cast<int>(i), .width = 1.2});
  }
  const VectorXd zz = grid(-4.0, 5.0, 361);
  h.line(zz, apply(zz, [&](double z) { return bm::pdf(std_normal, z); }), "N(0,1) pdf",
         {.color = 7, .width = 2.0, .dash = true});
  report.figure(
      h, "clt_histograms",
      "Histograms of standardized means for n = 1, 5, 30 approach the N(0,1) density; the "
      "skew of the exponential fades as 1/√n.");
  for (std::size_t i = 0; i < hist_n.size(); ++i)
    report.metric(fmt::format("clt.hist.n{}.ks_distance", hist_n[i]),
                  ps::ks_statistic(hist_z[i], phi));
}

// ---------------------------------------------- 5. failure: the CLT for Cauchy samples
void cauchy_failure(mlc::Report& report, mlc::Rng& rng, bool quick) {
  const Eigen::Index n_run = quick ? 20000 : 200000;
  const VectorXd xe =
      ps::inverse_cdf_sample([](double u) { return ps::exponential_quantile(u, 1.0); }, rng, n_run);
  const VectorXd xc =
      ps::inverse_cdf_sample([](double u) { return ps::cauchy_quantile(u, 0.0, 1.0); }, rng, n_run);
  const VectorXd me = ps::running_mean(xe), mc = ps::running_mean(xc);
  const auto idx = log_indices(n_run, 60);
  VectorXd k(static_cast<Eigen::Index>(idx.size())), ye(k.size()), yc(k.size()), up(k.size()),
      lo(k.size());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    const auto j = static_cast<Eigen::Index>(i);
    k(j) = static_cast<double>(idx[i]);
    ye(j) = me(idx[i] - 1);
    yc(j) = mc(idx[i] - 1);
    up(j) = 1.0 + 2.0 / std::sqrt(k(j));
    lo(j) = 1.0 - 2.0 / std::sqrt(k(j));
  }
  mlc::Figure f("Running means: Exp(1) settles, Cauchy(0,1) does not");
  f.xlabel("number of draws k").ylabel("running mean").logx().yrange(-4.0, 4.0);
  f.line(k, ye, "Exp(1) running mean");
  f.line(k, up, "1 ± 2/√k", {.color = 0, .dash = true});
  f.line(k, lo, "", {.color = 0, .dash = true});
  f.line(k, yc, "Cauchy(0,1) running mean");
  report.section("Law of large numbers: running means");
  report.figure(f, "running_means",
                "Running means of one Exp(1) stream (inside the ±2σ/√k band around μ = 1) and one "
                "Cauchy stream, whose running mean keeps jumping at every large draw.");
  // Last-decade movement of the running means.
  const Eigen::Index tenth = n_run / 10;
  const double range_e = (me.tail(n_run - tenth).maxCoeff() - me.tail(n_run - tenth).minCoeff());
  const double range_c = (mc.tail(n_run - tenth).maxCoeff() - mc.tail(n_run - tenth).minCoeff());
  report.metric("lln.exponential.final_mean", me(n_run - 1));
  report.metric("lln.cauchy.final_mean", mc(n_run - 1));
  report.metric("lln.exponential.last_decade_range", range_e);
  report.metric("lln.cauchy.last_decade_range", range_c);
  report.text(fmt::format(
      "After {} draws the Exp(1) running mean is {} (μ = 1, σ/√n = {}); over the last decade "
      "(k from {} to {}) it moved within a range of {}. The Cauchy running mean ends at {} and "
      "moved within a range of {} over the same decade.",
      n_run, num(me(n_run - 1)), num(1.0 / std::sqrt(static_cast<double>(n_run)), 3), tenth, n_run,
      num(range_e, 3), num(mc(n_run - 1)), num(range_c, 3)));

  // Spread of the sample mean vs n, over many repetitions.
  const int reps = quick ? 300 : 1000;
  const std::vector<int> sizes =
      quick ? std::vector<int>{1, 10, 100, 1000} : std::vector<int>{1, 10, 100, 1000, 10000};
  VectorXd nsz(static_cast<Eigen::Index>(sizes.size())), iqr_c(nsz.size()), iqr_n(nsz.size()),
      iqr_med(nsz.size());
  VectorXd means_at_100;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    const int n = sizes[s];
    VectorXd mean_c(reps), mean_n(reps), med_c(reps);
    for (int r = 0; r < reps; ++r) {
      const VectorXd c =
          ps::inverse_cdf_sample([](double u) { return ps::cauchy_quantile(u, 0.0, 1.0); }, rng, n);
      const VectorXd z = ps::sample_normal_box_muller(rng, n);
      mean_c(r) = c.mean();
      mean_n(r) = z.mean();
      med_c(r) = ps::sample_median(c);
    }
    if (n == 100) means_at_100 = mean_c;
    const auto j = static_cast<Eigen::Index>(s);
    nsz(j) = n;
    iqr_c(j) = ps::interquartile_range(mean_c);
    iqr_n(j) = ps::interquartile_range(mean_n);
    iqr_med(j) = ps::interquartile_range(med_c);
    rows.push_back({std::to_string(n), num(iqr_c(j), 3), num(iqr_n(j), 3),
                    num(1.349 / std::sqrt(static_cast<double>(n)), 3), num(iqr_med(j), 3)});
  }
  const double slope_c = ps::loglog_slope(nsz, iqr_c), slope_n = ps::loglog_slope(nsz, iqr_n);
  // The median's slope from n = 10 on (at n = 1 median and mean coincide).
  const double slope_med = ps::loglog_slope(nsz.tail(nsz.size() - 1), iqr_med.tail(nsz.size() - 1));
  const bm::cauchy_distribution<> cauchy;
  const auto ks100 = ps::ks_test(means_at_100, [&](double x) { return bm::cdf(cauchy, x); });
  report.metric("cauchy.n", nsz);
  report.metric("cauchy.iqr_of_means", iqr_c);
  report.metric("cauchy.normal_iqr_of_means", iqr_n);
  report.metric("cauchy.iqr_of_medians", iqr_med);
  report.metric("cauchy.slope_mean", slope_c);
  report.metric("cauchy.slope_normal", slope_n);
  report.metric("cauchy.slope_median", slope_med);
  report.metric("cauchy.mean100_vs_cauchy_ks_p", ks100.p_value);
  report.text(fmt::format(
      "The spread of the sample mean over {} repetitions, measured by its interquartile range "
      "(IQR; "
      "the variance of Cauchy means does not exist). For N(0,1) data the IQR of the mean is "
      "1.349/√n; for Cauchy data it stays at the IQR of one Cauchy(0,1) draw, 2.",
      reps));
  report.table(
      {"n", "IQR of Cauchy means", "IQR of N(0,1) means", "1.349/√n", "IQR of Cauchy medians"},
      rows);
  fmt::print(
      "  Cauchy: IQR of sample means ~ n^{:.3f} (normal n^{:.3f}, Cauchy medians n^{:.3f})\n",
      slope_c, slope_n, slope_med);
  report.failure_mode(
      {.name = "The CLT fails for Cauchy samples",
       .trigger = fmt::format("Means of n Cauchy(0,1) draws, n = 1 ... {}, {} repetitions each.",
                              sizes.back(), reps),
       .symptom = fmt::format(
           "the IQR of the sample mean stays at {} (n = 1) ... {} (n = {}), log-log slope {} "
           "(normal data: slope {}); the means of n = 100 draws pass a KS test against "
           "Cauchy(0,1) itself (p = {}). The running mean moved over a range of {} in "
           "the last decade of {} draws.",
           num(iqr_c(0), 3), num(iqr_c(iqr_c.size() - 1), 3), sizes.back(), num(slope_c, 3),
           num(slope_n, 3), num(ks100.p_value, 3), num(range_c, 3), n_run),
       .why =
           "The Cauchy law has no mean and infinite variance, so neither the LLN nor the CLT "
           "applies. "
           "Its characteristic function exp(-|t|) gives (exp(-|t|/n))^n = exp(-|t|): the mean of n "
           "Cauchy draws is again Cauchy(0,1), no narrower than one draw.",
       .mitigation =
           fmt::format("estimate the location with the sample median, whose SE is π/(2√n): the "
                       "IQR of the medians falls with slope {} (n = 10 ... {}), from {} to {}.",
                       num(slope_med, 3), sizes.back(), num(iqr_med(1), 3),
                       num(iqr_med(iqr_med.size() - 1), 3))});
}

// ------------------------------------- 6. failure: importance sampling, light proposal
void importance(mlc::Report& report, mlc::Rng& rng, bool quick) {
  // Target p = N(0, 2²); f(x) = x², E_p[f] = 4.
  const double t_scale = 2.0;
  // Log densities in closed form (log(pdf) would be log 0 = -inf in the far tails):
  // N(0, s²): -x²/(2s²) - log(s √(2π));  s·t_ν: log Γ((ν+1)/2) - log Γ(ν/2) - ½ log(νπ)
  // - log s - (ν+1)/2 log(1 + (x/s)²/ν), with ν = 3.
  const double log_sqrt_2pi = 0.5 * std::log(2.0 * std::numbers::pi);
  const double log_t3_norm =
      std::lgamma(2.0) - std::lgamma(1.5) - 0.5 * std::log(3.0 * std::numbers::pi);
  auto log_p = [=](double x) { return -x * x / 8.0 - std::log(2.0) - log_sqrt_2pi; };
  auto log_q_light = [=](double x) { return -x * x / 2.0 - log_sqrt_2pi; };
  auto log_q_heavy = [=](double x) {
    const double y = x / t_scale;
    return log_t3_norm - std::log(t_scale) - 2.0 * std::log1p(y * y / 3.0);
  };
  auto f = [](double x) { return x * x; };
  // Theory for the heavy proposal: ESS/n -> 1 / E_q[w²] = 1 / ∫ p²/q dx (quadrature).
  boost::math::quadrature::exp_sinh<double> integrator;
  const double int_p2q = 2.0 * integrator.integrate([&](double x) {
    return std::exp(2.0 * log_p(x) - log_q_heavy(x));
  });
  const double ess_theory = 1.0 / int_p2q;

  const int reps = quick ? 10 : 20;
  const std::vector<int> sizes = quick ? std::vector<int>{100, 1000, 10000}
                                       : std::vector<int>{100, 1000, 10000, 100000, 1000000};
  const auto ns = static_cast<Eigen::Index>(sizes.size());
  VectorXd nsz(ns), ess_l(ns), ess_h(ns), sd_l(ns), sd_h(ns), err_l(ns), err_h(ns), share_l(ns),
      share_h(ns), theory(ns);
  std::vector<std::vector<std::string>> rows;
  for (Eigen::Index s = 0; s < ns; ++s) {
    const int n = sizes[static_cast<std::size_t>(s)];
    VectorXd el(reps), eh(reps), vl(reps), vh(reps), sl(reps), sh(reps);
    for (int r = 0; r < reps; ++r) {
      const VectorXd xl = ps::sample_normal_box_muller(rng, n);
      const VectorXd xh = t_scale * ps::sample_student_t(rng, n, 3);
      const VectorXd lwl = apply(xl, [&](double x) { return log_p(x) - log_q_light(x); });
      const VectorXd lwh = apply(xh, [&](double x) { return log_p(x) - log_q_heavy(x); });
      const auto il = ps::importance_estimate(xl, lwl, f), ih = ps::importance_estimate(xh, lwh, f);
      el(r) = il.ess_fraction;
      eh(r) = ih.ess_fraction;
      vl(r) = il.self_normalized;
      vh(r) = ih.self_normalized;
      sl(r) = il.max_weight_share;
      sh(r) = ih.max_weight_share;
    }
    nsz(s) = n;
    ess_l(s) = el.mean();
    ess_h(s) = eh.mean();
    sd_l(s) = std::sqrt(ps::sample_variance(vl));
    sd_h(s) = std::sqrt(ps::sample_variance(vh));
    err_l(s) = (vl.array() - 4.0).abs().mean();
    err_h(s) = (vh.array() - 4.0).abs().mean();
    share_l(s) = sl.mean();
    share_h(s) = sh.mean();
    theory(s) = ess_theory;
    rows.push_back({std::to_string(n), num(ess_l(s), 3), num(share_l(s), 3), num(err_l(s), 3),
                    num(sd_l(s), 3), num(ess_h(s), 3), num(share_h(s), 3), num(err_h(s), 3),
                    num(sd_h(s), 3)});
  }
  const double slope_l = ps::loglog_slope(nsz, ess_l);
  const double slope_err_h = ps::loglog_slope(nsz, sd_h);
  report.metric("importance.n", nsz);
  report.metric("importance.light.ess_fraction", ess_l);
  report.metric("importance.light.max_weight_share", share_l);
  report.metric("importance.light.mean_abs_error", err_l);
  report.metric("importance.light.sd_estimate", sd_l);
  report.metric("importance.heavy.ess_fraction", ess_h);
  report.metric("importance.heavy.mean_abs_error", err_h);
  report.metric("importance.heavy.max_weight_share", share_h);
  report.metric("importance.heavy.sd_estimate", sd_h);
  report.metric("importance.heavy.ess_fraction_theory", ess_theory);
  report.metric("importance.light.ess_slope", slope_l);
  report.metric("importance.heavy.sd_slope", slope_err_h);
  fmt::print(
      "  importance: ESS/n light {:.4f} -> {:.4f} (slope {:.3f}), heavy {:.4f} -> {:.4f} (theory "
      "{:.4f})\n",
      ess_l(0), ess_l(ns - 1), slope_l, ess_h(0), ess_h(ns - 1), ess_theory);

  report.section("Importance sampling and the effective sample size");
  report.text(fmt::format(
      "Target p = N(0, 2²), estimating E_p[x²] = 4 with the self-normalised estimator (8) from "
      "two proposals: q = N(0,1) (lighter tails than p) and q = 2·t₃ (heavier tails, drawn as "
      "Z/√(χ²₃/3) "
      "by (15)). {} repetitions per n; ESS (9) as a "
      "fraction of n, mean over repetitions; 'max share' is the largest single weight's share of "
      "Σw; |err| the mean absolute error; sd the standard deviation of the estimate across "
      "repetitions. For the heavy proposal ESS/n tends to 1/∫p²/q = {} (Boost exp-sinh "
      "quadrature).",
      reps, num(ess_theory, 4)));
  report.table({"n", "ESS/n, N(0,1)", "max share, N(0,1)", "|err|, N(0,1)", "sd, N(0,1)",
                "ESS/n, 2·t₃", "max share, 2·t₃", "|err|, 2·t₃", "sd, 2·t₃"},
               rows);
  mlc::Figure fig("Importance sampling: ESS/n vs n");
  fig.xlabel("n (draws)").ylabel("ESS / n").logx().logy();
  fig.line_points(nsz, ess_l, "proposal N(0,1): light tails");
  fig.line_points(nsz, ess_h, "proposal 2·t3: heavy tails");
  fig.line(nsz, theory, "1/∫p²/q (heavy)", {.color = 1, .dash = true});
  VectorXd ref = (nsz.array() / nsz(0)).pow(-0.5) * ess_l(0);
  fig.line(nsz, ref, "∝ n^-1/2", {.color = 0, .dash = true});
  fig.legend("bottom left");
  report.figure(
      fig, "importance_ess",
      "ESS/n for target N(0, 2²): with the light-tailed N(0,1) proposal it keeps collapsing "
      "(the weights have infinite variance; dashed: the asymptotic rate n^-1/2); with the "
      "heavy-tailed proposal it is stable at its theoretical value 1/∫p²/q.");
  std::string sd_path;
  for (Eigen::Index s = 0; s < ns; ++s) sd_path += (s ? " → " : "") + num(sd_l(s), 3);
  report.failure_mode(
      {.name = "Importance sampling with a light-tailed proposal has infinite variance",
       .trigger = "target N(0, 2²), proposal N(0, 1): the weights w = p/q = ½ exp(3x²/8) are "
                  "unbounded and "
                  "E_q[w²] = ∫p²/q diverges.",
       .symptom = fmt::format(
           "ESS/n falls from {} (n = {}) to {} (n = {}), log-log slope {} (theory: -1/2 up "
           "to a logarithmic factor); the heaviest single draw carries on average {} of the "
           "total weight at n = {} (heavy proposal: {}); the sd of the estimate across "
           "repetitions goes {} instead of shrinking like 1/√n, and the mean absolute "
           "error of E[x²] = 4 is still {} at n = {}.",
           num(ess_l(0), 3), sizes.front(), num(ess_l(ns - 1), 3), sizes.back(), num(slope_l, 3),
           num(share_l(ns - 1), 3), sizes.back(), num(share_h(ns - 1), 3), sd_path,
           num(err_l(ns - 1), 3), sizes.back()),
       .why = "P(w > t) ~ t^(-4/3): the weights have a finite mean but infinite variance, so Σw² "
              "is ruled by "
              "the largest weight (~ n^(3/2)) and ESS = (Σw)²/Σw² ~ n^(1/2); the estimate is "
              "driven by rare "
              "draws in the tails of q, where p has most of the mass of x².",
       .mitigation = fmt::format(
           "a proposal with heavier tails than the target (2·t₃): ESS/n = {} at n = {} "
           "and {} at n = {} (theory {}), error {} at n = {}, its sd shrinking as "
           "n^{} (CLT rate -1/2).",
           num(ess_h(0), 3), sizes.front(), num(ess_h(ns - 1), 3), sizes.back(), num(ess_theory, 3),
           num(err_h(ns - 1), 3), sizes.back(), num(slope_err_h, 3))});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng rng(opt.seed);
  mlc::Timer timer;
  fmt::print("1. Samplers, graded by the KS test and their moments\n");
  auto r1 = rng.derive(1);
  samplers(report, r1, opt.quick);
  report.timing("samplers_seconds", timer.seconds());
  fmt::print("2. The KS test against tables, exact values and the null\n");
  timer.reset();
  auto r2 = rng.derive(2);
  ks_validation(report, r2, opt.quick);
  auto r3 = rng.derive(3);
  lilliefors(report, r3, opt.quick);
  report.timing("ks_seconds", timer.seconds());
  fmt::print("3. The central limit theorem\n");
  timer.reset();
  auto r4 = rng.derive(4);
  clt(report, r4, opt.quick);
  report.timing("clt_seconds", timer.seconds());
  fmt::print("4. The law of large numbers, and Cauchy samples\n");
  timer.reset();
  auto r5 = rng.derive(5);
  cauchy_failure(report, r5, opt.quick);
  report.timing("cauchy_seconds", timer.seconds());
  fmt::print("5. Importance sampling\n");
  timer.reset();
  auto r6 = rng.derive(6);
  importance(report, r6, opt.quick);
  report.timing("importance_seconds", timer.seconds());
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
