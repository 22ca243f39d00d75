// test.cpp: the grade of lesson 1.2. Every factorization is checked against Eigen's
// (PartialPivLU, LLT, HouseholderQR, SelfAdjointEigenSolver, JacobiSVD) on a random and an
// ill-conditioned matrix, with tolerances c·u·κ or c·u·‖A‖ (u = 2^-53, c a small multiple
// of the dimension as in the a-priori bounds of Higham's book); then the properties
// (convergence rates) and each failure mode the report claims.
#include "linear_algebra.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <Eigen/Dense>

#include "mlc/rng.hpp"
#include "mlc/testing.hpp"

namespace la = linear_algebra;

namespace {

constexpr double u = std::numeric_limits<double>::epsilon() / 2;  // unit roundoff 1.1e-16

Eigen::MatrixXd spd_with_condition(Eigen::Index n, double kappa, mlc::Rng& rng) {
  const Eigen::MatrixXd Q = la::random_orthonormal(n, n, rng);
  const Eigen::MatrixXd A = Q * la::geometric_spectrum(n, kappa).asDiagonal() * Q.transpose();
  return 0.5 * (A + A.transpose());
}

double rel(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).norm() / b.norm();
}

// ---- 1. against Eigen --------------------------------------------------------------------

class AgainstEigen : public ::testing::TestWithParam<double> {};  // parameter: κ (0 = random)

Eigen::MatrixXd square_test_matrix(double kappa, Eigen::Index n, mlc::Rng& rng) {
  return kappa == 0 ? rng.normal_matrix(n, n)
                    : la::matrix_with_singular_values(n, la::geometric_spectrum(n, kappa), rng);
}

TEST_P(AgainstEigen, LuEqualsPartialPivLu) {
  mlc::Rng rng(1);
  const Eigen::Index n = 40;
  const Eigen::MatrixXd A = square_test_matrix(GetParam(), n, rng);
  const double kappa = la::condition_number(A);
  const auto lu = la::lu_partial_pivoting(A);
  const Eigen::PartialPivLU<Eigen::MatrixXd> ref(A);
  // same pivot sequence: P is the same permutation
  EXPECT_ALLCLOSE(la::permutation_matrix(lu.perm),
                  ref.permutationP().toDenseMatrix().cast<double>(), 0.0);
  // backward stability (Higham Thm 9.3): ‖PA - LU‖ <= γ_n ρ ‖A‖ (entrywise bound, loosely)
  EXPECT_LE(rel(la::permutation_matrix(lu.perm) * A, lu.L * lu.U * 1.0),
            2.0 * n * u * lu.growth_factor);
  // the factors themselves: forward error of the same computation in another order, u·κ
  const Eigen::MatrixXd U_ref = ref.matrixLU().triangularView<Eigen::Upper>();
  const Eigen::MatrixXd L_ref = ref.matrixLU().triangularView<Eigen::UnitLower>();
  EXPECT_LE(rel(lu.U, U_ref), 10.0 * n * u * kappa);
  EXPECT_LE(rel(lu.L, L_ref), 10.0 * n * u * kappa);
  // solve: backward error ‖b - Ax‖ / (‖A‖‖x‖) at the level of u
  const Eigen::VectorXd b = rng.normal_vector(n);
  const Eigen::VectorXd x = la::lu_solve(lu, b);
  EXPECT_LE((b - A * x).norm() / (A.norm() * x.norm()), 2.0 * n * u * lu.growth_factor);
}

TEST_P(AgainstEigen, CholeskyEqualsLlt) {
  mlc::Rng rng(2);
  const Eigen::Index n = 40;
  const double kappa = GetParam() == 0 ? 1e2 : GetParam();
  const Eigen::MatrixXd A = spd_with_condition(n, kappa, rng);
  const auto c = la::cholesky(A);
  ASSERT_TRUE(c.positive_definite);
  const Eigen::LLT<Eigen::MatrixXd> ref(A);
  EXPECT_LE(rel(c.L * c.L.transpose(), A), 2.0 * n * u);  // Higham Thm 10.3
  EXPECT_LE(rel(c.L, ref.matrixL().toDenseMatrix()), 10.0 * n * u * kappa);
}

