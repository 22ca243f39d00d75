// 3.8 transformer_language_model: the grade. The hand-written ops against central differences
// and against the same computation from engine ops; the whole model's gradient against
// central differences; causality; thread-count invariance; the schedule, clipping and
// sampling against closed forms; BPE against a hand-computed case and its round trip;
// checkpoints (a resumed run equals an uninterrupted one, a damaged file is a DataError);
// both failure modes; the program.
#include <cmath>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <omp.h>

#include "bpe.hpp"
#include "mlc/error.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "op_checks.hpp"
#include "transformer_language_model.hpp"

namespace ag = autograd;
namespace tlm = transformer_language_model;
using ag::Index;
using ag::Matrix;

namespace {

const tlm::ModelConfig kTiny{
    .vocabulary = 11, .context = 6, .width = 8, .layers = 2, .heads = 2, .mlp_ratio = 2};

tlm::Tokens random_tokens(mlc::Rng& rng, Index n, Index vocabulary) {
  tlm::Tokens t(n);
  for (Index i = 0; i < n; ++i) t(i) = static_cast<int>(rng.index(vocabulary));
  return t;
}

// A text of the corpus' style for the data-dependent tests (no file needed)
std::string sample_text(std::size_t repeats) {
  std::string text;
  for (std::size_t i = 0; i < repeats; ++i) {
    text +=
        "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n";
    text += "You are all resolved rather to die than to famish?\n";
  }
  return text;
}

// ---- 1. The ops against central differences (double) -----------------------------------------

ag::OpCase attention_case(Index batch, Index len, Index C, Index heads) {
  mlc::Rng rng(3);
  return {"attention",
          "(3)-(5)",
          {rng.normal_matrix(batch * len, 3 * C)},
          [=](ag::Tape<double>&, std::span<const ag::Var<double>> v) {
            return tlm::causal_self_attention(v[0], batch, heads);
          },
          [=](ag::Tape<float>&, std::span<const ag::Var<float>> v) {
            return tlm::causal_self_attention(v[0], batch, heads);
          }};
}

TEST(Gradcheck, FusedAttentionMatchesCentralDifferences) {
  for (Index heads : {1, 2, 4}) {
    EXPECT_LT(ag::check_op(attention_case(2, 5, 8, heads), 7).relative_error, 1e-7)
        << heads << " heads";
  }
}

TEST(Gradcheck, LinearMatchesCentralDifferences) {
  mlc::Rng rng(4);
  ag::OpCase op{"linear",
                "(6)",
                {rng.normal_matrix(21, 9), rng.normal_matrix(9, 5), rng.normal_matrix(1, 5)},
                [](ag::Tape<double>&, std::span<const ag::Var<double>> v) {
                  return tlm::linear(v[0], v[1], v[2]);
                },
                [](ag::Tape<float>&, std::span<const ag::Var<float>> v) {
                  return tlm::linear(v[0], v[1], v[2]);
                }};
  EXPECT_LT(ag::check_op(op, 8).relative_error, 1e-7);
}

// The whole model's loss against central differences for every parameter (tied head: the
// embedding's gradient collects both uses).
TEST(Gradcheck, WholeModelLossGradient) {
  for (bool tie : {true, false}) {
    tlm::ModelConfig config = kTiny;
    config.tie_weights = tie;
    mlc::Rng rng(5);
    tlm::Gpt<double> model(config, rng);
    const tlm::Tokens x = random_tokens(rng, 2 * 5, config.vocabulary),
                      y = random_tokens(rng, 2 * 5, config.vocabulary);
    ag::Tape<double> tape;
    auto params = model.parameters();
    ag::zero_grad(params);
    tape.backward(model.loss(tape, x, y, 2));
    for (ag::Parameter<double>* p : params) {
      const Eigen::MatrixXd analytic = p->grad;
      auto f = [&](const Eigen::MatrixXd& value) {
        const Matrix<double> saved = p->value;
        p->value = value;
        tape.reset();
        const double loss = model.loss(tape, x, y, 2).item();
        p->value = saved;
        return loss;
      };
      const mlc::GradCheckResult r = mlc::gradcheck(f, analytic, Eigen::MatrixXd(p->value));
      // 1e-5: the smallest gradients (the last layer's biases, ~1e-4) carry the central
      // differences' rounding (~1e-10) at 1e-6 relative; a wrong gradient is off by O(1)
      EXPECT_LT(r.relative_error, 1e-5) << p->name << " tie " << tie;
    }
  }
}

// ---- 2. The fused op against the same computation from engine ops -----------------------------

template <class T>
void expect_fused_equals_reference(double tolerance) {
  const Index B = 3, len = 9, C = 12, H = 3;
  mlc::Rng rng(6);
  ag::Parameter<T> qkv("qkv", rng.normal_matrix(B * len, 3 * C).cast<T>());
  const Matrix<T> seed = rng.normal_matrix(B * len, C).cast<T>();
  ag::Tape<T> tape;
  Matrix<T> out[2], grad[2];
  for (int fused = 0; fused < 2; ++fused) {
    tape.reset();
    qkv.grad.setZero();
    const ag::Var<T> x = tape.param(qkv);
    const ag::Var<T> y =
        fused ? tlm::causal_self_attention(x, B, H) : tlm::causal_self_attention_reference(x, B, H);
    tape.backward(y, seed);
    out[fused] = y.value();
    grad[fused] = qkv.grad;
  }
  EXPECT_ALLCLOSE(out[1].template cast<double>(), out[0].template cast<double>(), tolerance);
  EXPECT_ALLCLOSE(grad[1].template cast<double>(), grad[0].template cast<double>(), tolerance);
}
TEST(FusedAttention, EqualsEngineOpsInDouble) {
  expect_fused_equals_reference<double>(1e-12);
}
TEST(FusedAttention, EqualsEngineOpsInFloat) {
  expect_fused_equals_reference<float>(1e-5);
}

TEST(FusedAttention, RowsAreCausalDistributions) {
  mlc::Rng rng(7);
  ag::Tape<double> tape;
  const ag::Var<double> x = tape.input(rng.normal_matrix(2 * 5, 3 * 4));
  const ag::Var<double> a = tlm::causal_self_attention(x, 2, 2);
  for (Index b = 0; b < 2; ++b) {
    for (Index h = 0; h < 2; ++h) {
      const Matrix<double> P = tlm::attention_map(a, b, h);
      for (Index t = 0; t < 5; ++t) {
        EXPECT_NEAR(P.row(t).sum(), 1.0, 1e-12);
        for (Index s = t + 1; s < 5; ++s) EXPECT_EQ(P(t, s), 0.0);
      }
    }
  }
  // The first query sees only itself: its output is its own value vector
  EXPECT_ALLCLOSE(a.value().row(0).head(2), x.value().row(0).segment(8, 2), 1e-12);
}

TEST(Model, FutureTokensDoNotChangeEarlierLogits) {
  mlc::Rng rng(8);
  tlm::Gpt<double> model(kTiny, rng);
  tlm::Tokens x = random_tokens(rng, 6, kTiny.vocabulary);
  ag::Tape<double> tape;
  const Matrix<double> before = model.logits(tape, x, 1).value();
  x(5) = (x(5) + 1) % static_cast<int>(kTiny.vocabulary);
  x(4) = (x(4) + 3) % static_cast<int>(kTiny.vocabulary);
  tape.reset();
  const Matrix<double> after = model.logits(tape, x, 1).value();
  EXPECT_ALLCLOSE(after.topRows(4), before.topRows(4), 1e-14);
  EXPECT_GT((after.row(5) - before.row(5)).cwiseAbs().maxCoeff(), 1e-6);
}

TEST(Model, InitialLossIsLogVocabulary) {
  // With 0.02-scale weights the logits are near zero: the loss starts at about ln V
  mlc::Rng rng(9);
  tlm::ModelConfig config = kTiny;
  config.vocabulary = 65;
  tlm::Gpt<float> model(config, rng);
  ag::Tape<float> tape;
  const double loss =
      model.loss(tape, random_tokens(rng, 60, 65), random_tokens(rng, 60, 65), 10).item();
  EXPECT_NEAR(loss, std::log(65.0), 0.05);
}

TEST(Model, FlopsFormulaCountsTheProducts) {
  // 1 layer, C = 2, F = 4, T = 3, V = 5, B = 1: per token 3·4 + 4 + 2·2·4 + 2·3·2 + 2·5 = 54
  const tlm::ModelConfig c{
      .vocabulary = 5, .context = 3, .width = 2, .layers = 1, .heads = 1, .mlp_ratio = 2};
  EXPECT_DOUBLE_EQ(tlm::training_flops_per_step(c, 1), 2.0 * 3.0 * 54.0 * 3.0);
}

// ---- 3. Threads ---------------------------------------------------------------------------------

TEST(Threads, TrainingIsBitwiseTheSameOnOneAndFourThreads) {
  const std::string text = sample_text(40);
  tlm::CharVocabulary vocabulary(text);
  const tlm::Split split = tlm::split_tokens(vocabulary.encode(text));
  tlm::ModelConfig config{
      .vocabulary = vocabulary.size(), .context = 16, .width = 32, .layers = 2, .heads = 4};
  std::vector<std::vector<float>> values;
  for (int threads : {1, 4}) {
    omp_set_num_threads(threads);
    mlc::Rng init(10);
    tlm::Gpt<float> model(config, init);
    tlm::TrainConfig tc{.steps = 3, .batch = 8, .warmup_steps = 1, .eval_every = 0};
    tlm::Trainer trainer(model, tc, split.train, split.val, mlc::Rng(11));
    for (int i = 0; i < 3; ++i) trainer.step();
    std::vector<float> v;
    for (auto* p : model.parameters())
      v.insert(v.end(), p->value.data(), p->value.data() + p->size());
    values.push_back(v);
  }
  omp_set_num_threads(1);
  EXPECT_EQ(values[0], values[1]);
}

// ---- 4. Schedule, clipping, sampling ----------------------------------------------------------

TEST(Schedule, WarmupThenCosineToTheMinimum) {
  const tlm::TrainConfig c{
      .steps = 101, .learning_rate = 1e-3, .min_learning_rate = 1e-4, .warmup_steps = 10};
  EXPECT_DOUBLE_EQ(tlm::learning_rate_at(c, 0), 1e-4);
  EXPECT_DOUBLE_EQ(tlm::learning_rate_at(c, 9), 1e-3);
  EXPECT_DOUBLE_EQ(tlm::learning_rate_at(c, 10), 1e-3);
  EXPECT_NEAR(tlm::learning_rate_at(c, 100), 1e-4, 1e-15);
  // halfway through the decay: the mean of peak and minimum
  EXPECT_NEAR(tlm::learning_rate_at(c, 55), 0.55e-3, 1e-15);
  for (long s = 11; s <= 100; ++s) {
    EXPECT_LE(tlm::learning_rate_at(c, s), tlm::learning_rate_at(c, s - 1));
  }
}

TEST(Clipping, ScalesTheGlobalNormToTheLimit) {
  ag::Parameter<double> a("a", Matrix<double>::Zero(1, 2)), b("b", Matrix<double>::Zero(2, 1));
  a.grad << 3.0, 0.0;
  b.grad << 0.0, 4.0;
  std::vector<ag::Parameter<double>*> p{&a, &b};
  EXPECT_DOUBLE_EQ(tlm::clip_grad_norm(p, 1.0), 5.0);
  EXPECT_NEAR(std::sqrt(a.grad.squaredNorm() + b.grad.squaredNorm()), 1.0, 1e-15);
  EXPECT_NEAR(a.grad(0, 0), 0.6, 1e-15);
  EXPECT_NEAR(tlm::clip_grad_norm(p, 10.0), 1.0, 1e-15);  // under the limit: unchanged
  EXPECT_NEAR(a.grad(0, 0), 0.6, 1e-15);
}

TEST(Sampling, DistributionIsTemperedSoftmaxOverTopK) {
  Eigen::VectorXd z(4);
  z << 1.0, 3.0, 2.0, 0.0;
  const Eigen::VectorXd p = tlm::sampling_distribution(z, 2.0, 0);
  const Eigen::VectorXd expected = (z / 2.0).array().exp() / (z / 2.0).array().exp().sum();
  EXPECT_ALLCLOSE(p, expected, 1e-15);
  const Eigen::VectorXd top2 = tlm::sampling_distribution(z, 1.0, 2);
  EXPECT_EQ(top2(0), 0.0);
  EXPECT_EQ(top2(3), 0.0);
  EXPECT_NEAR(top2(1), std::exp(1.0) / (std::exp(1.0) + 1.0), 1e-15);
  const Eigen::VectorXd greedy = tlm::sampling_distribution(z, 0.0, 0);
  EXPECT_EQ(greedy(1), 1.0);
  EXPECT_EQ(greedy.sum(), 1.0);
}

TEST(Sampling, GenerateDrawsWithTheStatedFrequencies) {
  // A model with one position: the frequencies of the first drawn token over many draws
  mlc::Rng rng(12);
  tlm::ModelConfig config = kTiny;
  config.vocabulary = 4;
  tlm::Gpt<double> model(config, rng);
  for (auto* p : model.parameters()) p->value *= 40.0;  // a peaked distribution
  ag::Tape<double> tape;
  tlm::Tokens prompt(1);
  prompt << 2;
  const Eigen::VectorXd z = model.logits(tape, prompt, 1).value().row(0).transpose();
  const Eigen::VectorXd p = tlm::sampling_distribution(z, 1.5, 3);
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(4);
  mlc::Rng draws(13);
  const int n = 4000;
  for (int i = 0; i < n; ++i) counts(tlm::generate(model, tape, prompt, 1, 1.5, 3, draws)(0)) += 1;
  for (Index k = 0; k < 4; ++k) {
    const double sd = std::sqrt(p(k) * (1 - p(k)) / n);
    EXPECT_NEAR(counts(k) / n, p(k), 5 * sd + 1e-12) << k;
    if (p(k) == 0.0) {
      EXPECT_EQ(counts(k), 0.0);  // outside the top 3: never drawn
    }
  }
}

TEST(TextStatistics, NgramsAndRepeats) {
  EXPECT_DOUBLE_EQ(tlm::distinct_ngram_ratio("abababab", 2), 2.0 / 7.0);
  EXPECT_DOUBLE_EQ(tlm::distinct_ngram_ratio("abcdefg", 3), 1.0);
  EXPECT_EQ(tlm::longest_repeated_substring("banana"), 3);  // "ana", overlapping
  EXPECT_EQ(tlm::longest_repeated_substring("abcdef"), 0);
}

// ---- 5. BPE
// ---------------------------------------------------------------------------------------

TEST(Bpe, ReproducesTheHandComputedMerges) {
  // Gage's example as Wikipedia works it: aaabdaaabac → ZabdZabac → ZYdZYac → XdXac
  const tlm::Bpe bpe = tlm::Bpe::train("aaabdaaabac", 7);
  ASSERT_EQ(bpe.merges().size(), 3u);
  EXPECT_EQ(bpe.token(4), "aa");
  EXPECT_EQ(bpe.token(5), "ab");
  EXPECT_EQ(bpe.token(6), "aaab");
  const Eigen::VectorXi ids = bpe.encode("aaabdaaabac");
  ASSERT_EQ(ids.size(), 5);
  EXPECT_EQ(ids(0), 6);
  EXPECT_EQ(ids(1), 3);  // d
  EXPECT_EQ(ids(3), 0);  // a
}

TEST(Bpe, DecodeOfEncodeIsTheIdentity) {
  const std::string text = sample_text(30);
  const tlm::Bpe bpe = tlm::Bpe::train(text.substr(0, text.size() / 2), 80);
  EXPECT_GT(bpe.merges().size(), 20u);
  for (const std::string& s : {text, std::string("Speak, speak."), std::string("a"),
                               std::string("\n\n"), std::string("")}) {
    EXPECT_EQ(bpe.decode(bpe.encode(s)), s);
  }
  EXPECT_LT(bpe.encode(text).size(), static_cast<Index>(text.size()) / 2);  // it compresses
  EXPECT_THROW(bpe.encode("text with a character it never saw: ~"), mlc::DataError);
}

TEST(Bpe, StopsWhenNoPairRepeats) {
  EXPECT_EQ(tlm::Bpe::train("abcd", 100).size(), 4);
}

// ---- 6. Checkpoints ---------------------------------------------------------------------------

struct SmallCorpus {
  std::string text = sample_text(40);
  tlm::CharVocabulary vocabulary{text};
  tlm::Split split = tlm::split_tokens(vocabulary.encode(text));
  tlm::ModelConfig config{
      .vocabulary = vocabulary.size(), .context = 8, .width = 16, .layers = 1, .heads = 2};
  tlm::TrainConfig train{.steps = 12,
                         .batch = 4,
                         .warmup_steps = 2,
                         .eval_every = 4,
                         .eval_batches = 2,
                         .checkpoint_every = 5};
};

TEST(Checkpoint, ResumedRunEqualsUninterruptedRun) {
  SmallCorpus s;
  mlc::testing::TempDir dir;
  const auto file = dir.path() / "ck.bin";
  mlc::Rng init_a(1), init_b(1), init_c(1);
  tlm::Gpt<float> straight(s.config, init_a);
  tlm::Trainer a(straight, s.train, s.split.train, s.split.val, mlc::Rng(2));
  a.run();
  // Killed after step 5 (the checkpoint written there), resumed by a fresh process
  tlm::Gpt<float> first(s.config, init_b);
  tlm::Trainer b(first, s.train, s.split.train, s.split.val, mlc::Rng(2));
  for (int i = 0; i < 5; ++i) b.step();
  b.save(file);
  tlm::Gpt<float> second(s.config, init_c);
  tlm::Trainer c(second, s.train, s.split.train, s.split.val, mlc::Rng(2));
  c.load(file);
  EXPECT_EQ(c.steps_done(), 5);
  c.run();
  auto pa = straight.parameters(), pc = second.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i]->value, pc[i]->value) << pa[i]->name;
    EXPECT_EQ(pa[i]->moment2, pc[i]->moment2) << pa[i]->name;
  }
  EXPECT_EQ(a.history().val_loss.back(), c.history().val_loss.back());
}

