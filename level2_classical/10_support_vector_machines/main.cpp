// Lesson 2.10 support_vector_machines: the experiment.
//
// Shows (1) margins and support vectors of linear and RBF SVMs on 2-D data; (2) model
// selection of an RBF SVM on digits by 3-fold CV over a (C, γ) grid, then the 5-split
// protocol for RBF (one-vs-rest and one-vs-one), polynomial and linear kernels; (3) breast
// cancer with SMO and Pegasos; (4) hinge versus log loss, and Pegasos' primal objective
// converging to the SMO dual optimum (duality); (5) three failure modes: γ too large
// memorizes, unscaled features, SMO's super-linear cost in n (counted, and timed).
// Follows Platt (1998), Fan, Chen & Lin (2005), Chang & Lin (2011, LIBSVM) and
// Shalev-Shwartz et al. (2011, Pegasos); see NOTES.md.
//
// Run: ./learn run support_vector_machines [--seed N] [--quick]
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/report.hpp"
#include "mlc/stats.hpp"
#include "model_evaluation.hpp"
#include "support_vector_machines.hpp"

namespace svm = support_vector_machines;
namespace me = model_evaluation;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Linear SVM in the primal by Pegasos and kernel SVM in the dual by SMO with the second-order "
    "working-set selection of LIBSVM (linear, polynomial, RBF kernels; one-vs-rest and one-vs-one). "
    "Margins and support vectors on 2-D data, (C, gamma) selection on digits, hinge versus log loss, "
    "and three failure modes: gamma too large memorizes, unscaled features, super-linear cost in n.",
    "report.md, metrics.json, figures/margins_linear.svg, figures/margins_rbf.svg, figures/digits_grid.svg, "
    "figures/losses.svg, figures/pegasos_convergence.svg, figures/gamma_memorization.svg, "
    "figures/smo_scaling.svg");

Eigen::VectorXd plus_minus(const Eigen::VectorXi& labels) {  // class 1 -> +1, class 0 -> −1
  return labels.unaryExpr([](int c) { return c == 1 ? 1.0 : -1.0; });
}

double sign_accuracy(const Eigen::VectorXd& y, const Eigen::VectorXd& pred) {
  return (y.array() == pred.array()).cast<double>().mean();
}

// Decision regions, the contours f = 0 and f = ±1, and the support vectors circled.
void margin_figure(mlc::Report& report, const mlc::Dataset& data, const svm::BinarySvm& model,
                   const std::string& name, const std::string& title, const std::string& caption) {
  constexpr int g = 160;
  const double pad = 0.4;
  const double x_lo = data.X.col(0).minCoeff() - pad, x_hi = data.X.col(0).maxCoeff() + pad;
  const double y_lo = data.X.col(1).minCoeff() - pad, y_hi = data.X.col(1).maxCoeff() + pad;
  const Eigen::VectorXd xs = Eigen::VectorXd::LinSpaced(g, x_lo, x_hi), ys = Eigen::VectorXd::LinSpaced(g, y_lo, y_hi);
  Eigen::MatrixXd grid(g * g, 2);
  for (int i = 0; i < g; ++i)
    for (int j = 0; j < g; ++j) grid.row(i * g + j) << xs(j), ys(i);
  const Eigen::VectorXd f = model.decision_function(grid);
  Eigen::MatrixXd Z(g, g);
  Eigen::MatrixXi regions(g, g);
  for (int i = 0; i < g; ++i)
    for (int j = 0; j < g; ++j) {
      Z(i, j) = f(i * g + j);
      regions(i, j) = Z(i, j) > 0 ? 1 : 0;
    }
  mlc::Figure fig(title);
  fig.xlabel("x_1").ylabel("x_2").xrange(x_lo, x_hi).yrange(y_lo, y_hi).legend("bottom right");
  fig.regions(regions, x_lo, x_hi, y_lo, y_hi);
  fig.contour(Z, xs, ys, {0.0}, "f(x) = 0", {.color = 7, .width = 2.0});
  fig.contour(Z, xs, ys, {-1.0, 1.0}, "f(x) = ±1 (margins)", {.color = 7, .width = 1.0, .dash = true});
  fig.scatter_classes(data.X, data.labels(), data.class_names, 0.55);
  fig.points(model.support_vectors.col(0), model.support_vectors.col(1),
             fmt::format("support vectors ({})", model.support_vectors.rows()),
             {.color = 7, .width = 1.0, .point_type = 6, .point_size = 1.3});
  report.figure(fig, name, caption);
}

