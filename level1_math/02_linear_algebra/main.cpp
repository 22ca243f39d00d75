// 1.2 linear_algebra: LU, Cholesky, Gram-Schmidt, Householder QR, symmetric eigenvalues and
// the one-sided Jacobi SVD written from scratch, checked against Eigen, and pushed to the
// condition numbers where each one loses its digits.
//
// Follows Golub & Van Loan, Matrix Computations (4th ed.), ch. 3-5 and 8; Higham, Accuracy
// and Stability of Numerical Algorithms (2nd ed.), ch. 9, 19, 20. Equations: NOTES.md.
// Run: ./learn run linear_algebra [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Dense>

#include "linear_algebra.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"

namespace la = linear_algebra;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "LU with partial pivoting, Cholesky, classical and modified Gram-Schmidt, Householder QR, "
    "symmetric eigenvalues (power iteration with deflation; Householder tridiagonalisation and "
    "implicit Wilkinson-shift QR) and the one-sided Jacobi SVD, written from scratch and "
    "checked against Eigen on random and ill-conditioned matrices. Measures the loss of "
    "orthogonality of CGS / MGS / Householder against the condition number, the backward and "
    "forward errors of least squares by normal equations, QR and SVD, and provokes the "
    "classic failures: a tiny pivot without pivoting, growth 2^(n-1), CGS collapse, and the "
    "normal equations squaring the condition number (Läuchli, Hilbert).",
    "report.md, metrics.json, figures/orthogonality.svg, figures/lstsq_backward_error.svg, "
    "figures/lstsq_forward_error.svg, figures/power_iteration.svg, figures/jacobi_sweeps.svg");

constexpr double u = std::numeric_limits<double>::epsilon() / 2;  // unit roundoff
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double rel(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).norm() / b.norm();
}

std::string kappa_tag(double kappa) {
  return fmt::format("1e{}", static_cast<int>(std::lround(std::log10(kappa))));
}

double median(std::vector<double> v) {
  std::vector<double> finite;
  for (double x : v)
    if (std::isfinite(x)) finite.push_back(x);
  if (finite.size() * 2 <= v.size()) return kNaN;  // most runs broke down: no number
  std::sort(finite.begin(), finite.end());
  const size_t k = finite.size();
  return k % 2 ? finite[k / 2] : 0.5 * (finite[k / 2 - 1] + finite[k / 2]);
}

Eigen::MatrixXd symmetrize(const Eigen::MatrixXd& A) {
  return 0.5 * (A + A.transpose());
}

// One row of the "against Eigen" table, stored as metrics eigen.<method>.<matrix>.*
struct CheckRow {
  std::string method, matrix;
  double kappa, reconstruction, orthogonality, vs_eigen, scale;
  std::string scale_name;
  double steps;
};

void add_check(mlc::Report& report, std::vector<std::vector<std::string>>& rows,
               const CheckRow& r) {
  const std::string key = fmt::format("eigen.{}.{}", r.method, r.matrix);
  report.metric(key + ".kappa", r.kappa);
  report.metric(key + ".reconstruction", r.reconstruction);
  if (std::isfinite(r.orthogonality)) report.metric(key + ".orthogonality", r.orthogonality);
  report.metric(key + ".vs_eigen", r.vs_eigen);
  if (std::isfinite(r.steps)) report.metric(key + ".steps", r.steps);
  rows.push_back({r.method, r.matrix, mlc::num(r.kappa, 3), mlc::num(r.reconstruction, 2),
                  std::isfinite(r.orthogonality) ? mlc::num(r.orthogonality, 2) : "-",
                  mlc::num(r.vs_eigen, 2),
                  fmt::format("{} = {}", r.scale_name, mlc::num(r.scale, 2)),
                  std::isfinite(r.steps) ? mlc::num(r.steps, 4) : "-"});
  fmt::print("  {:<16} {:<11} κ={:<9} recon={:<9} orth={:<9} vs Eigen={:<9} ({} = {})\n", r.method,
             r.matrix, mlc::num(r.kappa, 3), mlc::num(r.reconstruction, 2),
             std::isfinite(r.orthogonality) ? mlc::num(r.orthogonality, 2) : "-",
             mlc::num(r.vs_eigen, 2), r.scale_name, mlc::num(r.scale, 2));
}

// ---- Section 1: every factorization against Eigen ------------------------------------------

