// 2.8 decision_trees: CART trees, cost-complexity pruning and their failure modes.
//
// Experiments (each a section of report.md):
//   1. classification trees (Gini, entropy) on breast cancer over the five standard splits,
//      full and pruned by weakest-link pruning with α chosen by 5-fold CV on the training part;
//   2. one split in detail: the depth sweep, the pruning path, the pruned tree printed, the
//      features ranked by impurity decrease;
//   3. regression trees (MSE) on diabetes;
//   4. an unpruned tree memorising flipped labels, with its decision regions (failure mode);
//   5. the instability of the tree under a small resample (failure mode);
//   6. the staircase an axis-aligned tree needs for a rotated boundary (failure mode).
// Sources: Breiman, Friedman, Olshen & Stone, Classification and Regression Trees (1984),
// ch. 2–3; ESL §9.2.
// Run: ./learn run decision_trees [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "decision_trees.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "model_evaluation.hpp"

namespace dt = decision_trees;
namespace me = model_evaluation;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "CART classification (Gini, entropy) and regression (MSE) trees grown with exact histogram "
    "split search, cost-complexity (weakest-link) pruning with alpha chosen by cross-validation, "
    "impurity-decrease feature importance. Breast cancer over five splits, diabetes regression, "
    "depth sweep, a printed tree, decision regions; failure modes: memorised label noise, "
    "instability under resampling, staircases on a rotated boundary.",
    "report.md, metrics.json, figures/depth_accuracy.svg, figures/pruning_path.svg, "
    "figures/feature_importance.svg, figures/regions_unpruned.svg, figures/regions_pruned.svg, "
    "figures/rotated_boundary.svg");

constexpr int kFolds = 5;

using Rows = std::vector<std::vector<std::string>>;

// "mean ± sd" over the splits of summary entry `key`: the mean is the metric `name` (with
// `sig` digits), the sd the metric name_sd when `sd_metric`.
std::string quote_mean_sd(mlc::Report& report, const std::string& name, const me::SplitSummary& s,
                          const std::string& key, int sig = 4, bool sd_metric = true) {
  const std::string sd =
      sd_metric ? report.quote(name + "_sd", s.sd(key), 2) : mlc::num(s.sd(key), 2);
  return report.quote(name, s.mean(key), sig) + " ± " + sd;
}

// Flips a fraction `rate` of binary labels, chosen at random.
Eigen::VectorXi flip_labels(const Eigen::VectorXi& y, double rate, mlc::Rng& rng) {
  Eigen::VectorXi out = y;
  const auto k = static_cast<Eigen::Index>(std::round(rate * static_cast<double>(y.size())));
  for (auto i : rng.sample_without_replacement(y.size(), k)) out(i) = 1 - out(i);
  return out;
}

// ---- 1. Breast cancer over the five splits -----------------------------------------------

