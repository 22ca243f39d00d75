// 2.5 model_evaluation: lesson 2.4's logistic regression evaluated on breast cancer (malignant
// is the positive class) the way a careful practitioner would, then evaluation broken on
// purpose. Follows Hastie, Tibshirani & Friedman, The Elements of Statistical Learning (2nd
// ed.), §7.10.2 "The wrong and right way to do cross-validation".
//
// Experiments (each section of report.md):
//   1. metrics over repeated stratified splits; one split in detail: confusion matrix, ROC and
//      PR curves, the AUC checked against the Mann–Whitney statistic;
//   2. hold-out against k-fold cross-validation: the spread of the estimate;
//   3. calibration: reliability diagrams, Brier score, Platt scaling and isotonic regression
//      fitted on a separate calibration part;
//   4. failure mode: leakage (feature screening before the split) on pure-noise labels;
//   5. failure mode: a high AUC with poor precision on an imbalanced problem.
// Run: ./learn run model_evaluation [--quick] [--seed N] [--out DIR]
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lesson_identity.hpp"
#include "logistic_regression.hpp"
#include "mlc/cli.hpp"
#include "mlc/error.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "model_evaluation.hpp"

namespace me = model_evaluation;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Evaluates a classifier honestly: repeated stratified splits, confusion matrix, "
    "precision/recall/F1, ROC and PR curves (AUC checked against the Mann-Whitney "
    "statistic), calibration with reliability diagrams, Platt scaling and isotonic "
    "regression. Then provokes leakage on pure-noise labels and the imbalanced-data trap.",
    "report.md, metrics.json, figures/roc.svg, figures/precision_recall.svg, "
    "figures/reliability.svg, figures/cv_spread.svg, figures/leakage.svg, figures/imbalance.svg");

constexpr double kLambda = 1e-2;  // L2 penalty of the logistic regression under evaluation

// Streams of the seed; the reshuffles use kReshuffle + r and the calibration splits
// kCalibration + r. The protocol's splits use the seed itself, as evaluate_on_splits defines.
enum Stream : std::uint64_t {
  kNoise = 11,
  kLeakageFolds = 12,
  kLeakageCurveFolds = 13,
  kImbalance = 21,
  kReshuffle = 1000,
  kCalibration = 2000
};

// Malignant (class 0 of the data set) is the positive class of the diagnosis.
VectorXi malignant(const mlc::Dataset& d) {
  return (d.labels().array() == 0).cast<int>();
}

VectorXi logreg(const MatrixXd& Xtr, const VectorXi& ytr, const MatrixXd& Xte) {
  return logistic_regression::fit_binary_newton(Xtr, ytr, kLambda).predict(Xte);
}

// The points of the curve (x, y) that a plot of `width` × `height` pixels over the box
// [0, x_span] × [0, y_span] can tell apart: the first and last points, and every point more
// than a pixel (in x or in y) from the last one kept. The dropped points lie within a pixel
// of the kept polyline, so the drawn shape is the same; the ROC and PR curves of 10^5 scores
// keep about 1700 points together instead of 2 · 10^5 (imbalance.svg: 1.1 MB -> 44 kB).
std::pair<std::vector<double>, std::vector<double>> decimate_to_pixels(const VectorXd& x,
                                                                       const VectorXd& y,
                                                                       double x_span, double y_span,
                                                                       int width = 720,
                                                                       int height = 480) {
  mlc::require(x.size() == y.size(), "decimate_to_pixels", "x and y differ in length");
  const double dx = x_span / width, dy = y_span / height;
  std::vector<double> xs, ys;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const bool last = i + 1 == x.size();
    if (xs.empty() || last || std::abs(x(i) - xs.back()) > dx || std::abs(y(i) - ys.back()) > dy) {
      xs.push_back(x(i));
      ys.push_back(y(i));
    }
  }
  return {xs, ys};
}

// ---- 1. Metrics over repeated splits, and one split in detail --------------------------------

