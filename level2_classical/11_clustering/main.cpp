// 2.11 clustering: k-means (Lloyd + k-means++), Gaussian mixtures by EM and DBSCAN on blobs,
// anisotropic blobs, moons and iris, judged by the adjusted Rand index and the silhouette.
//
// Experiments (each a section of report.md):
//   1. the three methods on blobs, anisotropic blobs (blobs times a linear map) and moons;
//   2. iris (raw and standardized features): k-means and a full-covariance GMM, each the best
//      of 10 initializations, over 5 seeds; the silhouette against k;
//   3. the EM log-likelihood per iteration (monotone, (10));
//   4. failure modes: k-means on non-convex and anisotropic clusters (from section 1); EM
//      collapse onto a tiny cluster of identical points and the covariance floor; random
//      seeding vs k-means++.
// Sources: Lloyd (1982); Arthur & Vassilvitskii (2007); Dempster, Laird & Rubin (1977);
// Bishop, PRML §9.1–9.2; Hubert & Arabie (1985); Rousseeuw (1987); Ester et al. (1996).
// Run: ./learn run clustering [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "clustering.hpp"
#include "lesson_identity.hpp"
#include "mlc/data.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "mlc/timer.hpp"

namespace cl = clustering;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;
using Rows = std::vector<std::vector<std::string>>;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "k-means (Lloyd's algorithm with k-means++ seeding), Gaussian mixtures fitted by EM with full "
    "covariances (Cholesky + log-sum-exp), and DBSCAN, on blobs, anisotropic blobs, moons and "
    "iris, scored by the adjusted Rand index and the silhouette. Failure modes provoked and "
    "measured: k-means on non-convex and anisotropic clusters, EM collapsing onto a tiny cluster "
    "of identical points (likelihood +inf) and the covariance floor that prevents it, random "
    "seeding stuck in bad local optima where k-means++ is not.",
    "report.md, metrics.json, figures/clusters_blobs.svg, figures/clusters_anisotropic.svg, "
    "figures/clusters_moons.svg, figures/em_log_likelihood.svg, figures/em_collapse.svg, "
    "figures/init_inertia.svg");

// For display only: renames clusters so that each takes the colour of the true class it
// overlaps most (greedy on the contingency table); noise (-1) stays -1.
VectorXi match_colours(const VectorXi& truth, const VectorXi& labels) {
  const int kt = truth.maxCoeff() + 1, kl = std::max(labels.maxCoeff() + 1, 1);
  MatrixXd M = MatrixXd::Zero(kl, kt);
  for (Index i = 0; i < labels.size(); ++i)
    if (labels(i) >= 0) M(labels(i), truth(i)) += 1.0;
  VectorXi map = VectorXi::Constant(kl, -1);
  for (int step = 0; step < std::min(kl, kt); ++step) {
    Index r = 0, c = 0;
    if (M.maxCoeff(&r, &c) <= 0.0) break;
    map(r) = static_cast<int>(c);
    M.row(r).setConstant(-1.0);
    M.col(c).setConstant(-1.0);
  }
  int next = kt;  // clusters left unmatched get colours after the classes'
  for (int& m : map)
    if (m < 0) m = next++;
  return labels.unaryExpr([&](int l) { return l < 0 ? -1 : map(l); });
}

// The values of a per-iteration history against the iteration 0, 1, ...
VectorXd iteration_axis(std::size_t n) {
  return VectorXd::LinSpaced(static_cast<Index>(n), 0.0, static_cast<double>(n) - 1.0);
}

// ---- 1. Blobs, anisotropic blobs, moons ----------------------------------------------------

struct Scene {
  std::string key, title;
  mlc::Dataset data;
  int k;
};

struct SceneResult {
  double ari_kmeans, ari_gmm, ari_dbscan;
};

