// 3.6 recurrent_networks: the vanilla RNN, the LSTM and the GRU with hand-written
// backpropagation through time. The program checks each cell's BPTT against central
// differences and against the same cell unrolled from 3.4's ops, sweeps the adding problem's
// sequence length to find the longest span each cell learns, measures the gradient
// ‖∂L/∂h_t‖ through time, provokes exploding gradients and clips them, and trains a
// character model on tiny-shakespeare. Run: ./learn run recurrent_networks [--quick]
// [--seed N] [--out DIR]. Equation numbers (n) refer to NOTES.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "recurrent_networks.hpp"
#include "tasks.hpp"

namespace rn = recurrent_networks;
namespace ag = autograd;
using rn::Cell;
using rn::Index;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "The vanilla RNN, the LSTM and the GRU written as forward/backward pairs with "
    "backpropagation through time, batched over sequences in float32 and recorded as ops of 3.4's "
    "engine; each checked against central differences and against the same cell unrolled from "
    "the engine's ops. The adding problem measures the longest memory span each cell learns; the "
    "gradient norm through time shows why the RNN stops; exploding gradients are provoked and "
    "clipped by global norm; an LSTM character model trains on tiny-shakespeare.",
    "report.md, metrics.json, figures/adding_success.svg, figures/gradient_through_time.svg, "
    "figures/exploding.svg, figures/char_model.svg");

const Cell kCells[] = {Cell::rnn, Cell::lstm, Cell::gru};

std::string key(Cell cell) {
  return cell == Cell::rnn ? "rnn" : cell == Cell::lstm ? "lstm" : "gru";
}

// Sizes of the full run and of --quick.
struct Settings {
  std::vector<Index> lengths;  // adding-problem sequence lengths T
  Index hidden, batch;         // H and B of the adding problem
  long max_steps;              // training budget per (cell, length)
  Index eval_sequences;        // held-out sequences
  Index norm_length;           // the length whose gradient norms are plotted
  long exploding_steps;
  long char_steps;
  Index char_hidden, char_length, char_batch;
};
Settings settings(bool quick) {
  if (quick) return {{5, 10}, 8, 16, 150, 200, 10, 60, 30, 32, 16, 8};
  return {{10, 15, 20, 30, 50, 100, 200}, 32, 32, 3000, 1000, 100, 400, 1500, 128, 64, 32};
}

