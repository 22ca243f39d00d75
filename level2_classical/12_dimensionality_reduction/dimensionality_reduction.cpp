// Lesson 2.12 dimensionality_reduction: the algorithms (see dimensionality_reduction.hpp
// for the contracts and sources, NOTES.md for the equations). Pure computation, no I/O.
#include "dimensionality_reduction.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <string>

#include <fmt/format.h>
#include <Eigen/Dense>
#include <Eigen/SVD>

#include "mlc/error.hpp"

namespace dimensionality_reduction {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// ---- PCA --------------------------------------------------------------------------------

Eigen::MatrixXd Pca::transform(const Eigen::MatrixXd& X, Eigen::Index k) const {
  mlc::require(X.cols() == mean.size(), "Pca::transform",
               fmt::format("X has {} columns, the PCA was fitted on {}", X.cols(), mean.size()));
  mlc::require(k >= 0 && k <= components.cols(), "Pca::transform",
               fmt::format("k = {} outside [0, {}]", k, components.cols()));
  // (5) Z = (X − μ) V_k   [n × k]
  return (X.rowwise() - mean) * components.leftCols(k);
}

Eigen::MatrixXd Pca::inverse_transform(const Eigen::MatrixXd& Z) const {
  mlc::require(
      Z.cols() <= components.cols(), "Pca::inverse_transform",
      fmt::format("Z has {} columns, the PCA has {} components", Z.cols(), components.cols()));
  // (6) X̂ = μ + Z V_kᵀ   [n × d]
  return (Z * components.leftCols(Z.cols()).transpose()).rowwise() + mean;
}

Eigen::MatrixXd covariance_matrix(const Eigen::MatrixXd& X) {
  mlc::require(X.rows() >= 2, "covariance_matrix",
               fmt::format("needs n >= 2 rows, got {}", X.rows()));
  // (1)-(2) C = Xcᵀ Xc / (n − 1)   [d × d]
  const MatrixXd Xc = X.rowwise() - X.colwise().mean();
  MatrixXd C = MatrixXd::Zero(X.cols(), X.cols());
  C.selfadjointView<Eigen::Lower>().rankUpdate(Xc.transpose(),
                                               1.0 / static_cast<double>(X.rows() - 1));
  return C.selfadjointView<Eigen::Lower>();
}

void canonical_signs(Eigen::MatrixXd& V) {
  for (Index j = 0; j < V.cols(); ++j) {
    Index imax = 0;
    V.col(j).cwiseAbs().maxCoeff(&imax);
    if (V(imax, j) < 0) V.col(j) = -V.col(j);
  }
}

Pca pca_eigen(const Eigen::MatrixXd& X) {
  mlc::require(
      X.rows() >= 2 && X.cols() >= 1, "pca_eigen",
      fmt::format("needs n >= 2 rows and d >= 1 columns, got {} × {}", X.rows(), X.cols()));
  // BEGIN EXERCISE pca_fit: PCA from the eigen-decomposition of the covariance, (1)-(4)
  Pca pca;
  pca.mean = X.colwise().mean();
  const MatrixXd C = covariance_matrix(X);  // (2)  [d × d]
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(C);
  if (eig.info() != Eigen::Success)
    throw mlc::NumericalError("pca_eigen: the eigen-solver did not converge");
  // (3) C = V Λ Vᵀ; Eigen sorts ascending, PCA wants the largest variance first.
  pca.explained_variance = eig.eigenvalues().reverse();
  pca.components = eig.eigenvectors().rowwise().reverse();
  canonical_signs(pca.components);
  pca.total_variance = pca.explained_variance.sum();                           // = trace C
  pca.explained_variance_ratio = pca.explained_variance / pca.total_variance;  // (4)
  return pca;
  // END EXERCISE
}

Pca pca_svd(const Eigen::MatrixXd& X) {
  mlc::require(
      X.rows() >= 2 && X.cols() >= 1, "pca_svd",
      fmt::format("needs n >= 2 rows and d >= 1 columns, got {} × {}", X.rows(), X.cols()));
  Pca pca;
  pca.mean = X.colwise().mean();
  const MatrixXd Xc = X.rowwise() - pca.mean;
  // (3') Xc = U Σ Vᵀ  =>  C = V Σ² Vᵀ / (n − 1): same axes, λ_k = σ_k² / (n − 1).
  const Eigen::BDCSVD<MatrixXd> svd(Xc, Eigen::ComputeThinV);
  pca.components = svd.matrixV();
  canonical_signs(pca.components);
  pca.explained_variance =
      svd.singularValues().array().square() / static_cast<double>(X.rows() - 1);
  pca.total_variance = pca.explained_variance.sum();
  pca.explained_variance_ratio = pca.explained_variance / pca.total_variance;  // (4)
  return pca;
}

Eigen::MatrixXd whiten(const Pca& pca, const Eigen::MatrixXd& X, Eigen::Index k) {
  mlc::require(k >= 1 && k <= pca.explained_variance.size(), "whiten",
               fmt::format("k = {} outside [1, {}]", k, pca.explained_variance.size()));
  mlc::require(
      pca.explained_variance(k - 1) > 1e-12 * pca.explained_variance(0), "whiten",
      fmt::format(
          "component {} has variance {:.3g}: whitening would divide by ~0; keep fewer components",
          k, pca.explained_variance(k - 1)));
  // (7) W = Z Λ_k^{-1/2}
  const VectorXd inv_sd = pca.explained_variance.head(k).cwiseSqrt().cwiseInverse();
  return pca.transform(X, k) * inv_sd.asDiagonal();
}

Eigen::VectorXd reconstruction_error(const Pca& pca, const Eigen::MatrixXd& X,
                                     const std::vector<Eigen::Index>& ks) {
  VectorXd err(static_cast<Index>(ks.size()));
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const MatrixXd Xhat = pca.inverse_transform(pca.transform(X, ks[i]));
    err(static_cast<Index>(i)) = (X - Xhat).rowwise().squaredNorm().mean();  // (8)
  }
  return err;
}

