// information_theory.hpp: entropy, cross-entropy, KL and Jensen–Shannon divergences,
// mutual information and their estimators; Gaussian closed forms; fitting a Gaussian to a
// mixture by minimising either direction of the KL divergence.
//
// Sources: Cover & Thomas, Elements of Information Theory, 2nd ed. (2006), ch. 2 (entropy,
// KL, MI, Gibbs' inequality) and ch. 8 (differential entropy, Gaussian closed forms);
// Lin (1991), "Divergence measures based on the Shannon entropy" (JS divergence, its
// bound log 2); Miller (1955) and Paninski (2003), "Estimation of entropy and mutual
// information", Neural Computation 15 (bias of the plug-in estimators); Bishop, PRML
// (2006) §10.1.2 and Murphy, PML1 (2022) §6.2 (mode seeking vs mass covering KL fits).
// Equation numbers (1)–(17) refer to NOTES.md.
//
// Conventions: natural logarithms (nats). A discrete distribution is a vector of K
// non-negative entries that sum to one; a joint distribution of (X, Y) is a Kx × Ky
// matrix (rows: values of X, columns: values of Y). Counts are stored as doubles so that
// the same tables hold counts and probabilities. 0 log 0 = 0; p log(p/0) = +inf.
#pragma once

#include <cmath>
#include <functional>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace information_theory {

// ---- Discrete distributions -------------------------------------------------------------

// (1) Shannon entropy H(p) = -Σ_k p_k log p_k, in nats. Requires a distribution.
double entropy(const Eigen::Ref<const Eigen::VectorXd>& p);

// Entropy of a Bernoulli(θ) variable: -θ log θ - (1-θ) log(1-θ).
double bernoulli_entropy(double theta);

// (2) Cross-entropy H(p, q) = -Σ_k p_k log q_k = H(p) + KL(p‖q); +inf when some p_k > 0
// has q_k = 0.
double cross_entropy(const Eigen::Ref<const Eigen::VectorXd>& p,
                     const Eigen::Ref<const Eigen::VectorXd>& q);

// (3) KL(p‖q) = Σ_k p_k log(p_k / q_k) ≥ 0 (Gibbs); +inf when p puts mass where q has none.
double kl_divergence(const Eigen::Ref<const Eigen::VectorXd>& p,
                     const Eigen::Ref<const Eigen::VectorXd>& q);

// (4) Jensen–Shannon divergence ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2. Symmetric, always
// finite, 0 ≤ JS ≤ log 2 (equality iff the supports are disjoint).
double js_divergence(const Eigen::Ref<const Eigen::VectorXd>& p,
                     const Eigen::Ref<const Eigen::VectorXd>& q);

// Marginals of a joint table pxy [Kx × Ky]: p(x) = row sums [Kx], p(y) = column sums [Ky].
Eigen::VectorXd marginal_x(const Eigen::Ref<const Eigen::MatrixXd>& pxy);
Eigen::VectorXd marginal_y(const Eigen::Ref<const Eigen::MatrixXd>& pxy);

// H(X, Y) = -Σ p(x,y) log p(x,y) of a joint distribution [Kx × Ky].
double joint_entropy(const Eigen::Ref<const Eigen::MatrixXd>& pxy);

// (5) I(X; Y) = Σ p(x,y) log[p(x,y) / (p(x) p(y))] = KL(p_XY ‖ p_X p_Y), computed directly
// from the joint table (not through the entropy identity, which the tests check).
double mutual_information(const Eigen::Ref<const Eigen::MatrixXd>& pxy);

// ---- Estimators from samples ------------------------------------------------------------

// n draws from the categorical distribution p (inverse CDF on the cumulative sums).
Eigen::VectorXi sample_categorical(const Eigen::Ref<const Eigen::VectorXd>& p, Eigen::Index n,
                                   mlc::Rng& rng);
// n draws of (X, Y) from the joint table pxy: an n × 2 matrix of (x, y) indices.
Eigen::MatrixXi sample_joint(const Eigen::Ref<const Eigen::MatrixXd>& pxy, Eigen::Index n,
                             mlc::Rng& rng);

// Category counts [K] of samples in {0, ..., K-1}.
Eigen::VectorXd category_counts(const Eigen::Ref<const Eigen::VectorXi>& samples, int K);
// Contingency table [Kx × Ky] of paired samples (column 0: x, column 1: y).
Eigen::MatrixXd contingency_table(const Eigen::Ref<const Eigen::MatrixXi>& xy, int Kx, int Ky);

