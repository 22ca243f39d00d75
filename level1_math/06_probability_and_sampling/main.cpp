// 1.6 probability_and_sampling: samplers from uniforms, LLN and CLT by simulation, and a
// Kolmogorov–Smirnov test written from scratch, each checked against Boost.Math.
//
// Experiments (each section of report.md):
//   1. samplers from uniforms: inverse CDF (closed forms and Boost quantiles), Box–Muller,
//      rejection; each graded by the KS test and by its moments;
//   2. the KS test itself: p-values against tabled and exact critical values, and by
//      simulation under the null (failure mode: KS with estimated parameters, Lilliefors);
//   3. the central limit theorem: the KS distance of standardized means against n and the
//      Berry–Esseen rate n^-1/2;
//   4. the law of large numbers: running means (failure mode: the CLT for Cauchy samples);
//   5. importance sampling and its effective sample size (failure mode: a light-tailed
//      proposal).
// Follows Devroye (1986), Robert & Casella (2004), Stephens (1974), Marsaglia, Tsang & Wang
// (2003); see NOTES.md.
//
// Run:  ./learn run probability_and_sampling [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
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
using Row = std::vector<std::string>;

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

const bm::normal_distribution<> kStdNormal;
double phi(double z) {
  return bm::cdf(kStdNormal, z);
}
double normal_pdf(double z) {
  return bm::pdf(kStdNormal, z);
}

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

// The curve y = f(x) at `points` equally spaced x in [lo, hi], added to the figure.
void curve(mlc::Figure& fig, double lo, double hi, int points,
           const std::function<double(double)>& f, std::string label, mlc::Style style) {
  const VectorXd x = VectorXd::LinSpaced(points, lo, hi);
  fig.line(x, x.unaryExpr(f), std::move(label), style);
}

// A density histogram drawn as an outline (a staircase line), so that several can overlap:
// bin heights count / (n_total · width) over `bins` equal bins of [lo, hi].
void outline_histogram(mlc::Figure& fig, const VectorXd& values, int bins, double lo, double hi,
                       std::string label, int color) {
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
  fig.line(x, y, std::move(label), {.color = color, .width = 1.2});
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
  // Kurtosis μ4/σ⁴ for SE(s²): the fourth central moment from the components.
  double kurtosis() const {
    double mu4 = 0.0;
    for (auto [wk, mu, sd] : {std::tuple{w, -2.0, 0.6}, std::tuple{1 - w, 1.5, 1.0}}) {
      const double d = mu - mean();
      mu4 += wk * (d * d * d * d + 6 * d * d * sd * sd + 3 * sd * sd * sd * sd);
    }
    return mu4 / (variance() * variance());
  }
};

// A sample with the law it should follow: its CDF and, where they exist, its mean, variance
// and kurtosis (NaN for the Cauchy).
struct Drawn {
  std::string name, key;
  VectorXd x;
  ps::Cdf cdf;
  double mean = NAN, var = NAN, kurt = NAN;
};

// A sample graded against a Boost distribution's CDF and moments.
template <class Dist>
Drawn drawn(std::string name, std::string key, VectorXd x, const Dist& dist) {
  return {std::move(name),   std::move(key),
          std::move(x),      [dist](double t) { return bm::cdf(dist, t); },
          bm::mean(dist),    bm::variance(dist),
          bm::kurtosis(dist)};
}

// The table row of a sample: KS D_n and p-value (10)-(13), z-scores of the mean and the
// variance, z = (estimate - truth)/SE with SE(mean) = σ/√n, SE(s²) = σ²√((κ - 1)/n) (delta
// method); for the Cauchy, which has no mean, the median's, SE = π γ / (2 √n).
Row grade(mlc::Report& report, const Drawn& s) {
  const auto ks = ps::ks_test(s.x, s.cdf);
  const std::string k = "samplers." + s.key;
  const double n = static_cast<double>(s.x.size());
  Row row{s.name, report.quote(k + ".ks_d", ks.statistic, 3),
          report.quote(k + ".ks_p", ks.p_value, 3), "", "-"};
  if (std::isfinite(s.mean)) {
    const double zm = (ps::sample_mean(s.x) - s.mean) / std::sqrt(s.var / n);
    const double zv = (ps::sample_variance(s.x) - s.var) / (s.var * std::sqrt((s.kurt - 1.0) / n));
    row[3] = report.quote(k + ".mean_z", zm, 3);
    row[4] = report.quote(k + ".var_z", zv, 3);
  } else {
    const double zmed = ps::sample_median(s.x) / (std::numbers::pi / (2.0 * std::sqrt(n)));
    row[3] = report.quote(k + ".median_z", zmed, 3) + " (median)";
  }
  fmt::print("  {:<44} D = {}  p = {}  z(mean) = {}  z(var) = {}\n", s.name, row[1], row[2], row[3],
             row[4]);
  return row;
}

// ---- 1. Samplers ---------------------------------------------------------------------------

// The laws of the samplers, with Boost's CDFs and moments as the reference.
const bm::exponential_distribution<> kExp2(2.0);
const bm::cauchy_distribution<> kCauchy(0.0, 1.0);
const bm::gamma_distribution<> kGamma(2.5, 1.0);
const bm::beta_distribution<> kBeta(2.0, 5.0);
const bm::normal_distribution<> kProposal(0.0, 3.0);  // of the bimodal mixture
const Bimodal kBimodal;

