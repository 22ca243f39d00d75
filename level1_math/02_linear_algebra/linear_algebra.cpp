// linear_algebra.cpp: LU, Cholesky, Gram-Schmidt, Householder QR, symmetric eigenvalues
// and one-sided Jacobi SVD, written from scratch. Equation numbers refer to NOTES.md.
// Follows Golub & Van Loan, Matrix Computations (4th ed.), chapters 3, 4, 5 and 8.
#include "linear_algebra.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include <fmt/format.h>
#include <Eigen/Dense>

#include "mlc/error.hpp"

namespace linear_algebra {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();  // 2u
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string shape(const Eigen::MatrixXd& A) {
  return fmt::format("{} × {}", A.rows(), A.cols());
}

void require_square(const Eigen::MatrixXd& A, const char* function) {
  mlc::require(A.rows() == A.cols() && A.rows() > 0, function,
               "needs a non-empty square matrix, got " + shape(A));
}

void require_tall(const Eigen::MatrixXd& A, const char* function) {
  mlc::require(A.rows() >= A.cols() && A.cols() > 0, function,
               "needs an m × n matrix with m >= n >= 1, got " + shape(A));
}

// Shared elimination: (1) for k = 0..n-2 pick the pivot row, swap, form the multipliers
// l_ik = a_ik / a_kk and update the trailing block a_ij -= l_ik a_kj (2).
LuFactorization lu_eliminate(const Eigen::MatrixXd& A, bool pivot) {
  const Eigen::Index n = A.rows();
  Eigen::MatrixXd W = A;  // holds L below the diagonal and U on and above it
  LuFactorization lu;
  lu.perm.resize(n);
  std::iota(lu.perm.data(), lu.perm.data() + n, 0);
  const double max_a = A.cwiseAbs().maxCoeff();
  double max_intermediate = max_a;
  // BEGIN EXERCISE lu_partial_pivoting: Gaussian elimination with row exchanges, (1)-(3)
  for (Eigen::Index k = 0; k + 1 < n; ++k) {
    if (pivot) {
      Eigen::Index p = 0;  // row of the largest |a_ik|, i >= k
      W.col(k).tail(n - k).cwiseAbs().maxCoeff(&p);
      p += k;
      if (p != k) {
        W.row(k).swap(W.row(p));  // swaps the multipliers of L too: P A = L U
        std::swap(lu.perm(k), lu.perm(p));
      }
    }
    const double pivot_value = W(k, k);
    // (2) multipliers l_ik = a_ik / a_kk   [n-k-1]
    W.col(k).tail(n - k - 1) /= pivot_value;
    // (2) Schur complement update A_22 -= l u_12ᵀ   [(n-k-1) × (n-k-1)], 2(n-k)² flops
    W.bottomRightCorner(n - k - 1, n - k - 1).noalias() -=
        W.col(k).tail(n - k - 1) * W.row(k).tail(n - k - 1);
    max_intermediate =
        std::max(max_intermediate, W.bottomRightCorner(n - k - 1, n - k - 1).cwiseAbs().maxCoeff());
  }
  lu.L = W.triangularView<Eigen::UnitLower>();
  lu.U = W.triangularView<Eigen::Upper>();
  // (3) growth factor ρ; NaN/inf after a zero pivot is a measured result, not an error
  lu.growth_factor = max_a > 0 ? max_intermediate / max_a : kNaN;
  return lu;
  // END EXERCISE
}

}  // namespace

// ---- LU ---------------------------------------------------------------------------------

LuFactorization lu_partial_pivoting(const Eigen::MatrixXd& A) {
  require_square(A, "lu_partial_pivoting");
  return lu_eliminate(A, true);
}

LuFactorization lu_no_pivoting(const Eigen::MatrixXd& A) {
  require_square(A, "lu_no_pivoting");
  return lu_eliminate(A, false);
}

Eigen::MatrixXd permutation_matrix(const Eigen::VectorXi& perm) {
  const Eigen::Index n = perm.size();
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    mlc::require(perm(i) >= 0 && perm(i) < n, "permutation_matrix", "entry out of range");
    P(i, perm(i)) = 1.0;
  }
  return P;
}

