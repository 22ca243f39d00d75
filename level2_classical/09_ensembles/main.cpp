// 2.9 ensembles: bagging, random forests, AdaBoost and gradient boosting on 2.8's trees.
//
// Experiments (each a section of report.md):
//   1. digits over the five standard splits: a single pruned tree, bagging, a random forest
//      (with its out-of-bag estimate), AdaBoost (SAMME) and second-order gradient boosting with
//      the softmax loss; test error against the number of trees, OOB against test error;
//   2. breast cancer over the same splits;
//   3. the forest's impurity against permutation importance on breast cancer;
//   4. failure mode: boosting without shrinkage overfits as rounds grow;
//   5. failure mode: AdaBoost chases flipped labels.
// Follows Breiman (1996, 2001), Zhu et al. (2009), Friedman (2001, 2002), Chen & Guestrin
// (2016) and ESL ch. 10 and 15.
// Run: ./learn run ensembles [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "decision_trees.hpp"
#include "ensembles.hpp"
#include "lesson_identity.hpp"
#include "mlc/data.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "model_evaluation.hpp"

namespace dt = decision_trees;
namespace en = ensembles;
namespace me = model_evaluation;
using Eigen::VectorXi;
using Rows = std::vector<std::vector<std::string>>;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Bagging, random forests (feature subsampling, out-of-bag error, permutation importance), "
    "AdaBoost (SAMME) and second-order gradient boosting (softmax log-loss, K trees per round, "
    "shrinkage, row subsampling) built on lesson 2.8's trees, on digits and breast cancer over "
    "five splits. Failure modes: boosting without shrinkage overfits; AdaBoost on label noise.",
    "report.md, metrics.json, figures/error_vs_trees.svg, figures/oob_vs_test.svg, "
    "figures/permutation_importance.svg, figures/shrinkage.svg, figures/label_noise.svg, "
    "figures/label_noise_weight.svg");

Eigen::VectorXd one_to(std::size_t n) {
  return Eigen::VectorXd::LinSpaced(static_cast<Eigen::Index>(n), 1, static_cast<double>(n));
}
std::vector<double> error_of(const std::vector<double>& accuracy) {
  std::vector<double> e;
  for (double a : accuracy) e.push_back(1.0 - a);
  return e;
}

// The first split of me::evaluate_on_splits, which draws split r from Rng(seed + r): split 0 is
// the root stream itself, so the one-split experiments below reuse the protocol's first split.
mlc::TrainTestSplit first_split(const mlc::Dataset& data, std::uint64_t seed) {
  mlc::Rng rng(seed);
  return mlc::train_test_split(data, 0.25, rng);
}

// The ensembles of the lesson, sized for the full run or --quick.
struct Settings {
  en::ForestParams bagging, forest;
  en::AdaBoostParams adaboost;
  en::BoostingParams boosting;
};
Settings settings_for(const mlc::Options& opt, Eigen::Index d) {
  Settings s;
  s.bagging.n_trees = opt.quick ? 20 : 100;
  s.forest.n_trees = opt.quick ? 40 : 200;
  s.forest.max_features = static_cast<int>(std::lround(std::sqrt(static_cast<double>(d))));
  s.adaboost.n_rounds = opt.quick ? 30 : 200;
  s.adaboost.tree = {.max_depth = 4};
  s.adaboost.learning_rate = 0.5;
  s.boosting.n_rounds = opt.quick ? 25 : 100;
  s.boosting.learning_rate = 0.2;
  s.boosting.subsample = 0.8;
  s.boosting.tree = {
      .criterion = dt::Criterion::newton, .max_depth = 4, .lambda = 1.0, .min_child_weight = 1e-3};
  return s;
}

// Test accuracy per ensemble size on the first split (digits), for the figures of section 1.
struct Curves {
  std::vector<double> bagging, forest, oob, adaboost, boosting;
};

// A mean ± sd cell over the splits, recording NAME and NAME_sd.
std::string mean_sd_cell(mlc::Report& report, const std::string& name, double mean, double sd) {
  report.metric(name, mean);
  report.metric(name + "_sd", sd);
  return mlc::mean_sd(mean, sd);
}

