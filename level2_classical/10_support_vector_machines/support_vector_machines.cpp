// Lesson 2.10 support_vector_machines: the algorithms (pure computation, no I/O).
// Kernels (5) by GEMM, SMO with WSS2 (6)–(8) after Fan, Chen & Lin (2005) and LIBSVM,
// multi-class by one-vs-rest and one-vs-one, Pegasos (10) in the primal. Equation numbers
// refer to NOTES.md.
#include "support_vector_machines.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace support_vector_machines {

namespace {

constexpr double kTau = 1e-12;  // LIBSVM's TAU: curvature floor for a non-PD 2 × 2 block

void require_targets(const Eigen::VectorXd& y, const char* function) {
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    mlc::require(y(i) == 1.0 || y(i) == -1.0, function,
                 fmt::format("targets must be +1 or -1; y({}) = {}", i, y(i)));
  }
}

}  // namespace

// ---- Kernels ---------------------------------------------------------------------------

std::string Kernel::name() const {
  switch (type) {
    case KernelType::kLinear: return "linear";
    case KernelType::kPolynomial: return fmt::format("polynomial (degree {}, γ = {}, c = {})", degree, gamma, coef0);
    case KernelType::kRbf: return fmt::format("RBF (γ = {})", gamma);
  }
  return "unknown";
}

Eigen::MatrixXd rbf_kernel_matrix(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, double gamma) {
  mlc::require(A.cols() == B.cols(), "rbf_kernel_matrix",
               fmt::format("A is {} × {} but B is {} × {}: feature counts differ", A.rows(), A.cols(),
                           B.rows(), B.cols()));
  mlc::require(gamma > 0.0, "rbf_kernel_matrix", fmt::format("gamma must be positive, got {}", gamma));
  // BEGIN EXERCISE rbf_kernel_matrix: squared distances by one GEMM, then exp(−γ D), equation (5)
  const Eigen::VectorXd a2 = A.rowwise().squaredNorm();                    // [n_a]
  const Eigen::RowVectorXd b2 = B.rowwise().squaredNorm().transpose();     // [n_b]
  Eigen::MatrixXd D = -2.0 * (A * B.transpose());                          // GEMM [n_a × n_b]
  D.colwise() += a2;
  D.rowwise() += b2;
  // Cancellation can leave ‖a − b‖² slightly negative for near-equal rows: clamp at 0.
  return (-gamma * D.array().max(0.0)).exp().matrix();
  // END EXERCISE
}

Eigen::MatrixXd kernel_matrix(const Kernel& kernel, const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
  mlc::require(A.cols() == B.cols(), "kernel_matrix",
               fmt::format("A is {} × {} but B is {} × {}", A.rows(), A.cols(), B.rows(), B.cols()));
  switch (kernel.type) {
    case KernelType::kLinear: return A * B.transpose();
    case KernelType::kPolynomial: {
      mlc::require(kernel.degree >= 1, "kernel_matrix", "polynomial degree must be at least 1");
      Eigen::MatrixXd G = kernel.gamma * (A * B.transpose());
      G.array() += kernel.coef0;
      return G.array().pow(static_cast<double>(kernel.degree)).matrix();
    }
    case KernelType::kRbf: return rbf_kernel_matrix(A, B, kernel.gamma);
  }
  throw std::logic_error("kernel_matrix: unknown kernel type");
}

// ---- The dual problem and SMO ----------------------------------------------------------

double dual_objective(const Eigen::MatrixXd& K, const Eigen::VectorXd& y, const Eigen::VectorXd& alpha) {
  mlc::require(K.rows() == K.cols() && K.rows() == y.size() && y.size() == alpha.size(), "dual_objective",
               fmt::format("K is {} × {}, y has {}, alpha has {} entries", K.rows(), K.cols(), y.size(),
                           alpha.size()));
  const Eigen::VectorXd v = alpha.cwiseProduct(y);  // α ∘ y
  return alpha.sum() - 0.5 * v.dot(K * v);          // (3) eᵀα − ½ αᵀQα
}

