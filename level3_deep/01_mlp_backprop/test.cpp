// test.cpp: the grade of lesson 3.1 mlp_backprop.
//
// In order of value: every backward pass against central differences (mlc::gradcheck):
// each activation, the linear layer (W, b and the input), both losses, and whole networks
// of every activation and depth; the losses against hand-computed cases; training against
// an independent reference (a network without hidden layer trained on the squared error
// converges to the least-squares solution Eigen computes by QR); the constructive relu
// interpolant against its definition and its O(h⁻²) error; the initialization's variances;
// each failure mode that the report claims; the program in --quick. Seeds are fixed, so
// every test is deterministic.
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Dense>

#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "mlp_backprop.hpp"

namespace mb = mlp_backprop;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

namespace {

const std::vector<mb::Activation> kActivations{mb::Activation::relu, mb::Activation::tanh,
                                               mb::Activation::sigmoid, mb::Activation::identity};

VectorXi random_labels(Index n, int k, mlc::Rng& rng) {
  VectorXi y(n);
  for (Index i = 0; i < n; ++i) y(i) = static_cast<int>(rng.integer(0, k - 1));
  return y;
}

// The four XOR points at (±1, ±1), label 1 when the signs differ.
struct Xor {
  MatrixXd X{4, 2};
  VectorXi y{4};
  Xor() {
    X << -1, -1, -1, 1, 1, -1, 1, 1;
    y << 0, 1, 1, 0;
  }
};

// Full-batch GD on XOR (the report's setting): tanh hidden units, step 0.5, 3000 epochs.
double train_xor(mb::Mlp& net, const Xor& data, int epochs = 3000, double lr = 0.5) {
  mlc::Rng unused(0);
  mb::train_classifier(net, data.X, data.y, {.epochs = epochs, .learning_rate = lr}, unused);
  return mb::accuracy(net, data.X, data.y);
}

}  // namespace

// ---- 1. Each backward pass against central differences -----------------------------------

TEST(Activation, ForwardMatchesTheDefinitions) {
  MatrixXd Z(1, 5);
  Z << -800.0, -1.5, 0.0, 0.7, 800.0;
  const MatrixXd relu = mb::activation_forward(mb::Activation::relu, Z);
  const MatrixXd tanh = mb::activation_forward(mb::Activation::tanh, Z);
  const MatrixXd sigm = mb::activation_forward(mb::Activation::sigmoid, Z);
  for (Index j = 0; j < 5; ++j) {
    EXPECT_EQ(relu(0, j), std::max(0.0, Z(0, j)));
    EXPECT_NEAR(tanh(0, j), std::tanh(Z(0, j)), 1e-15);
    EXPECT_NEAR(sigm(0, j), 1.0 / (1.0 + std::exp(-Z(0, j))), 1e-15);
  }
  EXPECT_EQ(sigm(0, 0), 0.0);  // no overflow at −800
  EXPECT_EQ(sigm(0, 4), 1.0);
  EXPECT_ALLCLOSE(mb::activation_forward(mb::Activation::identity, Z), Z, 0.0);
}

TEST(Activation, BackwardPassesGradcheckForEveryActivation) {
  // L(Z) = Σ G ⊙ f(Z) has dL/dZ = G ⊙ f'(Z) = activation_backward(f(Z), G).
  mlc::Rng rng(1);
  const MatrixXd Z = rng.normal_matrix(5, 4, 0.0, 2.0), G = rng.normal_matrix(5, 4);
  for (const auto act : kActivations) {
    auto loss = [&](const MatrixXd& z) {
      return (G.array() * mb::activation_forward(act, z).array()).sum();
    };
    const MatrixXd dZ = mb::activation_backward(act, mb::activation_forward(act, Z), G);
    const auto check = mlc::gradcheck(mlc::MatrixFunction(loss), dZ, Z);
    EXPECT_TRUE(check.passes(1e-8)) << mb::activation_name(act) << " " << check.relative_error;
  }
}