struct Hyper {
  double C = 10.0, gamma = 0.015;
};

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const int repeats = opt.quick ? 1 : 5;
  fmt::print("Support vector machines (seed {}, {} split{})\n", opt.seed, repeats, repeats > 1 ? "s" : "");

  // ---- 1. Margins and support vectors on 2-D data ----------------------------------------
  report.section("Margins and support vectors on 2-D data");
  {
    mlc::Rng rng(opt.seed);
    Eigen::MatrixXd centers(2, 2);
    centers << -1.2, -0.8, 1.2, 0.8;
    const auto blobs = mlc::make_blobs(opt.quick ? 60 : 120, centers, 0.75, rng);
    const auto moons = mlc::make_moons(opt.quick ? 100 : 200, 0.2, rng);
    const svm::SmoOptions smo{.C = 1.0, .tolerance = 1e-3};
    const auto linear = svm::BinarySvm::fit(blobs.X, plus_minus(blobs.labels()), svm::Kernel::linear(), smo);
    const auto rbf = svm::BinarySvm::fit(moons.X, plus_minus(moons.labels()), svm::Kernel::rbf(1.0), smo);
    const double lin_acc = sign_accuracy(plus_minus(blobs.labels()), linear.predict(blobs.X));
    const double rbf_acc = sign_accuracy(plus_minus(moons.labels()), rbf.predict(moons.X));
    const double lin_kkt = svm::max_kkt_violation(svm::kernel_matrix(svm::Kernel::linear(), blobs.X, blobs.X),
                                                  plus_minus(blobs.labels()), linear.solution.alpha,
                                                  linear.solution.rho, smo.C);
    const double rbf_kkt = svm::max_kkt_violation(svm::rbf_kernel_matrix(moons.X, moons.X, 1.0),
                                                  plus_minus(moons.labels()), rbf.solution.alpha, rbf.solution.rho, smo.C);
    const Eigen::VectorXd w = linear.primal_weights();
    report.text(fmt::format(
        "Soft-margin SVMs (C = {}) solved in the dual (4) by SMO with WSS2 (6), stopping when the maximal KKT "
        "violation m(α) − M(α) falls below {}. The margin of the linear machine is 2/‖w‖ = {} with "
        "w = Σ α_i y_i x_i (9). Support vectors are the points with α_i > 0: those on the margins (0 < α_i < C) "
        "and those inside them or misclassified (α_i = C).",
        smo.C, smo.tolerance, mlc::num(2.0 / w.norm())));
    report.table({"data", "kernel", "n", "support vectors", "at bound C", "SMO iterations", "max KKT violation",
                  "training accuracy"},
                 {{"blobs", "linear", std::to_string(blobs.n()), std::to_string(linear.solution.num_support_vectors),
                   std::to_string(linear.solution.num_bounded), std::to_string(linear.solution.iterations),
                   mlc::num(lin_kkt, 3), mlc::num(lin_acc)},
                  {"moons", "RBF, γ = 1", std::to_string(moons.n()), std::to_string(rbf.solution.num_support_vectors),
                   std::to_string(rbf.solution.num_bounded), std::to_string(rbf.solution.iterations),
                   mlc::num(rbf_kkt, 3), mlc::num(rbf_acc)}});
    report.metric("blobs.linear.margin_width", 2.0 / w.norm());
    report.metric("blobs.linear.num_support_vectors", static_cast<double>(linear.solution.num_support_vectors));
    report.metric("blobs.linear.num_bounded", static_cast<double>(linear.solution.num_bounded));
    report.metric("blobs.linear.smo_iterations", static_cast<double>(linear.solution.iterations));
    report.metric("blobs.linear.max_kkt_violation", lin_kkt);
    report.metric("blobs.linear.train_accuracy", lin_acc);
    report.metric("moons.rbf.num_support_vectors", static_cast<double>(rbf.solution.num_support_vectors));
    report.metric("moons.rbf.num_bounded", static_cast<double>(rbf.solution.num_bounded));
    report.metric("moons.rbf.smo_iterations", static_cast<double>(rbf.solution.iterations));
    report.metric("moons.rbf.max_kkt_violation", rbf_kkt);
    report.metric("moons.rbf.train_accuracy", rbf_acc);
    margin_figure(report, blobs, linear, "margins_linear", "Linear SVM (C = 1) on two Gaussian blobs",
                  "Linear SVM: the decision boundary f = 0, the margins f = ±1 and the support vectors (circled).");
    margin_figure(report, moons, rbf, "margins_rbf", "RBF SVM (C = 1, γ = 1) on two moons",
                  "RBF SVM on moons: f = 0 and f = ±1 are curves in input space; only the circled points carry α > 0.");
    fmt::print("2-D: linear SVM {} SVs of {}, RBF SVM on moons {} SVs of {} (training accuracy {})\n",
               linear.solution.num_support_vectors, blobs.n(), rbf.solution.num_support_vectors, moons.n(),
               mlc::num(rbf_acc));
  }

  // ---- 2. Digits: (C, γ) by 3-fold CV on the training part of the first split ------------
  report.section("Digits: choosing C and γ by cross-validation");
  const auto digits = mlc::load_dataset("digits");
  Hyper best;
  {
    mlc::Rng split_rng(opt.seed);
    auto split = mlc::train_test_split(digits, 0.25, split_rng);
    const Eigen::Index n_grid = opt.quick ? 400 : split.train.n();
    mlc::Standardizer scaler;
    const Eigen::MatrixXd X = scaler.fit_transform(split.train.X.topRows(n_grid));
    const Eigen::VectorXi y = split.train.labels().head(n_grid);
    const std::vector<double> log_gammas =
        opt.quick ? std::vector<double>{-2.5, -1.5, -0.5} : std::vector<double>{-3.5, -3, -2.5, -2, -1.5, -1, -0.5};
    const std::vector<double> log_Cs = opt.quick ? std::vector<double>{-1, 1, 3} : std::vector<double>{-1, 0, 1, 2};
    mlc::Rng cv_rng(opt.seed + 100);
    const auto folds = mlc::stratified_kfold_indices(y, 3, cv_rng);
    Eigen::MatrixXd cv_acc = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(log_Cs.size()),
                                                   static_cast<Eigen::Index>(log_gammas.size()));
    long grid_iterations = 0;
    mlc::Timer grid_timer;
    for (std::size_t g = 0; g < log_gammas.size(); ++g) {
      const double gamma = std::pow(10.0, log_gammas[g]);
      const Eigen::MatrixXd K = svm::rbf_kernel_matrix(X, X, gamma);
      for (const auto& fold : folds) {
        const auto train = mlc::complement(fold, X.rows());
        const Eigen::MatrixXd K_tr = K(train, train), K_te = K(fold, train);
        const Eigen::MatrixXd X_tr = X(train, Eigen::all);
        const Eigen::VectorXi y_tr = y(train), y_te = y(fold);
        for (std::size_t c = 0; c < log_Cs.size(); ++c) {
          const auto model = svm::MultiClassSvm::fit_precomputed(K_tr, X_tr, y_tr, 10, svm::Kernel::rbf(gamma),
                                                                 {.C = std::pow(10.0, log_Cs[c])});
          cv_acc(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(g)) +=
              me::accuracy(y_te, model.predict_precomputed(K_te)) / static_cast<double>(folds.size());
          grid_iterations += model.total_iterations();
        }
      }
    }
    report.timing("digits.rbf.grid_search_seconds", grid_timer.seconds());
    Eigen::Index bc = 0, bg = 0;
    cv_acc.maxCoeff(&bc, &bg);  // first maximum in column-major order: the smallest γ, then the smallest C
    best = {std::pow(10.0, log_Cs[static_cast<std::size_t>(bc)]), std::pow(10.0, log_gammas[static_cast<std::size_t>(bg)])};
    mlc::Figure fig("Digits, RBF SVM: 3-fold CV accuracy over (γ, C)");
    fig.xlabel("log10 γ").ylabel("log10 C");
    fig.heatmap(cv_acc, log_gammas.front(), log_gammas.back(), log_Cs.front(), log_Cs.back(), "CV accuracy");
    fig.points(Eigen::VectorXd::Constant(1, log_gammas[static_cast<std::size_t>(bg)]),
               Eigen::VectorXd::Constant(1, log_Cs[static_cast<std::size_t>(bc)]), "chosen",
               {.color = 7, .point_type = 6, .point_size = 2.5});
    fig.vline(std::log10(1.0 / 64.0), "γ = 1/(d var)", {.color = 8, .dash = true});
    report.text(fmt::format(
        "RBF SVMs (one-vs-rest) on the standardized training part of split {} ({} images), 3-fold stratified "
        "CV over a grid of {} γ × {} C values ({} SMO problems, {} SMO iterations in total). One kernel matrix per "
        "γ serves every fold and every C. The default of libraries, γ = 1/(d · var x) = 1/64 on standardized "
        "features, lies inside the good ridge. The grid's best: C = {}, γ = {} (CV accuracy {}); "
        "the 5-split protocol below uses them.",
        opt.seed, X.rows(), log_gammas.size(), log_Cs.size(), log_gammas.size() * log_Cs.size() * folds.size() * 10,
        grid_iterations, mlc::num(best.C), mlc::num(best.gamma), mlc::num(cv_acc(bc, bg))));
    std::vector<std::string> header{"C \\ γ"};
    for (double lg : log_gammas) header.push_back(mlc::num(std::pow(10.0, lg), 3));
    std::vector<std::vector<std::string>> rows;
    for (std::size_t c = 0; c < log_Cs.size(); ++c) {
      rows.push_back({mlc::num(std::pow(10.0, log_Cs[c]))});
      for (std::size_t g = 0; g < log_gammas.size(); ++g)
        rows.back().push_back(mlc::num(cv_acc(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(g))));
    }
    report.table(header, rows);
    report.figure(fig, "digits_grid", "3-fold CV accuracy of the RBF SVM over log10 γ (x) and log10 C (y); "
                                      "the circle marks the chosen pair.");
    std::vector<double> flat(cv_acc.data(), cv_acc.data() + cv_acc.size());
    report.metric("digits.rbf.cv_grid_accuracy", flat);
    report.metric("digits.rbf.best_C", best.C);
    report.metric("digits.rbf.best_gamma", best.gamma);
    report.metric("digits.rbf.best_cv_accuracy", cv_acc(bc, bg));
    report.metric("digits.rbf.grid_smo_iterations", static_cast<double>(grid_iterations));
    fmt::print("Digits grid: best C = {}, gamma = {} (CV accuracy {})\n", mlc::num(best.C), mlc::num(best.gamma),
               mlc::num(cv_acc(bc, bg)));
  }

  // ---- 3. Digits on the 5-split protocol -------------------------------------------------
  report.section("Digits: kernels and multi-class schemes");
  {
    double fit_seconds = 0, predict_seconds = 0, ovo_fit_seconds = 0;
    const auto kernel_rbf = svm::Kernel::rbf(best.gamma);
    const auto kernel_poly = svm::Kernel::polynomial(1.0 / 64.0, 1.0, 3);
    const auto summary = me::evaluate_on_splits(digits, repeats, opt.seed, [&](const mlc::Dataset& train,
                                                                               const mlc::Dataset& test) {
      const Eigen::VectorXi y_tr = train.labels(), y_te = test.labels();
      std::map<std::string, double> out;
      mlc::Timer timer;
      const Eigen::MatrixXd K = svm::kernel_matrix(kernel_rbf, train.X, train.X);
      const auto ovr = svm::MultiClassSvm::fit_precomputed(K, train.X, y_tr, 10, kernel_rbf, {.C = best.C});
      fit_seconds += timer.seconds();
      timer.reset();
      const Eigen::MatrixXd K_te = svm::kernel_matrix(kernel_rbf, test.X, train.X);
      out["rbf.test_accuracy"] = me::accuracy(y_te, ovr.predict_precomputed(K_te));
      predict_seconds += timer.seconds();
      out["rbf.train_accuracy"] = me::accuracy(y_tr, ovr.predict_precomputed(K));
      out["rbf.num_support_vectors"] = static_cast<double>(ovr.num_support_vectors());
      out["rbf.smo_iterations"] = static_cast<double>(ovr.total_iterations());
      out["rbf.converged"] = ovr.converged() ? 1.0 : 0.0;
      timer.reset();
      const auto ovo = svm::MultiClassSvm::fit_precomputed(K, train.X, y_tr, 10, kernel_rbf, {.C = best.C},
                                                           svm::MultiClassScheme::kOneVsOne);
      ovo_fit_seconds += timer.seconds();
      out["rbf_ovo.test_accuracy"] = me::accuracy(y_te, ovo.predict_precomputed(K_te));
      out["rbf_ovo.num_support_vectors"] = static_cast<double>(ovo.num_support_vectors());
      out["rbf_ovo.smo_iterations"] = static_cast<double>(ovo.total_iterations());
      for (const auto& [name, kernel, C] : {std::tuple{std::string("poly"), kernel_poly, best.C},
                                            std::tuple{std::string("linear"), svm::Kernel::linear(), 0.1}}) {
        const auto m = svm::MultiClassSvm::fit(train.X, y_tr, 10, kernel, {.C = C});
        out[name + ".test_accuracy"] = me::accuracy(y_te, m.predict(test.X));
        out[name + ".num_support_vectors"] = static_cast<double>(m.num_support_vectors());
        out[name + ".smo_iterations"] = static_cast<double>(m.total_iterations());
      }
      return out;
    });
    report.timing("digits.rbf.fit_seconds", fit_seconds / repeats);
    report.timing("digits.rbf.predict_seconds", predict_seconds / repeats);
    report.timing("digits.rbf_ovo.fit_seconds", ovo_fit_seconds / repeats);
    std::vector<std::vector<std::string>> rows;
    const std::vector<std::tuple<std::string, std::string, std::string>> models{
        {"rbf", fmt::format("RBF, γ = {}", mlc::num(best.gamma)), fmt::format("{}", mlc::num(best.C))},
        {"rbf_ovo", fmt::format("RBF, γ = {}", mlc::num(best.gamma)), fmt::format("{}", mlc::num(best.C))},
        {"poly", "polynomial (x·x'/64 + 1)³", fmt::format("{}", mlc::num(best.C))},
        {"linear", "linear", "0.1"}};
    for (const auto& [key, kernel_name, C] : models) {
      const double mean = summary.mean(key + ".test_accuracy"), sd = summary.sd(key + ".test_accuracy");
      rows.push_back({kernel_name, key == "rbf_ovo" ? "one-vs-one (45)" : "one-vs-rest (10)", C, mlc::mean_sd(mean, sd),
                      mlc::num(summary.mean(key + ".num_support_vectors")),
                      mlc::num(summary.mean(key + ".smo_iterations"))});
      report.metric(fmt::format("digits.{}.test_accuracy", key), mean);
      report.metric(fmt::format("digits.{}.test_accuracy_sd", key), sd);
      report.metric(fmt::format("digits.{}.num_support_vectors", key), summary.mean(key + ".num_support_vectors"));
      report.metric(fmt::format("digits.{}.smo_iterations", key), summary.mean(key + ".smo_iterations"));
    }
    report.metric("digits.rbf.train_accuracy", summary.mean("rbf.train_accuracy"));
    report.metric("digits.rbf.all_converged", summary.mean("rbf.converged"));
    report.text(fmt::format(
        "{} stratified 75/25 splits (seeds {}..{}), standardized on each training part. Accuracy is mean ± sd over "
        "the splits; support vectors are distinct training images with α > 0 in some machine; iterations are SMO "
        "pair updates summed over the binary machines (mean over splits). Training accuracy of the RBF "
        "one-vs-rest model: {}. A mature library's RBF SVC reaches about 0.98–0.99 on this protocol (NOTES.md).",
        repeats, opt.seed, opt.seed + repeats - 1, mlc::num(summary.mean("rbf.train_accuracy"))));
    report.table({"kernel", "multi-class", "C", "test accuracy", "support vectors", "SMO iterations"}, rows);
    // The protocol of scikit-learn's "Recognizing hand-written digits" example: SVC(gamma = 0.001,
    // C = 1) on raw pixels 0..16, first 898 images train, last 899 test
    // (data/REFERENCE_NUMBERS.md §1.1).
    {
      const Eigen::Index half = 898;
      const Eigen::MatrixXd X_tr = digits.X.topRows(half), X_te = digits.X.bottomRows(digits.n() - half);
      const Eigen::VectorXi labels = digits.labels();
      const Eigen::VectorXi y_tr = labels.head(half), y_te = labels.tail(digits.n() - half);
      const auto kernel = svm::Kernel::rbf(0.001);
      const Eigen::MatrixXd K = svm::kernel_matrix(kernel, X_tr, X_tr), K_te = svm::kernel_matrix(kernel, X_te, X_tr);
      const auto ovo = svm::MultiClassSvm::fit_precomputed(K, X_tr, y_tr, 10, kernel, {.C = 1.0},
                                                           svm::MultiClassScheme::kOneVsOne);
      const auto ovr = svm::MultiClassSvm::fit_precomputed(K, X_tr, y_tr, 10, kernel, {.C = 1.0});
      const double acc_ovo = me::accuracy(y_te, ovo.predict_precomputed(K_te));
      const double acc_ovr = me::accuracy(y_te, ovr.predict_precomputed(K_te));
      const long correct = std::lround(acc_ovo * static_cast<double>(y_te.size()));
      report.metric("digits.sklearn_example.ovo_test_accuracy", acc_ovo);
      report.metric("digits.sklearn_example.ovr_test_accuracy", acc_ovr);
      report.metric("digits.sklearn_example.ovo_num_support_vectors", static_cast<double>(ovo.num_support_vectors()));
      report.text(fmt::format(
          "Reference check on scikit-learn's own protocol (its example \"Recognizing hand-written digits\": "
          "SVC(gamma = 0.001), C = 1, raw pixels, first 898 images train, last {} test; LIBSVM inside, one-vs-one): "
          "the published report gives 871/{} = 0.9689.",
          y_te.size(), y_te.size()));
      report.table({"", "test accuracy", "correct"},
                   {{"scikit-learn SVC (published)", "0.9689", "871"},
                    {"ours, one-vs-one", mlc::num(acc_ovo), std::to_string(correct)},
                    {"ours, one-vs-rest", mlc::num(acc_ovr), std::to_string(std::lround(acc_ovr * static_cast<double>(y_te.size())))}});
    }
    fmt::print("Digits RBF one-vs-rest: test accuracy {} (one-vs-one {}, polynomial {}, linear {})\n",
               mlc::mean_sd(summary.mean("rbf.test_accuracy"), summary.sd("rbf.test_accuracy")),
               mlc::num(summary.mean("rbf_ovo.test_accuracy")), mlc::num(summary.mean("poly.test_accuracy")),
               mlc::num(summary.mean("linear.test_accuracy")));
  }

  // ---- 4. Breast cancer: SMO and Pegasos; scaling ------------------------------------------
  report.section("Breast cancer: dual and primal solvers");
  const auto cancer = mlc::load_dataset("breast_cancer");
  const double lambda = 0.01;
  const double cancer_gamma = 1.0 / static_cast<double>(cancer.d());
  const long pegasos_steps = opt.quick ? 5000 : 20000;
  double unscaled_acc = 0, scaled_acc = 0, unscaled_sd = 0, majority = 0;
  {
    const auto summary = me::evaluate_on_splits(cancer, repeats, opt.seed, [&](const mlc::Dataset& train,
                                                                               const mlc::Dataset& test) {
      const Eigen::VectorXd y_tr = plus_minus(train.labels()), y_te = plus_minus(test.labels());
      std::map<std::string, double> out;
      const auto rbf = svm::BinarySvm::fit(train.X, y_tr, svm::Kernel::rbf(cancer_gamma), {.C = 1.0});
      out["rbf"] = sign_accuracy(y_te, rbf.predict(test.X));
      const double C = 1.0 / (lambda * static_cast<double>(train.n()));
      const auto lin = svm::BinarySvm::fit(train.X, y_tr, svm::Kernel::linear(), {.C = C});
      out["linear_smo"] = sign_accuracy(y_te, lin.predict(test.X));
      mlc::Rng rng(opt.seed + 7);
      for (const auto& [name, loss] : {std::pair{std::string("pegasos_hinge"), svm::Loss::kHinge},
                                       std::pair{std::string("pegasos_log"), svm::Loss::kLogistic}}) {
        const auto m = svm::pegasos(train.X, y_tr, {.lambda = lambda, .iterations = pegasos_steps, .loss = loss}, rng);
        out[name] = sign_accuracy(y_te, m.predict(test.X));
      }
      return out;
    });
    // The same splits without standardization (the failure mode of section 6).
    const auto raw = me::evaluate_on_splits(
        cancer, repeats, opt.seed,
        [&](const mlc::Dataset& train, const mlc::Dataset& test) {
          const Eigen::VectorXd y_tr = plus_minus(train.labels()), y_te = plus_minus(test.labels());
          const auto rbf = svm::BinarySvm::fit(train.X, y_tr, svm::Kernel::rbf(cancer_gamma), {.C = 1.0});
          const Eigen::VectorXd p = rbf.predict(test.X);
          return std::map<std::string, double>{{"rbf_raw", sign_accuracy(y_te, p)},
                                               {"majority", std::max(y_te.mean(), -y_te.mean()) / 2.0 + 0.5},
                                               {"predicted_positive", (p.array() > 0).cast<double>().mean()}};
        },
        0.25, /*standardize=*/false);
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, label] : std::vector<std::pair<std::string, std::string>>{
             {"rbf", fmt::format("RBF SVM, SMO (C = 1, γ = 1/d = {})", mlc::num(cancer_gamma))},
             {"linear_smo", fmt::format("linear SVM, SMO (C = 1/(λn), λ = {})", lambda)},
             {"pegasos_hinge", fmt::format("linear SVM, Pegasos hinge (λ = {}, {} steps)", lambda, pegasos_steps)},
             {"pegasos_log", fmt::format("logistic, Pegasos-style SGD (λ = {}, {} steps)", lambda, pegasos_steps)}}) {
      rows.push_back({label, mlc::mean_sd(summary.mean(key), summary.sd(key))});
      report.metric(fmt::format("breast_cancer.{}.test_accuracy", key), summary.mean(key));
      report.metric(fmt::format("breast_cancer.{}.test_accuracy_sd", key), summary.sd(key));
    }
    scaled_acc = summary.mean("rbf");
    unscaled_acc = raw.mean("rbf_raw");
    unscaled_sd = raw.sd("rbf_raw");
    majority = raw.mean("majority");
    report.metric("breast_cancer.rbf_raw.test_accuracy", unscaled_acc);
    report.metric("breast_cancer.rbf_raw.test_accuracy_sd", unscaled_sd);
    report.metric("breast_cancer.rbf_raw.predicted_positive_fraction", raw.mean("predicted_positive"));
    report.metric("breast_cancer.majority_class_rate", majority);
    report.text(fmt::format("{} stratified 75/25 splits, standardized on each training part; test accuracy mean ± sd. "
                            "Pegasos draws one example per step (batch 1) and returns the average of the second half "
                            "of its iterates.",
                            repeats));
    report.table({"model", "test accuracy"}, rows);
    fmt::print("Breast cancer: RBF SVM {}, linear SMO {}, Pegasos hinge {}, log loss {}\n",
               mlc::num(summary.mean("rbf")), mlc::num(summary.mean("linear_smo")),
               mlc::num(summary.mean("pegasos_hinge")), mlc::num(summary.mean("pegasos_log")));
  }

  // ---- 5. Hinge versus log loss; Pegasos against the SMO dual optimum ----------------------
  report.section("Hinge loss versus log loss");
  {
    const Eigen::VectorXd z = Eigen::VectorXd::LinSpaced(241, -3.0, 3.0);
    Eigen::VectorXd hinge(z.size()), logl(z.size()), zero_one(z.size()), sq_hinge(z.size());
    for (Eigen::Index i = 0; i < z.size(); ++i) {
      hinge(i) = svm::margin_loss(z(i), svm::Loss::kHinge);
      logl(i) = svm::margin_loss(z(i), svm::Loss::kLogistic) / std::log(2.0);
      zero_one(i) = z(i) <= 0 ? 1.0 : 0.0;
    }
    mlc::Figure losses("Margin losses as functions of z = y f(x)");
    losses.xlabel("margin z = y f(x)").ylabel("loss").yrange(0, 4.2);
    losses.line(z, zero_one, "0-1 loss", {.color = 8});
    losses.line(z, hinge, "hinge max(0, 1 - z)");
    losses.line(z, logl, "log loss log2(1 + e^{-z})");
    report.figure(losses, "losses",
                  "Hinge and (rescaled) log loss are convex upper bounds of the 0-1 loss (11). The hinge is exactly "
                  "zero beyond z = 1, so only points with z ≤ 1 enter the solution: support vectors.");

    mlc::Rng split_rng(opt.seed);
    auto split = mlc::train_test_split(cancer, 0.25, split_rng);
    mlc::Standardizer scaler;
    const Eigen::MatrixXd X = scaler.fit_transform(split.train.X), X_te = scaler.transform(split.test.X);
    const Eigen::VectorXd y = plus_minus(split.train.labels()), y_te = plus_minus(split.test.labels());
    const double n = static_cast<double>(X.rows());
    const auto dual = svm::BinarySvm::fit(X, y, svm::Kernel::linear(), {.C = 1.0 / (lambda * n), .tolerance = 1e-6});
    const double p_star = lambda * dual.solution.objective;  // P* = λ D* for C = 1/(λn)
    mlc::Figure conv("Pegasos on breast cancer: primal objective per step");
    conv.xlabel("step t").ylabel("P(w_t, b_t)").logx().logy().legend("top right");
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, loss] : {std::pair{std::string("hinge"), svm::Loss::kHinge},
                                    std::pair{std::string("log"), svm::Loss::kLogistic}}) {
      mlc::Rng rng(opt.seed + 11);
      const auto m = svm::pegasos(X, y,
                                  {.lambda = lambda, .iterations = pegasos_steps, .record_every = 20, .loss = loss}, rng);
      Eigen::VectorXd steps(static_cast<Eigen::Index>(m.recorded_steps.size()));
      for (Eigen::Index i = 0; i < steps.size(); ++i) steps(i) = static_cast<double>(m.recorded_steps[static_cast<std::size_t>(i)]);
      conv.line(steps, m.recorded_objective, key == "hinge" ? "hinge (raw iterate)" : "log loss (raw iterate)");
      const Eigen::VectorXd margins = y.cwiseProduct(m.decision_function(X));
      const double final_p = svm::primal_objective(m.w, m.b, X, y, lambda, loss);
      // Points that contribute to the gradient at the solution: z < 1 for the hinge; for the
      // log loss every point does, those with weight σ(−z) > 0.01 are counted.
      const double active = loss == svm::Loss::kHinge
                                ? (margins.array() < 1.0).cast<double>().mean()
                                : (margins.array() < std::log(99.0)).cast<double>().mean();
      const double acc = sign_accuracy(y_te, m.predict(X_te));
      report.metric(fmt::format("breast_cancer.pegasos_{}.split0_test_accuracy", key), acc);
      report.metric(fmt::format("breast_cancer.pegasos_{}.final_objective", key), final_p);
      report.metric(fmt::format("breast_cancer.pegasos_{}.active_fraction", key), active);
      std::string gap = "—";
      if (loss == svm::Loss::kHinge) {
        const double rel_gap = (final_p - p_star) / p_star;
        const double w_diff = (m.w - dual.primal_weights()).norm() / dual.primal_weights().norm();
        report.metric("breast_cancer.pegasos_hinge.relative_duality_gap", rel_gap);
        report.metric("breast_cancer.pegasos_hinge.relative_w_difference", w_diff);
        gap = fmt::format("{} (‖w − w_SMO‖/‖w_SMO‖ = {})", mlc::num(rel_gap, 3), mlc::num(w_diff, 3));
      }
      rows.push_back({key, mlc::num(acc), mlc::num(active), mlc::num(final_p, 6), gap});
    }
    conv.hline(p_star, "hinge optimum λD* from the SMO dual", {.color = 7, .dash = true});
    report.metric("breast_cancer.linear_smo.dual_optimum_scaled", p_star);
    report.metric("breast_cancer.linear_smo.num_support_vectors", static_cast<double>(dual.solution.num_support_vectors));
    report.text(fmt::format(
        "One split (seed {}), λ = {}, {} Pegasos steps of batch 1 with η_t = 1/(λ(t + t₀)), t₀ = 1/λ (10). The linear SVM solved in the "
        "dual by SMO with C = 1/(λn) = {} gives D* with P* = λD* = {} (strong duality); Pegasos' averaged primal "
        "solution approaches it from above. 'Active' is the fraction of training points that still shape the "
        "solution: margin < 1 for the hinge (support vectors), weight σ(−z) > 0.01 for the log loss.",
        opt.seed, lambda, pegasos_steps, mlc::num(1.0 / (lambda * n)), mlc::num(p_star, 6)));
    report.table({"loss", "test accuracy", "active fraction", "final P(w, b)", "relative gap to λD*"}, rows);
    report.figure(conv, "pegasos_convergence",
                  "Primal objective (9) of the raw Pegasos iterates for the hinge and the log loss; the dashed line "
                  "is the hinge optimum certified by the SMO dual (3).");
  }

  // ---- 6. Failure modes ------------------------------------------------------------------
  report.section("Failure-mode experiments");
  mlc::Rng split_rng(opt.seed);
  auto split = mlc::train_test_split(digits, 0.25, split_rng);
  mlc::Standardizer scaler;
  const Eigen::MatrixXd X_all = scaler.fit_transform(split.train.X), X_test = scaler.transform(split.test.X);
  const Eigen::VectorXi y_all = split.train.labels(), y_test = split.test.labels();

  // (a) γ too large memorizes.
  {
    const Eigen::Index n_sub = opt.quick ? 300 : 500;
    const Eigen::MatrixXd X = X_all.topRows(n_sub);
    const Eigen::VectorXi y = y_all.head(n_sub);
    const std::vector<double> gammas = opt.quick ? std::vector<double>{0.001, 0.015, 0.1, 1, 10}
                                                 : std::vector<double>{0.001, 0.003, 0.01, 0.015, 0.03, 0.1, 0.3, 1, 3, 10};
    std::vector<double> train_acc, test_acc, sv_fraction;
    for (double gamma : gammas) {
      const auto m = svm::MultiClassSvm::fit(X, y, 10, svm::Kernel::rbf(gamma), {.C = best.C});
      train_acc.push_back(me::accuracy(y, m.predict(X)));
      test_acc.push_back(me::accuracy(y_test, m.predict(X_test)));
      sv_fraction.push_back(static_cast<double>(m.num_support_vectors()) / static_cast<double>(n_sub));
    }
    const auto m_best = svm::MultiClassSvm::fit(X, y, 10, svm::Kernel::rbf(best.gamma), {.C = best.C});
    const double best_test = me::accuracy(y_test, m_best.predict(X_test));
    mlc::Figure fig(fmt::format("RBF SVM on {} digits (C = {}): accuracy against γ", n_sub, mlc::num(best.C)));
    fig.xlabel("γ").ylabel("accuracy / fraction").logx().yrange(0, 1.05).legend("bottom left");
    fig.line_points(gammas, train_acc, "training accuracy");
    fig.line_points(gammas, test_acc, "test accuracy");
    fig.line_points(gammas, sv_fraction, "support-vector fraction", {.dash = true});
    fig.vline(best.gamma, "chosen γ", {.color = 8, .dash = true});
    report.figure(fig, "gamma_memorization",
                  "As γ grows, K → I: every training point becomes a support vector and is fitted, while test "
                  "points are far from all of them.");
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < gammas.size(); ++i)
      rows.push_back({mlc::num(gammas[i]), mlc::num(train_acc[i]), mlc::num(test_acc[i]), mlc::num(sv_fraction[i])});
    report.table({"γ", "training accuracy", "test accuracy", "support-vector fraction"}, rows);
    report.metric("digits.gamma_sweep.gamma", gammas);
    report.metric("digits.gamma_sweep.train_accuracy", train_acc);
    report.metric("digits.gamma_sweep.test_accuracy", test_acc);
    report.metric("digits.gamma_sweep.support_vector_fraction", sv_fraction);
    report.metric("digits.large_gamma.train_accuracy", train_acc.back());
    report.metric("digits.large_gamma.test_accuracy", test_acc.back());
    report.metric("digits.large_gamma.support_vector_fraction", sv_fraction.back());
    report.metric("digits.subset_chosen_gamma.test_accuracy", best_test);
    report.failure_mode(
        {.name = "γ too large memorizes the training set",
         .trigger = fmt::format("RBF SVM on {} standardized digits with γ = {} (≈ {}× the chosen {}), C = {}",
                                n_sub, mlc::num(gammas.back()), mlc::num(gammas.back() / best.gamma, 3),
                                mlc::num(best.gamma), mlc::num(best.C)),
         .symptom = fmt::format("training accuracy {}, test accuracy {} on {} test images; support-vector "
                                "fraction {}",
                                mlc::num(train_acc.back()), mlc::num(test_acc.back()), X_test.rows(),
                                mlc::num(sv_fraction.back())),
         .why = "exp(−γ‖x − x'‖²) vanishes for every pair of distinct images, so K ≈ I: the dual fits each training "
                "point by its own bump, and a test point far from all bumps gets f_k(x) ≈ −ρ_k for every class.",
         .mitigation = fmt::format("choose γ by cross-validation (γ = {}): test accuracy {} on the same subset",
                                   mlc::num(best.gamma), mlc::num(best_test))});
    fmt::print("gamma = {}: train {} test {}; chosen gamma {}: test {}\n", gammas.back(), mlc::num(train_acc.back()),
               mlc::num(test_acc.back()), mlc::num(best.gamma), mlc::num(best_test));
  }

  // (b) Unscaled features.
  {
    const Eigen::ArrayXd sd = ((cancer.X.rowwise() - cancer.X.colwise().mean()).array().square().colwise().sum() /
                               static_cast<double>(cancer.n() - 1)).sqrt();
    const double span = std::log10(sd.maxCoeff() / sd.minCoeff());
    report.metric("breast_cancer.feature_sd_span_decades", span);
    report.failure_mode(
        {.name = "Unscaled features break the RBF kernel",
         .trigger = fmt::format("RBF SVM (C = 1, γ = 1/d) on the raw breast-cancer features, whose standard deviations "
                                "span {} orders of magnitude",
                                mlc::num(span, 3)),
         .symptom = fmt::format("test accuracy {} over {} splits, against {} for always predicting the majority class",
                                mlc::mean_sd(unscaled_acc, unscaled_sd), repeats, mlc::num(majority)),
         .why = "‖x − x'‖² is dominated by the area features (~10⁵ in squared units): K ≈ I between distinct points, "
                "and the informative small-scale features are invisible to the kernel.",
         .mitigation = fmt::format("standardize with the training part's statistics: test accuracy {}",
                                   mlc::num(scaled_acc))});
    fmt::print("Breast cancer RBF: raw features {}, standardized {}\n", mlc::num(unscaled_acc), mlc::num(scaled_acc));
  }

  // (c) Super-linear cost in n.
  {
    const std::vector<Eigen::Index> sizes =
        opt.quick ? std::vector<Eigen::Index>{100, 200, 400} : std::vector<Eigen::Index>{250, 500, 1000, X_all.rows()};
    std::vector<double> ns, iterations, solver_work, kernel_work, accs;
    for (const Eigen::Index n : sizes) {
      const Eigen::MatrixXd X = X_all.topRows(n);
      const Eigen::VectorXi y = y_all.head(n);
      mlc::Timer timer;
      const auto m = svm::MultiClassSvm::fit(X, y, 10, svm::Kernel::rbf(best.gamma), {.C = best.C});
      report.timing(fmt::format("scaling.n_{}.fit_seconds", n), timer.seconds());
      ns.push_back(static_cast<double>(n));
      iterations.push_back(static_cast<double>(m.total_iterations()));
      solver_work.push_back(static_cast<double>(m.total_iterations()) * static_cast<double>(n));
      kernel_work.push_back(static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(X.cols()));
      accs.push_back(me::accuracy(y_test, m.predict(X_test)));
    }
    const double p_iter = svm::fitted_exponent(ns, iterations), p_work = svm::fitted_exponent(ns, solver_work);
    const double p_kernel = svm::fitted_exponent(ns, kernel_work);
    mlc::Figure fig("SMO cost against the number of training points (digits, one-vs-rest)");
    fig.xlabel("n").ylabel("count").logx().logy().legend("top left");
    fig.line_points(ns, iterations, fmt::format("SMO iterations (slope {})", mlc::num(p_iter, 3)));
    fig.line_points(ns, solver_work,
                    fmt::format("iterations × n: gradient updates (slope {})", mlc::num(p_work, 3)));
    fig.line_points(ns, kernel_work,
                    fmt::format("n² d: kernel matrix (slope {})", mlc::num(p_kernel, 3)));
    report.figure(fig, "smo_scaling", "Deterministic operation counts of SMO on growing training sets; slopes on "
                                      "log-log axes are the fitted exponents (12). Wall times are in the Timing table.");
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < sizes.size(); ++i)
      rows.push_back({std::to_string(sizes[i]), mlc::num(iterations[i], 6), mlc::num(solver_work[i], 4),
                      mlc::num(kernel_work[i], 4), mlc::num(accs[i])});
    report.table({"n", "SMO iterations", "iterations × n", "kernel n² d", "test accuracy"}, rows);
    report.metric("scaling.n", ns);
    report.metric("scaling.smo_iterations", iterations);
    report.metric("scaling.solver_work", solver_work);
    report.metric("scaling.test_accuracy", accs);
    report.metric("scaling.iterations_exponent", p_iter);
    report.metric("scaling.solver_work_exponent", p_work);
    report.metric("scaling.kernel_work_exponent", p_kernel);

    // Mitigation: a linear machine in the primal, whose cost does not depend on n.
    mlc::Rng rng(opt.seed + 21);
    const long steps = opt.quick ? 3000 : 10000;
    mlc::Timer timer;
    const auto linear = svm::pegasos_one_vs_rest(X_all, y_all, 10, {.lambda = 1e-3, .iterations = steps}, rng);
    report.timing("scaling.pegasos_ovr.fit_seconds", timer.seconds());
    const double pegasos_acc = me::accuracy(y_test, linear.predict(X_test));
    const double pegasos_work = 10.0 * static_cast<double>(steps) * static_cast<double>(X_all.cols());
    // The same with Pegasos' own schedule η_t = 1/(λt) (t₀ = 0): the unregularised bias is thrown to ±1/λ.
    mlc::Rng rng_plain(opt.seed + 21);
    const auto plain = svm::pegasos_one_vs_rest(X_all, y_all, 10, {.lambda = 1e-3, .iterations = steps, .t0 = 0}, rng_plain);
    const double plain_acc = me::accuracy(y_test, plain.predict(X_test));
    report.metric("digits.pegasos_ovr_t0_zero.test_accuracy", plain_acc);
    report.metric("digits.pegasos_ovr.test_accuracy", pegasos_acc);
    report.metric("digits.pegasos_ovr.work", pegasos_work);
    report.text(fmt::format(
        "Pegasos one-vs-rest (linear, λ = 10⁻³, {} steps per class) on all {} training images does 10 · T · d = {} "
        "multiply-adds whatever n is, and reaches test accuracy {}: the escape when n outgrows the kernel matrix, at "
        "the price of a linear model. With Pegasos' original schedule η_t = 1/(λt) (t₀ = 0) instead of 1/(λ(t + 1/λ)) "
        "the same run reaches only {}: the first step throws the unregularised bias to ±1/λ.",
        steps, X_all.rows(), mlc::num(pegasos_work), mlc::num(pegasos_acc), mlc::num(plain_acc)));
    report.failure_mode(
        {.name = "Training cost grows super-linearly with n",
         .trigger = fmt::format("RBF SVM (one-vs-rest, C = {}, γ = {}) on the first n = {}..{} digits", mlc::num(best.C),
                                mlc::num(best.gamma), sizes.front(), sizes.back()),
         .symptom = fmt::format("SMO iterations grow as n^{}, the gradient work (iterations × n) as n^{}, the kernel "
                                "matrix as n^{} ({} to {} iterations); wall times in the Timing table",
                                mlc::num(p_iter, 3), mlc::num(p_work, 3), mlc::num(p_kernel, 3),
                                mlc::num(iterations.front(), 6), mlc::num(iterations.back(), 6)),
         .why = "the number of support vectors grows linearly with n and SMO must visit each of them (iterations ≳ n), "
                "each visit costs O(n) for the working-set selection and the gradient update; the kernel matrix costs "
                "n² d once and 8n² bytes.",
         .mitigation = fmt::format("a linear SVM in the primal by Pegasos costs 10 T d = {} multiply-adds independent of n "
                                   "and reaches {} on the same test part (the RBF machine: {})",
                                   mlc::num(pegasos_work), mlc::num(pegasos_acc), mlc::num(accs.back()))});
    fmt::print("Scaling: iterations ~ n^{}, iterations*n ~ n^{}; Pegasos OvR test accuracy {}\n", mlc::num(p_iter, 3),
               mlc::num(p_work, 3), mlc::num(pegasos_acc));
  }

  report.write();
}

}  // namespace

int main(int argc, char** argv) { return mlc::lesson_main(argc, argv, kLesson, run); }
