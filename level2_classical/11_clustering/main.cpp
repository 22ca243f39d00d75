// 2.11 clustering: k-means (Lloyd + k-means++), Gaussian mixtures by EM and DBSCAN on blobs,
// anisotropic blobs, moons and iris, judged by the adjusted Rand index and the silhouette.
//
// Experiments (each a section of report.md):
//   1. the three methods on blobs, anisotropic blobs (blobs times a linear map) and moons;
//   2. iris (raw and standardized features): k-means and a full-covariance GMM, each the best
//      of 10 initializations, over 5 seeds; the silhouette against k;
//   3. the EM log-likelihood per iteration (monotone, (10));
//   4. failure modes: k-means on non-convex and anisotropic clusters; EM collapse onto a
//      tiny cluster of identical points and the covariance floor; random seeding vs k-means++.
// Sources: Lloyd (1982); Arthur & Vassilvitskii (2007); Dempster, Laird & Rubin (1977);
// Bishop, PRML §9.1–9.2; Hubert & Arabie (1985); Rousseeuw (1987); Ester et al. (1996).
// Run: ./learn run clustering [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "clustering.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/stats.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"

namespace cl = clustering;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "k-means (Lloyd's algorithm with k-means++ seeding), Gaussian mixtures fitted by EM with full "
    "covariances (Cholesky + log-sum-exp), and DBSCAN, on blobs, anisotropic blobs, moons and "
    "iris, scored by the adjusted Rand index and the silhouette. Failure modes provoked and "
    "measured: k-means on non-convex and anisotropic clusters, EM collapsing onto a tiny "
    "cluster of identical points (likelihood +inf) and the covariance floor that prevents it, "
    "random seeding stuck in bad local optima where k-means++ is not.",
    "report.md, metrics.json, figures/clusters_blobs.svg, figures/clusters_anisotropic.svg, "
    "figures/clusters_moons.svg, figures/em_log_likelihood.svg, figures/em_collapse.svg, "
    "figures/init_inertia.svg");

// Records a metric and returns its table cell, so that every number shown is a metric.
std::string cell(mlc::Report& report, const std::string& name, double value, int sig = 4) {
  report.metric(name, value);
  return mlc::num(value, sig);
}

// For display only: renames clusters so that each takes the colour of the true class it
// overlaps most (greedy on the contingency table); noise (-1) stays -1.
VectorXi match_colours(const VectorXi& truth, const VectorXi& labels) {
  const int kt = truth.maxCoeff() + 1, kl = std::max(labels.maxCoeff() + 1, 1);
  MatrixXd M = MatrixXd::Zero(kl, kt);
  for (Index i = 0; i < labels.size(); ++i)
    if (labels(i) >= 0) M(labels(i), truth(i)) += 1.0;
  std::vector<int> map(static_cast<std::size_t>(kl), -1);
  int next = kt;
  for (int step = 0; step < std::min(kl, kt); ++step) {
    Index r = 0, c = 0;
    if (M.maxCoeff(&r, &c) <= 0.0) break;
    map[static_cast<std::size_t>(r)] = static_cast<int>(c);
    M.row(r).setConstant(-1.0);
    M.col(c).setConstant(-1.0);
  }
  for (auto& m : map)
    if (m < 0) m = next++;
  VectorXi out(labels.size());
  for (Index i = 0; i < labels.size(); ++i)
    out(i) = labels(i) < 0 ? -1 : map[static_cast<std::size_t>(labels(i))];
  return out;
}

// ---- 1. Blobs, anisotropic blobs, moons ----------------------------------------------------

struct Scene {
  std::string key, title;
  mlc::Dataset data;
  int k;
  double eps_quantile;  // eps = this quantile of the min_points-distance (Ester et al. §4.2)
};

struct SceneResult {
  double ari_kmeans, ari_gmm, ari_dbscan;
};

