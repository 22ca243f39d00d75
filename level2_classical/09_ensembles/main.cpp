// 2.9 ensembles: bagging, random forests, AdaBoost and gradient boosting on 2.8's trees.
//
// Digits and breast cancer over the five standard splits: a single pruned tree, bagging,
// a random forest (with its out-of-bag estimate and permutation importance), AdaBoost
// (SAMME) and second-order gradient boosting with the softmax loss. Test error against
// the number of trees; OOB against test error. Then the two failure modes: boosting
// without shrinkage overfits as rounds grow, and AdaBoost chases flipped labels.
// Follows Breiman (1996, 2001), Zhu et al. (2009), Friedman (2001, 2002), Chen & Guestrin
// (2016) and ESL ch. 10 and 15.
//
// Run: ./learn run ensembles [--seed N] [--quick]
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "decision_trees.hpp"
#include "ensembles.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/report.hpp"
#include "mlc/stats.hpp"
#include "model_evaluation.hpp"

namespace dt = decision_trees;
namespace en = ensembles;
namespace me = model_evaluation;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Bagging, random forests (feature subsampling, out-of-bag error, permutation importance), "
    "AdaBoost (SAMME) and second-order gradient boosting (softmax log-loss, K trees per round, "
    "shrinkage, row subsampling) built on lesson 2.8's trees, on digits and breast cancer over five "
    "splits. Failure modes: boosting without shrinkage overfits; AdaBoost on label noise.",
    "report.md, metrics.json, figures/error_vs_trees.svg, figures/oob_vs_test.svg, "
    "figures/permutation_importance.svg, figures/shrinkage.svg, figures/label_noise.svg, "
    "figures/label_noise_weight.svg");

Eigen::VectorXd one_to(std::size_t n) { return Eigen::VectorXd::LinSpaced(static_cast<Eigen::Index>(n), 1, static_cast<double>(n)); }
std::vector<double> error_of(const std::vector<double>& accuracy) {
  std::vector<double> e;
  for (double a : accuracy) e.push_back(1.0 - a);
  return e;
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
  s.boosting.tree = {.criterion = dt::Criterion::newton, .max_depth = 4, .lambda = 1.0, .min_child_weight = 1e-3};
  return s;
}

struct Curves {
  std::vector<double> bagging, forest, oob, adaboost, boosting;
};

