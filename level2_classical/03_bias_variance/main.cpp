// 2.3 bias_variance: bias², variance and noise measured by repeated sampling of training sets
// for polynomial (Legendre basis, QR) and k-NN regression of f(x) = sin 2πx with Gaussian
// noise. Follows Geman, Bienenstock & Doursat (1992), ESL §7.3, Belkin et al. (2019) and
// Mei & Montanari (2022).
//
// Experiments (each section of report.md):
//   1. the setup: f, the noise, the R training sets shared by every model;
//   2. conditioning of the Legendre against the monomial basis;
//   3. polynomial regression: bias², variance and the U-shaped test error against the degree;
//   4. k-NN regression: the same U against 1/k, and the closed form at k = n;
//   5. the decomposition E[(y − ŷ)²] = bias² + variance + σ² checked within Monte-Carlo error;
//   6. learning curves of degrees 3 and 7;
//   7. training error against 5-fold cross-validation for model selection (failure mode);
//   8. double descent of minimum-norm random ReLU features at p = n, removed by ridge (failure
//      mode).
// Run: ./learn run bias_variance [--quick] [--seed N] [--out DIR]. Equations (n): NOTES.md.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Dense>

#include "bias_variance.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "model_evaluation.hpp"

namespace bv = bias_variance;
namespace me = model_evaluation;
using Eigen::Index;
using Eigen::VectorXd;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Polynomial (Legendre basis, least squares by QR) and k-NN regression of f(x) = sin(2 pi x) "
    "with Gaussian noise: bias^2, variance and noise measured over hundreds of training sets, "
    "and the decomposition E[(y - yhat)^2] = bias^2 + variance + sigma^2 checked within "
    "Monte-Carlo error; the U-shaped test error against capacity; learning curves; training "
    "error against 5-fold cross-validation as a model-selection criterion; double descent of "
    "minimum-norm random ReLU features regression, peaking at the interpolation threshold "
    "p = n where the smallest singular value of the feature matrix goes to zero, and a small "
    "ridge penalty that removes the peak.",
    "report.md, metrics.json, figures/polynomial_fits.svg, figures/bias_variance_polynomial.svg, "
    "figures/bias_variance_knn.svg, figures/learning_curves.svg, figures/double_descent.svg, "
    "figures/threshold_norm.svg");

constexpr int kMaxDegree = 14;

// Streams of the seed: 1 the training sets, 1000 conditioning, 2000 + i the learning curves
// (one per n), 3000 + s model selection and 4000 + s double descent (one per set or seed).

// ---- Decomposition tables, metrics and figures (sections 3 and 4) ---------------------------

// One row per model: the terms of (1), the measured error ± s.e., and the two z scores.
void decomposition_table(mlc::Report& report, const std::string& capacity,
                         const std::vector<std::string>& labels,
                         const std::vector<bv::Decomposition>& ds) {
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const auto& d = ds[i];
    rows.push_back({labels[i], mlc::num(d.bias2), mlc::num(d.variance), mlc::num(d.noise),
                    mlc::num(d.sum()), mlc::mean_sd(d.expected_test_error, d.test_error_se),
                    mlc::num(d.train_error), fmt::format("{:+.2f}", d.z_score()),
                    fmt::format("{:+.2f}", d.cross_z_score())});
  }
  report.table({capacity, "bias²", "variance", "σ²", "sum (1)", "measured E ± s.e.", "train MSE",
                "z", "z (realised noise)"},
               rows);
}

// The terms of every model as arrays prefix.bias2, prefix.variance, ...
void decomposition_metrics(mlc::Report& report, const std::string& prefix,
                           const std::vector<bv::Decomposition>& ds) {
  const auto record = [&](const std::string& name, double (*term)(const bv::Decomposition&)) {
    std::vector<double> v;
    for (const auto& d : ds) v.push_back(term(d));
    report.metric(prefix + "." + name, v);
  };
  record("z_realised_noise", [](const bv::Decomposition& d) { return d.cross_z_score(); });
  record("bias2", [](const bv::Decomposition& d) { return d.bias2; });
  record("variance", [](const bv::Decomposition& d) { return d.variance; });
  record("sum", [](const bv::Decomposition& d) { return d.sum(); });
  record("expected_test_error", [](const bv::Decomposition& d) { return d.expected_test_error; });
  record("expected_test_error_se", [](const bv::Decomposition& d) { return d.test_error_se; });
  record("train_error", [](const bv::Decomposition& d) { return d.train_error; });
  record("z", [](const bv::Decomposition& d) { return d.z_score(); });
}

