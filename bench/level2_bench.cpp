// level2_bench: the lessons' side of the level-2 benchmark (bench/README.md).
//
// Reads bench/level2.json (the models, their data sets and hyperparameters, shared with
// bench/level2.py), draws the train/test splits from the seed, writes them to
// OUT/splits.json for the scikit-learn side to read, fits and predicts each model with the
// level-2 lessons' own code, and prints one JSON object on stdout:
//
//   {"side": "lessons", "threads": N, "reps": R, "size": "full" | "tiny",
//    "results": [{"key", "model", "dataset", "n_train", "n_test", "d", "implementation",
//                 "fit_seconds", "predict_seconds" | null, "quality_name", "quality"}, ...]}
//
// Times are the median of R repetitions, fit and predict measured separately; data loading,
// standardisation and the split are outside the timed regions, as on the Python side.
// The level-2 lessons are serial code (no OpenMP, Eigen without threads): --threads is
// recorded, and the reference side is held to the same number of threads.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "clustering.hpp"
#include "decision_trees.hpp"
#include "dimensionality_reduction.hpp"
#include "ensembles.hpp"
#include "linear_regression.hpp"
#include "logistic_regression.hpp"
#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/io.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "naive_bayes.hpp"
#include "nearest_neighbors.hpp"
#include "support_vector_machines.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

// One train/test pair of a data set, as both sides use it.
struct Split {
  MatrixXd X_train, X_test;
  VectorXd y_train, y_test;
  int num_classes = 0;  // 0 for regression
  Eigen::Index d() const { return X_train.cols(); }
};

