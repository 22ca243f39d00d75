// 3.3 fashion_mnist_mlp: the grade. The fused dense layer against central differences and
// against the same layer built from 3.4's ops; the optimizers against 3.4's Adam(W) and
// SGD; the data pipeline (stratified split, training-only statistics); early stopping;
// thread-count invariance; checkpoints: resume gives the same bytes, damaged or mismatched
// files are refused with the file named; the cache of trained networks; the failure modes
// of the report; the program in --quick.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <omp.h>
#include <nlohmann/json.hpp>

#include "autograd.hpp"
#include "fashion_mnist_mlp.hpp"
#include "mlc/checkpoint.hpp"
#include "mlc/error.hpp"
#include "mlc/io.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "op_checks.hpp"

namespace ag = autograd;
namespace fm = fashion_mnist_mlp;
namespace fs = std::filesystem;
using ag::Index;
using ag::Matrix;

namespace {

// The small splits every training test shares (all from the 10 000 test images: fast).
const fm::TrainConfig& tiny_config() {
  static const fm::TrainConfig config = [] {
    fm::TrainConfig c = fm::quick_config(3);
    c.hidden = {32};
    c.train_rows = 1024;
    c.validation_rows = 500;
    c.test_rows = 500;
    c.max_epochs = 4;
    c.patience = 4;
    return c;
  }();
  return config;
}
const fm::FashionData& tiny_data() {
  static const fm::FashionData data = fm::load_data(tiny_config());
  return data;
}

Matrix<double> normal(mlc::Rng& rng, Index rows, Index cols) {
  Matrix<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}

bool same_parameters(const fm::Net& a, const fm::Net& b) {
  if (a.weights.size() != b.weights.size()) return false;
  for (std::size_t l = 0; l < a.weights.size(); ++l) {
    if (a.weights[l].value != b.weights[l].value || a.biases[l].value != b.biases[l].value)
      return false;
  }
  return true;
}

// The history without the wall times.
std::vector<double> history_values(const fm::TrainResult& r) {
  std::vector<double> v;
  for (const fm::EpochRecord& e : r.history) {
    v.insert(v.end(), {e.train_loss, e.validation_loss, e.validation_accuracy, e.test_accuracy});
  }
  return v;
}

// ---- 1. The fused dense layer ---------------------------------------------------------------

// (2)-(3) against central differences (19 of 3.4) on shapes that span several 32-row tiles.
ag::OpCase dense_case(bool relu, mlc::Rng& rng) {
  ag::OpCase c;
  c.name = relu ? "dense_relu" : "dense";
  c.equation = "(2)-(3)";
  c.inputs = {normal(rng, 70, 40), normal(rng, 40, 7), normal(rng, 1, 7)};
  c.build_double = [relu](ag::Tape<double>&, std::span<const ag::Var<double>> x) {
    return fm::dense(x[0], x[1], x[2], relu);
  };
  c.build_float = [relu](ag::Tape<float>&, std::span<const ag::Var<float>> x) {
    return fm::dense(x[0], x[1], x[2], relu);
  };
  return c;
}

TEST(Dense, PassesTheGradientCheckInDouble) {
  mlc::Rng rng(1);
  for (bool relu : {true, false}) {
    const ag::OpCheck check = ag::check_op(dense_case(relu, rng), 17);
    EXPECT_LT(check.relative_error, 1e-7) << (relu ? "relu" : "linear");
    EXPECT_EQ(check.entries, 70 * 40 + 40 * 7 + 7);
  }
}

// The fused op against relu(add(matmul(x, W), b)) from the engine: values and every
// gradient (x, W, b), in double to rounding and in float to float rounding.
template <class T>
void expect_dense_matches_engine(double tolerance) {
  mlc::Rng rng(2);
  for (bool relu : {true, false}) {
    const Matrix<double> X = normal(rng, 100, 50), W = normal(rng, 50, 33), b = normal(rng, 1, 33);
    const Matrix<double> seed = normal(rng, 100, 33);
    std::vector<Matrix<double>> values, grads;
    for (int variant = 0; variant < 2; ++variant) {
      ag::Parameter<T> px("x", X.cast<T>()), pW("W", W.cast<T>()), pb("b", b.cast<T>());
      ag::Tape<T> tape;
      const auto x = tape.param(px), w = tape.param(pW), bias = tape.param(pb);
      const ag::Var<T> y =
          variant == 0 ? fm::dense(x, w, bias, relu) : fm::dense_reference(x, w, bias, relu);
      tape.backward(y, seed.cast<T>());
      values.push_back(y.value().template cast<double>());
      grads.push_back(px.grad.template cast<double>());
      grads.push_back(pW.grad.template cast<double>());
      grads.push_back(pb.grad.template cast<double>());
    }
    auto rel = [](const Matrix<double>& a, const Matrix<double>& e) {
      return (a - e).norm() / e.norm();
    };
    EXPECT_LT(rel(values[0], values[1]), tolerance) << "value, relu " << relu;
    for (int k = 0; k < 3; ++k)
      EXPECT_LT(rel(grads[k], grads[3 + k]), tolerance) << "gradient " << k;
  }
}
TEST(Dense, MatchesTheEngineLayerInDouble) {
  expect_dense_matches_engine<double>(1e-13);
}
TEST(Dense, MatchesTheEngineLayerInFloat) {
  expect_dense_matches_engine<float>(1e-5);
}

// The whole network: the gradient of the loss through fused layers equals the engine's
// Mlp::logits (matmul, add, relu) on the same weights.
TEST(Dense, NetworkGradientMatchesTheEngineMlp) {
  mlc::Rng rng(3);
  auto net = ag::make_mlp<double>({784, 48, 24, 10}, ag::Activation::relu, rng);
  auto engine = ag::cast_mlp<double>(net);
  const Eigen::MatrixXd X = rng.normal_matrix(64, 784);
  Eigen::VectorXi y(64);
  for (Index i = 0; i < 64; ++i) y(i) = static_cast<int>(rng.index(10));
  ag::Tape<double> tape, engine_tape;
  const ag::Var<double> loss = ag::cross_entropy(fm::logits(net, tape, tape.input(X)), y);
  tape.backward(loss);
  const double expected = ag::loss_and_gradients(engine, engine_tape, X, y);
  EXPECT_NEAR(loss.item(), expected, 1e-12 * expected);
  const Eigen::VectorXd a = ag::flatten_gradients(net), e = ag::flatten_gradients(engine);
  EXPECT_LT((a - e).norm() / e.norm(), 1e-13);
}

TEST(Dense, RejectsMismatchedShapes) {
  ag::Tape<float> tape;
  const auto x = tape.input(Matrix<float>::Ones(4, 3));
  const auto W = tape.input(Matrix<float>::Ones(5, 2)), b = tape.input(Matrix<float>::Ones(1, 2));
  EXPECT_THROW(fm::dense(x, W, b, true), std::invalid_argument);
}

// Fixed tiles: one thread and two give the same bytes, forward and backward.
TEST(Dense, ResultsDoNotDependOnTheThreadCount) {
  mlc::Rng rng(4);
  const Matrix<float> X = normal(rng, 128, 300).cast<float>(),
                      W = normal(rng, 300, 96).cast<float>();
  const Matrix<float> b = normal(rng, 1, 96).cast<float>(),
                      seed = normal(rng, 128, 96).cast<float>();
  std::vector<Matrix<float>> out;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    ag::Parameter<float> px("x", X), pW("W", W), pb("b", b);
    ag::Tape<float> tape;
    const auto y = fm::dense(tape.param(px), tape.param(pW), tape.param(pb), true);
    tape.backward(y, seed);
    out.insert(out.end(), {y.value(), px.grad, pW.grad, pb.grad});
  }
  omp_set_num_threads(1);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_TRUE(out[k] == out[4 + k]) << "output " << k << ", 2 threads";
    EXPECT_TRUE(out[k] == out[8 + k]) << "output " << k << ", 3 threads";
  }
}

