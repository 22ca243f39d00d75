// Lesson 2.9 ensembles: the algorithm (see ensembles.hpp for the contract and sources).
// Equation numbers refer to NOTES.md.
#include "ensembles.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "model_evaluation.hpp"

namespace ensembles {

namespace {

void check_labels(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K, const char* who) {
  mlc::require(X.rows() > 0 && X.rows() == y.size(), who,
               fmt::format("X has {} rows and y {} entries", X.rows(), y.size()));
  mlc::require(K >= 2 && y.minCoeff() >= 0 && y.maxCoeff() < K, who, fmt::format("labels must lie in 0..{}", K - 1));
}

int argmax(const Eigen::Ref<const Eigen::RowVectorXd>& row) {
  Eigen::Index k = 0;
  row.maxCoeff(&k);
  return static_cast<int>(k);
}

Eigen::VectorXi argmax_rows(const Eigen::MatrixXd& S) {
  Eigen::VectorXi out(S.rows());
  for (Eigen::Index i = 0; i < S.rows(); ++i) out(i) = argmax(S.row(i));
  return out;
}

}  // namespace

// ---- Pieces -------------------------------------------------------------------------------

Eigen::VectorXi bootstrap_sample(Eigen::Index n, mlc::Rng& rng) {
  mlc::require(n >= 1, "bootstrap_sample", fmt::format("n must be >= 1, got {}", n));
  Eigen::VectorXi counts = Eigen::VectorXi::Zero(n);
  // BEGIN EXERCISE bootstrap_sample: n draws with replacement, equation (1)
  for (Eigen::Index draw = 0; draw < n; ++draw) ++counts(rng.index(n));
  // END EXERCISE
  return counts;
}

double adaboost_weight_update(Eigen::VectorXd& w, const Eigen::Matrix<bool, Eigen::Dynamic, 1>& miss, int K,
                              double learning_rate) {
  mlc::require(w.size() == miss.size() && w.size() > 0, "adaboost_weight_update",
               fmt::format("w has {} entries, miss {}", w.size(), miss.size()));
  mlc::require(K >= 2 && learning_rate > 0, "adaboost_weight_update", "need K >= 2 and learning_rate > 0");
  // BEGIN EXERCISE adaboost_weight_update: SAMME's α and reweighting, equations (6)–(8)
  const double total = w.sum();
  double err = 0.0;
  for (Eigen::Index i = 0; i < w.size(); ++i) err += miss(i) ? w(i) : 0.0;
  err /= total;
  if (err >= 1.0 - 1.0 / K) return 0.0;  // no better than chance: SAMME stops
  err = std::max(err, 1e-10);
  const double alpha = learning_rate * (std::log((1.0 - err) / err) + std::log(K - 1.0));  // (7)
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    if (miss(i)) w(i) *= std::exp(alpha);  // (8) up-weight the mistakes
  }
  w /= w.sum();
  return alpha;
  // END EXERCISE
}

Eigen::MatrixXd softmax(const Eigen::MatrixXd& F) {
  // p_ik = exp(F_ik − max_j F_ij) / Σ_j exp(F_ij − max_j F_ij): no overflow
  Eigen::MatrixXd P = (F.colwise() - F.rowwise().maxCoeff()).array().exp();
  P.array().colwise() /= P.rowwise().sum().array();
  return P;
}

double softmax_log_loss(const Eigen::MatrixXd& F, const Eigen::VectorXi& y) {
  mlc::require(F.rows() == y.size(), "softmax_log_loss", fmt::format("F has {} rows, y {} entries", F.rows(), y.size()));
  // (9) −log p_{i,y} = log Σ_j exp(F_ij) − F_{i,y}, by log-sum-exp
  double loss = 0.0;
  for (Eigen::Index i = 0; i < F.rows(); ++i) {
    const double m = F.row(i).maxCoeff();
    loss += m + std::log((F.row(i).array() - m).exp().sum()) - F(i, y(i));
  }
  return loss / static_cast<double>(F.rows());
}

void softmax_gradient_hessian(const Eigen::MatrixXd& F, const Eigen::VectorXi& y, Eigen::MatrixXd& G,
                              Eigen::MatrixXd& H) {
  mlc::require(F.rows() == y.size(), "softmax_gradient_hessian",
               fmt::format("F has {} rows, y {} entries", F.rows(), y.size()));
  // BEGIN EXERCISE softmax_gradient: gradient and diagonal hessian of the log-loss, equation (10)
  const Eigen::MatrixXd P = softmax(F);
  G = P;
  for (Eigen::Index i = 0; i < F.rows(); ++i) G(i, y(i)) -= 1.0;  // g = p − e_y
  H = (P.array() * (1.0 - P.array())).max(1e-16).matrix();        // h = p (1 − p)
  // END EXERCISE
}

