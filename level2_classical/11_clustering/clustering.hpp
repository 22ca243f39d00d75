// Lesson 2.11 clustering: k-means (Lloyd's algorithm, k-means++ seeding), Gaussian mixtures
// fitted by EM with full covariances, DBSCAN, and the two clustering metrics this lesson owns:
// the silhouette and the adjusted Rand index.
//
// Layout: rows are samples. X is n × d; a clustering is an Eigen::VectorXi of n labels
// 0..K-1 (DBSCAN marks noise with -1). Equation numbers refer to NOTES.md.
//
// Sources: S. Lloyd (1982), "Least squares quantization in PCM", IEEE Trans. Inf. Theory
// 28(2):129–137; D. Arthur & S. Vassilvitskii (2007), "k-means++: the advantages of careful
// seeding", SODA, §2.2 (D² sampling, the plain variant with one candidate per step);
// A. Dempster, N. Laird & D. Rubin (1977), "Maximum likelihood from incomplete data via the
// EM algorithm", JRSS B 39:1–38; C. Bishop (2006), Pattern Recognition and Machine Learning,
// §9.1–9.2 (k-means, GMM by EM) and §9.2.1 (singularities of the likelihood); P. Rousseeuw
// (1987), "Silhouettes", J. Comput. Appl. Math. 20:53–65; L. Hubert & P. Arabie (1985),
// "Comparing partitions", J. Classification 2:193–218; M. Ester, H.-P. Kriegel, J. Sander &
// X. Xu (1996), "A density-based algorithm for discovering clusters", KDD, §4 (DBSCAN).
#pragma once

#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace clustering {

// ---- k-means ------------------------------------------------------------------------------

// D(i, k) = ||x_i − c_k||²  [n × K], computed as ||x||² − 2 X Cᵀ + ||c||² (one GEMM),
// clamped at 0 against rounding.                                                 cost O(n K d)
Eigen::MatrixXd squared_distances(const Eigen::Ref<const Eigen::MatrixXd>& X,
                                  const Eigen::Ref<const Eigen::MatrixXd>& centers);

// One iteration of Lloyd's algorithm. Assignment step (2): labels(i) = argmin_k D(i, k);
// update step (3): each center becomes the mean of its points (a center left without points
// stays where it is). Returns the inertia (1) of the centers on entry,
// J(C) = Σ_i min_k ||x_i − c_k||², which Lloyd's iteration never increases.   O(n K d)
double lloyd_iteration(const Eigen::Ref<const Eigen::MatrixXd>& X, Eigen::MatrixXd& centers,
                       Eigen::VectorXi& labels);

// k-means++ seeding (4): the first center uniform over the rows of X, each next one drawn
// with probability D(x)² / Σ D², D(x) the distance to the nearest chosen center. Requires
// at least k distinct rows.                                                      O(n k d)
Eigen::MatrixXd kmeans_plus_plus_init(const Eigen::Ref<const Eigen::MatrixXd>& X, int k,
                                      mlc::Rng& rng);

// The naive seeding: k distinct rows of X drawn uniformly (Forgy's method).
Eigen::MatrixXd random_init(const Eigen::Ref<const Eigen::MatrixXd>& X, int k, mlc::Rng& rng);

enum class KMeansInit { kPlusPlus, kRandom };

struct KMeansOptions {
  KMeansInit init = KMeansInit::kPlusPlus;
  int n_init = 1;            // independent seedings; the result with the lowest inertia wins
  int max_iterations = 300;  // Lloyd iterations per seeding
};

struct KMeansResult {
  Eigen::MatrixXd centers;              // K × d
  Eigen::VectorXi labels;               // n, in 0..K-1, each point to its nearest center
  double inertia = 0.0;                 // (1) of the final centers
  int iterations = 0;                   // Lloyd iterations of the winning seeding
  bool converged = false;               // the assignment stopped changing
  std::vector<double> inertia_history;  // J(C_t), t = 0.. (winning seeding), non-increasing
};

// Lloyd's algorithm from given initial centers, until the assignment no longer changes.
KMeansResult lloyd(const Eigen::Ref<const Eigen::MatrixXd>& X, Eigen::MatrixXd centers,
                   int max_iterations = 300);
// k-means: options.n_init seedings (k-means++ or random), Lloyd from each, best by inertia.
KMeansResult kmeans(const Eigen::Ref<const Eigen::MatrixXd>& X, int k, mlc::Rng& rng,
                    const KMeansOptions& options = {});

// ---- Gaussian mixtures by EM ---------------------------------------------------------------

struct GaussianMixture {
  Eigen::VectorXd weights;                   // K mixing proportions π_k, summing to 1
  Eigen::MatrixXd means;                     // K × d
  std::vector<Eigen::MatrixXd> covariances;  // K matrices d × d, symmetric positive definite
  int components() const { return static_cast<int>(weights.size()); }
};

// (7) log N(x_i | μ, Σ) for every row of X  [n], through the Cholesky factor Σ = L Lᵀ
// (Eigen LLT): −½ ||L⁻¹(x − μ)||² − Σ_j log L_jj − (d/2) log 2π. If Σ is not positive
// definite (the factorisation fails) the Gaussian has collapsed to its limit (11): +inf on
// its support μ + range(Σ) (a point mass at μ when Σ = 0), −inf off it; "on" allows rounding,
// √ε (1 + ||μ|| + sqrt(λ_max(Σ))).                                           O(d³ + n d²)
Eigen::VectorXd log_gaussian_density(const Eigen::Ref<const Eigen::MatrixXd>& X,
                                     const Eigen::Ref<const Eigen::VectorXd>& mean,
                                     const Eigen::Ref<const Eigen::MatrixXd>& covariance);