Eigen::VectorXd solve_lower_triangular(const Eigen::MatrixXd& L, const Eigen::VectorXd& b,
                                       bool unit_diagonal) {
  require_square(L, "solve_lower_triangular");
  mlc::require(b.size() == L.rows(), "solve_lower_triangular",
               fmt::format("L is {} but b has {} entries", shape(L), b.size()));
  const Eigen::Index n = L.rows();
  Eigen::VectorXd x = b;
  for (Eigen::Index i = 0; i < n; ++i) {  // x_i = (b_i - Σ_{j<i} l_ij x_j) / l_ii
    x(i) -= L.row(i).head(i).dot(x.head(i));
    if (!unit_diagonal) x(i) /= L(i, i);
  }
  return x;
}

Eigen::VectorXd solve_upper_triangular(const Eigen::MatrixXd& U, const Eigen::VectorXd& b) {
  require_square(U, "solve_upper_triangular");
  mlc::require(b.size() == U.rows(), "solve_upper_triangular",
               fmt::format("U is {} but b has {} entries", shape(U), b.size()));
  const Eigen::Index n = U.rows();
  Eigen::VectorXd x = b;
  for (Eigen::Index i = n - 1; i >= 0; --i) {  // x_i = (b_i - Σ_{j>i} u_ij x_j) / u_ii
    x(i) -= U.row(i).tail(n - 1 - i).dot(x.tail(n - 1 - i));
    x(i) /= U(i, i);
  }
  return x;
}

Eigen::VectorXd lu_solve(const LuFactorization& lu, const Eigen::VectorXd& b) {
  mlc::require(b.size() == lu.L.rows(), "lu_solve",
               fmt::format("factorization is {} but b has {} entries", shape(lu.L), b.size()));
  Eigen::VectorXd pb(b.size());
  for (Eigen::Index i = 0; i < b.size(); ++i) pb(i) = b(lu.perm(i));            // P b
  return solve_upper_triangular(lu.U, solve_lower_triangular(lu.L, pb, true));  // U x = L⁻¹ P b
}

// ---- Cholesky ---------------------------------------------------------------------------

CholeskyFactorization cholesky(const Eigen::MatrixXd& A) {
  require_square(A, "cholesky");
  const Eigen::Index n = A.rows();
  CholeskyFactorization c;
  c.L = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    // (4) l_jj = sqrt(a_jj - Σ_{k<j} l_jk²),  l_ij = (a_ij - Σ_{k<j} l_ik l_jk) / l_jj
    const double pivot = A(j, j) - c.L.row(j).head(j).squaredNorm();
    if (!(pivot > 0.0)) {
      c.positive_definite = false;
      c.failed_column = j;
      c.failed_pivot = pivot;
      return c;
    }
    c.L(j, j) = std::sqrt(pivot);
    for (Eigen::Index i = j + 1; i < n; ++i) {
      c.L(i, j) = (A(i, j) - c.L.row(i).head(j).dot(c.L.row(j).head(j))) / c.L(j, j);
    }
  }
  return c;
}

// ---- Gram-Schmidt -----------------------------------------------------------------------

QrFactorization classical_gram_schmidt(const Eigen::MatrixXd& A) {
  require_tall(A, "classical_gram_schmidt");
  const Eigen::Index m = A.rows(), n = A.cols();
  QrFactorization f{Eigen::MatrixXd::Zero(m, n), Eigen::MatrixXd::Zero(n, n)};
  for (Eigen::Index j = 0; j < n; ++j) {
    // (5) r_{0:j, j} = Q_{:, 0:j}ᵀ a_j: all projections from the ORIGINAL column   [j]
    f.R.col(j).head(j).noalias() = f.Q.leftCols(j).transpose() * A.col(j);
    Eigen::VectorXd v = A.col(j) - f.Q.leftCols(j) * f.R.col(j).head(j);
    f.R(j, j) = v.norm();
    f.Q.col(j) = v / f.R(j, j);
  }
  return f;
}

