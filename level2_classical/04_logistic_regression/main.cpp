// 2.4 logistic_regression: binary and softmax logistic regression, fitted by gradient
// descent and by Newton's method (IRLS), on breast cancer, iris and digits; the quadratic
// convergence of Newton against the linear rate of gradient descent; decision regions;
// and the two failure modes: separable data (no MLE, ‖w‖ grows like log t) and class
// imbalance (the accuracy paradox). Follows Hastie, Tibshirani & Friedman, ESL §4.4, and
// Bishop, PRML §4.3. Run: ./learn run logistic_regression [--quick] [--seed N] [--out DIR].
// Equations (n) refer to NOTES.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include "logistic_regression.hpp"
#include "lesson_identity.hpp"
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

constexpr double kBinaryLambda = 1e-2;   // breast cancer, standardized features
constexpr double kIrisLambda = 1e-2;

// Malignant (class 0 of the data set) is the positive class.
Eigen::VectorXi malignant(const mlc::Dataset& d) { return (d.labels().array() == 0).cast<int>(); }

// One standardized stratified split with the protocol's seed.
mlc::TrainTestSplit standardized_split(const mlc::Dataset& data, std::uint64_t seed) {
  mlc::Rng rng(seed);
  auto split = mlc::train_test_split(data, 0.25, rng, true);
  mlc::Standardizer scaler;
  split.train.X = scaler.fit_transform(split.train.X);
  split.test.X = scaler.transform(split.test.X);
  return split;
}

// ---- 1. Breast cancer --------------------------------------------------------------------
void breast_cancer(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& data) {
  report.section("Binary logistic regression on breast cancer");
  const int repeats = opt.quick ? 1 : 5;
  double fit_seconds = 0.0, predict_seconds = 0.0;
  int fits = 0;
  const auto summary = me::evaluate_on_splits(data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
    lr::FitTrace trace;
    mlc::Timer t;
    const auto model = lr::fit_binary_newton(train.X, malignant(train), kBinaryLambda, Eigen::VectorXd{}, 100, 1e-10, &trace);
    fit_seconds += t.seconds();
    t.reset();
    const Eigen::VectorXi pred = model.predict(test.X);
    predict_seconds += t.seconds();
    ++fits;
    const Eigen::VectorXi y = malignant(test);
    const auto scores = me::binary_scores(y, pred);
    return std::map<std::string, double>{{"test_accuracy", me::accuracy(y, pred)},
                                         {"train_accuracy", me::accuracy(malignant(train), model.predict(train.X))},
                                         {"recall", scores.recall},
                                         {"precision", scores.precision},
                                         {"roc_auc", me::roc_auc(y, model.predict_proba(test.X))},
                                         {"newton_iterations", trace.iterations}};
  });
  report.timing("breast_cancer.newton.fit_seconds", fit_seconds / fits);
  report.timing("breast_cancer.newton.predict_seconds", predict_seconds / fits);
  std::vector<std::vector<std::string>> rows;
  for (const std::string name : {"test_accuracy", "train_accuracy", "precision", "recall", "roc_auc", "newton_iterations"}) {
    rows.push_back({name, mlc::mean_sd(summary.mean(name), summary.sd(name))});
  }
  report.metric("breast_cancer.test_accuracy", summary.mean("test_accuracy"));
  report.metric("breast_cancer.test_accuracy_sd", summary.sd("test_accuracy"));
  for (const std::string name : {"train_accuracy", "precision", "recall", "roc_auc", "newton_iterations"}) {
    report.metric(fmt::format("breast_cancer.{}_sd", name), summary.sd(name));
  }
  report.metric("breast_cancer.train_accuracy", summary.mean("train_accuracy"));
  report.metric("breast_cancer.precision", summary.mean("precision"));
  report.metric("breast_cancer.recall", summary.mean("recall"));
  report.metric("breast_cancer.roc_auc", summary.mean("roc_auc"));
  report.metric("breast_cancer.newton_iterations", summary.mean("newton_iterations"));
  report.text(fmt::format(
      "Damped Newton / IRLS (5) on the penalised mean log-loss (2) with λ = {} on standardized "
      "features, malignant as the positive class, over {} stratified 75/25 split(s) (seeds {}..{}), "
      "scored with lesson 2.5's metrics. A library's default logistic regression reaches about "
      "0.96–0.98 test accuracy on this protocol.",
      kBinaryLambda, repeats, opt.seed, opt.seed + repeats - 1));
  report.table({"quantity (mean ± sd over splits)", "value"}, rows);
  fmt::print("Breast cancer, Newton, lambda = {}: test accuracy {} over {} split(s), {} Newton iterations\n",
             kBinaryLambda, mlc::mean_sd(summary.mean("test_accuracy"), summary.sd("test_accuracy")), repeats,
             mlc::num(summary.mean("newton_iterations"), 3));

  // Accuracy against λ. λ = 1/n_train is scikit-learn's default C = 1 in this scaling.
  report.subsection("Test accuracy against the penalty λ");
  const double n_train = std::round(0.75 * static_cast<double>(data.n()));
  const std::vector<double> lambdas{1e-4, 1.0 / n_train, 1e-2, 1e-1, 1.0};
  std::vector<std::vector<std::string>> lam_rows;
  for (double lambda : lambdas) {
    const auto s = me::evaluate_on_splits(data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
      const auto model = lr::fit_binary_newton(train.X, malignant(train), lambda);
      return std::map<std::string, double>{{"acc", me::accuracy(malignant(test), model.predict(test.X))},
                                           {"norm", model.w.norm()}};
    });
    const bool is_sklearn = lambda == 1.0 / n_train;
    const std::string key = is_sklearn ? "sklearn_default" : fmt::format("{:g}", lambda);
    lam_rows.push_back({is_sklearn ? fmt::format("1/n = {} (C = 1)", mlc::num(lambda, 3)) : fmt::format("{:g}", lambda),
                        mlc::mean_sd(s.mean("acc"), s.sd("acc")), mlc::num(s.mean("norm"))});
    report.metric(fmt::format("breast_cancer.lambda_{}.test_accuracy", key), s.mean("acc"));
    report.metric(fmt::format("breast_cancer.lambda_{}.test_accuracy_sd", key), s.sd("acc"));
    report.metric(fmt::format("breast_cancer.lambda_{}.weight_norm", key), s.mean("norm"));
  }
  report.text("The penalty (λ/2)‖w‖² on the mean loss equals scikit-learn's C = 1/(λ n); its default C = 1 is λ = 1/n.");
  report.table({"λ", "test accuracy", "‖w‖"}, lam_rows);
}

