// Lesson 2.12 dimensionality_reduction: PCA (by SVD and by the covariance's
// eigen-decomposition), whitening, kernel PCA, and t-SNE, written from scratch on Eigen,
// with the neighbourhood measures used to judge an embedding.
//
// Layout: rows are samples. X is n × d, an embedding Y is n × m (m = 2 for plots).
// Equation numbers refer to NOTES.md.
//
// Sources: I. T. Jolliffe, Principal Component Analysis, 2nd ed. (2002), §1-3 (PCA,
// explained variance); C. M. Bishop, Pattern Recognition and Machine Learning (2006),
// §12.1 (PCA, whitening §12.1.3), §12.3 (kernel PCA, centring the Gram matrix (12.85));
// B. Schölkopf, A. Smola & K.-R. Müller (1998), "Nonlinear component analysis as a kernel
// eigenvalue problem", Neural Computation 10:1299-1319; G. H. Golub & C. F. Van Loan,
// Matrix Computations, 4th ed., §8.2.4 (orthogonal iteration), §8.1.2 (Rayleigh-Ritz);
// L. van der Maaten & G. Hinton (2008), "Visualizing data using t-SNE", JMLR 9:2579-2605
// (perplexity search §2, gradient (5), optimisation §3.4: momentum, Jacobs' gains, early
// exaggeration); J. Venna & S. Kaski (2001), "Neighborhood preservation in nonlinear
// projection methods", ICANN (trustworthiness).
//
// Departures from the sources: the kernel-PCA eigenproblem is solved only for its top k
// eigenpairs by orthogonal (subspace) iteration, because a full O(n³) eigen-decomposition
// of the 1797 × 1797 Gram matrix takes tens of seconds; the t-SNE gradient is computed
// exactly in O(n² m) (no Barnes-Hut), once per unordered pair, column by column so that
// no n × n temporary beyond P is stored.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace dimensionality_reduction {

// ---- Principal component analysis ------------------------------------------------------

// A fitted PCA with ALL r = min(n, d) components, sorted by decreasing variance. Signs
// are canonical: the entry of largest magnitude of each principal axis is positive, so
// that two fits of the same data give the same axes.
struct Pca {
  Eigen::RowVectorXd mean;                   // 1 × d column means μ
  Eigen::MatrixXd components;                // d × r principal axes v_k (orthonormal columns)
  Eigen::VectorXd explained_variance;        // r eigenvalues λ_k of the covariance (2), descending
  Eigen::VectorXd explained_variance_ratio;  // (4) λ_k / Σ_j λ_j
  double total_variance = 0;                 // trace of the covariance = Σ_j λ_j

  // (5) scores Z = (X − μ) V_k   [n × k]
  Eigen::MatrixXd transform(const Eigen::MatrixXd& X, Eigen::Index k) const;
  // (6) reconstruction X̂ = μ + Z V_kᵀ from k scores   [n × d]
  Eigen::MatrixXd inverse_transform(const Eigen::MatrixXd& Z) const;
};

// (1)-(2) Sample covariance C = (X − μ)ᵀ (X − μ) / (n − 1)   [d × d]. O(n d²).
Eigen::MatrixXd covariance_matrix(const Eigen::MatrixXd& X);

// PCA from the eigen-decomposition of the covariance (2)-(3) (SelfAdjointEigenSolver).
// O(n d² + d³). Requires n >= 2.
Pca pca_eigen(const Eigen::MatrixXd& X);
// PCA from the thin SVD of the centred data X − μ = U Σ Vᵀ, λ_k = σ_k² / (n − 1)  (3').
// O(n d²) with Eigen's divide-and-conquer BDCSVD; never forms XᵀX, so it keeps the digits
// of small components that squaring the condition number would lose.
Pca pca_svd(const Eigen::MatrixXd& X);

// Flips each column of V so that its entry of largest magnitude is positive.
void canonical_signs(Eigen::MatrixXd& V);

// (7) Whitened scores W = (X − μ) V_k Λ_k^{-1/2}, whose sample covariance is I_k. Requires
// λ_k > 0 for the k components kept.
Eigen::MatrixXd whiten(const Pca& pca, const Eigen::MatrixXd& X, Eigen::Index k);

// (8) Mean squared reconstruction error ‖x − x̂‖² per sample with k = ks[i] components;
// on the data PCA was fitted to it equals (n−1)/n Σ_{j>k} λ_j.
Eigen::VectorXd reconstruction_error(const Pca& pca, const Eigen::MatrixXd& X,
                                     const std::vector<Eigen::Index>& ks);

// ---- Kernels and kernel PCA ------------------------------------------------------------