void against_eigen(mlc::Report& report, mlc::Rng& rng, bool quick, std::vector<la::Svd>& svds,
                   std::vector<std::string>& svd_names) {
  const Eigen::Index n = quick ? 40 : 120;
  const double kill = 1e10;
  report.section("Each factorization against Eigen");
  report.text(fmt::format(
      "Square {0} × {0} matrices: `random` has N(0,1) entries (symmetrised for the eigensolvers, "
      "made SPD as Q diag(1..1e-2) Qᵀ for Cholesky); `kappa_1e10` has singular values (or "
      "eigenvalues, alternating in sign for the symmetric solvers) spaced geometrically from 1 "
      "to 1e-10 between random orthogonal factors. *reconstruction* is ‖A - factors‖_F / ‖A‖_F "
      "(PA - LU, A - LLᵀ, A - QR, A - VΛVᵀ, A - UΣVᵀ); *orthogonality* ‖QᵀQ - I‖₂ of the computed "
      "orthogonal factor; *vs Eigen* the relative difference of our factor from Eigen's "
      "(U and L of PartialPivLU, L of LLT, R of HouseholderQR) or max |λ_i - λ_i^Eigen| / ‖A‖₂ "
      "(SelfAdjointEigenSolver, JacobiSVD). Backward-stable algorithms give reconstructions of "
      "order u = {1}; two correct implementations of the same factorization may differ in "
      "their factors by up to u·κ (the forward error), while eigenvalues and singular values "
      "agree to u·‖A‖ (Weyl). *steps* counts QR steps, power iterations or Jacobi sweeps.",
      n, mlc::num(u, 2)));
  std::vector<std::vector<std::string>> rows;
  mlc::Timer timer;
  double t_ours = 0, t_eigen = 0;
  fmt::print("Each factorization against Eigen (n = {}):\n", n);
  for (const std::string matrix : {"random", "kappa_1e10"}) {
    const bool random = matrix == "random";
    mlc::Rng r = rng.derive(random ? 1 : 2);
    const Eigen::MatrixXd A =
        random ? r.normal_matrix(n, n)
               : la::matrix_with_singular_values(n, la::geometric_spectrum(n, kill), r);
    const double kappa = la::condition_number(A);
    {  // LU with partial pivoting
      timer.reset();
      const auto lu = la::lu_partial_pivoting(A);
      t_ours += timer.seconds();
      timer.reset();
      const Eigen::PartialPivLU<Eigen::MatrixXd> ref(A);
      t_eigen += timer.seconds();
      const Eigen::MatrixXd P = la::permutation_matrix(lu.perm);
      const Eigen::MatrixXd Lr = ref.matrixLU().triangularView<Eigen::UnitLower>();
      const Eigen::MatrixXd Ur = ref.matrixLU().triangularView<Eigen::Upper>();
      const double same_pivots =
          (P - ref.permutationP().toDenseMatrix().cast<double>()).norm() == 0.0 ? 1.0 : 0.0;
      report.metric(fmt::format("eigen.lu.{}.same_pivots", matrix), same_pivots);
      report.metric(fmt::format("eigen.lu.{}.growth_factor", matrix), lu.growth_factor);
      add_check(report, rows,
                {"lu", matrix, kappa, rel(lu.L * lu.U, P * A), kNaN,
                 std::max(rel(lu.L, Lr), rel(lu.U, Ur)), u * kappa, "u·κ", kNaN});
    }
    {  // Cholesky on an SPD matrix with the same spectrum class
      const Eigen::MatrixXd Q = la::random_orthonormal(n, n, r);
      const double ks = random ? 1e2 : kill;
      const Eigen::MatrixXd S =
          symmetrize(Q * la::geometric_spectrum(n, ks).asDiagonal() * Q.transpose());
      timer.reset();
      const auto c = la::cholesky(S);
      t_ours += timer.seconds();
      timer.reset();
      const Eigen::LLT<Eigen::MatrixXd> ref(S);
      t_eigen += timer.seconds();
      add_check(report, rows,
                {"cholesky", matrix, ks, rel(c.L * c.L.transpose(), S), kNaN,
                 rel(c.L, ref.matrixL().toDenseMatrix()), u * ks, "u·κ", kNaN});
    }
    {  // Householder QR
      timer.reset();
      const auto f = la::householder_qr_factors(A);
      t_ours += timer.seconds();
      timer.reset();
      const Eigen::HouseholderQR<Eigen::MatrixXd> ref(A);
      const Eigen::MatrixXd Rr = ref.matrixQR().triangularView<Eigen::Upper>();
      t_eigen += timer.seconds();
      add_check(report, rows,
                {"householder_qr", matrix, kappa, rel(f.Q * f.R, A), la::orthogonality_loss(f.Q),
                 rel(f.R, Rr), u * kappa, "u·κ", kNaN});
    }
    // symmetric test matrix: symmetrised Gaussian, or ±geometric eigenvalues
    Eigen::MatrixXd S;
    if (random) {
      S = symmetrize(A);
    } else {
      Eigen::VectorXd lambda = la::geometric_spectrum(n, kill);
      for (Eigen::Index i = 1; i < n; i += 2) lambda(i) = -lambda(i);
      const Eigen::MatrixXd Q = la::random_orthonormal(n, n, r);
      S = symmetrize(Q * lambda.asDiagonal() * Q.transpose());
    }
    timer.reset();
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eref(S);
    t_eigen += timer.seconds();
    const double norm2 = eref.eigenvalues().cwiseAbs().maxCoeff();
    {  // tridiagonalisation + implicit Wilkinson-shift QR
      timer.reset();
      const auto e = la::symmetric_eigen(S);
      t_ours += timer.seconds();
      const Eigen::MatrixXd& V = e.eigenvectors;
      add_check(report, rows,
                {"symmetric_qr", matrix, norm2 / eref.eigenvalues().cwiseAbs().minCoeff(),
                 rel(V * e.eigenvalues.asDiagonal() * V.transpose(), S), la::orthogonality_loss(V),
                 (e.eigenvalues - eref.eigenvalues()).cwiseAbs().maxCoeff() / norm2, u, "u",
                 static_cast<double>(e.iterations)});
      report.metric(fmt::format("eigen.symmetric_qr.{}.steps_per_eigenvalue", matrix),
                    static_cast<double>(e.iterations) / static_cast<double>(n));
    }
    {  // power iteration + Hotelling deflation: the 3 eigenvalues of largest modulus
      const int k = 3;
      const auto p = la::power_iteration_deflation(S, k, r, 1e-12, 200000);
      std::vector<double> by_modulus(eref.eigenvalues().data(), eref.eigenvalues().data() + n);
      std::sort(by_modulus.begin(), by_modulus.end(),
                [](double a, double b) { return std::abs(a) > std::abs(b); });
      double err = 0;
      for (int j = 0; j < k; ++j)
        err = std::max(err, std::abs(p.eigenvalues(j) - by_modulus[static_cast<size_t>(j)]));
      const Eigen::MatrixXd V = p.eigenvectors;
      const double residual = (S * V - V * p.eigenvalues.asDiagonal()).norm() / norm2;
      add_check(
          report, rows,
          {"power_deflation", matrix, norm2 / eref.eigenvalues().cwiseAbs().minCoeff(), residual,
           la::orthogonality_loss(V), err / norm2, u, "u", static_cast<double>(p.iterations)});
      report.metric(fmt::format("eigen.power_deflation.{}.ratio_2_1", matrix),
                    std::abs(by_modulus[1] / by_modulus[0]));
    }
    {  // one-sided Jacobi SVD
      timer.reset();
      la::Svd svd = la::jacobi_svd(A);
      t_ours += timer.seconds();
      timer.reset();
      const Eigen::JacobiSVD<Eigen::MatrixXd> ref(A);
      t_eigen += timer.seconds();
      const Eigen::MatrixXd USV = svd.U * svd.singular_values.asDiagonal() * svd.V.transpose();
      add_check(report, rows,
                {"jacobi_svd", matrix, kappa, rel(USV, A),
                 std::max(la::orthogonality_loss(svd.U), la::orthogonality_loss(svd.V)),
                 (svd.singular_values - ref.singularValues()).cwiseAbs().maxCoeff() /
                     ref.singularValues()(0),
                 u, "u", static_cast<double>(svd.sweeps)});
      svds.push_back(std::move(svd));
      svd_names.push_back(matrix);
    }
  }
  report.table(
      {"method", "matrix", "κ₂", "reconstruction", "orthogonality", "vs Eigen", "scale", "steps"},
      rows);
  report.text(
      "For `power_deflation` the reconstruction column holds the eigen-residual ‖AV - VΛ‖_F / ‖A‖₂ "
      "of the three pairs; its step count is large on the random matrix because the top of a "
      "Wigner spectrum is crowded (see the ratio |λ₂/λ₁| in metrics.json), the very thing that "
      "makes the power method slow (figure below).");
  report.timing("against_eigen.ours_seconds", t_ours);
  report.timing("against_eigen.eigen_seconds", t_eigen);
  fmt::print("  wall time, all factorizations above: ours {:.3f} s, Eigen {:.3f} s\n", t_ours,
             t_eigen);
}