// ---- 2. Convergence: GD against Newton ---------------------------------------------------
void convergence(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& cancer, const mlc::Dataset& iris) {
  report.section("Convergence: gradient descent against Newton");
  const auto split = standardized_split(cancer, opt.seed);
  const Eigen::MatrixXd& X = split.train.X;
  const Eigen::VectorXi y = malignant(split.train);
  lr::FitTrace newton;
  const auto model = lr::fit_binary_newton(X, y, kBinaryLambda, Eigen::VectorXd{}, 30, 1e-14, &newton);
  const double f_star = *std::min_element(newton.loss.begin(), newton.loss.end());
  // Conditioning at the optimum: GD's rate is 1 − μ/L.
  const Eigen::MatrixXd H = lr::binary_hessian(X, y.cast<double>(), model.theta(), kBinaryLambda);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H, Eigen::EigenvaluesOnly);
  const double L = lr::binary_lipschitz(X, kBinaryLambda), mu = eig.eigenvalues().minCoeff();
  const int gd_iterations = opt.quick ? 2000 : 20000;
  lr::FitTrace gd;
  lr::fit_binary_gd(X, y, kBinaryLambda, gd_iterations, 0.0, Eigen::VectorXd{}, &gd, 1);

  auto gap_series = [](const std::vector<double>& loss, double fs, Eigen::VectorXd& k, Eigen::VectorXd& gap) {
    std::vector<double> ks, gs;
    for (std::size_t i = 0; i < loss.size(); ++i) {
      const double e = loss[i] - fs;
      if (e > 1e-16) {
        ks.push_back(static_cast<double>(i));
        gs.push_back(e);
      }
    }
    k = mlc::to_vector(ks);
    gap = mlc::to_vector(gs);
  };
  auto first_below = [](const std::vector<double>& loss, double fs, double target) {
    for (std::size_t i = 0; i < loss.size(); ++i) {
      if (loss[i] - fs <= target) return static_cast<double>(i);
    }
    return std::nan("");
  };
  const double gd_to_1e6 = first_below(gd.loss, f_star, 1e-6), newton_to_1e6 = first_below(newton.loss, f_star, 1e-6);
  const double gd_to_1e12 = first_below(gd.loss, f_star, 1e-12), newton_to_1e12 = first_below(newton.loss, f_star, 1e-12);

  // Softmax on iris (4 features, 3 classes).
  const auto isplit = standardized_split(iris, opt.seed);
  lr::FitTrace inewton, igd;
  lr::fit_softmax_newton(isplit.train.X, isplit.train.labels(), 3, kIrisLambda, 30, 1e-14, &inewton);
  lr::fit_softmax_gd(isplit.train.X, isplit.train.labels(), 3, kIrisLambda, gd_iterations, 0.0, &igd, 1);
  const double if_star = std::min(*std::min_element(inewton.loss.begin(), inewton.loss.end()),
                                  *std::min_element(igd.loss.begin(), igd.loss.end()));

  mlc::Figure fig("Suboptimality f(θ_k) − f* of gradient descent and Newton");
  fig.xlabel("iteration k").ylabel("f(θ_k) − f*").logy().logx().legend("bottom left");
  Eigen::VectorXd k, gap;
  gap_series(gd.loss, f_star, k, gap);
  fig.line(k.array() + 1.0, gap, "GD 1/L, breast cancer (binary)", {.color = 0});
  gap_series(newton.loss, f_star, k, gap);
  fig.line_points(k.array() + 1.0, gap, "Newton, breast cancer (binary)", {.color = 1, .point_size = 0.8});
  gap_series(igd.loss, if_star, k, gap);
  fig.line(k.array() + 1.0, gap, "GD 1/L, iris (softmax)", {.color = 2, .dash = true});
  gap_series(inewton.loss, if_star, k, gap);
  fig.line_points(k.array() + 1.0, gap, "Newton, iris (softmax)", {.color = 3, .dash = true, .point_size = 0.8});
  report.figure(fig, "convergence",
                "Log suboptimality against iteration (1 + k on a log axis). Newton's error squares at each "
                "step near the optimum (quadratic convergence); gradient descent with step 1/L (6) loses a "
                "constant factor per step, at best 1 − μ/L.");

  std::vector<std::vector<std::string>> rows;
  std::vector<double> newton_gaps;
  for (std::size_t i = 0; i < newton.loss.size(); ++i) {
    const double e = newton.loss[i] - f_star;
    newton_gaps.push_back(e);
    if (i > 0 && newton.loss[i - 1] - f_star <= 1e-15) break;  // rounding reached: stop the table
    const double prev = i > 0 ? newton.loss[i - 1] - f_star : std::nan("");
    const double order = (i > 0 && e > 1e-15 && prev > 0 && prev < 1) ? std::log(e) / std::log(prev) : std::nan("");
    rows.push_back({std::to_string(i), mlc::num(e, 3), mlc::num(newton.gradient_norm[i], 3), mlc::num(order, 3)});
  }
  report.text(fmt::format(
      "Breast cancer, split seed {}, λ = {}: at the optimum the Hessian's eigenvalues span μ = {} to "
      "{}, and L = {} (6), so κ = L/μ = {} and gradient descent needs about κ·ln(1/ε) steps. Newton "
      "reaches f − f* ≤ 1e-12 in {} iterations; gradient descent reaches 1e-6 in {} and 1e-12 in {} "
      "of {} iterations. The order log e_(k+1) / log e_k climbs towards 2 (quadratic convergence: "
      "e_(k+1) ≤ C e_k² gives 2 + log C / log e_k) until rounding at 1e-16 stops it.",
      opt.seed, kBinaryLambda, mlc::num(mu, 3), mlc::num(eig.eigenvalues().maxCoeff(), 3), mlc::num(L, 3),
      mlc::num(L / mu, 3), mlc::num(newton_to_1e12), mlc::num(gd_to_1e6), mlc::num(gd_to_1e12), gd_iterations));
  report.table({"Newton iteration k", "f(θ_k) − f*", "‖∇f(θ_k)‖", "log e_k / log e_(k−1)"}, rows);
  report.metric("convergence.newton_suboptimality", newton_gaps);
  report.metric("convergence.newton_gradient_norm", std::vector<double>(newton.gradient_norm.begin(), newton.gradient_norm.begin() + static_cast<long>(newton_gaps.size())));
  report.metric("convergence.mu", mu);
  report.metric("convergence.hessian_max_eigenvalue", eig.eigenvalues().maxCoeff());
  report.metric("convergence.L", L);
  report.metric("convergence.kappa", L / mu);
  report.metric("convergence.newton_iterations_to_1e-6", newton_to_1e6);
  report.metric("convergence.newton_iterations_to_1e-12", newton_to_1e12);
  report.metric("convergence.gd_iterations_to_1e-6", gd_to_1e6);
  report.metric("convergence.gd_iterations_to_1e-12", gd_to_1e12);
  report.metric("convergence.newton_final_gradient_norm", newton.gradient_norm.back());
  report.metric("convergence.iris_newton_iterations_to_1e-12", first_below(inewton.loss, if_star, 1e-12));
  report.metric("convergence.iris_gd_iterations_to_1e-6", first_below(igd.loss, if_star, 1e-6));
  fmt::print("Convergence: kappa {}; Newton to 1e-12 in {} iterations; GD to 1e-6 in {}\n", mlc::num(L / mu, 3),
             mlc::num(newton_to_1e12), mlc::num(gd_to_1e6));
}