// The density histograms of three samplers over their Boost pdfs, and the accepted draws of
// the bimodal mixture with its envelope M q; `bimodal` is the mixture's acceptance row.
void sampler_figures(mlc::Report& report, const std::vector<Drawn>& s, const VectorXd& accepted,
                     double m_bi, const Row& bimodal) {
  mlc::Figure f1("Inverse-CDF and Box-Muller samples over the true densities");
  f1.xlabel("x").ylabel("density").xrange(-4.0, 8.0);
  outline_histogram(f1, s[3].x, 64, -4.0, 4.0, "Box-Muller N(0,1)", 0);
  outline_histogram(f1, s[0].x, 64, 0.0, 4.0, "inverse CDF Exp(2)", 1);
  outline_histogram(f1, s[2].x, 80, 0.0, 8.0, "Boost quantile Gamma(2.5,1)", 2);
  const mlc::Style dashed{.color = 7, .width = 1.5, .dash = true};
  const auto exp_pdf = [](double x) { return bm::pdf(kExp2, x); };
  const auto gamma_pdf = [](double x) { return bm::pdf(kGamma, x); };
  curve(f1, -4.0, 8.0, 481, normal_pdf, "true pdfs (Boost)", dashed);
  curve(f1, 0.0, 4.0, 200, exp_pdf, "", dashed);
  curve(f1, 0.0, 8.0, 400, gamma_pdf, "", dashed);
  f1.yrange(0.0, 2.1);
  report.figure(
      f1, "inverse_cdf",
      "Density histograms of the samples (coloured outlines) over the Boost.Math pdfs (dashed).");

  mlc::Figure f2("Rejection sampling of a bimodal mixture from N(0, 3²)");
  f2.xlabel("x").ylabel("density");
  f2.histogram(accepted, 80, "accepted samples", true, std::pair{-6.0, 6.0});
  const auto target = [](double x) { return kBimodal.pdf(x); };
  const auto envelope = [&](double x) { return m_bi * bm::pdf(kProposal, x); };
  curve(f2, -6.0, 6.0, 481, target, "target p(x)", {.width = 2});
  curve(f2, -6.0, 6.0, 481, envelope, "envelope M q(x)", {.dash = true});
  report.figure(f2, "rejection",
                fmt::format("Accepted draws (histogram), the target density and the envelope M q "
                            "(M = {}); the acceptance rate {} matches 1/M = {}.",
                            num(m_bi), bimodal[3], bimodal[4]));
}

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
  const auto exp_quantile = [](double u) { return ps::exponential_quantile(u, 2.0); };
  const auto cauchy_quantile = [](double u) { return ps::cauchy_quantile(u, 0.0, 1.0); };
  const auto gamma_quantile = [](double u) { return bm::quantile(kGamma, u); };
  std::vector<Drawn> s;  // the samples, drawn in this order from `rng`
  s.push_back(drawn("Exponential(2), inverse CDF (2)", "exponential",
                    ps::inverse_cdf_sample(exp_quantile, rng, n), kExp2));
  s.push_back({"Cauchy(0,1), inverse CDF (3)", "cauchy",
               ps::inverse_cdf_sample(cauchy_quantile, rng, n),
               [](double x) { return bm::cdf(kCauchy, x); }});
  s.push_back(drawn("Gamma(2.5,1), Boost quantile (1)", "gamma",
                    ps::inverse_cdf_sample(gamma_quantile, rng, n), kGamma));
  s.push_back(drawn("N(0,1), Box-Muller (4)", "box_muller", ps::sample_normal_box_muller(rng, n),
                    kStdNormal));
  // Rejection (5): Beta(2,5) from a uniform proposal; M = max pdf at the mode (a-1)/(a+b-2).
  const double m_beta = bm::pdf(kBeta, 0.2);
  const auto rej_beta = ps::rejection_sample([](double x) { return bm::pdf(kBeta, x); },
                                             [](mlc::Rng& r) { return r.uniform(); },
                                             [](double) { return 1.0; }, m_beta, rng, n);
  s.push_back(drawn("Beta(2,5), rejection from U(0,1) (5)", "beta", rej_beta.samples, kBeta));
  // Rejection: the bimodal mixture from a N(0, 3²) proposal; M found on a grid, +2 %.
  const auto bi_pdf = [](double x) { return kBimodal.pdf(x); };
  const auto prop_pdf = [](double x) { return bm::pdf(kProposal, x); };
  const double m_bi = 1.02 * ps::envelope_constant(bi_pdf, prop_pdf, -15.0, 15.0);
  const auto rej_bi = ps::rejection_sample(
      bi_pdf, [](mlc::Rng& r) { return r.normal(0.0, 3.0); }, prop_pdf, m_bi, rng, n);
  s.push_back({"Bimodal mixture, rejection from N(0,9) (5)", "bimodal", rej_bi.samples,
               [](double x) { return kBimodal.cdf(x); }, kBimodal.mean(), kBimodal.variance(),
               kBimodal.kurtosis()});
  // The deliberately wrong sampler: Box-Muller without the factor 2 in r = √(-2 log u1).
  VectorXd wrong(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
    wrong(i) = std::sqrt(-std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  s.push_back(
      drawn("WRONG: Box-Muller with r = √(-log u1)", "wrong_box_muller", wrong, kStdNormal));
  std::vector<Row> table;
  for (const Drawn& d : s) table.push_back(grade(report, d));
  report.table({"sampler", "KS D_n", "KS p-value", "z(mean)", "z(variance)"}, table);

  // Acceptance rate against 1/M (6), with the binomial SE √(p(1-p)/proposals).
  auto acceptance = [&](const std::string& target, const std::string& proposal,
                        const std::string& key, double M, const ps::RejectionResult& r) {
    const double p = 1.0 / M;
    return Row{target,
               proposal,
               num(M),
               report.quote(key + ".acceptance", r.acceptance_rate()),
               report.quote(key + ".theory", p),
               num(std::sqrt(p * (1 - p) / static_cast<double>(r.proposals)), 2)};
  };
  report.metric("rejection.bimodal.envelope_violations",
                static_cast<double>(rej_bi.envelope_violations));
  report.text(
      "Rejection sampling accepts a proposal with probability 1/M (6). Measured acceptance "
      "rates against 1/M (the number of proposals for n acceptances is negative-binomial; the "
      "SE shown is the binomial √(p(1-p)/proposals)):");
  const std::vector<Row> acc = {
      acceptance("Beta(2,5)", "U(0,1)", "rejection.beta", m_beta, rej_beta),
      acceptance("bimodal mixture", "N(0, 3²)", "rejection.bimodal", m_bi, rej_bi)};
  report.table({"target", "proposal", "M", "acceptance", "1/M", "SE"}, acc);
  sampler_figures(report, s, rej_bi.samples, m_bi, acc[1]);
}

// ---- 2. The KS test itself -------------------------------------------------------------------

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
  report.text(fmt::format(
      "Solving Q(λ) = α (11) gives the asymptotic critical values λ(5 %) = {} and λ(1 %) = {} "
      "(tables: 1.358 and 1.628, i.e. D > 1.358/√n rejects at 5 %). For finite n the table below "
      "uses the tabled exact 5 % critical values of D_n (Miller 1956) and compares three p-values "
      "at those points: the exact one (14) by the Marsaglia-Tsang-Wang matrix power, Stephens' "
      "corrected asymptotic one (13), and the uncorrected Q(√n D).",
      report.quote("ks.lambda_05", lambda_alpha(0.05), 5),
      report.quote("ks.lambda_01", lambda_alpha(0.01), 5)));
  std::vector<Row> rows;
  for (const auto& [n, d] : std::vector<std::pair<int, double>>{
           {5, 0.56328}, {10, 0.40925}, {20, 0.29408}, {30, 0.24170}}) {
    const std::string k = fmt::format("ks.table.n{}", n);
    rows.push_back({std::to_string(n), num(d, 5),
                    report.quote(k + ".exact_p", 1.0 - ps::kolmogorov_exact_cdf(d, n)),
                    report.quote(k + ".stephens_p", ps::kolmogorov_pvalue(d, n)),
                    report.quote(k + ".uncorrected_p",
                                 ps::kolmogorov_q(std::sqrt(static_cast<double>(n)) * d))});
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
      reps, reps, report.quote("ks.null.se", se, 2)));
  const auto unif = [](double x) { return std::clamp(x, 0.0, 1.0); };
  std::vector<Row> null_rows;
  for (const int n : {10, 100}) {
    VectorXd p(reps), p_raw(reps), p_exact(reps);
    for (int r = 0; r < reps; ++r) {
      const double d = ps::ks_statistic(rng.uniform_vector(n), unif);
      p(r) = ps::kolmogorov_pvalue(d, n);
      p_raw(r) = ps::kolmogorov_q(std::sqrt(static_cast<double>(n)) * d);
      if (n == 10) p_exact(r) = 1.0 - ps::kolmogorov_exact_cdf(d, n);  // (14), cheap at n = 10
    }
    const double rate = (p.array() < 0.05).cast<double>().mean();
    const std::string k = fmt::format("ks.null.n{}", n);
    null_rows.push_back(
        {std::to_string(n), report.quote(k + ".rejection_rate", rate), num((rate - 0.05) / se, 3),
         report.quote(k + ".rejection_rate_uncorrected",
                      (p_raw.array() < 0.05).cast<double>().mean()),
         report.quote(k + ".pvalue_uniformity_p", ps::ks_test(p, unif).p_value, 3),
         n == 10
             ? report.quote(k + ".exact_pvalue_uniformity_p", ps::ks_test(p_exact, unif).p_value, 3)
             : "-"});
    fmt::print("  KS null, n = {}: rejection rate {} (uncorrected {}), KS p of p-values {}\n", n,
               null_rows.back()[1], null_rows.back()[3], null_rows.back()[4]);
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
  report.table({"n", "rejection rate (13)", "z vs 0.05", "rate, uncorrected Q(√n D)",
                "KS p of the p-values (13)", "KS p of the exact p-values (14)"},
               null_rows);
  report.text(fmt::format(
      "Stephens' formula is tuned for the upper tail, where tests are decided: over D in [0.06, "
      "0.9] at n = 10 its largest error against the exact p-value (14) is {}, at an exact "
      "p-value of {}. Its p-values are therefore not exactly uniform in the bulk, which a KS "
      "test of {} p-values can detect; the exact p-values carry no such error.",
      report.quote("ks.stephens.n10.max_abs_error", worst, 3),
      report.quote("ks.stephens.n10.max_error_at_p", worst_p, 3), reps));
}

