// Lesson 2.7 naive_bayes: Gaussian and multinomial naive Bayes, computed in log space.
//
// Layout: rows are samples. X is n × d (Gaussian: real features) or n × V (multinomial:
// word counts, sparse); K classes 0..K-1; every score matrix is n × K. Equation numbers
// refer to NOTES.md:
//   (1) Bayes' rule with the naive factorisation  p(c | x) ∝ π_c Π_j p(x_j | c)
//   (2) Gaussian class conditionals  log N(x; μ, σ²) = −½ log(2πσ²) − (x − μ)² / (2σ²)
//   (3) the variance floor  σ²_cj ← σ²_cj + ε,  ε = var_smoothing · max_j Var(X_j)
//   (4) multinomial class conditionals  log p(x | c) = Σ_w x_w log θ_cw  (+ a term free of c)
//   (5) additive (Laplace for α = 1) smoothing  θ_cw = (N_cw + α) / (N_c + α V)
//   (6) normalisation by log-sum-exp  log p(c | x) = J_c − m − log Σ_k exp(J_k − m),
//       m = max_k J_k, with J_c = log π_c + log p(x | c) the joint log-likelihood.
//
// Sources: C. D. Manning, P. Raghavan & H. Schütze (2008), Introduction to Information
// Retrieval, §13.2 (multinomial NB, add-one smoothing, the "Chinese / Tokyo / Japan"
// example, Table 13.1) and §13.4 (log space); K. P. Murphy (2012), Machine Learning: a
// Probabilistic Perspective, §3.5 (naive Bayes classifiers, the log-sum-exp trick §3.5.3);
// T. Hastie, R. Tibshirani & J. Friedman (2009), ESL §6.6.3; A. McCallum & K. Nigam (1998),
// "A comparison of event models for naive Bayes text classification", AAAI workshop;
// scikit-learn's GaussianNB (var_smoothing = 1e-9, the floor (3)) and MultinomialNB.
// Departure: with α = 0 we do NOT clip α to a tiny positive number as scikit-learn does:
// the unsmoothed model is kept exact so that its failure (a zero posterior) can be measured.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <Eigen/Core>
#include <Eigen/SparseCore>

namespace mlc {
class Rng;
}  // namespace mlc

namespace naive_bayes {

// Word counts: n documents × V vocabulary words, row-major so that a document is a row.
using CountMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor>;

// ---- Gaussian naive Bayes -----------------------------------------------------------------

struct GaussianNB {
  Eigen::MatrixXd mean;       // μ        [K × d]
  Eigen::MatrixXd variance;   // σ² + ε   [K × d]   (3)
  Eigen::VectorXd log_prior;  // log π_c  [K], π_c = n_c / n
  double epsilon = 0;         // the floor ε added to every variance
};

// Maximum-likelihood fit: per class the mean and the (biased, 1/n_c) variance of every
// feature, plus ε = var_smoothing · max_j Var(X_j) (3). Every class needs ≥ 1 sample.
// Cost O(n d).
GaussianNB gaussian_nb_fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int num_classes,
                           double var_smoothing = 1e-9);

// J(i, c) = log π_c + Σ_j log N(x_ij; μ_cj, σ²_cj)   (1), (2)   [n × K]. Cost O(n K d).
Eigen::MatrixXd gaussian_joint_log_likelihood(const GaussianNB& model, const Eigen::MatrixXd& X);

// ---- Multinomial naive Bayes --------------------------------------------------------------

struct MultinomialNB {
  Eigen::MatrixXd log_theta;  // log θ_cw  [K × V]  (5); −inf where N_cw = 0 and α = 0
  Eigen::MatrixXd counts;     // N_cw      [K × V]  word counts per class
  Eigen::VectorXd log_prior;  // log π_c   [K], π_c = (documents of c) / n
  double alpha = 1.0;
};

// Counts N_cw = Σ_{i: y_i = c} x_iw and the smoothed estimates (5). α ≥ 0; α = 0 is the
// unsmoothed maximum-likelihood estimate (log θ = −inf for unseen words). Every class needs
// ≥ 1 document and, when α = 0, ≥ 1 word. Cost O(nnz(X) + K V).
MultinomialNB multinomial_nb_fit(const CountMatrix& X, const Eigen::VectorXi& y, int num_classes,
                                 double alpha = 1.0);

// J = X log θᵀ + 1 log πᵀ   (1), (4)   [n × K]: the joint log-likelihood without the
// multinomial coefficient (the same for every class). −inf where a word of the document has
// θ_cw = 0. Cost O(nnz(X) K).
Eigen::MatrixXd multinomial_joint_log_likelihood(const MultinomialNB& model, const CountMatrix& X);

// The same computed in product space, π_c Π_w θ_cw^{x_w}, to show why nobody does that:
// it underflows to 0 for long documents.   [n × K]
Eigen::MatrixXd multinomial_joint_likelihood_product(const MultinomialNB& model,
                                                     const CountMatrix& X);

// ---- Posteriors and decisions (both models) -----------------------------------------------

// log p(c | x) by log-sum-exp (6), row by row   [n × K]. A row whose scores are all −inf
// (no class has a nonzero posterior) is undefined: its row is NaN.
Eigen::MatrixXd log_posterior(const Eigen::MatrixXd& joint_log_likelihood);

// exp(log_posterior): each row sums to one (or is NaN, see above).
Eigen::MatrixXd posterior(const Eigen::MatrixXd& joint_log_likelihood);

