// 1.2 linear_algebra: LU, Cholesky, Gram-Schmidt, Householder QR, symmetric eigenvalues and
// the one-sided Jacobi SVD written from scratch, checked against Eigen, and pushed to the
// condition numbers where each one loses its digits.
//
// Experiments (each a section of report.md):
//   1. every factorization against Eigen on a random and a κ = 1e10 matrix;
//   2. the cost of each in flops;
//   3. loss of orthogonality of CGS, MGS, CGS twice and Householder against κ;
//   4. least squares by normal equations, QR and SVD: backward and forward error against κ;
//   5. convergence of power iteration and of the Jacobi sweeps;
//   6. Hilbert matrices; failure modes: a tiny pivot, growth 2^(n-1), CGS collapse, Läuchli,
//      normal equations on Hilbert matrices, power iteration with |λ₁| = |λ₂|.
// Follows Golub & Van Loan, Matrix Computations (4th ed.), ch. 3-5 and 8; Higham, Accuracy
// and Stability of Numerical Algorithms (2nd ed.), ch. 9, 19, 20. Equations: NOTES.md.
// Run: ./learn run linear_algebra [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Dense>

#include "lesson_identity.hpp"
#include "linear_algebra.hpp"
#include "mlc/cli.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "mlc/timer.hpp"

namespace la = linear_algebra;

namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using mlc::num;
using Rows = std::vector<std::vector<std::string>>;

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

// ‖a - b‖ / ‖b‖ (Frobenius for matrices): a relative error. Products are evaluated first.
template <class A, class B>
double rel(const A& a, const B& b) {
  const auto ae = a.eval();
  const auto be = b.eval();
  return (ae - be).norm() / be.norm();
}

std::string kappa_tag(double kappa) {
  return fmt::format("1e{}", static_cast<int>(std::lround(std::log10(kappa))));
}

