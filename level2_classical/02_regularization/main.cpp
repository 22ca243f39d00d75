// 2.2 regularization: ridge, lasso and elastic net on diabetes and on synthetic sparse data.
//
// Experiments (each section of report.md):
//   1. the objective (1) and its scaling;
//   2. ridge and lasso coefficient paths on the diabetes data of Efron et al. (2004) (the
//      lasso's order of entry against their Fig. 1), ridge's degrees of freedom;
//   3. λ chosen by 10-fold cross-validation with the one-standard-error rule inside the five
//      standard 75/25 splits (held-out R², mean ± sd);
//   4. support recovery on synthetic sparse regression, and the cost of coordinate descent
//      with and without warm starts and the active set;
//   5. early stopping of gradient descent tracking the ridge path (λ ≈ 1/(tη));
//   6. failure modes: the lasso choosing arbitrarily between two nearly identical features,
//      and a penalty made meaningless by the units of an unscaled feature (its own section).
// Follows Friedman, Hastie & Tibshirani (2010) and ESL §3.4, §7.10.
// Run: ./learn run regularization [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "mlc/timer.hpp"
#include "model_evaluation.hpp"
#include "regularization.hpp"

namespace rg = regularization;
namespace me = model_evaluation;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Ridge regression in closed form (Cholesky and SVD, effective degrees of freedom), lasso and "
    "elastic net by cyclic coordinate descent with soft thresholding (covariance updates, active "
    "set, warm starts, duality gap), regularization paths on the diabetes data (the lasso's order "
    "of entry against Efron et al. 2004), λ chosen by 10-fold cross-validation with the "
    "one-standard-error rule over five 75/25 splits, support recovery on synthetic sparse data, "
    "and early stopping of gradient descent as an implicit ridge penalty. Failure modes: the "
    "lasso picks one of two correlated features arbitrarily; unscaled features make the penalty "
    "meaningless.",
    "report.md, metrics.json, figures/lasso_path.svg, figures/ridge_path.svg, "
    "figures/cv_lasso.svg, figures/early_stopping.svg, figures/early_stopping_lambda.svg");

constexpr int kFolds = 10;
constexpr int kPathLength = 100;
constexpr double kPathRatio = 1e-3;
// glmnet's default ratio when d is comparable to n: the path stops before interpolation.
constexpr double kSparseRatio = 1e-2;

// Efron et al. (2004), Fig. 1 and Table 1: the LARS/lasso order of entry on diabetes,
// variables 3, 9, 4, 7, 2, 10, 5, 8, 6, 1 (1-based) = bmi, ltg, bp, hdl, sex, glu, tc, tch,
// ldl, age.
const std::vector<Eigen::Index> kLarsOrder = {2, 8, 3, 6, 1, 9, 4, 7, 5, 0};

// Streams of the seed: one per experiment (cross-validation uses streams 0..4, one per split).
enum Stream : std::uint64_t {
  kSparse = 1000,
  kCorrelatedData = 2000,
  kBootstrap = 2001,
  kFreshData = 2002,
  kEarlyStopping = 3000
};

int count_nonzero(const VectorXd& w) {
  return static_cast<int>((w.array() != 0.0).count());
}

rg::PathFitter lasso_fitter(double alpha) {
  return [alpha](const MatrixXd& X, const VectorXd& y, const VectorXd& l) {
    return rg::elastic_net_path(X, y, alpha, l);
  };
}

// report.quote for a count, written in full (num() would switch to scientific notation at 1e6).
std::string quote_count(mlc::Report& report, const std::string& name, long count) {
  report.metric(name, static_cast<double>(count));
  return std::to_string(count);
}

// "mean ± sd" of repeated measurements; the mean is the metric `name`.
std::string quote_mean_sd(mlc::Report& report, const std::string& name,
                          const std::vector<double>& v) {
  return report.quote(name, mlc::mean(v), 3) + " ± " + mlc::num(mlc::sample_sd(v), 2);
}

// A coefficient path: one line per feature against λ on a log axis.
void path_figure(mlc::Report& report, const std::string& title, const VectorXd& lambdas,
                 const MatrixXd& coefs, const std::vector<std::string>& names,
                 const std::string& name, const std::string& caption) {
  mlc::Figure fig(title);
  fig.xlabel("λ (log scale)").ylabel("coefficient (per sd of feature)").logx();
  fig.legend("outside right");
  for (Eigen::Index j = 0; j < coefs.rows(); ++j) {
    fig.line(lambdas, coefs.row(j).transpose(), names[static_cast<std::size_t>(j)]);
  }
  report.figure(fig, name, caption);
}

// ---- 1. Paths on the full diabetes data ---------------------------------------------------