TEST(Checkpoint, DamagedOrForeignFileIsADataError) {
  SmallCorpus s;
  mlc::testing::TempDir dir;
  const auto file = dir.path() / "ck.bin";
  mlc::Rng init(1);
  tlm::Gpt<float> model(s.config, init);
  tlm::Trainer t(model, s.train, s.split.train, s.split.val, mlc::Rng(2));
  t.step();
  t.save(file);
  // another configuration
  tlm::TrainConfig other = s.train;
  other.steps = 99;
  tlm::Trainer u(model, other, s.split.train, s.split.val, mlc::Rng(2));
  EXPECT_THROW(u.load(file), mlc::DataError);
  // truncated
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  EXPECT_THROW(t.load(file), mlc::DataError);
}

// ---- 7. Failure modes -------------------------------------------------------------------------

TEST(FailureMode, TinySliceOverfits) {
  SmallCorpus s;
  const tlm::Tokens slice = s.split.train.head(60);
  s.config.width = 32;
  s.config.layers = 2;
  tlm::TrainConfig tc{.steps = 200,
                      .batch = 8,
                      .learning_rate = 3e-3,
                      .min_learning_rate = 3e-3,
                      .warmup_steps = 5,
                      .weight_decay = 0.0,
                      .eval_every = 200,
                      .eval_batches = 4};
  mlc::Rng init(3);
  tlm::Gpt<float> model(s.config, init);
  // validation: other text of the same alphabet that the slice lacks
  const tlm::Tokens val = s.vocabulary.encode(
      "You are all resolved rather to die than to famish?\nAll:\nSpeak, speak.\nFirst Citizen:\n");
  tlm::Trainer t(model, tc, slice, val, mlc::Rng(4));
  t.run();
  const auto& h = t.history();
  EXPECT_LT(h.train_loss.back(), 0.3);
  EXPECT_GT(h.val_loss.back(), 3 * h.train_loss.back());
}

