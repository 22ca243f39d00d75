// 1.6 probability_and_sampling: samplers built from uniforms, Monte-Carlo estimators, and a
// Kolmogorov–Smirnov test written from scratch.
//
// Sources:
//   L. Devroye, Non-Uniform Random Variate Generation (1986): §II.2 inversion, §II.3
//     rejection, §V.4 Box–Muller.
//   G. E. P. Box, M. E. Muller, "A note on the generation of random normal deviates",
//     Ann. Math. Stat. 29 (1958).
//   C. P. Robert, G. Casella, Monte Carlo Statistical Methods, 2nd ed. (2004): §2.3
//     accept–reject, §3.3 importance sampling; A. Kong (1992) and J. S. Liu (2001, §2.5)
//     for the effective sample size.
//   A. Kolmogorov (1933); M. A. Stephens, "EDF statistics for goodness of fit", JASA 69
//     (1974), the small-n correction; G. Marsaglia, W. W. Tsang, J. Wang, "Evaluating
//     Kolmogorov's distribution", J. Stat. Softw. 8(18) (2003), the exact finite-n CDF.
//
// Equation numbers (1)...(15) refer to NOTES.md. Samples are Eigen vectors (one draw per
// entry); every random choice comes from an mlc::Rng passed in.
//
// Build and run:  ./learn run probability_and_sampling [--quick] [--seed N]
#pragma once

#include <functional>
#include <utility>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace probability_and_sampling {

using Density = std::function<double(double)>;   // x -> p(x)
using Cdf = std::function<double(double)>;       // x -> F(x)
using Quantile = std::function<double(double)>;  // u in (0,1) -> F^{-1}(u)
using Sampler = std::function<double(mlc::Rng&)>;

// ---------------------------------------------------------------- inverse-CDF sampling (1)

// (2) Exponential(rate) quantile: F^{-1}(u) = -log(1 - u) / rate. Requires 0 <= u < 1.
double exponential_quantile(double u, double rate);
// (3) Cauchy(location, scale) quantile: x0 + γ tan(π (u - 1/2)). Requires 0 < u < 1.
double cauchy_quantile(double u, double location, double scale);

// (1) n draws X = F^{-1}(U), U ~ U(0,1) (U = 0 is redrawn so that F^{-1}(0) = -inf never
// occurs). Any quantile function works: a closed form above or a Boost.Math one, e.g.
//   inverse_cdf_sample([&](double u) { return boost::math::quantile(gamma, u); }, rng, n).
Eigen::VectorXd inverse_cdf_sample(const Quantile& quantile, mlc::Rng& rng, Eigen::Index n);

// ------------------------------------------------------------------------- Box–Muller (4)

// (4) Two independent N(0,1) from two independent uniforms u1 in (0,1], u2 in [0,1):
//   r = sqrt(-2 log u1), θ = 2π u2, (z1, z2) = (r cos θ, r sin θ).
std::pair<double, double> box_muller(double u1, double u2);
// n draws of N(mean, sd²) by Box–Muller (pairs used in order).
Eigen::VectorXd sample_normal_box_muller(mlc::Rng& rng, Eigen::Index n, double mean = 0.0,
                                         double sd = 1.0);

// n draws of Student's t with integer ν degrees of freedom by transformation (15):
// T = Z / √(V/ν), Z ~ N(0,1), V = Σ_{k=1}^{ν} Z_k² ~ χ²_ν, all normals by Box–Muller.
// (The generic inverse CDF with Boost's t quantile also works, but is ~20× slower.)
Eigen::VectorXd sample_student_t(mlc::Rng& rng, Eigen::Index n, int nu);

// ------------------------------------------------------------------ rejection sampling (5)

struct RejectionResult {
  Eigen::VectorXd samples;       // n accepted draws
  long proposals = 0;            // proposals drawn to get them
  long envelope_violations = 0;  // proposals where p(x) > M q(x): M is not an envelope
  double acceptance_rate() const {
    return proposals > 0 ? static_cast<double>(samples.size()) / static_cast<double>(proposals)
                         : 0.0;
  }
};