// Three panels side by side, each rescaled to the unit square: k-means | GMM | DBSCAN.
mlc::Figure panels_figure(const Scene& s, const std::vector<VectorXi>& labels) {
  const MatrixXd& X = s.data.X;
  const Index n = X.rows();
  const Eigen::RowVectorXd lo = X.colwise().minCoeff();
  const double span = (X.colwise().maxCoeff() - lo).maxCoeff();
  MatrixXd P(3 * n, 2);
  VectorXi L(3 * n);
  std::vector<double> noise_x, noise_y;
  for (Index m = 0; m < 3; ++m) {
    const VectorXi shown = match_colours(s.data.labels(), labels[static_cast<std::size_t>(m)]);
    for (Index i = 0; i < n; ++i) {
      P.row(m * n + i) = (X.row(i) - lo) / span;
      P(m * n + i, 0) += 1.25 * static_cast<double>(m);
      L(m * n + i) = shown(i);
      if (shown(i) < 0) {
        noise_x.push_back(P(m * n + i, 0));
        noise_y.push_back(P(m * n + i, 1));
      }
    }
  }
  std::vector<std::string> names;
  for (int c = 0; c <= std::max(0, L.maxCoeff()); ++c)
    names.push_back(fmt::format("cluster {}", c + 1));
  mlc::Figure fig(fmt::format("{}: k-means (left), GMM (middle), DBSCAN (right)", s.title));
  fig.xlabel("x_1, rescaled (panels offset by 1.25)").ylabel("x_2, rescaled").size(1080, 420);
  fig.legend("outside right top").equal_axes();
  fig.scatter_classes(P, L, names, 0.35);
  if (!noise_x.empty())
    fig.points(noise_x, noise_y, "DBSCAN noise", {.color = 8, .point_type = 1, .point_size = 0.5});
  return fig;
}

SceneResult run_scene(mlc::Report& report, const Scene& s, mlc::Rng rng, Rows& table) {
  const MatrixXd& X = s.data.X;
  const VectorXi truth = s.data.labels();
  const int min_points = 5;
  mlc::Timer timer;
  const cl::KMeansResult km = cl::kmeans(X, s.k, rng, {.n_init = 10});
  report.timing(s.key + ".kmeans.fit_seconds", timer.seconds());
  timer.reset();
  const cl::GmmFit gmm = cl::fit_gmm_best_of(X, s.k, 10, rng);
  report.timing(s.key + ".gmm.fit_seconds", timer.seconds());
  timer.reset();
  // eps = the 0.98 quantile of the distance to the (min_points − 1)-th neighbour (Ester et al.
  // §4.2).
  VectorXd kd = cl::k_distance(X, min_points - 1);  // min_points counts the point itself
  std::sort(kd.begin(), kd.end());
  const double eps = kd(static_cast<Index>(0.98 * static_cast<double>(kd.size() - 1)));
  const cl::DbscanResult db = cl::dbscan(X, eps, min_points);
  report.timing(s.key + ".dbscan.fit_seconds", timer.seconds());
  const double noise =
      static_cast<double>((db.labels.array() < 0).count()) / static_cast<double>(X.rows());

  const SceneResult r{cl::adjusted_rand_index(truth, km.labels),
                      cl::adjusted_rand_index(truth, gmm.labels),
                      cl::adjusted_rand_index(truth, db.labels)};
  const auto q = [&](const std::string& name, double value) {
    return report.quote(s.key + name, value);
  };
  table.push_back({s.title, q(".kmeans.adjusted_rand_index", r.ari_kmeans),
                   q(".gmm.adjusted_rand_index", r.ari_gmm),
                   q(".dbscan.adjusted_rand_index", r.ari_dbscan), q(".dbscan.eps", eps),
                   q(".dbscan.clusters", db.num_clusters), q(".dbscan.noise_fraction", noise),
                   q(".kmeans.silhouette", cl::silhouette_score(X, km.labels))});
  const auto& row = table.back();
  report.figure(panels_figure(s, {km.labels, gmm.labels, db.labels}), "clusters_" + s.key,
                fmt::format("{}: clusters found by k-means (ARI {}), the GMM (ARI {}) and DBSCAN "
                            "(eps {}, min_points {}; ARI {}), colours matched to the true classes",
                            s.title, row[1], row[2], row[4], min_points, row[3]));
  fmt::print(
      "  {:<20} ARI k-means {:.3f}  GMM {:.3f}  DBSCAN {:.3f} ({} clusters, {:.1f}% noise)\n",
      s.title, r.ari_kmeans, r.ari_gmm, r.ari_dbscan, db.num_clusters, 100.0 * noise);
  return r;
}

