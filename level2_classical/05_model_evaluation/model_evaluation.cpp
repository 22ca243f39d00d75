// Lesson 2.5 model_evaluation: metrics, curves, calibration and protocols.
// Equation numbers refer to NOTES.md; shapes: n samples, K classes.
#include "model_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "mlc/error.hpp"

namespace model_evaluation {

namespace {

void require_same_size(const char* function, Eigen::Index a, Eigen::Index b) {
  mlc::require(a == b, function, fmt::format("y_true has {} entries but the other argument has {}", a, b));
  mlc::require(a > 0, function, "no samples");
}

void require_binary(const char* function, const Eigen::VectorXi& y) {
  for (Eigen::Index i = 0; i < y.size(); ++i)
    mlc::require(y(i) == 0 || y(i) == 1, function, fmt::format("labels must be 0 or 1, y({}) = {}", i, y(i)));
}

double safe_ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

// Indices sorting the scores in decreasing order (ties keep their original order).
std::vector<Eigen::Index> order_by_decreasing_score(const Eigen::VectorXd& scores) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(scores.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return scores(a) > scores(b); });
  return order;
}

}  // namespace

// ---- Metrics of predicted labels --------------------------------------------------------

double accuracy(const Eigen::VectorXi& y_true, const Eigen::VectorXi& y_pred) {
  require_same_size("accuracy", y_true.size(), y_pred.size());
  // (1) acc = (1/n) Σ [ŷ_i = y_i]
  return static_cast<double>((y_true.array() == y_pred.array()).count()) / static_cast<double>(y_true.size());
}

Eigen::MatrixXi confusion_matrix(const Eigen::VectorXi& y_true, const Eigen::VectorXi& y_pred, int num_classes) {
  require_same_size("confusion_matrix", y_true.size(), y_pred.size());
  Eigen::MatrixXi C = Eigen::MatrixXi::Zero(num_classes, num_classes);
  for (Eigen::Index i = 0; i < y_true.size(); ++i) {
    mlc::require(y_true(i) >= 0 && y_true(i) < num_classes && y_pred(i) >= 0 && y_pred(i) < num_classes,
                 "confusion_matrix", fmt::format("label out of range 0..{} at {}", num_classes - 1, i));
    C(y_true(i), y_pred(i)) += 1;  // (2) rows: truth, columns: prediction
  }
  return C;
}

BinaryScores binary_scores(const Eigen::VectorXi& y_true, const Eigen::VectorXi& y_pred, int positive) {
  require_same_size("binary_scores", y_true.size(), y_pred.size());
  BinaryScores s;
  for (Eigen::Index i = 0; i < y_true.size(); ++i) {
    const bool truth = y_true(i) == positive, predicted = y_pred(i) == positive;
    s.tp += truth && predicted;
    s.fp += !truth && predicted;
    s.fn += truth && !predicted;
    s.tn += !truth && !predicted;
  }
  // (3) precision, recall, F1 = 2PR/(P+R); 0 where the ratio is 0/0
  s.precision = safe_ratio(static_cast<double>(s.tp), static_cast<double>(s.tp + s.fp));
  s.recall = safe_ratio(static_cast<double>(s.tp), static_cast<double>(s.tp + s.fn));
  s.specificity = safe_ratio(static_cast<double>(s.tn), static_cast<double>(s.tn + s.fp));
  s.f1 = safe_ratio(2.0 * s.precision * s.recall, s.precision + s.recall);
  return s;
}

ClassificationReport classification_report(const Eigen::VectorXi& y_true, const Eigen::VectorXi& y_pred,
                                           int num_classes) {
  const Eigen::MatrixXi C = confusion_matrix(y_true, y_pred, num_classes);
  ClassificationReport r;
  r.precision.resize(num_classes);
  r.recall.resize(num_classes);
  r.f1.resize(num_classes);
  r.support = C.rowwise().sum();
  const Eigen::VectorXi predicted = C.colwise().sum().transpose();
  double recall_sum = 0;
  int present = 0;
  for (int k = 0; k < num_classes; ++k) {
    r.precision(k) = safe_ratio(C(k, k), predicted(k));
    r.recall(k) = safe_ratio(C(k, k), r.support(k));
    r.f1(k) = safe_ratio(2.0 * r.precision(k) * r.recall(k), r.precision(k) + r.recall(k));
    if (r.support(k) > 0) {
      recall_sum += r.recall(k);
      ++present;
    }
  }
  const double n = static_cast<double>(y_true.size());
  r.accuracy = static_cast<double>(C.trace()) / n;
  r.balanced_accuracy = present > 0 ? recall_sum / present : 0.0;
  r.macro_f1 = r.f1.mean();
  r.weighted_f1 = r.f1.dot(r.support.cast<double>()) / n;
  return r;
}

