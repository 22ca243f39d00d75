// 1.1 floating_point: IEEE-754 double precision in practice, and the stable formulas that
// machine learning code needs (sums, variances, log-sum-exp, softmax, log1p, log-loss).
//
// Every function comes in the form a textbook writes it ("naive") and in the form that
// survives finite precision; main.cpp measures both against exact answers (reference.hpp).
// Equation numbers refer to NOTES.md.
//
// Sources:
//   N. J. Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., SIAM 2002:
//     §2.1-2.2 (the model fl(x op y) = (x op y)(1 + d), |d| <= u), §4.2-4.3 (recursive,
//     pairwise and compensated summation, their error bounds), §1.9 and §1.14.1 (variance,
//     log1p / expm1).
//   D. Goldberg, What every computer scientist should know about floating-point arithmetic,
//     ACM Computing Surveys 23(1), 1991: Theorem 4 (log1p), Theorem 8 (Kahan summation).
//   T. F. Chan, G. H. Golub, R. J. LeVeque, Algorithms for computing the sample variance,
//     The American Statistician 37(3), 1983; B. P. Welford, Technometrics 4(3), 1962.
//   P. Blanchard, D. J. Higham, N. J. Higham, Accurately computing the log-sum-exp and
//     softmax functions, IMA J. Numer. Anal. 41(4), 2021.
//
// Vectors are Eigen::VectorXd of n entries (data for sums and variances, K logits for
// softmax). The functions assume IEEE-754 binary64 with round-to-nearest and no
// -ffast-math (which would let the compiler delete Kahan's correction term).
#pragma once

#include <functional>

#include <Eigen/Core>

