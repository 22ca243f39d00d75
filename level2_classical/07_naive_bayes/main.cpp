// 2.7 naive_bayes: Gaussian and multinomial naive Bayes with additive smoothing, in log space.
//
// Experiments (each a section of report.md):
//   1. Gaussian NB on wine over the five standard splits, with its class-conditional densities;
//   2. duplicated wine features make the posteriors overconfident: reliability diagrams,
//      log-loss, Brier, ECE from model_evaluation; mitigated by decorrelating (failure mode);
//   3. multinomial NB identifying which of six leading characters (one per play) of
//      tiny-shakespeare speaks a speech, against the majority baseline; then
//      3a. smoothing: without it a word unseen in a class's training speeches zeroes that
//          class's posterior; accuracy against α (failure mode);
//      3b. product-space likelihoods underflow on long passages, log space does not (failure
//          mode).
// Sources: Manning, Raghavan & Schütze (2008) §13.2–13.4; Murphy (2012) §3.5; McCallum & Nigam
// (1998).
// Run: ./learn run naive_bayes [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "mlc/timer.hpp"
#include "model_evaluation.hpp"
#include "naive_bayes.hpp"

namespace nb = naive_bayes;
namespace me = model_evaluation;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Gaussian and multinomial naive Bayes with additive (Laplace) smoothing, computed in log "
    "space with log-sum-exp normalisation and the variance floor of libraries. Gaussian NB on "
    "wine over five splits; multinomial NB identifying which of six Shakespeare characters speaks "
    "a speech (tiny-shakespeare, bag of words) against the majority baseline. Failure modes: "
    "duplicated features make the posteriors overconfident (calibration measured), a zero count "
    "without smoothing zeroes the posterior, and product-space likelihoods underflow.",
    "report.md, metrics.json, figures/wine_densities.svg, figures/reliability_duplicated.svg, "
    "figures/duplicated_trend.svg, figures/text_alpha.svg, figures/passage_length.svg");

// Six leading characters, each from a different play, so that every class has ≥ 98 speeches.
const std::vector<std::string> kSpeakers{"DUKE VINCENTIO", "ROMEO",   "MENENIUS",
                                         "PETRUCHIO",      "LEONTES", "KING RICHARD II"};
const std::vector<std::string> kPlays{"Measure for Measure",     "Romeo and Juliet",  "Coriolanus",
                                      "The Taming of the Shrew", "The Winter's Tale", "Richard II"};
constexpr int kSpeakerCount = 6;
const std::vector<int> kCopies{1, 2, 5, 10};
constexpr int kCvFolds = 5;
const std::vector<double> kAlphas{1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0};
const std::vector<int> kPassageLengths{10, 20, 50, 100, 150, 200, 300, 500, 1000};

using Rows = std::vector<std::vector<std::string>>;

// A fraction recorded as a metric and stated as a percentage ("8.889 %").
std::string quote_pct(mlc::Report& report, const std::string& name, double fraction) {
  report.metric(name, fraction);
  return mlc::num(100 * fraction, 4) + " %";
}

// "mean ± sd" over the splits of summary entry `key`: the mean is the metric `name`, the sd
// the metric name_sd when `sd_metric`.
std::string quote_mean_sd(mlc::Report& report, const std::string& name, const me::SplitSummary& s,
                          const std::string& key, bool sd_metric = false) {
  const std::string sd =
      sd_metric ? report.quote(name + "_sd", s.sd(key), 2) : mlc::num(s.sd(key), 2);
  return report.quote(name, s.mean(key)) + " ± " + sd;
}

// The confusion matrix summed over the test parts of all splits; cell (i, j) is the metric
// PREFIX.confusion.i_j.
void confusion_table(mlc::Report& report, const std::string& prefix,
                     const std::vector<std::string>& names, const Eigen::MatrixXi& confusion) {
  std::vector<std::string> header{"true \\ predicted"};
  header.insert(header.end(), names.begin(), names.end());
  Rows rows;
  for (int i = 0; i < confusion.rows(); ++i) {
    rows.push_back({names[static_cast<std::size_t>(i)]});
    for (int j = 0; j < confusion.cols(); ++j) {
      rows.back().push_back(
          report.quote(fmt::format("{}.confusion.{}_{}", prefix, i, j), confusion(i, j), 6));
    }
  }
  report.table(header, rows);
}

int majority_class(const Eigen::VectorXd& log_prior) {
  return static_cast<int>(std::max_element(log_prior.begin(), log_prior.end()) - log_prior.begin());
}

// ---- 1. Wine: Gaussian NB ----------------------------------------------------------------

