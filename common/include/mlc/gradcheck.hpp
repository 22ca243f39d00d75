// mlc/gradcheck.hpp: checking hand-written gradients against central differences.
//
// Central difference (error O(h^2) from truncation plus O(eps |f| / h) from rounding):
//   dF/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)
// The analytic gradient a is compared with the numerical one n norm-wise:
//   relative error = ||a - n||_2 / max(||a||_2 + ||n||_2, tiny)        tiny = DBL_MIN
// It lies in [0, 1] (1 when a = -n), is 0 when both are exactly zero, and does not change
// when f is scaled by any factor, so a correct gradient passes whatever its scale and
// however small some of its entries are next to the largest. A per-component relative
// error does not: central differences put an absolute rounding error of about
// eps |f| / h ≈ 1e-10 into every entry, which is a large relative error on an entry of
// 1e-6. For a smooth function in double precision, h = 1e-6 gives a norm-wise error
// around 1e-9 to 1e-11; a wrong derivative gives errors far above 1e-6 unless it is wrong
// only in entries below about 1e-6 of the gradient's norm.
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
  double relative_error = 0.0;      // the norm-wise error above; +inf for NaN
  double error_norm = 0.0;          // ||a - n||_2; +inf for NaN
  double max_absolute_error = 0.0;  // max_i |a_i - n_i|
  Eigen::Index worst_index = -1;    // the i of max_absolute_error (-1 when all agree)
  Eigen::VectorXd numerical;        // n
  // relative_error <= tolerance, or ||a - n|| <= absolute_tolerance: the second for a
  // gradient whose own computation is only accurate in absolute terms (e.g. sigmoid(z) - y,
  // a difference of numbers in [0, 1], near 0); the caller states why.
  bool passes(double tolerance = 1e-6, double absolute_tolerance = 0.0) const {
    return relative_error <= tolerance || error_norm <= absolute_tolerance;
  }
};

GradCheckResult gradcheck(const ScalarFunction& f, const Eigen::VectorXd& analytic_gradient,
                          const Eigen::VectorXd& x, double h = 1e-6);

// The same for a loss of a matrix parameter W (e.g. a weight matrix): f(W) and dF/dW.
using MatrixFunction = std::function<double(const Eigen::MatrixXd&)>;
GradCheckResult gradcheck(const MatrixFunction& f, const Eigen::MatrixXd& analytic_gradient,
                          const Eigen::MatrixXd& W, double h = 1e-6);

// Largest per-entry relative error |a_ij - b_ij| / max(|a_ij|, |b_ij|, floor), for
// comparing arrays entry by entry (e.g. a Hessian against numerical_jacobian of the
// gradient) with a floor chosen for their scale.
double max_relative_error(const Eigen::Ref<const Eigen::MatrixXd>& a,
                          const Eigen::Ref<const Eigen::MatrixXd>& b, double floor = 1e-8);

}  // namespace mlc