TEST(Activation, ReluDerivativeAtTheKinkIsZero) {
  const MatrixXd Z = MatrixXd::Zero(2, 2), G = MatrixXd::Ones(2, 2);
  const MatrixXd H = mb::activation_forward(mb::Activation::relu, Z);
  EXPECT_ALLCLOSE(mb::activation_backward(mb::Activation::relu, H, G), MatrixXd::Zero(2, 2), 0.0);
}

TEST(Linear, ForwardMatchesAHandComputedCase) {
  mb::Linear layer(2, 3);
  layer.W << 1, 2, 3, 4, 5, 6;
  layer.b << 0.5, -1, 2;
  MatrixXd X(2, 2);
  X << 1, 0, -1, 2;
  MatrixXd expected(2, 3);
  expected << 1.5, 1, 5,  // (1, 0) W + b
      7.5, 7, 11;         // (−1, 2) W + b = (7, 8, 9) + b
  EXPECT_ALLCLOSE(layer.forward(X), expected, 1e-15);
}

TEST(Linear, BackwardPassesGradcheckForWeightsBiasAndInput) {
  mlc::Rng rng(2);
  mb::Linear layer(4, 3);
  layer.W = rng.normal_matrix(4, 3);
  layer.b = rng.normal_vector(3);
  const MatrixXd X = rng.normal_matrix(6, 4), G = rng.normal_matrix(6, 3);
  layer.forward(X);
  const MatrixXd dX = layer.backward(G);  // L = Σ G ⊙ Y
  const MatrixXd W0 = layer.W;
  const VectorXd b0 = layer.b;
  auto loss_w = [&](const MatrixXd& W) {
    mb::Linear l = layer;
    l.W = W;
    return (G.array() * l.forward(X).array()).sum();
  };
  auto loss_b = [&](const VectorXd& b) {
    mb::Linear l = layer;
    l.b = b;
    return (G.array() * l.forward(X).array()).sum();
  };
  auto loss_x = [&](const MatrixXd& x) {
    mb::Linear l = layer;
    return (G.array() * l.forward(x).array()).sum();
  };
  const auto cw = mlc::gradcheck(mlc::MatrixFunction(loss_w), layer.dW, W0);
  const auto cb = mlc::gradcheck(mlc::ScalarFunction(loss_b), layer.db, b0);
  const auto cx = mlc::gradcheck(mlc::MatrixFunction(loss_x), dX, X);
  EXPECT_TRUE(cw.passes(1e-8)) << cw.relative_error;
  EXPECT_TRUE(cb.passes(1e-8)) << cb.relative_error;
  EXPECT_TRUE(cx.passes(1e-8)) << cx.relative_error;
}

TEST(Linear, BackwardOverwritesTheGradients) {
  mlc::Rng rng(3);
  mb::Linear layer(2, 2);
  layer.W = rng.normal_matrix(2, 2);
  const MatrixXd X = rng.normal_matrix(3, 2), G = rng.normal_matrix(3, 2);
  layer.forward(X);
  layer.backward(G);
  const MatrixXd first = layer.dW;
  layer.forward(X);
  layer.backward(G);
  EXPECT_ALLCLOSE(layer.dW, first, 0.0);
  EXPECT_ALLCLOSE(layer.dW, X.transpose() * G, 1e-14);
  EXPECT_ALLCLOSE(layer.db, G.colwise().sum().transpose(), 1e-14);
}

TEST(SoftmaxCrossEntropy, MatchesAHandComputedCase) {
  // Row 1: logits (1, 2, 3), label 2: log(e + e² + e³) − 3 = 0.40760596444438013.
  // Row 2: logits (1, 1, 1), label 0: log 3 = 1.0986122886681098. Mean 0.753109126556245.
  MatrixXd Z(2, 3);
  Z << 1, 2, 3, 1, 1, 1;
  VectorXi y(2);
  y << 2, 0;
  MatrixXd dZ;
  EXPECT_NEAR(mb::softmax_cross_entropy(Z, y, &dZ), 0.753109126556245, 1e-15);
  // (6): (softmax − one-hot) / n, with softmax(1, 2, 3) = (0.0900305731703805,
  // 0.2447284710547977, 0.6652409557748220).
  MatrixXd expected(2, 3);
  expected << 0.0900305731703805, 0.2447284710547977, 0.6652409557748220 - 1.0,  //
      1.0 / 3.0 - 1.0, 1.0 / 3.0, 1.0 / 3.0;
  EXPECT_ALLCLOSE(dZ, expected / 2.0, 1e-15);
}