// One of the 13 factors of (1): flavanoids per cultivar (raw units) and its Gaussian (2),
// fitted on all 178 wines.
void wine_densities(mlc::Report& report, const mlc::Dataset& data) {
  const auto f = std::find(data.feature_names.begin(), data.feature_names.end(), "flavanoids") -
                 data.feature_names.begin();
  mlc::require(f < data.d(), "wine_densities", "wine has no flavanoids column");
  const Eigen::MatrixXd x = data.X.col(f);
  const nb::GaussianNB one = nb::gaussian_nb_fit(x, data.labels(), data.num_classes());
  const double lo = x.minCoeff() - 0.5, hi = x.maxCoeff() + 0.5;
  const Eigen::VectorXd grid = Eigen::VectorXd::LinSpaced(300, lo, hi);
  mlc::Figure fig("Wine: flavanoids by cultivar, with the fitted class-conditional Gaussians");
  fig.xlabel("flavanoids (raw units)").ylabel("density");
  for (int c = 0; c < data.num_classes(); ++c) {
    std::vector<double> vals;
    for (Eigen::Index i = 0; i < data.n(); ++i) {
      if (data.labels()(i) == c) vals.push_back(x(i, 0));
    }
    fig.histogram(vals, 24, data.class_names[static_cast<std::size_t>(c)] + " (histogram)", true,
                  std::make_pair(lo, hi), {.color = c});
  }
  for (int c = 0; c < data.num_classes(); ++c) {
    const double mu = one.mean(c, 0), var = one.variance(c, 0);
    const Eigen::ArrayXd dens =
        (-(grid.array() - mu).square() / (2 * var)).exp() / std::sqrt(2 * M_PI * var);
    fig.line(grid, dens, fmt::format("N({:.2f}, {:.2f}²)", mu, std::sqrt(var)),
             {.color = c, .width = 2.4});
    report.metric(fmt::format("wine.flavanoids.class{}.mean", c), mu);
    report.metric(fmt::format("wine.flavanoids.class{}.sd", c), std::sqrt(var));
  }
  report.figure(fig, "wine_densities",
                "Flavanoids per cultivar (histograms, density scale) and the Gaussian that naive "
                "Bayes fits to each class (mean, 1/n_c variance; all 178 wines). The classes "
                "overlap on one feature; NB multiplies 13 such one-dimensional densities as if "
                "independent.");
}

void wine_gaussian(mlc::Report& report, const mlc::Options& opt, int repeats) {
  report.section("Wine: Gaussian naive Bayes over the standard splits");
  const mlc::Dataset data = mlc::load_dataset("wine");
  const int K = data.num_classes();
  double fit_s = 0, predict_s = 0;
  Eigen::MatrixXi confusion = Eigen::MatrixXi::Zero(K, K);
  const auto s = me::evaluate_on_splits(
      data, repeats, opt.seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        const Eigen::VectorXi ytr = train.labels(), yte = test.labels();
        mlc::Timer fit_timer;
        const nb::GaussianNB model = nb::gaussian_nb_fit(train.X, ytr, K);
        fit_s += fit_timer.seconds();
        mlc::Timer predict_timer;
        const Eigen::MatrixXd J = nb::gaussian_joint_log_likelihood(model, test.X);
        const Eigen::VectorXi pred = nb::predict(J);
        predict_s += predict_timer.seconds();
        confusion += me::confusion_matrix(yte, pred, K);
        const int majority = majority_class(model.log_prior);
        return std::map<std::string, double>{
            {"test_accuracy", me::accuracy(yte, pred)},
            {"train_accuracy",
             me::accuracy(ytr, nb::predict(nb::gaussian_joint_log_likelihood(model, train.X)))},
            {"log_loss", me::multiclass_log_loss(yte, nb::posterior(J))},
            {"nearest_centroid", me::accuracy(yte, me::nearest_centroid(train.X, ytr, test.X))},
            {"majority", me::accuracy(yte, Eigen::VectorXi::Constant(yte.size(), majority))}};
      });
  report.timing("wine.gaussian_nb.fit_seconds", fit_s / repeats);
  report.timing("wine.gaussian_nb.predict_seconds", predict_s / repeats);

  report.text(fmt::format(
      "178 wines, 13 chemical features, 3 cultivars; {} stratified 75/25 split(s) (seeds {}..), "
      "features standardized on the training part (Gaussian NB is invariant to that scaling up to "
      "the floor ε, which scales with it). The model fits a mean and a 1/n_c variance per class "
      "and feature (3 × 13 × 2 numbers) plus the class priors; ε = 10⁻⁹ · the largest feature "
      "variance is added to every variance (3), as scikit-learn does.",
      report.quote("wine.repeats", repeats), opt.seed));
  const auto q = [&](const std::string& name, const std::string& key) {
    return report.quote("wine." + name, s.mean(key));
  };
  const std::string acc =
      quote_mean_sd(report, "wine.gaussian_nb.test_accuracy", s, "test_accuracy", true);
  report.table(
      {"model", "test accuracy (mean ± sd)", "train accuracy", "test log-loss"},
      {{"Gaussian NB", acc, q("gaussian_nb.train_accuracy", "train_accuracy"),
        q("gaussian_nb.test_log_loss", "log_loss")},
       {"nearest centroid (model_evaluation)",
        quote_mean_sd(report, "wine.nearest_centroid.test_accuracy", s, "nearest_centroid"), "",
        ""},
       {"majority class", q("majority.test_accuracy", "majority"), "", ""}});
  fmt::print("Wine, Gaussian NB over {} split(s): test accuracy {}\n", repeats, acc);
  report.text("Confusion matrix summed over the test parts of all splits (rows: true cultivar):");
  confusion_table(report, "wine.gaussian_nb", data.class_names, confusion);
  wine_densities(report, data);
}

// ---- 2. Duplicated features: overconfidence ----------------------------------------------

struct DuplicatedRuns {
  me::SplitSummary s;
  std::map<int, std::vector<me::TopLabel>> top;  // raw copies: the top label of each split
};
using DuplicatedByTag = std::map<std::string, DuplicatedRuns>;  // "all13", "two_features"

// The summary's key of m copies, raw or decorrelated, and its metric name.
std::string dup_key(int m, bool pca) {
  return fmt::format("m{}{}", m, pca ? ".pca" : "");
}
std::string dup_name(const std::string& tag, int m, bool pca) {
  return fmt::format("wine.duplicated.{}.m{}{}", tag, m, pca ? ".decorrelated" : "");
}

