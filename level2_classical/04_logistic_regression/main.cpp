// 2.4 logistic_regression: binary and softmax logistic regression, fitted by gradient
// descent and by Newton's method (IRLS). Follows Hastie, Tibshirani & Friedman, ESL §4.4, and
// Bishop, PRML §4.3.
//
// Experiments (each section of report.md):
//   1. binary logistic regression on breast cancer (5-split protocol), and against λ;
//   2. the quadratic convergence of Newton against the linear rate of gradient descent;
//   3. softmax regression on iris and digits (λ by cross-validation), K = 2 = binary;
//   4. decision regions on two iris features;
//   5. failure mode: separable data (no MLE, ‖w‖ grows like log t), cured by L2;
//   6. failure mode: class imbalance (the accuracy paradox), class weights, threshold moving.
// Run: ./learn run logistic_regression [--quick] [--seed N] [--out DIR]. Equations (n):
// NOTES.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Eigenvalues>

#include "lesson_identity.hpp"
#include "logistic_regression.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "mlc/timer.hpp"
#include "model_evaluation.hpp"

namespace lr = logistic_regression;
namespace me = model_evaluation;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Binary and multinomial (softmax) logistic regression with an L2 penalty, fitted by "
    "gradient descent and by damped Newton / IRLS. Breast cancer (binary), iris and digits "
    "(softmax) under the 5-split protocol; Newton's quadratic convergence against gradient "
    "descent's linear rate; decision regions on iris; the non-existence of the MLE on "
    "separable data (||w|| growing like log t) cured by L2; class imbalance and the accuracy "
    "paradox, mitigated by class weights and threshold moving.",
    "report.md, metrics.json, figures/convergence.svg, figures/regions_iris.svg, "
    "figures/separable_norm.svg, figures/regions_separable.svg, figures/imbalance.svg");

constexpr double kBinaryLambda = 1e-2;  // breast cancer, standardized features
constexpr double kIrisLambda = 1e-2;

// Streams of the seed (the protocol's splits use the seed itself, as lesson 2.5 defines them).
enum Stream : std::uint64_t {
  kDigitsSubsample = 1,
  kDigitsFolds = 2,
  kSeparableData = 3,
  kImbalanceSubsample = 4
};

// Malignant (class 0 of the data set) is the positive class.
VectorXi malignant(const mlc::Dataset& d) {
  return (d.labels().array() == 0).cast<int>();
}

// One standardized stratified split: the protocol's first (split seed = the run's seed).
mlc::TrainTestSplit standardized_split(const mlc::Dataset& data, std::uint64_t seed) {
  mlc::Rng rng(seed);
  auto split = mlc::train_test_split(data, 0.25, rng, true);
  mlc::Standardizer scaler;
  split.train.X = scaler.fit_transform(split.train.X);
  split.test.X = scaler.transform(split.test.X);
  return split;
}

// "mean ± sd" of a quantity over splits, both recorded: name and name_sd.
std::string quote_mean_sd(mlc::Report& report, const std::string& name, double mean, double sd,
                          int sig = 4) {
  return report.quote(name, mean, sig) + " ± " + report.quote(name + "_sd", sd, 2);
}

// ---- 1. Breast cancer ------------------------------------------------------------------------

void breast_cancer_section(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data) {
  report.section("Binary logistic regression on breast cancer");
  const int repeats = opt.quick ? 1 : 5;
  double fit_seconds = 0.0, predict_seconds = 0.0;
  const auto summary = me::evaluate_on_splits(
      data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        lr::FitTrace trace;
        mlc::Timer t;
        const auto model = lr::fit_binary_newton(train.X, malignant(train), kBinaryLambda,
                                                 VectorXd{}, 100, 1e-10, &trace);
        fit_seconds += t.seconds();
        t.reset();
        const VectorXi pred = model.predict(test.X);
        predict_seconds += t.seconds();
        const VectorXi y = malignant(test);
        const auto scores = me::binary_scores(y, pred);
        return std::map<std::string, double>{
            {"test_accuracy", me::accuracy(y, pred)},
            {"train_accuracy", me::accuracy(malignant(train), model.predict(train.X))},
            {"recall", scores.recall},
            {"precision", scores.precision},
            {"roc_auc", me::roc_auc(y, model.predict_proba(test.X))},
            {"newton_iterations", trace.iterations}};
      });
  report.timing("breast_cancer.newton.fit_seconds", fit_seconds / repeats);
  report.timing("breast_cancer.newton.predict_seconds", predict_seconds / repeats);
  std::vector<std::vector<std::string>> rows;
  for (const std::string name :
       {"test_accuracy", "train_accuracy", "precision", "recall", "roc_auc", "newton_iterations"}) {
    rows.push_back({name, quote_mean_sd(report, "breast_cancer." + name, summary.mean(name),
                                        summary.sd(name))});
  }
  report.text(fmt::format(
      "Damped Newton / IRLS (5) on the penalised mean log-loss (2) with λ = {} on standardized "
      "features, malignant as the positive class, over {} stratified 75/25 split(s) (seeds from "
      "{} on), scored with lesson 2.5's metrics. A library's default logistic regression reaches "
      "about 0.96–0.98 test accuracy on this protocol.",
      kBinaryLambda, repeats, opt.seed));
  report.table({"quantity (mean ± sd over splits)", "value"}, rows);
  fmt::print("Breast cancer, Newton, lambda = {}: test accuracy {:.4f} over {} split(s)\n",
             kBinaryLambda, summary.mean("test_accuracy"), repeats);

  // Accuracy against λ. λ = 1/n_train is scikit-learn's default C = 1 in this scaling.
  report.subsection("Test accuracy against the penalty λ");
  const double n_train = std::round(0.75 * static_cast<double>(data.n()));
  std::vector<std::vector<std::string>> lambda_rows;
  for (double lambda : {1e-4, 1.0 / n_train, 1e-2, 1e-1, 1.0}) {
    const auto s = me::evaluate_on_splits(
        data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
          const auto model = lr::fit_binary_newton(train.X, malignant(train), lambda);
          return std::map<std::string, double>{
              {"acc", me::accuracy(malignant(test), model.predict(test.X))},
              {"norm", model.w.norm()}};
        });
    const bool is_sklearn = lambda == 1.0 / n_train;
    const std::string key =
        "breast_cancer.lambda_" + (is_sklearn ? "sklearn_default" : fmt::format("{:g}", lambda));
    lambda_rows.push_back(
        {is_sklearn ? fmt::format("1/n = {} (C = 1)", mlc::num(lambda, 3))
                    : fmt::format("{:g}", lambda),
         quote_mean_sd(report, key + ".test_accuracy", s.mean("acc"), s.sd("acc")),
         report.quote(key + ".weight_norm", s.mean("norm"))});
  }
  report.text(
      "The penalty (λ/2)‖w‖² on the mean loss equals scikit-learn's C = 1/(λ n); its default "
      "C = 1 is λ = 1/n.");
  report.table({"λ", "test accuracy", "‖w‖"}, lambda_rows);
}

