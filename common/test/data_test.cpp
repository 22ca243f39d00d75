// Tests of the data layer (mlc/data.hpp): strict readers on bad input, the vendored data
// sets against their published shapes and checksums, generators and splits.
#include "mlc/data.hpp"

#include <zlib.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"
#include "mlc/testing.hpp"

namespace {

using mlc::testing::TempDir;

std::filesystem::path write(const TempDir& dir, const std::string& name, const std::string& text) {
  const auto p = dir.path() / name;
  mlc::write_file_atomically(p, text);
  return p;
}

// Expects a DataError whose message contains every fragment.
void expect_data_error(const std::function<void()>& f, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "no DataError thrown";
  } catch (const mlc::DataError& e) {
    for (const auto& frag : fragments) EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
  }
}

TEST(Csv, ReadsHeaderAndValues) {
  TempDir dir;
  auto t = mlc::read_csv(write(dir, "a.csv", "x,y\n1,2.5\n-3,4e2\n"));
  ASSERT_EQ(t.header, (std::vector<std::string>{"x", "y"}));
  Eigen::MatrixXd expected(2, 2);
  expected << 1, 2.5, -3, 400;
  EXPECT_ALLCLOSE(t.values, expected, 0.0);
}

TEST(Csv, MissingFileNamesTheFile) {
  expect_data_error([] { mlc::read_csv("/nonexistent/x.csv"); }, {"/nonexistent/x.csv", "cannot open"});
}

TEST(Csv, EmptyFileIsAnError) {
  TempDir dir;
  auto p = write(dir, "empty.csv", "");
  expect_data_error([&] { mlc::read_csv(p); }, {"empty.csv", "empty"});
}

TEST(Csv, RaggedRowNamesFileAndLine) {
  TempDir dir;
  auto p = write(dir, "ragged.csv", "a,b,c\n1,2,3\n4,5\n");
  expect_data_error([&] { mlc::read_csv(p); }, {"ragged.csv:3", "2 cells, expected 3"});
}

TEST(Csv, NonNumericCellNamesLineColumnAndText) {
  TempDir dir;
  auto p = write(dir, "text.csv", "a,b\n1,2\n3,oops\n");
  expect_data_error([&] { mlc::read_csv(p); }, {"text.csv:3", "column 2 (b)", "'oops'"});
}

TEST(Csv, BlankLineInsideDataIsAnError) {
  TempDir dir;
  auto p = write(dir, "blank.csv", "a\n1\n\n2\n");
  expect_data_error([&] { mlc::read_csv(p); }, {"blank.csv:3", "blank line"});
}

// Regressions found while fuzzing the reader (fuzz/csv_reader.cpp): from_chars takes no
// '+', so the reader strips one, which let "+-1" through as -1; and it accepted "inf",
// against the documented finite-or-nan contract.
TEST(Csv, SignAfterPlusIsNotANumber) {
  TempDir dir;
  auto p = write(dir, "sign.csv", "a\n+1\n+-1\n");
  expect_data_error([&] { mlc::read_csv(p); }, {"sign.csv:3", "'+-1'"});
}

TEST(Csv, InfinityIsRejectedNanIsKept) {
  TempDir dir;
  auto t = mlc::read_csv(write(dir, "nan.csv", "a,b\nnan,1\n"));
  EXPECT_TRUE(std::isnan(t.values(0, 0)));
  for (const char* cell : {"inf", "-inf", "+inf", "infinity", "1e999"}) {
    auto p = write(dir, "inf.csv", std::string("a,b\n1,") + cell + "\n");
    expect_data_error([&] { mlc::read_csv(p); }, {"inf.csv:2", "column 2 (b)"});
  }
}

TEST(Csv, StreamOverloadNamesItsSource) {
  std::istringstream in("x;y\r\n1;2\r\n3;q\r\n");
  expect_data_error([&] { mlc::read_csv(in, "memory", ';'); }, {"memory:3", "'q'"});
}

// A gzip-compressed IDX file, as Debian ships Fashion-MNIST.
void write_gz(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
  gzFile gz = gzopen(p.c_str(), "wb");
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
}

std::vector<unsigned char> idx_images(int n, int rows, int cols) {
  std::vector<unsigned char> b = {0, 0, 8, 3, 0, 0, 0, static_cast<unsigned char>(n), 0, 0, 0,
                                  static_cast<unsigned char>(rows), 0, 0, 0, static_cast<unsigned char>(cols)};
  for (int i = 0; i < n * rows * cols; ++i) b.push_back(static_cast<unsigned char>(i % 256));
  return b;
}