// ---- Kernels and kernel PCA -------------------------------------------------------------

Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
  mlc::require(A.cols() == B.cols(), "squared_distances",
               fmt::format("A has {} columns, B has {}", A.cols(), B.cols()));
  const VectorXd a2 = A.rowwise().squaredNorm(), b2 = B.rowwise().squaredNorm();
  MatrixXd D = -2.0 * A * B.transpose();  // the GEMM: O(n_a n_b d)
  D.colwise() += a2;
  D.rowwise() += b2.transpose();
  return D.cwiseMax(0.0);
}

Eigen::MatrixXd rbf_kernel(const Eigen::MatrixXd& X, double gamma) {
  mlc::require(gamma > 0, "rbf_kernel", fmt::format("gamma must be positive, got {}", gamma));
  return (-gamma * squared_distances(X, X)).array().exp();
}

Eigen::MatrixXd linear_kernel(const Eigen::MatrixXd& X) {
  return X * X.transpose();
}

double median_heuristic_gamma(const Eigen::MatrixXd& X, Eigen::Index max_points) {
  const Index m = std::min(X.rows(), max_points);
  mlc::require(m >= 2, "median_heuristic_gamma", "needs at least 2 points");
  const MatrixXd D = squared_distances(X.topRows(m), X.topRows(m));
  std::vector<double> upper;
  upper.reserve(static_cast<std::size_t>(m * (m - 1) / 2));
  for (Index j = 1; j < m; ++j)
    for (Index i = 0; i < j; ++i) upper.push_back(D(i, j));
  auto mid = upper.begin() + static_cast<std::ptrdiff_t>(upper.size() / 2);
  std::nth_element(upper.begin(), mid, upper.end());
  mlc::require(*mid > 0, "median_heuristic_gamma",
               "the median squared distance is 0 (duplicated points)");
  return 1.0 / *mid;
}

