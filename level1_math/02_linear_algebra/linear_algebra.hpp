// linear_algebra.hpp: the dense factorizations of numerical linear algebra, written from
// scratch so that their rounding behaviour can be measured against Eigen's.
//
//   LU with partial pivoting       P A = L U                      (NOTES.md (1)-(3))
//   Cholesky                       A = L Lᵀ                       (4)
//   Gram-Schmidt (classical, modified), Householder QR   A = Q R  (5)-(8)
//   symmetric eigenvalues: power iteration with deflation (9)-(10); Householder
//     tridiagonalisation + implicit QR with Wilkinson shift      (11)-(13)
//   SVD by one-sided (Hestenes) Jacobi   A = U Σ Vᵀ               (14)-(15)
//   least squares by normal equations, QR and SVD; backward error (16)-(19)
//
// Sources: Golub & Van Loan, Matrix Computations, 4th ed. (GVL): §3.2 (LU), §4.2
// (Cholesky), §5.1-5.2 (Householder, Gram-Schmidt), §5.3 (least squares), §8.2-8.3
// (power method, tridiagonalisation, symmetric QR), §8.6.3 (one-sided Jacobi). Higham,
// Accuracy and Stability of Numerical Algorithms, 2nd ed.: §9 (LU growth), §19 (QR,
// Gram-Schmidt), §20 (least squares, backward error Thm 20.5). Demmel & Veselić (1992).
//
// Layout: matrices are m × n with m >= n where a factorization needs it; vectors are
// columns. All functions are pure: no I/O. Inputs are checked with mlc::require.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace linear_algebra {

// ---- LU ---------------------------------------------------------------------------------

struct LuFactorization {
  Eigen::MatrixXd L;         // n × n unit lower triangular, |L_ij| <= 1 with pivoting
  Eigen::MatrixXd U;         // n × n upper triangular
  Eigen::VectorXi perm;      // row i of P A is row perm(i) of A
  double growth_factor = 0;  // (3) ρ = max_k max_ij |a_ij^(k)| / max_ij |a_ij|
};

// (1)-(2) Gaussian elimination with partial pivoting: P A = L U.   2n³/3 flops.
LuFactorization lu_partial_pivoting(const Eigen::MatrixXd& A);
// The same elimination without row exchanges: A = L U (may divide by a tiny pivot).
LuFactorization lu_no_pivoting(const Eigen::MatrixXd& A);
// Solves A x = b from P A = L U by forward and back substitution.   2n² flops.
Eigen::VectorXd lu_solve(const LuFactorization& lu, const Eigen::VectorXd& b);
// P (as a matrix) from a permutation vector: (P A) row i = A row perm(i).
Eigen::MatrixXd permutation_matrix(const Eigen::VectorXi& perm);

// Triangular solves (forward / back substitution), n² flops each.
Eigen::VectorXd solve_lower_triangular(const Eigen::MatrixXd& L, const Eigen::VectorXd& b,
                                       bool unit_diagonal = false);
Eigen::VectorXd solve_upper_triangular(const Eigen::MatrixXd& U, const Eigen::VectorXd& b);

// ---- Cholesky ---------------------------------------------------------------------------

struct CholeskyFactorization {
  Eigen::MatrixXd L;                // lower triangular with positive diagonal
  bool positive_definite = true;    // false when a pivot a_jj - Σ l_jk² <= 0
  Eigen::Index failed_column = -1;  // the column whose pivot was not positive
  double failed_pivot = 0.0;        // its value
};

// (4) A = L Lᵀ for symmetric positive definite A (only the lower triangle is read).
// n³/3 flops. A non-positive pivot is reported, not thrown: it is a result.
CholeskyFactorization cholesky(const Eigen::MatrixXd& A);

// ---- QR ---------------------------------------------------------------------------------

struct QrFactorization {
  Eigen::MatrixXd Q;  // m × n with orthonormal columns (in exact arithmetic)
  Eigen::MatrixXd R;  // n × n upper triangular
};

// (5) classical Gram-Schmidt: r_ij = q_iᵀ a_j against the ORIGINAL column.   2mn² flops.
QrFactorization classical_gram_schmidt(const Eigen::MatrixXd& A);
// CGS applied twice (re-orthogonalisation, "twice is enough"): orthogonal to O(u) while
// κ(A) u < 1.   4mn² flops.
QrFactorization classical_gram_schmidt_twice(const Eigen::MatrixXd& A);
// (6) modified Gram-Schmidt: r_ij = q_iᵀ v_j against the UPDATED column.     2mn² flops.
QrFactorization modified_gram_schmidt(const Eigen::MatrixXd& A);

