// 3.4 autograd: the grade. Every op against central differences (in double, through the
// same templated code that trains in float); the engine against independent references
// (Eigen's product, 2.4's softmax-regression gradient, 3.1's hand-written backward, closed
// forms of the optimizers); the tape's mechanics (topological sweep, accumulation, reuse,
// stale handles); the steady state allocating nothing (counted, not assumed); and both
// failure modes of the report.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "alloc_counter.hpp"
#include "autograd.hpp"
#include "logistic_regression.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "mlp.hpp"
#include "mlp_backprop.hpp"
#include "op_checks.hpp"

namespace ag = autograd;
using ag::Index;
using ag::Matrix;
using ag::Parameter;
using ag::Tape;
using ag::Var;

namespace {

template <class T>
Matrix<T> random_matrix(mlc::Rng& rng, Index rows, Index cols) {
  Matrix<T> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>(rng.normal());
  return m;
}

// ---- 1. GEMM with the tape's packing buffers = Eigen's product ------------------------------

template <class T>
void expect_gemm_matches_eigen(Index m, Index n, Index k, double tolerance) {
  mlc::Rng rng(1);
  ag::GemmWorkspace<T> ws;
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      const Matrix<T> A = random_matrix<T>(rng, ta ? k : m, ta ? m : k);
      const Matrix<T> B = random_matrix<T>(rng, tb ? n : k, tb ? k : n);
      Matrix<T> C = random_matrix<T>(rng, m, n);
      const Matrix<T> C0 = C;
      const T alpha = T(0.5), beta = T(2);
      Matrix<T> opA = ta ? Matrix<T>(A.transpose()) : A, opB = tb ? Matrix<T>(B.transpose()) : B;
      const Matrix<T> expected = beta * C0 + alpha * (opA * opB);
      ag::gemm<T>(ws, A, ta == 1, B, tb == 1, C, alpha, beta);
      const double scale = 1.0 + expected.cwiseAbs().maxCoeff();
      EXPECT_ALLCLOSE(C.template cast<double>() / scale, expected.template cast<double>() / scale,
                      tolerance)
          << "transpose_a " << ta << " transpose_b " << tb << " sizes " << m << " " << n << " "
          << k;
    }
  }
}

TEST(Gemm, MatchesEigensProductForEveryTransposeCombination) {
  expect_gemm_matches_eigen<double>(3, 2, 4, 1e-14);
  expect_gemm_matches_eigen<double>(150, 90, 300, 1e-13);  // panels above 128 KiB: blocked
  expect_gemm_matches_eigen<float>(150, 90, 300, 1e-5);
  expect_gemm_matches_eigen<float>(1, 7, 1, 1e-6);
}

TEST(Gemm, RejectsMismatchedShapes) {
  ag::GemmWorkspace<double> ws;
  Matrix<double> A(3, 4), B(5, 2), C(3, 2);
  EXPECT_THROW(ag::gemm<double>(ws, A, false, B, false, C, 1.0, 0.0), std::invalid_argument);
}

// ---- 2. Every op against central differences ------------------------------------------------

const std::vector<ag::OpCase>& cases() {
  static const std::vector<ag::OpCase> all = [] {
    mlc::Rng rng(2024);
    return ag::op_cases(rng);
  }();
  return all;
}

class OpGradient : public ::testing::TestWithParam<int> {};

TEST_P(OpGradient, MatchesCentralDifferencesInDouble) {
  const ag::OpCase& op = cases()[static_cast<std::size_t>(GetParam())];
  const ag::OpCheck check = ag::check_op(op, 99);
  // Central differences with h = 1e-6 agree with a correct gradient to about 1e-9 (the
  // truncation and rounding bounds of 1.3); a wrong derivative gives ≳ 1e-3.
  EXPECT_LT(check.relative_error, 1e-7) << op.name;
  EXPECT_GT(check.entries, 0);
}