// Failure mode: the KS test with parameters estimated from the same sample (Lilliefors).
void lilliefors(mlc::Report& report, mlc::Rng& rng, bool quick) {
  const int reps = quick ? 600 : 4000, n = 50;
  // D of a normal sample against N(x̄, s²) fitted to that same sample.
  auto d_fitted = [&](const VectorXd& x) {
    const double m = ps::sample_mean(x), s = std::sqrt(ps::sample_variance(x));
    return ps::ks_statistic(x, [&](double t) { return phi((t - m) / s); });
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
    const double d = d_fitted(rng.normal_vector(n, 3.0, 2.0));
    reject_naive += ps::kolmogorov_pvalue(d, n) < 0.05;
    reject_cal += d > c95;
  }
  const std::string naive = report.quote("lilliefors.rejection_rate_naive",
                                         static_cast<double>(reject_naive) / reps),
                    calibrated = report.quote("lilliefors.rejection_rate_calibrated",
                                              static_cast<double>(reject_cal) / reps);
  fmt::print("  KS with fitted N(x̄, s²), n = {}: rejection rate {} (nominal 0.05); calibrated {}\n",
             n, naive, calibrated);
  report.failure_mode(
      {.name = "KS p-values are wrong when the parameters are estimated from the same sample",
       .trigger =
           fmt::format("{} normal samples of n = {} (true null) tested against N(x̄, s²) fitted to "
                       "each sample, with the Kolmogorov p-value (13).",
                       reps, n),
       .symptom =
           fmt::format("rejection rate at α = 0.05 is {} instead of 0.05 (MC SE {}): the test is "
                       "far too conservative and loses power.",
                       naive, report.quote("lilliefors.se", std::sqrt(0.05 * 0.95 / reps), 2)),
       .why = "The fitted CDF is pulled towards the empirical one, so D_n is stochastically "
              "smaller than under a fixed F; (11)-(13) assume F was fixed before seeing the "
              "data.",
       .mitigation = fmt::format(
           "Simulate the null law of D with fitted parameters (Lilliefors): the simulated "
           "95 % point is {}/√n (Lilliefors' table: 0.886/√n), and the calibrated "
           "test rejects {} of fresh null samples.",
           report.quote("lilliefors.critical_sqrt_n", c95 * std::sqrt(static_cast<double>(n))),
           calibrated)});
}