// ---- 1. Digits and breast cancer over the five splits ------------------------------------------
void five_splits(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data, const std::string& key,
                 Curves* curves) {
  const int repeats = opt.quick ? 1 : 5;
  const int K = data.num_classes();
  const Settings s = settings_for(opt, data.d());
  std::uint64_t split_index = 0;
  std::map<std::string, double> fit_time, predict_time;
  const auto summary = me::evaluate_on_splits(data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
    mlc::Rng rng = mlc::Rng(opt.seed).derive(1000 + split_index);
    const Eigen::VectorXi ytr = train.labels(), yte = test.labels();
    std::map<std::string, double> out;
    auto timed = [&](const std::string& name, auto&& fit, auto&& predict) {
      mlc::Timer t;
      fit();
      fit_time[name] += t.seconds();
      t.reset();
      const Eigen::VectorXi pred = predict();
      predict_time[name] += t.seconds();
      out[name + ".test_accuracy"] = me::accuracy(yte, pred);
    };
    dt::PrunedTree tree;
    timed("pruned_tree", [&] { tree = dt::fit_pruned_classifier(train.X, ytr, K, {}, 5, rng); },
          [&] { return tree.pruned.predict_class(test.X); });
    en::RandomForest bagging, forest;
    timed("bagging", [&] { bagging.fit(train.X, ytr, K, s.bagging, rng); }, [&] { return bagging.predict(test.X); });
    timed("random_forest", [&] { forest.fit(train.X, ytr, K, s.forest, rng); }, [&] { return forest.predict(test.X); });
    out["random_forest.oob_accuracy"] = forest.oob_accuracy();
    en::AdaBoost ada;
    timed("adaboost", [&] { ada.fit(train.X, ytr, K, s.adaboost, rng); }, [&] { return ada.predict(test.X); });
    en::GradientBoosting gb;
    timed("gradient_boosting", [&] { gb.fit(train.X, ytr, K, s.boosting, rng, {&test.X, &yte}); },
          [&] { return gb.predict(test.X); });
    if (curves && split_index == 0) {
      curves->bagging = bagging.staged_accuracy(test.X, yte);
      curves->forest = forest.staged_accuracy(test.X, yte);
      curves->oob = forest.oob_accuracy_curve;
      curves->adaboost = ada.staged_accuracy(test.X, yte);
      curves->boosting = error_of(gb.eval_error);  // accuracy per round (monitoring only)
    }
    ++split_index;
    return out;
  });
  const std::vector<std::pair<std::string, std::string>> models{
      {"pruned_tree", "single tree (2.8, pruned by CV)"},
      {"bagging", fmt::format("bagging, {} trees", s.bagging.n_trees)},
      {"random_forest", fmt::format("random forest, {} trees, {} features per split", s.forest.n_trees, s.forest.max_features)},
      {"adaboost", fmt::format("AdaBoost (SAMME), {} rounds of depth-{} trees, ν = {}", s.adaboost.n_rounds,
                               s.adaboost.tree.max_depth, s.adaboost.learning_rate)},
      {"gradient_boosting", fmt::format("gradient boosting, {} rounds × {} trees, depth {}, η = {}, subsample {}",
                                        s.boosting.n_rounds, K, s.boosting.tree.max_depth, s.boosting.learning_rate,
                                        s.boosting.subsample)}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, label] : models) {
    const std::string m = name + ".test_accuracy";
    rows.push_back({label, mlc::mean_sd(summary.mean(m), summary.sd(m))});
    report.metric(key + "." + m, summary.mean(m));
    report.metric(key + "." + m + "_sd", summary.sd(m));
    report.timing(key + "." + name + ".fit_seconds_mean", fit_time[name] / repeats);
    report.timing(key + "." + name + ".predict_seconds_mean", predict_time[name] / repeats);
  }
  rows.push_back({"random forest, out-of-bag estimate",
                  mlc::mean_sd(summary.mean("random_forest.oob_accuracy"), summary.sd("random_forest.oob_accuracy"))});
  report.metric(key + ".random_forest.oob_accuracy", summary.mean("random_forest.oob_accuracy"));
  report.metric(key + ".random_forest.oob_accuracy_sd", summary.sd("random_forest.oob_accuracy"));
  report.text(fmt::format(
      "{} stratified 75/25 splits of {} ({} rows, {} features, {} classes; seeds {}..{}), features standardized "
      "on the training part. Fit and predict times per split are in the Timing section.",
      repeats, key, data.n(), data.d(), K, opt.seed, opt.seed + repeats - 1));
  report.table({"model", "test accuracy (mean ± sd)"}, rows);
  fmt::print("{}: random forest {}, gradient boosting {}, bagging {}, AdaBoost {}, single tree {}\n", key,
             mlc::mean_sd(summary.mean("random_forest.test_accuracy"), summary.sd("random_forest.test_accuracy")),
             mlc::mean_sd(summary.mean("gradient_boosting.test_accuracy"), summary.sd("gradient_boosting.test_accuracy")),
             mlc::num(summary.mean("bagging.test_accuracy")), mlc::num(summary.mean("adaboost.test_accuracy")),
             mlc::num(summary.mean("pruned_tree.test_accuracy")));
}

void digits_curves(mlc::Report& report, const mlc::Options& opt, const Curves& c) {
  mlc::Figure fig("Digits: test error against the size of the ensemble (one split)");
  fig.xlabel("trees (boosting: rounds of K = 10 trees)").ylabel("test error").logx().logy().legend("top right");
  fig.line(one_to(c.bagging.size()), mlc::to_vector(error_of(c.bagging)), "bagging");
  fig.line(one_to(c.forest.size()), mlc::to_vector(error_of(c.forest)), "random forest");
  fig.line(one_to(c.adaboost.size()), mlc::to_vector(error_of(c.adaboost)), "AdaBoost (SAMME)");
  fig.line(one_to(c.boosting.size()), mlc::to_vector(error_of(c.boosting)), "gradient boosting");
  report.figure(fig, "error_vs_trees",
                fmt::format("Test error of split {} as trees are added. Averaging (bagging, forest) converges to a "
                            "floor set by the trees' correlation; boosting keeps reducing bias.", opt.seed));
  mlc::Figure oob("Random forest on digits: out-of-bag against test error (one split)");
  oob.xlabel("trees").ylabel("error").logx().legend("top right");
  oob.line(one_to(c.oob.size()), mlc::to_vector(error_of(c.oob)), "out-of-bag error (training part)");
  oob.line(one_to(c.forest.size()), mlc::to_vector(error_of(c.forest)), "test error");
  report.figure(oob, "oob_vs_test",
                "The OOB estimate (2) uses, for each training row, only the trees that did not see it: with few trees "
                "it averages fewer votes than the test curve and so sits above it; both settle at the same level.");
  auto last = [](const std::vector<double>& v) { return 1.0 - v.back(); };
  report.metric("digits.split0.bagging.test_error_curve", error_of(c.bagging));
  report.metric("digits.split0.random_forest.test_error_curve", error_of(c.forest));
  report.metric("digits.split0.random_forest.oob_error_curve", error_of(c.oob));
  report.metric("digits.split0.adaboost.test_error_curve", error_of(c.adaboost));
  report.metric("digits.split0.gradient_boosting.test_error_curve", error_of(c.boosting));
  report.text(fmt::format(
      "On split {}: after the last tree the test error is {} (bagging), {} (random forest), {} (AdaBoost) and {} "
      "(gradient boosting); the forest's OOB error is {} against its test error {}.",
      opt.seed, mlc::num(last(c.bagging)), mlc::num(last(c.forest)), mlc::num(last(c.adaboost)),
      mlc::num(last(c.boosting)), mlc::num(last(c.oob)), mlc::num(last(c.forest))));
}