void breast_cancer_splits(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data,
                          const mlc::Rng& root) {
  report.section("Breast cancer: full and pruned trees over the standard splits");
  const int repeats = opt.quick ? 1 : 5;
  std::uint64_t split = 0;
  double fit_seconds = 0.0, predict_seconds = 0.0;
  const auto s = me::evaluate_on_splits(
      data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        mlc::Rng rng = root.derive(100 + split++);  // streams 100, 101, ...: one per split
        const Eigen::VectorXi ytr = train.labels(), yte = test.labels();
        mlc::Timer fit_timer;
        const auto gini = dt::fit_pruned_classifier(
            train.X, ytr, 2, {.criterion = dt::Criterion::gini}, kFolds, rng);
        fit_seconds += fit_timer.seconds();
        const auto entropy = dt::fit_pruned_classifier(
            train.X, ytr, 2, {.criterion = dt::Criterion::entropy}, kFolds, rng);
        mlc::Timer predict_timer;
        const Eigen::VectorXi pred = gini.pruned.predict_class(test.X);
        predict_seconds += predict_timer.seconds();
        return std::map<std::string, double>{
            {"test_accuracy", me::accuracy(yte, pred)},
            {"train_accuracy", me::accuracy(ytr, gini.pruned.predict_class(train.X))},
            {"leaves", gini.pruned.num_leaves()},
            {"alpha", gini.selection.best_alpha},
            {"full.test_accuracy", me::accuracy(yte, gini.full.predict_class(test.X))},
            {"full.train_accuracy", me::accuracy(ytr, gini.full.predict_class(train.X))},
            {"full.leaves", gini.full.num_leaves()},
            {"entropy.test_accuracy", me::accuracy(yte, entropy.pruned.predict_class(test.X))},
            {"entropy.leaves", entropy.pruned.num_leaves()}};
      });
  report.timing("breast_cancer.pruned_tree.fit_seconds_total", fit_seconds);
  report.timing("breast_cancer.pruned_tree.predict_seconds_total", predict_seconds);
  report.text(fmt::format(
      "{} stratified 75/25 splits (the standard protocol, seeds {}..), features standardized on "
      "the training part (a tree is invariant to it). The full tree grows until its leaves are "
      "pure; the pruned tree is the weakest-link subtree T(α) with α chosen by {}-fold CV on the "
      "training part among the geometric means of the path's α_k (Breiman et al. §3.4).",
      repeats, opt.seed, kFolds));
  const auto q = [&](const std::string& metric, const std::string& key) {
    return quote_mean_sd(report, "breast_cancer." + metric, s, key);
  };
  const std::string pruned = q("pruned_tree.test_accuracy", "test_accuracy");
  const std::string full = q("full_tree.test_accuracy", "full.test_accuracy");
  report.table({"tree", "train accuracy", "test accuracy", "leaves"},
               {{"full (Gini)", q("full_tree.train_accuracy", "full.train_accuracy"), full,
                 q("full_tree.leaves", "full.leaves")},
                {"pruned, α by CV (Gini)", q("pruned_tree.train_accuracy", "train_accuracy"),
                 pruned, q("pruned_tree.leaves", "leaves")},
                {"pruned, α by CV (entropy)", "",
                 q("pruned_entropy_tree.test_accuracy", "entropy.test_accuracy"),
                 q("pruned_entropy_tree.leaves", "entropy.leaves")}});
  report.metric("breast_cancer.pruned_tree.alpha", s.mean("alpha"));
  report.metric("breast_cancer.pruned_tree.alpha_sd", s.sd("alpha"));
  fmt::print("Breast cancer over {} splits: pruned tree {} ({} leaves), full tree {} ({} leaves)\n",
             repeats, pruned, mlc::num(s.mean("leaves"), 3), full,
             mlc::num(s.mean("full.leaves"), 3));
}

// ---- 2. One split in detail --------------------------------------------------------------

// Accuracy against the maximum depth; returns the test accuracy of the full tree.
double depth_sweep(mlc::Report& report, const mlc::TrainTestSplit& split,
                   const dt::BinnedFeatures& B, const dt::Tree& full, mlc::Rng& rng) {
  const Eigen::VectorXi ytr = split.train.labels(), yte = split.test.labels();
  const int max_depth = full.depth();
  std::vector<double> depths, train_acc, test_acc;
  for (int depth = 1; depth <= max_depth; ++depth) {
    const dt::Tree t = dt::fit_classifier(B, ytr, 2, {.max_depth = depth}, rng);
    depths.push_back(depth);
    train_acc.push_back(me::accuracy(ytr, t.predict_class(split.train.X)));
    test_acc.push_back(me::accuracy(yte, t.predict_class(split.test.X)));
  }
  mlc::Figure fig("Breast cancer: accuracy against the depth of a Gini tree (one split)");
  fig.xlabel("maximum depth").ylabel("accuracy").legend("bottom right");
  fig.line_points(depths, train_acc, "training part");
  fig.line_points(depths, test_acc, "test part");
  report.figure(fig, "depth_accuracy",
                "Training accuracy rises to 1 as the depth grows; test accuracy peaks early and "
                "then stays flat or drops: the deep splits fit individual training points.");
  const auto best = std::max_element(test_acc.begin(), test_acc.end()) - test_acc.begin();
  report.metric("split0.depth_sweep.train_accuracy", train_acc);
  report.metric("split0.depth_sweep.test_accuracy", test_acc);
  report.text(fmt::format(
      "The full tree has depth {} and {} leaves; training accuracy reaches {} at depth {}. The "
      "best test accuracy of the sweep, {}, is at depth {}; the full tree scores {} on the test "
      "part.",
      report.quote("split0.full_tree.depth", max_depth), full.num_leaves(),
      mlc::num(train_acc.back()), max_depth, mlc::num(test_acc[static_cast<std::size_t>(best)]),
      best + 1, mlc::num(test_acc.back())));
  return test_acc.back();
}