QrFactorization classical_gram_schmidt_twice(const Eigen::MatrixXd& A) {
  // "twice is enough" (Giraud et al. 2005): A = Q1 R1, Q1 = Q2 R2, so A = Q2 (R2 R1)
  const QrFactorization first = classical_gram_schmidt(A);
  const QrFactorization second = classical_gram_schmidt(first.Q);
  return {second.Q, second.R * first.R};
}

QrFactorization modified_gram_schmidt(const Eigen::MatrixXd& A) {
  require_tall(A, "modified_gram_schmidt");
  // BEGIN EXERCISE modified_gram_schmidt: orthogonalise against the updated columns, (6)
  const Eigen::Index n = A.cols();
  QrFactorization f{A, Eigen::MatrixXd::Zero(n, n)};  // Q starts as A and is overwritten
  for (Eigen::Index i = 0; i < n; ++i) {
    f.R(i, i) = f.Q.col(i).norm();
    f.Q.col(i) /= f.R(i, i);
    // (6) r_ij = q_iᵀ v_j with v_j already orthogonalised against q_0..q_{i-1}
    for (Eigen::Index j = i + 1; j < n; ++j) {
      f.R(i, j) = f.Q.col(i).dot(f.Q.col(j));
      f.Q.col(j) -= f.R(i, j) * f.Q.col(i);
    }
  }
  return f;
  // END EXERCISE
}

// ---- Householder QR -----------------------------------------------------------------------

HouseholderQr householder_qr(const Eigen::MatrixXd& A) {
  require_tall(A, "householder_qr");
  // BEGIN EXERCISE householder_qr: reflect each column onto ±‖x‖ e_1, (7)-(8)
  const Eigen::Index m = A.rows(), n = A.cols();
  Eigen::MatrixXd W = A;
  HouseholderQr qr{Eigen::MatrixXd::Zero(m, n), Eigen::VectorXd::Zero(n),
                   Eigen::MatrixXd::Zero(n, n)};
  for (Eigen::Index k = 0; k < n; ++k) {
    const Eigen::Index len = m - k;
    Eigen::VectorXd v = W.col(k).tail(len);  // x = a_{k:m, k}
    const double x0 = v(0);
    const double tail_sq = v.tail(len - 1).squaredNorm();
    double alpha = x0;  // the new diagonal entry R_kk; H_k = I when x is already e_1-aligned
    double beta = 0.0;
    if (tail_sq > 0.0) {
      // (7) α = -sign(x_0) ‖x‖ (no cancellation in v_0 = x_0 - α); v = (x - α e_1) / v_0,
      // so that v_0 = 1; β = 2 / vᵀv
      alpha = -std::copysign(std::sqrt(x0 * x0 + tail_sq), x0);
      v /= x0 - alpha;
      beta = 2.0 / (1.0 + tail_sq / ((x0 - alpha) * (x0 - alpha)));
    }
    v(0) = 1.0;
    qr.V.col(k).tail(len) = v;
    qr.beta(k) = beta;
    W(k, k) = alpha;
    W.col(k).tail(len - 1).setZero();
    // (8) apply H_k = I - β v vᵀ to the trailing columns: A -= β v (vᵀ A)   4(m-k)(n-k) flops
    if (beta != 0.0 && k + 1 < n) {
      Eigen::RowVectorXd w = v.transpose() * W.block(k, k + 1, len, n - k - 1);
      W.block(k, k + 1, len, n - k - 1).noalias() -= (beta * v) * w;
    }
  }
  qr.R = W.topRows(n).triangularView<Eigen::Upper>();
  return qr;
  // END EXERCISE
}

Eigen::MatrixXd householder_thin_q(const HouseholderQr& qr) {
  const Eigen::Index m = qr.V.rows(), n = qr.V.cols();
  Eigen::MatrixXd Q = Eigen::MatrixXd::Identity(m, n);
  for (Eigen::Index k = n - 1; k >= 0; --k) {  // Q = H_0 (H_1 (... (H_{n-1} [I; 0])))
    if (qr.beta(k) == 0.0) continue;
    const auto v = qr.V.col(k).tail(m - k);
    Eigen::RowVectorXd w = v.transpose() * Q.bottomRows(m - k);
    Q.bottomRows(m - k).noalias() -= (qr.beta(k) * v) * w;
  }
  return Q;
}