Eigen::MatrixXd center_kernel(const Eigen::MatrixXd& K) {
  mlc::require(K.rows() == K.cols() && K.rows() >= 1, "center_kernel",
               fmt::format("K must be square, got {} × {}", K.rows(), K.cols()));
  // BEGIN EXERCISE kernel_centering: K̃ = K − 1_n K − K 1_n + 1_n K 1_n, equation (10)
  const Eigen::RowVectorXd column_means = K.colwise().mean();  // (1_n K)_ij = mean_k K_kj
  const VectorXd row_means = K.rowwise().mean();               // (K 1_n)_ij = mean_k K_ik
  const double grand_mean = K.mean();                          // (1_n K 1_n)_ij
  MatrixXd Kc = (K.rowwise() - column_means).colwise() - row_means;
  Kc.array() += grand_mean;
  return Kc;
  // END EXERCISE
}

EigenPairs top_eigenpairs(const Eigen::MatrixXd& A, Eigen::Index k, mlc::Rng& rng, double tol,
                          int max_iterations, Eigen::Index oversample) {
  const Index n = A.rows();
  mlc::require(A.cols() == n, "top_eigenpairs",
               fmt::format("A must be square, got {} × {}", n, A.cols()));
  mlc::require(k >= 1 && k <= n, "top_eigenpairs", fmt::format("k = {} outside [1, {}]", k, n));
  const Index p = std::min(n, k + std::max<Index>(oversample, 0));
  // (12) Orthogonal iteration: Q ← qr(A Q). The Ritz pairs of span(Q) converge to the top
  // eigenpairs at the rate (λ_{p+1} / λ_i)^t for i <= k.
  auto orthonormal_basis = [&](const MatrixXd& M) -> MatrixXd {
    const Eigen::HouseholderQR<MatrixXd> qr(M);
    return qr.householderQ() * MatrixXd::Identity(n, p);
  };
  MatrixXd Q = orthonormal_basis(rng.normal_matrix(n, p));
  EigenPairs out;
  for (int it = 1; it <= max_iterations; ++it) {
    const MatrixXd AQ = A * Q;              // O(n² p)
    const MatrixXd H = Q.transpose() * AQ;  // Rayleigh-Ritz: p × p projected matrix
    const Eigen::SelfAdjointEigenSolver<MatrixXd> small((H + H.transpose()) / 2);
    const MatrixXd S = small.eigenvectors().rowwise().reverse().leftCols(k);  // descending
    const VectorXd theta = small.eigenvalues().reverse().head(k);
    const MatrixXd V = Q * S, AV = AQ * S;
    const double scale = std::max(std::abs(theta(0)), std::numeric_limits<double>::min());
    out.max_residual = ((AV - V * theta.asDiagonal()).colwise().norm() / scale).maxCoeff();
    out.iterations = it;
    out.values = theta;
    out.vectors = V;
    if (out.max_residual <= tol) break;
    Q = orthonormal_basis(AQ);
  }
  canonical_signs(out.vectors);
  return out;
}

KernelPca kernel_pca(const Eigen::MatrixXd& K, Eigen::Index k, mlc::Rng& rng) {
  mlc::require(K.rows() == K.cols(), "kernel_pca",
               fmt::format("K must be square, got {} × {}", K.rows(), K.cols()));
  const MatrixXd Kc = center_kernel(K);               // (10)
  const EigenPairs top = top_eigenpairs(Kc, k, rng);  // (12) K̃ α = μ α
  KernelPca out;
  out.eigenvalues = top.values;
  out.iterations = top.iterations;
  // (11) z_ik = Σ_j α_jk K̃_ij with ‖α_k‖² = 1/μ_k, i.e. z_k = sqrt(μ_k) v_k.
  out.embedding = top.vectors * top.values.cwiseMax(0.0).cwiseSqrt().asDiagonal();
  return out;
}

// ---- t-SNE ------------------------------------------------------------------------------

