// logistic_regression.hpp: binary and multinomial (softmax) logistic regression with an
// L2 penalty, fitted by gradient descent and by Newton's method (IRLS).
//
// Sources:
//   Hastie, Tibshirani & Friedman (2009), The Elements of Statistical Learning, 2nd ed.,
//     §4.4 (logistic regression, IRLS, eq. 4.26–4.28; the multinomial case).
//   Bishop (2006), Pattern Recognition and Machine Learning, §4.3.2–4.3.4 (IRLS, softmax
//     Hessian, eq. 4.110).
//   Murphy (2012), Machine Learning: a Probabilistic Perspective, §8.3 (Newton, the
//     separable case) and §8.3.7 (multinomial Hessian as a Kronecker sum).
//   Boyd & Vandenberghe (2004), Convex Optimization, §9.5 (damped Newton, the Newton
//     decrement as stopping criterion, quadratic convergence).
//   Soudry, Hoffer, Nacson, Gunasekar & Srebro (2018), "The implicit bias of gradient
//     descent on separable data", JMLR 19: ‖w_t‖ grows like log t.
// Equation numbers refer to NOTES.md.
//
// Layout: rows are samples; X is n × d. Binary labels y are 0/1; multiclass labels are
// 0..K−1. The intercept is never penalised. Parameters of the binary model are packed as
// θ = [w; b] (d + 1 entries); of the softmax model as Θ = [W; bᵀ], a (d + 1) × K matrix
// whose column k holds class k's weights and intercept. Optional per-sample weights s_i
// (class weights for imbalanced data) multiply each sample's loss; empty means all ones.
#pragma once

#include <vector>

#include <Eigen/Core>