void one_split_subsection(mlc::Report& report, const mlc::Dataset& data, std::uint64_t seed) {
  mlc::Rng split_rng(seed);  // the protocol's first split
  auto split = mlc::train_test_split(data, 0.25, split_rng);
  mlc::Standardizer scaler;
  split.train.X = scaler.fit_transform(split.train.X);
  split.test.X = scaler.transform(split.test.X);
  const auto model =
      logistic_regression::fit_binary_newton(split.train.X, malignant(split.train), kLambda);
  const VectorXi y = malignant(split.test);
  const VectorXd p = model.predict_proba(split.test.X);
  const Eigen::MatrixXi C = me::confusion_matrix(y, model.predict(split.test.X), 2);
  report.subsection(fmt::format("One split (seed {}) in detail", seed));
  report.table({"truth \\ prediction", "benign", "malignant"},
               {{"benign", std::to_string(C(0, 0)),
                 report.quote("breast_cancer.split0.false_positives", C(0, 1))},
                {"malignant", report.quote("breast_cancer.split0.false_negatives", C(1, 0)),
                 std::to_string(C(1, 1))}});
  const auto roc = me::roc_curve(y, p);
  mlc::Figure roc_fig("ROC curve, logistic regression on breast cancer (one split)");
  roc_fig.xlabel("false positive rate").ylabel("true positive rate").xrange(0, 1).yrange(0, 1.02);
  roc_fig.legend("bottom right");
  roc_fig.line(roc.fpr, roc.tpr, fmt::format("AUC = {}", mlc::num(me::roc_auc(y, p))));
  roc_fig.line(Eigen::Vector2d(0, 1), Eigen::Vector2d(0, 1), "chance", {.color = 8, .dash = true});
  report.figure(roc_fig, "roc",
                "ROC curve of one split: each point is a threshold (4); the area is (5).");
  const auto pr = me::precision_recall_curve(y, p);
  mlc::Figure pr_fig("Precision-recall curve, logistic regression on breast cancer (one split)");
  pr_fig.xlabel("recall").ylabel("precision").xrange(0, 1).yrange(0, 1.02).legend("bottom left");
  pr_fig.line_points(pr.recall, pr.precision,
                     fmt::format("AP = {}", mlc::num(me::average_precision(y, p))));
  pr_fig.hline(y.cast<double>().mean(), "prevalence (a random ranking)",
               {.color = 8, .dash = true});
  report.figure(pr_fig, "precision_recall",
                "Precision against recall (7); average precision (8) is the step-wise area.");
}

void metrics_section(mlc::Report& report, const mlc::Dataset& data, const mlc::Options& opt,
                     int repeats) {
  report.section("Metrics of logistic regression on breast cancer");
  mlc::Timer fit_timer;
  const auto summary = me::evaluate_on_splits(
      data, repeats, opt.seed, [](const mlc::Dataset& train, const mlc::Dataset& test) {
        const auto model =
            logistic_regression::fit_binary_newton(train.X, malignant(train), kLambda);
        const VectorXi y = malignant(test);
        const VectorXd p = model.predict_proba(test.X);
        const VectorXi pred = model.predict(test.X);
        const auto s = me::binary_scores(y, pred);
        return std::map<std::string, double>{{"test_accuracy", me::accuracy(y, pred)},
                                             {"precision", s.precision},
                                             {"recall", s.recall},
                                             {"f1", s.f1},
                                             {"roc_auc", me::roc_auc(y, p)},
                                             {"mann_whitney_auc", me::mann_whitney_auc(y, p)},
                                             {"average_precision", me::average_precision(y, p)},
                                             {"brier", me::brier_score(y, p)},
                                             {"log_loss", me::log_loss(y, p)}};
      });
  report.timing("breast_cancer.evaluate_on_splits_seconds", fit_timer.seconds());
  std::vector<std::vector<std::string>> rows;
  for (const std::string name : {"test_accuracy", "precision", "recall", "f1", "roc_auc",
                                 "mann_whitney_auc", "average_precision", "brier", "log_loss"}) {
    const std::string key = "breast_cancer.logreg." + name;
    rows.push_back({name, report.quote(key, summary.mean(name)) + " ± " +
                              report.quote(key + "_sd", summary.sd(name), 2)});
  }
  report.text(fmt::format(
      "L2-regularised logistic regression (λ = {}, lesson 2.4) on {} stratified 75/25 splits "
      "(seeds from {} on), features standardized with the training part's statistics; malignant "
      "is the positive class. The trapezoid AUC of the ROC curve (5) and the Mann–Whitney "
      "statistic (6) agree on every split.",
      kLambda, repeats, opt.seed));
  report.table({"metric (test part)", "mean ± sd"}, rows);
  fmt::print("Breast cancer, logistic regression over {} splits: accuracy {:.4f}, AUC {:.4f}\n",
             repeats, summary.mean("test_accuracy"), summary.mean("roc_auc"));
  one_split_subsection(report, data, opt.seed);
}