void paths_section(mlc::Report& report, const mlc::Dataset& data) {
  const auto& names = data.feature_names;
  report.section("Regularization paths on diabetes");
  // Efron et al. standardize all 442 rows: so do we here, to compare the order of entry.
  mlc::Standardizer scaler;
  const MatrixXd X = scaler.fit_transform(data.X);
  const rg::GramProblem problem = rg::make_gram_problem(X, data.y);
  const double lmax = rg::lambda_max(problem, 1.0);
  const VectorXd lambdas = rg::lambda_grid(lmax, 1e-4, 400);
  mlc::Timer timer;
  const rg::Path lasso = rg::elastic_net_path(problem, 1.0, lambdas);
  report.timing("diabetes.lasso.path_400_fit_seconds", timer.seconds());
  const auto order = rg::entry_order(lasso.coefs);
  const auto mismatch =
      std::mismatch(order.begin(), order.end(), kLarsOrder.begin(), kLarsOrder.end());
  report.metric("diabetes.lasso.entry_order", std::vector<double>(order.begin(), order.end()));
  std::vector<std::vector<std::string>> rows;  // λ at which each feature enters
  for (std::size_t step = 0; step < order.size(); ++step) {
    const Eigen::Index j = order[step];
    Eigen::Index k = 0;
    while (lasso.coefs(j, k) == 0.0) ++k;
    rows.push_back(
        {std::to_string(step + 1), names[static_cast<std::size_t>(j)], mlc::num(lambdas(k), 4),
         mlc::num(lambdas(k) / lmax, 3),
         step < kLarsOrder.size() ? names[static_cast<std::size_t>(kLarsOrder[step])] : ""});
  }
  report.text(fmt::format(
      "All 442 rows standardized (as in Efron et al. 2004), objective (1) with α = 1, 400 values "
      "of λ from λ_max = max|x_jᵀy|/n = {} down to 10⁻⁴ λ_max, warm-started coordinate descent; "
      "{} sweeps in all, the largest relative duality gap along the path {}. Order of entry, "
      "beside the LARS/lasso order of Efron et al. (2004), Fig. 1 and Table 1: the first {} of 10 "
      "agree.",
      report.quote("diabetes.lasso.lambda_max", lmax),
      report.quote("diabetes.lasso.path_sweeps", lasso.sweeps, 6),
      report.quote("diabetes.lasso.path_max_relative_duality_gap", lasso.max_duality_gap, 2),
      report.quote("diabetes.lasso.entry_order_matching_lars_prefix",
                   mismatch.first - order.begin())));
  report.table({"step", "enters (ours)", "λ at entry", "λ / λ_max", "Efron et al. (2004)"}, rows);
  path_figure(report, "Lasso coefficient path, diabetes (standardized)", lambdas, lasso.coefs,
              names, "lasso_path",
              "Lasso coefficients against λ (log scale, λ_max at the right): bmi and s5_ltg enter "
              "first, as in Efron et al. (2004), Fig. 1.");
  std::vector<std::string> entered;
  for (auto j : order) entered.push_back(names[static_cast<std::size_t>(j)]);
  fmt::print("Lasso path on diabetes (400 λ from λ_max = {:.4g}): enters {}\n", lmax,
             fmt::join(entered, ", "));

  // Ridge path by one SVD.
  const rg::RidgeSvd svd(X, data.y);
  const VectorXd ridge_lambdas = rg::lambda_grid(1e4, 1e-8, 200);
  MatrixXd ridge_coefs(X.cols(), ridge_lambdas.size());
  for (Eigen::Index k = 0; k < ridge_lambdas.size(); ++k)
    ridge_coefs.col(k) = svd.fit(ridge_lambdas(k)).w;
  path_figure(report, "Ridge coefficient path, diabetes (standardized)", ridge_lambdas, ridge_coefs,
              names, "ridge_path",
              "Ridge coefficients against λ: every coefficient shrinks smoothly towards zero and "
              "none is ever exactly zero; s1_tc and s2_ldl (correlation 0.90) swing widely at "
              "small λ before being tamed.");
  std::vector<std::vector<std::string>> df_rows;
  for (double lam : {1e-4, 1e-2, 1e-1, 1.0, 10.0, 100.0}) {
    df_rows.push_back({mlc::num(lam),
                       report.quote(fmt::format("diabetes.ridge.df_at_lambda_{}", mlc::num(lam)),
                                    svd.degrees_of_freedom(lam)),
                       mlc::num(svd.fit(lam).w.norm(), 4)});
  }
  // Cholesky vs SVD agreement on this design.
  double max_diff = 0;
  for (double lam : {1e-3, 1e-1, 10.0}) {
    max_diff = std::max(
        max_diff, (rg::ridge_cholesky(X, data.y, lam).w - svd.fit(lam).w).cwiseAbs().maxCoeff());
  }
  const VectorXd s = svd.singular_values();
  report.text(fmt::format(
      "Ridge needs one thin SVD of the centered design (condition number {} here); each λ then "
      "costs O(d²). The closed forms (2) by Cholesky and (3) by SVD agree to {} (largest "
      "coefficient difference over λ ∈ {{10⁻³, 10⁻¹, 10}}). Effective degrees of freedom (4) and "
      "the coefficient norm:",
      report.quote("diabetes.condition_number", s(0) / s(s.size() - 1)),
      report.quote("diabetes.ridge.cholesky_vs_svd_max_abs_diff", max_diff, 2)));
  report.table({"λ", "df(λ) = Σ s²/(s²+nλ)", "‖w(λ)‖"}, df_rows);
}

// ---- 2. Cross-validation over five splits --------------------------------------------------

// Wall times summed over the splits, and the lasso's CV curve on the first split (the figure).
struct CvExtras {
  double cv_seconds = 0, fit_seconds = 0;
  std::optional<rg::CvCurve> first_lasso;
};