std::string case_name(const ::testing::TestParamInfo<int>& info) {
  std::string name;
  for (char ch : cases()[static_cast<std::size_t>(info.param)].name) {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      name += ch;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return std::to_string(info.param) + "_" + name.substr(0, 40);
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OpGradient, ::testing::Range(0, static_cast<int>(cases().size())),
                         case_name);

TEST(OpGradient, FloatChecksAreTooCoarseToCatchSmallErrors) {
  // The same check in float: rounding at ε_f ≈ 6e-8 limits central differences to about
  // ε_f^(2/3) ≈ 1e-5 at best, so float checks cannot separate a correct gradient from one
  // wrong by 0.1 %. Hence the checks run in double.
  for (const auto& op : cases()) {
    if (op.name != "tanh") continue;
    const double float_error = ag::check_op_float(op, 99).relative_error;
    const double double_error = ag::check_op(op, 99).relative_error;
    EXPECT_GT(float_error, 1e-6);
    EXPECT_LT(double_error * 1000, float_error);
  }
}

// ---- 3. Independent references --------------------------------------------------------------

TEST(Reference, SoftmaxRegressionGradientMatchesLessonTwoFour) {
  // A linear layer with cross-entropy is 2.4's softmax regression: its gradient (8) with
  // λ = 0 is X̃ᵀ (P − Y) / n with Θ = [W; bᵀ].
  mlc::Rng rng(3);
  const Eigen::MatrixXd X = rng.normal_matrix(20, 4);
  Eigen::VectorXi y(20);
  for (Index i = 0; i < 20; ++i) y(i) = static_cast<int>(rng.index(3));
  const Eigen::MatrixXd W = rng.normal_matrix(4, 3);
  const Eigen::VectorXd b = rng.normal_vector(3);
  Eigen::MatrixXd theta(5, 3);
  theta << W, b.transpose();
  const Eigen::MatrixXd expected =
      logistic_regression::softmax_cross_entropy_gradient(X, y, theta, 0.0);

  Parameter<double> pW("W", W), pb("b", b.transpose());
  Tape<double> tape;
  const Var<double> loss =
      ag::cross_entropy(ag::add(ag::matmul(tape.input(X), tape.param(pW)), tape.param(pb)), y);
  tape.backward(loss);
  EXPECT_NEAR(loss.item(), logistic_regression::softmax_loss(X, y, theta, 0.0), 1e-14);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(pW.grad), Eigen::MatrixXd(expected.topRows(4)), 1e-15);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(pb.grad), Eigen::MatrixXd(expected.bottomRows(1)), 1e-15);
}

TEST(Reference, SoftmaxIsStableForHugeLogits) {
  Tape<double> tape;
  Matrix<double> z(2, 3);
  z << 1000, 1001, 1002, -1000, -1001, -1002;
  Matrix<double> shifted(2, 3);
  shifted << 0, 1, 2, 0, -1, -2;
  const Var<double> p = ag::softmax(tape.input(z)), q = ag::softmax(tape.input(shifted));
  const Var<double> lp = ag::log_softmax(tape.input(z));
  EXPECT_TRUE(p.value().allFinite());
  EXPECT_TRUE(lp.value().allFinite());
  EXPECT_ALLCLOSE(Eigen::MatrixXd(p.value()), Eigen::MatrixXd(q.value()), 1e-15);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(lp.value().array().exp().matrix()), Eigen::MatrixXd(q.value()),
                  1e-15);
}

TEST(Reference, CrossEntropyIsMinusTheMeanLogSoftmaxAtTheLabels) {
  mlc::Rng rng(4);
  const Matrix<double> z = random_matrix<double>(rng, 5, 4) * 3.0;
  Eigen::VectorXi y(5);
  y << 3, 0, 0, 2, 1;
  Tape<double> tape;
  const Var<double> ls = ag::log_softmax(tape.input(z));
  double expected = 0.0;
  for (Index i = 0; i < 5; ++i) expected -= ls.value()(i, y(i)) / 5.0;
  EXPECT_NEAR(ag::cross_entropy(tape.input(z), y).item(), expected, 1e-15);
}

TEST(Reference, LayerNormRowsHaveZeroMeanAndUnitVariance) {
  mlc::Rng rng(5);
  Tape<double> tape;
  const Matrix<double> x = random_matrix<double>(rng, 6, 8) * 4.0;
  const Var<double> y = ag::layer_norm(tape.input(x), tape.input(Matrix<double>::Ones(1, 8)),
                                       tape.input(Matrix<double>::Zero(1, 8)), 0.0);
  for (Index i = 0; i < 6; ++i) {
    EXPECT_NEAR(y.value().row(i).mean(), 0.0, 1e-14);
    EXPECT_NEAR(y.value().row(i).squaredNorm() / 8.0, 1.0, 1e-13);
  }
}