Eigen::VectorXd householder_apply_qt(const HouseholderQr& qr, const Eigen::VectorXd& b) {
  const Eigen::Index m = qr.V.rows(), n = qr.V.cols();
  mlc::require(b.size() == m, "householder_apply_qt",
               fmt::format("Q has {} rows but b has {} entries", m, b.size()));
  Eigen::VectorXd y = b;
  for (Eigen::Index k = 0; k < n; ++k) {  // Qᵀ b = H_{n-1} ... H_0 b
    const auto v = qr.V.col(k).tail(m - k);
    y.tail(m - k) -= qr.beta(k) * v.dot(y.tail(m - k)) * v;
  }
  return y;
}

QrFactorization householder_qr_factors(const Eigen::MatrixXd& A) {
  const HouseholderQr qr = householder_qr(A);
  return {householder_thin_q(qr), qr.R};
}

Eigen::MatrixXd random_orthonormal(Eigen::Index m, Eigen::Index n, mlc::Rng& rng) {
  mlc::require(m >= n && n > 0, "random_orthonormal",
               fmt::format("needs m >= n >= 1, got {} × {}", m, n));
  const HouseholderQr qr = householder_qr(rng.normal_matrix(m, n));
  Eigen::MatrixXd Q = householder_thin_q(qr);
  for (Eigen::Index j = 0; j < n; ++j) {
    if (qr.R(j, j) < 0) Q.col(j) *= -1.0;  // Q diag(sign(R_jj)) is Haar distributed
  }
  return Q;
}

Eigen::MatrixXd matrix_with_singular_values(Eigen::Index m, const Eigen::VectorXd& sigma,
                                            mlc::Rng& rng) {
  const Eigen::Index n = sigma.size();
  mlc::require(m >= n && n > 0, "matrix_with_singular_values",
               fmt::format("needs m >= n >= 1, got m = {}, n = {}", m, n));
  const Eigen::MatrixXd U = random_orthonormal(m, n, rng);
  const Eigen::MatrixXd V = random_orthonormal(n, n, rng);
  return U * sigma.asDiagonal() * V.transpose();
}

Eigen::VectorXd geometric_spectrum(Eigen::Index n, double kappa) {
  mlc::require(n >= 1 && kappa >= 1.0, "geometric_spectrum", "needs n >= 1 and kappa >= 1");
  Eigen::VectorXd s(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    s(i) = n == 1 ? 1.0 : std::pow(kappa, -static_cast<double>(i) / static_cast<double>(n - 1));
  }
  return s;
}

// ---- Symmetric eigenvalues ----------------------------------------------------------------

PowerIterationResult power_iteration(const Eigen::MatrixXd& A, const Eigen::VectorXd& x0,
                                     double tol, int max_iterations) {
  require_square(A, "power_iteration");
  mlc::require(x0.size() == A.rows(), "power_iteration",
               fmt::format("A is {} but x0 has {} entries", shape(A), x0.size()));
  mlc::require(x0.norm() > 0, "power_iteration", "start vector is zero");
  PowerIterationResult r;
  const double norm_a = A.norm();
  Eigen::VectorXd v = x0.normalized();
  Eigen::VectorXd Av = A * v;
  for (int k = 1; k <= max_iterations; ++k) {
    const double av_norm = Av.norm();
    if (av_norm == 0.0) {  // x0 in the null space: λ = 0 is an eigenvalue with vector v
      r.eigenvalue = 0.0;
      r.converged = true;
      break;
    }
    v = Av / av_norm;  // (9) v_k = A v_{k-1} / ‖A v_{k-1}‖
    Av.noalias() = A * v;
    r.eigenvalue = v.dot(Av);  // (9) Rayleigh quotient λ_k = v_kᵀ A v_k
    r.rayleigh_quotients.push_back(r.eigenvalue);
    r.iterations = k;
    if ((Av - r.eigenvalue * v).norm() <= tol * norm_a) {
      r.converged = true;
      break;
    }
  }
  r.eigenvector = v;
  return r;
}