TEST_P(AgainstEigen, HouseholderQrEqualsEigenHouseholderQr) {
  mlc::Rng rng(3);
  const Eigen::Index m = 50, n = 30;
  const double kappa = GetParam();
  const Eigen::MatrixXd A =
      kappa == 0 ? rng.normal_matrix(m, n)
                 : la::matrix_with_singular_values(m, la::geometric_spectrum(n, kappa), rng);
  const double k2 = la::condition_number(A);
  const auto f = la::householder_qr_factors(A);
  const Eigen::HouseholderQR<Eigen::MatrixXd> ref(A);
  const Eigen::MatrixXd R_ref = ref.matrixQR().topRows(n).triangularView<Eigen::Upper>();
  const Eigen::MatrixXd Q_ref = ref.householderQ() * Eigen::MatrixXd::Identity(m, n);
  EXPECT_LE(rel(f.Q * f.R, A), 2.0 * m * u);            // A = QR (Higham Thm 19.4)
  EXPECT_LE(la::orthogonality_loss(f.Q), 2.0 * m * u);  // QᵀQ = I to O(m u), any κ
  EXPECT_LE(rel(f.R, R_ref), 10.0 * n * u * k2);        // same sign convention as Eigen
  EXPECT_LE((f.Q - Q_ref).norm(), 10.0 * n * u * k2);
  const Eigen::VectorXd b = rng.normal_vector(m);
  // Qᵀb reflector by reflector equals the explicit thin Qᵀb; against Eigen's Q to u·κ
  const Eigen::VectorXd qtb = la::householder_apply_qt(la::householder_qr(A), b).head(n);
  EXPECT_ALLCLOSE(qtb, f.Q.transpose() * b, 10.0 * m * u * b.norm());
  EXPECT_ALLCLOSE(qtb, Q_ref.transpose() * b, 10.0 * n * u * k2 * b.norm());
}

TEST_P(AgainstEigen, SymmetricEigenEqualsSelfAdjointEigenSolver) {
  mlc::Rng rng(4);
  const Eigen::Index n = 40;
  Eigen::MatrixXd A;
  if (GetParam() == 0) {
    const Eigen::MatrixXd M = rng.normal_matrix(n, n);
    A = 0.5 * (M + M.transpose());
  } else {  // eigenvalues ±(1 .. 1/κ), alternating signs
    Eigen::VectorXd lambda = la::geometric_spectrum(n, GetParam());
    for (Eigen::Index i = 1; i < n; i += 2) lambda(i) = -lambda(i);
    const Eigen::MatrixXd Q = la::random_orthonormal(n, n, rng);
    A = Q * lambda.asDiagonal() * Q.transpose();
    A = 0.5 * (A + A.transpose());
  }
  const auto ours = la::symmetric_eigen(A);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ref(A);
  const double norm2 = ref.eigenvalues().cwiseAbs().maxCoeff();
  // Weyl: a backward-stable method moves each eigenvalue by at most ‖ΔA‖₂ = O(n u ‖A‖₂)
  EXPECT_ALLCLOSE(ours.eigenvalues, ref.eigenvalues(), 4.0 * n * u * norm2);
  const Eigen::MatrixXd& V = ours.eigenvectors;
  EXPECT_LE((V * ours.eigenvalues.asDiagonal() * V.transpose() - A).norm() / norm2, 4.0 * n * u);
  EXPECT_LE(la::orthogonality_loss(V), 4.0 * n * u);
  // Wilkinson-shift QR: in practice about 1-2 steps per eigenvalue (GVL §8.3.5)
  EXPECT_LE(ours.iterations, 3 * n);
}