// ---- Section 2: cost ----------------------------------------------------------------------

void cost_table(mlc::Report& report, const std::vector<la::Svd>& svds, bool quick) {
  const double n = quick ? 40 : 120;
  report.section("Cost in floating-point operations");
  const double sweeps = svds.empty() ? 0 : svds.front().sweeps;
  // flops of the leading terms (GVL tables 3.2, 4.2, 5.2, 8.3 and §8.6.3)
  struct C {
    const char* name;
    const char* formula;
    double flops;
  };
  const std::vector<C> costs = {
      {"lu", "2n³/3", 2 * n * n * n / 3},
      {"cholesky", "n³/3", n * n * n / 3},
      {"gram_schmidt (CGS, MGS)", "2mn²", 2 * n * n * n},
      {"householder_qr (R only)", "2mn² - 2n³/3", 2 * n * n * n - 2 * n * n * n / 3},
      {"householder thin Q", "4mn² - 4n³/3", 4 * n * n * n - 4 * n * n * n / 3},
      {"tridiagonalisation (T, Q)", "4n³/3 + 4n³/3", 8 * n * n * n / 3},
      {"symmetric QR, values + vectors", "≈ 9n³", 9 * n * n * n},
      {"power iteration, per step", "2n²", 2 * n * n},
      {"one-sided Jacobi, per sweep", "n(n-1)/2 · (6m + 6m + 6n) ≈ 9n³ (m = n)",
       n * (n - 1) / 2 * 18 * n},
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : costs) {
    rows.push_back({c.name, c.formula, mlc::num(c.flops, 3)});
  }
  report.text(fmt::format(
      "Leading-order flop counts at m = n = {}; a flop is one floating-point add or multiply. "
      "The Jacobi SVD needed {} sweeps on the random matrix above, so its total is about {} "
      "flops, an order of magnitude above the tridiagonal QR route (Golub-Kahan SVD costs "
      "≈ 4mn² + 8n³ for U, Σ, V).",
      static_cast<int>(n), static_cast<int>(sweeps),
      mlc::num(sweeps * n * (n - 1) / 2 * 18 * n, 3)));
  report.table({"algorithm", "flops", fmt::format("at n = {}", static_cast<int>(n))}, rows);
  report.metric("cost.n", n);
  report.metric("cost.jacobi_svd.sweeps", sweeps);
}

// ---- Section 3: loss of orthogonality -----------------------------------------------------

struct OrthoSweep {
  std::vector<double> kappa, cgs, mgs, hh, cgs2;
};

OrthoSweep orthogonality_experiment(mlc::Report& report, mlc::Rng& rng, bool quick) {
  const Eigen::Index m = quick ? 30 : 60, n = quick ? 10 : 20;
  const int reps = quick ? 1 : 5;
  const double step = quick ? 2.0 : 0.5;
  OrthoSweep s;
  for (double e = 0; e <= 16.0 + 1e-9; e += step) {
    const double kappa = std::pow(10.0, e);
    std::vector<double> c, m2, h, c2;
    for (int rep = 0; rep < reps; ++rep) {
      mlc::Rng r = rng.derive(1000 + static_cast<std::uint64_t>(e * 10) * 10 +
                              static_cast<std::uint64_t>(rep));
      const Eigen::MatrixXd A =
          la::matrix_with_singular_values(m, la::geometric_spectrum(n, kappa), r);
      c.push_back(la::orthogonality_loss(la::classical_gram_schmidt(A).Q));
      m2.push_back(la::orthogonality_loss(la::modified_gram_schmidt(A).Q));
      h.push_back(la::orthogonality_loss(la::householder_qr_factors(A).Q));
      c2.push_back(la::orthogonality_loss(la::classical_gram_schmidt_twice(A).Q));
    }
    s.kappa.push_back(kappa);
    s.cgs.push_back(median(c));
    s.mgs.push_back(median(m2));
    s.hh.push_back(median(h));
    s.cgs2.push_back(median(c2));
  }
  const auto vec = [](const std::vector<double>& v) {
    return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size())).eval();
  };
  const Eigen::VectorXd K = vec(s.kappa);
  const auto clip = [](Eigen::VectorXd v) {
    return v.unaryExpr([](double x) { return x > 10.0 ? kNaN : x; }).eval();
  };
  mlc::Figure fig("Loss of orthogonality of the computed Q");
  fig.xlabel("condition number κ₂(A)").ylabel("‖QᵀQ - I‖₂").logx().logy().legend("top left");
  fig.yrange(1e-17, 1e8);
  fig.line_points(K, vec(s.cgs), "classical Gram-Schmidt", {.color = 0});
  fig.line_points(K, vec(s.mgs), "modified Gram-Schmidt", {.color = 1});
  fig.line_points(K, vec(s.cgs2), "CGS twice (re-orthogonalised)", {.color = 3});
  fig.line_points(K, vec(s.hh), "Householder", {.color = 2});
  fig.line(K, clip(u * K.cwiseProduct(K)), "u κ²", {.color = 0, .dash = true});
  fig.line(K, clip(u * K), "u κ", {.color = 1, .dash = true});
  fig.line(K, Eigen::VectorXd::Constant(K.size(), u), "u", {.color = 2, .dash = true});
  report.section("Loss of orthogonality: CGS, MGS, Householder");
  report.text(fmt::format(
      "A = U diag(σ) Vᵀ ({} × {}) with σ geometric from 1 to 1/κ and Haar-random U, V; the "
      "median over {} matrices per κ. Theory (Higham §19.8, Björck 1967, Giraud et al. 2005): "
      "CGS loses orthogonality like u κ² (NOTES (5)), MGS like u κ (6), Householder stays at "
      "O(u) for every κ (8), and CGS applied twice is at O(u) as long as u κ < 1.",
      m, n, reps));
  report.figure(fig, "orthogonality",
                "‖QᵀQ - I‖₂ against κ₂(A), with the theory lines u κ², u κ and u (dashed).");
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < s.kappa.size(); ++i) {
    const double e = std::log10(s.kappa[i]);
    if (std::abs(e - 4 * std::round(e / 4)) > 1e-9) continue;  // κ = 1, 1e4, 1e8, 1e12, 1e16
    const std::string tag = kappa_tag(s.kappa[i]);
    rows.push_back({tag, mlc::num(s.cgs[i], 2), mlc::num(s.mgs[i], 2), mlc::num(s.cgs2[i], 2),
                    mlc::num(s.hh[i], 2)});
    report.metric("orthogonality.cgs.kappa_" + tag, s.cgs[i]);
    report.metric("orthogonality.mgs.kappa_" + tag, s.mgs[i]);
    report.metric("orthogonality.cgs2.kappa_" + tag, s.cgs2[i]);
    report.metric("orthogonality.householder.kappa_" + tag, s.hh[i]);
  }
  report.table({"κ₂", "CGS", "MGS", "CGS twice", "Householder"}, rows);
  report.metric("orthogonality.kappa", s.kappa);
  report.metric("orthogonality.cgs", s.cgs);
  report.metric("orthogonality.mgs", s.mgs);
  report.metric("orthogonality.cgs2", s.cgs2);
  report.metric("orthogonality.householder", s.hh);
  fmt::print("Loss of orthogonality ({} × {}): at κ = 1e8  CGS {}  MGS {}  Householder {}\n", m, n,
             mlc::num(s.cgs[static_cast<size_t>(8 / step)], 2),
             mlc::num(s.mgs[static_cast<size_t>(8 / step)], 2),
             mlc::num(s.hh[static_cast<size_t>(8 / step)], 2));
  return s;
}

