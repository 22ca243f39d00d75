// 2.7 naive_bayes: the grade. Independent references (Boost.Math normal densities, the
// published worked example of Manning, Raghavan & Schütze §13.2, direct product-space
// arithmetic, speech counts of the data file computed independently), properties (posteriors
// sum to one, log-sum-exp stability, the α → 0 limits, invariance of the decorrelation), and
// the three failure modes of the report reproduced on small data.
#include "naive_bayes.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/math/distributions/normal.hpp>

#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "model_evaluation.hpp"

namespace nb = naive_bayes;
namespace me = model_evaluation;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A corpus from whitespace-separated documents, with the vocabulary of all of them.
struct Corpus {
  nb::Vocabulary vocab;
  nb::CountMatrix X;
};
std::vector<std::vector<std::string>> split_words(const std::vector<std::string>& docs) {
  std::vector<std::vector<std::string>> out;
  for (const auto& d : docs) out.push_back(nb::tokenize(d));
  return out;
}

// Three Gaussian classes in 4-D with different means and scales.
struct Blobs {
  MatrixXd X;
  VectorXi y;
};
Blobs blobs(Eigen::Index n_per_class, std::uint64_t seed) {
  mlc::Rng rng(seed);
  const int K = 3, d = 4;
  Blobs b{MatrixXd(K * n_per_class, d), VectorXi(K * n_per_class)};
  for (int c = 0; c < K; ++c) {
    for (Eigen::Index i = 0; i < n_per_class; ++i) {
      const Eigen::Index r = c * n_per_class + i;
      for (int j = 0; j < d; ++j)
        b.X(r, j) = rng.normal(1.5 * c - 0.5 * j, 0.5 + 0.4 * c + 0.1 * j);
      b.y(r) = c;
    }
  }
  return b;
}

// ---- 1. Independent references -----------------------------------------------------------

TEST(GaussianNB, FitIsClassMeansBiasedVariancesAndTheFloor) {
  const Blobs b = blobs(40, 1);
  const auto model = nb::gaussian_nb_fit(b.X, b.y, 3);
  double max_var = 0;
  for (int j = 0; j < 4; ++j) {
    const VectorXd col = b.X.col(j);
    max_var = std::max(max_var, (col.array() - col.mean()).square().mean());
  }
  EXPECT_NEAR(model.epsilon, 1e-9 * max_var, 1e-22);
  for (int c = 0; c < 3; ++c) {
    const MatrixXd Xc = b.X.middleRows(c * 40, 40);
    const Eigen::RowVectorXd mu = Xc.colwise().mean();
    const Eigen::RowVectorXd var = (Xc.rowwise() - mu).array().square().colwise().mean();
    EXPECT_ALLCLOSE(model.mean.row(c), mu, 1e-12);
    EXPECT_ALLCLOSE(model.variance.row(c), (var.array() + model.epsilon).matrix(), 1e-12);
    EXPECT_NEAR(model.log_prior(c), std::log(1.0 / 3.0), 1e-15);
  }
}

TEST(GaussianNB, LogLikelihoodEqualsBoostNormalPdfProduct) {
  const Blobs b = blobs(30, 2);
  const auto model = nb::gaussian_nb_fit(b.X, b.y, 3);
  mlc::Rng rng(3);
  const MatrixXd Xq = rng.normal_matrix(7, 4, 0.0, 2.0);
  const MatrixXd J = nb::gaussian_joint_log_likelihood(model, Xq);
  for (Eigen::Index i = 0; i < Xq.rows(); ++i) {
    for (int c = 0; c < 3; ++c) {
      double expected = model.log_prior(c);
      for (int j = 0; j < 4; ++j) {
        const boost::math::normal_distribution<double> N(model.mean(c, j),
                                                         std::sqrt(model.variance(c, j)));
        expected += std::log(boost::math::pdf(N, Xq(i, j)));
      }
      EXPECT_NEAR(J(i, c), expected, 1e-11 * std::abs(expected) + 1e-12)
          << "row " << i << " class " << c;
    }
  }
}

