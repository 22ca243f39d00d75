// Lesson 2.11 clustering: the algorithms. Pure computation, no I/O. Equation numbers refer
// to NOTES.md; sources are cited in clustering.hpp.
#include "clustering.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numbers>
#include <string>

#include <fmt/format.h>
#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

#include "mlc/error.hpp"

namespace clustering {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void require_data(const Eigen::Ref<const MatrixXd>& X, const char* function) {
  mlc::require(X.rows() > 0 && X.cols() > 0, function, "X must be a non-empty n × d matrix");
  mlc::require(X.allFinite(), function, "X contains NaN or Inf");
}

// Labels → indices 0..m-1 of their distinct values in increasing order; returns m.
int compact_labels(const VectorXi& labels, VectorXi& index) {
  std::vector<int> values(labels.data(), labels.data() + labels.size());
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  index.resize(labels.size());
  for (Index i = 0; i < labels.size(); ++i) {
    index(i) = static_cast<int>(std::lower_bound(values.begin(), values.end(), labels(i)) -
                                values.begin());
  }
  return static_cast<int>(values.size());
}

// n choose 2 as a double (exact below 2^53).
double choose2(double x) {
  return 0.5 * x * (x - 1.0);
}

}  // namespace

// ---- k-means ------------------------------------------------------------------------------

MatrixXd squared_distances(const Eigen::Ref<const MatrixXd>& X,
                           const Eigen::Ref<const MatrixXd>& centers) {
  mlc::require(X.cols() == centers.cols(), "squared_distances",
               fmt::format("X is {} × {} but centers are {} × {}", X.rows(), X.cols(),
                           centers.rows(), centers.cols()));
  const VectorXd x2 = X.rowwise().squaredNorm();        // [n]
  const VectorXd c2 = centers.rowwise().squaredNorm();  // [K]
  MatrixXd D = -2.0 * X * centers.transpose();          // [n × K], the one GEMM
  D.colwise() += x2;
  D.rowwise() += c2.transpose();
  return D.cwiseMax(0.0);
}

double lloyd_iteration(const Eigen::Ref<const MatrixXd>& X, MatrixXd& centers, VectorXi& labels) {
  mlc::require(centers.rows() > 0 && centers.cols() == X.cols(), "lloyd_iteration",
               fmt::format("centers are {} × {}, X has {} columns", centers.rows(), centers.cols(),
                           X.cols()));
  // BEGIN EXERCISE lloyd_iteration: assignment step (2), update step (3); return J (1)
  const Index n = X.rows(), K = centers.rows();
  const MatrixXd D = squared_distances(X, centers);  // [n × K]
  labels.resize(n);
  double inertia = 0.0;
  for (Index i = 0; i < n; ++i) {  // (2) nearest center
    Index k = 0;
    inertia += D.row(i).minCoeff(&k);
    labels(i) = static_cast<int>(k);
  }
  MatrixXd sums = MatrixXd::Zero(K, X.cols());  // [K × d]
  VectorXd counts = VectorXd::Zero(K);
  for (Index i = 0; i < n; ++i) {
    sums.row(labels(i)) += X.row(i);
    counts(labels(i)) += 1.0;
  }
  for (Index k = 0; k < K; ++k) {  // (3) mean of the members; an empty cluster keeps its center
    if (counts(k) > 0.0) centers.row(k) = sums.row(k) / counts(k);
  }
  return inertia;
  // END EXERCISE
}

