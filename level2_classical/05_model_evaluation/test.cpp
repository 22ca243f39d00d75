// Lesson 2.5 model_evaluation: the grade. References: hand-computed small cases (the
// values a reader can check on paper), the Mann–Whitney identity for AUC, optimality
// conditions for the calibration maps, and the two failure modes of the report.
#include "model_evaluation.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "mlc/gradcheck.hpp"
#include "mlc/testing.hpp"

namespace me = model_evaluation;

namespace {

Eigen::VectorXi ints(std::initializer_list<int> v) {
  Eigen::VectorXi out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (int x : v) out(i++) = x;
  return out;
}

Eigen::VectorXd doubles(std::initializer_list<double> v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) out(i++) = x;
  return out;
}

TEST(Metrics, AccuracyAndConfusionMatrixOnAHandExample) {
  const auto y = ints({0, 0, 1, 1, 2, 2}), p = ints({0, 1, 1, 1, 2, 0});
  EXPECT_DOUBLE_EQ(me::accuracy(y, p), 4.0 / 6.0);
  Eigen::MatrixXi expected(3, 3);
  expected << 1, 1, 0, 0, 2, 0, 1, 0, 1;
  EXPECT_EQ(me::confusion_matrix(y, p, 3), expected);
}

TEST(Metrics, PrecisionRecallF1OnAHandExample) {
  // TP = 2, FP = 1, FN = 2, TN = 3.
  const auto y = ints({1, 1, 1, 1, 0, 0, 0, 0}), p = ints({1, 1, 0, 0, 1, 0, 0, 0});
  const auto s = me::binary_scores(y, p);
  EXPECT_EQ(s.tp, 2);
  EXPECT_EQ(s.fp, 1);
  EXPECT_DOUBLE_EQ(s.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.recall, 0.5);
  EXPECT_DOUBLE_EQ(s.f1, 2 * (2.0 / 3.0) * 0.5 / (2.0 / 3.0 + 0.5));
  EXPECT_DOUBLE_EQ(s.specificity, 0.75);
}

TEST(Metrics, BalancedAccuracyIsTheMeanRecall) {
  const auto y = ints({0, 0, 0, 0, 1}), p = ints({0, 0, 0, 0, 0});
  const auto r = me::classification_report(y, p, 2);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.8);
  EXPECT_DOUBLE_EQ(r.balanced_accuracy, 0.5);
  EXPECT_EQ(r.support, ints({4, 1}));
}

// The example of Fawcett (2006) style, small enough to check by hand: the positive
// scores are 0.35 and 0.8, the negatives 0.1 and 0.4; 3 of the 4 positive–negative
// pairs are ordered correctly, so AUC = 0.75; the PR steps give AP = 0.5·1 + 0.5·(2/3).
TEST(Curves, AucAndAveragePrecisionOnAHandExample) {
  const auto y = ints({0, 0, 1, 1});
  const auto s = doubles({0.1, 0.4, 0.35, 0.8});
  EXPECT_DOUBLE_EQ(me::roc_auc(y, s), 0.75);
  EXPECT_DOUBLE_EQ(me::mann_whitney_auc(y, s), 0.75);
  EXPECT_NEAR(me::average_precision(y, s), 0.5 + 0.5 * 2.0 / 3.0, 1e-15);
  const auto roc = me::roc_curve(y, s);
  EXPECT_EQ(roc.fpr.size(), 5);
  EXPECT_EQ(roc.fpr(0), 0.0);
  EXPECT_EQ(roc.tpr(roc.tpr.size() - 1), 1.0);
}

TEST(Curves, TrapezoidAucEqualsMannWhitneyWithTies) {
  mlc::Rng rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    const Eigen::Index n = 50 + 10 * trial;
    Eigen::VectorXi y(n);
    Eigen::VectorXd s(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      y(i) = rng.bernoulli(0.3) ? 1 : 0;
      // Rounded scores make many ties, where the two computations could disagree.
      s(i) = std::round(4 * (rng.normal() + 0.8 * y(i))) / 4;
    }
    if (y.sum() == 0 || y.sum() == n) continue;
    EXPECT_NEAR(me::roc_auc(y, s), me::mann_whitney_auc(y, s), 1e-12) << "trial " << trial;
  }
}

TEST(Curves, AucIsInvariantToMonotoneTransformsAndFlipsUnderNegation) {
  mlc::Rng rng(4);
  Eigen::VectorXi y(200);
  Eigen::VectorXd s(200);
  for (int i = 0; i < 200; ++i) {
    y(i) = i % 3 == 0;
    s(i) = rng.normal() + y(i);
  }
  const double auc = me::roc_auc(y, s);
  EXPECT_NEAR(me::roc_auc(y, s.array().exp().matrix()), auc, 1e-15);
  EXPECT_NEAR(me::roc_auc(y, -s), 1.0 - auc, 1e-12);
}