// ---- 1–2. The five ensembles over the five splits --------------------------------------------
void five_splits(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data,
                 const std::string& key, Curves* curves) {
  const int repeats = opt.quick ? 1 : 5, K = data.num_classes();
  const Settings s = settings_for(opt, data.d());
  const mlc::Rng root(opt.seed);
  std::uint64_t split_index = 0;
  std::map<std::string, double> fit_time, predict_time;
  const auto summary = me::evaluate_on_splits(
      data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        mlc::Rng rng = root.derive(1000 + split_index);  // streams 1000, 1001, ...: one per split
        const VectorXi ytr = train.labels(), yte = test.labels();
        std::map<std::string, double> out;
        const auto timed = [&](const std::string& name, auto&& fit, auto&& predict) {
          mlc::Timer t;
          fit();
          fit_time[name] += t.seconds();
          t.reset();
          const VectorXi pred = predict();
          predict_time[name] += t.seconds();
          out[name + ".test_accuracy"] = me::accuracy(yte, pred);
        };
        dt::PrunedTree tree;
        timed(
            "pruned_tree", [&] { tree = dt::fit_pruned_classifier(train.X, ytr, K, {}, 5, rng); },
            [&] { return tree.pruned.predict_class(test.X); });
        en::RandomForest bagging, forest;
        timed(
            "bagging", [&] { bagging.fit(train.X, ytr, K, s.bagging, rng); },
            [&] { return bagging.predict(test.X); });
        timed(
            "random_forest", [&] { forest.fit(train.X, ytr, K, s.forest, rng); },
            [&] { return forest.predict(test.X); });
        out["random_forest.oob_accuracy"] = forest.oob_accuracy();
        en::AdaBoost ada;
        timed(
            "adaboost", [&] { ada.fit(train.X, ytr, K, s.adaboost, rng); },
            [&] { return ada.predict(test.X); });
        en::GradientBoosting gb;
        timed(
            "gradient_boosting",
            [&] {
              gb.fit(train.X, ytr, K, s.boosting, rng, {&test.X, &yte});
            },
            [&] { return gb.predict(test.X); });
        if (curves && split_index == 0)
          *curves = {bagging.staged_accuracy(test.X, yte), forest.staged_accuracy(test.X, yte),
                     forest.oob_accuracy_curve, ada.staged_accuracy(test.X, yte),
                     error_of(gb.eval_error)};  // boosting: monitored per round
        ++split_index;
        return out;
      });
  for (const auto& [name, seconds] : fit_time) {
    report.timing(key + "." + name + ".fit_seconds_mean", seconds / repeats);
    report.timing(key + "." + name + ".predict_seconds_mean", predict_time[name] / repeats);
  }
  Rows rows;  // one per metric: the five models' test accuracy, then the forest's OOB estimate
  for (const auto& [metric, label] : std::vector<std::pair<std::string, std::string>>{
           {"pruned_tree.test_accuracy", "single tree (2.8, pruned by CV)"},
           {"bagging.test_accuracy", fmt::format("bagging, {} trees", s.bagging.n_trees)},
           {"random_forest.test_accuracy",
            fmt::format("random forest, {} trees, {} features per split", s.forest.n_trees,
                        s.forest.max_features)},
           {"adaboost.test_accuracy",
            fmt::format("AdaBoost (SAMME), {} rounds of depth-{} trees, ν = {}",
                        s.adaboost.n_rounds, s.adaboost.tree.max_depth, s.adaboost.learning_rate)},
           {"gradient_boosting.test_accuracy",
            fmt::format("gradient boosting, {} rounds × {} trees, depth {}, η = {}, subsample {}",
                        s.boosting.n_rounds, K, s.boosting.tree.max_depth, s.boosting.learning_rate,
                        s.boosting.subsample)},
           {"random_forest.oob_accuracy", "random forest, out-of-bag estimate"}})
    rows.push_back({label, mean_sd_cell(report, key + "." + metric, summary.mean(metric),
                                        summary.sd(metric))});
  report.text(
      fmt::format("{} stratified 75/25 splits of {} ({} rows, {} features, {} classes; one seed "
                  "per split, from {} on), features standardized on the training part. Fit and "
                  "predict times per split are in the Timing section.",
                  repeats, key, data.n(), data.d(), K, opt.seed));
  report.table({"model", "test accuracy (mean ± sd)"}, rows);
  fmt::print(
      "{}: random forest {}, gradient boosting {}, bagging {}, AdaBoost {}, single tree {}\n", key,
      rows[2][1], rows[4][1], rows[1][1], rows[3][1], rows[0][1]);
}