TEST(SoftmaxCrossEntropy, GradientPassesGradcheckAndHugeLogitsStayFinite) {
  mlc::Rng rng(4);
  const MatrixXd Z = rng.normal_matrix(7, 5, 0.0, 3.0);
  const VectorXi y = random_labels(7, 5, rng);
  MatrixXd dZ;
  mb::softmax_cross_entropy(Z, y, &dZ);
  auto loss = [&](const MatrixXd& z) { return mb::softmax_cross_entropy(z, y); };
  const auto check = mlc::gradcheck(mlc::MatrixFunction(loss), dZ, Z);
  EXPECT_TRUE(check.passes(1e-8)) << check.relative_error;
  MatrixXd big(1, 2);
  big << 1000.0, 0.0;
  VectorXi label(1);
  label << 1;
  EXPECT_NEAR(mb::softmax_cross_entropy(big, label), 1000.0, 1e-12);  // no overflow
  EXPECT_ALLCLOSE(mb::softmax(big), (MatrixXd(1, 2) << 1.0, 0.0).finished(), 1e-300);
}

TEST(MeanSquaredError, MatchesAHandComputedCaseAndPassesGradcheck) {
  MatrixXd P(2, 2), T(2, 2);
  P << 1, 2, 3, 4;
  T << 0, 2, 3, 2;
  MatrixXd dP;
  EXPECT_DOUBLE_EQ(mb::mean_squared_error(P, T, &dP), (1.0 + 4.0) / 2.0);
  EXPECT_ALLCLOSE(dP, (MatrixXd(2, 2) << 1, 0, 0, 2).finished(), 1e-15);  // 2 (P − T) / n
  mlc::Rng rng(5);
  const MatrixXd P2 = rng.normal_matrix(4, 3), T2 = rng.normal_matrix(4, 3);
  mb::mean_squared_error(P2, T2, &dP);
  auto loss = [&](const MatrixXd& p) { return mb::mean_squared_error(p, T2); };
  EXPECT_TRUE(mlc::gradcheck(mlc::MatrixFunction(loss), dP, P2).passes(1e-8));
}

// ---- 2. Whole networks -------------------------------------------------------------------

TEST(Mlp, LossAndBackwardPassesGradcheckForEveryActivationAndDepth) {
  const std::vector<std::vector<Index>> architectures{{3, 4}, {3, 5, 4}, {3, 6, 5, 4}};
  for (const auto act : kActivations) {
    for (std::size_t a = 0; a < architectures.size(); ++a) {
      mlc::Rng rng(10 + a);
      mb::Mlp net = mb::make_mlp(architectures[a], act, rng);
      for (auto& layer : net.layers) layer.b = rng.normal_vector(layer.b.size(), 0.0, 0.5);
      const MatrixXd X = rng.normal_matrix(8, 3);
      const VectorXi y = random_labels(8, 4, rng);
      const VectorXd theta = mb::flatten_parameters(net);
      net.loss_and_backward(X, y);
      const VectorXd grad = mb::flatten_gradients(net);
      auto loss = [&](const VectorXd& t) {
        mb::Mlp copy = net;
        mb::unflatten_parameters(copy, t);
        return mb::softmax_cross_entropy(copy.forward(X), y);
      };
      const auto check = mlc::gradcheck(mlc::ScalarFunction(loss), grad, theta);
      EXPECT_TRUE(check.passes(1e-7))
          << mb::activation_name(act) << " depth " << a << ": " << check.relative_error;
    }
  }
}

TEST(Mlp, BackwardReturnsTheInputGradient) {
  mlc::Rng rng(20);
  mb::Mlp net = mb::make_mlp({3, 5, 5, 2}, mb::Activation::tanh, rng);
  const MatrixXd X = rng.normal_matrix(6, 3);
  const VectorXi y = random_labels(6, 2, rng);
  MatrixXd dlogits;
  mb::softmax_cross_entropy(net.forward(X), y, &dlogits);
  const MatrixXd dX = net.backward(dlogits);
  auto loss = [&](const MatrixXd& x) {
    mb::Mlp copy = net;
    return mb::softmax_cross_entropy(copy.forward(x), y);
  };
  EXPECT_TRUE(mlc::gradcheck(mlc::MatrixFunction(loss), dX, X).passes(1e-8));
}