TEST(Probabilities, BrierAndLogLossOnAHandExample) {
  const auto y = ints({1, 0});
  const auto p = doubles({0.8, 0.4});
  EXPECT_DOUBLE_EQ(me::brier_score(y, p), (0.04 + 0.16) / 2);
  EXPECT_NEAR(me::log_loss(y, p), -(std::log(0.8) + std::log(0.6)) / 2, 1e-15);
}

// Outcomes drawn as y ~ Bernoulli(p) are calibrated by construction. With n = 20 000 over
// 10 bins (≈ 2 000 per bin), a bin's fraction of positives has standard error at most
// 0.5/√2000 = 0.0112, so every |p̄_b − ȳ_b| stays below 4.5 SE = 0.05 except with
// negligible probability, and so does ECE, their weighted mean.
TEST(Probabilities, CalibratedProbabilitiesHaveSmallEce) {
  mlc::Rng rng(5);
  const int n = 20000;
  Eigen::VectorXd p = rng.uniform_vector(n);
  Eigen::VectorXi y(n);
  for (int i = 0; i < n; ++i) y(i) = rng.bernoulli(p(i));
  const auto d = me::reliability_diagram(y, p, 10);
  EXPECT_EQ(d.count.sum(), n);
  EXPECT_LT(d.expected_calibration_error, 0.05);
  // Squashing the same probabilities towards 0.5 mis-calibrates them: ECE grows.
  const Eigen::VectorXd squashed = (0.5 + 0.3 * (p.array() - 0.5)).matrix();
  EXPECT_GT(me::reliability_diagram(y, squashed, 10).expected_calibration_error, 0.1);
}

// Platt's fit is the minimiser of the cross-entropy with smoothed targets: its gradient
// there, computed by central differences independently of the Newton code, is zero.
TEST(Calibration, PlattScalingSolvesItsOptimalityCondition) {
  mlc::Rng rng(6);
  const int n = 400;
  Eigen::VectorXd s = rng.normal_vector(n);
  Eigen::VectorXi y(n);
  for (int i = 0; i < n; ++i) y(i) = rng.bernoulli(1 / (1 + std::exp(-(2.0 * s(i) - 0.5))));
  me::PlattScaling platt;
  platt.fit(s, y);
  const double n_pos = y.sum(), n_neg = n - n_pos;
  auto loss = [&](const Eigen::VectorXd& ab) {
    double total = 0;
    for (int i = 0; i < n; ++i) {
      const double t = y(i) ? (n_pos + 1) / (n_pos + 2) : 1 / (n_neg + 2);
      const double p = 1 / (1 + std::exp(-(ab(0) * s(i) + ab(1))));
      total -= t * std::log(p) + (1 - t) * std::log(1 - p);
    }
    return total;
  };
  const Eigen::VectorXd g = mlc::numerical_gradient(loss, Eigen::Vector2d(platt.a, platt.b));
  EXPECT_LT(g.norm(), 1e-5);
  // The generating slope 2 lies within a few standard errors (≈ 0.2 at n = 400).
  EXPECT_NEAR(platt.a, 2.0, 0.8);
}

TEST(Calibration, IsotonicRegressionPoolsAdjacentViolators) {
  me::IsotonicRegression iso;
  iso.fit(doubles({1, 2, 3, 4}), doubles({1, 3, 2, 4}));
  EXPECT_ALLCLOSE(iso.predict(doubles({1, 2, 3, 4})), doubles({1, 2.5, 2.5, 4}), 1e-15);
  // Already monotone data is reproduced exactly.
  iso.fit(doubles({0, 1, 2}), doubles({0.1, 0.2, 0.9}));
  EXPECT_ALLCLOSE(iso.predict(doubles({0, 1, 2})), doubles({0.1, 0.2, 0.9}), 1e-15);
}

TEST(Calibration, IsotonicFitIsMonotoneAndPreservesTheMean) {
  mlc::Rng rng(7);
  const int n = 300;
  Eigen::VectorXd x = rng.uniform_vector(n), y(n);
  for (int i = 0; i < n; ++i) y(i) = x(i) + 0.3 * rng.normal();
  me::IsotonicRegression iso;
  iso.fit(x, y);
  const Eigen::VectorXd f = iso.predict(Eigen::VectorXd::LinSpaced(101, 0, 1));
  for (int i = 1; i < f.size(); ++i) EXPECT_GE(f(i), f(i - 1));
  // Each pooled block's value is the mean of its y, so the fitted values at the data
  // points have the same mean as y (a property of the least-squares projection).
  EXPECT_NEAR(iso.predict(x).mean(), y.mean(), 1e-12);
}