// What one model's benchmark measured.
struct Measured {
  std::string implementation;
  double fit_seconds = 0;
  std::optional<double> predict_seconds;
  std::string quality_name;
  double quality = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double accuracy(const VectorXi& truth, const VectorXi& predicted) {
  return static_cast<double>((truth.array() == predicted.array()).count()) /
         static_cast<double>(truth.size());
}

VectorXi as_labels(const VectorXd& y) {
  return y.cast<int>();
}

MatrixXd rows_of(const MatrixXd& X, const std::vector<Eigen::Index>& rows) {
  MatrixXd out(static_cast<Eigen::Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i)
    out.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
  return out;
}

// Times `reps` runs of fit (returning a model) and of predict on it; the quality comes from
// the last repetition (every repetition computes the same, deterministic model).
template <class Fit, class Predict>
Measured time_model(int reps, Fit fit, Predict predict) {
  std::vector<double> fit_t, pred_t;
  Measured m;
  for (int r = 0; r < reps; ++r) {
    mlc::Timer t;
    auto model = fit();
    fit_t.push_back(t.seconds());
    t.reset();
    m.quality = predict(model);
    pred_t.push_back(t.seconds());
  }
  m.fit_seconds = median(fit_t);
  m.predict_seconds = median(pred_t);
  return m;
}

// The params of a model entry, with its "tiny" overrides applied when size is tiny.
json params_of(const json& entry, const std::string& size) {
  json p = entry.value("params", json::object());
  if (size == "tiny" && entry.contains("tiny"))
    for (const auto& [k, v] : entry["tiny"].items()) p[k] = v;
  return p;
}

// ---- The data: splits drawn here and written to splits.json -----------------------------

struct Data {
  std::map<std::string, Split> splits;
  json record;  // splits.json
};

// A vendored CSV split by the shared seed (stratified for classification), one derived
// stream per data set.
void add_csv_split(Data& data, const std::string& name, const mlc::Rng& root, std::uint64_t stream,
                   double test_fraction) {
  const mlc::Dataset ds = mlc::load_dataset(name);
  mlc::Rng rng = root.derive(stream);
  const auto s = mlc::train_test_split(ds, test_fraction, rng, ds.is_classification());
  data.splits[name] = {s.train.X, s.test.X, s.train.y, s.test.y, ds.num_classes()};
  data.record[name] = {{"kind", "csv"},
                       {"file", (mlc::data_dir() / (name + ".csv")).string()},
                       {"train_rows", s.train_rows},
                       {"test_rows", s.test_rows}};
}

Data load_data(const json& config, const std::string& size,
               const std::vector<std::string>& needed) {
  const auto wants = [&](const std::string& name) {
    return std::find(needed.begin(), needed.end(), name) != needed.end();
  };
  const mlc::Rng root(config.at("seed").get<std::uint64_t>());
  const double test_fraction = config.at("test_fraction").get<double>();
  Data data;
  data.record = json::object();
  if (wants("diabetes")) add_csv_split(data, "diabetes", root, 1, test_fraction);
  if (wants("digits")) add_csv_split(data, "digits", root, 2, test_fraction);
  if (wants("fashion_mnist")) {
    // The first n of the training file and the first m of the test file (the files' own split).
    const json& sz = config.at("datasets").at("fashion_mnist").at(size);
    const auto n = sz.at("train").get<Eigen::Index>(), m = sz.at("test").get<Eigen::Index>();
    const mlc::Dataset train = mlc::load_fashion_mnist(true, n),
                       test = mlc::load_fashion_mnist(false, m);
    data.splits["fashion_mnist"] = {train.X, test.X, train.y, test.y, 10};
    data.record["fashion_mnist"] = {{"kind", "fashion_mnist"},
                                    {"dir", mlc::fashion_mnist_dir().string()},
                                    {"train_first", n},
                                    {"test_first", m}};
  }
  if (wants("digits_subset")) {
    // Points for t-SNE: a seeded sample of the digits rows, no test part.
    const mlc::Dataset ds = mlc::load_dataset("digits");
    const auto n =
        config.at("datasets").at("digits_subset").at(size).at("points").get<Eigen::Index>();
    mlc::Rng rng = root.derive(3);
    std::vector<Eigen::Index> rows = rng.sample_without_replacement(ds.n(), n);
    std::sort(rows.begin(), rows.end());
    Split s;
    s.X_train = rows_of(ds.X, rows);
    s.y_train = rows_of(ds.y, rows).col(0);
    s.num_classes = 10;
    data.splits["digits_subset"] = s;
    data.record["digits_subset"] = {{"kind", "csv"},
                                    {"file", (mlc::data_dir() / "digits.csv").string()},
                                    {"train_rows", rows},
                                    {"test_rows", json::array()}};
  }
  return data;
}

// ---- One function per model ---------------------------------------------------------------

Measured bench_linear_regression(const Split& s, const json&, int reps, const mlc::Rng&) {
  namespace lr = linear_regression;
  const MatrixXd A_test = lr::design_matrix(s.X_test);
  Measured m = time_model(
      reps, [&] { return lr::ols_qr_solve(lr::design_matrix(s.X_train), s.y_train); },
      [&](const VectorXd& beta) {
        const VectorXd pred = A_test * beta;
        const double rss = (s.y_test - pred).squaredNorm();
        const double tss = (s.y_test.array() - s.y_test.mean()).square().sum();
        return 1.0 - rss / tss;
      });
  m.implementation = "2.1 ols_qr_solve (Householder QR)";
  m.quality_name = "test R²";
  return m;
}

Measured bench_logistic_regression(const Split& s, const json& p, int reps, const mlc::Rng&) {
  namespace lr = logistic_regression;
  MatrixXd X_train = s.X_train, X_test = s.X_test;
  if (p.value("standardize", false)) {
    mlc::Standardizer z;
    X_train = z.fit_transform(s.X_train);
    X_test = z.transform(s.X_test);
  }
  const double lambda = p.at("lambda").get<double>();
  const VectorXi y = as_labels(s.y_train), y_test = as_labels(s.y_test);
  Measured m = time_model(
      reps, [&] { return lr::fit_softmax_newton(X_train, y, s.num_classes, lambda); },
      [&](const lr::SoftmaxModel& model) { return accuracy(y_test, model.predict(X_test)); });
  m.implementation = "2.4 fit_softmax_newton (damped Newton, full Hessian)";
  m.quality_name = "test accuracy";
  return m;
}

Measured bench_knn(const Split& s, const json& p, int reps, const mlc::Rng&) {
  namespace nn = nearest_neighbors;
  const VectorXi y = as_labels(s.y_train), y_test = as_labels(s.y_test);
  Measured m = time_model(
      reps,
      [&] {
        nn::KnnClassifier knn(p.at("k").get<int>(), nn::Weighting::uniform,
                              nn::Search::brute_force);
        knn.fit(s.X_train, y, s.num_classes);
        return knn;
      },
      [&](const nn::KnnClassifier& knn) { return accuracy(y_test, knn.predict(s.X_test)); });
  m.implementation = "2.6 KnnClassifier (brute force, uniform vote)";
  m.quality_name = "test accuracy";
  return m;
}

Measured bench_naive_bayes(const Split& s, const json& p, int reps, const mlc::Rng&) {
  namespace nb = naive_bayes;
  const VectorXi y = as_labels(s.y_train), y_test = as_labels(s.y_test);
  Measured m = time_model(
      reps,
      [&] {
        return nb::gaussian_nb_fit(s.X_train, y, s.num_classes,
                                   p.at("var_smoothing").get<double>());
      },
      [&](const nb::GaussianNB& model) {
        return accuracy(y_test, nb::predict(nb::gaussian_joint_log_likelihood(model, s.X_test)));
      });
  m.implementation = "2.7 gaussian_nb_fit";
  m.quality_name = "test accuracy";
  return m;
}

Measured bench_decision_tree(const Split& s, const json& p, int reps, const mlc::Rng& root) {
  namespace dt = decision_trees;
  const VectorXi y = as_labels(s.y_train), y_test = as_labels(s.y_test);
  const dt::TreeParams params{.criterion = dt::Criterion::gini,
                              .max_depth = p.at("max_depth").get<int>(),
                              .min_samples_leaf = p.at("min_samples_leaf").get<int>()};
  Measured m = time_model(
      reps,
      [&] {
        mlc::Rng rng = root.derive(11);
        return dt::fit_classifier(s.X_train, y, s.num_classes, params, rng);
      },
      [&](const dt::Tree& tree) { return accuracy(y_test, tree.predict_class(s.X_test)); });
  m.implementation = "2.8 fit_classifier (exact bins, Gini)";
  m.quality_name = "test accuracy";
  return m;
}

Measured bench_random_forest(const Split& s, const json& p, int reps, const mlc::Rng& root) {
  namespace en = ensembles;
  const VectorXi y = as_labels(s.y_train), y_test = as_labels(s.y_test);
  en::ForestParams params;
  params.n_trees = p.at("n_trees").get<int>();
  params.max_features = p.at("max_features").get<int>();
  Measured m = time_model(
      reps,
      [&] {
        mlc::Rng rng = root.derive(12);
        en::RandomForest rf;
        rf.fit(s.X_train, y, s.num_classes, params, rng);
        return rf;
      },
      [&](const en::RandomForest& rf) { return accuracy(y_test, rf.predict(s.X_test)); });
  m.implementation = "2.9 RandomForest (bootstrap, full Gini trees, out-of-bag votes)";
  m.quality_name = "test accuracy";
  return m;
}

Measured bench_gradient_boosting(const Split& s, const json& p, int reps, const mlc::Rng& root) {
  namespace en = ensembles;
  namespace dt = decision_trees;
  const VectorXi y = as_labels(s.y_train), y_test = as_labels(s.y_test);
  en::BoostingParams params;
  params.n_rounds = p.at("n_rounds").get<int>();
  params.learning_rate = p.at("learning_rate").get<double>();
  params.subsample = 1.0;
  params.max_bins = p.at("max_bins").get<int>();
  params.tree = {.criterion = dt::Criterion::newton,
                 .max_depth = p.at("max_depth").get<int>(),
                 .min_samples_leaf = p.at("min_samples_leaf").get<int>(),
                 .lambda = p.at("lambda").get<double>(),
                 .min_child_weight = p.at("min_child_weight").get<double>()};
  Measured m = time_model(
      reps,
      [&] {
        mlc::Rng rng = root.derive(13);
        en::GradientBoosting gb;
        gb.fit(s.X_train, y, s.num_classes, params, rng);
        return gb;
      },
      [&](const en::GradientBoosting& gb) { return accuracy(y_test, gb.predict(s.X_test)); });
  m.implementation = "2.9 GradientBoosting (softmax, Newton leaves, quantile bins)";
  m.quality_name = "test accuracy";
  return m;
}

Measured bench_svm(const Split& s, const json& p, int reps, const mlc::Rng&) {
  namespace svm = support_vector_machines;
  const VectorXi y = as_labels(s.y_train), y_test = as_labels(s.y_test);
  const svm::Kernel kernel = svm::Kernel::rbf(p.at("gamma").get<double>());
  const svm::SmoOptions smo{.C = p.at("C").get<double>(),
                            .tolerance = p.at("tolerance").get<double>()};
  Measured m = time_model(
      reps,
      [&] {
        return svm::MultiClassSvm::fit(s.X_train, y, s.num_classes, kernel, smo,
                                       svm::MultiClassScheme::kOneVsOne);
      },
      [&](const svm::MultiClassSvm& model) { return accuracy(y_test, model.predict(s.X_test)); });
  m.implementation = "2.10 MultiClassSvm (SMO with WSS2, one-vs-one)";
  m.quality_name = "test accuracy";
  return m;
}

Measured bench_kmeans(const Split& s, const json& p, int reps, const mlc::Rng& root) {
  namespace cl = clustering;
  const cl::KMeansOptions options{.init = cl::KMeansInit::kPlusPlus,
                                  .n_init = p.at("n_init").get<int>(),
                                  .max_iterations = p.at("max_iterations").get<int>()};
  const int k = p.at("k").get<int>();
  double train_inertia = 0;
  Measured m = time_model(
      reps,
      [&] {
        mlc::Rng rng = root.derive(14);
        return cl::kmeans(s.X_train, k, rng, options);
      },
      [&](const cl::KMeansResult& r) {
        // predict: each test point to its nearest center
        const MatrixXd d2 = cl::squared_distances(s.X_test, r.centers);
        VectorXi labels(d2.rows());
        for (Eigen::Index i = 0; i < d2.rows(); ++i) d2.row(i).minCoeff(&labels(i));
        train_inertia = r.inertia / static_cast<double>(s.X_train.rows());
        return static_cast<double>(labels.maxCoeff());
      });
  m.quality = train_inertia;
  m.implementation = "2.11 kmeans (k-means++, Lloyd)";
  m.quality_name = "train inertia per point";
  return m;
}

Measured bench_pca(const Split& s, const json& p, int reps, const mlc::Rng&) {
  namespace dr = dimensionality_reduction;
  const auto k = p.at("components").get<Eigen::Index>();
  double ratio = 0;
  Measured m = time_model(
      reps, [&] { return dr::pca_svd(s.X_train); },
      [&](const dr::Pca& pca) {
        const MatrixXd Z = pca.transform(s.X_test, k);
        ratio = pca.explained_variance_ratio.head(k).sum();
        return Z(0, 0);
      });
  m.quality = ratio;
  m.implementation = "2.12 pca_svd (thin SVD of the centred data)";
  m.quality_name = "explained variance ratio";
  return m;
}

Measured bench_tsne(const Split& s, const json& p, int reps, const mlc::Rng& root) {
  namespace dr = dimensionality_reduction;
  dr::TsneOptions o;
  o.perplexity = p.at("perplexity").get<double>();
  o.iterations = p.at("iterations").get<int>();
  o.learning_rate = p.at("learning_rate").get<double>();
  o.early_exaggeration = p.at("early_exaggeration").get<double>();
  o.exaggeration_iterations = p.at("exaggeration_iterations").get<int>();
  o.momentum_switch = p.at("momentum_switch").get<int>();
  o.init_stddev = p.at("init_stddev").get<double>();
  o.record_every = o.iterations;  // the KL at the end only
  std::vector<double> fit_t;
  double kl = 0;
  for (int r = 0; r < reps; ++r) {
    mlc::Rng rng = root.derive(15);
    mlc::Timer t;
    kl = dr::tsne_embed(s.X_train, o, rng).final_kl;
    fit_t.push_back(t.seconds());
  }
  Measured m;
  m.fit_seconds = median(fit_t);
  m.quality = kl;
  m.implementation = "2.12 tsne_embed (exact gradient, gains, momentum)";
  m.quality_name = "final KL(P‖Q)";
  return m;
}

using Bench = Measured (*)(const Split&, const json&, int, const mlc::Rng&);
const std::map<std::string, Bench>& benches() {
  static const std::map<std::string, Bench> b = {{"linear_regression", bench_linear_regression},
                                                 {"logistic_regression", bench_logistic_regression},
                                                 {"knn", bench_knn},
                                                 {"naive_bayes", bench_naive_bayes},
                                                 {"decision_tree", bench_decision_tree},
                                                 {"random_forest", bench_random_forest},
                                                 {"gradient_boosting", bench_gradient_boosting},
                                                 {"svm", bench_svm},
                                                 {"kmeans", bench_kmeans},
                                                 {"pca", bench_pca},
                                                 {"tsne", bench_tsne}};
  return b;
}

int run(int argc, char** argv) {
  CLI::App app{"level2_bench: the level-2 lessons' side of ./learn bench (bench/README.md)"};
  int threads = 1, reps = 3;
  std::string size = "full", out_dir = "out/bench", config_path = MLC_BENCH_DIR "/level2.json";
  std::vector<std::string> only;
  app.add_option("--threads", threads,
                 "threads the reference side may use (the lessons are serial)")
      ->check(CLI::PositiveNumber);
  app.add_option("--reps", reps, "repetitions per model; times are their median")
      ->check(CLI::PositiveNumber);
  app.add_option("--size", size, "full, or tiny (the plumbing test)")
      ->check(CLI::IsMember({"full", "tiny"}));
  app.add_option("--out", out_dir, "folder for splits.json");
  app.add_option("--config", config_path, "the shared model list")->check(CLI::ExistingFile);
  app.add_option("--only", only, "model keys to run (default: all of the config)")->delimiter(',');
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const json config = json::parse(mlc::read_text_file(config_path));
  std::vector<json> entries;
  std::vector<std::string> needed;
  for (const json& e : config.at("models")) {
    const std::string key = e.at("key");
    if (!benches().contains(key))
      throw mlc::DataError(
          fmt::format("{}: unknown model key '{}' (known: the bench_* functions of "
                      "bench/level2_bench.cpp)",
                      config_path, key));
    if (!only.empty() && std::find(only.begin(), only.end(), key) == only.end()) continue;
    entries.push_back(e);
    needed.push_back(e.at("dataset"));
  }
  if (entries.empty()) throw mlc::UsageError("--only matched no model key of " + config_path);

  const Data data = load_data(config, size, needed);
  fs::create_directories(out_dir);
  mlc::write_file_atomically(fs::path(out_dir) / "splits.json", data.record.dump() + "\n");

  const mlc::Rng root = mlc::Rng(config.at("seed").get<std::uint64_t>()).derive(100);
  json results = json::array();
  for (const json& e : entries) {
    const std::string key = e.at("key"), dataset = e.at("dataset");
    const Split& s = data.splits.at(dataset);
    std::fprintf(stderr, "level2_bench: %s on %s ...\n", key.c_str(), dataset.c_str());
    const Measured m = benches().at(key)(s, params_of(e, size), reps, root);
    results.push_back(
        {{"key", key},
         {"model", e.at("name")},
         {"dataset", dataset},
         {"n_train", s.X_train.rows()},
         {"n_test", s.X_test.rows()},
         {"d", s.d()},
         {"implementation", m.implementation},
         {"fit_seconds", m.fit_seconds},
         {"predict_seconds", m.predict_seconds ? json(*m.predict_seconds) : json(nullptr)},
         {"quality_name", m.quality_name},
         {"quality", m.quality}});
  }
  const json build = {{"compiler", "GCC " __VERSION__},
                      {"build_type", MLC_BENCH_BUILD_TYPE},
                      {"eigen", fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION,
                                            EIGEN_MINOR_VERSION)},
                      {"simd", Eigen::SimdInstructionSetsInUse()}};
  const json report = {{"side", "lessons"}, {"threads", threads}, {"reps", reps},
                       {"size", size},      {"build", build},     {"results", results}};
  std::cout << report.dump(1) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const mlc::UsageError& e) {
    std::fprintf(stderr, "level2_bench: %s\n", e.what());
    return 2;
  } catch (const mlc::DataError& e) {
    std::fprintf(stderr, "level2_bench: %s\n", e.what());
    return 2;
  } catch (const json::exception& e) {
    std::fprintf(stderr, "level2_bench: bad config: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "level2_bench: %s\n", e.what());
    return 1;
  }
}