// On one training part: 10-fold CV along the paths of lasso, elastic net and ridge, each model
// refitted at λ_min and λ_1se and scored on the test part (name.test_r2, name.1se.test_mse, ...).
std::map<std::string, double> cv_one_split(const mlc::Dataset& train, const mlc::Dataset& test,
                                           mlc::Rng rng, CvExtras& extras) {
  const auto folds = mlc::kfold_indices(train.n(), kFolds, rng);
  const rg::GramProblem problem = rg::make_gram_problem(train.X, train.y);
  std::map<std::string, double> out;
  const auto score = [&](const std::string& name, const rg::LinearModel& m) {
    const VectorXd pred = m.predict(test.X);
    out[name + ".test_r2"] = me::r_squared(test.y, pred);
    out[name + ".test_mse"] = me::mean_squared_error(test.y, pred);
  };
  const auto record_cv = [&](const std::string& name, const rg::CvCurve& cv) {
    out[name + ".cv_mse"] = cv.mean_mse(cv.index_min);
    out[name + ".lambda_min"] = cv.lambda_min;
    out[name + ".lambda_1se"] = cv.lambda_1se;
  };
  mlc::Timer timer;
  score("ols", rg::ridge_cholesky(train.X, train.y, 0.0));
  for (const auto& [name, alpha] : {std::pair{"lasso", 1.0}, std::pair{"elastic_net", 0.5}}) {
    const VectorXd lambdas =
        rg::lambda_grid(rg::lambda_max(problem, alpha), kPathRatio, kPathLength);
    timer.reset();
    const rg::CvCurve cv =
        rg::cross_validate_path(train.X, train.y, lambdas, folds, lasso_fitter(alpha));
    extras.cv_seconds += timer.seconds();
    timer.reset();
    const rg::CdResult at_min = rg::elastic_net_cd(problem, cv.lambda_min, alpha);
    const rg::CdResult at_1se = rg::elastic_net_cd(problem, cv.lambda_1se, alpha);
    extras.fit_seconds += timer.seconds();
    score(name, problem.model(at_min.w));
    score(std::string(name) + ".1se", problem.model(at_1se.w));
    record_cv(name, cv);
    out[std::string(name) + ".selected_features_min"] = count_nonzero(at_min.w);
    out[std::string(name) + ".selected_features"] = count_nonzero(at_1se.w);
    if (!extras.first_lasso && alpha == 1.0) extras.first_lasso = cv;
  }
  const VectorXd ridge_lambdas = rg::lambda_grid(1e2, 1e-6, kPathLength);
  timer.reset();
  const rg::CvCurve cv =
      rg::cross_validate_path(train.X, train.y, ridge_lambdas, folds,
                              [](const MatrixXd& X, const VectorXd& y, const VectorXd& l) {
                                return rg::ridge_path(X, y, l);
                              });
  extras.cv_seconds += timer.seconds();
  score("ridge", rg::ridge_cholesky(train.X, train.y, cv.lambda_min));
  score("ridge.1se", rg::ridge_cholesky(train.X, train.y, cv.lambda_1se));
  record_cv("ridge", cv);
  out["ridge.df_min"] = rg::RidgeSvd(train.X, train.y).degrees_of_freedom(cv.lambda_min);
  return out;
}

void cv_section(mlc::Report& report, const mlc::Dataset& data, const mlc::Options& opt) {
  report.section("Choosing λ by 10-fold cross-validation, five 75/25 splits");
  const int repeats = opt.quick ? 1 : 5;
  const mlc::Rng root(opt.seed);
  CvExtras extras;
  std::uint64_t split = 0;
  const auto summary = me::evaluate_on_splits(
      data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        return cv_one_split(train, test, root.derive(split++), extras);  // stream = split index
      });
  report.timing("diabetes.cv_seconds_all_splits", extras.cv_seconds);
  report.timing("diabetes.refit_seconds_all_splits", extras.fit_seconds);
  for (const auto& [name, values] : summary.values) {
    report.metric("diabetes." + name, summary.mean(name));
    if (repeats > 1) report.metric("diabetes." + name + "_sd", summary.sd(name));
  }
  // mean ± sd over the splits; the sd is a metric only when there are several splits
  const auto ms = [&](const std::string& name, int sig = 4) {
    const std::string sd = repeats > 1
                               ? report.quote("diabetes." + name + "_sd", summary.sd(name), 2)
                               : mlc::num(summary.sd(name), 2);
    return report.quote("diabetes." + name, summary.mean(name), sig) + " ± " + sd;
  };
  std::vector<std::vector<std::string>> rows = {
      {"OLS", "—", "10", "—", ms("ols.test_r2"), ms("ols.test_mse")},
      {"ridge, λ_min", ms("ridge.lambda_min", 3),
       report.quote("diabetes.ridge.df_min", summary.mean("ridge.df_min"), 3) + " (df)",
       ms("ridge.cv_mse"), ms("ridge.test_r2"), ms("ridge.test_mse")},
      {"ridge, λ_1se", ms("ridge.lambda_1se", 3), "10", "—", ms("ridge.1se.test_r2"),
       ms("ridge.1se.test_mse")}};
  for (const auto& [label, name] : std::vector<std::pair<std::string, std::string>>{
           {"lasso", "lasso"}, {"elastic net α = 0.5", "elastic_net"}}) {
    rows.push_back({label + ", λ_min", ms(name + ".lambda_min", 3),
                    ms(name + ".selected_features_min", 3), ms(name + ".cv_mse"),
                    ms(name + ".test_r2"), ms(name + ".test_mse")});
    rows.push_back({label + ", λ_1se", ms(name + ".lambda_1se", 3),
                    ms(name + ".selected_features", 3), "—", ms(name + ".1se.test_r2"),
                    ms(name + ".1se.test_mse")});
  }
  report.text(fmt::format(
      "{} unstratified 75/25 split{} of the 442 rows (seeds from {} on), features standardized "
      "on the training part (lesson 2.5's evaluate_on_splits). On each training part, {}-fold CV "
      "(mlc::kfold_indices, each fold re-standardized on its own training rows) over a path of "
      "{} values of λ; λ_min minimises the mean CV error, λ_1se is the largest λ within one "
      "standard error of it (9); the model is refitted on the whole training part. Mean ± sd over "
      "the splits:",
      repeats, repeats > 1 ? "s" : "", opt.seed, kFolds, kPathLength));
  report.table({"model", "λ", "features", "CV MSE at λ_min", "held-out R²", "held-out MSE"}, rows);
  const auto mean = [&](const std::string& name) { return summary.mean(name); };
  report.text(fmt::format(
      "With n = 331 training rows and only 10 features, OLS is not starved of data and a penalty "
      "buys no accuracy here: held-out R² of OLS {}, of the CV-chosen (λ_min) ridge {}, lasso {}. "
      "What the lasso buys is simplicity: at λ_1se it keeps {} of 10 features for a held-out R² "
      "of {}, a loss of {} against OLS.",
      ms("ols.test_r2"), ms("ridge.test_r2"), ms("lasso.test_r2"),
      report.quote("diabetes.lasso.selected_features", mean("lasso.selected_features"), 3),
      ms("lasso.1se.test_r2"), mlc::num(mean("ols.test_r2") - mean("lasso.1se.test_r2"), 3)));
  fmt::print(
      "Diabetes, {} split(s): held-out R² OLS {:.4f}, ridge {:.4f}, lasso {:.4f} (λ_1se: "
      "{:.4f}, {:.3g} features), elastic net {:.4f}\n",
      repeats, mean("ols.test_r2"), mean("ridge.test_r2"), mean("lasso.test_r2"),
      mean("lasso.1se.test_r2"), mean("lasso.selected_features"), mean("elastic_net.test_r2"));

  const rg::CvCurve& cv = *extras.first_lasso;
  mlc::Figure fig("10-fold CV error of the lasso, diabetes (first split)");
  fig.xlabel("λ (log scale)").ylabel("mean squared error").logx().legend("top left");
  fig.line_points(cv.lambdas, cv.mean_mse, "CV MSE (mean over folds)",
                  {.color = 0, .point_size = 0.4});
  fig.line(cv.lambdas, cv.mean_mse + cv.se_mse, "mean ± SE",
           {.color = 0, .width = 0.8, .dash = true});
  fig.line(cv.lambdas, cv.mean_mse - cv.se_mse, "", {.color = 0, .width = 0.8, .dash = true});
  fig.hline(cv.mean_mse(cv.index_min) + cv.se_mse(cv.index_min), "min + 1 SE",
            {.color = 3, .dash = true});
  fig.vline(cv.lambda_min, "λ_min", {.color = 1, .dash = true});
  fig.vline(cv.lambda_1se, "λ_1se", {.color = 2, .dash = true});
  report.figure(
      fig, "cv_lasso",
      fmt::format("Mean 10-fold CV error ± one standard error (sd over folds / √10) along "
                  "the lasso path on the first training split: λ_min = {}, λ_1se = {}.",
                  report.quote("diabetes.lasso.first_split.lambda_min", cv.lambda_min),
                  report.quote("diabetes.lasso.first_split.lambda_1se", cv.lambda_1se)));
}