// Manning, Raghavan & Schütze (2008), Introduction to IR, Example 13.1 / Table 13.1:
// training d1 "Chinese Beijing Chinese", d2 "Chinese Chinese Shanghai", d3 "Chinese Macao"
// (class China), d4 "Tokyo Japan Chinese" (not China); test d5 "Chinese Chinese Chinese
// Tokyo Japan". Published: P̂(Chinese|c) = 3/7, P̂(Tokyo|c) = P̂(Japan|c) = 1/14,
// P̂(Chinese|c̄) = P̂(Tokyo|c̄) = P̂(Japan|c̄) = 2/9, P̂(c|d5) ∝ 3/4 · (3/7)³ · 1/14 · 1/14 ≈
// 0.0003, P̂(c̄|d5) ∝ 1/4 · (2/9)³ · 2/9 · 2/9 ≈ 0.0001, so d5 is assigned to China.
TEST(MultinomialNB, ReproducesManningRaghavanSchutzeExample13_1) {
  const auto train = split_words({"Chinese Beijing Chinese", "Chinese Chinese Shanghai",
                                  "Chinese Macao", "Tokyo Japan Chinese"});
  const nb::Vocabulary vocab = nb::build_vocabulary(train);
  ASSERT_EQ(vocab.size(), 6);
  const VectorXi y = (VectorXi(4) << 0, 0, 0, 1).finished();  // 0 = China, 1 = not China
  const auto model = nb::multinomial_nb_fit(nb::count_matrix(train, vocab), y, 2, 1.0);
  auto theta = [&](int c, const std::string& w) {
    return std::exp(model.log_theta(c, vocab.index.at(w)));
  };
  EXPECT_NEAR(theta(0, "chinese"), 3.0 / 7.0, 1e-15);
  EXPECT_NEAR(theta(0, "tokyo"), 1.0 / 14.0, 1e-15);
  EXPECT_NEAR(theta(0, "japan"), 1.0 / 14.0, 1e-15);
  EXPECT_NEAR(theta(1, "chinese"), 2.0 / 9.0, 1e-15);
  EXPECT_NEAR(theta(1, "tokyo"), 2.0 / 9.0, 1e-15);
  EXPECT_NEAR(theta(1, "japan"), 2.0 / 9.0, 1e-15);
  EXPECT_NEAR(std::exp(model.log_prior(0)), 0.75, 1e-15);

  const auto d5 = nb::count_matrix(split_words({"Chinese Chinese Chinese Tokyo Japan"}), vocab);
  const MatrixXd J = nb::multinomial_joint_log_likelihood(model, d5);
  const double china = 0.75 * std::pow(3.0 / 7.0, 3) / (14.0 * 14.0);
  const double not_china = 0.25 * std::pow(2.0 / 9.0, 5);
  EXPECT_NEAR(std::exp(J(0, 0)), china, 1e-15 * china * 10);
  EXPECT_NEAR(std::exp(J(0, 1)), not_china, 1e-15 * not_china * 10);
  EXPECT_NEAR(std::exp(J(0, 0)), 0.0003, 0.00005);  // the published, rounded numbers
  EXPECT_NEAR(std::exp(J(0, 1)), 0.0001, 0.00005);
  EXPECT_EQ(nb::predict(J)(0), 0);
  EXPECT_NEAR(nb::posterior(J)(0, 0), china / (china + not_china), 1e-14);
}

TEST(MultinomialNB, LogSpaceEqualsProductSpaceOnShortDocuments) {
  mlc::Rng rng(5);
  const int n = 40, V = 12, K = 3;
  std::vector<Eigen::Triplet<double>> t;  // 6 random tokens per document (duplicates add up)
  VectorXi y(n);
  for (int i = 0; i < n; ++i) {
    y(i) = i % K;
    for (int k = 0; k < 6; ++k) t.emplace_back(i, static_cast<int>(rng.index(V)), 1.0);
  }
  nb::CountMatrix X(n, V);
  X.setFromTriplets(t.begin(), t.end());
  for (double alpha : {0.5, 1.0, 2.0}) {
    const auto model = nb::multinomial_nb_fit(X, y, K, alpha);
    const MatrixXd P_log = nb::posterior(nb::multinomial_joint_log_likelihood(model, X));
    const MatrixXd P_prod = nb::normalize_rows(nb::multinomial_joint_likelihood_product(model, X));
    EXPECT_ALLCLOSE(P_log, P_prod, 1e-12);
    EXPECT_ALLCLOSE(nb::multinomial_joint_log_likelihood(model, X),
                    nb::multinomial_joint_likelihood_product(model, X).array().log().matrix(),
                    1e-12);
  }
}