TEST(FailureMode, ColdSamplingRepeatsHotSamplingIsNoise) {
  // A model trained briefly on the repetitive sample text
  SmallCorpus s;
  s.train.steps = 150;
  s.train.eval_every = 0;
  s.train.learning_rate = 3e-3;
  s.train.min_learning_rate = 3e-3;
  mlc::Rng init(5);
  tlm::Gpt<float> model(s.config, init);
  tlm::Trainer t(model, s.train, s.split.train, s.split.val, mlc::Rng(6));
  t.run();
  ag::Tape<float> tape;
  const tlm::Tokens prompt = s.vocabulary.encode("\n");
  mlc::Rng r1(7), r2(7);
  const std::string cold =
      s.vocabulary.decode(tlm::generate(model, tape, prompt, 200, 0.05, 0, r1));
  const std::string hot = s.vocabulary.decode(tlm::generate(model, tape, prompt, 200, 3.0, 0, r2));
  EXPECT_LT(tlm::distinct_ngram_ratio(cold, 4), tlm::distinct_ngram_ratio(hot, 4));
  EXPECT_GT(tlm::longest_repeated_substring(cold), 3 * tlm::longest_repeated_substring(hot));
  auto loglik = [&](const std::string& text) {
    const tlm::Likelihood l = tlm::sequence_likelihood(model, tape, s.vocabulary.encode(text));
    return -l.nll / static_cast<double>(l.predicted);
  };
  EXPECT_GT(loglik(cold), loglik(hot) + 1.0);
}