// D_ij = ‖a_i − b_j‖² = ‖a_i‖² + ‖b_j‖² − 2 a_i·b_j, clamped at 0   [n_a × n_b]. A GEMM.
Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B);
// K_ij = exp(−γ ‖x_i − x_j‖²)   [n × n]
Eigen::MatrixXd rbf_kernel(const Eigen::MatrixXd& X, double gamma);
// K = X Xᵀ   [n × n]
Eigen::MatrixXd linear_kernel(const Eigen::MatrixXd& X);
// γ = 1 / median_{i<j} ‖x_i − x_j‖² (the median heuristic), over at most the first
// `max_points` rows.
double median_heuristic_gamma(const Eigen::MatrixXd& X, Eigen::Index max_points = 1000);

// (10) Centring in feature space: K̃ = K − 1_n K − K 1_n + 1_n K 1_n, with 1_n the n × n
// matrix of entries 1/n. K̃ is the Gram matrix of φ(x_i) − mean φ. O(n²).
Eigen::MatrixXd center_kernel(const Eigen::MatrixXd& K);

struct EigenPairs {
  Eigen::VectorXd values;   // k eigenvalues, descending
  Eigen::MatrixXd vectors;  // n × k orthonormal eigenvectors (canonical signs)
  int iterations = 0;       // orthogonal-iteration steps taken
  double max_residual = 0;  // max_i ‖A v_i − λ_i v_i‖ / |λ_1| at exit
};

// (12) The k eigenpairs of largest eigenvalue of a symmetric positive semi-definite A by
// orthogonal iteration with Rayleigh-Ritz (GVL §8.2.4): a block of p = k + oversample
// random vectors, Q ← qr(A Q), then the p × p eigenproblem of Qᵀ A Q, until the relative
// residual of the k wanted pairs falls below tol. O(n² p) per iteration.
EigenPairs top_eigenpairs(const Eigen::MatrixXd& A, Eigen::Index k, mlc::Rng& rng,
                          double tol = 1e-9, int max_iterations = 1000,
                          Eigen::Index oversample = 10);

struct KernelPca {
  Eigen::VectorXd eigenvalues;  // top k eigenvalues μ_k of the centred Gram matrix
  Eigen::MatrixXd embedding;    // (11) n × k projections z_ik = sqrt(μ_k) α_ik
  int iterations = 0;
};
// Kernel PCA of a Gram matrix K (uncentred: it is centred here by (10)).
KernelPca kernel_pca(const Eigen::MatrixXd& K, Eigen::Index k, mlc::Rng& rng);

// ---- t-SNE -----------------------------------------------------------------------------

struct BetaSearch {
  double beta = 1;     // precision β_i = 1 / (2 σ_i²)
  double entropy = 0;  // H(P_i) in nats at that β
  int iterations = 0;  // bisection steps
};

// (14)-(15) Perplexity calibration of one point: given the squared distances d2 (n) from
// point i = `self` to every point, finds β by bisection on the entropy so that
// H(P_i) = log(perplexity) (nats; = log2(perplexity) bits) within tol, and writes the
// conditional distribution p_{j|i} ∝ exp(−β d2_j), p_{i|i} = 0, into p (n entries).
BetaSearch perplexity_search(const Eigen::Ref<const Eigen::VectorXd>& d2, Eigen::Index self,
                             double perplexity, Eigen::Ref<Eigen::VectorXd> p, double tol = 1e-5,
                             int max_iterations = 200);

struct Affinities {
  Eigen::MatrixXd P;     // (16) n × n joint p_ij = (p_{j|i} + p_{i|j}) / 2n, symmetric, Σ = 1
  Eigen::VectorXd beta;  // n calibrated precisions
  double max_entropy_error = 0;  // max_i |H(P_i) − log perplexity| (nats)
  long total_iterations = 0;     // bisection steps summed over points
};
// The input affinities of t-SNE from data X (squared Euclidean distances).
// Requires 1 < perplexity < n − 1.
Affinities tsne_affinities(const Eigen::MatrixXd& X, double perplexity);

// (17)-(18) KL(P ‖ Q) = Σ_{i≠j} p_ij log(p_ij / q_ij) with the Student-t similarities
// q_ij = w_ij / Σ_{k≠l} w_kl, w_ij = 1 / (1 + ‖y_i − y_j‖²). Terms with p_ij = 0 are 0.
double tsne_kl_divergence(const Eigen::MatrixXd& P, const Eigen::MatrixXd& Y);

// (19) The gradient of (17): ∂C/∂y_i = 4 Σ_j (α p_ij − q_ij) w_ij (y_i − y_j)   [n × m],
// with the early-exaggeration factor α (α = 1: the gradient of KL(P ‖ Q)). O(n² m).
Eigen::MatrixXd tsne_gradient(const Eigen::MatrixXd& P, const Eigen::MatrixXd& Y,
                              double exaggeration = 1.0);