// ---- 2. Convergence: GD against Newton --------------------------------------------------------

// f(θ_k) − f* above rounding (1e-16), against 1 + k (for a log axis).
std::pair<std::vector<double>, std::vector<double>> gap_series(const std::vector<double>& loss,
                                                               double f_star) {
  std::vector<double> k, gap;
  for (std::size_t i = 0; i < loss.size(); ++i) {
    if (loss[i] - f_star > 1e-16) {
      k.push_back(static_cast<double>(i) + 1.0);
      gap.push_back(loss[i] - f_star);
    }
  }
  return {k, gap};
}

// The first iteration with f(θ_k) − f* <= target, or NaN.
double first_below(const std::vector<double>& loss, double f_star, double target) {
  for (std::size_t i = 0; i < loss.size(); ++i) {
    if (loss[i] - f_star <= target) return static_cast<double>(i);
  }
  return std::nan("");
}

void convergence_section(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& cancer,
                         const mlc::Dataset& iris) {
  report.section("Convergence: gradient descent against Newton");
  const auto split = standardized_split(cancer, opt.seed);
  const MatrixXd& X = split.train.X;
  const VectorXi y = malignant(split.train);
  lr::FitTrace newton, gd, iris_newton, iris_gd;
  const auto model = lr::fit_binary_newton(X, y, kBinaryLambda, VectorXd{}, 30, 1e-14, &newton);
  const double f_star = *std::min_element(newton.loss.begin(), newton.loss.end());
  // Conditioning at the optimum: GD's rate is 1 − μ/L.
  const MatrixXd H = lr::binary_hessian(X, y.cast<double>(), model.theta(), kBinaryLambda);
  const VectorXd eig =
      Eigen::SelfAdjointEigenSolver<MatrixXd>(H, Eigen::EigenvaluesOnly).eigenvalues();
  const double L = lr::binary_lipschitz(X, kBinaryLambda), mu = eig.minCoeff();
  const int gd_iterations = opt.quick ? 2000 : 20000;
  lr::fit_binary_gd(X, y, kBinaryLambda, gd_iterations, 0.0, VectorXd{}, &gd, 1);
  // Softmax on iris (4 features, 3 classes).
  const auto isplit = standardized_split(iris, opt.seed);
  lr::fit_softmax_newton(isplit.train.X, isplit.train.labels(), 3, kIrisLambda, 30, 1e-14,
                         &iris_newton);
  lr::fit_softmax_gd(isplit.train.X, isplit.train.labels(), 3, kIrisLambda, gd_iterations, 0.0,
                     &iris_gd, 1);
  const double if_star =
      std::min(*std::min_element(iris_newton.loss.begin(), iris_newton.loss.end()),
               *std::min_element(iris_gd.loss.begin(), iris_gd.loss.end()));

  mlc::Figure fig("Suboptimality f(θ_k) − f* of gradient descent and Newton");
  fig.xlabel("iteration k").ylabel("f(θ_k) − f*").logy().logx().legend("bottom left");
  const auto [k1, g1] = gap_series(gd.loss, f_star);
  fig.line(k1, g1, "GD 1/L, breast cancer (binary)", {.color = 0});
  const auto [k2, g2] = gap_series(newton.loss, f_star);
  fig.line_points(k2, g2, "Newton, breast cancer (binary)", {.color = 1, .point_size = 0.8});
  const auto [k3, g3] = gap_series(iris_gd.loss, if_star);
  fig.line(k3, g3, "GD 1/L, iris (softmax)", {.color = 2, .dash = true});
  const auto [k4, g4] = gap_series(iris_newton.loss, if_star);
  fig.line_points(k4, g4, "Newton, iris (softmax)", {.color = 3, .dash = true, .point_size = 0.8});
  report.figure(fig, "convergence",
                "Log suboptimality against iteration (1 + k on a log axis). Newton's error squares "
                "at each step near the optimum (quadratic convergence); gradient descent with step "
                "1/L (6) loses a constant factor per step, at best 1 − μ/L.");

  std::vector<std::vector<std::string>> rows;
  std::vector<double> newton_gaps;
  for (std::size_t i = 0; i < newton.loss.size(); ++i) {
    const double e = newton.loss[i] - f_star;
    newton_gaps.push_back(e);
    if (i > 0 && newton.loss[i - 1] - f_star <= 1e-15) break;  // rounding reached: stop the table
    const double prev = i > 0 ? newton.loss[i - 1] - f_star : std::nan("");
    const double order =
        (i > 0 && e > 1e-15 && prev > 0 && prev < 1) ? std::log(e) / std::log(prev) : std::nan("");
    rows.push_back({std::to_string(i), mlc::num(e, 3), mlc::num(newton.gradient_norm[i], 3),
                    mlc::num(order, 3)});
  }
  report.metric("convergence.newton_suboptimality", newton_gaps);
  report.metric(
      "convergence.newton_gradient_norm",
      std::vector<double>(newton.gradient_norm.begin(),
                          newton.gradient_norm.begin() + static_cast<long>(newton_gaps.size())));
  report.metric("convergence.newton_iterations_to_1e-6", first_below(newton.loss, f_star, 1e-6));
  report.metric("convergence.newton_final_gradient_norm", newton.gradient_norm.back());
  report.metric("convergence.iris_newton_iterations_to_1e-12",
                first_below(iris_newton.loss, if_star, 1e-12));
  report.metric("convergence.iris_gd_iterations_to_1e-6", first_below(iris_gd.loss, if_star, 1e-6));
  const auto q = [&](const std::string& name, double v, int sig = 4) {
    return report.quote("convergence." + name, v, sig);
  };
  const std::string kappa = q("kappa", L / mu, 3);
  const std::string newton_to_1e12 =
      q("newton_iterations_to_1e-12", first_below(newton.loss, f_star, 1e-12));
  const std::string gd_to_1e6 = q("gd_iterations_to_1e-6", first_below(gd.loss, f_star, 1e-6));
  report.text(fmt::format(
      "Breast cancer, split seed {}, λ = {}: at the optimum the Hessian's eigenvalues span μ = {} "
      "to {}, and L = {} (6), so κ = L/μ = {} and gradient descent needs about κ·ln(1/ε) steps. "
      "Newton reaches f − f* ≤ 1e-12 in {} iterations; gradient descent reaches 1e-6 in {} and "
      "1e-12 in {} of {} iterations. The order log e_(k+1) / log e_k climbs towards 2 (quadratic "
      "convergence: e_(k+1) ≤ C e_k² gives 2 + log C / log e_k) until rounding at 1e-16 stops it.",
      opt.seed, kBinaryLambda, q("mu", mu, 3), q("hessian_max_eigenvalue", eig.maxCoeff(), 3),
      q("L", L, 3), kappa, newton_to_1e12, gd_to_1e6,
      q("gd_iterations_to_1e-12", first_below(gd.loss, f_star, 1e-12)), gd_iterations));
  report.table({"Newton iteration k", "f(θ_k) − f*", "‖∇f(θ_k)‖", "log e_k / log e_(k−1)"}, rows);
  fmt::print("Convergence: kappa {}; Newton to 1e-12 in {} iterations; GD to 1e-6 in {}\n", kappa,
             newton_to_1e12, gd_to_1e6);
}

