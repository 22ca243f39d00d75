// 1.1 floating_point: the naive and the stable formulas (floating_point.hpp has the
// contract and the sources; equation numbers refer to NOTES.md).
#include "floating_point.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mlc/error.hpp"

namespace floating_point {

namespace {

void require_sample(const Eigen::Ref<const Eigen::VectorXd>& x, const char* function) {
  mlc::require(x.size() >= 2, function,
               "a sample variance needs n >= 2 values, got n = " + std::to_string(x.size()));
}

// e^z entry by entry with the C library's exp, which rounds to 0 and to subnormals as IEEE
// arithmetic should. Eigen's vectorised z.array().exp() does not: it clamps its argument
// and returns 5.56e-309 for every z below about -708.4 (measured in main.cpp), which would
// hide the underflow this lesson measures.
Eigen::ArrayXd exp_of(const Eigen::Ref<const Eigen::VectorXd>& z) {
  return z.array().unaryExpr([](double t) { return std::exp(t); });
}

}  // namespace

double last_double_where(const std::function<bool(double)>& holds, double lo, double hi) {
  mlc::require(lo < hi, "last_double_where", "needs lo < hi");
  mlc::require(holds(lo) && !holds(hi), "last_double_where",
               "the predicate must hold at lo and fail at hi");
  // Invariant: holds(lo), !holds(hi). The midpoint of two adjacent doubles rounds to one of
  // them, which ends the loop with lo and hi adjacent.
  for (;;) {
    const double mid = lo + (hi - lo) / 2;
    if (mid == lo || mid == hi) return lo;
    (holds(mid) ? lo : hi) = mid;
  }
}

// ---- Summation ------------------------------------------------------------------------

double naive_sum(const Eigen::Ref<const Eigen::VectorXd>& x) {
  double s = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) s += x[i];  // (4) s_k = fl(s_{k-1} + x_k)
  return s;
}

double pairwise_sum(const Eigen::Ref<const Eigen::VectorXd>& x) {
  // (5) each value takes part in ceil(log2 n) additions instead of up to n - 1.
  const Eigen::Index n = x.size();
  if (n == 0) return 0.0;
  if (n == 1) return x[0];
  const Eigen::Index half = n / 2;
  return pairwise_sum(x.head(half)) + pairwise_sum(x.tail(n - half));
}

double kahan_sum(const Eigen::Ref<const Eigen::VectorXd>& x) {
  // BEGIN EXERCISE kahan_sum: compensated summation, equation (6)
  double s = 0.0;
  double c = 0.0;  // the low-order bits that the previous addition lost (with sign flipped)
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double y = x[i] - c;  // put back what was lost last time
    const double t = s + y;     // big + small: the low bits of y are rounded away ...
    c = (t - s) - y;            // ... and recovered exactly: (t - s) is what was added
    s = t;
  }
  return s;
  // END EXERCISE
}

// ---- Variance -------------------------------------------------------------------------

double one_pass_variance(const Eigen::Ref<const Eigen::VectorXd>& x) {
  require_sample(x, "one_pass_variance");
  const double n = static_cast<double>(x.size());
  double sum = 0.0, sum_sq = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    sum += x[i];
    sum_sq += x[i] * x[i];
  }
  // (7) two large, nearly equal numbers subtracted: catastrophic cancellation.
  return (sum_sq - sum * sum / n) / (n - 1);
}

double two_pass_variance(const Eigen::Ref<const Eigen::VectorXd>& x) {
  require_sample(x, "two_pass_variance");
  const double n = static_cast<double>(x.size());
  const double mean = x.sum() / n;
  double m2 = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) m2 += (x[i] - mean) * (x[i] - mean);  // (8)
  return m2 / (n - 1);
}

double welford_variance(const Eigen::Ref<const Eigen::VectorXd>& x) {
  require_sample(x, "welford_variance");
  // BEGIN EXERCISE welford_variance: Welford's update of mean and M2, equation (9)
  double mean = 0.0;
  double m2 = 0.0;  // sum of squared deviations from the running mean
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const double delta = x[k] - mean;            // deviation from the old mean
    mean += delta / static_cast<double>(k + 1);  // mean_k = mean_{k-1} + delta / k
    m2 += delta * (x[k] - mean);                 // M2_k = M2_{k-1} + delta (x_k - mean_k)
  }
  return m2 / static_cast<double>(x.size() - 1);
  // END EXERCISE
}

// ---- log-sum-exp and softmax ----------------------------------------------------------

double naive_log_sum_exp(const Eigen::Ref<const Eigen::VectorXd>& z) {
  mlc::require(z.size() > 0, "naive_log_sum_exp", "needs at least one logit");
  return std::log(exp_of(z).sum());
}

double log_sum_exp(const Eigen::Ref<const Eigen::VectorXd>& z) {
  mlc::require(z.size() > 0, "log_sum_exp", "needs at least one logit");
  // BEGIN EXERCISE log_sum_exp: shift by the largest logit, equation (10)
  const double m = z.maxCoeff();
  if (std::isinf(m)) return m;  // all logits -inf (empty mass) or one +inf
  // Every exp(z_i - m) is <= 1 (no overflow) and the largest is exactly 1 (no underflow
  // of the whole sum), so the log's argument lies in [1, K].
  return m + std::log(exp_of(z.array() - m).sum());
  // END EXERCISE
}