TEST(Corpus, ReaderFindsEverySpeechOfTheVendoredText) {
  // Counts computed independently (Python: the file split at blank lines, "NAME:" headers).
  const auto speeches = nb::read_speeches(mlc::data_dir() / "tinyshakespeare.txt");
  EXPECT_EQ(speeches.size(), 7222u);
  std::map<std::string, int> count;
  for (const auto& s : speeches) ++count[s.speaker];
  EXPECT_EQ(count["DUKE VINCENTIO"], 193);
  EXPECT_EQ(count["ROMEO"], 163);
  EXPECT_EQ(count["MENENIUS"], 162);
  EXPECT_EQ(count["PETRUCHIO"], 158);
  EXPECT_EQ(count["LEONTES"], 125);
  EXPECT_EQ(count["KING RICHARD II"], 98);
  EXPECT_EQ(speeches.front().speaker, "First Citizen");
  EXPECT_EQ(speeches.front().text, "Before we proceed any further, hear me speak.");
  EXPECT_EQ(speeches.front().line, 1);
}

// ---- 2. Properties ------------------------------------------------------------------------

TEST(Posterior, RowsSumToOneForBothModels) {
  const Blobs b = blobs(25, 7);
  const MatrixXd P =
      nb::posterior(nb::gaussian_joint_log_likelihood(nb::gaussian_nb_fit(b.X, b.y, 3), b.X));
  EXPECT_ALLCLOSE(P.rowwise().sum(), VectorXd::Ones(P.rows()), 1e-13);
  EXPECT_GE(P.minCoeff(), 0.0);
  const auto docs = split_words({"a b c a", "b b d", "c d d a", "a a a", "d c b a e"});
  const auto vocab = nb::build_vocabulary(docs);
  const auto X = nb::count_matrix(docs, vocab);
  const auto model = nb::multinomial_nb_fit(X, (VectorXi(5) << 0, 1, 1, 0, 2).finished(), 3, 0.7);
  const MatrixXd Q = nb::posterior(nb::multinomial_joint_log_likelihood(model, X));
  EXPECT_ALLCLOSE(Q.rowwise().sum(), VectorXd::Ones(5), 1e-13);
}

TEST(Posterior, LogSumExpIsStableWhereDirectExponentiationIsNot) {
  MatrixXd J(3, 2);
  J << -1000, -1001,  // exp underflows to 0 in both: direct normalisation gives 0/0
      800, 799,       // exp overflows to inf: inf/inf
      -kInf, 0;       // a vetoed class
  const MatrixXd P = nb::posterior(J);
  const double p = 1.0 / (1.0 + std::exp(-1.0));
  EXPECT_NEAR(P(0, 0), p, 1e-15);
  EXPECT_NEAR(P(1, 0), p, 1e-15);
  EXPECT_EQ(P(2, 0), 0.0);
  EXPECT_EQ(P(2, 1), 1.0);
  const MatrixXd direct = J.unaryExpr([](double v) { return std::exp(v); });
  EXPECT_TRUE(std::isnan(nb::normalize_rows(direct)(0, 0)));  // 0 / 0
  EXPECT_TRUE(std::isnan(nb::normalize_rows(direct)(1, 0)));  // inf / inf
}

TEST(Posterior, AllClassesMinusInfinityIsUndefinedAndUndecided) {
  MatrixXd J(2, 3);
  J << -kInf, -kInf, -kInf, -kInf, -2, -2;
  const MatrixXd L = nb::log_posterior(J);
  EXPECT_TRUE(L.row(0).array().isNaN().all());
  const VectorXi pred = nb::predict(J);
  EXPECT_EQ(pred(0), -1);
  EXPECT_EQ(pred(1), 1);  // ties go to the lower class
}