// ---- 2. Hold-out vs cross-validation: the spread of the estimate ------------------------------

void spread_section(mlc::Report& report, const mlc::Dataset& data, const mlc::Rng& root,
                    bool quick) {
  report.section("Hold-out versus k-fold cross-validation");
  const int reshuffles = quick ? 6 : 30;
  const VectorXi y_all = malignant(data);
  std::vector<double> holdout, cv5, cv10;
  for (int r = 0; r < reshuffles; ++r) {
    mlc::Rng rng = root.derive(kReshuffle + static_cast<std::uint64_t>(r));
    mlc::Dataset d = data;
    d.y = (y_all.array() == 1).select(VectorXd::Zero(d.n()), VectorXd::Ones(d.n()));
    d.class_names = {"benign", "malignant"};
    auto s = mlc::train_test_split(d, 0.25, rng);
    mlc::Standardizer sc;
    const MatrixXd Xtr = sc.fit_transform(s.train.X), Xte = sc.transform(s.test.X);
    holdout.push_back(me::accuracy(s.test.labels(), logreg(Xtr, s.train.labels(), Xte)));
    cv5.push_back(me::cross_validate(data.X, y_all, logreg, 5, rng).mean);
    cv10.push_back(me::cross_validate(data.X, y_all, logreg, 10, rng).mean);
  }
  const std::string sd_holdout = report.quote("cv_spread.holdout_sd", mlc::sample_sd(holdout));
  const std::string sd5 = report.quote("cv_spread.cv5_sd", mlc::sample_sd(cv5));
  const std::string sd10 = report.quote("cv_spread.cv10_sd", mlc::sample_sd(cv10));
  report.table({"estimate of accuracy", "mean over reshuffles", "sd over reshuffles"},
               {{"75/25 hold-out", mlc::num(mlc::mean(holdout)), sd_holdout},
                {"5-fold CV", mlc::num(mlc::mean(cv5)), sd5},
                {"10-fold CV", mlc::num(mlc::mean(cv10)), sd10}});
  report.text(fmt::format(
      "Each of {} reshuffles draws a new hold-out split and new folds. Cross-validation averages "
      "over folds, so its estimate varies much less from one reshuffle to the next than a single "
      "hold-out score: sd {} (5-fold) and {} (10-fold) against {} (hold-out).",
      reshuffles, sd5, sd10, sd_holdout));
  mlc::Figure spread("Accuracy estimates over reshuffles of the data");
  spread.xlabel("reshuffle").ylabel("estimated accuracy").legend("bottom right");
  const VectorXd idx = VectorXd::LinSpaced(reshuffles, 1, reshuffles);
  spread.line_points(idx, holdout, "75/25 hold-out").line_points(idx, cv5, "5-fold CV");
  spread.line_points(idx, cv10, "10-fold CV");
  report.figure(spread, "cv_spread",
                "The same model's accuracy estimated by hold-out and by k-fold CV on reshuffled "
                "data.");
}