// ---- Metrics of scores ------------------------------------------------------------------

RocCurve roc_curve(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores) {
  require_same_size("roc_curve", y_true.size(), scores.size());
  require_binary("roc_curve", y_true);
  const double n_pos = y_true.sum(), n_neg = static_cast<double>(y_true.size()) - n_pos;
  mlc::require(n_pos > 0 && n_neg > 0, "roc_curve", "needs both classes in y_true");
  mlc::require(scores.allFinite(), "roc_curve", "scores must be finite");
  std::vector<double> fpr{0.0}, tpr{0.0}, thr{std::numeric_limits<double>::infinity()};
  // BEGIN EXERCISE roc_sweep: lower the threshold through the sorted scores, equation (4)
  const auto order = order_by_decreasing_score(scores);
  double tp = 0, fp = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Eigen::Index idx = order[i];
    if (y_true(idx) == 1) tp += 1; else fp += 1;
    // Emit a point only after the last sample of a group of tied scores.
    const bool last_of_tie = i + 1 == order.size() || scores(order[i + 1]) != scores(idx);
    if (last_of_tie) {
      fpr.push_back(fp / n_neg);
      tpr.push_back(tp / n_pos);
      thr.push_back(scores(idx));
    }
  }
  // END EXERCISE
  RocCurve c;
  c.fpr = Eigen::Map<Eigen::VectorXd>(fpr.data(), static_cast<Eigen::Index>(fpr.size()));
  c.tpr = Eigen::Map<Eigen::VectorXd>(tpr.data(), static_cast<Eigen::Index>(tpr.size()));
  c.thresholds = Eigen::Map<Eigen::VectorXd>(thr.data(), static_cast<Eigen::Index>(thr.size()));
  return c;
}

double roc_auc(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores) {
  const RocCurve c = roc_curve(y_true, scores);
  double area = 0;
  // (5) trapezoid rule: Σ (F_i − F_{i−1}) (T_i + T_{i−1}) / 2
  for (Eigen::Index i = 1; i < c.fpr.size(); ++i) area += (c.fpr(i) - c.fpr(i - 1)) * 0.5 * (c.tpr(i) + c.tpr(i - 1));
  return area;
}

double mann_whitney_auc(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores) {
  require_same_size("mann_whitney_auc", y_true.size(), scores.size());
  require_binary("mann_whitney_auc", y_true);
  const Eigen::Index n = scores.size();
  const double n_pos = y_true.sum(), n_neg = static_cast<double>(n) - n_pos;
  mlc::require(n_pos > 0 && n_neg > 0, "mann_whitney_auc", "needs both classes in y_true");
  // BEGIN EXERCISE mann_whitney: AUC from the rank sum of the positives with mid-ranks, equation (6)
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return scores(a) < scores(b); });
  double rank_sum_pos = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && scores(order[j + 1]) == scores(order[i])) ++j;
    const double mid_rank = 0.5 * static_cast<double>(i + j) + 1.0;  // ranks are 1-based
    for (std::size_t t = i; t <= j; ++t)
      if (y_true(order[t]) == 1) rank_sum_pos += mid_rank;
    i = j + 1;
  }
  return (rank_sum_pos - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
  // END EXERCISE
}

