// information_theory.cpp: the computations of lesson 1.8 (see information_theory.hpp for
// the contracts and NOTES.md for equations (1)–(17)). Pure computation: no I/O.
#include "information_theory.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include <Eigen/Cholesky>
#include <boost/math/quadrature/gauss.hpp>
#include <fmt/format.h>

#include "mlc/error.hpp"

namespace information_theory {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLog2Pi = 1.8378770664093454836;  // log(2π)

// A probability vector: finite, non-negative, summing to one within 1e-9 per entry.
void require_distribution(const Eigen::Ref<const Eigen::VectorXd>& p, const char* function,
                          const char* name) {
  mlc::require(p.size() > 0, function, fmt::format("{} is empty", name));
  mlc::require(p.allFinite() && (p.array() >= 0.0).all(), function,
               fmt::format("{} must have finite, non-negative entries", name));
  const double total = p.sum();
  mlc::require(std::abs(total - 1.0) <= 1e-9 * static_cast<double>(p.size()), function,
               fmt::format("{} must sum to one (sums to {:.12g} over {} entries)", name, total,
                           p.size()));
}

void require_same_size(const Eigen::Ref<const Eigen::VectorXd>& p,
                       const Eigen::Ref<const Eigen::VectorXd>& q, const char* function) {
  mlc::require(p.size() == q.size(), function,
               fmt::format("p has {} entries but q has {}", p.size(), q.size()));
}

void require_counts(const Eigen::Ref<const Eigen::MatrixXd>& counts, const char* function) {
  mlc::require(counts.size() > 0, function, "the count table is empty");
  mlc::require(counts.allFinite() && (counts.array() >= 0.0).all(), function,
               "counts must be finite and non-negative");
  mlc::require(counts.sum() > 0.0, function, "the count table holds no samples");
}

}  // namespace

// ---- Discrete distributions -------------------------------------------------------------

double entropy(const Eigen::Ref<const Eigen::VectorXd>& p) {
  require_distribution(p, "entropy", "p");
  // BEGIN EXERCISE entropy: Shannon entropy in nats, equation (1), with 0 log 0 = 0
  double h = 0.0;
  for (Eigen::Index k = 0; k < p.size(); ++k) {
    if (p(k) > 0.0) h -= p(k) * std::log(p(k));
  }
  return h;
  // END EXERCISE
}

double bernoulli_entropy(double theta) {
  mlc::require(theta >= 0.0 && theta <= 1.0, "bernoulli_entropy",
               fmt::format("theta = {} is not in [0, 1]", theta));
  Eigen::Vector2d p(theta, 1.0 - theta);
  return entropy(p);
}

double cross_entropy(const Eigen::Ref<const Eigen::VectorXd>& p,
                     const Eigen::Ref<const Eigen::VectorXd>& q) {
  require_same_size(p, q, "cross_entropy");
  require_distribution(p, "cross_entropy", "p");
  require_distribution(q, "cross_entropy", "q");
  // (2) -Σ p_k log q_k over the support of p
  double h = 0.0;
  for (Eigen::Index k = 0; k < p.size(); ++k) {
    if (p(k) == 0.0) continue;
    if (q(k) == 0.0) return kInf;
    h -= p(k) * std::log(q(k));
  }
  return h;
}

double kl_divergence(const Eigen::Ref<const Eigen::VectorXd>& p,
                     const Eigen::Ref<const Eigen::VectorXd>& q) {
  require_same_size(p, q, "kl_divergence");
  require_distribution(p, "kl_divergence", "p");
  require_distribution(q, "kl_divergence", "q");
  // BEGIN EXERCISE kl_divergence: KL(p‖q), equation (3); +inf where q_k = 0 < p_k
  double kl = 0.0;
  for (Eigen::Index k = 0; k < p.size(); ++k) {
    if (p(k) == 0.0) continue;  // 0 log(0/q) = 0, whatever q
    if (q(k) == 0.0) return kInf;
    kl += p(k) * std::log(p(k) / q(k));
  }
  // Rounding can leave -1e-17 for p = q; Gibbs' inequality says KL ≥ 0.
  return std::max(kl, 0.0);
  // END EXERCISE
}