// ---- 2. Optimizers against 3.4's --------------------------------------------------------------

TEST(Optimizer, AdamWMatchesTheEngineAdamOverSteps) {
  mlc::Rng rng(5);
  fm::TrainConfig config;
  config.learning_rate = 3e-3;
  config.weight_decay = 0.1;
  ag::Parameter<float> ours("W", normal(rng, 20, 30).cast<float>()), theirs = ours;
  ag::Parameter<float> ours_b("b", normal(rng, 1, 30).cast<float>(), false), theirs_b = ours_b;
  ours.moment1 = ours.moment2 = Matrix<float>::Zero(20, 30);
  ours_b.moment1 = ours_b.moment2 = Matrix<float>::Zero(1, 30);
  ag::Adam<float> adam({.learning_rate = 3e-3f, .weight_decay = 0.1f});
  for (long t = 1; t <= 5; ++t) {
    ours.grad = theirs.grad = normal(rng, 20, 30).cast<float>();
    ours_b.grad = theirs_b.grad = normal(rng, 1, 30).cast<float>();
    fm::optimizer_step(config, {&ours, &ours_b}, t);
    adam.step({&theirs, &theirs_b});
  }
  EXPECT_ALLCLOSE(ours.value.cast<double>(), theirs.value.cast<double>(), 1e-6);
  EXPECT_ALLCLOSE(ours_b.value.cast<double>(), theirs_b.value.cast<double>(), 1e-6);
}