TEST(Mlp, SquaredErrorAndBackwardPassesGradcheck) {
  mlc::Rng rng(21);
  mb::Mlp net = mb::make_mlp({2, 7, 3}, mb::Activation::sigmoid, rng);
  const MatrixXd X = rng.normal_matrix(9, 2), Y = rng.normal_matrix(9, 3);
  const VectorXd theta = mb::flatten_parameters(net);
  net.squared_error_and_backward(X, Y);
  auto loss = [&](const VectorXd& t) {
    mb::Mlp copy = net;
    mb::unflatten_parameters(copy, t);
    return mb::mean_squared_error(copy.forward(X), Y);
  };
  const auto check = mlc::gradcheck(mlc::ScalarFunction(loss), mb::flatten_gradients(net), theta);
  EXPECT_TRUE(check.passes(1e-8)) << check.relative_error;
}

TEST(Mlp, ForwardComposesTheLayersByHand) {
  mlc::Rng rng(22);
  mb::Mlp net = mb::make_mlp({2, 3, 2}, mb::Activation::tanh, rng);
  const MatrixXd X = rng.normal_matrix(4, 2);
  const auto& l0 = net.layers[0];
  const auto& l1 = net.layers[1];
  const MatrixXd H = ((X * l0.W).rowwise() + l0.b.transpose()).array().tanh().matrix();
  const MatrixXd expected = (H * l1.W).rowwise() + l1.b.transpose();
  EXPECT_ALLCLOSE(net.forward(X), expected, 1e-14);
  EXPECT_EQ(net.num_parameters(), 2 * 3 + 3 + 3 * 2 + 2);
}

TEST(MakeMlp, HeAndGlorotVariancesAndZeroBiases) {
  mlc::Rng rng(23);
  const mb::Mlp relu = mb::make_mlp({400, 300, 10}, mb::Activation::relu, rng);
  const mb::Mlp tanh = mb::make_mlp({400, 300, 10}, mb::Activation::tanh, rng);
  // 120 000 draws: the sample variance's relative standard error is √(2/120000) ≈ 0.004,
  // so a 3 % band is over 7 standard errors wide.
  EXPECT_NEAR(relu.layers[0].W.squaredNorm() / 120000.0 / (2.0 / 400.0), 1.0, 0.03);
  EXPECT_NEAR(tanh.layers[0].W.squaredNorm() / 120000.0 / (2.0 / 700.0), 1.0, 0.03);
  EXPECT_NEAR(std::abs(relu.layers[0].W.mean()), 0.0, 5.0 * std::sqrt(2.0 / 400.0 / 120000.0));
  EXPECT_EQ(relu.layers[1].W.rows(), 300);
  EXPECT_EQ(relu.layers[1].W.cols(), 10);
  for (const auto& l : relu.layers) EXPECT_EQ(l.b.cwiseAbs().maxCoeff(), 0.0);
  mlc::Rng a(7), b(7);
  EXPECT_ALLCLOSE(mb::flatten_parameters(mb::make_mlp({3, 4, 2}, mb::Activation::relu, a)),
                  mb::flatten_parameters(mb::make_mlp({3, 4, 2}, mb::Activation::relu, b)), 0.0);
}

TEST(Parameters, FlattenAndUnflattenRoundTrip) {
  mlc::Rng rng(24);
  mb::Mlp net = mb::make_mlp({3, 4, 2}, mb::Activation::relu, rng);
  const VectorXd theta = rng.normal_vector(net.num_parameters());
  mb::unflatten_parameters(net, theta);
  EXPECT_ALLCLOSE(mb::flatten_parameters(net), theta, 0.0);
  EXPECT_EQ(net.layers[0].W(1, 0), theta(1));  // column-major W first
  EXPECT_EQ(net.layers[0].b(0), theta(12));
  EXPECT_THROW(mb::unflatten_parameters(net, VectorXd::Zero(3)), std::invalid_argument);
}