// ---- 3. Softmax: iris and digits --------------------------------------------------------------

// λ for digits by 5-fold CV on the training part of the first split; returns the best.
double choose_digits_lambda(mlc::Report& report, const mlc::TrainTestSplit& first,
                            const std::vector<double>& grid, const mlc::Rng& folds_rng,
                            std::vector<std::vector<std::string>>& rows) {
  double best_lambda = grid.front(), best_cv = -1.0;
  for (double lambda : grid) {
    mlc::Rng cv_rng = folds_rng;  // the same folds for every λ
    const auto cv = me::cross_validate(
        first.train.X, first.train.labels(),
        [lambda](const MatrixXd& Xtr, const VectorXi& ytr, const MatrixXd& Xte) {
          return lr::fit_softmax_newton(Xtr, ytr, 10, lambda, 100, 1e-8).predict(Xte);
        },
        5, cv_rng);
    rows.push_back({fmt::format("{:g}", lambda),
                    quote_mean_sd(report, fmt::format("digits.cv.lambda_{:g}.accuracy", lambda),
                                  cv.mean, cv.sd)});
    if (cv.mean > best_cv) {
      best_cv = cv.mean;
      best_lambda = lambda;
    }
  }
  return best_lambda;
}

void softmax_section(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& cancer,
                     const mlc::Dataset& iris, mlc::Dataset digits, const mlc::Rng& root) {
  report.section("Multinomial (softmax) logistic regression");
  const int repeats = opt.quick ? 1 : 5;
  // K = 2 softmax is binary logistic regression with w = w1 − w0 and penalty λ/2.
  const auto split = standardized_split(cancer, opt.seed);
  const VectorXi y = malignant(split.train);
  const auto soft = lr::fit_softmax_newton(split.train.X, y, 2, kBinaryLambda);
  const auto bin = lr::fit_binary_newton(split.train.X, y, kBinaryLambda / 2.0);
  report.text(fmt::format(
      "Check: with K = 2 classes, the softmax fit with penalty λ = {} and the binary fit with λ/2 "
      "agree (the optimum has w₀ = −w₁, so (λ/2)(‖w₀‖² + ‖w₁‖²) = (λ/4)‖w₁ − w₀‖²): "
      "max |(w₁ − w₀) − w| = {}, |(b₁ − b₀) − b| = {}.",
      kBinaryLambda,
      report.quote("softmax.binary_equivalence_max_weight_difference",
                   (soft.W.col(1) - soft.W.col(0) - bin.w).cwiseAbs().maxCoeff(), 2),
      report.quote("softmax.binary_equivalence_intercept_difference",
                   std::abs(soft.b(1) - soft.b(0) - bin.b), 2)));

  const auto iris_summary = me::evaluate_on_splits(
      iris, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        const auto model = lr::fit_softmax_newton(train.X, train.labels(), 3, kIrisLambda);
        return std::map<std::string, double>{
            {"test_accuracy", me::accuracy(test.labels(), model.predict(test.X))}};
      });
  if (opt.quick) {  // a subsample keeps --quick within seconds
    mlc::Rng sub = root.derive(kDigitsSubsample);
    auto rows = sub.sample_without_replacement(digits.n(), 500);
    std::sort(rows.begin(), rows.end());
    digits = mlc::subset(digits, rows);
  }
  const std::vector<double> grid =
      opt.quick ? std::vector<double>{1e-2} : std::vector<double>{1e-3, 1e-2, 1e-1};
  std::vector<std::vector<std::string>> cv_rows;
  const double lambda = choose_digits_lambda(report, standardized_split(digits, opt.seed), grid,
                                             root.derive(kDigitsFolds), cv_rows);
  double fit_seconds = 0.0, predict_seconds = 0.0;
  const auto digits_summary = me::evaluate_on_splits(
      digits, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        lr::FitTrace trace;
        mlc::Timer t;
        const auto model =
            lr::fit_softmax_newton(train.X, train.labels(), 10, lambda, 100, 1e-10, &trace);
        fit_seconds += t.seconds();
        t.reset();
        const VectorXi pred = model.predict(test.X);
        predict_seconds += t.seconds();
        return std::map<std::string, double>{
            {"test_accuracy", me::accuracy(test.labels(), pred)},
            {"train_accuracy", me::accuracy(train.labels(), model.predict(train.X))},
            {"newton_iterations", trace.iterations},
            {"macro_f1", me::classification_report(test.labels(), pred, 10).macro_f1}};
      });
  report.timing("digits.newton.fit_seconds", fit_seconds / repeats);
  report.timing("digits.newton.predict_seconds", predict_seconds / repeats);
  report.metric("digits.macro_f1", digits_summary.mean("macro_f1"));
  const std::string lambda_text = report.quote("digits.lambda", lambda);
  report.text(fmt::format(
      "Softmax regression (7) fitted by damped Newton with the full Hessian (9) ({} parameters on "
      "digits{}). On digits, λ was chosen by 5-fold cross-validation (lesson 2.5's "
      "cross_validate) on the training part of the first split; the chosen λ = {} is then used on "
      "all {} split(s).",
      report.quote("digits.parameters", 65 * 10),
      opt.quick ? ", --quick: a 500-image subsample" : "", lambda_text, repeats));
  report.table({"λ (digits)", "5-fold CV accuracy"}, cv_rows);
  const auto accuracy = [&](const std::string& name, const me::SplitSummary& s) {
    return quote_mean_sd(report, name + ".test_accuracy", s.mean("test_accuracy"),
                         s.sd("test_accuracy"));
  };
  report.table(
      {"data", "λ", "test accuracy (mean ± sd)", "train accuracy", "Newton iterations"},
      {{"iris (4 features, K = 3)", report.quote("iris.lambda", kIrisLambda),
        accuracy("iris", iris_summary), "", ""},
       {"digits (64 pixels, K = 10)", lambda_text, accuracy("digits", digits_summary),
        report.quote("digits.train_accuracy", digits_summary.mean("train_accuracy")),
        report.quote("digits.newton_iterations", digits_summary.mean("newton_iterations"), 3)}});
  fmt::print("Softmax: iris test accuracy {:.4f}; digits (lambda {:g} by CV) {:.4f}\n",
             iris_summary.mean("test_accuracy"), lambda, digits_summary.mean("test_accuracy"));
}