double js_divergence(const Eigen::Ref<const Eigen::VectorXd>& p,
                     const Eigen::Ref<const Eigen::VectorXd>& q) {
  require_same_size(p, q, "js_divergence");
  // (4) m has mass wherever p or q has, so both KL terms are finite.
  const Eigen::VectorXd m = 0.5 * (p + q);
  return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m);
}

Eigen::VectorXd marginal_x(const Eigen::Ref<const Eigen::MatrixXd>& pxy) {
  return pxy.rowwise().sum();
}

Eigen::VectorXd marginal_y(const Eigen::Ref<const Eigen::MatrixXd>& pxy) {
  return pxy.colwise().sum().transpose();
}

double joint_entropy(const Eigen::Ref<const Eigen::MatrixXd>& pxy) {
  const Eigen::MatrixXd table = pxy;  // contiguous copy, read as one vector of Kx·Ky cells
  return entropy(Eigen::Map<const Eigen::VectorXd>(table.data(), table.size()));
}

double mutual_information(const Eigen::Ref<const Eigen::MatrixXd>& pxy) {
  const Eigen::VectorXd flat =
      Eigen::Map<const Eigen::VectorXd>(Eigen::MatrixXd(pxy).data(), pxy.size());
  require_distribution(flat, "mutual_information", "the joint table pxy");
  const Eigen::VectorXd px = marginal_x(pxy), py = marginal_y(pxy);
  // (5) Σ p(x,y) log[p(x,y) / (p(x) p(y))]; p(x,y) > 0 implies p(x), p(y) > 0.
  double mi = 0.0;
  for (Eigen::Index j = 0; j < pxy.cols(); ++j) {
    for (Eigen::Index i = 0; i < pxy.rows(); ++i) {
      const double pij = pxy(i, j);
      if (pij > 0.0) mi += pij * std::log(pij / (px(i) * py(j)));
    }
  }
  return std::max(mi, 0.0);
}

// ---- Estimators from samples ------------------------------------------------------------

Eigen::VectorXi sample_categorical(const Eigen::Ref<const Eigen::VectorXd>& p, Eigen::Index n,
                                   mlc::Rng& rng) {
  require_distribution(p, "sample_categorical", "p");
  mlc::require(n >= 0, "sample_categorical", "n must be non-negative");
  std::vector<double> cdf(static_cast<std::size_t>(p.size()));
  double running = 0.0;
  for (Eigen::Index k = 0; k < p.size(); ++k) cdf[static_cast<std::size_t>(k)] = running += p(k);
  // Inverse CDF: the first k with u < F(k); u is drawn below F(K-1) so rounding in the last
  // cumulative sum cannot push a draw past the end.
  Eigen::VectorXi out(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double u = rng.uniform() * running;
    auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    out(i) = static_cast<int>(std::min<std::ptrdiff_t>(it - cdf.begin(), p.size() - 1));
  }
  return out;
}

Eigen::MatrixXi sample_joint(const Eigen::Ref<const Eigen::MatrixXd>& pxy, Eigen::Index n,
                             mlc::Rng& rng) {
  // Flatten row-major: cell (i, j) is index i * Ky + j.
  const Eigen::Index Ky = pxy.cols();
  Eigen::VectorXd flat(pxy.size());
  for (Eigen::Index i = 0; i < pxy.rows(); ++i)
    for (Eigen::Index j = 0; j < Ky; ++j) flat(i * Ky + j) = pxy(i, j);
  const Eigen::VectorXi cells = sample_categorical(flat, n, rng);
  Eigen::MatrixXi xy(n, 2);
  for (Eigen::Index s = 0; s < n; ++s) {
    xy(s, 0) = static_cast<int>(cells(s) / Ky);
    xy(s, 1) = static_cast<int>(cells(s) % Ky);
  }
  return xy;
}