TEST_P(AgainstEigen, JacobiSvdEqualsEigenJacobiSvd) {
  mlc::Rng rng(5);
  const Eigen::Index m = 50, n = 30;
  const double kappa = GetParam();
  const Eigen::MatrixXd A =
      kappa == 0 ? rng.normal_matrix(m, n)
                 : la::matrix_with_singular_values(m, la::geometric_spectrum(n, kappa), rng);
  const auto svd = la::jacobi_svd(A);
  const Eigen::JacobiSVD<Eigen::MatrixXd> ref(A);
  const double s1 = ref.singularValues()(0);
  // Weyl for singular values: |σ_i - σ̂_i| <= ‖ΔA‖₂ = O(m u σ_1)
  EXPECT_ALLCLOSE(svd.singular_values, ref.singularValues(), 2.0 * m * u * s1);
  EXPECT_LE(rel(svd.U * svd.singular_values.asDiagonal() * svd.V.transpose(), A), 2.0 * m * u);
  // V is a product of sweeps·n(n-1)/2 rotations; each column takes (n-1) per sweep
  EXPECT_LE(la::orthogonality_loss(svd.V), svd.sweeps * n * u);
  // U = W Σ⁻¹: its columns are orthogonal to the Jacobi tolerance m·u (cosines), any κ
  EXPECT_LE(la::orthogonality_loss(svd.U), 2.0 * m * u * n);
}

INSTANTIATE_TEST_SUITE_P(RandomAndIllConditioned, AgainstEigen, ::testing::Values(0.0, 1e10),
                         [](const auto& info) {
                           return info.param == 0 ? std::string("random")
                                                  : std::string("kappa_1e10");
                         });

TEST(PowerIteration, DeflationFindsTheEigenpairsOfLargestModulus) {
  mlc::Rng rng(6);
  const Eigen::Index n = 30;
  Eigen::VectorXd lambda = Eigen::VectorXd::LinSpaced(n, -0.5, 0.5);
  lambda.head(3) << 10.0, -6.0, 3.0;
  const Eigen::MatrixXd Q = la::random_orthonormal(n, n, rng);
  Eigen::MatrixXd A = Q * lambda.asDiagonal() * Q.transpose();
  A = 0.5 * (A + A.transpose());
  const auto top = la::power_iteration_deflation(A, 3, rng, 1e-13);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ref(A);
  EXPECT_NEAR(top.eigenvalues(0), 10.0, 1e-11);
  EXPECT_NEAR(top.eigenvalues(1), -6.0, 1e-11);
  EXPECT_NEAR(top.eigenvalues(2), 3.0, 1e-11);
  EXPECT_NEAR(top.eigenvalues(0), ref.eigenvalues()(n - 1), 1e-11);
  EXPECT_NEAR(top.eigenvalues(1), ref.eigenvalues()(0), 1e-11);
  for (int j = 0; j < 3; ++j) {  // eigenvectors equal up to sign: |cos| = 1
    const Eigen::Index col = j == 1 ? 0 : (j == 0 ? n - 1 : n - 2);
    EXPECT_NEAR(std::abs(top.eigenvectors.col(j).dot(ref.eigenvectors().col(col))), 1.0, 1e-10);
  }
}

// ---- 3. properties -----------------------------------------------------------------------

TEST(PowerIteration, RayleighQuotientConvergesAtRateRatioSquared) {
  // A = diag(1, r, r/2, ...) rotated; Rayleigh quotient error ~ C r^{2k} (NOTES (9))
  mlc::Rng rng(7);
  const Eigen::Index n = 20;
  const double r = 0.8;
  Eigen::VectorXd lambda = Eigen::VectorXd::LinSpaced(n, 0.0, 0.3);
  lambda(0) = 1.0;
  lambda(1) = r;
  const Eigen::MatrixXd Q = la::random_orthonormal(n, n, rng);
  const Eigen::MatrixXd A = Q * lambda.asDiagonal() * Q.transpose();
  const auto p = la::power_iteration(A, rng.normal_vector(n), 1e-14);
  ASSERT_TRUE(p.converged);
  // error ratio between iterations 20 and 40 (well before rounding): (r²)^20 within 5%
  const double e20 = std::abs(p.rayleigh_quotients.at(19) - 1.0);
  const double e40 = std::abs(p.rayleigh_quotients.at(39) - 1.0);
  EXPECT_NEAR(std::log(e40 / e20) / 20.0, 2.0 * std::log(r), 0.05 * 2.0 * std::abs(std::log(r)));
}