double boosting_leaf_value(double G, double H, double lambda) {
  // BEGIN EXERCISE boosting_leaf_value: the Newton step of a leaf, equation (11)
  return -G / (H + lambda);
  // END EXERCISE
}

// ---- Random forests -----------------------------------------------------------------------

void RandomForest::fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K, const ForestParams& params,
                       mlc::Rng& rng) {
  check_labels(X, y, K, "RandomForest::fit");
  mlc::require(params.n_trees >= 1, "RandomForest::fit", "n_trees must be >= 1");
  const Eigen::Index n = X.rows();
  num_classes = K;
  num_features = X.cols();
  trees.clear();
  oob_accuracy_curve.clear();
  const dt::BinnedFeatures B = dt::bin_features(X, params.max_bins);
  dt::TreeParams tp = params.tree;
  tp.max_features = params.max_features;
  Eigen::MatrixXd oob_sum = Eigen::MatrixXd::Zero(n, K);
  std::vector<char> has_vote(static_cast<std::size_t>(n), 0);
  dt::Sample sample;
  for (int t = 0; t < params.n_trees; ++t) {
    const Eigen::VectorXi counts = bootstrap_sample(n, rng);  // (1)
    sample.rows.clear();
    for (Eigen::Index i = 0; i < n; ++i) {
      if (counts(i) > 0) sample.rows.push_back(static_cast<int>(i));
    }
    sample.w = counts.cast<double>();  // a row drawn c times weighs c
    trees.push_back(dt::fit_classifier(B, y, K, tp, rng, sample));
    // (2) out-of-bag votes: each tree votes only for the rows it never saw
    const dt::Tree& tree = trees.back();
    for (Eigen::Index i = 0; i < n; ++i) {
      if (counts(i) > 0) continue;
      const auto v = tree.value(tree.leaf_of(X.data() + i, n));
      for (int k = 0; k < K; ++k) oob_sum(i, k) += v[static_cast<std::size_t>(k)];
      has_vote[static_cast<std::size_t>(i)] = 1;
    }
    long voted = 0, correct = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (!has_vote[static_cast<std::size_t>(i)]) continue;
      ++voted;
      correct += argmax(oob_sum.row(i)) == y(i);
    }
    oob_accuracy_curve.push_back(voted ? static_cast<double>(correct) / static_cast<double>(voted) : 0.0);
  }
}

Eigen::MatrixXd RandomForest::predict_proba(const Eigen::MatrixXd& X, int n_trees) const {
  mlc::require(!trees.empty(), "RandomForest::predict_proba", "the forest is not fitted");
  mlc::require(X.cols() == num_features, "RandomForest::predict_proba",
               fmt::format("X has {} columns, the forest was fitted on {}", X.cols(), num_features));
  const int T = n_trees < 0 ? static_cast<int>(trees.size()) : std::min<int>(n_trees, static_cast<int>(trees.size()));
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(X.rows(), num_classes);
  for (int t = 0; t < T; ++t) P += trees[static_cast<std::size_t>(t)].predict_values(X);  // (3)
  return P / T;
}

Eigen::VectorXi RandomForest::predict(const Eigen::MatrixXd& X) const { return argmax_rows(predict_proba(X)); }

std::vector<double> RandomForest::staged_accuracy(const Eigen::MatrixXd& X, const Eigen::VectorXi& y) const {
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(X.rows(), num_classes);
  std::vector<double> acc;
  for (const auto& tree : trees) {
    P += tree.predict_values(X);
    acc.push_back(model_evaluation::accuracy(y, argmax_rows(P)));
  }
  return acc;
}

Eigen::VectorXd RandomForest::feature_importance() const {
  Eigen::VectorXd imp = Eigen::VectorXd::Zero(num_features);
  for (const auto& tree : trees) imp += tree.feature_importance(num_features);
  return imp / std::max(imp.sum(), 1e-300);
}

Eigen::VectorXd permutation_importance(const LabelPredictor& predict, const Eigen::MatrixXd& X,
                                       const Eigen::VectorXi& y, int repeats, mlc::Rng& rng) {
  mlc::require(repeats >= 1 && X.rows() == y.size(), "permutation_importance", "need repeats >= 1 and one label per row");
  // (5) I_j = acc(X) − mean_r acc(X with column j permuted)
  const double base = model_evaluation::accuracy(y, predict(X));
  Eigen::VectorXd imp = Eigen::VectorXd::Zero(X.cols());
  Eigen::MatrixXd Xp = X;
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    for (int r = 0; r < repeats; ++r) {
      const auto perm = rng.permutation(X.rows());
      for (Eigen::Index i = 0; i < X.rows(); ++i) Xp(i, j) = X(perm[static_cast<std::size_t>(i)], j);
      imp(j) += (base - model_evaluation::accuracy(y, predict(Xp))) / repeats;
    }
    Xp.col(j) = X.col(j);
  }
  return imp;
}