// ---- 1. BPTT against central differences and against the unrolled cell ----------------------
void correctness(mlc::Report& report, const mlc::Options& opt) {
  report.section("Backpropagation through time, checked twice");
  mlc::Rng rng = mlc::Rng(opt.seed).derive(1);
  const Index B = 3, T = 6, D = 2, H = 4;
  std::vector<std::vector<std::string>> rows;
  double worst_fd = 0.0, worst_unrolled = 0.0;
  for (Cell cell : kCells) {
    const Index GH = rn::gate_count(cell) * H;
    const rn::Matrix<double> W = rng.normal_matrix(D, GH, 0.0, 0.6),
                             U = rng.normal_matrix(H, GH, 0.0, 0.6),
                             b = rng.normal_matrix(1, GH, 0.0, 0.3),
                             X = rng.normal_matrix(T * B, D), R = rng.normal_matrix(T * B, H);
    // (a) the hand-written BPTT against central differences of L = Σ R ⊙ H, every input.
    auto loss = [&](const rn::Matrix<double>& W_, const rn::Matrix<double>& U_,
                    const rn::Matrix<double>& b_, const rn::Matrix<double>& X_) {
      rn::Matrix<double> states, Hs(T * B, H);
      rn::SequenceBuffers<double> buffers;
      rn::sequence_forward<double>(cell, W_, U_, b_, X_, B, states, buffers, Hs);
      return (R.array() * Hs.array()).sum();
    };
    rn::Matrix<double> states, Hs(T * B, H);
    rn::SequenceBuffers<double> buffers;
    rn::sequence_forward<double>(cell, W, U, b, X, B, states, buffers, Hs);
    rn::Matrix<double> dW = rn::Matrix<double>::Zero(D, GH), dU = rn::Matrix<double>::Zero(H, GH),
                       db = rn::Matrix<double>::Zero(1, GH),
                       dX = rn::Matrix<double>::Zero(T * B, D);
    rn::sequence_backward<double>(cell, W, U, X, B, states, buffers, R, dW, dU, db, &dX);
    double fd = 0.0;
    fd = std::max(fd, mlc::gradcheck([&](const Eigen::MatrixXd& m) { return loss(m, U, b, X); },
                                     Eigen::MatrixXd(dW), Eigen::MatrixXd(W))
                          .relative_error);
    fd = std::max(fd, mlc::gradcheck([&](const Eigen::MatrixXd& m) { return loss(W, m, b, X); },
                                     Eigen::MatrixXd(dU), Eigen::MatrixXd(U))
                          .relative_error);
    fd = std::max(fd, mlc::gradcheck([&](const Eigen::MatrixXd& m) { return loss(W, U, m, X); },
                                     Eigen::MatrixXd(db), Eigen::MatrixXd(b))
                          .relative_error);
    fd = std::max(fd, mlc::gradcheck([&](const Eigen::MatrixXd& m) { return loss(W, U, b, m); },
                                     Eigen::MatrixXd(dX), Eigen::MatrixXd(X))
                          .relative_error);
    // (b) the op against the cell unrolled from the engine's ops: value and gradients.
    auto run = [&](bool unrolled) {
      ag::Parameter<double> pW("W", W), pU("U", U), pb("b", b), pX("X", X);
      ag::Tape<double> tape;
      const ag::Var<double> h = unrolled
                                    ? rn::recurrent_unrolled(cell, tape.param(pX), tape.param(pW),
                                                             tape.param(pU), tape.param(pb), B)
                                    : rn::recurrent(cell, tape.param(pX), tape.param(pW),
                                                    tape.param(pU), tape.param(pb), B);
      tape.backward(h, R);
      Eigen::VectorXd all(h.value().size() + pW.size() + pU.size() + pb.size() + pX.size());
      all << h.value().reshaped(), pW.grad.reshaped(), pU.grad.reshaped(), pb.grad.reshaped(),
          pX.grad.reshaped();
      return std::pair{all, tape.size()};
    };
    const auto [hand, hand_nodes] = run(false);
    const auto [reference, reference_nodes] = run(true);
    const double diff = (hand - reference).norm() / reference.norm();
    worst_fd = std::max(worst_fd, fd);
    worst_unrolled = std::max(worst_unrolled, diff);
    report.metric("gradcheck." + key(cell) + ".relative_error", fd);
    report.metric("unrolled." + key(cell) + ".relative_difference", diff);
    rows.push_back({rn::cell_name(cell), mlc::num(fd, 2), mlc::num(diff, 2),
                    std::to_string(hand_nodes), std::to_string(reference_nodes)});
  }
  report.text(fmt::format(
      "Each cell's backward pass (2), (5), (8) on B = {} sequences of T = {} steps (D = {}, H = "
      "{}, "
      "random weights): the gradients of L = Σ R ⊙ H for a random adjoint R with respect to W, U, "
      "b and the inputs X, against central differences (h = 1e-6, mlc::gradcheck's norm-wise "
      "relative error, the largest over the four): at most {}. The same cell unrolled step by step "
      "from the engine's ops (matmul, add, sigmoid, tanh, mul, slices), whose backward the engine "
      "derives op by op, gives the hidden states and all four gradients to a relative difference "
      "of at most {}: two independent derivations of BPTT agree to rounding.",
      B, T, D, H, report.quote("gradcheck.max_relative_error", worst_fd, 2),
      report.quote("unrolled.max_relative_difference", worst_unrolled, 2)));
  report.table({"cell", "BPTT vs central differences", "op vs unrolled ops",
                "nodes on the tape (op)", "nodes on the tape (unrolled)"},
               rows);
}

