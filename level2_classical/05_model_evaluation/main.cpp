// Lesson 2.5 model_evaluation: the experiment.
//
// Evaluates lesson 2.4's logistic regression on the breast-cancer data (malignant is the
// positive class) the way a careful practitioner would: repeated stratified splits,
// confusion matrix, precision/recall/F1, ROC and PR curves with the Mann–Whitney check of
// the AUC, and calibration (reliability diagrams, Brier score, Platt scaling and isotonic
// regression fitted on a separate calibration part). Then it breaks evaluation on
// purpose: leakage on pure-noise labels, and a high AUC with poor precision on an
// imbalanced problem. Follows Hastie, Tibshirani & Friedman, The Elements of Statistical
// Learning (2nd ed.), §7.10.2 "The wrong and right way to do cross-validation".
//
// Run: ./learn run model_evaluation [--seed N] [--quick]
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "logistic_regression.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/error.hpp"
#include "mlc/report.hpp"
#include "mlc/stats.hpp"
#include "model_evaluation.hpp"

namespace me = model_evaluation;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Evaluates a classifier honestly: repeated stratified splits, confusion matrix, "
    "precision/recall/F1, ROC and PR curves (AUC checked against the Mann-Whitney "
    "statistic), calibration with reliability diagrams, Platt scaling and isotonic "
    "regression. Then provokes leakage on pure-noise labels and the imbalanced-data trap.",
    "report.md, metrics.json, figures/roc.svg, figures/precision_recall.svg, "
    "figures/reliability.svg, figures/cv_spread.svg, figures/leakage.svg, figures/imbalance.svg");

constexpr double kLambda = 1e-2;  // L2 penalty of the logistic regression under evaluation

// Malignant (class 0 of the data set) is the positive class of the diagnosis.
Eigen::VectorXi malignant(const mlc::Dataset& d) { return (d.labels().array() == 0).cast<int>(); }