TEST(Tridiagonalization, IsAnOrthogonalSimilarity) {
  mlc::Rng rng(8);
  const Eigen::Index n = 25;
  const Eigen::MatrixXd M = rng.normal_matrix(n, n);
  const Eigen::MatrixXd A = M + M.transpose();
  const auto t = la::householder_tridiagonalize(A);
  Eigen::MatrixXd T = Eigen::MatrixXd::Zero(n, n);
  T.diagonal() = t.diagonal;
  T.diagonal(-1) = t.subdiagonal;
  T.diagonal(1) = t.subdiagonal;
  EXPECT_LE(rel(t.Q * T * t.Q.transpose(), A), 4.0 * n * u);
  EXPECT_LE(la::orthogonality_loss(t.Q), 4.0 * n * u);
}

TEST(ImplicitQrStep, ShrinksTheLastOffDiagonalCubically) {
  // Wilkinson-shift QR: e_{n-1} -> O(e³) per step for symmetric T (GVL §8.3.5)
  Eigen::VectorXd d(5), e(4);
  d << 1.0, 2.0, 3.0, 4.0, 5.0;
  e << 1.0, 1.0, 1.0, 0.1;
  Eigen::MatrixXd Q = Eigen::MatrixXd::Identity(5, 5);
  std::vector<double> last{std::abs(e(3))};
  for (int k = 0; k < 3 && last.back() > 1e-300; ++k) {
    la::implicit_qr_step(d, e, 0, 4, Q);
    last.push_back(std::abs(e(3)));
  }
  EXPECT_LT(last[1], last[0]);
  EXPECT_LT(last[2], 10.0 * std::pow(last[1], 3.0) + 1e-300);
  EXPECT_LE(la::orthogonality_loss(Q), 1e-14);
}

TEST(JacobiSvd, OffDiagonalConvergesQuadratically) {
  mlc::Rng rng(9);
  const auto svd = la::jacobi_svd(rng.normal_matrix(40, 20));
  const auto& off = svd.off_per_sweep;
  ASSERT_GE(off.size(), 3u);
  EXPECT_LE(svd.sweeps, 12);
  // once in the asymptotic regime (cosine < 1e-2), off_{k+1} <= C off_k² with C = n
  for (size_t k = 0; k + 1 < off.size(); ++k) {
    if (off[k] < 1e-2 && off[k + 1] > 1e-15) {
      // ... down to the rounding floor of the cosines, m·u
      EXPECT_LE(off[k + 1], std::max(20.0 * off[k] * off[k], 100.0 * 40 * u)) << "sweep " << k;
    }
  }
}

TEST(GramSchmidt, AllThreeGiveTheSameRUpToSignOnAWellConditionedMatrix) {
  mlc::Rng rng(10);
  const Eigen::MatrixXd A = rng.normal_matrix(30, 10);
  const auto h = la::householder_qr_factors(A);
  const auto c = la::classical_gram_schmidt(A);
  const auto m = la::modified_gram_schmidt(A);
  EXPECT_ALLCLOSE(c.R.cwiseAbs(), h.R.cwiseAbs(), 1e-12);
  EXPECT_ALLCLOSE(m.R.cwiseAbs(), h.R.cwiseAbs(), 1e-12);
  EXPECT_ALLCLOSE(m.Q * m.R, A, 1e-12);
  EXPECT_ALLCLOSE(c.Q * c.R, A, 1e-12);
}

