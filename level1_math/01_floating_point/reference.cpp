// 1.1 floating_point: exact answers in 50-digit arithmetic (reference.hpp).
#include "reference.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <boost/math/special_functions/expm1.hpp>
#include <boost/math/special_functions/log1p.hpp>

#include "mlc/error.hpp"

namespace floating_point::reference {

Real sum(const Eigen::Ref<const Eigen::VectorXd>& x) {
  Real s = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) s += x[i];
  return s;
}

std::vector<Real> prefix_sums(const Eigen::Ref<const Eigen::VectorXd>& x,
                              const std::vector<Eigen::Index>& counts) {
  std::vector<Real> sums;
  Real s = 0;
  Eigen::Index i = 0;
  for (const Eigen::Index count : counts) {
    mlc::require(count >= i && count <= x.size(), "reference::prefix_sums",
                 "counts must ascend and stay <= n = " + std::to_string(x.size()));
    for (; i < count; ++i) s += x[i];
    sums.push_back(s);
  }
  return sums;
}

Real variance(const Eigen::Ref<const Eigen::VectorXd>& x) {
  mlc::require(x.size() >= 2, "reference::variance", "needs n >= 2");
  const Real mean = sum(x) / x.size();
  Real m2 = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) m2 += (Real(x[i]) - mean) * (Real(x[i]) - mean);
  return m2 / (x.size() - 1);
}

Real log_sum_exp(const Eigen::Ref<const Eigen::VectorXd>& z) {
  Real s = 0;
  for (Eigen::Index i = 0; i < z.size(); ++i) s += exp(Real(z[i]));
  return log(s);
}

std::vector<Real> softmax(const Eigen::Ref<const Eigen::VectorXd>& z) {
  std::vector<Real> p;
  Real s = 0;
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    p.push_back(exp(Real(z[i])));
    s += p.back();
  }
  for (auto& pi : p) pi /= s;
  return p;
}

// Not log(1 + Real(x)): even 168 bits keep only ~30 digits of x = 1e-20 in 1 + x.
Real log1p(double x) {
  return boost::math::log1p(Real(x));
}
Real expm1(double x) {
  return boost::math::expm1(Real(x));
}
Real sigmoid(double z) {
  return 1 / (1 + exp(-Real(z)));
}

Real log_loss(double z, double y) {
  const Real neg_log_s = boost::math::log1p(exp(-Real(z)));   // -log s(z)
  const Real neg_log_1ms = boost::math::log1p(exp(Real(z)));  // -log(1 - s(z))
  return Real(y) * neg_log_s + (1 - Real(y)) * neg_log_1ms;
}

double relative_error(double computed, const Real& exact) {
  if (!std::isfinite(computed)) return std::numeric_limits<double>::infinity();
  const Real error = abs(Real(computed) - exact);
  if (exact == 0) return static_cast<double>(error);
  return static_cast<double>(error / abs(exact));
}

double max_abs_error(const Eigen::Ref<const Eigen::VectorXd>& computed,
                     const std::vector<Real>& exact) {
  mlc::require(static_cast<std::size_t>(computed.size()) == exact.size(),
               "reference::max_abs_error", "sizes differ");
  if (!computed.allFinite()) return std::numeric_limits<double>::infinity();
  Real worst = 0;
  for (Eigen::Index i = 0; i < computed.size(); ++i) {
    const Real e = abs(Real(computed[i]) - exact[static_cast<std::size_t>(i)]);
    if (e > worst) worst = e;
  }
  return static_cast<double>(worst);
}

}  // namespace floating_point::reference