// ---- 3. Synthetic sparse regression ----------------------------------------------------------

// Support recovery of the lasso at λ_min and λ_1se, over `replicates` data sets.
void sparse_section(mlc::Report& report, const mlc::Options& opt, mlc::Rng& rng) {
  report.section("Support recovery on synthetic sparse regression");
  const Eigen::Index n = opt.quick ? 100 : 150, d = opt.quick ? 40 : 100, k = 5;
  const int replicates = opt.quick ? 4 : 20;
  const double rho = 0.5, noise = 1.0, magnitude = 1.0;
  std::vector<double> tp_min, fp_min, tp_1se, fp_1se, exact_on_path, err_min, err_1se;
  for (int r = 0; r < replicates; ++r) {
    const auto data = rg::make_sparse_regression(n, d, k, magnitude, rho, noise, rng);
    const rg::GramProblem problem = rg::make_gram_problem(data.X, data.y);
    const VectorXd lambdas =
        rg::lambda_grid(rg::lambda_max(problem, 1.0), kSparseRatio, kPathLength);
    const auto folds = mlc::kfold_indices(n, kFolds, rng);
    const rg::CvCurve cv =
        rg::cross_validate_path(data.X, data.y, lambdas, folds, lasso_fitter(1.0));
    const rg::Path path = rg::elastic_net_path(problem, 1.0, lambdas);
    const Eigen::ArrayX<bool> truth = data.w.array() != 0.0;
    const auto positives = [&](Eigen::Index c, bool true_ones) {  // selected at path column c
      const Eigen::ArrayX<bool> sel = path.coefs.col(c).array() != 0.0;
      return static_cast<double>(true_ones ? (sel && truth).count() : (sel && !truth).count());
    };
    tp_min.push_back(positives(cv.index_min, true));
    fp_min.push_back(positives(cv.index_min, false));
    err_min.push_back((path.coefs.col(cv.index_min) - data.w).norm());
    tp_1se.push_back(positives(cv.index_1se, true));
    fp_1se.push_back(positives(cv.index_1se, false));
    err_1se.push_back((path.coefs.col(cv.index_1se) - data.w).norm());
    bool exact = false;
    for (Eigen::Index c = 0; c < path.coefs.cols(); ++c) {
      exact = exact || (positives(c, true) == static_cast<double>(k) && positives(c, false) == 0);
    }
    exact_on_path.push_back(exact ? 1.0 : 0.0);
  }
  const auto ms = [&](const std::string& name, const std::vector<double>& v) {
    return quote_mean_sd(report, "sparse.lasso." + name, v);
  };
  report.text(fmt::format(
      "{} data sets of n = {} rows and d = {} AR(1) features (corr(x_j, x_k) = {}^|j−k|), k = {} "
      "true coefficients ±{} at evenly spaced positions, noise σ = {}. Lasso path of {} λ down to "
      "10⁻² λ_max, 10-fold CV. True and false positives among the selected features, and ‖ŵ − w‖ "
      "(mean ± sd over the data sets):",
      replicates, n, d, rho, k, magnitude, noise, kPathLength));
  report.table({"λ", "true positives (of 5)", "false positives", "‖ŵ − w‖"},
               {{"λ_min", ms("lambda_min.true_positives", tp_min),
                 ms("lambda_min.false_positives", fp_min), ms("lambda_min.coef_error", err_min)},
                {"λ_1se", ms("lambda_1se.true_positives", tp_1se),
                 ms("lambda_1se.false_positives", fp_1se), ms("lambda_1se.coef_error", err_1se)}});
  const auto q = [&](const std::string& name, double v) {
    return report.quote("sparse.lasso." + name, v, 3);
  };
  report.text(fmt::format(
      "The path contains a λ with exactly the true support in {} of the {} data sets, yet CV at "
      "λ_min (which optimises prediction) lets in {} false positives on average; the one-SE rule "
      "cuts them to {} at the price of more shrinkage bias (the coefficient error grows from {} to "
      "{}).",
      mlc::num(mlc::mean(exact_on_path) * replicates, 3), replicates,
      q("lambda_min.false_positives", mlc::mean(fp_min)),
      q("lambda_1se.false_positives", mlc::mean(fp_1se)),
      q("lambda_min.coef_error", mlc::mean(err_min)),
      q("lambda_1se.coef_error", mlc::mean(err_1se))));
  report.metric("sparse.lasso.exact_support_on_path_fraction", mlc::mean(exact_on_path));
  fmt::print(
      "Sparse regression (d = {}): λ_min selects {} true + {} false, λ_1se {} true + {} false\n", d,
      mlc::mean(tp_min), mlc::mean(fp_min), mlc::mean(tp_1se), mlc::mean(fp_1se));
}

