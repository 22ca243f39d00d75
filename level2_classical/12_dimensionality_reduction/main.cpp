// Lesson 2.12 dimensionality_reduction: the experiment.
//
// Experiments (each a section of report.md):
//   1. PCA of the digits (raw pixels 0-16, centred, not scaled) by SVD and by the covariance's
//      eigen-decomposition, against scikit-learn's printed ratios; the scree plot, whitening and
//      reconstructions; PCA before a nearest-centroid classifier;
//   2. 2-D embeddings of the digits by PCA, RBF kernel PCA and t-SNE, judged by trustworthiness,
//      k-NN recall and leave-one-out k-NN accuracy in the embedding;
//   3. failure modes: PCA on a swiss roll, t-SNE's meaningless cluster sizes and gaps, and too
//      low a perplexity.
// Follows Bishop, PRML §12.1 and §12.3, and van der Maaten & Hinton (2008); see NOTES.md.
// Run: ./learn run dimensionality_reduction [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dimensionality_reduction.hpp"
#include "lesson_identity.hpp"
#include "mlc/data.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "model_evaluation.hpp"

namespace dr = dimensionality_reduction;
namespace me = model_evaluation;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;
using Rows = std::vector<std::vector<std::string>>;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "PCA of the digits by SVD and by eigen-decomposition of the covariance (they agree to 1e-10), "
    "explained variance, whitening and reconstructions; 2-D embeddings of the digits by PCA, RBF "
    "kernel PCA and t-SNE (written from scratch, gradient-checked), judged by trustworthiness and "
    "k-NN accuracy in the embedding. Failure modes: PCA on a swiss roll, t-SNE cluster sizes and "
    "distances that mean nothing, and too low a perplexity.",
    "report.md, metrics.json, figures/scree.svg, figures/reconstructions.svg, "
    "figures/digits_pca.svg, figures/digits_kernel_pca.svg, figures/digits_tsne.svg, "
    "figures/swiss_roll_pca.svg, figures/tsne_cluster_sizes.svg, figures/tsne_perplexity_2.svg");

// scikit-learn's PCA().explained_variance_ratio_[:10] on load_digits().data (raw pixels,
// centred), as printed to 8 decimals in A. Zheng & A. Casari, "Feature Engineering for
// Machine Learning" (O'Reilly, 2018), ch. 6, and in many tutorials' notebook outputs.
constexpr double kSklearnRatios[10] = {0.14890594, 0.13618771, 0.11794594, 0.08409979, 0.05782415,
                                       0.0491691,  0.04315987, 0.03661373, 0.03353248, 0.03078806};

constexpr int kNeighbors = 10;  // k of trustworthiness and k-NN recall
constexpr int kVote = 5;        // k of the leave-one-out k-NN accuracy

// m of the n rows (all of them when m >= n), in increasing order.
mlc::Dataset sorted_sample(const mlc::Dataset& data, Index m, mlc::Rng& rng) {
  std::vector<Index> rows(static_cast<std::size_t>(data.n()));
  std::iota(rows.begin(), rows.end(), Index{0});
  if (m < data.n()) {
    rows = rng.sample_without_replacement(data.n(), m);
    std::sort(rows.begin(), rows.end());
  }
  return mlc::subset(data, rows);
}

// Tiles of 8 × 8 images (rows of `images`, 64 pixels each, row-major pixel_r_c) into one
// grid for a heat map: `grid_rows` × `grid_cols` tiles separated by a NaN gap, first image
// row at the top.
MatrixXd tile_images(const std::vector<Eigen::RowVectorXd>& images, int grid_rows, int grid_cols) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  MatrixXd canvas = MatrixXd::Constant(grid_rows * 9 - 1, grid_cols * 9 - 1, nan);
  for (int t = 0; t < static_cast<int>(images.size()); ++t) {
    const int gr = t / grid_cols, gc = t % grid_cols;
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c)
        canvas(gr * 9 + r, gc * 9 + c) = images[static_cast<std::size_t>(t)](r * 8 + c);
  }
  return canvas.colwise().reverse();  // heat maps draw row 0 at the bottom
}

// ---- 1. PCA two ways ------------------------------------------------------------------------

