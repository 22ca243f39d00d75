// 1.1 floating_point: exact answers to measure rounding errors against.
//
// Every function here evaluates its formula in 50-decimal-digit binary floating point
// (boost::multiprecision::cpp_bin_float_50: a 168-bit significand and an exponent range far
// beyond double's, so nothing overflows or underflows). Inputs are doubles and are taken
// exactly; a result is then correct to ~1e-49 relative, 33 orders of magnitude below the
// double unit roundoff u = 2^-53 ~ 1.1e-16, which makes it "exact" for our purpose. The
// formulas are the plain textbook ones: the extra precision, not a clever algorithm, is
// what makes them right, so they are independent of the stable algorithms they check.
//
// Sums are exact (not merely accurate) while the data span fewer than ~168 - log2(n) bits
// of magnitude: true for every data set of this lesson (e.g. uniforms k 2^-53, n <= 2^24).
#pragma once

#include <vector>

#include <Eigen/Core>
#include <boost/multiprecision/cpp_bin_float.hpp>

namespace floating_point::reference {

using Real = boost::multiprecision::cpp_bin_float_50;

Real sum(const Eigen::Ref<const Eigen::VectorXd>& x);
// The exact sums of the first counts[j] entries of x, in one pass (counts ascending).
std::vector<Real> prefix_sums(const Eigen::Ref<const Eigen::VectorXd>& x,
                              const std::vector<Eigen::Index>& counts);
// Sample variance (divisor n - 1) by two passes in 50 digits.
Real variance(const Eigen::Ref<const Eigen::VectorXd>& x);
// log(sum exp z_i), unshifted: 50-digit exp cannot overflow.
Real log_sum_exp(const Eigen::Ref<const Eigen::VectorXd>& z);
std::vector<Real> softmax(const Eigen::Ref<const Eigen::VectorXd>& z);
// log(1 + x) and exp(x) - 1 by Boost.Math's series in 50 digits (forming 1 + x would lose
// the digits of a tiny x even in 168 bits).
Real log1p(double x);
Real expm1(double x);
Real sigmoid(double z);
// y log(1 + e^-z) + (1 - y) log(1 + e^z): the log-loss via -log s(z) = log(1 + e^-z),
// with Boost.Math's log1p in 50 digits (1 - s(z) itself would cancel even in 168 bits).
Real log_loss(double z, double y);

// |computed - exact| / |exact| as a double; +inf when computed is inf or NaN (the formula
// failed); the absolute error when exact is 0.
double relative_error(double computed, const Real& exact);
// max_i |computed_i - exact_i| (for probabilities, which lie in [0, 1]); +inf on inf/NaN.
double max_abs_error(const Eigen::Ref<const Eigen::VectorXd>& computed,
                     const std::vector<Real>& exact);

}  // namespace floating_point::reference