// ---- Section 4: least squares -------------------------------------------------------------

void least_squares_experiment(mlc::Report& report, mlc::Rng& rng, bool quick) {
  const Eigen::Index m = quick ? 30 : 60, n = quick ? 10 : 20;
  const int reps = quick ? 1 : 5;
  const double step = quick ? 2.0 : 0.5;
  std::vector<double> K, be_ne, be_qr, be_svd, fe_ne, fe_qr, fe_svd;
  int ne_failures = 0, total = 0;
  double first_failure = kNaN;
  for (double e = 0; e <= 16.0 + 1e-9; e += step) {
    const double kappa = std::pow(10.0, e);
    std::vector<double> b1, b2, b3, f1, f2, f3;
    for (int rep = 0; rep < reps; ++rep) {
      mlc::Rng r = rng.derive(5000 + static_cast<std::uint64_t>(e * 10) * 10 +
                              static_cast<std::uint64_t>(rep));
      const Eigen::MatrixXd A =
          la::matrix_with_singular_values(m, la::geometric_spectrum(n, kappa), r);
      const Eigen::VectorXd x = r.normal_vector(n);
      const Eigen::VectorXd b = A * x;  // zero-residual problem: forward error u κ for QR/SVD
      const auto ne = la::lstsq_normal_equations(A, b);
      const Eigen::VectorXd xq = la::lstsq_qr(A, b);
      const Eigen::VectorXd xs = la::lstsq_svd(A, b);
      ++total;
      if (!ne.cholesky.positive_definite) {
        ++ne_failures;
        if (!std::isfinite(first_failure)) first_failure = kappa;
      }
      b1.push_back(la::lstsq_backward_error(A, b, ne.x));
      b2.push_back(la::lstsq_backward_error(A, b, xq));
      b3.push_back(la::lstsq_backward_error(A, b, xs));
      f1.push_back(ne.x.allFinite() ? (ne.x - x).norm() / x.norm() : kNaN);
      f2.push_back((xq - x).norm() / x.norm());
      f3.push_back((xs - x).norm() / x.norm());
    }
    K.push_back(kappa);
    be_ne.push_back(median(b1));
    be_qr.push_back(median(b2));
    be_svd.push_back(median(b3));
    fe_ne.push_back(median(f1));
    fe_qr.push_back(median(f2));
    fe_svd.push_back(median(f3));
  }
  const auto vec = [](const std::vector<double>& v) {
    return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size())).eval();
  };
  const Eigen::VectorXd Kv = vec(K);
  const auto clip = [](Eigen::VectorXd v) {
    return v.unaryExpr([](double x) { return x > 10.0 ? kNaN : x; }).eval();
  };
  report.section("Least squares: normal equations, QR, SVD");
  report.text(fmt::format(
      "min ‖Ax - b‖ for A ({} × {}) with prescribed κ as above, x ~ N(0, I) and b = A x (a "
      "zero-residual problem), the median over {} draws. *Backward error* is the smallest "
      "relative ‖ΔA‖_F / ‖A‖_F that makes the computed x̂ an exact least-squares solution of "
      "A + ΔA (NOTES (19), Waldén-Karlson-Sun); *forward error* is ‖x̂ - x‖ / ‖x‖. QR (17) and "
      "SVD (18) are backward stable: backward error O(u), forward error O(u κ). The normal "
      "equations (16) form AᵀA with κ(AᵀA) = κ², so their forward error grows like u κ² and "
      "their backward error like u κ; once κ² u ≳ 1 Cholesky breaks down (a non-positive "
      "pivot): {} of {} problems here, the first at κ = {}. Broken-down runs are missing "
      "from the curves (median over finite values, shown only when most runs are finite).",
      m, n, reps, ne_failures, total, mlc::num(first_failure, 2)));
  mlc::Figure fb("Backward error of least-squares solvers");
  fb.xlabel("condition number κ₂(A)")
      .ylabel("relative backward error ‖ΔA‖_F / ‖A‖_F")
      .logx()
      .logy()
      .legend("top left");
  fb.yrange(1e-17, 1e4);
  fb.line_points(Kv, vec(be_ne), "normal equations + Cholesky", {.color = 0});
  fb.line_points(Kv, vec(be_qr), "Householder QR", {.color = 2});
  fb.line_points(Kv, vec(be_svd), "one-sided Jacobi SVD", {.color = 1});
  fb.line(Kv, clip(u * Kv), "u κ", {.color = 0, .dash = true});
  fb.line(Kv, Eigen::VectorXd::Constant(Kv.size(), u), "u", {.color = 2, .dash = true});
  report.figure(fb, "lstsq_backward_error",
                "Backward error (19) against κ₂(A): QR and SVD stay at O(u), the normal equations "
                "grow like u κ until Cholesky breaks down.");
  mlc::Figure ff("Forward error of least-squares solvers");
  ff.xlabel("condition number κ₂(A)").ylabel("‖x̂ - x‖ / ‖x‖").logx().logy().legend("top left");
  ff.yrange(1e-17, 1e6);
  ff.line_points(Kv, vec(fe_ne), "normal equations + Cholesky", {.color = 0});
  ff.line_points(Kv, vec(fe_qr), "Householder QR", {.color = 2});
  ff.line_points(Kv, vec(fe_svd), "one-sided Jacobi SVD", {.color = 1});
  ff.line(Kv, clip(u * Kv.cwiseProduct(Kv)), "u κ²", {.color = 0, .dash = true});
  ff.line(Kv, clip(u * Kv), "u κ", {.color = 2, .dash = true});
  report.figure(
      ff, "lstsq_forward_error",
      "Forward error against κ₂(A) for a zero-residual problem, with u κ² and u κ (dashed).");
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < K.size(); ++i) {
    const double e = std::log10(K[i]);
    if (std::abs(e - 4 * std::round(e / 4)) > 1e-9) continue;
    const std::string tag = kappa_tag(K[i]);
    rows.push_back({tag, mlc::num(be_ne[i], 2), mlc::num(be_qr[i], 2), mlc::num(be_svd[i], 2),
                    mlc::num(fe_ne[i], 2), mlc::num(fe_qr[i], 2), mlc::num(fe_svd[i], 2)});
    for (auto [name, v] : {std::pair{"normal_equations", &be_ne}, {"qr", &be_qr}, {"svd", &be_svd}})
      report.metric(fmt::format("lstsq.backward.{}.kappa_{}", name, tag), (*v)[i]);
    for (auto [name, v] : {std::pair{"normal_equations", &fe_ne}, {"qr", &fe_qr}, {"svd", &fe_svd}})
      report.metric(fmt::format("lstsq.forward.{}.kappa_{}", name, tag), (*v)[i]);
  }
  report.table({"κ₂", "backward NE", "backward QR", "backward SVD", "forward NE", "forward QR",
                "forward SVD"},
               rows);
  report.metric("lstsq.kappa", K);
  report.metric("lstsq.backward.normal_equations", be_ne);
  report.metric("lstsq.backward.qr", be_qr);
  report.metric("lstsq.backward.svd", be_svd);
  report.metric("lstsq.forward.normal_equations", fe_ne);
  report.metric("lstsq.forward.qr", fe_qr);
  report.metric("lstsq.forward.svd", fe_svd);
  report.metric("lstsq.normal_equations.cholesky_failures", ne_failures);
  report.metric("lstsq.normal_equations.problems", total);
  report.metric("lstsq.normal_equations.first_failure_kappa", first_failure);
  const size_t i6 = static_cast<size_t>(6 / step);
  fmt::print(
      "Least squares ({} × {}) at κ = 1e6: backward NE {} QR {} SVD {}; forward NE {} QR {}; "
      "Cholesky broke down {}/{}\n",
      m, n, mlc::num(be_ne[i6], 2), mlc::num(be_qr[i6], 2), mlc::num(be_svd[i6], 2),
      mlc::num(fe_ne[i6], 2), mlc::num(fe_qr[i6], 2), ne_failures, total);
}