// Adam's first step moves every weight by the learning rate against its gradient's sign,
// whatever the gradient's scale (m̂ = g, v̂ = g²): a closed form.
TEST(Optimizer, FirstAdamStepIsTheLearningRateTimesTheSign) {
  mlc::Rng rng(6);
  fm::TrainConfig config;
  ag::Parameter<float> p("W", Matrix<float>::Zero(10, 10));
  p.moment1 = p.moment2 = Matrix<float>::Zero(10, 10);
  p.grad = (1e3 * normal(rng, 10, 10)).cast<float>();
  fm::optimizer_step(config, {&p}, 1);
  // float rounding of β₂ = 0.999 alone moves the step by about 1e-8
  EXPECT_ALLCLOSE(p.value.cast<double>(), (-1e-3 * p.grad.array().sign()).matrix().cast<double>(),
                  1e-7);
}

TEST(Optimizer, SgdWithMomentumMatchesTheEngine) {
  mlc::Rng rng(7);
  fm::TrainConfig config;
  config.optimizer = fm::Optimizer::sgd;
  config.learning_rate = 0.05;
  config.momentum = 0.9;
  config.weight_decay = 1e-3;
  ag::Parameter<float> ours("W", normal(rng, 8, 9).cast<float>()), theirs = ours;
  ours.moment1 = ours.moment2 = Matrix<float>::Zero(8, 9);
  const ag::Sgd<float> sgd{0.05f, 0.9f, 1e-3f};
  for (long t = 1; t <= 4; ++t) {
    ours.grad = theirs.grad = normal(rng, 8, 9).cast<float>();
    fm::optimizer_step(config, {&ours}, t);
    sgd.step({&theirs});
  }
  EXPECT_ALLCLOSE(ours.value.cast<double>(), theirs.value.cast<double>(), 1e-6);
}

// ---- 3. Data, standardization, early stopping -------------------------------------------------

TEST(Data, StandardizationIsThePixelMeanAndSd) {
  mlc::Rng rng(8);
  const Eigen::MatrixXd X = rng.uniform_matrix(50, 20);
  const fm::Standardization st = fm::Standardization::fit(X);
  EXPECT_NEAR(st.mean, X.mean(), 1e-12);
  EXPECT_NEAR(st.sd, std::sqrt((X.array() - X.mean()).square().mean()), 1e-12);
  const Matrix<float> Z = st.apply(X);
  EXPECT_NEAR(Z.cast<double>().mean(), 0.0, 1e-6);
  EXPECT_NEAR(std::sqrt(Z.cast<double>().array().square().mean()), 1.0, 1e-6);
}