BetaSearch perplexity_search(const Eigen::Ref<const Eigen::VectorXd>& d2, Eigen::Index self,
                             double perplexity, Eigen::Ref<Eigen::VectorXd> p, double tol,
                             int max_iterations) {
  const Index n = d2.size();
  mlc::require(p.size() == n, "perplexity_search",
               fmt::format("p has {} entries, d2 has {}", p.size(), n));
  mlc::require(self >= 0 && self < n, "perplexity_search",
               fmt::format("self = {} outside [0, {})", self, n));
  mlc::require(perplexity > 1 && perplexity < static_cast<double>(n - 1), "perplexity_search",
               fmt::format("perplexity {} must lie in (1, n − 1 = {})", perplexity, n - 1));
  // BEGIN EXERCISE tsne_perplexity_search: bisection on β so that H(P_i) = log Perp, (14)-(15)
  const double target = std::log(perplexity);  // nats; log2(Perp) bits
  // p_{j|i} ∝ exp(−β (d2_j − d_min)): the shift by the nearest distance cancels in the
  // normalisation and keeps the largest term at exp(0) = 1, so nothing underflows to 0/0.
  double d_min = std::numeric_limits<double>::infinity();
  for (Index j = 0; j < n; ++j)
    if (j != self) d_min = std::min(d_min, d2(j));
  // (14) H(P_i) = log S + β Σ_j p_{j|i} (d2_j − d_min), with S the normaliser.
  auto entropy_at = [&](double beta) {
    p = (-beta * (d2.array() - d_min)).exp().matrix();
    p(self) = 0.0;
    const double S = p.sum();
    double weighted = 0.0;
    for (Index j = 0; j < n; ++j) weighted += p(j) * (d2(j) - d_min);
    p /= S;
    return std::log(S) + beta * weighted / S;
  };
  BetaSearch out;
  double lo = 0.0, hi = std::numeric_limits<double>::infinity();
  double beta = 1.0;
  for (int it = 1; it <= max_iterations; ++it) {
    const double H = entropy_at(beta);
    out = {beta, H, it};
    if (std::abs(H - target) <= tol) break;
    // (15) H decreases with β: too flat (H > target) -> larger β, too peaked -> smaller.
    if (H > target) {
      lo = beta;
      beta = std::isinf(hi) ? 2.0 * beta : 0.5 * (beta + hi);
    } else {
      hi = beta;
      beta = 0.5 * (lo + hi);
    }
  }
  return out;
  // END EXERCISE
}

Affinities tsne_affinities(const Eigen::MatrixXd& X, double perplexity) {
  const Index n = X.rows();
  mlc::require(n >= 3, "tsne_affinities", fmt::format("needs n >= 3 points, got {}", n));
  const MatrixXd D2 = squared_distances(X, X);  // [n × n], symmetric: column i = row i
  MatrixXd C(n, n);                             // column i holds p_{·|i}
  Affinities out;
  out.beta.resize(n);
  const double target = std::log(perplexity);
  for (Index i = 0; i < n; ++i) {
    const BetaSearch s = perplexity_search(D2.col(i), i, perplexity, C.col(i));
    out.beta(i) = s.beta;
    out.total_iterations += s.iterations;
    out.max_entropy_error = std::max(out.max_entropy_error, std::abs(s.entropy - target));
  }
  // (16) p_ij = (p_{j|i} + p_{i|j}) / 2n: symmetric, sums to one, every point gets
  // Σ_j p_ij >= 1/2n, so an outlier still pulls on the embedding.
  out.P = (C + C.transpose()) / (2.0 * static_cast<double>(n));
  return out;
}

namespace {

// w_ij = 1 / (1 + ‖y_i − y_j‖²) for one j and the m = n − j − 1 points i > j, into w (the
// strict lower triangle of column j: each pair once).
void student_t_lower_column(const Eigen::MatrixXd& Y, Index j, Eigen::ArrayXd& w) {
  const Index m = Y.rows() - j - 1;
  w.setOnes(m);
  for (Index d = 0; d < Y.cols(); ++d) w += (Y.col(d).tail(m).array() - Y(j, d)).square();
  w = w.inverse();
}

// Z = Σ_{i≠j} w_ij = 2 Σ_{i>j} w_ij, one column at a time (no n × n temporary).
double student_t_normaliser(const Eigen::MatrixXd& Y, Eigen::ArrayXd& w) {
  double Z = 0.0;
  for (Index j = 0; j + 1 < Y.rows(); ++j) {
    student_t_lower_column(Y, j, w);
    Z += w.sum();
  }
  return 2.0 * Z;
}

void require_tsne_shapes(const Eigen::MatrixXd& P, const Eigen::MatrixXd& Y, const char* where) {
  mlc::require(P.rows() == Y.rows() && P.cols() == Y.rows(), where,
               fmt::format("P is {} × {}, Y has {} rows", P.rows(), P.cols(), Y.rows()));
  mlc::require(Y.rows() >= 2 && Y.cols() >= 1, where,
               fmt::format("Y is {} × {}", Y.rows(), Y.cols()));
}

}  // namespace