PrCurve precision_recall_curve(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores) {
  require_same_size("precision_recall_curve", y_true.size(), scores.size());
  require_binary("precision_recall_curve", y_true);
  const double n_pos = y_true.sum();
  mlc::require(n_pos > 0, "precision_recall_curve", "needs at least one positive");
  const auto order = order_by_decreasing_score(scores);
  std::vector<double> precision, recall, thr;
  double tp = 0, predicted = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Eigen::Index idx = order[i];
    predicted += 1;
    tp += y_true(idx);
    const bool last_of_tie = i + 1 == order.size() || scores(order[i + 1]) != scores(idx);
    if (last_of_tie) {  // (7) P = TP / predicted positives, R = TP / positives
      precision.push_back(tp / predicted);
      recall.push_back(tp / n_pos);
      thr.push_back(scores(idx));
    }
  }
  PrCurve c;
  c.precision = Eigen::Map<Eigen::VectorXd>(precision.data(), static_cast<Eigen::Index>(precision.size()));
  c.recall = Eigen::Map<Eigen::VectorXd>(recall.data(), static_cast<Eigen::Index>(recall.size()));
  c.thresholds = Eigen::Map<Eigen::VectorXd>(thr.data(), static_cast<Eigen::Index>(thr.size()));
  return c;
}

double average_precision(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores) {
  const PrCurve c = precision_recall_curve(y_true, scores);
  // BEGIN EXERCISE average_precision: step-wise area under the PR curve, equation (8)
  double ap = 0, previous_recall = 0;
  for (Eigen::Index k = 0; k < c.recall.size(); ++k) {
    ap += (c.recall(k) - previous_recall) * c.precision(k);
    previous_recall = c.recall(k);
  }
  return ap;
  // END EXERCISE
}

// ---- Metrics of probabilities -----------------------------------------------------------

double brier_score(const Eigen::VectorXi& y_true, const Eigen::VectorXd& p) {
  require_same_size("brier_score", y_true.size(), p.size());
  require_binary("brier_score", y_true);
  return (p - y_true.cast<double>()).squaredNorm() / static_cast<double>(p.size());  // (9)
}

double log_loss(const Eigen::VectorXi& y_true, const Eigen::VectorXd& p, double eps) {
  require_same_size("log_loss", y_true.size(), p.size());
  require_binary("log_loss", y_true);
  double total = 0;
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    const double q = std::clamp(p(i), eps, 1.0 - eps);
    total -= y_true(i) == 1 ? std::log(q) : std::log1p(-q);  // (10)
  }
  return total / static_cast<double>(p.size());
}

ReliabilityDiagram reliability_diagram(const Eigen::VectorXi& y_true, const Eigen::VectorXd& p, int bins) {
  require_same_size("reliability_diagram", y_true.size(), p.size());
  require_binary("reliability_diagram", y_true);
  mlc::require(bins >= 1, "reliability_diagram", "need at least one bin");
  Eigen::VectorXd sum_p = Eigen::VectorXd::Zero(bins), sum_y = Eigen::VectorXd::Zero(bins);
  Eigen::VectorXi count = Eigen::VectorXi::Zero(bins);
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    mlc::require(p(i) >= 0 && p(i) <= 1, "reliability_diagram", fmt::format("p({}) = {} is not a probability", i, p(i)));
    const int b = std::min(bins - 1, static_cast<int>(p(i) * bins));
    sum_p(b) += p(i);
    sum_y(b) += y_true(i);
    count(b) += 1;
  }
  ReliabilityDiagram d;
  const int nonempty = static_cast<int>((count.array() > 0).count());
  d.mean_predicted.resize(nonempty);
  d.fraction_positive.resize(nonempty);
  d.count.resize(nonempty);
  int j = 0;
  for (int b = 0; b < bins; ++b) {
    if (count(b) == 0) continue;
    d.mean_predicted(j) = sum_p(b) / count(b);
    d.fraction_positive(j) = sum_y(b) / count(b);
    d.count(j) = count(b);
    // (11) ECE = Σ_b (n_b/n) |p̄_b − ȳ_b|
    d.expected_calibration_error += static_cast<double>(count(b)) / static_cast<double>(p.size()) *
                                    std::abs(d.mean_predicted(j) - d.fraction_positive(j));
    ++j;
  }
  return d;
}

// ---- Metrics of class probabilities (multiclass) ----------------------------------------

double multiclass_log_loss(const Eigen::VectorXi& y, const Eigen::MatrixXd& P) {
  require_same_size("multiclass_log_loss", y.size(), P.rows());
  Eigen::VectorXd p_true(y.size());
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    mlc::require(y(i) >= 0 && y(i) < P.cols(), "multiclass_log_loss", fmt::format("label {} out of range", y(i)));
    p_true(i) = P(i, y(i));
  }
  return log_loss(Eigen::VectorXi::Ones(y.size()), p_true);
}