// Gaussian NB with every feature copied m times, raw and decorrelated, over the splits.
DuplicatedRuns duplicated_runs(const mlc::Dataset& data, int repeats, std::uint64_t seed) {
  DuplicatedRuns runs;
  runs.s = me::evaluate_on_splits(
      data, repeats, seed, [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        const Eigen::VectorXi ytr = train.labels(), yte = test.labels();
        std::map<std::string, double> out;
        for (int m : kCopies) {
          for (bool pca : {false, true}) {
            Eigen::MatrixXd A = nb::duplicate_features(train.X, m);
            Eigen::MatrixXd B = nb::duplicate_features(test.X, m);
            const std::string key = dup_key(m, pca);
            if (pca) {
              const nb::PcaRotation rot = nb::pca_rotation_fit(A);
              A = nb::pca_rotation_transform(rot, A);
              B = nb::pca_rotation_transform(rot, B);
              out[key + ".rank"] = static_cast<double>(rot.rotation.cols());
            }
            const nb::GaussianNB model = nb::gaussian_nb_fit(A, ytr, data.num_classes());
            const Eigen::MatrixXd P = nb::posterior(nb::gaussian_joint_log_likelihood(model, B));
            const me::TopLabel t = me::top_label(yte, P);
            out[key + ".accuracy"] = t.correct.cast<double>().mean();
            out[key + ".log_loss"] = me::multiclass_log_loss(yte, P);
            out[key + ".brier"] = me::multiclass_brier(yte, P);
            out[key + ".ece"] =
                me::reliability_diagram(t.correct, t.confidence, 10).expected_calibration_error;
            // "piles up at 0/1": share of the n·K posteriors within 10⁻³ of 0 or 1
            out[key + ".extreme"] = (P.array().min(1.0 - P.array()) < 1e-3).cast<double>().mean();
            if (!pca) runs.top[m].push_back(t);
          }
        }
        return out;
      });
  return runs;
}

// Top-label reliability of the raw copies, test parts of all splits pooled; the figure and the
// table show the first two features at m = 1 and m = 10.
void duplicated_reliability(mlc::Report& report, const DuplicatedByTag& runs) {
  mlc::Figure fig(
      "Wine (first two features): top-label reliability with every feature copied m times");
  fig.xlabel("confidence (largest posterior)").ylabel("fraction correct").xrange(0, 1);
  fig.yrange(0, 1.02).legend("bottom right");
  fig.line(Eigen::Vector2d(0, 1), Eigen::Vector2d(0, 1), "perfect calibration",
           {.color = 8, .dash = true});
  int color = 0;
  Rows top_rows;
  for (const auto& [tag, run] : runs) {
    for (int m : kCopies) {
      std::vector<int> correct;
      std::vector<double> confidence;
      for (const me::TopLabel& t : run.top.at(m)) {
        correct.insert(correct.end(), t.correct.begin(), t.correct.end());
        confidence.insert(confidence.end(), t.confidence.begin(), t.confidence.end());
      }
      const Eigen::ArrayXi ok = Eigen::Map<const Eigen::ArrayXi>(correct.data(), correct.size());
      const Eigen::ArrayXd conf = mlc::to_vector(confidence).array();
      const me::ReliabilityDiagram rd = me::reliability_diagram(ok.matrix(), conf.matrix(), 10);
      const std::string p = fmt::format("wine.duplicated.{}.m{}.", tag, m);
      report.metric(p + "pooled_confidence_above_0999", (conf > 0.999).cast<double>().mean());
      // the top bin (confidence ≥ 0.9): its share of the test wines and its accuracy
      const Eigen::ArrayXd top = (conf >= 0.9).cast<double>();
      const double top_acc = top.sum() > 0 ? (top * ok.cast<double>()).sum() / top.sum() : NAN;
      const std::vector<std::string> row{
          std::to_string(m), quote_pct(report, p + "top_bin_share", top.mean()),
          report.quote(p + "top_bin_accuracy", top_acc),
          report.quote(p + "pooled_ece", rd.expected_calibration_error)};
      if (tag == "two_features" && (m == 1 || m == 10)) {
        top_rows.push_back(row);
        fig.line_points(
            rd.mean_predicted, rd.fraction_positive,
            fmt::format("m = {} (pooled ECE {})", m, mlc::num(rd.expected_calibration_error, 3)),
            {.color = color});
        color += 3;
      }
    }
  }
  report.figure(
      fig, "reliability_duplicated",
      "Top-label reliability diagrams of Gaussian NB on the first two wine features, m = 1 and "
      "m = 10 (10 bins, test parts of all splits pooled, empty bins dropped; the sparse middle "
      "bins hold few wines and are noisy). With ten copies most wines land in the last bin, "
      "claimed ≥ 90 % sure, and are right far less often than that: the model is overconfident.");
  report.text("Pooled over the splits, first two features: the bin of confidence ≥ 0.9.");
  report.table(
      {"copies m", "share of test wines with confidence ≥ 0.9", "their accuracy", "pooled ECE"},
      top_rows);
}