// (16) Additive (Lidstone; Laplace for α = 1) smoothing: q_k = (c_k + α) / (n + K α).
Eigen::VectorXd additive_smoothing(const Eigen::Ref<const Eigen::VectorXd>& counts, double alpha);

// Probability that n draws from p leave at least one category with p_k > 0 unseen, by
// inclusion–exclusion: 1 - Σ_{S ⊆ support} (-1)^|S| (1 - p(S))^n. Support size ≤ 24.
double probability_some_category_unseen(const Eigen::Ref<const Eigen::VectorXd>& p, double n);

// (13) Plug-in ("maximum likelihood") entropy of counts: H(c / n).
double plugin_entropy(const Eigen::Ref<const Eigen::VectorXd>& counts);
// (14) Miller–Madow entropy: H(c / n) + (m - 1) / (2n), m = number of non-empty cells.
double miller_madow_entropy(const Eigen::Ref<const Eigen::VectorXd>& counts);

// (13) Plug-in MI of a contingency table [Kx × Ky]: I of the empirical joint c / n.
double plugin_mutual_information(const Eigen::Ref<const Eigen::MatrixXd>& counts);
// (15) Miller–Madow MI: Ĥ_MM(X) + Ĥ_MM(Y) - Ĥ_MM(X, Y); with every cell occupied this is
// the plug-in MI minus (Kx - 1)(Ky - 1) / (2n).
double miller_madow_mutual_information(const Eigen::Ref<const Eigen::MatrixXd>& counts);
// (15) First-order bias of the plug-in MI for full tables: (Kx - 1)(Ky - 1) / (2n).
double plugin_mi_first_order_bias(int Kx, int Ky, double n);

// ---- Cross-entropy as maximum likelihood ------------------------------------------------

// (6) Average negative log-likelihood -(1/n) Σ_i log q(x_i) of samples under q; equals the
// cross-entropy H(p̂, q) of the empirical distribution p̂.
double average_negative_log_likelihood(const Eigen::Ref<const Eigen::VectorXi>& samples,
                                       const Eigen::Ref<const Eigen::VectorXd>& q);

// softmax(θ)_k = exp(θ_k - max θ) / Σ_j exp(θ_j - max θ)   [K]
Eigen::VectorXd softmax(const Eigen::Ref<const Eigen::VectorXd>& theta);

// (7) The softmax cross-entropy H(p̂, softmax θ) = logsumexp(θ) - p̂ᵀθ and its gradient
// ∇_θ = softmax(θ) - p̂   [K].
struct ValueGradient {
  double value = 0.0;
  Eigen::VectorXd gradient;
};
ValueGradient softmax_cross_entropy(const Eigen::Ref<const Eigen::VectorXd>& p_hat,
                                    const Eigen::Ref<const Eigen::VectorXd>& theta);

// Minimises (7) over the logits θ by gradient descent with constant step `step` (the loss
// is convex with Hessian diag(q) - q qᵀ ⪯ ½ I, so any step < 4 converges), from θ = 0.
struct CategoricalFit {
  Eigen::VectorXd q;                  // softmax(θ) at the end [K]
  double cross_entropy = 0.0;         // H(p̂, q)
  std::vector<double> kl_history;     // KL(p̂ ‖ q_t) = H(p̂, q_t) - H(p̂) per iteration
  int iterations = 0;
  bool converged = false;             // ‖∇‖∞ < tolerance
};
CategoricalFit fit_categorical_by_cross_entropy(const Eigen::Ref<const Eigen::VectorXd>& p_hat,
                                                double step = 1.0, int max_iterations = 10000,
                                                double tolerance = 1e-10);

// ---- Gaussians in closed form -----------------------------------------------------------

// (8) Differential entropy of N(μ, σ²): ½ log(2πeσ²).
double gaussian_entropy(double sigma);
// (8) Differential entropy of N(μ, Σ) in d dimensions: ½ log((2πe)^d det Σ) (Cholesky).
double gaussian_entropy(const Eigen::Ref<const Eigen::MatrixXd>& cov);
// (9) KL(N(μ1, σ1²) ‖ N(μ2, σ2²)) = log(σ2/σ1) + (σ1² + (μ1-μ2)²) / (2σ2²) - ½.
double gaussian_kl(double mu1, double sigma1, double mu2, double sigma2);
// (10) I(X; Y) of a bivariate Gaussian with correlation ρ: -½ log(1 - ρ²).
double gaussian_mutual_information(double rho);
// A bivariate standard Gaussian with correlation ρ discretised on a bins × bins grid over
// [-half_width, half_width]²: cell probabilities (midpoint density × area, renormalised).
// Its discrete MI converges to (10) as the cells shrink.
Eigen::MatrixXd discretised_bivariate_gaussian(double rho, double half_width, int bins);