void pca_section(mlc::Report& report, const mlc::Dataset& digits, const dr::Pca& pca) {
  report.section("PCA of the digits by SVD and by eigen-decomposition");
  mlc::Timer t_eig;
  const dr::Pca pca_e = dr::pca_eigen(digits.X);
  report.timing("digits.pca.eigen_fit_seconds", t_eig.seconds());
  const Index d = digits.d();
  const VectorXd& ratio = pca.explained_variance_ratio;
  const double ratio_gap = (ratio - pca_e.explained_variance_ratio).cwiseAbs().maxCoeff();
  // Axes agree where eigenvalues are distinct: compare the first 10 (canonical signs).
  const double axis_gap =
      (pca.components.leftCols(10) - pca_e.components.leftCols(10)).cwiseAbs().maxCoeff();
  VectorXd cumulative(d);
  std::partial_sum(ratio.begin(), ratio.end(), cumulative.begin());
  const auto components_for = [&](double frac) {  // the fewest components keeping `frac`
    for (Index k = 0; k < d; ++k)
      if (cumulative(k) >= frac) return static_cast<double>(k + 1);
    return static_cast<double>(d);
  };
  const Index rank = (pca.explained_variance.array() > 1e-10 * pca.explained_variance(0)).count();
  report.metric("digits.pca.explained_variance_ratio", ratio.head(10).eval());
  report.text(fmt::format(
      "PCA of all {} digits on the raw pixel counts (0-16), centred but **not** scaled (the "
      "convention of scikit-learn's `PCA` on `load_digits().data`). The thin SVD of the centred "
      "data (3') and the eigen-decomposition of the covariance (2)-(3) give explained-variance "
      "ratios (4) that differ by at most {} and principal axes (first 10, canonical signs) that "
      "differ by at most {}; the ratios sum to 1 within {}. {} of the 64 covariance eigenvalues "
      "are nonzero (some border pixels are constant). {} components keep 90 % of the variance, {} "
      "keep 95 %.",
      digits.n(), report.quote("digits.pca.svd_vs_eigen_max_ratio_difference", ratio_gap, 2),
      report.quote("digits.pca.svd_vs_eigen_max_axis_difference_top10", axis_gap, 2),
      report.quote("digits.pca.ratio_sum_minus_one", ratio.sum() - 1.0, 2),
      report.quote("digits.pca.numerical_rank", static_cast<double>(rank)),
      report.quote("digits.pca.components_for_90pct", components_for(0.90)),
      report.quote("digits.pca.components_for_95pct", components_for(0.95))));
  Rows rows;
  double sklearn_gap = 0;
  for (Index k = 0; k < 10; ++k) {
    sklearn_gap = std::max(sklearn_gap, std::abs(ratio(k) - kSklearnRatios[k]));
    rows.push_back({std::to_string(k + 1), mlc::num(pca.explained_variance(k), 6),
                    mlc::num(ratio(k), 9), mlc::num(pca_e.explained_variance_ratio(k), 9),
                    mlc::num(kSklearnRatios[k], 8), mlc::num(cumulative(k), 4)});
  }
  report.table({"component", "variance λ_k", "ratio (SVD)", "ratio (eigen)",
                "scikit-learn (printed)", "cumulative"},
               rows);
  report.text(fmt::format(
      "Against scikit-learn's printed ratios (8 decimals) the largest difference is {}, within "
      "their rounding (5e-9).",
      report.quote("digits.pca.max_abs_difference_vs_sklearn_printed", sklearn_gap, 2)));
  fmt::print("PCA of {} digits: first ratios {:.4f} {:.4f} {:.4f}; SVD vs eigen differ by {:.1e}\n",
             digits.n(), ratio(0), ratio(1), ratio(2), ratio_gap);

  const VectorXd comp_index = VectorXd::LinSpaced(d, 1.0, static_cast<double>(d));
  mlc::Figure scree("Scree plot: explained variance of the digits' principal components");
  scree.xlabel("component k")
      .ylabel("fraction of the total variance")
      .yrange(0, 1.02)
      .legend("center right");
  scree.line_points(comp_index, ratio, "explained-variance ratio (4)");
  scree.line(comp_index, cumulative, "cumulative");
  scree.hline(0.9, "90 %", {.color = 8, .dash = true});
  report.figure(scree, "scree",
                "Explained-variance ratio of each component and its running sum (digits, raw "
                "pixels, centred).");
}

