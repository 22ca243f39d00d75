// 3.7 attention: the grade. The hand-written attention against a hand-computed case, plain
// Eigen and the same computation composed from engine ops; every op and the whole model
// against central differences in double; the head layout, the sinusoidal table's closed
// form and its relative-position property; the causal mask; permutation equivariance
// without positions (exact up to rounding); the saturation of unscaled attention; the tasks'
// data and the schedule; both failure modes trained for a few hundred steps; the program.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attention.hpp"
#include "attention_checks.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "transformer.hpp"

namespace at = attention;
namespace ag = autograd;
using at::Index;
using at::Matrix;
using at::Parameter;
using at::Tape;
using at::Var;

namespace {

Matrix<double> normal(mlc::Rng& rng, Index rows, Index cols) {
  return rng.normal_matrix(rows, cols);
}

// ---- 1. The attention op against independent references ------------------------------------

TEST(Attention, MatchesAHandComputedCase) {
  // One query q = 1, keys 0 and log 3 (d = 1, s = 1): scores (0, log 3), weights (1/4, 3/4),
  // so the output is 1/4 v_1 + 3/4 v_2 = (1/4, 3/4) for v_1 = (1, 0), v_2 = (0, 1).
  Tape<double> tape;
  Matrix<double> q(1, 1), k(2, 1), v(2, 2);
  q << 1.0;
  k << 0.0, std::log(3.0);
  v << 1.0, 0.0, 0.0, 1.0;
  const Var<double> o =
      at::scaled_dot_product_attention(tape.input(q), tape.input(k), tape.input(v), 1, false, 1.0);
  EXPECT_NEAR(o.value()(0, 0), 0.25, 1e-15);
  EXPECT_NEAR(o.value()(0, 1), 0.75, 1e-15);
  EXPECT_NEAR(at::attention_weights(o)(0, 1), 0.75, 1e-15);
}

TEST(Attention, MatchesPlainEigenPerGroup) {
  mlc::Rng rng(3);
  const Index G = 3, T = 5, S = 7, d = 4, dv = 6;
  const Matrix<double> Q = normal(rng, G * T, d), K = normal(rng, G * S, d),
                       V = normal(rng, G * S, dv);
  Tape<double> tape;
  const Var<double> o =
      at::scaled_dot_product_attention(tape.input(Q), tape.input(K), tape.input(V), G, false);
  for (Index g = 0; g < G; ++g) {
    Eigen::MatrixXd scores =
        Q.middleRows(g * T, T) * K.middleRows(g * S, S).transpose() / std::sqrt(double(d));
    for (Index t = 0; t < T; ++t) {
      scores.row(t) = (scores.row(t).array() - scores.row(t).maxCoeff()).exp();
      scores.row(t) /= scores.row(t).sum();
    }
    const Eigen::MatrixXd expected = scores * V.middleRows(g * S, S);
    EXPECT_ALLCLOSE(Eigen::MatrixXd(o.value().middleRows(g * T, T)), expected, 1e-14);
  }
}

TEST(Attention, HandWrittenEqualsComposedForwardAndBackward) {
  mlc::Rng rng(5);
  for (bool causal : {false, true}) {
    const at::Agreement a = at::compare_with_composed(4, 6, 6, 8, 5, causal, rng);
    EXPECT_LT(a.output, 1e-14) << "causal " << causal;
    EXPECT_LT(a.gradient, 1e-13) << "causal " << causal;
  }
  const at::Agreement cross = at::compare_with_composed(2, 3, 9, 4, 4, false, rng);
  EXPECT_LT(cross.output, 1e-14);
  EXPECT_LT(cross.gradient, 1e-13);
}

TEST(Attention, CausalWeightsAreZeroAboveTheDiagonalAndRowsSumToOne) {
  mlc::Rng rng(7);
  const Index G = 2, T = 6, d = 3;
  Tape<double> tape;
  const Var<double> o = at::scaled_dot_product_attention(
      tape.input(normal(rng, G * T, d)), tape.input(normal(rng, G * T, d)),
      tape.input(normal(rng, G * T, 2)), G, true);
  const auto P = at::attention_weights(o);
  for (Index r = 0; r < G * T; ++r) {
    const Index t = r % T;
    EXPECT_NEAR(P.row(r).sum(), 1.0, 1e-15);
    for (Index s = t + 1; s < T; ++s) EXPECT_EQ(P(r, s), 0.0);
    for (Index s = 0; s <= t; ++s) EXPECT_GT(P(r, s), 0.0);
  }
}

TEST(Attention, CausalOutputIgnoresLaterPositions) {
  // Changing keys and values at positions > t leaves the outputs at positions ≤ t unchanged.
  mlc::Rng rng(9);
  const Index T = 7, d = 4, t = 3;
  const Matrix<double> Q = normal(rng, T, d), K = normal(rng, T, d), V = normal(rng, T, d);
  Matrix<double> K2 = K, V2 = V;
  K2.bottomRows(T - t - 1) = normal(rng, T - t - 1, d);
  V2.bottomRows(T - t - 1) = normal(rng, T - t - 1, d);
  Tape<double> tape;
  const auto o1 =
      at::scaled_dot_product_attention(tape.input(Q), tape.input(K), tape.input(V), 1, true);
  const auto o2 =
      at::scaled_dot_product_attention(tape.input(Q), tape.input(K2), tape.input(V2), 1, true);
  EXPECT_EQ(Matrix<double>(o1.value().topRows(t + 1)), Matrix<double>(o2.value().topRows(t + 1)));
  EXPECT_GT((o1.value().bottomRows(1) - o2.value().bottomRows(1)).norm(), 1e-3);
}

TEST(Attention, LargeScoresDoNotOverflow) {
  // Scores of 1e4: without subtracting the row maximum, e^{1e4} = inf and P = nan.
  Tape<float> tape;
  Matrix<float> q(1, 1), k(3, 1), v(3, 1);
  q << 100.0f;
  k << 100.0f, 99.0f, -100.0f;
  v << 1.0f, 2.0f, 3.0f;
  const Var<float> o =
      at::scaled_dot_product_attention(tape.input(q), tape.input(k), tape.input(v), 1, false, 1.0f);
  EXPECT_TRUE(std::isfinite(o.value()(0, 0)));
  EXPECT_NEAR(o.value()(0, 0), 1.0f, 1e-6f);
}

TEST(Attention, RejectsBadShapes) {
  Tape<double> tape;
  const auto q = tape.input(Matrix<double>::Zero(6, 4));
  const auto k = tape.input(Matrix<double>::Zero(6, 3));
  const auto k5 = tape.input(Matrix<double>::Zero(10, 4));
  EXPECT_THROW(at::scaled_dot_product_attention(q, k, k, 2, false), std::invalid_argument);
  EXPECT_THROW(at::scaled_dot_product_attention(q, q, q, 4, false), std::invalid_argument);
  EXPECT_THROW(at::scaled_dot_product_attention(q, k5, k5, 2, true), std::invalid_argument);
  EXPECT_THROW(at::split_heads(q, 2, 3, 0, 4), std::invalid_argument);
  EXPECT_THROW(at::add_positions(q, tape.input(Matrix<double>::Zero(2, 4)), 2),
               std::invalid_argument);
  EXPECT_THROW(at::sinusoidal_encoding(4, 5), std::invalid_argument);
}

// ---- 2. Every op and the whole model against central differences ------------------------------

const std::vector<ag::OpCase>& cases() {
  static const std::vector<ag::OpCase> all = [] {
    mlc::Rng rng(2027);
    return at::op_cases(rng);
  }();
  return all;
}

class OpGradient : public ::testing::TestWithParam<int> {};

TEST_P(OpGradient, MatchesCentralDifferencesInDouble) {
  const ag::OpCase& op = cases()[static_cast<std::size_t>(GetParam())];
  const ag::OpCheck check = ag::check_op(op, 11);
  EXPECT_LT(check.relative_error, 1e-7) << op.name;
  EXPECT_GT(check.entries, 0);
}

std::string case_name(const ::testing::TestParamInfo<int>& info) {
  std::string name;
  for (char ch : cases()[static_cast<std::size_t>(info.param)].name) {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      name += ch;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return std::to_string(info.param) + "_" + name;
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OpGradient, ::testing::Range(0, static_cast<int>(cases().size())),
                         case_name);

TEST(ModelGradient, WholeModelMatchesCentralDifferences) {
  mlc::Rng rng(13);
  for (at::Task task : {at::Task::sorting, at::Task::recall}) {
    const at::TaskConfig tc{.task = task, .length = 3, .symbols = 4, .keys = 4};
    const at::ModelConfig mc{.vocabulary = tc.vocabulary(),
                             .length = tc.sequence_length(),
                             .width = 8,
                             .heads = 2,
                             .layers = 2,
                             .hidden = 12,
                             .positions = at::Positions::learned,
                             .attention = {.causal = tc.causal()}};
    const at::ModelCheck check = at::check_model_gradients(mc, tc, 3, rng);
    EXPECT_LT(check.relative_error, 1e-6) << at::task_name(task);
    EXPECT_GT(check.entries, 500);
  }
}

// ---- 3. Heads and positions --------------------------------------------------------------------

TEST(Heads, SplitPlacesEachHeadBlockAndMergeInvertsIt) {
  mlc::Rng rng(17);
  const Index B = 2, T = 3, H = 2, d = 4, C = H * d;
  const Matrix<double> X = normal(rng, B * T, 3 * C);
  Tape<double> tape;
  const Var<double> x = tape.input(X);
  const Var<double> k = at::split_heads(x, B, H, C, C);  // the K columns of a fused projection
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < H; ++h)
      for (Index t = 0; t < T; ++t)
        for (Index j = 0; j < d; ++j)
          EXPECT_EQ(k.value()((b * H + h) * T + t, j), X(b * T + t, C + h * d + j));
  const Var<double> merged = at::merge_heads(k, B, H);
  EXPECT_EQ(merged.value(), Matrix<double>(X.middleCols(C, C)));
}

TEST(Positions, SinusoidalTableMatchesItsClosedForm) {
  const Eigen::MatrixXd pe = at::sinusoidal_encoding(50, 16);
  EXPECT_NEAR(pe(0, 0), 0.0, 0.0);
  EXPECT_NEAR(pe(0, 1), 1.0, 0.0);
  EXPECT_NEAR(pe(7, 0), std::sin(7.0), 1e-15);
  EXPECT_NEAR(pe(7, 1), std::cos(7.0), 1e-15);
  EXPECT_NEAR(pe(9, 6), std::sin(9.0 / std::pow(10000.0, 6.0 / 16.0)), 1e-15);
  EXPECT_NEAR(pe(9, 15), std::cos(9.0 / std::pow(10000.0, 14.0 / 16.0)), 1e-15);
}

TEST(Positions, SinusoidalShiftIsALinearMapIndependentOfPosition) {
  // PE(t + k) = M_k PE(t) with M_k block-diagonal rotations by k ω_i, the same for every t:
  // relative positions are linear functions of the encoding (NOTES (7)).
  const Index C = 8, k = 5;
  const Eigen::MatrixXd pe = at::sinusoidal_encoding(40, C);
  for (Index t : {0, 3, 17, 30}) {
    for (Index i = 0; i < C / 2; ++i) {
      const double w = 1.0 / std::pow(10000.0, 2.0 * double(i) / double(C));
      const double c = std::cos(k * w), s = std::sin(k * w);
      EXPECT_NEAR(pe(t + k, 2 * i), c * pe(t, 2 * i) + s * pe(t, 2 * i + 1), 1e-12);
      EXPECT_NEAR(pe(t + k, 2 * i + 1), -s * pe(t, 2 * i) + c * pe(t, 2 * i + 1), 1e-12);
    }
  }
}

// ---- 4. Permutation equivariance without positions (9) --------------------------------------

TEST(Equivariance, MultiHeadAttentionCommutesWithPermutationsExactlyUpToRounding) {
  mlc::Rng rng(19);
  const Index T = 7, C = 8;
  at::MultiHeadAttention<double> mha(C, 2, rng);
  const Matrix<double> X = normal(rng, T, C);
  const std::vector<Index> perm = rng.permutation(T);
  Matrix<double> PX(T, C);
  for (Index t = 0; t < T; ++t) PX.row(t) = X.row(perm[static_cast<std::size_t>(t)]);
  Tape<double> tape;
  const Matrix<double> Y = mha.forward(tape.input(X), 1).value();
  const Matrix<double> PY = mha.forward(tape.input(PX), 1).value();
  for (Index t = 0; t < T; ++t)
    EXPECT_ALLCLOSE(Eigen::MatrixXd(PY.row(t)),
                    Eigen::MatrixXd(Y.row(perm[static_cast<std::size_t>(t)])), 1e-14);
}

double permutation_gap(at::Positions positions) {
  // max |logits(Π x) − Π logits(x)| of the whole model, one sequence of 9 tokens
  mlc::Rng rng(23);
  const at::ModelConfig mc{.vocabulary = 10,
                           .length = 9,
                           .width = 16,
                           .heads = 2,
                           .layers = 2,
                           .hidden = 24,
                           .positions = positions};
  at::SequenceModel<double> model(mc, rng);
  Eigen::VectorXi x(9), px(9);
  for (Index t = 0; t < 9; ++t) x(t) = static_cast<int>(rng.index(10));
  const std::vector<Index> perm = rng.permutation(9);
  for (Index t = 0; t < 9; ++t) px(t) = x(perm[static_cast<std::size_t>(t)]);
  Tape<double> tape;
  const Matrix<double> Y = model.logits(tape, x).value();
  const Matrix<double> PY = model.logits(tape, px).value();
  double gap = 0.0;
  for (Index t = 0; t < 9; ++t)
    gap =
        std::max(gap, (PY.row(t) - Y.row(perm[static_cast<std::size_t>(t)])).cwiseAbs().maxCoeff());
  return gap;
}

TEST(Equivariance, ModelWithoutPositionsIsEquivariantAndWithPositionsIsNot) {
  EXPECT_LT(permutation_gap(at::Positions::none), 1e-12);
  EXPECT_GT(permutation_gap(at::Positions::learned), 1e-2);
  EXPECT_GT(permutation_gap(at::Positions::sinusoidal), 1e-2);
}

// ---- 5. Saturation without 1/√d (10) -----------------------------------------------------------

TEST(Saturation, UnscaledSoftmaxCollapsesAndItsGradientVanishesAsDGrows) {
  const auto measure = [](Index d, bool scaled) {
    mlc::Rng rng(29);
    return at::measure_saturation(d, 16, 32, scaled, rng);
  };
  const at::Saturation s4 = measure(4, true), s256 = measure(256, true);
  const at::Saturation u4 = measure(4, false), u256 = measure(256, false);
  // Scaled: the score variance is 1 at every d, so the weights' spread does not depend on d.
  EXPECT_NEAR(s256.entropy, s4.entropy, 0.05);
  EXPECT_NEAR(s256.score_gradient / s4.score_gradient, 1.0, 0.25);
  EXPECT_EQ(s256.dead_rows, 0.0);
  // Unscaled at d = 256: scores with sd 16, nearly one-hot rows, the typical query's
  // gradient a few percent of the scaled one, a tenth of the queries or more dead (measured:
  // about 1 %, and 28 %).
  EXPECT_LT(u256.entropy, 0.1);
  EXPECT_GT(u256.max_weight, 0.9);
  EXPECT_LT(u256.score_gradient, 3e-2 * s256.score_gradient);
  EXPECT_LT(u256.score_gradient, 1e-1 * u4.score_gradient);
  EXPECT_GT(u256.dead_rows, 0.1);
}

// ---- 6. Tasks and schedule -----------------------------------------------------------------

TEST(Tasks, TargetsAreTheReversalTheSortAndTheRecalledValue) {
  mlc::Rng rng(31);
  at::Batch b;
  at::draw_batch({.task = at::Task::reversal, .length = 5}, 4, rng, b);
  for (Index s = 0; s < 4; ++s)
    for (Index t = 0; t < 5; ++t) EXPECT_EQ(b.targets(s * 5 + t), b.tokens(s * 5 + 4 - t));
  at::draw_batch({.task = at::Task::sorting, .length = 6}, 4, rng, b);
  for (Index s = 0; s < 4; ++s) {
    std::vector<int> x(b.tokens.data() + s * 6, b.tokens.data() + s * 6 + 6);
    std::sort(x.begin(), x.end());
    for (Index t = 0; t < 6; ++t) EXPECT_EQ(b.targets(s * 6 + t), x[static_cast<std::size_t>(t)]);
  }
  const at::TaskConfig recall{.task = at::Task::recall, .length = 4, .symbols = 5, .keys = 6};
  at::draw_batch(recall, 50, rng, b);
  ASSERT_EQ(b.targets.size(), 50);
  for (Index s = 0; s < 50; ++s) {
    const auto x = b.tokens.segment(s * 9, 9);
    EXPECT_EQ(b.target_rows(s), s * 9 + 8);
    int found = 0;
    for (Index i = 0; i < 4; ++i) {
      EXPECT_LT(x(2 * i), 6);                                       // a key
      EXPECT_GE(x(2 * i + 1), 6);                                   // a value
      for (Index j = 0; j < i; ++j) EXPECT_NE(x(2 * i), x(2 * j));  // distinct keys
      if (x(2 * i) == x(8)) {
        ++found;
        EXPECT_EQ(b.targets(s), x(2 * i + 1));
      }
    }
    EXPECT_EQ(found, 1);
  }
}

TEST(Schedule, WarmsUpLinearlyThenDecaysAlongACosine) {
  const at::TrainConfig c{.steps = 1000, .learning_rate = 0.01, .warmup_steps = 100};
  EXPECT_NEAR(at::learning_rate_at(0, c), 0.01 / 100, 1e-15);
  EXPECT_NEAR(at::learning_rate_at(49, c), 0.005, 1e-15);
  EXPECT_NEAR(at::learning_rate_at(99, c), 0.01, 1e-15);
  EXPECT_NEAR(at::learning_rate_at(549, c), 0.005, 1e-15);  // halfway through the decay
  EXPECT_NEAR(at::learning_rate_at(999, c), 0.0, 1e-15);
}

// ---- 7. Training: positions are necessary for reversal (failure mode 1) ----------------------

at::Accuracy train_reversal(at::Positions positions) {
  const at::TaskConfig task{.task = at::Task::reversal, .length = 6, .symbols = 8};
  const at::ModelConfig mc{.vocabulary = 8,
                           .length = 6,
                           .width = 32,
                           .heads = 2,
                           .layers = 1,
                           .hidden = 64,
                           .positions = positions};
  mlc::Rng init(37), data(41);
  at::SequenceModel<float> model(mc, init);
  at::Batch held_out;
  at::draw_batch(task, 500, data, held_out);
  const at::TrainConfig tc{
      .steps = 250, .batch_size = 32, .learning_rate = 3e-3, .warmup_steps = 25, .seed = 43};
  at::train(model, task, tc, held_out);
  return at::evaluate(model, held_out);
}

TEST(Training, ReversalIsLearnedWithPositionsAndNotWithout) {
  const at::Accuracy learned = train_reversal(at::Positions::learned);
  const at::Accuracy none = train_reversal(at::Positions::none);
  EXPECT_GT(learned.token, 0.95);
  EXPECT_GT(learned.sequence, 0.7);
  // Without positions the output at t is a function of x_t and the multiset of the sequence
  // only; the reversed token is unknowable beyond what the multiset tells.
  EXPECT_LT(none.token, 0.5);
  EXPECT_LT(none.sequence, 0.05);
}

// ---- 8. The program ----------------------------------------------------------------------------

TEST(Program, QuickRunWritesTheMeasuredNumbers) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_LT(m.at("gradcheck.max_relative_error"), 1e-7);
  EXPECT_LT(m.at("composed.max_gradient_relative_difference"), 1e-13);
  EXPECT_LT(m.at("equivariance.no_positions.max_gap"), 1e-12);
  EXPECT_GT(m.at("equivariance.learned.max_gap"), 1e-2);
  EXPECT_LT(m.at("saturation.unscaled.entropy[5]"), m.at("saturation.scaled.entropy[5]"));
  EXPECT_GT(m.at("reversal.learned.token_accuracy"), 0.15);  // 30 steps: above chance (0.1)
  EXPECT_GE(m.at("recall.two_layers.sequence_accuracy"), 0.0);
}

TEST(Program, BadSeedExitsWithUsageError) {
  const auto run = mlc::testing::run_lesson({"--seed", "not-a-number"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
}

}  // namespace