// (5) Accept–reject: draw x ~ q, u ~ U(0,1), accept x when u M q(x) <= p(x), until n
// accepted. p is the target density (normalised or not), q the proposal density, M >=
// sup p/q. The acceptance rate is (∫p)/M, i.e. 1/M for a normalised p (6).
RejectionResult rejection_sample(const Density& target_pdf, const Sampler& proposal,
                                 const Density& proposal_pdf, double envelope_m, mlc::Rng& rng,
                                 Eigen::Index n);

// sup_x p(x)/q(x) on a grid of `points` in [lo, hi]: the envelope constant, found
// numerically (multiply by a small safety factor, since the grid may miss the peak).
double envelope_constant(const Density& target_pdf, const Density& proposal_pdf, double lo,
                         double hi, int points = 20001);

// ----------------------------------------------------------------- importance sampling (7)

struct ImportanceResult {
  double estimate = 0.0;          // (7) (1/n) Σ w_i f(x_i), needs a normalised target
  double self_normalized = 0.0;   // (8) Σ w_i f(x_i) / Σ w_i
  double ess = 0.0;               // (9) (Σ w)² / Σ w²
  double ess_fraction = 0.0;      // ess / n
  double max_weight_share = 0.0;  // max_i w_i / Σ w: one draw's share of the estimate
};

// Importance-sampling estimates of E_p[f] from draws x ~ q and log weights
// log w_i = log p(x_i) - log q(x_i) (weights are exponentiated after subtracting their
// maximum, so that huge weights do not overflow).
ImportanceResult importance_estimate(const Eigen::VectorXd& x, const Eigen::VectorXd& log_weights,
                                     const std::function<double(double)>& f);
// (9) Kish's effective sample size (Σ w)² / Σ w² of non-negative weights.
double effective_sample_size(const Eigen::VectorXd& weights);

// ------------------------------------------------------------- Kolmogorov–Smirnov test (10)

// (10) D_n = sup_x |F_n(x) - F(x)| of a sample against a continuous CDF F, evaluated at the
// order statistics: D_n = max_i max(i/n - F(x_(i)), F(x_(i)) - (i-1)/n).
double ks_statistic(const Eigen::VectorXd& sample, const Cdf& cdf);

// (11) Q(λ) = 2 Σ_{k>=1} (-1)^{k-1} exp(-2 k² λ²), the limiting P(√n D_n > λ); for small λ
// the equivalent theta-function series (12) 1 - (√(2π)/λ) Σ exp(-(2k-1)² π² / (8 λ²)).
double kolmogorov_q(double lambda);
// (13) p-value P(D_n >= d) with Stephens' small-n correction λ = (√n + 0.12 + 0.11/√n) d.
double kolmogorov_pvalue(double d, Eigen::Index n);
// (14) The exact P(D_n < d) for finite n (Marsaglia, Tsang and Wang 2003): a power of a
// (2k-1)×(2k-1) matrix, k = floor(n d) + 1. An independent check of (13).
double kolmogorov_exact_cdf(double d, Eigen::Index n);

struct KsResult {
  double statistic = 0.0;  // D_n
  double p_value = 1.0;    // (13)
};
KsResult ks_test(const Eigen::VectorXd& sample, const Cdf& cdf);

// ---------------------------------------------------------------- simulation helpers

// Running means x̄_k = (1/k) Σ_{i<=k} x_i, k = 1..n (the law of large numbers).
Eigen::VectorXd running_mean(const Eigen::VectorXd& x);
// The p-quantile of the values (linear interpolation between order statistics, type 7).
double sample_quantile(Eigen::VectorXd values, double p);
// Interquartile range Q(0.75) - Q(0.25).
double interquartile_range(const Eigen::VectorXd& values);
double sample_mean(const Eigen::VectorXd& x);
double sample_variance(const Eigen::VectorXd& x);  // unbiased, two-pass
double sample_median(const Eigen::VectorXd& x);

// The least-squares slope of log y against log x (a convergence rate on log-log axes).
double loglog_slope(const Eigen::VectorXd& x, const Eigen::VectorXd& y);

}  // namespace probability_and_sampling