// (7)-(8) Householder QR, A = H_0 H_1 ... H_{n-1} R with H_k = I - β_k v_k v_kᵀ.
// Sign convention as Eigen/LAPACK: R_kk = -sign(a_kk) ‖x‖, so R matches Eigen's.
struct HouseholderQr {
  Eigen::MatrixXd V;     // m × n; column k holds v_k in rows k..m-1 (v_k(k) = 1)
  Eigen::VectorXd beta;  // n reflector coefficients β_k = 2 / v_kᵀ v_k (0: H_k = I)
  Eigen::MatrixXd R;     // n × n upper triangular
};
// 2mn² - 2n³/3 flops.
HouseholderQr householder_qr(const Eigen::MatrixXd& A);
// The thin Q = H_0 ... H_{n-1} [I_n; 0]  (m × n), by backward accumulation.
Eigen::MatrixXd householder_thin_q(const HouseholderQr& qr);
// Qᵀ b (m entries) applied reflector by reflector, 4mn flops.
Eigen::VectorXd householder_apply_qt(const HouseholderQr& qr, const Eigen::VectorXd& b);
// Convenience: Q (thin) and R.
QrFactorization householder_qr_factors(const Eigen::MatrixXd& A);

// A random m × n matrix with orthonormal columns, Haar distributed: the Q of a Gaussian
// matrix with the signs of R's diagonal moved into Q (Mezzadri 2007).
Eigen::MatrixXd random_orthonormal(Eigen::Index m, Eigen::Index n, mlc::Rng& rng);
// U diag(sigma) Vᵀ with U (m × n) and V (n × n) random orthonormal: prescribed singular values.
Eigen::MatrixXd matrix_with_singular_values(Eigen::Index m, const Eigen::VectorXd& sigma,
                                            mlc::Rng& rng);
// n geometrically spaced values from 1 down to 1/kappa.
Eigen::VectorXd geometric_spectrum(Eigen::Index n, double kappa);

// ---- Symmetric eigenvalues ----------------------------------------------------------------

struct PowerIterationResult {
  double eigenvalue = 0;        // Rayleigh quotient of the final iterate
  Eigen::VectorXd eigenvector;  // unit norm
  int iterations = 0;
  bool converged = false;                  // residual ‖A v - λ v‖ <= tol ‖A‖_F
  std::vector<double> rayleigh_quotients;  // λ^(k) for k = 1..iterations
};

// (9) v <- A v / ‖A v‖, λ = vᵀ A v, from start vector x0, until ‖A v - λ v‖ <= tol ‖A‖_F.
// Converges to the eigenvalue of largest modulus at rate |λ2/λ1| (|λ2/λ1|² for λ).
PowerIterationResult power_iteration(const Eigen::MatrixXd& A, const Eigen::VectorXd& x0,
                                     double tol = 1e-12, int max_iterations = 10000);

struct SymmetricEigen {
  Eigen::VectorXd eigenvalues;   // ascending (or in order found, for deflation)
  Eigen::MatrixXd eigenvectors;  // columns, orthonormal
  int iterations = 0;            // QR steps / power iterations in total
};

// (10) The k eigenpairs of largest modulus by power iteration and Hotelling deflation
// A <- A - λ v vᵀ. Start vectors are drawn from rng. Order: as found (|λ| descending).
SymmetricEigen power_iteration_deflation(const Eigen::MatrixXd& A, int k, mlc::Rng& rng,
                                         double tol = 1e-12, int max_iterations = 100000);

struct Tridiagonal {
  Eigen::VectorXd diagonal;     // n entries d
  Eigen::VectorXd subdiagonal;  // n-1 entries e, e_i = T(i+1, i)
  Eigen::MatrixXd Q;            // A = Q T Qᵀ
};
// (11) Householder tridiagonalisation of a symmetric matrix.   4n³/3 flops (+ 4n³/3 for Q).
Tridiagonal householder_tridiagonalize(const Eigen::MatrixXd& A);

// (12)-(13) One implicit symmetric QR step with Wilkinson shift on the unreduced block
// lo..hi of T (diagonal d, subdiagonal e), chasing the bulge with Givens rotations, and
// accumulating them into the columns of Q.   O(hi - lo) flops + 6n per rotation for Q.
void implicit_qr_step(Eigen::VectorXd& d, Eigen::VectorXd& e, Eigen::Index lo, Eigen::Index hi,
                      Eigen::MatrixXd& Q);

