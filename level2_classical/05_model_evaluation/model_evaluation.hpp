// Lesson 2.5 model_evaluation: the metrics every classifier lesson links.
//
// Conventions. Labels are Eigen::VectorXi with classes 0..K-1. For binary problems the
// positive class is 1 and a score is "higher means more likely positive" (a probability,
// a margin, a log-odds). Equation numbers refer to NOTES.md.
//
// References: T. Fawcett (2006), "An introduction to ROC analysis", Pattern Recognition
// Letters 27:861–874 (ROC, AUC, Mann–Whitney); J. Davis & M. Goadrich (2006), "The
// relationship between precision-recall and ROC curves", ICML; G. Brier (1950); J. Platt
// (1999), "Probabilistic outputs for support vector machines"; B. Zadrozny & C. Elkan
// (2002), "Transforming classifier scores into accurate multiclass probability
// estimates", KDD (isotonic calibration); A. Niculescu-Mizil & R. Caruana (2005),
// "Predicting good probabilities with supervised learning", ICML.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "mlc/data.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"  // mlc::mean, mlc::sample_sd for the summaries

namespace model_evaluation {

// ---- Metrics of predicted labels --------------------------------------------------------

// Fraction of equal entries.                                                     (1)
double accuracy(const Eigen::VectorXi& y_true, const Eigen::VectorXi& y_pred);

// C(i, j) = number of samples of true class i predicted as class j   [K × K]     (2)
Eigen::MatrixXi confusion_matrix(const Eigen::VectorXi& y_true, const Eigen::VectorXi& y_pred,
                                 int num_classes);

struct BinaryScores {
  long tp = 0, fp = 0, tn = 0, fn = 0;
  double precision = 0, recall = 0, specificity = 0, f1 = 0;  // 0 when undefined (0/0)
};
// Precision TP/(TP+FP), recall TP/(TP+FN), F1 their harmonic mean, for one class.   (3)
BinaryScores binary_scores(const Eigen::VectorXi& y_true, const Eigen::VectorXi& y_pred,
                           int positive = 1);

struct ClassificationReport {
  Eigen::VectorXd precision, recall, f1;  // per class
  Eigen::VectorXi support;                // true samples per class
  double accuracy = 0, balanced_accuracy = 0, macro_f1 = 0, weighted_f1 = 0;
};
ClassificationReport classification_report(const Eigen::VectorXi& y_true,
                                           const Eigen::VectorXi& y_pred, int num_classes);

// ---- Metrics of scores (binary) ---------------------------------------------------------

// ROC curve: one point per distinct threshold, from (0, 0) to (1, 1). thresholds(i) is
// the score at or above which point i predicts positive (+inf for the first point).   (4)
struct RocCurve {
  Eigen::VectorXd fpr, tpr, thresholds;
};
RocCurve roc_curve(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores);

// Area under the ROC curve by the trapezoid rule over roc_curve (ties give diagonal
// segments, i.e. count one half).                                                  (5)
double roc_auc(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores);

// The same number from the Mann–Whitney U statistic with mid-ranks:
// AUC = (R₊ − n₊(n₊+1)/2) / (n₊ n₋) = P(s₊ > s₋) + ½ P(s₊ = s₋).                      (6)
double mann_whitney_auc(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores);

// Precision–recall curve, one point per distinct threshold, recall increasing.        (7)
struct PrCurve {
  Eigen::VectorXd precision, recall, thresholds;
};
PrCurve precision_recall_curve(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores);

// Average precision AP = Σ_k (R_k − R_{k−1}) P_k (step interpolation, no trapezoid).  (8)
double average_precision(const Eigen::VectorXi& y_true, const Eigen::VectorXd& scores);

// ---- Metrics of probabilities (binary) --------------------------------------------------

// Brier score: mean (p_i − y_i)², a proper scoring rule.                            (9)
double brier_score(const Eigen::VectorXi& y_true, const Eigen::VectorXd& probability);
// Mean negative log-likelihood, probabilities clipped to [eps, 1 − eps].            (10)
double log_loss(const Eigen::VectorXi& y_true, const Eigen::VectorXd& probability,
                double eps = 1e-15);

// Reliability diagram with `bins` equal-width bins on [0, 1]; empty bins are dropped.
// ECE = Σ_b (n_b / n) |mean p_b − fraction positive_b|.                             (11)
struct ReliabilityDiagram {
  Eigen::VectorXd mean_predicted, fraction_positive;
  Eigen::VectorXi count;
  double expected_calibration_error = 0;
};
ReliabilityDiagram reliability_diagram(const Eigen::VectorXi& y_true,
                                       const Eigen::VectorXd& probability, int bins = 10);

// ---- Metrics of class probabilities (multiclass) ----------------------------------------
// P is n × K with rows of class probabilities; y holds classes 0..K-1.

// Mean −log P(i, y_i), clipped at 1e-15 as log_loss (10).
double multiclass_log_loss(const Eigen::VectorXi& y_true, const Eigen::MatrixXd& P);
// Σ_c mean_i (P(i, c) − [y_i = c])², the sum of the one-vs-rest Brier scores (9).
double multiclass_brier(const Eigen::VectorXi& y_true, const Eigen::MatrixXd& P);
// Top-label (confidence) calibration: whether argmax_c P(i, c) is right, against the
// largest probability; pass both to reliability_diagram.
struct TopLabel {
  Eigen::VectorXi correct;     // [n] 1 when argmax_c P(i, c) = y_i (ties: lowest class)
  Eigen::VectorXd confidence;  // [n] max_c P(i, c)
};
TopLabel top_label(const Eigen::VectorXi& y_true, const Eigen::MatrixXd& P);

// ---- Metrics of regression --------------------------------------------------------------

// Mean squared error (1/n) Σ (y_i − ŷ_i)² and mean absolute error (1/n) Σ |y_i − ŷ_i|.  (15)
double mean_squared_error(const Eigen::VectorXd& y_true, const Eigen::VectorXd& y_pred);
double mean_absolute_error(const Eigen::VectorXd& y_true, const Eigen::VectorXd& y_pred);
// Coefficient of determination R² = 1 − Σ (y_i − ŷ_i)² / Σ (y_i − ȳ)², ȳ the mean of
// y_true; 1 is a perfect fit, 0 is the constant ȳ, negative is worse than that.     (16)
double r_squared(const Eigen::VectorXd& y_true, const Eigen::VectorXd& y_pred);

// ---- Calibration maps -------------------------------------------------------------------

// Platt scaling: p = σ(a s + b), fitted by Newton's method on the log-loss with Platt's
// smoothed targets t₊ = (N₊+1)/(N₊+2), t₋ = 1/(N₋+2).                                (12)
class PlattScaling {
 public:
  void fit(const Eigen::VectorXd& scores, const Eigen::VectorXi& y_true);
  Eigen::VectorXd predict(const Eigen::VectorXd& scores) const;
  double a = 1.0, b = 0.0;
};

// Isotonic regression by pool-adjacent-violators: the non-decreasing step function that
// minimises Σ w_i (f(x_i) − y_i)²; predictions interpolate linearly between the fitted
// steps and are constant beyond the ends.                                            (13)
class IsotonicRegression {
 public:
  void fit(const Eigen::VectorXd& x, const Eigen::VectorXd& y);
  Eigen::VectorXd predict(const Eigen::VectorXd& x) const;
  const Eigen::VectorXd& knots_x() const { return knots_x_; }
  const Eigen::VectorXd& knots_y() const { return knots_y_; }