// The time per training step (forward and backward, float32) of the op and the unrolled cell.
void op_speed(mlc::Report& report, const mlc::Options& opt) {
  const Settings s = settings(opt.quick);
  const Index T = 50, B = s.batch, steps = opt.quick ? 2 : 20;
  mlc::Rng rng = mlc::Rng(opt.seed).derive(2);
  const rn::SequenceBatch batch = rn::adding_problem(T, B, rng);
  for (Cell cell : kCells) {
    auto model = rn::make_regressor<float>(cell, s.hidden, rng);
    const auto params = model.parameters();
    double seconds[2];
    for (int unrolled = 0; unrolled < 2; ++unrolled) {
      ag::Tape<float> tape;
      mlc::Timer timer;
      for (Index k = 0; k <= steps; ++k) {
        if (k == 1) timer.reset();  // the first step allocates the buffers
        tape.reset();
        const auto loss = rn::mean_squared_error(
            model.predict(tape, tape.input(batch.X), B, unrolled == 1), tape.input(batch.y));
        ag::zero_grad(params);
        tape.backward(loss);
      }
      seconds[unrolled] = timer.seconds() / static_cast<double>(steps);
    }
    report.timing("step." + key(cell) + ".op_seconds", seconds[0]);
    report.timing("step." + key(cell) + ".unrolled_seconds", seconds[1]);
  }
  report.text(fmt::format(
      "Both forms train. The op records one node and works on whole-batch blocks (one GEMM "
      "per step and direction, three for the weight gradients); the unrolled cell records about "
      "ten nodes per step. One forward and backward pass on the adding problem (T = {}, B = {}, "
      "H = {}, float32) is timed for each (step.<cell>.op_seconds and "
      "step.<cell>.unrolled_seconds in the Timing table: wall times on a shared machine).",
      T, B, s.hidden));
}

// ---- 2. The adding problem: the longest span each cell learns ---------------------------------
struct Sweep {
  std::vector<std::vector<rn::AddingResult>> results;  // [cell][length]
  double baseline = 0.0;
};

rn::AddingConfig adding_config(const Settings& s, const mlc::Options& opt, Cell cell, Index T,
                               std::size_t length_index) {
  return {.cell = cell,
          .length = T,
          .hidden = s.hidden,
          .batch = s.batch,
          .max_steps = s.max_steps,
          .learning_rate = 1e-2,
          .clip = 1.0,
          .eval_sequences = s.eval_sequences,
          .eval_every = 50,
          .seed = mlc::Rng(opt.seed).derive(3).derive(length_index).next_u64()};
}