TEST(Reference, GeluIsTheTanhApproximation) {
  // ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))) at a few points, and within 1e-3 of the exact
  // x Φ(x) (Hendrycks & Gimpel 2016).
  Tape<double> tape;
  Matrix<double> x(1, 5);
  x << -3.0, -1.0, 0.0, 0.5, 2.0;
  const Var<double> y = ag::gelu(tape.input(x));
  for (Index j = 0; j < 5; ++j) {
    const double v = x(0, j);
    EXPECT_NEAR(y.value()(0, j),
                0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))), 1e-15);
    EXPECT_NEAR(y.value()(0, j), v * 0.5 * std::erfc(-v / std::sqrt(2.0)), 1e-3);
  }
}

TEST(Reference, CausalSoftmaxPutsNoWeightOnTheFuture) {
  mlc::Rng rng(6);
  Tape<double> tape;
  const Var<double> p =
      ag::softmax(ag::causal_mask(tape.input(random_matrix<double>(rng, 2 * 4, 4)), 2));
  for (Index r = 0; r < 8; ++r) {
    const Index t = r % 4;
    EXPECT_NEAR(p.value().row(r).sum(), 1.0, 1e-15);
    for (Index s = t + 1; s < 4; ++s) EXPECT_EQ(p.value()(r, s), 0.0);
  }
  EXPECT_EQ(p.value()(4, 0), 1.0);  // the first step of each sequence sees only itself
}

TEST(Reference, EmbeddingScatterAddsRepeatedIndices) {
  Parameter<double> table("E", Matrix<double>::Zero(4, 2));
  Tape<double> tape;
  Eigen::VectorXi idx(3);
  idx << 2, 2, 0;
  const Var<double> y = ag::embedding(tape.param(table), idx);
  Matrix<double> seed(3, 2);
  seed << 1, 2, 10, 20, 100, 200;
  tape.backward(y, seed);
  EXPECT_EQ(table.grad(2, 0), 11.0);
  EXPECT_EQ(table.grad(2, 1), 22.0);
  EXPECT_EQ(table.grad(0, 1), 200.0);
  EXPECT_EQ(table.grad.row(1).squaredNorm(), 0.0);
}

TEST(Reference, DropoutKeepsTheMeanAndReproducesItsMask) {
  Tape<double> tape;
  const Matrix<double> ones = Matrix<double>::Ones(200, 100);
  mlc::Rng rng_a = mlc::Rng(7).derive(1), rng_b = mlc::Rng(7).derive(1);
  const Var<double> a = ag::dropout(tape.input(ones), 0.25, rng_a);
  const Var<double> b = ag::dropout(tape.input(ones), 0.25, rng_b);
  const double dropped = (a.value().array() == 0.0).cast<double>().mean();
  // 20 000 Bernoulli(0.25) draws: standard error 0.0031; 5 standard errors.
  EXPECT_NEAR(dropped, 0.25, 5 * 0.0031);
  EXPECT_NEAR(a.value().mean(), 1.0, 5 * 0.0031 / 0.75);
  EXPECT_EQ(a.value(), b.value());
  const Var<double> x = tape.input(ones);
  EXPECT_EQ(ag::dropout(x, 0.0, rng_a).id(), x.id());  // p = 0 is the identity
  EXPECT_THROW(ag::dropout(x, 1.0, rng_a), std::invalid_argument);
}

// ---- 4. The tape ----------------------------------------------------------------------------

TEST(Tape, ANodeUsedTwiceAddsBothContributions) {
  Parameter<double> x("x", Matrix<double>::Constant(2, 3, 1.5));
  Tape<double> tape;
  const Var<double> v = tape.param(x);
  tape.backward(ag::sum(ag::mul(v, v)));  // d/dx Σ x² = 2x: two paths through mul
  EXPECT_ALLCLOSE(Eigen::MatrixXd(x.grad), Eigen::MatrixXd::Constant(2, 3, 3.0), 0.0);
  ag::zero_grad({&x});
  tape.reset();
  const Var<double> w = tape.param(x);
  tape.backward(ag::sum(ag::add(ag::tanh(w), ag::tanh(w))));
  EXPECT_ALLCLOSE(Eigen::MatrixXd(x.grad),
                  Eigen::MatrixXd::Constant(2, 3, 2 * (1 - std::pow(std::tanh(1.5), 2))), 1e-15);
}