WorkingSet smo_select_working_set(const Eigen::MatrixXd& K, const Eigen::VectorXd& y,
                                  const Eigen::VectorXd& alpha, const Eigen::VectorXd& G, double C,
                                  double tolerance) {
  const Eigen::Index n = y.size();
  mlc::require(K.rows() == n && K.cols() == n && alpha.size() == n && G.size() == n, "smo_select_working_set",
               fmt::format("K is {} × {}, y {}, alpha {}, G {}: all must match", K.rows(), K.cols(), n,
                           alpha.size(), G.size()));
  // BEGIN EXERCISE smo_select_working_set: WSS2 of Fan, Chen & Lin (2005), equations (6a)–(6b)
  constexpr double inf = std::numeric_limits<double>::infinity();
  WorkingSet ws;
  // (6a) i = argmax { −y_t G_t : t ∈ I_up },  I_up = {α_t < C, y_t = +1} ∪ {α_t > 0, y_t = −1}
  double m_alpha = -inf;
  Eigen::Index i = -1;
  for (Eigen::Index t = 0; t < n; ++t) {
    const bool in_up = y(t) > 0 ? alpha(t) < C : alpha(t) > 0;
    if (in_up && -y(t) * G(t) >= m_alpha) {
      m_alpha = -y(t) * G(t);
      i = t;
    }
  }
  if (i < 0) {
    ws.optimal = true;
    return ws;
  }
  // (6b) j = argmin { −b_it² / a_it : t ∈ I_low, b_it = m(α) + y_t G_t > 0 },
  // a_it = K_ii + K_tt − 2 K_it (floored at τ); M(α) = min { −y_t G_t : t ∈ I_low }.
  double M_alpha = inf, best_decrease = inf;
  Eigen::Index j = -1;
  const double* K_i = K.col(i).data();
  const double K_ii = K(i, i);
  for (Eigen::Index t = 0; t < n; ++t) {
    const bool in_low = y(t) > 0 ? alpha(t) > 0 : alpha(t) < C;
    if (!in_low) continue;
    const double v = -y(t) * G(t);
    M_alpha = std::min(M_alpha, v);
    const double b = m_alpha - v;
    if (b > 0) {
      double a = K_ii + K(t, t) - 2.0 * K_i[t];
      if (a <= 0) a = kTau;
      const double decrease = -b * b / a;  // f decreases by b²/(2a) along the pair direction
      if (decrease <= best_decrease) {
        best_decrease = decrease;
        j = t;
      }
    }
  }
  ws.i = i;
  ws.j = j;
  ws.gap = m_alpha - M_alpha;
  ws.optimal = ws.gap < tolerance || j < 0;
  return ws;
  // END EXERCISE
}

void smo_update_pair(const Eigen::MatrixXd& K, const Eigen::VectorXd& y, double C, Eigen::Index i,
                     Eigen::Index j, Eigen::VectorXd& alpha, Eigen::VectorXd& G) {
  const Eigen::Index n = y.size();
  mlc::require(i >= 0 && j >= 0 && i < n && j < n && i != j, "smo_update_pair",
               fmt::format("need two distinct indices in [0, {}), got i = {}, j = {}", n, i, j));
  mlc::require(K.rows() == n && K.cols() == n && alpha.size() == n && G.size() == n, "smo_update_pair",
               "K, y, alpha and G sizes differ");
  // BEGIN EXERCISE smo_update_pair: the analytic two-variable step with clipping (7), then G in O(n)
  const double old_i = alpha(i), old_j = alpha(j);
  double a = K(i, i) + K(j, j) - 2.0 * K(i, j);  // curvature of f along the pair direction
  if (a <= 0) a = kTau;
  if (y(i) != y(j)) {
    // α_i − α_j stays constant: move both by δ, then clip onto the box's diagonal segment.
    const double delta = (-G(i) - G(j)) / a;
    const double diff = alpha(i) - alpha(j);
    alpha(i) += delta;
    alpha(j) += delta;
    if (diff > 0) {
      if (alpha(j) < 0) { alpha(j) = 0; alpha(i) = diff; }
    } else {
      if (alpha(i) < 0) { alpha(i) = 0; alpha(j) = -diff; }
    }
    if (diff > 0) {
      if (alpha(i) > C) { alpha(i) = C; alpha(j) = C - diff; }
    } else {
      if (alpha(j) > C) { alpha(j) = C; alpha(i) = C + diff; }
    }
  } else {
    // α_i + α_j stays constant: move by ∓δ, then clip onto the anti-diagonal segment.
    const double delta = (G(i) - G(j)) / a;
    const double sum = alpha(i) + alpha(j);
    alpha(i) -= delta;
    alpha(j) += delta;
    if (sum > C) {
      if (alpha(i) > C) { alpha(i) = C; alpha(j) = sum - C; }
    } else {
      if (alpha(j) < 0) { alpha(j) = 0; alpha(i) = sum; }
    }
    if (sum > C) {
      if (alpha(j) > C) { alpha(j) = C; alpha(i) = sum - C; }
    } else {
      if (alpha(i) < 0) { alpha(i) = 0; alpha(j) = sum; }
    }
  }
  // G_k += Q_ki Δα_i + Q_kj Δα_j = y_k (y_i Δα_i K_ki + y_j Δα_j K_kj)     O(n), two columns of K
  const double ci = y(i) * (alpha(i) - old_i), cj = y(j) * (alpha(j) - old_j);
  G.array() += y.array() * (ci * K.col(i).array() + cj * K.col(j).array());
  // END EXERCISE
}

