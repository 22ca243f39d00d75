// 2.8 decision_trees: the grade. Hand-computed impurities, gains and a hand-computed
// pruning sequence; the histogram builder's root split against exhaustive search from the
// definitions; the newton criterion against its closed form and the MSE tree; properties
// of pruning (monotone path, R_α-optimal subtrees); and the three failure modes of the
// report reproduced on small data.
#include "decision_trees.hpp"

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

#include "mlc/data.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "model_evaluation.hpp"

namespace dt = decision_trees;
namespace me = model_evaluation;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

namespace {

std::vector<double> v(std::initializer_list<double> x) { return x; }

// n × d features rounded to one decimal (so there are ties), labels from a noisy rule.
struct Problem {
  MatrixXd X;
  VectorXi y;
};
Problem random_problem(Eigen::Index n, Eigen::Index d, int K, std::uint64_t seed) {
  mlc::Rng rng(seed);
  Problem p{(rng.normal_matrix(n, d) * 10.0).array().round() / 10.0, VectorXi(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const double s = p.X(i, 0) + 0.5 * p.X(i, 1 % d) + rng.normal(0.0, 0.7);
    p.y(i) = std::clamp(static_cast<int>(std::floor(s + K / 2.0)), 0, K - 1);
  }
  return p;
}

}  // namespace

// ---- 1. Hand-computed impurities and gains -----------------------------------------------

TEST(Impurity, GiniEntropyAndMseMatchHandComputedValues) {
  EXPECT_NEAR(dt::gini_impurity(v({3, 1})), 1 - (0.75 * 0.75 + 0.25 * 0.25), 1e-15);  // 0.375
  EXPECT_NEAR(dt::gini_impurity(v({2, 2, 2, 2})), 0.75, 1e-15);
  EXPECT_EQ(dt::gini_impurity(v({5, 0})), 0.0);
  EXPECT_EQ(dt::gini_impurity(v({0, 0})), 0.0);
  EXPECT_NEAR(dt::entropy_impurity(v({1, 1})), 1.0, 1e-15);
  EXPECT_NEAR(dt::entropy_impurity(v({3, 1})), -(0.75 * std::log2(0.75) + 0.25 * std::log2(0.25)), 1e-15);
  EXPECT_NEAR(dt::entropy_impurity(v({1, 1, 1, 1})), 2.0, 1e-15);
  // y = {1, 1, 3, 3}: mean 2, variance 1; W = 4, S = 8, Q = 20
  EXPECT_NEAR(dt::mse_impurity(4, 8, 20), 1.0, 1e-15);
  EXPECT_EQ(dt::mse_impurity(0, 0, 0), 0.0);
}

TEST(Split, FourPointGainsEqualHandComputedValues) {
  // x = 1..4, y = 0 0 1 1: the best split is x <= 2.5 with pure children, so the gain is the
  // parent's cost: Gini 4 · 0.5 = 2, entropy 4 · 1 bit = 4; MSE with y = 1 1 3 3: 4 · 1 = 4.
  MatrixXd X(4, 1);
  X << 1, 2, 3, 4;
  mlc::Rng rng(1);
  for (auto [criterion, gain] : {std::pair{dt::Criterion::gini, 2.0}, std::pair{dt::Criterion::entropy, 4.0}}) {
    const auto tree = dt::fit_classifier(X, VectorXi{{0, 0, 1, 1}}, 2, {.criterion = criterion}, rng);
    ASSERT_EQ(tree.nodes.size(), 3u);
    EXPECT_EQ(tree.nodes[0].feature, 0);
    EXPECT_DOUBLE_EQ(tree.nodes[0].threshold, 2.5);
    EXPECT_NEAR(tree.nodes[0].gain, gain, 1e-12);
  }
  const auto reg = dt::fit_regressor(X, VectorXd{{1, 1, 3, 3}}, {.criterion = dt::Criterion::mse}, rng);
  EXPECT_DOUBLE_EQ(reg.nodes[0].threshold, 2.5);
  EXPECT_NEAR(reg.nodes[0].gain, 4.0, 1e-12);
  EXPECT_ALLCLOSE(reg.predict(X), VectorXd(VectorXd{{1, 1, 3, 3}}), 1e-12);
  // Gain of a split at a boundary, by hand: x <= 1.5 on y = 0 0 1 1: left {0} pure, right
  // {0, 1, 1} has Gini 4/9, so the gain is 2 − 3 · 4/9 = 2/3.
  const dt::SplitRule rule{dt::Criterion::gini, 2, 1, 0.0, 0.0};
  const std::vector<double> hist{1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1};  // per bin: count, class weights
  const auto best = dt::best_bin_split(rule, hist, 4, v({2, 2}));
  EXPECT_EQ(best.bin, 1);
  EXPECT_NEAR(best.gain, 2.0, 1e-12);
  const std::vector<double> only_first{1, 1, 0, 3, 1, 2};  // two bins: {0} and {0, 1, 1}
  EXPECT_NEAR(dt::best_bin_split(rule, only_first, 2, v({2, 2})).gain, 2.0 / 3.0, 1e-12);
}

// ---- 2. The builder equals exhaustive search ----------------------------------------------

TEST(Split, RootSplitEqualsExhaustiveSearchForEveryCriterion) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto p = random_problem(60, 4, 3, seed);
    mlc::Rng rng(seed);
    const VectorXd w = rng.uniform_vector(60, 0.2, 2.0);
    for (auto criterion : {dt::Criterion::gini, dt::Criterion::entropy}) {
      const auto ref = dt::exhaustive_best_split(p.X, p.y.cast<double>(), 3, criterion, w, 3);
      const auto tree = dt::fit_classifier(dt::bin_features(p.X), p.y, 3, {.criterion = criterion, .min_samples_leaf = 3},
                                           rng, {.rows = {}, .w = w});
      EXPECT_EQ(tree.nodes[0].feature, ref.feature) << "seed " << seed;
      EXPECT_DOUBLE_EQ(tree.nodes[0].threshold, ref.threshold);
      EXPECT_NEAR(tree.nodes[0].gain, ref.gain, 1e-10 * std::abs(ref.gain));
    }
    const VectorXd y = p.X.col(2).array().square() + p.X.col(0).array() + rng.normal_vector(60, 0, 0.3).array();
    const auto ref = dt::exhaustive_best_split(p.X, y, 1, dt::Criterion::mse, w);
    const auto tree = dt::fit_regressor(dt::bin_features(p.X), y, {.criterion = dt::Criterion::mse}, rng, {.rows = {}, .w = w});
    EXPECT_EQ(tree.nodes[0].feature, ref.feature);
    EXPECT_DOUBLE_EQ(tree.nodes[0].threshold, ref.threshold);
    EXPECT_NEAR(tree.nodes[0].gain, ref.gain, 1e-9 * std::abs(ref.gain));
  }
}