// ---- 3. Calibration ---------------------------------------------------------------------------

// A strong penalty shrinks the logits, so the probabilities crowd towards 1/2: a model that
// ranks well (AUC barely changes) but is under-confident. Each of the `repeats` splits is cut
// into 50 % fit, 25 % calibration, 25 % test; the test predictions of all splits are pooled so
// that every bin of the diagram holds enough points to be read.
void calibration_section(mlc::Report& report, const mlc::Dataset& data, const mlc::Rng& root,
                         int repeats) {
  report.section("Calibration: reliability, Platt scaling, isotonic regression");
  const double strong_lambda = 1.0;
  std::vector<double> raw_v, platt_v, iso_v, y_v;
  double platt_a = 0, platt_b = 0;
  for (int r = 0; r < repeats; ++r) {
    mlc::Rng rng = root.derive(kCalibration + static_cast<std::uint64_t>(r));  // split, then cut
    auto parts = mlc::train_test_split(data, 0.25, rng);
    mlc::Standardizer sc;
    parts.train.X = sc.fit_transform(parts.train.X);
    parts.test.X = sc.transform(parts.test.X);
    const auto fit_cal = mlc::train_test_split(parts.train, 1.0 / 3.0, rng);
    const auto shrunk = logistic_regression::fit_binary_newton(
        fit_cal.train.X, malignant(fit_cal.train), strong_lambda);
    const VectorXi y_cal = malignant(fit_cal.test);
    me::PlattScaling platt;
    platt.fit(shrunk.decision_function(fit_cal.test.X), y_cal);
    me::IsotonicRegression iso;
    iso.fit(shrunk.predict_proba(fit_cal.test.X), y_cal.cast<double>());
    const VectorXd raw = shrunk.predict_proba(parts.test.X);
    const VectorXd pl = platt.predict(shrunk.decision_function(parts.test.X));
    const VectorXd is = iso.predict(raw);
    const VectorXi yt = malignant(parts.test);
    raw_v.insert(raw_v.end(), raw.begin(), raw.end());
    platt_v.insert(platt_v.end(), pl.begin(), pl.end());
    iso_v.insert(iso_v.end(), is.begin(), is.end());
    y_v.insert(y_v.end(), yt.begin(), yt.end());
    if (r == 0) {
      platt_a = platt.a;
      platt_b = platt.b;
    }
  }
  const VectorXi y = mlc::to_vector(y_v).cast<int>();
  std::vector<std::vector<std::string>> rows;
  mlc::Figure rel("Reliability diagram (test part)");
  rel.xlabel("mean predicted probability of malignant").ylabel("observed fraction malignant");
  rel.xrange(0, 1).yrange(0, 1).legend("top left");
  rel.line(Eigen::Vector2d(0, 1), Eigen::Vector2d(0, 1), "perfect calibration",
           {.color = 8, .dash = true});
  for (const auto& [key, label, legend, p_v] :
       {std::tuple{"raw", fmt::format("logistic regression, λ = {}", strong_lambda),
                   fmt::format("λ = {}", strong_lambda), &raw_v},
        std::tuple{"platt", std::string("+ Platt scaling"), std::string("Platt"), &platt_v},
        std::tuple{"isotonic", std::string("+ isotonic regression"), std::string("isotonic"),
                   &iso_v}}) {
    const VectorXd p = mlc::to_vector(*p_v);
    const auto diagram = me::reliability_diagram(y, p, 10);
    const std::string prefix = std::string("calibration.") + key;
    rows.push_back({label, report.quote(prefix + ".brier", me::brier_score(y, p)),
                    report.quote(prefix + ".log_loss", me::log_loss(y, p)),
                    report.quote(prefix + ".ece", diagram.expected_calibration_error),
                    mlc::num(me::roc_auc(y, p))});
    rel.line_points(
        diagram.mean_predicted, diagram.fraction_positive,
        fmt::format("{} (ECE {})", legend, mlc::num(diagram.expected_calibration_error, 2)));
  }
  report.table({"probabilities (test part)", "Brier (9)", "log-loss (10)", "ECE (11)", "AUC"},
               rows);
  report.text(fmt::format(
      "The over-regularised model (λ = {}) is fitted on half of each split, the calibration maps "
      "on a quarter, and the test quarters of the {} splits are pooled ({} predictions). Platt's "
      "map of the first split is p = σ({}·s + {}) on the logit s: a slope above one stretches the "
      "shrunken logits back. Isotonic regression is monotone, so the ranking (AUC) can only lose "
      "ties, never order; its steps reach 0 and 1 exactly, which the log-loss punishes wherever a "
      "test point lands on the wrong side of a step.",
      strong_lambda, repeats, y.size(), report.quote("calibration.platt.a", platt_a),
      report.quote("calibration.platt.b", platt_b)));
  report.figure(rel, "reliability",
                "Observed frequency against predicted probability, per bin, before and after "
                "calibration.");
  fmt::print("Calibration: Brier {:.4f} -> Platt {:.4f}, isotonic {:.4f}\n",
             me::brier_score(y, mlc::to_vector(raw_v)), me::brier_score(y, mlc::to_vector(platt_v)),
             me::brier_score(y, mlc::to_vector(iso_v)));
}