// ---- 8. The program
// --------------------------------------------------------------------------------

TEST(Program, QuickRunReportsTheMetricsAndResumes) {
  mlc::testing::TempDir dir;
  auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  EXPECT_LT(m.at("gradcheck.attention"), 1e-7);
  EXPECT_LT(m.at("gradcheck.linear"), 1e-7);
  EXPECT_LT(m.at("attention.max_gradient_difference"), 1e-12);
  EXPECT_LT(m.at("val_loss"), std::log(65.0));  // it learned something in 40 steps
  EXPECT_EQ(m.at("bpe.roundtrip_exact"), 1.0);
  EXPECT_EQ(m.at("threads.loss_difference"), 0.0);
  EXPECT_GT(m.at("overfit.gap"), 0.0);
  EXPECT_EQ(m.at("resumed_from_step"), 0.0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "checkpoint_char.bin"));
  // --resume finds the finished run's checkpoint and trains nothing more: same validation loss
  run = mlc::testing::run_lesson({"--quick", "--resume", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto resumed = mlc::testing::read_metrics(dir.path());
  EXPECT_EQ(resumed.at("resumed_from_step"), 40.0);
  EXPECT_EQ(resumed.at("val_loss"), m.at("val_loss"));
}

TEST(Program, BadFlagsExitTwo) {
  EXPECT_EQ(mlc::testing::run_lesson({"--threads", "zero"}).exit_code, 2);
  EXPECT_EQ(mlc::testing::run_lesson({"--seed", "x"}).exit_code, 2);
}

}  // namespace