// Accuracy and log-loss against m, and the failure-mode entry.
void duplicated_trend(mlc::Report& report, const DuplicatedByTag& runs) {
  mlc::Figure trend("Wine: duplicated features leave accuracy alone and ruin the log-loss");
  trend.xlabel("copies m of every feature (log scale)").ylabel("mean over the splits").logx();
  trend.legend("top left");
  const std::vector<std::tuple<std::string, std::string, bool, std::string, int>> curves{
      {"two_features", "log_loss", false, "log-loss, first 2 features", 0},
      {"two_features", "log_loss", true, "log-loss, first 2, decorrelated", 0},
      {"all13", "log_loss", false, "log-loss, all 13 features", 1},
      {"two_features", "accuracy", false, "accuracy, first 2 features", 2},
      {"all13", "accuracy", false, "accuracy, all 13 features", 3}};
  for (const auto& [tag, what, pca, label, color] : curves) {
    std::vector<double> ms, v;
    for (int m : kCopies) {
      ms.push_back(m);
      v.push_back(runs.at(tag).s.mean(dup_key(m, pca) + "." + what));
    }
    trend.line_points(ms, v, label, {.color = color, .dash = pca});
  }
  report.figure(
      trend, "duplicated_trend",
      "Test accuracy and log-loss (mean over the splits) against the number of copies m. The "
      "accuracies are flat; the log-loss grows roughly linearly in m, because a wrong prediction's "
      "log-probability is multiplied by m. After decorrelation (dashed) the log-loss no longer "
      "depends on m.");

  const auto q = [&](const std::string& tag, const std::string& what, int m, bool pca = false) {
    const std::string name = dup_name(tag, m, pca) + "." + what;
    const double v = runs.at(tag).s.mean(dup_key(m, pca) + "." + what);
    return what == "extreme" ? quote_pct(report, name, v) : report.quote(name, v);
  };
  const auto from_1_to_10 = [&](const std::string& tag, const std::string& what) {
    return q(tag, what, 1) + " → " + q(tag, what, 10);
  };
  const std::string t2 = "two_features", t13 = "all13";
  report.failure_mode(
      {.name = "Duplicated (correlated) features make the posteriors overconfident",
       .trigger = "every wine feature copied m = 1, 2, 5, 10 times before fitting Gaussian NB",
       .symptom = fmt::format(
           "first two features, m = 1 → 10: test accuracy {}, while the log-loss grows {}, the "
           "Brier score {}, the top-label ECE {}, and the share of posteriors within 10⁻³ of 0 "
           "or 1 {}. All 13 features: accuracy {}, log-loss {} (a few wrong predictions become "
           "near-certain), Brier {}, extreme posteriors {}",
           from_1_to_10(t2, "accuracy"), from_1_to_10(t2, "log_loss"), from_1_to_10(t2, "brier"),
           from_1_to_10(t2, "ece"), from_1_to_10(t2, "extreme"), from_1_to_10(t13, "accuracy"),
           from_1_to_10(t13, "log_loss"), from_1_to_10(t13, "brier"), from_1_to_10(t13, "extreme")),
       .why = "the independence assumption counts each copy as new evidence: every class "
              "log-likelihood is multiplied by m, so the posterior becomes p_c^m / Σ_k p_k^m: "
              "nearly the same argmax (the prior is not multiplied), much sharper probabilities. "
              "Correlated real features do the same by degrees.",
       .mitigation = fmt::format(
           "decorrelate first (rotation onto the training covariance's eigenvectors; rank {} kept "
           "at m = 10 on the first two features): log-loss {}, Brier {}, ECE {} at m = 10, "
           "identical to m = 1 after the same rotation (log-loss {}); accuracy {}",
           q(t2, "rank", 10, true), q(t2, "log_loss", 10, true), q(t2, "brier", 10, true),
           q(t2, "ece", 10, true), q(t2, "log_loss", 1, true), q(t2, "accuracy", 10, true))});
}

void wine_duplicated(mlc::Report& report, const mlc::Options& opt, int repeats) {
  report.section("Failure mode: duplicated features make the posteriors overconfident");
  const mlc::Dataset wine = mlc::load_dataset("wine");
  mlc::Dataset two = wine;  // the first two columns, fixed in advance: a harder, uncertain task
  two.X = wine.X.leftCols(2);
  two.feature_names = {wine.feature_names[0], wine.feature_names[1]};
  const DuplicatedByTag runs{{"all13", duplicated_runs(wine, repeats, opt.seed)},
                             {"two_features", duplicated_runs(two, repeats, opt.seed)}};
  report.text(fmt::format(
      "Trigger: every standardized feature copied m times (d = m × the original), the same {} "
      "split(s), on two versions of wine: all 13 features (nearly separable: Gaussian NB is right "
      "and sure on most wines already at m = 1) and only the first two columns, {} and {} (a "
      "harder task with real uncertainty to lose). Naive Bayes takes the copies for independent "
      "evidence, so each class's log-likelihood is multiplied by m exactly: the argmax barely "
      "moves (the log-prior is not multiplied) but the posterior becomes p_c^m / Σ_k p_k^m. "
      "Calibration is measured with model_evaluation on the top label (confidence = largest "
      "posterior, outcome = prediction correct): reliability_diagram's ECE with 10 bins, log_loss "
      "of the true class (clipped at 10⁻¹⁵, so one sample costs at most 34.5) and the multiclass "
      "Brier score Σ_c brier_score([y = c], p_c). \"Extreme\" is the share of all n·K posteriors "
      "within 10⁻³ of 0 or 1.",
      repeats, wine.feature_names[0], wine.feature_names[1]));
  Rows rows;
  for (const auto& [tag, run] : runs) {
    for (bool pca : {false, true}) {
      for (int m : kCopies) {
        const std::string key = dup_key(m, pca), name = dup_name(tag, m, pca);
        const auto q = [&](const std::string& what) {
          return report.quote(name + "." + what, run.s.mean(key + "." + what));
        };
        rows.push_back({tag == "all13" ? "all 13" : "first 2", std::to_string(m),
                        pca ? "decorrelated" : "raw copies",
                        quote_mean_sd(report, name + ".accuracy", run.s, key + ".accuracy"),
                        q("log_loss"), q("brier"), q("ece"),
                        quote_pct(report, name + ".extreme", run.s.mean(key + ".extreme"))});
        if (pca) report.metric(name + ".rank", run.s.mean(key + ".rank"));
        if (!pca) fmt::print("Wine ({}), features x{:<2}: log-loss {}\n", tag, m, rows.back()[4]);
      }
    }
  }
  report.table({"features", "copies m", "variant", "test accuracy", "log-loss", "Brier", "ECE",
                "extreme posteriors"},
               rows);
  report.text(
      "Mitigation, measured in the same table (\"decorrelated\"): rotate the training features "
      "onto the eigenvectors of their covariance (eigenvalues below 10⁻¹⁰ of the largest dropped, "
      "so the m copies collapse back to the original number of directions) and fit naive Bayes "
      "there. The rotated features are uncorrelated on the training part, which is all a diagonal "
      "Gaussian model can be made to respect.");
  duplicated_reliability(report, runs);
  duplicated_trend(report, runs);
}

