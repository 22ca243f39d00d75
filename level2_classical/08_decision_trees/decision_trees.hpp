// Lesson 2.8 decision_trees: CART classification and regression trees, cost-complexity
// pruning, impurity-decrease feature importance, and the tree builder that lesson 2.9
// (ensembles) reuses for bagging, random forests, AdaBoost and gradient boosting.
//
// Data layout: rows are samples, X is n × d. Class labels are 0..K-1. Equation numbers
// refer to NOTES.md.
//
// How the builder is fast. Each feature is binned once per data set (bin_features): with
// max_bins = 0 every distinct value gets its own bin, so a split search over bins is the
// exact CART search over the midpoints of consecutive distinct values; with max_bins > 0
// the edges sit at quantiles (LightGBM / XGBoost "hist"). A node builds, for each
// candidate feature, a histogram of its rows' statistics per bin (O(n_node) work) and
// scans the bin boundaries (O(bins · K)); rows are partitioned in place in one index
// array, so no node allocates. A binned data set is shared by every tree of an ensemble.
//
// Criteria (one "cost" per node, the split gain is cost(parent) − cost(left) − cost(right)):
//   gini     W · (1 − Σ_k p_k²)                                       (1), (3)
//   entropy  W · (−Σ_k p_k log₂ p_k)                                  (2), (3)
//   mse      Σ w (y − ȳ)² = Σ w y² − (Σ w y)² / W                     (4)
//   newton   −½ G² / (H + λ)   (gradient boosting, second order)     (5), (6)
// where W is the node's total sample weight and, for newton, G and H are the sums of the
// rows' gradients g_i and hessians h_i; a newton leaf predicts w = −G / (H + λ) and a
// split must gain more than γ (Chen & Guestrin 2016, eqs. 5–7).
//
// References: L. Breiman, J. Friedman, R. Olshen, C. Stone, Classification and Regression
// Trees (1984), ch. 2–3 (splitting, weakest-link pruning), ch. 5 (variable importance);
// T. Hastie, R. Tibshirani, J. Friedman, The Elements of Statistical Learning (2nd ed.),
// §9.2; T. Chen & C. Guestrin (2016), "XGBoost: a scalable tree boosting system", KDD,
// §2.2; G. Ke et al. (2017), "LightGBM", NeurIPS (histogram split finding).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace decision_trees {

enum class Criterion { gini, entropy, mse, newton };

// ---- Impurities (the exercises start here) ----------------------------------------------

// Gini impurity 1 − Σ_k p_k² of a node whose class weights are `class_weights`
// (p_k = c_k / Σ c); 0 for an empty node.                                          (1)
double gini_impurity(std::span<const double> class_weights);
// Entropy −Σ_k p_k log₂ p_k in bits (0 log 0 = 0); 0 for an empty node.           (2)
double entropy_impurity(std::span<const double> class_weights);
// Weighted variance Σ w (y − ȳ)² / W from the sums W = Σ w, S = Σ w y, Q = Σ w y². (4)
double mse_impurity(double W, double S, double Q);

// ---- Binned features ----------------------------------------------------------------------

// Each feature cut into bins: x goes to bin c when edges[c−1] < x <= edges[c] (edges[−1] =
// −∞, edges[bins−1] = +∞). A split at bin boundary b sends x <= edges[b] left.
struct BinnedFeatures {
  Eigen::Index n = 0, d = 0;
  std::vector<std::vector<double>> edges;  // per feature: bins − 1 ascending thresholds
  std::vector<std::uint16_t> codes;        // column-major n × d bin codes: codes[f n + i]
  int bins(Eigen::Index f) const { return static_cast<int>(edges[static_cast<std::size_t>(f)].size()) + 1; }
  std::uint16_t code(Eigen::Index i, Eigen::Index f) const {
    return codes[static_cast<std::size_t>(f * n + i)];
  }
};

// max_bins = 0: exact (one bin per distinct value, edges at midpoints; at most 65536).
// max_bins >= 2: at most max_bins bins with edges near the quantiles of the column.
// Cost O(d n log n).
BinnedFeatures bin_features(const Eigen::MatrixXd& X, int max_bins = 0);