// The weakest-link path (11) and the CV choice of α; returns the pruned tree.
dt::Tree pruning_path(mlc::Report& report, const mlc::TrainTestSplit& split, const dt::Tree& full,
                      double full_test, mlc::Rng& rng) {
  const Eigen::VectorXi ytr = split.train.labels(), yte = split.test.labels();
  const auto path = dt::cost_complexity_path(full);
  const auto sel = dt::select_alpha_by_cv(split.train.X, ytr.cast<double>(), 2, {}, kFolds, rng);
  std::vector<double> path_leaves, path_test, cv_leaves;
  for (std::size_t k = 0; k < path.alphas.size(); ++k) {
    path_leaves.push_back(path.leaves[k]);
    path_test.push_back(
        me::accuracy(yte, dt::prune(full, path, path.alphas[k]).predict_class(split.test.X)));
    cv_leaves.push_back(dt::prune(full, path, sel.candidates[k]).num_leaves());
  }
  const dt::Tree pruned = dt::prune(full, path, sel.best_alpha);
  mlc::Figure fig("Weakest-link pruning path (breast cancer, one split)");
  fig.xlabel("leaves of the subtree T_k").ylabel("accuracy").logx().legend("bottom right");
  fig.line_points(cv_leaves, sel.cv_score, fmt::format("{}-fold CV on the training part", kFolds));
  fig.line_points(path_leaves, path_test, "test part");
  fig.vline(pruned.num_leaves(), fmt::format("chosen: α = {}", mlc::num(sel.best_alpha, 3)));
  report.figure(fig, "pruning_path",
                "Each point is a subtree of the weakest-link sequence (11), from the full tree "
                "(right) to the root (1 leaf). The CV curve chooses α; the test curve is shown for "
                "comparison only.");
  report.metric("split0.pruning_path.alphas", path.alphas);
  report.metric("split0.pruning_path.impurities", path.impurities);
  report.metric("split0.pruning_path.test_accuracy", path_test);
  report.text(fmt::format(
      "The path has {} subtrees, α from 0 to {}. CV picks α = {}, a tree of {} leaves with test "
      "accuracy {} (full tree: {} leaves, {}).",
      path.alphas.size(), mlc::num(path.alphas.back()),
      report.quote("split0.pruned_tree.alpha", sel.best_alpha),
      report.quote("split0.pruned_tree.leaves", pruned.num_leaves()),
      report.quote("split0.pruned_tree.test_accuracy",
                   me::accuracy(yte, pruned.predict_class(split.test.X))),
      full.num_leaves(), mlc::num(full_test)));
  return pruned;
}

// Impurity-decrease importance (8) of the full and the pruned tree, the top eight features.
void feature_importance(mlc::Report& report, const mlc::Dataset& data, const dt::Tree& full,
                        const dt::Tree& pruned) {
  const Eigen::VectorXd imp = pruned.feature_importance(data.d());
  const Eigen::VectorXd imp_full = full.feature_importance(data.d());
  report.metric("split0.full_tree.feature_importance", imp_full);
  report.metric("split0.pruned_tree.feature_importance", imp);
  std::vector<Eigen::Index> order(static_cast<std::size_t>(data.d()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto b) { return imp_full(a) > imp_full(b); });
  std::vector<std::string> names;
  std::vector<double> heights;
  Rows rows;
  for (std::size_t j = 0; j < 8; ++j) {
    names.push_back(data.feature_names[static_cast<std::size_t>(order[j])]);
    heights.push_back(imp_full(order[j]));
    rows.push_back({names.back(), mlc::num(imp_full(order[j]), 3), mlc::num(imp(order[j]), 3)});
  }
  mlc::Figure fig("Impurity-decrease importance (breast cancer, one split)");
  fig.ylabel("share of the total impurity decrease").legend("top right").size(900, 480);
  fig.bars(names, heights, "full tree");
  report.figure(fig, "feature_importance",
                "The eight features with the largest total Gini decrease (8) in the full tree. A "
                "correlated feature that lost the root split to its twin gets little credit (see "
                "NOTES).");
  report.table({"feature", "importance, full tree", "importance, pruned tree"}, rows);
}