double tsne_kl_divergence(const Eigen::MatrixXd& P, const Eigen::MatrixXd& Y) {
  require_tsne_shapes(P, Y, "tsne_kl_divergence");
  const Index n = Y.rows();
  Eigen::ArrayXd w(n);
  const double Z = student_t_normaliser(Y, w);
  // (17) KL = Σ_{i≠j, p_ij>0} p_ij log(p_ij Z / w_ij); P and W are symmetric, so each
  // unordered pair is visited once and counted for both (i, j) and (j, i).
  double kl = 0.0;
  for (Index j = 0; j + 1 < n; ++j) {
    student_t_lower_column(Y, j, w);
    for (Index i = j + 1; i < n; ++i) {
      const double pij = P(i, j), pji = P(j, i), q = w(i - j - 1) / Z;
      if (pij > 0) kl += pij * std::log(pij / q);
      if (pji > 0) kl += pji * std::log(pji / q);
    }
  }
  return kl;
}

Eigen::MatrixXd tsne_gradient(const Eigen::MatrixXd& P, const Eigen::MatrixXd& Y,
                              double exaggeration) {
  require_tsne_shapes(P, Y, "tsne_gradient");
  // BEGIN EXERCISE tsne_gradient: ∂C/∂y_j = 4 Σ_i (α p_ij − q_ij) w_ij (y_j − y_i), equation (19)
  // Split as 4 [Σ_i α p_ij w_ij (y_j − y_i) − (1/Z) Σ_i w_ij² (y_j − y_i)]: attraction and
  // repulsion accumulate in the same pass as Z = Σ_{i≠j} w_ij (18), so each pair is visited
  // once. A pair (i > j) adds its force to y_j and, by symmetry, subtracts it from y_i.
  const Index n = Y.rows(), m = Y.cols();
  Eigen::ArrayXd w(n), attraction(n), repulsion(n), diff(n);
  MatrixXd A = MatrixXd::Zero(n, m), R = MatrixXd::Zero(n, m);  // [n × m] each
  double Z = 0.0;
  for (Index j = 0; j + 1 < n; ++j) {
    const Index rest = n - j - 1;
    student_t_lower_column(Y, j, w);  // w_ij, i > j
    Z += 2.0 * w.sum();
    attraction = exaggeration * P.col(j).tail(rest).array() * w;  // α p_ij w_ij
    repulsion = w.square();                                       // w_ij² = Z q_ij w_ij
    for (Index d = 0; d < m; ++d) {
      diff = Y(j, d) - Y.col(d).tail(rest).array();  // y_jd − y_id
      A(j, d) += (attraction * diff).sum();
      A.col(d).tail(rest).array() -= attraction * diff;
      R(j, d) += (repulsion * diff).sum();
      R.col(d).tail(rest).array() -= repulsion * diff;
    }
  }
  return 4.0 * (A - R / Z);
  // END EXERCISE
}