// The cost of one path: warm starts and the active set, counted in coordinate operations.
void path_cost_subsection(mlc::Report& report, const mlc::Options& opt, mlc::Rng& rng) {
  report.subsection("What warm starts and the active set save");
  const Eigen::Index n = opt.quick ? 200 : 500, d = opt.quick ? 100 : 200;
  const auto big = rg::make_sparse_regression(n, d, 10, 1.0, 0.5, 1.0, rng);
  mlc::Timer timer;
  const rg::GramProblem problem = rg::make_gram_problem(big.X, big.y);
  report.timing("sparse.gram_seconds", timer.seconds());
  const VectorXd lambdas = rg::lambda_grid(rg::lambda_max(problem, 1.0), kSparseRatio, kPathLength);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [label, warm, active] : std::vector<std::tuple<std::string, bool, bool>>{
           {"warm starts + active set", true, true},
           {"warm starts, full sweeps", true, false},
           {"cold starts + active set", false, true},
           {"cold starts, full sweeps", false, false}}) {
    timer.reset();
    const rg::Path path = rg::elastic_net_path(problem, 1.0, lambdas, {.active_set = active}, warm);
    const std::string key =
        fmt::format("sparse.path.{}{}", warm ? "warm" : "cold", active ? "_active" : "_full");
    report.timing(key + "_seconds", timer.seconds());
    rows.push_back({label, std::to_string(path.sweeps),
                    quote_count(report, key + ".coordinate_visits", path.coordinate_visits),
                    quote_count(report, key + ".coordinate_updates", path.coordinate_updates),
                    report.quote(key + ".max_relative_gap", path.max_duality_gap, 2)});
  }
  report.text(fmt::format(
      "One lasso path of {} λ on n = {}, d = {} (10 true features), all to the same stopping rule "
      "(largest move < 10⁻⁷ sd(y), then duality gap < 10⁻⁹ ‖y‖²/n). A visit reads one coordinate "
      "(O(1) with the covariance form); an update moves it and costs O(d) to refresh Gw. Timings "
      "of each variant are in the Timing table.",
      kPathLength, n, d));
  report.table({"variant", "sweeps", "coordinate visits", "coordinate updates", "max relative gap"},
               rows);
}

// ---- 4. Early stopping -------------------------------------------------------------------------

// Held-out MSE of the iterates and of ridge at λ = 1/(tη), and λ* against 1/(tη).
void early_stopping_figures(mlc::Report& report, const VectorXd& t_eta, const VectorXd& gd_mse,
                            const VectorXd& ridge_mse, const VectorXd& lambda_star,
                            bool starts_at_zero, const std::string& ratio_median) {
  const Eigen::Index m = t_eta.size(), i0 = starts_at_zero ? 1 : 0;  // skip t = 0 on log axes
  const VectorXd te = t_eta.tail(m - i0);
  mlc::Figure fig("Early stopping vs ridge: held-out MSE (n = 60, d = 40)");
  fig.xlabel("tη for gradient descent,  1/λ for ridge (log scale)").ylabel("held-out MSE").logx();
  fig.line_points(te, gd_mse.tail(m - i0), "gradient descent after t steps", {.point_size = 0.4});
  fig.line(te, ridge_mse.tail(m - i0), "ridge at λ = 1/(tη)", {.dash = true});
  fig.hline(gd_mse(m - 1), "OLS", {.color = 7, .width = 0.8, .dash = true});
  report.figure(fig, "early_stopping",
                "Held-out MSE of gradient-descent iterates against tη, and of ridge against 1/λ: "
                "the two U-shaped curves are close, the iteration count acting as an inverse "
                "penalty.");
  mlc::Figure mfig("Ridge λ nearest to each gradient-descent iterate");
  mfig.xlabel("1/(tη)").ylabel("λ* = argmin_λ ‖w_t − w_ridge(λ)‖").logx().logy().legend("top left");
  const VectorXd inv = te.cwiseInverse();
  mfig.points(inv, lambda_star.tail(m - i0), "λ*(t)", {.point_size = 0.6});
  mfig.line(inv, inv, "λ = 1/(tη)", {.dash = true});
  report.figure(mfig, "early_stopping_lambda",
                fmt::format("The ridge λ* whose solution is nearest to the t-th iterate, against "
                            "1/(tη): inside the spectrum of G the points run parallel to the line "
                            "λ = 1/(tη) of (10), a constant factor below it (median λ*·tη = {}).",
                            ratio_median));
}