void reconstruction_subsection(mlc::Report& report, const mlc::Dataset& digits,
                               const dr::Pca& pca) {
  const Index n = digits.n(), d = digits.d(), k_white = 30;
  const MatrixXd W = dr::whiten(pca, digits.X, k_white);  // (7)
  const double white_gap =
      (dr::covariance_matrix(W) - MatrixXd::Identity(k_white, k_white)).cwiseAbs().maxCoeff();
  report.subsection("Whitening and reconstruction");
  report.text(fmt::format(
      "Whitening the first {} components (7) gives scores whose sample covariance differs from the "
      "identity by at most {} per entry. Reconstructing from k components (6) leaves the mean "
      "squared error (8), which on the fitted data equals (n−1)/n times the sum of the discarded "
      "eigenvalues:",
      k_white, report.quote("digits.whitening.max_abs_cov_minus_identity", white_gap, 2)));
  const std::vector<Index> ks = {0, 2, 5, 10, 20, 30, 40, 64};
  const VectorXd err = dr::reconstruction_error(pca, digits.X, ks);
  Rows rows;
  double identity_gap = 0;
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const double e = err(static_cast<Index>(i));
    const double predicted = (static_cast<double>(n - 1) / static_cast<double>(n)) *
                             pca.explained_variance.tail(d - ks[i]).sum();
    identity_gap = std::max(identity_gap, std::abs(e - predicted) / std::max(predicted, 1.0));
    rows.push_back({std::to_string(ks[i]),
                    report.quote(fmt::format("digits.pca.reconstruction_mse.k{}", ks[i]), e, 5),
                    mlc::num(predicted, 5), mlc::num(1.0 - e / err(0), 4)});
  }
  report.metric("digits.pca.reconstruction_identity_max_relative_gap", identity_gap);
  report.table({"k", "measured MSE (8)", "(n−1)/n Σ_{j>k} λ_j", "variance kept"}, rows);

  // The first digit of each class 0..5 as 8 × 8 images: the original, then k = 30, 10, 2.
  std::vector<Index> shown;
  for (int c = 0; c < 6; ++c)
    shown.push_back(std::find(digits.y.begin(), digits.y.end(), c) - digits.y.begin());
  std::vector<Eigen::RowVectorXd> tiles;
  for (Index k : {Index{-1}, Index{30}, Index{10}, Index{2}})
    for (Index i : shown) {
      const MatrixXd x = digits.X.row(i);
      tiles.push_back(k < 0 ? Eigen::RowVectorXd(x)
                            : Eigen::RowVectorXd(pca.inverse_transform(pca.transform(x, k))));
    }
  mlc::Figure recon(
      "Digits reconstructed from k principal components (rows: original, k = 30, 10, 2)");
  recon.heatmap(tile_images(tiles, 4, 6), 0, 52, 0, 34, "pixel value")
      .equal_axes()
      .size(720, 520)
      .legend("off");
  recon.xrange(-0.5, 52.5).yrange(-0.5, 34.5);
  report.figure(
      recon, "reconstructions",
      "Top row: six digits; below, μ + Σ_{j<=k} z_j v_j (6) for k = 30, 10 and 2. At k = 2 every "
      "digit becomes a blurred blend near the mean.");
}

// PCA as preprocessing for a classifier, on the curriculum's protocol.
void classifier_subsection(mlc::Report& report, const mlc::Options& opt,
                           const mlc::Dataset& digits) {
  report.subsection("PCA before a classifier (5 stratified splits)");
  const int repeats = opt.quick ? 1 : 5;
  const std::vector<Index> pcs = {2, 10, 30, 64};
  mlc::Timer t_cv;
  const auto summary = me::evaluate_on_splits(
      digits, repeats, opt.seed,
      [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        const dr::Pca p = dr::pca_svd(train.X);  // fitted on the training part only
        std::map<std::string, double> out;
        for (Index k : pcs)
          out[fmt::format("k{}", k)] = me::accuracy(
              test.labels(), me::nearest_centroid(p.transform(train.X, k), train.labels(),
                                                  p.transform(test.X, k)));
        return out;
      },
      0.25, /*standardize=*/false);
  report.timing("digits.pca_nearest_centroid.evaluate_seconds", t_cv.seconds());
  Rows rows;
  for (Index k : pcs) {
    const std::string key = fmt::format("k{}", k),
                      name = fmt::format("digits.pca{}.nearest_centroid.test_accuracy", k);
    report.metric(name, summary.mean(key));
    report.metric(name + "_sd", summary.sd(key));
    rows.push_back({std::to_string(k), mlc::mean_sd(summary.mean(key), summary.sd(key))});
  }
  report.text(fmt::format(
      "Nearest-centroid classification (lesson 2.5) on the first k principal components, PCA "
      "fitted on the training part of each of {} stratified 75/25 splits (one seed per split, from "
      "{} on; raw pixels, so no standardization). k = 64 is the classifier on all pixels (a "
      "rotation does not change Euclidean distances).",
      repeats, opt.seed));
  report.table({"components k", "test accuracy (mean ± sd)"}, rows);
}