// ---- 4. Decision regions on iris (two features) -----------------------------------------------

void regions_section(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& iris) {
  report.section("Decision regions");
  mlc::Dataset two = iris;
  two.X = iris.X(Eigen::all, std::vector<Eigen::Index>{2, 3});  // petal length, petal width
  two.feature_names = {iris.feature_names[2], iris.feature_names[3]};
  const auto split = standardized_split(two, opt.seed);
  const auto model = lr::fit_softmax_newton(split.train.X, split.train.labels(), 3, kIrisLambda);
  mlc::Figure fig("Softmax regression on iris: petal length and width (standardized)");
  fig.xlabel("petal length (standardized)").ylabel("petal width (standardized)");
  fig.legend("top left");
  fig.decision_regions([&](const MatrixXd& G) { return model.predict(G); }, split.train.X, 0.5);
  fig.scatter_classes(split.train.X, split.train.labels(), iris.class_names, 0.8);
  report.figure(fig, "regions_iris",
                "Decision regions of softmax regression (K = 3) on two iris features: the "
                "boundaries between classes k and l are the lines (w_k − w_l)ᵀx + b_k − b_l = 0. "
                "Points: training part.");
  report.text(
      fmt::format("On these two features alone, test accuracy (split seed {}) is {}.", opt.seed,
                  report.quote("iris_2d.test_accuracy",
                               me::accuracy(split.test.labels(), model.predict(split.test.X)))));
}