void scenes_section(mlc::Report& report, const mlc::Options& opt, const mlc::Rng& root) {
  const Index n = opt.quick ? 300 : 1500;
  const MatrixXd centers{{-4.0, -4.0}, {0.0, 3.0}, {4.0, -1.0}};
  mlc::Rng data_rng = root.derive(1);
  const Scene blobs{"blobs", "Blobs", mlc::make_blobs(n, centers, 1.0, data_rng), 3};
  Scene aniso{"anisotropic", "Anisotropic blobs", mlc::make_blobs(n, centers, 1.0, data_rng), 3};
  aniso.data.X = aniso.data.X * Eigen::Matrix2d{{0.6, -0.6}, {-0.4, 0.8}};  // x ↦ x A
  const Scene moons{"moons", "Moons", mlc::make_moons(n, 0.06, data_rng), 2};

  report.section("Blobs, anisotropic blobs and moons");
  report.text(fmt::format(
      "{} points per data set. Blobs: three unit-variance Gaussians at (-4, -4), (0, 3), (4, -1). "
      "Anisotropic: the same kind of blobs mapped by x ↦ x A, A = [[0.6, -0.6], [-0.4, 0.8]]. "
      "Moons: two half circles, noise 0.06. k-means: best of 10 k-means++ seedings; GMM: best of "
      "10 EM runs; DBSCAN: min_points = 5 and eps the 0.98 quantile of the distance to the 4th "
      "nearest neighbour (Ester et al.'s k-dist heuristic). ARI against the generating labels.",
      n));
  Rows table;
  run_scene(report, blobs, root.derive(2), table);
  const SceneResult ra = run_scene(report, aniso, root.derive(3), table);
  const SceneResult rm = run_scene(report, moons, root.derive(4), table);
  report.table({"data", "k-means ARI", "GMM ARI", "DBSCAN ARI", "DBSCAN eps", "DBSCAN clusters",
                "noise fraction", "k-means silhouette"},
               table);
  report.failure_mode(
      {.name = "k-means on non-convex clusters (moons)",
       .trigger = "k-means with k = 2 on two interleaved half circles",
       .symptom = fmt::format(
           "ARI {} (GMM: {}): each half of the plane gets one cluster, cutting both moons",
           mlc::num(rm.ari_kmeans), mlc::num(rm.ari_gmm)),
       .why = "k-means partitions space into the Voronoi cells of its centers, which are convex; "
              "no convex cell can contain one moon without part of the other",
       .mitigation = fmt::format("a density-based method: DBSCAN recovers the moons with ARI {}",
                                 mlc::num(rm.ari_dbscan))});
  report.failure_mode(
      {.name = "k-means on anisotropic clusters",
       .trigger = "k-means with k = 3 on blobs stretched by a linear map",
       .symptom = fmt::format("ARI {}: the Voronoi boundaries cut across the elongated clusters",
                              mlc::num(ra.ari_kmeans)),
       .why =
           "the objective (1) is a sum of Euclidean distances: it prefers round clusters of equal "
           "spread, the model of a GMM with Σ_k = σ²I in the limit σ → 0",
       .mitigation =
           fmt::format("a full-covariance GMM learns each Σ_k: ARI {}", mlc::num(ra.ari_gmm))});
}

// ---- 2. Iris ---------------------------------------------------------------------------------

// "mean ± sd" of repeated runs; records the mean as NAME and, with sd_metric, the sd as NAME_sd.
std::string mean_sd_cell(mlc::Report& report, const std::string& name,
                         const std::vector<double>& values, bool sd_metric = true) {
  report.metric(name, mlc::mean(values));
  if (sd_metric) report.metric(name + "_sd", mlc::sample_sd(values));
  return mlc::mean_sd(mlc::mean(values), mlc::sample_sd(values));
}