// The table rows of the κ sweeps: κ = 1, 1e4, 1e8, 1e12, 1e16.
bool every_fourth_decade(double kappa) {
  const double e = std::log10(kappa);
  return std::abs(e - 4 * std::round(e / 4)) <= 1e-9;
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

MatrixXd symmetrize(const MatrixXd& A) {
  return 0.5 * (A + A.transpose());
}

// Q diag(lambda) Qᵀ with a random orthogonal Q, symmetrised.
MatrixXd with_eigenvalues(const VectorXd& lambda, mlc::Rng& r) {
  const Index n = lambda.size();
  const MatrixXd Q = la::random_orthonormal(n, n, r);
  return symmetrize(Q * lambda.asDiagonal() * Q.transpose());
}

// Quotes metrics under one prefix.
struct Quote {
  mlc::Report& report;
  std::string prefix;
  std::string operator()(const std::string& name, double value, int sig = 4) const {
    return report.quote(prefix + name, value, sig);
  }
};

// Theory lines on a log axis are cut above 10.
VectorXd clip(const VectorXd& v) {
  return v.unaryExpr([](double x) { return x > 10.0 ? kNaN : x; });
}

// ---- 1. Every factorization against Eigen ------------------------------------------------

// Accumulated wall times of our factorizations and of Eigen's.
struct Times {
  double ours = 0, eigen = 0;
};

template <class F>
auto timed(double& total, F&& f) {
  mlc::Timer timer;
  auto result = f();
  total += timer.seconds();
  return result;
}

// One row of the "against Eigen" table, recorded as the metrics eigen.<method>.<matrix>.*;
// a NaN orthogonality or step count is not applicable ("-").
struct Check {
  std::string method;
  double kappa, reconstruction, orthogonality, vs_eigen, scale;
  std::string scale_name;
  double steps = kNaN;
};

void add_check(mlc::Report& report, Rows& rows, const std::string& matrix, const Check& c) {
  const std::string key = fmt::format("eigen.{}.{}.", c.method, matrix);
  const auto optional = [&](const char* name, double v, int sig) {
    return std::isfinite(v) ? report.quote(key + name, v, sig) : std::string("-");
  };
  rows.push_back(
      {c.method, matrix, report.quote(key + "kappa", c.kappa, 3),
       report.quote(key + "reconstruction", c.reconstruction, 2),
       optional("orthogonality", c.orthogonality, 2), report.quote(key + "vs_eigen", c.vs_eigen, 2),
       fmt::format("{} = {}", c.scale_name, num(c.scale, 2)), optional("steps", c.steps, 4)});
  fmt::print("  {:<16} {:<11} κ={:<9} recon={:<9} orth={:<9} vs Eigen={}\n", c.method, matrix,
             rows.back()[2], rows.back()[3], rows.back()[4], rows.back()[5]);
}

// LU, Cholesky (on an SPD matrix of the same spectrum class) and Householder QR of A.
void check_triangular(mlc::Report& report, Rows& rows, const std::string& matrix, const MatrixXd& A,
                      mlc::Rng& r, Times& t) {
  const Index n = A.rows();
  const double kappa = la::condition_number(A);
  const auto lu = timed(t.ours, [&] { return la::lu_partial_pivoting(A); });
  const auto lu_ref = timed(t.eigen, [&] { return Eigen::PartialPivLU<MatrixXd>(A); });
  const MatrixXd P = la::permutation_matrix(lu.perm);
  const MatrixXd Lr = lu_ref.matrixLU().triangularView<Eigen::UnitLower>();
  const MatrixXd Ur = lu_ref.matrixLU().triangularView<Eigen::Upper>();
  const bool same_pivots = (P - lu_ref.permutationP().toDenseMatrix().cast<double>()).norm() == 0;
  report.metric(fmt::format("eigen.lu.{}.same_pivots", matrix), same_pivots ? 1.0 : 0.0);
  report.metric(fmt::format("eigen.lu.{}.growth_factor", matrix), lu.growth_factor);
  add_check(report, rows, matrix,
            {"lu", kappa, rel(lu.L * lu.U, P * A), kNaN, std::max(rel(lu.L, Lr), rel(lu.U, Ur)),
             u * kappa, "u·κ"});

  const double ks = matrix == "random" ? 1e2 : 1e10;
  const MatrixXd S = with_eigenvalues(la::geometric_spectrum(n, ks), r);
  const auto c = timed(t.ours, [&] { return la::cholesky(S); });
  const auto llt = timed(t.eigen, [&] { return Eigen::LLT<MatrixXd>(S); });
  add_check(report, rows, matrix,
            {"cholesky", ks, rel(c.L * c.L.transpose(), S), kNaN,
             rel(c.L, llt.matrixL().toDenseMatrix()), u * ks, "u·κ"});

  const auto f = timed(t.ours, [&] { return la::householder_qr_factors(A); });
  const MatrixXd Rr = timed(t.eigen, [&] {
    return MatrixXd(Eigen::HouseholderQR<MatrixXd>(A).matrixQR().triangularView<Eigen::Upper>());
  });
  add_check(report, rows, matrix,
            {"householder_qr", kappa, rel(f.Q * f.R, A), la::orthogonality_loss(f.Q), rel(f.R, Rr),
             u * kappa, "u·κ"});
}

// The symmetric QR algorithm and power iteration with deflation on a symmetric matrix of
// the same class (the symmetrised Gaussian, or ±geometric eigenvalues), and the Jacobi SVD
// of A itself, which is returned (its sweeps are plotted in section 5).
la::Svd check_spectral(mlc::Report& report, Rows& rows, const std::string& matrix,
                       const MatrixXd& A, mlc::Rng& r, Times& t) {
  const Index n = A.rows();
  MatrixXd S = symmetrize(A);
  if (matrix != "random") {
    VectorXd lambda = la::geometric_spectrum(n, 1e10);
    for (Index i = 1; i < n; i += 2) lambda(i) = -lambda(i);
    S = with_eigenvalues(lambda, r);
  }
  const auto eref = timed(t.eigen, [&] { return Eigen::SelfAdjointEigenSolver<MatrixXd>(S); });
  const VectorXd& lambda = eref.eigenvalues();
  const double norm2 = lambda.cwiseAbs().maxCoeff(), kappa = norm2 / lambda.cwiseAbs().minCoeff();

  const auto e = timed(t.ours, [&] { return la::symmetric_eigen(S); });  // (tridiagonal QR)
  const MatrixXd& V = e.eigenvectors;
  add_check(report, rows, matrix,
            {"symmetric_qr", kappa, rel(V * e.eigenvalues.asDiagonal() * V.transpose(), S),
             la::orthogonality_loss(V), (e.eigenvalues - lambda).cwiseAbs().maxCoeff() / norm2, u,
             "u", static_cast<double>(e.iterations)});
  report.metric(fmt::format("eigen.symmetric_qr.{}.steps_per_eigenvalue", matrix),
                static_cast<double>(e.iterations) / static_cast<double>(n));

  // Power iteration + Hotelling deflation: the 3 eigenvalues of largest modulus.
  const int k = 3;
  const auto p = la::power_iteration_deflation(S, k, r, 1e-12, 200000);
  std::vector<double> by_modulus(lambda.data(), lambda.data() + n);
  std::sort(by_modulus.begin(), by_modulus.end(),
            [](double a, double b) { return std::abs(a) > std::abs(b); });
  double err = 0;
  for (int j = 0; j < k; ++j)
    err = std::max(err, std::abs(p.eigenvalues(j) - by_modulus[static_cast<size_t>(j)]));
  const MatrixXd& W = p.eigenvectors;
  add_check(report, rows, matrix,
            {"power_deflation", kappa, (S * W - W * p.eigenvalues.asDiagonal()).norm() / norm2,
             la::orthogonality_loss(W), err / norm2, u, "u", static_cast<double>(p.iterations)});
  report.metric(fmt::format("eigen.power_deflation.{}.ratio_2_1", matrix),
                std::abs(by_modulus[1] / by_modulus[0]));

  la::Svd svd = timed(t.ours, [&] { return la::jacobi_svd(A); });
  const auto sref = timed(t.eigen, [&] { return Eigen::JacobiSVD<MatrixXd>(A); });
  const MatrixXd USV = svd.U * svd.singular_values.asDiagonal() * svd.V.transpose();
  add_check(report, rows, matrix,
            {"jacobi_svd", la::condition_number(A), rel(USV, A),
             std::max(la::orthogonality_loss(svd.U), la::orthogonality_loss(svd.V)),
             (svd.singular_values - sref.singularValues()).cwiseAbs().maxCoeff() /
                 sref.singularValues()(0),
             u, "u", static_cast<double>(svd.sweeps)});
  return svd;
}

// Returns the Jacobi SVDs of the two matrices, in the order of `names`.
std::vector<la::Svd> against_eigen(mlc::Report& report, const mlc::Rng& root, bool quick,
                                   const std::vector<std::string>& names) {
  const Index n = quick ? 40 : 120;
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
      n, num(u, 2)));
  Rows rows;
  Times t;
  std::vector<la::Svd> svds;
  fmt::print("Each factorization against Eigen (n = {}):\n", n);
  for (std::size_t i = 0; i < names.size(); ++i) {
    mlc::Rng r = root.derive(names[i] == "random" ? 1 : 2);
    const MatrixXd A = names[i] == "random"
                           ? r.normal_matrix(n, n)
                           : la::matrix_with_singular_values(n, la::geometric_spectrum(n, 1e10), r);
    check_triangular(report, rows, names[i], A, r, t);
    svds.push_back(check_spectral(report, rows, names[i], A, r, t));
  }
  report.table(
      {"method", "matrix", "κ₂", "reconstruction", "orthogonality", "vs Eigen", "scale", "steps"},
      rows);
  report.text(
      "For `power_deflation` the reconstruction column holds the eigen-residual ‖AV - VΛ‖_F / ‖A‖₂ "
      "of the three pairs; its step count is large on the random matrix because the top of a "
      "Wigner spectrum is crowded (see the ratio |λ₂/λ₁| in metrics.json), the very thing that "
      "makes the power method slow (figure below).");
  report.timing("against_eigen.ours_seconds", t.ours);
  report.timing("against_eigen.eigen_seconds", t.eigen);
  return svds;
}