// E-step (8): responsibilities r_ik = π_k N(x_i|k) / Σ_j π_j N(x_i|j)  [n × K], each row
// summing to 1, computed with log-sum-exp. Returns the log-likelihood Σ_i log p(x_i) (6);
// +inf when a collapsed component sits on a data point.                     O(K(d³ + n d²))
double em_e_step(const Eigen::Ref<const Eigen::MatrixXd>& X, const GaussianMixture& model,
                 Eigen::MatrixXd& responsibilities);

// M-step (9): N_k = Σ_i r_ik, π_k = N_k / n, μ_k = Σ_i r_ik x_i / N_k,
// Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k + reg_covar · I.               O(K n d²)
void em_m_step(const Eigen::Ref<const Eigen::MatrixXd>& X,
               const Eigen::Ref<const Eigen::MatrixXd>& responsibilities, double reg_covar,
               GaussianMixture& model);

struct GmmOptions {
  int max_iterations = 500;
  double tolerance = 1e-8;  // stop when the mean log-likelihood per sample gains less
  double reg_covar = 1e-6;  // covariance floor added to every Σ_k (0 = plain maximum likelihood)
};

struct GmmFit {
  GaussianMixture model;
  Eigen::MatrixXd responsibilities;            // n × K, of the final model
  Eigen::VectorXi labels;                      // argmax_k r_ik
  double log_likelihood = 0.0;                 // Σ_i log p(x_i) of the final model
  std::vector<double> log_likelihood_history;  // one entry per E-step, non-decreasing (10)
  int iterations = 0;                          // EM iterations (M-steps) done
  bool converged = false;
  bool collapsed = false;  // the likelihood became +inf: a covariance went singular (11)
  double min_covariance_eigenvalue = 0.0;      // smallest eigenvalue over the final Σ_k
  std::vector<double> min_eigenvalue_history;  // the same, for the model of each E-step
};

// EM from an initial model, alternating (8) and (9) until the mean log-likelihood gains
// less than options.tolerance, or a collapse makes it +inf (then it stops and reports it).
GmmFit fit_gmm(const Eigen::Ref<const Eigen::MatrixXd>& X, GaussianMixture initial,
               const GmmOptions& options = {});

// The model whose responsibilities are the one-hot labels (an M-step on a hard partition).
GaussianMixture gmm_from_labels(const Eigen::Ref<const Eigen::MatrixXd>& X,
                                const Eigen::VectorXi& labels, int k, double reg_covar);

// n_init fits, each started from a single k-means++ + Lloyd run; the highest likelihood wins.
GmmFit fit_gmm_best_of(const Eigen::Ref<const Eigen::MatrixXd>& X, int k, int n_init, mlc::Rng& rng,
                       const GmmOptions& options = {});

// ---- DBSCAN --------------------------------------------------------------------------------

enum class PointType { kCore, kBorder, kNoise };

struct DbscanResult {
  Eigen::VectorXi labels;        // cluster 0..K-1, or -1 for noise
  std::vector<PointType> types;  // (14) core: |N_eps(p)| >= min_points (p itself counted)
  int num_clusters = 0;
};

// DBSCAN (Ester et al. 1996): clusters are the density-connected sets of core points with
// their border points; a border point reachable from two clusters joins the first one that
// reaches it (points are visited in row order). Neighbourhoods by brute force.  O(n² d)
DbscanResult dbscan(const Eigen::Ref<const Eigen::MatrixXd>& X, double eps, int min_points);

// The distance of every point to its k-th nearest other point  [n]: Ester et al.'s "sorted
// k-dist graph" (§4.2), from which eps is read (here: a chosen quantile of it). O(n² d)
Eigen::VectorXd k_distance(const Eigen::Ref<const Eigen::MatrixXd>& X, int k);

// ---- Metrics of a clustering --------------------------------------------------------------

// Contingency table n_ij = #{samples with label a = i-th distinct value of a and label b =
// j-th distinct value of b} (distinct values in increasing order; -1 is a label like any).
Eigen::MatrixXd contingency_table(const Eigen::VectorXi& a, const Eigen::VectorXi& b);

// Adjusted Rand index (13) of Hubert & Arabie (1985): 1 for identical partitions (up to a
// renaming of labels), 0 in expectation for independent random ones. Two partitions that
// are both a single cluster give 1 (0/0 by the formula).
double adjusted_rand_index(const Eigen::VectorXi& a, const Eigen::VectorXi& b);

// Silhouette (12) of each sample: s_i = (b_i − a_i) / max(a_i, b_i), a_i the mean distance to
// the other members of its cluster, b_i the smallest mean distance to another cluster;
// s_i = 0 for a member of a singleton cluster. Labels 0..K-1, at least two clusters. O(n² d)
Eigen::VectorXd silhouette_samples(const Eigen::Ref<const Eigen::MatrixXd>& X,
                                   const Eigen::VectorXi& labels);
// The mean of silhouette_samples.
double silhouette_score(const Eigen::Ref<const Eigen::MatrixXd>& X, const Eigen::VectorXi& labels);

}  // namespace clustering
