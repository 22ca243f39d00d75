// Lesson 2.6 nearest_neighbors: exact k-nearest-neighbour search (brute force with Eigen and
// a k-d tree) and the k-NN classifier and regressor built on it.
//
// Layout: rows are samples. X is n × d (the reference points), Q is m × d (the queries).
// Distances are Euclidean; "squared distance" means ‖q − x‖². Equation numbers refer to
// NOTES.md.
//
// The neighbour order is total and deterministic: neighbours are sorted by
// (squared distance, reference index), so equal distances go to the lower index. The
// squared distance that decides the order is always the one computed by
// squared_euclidean() (a plain left-to-right sum), so brute force and the k-d tree return
// the same neighbours with bit-identical distances.
//
// References: T. Cover & P. Hart (1967), "Nearest neighbor pattern classification", IEEE
// Trans. Inf. Theory 13:21–27; S. Dudani (1976), "The distance-weighted k-nearest-neighbor
// rule", IEEE Trans. SMC 6:325–327; J. Bentley (1975), "Multidimensional binary search
// trees used for associative searching", CACM 18:509–517; J. Friedman, J. Bentley &
// R. Finkel (1977), "An algorithm for finding best matches in logarithmic expected time",
// ACM TOMS 3:209–226; K. Beyer, J. Goldstein, R. Ramakrishnan & U. Shaft (1999), "When is
// 'nearest neighbor' meaningful?", ICDT; Hastie, Tibshirani & Friedman, The Elements of
// Statistical Learning (2009), §2.3.2, §2.5 and §13.3.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace nearest_neighbors {

// ---- Distances ---------------------------------------------------------------------------

// Σ_j (a_j − b_j)², summed left to right: the one distance every search below ranks by.
double squared_euclidean(const double* a, const double* b, Eigen::Index d);

// All pairwise squared distances by the Gram trick                                     (1)
//   D(i, j) = ‖q_i‖² + ‖x_j‖² − 2 q_iᵀ x_j        [m × n]: one GEMM Q Xᵀ,
// clamped at 0 (cancellation can make the formula slightly negative for close points).
Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& Q, const Eigen::MatrixXd& X);

// ---- Exact k-nearest-neighbour search -----------------------------------------------------

// The k nearest reference points of each query, nearest first.
struct Neighbors {
  Eigen::MatrixXi index;     // m × k reference row indices
  Eigen::MatrixXd distance;  // m × k Euclidean distances (sqrt of squared_euclidean)
};

// Work done by a search, summed over the queries.
struct SearchStats {
  std::int64_t distance_computations = 0;  // squared_euclidean evaluations
  std::int64_t nodes_visited = 0;          // tree nodes entered (0 for brute force)
};

// Brute force: (1) in blocks of queries, the k-th smallest entry of each row by a bounded
// max-heap of k values (one pass), then every point within the rounding bound (2) of that entry is
// re-ranked with squared_euclidean, so the result is exact in the order above.
// Cost O(m n d) flops (a GEMM) + O(m n log k) selection (about m n comparisons when few
// points enter the heap). Every query computes n distances, so
// stats.distance_computations = m n (the GEMM counts as n distances per query).
Neighbors brute_force_knn(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Q, int k,
                          SearchStats* stats = nullptr);

namespace detail {
// A neighbour candidate, ordered by (squared distance, index): the total order above.
struct Candidate {
  double dist2;
  int index;
};
}  // namespace detail

// The pruning bound of the k-d tree search.
enum class Bound {
  plane,  // (3) (q[s] − split)²: the distance to the one splitting plane (Friedman et al. 1977)
  cell    // (3') Σ_j o_j²: the distance to the node's cell, updated one coordinate at a time
          //      (Arya & Mount 1993); never smaller than the plane bound, so it prunes more
};

// A k-d tree (Bentley 1975; Friedman, Bentley & Finkel 1977). Each internal node splits
// its points at the median of the coordinate with the largest spread; leaves hold at most
// leaf_size points. Build O(n log n) (nth_element per level), memory O(n d).
class KdTree {
 public:
  struct Node {
    int split_dim = -1;  // -1 for a leaf
    double split = 0.0;  // left child: x[dim] <= split, right child: x[dim] >= split
    int left = -1, right = -1;
    int begin = 0, end = 0;  // the node's points are order()[begin, end)
  };

  explicit KdTree(const Eigen::MatrixXd& X, int leaf_size = 10);

  // Exact k nearest neighbours by branch and bound: descend to the query's side first,
  // keep the k best in a bounded max-heap, enter the far side of a split only when its
  // lower bound (3) or (3') does not exceed the current k-th best squared distance.
  // Same result as brute_force_knn, bit for bit, with either bound.
  Neighbors query(const Eigen::MatrixXd& Q, int k, SearchStats* stats = nullptr,
                  Bound bound = Bound::cell) const;

