// Tests of the gradient checker (mlc/gradcheck.hpp).
#include "mlc/gradcheck.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "mlc/testing.hpp"

namespace {

TEST(GradCheck, AcceptsTheGradientOfAQuadratic) {
  Eigen::MatrixXd A(2, 2);
  A << 3, 1, 1, 2;
  auto f = [&](const Eigen::VectorXd& x) { return 0.5 * x.dot(A * x); };
  Eigen::VectorXd x(2);
  x << 0.3, -1.2;
  auto r = mlc::gradcheck(f, A * x, x);
  EXPECT_TRUE(r.passes(1e-7)) << r.relative_error;
}

TEST(GradCheck, RejectsAWrongGradientAndNamesTheComponent) {
  auto f = [](const Eigen::VectorXd& x) { return std::sin(x(0)) + x(1) * x(1); };
  Eigen::VectorXd x(2);
  x << 0.5, 2.0;
  Eigen::VectorXd wrong(2);
  wrong << std::cos(0.5), 2.0;  // d/dx1 should be 4
  auto r = mlc::gradcheck(f, wrong, x);
  EXPECT_FALSE(r.passes(1e-3));
  EXPECT_EQ(r.worst_index, 1);
  EXPECT_NEAR(r.numerical(1), 4.0, 1e-6);
}

TEST(GradCheck, MatrixOverloadChecksEveryEntry) {
  Eigen::MatrixXd X(3, 2);
  X << 1, 2, 3, 4, 5, 6;
  // f(W) = ||X W||_F^2 / 2, dF/dW = Xᵀ X W.
  auto f = [&](const Eigen::MatrixXd& W) { return 0.5 * (X * W).squaredNorm(); };
  Eigen::MatrixXd W(2, 2);
  W << 0.1, -0.2, 0.3, 0.4;
  EXPECT_TRUE(mlc::gradcheck(f, X.transpose() * X * W, W).passes(1e-7));
}

// log-sum-exp at a point where one softmax probability is about 1e-7: its derivative, the
// softmax, has entries far below the largest, and central differences carry an absolute
// rounding error of about eps |f| / h ≈ 1e-10 in every entry. A per-component relative
// error reads 1e-3 on the smallest entry of this correct gradient; the norm-wise error
// (gradcheck.hpp) stays near 1e-10 whatever the gradient's scale.
TEST(GradCheck, AcceptsACorrectGradientWithSmallEntriesAtAnyScale) {
  Eigen::VectorXd x(4);
  x << 0.3, -1.2, 0.8, -16.0;
  for (double scale : {1e-6, 1.0, 1e6}) {
    auto f = [scale](const Eigen::VectorXd& v) { return scale * std::log(v.array().exp().sum()); };
    const Eigen::VectorXd softmax = x.array().exp() / x.array().exp().sum();
    const Eigen::VectorXd right = scale * softmax;
    const auto r = mlc::gradcheck(f, right, x);
    EXPECT_TRUE(r.passes(1e-7)) << "scale " << scale << ": " << r.relative_error;
    Eigen::VectorXd wrong = right;
    wrong(1) *= 1.01;  // one entry 1 % off
    const auto w = mlc::gradcheck(f, wrong, x);
    EXPECT_FALSE(w.passes(1e-6)) << "scale " << scale << ": " << w.relative_error;
    EXPECT_EQ(w.worst_index, 1);
  }
}

TEST(GradCheck, AZeroGradientMatchesExactlyAndASignFlipIsTheWorstCase) {
  auto f = [](const Eigen::VectorXd& v) { return v.squaredNorm(); };
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(3);
  EXPECT_EQ(mlc::gradcheck(f, zero, zero).relative_error, 0.0);
  Eigen::VectorXd x(3);
  x << 1.0, -2.0, 0.5;
  // -g against g: ||2g|| / (2 ||g||) = 1, the largest value the measure takes.
  EXPECT_NEAR(mlc::gradcheck(f, -2.0 * x, x).relative_error, 1.0, 1e-9);
}

// sigmoid(50) - 1 rounds to 0 (true value -1.9e-22): relative error 1, absolute 1.9e-22.
// Only an explicit absolute tolerance accepts it; a NaN gradient passes neither.
TEST(GradCheck, AbsoluteToleranceIsOptInAndNaNAlwaysFails) {
  auto f = [](const Eigen::VectorXd& v) { return std::log1p(std::exp(-v(0))); };
  const Eigen::VectorXd x = Eigen::VectorXd::Constant(1, 50.0);
  const Eigen::VectorXd rounded = Eigen::VectorXd::Constant(1, 1.0 / (1.0 + std::exp(-50.0)) - 1.0);
  const auto r = mlc::gradcheck(f, rounded, x);
  EXPECT_FALSE(r.passes(1e-6));
  EXPECT_TRUE(r.passes(1e-6, 1e-15)) << r.error_norm;
  const auto n = mlc::gradcheck(f, Eigen::VectorXd::Constant(1, NAN), x);
  EXPECT_FALSE(n.passes(1e-6, 1e-15));
}

TEST(GradCheck, JacobianOfALinearMapIsTheMatrix) {
  Eigen::MatrixXd A(3, 2);
  A << 1, 2, 3, 4, 5, 6;
  auto f = [&](const Eigen::VectorXd& x) -> Eigen::VectorXd { return A * x; };
  EXPECT_ALLCLOSE(mlc::numerical_jacobian(f, Eigen::VectorXd::Ones(2)), A, 1e-8);
}

}  // namespace