void one_split(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data,
               const mlc::Rng& root) {
  report.section(fmt::format("One split (seed {}) in detail", opt.seed));
  mlc::Rng split_rng(
      opt.seed);  // split 0 of the standard protocol, in raw units: readable thresholds
  const auto split = mlc::train_test_split(data, 0.25, split_rng);
  mlc::Rng rng = root.derive(7);
  const auto B = dt::bin_features(split.train.X);
  const dt::Tree full = dt::fit_classifier(B, split.train.labels(), 2, {}, rng);
  const double full_test = depth_sweep(report, split, B, full, rng);
  const dt::Tree pruned = pruning_path(report, split, full, full_test, rng);

  report.subsection("The pruned tree");
  report.text(
      "Thresholds in the data set's raw units; p is the fraction of the leaf's training rows in "
      "its class.");
  const std::string text = pruned.to_text(data.feature_names, data.class_names, 4);
  report.text("```\n" + text + "```");
  fmt::print("Pruned tree of split {} ({} leaves):\n{}", opt.seed, pruned.num_leaves(), text);
  feature_importance(report, data, full, pruned);
}

// ---- 3. Regression trees on diabetes -----------------------------------------------------

void diabetes_regression(mlc::Report& report, const mlc::Options& opt, const mlc::Rng& root) {
  report.section("Regression trees (MSE) on diabetes");
  const auto data = mlc::load_dataset("diabetes");
  const int repeats = opt.quick ? 1 : 5;
  const std::vector<int> depths{1, 2, 3, 4, 6};
  std::uint64_t split = 0;
  const auto s = me::evaluate_on_splits(
      data, repeats, opt.seed,
      [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        mlc::Rng rng = root.derive(200 + split++);  // streams 200, 201, ...: one per split
        const dt::TreeParams mse{.criterion = dt::Criterion::mse};
        const dt::Tree full = dt::fit_regressor(train.X, train.y, mse, rng);
        const auto sel = dt::select_alpha_by_cv(train.X, train.y, 1, mse, kFolds, rng);
        const dt::Tree pruned = dt::prune(full, sel.best_alpha);
        std::map<std::string, double> out{
            {"full.test_r2", me::r_squared(test.y, full.predict(test.X))},
            {"full.leaves", full.num_leaves()},
            {"pruned.test_r2", me::r_squared(test.y, pruned.predict(test.X))},
            {"pruned.leaves", pruned.num_leaves()}};
        for (int depth : depths) {
          const dt::Tree t = dt::fit_regressor(
              train.X, train.y, {.criterion = dt::Criterion::mse, .max_depth = depth}, rng);
          out[fmt::format("depth{}.test_r2", depth)] = me::r_squared(test.y, t.predict(test.X));
        }
        return out;
      },
      0.25, /*standardize=*/false);
  Rows rows;
  for (int depth : depths) {
    const std::string key = fmt::format("depth{}.test_r2", depth);
    rows.push_back(
        {fmt::format("max depth {}", depth), quote_mean_sd(report, "diabetes." + key, s, key), ""});
  }
  const auto leaves = [&](const std::string& key) {
    return quote_mean_sd(report, "diabetes." + key, s, key, 3, /*sd_metric=*/false);
  };
  const std::string full_r2 = quote_mean_sd(report, "diabetes.full.test_r2", s, "full.test_r2");
  const std::string pruned_r2 =
      quote_mean_sd(report, "diabetes.pruned.test_r2", s, "pruned.test_r2");
  rows.push_back({"full tree", full_r2, leaves("full.leaves")});
  rows.push_back({"pruned, α by CV", pruned_r2, leaves("pruned.leaves")});
  const auto mean = [&](const std::string& name, const std::string& key, int sig = 4) {
    return report.quote("diabetes." + name, s.mean(key), sig);
  };
  report.text(fmt::format(
      "{} random 75/25 splits of the {} patients; a leaf predicts the mean target of its rows (4). "
      "The unpruned tree has {} leaves for {} training rows and a test R² of {}; pruning with α "
      "by {}-fold CV (score −MSE) keeps {} leaves and reaches R² = {}.",
      repeats, data.n(), mean("full.leaves", "full.leaves", 3),
      data.n() - std::lround(0.25 * data.n()), mean("full.test_r2", "full.test_r2"), kFolds,
      mean("pruned.leaves", "pruned.leaves", 3), mean("pruned.test_r2", "pruned.test_r2")));
  report.table({"regression tree", "test R²", "leaves"}, rows);
  fmt::print("Diabetes: full tree R² {}, pruned tree R² {}\n", full_r2, pruned_r2);
}