double multiclass_brier(const Eigen::VectorXi& y, const Eigen::MatrixXd& P) {
  require_same_size("multiclass_brier", y.size(), P.rows());
  double total = 0;
  for (Eigen::Index c = 0; c < P.cols(); ++c)
    total += brier_score((y.array() == static_cast<int>(c)).cast<int>(), P.col(c));
  return total;
}

TopLabel top_label(const Eigen::VectorXi& y, const Eigen::MatrixXd& P) {
  require_same_size("top_label", y.size(), P.rows());
  TopLabel t{Eigen::VectorXi(y.size()), Eigen::VectorXd(y.size())};
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    Eigen::Index best = 0;
    t.confidence(i) = P.row(i).maxCoeff(&best);
    t.correct(i) = best == y(i) ? 1 : 0;
  }
  return t;
}

// ---- Metrics of regression --------------------------------------------------------------

double mean_squared_error(const Eigen::VectorXd& y_true, const Eigen::VectorXd& y_pred) {
  require_same_size("mean_squared_error", y_true.size(), y_pred.size());
  return (y_true - y_pred).squaredNorm() / static_cast<double>(y_true.size());  // (15)
}

double mean_absolute_error(const Eigen::VectorXd& y_true, const Eigen::VectorXd& y_pred) {
  require_same_size("mean_absolute_error", y_true.size(), y_pred.size());
  return (y_true - y_pred).cwiseAbs().mean();  // (15)
}

double r_squared(const Eigen::VectorXd& y_true, const Eigen::VectorXd& y_pred) {
  require_same_size("r_squared", y_true.size(), y_pred.size());
  const double total = (y_true.array() - y_true.mean()).square().sum();
  mlc::require(total > 0, "r_squared", "y_true is constant, so R² is undefined");
  return 1.0 - (y_true - y_pred).squaredNorm() / total;  // (16)
}

// ---- Calibration maps -------------------------------------------------------------------

void PlattScaling::fit(const Eigen::VectorXd& s, const Eigen::VectorXi& y) {
  require_same_size("PlattScaling::fit", y.size(), s.size());
  require_binary("PlattScaling::fit", y);
  const double n_pos = y.sum(), n_neg = static_cast<double>(y.size()) - n_pos;
  // (12) Platt's smoothed targets keep the fit finite on separable scores.
  const double t_pos = (n_pos + 1) / (n_pos + 2), t_neg = 1 / (n_neg + 2);
  Eigen::VectorXd t(y.size());
  for (Eigen::Index i = 0; i < y.size(); ++i) t(i) = y(i) == 1 ? t_pos : t_neg;
  a = 0.0;
  b = std::log((n_pos + 1) / (n_neg + 1));
  // BEGIN EXERCISE platt_newton: Newton's method on the cross-entropy of σ(a s + b), equation (12)
  for (int iter = 0; iter < 100; ++iter) {
    Eigen::Vector2d g = Eigen::Vector2d::Zero();
    Eigen::Matrix2d H = Eigen::Matrix2d::Identity() * 1e-12;
    for (Eigen::Index i = 0; i < s.size(); ++i) {
      const double z = a * s(i) + b;
      const double p = z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
      const double r = p - t(i), w = p * (1 - p);
      g += r * Eigen::Vector2d(s(i), 1.0);               // ∂L/∂(a, b) = Σ (p − t)(s, 1)
      H += w * Eigen::Vector2d(s(i), 1.0) * Eigen::RowVector2d(s(i), 1.0);  // Σ p(1−p)(s,1)(s,1)ᵀ
    }
    const Eigen::Vector2d step = H.ldlt().solve(g);
    a -= step(0);
    b -= step(1);
    if (step.norm() < 1e-12 * (1 + std::abs(a) + std::abs(b))) break;
  }
  // END EXERCISE
}

Eigen::VectorXd PlattScaling::predict(const Eigen::VectorXd& s) const {
  Eigen::VectorXd p(s.size());
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    const double z = a * s(i) + b;
    p(i) = z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
  }
  return p;
}