Sweep adding_sweep(mlc::Report& report, const mlc::Options& opt) {
  report.section("The adding problem: the longest memory span each cell learns");
  const Settings s = settings(opt.quick);
  Sweep sweep;
  sweep.results.resize(3);
  mlc::Progress progress("adding problem (cell × length)", 3 * static_cast<long>(s.lengths.size()));
  long done = 0;
  mlc::Timer timer;
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t k = 0; k < s.lengths.size(); ++k) {
      sweep.results[c].push_back(
          rn::train_adding(adding_config(s, opt, kCells[c], s.lengths[k], k)));
      progress.update(++done, fmt::format("{} T = {}", rn::cell_name(kCells[c]), s.lengths[k]));
    }
  }
  progress.finish();
  report.timing("adding.sweep_seconds", timer.seconds());
  sweep.baseline = rn::adding_constant_baseline(adding_config(s, opt, Cell::rnn, s.lengths[0], 0));
  const double threshold = 0.1 / 6.0;
  std::vector<std::vector<std::string>> rows;
  double max_length[3] = {0, 0, 0};
  mlc::Figure fig("Adding problem: best held-out MSE against sequence length");
  fig.xlabel("sequence length T (markers on average T/2 steps apart)")
      .ylabel("best held-out MSE / MSE of the constant predictor")
      .logx()
      .logy()
      .legend("bottom right");
  for (std::size_t c = 0; c < 3; ++c) {
    std::vector<double> xs, ys;
    for (std::size_t k = 0; k < s.lengths.size(); ++k) {
      const rn::AddingResult& r = sweep.results[c][k];
      const std::string name = fmt::format("adding.{}.T{}", key(kCells[c]), s.lengths[k]);
      report.metric(name + ".best_mse", r.best_eval_mse);
      report.metric(name + ".steps_to_solve",
                    r.solved ? static_cast<double>(r.steps_to_solve) : std::nan(""));
      if (r.solved) max_length[c] = std::max(max_length[c], static_cast<double>(s.lengths[k]));
      xs.push_back(static_cast<double>(s.lengths[k]));
      ys.push_back(r.best_eval_mse / sweep.baseline);
    }
    fig.line_points(xs, ys, rn::cell_name(kCells[c]), {.color = static_cast<int>(c)});
  }
  fig.hline(threshold / sweep.baseline, "success: 10 % of 1/6", {.color = 8, .dash = true});
  for (std::size_t k = 0; k < s.lengths.size(); ++k) {
    std::vector<std::string> row{std::to_string(s.lengths[k])};
    for (std::size_t c = 0; c < 3; ++c) {
      const rn::AddingResult& r = sweep.results[c][k];
      row.push_back(r.solved ? fmt::format("solved at step {} ({})", r.steps_to_solve,
                                           mlc::num(r.best_eval_mse, 3))
                             : fmt::format("not solved (best {})", mlc::num(r.best_eval_mse, 3)));
    }
    rows.push_back(row);
  }
  report.text(fmt::format(
      "The adding problem (10): {} held-out sequences per length, the constant prediction ŷ = 1 "
      "scores MSE {} on them (1/6 in expectation). A cell **solves** a length when its held-out "
      "MSE, evaluated every 50 steps, falls below 10 % of 1/6, i.e. {}, within {} training steps "
      "(batch {}, H = {}, Adam (21) with η = 1e-2, gradients clipped at global norm 1 (9), the "
      "same settings for every cell; training stops at success). The longest length solved is "
      "T = {} for the RNN, T = {} for the LSTM and T = {} for the GRU.",
      s.eval_sequences, report.quote("adding.constant_baseline_mse", sweep.baseline),
      mlc::num(threshold, 3), s.max_steps, s.batch, s.hidden,
      report.quote("adding.rnn_max_length", max_length[0]),
      report.quote("adding.lstm_max_length", max_length[1]),
      report.quote("adding.gru_max_length", max_length[2])));
  report.table({"T", "RNN", "LSTM", "GRU"}, rows);
  report.figure(fig, "adding_success",
                "Best held-out MSE reached within the budget, relative to the constant predictor "
                "(1 = learned nothing); below the dashed line a length counts as solved.");
  fmt::print("Adding problem: longest solved T: RNN {}, LSTM {}, GRU {}\n", max_length[0],
             max_length[1], max_length[2]);
  return sweep;
}