mlc::Figure decomposition_figure(const std::string& title, const std::string& xlabel,
                                 const std::vector<double>& x,
                                 const std::vector<bv::Decomposition>& ds) {
  std::vector<double> b, v, s, e, t;
  for (const auto& d : ds) {
    b.push_back(d.bias2);
    v.push_back(d.variance);
    s.push_back(d.sum());
    e.push_back(d.expected_test_error);
    t.push_back(d.train_error);
  }
  mlc::Figure fig(title);
  fig.xlabel(xlabel).ylabel("squared error").logy().legend("top left");
  fig.line_points(x, e, "measured test error E[(y - yhat)^2]", {.color = 0, .width = 2.2});
  fig.line(x, s, "bias^2 + variance + sigma^2", {.color = 5, .dash = true});
  fig.line_points(x, b, "bias^2", {.color = 1});
  fig.line_points(x, v, "variance", {.color = 2});
  fig.line_points(x, t, "training error", {.color = 3});
  fig.hline(ds.front().noise, "sigma^2 (noise)", {.color = 8, .dash = true});
  return fig;
}

// The index of the model with the smallest measured test error.
std::size_t best_model(const std::vector<bv::Decomposition>& ds) {
  return static_cast<std::size_t>(std::min_element(ds.begin(), ds.end(),
                                                   [](const auto& a, const auto& b) {
                                                     return a.expected_test_error <
                                                            b.expected_test_error;
                                                   }) -
                                  ds.begin());
}

// ---- 1–2. Setup and conditioning --------------------------------------------------------------

void setup_section(mlc::Report& report, const bv::RegressionProblem& problem, int repeats) {
  report.section("Setup");
  report.text(fmt::format(
      "Regression function f(x) = sin(2πx) on [0, 1], training inputs x ~ U[0, 1], targets "
      "y = f(x) + σε with σ = {} (noise σ² = {}), n = {} training points. Every model is "
      "fitted on the same R = {} independent training sets (common random numbers); bias² and "
      "variance (3), (4) are averaged over a grid of {} test inputs (midpoints of [0, 1]), "
      "and the expected test error is measured with fresh noisy targets at those inputs.",
      report.quote("setup.sigma", problem.sigma), mlc::num(problem.sigma * problem.sigma),
      report.quote("setup.n", static_cast<double>(problem.n)),
      report.quote("setup.repeats", repeats),
      report.quote("setup.test_points", static_cast<double>(problem.x_test.size()))));
  fmt::print("sin(2 pi x) + noise sigma = {}, n = {}, R = {} training sets\n", problem.sigma,
             problem.n, repeats);
}

void conditioning_section(mlc::Report& report, Index n, mlc::Rng rng) {
  const VectorXd x = rng.uniform_vector(n);
  const auto cond = [](const Eigen::MatrixXd& A) {
    const VectorXd s = Eigen::BDCSVD<Eigen::MatrixXd>(A).singularValues();
    return s(0) / s(s.size() - 1);
  };
  std::vector<std::vector<std::string>> rows;
  std::vector<double> cl, cm;
  for (int deg : {5, 10, 15, 20}) {
    cl.push_back(cond(bv::legendre_design(x, deg)));
    cm.push_back(cond(bv::monomial_design(x, deg)));
    rows.push_back({std::to_string(deg), mlc::num(cl.back(), 3), mlc::num(cm.back(), 3)});
  }
  report.section("Conditioning: Legendre against monomial basis");
  report.text(
      "Condition number κ(Φ) of the n × (d+1) design matrix on one training set (n = 30, "
      "x ~ U[0, 1]). Least squares by QR loses about log10 κ digits; in the monomial basis "
      "high degrees are numerically meaningless (inf: the smallest singular value "
      "is lost to rounding), in the Legendre basis (6) they are not.");
  report.table({"degree", "κ Legendre", "κ monomial"}, rows);
  report.metric("conditioning.degrees", std::vector<double>{5, 10, 15, 20});
  report.metric("conditioning.legendre", cl);
  report.metric("conditioning.monomial", cm);
  fmt::print("condition number at degree 15: Legendre {:.3g}, monomial {:.3g}\n", cl[2], cm[2]);
}

// ---- 3. Polynomial regression: bias–variance against the degree -------------------------------

std::vector<bv::Decomposition> polynomial_section(mlc::Report& report,
                                                  const bv::RegressionProblem& problem, int repeats,
                                                  const mlc::Rng& sets) {
  mlc::Timer timer;
  std::vector<bv::Decomposition> poly;
  std::vector<std::string> labels;
  std::vector<double> degrees;
  for (int deg = 0; deg <= kMaxDegree; ++deg) {
    poly.push_back(
        bv::bias_variance_decomposition(bv::polynomial_learner(deg), problem, repeats, sets));
    labels.push_back(std::to_string(deg));
    degrees.push_back(deg);
  }
  report.timing("polynomial_decomposition_seconds", timer.seconds());
  const std::size_t best = best_model(poly);
  report.metric("poly.degrees", degrees);
  decomposition_metrics(report, "poly", poly);
  report.section("Polynomial regression: the U-shaped test error");
  report.text(fmt::format(
      "Least-squares polynomials of degree 0..{} in the Legendre basis. Bias² falls with the "
      "degree until the polynomial can follow one period of the sine (degree ≥ 5 or so), "
      "variance rises, sharply as d + 1 approaches n = {} (the fit then nearly interpolates "
      "noise and oscillates between the sample points and beyond the outermost ones). The "
      "measured test error is minimal at degree {} ({}). The z column is (measured − sum)/s.e., "
      "with the s.e. (5) from the R independent training sets: the identity (1) holds when "
      "|z| is of order one.",
      kMaxDegree, problem.n, report.quote("poly.best_degree", static_cast<double>(best)),
      report.quote("poly.best_test_error", poly[best].expected_test_error)));
  decomposition_table(report, "degree", labels, poly);
  mlc::Figure fig = decomposition_figure("Polynomial regression of sin(2 pi x), n = 30",
                                         "polynomial degree", degrees, poly);
  fig.yrange(1e-3, 1e3);
  report.figure(fig, "bias_variance_polynomial",
                "Bias², variance, their sum with σ² and the measured test error against the "
                "degree (log scale, clipped at 10³: degree 14 reaches 10⁶). Training error falls "
                "monotonically. Bias² estimates that are below zero (degree ≥ 6, where the true "
                "bias² is far below its Monte-Carlo error) are not drawn.");
  fmt::print("polynomial: best degree {} (test error {:.4f})\n", best,
             poly[best].expected_test_error);
  return poly;
}