void digits_curves(mlc::Report& report, const mlc::Options& opt, const Curves& c) {
  mlc::Figure fig("Digits: test error against the size of the ensemble (one split)");
  fig.xlabel("trees (boosting: rounds of K = 10 trees)")
      .ylabel("test error")
      .logx()
      .logy()
      .legend("top right");
  const auto curve = [&](const std::string& name, const std::vector<double>& accuracy) {
    report.metric("digits.split0." + name, error_of(accuracy));
    return 1.0 - accuracy.back();  // after the last tree
  };
  fig.line(one_to(c.bagging.size()), error_of(c.bagging), "bagging");
  fig.line(one_to(c.forest.size()), error_of(c.forest), "random forest");
  fig.line(one_to(c.adaboost.size()), error_of(c.adaboost), "AdaBoost (SAMME)");
  fig.line(one_to(c.boosting.size()), error_of(c.boosting), "gradient boosting");
  report.figure(
      fig, "error_vs_trees",
      fmt::format(
          "Test error of split {} as trees are added. Averaging (bagging, forest) converges to a "
          "floor set by the trees' correlation; boosting keeps reducing bias.",
          opt.seed));
  mlc::Figure oob("Random forest on digits: out-of-bag against test error (one split)");
  oob.xlabel("trees").ylabel("error").logx().legend("top right");
  oob.line(one_to(c.oob.size()), error_of(c.oob), "out-of-bag error (training part)");
  oob.line(one_to(c.forest.size()), error_of(c.forest), "test error");
  report.figure(oob, "oob_vs_test",
                "The OOB estimate (2) uses, for each training row, only the trees that did not see "
                "it: with few trees it averages fewer votes than the test curve and so sits above "
                "it; both settle at the same level.");
  const std::string forest = mlc::num(curve("random_forest.test_error_curve", c.forest));
  report.text(
      fmt::format("On split {}: after the last tree the test error is {} (bagging), {} (random "
                  "forest), {} (AdaBoost) and {} (gradient boosting); the forest's OOB error is {} "
                  "against its test error {}.",
                  opt.seed, mlc::num(curve("bagging.test_error_curve", c.bagging)), forest,
                  mlc::num(curve("adaboost.test_error_curve", c.adaboost)),
                  mlc::num(curve("gradient_boosting.test_error_curve", c.boosting)),
                  mlc::num(curve("random_forest.oob_error_curve", c.oob)), forest));
}