// ---- 2. Embeddings of the digits ------------------------------------------------------------

// One row of the embeddings table, its three scores recorded as digits.KEY_2d.*.
std::vector<std::string> embedding_row(mlc::Report& report, const std::string& label,
                                       const std::string& key, const MatrixXd& X, const MatrixXd& Y,
                                       const VectorXi& labels) {
  const std::string p = "digits." + key + "_2d.";
  return {label, report.quote(p + "trustworthiness", dr::trustworthiness(X, Y, kNeighbors), 3),
          report.quote(p + "knn_recall", dr::knn_recall(X, Y, kNeighbors), 3),
          report.quote(p + "loo_knn_accuracy",
                       me::accuracy(labels, dr::knn_loo_labels(Y, labels, kVote)), 3)};
}

// The KL(P‖Q) curve of t-SNE at about six of its recorded iterations, and the last.
Rows kl_rows(const dr::TsneResult& ts) {
  Rows rows;
  for (std::size_t i = 0; i < ts.recorded_kl.size();
       i += std::max<std::size_t>(1, ts.recorded_kl.size() / 6))
    rows.push_back({std::to_string(ts.recorded_iteration[i]), mlc::num(ts.recorded_kl[i], 4)});
  if (rows.back()[0] != std::to_string(ts.recorded_iteration.back()))
    rows.push_back(
        {std::to_string(ts.recorded_iteration.back()), mlc::num(ts.recorded_kl.back(), 4)});
  return rows;
}