// ---- 2. Cost -------------------------------------------------------------------------------

void cost_table(mlc::Report& report, const la::Svd& svd, bool quick) {
  const double n = quick ? 40 : 120;
  report.section("Cost in floating-point operations");
  // flops of the leading terms (GVL tables 3.2, 4.2, 5.2, 8.3 and §8.6.3)
  const std::vector<std::pair<std::string, double>> costs = {
      {"lu|2n³/3", 2 * n * n * n / 3},
      {"cholesky|n³/3", n * n * n / 3},
      {"gram_schmidt (CGS, MGS)|2mn²", 2 * n * n * n},
      {"householder_qr (R only)|2mn² - 2n³/3", 2 * n * n * n - 2 * n * n * n / 3},
      {"householder thin Q|4mn² - 4n³/3", 4 * n * n * n - 4 * n * n * n / 3},
      {"tridiagonalisation (T, Q)|4n³/3 + 4n³/3", 8 * n * n * n / 3},
      {"symmetric QR, values + vectors|≈ 9n³", 9 * n * n * n},
      {"power iteration, per step|2n²", 2 * n * n},
      {"one-sided Jacobi, per sweep|n(n-1)/2 · (6m + 6m + 6n) ≈ 9n³ (m = n)",
       n * (n - 1) / 2 * 18 * n},
  };
  Rows rows;
  for (const auto& [name, flops] : costs) {
    const auto bar = name.find('|');
    rows.push_back({name.substr(0, bar), name.substr(bar + 1), num(flops, 3)});
  }
  const double sweeps = svd.sweeps;
  report.text(fmt::format(
      "Leading-order flop counts at m = n = {}; a flop is one floating-point add or multiply. "
      "The Jacobi SVD needed {} sweeps on the random matrix above, so its total is about {} "
      "flops, an order of magnitude above the tridiagonal QR route (Golub-Kahan SVD costs "
      "≈ 4mn² + 8n³ for U, Σ, V).",
      report.quote("cost.n", n), report.quote("cost.jacobi_svd.sweeps", sweeps),
      num(sweeps * n * (n - 1) / 2 * 18 * n, 3)));
  report.table({"algorithm", "flops", fmt::format("at n = {}", n)}, rows);
}

// ---- 3 and 4: sweeps over the condition number ---------------------------------------------

// m × n matrices A = U diag(σ) Vᵀ with σ geometric from 1 to 1/κ, for κ = 10^e, e = 0 ... 16;
// `reps` draws per κ, the draw `rep` of the i-th κ from the stream stream.derive(i).derive(rep).
struct KappaSweep {
  Index m, n;
  int reps;
  std::vector<double> kappa;