// ---- The tree -----------------------------------------------------------------------------

struct TreeParams {
  Criterion criterion = Criterion::gini;
  int max_depth = -1;              // −1: unlimited
  int min_samples_split = 2;       // a node with fewer rows is a leaf
  int min_samples_leaf = 1;        // rows per child, at least
  int max_features = 0;            // 0: all d features; m: a random subset of m per split
  double min_impurity_decrease = 0;  // a split must decrease Σ W_t I_t / W_root by more
  double lambda = 1.0;             // newton: L2 penalty on leaf values            (5)
  double gamma = 0.0;              // newton: minimum gain of a split              (6)
  double min_child_weight = 0.0;   // newton: minimum hessian sum H in a child
};

struct Node {
  int feature = -1;          // split feature; −1 for a leaf
  double threshold = 0.0;    // x[feature] <= threshold goes left
  int left = -1, right = -1;
  int depth = 0;
  int n_samples = 0;         // training rows that reached the node
  double weight = 0.0;       // W_t: their total sample weight (newton: H_t)
  double impurity = 0.0;     // I_t of the tree's criterion (newton: 0)
  double gain = 0.0;         // cost(t) − cost(left) − cost(right) of its split     (3)
  bool is_leaf() const { return feature < 0; }
};

class Tree {
 public:
  Criterion criterion = Criterion::gini;
  int num_outputs = 1;              // K class probabilities, or 1 value
  double root_weight = 0.0;         // W_root, the unit of cost-complexity pruning
  std::vector<Node> nodes;          // nodes[0] is the root; children after parents
  std::vector<double> values;       // nodes × num_outputs: class probabilities / value

  std::span<const double> value(int node) const {
    return {values.data() + static_cast<std::size_t>(node) * static_cast<std::size_t>(num_outputs),
            static_cast<std::size_t>(num_outputs)};
  }
  // Lesson 2.9's hook: boosting sets its own leaf values (e.g. a Newton step per leaf).
  void set_value(int node, std::span<const double> v);

  int leaf_of(const double* x, Eigen::Index stride) const;  // the leaf row x falls in
  Eigen::VectorXi apply(const Eigen::MatrixXd& X) const;    // leaf index per row
  Eigen::MatrixXd predict_values(const Eigen::MatrixXd& X) const;  // n × num_outputs
  Eigen::VectorXi predict_class(const Eigen::MatrixXd& X) const;   // argmax of the leaf's probabilities
  Eigen::VectorXd predict(const Eigen::MatrixXd& X) const;         // first output (regression)

  int num_leaves() const;
  int depth() const;
  // Σ over the splits on feature f of their gain (3), normalised to sum one.          (8)
  Eigen::VectorXd feature_importance(Eigen::Index d) const;
  // The tree as indented text, "|--- feature <= threshold" lines as in scikit-learn's
  // export_text; leaves show the class (or value) and their row count.
  std::string to_text(const std::vector<std::string>& feature_names,
                      const std::vector<std::string>& class_names, int precision = 3) const;
};

// The rows a tree is fitted on: `rows` (empty: all rows of the binned data) with sample
// weights `w` indexed by row (empty: all 1). A row may appear once; a bootstrap passes its
// in-bag rows with their multiplicities as weights.
struct Sample {
  std::vector<int> rows;
  Eigen::VectorXd w;
};

// Classification tree (gini or entropy) on labels y ∈ {0..K−1}. Cost O(depth · n · m)
// for m features tried per split, plus O(nodes · m · bins · K) for the scans.
Tree fit_classifier(const BinnedFeatures& B, const Eigen::VectorXi& y, int K,
                    const TreeParams& params, mlc::Rng& rng, const Sample& sample = {});
// Regression tree (mse) on targets y.
Tree fit_regressor(const BinnedFeatures& B, const Eigen::VectorXd& y, const TreeParams& params,
                   mlc::Rng& rng, const Sample& sample = {});