// ---- 3. Text: which speaker? -------------------------------------------------------------

using Documents = std::vector<std::vector<std::string>>;

struct Corpus {
  mlc::Dataset index;  // X = document index (n × 1), y = speaker: what the splits draw from
  nb::LabelledDocuments docs;
};

Corpus build_corpus() {
  const auto speeches = nb::read_speeches(mlc::data_dir() / "tinyshakespeare.txt");
  Corpus corpus{.index = {}, .docs = nb::speaker_documents(speeches, kSpeakers)};
  const Eigen::Index n = corpus.docs.labels.size();
  corpus.index.name = "shakespeare_speakers";
  corpus.index.X = Eigen::VectorXd::LinSpaced(n, 0.0, static_cast<double>(n - 1));
  corpus.index.y = corpus.docs.labels.cast<double>();
  corpus.index.feature_names = {"document"};
  corpus.index.class_names = kSpeakers;
  return corpus;
}

Documents documents_of(const Corpus& corpus, const mlc::Dataset& part) {
  Documents docs;
  for (Eigen::Index i = 0; i < part.n(); ++i) {
    docs.push_back(corpus.docs.documents[static_cast<std::size_t>(part.X(i, 0))]);
  }
  return docs;
}

double accuracy_of(const nb::MultinomialNB& model, const nb::CountMatrix& X,
                   const Eigen::VectorXi& y) {
  return me::accuracy(y, nb::predict(nb::multinomial_joint_log_likelihood(model, X)));
}

struct PassageStats {
  long passages = 0, correct = 0, product_undefined = 0, log_undefined = 0;
};

struct TextRuns {
  me::SplitSummary s;
  Eigen::MatrixXi confusion = Eigen::MatrixXi::Zero(kSpeakerCount, kSpeakerCount);
  std::map<int, PassageStats> passages;  // by passage length L, all splits pooled
  Rows top_words;                        // first split: speaker, play, words
  double fit_s = 0, predict_s = 0;
};

// Every model of section 3 on one split: Laplace α = 1 (the headline), α = 0, the α grid,
// α chosen by CV, the product space, the passages.
std::map<std::string, double> score_text_split(const Corpus& corpus, const mlc::Dataset& train,
                                               const mlc::Dataset& test, mlc::Rng cv_rng,
                                               TextRuns& runs) {
  const int K = kSpeakerCount;
  const Eigen::VectorXi ytr = train.labels(), yte = test.labels();
  const Documents train_docs = documents_of(corpus, train), test_docs = documents_of(corpus, test);
  const nb::Vocabulary vocab = nb::build_vocabulary(train_docs);  // training part only
  long oov = 0;
  const nb::CountMatrix Xtr = nb::count_matrix(train_docs, vocab);
  const nb::CountMatrix Xte = nb::count_matrix(test_docs, vocab, &oov);
  std::map<std::string, double> out{
      {"vocabulary", static_cast<double>(vocab.size())},
      {"oov_fraction", static_cast<double>(oov) / (Xte.sum() + static_cast<double>(oov))}};

  mlc::Timer fit_timer;
  const nb::MultinomialNB model = nb::multinomial_nb_fit(Xtr, ytr, K, 1.0);
  runs.fit_s += fit_timer.seconds();
  mlc::Timer predict_timer;
  const Eigen::MatrixXd J = nb::multinomial_joint_log_likelihood(model, Xte);
  const Eigen::VectorXi pred = nb::predict(J);
  runs.predict_s += predict_timer.seconds();
  runs.confusion += me::confusion_matrix(yte, pred, K);
  out["test_accuracy"] = me::accuracy(yte, pred);
  out["train_accuracy"] = accuracy_of(model, Xtr, ytr);
  out["log_loss"] = me::multiclass_log_loss(yte, nb::posterior(J));
  out["majority"] =
      me::accuracy(yte, Eigen::VectorXi::Constant(yte.size(), majority_class(model.log_prior)));

  // α = 0: the unsmoothed maximum-likelihood θ, and how often a zero count vetoes a class
  const Eigen::MatrixXd J0 =
      nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(Xtr, ytr, K, 0.0), Xte);
  const Eigen::VectorXi pred0 = nb::predict(J0);
  const nb::Vetoes vetoes = nb::zero_count_vetoes(J0, yte);
  out["unsmoothed.accuracy"] = me::accuracy(yte, pred0);
  out["unsmoothed.undecided"] = (pred0.array() < 0).cast<double>().mean();
  out["unsmoothed.some_class_zero"] = vetoes.some_class;
  out["unsmoothed.true_class_zero"] = vetoes.true_class;
  out["unsmoothed.all_classes_zero"] = vetoes.all_classes;
  out["unsmoothed.true_posterior_exactly_zero"] = vetoes.true_posterior_zero;
  for (std::size_t a = 0; a < kAlphas.size(); ++a) {
    out[fmt::format("alpha{}.accuracy", a)] =
        accuracy_of(nb::multinomial_nb_fit(Xtr, ytr, K, kAlphas[a]), Xte, yte);
  }
  // α chosen by 5-fold CV inside the training part, then refitted on all of it
  const double alpha = nb::select_alpha_by_cv(train_docs, ytr, K, kAlphas, kCvFolds, cv_rng);
  out["cv.alpha"] = alpha;
  out["cv.test_accuracy"] = accuracy_of(nb::multinomial_nb_fit(Xtr, ytr, K, alpha), Xte, yte);

  // Product space on the real speeches: undefined (0/0), or disagreeing with log space
  const Eigen::MatrixXd Pprod =
      nb::normalize_rows(nb::multinomial_joint_likelihood_product(model, Xte));
  const Eigen::ArrayXd undefined = Pprod.col(0).array().isNaN().cast<double>();
  const Eigen::ArrayXd differs = (nb::predict(Pprod).array() != pred.array()).cast<double>();
  out["product.undefined"] = undefined.mean();
  out["product.disagree_defined"] = ((1.0 - undefined) * differs).mean();
  out["max_test_tokens"] = 0;
  for (const auto& d : test_docs) {
    out["max_test_tokens"] = std::max(out["max_test_tokens"], static_cast<double>(d.size()));
  }

  // Longer passages: each speaker's test speeches concatenated and cut into L tokens
  for (int L : kPassageLengths) {
    const nb::Passages pass = nb::cut_passages(test_docs, yte, K, L);
    if (pass.documents.empty()) continue;
    const nb::CountMatrix Xp = nb::count_matrix(pass.documents, vocab);
    const Eigen::MatrixXd Jp = nb::multinomial_joint_log_likelihood(model, Xp);
    const Eigen::MatrixXd Pp =
        nb::normalize_rows(nb::multinomial_joint_likelihood_product(model, Xp));
    PassageStats& ps = runs.passages[L];
    ps.passages += pass.labels.size();
    ps.correct += (nb::predict(Jp).array() == pass.labels.array()).count();
    ps.product_undefined += Pp.col(0).array().isNaN().count();
    ps.log_undefined += nb::log_posterior(Jp).col(0).array().isNaN().count();
  }
  for (int c = 0; runs.top_words.size() < kSpeakers.size(); ++c) {  // the first split only
    const auto words = nb::indicative_words(model, vocab, c);
    runs.top_words.push_back({kSpeakers[static_cast<std::size_t>(c)],
                              kPlays[static_cast<std::size_t>(c)],
                              fmt::format("{}", fmt::join(words, ", "))});
  }
  return out;
}

