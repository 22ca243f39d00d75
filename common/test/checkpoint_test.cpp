// Tests of the training checkpoint (mlc/checkpoint.hpp): exact round trips, atomic saves, and
// a clear DataError for every way a file can be damaged or belong to another configuration.
#include "mlc/checkpoint.hpp"

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"

namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

mlc::Checkpoint example_checkpoint() {
  mlc::Checkpoint ck;
  Eigen::MatrixXf w(2, 3);
  w << 1.5f, -2.0f, 3.25f, 1e-30f, -0.0f, 7.0f;
  ck.put("layer1.W", w);
  ck.put("layer1.b", Eigen::VectorXd::LinSpaced(4, -1.0, 1.0));
  ck.put_int("epoch", 7);
  ck.put_int("negative", -123456789012345);
  ck.put_string("config", "mlp 784-256-10 adam 1e-3");
  return ck;
}

std::string checkpoint_file_bytes(const std::filesystem::path& file) {
  return mlc::read_text_file(file);
}

void write_checkpoint_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

// The message of the DataError `f` throws (empty if it throws none).
template <class F>
std::string data_error_of(F f) {
  try {
    f();
  } catch (const mlc::DataError& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, RoundTripIsExactForEveryKind) {
  mlc::testing::TempDir dir;
  const auto file = dir.path() / "ck.bin";
  example_checkpoint().save(file);
  const auto ck = mlc::Checkpoint::load(file);
  Eigen::MatrixXf w(2, 3);
  ck.get("layer1.W", w);
  EXPECT_EQ(w, example_checkpoint().matrix_f("layer1.W"));
  EXPECT_EQ(w(1, 0), 1e-30f);
  EXPECT_TRUE(std::signbit(w(1, 1)));
  RowMajorF w_row(2, 3);  // storage order does not matter: entries are kept row by row
  ck.get("layer1.W", w_row);
  EXPECT_EQ(Eigen::MatrixXf(w_row), w);
  EXPECT_EQ(ck.matrix_d("layer1.b"), Eigen::MatrixXd(Eigen::VectorXd::LinSpaced(4, -1.0, 1.0)));
  EXPECT_EQ(ck.get_int("epoch"), 7);
  EXPECT_EQ(ck.get_int("negative"), -123456789012345);
  EXPECT_EQ(ck.get_string("config"), "mlp 784-256-10 adam 1e-3");
  EXPECT_EQ(ck.names().size(), 5u);
  EXPECT_EQ(ck.to_bytes(), example_checkpoint().to_bytes());  // same entries, same bytes
}

TEST(Checkpoint, GetIntoABlockOfALargerMatrix) {
  mlc::Checkpoint ck;
  ck.put("v", Eigen::MatrixXd::Constant(2, 2, 3.0));
  Eigen::MatrixXd big = Eigen::MatrixXd::Zero(4, 4);
  ck.get("v", big.block(1, 1, 2, 2));
  EXPECT_EQ(big.sum(), 12.0);
  EXPECT_EQ(big(0, 0), 0.0);
}

TEST(Checkpoint, AnotherConfigurationIsADataErrorNamingTheEntry) {
  const auto ck = example_checkpoint();
  Eigen::MatrixXf wrong(3, 2);
  EXPECT_NE(data_error_of([&] { ck.get("layer1.W", wrong); }).find("2 × 3"), std::string::npos);
  EXPECT_NE(data_error_of([&] { ck.get_int("missing"); }).find("'missing'"), std::string::npos);
  Eigen::MatrixXd as_double(2, 3);  // stored as float
  EXPECT_NE(data_error_of([&] { ck.get("layer1.W", as_double); }), "");
  EXPECT_NE(data_error_of([&] { ck.require_string("config", "cnn"); }).find("cnn"),
            std::string::npos);
  EXPECT_NO_THROW(ck.require_string("config", "mlp 784-256-10 adam 1e-3"));
}

TEST(Checkpoint, DamagedFilesAreDataErrorsNamingTheFileAndTheFix) {
  mlc::testing::TempDir dir;
  const auto good = dir.path() / "good.bin";
  example_checkpoint().save(good);
  const std::string bytes = checkpoint_file_bytes(good);
  const auto bad = dir.path() / "bad.bin";
  auto expect_error = [&](const std::string& content, const std::string& word) {
    write_checkpoint_file(bad, content);
    const std::string message = data_error_of([&] { mlc::Checkpoint::load(bad); });
    EXPECT_NE(message.find(bad.string()), std::string::npos) << message;
    EXPECT_NE(message.find(word), std::string::npos) << message;
    EXPECT_NE(message.find("--resume"), std::string::npos) << message;
  };
  for (std::size_t keep : {std::size_t{0}, std::size_t{5}, std::size_t{20}, bytes.size() - 1}) {
    expect_error(bytes.substr(0, keep), keep == 0 ? "not a checkpoint" : "truncated");
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2 + 12] ^= 0x10;
  expect_error(flipped, "CRC-32");
  std::string version = bytes;
  version[8] = 9;
  expect_error(version, "version 9");
  expect_error("hello, world: not a checkpoint at all", "not a checkpoint");
  expect_error(bytes + "x", "longer than written");
  const std::string missing =
      data_error_of([&] { mlc::Checkpoint::load(dir.path() / "none.bin"); });
  EXPECT_NE(missing.find("none.bin"), std::string::npos);
}

// Every single-byte corruption of a checkpoint ends in a DataError or in the same entries,
// never in a crash (the CRC catches all of them; the bounds-checked reader is the backstop).
TEST(Checkpoint, EveryByteFlipIsCaught) {
  const std::string bytes = example_checkpoint().to_bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    EXPECT_THROW(mlc::Checkpoint::from_bytes(damaged, "flip.bin"), mlc::DataError) << "byte " << i;
  }
}

TEST(Checkpoint, SaveReplacesTheFileAtomically) {
  mlc::testing::TempDir dir;
  const auto file = dir.path() / "ck.bin";
  example_checkpoint().save(file);
  mlc::Checkpoint later = example_checkpoint();
  later.put_int("epoch", 8);
  later.save(file);
  EXPECT_EQ(mlc::Checkpoint::load(file).get_int("epoch"), 8);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename(), "ck.bin") << "left behind: " << entry.path();
  }
}

TEST(Checkpoint, RngStateSurvivesACheckpoint) {
  mlc::Rng rng(5);
  rng.normal();
  mlc::Checkpoint ck;
  ck.put_string("rng", rng.state());
  const auto loaded = mlc::Checkpoint::from_bytes(ck.to_bytes(), "rng.bin");
  mlc::Rng resumed(0);
  resumed.set_state(loaded.get_string("rng"));
  EXPECT_EQ(resumed.normal(), rng.normal());
  EXPECT_EQ(resumed.next_u64(), rng.next_u64());
}

}  // namespace