TsneResult tsne(const Eigen::MatrixXd& P, const TsneOptions& o, mlc::Rng& rng) {
  const Index n = P.rows();
  mlc::require(P.cols() == n && n >= 3, "tsne",
               fmt::format("P must be square with n >= 3, got {} × {}", n, P.cols()));
  mlc::require(o.dims >= 1 && o.iterations >= 1 && o.learning_rate > 0 && o.min_gain > 0, "tsne",
               "dims, iterations, learning_rate and min_gain must be positive");
  TsneResult out;
  MatrixXd Y = rng.normal_matrix(n, o.dims, 0.0, o.init_stddev);
  MatrixXd update = MatrixXd::Zero(n, o.dims);
  MatrixXd gains = MatrixXd::Ones(n, o.dims);
  for (int it = 0; it < o.iterations; ++it) {
    const double alpha = it < o.exaggeration_iterations ? o.early_exaggeration : 1.0;
    const double momentum = it < o.momentum_switch ? o.initial_momentum : o.final_momentum;
    const MatrixXd G = tsne_gradient(P, Y, alpha);  // (19)
    // (20) Jacobs' gains: grow where the gradient's sign disagrees with the last update's
    // (i.e. the step keeps going the same way downhill), shrink where it oscillates.
    for (Index c = 0; c < o.dims; ++c)
      for (Index i = 0; i < n; ++i) {
        const bool same_sign = (G(i, c) > 0) == (update(i, c) > 0);
        gains(i, c) = std::max(o.min_gain, same_sign ? gains(i, c) * 0.8 : gains(i, c) + 0.2);
      }
    update = momentum * update - o.learning_rate * gains.cwiseProduct(G);
    Y += update;
    Y.rowwise() -= Y.colwise().mean();  // the cost is translation invariant: keep Y centred
    if (!Y.allFinite())
      throw mlc::NumericalError(
          fmt::format("tsne: the embedding became non-finite at iteration {}", it + 1));
    if ((it + 1) % o.record_every == 0 || it + 1 == o.iterations) {
      out.recorded_iteration.push_back(it + 1);
      out.recorded_kl.push_back(tsne_kl_divergence(P, Y));
    }
  }
  out.final_kl = out.recorded_kl.back();
  out.Y = std::move(Y);
  return out;
}

TsneResult tsne_embed(const Eigen::MatrixXd& X, const TsneOptions& options, mlc::Rng& rng) {
  return tsne(tsne_affinities(X, options.perplexity).P, options, rng);
}

// ---- Measures ---------------------------------------------------------------------------

double far_neighbor_fraction(const Eigen::MatrixXd& reference, const Eigen::MatrixXd& embedding,
                             int k, double radius) {
  mlc::require(
      reference.rows() == embedding.rows(), "far_neighbor_fraction",
      fmt::format("{} reference rows, {} embedding rows", reference.rows(), embedding.rows()));
  const Eigen::MatrixXi nn = nearest_neighbors(embedding, k);
  long far = 0;
  for (Index i = 0; i < nn.rows(); ++i)
    for (int r = 0; r < k; ++r) far += (reference.row(i) - reference.row(nn(i, r))).norm() > radius;
  return static_cast<double>(far) / static_cast<double>(nn.rows() * k);
}