Eigen::VectorXd naive_softmax(const Eigen::Ref<const Eigen::VectorXd>& z) {
  mlc::require(z.size() > 0, "naive_softmax", "needs at least one logit");
  const Eigen::ArrayXd e = exp_of(z);
  return (e / e.sum()).matrix();
}

Eigen::VectorXd softmax(const Eigen::Ref<const Eigen::VectorXd>& z) {
  mlc::require(z.size() > 0, "softmax", "needs at least one logit");
  mlc::require(z.allFinite(), "softmax", "logits must be finite");
  // BEGIN EXERCISE stable_softmax: exp(z_i - m) / sum_j exp(z_j - m), equation (11)
  const Eigen::ArrayXd e = exp_of(z.array() - z.maxCoeff());  // in [0, 1], max entry 1
  return (e / e.sum()).matrix();                              // sum in [1, K]
  // END EXERCISE
}

Eigen::VectorXd log_softmax(const Eigen::Ref<const Eigen::VectorXd>& z) {
  mlc::require(z.size() > 0, "log_softmax", "needs at least one logit");
  return z.array() - log_sum_exp(z);  // (12)
}

// ---- log1p and expm1 ------------------------------------------------------------------

double log1p_naive(double x) {
  return std::log(1.0 + x);
}
double expm1_naive(double x) {
  return std::exp(x) - 1.0;
}

double log1p_kahan(double x) {
  mlc::require(x >= -1.0, "log1p_kahan", "log(1 + x) needs x >= -1");
  const double w = 1.0 + x;  // w = (1 + x)(1 + d): the rounding error d ...
  if (w == 1.0) return x;    // |x| < u: log(1 + x) = x to working precision
  if (std::isinf(w)) return std::log(w);
  return std::log(w) * x / (w - 1.0);  // (13) ... cancels between log(w) and (w - 1) / x
}

double expm1_kahan(double x) {
  const double w = std::exp(x);
  if (w == 1.0) return x;  // |x| < u / 2
  if (std::isinf(w)) return w;
  const double wm1 = w - 1.0;
  if (wm1 == -1.0) return -1.0;  // exp underflowed: e^x - 1 = -1 to working precision
  return wm1 * x / std::log(w);  // (14)
}

// ---- Sigmoid and log-loss -------------------------------------------------------------

double naive_sigmoid(double z) {
  return 1.0 / (1.0 + std::exp(-z));
}

double sigmoid(double z) {
  // (15) exp of a non-positive argument only: it can underflow (harmless) but not overflow.
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

double naive_log_loss(double z, double y) {
  const double s = naive_sigmoid(z);
  return -(y * std::log(s) + (1.0 - y) * std::log(1.0 - s));  // (16)
}

double log_loss(double z, double y) {
  mlc::require(y >= 0.0 && y <= 1.0, "log_loss", "the label y must lie in [0, 1]");
  // BEGIN EXERCISE stable_log_loss: the log-loss from the logit, equation (17)
  // -log s(z) = log(1 + e^-z) and -log(1 - s(z)) = log(1 + e^z); both equal
  // max(+-z, 0) + log1p(e^-|z|), and the y-weighted sum simplifies to:
  return std::max(z, 0.0) - y * z + std::log1p(std::exp(-std::abs(z)));
  // END EXERCISE
}

double log_loss_derivative(double z, double y) {
  // (18) d/dz [max(z,0) - yz + log1p(e^-|z|)] = sigmoid(z) - y, on both branches of |z|.
  return sigmoid(z) - y;
}

double mean_log_loss(const Eigen::Ref<const Eigen::VectorXd>& z,
                     const Eigen::Ref<const Eigen::VectorXd>& y) {
  mlc::require(z.size() == y.size() && z.size() > 0, "mean_log_loss",
               "needs as many labels as logits (n > 0), got " + std::to_string(z.size()) +
                   " logits and " + std::to_string(y.size()) + " labels");
  double total = 0.0;
  for (Eigen::Index i = 0; i < z.size(); ++i) total += log_loss(z[i], y[i]);
  return total / static_cast<double>(z.size());
}

Eigen::VectorXd mean_log_loss_gradient(const Eigen::Ref<const Eigen::VectorXd>& z,
                                       const Eigen::Ref<const Eigen::VectorXd>& y) {
  mlc::require(z.size() == y.size() && z.size() > 0, "mean_log_loss_gradient",
               "needs as many labels as logits (n > 0), got " + std::to_string(z.size()) +
                   " logits and " + std::to_string(y.size()) + " labels");
  Eigen::VectorXd grad(z.size());
  const double n = static_cast<double>(z.size());
  for (Eigen::Index i = 0; i < z.size(); ++i)
    grad[i] = log_loss_derivative(z[i], y[i]) / n;  // (19)
  return grad;
}

}  // namespace floating_point