// ---- 3. The gradient through time, and the vanishing-gradient failure mode ---------------------
void gradient_through_time(mlc::Report& report, const mlc::Options& opt, const Sweep& sweep) {
  report.section("The gradient through time");
  const Settings s = settings(opt.quick);
  const auto it = std::find(s.lengths.begin(), s.lengths.end(), s.norm_length);
  const std::size_t k = static_cast<std::size_t>(it - s.lengths.begin());
  const Index T = s.norm_length;
  mlc::Figure fig(fmt::format("‖∂L/∂h_t‖ through time, adding problem T = {}", T));
  fig.xlabel("step t (the loss is on the last step)")
      .ylabel("‖∂L/∂h_t‖ / ‖∂L/∂h_T‖")
      .logy()
      .legend("bottom right");
  double ratio_initial[3], ratio_final[3];
  for (std::size_t c = 0; c < 3; ++c) {
    const rn::AddingResult& r = sweep.results[c][k];
    std::vector<double> t(static_cast<std::size_t>(T)), a(t.size()), b(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
      t[i] = static_cast<double>(i + 1);
      a[i] = std::max(r.dh_norm_initial[i] / r.dh_norm_initial.back(), 1e-45);
      b[i] = r.dh_norm_final.empty() ? std::nan("")
                                     : std::max(r.dh_norm_final[i] / r.dh_norm_final.back(), 1e-45);
    }
    ratio_initial[c] = a.front();
    ratio_final[c] = b.front();
    report.metric("gradient_norm." + key(kCells[c]) + ".initial", a);
    report.metric("gradient_norm." + key(kCells[c]) + ".trained", b);
    report.metric("gradient_norm." + key(kCells[c]) + ".first_over_last_initial", a.front());
    report.metric("gradient_norm." + key(kCells[c]) + ".first_over_last_trained", b.front());
    fig.line(t, a, rn::cell_name(kCells[c]) + ", initialisation",
             {.color = static_cast<int>(c), .dash = true});
    if (!r.dh_norm_final.empty()) {
      fig.line(t, b, rn::cell_name(kCells[c]) + ", after training", {.color = static_cast<int>(c)});
    }
  }
  report.text(fmt::format(
      "For the adding problem of length T = {}, the loss sits on the last step only, so ∂L/∂h_t "
      "for t < T is pure backpropagation through time: the product of step Jacobians (3). Measured "
      "on 100 held-out sequences, ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ is {} for the RNN, {} for the LSTM and {} "
      "for the GRU at initialisation, and {}, {} and {} after the sweep's training at this length.",
      T, mlc::num(ratio_initial[0], 3), mlc::num(ratio_initial[1], 3),
      mlc::num(ratio_initial[2], 3), mlc::num(ratio_final[0], 3), mlc::num(ratio_final[1], 3),
      mlc::num(ratio_final[2], 3)));
  report.figure(fig, "gradient_through_time",
                "The norm of the gradient reaching each hidden state, relative to the last one, "
                "before (dashed) and after (solid) training. The first marker lies in the first "
                "half: what does not reach it cannot be learned.");
  // The failure mode, with the threshold of the sweep.
  double rnn_max = 0, lstm_max = 0, gru_max = 0;
  Index rnn_first_fail = 0;
  for (std::size_t j = 0; j < s.lengths.size(); ++j) {
    if (sweep.results[0][j].solved) rnn_max = static_cast<double>(s.lengths[j]);
    if (!sweep.results[0][j].solved && rnn_first_fail == 0) rnn_first_fail = s.lengths[j];
    if (sweep.results[1][j].solved) lstm_max = static_cast<double>(s.lengths[j]);
    if (sweep.results[2][j].solved) gru_max = static_cast<double>(s.lengths[j]);
  }
  report.failure_mode(
      {.name = "Vanishing gradients: the RNN cannot bridge a span the LSTM bridges",
       .trigger = fmt::format(
           "The adding problem at growing T, every cell with the same budget ({} steps), "
           "optimizer, clipping and width H = {}.",
           s.max_steps, s.hidden),
       .symptom = fmt::format(
           "The RNN solves T ≤ {} and fails from T = {} on (best MSE at T = {}: {} of the "
           "constant predictor's); the LSTM solves up to T = {}. At T = {} the gradient reaching "
           "h_1 is {} of that at h_T for the RNN at initialisation and {} after training.",
           rnn_max, rnn_first_fail, rnn_first_fail,
           rnn_first_fail
               ? mlc::num(
                     sweep
                             .results[0][static_cast<std::size_t>(
                                 std::find(s.lengths.begin(), s.lengths.end(), rnn_first_fail) -
                                 s.lengths.begin())]
                             .best_eval_mse /
                         sweep.baseline,
                     3)
               : "n/a",
           lstm_max, T, mlc::num(ratio_initial[0], 3), mlc::num(ratio_final[0], 3)),
       .why = "Backpropagated through k steps of h_t = tanh(a_t) the gradient is multiplied by k "
              "Jacobians diag(1 − h²) Uᵀ, whose norm is below ‖U‖₂ (3): it shrinks geometrically "
              "when ‖U‖₂ < 1, and the signal from the first marker never reaches the weights.",
       .mitigation = fmt::format(
           "The LSTM's cell state passes the gradient through diag(f_t) only (6), the "
           "constant error carousel: with forget gates near 1 it does not shrink. The LSTM solves "
           "up to T = {}, the GRU (whose h = z ⊙ h' + … is the same shortcut) up to T = {}.",
           lstm_max, gru_max)});
}

