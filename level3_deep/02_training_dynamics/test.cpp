// 3.2 training_dynamics: the grade. Every hand-written backward against central differences
// (in double, through the same templated code that trains in float); batch and layer
// normalisation against references built from 3.4's engine ops; GELU against Boost's normal
// distribution; the known identities (batch-norm gradients sum to zero over the batch, He
// initialisation keeps the ReLU second moment through depth, eval mode uses the running
// statistics, inverted dropout preserves the expectation); the schedules against hand-computed
// values; each failure mode of the report, reproduced; the program in --quick.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/math/distributions/normal.hpp>

#include "autograd.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "training_dynamics.hpp"

namespace td = training_dynamics;
namespace ag = autograd;
using td::Index;
using td::Matrix;
using td::Mode;

namespace {

Matrix<double> random_matrix(mlc::Rng& rng, Index rows, Index cols, double sd = 1.0,
                             double mean = 0.0) {
  Matrix<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = mean + sd * rng.normal();
  return m;
}

// The scalar L = Σ R ⊙ layer(X) whose gradient backward(R) returns: the vector-Jacobian
// product of the layer, checked entry by entry with central differences (gradcheck's
// norm-wise relative error, which a correct gradient passes whatever its scale).
double seeded_output(td::Layer<double>& layer, const Matrix<double>& X, const Matrix<double>& R,
                     Mode mode) {
  return layer.forward(X, mode).cwiseProduct(R).sum();
}

// Checks dL/dX and dL/d(every parameter) of a layer in the given mode.
void expect_layer_gradients(td::Layer<double>& layer, const Matrix<double>& X0, Mode mode,
                            mlc::Rng& rng, double tolerance = 1e-7) {
  const Matrix<double> R =
      random_matrix(rng, layer.forward(X0, mode).rows(), layer.forward(X0, mode).cols());
  layer.forward(X0, mode);
  const Matrix<double> dX = layer.backward(R);
  std::vector<Matrix<double>> dP;
  for (auto* p : layer.parameters()) dP.push_back(p->grad);
  if (dX.size() > 0) {
    const auto check = mlc::gradcheck(
        [&](const Eigen::MatrixXd& X) { return seeded_output(layer, Matrix<double>(X), R, mode); },
        Eigen::MatrixXd(dX), Eigen::MatrixXd(X0));
    EXPECT_TRUE(check.passes(tolerance)) << layer.name() << " dX: " << check.relative_error;
  }
  const auto params = layer.parameters();
  for (std::size_t k = 0; k < params.size(); ++k) {
    auto* p = params[k];
    const Matrix<double> saved = p->value;
    const auto check = mlc::gradcheck(
        [&](const Eigen::MatrixXd& v) {
          p->value = v;
          const double out = seeded_output(layer, X0, R, mode);
          p->value = saved;
          return out;
        },
        Eigen::MatrixXd(dP[k]), Eigen::MatrixXd(saved));
    EXPECT_TRUE(check.passes(tolerance))
        << layer.name() << " d" << p->name << ": " << check.relative_error;
  }
}

// ---- 1. Initialisation --------------------------------------------------------------------

TEST(Init, StandardDeviationsMatchTheirRules) {
  EXPECT_DOUBLE_EQ(td::init_std(td::Init::he, 256, 10), std::sqrt(2.0 / 256.0));
  EXPECT_DOUBLE_EQ(td::init_std(td::Init::xavier, 100, 300), std::sqrt(2.0 / 400.0));
  EXPECT_DOUBLE_EQ(td::init_std(td::Init::small, 100, 300), 0.01);
  EXPECT_DOUBLE_EQ(td::init_std(td::Init::large, 100, 300), 1.0);
  EXPECT_THROW(td::init_std(td::Init::he, 0, 3), std::invalid_argument);
}

TEST(Init, DrawnWeightsHaveTheRuleVariance) {
  // 300 × 400 = 120 000 draws: the sample variance of N(0, σ²) has relative sd √(2/N) ≈ 0.004;
  // 5 % is over ten of them.
  mlc::Rng rng(3);
  const td::Linear<double> layer(300, 400, td::Init::xavier, rng);
  const double var = layer.W.value.squaredNorm() / static_cast<double>(layer.W.value.size());
  EXPECT_NEAR(var / (2.0 / 700.0), 1.0, 0.05);
  EXPECT_EQ(layer.b.value.squaredNorm(), 0.0);
}

// (5) He initialisation keeps the second moment of the ReLU pre-activations through depth;
// Glorot's halves it at every layer. q_l = mean of Z_l² over a batch of 64 inputs, width 256,
// L = 20 layers, so q_20 / q_1 spans 19 layer-to-layer factors.
// Tolerance basis: for one input, each factor is (1/d) Σ_j relu(z_j)² / E[·] with z_j i.i.d.
// Gaussian: mean 1 (He) and relative variance Var[relu(z)²] / E[relu(z)²]² = (5/4)/(1/4)/d
// = 5/d. The log of a product of 19 such factors has sd ≈ √(19 · 5 / 256) = 0.61; averaging
// over the batch only lowers it. We allow 4 sd: |ln(q_20/q_1)| < 2.45, for He; Glorot's
// expected ln ratio is 19 ln(1/2) = −13.2 (from σ² d = 1 instead of 2), tested to the same
// ±2.45.
TEST(Init, HeKeepsReluSecondMomentThroughDepthXavierHalvesIt) {
  const Index width = 256, n = 64;
  for (td::Init init : {td::Init::he, td::Init::xavier}) {
    mlc::Rng rng(11);
    auto net = td::make_network<double>(
        {.sizes = std::vector<Index>(21, width), .activation = td::Activation::relu, .init = init},
        rng);
    const Matrix<double> X = random_matrix(rng, n, width);
    Eigen::VectorXi y(n);
    for (Index i = 0; i < n; ++i) y(i) = static_cast<int>(rng.index(width));
    const td::DepthProfile p = td::depth_profile(net, X, y);
    ASSERT_EQ(p.output_rms.size(), 20u);
    const double log_ratio = 2.0 * std::log(p.output_rms[19] / p.output_rms[0]);
    const double expected = init == td::Init::he ? 0.0 : 19.0 * std::log(0.5);
    EXPECT_NEAR(log_ratio, expected, 2.45) << td::init_name(init);
  }
}

// ---- 2. Activations ------------------------------------------------------------------------

TEST(Activations, BackwardMatchesCentralDifferences) {
  mlc::Rng rng(5);
  for (auto a : {td::Activation::sigmoid, td::Activation::tanh, td::Activation::relu,
                 td::Activation::gelu}) {
    td::ActivationLayer<double> layer(a);
    expect_layer_gradients(layer, random_matrix(rng, 6, 5, 2.0), Mode::train, rng);
  }
}

TEST(Activations, GeluIsXTimesTheNormalCdfBoost) {
  const boost::math::normal_distribution<double> normal(0.0, 1.0);
  Matrix<double> Z(1, 9);
  Z << -6, -3, -1.5, -0.5, 0, 0.3, 1, 2.5, 7;
  Matrix<double> H, dZ;
  td::activation_forward(td::Activation::gelu, Z, H);
  const Matrix<double> ones = Matrix<double>::Ones(1, 9);
  td::activation_backward(td::Activation::gelu, Z, H, ones, dZ);
  for (Index j = 0; j < 9; ++j) {
    const double z = Z(0, j);
    EXPECT_NEAR(H(0, j), z * boost::math::cdf(normal, z), 1e-15) << z;
    EXPECT_NEAR(dZ(0, j), boost::math::cdf(normal, z) + z * boost::math::pdf(normal, z), 1e-15)
        << z;
  }
}

TEST(Activations, SigmoidIsStableAtExtremes) {
  Matrix<float> Z(1, 2), H;
  Z << -200.0f, 200.0f;
  td::activation_forward(td::Activation::sigmoid, Z, H);
  EXPECT_EQ(H(0, 0), 0.0f);
  EXPECT_EQ(H(0, 1), 1.0f);
}

// ---- 3. Linear -----------------------------------------------------------------------------

TEST(Linear, BackwardMatchesCentralDifferences) {
  mlc::Rng rng(7);
  td::Linear<double> layer(5, 4, td::Init::xavier, rng);
  layer.b.value = random_matrix(rng, 1, 4);
  expect_layer_gradients(layer, random_matrix(rng, 6, 5), Mode::train, rng);
}

TEST(Linear, RejectsAnInputOfTheWrongWidth) {
  mlc::Rng rng(7);
  td::Linear<double> layer(5, 4, td::Init::he, rng);
  EXPECT_THROW(layer.forward(Matrix<double>::Zero(3, 6), Mode::train), std::invalid_argument);
}

// ---- 4. Batch normalisation ----------------------------------------------------------------

TEST(BatchNorm, TrainModeBackwardMatchesCentralDifferences) {
  mlc::Rng rng(13);
  td::BatchNorm<double> bn(4);
  bn.gamma.value = random_matrix(rng, 1, 4, 1.0, 1.0);
  bn.beta.value = random_matrix(rng, 1, 4);
  expect_layer_gradients(bn, random_matrix(rng, 8, 4, 3.0, 2.0), Mode::train, rng);
}

TEST(BatchNorm, EvalModeBackwardMatchesCentralDifferences) {
  mlc::Rng rng(14);
  td::BatchNorm<double> bn(4);
  bn.running_mean = random_matrix(rng, 1, 4);
  bn.running_var = random_matrix(rng, 1, 4).cwiseAbs().array() + 0.5;
  bn.gamma.value = random_matrix(rng, 1, 4, 1.0, 1.0);
  expect_layer_gradients(bn, random_matrix(rng, 5, 4), Mode::eval, rng);
}

// Batch norm written with 3.4's engine ops, as the reference: μ = (1/n) 1ᵀ X, X_c = X − μ,
// σ² = (1/n) 1ᵀ (X_c ⊙ X_c), rstd = exp(−½ log(σ² + ε)), Y = X_c ⊙ rstd ⊙ γ + β.
TEST(BatchNorm, EqualsTheSameComputationBuiltFromEngineOps) {
  mlc::Rng rng(15);
  const Index n = 16, d = 6;
  const Matrix<double> X0 = random_matrix(rng, n, d, 2.0, 1.0), R = random_matrix(rng, n, d);
  td::BatchNorm<double> bn(d);
  bn.gamma.value = random_matrix(rng, 1, d, 0.5, 1.0);
  bn.beta.value = random_matrix(rng, 1, d);
  const Matrix<double> Y = bn.forward(X0, Mode::train);
  const Matrix<double> dX = bn.backward(R);

  ag::Parameter<double> x("x", X0), gamma("gamma", bn.gamma.value), beta("beta", bn.beta.value);
  ag::Tape<double> tape;
  const auto xv = tape.param(x);
  const auto mean_row = tape.input(Matrix<double>::Constant(1, n, 1.0 / n));
  const auto mu = ag::matmul(mean_row, xv);
  const auto xc = ag::sub(xv, mu);
  const auto var = ag::matmul(mean_row, ag::mul(xc, xc));
  const auto eps = tape.input(Matrix<double>::Constant(1, 1, 1e-5));
  const auto rstd = ag::exp(ag::scale(ag::log(ag::add(var, eps)), -0.5));
  const auto y = ag::add(ag::mul(ag::mul(xc, rstd), tape.param(gamma)), tape.param(beta));
  ag::zero_grad({&x, &gamma, &beta});
  tape.backward(y, R);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(Y), Eigen::MatrixXd(y.value()), 1e-13);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(dX), Eigen::MatrixXd(x.grad), 1e-13);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(bn.gamma.grad), Eigen::MatrixXd(gamma.grad), 1e-12);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(bn.beta.grad), Eigen::MatrixXd(beta.grad), 1e-12);
}