void embeddings_section(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& digits,
                        const dr::Pca& pca_all, const mlc::Rng& root) {
  report.section("Two-dimensional embeddings of the digits");
  mlc::Rng sample_rng = root.derive(8);
  const mlc::Dataset sub = sorted_sample(digits, opt.quick ? 300 : digits.n(), sample_rng);
  const Index n = sub.n();
  const VectorXi labels = sub.labels();
  const MatrixXd Y_pca = dr::pca_svd(sub.X).transform(sub.X, 2);
  mlc::Timer t_kpca;
  const double gamma = dr::median_heuristic_gamma(sub.X);
  mlc::Rng kpca_rng = root.derive(1);
  const dr::KernelPca kpca = dr::kernel_pca(dr::rbf_kernel(sub.X, gamma), 2, kpca_rng);
  report.timing("digits.kernel_pca.fit_seconds", t_kpca.seconds());
  dr::TsneOptions topt;
  topt.iterations = opt.quick ? 250 : 600;
  mlc::Timer t_aff;
  const dr::Affinities aff = dr::tsne_affinities(sub.X, topt.perplexity);
  report.timing("digits.tsne.affinities_seconds", t_aff.seconds());
  mlc::Timer t_tsne;
  mlc::Rng tsne_rng = root.derive(2);
  const dr::TsneResult ts = dr::tsne(aff.P, topt, tsne_rng);
  report.timing("digits.tsne.optimise_seconds", t_tsne.seconds());

  const Rows rows{
      {"raw pixels (64-D)", "1", "1",
       report.quote("digits.raw.loo_knn_accuracy",
                    me::accuracy(labels, dr::knn_loo_labels(sub.X, labels, kVote)), 3)},
      embedding_row(report, "PCA", "pca", sub.X, Y_pca, labels),
      embedding_row(report, "kernel PCA (RBF)", "kernel_pca", sub.X, kpca.embedding, labels),
      embedding_row(report, "t-SNE", "tsne", sub.X, ts.Y, labels)};
  report.metric("digits.tsne.iterations", topt.iterations);
  report.metric("digits.tsne.kl_curve", ts.recorded_kl);
  report.text(fmt::format(
      "{} digits embedded in two dimensions. Kernel PCA uses the RBF kernel with γ = {} (the "
      "median heuristic, 1 / median squared distance), its Gram matrix centred in feature space "
      "(10) and its top eigenpairs found by orthogonal iteration (12) in {} steps. t-SNE uses "
      "perplexity {} (every β_i calibrated by bisection to |H − log Perp| <= {}, {} steps per "
      "point on average), learning rate {}, early exaggeration {} for {} iterations, momentum {} "
      "then {}, {} iterations in all, final KL(P‖Q) = {}. Each embedding is judged against the "
      "64-D pixels by trustworthiness (21) and {}-NN recall, and by the leave-one-out {}-NN "
      "accuracy of the digit labels inside the embedding (labels never enter the embedding; all "
      "are unsupervised).",
      report.quote("digits.embedding.n", static_cast<double>(n), 10),
      report.quote("digits.kernel_pca.gamma", gamma, 3),
      report.quote("digits.kernel_pca.orthogonal_iterations", kpca.iterations, 10), topt.perplexity,
      report.quote("digits.tsne.perplexity_max_entropy_error", aff.max_entropy_error, 2),
      report.quote("digits.tsne.mean_bisection_steps",
                   static_cast<double>(aff.total_iterations) / static_cast<double>(n), 3),
      topt.learning_rate, topt.early_exaggeration, topt.exaggeration_iterations,
      topt.initial_momentum, topt.final_momentum, topt.iterations,
      report.quote("digits.tsne.final_kl", ts.final_kl, 4), kNeighbors, kVote));
  report.table({"embedding", "trustworthiness (k=10)", "10-NN recall", "LOO 5-NN accuracy"}, rows);
  report.table({"t-SNE iteration", "KL(P‖Q)"}, kl_rows(ts));
  fmt::print(
      "Embeddings of {} digits, LOO 5-NN accuracy: PCA {}, kernel PCA {}, t-SNE {} (raw {})\n", n,
      rows[1][3], rows[2][3], rows[3][3], rows[0][3]);

  const auto scatter = [&](const MatrixXd& Y, const std::string& title, const std::string& xl,
                           const std::string& yl) {
    mlc::Figure f(title);
    f.xlabel(xl).ylabel(yl).legend("outside right").size(760, 560);
    f.scatter_classes(Y, labels, sub.class_names, 0.45);
    return f;
  };
  const double kept2 = pca_all.explained_variance_ratio(0) + pca_all.explained_variance_ratio(1);
  report.figure(
      scatter(Y_pca, "Digits: PCA (first two components)", "PC 1", "PC 2"), "digits_pca",
      fmt::format("PCA: a linear projection keeps {:.1f} % of the variance; the classes overlap "
                  "(LOO 5-NN accuracy {}).",
                  100 * kept2, rows[1][3]));
  report.figure(
      scatter(kpca.embedding, "Digits: RBF kernel PCA (first two components)", "KPC 1", "KPC 2"),
      "digits_kernel_pca",
      fmt::format("Kernel PCA with an RBF kernel (γ = {}): still two global directions of "
                  "variance, in feature space (LOO 5-NN accuracy {}).",
                  mlc::num(gamma, 3), rows[2][3]));
  report.figure(
      scatter(ts.Y, "Digits: t-SNE (perplexity 30)", "t-SNE 1", "t-SNE 2"), "digits_tsne",
      fmt::format("t-SNE: local neighbourhoods kept, classes separated (LOO 5-NN accuracy {}).",
                  rows[3][3]));
}

// ---- 3. Failure modes -------------------------------------------------------------------------

// t-SNE settings of the failure-mode experiments: the defaults, fewer iterations.
dr::TsneOptions failure_tsne(const mlc::Options& opt) {
  dr::TsneOptions o;
  o.iterations = opt.quick ? 250 : 400;
  return o;
}