// ---- 2. Permutation against impurity importance (breast cancer) ---------------------------------
void importance(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data) {
  report.section("Random forest importance on breast cancer: impurity against permutation");
  mlc::Rng split_rng(opt.seed);
  auto split = mlc::train_test_split(data, 0.25, split_rng);
  mlc::Standardizer scaler;
  split.train.X = scaler.fit_transform(split.train.X);
  split.test.X = scaler.transform(split.test.X);
  const Eigen::VectorXi ytr = split.train.labels(), yte = split.test.labels();
  mlc::Rng rng = mlc::Rng(opt.seed).derive(2000);
  en::RandomForest forest;
  en::ForestParams params = settings_for(opt, data.d()).forest;
  forest.fit(split.train.X, ytr, 2, params, rng);
  const Eigen::VectorXd mdi = forest.feature_importance();
  const int repeats = opt.quick ? 2 : 10;
  const Eigen::VectorXd perm = en::permutation_importance([&](const Eigen::MatrixXd& X) { return forest.predict(X); },
                                                          split.test.X, yte, repeats, rng);
  std::vector<Eigen::Index> order(static_cast<std::size_t>(data.d()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return mdi(a) > mdi(b); });
  const int top = 10;
  std::vector<std::string> names;
  Eigen::VectorXd h(top);
  std::vector<std::vector<std::string>> rows;
  for (int j = 0; j < top; ++j) {
    const auto f = order[static_cast<std::size_t>(j)];
    names.push_back(data.feature_names[static_cast<std::size_t>(f)]);
    h(j) = perm(f);
    rows.push_back({names.back(), mlc::num(mdi(f), 3), mlc::num(perm(f), 3)});
  }
  mlc::Figure fig("Breast cancer: permutation importance of the forest's top-10 (impurity) features");
  fig.ylabel("test accuracy lost when the feature is shuffled").size(960, 480).legend("top right");
  fig.bars(names, h, fmt::format("permutation importance (mean of {} shuffles)", repeats));
  report.figure(fig, "permutation_importance",
                "Features in decreasing order of impurity importance; bar = drop in test accuracy when the column is "
                "shuffled (5). Correlated features share the impurity credit but lose little accuracy when shuffled "
                "alone, because their twins carry the same information.");
  report.table({"feature", "impurity importance", "permutation importance (test accuracy drop)"}, rows);
  report.metric("breast_cancer.split0.random_forest.impurity_importance", mdi);
  report.metric("breast_cancer.split0.random_forest.permutation_importance", perm);
  report.text(fmt::format("The largest permutation importance is {} (feature {}); the sum over all 30 features is {}.",
                          mlc::num(perm.maxCoeff()),
                          data.feature_names[static_cast<std::size_t>(std::max_element(perm.data(), perm.data() + perm.size()) - perm.data())],
                          mlc::num(perm.sum())));
}