// ---- Quadrature --------------------------------------------------------------------------

// (17) Composite Gauss–Legendre quadrature: [lo, hi] cut into `panels` equal panels, a
// 20-point Gauss–Legendre rule (boost::math::quadrature::gauss) on each. A fixed rule
// (non-adaptive) so that an integral depending on parameters is a smooth function of them,
// which finite-difference gradient checks need.
double integrate(const std::function<double(double)>& f, double lo, double hi,
                 int panels = 64);

// KL(p‖q) = ∫ p (log p - log q) dx for densities given by their logarithms, by (17) over
// [lo, hi]. Where p underflows to 0 the integrand is 0 (0 log 0 = 0).
double kl_divergence_quadrature(const std::function<double(double)>& log_p,
                                const std::function<double(double)>& log_q, double lo,
                                double hi, int panels = 64);

// ---- A Gaussian fitted to a mixture by either KL direction --------------------------------

// p(x) = Σ_k w_k N(x; μ_k, σ_k²), one-dimensional.
struct GaussianMixture {
  Eigen::VectorXd weights, means, sds;  // [K] each; weights sum to one

  double log_density(double x) const;      // log-sum-exp of the components
  double density(double x) const { return std::exp(log_density(x)); }
  double dlog_density(double x) const;     // (log p)'(x) = Σ_k r_k(x) (μ_k - x) / σ_k²
  double mean() const;                     // Σ w_k μ_k
  double variance() const;                 // Σ w_k (σ_k² + μ_k²) - mean²
  // An interval holding all but ~1e-30 of the mass: [min μ_k - 12 σ_k, max μ_k + 12 σ_k].
  double lower() const;
  double upper() const;
};

// The KL objective of q = N(μ, σ²) with parameters θ = (μ, s = log σ), and its gradient.
struct KlObjective {
  double value = 0.0;
  Eigen::Vector2d gradient = Eigen::Vector2d::Zero();  // (∂/∂μ, ∂/∂s)
};

// (11) Forward KL(p‖q) ("mass covering", = maximum likelihood in the limit of infinite data
// from p): -h(p) + ½ log 2π + s + E_p[(x-μ)²] / (2σ²); ∂μ = -E_p[x-μ]/σ²,
// ∂s = 1 - E_p[(x-μ)²]/σ². Expectations under p by quadrature (17).
KlObjective forward_kl(const GaussianMixture& p, double mu, double log_sigma);

// (12) Reverse KL(q‖p) ("mode seeking", the variational objective): with x = μ + σz,
// -½ log(2πe) - s - E_z[log p(x)]; ∂μ = -E_z[(log p)'(x)], ∂s = -1 - E_z[σ z (log p)'(x)].
// Expectations over z ~ N(0, 1) by quadrature (17) on [-12, 12].
KlObjective reverse_kl(const GaussianMixture& p, double mu, double log_sigma);

// Gradient descent with Armijo backtracking on θ = (μ, log σ): the step starts at twice the
// last accepted one and halves until f(θ - t g) ≤ f(θ) - ½ t ‖g‖²; stops when ‖g‖ < tol.
struct GaussianFit {
  double mu = 0.0, sigma = 1.0, kl = 0.0;
  int iterations = 0;
  int objective_evaluations = 0;
  bool converged = false;
  std::vector<Eigen::Vector2d> path;  // θ at every iteration, from the start
};
using KlFunction = std::function<KlObjective(double mu, double log_sigma)>;
GaussianFit fit_gaussian(const KlFunction& objective, double mu0, double log_sigma0,
                         int max_iterations = 5000, double tolerance = 1e-7);

// Hessian [2 × 2] of a KL objective in (μ, log σ) by central differences of its analytic
// gradient, symmetrised: tells a local minimum (both eigenvalues > 0) from a saddle.
Eigen::Matrix2d kl_hessian(const KlFunction& objective, double mu, double log_sigma,
                           double h = 1e-5);

}  // namespace information_theory