void swiss_roll(mlc::Report& report, const mlc::Options& opt, const mlc::Rng& root) {
  const Index n_roll = opt.quick ? 300 : 800;
  mlc::Rng roll_rng = root.derive(3), tsne_rng = root.derive(4);
  const dr::SwissRoll roll = dr::make_swiss_roll(n_roll, 0.05, roll_rng);
  const MatrixXd pca = dr::pca_svd(roll.X).transform(roll.X, 2);
  const MatrixXd tsne = dr::tsne_embed(roll.X, failure_tsne(opt), tsne_rng).Y;
  constexpr double kFar = 10.0;            // on the unrolled sheet: half the roll's width (21)
  const MatrixXd& sheet = roll.intrinsic;  // the unrolled coordinates (arc length, height)
  const auto recall = [&](const std::string& key, const MatrixXd& Y) {
    return report.quote("swiss_roll.knn_recall." + key, dr::knn_recall(sheet, Y, kNeighbors), 3);
  };
  const auto trust = [&](const std::string& key, const MatrixXd& Y) {
    return report.quote("swiss_roll.trustworthiness." + key,
                        dr::trustworthiness(sheet, Y, kNeighbors), 3);
  };
  const auto far = [&](const std::string& key, const MatrixXd& Y) {
    const double f = dr::far_neighbor_fraction(sheet, Y, kNeighbors, kFar);
    report.metric("swiss_roll.far_neighbor_fraction." + key, f);
    return f;
  };
  const double recall_pca_value = dr::knn_recall(sheet, pca, kNeighbors);
  const std::string recall_3d = recall("input_3d", roll.X), recall_tsne = recall("tsne_2d", tsne);
  const std::string recall_pca = report.quote("swiss_roll.knn_recall.pca_2d", recall_pca_value, 3);
  const std::string trust_pca = trust("pca_2d", pca), trust_tsne = trust("tsne_2d", tsne);
  const double far_3d = far("input_3d", roll.X), far_pca = far("pca_2d", pca),
               far_tsne = far("tsne_2d", tsne);
  const double rho = std::max(std::abs(dr::spearman_correlation(pca.col(0), roll.t)),
                              std::abs(dr::spearman_correlation(pca.col(1), roll.t)));
  report.subsection("PCA on a swiss roll");
  report.text(fmt::format(
      "{} points on a swiss roll (noise sd 0.05), compared with their unrolled coordinates (arc "
      "length along the spiral, height): the 10-NN recall, the trustworthiness (21) with the "
      "unrolled sheet as the input space, and the fraction of embedding 10-NN that lie more than "
      "{} apart on the sheet (false neighbours brought in by a fold).",
      report.quote("swiss_roll.n", static_cast<double>(n_roll), 10), kFar));
  report.table({"representation", "10-NN recall", "trustworthiness (k=10)", "far false neighbours"},
               {{"3-D input", recall_3d, "", mlc::num(far_3d, 3)},
                {"PCA, 2-D", recall_pca, trust_pca, mlc::num(far_pca, 3)},
                {"t-SNE, 2-D", recall_tsne, trust_tsne, mlc::num(far_tsne, 3)}});
  VectorXi height_bin(n_roll);
  for (Index i = 0; i < n_roll; ++i)
    height_bin(i) = std::min(3, static_cast<int>(sheet(i, 1) / 21.0 * 4.0));
  mlc::Figure fig("Swiss roll: 2-D PCA, coloured by height along the roll's axis");
  fig.xlabel("PC 1").ylabel("PC 2").legend("outside right").equal_axes();
  fig.scatter_classes(pca, height_bin,
                      {"h in [0, 5.25)", "[5.25, 10.5)", "[10.5, 15.75)", "[15.75, 21]"}, 0.5);
  report.figure(
      fig, "swiss_roll_pca",
      "PCA keeps the two directions of largest variance, close to the spiral cross-section: points "
      "at every height along the roll's axis land almost on top of each other, and the spiral "
      "stays rolled up.");
  report.failure_mode(
      {.name = "PCA on a nonlinear manifold (swiss roll)",
       .trigger = fmt::format(
           "{} points on a swiss roll (a 2-D sheet rolled up in 3-D), embedded in 2-D by PCA.",
           n_roll),
       .symptom = fmt::format("Only {} of each point's 10 nearest neighbours on the unrolled sheet "
                              "are among its 10 nearest in the PCA plane (10-NN recall {}, against "
                              "{} in the 3-D input); {} % of the PCA plane's 10-NN lie more than "
                              "{} apart on the sheet (input: {} %), and no principal component "
                              "orders the points along the roll (best |Spearman ρ| with t: {}).",
                              mlc::num(10 * recall_pca_value, 2), recall_pca, recall_3d,
                              mlc::num(100 * far_pca, 3), kFar, mlc::num(100 * far_3d, 3),
                              report.quote("swiss_roll.pca.max_abs_spearman_with_t", rho, 3)),
       .why =
           "PCA finds the linear subspace of largest variance (3); the roll's variance lies along "
           "the curled-up spiral, and no linear projection can unroll it, so points far apart "
           "along the sheet land next to each other.",
       .mitigation =
           fmt::format("A neighbourhood-preserving nonlinear method: t-SNE on the same points "
                       "reaches 10-NN recall {}, trustworthiness {} (PCA {}) and {} % far false "
                       "neighbours.",
                       recall_tsne, trust_tsne, trust_pca, mlc::num(100 * far_tsne, 3))});
}