  explicit KappaSweep(bool quick) : m(quick ? 30 : 60), n(quick ? 10 : 20), reps(quick ? 1 : 5) {
    for (double e = 0; e <= 16.0 + 1e-9; e += quick ? 2.0 : 0.5) kappa.push_back(std::pow(10.0, e));
  }
  // measure(A, κ, r) returns some numbers; the result holds, for each, its median per κ.
  std::vector<std::vector<double>> medians(
      const mlc::Rng& stream,
      const std::function<std::vector<double>(const MatrixXd&, double, mlc::Rng&)>& measure) const {
    std::vector<std::vector<double>> out;
    for (std::size_t i = 0; i < kappa.size(); ++i) {
      std::vector<std::vector<double>> draws;
      for (int rep = 0; rep < reps; ++rep) {
        mlc::Rng r = stream.derive(i).derive(static_cast<std::uint64_t>(rep));
        const std::vector<double> v =
            measure(la::matrix_with_singular_values(m, la::geometric_spectrum(n, kappa[i]), r),
                    kappa[i], r);
        draws.resize(v.size());
        for (std::size_t q = 0; q < v.size(); ++q) draws[q].push_back(v[q]);
      }
      out.resize(draws.size());
      for (std::size_t q = 0; q < draws.size(); ++q) out[q].push_back(median(draws[q]));
    }
    return out;
  }
  std::size_t index_of(double k) const {
    std::size_t best = 0;
    for (std::size_t i = 0; i < kappa.size(); ++i)
      if (std::abs(std::log10(kappa[i]) - std::log10(k)) < 1e-9) best = i;
    return best;
  }
};

// The medians ‖QᵀQ - I‖₂ per κ of CGS, MGS, Householder and CGS twice.
struct OrthoSweep {
  std::vector<double> kappa, cgs, mgs, hh, cgs2;
};

OrthoSweep orthogonality_experiment(mlc::Report& report, mlc::Rng stream, bool quick) {
  const KappaSweep sweep(quick);
  const auto loss = sweep.medians(stream, [](const MatrixXd& A, double, mlc::Rng&) {
    return std::vector<double>{la::orthogonality_loss(la::classical_gram_schmidt(A).Q),
                               la::orthogonality_loss(la::modified_gram_schmidt(A).Q),
                               la::orthogonality_loss(la::householder_qr_factors(A).Q),
                               la::orthogonality_loss(la::classical_gram_schmidt_twice(A).Q)};
  });
  const OrthoSweep s{sweep.kappa, loss[0], loss[1], loss[2], loss[3]};
  const VectorXd K = mlc::to_vector(s.kappa);
  mlc::Figure fig("Loss of orthogonality of the computed Q");
  fig.xlabel("condition number κ₂(A)").ylabel("‖QᵀQ - I‖₂").logx().logy().legend("top left");
  fig.yrange(1e-17, 1e8);
  fig.line_points(K, s.cgs, "classical Gram-Schmidt", {.color = 0})
      .line_points(K, s.mgs, "modified Gram-Schmidt", {.color = 1})
      .line_points(K, s.cgs2, "CGS twice (re-orthogonalised)", {.color = 3})
      .line_points(K, s.hh, "Householder", {.color = 2})
      .line(K, clip(u * K.cwiseProduct(K)), "u κ²", {.color = 0, .dash = true})
      .line(K, clip(u * K), "u κ", {.color = 1, .dash = true})
      .line(K, VectorXd::Constant(K.size(), u), "u", {.color = 2, .dash = true});
  report.section("Loss of orthogonality: CGS, MGS, Householder");
  report.text(fmt::format(
      "A = U diag(σ) Vᵀ ({} × {}) with σ geometric from 1 to 1/κ and Haar-random U, V; the "
      "median over {} matrices per κ. Theory (Higham §19.8, Björck 1967, Giraud et al. 2005): "
      "CGS loses orthogonality like u κ² (NOTES (5)), MGS like u κ (6), Householder stays at "
      "O(u) for every κ (8), and CGS applied twice is at O(u) as long as u κ < 1.",
      sweep.m, sweep.n, sweep.reps));
  report.figure(fig, "orthogonality",
                "‖QᵀQ - I‖₂ against κ₂(A), with the theory lines u κ², u κ and u (dashed).");
  Rows rows;
  for (size_t i = 0; i < s.kappa.size(); ++i) {
    if (!every_fourth_decade(s.kappa[i])) continue;
    const std::string tag = "kappa_" + kappa_tag(s.kappa[i]);
    rows.push_back({kappa_tag(s.kappa[i]), report.quote("orthogonality.cgs." + tag, s.cgs[i], 2),
                    report.quote("orthogonality.mgs." + tag, s.mgs[i], 2),
                    report.quote("orthogonality.cgs2." + tag, s.cgs2[i], 2),
                    report.quote("orthogonality.householder." + tag, s.hh[i], 2)});
  }
  report.table({"κ₂", "CGS", "MGS", "CGS twice", "Householder"}, rows);
  report.metric("orthogonality.kappa", s.kappa);
  report.metric("orthogonality.cgs", s.cgs);
  report.metric("orthogonality.mgs", s.mgs);
  report.metric("orthogonality.cgs2", s.cgs2);
  report.metric("orthogonality.householder", s.hh);
  const std::size_t i8 = sweep.index_of(1e8);
  fmt::print("Loss of orthogonality ({} × {}): at κ = 1e8  CGS {}  MGS {}  Householder {}\n",
             sweep.m, sweep.n, num(s.cgs[i8], 2), num(s.mgs[i8], 2), num(s.hh[i8], 2));
  return s;
}