Eigen::VectorXd category_counts(const Eigen::Ref<const Eigen::VectorXi>& samples, int K) {
  mlc::require(K > 0, "category_counts", "K must be positive");
  Eigen::VectorXd c = Eigen::VectorXd::Zero(K);
  for (Eigen::Index i = 0; i < samples.size(); ++i) {
    mlc::require(samples(i) >= 0 && samples(i) < K, "category_counts",
                 fmt::format("sample {} = {} is outside {{0, ..., {}}}", i, samples(i), K - 1));
    c(samples(i)) += 1.0;
  }
  return c;
}

Eigen::MatrixXd contingency_table(const Eigen::Ref<const Eigen::MatrixXi>& xy, int Kx, int Ky) {
  mlc::require(xy.cols() == 2, "contingency_table",
               fmt::format("xy must be n × 2 (x, y), got {} columns", xy.cols()));
  mlc::require(Kx > 0 && Ky > 0, "contingency_table", "Kx and Ky must be positive");
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(Kx, Ky);
  for (Eigen::Index s = 0; s < xy.rows(); ++s) {
    mlc::require(xy(s, 0) >= 0 && xy(s, 0) < Kx && xy(s, 1) >= 0 && xy(s, 1) < Ky,
                 "contingency_table", fmt::format("sample {} is outside the {} × {} table", s, Kx, Ky));
    c(xy(s, 0), xy(s, 1)) += 1.0;
  }
  return c;
}

Eigen::VectorXd additive_smoothing(const Eigen::Ref<const Eigen::VectorXd>& counts, double alpha) {
  require_counts(counts, "additive_smoothing");
  mlc::require(alpha >= 0.0, "additive_smoothing", fmt::format("alpha = {} < 0", alpha));
  // (16) q_k = (c_k + α) / (n + K α)
  const double denominator = counts.sum() + static_cast<double>(counts.size()) * alpha;
  return (counts.array() + alpha) / denominator;
}

double probability_some_category_unseen(const Eigen::Ref<const Eigen::VectorXd>& p, double n) {
  require_distribution(p, "probability_some_category_unseen", "p");
  std::vector<double> support;
  for (Eigen::Index k = 0; k < p.size(); ++k)
    if (p(k) > 0.0) support.push_back(p(k));
  mlc::require(support.size() <= 24, "probability_some_category_unseen",
               fmt::format("support of {} categories is too large for 2^K subsets", support.size()));
  // P(all seen) = Σ_S (-1)^|S| P(no draw in S) = Σ_S (-1)^|S| (1 - p(S))^n
  const std::size_t K = support.size();
  double all_seen = 0.0;
  for (std::uint32_t mask = 0; mask < (1u << K); ++mask) {
    double mass = 0.0;
    for (std::size_t k = 0; k < K; ++k)
      if (mask & (1u << k)) mass += support[k];
    const double sign = (std::popcount(mask) % 2 == 0) ? 1.0 : -1.0;
    all_seen += sign * std::pow(std::max(1.0 - mass, 0.0), n);
  }
  return std::clamp(1.0 - all_seen, 0.0, 1.0);
}

double plugin_entropy(const Eigen::Ref<const Eigen::VectorXd>& counts) {
  require_counts(counts, "plugin_entropy");
  // (13) H(p̂), p̂ = c / n
  return entropy(counts / counts.sum());
}

double miller_madow_entropy(const Eigen::Ref<const Eigen::VectorXd>& counts) {
  require_counts(counts, "miller_madow_entropy");
  // BEGIN EXERCISE miller_madow_correction: equation (14), plug-in + (m - 1)/(2n) with m the
  // number of occupied cells
  const double n = counts.sum();
  const double occupied = static_cast<double>((counts.array() > 0.0).count());
  return plugin_entropy(counts) + (occupied - 1.0) / (2.0 * n);
  // END EXERCISE
}