SymmetricEigen power_iteration_deflation(const Eigen::MatrixXd& A, int k, mlc::Rng& rng, double tol,
                                         int max_iterations) {
  require_square(A, "power_iteration_deflation");
  mlc::require(k >= 1 && k <= A.rows(), "power_iteration_deflation",
               fmt::format("k = {} must lie in 1..{}", k, A.rows()));
  mlc::require((A - A.transpose()).norm() <= 1e-12 * A.norm(), "power_iteration_deflation",
               "A must be symmetric");
  SymmetricEigen out;
  out.eigenvalues.resize(k);
  out.eigenvectors.resize(A.rows(), k);
  Eigen::MatrixXd B = A;
  for (int j = 0; j < k; ++j) {
    const PowerIterationResult p =
        power_iteration(B, rng.normal_vector(A.rows()), tol, max_iterations);
    if (!p.converged) {
      throw mlc::NumericalError(
          fmt::format("power_iteration_deflation: eigenpair {} did not converge in {} iterations "
                      "(|λ_{}/λ_{}| too close to 1?)",
                      j + 1, max_iterations, j + 2, j + 1));
    }
    out.eigenvalues(j) = p.eigenvalue;
    out.eigenvectors.col(j) = p.eigenvector;
    out.iterations += p.iterations;
    B.noalias() -= p.eigenvalue * p.eigenvector * p.eigenvector.transpose();  // (10) Hotelling
  }
  return out;
}

Tridiagonal householder_tridiagonalize(const Eigen::MatrixXd& A) {
  require_square(A, "householder_tridiagonalize");
  const Eigen::Index n = A.rows();
  Eigen::MatrixXd T = A;
  Eigen::MatrixXd Q = Eigen::MatrixXd::Identity(n, n);
  for (Eigen::Index k = 0; k + 2 < n; ++k) {
    const Eigen::Index len = n - k - 1;
    // (11) reflector that zeroes T(k+2:n, k): the same construction as (7) on x = T(k+1:n, k)
    const HouseholderQr h = householder_qr(T.col(k).tail(len));
    const double beta = h.beta(0);
    if (beta == 0.0) continue;
    const Eigen::VectorXd v = h.V.col(0);
    // (11) T22 <- H T22 H with p = β T22 v, w = p - (β pᵀv / 2) v:  T22 -= v wᵀ + w vᵀ
    auto T22 = T.bottomRightCorner(len, len);
    const Eigen::VectorXd p = beta * (T22 * v);
    const Eigen::VectorXd w = p - (0.5 * beta * p.dot(v)) * v;
    T22.noalias() -= v * w.transpose() + w * v.transpose();
    T(k + 1, k) = T(k, k + 1) = h.R(0, 0);
    T.col(k).tail(len - 1).setZero();
    T.row(k).tail(len - 1).setZero();
    // Q <- Q H_k on columns k+1..n-1
    auto Qc = Q.rightCols(len);
    const Eigen::VectorXd qv = Qc * v;
    Qc.noalias() -= (beta * qv) * v.transpose();
  }
  Tridiagonal t;
  t.diagonal = T.diagonal();
  t.subdiagonal = n > 1 ? Eigen::VectorXd(T.diagonal(-1)) : Eigen::VectorXd();
  t.Q = Q;
  return t;
}

