// 2.3 bias_variance: bias², variance and noise measured by repeated sampling of training sets
// for polynomial (Legendre basis, QR) and k-NN regression of f(x) = sin 2πx with Gaussian
// noise; the decomposition E[(y − ŷ)²] = bias² + variance + σ² checked against the measured
// test error within Monte-Carlo error; learning curves; training error as a model-selection
// criterion against 5-fold cross-validation; double descent of minimum-norm random ReLU
// features regression at the interpolation threshold p = n, and the ridge penalty that
// removes the peak. Follows Geman, Bienenstock & Doursat (1992), ESL §7.3, Belkin et al.
// (2019) and Mei & Montanari (2022).
// Run: ./learn run bias_variance [--quick] [--seed N] [--out DIR].
// Equations (n) refer to NOTES.md.
#include <algorithm>
#include <cmath>
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
#include "mlc/stats.hpp"
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

std::string sci(double v) {
  return fmt::format("{:.3g}", v);
}

// A row of a decomposition table.
std::vector<std::string> decomposition_row(const std::string& model, const bv::Decomposition& d) {
  return {model,
          mlc::num(d.bias2),
          mlc::num(d.variance),
          mlc::num(d.noise),
          mlc::num(d.sum()),
          mlc::mean_sd(d.expected_test_error, d.test_error_se),
          mlc::num(d.train_error),
          fmt::format("{:+.2f}", d.z_score()),
          fmt::format("{:+.2f}", d.cross_z_score())};
}

void decomposition_metrics(mlc::Report& report, const std::string& prefix,
                           const std::vector<bv::Decomposition>& ds) {
  std::vector<double> b, v, s, e, se, t, z, zc;
  for (const auto& d : ds) {
    b.push_back(d.bias2);
    v.push_back(d.variance);
    s.push_back(d.sum());
    e.push_back(d.expected_test_error);
    se.push_back(d.test_error_se);
    t.push_back(d.train_error);
    z.push_back(d.z_score());
    zc.push_back(d.cross_z_score());
  }
  report.metric(prefix + ".z_realised_noise", zc);
  report.metric(prefix + ".bias2", b);
  report.metric(prefix + ".variance", v);
  report.metric(prefix + ".sum", s);
  report.metric(prefix + ".expected_test_error", e);
  report.metric(prefix + ".expected_test_error_se", se);
  report.metric(prefix + ".train_error", t);
  report.metric(prefix + ".z", z);
}