// ---- 3. Failure: boosting without shrinkage -----------------------------------------------------
void shrinkage(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data) {
  report.section("Failure mode: boosting without shrinkage overfits");
  mlc::Rng split_rng(opt.seed);
  auto split = mlc::train_test_split(data, 0.25, split_rng);
  const Eigen::VectorXi ytr = split.train.labels(), yte = split.test.labels();
  const int rounds = opt.quick ? 60 : 300;
  std::map<double, en::GradientBoosting> fits;
  for (double eta : {1.0, 0.1}) {
    mlc::Rng rng = mlc::Rng(opt.seed).derive(3000);
    en::BoostingParams p;
    p.n_rounds = rounds;
    p.learning_rate = eta;
    p.tree = {.criterion = dt::Criterion::newton, .max_depth = 2, .lambda = 1.0};
    fits[eta].fit(split.train.X, ytr, 2, p, rng, {&split.test.X, &yte});
  }
  mlc::Figure fig("Breast cancer: log-loss of gradient boosting against rounds (one split)");
  fig.xlabel("boosting round").ylabel("log-loss").logx().logy().legend("bottom left");
  const auto x = one_to(static_cast<std::size_t>(rounds));
  for (double eta : {1.0, 0.1}) {
    fig.line(x, mlc::to_vector(fits[eta].train_loss), fmt::format("train, η = {}", eta), {.dash = true});
    fig.line(x, mlc::to_vector(fits[eta].eval_loss), fmt::format("test, η = {}", eta));
  }
  report.figure(fig, "shrinkage",
                "Without shrinkage (η = 1, full Newton steps) the training loss collapses within a few rounds and the "
                "test loss turns upward as the scores grow overconfident; with η = 0.1 the test loss stays near its "
                "minimum.");
  std::vector<std::vector<std::string>> rows;
  std::map<double, std::array<double, 5>> m;
  for (double eta : {1.0, 0.1}) {
    const auto& f = fits[eta];
    const auto best = std::min_element(f.eval_loss.begin(), f.eval_loss.end()) - f.eval_loss.begin();
    m[eta] = {f.eval_loss[static_cast<std::size_t>(best)], static_cast<double>(best + 1), f.eval_loss.back(),
              f.train_loss.back(), f.eval_error.back()};
    const std::string k = eta == 1.0 ? "shrinkage.eta_1" : "shrinkage.eta_0.1";
    report.metric(k + ".min_test_loss", m[eta][0]);
    report.metric(k + ".min_test_loss_round", m[eta][1]);
    report.metric(k + ".final_test_loss", m[eta][2]);
    report.metric(k + ".final_train_loss", m[eta][3]);
    report.metric(k + ".final_test_error", m[eta][4]);
    report.metric(k + ".min_test_error", *std::min_element(f.eval_error.begin(), f.eval_error.end()));
    rows.push_back({mlc::num(eta), mlc::num(m[eta][0]), mlc::num(m[eta][1]), mlc::num(m[eta][2]), mlc::num(m[eta][3]),
                    mlc::num(*std::min_element(f.eval_error.begin(), f.eval_error.end())), mlc::num(m[eta][4])});
  }
  report.table({"η", "min test loss", "at round", fmt::format("test loss at round {}", rounds), "train loss at the end",
                "min test error", "final test error"},
               rows);
  report.failure_mode(
      {.name = "Boosting without shrinkage overfits as rounds grow",
       .trigger = fmt::format("Gradient boosting with η = 1 (full second-order steps), depth-2 trees, λ = 1, {} "
                              "rounds on a breast-cancer split.",
                              rounds),
       .symptom = fmt::format("The test log-loss reaches its minimum {} at round {} and then rises to {} at round {} "
                              "while the training loss falls to {}.",
                              mlc::num(m[1.0][0]), mlc::num(m[1.0][1]), mlc::num(m[1.0][2]), rounds, mlc::num(m[1.0][3])),
       .why = "Each round fits the residual gradients of the training rows; once those are tiny, the trees fit noise "
              "and push the scores of the training rows to ±∞ with large steps, so the few misclassified test points "
              "receive confident wrong probabilities, which the log-loss punishes without bound.",
       .mitigation = fmt::format("Shrinkage η = 0.1 (Friedman 2001): minimum test loss {} at round {}, {} at round {} "
                                 "(an increase of {:.0f} % instead of {:.0f} %); early stopping on a validation part "
                                 "would also stop at the minimum.",
                                 mlc::num(m[0.1][0]), mlc::num(m[0.1][1]), mlc::num(m[0.1][2]), rounds,
                                 100 * (m[0.1][2] / m[0.1][0] - 1), 100 * (m[1.0][2] / m[1.0][0] - 1))});
  fmt::print("Shrinkage: eta=1 test loss {} -> {}; eta=0.1 {} -> {}\n", mlc::num(m[1.0][0]), mlc::num(m[1.0][2]),
             mlc::num(m[0.1][0]), mlc::num(m[0.1][2]));
}