// ---- 3. Permutation against impurity importance (breast cancer) ------------------------------
void importance(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data) {
  report.section("Random forest importance on breast cancer: impurity against permutation");
  auto split = first_split(data, opt.seed);
  mlc::Standardizer scaler;
  split.train.X = scaler.fit_transform(split.train.X);
  split.test.X = scaler.transform(split.test.X);
  const VectorXi yte = split.test.labels();
  mlc::Rng rng = mlc::Rng(opt.seed).derive(2000);
  en::RandomForest forest;
  forest.fit(split.train.X, split.train.labels(), 2, settings_for(opt, data.d()).forest, rng);
  const Eigen::VectorXd mdi = forest.feature_importance();
  const int repeats = opt.quick ? 2 : 10;
  const Eigen::VectorXd perm = en::permutation_importance(
      [&](const Eigen::MatrixXd& X) { return forest.predict(X); }, split.test.X, yte, repeats, rng);
  report.metric("breast_cancer.split0.random_forest.impurity_importance", mdi);
  report.metric("breast_cancer.split0.random_forest.permutation_importance", perm);
  std::vector<Eigen::Index> order(static_cast<std::size_t>(data.d()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return mdi(a) > mdi(b); });
  order.resize(10);  // the top 10 by impurity importance
  std::vector<std::string> names;
  Eigen::VectorXd h(10);
  Rows rows;
  for (std::size_t j = 0; j < order.size(); ++j) {
    names.push_back(data.feature_names[static_cast<std::size_t>(order[j])]);
    h(static_cast<Eigen::Index>(j)) = perm(order[j]);
    rows.push_back({names.back(), mlc::num(mdi(order[j]), 3), mlc::num(perm(order[j]), 3)});
  }
  mlc::Figure fig(
      "Breast cancer: permutation importance of the forest's top-10 (impurity) features");
  fig.ylabel("test accuracy lost when the feature is shuffled").size(960, 480).legend("top right");
  fig.bars(names, h, fmt::format("permutation importance (mean of {} shuffles)", repeats));
  report.figure(fig, "permutation_importance",
                "Features in decreasing order of impurity importance; bar = drop in test accuracy "
                "when the column is shuffled (5). Correlated features share the impurity credit "
                "but lose little accuracy when shuffled alone, because their twins carry the same "
                "information.");
  report.table({"feature", "impurity importance", "permutation importance (test accuracy drop)"},
               rows);
  Eigen::Index top = 0;
  perm.maxCoeff(&top);
  report.text(fmt::format(
      "The largest permutation importance is {} (feature {}); the sum over all 30 features is {}.",
      mlc::num(perm(top)), data.feature_names[static_cast<std::size_t>(top)],
      mlc::num(perm.sum())));
}

// ---- 4. Failure: boosting without shrinkage -----------------------------------------------------
void shrinkage(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data) {
  report.section("Failure mode: boosting without shrinkage overfits");
  const auto split = first_split(data, opt.seed);
  const VectorXi yte = split.test.labels();
  const int rounds = opt.quick ? 60 : 300;
  mlc::Figure fig("Breast cancer: log-loss of gradient boosting against rounds (one split)");
  fig.xlabel("boosting round").ylabel("log-loss").logx().logy().legend("bottom left");
  Rows rows;
  std::map<double, std::map<std::string, std::string>> q;  // quoted, per η
  for (double eta : {1.0, 0.1}) {
    mlc::Rng rng = mlc::Rng(opt.seed).derive(3000);  // the same stream for both η
    en::BoostingParams p;
    p.n_rounds = rounds;
    p.learning_rate = eta;
    p.tree = {.criterion = dt::Criterion::newton, .max_depth = 2, .lambda = 1.0};
    en::GradientBoosting f;
    f.fit(split.train.X, split.train.labels(), 2, p, rng, {&split.test.X, &yte});
    fig.line(one_to(f.train_loss.size()), f.train_loss, fmt::format("train, η = {}", eta),
             {.dash = true});
    fig.line(one_to(f.eval_loss.size()), f.eval_loss, fmt::format("test, η = {}", eta));
    const auto best = std::min_element(f.eval_loss.begin(), f.eval_loss.end());
    const std::string k = eta == 1.0 ? "shrinkage.eta_1." : "shrinkage.eta_0.1.";
    for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
             {"min_test_loss", *best},
             {"min_test_loss_round", static_cast<double>(best - f.eval_loss.begin() + 1)},
             {"final_test_loss", f.eval_loss.back()},
             {"final_train_loss", f.train_loss.back()},
             {"min_test_error", *std::min_element(f.eval_error.begin(), f.eval_error.end())},
             {"final_test_error", f.eval_error.back()}})
      q[eta][name] = report.quote(k + name, value);
    q[eta]["increase"] = fmt::format("{:.0f}", 100 * (f.eval_loss.back() / *best - 1));
    rows.push_back({mlc::num(eta), q[eta]["min_test_loss"], q[eta]["min_test_loss_round"],
                    q[eta]["final_test_loss"], q[eta]["final_train_loss"], q[eta]["min_test_error"],
                    q[eta]["final_test_error"]});
  }
  report.figure(fig, "shrinkage",
                "Without shrinkage (η = 1, full Newton steps) the training loss collapses within a "
                "few rounds and the test loss turns upward as the scores grow overconfident; with "
                "η = 0.1 the test loss stays near its minimum.");
  report.table({"η", "min test loss", "at round", fmt::format("test loss at round {}", rounds),
                "train loss at the end", "min test error", "final test error"},
               rows);
  report.failure_mode(
      {.name = "Boosting without shrinkage overfits as rounds grow",
       .trigger = fmt::format(
           "Gradient boosting with η = 1 (full second-order steps), depth-2 trees, λ = 1, {} "
           "rounds on a breast-cancer split.",
           rounds),
       .symptom = fmt::format(
           "The test log-loss reaches its minimum {} at round {} and then rises to {} at round {} "
           "while the training loss falls to {}.",
           q[1.0]["min_test_loss"], q[1.0]["min_test_loss_round"], q[1.0]["final_test_loss"],
           rounds, q[1.0]["final_train_loss"]),
       .why = "Each round fits the residual gradients of the training rows; once those are tiny, "
              "the trees fit noise and push the scores of the training rows to ±∞ with large "
              "steps, so the few misclassified test points receive confident wrong probabilities, "
              "which the log-loss punishes without bound.",
       .mitigation = fmt::format(
           "Shrinkage η = 0.1 (Friedman 2001): minimum test loss {} at round {}, {} at round {} "
           "(an increase of {} % instead of {} %); early stopping on a validation part would also "
           "stop at the minimum.",
           q[0.1]["min_test_loss"], q[0.1]["min_test_loss_round"], q[0.1]["final_test_loss"],
           rounds, q[0.1]["increase"], q[1.0]["increase"])});
  fmt::print("Shrinkage: eta=1 test loss {} -> {}; eta=0.1 {} -> {}\n", q[1.0]["min_test_loss"],
             q[1.0]["final_test_loss"], q[0.1]["min_test_loss"], q[0.1]["final_test_loss"]);
}