// ---- 4. k-NN regression: bias–variance against 1/k --------------------------------------------

std::vector<bv::Decomposition> knn_section(mlc::Report& report,
                                           const bv::RegressionProblem& problem, int repeats,
                                           const mlc::Rng& sets) {
  mlc::Timer timer;
  const std::vector<int> ks = {30, 25, 20, 15, 12, 10, 8, 6, 5, 4, 3, 2, 1};
  std::vector<bv::Decomposition> knn;
  std::vector<std::string> labels;
  std::vector<double> inv_k, ks_d;
  for (int k : ks) {
    knn.push_back(bv::bias_variance_decomposition(bv::knn_learner(k), problem, repeats, sets));
    labels.push_back(std::to_string(k));
    inv_k.push_back(1.0 / k);
    ks_d.push_back(k);
  }
  report.timing("knn_decomposition_seconds", timer.seconds());
  const std::size_t best = best_model(knn);
  // k = n predicts the training mean: variance (Var f(X) + σ²)/n = (1/2 + σ²)/n in the random
  // design (Var sin 2πU = 1/2), bias² = mean over the grid of f² (E f(X) = 0).
  const double sigma2 = problem.sigma * problem.sigma;
  const double variance_theory = (0.5 + sigma2) / static_cast<double>(problem.n);
  const double bias2_theory = problem.x_test.unaryExpr(&bv::sine_target).squaredNorm() /
                              static_cast<double>(problem.x_test.size());
  report.metric("knn.k", ks_d);
  decomposition_metrics(report, "knn", knn);
  report.section("k-NN regression: the same U against 1/k");
  report.text(fmt::format(
      "k-NN regression (8), capacity 1/k (the effective number of parameters is about n/k). "
      "k = 1 interpolates the training set (training error 0, variance ≈ σ² plus the "
      "variance of the nearest input's f); k = n = {} predicts the training mean. The best k is "
      "{} (test error {}). Closed form for k = n: variance (Var f(X) + σ²)/n = {} (measured {}), "
      "bias² = mean of f² over the grid = {} (measured {}).",
      problem.n, report.quote("knn.best_k", ks[best]),
      report.quote("knn.best_test_error", knn[best].expected_test_error),
      report.quote("knn.k_equals_n.variance_theory", variance_theory), mlc::num(knn[0].variance),
      report.quote("knn.k_equals_n.bias2_theory", bias2_theory), mlc::num(knn[0].bias2)));
  decomposition_table(report, "k", labels, knn);
  mlc::Figure fig =
      decomposition_figure("k-NN regression of sin(2 pi x), n = 30", "1/k", inv_k, knn);
  fig.logx().legend("bottom left");
  report.figure(fig, "bias_variance_knn",
                "Bias², variance, their sum with σ² and the measured test error against the "
                "capacity 1/k (both axes logarithmic).");
  fmt::print("k-NN: best k = {} (test error {:.4f})\n", ks[best], knn[best].expected_test_error);
  return knn;
}

// ---- 5. The identity (1) over every model -----------------------------------------------------

