// Tests of lesson 1.3: forward mode = reverse mode = closed form (to ~1e-12) on four
// losses; every hand-derived gradient against mlc::gradcheck; the cost of each mode as an
// exact operation count; and each failure mode of the report, reproduced on small cases.
#include "automatic_differentiation.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"

namespace ad = automatic_differentiation;

namespace {

// Small fixed problems (seeded) shared by the loss tests.
struct Problems {
  Eigen::MatrixXd X;        // 12 × 3
  Eigen::VectorXd y01;      // {0, 1} labels
  Eigen::VectorXi y3;       // {0, 1, 2} labels
  Eigen::VectorXd yreal;    // regression targets
  Problems() {
    mlc::Rng rng(7);
    X = rng.normal_matrix(12, 3);
    y01.resize(12);
    y3.resize(12);
    yreal = rng.normal_vector(12);
    for (int i = 0; i < 12; ++i) {
      y01(i) = rng.bernoulli(0.5) ? 1.0 : 0.0;
      y3(i) = static_cast<int>(rng.index(3));
    }
  }
};

// max_i |a_i - b_i| / max(|b|_inf, 1): the agreement of two gradients.
double scaled_difference(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

// ---- 1. Correctness against hand-computed derivatives ---------------------------------

TEST(DualNumbers, ElementaryDerivativesMatchCalculus) {
  const double a = 0.7, b = -1.3;
  const ad::Dual x(a, 1.0), c(b, 0.0);
  EXPECT_DOUBLE_EQ((x * c).deriv, b);
  EXPECT_DOUBLE_EQ((x * x).deriv, 2 * a);
  EXPECT_NEAR((c / x).deriv, -b / (a * a), 1e-15);
  EXPECT_NEAR(ad::exp(x).deriv, std::exp(a), 1e-15);
  EXPECT_NEAR(ad::log(x).deriv, 1 / a, 1e-15);
  EXPECT_NEAR(ad::sin(x).deriv, std::cos(a), 1e-15);
  EXPECT_NEAR(ad::cos(x).deriv, -std::sin(a), 1e-15);
  EXPECT_NEAR(ad::tanh(x).deriv, 1 - std::tanh(a) * std::tanh(a), 1e-15);
  EXPECT_NEAR(ad::sqrt(x).deriv, 0.5 / std::sqrt(a), 1e-15);
  EXPECT_NEAR(ad::softplus(x).deriv, 1 / (1 + std::exp(-a)), 1e-15);
  EXPECT_NEAR(ad::tanh(x).value, std::tanh(a), 1e-15);
}

TEST(DualNumbers, ChainRuleThroughAComposition) {
  // f(x) = tanh(x² sin x), f'(x) = (1 - f²)(2x sin x + x² cos x)
  const double a = 1.1;
  const ad::Dual x(a, 1.0);
  const ad::Dual f = ad::tanh(x * x * ad::sin(x));
  const double t = std::tanh(a * a * std::sin(a));
  EXPECT_NEAR(f.deriv, (1 - t * t) * (2 * a * std::sin(a) + a * a * std::cos(a)), 1e-14);
}

TEST(Tape, RecordsParentsAndLocalPartials) {
  ad::Tape tape;
  const ad::Var x = tape.variable(2.0), y = tape.variable(3.0);
  const ad::Var z = x * y;        // node 2: parents 0, 1 with partials y, x
  const ad::Var w = ad::sin(x);   // node 3: parent 0 with partial cos x
  const ad::Var out = z + w;      // node 4: parents 2, 3 with partials 1, 1
  ASSERT_EQ(tape.size(), 5);
  const auto& n = tape.nodes();
  EXPECT_EQ(n[2].parent[0], 0);
  EXPECT_EQ(n[2].parent[1], 1);
  EXPECT_DOUBLE_EQ(n[2].partial[0], 3.0);
  EXPECT_DOUBLE_EQ(n[2].partial[1], 2.0);
  EXPECT_EQ(n[3].parent[1], -1);
  EXPECT_DOUBLE_EQ(n[3].partial[0], std::cos(2.0));
  EXPECT_DOUBLE_EQ(out.value, 6.0 + std::sin(2.0));
}

TEST(Tape, BackwardMatchesHandComputedSmallCase) {
  // f(x, y) = x y + sin x: ∂f/∂x = y + cos x, ∂f/∂y = x.
  ad::Tape tape;
  const ad::Var x = tape.variable(2.0), y = tape.variable(3.0);
  const Eigen::VectorXd adj = tape.backward(x * y + ad::sin(x));
  EXPECT_NEAR(adj(0), 3.0 + std::cos(2.0), 1e-15);
  EXPECT_NEAR(adj(1), 2.0, 1e-15);
}

TEST(Tape, FanOutAccumulatesAdjoints) {
  // x is used by three nodes: f = (x x) x + x, f' = 3x² + 1.
  ad::Tape tape;
  const ad::Var x = tape.variable(1.5);
  const Eigen::VectorXd adj = tape.backward(x * x * x + x);
  EXPECT_NEAR(adj(0), 3 * 1.5 * 1.5 + 1, 1e-14);
}

TEST(Tape, OperandsOnTwoTapesAreRejected) {
  ad::Tape t1, t2;
  const ad::Var a = t1.variable(1.0), b = t2.variable(2.0);
  EXPECT_THROW(a + b, std::invalid_argument);
  EXPECT_THROW(t2.backward(a), std::invalid_argument);
}

TEST(Losses, GenericLossesEqualTheirDoubleEvaluation) {
  Problems p;
  mlc::Rng rng(3);
  const Eigen::VectorXd th = rng.normal_vector(4);
  const double v = ad::logistic_loss(ad::to_std(th), p.X, p.y01);
  EXPECT_NEAR(ad::gradient_forward([&](const auto& t) { return ad::logistic_loss(t, p.X, p.y01); }, th).value, v, 1e-15);
  EXPECT_NEAR(ad::gradient_reverse([&](const auto& t) { return ad::logistic_loss(t, p.X, p.y01); }, th).value, v, 1e-15);
  // Independent closed form of the loss: mean of log(1 + e^z) - y z.
  const Eigen::VectorXd z = (p.X * th.tail(3)).array() + th(0);
  const double ref = ((1 + z.array().exp()).log() - p.y01.array() * z.array()).mean();
  EXPECT_NEAR(v, ref, 1e-14);
}

// Forward = reverse = closed form on each loss.
void expect_three_way_agreement(const ad::GradientResult& fwd, const ad::GradientResult& rev,
                                const Eigen::VectorXd& closed) {
  EXPECT_LT(scaled_difference(fwd.gradient, closed), 1e-12);
  EXPECT_LT(scaled_difference(rev.gradient, closed), 1e-12);
  EXPECT_LT(scaled_difference(fwd.gradient, rev.gradient), 1e-12);
  EXPECT_DOUBLE_EQ(fwd.value, rev.value);
}

TEST(Losses, LogisticForwardEqualsReverseEqualsClosedForm) {
  Problems p;
  const Eigen::VectorXd th = mlc::Rng(11).normal_vector(4);
  auto f = [&](const auto& t) { return ad::logistic_loss(t, p.X, p.y01); };
  expect_three_way_agreement(ad::gradient_forward(f, th), ad::gradient_reverse(f, th),
                             ad::logistic_loss_gradient(th, p.X, p.y01));
}

TEST(Losses, SoftmaxCrossEntropyForwardEqualsReverseEqualsClosedForm) {
  Problems p;
  const Eigen::VectorXd th = mlc::Rng(12).normal_vector(9);
  auto f = [&](const auto& t) { return ad::softmax_cross_entropy(t, p.X, p.y3, 3); };
  expect_three_way_agreement(ad::gradient_forward(f, th), ad::gradient_reverse(f, th),
                             ad::softmax_cross_entropy_gradient(th, p.X, p.y3, 3));
}

TEST(Losses, TanhNetworkForwardEqualsReverseEqualsBackprop) {
  Problems p;
  const Eigen::Index H = 5;
  const Eigen::VectorXd th = mlc::Rng(13).normal_vector(ad::mlp_parameter_count(3, H));
  auto f = [&](const auto& t) { return ad::mlp_loss(t, p.X, p.yreal, H); };
  expect_three_way_agreement(ad::gradient_forward(f, th), ad::gradient_reverse(f, th),
                             ad::mlp_loss_gradient(th, p.X, p.yreal, H));
}

TEST(Losses, RosenbrockForwardEqualsReverseEqualsClosedForm) {
  const Eigen::VectorXd x = mlc::Rng(14).normal_vector(7);
  auto f = [](const auto& t) { return ad::rosenbrock(t); };
  expect_three_way_agreement(ad::gradient_forward(f, x), ad::gradient_reverse(f, x),
                             ad::rosenbrock_gradient(x));
}

TEST(Losses, RosenbrockGradientVanishesAtTheMinimum) {
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(5);
  auto f = [](const auto& t) { return ad::rosenbrock(t); };
  EXPECT_EQ(ad::gradient_reverse(f, ones).gradient.cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(ad::gradient_reverse(f, ones).value, 0.0);
}

// ---- 2. Every hand-derived gradient against mlc::gradcheck ----------------------------

TEST(Gradcheck, HandDerivedGradientsPassCentralDifferences) {
  Problems p;
  mlc::Rng rng(21);
  const Eigen::VectorXd t1 = rng.normal_vector(4), t2 = rng.normal_vector(9), x = rng.normal_vector(6);
  const Eigen::VectorXd t3 = rng.normal_vector(ad::mlp_parameter_count(3, 4));
  auto r1 = mlc::gradcheck([&](const Eigen::VectorXd& t) { return ad::logistic_loss(ad::to_std(t), p.X, p.y01); },
                           ad::logistic_loss_gradient(t1, p.X, p.y01), t1);
  auto r2 = mlc::gradcheck([&](const Eigen::VectorXd& t) { return ad::softmax_cross_entropy(ad::to_std(t), p.X, p.y3, 3); },
                           ad::softmax_cross_entropy_gradient(t2, p.X, p.y3, 3), t2);
  auto r3 = mlc::gradcheck([&](const Eigen::VectorXd& t) { return ad::mlp_loss(ad::to_std(t), p.X, p.yreal, 4); },
                           ad::mlp_loss_gradient(t3, p.X, p.yreal, 4), t3);
  auto r4 = mlc::gradcheck([&](const Eigen::VectorXd& t) { return ad::rosenbrock(ad::to_std(t)); },
                           ad::rosenbrock_gradient(x), x);
  EXPECT_TRUE(r1.passes(1e-6)) << r1.relative_error;
  EXPECT_TRUE(r2.passes(1e-6)) << r2.relative_error;
  EXPECT_TRUE(r3.passes(1e-6)) << r3.relative_error;
  EXPECT_TRUE(r4.passes(1e-6)) << r4.relative_error;
}

TEST(Gradcheck, CatchesAWrongDualRule) {
  // A deliberately wrong derivative (d tanh = 1 - tanh, missing the square) is caught.
  auto f = [](const Eigen::VectorXd& t) { return std::tanh(t(0)); };
  Eigen::VectorXd x(1);
  x << 0.8;
  Eigen::VectorXd wrong(1);
  wrong << 1 - std::tanh(0.8);
  EXPECT_FALSE(mlc::gradcheck(f, wrong, x).passes(1e-3));
  Eigen::VectorXd right(1);
  right << ad::tanh(ad::Dual(0.8, 1.0)).deriv;
  EXPECT_TRUE(mlc::gradcheck(f, right, x).passes(1e-8));
}

// ---- 3. Properties --------------------------------------------------------------------

TEST(ForwardMode, DirectionalDerivativeIsGradientDotDirection) {
  Problems p;
  mlc::Rng rng(31);
  const Eigen::VectorXd th = rng.normal_vector(ad::mlp_parameter_count(3, 4)), v = rng.normal_vector(th.size());
  auto f = [&](const auto& t) { return ad::mlp_loss(t, p.X, p.yreal, 4); };
  EXPECT_NEAR(ad::directional_derivative(f, th, v), ad::mlp_loss_gradient(th, p.X, p.yreal, 4).dot(v), 1e-13);
}

TEST(Cost, ForwardModeCostsNSweepsReverseModeTwo) {
  // One evaluation of Rosenbrock_n executes N_f = 8 (n - 1) - 1 elementary operations:
  // 7 per term (x_i², -, ², ·100, 1 - x_i, ², +) and n - 2 additions into the sum.
  for (int n : {2, 8, 32}) {
    const Eigen::VectorXd x = Eigen::VectorXd::Constant(n, 0.5);
    auto f = [](const auto& t) { return ad::rosenbrock(t); };
    const auto fwd = ad::gradient_forward(f, x);
    const auto rev = ad::gradient_reverse(f, x);
    const auto n_f = static_cast<std::uint64_t>(rev.tape_nodes - n);  // operation nodes
    EXPECT_EQ(n_f, static_cast<std::uint64_t>(8 * (n - 1) - 1));
    EXPECT_EQ(fwd.operations, static_cast<std::uint64_t>(n) * n_f);  // n sweeps of N_f
    EXPECT_EQ(rev.operations, 2 * n_f);                              // record + sweep back
    EXPECT_EQ(fwd.sweeps, n);
    EXPECT_EQ(rev.sweeps, 2);
  }
}

TEST(FiniteDifferences, ForwardIsFirstOrderCentralIsSecondOrder) {
  // In the truncation regime (h from 1e-1 to 1e-3) halving h halves the forward error and
  // quarters the central one; checked through the fitted log-log slope on f = exp at 1.
  auto f = [](double x) { return std::exp(x); };
  Eigen::VectorXd h(9), ef(9), ec(9);
  for (int i = 0; i < 9; ++i) {
    h(i) = std::pow(10.0, -1.0 - 0.25 * i);
    ef(i) = std::abs(ad::forward_difference(f, 1.0, h(i)) - std::exp(1.0));
    ec(i) = std::abs(ad::central_difference(f, 1.0, h(i)) - std::exp(1.0));
  }
  EXPECT_NEAR(ad::log_log_slope(h, ef, 1e-3, 1e-1), 1.0, 0.05);
  EXPECT_NEAR(ad::log_log_slope(h, ec, 1e-3, 1e-1), 2.0, 0.05);
}

TEST(FiniteDifferences, CentralDifferenceIsExactForQuadratics) {
  // f''' = 0: the truncation error of (8) vanishes, only rounding is left.
  auto f = [](double x) { return 3 * x * x - x; };
  EXPECT_NEAR(ad::central_difference(f, 0.25, 0.5), 0.5, 1e-15);
}

TEST(FiniteDifferences, OptimalStepsMatchTheClosedForms) {
  const double u = ad::kUnitRoundoff;
  EXPECT_DOUBLE_EQ(ad::forward_difference_optimal_step(1, 1, u), 2 * std::sqrt(u));
  EXPECT_NEAR(ad::central_difference_optimal_step(1, 1, u), std::cbrt(3 * u), 1e-20);
  // At h*, the two terms of the forward model are equal; the central rounding term is twice
  // its truncation term (d/dh of f3 h²/6 + u f0/h = 0).
  const double hf = ad::forward_difference_optimal_step(2, 3, u);
  const auto mf = ad::forward_difference_error(hf, 2, 3, u);
  EXPECT_NEAR(mf.truncation / mf.rounding, 1.0, 1e-12);
  const double hc = ad::central_difference_optimal_step(2, 3, u);
  const auto mc = ad::central_difference_error(hc, 2, 3, u);
  EXPECT_NEAR(mc.rounding / mc.truncation, 2.0, 1e-12);
}

TEST(FiniteDifferences, GradientAgreesWithReverseModeAtTheOptimalStep) {
  Problems p;
  const Eigen::VectorXd th = mlc::Rng(41).normal_vector(ad::mlp_parameter_count(3, 4));
  auto fd = [&](const Eigen::VectorXd& t) { return ad::mlp_loss(ad::to_std(t), p.X, p.yreal, 4); };
  const Eigen::VectorXd exact = ad::mlp_loss_gradient(th, p.X, p.yreal, 4);
  EXPECT_LT(scaled_difference(ad::finite_difference_gradient(fd, th, 1e-5, ad::Difference::kCentral), exact), 1e-8);
  EXPECT_LT(scaled_difference(ad::finite_difference_gradient(fd, th, 1e-8, ad::Difference::kForward), exact), 1e-6);
}

TEST(FiniteDifferences, RejectNonPositiveSteps) {
  auto f = [](double x) { return x; };
  EXPECT_THROW(ad::central_difference(f, 0.0, 0.0), std::invalid_argument);
  EXPECT_THROW(ad::forward_difference(f, 0.0, -1e-3), std::invalid_argument);
  EXPECT_THROW(ad::gradient_reverse([](const auto& t) { return t[0]; }, Eigen::VectorXd()), std::invalid_argument);
}

// ---- 4. Failure modes of the report ---------------------------------------------------

// Median relative error of a difference formula for f = exp over 31 points x in [-1, 1]
// (f = f' = f'' = f''', so the relative error models (9), (11) do not depend on x).
double median_relative_error(double h, bool central) {
  auto f = [](double x) { return std::exp(x); };
  std::vector<double> e;
  for (int i = 0; i <= 30; ++i) {
    const double x = -1.0 + i / 15.0;
    const double d = central ? ad::central_difference(f, x, h) : ad::forward_difference(f, x, h);
    e.push_back(std::abs(d - std::exp(x)) / std::exp(x));
  }
  std::nth_element(e.begin(), e.begin() + 15, e.end());
  return e[15];
}

TEST(FailureModes, StepTooSmallRoundingDominates) {
  const double u = ad::kUnitRoundoff;
  const double hf = ad::forward_difference_optimal_step(1, 1, u), hc = ad::central_difference_optimal_step(1, 1, u);
  // Below the optimum the error grows as h shrinks: 4 decades below h*, the model's rounding
  // term is 1e4 times larger than at h*; demand at least 100x measured.
  EXPECT_GT(median_relative_error(hf * 1e-4, false), 100 * median_relative_error(hf, false));
  EXPECT_GT(median_relative_error(hc * 1e-4, true), 100 * median_relative_error(hc, true));
  // and it keeps growing: monotone over three decades in the rounding regime.
  EXPECT_GT(median_relative_error(1e-13, true), median_relative_error(1e-11, true));
  EXPECT_GT(median_relative_error(1e-11, true), median_relative_error(1e-9, true));
}

TEST(FailureModes, StepTooLargeTruncationDominates) {
  const double u = ad::kUnitRoundoff;
  const double hf = ad::forward_difference_optimal_step(1, 1, u), hc = ad::central_difference_optimal_step(1, 1, u);
  // At h = 0.1 the truncation models give 0.05 (forward) and 1.7e-3 (central).
  EXPECT_NEAR(median_relative_error(0.1, false), 0.05, 0.01);
  EXPECT_NEAR(median_relative_error(0.1, true), 0.1 * 0.1 / 6, 3e-4);
  EXPECT_GT(median_relative_error(0.1, false), 1e4 * median_relative_error(hf, false));
  EXPECT_GT(median_relative_error(0.1, true), 1e4 * median_relative_error(hc, true));
}

TEST(FailureModes, MeasuredErrorAtTheOptimumIsNearTheModel) {
  // The model's minimum E* is 2 sqrt(u) (forward) and (3u)^(2/3) / 2 (central): the
  // measured median stays within a factor 10 of it (the model bounds the rounding error,
  // typical errors are smaller).
  const double u = ad::kUnitRoundoff;
  const double ef = median_relative_error(ad::forward_difference_optimal_step(1, 1, u), false);
  const double ec = median_relative_error(ad::central_difference_optimal_step(1, 1, u), true);
  EXPECT_LT(ef, 2 * std::sqrt(u));
  EXPECT_GT(ef, 0.1 * 2 * std::sqrt(u));
  EXPECT_LT(ec, 0.5 * std::cbrt(9 * u * u));
  EXPECT_GT(ec, 0.1 * 0.5 * std::cbrt(9 * u * u));
}

TEST(FailureModes, KinksGiveConventionsNotDerivatives) {
  auto abs_f = [](double x) { return std::abs(x); };
  auto relu_f = [](double x) { return x > 0 ? x : 0.0; };
  // AD: the conventions sign(0) = 0 and relu'(0) = 0, in both modes.
  EXPECT_EQ(ad::abs(ad::Dual(0.0, 1.0)).deriv, 0.0);
  EXPECT_EQ(ad::relu(ad::Dual(0.0, 1.0)).deriv, 0.0);
  Eigen::VectorXd zero = Eigen::VectorXd::Zero(1);
  EXPECT_EQ(ad::gradient_reverse([](const auto& t) { return ad::abs(t[0]); }, zero).gradient(0), 0.0);
  EXPECT_EQ(ad::gradient_reverse([](const auto& t) { return ad::relu(t[0]); }, zero).gradient(0), 0.0);
  // Central differences average the one-sided slopes: 0 for |x|, 1/2 for ReLU.
  EXPECT_EQ(ad::central_difference(abs_f, 0.0, 1e-6), 0.0);
  EXPECT_EQ(ad::central_difference(relu_f, 0.0, 1e-6), 0.5);
  // Forward differences return the right derivative: +1 for both.
  EXPECT_EQ(ad::forward_difference(abs_f, 0.0, 1e-6), 1.0);
  EXPECT_EQ(ad::forward_difference(relu_f, 0.0, 1e-6), 1.0);
  // Within h of the kink a central difference interpolates: ReLU at x = h/2 gives 3/4.
  EXPECT_NEAR(ad::central_difference(relu_f, 0.5e-6, 1e-6), 0.75, 1e-9);
}

TEST(FailureModes, AdDifferentiatesTheProgramNotTheFunction) {
  Eigen::VectorXd zero = Eigen::VectorXd::Zero(1);
  // relu(x) - relu(-x) = x, whose derivative is 1 everywhere; AD at 0 returns 0 + 0 = 0.
  auto identity = [](const auto& t) { return ad::relu(t[0]) - ad::relu(-t[0]); };
  EXPECT_EQ(ad::gradient_forward(identity, zero).gradient(0), 0.0);
  EXPECT_EQ(ad::gradient_reverse(identity, zero).gradient(0), 0.0);
  // sqrt(x²) = |x|: at 0 the chain rule gives 0 · inf (reverse) or 0 / 0 (forward) = NaN.
  auto sqrt_sq = [](const auto& t) { return ad::sqrt(t[0] * t[0]); };
  EXPECT_TRUE(std::isnan(ad::gradient_forward(sqrt_sq, zero).gradient(0)));
  EXPECT_TRUE(std::isnan(ad::gradient_reverse(sqrt_sq, zero).gradient(0)));
  // Away from 0 both programs are fine.
  Eigen::VectorXd x(1);
  x << -0.3;
  EXPECT_DOUBLE_EQ(ad::gradient_reverse(identity, x).gradient(0), 1.0);
  EXPECT_DOUBLE_EQ(ad::gradient_reverse(sqrt_sq, x).gradient(0), -1.0);
}

// ---- 5. The program reports what the tests above assert --------------------------------

TEST(Program, QuickRunReportsTheMeasuredFailureModes) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_LT(m.at("agreement.tanh_mlp.forward_vs_reverse"), 1e-12);
  EXPECT_NEAR(m.at("fd.forward.truncation_slope"), 1.0, 0.05);
  EXPECT_NEAR(m.at("fd.central.truncation_slope"), 2.0, 0.05);
  EXPECT_EQ(m.at("kink.relu.central_difference"), 0.5);
  EXPECT_EQ(m.at("kink.abs.ad_reverse"), 0.0);
  EXPECT_TRUE(std::isnan(m.at("kink.sqrt_x_squared.ad_reverse")));  // written as null
  EXPECT_EQ(m.at("cost.rosenbrock.ops_forward_mode[5]"), 64 * m.at("cost.rosenbrock.ops_one_evaluation[5]"));
}

TEST(Program, BadFlagExitsWithUsageError) {
  const auto run = mlc::testing::run_lesson({"--seed", "not-a-number"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
}

}  // namespace