TEST(Tree, EveryChildSplitIsTheExhaustiveBestOnItsRows) {
  // Recursively: the split of each internal node is the best split of the rows reaching it.
  const auto p = random_problem(80, 3, 2, 11);
  mlc::Rng rng(3);
  const auto tree = dt::fit_classifier(p.X, p.y, 2, {.max_depth = 3}, rng);
  const VectorXi leaf = tree.apply(p.X);
  for (std::size_t t = 0; t < tree.nodes.size(); ++t) {
    const auto& nd = tree.nodes[t];
    if (nd.is_leaf()) continue;
    std::vector<Eigen::Index> rows;  // rows whose path passes through t
    for (Eigen::Index i = 0; i < p.X.rows(); ++i) {
      int u = 0;
      while (u != static_cast<int>(t) && !tree.nodes[static_cast<std::size_t>(u)].is_leaf()) {
        const auto& s = tree.nodes[static_cast<std::size_t>(u)];
        u = p.X(i, s.feature) <= s.threshold ? s.left : s.right;
      }
      if (u == static_cast<int>(t)) rows.push_back(i);
    }
    ASSERT_EQ(static_cast<int>(rows.size()), nd.n_samples);
    const MatrixXd Xs = p.X(rows, Eigen::all);
    const auto ref = dt::exhaustive_best_split(Xs, p.y(rows).cast<double>(), 2, dt::Criterion::gini);
    EXPECT_EQ(nd.feature, ref.feature) << "node " << t;
    EXPECT_NEAR(nd.gain, ref.gain, 1e-10 * std::abs(ref.gain));
    // The node's threshold separates the rows exactly as the reference threshold does.
    for (auto i : rows) EXPECT_EQ(p.X(i, nd.feature) <= nd.threshold, p.X(i, ref.feature) <= ref.threshold);
  }
  (void)leaf;
}