// All models share the training sets and the test noise (common random numbers), so their z
// against σ² move together with the realised noise; against the realised noise only the cross
// term is left, nearly independent across models.
void identity_section(mlc::Report& report, const bv::RegressionProblem& problem, int repeats,
                      const std::vector<bv::Decomposition>& poly,
                      const std::vector<bv::Decomposition>& knn) {
  double max_abs_z = 0.0, max_abs_cross_z = 0.0;
  for (const auto* list : {&poly, &knn}) {
    for (const auto& d : *list) {
      max_abs_z = std::max(max_abs_z, std::abs(d.z_score()));
      max_abs_cross_z = std::max(max_abs_cross_z, std::abs(d.cross_z_score()));
    }
  }
  const double sigma2 = problem.sigma * problem.sigma;
  const double noise_measured = poly.front().noise_measured;
  const double noise_se =
      sigma2 * std::sqrt(2.0 / (static_cast<double>(repeats) * problem.x_test.size()));
  const auto q = [&](const std::string& name, double v, int sig = 4) {
    return report.quote("decomposition." + name, v, sig);
  };
  report.section("The decomposition checked");
  report.text(fmt::format(
      "Each z is (measured − predicted)/s.e. with the Monte-Carlo standard error (5) from the R "
      "independent training sets. Against σ² = {} the largest |z| over the {} models is {}; "
      "the z share a sign because every model sees the same test noise, whose realised mean "
      "square is {} (σ² ± s.e. {}: z = {}). With the realised noise in place of σ² only the "
      "cross term 2(y⁰ − f)(f − ŷ) remains (still partly shared between models with similar "
      "predictions) and the largest |z| is {}: the identity (1) holds within Monte-Carlo error "
      "for every model, from bias-dominated to variance-dominated.",
      mlc::num(sigma2), q("models", static_cast<double>(poly.size() + knn.size())),
      q("max_abs_z", max_abs_z, 3), q("noise_measured", noise_measured), q("noise_se", noise_se, 2),
      mlc::num((noise_measured - sigma2) / noise_se, 3),
      q("max_abs_z_realised_noise", max_abs_cross_z, 3)));
  fmt::print("decomposition identity: max |z| = {:.2f}, with the realised noise {:.2f}\n",
             max_abs_z, max_abs_cross_z);
}

// ---- 6. Learning curves -----------------------------------------------------------------------

void learning_curves_section(mlc::Report& report, const bv::RegressionProblem& problem,
                             const mlc::Rng& root, bool quick) {
  mlc::Timer timer;
  const std::vector<double> ns = {12, 15, 20, 30, 45, 60, 90, 130, 200, 300};
  const int repeats = quick ? 20 : 200;
  mlc::Figure fig("Learning curves: polynomial fits of sin(2 pi x)");
  fig.xlabel("training set size n").ylabel("mean squared error").logx().logy();
  fig.yrange(0.01, 10.0);
  std::vector<std::vector<std::string>> rows;
  int color = 0;
  for (int deg : {3, 7}) {
    std::vector<double> train, test;
    for (std::size_t i = 0; i < ns.size(); ++i) {
      bv::RegressionProblem p = problem;
      p.n = static_cast<Index>(ns[i]);
      const auto d = bv::bias_variance_decomposition(bv::polynomial_learner(deg), p, repeats,
                                                     root.derive(2000 + i));  // one stream per n
      train.push_back(d.train_error);
      test.push_back(d.expected_test_error);
    }
    for (std::size_t i = 0; i < ns.size(); ++i) {
      rows.push_back({std::to_string(deg), mlc::num(ns[i]), mlc::num(train[i]), mlc::num(test[i])});
    }
    report.metric(fmt::format("learning_curve.degree_{}.train_error", deg), train);
    report.metric(fmt::format("learning_curve.degree_{}.test_error", deg), test);
    fig.line_points(ns, test, fmt::format("degree {}: test", deg), {.color = color});
    fig.line_points(ns, train, fmt::format("degree {}: train", deg),
                    {.color = color, .dash = true});
    color += 1;
    fmt::print("learning curve degree {}: n = 300 train {:.4f} test {:.4f}\n", deg, train.back(),
               test.back());
  }
  fig.hline(problem.sigma * problem.sigma, "sigma^2", {.color = 8, .dash = true});
  report.timing("learning_curves_seconds", timer.seconds());
  report.metric("learning_curve.n", ns);
  report.section("Learning curves");
  report.text(fmt::format(
      "Training and test error against n (mean over {} training sets per n). Both converge to "
      "σ² + bias² of the model class from opposite sides: training error rises (the fit can no "
      "longer absorb the noise, E train ≈ σ²(1 − (d+1)/n) for a correct model), test error "
      "falls (variance ≈ σ²(d+1)/n). Degree 3 cannot represent the sine, so its curves meet "
      "above σ²; degree 7 has negligible bias but needs far more data before its variance "
      "is small (at n = 12 its 8 coefficients nearly interpolate the noise).",
      report.quote("learning_curve.repeats", repeats)));
  report.table({"degree", "n", "train MSE", "test MSE"}, rows);
  report.figure(fig, "learning_curves",
                "Training (dashed) and test (solid) error against the training set size for "
                "degree 3 and degree 7 (log scales; the degree-7 test error above 10 at the "
                "smallest n is clipped, see the table); the dashed grey line is σ².");
}

// ---- 7. Model selection: training error against cross-validation ------------------------------

// Per training set: the expected test error of the degree chosen by training MSE, by 5-fold
// CV and of the best degree (the oracle); the first set is kept for the figure.
struct Selection {
  int sets = 0, train_picks_max = 0, monotone = 0, cv_blowups = 0;
  std::vector<double> cv_degrees, by_train, by_cv, oracle;
  double r2_train_sum = 0, r2_cv_sum = 0;  // of the test R²
  bv::DegreeSelection example;
  VectorXd example_x, example_y;
};

