// mlc/gradcheck.hpp: checking hand-written gradients against central differences.
//
// Central difference (error O(h^2) from truncation plus O(eps/h) from rounding):
//   dF/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)
// The relative error of component i is |a_i - n_i| / max(|a_i|, |n_i|, floor): with
// floor = 1e-8 a component that is zero in both is compared absolutely. For a smooth
// function in double precision, h = 1e-6 gives a relative error around 1e-8 to 1e-10; a
// wrong derivative gives errors of order one.
#pragma once

#include <functional>

#include <Eigen/Core>

namespace mlc {

using ScalarFunction = std::function<double(const Eigen::VectorXd&)>;
using VectorFunction = std::function<Eigen::VectorXd(const Eigen::VectorXd&)>;

Eigen::VectorXd numerical_gradient(const ScalarFunction& f, const Eigen::VectorXd& x,
                                   double h = 1e-6);
// m × n Jacobian of f: R^n -> R^m by central differences.
Eigen::MatrixXd numerical_jacobian(const VectorFunction& f, const Eigen::VectorXd& x,
                                   double h = 1e-6);

struct GradCheckResult {
  double max_relative_error = 0.0;
  double max_absolute_error = 0.0;
  Eigen::Index worst_index = -1;
  Eigen::VectorXd numerical;
  bool passes(double tolerance = 1e-6) const { return max_relative_error <= tolerance; }
};

GradCheckResult gradcheck(const ScalarFunction& f, const Eigen::VectorXd& analytic_gradient,
                          const Eigen::VectorXd& x, double h = 1e-6, double floor = 1e-8);

// The same for a loss of a matrix parameter W (e.g. a weight matrix): f(W) and dF/dW.
using MatrixFunction = std::function<double(const Eigen::MatrixXd&)>;
GradCheckResult gradcheck(const MatrixFunction& f, const Eigen::MatrixXd& analytic_gradient,
                          const Eigen::MatrixXd& W, double h = 1e-6, double floor = 1e-8);

// Relative error between two arrays as used above (max over entries).
double max_relative_error(const Eigen::Ref<const Eigen::MatrixXd>& a,
                          const Eigen::Ref<const Eigen::MatrixXd>& b, double floor = 1e-8);

}  // namespace mlc