TEST(Tape, BackwardVisitsOnlyTheAncestorsOfTheLoss) {
  Parameter<double> x("x", Matrix<double>::Zero(1, 2));
  Tape<double> tape;
  const Var<double> v = tape.param(x);
  const Var<double> side = ag::log(v);  // log 0 = −∞; its backward would add 0/0 = NaN
  const Var<double> loss = ag::sum(ag::scale(v, 3.0));
  (void)side;
  tape.backward(loss);
  EXPECT_TRUE(x.grad.allFinite());
  EXPECT_EQ(x.grad(0, 0), 3.0);
}

TEST(Tape, InputsGetNoGradientAndSkipTheirWork) {
  Parameter<double> w("w", Matrix<double>::Ones(3, 2));
  Tape<double> tape;
  const Var<double> x = tape.input(Matrix<double>::Ones(4, 3));
  const Var<double> y = ag::matmul(x, tape.param(w));
  EXPECT_FALSE(x.requires_grad());
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE(ag::relu(x).requires_grad());
  tape.backward(ag::sum(y));
  EXPECT_EQ(w.grad(0, 0), 4.0);
}

TEST(Tape, StaleOrForeignHandlesAreRejected) {
  Parameter<double> w("w", Matrix<double>::Ones(2, 2));
  Tape<double> tape, other;
  const Var<double> old = tape.param(w);
  tape.reset();
  EXPECT_FALSE(old.valid());
  EXPECT_THROW(ag::relu(old), std::invalid_argument);
  const Var<double> mine = tape.param(w), theirs = other.param(w);
  EXPECT_THROW(ag::add(mine, theirs), std::invalid_argument);
  EXPECT_THROW(tape.backward(mine), std::invalid_argument);  // 2 × 2 is not a loss
  EXPECT_THROW(tape.backward(ag::sum(tape.input(Matrix<double>::Ones(2, 2)))),
               std::invalid_argument);
}