// (12) dX is orthogonal to 1 in every feature: shifting a feature's whole batch does not change
// the normalised output, so the loss cannot depend on that direction. It is orthogonal to x̂
// too when ε = 0 (scaling the batch changes nothing either); with ε > 0 the residual is
// ∝ ε / (σ² + ε), so this layer uses ε = 1e-14.
TEST(BatchNorm, InputGradientSumsToZeroOverTheBatchPerFeature) {
  mlc::Rng rng(16);
  td::BatchNorm<double> bn(5, 0.1, 1e-14);
  bn.gamma.value = random_matrix(rng, 1, 5, 1.0, 1.0);
  const Matrix<double> X = random_matrix(rng, 32, 5, 4.0, -3.0);
  bn.forward(X, Mode::train);
  const Matrix<double> dX = bn.backward(random_matrix(rng, 32, 5, 10.0));
  const Matrix<double> xc = X.rowwise() - X.colwise().mean();
  for (Index j = 0; j < 5; ++j) {
    EXPECT_NEAR(dX.col(j).sum(), 0.0, 1e-13 * dX.col(j).cwiseAbs().sum()) << j;
    EXPECT_NEAR(dX.col(j).dot(xc.col(j)), 0.0, 1e-12 * dX.col(j).norm() * xc.col(j).norm()) << j;
  }
}

