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
  EXPECT_TRUE(r.passes(1e-7)) << r.max_relative_error;
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

TEST(GradCheck, JacobianOfALinearMapIsTheMatrix) {
  Eigen::MatrixXd A(3, 2);
  A << 1, 2, 3, 4, 5, 6;
  auto f = [&](const Eigen::VectorXd& x) -> Eigen::VectorXd { return A * x; };
  EXPECT_ALLCLOSE(mlc::numerical_jacobian(f, Eigen::VectorXd::Ones(2)), A, 1e-8);
}

}  // namespace