// Product-space normalisation P(i, c) / Σ_k P(i, k): 0/0 = NaN when every class underflowed.
Eigen::MatrixXd normalize_rows(const Eigen::MatrixXd& joint_likelihood);

// argmax_c J(i, c), ties to the lower class; −1 when the row is all −inf (or all NaN):
// no class can be chosen.
Eigen::VectorXi predict(const Eigen::MatrixXd& scores);

// Copies each column of X m times: [X X ... X]   [n × m d] (the duplicated-feature
// failure mode: naive Bayes counts the same evidence m times).
Eigen::MatrixXd duplicate_features(const Eigen::MatrixXd& X, int m);

// Decorrelation (the mitigation of duplicated / correlated features): rotate the centred
// features onto the eigenvectors of the training covariance, dropping directions whose
// eigenvalue is below rel_tol · the largest (exact duplicates add only such directions).
// Gaussian NB is invariant to per-feature scaling, so no whitening is needed.
struct PcaRotation {
  Eigen::RowVectorXd mean;   // [d]
  Eigen::MatrixXd rotation;  // [d × r], orthonormal columns, r = rank kept
};
PcaRotation pca_rotation_fit(const Eigen::MatrixXd& X, double rel_tol = 1e-10);
Eigen::MatrixXd pca_rotation_transform(const PcaRotation& pca, const Eigen::MatrixXd& X);

// ---- Text: speeches, tokens, bags of words ------------------------------------------------

struct Speech {
  std::string speaker;  // the "NAME" of the "NAME:" line
  std::string text;     // the lines spoken, joined by '\n'
  int line = 0;         // 1-based line of the "NAME:" line in the file
};

// Reads a play text in the tiny-shakespeare layout: speeches separated by blank lines, each
// a "NAME:" line followed by the lines spoken. Strict: a missing or empty file, or a block
// whose first line does not end in ':', throws mlc::DataError naming the file and line.
std::vector<Speech> read_speeches(const std::filesystem::path& file);
// The same from a stream; `source` names the input in error messages ("source:line: ...").
std::vector<Speech> read_speeches(std::istream& in, const std::string& source);

// Lower-cased runs of ASCII letters and apostrophes, apostrophes at either end removed
// ("Know't" -> "know't", "'tis" -> "tis"); everything else separates tokens.
std::vector<std::string> tokenize(std::string_view text);

// The speeches of the given speakers as labelled documents, in file order: the tokens of each
// speech whose speaker is in `speakers` (label = its position there); speeches without a word
// are dropped and counted.
struct LabelledDocuments {
  std::vector<std::vector<std::string>> documents;
  Eigen::VectorXi labels;
  long dropped_empty = 0;
};
LabelledDocuments speaker_documents(const std::vector<Speech>& speeches,
                                    const std::vector<std::string>& speakers);

// Vocabulary: word -> column, words numbered in order of first appearance.
struct Vocabulary {
  std::unordered_map<std::string, Eigen::Index> index;
  std::vector<std::string> words;
  Eigen::Index size() const { return static_cast<Eigen::Index>(words.size()); }
};
Vocabulary build_vocabulary(const std::vector<std::vector<std::string>>& documents);

// Bag-of-words counts [n × V]; words outside the vocabulary are dropped (and counted in
// *out_of_vocabulary when given).
CountMatrix count_matrix(const std::vector<std::vector<std::string>>& documents,
                         const Vocabulary& vocabulary, long* out_of_vocabulary = nullptr);

// ---- Measurements of the experiments -------------------------------------------------------

// Zero-count vetoes of unsmoothed scores J [n × K] (a class vetoed: J = −inf) against the true
// labels y [n]: the fractions of the rows where some class, the true class or every class is
// vetoed, and where the true class's posterior is exactly 0 while some class keeps a finite
// score (the document is misclassified for certain).
struct Vetoes {
  double some_class = 0, true_class = 0, all_classes = 0, true_posterior_zero = 0;
};
Vetoes zero_count_vetoes(const Eigen::MatrixXd& joint_log_likelihood, const Eigen::VectorXi& y);

// The `top` words most indicative of class c: the largest log θ_cw − log mean_{k≠c} θ_kw among
// the words counted at least min_count times in c's training documents; ties to the lower word
// index. Needs K ≥ 2 and a smoothed model (θ > 0).
std::vector<std::string> indicative_words(const MultinomialNB& model, const Vocabulary& vocabulary,
                                          int c, double min_count = 5, std::size_t top = 8);

// Passages of exactly `length` tokens: the documents of each class 0..K-1 concatenated in order
// and cut into consecutive pieces (a shorter rest is dropped); labels(i) is the class of piece i.
struct Passages {
  std::vector<std::vector<std::string>> documents;
  Eigen::VectorXi labels;
};
Passages cut_passages(const std::vector<std::vector<std::string>>& documents,
                      const Eigen::VectorXi& labels, int num_classes, int length);

// The smoothing α of `alphas` chosen by stratified k-fold cross-validation on (documents, y):
// every fold builds its own vocabulary from its training part, fits (5) for each α and scores
// the accuracy on its held-out part; the α with the largest mean accuracy wins (the first on
// ties). The held-out data of an outer split never enters.
double select_alpha_by_cv(const std::vector<std::vector<std::string>>& documents,
                          const Eigen::VectorXi& y, int num_classes,
                          const std::vector<double>& alphas, int folds, mlc::Rng& rng);

}  // namespace naive_bayes
