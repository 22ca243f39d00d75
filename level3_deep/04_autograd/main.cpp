// 3.4 autograd: a reverse-mode automatic differentiation engine over matrices. The program
// checks every op against central differences, shows that 3.1's hand-written network and
// the engine give the same loss and gradients, trains one MLP on Fashion-MNIST in float32
// and in double (allocations per steady-state step counted), measures the size of the
// graphs later lessons will build, and provokes the two failure modes: gradients that
// accumulate because nobody zeroed them, and a wrong backward that only the gradient check
// catches. Run: ./learn run autograd [--quick] [--seed N] [--out DIR].
// Equation numbers (n) refer to NOTES.md.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "alloc_counter.hpp"
#include "autograd.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "mlc/timer.hpp"
#include "mlp.hpp"
#include "mlp_backprop.hpp"
#include "op_checks.hpp"

namespace ag = autograd;
using ag::Index;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "A reverse-mode automatic differentiation engine over matrices: a tape of nodes (value, "
    "gradient, parents) swept backwards in topological order, buffers reused across steps, "
    "products through Eigen's GEMM, float32 to train and double to check. Every op is checked "
    "against central differences; 3.1's hand-written network and the engine agree to rounding; an "
    "MLP trains on Fashion-MNIST in float32 and double with zero allocations per step; failure "
    "modes: gradients accumulated without zeroing, and a wrong backward caught by the gradient "
    "check.",
    "report.md, metrics.json, figures/gradcheck.svg, figures/float_vs_double.svg, "
    "figures/accumulation.svg, figures/wrong_backward.svg");

// Sizes of the full run and of --quick.
struct Settings {
  Index train_rows;       // Fashion-MNIST training images used
  Index eval_rows;        // test images used
  int epochs;             // float against double
  int failure_epochs;     // the failure-mode trainings
  Index compare_rows;     // batch of the comparison with 3.1
  int timing_steps;       // steps timed per implementation
  Index attention_batch;  // the attention graph: B sequences of T steps, width C
  Index attention_steps;
};
Settings settings(bool quick) {
  return quick ? Settings{2000, 500, 2, 1, 128, 5, 2, 16}
               : Settings{12000, 5000, 6, 3, 256, 40, 16, 64};
}

struct Data {
  Eigen::MatrixXd X_train, X_test;  // pixels in [0, 1]   [n × 784]
  Eigen::VectorXi y_train, y_test;
};

