// Lesson 2.7 naive_bayes: the models, in log space. Pure computation (no I/O); equation
// numbers refer to NOTES.md and naive_bayes.hpp. The text helpers (reader, tokenizer, bag of
// words) are in corpus.cpp.
#include "naive_bayes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Eigenvalues>

#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/rng.hpp"
#include "model_evaluation.hpp"

namespace naive_bayes {

namespace {

constexpr double kLog2Pi = 1.8378770664093454836;  // log(2π)
constexpr double kInf = std::numeric_limits<double>::infinity();

// Elementwise std::exp. Not Eigen's .exp(): its vectorised exp clamps the argument near
// −709, so exp(−inf) comes out as ~5.6e−309 instead of 0 and a vetoed class would keep a
// tiny posterior; std::exp is exact there (and correctly rounded elsewhere in glibc).
Eigen::MatrixXd exp_exact(const Eigen::MatrixXd& M) {
  return M.unaryExpr([](double v) { return std::exp(v); });
}

void check_labels(std::string_view function, const Eigen::VectorXi& y, Eigen::Index n, int K) {
  mlc::require(K >= 1, function, fmt::format("num_classes = {} must be at least 1", K));
  mlc::require(y.size() == n, function,
               fmt::format("{} labels for {} samples: sizes must match", y.size(), n));
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    mlc::require(y(i) >= 0 && y(i) < K, function,
                 fmt::format("label y({}) = {} is outside 0..{}", i, y(i), K - 1));
  }
  Eigen::VectorXi per_class = Eigen::VectorXi::Zero(K);
  for (Eigen::Index i = 0; i < y.size(); ++i) ++per_class(y(i));
  for (int c = 0; c < K; ++c) {
    mlc::require(per_class(c) > 0, function,
                 fmt::format("class {} has no training sample; every class needs one", c));
  }
}

}  // namespace

// ---- Gaussian naive Bayes -----------------------------------------------------------------

GaussianNB gaussian_nb_fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int num_classes,
                           double var_smoothing) {
  check_labels("gaussian_nb_fit", y, X.rows(), num_classes);
  mlc::require(X.cols() >= 1, "gaussian_nb_fit", "X has no feature column");
  mlc::require(var_smoothing >= 0, "gaussian_nb_fit",
               fmt::format("var_smoothing = {} must be non-negative", var_smoothing));
  mlc::require(X.allFinite(), "gaussian_nb_fit", "X contains NaN or Inf");
  // BEGIN EXERCISE gaussian_nb_fit: class means, 1/n_c variances and the floor (3)
  const int K = num_classes;
  const Eigen::Index n = X.rows(), d = X.cols();
  GaussianNB model;
  model.mean = Eigen::MatrixXd::Zero(K, d);
  model.variance = Eigen::MatrixXd::Zero(K, d);
  Eigen::VectorXd n_c = Eigen::VectorXd::Zero(K);
  for (Eigen::Index i = 0; i < n; ++i) {
    model.mean.row(y(i)) += X.row(i);
    n_c(y(i)) += 1;
  }
  model.mean.array().colwise() /= n_c.array();  // μ_c = Σ_{i ∈ c} x_i / n_c
  for (Eigen::Index i = 0; i < n; ++i) {        // two-pass variance: no cancellation
    model.variance.row(y(i)).array() += (X.row(i) - model.mean.row(y(i))).array().square();
  }
  model.variance.array().colwise() /= n_c.array();
  // (3) ε = var_smoothing · max_j Var(X_j): the largest variance of a feature over all samples
  const Eigen::RowVectorXd overall_mean = X.colwise().mean();
  const double max_variance =
      ((X.rowwise() - overall_mean).array().square().colwise().sum() / static_cast<double>(n))
          .maxCoeff();
  model.epsilon = var_smoothing * max_variance;
  model.variance.array() += model.epsilon;
  mlc::require((model.variance.array() > 0).all(), "gaussian_nb_fit",
               "a class has a zero-variance feature and the floor ε is 0 (all features constant "
               "or var_smoothing = 0): the Gaussian density is undefined");
  model.log_prior = (n_c / static_cast<double>(n)).array().log();
  return model;
  // END EXERCISE
}