// With no word unseen in any class, θ(α) is smooth in α, so the posterior converges to the
// unsmoothed one as α → 0, with an error O(α).
TEST(Smoothing, PosteriorConvergesToUnsmoothedAsAlphaGoesToZeroWithoutZeroCounts) {
  const auto docs = split_words({"a b c a", "b b c a", "a c c b", "c a b b"});
  const auto vocab = nb::build_vocabulary(docs);
  const auto X = nb::count_matrix(docs, vocab);
  const VectorXi y = (VectorXi(4) << 0, 1, 0, 1).finished();
  const auto test = nb::count_matrix(split_words({"a a b c c c", "b b b a"}), vocab);
  const MatrixXd P0 = nb::posterior(
      nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(X, y, 2, 0.0), test));
  ASSERT_TRUE(P0.allFinite());
  double previous = kInf;
  for (double alpha : {1e-1, 1e-2, 1e-3, 1e-4}) {
    const MatrixXd P = nb::posterior(
        nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(X, y, 2, alpha), test));
    const double err = (P - P0).cwiseAbs().maxCoeff();
    EXPECT_LT(err, previous / 5) << "alpha "
                                 << alpha;  // O(α): ten times smaller α, ~ten times smaller error
    previous = err;
  }
}

// When class A never saw z of the document's tokens, P(A | d) ∝ θ^z with θ ~ α / N_A:
// log P(A | d) falls with slope z in log α.
TEST(Smoothing, UnseenTokensMakeThePosteriorVanishLikeAlphaToTheirCount) {
  const auto docs = split_words({"a a b", "a b b", "c d c", "d d c"});
  const auto vocab = nb::build_vocabulary(docs);
  const auto X = nb::count_matrix(docs, vocab);
  const VectorXi y = (VectorXi(4) << 0, 0, 1, 1).finished();
  // "c" twice is unseen in class 0 (z = 2); "a" is unseen in class 1 but class 1 wins anyway.
  const auto test = nb::count_matrix(split_words({"a c c"}), vocab);
  auto logp0 = [&](double alpha) {
    return nb::log_posterior(
        nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(X, y, 2, alpha), test))(0, 0);
  };
  // ... but "a" unseen in class 1 as well (z = 1 there): log P(0|d) − log P(1|d) ~ (2 − 1) log α
  const double slope = (logp0(1e-8) - logp0(1e-6)) / (std::log(1e-8) - std::log(1e-6));
  EXPECT_NEAR(slope, 1.0, 1e-3);
  // "a a b c": z = 1 for class 0, z = 3 for class 1, so now class 1 vanishes, with slope 3 − 1.
  const auto test2 = nb::count_matrix(split_words({"a a b c"}), vocab);
  auto logp1b = [&](double alpha) {
    return nb::log_posterior(
        nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(X, y, 2, alpha), test2))(0, 1);
  };
  const double slope2 = (logp1b(1e-8) - logp1b(1e-6)) / (std::log(1e-8) - std::log(1e-6));
  EXPECT_NEAR(slope2, 2.0, 1e-3);
  const auto test3 = nb::count_matrix(split_words({"c c d"}), vocab);  // all unseen in 0: z = 3
  auto logp0c = [&](double alpha) {
    return nb::log_posterior(
        nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(X, y, 2, alpha), test3))(0, 0);
  };
  const double slope3 = (logp0c(1e-8) - logp0c(1e-6)) / (std::log(1e-8) - std::log(1e-6));
  EXPECT_NEAR(slope3, 3.0, 1e-3);
}

TEST(Decorrelation, DuplicatesCollapseToTheOriginalRank) {
  const Blobs b = blobs(30, 11);
  const MatrixXd X5 = nb::duplicate_features(b.X, 5);
  ASSERT_EQ(X5.cols(), 20);
  EXPECT_EQ(X5.col(7), b.X.col(1));  // column j·m + r is a copy of column j
  const auto rot1 = nb::pca_rotation_fit(b.X), rot5 = nb::pca_rotation_fit(X5);
  EXPECT_EQ(rot5.rotation.cols(), 4);
  // NB on the rotated copies gives the same posteriors as on the rotated originals: the
  // projections differ only by sign and the factor √m, to which Gaussian NB is invariant.
  const MatrixXd P1 = nb::posterior(nb::gaussian_joint_log_likelihood(
      nb::gaussian_nb_fit(nb::pca_rotation_transform(rot1, b.X), b.y, 3),
      nb::pca_rotation_transform(rot1, b.X)));
  const MatrixXd P5 = nb::posterior(nb::gaussian_joint_log_likelihood(
      nb::gaussian_nb_fit(nb::pca_rotation_transform(rot5, X5), b.y, 3),
      nb::pca_rotation_transform(rot5, X5)));
  EXPECT_ALLCLOSE(P5, P1, 1e-8);
}

