// 3.6 recurrent_networks: the grade. Each cell's hand-written backpropagation through time
// against central differences (double) and against the same cell unrolled from 3.4's ops
// (values and every gradient, double and float); an independent scalar reference of each
// forward pass; the vanishing bound (3) and the LSTM's carousel (6) measured on the
// gradient norms; clipping (9); the adding problem's construction and baseline (10); the
// corpus; short trainings that reproduce the report's claims; the program in --quick.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlc/error.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/rng.hpp"
#include "mlc/testing.hpp"
#include "recurrent_networks.hpp"
#include "tasks.hpp"

namespace rn = recurrent_networks;
namespace ag = autograd;
using rn::Cell;
using rn::Index;
using rn::Matrix;

namespace {

const Cell kCells[] = {Cell::rnn, Cell::lstm, Cell::gru};

struct Problem {
  Cell cell = Cell::rnn;
  Index B = 3, T = 5, D = 2, H = 4;
  Matrix<double> W, U, b, X, R;  // R: a random adjoint of the outputs [(T·B) × H]
};

Problem problem(Cell cell, std::uint64_t seed) {
  Problem p;
  p.cell = cell;
  mlc::Rng rng(seed);
  const Index GH = rn::gate_count(cell) * p.H;
  p.W = rng.normal_matrix(p.D, GH, 0.0, 0.6);
  p.U = rng.normal_matrix(p.H, GH, 0.0, 0.6);
  p.b = rng.normal_matrix(1, GH, 0.0, 0.3);
  p.X = rng.normal_matrix(p.T * p.B, p.D);
  p.R = rng.normal_matrix(p.T * p.B, p.H);
  return p;
}

// L = Σ R ⊙ H(W, U, b, X) through the hand-written forward pass.
double projected_loss(const Problem& p, const Matrix<double>& W, const Matrix<double>& U,
                      const Matrix<double>& b, const Matrix<double>& X) {
  Matrix<double> states, H(p.T * p.B, p.H);
  rn::SequenceBuffers<double> buffers;
  rn::sequence_forward<double>(p.cell, W, U, b, X, p.B, states, buffers, H);
  return (p.R.array() * H.array()).sum();
}

struct Gradients {
  Matrix<double> dW, dU, db, dX;
};
Gradients hand_written_gradients(const Problem& p) {
  Matrix<double> states, H(p.T * p.B, p.H);
  rn::SequenceBuffers<double> buffers;
  rn::sequence_forward<double>(p.cell, p.W, p.U, p.b, p.X, p.B, states, buffers, H);
  Gradients g{Matrix<double>::Zero(p.W.rows(), p.W.cols()),
              Matrix<double>::Zero(p.U.rows(), p.U.cols()), Matrix<double>::Zero(1, p.b.cols()),
              Matrix<double>::Zero(p.X.rows(), p.X.cols())};
  rn::sequence_backward<double>(p.cell, p.W, p.U, p.X, p.B, states, buffers, p.R, g.dW, g.dU, g.db,
                                &g.dX);
  return g;
}

class EveryCell : public ::testing::TestWithParam<Cell> {};

// ---- 1. BPTT against central differences (2), (5), (8) ------------------------------------------

TEST_P(EveryCell, BackpropagationThroughTimeMatchesCentralDifferences) {
  const Problem p = problem(GetParam(), 11);
  const Gradients g = hand_written_gradients(p);
  const auto check = [&](const Matrix<double>& analytic, const Matrix<double>& at, int which) {
    const mlc::MatrixFunction f = [&](const Eigen::MatrixXd& M) {
      const Matrix<double> m = M;
      return projected_loss(p, which == 0 ? m : p.W, which == 1 ? m : p.U, which == 2 ? m : p.b,
                            which == 3 ? m : p.X);
    };
    return mlc::gradcheck(f, Eigen::MatrixXd(analytic), Eigen::MatrixXd(at), 1e-6);
  };
  const char* names[] = {"W", "U", "b", "X"};
  const Matrix<double>* analytic[] = {&g.dW, &g.dU, &g.db, &g.dX};
  const Matrix<double>* at[] = {&p.W, &p.U, &p.b, &p.X};
  for (int k = 0; k < 4; ++k) {
    const mlc::GradCheckResult r = check(*analytic[k], *at[k], k);
    EXPECT_LT(r.relative_error, 1e-7) << rn::cell_name(p.cell) << " d" << names[k];
  }
}

TEST_P(EveryCell, BackwardAccumulatesIntoTheGradients) {
  const Problem p = problem(GetParam(), 12);
  const Gradients once = hand_written_gradients(p);
  Matrix<double> states, H(p.T * p.B, p.H);
  rn::SequenceBuffers<double> buffers;
  rn::sequence_forward<double>(p.cell, p.W, p.U, p.b, p.X, p.B, states, buffers, H);
  Gradients twice{once.dW, once.dU, once.db, once.dX};
  rn::sequence_backward<double>(p.cell, p.W, p.U, p.X, p.B, states, buffers, p.R, twice.dW,
                                twice.dU, twice.db, &twice.dX);
  EXPECT_ALLCLOSE(twice.dU, 2 * once.dU, 1e-12);
  EXPECT_ALLCLOSE(twice.dX, 2 * once.dX, 1e-12);
}

// ---- 2. The hand-written op against the same cell unrolled from the engine's ops ----------------

template <class S>
void expect_op_matches_unrolled(Cell cell, double tolerance) {
  const Problem p = problem(cell, 13);
  struct Run {
    Matrix<double> H, dW, dU, db, dX;
  };
  auto run = [&](bool unrolled) {
    ag::Parameter<S> W("W", p.W.cast<S>()), U("U", p.U.cast<S>()), b("b", p.b.cast<S>()),
        X("X", p.X.cast<S>());
    ag::Tape<S> tape;
    const ag::Var<S> x = tape.param(X);
    const ag::Var<S> h =
        unrolled ? rn::recurrent_unrolled(cell, x, tape.param(W), tape.param(U), tape.param(b), p.B)
                 : rn::recurrent(cell, x, tape.param(W), tape.param(U), tape.param(b), p.B);
    tape.backward(h, p.R.cast<S>());
    return Run{h.value().template cast<double>(), W.grad.template cast<double>(),
               U.grad.template cast<double>(), b.grad.template cast<double>(),
               X.grad.template cast<double>()};
  };
  const Run hand = run(false), reference = run(true);
  EXPECT_ALLCLOSE(hand.H, reference.H, tolerance) << rn::cell_name(cell);
  EXPECT_ALLCLOSE(hand.dW, reference.dW, tolerance) << rn::cell_name(cell);
  EXPECT_ALLCLOSE(hand.dU, reference.dU, tolerance) << rn::cell_name(cell);
  EXPECT_ALLCLOSE(hand.db, reference.db, tolerance) << rn::cell_name(cell);
  EXPECT_ALLCLOSE(hand.dX, reference.dX, tolerance) << rn::cell_name(cell);
}

TEST_P(EveryCell, OpEqualsTheCellUnrolledFromAutogradOpsInDouble) {
  expect_op_matches_unrolled<double>(GetParam(), 1e-12);
}

TEST_P(EveryCell, OpEqualsTheCellUnrolledFromAutogradOpsInFloat) {
  expect_op_matches_unrolled<float>(GetParam(), 2e-5);
}

TEST_P(EveryCell, StepsAfterTheFirstReuseTheBuffers) {
  const Problem p = problem(GetParam(), 14);
  Matrix<double> states, H(p.T * p.B, p.H);
  rn::SequenceBuffers<double> buffers;
  rn::sequence_forward<double>(p.cell, p.W, p.U, p.b, p.X, p.B, states, buffers, H);
  const double* before = states.data();
  const double* xw = buffers.xw.data();
  rn::sequence_forward<double>(p.cell, p.W, p.U, p.b, p.X, p.B, states, buffers, H);
  EXPECT_EQ(states.data(), before);
  EXPECT_EQ(buffers.xw.data(), xw);
}

INSTANTIATE_TEST_SUITE_P(Cells, EveryCell, ::testing::ValuesIn(kCells),
                         [](const ::testing::TestParamInfo<Cell>& info) {
                           return rn::cell_name(info.param);
                         });

// ---- 3. Independent scalar references of the forward passes (1), (4), (7)
// ------------------------

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

TEST(Forward, MatchesScalarLoopsWrittenFromTheEquations) {
  // One sequence (B = 1), D = 1, H = 1: every product is a scalar product.
  const Index T = 6;
  Matrix<double> X(T, 1);
  X << 0.5, -1.0, 2.0, 0.1, -0.3, 0.7;
  for (Cell cell : kCells) {
    const Index G = rn::gate_count(cell);
    Matrix<double> W(1, G), U(1, G), b(1, G);
    for (Index k = 0; k < G; ++k) {
      W(0, k) = 0.3 + 0.2 * static_cast<double>(k);
      U(0, k) = -0.5 + 0.4 * static_cast<double>(k);
      b(0, k) = 0.1 * static_cast<double>(k) - 0.05;
    }
    Matrix<double> states, H(T, 1);
    rn::SequenceBuffers<double> buffers;
    rn::sequence_forward<double>(cell, W, U, b, X, 1, states, buffers, H);
    double h = 0.0, c = 0.0;
    for (Index t = 0; t < T; ++t) {
      const double x = X(t, 0);
      auto a = [&](Index k, double hh) { return x * W(0, k) + hh * U(0, k) + b(0, k); };
      if (cell == Cell::rnn) {
        h = std::tanh(a(0, h));
      } else if (cell == Cell::lstm) {
        const double i = sigmoid(a(0, h)), f = sigmoid(a(1, h)), g = std::tanh(a(2, h)),
                     o = sigmoid(a(3, h));
        c = f * c + i * g;
        h = o * std::tanh(c);
      } else {
        const double z = sigmoid(a(0, h)), r = sigmoid(a(1, h));
        const double n = std::tanh(a(2, r * h));
        h = (1 - z) * n + z * h;
      }
      EXPECT_NEAR(H(t, 0), h, 1e-14) << rn::cell_name(cell) << " step " << t;
    }
  }
}

TEST(Forward, RejectsABatchThatDoesNotDivideTheRows) {
  const Problem p = problem(Cell::rnn, 15);
  Matrix<double> states, H(p.T * p.B, p.H);
  rn::SequenceBuffers<double> buffers;
  EXPECT_THROW(rn::sequence_forward<double>(Cell::rnn, p.W, p.U, p.b, p.X, 4, states, buffers, H),
               std::invalid_argument);
  EXPECT_THROW(
      rn::sequence_forward<double>(Cell::lstm, p.W, p.U, p.b, p.X, p.B, states, buffers, H),
      std::invalid_argument);
}

// ---- 4. Gradient norms through time (3), (6) ----------------------------------------------------

// ‖∂L/∂h_t‖ for a loss on the last step only, through the op on a tape.
std::vector<double> last_step_norms(Cell cell, const Matrix<double>& W, const Matrix<double>& U,
                                    const Matrix<double>& b, const Matrix<double>& X, Index B) {
  ag::Parameter<double> pW("W", W), pU("U", U), pb("b", b);
  ag::Tape<double> tape;
  const ag::Var<double> h =
      rn::recurrent(cell, tape.input(X), tape.param(pW), tape.param(pU), tape.param(pb), B);
  const ag::Var<double> loss = ag::sum(ag::slice_rows(h, h.rows() - B, B));
  tape.backward(loss);
  return rn::hidden_gradient_norms(cell, h);
}

TEST(GradientNorms, RnnDecayAtLeastAsFastAsTheBoundOfEquationThree) {
  // (3): ‖∂L/∂h_t‖ ≤ ‖U‖₂^{T−t} ‖∂L/∂h_T‖, since |tanh'| ≤ 1.
  mlc::Rng rng(16);
  const Index B = 4, T = 30, H = 8;
  const Matrix<double> W = rng.normal_matrix(1, H), U = rng.normal_matrix(H, H, 0.0, 0.15);
  const Matrix<double> b = Matrix<double>::Zero(1, H), X = rng.normal_matrix(T * B, 1);
  const double spectral = Eigen::JacobiSVD<Eigen::MatrixXd>(U).singularValues()(0);
  const std::vector<double> norms = last_step_norms(Cell::rnn, W, U, b, X, B);
  ASSERT_EQ(norms.size(), static_cast<std::size_t>(T));
  EXPECT_NEAR(norms.back(), std::sqrt(static_cast<double>(B * H)), 1e-12);  // ‖1‖ at t = T
  for (Index t = 1; t <= T; ++t) {
    const double bound = std::pow(spectral, static_cast<double>(T - t)) * norms.back();
    EXPECT_LE(norms[static_cast<std::size_t>(t - 1)], bound * (1 + 1e-12)) << "t = " << t;
  }
  EXPECT_LT(norms.front() / norms.back(), 1e-6);
}

TEST(GradientNorms, LstmCarouselPassesTheGradientUnattenuated) {
  // (6): with i ≈ 1, f ≈ 1, o ≈ 1 (biases ±30) and U = 0 the cell state is a running sum,
  // c_T = Σ_t g_t with g_t = tanh(w x_t), so for L = Σ h_T = Σ tanh(c_T) the closed form is
  // ∂L/∂x_t = (1 − tanh² c_T)(1 − g_t²) w at every t: no factor shrinks with T − t.
  mlc::Rng rng(17);
  const Index B = 2, T = 40, H = 1;
  const double w = 0.5;
  Matrix<double> W = Matrix<double>::Zero(1, 4), U = Matrix<double>::Zero(H, 4);
  Matrix<double> b(1, 4);
  b << 30, 30, 0, 30;  // i, f, g, o
  W(0, 2) = w;
  const Matrix<double> X = rng.normal_matrix(T * B, 1, 0.0, 0.1);
  Matrix<double> states, Hs(T * B, H), dH = Matrix<double>::Zero(T * B, H);
  dH.bottomRows(B).setOnes();
  rn::SequenceBuffers<double> buffers;
  rn::sequence_forward<double>(Cell::lstm, W, U, b, X, B, states, buffers, Hs);
  Matrix<double> dW = Matrix<double>::Zero(1, 4), dU = Matrix<double>::Zero(H, 4),
                 db = Matrix<double>::Zero(1, 4), dX = Matrix<double>::Zero(T * B, 1);
  rn::sequence_backward<double>(Cell::lstm, W, U, X, B, states, buffers, dH, dW, dU, db, &dX);
  for (Index j = 0; j < B; ++j) {
    double c_T = 0.0;
    for (Index t = 0; t < T; ++t) c_T += std::tanh(w * X(t * B + j, 0));
    const double outer = 1 - std::pow(std::tanh(c_T), 2);
    for (Index t = 0; t < T; ++t) {
      const double g = std::tanh(w * X(t * B + j, 0));
      EXPECT_NEAR(dX(t * B + j, 0), outer * (1 - g * g) * w, 1e-9) << "t = " << t;
    }
  }
}

TEST(GradientNorms, LeaveTheParameterGradientsUntouched) {
  mlc::Rng rng(18);
  auto model = rn::make_regressor<double>(Cell::lstm, 5, rng);
  const rn::SequenceBatch batch = rn::adding_problem(8, 3, rng);
  ag::Tape<double> tape;
  ag::Var<double> hidden;
  const ag::Var<double> loss = rn::mean_squared_error(
      model.predict(tape, tape.input(batch.X), 3, false, &hidden), tape.input(batch.y));
  tape.backward(loss);
  const Matrix<double> dU = model.cell.U.grad;
  const std::vector<double> norms = rn::hidden_gradient_norms(Cell::lstm, hidden);
  EXPECT_EQ(norms.size(), 8u);
  EXPECT_ALLCLOSE(model.cell.U.grad, dU, 0.0);
}

// ---- 5. Clipping by global norm (9) -------------------------------------------------------------

TEST(Clipping, RescalesToTheMaximumNormAndKeepsTheDirection) {
  ag::Parameter<double> a("a", Matrix<double>::Zero(2, 2)), c("c", Matrix<double>::Zero(1, 3));
  a.grad << 3, 0, 0, 4;
  c.grad << 0, 12, 0;
  const std::vector<ag::Parameter<double>*> params{&a, &c};
  EXPECT_DOUBLE_EQ(rn::global_gradient_norm(params), 13.0);  // √(9 + 16 + 144)
  EXPECT_DOUBLE_EQ(rn::clip_gradient_norm(params, 1.3), 13.0);
  EXPECT_NEAR(rn::global_gradient_norm(params), 1.3, 1e-12);
  EXPECT_NEAR(a.grad(1, 1), 0.4, 1e-12);
  EXPECT_NEAR(c.grad(0, 1), 1.2, 1e-12);
  // Below the threshold: untouched.
  EXPECT_NEAR(rn::clip_gradient_norm(params, 5.0), 1.3, 1e-12);
  EXPECT_NEAR(a.grad(0, 0), 0.3, 1e-12);
  EXPECT_THROW(rn::clip_gradient_norm(params, 0.0), std::invalid_argument);
}

// ---- 6. The adding problem (10)
// -------------------------------------------------------------------

TEST(AddingProblem, HasOneMarkerInEachHalfAndTheirSumAsTarget) {
  mlc::Rng rng(19);
  const Index T = 11, B = 50;
  const rn::SequenceBatch s = rn::adding_problem(T, B, rng);
  ASSERT_EQ(s.X.rows(), T * B);
  for (Index j = 0; j < B; ++j) {
    int first = 0, second = 0;
    double sum = 0.0;
    for (Index t = 0; t < T; ++t) {
      const double m = s.X(t * B + j, 1), u = s.X(t * B + j, 0);
      EXPECT_TRUE(m == 0.0 || m == 1.0);
      EXPECT_GE(u, 0.0);
      EXPECT_LT(u, 1.0);
      if (m == 1.0) (t < T / 2 ? first : second) += 1, sum += u;
    }
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 1);
    EXPECT_DOUBLE_EQ(s.y(j, 0), sum);
  }
}