// ---- 4. Failure mode: leakage on pure-noise labels --------------------------------------------

// Nearest centroid on the k features most correlated with the labels, screened on the
// training rows only: the screening is part of the model.
me::Classifier screened_centroid(int k) {
  return [k](const MatrixXd& Xtr, const VectorXi& ytr, const MatrixXd& Xte) {
    const auto cols = me::select_top_correlated(Xtr, ytr, k);
    return me::nearest_centroid(me::select_columns(Xtr, cols), ytr, me::select_columns(Xte, cols));
  };
}

void leakage_section(mlc::Report& report, const mlc::Rng& root, bool quick) {
  report.section("Leakage on pure-noise labels");
  mlc::Rng noise_rng = root.derive(kNoise);
  const int n_noise = 100, d_noise = quick ? 1000 : 5000, k_screen = 20;
  const MatrixXd X_noise = noise_rng.normal_matrix(n_noise, d_noise);
  VectorXi y(n_noise);  // balanced labels, then shuffled: independent of X
  const auto perm = noise_rng.permutation(n_noise);
  for (int i = 0; i < n_noise; ++i) y(i) = static_cast<int>(perm[static_cast<std::size_t>(i)] % 2);
  // Every protocol sees the same folds.
  const mlc::Rng folds = root.derive(kLeakageFolds);
  mlc::Rng cv_a = folds, cv_b = folds, cv_c = folds, cv_d = folds;
  // The wrong way: screen the features on all rows, then cross-validate.
  const auto leaky_cols = me::select_top_correlated(X_noise, y, k_screen);
  const auto leaky =
      me::cross_validate(me::select_columns(X_noise, leaky_cols), y, me::nearest_centroid, 5, cv_a);
  // The right way: the screening is part of the model, redone inside every fold.
  const auto honest = me::cross_validate(X_noise, y, screened_centroid(k_screen), 5, cv_b);
  // Scaling before the split leaks too, but only the first two moments of the test rows.
  const auto scaled_outside = me::cross_validate(mlc::Standardizer().fit_transform(X_noise), y,
                                                 screened_centroid(k_screen), 5, cv_c, false);
  const auto scaled_inside =
      me::cross_validate(X_noise, y, screened_centroid(k_screen), 5, cv_d, true);
  const auto q = [&](const std::string& name, const me::CvResult& cv) {
    return report.quote("leakage." + name + "_cv_accuracy", cv.mean) + " ± " + mlc::num(cv.sd, 2);
  };
  report.table(
      {"protocol (labels are pure noise: truth is 0.5)", "5-fold CV accuracy"},
      {{fmt::format("screen {} of {} features on all rows, then CV (leaky)", k_screen, d_noise),
        q("leaky", leaky)},
       {"screen inside each fold (honest)", q("honest", honest)},
       {"standardize all rows, screen in fold", q("scaled_before_split", scaled_outside)},
       {"standardize and screen in fold", q("scaled_in_fold", scaled_inside)}});
  // Standard error of a 5-fold CV accuracy at chance over n rows: √(0.25 / n).
  report.text(fmt::format("At chance a 5-fold CV accuracy over {} rows has standard error ≈ {}.",
                          n_noise, mlc::num(std::sqrt(0.25 / n_noise), 2)));
  // Leaky and honest accuracy as the number of screened features grows, on the same folds.
  std::vector<double> ks, leaky_curve, honest_curve;
  for (int k : {1, 2, 5, 10, 20, 50, 100}) {
    mlc::Rng r1 = root.derive(kLeakageCurveFolds), r2 = r1;
    const auto cols = me::select_top_correlated(X_noise, y, k);
    ks.push_back(k);
    leaky_curve.push_back(
        me::cross_validate(me::select_columns(X_noise, cols), y, me::nearest_centroid, 5, r1).mean);
    honest_curve.push_back(me::cross_validate(X_noise, y, screened_centroid(k), 5, r2).mean);
  }
  mlc::Figure leak("Cross-validated accuracy on pure-noise labels");
  leak.xlabel("features kept by screening").ylabel("5-fold CV accuracy").logx();
  leak.yrange(0.2, 1.05).legend("top left");
  leak.line_points(ks, leaky_curve, "screened on all rows (leaky)");
  leak.line_points(ks, honest_curve, "screened inside each fold (honest)");
  leak.hline(0.5, "chance", {.color = 8, .dash = true});
  report.figure(leak, "leakage",
                "The leaky estimate climbs far above chance although there is nothing to learn.");
  const std::string leaky_text = report.quote("leakage.leaky_cv_accuracy", leaky.mean);
  const std::string honest_text = report.quote("leakage.honest_cv_accuracy", honest.mean);
  report.failure_mode(
      {.name = "Data leakage: feature selection before the split",
       .trigger = fmt::format("{} rows, {} pure-noise features, labels independent of everything; "
                              "the {} features most correlated with the labels are screened on "
                              "all rows, then 5-fold CV is run.",
                              n_noise, d_noise, k_screen),
       .symptom =
           fmt::format("leaky CV accuracy {} (metric leakage.leaky_cv_accuracy) where the "
                       "truth is 0.5; the honest estimate is {} (leakage.honest_cv_accuracy).",
                       leaky_text, honest_text),
       .why = "With thousands of candidate features, some correlate with the labels by chance in "
              "this sample, test rows included. Screening on all rows picks exactly those, so the "
              "test folds have already informed the model.",
       .mitigation = fmt::format(
           "Treat every data-dependent step (screening, scaling, imputation, tuning) as part of "
           "the model and refit it inside each training fold: {} (chance). Scaling outside the "
           "split leaks only means and variances: {} vs {} in fold.",
           honest_text,
           report.quote("leakage.scaled_before_split_cv_accuracy", scaled_outside.mean),
           report.quote("leakage.scaled_in_fold_cv_accuracy", scaled_inside.mean))});
  fmt::print("Leakage on noise labels: leaky CV {} vs honest CV {}\n", leaky_text, honest_text);
}