TEST(Tree, WeightTwoEqualsADuplicatedRow) {
  const auto p = random_problem(40, 3, 2, 5);
  MatrixXd X2(41, 3);
  X2 << p.X, p.X.row(7);
  VectorXi y2(41);
  y2 << p.y, p.y(7);
  VectorXd w = VectorXd::Ones(40);
  w(7) = 2.0;
  mlc::Rng rng(1);
  const auto a = dt::fit_classifier(dt::bin_features(p.X), p.y, 2, {.max_depth = 4}, rng, {.rows = {}, .w = w});
  const auto b = dt::fit_classifier(X2, y2, 2, {.max_depth = 4}, rng);
  const MatrixXd grid = mlc::Rng(9).normal_matrix(300, 3);
  EXPECT_ALLCLOSE(a.predict_values(grid), b.predict_values(grid), 1e-12);
}

TEST(Tree, UnlimitedTreeFitsDistinctPointsExactlyAndLimitsAreRespected) {
  const auto p = random_problem(120, 3, 3, 21);
  mlc::Rng rng(2);
  MatrixXd X = p.X + mlc::Rng(4).normal_matrix(120, 3) * 1e-3;  // distinct rows
  const auto full = dt::fit_classifier(X, p.y, 3, {}, rng);
  EXPECT_EQ(me::accuracy(p.y, full.predict_class(X)), 1.0);
  const auto limited = dt::fit_classifier(X, p.y, 3, {.max_depth = 3, .min_samples_leaf = 7}, rng);
  EXPECT_LE(limited.depth(), 3);
  for (const auto& nd : limited.nodes) {
    if (nd.is_leaf()) {
      EXPECT_GE(nd.n_samples, 7);
    }
  }
  // Feature subsets: every split still lands on an existing feature, and the fit is reproducible.
  mlc::Rng r1(5), r2(5);
  const auto s1 = dt::fit_classifier(X, p.y, 3, {.max_features = 1}, r1);
  const auto s2 = dt::fit_classifier(X, p.y, 3, {.max_features = 1}, r2);
  EXPECT_ALLCLOSE(s1.predict_values(X), s2.predict_values(X), 0.0);
  EXPECT_EQ(me::accuracy(p.y, s1.predict_class(X)), 1.0);
}

TEST(Binning, ExactBinsPreserveOrderAndQuantileBinsRespectTheLimit) {
  mlc::Rng rng(3);
  MatrixXd X(500, 2);
  X.col(0) = rng.normal_vector(500);
  X.col(1) = (rng.uniform_vector(500) * 17).array().floor();  // digits-like: 17 values
  const auto exact = dt::bin_features(X);
  EXPECT_EQ(exact.bins(0), 500);
  EXPECT_EQ(exact.bins(1), 17);
  for (Eigen::Index i = 0; i < 500; ++i) {
    for (Eigen::Index j = 0; j < 500; j += 37) {
      EXPECT_EQ(X(i, 0) <= X(j, 0), exact.code(i, 0) <= exact.code(j, 0));
    }
  }
  const auto coarse = dt::bin_features(X, 32);
  EXPECT_LE(coarse.bins(0), 32);
  EXPECT_GE(coarse.bins(0), 30);
  EXPECT_EQ(coarse.bins(1), 17);  // few distinct values: still exact
}

// ---- 3. The newton (gradient boosting) criterion ------------------------------------------

TEST(Newton, LeafValuesAndGainMatchTheClosedForm) {
  // One feature, two groups: rows 0..2 have x = 0, rows 3..5 have x = 1.
  MatrixXd X(6, 1);
  X << 0, 0, 0, 1, 1, 1;
  const VectorXd g{{-1.0, -0.5, -1.5, 2.0, 1.0, 0.5}}, h{{0.5, 0.25, 0.25, 1.0, 0.5, 0.5}};
  const double lambda = 1.0;
  mlc::Rng rng(1);
  const auto tree = dt::fit_newton(dt::bin_features(X), g, h, {.criterion = dt::Criterion::newton, .max_depth = 1, .lambda = lambda}, rng);
  ASSERT_EQ(tree.num_leaves(), 2);
  const double GL = -3.0, HL = 1.0, GR = 3.5, HR = 2.0, G = GL + GR, H = HL + HR;
  // (5) w = −G / (H + λ);  (6) gain = ½ [G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)]
  EXPECT_NEAR(tree.value(tree.nodes[0].left)[0], -GL / (HL + lambda), 1e-14);
  EXPECT_NEAR(tree.value(tree.nodes[0].right)[0], -GR / (HR + lambda), 1e-14);
  EXPECT_NEAR(tree.value(0)[0], -G / (H + lambda), 1e-14);
  const double gain = 0.5 * (GL * GL / (HL + lambda) + GR * GR / (HR + lambda) - G * G / (H + lambda));
  EXPECT_NEAR(tree.nodes[0].gain, gain, 1e-12);
  // γ above the gain forbids the split.
  const auto stump = dt::fit_newton(dt::bin_features(X), g, h,
                                    {.criterion = dt::Criterion::newton, .lambda = lambda, .gamma = gain + 1e-9}, rng);
  EXPECT_EQ(stump.num_leaves(), 1);
}