// ---- 3. Softmax: iris and digits ---------------------------------------------------------
void softmax_experiments(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& cancer,
                         const mlc::Dataset& iris, mlc::Dataset digits) {
  report.section("Multinomial (softmax) logistic regression");
  const int repeats = opt.quick ? 1 : 5;

  // K = 2 softmax is binary logistic regression with w = w1 − w0 and penalty λ/2.
  {
    const auto split = standardized_split(cancer, opt.seed);
    const Eigen::VectorXi y = malignant(split.train);
    const auto soft = lr::fit_softmax_newton(split.train.X, y, 2, kBinaryLambda);
    const auto bin = lr::fit_binary_newton(split.train.X, y, kBinaryLambda / 2.0);
    const double dw = (soft.W.col(1) - soft.W.col(0) - bin.w).cwiseAbs().maxCoeff();
    const double db = std::abs(soft.b(1) - soft.b(0) - bin.b);
    report.text(fmt::format(
        "Check: with K = 2 classes, the softmax fit with penalty λ = {} and the binary fit with λ/2 "
        "agree (the optimum has w₀ = −w₁, so (λ/2)(‖w₀‖² + ‖w₁‖²) = (λ/4)‖w₁ − w₀‖²): "
        "max |(w₁ − w₀) − w| = {}, |(b₁ − b₀) − b| = {}.",
        kBinaryLambda, mlc::num(dw, 2), mlc::num(db, 2)));
    report.metric("softmax.binary_equivalence_max_weight_difference", dw);
    report.metric("softmax.binary_equivalence_intercept_difference", db);
  }

  // Iris: all four features.
  const auto iris_summary = me::evaluate_on_splits(iris, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
    const auto model = lr::fit_softmax_newton(train.X, train.labels(), 3, kIrisLambda);
    return std::map<std::string, double>{{"test_accuracy", me::accuracy(test.labels(), model.predict(test.X))}};
  });
  report.metric("iris.test_accuracy", iris_summary.mean("test_accuracy"));
  report.metric("iris.test_accuracy_sd", iris_summary.sd("test_accuracy"));
  report.metric("iris.lambda", kIrisLambda);

  // Digits: λ chosen by 5-fold CV on the training part of the first split.
  if (opt.quick) {  // a subsample keeps --quick within seconds
    mlc::Rng sub(opt.seed);
    auto rows = sub.sample_without_replacement(digits.n(), 500);
    std::sort(rows.begin(), rows.end());
    digits = mlc::subset(digits, rows);
  }
  const std::vector<double> grid = opt.quick ? std::vector<double>{1e-2} : std::vector<double>{1e-3, 1e-2, 1e-1};
  const auto first = standardized_split(digits, opt.seed);
  std::vector<std::vector<std::string>> cv_rows;
  double best_lambda = grid.front(), best_cv = -1.0;
  for (double lambda : grid) {
    mlc::Rng cv_rng(opt.seed + 100);
    const auto cv = me::cross_validate(
        first.train.X, first.train.labels(),
        [lambda](const Eigen::MatrixXd& Xtr, const Eigen::VectorXi& ytr, const Eigen::MatrixXd& Xte) {
          return lr::fit_softmax_newton(Xtr, ytr, 10, lambda, 100, 1e-8).predict(Xte);
        },
        5, cv_rng);
    cv_rows.push_back({fmt::format("{:g}", lambda), mlc::mean_sd(cv.mean, cv.sd)});
    report.metric(fmt::format("digits.cv.lambda_{:g}.accuracy", lambda), cv.mean);
    report.metric(fmt::format("digits.cv.lambda_{:g}.accuracy_sd", lambda), cv.sd);
    if (cv.mean > best_cv) {
      best_cv = cv.mean;
      best_lambda = lambda;
    }
  }
  double fit_seconds = 0.0, predict_seconds = 0.0;
  int fits = 0;
  const auto digits_summary = me::evaluate_on_splits(digits, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
    lr::FitTrace trace;
    mlc::Timer t;
    const auto model = lr::fit_softmax_newton(train.X, train.labels(), 10, best_lambda, 100, 1e-10, &trace);
    fit_seconds += t.seconds();
    t.reset();
    const Eigen::VectorXi pred = model.predict(test.X);
    predict_seconds += t.seconds();
    ++fits;
    return std::map<std::string, double>{{"test_accuracy", me::accuracy(test.labels(), pred)},
                                         {"train_accuracy", me::accuracy(train.labels(), model.predict(train.X))},
                                         {"newton_iterations", trace.iterations},
                                         {"macro_f1", me::classification_report(test.labels(), pred, 10).macro_f1}};
  });
  report.timing("digits.newton.fit_seconds", fit_seconds / fits);
  report.timing("digits.newton.predict_seconds", predict_seconds / fits);
  report.metric("digits.lambda", best_lambda);
  report.metric("digits.test_accuracy", digits_summary.mean("test_accuracy"));
  report.metric("digits.test_accuracy_sd", digits_summary.sd("test_accuracy"));
  report.metric("digits.train_accuracy", digits_summary.mean("train_accuracy"));
  report.metric("digits.macro_f1", digits_summary.mean("macro_f1"));
  report.metric("digits.newton_iterations", digits_summary.mean("newton_iterations"));
  report.metric("digits.parameters", 650);

  report.text(fmt::format(
      "Softmax regression (7) fitted by damped Newton with the full Hessian (9) ({} parameters on "
      "digits{}). On digits, λ was chosen by 5-fold cross-validation (lesson 2.5's cross_validate) "
      "on the training part of the first split; the chosen λ = {:g} is then used on all {} split(s).",
      65 * 10, opt.quick ? ", --quick: a 500-image subsample" : "", best_lambda, repeats));
  report.table({"λ (digits)", "5-fold CV accuracy"}, cv_rows);
  report.table({"data", "λ", "test accuracy (mean ± sd)", "train accuracy", "Newton iterations"},
               {{"iris (4 features, K = 3)", fmt::format("{:g}", kIrisLambda),
                 mlc::mean_sd(iris_summary.mean("test_accuracy"), iris_summary.sd("test_accuracy")), "", ""},
                {"digits (64 pixels, K = 10)", fmt::format("{:g}", best_lambda),
                 mlc::mean_sd(digits_summary.mean("test_accuracy"), digits_summary.sd("test_accuracy")),
                 mlc::num(digits_summary.mean("train_accuracy")), mlc::num(digits_summary.mean("newton_iterations"), 3)}});
  fmt::print("Softmax: iris {}; digits (lambda {:g} by CV) {}\n",
             mlc::mean_sd(iris_summary.mean("test_accuracy"), iris_summary.sd("test_accuracy")), best_lambda,
             mlc::mean_sd(digits_summary.mean("test_accuracy"), digits_summary.sd("test_accuracy")));
}