// Eigenvalues (ascending) and eigenvectors of a symmetric matrix: tridiagonalise, then
// implicit Wilkinson-shift QR with deflation when |e_i| <= u (|d_i| + |d_{i+1}|).
SymmetricEigen symmetric_eigen(const Eigen::MatrixXd& A);

// ---- SVD ----------------------------------------------------------------------------------

// (14)-(15) One sweep of one-sided Jacobi over all column pairs (p, q), p < q, of the
// working matrix W (m × n), accumulating the rotations in V (n × n). A pair is rotated
// when |w_pᵀ w_q| > tol ‖w_p‖ ‖w_q‖. Returns the largest cosine |w_pᵀ w_q| / (‖w_p‖‖w_q‖)
// seen before rotating: the sweep's measure of non-orthogonality.
double jacobi_svd_sweep(Eigen::MatrixXd& W, Eigen::MatrixXd& V, double tol);

struct Svd {
  Eigen::MatrixXd U;                // m × n, orthonormal columns (where σ > 0)
  Eigen::VectorXd singular_values;  // n, descending
  Eigen::MatrixXd V;                // n × n orthogonal
  int sweeps = 0;
  std::vector<double> off_per_sweep;  // the value jacobi_svd_sweep returned, per sweep
};
// Thin SVD A = U Σ Vᵀ of an m × n matrix, m >= n, by one-sided Jacobi sweeps until no
// pair has cosine above tol (default m·u).  (12m + 6n) n(n-1)/2 flops per sweep.
Svd jacobi_svd(const Eigen::MatrixXd& A, double tol = -1, int max_sweeps = 60);

// ---- Least squares ------------------------------------------------------------------------

struct NormalEquationsSolution {
  Eigen::VectorXd x;  // NaN when the Cholesky factorization failed
  CholeskyFactorization cholesky;
};
// (16) AᵀA x = Aᵀb by Cholesky.   mn² + n³/3 flops.
NormalEquationsSolution lstsq_normal_equations(const Eigen::MatrixXd& A, const Eigen::VectorXd& b);
// (17) R x = (Qᵀ b)_{1:n} by Householder QR.   2mn² - 2n³/3 flops.
Eigen::VectorXd lstsq_qr(const Eigen::MatrixXd& A, const Eigen::VectorXd& b);
// (18) x = V Σ⁻¹ Uᵀ b by one-sided Jacobi SVD; σ_i <= rcond σ_1 are treated as zero.
Eigen::VectorXd lstsq_svd(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, double rcond = 0.0);

// (19) Normwise backward error of x as a least-squares solution, perturbing A only
// (Waldén, Karlson & Sun 1995; Higham Thm 20.5 with θ -> ∞):
//   η(x) = min{ φ, σ_min([A, φ (I - r r⁺)]) },  φ = ‖r‖ / ‖x‖,  r = b - A x,
// returned relative to ‖A‖_F. (σ_min from Eigen's SVD: it is the measuring instrument.)
double lstsq_backward_error(const Eigen::MatrixXd& A, const Eigen::VectorXd& b,
                            const Eigen::VectorXd& x);

// ---- Test matrices and measures -----------------------------------------------------------

// H_ij = 1 / (i + j + 1), i, j = 0..n-1: κ₂(H_n) grows like e^{3.5 n}.
Eigen::MatrixXd hilbert(Eigen::Index n);
// Läuchli's (n+1) × n matrix [1ᵀ; ε I]: AᵀA = 11ᵀ + ε² I is singular in floating point
// once ε² < u.
Eigen::MatrixXd lauchli(Eigen::Index n, double epsilon);
// Wilkinson's matrix with growth 2^{n-1} under partial pivoting: 1 on the diagonal and
// last column, -1 below the diagonal.
Eigen::MatrixXd wilkinson_growth_matrix(Eigen::Index n);

// ‖QᵀQ - I‖₂ (Eigen's symmetric eigensolver as the measuring instrument).
double orthogonality_loss(const Eigen::MatrixXd& Q);
// κ₂(A) = σ_max / σ_min from Eigen's JacobiSVD (the measuring instrument).
double condition_number(const Eigen::MatrixXd& A);

}  // namespace linear_algebra