// ---- 3. Failure modes ---------------------------------------------------------------------

// Naive Bayes counts a copied feature twice: the class log-likelihoods scale by m exactly.
TEST(FailureMode, DuplicatedFeaturesMultiplyTheLogLikelihoodByM) {
  const Blobs b = blobs(30, 13);
  const auto m1 = nb::gaussian_nb_fit(b.X, b.y, 3);
  const MatrixXd L1 =
      nb::gaussian_joint_log_likelihood(m1, b.X).rowwise() - m1.log_prior.transpose();
  for (int m : {2, 5, 10}) {
    const auto mm = nb::gaussian_nb_fit(nb::duplicate_features(b.X, m), b.y, 3);
    EXPECT_NEAR(mm.epsilon, m1.epsilon, 1e-24);  // the floor uses the largest variance: unchanged
    const MatrixXd Lm =
        nb::gaussian_joint_log_likelihood(mm, nb::duplicate_features(b.X, m)).rowwise() -
        mm.log_prior.transpose();
    EXPECT_TRUE(mlc::testing::AllClose(Lm, m * L1, 1e-10, 1e-12)) << "m = " << m;
  }
}

// On one wine split, first two features (a task with real uncertainty): accuracy moves by
// at most two test wines while log-loss, Brier score and ECE worsen and the posteriors pile
// up at 0 and 1.
TEST(FailureMode, DuplicatedWineFeaturesKeepAccuracyButDestroyCalibration) {
  mlc::Dataset wine = mlc::load_dataset("wine");
  wine.X = wine.X.leftCols(2).eval();
  mlc::Rng rng(42);
  auto split = mlc::train_test_split(wine, 0.25, rng, true);
  mlc::Standardizer scaler;
  const MatrixXd Xtr = scaler.fit_transform(split.train.X), Xte = scaler.transform(split.test.X);
  const VectorXi ytr = split.train.labels(), yte = split.test.labels();
  std::map<int, std::map<std::string, double>> r;
  for (int m : {1, 2, 5, 10}) {
    const auto model = nb::gaussian_nb_fit(nb::duplicate_features(Xtr, m), ytr, 3);
    const MatrixXd P =
        nb::posterior(nb::gaussian_joint_log_likelihood(model, nb::duplicate_features(Xte, m)));
    const auto t = me::top_label(yte, P);
    r[m] = {
        {"accuracy", me::accuracy(yte, nb::predict(P))},
        {"log_loss", me::multiclass_log_loss(yte, P)},
        {"brier", me::multiclass_brier(yte, P)},
        {"ece", me::reliability_diagram(t.correct, t.confidence, 10).expected_calibration_error},
        {"extreme", (P.array().min(1.0 - P.array()) < 1e-3).cast<double>().mean()}};
  }
  for (int m : {2, 5, 10}) {
    EXPECT_LE(std::abs(r[m]["accuracy"] - r[1]["accuracy"]),
              2.0 / static_cast<double>(yte.size()) + 1e-12)
        << m;
  }
  EXPECT_LT(r[1]["log_loss"], r[2]["log_loss"]);
  EXPECT_LT(r[2]["log_loss"], r[5]["log_loss"]);
  EXPECT_LT(r[5]["log_loss"], r[10]["log_loss"]);
  EXPECT_GT(r[10]["log_loss"], 2 * r[1]["log_loss"]);
  EXPECT_GT(r[10]["brier"], r[1]["brier"]);
  EXPECT_GT(r[10]["ece"], r[1]["ece"]);
  EXPECT_GT(r[10]["extreme"], 3 * r[1]["extreme"]);
}