// ---- 4. Exploding gradients, clipped
// -------------------------------------------------------------
void exploding(mlc::Report& report, const mlc::Options& opt) {
  report.section("Failure mode: exploding gradients without clipping");
  const Settings s = settings(opt.quick);
  rn::AddingConfig config{.cell = Cell::rnn,
                          .length = 30,
                          .hidden = s.hidden,
                          .batch = s.batch,
                          .max_steps = s.exploding_steps,
                          .optimizer = rn::Optimizer::sgd,
                          .learning_rate = 0.05,
                          .momentum = 0.9,
                          .clip = 0.0,
                          .recurrent_scale = 4.0,
                          .eval_sequences = 200,
                          .eval_every = 50,
                          .stop_when_solved = false,
                          .seed = mlc::Rng(opt.seed).derive(4).next_u64()};
  const rn::AddingResult unclipped = rn::train_adding(config);
  config.clip = 1.0;
  const rn::AddingResult clipped = rn::train_adding(config);
  auto largest = [](const std::vector<double>& v) {
    double m = 0.0;
    for (double x : v)
      m = std::isfinite(x) ? std::max(m, x) : std::numeric_limits<double>::infinity();
    return m;
  };
  const double g_unclipped = largest(unclipped.gradient_norm);
  const double g_clipped = largest(clipped.gradient_norm);
  report.metric("exploding.unclipped.max_gradient_norm", g_unclipped);
  report.metric("exploding.unclipped.diverged", unclipped.diverged ? 1.0 : 0.0);
  report.metric("exploding.unclipped.steps_run", static_cast<double>(unclipped.steps));
  report.metric("exploding.unclipped.final_mse",
                unclipped.diverged ? std::nan("") : unclipped.final_eval_mse);
  report.metric("exploding.clipped.max_gradient_norm", g_clipped);
  report.metric("exploding.clipped.final_mse", clipped.final_eval_mse);
  mlc::Figure fig("RNN with a large recurrent initialisation: gradient norm per SGD step");
  fig.xlabel("training step").ylabel("global gradient norm ‖g‖ before clipping").logy();
  std::vector<double> su, sc;
  for (std::size_t i = 0; i < unclipped.gradient_norm.size(); ++i)
    su.push_back(static_cast<double>(i + 1));
  for (std::size_t i = 0; i < clipped.gradient_norm.size(); ++i)
    sc.push_back(static_cast<double>(i + 1));
  fig.line(su, unclipped.gradient_norm, "no clipping", {.color = 1});
  fig.line(sc, clipped.gradient_norm, "clipped at 1 (9)", {.color = 0});
  fig.hline(1.0, "clipping threshold", {.color = 8, .dash = true});
  report.figure(fig, "exploding",
                "The same network, data and SGD (η = 0.05, momentum 0.9) with and without "
                "clipping by global norm; a missing tail means the run stopped on a non-finite "
                "value.");
  const std::string outcome =
      unclipped.diverged
          ? fmt::format("stops on a non-finite loss or gradient after {} steps", unclipped.steps)
          : fmt::format("ends at held-out MSE {}", mlc::num(unclipped.final_eval_mse, 3));
  report.text(fmt::format(
      "An RNN (H = {}) whose recurrent matrix U is initialised 4 times larger than the default "
      "trained by SGD with momentum on the adding problem of length 30. "
      "Without clipping, the largest gradient norm is {} and the run {}; with clipping at "
      "global norm 1 the same run's largest norm before clipping is {} and it ends at held-out MSE "
      "{} "
      "(the constant predictor: about 0.167).",
      s.hidden, mlc::num(g_unclipped, 3), outcome, mlc::num(g_clipped, 3),
      mlc::num(clipped.final_eval_mse, 3)));
  report.failure_mode(
      {.name = "Exploding gradients without clipping",
       .trigger = "RNN with U initialised at 4× the default scale, SGD η = 0.05 with momentum 0.9, "
                  "adding problem T = 30, no gradient clipping.",
       .symptom = fmt::format("Largest global gradient norm {}; the unclipped run {}.",
                              mlc::num(g_unclipped, 3), outcome),
       .why = "When ‖U‖₂ times the tanh slopes exceeds 1 the product of step Jacobians (3) grows "
              "geometrically with the span; one such gradient times η moves the weights far "
              "outside the region the previous steps found (Pascanu et al. 2013).",
       .mitigation = fmt::format(
           "Clipping by global norm (9) keeps the direction and bounds the step at η · 1: the "
           "same run stays finite and ends at held-out MSE {}.",
           mlc::num(clipped.final_eval_mse, 3))});
  fmt::print("Exploding: unclipped max norm {}, {}; clipped final MSE {}\n",
             mlc::num(g_unclipped, 3), outcome, mlc::num(clipped.final_eval_mse, 3));
}