// ---- 3. LLN, CLT ---------------------------------------------------------------------------

// The KS distance of the standardized mean of n Exp(1) draws to N(0,1), exactly: the sum is
// Gamma(n, 1), so sup_z |P((G - n)/√n <= z) - Φ(z)| on a fine grid of z.
double exact_clt_distance(int n) {
  const bm::gamma_distribution<> g(n, 1.0);
  const double sn = std::sqrt(static_cast<double>(n));
  const VectorXd zgrid = VectorXd::LinSpaced(16001, -8.0, 8.0);
  double sup = 0.0;
  for (Eigen::Index i = 0; i < zgrid.size(); ++i) {
    const double x = n + sn * zgrid(i);
    sup = std::max(sup, std::abs((x <= 0.0 ? 0.0 : bm::cdf(g, x)) - phi(zgrid(i))));
  }
  return sup;
}

// Histograms of the standardized means of n Exp(1) draws, n = hist_n[i], over the N(0,1) pdf.
void clt_histograms(mlc::Report& report, const std::vector<int>& hist_n,
                    const std::vector<VectorXd>& hist_z) {
  mlc::Figure h("Standardized means of n Exp(1) draws");
  h.xlabel("√n (x̄ - 1)").ylabel("density").xrange(-4.0, 5.0);
  for (std::size_t i = 0; i < hist_n.size(); ++i) {
    outline_histogram(h, hist_z[i], 90, -4.0, 5.0, fmt::format("n = {}", hist_n[i]),
                      static_cast<int>(i));
    report.metric(fmt::format("clt.hist.n{}.ks_distance", hist_n[i]),
                  ps::ks_statistic(hist_z[i], phi));
  }
  curve(h, -4.0, 5.0, 361, normal_pdf, "N(0,1) pdf", {.color = 7, .width = 2.0, .dash = true});
  report.figure(
      h, "clt_histograms",
      "Histograms of standardized means for n = 1, 5, 30 approach the N(0,1) density; the "
      "skew of the exponential fades as 1/√n.");
}