TEST(GramSchmidt, LossOfOrthogonalityFollowsTheTheoryLines) {
  // ‖QᵀQ - I‖: CGS ~ u κ², MGS ~ u κ, Householder ~ u (NOTES (5)-(8)); constants 100·n
  mlc::Rng rng(11);
  const Eigen::Index m = 40, n = 12;
  for (double kappa : {1e3, 1e6}) {
    const Eigen::MatrixXd A =
        la::matrix_with_singular_values(m, la::geometric_spectrum(n, kappa), rng);
    const double cgs = la::orthogonality_loss(la::classical_gram_schmidt(A).Q);
    const double mgs = la::orthogonality_loss(la::modified_gram_schmidt(A).Q);
    const double hh = la::orthogonality_loss(la::householder_qr_factors(A).Q);
    EXPECT_LE(cgs, 100.0 * n * u * kappa * kappa) << kappa;
    EXPECT_GE(cgs, 1e-3 * u * kappa * kappa) << kappa;  // and not much better than that
    EXPECT_LE(mgs, 100.0 * n * u * kappa) << kappa;
    EXPECT_LE(hh, 100.0 * n * u) << kappa;
    EXPECT_GT(cgs, 10.0 * mgs) << kappa;
  }
}

TEST(LeastSquares, AllThreeMethodsAgreeWithEigenOnAWellConditionedProblem) {
  mlc::Rng rng(12);
  const Eigen::MatrixXd A = rng.normal_matrix(40, 8);
  const Eigen::VectorXd b = rng.normal_vector(40);
  const Eigen::VectorXd ref = A.colPivHouseholderQr().solve(b);
  EXPECT_ALLCLOSE(la::lstsq_normal_equations(A, b).x, ref, 1e-12);
  EXPECT_ALLCLOSE(la::lstsq_qr(A, b), ref, 1e-12);
  EXPECT_ALLCLOSE(la::lstsq_svd(A, b), ref, 1e-12);
  // backward error (19) of the exact-ish solution is tiny; of a perturbed one is not
  EXPECT_LE(la::lstsq_backward_error(A, b, la::lstsq_qr(A, b)), 10.0 * 40 * u);
  EXPECT_GT(la::lstsq_backward_error(A, b, ref + 1e-4 * Eigen::VectorXd::Ones(8)), 1e-7);
}

TEST(LeastSquares, QrAndSvdAreBackwardStableAndNormalEquationsAreNot) {
  mlc::Rng rng(13);
  const Eigen::Index m = 40, n = 10;
  const double kappa = 1e7;
  const Eigen::MatrixXd A =
      la::matrix_with_singular_values(m, la::geometric_spectrum(n, kappa), rng);
  const Eigen::VectorXd x = rng.normal_vector(n);
  const Eigen::VectorXd b = A * x;
  const double be_ne = la::lstsq_backward_error(A, b, la::lstsq_normal_equations(A, b).x);
  const double be_qr = la::lstsq_backward_error(A, b, la::lstsq_qr(A, b));
  const double be_svd = la::lstsq_backward_error(A, b, la::lstsq_svd(A, b));
  EXPECT_LE(be_qr, 10.0 * m * u);
  EXPECT_LE(be_svd, 10.0 * m * u);
  EXPECT_GT(be_ne, 100.0 * be_qr);
  const double fe_ne = (la::lstsq_normal_equations(A, b).x - x).norm() / x.norm();
  const double fe_qr = (la::lstsq_qr(A, b) - x).norm() / x.norm();
  EXPECT_LE(fe_qr, 10.0 * n * u * kappa);  // u κ for a zero-residual problem
  EXPECT_GT(fe_ne, 100.0 * fe_qr);         // u κ² for the normal equations
}

// ---- 4. failure modes ----------------------------------------------------------------------