TEST(Tape, ShapeErrorsNameTheOpAndTheShapes) {
  Tape<double> tape;
  const Var<double> a = tape.input(Matrix<double>::Ones(3, 4));
  const Var<double> b = tape.input(Matrix<double>::Ones(5, 2));
  try {
    ag::matmul(a, b);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("matmul"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("3×4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ag::add(a, b), std::invalid_argument);
  EXPECT_THROW(ag::layer_norm(a, b, b), std::invalid_argument);
  EXPECT_THROW(ag::slice_cols(a, 2, 3), std::invalid_argument);
  EXPECT_THROW(ag::causal_mask(a, 1), std::invalid_argument);
  EXPECT_THROW(ag::batched_matmul(a, b, 2), std::invalid_argument);
  Eigen::VectorXi labels(3);
  labels << 0, 4, 1;  // 4 is not a class of 4 columns
  EXPECT_THROW(ag::cross_entropy(a, labels), std::invalid_argument);
  Eigen::VectorXi index(1);
  index << 3;
  EXPECT_THROW(ag::embedding(a, index), std::invalid_argument);
}

TEST(Tape, ResetReusesTheGraphAndChangesOfShapeStillWork) {
  mlc::Rng rng(8);
  auto net = ag::make_mlp<double>({5, 7, 3}, ag::Activation::tanh, rng);
  const Eigen::MatrixXd X = rng.normal_matrix(10, 5);
  Eigen::VectorXi y(10);
  for (Index i = 0; i < 10; ++i) y(i) = static_cast<int>(rng.index(3));
  Tape<double> tape;
  const double loss1 = ag::loss_and_gradients(net, tape, X, y);
  const Matrix<double> g1 = net.weights[0].grad;
  const auto held = tape.stats().nodes_held;
  ag::loss_and_gradients(net, tape, Eigen::MatrixXd(X.topRows(4)),
                         Eigen::VectorXi(y.head(4)));  // other shapes
  const double loss3 = ag::loss_and_gradients(net, tape, X, y);
  EXPECT_EQ(loss1, loss3);
  EXPECT_EQ(net.weights[0].grad, g1);
  EXPECT_EQ(tape.stats().nodes_held, held);
}

// ---- 5. Memory: the steady state allocates nothing ------------------------------------------

TEST(Memory, TheCounterSeesEigenAndStandardAllocations) {
  // The proof below means something only if the counter sees what could allocate: an Eigen
  // matrix, Eigen's own GEMM packing buffers (operator* above 128 KiB of panel), a vector.
  mlc::Rng rng(9);
  const Matrix<float> A = random_matrix<float>(rng, 256, 256),
                      B = random_matrix<float>(rng, 256, 256);
  Matrix<float> C(256, 256);
  std::uint64_t before = alloc_counter::allocations();
  C.noalias() = A * B;
  EXPECT_GT(alloc_counter::allocations(), before) << "Eigen's product allocated no packing buffer";
  before = alloc_counter::allocations();
  std::vector<int> v(10);
  EXPECT_GT(alloc_counter::allocations(), before);
  ag::GemmWorkspace<float> ws;
  ag::gemm<float>(ws, A, false, B, false, C, 1.0f, 0.0f);  // sizes the buffers
  before = alloc_counter::allocations();
  ag::gemm<float>(ws, A, false, B, false, C, 1.0f, 0.0f);
  EXPECT_EQ(alloc_counter::allocations(), before) << "the engine's GEMM allocated";
}

TEST(Memory, SteadyStateTrainingStepsOfAnMlpAllocateNothing) {
  mlc::Rng rng(10);
  auto net =
      ag::make_mlp<float>({300, 200, 10}, ag::Activation::relu, rng);  // GEMM panels > 128 KiB
  const Eigen::MatrixXd X = rng.normal_matrix(256, 300);
  Eigen::VectorXi y(256);
  for (Index i = 0; i < 256; ++i) y(i) = static_cast<int>(rng.index(10));
  for (auto optimizer : {ag::Optimizer::adam, ag::Optimizer::sgd}) {
    ag::TrainConfig config{
        .epochs = 2, .batch_size = 64, .optimizer = optimizer, .momentum = 0.9, .seed = 1};
    const auto trace = ag::train_classifier(net, X, y, X, y, config, alloc_counter::allocations);
    EXPECT_EQ(trace.steps, 8);
    EXPECT_EQ(trace.steady_state_allocations, 0);
  }
}

TEST(Memory, SteadyStateStepsOfAnAttentionBlockAllocateNothing) {
  // Every op of the engine in one graph (the attention block of op_checks.cpp, plus GELU,
  // dropout, embedding, masked_fill, log-softmax, reductions), trained with AdamW.
  mlc::Rng rng(11);
  const Index batch = 4, steps = 8, width = 16, vocabulary = 11;
  Parameter<float> table("E", random_matrix<float>(rng, vocabulary, width));
  Parameter<float> w_qkv("Wqkv", random_matrix<float>(rng, width, 3 * width) * 0.2f);
  Parameter<float> w_o("Wo", random_matrix<float>(rng, width, width) * 0.2f);
  Parameter<float> gain("g", Matrix<float>::Ones(1, width), false),
      bias("b", Matrix<float>::Zero(1, width), false);
  Parameter<float>* params[] = {&table, &w_qkv, &w_o, &gain, &bias};
  ag::Adam<float> adam({.learning_rate = 1e-3f, .weight_decay = 0.1f});
  Eigen::VectorXi tokens(batch * steps), targets(batch * steps);
  for (Index i = 0; i < tokens.size(); ++i) {
    tokens(i) = static_cast<int>(rng.index(vocabulary));
    targets(i) = static_cast<int>(rng.index(vocabulary));
  }
  Matrix<float> mask = Matrix<float>::Zero(batch * steps, width);
  mask(0, 0) = 1;
  Tape<float> tape;
  mlc::Rng dropout_rng = rng.derive(3);
  std::uint64_t allocations = 0;
  for (int step = 0; step < 6; ++step) {
    const std::uint64_t before = alloc_counter::allocations();
    tape.reset();
    const Var<float> x = ag::dropout(ag::embedding(tape.param(table), tokens), 0.1f, dropout_rng);
    const Var<float> vars[] = {x, tape.param(w_qkv), tape.param(w_o), tape.param(gain),
                               tape.param(bias)};
    Tape<float>& t = tape;
    const Var<float> h = [&] {
      const Var<float> qkv = ag::matmul(ag::layer_norm(vars[0], vars[3], vars[4]), vars[1]);
      const Var<float> q = ag::slice_cols(qkv, 0, width), k = ag::slice_cols(qkv, width, width),
                       v = ag::slice_cols(qkv, 2 * width, width);
      const Var<float> p =
          ag::softmax(ag::causal_mask(ag::scale(ag::batched_matmul_nt(q, k, batch), 0.25f), batch));
      return ag::add(vars[0], ag::matmul(ag::batched_matmul(p, v, batch), vars[2]));
    }();
    const Var<float> logits =
        ag::matmul_nt(ag::gelu(ag::masked_fill(h, t.input(mask), 0.0f)), tape.param(table));
    const Var<float> loss =
        ag::add(ag::cross_entropy(logits, targets),
                ag::scale(ag::mean(ag::row_mean(ag::exp(ag::log_softmax(logits)))), 0.0f));
    ag::zero_grad(std::span<Parameter<float>* const>(params));
    tape.backward(loss);
    adam.step(std::span<Parameter<float>* const>(params));
    if (step > 0) allocations += alloc_counter::allocations() - before;
  }
  EXPECT_EQ(allocations, 0u);
}

// ---- 6. Optimizers against their recurrences ------------------------------------------------

TEST(Optimizer, SgdMomentumFollowsTheHeavyBallRecurrence) {
  Parameter<double> p("p", Matrix<double>::Constant(1, 1, 1.0));
  ag::Sgd<double> sgd{0.1, 0.9, 0.0};
  // constant gradient g = 2: v_t = 2 (1 + 0.9 + ... + 0.9^{t−1}), θ_t = 1 − 0.1 Σ v
  double v = 0.0, theta = 1.0;
  for (int t = 0; t < 5; ++t) {
    p.grad(0, 0) = 2.0;
    sgd.step({&p});
    v = 0.9 * v + 2.0;
    theta -= 0.1 * v;
    EXPECT_NEAR(p.value(0, 0), theta, 1e-15);
  }
}

TEST(Optimizer, AdamsFirstStepIsTheLearningRateTimesTheSign) {
  // m̂₁ = g and v̂₁ = g², so the first step is η g / (|g| + ε): η sign(g) whatever |g|.
  Parameter<double> p("p", Matrix<double>::Zero(1, 3));
  p.grad << 1e-3, -5.0, 1e4;
  ag::Adam<double> adam({.learning_rate = 0.01, .epsilon = 1e-12});
  adam.step({&p});
  EXPECT_NEAR(p.value(0, 0), -0.01, 1e-11);
  EXPECT_NEAR(p.value(0, 1), 0.01, 1e-13);
  EXPECT_NEAR(p.value(0, 2), -0.01, 1e-13);
}

TEST(Optimizer, AdamWDecayIsDecoupledAndSkipsUndecayedParameters) {
  Parameter<double> w("w", Matrix<double>::Constant(2, 2, 3.0)),
      b("b", Matrix<double>::Constant(1, 2, 3.0), false);
  ag::Adam<double> adam({.learning_rate = 0.1, .weight_decay = 0.5});
  adam.step({&w, &b});  // zero gradients: only the decay θ ← θ (1 − η λ) acts
  EXPECT_NEAR(w.value(0, 0), 3.0 * (1 - 0.1 * 0.5), 1e-15);
  EXPECT_EQ(b.value(0, 0), 3.0);
}

// ---- 7. The engine against 3.1's network, and float against double ---------------------------

TEST(Precision, FloatAndDoubleGradientsAgreeToFloatRounding) {
  mlc::Rng rng(12);
  auto net = ag::make_mlp<double>({20, 16, 16, 4}, ag::Activation::tanh, rng);
  auto net_f = ag::cast_mlp<float>(net);
  const Eigen::MatrixXd X = rng.normal_matrix(32, 20);
  Eigen::VectorXi y(32);
  for (Index i = 0; i < 32; ++i) y(i) = static_cast<int>(rng.index(4));
  Tape<double> td;
  Tape<float> tf;
  const double ld = ag::loss_and_gradients(net, td, X, y),
               lf = ag::loss_and_gradients(net_f, tf, X, y);
  EXPECT_NEAR(lf, ld, 1e-6 * ld);
  for (std::size_t l = 0; l < net.weights.size(); ++l) {
    const Eigen::MatrixXd gd = net.weights[l].grad, gf = net_f.weights[l].grad.cast<double>();
    EXPECT_LT((gd - gf).norm() / gd.norm(), 1e-5) << "layer " << l;
  }
}

TEST(Reference, MlpLossAndGradientsMatchLessonThreeOnesHandWrittenBackward) {
  // The same weights in 3.1's forward/backward pairs and on the engine: equal to rounding.
  mlc::Rng rng(15);
  for (auto activation : {mlp_backprop::Activation::relu, mlp_backprop::Activation::tanh,
                          mlp_backprop::Activation::sigmoid, mlp_backprop::Activation::identity}) {
    auto hand = mlp_backprop::make_mlp({10, 8, 6, 4}, activation, rng);
    const Eigen::MatrixXd X = rng.normal_matrix(16, 10);
    Eigen::VectorXi y(16);
    for (Index i = 0; i < 16; ++i) y(i) = static_cast<int>(rng.index(4));
    const double hand_loss = hand.loss_and_backward(X, y);
    const Eigen::VectorXd hand_grad = mlp_backprop::flatten_gradients(hand);
    auto engine = ag::from_mlp_backprop<double>(hand);
    Tape<double> tape;
    const double engine_loss = ag::loss_and_gradients(engine, tape, X, y);
    EXPECT_NEAR(engine_loss, hand_loss, 1e-14 * hand_loss);
    EXPECT_LT((ag::flatten_gradients(engine) - hand_grad).norm() / hand_grad.norm(), 1e-13);
  }
}

// ---- 8. Failure modes -----------------------------------------------------------------------

TEST(FailureMode, GradientsAccumulateWhenNotZeroed) {
  mlc::Rng rng(13);
  auto net = ag::make_mlp<double>({6, 5, 3}, ag::Activation::relu, rng);
  const Eigen::MatrixXd X = rng.normal_matrix(8, 6);
  Eigen::VectorXi y(8);
  for (Index i = 0; i < 8; ++i) y(i) = static_cast<int>(rng.index(3));
  Tape<double> tape;
  ag::loss_and_gradients(net, tape, X, y);  // zeroes, then one backward
  const Matrix<double> g1 = net.weights[0].grad;
  const Var<double> loss = ag::cross_entropy(net.logits(tape, tape.input(X)), y);
  for (int k = 2; k <= 4; ++k) {
    tape.backward(loss);  // the same graph again, gradients not zeroed
    EXPECT_ALLCLOSE(Eigen::MatrixXd(net.weights[0].grad), Eigen::MatrixXd(k * g1), 1e-14)
        << k << " passes";
  }
  ag::zero_grad(net.parameters());
  tape.backward(loss);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(net.weights[0].grad), Eigen::MatrixXd(g1), 1e-15);
}

TEST(FailureMode, TheGradientCheckCatchesAMissingSigmoidFactor) {
  mlc::Rng rng(14);
  const ag::OpCase broken = ag::sigmoid_missing_factor_case(rng);
  const double error = ag::check_op(broken, 99).relative_error;
  EXPECT_GT(error, 0.1);  // dY ⊙ y against dY ⊙ y(1 − y): wrong by the factor (1 − y) ∈ (0, 1)
  for (const auto& op : cases()) {
    if (op.name == "sigmoid") {
      EXPECT_LT(ag::check_op(op, 99).relative_error, 1e-8);
    }
  }
}

// ---- 9. The program -------------------------------------------------------------------------

TEST(Program, QuickRunReportsAgreementNoAllocationsAndBothFailureModes) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_LT(m.at("gradcheck.max_relative_error_double"), 1e-7);
  EXPECT_GT(m.at("gradcheck.min_relative_error_float"), 1e-6);
  EXPECT_LT(m.at("vs_mlp_backprop.max_gradient_relative_difference"), 1e-13);
  EXPECT_EQ(m.at("float_vs_double.float.allocations_per_step"), 0.0);
  EXPECT_EQ(m.at("float_vs_double.double.allocations_per_step"), 0.0);
  EXPECT_LT(m.at("float_vs_double.max_step_loss_gap"), 1e-4);
  EXPECT_NEAR(m.at("accumulation.gradient_norm_ratio[4]"), 5.0, 1e-12);
  EXPECT_GT(m.at("wrong_backward.relative_error_broken"), 0.1);
  EXPECT_LT(m.at("wrong_backward.relative_error_correct"), 1e-8);
  EXPECT_GT(m.at("wrong_backward.broken.test_accuracy"), 0.3);  // it trains: chance is 0.1
}

TEST(Program, BadFlagExitsWithUsageError) {
  const auto run = mlc::testing::run_lesson({"--seed", "not-a-number"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
}

}  // namespace