// ---- 5. Failure mode: imbalanced data ---------------------------------------------------------

void imbalance_section(mlc::Report& report, mlc::Rng rng, bool quick) {
  report.section("Imbalanced data: a good AUC with poor precision");
  const int n = quick ? 20000 : 100000;
  const double prevalence = 0.01, separation = 2.0;
  VectorXi y(n);
  VectorXd s(n);
  for (int i = 0; i < n; ++i) {
    y(i) = rng.bernoulli(prevalence);
    s(i) = rng.normal() + separation * y(i);
  }
  const double auc = me::roc_auc(y, s), ap = me::average_precision(y, s);
  const auto bs = me::binary_scores(y, (s.array() > 0.5 * separation).cast<int>());
  const auto q = [&](const std::string& name, double v) {
    return report.quote("imbalance." + name, v);
  };
  report.table({"measure", "value"},
               {{"ROC AUC", q("roc_auc", auc)},
                {"average precision", q("average_precision", ap)},
                {"precision at the midpoint threshold", q("precision_at_midpoint", bs.precision)},
                {"recall at the midpoint threshold", q("recall_at_midpoint", bs.recall)},
                {"accuracy of always predicting negative",
                 q("always_negative_accuracy", me::accuracy(y, VectorXi::Zero(n)))}});
  mlc::Figure fig("One score, two pictures: 1 % positives");
  fig.xlabel("false positive rate (ROC) / recall (PR)");
  fig.ylabel("true positive rate (ROC) / precision (PR)").xrange(0, 1).yrange(0, 1.02);
  fig.legend("center right");
  // n + 1 points per curve: decimated to what the 720 × 480 plot can show.
  const auto roc = me::roc_curve(y, s);
  const auto pr = me::precision_recall_curve(y, s);
  const auto [roc_x, roc_y] = decimate_to_pixels(roc.fpr, roc.tpr, 1.0, 1.02);
  const auto [pr_x, pr_y] = decimate_to_pixels(pr.recall, pr.precision, 1.0, 1.02);
  fig.line(roc_x, roc_y, fmt::format("ROC (AUC {})", mlc::num(auc, 3)));
  fig.line(pr_x, pr_y, fmt::format("PR (AP {})", mlc::num(ap, 3)));
  report.figure(fig, "imbalance",
                "The same scores as a ROC curve and as a precision-recall curve.");
  report.failure_mode(
      {.name = "A high AUC on heavily imbalanced data hides poor precision",
       .trigger = fmt::format("{} samples, {} % positives, scores N(0,1) for negatives and N({},1) "
                              "for positives.",
                              n, 100 * prevalence, separation),
       .symptom = fmt::format("ROC AUC {} looks strong, yet at the midpoint threshold precision is "
                              "{} (recall {}): most alarms are false. Always predicting negative "
                              "scores accuracy {}.",
                              q("roc_auc", auc), q("precision_at_midpoint", bs.precision),
                              q("recall_at_midpoint", bs.recall),
                              q("always_negative_accuracy", me::accuracy(y, VectorXi::Zero(n)))),
       .why =
           "The false positive rate divides by the huge number of negatives, so thousands of "
           "false alarms are a small FPR; precision divides by the number of alarms, where those "
           "same false positives dominate.",
       .mitigation =
           fmt::format("Report precision-recall (average precision {}) and metrics at the "
                       "operating threshold, chosen for the costs of the application; "
                       "never accuracy alone.",
                       q("average_precision", ap))});
  fmt::print("Imbalance: AUC {:.4f} but precision {:.4f} at the midpoint threshold\n", auc,
             bs.precision);
}

// ---- The program ------------------------------------------------------------------------------

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  const auto data = mlc::load_dataset("breast_cancer");
  const int repeats = opt.quick ? 2 : 5;
  metrics_section(report, data, opt, repeats);
  spread_section(report, data, root, opt.quick);
  calibration_section(report, data, root, repeats);
  leakage_section(report, root, opt.quick);
  imbalance_section(report, root.derive(kImbalance), opt.quick);
  report.headline({"breast_cancer.logreg.test_accuracy", "leakage.leaky_cv_accuracy",
                   "leakage.honest_cv_accuracy"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