// ---- 4. Failure: AdaBoost on label noise ----------------------------------------------------------
void label_noise(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data) {
  report.section("Failure mode: AdaBoost on label noise");
  mlc::Rng split_rng(opt.seed);
  auto split = mlc::train_test_split(data, 0.25, split_rng);
  const Eigen::VectorXi ytr = split.train.labels(), yte = split.test.labels();
  const std::vector<double> rates = opt.quick ? std::vector<double>{0.0, 0.1, 0.3} : std::vector<double>{0.0, 0.05, 0.1, 0.2, 0.3};
  en::AdaBoostParams ada_params;
  ada_params.n_rounds = opt.quick ? 50 : 400;
  ada_params.tree = {.max_depth = 1};
  en::ForestParams rf_params = settings_for(opt, data.d()).forest;
  rf_params.n_trees = opt.quick ? 30 : 100;
  std::vector<double> ada_err, rf_err, flipped_weight;
  for (double rate : rates) {
    mlc::Rng rng = mlc::Rng(opt.seed).derive(4000 + static_cast<std::uint64_t>(std::lround(rate * 100)));
    Eigen::VectorXi noisy = ytr;
    const auto k = static_cast<Eigen::Index>(std::lround(rate * static_cast<double>(ytr.size())));
    const auto flipped = rng.sample_without_replacement(ytr.size(), k);
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
  }
  mlc::Figure fig("Breast cancer with flipped training labels: test error on clean labels");
  fig.xlabel("fraction of training labels flipped").ylabel("test error").legend("top left");
  fig.line_points(rates, ada_err, fmt::format("AdaBoost, {} stumps", ada_params.n_rounds));
  fig.line_points(rates, rf_err, fmt::format("random forest, {} trees", rf_params.n_trees));
  report.figure(fig, "label_noise",
                "Test error (clean test labels) of AdaBoost and a random forest trained on labels with a fraction "
                "flipped.");
  // The weight share is not an error: its own figure, against the share under uniform weights.
  mlc::Figure weight("AdaBoost on flipped training labels: share of the final sample weight on the flipped rows");
  weight.xlabel("fraction of training labels flipped").ylabel("share of AdaBoost's sample weight").legend("top left");
  weight.line_points(rates, flipped_weight,
                     fmt::format("AdaBoost, {} stumps: weight on the flipped rows", ada_params.n_rounds));
  weight.line(rates, rates, "uniform weights (share = fraction flipped)", {.dash = true});
  report.figure(weight, "label_noise_weight",
                "Share of AdaBoost's final sample weight (8) carried by the flipped rows, against the fraction flipped; "
                "dashed: the share the same rows would have under uniform weights.");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t j = 0; j < rates.size(); ++j) {
    rows.push_back({mlc::num(rates[j]), mlc::num(ada_err[j]), mlc::num(rf_err[j]), mlc::num(flipped_weight[j])});
  }
  report.table({"flipped fraction", "AdaBoost test error", "random forest test error", "AdaBoost weight on flipped rows"}, rows);
  report.metric("label_noise.rates", rates);
  report.metric("label_noise.adaboost.test_error", ada_err);
  report.metric("label_noise.random_forest.test_error", rf_err);
  report.metric("label_noise.adaboost.flipped_weight_share", flipped_weight);
  const std::size_t j = std::find(rates.begin(), rates.end(), 0.1) - rates.begin();
  report.failure_mode(
      {.name = "AdaBoost chases label noise",
       .trigger = fmt::format("Flip a fraction of the breast-cancer training labels; AdaBoost (SAMME) with {} stumps.",
                              ada_params.n_rounds),
       .symptom = fmt::format("With {:.0f} % flipped, the flipped rows carry {:.0f} % of the final sample weight; the "
                              "test error grows from {} (clean) to {} ({:.0f} % flipped).",
                              100 * rates[j], 100 * flipped_weight[j], mlc::num(ada_err.front()), mlc::num(ada_err.back()),
                              100 * rates.back()),
       .why = "The exponential loss behind AdaBoost multiplies the weight of a misclassified row by e^α every round "
              "(8); a flipped row is misclassified by every sensible learner, so its weight grows geometrically and "
              "later learners are fitted mostly to the noise (Dietterich 2000; Long & Servedio 2010).",
       .mitigation = fmt::format("A random forest on the same noisy labels: test error {} (clean) to {} ({:.0f} % "
                                 "flipped); averaging never reweights rows. (Shrinkage, fewer rounds or a robust loss "
                                 "such as the log-loss of gradient boosting also help.)",
                                 mlc::num(rf_err.front()), mlc::num(rf_err.back()), 100 * rates.back())});
  fmt::print("Label noise: AdaBoost error {} -> {}; forest {} -> {}\n", mlc::num(ada_err.front()), mlc::num(ada_err.back()),
             mlc::num(rf_err.front()), mlc::num(rf_err.back()));
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
  report.write();
}

}  // namespace

int main(int argc, char** argv) { return mlc::lesson_main(argc, argv, kLesson, run); }