TEST(BatchNorm, EvalModeUsesTheRunningStatistics) {
  mlc::Rng rng(17);
  const Index d = 3;
  td::BatchNorm<double> bn(d, /*momentum=*/0.2);
  bn.gamma.value << 2.0, 0.5, 1.0;
  bn.beta.value << 0.1, -1.0, 0.0;
  Matrix<double> expect_mean = Matrix<double>::Zero(1, d), expect_var = Matrix<double>::Ones(1, d);
  for (int step = 0; step < 4; ++step) {  // (13) by hand: EMA of the mean and unbiased var
    const Matrix<double> X = random_matrix(rng, 10, d, 1.0 + step, 5.0);
    const Matrix<double> mean = X.colwise().mean();
    const Matrix<double> var =
        (X.rowwise() - mean.row(0)).cwiseAbs2().colwise().sum() / 9.0;  // n − 1 = 9
    expect_mean = 0.8 * expect_mean + 0.2 * mean;
    expect_var = 0.8 * expect_var + 0.2 * var;
    bn.forward(X, Mode::train);
  }
  EXPECT_ALLCLOSE(Eigen::MatrixXd(bn.running_mean), Eigen::MatrixXd(expect_mean), 1e-12);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(bn.running_var), Eigen::MatrixXd(expect_var), 1e-12);
  const Matrix<double> X = random_matrix(rng, 6, d, 3.0);
  const Matrix<double> Y = bn.forward(X, Mode::eval);
  for (Index i = 0; i < 6; ++i) {
    for (Index j = 0; j < d; ++j) {
      const double expected = bn.gamma.value(0, j) * (X(i, j) - expect_mean(0, j)) /
                                  std::sqrt(expect_var(0, j) + 1e-5) +
                              bn.beta.value(0, j);
      EXPECT_NEAR(Y(i, j), expected, 1e-12);
    }
    // Each row alone gives the same output: no batch statistics in eval mode.
    const Matrix<double> row = X.row(i);
    EXPECT_ALLCLOSE(Eigen::MatrixXd(bn.forward(row, Mode::eval)), Eigen::MatrixXd(Y.row(i)), 1e-15);
  }
  // Eval mode leaves the running statistics alone.
  EXPECT_ALLCLOSE(Eigen::MatrixXd(bn.running_mean), Eigen::MatrixXd(expect_mean), 0.0);
}

