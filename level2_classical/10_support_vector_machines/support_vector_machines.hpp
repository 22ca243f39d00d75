// Lesson 2.10 support_vector_machines: linear SVM in the primal (Pegasos) and kernel SVM in
// the dual by SMO with second-order working-set selection.
//
// Layout: rows are samples, X is n × d; binary targets y are ±1 (as doubles); class
// labels for multi-class models are 0..K-1 (Eigen::VectorXi). Equation numbers refer to
// NOTES.md.
//
// Sources:
//   C. Cortes & V. Vapnik (1995), "Support-vector networks", Machine Learning 20:273–297
//     (soft-margin primal and dual, (1)–(4)).
//   J. Platt (1998), "Sequential minimal optimization: a fast algorithm for training
//     support vector machines", MSR-TR-98-14 (the two-variable analytic step (7)).
//   R.-E. Fan, P.-H. Chen & C.-J. Lin (2005), "Working set selection using second order
//     information for training support vector machines", JMLR 6:1889–1918 (WSS2, (6)).
//   C.-C. Chang & C.-J. Lin (2011), "LIBSVM: a library for support vector machines", ACM
//     TIST 2:27, §4.1 (stopping rule, the bias ρ (8), the clipped pair update (7)).
//   S. Shalev-Shwartz, Y. Singer, N. Srebro & A. Cotter (2011), "Pegasos: primal estimated
//     sub-gradient solver for SVM", Math. Programming 127:3–30 (the step (10)).
//   B. Schölkopf & A. Smola (2002), Learning with Kernels, MIT Press, ch. 2 and 7.
//
// Departures from LIBSVM: no shrinking and no kernel cache: the whole kernel matrix is
// precomputed with one GEMM (n ≤ a few thousand here, 8 n² bytes), which is what makes
// the O(n) gradient update per SMO step cheap.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace support_vector_machines {

// ---- Kernels ---------------------------------------------------------------------------

enum class KernelType { kLinear, kPolynomial, kRbf };

// k(a, b) = aᵀb | (γ aᵀb + coef0)^degree | exp(−γ ‖a − b‖²)                          (5)
struct Kernel {
  KernelType type = KernelType::kRbf;
  double gamma = 1.0;
  double coef0 = 0.0;
  int degree = 3;

  static Kernel linear() { return {KernelType::kLinear, 1.0, 0.0, 1}; }
  static Kernel polynomial(double gamma, double coef0, int degree) {
    return {KernelType::kPolynomial, gamma, coef0, degree};
  }
  static Kernel rbf(double gamma) { return {KernelType::kRbf, gamma, 0.0, 0}; }
  std::string name() const;
};

// RBF kernel matrix K(i, j) = exp(−γ ‖a_i − b_j‖²) by one GEMM:
// ‖a‖² + ‖b‖² − 2 a bᵀ, clamped at 0 against rounding.    A: n_a × d, B: n_b × d -> n_a × n_b
Eigen::MatrixXd rbf_kernel_matrix(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, double gamma);

// The kernel matrix of any kernel (5).                                   [n_a × n_b]
Eigen::MatrixXd kernel_matrix(const Kernel& kernel, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B);

// ---- The dual problem and SMO ----------------------------------------------------------
//
// min_α f(α) = ½ αᵀQα − eᵀα,  Q_ij = y_i y_j K_ij,  0 ≤ α_i ≤ C,  yᵀα = 0          (4)
// The solver keeps the gradient G = Qα − e  [n] up to date.

// The dual objective in its maximisation form D(α) = eᵀα − ½ αᵀQα = −f(α).          (3)
double dual_objective(const Eigen::MatrixXd& K, const Eigen::VectorXd& y, const Eigen::VectorXd& alpha);

struct WorkingSet {
  Eigen::Index i = -1, j = -1;
  double gap = 0.0;      // m(α) − M(α), the maximal violation of the KKT conditions (6a)
  bool optimal = false;  // gap < tolerance (or no j can decrease f): stop
};

// WSS2 of Fan, Chen & Lin (2005): i = argmax_{t ∈ I_up} −y_t G_t, and j the index of
// I_low that minimises the second-order decrease −b_ij² / a_ij of (6b).
WorkingSet smo_select_working_set(const Eigen::MatrixXd& K, const Eigen::VectorXd& y,
                                  const Eigen::VectorXd& alpha, const Eigen::VectorXd& G, double C,
                                  double tolerance);

// The analytic minimisation of f over (α_i, α_j) with the others fixed, clipped to the
// box (7), followed by the O(n) update G += Q_:i Δα_i + Q_:j Δα_j.
void smo_update_pair(const Eigen::MatrixXd& K, const Eigen::VectorXd& y, double C, Eigen::Index i,
                     Eigen::Index j, Eigen::VectorXd& alpha, Eigen::VectorXd& G);