namespace {

// The k nearest (excluding i) from a full squared-distance matrix D (column i = point i).
void k_nearest_from_column(const Eigen::MatrixXd& D, Index i, int k, std::vector<Index>& order,
                           Eigen::Ref<Eigen::VectorXi> out) {
  const Index n = D.rows();
  order.resize(static_cast<std::size_t>(n - 1));
  Index c = 0;
  for (Index j = 0; j < n; ++j)
    if (j != i) order[static_cast<std::size_t>(c++)] = j;
  auto closer = [&](Index a, Index b) {
    return D(a, i) < D(b, i) || (D(a, i) == D(b, i) && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + k, order.end(), closer);
  for (int r = 0; r < k; ++r) out(r) = static_cast<int>(order[static_cast<std::size_t>(r)]);
}

}  // namespace

Eigen::MatrixXi nearest_neighbors(const Eigen::MatrixXd& X, int k) {
  const Index n = X.rows();
  mlc::require(k >= 1 && k < n, "nearest_neighbors",
               fmt::format("k = {} outside [1, n − 1 = {}]", k, n - 1));
  const MatrixXd D = squared_distances(X, X);
  Eigen::MatrixXi nn(k, n);  // column i: the neighbours of i (stored transposed, returned n × k)
  std::vector<Index> order;
  for (Index i = 0; i < n; ++i) k_nearest_from_column(D, i, k, order, nn.col(i));
  return nn.transpose();
}

double knn_recall(const Eigen::MatrixXd& reference, const Eigen::MatrixXd& embedding, int k) {
  mlc::require(
      reference.rows() == embedding.rows(), "knn_recall",
      fmt::format("{} reference rows, {} embedding rows", reference.rows(), embedding.rows()));
  const Eigen::MatrixXi a = nearest_neighbors(reference, k), b = nearest_neighbors(embedding, k);
  long hits = 0;
  for (Index i = 0; i < a.rows(); ++i)
    for (int r = 0; r < k; ++r)
      for (int s = 0; s < k; ++s) hits += a(i, r) == b(i, s);
  return static_cast<double>(hits) / static_cast<double>(a.rows() * k);
}

double trustworthiness(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y, int k) {
  const Index n = X.rows();
  mlc::require(Y.rows() == n, "trustworthiness",
               fmt::format("X has {} rows, Y has {}", n, Y.rows()));
  mlc::require(k >= 1 && 2 * k < n, "trustworthiness",
               fmt::format("k = {} must satisfy 1 <= k < n/2 = {}", k, n / 2.0));
  const MatrixXd DX = squared_distances(X, X);
  const Eigen::MatrixXi nx = nearest_neighbors(X, k), ny = nearest_neighbors(Y, k);
  double penalty = 0.0;
  for (Index i = 0; i < n; ++i) {
    for (int s = 0; s < k; ++s) {
      const Index j = ny(i, s);
      if ((nx.row(i).array() == static_cast<int>(j)).any()) continue;
      // r(i, j): rank of j among i's input neighbours (1 = nearest), ties by index as in
      // nearest_neighbors.
      Index rank = 1;
      for (Index l = 0; l < n; ++l)
        if (l != i && l != j && (DX(l, i) < DX(j, i) || (DX(l, i) == DX(j, i) && l < j))) ++rank;
      penalty += static_cast<double>(rank - k);
    }
  }
  // (21)
  const double nd = static_cast<double>(n), kd = static_cast<double>(k);
  return 1.0 - 2.0 / (nd * kd * (2.0 * nd - 3.0 * kd - 1.0)) * penalty;
}

Eigen::VectorXi knn_loo_labels(const Eigen::MatrixXd& Y, const Eigen::VectorXi& labels, int k) {
  mlc::require(labels.size() == Y.rows(), "knn_loo_labels",
               fmt::format("{} labels for {} points", labels.size(), Y.rows()));
  mlc::require(labels.size() > 0 && labels.minCoeff() >= 0, "knn_loo_labels",
               "labels must be 0..K−1");
  const int K = labels.maxCoeff() + 1;
  const Eigen::MatrixXi nn = nearest_neighbors(Y, k);
  Eigen::VectorXi out(Y.rows());
  std::vector<int> votes(static_cast<std::size_t>(K));
  for (Index i = 0; i < Y.rows(); ++i) {
    std::fill(votes.begin(), votes.end(), 0);
    for (int r = 0; r < k; ++r) ++votes[static_cast<std::size_t>(labels(nn(i, r)))];
    const int best = *std::max_element(votes.begin(), votes.end());
    for (int r = 0; r < k; ++r) {  // the nearest neighbour among the tied classes wins
      const int c = labels(nn(i, r));
      if (votes[static_cast<std::size_t>(c)] == best) {
        out(i) = c;
        break;
      }
    }
  }
  return out;
}

int knn_graph_components(const Eigen::MatrixXd& Y, int k) {
  const Eigen::MatrixXi nn = nearest_neighbors(Y, k);
  std::vector<Index> parent(static_cast<std::size_t>(Y.rows()));
  std::iota(parent.begin(), parent.end(), Index{0});
  auto find = [&](Index a) {
    while (parent[static_cast<std::size_t>(a)] != a) {
      parent[static_cast<std::size_t>(a)] =
          parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(a)])];
      a = parent[static_cast<std::size_t>(a)];
    }
    return a;
  };
  int components = static_cast<int>(Y.rows());
  for (Index i = 0; i < Y.rows(); ++i)
    for (int r = 0; r < k; ++r) {
      const Index a = find(i), b = find(nn(i, r));
      if (a != b) {
        parent[static_cast<std::size_t>(a)] = b;
        --components;
      }
    }
  return components;
}