 private:
  Eigen::VectorXd knots_x_, knots_y_;
};

// ---- Protocols --------------------------------------------------------------------------

// A model under cross-validation: fit on (X_train, y_train), predict labels of X_test.
using Classifier = std::function<Eigen::VectorXi(const Eigen::MatrixXd& X_train,
                                                 const Eigen::VectorXi& y_train,
                                                 const Eigen::MatrixXd& X_test)>;

struct CvResult {
  std::vector<double> fold_accuracy;
  double mean = 0, sd = 0;  // sd: sample standard deviation over folds
};

// k-fold cross-validated accuracy (stratified folds from mlc::stratified_kfold_indices).
// With standardize_in_fold, each fold's scaler is fitted on that fold's training part
// only: the honest protocol. Scaling outside (before) the split is the leak of (14).
CvResult cross_validate(const Eigen::MatrixXd& X, const Eigen::VectorXi& y,
                        const Classifier& model, int k, mlc::Rng& rng,
                        bool standardize_in_fold = true);

// The results convention of the curriculum: `repeats` stratified 75/25 splits drawn with
// seeds seed, seed+1, ..., features standardized with the training part's statistics
// (when standardize), and fit_and_score(train, test) returning named numbers (e.g.
// "test_accuracy"). Each name is summarised as mean and sample standard deviation.
struct SplitSummary {
  std::map<std::string, std::vector<double>> values;
  double mean(const std::string& name) const;
  double sd(const std::string& name) const;
};
using FitAndScore =
    std::function<std::map<std::string, double>(const mlc::Dataset& train, const mlc::Dataset& test)>;
SplitSummary evaluate_on_splits(const mlc::Dataset& data, int repeats, std::uint64_t seed,
                                const FitAndScore& fit_and_score, double test_fraction = 0.25,
                                bool standardize = true);

// ---- Pieces of a pipeline used by the protocol experiments ------------------------------

// Univariate screening: the k columns with the largest |Pearson correlation| with y
// (ties broken by the lower index), in decreasing order of |correlation|.
std::vector<Eigen::Index> select_top_correlated(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int k);
Eigen::MatrixXd select_columns(const Eigen::MatrixXd& X, const std::vector<Eigen::Index>& columns);

// Nearest-centroid classifier: the class whose training mean is closest in Euclidean
// distance. No parameters to tune, so a protocol's effect is not confounded with tuning.
Eigen::VectorXi nearest_centroid(const Eigen::MatrixXd& X_train, const Eigen::VectorXi& y_train,
                                 const Eigen::MatrixXd& X_test);


}  // namespace model_evaluation