Eigen::MatrixXd gaussian_joint_log_likelihood(const GaussianNB& model, const Eigen::MatrixXd& X) {
  mlc::require(X.cols() == model.mean.cols(), "gaussian_joint_log_likelihood",
               fmt::format("X has {} columns, the model {} features", X.cols(), model.mean.cols()));
  // BEGIN EXERCISE gaussian_log_likelihood: J(i, c) = log π_c + Σ_j log N(x_ij; μ_cj, σ²_cj)
  const Eigen::Index K = model.mean.rows();
  Eigen::MatrixXd J(X.rows(), K);
  for (Eigen::Index c = 0; c < K; ++c) {
    const Eigen::ArrayXd inv_var = model.variance.row(c).array().inverse().transpose();
    // (2) −½ Σ_j log(2πσ²_cj): the same for every sample of class c
    const double log_norm = -0.5 * (kLog2Pi * static_cast<double>(X.cols()) +
                                    model.variance.row(c).array().log().sum());
    // (2) −½ Σ_j (x_ij − μ_cj)² / σ²_cj   [n]
    const Eigen::VectorXd mahalanobis =
        (X.rowwise() - model.mean.row(c)).array().square().matrix() * inv_var.matrix();
    J.col(c) = (model.log_prior(c) + log_norm - 0.5 * mahalanobis.array()).matrix();
  }
  return J;
  // END EXERCISE
}

// ---- Multinomial naive Bayes --------------------------------------------------------------

MultinomialNB multinomial_nb_fit(const CountMatrix& X, const Eigen::VectorXi& y, int num_classes,
                                 double alpha) {
  check_labels("multinomial_nb_fit", y, X.rows(), num_classes);
  mlc::require(alpha >= 0 && std::isfinite(alpha), "multinomial_nb_fit",
               fmt::format("alpha = {} must be finite and non-negative", alpha));
  mlc::require(X.cols() >= 1, "multinomial_nb_fit", "the vocabulary is empty");
  // BEGIN EXERCISE multinomial_nb_fit: counts N_cw and the smoothed log θ_cw (5)
  const int K = num_classes;
  const Eigen::Index n = X.rows(), V = X.cols();
  MultinomialNB model;
  model.alpha = alpha;
  model.counts = Eigen::MatrixXd::Zero(K, V);
  Eigen::VectorXd docs = Eigen::VectorXd::Zero(K);
  for (Eigen::Index i = 0; i < n; ++i) {
    docs(y(i)) += 1;
    for (CountMatrix::InnerIterator it(X, i); it; ++it) {
      mlc::require(it.value() >= 0, "multinomial_nb_fit",
                   fmt::format("count X({}, {}) = {} is negative", i, it.col(), it.value()));
      model.counts(y(i), it.col()) += it.value();  // N_cw += x_iw
    }
  }
  model.log_theta.resize(K, V);
  for (int c = 0; c < K; ++c) {
    // (5) θ_cw = (N_cw + α) / (N_c + α V); log(0) = −inf when α = 0 and N_cw = 0
    const double denominator = model.counts.row(c).sum() + alpha * static_cast<double>(V);
    mlc::require(denominator > 0, "multinomial_nb_fit",
                 fmt::format("class {} has no word and alpha = 0: θ is 0/0", c));
    model.log_theta.row(c) = (model.counts.row(c).array() + alpha).log() - std::log(denominator);
  }
  model.log_prior = (docs / static_cast<double>(n)).array().log();
  return model;
  // END EXERCISE
}

Eigen::MatrixXd multinomial_joint_log_likelihood(const MultinomialNB& model, const CountMatrix& X) {
  mlc::require(
      X.cols() == model.log_theta.cols(), "multinomial_joint_log_likelihood",
      fmt::format("X has {} words, the model's vocabulary {}", X.cols(), model.log_theta.cols()));
  // (4) J(i, c) = log π_c + Σ_w x_iw log θ_cw. Only stored (positive) counts are multiplied,
  // so a word absent from the document never meets a −inf (no 0 · −inf = NaN).
  const Eigen::MatrixXd log_theta_t = model.log_theta.transpose();  // [V × K]
  Eigen::MatrixXd J = (X * log_theta_t).rowwise() + model.log_prior.transpose();
  for (Eigen::Index i = 0; i < J.rows(); ++i) {
    for (Eigen::Index c = 0; c < J.cols(); ++c) {
      if (std::isnan(J(i, c)))
        throw mlc::NumericalError("multinomial_joint_log_likelihood: NaN score");
    }
  }
  return J;
}

Eigen::MatrixXd multinomial_joint_likelihood_product(const MultinomialNB& model,
                                                     const CountMatrix& X) {
  mlc::require(
      X.cols() == model.log_theta.cols(), "multinomial_joint_likelihood_product",
      fmt::format("X has {} words, the model's vocabulary {}", X.cols(), model.log_theta.cols()));
  const Eigen::MatrixXd theta =
      exp_exact(model.log_theta);  // [K × V]; exactly 0 where N_cw = 0, α = 0
  const Eigen::VectorXd prior = exp_exact(model.log_prior);
  Eigen::MatrixXd P(X.rows(), theta.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (Eigen::Index c = 0; c < theta.rows(); ++c) {
      double p = prior(c);  // (1) π_c Π_w θ_cw^{x_w}, one factor per token
      for (CountMatrix::InnerIterator it(X, i); it; ++it) {
        for (int r = 0; r < static_cast<int>(it.value()); ++r) p *= theta(c, it.col());
      }
      P(i, c) = p;
    }
  }
  return P;
}