// The bias: decision f(x) = Σ α_i y_i k(x_i, x) − ρ, ρ the mean of y_i G_i over free α_i
// (the midpoint of the feasible interval when none is free).                          (8)
double smo_bias(const Eigen::VectorXd& y, const Eigen::VectorXd& alpha, const Eigen::VectorXd& G, double C);

struct SmoOptions {
  double C = 1.0;
  double tolerance = 1e-3;           // stop when m(α) − M(α) < tolerance (LIBSVM's -e)
  long max_iterations = 10'000'000;  // a safeguard; reaching it sets converged = false
};

struct DualSolution {
  Eigen::VectorXd alpha;      // [n]
  Eigen::VectorXd gradient;   // G = Qα − e at the solution  [n]
  double rho = 0.0;           // (8)
  double objective = 0.0;     // D(α) of (3)
  double gap = 0.0;           // final m(α) − M(α)
  long iterations = 0;        // SMO steps (pair updates)
  bool converged = false;
  Eigen::Index num_support_vectors = 0;  // α_i > 0
  Eigen::Index num_bounded = 0;          // α_i = C
};

// SMO on a precomputed kernel matrix K [n × n] and targets y ∈ {±1}.
// Cost: O(n) per iteration (selection and gradient update), no kernel evaluation.
DualSolution smo_solve(const Eigen::MatrixXd& K, const Eigen::VectorXd& y, const SmoOptions& options);

// The largest violation of the KKT conditions (2) at (α, ρ), in units of the margin:
// α_i = 0 needs y_i f_i ≥ 1, 0 < α_i < C needs y_i f_i = 1, α_i = C needs y_i f_i ≤ 1,
// with f_i = Σ_j α_j y_j K_ij − ρ. Also checks 0 ≤ α ≤ C and |yᵀα|.
double max_kkt_violation(const Eigen::MatrixXd& K, const Eigen::VectorXd& y, const Eigen::VectorXd& alpha,
                         double rho, double C);

// ---- Binary and multi-class kernel SVMs ---------------------------------------------------

class BinarySvm {
 public:
  // Fits on X [n × d] with targets y ∈ {±1}; computes K(X, X) itself.
  static BinarySvm fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Kernel& kernel,
                       const SmoOptions& options);
  // Fits with a precomputed training kernel matrix K = K(X, X) (shared across problems).
  static BinarySvm fit_precomputed(const Eigen::MatrixXd& K, const Eigen::MatrixXd& X,
                                   const Eigen::VectorXd& y, const Kernel& kernel,
                                   const SmoOptions& options);

  // f(x) = Σ_{i∈SV} α_i y_i k(x_i, x) − ρ    [m]
  Eigen::VectorXd decision_function(const Eigen::MatrixXd& X) const;
  // The same from a kernel matrix between X and ALL training points  [m × n_train].
  Eigen::VectorXd decision_function_precomputed(const Eigen::MatrixXd& K_test_train) const;
  Eigen::VectorXd predict(const Eigen::MatrixXd& X) const;  // sign(f), ±1

  // w = Σ α_i y_i x_i (meaningful for the linear kernel)                             (9)
  Eigen::VectorXd primal_weights() const;

  Kernel kernel;
  DualSolution solution;                      // α over all training points, ρ, counts
  std::vector<Eigen::Index> support_indices;  // training rows with α_i > 0
  Eigen::MatrixXd support_vectors;            // [n_sv × d]
  Eigen::VectorXd dual_coef;                  // α_i y_i over support vectors  [n_sv]
  Eigen::VectorXd full_dual_coef;             // α_i y_i over all training points  [n]
};

enum class MultiClassScheme { kOneVsRest, kOneVsOne };

// K binary SVMs (one-vs-rest: class k against the others, predict argmax_k f_k(x)) or
// K(K−1)/2 (one-vs-one: majority vote, ties to the lower class, as LIBSVM). One kernel
// matrix on the training set is computed once and shared by every binary problem.
class MultiClassSvm {
 public:
  static MultiClassSvm fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& labels, int num_classes,
                           const Kernel& kernel, const SmoOptions& options,
                           MultiClassScheme scheme = MultiClassScheme::kOneVsRest);
  static MultiClassSvm fit_precomputed(const Eigen::MatrixXd& K, const Eigen::MatrixXd& X,
                                       const Eigen::VectorXi& labels, int num_classes,
                                       const Kernel& kernel, const SmoOptions& options,
                                       MultiClassScheme scheme = MultiClassScheme::kOneVsRest);
  Eigen::VectorXi predict(const Eigen::MatrixXd& X) const;
  // From K(X_test, X_train)  [m × n_train].
  Eigen::VectorXi predict_precomputed(const Eigen::MatrixXd& K_test_train) const;

  long total_iterations() const;      // SMO steps summed over the binary problems
  Eigen::Index num_support_vectors() const;  // distinct training rows with some α > 0
  bool converged() const;

  int num_classes = 0;
  MultiClassScheme scheme = MultiClassScheme::kOneVsRest;
  Kernel kernel;
  Eigen::MatrixXd X_train;
  std::vector<BinarySvm> machines;
  std::vector<std::pair<int, int>> pairs;            // one-vs-one: (positive, negative) class
  std::vector<std::vector<Eigen::Index>> rows;       // training rows of each machine
};