TEST(Newton, UnitHessianWithoutPenaltyReproducesTheMseTree) {
  // Squared loss ½(F − y)² at F = 0: g = −y, h = 1; with λ = 0 the newton gain is half the
  // MSE gain and the leaf value −G/H is the leaf mean, so the trees coincide.
  const auto p = random_problem(150, 4, 2, 8);
  mlc::Rng rng(1);
  const VectorXd y = p.X.col(1).array().sin() + p.X.col(0).array() + rng.normal_vector(150, 0, 0.2).array();
  const auto B = dt::bin_features(p.X);
  const auto mse = dt::fit_regressor(B, y, {.criterion = dt::Criterion::mse, .max_depth = 5, .min_samples_leaf = 2}, rng);
  const auto newton = dt::fit_newton(B, -y, VectorXd::Ones(150),
                                     {.criterion = dt::Criterion::newton, .max_depth = 5, .min_samples_leaf = 2, .lambda = 0.0}, rng);
  ASSERT_EQ(mse.nodes.size(), newton.nodes.size());
  for (std::size_t t = 0; t < mse.nodes.size(); ++t) {
    EXPECT_EQ(mse.nodes[t].feature, newton.nodes[t].feature);
    if (!mse.nodes[t].is_leaf()) {
      EXPECT_NEAR(newton.nodes[t].gain, 0.5 * mse.nodes[t].gain, 1e-9 * mse.nodes[t].gain);
    }
  }
  EXPECT_ALLCLOSE(mse.predict(p.X), newton.predict(p.X), 1e-12);
}

// ---- 4. Pruning ---------------------------------------------------------------------------

TEST(Pruning, HandComputedSequenceOnFourPoints) {
  // x = 1..4, y = 0 1 0 0. Root x <= 2.5 (gain 0.5 beats 1/6), then x <= 1.5 on the left: 3
  // pure leaves, R(T_0) = 0. As a leaf the root costs R = 4 · 0.375 / 4 = 0.375 over 3
  // leaves: g = 0.375 / 2 = 0.1875; the left child costs 2 · 0.5 / 4 = 0.25 over 2 leaves:
  // g = 0.25. The weakest link is the root itself: α_1 = 0.1875 and T_1 = {root}.
  MatrixXd X(4, 1);
  X << 1, 2, 3, 4;
  mlc::Rng rng(1);
  const auto tree = dt::fit_classifier(X, VectorXi{{0, 1, 0, 0}}, 2, {}, rng);
  ASSERT_EQ(tree.num_leaves(), 3);
  EXPECT_DOUBLE_EQ(tree.nodes[0].threshold, 2.5);
  const auto path = dt::cost_complexity_path(tree);
  ASSERT_EQ(path.alphas.size(), 2u);
  EXPECT_NEAR(path.alphas[1], 0.1875, 1e-15);
  EXPECT_EQ(path.leaves, (std::vector<int>{3, 1}));
  EXPECT_NEAR(path.impurities[0], 0.0, 1e-15);
  EXPECT_NEAR(path.impurities[1], 0.375, 1e-15);
  EXPECT_EQ(dt::prune(tree, 0.18).num_leaves(), 3);
  EXPECT_EQ(dt::prune(tree, 0.19).num_leaves(), 1);
}