void IsotonicRegression::fit(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  mlc::require(x.size() == y.size() && x.size() > 0, "IsotonicRegression::fit", "x and y need equal, non-zero sizes");
  std::vector<Eigen::Index> order(static_cast<std::size_t>(x.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return x(a) < x(b); });
  // Blocks of the pool-adjacent-violators algorithm: weighted mean, weight, x range.
  struct Block { double mean, weight, x_lo, x_hi; };
  std::vector<Block> blocks;
  // BEGIN EXERCISE pool_adjacent_violators: merge blocks until the means are non-decreasing, equation (13)
  for (auto i : order) {
    blocks.push_back({y(i), 1.0, x(i), x(i)});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].mean >= blocks.back().mean) {
      const Block top = blocks.back();
      blocks.pop_back();
      Block& prev = blocks.back();
      prev.mean = (prev.mean * prev.weight + top.mean * top.weight) / (prev.weight + top.weight);
      prev.weight += top.weight;
      prev.x_hi = top.x_hi;
    }
  }
  // END EXERCISE
  // Knots at both ends of each block make the fitted function a step function whose
  // steps are joined linearly.
  std::vector<double> kx, ky;
  for (const auto& blk : blocks) {
    kx.push_back(blk.x_lo);
    ky.push_back(blk.mean);
    if (blk.x_hi > blk.x_lo) {
      kx.push_back(blk.x_hi);
      ky.push_back(blk.mean);
    }
  }
  knots_x_ = Eigen::Map<Eigen::VectorXd>(kx.data(), static_cast<Eigen::Index>(kx.size()));
  knots_y_ = Eigen::Map<Eigen::VectorXd>(ky.data(), static_cast<Eigen::Index>(ky.size()));
}

Eigen::VectorXd IsotonicRegression::predict(const Eigen::VectorXd& x) const {
  mlc::require(knots_x_.size() > 0, "IsotonicRegression::predict", "call fit first");
  Eigen::VectorXd out(x.size());
  const Eigen::Index m = knots_x_.size();
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (x(i) <= knots_x_(0)) { out(i) = knots_y_(0); continue; }
    if (x(i) >= knots_x_(m - 1)) { out(i) = knots_y_(m - 1); continue; }
    const auto* it = std::upper_bound(knots_x_.data(), knots_x_.data() + m, x(i));
    const Eigen::Index hi = it - knots_x_.data(), lo = hi - 1;
    const double t = (x(i) - knots_x_(lo)) / (knots_x_(hi) - knots_x_(lo));
    out(i) = knots_y_(lo) + t * (knots_y_(hi) - knots_y_(lo));
  }
  return out;
}

// ---- Protocols --------------------------------------------------------------------------

CvResult cross_validate(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, const Classifier& model, int k,
                        mlc::Rng& rng, bool standardize_in_fold) {
  mlc::require(X.rows() == y.size(), "cross_validate", fmt::format("X has {} rows, y {} entries", X.rows(), y.size()));
  const auto folds = mlc::stratified_kfold_indices(y, k, rng);
  CvResult result;
  for (const auto& test_rows : folds) {
    const auto train_rows = mlc::complement(test_rows, X.rows());
    Eigen::MatrixXd X_train(static_cast<Eigen::Index>(train_rows.size()), X.cols());
    Eigen::MatrixXd X_test(static_cast<Eigen::Index>(test_rows.size()), X.cols());
    Eigen::VectorXi y_train(static_cast<Eigen::Index>(train_rows.size()));
    Eigen::VectorXi y_test(static_cast<Eigen::Index>(test_rows.size()));
    for (std::size_t i = 0; i < train_rows.size(); ++i) {
      X_train.row(static_cast<Eigen::Index>(i)) = X.row(train_rows[i]);
      y_train(static_cast<Eigen::Index>(i)) = y(train_rows[i]);
    }
    for (std::size_t i = 0; i < test_rows.size(); ++i) {
      X_test.row(static_cast<Eigen::Index>(i)) = X.row(test_rows[i]);
      y_test(static_cast<Eigen::Index>(i)) = y(test_rows[i]);
    }
    if (standardize_in_fold) {
      mlc::Standardizer scaler;
      X_train = scaler.fit_transform(X_train);
      X_test = scaler.transform(X_test);
    }
    result.fold_accuracy.push_back(accuracy(y_test, model(X_train, y_train, X_test)));
  }
  result.mean = mlc::mean(result.fold_accuracy);
  result.sd = mlc::sample_sd(result.fold_accuracy);
  return result;
}