// ---- 5. Failure mode: separable data ----------------------------------------------------------

// ~400 log-spaced points of ‖w_t‖ for λ = 0 and λ > 0, and the max-margin asymptote.
void separable_norm_figure(mlc::Report& report, const lr::FitTrace& gd0, const lr::FitTrace& gdl,
                           int T, double lambda, double norm_at_T, double asymptotic_slope) {
  mlc::Figure fig("‖w_t‖ under gradient descent on separable data");
  fig.xlabel("iteration t").ylabel("‖w_t‖").logx().legend("top left");
  std::vector<double> xs, y0, yl;
  for (double t = 1; t <= T; t *= std::pow(static_cast<double>(T), 1.0 / 400)) {
    const auto k = static_cast<std::size_t>(std::lround(t));
    if (!xs.empty() && xs.back() == static_cast<double>(k)) continue;
    xs.push_back(static_cast<double>(k));
    y0.push_back(gd0.weight_norm[k]);
    yl.push_back(gdl.weight_norm[k]);
  }
  fig.line(xs, y0, "λ = 0: no minimiser, ‖w_t‖ → ∞", {.color = 0});
  fig.line(xs, yl, fmt::format("λ = {:g}: bounded", lambda), {.color = 1});
  const double log_T = std::log(static_cast<double>(T));
  const VectorXd t_asym =
      VectorXd::LinSpaced(50, std::log(static_cast<double>(T) / 100.0), log_T).array().exp();
  fig.line(t_asym, (norm_at_T + asymptotic_slope * (t_asym.array().log() - log_T)).matrix(),
           fmt::format("slope ‖û_w‖/γ = {} per ln t (theory)", mlc::num(asymptotic_slope, 3)),
           {.color = 8, .dash = true});
  report.figure(fig, "separable_norm",
                "The weight norm under gradient descent (step 1/L) on two separable Gaussian "
                "blobs. Without a penalty the loss has no minimiser and ‖w_t‖ grows without "
                "bound, its slope on this log-t axis rising slowly towards the max-margin "
                "prediction ‖û_w‖/γ (dashed, drawn through the last point). With L2 it converges "
                "within ~100 steps.");
}

// Level sets 0.01, 0.5, 0.99 of P(y = 1) without and with the penalty, over the data.
void separable_regions_figure(mlc::Report& report, const mlc::Dataset& data,
                              const lr::BinaryLogisticModel& m0, const lr::BinaryLogisticModel& ml,
                              double lambda) {
  mlc::Figure fig("Separable blobs: P(y = 1) = 0.01, 0.5, 0.99 for λ = 0 and λ = 0.01");
  fig.xlabel("x₁").ylabel("x₂").legend("top left");
  fig.decision_regions([&](const MatrixXd& G) { return m0.predict(G); }, data.X, 0.5);
  fig.scatter_classes(data.X, data.labels(), data.class_names, 0.8);
  const int g = 120;
  const VectorXd gx =
      VectorXd::LinSpaced(g, data.X.col(0).minCoeff() - 0.5, data.X.col(0).maxCoeff() + 0.5);
  const VectorXd gy =
      VectorXd::LinSpaced(g, data.X.col(1).minCoeff() - 0.5, data.X.col(1).maxCoeff() + 0.5);
  MatrixXd G(g * g, 2);
  for (int i = 0; i < g; ++i) {
    for (int j = 0; j < g; ++j) G.row(i * g + j) << gx(j), gy(i);
  }
  // z(i, j) at x = gx(j), y = gy(i): row i of z is the grid row i.
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const VectorXd p0 = m0.predict_proba(G), pl = ml.predict_proba(G);
  fig.contour(Eigen::Map<const RowMajor>(p0.data(), g, g), gx, gy, {0.01, 0.5, 0.99}, "λ = 0",
              {.color = 0, .width = 1.2});
  fig.contour(Eigen::Map<const RowMajor>(pl.data(), g, g), gx, gy, {0.01, 0.5, 0.99},
              fmt::format("λ = {:g}", lambda), {.color = 8, .width = 1.2, .dash = true});
  report.figure(fig, "regions_separable",
                "Level sets 0.01, 0.5 and 0.99 of the predicted probability. Both models "
                "separate the training data, but without a penalty the logits grow without bound "
                "and the band of uncertain predictions collapses: the model is certain everywhere "
                "except on a thin strip along the separating line.");
}