mlc::Figure decomposition_figure(const std::string& title, const std::string& xlabel,
                                 const VectorXd& x, const std::vector<bv::Decomposition>& ds) {
  const Index m = static_cast<Index>(ds.size());
  VectorXd b(m), v(m), s(m), e(m), t(m);
  for (Index i = 0; i < m; ++i) {
    const auto& d = ds[static_cast<std::size_t>(i)];
    b(i) = d.bias2;
    v(i) = d.variance;
    s(i) = d.sum();
    e(i) = d.expected_test_error;
    t(i) = d.train_error;
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

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  mlc::Rng rng(opt.seed);
  mlc::Timer total;

  // ---- Setup -------------------------------------------------------------------------------
  const double sigma = 0.3;
  const Index n = 30;
  const int repeats = opt.quick ? 60 : 2000;  // training sets per model
  const Index m = opt.quick ? 60 : 200;       // test grid
  bv::RegressionProblem problem;
  problem.sigma = sigma;
  problem.n = n;
  problem.x_test = bv::uniform_grid(m);
  fmt::print(
      "f(x) = sin(2 pi x) on [0, 1], noise sigma = {}, n = {} training points, "
      "R = {} training sets, {} test inputs (seed {})\n",
      sigma, n, repeats, m, opt.seed);
  report.section("Setup");
  report.text(fmt::format(
      "Regression function f(x) = sin(2πx) on [0, 1], training inputs x ~ U[0, 1], targets "
      "y = f(x) + σε with σ = {} (noise σ² = {}), n = {} training points. Every model is "
      "fitted on the same R = {} independent training sets (common random numbers); bias² and "
      "variance (3), (4) are averaged over a grid of {} test inputs (midpoints of [0, 1]), "
      "and the expected test error is measured with fresh noisy targets at those inputs.",
      sigma, mlc::num(sigma * sigma), n, repeats, m));
  report.metric("setup.sigma", sigma);
  report.metric("setup.n", static_cast<double>(n));
  report.metric("setup.repeats", repeats);
  report.metric("setup.test_points", static_cast<double>(m));

  // ---- Conditioning of the polynomial basis -------------------------------------------------
  {
    const VectorXd x = rng.derive(1000).uniform_vector(n);
    std::vector<std::vector<std::string>> rows;
    std::vector<double> cl, cm;
    for (int deg : {5, 10, 15, 20}) {
      auto cond = [](const Eigen::MatrixXd& A) {
        const Eigen::BDCSVD<Eigen::MatrixXd> svd(A);
        const VectorXd s = svd.singularValues();
        return s(0) / s(s.size() - 1);
      };
      const double c_leg = cond(bv::legendre_design(x, deg));
      const double c_mon = cond(bv::monomial_design(x, deg));
      cl.push_back(c_leg);
      cm.push_back(c_mon);
      rows.push_back({std::to_string(deg), sci(c_leg), sci(c_mon)});
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
    fmt::print("condition number at degree 15: Legendre {}, monomial {}\n", sci(cl[2]), sci(cm[2]));
  }

  // ---- Polynomial regression: bias–variance against the degree ------------------------------
  mlc::Timer timer;
  const mlc::Rng sets = rng.derive(1);  // the R training sets shared by every model
  const int max_degree = 14;
  std::vector<bv::Decomposition> poly;
  std::vector<std::vector<std::string>> poly_rows;
  for (int deg = 0; deg <= max_degree; ++deg) {
    poly.push_back(
        bv::bias_variance_decomposition(bv::polynomial_learner(deg), problem, repeats, sets));
    poly_rows.push_back(decomposition_row(std::to_string(deg), poly.back()));
  }
  report.timing("polynomial_decomposition_seconds", timer.seconds());
  Index best_poly = 0;
  VectorXd poly_err(max_degree + 1);
  for (int deg = 0; deg <= max_degree; ++deg)
    poly_err(deg) = poly[static_cast<std::size_t>(deg)].expected_test_error;
  poly_err.minCoeff(&best_poly);
  fmt::print(
      "polynomial: best degree {} (test error {:.4f}); degree 0 bias^2 {:.4f}; degree {} "
      "variance {:.4g}\n",
      best_poly, poly_err(best_poly), poly[0].bias2, max_degree, poly.back().variance);
  report.section("Polynomial regression: the U-shaped test error");
  report.text(fmt::format(
      "Least-squares polynomials of degree 0..{} in the Legendre basis. Bias² falls with the "
      "degree until the polynomial can follow one period of the sine (degree ≥ 5 or so), "
      "variance rises, sharply as d + 1 approaches n = {} (the fit then nearly interpolates "
      "noise and oscillates between the sample points and beyond the outermost ones). The "
      "measured test error is minimal at degree {} ({}). The z column is (measured − sum)/s.e., "
      "with the s.e. (5) from the R independent training sets: the identity (1) holds when "
      "|z| is of order one.",
      max_degree, n, best_poly, mlc::num(poly_err(best_poly))));
  report.table({"degree", "bias²", "variance", "σ²", "sum (1)", "measured E ± s.e.", "train MSE",
                "z", "z (realised noise)"},
               poly_rows);
  report.metric("poly.degrees", mlc::to_vector([] {
                  std::vector<double> d;
                  for (int i = 0; i <= 14; ++i) d.push_back(i);
                  return d;
                }()));
  decomposition_metrics(report, "poly", poly);
  report.metric("poly.best_degree", static_cast<double>(best_poly));
  report.metric("poly.best_test_error", poly_err(best_poly));
  {
    mlc::Figure fig =
        decomposition_figure("Polynomial regression of sin(2 pi x), n = 30", "polynomial degree",
                             VectorXd::LinSpaced(max_degree + 1, 0, max_degree), poly);
    fig.yrange(1e-3, 1e3);
    report.figure(fig, "bias_variance_polynomial",
                  "Bias², variance, their sum with σ² and the measured test error against the "
                  "degree (log scale, clipped at 10³: degree 14 reaches 10⁶). Training error falls "
                  "monotonically. Bias² estimates that are below zero (degree ≥ 6, where the true "
                  "bias² is far below its Monte-Carlo error) are not drawn.");
  }

  // ---- k-NN regression: bias–variance against 1/k -------------------------------------------
  timer.reset();
  const std::vector<int> ks = {30, 25, 20, 15, 12, 10, 8, 6, 5, 4, 3, 2, 1};
  std::vector<bv::Decomposition> knn;
  std::vector<std::vector<std::string>> knn_rows;
  std::vector<double> inv_k, ks_d;
  for (int k : ks) {
    knn.push_back(bv::bias_variance_decomposition(bv::knn_learner(k), problem, repeats, sets));
    knn_rows.push_back(decomposition_row(std::to_string(k), knn.back()));
    inv_k.push_back(1.0 / k);
    ks_d.push_back(k);
  }
  report.timing("knn_decomposition_seconds", timer.seconds());
  std::size_t best_knn = 0;
  for (std::size_t i = 0; i < knn.size(); ++i) {
    if (knn[i].expected_test_error < knn[best_knn].expected_test_error) best_knn = i;
  }
  // k = n predicts the training mean: variance (Var f(X) + σ²)/n = (1/2 + σ²)/n in the random
  // design (Var sin 2πU = 1/2), bias² = mean over the grid of f² (E f(X) = 0).
  const double knn_n_variance_theory = (0.5 + sigma * sigma) / static_cast<double>(n);
  const double knn_n_bias2_theory = problem.x_test.unaryExpr(&bv::sine_target).squaredNorm() / m;
  fmt::print(
      "k-NN: best k = {} (test error {:.4f}); k = n: variance {:.5f} (theory {:.5f}), "
      "bias^2 {:.4f} (theory {:.4f})\n",
      ks[best_knn], knn[best_knn].expected_test_error, knn[0].variance, knn_n_variance_theory,
      knn[0].bias2, knn_n_bias2_theory);
  report.section("k-NN regression: the same U against 1/k");
  report.text(fmt::format(
      "k-NN regression (8), capacity 1/k (the effective number of parameters is about n/k). "
      "k = 1 interpolates the training set (training error 0, variance ≈ σ² plus the "
      "variance of the nearest input's f); k = n = {} predicts the training mean. The best k is "
      "{} (test error {}). Closed form for k = n: variance (Var f(X) + σ²)/n = {} (measured {}), "
      "bias² = mean of f² over the grid = {} (measured {}).",
      n, ks[best_knn], mlc::num(knn[best_knn].expected_test_error), mlc::num(knn_n_variance_theory),
      mlc::num(knn[0].variance), mlc::num(knn_n_bias2_theory), mlc::num(knn[0].bias2)));
  report.table({"k", "bias²", "variance", "σ²", "sum (1)", "measured E ± s.e.", "train MSE", "z",
                "z (realised noise)"},
               knn_rows);
  report.metric("knn.k", ks_d);
  decomposition_metrics(report, "knn", knn);
  report.metric("knn.best_k", ks[best_knn]);
  report.metric("knn.best_test_error", knn[best_knn].expected_test_error);
  report.metric("knn.k_equals_n.variance_theory", knn_n_variance_theory);
  report.metric("knn.k_equals_n.bias2_theory", knn_n_bias2_theory);
  {
    mlc::Figure fig = decomposition_figure("k-NN regression of sin(2 pi x), n = 30", "1/k",
                                           mlc::to_vector(inv_k), knn);
    fig.logx().legend("bottom left");
    report.figure(fig, "bias_variance_knn",
                  "Bias², variance, their sum with σ² and the measured test error against the "
                  "capacity 1/k (both axes logarithmic).");
  }

  // The identity (1) over every model. All models share the training sets and the test noise
  // (common random numbers), so their z against σ² move together with the realised noise;
  // against the realised noise only the cross term is left, nearly independent across models.
  double max_abs_z = 0.0, max_abs_cross_z = 0.0;
  for (const auto* list : {&poly, &knn}) {
    for (const auto& d : *list) {
      max_abs_z = std::max(max_abs_z, std::abs(d.z_score()));
      max_abs_cross_z = std::max(max_abs_cross_z, std::abs(d.cross_z_score()));
    }
  }
  const int models = static_cast<int>(poly.size() + knn.size());
  const double noise_measured = poly.front().noise_measured;
  const double noise_se = sigma * sigma * std::sqrt(2.0 / (static_cast<double>(repeats) * m));
  report.section("The decomposition checked");
  report.text(fmt::format(
      "Each z is (measured − predicted)/s.e. with the Monte-Carlo standard error (5) from the R "
      "independent training sets. Against σ² = {} the largest |z| over the {} models is {}; "
      "the z share a sign because every model sees the same test noise, whose realised mean "
      "square is {} (σ² ± s.e. {}: z = {}). With the realised noise in place of σ² only the "
      "cross term 2(y⁰ − f)(f − ŷ) remains (still partly shared between models with similar "
      "predictions) and the largest |z| is {}: the identity (1) holds within Monte-Carlo error "
      "for every model, from bias-dominated to variance-dominated.",
      mlc::num(sigma * sigma), models, mlc::num(max_abs_z, 3), mlc::num(noise_measured),
      mlc::num(noise_se, 2), mlc::num((noise_measured - sigma * sigma) / noise_se, 3),
      mlc::num(max_abs_cross_z, 3)));
  report.metric("decomposition.max_abs_z", max_abs_z);
  report.metric("decomposition.max_abs_z_realised_noise", max_abs_cross_z);
  report.metric("decomposition.noise_measured", noise_measured);
  report.metric("decomposition.noise_se", noise_se);
  report.metric("decomposition.models", models);
  fmt::print(
      "decomposition identity: max |z| = {:.2f} (realised noise {:.5f} vs sigma^2 {:.2f}); "
      "with realised noise max |z| = {:.2f}, over {} models\n",
      max_abs_z, noise_measured, sigma * sigma, max_abs_cross_z, models);

  // ---- Learning curves ---------------------------------------------------------------------
  timer.reset();
  const std::vector<int> ns = {12, 15, 20, 30, 45, 60, 90, 130, 200, 300};
  const int lc_repeats = opt.quick ? 20 : 200;
  mlc::Figure lc_fig("Learning curves: polynomial fits of sin(2 pi x)");
  lc_fig.xlabel("training set size n")
      .ylabel("mean squared error")
      .logx()
      .logy()
      .yrange(0.01, 10.0);
  std::vector<std::vector<std::string>> lc_rows;
  int color = 0;
  for (int deg : {3, 7}) {
    VectorXd train(static_cast<Index>(ns.size())), test(train.size());
    for (std::size_t i = 0; i < ns.size(); ++i) {
      bv::RegressionProblem p = problem;
      p.n = ns[i];
      const auto d =
          bv::bias_variance_decomposition(bv::polynomial_learner(deg), p, lc_repeats,
                                          rng.derive(2000 + static_cast<std::uint64_t>(i)));
      train(static_cast<Index>(i)) = d.train_error;
      test(static_cast<Index>(i)) = d.expected_test_error;
    }
    for (std::size_t i = 0; i < ns.size(); ++i) {
      lc_rows.push_back({std::to_string(deg), std::to_string(ns[i]),
                         mlc::num(train(static_cast<Index>(i))),
                         mlc::num(test(static_cast<Index>(i)))});
    }
    report.metric(fmt::format("learning_curve.degree_{}.train_error", deg), train);
    report.metric(fmt::format("learning_curve.degree_{}.test_error", deg), test);
    std::vector<double> nsd(ns.begin(), ns.end());
    lc_fig.line_points(nsd, test, fmt::format("degree {}: test", deg), {.color = color});
    lc_fig.line_points(nsd, train, fmt::format("degree {}: train", deg),
                       {.color = color, .dash = true});
    color += 1;
    fmt::print(
        "learning curve degree {}: n = 12 train {:.4f} test {:.4g}; n = 300 train {:.4f} "
        "test {:.4f}\n",
        deg, train(0), test(0), train(train.size() - 1), test(test.size() - 1));
  }
  lc_fig.hline(sigma * sigma, "sigma^2", {.color = 8, .dash = true});
  report.timing("learning_curves_seconds", timer.seconds());
  report.metric("learning_curve.n", std::vector<double>(ns.begin(), ns.end()));
  report.metric("learning_curve.repeats", lc_repeats);
  report.section("Learning curves");
  report.text(fmt::format(
      "Training and test error against n (mean over {} training sets per n). Both converge to "
      "σ² + bias² of the model class from opposite sides: training error rises (the fit can no "
      "longer absorb the noise, E train ≈ σ²(1 − (d+1)/n) for a correct model), test error "
      "falls (variance ≈ σ²(d+1)/n). Degree 3 cannot represent the sine, so its curves meet "
      "above σ²; degree 7 has negligible bias but needs far more data before its variance "
      "is small (at n = 12 its 8 coefficients nearly interpolate the noise).",
      lc_repeats));
  report.table({"degree", "n", "train MSE", "test MSE"}, lc_rows);
  report.figure(lc_fig, "learning_curves",
                "Training (dashed) and test (solid) error against the training set size for "
                "degree 3 and degree 7 (log scales; the degree-7 test error above 10 at the "
                "smallest n is clipped, see the table); the dashed grey line is σ².");

  // ---- Failure mode: training error as a model-selection criterion ---------------------------
  timer.reset();
  const int selection_sets = opt.quick ? 20 : 200;
  std::vector<int> degrees;
  for (int d = 0; d <= max_degree; ++d) degrees.push_back(d);
  int train_picks_max = 0, monotone = 0;
  double err_train_sel = 0, err_cv_sel = 0, err_oracle = 0, r2_train_sel = 0, r2_cv_sel = 0;
  std::vector<double> cv_degrees, per_set_train, per_set_cv, per_set_oracle;
  int cv_blowups = 0;  // sets where the CV choice is > 10× worse than the best degree
  const VectorXd f_grid = problem.x_test.unaryExpr(problem.f);
  bv::DegreeSelection example;
  VectorXd example_x, example_y;
  for (int s = 0; s < selection_sets; ++s) {
    mlc::Rng draw = rng.derive(3000 + static_cast<std::uint64_t>(s));
    const VectorXd x = draw.uniform_vector(n);
    const VectorXd y = x.unaryExpr(problem.f) + sigma * draw.normal_vector(n);
    const auto sel = bv::select_polynomial_degree(x, y, degrees, 5, draw);
    // a fresh noisy test set of 1000 points for R² (model_evaluation::r_squared)
    const VectorXd xt = draw.uniform_vector(1000);
    const VectorXd yt = xt.unaryExpr(problem.f) + sigma * draw.normal_vector(1000);
    if (s == 0) {
      example = sel;
      example_x = x;
      example_y = y;
    }
    train_picks_max += sel.by_train == max_degree ? 1 : 0;
    bool mono = true;
    for (Index j = 1; j < sel.train_mse.size(); ++j) {
      mono = mono && sel.train_mse(j) <= sel.train_mse(j - 1) * (1.0 + 1e-12);
    }
    monotone += mono ? 1 : 0;
    // expected test error of a fit = mean over the grid of (f − ŷ)² + σ²
    auto expected_error = [&](int deg) {
      return me::mean_squared_error(f_grid, bv::fit_polynomial(x, y, deg).predict(problem.x_test)) +
             sigma * sigma;
    };
    double oracle = 1e300;
    for (int deg : degrees) oracle = std::min(oracle, expected_error(deg));
    const double e_train = expected_error(sel.by_train), e_cv = expected_error(sel.by_cv);
    err_train_sel += e_train;
    err_cv_sel += e_cv;
    err_oracle += oracle;
    per_set_train.push_back(e_train);
    per_set_cv.push_back(e_cv);
    per_set_oracle.push_back(oracle);
    cv_blowups += e_cv > 10.0 * oracle ? 1 : 0;
    r2_train_sel += me::r_squared(yt, bv::fit_polynomial(x, y, sel.by_train).predict(xt));
    r2_cv_sel += me::r_squared(yt, bv::fit_polynomial(x, y, sel.by_cv).predict(xt));
    cv_degrees.push_back(sel.by_cv);
  }
  report.timing("model_selection_seconds", timer.seconds());
  const double S = selection_sets;
  err_train_sel /= S;
  err_cv_sel /= S;
  err_oracle /= S;
  r2_train_sel /= S;
  r2_cv_sel /= S;
  std::vector<double> sorted_cv = cv_degrees;
  std::sort(sorted_cv.begin(), sorted_cv.end());
  const double median_cv_degree = sorted_cv[sorted_cv.size() / 2];
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t h = v.size() / 2;
    return v.size() % 2 == 1 ? v[h] : 0.5 * (v[h - 1] + v[h]);
  };
  const double med_train_sel = median(per_set_train), med_cv_sel = median(per_set_cv),
               med_oracle = median(per_set_oracle);
  fmt::print(
      "model selection over {} sets: train error picks degree {} in {}/{}; CV median "
      "degree {}; expected test error train-selected {:.4g} vs CV-selected {:.4f} "
      "(oracle {:.4f}) in the mean; medians {:.4g} vs {:.4f}\n",
      selection_sets, max_degree, train_picks_max, selection_sets, median_cv_degree, err_train_sel,
      err_cv_sel, err_oracle, med_train_sel, med_cv_sel);
  report.metric("selection.sets", selection_sets);
  report.metric("selection.train_picks_max_degree_fraction", train_picks_max / S);
  report.metric("selection.train_error_monotone_fraction", monotone / S);
  report.metric("selection.cv_median_degree", median_cv_degree);
  report.metric("selection.train_selected.expected_test_error", err_train_sel);
  report.metric("selection.cv_selected.expected_test_error", err_cv_sel);
  report.metric("selection.oracle.expected_test_error", err_oracle);
  report.metric("selection.train_selected.median_test_error", med_train_sel);
  report.metric("selection.cv_selected.median_test_error", med_cv_sel);
  report.metric("selection.oracle.median_test_error", med_oracle);
  report.metric("selection.cv_blowups", cv_blowups);
  report.metric("selection.train_selected.test_r2", r2_train_sel);
  report.metric("selection.cv_selected.test_r2", r2_cv_sel);
  report.metric("selection.example.train_mse", example.train_mse);
  report.metric("selection.example.cv_mse", example.cv_mse);
  {
    const VectorXd grid = VectorXd::LinSpaced(400, 0.0, 1.0);
    mlc::Figure fig("One training set (n = 30) and three polynomial fits");
    fig.xlabel("x").ylabel("y").yrange(-2.0, 2.0).legend("bottom left");
    fig.points(example_x, example_y, "training data", {.color = 8, .point_size = 0.8});
    fig.line(grid, grid.unaryExpr(problem.f), "f(x) = sin(2 pi x)", {.color = 0, .width = 2.4});
    int c = 1;
    for (int deg : {1, example.by_cv, max_degree}) {
      fig.line(
          grid, bv::fit_polynomial(example_x, example_y, deg).predict(grid),
          fmt::format("degree {}{}", deg,
                      deg == example.by_cv ? " (chosen by CV)"
                                           : (deg == max_degree ? " (chosen by train error)" : "")),
          {.color = c++});
    }
    report.section("Model selection: training error against cross-validation");
    report.text(fmt::format(
        "On each of {} training sets (n = {}), the degree 0..{} is chosen by training MSE and by "
        "5-fold cross-validated MSE; each choice is then scored by its expected test error "
        "(mean over the grid of (f − ŷ)² plus σ²) and by R² on 1000 fresh noisy test points "
        "(model_evaluation::r_squared).",
        selection_sets, n, max_degree));
    report.table(
        {"criterion", "selected degree", "median expected test error", "mean expected test error",
         "mean test R²"},
        {{"training MSE",
          fmt::format("{} in {}/{} sets", max_degree, train_picks_max, selection_sets),
          mlc::num(med_train_sel), mlc::num(err_train_sel), mlc::num(r2_train_sel)},
         {"5-fold CV", fmt::format("median {}", median_cv_degree), mlc::num(med_cv_sel),
          mlc::num(err_cv_sel), mlc::num(r2_cv_sel)},
         {"oracle (best degree per set)", "—", mlc::num(med_oracle), mlc::num(err_oracle), "—"}});
    report.text(fmt::format(
        "The means are heavy-tailed: a high-degree fit on n = 30 random inputs can explode in a "
        "gap between samples or beyond the outermost one. Cross-validation is not immune: on "
        "{} of {} sets its choice was more than 10× worse than the best degree (the held-out "
        "folds happened not to probe where the full-data fit explodes), which drags its mean; "
        "the medians show the typical case.",
        cv_blowups, selection_sets));
    report.figure(fig, "polynomial_fits",
                  "One training set with the true function and the fits of degree 1 "
                  "(underfit), the CV choice, and degree 14 (the training-error choice).");
  }

  // ---- Double descent with random ReLU features ----------------------------------------------
  timer.reset();
  const Index dd_n = 100, dd_d = 10, dd_test = opt.quick ? 500 : 2000;
  const double dd_sigma = 0.5, ridge_lambda = 1.0;
  const int dd_seeds = opt.quick ? 3 : 10;
  const std::vector<int> ps =
      opt.quick ? std::vector<int>{10, 25, 50, 75, 90, 100, 110, 150, 250, 500, 1000}
                : std::vector<int>{10,  20,  30,  40,  50,  60,  70,  80,  90,  95,  100,
                                   105, 110, 120, 140, 170, 200, 300, 500, 700, 1000};
  const Index P = static_cast<Index>(ps.size());
  VectorXd dd_test_mse = VectorXd::Zero(P), dd_ridge = VectorXd::Zero(P),
           dd_train = VectorXd::Zero(P), dd_norm = VectorXd::Zero(P),
           dd_ridge_norm = VectorXd::Zero(P), dd_sigma_min = VectorXd::Zero(P);
  for (int s = 0; s < dd_seeds; ++s) {
    mlc::Rng seed_rng = rng.derive(4000 + static_cast<std::uint64_t>(s));
    const bv::Teacher teacher = bv::make_teacher(dd_d, dd_sigma, seed_rng);
    const bv::TeacherSample train = bv::sample_teacher(teacher, dd_n, seed_rng);
    const bv::TeacherSample test = bv::sample_teacher(teacher, dd_test, seed_rng);
    for (Index i = 0; i < P; ++i) {
      mlc::Rng feature_rng = seed_rng.derive(static_cast<std::uint64_t>(i));
      const auto r = bv::random_features_regression(train, test, ps[static_cast<std::size_t>(i)],
                                                    ridge_lambda, feature_rng);
      // log-means over seeds for the error and the norm (the spike spans decades)
      dd_test_mse(i) += std::log(r.test_mse) / dd_seeds;
      dd_ridge(i) += std::log(r.ridge_test_mse) / dd_seeds;
      dd_train(i) += r.train_mse / dd_seeds;
      dd_norm(i) += std::log(r.coefficient_norm) / dd_seeds;
      dd_ridge_norm(i) += std::log(r.ridge_coefficient_norm) / dd_seeds;
      dd_sigma_min(i) += std::log(r.sigma_min) / dd_seeds;
    }
  }
  dd_test_mse = dd_test_mse.array().exp();
  dd_ridge = dd_ridge.array().exp();
  dd_norm = dd_norm.array().exp();
  dd_ridge_norm = dd_ridge_norm.array().exp();
  dd_sigma_min = dd_sigma_min.array().exp();
  report.timing("double_descent_seconds", timer.seconds());
  auto at = [&](int p) {
    const auto it = std::find(ps.begin(), ps.end(), p);
    return static_cast<Index>(it - ps.begin());
  };
  const Index i_half = at(static_cast<int>(dd_n / 2)), i_n = at(static_cast<int>(dd_n)),
              i_10n = at(static_cast<int>(10 * dd_n));
  const double ratio_half = dd_test_mse(i_n) / dd_test_mse(i_half);
  const double ratio_10n = dd_test_mse(i_n) / dd_test_mse(i_10n);
  const double ridge_ratio_half = dd_ridge(i_n) / dd_ridge(i_half);
  Index i_peak = 0;
  dd_test_mse.maxCoeff(&i_peak);
  Index i_min_under = 0;
  dd_test_mse.head(i_n).minCoeff(&i_min_under);
  fmt::print(
      "double descent (n = {}, d = {}, {} seeds): test MSE p = n/2 {:.3f}, p = n {:.4g}, "
      "p = 10n {:.3f}; peak at p = {}; ratio n vs n/2 {:.1f}, n vs 10n {:.1f}; sigma_min at "
      "p = n {:.3g}; ridge at p = n {:.3f}\n",
      dd_n, dd_d, dd_seeds, dd_test_mse(i_half), dd_test_mse(i_n), dd_test_mse(i_10n),
      ps[static_cast<std::size_t>(i_peak)], ratio_half, ratio_10n, dd_sigma_min(i_n),
      dd_ridge(i_n));
  std::vector<std::vector<std::string>> dd_rows;
  for (Index i = 0; i < P; ++i) {
    dd_rows.push_back({std::to_string(ps[static_cast<std::size_t>(i)]),
                       mlc::num(static_cast<double>(ps[static_cast<std::size_t>(i)]) / dd_n, 3),
                       mlc::num(dd_train(i)), mlc::num(dd_test_mse(i)), mlc::num(dd_ridge(i)),
                       sci(dd_norm(i)), sci(dd_sigma_min(i))});
  }
  std::vector<double> ps_d(ps.begin(), ps.end());
  report.metric("double_descent.n", static_cast<double>(dd_n));
  report.metric("double_descent.d", static_cast<double>(dd_d));
  report.metric("double_descent.sigma", dd_sigma);
  report.metric("double_descent.ridge_lambda", ridge_lambda);
  report.metric("double_descent.seeds", dd_seeds);
  report.metric("double_descent.p", ps_d);
  report.metric("double_descent.train_mse", dd_train);
  report.metric("double_descent.test_mse", dd_test_mse);
  report.metric("double_descent.ridge_test_mse", dd_ridge);
  report.metric("double_descent.coefficient_norm", dd_norm);
  report.metric("double_descent.ridge_coefficient_norm", dd_ridge_norm);
  report.metric("double_descent.sigma_min", dd_sigma_min);
  report.metric("double_descent.peak_p", ps[static_cast<std::size_t>(i_peak)]);
  report.metric("double_descent.peak_ratio_half", ratio_half);
  report.metric("double_descent.peak_ratio_10n", ratio_10n);
  report.metric("double_descent.ridge_ratio_half", ridge_ratio_half);
  report.metric("double_descent.best_underparameterized_p",
                ps[static_cast<std::size_t>(i_min_under)]);
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
      dd_d, dd_sigma, dd_n, dd_test, mlc::num(ridge_lambda), dd_seeds,
      mlc::num(dd_test_mse(i_half)), mlc::num(dd_test_mse(i_n)), mlc::num(dd_test_mse(i_10n)),
      mlc::num(ratio_half, 3), mlc::num(ratio_10n, 3)));
  report.table(
      {"p", "p/n", "train MSE", "test MSE (min-norm)", "test MSE (ridge)", "‖a‖", "σ_min(Φ)"},
      dd_rows);
  {
    const VectorXd ratio = mlc::to_vector(ps_d) / static_cast<double>(dd_n);
    mlc::Figure fig("Double descent: random ReLU features, n = 100");
    fig.xlabel("p / n (features per training point)").ylabel("test MSE").logx().logy();
    fig.line_points(ratio, dd_test_mse, "minimum-norm least squares", {.color = 0, .width = 2.2});
    fig.line_points(ratio, dd_ridge, fmt::format("ridge, lambda = {}", ridge_lambda), {.color = 1});
    fig.hline(dd_sigma * dd_sigma, "sigma^2", {.color = 8, .dash = true});
    fig.vline(1.0, "interpolation threshold p = n", {.color = 3, .dash = true});
    report.figure(fig, "double_descent",
                  "Test MSE against p/n (both axes logarithmic; geometric mean over seeds): the "
                  "minimum-norm fit peaks at p = n and descends again; a small ridge penalty "
                  "removes the peak.");
    mlc::Figure fig2("At the threshold: coefficient norm and smallest singular value");
    fig2.xlabel("p / n").ylabel("value").logx().logy().legend("bottom right");
    fig2.line_points(ratio, dd_norm, "||a|| minimum-norm", {.color = 0});
    fig2.line_points(ratio, dd_ridge_norm, "||a|| ridge", {.color = 1});
    fig2.line_points(ratio, dd_sigma_min, "sigma_min(Phi)", {.color = 2});
    fig2.vline(1.0, "p = n", {.color = 3, .dash = true});
    report.figure(fig2, "threshold_norm",
                  "The smallest singular value of the n × p feature matrix dips towards zero at "
                  "p = n, and the norm of the minimum-norm solution ‖Σ⁺Uᵀy‖ spikes with it.");
  }

  // ---- Failure modes -----------------------------------------------------------------------
  report.failure_mode({
      .name = "The interpolation threshold p = n",
      .trigger = fmt::format("Minimum-norm least squares on p random ReLU features with p = n = "
                             "{} training points (d = {}, σ = {}).",
                             dd_n, dd_d, dd_sigma),
      .symptom = fmt::format(
          "Test MSE {} at p = n against {} at p = n/2 ({}×) and {} at p = 10n ({}×); the "
          "coefficient norm is {} at p = n against {} at p = n/2; σ_min(Φ) falls to {} "
          "(from {} at p = n/2).",
          mlc::num(dd_test_mse(i_n)), mlc::num(dd_test_mse(i_half)), mlc::num(ratio_half, 3),
          mlc::num(dd_test_mse(i_10n)), mlc::num(ratio_10n, 3), sci(dd_norm(i_n)),
          sci(dd_norm(i_half)), sci(dd_sigma_min(i_n)), sci(dd_sigma_min(i_half))),
      .why = "At p = n the square feature matrix must fit every training target, noise included, "
             "exactly; a random square matrix has a smallest singular value of order 1/√n times "
             "its scale, and the solution Σ⁻¹Uᵀy divides the noise by it. Below n the fit "
             "averages; above n the extra directions let the minimum-norm interpolator spread "
             "the same fit over many small coefficients.",
      .mitigation = fmt::format(
          "Ridge with λ = {}: test MSE at p = n is {} (ratio to p = n/2: {}), and the curve has "
          "no peak. Alternatives: move away from p = n (p ≫ n with the minimum-norm solution "
          "gives {}), or truncate small singular values.",
          mlc::num(ridge_lambda), mlc::num(dd_ridge(i_n)), mlc::num(ridge_ratio_half, 3),
          mlc::num(dd_test_mse(i_10n))),
  });
  report.failure_mode({
      .name = "Training error as a model-selection criterion",
      .trigger = fmt::format("Choose the polynomial degree (0..{}) that minimises the training "
                             "MSE, on {} training sets of n = {}.",
                             max_degree, selection_sets, n),
      .symptom = fmt::format(
          "Training MSE is non-increasing in the degree on {}/{} sets and picks the largest "
          "degree {} on {}/{}; that model's expected test error has median {} and mean {} "
          "(mean test R² {}), against a median {} at the best degree of each set.",
          monotone, selection_sets, max_degree, train_picks_max, selection_sets,
          mlc::num(med_train_sel), mlc::num(err_train_sel), mlc::num(r2_train_sel, 3),
          mlc::num(med_oracle)),
      .why = "The polynomial spaces are nested, so least squares on a larger space can only "
             "lower the training error; training error is an optimistically biased estimate of "
             "test error, and the bias (≈ 2σ²(d+1)/n, the optimism of ESL §7.4) grows with the "
             "capacity.",
      .mitigation = fmt::format(
          "5-fold cross-validation picks a median degree of {}, with median expected test error "
          "{} (oracle {}); its mean {} is spoiled by {}/{} sets where the CV choice still "
          "explodes between or beyond the samples, a reminder that CV estimates are noisy too.",
          median_cv_degree, mlc::num(med_cv_sel), mlc::num(med_oracle), mlc::num(err_cv_sel),
          cv_blowups, selection_sets),
  });

  report.timing("total_seconds", total.seconds());
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