namespace floating_point {

// ---- 1. Machine epsilon and the unit roundoff -----------------------------------------

// The result of halving a candidate epsilon until 1 + epsilon/2 rounds to 1.
template <class T>
struct EpsilonSearch {
  T epsilon;     // (1) the gap between 1 and the next larger number of type T
  int halvings;  // = p - 1 for a format with p significand bits (52 for double)
};

// Machine epsilon found by experiment, equation (1): starting from 1, halve eps while
// 1 + eps/2 is still > 1 in type T. Checked against std::numeric_limits<T>::epsilon().
template <class T>
EpsilonSearch<T> find_machine_epsilon() {
  T eps = 1;
  int halvings = 0;
  while (static_cast<T>(T(1) + eps / 2) != T(1)) {
    eps /= 2;
    ++halvings;
  }
  return {eps, halvings};
}

// The boundary of a monotone predicate on the doubles, by bisection: given holds(lo) and
// !holds(hi), returns the largest double x in [lo, hi) with holds(x) (its successor
// std::nextafter(x, hi) fails it). About 64 + log2 of the exponent range evaluations.
// Used to find, by experiment, the unit roundoff (2), the overflow threshold of exp (3),
// and the logit at which a naive formula first returns inf or NaN.
double last_double_where(const std::function<bool(double)>& holds, double lo, double hi);

// ---- 2. Summation ---------------------------------------------------------------------

// (4) recursive summation s_k = fl(s_{k-1} + x_k); |error| <= (n-1) u sum|x_i| + O(u^2).
double naive_sum(const Eigen::Ref<const Eigen::VectorXd>& x);
// (5) pairwise summation: split in halves, sum each, add; error <= ceil(log2 n) u sum|x_i|.
double pairwise_sum(const Eigen::Ref<const Eigen::VectorXd>& x);
// (6) Kahan's compensated summation; error <= (2u + O(n u^2)) sum|x_i|, independent of n.
double kahan_sum(const Eigen::Ref<const Eigen::VectorXd>& x);

// ---- 3. Sample variance (divisor n - 1; n >= 2) ---------------------------------------

// (7) the one-pass "textbook" formula (sum x^2 - (sum x)^2 / n) / (n - 1). Relative error
// grows like u (mean/std)^2: all digits are lost when mean/std > 1/sqrt(u) ~ 1e8.
double one_pass_variance(const Eigen::Ref<const Eigen::VectorXd>& x);
// (8) two passes: the mean first, then the sum of squared deviations.
double two_pass_variance(const Eigen::Ref<const Eigen::VectorXd>& x);
// (9) Welford's one-pass update of the mean and of M2 = sum of squared deviations.
double welford_variance(const Eigen::Ref<const Eigen::VectorXd>& x);

// ---- 4. log-sum-exp and softmax (K >= 1 logits) ---------------------------------------

// log(sum exp z_i) as written: exp overflows to inf once a logit exceeds log(DBL_MAX).
double naive_log_sum_exp(const Eigen::Ref<const Eigen::VectorXd>& z);
// (10) m + log(sum exp(z_i - m)) with m = max z_i: no overflow, no total underflow.
double log_sum_exp(const Eigen::Ref<const Eigen::VectorXd>& z);
// exp(z_i) / sum exp(z_j) as written: all zeros (e^z_i / inf) once only the sum overflows,
// inf / inf = NaN once exp itself overflows, 0 / 0 = NaN when every exp underflows.
Eigen::VectorXd naive_softmax(const Eigen::Ref<const Eigen::VectorXd>& z);
// (11) exp(z_i - m) / sum exp(z_j - m): the shift leaves the result unchanged exactly.
Eigen::VectorXd softmax(const Eigen::Ref<const Eigen::VectorXd>& z);
// (12) log softmax z_i - log_sum_exp(z): finite even where softmax underflows to 0.
Eigen::VectorXd log_softmax(const Eigen::Ref<const Eigen::VectorXd>& z);

// ---- 5. log(1 + x) and exp(x) - 1 for small x -----------------------------------------

double log1p_naive(double x);  // log(1 + x): relative error ~ u / |x|; 0 for |x| < u
double expm1_naive(double x);  // exp(x) - 1: the same cancellation
// (13) Kahan's trick: w = fl(1 + x); log(w) * x / (w - 1). The rounding error of w cancels
// between numerator and denominator (Goldberg, Theorem 4; Higham §1.14.1). x > -1.
double log1p_kahan(double x);
// (14) Kahan's trick for expm1: w = fl(exp x); (w - 1) * x / log(w).
double expm1_kahan(double x);

// ---- 6. The sigmoid and the binary log-loss (cross-entropy from logits) ---------------

// 1 / (1 + exp(-z)) as written: exp(-z) overflows for z < -log(DBL_MAX), giving 0.
double naive_sigmoid(double z);
// (15) the branch that never overflows: z >= 0: 1 / (1 + e^-z); z < 0: e^z / (1 + e^z).
double sigmoid(double z);
// (16) -[y log s + (1 - y) log(1 - s)] with s = naive_sigmoid(z). Once s rounds to 1
// (z >= 53 log 2 = 36.74) it is inf for y < 1 and NaN for y = 1 (0 * log 0); once s is 0
// (z < -709.78) it is inf for y > 0 and NaN for y = 0.
double naive_log_loss(double z, double y);
// (17) the same loss from the logit: max(z, 0) - y z + log1p(exp(-|z|)). y in [0, 1].
double log_loss(double z, double y);
// (18) d log_loss / dz = sigmoid(z) - y: the backward of log_loss, next to it.
double log_loss_derivative(double z, double y);
// (19) mean loss over n examples and its gradient (sigmoid(z_i) - y_i) / n   [n].
double mean_log_loss(const Eigen::Ref<const Eigen::VectorXd>& z,
                     const Eigen::Ref<const Eigen::VectorXd>& y);
Eigen::VectorXd mean_log_loss_gradient(const Eigen::Ref<const Eigen::VectorXd>& z,
                                       const Eigen::Ref<const Eigen::VectorXd>& y);

}  // namespace floating_point