SceneResult run_scene(mlc::Report& report, const Scene& s, mlc::Rng rng,
                      std::vector<std::vector<std::string>>& table) {
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
  VectorXd kd = cl::k_distance(X, min_points - 1);  // min_points counts the point itself
  std::sort(kd.data(), kd.data() + kd.size());
  const double eps = kd(static_cast<Index>(s.eps_quantile * static_cast<double>(kd.size() - 1)));
  const cl::DbscanResult db = cl::dbscan(X, eps, min_points);
  report.timing(s.key + ".dbscan.fit_seconds", timer.seconds());
  const double noise =
      static_cast<double>((db.labels.array() < 0).count()) / static_cast<double>(X.rows());

  SceneResult r{cl::adjusted_rand_index(truth, km.labels),
                cl::adjusted_rand_index(truth, gmm.labels),
                cl::adjusted_rand_index(truth, db.labels)};
  table.push_back({s.title, cell(report, s.key + ".kmeans.adjusted_rand_index", r.ari_kmeans),
                   cell(report, s.key + ".gmm.adjusted_rand_index", r.ari_gmm),
                   cell(report, s.key + ".dbscan.adjusted_rand_index", r.ari_dbscan),
                   cell(report, s.key + ".dbscan.eps", eps),
                   cell(report, s.key + ".dbscan.clusters", db.num_clusters),
                   cell(report, s.key + ".dbscan.noise_fraction", noise),
                   cell(report, s.key + ".kmeans.silhouette", cl::silhouette_score(X, km.labels))});

  // Three panels side by side (each rescaled to the unit square): k-means | GMM | DBSCAN.
  const Eigen::RowVectorXd lo = X.colwise().minCoeff(), hi = X.colwise().maxCoeff();
  const double span = (hi - lo).maxCoeff();
  const Index n = X.rows();
  const std::vector<VectorXi> shown{match_colours(truth, km.labels),
                                    match_colours(truth, gmm.labels),
                                    match_colours(truth, db.labels)};
  MatrixXd P(3 * n, 2);
  VectorXi L(3 * n);
  int max_label = 0;
  std::vector<Index> noise_rows;
  for (int m = 0; m < 3; ++m) {
    for (Index i = 0; i < n; ++i) {
      P.row(m * n + i) = (X.row(i) - lo) / span;
      P(m * n + i, 0) += 1.25 * m;
      L(m * n + i) = shown[static_cast<std::size_t>(m)](i);
      max_label = std::max(max_label, L(m * n + i));
      if (L(m * n + i) < 0) noise_rows.push_back(m * n + i);
    }
  }
  std::vector<std::string> names;
  for (int c = 0; c <= max_label; ++c) names.push_back(fmt::format("cluster {}", c + 1));
  mlc::Figure fig(fmt::format("{}: k-means (left), GMM (middle), DBSCAN (right)", s.title));
  fig.xlabel("x_1, rescaled (panels offset by 1.25)").ylabel("x_2, rescaled").size(1080, 420);
  fig.legend("outside right top").equal_axes();
  fig.scatter_classes(P, L, names, 0.35);
  if (!noise_rows.empty()) {
    VectorXd nx(static_cast<Index>(noise_rows.size())), ny(nx.size());
    for (std::size_t j = 0; j < noise_rows.size(); ++j) {
      nx(static_cast<Index>(j)) = P(noise_rows[j], 0);
      ny(static_cast<Index>(j)) = P(noise_rows[j], 1);
    }
    fig.points(nx, ny, "DBSCAN noise", {.color = 8, .point_type = 1, .point_size = 0.5});
  }
  report.figure(fig, "clusters_" + s.key,
                fmt::format("{}: clusters found by k-means (ARI {}), the GMM (ARI {}) and DBSCAN "
                            "(eps {}, min_points {}; ARI {}), colours matched to the true classes",
                            s.title, mlc::num(r.ari_kmeans), mlc::num(r.ari_gmm), mlc::num(eps),
                            min_points, mlc::num(r.ari_dbscan)));
  fmt::print(
      "  {:<20} ARI k-means {:.3f}  GMM {:.3f}  DBSCAN {:.3f} ({} clusters, {:.1f}% noise)\n",
      s.title, r.ari_kmeans, r.ari_gmm, r.ari_dbscan, db.num_clusters, 100.0 * noise);
  return r;
}