TEST(Data, StratifiedHoldoutKeepsTheClassProportions) {
  mlc::Rng label_rng(9);
  Eigen::VectorXi labels(1000);
  for (Index i = 0; i < 1000; ++i) labels(i) = i < 100 ? 0 : (i < 400 ? 1 : 2);  // 10 %, 30 %, 60 %
  mlc::Rng rng(10), again(10), other(11);
  const std::vector<Index> held = fm::stratified_holdout(labels, 55, rng);
  ASSERT_EQ(held.size(), 55u);
  EXPECT_TRUE(std::is_sorted(held.begin(), held.end()));
  EXPECT_EQ(std::adjacent_find(held.begin(), held.end()), held.end());  // distinct
  int count[3] = {0, 0, 0};
  for (Index i : held) ++count[labels(i)];
  // exact shares 5.5, 16.5, 33: largest remainders give 6 (ties to the smaller class), 16, 33
  EXPECT_EQ(count[0], 6);
  EXPECT_EQ(count[1], 16);
  EXPECT_EQ(count[2], 33);
  EXPECT_EQ(fm::stratified_holdout(labels, 55, again), held);
  EXPECT_NE(fm::stratified_holdout(labels, 55, other), held);
  mlc::Rng too_many(12);
  EXPECT_THROW(fm::stratified_holdout(labels, 998, too_many), std::invalid_argument);
}

TEST(Data, SplitsPartitionThePoolAndTrainingStatisticsOnly) {
  const fm::FashionData& d = tiny_data();
  EXPECT_EQ(d.train.X.rows(), 1024);
  EXPECT_EQ(d.validation.X.rows(), 500);
  EXPECT_EQ(d.test.X.rows(), 500);
  // The training rows, mapped back to pixels, have mean μ and sd σ of (1) exactly.
  const Eigen::MatrixXd train = d.train.X.cast<double>();
  EXPECT_NEAR(train.mean(), 0.0, 1e-5);
  EXPECT_NEAR(std::sqrt(train.array().square().mean()), 1.0, 1e-5);
  // The validation rows were not part of the fit: their mean is not exactly 0.
  EXPECT_GT(std::abs(d.validation.X.cast<double>().mean()), 1e-4);
  for (int c = 0; c < 10; ++c) {  // every class in the validation split, near its share
    const double share = static_cast<double>((d.validation.y.array() == c).count()) / 500.0;
    EXPECT_GT(share, 0.05) << "class " << c;
  }
}

TEST(EarlyStopping, KeepsTheBestEpochAndStopsAfterPatience) {
  fm::EarlyStopping acc{fm::Monitor::validation_accuracy, 2};
  const double values[] = {0.5, 0.7, 0.7, 0.6, 0.65};
  std::vector<int> best;
  int stop = 0;
  for (int e = 1; e <= 5 && stop == 0; ++e) {
    acc.update(e, values[e - 1]);
    best.push_back(acc.best_epoch);
    if (acc.should_stop(e)) stop = e;
  }
  EXPECT_EQ(best, (std::vector<int>{1, 2, 2, 2}));  // a tie is no improvement
  EXPECT_EQ(stop, 4);
  fm::EarlyStopping loss{fm::Monitor::validation_loss, 3};
  for (int e = 1; e <= 4; ++e) loss.update(e, std::vector<double>{1.0, 0.8, 0.9, 0.7}[e - 1]);
  EXPECT_EQ(loss.best_epoch, 4);
  EXPECT_DOUBLE_EQ(loss.best_value, 0.7);
}

// ---- 4. Training, threads, checkpoints ---------------------------------------------------

TEST(Training, LearnsAndKeepsTheBestEpoch) {
  const fm::TrainResult r = fm::train(tiny_config(), tiny_data());
  ASSERT_EQ(r.history.size(), 4u);
  EXPECT_TRUE(r.finished);
  EXPECT_LT(r.history.back().train_loss, r.history.front().train_loss);
  EXPECT_GT(r.history[static_cast<std::size_t>(r.best_epoch - 1)].validation_accuracy, 0.7);
  double best = 0.0;
  for (const auto& e : r.history) best = std::max(best, e.validation_accuracy);
  EXPECT_EQ(r.history[static_cast<std::size_t>(r.best_epoch - 1)].validation_accuracy, best);
  fm::Net best_net = r.best;  // the kept parameters give the best epoch's validation accuracy
  EXPECT_DOUBLE_EQ(
      fm::evaluate(best_net, tiny_data().validation.X, tiny_data().validation.y).accuracy, best);
  EXPECT_EQ(r.steps, 4 * (1024 / 128));
}