// ---- AdaBoost -----------------------------------------------------------------------------

void AdaBoost::fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K, const AdaBoostParams& params,
                   mlc::Rng& rng) {
  check_labels(X, y, K, "AdaBoost::fit");
  mlc::require(params.n_rounds >= 1, "AdaBoost::fit", "n_rounds must be >= 1");
  const Eigen::Index n = X.rows();
  num_classes = K;
  trees.clear();
  alphas.clear();
  train_error.clear();
  const dt::BinnedFeatures B = dt::bin_features(X);
  sample_weights = Eigen::VectorXd::Constant(n, 1.0 / static_cast<double>(n));
  dt::Sample sample;
  for (int m = 0; m < params.n_rounds; ++m) {
    sample.w = sample_weights * static_cast<double>(n);  // mean weight 1: impurities stay O(1)
    dt::Tree tree = dt::fit_classifier(B, y, K, params.tree, rng, sample);
    const Eigen::Matrix<bool, Eigen::Dynamic, 1> miss = (tree.predict_class(X).array() != y.array()).matrix();
    const double err = (miss.cast<double>().array() * sample_weights.array()).sum() / sample_weights.sum();
    const double alpha = adaboost_weight_update(sample_weights, miss, K, params.learning_rate);
    if (alpha <= 0.0) {  // the weak learner is no better than chance on these weights
      if (trees.empty()) {
        trees.push_back(std::move(tree));
        alphas.push_back(1.0);
        train_error.push_back(err);
      }
      break;
    }
    trees.push_back(std::move(tree));
    alphas.push_back(alpha);
    train_error.push_back(err);
    if (err <= 0.0) break;  // a perfect learner: later rounds would repeat it
  }
}

Eigen::MatrixXd AdaBoost::decision_function(const Eigen::MatrixXd& X, int n_rounds) const {
  mlc::require(!trees.empty(), "AdaBoost::decision_function", "not fitted");
  const int M = n_rounds < 0 ? static_cast<int>(trees.size()) : std::min<int>(n_rounds, static_cast<int>(trees.size()));
  Eigen::MatrixXd votes = Eigen::MatrixXd::Zero(X.rows(), num_classes);
  for (int m = 0; m < M; ++m) {  // (8) Σ_m α_m [h_m(x) = k]
    const Eigen::VectorXi h = trees[static_cast<std::size_t>(m)].predict_class(X);
    for (Eigen::Index i = 0; i < X.rows(); ++i) votes(i, h(i)) += alphas[static_cast<std::size_t>(m)];
  }
  return votes;
}

Eigen::VectorXi AdaBoost::predict(const Eigen::MatrixXd& X) const { return argmax_rows(decision_function(X)); }

std::vector<double> AdaBoost::staged_accuracy(const Eigen::MatrixXd& X, const Eigen::VectorXi& y) const {
  Eigen::MatrixXd votes = Eigen::MatrixXd::Zero(X.rows(), num_classes);
  std::vector<double> acc;
  for (std::size_t m = 0; m < trees.size(); ++m) {
    const Eigen::VectorXi h = trees[m].predict_class(X);
    for (Eigen::Index i = 0; i < X.rows(); ++i) votes(i, h(i)) += alphas[m];
    acc.push_back(model_evaluation::accuracy(y, argmax_rows(votes)));
  }
  return acc;
}

// ---- Gradient boosting --------------------------------------------------------------------