// One word never seen with class 0 vetoes it despite ten words of strong evidence for it.
TEST(FailureMode, ZeroCountWithoutSmoothingZeroesThePosterior) {
  const auto train = split_words(
      {"gold gold gold silver", "gold silver gold", "iron copper gold", "iron copper tin"});
  const auto vocab = nb::build_vocabulary(train);
  const auto X = nb::count_matrix(train, vocab);
  const VectorXi y = (VectorXi(4) << 0, 0, 1, 1).finished();
  const auto doc = nb::count_matrix(
      split_words({"gold gold gold gold gold gold gold gold gold gold tin"}), vocab);
  const MatrixXd J0 =
      nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(X, y, 2, 0.0), doc);
  EXPECT_EQ(J0(0, 0), -kInf);
  EXPECT_EQ(nb::posterior(J0)(0, 0), 0.0);  // exactly zero
  EXPECT_EQ(nb::predict(J0)(0), 1);
  const MatrixXd J1 =
      nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(X, y, 2, 1.0), doc);
  EXPECT_TRUE(J1.allFinite());
  EXPECT_EQ(nb::predict(J1)(0), 0);  // Laplace smoothing lets the ten "gold" decide
  EXPECT_GT(nb::posterior(J1)(0, 0), 0.99);
  // A word unseen in each class: every score is −inf, no decision is possible.
  const auto both = nb::count_matrix(split_words({"silver tin"}), vocab);
  const MatrixXd Jb =
      nb::multinomial_joint_log_likelihood(nb::multinomial_nb_fit(X, y, 2, 0.0), both);
  EXPECT_EQ(nb::predict(Jb)(0), -1);
  EXPECT_TRUE(std::isnan(nb::posterior(Jb)(0, 0)));
}

// A 3000-token document: π Π θ^x underflows to 0 in both classes (0/0), while the log-space
// posterior is finite and equals the closed form σ(log π0/π1 + Σ_w x_w log θ0w/θ1w).
TEST(FailureMode, ProductSpaceUnderflowsOnLongDocumentsLogSpaceDoesNot) {
  const auto train = split_words({"a b c d", "a a b e", "c d d e", "e e c b"});
  const auto vocab = nb::build_vocabulary(train);
  const auto model = nb::multinomial_nb_fit(nb::count_matrix(train, vocab),
                                            (VectorXi(4) << 0, 0, 1, 1).finished(), 2, 1.0);
  std::string text;
  for (int r = 0; r < 600; ++r) text += "a b c d e ";
  const auto doc = nb::count_matrix({nb::tokenize(text)}, vocab);
  ASSERT_EQ(doc.sum(), 3000);
  const MatrixXd P = nb::multinomial_joint_likelihood_product(model, doc);
  EXPECT_EQ(P(0, 0), 0.0);
  EXPECT_EQ(P(0, 1), 0.0);
  EXPECT_TRUE(std::isnan(nb::normalize_rows(P)(0, 0)));
  double log_odds = model.log_prior(0) - model.log_prior(1);
  for (const char* w : {"a", "b", "c", "d", "e"}) {
    const auto k = vocab.index.at(w);
    log_odds += 600 * (model.log_theta(0, k) - model.log_theta(1, k));
  }
  const MatrixXd L = nb::log_posterior(nb::multinomial_joint_log_likelihood(model, doc));
  ASSERT_TRUE(L.allFinite());
  EXPECT_NEAR(L(0, 0), -std::log1p(std::exp(-log_odds)), 1e-9);
  EXPECT_NEAR(L(0, 1), -std::log1p(std::exp(log_odds)), 1e-9 * std::abs(log_odds));
}

// ---- 4. Inputs, reader and tokenizer ------------------------------------------------------

TEST(Corpus, TokenizerLowercasesAndKeepsInnerApostrophes) {
  const auto t = nb::tokenize("Know't, 'tis O'er-ripe!  We--know  ''");
  const std::vector<std::string> expected{"know't", "tis", "o'er", "ripe", "we", "know"};
  EXPECT_EQ(t, expected);
}

TEST(Corpus, CountMatrixCountsAndDropsOutOfVocabularyWords) {
  const auto vocab = nb::build_vocabulary(split_words({"to be or not to be"}));
  long oov = 0;
  const auto X =
      nb::count_matrix(split_words({"be be be", "to sleep perchance to dream"}), vocab, &oov);
  EXPECT_EQ(X.coeff(0, vocab.index.at("be")), 3.0);
  EXPECT_EQ(X.coeff(1, vocab.index.at("to")), 2.0);
  EXPECT_EQ(X.sum(), 5.0);
  EXPECT_EQ(oov, 3);
}