TEST(Idx, ReadsGzipImagesAndLabels) {
  TempDir dir;
  write_gz(dir.path() / "img.gz", idx_images(2, 2, 3));
  auto X = mlc::read_idx_images(dir.path() / "img.gz");
  ASSERT_EQ(X.rows(), 2);
  ASSERT_EQ(X.cols(), 6);
  EXPECT_EQ(X(1, 5), 11.0);
  write_gz(dir.path() / "lab.gz", {0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 9});
  auto y = mlc::read_idx_labels(dir.path() / "lab.gz", 10);
  EXPECT_EQ(y(0), 2);
  EXPECT_EQ(y(2), 9);
}

TEST(Idx, TruncatedFileNamesTheByteOffset) {
  TempDir dir;
  auto b = idx_images(2, 2, 3);
  b.resize(b.size() - 4);
  write_gz(dir.path() / "short.gz", b);
  expect_data_error([&] { mlc::read_idx_images(dir.path() / "short.gz"); }, {"short.gz", "truncated at byte offset 24"});
}

TEST(Idx, WrongMagicNumberIsAnError) {
  TempDir dir;
  auto b = idx_images(1, 1, 1);
  b[3] = 1;  // a label file's magic in an image reader
  write_gz(dir.path() / "magic.gz", b);
  expect_data_error([&] { mlc::read_idx_images(dir.path() / "magic.gz"); }, {"magic.gz", "0x00000801", "expected 0x00000803"});
}

TEST(Idx, LabelOutOfRangeNamesTheOffset) {
  TempDir dir;
  write_gz(dir.path() / "lab.gz", {0, 0, 8, 1, 0, 0, 0, 2, 1, 12});
  expect_data_error([&] { mlc::read_idx_labels(dir.path() / "lab.gz", 10); }, {"byte offset 9", "label 12", "0..9"});
}

void write_bytes(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                           static_cast<std::streamsize>(bytes.size()));
}

// Regressions found while fuzzing the readers (fuzz/idx_reader.cpp). A header whose
// n·rows·cols wraps around 2^64 passed the size check (2^16 images of 2^24 x 2^24 pixels
// "fit" in 0 bytes) and then failed inside Eigen with std::bad_alloc instead of DataError.
TEST(Idx, HeaderWhoseSizeOverflowsIsTruncatedNotBadAlloc) {
  TempDir dir;
  write_bytes(dir.path() / "wrap.idx", {0, 0, 8, 3, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0});
  expect_data_error([&] { mlc::read_idx_images(dir.path() / "wrap.idx"); },
                    {"wrap.idx", "truncated at byte offset 16", "more than 2^64", "65536 images"});
}

// Zero images of 2^24 x 2^24 pixels were accepted as a 0 x 2^48 matrix, whose column
// loops never end (the fuzzer's timeout); empty files and empty images are now refused.
TEST(Idx, NoImagesOrEmptyImagesAreAnError) {
  TempDir dir;
  write_bytes(dir.path() / "wide.idx", {0, 0, 8, 3, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0});
  expect_data_error([&] { mlc::read_idx_images(dir.path() / "wide.idx"); },
                    {"wide.idx", "0 images of 16777216x16777216", "at least one image"});
  write_bytes(dir.path() / "flat.idx", {0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5});
  expect_data_error([&] { mlc::read_idx_images(dir.path() / "flat.idx"); }, {"flat.idx", "9 images of 0x5"});
  write_bytes(dir.path() / "none.idx", {0, 0, 8, 1, 0, 0, 0, 0});
  expect_data_error([&] { mlc::read_idx_labels(dir.path() / "none.idx", 10); }, {"none.idx", "0 labels"});
}

// The image reader refused trailing bytes; the label reader accepted them silently.
TEST(Idx, TrailingBytesAfterLabelsAreAnError) {
  TempDir dir;
  write_gz(dir.path() / "lab.gz", {0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3});
  expect_data_error([&] { mlc::read_idx_labels(dir.path() / "lab.gz", 10); }, {"lab.gz", "1 trailing bytes after 2 labels"});
}

// zlib's gzread ignored bytes after the gzip data; a strict reader does not.
TEST(Idx, TrailingGarbageAfterGzipDataIsAnError) {
  TempDir dir;
  write_gz(dir.path() / "img.gz", idx_images(1, 2, 2));
  { std::ofstream(dir.path() / "img.gz", std::ios::binary | std::ios::app) << "junk"; }
  expect_data_error([&] { mlc::read_idx_images(dir.path() / "img.gz"); }, {"img.gz", "4 trailing bytes after the gzip data"});
}