double smo_bias(const Eigen::VectorXd& y, const Eigen::VectorXd& alpha, const Eigen::VectorXd& G, double C) {
  mlc::require(y.size() == alpha.size() && y.size() == G.size(), "smo_bias", "y, alpha and G sizes differ");
  constexpr double inf = std::numeric_limits<double>::infinity();
  double upper = inf, lower = -inf, sum_free = 0.0;
  long num_free = 0;
  for (Eigen::Index t = 0; t < y.size(); ++t) {
    const double yG = y(t) * G(t);
    if (alpha(t) >= C) {
      if (y(t) < 0) upper = std::min(upper, yG); else lower = std::max(lower, yG);
    } else if (alpha(t) <= 0) {
      if (y(t) > 0) upper = std::min(upper, yG); else lower = std::max(lower, yG);
    } else {
      ++num_free;
      sum_free += yG;
    }
  }
  if (num_free > 0) return sum_free / static_cast<double>(num_free);  // (8)
  return 0.5 * (upper + lower);
}

DualSolution smo_solve(const Eigen::MatrixXd& K, const Eigen::VectorXd& y, const SmoOptions& options) {
  const Eigen::Index n = y.size();
  mlc::require(n >= 2 && K.rows() == n && K.cols() == n, "smo_solve",
               fmt::format("K is {} × {} for {} targets (need n ≥ 2 and K n × n)", K.rows(), K.cols(), n));
  mlc::require(options.C > 0 && options.tolerance > 0, "smo_solve",
               fmt::format("C = {} and tolerance = {} must be positive", options.C, options.tolerance));
  require_targets(y, "smo_solve");
  mlc::require((y.array() > 0).any() && (y.array() < 0).any(), "smo_solve", "need both classes +1 and -1");

  DualSolution s;
  s.alpha = Eigen::VectorXd::Zero(n);
  s.gradient = Eigen::VectorXd::Constant(n, -1.0);  // G = Qα − e at α = 0
  WorkingSet ws;
  for (;;) {
    ws = smo_select_working_set(K, y, s.alpha, s.gradient, options.C, options.tolerance);
    if (ws.optimal) {
      s.converged = true;
      break;
    }
    if (s.iterations >= options.max_iterations) break;
    smo_update_pair(K, y, options.C, ws.i, ws.j, s.alpha, s.gradient);
    ++s.iterations;
  }
  mlc::require_finite(s.gradient, "smo_solve: the dual gradient");
  s.gap = ws.gap;
  s.rho = smo_bias(y, s.alpha, s.gradient, options.C);
  s.objective = -0.5 * s.alpha.dot(s.gradient - Eigen::VectorXd::Ones(n));  // −½ αᵀ(G − e) = D(α)
  s.num_support_vectors = (s.alpha.array() > 0).count();
  s.num_bounded = (s.alpha.array() >= options.C).count();
  return s;
}

double max_kkt_violation(const Eigen::MatrixXd& K, const Eigen::VectorXd& y, const Eigen::VectorXd& alpha,
                         double rho, double C) {
  const Eigen::Index n = y.size();
  mlc::require(K.rows() == n && K.cols() == n && alpha.size() == n, "max_kkt_violation", "sizes differ");
  const Eigen::VectorXd f = K * alpha.cwiseProduct(y) - Eigen::VectorXd::Constant(n, rho);
  double worst = std::abs(y.dot(alpha));  // yᵀα = 0
  for (Eigen::Index t = 0; t < n; ++t) {
    const double margin = y(t) * f(t);
    worst = std::max({worst, -alpha(t), alpha(t) - C});
    if (alpha(t) <= 0) worst = std::max(worst, 1.0 - margin);
    else if (alpha(t) >= C) worst = std::max(worst, margin - 1.0);
    else worst = std::max(worst, std::abs(margin - 1.0));
  }
  return worst;
}

