// Lesson 2.9 ensembles: bagging, random forests (feature subsampling, out-of-bag error,
// permutation importance), AdaBoost (SAMME, multi-class) and gradient boosting with
// second-order regression trees (softmax log-loss, K trees per round, shrinkage, row
// subsampling). Every tree is lesson 2.8's (decision_trees): the features are binned once
// per data set and shared by all trees of an ensemble.
//
// Data layout: rows are samples, X is n × d; labels are 0..K-1. Equation numbers refer to
// NOTES.md.
//
// References: L. Breiman (1996), "Bagging predictors", Machine Learning 24:123–140;
// L. Breiman (2001), "Random forests", Machine Learning 45:5–32 (OOB error §3, variable
// importance §10); Y. Freund & R. Schapire (1997), "A decision-theoretic generalization
// of on-line learning and an application to boosting", JCSS 55:119–139; J. Zhu, H. Zou,
// S. Rosset, T. Hastie (2009), "Multi-class AdaBoost", Statistics and Its Interface
// 2:349–360 (SAMME); J. Friedman (2001), "Greedy function approximation: a gradient
// boosting machine", Annals of Statistics 29:1189–1232; J. Friedman (2002), "Stochastic
// gradient boosting", CSDA 38:367–378; T. Chen & C. Guestrin (2016), "XGBoost", KDD §2;
// ESL (Hastie, Tibshirani, Friedman, 2nd ed.) ch. 8.7, 10, 15.
#pragma once

#include <functional>
#include <vector>

#include <Eigen/Core>

#include "decision_trees.hpp"
#include "mlc/rng.hpp"

namespace ensembles {

namespace dt = decision_trees;

// ---- Pieces (the exercises) ---------------------------------------------------------------

// Bootstrap: n draws with replacement from {0..n-1}; counts(i) = how often row i was drawn
// (0 for the out-of-bag rows, about e⁻¹ ≈ 36.8 % of them).                          (1)
Eigen::VectorXi bootstrap_sample(Eigen::Index n, mlc::Rng& rng);

// One SAMME step (Zhu et al. 2009): err = Σ w_i [miss_i] / Σ w_i,
// α = ν (log((1 − err)/err) + log(K − 1)), w_i ← w_i exp(α [miss_i]), then Σ w = 1.  (6)–(8)
// Returns α; 0 (and w unchanged) when err >= 1 − 1/K (no better than chance). An err of 0
// is clipped to 1e-10 so that α stays finite.
double adaboost_weight_update(Eigen::VectorXd& w, const Eigen::Matrix<bool, Eigen::Dynamic, 1>& miss,
                              int K, double learning_rate);

// Softmax log-loss of raw scores F (n × K) and labels y: mean −log p_{i, y_i},
// p = softmax(F) row-wise.                                                         (9)
double softmax_log_loss(const Eigen::MatrixXd& F, const Eigen::VectorXi& y);
Eigen::MatrixXd softmax(const Eigen::MatrixXd& F);
// Per-row gradient and diagonal hessian of −log p_{i,y_i} in F_i (n × K each):
// g_ik = p_ik − [y_i = k],  h_ik = p_ik (1 − p_ik).                                 (10)
void softmax_gradient_hessian(const Eigen::MatrixXd& F, const Eigen::VectorXi& y, Eigen::MatrixXd& G,
                              Eigen::MatrixXd& H);

// Second-order leaf value w = −G / (H + λ) (Chen & Guestrin 2016, eq. 5).          (11)
double boosting_leaf_value(double G, double H, double lambda);

// ---- Bagging and random forests ------------------------------------------------------------

struct ForestParams {
  int n_trees = 100;
  int max_features = 0;   // per split: 0 = all features (bagging), e.g. √d for a forest
  dt::TreeParams tree{};  // depth, leaf size, criterion of each tree (default: full Gini trees)
  int max_bins = 0;       // 0: exact bins
};

class RandomForest {
 public:
  // Fits n_trees trees, each on a bootstrap sample (1) as weights, with max_features
  // random features per split; records the out-of-bag votes (2) as it goes.
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K, const ForestParams& params,
           mlc::Rng& rng);
  // Average of the first n_trees trees' leaf class probabilities (all trees when < 0).  (3)
  Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& X, int n_trees = -1) const;
  Eigen::VectorXi predict(const Eigen::MatrixXd& X) const;
  // Test accuracy after 1, 2, ..., n_trees trees (one pass, accumulating).
  std::vector<double> staged_accuracy(const Eigen::MatrixXd& X, const Eigen::VectorXi& y) const;
  // Mean impurity-decrease importance of the trees (2.8's (8)), normalised.
  Eigen::VectorXd feature_importance() const;

  std::vector<dt::Tree> trees;
  int num_classes = 0;
  Eigen::Index num_features = 0;
  // OOB accuracy over the rows with at least one OOB vote, after each tree (2).
  std::vector<double> oob_accuracy_curve;
  double oob_accuracy() const { return oob_accuracy_curve.empty() ? 0.0 : oob_accuracy_curve.back(); }
};