TEST(Idx, TruncatedGzipDataIsAnError) {
  TempDir dir;
  write_gz(dir.path() / "img.gz", idx_images(2, 2, 3));
  const auto bytes = mlc::read_text_file(dir.path() / "img.gz");
  write_bytes(dir.path() / "cut.gz", {bytes.begin(), bytes.end() - 6});
  expect_data_error([&] { mlc::read_idx_images(dir.path() / "cut.gz"); }, {"cut.gz", "truncated gzip data"});
}

TEST(Idx, PlainConcatenatedGzipAndStreamReadAlike) {
  TempDir dir;
  const auto b = idx_images(2, 2, 3);
  write_bytes(dir.path() / "plain.idx", b);
  write_gz(dir.path() / "a.gz", {b.begin(), b.begin() + 10});
  write_gz(dir.path() / "b.gz", {b.begin() + 10, b.end()});
  std::string two = mlc::read_text_file(dir.path() / "a.gz") + mlc::read_text_file(dir.path() / "b.gz");
  write_bytes(dir.path() / "two.gz", {two.begin(), two.end()});
  const Eigen::MatrixXd X = mlc::read_idx_images(dir.path() / "plain.idx");
  EXPECT_EQ(mlc::read_idx_images(dir.path() / "two.gz"), X);
  std::istringstream in(std::string(b.begin(), b.end()));
  EXPECT_EQ(mlc::read_idx_images(in, "memory"), X);
}

TEST(FashionMnist, MissingPackageNamesLearnSetup) {
  TempDir dir;
  setenv("MLC_FASHION_MNIST_DIR", dir.str().c_str(), 1);
  expect_data_error([] { mlc::load_fashion_mnist(true, 10); }, {"./learn setup", "dataset-fashion-mnist"});
  unsetenv("MLC_FASHION_MNIST_DIR");
}