// ---- 2. Iris ---------------------------------------------------------------------------------

struct IrisResult {
  std::vector<cl::GmmFit> traces;  // the 10 EM runs of the first seed, for the figure
};

void iris_experiment(mlc::Report& report, const mlc::Options& opt, IrisResult& out) {
  const mlc::Dataset iris = mlc::load_dataset("iris");
  const VectorXi truth = iris.labels();
  mlc::Standardizer scaler;
  const MatrixXd Z = scaler.fit_transform(iris.X);
  const int repeats = opt.quick ? 1 : 5, n_init = 10, k = 3;

  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, label, X] :
       {std::tuple<std::string, std::string, const MatrixXd*>{"iris", "raw (cm)", &iris.X},
        {"iris.standardized", "standardized", &Z}}) {
    std::vector<double> ari_km, ari_gmm, sil_km;
    double fit_km = 0.0, fit_gmm = 0.0;
    for (int r = 0; r < repeats; ++r) {
      mlc::Rng rng(opt.seed + static_cast<std::uint64_t>(r));
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
    report.metric(key + ".kmeans.adjusted_rand_index", mlc::mean(ari_km));
    report.metric(key + ".kmeans.adjusted_rand_index_sd", mlc::sample_sd(ari_km));
    report.metric(key + ".gmm.adjusted_rand_index", mlc::mean(ari_gmm));
    report.metric(key + ".gmm.adjusted_rand_index_sd", mlc::sample_sd(ari_gmm));
    report.metric(key + ".kmeans.silhouette", mlc::mean(sil_km));
    rows.push_back({label, mlc::mean_sd(mlc::mean(ari_km), mlc::sample_sd(ari_km)),
                    mlc::mean_sd(mlc::mean(ari_gmm), mlc::sample_sd(ari_gmm)),
                    mlc::mean_sd(mlc::mean(sil_km), mlc::sample_sd(sil_km))});
    fmt::print("  iris {:<13} ARI k-means {:.4f}  GMM {:.4f}  (best of {} inits, {} seeds)\n",
               label, mlc::mean(ari_km), mlc::mean(ari_gmm), n_init, repeats);
  }
  report.section("Iris: k-means and a full-covariance GMM");
  report.text(fmt::format(
      "All 150 samples are clustered (clustering has no test set) with k = 3. Each method keeps "
      "the best of {} initializations (k-means: lowest inertia; GMM: highest likelihood, each EM "
      "run started from one k-means++ + Lloyd run, reg_covar = 1e-6). Repeated over {} seed(s) "
      "(seed, seed+1, ...): mean ± sd. The named metrics `iris.kmeans.adjusted_rand_index` and "
      "`iris.gmm.adjusted_rand_index` are the raw-feature rows.",
      n_init, repeats));
  report.table({"features", "k-means ARI", "GMM ARI", "k-means silhouette"}, rows);

  // Silhouette against k on raw iris: the criterion many use to choose k.
  std::vector<std::vector<std::string>> srows;
  mlc::Rng rng(opt.seed);
  for (int kk = 2; kk <= 6; ++kk) {
    const cl::KMeansResult km = cl::kmeans(iris.X, kk, rng, {.n_init = n_init});
    srows.push_back({std::to_string(kk),
                     cell(report, fmt::format("iris.kmeans.k_{}.silhouette", kk),
                          cl::silhouette_score(iris.X, km.labels)),
                     cell(report, fmt::format("iris.kmeans.k_{}.adjusted_rand_index", kk),
                          cl::adjusted_rand_index(truth, km.labels)),
                     cell(report, fmt::format("iris.kmeans.k_{}.inertia", kk), km.inertia)});
  }
  report.text(
      "The silhouette (12) of the k-means clustering of raw iris against k, beside the ARI "
      "with the three species:");
  report.table({"k", "silhouette", "ARI", "inertia"}, srows);

  // The 10 EM runs of the first seed on raw iris, kept for the log-likelihood figure.
  mlc::Rng trng(opt.seed);
  for (int s = 0; s < n_init; ++s) {
    const cl::KMeansResult km = cl::kmeans(iris.X, k, trng);
    out.traces.push_back(cl::fit_gmm(iris.X, cl::gmm_from_labels(iris.X, km.labels, k, 1e-6)));
  }
}