double plugin_mutual_information(const Eigen::Ref<const Eigen::MatrixXd>& counts) {
  require_counts(counts, "plugin_mutual_information");
  // BEGIN EXERCISE plugin_mutual_information: equation (13), the MI of the empirical joint
  // c / n, summed over the occupied cells: Σ (c_xy/n) log(c_xy n / (c_x c_y))
  const double n = counts.sum();
  const Eigen::VectorXd cx = counts.rowwise().sum();
  const Eigen::VectorXd cy = counts.colwise().sum().transpose();
  double mi = 0.0;
  for (Eigen::Index j = 0; j < counts.cols(); ++j) {
    for (Eigen::Index i = 0; i < counts.rows(); ++i) {
      const double c = counts(i, j);
      if (c > 0.0) mi += (c / n) * std::log(c * n / (cx(i) * cy(j)));
    }
  }
  return std::max(mi, 0.0);
  // END EXERCISE
}

double miller_madow_mutual_information(const Eigen::Ref<const Eigen::MatrixXd>& counts) {
  require_counts(counts, "miller_madow_mutual_information");
  // (15) Ĥ_MM(X) + Ĥ_MM(Y) - Ĥ_MM(X, Y); may be slightly negative (it is a bias correction,
  // not a projection onto MI ≥ 0).
  const Eigen::VectorXd cx = counts.rowwise().sum();
  const Eigen::VectorXd cy = counts.colwise().sum().transpose();
  const Eigen::VectorXd cxy =
      Eigen::Map<const Eigen::VectorXd>(Eigen::MatrixXd(counts).data(), counts.size());
  return miller_madow_entropy(cx) + miller_madow_entropy(cy) - miller_madow_entropy(cxy);
}

double plugin_mi_first_order_bias(int Kx, int Ky, double n) {
  mlc::require(Kx > 0 && Ky > 0 && n > 0.0, "plugin_mi_first_order_bias",
               "Kx, Ky and n must be positive");
  // (15) [(Kx - 1) + (Ky - 1) - (Kx Ky - 1)] / (2n) with the sign flipped
  return static_cast<double>(Kx - 1) * static_cast<double>(Ky - 1) / (2.0 * n);
}

// ---- Cross-entropy as maximum likelihood ------------------------------------------------

double average_negative_log_likelihood(const Eigen::Ref<const Eigen::VectorXi>& samples,
                                       const Eigen::Ref<const Eigen::VectorXd>& q) {
  require_distribution(q, "average_negative_log_likelihood", "q");
  mlc::require(samples.size() > 0, "average_negative_log_likelihood", "no samples");
  // (6) -(1/n) Σ_i log q(x_i)
  double nll = 0.0;
  for (Eigen::Index i = 0; i < samples.size(); ++i) {
    mlc::require(samples(i) >= 0 && samples(i) < q.size(), "average_negative_log_likelihood",
                 fmt::format("sample {} = {} is outside the {} categories", i, samples(i), q.size()));
    nll -= std::log(q(samples(i)));  // log 0 = -inf: an unseen-by-q sample makes the NLL inf
  }
  return nll / static_cast<double>(samples.size());
}

Eigen::VectorXd softmax(const Eigen::Ref<const Eigen::VectorXd>& theta) {
  mlc::require(theta.size() > 0 && theta.allFinite(), "softmax", "logits must be finite");
  const Eigen::ArrayXd e = (theta.array() - theta.maxCoeff()).exp();
  return (e / e.sum()).matrix();
}

ValueGradient softmax_cross_entropy(const Eigen::Ref<const Eigen::VectorXd>& p_hat,
                                    const Eigen::Ref<const Eigen::VectorXd>& theta) {
  require_same_size(p_hat, theta, "softmax_cross_entropy");
  require_distribution(p_hat, "softmax_cross_entropy", "p_hat");
  // (7) H(p̂, softmax θ) = logsumexp(θ) - p̂ᵀθ;  ∇ = softmax(θ) - p̂   [K]
  const double shift = theta.maxCoeff();
  const double lse = shift + std::log((theta.array() - shift).exp().sum());
  return {lse - p_hat.dot(theta), softmax(theta) - p_hat};
}