// ---- Binary and multi-class kernel SVMs ---------------------------------------------------

BinarySvm BinarySvm::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Kernel& kernel,
                         const SmoOptions& options) {
  return fit_precomputed(kernel_matrix(kernel, X, X), X, y, kernel, options);
}

BinarySvm BinarySvm::fit_precomputed(const Eigen::MatrixXd& K, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                     const Kernel& kernel, const SmoOptions& options) {
  mlc::require(X.rows() == y.size(), "BinarySvm::fit",
               fmt::format("X has {} rows but y has {} entries", X.rows(), y.size()));
  BinarySvm svm;
  svm.kernel = kernel;
  svm.solution = smo_solve(K, y, options);
  svm.full_dual_coef = svm.solution.alpha.cwiseProduct(y);
  for (Eigen::Index t = 0; t < y.size(); ++t) {
    if (svm.solution.alpha(t) > 0) svm.support_indices.push_back(t);
  }
  svm.support_vectors = X(svm.support_indices, Eigen::all);
  svm.dual_coef = svm.full_dual_coef(svm.support_indices);
  return svm;
}

Eigen::VectorXd BinarySvm::decision_function(const Eigen::MatrixXd& X) const {
  mlc::require(X.cols() == support_vectors.cols(), "BinarySvm::decision_function",
               fmt::format("X has {} features, the model {}", X.cols(), support_vectors.cols()));
  if (support_vectors.rows() == 0) return Eigen::VectorXd::Constant(X.rows(), -solution.rho);
  Eigen::VectorXd f = kernel_matrix(kernel, X, support_vectors) * dual_coef;
  f.array() -= solution.rho;
  return f;
}

Eigen::VectorXd BinarySvm::decision_function_precomputed(const Eigen::MatrixXd& K_test_train) const {
  mlc::require(K_test_train.cols() == full_dual_coef.size(), "BinarySvm::decision_function_precomputed",
               fmt::format("K has {} columns, the model {} training points", K_test_train.cols(),
                           full_dual_coef.size()));
  Eigen::VectorXd f = K_test_train * full_dual_coef;
  f.array() -= solution.rho;
  return f;
}

Eigen::VectorXd BinarySvm::predict(const Eigen::MatrixXd& X) const {
  return decision_function(X).unaryExpr([](double f) { return f > 0 ? 1.0 : -1.0; });
}

Eigen::VectorXd BinarySvm::primal_weights() const {
  return support_vectors.transpose() * dual_coef;  // (9) w = Σ α_i y_i x_i
}

Eigen::VectorXd one_vs_rest_targets(const Eigen::VectorXi& labels, int k) {
  return labels.unaryExpr([k](int c) { return c == k ? 1.0 : -1.0; });
}

MultiClassSvm MultiClassSvm::fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& labels, int num_classes,
                                 const Kernel& kernel, const SmoOptions& options, MultiClassScheme scheme) {
  return fit_precomputed(kernel_matrix(kernel, X, X), X, labels, num_classes, kernel, options, scheme);
}