TEST(FailureMode, LuWithoutPivotingOnATinyPivotGivesAWrongSolution) {
  Eigen::MatrixXd A(2, 2);
  A << 1e-20, 1.0, 1.0, 1.0;
  const Eigen::VectorXd b = Eigen::Vector2d(1.0, 2.0);
  const Eigen::VectorXd x_true = A.partialPivLu().solve(b);  // ≈ (1, 1)
  const auto naive = la::lu_no_pivoting(A);
  const auto pivoted = la::lu_partial_pivoting(A);
  EXPECT_GT(naive.growth_factor, 1e19);                                      // ρ ≈ 1e20
  EXPECT_GT((la::lu_solve(naive, b) - x_true).norm() / x_true.norm(), 0.5);  // x_1 = 0, not 1
  EXPECT_LE(pivoted.growth_factor, 2.0);
  EXPECT_LE((la::lu_solve(pivoted, b) - x_true).norm() / x_true.norm(), 4 * u);
}

TEST(FailureMode, WilkinsonMatrixHasGrowthTwoToTheNMinusOneUnderPartialPivoting) {
  const Eigen::Index n = 60;
  const Eigen::MatrixXd A = la::wilkinson_growth_matrix(n);
  const auto lu = la::lu_partial_pivoting(A);
  EXPECT_DOUBLE_EQ(lu.growth_factor, std::ldexp(1.0, static_cast<int>(n - 1)));
  mlc::Rng rng(14);
  const Eigen::VectorXd x = rng.normal_vector(n);
  const Eigen::VectorXd b = A * x;
  const double err_lu = (la::lu_solve(lu, b) - x).norm() / x.norm();
  const double err_qr = (la::lstsq_qr(A, b) - x).norm() / x.norm();  // κ(A) ≈ 27: QR is fine
  EXPECT_GT(err_lu, 1e-3);
  EXPECT_LT(err_qr, 1e-13);
}

TEST(FailureMode, ClassicalGramSchmidtLosesOrthogonalityCompletely) {
  mlc::Rng rng(15);
  const Eigen::MatrixXd A =
      la::matrix_with_singular_values(40, la::geometric_spectrum(12, 1e10), rng);
  EXPECT_GT(la::orthogonality_loss(la::classical_gram_schmidt(A).Q), 0.5);  // O(1): collapsed
  EXPECT_LT(la::orthogonality_loss(la::modified_gram_schmidt(A).Q), 1e-4);  // ~ u κ = 1e-6
  EXPECT_LT(la::orthogonality_loss(la::classical_gram_schmidt_twice(A).Q), 1e-13);
  EXPECT_LT(la::orthogonality_loss(la::householder_qr_factors(A).Q), 1e-13);
}

TEST(FailureMode, NormalEquationsOfLauchliAreSingularInFloatingPoint) {
  const double eps = 1e-8;  // ε² = 1e-16 < u: fl(1 + ε²) = 1
  const Eigen::MatrixXd A = la::lauchli(3, eps);
  const Eigen::VectorXd x = Eigen::Vector3d(1.0, 2.0, 3.0);
  const Eigen::VectorXd b = A * x;
  const auto ne = la::lstsq_normal_equations(A, b);
  EXPECT_FALSE(ne.cholesky.positive_definite);
  EXPECT_EQ(ne.cholesky.failed_column, 1);
  EXPECT_EQ(ne.cholesky.failed_pivot, 0.0);
  EXPECT_FALSE(ne.x.allFinite());
  const double kappa = la::condition_number(A);  // √(3 + ε²)/ε ≈ 1.7e8
  EXPECT_LE((la::lstsq_qr(A, b) - x).norm() / x.norm(), 10.0 * u * kappa);
  EXPECT_LE((la::lstsq_svd(A, b) - x).norm() / x.norm(), 10.0 * u * kappa);
}