void iris_section(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& iris,
                  const mlc::Rng& root) {
  const VectorXi truth = iris.labels();
  mlc::Standardizer scaler;
  const MatrixXd Z = scaler.fit_transform(iris.X);
  const int repeats = opt.quick ? 1 : 5, n_init = 10, k = 3;
  Rows rows;
  for (const auto& [key, label, X] :
       {std::tuple<std::string, std::string, const MatrixXd*>{"iris", "raw (cm)", &iris.X},
        {"iris.standardized", "standardized", &Z}}) {
    std::vector<double> ari_km, ari_gmm, sil_km;
    double fit_km = 0.0, fit_gmm = 0.0;
    for (int r = 0; r < repeats; ++r) {
      mlc::Rng rng =
          root.derive(7).derive(static_cast<std::uint64_t>(r));  // the same per feature set
      mlc::Timer t;
      const cl::KMeansResult km = cl::kmeans(*X, k, rng, {.n_init = n_init});
      fit_km += t.seconds();
      t.reset();
      const cl::GmmFit gmm = cl::fit_gmm_best_of(*X, k, n_init, rng);
      fit_gmm += t.seconds();
      ari_km.push_back(cl::adjusted_rand_index(truth, km.labels));
      ari_gmm.push_back(cl::adjusted_rand_index(truth, gmm.labels));
      sil_km.push_back(cl::silhouette_score(*X, km.labels));
    }
    report.timing(key + ".kmeans.fit_seconds", fit_km / repeats);
    report.timing(key + ".gmm.fit_seconds", fit_gmm / repeats);
    rows.push_back({label, mean_sd_cell(report, key + ".kmeans.adjusted_rand_index", ari_km),
                    mean_sd_cell(report, key + ".gmm.adjusted_rand_index", ari_gmm),
                    mean_sd_cell(report, key + ".kmeans.silhouette", sil_km, false)});
    fmt::print("  iris {:<13} ARI k-means {:.4f}  GMM {:.4f}  (best of {} inits, {} seeds)\n",
               label, mlc::mean(ari_km), mlc::mean(ari_gmm), n_init, repeats);
  }
  report.section("Iris: k-means and a full-covariance GMM");
  report.text(fmt::format(
      "All 150 samples are clustered (clustering has no test set) with k = 3. Each method keeps "
      "the best of {} initializations (k-means: lowest inertia; GMM: highest likelihood, each EM "
      "run started from one k-means++ + Lloyd run, reg_covar = 1e-6). Repeated over {} seed(s) "
      "(one stream per repeat, derived from the run's seed): mean ± sd. The named metrics "
      "`iris.kmeans.adjusted_rand_index` and `iris.gmm.adjusted_rand_index` are the raw-feature "
      "rows.",
      n_init, repeats));
  report.table({"features", "k-means ARI", "GMM ARI", "k-means silhouette"}, rows);

  // Silhouette against k on raw iris: the criterion many use to choose k.
  Rows srows;
  mlc::Rng rng = root.derive(8);
  for (int kk = 2; kk <= 6; ++kk) {
    const cl::KMeansResult km = cl::kmeans(iris.X, kk, rng, {.n_init = n_init});
    const std::string p = fmt::format("iris.kmeans.k_{}.", kk);
    srows.push_back(
        {std::to_string(kk),
         report.quote(p + "silhouette", cl::silhouette_score(iris.X, km.labels)),
         report.quote(p + "adjusted_rand_index", cl::adjusted_rand_index(truth, km.labels)),
         report.quote(p + "inertia", km.inertia)});
  }
  report.text(
      "The silhouette (12) of the k-means clustering of raw iris against k, beside the ARI with "
      "the three species:");
  report.table({"k", "silhouette", "ARI", "inertia"}, srows);
}

// ---- 3. The EM log-likelihood per iteration ------------------------------------------------