// ---- 4. Failure: an unpruned tree memorises flipped labels -------------------------------

void noise_memorisation(mlc::Report& report, const mlc::Options& opt, mlc::Rng rng) {
  report.section("Failure mode: an unpruned tree memorises label noise");
  const Eigen::Index n = opt.quick ? 300 : 600;
  const double flip = 0.2;
  const auto train = mlc::make_moons(n, 0.2, rng);
  const auto test = mlc::make_moons(2000, 0.2, rng);
  const Eigen::VectorXi clean = train.labels(), yte = test.labels();
  const Eigen::VectorXi noisy = flip_labels(clean, flip, rng);
  const auto fit = dt::fit_pruned_classifier(train.X, noisy, 2, {}, kFolds, rng);
  const auto clean_fit = dt::fit_pruned_classifier(train.X, clean, 2, {}, kFolds, rng);
  for (const auto& [name, tree, caption] :
       {std::tuple{"regions_unpruned", &fit.full, "unpruned"},
        std::tuple{"regions_pruned", &fit.pruned, "pruned (α by CV)"}}) {
    mlc::Figure fig(fmt::format("Moons with {:.0f} % flipped training labels: {} tree, {} leaves",
                                100 * flip, caption, tree->num_leaves()));
    fig.xlabel("x_1").ylabel("x_2").legend("top right");
    fig.decision_regions([&](const Eigen::MatrixXd& G) { return tree->predict_class(G); }, train.X,
                         0.3, opt.quick ? 80 : 200);
    fig.scatter_classes(train.X, noisy, {"class 0", "class 1"}, 0.6);
    report.figure(fig, name,
                  fmt::format("Decision regions of the {} Gini tree; points are the training "
                              "labels, {:.0f} % of them flipped. Axis-aligned splits give "
                              "rectangular regions.",
                              caption, 100 * flip));
  }
  report.metric("noise.flip_rate", flip);
  // Leaves, accuracy on the (noisy) training labels and on the clean test labels.
  std::map<std::string, std::array<std::string, 3>> stated;
  for (const auto& [name, tree] :
       {std::pair{"unpruned", &fit.full}, std::pair{"pruned", &fit.pruned}}) {
    const std::string p = fmt::format("noise.{}.", name);
    stated[name] = {
        report.quote(p + "leaves", tree->num_leaves()),
        report.quote(p + "train_accuracy", me::accuracy(noisy, tree->predict_class(train.X))),
        report.quote(p + "test_accuracy", me::accuracy(yte, tree->predict_class(test.X)))};
  }
  const auto& [full_leaves, full_train, full_test] = stated["unpruned"];
  const auto& [pruned_leaves, pruned_train, pruned_test] = stated["pruned"];
  const std::string clean_test =
      report.quote("noise.clean_unpruned.test_accuracy",
                   me::accuracy(yte, clean_fit.full.predict_class(test.X)));
  report.table({"tree", "leaves", "train accuracy (noisy labels)", "test accuracy (clean labels)"},
               {{"unpruned", full_leaves, full_train, full_test},
                {"pruned, α by CV", pruned_leaves, pruned_train, pruned_test},
                {"unpruned, no flipped labels", std::to_string(clean_fit.full.num_leaves()), "1",
                 clean_test}});
  report.failure_mode(
      {.name = "An unpruned tree memorises label noise",
       .trigger = fmt::format("Two moons (n = {}, noise 0.2) with {:.0f} % of the training labels "
                              "flipped; the tree grows until every leaf is pure.",
                              n, 100 * flip),
       .symptom = fmt::format("Training accuracy {} with {} leaves, but test accuracy {} on clean "
                              "labels (the Bayes rate of the clean problem is near 1: the "
                              "unpruned tree without flips scores {}).",
                              full_train, full_leaves, full_test, clean_test),
       .why = "A tree can always isolate a mislabelled point in its own leaf; each such leaf is a "
              "small island of the wrong class around a training point, which misclassifies the "
              "clean test points near it.",
       .mitigation = fmt::format("Cost-complexity pruning with α by {}-fold CV keeps {} leaves: "
                                 "training accuracy {} (it no longer fits the flips), test "
                                 "accuracy {}.",
                                 kFolds, pruned_leaves, pruned_train, pruned_test)});
  fmt::print("Label noise: unpruned train {} / test {}; pruned test {}\n", full_train, full_test,
             pruned_test);
}