void clt(mlc::Report& report, mlc::Rng& rng, bool quick) {
  report.section("Law of large numbers and central limit theorem");
  const int reps = quick ? 2000 : 20000;
  const int max_pow = quick ? 6 : 9;  // n = 1, 2, ..., 2^max_pow
  // Berry-Esseen: sup|F_n - Φ| <= C ρ / (σ³ √n), C = 0.4748 (Shevtsova 2011).
  constexpr double c_be = 0.4748;
  const double rho_exp = 12.0 / std::numbers::e - 2.0;               // E|X-1|³ for Exp(1), σ = 1
  const double rho_unif = (1.0 / 32.0) / std::pow(1.0 / 12.0, 1.5);  // ρ/σ³ for U(0,1)
  auto exp1 = [&] { return ps::exponential_quantile(rng.uniform(), 1.0); };
  const std::vector<int> hist_n{1, 5, 30};
  std::vector<VectorXd> hist_z;
  for (int hn : hist_n) {
    VectorXd z(reps);
    for (int r = 0; r < reps; ++r) {
      double s = 0.0;
      for (int i = 0; i < hn; ++i) s += exp1();
      z(r) = (s - hn) / std::sqrt(static_cast<double>(hn));
    }
    hist_z.push_back(z);
  }
  VectorXd ns(max_pow + 1), d_exp(max_pow + 1), d_exact(max_pow + 1), d_unif(max_pow + 1),
      be_exp(max_pow + 1), be_unif(max_pow + 1), floor_line(max_pow + 1);
  for (int k = 0; k <= max_pow; ++k) {
    const int n = 1 << k;
    const double sn = std::sqrt(static_cast<double>(n));
    VectorXd ze(reps), zu(reps);
    for (int r = 0; r < reps; ++r) {
      double se = 0.0, su = 0.0;
      for (int i = 0; i < n; ++i) {
        se += exp1();
        su += rng.uniform();
      }
      ze(r) = (se - n) / sn;                                  // standardized mean, Exp(1)
      zu(r) = (su - 0.5 * n) / (sn * std::sqrt(1.0 / 12.0));  // standardized mean, U(0,1)
    }
    ns(k) = n;
    d_exp(k) = ps::ks_statistic(ze, phi);
    d_unif(k) = ps::ks_statistic(zu, phi);
    d_exact(k) = exact_clt_distance(n);
    be_exp(k) = c_be * rho_exp / sn;
    be_unif(k) = c_be * rho_unif / sn;
    floor_line(k) = 0.8687 / std::sqrt(static_cast<double>(reps));  // E[D_R] ≈ √(π/2) ln 2 / √R
  }
  // Simulated slope over the n where the signal is above the MC floor (n <= 16).
  const Eigen::Index m = std::min<Eigen::Index>(5, ns.size());
  const std::string slope_exact = report.quote("clt.exponential.slope_exact",
                                               ps::loglog_slope(ns, d_exact), 3),
                    slope_sim = report.quote("clt.exponential.slope_simulated",
                                             ps::loglog_slope(ns.head(m), d_exp.head(m)), 3);
  report.metric("clt.n", ns);
  report.metric("clt.exponential.ks_distance", d_exp);
  report.metric("clt.exponential.ks_distance_exact", d_exact);
  report.metric("clt.uniform.ks_distance", d_unif);
  fmt::print(
      "  CLT: KS distance of standardized Exp means ~ n^{} (exact, Gamma), n^{} (simulated)\n",
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
      reps, slope_exact, report.quote("clt.berry_esseen.exponential_constant", c_be * rho_exp, 3),
      report.quote("clt.mc_floor", floor_line(0), 3), slope_sim));
  std::vector<Row> rows;  // the cells of the array metrics above
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

  clt_histograms(report, hist_n, hist_z);
}

// ---- 4. LLN, and the failure of the CLT for Cauchy samples ----------------------------------

// n draws of Cauchy(0,1) or of Exp(1) by the inverse CDF (3), (2).
VectorXd draws(mlc::Rng& rng, Eigen::Index n, bool cauchy) {
  return cauchy ? ps::inverse_cdf_sample([](double u) { return ps::cauchy_quantile(u, 0.0, 1.0); },
                                         rng, n)
                : ps::inverse_cdf_sample([](double u) { return ps::exponential_quantile(u, 1.0); },
                                         rng, n);
}

// The running means of one Exp(1) and one Cauchy stream of n_run draws; returns the quoted
// range of the Cauchy running mean over the last decade.
std::string running_means(mlc::Report& report, mlc::Rng& rng, Eigen::Index n_run) {
  const VectorXd me = ps::running_mean(draws(rng, n_run, false));
  const VectorXd mc = ps::running_mean(draws(rng, n_run, true));
  const auto idx = log_indices(n_run, 60);
  VectorXd k(static_cast<Eigen::Index>(idx.size())), ye(k.size()), yc(k.size());
  for (std::size_t i = 0; i < idx.size(); ++i) {
    const auto j = static_cast<Eigen::Index>(i);
    k(j) = static_cast<double>(idx[i]);
    ye(j) = me(idx[i] - 1);
    yc(j) = mc(idx[i] - 1);
  }
  mlc::Figure f("Running means: Exp(1) settles, Cauchy(0,1) does not");
  f.xlabel("number of draws k").ylabel("running mean").logx().yrange(-4.0, 4.0);
  f.line(k, ye, "Exp(1) running mean");
  f.line(k, (1.0 + 2.0 / k.array().sqrt()).matrix(), "1 ± 2/√k", {.color = 0, .dash = true});
  f.line(k, (1.0 - 2.0 / k.array().sqrt()).matrix(), "", {.color = 0, .dash = true});
  f.line(k, yc, "Cauchy(0,1) running mean");
  report.section("Law of large numbers: running means");
  report.figure(f, "running_means",
                "Running means of one Exp(1) stream (inside the ±2σ/√k band around μ = 1) and one "
                "Cauchy stream, whose running mean keeps jumping at every large draw.");
  // Last-decade movement of the running means.
  const Eigen::Index tenth = n_run / 10;
  const std::string range_c =
      report.quote("lln.cauchy.last_decade_range",
                   mc.tail(n_run - tenth).maxCoeff() - mc.tail(n_run - tenth).minCoeff(), 3);
  report.text(fmt::format(
      "After {} draws the Exp(1) running mean is {} (μ = 1, σ/√n = {}); over the last decade "
      "(k from {} to {}) it moved within a range of {}. The Cauchy running mean ends at {} and "
      "moved within a range of {} over the same decade.",
      n_run, report.quote("lln.exponential.final_mean", me(n_run - 1)),
      num(1.0 / std::sqrt(static_cast<double>(n_run)), 3), tenth, n_run,
      report.quote("lln.exponential.last_decade_range",
                   me.tail(n_run - tenth).maxCoeff() - me.tail(n_run - tenth).minCoeff(), 3),
      report.quote("lln.cauchy.final_mean", mc(n_run - 1)), range_c));
  return range_c;
}