TEST(Corpus, ReaderIsStrict) {
  mlc::testing::TempDir dir;
  EXPECT_THROW(nb::read_speeches(dir.path() / "missing.txt"), mlc::DataError);
  { std::ofstream(dir.path() / "ok.txt") << "A:\nline one\nline two\n\n\nB:\nhi\n"; }
  const auto s = nb::read_speeches(dir.path() / "ok.txt");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].text, "line one\nline two");
  EXPECT_EQ(s[1].speaker, "B");
  EXPECT_EQ(s[1].line, 6);
  { std::ofstream(dir.path() / "bad.txt") << "A:\nline one\n\nno speaker here\n"; }
  try {
    nb::read_speeches(dir.path() / "bad.txt");
    FAIL() << "expected DataError";
  } catch (const mlc::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt:4"), std::string::npos) << e.what();
  }
  { std::ofstream(dir.path() / "empty.txt") << ""; }
  EXPECT_THROW(nb::read_speeches(dir.path() / "empty.txt"), mlc::DataError);
}

TEST(Inputs, BadLabelsAndShapesAreRejected) {
  const Blobs b = blobs(5, 17);
  VectorXi y = b.y;
  y(0) = 3;
  EXPECT_THROW(nb::gaussian_nb_fit(b.X, y, 3), std::invalid_argument);
  EXPECT_THROW(nb::gaussian_nb_fit(b.X, b.y, 4), std::invalid_argument);  // class 3 empty
  const auto model = nb::gaussian_nb_fit(b.X, b.y, 3);
  EXPECT_THROW(nb::gaussian_joint_log_likelihood(model, MatrixXd::Zero(2, 3)),
               std::invalid_argument);
  nb::CountMatrix X(2, 2);
  EXPECT_THROW(nb::multinomial_nb_fit(X, (VectorXi(2) << 0, 1).finished(), 2, -1.0),
               std::invalid_argument);
  EXPECT_THROW(nb::multinomial_nb_fit(X, (VectorXi(2) << 0, 1).finished(), 2, 0.0),
               std::invalid_argument);
}

TEST(GaussianNB, VarianceFloorKeepsAConstantFeatureFinite) {
  Blobs b = blobs(10, 19);
  b.X.col(2).segment(0, 10).setConstant(0.25);  // constant within class 0
  const auto model = nb::gaussian_nb_fit(b.X, b.y, 3);
  EXPECT_EQ(model.variance(0, 2), model.epsilon);
  EXPECT_GT(model.epsilon, 0.0);
  EXPECT_TRUE(nb::gaussian_joint_log_likelihood(model, b.X).allFinite());
  EXPECT_THROW(nb::gaussian_nb_fit(b.X, b.y, 3, 0.0), std::invalid_argument);  // no floor: σ² = 0
}

// ---- 4. Measurements the program reports ---------------------------------------------------

TEST(Measurements, ZeroCountVetoesCountedRowByRow) {
  // Row 0: nothing vetoed. Row 1: the true class vetoed, another survives (posterior exactly 0).
  // Row 2: every class vetoed (0/0). Row 3: only a wrong class vetoed.
  MatrixXd J(4, 3);
  J << 0, -1, -2, -kInf, -1, -2, -kInf, -kInf, -kInf, -1, -kInf, -3;
  const VectorXi y = (VectorXi(4) << 0, 0, 1, 0).finished();
  const nb::Vetoes v = nb::zero_count_vetoes(J, y);
  EXPECT_DOUBLE_EQ(v.some_class, 0.75);
  EXPECT_DOUBLE_EQ(v.true_class, 0.5);
  EXPECT_DOUBLE_EQ(v.all_classes, 0.25);
  EXPECT_DOUBLE_EQ(v.true_posterior_zero, 0.25);
  EXPECT_THROW(nb::zero_count_vetoes(J, (VectorXi(4) << 0, 0, 3, 0).finished()),
               std::invalid_argument);
}