TextRuns text_runs(const Corpus& corpus, int repeats, std::uint64_t seed, const mlc::Rng& cv_root) {
  TextRuns runs;
  std::uint64_t split = 0;  // the CV folds of split r come from stream r of cv_root
  runs.s = me::evaluate_on_splits(
      corpus.index, repeats, seed,
      [&](const mlc::Dataset& train, const mlc::Dataset& test) {
        return score_text_split(corpus, train, test, cv_root.derive(split++), runs);
      },
      0.25, /*standardize=*/false);
  return runs;
}

void text_task(mlc::Report& report, const mlc::Options& opt, const Corpus& corpus,
               const TextRuns& runs) {
  report.section("Text: which of six characters speaks this speech? (multinomial NB)");
  const me::SplitSummary& s = runs.s;
  const auto repeats = static_cast<double>(s.values.at("test_accuracy").size());
  report.timing("shakespeare.multinomial_nb.fit_seconds", runs.fit_s / repeats);
  report.timing("shakespeare.multinomial_nb.predict_seconds", runs.predict_s / repeats);
  const Eigen::VectorXi labels = corpus.index.labels();
  long tokens = 0;
  for (const auto& doc : corpus.docs.documents) tokens += static_cast<long>(doc.size());
  const auto q = [&](const std::string& name, double v, int sig = 4) {
    return report.quote("shakespeare." + name, v, sig);
  };
  Rows speakers;
  for (int c = 0; c < kSpeakerCount; ++c) {
    speakers.push_back({kSpeakers[static_cast<std::size_t>(c)], kPlays[static_cast<std::size_t>(c)],
                        q(fmt::format("class{}.speeches", c), (labels.array() == c).count(), 6)});
  }
  report.text(fmt::format(
      "The task, built from data/tinyshakespeare.txt (data/README.md): every speech (a \"NAME:\" "
      "line, the lines spoken, a blank line) of six leading characters, one from each of six "
      "plays, is a document; the label is the speaker. {} speeches, {} word tokens (runs of "
      "letters and apostrophes, lower-cased; {} speeches without a word dropped). Because each "
      "speaker comes from a different play, the model can and does use each play's vocabulary "
      "(the names of the other characters, its setting), so this is speaker-and-play "
      "identification, not a test of style alone. Splits: the same protocol as the vendored sets "
      "(stratified 75/25, seeds {}..) over document indices; the vocabulary (mean {} words) is "
      "built from the training speeches only; test words outside it ({} of test tokens) are "
      "dropped.",
      q("documents", labels.size(), 6), q("tokens", tokens, 8),
      q("dropped_empty_speeches", corpus.docs.dropped_empty, 6), opt.seed,
      q("vocabulary", s.mean("vocabulary"), 5),
      quote_pct(report, "shakespeare.test_oov_fraction", s.mean("oov_fraction"))));
  report.table({"speaker", "play", "speeches"}, speakers);

  const std::string acc =
      quote_mean_sd(report, "shakespeare.multinomial_nb.test_accuracy", s, "test_accuracy", true);
  const std::string majority =
      quote_mean_sd(report, "shakespeare.majority.test_accuracy", s, "majority");
  report.table({"model", "test accuracy (mean ± sd)", "train accuracy", "test log-loss"},
               {{"multinomial NB, Laplace α = 1", acc,
                 q("multinomial_nb.train_accuracy", s.mean("train_accuracy")),
                 q("multinomial_nb.test_log_loss", s.mean("log_loss"))},
                {"majority class (most speeches in training)", majority, "", ""}});
  fmt::print(
      "Shakespeare speakers, multinomial NB (alpha = 1): test accuracy {} against "
      "majority {}\n",
      acc, majority);
  report.text(
      "Confusion matrix (α = 1) summed over the test parts of all splits (rows: true speaker):");
  confusion_table(report, "shakespeare.multinomial_nb", kSpeakers, runs.confusion);
  report.text(
      "The most indicative words of each speaker in the first split: the largest log θ_cw − "
      "log mean_{k≠c} θ_kw among words said at least 5 times by c. Names of other characters "
      "of the same play rank high, as warned above.");
  report.table({"speaker", "play", "most indicative words"}, runs.top_words);
}

