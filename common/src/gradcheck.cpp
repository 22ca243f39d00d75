// Central-difference gradient checks (mlc/gradcheck.hpp).
#include "mlc/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mlc/error.hpp"

namespace mlc {

Eigen::VectorXd numerical_gradient(const ScalarFunction& f, const Eigen::VectorXd& x, double h) {
  Eigen::VectorXd g(x.size());
  Eigen::VectorXd xp = x;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double xi = x(i);
    xp(i) = xi + h;
    const double fp = f(xp);
    xp(i) = xi - h;
    const double fm = f(xp);
    xp(i) = xi;
    g(i) = (fp - fm) / (2.0 * h);
  }
  return g;
}

Eigen::MatrixXd numerical_jacobian(const VectorFunction& f, const Eigen::VectorXd& x, double h) {
  const Eigen::VectorXd f0 = f(x);
  Eigen::MatrixXd J(f0.size(), x.size());
  Eigen::VectorXd xp = x;
  for (Eigen::Index j = 0; j < x.size(); ++j) {
    const double xj = x(j);
    xp(j) = xj + h;
    const Eigen::VectorXd fp = f(xp);
    xp(j) = xj - h;
    const Eigen::VectorXd fm = f(xp);
    xp(j) = xj;
    require(fp.size() == f0.size() && fm.size() == f0.size(), "numerical_jacobian",
            "f changed its output size");
    J.col(j) = (fp - fm) / (2.0 * h);
  }
  return J;
}

double max_relative_error(const Eigen::Ref<const Eigen::MatrixXd>& a,
                          const Eigen::Ref<const Eigen::MatrixXd>& b, double floor) {
  require(a.rows() == b.rows() && a.cols() == b.cols(), "max_relative_error", "shapes differ");
  double worst = 0.0;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const double denom = std::max({std::abs(a(i, j)), std::abs(b(i, j)), floor});
      const double e = std::abs(a(i, j) - b(i, j)) / denom;
      if (!(e <= worst)) worst = e;  // NaN propagates as a failure
    }
  return worst;
}

GradCheckResult gradcheck(const ScalarFunction& f, const Eigen::VectorXd& analytic_gradient,
                          const Eigen::VectorXd& x, double h) {
  require(analytic_gradient.size() == x.size(), "gradcheck",
          "the analytic gradient has " + std::to_string(analytic_gradient.size()) +
              " entries but x has " + std::to_string(x.size()));
  GradCheckResult result;
  result.numerical = numerical_gradient(f, x, h);
  const Eigen::VectorXd difference = analytic_gradient - result.numerical;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double abs_err = std::abs(difference(i));
    if (!(abs_err <= result.max_absolute_error)) {  // NaN propagates as a failure
      result.max_absolute_error = std::isnan(abs_err) ? INFINITY : abs_err;
      result.worst_index = i;
    }
  }
  // ||a - n|| / max(||a|| + ||n||, tiny): scale-free, in [0, 1] (gradcheck.hpp).
  const double scale = analytic_gradient.norm() + result.numerical.norm();
  const double norm = difference.norm();
  const double e = norm / std::max(scale, std::numeric_limits<double>::min());
  result.error_norm = std::isnan(norm) ? INFINITY : norm;
  result.relative_error = std::isnan(e) ? INFINITY : e;
  return result;
}

GradCheckResult gradcheck(const MatrixFunction& f, const Eigen::MatrixXd& analytic_gradient,
                          const Eigen::MatrixXd& W, double h) {
  require(analytic_gradient.rows() == W.rows() && analytic_gradient.cols() == W.cols(), "gradcheck",
          "the analytic gradient and W have different shapes");
  const Eigen::Index rows = W.rows(), cols = W.cols();
  auto as_matrix = [rows, cols](const Eigen::VectorXd& v) {
    return Eigen::Map<const Eigen::MatrixXd>(v.data(), rows, cols).eval();
  };
  ScalarFunction flat = [&](const Eigen::VectorXd& v) { return f(as_matrix(v)); };
  const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(W.data(), W.size());
  const Eigen::VectorXd g = Eigen::Map<const Eigen::VectorXd>(analytic_gradient.data(), W.size());
  return gradcheck(flat, g, x, h);
}

}  // namespace mlc