TEST(AddingProblem, ConstantPredictorScoresTheVarianceOneSixth) {
  // y = u + u' with u, u' ~ U[0, 1]: E y = 1, Var y = 2/12. (y − 1)² has variance
  // E(y−1)⁴ − (1/6)² = 1/15 − 1/36 ≈ 0.039, so over 4000 sequences the mean's sd is 0.0031.
  const rn::AddingConfig config{.length = 20, .eval_sequences = 4000, .seed = 5};
  EXPECT_NEAR(rn::adding_constant_baseline(config), 1.0 / 6.0, 5 * 0.0031);
}

// ---- 7. Short trainings: the claims of the report at small scale
// ---------------------------------

TEST(Training, LstmSolvesTheAddingProblemOfLengthTwenty) {
  const rn::AddingResult r = rn::train_adding({.cell = Cell::lstm,
                                               .length = 20,
                                               .hidden = 16,
                                               .batch = 32,
                                               .max_steps = 1500,
                                               .learning_rate = 1e-2,
                                               .eval_sequences = 300,
                                               .eval_every = 50,
                                               .seed = 3});
  EXPECT_TRUE(r.solved) << "best held-out MSE " << r.best_eval_mse;
  EXPECT_FALSE(r.diverged);
}

TEST(Training, RnnGradientReachingTheFirstStepVanishesAtLengthOneHundred) {
  // The vanishing gradient of the failure mode, at the initialisation the sweep uses: the
  // gradient reaching h_1 is below 1e-12 of the one at h_T for the RNN, far above for the
  // LSTM (forget bias 1).
  mlc::Rng rng(20);
  const rn::SequenceBatch batch = rn::adding_problem(100, 16, rng);
  double ratio[2];
  int k = 0;
  for (Cell cell : {Cell::rnn, Cell::lstm}) {
    mlc::Rng init = mlc::Rng(21);
    auto model = rn::make_regressor<double>(cell, 32, init);
    ag::Tape<double> tape;
    ag::Var<double> hidden;
    const ag::Var<double> loss = rn::mean_squared_error(
        model.predict(tape, tape.input(batch.X), 16, false, &hidden), tape.input(batch.y));
    tape.backward(loss);
    const std::vector<double> n = rn::hidden_gradient_norms(cell, hidden);
    ratio[k++] = n.front() / n.back();
  }
  EXPECT_LT(ratio[0], 1e-12);
  EXPECT_GT(ratio[1], 1e3 * ratio[0]);
}