void cauchy_failure(mlc::Report& report, mlc::Rng& rng, bool quick) {
  const Eigen::Index n_run = quick ? 20000 : 200000;
  const std::string range_c = running_means(report, rng, n_run);

  // Spread of the sample mean vs n, over many repetitions.
  const int reps = quick ? 300 : 1000;
  const std::vector<int> sizes =
      quick ? std::vector<int>{1, 10, 100, 1000} : std::vector<int>{1, 10, 100, 1000, 10000};
  const auto ns = static_cast<Eigen::Index>(sizes.size());
  VectorXd nsz(ns), iqr_c(ns), iqr_n(ns), iqr_med(ns), means_at_100;
  std::vector<Row> rows;
  for (Eigen::Index j = 0; j < ns; ++j) {
    const int n = sizes[static_cast<std::size_t>(j)];
    VectorXd mean_c(reps), mean_n(reps), med_c(reps);
    for (int r = 0; r < reps; ++r) {
      const VectorXd c = draws(rng, n, true);
      mean_n(r) = ps::sample_normal_box_muller(rng, n).mean();
      mean_c(r) = c.mean();
      med_c(r) = ps::sample_median(c);
    }
    if (n == 100) means_at_100 = mean_c;
    nsz(j) = n;
    iqr_c(j) = ps::interquartile_range(mean_c);
    iqr_n(j) = ps::interquartile_range(mean_n);
    iqr_med(j) = ps::interquartile_range(med_c);
    rows.push_back({std::to_string(n), num(iqr_c(j), 3), num(iqr_n(j), 3),
                    num(1.349 / std::sqrt(static_cast<double>(n)), 3), num(iqr_med(j), 3)});
  }
  report.metric("cauchy.n", nsz);
  report.metric("cauchy.iqr_of_means", iqr_c);
  report.metric("cauchy.normal_iqr_of_means", iqr_n);
  report.metric("cauchy.iqr_of_medians", iqr_med);
  const std::string slope_c = report.quote("cauchy.slope_mean", ps::loglog_slope(nsz, iqr_c), 3);
  // The median's slope from n = 10 on (at n = 1 median and mean coincide).
  const std::string slope_med = report.quote(
      "cauchy.slope_median", ps::loglog_slope(nsz.tail(ns - 1), iqr_med.tail(ns - 1)), 3);
  const bm::cauchy_distribution<> cauchy;
  const double ks100 =
      ps::ks_test(means_at_100, [&](double x) { return bm::cdf(cauchy, x); }).p_value;
  report.text(fmt::format(
      "The spread of the sample mean over {} repetitions, measured by its interquartile range "
      "(IQR; the variance of Cauchy means does not exist). For N(0,1) data the IQR of the mean "
      "is 1.349/√n; for Cauchy data it stays at the IQR of one Cauchy(0,1) draw, 2.",
      reps));
  report.table(
      {"n", "IQR of Cauchy means", "IQR of N(0,1) means", "1.349/√n", "IQR of Cauchy medians"},
      rows);
  fmt::print("  Cauchy: IQR of sample means ~ n^{} (Cauchy medians n^{})\n", slope_c, slope_med);
  report.failure_mode(
      {.name = "The CLT fails for Cauchy samples",
       .trigger = fmt::format("Means of n Cauchy(0,1) draws, n = 1 ... {}, {} repetitions each.",
                              sizes.back(), reps),
       .symptom = fmt::format(
           "the IQR of the sample mean stays at {} (n = 1) ... {} (n = {}), log-log slope {} "
           "(normal data: slope {}); the means of n = 100 draws pass a KS test against "
           "Cauchy(0,1) itself (p = {}). The running mean moved over a range of {} in "
           "the last decade of {} draws.",
           num(iqr_c(0), 3), num(iqr_c(ns - 1), 3), sizes.back(), slope_c,
           report.quote("cauchy.slope_normal", ps::loglog_slope(nsz, iqr_n), 3),
           report.quote("cauchy.mean100_vs_cauchy_ks_p", ks100, 3), range_c, n_run),
       .why = "The Cauchy law has no mean and infinite variance, so neither the LLN nor the CLT "
              "applies. Its characteristic function exp(-|t|) gives (exp(-|t|/n))^n = exp(-|t|): "
              "the mean of n Cauchy draws is again Cauchy(0,1), no narrower than one draw.",
       .mitigation =
           fmt::format("estimate the location with the sample median, whose SE is π/(2√n): the "
                       "IQR of the medians falls with slope {} (n = 10 ... {}), from {} to {}.",
                       slope_med, sizes.back(), num(iqr_med(1), 3), num(iqr_med(ns - 1), 3))});
}

// ---- 5. Importance sampling, and the failure of a light-tailed proposal ---------------------