// "add (row broadcast: bias)" → "add_row_broadcast_bias", a metric name.
std::string slug(const std::string& name) {
  std::string out;
  for (char ch : name) {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}
// A short axis label: "add (row broadcast: bias)" → "add row", "MLP: ..." → "MLP".
std::string short_name(const std::string& name) {
  std::string out = name.substr(0, std::min({name.find(" ("), name.find(':'), name.find(',')}));
  if (name.find("row broadcast") != std::string::npos) out += " row";
  if (name.find("column broadcast") != std::string::npos) out += " col";
  if (name.find("scalar broadcast") != std::string::npos) out += " 1×1";
  return out;
}

// ---- 1. Every op against central differences --------------------------------------------
void op_table(mlc::Report& report, const mlc::Options& opt) {
  report.section("Every op against central differences");
  mlc::Rng rng = mlc::Rng(opt.seed).derive(1);
  const std::vector<ag::OpCase> cases = ag::op_cases(rng);
  const std::uint64_t adjoint_seed = mlc::Rng(opt.seed).derive(2).next_u64();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> labels;
  std::vector<double> digits_double, digits_float;
  double worst_double = 0.0, best_float = 1.0;
  for (const ag::OpCase& op : cases) {
    const ag::OpCheck d = ag::check_op(op, adjoint_seed), f = ag::check_op_float(op, adjoint_seed);
    report.metric("gradcheck." + slug(op.name) + ".double", d.relative_error);
    report.metric("gradcheck." + slug(op.name) + ".float", f.relative_error);
    rows.push_back({op.name, op.equation, std::to_string(d.entries), mlc::num(d.relative_error, 2),
                    mlc::num(f.relative_error, 2)});
    labels.push_back(short_name(op.name));
    digits_double.push_back(-std::log10(std::max(d.relative_error, 1e-16)));
    digits_float.push_back(-std::log10(std::max(f.relative_error, 1e-16)));
    worst_double = std::max(worst_double, d.relative_error);
    best_float = std::min(best_float, f.relative_error);
  }
  report.text(fmt::format(
      "Each op y = f(θ₁, …, θ_m) is checked as (19) says: a random adjoint R of y's shape "
      "seeds one backward pass, which gives the gradients of L = Σ R ⊙ y for every input; "
      "central differences of L give them again; the measure is mlc::gradcheck's norm-wise "
      "relative error ‖a − n‖ / (‖a‖ + ‖n‖), the largest over the op's inputs. {} "
      "cases (every op, each broadcasting form, an MLP's loss and a causal attention block); in "
      "double with h = 1e-6 the largest error is {}. The same check through the float32 build (h = "
      "1e-3) is never better than {}: rounding at ε ≈ 6e-8 swamps the differences, which is why "
      "the checks run in double through the same templated code.",
      report.quote("gradcheck.cases", static_cast<double>(cases.size())),
      report.quote("gradcheck.max_relative_error_double", worst_double, 2),
      report.quote("gradcheck.min_relative_error_float", best_float, 2)));
  report.table(
      {"op", "equation", "entries checked", "relative error, double", "relative error, float32"},
      rows);
  mlc::Figure fig("Gradient check of every op: digits of agreement with central differences");
  fig.xlabel("op")
      .ylabel("−log₁₀(relative error)")
      .size(1100, 520)
      .yrange(0, 16)
      .legend("top right");
  fig.bars(labels, digits_double, "double, h = 1e-6");
  Eigen::VectorXd positions = Eigen::VectorXd::LinSpaced(static_cast<Index>(labels.size()), 0,
                                                         static_cast<double>(labels.size()) - 1);
  fig.points(positions, digits_float, "float32, h = 1e-3", {.point_type = 7, .point_size = 1.0});
  fig.hline(6.0, "pass threshold 1e-6", {.color = 8, .dash = true});
  report.figure(
      fig, "gradcheck",
      fmt::format(
          "Digits of agreement (−log₁₀ of the norm-wise relative error (19)) of each op's "
          "backward with central differences. In double the weakest op agrees to {} digits; in "
          "float32 the best to {}, below the threshold of 6 that a correct double check clears.",
          mlc::num(-std::log10(worst_double), 2), mlc::num(-std::log10(best_float), 2)));
  fmt::print("Gradient checks: {} cases, worst double error {}, best float error {}\n",
             cases.size(), mlc::num(worst_double, 2), mlc::num(best_float, 2));
}

// ---- 2. The engine against 3.1's hand-written network ------------------------------------
void against_hand_written(mlc::Report& report, const mlc::Options& opt, const Data& data) {
  report.section("The engine against 3.1's hand-written backward pass");
  const Settings s = settings(opt.quick);
  const Eigen::MatrixXd X = data.X_train.topRows(s.compare_rows);
  const Eigen::VectorXi y = data.y_train.head(s.compare_rows);
  mlc::Rng rng = mlc::Rng(opt.seed).derive(3);
  std::vector<std::vector<std::string>> rows;
  double worst = 0.0;
  Index parameters = 0;
  for (auto activation : {mlp_backprop::Activation::relu, mlp_backprop::Activation::tanh,
                          mlp_backprop::Activation::sigmoid}) {
    const std::string name = mlp_backprop::activation_name(activation);
    auto hand = mlp_backprop::make_mlp({784, 128, 64, 10}, activation, rng);
    const double hand_loss = hand.loss_and_backward(X, y);
    const Eigen::VectorXd hand_grad = mlp_backprop::flatten_gradients(hand);
    parameters = hand_grad.size();
    auto engine = ag::from_mlp_backprop<double>(hand);
    auto engine_f = ag::from_mlp_backprop<float>(hand);
    ag::Tape<double> tape;
    ag::Tape<float> tape_f;
    const double loss = ag::loss_and_gradients(engine, tape, X, y);
    const double loss_f = ag::loss_and_gradients(engine_f, tape_f, X, y);
    const Eigen::VectorXd grad = ag::flatten_gradients(engine),
                          grad_f = ag::flatten_gradients(engine_f);
    const double rel = (grad - hand_grad).norm() / hand_grad.norm();
    const double rel_f = (grad_f - hand_grad).norm() / hand_grad.norm();
    const double loss_diff = std::abs(loss - hand_loss) / hand_loss;
    worst = std::max(worst, rel);
    report.metric("vs_mlp_backprop." + name + ".loss", hand_loss);
    report.metric("vs_mlp_backprop." + name + ".loss_relative_difference", loss_diff);
    report.metric("vs_mlp_backprop." + name + ".gradient_relative_difference", rel);
    report.metric("vs_mlp_backprop." + name + ".float.gradient_relative_difference", rel_f);
    report.metric("vs_mlp_backprop." + name + ".float.loss_relative_difference",
                  std::abs(loss_f - hand_loss) / hand_loss);
    rows.push_back({name, mlc::num(hand_loss, 6), mlc::num(loss_diff, 2), mlc::num(rel, 2),
                    mlc::num(rel_f, 2)});
    // Time per step (forward and backward) of each, on the same batch.
    auto time_steps = [&](auto&& step) {
      mlc::Timer t;
      for (int i = 0; i < s.timing_steps; ++i) step();
      return t.seconds() / s.timing_steps;
    };
    report.timing("vs_mlp_backprop." + name + ".hand_written_double.seconds_per_step",
                  time_steps([&] { hand.loss_and_backward(X, y); }));
    report.timing("vs_mlp_backprop." + name + ".engine_double.seconds_per_step",
                  time_steps([&] { ag::loss_and_gradients(engine, tape, X, y); }));
    report.timing("vs_mlp_backprop." + name + ".engine_float.seconds_per_step",
                  time_steps([&] { ag::loss_and_gradients(engine_f, tape_f, X, y); }));
  }
  report.text(fmt::format(
      "3.1's network (784-128-64-10, its own initialisation, one per hidden activation) computes "
      "the mean cross-entropy of {} Fashion-MNIST training images and its gradient with the "
      "hand-written forward/backward pairs (mlp_backprop::Mlp::loss_and_backward); the engine gets "
      "the same weights (from_mlp_backprop) and records the same network on its tape. In double "
      "the two agree to rounding: the largest norm-wise relative difference of the {}-entry "
      "gradient is {}. The float32 engine differs by float rounding. Time per step of each is in "
      "the Timing table.",
      s.compare_rows, parameters,
      report.quote("vs_mlp_backprop.max_gradient_relative_difference", worst, 2)));
  report.table(
      {"hidden activation", "loss (3.1)", "loss: relative difference",
       "gradient: relative difference (double)", "gradient: relative difference (float32 engine)"},
      rows);
  fmt::print("Against 3.1: largest gradient relative difference {}\n", mlc::num(worst, 2));
}

// ---- 3. The size of a graph ----------------------------------------------------------------
void graph_size(mlc::Report& report, const mlc::Options& opt) {
  report.section("What a tape holds");
  const Settings s = settings(opt.quick);
  mlc::Rng rng = mlc::Rng(opt.seed).derive(4);
  std::vector<std::vector<std::string>> rows;
  auto add_row = [&](const std::string& key, const std::string& what, const ag::TapeStats& st) {
    report.metric("graph." + key + ".nodes", st.nodes);
    report.metric("graph." + key + ".mebibytes", static_cast<double>(st.bytes) / (1024.0 * 1024.0));
    rows.push_back({what, std::to_string(st.nodes),
                    mlc::num(static_cast<double>(st.bytes) / (1024.0 * 1024.0), 3)});
  };
  {  // 3.1's MLP, one training step of 128 images
    auto net = ag::make_mlp<float>({784, 256, 128, 10}, ag::Activation::relu, rng);
    ag::Tape<float> tape;
    const Eigen::MatrixXd X = rng.uniform_matrix(128, 784);
    Eigen::VectorXi y(128);
    for (Index i = 0; i < 128; ++i) y(i) = static_cast<int>(rng.index(10));
    ag::loss_and_gradients(net, tape, X, y);
    add_row("mlp", "MLP 784-256-128-10, batch 128 (section 4)", tape.stats());
  }
  for (Index heads : {Index(1), Index(4)}) {  // one attention block at the size 3.8 trains
    const Index B = s.attention_batch, T = s.attention_steps, C = 128;
    ag::Parameter<float> w_qkv("Wqkv",
                               ag::to_matrix<float>(rng.normal_matrix(C, 3 * C, 0.0, 0.05)));
    ag::Parameter<float> w_o("Wo", ag::to_matrix<float>(rng.normal_matrix(C, C, 0.0, 0.05)));
    ag::Parameter<float> gain("g", ag::Matrix<float>::Ones(1, C), false),
        bias("b", ag::Matrix<float>::Zero(1, C), false);
    ag::Tape<float> tape;
    const ag::Var<float> x = tape.input(rng.normal_matrix(B * T, C));
    const ag::Var<float> y = ag::attention_block(x, tape.param(w_qkv), tape.param(w_o),
                                                 tape.param(gain), tape.param(bias), B, heads);
    tape.backward(ag::mean(y));
    add_row(fmt::format("attention_{}_heads", heads),
            fmt::format("causal self-attention block, B = {}, T = {}, C = {}, {} head(s)", B, T, C,
                        heads),
            tape.stats());
  }
  report.text(
      "Nodes are whole matrices: one MLP layer is three nodes (matmul, bias add, activation), not "
      "one per scalar as in 1.3's tape. The memory is every node's value, gradient and saved "
      "buffers (softmax probabilities, layer-norm statistics, dropout masks), held by the tape "
      "after reset() for the next step; the attention block's T × T score matrices dominate it.");
  report.table({"graph (float32, forward and backward)", "nodes", "buffers held (MiB)"}, rows);
}

// ---- 4. float32 against double ------------------------------------------------------------
void float_vs_double(mlc::Report& report, const mlc::Options& opt, const Data& data) {
  report.section("Training in float32 and in double");
  const Settings s = settings(opt.quick);
  mlc::Rng rng = mlc::Rng(opt.seed).derive(5);
  const auto init = ag::make_mlp<double>({784, 256, 128, 10}, ag::Activation::relu, rng);
  auto net_f = ag::cast_mlp<float>(init);
  auto net_d = ag::cast_mlp<double>(init);
  const ag::TrainConfig config{.epochs = s.epochs,
                               .batch_size = 128,
                               .optimizer = ag::Optimizer::adam,
                               .learning_rate = 1e-3,
                               .seed = mlc::Rng(opt.seed).derive(6).next_u64(),
                               .evaluate_every = 1};
  const auto tf = ag::train_classifier(net_f, data.X_train, data.y_train, data.X_test, data.y_test,
                                       config, alloc_counter::allocations);
  const auto td = ag::train_classifier(net_d, data.X_train, data.y_train, data.X_test, data.y_test,
                                       config, alloc_counter::allocations);
  Eigen::VectorXd step(tf.steps), loss_f(tf.steps), loss_d(tf.steps), gap(tf.steps);
  for (long i = 0; i < tf.steps; ++i) {
    step(i) = static_cast<double>(i + 1);
    loss_f(i) = tf.step_loss[static_cast<std::size_t>(i)];
    loss_d(i) = td.step_loss[static_cast<std::size_t>(i)];
    gap(i) = std::abs(loss_f(i) - loss_d(i));
  }
  const double per_step_f =
      static_cast<double>(tf.steady_state_allocations) / static_cast<double>(tf.steps - 1);
  const double per_step_d =
      static_cast<double>(td.steady_state_allocations) / static_cast<double>(td.steps - 1);
  report.timing("float_vs_double.float.seconds_per_step",
                tf.seconds_in_steps / static_cast<double>(tf.steps));
  report.timing("float_vs_double.double.seconds_per_step",
                td.seconds_in_steps / static_cast<double>(td.steps));
  report.metric("float_vs_double.step_loss_float", loss_f);
  report.metric("float_vs_double.step_loss_double", loss_d);
  report.text(fmt::format(
      "The same MLP (784-256-128-10, ReLU, He initialisation drawn once in double) trained from "
      "the same weights on the same minibatches ({} Fashion-MNIST training images, batch 128, Adam "
      "(21) with η = 1e-3, {} epochs = {} steps), once in float32 and once in double. The "
      "minibatch losses of the two runs differ by at most {} over all steps ({} at the last): "
      "float rounding (ε ≈ 6e-8) does not build up into a different trajectory here. Final "
      "training loss {} (float32) and {} (double), test accuracy on {} test images {} and {}. Heap "
      "allocations counted inside steps 2 … {} (alloc_counter: every malloc and operator new of "
      "the process): {} per step in float32, {} in double. Time per step of each is in the Timing "
      "table.",
      s.train_rows, s.epochs, tf.steps,
      report.quote("float_vs_double.max_step_loss_gap", gap.maxCoeff(), 2),
      report.quote("float_vs_double.last_step_loss_gap", gap(tf.steps - 1), 2),
      report.quote("float_vs_double.float.final_train_loss", tf.epoch_loss.back()),
      report.quote("float_vs_double.double.final_train_loss", td.epoch_loss.back()), s.eval_rows,
      report.quote("float_vs_double.float.test_accuracy", tf.eval_accuracy.back()),
      report.quote("float_vs_double.double.test_accuracy", td.eval_accuracy.back()), tf.steps,
      report.quote("float_vs_double.float.allocations_per_step", per_step_f),
      report.quote("float_vs_double.double.allocations_per_step", per_step_d)));
  std::vector<std::vector<std::string>> rows;
  for (std::size_t e = 0; e < tf.eval_epoch.size(); ++e) {
    rows.push_back({mlc::num(tf.eval_epoch[e]), mlc::num(tf.epoch_loss[e]),
                    mlc::num(td.epoch_loss[e]), mlc::num(tf.eval_loss[e]),
                    mlc::num(td.eval_loss[e]), mlc::num(tf.eval_accuracy[e]),
                    mlc::num(td.eval_accuracy[e])});
  }
  report.table({"epoch", "train loss, float32", "train loss, double", "test loss, float32",
                "test loss, double", "test accuracy, float32", "test accuracy, double"},
               rows);
  report.metric("float_vs_double.float.test_loss", tf.eval_loss.back());
  report.metric("float_vs_double.double.test_loss", td.eval_loss.back());
  mlc::Figure fig("Float32 and double training of the same MLP on Fashion-MNIST");
  fig.xlabel("training step (minibatch of 128)")
      .ylabel("minibatch cross-entropy (nats)")
      .logy()
      .legend("bottom left");
  fig.line(step, loss_d, "double", {.color = 0});
  fig.line(step, loss_f, "float32", {.color = 1, .dash = true});
  fig.line(step, gap, "|float32 − double|", {.color = 2, .width = 1.0});
  report.figure(
      fig, "float_vs_double",
      fmt::format("Minibatch loss of every step in both precisions (the curves overlap) and their "
                  "absolute difference, at most {} over {} steps.",
                  mlc::num(gap.maxCoeff(), 2), tf.steps));
  fmt::print(
      "float32 vs double: final loss {} / {}, accuracy {} / {}, allocations per step {} / {}\n",
      mlc::num(tf.epoch_loss.back()), mlc::num(td.epoch_loss.back()),
      mlc::num(tf.eval_accuracy.back()), mlc::num(td.eval_accuracy.back()), per_step_f, per_step_d);
}

// The largest finite value (NaN when there is none).
double max_finite(const std::vector<double>& values) {
  double best = std::nan("");
  for (double v : values) {
    if (std::isfinite(v) && !(v <= best)) best = v;
  }
  return best;
}

// ---- 5. Failure mode: gradients accumulate when nobody zeroes them -------------------------
void accumulation(mlc::Report& report, const mlc::Options& opt, const Data& data) {
  report.section("Failure mode: a graph reused without zeroing the gradients");
  const Settings s = settings(opt.quick);
  mlc::Rng rng = mlc::Rng(opt.seed).derive(7);
  // (a) k backward passes over one graph, without zero_grad in between.
  auto net = ag::make_mlp<double>({784, 64, 10}, ag::Activation::relu, rng);
  const Eigen::MatrixXd X = data.X_train.topRows(128);
  const Eigen::VectorXi y = data.y_train.head(128);
  ag::Tape<double> tape;
  ag::loss_and_gradients(net, tape, X, y);
  const Eigen::VectorXd g1 = ag::flatten_gradients(net);
  const ag::Var<double> loss = ag::cross_entropy(net.logits(tape, tape.input(X)), y);
  std::vector<double> ratio{1.0}, deviation{0.0};
  for (int k = 2; k <= 5; ++k) {
    tape.backward(loss);
    const Eigen::VectorXd gk = ag::flatten_gradients(net);
    ratio.push_back(gk.norm() / g1.norm());
    deviation.push_back((gk - k * g1).norm() / (k * g1.norm()));
  }
  report.metric("accumulation.gradient_norm_ratio", ratio);
  report.metric("accumulation.relative_deviation_from_k_times", deviation);
  // (b) SGD trained with and without zero_grad, from the same weights on the same batches.
  auto init = ag::make_mlp<double>({784, 64, 10}, ag::Activation::relu, rng);
  ag::TrainConfig config{.epochs = s.failure_epochs,
                         .batch_size = 64,
                         .optimizer = ag::Optimizer::sgd,
                         .learning_rate = 0.05,
                         .seed = mlc::Rng(opt.seed).derive(8).next_u64(),
                         .evaluate_every = 1};
  auto correct = ag::cast_mlp<float>(init);
  const auto tc =
      ag::train_classifier(correct, data.X_train, data.y_train, data.X_test, data.y_test, config);
  config.zero_grad = false;
  auto stale = ag::cast_mlp<float>(init);
  const auto ts =
      ag::train_classifier(stale, data.X_train, data.y_train, data.X_test, data.y_test, config);
  const double stale_loss = ts.diverged ? std::nan("") : ts.epoch_loss.back();
  const double stale_acc = ts.diverged ? std::nan("") : ts.eval_accuracy.back();
  report.metric("accumulation.sgd.diverged", ts.diverged ? 1.0 : 0.0);
  report.metric("accumulation.sgd.steps_run", static_cast<double>(ts.steps));
  report.metric("accumulation.sgd.zeroed.final_train_loss", tc.epoch_loss.back());
  report.metric("accumulation.sgd.zeroed.test_accuracy", tc.eval_accuracy.back());
  report.metric("accumulation.sgd.not_zeroed.final_train_loss", stale_loss);
  report.metric("accumulation.sgd.not_zeroed.test_accuracy", stale_acc);
  report.metric("accumulation.sgd.not_zeroed.max_step_loss", max_finite(ts.step_loss));
  const double max_dev = *std::max_element(deviation.begin(), deviation.end());
  report.text(fmt::format(
      "Backward adds into the parameters' gradients (2): a parameter used by several ops, or "
      "several minibatches accumulated on purpose, needs exactly that. The price is (23): after k "
      "backward passes without zero_grad the gradient is k times the true one. Measured on a "
      "784-64-10 MLP and 128 images: ‖g_k‖/‖g_1‖ = {} for k = 1 … 5, and the largest "
      "relative deviation ‖g_k − k g_1‖ / ‖k g_1‖ is {}.",
      fmt::join(std::vector<std::string>{mlc::num(ratio[0], 6), mlc::num(ratio[1], 6),
                                         mlc::num(ratio[2], 6), mlc::num(ratio[3], 6),
                                         mlc::num(ratio[4], 6)},
                ", "),
      report.quote("accumulation.max_relative_deviation", max_dev, 2)));
  Eigen::VectorXd sc(tc.steps), lc(tc.steps), ss(ts.steps), ls(ts.steps);
  for (long i = 0; i < tc.steps; ++i)
    sc(i) = static_cast<double>(i + 1), lc(i) = tc.step_loss[static_cast<std::size_t>(i)];
  for (long i = 0; i < ts.steps; ++i)
    ss(i) = static_cast<double>(i + 1), ls(i) = ts.step_loss[static_cast<std::size_t>(i)];
  mlc::Figure fig("SGD with and without zeroing the gradients before each backward pass");
  fig.xlabel("training step (minibatch of 64)")
      .ylabel("minibatch cross-entropy (nats)")
      .logy()
      .legend("top right");
  fig.line(sc, lc, "zero_grad before each backward", {.color = 0});
  fig.line(ss, ls, "no zero_grad: gradients accumulate", {.color = 1});
  report.figure(
      fig, "accumulation",
      fmt::format(
          "The same network, data order and step size η = 0.05. Without zeroing, step t moves "
          "along the sum of all gradients so far: the loss reaches {} at its worst and ends the "
          "last epoch at {} (mean), against {} with zero_grad.",
          mlc::num(max_finite(ts.step_loss)), mlc::num(stale_loss),
          mlc::num(tc.epoch_loss.back())));
  report.text(fmt::format(
      "Trained with SGD (η = 0.05, batch 64, {} epoch(s) on {} images) from the same weights in "
      "the same data order, the run that never zeroes ends at a training loss of {} and a test "
      "accuracy of {} (chance is 0.1); the run that zeroes before each backward reaches {} and {}.",
      s.failure_epochs, s.train_rows, mlc::num(stale_loss), mlc::num(stale_acc),
      mlc::num(tc.epoch_loss.back()), mlc::num(tc.eval_accuracy.back())));
  report.failure_mode(
      {.name = "A graph reused without zeroing the gradients",
       .trigger =
           "Backward called again (on the same graph, or on each new minibatch) without zero_grad; "
           "SGD with η = 0.05 on a 784-64-10 MLP.",
       .symptom = fmt::format(
           "Gradient after k passes = k × the true one (‖g_k‖/‖g_1‖ = {} at k = 5, "
           "deviation from 5 g_1 {}); SGD {} {} steps (largest minibatch loss {}, final epoch loss "
           "{}, test accuracy {}).",
           mlc::num(ratio[4], 6), mlc::num(deviation[4], 2), ts.diverged ? "diverged after" : "ran",
           ts.steps, mlc::num(max_finite(ts.step_loss)), mlc::num(stale_loss), mlc::num(stale_acc)),
       .why = "Backward accumulates into parameter gradients (2), by design: the sum over a "
              "parameter's uses. Without zeroing, the gradient of step t is Σ_{s ≤ t} g_s, so "
              "SGD takes ever larger steps along a stale direction (momentum 1 with no damping).",
       .mitigation = fmt::format(
           "zero_grad before each backward: the gradient equals g_1 again (tested), and the same "
           "training reaches loss {} and test accuracy {}.",
           mlc::num(tc.epoch_loss.back()), mlc::num(tc.eval_accuracy.back()))});
  fmt::print("Accumulation: ratio at k = 5 {}; SGD without zeroing {}, with zeroing loss {}\n",
             mlc::num(ratio[4], 6), ts.diverged ? "diverged" : "ran",
             mlc::num(tc.epoch_loss.back()));
}

// ---- 6. Failure mode: a wrong backward that trains anyway ----------------------------------
void wrong_backward(mlc::Report& report, const mlc::Options& opt, const Data& data) {
  report.section("Failure mode: a wrong backward caught by the gradient check");
  const Settings s = settings(opt.quick);
  mlc::Rng rng = mlc::Rng(opt.seed).derive(9);
  const ag::OpCase broken = ag::sigmoid_missing_factor_case(rng);
  ag::OpCase correct = broken;
  correct.name = "sigmoid";
  correct.build_double = [](ag::Tape<double>&, std::span<const ag::Var<double>> x) {
    return ag::sigmoid(x[0]);
  };
  const std::uint64_t adjoint_seed = mlc::Rng(opt.seed).derive(10).next_u64();
  std::vector<double> steps, error_correct, error_broken;
  for (int e = 1; e <= 9; ++e) {
    const double h = std::pow(10.0, -e);
    steps.push_back(h);
    error_correct.push_back(ag::check_op(correct, adjoint_seed, h).relative_error);
    error_broken.push_back(ag::check_op(broken, adjoint_seed, h).relative_error);
  }
  report.metric("wrong_backward.h", steps);
  report.metric("wrong_backward.error_correct", error_correct);
  report.metric("wrong_backward.error_broken", error_broken);
  const double broken_at = ag::check_op(broken, adjoint_seed).relative_error;
  const double correct_at = ag::check_op(correct, adjoint_seed).relative_error;
  mlc::Figure fig("Gradient check of sigmoid and of a sigmoid whose backward misses (1 − y)");
  fig.xlabel("finite-difference step h")
      .ylabel("norm-wise relative error (19)")
      .logx()
      .logy()
      .yrange(1e-14, 10);
  fig.legend("bottom right");
  fig.line_points(steps, error_correct, "correct backward: dY ⊙ y(1 − y)", {.color = 0});
  fig.line_points(steps, error_broken, "wrong backward: dY ⊙ y", {.color = 1});
  fig.hline(1e-6, "pass threshold", {.color = 8, .dash = true});
  report.figure(
      fig, "wrong_backward",
      "The correct backward shows 1.3's V: truncation error falling as h² from the right, "
      "rounding rising as 1/h to the left. The wrong one sits on a plateau no step size removes: "
      "the error is in the derivative, not in the differences.");
  // Train the same sigmoid MLP with the correct and the wrong backward.
  auto init = ag::make_mlp<double>({784, 64, 10}, ag::Activation::sigmoid, rng);
  const ag::TrainConfig config{.epochs = s.failure_epochs,
                               .batch_size = 64,
                               .optimizer = ag::Optimizer::adam,
                               .learning_rate = 1e-3,
                               .seed = mlc::Rng(opt.seed).derive(11).next_u64(),
                               .evaluate_every = 1};
  auto good = ag::cast_mlp<float>(init), bad = ag::cast_mlp<float>(init);
  bad.hidden = ag::sigmoid_missing_factor<float>;
  const auto tg =
      ag::train_classifier(good, data.X_train, data.y_train, data.X_test, data.y_test, config);
  const auto tb =
      ag::train_classifier(bad, data.X_train, data.y_train, data.X_test, data.y_test, config);
  report.metric("wrong_backward.correct.test_accuracy", tg.eval_accuracy.back());
  report.metric("wrong_backward.broken.test_accuracy", tb.eval_accuracy.back());
  report.metric("wrong_backward.correct.final_train_loss", tg.epoch_loss.back());
  report.metric("wrong_backward.broken.final_train_loss", tb.epoch_loss.back());
  report.text(fmt::format(
      "A new op written through Tape::record, as later lessons will write theirs: a sigmoid whose "
      "forward is right and whose backward adds dY ⊙ y instead of dY ⊙ y(1 − y) (6). The "
      "gradient check reports {} at h = 1e-6 where the correct sigmoid gets {}. Trained for {} "
      "epoch(s) on {} images (784-64-10, sigmoid hidden layer, Adam), the wrong network still "
      "learns: test accuracy {} (chance is 0.1) against {} with the correct backward. Without the "
      "correct run beside it, nothing in the wrong run's curve says 'bug' rather than 'weak "
      "model': only the derivative check does.",
      report.quote("wrong_backward.relative_error_broken", broken_at, 2),
      report.quote("wrong_backward.relative_error_correct", correct_at, 2), s.failure_epochs,
      s.train_rows, mlc::num(tb.eval_accuracy.back()), mlc::num(tg.eval_accuracy.back())));
  report.failure_mode(
      {.name = "A wrong backward",
       .trigger = "A custom sigmoid op whose backward misses the factor (1 − y): dX += dY ⊙ y.",
       .symptom = fmt::format(
           "Norm-wise relative error {} against central differences, and never below {} at any "
           "step h from 1e-1 to 1e-9; yet the network trains to test accuracy {} (correct: {}).",
           mlc::num(broken_at, 3),
           mlc::num(*std::min_element(error_broken.begin(), error_broken.end()), 3),
           mlc::num(tb.eval_accuracy.back()), mlc::num(tg.eval_accuracy.back())),
       .why = "The wrong derivative y is larger than y(1 − y) by the factor 1/(1 − y) and has the "
              "same sign, so it still points downhill roughly: training tolerates it, and nothing "
              "but a derivative check can tell.",
       .mitigation =
           fmt::format("Check every op against central differences in double before using it (the "
                       "op table): the correct sigmoid's error is {}.",
                       mlc::num(correct_at, 2))});
  fmt::print("Wrong backward: gradcheck {} (correct {}); accuracy {} vs {}\n",
             mlc::num(broken_at, 3), mlc::num(correct_at, 2), mlc::num(tb.eval_accuracy.back()),
             mlc::num(tg.eval_accuracy.back()));
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const Settings s = settings(opt.quick);
  Data data;
  if (opt.quick) {
    // Decoding the 60 000-image training file takes seconds; --quick takes both of its parts
    // from the 10 000-image test file instead (disjoint rows).
    const mlc::Dataset test = mlc::load_fashion_mnist(false, s.train_rows + s.eval_rows);
    data = {test.X.topRows(s.train_rows), test.X.bottomRows(s.eval_rows),
            test.labels().head(s.train_rows), test.labels().tail(s.eval_rows)};
  } else {
    const mlc::Dataset train = mlc::load_fashion_mnist(true, s.train_rows);
    const mlc::Dataset test = mlc::load_fashion_mnist(false, s.eval_rows);
    data = {train.X, test.X, train.labels(), test.labels()};
  }
  op_table(report, opt);
  against_hand_written(report, opt, data);
  graph_size(report, opt);
  float_vs_double(report, opt, data);
  accumulation(report, opt, data);
  wrong_backward(report, opt, data);
  report.headline({"vs_mlp_backprop.max_gradient_relative_difference",
                   "float_vs_double.float.test_accuracy",
                   "float_vs_double.float.allocations_per_step"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