// ---- 3. Training ---------------------------------------------------------------------------

TEST(Training, SgdStepMovesAgainstTheGradient) {
  mlc::Rng rng(25);
  mb::Mlp net = mb::make_mlp({2, 3, 2}, mb::Activation::tanh, rng);
  const MatrixXd X = rng.normal_matrix(5, 2);
  const VectorXi y = random_labels(5, 2, rng);
  net.loss_and_backward(X, y);
  const VectorXd before = mb::flatten_parameters(net), g = mb::flatten_gradients(net);
  mb::sgd_step(net, 0.3);
  EXPECT_ALLCLOSE(mb::flatten_parameters(net), before - 0.3 * g, 1e-15);
}

TEST(Training, LinearNetworkConvergesToTheLeastSquaresSolution) {
  // No hidden layer + squared error is linear least squares; its minimiser from Eigen's QR
  // of [X 1] is an independent reference. With and without heavy-ball momentum.
  mlc::Rng rng(26);
  const MatrixXd X = rng.normal_matrix(50, 3);
  const MatrixXd Y = X * rng.normal_matrix(3, 2) + rng.normal_matrix(50, 2, 0.0, 0.1);
  MatrixXd A(50, 4);
  A << X, VectorXd::Ones(50);
  const MatrixXd coef = A.colPivHouseholderQr().solve(Y);  // [W; bᵀ]   4 × 2
  for (const double momentum : {0.0, 0.9}) {
    mb::Mlp net = mb::make_mlp({3, 2}, mb::Activation::identity, rng);
    const auto trace = mb::train_regressor(
        net, X, Y, {.epochs = 3000, .learning_rate = 0.1, .momentum = momentum}, rng);
    EXPECT_FALSE(trace.diverged);
    EXPECT_ALLCLOSE(net.layers[0].W, coef.topRows(3), 1e-9);
    EXPECT_ALLCLOSE(net.layers[0].b, coef.row(3).transpose(), 1e-9);
  }
}

TEST(Training, FullBatchGradientDescentWithASmallStepDecreasesTheLoss) {
  mlc::Rng rng(27);
  const MatrixXd X = rng.normal_matrix(40, 2);
  VectorXi y(40);
  for (Index i = 0; i < 40; ++i) y(i) = X(i, 0) * X(i, 1) > 0 ? 1 : 0;
  mb::Mlp net = mb::make_mlp({2, 8, 2}, mb::Activation::tanh, rng);
  const auto trace = mb::train_classifier(net, X, y, {.epochs = 300, .learning_rate = 0.2}, rng);
  ASSERT_EQ(trace.loss.size(), 300u);
  for (std::size_t k = 1; k < trace.loss.size(); ++k) EXPECT_LE(trace.loss[k], trace.loss[k - 1]);
  EXPECT_LT(trace.loss.back(), 0.8 * trace.loss.front());
}

TEST(Training, MiniBatchSgdIsReproducibleForAFixedSeed) {
  mlc::Rng data_rng(28);
  const MatrixXd X = data_rng.normal_matrix(30, 2);
  const VectorXi y = random_labels(30, 3, data_rng);
  VectorXd result[2];
  for (int r = 0; r < 2; ++r) {
    mlc::Rng rng(29);
    mb::Mlp net = mb::make_mlp({2, 6, 3}, mb::Activation::relu, rng);
    mb::train_classifier(
        net, X, y, {.epochs = 5, .learning_rate = 0.1, .momentum = 0.5, .batch_size = 7}, rng);
    result[r] = mb::flatten_parameters(net);
  }
  EXPECT_ALLCLOSE(result[0], result[1], 0.0);
}

TEST(Training, SolvesXorWithThreeTanhUnits) {
  const Xor data;
  mlc::Rng rng(30);
  mb::Mlp net = mb::make_mlp({2, 3, 2}, mb::Activation::tanh, rng);
  EXPECT_EQ(train_xor(net, data), 1.0);
}

// ---- 4. Universal approximation: the constructive relu network -----------------------------