// Permutation importance (Breiman 2001 §10): the drop in accuracy when column j of X is
// shuffled, averaged over `repeats` shuffles. predict maps X to labels.             (5)
using LabelPredictor = std::function<Eigen::VectorXi(const Eigen::MatrixXd&)>;
Eigen::VectorXd permutation_importance(const LabelPredictor& predict, const Eigen::MatrixXd& X,
                                       const Eigen::VectorXi& y, int repeats, mlc::Rng& rng);

// ---- AdaBoost (SAMME) -------------------------------------------------------------------------

struct AdaBoostParams {
  int n_rounds = 100;
  double learning_rate = 1.0;                // ν in (7)
  dt::TreeParams tree{.max_depth = 1};       // stumps by default
};

class AdaBoost {
 public:
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K, const AdaBoostParams& params,
           mlc::Rng& rng);
  // Votes Σ_m α_m [h_m(x) = k] of the first n_rounds learners (all when < 0).          (8)
  Eigen::MatrixXd decision_function(const Eigen::MatrixXd& X, int n_rounds = -1) const;
  Eigen::VectorXi predict(const Eigen::MatrixXd& X) const;
  std::vector<double> staged_accuracy(const Eigen::MatrixXd& X, const Eigen::VectorXi& y) const;

  std::vector<dt::Tree> trees;
  std::vector<double> alphas;
  std::vector<double> train_error;  // weighted error err_m of each round
  Eigen::VectorXd sample_weights;   // the weights after the last round (Σ = 1)
  int num_classes = 0;
};

// ---- Gradient boosting ------------------------------------------------------------------------

struct BoostingParams {
  int n_rounds = 100;
  double learning_rate = 0.1;   // shrinkage η in (12)
  double subsample = 1.0;       // fraction of rows drawn (without replacement) per round
  dt::TreeParams tree{.criterion = dt::Criterion::newton, .max_depth = 4, .lambda = 1.0};
  int max_bins = 64;            // quantile bins per feature (0: exact)
};

// Optional monitoring set: its loss and error are recorded after every round (the fit
// never uses them).
struct EvalSet {
  const Eigen::MatrixXd* X = nullptr;
  const Eigen::VectorXi* y = nullptr;
};

class GradientBoosting {
 public:
  // Softmax log-loss (9), K regression trees per round fitted to (g_k, h_k) (10) with
  // the second-order gain of 2.8, leaf values (11), F_k += η f_k (12). F starts at the
  // log class priors.
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K, const BoostingParams& params,
           mlc::Rng& rng, EvalSet eval = {});
  Eigen::MatrixXd decision_function(const Eigen::MatrixXd& X, int n_rounds = -1) const;  // F, n × K
  Eigen::MatrixXd predict_proba(const Eigen::MatrixXd& X) const;
  Eigen::VectorXi predict(const Eigen::MatrixXd& X) const;
  std::vector<double> staged_accuracy(const Eigen::MatrixXd& X, const Eigen::VectorXi& y) const;

  std::vector<std::vector<dt::Tree>> trees;  // rounds × K
  Eigen::RowVectorXd base_score;             // F₀ = log priors
  double learning_rate = 0.1;
  int num_classes = 0;
  std::vector<double> train_loss, train_error, eval_loss, eval_error;  // per round
};

}  // namespace ensembles