// ---- Section 5: power iteration and Jacobi convergence --------------------------------------

void convergence_experiment(mlc::Report& report, mlc::Rng& rng, bool quick,
                            const std::vector<la::Svd>& svds,
                            const std::vector<std::string>& svd_names) {
  const Eigen::Index n = quick ? 20 : 50;
  report.section("Convergence: power iteration and Jacobi sweeps");
  mlc::Figure fig("Power iteration: error of the Rayleigh quotient");
  fig.xlabel("iteration k").ylabel("|λ^(k) - λ₁| / |λ₁|").logy().legend("top right");
  std::vector<std::vector<std::string>> rows;
  int color = 0;
  for (double ratio : {0.5, 0.9, 0.99}) {
    mlc::Rng r = rng.derive(9000 + static_cast<std::uint64_t>(ratio * 100));
    Eigen::VectorXd lambda = r.uniform_vector(n, 0.0, 0.4 * ratio);
    lambda(0) = 1.0;
    lambda(1) = ratio;
    const Eigen::MatrixXd Q = la::random_orthonormal(n, n, r);
    const Eigen::MatrixXd A = symmetrize(Q * lambda.asDiagonal() * Q.transpose());
    const auto p = la::power_iteration(A, r.normal_vector(n), 1e-13, 20000);
    const Eigen::Index k = static_cast<Eigen::Index>(p.rayleigh_quotients.size());
    Eigen::VectorXd it(k), err(k), theory(k);
    for (Eigen::Index i = 0; i < k; ++i) {
      it(i) = static_cast<double>(i + 1);
      const double e = std::abs(p.rayleigh_quotients[static_cast<size_t>(i)] - 1.0);
      err(i) = e > 0 ? e : kNaN;
    }
    // anchor the theory line at the first iterate with error below 1e-4 (past the transient
    // of the other eigen-components)
    Eigen::Index anchor = 0;
    while (anchor + 1 < k && !(err(anchor) < 1e-4)) ++anchor;
    for (Eigen::Index i = 0; i < k; ++i)
      theory(i) = err(anchor) * std::pow(ratio, 2.0 * static_cast<double>(i - anchor));
    const std::string label = fmt::format("measured, r = |λ₂/λ₁| = {}", ratio);
    fig.line(it, err, label, {.color = color});
    fig.line(it, theory.unaryExpr([](double x) { return x < 1e-17 || x > 1.0 ? kNaN : x; }),
             fmt::format("theory r^(2k), r = {}", ratio), {.color = color, .dash = true});
    ++color;
    const std::string tag = fmt::format("ratio_{}", static_cast<int>(std::lround(ratio * 100)));
    const double predicted = std::log(1e-13) / std::log(ratio);
    report.metric("power." + tag + ".iterations", p.iterations);
    report.metric("power." + tag + ".predicted_iterations", predicted);
    report.metric("power." + tag + ".final_error", std::abs(p.eigenvalue - 1.0));
    rows.push_back({mlc::num(ratio, 2), std::to_string(p.iterations), mlc::num(predicted, 3),
                    mlc::num(std::abs(p.eigenvalue - 1.0), 2)});
  }
  report.text(fmt::format(
      "A = Q diag(1, r, U(0, 0.4 r)...) Qᵀ ({0} × {0}). The Rayleigh quotient of a symmetric "
      "matrix converges like r^{{2k}} (NOTES (9)); the iteration stops when the residual "
      "‖Av - λv‖ ≤ 1e-13 ‖A‖_F, which takes about log(1e-13)/log r steps since the residual "
      "converges only like r^k.",
      n));
  report.figure(fig, "power_iteration",
                "Rayleigh-quotient error per iteration for three eigenvalue ratios, with the "
                "theory r^{2k} (dashed, anchored where the error first drops below 1e-4).");
  report.table({"|λ₂/λ₁|", "iterations", "log(1e-13) / log r", "|λ - λ₁|"}, rows);

  mlc::Figure fj("One-sided Jacobi SVD: largest column cosine per sweep");
  fj.xlabel("sweep")
      .ylabel("largest cosine |w_pᵀ w_q| / (‖w_p‖ ‖w_q‖)")
      .logy()
      .legend("bottom left")
      .yrange(1e-16, 10.0);
  std::vector<std::vector<std::string>> jrows;
  for (size_t s = 0; s < svds.size(); ++s) {
    const auto& off = svds[s].off_per_sweep;
    Eigen::VectorXd x(static_cast<Eigen::Index>(off.size())), y(x.size());
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      x(i) = static_cast<double>(i + 1);
      y(i) = off[static_cast<size_t>(i)] > 0 ? off[static_cast<size_t>(i)] : kNaN;
    }
    fj.line_points(x, y, svd_names[s], {.color = static_cast<int>(s)});
    std::string seq;
    for (double o : off) seq += (seq.empty() ? "" : ", ") + mlc::num(o, 2);
    jrows.push_back({svd_names[s], std::to_string(svds[s].sweeps), seq});
    report.metric("jacobi." + svd_names[s] + ".off_per_sweep", off);
    report.metric("jacobi." + svd_names[s] + ".sweeps", svds[s].sweeps);
  }
  fj.hline(static_cast<double>(quick ? 40 : 120) * u, "tolerance m·u", {.color = 7, .dash = true});
  report.text(
      "The one-sided Jacobi SVD of the two square matrices of the first section: the largest "
      "cosine between two columns of the working matrix, measured during each sweep. Once the "
      "cosines are small the convergence is quadratic (each sweep roughly squares the largest "
      "cosine); before that there is a slow phase in which the largest cosine hardly moves, and "
      "in this run it is longer for the κ = 1e10 matrix (sweep counts in the table). Production "
      "codes shorten it with a QR preconditioning step (Drmač & Veselić 2008).");
  report.figure(fj, "jacobi_sweeps",
                "Largest cosine between columns per Jacobi sweep, random and κ = 1e10 matrices; "
                "dashed: the stopping tolerance.");
  report.table({"matrix", "sweeps", "max cosine per sweep"}, jrows);
  fmt::print("Jacobi SVD sweeps: {} {} / {} {}\n", svd_names[0], svds[0].sweeps, svd_names[1],
             svds[1].sweeps);
}