void separable_section(mlc::Report& report, const mlc::Options& opt, mlc::Rng rng) {
  report.section("Failure mode: perfectly separable data");
  MatrixXd centers(2, 2);
  centers << -1.5, -1.0, 1.5, 1.0;
  const auto data = mlc::make_blobs(200, centers, 0.6, rng);
  const VectorXi y = data.labels();
  const int T = opt.quick ? 10000 : 100000;
  const double lambda = 1e-2;
  lr::FitTrace gd0, gdl, nt;
  const auto m0 = lr::fit_binary_gd(data.X, y, 0.0, T, 0.0, VectorXd{}, &gd0, 1);
  const auto ml = lr::fit_binary_gd(data.X, y, lambda, T, 0.0, VectorXd{}, &gdl, 1);
  // Newton with λ = 0: the damped iteration stays finite while ‖w‖ runs away.
  const auto mn = lr::fit_binary_newton(data.X, y, 0.0, VectorXd{}, 50, 1e-10, &nt);
  std::vector<double> ts, norms0, normsl;  // at t = 10, 10^1.5, ..., T
  const int half_decades =
      static_cast<int>(std::lround(2.0 * std::log10(static_cast<double>(T)))) - 2;
  for (int i = 0; i <= half_decades; ++i) {
    const auto k = static_cast<std::size_t>(std::lround(std::pow(10.0, 1.0 + 0.5 * i)));
    ts.push_back(static_cast<double>(k));
    norms0.push_back(gd0.weight_norm[k]);
    normsl.push_back(gdl.weight_norm[k]);
  }
  const std::size_t n_pts = ts.size();
  // The implicit bias: θ_t/‖θ_t‖ tends to the max-margin direction û and ‖θ_t‖ ≈ ln t / γ,
  // where γ = min_i ±x̃_iᵀû is the margin (Soudry et al. 2018, Theorem 3), so ‖w_t‖ ≈ ‖û_w‖
  // ln t / γ. γ and û are measured on the final direction.
  const VectorXd u = m0.theta() / m0.theta().norm();
  const VectorXd margins = lr::with_intercept(data.X) * u;
  double gamma = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < margins.size(); ++i) {
    gamma = std::min(gamma, (y(i) == 1 ? 1.0 : -1.0) * margins(i));
  }
  const double asymptotic_slope = u.head(2).norm() / gamma;  // d‖w‖ / d ln t
  separable_norm_figure(report, gd0, gdl, T, lambda, norms0.back(), asymptotic_slope);
  separable_regions_figure(report, data, m0, ml, lambda);

  std::vector<std::vector<std::string>> rows;
  std::vector<double> decade_t, decade_norm, decade_increment;
  for (std::size_t i = 0; i < n_pts; i += 2) {
    const double inc = i >= 2 ? norms0[i] - norms0[i - 2] : std::nan("");
    rows.push_back({mlc::num(ts[i]), mlc::num(norms0[i]), mlc::num(inc, 3), mlc::num(normsl[i])});
    decade_t.push_back(ts[i]);
    decade_norm.push_back(norms0[i]);
    decade_increment.push_back(inc);
  }
  report.metric("separable.gd.t", decade_t);
  report.metric("separable.gd.weight_norm", decade_norm);
  report.metric("separable.gd.increment_per_decade", decade_increment);
  report.metric("separable.newton.finite", mn.w.allFinite() ? 1.0 : 0.0);
  const auto q = [&](const std::string& name, double v, int sig = 4) {
    return report.quote("separable." + name, v, sig);
  };
  report.text(fmt::format(
      "The direction of θ = [w; b] converges to the max-margin separator û; its margin, measured "
      "on the final unit direction, is γ = {}, so the theory predicts that ‖w_t‖ gains "
      "ln(10)·‖û_w‖/γ = {} per decade asymptotically. The measured increments rise towards it "
      "from below: the approach is slow (the direction converges only like 1/log t).",
      q("max_margin_gamma", gamma, 3),
      q("predicted_increment_per_decade", std::log(10.0) * asymptotic_slope, 3)));
  report.table({"GD iteration t", "‖w_t‖, λ = 0", "increase over the decade",
                fmt::format("‖w_t‖, λ = {:g}", lambda)},
               rows);
  const std::string l2_norm = q("l2.weight_norm_final", normsl.back());
  const std::string slope =
      q("gd.slope_per_log_t",
        lr::slope_against_log({ts.end() - 5, ts.end()}, {norms0.end() - 5, norms0.end()}), 3);
  report.failure_mode(
      {.name = "Separable data: the maximum-likelihood estimate does not exist",
       .trigger = fmt::format("Two Gaussian blobs (n = 200, centres (±1.5, ±1), sd 0.6) that a "
                              "line separates (training accuracy {}); λ = 0.",
                              q("train_accuracy", me::accuracy(y, m0.predict(data.X)))),
       .symptom = fmt::format(
           "Gradient descent: ‖w_t‖ = {} after {} steps and still rising by {} per unit of ln t "
           "({} over the last decade); damped Newton drives the loss to {} with ‖w‖ = {} after "
           "{} iterations (finite, thanks to the line search).",
           q("gd.weight_norm_final", norms0.back()), T, slope,
           q("gd.growth_last_decade", norms0.back() - norms0[n_pts - 3], 3),
           q("newton.final_loss", nt.loss.back(), 3),
           q("newton.weight_norm", nt.weight_norm.back(), 3),
           q("newton.iterations", nt.iterations)),
       .why = "If some w separates the data, f(c w) → 0 as c → ∞: the infimum 0 is not attained. "
              "On the gradient-descent path the margins grow like log t (Soudry et al. 2018): the "
              "loss falls like 1/t and each step adds O(1/t) to ‖w‖.",
       .mitigation = fmt::format(
           "L2 penalty λ = {:g} makes f strongly convex: ‖w_t‖ converges to {} (change over the "
           "last decade {}).",
           lambda, l2_norm, q("l2.growth_last_decade", normsl.back() - normsl[n_pts - 3], 2))});
  fmt::print("Separable: ||w|| {:.4g} after {} GD steps (slope {} per ln t); with L2 {}\n",
             norms0.back(), T, slope, l2_norm);
}