MatrixXd kmeans_plus_plus_init(const Eigen::Ref<const MatrixXd>& X, int k, mlc::Rng& rng) {
  require_data(X, "kmeans_plus_plus_init");
  mlc::require(k >= 1 && k <= X.rows(), "kmeans_plus_plus_init",
               fmt::format("need 1 <= k <= n, got k = {} with n = {}", k, X.rows()));
  // BEGIN EXERCISE kmeans_plus_plus_init: D² sampling (4)
  const Index n = X.rows();
  MatrixXd C(k, X.cols());
  C.row(0) = X.row(rng.index(n));  // the first center: uniform over the data
  VectorXd D2 = (X.rowwise() - C.row(0)).rowwise().squaredNorm();  // [n] distance² to nearest
  for (int c = 1; c < k; ++c) {
    const double total = D2.sum();
    mlc::require(total > 0.0, "kmeans_plus_plus_init",
                 fmt::format("X has fewer than k = {} distinct rows", k));
    // (4) P(x_i) = D2(i) / Σ D2: invert the cumulative sum at a uniform draw.
    const double u = rng.uniform() * total;
    Index chosen = -1;
    double cumulative = 0.0;
    for (Index i = 0; i < n; ++i) {
      if (D2(i) <= 0.0) continue;
      chosen = i;  // the last positive-weight index, should rounding leave u above the sum
      cumulative += D2(i);
      if (cumulative > u) break;
    }
    C.row(c) = X.row(chosen);
    D2 = D2.cwiseMin((X.rowwise() - C.row(c)).rowwise().squaredNorm());
  }
  return C;
  // END EXERCISE
}

MatrixXd random_init(const Eigen::Ref<const MatrixXd>& X, int k, mlc::Rng& rng) {
  require_data(X, "random_init");
  mlc::require(k >= 1 && k <= X.rows(), "random_init",
               fmt::format("need 1 <= k <= n, got k = {} with n = {}", k, X.rows()));
  const auto rows = rng.sample_without_replacement(X.rows(), k);
  MatrixXd C(k, X.cols());
  for (int c = 0; c < k; ++c) C.row(c) = X.row(rows[static_cast<std::size_t>(c)]);
  return C;
}

KMeansResult lloyd(const Eigen::Ref<const MatrixXd>& X, MatrixXd centers, int max_iterations) {
  require_data(X, "lloyd");
  mlc::require(max_iterations >= 1, "lloyd", "max_iterations must be at least 1");
  KMeansResult r;
  VectorXi labels = VectorXi::Constant(X.rows(), -1);
  for (int t = 0; t < max_iterations; ++t) {
    const VectorXi previous = labels;
    r.inertia_history.push_back(lloyd_iteration(X, centers, labels));
    r.iterations = t + 1;
    // Same assignment twice: the update reproduced the same centers, a fixed point.
    if (labels == previous) {
      r.converged = true;
      break;
    }
  }
  const MatrixXd D = squared_distances(X, centers);
  r.labels.resize(X.rows());
  r.inertia = 0.0;
  for (Index i = 0; i < X.rows(); ++i) {
    Index k = 0;
    r.inertia += D.row(i).minCoeff(&k);
    r.labels(i) = static_cast<int>(k);
  }
  r.centers = std::move(centers);
  return r;
}

KMeansResult kmeans(const Eigen::Ref<const MatrixXd>& X, int k, mlc::Rng& rng,
                    const KMeansOptions& options) {
  require_data(X, "kmeans");
  mlc::require(options.n_init >= 1, "kmeans", "n_init must be at least 1");
  KMeansResult best;
  best.inertia = kInf;
  for (int s = 0; s < options.n_init; ++s) {
    MatrixXd C = options.init == KMeansInit::kPlusPlus ? kmeans_plus_plus_init(X, k, rng)
                                                       : random_init(X, k, rng);
    KMeansResult r = lloyd(X, std::move(C), options.max_iterations);
    if (r.inertia < best.inertia) best = std::move(r);
  }
  return best;
}

// ---- Gaussian mixtures by EM ---------------------------------------------------------------