TEST(BatchNorm, TrainModeRejectsABatchOfOneRow) {
  td::BatchNorm<double> bn(3);
  EXPECT_THROW(bn.forward(Matrix<double>::Ones(1, 3), Mode::train), std::invalid_argument);
  EXPECT_NO_THROW(bn.forward(Matrix<double>::Ones(1, 3), Mode::eval));
}

// ---- 5. Layer normalisation ----------------------------------------------------------------

TEST(LayerNorm, BackwardMatchesCentralDifferences) {
  mlc::Rng rng(19);
  td::LayerNorm<double> ln(6);
  ln.gamma.value = random_matrix(rng, 1, 6, 1.0, 1.0);
  ln.beta.value = random_matrix(rng, 1, 6);
  expect_layer_gradients(ln, random_matrix(rng, 4, 6, 2.0, 1.0), Mode::train, rng);
}

TEST(LayerNorm, EqualsTheEnginesLayerNormOp) {
  mlc::Rng rng(20);
  const Matrix<double> X0 = random_matrix(rng, 7, 9, 3.0), R = random_matrix(rng, 7, 9);
  td::LayerNorm<double> ln(9);
  ln.gamma.value = random_matrix(rng, 1, 9, 0.5, 1.0);
  ln.beta.value = random_matrix(rng, 1, 9);
  const Matrix<double> Y = ln.forward(X0, Mode::train);
  const Matrix<double> dX = ln.backward(R);
  ag::Parameter<double> x("x", X0), gamma("gamma", ln.gamma.value), beta("beta", ln.beta.value);
  ag::Tape<double> tape;
  const auto y = ag::layer_norm(tape.param(x), tape.param(gamma), tape.param(beta), 1e-5);
  ag::zero_grad({&x, &gamma, &beta});
  tape.backward(y, R);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(Y), Eigen::MatrixXd(y.value()), 1e-13);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(dX), Eigen::MatrixXd(x.grad), 1e-13);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(ln.gamma.grad), Eigen::MatrixXd(gamma.grad), 1e-12);
}