void em_trace_figure(mlc::Report& report, const IrisResult& iris) {
  mlc::Figure fig("EM on raw iris (k = 3, full covariances): log-likelihood per iteration");
  fig.xlabel("EM iteration").ylabel("mean log-likelihood per sample").legend("bottom right");
  double worst_drop = 0.0;  // largest relative decrease between consecutive iterations
  int longest = 0;
  double best_final = -1e300, worst_final = 1e300;  // final mean log-likelihood per sample
  for (std::size_t s = 0; s < iris.traces.size(); ++s) {
    const auto& h = iris.traces[s].log_likelihood_history;
    VectorXd x(static_cast<Index>(h.size())), y(x.size());
    for (std::size_t t = 0; t < h.size(); ++t) {
      x(static_cast<Index>(t)) = static_cast<double>(t);
      y(static_cast<Index>(t)) = h[t] / 150.0;
      if (t > 0) worst_drop = std::max(worst_drop, (h[t - 1] - h[t]) / std::abs(h[t - 1]));
    }
    longest = std::max(longest, iris.traces[s].iterations);
    best_final = std::max(best_final, h.back() / 150.0);
    worst_final = std::min(worst_final, h.back() / 150.0);
    fig.line(x, y, s < 9 ? fmt::format("init {}", s + 1) : "", {.width = 1.2});
  }
  report.section("EM log-likelihood per iteration");
  report.text(fmt::format(
      "Each EM iteration cannot lower the log-likelihood (10). Over the {} runs on raw iris the "
      "largest relative decrease between consecutive iterations was {} (rounding level; the "
      "tests assert non-decrease up to 1e-10 relative); the longest run took {} iterations to "
      "gain less than 1e-8 per sample. The runs end at local maxima between {} and {} per "
      "sample.",
      iris.traces.size(), cell(report, "em.iris.max_relative_decrease", worst_drop, 3),
      cell(report, "em.iris.max_iterations", longest),
      cell(report, "em.iris.worst_final_mean_log_likelihood", worst_final),
      cell(report, "em.iris.best_final_mean_log_likelihood", best_final)));
  report.figure(fig, "em_log_likelihood",
                "EM on raw iris from 10 k-means++ starts: the mean log-likelihood per sample rises "
                "monotonically; different starts reach different local maxima");
}

// ---- 4. Failure modes ------------------------------------------------------------------------

// Three blobs plus `m` identical copies of the point (3, 3), which lies inside the data.
MatrixXd blobs_with_duplicates(mlc::Rng& rng, int m, double spread) {
  MatrixXd centers(3, 2);
  centers << 0, 0, 6, 0, 3, 5;
  const mlc::Dataset blobs = mlc::make_blobs(300, centers, 1.0, rng);
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
  cl::GaussianMixture g;
  g.weights = VectorXd::Constant(4, 0.25);
  g.means.resize(4, 2);
  g.means << 0, 0, 6, 0, 3, 5, 3, 3;
  g.covariances.assign(4, MatrixXd::Identity(2, 2));
  g.covariances[3] *= 0.01;
  return g;
}