VectorXd log_gaussian_density(const Eigen::Ref<const MatrixXd>& X,
                              const Eigen::Ref<const VectorXd>& mean,
                              const Eigen::Ref<const MatrixXd>& covariance) {
  const Index d = X.cols();
  mlc::require(mean.size() == d && covariance.rows() == d && covariance.cols() == d,
               "log_gaussian_density",
               fmt::format("X has {} columns, mean {} entries, covariance is {} × {}", d,
                           mean.size(), covariance.rows(), covariance.cols()));
  const MatrixXd centered = X.rowwise() - mean.transpose();  // [n × d]
  Eigen::LLT<MatrixXd> llt(covariance);
  if (llt.info() != Eigen::Success) {
    // (11) Σ is singular (not positive definite). As the variance along the null directions
    // of Σ goes to 0 the density goes to +inf on the support μ + range(Σ) and to 0 off it;
    // a zero Σ is a point mass at μ. A row is on the support when its distance to it is
    // within √ε (1 + ||μ|| + sqrt(λ_max)): rounding of the computed mean and eigenvectors.
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(0.5 * (covariance + covariance.transpose()));
    const VectorXd& lambda = eig.eigenvalues();  // ascending
    const double lambda_max = std::max(lambda(d - 1), 0.0);
    const double eps = std::numeric_limits<double>::epsilon();
    Index null_dims = 0;
    while (null_dims < d && lambda(null_dims) <= static_cast<double>(d) * eps * lambda_max)
      ++null_dims;
    null_dims = std::max<Index>(null_dims, 1);  // the factorisation failed: at least one
    const MatrixXd off_support = centered * eig.eigenvectors().leftCols(null_dims);  // [n × m]
    const double radius = std::sqrt(eps) * (1.0 + mean.norm() + std::sqrt(lambda_max));
    VectorXd out(X.rows());
    for (Index i = 0; i < X.rows(); ++i)
      out(i) = off_support.row(i).norm() <= radius ? kInf : -kInf;
    return out;
  }
  // (7) z_i = L⁻¹ (x_i − μ)  [d × n], one triangular solve for all samples.
  const MatrixXd Z = llt.matrixL().solve(centered.transpose());
  const double half_log_det = llt.matrixLLT().diagonal().array().log().sum();  // ½ log|Σ|
  const double log_norm =
      -half_log_det - 0.5 * static_cast<double>(d) * std::log(2.0 * std::numbers::pi);
  return (-0.5 * Z.colwise().squaredNorm().transpose()).array() + log_norm;
}

double em_e_step(const Eigen::Ref<const MatrixXd>& X, const GaussianMixture& model,
                 MatrixXd& responsibilities) {
  const int K = model.components();
  mlc::require(K >= 1 && model.means.rows() == K && model.means.cols() == X.cols() &&
                   static_cast<int>(model.covariances.size()) == K,
               "em_e_step",
               fmt::format("model has {} weights, {} × {} means, {} covariances; X is {} × {}", K,
                           model.means.rows(), model.means.cols(), model.covariances.size(),
                           X.rows(), X.cols()));
  // BEGIN EXERCISE em_e_step: log π_k + log N(x_i | k) (7), log-sum-exp and responsibilities (8)
  const Index n = X.rows();
  MatrixXd log_joint(n, K);  // log π_k + log N(x_i | μ_k, Σ_k)   [n × K]
  for (int k = 0; k < K; ++k) {
    if (model.weights(k) <= 0.0) {  // an emptied component: no mass (and no −inf + inf)
      log_joint.col(k).setConstant(-kInf);
      continue;
    }
    log_joint.col(k) = std::log(model.weights(k)) +
                       log_gaussian_density(X, model.means.row(k).transpose(),
                                            model.covariances[static_cast<std::size_t>(k)])
                           .array();
  }
  responsibilities.resize(n, K);
  double log_likelihood = 0.0;
  bool unbounded = false;
  for (Index i = 0; i < n; ++i) {
    const double m = log_joint.row(i).maxCoeff();
    if (m == kInf) {  // (11) a collapsed component sits on x_i: the likelihood is +inf
      const auto on_point = (log_joint.row(i).array() == kInf).cast<double>();
      responsibilities.row(i) = on_point / on_point.sum();
      unbounded = true;
      continue;
    }
    if (m == -kInf) {  // no component gives x_i any density (all collapsed elsewhere)
      responsibilities.row(i).setConstant(1.0 / K);
      log_likelihood = -kInf;
      continue;
    }
    // (8) log p(x_i) = m + log Σ_k exp(ℓ_ik − m), every exponent <= 0: no overflow.
    const double lse = m + std::log((log_joint.row(i).array() - m).exp().sum());
    responsibilities.row(i) = (log_joint.row(i).array() - lse).exp();
    log_likelihood += lse;
  }
  return unbounded ? kInf : log_likelihood;
  // END EXERCISE
}