namespace logistic_regression {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

// ---- Stable scalar pieces (1) ----------------------------------------------------------

// σ(z) = 1 / (1 + e^{−z}), evaluated without overflow for any finite z.
double sigmoid(double z);
// softplus(z) = log(1 + e^z), evaluated without overflow: the log-loss of a logit.
double softplus(double z);

// ---- Binary objective: (2) loss, (3) gradient, (4) Hessian ------------------------------
//
//   f(θ) = (1/n) Σ_i s_i [softplus(z_i) − y_i z_i] + (λ/2) ‖w‖²,   z = X w + b      (2)
//   ∇f   = X̃ᵀ S (σ(z) − y) / n + λ [w; 0],        X̃ = [X 1]   [d + 1]             (3)
//   ∇²f  = X̃ᵀ diag(s_i σ_i (1 − σ_i)) X̃ / n + λ diag(1, …, 1, 0)   [(d+1)²]        (4)
double binary_loss(const MatrixXd& X, const VectorXd& y, const VectorXd& theta, double lambda,
                   const VectorXd& sample_weight = {});
VectorXd binary_gradient(const MatrixXd& X, const VectorXd& y, const VectorXd& theta,
                         double lambda, const VectorXd& sample_weight = {});
MatrixXd binary_hessian(const MatrixXd& X, const VectorXd& y, const VectorXd& theta,
                        double lambda, const VectorXd& sample_weight = {});

// (5) The Newton / IRLS direction Δ = −(∇²f)⁻¹ ∇f, solved by Cholesky of the Hessian. A
// tiny shift ε I (ε = 1e-12 · (1 + mean diagonal), raised ×100 until the factorization
// succeeds) keeps the solve defined when the Hessian is singular (λ = 0 on separable data,
// where σ_i(1 − σ_i) underflows to 0); it does not move the fixed point ∇f = 0.
VectorXd newton_step(const MatrixXd& X, const VectorXd& y, const VectorXd& theta, double lambda,
                     const VectorXd& sample_weight = {});

struct BinaryLogisticModel {
  Eigen::VectorXd w;  // d weights
  double b = 0.0;     // intercept (not penalised)
  Eigen::VectorXd decision_function(const Eigen::MatrixXd& X) const;  // X w + b      [n]
  Eigen::VectorXd predict_proba(const Eigen::MatrixXd& X) const;      // σ(X w + b)   [n]
  Eigen::VectorXi predict(const Eigen::MatrixXd& X) const;            // 1 where proba ≥ 0.5
  Eigen::VectorXd theta() const;                                      // [w; b]
};

// What a fit did, iteration by iteration (entry 0 is the starting point θ = 0).
struct FitTrace {
  std::vector<double> loss;           // f(θ_k)
  std::vector<double> gradient_norm;  // ‖∇f(θ_k)‖
  std::vector<double> weight_norm;    // ‖w_k‖ (Frobenius norm of W for softmax)
  int iterations = 0;
  bool converged = false;
};

// Damped Newton / IRLS on (2) from θ = 0: direction (5), step halving until the Armijo
// condition f(θ + tΔ) ≤ f(θ) + 10⁻⁴ t ∇fᵀΔ holds (so f decreases monotonically and no step
// overflows; the test allows a few ulps of f of slack, see NOTES.md), stopped when the Newton
// decrement (∇fᵀ(∇²f)⁻¹∇f)^½ ≤ tolerance (after taking that last full step, (11)) or the
// step ‖tΔ‖ ≤ tolerance (1 + ‖θ‖). Each iteration costs O(n d²) + O(d³). y has entries 0/1.
BinaryLogisticModel fit_binary_newton(const Eigen::MatrixXd& X, const Eigen::VectorXi& y,
                                      double lambda, int max_iterations = 100,
                                      double tolerance = 1e-10);
// The same with sample weights (empty = ones) and an optional trace.
BinaryLogisticModel fit_binary_newton(const MatrixXd& X, const VectorXi& y, double lambda,
                                      const VectorXd& sample_weight, int max_iterations,
                                      double tolerance, FitTrace* trace);

// (6) L = λ_max(X̃ᵀ S X̃) / (4n) + λ: the Lipschitz constant of (3), since σ' ≤ 1/4.
double binary_lipschitz(const MatrixXd& X, double lambda, const VectorXd& sample_weight = {});

// Gradient descent θ ← θ − η ∇f(θ) from θ = 0 for `iterations` steps (η = 1/L when
// step ≤ 0). `record_every` > 0 records the trace every that many steps (always step 0
// and the last); the loss is then evaluated only at recorded steps. O(n d) per step.
BinaryLogisticModel fit_binary_gd(const MatrixXd& X, const VectorXi& y, double lambda,
                                  int iterations, double step = 0.0,
                                  const VectorXd& sample_weight = {}, FitTrace* trace = nullptr,
                                  int record_every = 1);

// Balanced class weights s_i = n / (2 n_{y_i}) (they sum to n): each class carries half
// of the loss, the usual mitigation of class imbalance.
VectorXd balanced_sample_weights(const VectorXi& y);

// ---- Multinomial (softmax) objective: (7) loss, (8) gradient, (9) Hessian ---------------
//
//   P = softmax(X̃ Θ) row-wise   [n × K]
//   f(Θ) = (1/n) Σ_i s_i [logsumexp(z_i) − z_{i,y_i}] + (λ/2) ‖W‖²_F                 (7)
//   ∇f   = X̃ᵀ S (P − Y) / n + λ [W; 0]   [(d+1) × K], Y one-hot                      (8)
//   ∇²f block (k, l) = X̃ᵀ diag(s_i p_ik (δ_kl − p_il)) X̃ / n + λ δ_kl diag(1,…,1,0)   (9)
// The Hessian acts on vec(Θ) (column-major: class k's block is entries k(d+1)..k(d+1)+d).

// Row-wise softmax of the scores, with the max subtracted (no overflow).   [n × K]
MatrixXd softmax(const MatrixXd& scores);
double softmax_loss(const MatrixXd& X, const VectorXi& y, const MatrixXd& Theta, double lambda,
                    const VectorXd& sample_weight = {});
MatrixXd softmax_cross_entropy_gradient(const MatrixXd& X, const VectorXi& y,
                                        const MatrixXd& Theta, double lambda,
                                        const VectorXd& sample_weight = {});
MatrixXd softmax_hessian(const MatrixXd& X, const VectorXi& y, const MatrixXd& Theta,
                         double lambda, const VectorXd& sample_weight = {});

struct SoftmaxModel {
  MatrixXd W;  // d × K weights
  VectorXd b;  // K intercepts
  MatrixXd decision_function(const MatrixXd& X) const;  // X W + 1 bᵀ   [n × K]
  MatrixXd predict_proba(const MatrixXd& X) const;      // softmax rows [n × K]
  VectorXi predict(const MatrixXd& X) const;            // argmax per row
  MatrixXd theta() const;                               // [W; bᵀ]
};

// Damped Newton on (7) with the full (d+1)K × (d+1)K Hessian (9), as fit_binary_newton.
// The softmax parametrisation is redundant in the intercepts (adding c to every b_k
// changes nothing), so the Hessian is singular along that direction; the shift of (5)
// handles it. O(n d² K²) + O(d³ K³) per iteration: fine for digits (650 parameters).
SoftmaxModel fit_softmax_newton(const MatrixXd& X, const VectorXi& y, int num_classes,
                                double lambda, int max_iterations = 100,
                                double tolerance = 1e-10, FitTrace* trace = nullptr);
// Gradient descent on (7) with step 1/L, L = λ_max(X̃ᵀX̃)/(2n) + λ (the softmax Hessian's
// class block diag(p) − ppᵀ has norm ≤ 1/2), or the given step.
SoftmaxModel fit_softmax_gd(const MatrixXd& X, const VectorXi& y, int num_classes, double lambda,
                            int iterations, double step = 0.0, FitTrace* trace = nullptr,
                            int record_every = 1);

// ---- Helpers ---------------------------------------------------------------------------

// X̃ = [X 1]   [n × (d + 1)]
MatrixXd with_intercept(const MatrixXd& X);
// Least-squares slope of y against log(t) over the given (t, y) pairs: the growth rate of
// ‖w_t‖ per unit of log t on separable data.
double slope_against_log(const std::vector<double>& t, const std::vector<double>& y);

}  // namespace logistic_regression