void implicit_qr_step(Eigen::VectorXd& d, Eigen::VectorXd& e, Eigen::Index lo, Eigen::Index hi,
                      Eigen::MatrixXd& Q) {
  mlc::require(
      lo >= 0 && lo < hi && hi < d.size() && e.size() == d.size() - 1 && Q.cols() == d.size(),
      "implicit_qr_step", fmt::format("bad block {}..{} for n = {}", lo, hi, d.size()));
  // BEGIN EXERCISE implicit_qr_step: Wilkinson shift (12) and bulge chasing (13)
  // (12) Wilkinson shift: the eigenvalue of the trailing 2 × 2 block closer to d_hi
  const double delta = 0.5 * (d(hi - 1) - d(hi));
  const double b2 = e(hi - 1) * e(hi - 1);
  const double sign = delta >= 0.0 ? 1.0 : -1.0;
  const double mu = d(hi) - b2 / (delta + sign * std::hypot(delta, e(hi - 1)));
  // (13) Givens rotation G_k on rows/columns k, k+1: T <- G T Gᵀ, Q <- Q Gᵀ. The first
  // one is chosen from the shifted column (d_lo - μ, e_lo); the next ones chase the bulge.
  double x = d(lo) - mu;
  double z = e(lo);
  double bulge = 0.0;
  for (Eigen::Index k = lo; k < hi; ++k) {
    const double r = std::hypot(x, z);
    const double c = r == 0.0 ? 1.0 : x / r;
    const double s = r == 0.0 ? 0.0 : z / r;
    if (k > lo) e(k - 1) = r;  // the bulge at (k+1, k-1) is annihilated into e_{k-1}
    const double a = d(k), f = e(k), g = d(k + 1);
    d(k) = c * c * a + 2.0 * c * s * f + s * s * g;
    d(k + 1) = s * s * a - 2.0 * c * s * f + c * c * g;
    e(k) = c * s * (g - a) + (c * c - s * s) * f;
    if (k + 1 < hi) {  // new bulge at (k+2, k)
      bulge = s * e(k + 1);
      e(k + 1) *= c;
      x = e(k);
      z = bulge;
    }
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {  // Q <- Q Gᵀ
      const double qk = Q(i, k), qk1 = Q(i, k + 1);
      Q(i, k) = c * qk + s * qk1;
      Q(i, k + 1) = -s * qk + c * qk1;
    }
  }
  // END EXERCISE
}

SymmetricEigen symmetric_eigen(const Eigen::MatrixXd& A) {
  require_square(A, "symmetric_eigen");
  mlc::require((A - A.transpose()).norm() <= 1e-12 * A.norm(), "symmetric_eigen",
               "A must be symmetric");
  mlc::require_finite(A, "symmetric_eigen: A");
  const Eigen::Index n = A.rows();
  Tridiagonal t = householder_tridiagonalize(A);
  Eigen::VectorXd& d = t.diagonal;
  Eigen::VectorXd& e = t.subdiagonal;
  SymmetricEigen out;
  const int max_steps = 30 * static_cast<int>(n);
  while (true) {
    // deflation: an off-diagonal entry negligible against its neighbours is set to zero
    for (Eigen::Index i = 0; i + 1 < n; ++i) {
      if (std::abs(e(i)) <= kEps * 0.5 * (std::abs(d(i)) + std::abs(d(i + 1)))) e(i) = 0.0;
    }
    Eigen::Index hi = n - 1;
    while (hi > 0 && e(hi - 1) == 0.0) --hi;
    if (hi == 0) break;
    Eigen::Index lo = hi - 1;
    while (lo > 0 && e(lo - 1) != 0.0) --lo;
    if (out.iterations >= max_steps) {
      throw mlc::NumericalError(
          fmt::format("symmetric_eigen: no convergence after {} QR steps", out.iterations));
    }
    implicit_qr_step(d, e, lo, hi, t.Q);
    ++out.iterations;
  }
  // sort ascending, as Eigen's SelfAdjointEigenSolver does
  std::vector<Eigen::Index> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](Eigen::Index a, Eigen::Index b) { return d(a) < d(b); });
  out.eigenvalues.resize(n);
  out.eigenvectors.resize(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    out.eigenvalues(j) = d(order[static_cast<size_t>(j)]);
    out.eigenvectors.col(j) = t.Q.col(order[static_cast<size_t>(j)]);
  }
  return out;
}

// ---- SVD ----------------------------------------------------------------------------------