// ---- 4. Decision regions on iris (two features) -------------------------------------------
void regions_iris(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& iris) {
  report.section("Decision regions");
  std::vector<Eigen::Index> cols{2, 3};  // petal length, petal width
  mlc::Dataset two = iris;
  two.X = iris.X(Eigen::all, cols);
  two.feature_names = {iris.feature_names[2], iris.feature_names[3]};
  const auto split = standardized_split(two, opt.seed);
  const auto model = lr::fit_softmax_newton(split.train.X, split.train.labels(), 3, kIrisLambda);
  const double acc = me::accuracy(split.test.labels(), model.predict(split.test.X));
  mlc::Figure fig("Softmax regression on iris: petal length and width (standardized)");
  fig.xlabel("petal length (standardized)").ylabel("petal width (standardized)").legend("top left");
  fig.decision_regions([&](const Eigen::MatrixXd& G) { return model.predict(G); }, split.train.X, 0.5);
  fig.scatter_classes(split.train.X, split.train.labels(), iris.class_names, 0.8);
  report.figure(fig, "regions_iris",
                "Decision regions of softmax regression (K = 3) on two iris features: the boundaries "
                "between classes k and l are the lines (w_k − w_l)ᵀx + b_k − b_l = 0. Points: training part.");
  report.text(fmt::format("On these two features alone, test accuracy (split seed {}) is {}.", opt.seed,
                          mlc::num(acc)));
  report.metric("iris_2d.test_accuracy", acc);
}