// ---- Posteriors and decisions -------------------------------------------------------------

Eigen::MatrixXd log_posterior(const Eigen::MatrixXd& J) {
  mlc::require(J.cols() >= 1, "log_posterior", "no class column");
  // BEGIN EXERCISE log_posterior: row-wise log-sum-exp normalisation (6)
  Eigen::MatrixXd L(J.rows(), J.cols());
  for (Eigen::Index i = 0; i < J.rows(); ++i) {
    const double m = J.row(i).maxCoeff();
    if (m == -kInf || std::isnan(m)) {  // no class has a nonzero posterior: 0/0
      L.row(i).setConstant(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    // (6) log Σ_k exp(J_k) = m + log Σ_k exp(J_k − m); every term ≤ 1, one equals 1
    double sum = 0;
    for (Eigen::Index c = 0; c < J.cols(); ++c) sum += std::exp(J(i, c) - m);
    // log p(c | x) = (J_c − m) − log Σ_k exp(J_k − m): J_c − m is exact for the largest
    // class(es), so no digits are lost to the magnitude of m
    L.row(i) = (J.row(i).array() - m) - std::log(sum);
  }
  return L;
  // END EXERCISE
}

Eigen::MatrixXd posterior(const Eigen::MatrixXd& J) {
  return exp_exact(log_posterior(J));
}

Eigen::MatrixXd normalize_rows(const Eigen::MatrixXd& P) {
  Eigen::MatrixXd Q(P.rows(), P.cols());
  for (Eigen::Index i = 0; i < P.rows(); ++i) Q.row(i) = P.row(i) / P.row(i).sum();  // 0/0 = NaN
  return Q;
}

Eigen::VectorXi predict(const Eigen::MatrixXd& scores) {
  Eigen::VectorXi labels(scores.rows());
  for (Eigen::Index i = 0; i < scores.rows(); ++i) {
    int best = -1;
    double best_score = -kInf;
    for (Eigen::Index c = 0; c < scores.cols(); ++c) {
      if (scores(i, c) > best_score) best = static_cast<int>(c), best_score = scores(i, c);
    }
    labels(i) = best;  // stays −1 when every score is −inf or NaN
  }
  return labels;
}

Eigen::MatrixXd duplicate_features(const Eigen::MatrixXd& X, int m) {
  mlc::require(m >= 1, "duplicate_features", fmt::format("m = {} must be at least 1", m));
  Eigen::MatrixXd out(X.rows(), X.cols() * m);
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    for (int r = 0; r < m; ++r) out.col(j * m + r) = X.col(j);
  }
  return out;
}

// ---- Decorrelation ------------------------------------------------------------------------

PcaRotation pca_rotation_fit(const Eigen::MatrixXd& X, double rel_tol) {
  mlc::require(
      X.rows() >= 2 && X.cols() >= 1, "pca_rotation_fit",
      fmt::format("need at least 2 samples and 1 feature, got {} × {}", X.rows(), X.cols()));
  PcaRotation pca;
  pca.mean = X.colwise().mean();
  const Eigen::MatrixXd Xc = X.rowwise() - pca.mean;
  const Eigen::MatrixXd S = Xc.transpose() * Xc / static_cast<double>(X.rows() - 1);  // [d × d]
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(S);  // ascending eigenvalues
  const double top = eig.eigenvalues().maxCoeff();
  std::vector<Eigen::Index> keep;
  for (Eigen::Index j = S.rows() - 1; j >= 0; --j) {
    if (eig.eigenvalues()(j) > rel_tol * top) keep.push_back(j);
  }
  pca.rotation.resize(S.rows(), static_cast<Eigen::Index>(keep.size()));
  for (std::size_t k = 0; k < keep.size(); ++k) {
    pca.rotation.col(static_cast<Eigen::Index>(k)) = eig.eigenvectors().col(keep[k]);
  }
  return pca;
}

Eigen::MatrixXd pca_rotation_transform(const PcaRotation& pca, const Eigen::MatrixXd& X) {
  mlc::require(
      X.cols() == pca.mean.size(), "pca_rotation_transform",
      fmt::format("X has {} columns, the rotation was fitted on {}", X.cols(), pca.mean.size()));
  return (X.rowwise() - pca.mean) * pca.rotation;
}

// ---- Measurements of the experiments -------------------------------------------------------

Vetoes zero_count_vetoes(const Eigen::MatrixXd& J, const Eigen::VectorXi& y) {
  mlc::require(y.size() == J.rows(), "zero_count_vetoes",
               fmt::format("{} labels for {} rows of scores", y.size(), J.rows()));
  mlc::require(y.size() == 0 || (y.minCoeff() >= 0 && y.maxCoeff() < J.cols()),
               "zero_count_vetoes", "a label is outside 0..K-1");
  const Eigen::MatrixXd P = posterior(J);
  Vetoes v;
  for (Eigen::Index i = 0; i < J.rows(); ++i) {
    const Eigen::Index vetoed = (J.row(i).array() == -kInf).count();
    v.some_class += vetoed > 0;
    v.all_classes += vetoed == J.cols();
    v.true_class += J(i, y(i)) == -kInf;
    v.true_posterior_zero += vetoed < J.cols() && P(i, y(i)) == 0.0;
  }
  const double n = static_cast<double>(J.rows());
  return {v.some_class / n, v.true_class / n, v.all_classes / n, v.true_posterior_zero / n};
}

std::vector<std::string> indicative_words(const MultinomialNB& model, const Vocabulary& vocabulary,
                                          int c, double min_count, std::size_t top) {
  const Eigen::Index K = model.log_theta.rows();
  mlc::require(K >= 2 && c >= 0 && c < K, "indicative_words",
               fmt::format("class {} of {} (need at least two classes)", c, K));
  mlc::require(model.log_theta.cols() == vocabulary.size(), "indicative_words",
               "the model and the vocabulary differ in size");
  const Eigen::MatrixXd theta = exp_exact(model.log_theta);
  std::vector<std::pair<double, Eigen::Index>> score;
  for (Eigen::Index w = 0; w < vocabulary.size(); ++w) {
    if (model.counts(c, w) < min_count) continue;
    const double rest = (theta.col(w).sum() - theta(c, w)) / static_cast<double>(K - 1);
    score.emplace_back(model.log_theta(c, w) - std::log(rest), w);
  }
  std::sort(score.begin(), score.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> words;
  for (std::size_t k = 0; k < std::min(top, score.size()); ++k) {
    words.push_back(vocabulary.words[static_cast<std::size_t>(score[k].second)]);
  }
  return words;
}

double select_alpha_by_cv(const std::vector<std::vector<std::string>>& documents,
                          const Eigen::VectorXi& y, int num_classes,
                          const std::vector<double>& alphas, int folds, mlc::Rng& rng) {
  mlc::require(!alphas.empty(), "select_alpha_by_cv", "empty grid of α");
  mlc::require(static_cast<Eigen::Index>(documents.size()) == y.size(), "select_alpha_by_cv",
               fmt::format("{} documents, {} labels", documents.size(), y.size()));
  std::vector<double> accuracy(alphas.size(), 0.0);
  for (const auto& held_out : mlc::stratified_kfold_indices(y, folds, rng)) {
    const auto part = [&](const std::vector<Eigen::Index>& rows,
                          std::vector<std::vector<std::string>>& docs) {
      Eigen::VectorXi labels(static_cast<Eigen::Index>(rows.size()));
      for (std::size_t k = 0; k < rows.size(); ++k) {
        docs.push_back(documents[static_cast<std::size_t>(rows[k])]);
        labels(static_cast<Eigen::Index>(k)) = y(rows[k]);
      }
      return labels;
    };
    std::vector<std::vector<std::string>> fit_docs, score_docs;
    const Eigen::VectorXi y_fit = part(mlc::complement(held_out, y.size()), fit_docs);
    const Eigen::VectorXi y_score = part(held_out, score_docs);
    const Vocabulary vocabulary = build_vocabulary(fit_docs);  // the fold's own vocabulary
    const CountMatrix X_fit = count_matrix(fit_docs, vocabulary);
    const CountMatrix X_score = count_matrix(score_docs, vocabulary);
    for (std::size_t a = 0; a < alphas.size(); ++a) {
      const MultinomialNB model = multinomial_nb_fit(X_fit, y_fit, num_classes, alphas[a]);
      const Eigen::VectorXi pred = predict(multinomial_joint_log_likelihood(model, X_score));
      accuracy[a] += model_evaluation::accuracy(y_score, pred) / folds;
    }
  }
  return alphas[static_cast<std::size_t>(std::max_element(accuracy.begin(), accuracy.end()) -
                                         accuracy.begin())];
}

}  // namespace naive_bayes