TEST(Training, ClippingBoundsTheStepsWhereTheUnclippedRunExplodes) {
  // The exploding-gradient failure mode: an RNN with a large recurrent initialisation
  // trained by SGD. Unclipped, some step's gradient norm exceeds 1e3 or the run diverges;
  // clipped at 1, every step is bounded and the run stays finite.
  rn::AddingConfig config{.cell = Cell::rnn,
                          .length = 30,
                          .hidden = 32,
                          .batch = 32,
                          .max_steps = 200,
                          .optimizer = rn::Optimizer::sgd,
                          .learning_rate = 0.05,
                          .momentum = 0.9,
                          .clip = 0.0,
                          .recurrent_scale = 4.0,
                          .eval_sequences = 200,
                          .eval_every = 50,
                          .stop_when_solved = false,
                          .seed = 4};
  const rn::AddingResult unclipped = rn::train_adding(config);
  double worst = 0.0;
  for (double g : unclipped.gradient_norm) worst = std::isfinite(g) ? std::max(worst, g) : 1e300;
  EXPECT_TRUE(unclipped.diverged || worst > 1e3) << "largest gradient norm " << worst;
  config.clip = 1.0;
  const rn::AddingResult clipped = rn::train_adding(config);
  EXPECT_FALSE(clipped.diverged);
  EXPECT_TRUE(std::isfinite(clipped.final_eval_mse));
}