Selection select_degrees(const bv::RegressionProblem& problem, const mlc::Rng& root, int sets) {
  Selection S;
  S.sets = sets;
  std::vector<int> degrees;
  for (int d = 0; d <= kMaxDegree; ++d) degrees.push_back(d);
  const VectorXd f_grid = problem.x_test.unaryExpr(problem.f);
  for (int s = 0; s < sets; ++s) {
    mlc::Rng draw = root.derive(3000 + static_cast<std::uint64_t>(s));  // one stream per set
    const VectorXd x = draw.uniform_vector(problem.n);
    const VectorXd y = x.unaryExpr(problem.f) + problem.sigma * draw.normal_vector(problem.n);
    const auto sel = bv::select_polynomial_degree(x, y, degrees, 5, draw);
    // a fresh noisy test set of 1000 points for R² (model_evaluation::r_squared)
    const VectorXd xt = draw.uniform_vector(1000);
    const VectorXd yt = xt.unaryExpr(problem.f) + problem.sigma * draw.normal_vector(1000);
    if (s == 0) {
      S.example = sel;
      S.example_x = x;
      S.example_y = y;
    }
    S.train_picks_max += sel.by_train == kMaxDegree ? 1 : 0;
    bool mono = true;
    for (Index j = 1; j < sel.train_mse.size(); ++j) {
      mono = mono && sel.train_mse(j) <= sel.train_mse(j - 1) * (1.0 + 1e-12);
    }
    S.monotone += mono ? 1 : 0;
    // expected test error of a fit = mean over the grid of (f − ŷ)² + σ²
    const auto expected_error = [&](int deg) {
      return me::mean_squared_error(f_grid, bv::fit_polynomial(x, y, deg).predict(problem.x_test)) +
             problem.sigma * problem.sigma;
    };
    double oracle = 1e300;
    for (int deg : degrees) oracle = std::min(oracle, expected_error(deg));
    S.by_train.push_back(expected_error(sel.by_train));
    S.by_cv.push_back(expected_error(sel.by_cv));
    S.oracle.push_back(oracle);
    S.cv_blowups += S.by_cv.back() > 10.0 * oracle ? 1 : 0;
    S.r2_train_sum += me::r_squared(yt, bv::fit_polynomial(x, y, sel.by_train).predict(xt));
    S.r2_cv_sum += me::r_squared(yt, bv::fit_polynomial(x, y, sel.by_cv).predict(xt));
    S.cv_degrees.push_back(sel.by_cv);
  }
  return S;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 == 1 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

double average(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// One training set with the true function and three fits.
void selection_figure(mlc::Report& report, const bv::RegressionProblem& problem,
                      const Selection& S) {
  const VectorXd grid = VectorXd::LinSpaced(400, 0.0, 1.0);
  mlc::Figure fig("One training set (n = 30) and three polynomial fits");
  fig.xlabel("x").ylabel("y").yrange(-2.0, 2.0).legend("bottom left");
  fig.points(S.example_x, S.example_y, "training data", {.color = 8, .point_size = 0.8});
  fig.line(grid, grid.unaryExpr(problem.f), "f(x) = sin(2 pi x)", {.color = 0, .width = 2.4});
  int c = 1;
  for (int deg : {1, S.example.by_cv, kMaxDegree}) {
    const char* note = deg == S.example.by_cv ? " (chosen by CV)"
                       : deg == kMaxDegree    ? " (chosen by train error)"
                                              : "";
    fig.line(grid, bv::fit_polynomial(S.example_x, S.example_y, deg).predict(grid),
             fmt::format("degree {}{}", deg, note), {.color = c++});
  }
  report.figure(fig, "polynomial_fits",
                "One training set with the true function and the fits of degree 1 "
                "(underfit), the CV choice, and degree 14 (the training-error choice).");
}

// Returns the failure mode "Training error as a model-selection criterion", which the report
// lists after the double descent's.
mlc::FailureMode selection_section(mlc::Report& report, const bv::RegressionProblem& problem,
                                   const Selection& S) {
  const double sets = S.sets;
  std::vector<double> sorted_cv = S.cv_degrees;
  std::sort(sorted_cv.begin(), sorted_cv.end());
  const auto q = [&](const std::string& name, double v, int sig = 4) {
    return report.quote("selection." + name, v, sig);
  };
  const std::string n_sets = q("sets", sets);
  const std::string cv_degree = q("cv_median_degree", sorted_cv[sorted_cv.size() / 2]);
  const std::string train_mean = q("train_selected.expected_test_error", average(S.by_train));
  const std::string cv_mean = q("cv_selected.expected_test_error", average(S.by_cv));
  const std::string train_median = q("train_selected.median_test_error", median(S.by_train));
  const std::string cv_median = q("cv_selected.median_test_error", median(S.by_cv));
  const std::string oracle_median = q("oracle.median_test_error", median(S.oracle));
  const std::string blowups = q("cv_blowups", S.cv_blowups);
  report.metric("selection.train_picks_max_degree_fraction", S.train_picks_max / sets);
  report.metric("selection.train_error_monotone_fraction", S.monotone / sets);
  report.metric("selection.example.train_mse", S.example.train_mse);
  report.metric("selection.example.cv_mse", S.example.cv_mse);
  report.section("Model selection: training error against cross-validation");
  report.text(fmt::format(
      "On each of {} training sets (n = {}), the degree 0..{} is chosen by training MSE and by "
      "5-fold cross-validated MSE; each choice is then scored by its expected test error "
      "(mean over the grid of (f − ŷ)² plus σ²) and by R² on 1000 fresh noisy test points "
      "(model_evaluation::r_squared).",
      n_sets, problem.n, kMaxDegree));
  report.table(
      {"criterion", "selected degree", "median expected test error", "mean expected test error",
       "mean test R²"},
      {{"training MSE", fmt::format("{} in {}/{} sets", kMaxDegree, S.train_picks_max, S.sets),
        train_median, train_mean, q("train_selected.test_r2", S.r2_train_sum / sets)},
       {"5-fold CV", "median " + cv_degree, cv_median, cv_mean,
        q("cv_selected.test_r2", S.r2_cv_sum / sets)},
       {"oracle (best degree per set)", "—", oracle_median,
        q("oracle.expected_test_error", average(S.oracle)), "—"}});
  report.text(fmt::format(
      "The means are heavy-tailed: a high-degree fit on n = 30 random inputs can explode in a "
      "gap between samples or beyond the outermost one. Cross-validation is not immune: on "
      "{} of {} sets its choice was more than 10× worse than the best degree (the held-out "
      "folds happened not to probe where the full-data fit explodes), which drags its mean; "
      "the medians show the typical case.",
      blowups, n_sets));
  selection_figure(report, problem, S);
  fmt::print("model selection: median expected test error train-selected {} vs CV-selected {}\n",
             train_median, cv_median);
  return {
      .name = "Training error as a model-selection criterion",
      .trigger = fmt::format("Choose the polynomial degree (0..{}) that minimises the training "
                             "MSE, on {} training sets of n = {}.",
                             kMaxDegree, n_sets, problem.n),
      .symptom = fmt::format(
          "Training MSE is non-increasing in the degree on {}/{} sets and picks the largest "
          "degree {} on {}/{}; that model's expected test error has median {} and mean {} "
          "(mean test R² {}), against a median {} at the best degree of each set.",
          S.monotone, S.sets, kMaxDegree, S.train_picks_max, S.sets, train_median, train_mean,
          q("train_selected.test_r2", S.r2_train_sum / sets, 3), oracle_median),
      .why =
          "The polynomial spaces are nested, so least squares on a larger space can only "
          "lower the training error; training error is an optimistically biased estimate of "
          "test error, and the bias (≈ 2σ²(d+1)/n, the optimism of ESL §7.4) grows with the "
          "capacity.",
      .mitigation = fmt::format(
          "5-fold cross-validation picks a median degree of {}, with median expected test error "
          "{} (oracle {}); its mean {} is spoiled by {}/{} sets where the CV choice still "
          "explodes between or beyond the samples, a reminder that CV estimates are noisy too.",
          cv_degree, cv_median, oracle_median, cv_mean, blowups, n_sets),
  };
}

// ---- 8. Double descent with random ReLU features ----------------------------------------------

// Test MSE (min-norm and ridge), training MSE, coefficient norms and σ_min(Φ) against the
// number of features p: geometric means over seeds (the spike spans decades), training MSE
// arithmetic.
struct DoubleDescent {
  Index n = 100, d = 10, test = 2000;
  double sigma = 0.5, ridge_lambda = 1.0;
  int seeds = 10;
  std::vector<double> p;
  VectorXd test_mse, ridge, train, norm, ridge_norm, sigma_min;
  Index at(double p_value) const {
    return static_cast<Index>(std::find(p.begin(), p.end(), p_value) - p.begin());
  }
};

DoubleDescent double_descent(const mlc::Rng& root, bool quick) {
  DoubleDescent D;
  D.test = quick ? 500 : 2000;
  D.seeds = quick ? 3 : 10;
  D.p = quick ? std::vector<double>{10, 25, 50, 75, 90, 100, 110, 150, 250, 500, 1000}
              : std::vector<double>{10,  20,  30,  40,  50,  60,  70,  80,  90,  95,  100,
                                    105, 110, 120, 140, 170, 200, 300, 500, 700, 1000};
  const Index P = static_cast<Index>(D.p.size());
  for (VectorXd* v : {&D.test_mse, &D.ridge, &D.train, &D.norm, &D.ridge_norm, &D.sigma_min}) {
    *v = VectorXd::Zero(P);
  }
  for (int s = 0; s < D.seeds; ++s) {
    mlc::Rng seed_rng = root.derive(4000 + static_cast<std::uint64_t>(s));  // one per seed
    const bv::Teacher teacher = bv::make_teacher(D.d, D.sigma, seed_rng);
    const bv::TeacherSample train = bv::sample_teacher(teacher, D.n, seed_rng);
    const bv::TeacherSample test = bv::sample_teacher(teacher, D.test, seed_rng);
    for (Index i = 0; i < P; ++i) {
      mlc::Rng feature_rng = seed_rng.derive(static_cast<std::uint64_t>(i));
      const auto r = bv::random_features_regression(
          train, test, static_cast<int>(D.p[static_cast<std::size_t>(i)]), D.ridge_lambda,
          feature_rng);
      D.test_mse(i) += std::log(r.test_mse) / D.seeds;
      D.ridge(i) += std::log(r.ridge_test_mse) / D.seeds;
      D.train(i) += r.train_mse / D.seeds;
      D.norm(i) += std::log(r.coefficient_norm) / D.seeds;
      D.ridge_norm(i) += std::log(r.ridge_coefficient_norm) / D.seeds;
      D.sigma_min(i) += std::log(r.sigma_min) / D.seeds;
    }
  }
  for (VectorXd* v : {&D.test_mse, &D.ridge, &D.norm, &D.ridge_norm, &D.sigma_min}) {
    *v = v->array().exp();
  }
  return D;
}

void double_descent_figures(mlc::Report& report, const DoubleDescent& D) {
  const VectorXd ratio = mlc::to_vector(D.p) / static_cast<double>(D.n);
  mlc::Figure fig("Double descent: random ReLU features, n = 100");
  fig.xlabel("p / n (features per training point)").ylabel("test MSE").logx().logy();
  fig.line_points(ratio, D.test_mse, "minimum-norm least squares", {.color = 0, .width = 2.2});
  fig.line_points(ratio, D.ridge, fmt::format("ridge, lambda = {}", D.ridge_lambda), {.color = 1});
  fig.hline(D.sigma * D.sigma, "sigma^2", {.color = 8, .dash = true});
  fig.vline(1.0, "interpolation threshold p = n", {.color = 3, .dash = true});
  report.figure(fig, "double_descent",
                "Test MSE against p/n (both axes logarithmic; geometric mean over seeds): the "
                "minimum-norm fit peaks at p = n and descends again; a small ridge penalty "
                "removes the peak.");
  mlc::Figure fig2("At the threshold: coefficient norm and smallest singular value");
  fig2.xlabel("p / n").ylabel("value").logx().logy().legend("bottom right");
  fig2.line_points(ratio, D.norm, "||a|| minimum-norm", {.color = 0});
  fig2.line_points(ratio, D.ridge_norm, "||a|| ridge", {.color = 1});
  fig2.line_points(ratio, D.sigma_min, "sigma_min(Phi)", {.color = 2});
  fig2.vline(1.0, "p = n", {.color = 3, .dash = true});
  report.figure(fig2, "threshold_norm",
                "The smallest singular value of the n × p feature matrix dips towards zero at "
                "p = n, and the norm of the minimum-norm solution ‖Σ⁺Uᵀy‖ spikes with it.");
}

void double_descent_section(mlc::Report& report, const DoubleDescent& D) {
  const Index i_half = D.at(D.n / 2), i_n = D.at(D.n), i_10n = D.at(10 * D.n);
  Index i_peak = 0, i_min_under = 0;
  D.test_mse.maxCoeff(&i_peak);
  D.test_mse.head(i_n).minCoeff(&i_min_under);
  const auto q = [&](const std::string& name, double v, int sig = 4) {
    return report.quote("double_descent." + name, v, sig);
  };
  report.metric("double_descent.train_mse", D.train);
  report.metric("double_descent.test_mse", D.test_mse);
  report.metric("double_descent.ridge_test_mse", D.ridge);
  report.metric("double_descent.coefficient_norm", D.norm);
  report.metric("double_descent.ridge_coefficient_norm", D.ridge_norm);
  report.metric("double_descent.sigma_min", D.sigma_min);
  report.metric("double_descent.p", D.p);
  report.metric("double_descent.peak_p", D.p[static_cast<std::size_t>(i_peak)]);
  report.metric("double_descent.best_underparameterized_p",
                D.p[static_cast<std::size_t>(i_min_under)]);
  std::vector<std::vector<std::string>> rows;
  for (Index i = 0; i < D.test_mse.size(); ++i) {
    const double p = D.p[static_cast<std::size_t>(i)];
    rows.push_back({mlc::num(p), mlc::num(p / static_cast<double>(D.n), 3), mlc::num(D.train(i)),
                    mlc::num(D.test_mse(i)), mlc::num(D.ridge(i)), mlc::num(D.norm(i), 3),
                    mlc::num(D.sigma_min(i), 3)});
  }
  const std::string ratio_half = q("peak_ratio_half", D.test_mse(i_n) / D.test_mse(i_half), 3);
  const std::string ratio_10n = q("peak_ratio_10n", D.test_mse(i_n) / D.test_mse(i_10n), 3);
  report.section("Double descent: random ReLU features, minimum-norm least squares");
  report.text(fmt::format(
      "Teacher y = βᵀx + ½((βᵀx)² − 1) + σε, x ~ N(0, I_{}), σ = {}, n = {} training and {} "
      "test points. Features φ_j(x) = max(0, w_jᵀx/√d) (9) with p random w_j; the fit is the "
      "minimum-norm least-squares solution (10) from the SVD, and ridge (11) with λ = {} for "
      "comparison. Geometric means over {} seeds (teacher, data and features redrawn). "
      "Test MSE at p = n/2: {}, at the interpolation threshold p = n: {}, at p = 10n: {}; "
      "the ratio of the peak to p = n/2 is {} and to p = 10n is {}. The minimum-norm solution "
      "fits the training set exactly for every p ≥ n (training MSE 0) and yet its test error "
      "falls again as p grows past n: among the many interpolators, the one of smallest norm "
      "gets smoother as p grows.",
      q("d", static_cast<double>(D.d)), q("sigma", D.sigma), q("n", static_cast<double>(D.n)),
      D.test, q("ridge_lambda", D.ridge_lambda), q("seeds", D.seeds), mlc::num(D.test_mse(i_half)),
      mlc::num(D.test_mse(i_n)), mlc::num(D.test_mse(i_10n)), ratio_half, ratio_10n));
  report.table(
      {"p", "p/n", "train MSE", "test MSE (min-norm)", "test MSE (ridge)", "‖a‖", "σ_min(Φ)"},
      rows);
  double_descent_figures(report, D);
  report.failure_mode({
      .name = "The interpolation threshold p = n",
      .trigger = fmt::format("Minimum-norm least squares on p random ReLU features with p = n = "
                             "{} training points (d = {}, σ = {}).",
                             D.n, D.d, D.sigma),
      .symptom = fmt::format(
          "Test MSE {} at p = n against {} at p = n/2 ({}×) and {} at p = 10n ({}×); the "
          "coefficient norm is {} at p = n against {} at p = n/2; σ_min(Φ) falls to {} "
          "(from {} at p = n/2).",
          mlc::num(D.test_mse(i_n)), mlc::num(D.test_mse(i_half)), ratio_half,
          mlc::num(D.test_mse(i_10n)), ratio_10n, mlc::num(D.norm(i_n), 3),
          mlc::num(D.norm(i_half), 3), mlc::num(D.sigma_min(i_n), 3),
          mlc::num(D.sigma_min(i_half), 3)),
      .why = "At p = n the square feature matrix must fit every training target, noise included, "
             "exactly; a random square matrix has a smallest singular value of order 1/√n times "
             "its scale, and the solution Σ⁻¹Uᵀy divides the noise by it. Below n the fit "
             "averages; above n the extra directions let the minimum-norm interpolator spread "
             "the same fit over many small coefficients.",
      .mitigation = fmt::format(
          "Ridge with λ = {}: test MSE at p = n is {} (ratio to p = n/2: {}), and the curve has "
          "no peak. Alternatives: move away from p = n (p ≫ n with the minimum-norm solution "
          "gives {}), or truncate small singular values.",
          mlc::num(D.ridge_lambda), mlc::num(D.ridge(i_n)),
          q("ridge_ratio_half", D.ridge(i_n) / D.ridge(i_half), 3), mlc::num(D.test_mse(i_10n))),
  });
  fmt::print("double descent: test MSE p = n/2 {:.3f}, p = n {:.4g}, p = 10n {:.3f}\n",
             D.test_mse(i_half), D.test_mse(i_n), D.test_mse(i_10n));
}

// ---- The program ------------------------------------------------------------------------------

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  bv::RegressionProblem problem;
  problem.sigma = 0.3;
  problem.n = 30;
  problem.x_test = bv::uniform_grid(opt.quick ? 60 : 200);
  const int repeats = opt.quick ? 60 : 2000;  // training sets per model

  setup_section(report, problem, repeats);
  conditioning_section(report, problem.n, root.derive(1000));
  const mlc::Rng sets = root.derive(1);  // the R training sets shared by every model
  const auto poly = polynomial_section(report, problem, repeats, sets);
  const auto knn = knn_section(report, problem, repeats, sets);
  identity_section(report, problem, repeats, poly, knn);
  learning_curves_section(report, problem, root, opt.quick);
  mlc::Timer timer;
  const Selection selection = select_degrees(problem, root, opt.quick ? 20 : 200);
  report.timing("model_selection_seconds", timer.seconds());
  const mlc::FailureMode selection_failure = selection_section(report, problem, selection);
  timer.reset();
  const DoubleDescent dd = double_descent(root, opt.quick);
  report.timing("double_descent_seconds", timer.seconds());
  double_descent_section(report, dd);  // with its failure mode, the first of the report
  report.failure_mode(selection_failure);
  report.headline({"poly.best_test_error", "double_descent.peak_ratio_half"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