void em_section(mlc::Report& report, const mlc::Dataset& iris, const mlc::Rng& root) {
  const int runs = 10;
  const double n = static_cast<double>(iris.n());
  mlc::Rng rng = root.derive(9);
  mlc::Figure fig("EM on raw iris (k = 3, full covariances): log-likelihood per iteration");
  fig.xlabel("EM iteration").ylabel("mean log-likelihood per sample").legend("bottom right");
  double worst_drop = 0.0;  // largest relative decrease between consecutive iterations
  int longest = 0;
  double best_final = -1e300, worst_final = 1e300;  // final mean log-likelihood per sample
  for (int s = 0; s < runs; ++s) {                  // EM from one k-means++ + Lloyd run each
    const cl::KMeansResult km = cl::kmeans(iris.X, 3, rng);
    const cl::GmmFit fit = cl::fit_gmm(iris.X, cl::gmm_from_labels(iris.X, km.labels, 3, 1e-6));
    const auto& h = fit.log_likelihood_history;
    for (std::size_t t = 1; t < h.size(); ++t)
      worst_drop = std::max(worst_drop, (h[t - 1] - h[t]) / std::abs(h[t - 1]));
    longest = std::max(longest, fit.iterations);
    best_final = std::max(best_final, h.back() / n);
    worst_final = std::min(worst_final, h.back() / n);
    fig.line(iteration_axis(h.size()), mlc::to_vector(h) / n,
             s < 9 ? fmt::format("init {}", s + 1) : "", {.width = 1.2});
  }
  const std::string worst = report.quote("em.iris.worst_final_mean_log_likelihood", worst_final);
  const std::string best = report.quote("em.iris.best_final_mean_log_likelihood", best_final);
  report.section("EM log-likelihood per iteration");
  report.text(fmt::format(
      "Each EM iteration cannot lower the log-likelihood (10). Over the {} runs on raw iris the "
      "largest relative decrease between consecutive iterations was {} (rounding level; the tests "
      "assert non-decrease up to 1e-10 relative); the longest run took {} iterations to gain less "
      "than 1e-8 per sample. {}",
      runs, report.quote("em.iris.max_relative_decrease", worst_drop, 3),
      report.quote("em.iris.max_iterations", longest),
      worst == best ? fmt::format("All runs end at the same local maximum, {} per sample.", best)
                    : fmt::format("The runs end at local maxima between {} and {} per sample.",
                                  worst, best)));
  report.figure(fig, "em_log_likelihood",
                "EM on raw iris from 10 k-means++ starts: the mean log-likelihood per sample rises "
                "monotonically; different starts can reach different local maxima");
}

// ---- 4. Failure modes: EM collapse, seeding ------------------------------------------------

// Three blobs plus `m` copies of the point (3, 3), inside the data, spread by N(0, spread²).
MatrixXd blobs_with_duplicates(mlc::Rng& rng, int m, double spread) {
  const mlc::Dataset blobs = mlc::make_blobs(300, MatrixXd{{0, 0}, {6, 0}, {3, 5}}, 1.0, rng);
  MatrixXd X(300 + m, 2);
  X.topRows(300) = blobs.X;
  for (int j = 0; j < m; ++j) {
    X(300 + j, 0) = 3.0 + spread * rng.normal();
    X(300 + j, 1) = 3.0 + spread * rng.normal();
  }
  return X;
}

// Four components: three on the blob centers with Σ = I, one on the duplicated point (3, 3)
// with Σ = 0.01 I, as a random start that happens to pick a duplicated record would place it.
cl::GaussianMixture collapse_start() {
  cl::GaussianMixture g{VectorXd::Constant(4, 0.25), MatrixXd{{0, 0}, {6, 0}, {3, 5}, {3, 3}},
                        std::vector<MatrixXd>(4, MatrixXd::Identity(2, 2))};
  g.covariances[3] *= 0.01;
  return g;
}

// EM without and with the covariance floor.
const cl::GmmOptions kPlain{.max_iterations = 200, .tolerance = 1e-8, .reg_covar = 0.0};
const cl::GmmOptions kFloored{.max_iterations = 200, .tolerance = 1e-8, .reg_covar = 1e-6};