TEST(Training, OneAndTwoThreadsTrainTheSameBytes) {
  fm::TrainConfig c = tiny_config();
  c.max_epochs = 1;
  omp_set_num_threads(1);
  const fm::TrainResult one = fm::train(c, tiny_data());
  omp_set_num_threads(2);
  const fm::TrainResult two = fm::train(c, tiny_data());
  omp_set_num_threads(1);
  EXPECT_TRUE(same_parameters(one.last, two.last));
  EXPECT_EQ(history_values(one), history_values(two));
}

// A run stopped after k epochs and resumed ends with the bytes of a run never stopped.
TEST(Checkpoint, ResumedRunEqualsAStraightRun) {
  mlc::testing::TempDir straight_dir, killed_dir;
  const fm::TrainResult straight =
      fm::train(tiny_config(), tiny_data(), {.checkpoint_dir = straight_dir.path()});
  for (int k : {1, 3}) {
    fs::remove_all(killed_dir.path() / "run");
    const fs::path dir = killed_dir.path() / "run";
    const fm::TrainResult first =
        fm::train(tiny_config(), tiny_data(), {.checkpoint_dir = dir, .stop_after = k});
    EXPECT_FALSE(first.finished);
    ASSERT_EQ(first.history.size(), static_cast<std::size_t>(k));
    const fm::TrainResult resumed =
        fm::train(tiny_config(), tiny_data(), {.checkpoint_dir = dir, .resume = true});
    EXPECT_EQ(resumed.resumed_from_epoch, k);
    EXPECT_TRUE(resumed.finished);
    EXPECT_EQ(history_values(resumed), history_values(straight)) << "stopped after " << k;
    EXPECT_TRUE(same_parameters(resumed.last, straight.last)) << "stopped after " << k;
    EXPECT_TRUE(same_parameters(resumed.best, straight.best)) << "stopped after " << k;
    EXPECT_EQ(resumed.best_epoch, straight.best_epoch);
    EXPECT_EQ(resumed.steps, straight.steps);
  }
  // The best checkpoint holds the best parameters.
  const mlc::Checkpoint best = mlc::Checkpoint::load(straight_dir.path() / "best.ckpt");
  EXPECT_EQ(best.get_int("epoch"), straight.best_epoch);
  fm::Net loaded = straight.last;
  fm::get_net(best, "", loaded);
  EXPECT_TRUE(same_parameters(loaded, straight.best));
}

// The failure mode of the report: a resume that restores the weights only (fresh Adam
// moments and step count, the minibatch order replayed from the start) does not continue
// the same run.
TEST(Checkpoint, ResumingTheWeightsAloneDiverges) {
  mlc::testing::TempDir dir;
  const fm::TrainResult straight = fm::train(tiny_config(), tiny_data());
  fm::train(tiny_config(), tiny_data(), {.checkpoint_dir = dir.path(), .stop_after = 2});
  const fm::TrainResult naive =
      fm::train(tiny_config(), tiny_data(),
                {.checkpoint_dir = dir.path(), .resume = true, .restore_optimizer = false});
  EXPECT_FALSE(same_parameters(naive.last, straight.last));
  EXPECT_NE(history_values(naive), history_values(straight));
}

class DamagedCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    fm::TrainConfig c = tiny_config();
    c.max_epochs = 1;
    fm::train(c, tiny_data(), {.checkpoint_dir = dir.path()});
    file = dir.path() / "last.ckpt";
    bytes = mlc::read_text_file(file);
  }
  // The message of the DataError that resuming with `config` throws ("" if none).
  std::string resume_error(const fm::TrainConfig& config) {
    try {
      fm::train(config, tiny_data(), {.checkpoint_dir = dir.path(), .resume = true});
    } catch (const mlc::DataError& e) {
      return e.what();
    }
    return "";
  }
  mlc::testing::TempDir dir;
  fs::path file;
  std::string bytes;
};

TEST_F(DamagedCheckpoint, TruncatedFileIsADataErrorNamingIt) {
  mlc::write_file_atomically(file, bytes.substr(0, bytes.size() / 2));
  const std::string message = resume_error(tiny_config());
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
}

TEST_F(DamagedCheckpoint, CorruptByteIsADataErrorNamingIt) {
  std::string corrupt = bytes;
  corrupt[corrupt.size() - 7] ^= 0x20;  // a flipped bit in the payload: the CRC-32 catches it
  mlc::write_file_atomically(file, corrupt);
  const std::string message = resume_error(tiny_config());
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
}

