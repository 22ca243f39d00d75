// 3.5 convolutional_networks: the grade. Hand-computed convolutions and im2col; every op
// against central differences in double (3.4's harness); the fast op against the direct one
// and both against the same layers built from engine ops; thread-count invariance; shift
// equivariance (11); LeNet-5's parameter count; the schedule (12); checkpoint and resume; and
// the program in --quick with the failure modes of its report.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <omp.h>

#include "cnn.hpp"
#include "convolutional_networks.hpp"
#include "mlc/error.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "op_checks.hpp"

namespace ag = autograd;
namespace cn = convolutional_networks;
using ag::Index;
using ag::Matrix;
using ag::Parameter;
using ag::Tape;
using ag::Var;

namespace {

Matrix<double> random_matrix(mlc::Rng& rng, Index rows, Index cols) {
  Matrix<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}

// ---- 1. Hand-computed cases ----------------------------------------------------------------

TEST(Im2col, MatchesHandComputedPatches) {
  // x = [1 2 3; 4 5 6; 7 8 9], k = 2, s = 1, p = 0: four 2×2 patches, one per column.
  const cn::Conv2d g{.in_channels = 1, .height = 3, .width = 3, .kernel = 2};
  const double x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  Matrix<double> cols(4, 4);
  cn::im2col<double>(x, g, cols);
  Matrix<double> expected(4, 4);
  expected << 1, 2, 4, 5,  // tap (0, 0) at the four output positions
      2, 3, 5, 6,          // tap (0, 1)
      4, 5, 7, 8,          // tap (1, 0)
      5, 6, 8, 9;          // tap (1, 1)
  EXPECT_EQ(cols, expected);
}

TEST(Im2col, PaddingReadsZeros) {
  const cn::Conv2d g{.in_channels = 1, .height = 2, .width = 2, .kernel = 3, .padding = 1};
  const double x[4] = {1, 2, 3, 4};
  Matrix<double> cols(9, 4);
  cn::im2col<double>(x, g, cols);
  // The centre tap reads the image itself; the corner tap (0, 0) reads x only at output (1, 1).
  EXPECT_EQ(cols.row(4), (Matrix<double>(1, 4) << 1, 2, 3, 4).finished());
  EXPECT_EQ(cols.row(0), (Matrix<double>(1, 4) << 0, 0, 0, 1).finished());
}

TEST(Conv2d, DiagonalDifferenceKernelByHand) {
  // Kernel [1 0; 0 −1] on x(i, j) = 3i + j + 1: y = x(i, j) − x(i+1, j+1) = −4 everywhere, + b.
  const cn::Conv2d g{.in_channels = 1, .height = 3, .width = 3, .kernel = 2};
  Parameter<double> x("x", (Matrix<double>(1, 9) << 1, 2, 3, 4, 5, 6, 7, 8, 9).finished());
  Parameter<double> w("W", (Matrix<double>(1, 4) << 1, 0, 0, -1).finished());
  Parameter<double> b("b", Matrix<double>::Constant(1, 1, 0.5));
  for (auto op : {cn::conv2d<double>, cn::conv2d_direct<double>}) {
    Tape<double> tape;
    const Var<double> y = op(tape.param(x), tape.param(w), tape.param(b), g);
    EXPECT_EQ(y.value(), Matrix<double>::Constant(1, 4, -3.5));
  }
}

TEST(Conv2d, OutputSizeFollowsStrideAndPadding) {
  const cn::Conv2d g{.in_channels = 1, .height = 28, .width = 28, .kernel = 5, .padding = 2};
  EXPECT_EQ(g.out_height(), 28);
  const cn::Conv2d h{.in_channels = 1, .height = 7, .width = 8, .kernel = 3, .stride = 2};
  EXPECT_EQ(h.out_height(), 3);
  EXPECT_EQ(h.out_width(), 3);
}

TEST(MaxPool, PicksTheMaximumAndTheFirstOnATie) {
  const cn::Pool2d g{.channels = 1, .height = 2, .width = 4};
  Parameter<double> x("x", (Matrix<double>(1, 8) << 1, 7, 2, 2, 3, 5, 2, 2).finished());
  Tape<double> tape;
  const Var<double> y = cn::max_pool2d(tape.param(x), g);
  EXPECT_EQ(y.value(), (Matrix<double>(1, 2) << 7, 2).finished());
  tape.backward(y, (Matrix<double>(1, 2) << 10, 20).finished());
  EXPECT_EQ(x.grad, (Matrix<double>(1, 8) << 0, 10, 20, 0, 0, 0, 0, 0).finished());
}

TEST(Conv2d, RejectsMismatchedShapes) {
  const cn::Conv2d g{.in_channels = 2, .height = 5, .width = 5, .out_channels = 3, .kernel = 3};
  Tape<double> tape;
  const Var<double> x = tape.input(Matrix<double>::Zero(2, 50));
  const Var<double> w_bad = tape.input(Matrix<double>::Zero(3, 9));  // needs 3 × 18
  const Var<double> b = tape.input(Matrix<double>::Zero(1, 3));
  EXPECT_THROW(cn::conv2d(x, w_bad, b, g), std::invalid_argument);
  EXPECT_THROW(cn::conv2d_direct(x, w_bad, b, g), std::invalid_argument);
  cn::Conv2d too_big = g;
  too_big.kernel = 7;
  EXPECT_THROW(too_big.check(), std::invalid_argument);
}

// ---- 2. Every op against central differences ----------------------------------------------

TEST(GradientCheck, EveryConvAndPoolCaseInDouble) {
  mlc::Rng rng(5);
  for (const ag::OpCase& op : cn::conv_op_cases(rng)) {
    const ag::OpCheck c = ag::check_op(op, 17);
    EXPECT_LT(c.relative_error, 1e-7) << op.name;
    EXPECT_GT(c.entries, 0) << op.name;
  }
}

TEST(GradientCheck, CatchesAnOffByOneCol2im) {
  // The same check fails a backward whose col2im is shifted by one pixel: not a weak check.
  const cn::Conv2d g{
      .in_channels = 1, .height = 5, .width = 5, .out_channels = 2, .kernel = 3, .padding = 1};
  mlc::Rng rng(3);
  const Matrix<double> dcols = random_matrix(rng, g.patch(), g.positions());
  std::vector<double> right(25, 0.0), shifted(26, 0.0);
  cn::col2im_add<double>(dcols, g, right.data());
  cn::col2im_add<double>(dcols, g, shifted.data() + 1);
  double diff = 0.0;
  for (int i = 0; i < 25; ++i) diff += std::abs(right[i] - shifted[i]);
  EXPECT_GT(diff, 1e-3);
}

// ---- 3. Fast against direct against engine ops ---------------------------------------------

struct ConvRun {
  Matrix<double> y, dx, dw, db;
};
template <class Op>
ConvRun run_conv(Op op, const cn::Conv2d& g, const Matrix<double>& X, const Matrix<double>& W,
                 const Matrix<double>& B, const Matrix<double>& R) {
  Parameter<double> x("x", X), w("W", W), b("b", B);
  Tape<double> tape;
  const Var<double> y = op(tape.param(x), tape.param(w), tape.param(b), g);
  tape.backward(y, R);
  return {y.value(), x.grad, w.grad, b.grad};
}

TEST(Conv2d, Im2colAgreesWithDirectForwardAndBackward) {
  mlc::Rng rng(11);
  const cn::Conv2d geometries[] = {
      {.in_channels = 3, .height = 9, .width = 7, .out_channels = 4, .kernel = 3, .padding = 1},
      {.in_channels = 2, .height = 9, .width = 9, .out_channels = 3, .kernel = 3, .stride = 2},
      {.in_channels = 1,
       .height = 8,
       .width = 8,
       .out_channels = 2,
       .kernel = 5,
       .stride = 3,
       .padding = 2},
      {.in_channels = 4, .height = 5, .width = 5, .out_channels = 2, .kernel = 1}};
  for (const cn::Conv2d& g : geometries) {
    const Index N = 11;  // two groups of the weight-gradient reduction, the second partial
    const Matrix<double> X = random_matrix(rng, N, g.in_size()),
                         W = random_matrix(rng, g.out_channels, g.patch()),
                         B = random_matrix(rng, 1, g.out_channels),
                         R = random_matrix(rng, N, g.out_size());
    const ConvRun fast = run_conv(cn::conv2d<double>, g, X, W, B, R);
    const ConvRun direct = run_conv(cn::conv2d_direct<double>, g, X, W, B, R);
    EXPECT_LT((fast.y - direct.y).norm(), 1e-12 * direct.y.norm());
    EXPECT_LT((fast.dx - direct.dx).norm(), 1e-12 * direct.dx.norm());
    EXPECT_LT((fast.dw - direct.dw).norm(), 1e-12 * direct.dw.norm());
    EXPECT_LT((fast.db - direct.db).norm(), 1e-12 * direct.db.norm());
  }
}

TEST(Conv2d, AgreesWithTheSameConvolutionBuiltFromEngineOps) {
  mlc::Rng rng(13);
  const cn::Conv2d g{.in_channels = 2,
                     .height = 6,
                     .width = 5,
                     .out_channels = 3,
                     .kernel = 3,
                     .stride = 2,
                     .padding = 1};
  const Index N = 3;
  const Matrix<double> X = random_matrix(rng, N, g.in_size()), W = random_matrix(rng, 3, g.patch()),
                       B = random_matrix(rng, 1, 3), R = random_matrix(rng, N, g.out_size());
  const ConvRun fast = run_conv(cn::conv2d<double>, g, X, W, B, R);
  // The engine version works in NHWC; convert the inputs, the adjoint and the results.
  Parameter<double> table("table", cn::to_nhwc_table(X, 2, 6, 5));
  Parameter<double> w("W", cn::to_hwio(W, 2, 3)), b("b", B);
  Tape<double> tape;
  const Var<double> y =
      cn::conv2d_from_engine_ops(tape.param(table), tape.param(w), tape.param(b), g, N);
  const Index P = g.positions();
  Matrix<double> R_nhwc(N * P, 3);
  for (Index n = 0; n < N; ++n)
    for (Index o = 0; o < 3; ++o)
      for (Index q = 0; q < P; ++q) R_nhwc(n * P + q, o) = R(n, o * P + q);
  tape.backward(y, R_nhwc);
  const Matrix<double> y_nchw = cn::nhwc_to_nchw(y.value(), N, 3, g.out_height(), g.out_width());
  const Matrix<double> dx_nchw =
      cn::nhwc_to_nchw(table.grad.topRows(N * 30), N, 2, 6, 5);  // the zero row dropped
  EXPECT_LT((fast.y - y_nchw).norm(), 1e-12 * fast.y.norm());
  EXPECT_LT((fast.dx - dx_nchw).norm(), 1e-12 * fast.dx.norm());
  EXPECT_LT((fast.dw - cn::from_hwio(w.grad, 2, 3)).norm(), 1e-12 * fast.dw.norm());
  EXPECT_LT((fast.db - b.grad).norm(), 1e-12 * fast.db.norm());
}

TEST(MaxPool, AgreesWithTheSamePoolBuiltFromEngineOps) {
  mlc::Rng rng(17);
  const cn::Pool2d g{.channels = 2, .height = 6, .width = 6};
  const Index N = 2, P = g.out_height() * g.out_width();
  const Matrix<double> X = random_matrix(rng, N, g.in_size()),
                       R = random_matrix(rng, N, g.out_size());
  Parameter<double> x("x", X);
  Tape<double> tape;
  const Var<double> y = cn::max_pool2d(tape.param(x), g);
  tape.backward(y, R);
  Parameter<double> table("table", cn::to_nhwc_table(X, 2, 6, 6));
  Tape<double> tape2;
  const Var<double> y2 = cn::max_pool2d_from_engine_ops(tape2.param(table), g, N);
  Matrix<double> R_nhwc(N * P, 2);
  for (Index n = 0; n < N; ++n)
    for (Index c = 0; c < 2; ++c)
      for (Index q = 0; q < P; ++q) R_nhwc(n * P + q, c) = R(n, c * P + q);
  tape2.backward(y2, R_nhwc);
  EXPECT_LT((y.value() - cn::nhwc_to_nchw(y2.value(), N, 2, 3, 3)).norm(), 1e-14);
  EXPECT_LT((x.grad - cn::nhwc_to_nchw(table.grad.topRows(N * 36), N, 2, 6, 6)).norm(), 1e-12);
}

// ---- 4. Properties ---------------------------------------------------------------------------

TEST(Conv2d, ResultsDoNotDependOnTheThreadCount) {
  mlc::Rng rng(19);
  const cn::Conv2d g{.in_channels = 6, .height = 14, .width = 14, .out_channels = 16, .kernel = 5};
  const Index N = 37;
  Parameter<float> x("x", random_matrix(rng, N, g.in_size()).cast<float>());
  Parameter<float> w("W", random_matrix(rng, 16, g.patch()).cast<float>());
  Parameter<float> b("b", random_matrix(rng, 1, 16).cast<float>());
  const Matrix<float> R = random_matrix(rng, N, g.out_size()).cast<float>();
  std::vector<Matrix<float>> results[2];
  for (int t = 0; t < 2; ++t) {
    omp_set_num_threads(t + 1);
    ag::zero_grad({&x, &w, &b});
    Tape<float> tape;
    const Var<float> y =
        cn::max_pool2d(ag::relu(cn::conv2d(tape.param(x), tape.param(w), tape.param(b), g)),
                       cn::Pool2d{.channels = 16, .height = 10, .width = 10});
    tape.backward(y, R.leftCols(y.cols()));
    results[t] = {y.value(), x.grad, w.grad, b.grad};
  }
  omp_set_num_threads(1);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(results[0][i], results[1][i]) << i;  // bitwise
}

TEST(Conv2d, CommutesWithShifts) {
  // (11) conv(shift(x)) = shift(conv(x)) away from the border (stride 1).
  mlc::Rng rng(23);
  const cn::Conv2d g{
      .in_channels = 1, .height = 12, .width = 12, .out_channels = 2, .kernel = 3, .padding = 1};
  Matrix<float> X = Matrix<float>::Zero(1, 144);
  for (Index y = 3; y < 7; ++y)
    for (Index x = 3; x < 7; ++x) X(0, y * 12 + x) = static_cast<float>(rng.normal());
  const Matrix<float> W = random_matrix(rng, 2, 9).cast<float>();
  auto conv = [&](const Matrix<float>& in) {
    Tape<float> tape;
    return Matrix<float>(
        cn::conv2d(tape.input(in), tape.input(W), tape.input(Matrix<float>::Zero(1, 2)), g)
            .value());
  };
  const Matrix<float> shifted_output = cn::shift_images(conv(X), 2, 12, 12, 3, 2);
  const Matrix<float> output_of_shifted = conv(cn::shift_images(X, 1, 12, 12, 3, 2));
  EXPECT_LT((shifted_output - output_of_shifted).cwiseAbs().maxCoeff(), 1e-6f);
}

TEST(Cnn, LeNet5HasItsParameterCountAndShapes) {
  mlc::Rng rng(29);
  auto net = cn::make_cnn<float>(cn::lenet5(), rng);
  // 6·(25 + 1) + 16·(150 + 1) + (400·120 + 120) + (120·84 + 84) + (84·10 + 10)
  EXPECT_EQ(net.num_parameters(), 61706);
  EXPECT_EQ(net.convs[1].in_size(), 6 * 14 * 14);
  EXPECT_EQ(net.pools[1].out_size(), 400);
  Tape<float> tape;
  const Var<float> z = net.logits(tape, tape.input(Matrix<float>::Zero(3, 784)));
  EXPECT_EQ(z.rows(), 3);
  EXPECT_EQ(z.cols(), 10);
}

TEST(Schedule, WarmsUpLinearlyThenDecaysAlongACosine) {
  const cn::Schedule s{.peak = 1.0, .warmup_steps = 10, .total_steps = 110, .final_fraction = 0.0};
  EXPECT_DOUBLE_EQ(s.learning_rate(0), 0.1);
  EXPECT_DOUBLE_EQ(s.learning_rate(9), 1.0);
  EXPECT_DOUBLE_EQ(s.learning_rate(10), 1.0);
  EXPECT_NEAR(s.learning_rate(60), 0.5, 1e-12);  // half-way: (1 + cos(π/2)) / 2
  EXPECT_NEAR(s.learning_rate(110), 0.0, 1e-12);
  for (long t = 10; t < 110; ++t) EXPECT_LE(s.learning_rate(t + 1), s.learning_rate(t));
}

// ---- 5. Training, checkpoint and resume -----------------------------------------------------

// A tiny task: 8 × 8 images, the class is which quadrant holds a bright square.
cn::Split quadrants(std::uint64_t seed, Index n) {
  mlc::Rng rng(seed);
  cn::Split s{Matrix<float>::Zero(n, 64), Eigen::VectorXi(n)};
  for (Index i = 0; i < n; ++i) {
    const int q = static_cast<int>(rng.index(4));
    s.y(i) = q;
    const Index oy = (q / 2) * 4 + rng.index(2), ox = (q % 2) * 4 + rng.index(2);
    for (Index y = 0; y < 2; ++y)
      for (Index x = 0; x < 2; ++x) s.X(i, (oy + y) * 8 + ox + x) = 1.0f;
    for (Index p = 0; p < 64; ++p) s.X(i, p) += static_cast<float>(0.1 * rng.normal());
  }
  return s;
}
cn::CnnConfig tiny() {
  return {.name = "tiny",
          .height = 8,
          .width = 8,
          .blocks = {{.channels = 4, .kernel = 3, .padding = 1}},
          .hidden = {16},
          .classes = 4,
          .dropout = 0.2};
}

TEST(Training, LearnsTheQuadrantTask) {
  const cn::Split train = quadrants(1, 512), val = quadrants(2, 128);
  mlc::Rng rng(31);
  auto net = cn::make_cnn<float>(tiny(), rng);
  const auto r = cn::train(
      net, train, val, val,
      {.epochs = 4, .batch_size = 32, .learning_rate = 1e-2, .seed = 5, .progress = false});
  EXPECT_GT(r.epochs.back().val_accuracy, 0.95);
  EXPECT_LT(r.epochs.back().train_loss, r.epochs.front().train_loss);
}

TEST(Training, ResumedRunEqualsTheUninterruptedOneBitForBit) {
  const cn::Split train = quadrants(3, 256), val = quadrants(4, 64);
  const auto dir = std::filesystem::temp_directory_path() / "mlc_cnn_resume_test";
  std::filesystem::create_directories(dir);
  cn::TrainConfig config{.epochs = 3,
                         .batch_size = 32,
                         .learning_rate = 5e-3,
                         .warmup_epochs = 0.5,
                         .cosine = true,
                         .seed = 9,
                         .checkpoint = dir / "straight.bin",
                         .progress = false};
  mlc::Rng r1(37), r2(37), r3(41);
  auto straight = cn::make_cnn<float>(tiny(), r1);
  const auto ra = cn::train(straight, train, val, val, config);
  // The same run killed after epoch 2, then resumed by a fresh process whose network starts
  // from other weights: everything must come from the checkpoint.
  config.checkpoint = dir / "killed.bin";
  config.stop_after_epochs = 2;
  auto killed = cn::make_cnn<float>(tiny(), r2);
  cn::train(killed, train, val, val, config);
  config.stop_after_epochs = 0;
  config.resume = true;
  auto resumed = cn::make_cnn<float>(tiny(), r3);
  const auto rb = cn::train(resumed, train, val, val, config);
  EXPECT_EQ(rb.resumed_after, 2);
  ASSERT_EQ(rb.epochs.size(), 3u);
  for (std::size_t i = 0; i < straight.params.size(); ++i) {
    EXPECT_EQ(straight.params[i].value, resumed.params[i].value) << i;
  }
  EXPECT_EQ(ra.epochs.back().val_accuracy, rb.epochs.back().val_accuracy);
  EXPECT_EQ(ra.epochs.back().train_loss, rb.epochs.back().train_loss);
  // Another configuration's checkpoint is a DataError (the fingerprint), and so is a damaged
  // file (the CRC).
  config.learning_rate = 1e-3;
  auto other = cn::make_cnn<float>(tiny(), r3);
  EXPECT_THROW(cn::train(other, train, val, val, config), mlc::DataError);
  config.learning_rate = 5e-3;
  {
    std::fstream f(dir / "killed.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x5a');
  }
  EXPECT_THROW(cn::train(other, train, val, val, config), mlc::DataError);
  std::filesystem::remove_all(dir);
}

// ---- 6. The program ---------------------------------------------------------------------------

TEST(Program, QuickRunReportsChecksAndFailureModes) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.path().string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_LT(m.at("gradcheck.max_relative_error"), 1e-7);
  EXPECT_LT(m.at("conv.im2col_vs_direct_relative_difference"), 1e-5);
  EXPECT_GT(m.at("test_accuracy"), 0.3);  // chance is 0.1; --quick trains 16 steps
  EXPECT_EQ(m.at("lenet5.parameters"), 61706);
  EXPECT_LT(m.at("rotation.cnn_accuracy_at_90"), m.at("test_accuracy"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "checkpoint_cnn.bin"));
}

}  // namespace