void early_stopping_section(mlc::Report& report, const mlc::Options& opt, mlc::Rng rng) {
  report.section("Early stopping as regularization");
  // Few rows per feature, so that the unpenalised fit overfits and a penalty pays: n = 60
  // training rows, d = 40 features X ~ N(0, I), dense w ~ N(0, 0.3²), noise σ = 1.
  const Eigen::Index n_train = 60, d = 40, n_test = 2000;
  const VectorXd w_true = 0.3 * rng.normal_vector(d);
  const mlc::Dataset train = mlc::make_linear(n_train, w_true, 0.0, 1.0, rng);
  const mlc::Dataset test = mlc::make_linear(n_test, w_true, 0.0, 1.0, rng);
  const rg::GramProblem problem = rg::make_gram_problem(train.X, train.y);
  const rg::RidgeSvd svd(train.X, train.y);
  const VectorXd s = svd.singular_values();
  // the spectrum [g_min, g_max] of G = XᵀX/n; g_max = L
  const double g_max = s(0) * s(0) / static_cast<double>(svd.n());
  const double g_min = s(s.size() - 1) * s(s.size() - 1) / static_cast<double>(svd.n());
  const double step = 1.0 / g_max;
  const int T = opt.quick ? 20000 : 200000;
  std::vector<int> record;  // 61 iteration counts, log-spaced up to T
  for (int e = 0; e <= 60; ++e) {
    const int t =
        static_cast<int>(std::lround(std::pow(10.0, e * std::log10(static_cast<double>(T)) / 60)));
    if (record.empty() || t > record.back()) record.push_back(t);
  }
  mlc::Timer timer;
  const rg::GdIterates gd = rg::least_squares_gradient_descent(problem, step, record);
  report.timing("early_stopping.gd_seconds", timer.seconds());
  const VectorXd fine = rg::lambda_grid(1e3, 1e-10, 800);
  MatrixXd ridge_fine(s.size(), fine.size());
  VectorXd fine_mse(fine.size());
  for (Eigen::Index k = 0; k < fine.size(); ++k) {
    ridge_fine.col(k) = svd.fit(fine(k)).w;
    fine_mse(k) = me::mean_squared_error(test.y, svd.fit(fine(k)).predict(test.X));
  }
  const auto m = static_cast<Eigen::Index>(record.size());
  VectorXd t_eta(m), gd_mse(m), ridge_mse(m), lambda_star(m);
  std::vector<double> ratios, dists;  // λ*·tη and the relative distance, inside the spectrum
  for (Eigen::Index i = 0; i < m; ++i) {
    t_eta(i) = record[static_cast<std::size_t>(i)] * step;
    gd_mse(i) = me::mean_squared_error(
        test.y, rg::LinearModel{gd.coefs.col(i), gd.intercepts(i)}.predict(test.X));
    ridge_mse(i) =
        me::mean_squared_error(test.y, svd.fit(1.0 / std::max(t_eta(i), 1e-300)).predict(test.X));
    Eigen::Index best = 0;  // the ridge solution nearest to the iterate
    (ridge_fine.colwise() - gd.coefs.col(i)).colwise().norm().minCoeff(&best);
    lambda_star(i) = fine(best);
    // The correspondence is only informative while 1/(tη) lies inside [g_min, g_max]:
    // before, w_t ≈ 0 for any large λ; after, w_t ≈ OLS for any small λ.
    if (record[static_cast<std::size_t>(i)] >= 1 && 1.0 / t_eta(i) >= g_min &&
        1.0 / t_eta(i) <= g_max) {
      ratios.push_back(lambda_star(i) * t_eta(i));
      dists.push_back((ridge_fine.col(best) - gd.coefs.col(i)).norm() /
                      std::max(gd.coefs.col(i).norm(), 1e-300));
    }
  }
  std::sort(ratios.begin(), ratios.end());
  Eigen::Index gd_best = 0, fine_best = 0;
  gd_mse.minCoeff(&gd_best);
  fine_mse.minCoeff(&fine_best);
  const auto q = [&](const std::string& name, double v, int sig = 4) {
    return report.quote("early_stopping." + name, v, sig);
  };
  const std::string ratio_median =
      q("lambda_star_times_t_eta_median", ratios[ratios.size() / 2], 3);
  report.text(fmt::format(
      "Synthetic data with few rows per feature: n = {} training rows, d = {} features X ~ N(0, "
      "I), dense w ~ N(0, 0.3²), noise σ = 1, held-out MSE on {} fresh rows. Gradient descent on "
      "the unpenalised least squares from w = 0 with step η = 1/L = {} (L = s_max²/n), up to t = "
      "{} iterations (κ(G) = {}). Each recorded iterate w_t is matched to the nearest ridge "
      "solution w(λ*) over 800 values of λ. While 1/(tη) lies inside the spectrum [g_min, g_max] "
      "= [{}, {}] of G = XᵀX/n, λ*·tη has median {} and range [{}, {}], and the nearest ridge "
      "solution is within {} (relative) of the iterate everywhere along the path. The best "
      "held-out MSE of gradient descent, {} at t = {}, is close to the best of ridge, {} at λ = "
      "{}; the last iterate (≈ OLS) reaches {}.",
      n_train, d, n_test, q("step", step), T,
      q("condition_number_G", (s(0) * s(0)) / (s(s.size() - 1) * s(s.size() - 1))),
      mlc::num(g_min, 3), mlc::num(g_max, 3), ratio_median,
      q("lambda_star_times_t_eta_min", ratios.front(), 3),
      q("lambda_star_times_t_eta_max", ratios.back(), 3),
      q("max_relative_coef_distance", *std::max_element(dists.begin(), dists.end()), 2),
      q("gd_best_test_mse", gd_mse(gd_best)),
      q("gd_best_iteration", record[static_cast<std::size_t>(gd_best)], 8),
      q("ridge_best_test_mse", fine_mse(fine_best)), q("ridge_best_lambda", fine(fine_best)),
      q("last_iterate_test_mse", gd_mse(m - 1))));
  fmt::print("Early stopping: λ*·tη median {}; best GD test MSE {:.1f}, ridge {:.1f}\n",
             ratio_median, gd_mse(gd_best), fine_mse(fine_best));

  early_stopping_figures(report, t_eta, gd_mse, ridge_mse, lambda_star, record.front() == 0,
                         ratio_median);
}