CategoricalFit fit_categorical_by_cross_entropy(const Eigen::Ref<const Eigen::VectorXd>& p_hat,
                                                double step, int max_iterations,
                                                double tolerance) {
  require_distribution(p_hat, "fit_categorical_by_cross_entropy", "p_hat");
  mlc::require(step > 0.0 && max_iterations > 0, "fit_categorical_by_cross_entropy",
               "step and max_iterations must be positive");
  const double h_hat = entropy(p_hat);
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(p_hat.size());
  CategoricalFit fit;
  for (int t = 0; t < max_iterations; ++t) {
    const ValueGradient vg = softmax_cross_entropy(p_hat, theta);
    fit.kl_history.push_back(std::max(vg.value - h_hat, 0.0));  // (2) H(p̂,q) - H(p̂) = KL
    fit.iterations = t;
    if (vg.gradient.lpNorm<Eigen::Infinity>() < tolerance) {
      fit.converged = true;
      break;
    }
    theta -= step * vg.gradient;
  }
  fit.q = softmax(theta);
  fit.cross_entropy = cross_entropy(p_hat, fit.q);
  return fit;
}

// ---- Gaussians in closed form -----------------------------------------------------------

double gaussian_entropy(double sigma) {
  mlc::require(sigma > 0.0, "gaussian_entropy", fmt::format("sigma = {} must be > 0", sigma));
  // (8) ½ log(2πeσ²)
  return 0.5 * (kLog2Pi + 1.0) + std::log(sigma);
}

double gaussian_entropy(const Eigen::Ref<const Eigen::MatrixXd>& cov) {
  mlc::require(cov.rows() == cov.cols() && cov.rows() > 0, "gaussian_entropy",
               fmt::format("the covariance must be square, got {} × {}", cov.rows(), cov.cols()));
  const Eigen::LLT<Eigen::MatrixXd> llt(cov);
  mlc::require(llt.info() == Eigen::Success, "gaussian_entropy",
               "the covariance is not positive definite");
  // (8) ½ log((2πe)^d det Σ), log det Σ = 2 Σ log L_ii
  const double log_det = 2.0 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
  return 0.5 * (static_cast<double>(cov.rows()) * (kLog2Pi + 1.0) + log_det);
}

double gaussian_kl(double mu1, double sigma1, double mu2, double sigma2) {
  mlc::require(sigma1 > 0.0 && sigma2 > 0.0, "gaussian_kl", "standard deviations must be > 0");
  // (9)
  const double d = mu1 - mu2;
  return std::log(sigma2 / sigma1) + (sigma1 * sigma1 + d * d) / (2.0 * sigma2 * sigma2) - 0.5;
}

double gaussian_mutual_information(double rho) {
  mlc::require(std::abs(rho) < 1.0, "gaussian_mutual_information",
               fmt::format("|rho| = {} must be < 1", std::abs(rho)));
  // (10) -½ log(1 - ρ²), log1p for accuracy at small ρ
  return -0.5 * std::log1p(-rho * rho);
}

Eigen::MatrixXd discretised_bivariate_gaussian(double rho, double half_width, int bins) {
  mlc::require(std::abs(rho) < 1.0 && half_width > 0.0 && bins > 1,
               "discretised_bivariate_gaussian", "need |rho| < 1, half_width > 0, bins > 1");
  const double h = 2.0 * half_width / bins;
  const double one_minus = 1.0 - rho * rho;
  Eigen::MatrixXd p(bins, bins);
  for (int i = 0; i < bins; ++i) {
    const double x = -half_width + (i + 0.5) * h;
    for (int j = 0; j < bins; ++j) {
      const double y = -half_width + (j + 0.5) * h;
      p(i, j) = std::exp(-(x * x - 2.0 * rho * x * y + y * y) / (2.0 * one_minus));
    }
  }
  return p / p.sum();
}

// ---- Quadrature --------------------------------------------------------------------------