void cluster_sizes(mlc::Report& report, const mlc::Options& opt, const mlc::Rng& root) {
  const Index per_cluster = opt.quick ? 80 : 150, dim = 10;
  MatrixXd centers = MatrixXd::Zero(3, dim);
  centers(1, 0) = 40.0;   // B: 40 from A
  centers(2, 1) = 200.0;  // C: 200 from A
  const double sds[3] = {1.0, 5.0, 1.0};
  MatrixXd Xc(3 * per_cluster, dim);
  VectorXi yc(3 * per_cluster);
  mlc::Rng cl_rng = root.derive(5), tsne_rng = root.derive(6);
  for (int c = 0; c < 3; ++c)
    for (Index i = 0; i < per_cluster; ++i) {
      Xc.row(c * per_cluster + i) = centers.row(c) + sds[c] * cl_rng.normal_vector(dim).transpose();
      yc(c * per_cluster + i) = c;
    }
  const dr::TsneOptions small = failure_tsne(opt);
  const MatrixXd Yc = dr::tsne_embed(Xc, small, tsne_rng).Y;
  const MatrixXd Yc_pca = dr::pca_svd(Xc).transform(Xc, 2);
  // The spread ratio B/A (RMS radii) and the gap ratio (A–C)/(A–B) (centroid distances) in a space.
  const auto ratios = [&](const MatrixXd& Z) {
    const VectorXd r = dr::cluster_rms_radius(Z, yc, 3);
    const MatrixXd D = dr::centroid_distances(Z, yc, 3);
    return std::pair{r(1) / r(0), D(0, 2) / D(0, 1)};
  };
  const auto [size_in, gap_in] = ratios(Xc);
  const auto [size_ts, gap_ts] = ratios(Yc);
  const auto [size_pca, gap_pca] = ratios(Yc_pca);
  const auto row = [&](const std::string& label, const std::string& key, double size, double gap) {
    return std::vector<std::string>{
        label, report.quote("clusters." + key + ".spread_ratio_B_over_A", size, 3),
        report.quote("clusters." + key + ".gap_ratio_AC_over_AB", gap, 3)};
  };
  const auto r3 = [](double v) { return mlc::num(v, 3); };  // the table's numbers, restated
  report.subsection("t-SNE cluster sizes and distances");
  report.table(
      {"space", "RMS radius B / A", "distance A–C / A–B"},
      {row("10-D input", "input", size_in, gap_in), row("t-SNE 2-D", "tsne", size_ts, gap_ts),
       row("PCA 2-D", "pca", size_pca, gap_pca)});
  mlc::Figure fig("t-SNE of three Gaussian clusters (10-D) with different spreads and gaps");
  fig.xlabel("t-SNE 1").ylabel("t-SNE 2").legend("outside right").equal_axes();
  fig.scatter_classes(Yc, yc, {"A: sd 1", "B: sd 5, 40 from A", "C: sd 1, 200 from A"}, 0.5);
  report.figure(
      fig, "tsne_cluster_sizes",
      fmt::format("In the input B is {:.1f}× wider than A and C is {:.1f}× farther from A than B "
                  "is; in the t-SNE map the ratios are {} and {}.",
                  size_in, gap_in, r3(size_ts), r3(gap_ts)));
  report.failure_mode(
      {.name = "t-SNE cluster sizes and distances are not meaningful",
       .trigger = fmt::format(
           "Three Gaussian clusters of {} points in 10-D: A (sd 1), B (sd 5, centre 40 from A), C "
           "(sd 1, centre 200 from A); t-SNE at perplexity {}.",
           per_cluster, small.perplexity),
       .symptom = fmt::format(
           "Spread ratio B/A: {} in the input, {} in the t-SNE map. Gap ratio (A–C)/(A–B): {} in "
           "the input, {} in the map.",
           r3(size_in), r3(size_ts), r3(gap_in), r3(gap_ts)),
       .why = "Each point's bandwidth σ_i is tuned to a fixed perplexity (14), so a dense and a "
              "sparse cluster get the same effective number of neighbours and similar sizes; and "
              "between clusters p_ij ≈ 0 whatever the distance, so the heavy-tailed q_ij only "
              "needs them apart, not proportionally apart.",
       .mitigation =
           fmt::format("Read sizes and distances from the input or a linear map: in PCA's 2-D "
                       "projection the ratios are {} and {}.",
                       r3(size_pca), r3(gap_pca))});
  fmt::print("Failure modes: cluster spread ratio {:.2f} -> {:.2f}, gap ratio {:.2f} -> {:.2f}\n",
             size_in, size_ts, gap_in, gap_ts);
}