TEST(Measurements, IndicativeWordsRankAClassOwnWordFirst) {
  // θ (α = 1, V = 4): class 0 apple .4 banana .2 the .3 cherry .1; class 1 the reverse for
  // apple and cherry. "banana" is said once per class, below min_count = 2.
  const auto docs = split_words({"apple apple apple banana the the",
                                 "cherry cherry cherry the the banana"});
  const nb::Vocabulary vocab = nb::build_vocabulary(docs);
  const auto model =
      nb::multinomial_nb_fit(nb::count_matrix(docs, vocab), (VectorXi(2) << 0, 1).finished(), 2);
  EXPECT_EQ(nb::indicative_words(model, vocab, 0, 2, 8), (std::vector<std::string>{"apple", "the"}));
  EXPECT_EQ(nb::indicative_words(model, vocab, 1, 2, 1), (std::vector<std::string>{"cherry"}));
  EXPECT_THROW(nb::indicative_words(model, vocab, 2), std::invalid_argument);
}

TEST(Corpus, SpeakerDocumentsKeepTheChosenSpeakersInFileOrder) {
  const std::vector<nb::Speech> speeches{{"A", "Good morrow, sir.", 1},
                                         {"B", "Ay.", 3},
                                         {"C", "-- !", 5},  // no word: dropped
                                         {"A", "Farewell", 7},
                                         {"D", "Not chosen", 9}};
  const nb::LabelledDocuments docs = nb::speaker_documents(speeches, {"C", "A", "B"});
  const std::vector<std::vector<std::string>> expected{
      {"good", "morrow", "sir"}, {"ay"}, {"farewell"}};
  EXPECT_EQ(docs.documents, expected);
  EXPECT_EQ(docs.labels, (VectorXi(3) << 1, 2, 1).finished());
  EXPECT_EQ(docs.dropped_empty, 1);
}

TEST(Measurements, PassagesConcatenateEachClassAndDropTheRest) {
  const auto docs = split_words({"a b c", "d e", "f g h i", "j"});
  const nb::Passages p = nb::cut_passages(docs, (VectorXi(4) << 0, 1, 0, 1).finished(), 2, 2);
  // class 0: a b c f g h i -> [a b] [c f] [g h] (i dropped); class 1: d e j -> [d e]
  const std::vector<std::vector<std::string>> expected{
      {"a", "b"}, {"c", "f"}, {"g", "h"}, {"d", "e"}};
  EXPECT_EQ(p.documents, expected);
  EXPECT_EQ(p.labels, (VectorXi(4) << 0, 0, 0, 1).finished());
  EXPECT_TRUE(nb::cut_passages(docs, (VectorXi(4) << 0, 1, 0, 1).finished(), 2, 10)
                  .documents.empty());
  EXPECT_THROW(nb::cut_passages(docs, (VectorXi(4) << 0, 1, 0, 1).finished(), 2, 0),
               std::invalid_argument);
}

TEST(Measurements, CrossValidatedAlphaComesFromTheGridAndIsReproducible) {
  // Two classes with their own words and a few shared ones; 10 documents each.
  std::vector<std::string> text;
  VectorXi y(20);
  for (int i = 0; i < 20; ++i) {
    y(i) = i % 2;
    text.push_back(y(i) == 0 ? "sun sea sand the a" : "rain snow wind the a");
    if (i % 3 == 0) text.back() += y(i) == 0 ? " wind" : " sea";
  }
  const auto docs = split_words(text);
  const std::vector<double> grid{1e-3, 0.1, 1.0, 10.0};
  mlc::Rng a(5), b(5);
  const double chosen = nb::select_alpha_by_cv(docs, y, 2, grid, 5, a);
  EXPECT_NE(std::find(grid.begin(), grid.end(), chosen), grid.end());
  EXPECT_EQ(nb::select_alpha_by_cv(docs, y, 2, grid, 5, b), chosen);
  mlc::Rng c(5);
  EXPECT_EQ(nb::select_alpha_by_cv(docs, y, 2, {0.5}, 5, c), 0.5);
  EXPECT_THROW(nb::select_alpha_by_cv(docs, y, 2, {}, 5, c), std::invalid_argument);
}

}  // namespace
