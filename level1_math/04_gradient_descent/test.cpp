#include <gtest/gtest.h>
#include "gradient_descent.hpp"
TEST(GradientDescent, ArmijoAcceptsUnitStepOnEasyQuadratic) {
  const auto q = gradient_descent::rotated_quadratic_2d(1.0, 1.0, 0.0);
  const Eigen::VectorXd x = Eigen::Vector2d(1.0, 1.0);
  const Eigen::VectorXd g = q.gradient(x);
  const auto ls = gradient_descent::armijo_backtracking([&](const Eigen::VectorXd& v) { return q.value(v); }, x, q.value(x), g, -g);
  EXPECT_TRUE(ls.success);
  EXPECT_EQ(ls.step, 1.0);
}