// ---- 8. The corpus
// --------------------------------------------------------------------------------

TEST(Corpus, MissingFileIsADataErrorNamingIt) {
  try {
    rn::load_corpus("/nonexistent/tiny.txt");
    FAIL() << "no exception";
  } catch (const mlc::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tiny.txt"), std::string::npos);
  }
}

TEST(Corpus, UnigramEntropyMatchesAHandComputedText) {
  mlc::testing::TempDir dir;
  const auto file = dir.path() / "text.txt";
  {
    std::ofstream out(file);
    for (int k = 0; k < 5000; ++k) out << "aab";  // p(a) = 2/3, p(b) = 1/3 in any prefix of 3k
  }
  const rn::Corpus c = rn::load_corpus(file, 0.1);
  EXPECT_EQ(c.vocabulary, "ab");
  EXPECT_EQ(c.train_size, 13500);
  const double expected = -(2.0 / 3) * std::log(2.0 / 3) - (1.0 / 3) * std::log(1.0 / 3);
  EXPECT_NEAR(c.unigram_entropy, expected, 1e-12);
}

// ---- 9. The program
// ---------------------------------------------------------------------------------

TEST(Program, QuickRunWritesTheMetricsOfTheReport) {
  mlc::testing::TempDir dir;
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto m = mlc::testing::read_metrics(dir.path());
  for (const char* name :
       {"adding.rnn_max_length", "adding.lstm_max_length", "adding.gru_max_length",
        "gradcheck.max_relative_error", "unrolled.max_relative_difference", "char.unigram_entropy",
        "char.lstm.validation_loss", "exploding.unclipped.max_gradient_norm"}) {
    EXPECT_EQ(m.count(name), 1u) << name;
  }
  EXPECT_LT(m.at("gradcheck.max_relative_error"), 1e-7);
  EXPECT_LT(m.at("unrolled.max_relative_difference"), 1e-10);
}

TEST(Program, MissingCorpusExitsTwo) {
  mlc::testing::TempDir dir, empty;
  ::setenv("MLC_DATA_DIR", empty.str().c_str(), 1);
  const auto run = mlc::testing::run_lesson({"--quick", "--out", dir.str()});
  ::unsetenv("MLC_DATA_DIR");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("tinyshakespeare.txt"), std::string::npos) << run.output;
}

}  // namespace