double jacobi_svd_sweep(Eigen::MatrixXd& W, Eigen::MatrixXd& V, double tol) {
  mlc::require(V.rows() == W.cols() && V.cols() == W.cols(), "jacobi_svd_sweep",
               fmt::format("W is {} but V is {}", shape(W), shape(V)));
  // BEGIN EXERCISE jacobi_svd_sweep: rotate each column pair to orthogonality, (14)-(15)
  const Eigen::Index n = W.cols();
  double max_cosine = 0.0;
  for (Eigen::Index p = 0; p + 1 < n; ++p) {
    for (Eigen::Index q = p + 1; q < n; ++q) {
      // (14) the 2 × 2 Gram matrix [α γ; γ β] of columns p and q
      const double alpha = W.col(p).squaredNorm();
      const double beta = W.col(q).squaredNorm();
      const double gamma = W.col(p).dot(W.col(q));
      if (alpha == 0.0 || beta == 0.0) continue;
      const double cosine = std::abs(gamma) / std::sqrt(alpha * beta);
      max_cosine = std::max(max_cosine, cosine);
      if (cosine <= tol) continue;
      // (15) ζ = (β - α) / 2γ, t = sign(ζ) / (|ζ| + sqrt(1 + ζ²)) (the smaller root),
      // c = 1/sqrt(1 + t²), s = c t: diagonalises the Gram matrix
      const double zeta = (beta - alpha) / (2.0 * gamma);
      const double t = (zeta >= 0.0 ? 1.0 : -1.0) / (std::abs(zeta) + std::sqrt(1.0 + zeta * zeta));
      const double c = 1.0 / std::sqrt(1.0 + t * t);
      const double s = c * t;
      for (Eigen::Index i = 0; i < W.rows(); ++i) {
        const double wp = W(i, p), wq = W(i, q);
        W(i, p) = c * wp - s * wq;
        W(i, q) = s * wp + c * wq;
      }
      for (Eigen::Index i = 0; i < V.rows(); ++i) {
        const double vp = V(i, p), vq = V(i, q);
        V(i, p) = c * vp - s * vq;
        V(i, q) = s * vp + c * vq;
      }
    }
  }
  return max_cosine;
  // END EXERCISE
}

Svd jacobi_svd(const Eigen::MatrixXd& A, double tol, int max_sweeps) {
  require_tall(A, "jacobi_svd");
  mlc::require_finite(A, "jacobi_svd: A");
  const Eigen::Index m = A.rows(), n = A.cols();
  if (tol < 0) tol = static_cast<double>(m) * kEps * 0.5;
  Eigen::MatrixXd W = A;
  Eigen::MatrixXd V = Eigen::MatrixXd::Identity(n, n);
  Svd out;
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    const double off = jacobi_svd_sweep(W, V, tol);
    out.off_per_sweep.push_back(off);
    ++out.sweeps;
    if (off <= tol) break;
  }
  if (out.off_per_sweep.back() > tol) {
    throw mlc::NumericalError(fmt::format("jacobi_svd: no convergence in {} sweeps", max_sweeps));
  }
  // σ_j = ‖w_j‖, u_j = w_j / σ_j, sorted descending
  Eigen::VectorXd norms = W.colwise().norm().transpose();
  std::vector<Eigen::Index> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return norms(a) > norms(b); });
  out.U = Eigen::MatrixXd::Zero(m, n);
  out.V.resize(n, n);
  out.singular_values.resize(n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const Eigen::Index src = order[static_cast<size_t>(j)];
    out.singular_values(j) = norms(src);
    out.V.col(j) = V.col(src);
    if (norms(src) > 0) out.U.col(j) = W.col(src) / norms(src);
  }
  return out;
}

// ---- Least squares ------------------------------------------------------------------------

NormalEquationsSolution lstsq_normal_equations(const Eigen::MatrixXd& A, const Eigen::VectorXd& b) {
  require_tall(A, "lstsq_normal_equations");
  mlc::require(b.size() == A.rows(), "lstsq_normal_equations",
               fmt::format("A is {} but b has {} entries", shape(A), b.size()));
  NormalEquationsSolution s;
  const Eigen::MatrixXd G = A.transpose() * A;  // (16) AᵀA: κ(AᵀA) = κ(A)²   mn² flops
  const Eigen::VectorXd c = A.transpose() * b;
  s.cholesky = cholesky(G);
  if (!s.cholesky.positive_definite) {
    s.x = Eigen::VectorXd::Constant(A.cols(), kNaN);
    return s;
  }
  const Eigen::MatrixXd& L = s.cholesky.L;  // L Lᵀ x = Aᵀ b
  s.x = solve_upper_triangular(L.transpose(), solve_lower_triangular(L, c));
  return s;
}