// Backward error (19) and forward error of the normal equations (16), QR (17) and SVD (18).
void least_squares_experiment(mlc::Report& report, mlc::Rng stream, bool quick) {
  const KappaSweep sweep(quick);
  int ne_failures = 0, total = 0;
  double first_failure = kNaN;
  const auto e = sweep.medians(stream, [&](const MatrixXd& A, double kappa, mlc::Rng& r) {
    const VectorXd x = r.normal_vector(A.cols());
    const VectorXd b = A * x;  // zero-residual problem: forward error u κ for QR/SVD
    const auto ne = la::lstsq_normal_equations(A, b);
    const VectorXd xq = la::lstsq_qr(A, b), xs = la::lstsq_svd(A, b);
    ++total;
    if (!ne.cholesky.positive_definite && ne_failures++ == 0) first_failure = kappa;
    return std::vector<double>{la::lstsq_backward_error(A, b, ne.x),
                               la::lstsq_backward_error(A, b, xq),
                               la::lstsq_backward_error(A, b, xs),
                               ne.x.allFinite() ? rel(ne.x, x) : kNaN,
                               rel(xq, x),
                               rel(xs, x)};
  });
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
      sweep.m, sweep.n, sweep.reps,
      report.quote("lstsq.normal_equations.cholesky_failures", ne_failures),
      report.quote("lstsq.normal_equations.problems", total),
      report.quote("lstsq.normal_equations.first_failure_kappa", first_failure, 2)));
  const VectorXd K = mlc::to_vector(sweep.kappa);
  const char* names[] = {"normal_equations", "qr", "svd"};
  const char* labels[] = {"normal equations + Cholesky", "Householder QR", "one-sided Jacobi SVD"};
  const int colors[] = {0, 2, 1};
  for (const bool forward : {false, true}) {
    const std::string kind = forward ? "forward" : "backward";
    mlc::Figure fig(forward ? "Forward error of least-squares solvers"
                            : "Backward error of least-squares solvers");
    fig.xlabel("condition number κ₂(A)").logx().logy().legend("top left");
    fig.ylabel(forward ? "‖x̂ - x‖ / ‖x‖" : "relative backward error ‖ΔA‖_F / ‖A‖_F");
    fig.yrange(1e-17, forward ? 1e6 : 1e4);
    for (int k = 0; k < 3; ++k) {
      fig.line_points(K, e[3 * forward + k], labels[k], {.color = colors[k]});
      report.metric(fmt::format("lstsq.{}.{}", kind, names[k]), e[3 * forward + k]);
    }
    if (forward) fig.line(K, clip(u * K.cwiseProduct(K)), "u κ²", {.color = 0, .dash = true});
    fig.line(K, clip(u * K), "u κ", {.color = forward ? 2 : 0, .dash = true});
    if (!forward) fig.line(K, VectorXd::Constant(K.size(), u), "u", {.color = 2, .dash = true});
    report.figure(fig, "lstsq_" + kind + "_error",
                  forward ? "Forward error against κ₂(A) for a zero-residual problem, with u κ² "
                            "and u κ (dashed)."
                          : "Backward error (19) against κ₂(A): QR and SVD stay at O(u), the "
                            "normal equations grow like u κ until Cholesky breaks down.");
  }
  report.metric("lstsq.kappa", sweep.kappa);
  Rows rows;
  for (size_t i = 0; i < sweep.kappa.size(); ++i) {
    if (!every_fourth_decade(sweep.kappa[i])) continue;
    rows.push_back({kappa_tag(sweep.kappa[i])});
    for (int q = 0; q < 6; ++q)
      rows.back().push_back(
          report.quote(fmt::format("lstsq.{}.{}.kappa_{}", q < 3 ? "backward" : "forward",
                                   names[q % 3], kappa_tag(sweep.kappa[i])),
                       e[q][i], 2));
  }
  report.table({"κ₂", "backward NE", "backward QR", "backward SVD", "forward NE", "forward QR",
                "forward SVD"},
               rows);
  const std::size_t i6 = sweep.index_of(1e6);
  fmt::print(
      "Least squares ({} × {}) at κ = 1e6: backward NE {} QR {} SVD {}; forward NE {} QR "
      "{}; Cholesky broke down {}/{}\n",
      sweep.m, sweep.n, num(e[0][i6], 2), num(e[1][i6], 2), num(e[2][i6], 2), num(e[3][i6], 2),
      num(e[4][i6], 2), ne_failures, total);
}

// ---- 5. Power iteration and Jacobi convergence ---------------------------------------------