// ---- 6. Dropout ----------------------------------------------------------------------------

TEST(Dropout, BackwardMatchesCentralDifferencesForAFixedMask) {
  // The mask is redrawn at every forward; a fresh layer from the same stream redraws the same
  // one, which makes the layer a fixed function of X for the check.
  mlc::Rng rng(21);
  const Matrix<double> X0 = random_matrix(rng, 5, 6), R = random_matrix(rng, 5, 6);
  const mlc::Rng stream = mlc::Rng(22);
  td::Dropout<double> layer(0.4, stream);
  layer.forward(X0, Mode::train);
  const Matrix<double> dX = layer.backward(R);
  const auto check = mlc::gradcheck(
      [&](const Eigen::MatrixXd& X) {
        td::Dropout<double> fresh(0.4, stream);
        return fresh.forward(Matrix<double>(X), Mode::train).cwiseProduct(R).sum();
      },
      Eigen::MatrixXd(dX), Eigen::MatrixXd(X0));
  EXPECT_TRUE(check.passes(1e-8)) << check.relative_error;
}

// (15) E[Y] = X: on X = 1 the mean output over N = 200 000 entries estimates 1 with sd
// √(p / (1 − p) / N) = 0.0018 at p = 0.4; the kept fraction estimates 1 − p with sd
// √(p (1 − p) / N) = 0.0011. Both within 5 sd.
TEST(Dropout, InvertedScalingPreservesTheExpectation) {
  const double p = 0.4;
  const Index rows = 400, cols = 500;
  const double N = static_cast<double>(rows * cols);
  td::Dropout<double> layer(p, mlc::Rng(23));
  const Matrix<double> ones = Matrix<double>::Ones(rows, cols);
  const Matrix<double> Y = layer.forward(ones, Mode::train);
  EXPECT_NEAR(Y.mean(), 1.0, 5.0 * std::sqrt(p / (1.0 - p) / N));
  const double kept = (Y.array() > 0.0).cast<double>().mean();
  EXPECT_NEAR(kept, 1.0 - p, 5.0 * std::sqrt(p * (1.0 - p) / N));
  EXPECT_TRUE(((Y.array() == 0.0) || (Y.array() == 1.0 / (1.0 - p))).all());
  // Eval mode: the identity, forward and backward.
  const Matrix<double> X = Matrix<double>::Constant(3, 4, 2.5);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(layer.forward(X, Mode::eval)), Eigen::MatrixXd(X), 0.0);
  EXPECT_ALLCLOSE(Eigen::MatrixXd(layer.backward(X)), Eigen::MatrixXd(X), 0.0);
}