TEST_F(DamagedCheckpoint, AnotherConfigIsADataErrorNamingIt) {
  fm::TrainConfig other = tiny_config();
  other.learning_rate = 2e-3;
  const std::string message = resume_error(other);
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_NE(message.find("learning_rate"), std::string::npos) << message;
}

// ---- 5. The cache of trained networks ------------------------------------------------------

TEST(Cache, SecondCallLoadsTheSameParametersAndAnotherConfigMisses) {
  mlc::testing::TempDir dir;
  fm::TrainConfig c = tiny_config();
  c.max_epochs = 1;
  const fm::TrainedMlp first = fm::trained_mlp(c, dir.path());
  EXPECT_FALSE(first.loaded_from_cache);
  EXPECT_TRUE(fs::exists(first.file));
  const fm::TrainedMlp second = fm::trained_mlp(c, dir.path());
  EXPECT_TRUE(second.loaded_from_cache);
  EXPECT_TRUE(same_parameters(first.net, second.net));
  EXPECT_EQ(first.standardization.mean, second.standardization.mean);
  EXPECT_EQ(first.test_accuracy, second.test_accuracy);
  fm::TrainConfig other = c;
  other.seed = 4;
  const fm::TrainedMlp third = fm::trained_mlp(other, dir.path());
  EXPECT_FALSE(third.loaded_from_cache);
  EXPECT_NE(third.file, first.file);
  EXPECT_FALSE(same_parameters(first.net, third.net));
}

// ---- 6. Failure modes and the program ------------------------------------------------------

// Trained on past its fifth epoch on 1 024 images, the network overfits: the training loss
// keeps falling (more than halved) while the validation loss improves by less than 5 % and
// ends at more than three times the training loss.
TEST(FailureModes, TrainingPastTheBestEpochOverfits) {
  fm::TrainConfig c = tiny_config();
  c.hidden = {256};
  c.max_epochs = 14;
  c.patience = 14;
  const fm::TrainResult r = fm::train(c, tiny_data());
  double later_min = 1e9;
  for (std::size_t e = 5; e < r.history.size(); ++e)
    later_min = std::min(later_min, r.history[e].validation_loss);
  EXPECT_LT(r.history.back().train_loss, 0.5 * r.history[4].train_loss);
  EXPECT_GT(later_min, 0.95 * r.history[4].validation_loss);
  EXPECT_GT(r.history.back().validation_loss, 3.0 * r.history.back().train_loss);
}

TEST(FailureModes, AdamWithTooLargeAStepLearnsWorse) {
  fm::TrainConfig good = tiny_config(), bad = tiny_config();
  bad.learning_rate = 0.05;
  const fm::TrainResult g = fm::train(good, tiny_data()), b = fm::train(bad, tiny_data());
  EXPECT_LT(b.history.back().validation_accuracy + 0.05, g.history.back().validation_accuracy);
}

TEST(Program, QuickRunWritesTheNamedMetrics) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_GT(m.at("test_accuracy"), 0.6);
  EXPECT_LE(m.at("test_accuracy"), 1.0);
  const auto json = nlohmann::json::parse(mlc::read_text_file(dir.path() / "metrics.json"));
  EXPECT_GT(json.at("timing").at("epoch_seconds").get<double>(), 0.0);
  EXPECT_EQ(m.at("resume.max_abs_parameter_difference"), 0.0);
}

// --resume on a damaged checkpoint: exit 2 with the file named.
TEST(Program, ResumeFromATruncatedCheckpointExitsTwoNamingTheFile) {
  mlc::testing::TempDir dir;
  ASSERT_EQ(mlc::testing::run_lesson({"--quick", "--out", dir.str()}).exit_code, 0);
  const fs::path file = dir.path() / "checkpoints" / "adam" / "last.ckpt";
  ASSERT_TRUE(fs::exists(file));
  const std::string bytes = mlc::read_text_file(file);
  mlc::write_file_atomically(file, bytes.substr(0, 100));
  const auto run = mlc::testing::run_lesson({"--quick", "--resume", "--out", dir.str()});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find(file.string()), std::string::npos) << run.output;
}

}  // namespace