// ---- Linear SVM in the primal: Pegasos ---------------------------------------------------

enum class Loss { kHinge, kLogistic };

// ℓ(z) of the margin z = y (wᵀx + b): max(0, 1 − z) or log(1 + e^{−z})            (11)
double margin_loss(double z, Loss loss);
// A (sub)gradient dℓ/dz: −1[z < 1] or −σ(−z).
double margin_loss_derivative(double z, Loss loss);

// P(w, b) = λ/2 ‖w‖² + (1/n) Σ ℓ(y_i (wᵀx_i + b))  (bias not regularised)          (9)
double primal_objective(const Eigen::VectorXd& w, double b, const Eigen::MatrixXd& X,
                        const Eigen::VectorXd& y, double lambda, Loss loss);
// A subgradient (the gradient where every z_i ≠ 1):  ∂P/∂w = λw + (1/n) Σ ℓ'(z_i) y_i x_i,
// ∂P/∂b = (1/n) Σ ℓ'(z_i) y_i.                                                        (10)
void primal_subgradient(const Eigen::VectorXd& w, double b, const Eigen::MatrixXd& X,
                        const Eigen::VectorXd& y, double lambda, Loss loss, Eigen::VectorXd& grad_w,
                        double& grad_b);

// One Pegasos step t ≥ 1 on the mini-batch `batch` (rows of X): η_t = 1/(λt),
// (w, b) ← (w, b) − η_t · subgradient of (9) on the batch, then w projected onto the ball
// ‖w‖ ≤ √(2 ℓ(0)/λ), which contains the optimum.                                    (10)
void pegasos_step(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                  const std::vector<Eigen::Index>& batch, double lambda, long t, Loss loss,
                  Eigen::VectorXd& w, double& b);

struct PegasosOptions {
  double lambda = 1e-3;
  long iterations = 10000;
  int batch_size = 1;          // batch_size ≥ n: deterministic full-batch sub-gradient
  bool average = true;         // return the mean of the second half of the iterates
  long record_every = 0;       // > 0: record P(w_t, b_t) every that many steps
  Loss loss = Loss::kHinge;
  // Step t uses η = 1/(λ(t + t0)). Pegasos proper has t0 = 0; t0 < 0 (the default) means
  // t0 = ⌈1/λ⌉, so that η starts near 1 (Bottou 2012): with t0 = 0 the first step throws the
  // unregularised bias to ±1/λ, from which it returns only after ~e^{1/(λ·p)} steps when a
  // fraction p of the draws pushes it back (one-vs-rest with 10 classes: p ≈ 0.1).
  long t0 = -1;
};

struct LinearModel {
  Eigen::VectorXd w;
  double b = 0.0;
  std::vector<long> recorded_steps;
  std::vector<double> recorded_objective;
  Eigen::VectorXd decision_function(const Eigen::MatrixXd& X) const;  // Xw + b
  Eigen::VectorXd predict(const Eigen::MatrixXd& X) const;            // ±1
};

LinearModel pegasos(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const PegasosOptions& options,
                    mlc::Rng& rng);

// One-vs-rest labels: +1 for class k, −1 otherwise.
Eigen::VectorXd one_vs_rest_targets(const Eigen::VectorXi& labels, int k);

// K linear machines by Pegasos, one per class against the rest; predicts argmax_k w_kᵀx + b_k.
// Cost O(iterations · batch · d) per class, independent of n.
struct LinearOneVsRest {
  Eigen::MatrixXd W;  // [d × K]
  Eigen::RowVectorXd b;  // [K]
  Eigen::VectorXi predict(const Eigen::MatrixXd& X) const;
};
LinearOneVsRest pegasos_one_vs_rest(const Eigen::MatrixXd& X, const Eigen::VectorXi& labels, int num_classes,
                                    const PegasosOptions& options, mlc::Rng& rng);

// ---- Cost analysis ------------------------------------------------------------------------

// The exponent p of cost ≈ c · n^p: least-squares slope of log cost on log n.        (12)
double fitted_exponent(const std::vector<double>& n, const std::vector<double>& cost);

}  // namespace support_vector_machines