void GradientBoosting::fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K, const BoostingParams& params,
                           mlc::Rng& rng, EvalSet eval) {
  check_labels(X, y, K, "GradientBoosting::fit");
  mlc::require(params.n_rounds >= 1 && params.learning_rate > 0 && params.subsample > 0 && params.subsample <= 1,
               "GradientBoosting::fit", "need n_rounds >= 1, learning_rate > 0, subsample in (0, 1]");
  mlc::require(params.tree.criterion == dt::Criterion::newton, "GradientBoosting::fit",
               "the trees must use the newton criterion");
  mlc::require((eval.X == nullptr) == (eval.y == nullptr), "GradientBoosting::fit", "give both eval.X and eval.y");
  const Eigen::Index n = X.rows();
  num_classes = K;
  learning_rate = params.learning_rate;
  trees.clear();
  train_loss.clear();
  train_error.clear();
  eval_loss.clear();
  eval_error.clear();
  // F₀ = log class priors (the minimiser of (9) among constants), smoothed against empty classes.
  base_score.resize(K);
  for (int k = 0; k < K; ++k) base_score(k) = std::log(((y.array() == k).count() + 1e-3) / static_cast<double>(n));
  Eigen::MatrixXd F = base_score.replicate(n, 1);
  Eigen::MatrixXd F_eval;
  if (eval.X) F_eval = base_score.replicate(eval.X->rows(), 1);

  const dt::BinnedFeatures B = dt::bin_features(X, params.max_bins);
  const double lambda = params.tree.lambda;
  Eigen::MatrixXd G, H;
  Eigen::VectorXd g(n), h(n);
  std::vector<int> leaf_of_row(static_cast<std::size_t>(n));
  std::vector<double> leaf_G, leaf_H;
  dt::Sample sample;
  const auto m_rows = static_cast<Eigen::Index>(std::round(params.subsample * static_cast<double>(n)));
  for (int round = 0; round < params.n_rounds; ++round) {
    softmax_gradient_hessian(F, y, G, H);  // (10) at the current scores
    sample.rows.clear();
    if (m_rows < n) {  // stochastic gradient boosting: a fresh row subsample per round
      for (auto i : rng.sample_without_replacement(n, m_rows)) sample.rows.push_back(static_cast<int>(i));
      std::sort(sample.rows.begin(), sample.rows.end());
    }
    std::vector<dt::Tree> round_trees;
    for (int k = 0; k < K; ++k) {
      g = G.col(k);
      h = H.col(k);
      dt::Tree tree = dt::fit_newton(B, g, h, params.tree, rng, sample);
      // The leaf values of 2.8's hook: the Newton step (11) from the leaf's own sums.
      leaf_G.assign(tree.nodes.size(), 0.0);
      leaf_H.assign(tree.nodes.size(), 0.0);
      for (Eigen::Index i = 0; i < n; ++i) leaf_of_row[static_cast<std::size_t>(i)] = tree.leaf_of(X.data() + i, n);
      auto accumulate = [&](Eigen::Index i) {
        const auto t = static_cast<std::size_t>(leaf_of_row[static_cast<std::size_t>(i)]);
        leaf_G[t] += g(i);
        leaf_H[t] += h(i);
      };
      if (sample.rows.empty()) {
        for (Eigen::Index i = 0; i < n; ++i) accumulate(i);
      } else {
        for (int i : sample.rows) accumulate(i);
      }
      for (std::size_t t = 0; t < tree.nodes.size(); ++t) {
        if (!tree.nodes[t].is_leaf()) continue;
        const double w = boosting_leaf_value(leaf_G[t], leaf_H[t], lambda);
        tree.set_value(static_cast<int>(t), {&w, 1});
      }
      // (12) F_k ← F_k + η f_k
      for (Eigen::Index i = 0; i < n; ++i) F(i, k) += learning_rate * tree.value(leaf_of_row[static_cast<std::size_t>(i)])[0];
      if (eval.X) F_eval.col(k) += learning_rate * tree.predict(*eval.X);
      round_trees.push_back(std::move(tree));
    }
    trees.push_back(std::move(round_trees));
    mlc::require_finite(F, "gradient boosting scores");
    train_loss.push_back(softmax_log_loss(F, y));
    train_error.push_back(1.0 - model_evaluation::accuracy(y, argmax_rows(F)));
    if (eval.X) {
      eval_loss.push_back(softmax_log_loss(F_eval, *eval.y));
      eval_error.push_back(1.0 - model_evaluation::accuracy(*eval.y, argmax_rows(F_eval)));
    }
  }
}

Eigen::MatrixXd GradientBoosting::decision_function(const Eigen::MatrixXd& X, int n_rounds) const {
  mlc::require(!trees.empty(), "GradientBoosting::decision_function", "not fitted");
  const int M = n_rounds < 0 ? static_cast<int>(trees.size()) : std::min<int>(n_rounds, static_cast<int>(trees.size()));
  Eigen::MatrixXd F = base_score.replicate(X.rows(), 1);
  for (int m = 0; m < M; ++m) {
    for (int k = 0; k < num_classes; ++k) {
      F.col(k) += learning_rate * trees[static_cast<std::size_t>(m)][static_cast<std::size_t>(k)].predict(X);
    }
  }
  return F;
}

Eigen::MatrixXd GradientBoosting::predict_proba(const Eigen::MatrixXd& X) const { return softmax(decision_function(X)); }

Eigen::VectorXi GradientBoosting::predict(const Eigen::MatrixXd& X) const { return argmax_rows(decision_function(X)); }

std::vector<double> GradientBoosting::staged_accuracy(const Eigen::MatrixXd& X, const Eigen::VectorXi& y) const {
  Eigen::MatrixXd F = base_score.replicate(X.rows(), 1);
  std::vector<double> acc;
  for (const auto& round : trees) {
    for (int k = 0; k < num_classes; ++k) F.col(k) += learning_rate * round[static_cast<std::size_t>(k)].predict(X);
    acc.push_back(model_evaluation::accuracy(y, argmax_rows(F)));
  }
  return acc;
}

}  // namespace ensembles