// Optimisation settings of van der Maaten & Hinton (2008) §3.4, except the learning rate
// (the paper's 100 is slow for Σ p_ij = 1 on n ≈ 2000; see NOTES.md).
struct TsneOptions {
  double perplexity = 30;
  int iterations = 750;
  int dims = 2;
  double learning_rate = 200;
  double early_exaggeration = 4;  // α in (19) for the first exaggeration_iterations
  int exaggeration_iterations = 100;
  double initial_momentum = 0.5;
  double final_momentum = 0.8;
  int momentum_switch = 250;  // iteration at which the momentum becomes final_momentum
  double min_gain = 0.01;     // Jacobs (1988) gains: +0.2 on a sign flip, ×0.8 otherwise
  double init_stddev = 1e-2;  // y_i ~ N(0, 10⁻⁴ I)
  int record_every = 50;      // KL recorded every so many iterations (and at the end)
};

struct TsneResult {
  Eigen::MatrixXd Y;  // n × dims embedding, centred
  std::vector<int> recorded_iteration;
  std::vector<double> recorded_kl;  // KL(P ‖ Q) (without exaggeration) at those iterations
  double final_kl = 0;
};

// (20) Gradient descent with momentum and per-coordinate gains on (17), from a small
// random start drawn from rng.
TsneResult tsne(const Eigen::MatrixXd& P, const TsneOptions& options, mlc::Rng& rng);
// Affinities at options.perplexity, then tsne(P, ...).
TsneResult tsne_embed(const Eigen::MatrixXd& X, const TsneOptions& options, mlc::Rng& rng);

// ---- Measures of an embedding ----------------------------------------------------------

// The k nearest neighbours of each row (itself excluded), nearest first   [n × k].
Eigen::MatrixXi nearest_neighbors(const Eigen::MatrixXd& X, int k);
// Mean fraction of the k nearest neighbours of each point in `reference` that are also
// among its k nearest in `embedding` (k-NN recall, 1 = neighbourhoods kept).
double knn_recall(const Eigen::MatrixXd& reference, const Eigen::MatrixXd& embedding, int k);
// Fraction of the (point, embedding k-NN) pairs that are farther apart than `radius` in
// `reference` (e.g. on the unrolled sheet of a swiss roll): false neighbours from a fold.
double far_neighbor_fraction(const Eigen::MatrixXd& reference, const Eigen::MatrixXd& embedding,
                             int k, double radius);
// (21) Trustworthiness of Venna & Kaski: 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_{j ∈ U_k(i)}
// (r(i, j) − k), where U_k(i) are the embedding's k neighbours of i that are not among
// its k input neighbours and r(i, j) is the rank of j among i's input neighbours. In
// [0, 1]; 1 when no false neighbour appears. Requires k < n / 2.
double trustworthiness(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y, int k);
// Leave-one-out k-NN labels in an embedding: the majority label of each point's k
// nearest other points (ties to the class of the nearest among the tied). An evaluation
// instrument for embeddings; lesson 2.6 teaches k-NN as a classifier.
Eigen::VectorXi knn_loo_labels(const Eigen::MatrixXd& Y, const Eigen::VectorXi& labels, int k);
// Number of connected components of the symmetrised k-NN graph of the rows of Y.
int knn_graph_components(const Eigen::MatrixXd& Y, int k);
// Spearman's rank correlation (mid-ranks for ties).
double spearman_correlation(const Eigen::VectorXd& a, const Eigen::VectorXd& b);
// RMS distance of each cluster's points to their centroid, and the K × K matrix of
// centroid distances, for labels 0..K−1.
Eigen::VectorXd cluster_rms_radius(const Eigen::MatrixXd& Y, const Eigen::VectorXi& labels, int K);
Eigen::MatrixXd centroid_distances(const Eigen::MatrixXd& Y, const Eigen::VectorXi& labels, int K);

// ---- Data for the failure modes --------------------------------------------------------

// The swiss roll: t = 1.5π (1 + 2u), h = 21 v (u, v ~ U[0,1)), x = (t cos t, h, t sin t)
// plus N(0, noise²) per coordinate (the construction of scikit-learn's make_swiss_roll).
// `intrinsic` holds the unrolled coordinates (arc length along the spiral, h).
struct SwissRoll {
  Eigen::MatrixXd X;          // n × 3
  Eigen::VectorXd t;          // n roll parameters
  Eigen::MatrixXd intrinsic;  // n × 2 (arc length s(t), h)
};
SwissRoll make_swiss_roll(Eigen::Index n, double noise, mlc::Rng& rng);

}  // namespace dimensionality_reduction