void perplexity_too_low(mlc::Report& report, const mlc::Options& opt, const mlc::Dataset& digits,
                        const mlc::Rng& root) {
  mlc::Rng sample_rng = root.derive(9);
  const mlc::Dataset sub = sorted_sample(digits, opt.quick ? 250 : 600, sample_rng);
  const VectorXi labels = sub.labels();
  const dr::TsneOptions small = failure_tsne(opt);
  Rows rows;
  MatrixXd Y_perp2;
  std::map<double, std::string> comps, acc, trust;  // quoted, per perplexity
  for (double perp : {2.0, 5.0, 30.0, 50.0}) {
    dr::TsneOptions po = small;
    po.perplexity = perp;
    mlc::Rng rng = root.derive(7);  // the same start at every perplexity
    const MatrixXd Y = dr::tsne_embed(sub.X, po, rng).Y;
    if (perp == 2) Y_perp2 = Y;
    const std::string p = fmt::format("perplexity.p{}.", perp);
    comps[perp] = report.quote(p + "knn_graph_components", dr::knn_graph_components(Y, kVote), 10);
    acc[perp] = report.quote(p + "loo_knn_accuracy",
                             me::accuracy(labels, dr::knn_loo_labels(Y, labels, kVote)), 3);
    trust[perp] = report.quote(p + "trustworthiness", dr::trustworthiness(sub.X, Y, kNeighbors), 3);
    rows.push_back({mlc::num(perp), comps[perp], acc[perp], trust[perp]});
  }
  report.subsection("Perplexity too low");
  report.text(fmt::format(
      "t-SNE of {} digits at four perplexities ({} iterations each, same start): the number of "
      "connected components of the embedding's symmetrised 5-NN graph (the digits have 10 "
      "classes), the LOO 5-NN accuracy and the trustworthiness.",
      sub.n(), small.iterations));
  report.table(
      {"perplexity", "5-NN graph components", "LOO 5-NN accuracy", "trustworthiness (k=10)"}, rows);
  mlc::Figure fig("t-SNE of digits at perplexity 2");
  fig.xlabel("t-SNE 1").ylabel("t-SNE 2").legend("outside right").size(760, 560);
  fig.scatter_classes(Y_perp2, labels, sub.class_names, 0.45);
  report.figure(
      fig, "tsne_perplexity_2",
      fmt::format("Perplexity 2: each point's P_i is spread over about two neighbours, and the map "
                  "shatters into {} small islands (5-NN graph components).",
                  comps[2]));
  report.failure_mode(
      {.name = "Perplexity too low fragments the clusters",
       .trigger =
           fmt::format("t-SNE of {} digits with perplexity 2 (and 5) instead of 30-50.", sub.n()),
       .symptom = fmt::format(
           "The symmetrised 5-NN graph of the map falls into {} components at perplexity 2 and {} "
           "at 5, against {} at 30 (10 classes); the trustworthiness drops to {} (from {} at 30). "
           "The LOO 5-NN accuracy stays high ({} vs {}): the islands are pure, the damage is in "
           "how they are arranged.",
           comps[2], comps[5], comps[30], trust[2], trust[30], acc[2], acc[30]),
       .why = "With H(P_i) = log 2 each point keeps about two effective neighbours (14): P becomes "
              "a sparse graph of tiny cliques, and nothing in the cost ties one clique to the "
              "next, so each class breaks into islands placed almost at random.",
       .mitigation =
           fmt::format("Perplexity 30 or 50: {} and {} components, trustworthiness {} and {}.",
                       comps[30], comps[50], trust[30], trust[50])});
  fmt::print("Perplexity: 5-NN graph components at 2/30: {}/{}\n", comps[2], comps[30]);
}

// ---- The program ----------------------------------------------------------------------------

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  const mlc::Dataset digits = mlc::load_dataset("digits");
  mlc::Timer t_svd;
  const dr::Pca pca = dr::pca_svd(digits.X);
  report.timing("digits.pca.svd_fit_seconds", t_svd.seconds());

  pca_section(report, digits, pca);
  reconstruction_subsection(report, digits, pca);
  classifier_subsection(report, opt, digits);
  embeddings_section(report, opt, digits, pca, root);
  report.section("Failure modes");
  swiss_roll(report, opt, root);
  cluster_sizes(report, opt, root);
  perplexity_too_low(report, opt, digits, root);
  report.headline({"digits.pca.components_for_90pct", "digits.tsne_2d.trustworthiness"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
