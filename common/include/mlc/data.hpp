// mlc/data.hpp: data sets, strict readers, synthetic generators and splits.
//
// Layout everywhere: rows are samples. X is n × d, y has n entries. For classification,
// y holds the class indices 0, ..., K-1 (as doubles) and class_names has K entries.
//
// Readers are strict: a missing file, an empty file, a ragged row, a non-numeric cell, a
// truncated or mislabelled IDX file, a label out of range: each throws DataError naming
// the file, the line (or byte offset) and what was expected.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace mlc {

struct Dataset {
  std::string name;
  Eigen::MatrixXd X;                       // n × d features
  Eigen::VectorXd y;                       // n targets (class index for classification)
  std::vector<std::string> feature_names;  // d names
  std::vector<std::string> class_names;    // K names; empty for regression

  Eigen::Index n() const { return X.rows(); }
  Eigen::Index d() const { return X.cols(); }
  bool is_classification() const { return !class_names.empty(); }
  int num_classes() const { return static_cast<int>(class_names.size()); }
  Eigen::VectorXi labels() const;  // y as integers; throws std::logic_error for regression
};

// ---- Readers ---------------------------------------------------------------------------

struct CsvTable {
  std::vector<std::string> header;  // column names (empty when has_header is false)
  Eigen::MatrixXd values;           // rows × columns, every cell numeric
};

// Reads a numeric CSV file. Every row must have as many cells as the first one (or the
// header), every cell must parse completely as a finite-or-nan double ("nan" is a missing
// value; "inf" and values beyond the double range are errors). Lines end in \n or \r\n;
// blank lines are allowed only at the end.
CsvTable read_csv(const std::filesystem::path& file, char delimiter = ',', bool has_header = true);
// The same from a stream (the file overload opens the file and calls this one); `source`
// names the input in error messages ("source:line: ...").
CsvTable read_csv(std::istream& in, const std::string& source, char delimiter = ',',
                  bool has_header = true);

// IDX files (LeCun's MNIST format, also used by Fashion-MNIST), plain or gzip-compressed.
// Images: magic 0x00000803, dims n, rows, cols; returned as n × (rows*cols) with the raw
// byte values 0..255. Labels: magic 0x00000801, dim n; each must be < num_classes. The
// data must be exactly as long as the header says: fewer bytes, trailing bytes, corrupt or
// trailing gzip data are errors, and so are zero images, zero labels and 0-pixel images.
Eigen::MatrixXd read_idx_images(const std::filesystem::path& file);
Eigen::VectorXi read_idx_labels(const std::filesystem::path& file, int num_classes);
// The same from a stream of the file's bytes; `source` names the input in error messages.
Eigen::MatrixXd read_idx_images(std::istream& in, const std::string& source);
Eigen::VectorXi read_idx_labels(std::istream& in, const std::string& source, int num_classes);

// SHA-256 of a file's bytes as 64 hex digits (data/README.md lists them; a test checks).
std::string sha256_file(const std::filesystem::path& file);

// ---- The vendored data sets (data/) ----------------------------------------------------

// The folder with the vendored data: $MLC_DATA_DIR if set, else the project's data/.
std::filesystem::path data_dir();

// The names load_dataset() accepts: breast_cancer, diabetes, digits, iris, wine.
std::vector<std::string> dataset_names();

// Loads a vendored data set by name (see data/README.md for each one's provenance).
Dataset load_dataset(std::string_view name);

// Fashion-MNIST from Debian's dataset-fashion-mnist package
// (/usr/share/datasets/fashion-mnist, or $MLC_FASHION_MNIST_DIR). Pixels scaled to [0, 1],
// X is n × 784. max_samples > 0 keeps the first max_samples images. A missing package is
// a DataError that names ./learn setup.
Dataset load_fashion_mnist(bool train, Eigen::Index max_samples = 0);
std::filesystem::path fashion_mnist_dir();

// ---- Synthetic data --------------------------------------------------------------------

// Isotropic Gaussian blobs: centers is K × d; n points split as evenly as possible.
Dataset make_blobs(Eigen::Index n, const Eigen::MatrixXd& centers, double stddev, Rng& rng);
// Two interleaving half circles (2-D, 2 classes), Gaussian noise of std `noise`.
Dataset make_moons(Eigen::Index n, double noise, Rng& rng);
// Two concentric circles (2-D, 2 classes); the inner radius is `factor` < 1.
Dataset make_circles(Eigen::Index n, double noise, double factor, Rng& rng);
// K interleaved Archimedean spirals (2-D).
Dataset make_spirals(Eigen::Index n, int num_classes, double noise, Rng& rng);
// Linear regression data y = X w + bias + noise, X ~ N(0, I).
Dataset make_linear(Eigen::Index n, const Eigen::VectorXd& w, double bias, double noise, Rng& rng);

// ---- Splits and scaling ----------------------------------------------------------------

// The rows `rows` of `data`, in that order.
Dataset subset(const Dataset& data, const std::vector<Eigen::Index>& rows);

struct TrainTestSplit {
  Dataset train, test;
  std::vector<Eigen::Index> train_rows, test_rows;
};

// A random split with round(test_fraction · n) test rows (per class when stratified, so
// every class keeps its proportion). Stratification requires a classification data set.
TrainTestSplit train_test_split(const Dataset& data, double test_fraction, Rng& rng,
                                bool stratify = true);

// k folds of {0, ..., n-1}: fold i is the i-th test part; sizes differ by at most one.
std::vector<std::vector<Eigen::Index>> kfold_indices(Eigen::Index n, int k, Rng& rng);
// Stratified k folds: each class is dealt round-robin over the folds after shuffling.
std::vector<std::vector<Eigen::Index>> stratified_kfold_indices(const Eigen::VectorXi& labels,
                                                                int k, Rng& rng);
// The complement of `fold` in {0, ..., n-1}, ascending.
std::vector<Eigen::Index> complement(const std::vector<Eigen::Index>& fold, Eigen::Index n);

// z = (x - mean) / scale per column, fitted on the training part only. A constant column
// gets scale 1 so that it maps to 0 instead of NaN.
struct Standardizer {
  Eigen::RowVectorXd mean, scale;
  void fit(const Eigen::Ref<const Eigen::MatrixXd>& X);
  Eigen::MatrixXd transform(const Eigen::Ref<const Eigen::MatrixXd>& X) const;
  Eigen::MatrixXd fit_transform(const Eigen::Ref<const Eigen::MatrixXd>& X);
};

}  // namespace mlc