// ---- 6. Failure mode: class imbalance ---------------------------------------------------------

// On one split of the imbalanced data: accuracy, recall, precision and balanced accuracy of
// four classifiers (majority.*, plain.*, weighted.*, threshold.*), and the scores of the plain
// model at thresholds 0.01, ..., 0.99 (curve.*) for the figure.
std::map<std::string, double> imbalance_split(const mlc::Dataset& train, const mlc::Dataset& test) {
  const VectorXi ytr = malignant(train), yte = malignant(test);
  const auto plain = lr::fit_binary_newton(train.X, ytr, kBinaryLambda);
  const auto weighted = lr::fit_binary_newton(
      train.X, ytr, kBinaryLambda, lr::balanced_sample_weights(ytr), 100, 1e-10, nullptr);
  const double prior = ytr.cast<double>().mean();
  const VectorXd p = plain.predict_proba(test.X);
  std::map<std::string, double> out;
  const auto add = [&](const std::string& name, const VectorXi& pred) {
    out[name + ".accuracy"] = me::accuracy(yte, pred);
    const auto scores = me::binary_scores(yte, pred);
    out[name + ".recall"] = scores.recall;
    out[name + ".precision"] = scores.precision;
    out[name + ".balanced_accuracy"] = me::classification_report(yte, pred, 2).balanced_accuracy;
  };
  add("majority", VectorXi::Zero(yte.size()));
  add("plain", plain.predict(test.X));
  add("weighted", weighted.predict(test.X));
  add("threshold", (p.array() >= prior).cast<int>());
  out["positives"] = yte.sum();
  for (int k = 0; k < 99; ++k) {
    const VectorXi pred = (p.array() >= 0.01 * (k + 1)).cast<int>();
    out[fmt::format("curve.accuracy.{}", k)] = me::accuracy(yte, pred);
    out[fmt::format("curve.recall.{}", k)] = me::binary_scores(yte, pred).recall;
    out[fmt::format("curve.balanced.{}", k)] =
        me::classification_report(yte, pred, 2).balanced_accuracy;
  }
  return out;
}

// Accuracy, minority recall and balanced accuracy against the threshold, mean over splits.
void imbalance_figure(mlc::Report& report, const me::SplitSummary& summary, int repeats,
                      double majority_accuracy, double prevalence) {
  const VectorXd thresholds = VectorXd::LinSpaced(99, 0.01, 0.99);
  VectorXd a(99), r(99), b(99);
  for (int k = 0; k < 99; ++k) {
    a(k) = summary.mean(fmt::format("curve.accuracy.{}", k));
    r(k) = summary.mean(fmt::format("curve.recall.{}", k));
    b(k) = summary.mean(fmt::format("curve.balanced.{}", k));
  }
  report.metric("imbalance.curve.threshold", thresholds);
  report.metric("imbalance.curve.accuracy", a);
  report.metric("imbalance.curve.recall", r);
  report.metric("imbalance.curve.balanced_accuracy", b);
  mlc::Figure fig("Imbalanced breast cancer (5 % malignant): scores against the threshold");
  fig.xlabel("decision threshold on P(malignant)")
      .ylabel(fmt::format("score on the test part (mean of {} splits)", repeats))
      .yrange(0, 1.05)
      .legend("bottom left");
  fig.line(thresholds, a, "accuracy", {.color = 0});
  fig.line(thresholds, r, "malignant recall", {.color = 1});
  fig.line(thresholds, b, "balanced accuracy", {.color = 2});
  fig.hline(majority_accuracy, "accuracy of 'always benign'", {.color = 0, .dash = true});
  fig.vline(0.5, "threshold 0.5", {.color = 8, .dash = true});
  fig.vline(prevalence, "prevalence", {.color = 4, .dash = true});
  report.figure(fig, "imbalance",
                "Logistic regression without weights: accuracy stays above the constant "
                "classifier's (dashed) at every threshold from 0.1 up, so it cannot tell a useful "
                "model from one that misses the minority; the malignant recall and the balanced "
                "accuracy show what the default threshold 0.5 costs.");
}