void em_m_step(const Eigen::Ref<const MatrixXd>& X,
               const Eigen::Ref<const MatrixXd>& responsibilities, double reg_covar,
               GaussianMixture& model) {
  const Index n = X.rows(), d = X.cols(), K = responsibilities.cols();
  mlc::require(
      responsibilities.rows() == n && K >= 1, "em_m_step",
      fmt::format("responsibilities are {} × {}, X has {} rows", responsibilities.rows(), K, n));
  mlc::require(reg_covar >= 0.0, "em_m_step", "reg_covar must be >= 0");
  // A component that receives no responsibility keeps its previous mean and covariance (or,
  // in a model not yet sized, the data's), with weight 0.
  const bool sized = model.components() == K && model.means.rows() == K &&
                     model.means.cols() == d && static_cast<Index>(model.covariances.size()) == K;
  if (!sized) {
    const Eigen::RowVectorXd mu = X.colwise().mean();
    const MatrixXd Xc = X.rowwise() - mu;
    const MatrixXd S =
        Xc.transpose() * Xc / static_cast<double>(n) + reg_covar * MatrixXd::Identity(d, d);
    model.weights = VectorXd::Constant(K, 1.0 / static_cast<double>(K));
    model.means = mu.replicate(K, 1);
    model.covariances.assign(static_cast<std::size_t>(K), S);
  }
  // BEGIN EXERCISE em_m_step: N_k, π_k, μ_k and Σ_k + reg·I of (9)
  const VectorXd Nk = responsibilities.colwise().sum().transpose();  // [K]
  model.weights = Nk / Nk.sum();
  const MatrixXd weighted_sums = responsibilities.transpose() * X;  // Σ_i r_ik x_i   [K × d]
  for (Index k = 0; k < K; ++k) {
    if (Nk(k) <= 0.0) continue;
    model.means.row(k) = weighted_sums.row(k) / Nk(k);
    const MatrixXd Xc = X.rowwise() - model.means.row(k);  // [n × d]
    const MatrixXd weighted =
        Xc.array().colwise() * responsibilities.col(k).array();  // r_ik (x_i − μ_k)
    MatrixXd S = Xc.transpose() * weighted / Nk(k);              // [d × d]
    S = 0.5 * (S + S.transpose());  // exact symmetry for the Cholesky factorisation
    S.diagonal().array() += reg_covar;
    model.covariances[static_cast<std::size_t>(k)] = S;
  }
  // END EXERCISE
}

GmmFit fit_gmm(const Eigen::Ref<const MatrixXd>& X, GaussianMixture initial,
               const GmmOptions& options) {
  require_data(X, "fit_gmm");
  mlc::require(options.max_iterations >= 0 && options.tolerance >= 0.0, "fit_gmm",
               "max_iterations and tolerance must be >= 0");
  const double n = static_cast<double>(X.rows());
  const auto smallest_eigenvalue = [](const GaussianMixture& g) {
    double m = kInf;
    for (const MatrixXd& S : g.covariances) {
      Eigen::SelfAdjointEigenSolver<MatrixXd> eig(S, Eigen::EigenvaluesOnly);
      m = std::min(m, eig.eigenvalues()(0));
    }
    return m;
  };
  GmmFit fit;
  fit.model = std::move(initial);
  double ll = em_e_step(X, fit.model, fit.responsibilities);
  fit.log_likelihood_history.push_back(ll);
  fit.min_eigenvalue_history.push_back(smallest_eigenvalue(fit.model));
  for (int t = 0; t < options.max_iterations && std::isfinite(ll); ++t) {
    em_m_step(X, fit.responsibilities, options.reg_covar, fit.model);
    ++fit.iterations;
    const double next = em_e_step(X, fit.model, fit.responsibilities);
    fit.log_likelihood_history.push_back(next);
    fit.min_eigenvalue_history.push_back(smallest_eigenvalue(fit.model));
    const bool small_gain = std::isfinite(next) && (next - ll) / n < options.tolerance;
    ll = next;
    if (small_gain) {
      fit.converged = true;
      break;
    }
  }
  if (std::isnan(ll)) throw mlc::NumericalError("fit_gmm: the log-likelihood became NaN");
  fit.log_likelihood = ll;
  fit.collapsed = ll == kInf;
  fit.labels.resize(X.rows());
  for (Index i = 0; i < X.rows(); ++i) {
    Index k = 0;
    fit.responsibilities.row(i).maxCoeff(&k);
    fit.labels(i) = static_cast<int>(k);
  }
  fit.min_covariance_eigenvalue = fit.min_eigenvalue_history.back();
  return fit;
}