double integrate(const std::function<double(double)>& f, double lo, double hi, int panels) {
  mlc::require(hi > lo && panels > 0, "integrate", "need hi > lo and panels > 0");
  // (17) Σ_panels of a 20-point Gauss–Legendre rule: exact for polynomials of degree 39 on
  // each panel.
  const double width = (hi - lo) / panels;
  double total = 0.0;
  for (int k = 0; k < panels; ++k) {
    const double a = lo + k * width;
    total += boost::math::quadrature::gauss<double, 20>::integrate(f, a, a + width);
  }
  return total;
}

double kl_divergence_quadrature(const std::function<double(double)>& log_p,
                                const std::function<double(double)>& log_q, double lo,
                                double hi, int panels) {
  return integrate(
      [&](double x) {
        const double lp = log_p(x);
        const double p = std::exp(lp);
        return p > 0.0 ? p * (lp - log_q(x)) : 0.0;
      },
      lo, hi, panels);
}

// ---- A Gaussian fitted to a mixture ------------------------------------------------------

double GaussianMixture::log_density(double x) const {
  // log Σ_k w_k N(x; μ_k, σ_k²) by log-sum-exp, finite far into the tails
  double top = -kInf;
  Eigen::VectorXd terms(weights.size());
  for (Eigen::Index k = 0; k < weights.size(); ++k) {
    const double z = (x - means(k)) / sds(k);
    terms(k) = std::log(weights(k)) - 0.5 * kLog2Pi - std::log(sds(k)) - 0.5 * z * z;
    top = std::max(top, terms(k));
  }
  return top + std::log((terms.array() - top).exp().sum());
}

double GaussianMixture::dlog_density(double x) const {
  // (log p)'(x) = Σ_k r_k(x) (μ_k - x)/σ_k², r_k = responsibility of component k
  const double lp = log_density(x);
  double d = 0.0;
  for (Eigen::Index k = 0; k < weights.size(); ++k) {
    const double z = (x - means(k)) / sds(k);
    const double log_term = std::log(weights(k)) - 0.5 * kLog2Pi - std::log(sds(k)) - 0.5 * z * z;
    d += std::exp(log_term - lp) * (means(k) - x) / (sds(k) * sds(k));
  }
  return d;
}

double GaussianMixture::mean() const { return weights.dot(means); }

double GaussianMixture::variance() const {
  const double m = mean();
  return (weights.array() * (sds.array().square() + means.array().square())).sum() - m * m;
}

double GaussianMixture::lower() const { return (means.array() - 12.0 * sds.array()).minCoeff(); }
double GaussianMixture::upper() const { return (means.array() + 12.0 * sds.array()).maxCoeff(); }

namespace {
void require_mixture(const GaussianMixture& p, const char* function) {
  mlc::require(p.weights.size() > 0 && p.means.size() == p.weights.size() &&
                   p.sds.size() == p.weights.size(),
               function,
               fmt::format("weights, means and sds must have equal sizes ({}, {}, {})",
                           p.weights.size(), p.means.size(), p.sds.size()));
  require_distribution(p.weights, function, "the mixture weights");
  mlc::require((p.sds.array() > 0.0).all(), function, "component sds must be > 0");
}
}  // namespace

KlObjective forward_kl(const GaussianMixture& p, double mu, double log_sigma) {
  require_mixture(p, "forward_kl");
  const double lo = p.lower(), hi = p.upper();
  const double sigma2 = std::exp(2.0 * log_sigma);
  // (11) the three expectations under p, each by (17) on [lo, hi]
  const double neg_entropy = integrate(
      [&](double x) {
        const double lp = p.log_density(x);
        return std::exp(lp) * lp;
      },
      lo, hi);
  const double first = integrate([&](double x) { return p.density(x) * (x - mu); }, lo, hi);
  const double second =
      integrate([&](double x) { return p.density(x) * (x - mu) * (x - mu); }, lo, hi);
  KlObjective out;
  out.value = neg_entropy + 0.5 * kLog2Pi + log_sigma + second / (2.0 * sigma2);
  out.gradient << -first / sigma2, 1.0 - second / sigma2;
  return out;
}

