// 1.6 probability_and_sampling: the algorithms (pure computation, no I/O).
// Equation numbers refer to NOTES.md; sources are cited in probability_and_sampling.hpp.
#include "probability_and_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "mlc/error.hpp"

namespace probability_and_sampling {

// ---------------------------------------------------------------- inverse-CDF sampling

double exponential_quantile(double u, double rate) {
  mlc::require(u >= 0.0 && u < 1.0, "exponential_quantile", "u must lie in [0, 1)");
  mlc::require(rate > 0.0, "exponential_quantile", "rate must be positive");
  // (2) -log(1 - u) / rate; log1p keeps the digits of small u (the left tail).
  return -std::log1p(-u) / rate;
}

double cauchy_quantile(double u, double location, double scale) {
  mlc::require(u > 0.0 && u < 1.0, "cauchy_quantile", "u must lie in (0, 1)");
  mlc::require(scale > 0.0, "cauchy_quantile", "scale must be positive");
  // (3) x0 + γ tan(π (u - 1/2)) = x0 - γ / tan(π u): written with the cotangent so that the
  // far tails (u -> 0 or 1) do not lose digits to the rounding of π (u - 1/2) near ±π/2.
  constexpr double pi = std::numbers::pi;
  return u < 0.5 ? location - scale / std::tan(pi * u)
                 : location + scale / std::tan(pi * (1.0 - u));
}

Eigen::VectorXd inverse_cdf_sample(const Quantile& quantile, mlc::Rng& rng, Eigen::Index n) {
  mlc::require(n >= 0, "inverse_cdf_sample", "n must be non-negative");
  // BEGIN EXERCISE inverse_cdf_sample: X = F^{-1}(U) with U ~ U(0,1), equation (1)
  Eigen::VectorXd x(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    double u = rng.uniform();
    while (u == 0.0) u = rng.uniform();  // F^{-1}(0) is -inf for unbounded support
    x(i) = quantile(u);                  // (1) P(F^{-1}(U) <= x) = P(U <= F(x)) = F(x)
  }
  return x;
  // END EXERCISE
}

// ------------------------------------------------------------------------- Box–Muller

std::pair<double, double> box_muller(double u1, double u2) {
  mlc::require(u1 > 0.0 && u1 <= 1.0 && u2 >= 0.0 && u2 < 1.0, "box_muller",
               "need u1 in (0, 1] and u2 in [0, 1)");
  // BEGIN EXERCISE box_muller: (r, θ) -> (r cos θ, r sin θ), equation (4)
  // (4) R² = -2 log U1 is Exponential(1/2) = χ²_2, the law of Z1² + Z2²; Θ = 2π U2 is the
  // uniform angle of a rotation-invariant pair.
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  return {r * std::cos(theta), r * std::sin(theta)};
  // END EXERCISE
}

Eigen::VectorXd sample_normal_box_muller(mlc::Rng& rng, Eigen::Index n, double mean, double sd) {
  mlc::require(n >= 0 && sd > 0.0, "sample_normal_box_muller", "need n >= 0 and sd > 0");
  Eigen::VectorXd z(n);
  for (Eigen::Index i = 0; i < n; i += 2) {
    const double u1 = 1.0 - rng.uniform();  // (0, 1]: log(u1) is finite
    const double u2 = rng.uniform();
    const auto [z1, z2] = box_muller(u1, u2);
    z(i) = mean + sd * z1;
    if (i + 1 < n) z(i + 1) = mean + sd * z2;
  }
  return z;
}

Eigen::VectorXd sample_student_t(mlc::Rng& rng, Eigen::Index n, int nu) {
  mlc::require(n >= 0 && nu >= 1, "sample_student_t", "need n >= 0 and nu >= 1");
  const Eigen::VectorXd z = sample_normal_box_muller(rng, n * (nu + 1));
  Eigen::VectorXd t(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto zi = z.segment(i * (nu + 1), nu + 1);
    const double v = zi.tail(nu).squaredNorm();  // χ²_ν
    t(i) = zi(0) / std::sqrt(v / nu);            // (15)
  }
  return t;
}

// ------------------------------------------------------------------ rejection sampling

RejectionResult rejection_sample(const Density& target_pdf, const Sampler& proposal,
                                 const Density& proposal_pdf, double envelope_m, mlc::Rng& rng,
                                 Eigen::Index n) {
  mlc::require(n >= 0, "rejection_sample", "n must be non-negative");
  mlc::require(envelope_m > 0.0 && std::isfinite(envelope_m), "rejection_sample",
               "the envelope constant M must be positive and finite");
  const long max_proposals = 100000L * (static_cast<long>(n) + 1);  // acceptance >= 1e-5
  // BEGIN EXERCISE rejection_sample: accept x ~ q with probability p(x) / (M q(x)), equation (5)
  RejectionResult result;
  result.samples.resize(n);
  Eigen::Index accepted = 0;
  while (accepted < n) {
    if (result.proposals >= max_proposals) {
      throw mlc::NumericalError("rejection_sample: acceptance rate below 1e-5; is M too large?");
    }
    const double x = proposal(rng);
    const double u = rng.uniform();
    const double p = target_pdf(x), mq = envelope_m * proposal_pdf(x);
    ++result.proposals;
    if (p > mq) ++result.envelope_violations;  // then x is accepted too rarely: bias
    // (5) accept with probability p(x) / (M q(x)); the accepted x have density p (6).
    if (u * mq <= p) result.samples(accepted++) = x;
  }
  return result;
  // END EXERCISE
}

double envelope_constant(const Density& target_pdf, const Density& proposal_pdf, double lo,
                         double hi, int points) {
  mlc::require(hi > lo && points >= 2, "envelope_constant", "need hi > lo and >= 2 points");
  double m = 0.0;
  for (int i = 0; i < points; ++i) {
    const double x = lo + (hi - lo) * i / (points - 1);
    const double q = proposal_pdf(x);
    if (q > 0.0) m = std::max(m, target_pdf(x) / q);
  }
  return m;
}

// ----------------------------------------------------------------- importance sampling

double effective_sample_size(const Eigen::VectorXd& weights) {
  mlc::require(weights.size() > 0 && (weights.array() >= 0.0).all(), "effective_sample_size",
               "need at least one weight, all non-negative");
  const double s = weights.sum(), s2 = weights.squaredNorm();
  return s2 > 0.0 ? s * s / s2 : 0.0;  // (9)
}

ImportanceResult importance_estimate(const Eigen::VectorXd& x, const Eigen::VectorXd& log_weights,
                                     const std::function<double(double)>& f) {
  mlc::require(x.size() > 0 && x.size() == log_weights.size(), "importance_estimate",
               "need as many log weights as draws (" + std::to_string(x.size()) + " draws, " +
                   std::to_string(log_weights.size()) + " weights)");
  mlc::require_finite(log_weights, "importance_estimate: log weights");
  const double n = static_cast<double>(x.size());
  const double shift = log_weights.maxCoeff();
  const Eigen::VectorXd w = (log_weights.array() - shift).exp().matrix();  // w_i / max w
  Eigen::VectorXd fx(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) fx(i) = f(x(i));
  const double sum_w = w.sum(), sum_wf = w.dot(fx);
  ImportanceResult r;
  r.estimate = std::exp(shift) * sum_wf / n;  // (7) (1/n) Σ w_i f(x_i)
  r.self_normalized = sum_wf / sum_w;         // (8) the shift cancels
  r.ess = effective_sample_size(w);           // (9) scale-free
  r.ess_fraction = r.ess / n;
  r.max_weight_share = w.maxCoeff() / sum_w;
  return r;
}

// ------------------------------------------------------------- Kolmogorov–Smirnov test

double ks_statistic(const Eigen::VectorXd& sample, const Cdf& cdf) {
  mlc::require(sample.size() > 0, "ks_statistic", "empty sample");
  mlc::require_finite(sample, "ks_statistic: sample");
  // BEGIN EXERCISE ks_statistic: D_n = sup |F_n - F| at the order statistics, equation (10)
  std::vector<double> x(sample.data(), sample.data() + sample.size());
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(x[i]);
    // (10) F_n jumps from i/n to (i+1)/n at x_(i+1) (0-based i): check both sides of the step.
    d = std::max({d, (static_cast<double>(i) + 1.0) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
  // END EXERCISE
}

double kolmogorov_q(double lambda) {
  if (!(lambda > 0.0)) return 1.0;
  // BEGIN EXERCISE kolmogorov_pvalue: the Kolmogorov tail Q(λ) by the series (11) and (12)
  constexpr double pi = std::numbers::pi;
  if (lambda < 1.18) {
    // (12) theta-function form: converges fast where the alternating series (11) does not.
    double s = 0.0;
    for (int k = 1; k <= 20; ++k) {
      const double j = 2.0 * k - 1.0;
      s += std::exp(-j * j * pi * pi / (8.0 * lambda * lambda));
    }
    return std::clamp(1.0 - std::sqrt(2.0 * pi) / lambda * s, 0.0, 1.0);
  }
  // (11) Q(λ) = 2 Σ (-1)^{k-1} exp(-2 k² λ²); for λ >= 1.18 the k = 4 term is < 1e-23.
  double s = 0.0, sign = 1.0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    s += sign * term;
    if (term < 1e-300) break;
    sign = -sign;
  }
  return std::clamp(2.0 * s, 0.0, 1.0);
  // END EXERCISE
}

double kolmogorov_pvalue(double d, Eigen::Index n) {
  mlc::require(n >= 1, "kolmogorov_pvalue", "n must be >= 1");
  mlc::require(d >= 0.0 && d <= 1.0, "kolmogorov_pvalue", "D must lie in [0, 1]");
  const double rn = std::sqrt(static_cast<double>(n));
  return kolmogorov_q((rn + 0.12 + 0.11 / rn) * d);  // (13) Stephens (1974)
}

double kolmogorov_exact_cdf(double d, Eigen::Index n) {
  mlc::require(n >= 1, "kolmogorov_exact_cdf", "n must be >= 1");
  mlc::require(n <= 5000, "kolmogorov_exact_cdf", "n above 5000: use the asymptotic (13)");
  if (d <= 0.5 / static_cast<double>(n)) return 0.0;  // D_n >= 1/(2n) always
  if (d >= 1.0) return 1.0;
  // (14) Marsaglia, Tsang and Wang (2003): P(D_n < d) = n!/n^n [H^n]_{k,k},
  // k = floor(n d) + 1, h = k - n d, H the m × m matrix below, m = 2k - 1.
  const double nd = static_cast<double>(n) * d;
  const int k = static_cast<int>(nd) + 1;
  const int m = 2 * k - 1;
  const double h = k - nd;
  Eigen::MatrixXd H(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) H(i, j) = (i - j + 1 >= 0) ? 1.0 : 0.0;
  for (int i = 0; i < m; ++i) {
    H(i, 0) -= std::pow(h, i + 1);
    H(m - 1, i) -= std::pow(h, m - i);
  }
  H(m - 1, 0) += (2.0 * h - 1.0 > 0.0) ? std::pow(2.0 * h - 1.0, m) : 0.0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      if (i - j + 1 > 0) H(i, j) /= std::tgamma(static_cast<double>(i - j + 2));
  // H^n by repeated squaring, rescaling by 2^-e and tracking log-scale to avoid overflow.
  Eigen::MatrixXd result = Eigen::MatrixXd::Identity(m, m), base = H;
  double log_scale = 0.0, base_log_scale = 0.0;
  auto rescale = [](Eigen::MatrixXd& a, double& log_s) {
    const double mx = a.cwiseAbs().maxCoeff();
    if (mx > 1e100 || (mx > 0.0 && mx < 1e-100)) {
      a /= mx;
      log_s += std::log(mx);
    }
  };
  for (Eigen::Index e = n; e > 0; e >>= 1) {
    if (e & 1) {
      result = (result * base).eval();
      log_scale += base_log_scale;
      rescale(result, log_scale);
    }
    if (e > 1) {
      base = (base * base).eval();
      base_log_scale *= 2.0;
      rescale(base, base_log_scale);
    }
  }
  const double qkk = result(k - 1, k - 1);
  if (qkk <= 0.0) return 0.0;
  const double nn = static_cast<double>(n);
  const double log_p = std::log(qkk) + log_scale + std::lgamma(nn + 1.0) - nn * std::log(nn);
  return std::clamp(std::exp(log_p), 0.0, 1.0);
}

KsResult ks_test(const Eigen::VectorXd& sample, const Cdf& cdf) {
  KsResult r;
  r.statistic = ks_statistic(sample, cdf);
  r.p_value = kolmogorov_pvalue(r.statistic, sample.size());
  return r;
}

// ---------------------------------------------------------------- simulation helpers

Eigen::VectorXd running_mean(const Eigen::VectorXd& x) {
  Eigen::VectorXd m(x.size());
  double s = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    s += x(i);
    m(i) = s / static_cast<double>(i + 1);
  }
  return m;
}

double sample_quantile(Eigen::VectorXd values, double p) {
  mlc::require(values.size() > 0 && p >= 0.0 && p <= 1.0, "sample_quantile",
               "need a non-empty sample and p in [0, 1]");
  std::sort(values.data(), values.data() + values.size());
  const double h = (static_cast<double>(values.size()) - 1.0) * p;
  const auto lo = static_cast<Eigen::Index>(std::floor(h));
  if (lo + 1 >= values.size()) return values(values.size() - 1);
  return values(lo) + (h - static_cast<double>(lo)) * (values(lo + 1) - values(lo));
}

double interquartile_range(const Eigen::VectorXd& values) {
  return sample_quantile(values, 0.75) - sample_quantile(values, 0.25);
}

double sample_mean(const Eigen::VectorXd& x) {
  mlc::require(x.size() > 0, "sample_mean", "empty sample");
  return x.mean();
}

double sample_variance(const Eigen::VectorXd& x) {
  mlc::require(x.size() > 1, "sample_variance", "need at least two values");
  const double m = x.mean();
  return (x.array() - m).square().sum() / static_cast<double>(x.size() - 1);
}

double sample_median(const Eigen::VectorXd& x) {
  return sample_quantile(x, 0.5);
}

double loglog_slope(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  mlc::require(x.size() == y.size() && x.size() >= 2, "loglog_slope",
               "need two equal-size vectors with >= 2 points");
  const Eigen::ArrayXd lx = x.array().log(), ly = y.array().log();
  const double mx = lx.mean(), my = ly.mean();
  return ((lx - mx) * (ly - my)).sum() / (lx - mx).square().sum();
}

}  // namespace probability_and_sampling