// ---- 5. Failure: instability under a small resample --------------------------------------

// The top of a tree: the features split on at the root and at its two children (−1: a leaf).
std::array<int, 3> top_of(const dt::Tree& t) {
  const auto& root = t.nodes[0];
  if (root.is_leaf()) return {-1, -1, -1};
  return {root.feature, t.nodes[static_cast<std::size_t>(root.left)].feature,
          t.nodes[static_cast<std::size_t>(root.right)].feature};
}

// Mean fraction of the test points on which two of the prediction vectors disagree, over pairs.
double disagreement(const std::vector<Eigen::VectorXi>& preds) {
  double total = 0.0;
  int pairs = 0;
  for (std::size_t a = 0; a < preds.size(); ++a) {
    for (std::size_t b = a + 1; b < preds.size(); ++b, ++pairs) {
      total += (preds[a].array() != preds[b].array()).cast<double>().mean();
    }
  }
  return total / pairs;
}

void instability(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data,
                 mlc::Rng rng) {
  report.section("Failure mode: a small resample changes the tree");
  mlc::Rng split_rng(opt.seed);  // split 0 of the standard protocol, as in section 2
  const auto split = mlc::train_test_split(data, 0.25, split_rng);
  const Eigen::VectorXi ytr = split.train.labels();
  const int resamples = opt.quick ? 10 : 40;
  const double keep = 0.9;
  const auto m = static_cast<Eigen::Index>(std::round(keep * static_cast<double>(split.train.n())));
  const dt::Tree reference = dt::fit_classifier(split.train.X, ytr, 2, {}, rng);
  const int ref_root = reference.nodes[0].feature;
  std::vector<Eigen::VectorXi> pred_full, pred_shallow;
  std::set<int> root_features;
  int root_changed = 0, top_changed = 0;
  double thr_lo = std::numeric_limits<double>::infinity(), thr_hi = -thr_lo;
  std::map<std::string, int> root_count;
  for (int r = 0; r < resamples; ++r) {
    const auto rows = rng.sample_without_replacement(split.train.n(), m);  // drop 10 % of the rows
    const Eigen::MatrixXd X = split.train.X(rows, Eigen::all);
    const Eigen::VectorXi y = ytr(rows);
    const dt::Tree full = dt::fit_classifier(X, y, 2, {}, rng);
    const dt::Tree shallow = dt::fit_classifier(X, y, 2, {.max_depth = 2}, rng);
    const int root = full.nodes[0].feature;
    root_features.insert(root);
    root_changed += root != ref_root;
    top_changed += top_of(full) != top_of(reference);
    if (root == ref_root) {
      thr_lo = std::min(thr_lo, full.nodes[0].threshold);
      thr_hi = std::max(thr_hi, full.nodes[0].threshold);
    }
    ++root_count[data.feature_names[static_cast<std::size_t>(root)]];
    pred_full.push_back(full.predict_class(split.test.X));
    pred_shallow.push_back(shallow.predict_class(split.test.X));
  }
  const double dis_full = disagreement(pred_full), dis_shallow = disagreement(pred_shallow);
  Rows rows;
  for (const auto& [name, count] : root_count) rows.push_back({name, std::to_string(count)});
  const std::string resamples_text = report.quote("instability.resamples", resamples);
  report.text(fmt::format(
      "{} resamples, each keeping a random {:.0f} % of the {} training rows of split {}; the full "
      "tree on all rows splits the root on \"{}\". Root features chosen across the resamples:",
      resamples_text, 100 * keep, split.train.n(), opt.seed,
      data.feature_names[static_cast<std::size_t>(ref_root)]));
  report.table({"root split feature", "resamples"}, rows);
  report.metric("instability.root_changed_fraction", static_cast<double>(root_changed) / resamples);
  report.metric("instability.top3_changed_fraction", static_cast<double>(top_changed) / resamples);
  report.metric("instability.unpruned.test_disagreement", dis_full);
  report.metric("instability.depth2.test_disagreement", dis_shallow);
  report.failure_mode(
      {.name = "Instability: a small resample changes the tree",
       .trigger = fmt::format("Refit the full tree on {} random {:.0f} % subsets of the same "
                              "training part.",
                              resamples_text, 100 * keep),
       .symptom = fmt::format(
           "The root split feature differs from the full-data tree's in {} of {} resamples ({} "
           "distinct root features); the features of the top three nodes differ in {} of {}; with "
           "the same root feature its threshold ranges over [{}, {}]; two refitted full trees "
           "disagree on {:.1f} % of the test points on average.",
           root_changed, resamples_text,
           report.quote("instability.distinct_root_features", root_features.size()), top_changed,
           resamples_text, report.quote("instability.root_threshold_min", thr_lo),
           report.quote("instability.root_threshold_max", thr_hi), 100 * dis_full),
       .why = "Greedy splitting is a discontinuous function of the data: when two features (here, "
              "strongly correlated size and concavity measures) give nearly the same gain at the "
              "root, removing a few rows swaps the winner, and every split below it changes with "
              "it.",
       .mitigation = fmt::format("Limiting the depth to 2 lowers the disagreement to {:.1f} % (at "
                                 "a cost in accuracy); averaging many resampled trees (bagging, "
                                 "lesson 2.9) removes most of the variance without that cost.",
                                 100 * dis_shallow)});
  fmt::print(
      "Instability: root feature changed in {}/{} resamples, top three in {}; test "
      "disagreement {:.3f} (depth 2: {:.3f})\n",
      root_changed, resamples, top_changed, dis_full, dis_shallow);
}