// ---- Failure modes ----------------------------------------------------------------------

void failure_modes(mlc::Report& report, mlc::Rng& rng, const OrthoSweep& ortho, bool quick) {
  report.section("Hilbert matrices: the normal equations lose twice the digits");
  const Eigen::Index hmax = 12;
  std::vector<std::vector<std::string>> hrows;
  double ne6 = kNaN, qr6 = kNaN, k6 = kNaN, k8 = kNaN;
  Eigen::Index first_breakdown = -1;
  for (Eigen::Index n = 4; n <= hmax; n += 2) {
    const Eigen::MatrixXd H = la::hilbert(n);
    const Eigen::VectorXd x = Eigen::VectorXd::Ones(n);
    const Eigen::VectorXd b = H * x;
    const double kappa = la::condition_number(H);
    const auto ne = la::lstsq_normal_equations(H, b);
    const double e_ne = ne.x.allFinite() ? (ne.x - x).norm() / x.norm() : kNaN;
    const double e_qr = (la::lstsq_qr(H, b) - x).norm() / x.norm();
    const double e_svd = (la::lstsq_svd(H, b) - x).norm() / x.norm();
    const double e_lu = (la::lu_solve(la::lu_partial_pivoting(H), b) - x).norm() / x.norm();
    const std::string tag = fmt::format("hilbert.n_{}", n);
    report.metric(tag + ".kappa", kappa);
    report.metric(tag + ".normal_equations", e_ne);
    report.metric(tag + ".normal_equations_cholesky_ok", ne.cholesky.positive_definite ? 1.0 : 0.0);
    report.metric(tag + ".qr", e_qr);
    report.metric(tag + ".svd", e_svd);
    report.metric(tag + ".lu", e_lu);
    hrows.push_back({std::to_string(n), mlc::num(kappa, 3),
                     ne.cholesky.positive_definite
                         ? mlc::num(e_ne, 2)
                         : fmt::format("Cholesky fails (column {})", ne.cholesky.failed_column),
                     mlc::num(e_qr, 2), mlc::num(e_svd, 2), mlc::num(e_lu, 2),
                     mlc::num(u * kappa, 2)});
    if (n == 6) {
      ne6 = e_ne;
      qr6 = e_qr;
      k6 = kappa;
    }
    if (n == 8) k8 = kappa;
    if (!ne.cholesky.positive_definite && first_breakdown < 0) first_breakdown = n;
  }
  report.text(
      "H_n x = b with x = (1, ..., 1): relative forward error of each solver. H_n is SPD, "
      "so the normal equations only square an already huge condition number.");
  report.table({"n", "κ₂(H_n)", "normal equations", "Householder QR", "Jacobi SVD",
                "LU (partial pivoting)", "u κ"},
               hrows);

  // 1. tiny pivot
  {
    Eigen::MatrixXd A(2, 2);
    A << 1e-20, 1.0, 1.0, 1.0;
    const Eigen::VectorXd b = Eigen::Vector2d(1.0, 2.0);
    const Eigen::VectorXd x = A.partialPivLu().solve(b);
    const auto naive = la::lu_no_pivoting(A);
    const auto piv = la::lu_partial_pivoting(A);
    const Eigen::VectorXd xn = la::lu_solve(naive, b), xp = la::lu_solve(piv, b);
    const double en = (xn - x).norm() / x.norm(), ep = (xp - x).norm() / x.norm();
    const double rn = rel(naive.L * naive.U, A);
    report.metric("failure.tiny_pivot.no_pivoting.growth_factor", naive.growth_factor);
    report.metric("failure.tiny_pivot.no_pivoting.error", en);
    report.metric("failure.tiny_pivot.no_pivoting.reconstruction", rn);
    report.metric("failure.tiny_pivot.partial_pivoting.growth_factor", piv.growth_factor);
    report.metric("failure.tiny_pivot.partial_pivoting.error", ep);
    report.failure_mode(
        {"LU without pivoting divides by a tiny pivot",
         "A = [[1e-20, 1], [1, 1]], b = (1, 2) (exact solution ≈ (1, 1)), eliminated without row "
         "exchanges.",
         fmt::format(
             "the multiplier is 1e20 and u₂₂ = fl(1 - 1e20) = -1e20: growth factor ρ = {}, "
             "computed x = ({}, {}), relative error {}; the factors reproduce A with relative "
             "error {} (the 1 in a₂₂ is lost).",
             mlc::num(naive.growth_factor, 3), mlc::num(xn(0), 3), mlc::num(xn(1), 3),
             mlc::num(en, 3), mlc::num(rn, 3)),
         "LU is backward stable only relative to the growth factor ρ (NOTES (3)); a tiny pivot "
         "makes "
         "the multipliers, and thus ρ, enormous, and the entry 1 of a₂₂ is rounded away.",
         fmt::format("partial pivoting swaps the rows first: ρ = {}, relative error {}.",
                     mlc::num(piv.growth_factor, 3), mlc::num(ep, 2))});
  }
  // 2. exponential growth under partial pivoting
  {
    const Eigen::Index n = 60;
    const Eigen::MatrixXd A = la::wilkinson_growth_matrix(n);
    mlc::Rng r = rng.derive(77);
    const Eigen::VectorXd x = r.normal_vector(n);
    const Eigen::VectorXd b = A * x;
    const auto lu = la::lu_partial_pivoting(A);
    const double e_lu = (la::lu_solve(lu, b) - x).norm() / x.norm();
    const double e_qr = (la::lstsq_qr(A, b) - x).norm() / x.norm();
    const double kappa = la::condition_number(A);
    report.metric("failure.wilkinson_growth.growth_factor", lu.growth_factor);
    report.metric("failure.wilkinson_growth.kappa", kappa);
    report.metric("failure.wilkinson_growth.lu_error", e_lu);
    report.metric("failure.wilkinson_growth.qr_error", e_qr);
    report.failure_mode(
        {"Partial pivoting with growth 2^(n-1)",
         "Wilkinson's 60 × 60 matrix (1 on the diagonal and in the last column, -1 below the "
         "diagonal), x ~ N(0, I), b = A x.",
         fmt::format("no row exchange is ever needed, the last column doubles at each step: ρ = {} "
                     "(= 2^59), relative error of the LU solution {} although κ₂(A) = {} only.",
                     mlc::num(lu.growth_factor, 4), mlc::num(e_lu, 3), mlc::num(kappa, 3)),
         "partial pivoting bounds the multipliers by 1 but not the growth, which can reach 2^(n-1) "
         "(Higham §9.4); such matrices are vanishingly rare among random ones (ρ ≈ n^(1/2) to "
         "n^(2/3)).",
         fmt::format(
             "Householder QR does not grow (orthogonal transformations): relative error {}; "
             "complete or rook pivoting would also bound ρ.",
             mlc::num(e_qr, 2))});
  }
  // 3. CGS collapse
  {
    size_t i8 = 0;
    for (size_t i = 0; i < ortho.kappa.size(); ++i)
      if (std::abs(std::log10(ortho.kappa[i]) - 8) < 1e-9) i8 = i;
    size_t i12 = 0;
    for (size_t i = 0; i < ortho.kappa.size(); ++i)
      if (std::abs(std::log10(ortho.kappa[i]) - 12) < 1e-9) i12 = i;
    report.failure_mode(
        {"Classical Gram-Schmidt loses orthogonality",
         fmt::format("QR of matrices with prescribed κ (the orthogonality experiment, {} × {}).",
                     quick ? 30 : 60, quick ? 10 : 20),
         fmt::format("‖QᵀQ - I‖₂ of CGS is {} at κ = 1e8 and {} at κ = 1e12: the computed "
                     "columns are no longer orthogonal at all (MGS: {} and {}).",
                     mlc::num(ortho.cgs[i8], 2), mlc::num(ortho.cgs[i12], 2),
                     mlc::num(ortho.mgs[i8], 2), mlc::num(ortho.mgs[i12], 2)),
         "CGS projects the ORIGINAL column onto all earlier q_i at once (5); the rounding errors "
         "in "
         "earlier q_i are not corrected, and the error in q_j grows like u κ² (Giraud et al. "
         "2005). "
         "MGS projects the updated column (6), which limits the loss to u κ.",
         fmt::format("Householder QR: {} at κ = 1e8 and {} at κ = 1e12; CGS run twice: {} and {}.",
                     mlc::num(ortho.hh[i8], 2), mlc::num(ortho.hh[i12], 2),
                     mlc::num(ortho.cgs2[i8], 2), mlc::num(ortho.cgs2[i12], 2))});
  }
  // 4. Läuchli
  {
    const double eps = 1e-8;
    const Eigen::MatrixXd A = la::lauchli(3, eps);
    const Eigen::VectorXd x = Eigen::Vector3d(1.0, 2.0, 3.0);
    const Eigen::VectorXd b = A * x;
    const auto ne = la::lstsq_normal_equations(A, b);
    const double e_qr = (la::lstsq_qr(A, b) - x).norm() / x.norm();
    const double e_svd = (la::lstsq_svd(A, b) - x).norm() / x.norm();
    const double kappa = la::condition_number(A);
    report.metric("failure.lauchli.kappa", kappa);
    report.metric("failure.lauchli.cholesky_ok", ne.cholesky.positive_definite ? 1.0 : 0.0);
    report.metric("failure.lauchli.cholesky_failed_column",
                  static_cast<double>(ne.cholesky.failed_column));
    report.metric("failure.lauchli.cholesky_failed_pivot", ne.cholesky.failed_pivot);
    report.metric("failure.lauchli.qr_error", e_qr);
    report.metric("failure.lauchli.svd_error", e_svd);
    report.failure_mode(
        {"Normal equations make the Läuchli matrix singular",
         "Läuchli's 4 × 3 matrix [1 1 1; ε I] with ε = 1e-8, x = (1, 2, 3), b = A x, solved by AᵀA "
         "x = Aᵀb.",
         fmt::format(
             "AᵀA = 11ᵀ + ε² I rounds to the all-ones matrix since ε² = 1e-16 < u: Cholesky "
             "meets the pivot {} in column {} and stops ({}), although κ₂(A) = {} is far from 1/u.",
             mlc::num(ne.cholesky.failed_pivot, 3), ne.cholesky.failed_column,
             ne.cholesky.positive_definite ? "factorization succeeded" : "no solution",
             mlc::num(kappa, 3)),
         "forming AᵀA squares the condition number, κ(AᵀA) = κ(A)² ≈ 3e16 > 1/u (NOTES (16)); the "
         "information in ε is destroyed before any solver runs.",
         fmt::format(
             "QR works on A itself: relative error {} (the bound u κ is {}); Jacobi SVD: {}.",
             mlc::num(e_qr, 2), mlc::num(u * kappa, 2), mlc::num(e_svd, 2))});
    report.failure_mode(
        {"Normal equations on Hilbert matrices",
         "H_n x = b with x = (1, ..., 1), n = 4, 6, ..., 12, solved by the normal equations and by "
         "Householder QR (table above).",
         fmt::format(
             "at n = 6 (κ₂ = {}) the normal equations have relative error {} against QR's {}; "
             "from n = {} on (κ₂(H_8) = {}) Cholesky of HᵀH meets a non-positive pivot and "
             "there is no solution at all.",
             mlc::num(k6, 3), mlc::num(ne6, 2), mlc::num(qr6, 2), first_breakdown, mlc::num(k8, 3)),
         "the error of the normal equations scales like u κ² (κ(HᵀH) = κ(H)²), QR's like u κ; once "
         "u κ² > 1 the computed HᵀH is not even positive definite.",
         fmt::format("use QR (or the SVD) on A: error {} at n = 6; the table shows QR tracking u κ "
                     "up to n = 12.",
                     mlc::num(qr6, 2))});
    report.metric("failure.hilbert.first_cholesky_breakdown_n",
                  static_cast<double>(first_breakdown));
  }
  // 5. power iteration with |λ1| = |λ2|
  {
    mlc::Rng r = rng.derive(88);
    Eigen::VectorXd lambda(6);
    lambda << 1.0, -1.0, 0.5, 0.3, 0.2, 0.1;
    const Eigen::MatrixXd Q = la::random_orthonormal(6, 6, r);
    const Eigen::MatrixXd A = symmetrize(Q * lambda.asDiagonal() * Q.transpose());
    const int iters = 2000;
    const auto p = la::power_iteration(A, r.normal_vector(6), 1e-10, iters);
    const double residual = (A * p.eigenvector - p.eigenvalue * p.eigenvector).norm() / A.norm();
    const auto eig = la::symmetric_eigen(A);
    const double err =
        std::max(std::abs(eig.eigenvalues(0) + 1.0), std::abs(eig.eigenvalues(5) - 1.0));
    report.metric("failure.power_equal_modulus.converged", p.converged ? 1.0 : 0.0);
    report.metric("failure.power_equal_modulus.rayleigh_quotient", p.eigenvalue);
    report.metric("failure.power_equal_modulus.residual", residual);
    report.metric("failure.power_equal_modulus.qr_steps", eig.iterations);
    report.metric("failure.power_equal_modulus.qr_error", err);
    report.failure_mode(
        {"Power iteration cannot separate eigenvalues of equal modulus",
         "a 6 × 6 symmetric matrix with eigenvalues 1, -1, 0.5, 0.3, 0.2, 0.1; power iteration "
         "from a random start, 2000 steps.",
         fmt::format("{} after {} iterations: the iterate alternates between two directions in the "
                     "span of the ±1 eigenvectors; Rayleigh quotient {}, relative residual {}.",
                     p.converged ? "converged" : "no convergence", iters, mlc::num(p.eigenvalue, 3),
                     mlc::num(residual, 3)),
         "the rate is |λ₂/λ₁| = 1 (NOTES (9)): the components along v₁ and v₂ keep their ratio.",
         fmt::format("the shifted QR algorithm finds both in {} QR steps, max error {}.",
                     eig.iterations, mlc::num(err, 2))});
  }
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  mlc::Rng rng(opt.seed);
  mlc::Timer t;
  std::vector<la::Svd> svds;
  std::vector<std::string> svd_names;
  against_eigen(report, rng, opt.quick, svds, svd_names);
  report.timing("against_eigen_seconds", t.seconds());
  cost_table(report, svds, opt.quick);
  t.reset();
  const OrthoSweep ortho = orthogonality_experiment(report, rng, opt.quick);
  report.timing("orthogonality_seconds", t.seconds());
  t.reset();
  least_squares_experiment(report, rng, opt.quick);
  report.timing("least_squares_seconds", t.seconds());
  t.reset();
  convergence_experiment(report, rng, opt.quick, svds, svd_names);
  failure_modes(report, rng, ortho, opt.quick);
  report.timing("convergence_and_failures_seconds", t.seconds());
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