// ---- 5. Failure modes --------------------------------------------------------------------------

void correlated_failure(mlc::Report& report, const mlc::Options& opt, const mlc::Rng& root) {
  const Eigen::Index n = 100, d = 5;
  const double rho = 0.99, alpha_net = 0.1;
  VectorXd w(d);
  w << 1.0, 1.0, 0.5, 0.0, 0.0;
  mlc::Rng rng = root.derive(kCorrelatedData);
  const auto data = rg::make_correlated_pair(n, d, rho, w, 1.0, rng);
  const VectorXd a = data.X.col(0).array() - data.X.col(0).mean();
  const VectorXd b = data.X.col(1).array() - data.X.col(1).mean();
  const double sample_rho = a.dot(b) / (a.norm() * b.norm());
  const double lambda = 0.2 * rg::lambda_max(rg::make_gram_problem(data.X, data.y), 1.0);
  const int B = opt.quick ? 50 : 400;
  mlc::Rng boot_lasso = root.derive(kBootstrap),
           boot_net = root.derive(kBootstrap);  // same resamples
  const auto lasso = rg::bootstrap_pair_selection(data.X, data.y, lambda, 1.0, 0, 1, B, boot_lasso);
  const auto net =
      rg::bootstrap_pair_selection(data.X, data.y, lambda, alpha_net, 0, 1, B, boot_net);
  // Across independent data sets (not resamples of one): which of the pair does the lasso keep?
  const int fresh = opt.quick ? 50 : 400;
  int fresh_one = 0, fresh_x1 = 0;
  mlc::Rng fresh_rng = root.derive(kFreshData);
  for (int r = 0; r < fresh; ++r) {
    const auto draw = rg::make_correlated_pair(n, d, rho, w, 1.0, fresh_rng);
    const rg::GramProblem p = rg::make_gram_problem(draw.X, draw.y);
    const VectorXd wr = rg::elastic_net_cd(p, 0.2 * rg::lambda_max(p, 1.0), 1.0).w;
    if ((wr(0) != 0.0) != (wr(1) != 0.0)) {
      ++fresh_one;
      fresh_x1 += wr(0) != 0.0;
    }
  }
  const auto q = [&](const std::string& name, double v) {
    return report.quote("correlated." + name, v, 3);
  };
  // The fractions of the resamples in which each outcome happened, quoted.
  const auto quote_selection = [&](const std::string& name, const rg::PairSelection& sel) {
    const auto frac = [&](const std::string& what, int count) {
      return q(name + "." + what + "_fraction", static_cast<double>(count) / B);
    };
    return std::map<std::string, std::string>{
        {"only_x1", frac("only_x1", sel.only_first)},
        {"only_x2", frac("only_x2", sel.only_second)},
        {"both", frac("both", sel.both)},
        {"x1_larger", frac("x1_larger", sel.first_larger)},
        {"gap", q(name + ".mean_relative_gap", sel.mean_relative_gap)}};
  };
  auto lasso_q = quote_selection("lasso", lasso), net_q = quote_selection("elastic_net", net);
  fmt::print(
      "Correlated pair (ρ = {:.3f}): lasso keeps only x1 in {}, only x2 in {}, both {}; "
      "elastic net keeps both in {}\n",
      sample_rho, lasso_q["only_x1"], lasso_q["only_x2"], lasso_q["both"], net_q["both"]);
  report.failure_mode({
      .name = "The lasso picks one of two correlated features arbitrarily",
      .trigger = fmt::format(
          "n = {}, x₁ and x₂ with sample correlation {}, y = x₁ + x₂ + 0.5 x₃ + ε (σ = 1) and two "
          "noise features; lasso at λ = 0.2 λ_max = {} refitted on {} bootstrap resamples.",
          n, report.quote("correlated.sample_correlation", sample_rho),
          report.quote("correlated.lambda", lambda), B),
      .symptom = fmt::format(
          "Only x₁ selected in {} of the resamples, only x₂ in {}, both in {}; x₁ gets the larger "
          "coefficient in {}. The mean relative gap |w₁ − w₂|/(|w₁| + |w₂|) is {}, though the true "
          "coefficients are equal. Over {} independent data sets (λ = 0.2 λ_max of each), the "
          "lasso keeps exactly one of the pair in {} of them, and that one is x₁ in {}: a coin "
          "flip.",
          lasso_q["only_x1"], lasso_q["only_x2"], lasso_q["both"], lasso_q["x1_larger"],
          lasso_q["gap"], fresh,
          q("fresh.lasso.exactly_one_fraction", static_cast<double>(fresh_one) / fresh),
          q("fresh.lasso.x1_given_one_fraction",
            fresh_one > 0 ? static_cast<double>(fresh_x1) / fresh_one : 0.0)),
      .why = "The ℓ1 penalty is linear along the segment w₁ + w₂ = const: the fit is almost the "
             "same for any split of the weight between two nearly equal columns, and the vertex of "
             "the ℓ1 ball (one coefficient zero) wins. Which vertex depends on the noise of the "
             "resample.",
      .mitigation = fmt::format(
          "Elastic net with α = {} at the same λ (ridge part λ(1−α)/2‖w‖², strictly convex, so "
          "equal columns get equal weights — Zou & Hastie 2005, Thm 1): both kept in {} of the "
          "same resamples, mean relative gap {}, x₁ larger in {}.",
          alpha_net, net_q["both"], net_q["gap"], net_q["x1_larger"]),
  });
}