MultiClassSvm MultiClassSvm::fit_precomputed(const Eigen::MatrixXd& K, const Eigen::MatrixXd& X,
                                             const Eigen::VectorXi& labels, int num_classes,
                                             const Kernel& kernel, const SmoOptions& options,
                                             MultiClassScheme scheme) {
  const Eigen::Index n = X.rows();
  mlc::require(labels.size() == n && K.rows() == n && K.cols() == n, "MultiClassSvm::fit",
               fmt::format("X has {} rows, labels {}, K is {} × {}", n, labels.size(), K.rows(), K.cols()));
  mlc::require(num_classes >= 2 && labels.minCoeff() >= 0 && labels.maxCoeff() < num_classes,
               "MultiClassSvm::fit", fmt::format("labels must lie in 0..{}", num_classes - 1));
  MultiClassSvm model;
  model.num_classes = num_classes;
  model.scheme = scheme;
  model.kernel = kernel;
  model.X_train = X;
  if (scheme == MultiClassScheme::kOneVsRest) {
    std::vector<Eigen::Index> all(static_cast<std::size_t>(n));
    for (Eigen::Index t = 0; t < n; ++t) all[static_cast<std::size_t>(t)] = t;
    for (int k = 0; k < num_classes; ++k) {
      model.machines.push_back(BinarySvm::fit_precomputed(K, X, one_vs_rest_targets(labels, k), kernel, options));
      model.rows.push_back(all);
    }
  } else {
    for (int a = 0; a < num_classes; ++a) {
      for (int b = a + 1; b < num_classes; ++b) {
        std::vector<Eigen::Index> rows;
        for (Eigen::Index t = 0; t < n; ++t) {
          if (labels(t) == a || labels(t) == b) rows.push_back(t);
        }
        Eigen::VectorXd y(static_cast<Eigen::Index>(rows.size()));
        for (std::size_t r = 0; r < rows.size(); ++r) y(static_cast<Eigen::Index>(r)) = labels(rows[r]) == a ? 1.0 : -1.0;
        const Eigen::MatrixXd K_ab = K(rows, rows);
        const Eigen::MatrixXd X_ab = X(rows, Eigen::all);
        model.machines.push_back(BinarySvm::fit_precomputed(K_ab, X_ab, y, kernel, options));
        model.pairs.emplace_back(a, b);
        model.rows.push_back(std::move(rows));
      }
    }
  }
  return model;
}

Eigen::VectorXi MultiClassSvm::predict(const Eigen::MatrixXd& X) const {
  return predict_precomputed(kernel_matrix(kernel, X, X_train));
}

Eigen::VectorXi MultiClassSvm::predict_precomputed(const Eigen::MatrixXd& K_test_train) const {
  mlc::require(K_test_train.cols() == X_train.rows(), "MultiClassSvm::predict_precomputed",
               fmt::format("K has {} columns, the model {} training points", K_test_train.cols(), X_train.rows()));
  const Eigen::Index m = K_test_train.rows();
  Eigen::VectorXi out(m);
  if (scheme == MultiClassScheme::kOneVsRest) {
    // All K decision functions with one GEMM: F = K_test_train · [α ∘ y]_k − ρ_k   [m × K]
    Eigen::MatrixXd coef(X_train.rows(), num_classes);
    Eigen::RowVectorXd rho(num_classes);
    for (int k = 0; k < num_classes; ++k) {
      coef.col(k) = machines[static_cast<std::size_t>(k)].full_dual_coef;
      rho(k) = machines[static_cast<std::size_t>(k)].solution.rho;
    }
    Eigen::MatrixXd F = K_test_train * coef;
    F.rowwise() -= rho;
    for (Eigen::Index r = 0; r < m; ++r) F.row(r).maxCoeff(&out(r));
  } else {
    Eigen::MatrixXi votes = Eigen::MatrixXi::Zero(m, num_classes);
    for (std::size_t p = 0; p < machines.size(); ++p) {
      const Eigen::MatrixXd K_sub = K_test_train(Eigen::all, rows[p]);
      const Eigen::VectorXd f = machines[p].decision_function_precomputed(K_sub);
      for (Eigen::Index r = 0; r < m; ++r) ++votes(r, f(r) > 0 ? pairs[p].first : pairs[p].second);
    }
    for (Eigen::Index r = 0; r < m; ++r) votes.row(r).maxCoeff(&out(r));  // first maximum: lower class
  }
  return out;
}

long MultiClassSvm::total_iterations() const {
  long total = 0;
  for (const auto& m : machines) total += m.solution.iterations;
  return total;
}

Eigen::Index MultiClassSvm::num_support_vectors() const {
  std::vector<bool> used(static_cast<std::size_t>(X_train.rows()), false);
  for (std::size_t p = 0; p < machines.size(); ++p) {
    for (Eigen::Index t : machines[p].support_indices) used[static_cast<std::size_t>(rows[p][static_cast<std::size_t>(t)])] = true;
  }
  return static_cast<Eigen::Index>(std::count(used.begin(), used.end(), true));
}

bool MultiClassSvm::converged() const {
  return std::all_of(machines.begin(), machines.end(), [](const BinarySvm& m) { return m.solution.converged; });
}

// ---- Linear SVM in the primal: Pegasos ---------------------------------------------------

double margin_loss(double z, Loss loss) {
  if (loss == Loss::kHinge) return std::max(0.0, 1.0 - z);
  // log(1 + e^{−z}) without overflow
  return z > 0 ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z));
}