// The same start with the copies spread by N(0, spread²) noise instead of identical: the
// log-likelihood at the end of EM, with and without the floor, and the smallest eigenvalue.
Rows spread_rows(mlc::Report& report, const mlc::Rng& rng, int m) {
  Rows rows;
  for (double spread : {1e-1, 1e-2, 1e-4, 1e-8, 0.0}) {
    mlc::Rng r2 = rng.derive(7);
    const MatrixXd Xs = blobs_with_duplicates(r2, m, spread);
    const cl::GmmFit p = cl::fit_gmm(Xs, collapse_start(), kPlain),
                     q = cl::fit_gmm(Xs, collapse_start(), kFloored);
    const std::string key = fmt::format("collapse.spread_{:g}", spread);
    rows.push_back(
        {fmt::format("{:g}", spread), report.quote(key + ".reg_0.log_likelihood", p.log_likelihood),
         report.quote(key + ".reg_0.min_eigenvalue", p.min_covariance_eigenvalue, 3),
         report.quote(key + ".reg_1e-6.log_likelihood", q.log_likelihood),
         report.quote(key + ".reg_1e-6.min_eigenvalue", q.min_covariance_eigenvalue, 3)});
  }
  return rows;
}

void collapse_section(mlc::Report& report, mlc::Rng rng) {
  const int m = 5;
  const MatrixXd X = blobs_with_duplicates(rng, m, 0.0);
  const cl::GmmFit a = cl::fit_gmm(X, collapse_start(), kPlain);
  const cl::GmmFit b = cl::fit_gmm(X, collapse_start(), kFloored);
  double last_finite = -1e300;  // the largest finite value reached before the collapse
  for (double v : a.log_likelihood_history)
    if (std::isfinite(v)) last_finite = std::max(last_finite, v);

  mlc::Figure fig("EM with a component started on 5 identical points");
  fig.xlabel("EM iteration")
      .ylabel("smallest eigenvalue of the covariances")
      .logy()
      .legend("bottom left");
  Rows trace_rows;
  // One table row: the first five entries of a per-iteration history, each the metric PREFIX<t>.
  const auto trace_row = [&](const std::string& what, const std::string& prefix,
                             const std::vector<double>& h, int sig) {
    std::vector<std::string> row{what};
    for (std::size_t t = 0; t < 5; ++t)
      row.push_back(t < h.size() ? report.quote(prefix + std::to_string(t), h[t], sig) : "-");
    trace_rows.push_back(row);
  };
  for (const auto& [fit, setting, key] :
       {std::tuple{&a, "reg_covar = 0", "reg_0"}, std::tuple{&b, "reg_covar = 1e-6", "reg_1e-6"}}) {
    const auto& h = fit->min_eigenvalue_history;
    const VectorXd y = mlc::to_vector(h).unaryExpr(
        [](double v) { return v > 0.0 ? v : std::nan(""); });  // log axis: 0 not drawn
    fig.line_points(iteration_axis(h.size()), y,
                    fit == &a ? "reg_covar = 0 (then singular: not drawn)" : setting,
                    {.width = 1.2, .point_size = 0.6});
    trace_row(fmt::format("log-likelihood, {}", setting),
              fmt::format("collapse.{}.log_likelihood_iteration_", key),
              fit->log_likelihood_history, 4);
    trace_row(fmt::format("smallest eigenvalue, {}", setting),
              fmt::format("collapse.{}.min_eigenvalue_iteration_", key), h, 3);
  }
  fig.hline(1e-6, "floor 1e-6");

  const std::string a_iterations = report.quote("collapse.reg_0.iterations", a.iterations);
  const std::string a_eig =
      report.quote("collapse.reg_0.min_eigenvalue", a.min_covariance_eigenvalue, 3);
  const std::string a_ll = report.quote("collapse.reg_0.log_likelihood", a.log_likelihood);
  const std::string a_finite =
      report.quote("collapse.reg_0.last_finite_log_likelihood", last_finite);
  const std::string b_ll = report.quote("collapse.reg_1e-6.log_likelihood", b.log_likelihood);
  const std::string b_eig =
      report.quote("collapse.reg_1e-6.min_eigenvalue", b.min_covariance_eigenvalue, 3);
  report.section("EM collapse onto a tiny cluster of identical points");
  report.text(fmt::format(
      "300 points in three unit blobs plus {} identical copies of (3, 3). EM (k = 4) starts with "
      "one component on the copies (Σ = 0.01 I). Without a floor that component shrinks onto them: "
      "after {} iterations its covariance is singular (smallest eigenvalue {}, zero to rounding), "
      "the Cholesky factorisation fails, and the points on the support of the degenerate Gaussian "
      "make the log-likelihood {} (the largest finite value reached before was {}). With reg_covar "
      "= 1e-6 the same start converges in {} iterations to a finite log-likelihood {}, smallest "
      "covariance eigenvalue {}.",
      m, a_iterations, a_eig, a_ll, a_finite,
      report.quote("collapse.reg_1e-6.iterations", b.iterations), b_ll, b_eig));
  report.figure(fig, "em_collapse",
                "Smallest covariance eigenvalue per EM iteration with a component started on 5 "
                "identical points: without a floor it falls by orders of magnitude per iteration "
                "until the covariance is singular (log-likelihood +inf); reg_covar = 1e-6 stops it "
                "at the floor");
  report.text(
      "Log-likelihood and smallest covariance eigenvalue per EM iteration (iteration 0 is the "
      "start):");
  report.table({"quantity, setting", "0", "1", "2", "3", "4"}, trace_rows);
  report.text(
      "The same start with the copies spread by N(0, spread²) noise instead of identical: without "
      "the floor the log-likelihood at the end of EM grows as the spread shrinks (11) and is +inf "
      "at spread 0; with it, it is capped.");
  report.table(
      {"spread", "log-lik, reg 0", "min eig Σ, reg 0", "log-lik, reg 1e-6", "min eig Σ, reg 1e-6"},
      spread_rows(report, rng, m));
  report.failure_mode(
      {.name = "EM collapses onto a single point (singular covariance)",
       .trigger = fmt::format(
           "{} identical points inside the data, a component started on them, reg_covar = 0", m),
       .symptom = fmt::format(
           "the component's covariance is singular after {} EM iterations (smallest eigenvalue "
           "{}); the log-likelihood goes from {} to {}",
           a.iterations, a_eig, a_finite, a_ll),
       .why = "the likelihood of a Gaussian mixture is unbounded: a component centred on a data "
              "point with Σ → 0 has density → ∞ there (11), and EM climbs that spike because each "
              "step may only increase the likelihood",
       .mitigation =
           fmt::format("a covariance floor reg_covar·I (1e-6) in the M-step: same start, finite "
                       "log-likelihood {}, smallest eigenvalue {}",
                       b_ll, b_eig)});
  fmt::print("  collapse: reg 0 -> log-lik {} after {} its; reg 1e-6 -> {}\n", a_ll, a.iterations,
             b_ll);
}