std::vector<Eigen::Index> select_top_correlated(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int k) {
  mlc::require(X.rows() == y.size() && X.rows() > 1, "select_top_correlated", "X rows must match y, n > 1");
  mlc::require(k >= 1 && k <= X.cols(), "select_top_correlated", fmt::format("need 1 <= k <= {}, got {}", X.cols(), k));
  const Eigen::VectorXd yc = y.cast<double>().array() - y.cast<double>().mean();
  const Eigen::MatrixXd Xc = X.rowwise() - X.colwise().mean();
  const Eigen::VectorXd cov = Xc.transpose() * yc;                     // [d]
  const Eigen::VectorXd norms = Xc.colwise().norm().transpose() * yc.norm();
  std::vector<double> score(static_cast<std::size_t>(X.cols()));
  for (Eigen::Index j = 0; j < X.cols(); ++j) score[static_cast<std::size_t>(j)] = norms(j) > 0 ? std::abs(cov(j)) / norms(j) : 0.0;
  std::vector<Eigen::Index> order(static_cast<std::size_t>(X.cols()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    return score[static_cast<std::size_t>(a)] > score[static_cast<std::size_t>(b)];
  });
  order.resize(static_cast<std::size_t>(k));
  return order;
}

Eigen::MatrixXd select_columns(const Eigen::MatrixXd& X, const std::vector<Eigen::Index>& columns) {
  Eigen::MatrixXd out(X.rows(), static_cast<Eigen::Index>(columns.size()));
  for (std::size_t j = 0; j < columns.size(); ++j) out.col(static_cast<Eigen::Index>(j)) = X.col(columns[j]);
  return out;
}

Eigen::VectorXi nearest_centroid(const Eigen::MatrixXd& X_train, const Eigen::VectorXi& y_train,
                                 const Eigen::MatrixXd& X_test) {
  mlc::require(X_train.rows() == y_train.size() && X_train.cols() == X_test.cols(), "nearest_centroid",
               "X_train rows must match y_train and both X must have the same columns");
  const int k = y_train.maxCoeff() + 1;
  Eigen::MatrixXd centroids = Eigen::MatrixXd::Zero(k, X_train.cols());
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(k);
  for (Eigen::Index i = 0; i < X_train.rows(); ++i) {
    centroids.row(y_train(i)) += X_train.row(i);
    counts(y_train(i)) += 1;
  }
  Eigen::VectorXi pred(X_test.rows());
  for (Eigen::Index i = 0; i < X_test.rows(); ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (int c = 0; c < k; ++c) {
      if (counts(c) == 0) continue;
      const double d = (X_test.row(i) - centroids.row(c) / counts(c)).squaredNorm();
      if (d < best) {
        best = d;
        pred(i) = c;
      }
    }
  }
  return pred;
}

double SplitSummary::mean(const std::string& name) const {
  auto it = values.find(name);
  mlc::require(it != values.end(), "SplitSummary::mean", "no values named " + name);
  return mlc::mean(it->second);
}

double SplitSummary::sd(const std::string& name) const {
  auto it = values.find(name);
  mlc::require(it != values.end(), "SplitSummary::sd", "no values named " + name);
  return mlc::sample_sd(it->second);
}

SplitSummary evaluate_on_splits(const mlc::Dataset& data, int repeats, std::uint64_t seed,
                                const FitAndScore& fit_and_score, double test_fraction, bool standardize) {
  mlc::require(repeats >= 1, "evaluate_on_splits", "need at least one repeat");
  SplitSummary summary;
  for (int r = 0; r < repeats; ++r) {
    mlc::Rng rng(seed + static_cast<std::uint64_t>(r));
    mlc::TrainTestSplit split = mlc::train_test_split(data, test_fraction, rng, data.is_classification());
    if (standardize) {
      mlc::Standardizer scaler;
      split.train.X = scaler.fit_transform(split.train.X);
      split.test.X = scaler.transform(split.test.X);
    }
    for (const auto& [name, value] : fit_and_score(split.train, split.test)) summary.values[name].push_back(value);
  }
  return summary;
}

}  // namespace model_evaluation