double margin_loss_derivative(double z, Loss loss) {
  if (loss == Loss::kHinge) return z < 1.0 ? -1.0 : 0.0;
  // −σ(−z) = −1 / (1 + e^{z})
  return z > 0 ? -std::exp(-z) / (1.0 + std::exp(-z)) : -1.0 / (1.0 + std::exp(z));
}

double primal_objective(const Eigen::VectorXd& w, double b, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                        double lambda, Loss loss) {
  mlc::require(X.cols() == w.size() && X.rows() == y.size(), "primal_objective",
               fmt::format("X is {} × {}, w has {}, y has {} entries", X.rows(), X.cols(), w.size(), y.size()));
  const Eigen::VectorXd z = y.cwiseProduct(X * w + Eigen::VectorXd::Constant(y.size(), b));
  double sum = 0.0;
  for (Eigen::Index i = 0; i < z.size(); ++i) sum += margin_loss(z(i), loss);
  return 0.5 * lambda * w.squaredNorm() + sum / static_cast<double>(y.size());  // (9)
}

void primal_subgradient(const Eigen::VectorXd& w, double b, const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                        double lambda, Loss loss, Eigen::VectorXd& grad_w, double& grad_b) {
  mlc::require(X.cols() == w.size() && X.rows() == y.size(), "primal_subgradient",
               fmt::format("X is {} × {}, w has {}, y has {} entries", X.rows(), X.cols(), w.size(), y.size()));
  const Eigen::Index n = y.size();
  const Eigen::VectorXd z = y.cwiseProduct(X * w + Eigen::VectorXd::Constant(n, b));
  Eigen::VectorXd s(n);  // ℓ'(z_i) y_i / n
  for (Eigen::Index i = 0; i < n; ++i) s(i) = margin_loss_derivative(z(i), loss) * y(i) / static_cast<double>(n);
  grad_w = lambda * w + X.transpose() * s;  // (10)  [d]
  grad_b = s.sum();
}

void pegasos_step(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<Eigen::Index>& batch,
                  double lambda, long t, Loss loss, Eigen::VectorXd& w, double& b) {
  mlc::require(lambda > 0 && t >= 1 && !batch.empty(), "pegasos_step",
               fmt::format("need lambda > 0, t ≥ 1 and a non-empty batch (lambda = {}, t = {}, batch {})", lambda,
                           t, batch.size()));
  mlc::require(X.cols() == w.size() && X.rows() == y.size(), "pegasos_step",
               fmt::format("X is {} × {}, w has {}, y has {} entries", X.rows(), X.cols(), w.size(), y.size()));
  // BEGIN EXERCISE pegasos_step: a projected sub-gradient step with η_t = 1/(λt), equation (10)
  const double eta = 1.0 / (lambda * static_cast<double>(t));
  const double k = static_cast<double>(batch.size());
  Eigen::VectorXd grad_w = lambda * w;
  double grad_b = 0.0;
  for (Eigen::Index r : batch) {
    const double z = y(r) * (X.row(r).dot(w) + b);
    const double d = margin_loss_derivative(z, loss);  // hinge: only margin violators count
    if (d != 0.0) {
      grad_w += (d * y(r) / k) * X.row(r).transpose();
      grad_b += d * y(r) / k;
    }
  }
  w -= eta * grad_w;
  b -= eta * grad_b;
  // The optimum satisfies λ/2 ‖w*‖² ≤ P(w*) ≤ P(0) = ℓ(0): project onto that ball.
  const double radius = std::sqrt(2.0 * margin_loss(0.0, loss) / lambda);
  const double norm = w.norm();
  if (norm > radius) w *= radius / norm;
  // END EXERCISE
}

Eigen::VectorXd LinearModel::decision_function(const Eigen::MatrixXd& X) const {
  mlc::require(X.cols() == w.size(), "LinearModel::decision_function",
               fmt::format("X has {} features, w {}", X.cols(), w.size()));
  Eigen::VectorXd f = X * w;
  f.array() += b;
  return f;
}

Eigen::VectorXd LinearModel::predict(const Eigen::MatrixXd& X) const {
  return decision_function(X).unaryExpr([](double f) { return f > 0 ? 1.0 : -1.0; });
}