  Eigen::Index size() const { return points_.cols(); }
  Eigen::Index dim() const { return points_.rows(); }
  int leaf_size() const { return leaf_size_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<int>& order() const { return order_; }
  int depth() const;

 private:
  int build(int begin, int end);
  // One query's search below `node`; rd = the lower bound of the node's cell, offsets[j] =
  // the query's distance to the cell along coordinate j (for Bound::cell).
  void search(int node, const double* q, int k, Bound bound, double rd,
              std::vector<double>& offsets, std::vector<detail::Candidate>& heap,
              SearchStats& stats) const;

  Eigen::MatrixXd points_;  // d × n: the reference points in tree order, one per column
  std::vector<int> order_;  // order_[p] = original row index of column p of points_
  std::vector<Node> nodes_;
  int leaf_size_;
  double cell_shrink_ = 1.0;  // rounding margin of the cell bound (see search)
};

// ---- k-NN prediction ----------------------------------------------------------------------

enum class Weighting {
  uniform,  // every neighbour has weight 1 (majority vote / plain mean)
  distance  // weight 1/d (Dudani); neighbours at distance 0, if any, share all the weight (4)
};

// The neighbour weights of one query, by (4). distances ascending.
Eigen::VectorXd neighbor_weights(const Eigen::VectorXd& distances, Weighting weighting);

// The class voted by one query's neighbours (labels and distances nearest first):
//   ŷ = argmax_c Σ_{i ∈ N_k} w_i [y_i = c]                                            (5)
// Tie rule: among the classes with the largest total weight, the one whose nearest member
// comes first in the neighbour list (so a tie is settled as a smaller k would settle it).
int knn_vote(const Eigen::VectorXi& neighbor_labels, const Eigen::VectorXd& distances,
             int num_classes, Weighting weighting = Weighting::uniform);

// Weighted mean of the neighbours' targets: ŷ = Σ w_i y_i / Σ w_i.                        (6)
double knn_average(const Eigen::VectorXd& neighbor_targets, const Eigen::VectorXd& distances,
                   Weighting weighting = Weighting::uniform);

enum class Search { brute_force, kd_tree };

// k-NN classifier: fit stores the training set (and builds the tree for Search::kd_tree).
class KnnClassifier {
 public:
  KnnClassifier(int k, Weighting weighting = Weighting::uniform,
                Search search = Search::brute_force);
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int num_classes);
  Eigen::VectorXi predict(const Eigen::MatrixXd& Q, SearchStats* stats = nullptr) const;
  // Class scores: the share of the vote weight per class   [m × K], rows sum to one.
  Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& Q) const;

 private:
  Neighbors neighbors(const Eigen::MatrixXd& Q, SearchStats* stats) const;
  int k_;
  Weighting weighting_;
  Search search_;
  int num_classes_ = 0;
  Eigen::MatrixXd X_;
  Eigen::VectorXi y_;
  std::vector<KdTree> tree_;  // empty, or the one tree (KdTree has no default constructor)
};

// k-NN regressor (6).
class KnnRegressor {
 public:
  explicit KnnRegressor(int k, Weighting weighting = Weighting::uniform);
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y);
  Eigen::VectorXd predict(const Eigen::MatrixXd& Q) const;

 private:
  int k_;
  Weighting weighting_;
  Eigen::MatrixXd X_;
  Eigen::VectorXd y_;
};

// Leave-one-out predictions of the k-NN classifier on (X, y): point i is classified by its
// k nearest neighbours among the other n − 1 points (one search with k + 1 neighbours,
// dropping i itself).
Eigen::VectorXi leave_one_out_predictions(const Eigen::MatrixXd& X, const Eigen::VectorXi& y,
                                          int num_classes, int k,
                                          Weighting weighting = Weighting::uniform);

// k chosen by stratified `folds`-fold cross-validated accuracy on (X, y), with the folds of
// model_evaluation::cross_validate drawn from Rng(seed), the same folds for every k
// (standardized inside each fold unless standardize_in_fold is false: features already on one
// scale). Ties in CV accuracy go to the first candidate listed. cv_accuracy(j) belongs to
// candidates[j].
struct KSelection {
  int best_k = 0;
  std::vector<int> candidates;
  std::vector<double> cv_accuracy, cv_sd;
};
KSelection select_k_by_cv(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int num_classes,
                          const std::vector<int>& candidates, int folds, std::uint64_t seed,
                          Weighting weighting = Weighting::uniform,
                          bool standardize_in_fold = true);

// ---- The curse of dimensionality ----------------------------------------------------------

// For each query: the nearest and farthest distance to the reference points, and the
// relative contrast (d_max − d_min) / d_min (Beyer et al. 1999; Aggarwal et al. 2001).   (7)
struct DistanceContrast {
  Eigen::VectorXd d_min, d_max;
  Eigen::VectorXd ratio;     // d_min / d_max      → 1 as the dimension grows
  Eigen::VectorXd contrast;  // (d_max − d_min) / d_min → 0
};
DistanceContrast distance_contrast(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Q);

// The large-d prediction (8) for n uniform reference points and a uniform query in [0,1]^d.
// Given the query, ‖q − x‖² is a sum of d independent terms with mean ≈ d/6 and variance
// ≈ d/30, so the extremes of n draws sit at d/6 ± z_n √(d/30), z_n ≈ Φ⁻¹((n − 3/8)/(n + 1/4))
// (Blom's approximation of the expected largest of n standard normals). With
// a = z_n √(d/30) / (d/6):   ratio ≈ √((1 − a)/(1 + a)),  contrast ≈ √((1 + a)/(1 − a)) − 1.
// NaN while a >= 1 (small d, where the normal approximation of the extremes fails).
struct ConcentrationPrediction {
  double a = 0, ratio = 0, contrast = 0;
};
ConcentrationPrediction predicted_concentration(Eigen::Index n, Eigen::Index d);

}  // namespace nearest_neighbors