namespace {
Eigen::VectorXd mid_ranks(const Eigen::VectorXd& v) {
  const Index n = v.size();
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::sort(order.begin(), order.end(), [&](Index a, Index b) { return v(a) < v(b); });
  VectorXd rank(n);
  for (Index s = 0; s < n;) {
    Index e = s;
    while (e + 1 < n &&
           v(order[static_cast<std::size_t>(e + 1)]) == v(order[static_cast<std::size_t>(s)]))
      ++e;
    const double mid = 0.5 * static_cast<double>(s + e) + 1.0;
    for (Index t = s; t <= e; ++t) rank(order[static_cast<std::size_t>(t)]) = mid;
    s = e + 1;
  }
  return rank;
}
}  // namespace

double spearman_correlation(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  mlc::require(a.size() == b.size() && a.size() >= 2, "spearman_correlation",
               fmt::format("needs equal sizes >= 2, got {} and {}", a.size(), b.size()));
  const VectorXd ra = mid_ranks(a), rb = mid_ranks(b);
  const VectorXd ca = ra.array() - ra.mean(), cb = rb.array() - rb.mean();
  return ca.dot(cb) / std::sqrt(ca.squaredNorm() * cb.squaredNorm());
}

Eigen::VectorXd cluster_rms_radius(const Eigen::MatrixXd& Y, const Eigen::VectorXi& labels, int K) {
  mlc::require(labels.size() == Y.rows(), "cluster_rms_radius", "one label per row");
  VectorXd out(K);
  for (int c = 0; c < K; ++c) {
    Eigen::RowVectorXd centroid = Eigen::RowVectorXd::Zero(Y.cols());
    Index count = 0;
    for (Index i = 0; i < Y.rows(); ++i)
      if (labels(i) == c) centroid += Y.row(i), ++count;
    mlc::require(count > 0, "cluster_rms_radius", fmt::format("cluster {} is empty", c));
    centroid /= static_cast<double>(count);
    double ss = 0.0;
    for (Index i = 0; i < Y.rows(); ++i)
      if (labels(i) == c) ss += (Y.row(i) - centroid).squaredNorm();
    out(c) = std::sqrt(ss / static_cast<double>(count));
  }
  return out;
}

Eigen::MatrixXd centroid_distances(const Eigen::MatrixXd& Y, const Eigen::VectorXi& labels, int K) {
  mlc::require(labels.size() == Y.rows(), "centroid_distances", "one label per row");
  MatrixXd centroids = MatrixXd::Zero(K, Y.cols());
  VectorXd count = VectorXd::Zero(K);
  for (Index i = 0; i < Y.rows(); ++i) {
    centroids.row(labels(i)) += Y.row(i);
    count(labels(i)) += 1;
  }
  mlc::require(count.minCoeff() > 0, "centroid_distances", "a cluster is empty");
  centroids = count.cwiseInverse().asDiagonal() * centroids;
  return squared_distances(centroids, centroids).cwiseSqrt();
}

SwissRoll make_swiss_roll(Eigen::Index n, double noise, mlc::Rng& rng) {
  mlc::require(n >= 1 && noise >= 0, "make_swiss_roll", "needs n >= 1 and noise >= 0");
  SwissRoll roll;
  roll.X.resize(n, 3);
  roll.t.resize(n);
  roll.intrinsic.resize(n, 2);
  for (Index i = 0; i < n; ++i) {
    const double t = 1.5 * std::numbers::pi * (1.0 + 2.0 * rng.uniform());
    const double h = 21.0 * rng.uniform();
    roll.t(i) = t;
    roll.X(i, 0) = t * std::cos(t) + noise * rng.normal();
    roll.X(i, 1) = h + noise * rng.normal();
    roll.X(i, 2) = t * std::sin(t) + noise * rng.normal();
    // Arc length of the spiral r = t: s(t) = ∫ sqrt(1 + t²) dt = (t sqrt(1+t²) + asinh t) / 2.
    roll.intrinsic(i, 0) = 0.5 * (t * std::sqrt(1.0 + t * t) + std::asinh(t));
    roll.intrinsic(i, 1) = h;
  }
  return roll;
}

}  // namespace dimensionality_reduction