KlObjective reverse_kl(const GaussianMixture& p, double mu, double log_sigma) {
  require_mixture(p, "reverse_kl");
  // BEGIN EXERCISE reverse_kl_objective: equation (12), KL(q‖p) and its gradient in
  // (μ, s = log σ) by the reparameterisation x = μ + σ z, expectations over z ~ N(0, 1)
  // by integrate() on [-12, 12]
  const double sigma = std::exp(log_sigma);
  const auto phi = [](double z) { return std::exp(-0.5 * z * z - 0.5 * kLog2Pi); };
  const double e_log_p =
      integrate([&](double z) { return phi(z) * p.log_density(mu + sigma * z); }, -12.0, 12.0);
  const double e_score =
      integrate([&](double z) { return phi(z) * p.dlog_density(mu + sigma * z); }, -12.0, 12.0);
  const double e_z_score = integrate(
      [&](double z) { return phi(z) * sigma * z * p.dlog_density(mu + sigma * z); }, -12.0, 12.0);
  KlObjective out;
  out.value = -0.5 * (kLog2Pi + 1.0) - log_sigma - e_log_p;  // -h(q) - E_q[log p]
  out.gradient << -e_score, -1.0 - e_z_score;
  return out;
  // END EXERCISE
}

GaussianFit fit_gaussian(const KlFunction& objective, double mu0, double log_sigma0,
                         int max_iterations, double tolerance) {
  mlc::require(std::isfinite(mu0) && std::isfinite(log_sigma0), "fit_gaussian",
               "the start (mu0, log_sigma0) must be finite");
  mlc::require(max_iterations > 0 && tolerance > 0.0, "fit_gaussian",
               "max_iterations and tolerance must be positive");
  Eigen::Vector2d theta(mu0, log_sigma0);
  GaussianFit fit;
  KlObjective current = objective(theta(0), theta(1));
  ++fit.objective_evaluations;
  double step = 1.0;
  fit.path.push_back(theta);
  for (int t = 0; t < max_iterations; ++t) {
    if (!std::isfinite(current.value) || !current.gradient.allFinite()) {
      throw mlc::NumericalError(fmt::format(
          "fit_gaussian: KL objective is not finite at mu = {}, log sigma = {}", theta(0), theta(1)));
    }
    fit.iterations = t;
    const double g2 = current.gradient.squaredNorm();
    if (std::sqrt(g2) < tolerance) {
      fit.converged = true;
      break;
    }
    // Armijo backtracking: f(θ - t g) ≤ f(θ) - ½ t ‖g‖²
    step *= 2.0;
    KlObjective trial;
    Eigen::Vector2d candidate;
    for (int halvings = 0; halvings < 60; ++halvings) {
      candidate = theta - step * current.gradient;
      trial = objective(candidate(0), candidate(1));
      ++fit.objective_evaluations;
      if (std::isfinite(trial.value) && trial.value <= current.value - 0.5 * step * g2) break;
      step *= 0.5;
    }
    if (!(trial.value <= current.value)) break;  // no descent possible at rounding level
    theta = candidate;
    current = trial;
    fit.path.push_back(theta);
  }
  fit.mu = theta(0);
  fit.sigma = std::exp(theta(1));
  fit.kl = current.value;
  return fit;
}

Eigen::Matrix2d kl_hessian(const KlFunction& objective, double mu, double log_sigma, double h) {
  mlc::require(h > 0.0, "kl_hessian", "h must be positive");
  Eigen::Matrix2d H;
  // column i: (∇f(θ + h e_i) - ∇f(θ - h e_i)) / (2h)
  H.col(0) = (objective(mu + h, log_sigma).gradient - objective(mu - h, log_sigma).gradient) / (2 * h);
  H.col(1) = (objective(mu, log_sigma + h).gradient - objective(mu, log_sigma - h).gradient) / (2 * h);
  return 0.5 * (H + H.transpose());
}

}  // namespace information_theory