LinearModel pegasos(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const PegasosOptions& options,
                    mlc::Rng& rng) {
  const Eigen::Index n = X.rows(), d = X.cols();
  mlc::require(n == y.size() && n >= 1, "pegasos", fmt::format("X has {} rows, y {} entries", n, y.size()));
  mlc::require(options.lambda > 0 && options.iterations >= 1 && options.batch_size >= 1, "pegasos",
               "need lambda > 0, iterations ≥ 1 and batch_size ≥ 1");
  require_targets(y, "pegasos");
  LinearModel model;
  Eigen::VectorXd w = Eigen::VectorXd::Zero(d), w_sum = Eigen::VectorXd::Zero(d);
  double b = 0.0, b_sum = 0.0;
  long averaged = 0;
  const bool full_batch = options.batch_size >= n;
  std::vector<Eigen::Index> batch(static_cast<std::size_t>(full_batch ? n : options.batch_size));
  if (full_batch) {
    for (Eigen::Index t = 0; t < n; ++t) batch[static_cast<std::size_t>(t)] = t;
  }
  const long t0 = options.t0 >= 0 ? options.t0 : static_cast<long>(std::ceil(1.0 / options.lambda));
  for (long t = 1; t <= options.iterations; ++t) {
    if (!full_batch) {
      for (auto& r : batch) r = rng.index(n);  // uniform draws with replacement
    }
    pegasos_step(X, y, batch, options.lambda, t + t0, options.loss, w, b);
    if (options.average && 2 * t > options.iterations) {  // suffix averaging over the second half
      w_sum += w;
      b_sum += b;
      ++averaged;
    }
    if (options.record_every > 0 && t % options.record_every == 0) {
      model.recorded_steps.push_back(t);
      model.recorded_objective.push_back(primal_objective(w, b, X, y, options.lambda, options.loss));
    }
  }
  mlc::require_finite(w, "pegasos: the weights");
  if (options.average && averaged > 0) {
    model.w = w_sum / static_cast<double>(averaged);
    model.b = b_sum / static_cast<double>(averaged);
  } else {
    model.w = w;
    model.b = b;
  }
  return model;
}

Eigen::VectorXi LinearOneVsRest::predict(const Eigen::MatrixXd& X) const {
  mlc::require(X.cols() == W.rows(), "LinearOneVsRest::predict",
               fmt::format("X has {} features, the model {}", X.cols(), W.rows()));
  Eigen::MatrixXd F = X * W;  // [m × K]
  F.rowwise() += b;
  Eigen::VectorXi out(X.rows());
  for (Eigen::Index r = 0; r < X.rows(); ++r) F.row(r).maxCoeff(&out(r));
  return out;
}

LinearOneVsRest pegasos_one_vs_rest(const Eigen::MatrixXd& X, const Eigen::VectorXi& labels, int num_classes,
                                    const PegasosOptions& options, mlc::Rng& rng) {
  mlc::require(labels.size() == X.rows() && num_classes >= 2, "pegasos_one_vs_rest",
               fmt::format("X has {} rows, labels {}, {} classes", X.rows(), labels.size(), num_classes));
  LinearOneVsRest model;
  model.W.resize(X.cols(), num_classes);
  model.b.resize(num_classes);
  for (int k = 0; k < num_classes; ++k) {
    const auto m = pegasos(X, one_vs_rest_targets(labels, k), options, rng);
    model.W.col(k) = m.w;
    model.b(k) = m.b;
  }
  return model;
}

// ---- Cost analysis ------------------------------------------------------------------------

double fitted_exponent(const std::vector<double>& n, const std::vector<double>& cost) {
  mlc::require(n.size() == cost.size() && n.size() >= 2, "fitted_exponent",
               fmt::format("need ≥ 2 matching sizes and costs, got {} and {}", n.size(), cost.size()));
  const auto m = static_cast<Eigen::Index>(n.size());
  Eigen::VectorXd x(m), c(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    const auto k = static_cast<std::size_t>(i);
    mlc::require(n[k] > 0 && cost[k] > 0, "fitted_exponent", "sizes and costs must be positive");
    x(i) = std::log(n[k]);
    c(i) = std::log(cost[k]);
  }
  const double x_mean = x.mean(), c_mean = c.mean();
  const double sxx = (x.array() - x_mean).square().sum();
  mlc::require(sxx > 0, "fitted_exponent", "the sizes must not all be equal");
  return ((x.array() - x_mean) * (c.array() - c_mean)).sum() / sxx;  // (12)
}

}  // namespace support_vector_machines