TEST(ReluInterpolant, EqualsThePiecewiseLinearInterpolant) {
  VectorXd knots(4), values(4);
  knots << -1.0, 0.0, 0.5, 2.0;
  values << 1.0, -1.0, 2.0, 0.5;
  mb::Mlp net = mb::relu_interpolant(knots, values);
  EXPECT_EQ(net.layers[0].d_out(), 3);
  MatrixXd x(6, 1);
  x << -1.0, -0.5, 0.0, 0.25, 0.5, 2.0;
  VectorXd expected(6);
  expected << 1.0, 0.0, -1.0, 0.5, 2.0, 0.5;  // values at knots, midpoints linear
  EXPECT_ALLCLOSE(net.forward(x), expected, 1e-14);
}

TEST(ReluInterpolant, ErrorOnASmoothFunctionFallsLikeTheSquareOfTheWidth) {
  // Linear interpolation with spacing Δ has error ≤ Δ² max|f''| / 8: doubling the number of
  // units divides the maximum error by about 4.
  auto max_error = [](Index units) {
    const VectorXd knots = VectorXd::LinSpaced(units + 1, -std::numbers::pi, std::numbers::pi);
    mb::Mlp net = mb::relu_interpolant(knots, knots.array().sin().matrix());
    const MatrixXd x = VectorXd::LinSpaced(2001, -std::numbers::pi, std::numbers::pi);
    return (net.forward(x).col(0) - x.col(0).array().sin().matrix()).cwiseAbs().maxCoeff();
  };
  const double e16 = max_error(16), e32 = max_error(32);
  EXPECT_LE(e16, std::pow(2.0 * std::numbers::pi / 16.0, 2) / 8.0);
  EXPECT_NEAR(e16 / e32, 4.0, 0.2);
}

// ---- 5. Failure modes ----------------------------------------------------------------------

TEST(FailureModes, SymmetricInitializationKeepsHiddenUnitsIdentical) {
  const Xor data;
  for (const double c : {0.0, 0.5}) {
    mlc::Rng rng(31);
    mb::Mlp net = mb::make_mlp({2, 8, 2}, mb::Activation::tanh, rng);
    for (auto& layer : net.layers) layer.W.setConstant(c);
    const double acc = train_xor(net, data);
    EXPECT_LT(mb::unit_spread(net.layers[0]), 1e-12) << "c = " << c;
    EXPECT_LE(acc, 0.75) << "c = " << c;  // eight copies of one unit cannot separate XOR
  }
  mlc::Rng rng(31);
  mb::Mlp random = mb::make_mlp({2, 8, 2}, mb::Activation::tanh, rng);
  EXPECT_EQ(train_xor(random, data), 1.0);
  EXPECT_GT(mb::unit_spread(random.layers[0]), 0.5);
}

TEST(FailureModes, ALinearModelCannotSolveXor) {
  const Xor data;
  mlc::Rng rng(32);
  mb::Mlp linear = mb::make_mlp({2, 2}, mb::Activation::relu, rng);
  mlc::Rng unused(0);
  const auto trace =
      mb::train_classifier(linear, data.X, data.y, {.epochs = 3000, .learning_rate = 0.5}, unused);
  // By symmetry the optimum is zero weights: every probability 1/2, loss log 2.
  EXPECT_NEAR(trace.loss.back(), std::log(2.0), 1e-6);
  EXPECT_LE(mb::accuracy(linear, data.X, data.y), 0.75);
}

TEST(FailureModes, XorWithTwoHiddenUnitsGetsStuckForSomeSeedsButNotWithFour) {
  const Xor data;
  int failures2 = 0, failures4 = 0;
  for (std::uint64_t s = 0; s < 20; ++s) {
    mlc::Rng r2 = mlc::Rng(42).derive(s), r4 = mlc::Rng(43).derive(s);
    mb::Mlp two = mb::make_mlp({2, 2, 2}, mb::Activation::tanh, r2);
    mb::Mlp four = mb::make_mlp({2, 4, 2}, mb::Activation::tanh, r4);
    failures2 += train_xor(two, data) < 1.0;
    failures4 += train_xor(four, data) < 1.0;
  }
  EXPECT_GE(failures2, 1);
  EXPECT_EQ(failures4, 0);
}