// ---- 3a. Smoothing: accuracy against α, and α = 0 ----------------------------------------

void smoothing(mlc::Report& report, const TextRuns& runs) {
  report.subsection("Smoothing: accuracy against α, and α = 0");
  const me::SplitSummary& s = runs.s;
  const auto alpha_name = [](double a) {
    return fmt::format("shakespeare.alpha.{}.test_accuracy", mlc::num(a, 3));
  };
  std::vector<double> accuracy;
  Rows rows{{"0 (no smoothing)", quote_mean_sd(report, alpha_name(0), s, "unsmoothed.accuracy")}};
  for (std::size_t a = 0; a < kAlphas.size(); ++a) {
    const std::string key = fmt::format("alpha{}.accuracy", a);
    accuracy.push_back(s.mean(key));
    rows.push_back(
        {mlc::num(kAlphas[a], 3), quote_mean_sd(report, alpha_name(kAlphas[a]), s, key)});
  }
  report.metric("shakespeare.multinomial_nb_cv_alpha.alpha", s.values.at("cv.alpha"));
  std::string chosen;
  for (double a : s.values.at("cv.alpha")) chosen += (chosen.empty() ? "" : ", ") + mlc::num(a, 3);
  const std::string cv = quote_mean_sd(report, "shakespeare.multinomial_nb_cv_alpha.test_accuracy",
                                       s, "cv.test_accuracy", true);
  rows.push_back({fmt::format("chosen by 5-fold CV on the training part ({})", chosen), cv});
  report.table({"α", "test accuracy (mean ± sd)"}, rows);
  const auto best = static_cast<std::size_t>(std::max_element(accuracy.begin(), accuracy.end()) -
                                             accuracy.begin());
  const double best_alpha = kAlphas[best];
  const std::string best_text = report.quote("shakespeare.alpha.best_on_test", best_alpha, 3);
  const std::string best_acc = report.quote(alpha_name(best_alpha), accuracy[best]);
  report.text(fmt::format(
      "Reading the α table on the test parts is optimistic (the best grid value, α = {}, reaches "
      "{}); the headline number keeps Laplace's α = 1 fixed in advance, and α chosen honestly by "
      "5-fold cross-validation inside each training part (per split: {}) reaches {}.",
      best_text, best_acc, chosen, cv));
  fmt::print("Shakespeare speakers, alpha chosen by CV ({}): test accuracy {}\n", chosen, cv);

  mlc::Figure fig("Shakespeare speakers: test accuracy against the smoothing α");
  fig.xlabel("log10 of the additive smoothing α").ylabel("test accuracy").legend("bottom left");
  fig.line_points(mlc::to_vector(kAlphas).array().log10(), accuracy, "multinomial NB, α > 0");
  fig.hline(s.mean("unsmoothed.accuracy"),
            fmt::format("α = 0 (no smoothing): {}", mlc::num(s.mean("unsmoothed.accuracy"), 3)),
            {.color = 1, .dash = true});
  fig.hline(s.mean("majority"), "majority class", {.color = 8, .dash = true});
  fig.vline(0.0, "Laplace, α = 1", {.color = 2, .dash = true});
  report.figure(
      fig, "text_alpha",
      fmt::format("Mean test accuracy over the splits against log10 α. α = 0 (dashed) is far below "
                  "every α > 0 and below the majority class: one unseen word vetoes a class. For "
                  "tiny α the veto becomes a heavy penalty per unseen word, and the classifier "
                  "mostly counts unseen words; large α flattens θ towards uniform and forgets the "
                  "counts. The best grid value here is α = {}.",
                  best_text));

  const auto zero = [&](const std::string& what) {
    return quote_pct(report, "shakespeare.alpha0." + what, s.mean("unsmoothed." + what));
  };
  report.metric("shakespeare.alpha0.undecided", s.mean("unsmoothed.undecided"));
  const std::string a0 = report.quote(alpha_name(0), s.mean("unsmoothed.accuracy"));
  const std::string a1 = report.quote(
      alpha_name(1),
      s.mean(fmt::format("alpha{}.accuracy",
                         std::find(kAlphas.begin(), kAlphas.end(), 1.0) - kAlphas.begin())));
  report.failure_mode(
      {.name = "A zero count without smoothing zeroes the posterior",
       .trigger = "multinomial NB with α = 0 (the maximum-likelihood θ_cw = N_cw / N_c) on the "
                  "speaker task",
       .symptom = fmt::format(
           "{} of the test speeches contain a training word that some speaker never used, so that "
           "speaker's log-score is −inf. The true speaker is among the vetoed in {} of the "
           "speeches: in {} another speaker keeps a finite score, so the true speaker's posterior "
           "is exactly 0 and the speech is misclassified for certain; in {} all six speakers are "
           "vetoed, the posterior is 0/0 and no decision is possible. Accuracy {} against {} with "
           "α = 1 (majority baseline {}).",
           zero("some_class_zero"), zero("true_class_zero"), zero("true_posterior_exactly_zero"),
           zero("all_classes_zero"), a0, a1,
           report.quote("shakespeare.majority.test_accuracy", s.mean("majority"))),
       .why = "θ_cw = 0 for any word c never said in training, and one factor 0 (log −inf) vetoes "
              "the class whatever the rest of the evidence; with a vocabulary of thousands and "
              "speeches of tens of words, zero counts are the rule, not the exception (Zipf).",
       .mitigation = fmt::format("additive smoothing (5): α = 1 (Laplace) gives accuracy {}, the "
                                 "best α of the grid gives {}; every α > 0 removes all −inf "
                                 "scores.",
                                 a1, best_acc)});
}