void convergence_experiment(mlc::Report& report, mlc::Rng stream, bool quick,
                            const std::vector<la::Svd>& svds,
                            const std::vector<std::string>& svd_names) {
  const Index n = quick ? 20 : 50;
  report.section("Convergence: power iteration and Jacobi sweeps");
  mlc::Figure fig("Power iteration: error of the Rayleigh quotient");
  fig.xlabel("iteration k").ylabel("|λ^(k) - λ₁| / |λ₁|").logy().legend("top right");
  Rows rows;
  const double ratios[] = {0.5, 0.9, 0.99};
  for (int s = 0; s < 3; ++s) {
    const double ratio = ratios[s];
    mlc::Rng r = stream.derive(static_cast<std::uint64_t>(s));
    VectorXd lambda = r.uniform_vector(n, 0.0, 0.4 * ratio);
    lambda(0) = 1.0;
    lambda(1) = ratio;
    const MatrixXd A = with_eigenvalues(lambda, r);
    const auto p = la::power_iteration(A, r.normal_vector(n), 1e-13, 20000);
    const Index k = static_cast<Index>(p.rayleigh_quotients.size());
    const VectorXd it = VectorXd::LinSpaced(k, 1.0, static_cast<double>(k));
    const VectorXd err =
        (mlc::to_vector(p.rayleigh_quotients).array() - 1.0).abs().unaryExpr([](double e) {
          return e > 0 ? e : kNaN;
        });
    // The theory line is anchored at the first iterate with error below 1e-4 (past the
    // transient of the other eigen-components).
    Index anchor = 0;
    while (anchor + 1 < k && !(err(anchor) < 1e-4)) ++anchor;
    VectorXd theory(k);
    for (Index i = 0; i < k; ++i)
      theory(i) = err(anchor) * std::pow(ratio, 2.0 * static_cast<double>(i - anchor));
    fig.line(it, err, fmt::format("measured, r = |λ₂/λ₁| = {}", ratio), {.color = s});
    fig.line(it, theory.unaryExpr([](double x) { return x < 1e-17 || x > 1.0 ? kNaN : x; }),
             fmt::format("theory r^(2k), r = {}", ratio), {.color = s, .dash = true});
    const std::string key = fmt::format("power.ratio_{}.", std::lround(ratio * 100));
    rows.push_back(
        {num(ratio, 2), report.quote(key + "iterations", p.iterations, 6),
         report.quote(key + "predicted_iterations", std::log(1e-13) / std::log(ratio), 3),
         report.quote(key + "final_error", std::abs(p.eigenvalue - 1.0), 2)});
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
  fj.xlabel("sweep").ylabel("largest cosine |w_pᵀ w_q| / (‖w_p‖ ‖w_q‖)").logy();
  fj.legend("bottom left").yrange(1e-16, 10.0);
  Rows jrows;
  for (size_t s = 0; s < svds.size(); ++s) {
    const auto& off = svds[s].off_per_sweep;
    const Index k = static_cast<Index>(off.size());
    fj.line_points(VectorXd::LinSpaced(k, 1.0, static_cast<double>(k)),
                   mlc::to_vector(off).unaryExpr([](double o) { return o > 0 ? o : kNaN; }),
                   svd_names[s], {.color = static_cast<int>(s)});
    std::string seq;  // the entries of the array metric jacobi.<matrix>.off_per_sweep
    for (double o : off) seq += (seq.empty() ? "" : ", ") + num(o, 2);
    report.metric("jacobi." + svd_names[s] + ".off_per_sweep", off);
    jrows.push_back(
        {svd_names[s], report.quote("jacobi." + svd_names[s] + ".sweeps", svds[s].sweeps), seq});
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

// ---- 6. Hilbert matrices and the failure modes ---------------------------------------------

// The Hilbert table; returns the failure mode of the normal equations on H_n it shows.
mlc::FailureMode hilbert_experiment(mlc::Report& report) {
  report.section("Hilbert matrices: the normal equations lose twice the digits");
  Rows rows;
  std::string ne6, qr6, k6, k8;
  Index first_breakdown = -1;
  for (Index n = 4; n <= 12; n += 2) {
    const MatrixXd H = la::hilbert(n);
    const VectorXd x = VectorXd::Ones(n);
    const VectorXd b = H * x;
    const double kappa = la::condition_number(H);
    const auto ne = la::lstsq_normal_equations(H, b);
    const std::string key = fmt::format("hilbert.n_{}.", n);
    const bool ok = ne.cholesky.positive_definite;
    report.metric(key + "normal_equations_cholesky_ok", ok ? 1.0 : 0.0);
    const std::string e_ne =
        report.quote(key + "normal_equations", ne.x.allFinite() ? rel(ne.x, x) : kNaN, 2);
    rows.push_back(
        {std::to_string(n), report.quote(key + "kappa", kappa, 3),
         ok ? e_ne : fmt::format("Cholesky fails (column {})", ne.cholesky.failed_column),
         report.quote(key + "qr", rel(la::lstsq_qr(H, b), x), 2),
         report.quote(key + "svd", rel(la::lstsq_svd(H, b), x), 2),
         report.quote(key + "lu", rel(la::lu_solve(la::lu_partial_pivoting(H), b), x), 2),
         num(u * kappa, 2)});
    if (n == 6) ne6 = e_ne, qr6 = rows.back()[3], k6 = rows.back()[1];
    if (n == 8) k8 = rows.back()[1];
    if (!ok && first_breakdown < 0) first_breakdown = n;
  }
  report.text(
      "H_n x = b with x = (1, ..., 1): relative forward error of each solver. H_n is SPD, "
      "so the normal equations only square an already huge condition number.");
  report.table({"n", "κ₂(H_n)", "normal equations", "Householder QR", "Jacobi SVD",
                "LU (partial pivoting)", "u κ"},
               rows);
  return {
      "Normal equations on Hilbert matrices",
      "H_n x = b with x = (1, ..., 1), n = 4, 6, ..., 12, solved by the normal equations and by "
      "Householder QR (table above).",
      fmt::format("at n = 6 (κ₂ = {}) the normal equations have relative error {} against QR's "
                  "{}; from n = {} on (κ₂(H_8) = {}) Cholesky of HᵀH meets a non-positive pivot "
                  "and there is no solution at all.",
                  k6, ne6, qr6,
                  report.quote("failure.hilbert.first_cholesky_breakdown_n", first_breakdown), k8),
      "the error of the normal equations scales like u κ² (κ(HᵀH) = κ(H)²), QR's like u κ; once "
      "u κ² > 1 the computed HᵀH is not even positive definite.",
      fmt::format("use QR (or the SVD) on A: error {} at n = 6; the table shows QR tracking u κ "
                  "up to n = 12.",
                  qr6)};
}

void tiny_pivot(mlc::Report& report) {
  const Quote q{report, "failure.tiny_pivot."};
  MatrixXd A(2, 2);
  A << 1e-20, 1.0, 1.0, 1.0;
  const VectorXd b = Eigen::Vector2d(1.0, 2.0);
  const VectorXd x = A.partialPivLu().solve(b);
  const auto naive = la::lu_no_pivoting(A);
  const auto piv = la::lu_partial_pivoting(A);
  const VectorXd xn = la::lu_solve(naive, b);
  report.failure_mode(
      {"LU without pivoting divides by a tiny pivot",
       "A = [[1e-20, 1], [1, 1]], b = (1, 2) (exact solution ≈ (1, 1)), eliminated without row "
       "exchanges.",
       fmt::format("the multiplier is 1e20 and u₂₂ = fl(1 - 1e20) = -1e20: growth factor ρ = {}, "
                   "computed x = ({}, {}), relative error {}; the factors reproduce A with "
                   "relative error {} (the 1 in a₂₂ is lost).",
                   q("no_pivoting.growth_factor", naive.growth_factor, 3), num(xn(0), 3),
                   num(xn(1), 3), q("no_pivoting.error", rel(xn, x), 3),
                   q("no_pivoting.reconstruction", rel(naive.L * naive.U, A), 3)),
       "LU is backward stable only relative to the growth factor ρ (NOTES (3)); a tiny pivot "
       "makes the multipliers, and thus ρ, enormous, and the entry 1 of a₂₂ is rounded away.",
       fmt::format("partial pivoting swaps the rows first: ρ = {}, relative error {}.",
                   q("partial_pivoting.growth_factor", piv.growth_factor, 3),
                   q("partial_pivoting.error", rel(la::lu_solve(piv, b), x), 2))});
}

void wilkinson_growth(mlc::Report& report, mlc::Rng r) {
  const Quote q{report, "failure.wilkinson_growth."};
  const Index n = 60;
  const MatrixXd A = la::wilkinson_growth_matrix(n);
  const VectorXd x = r.normal_vector(n);
  const VectorXd b = A * x;
  const auto lu = la::lu_partial_pivoting(A);
  report.failure_mode(
      {"Partial pivoting with growth 2^(n-1)",
       "Wilkinson's 60 × 60 matrix (1 on the diagonal and in the last column, -1 below the "
       "diagonal), x ~ N(0, I), b = A x.",
       fmt::format("no row exchange is ever needed, the last column doubles at each step: ρ = {} "
                   "(= 2^59), relative error of the LU solution {} although κ₂(A) = {} only.",
                   q("growth_factor", lu.growth_factor, 4),
                   q("lu_error", rel(la::lu_solve(lu, b), x), 3),
                   q("kappa", la::condition_number(A), 3)),
       "partial pivoting bounds the multipliers by 1 but not the growth, which can reach 2^(n-1) "
       "(Higham §9.4); such matrices are vanishingly rare among random ones (ρ ≈ n^(1/2) to "
       "n^(2/3)).",
       fmt::format("Householder QR does not grow (orthogonal transformations): relative error "
                   "{}; complete or rook pivoting would also bound ρ.",
                   q("qr_error", rel(la::lstsq_qr(A, b), x), 2))});
}

void cgs_collapse(mlc::Report& report, const OrthoSweep& s, bool quick) {
  const KappaSweep sweep(quick);
  const std::size_t i8 = sweep.index_of(1e8), i12 = sweep.index_of(1e12);
  const auto at = [&](const std::string& method, const std::vector<double>& v) {
    const std::string key = "orthogonality." + method + ".kappa_";
    return fmt::format("{} at κ = 1e8 and {} at κ = 1e12", report.quote(key + "1e8", v[i8], 2),
                       report.quote(key + "1e12", v[i12], 2));
  };
  report.failure_mode(
      {"Classical Gram-Schmidt loses orthogonality",
       fmt::format("QR of matrices with prescribed κ (the orthogonality experiment, {} × {}).",
                   sweep.m, sweep.n),
       fmt::format("‖QᵀQ - I‖₂ of CGS is {}: the computed columns are no longer orthogonal at "
                   "all (MGS: {}).",
                   at("cgs", s.cgs), at("mgs", s.mgs)),
       "CGS projects the ORIGINAL column onto all earlier q_i at once (5); the rounding errors "
       "in earlier q_i are not corrected, and the error in q_j grows like u κ² (Giraud et al. "
       "2005). MGS projects the updated column (6), which limits the loss to u κ.",
       fmt::format("Householder QR: {}; CGS run twice: {}.", at("householder", s.hh),
                   at("cgs2", s.cgs2))});
}

void lauchli(mlc::Report& report) {
  const Quote q{report, "failure.lauchli."};
  const MatrixXd A = la::lauchli(3, 1e-8);
  const VectorXd x = Eigen::Vector3d(1.0, 2.0, 3.0);
  const VectorXd b = A * x;
  const auto ne = la::lstsq_normal_equations(A, b);
  const double kappa = la::condition_number(A);
  report.metric("failure.lauchli.cholesky_ok", ne.cholesky.positive_definite ? 1.0 : 0.0);
  report.failure_mode(
      {"Normal equations make the Läuchli matrix singular",
       "Läuchli's 4 × 3 matrix [1 1 1; ε I] with ε = 1e-8, x = (1, 2, 3), b = A x, solved by AᵀA "
       "x = Aᵀb.",
       fmt::format("AᵀA = 11ᵀ + ε² I rounds to the all-ones matrix since ε² = 1e-16 < u: "
                   "Cholesky meets the pivot {} in column {} and stops ({}), although κ₂(A) = {} "
                   "is far from 1/u.",
                   q("cholesky_failed_pivot", ne.cholesky.failed_pivot, 3),
                   q("cholesky_failed_column", ne.cholesky.failed_column),
                   ne.cholesky.positive_definite ? "factorization succeeded" : "no solution",
                   q("kappa", kappa, 3)),
       "forming AᵀA squares the condition number, κ(AᵀA) = κ(A)² ≈ 3e16 > 1/u (NOTES (16)); the "
       "information in ε is destroyed before any solver runs.",
       fmt::format("QR works on A itself: relative error {} (the bound u κ is {}); Jacobi SVD: {}.",
                   q("qr_error", rel(la::lstsq_qr(A, b), x), 2), num(u * kappa, 2),
                   q("svd_error", rel(la::lstsq_svd(A, b), x), 2))});
}

void power_equal_modulus(mlc::Report& report, mlc::Rng r) {
  const Quote q{report, "failure.power_equal_modulus."};
  VectorXd lambda(6);
  lambda << 1.0, -1.0, 0.5, 0.3, 0.2, 0.1;
  const MatrixXd A = with_eigenvalues(lambda, r);
  const int iters = 2000;
  const auto p = la::power_iteration(A, r.normal_vector(6), 1e-10, iters);
  const auto eig = la::symmetric_eigen(A);
  report.metric("failure.power_equal_modulus.converged", p.converged ? 1.0 : 0.0);
  report.failure_mode(
      {"Power iteration cannot separate eigenvalues of equal modulus",
       "a 6 × 6 symmetric matrix with eigenvalues 1, -1, 0.5, 0.3, 0.2, 0.1; power iteration "
       "from a random start, 2000 steps.",
       fmt::format(
           "{} after {} iterations: the iterate alternates between two directions in the "
           "span of the ±1 eigenvectors; Rayleigh quotient {}, relative residual {}.",
           p.converged ? "converged" : "no convergence", iters,
           q("rayleigh_quotient", p.eigenvalue, 3),
           q("residual", (A * p.eigenvector - p.eigenvalue * p.eigenvector).norm() / A.norm(), 3)),
       "the rate is |λ₂/λ₁| = 1 (NOTES (9)): the components along v₁ and v₂ keep their ratio.",
       fmt::format(
           "the shifted QR algorithm finds both in {} QR steps, max error {}.",
           q("qr_steps", eig.iterations, 6),
           q("qr_error",
             std::max(std::abs(eig.eigenvalues(0) + 1.0), std::abs(eig.eigenvalues(5) - 1.0)),
             2))});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const mlc::Rng root(opt.seed);
  mlc::Timer t;
  const std::vector<std::string> svd_names = {"random", "kappa_1e10"};
  const std::vector<la::Svd> svds = against_eigen(report, root, opt.quick, svd_names);  // 1, 2
  report.timing("against_eigen_seconds", t.seconds());
  cost_table(report, svds.front(), opt.quick);
  t.reset();
  const OrthoSweep ortho = orthogonality_experiment(report, root.derive(3), opt.quick);
  report.timing("orthogonality_seconds", t.seconds());
  t.reset();
  least_squares_experiment(report, root.derive(4), opt.quick);
  report.timing("least_squares_seconds", t.seconds());
  t.reset();
  convergence_experiment(report, root.derive(5), opt.quick, svds, svd_names);
  const mlc::FailureMode hilbert = hilbert_experiment(report);
  tiny_pivot(report);
  wilkinson_growth(report, root.derive(77));
  cgs_collapse(report, ortho, opt.quick);
  lauchli(report);
  report.failure_mode(hilbert);
  power_equal_modulus(report, root.derive(88));
  report.timing("convergence_and_failures_seconds", t.seconds());
  report.headline(
      {"eigen.householder_qr.kappa_1e10.orthogonality", "failure.tiny_pivot.no_pivoting.error"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