// ---- 6. Failure: axis-aligned splits on a rotated boundary -------------------------------

void rotated_boundary(mlc::Report& report, const mlc::Options& opt, mlc::Rng rng) {
  report.section("Failure mode: axis-aligned splits on a rotated boundary");
  const Eigen::Index n = opt.quick ? 500 : 2000;
  const Eigen::MatrixXd Xtr = rng.uniform_matrix(n, 2, -1.0, 1.0);
  const Eigen::MatrixXd Xte = rng.uniform_matrix(4000, 2, -1.0, 1.0);
  // y = 1 when the point lies above the line through 0 at angle θ to the x_1 axis
  const auto labels = [](const Eigen::MatrixXd& X, double theta) {
    return ((-std::sin(theta) * X.col(0) + std::cos(theta) * X.col(1)).array() > 0.0)
        .cast<int>()
        .eval();
  };
  std::vector<double> angles, leaves, depth4_acc;
  Rows rows;
  for (int deg = 0; deg <= 45; deg += 5) {
    const double theta = deg * std::numbers::pi / 180.0;
    const Eigen::VectorXi ytr = labels(Xtr, theta), yte = labels(Xte, theta);
    const dt::Tree full = dt::fit_classifier(Xtr, ytr, 2, {}, rng);
    const dt::Tree d4 = dt::fit_classifier(Xtr, ytr, 2, {.max_depth = 4}, rng);
    angles.push_back(deg);
    leaves.push_back(full.num_leaves());
    depth4_acc.push_back(me::accuracy(yte, d4.predict_class(Xte)));
    rows.push_back({mlc::num(deg), mlc::num(leaves.back()), mlc::num(depth4_acc.back())});
  }
  report.metric("rotated.angles_degrees", angles);
  report.metric("rotated.leaves", leaves);
  report.metric("rotated.depth4.test_accuracy", depth4_acc);
  // Mitigation at 45°: add the rotated coordinates x_1 + x_2 and x_2 − x_1 as features.
  const auto augment = [](const Eigen::MatrixXd& X) {
    Eigen::MatrixXd A(X.rows(), 4);
    A << X, X.col(0) + X.col(1), X.col(1) - X.col(0);
    return A;
  };
  const Eigen::VectorXi ytr = labels(Xtr, std::numbers::pi / 4),
                        yte = labels(Xte, std::numbers::pi / 4);
  const dt::Tree aug_full = dt::fit_classifier(augment(Xtr), ytr, 2, {}, rng);
  const dt::Tree aug_d4 = dt::fit_classifier(augment(Xtr), ytr, 2, {.max_depth = 4}, rng);
  const std::string aug_leaves = report.quote("rotated.augmented.leaves", aug_full.num_leaves());

  mlc::Figure fig(
      fmt::format("Leaves a pure tree needs for a linear boundary at angle θ (n = {})", n));
  fig.xlabel("angle of the boundary θ (degrees)").ylabel("leaves of the unpruned tree");
  fig.legend("top left");
  fig.line_points(angles, leaves, "axis-aligned tree on (x_1, x_2)");
  fig.hline(aug_full.num_leaves(),
            fmt::format("45°, with x_1 + x_2 and x_2 − x_1 added: {} leaves", aug_leaves));
  report.figure(fig, "rotated_boundary",
                "A boundary along an axis needs 2 leaves; a tilted one is approximated by a "
                "staircase whose number of steps grows with n and with the tilt.");
  report.table({"θ (degrees)", "leaves (unpruned)", "test accuracy at depth 4"}, rows);
  report.failure_mode(
      {.name = "Axis-aligned splits on a rotated boundary",
       .trigger = fmt::format(
           "Uniform points on [−1, 1]², class = side of a line through 0 at angle θ; n = {}.", n),
       .symptom = fmt::format(
           "The pure tree needs {} leaves at 0° but {} at 45°; at depth 4 test accuracy falls "
           "from {} to {}.",
           mlc::num(leaves.front()), mlc::num(leaves.back()), mlc::num(depth4_acc.front()),
           mlc::num(depth4_acc.back())),
       .why = "Each split is a threshold on one coordinate, so a decision region is a union of "
              "axis-aligned rectangles; an oblique line is approximated by a staircase with a "
              "step per few training points near the boundary.",
       .mitigation = fmt::format(
           "Adding the rotated coordinates x_1 + x_2 and x_2 − x_1 as features (or oblique "
           "splits, or a linear model): at 45° the tree needs {} leaves and reaches {} at depth 4.",
           aug_leaves,
           report.quote("rotated.augmented.depth4.test_accuracy",
                        me::accuracy(yte, aug_d4.predict_class(augment(Xte)))))});
  fmt::print("Rotated boundary: {} leaves at 0°, {} at 45°; with rotated features {}\n",
             mlc::num(leaves.front()), mlc::num(leaves.back()), aug_leaves);
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  const auto data = mlc::load_dataset("breast_cancer");
  breast_cancer_splits(report, opt, data, root);
  one_split(report, opt, data, root);
  diabetes_regression(report, opt, root);
  noise_memorisation(report, opt, root.derive(300));
  instability(report, opt, data, root.derive(400));
  rotated_boundary(report, opt, root.derive(500));
  report.headline(
      {"breast_cancer.pruned_tree.test_accuracy", "breast_cancer.full_tree.test_accuracy"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