GaussianMixture gmm_from_labels(const Eigen::Ref<const MatrixXd>& X, const VectorXi& labels, int k,
                                double reg_covar) {
  require_data(X, "gmm_from_labels");
  mlc::require(labels.size() == X.rows() && k >= 1, "gmm_from_labels",
               fmt::format("{} labels for {} rows, k = {}", labels.size(), X.rows(), k));
  MatrixXd R = MatrixXd::Zero(X.rows(), k);  // one-hot responsibilities
  for (Index i = 0; i < X.rows(); ++i) {
    mlc::require(labels(i) >= 0 && labels(i) < k, "gmm_from_labels", "a label is outside 0..k-1");
    R(i, labels(i)) = 1.0;
  }
  GaussianMixture model;
  em_m_step(X, R, reg_covar, model);
  return model;
}

GmmFit fit_gmm_best_of(const Eigen::Ref<const MatrixXd>& X, int k, int n_init, mlc::Rng& rng,
                       const GmmOptions& options) {
  mlc::require(n_init >= 1, "fit_gmm_best_of", "n_init must be at least 1");
  GmmFit best;
  bool have = false;
  for (int s = 0; s < n_init; ++s) {
    const KMeansResult km = kmeans(X, k, rng);
    GmmFit fit = fit_gmm(X, gmm_from_labels(X, km.labels, k, options.reg_covar), options);
    // A collapsed fit has likelihood +inf but is no better model: finite fits win over it.
    const bool better =
        !have || (best.collapsed && !fit.collapsed) ||
        (fit.collapsed == best.collapsed && fit.log_likelihood > best.log_likelihood);
    if (better) {
      best = std::move(fit);
      have = true;
    }
  }
  return best;
}

// ---- DBSCAN --------------------------------------------------------------------------------

DbscanResult dbscan(const Eigen::Ref<const MatrixXd>& X, double eps, int min_points) {
  require_data(X, "dbscan");
  mlc::require(eps > 0.0 && min_points >= 1, "dbscan",
               fmt::format("need eps > 0 and min_points >= 1, got eps = {}, min_points = {}", eps,
                           min_points));
  const Index n = X.rows();
  const double eps2 = eps * eps;
  // (14) N_eps(p) = {q : ||p − q|| <= eps}, p included.
  std::vector<std::vector<Index>> neighbours(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    const VectorXd d2 = (X.rowwise() - X.row(i)).rowwise().squaredNorm();
    for (Index j = 0; j < n; ++j)
      if (d2(j) <= eps2) neighbours[static_cast<std::size_t>(i)].push_back(j);
  }
  DbscanResult r;
  r.labels = VectorXi::Constant(n, -1);
  std::vector<bool> core(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i)
    core[static_cast<std::size_t>(i)] =
        static_cast<int>(neighbours[static_cast<std::size_t>(i)].size()) >= min_points;
  for (Index seed = 0; seed < n; ++seed) {
    if (!core[static_cast<std::size_t>(seed)] || r.labels(seed) != -1) continue;
    // Grow the cluster: everything density-reachable from the core point `seed`.
    const int cluster = r.num_clusters++;
    std::deque<Index> frontier{seed};
    r.labels(seed) = cluster;
    while (!frontier.empty()) {
      const Index p = frontier.front();
      frontier.pop_front();
      for (Index q : neighbours[static_cast<std::size_t>(p)]) {
        if (r.labels(q) != -1) continue;
        r.labels(q) = cluster;
        if (core[static_cast<std::size_t>(q)]) frontier.push_back(q);  // border points stop here
      }
    }
  }
  r.types.resize(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    const auto s = static_cast<std::size_t>(i);
    r.types[s] =
        core[s] ? PointType::kCore : (r.labels(i) >= 0 ? PointType::kBorder : PointType::kNoise);
  }
  return r;
}