TEST(Dropout, RejectsARateOutsideTheUnitInterval) {
  EXPECT_THROW(td::Dropout<double>(1.0, mlc::Rng(1)), std::invalid_argument);
  EXPECT_THROW(td::Dropout<double>(-0.1, mlc::Rng(1)), std::invalid_argument);
}

// ---- 7. The whole network ------------------------------------------------------------------

TEST(Network, LossGradientMatchesCentralDifferencesWithEveryLayerKind) {
  for (td::Norm norm : {td::Norm::batch, td::Norm::layer, td::Norm::none}) {
    for (auto act : {td::Activation::gelu, td::Activation::tanh, td::Activation::sigmoid}) {
      mlc::Rng rng(25);
      auto net = td::make_network<double>(
          {.sizes = {5, 7, 6, 3}, .activation = act, .init = td::Init::xavier, .norm = norm}, rng);
      const Matrix<double> X = random_matrix(rng, 8, 5);
      Eigen::VectorXi y(8);
      for (Index i = 0; i < 8; ++i) y(i) = static_cast<int>(rng.index(3));
      net.loss_and_backward(X, y);
      for (auto* p : net.parameters()) {
        const Matrix<double> saved = p->value, grad = p->grad;
        const auto check = mlc::gradcheck(
            [&](const Eigen::MatrixXd& v) {
              p->value = v;
              const double loss = td::softmax_cross_entropy<double>(net.forward(X, Mode::train), y);
              p->value = saved;
              return loss;
            },
            Eigen::MatrixXd(grad), Eigen::MatrixXd(saved));
        // A bias before batch norm has gradient exactly 0 (BiasBeforeBatchNormGetsNoGradient);
        // central differences give rounding noise there (≈ ε |L| / h ≈ 1e-10 per entry), so
        // a near-zero gradient is judged by the absolute error of its norm, 1e-8.
        EXPECT_TRUE(check.passes(1e-6, 1e-8))
            << td::norm_name(norm) << " " << td::activation_name(act) << " " << p->name << ": "
            << check.relative_error;
      }
    }
  }
}