// Second-order boosting tree (newton): gradients g and hessians h of the loss at the
// current predictions; leaves hold w = −G / (H + λ) (5) and splits maximise (6).
Tree fit_newton(const BinnedFeatures& B, const Eigen::VectorXd& g, const Eigen::VectorXd& h,
                const TreeParams& params, mlc::Rng& rng, const Sample& sample = {});

// Convenience: bins X exactly and fits (single trees of this lesson).
Tree fit_classifier(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K,
                    const TreeParams& params, mlc::Rng& rng);
Tree fit_regressor(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const TreeParams& params,
                   mlc::Rng& rng);

// ---- Split search -------------------------------------------------------------------------

// What the scan needs to know about the criterion.
struct SplitRule {
  Criterion criterion = Criterion::gini;
  int stride = 1;               // statistics per row: K (classes), 3 (W, S, Q), 2 (G, H)
  int min_samples_leaf = 1;
  double lambda = 1.0;          // newton
  double min_child_weight = 0;  // newton
};
// cost(t) of a node from its summed statistics (see the table at the top).        (3), (5)
double node_cost(const SplitRule& rule, std::span<const double> stats);

struct BinSplit {
  int bin = -1;  // boundary: bins 0..bin go left; −1 when no admissible split
  double gain = -std::numeric_limits<double>::infinity();
};
// The best boundary of one feature's histogram. hist is bins × (1 + stride): per bin the
// row count, then the summed statistics; parent holds the node's summed statistics.
// A boundary is admissible when both sides keep >= min_samples_leaf rows (and, newton,
// a hessian sum >= min_child_weight). Ties keep the lowest boundary.               (3)
BinSplit best_bin_split(const SplitRule& rule, std::span<const double> hist, int bins,
                        std::span<const double> parent);

// The reference: exhaustive search over every feature and every midpoint between
// consecutive distinct values, each gain computed from its definition (O(d n²)).
struct Split {
  int feature = -1;
  double threshold = 0.0;
  double gain = -std::numeric_limits<double>::infinity();
};
Split exhaustive_best_split(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K,
                            Criterion criterion, const Eigen::VectorXd& w = {},
                            int min_samples_leaf = 1);

// ---- Cost-complexity pruning ----------------------------------------------------------

// The weakest-link sequence (Breiman et al. 1984, §3.3): α_0 = 0 < α_1 <= α_2 ... and the
// nested subtrees T_0 ⊃ T_1 ⊃ ... ⊃ {root}. R(T) = Σ_leaves W_t I_t / W_root.     (9)–(11)
struct PruningPath {
  std::vector<double> alphas;       // α_k
  std::vector<double> impurities;   // R(T_k)
  std::vector<int> leaves;          // |T_k|
  std::vector<double> collapse_alpha;  // per node: the α at which it becomes a leaf
};
PruningPath cost_complexity_path(const Tree& tree);
// The subtree T(α): every node with collapse_alpha <= α is a leaf; unreachable nodes are
// dropped.
Tree prune(const Tree& tree, double alpha);
Tree prune(const Tree& tree, const PruningPath& path, double alpha);
// R_α(T) = R(T) + α |T| of a tree.                                                   (9)
double cost_complexity(const Tree& tree, double alpha);

// α chosen by k-fold CV on the training part (Breiman §3.4.2): candidates are the
// geometric means √(α_k α_{k+1}) of the full tree's path; each fold fits a full tree,
// prunes it at each candidate and scores the held-out fold (accuracy for gini/entropy,
// −MSE for mse). The best mean score wins; ties go to the larger α (the smaller tree).
struct AlphaSelection {
  std::vector<double> candidates;
  std::vector<double> cv_score;  // mean over folds
  double best_alpha = 0.0;
  double best_score = 0.0;
};
AlphaSelection select_alpha_by_cv(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K,
                                  const TreeParams& params, int folds, mlc::Rng& rng);

// The whole recipe of the lesson: fit a full tree, choose α by CV, prune.
struct PrunedTree {
  Tree full, pruned;
  AlphaSelection selection;
};
PrunedTree fit_pruned_classifier(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K,
                                 const TreeParams& params, int folds, mlc::Rng& rng);

}  // namespace decision_trees