VectorXd k_distance(const Eigen::Ref<const MatrixXd>& X, int k) {
  require_data(X, "k_distance");
  mlc::require(k >= 1 && k < X.rows(), "k_distance",
               fmt::format("need 1 <= k < n, got k = {} with n = {}", k, X.rows()));
  VectorXd out(X.rows());
  for (Index i = 0; i < X.rows(); ++i) {
    VectorXd d2 = (X.rowwise() - X.row(i)).rowwise().squaredNorm();
    std::nth_element(d2.data(), d2.data() + k, d2.data() + d2.size());  // d2[0] is the point
    out(i) = std::sqrt(d2(k));
  }
  return out;
}

// ---- Metrics of a clustering --------------------------------------------------------------

MatrixXd contingency_table(const VectorXi& a, const VectorXi& b) {
  mlc::require(a.size() == b.size(), "contingency_table",
               fmt::format("the labellings have {} and {} entries", a.size(), b.size()));
  VectorXi ia, ib;
  const int ka = compact_labels(a, ia), kb = compact_labels(b, ib);
  MatrixXd M = MatrixXd::Zero(ka, kb);
  for (Index i = 0; i < a.size(); ++i) M(ia(i), ib(i)) += 1.0;
  return M;
}

double adjusted_rand_index(const VectorXi& a, const VectorXi& b) {
  mlc::require(a.size() == b.size() && a.size() >= 2, "adjusted_rand_index",
               fmt::format("need two labellings of the same n >= 2 samples, got {} and {}",
                           a.size(), b.size()));
  // BEGIN EXERCISE adjusted_rand_index: the contingency form (13) of Hubert & Arabie
  const MatrixXd M = contingency_table(a, b);  // n_ij
  const double n = static_cast<double>(a.size());
  const double sum_ij = M.unaryExpr([](double x) { return choose2(x); }).sum();
  const double sum_a = M.rowwise().sum().unaryExpr([](double x) { return choose2(x); }).sum();
  const double sum_b = M.colwise().sum().unaryExpr([](double x) { return choose2(x); }).sum();
  const double expected = sum_a * sum_b / choose2(n);  // E[Σ C(n_ij, 2)] under permutation
  const double maximum = 0.5 * (sum_a + sum_b);
  if (maximum == expected) return 1.0;  // both partitions trivial (one cluster, or singletons)
  return (sum_ij - expected) / (maximum - expected);
  // END EXERCISE
}

VectorXd silhouette_samples(const Eigen::Ref<const MatrixXd>& X, const VectorXi& labels) {
  require_data(X, "silhouette_samples");
  const Index n = X.rows();
  mlc::require(labels.size() == n, "silhouette_samples",
               fmt::format("{} labels for {} rows", labels.size(), n));
  mlc::require(labels.minCoeff() >= 0, "silhouette_samples", "labels must be 0..K-1 (no noise)");
  const int K = labels.maxCoeff() + 1;
  MatrixXd onehot = MatrixXd::Zero(n, K);
  for (Index i = 0; i < n; ++i) onehot(i, labels(i)) = 1.0;
  const VectorXd counts = onehot.colwise().sum().transpose();
  mlc::require((counts.array() > 0).count() >= 2, "silhouette_samples",
               "need at least two non-empty clusters");
  // Pairwise Euclidean distances, row by row (exact differences, no ||x||² expansion).
  MatrixXd dist(n, n);
  for (Index i = 0; i < n; ++i) dist.row(i) = (X.rowwise() - X.row(i)).rowwise().norm().transpose();
  const MatrixXd sums = dist * onehot;  // Σ_{j in cluster k} ||x_i − x_j||   [n × K]
  VectorXd s(n);
  for (Index i = 0; i < n; ++i) {
    const int own = labels(i);
    if (counts(own) <= 1.0) {  // Rousseeuw's convention for a singleton
      s(i) = 0.0;
      continue;
    }
    const double a = sums(i, own) / (counts(own) - 1.0);  // (12) the self-distance is 0
    double b = kInf;
    for (int k = 0; k < K; ++k)
      if (k != own && counts(k) > 0.0) b = std::min(b, sums(i, k) / counts(k));
    const double denom = std::max(a, b);
    s(i) = denom > 0.0 ? (b - a) / denom : 0.0;
  }
  return s;
}

double silhouette_score(const Eigen::Ref<const MatrixXd>& X, const VectorXi& labels) {
  return silhouette_samples(X, labels).mean();
}

}  // namespace clustering