// ---- 3b. Log space against product space -------------------------------------------------

void log_space(mlc::Report& report, const TextRuns& runs) {
  report.subsection("Log space against product space");
  const me::SplitSummary& s = runs.s;
  std::vector<double> lengths, accuracy, undefined;
  Rows rows;
  std::map<int, Rows::value_type> row_of;  // L -> its table row, for the failure mode
  for (const auto& [L, ps] : runs.passages) {
    const std::string p = fmt::format("shakespeare.passage.L{}.", L);
    const double n = static_cast<double>(ps.passages);
    lengths.push_back(L);
    accuracy.push_back(ps.correct / n);
    undefined.push_back(ps.product_undefined / n);
    rows.push_back({std::to_string(L), report.quote(p + "passages", n, 8),
                    report.quote(p + "accuracy", accuracy.back()),
                    quote_pct(report, p + "product_undefined", undefined.back()),
                    quote_pct(report, p + "log_undefined", ps.log_undefined / n)});
    row_of[L] = rows.back();
  }
  const auto& longest_speech = s.values.at("max_test_tokens");
  const std::string speeches_undefined =
      quote_pct(report, "shakespeare.product.undefined_fraction", s.mean("product.undefined"));
  report.text(fmt::format(
      "The same α = 1 model scored two ways: joint log-likelihoods normalised by log-sum-exp (6), "
      "and the textbook product π_c Π θ_cw^{{x_w}} normalised by its sum. On the real test "
      "speeches (the longest has {} tokens) the product underflows to 0 for every class in {} of "
      "them (posterior 0/0, no decision); on the others it disagrees with log space in {} of the "
      "speeches. Longer passages (each speaker's test speeches concatenated and cut into pieces "
      "of L tokens, all splits pooled) are where a practitioner wants to go — accuracy climbs "
      "with L — and exactly where the product fails:",
      report.quote("shakespeare.max_test_speech_tokens",
                   *std::max_element(longest_speech.begin(), longest_speech.end()), 8),
      speeches_undefined,
      quote_pct(report, "shakespeare.product.disagree_defined_fraction",
                s.mean("product.disagree_defined"))));
  report.table({"passage length L", "passages", "accuracy (log space)", "product space: undefined",
                "log space: undefined"},
               rows);
  mlc::Figure fig("Longer passages: accuracy rises, product-space likelihoods underflow");
  fig.xlabel("passage length L (tokens, log scale)").ylabel("fraction of passages").logx();
  fig.yrange(0, 1.05).legend("center right");
  fig.line_points(lengths, accuracy, "accuracy, log space");
  fig.line_points(lengths, undefined, "undefined posterior (0/0), product space");
  fig.hline(s.mean("majority"), "majority class", {.color = 8, .dash = true});
  report.figure(
      fig, "passage_length",
      "Accuracy of the α = 1 model on passages of L tokens (log-space scores) and the share of "
      "passages whose product-space likelihood underflows to 0 in every class. Each token "
      "multiplies by θ ≈ 10⁻² … 10⁻⁴, so a few hundred tokens pass the smallest double.");

  const int longest = runs.passages.rbegin()->first;
  report.failure_mode(
      {.name = "Product-space likelihoods underflow",
       .trigger = "the posterior computed as π_c Π θ_cw^{x_w} / Σ_k (…) instead of in log space",
       .symptom = fmt::format(
           "the likelihood underflows to 0 in every class for {} of the real test speeches, {} of "
           "passages of 200 tokens and {} of passages of {} tokens: posterior 0/0 = NaN",
           speeches_undefined, row_of.count(200) ? row_of.at(200)[3] : "nan %",
           row_of.at(longest)[3], longest),
       .why = "each token multiplies by θ_cw ~ 10⁻²–10⁻⁴; the smallest positive double is 4.9 × "
              "10⁻³²⁴, so about 100–300 tokens exhaust the exponent range",
       .mitigation = fmt::format("sum logs and normalise by log-sum-exp (6): 0 undefined "
                                 "posteriors at every length; accuracy on {}-token passages {}",
                                 longest, row_of.at(longest)[2])});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const int repeats = opt.quick ? 1 : 5;
  const mlc::Rng root(opt.seed);
  fmt::print("Naive Bayes (seed {}, {} split(s))\n", opt.seed, repeats);
  wine_gaussian(report, opt, repeats);
  wine_duplicated(report, opt, repeats);
  const Corpus corpus = build_corpus();
  const TextRuns text = text_runs(corpus, repeats, opt.seed, root.derive(1));
  text_task(report, opt, corpus, text);
  smoothing(report, text);
  log_space(report, text);
  report.headline(
      {"shakespeare.multinomial_nb.test_accuracy", "shakespeare.majority.test_accuracy"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