// ---- 5. Failure mode: separable data -----------------------------------------------------
void separable(mlc::Report& report, const mlc::Options& opt) {
  report.section("Failure mode: perfectly separable data");
  mlc::Rng rng(opt.seed + 7);
  Eigen::MatrixXd centers(2, 2);
  centers << -1.5, -1.0, 1.5, 1.0;
  const auto data = mlc::make_blobs(200, centers, 0.6, rng);
  const Eigen::VectorXi y = data.labels();
  const int T = opt.quick ? 10000 : 100000;
  const double lambda_fix = 1e-2;
  lr::FitTrace gd0, gdl;
  const auto m0 = lr::fit_binary_gd(data.X, y, 0.0, T, 0.0, Eigen::VectorXd{}, &gd0, 1);
  const auto ml = lr::fit_binary_gd(data.X, y, lambda_fix, T, 0.0, Eigen::VectorXd{}, &gdl, 1);
  const double train_acc = me::accuracy(y, m0.predict(data.X));
  // Newton with λ = 0: the damped iteration stays finite while ‖w‖ runs away.
  lr::FitTrace nt;
  const auto mn = lr::fit_binary_newton(data.X, y, 0.0, Eigen::VectorXd{}, 50, 1e-10, &nt);

  std::vector<double> ts, norms0, normsl;
  const int half_decades = static_cast<int>(std::lround(2.0 * std::log10(static_cast<double>(T)))) - 2;
  for (int i = 0; i <= half_decades; ++i) {  // t = 10, 10^1.5, ..., T
    const auto k = static_cast<std::size_t>(std::lround(std::pow(10.0, 1.0 + 0.5 * i)));
    ts.push_back(static_cast<double>(k));
    norms0.push_back(gd0.weight_norm[k]);
    normsl.push_back(gdl.weight_norm[k]);
  }
  std::vector<double> late_t(ts.end() - 5, ts.end()), late_n(norms0.end() - 5, norms0.end());
  const double slope = lr::slope_against_log(late_t, late_n);
  const std::size_t n_pts = ts.size();
  // The implicit bias: θ_t/‖θ_t‖ tends to the max-margin direction û and ‖θ_t‖ ≈ ln t / γ, where
  // γ = min_i ±x̃_iᵀû is the margin (Soudry et al. 2018, Theorem 3), so ‖w_t‖ ≈ ‖û_w‖ ln t / γ.
  // γ and û are measured on the final direction.
  const Eigen::VectorXd u = m0.theta() / m0.theta().norm();
  const Eigen::VectorXd margins = lr::with_intercept(data.X) * u;
  double gamma = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < margins.size(); ++i) gamma = std::min(gamma, (y(i) == 1 ? 1.0 : -1.0) * margins(i));
  const double asymptotic_slope = u.head(2).norm() / gamma;  // d‖w‖ / d ln t

  mlc::Figure fig("‖w_t‖ under gradient descent on separable data");
  fig.xlabel("iteration t").ylabel("‖w_t‖").logx().legend("top left");
  // ~400 log-spaced points of each curve.
  std::vector<double> xs, y0, yl;
  for (double t = 1; t <= T; t *= std::pow(static_cast<double>(T), 1.0 / 400)) {
    const auto k = static_cast<std::size_t>(std::lround(t));
    if (!xs.empty() && xs.back() == static_cast<double>(k)) continue;
    xs.push_back(static_cast<double>(k));
    y0.push_back(gd0.weight_norm[k]);
    yl.push_back(gdl.weight_norm[k]);
  }
  fig.line(xs, y0, "λ = 0: no minimiser, ‖w_t‖ → ∞", {.color = 0});
  fig.line(xs, yl, fmt::format("λ = {:g}: bounded", lambda_fix), {.color = 1});
  const Eigen::VectorXd t_asym =
      Eigen::VectorXd::LinSpaced(50, std::log(static_cast<double>(T) / 100.0), std::log(static_cast<double>(T))).array().exp();
  fig.line(t_asym, (norms0.back() + asymptotic_slope * (t_asym.array().log() - std::log(static_cast<double>(T)))).matrix(),
           fmt::format("slope ‖û_w‖/γ = {} per ln t (theory)", mlc::num(asymptotic_slope, 3)), {.color = 8, .dash = true});
  report.figure(fig, "separable_norm",
                "The weight norm under gradient descent (step 1/L) on two separable Gaussian blobs. "
                "Without a penalty the loss has no minimiser and ‖w_t‖ grows without bound, its slope on "
                "this log-t axis rising slowly towards the max-margin prediction ‖û_w‖/γ (dashed, drawn "
                "through the last point). With L2 it converges within ~100 steps.");

  // Predicted probabilities: the unpenalised model is overconfident (a thin 0.01–0.99 band).
  mlc::Figure rfig("Separable blobs: P(y = 1) = 0.01, 0.5, 0.99 for λ = 0 and λ = 0.01");
  rfig.xlabel("x₁").ylabel("x₂").legend("top left");
  rfig.decision_regions([&](const Eigen::MatrixXd& G) { return m0.predict(G); }, data.X, 0.5);
  rfig.scatter_classes(data.X, y, data.class_names, 0.8);
  {
    const int g = 120;
    const double x_lo = data.X.col(0).minCoeff() - 0.5, x_hi = data.X.col(0).maxCoeff() + 0.5;
    const double y_lo = data.X.col(1).minCoeff() - 0.5, y_hi = data.X.col(1).maxCoeff() + 0.5;
    const Eigen::VectorXd gx = Eigen::VectorXd::LinSpaced(g, x_lo, x_hi), gy = Eigen::VectorXd::LinSpaced(g, y_lo, y_hi);
    Eigen::MatrixXd G(g * g, 2);
    for (int i = 0; i < g; ++i) {
      for (int j = 0; j < g; ++j) G.row(i * g + j) << gx(j), gy(i);
    }
    const Eigen::VectorXd p0 = m0.predict_proba(G), pl = ml.predict_proba(G);
    // z(i, j) at x = gx(j), y = gy(i): row i of z is the grid row i.
    const Eigen::MatrixXd z0 = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(p0.data(), g, g);
    const Eigen::MatrixXd zl = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(pl.data(), g, g);
    rfig.contour(z0, gx, gy, {0.01, 0.5, 0.99}, "λ = 0", {.color = 0, .width = 1.2});
    rfig.contour(zl, gx, gy, {0.01, 0.5, 0.99}, fmt::format("λ = {:g}", lambda_fix), {.color = 8, .width = 1.2, .dash = true});
  }
  report.figure(rfig, "regions_separable",
                "Level sets 0.01, 0.5 and 0.99 of the predicted probability. Both models separate the "
                "training data, but without a penalty the logits grow without bound and the band of "
                "uncertain predictions collapses: the model is certain everywhere except on a thin strip "
                "along the separating line.");

  std::vector<std::vector<std::string>> rows;
  std::vector<double> decade_t, decade_norm, decade_increment;
  for (std::size_t i = 0; i < n_pts; i += 2) {
    const double inc = i >= 2 ? norms0[i] - norms0[i - 2] : std::nan("");
    rows.push_back({mlc::num(ts[i]), mlc::num(norms0[i]), mlc::num(inc, 3), mlc::num(normsl[i])});
    decade_t.push_back(ts[i]);
    decade_norm.push_back(norms0[i]);
    decade_increment.push_back(inc);
  }
  report.text(fmt::format(
      "The direction of θ = [w; b] converges to the max-margin separator û; its margin, measured on "
      "the final unit direction, is γ = {}, so the theory predicts that ‖w_t‖ gains ln(10)·‖û_w‖/γ = {} "
      "per decade asymptotically. The measured increments rise towards it from below: the approach is "
      "slow (the direction converges only like 1/log t).",
      mlc::num(gamma, 3), mlc::num(std::log(10.0) * asymptotic_slope, 3)));
  report.table({"GD iteration t", "‖w_t‖, λ = 0", "increase over the decade", fmt::format("‖w_t‖, λ = {:g}", lambda_fix)}, rows);
  report.metric("separable.gd.t", decade_t);
  report.metric("separable.gd.weight_norm", decade_norm);
  report.metric("separable.gd.increment_per_decade", decade_increment);
  report.metric("separable.max_margin_gamma", gamma);
  report.metric("separable.predicted_increment_per_decade", std::log(10.0) * asymptotic_slope);
  const double growth_last_decade = norms0.back() - norms0[n_pts - 3];
  const double growth_last_decade_l = normsl.back() - normsl[n_pts - 3];
  report.metric("separable.train_accuracy", train_acc);
  report.metric("separable.gd.weight_norm_final", norms0.back());
  report.metric("separable.gd.slope_per_log_t", slope);
  report.metric("separable.gd.growth_last_decade", growth_last_decade);
  report.metric("separable.l2.weight_norm_final", normsl.back());
  report.metric("separable.l2.growth_last_decade", growth_last_decade_l);
  report.metric("separable.newton.weight_norm", nt.weight_norm.back());
  report.metric("separable.newton.iterations", nt.iterations);
  report.metric("separable.newton.final_loss", nt.loss.back());
  report.metric("separable.newton.finite", mn.w.allFinite() ? 1.0 : 0.0);
  report.failure_mode(
      {.name = "Separable data: the maximum-likelihood estimate does not exist",
       .trigger = fmt::format("Two Gaussian blobs (n = 200, centres (±1.5, ±1), sd 0.6) that a line separates "
                              "(training accuracy {}); λ = 0.", mlc::num(train_acc)),
       .symptom = fmt::format("Gradient descent: ‖w_t‖ = {} after {} steps and still rising by {} per unit of "
                              "ln t ({} over the last decade); damped Newton drives the loss to {} with ‖w‖ = {} "
                              "after {} iterations (finite, thanks to the line search).",
                              mlc::num(norms0.back()), T, mlc::num(slope, 3), mlc::num(growth_last_decade, 3),
                              mlc::num(nt.loss.back(), 3), mlc::num(nt.weight_norm.back(), 3), nt.iterations),
       .why = "If some w separates the data, f(c w) → 0 as c → ∞: the infimum 0 is not attained. On the "
              "gradient-descent path the margins grow like log t (Soudry et al. 2018): the loss falls like 1/t "
              "and each step adds O(1/t) to ‖w‖.",
       .mitigation = fmt::format("L2 penalty λ = {:g} makes f strongly convex: ‖w_t‖ converges to {} (change over "
                                 "the last decade {}).",
                                 lambda_fix, mlc::num(normsl.back()), mlc::num(growth_last_decade_l, 2))});
  fmt::print("Separable: ||w|| {} after {} GD steps (slope {} per ln t); with L2 {}\n", mlc::num(norms0.back()), T,
             mlc::num(slope, 3), mlc::num(normsl.back()));
}