TEST(Pruning, PathIsMonotoneAndEachSubtreeMinimisesCostComplexity) {
  const auto p = random_problem(300, 4, 3, 31);
  mlc::Rng rng(6);
  const auto tree = dt::fit_classifier(p.X, p.y, 3, {}, rng);
  const auto path = dt::cost_complexity_path(tree);
  ASSERT_GE(path.alphas.size(), 4u);
  EXPECT_EQ(path.leaves.front(), tree.num_leaves());
  EXPECT_EQ(path.leaves.back(), 1);
  for (std::size_t k = 1; k < path.alphas.size(); ++k) {
    EXPECT_GT(path.alphas[k], path.alphas[k - 1]);
    EXPECT_LT(path.leaves[k], path.leaves[k - 1]);
    EXPECT_GE(path.impurities[k], path.impurities[k - 1] - 1e-12);
    EXPECT_EQ(dt::prune(tree, path, path.alphas[k]).num_leaves(), path.leaves[k]);
  }
  // Breiman's theorem (§3.3): for α in [α_k, α_{k+1}), T_k minimises R_α over the subtrees.
  // Checked against every subtree of the path and against random prunings.
  for (std::size_t k = 0; k + 1 < path.alphas.size(); ++k) {
    const double alpha = 0.5 * (path.alphas[k] + path.alphas[k + 1]);
    const double best = dt::cost_complexity(dt::prune(tree, path, alpha), alpha);
    for (std::size_t j = 0; j < path.alphas.size(); ++j) {
      EXPECT_LE(best, dt::cost_complexity(dt::prune(tree, path, path.alphas[j]), alpha) + 1e-12);
    }
    for (int r = 0; r < 20; ++r) {  // cut a random set of internal nodes
      dt::PruningPath random_cut = path;
      for (auto& a : random_cut.collapse_alpha) a = rng.bernoulli(0.2) ? 0.0 : 1.0;
      EXPECT_LE(best, dt::cost_complexity(dt::prune(tree, random_cut, 0.5), alpha) + 1e-12);
    }
  }
}

TEST(Importance, SumsToOneAndCreditsTheOnlyInformativeFeature) {
  mlc::Rng rng(4);
  const MatrixXd X = rng.normal_matrix(200, 5);
  const VectorXi y = (X.col(3).array() > 0.1).cast<int>();
  const auto tree = dt::fit_classifier(X, y, 2, {}, rng);
  const VectorXd imp = tree.feature_importance(5);
  EXPECT_NEAR(imp.sum(), 1.0, 1e-12);
  EXPECT_NEAR(imp(3), 1.0, 1e-12);
  EXPECT_EQ(tree.num_leaves(), 2);
}

TEST(Pruning, CvSelectionReturnsACandidateOfThePath) {
  const auto p = random_problem(200, 3, 2, 41);
  mlc::Rng rng(8);
  const auto sel = dt::select_alpha_by_cv(p.X, p.y.cast<double>(), 2, {}, 5, rng);
  ASSERT_FALSE(sel.candidates.empty());
  EXPECT_EQ(sel.candidates.front(), 0.0);
  EXPECT_NE(std::find(sel.candidates.begin(), sel.candidates.end(), sel.best_alpha), sel.candidates.end());
  for (double s : sel.cv_score) EXPECT_LE(s, sel.best_score + 1e-12);
}

// ---- 5. The failure modes of the report --------------------------------------------------

TEST(FailureMode, UnprunedTreeMemorisesFlippedLabelsAndPruningHelps) {
  mlc::Rng rng(42);
  const auto train = mlc::make_moons(400, 0.2, rng);
  const auto test = mlc::make_moons(2000, 0.2, rng);
  VectorXi noisy = train.labels();
  for (auto i : rng.sample_without_replacement(400, 80)) noisy(i) = 1 - noisy(i);  // 20 % flipped
  const auto fit = dt::fit_pruned_classifier(train.X, noisy, 2, {}, 5, rng);
  EXPECT_EQ(me::accuracy(noisy, fit.full.predict_class(train.X)), 1.0);  // memorised
  const double full_test = me::accuracy(test.labels(), fit.full.predict_class(test.X));
  const double pruned_test = me::accuracy(test.labels(), fit.pruned.predict_class(test.X));
  // An accuracy on 2000 test points has standard error <= √(0.25/2000) = 0.011; the paired
  // difference of two has standard error <= 0.016. The full run measures a gap of ~0.1
  // (flipped islands cover ~20 % × the area near points); we require 3 standard errors.
  EXPECT_GT(pruned_test - full_test, 3 * 0.016) << "full " << full_test << " pruned " << pruned_test;
  EXPECT_LT(fit.pruned.num_leaves(), fit.full.num_leaves() / 4);
}