// Target p = N(0, 2²), proposals q = N(0, 1) and q = 2·t₃. Log densities in closed form
// (log(pdf) would be log 0 = -inf in the far tails): N(0, s²): -x²/(2s²) - log(s √(2π));
// s·t_ν: log Γ((ν+1)/2) - log Γ(ν/2) - ½ log(νπ) - log s - (ν+1)/2 log(1 + (x/s)²/ν), ν = 3.
constexpr double kTScale = 2.0;
const double kLogSqrt2Pi = 0.5 * std::log(2.0 * std::numbers::pi);
double log_target(double x) {
  return -x * x / 8.0 - std::log(2.0) - kLogSqrt2Pi;
}
double log_light(double x) {
  return -x * x / 2.0 - kLogSqrt2Pi;
}
double log_heavy(double x) {
  const double log_t3_norm =
      std::lgamma(2.0) - std::lgamma(1.5) - 0.5 * std::log(3.0 * std::numbers::pi);
  const double y = x / kTScale;
  return log_t3_norm - std::log(kTScale) - 2.0 * std::log1p(y * y / 3.0);
}

// Per n, means over repetitions of ESS/n (9), of the largest weight's share of Σw and of the
// |error| of the estimate of E_p[x²] = 4; and the sd of the estimate across repetitions.
struct ImportanceStats {
  VectorXd ess, share, err, sd;
};

// The statistics of the light [0] and the heavy [1] proposal, with the table rows.
std::array<ImportanceStats, 2> simulate_importance(mlc::Rng& rng, const std::vector<int>& sizes,
                                                   int reps, std::vector<Row>& rows) {
  const auto ns = static_cast<Eigen::Index>(sizes.size());
  std::array<ImportanceStats, 2> st;
  for (auto& s : st) s = {VectorXd(ns), VectorXd(ns), VectorXd(ns), VectorXd(ns)};
  const auto square = [](double x) { return x * x; };
  for (Eigen::Index s = 0; s < ns; ++s) {
    const int n = sizes[static_cast<std::size_t>(s)];
    std::array<VectorXd, 2> ess, val, share;
    for (int q = 0; q < 2; ++q) ess[q] = val[q] = share[q] = VectorXd(reps);
    for (int r = 0; r < reps; ++r) {
      const VectorXd xl = ps::sample_normal_box_muller(rng, n);
      const VectorXd xh = kTScale * ps::sample_student_t(rng, n, 3);
      const VectorXd lwl = xl.unaryExpr([](double x) { return log_target(x) - log_light(x); });
      const VectorXd lwh = xh.unaryExpr([](double x) { return log_target(x) - log_heavy(x); });
      const std::array<ps::ImportanceResult, 2> est = {ps::importance_estimate(xl, lwl, square),
                                                       ps::importance_estimate(xh, lwh, square)};
      for (int q = 0; q < 2; ++q) {
        ess[q](r) = est[q].ess_fraction;
        val[q](r) = est[q].self_normalized;
        share[q](r) = est[q].max_weight_share;
      }
    }
    rows.push_back({std::to_string(n)});
    for (int q = 0; q < 2; ++q) {
      st[q].ess(s) = ess[q].mean();
      st[q].share(s) = share[q].mean();
      st[q].err(s) = (val[q].array() - 4.0).abs().mean();
      st[q].sd(s) = std::sqrt(ps::sample_variance(val[q]));
      for (double v : {st[q].ess(s), st[q].share(s), st[q].err(s), st[q].sd(s)})
        rows.back().push_back(num(v, 3));
    }
  }
  return st;
}