TEST(FashionMnist, LoadsFromDebiansPackageWhenInstalled) {
  if (!std::filesystem::exists(mlc::fashion_mnist_dir() / "t10k-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (./learn setup installs it)";
  }
  auto test = mlc::load_fashion_mnist(false, 100);
  EXPECT_EQ(test.n(), 100);
  EXPECT_EQ(test.d(), 784);
  EXPECT_EQ(test.num_classes(), 10);
  EXPECT_GE(test.X.minCoeff(), 0.0);
  EXPECT_LE(test.X.maxCoeff(), 1.0);
}

// Shapes and class counts as published with each data set (data/README.md).
TEST(VendoredData, ShapesAndClassCountsMatchTheirSources) {
  struct Expect { const char* name; Eigen::Index n, d; int k; };
  for (auto e : {Expect{"iris", 150, 4, 3}, Expect{"wine", 178, 13, 3}, Expect{"breast_cancer", 569, 30, 2},
                 Expect{"digits", 1797, 64, 10}, Expect{"diabetes", 442, 10, 0}}) {
    auto data = mlc::load_dataset(e.name);
    EXPECT_EQ(data.n(), e.n) << e.name;
    EXPECT_EQ(data.d(), e.d) << e.name;
    EXPECT_EQ(data.num_classes(), e.k) << e.name;
    EXPECT_EQ(static_cast<Eigen::Index>(data.feature_names.size()), e.d) << e.name;
  }
  auto bc = mlc::load_dataset("breast_cancer");
  EXPECT_EQ((bc.labels().array() == 0).count(), 212);  // malignant
  EXPECT_EQ((bc.labels().array() == 1).count(), 357);  // benign
  auto diabetes = mlc::load_dataset("diabetes");
  EXPECT_EQ(diabetes.y.minCoeff(), 25);
  EXPECT_EQ(diabetes.y.maxCoeff(), 346);
}

// data/README.md lists a SHA-256 per file; the files must match it byte for byte.
TEST(VendoredData, ChecksumsMatchDataReadme) {
  const auto readme = mlc::read_text_file(mlc::data_dir() / "README.md");
  int checked = 0;
  std::vector<std::string> files;
  for (const auto& name : mlc::dataset_names()) files.push_back(name + ".csv");
  files.push_back("tinyshakespeare.txt");  // read by lesson 2.7's own reader
  for (const auto& file : files) {
    const std::string sha = mlc::sha256_file(mlc::data_dir() / file);
    EXPECT_NE(readme.find("`" + sha + "`"), std::string::npos) << file << " has sha256 " << sha
                                                               << ", which data/README.md does not list";
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(Sha256, KnownAnswers) {
  TempDir dir;
  EXPECT_EQ(mlc::sha256_file(write(dir, "abc", "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(mlc::sha256_file(write(dir, "empty", "")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(VendoredData, CorruptedCopyFailsWithFileAndLine) {
  TempDir dir;
  auto text = mlc::read_text_file(mlc::data_dir() / "iris.csv");
  // Break row 5 (line 6 of the file) by dropping its last cell.
  std::size_t pos = 0;
  for (int line = 0; line < 5; ++line) pos = text.find('\n', pos) + 1;
  const std::size_t end = text.find('\n', pos);
  text.erase(text.rfind(',', end), end - text.rfind(',', end));
  mlc::write_file_atomically(dir.path() / "iris.csv", text);
  setenv("MLC_DATA_DIR", dir.str().c_str(), 1);
  expect_data_error([] { mlc::load_dataset("iris"); }, {"iris.csv:6", "ragged row"});
  unsetenv("MLC_DATA_DIR");
}

TEST(Splits, StratifiedSplitKeepsClassProportions) {
  auto data = mlc::load_dataset("breast_cancer");
  mlc::Rng rng(0);
  auto s = mlc::train_test_split(data, 0.25, rng);
  EXPECT_EQ(s.train.n() + s.test.n(), data.n());
  // round(0.25 · 212) = 53 malignant and round(0.25 · 357) = 89 benign in the test part.
  EXPECT_EQ((s.test.labels().array() == 0).count(), 53);
  EXPECT_EQ((s.test.labels().array() == 1).count(), 89);
  std::set<Eigen::Index> all(s.train_rows.begin(), s.train_rows.end());
  for (auto r : s.test_rows) EXPECT_FALSE(all.count(r));
}

TEST(Splits, SameSeedSameSplit) {
  auto data = mlc::load_dataset("iris");
  mlc::Rng a(11), b(11);
  EXPECT_EQ(mlc::train_test_split(data, 0.25, a).test_rows, mlc::train_test_split(data, 0.25, b).test_rows);
}

TEST(Splits, KFoldPartitionsTheRows) {
  mlc::Rng rng(4);
  auto folds = mlc::kfold_indices(23, 5, rng);
  std::multiset<Eigen::Index> seen;
  for (const auto& f : folds) {
    EXPECT_GE(f.size(), 4u);
    EXPECT_LE(f.size(), 5u);
    seen.insert(f.begin(), f.end());
  }
  EXPECT_EQ(seen.size(), 23u);
  EXPECT_EQ(std::set<Eigen::Index>(seen.begin(), seen.end()).size(), 23u);
  EXPECT_EQ(mlc::complement(folds[0], 23).size() + folds[0].size(), 23u);
}

TEST(Splits, StratifiedKFoldBalancesClasses) {
  Eigen::VectorXi labels(30);
  for (int i = 0; i < 30; ++i) labels(i) = i < 10 ? 0 : 1;
  mlc::Rng rng(5);
  for (const auto& f : mlc::stratified_kfold_indices(labels, 5, rng)) {
    int zeros = 0;
    for (auto i : f) zeros += labels(i) == 0;
    EXPECT_EQ(zeros, 2);
    EXPECT_EQ(f.size(), 6u);
  }
}

TEST(Standardizer, UsesTrainingStatisticsOnly) {
  Eigen::MatrixXd train(4, 2), test(1, 2);
  train << 1, 5, 2, 5, 3, 5, 4, 5;
  test << 10, 7;
  mlc::Standardizer s;
  auto z = s.fit_transform(train);
  EXPECT_NEAR(z.col(0).mean(), 0.0, 1e-15);
  EXPECT_NEAR(z.col(0).squaredNorm() / 4, 1.0, 1e-14);
  EXPECT_EQ(z(0, 1), 0.0);  // constant column maps to 0, not NaN
  EXPECT_NEAR(s.transform(test)(0, 0), (10 - 2.5) / std::sqrt(1.25), 1e-12);
}

TEST(Synthetic, GeneratorsHaveTheRequestedShapes) {
  mlc::Rng rng(6);
  EXPECT_EQ(mlc::make_moons(101, 0.1, rng).n(), 101);
  EXPECT_EQ(mlc::make_circles(100, 0.05, 0.5, rng).num_classes(), 2);
  auto spirals = mlc::make_spirals(90, 3, 0.0, rng);
  EXPECT_EQ((spirals.labels().array() == 2).count(), 30);
  Eigen::MatrixXd centers(2, 3);
  centers << 0, 0, 0, 5, 5, 5;
  auto blobs = mlc::make_blobs(40, centers, 0.1, rng);
  EXPECT_EQ(blobs.d(), 3);
  Eigen::VectorXd w(2);
  w << 2, -1;
  auto lin = mlc::make_linear(50, w, 0.5, 0.0, rng);
  EXPECT_ALLCLOSE(lin.y, ((lin.X * w).array() + 0.5).matrix(), 1e-12);
}

}  // namespace