TEST(FailureMode, SmallResamplesChangeTheRootAndTheDeepTreesDisagreeMost) {
  const auto data = mlc::load_dataset("breast_cancer");
  mlc::Rng rng(42);
  const auto split = mlc::train_test_split(data, 0.25, rng);
  const VectorXi y = split.train.labels();
  // The features of the root and its two children: the top of the tree's structure.
  auto top_of = [](const dt::Tree& t) {
    const auto& root = t.nodes[0];
    return std::array<int, 3>{root.feature, t.nodes[static_cast<std::size_t>(root.left)].feature,
                              t.nodes[static_cast<std::size_t>(root.right)].feature};
  };
  const auto ref_top = top_of(dt::fit_classifier(split.train.X, y, 2, {}, rng));
  const auto m = static_cast<Eigen::Index>(0.9 * static_cast<double>(split.train.n()));
  int changed = 0;
  double dis_full = 0, dis_shallow = 0;
  VectorXi prev_full, prev_shallow;
  const int R = 12;
  for (int r = 0; r < R; ++r) {
    const auto rows = rng.sample_without_replacement(split.train.n(), m);
    const MatrixXd X = split.train.X(rows, Eigen::all);
    const auto full = dt::fit_classifier(X, VectorXi(y(rows)), 2, {}, rng);
    const auto shallow = dt::fit_classifier(X, VectorXi(y(rows)), 2, {.max_depth = 2}, rng);
    changed += top_of(full) != ref_top;
    const VectorXi pf = full.predict_class(split.test.X), ps = shallow.predict_class(split.test.X);
    if (r > 0) {
      dis_full += (pf.array() != prev_full.array()).cast<double>().mean() / (R - 1);
      dis_shallow += (ps.array() != prev_shallow.array()).cast<double>().mean() / (R - 1);
    }
    prev_full = pf;
    prev_shallow = ps;
  }
  // The full run measures the top three splits changing in 18 of 40 resamples (45 %).
  EXPECT_GE(changed, R / 4);
  EXPECT_GT(dis_full, 0.02);      // > 2 of the 143 test points change on average
  EXPECT_LT(dis_shallow, dis_full);
}

TEST(FailureMode, RotatedBoundaryNeedsAStaircaseOfLeaves) {
  mlc::Rng rng(7);
  const MatrixXd X = rng.uniform_matrix(1000, 2, -1.0, 1.0);
  const VectorXi y0 = (X.col(1).array() > 0).cast<int>();
  const VectorXi y45 = (X.col(1).array() - X.col(0).array() > 0).cast<int>();
  const auto t0 = dt::fit_classifier(X, y0, 2, {}, rng);
  const auto t45 = dt::fit_classifier(X, y45, 2, {}, rng);
  EXPECT_EQ(t0.num_leaves(), 2);
  EXPECT_GE(t45.num_leaves(), 20);  // the staircase: measured ~50 for n = 1000
  MatrixXd A(1000, 3);
  A << X, X.col(1) - X.col(0);
  EXPECT_EQ(dt::fit_classifier(A, y45, 2, {}, rng).num_leaves(), 2);
}

// ---- 6. Bad input ------------------------------------------------------------------------

TEST(Tree, BadInputIsRejectedWithAMessage) {
  mlc::Rng rng(1);
  const MatrixXd X = MatrixXd::Zero(4, 2);
  EXPECT_THROW(dt::fit_classifier(X, VectorXi{{0, 1, 2, 0}}, 2, {}, rng), std::invalid_argument);
  EXPECT_THROW(dt::fit_classifier(X, VectorXi{{0, 1, 0}}, 2, {}, rng), std::invalid_argument);
  EXPECT_THROW(dt::fit_classifier(X, VectorXi{{0, 1, 0, 1}}, 2, {.min_samples_leaf = 0}, rng), std::invalid_argument);
  EXPECT_THROW(dt::bin_features(MatrixXd::Constant(3, 1, std::nan(""))), std::invalid_argument);
  EXPECT_THROW(dt::fit_regressor(X, VectorXd::Zero(4), {.criterion = dt::Criterion::gini}, rng), std::invalid_argument);
}