// ---- 5. Failure: AdaBoost on label noise
// ----------------------------------------------------------
void label_noise(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data) {
  report.section("Failure mode: AdaBoost on label noise");
  const auto split = first_split(data, opt.seed);
  const VectorXi ytr = split.train.labels(), yte = split.test.labels();
  const std::vector<double> rates = opt.quick ? std::vector<double>{0.0, 0.1, 0.3}
                                              : std::vector<double>{0.0, 0.05, 0.1, 0.2, 0.3};
  en::AdaBoostParams ada_params;
  ada_params.n_rounds = opt.quick ? 50 : 400;
  ada_params.tree = {.max_depth = 1};
  en::ForestParams rf_params = settings_for(opt, data.d()).forest;
  rf_params.n_trees = opt.quick ? 30 : 100;
  std::vector<double> ada_err, rf_err, flipped_weight;
  Rows rows;
  for (double rate : rates) {
    // Streams 4000 + percent flipped: one per noise level, shared by the flips and both models.
    mlc::Rng rng =
        mlc::Rng(opt.seed).derive(4000 + static_cast<std::uint64_t>(std::lround(rate * 100)));
    VectorXi noisy = ytr;
    const auto flipped = rng.sample_without_replacement(
        ytr.size(), std::lround(rate * static_cast<double>(ytr.size())));
    for (auto i : flipped) noisy(i) = 1 - noisy(i);
    en::AdaBoost ada;
    ada.fit(split.train.X, noisy, 2, ada_params, rng);
    en::RandomForest rf;
    rf.fit(split.train.X, noisy, 2, rf_params, rng);
    ada_err.push_back(1.0 - me::accuracy(yte, ada.predict(split.test.X)));
    rf_err.push_back(1.0 - me::accuracy(yte, rf.predict(split.test.X)));
    double w = 0.0;
    for (auto i : flipped) w += ada.sample_weights(i);
    flipped_weight.push_back(w);
    rows.push_back(
        {mlc::num(rate), mlc::num(ada_err.back()), mlc::num(rf_err.back()), mlc::num(w)});
  }
  report.metric("label_noise.rates", rates);
  report.metric("label_noise.adaboost.test_error", ada_err);
  report.metric("label_noise.random_forest.test_error", rf_err);
  report.metric("label_noise.adaboost.flipped_weight_share", flipped_weight);
  mlc::Figure fig("Breast cancer with flipped training labels: test error on clean labels");
  fig.xlabel("fraction of training labels flipped").ylabel("test error").legend("top left");
  fig.line_points(rates, ada_err, fmt::format("AdaBoost, {} stumps", ada_params.n_rounds));
  fig.line_points(rates, rf_err, fmt::format("random forest, {} trees", rf_params.n_trees));
  report.figure(fig, "label_noise",
                "Test error (clean test labels) of AdaBoost and a random forest trained on labels "
                "with a fraction flipped.");
  // The weight share is not an error: its own figure, against the share under uniform weights.
  mlc::Figure weight(
      "AdaBoost on flipped training labels: share of the final sample weight on the flipped rows");
  weight.xlabel("fraction of training labels flipped")
      .ylabel("share of AdaBoost's sample weight")
      .legend("top left");
  weight.line_points(
      rates, flipped_weight,
      fmt::format("AdaBoost, {} stumps: weight on the flipped rows", ada_params.n_rounds));
  weight.line(rates, rates, "uniform weights (share = fraction flipped)", {.dash = true});
  report.figure(weight, "label_noise_weight",
                "Share of AdaBoost's final sample weight (8) carried by the flipped rows, against "
                "the fraction flipped; dashed: the share the same rows would have under uniform "
                "weights.");
  report.table({"flipped fraction", "AdaBoost test error", "random forest test error",
                "AdaBoost weight on flipped rows"},
               rows);
  const std::size_t j = std::find(rates.begin(), rates.end(), 0.1) - rates.begin();
  report.failure_mode(
      {.name = "AdaBoost chases label noise",
       .trigger = fmt::format(
           "Flip a fraction of the breast-cancer training labels; AdaBoost (SAMME) with {} stumps.",
           ada_params.n_rounds),
       .symptom = fmt::format(
           "With {:.0f} % flipped, the flipped rows carry {:.0f} % of the final sample weight; the "
           "test error grows from {} (clean) to {} ({:.0f} % flipped).",
           100 * rates[j], 100 * flipped_weight[j], rows.front()[1], rows.back()[1],
           100 * rates.back()),
       .why =
           "The exponential loss behind AdaBoost multiplies the weight of a misclassified row by "
           "e^α every round (8); a flipped row is misclassified by every sensible learner, so its "
           "weight grows geometrically and later learners are fitted mostly to the noise "
           "(Dietterich 2000; Long & Servedio 2010).",
       .mitigation = fmt::format(
           "A random forest on the same noisy labels: test error {} (clean) to {} ({:.0f} % "
           "flipped); averaging never reweights rows. (Shrinkage, fewer rounds or a robust loss "
           "such as the log-loss of gradient boosting also help.)",
           rows.front()[2], rows.back()[2], 100 * rates.back())});
  fmt::print("Label noise: AdaBoost error {} -> {}; forest {} -> {}\n", rows.front()[1],
             rows.back()[1], rows.front()[2], rows.back()[2]);
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const auto digits = mlc::load_dataset("digits");
  const auto cancer = mlc::load_dataset("breast_cancer");
  report.section("Digits: five ensembles over the standard splits");
  Curves curves;
  five_splits(report, opt, digits, "digits", &curves);
  digits_curves(report, opt, curves);
  report.section("Breast cancer over the standard splits");
  five_splits(report, opt, cancer, "breast_cancer", nullptr);
  importance(report, opt, cancer);
  shrinkage(report, opt, cancer);
  label_noise(report, opt, cancer);
  report.headline({"digits.random_forest.test_accuracy", "digits.gradient_boosting.test_accuracy",
                   "breast_cancer.random_forest.test_accuracy"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