// With batch norm after a linear layer the layer's bias cannot change the output (it is
// subtracted with the batch mean): its gradient is exactly the column sum of batch norm's
// dX, which is 0 (the identity above).
TEST(Network, BiasBeforeBatchNormGetsNoGradient) {
  mlc::Rng rng(26);
  auto net = td::make_network<double>({.sizes = {4, 8, 3}, .norm = td::Norm::batch}, rng);
  const Matrix<double> X = random_matrix(rng, 16, 4);
  Eigen::VectorXi y(16);
  for (Index i = 0; i < 16; ++i) y(i) = static_cast<int>(i % 3);
  net.loss_and_backward(X, y);
  const auto linears = net.linears();
  EXPECT_LT(linears[0]->b.grad.cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_GT(linears[1]->b.grad.cwiseAbs().maxCoeff(), 1e-3);
}

// ---- 8. Schedules --------------------------------------------------------------------------

TEST(Schedules, WarmupCosineMatchesHandComputedValues) {
  const td::Schedule s{.kind = td::Schedule::Kind::warmup_cosine,
                       .peak = 1.0,
                       .warmup_steps = 10,
                       .total_steps = 110,
                       .final = 0.1};
  EXPECT_DOUBLE_EQ(td::learning_rate(s, 0), 0.1);      // (17) 1 · 1/10
  EXPECT_DOUBLE_EQ(td::learning_rate(s, 4), 0.5);      // 5/10
  EXPECT_DOUBLE_EQ(td::learning_rate(s, 9), 1.0);      // the end of warm-up
  EXPECT_DOUBLE_EQ(td::learning_rate(s, 10), 1.0);     // (18) τ = 0
  EXPECT_NEAR(td::learning_rate(s, 60), 0.55, 1e-15);  // τ = 1/2: midway, 0.1 + 0.9 / 2
  EXPECT_NEAR(td::learning_rate(s, 35), 0.1 + 0.9 * 0.5 * (1.0 + std::sqrt(0.5)), 1e-15);
  EXPECT_DOUBLE_EQ(td::learning_rate(s, 110), 0.1);
  EXPECT_DOUBLE_EQ(td::learning_rate(s, 500), 0.1);
  for (long t = 10; t < 110; ++t) EXPECT_GE(td::learning_rate(s, t), td::learning_rate(s, t + 1));
}

TEST(Schedules, StepAndConstant) {
  const td::Schedule step{
      .kind = td::Schedule::Kind::step, .peak = 0.2, .step_every = 10, .gamma = 0.5};
  EXPECT_DOUBLE_EQ(td::learning_rate(step, 9), 0.2);
  EXPECT_DOUBLE_EQ(td::learning_rate(step, 10), 0.1);
  EXPECT_DOUBLE_EQ(td::learning_rate(step, 25), 0.05);
  EXPECT_DOUBLE_EQ(td::learning_rate({.peak = 0.3}, 1000), 0.3);
  EXPECT_THROW(
      td::learning_rate(
          {.kind = td::Schedule::Kind::warmup_cosine, .warmup_steps = 5, .total_steps = 5}, 0),
      std::invalid_argument);
}

// ---- 9. Failure modes ----------------------------------------------------------------------

// A 20-layer net of width 64 on 64 Gaussian inputs with 10 random labels.
td::DepthProfile deep20(td::Init init, td::Activation act, td::Norm norm = td::Norm::none) {
  mlc::Rng rng(31);
  std::vector<Index> sizes(20, 64);
  sizes.push_back(10);
  auto net = td::make_network<double>(
      {.sizes = sizes, .activation = act, .init = init, .norm = norm}, rng);
  const Matrix<double> X = random_matrix(rng, 64, 64);
  Eigen::VectorXi y(64);
  for (Index i = 0; i < 64; ++i) y(i) = static_cast<int>(rng.index(10));
  return td::depth_profile(net, X, y);
}

TEST(FailureModes, SigmoidGradientsVanishTowardTheInput) {
  const auto sig = deep20(td::Init::xavier, td::Activation::sigmoid);
  const auto he = deep20(td::Init::he, td::Activation::relu);
  EXPECT_LT(sig.weight_grad_norm.front() / sig.weight_grad_norm.back(), 1e-4);
  const double he_ratio = he.weight_grad_norm.front() / he.weight_grad_norm.back();
  EXPECT_GT(he_ratio, 0.1);
  EXPECT_LT(he_ratio, 10.0);
}

TEST(FailureModes, SmallInitShrinksEveryGradient) {
  const auto small = deep20(td::Init::small, td::Activation::tanh);
  const auto xavier = deep20(td::Init::xavier, td::Activation::tanh);
  // The backpropagated signal dies toward the input, and so does every weight gradient.
  EXPECT_LT(small.output_grad_norm.front() / small.output_grad_norm.back(), 1e-20);
  EXPECT_LT(small.weight_grad_norm.front(), 1e-15 * xavier.weight_grad_norm.front());
}

TEST(FailureModes, LargeInitExplodesAndBatchNormTamesIt) {
  const auto large = deep20(td::Init::large, td::Activation::relu);
  const auto bn = deep20(td::Init::large, td::Activation::relu, td::Norm::batch);
  EXPECT_GT(large.output_grad_norm.front() / large.output_grad_norm.back(), 1e10);
  EXPECT_GT(large.loss, 1e6);  // the logits explode with the activations
  const double bn_ratio = bn.output_grad_norm.front() / bn.output_grad_norm.back();
  EXPECT_LT(bn_ratio, 1e3);
  EXPECT_LT(bn.loss, 10.0);
}

// Blobs in 20-D, 4 classes: the quick stand-in for Fashion-MNIST in the two training failures.
struct Blobs {
  Matrix<float> X, X_val;
  Eigen::VectorXi y, y_val;
};
Blobs blobs() {
  mlc::Rng rng(41);
  Blobs b;
  const Eigen::MatrixXd centers = rng.normal_matrix(4, 20, 0.0, 2.0);
  auto draw = [&](Index n, Matrix<float>& X, Eigen::VectorXi& y) {
    X.resize(n, 20);
    y.resize(n);
    for (Index i = 0; i < n; ++i) {
      y(i) = static_cast<int>(i % 4);
      for (Index j = 0; j < 20; ++j) X(i, j) = static_cast<float>(centers(y(i), j) + rng.normal());
    }
  };
  draw(512, b.X, b.y);
  draw(256, b.X_val, b.y_val);
  return b;
}

td::TrainTrace train_blobs(td::Network<float>& net, const Blobs& b, double lr) {
  mlc::Rng rng(43);
  return td::train(net, b.X, b.y, b.X_val, b.y_val,
                   {.epochs = 5, .batch_size = 32, .momentum = 0.9, .schedule = {.peak = lr}}, rng);
}

TEST(FailureModes, TooLargeALearningRateDiverges) {
  const Blobs b = blobs();
  for (double lr : {0.05, 5.0}) {
    mlc::Rng r(42);
    auto net = td::make_network<float>({.sizes = {20, 64, 64, 4}}, r);
    const auto trace = train_blobs(net, b, lr);
    if (lr < 1.0) {
      EXPECT_FALSE(trace.diverged);
      EXPECT_GT(trace.eval_accuracy.back(), 0.9);
    } else {
      EXPECT_TRUE(trace.diverged) << "final loss " << trace.step_loss.back();
    }
  }
}

TEST(FailureModes, ALargeStepKillsReluUnits) {
  const Blobs b = blobs();
  std::vector<double> dead;
  for (double lr : {0.05, 1.0}) {
    mlc::Rng r(44);
    auto net = td::make_network<float>({.sizes = {20, 128, 128, 4}}, r);
    EXPECT_LT(td::dead_relu_fraction(net, b.X_val), 0.05);
    mlc::Rng rng(45);
    td::train(net, b.X, b.y, b.X_val, b.y_val,
              {.epochs = 1,
               .batch_size = 32,
               .momentum = 0.0,
               .schedule = {.peak = lr},
               .divergence_loss = 1e30},
              rng);
    dead.push_back(td::dead_relu_fraction(net, b.X_val));
  }
  EXPECT_LT(dead[0], 0.05);
  EXPECT_GT(dead[1], 0.3);
}

// ---- 10. Training and the program ----------------------------------------------------------

TEST(Training, IsDeterministicForAFixedSeed) {
  const Blobs b = blobs();
  std::vector<std::vector<double>> losses;
  for (int rep = 0; rep < 2; ++rep) {
    mlc::Rng r(46);
    auto net =
        td::make_network<float>({.sizes = {20, 32, 4}, .norm = td::Norm::batch, .dropout = 0.2}, r);
    losses.push_back(train_blobs(net, b, 0.05).step_loss);
  }
  EXPECT_EQ(losses[0], losses[1]);
}

TEST(Program, QuickRunWritesTheNamedMetrics) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_LT(m.at("deep20.xavier_sigmoid.grad_norm_ratio"), 1e-3);
  EXPECT_GT(m.at("deep20.he_relu.grad_norm_ratio"), 0.1);
  EXPECT_TRUE(m.count("dead_relu.fraction"));
  EXPECT_TRUE(m.count("norm.batchnorm.final_loss"));
  EXPECT_TRUE(m.count("norm.none.final_loss"));
  EXPECT_TRUE(m.count("norm.layernorm.final_loss"));
}

TEST(Program, BadFlagExitsTwo) {
  const auto run = mlc::testing::run_lesson({"--seed", "not-a-number"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
}

}  // namespace