// Failure mode 1 of the report: screening features on all the data before
// cross-validation. The labels are pure noise, so every honest estimate is chance
// (0.5). With n = 60, a 5-fold CV accuracy has standard error ≈ √(0.25/60) = 0.065:
// honest must lie within 4 SE of 0.5; the leaky estimate is far outside that band.
TEST(FailureModes, FeatureSelectionBeforeTheSplitLeaksOnPureNoise) {
  mlc::Rng rng(8);
  const int n = 60, d = 2000, k = 10;
  const Eigen::MatrixXd X = rng.normal_matrix(n, d);
  Eigen::VectorXi y(n);
  for (int i = 0; i < n; ++i) y(i) = i % 2;
  const auto selected = me::select_top_correlated(X, y, k);
  mlc::Rng cv_rng(9);
  const auto leaky = me::cross_validate(me::select_columns(X, selected), y, me::nearest_centroid, 5, cv_rng);
  mlc::Rng cv_rng2(9);
  const auto honest = me::cross_validate(
      X, y,
      [k](const Eigen::MatrixXd& Xtr, const Eigen::VectorXi& ytr, const Eigen::MatrixXd& Xte) {
        const auto cols = me::select_top_correlated(Xtr, ytr, k);
        return me::nearest_centroid(me::select_columns(Xtr, cols), ytr, me::select_columns(Xte, cols));
      },
      5, cv_rng2);
  EXPECT_GT(leaky.mean, 0.5 + 4 * 0.065);
  EXPECT_NEAR(honest.mean, 0.5, 4 * 0.065);
}

// Failure mode 2: on a 1 %-positive problem a good ranking (high AUC) still gives poor
// precision: most of the top-ranked samples are negatives because there are 99 times
// more of them.
TEST(FailureModes, ImbalancedDataHasHighAucButLowPrecision) {
  mlc::Rng rng(10);
  const int n = 20000;
  Eigen::VectorXi y(n);
  Eigen::VectorXd s(n);
  for (int i = 0; i < n; ++i) {
    y(i) = rng.bernoulli(0.01);
    s(i) = rng.normal() + 2.0 * y(i);  // separation of 2 standard deviations: AUC = Φ(2/√2) ≈ 0.92
  }
  const double auc = me::roc_auc(y, s);
  EXPECT_NEAR(auc, 0.9214, 0.03);  // SE of the AUC with ~200 positives ≈ 0.01
  const Eigen::VectorXi predicted = (s.array() > 1.0).cast<int>();
  EXPECT_LT(me::binary_scores(y, predicted).precision, 0.15);
  EXPECT_LT(me::average_precision(y, s), 0.4);
}

TEST(Protocol, EvaluateOnSplitsStandardizesWithTrainingStatisticsAndRepeats) {
  const auto data = mlc::load_dataset("iris");
  int calls = 0;
  const auto summary = me::evaluate_on_splits(data, 3, 11, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
    ++calls;
    EXPECT_EQ(train.n() + test.n(), 150);
    EXPECT_LT(train.X.colwise().mean().cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_GT(test.X.colwise().mean().cwiseAbs().maxCoeff(), 1e-6);  // test part is not refitted
    const Eigen::VectorXi pred = me::nearest_centroid(train.X, train.labels(), test.X);
    return std::map<std::string, double>{{"test_accuracy", me::accuracy(test.labels(), pred)}};
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(summary.values.at("test_accuracy").size(), 3u);
  EXPECT_GT(summary.mean("test_accuracy"), 0.6);  // far above chance (1/3); measured ≈ 0.79
}

TEST(Multiclass, LogLossBrierAndTopLabelOnAHandExample) {
  Eigen::MatrixXd P(3, 3);
  P << 0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 0.3, 0.3, 0.4;
  const auto y = ints({0, 1, 2});
  EXPECT_NEAR(me::multiclass_log_loss(y, P), -(std::log(0.7) + std::log(0.1) + std::log(0.4)) / 3, 1e-14);
  const double brier = ((0.09 + 0.04 + 0.01) + (0.01 + 0.81 + 0.64) + (0.09 + 0.09 + 0.36)) / 3;
  EXPECT_NEAR(me::multiclass_brier(y, P), brier, 1e-14);
  const auto t = me::top_label(y, P);
  EXPECT_EQ(t.correct, ints({1, 0, 1}));
  EXPECT_ALLCLOSE(t.confidence, doubles({0.7, 0.8, 0.4}), 0);
}

TEST(Regression, MetricsOnAHandExample) {
  const auto y = doubles({1, 2, 3, 4}), p = doubles({1, 2, 4, 2});
  EXPECT_DOUBLE_EQ(me::mean_squared_error(y, p), (0 + 0 + 1 + 4) / 4.0);
  EXPECT_DOUBLE_EQ(me::mean_absolute_error(y, p), (0 + 0 + 1 + 2) / 4.0);
  EXPECT_DOUBLE_EQ(me::r_squared(y, p), 1.0 - 5.0 / 5.0);  // Σ(y − ȳ)² = 5
  EXPECT_DOUBLE_EQ(me::r_squared(y, y), 1.0);
  EXPECT_THROW(me::r_squared(doubles({2, 2}), doubles({1, 3})), std::invalid_argument);
}

TEST(Inputs, MismatchedSizesAreRejectedWithTheFunctionName) {
  try {
    me::accuracy(ints({0, 1}), ints({0}));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("accuracy"), std::string::npos);
  }
  EXPECT_THROW(me::roc_auc(ints({1, 1}), doubles({0.2, 0.3})), std::invalid_argument);  // one class only
}

}  // namespace