TEST(FailureMode, NormalEquationsSquareTheConditionNumberOfHilbertMatrices) {
  const Eigen::Index n = 8;  // κ(H_8) ≈ 1.5e10, κ² ≈ 2e20 > 1/u
  const Eigen::MatrixXd H = la::hilbert(n);
  const Eigen::VectorXd x = Eigen::VectorXd::Ones(n);
  const Eigen::VectorXd b = H * x;
  const auto ne = la::lstsq_normal_equations(H, b);
  const double err_qr = (la::lstsq_qr(H, b) - x).norm() / x.norm();
  const double err_ne = ne.cholesky.positive_definite ? (ne.x - x).norm() / x.norm() : INFINITY;
  EXPECT_LT(err_qr, 1e-4);  // ~ u κ = 1.7e-6
  EXPECT_GT(err_ne, 1e-2);  // ~ u κ² > 1: no correct digit (or breakdown)
}

TEST(FailureMode, NormalEquationsLoseTwiceTheDigitsOnHilbertSix) {
  const Eigen::Index n = 6;  // κ(H_6) ≈ 1.5e7: u κ ≈ 1.7e-9, u κ² ≈ 2.5e-2
  const Eigen::MatrixXd H = la::hilbert(n);
  const Eigen::VectorXd x = Eigen::VectorXd::Ones(n);
  const Eigen::VectorXd b = H * x;
  const auto ne = la::lstsq_normal_equations(H, b);
  ASSERT_TRUE(ne.cholesky.positive_definite);
  const double err_ne = (ne.x - x).norm() / x.norm();
  const double err_qr = (la::lstsq_qr(H, b) - x).norm() / x.norm();
  EXPECT_LT(err_qr, 10.0 * u * 1.5e7);
  EXPECT_GT(err_ne, 1e4 * err_qr);
}

TEST(FailureMode, PowerIterationCannotSeparateEigenvaluesOfEqualModulus) {
  // λ = +1 and -1: the iterate oscillates between two directions and never converges;
  // the shifted QR algorithm resolves both.
  mlc::Rng rng(16);
  Eigen::VectorXd lambda(6);
  lambda << 1.0, -1.0, 0.5, 0.3, 0.2, 0.1;
  const Eigen::MatrixXd Q = la::random_orthonormal(6, 6, rng);
  Eigen::MatrixXd A = Q * lambda.asDiagonal() * Q.transpose();
  A = 0.5 * (A + A.transpose());
  const auto p = la::power_iteration(A, rng.normal_vector(6), 1e-10, 2000);
  EXPECT_FALSE(p.converged);
  const auto eig = la::symmetric_eigen(A);
  EXPECT_NEAR(eig.eigenvalues(0), -1.0, 1e-14);
  EXPECT_NEAR(eig.eigenvalues(5), 1.0, 1e-14);
}

TEST(Cholesky, ReportsAnIndefiniteMatrixInsteadOfProducingNaN) {
  Eigen::Matrix2d A;
  A << 1.0, 2.0, 2.0, 1.0;  // eigenvalues 3 and -1
  const auto c = la::cholesky(A);
  EXPECT_FALSE(c.positive_definite);
  EXPECT_EQ(c.failed_column, 1);
  EXPECT_DOUBLE_EQ(c.failed_pivot, -3.0);
}

TEST(InputChecks, RejectBadShapes) {
  EXPECT_THROW(la::lu_partial_pivoting(Eigen::MatrixXd::Ones(3, 2)), std::invalid_argument);
  EXPECT_THROW(la::householder_qr(Eigen::MatrixXd::Ones(2, 3)), std::invalid_argument);
  EXPECT_THROW(la::jacobi_svd(Eigen::MatrixXd::Ones(2, 3)), std::invalid_argument);
  EXPECT_THROW(la::lstsq_qr(Eigen::MatrixXd::Ones(4, 2), Eigen::VectorXd::Ones(3)),
               std::invalid_argument);
  Eigen::MatrixXd N = Eigen::MatrixXd::Zero(3, 3);
  N(0, 1) = 1.0;
  EXPECT_THROW(la::symmetric_eigen(N), std::invalid_argument);
}

}  // namespace