void imbalance_section(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& cancer,
                       mlc::Rng rng) {
  report.section("Failure mode: class imbalance and the accuracy paradox");
  // Keep every benign sample and 5 % malignant ones (drawn from the seed).
  std::vector<Eigen::Index> benign, mal;
  for (Eigen::Index i = 0; i < cancer.n(); ++i) {
    (cancer.labels()(i) == 0 ? mal : benign).push_back(i);
  }
  const auto n_mal =
      static_cast<Eigen::Index>(std::lround(0.05 / 0.95 * static_cast<double>(benign.size())));
  std::vector<Eigen::Index> kept = benign;
  for (auto p : rng.sample_without_replacement(static_cast<Eigen::Index>(mal.size()), n_mal)) {
    kept.push_back(mal[static_cast<std::size_t>(p)]);
  }
  std::sort(kept.begin(), kept.end());
  const mlc::Dataset data = mlc::subset(cancer, kept);
  const double prevalence = static_cast<double>(n_mal) / static_cast<double>(data.n());
  // 20 splits rather than 5: each test part holds only ~5 malignant samples, so the recall
  // of one split moves in steps of 0.2; the fits take about a millisecond each.
  const int repeats = opt.quick ? 2 : 20;
  const auto summary = me::evaluate_on_splits(data, repeats, opt.seed, imbalance_split);
  std::map<std::string, std::string> Q;  // the quoted means, by "method.score"
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, label] : std::vector<std::pair<std::string, std::string>>{
           {"majority", "always benign"},
           {"plain", "logistic regression, threshold 0.5"},
           {"weighted", "balanced class weights"},
           {"threshold", "threshold moved to the training prevalence"}}) {
    for (const std::string m : {"accuracy", "recall", "precision", "balanced_accuracy"}) {
      Q[key + "." + m] = report.quote("imbalance." + key + "." + m, summary.mean(key + "." + m));
    }
    rows.push_back({label, Q[key + ".accuracy"],
                    quote_mean_sd(report, "imbalance." + key + ".recall",
                                  summary.mean(key + ".recall"), summary.sd(key + ".recall"), 3),
                    Q[key + ".precision"], Q[key + ".balanced_accuracy"]});
  }
  const std::string percent = mlc::num(100.0 * prevalence, 3);
  report.metric("imbalance.minority_fraction", prevalence);
  report.text(fmt::format(
      "All {} benign samples and {} malignant ones ({} % of {}), {} split(s), λ = {:g}; about {} "
      "malignant samples per test part. Means over splits (seeds from {} on):",
      report.quote("imbalance.benign_kept", static_cast<double>(benign.size())),
      report.quote("imbalance.malignant_kept", static_cast<double>(n_mal)), percent, data.n(),
      repeats, kBinaryLambda,
      report.quote("imbalance.test_positives_per_split", summary.mean("positives"), 3), opt.seed));
  report.table({"classifier", "accuracy", "malignant recall (mean ± sd)", "malignant precision",
                "balanced accuracy"},
               rows);
  imbalance_figure(report, summary, repeats, summary.mean("majority.accuracy"), prevalence);
  report.failure_mode(
      {.name = "Class imbalance: the accuracy paradox",
       .trigger = fmt::format("Breast cancer subsampled to {} % malignant ({} of {} samples).",
                              percent, n_mal, data.n()),
       .symptom = fmt::format(
           "The constant 'benign' classifier scores accuracy {} with malignant recall 0; logistic "
           "regression scores accuracy {} but recall {} (balanced accuracy {}).",
           Q["majority.accuracy"], Q["plain.accuracy"], Q["plain.recall"],
           Q["plain.balanced_accuracy"]),
       .why = "The mean log-loss is dominated by the majority: the intercept absorbs the prior "
              "log-odds log(π/(1−π)) = " +
              report.quote(
                  "imbalance.prior_log_odds",
                  std::log(static_cast<double>(n_mal) / static_cast<double>(benign.size())), 3) +
              ", shifting σ(z) down so that borderline malignant cases fall below 0.5. Accuracy "
              "weights each sample equally, so missing the rare class costs almost nothing.",
       .mitigation = fmt::format(
           "Balanced class weights s_i = n/(2 n_c): recall {}, balanced accuracy {}; moving the "
           "threshold to the training prevalence: recall {}, balanced accuracy {}.",
           Q["weighted.recall"], Q["weighted.balanced_accuracy"], Q["threshold.recall"],
           Q["threshold.balanced_accuracy"])});
  fmt::print("Imbalance: accuracy {} recall {} -> weighted recall {}, threshold recall {}\n",
             Q["plain.accuracy"], Q["plain.recall"], Q["weighted.recall"], Q["threshold.recall"]);
}

// ---- The program ------------------------------------------------------------------------------

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  const auto cancer = mlc::load_dataset("breast_cancer");
  const auto iris = mlc::load_dataset("iris");
  breast_cancer_section(report, opt, cancer);
  convergence_section(report, opt, cancer, iris);
  softmax_section(report, opt, cancer, iris, mlc::load_dataset("digits"), root);
  regions_section(report, opt, iris);
  separable_section(report, opt, root.derive(kSeparableData));
  imbalance_section(report, opt, cancer, root.derive(kImbalanceSubsample));
  report.headline({"breast_cancer.test_accuracy", "digits.test_accuracy"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