// ---- 6. Failure mode: class imbalance ----------------------------------------------------
void imbalance(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& cancer) {
  report.section("Failure mode: class imbalance and the accuracy paradox");
  // Keep every benign sample and 5 % malignant ones (drawn from the seed).
  mlc::Rng rng(opt.seed + 11);
  std::vector<Eigen::Index> benign, mal;
  for (Eigen::Index i = 0; i < cancer.n(); ++i) (cancer.labels()(i) == 0 ? mal : benign).push_back(i);
  const auto n_mal = static_cast<Eigen::Index>(std::lround(0.05 / 0.95 * static_cast<double>(benign.size())));
  auto pick = rng.sample_without_replacement(static_cast<Eigen::Index>(mal.size()), n_mal);
  std::vector<Eigen::Index> kept = benign;
  for (auto p : pick) kept.push_back(mal[static_cast<std::size_t>(p)]);
  std::sort(kept.begin(), kept.end());
  const mlc::Dataset data = mlc::subset(cancer, kept);
  // 20 splits rather than 5: each test part holds only ~5 malignant samples, so the recall
  // of one split moves in steps of 0.2; the fits take about a millisecond each.
  const int repeats = opt.quick ? 2 : 20;
  const double lambda = kBinaryLambda;
  const auto summary = me::evaluate_on_splits(data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
    const Eigen::VectorXi ytr = malignant(train), yte = malignant(test);
    const auto plain = lr::fit_binary_newton(train.X, ytr, lambda);
    const auto weighted = lr::fit_binary_newton(train.X, ytr, lambda, lr::balanced_sample_weights(ytr), 100, 1e-10, nullptr);
    const double prior = ytr.cast<double>().mean();
    const Eigen::VectorXi pred_plain = plain.predict(test.X);
    const Eigen::VectorXi pred_weighted = weighted.predict(test.X);
    const Eigen::VectorXi pred_threshold = (plain.predict_proba(test.X).array() >= prior).cast<int>();
    const Eigen::VectorXi pred_majority = Eigen::VectorXi::Zero(yte.size());
    std::map<std::string, double> out;
    auto add = [&](const std::string& name, const Eigen::VectorXi& pred) {
      const auto s = me::binary_scores(yte, pred);
      const auto cr = me::classification_report(yte, pred, 2);
      out[name + ".accuracy"] = me::accuracy(yte, pred);
      out[name + ".recall"] = s.recall;
      out[name + ".precision"] = s.precision;
      out[name + ".balanced_accuracy"] = cr.balanced_accuracy;
    };
    add("majority", pred_majority);
    add("plain", pred_plain);
    add("weighted", pred_weighted);
    add("threshold", pred_threshold);
    out["positives"] = yte.sum();
    const Eigen::VectorXd p = plain.predict_proba(test.X);
    for (int k = 0; k < 99; ++k) {  // thresholds 0.01, ..., 0.99 for the figure
      const Eigen::VectorXi pred = (p.array() >= 0.01 * (k + 1)).cast<int>();
      out[fmt::format("curve.accuracy.{}", k)] = me::accuracy(yte, pred);
      out[fmt::format("curve.recall.{}", k)] = me::binary_scores(yte, pred).recall;
      out[fmt::format("curve.balanced.{}", k)] = me::classification_report(yte, pred, 2).balanced_accuracy;
    }
    return out;
  });
  const std::vector<std::pair<std::string, std::string>> methods{
      {"majority", "always benign"},
      {"plain", "logistic regression, threshold 0.5"},
      {"weighted", "balanced class weights"},
      {"threshold", "threshold moved to the training prevalence"}};
  std::vector<std::vector<std::string>> rows;
  Eigen::VectorXd acc(4), rec(4), bal(4);
  int i = 0;
  for (const auto& [key, label] : methods) {
    rows.push_back({label, mlc::num(summary.mean(key + ".accuracy")),
                    mlc::mean_sd(summary.mean(key + ".recall"), summary.sd(key + ".recall"), 3),
                    mlc::num(summary.mean(key + ".precision")), mlc::num(summary.mean(key + ".balanced_accuracy"))});
    for (const std::string m : {"accuracy", "recall", "precision", "balanced_accuracy"}) {
      report.metric(fmt::format("imbalance.{}.{}", key, m), summary.mean(key + "." + m));
    }
    report.metric(fmt::format("imbalance.{}.recall_sd", key), summary.sd(key + ".recall"));
    acc(i) = summary.mean(key + ".accuracy");
    rec(i) = summary.mean(key + ".recall");
    bal(i) = summary.mean(key + ".balanced_accuracy");
    ++i;
  }
  const double positives = summary.mean("positives");
  report.metric("imbalance.minority_fraction", static_cast<double>(n_mal) / static_cast<double>(data.n()));
  report.metric("imbalance.test_positives_per_split", positives);
  report.metric("imbalance.malignant_kept", static_cast<double>(n_mal));
  report.metric("imbalance.benign_kept", static_cast<double>(benign.size()));
  report.metric("imbalance.prior_log_odds", std::log(static_cast<double>(n_mal) / static_cast<double>(benign.size())));
  report.text(fmt::format(
      "All {} benign samples and {} malignant ones ({} % of {}), {} split(s), λ = {:g}; about {} malignant "
      "samples per test part. Means over splits (seeds {}..{}):",
      benign.size(), n_mal, mlc::num(100.0 * static_cast<double>(n_mal) / static_cast<double>(data.n()), 3), data.n(),
      repeats, lambda, mlc::num(positives, 3), opt.seed, opt.seed + repeats - 1));
  report.table({"classifier", "accuracy", "malignant recall (mean ± sd)", "malignant precision", "balanced accuracy"}, rows);
  // Accuracy and minority recall against the decision threshold, averaged over the splits.
  {
    const Eigen::VectorXd thresholds = Eigen::VectorXd::LinSpaced(99, 0.01, 0.99);
    Eigen::VectorXd a(99), r(99), b(99);
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
    fig.hline(acc(0), "accuracy of 'always benign'", {.color = 0, .dash = true});
    fig.vline(0.5, "threshold 0.5", {.color = 8, .dash = true});
    fig.vline(static_cast<double>(n_mal) / static_cast<double>(data.n()), "prevalence", {.color = 4, .dash = true});
    report.figure(fig, "imbalance",
                  "Logistic regression without weights: accuracy stays above the constant classifier's "
                  "(dashed) at every threshold from 0.1 up, so it cannot tell a useful model from one that "
                  "misses the minority; the malignant recall and the balanced accuracy show what the "
                  "default threshold 0.5 costs.");
  }
  report.failure_mode(
      {.name = "Class imbalance: the accuracy paradox",
       .trigger = fmt::format("Breast cancer subsampled to {} % malignant ({} of {} samples).",
                              mlc::num(100.0 * static_cast<double>(n_mal) / static_cast<double>(data.n()), 3), n_mal, data.n()),
       .symptom = fmt::format("The constant 'benign' classifier scores accuracy {} with malignant recall 0; "
                              "logistic regression scores accuracy {} but recall {} (balanced accuracy {}).",
                              mlc::num(acc(0)), mlc::num(acc(1)), mlc::num(rec(1)), mlc::num(bal(1))),
       .why = "The mean log-loss is dominated by the majority: the intercept absorbs the prior log-odds "
              "log(π/(1−π)) = " + mlc::num(std::log(static_cast<double>(n_mal) / static_cast<double>(benign.size())), 3) + ", shifting σ(z) down so that borderline malignant cases fall below 0.5. "
              "Accuracy weights each sample equally, so missing the rare class costs almost nothing.",
       .mitigation = fmt::format("Balanced class weights s_i = n/(2 n_c): recall {}, balanced accuracy {}; "
                                 "moving the threshold to the training prevalence: recall {}, balanced accuracy {}.",
                                 mlc::num(rec(2)), mlc::num(bal(2)), mlc::num(rec(3)), mlc::num(bal(3)))});
  fmt::print("Imbalance: accuracy {} recall {} -> weighted recall {}, threshold recall {}\n", mlc::num(acc(1)),
             mlc::num(rec(1)), mlc::num(rec(2)), mlc::num(rec(3)));
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const auto cancer = mlc::load_dataset("breast_cancer");
  const auto iris = mlc::load_dataset("iris");
  const auto digits = mlc::load_dataset("digits");
  breast_cancer(report, opt, cancer);
  convergence(report, opt, cancer, iris);
  softmax_experiments(report, opt, cancer, iris, digits);
  regions_iris(report, opt, iris);
  separable(report, opt);
  imbalance(report, opt, cancer);
  report.write();
}

}  // namespace

int main(int argc, char** argv) { return mlc::lesson_main(argc, argv, kLesson, run); }