Eigen::VectorXd lstsq_qr(const Eigen::MatrixXd& A, const Eigen::VectorXd& b) {
  require_tall(A, "lstsq_qr");
  mlc::require(b.size() == A.rows(), "lstsq_qr",
               fmt::format("A is {} but b has {} entries", shape(A), b.size()));
  const HouseholderQr qr = householder_qr(A);
  const Eigen::VectorXd qtb = householder_apply_qt(qr, b);  // (17) Qᵀ b
  return solve_upper_triangular(qr.R, qtb.head(A.cols()));  // (17) R x = (Qᵀ b)_{1:n}
}

Eigen::VectorXd lstsq_svd(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, double rcond) {
  require_tall(A, "lstsq_svd");
  mlc::require(b.size() == A.rows(), "lstsq_svd",
               fmt::format("A is {} but b has {} entries", shape(A), b.size()));
  const Svd svd = jacobi_svd(A);
  Eigen::VectorXd c = svd.U.transpose() * b;  // (18) x = Σ_i (u_iᵀ b / σ_i) v_i
  const double cutoff = rcond * svd.singular_values(0);
  for (Eigen::Index i = 0; i < c.size(); ++i) {
    const double s = svd.singular_values(i);
    c(i) = s > cutoff && s > 0 ? c(i) / s : 0.0;
  }
  return svd.V * c;
}

double lstsq_backward_error(const Eigen::MatrixXd& A, const Eigen::VectorXd& b,
                            const Eigen::VectorXd& x) {
  mlc::require(b.size() == A.rows() && x.size() == A.cols(), "lstsq_backward_error",
               fmt::format("A is {}, b has {}, x has {} entries", shape(A), b.size(), x.size()));
  if (!x.allFinite()) return kNaN;
  const Eigen::Index m = A.rows(), n = A.cols();
  const Eigen::VectorXd r = b - A * x;
  const double rn = r.norm(), xn = x.norm();
  if (rn == 0.0) return 0.0;
  const double phi = rn / xn;  // (19) φ = ‖r‖ / ‖x‖
  Eigen::MatrixXd M(m, n + m);
  M.leftCols(n) = A;
  M.rightCols(m) = phi * (Eigen::MatrixXd::Identity(m, m) - r * r.transpose() / (rn * rn));
  const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(M).singularValues();
  return std::min(phi, s(m - 1)) / A.norm();
}

// ---- Test matrices and measures -----------------------------------------------------------

Eigen::MatrixXd hilbert(Eigen::Index n) {
  mlc::require(n >= 1, "hilbert", "n must be >= 1");
  Eigen::MatrixXd H(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) H(i, j) = 1.0 / static_cast<double>(i + j + 1);
  return H;
}

Eigen::MatrixXd lauchli(Eigen::Index n, double epsilon) {
  mlc::require(n >= 1, "lauchli", "n must be >= 1");
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n + 1, n);
  A.row(0).setOnes();
  A.bottomRows(n).diagonal().setConstant(epsilon);
  return A;
}

Eigen::MatrixXd wilkinson_growth_matrix(Eigen::Index n) {
  mlc::require(n >= 2, "wilkinson_growth_matrix", "n must be >= 2");
  Eigen::MatrixXd A = Eigen::MatrixXd::Identity(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < i; ++j) A(i, j) = -1.0;
  A.col(n - 1).setOnes();
  return A;
}

double orthogonality_loss(const Eigen::MatrixXd& Q) {
  const Eigen::MatrixXd E = Q.transpose() * Q - Eigen::MatrixXd::Identity(Q.cols(), Q.cols());
  if (!E.allFinite()) return kNaN;
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(E, Eigen::EigenvaluesOnly)
      .eigenvalues()
      .cwiseAbs()
      .maxCoeff();
}

double condition_number(const Eigen::MatrixXd& A) {
  const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(A).singularValues();
  return s(0) / s(s.size() - 1);
}

}  // namespace linear_algebra