void importance(mlc::Report& report, mlc::Rng& rng, bool quick) {
  // Theory for the heavy proposal: ESS/n -> 1 / E_q[w²] = 1 / ∫ p²/q dx (quadrature).
  boost::math::quadrature::exp_sinh<double> integrator;
  const double ess_theory = 1.0 / (2.0 * integrator.integrate([](double x) {
                              return std::exp(2.0 * log_target(x) - log_heavy(x));
                            }));
  const int reps = quick ? 10 : 20;
  const std::vector<int> sizes = quick ? std::vector<int>{100, 1000, 10000}
                                       : std::vector<int>{100, 1000, 10000, 100000, 1000000};
  const auto ns = static_cast<Eigen::Index>(sizes.size());
  VectorXd nsz(ns);
  for (Eigen::Index s = 0; s < ns; ++s) nsz(s) = sizes[static_cast<std::size_t>(s)];
  std::vector<Row> rows;
  const std::array<ImportanceStats, 2> st = simulate_importance(rng, sizes, reps, rows);
  const ImportanceStats &light = st[0], &heavy = st[1];
  report.metric("importance.n", nsz);
  for (int q = 0; q < 2; ++q) {
    const std::string k = q == 0 ? "importance.light." : "importance.heavy.";
    report.metric(k + "ess_fraction", st[q].ess);
    report.metric(k + "max_weight_share", st[q].share);
    report.metric(k + "mean_abs_error", st[q].err);
    report.metric(k + "sd_estimate", st[q].sd);
  }
  const std::string theory = report.quote("importance.heavy.ess_fraction_theory", ess_theory),
                    slope_l = report.quote("importance.light.ess_slope",
                                           ps::loglog_slope(nsz, light.ess), 3);
  fmt::print("  importance: ESS/n light {:.4f} -> {:.4f} (slope {}), heavy {:.4f} -> {:.4f}\n",
             light.ess(0), light.ess(ns - 1), slope_l, heavy.ess(0), heavy.ess(ns - 1));

  report.section("Importance sampling and the effective sample size");
  report.text(fmt::format(
      "Target p = N(0, 2²), estimating E_p[x²] = 4 with the self-normalised estimator (8) from "
      "two proposals: q = N(0,1) (lighter tails than p) and q = 2·t₃ (heavier tails, drawn as "
      "Z/√(χ²₃/3) by (15)). {} repetitions per n; ESS (9) as a fraction of n, mean over "
      "repetitions; 'max share' is the largest single weight's share of Σw; |err| the mean "
      "absolute error; sd the standard deviation of the estimate across repetitions. For the "
      "heavy proposal ESS/n tends to 1/∫p²/q = {} (Boost exp-sinh quadrature).",
      reps, theory));
  report.table({"n", "ESS/n, N(0,1)", "max share, N(0,1)", "|err|, N(0,1)", "sd, N(0,1)",
                "ESS/n, 2·t₃", "max share, 2·t₃", "|err|, 2·t₃", "sd, 2·t₃"},
               rows);
  mlc::Figure fig("Importance sampling: ESS/n vs n");
  fig.xlabel("n (draws)").ylabel("ESS / n").logx().logy();
  fig.line_points(nsz, light.ess, "proposal N(0,1): light tails");
  fig.line_points(nsz, heavy.ess, "proposal 2·t3: heavy tails");
  fig.line(nsz, VectorXd::Constant(ns, ess_theory), "1/∫p²/q (heavy)", {.color = 1, .dash = true});
  fig.line(nsz, (nsz.array() / nsz(0)).pow(-0.5) * light.ess(0), "∝ n^-1/2",
           {.color = 0, .dash = true});
  fig.legend("bottom left");
  report.figure(
      fig, "importance_ess",
      "ESS/n for target N(0, 2²): with the light-tailed N(0,1) proposal it keeps collapsing "
      "(the weights have infinite variance; dashed: the asymptotic rate n^-1/2); with the "
      "heavy-tailed proposal it is stable at its theoretical value 1/∫p²/q.");
  std::string sd_path;
  for (Eigen::Index s = 0; s < ns; ++s) sd_path += (s ? " → " : "") + num(light.sd(s), 3);
  report.failure_mode(
      {.name = "Importance sampling with a light-tailed proposal has infinite variance",
       .trigger = "target N(0, 2²), proposal N(0, 1): the weights w = p/q = ½ exp(3x²/8) are "
                  "unbounded and E_q[w²] = ∫p²/q diverges.",
       .symptom = fmt::format(
           "ESS/n falls from {} (n = {}) to {} (n = {}), log-log slope {} (theory: -1/2 up "
           "to a logarithmic factor); the heaviest single draw carries on average {} of the "
           "total weight at n = {} (heavy proposal: {}); the sd of the estimate across "
           "repetitions goes {} instead of shrinking like 1/√n, and the mean absolute "
           "error of E[x²] = 4 is still {} at n = {}.",
           num(light.ess(0), 3), sizes.front(), num(light.ess(ns - 1), 3), sizes.back(), slope_l,
           num(light.share(ns - 1), 3), sizes.back(), num(heavy.share(ns - 1), 3), sd_path,
           num(light.err(ns - 1), 3), sizes.back()),
       .why = "P(w > t) ~ t^(-4/3): the weights have a finite mean but infinite variance, so Σw² "
              "is ruled by the largest weight (~ n^(3/2)) and ESS = (Σw)²/Σw² ~ n^(1/2); the "
              "estimate is driven by rare draws in the tails of q, where p has most of the mass "
              "of x².",
       .mitigation = fmt::format(
           "a proposal with heavier tails than the target (2·t₃): ESS/n = {} at n = {} "
           "and {} at n = {} (theory {}), error {} at n = {}, its sd shrinking as "
           "n^{} (CLT rate -1/2).",
           num(heavy.ess(0), 3), sizes.front(), num(heavy.ess(ns - 1), 3), sizes.back(),
           num(ess_theory, 3), num(heavy.err(ns - 1), 3), sizes.back(),
           report.quote("importance.heavy.sd_slope", ps::loglog_slope(nsz, heavy.sd), 3))});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  mlc::Timer timer;
  // Runs one experiment on its own random stream `stream`, then records its wall time.
  auto step = [&](const char* title, auto experiment, std::uint64_t stream) {
    if (title) fmt::print("{}\n", title);
    mlc::Rng rng = root.derive(stream);
    experiment(report, rng, opt.quick);
  };
  auto lap = [&](const char* name) {
    report.timing(name, timer.seconds());
    timer.reset();
  };
  step("1. Samplers, graded by the KS test and their moments", samplers, 1);
  lap("samplers_seconds");
  step("2. The KS test against tables, exact values and the null", ks_validation, 2);
  step(nullptr, lilliefors, 3);
  lap("ks_seconds");
  step("3. The central limit theorem", clt, 4);
  lap("clt_seconds");
  step("4. The law of large numbers, and Cauchy samples", cauchy_failure, 5);
  lap("cauchy_seconds");
  step("5. Importance sampling", importance, 6);
  lap("importance_seconds");
  report.headline({"clt.exponential.slope_simulated", "lilliefors.rejection_rate_naive"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