TEST(FailureModes, TooLargeALearningRateDivergesAndASmallerOneDoesNot) {
  const MatrixXd x = VectorXd::LinSpaced(100, -std::numbers::pi, std::numbers::pi);
  const MatrixXd y = (2.0 * x.array()).sin().matrix();
  for (const double lr : {0.1, 1.0}) {
    mlc::Rng rng(33);
    mb::Mlp net = mb::make_mlp({1, 16, 1}, mb::Activation::tanh, rng);
    const auto trace = mb::train_regressor(net, x, y, {.epochs = 500, .learning_rate = lr}, rng);
    EXPECT_EQ(trace.diverged, lr > 0.5) << "lr " << lr;
    if (!trace.diverged) {
      EXPECT_LT(trace.loss.back(), trace.loss.front());
    }
  }
}

// ---- 6. Bad input --------------------------------------------------------------------------

TEST(Inputs, RejectsBadShapesSizesAndLabels) {
  mlc::Rng rng(34);
  EXPECT_THROW(mb::make_mlp({3}, mb::Activation::relu, rng), std::invalid_argument);
  EXPECT_THROW(mb::make_mlp({3, 0, 2}, mb::Activation::relu, rng), std::invalid_argument);
  mb::Mlp net = mb::make_mlp({3, 4, 2}, mb::Activation::relu, rng);
  EXPECT_THROW(net.forward(MatrixXd::Zero(5, 2)), std::invalid_argument);
  VectorXi bad(5);
  bad << 0, 1, 2, 0, 1;  // label 2 with k = 2
  EXPECT_THROW(net.loss_and_backward(MatrixXd::Zero(5, 3), bad), std::invalid_argument);
  EXPECT_THROW(net.loss_and_backward(MatrixXd::Zero(4, 3), VectorXi::Zero(5)),
               std::invalid_argument);
  net.forward(MatrixXd::Zero(5, 3));
  EXPECT_THROW(net.backward(MatrixXd::Zero(4, 2)), std::invalid_argument);
  EXPECT_THROW(mb::train_classifier(net, MatrixXd::Zero(5, 3), VectorXi::Zero(5),
                                    {.learning_rate = -1.0}, rng),
               std::invalid_argument);
  EXPECT_THROW(mb::relu_interpolant(VectorXd::Zero(3), VectorXd::Zero(3)), std::invalid_argument);
}

// ---- 7. The program ------------------------------------------------------------------------

TEST(Program, QuickRunReportsTheFailureModesItClaims) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_LT(m.at("gradcheck.max_relative_error"), 1e-6);
  EXPECT_NEAR(m.at("xor.linear.final_loss"), std::log(2.0), 1e-4);
  EXPECT_LE(m.at("xor.linear.best_accuracy"), 0.75);
  EXPECT_EQ(m.at("xor.width_1.failure_fraction"), 1.0);
  EXPECT_EQ(m.at("xor.width_4.failure_fraction"), 0.0);
  ASSERT_GT(m.at("xor.width_2.failure_fraction"), 0.0);
  EXPECT_NEAR(m.at("xor.width_2.stuck_loss"), std::log(2.0) / 2.0, 0.01);  // two points at 1/2
  EXPECT_GE(m.at("xor.width_2.stuck_undecided_points"), 1.0);
  EXPECT_EQ(m.at("symmetry.constant.spread_after"), 0.0);
  EXPECT_LE(m.at("symmetry.constant.accuracy"), 0.75);
  EXPECT_EQ(m.at("symmetry.random.accuracy"), 1.0);
  EXPECT_GT(m.at("spirals.width_32.test_accuracy"), m.at("spirals.width_2.test_accuracy") + 0.2);
  EXPECT_LT(m.at("fit.width_16.best_mse"), 0.25 * m.at("fit.width_1.best_mse"));
  EXPECT_EQ(m.at("learning_rate.eta_3.diverged"), 1.0);
  EXPECT_EQ(m.at("learning_rate.eta_0.01.diverged"), 0.0);
  EXPECT_GT(m.at("digits.mlp.test_accuracy"), 0.85);
}