void collapse_experiment(mlc::Report& report, mlc::Rng rng) {
  const int m = 5;
  const MatrixXd X = blobs_with_duplicates(rng, m, 0.0);
  cl::GmmOptions plain{.max_iterations = 200, .tolerance = 1e-8, .reg_covar = 0.0};
  cl::GmmOptions floored = plain;
  floored.reg_covar = 1e-6;
  const cl::GmmFit a = cl::fit_gmm(X, collapse_start(), plain);
  const cl::GmmFit b = cl::fit_gmm(X, collapse_start(), floored);
  // The largest finite value reached before the collapse.
  double last_finite = -1e300;
  for (double v : a.log_likelihood_history)
    if (std::isfinite(v)) last_finite = std::max(last_finite, v);

  mlc::Figure fig("EM with a component started on 5 identical points");
  fig.xlabel("EM iteration")
      .ylabel("smallest eigenvalue of the covariances")
      .logy()
      .legend("bottom left");
  std::vector<std::vector<std::string>> trace_rows;
  for (const auto& [fit, label, key] :
       {std::tuple{&a, std::string("reg_covar = 0 (then singular: not drawn)"),
                   std::string("reg_0")},
        std::tuple{&b, std::string("reg_covar = 1e-6"), std::string("reg_1e-6")}}) {
    const auto& h = fit->min_eigenvalue_history;
    VectorXd x(static_cast<Index>(h.size())), y(x.size());
    for (std::size_t t = 0; t < h.size(); ++t) {
      x(static_cast<Index>(t)) = static_cast<double>(t);
      y(static_cast<Index>(t)) = h[t] > 0.0 ? h[t] : std::nan("");  // log axis: 0 not drawn
    }
    fig.line_points(x, y, label, {.width = 1.2, .point_size = 0.6});
    const std::string setting = label.substr(0, label.find(" ("));
    std::vector<std::string> row{"log-likelihood, " + setting};
    for (std::size_t t = 0; t < 5; ++t)
      row.push_back(t < fit->log_likelihood_history.size()
                        ? cell(report,
                               fmt::format("collapse.{}.log_likelihood_iteration_{}", key, t),
                               fit->log_likelihood_history[t])
                        : "-");
    trace_rows.push_back(row);
    std::vector<std::string> eig_row{"smallest eigenvalue, " + setting};
    for (std::size_t t = 0; t < 5; ++t)
      eig_row.push_back(t < h.size()
                            ? cell(report,
                                   fmt::format("collapse.{}.min_eigenvalue_iteration_{}", key, t),
                                   h[t], 3)
                            : "-");
    trace_rows.push_back(eig_row);
  }
  fig.hline(1e-6, "floor 1e-6");

  // The same start with the 4 points spread by eps instead of identical.
  std::vector<std::vector<std::string>> rows;
  for (double spread : {1e-1, 1e-2, 1e-4, 1e-8, 0.0}) {
    mlc::Rng r2 = rng.derive(7);
    const MatrixXd Xs = blobs_with_duplicates(r2, m, spread);
    const cl::GmmFit p = cl::fit_gmm(Xs, collapse_start(), plain);
    const cl::GmmFit q = cl::fit_gmm(Xs, collapse_start(), floored);
    const std::string key = fmt::format("collapse.spread_{:g}", spread);
    rows.push_back(
        {fmt::format("{:g}", spread), cell(report, key + ".reg_0.log_likelihood", p.log_likelihood),
         cell(report, key + ".reg_0.min_eigenvalue", p.min_covariance_eigenvalue, 3),
         cell(report, key + ".reg_1e-6.log_likelihood", q.log_likelihood),
         cell(report, key + ".reg_1e-6.min_eigenvalue", q.min_covariance_eigenvalue, 3)});
  }
  report.section("EM collapse onto a tiny cluster of identical points");
  report.text(fmt::format(
      "300 points in three unit blobs plus {} identical copies of (3, 3). EM (k = 4) starts "
      "with one component on the copies (Σ = 0.01 I). Without a floor that component shrinks "
      "onto them: after {} iterations its covariance is singular (smallest eigenvalue {}, zero "
      "to rounding), the Cholesky factorisation fails, and the points on the support of the "
      "degenerate Gaussian make the log-likelihood {} (the largest finite value reached before "
      "was {}). With reg_covar = 1e-6 the same start converges in {} iterations to a finite "
      "log-likelihood {}, smallest covariance eigenvalue {}.",
      m, cell(report, "collapse.reg_0.iterations", a.iterations),
      cell(report, "collapse.reg_0.min_eigenvalue", a.min_covariance_eigenvalue, 3),
      cell(report, "collapse.reg_0.log_likelihood", a.log_likelihood),
      cell(report, "collapse.reg_0.last_finite_log_likelihood", last_finite),
      cell(report, "collapse.reg_1e-6.iterations", b.iterations),
      cell(report, "collapse.reg_1e-6.log_likelihood", b.log_likelihood),
      cell(report, "collapse.reg_1e-6.min_eigenvalue", b.min_covariance_eigenvalue, 3)));
  report.figure(fig, "em_collapse",
                "Smallest covariance eigenvalue per EM iteration with a component started on 5 "
                "identical points: without a floor it falls by orders of magnitude per iteration "
                "until the covariance is singular (log-likelihood +inf); reg_covar = 1e-6 stops "
                "it at the floor");
  report.text(
      "Log-likelihood and smallest covariance eigenvalue per EM iteration (iteration 0 "
      "is the start):");
  report.table({"quantity, setting", "0", "1", "2", "3", "4"}, trace_rows);
  report.text(
      "The same start with the copies spread by N(0, spread²) noise instead of "
      "identical: without the floor the log-likelihood at the end of EM grows as the "
      "spread shrinks (11) and is +inf at spread 0; with it, it is capped.");
  report.table(
      {"spread", "log-lik, reg 0", "min eig Σ, reg 0", "log-lik, reg 1e-6", "min eig Σ, reg 1e-6"},
      rows);
  report.failure_mode(
      {.name = "EM collapses onto a single point (singular covariance)",
       .trigger = fmt::format("{} identical points inside the data, a component started on them, "
                              "reg_covar = 0",
                              m),
       .symptom = fmt::format("the component's covariance is singular after {} EM iterations "
                              "(smallest eigenvalue {}); the log-likelihood goes from {} to {}",
                              a.iterations, mlc::num(a.min_covariance_eigenvalue, 3),
                              mlc::num(last_finite), mlc::num(a.log_likelihood)),
       .why = "the likelihood of a Gaussian mixture is unbounded: a component centred on a data "
              "point with Σ → 0 has density → ∞ there (11), and EM climbs that spike because each "
              "step may only increase the likelihood",
       .mitigation =
           fmt::format("a covariance floor reg_covar·I (1e-6) in the M-step: same start, "
                       "finite log-likelihood {}, smallest eigenvalue {}",
                       mlc::num(b.log_likelihood), mlc::num(b.min_covariance_eigenvalue, 3))});
  fmt::print("  collapse: reg 0 -> log-lik {} after {} its; reg 1e-6 -> {}\n",
             mlc::num(a.log_likelihood), a.iterations, mlc::num(b.log_likelihood));
}