// The points of the curve (x, y) that a plot of `width` × `height` pixels over the box
// [0, x_span] × [0, y_span] can tell apart: the first and last points, and every point more
// than a pixel (in x or in y) from the last one kept. The dropped points lie within a pixel
// of the kept polyline, so the drawn shape is the same; the ROC and PR curves of 10^5 scores
// keep about 1700 points together instead of 2 · 10^5 (imbalance.svg: 1.1 MB -> 44 kB).
std::pair<Eigen::VectorXd, Eigen::VectorXd> decimate_to_pixels(const Eigen::VectorXd& x,
                                                               const Eigen::VectorXd& y,
                                                               double x_span, double y_span,
                                                               int width = 720, int height = 480) {
  mlc::require(x.size() == y.size(), "decimate_to_pixels", "x and y differ in length");
  const double dx = x_span / width, dy = y_span / height;
  std::vector<Eigen::Index> keep;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const bool last = i + 1 == x.size();
    if (keep.empty() || last || std::abs(x(i) - x(keep.back())) > dx ||
        std::abs(y(i) - y(keep.back())) > dy)
      keep.push_back(i);
  }
  Eigen::VectorXd xs(static_cast<Eigen::Index>(keep.size())), ys(xs.size());
  for (Eigen::Index k = 0; k < xs.size(); ++k) {
    xs(k) = x(keep[static_cast<std::size_t>(k)]);
    ys(k) = y(keep[static_cast<std::size_t>(k)]);
  }
  return {xs, ys};
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const auto data = mlc::load_dataset("breast_cancer");
  const int repeats = opt.quick ? 2 : 5;

  // ---- 1. Metrics over repeated splits ---------------------------------------------------
  report.section("Metrics of logistic regression on breast cancer");
  mlc::Timer fit_timer;
  const auto summary = me::evaluate_on_splits(data, repeats, opt.seed, [](const mlc::Dataset& train, const mlc::Dataset& test) {
    const auto model = logistic_regression::fit_binary_newton(train.X, malignant(train), kLambda);
    const Eigen::VectorXi y = malignant(test);
    const Eigen::VectorXd p = model.predict_proba(test.X);
    const Eigen::VectorXi pred = model.predict(test.X);
    const auto s = me::binary_scores(y, pred);
    return std::map<std::string, double>{
        {"test_accuracy", me::accuracy(y, pred)}, {"precision", s.precision}, {"recall", s.recall},
        {"f1", s.f1}, {"roc_auc", me::roc_auc(y, p)}, {"mann_whitney_auc", me::mann_whitney_auc(y, p)},
        {"average_precision", me::average_precision(y, p)}, {"brier", me::brier_score(y, p)},
        {"log_loss", me::log_loss(y, p)}};
  });
  report.timing("breast_cancer.evaluate_on_splits_seconds", fit_timer.seconds());
  std::vector<std::vector<std::string>> rows;
  for (const auto& name : {"test_accuracy", "precision", "recall", "f1", "roc_auc", "mann_whitney_auc",
                           "average_precision", "brier", "log_loss"}) {
    rows.push_back({name, mlc::mean_sd(summary.mean(name), summary.sd(name))});
    report.metric(fmt::format("breast_cancer.logreg.{}", name), summary.mean(name));
    report.metric(fmt::format("breast_cancer.logreg.{}_sd", name), summary.sd(name));
  }
  report.text(fmt::format(
      "L2-regularised logistic regression (λ = {}, lesson 2.4) on {} stratified 75/25 splits (seeds {}..{}), "
      "features standardized with the training part's statistics; malignant is the positive class. "
      "The trapezoid AUC of the ROC curve (5) and the Mann–Whitney statistic (6) agree on every split.",
      kLambda, repeats, opt.seed, opt.seed + repeats - 1));
  report.table({"metric (test part)", "mean ± sd"}, rows);
  fmt::print("Breast cancer, logistic regression over {} splits: accuracy {}, AUC {}\n", repeats,
             mlc::mean_sd(summary.mean("test_accuracy"), summary.sd("test_accuracy")),
             mlc::mean_sd(summary.mean("roc_auc"), summary.sd("roc_auc")));

  // One split in detail: confusion matrix, ROC and PR curves.
  mlc::Rng split_rng(opt.seed);
  auto split = mlc::train_test_split(data, 0.25, split_rng);
  mlc::Standardizer scaler;
  split.train.X = scaler.fit_transform(split.train.X);
  split.test.X = scaler.transform(split.test.X);
  const auto model = logistic_regression::fit_binary_newton(split.train.X, malignant(split.train), kLambda);
  const Eigen::VectorXi y_test = malignant(split.test);
  const Eigen::VectorXd p_test = model.predict_proba(split.test.X);
  const Eigen::MatrixXi C = me::confusion_matrix(y_test, model.predict(split.test.X), 2);
  report.subsection(fmt::format("One split (seed {}) in detail", opt.seed));
  report.table({"truth \\ prediction", "benign", "malignant"},
               {{"benign", std::to_string(C(0, 0)), std::to_string(C(0, 1))},
                {"malignant", std::to_string(C(1, 0)), std::to_string(C(1, 1))}});
  report.metric("breast_cancer.split0.false_negatives", C(1, 0));
  report.metric("breast_cancer.split0.false_positives", C(0, 1));
  const auto roc = me::roc_curve(y_test, p_test);
  mlc::Figure roc_fig("ROC curve, logistic regression on breast cancer (one split)");
  roc_fig.xlabel("false positive rate").ylabel("true positive rate").xrange(0, 1).yrange(0, 1.02).legend("bottom right");
  roc_fig.line(roc.fpr, roc.tpr, fmt::format("AUC = {}", mlc::num(me::roc_auc(y_test, p_test))));
  roc_fig.line(Eigen::Vector2d(0, 1), Eigen::Vector2d(0, 1), "chance", {.color = 8, .dash = true});
  report.figure(roc_fig, "roc", "ROC curve of one split: each point is a threshold (4); the area is (5).");
  const auto pr = me::precision_recall_curve(y_test, p_test);
  mlc::Figure pr_fig("Precision-recall curve, logistic regression on breast cancer (one split)");
  pr_fig.xlabel("recall").ylabel("precision").xrange(0, 1).yrange(0, 1.02).legend("bottom left");
  pr_fig.line_points(pr.recall, pr.precision, fmt::format("AP = {}", mlc::num(me::average_precision(y_test, p_test))));
  pr_fig.hline(y_test.cast<double>().mean(), "prevalence (a random ranking)", {.color = 8, .dash = true});
  report.figure(pr_fig, "precision_recall", "Precision against recall (7); average precision (8) is the step-wise area.");

  // ---- 2. Hold-out vs cross-validation: the spread of the estimate ------------------------
  report.section("Hold-out versus k-fold cross-validation");
  const int reshuffles = opt.quick ? 6 : 30;
  const Eigen::VectorXi y_all = malignant(data);
  auto logreg = [](const Eigen::MatrixXd& Xtr, const Eigen::VectorXi& ytr, const Eigen::MatrixXd& Xte) {
    return logistic_regression::fit_binary_newton(Xtr, ytr, kLambda).predict(Xte);
  };
  std::vector<double> holdout, cv5, cv10;
  for (int r = 0; r < reshuffles; ++r) {
    mlc::Rng rng(opt.seed + 1000 + static_cast<std::uint64_t>(r));
    mlc::Dataset d = data;
    d.y = (y_all.array() == 1).select(Eigen::VectorXd::Zero(d.n()), Eigen::VectorXd::Ones(d.n()));
    d.class_names = {"benign", "malignant"};
    auto s = mlc::train_test_split(d, 0.25, rng);
    mlc::Standardizer sc;
    const Eigen::MatrixXd Xtr = sc.fit_transform(s.train.X), Xte = sc.transform(s.test.X);
    holdout.push_back(me::accuracy(s.test.labels(), logreg(Xtr, s.train.labels(), Xte)));
    cv5.push_back(me::cross_validate(data.X, y_all, logreg, 5, rng).mean);
    cv10.push_back(me::cross_validate(data.X, y_all, logreg, 10, rng).mean);
  }
  report.table({"estimate of accuracy", "mean over reshuffles", "sd over reshuffles"},
               {{"75/25 hold-out", mlc::num(mlc::mean(holdout)), mlc::num(mlc::sample_sd(holdout))},
                {"5-fold CV", mlc::num(mlc::mean(cv5)), mlc::num(mlc::sample_sd(cv5))},
                {"10-fold CV", mlc::num(mlc::mean(cv10)), mlc::num(mlc::sample_sd(cv10))}});
  report.metric("cv_spread.holdout_sd", mlc::sample_sd(holdout));
  report.metric("cv_spread.cv5_sd", mlc::sample_sd(cv5));
  report.metric("cv_spread.cv10_sd", mlc::sample_sd(cv10));
  report.text(fmt::format(
      "Each of {} reshuffles draws a new hold-out split and new folds. Cross-validation averages over "
      "folds, so its estimate varies much less from one reshuffle to the next than a single hold-out "
      "score: sd {} (5-fold) and {} (10-fold) against {} (hold-out).",
      reshuffles, mlc::num(mlc::sample_sd(cv5)), mlc::num(mlc::sample_sd(cv10)), mlc::num(mlc::sample_sd(holdout))));
  mlc::Figure spread("Accuracy estimates over reshuffles of the data");
  spread.xlabel("reshuffle").ylabel("estimated accuracy").legend("bottom right");
  const Eigen::VectorXd idx = Eigen::VectorXd::LinSpaced(reshuffles, 1, reshuffles);
  spread.line_points(idx, holdout, "75/25 hold-out").line_points(idx, cv5, "5-fold CV");
  spread.line_points(idx, cv10, "10-fold CV");
  report.figure(spread, "cv_spread", "The same model's accuracy estimated by hold-out and by k-fold CV on reshuffled data.");

  // ---- 3. Calibration ------------------------------------------------------------------
  report.section("Calibration: reliability, Platt scaling, isotonic regression");
  // A strong penalty shrinks the logits, so the probabilities crowd towards 1/2: a
  // model that ranks well (AUC barely changes) but is under-confident. Each of the
  // `repeats` splits is cut into 50 % fit, 25 % calibration, 25 % test; the test
  // predictions of all splits are pooled so that every bin of the diagram holds enough
  // points to be read.
  const double strong_lambda = 1.0;
  std::vector<double> raw_v, platt_v, iso_v;
  std::vector<int> y_v;
  double platt_a = 0, platt_b = 0;
  for (int r = 0; r < repeats; ++r) {
    mlc::Rng rng(opt.seed + static_cast<std::uint64_t>(r));
    auto parts = mlc::train_test_split(data, 0.25, rng);
    mlc::Standardizer sc;
    parts.train.X = sc.fit_transform(parts.train.X);
    parts.test.X = sc.transform(parts.test.X);
    mlc::Rng cal_rng(opt.seed + 100 + static_cast<std::uint64_t>(r));
    const auto fit_cal = mlc::train_test_split(parts.train, 1.0 / 3.0, cal_rng);
    const auto shrunk = logistic_regression::fit_binary_newton(fit_cal.train.X, malignant(fit_cal.train), strong_lambda);
    const Eigen::VectorXi y_cal = malignant(fit_cal.test);
    me::PlattScaling platt;
    platt.fit(shrunk.decision_function(fit_cal.test.X), y_cal);
    me::IsotonicRegression iso;
    iso.fit(shrunk.predict_proba(fit_cal.test.X), y_cal.cast<double>());
    const Eigen::VectorXd raw = shrunk.predict_proba(parts.test.X);
    const Eigen::VectorXd pl = platt.predict(shrunk.decision_function(parts.test.X));
    const Eigen::VectorXd is = iso.predict(raw);
    const Eigen::VectorXi yt = malignant(parts.test);
    for (Eigen::Index i = 0; i < yt.size(); ++i) {
      raw_v.push_back(raw(i));
      platt_v.push_back(pl(i));
      iso_v.push_back(is(i));
      y_v.push_back(yt(i));
    }
    if (r == 0) {
      platt_a = platt.a;
      platt_b = platt.b;
    }
  }
  const Eigen::VectorXd p_raw = mlc::to_vector(raw_v), p_platt = mlc::to_vector(platt_v), p_iso = mlc::to_vector(iso_v);
  const Eigen::VectorXi y_pool = Eigen::Map<const Eigen::VectorXi>(y_v.data(), static_cast<Eigen::Index>(y_v.size()));
  const int bins = 10;
  const auto rel_raw = me::reliability_diagram(y_pool, p_raw, bins);
  const auto rel_platt = me::reliability_diagram(y_pool, p_platt, bins);
  const auto rel_iso = me::reliability_diagram(y_pool, p_iso, bins);
  report.table({"probabilities (test part)", "Brier (9)", "log-loss (10)", "ECE (11)", "AUC"},
               {{fmt::format("logistic regression, λ = {}", strong_lambda), mlc::num(me::brier_score(y_pool, p_raw)),
                 mlc::num(me::log_loss(y_pool, p_raw)), mlc::num(rel_raw.expected_calibration_error), mlc::num(me::roc_auc(y_pool, p_raw))},
                {"+ Platt scaling", mlc::num(me::brier_score(y_pool, p_platt)), mlc::num(me::log_loss(y_pool, p_platt)),
                 mlc::num(rel_platt.expected_calibration_error), mlc::num(me::roc_auc(y_pool, p_platt))},
                {"+ isotonic regression", mlc::num(me::brier_score(y_pool, p_iso)), mlc::num(me::log_loss(y_pool, p_iso)),
                 mlc::num(rel_iso.expected_calibration_error), mlc::num(me::roc_auc(y_pool, p_iso))}});
  report.metric("calibration.raw.brier", me::brier_score(y_pool, p_raw));
  report.metric("calibration.platt.brier", me::brier_score(y_pool, p_platt));
  report.metric("calibration.isotonic.brier", me::brier_score(y_pool, p_iso));
  report.metric("calibration.raw.ece", rel_raw.expected_calibration_error);
  report.metric("calibration.platt.ece", rel_platt.expected_calibration_error);
  report.metric("calibration.isotonic.ece", rel_iso.expected_calibration_error);
  report.metric("calibration.platt.a", platt_a);
  report.metric("calibration.platt.b", platt_b);
  report.metric("calibration.raw.log_loss", me::log_loss(y_pool, p_raw));
  report.metric("calibration.platt.log_loss", me::log_loss(y_pool, p_platt));
  report.metric("calibration.isotonic.log_loss", me::log_loss(y_pool, p_iso));
  report.text(fmt::format(
      "The over-regularised model (λ = {}) is fitted on half of each split, the calibration maps on a "
      "quarter, and the test quarters of the {} splits are pooled ({} predictions). Platt's map of the "
      "first split is p = σ({}·s + {}) on the logit s: a slope above one stretches the shrunken logits "
      "back. Isotonic regression is monotone, so the ranking (AUC) can only lose ties, never order; its "
      "steps reach 0 and 1 exactly, which the log-loss punishes wherever a test point lands on the wrong "
      "side of a step.",
      strong_lambda, repeats, y_pool.size(), mlc::num(platt_a), mlc::num(platt_b)));
  mlc::Figure rel("Reliability diagram (test part)");
  rel.xlabel("mean predicted probability of malignant").ylabel("observed fraction malignant").xrange(0, 1).yrange(0, 1).legend("top left");
  rel.line(Eigen::Vector2d(0, 1), Eigen::Vector2d(0, 1), "perfect calibration", {.color = 8, .dash = true});
  rel.line_points(rel_raw.mean_predicted, rel_raw.fraction_positive, fmt::format("λ = {} (ECE {})", strong_lambda, mlc::num(rel_raw.expected_calibration_error, 2)));
  rel.line_points(rel_platt.mean_predicted, rel_platt.fraction_positive, fmt::format("Platt (ECE {})", mlc::num(rel_platt.expected_calibration_error, 2)));
  rel.line_points(rel_iso.mean_predicted, rel_iso.fraction_positive, fmt::format("isotonic (ECE {})", mlc::num(rel_iso.expected_calibration_error, 2)));
  report.figure(rel, "reliability", "Observed frequency against predicted probability, per bin, before and after calibration.");
  fmt::print("Calibration: Brier {} -> Platt {}, isotonic {}\n", mlc::num(me::brier_score(y_pool, p_raw)),
             mlc::num(me::brier_score(y_pool, p_platt)), mlc::num(me::brier_score(y_pool, p_iso)));

  // ---- 4. Failure mode: leakage on pure-noise labels ----------------------------------
  report.section("Leakage on pure-noise labels");
  mlc::Rng noise_rng(opt.seed + 11);
  const int n_noise = 100, d_noise = opt.quick ? 1000 : 5000, k_screen = 20;
  const Eigen::MatrixXd X_noise = noise_rng.normal_matrix(n_noise, d_noise);
  Eigen::VectorXi y_noise(n_noise);
  for (int i = 0; i < n_noise; ++i) y_noise(i) = i % 2;
  const Eigen::VectorXi y_shuffled = [&] {
    Eigen::VectorXi y = y_noise;
    const auto perm = noise_rng.permutation(n_noise);
    for (int i = 0; i < n_noise; ++i) y(i) = y_noise(perm[static_cast<std::size_t>(i)]);
    return y;
  }();
  // The wrong way: screen the features on all rows, then cross-validate.
  mlc::Rng cv_a(opt.seed + 12), cv_b(opt.seed + 12), cv_c(opt.seed + 12), cv_d(opt.seed + 12);
  const auto leaky_cols = me::select_top_correlated(X_noise, y_shuffled, k_screen);
  const auto leaky = me::cross_validate(me::select_columns(X_noise, leaky_cols), y_shuffled, me::nearest_centroid, 5, cv_a);
  // The right way: the screening is part of the model, redone inside every fold.
  auto screened_centroid = [k_screen](const Eigen::MatrixXd& Xtr, const Eigen::VectorXi& ytr, const Eigen::MatrixXd& Xte) {
    const auto cols = me::select_top_correlated(Xtr, ytr, k_screen);
    return me::nearest_centroid(me::select_columns(Xtr, cols), ytr, me::select_columns(Xte, cols));
  };
  const auto honest = me::cross_validate(X_noise, y_shuffled, screened_centroid, 5, cv_b);
  // Scaling before the split leaks too, but only the first two moments of the test rows.
  const auto scaled_outside = me::cross_validate(mlc::Standardizer().fit_transform(X_noise), y_shuffled, screened_centroid, 5, cv_c, false);
  const auto scaled_inside = me::cross_validate(X_noise, y_shuffled, screened_centroid, 5, cv_d, true);
  report.metric("leakage.leaky_cv_accuracy", leaky.mean);
  report.metric("leakage.honest_cv_accuracy", honest.mean);
  report.metric("leakage.scaled_before_split_cv_accuracy", scaled_outside.mean);
  report.metric("leakage.scaled_in_fold_cv_accuracy", scaled_inside.mean);
  // Standard error of a 5-fold CV accuracy at chance over n rows: √(0.25 / n).
  const double chance_se = std::sqrt(0.25 / n_noise);
  report.table({"protocol (labels are pure noise: truth is 0.5)", "5-fold CV accuracy"},
               {{fmt::format("screen {} of {} features on all rows, then CV (leaky)", k_screen, d_noise), mlc::mean_sd(leaky.mean, leaky.sd)},
                {"screen inside each fold (honest)", mlc::mean_sd(honest.mean, honest.sd)},
                {"standardize all rows, screen in fold", mlc::mean_sd(scaled_outside.mean, scaled_outside.sd)},
                {"standardize and screen in fold", mlc::mean_sd(scaled_inside.mean, scaled_inside.sd)}});
  report.text(fmt::format("At chance a 5-fold CV accuracy over {} rows has standard error ≈ {}.", n_noise, mlc::num(chance_se, 2)));
  // Leaky accuracy as the number of screened features grows.
  std::vector<double> ks, leaky_curve, honest_curve;
  for (int k : {1, 2, 5, 10, 20, 50, 100}) {
    mlc::Rng r1(opt.seed + 13), r2(opt.seed + 13);
    const auto cols = me::select_top_correlated(X_noise, y_shuffled, k);
    ks.push_back(k);
    leaky_curve.push_back(me::cross_validate(me::select_columns(X_noise, cols), y_shuffled, me::nearest_centroid, 5, r1).mean);
    honest_curve.push_back(me::cross_validate(X_noise, y_shuffled, [k](const Eigen::MatrixXd& Xtr, const Eigen::VectorXi& ytr, const Eigen::MatrixXd& Xte) {
      const auto c = me::select_top_correlated(Xtr, ytr, k);
      return me::nearest_centroid(me::select_columns(Xtr, c), ytr, me::select_columns(Xte, c));
    }, 5, r2).mean);
  }
  mlc::Figure leak("Cross-validated accuracy on pure-noise labels");
  leak.xlabel("features kept by screening").ylabel("5-fold CV accuracy").logx().yrange(0.2, 1.05).legend("top left");
  leak.line_points(ks, leaky_curve, "screened on all rows (leaky)");
  leak.line_points(ks, honest_curve, "screened inside each fold (honest)");
  leak.hline(0.5, "chance", {.color = 8, .dash = true});
  report.figure(leak, "leakage", "The leaky estimate climbs far above chance although there is nothing to learn.");
  report.failure_mode({
      .name = "Data leakage: feature selection before the split",
      .trigger = fmt::format("{} rows, {} pure-noise features, labels independent of everything; the {} features most "
                             "correlated with the labels are screened on all rows, then 5-fold CV is run.", n_noise, d_noise, k_screen),
      .symptom = fmt::format("leaky CV accuracy {} (metric leakage.leaky_cv_accuracy) where the truth is 0.5; the honest "
                             "estimate is {} (leakage.honest_cv_accuracy).", mlc::num(leaky.mean), mlc::num(honest.mean)),
      .why = "With thousands of candidate features, some correlate with the labels by chance in this sample, test rows "
             "included. Screening on all rows picks exactly those, so the test folds have already informed the model.",
      .mitigation = fmt::format("Treat every data-dependent step (screening, scaling, imputation, tuning) as part of the "
                                "model and refit it inside each training fold: {} (chance). Scaling outside the split "
                                "leaks only means and variances: {} vs {} in fold.", mlc::num(honest.mean),
                                mlc::num(scaled_outside.mean), mlc::num(scaled_inside.mean))});
  fmt::print("Leakage on noise labels: leaky CV {} vs honest CV {}\n", mlc::num(leaky.mean), mlc::num(honest.mean));

  // ---- 5. Failure mode: imbalanced data -------------------------------------------------
  report.section("Imbalanced data: a good AUC with poor precision");
  mlc::Rng imb_rng(opt.seed + 21);
  const int n_imb = opt.quick ? 20000 : 100000;
  const double prevalence = 0.01, separation = 2.0;
  Eigen::VectorXi y_imb(n_imb);
  Eigen::VectorXd s_imb(n_imb);
  for (int i = 0; i < n_imb; ++i) {
    y_imb(i) = imb_rng.bernoulli(prevalence);
    s_imb(i) = imb_rng.normal() + separation * y_imb(i);
  }
  const double auc_imb = me::roc_auc(y_imb, s_imb), ap_imb = me::average_precision(y_imb, s_imb);
  const Eigen::VectorXi pred_imb = (s_imb.array() > 0.5 * separation).cast<int>();
  const auto bs = me::binary_scores(y_imb, pred_imb);
  const Eigen::VectorXi all_negative = Eigen::VectorXi::Zero(n_imb);
  const double trivial_accuracy = me::accuracy(y_imb, all_negative);
  report.metric("imbalance.roc_auc", auc_imb);
  report.metric("imbalance.average_precision", ap_imb);
  report.metric("imbalance.precision_at_midpoint", bs.precision);
  report.metric("imbalance.recall_at_midpoint", bs.recall);
  report.metric("imbalance.always_negative_accuracy", trivial_accuracy);
  report.table({"measure", "value"},
               {{"ROC AUC", mlc::num(auc_imb)}, {"average precision", mlc::num(ap_imb)},
                {"precision at the midpoint threshold", mlc::num(bs.precision)},
                {"recall at the midpoint threshold", mlc::num(bs.recall)},
                {"accuracy of always predicting negative", mlc::num(trivial_accuracy)}});
  const auto roc_imb = me::roc_curve(y_imb, s_imb);
  const auto pr_imb = me::precision_recall_curve(y_imb, s_imb);
  mlc::Figure imb("One score, two pictures: 1 % positives");
  imb.xlabel("false positive rate (ROC) / recall (PR)").ylabel("true positive rate (ROC) / precision (PR)").xrange(0, 1).yrange(0, 1.02).legend("center right");
  // n_imb + 1 points per curve: decimated to what the 720 × 480 plot can show.
  const auto [roc_x, roc_y] = decimate_to_pixels(roc_imb.fpr, roc_imb.tpr, 1.0, 1.02);
  const auto [pr_x, pr_y] = decimate_to_pixels(pr_imb.recall, pr_imb.precision, 1.0, 1.02);
  imb.line(roc_x, roc_y, fmt::format("ROC (AUC {})", mlc::num(auc_imb, 3)));
  imb.line(pr_x, pr_y, fmt::format("PR (AP {})", mlc::num(ap_imb, 3)));
  report.figure(imb, "imbalance", "The same scores as a ROC curve and as a precision-recall curve.");
  report.failure_mode({
      .name = "A high AUC on heavily imbalanced data hides poor precision",
      .trigger = fmt::format("{} samples, {} % positives, scores N(0,1) for negatives and N({},1) for positives.",
                             n_imb, 100 * prevalence, separation),
      .symptom = fmt::format("ROC AUC {} looks strong, yet at the midpoint threshold precision is {} (recall {}): most "
                             "alarms are false. Always predicting negative scores accuracy {}.", mlc::num(auc_imb),
                             mlc::num(bs.precision), mlc::num(bs.recall), mlc::num(trivial_accuracy)),
      .why = "The false positive rate divides by the huge number of negatives, so thousands of false alarms are a small "
             "FPR; precision divides by the number of alarms, where those same false positives dominate.",
      .mitigation = fmt::format("Report precision-recall (average precision {}) and metrics at the operating threshold, "
                                "chosen for the costs of the application; never accuracy alone.", mlc::num(ap_imb))});
  fmt::print("Imbalance: AUC {} but precision {} at the midpoint threshold\n", mlc::num(auc_imb), mlc::num(bs.precision));

  report.write();
}

}  // namespace

int main(int argc, char** argv) { return mlc::lesson_main(argc, argv, kLesson, run); }