// ---- 5. A character model on tiny-shakespeare
// -----------------------------------------------------
void char_model(mlc::Report& report, const mlc::Options& opt, const rn::Corpus& corpus) {
  report.section("A character model on tiny-shakespeare");
  const Settings s = settings(opt.quick);
  mlc::Figure fig("Character model on tiny-shakespeare: validation loss");
  fig.xlabel("training step").ylabel("cross-entropy (nats per character)").legend("top right");
  std::vector<std::vector<std::string>> rows;
  double lstm_loss = 0.0;
  for (Cell cell : {Cell::lstm, Cell::rnn}) {
    const rn::CharConfig config{.cell = cell,
                                .hidden = s.char_hidden,
                                .embed = 32,
                                .length = s.char_length,
                                .batch = s.char_batch,
                                .steps = s.char_steps,
                                .learning_rate = 3e-3,
                                .clip = 1.0,
                                .eval_every = std::max<long>(1, s.char_steps / 10),
                                .eval_chunks = opt.quick ? 16 : 256,
                                .seed = mlc::Rng(opt.seed).derive(5).next_u64()};
    const rn::CharResult r = rn::train_char_model(corpus, config);
    const std::string name = "char." + key(cell);
    report.metric(name + ".validation_curve", r.eval_loss);
    report.metric(name + ".validation_loss", r.final_eval_loss);
    report.metric(name + ".parameters", static_cast<double>(r.parameters));
    report.timing(name + ".train_seconds", r.seconds);
    if (cell == Cell::lstm) lstm_loss = r.final_eval_loss;
    rows.push_back({rn::cell_name(cell), std::to_string(r.parameters),
                    mlc::num(r.final_eval_loss, 4),
                    mlc::num(r.final_eval_loss / std::log(2.0), 4)});
    fig.line_points(r.eval_step, r.eval_loss, rn::cell_name(cell),
                    {.color = cell == Cell::lstm ? 1 : 0});
  }
  const std::vector<double> steps{1.0, static_cast<double>(s.char_steps)};
  fig.line(steps, std::vector<double>(2, corpus.unigram_entropy), "unigram entropy",
           {.color = 8, .dash = true});
  report.metric("char.vocabulary", static_cast<double>(corpus.vocabulary.size()));
  report.text(fmt::format(
      "Next-character prediction (11) on data/tinyshakespeare.txt: {} distinct characters, the "
      "first 90 % ({} characters) for training, the rest for validation. Each model is an "
      "embedding (32 wide), one recurrent layer of H = {} and a linear read-out; {} Adam steps "
      "(η = 3e-3, clipping at 1) on {} random chunks of {} characters, h_0 = 0 at each chunk. "
      "The validation loss is the mean over {} chunks spread over the validation text. A model "
      "that knows only the character frequencies scores the unigram entropy, {} nats per "
      "character; the LSTM reaches {} nats per character.",
      corpus.vocabulary.size(), corpus.train_size, s.char_hidden, s.char_steps, s.char_batch,
      s.char_length, opt.quick ? 16 : 256,
      report.quote("char.unigram_entropy", corpus.unigram_entropy), mlc::num(lstm_loss)));
  report.table({"cell", "parameters", "validation nats/char", "bits/char"}, rows);
  report.figure(fig, "char_model",
                "Validation cross-entropy during training against the unigram entropy (dashed).");
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const rn::Corpus corpus = rn::load_corpus(mlc::data_dir() / "tinyshakespeare.txt");
  correctness(report, opt);
  op_speed(report, opt);
  const Sweep sweep = adding_sweep(report, opt);
  gradient_through_time(report, opt, sweep);
  exploding(report, opt);
  char_model(report, opt, corpus);
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