void init_experiment(mlc::Report& report, const mlc::Options& opt, mlc::Rng rng) {
  // 9 well-separated blobs on a 3 × 3 grid: the optimum is the true partition.
  MatrixXd centers(9, 2);
  for (int i = 0; i < 9; ++i) centers.row(i) << 5.0 * (i % 3), 5.0 * (i / 3);
  const mlc::Dataset data = mlc::make_blobs(opt.quick ? 450 : 900, centers, 0.6, rng);
  const VectorXi truth = data.labels();
  const int runs = opt.quick ? 40 : 300;
  VectorXd inertia_random(runs), inertia_pp(runs), inertia_random10(runs), inertia_pp10(runs);
  double ari_random = 0.0, ari_pp = 0.0, ari_random10 = 0.0, ari_pp10 = 0.0;
  mlc::Timer timer;
  for (int r = 0; r < runs; ++r) {
    mlc::Rng rr = rng.derive(static_cast<std::uint64_t>(r));
    const auto a = cl::kmeans(data.X, 9, rr, {.init = cl::KMeansInit::kRandom});
    const auto b = cl::kmeans(data.X, 9, rr, {.init = cl::KMeansInit::kPlusPlus});
    inertia_random(r) = a.inertia;
    inertia_pp(r) = b.inertia;
    ari_random += cl::adjusted_rand_index(truth, a.labels) / runs;
    ari_pp += cl::adjusted_rand_index(truth, b.labels) / runs;
    // The way k-means is used in practice: the best of 10 seedings.
    const auto a10 = cl::kmeans(data.X, 9, rr, {.init = cl::KMeansInit::kRandom, .n_init = 10});
    const auto b10 = cl::kmeans(data.X, 9, rr, {.init = cl::KMeansInit::kPlusPlus, .n_init = 10});
    inertia_random10(r) = a10.inertia;
    inertia_pp10(r) = b10.inertia;
    ari_random10 += cl::adjusted_rand_index(truth, a10.labels) / runs;
    ari_pp10 += cl::adjusted_rand_index(truth, b10.labels) / runs;
  }
  report.timing("init.kmeans_runs_seconds", timer.seconds());
  const double best = std::min(inertia_random.minCoeff(), inertia_pp.minCoeff());
  const double threshold = 1.05 * best;  // stuck: inertia more than 5 % above the best found
  const double stuck_random =
      static_cast<double>((inertia_random.array() > threshold).count()) / runs;
  const double stuck_pp = static_cast<double>((inertia_pp.array() > threshold).count()) / runs;
  const double stuck_random10 =
      static_cast<double>((inertia_random10.array() > threshold).count()) / runs;
  const double stuck_pp10 = static_cast<double>((inertia_pp10.array() > threshold).count()) / runs;
  const auto se = [runs](double p) { return mlc::num(std::sqrt(p * (1 - p) / runs), 2); };

  mlc::Figure fig("Final k-means inertia over seeds: random seeding vs k-means++");
  fig.xlabel("inertia / best inertia found").ylabel("runs per bin").legend("top right");
  const auto range =
      std::make_pair(1.0, std::max(inertia_random.maxCoeff(), inertia_pp.maxCoeff()) / best);
  fig.histogram(inertia_random / best, 30, "random rows (Forgy)", false, range, {.color = 1});
  fig.histogram(inertia_pp / best, 30, "k-means++", false, range, {.color = 0});
  fig.vline(1.05, "stuck threshold 1.05");

  report.section("Seeding: random rows vs k-means++");
  report.text(fmt::format(
      "{} points in 9 blobs (σ = 0.6) on a 3 × 3 grid of spacing 5; k = 9, one seeding per run, "
      "{} runs per method. A run is *stuck* when its final inertia exceeds 1.05 × the best "
      "inertia found by any run ({}), i.e. Lloyd stopped in a local optimum that merges two "
      "blobs and splits another.",
      data.n(), runs, cell(report, "init.best_inertia", best)));
  report.table(
      {"seeding", "stuck fraction (± s.e.)", "mean inertia / best", "mean ARI"},
      {{"random rows, 1 seeding",
        fmt::format("{} ± {}", cell(report, "init.random.stuck_fraction", stuck_random),
                    se(stuck_random)),
        cell(report, "init.random.mean_relative_inertia", inertia_random.mean() / best),
        cell(report, "init.random.mean_adjusted_rand_index", ari_random)},
       {"k-means++, 1 seeding",
        fmt::format("{} ± {}", cell(report, "init.kmeanspp.stuck_fraction", stuck_pp),
                    se(stuck_pp)),
        cell(report, "init.kmeanspp.mean_relative_inertia", inertia_pp.mean() / best),
        cell(report, "init.kmeanspp.mean_adjusted_rand_index", ari_pp)},
       {"random rows, best of 10",
        fmt::format("{} ± {}", cell(report, "init.random_10.stuck_fraction", stuck_random10),
                    se(stuck_random10)),
        cell(report, "init.random_10.mean_relative_inertia", inertia_random10.mean() / best),
        cell(report, "init.random_10.mean_adjusted_rand_index", ari_random10)},
       {"k-means++, best of 10",
        fmt::format("{} ± {}", cell(report, "init.kmeanspp_10.stuck_fraction", stuck_pp10),
                    se(stuck_pp10)),
        cell(report, "init.kmeanspp_10.mean_relative_inertia", inertia_pp10.mean() / best),
        cell(report, "init.kmeanspp_10.mean_adjusted_rand_index", ari_pp10)}});
  report.figure(
      fig, "init_inertia",
      "Distribution of the final inertia (relative to the best found) over seeds, for "
      "uniform random seeding and for k-means++; runs right of the dashed line are stuck");
  report.failure_mode(
      {.name = "Bad initialization without k-means++",
       .trigger = fmt::format("k-means with k = 9 on 9 separated blobs, centers seeded as 9 "
                              "uniformly drawn rows, {} seeds",
                              runs),
       .symptom = fmt::format("{} of the runs stuck (inertia > 1.05 × best), mean inertia {} × "
                              "best, mean ARI {}",
                              mlc::num(stuck_random), mlc::num(inertia_random.mean() / best),
                              mlc::num(ari_random)),
       .why = "uniform seeding often puts two seeds in one blob and none in another; Lloyd's "
              "iteration only moves centers locally, so the pair never separates (a local "
              "minimum of (1))",
       .mitigation = fmt::format(
           "k-means++ D² seeding (4): stuck fraction {}, mean inertia {} × "
           "best, mean ARI {}; the best of 10 k-means++ seedings: stuck fraction {} (best of 10 "
           "random seedings: {})",
           mlc::num(stuck_pp), mlc::num(inertia_pp.mean() / best), mlc::num(ari_pp),
           mlc::num(stuck_pp10), mlc::num(stuck_random10))});
  fmt::print(
      "  seeding: stuck random {:.3f} vs k-means++ {:.3f}; best of 10: {:.3f} vs {:.3f} ({} "
      "runs)\n",
      stuck_random, stuck_pp, stuck_random10, stuck_pp10, runs);
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  mlc::Rng rng(opt.seed);
  const Index n = opt.quick ? 300 : 1500;
  fmt::print("Clustering, seed {}{}\n", opt.seed, opt.quick ? " (quick)" : "");

  // 1. The three scenes.
  MatrixXd centers(3, 2);
  centers << -4.0, -4.0, 0.0, 3.0, 4.0, -1.0;
  mlc::Rng data_rng = rng.derive(1);
  Scene blobs{"blobs", "Blobs", mlc::make_blobs(n, centers, 1.0, data_rng), 3, 0.98};
  Scene aniso{"anisotropic", "Anisotropic blobs", mlc::make_blobs(n, centers, 1.0, data_rng), 3,
              0.98};
  Eigen::Matrix2d A;  // the linear map of the anisotropic blobs (x ↦ x A)
  A << 0.6, -0.6, -0.4, 0.8;
  aniso.data.X = aniso.data.X * A;
  Scene moons{"moons", "Moons", mlc::make_moons(n, 0.06, data_rng), 2, 0.98};

  report.section("Blobs, anisotropic blobs and moons");
  report.text(fmt::format(
      "{} points per data set. Blobs: three unit-variance Gaussians at (-4, -4), (0, 3), (4, -1). "
      "Anisotropic: the same kind of blobs mapped by x ↦ x A, A = [[0.6, -0.6], [-0.4, 0.8]]. "
      "Moons: two half circles, noise 0.06. k-means: best of 10 k-means++ seedings; GMM: best of "
      "10 EM runs; DBSCAN: min_points = 5 and eps the 0.98 quantile of the distance to the 4th "
      "nearest neighbour (Ester et al.'s k-dist heuristic). ARI against the generating labels.",
      n));
  std::vector<std::vector<std::string>> table;
  const SceneResult rb = run_scene(report, blobs, rng.derive(2), table);
  const SceneResult ra = run_scene(report, aniso, rng.derive(3), table);
  const SceneResult rm = run_scene(report, moons, rng.derive(4), table);
  report.table({"data", "k-means ARI", "GMM ARI", "DBSCAN ARI", "DBSCAN eps", "DBSCAN clusters",
                "noise fraction", "k-means silhouette"},
               table);
  (void)rb;

  report.failure_mode(
      {.name = "k-means on non-convex clusters (moons)",
       .trigger = "k-means with k = 2 on two interleaved half circles",
       .symptom = fmt::format("ARI {} (GMM: {}): each half of the plane gets one cluster, cutting "
                              "both moons",
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

  // 2–3. Iris and the EM trace.
  IrisResult iris;
  iris_experiment(report, opt, iris);
  em_trace_figure(report, iris);

  // 4. The remaining failure modes.
  collapse_experiment(report, rng.derive(5));
  init_experiment(report, opt, rng.derive(6));

  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