void seeding_section(mlc::Report& report, const mlc::Options& opt, mlc::Rng rng) {
  // 9 well-separated blobs on a 3 × 3 grid: the optimum is the true partition.
  MatrixXd centers(9, 2);
  for (int i = 0; i < 9; ++i) centers.row(i) << 5.0 * (i % 3), 5.0 * (i / 3);
  const mlc::Dataset data = mlc::make_blobs(opt.quick ? 450 : 900, centers, 0.6, rng);
  const int runs = opt.quick ? 40 : 300;
  struct Seeding {
    std::string key, label;
    cl::KMeansOptions options;
  };
  // One seeding per run, and the way k-means is used in practice: the best of 10 seedings.
  const std::vector<Seeding> seedings{
      {"random", "random rows, 1 seeding", {.init = cl::KMeansInit::kRandom}},
      {"kmeanspp", "k-means++, 1 seeding", {.init = cl::KMeansInit::kPlusPlus}},
      {"random_10", "random rows, best of 10", {.init = cl::KMeansInit::kRandom, .n_init = 10}},
      {"kmeanspp_10", "k-means++, best of 10", {.init = cl::KMeansInit::kPlusPlus, .n_init = 10}}};
  std::vector<VectorXd> inertia(seedings.size(), VectorXd(runs));
  std::vector<double> ari(seedings.size(), 0.0);
  mlc::Timer timer;
  for (int r = 0; r < runs; ++r) {
    mlc::Rng rr = rng.derive(static_cast<std::uint64_t>(r));  // shared by the four seedings in turn
    for (std::size_t s = 0; s < seedings.size(); ++s) {
      const auto km = cl::kmeans(data.X, 9, rr, seedings[s].options);
      inertia[s](r) = km.inertia;
      ari[s] += cl::adjusted_rand_index(data.labels(), km.labels) / runs;
    }
  }
  report.timing("init.kmeans_runs_seconds", timer.seconds());
  const double best = std::min(inertia[0].minCoeff(), inertia[1].minCoeff());
  const double threshold = 1.05 * best;  // stuck: inertia more than 5 % above the best found
  Rows rows;
  std::vector<std::string> stuck, relative;  // quoted cells, per seeding
  for (std::size_t s = 0; s < seedings.size(); ++s) {
    const double p = static_cast<double>((inertia[s].array() > threshold).count()) / runs;
    const std::string prefix = "init." + seedings[s].key;
    stuck.push_back(report.quote(prefix + ".stuck_fraction", p));
    relative.push_back(report.quote(prefix + ".mean_relative_inertia", inertia[s].mean() / best));
    rows.push_back({seedings[s].label,
                    fmt::format("{} ± {}", stuck[s], mlc::num(std::sqrt(p * (1 - p) / runs), 2)),
                    relative[s], report.quote(prefix + ".mean_adjusted_rand_index", ari[s])});
  }
  mlc::Figure fig("Final k-means inertia over seeds: random seeding vs k-means++");
  fig.xlabel("inertia / best inertia found").ylabel("runs per bin").legend("top right");
  const auto range =
      std::make_pair(1.0, std::max(inertia[0].maxCoeff(), inertia[1].maxCoeff()) / best);
  fig.histogram(inertia[0] / best, 30, "random rows (Forgy)", false, range, {.color = 1});
  fig.histogram(inertia[1] / best, 30, "k-means++", false, range, {.color = 0});
  fig.vline(1.05, "stuck threshold 1.05");

  report.section("Seeding: random rows vs k-means++");
  report.text(fmt::format(
      "{} points in 9 blobs (σ = 0.6) on a 3 × 3 grid of spacing 5; k = 9, one seeding per run, {} "
      "runs per method. A run is *stuck* when its final inertia exceeds 1.05 × the best inertia "
      "found by any run ({}), i.e. Lloyd stopped in a local optimum that merges two blobs and "
      "splits another.",
      data.n(), runs, report.quote("init.best_inertia", best)));
  report.table({"seeding", "stuck fraction (± s.e.)", "mean inertia / best", "mean ARI"}, rows);
  report.figure(
      fig, "init_inertia",
      "Distribution of the final inertia (relative to the best found) over seeds, for uniform "
      "random seeding and for k-means++; runs right of the dashed line are stuck");
  report.failure_mode(
      {.name = "Bad initialization without k-means++",
       .trigger = fmt::format("k-means with k = 9 on 9 separated blobs, centers seeded as 9 "
                              "uniformly drawn rows, {} seeds",
                              runs),
       .symptom = fmt::format(
           "{} of the runs stuck (inertia > 1.05 × best), mean inertia {} × best, mean ARI {}",
           stuck[0], relative[0], rows[0][3]),
       .why = "uniform seeding often puts two seeds in one blob and none in another; Lloyd's "
              "iteration only moves centers locally, so the pair never separates (a local minimum "
              "of (1))",
       .mitigation = fmt::format(
           "k-means++ D² seeding (4): stuck fraction {}, mean inertia {} × best, mean ARI {}; the "
           "best of 10 k-means++ seedings: stuck fraction {} (best of 10 random seedings: {})",
           stuck[1], relative[1], rows[1][3], stuck[3], stuck[2])});
  fmt::print("  seeding: stuck random {} vs k-means++ {}; best of 10: {} vs {} ({} runs)\n",
             stuck[0], stuck[1], stuck[2], stuck[3], runs);
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  fmt::print("Clustering, seed {}{}\n", opt.seed, opt.quick ? " (quick)" : "");
  const mlc::Dataset iris = mlc::load_dataset("iris");
  scenes_section(report, opt, root);
  iris_section(report, opt, iris, root);
  em_section(report, iris, root);
  collapse_section(report, root.derive(5));
  seeding_section(report, opt, root.derive(6));
  report.headline({"iris.kmeans.adjusted_rand_index", "iris.gmm.adjusted_rand_index"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