void scaling_section(mlc::Report& report, const mlc::Dataset& data) {
  mlc::Standardizer scaler;
  const MatrixXd X = scaler.fit_transform(data.X);
  const double lambda = 0.1 * rg::lambda_max(rg::make_gram_problem(X, data.y), 1.0);
  const Eigen::Index age = 0, bmi = 2;
  MatrixXd X_units = X;
  X_units.col(age) *= 1000.0;  // e.g. a unit change: the same information, 1000 × larger numbers
  X_units.col(bmi) /= 1000.0;
  const rg::LinearModel base = rg::elastic_net(X, data.y, lambda, 1.0);
  const rg::LinearModel units = rg::elastic_net(X_units, data.y, lambda, 1.0);
  // coefficients per sd of the original feature: rescale back
  VectorXd units_per_sd = units.w;
  units_per_sd(age) *= 1000.0;
  units_per_sd(bmi) /= 1000.0;
  mlc::Standardizer rescaler;
  const rg::LinearModel restandardized =
      rg::elastic_net(rescaler.fit_transform(X_units), data.y, lambda, 1.0);
  const auto q = [&](const std::string& name, double v, int sig = 4) {
    return report.quote("unscaled." + name, v, sig);
  };
  std::vector<std::vector<std::string>> rows;
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    rows.push_back({data.feature_names[static_cast<std::size_t>(j)], mlc::num(base.w(j), 4),
                    mlc::num(units_per_sd(j), 4)});
  }
  report.section("Unscaled features: coefficients per sd of each feature");
  report.text(fmt::format(
      "Lasso at λ = 0.1 λ_max = {} on the standardized diabetes data, and on the same data with "
      "age multiplied by 1000 and bmi divided by 1000 (coefficients mapped back to per-sd units):",
      q("lambda", lambda)));
  report.table({"feature", "standardized", "age ×1000, bmi ÷1000"}, rows);
  fmt::print("Unscaled features: age coef {:.3g} -> {:.3g}, bmi coef {:.3g} -> {:.3g}\n",
             base.w(age), units_per_sd(age), base.w(bmi), units_per_sd(bmi));
  report.failure_mode({
      .name = "Unscaled features make the penalty meaningless",
      .trigger = fmt::format("Diabetes, standardized; then age × 1000 and bmi ÷ 1000 (a change of "
                             "units). Lasso at the same λ = {}.",
                             q("lambda", lambda)),
      .symptom = fmt::format(
          "age, dropped on the standardized data (coefficient {}), now enters with {} per sd; bmi, "
          "the strongest predictor ({} per sd), is dropped ({}). Selected features {} → {}; "
          "training R² {} → {}.",
          q("base.age_coef", base.w(age), 3), q("scaled.age_coef_per_sd", units_per_sd(age)),
          q("base.bmi_coef", base.w(bmi)), q("scaled.bmi_coef_per_sd", units_per_sd(bmi), 3),
          q("base.selected_features", count_nonzero(base.w)),
          q("scaled.selected_features", count_nonzero(units.w)),
          q("base.train_r2", me::r_squared(data.y, base.predict(X))),
          q("scaled.train_r2", me::r_squared(data.y, units.predict(X_units)))),
      .why = "The penalty λ|w_j| is charged per unit of x_j. Multiplying x_j by c divides the "
             "coefficient the fit needs by c, so its penalty is divided by c: age becomes almost "
             "free and bmi 1000 times as expensive. Selection follows units, not signal.",
      .mitigation = fmt::format(
          "Standardize each feature (on the training part) before penalising: refitting the lasso "
          "on the re-standardized rescaled data recovers the original coefficients to {} (largest "
          "absolute difference).",
          q("restandardized_max_abs_diff", (restandardized.w - base.w).cwiseAbs().maxCoeff(), 2)),
  });
}

// ---- The program -------------------------------------------------------------------------------

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  const mlc::Dataset data = mlc::load_dataset("diabetes");
  fmt::print("Diabetes: {} rows, {} features\n", data.n(), data.d());
  report.section("The objective");
  report.text(
      "All models minimise (1) J(b, w) = 1/(2n)‖y − b − Xw‖² + λ(α‖w‖₁ + (1−α)/2‖w‖²): α = 0 "
      "ridge, α = 1 lasso, in between the elastic net (glmnet's scaling). The intercept b is not "
      "penalised: the data are centered and b = ȳ − x̄ᵀw. With this scaling ridge solves "
      "(XᵀX + nλI)w = Xᵀy, and λ_max = max_j |x_jᵀy|/(nα) is the smallest λ with w = 0.");
  paths_section(report, data);
  cv_section(report, data, opt);
  mlc::Rng sparse_rng = root.derive(kSparse);  // the sparse data sets, then the path-cost data
  sparse_section(report, opt, sparse_rng);
  path_cost_subsection(report, opt, sparse_rng);
  early_stopping_section(report, opt, root.derive(kEarlyStopping));
  correlated_failure(report, opt, root);
  scaling_section(report, data);
  report.headline({"diabetes.lasso.test_r2", "diabetes.ridge.test_r2"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
