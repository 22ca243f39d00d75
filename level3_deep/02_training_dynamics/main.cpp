// 3.2 training_dynamics: what decides whether a deep network trains. The program sweeps
// initialisation × activation through a 20-layer network and measures every layer's
// gradient; trains Fashion-MNIST MLPs without normalisation, with batch norm and with layer
// norm; sweeps the learning rate into divergence and tries warm-up + cosine against it;
// counts the ReLU units a large step kills; and measures what dropout and weight decay do to
// the gap between training and validation accuracy on a small training set.
// Run: ./learn run training_dynamics [--quick] [--seed N] [--out DIR].
// Equation numbers (n) refer to NOTES.md.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "training_dynamics.hpp"

namespace td = training_dynamics;
using td::Index;
using td::Matrix;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Training dynamics: initialisation (small, Glorot/Xavier, He, large), activations (sigmoid, "
    "tanh, ReLU, GELU), batch and layer normalisation, dropout, weight decay and learning-rate "
    "schedules, written as hand-written forward/backward layers. Measures every layer's gradient "
    "in a 20-layer network for each initialisation and activation, Fashion-MNIST loss curves with "
    "and without normalisation, a learning-rate sweep into divergence, the fraction of ReLU units "
    "a large step kills, and the train/validation gap under dropout and weight decay.",
    "report.md, metrics.json, figures/deep20_weight_grads.svg, figures/deep20_backprop.svg, "
    "figures/deep20_forward.svg, figures/norm_loss_curves.svg, figures/lr_sweep.svg, "
    "figures/schedules.svg, figures/regularization.svg");

// Sizes of the full run and of --quick.
struct Settings {
  Index deep_width, deep_batch;  // the 20-layer sweep
  Index train_rows, val_rows;    // Fashion-MNIST
  Index mlp_width;               // hidden width of the Fashion-MNIST MLPs
  int mlp_hidden;                // their number of hidden layers
  int norm_epochs, lr_epochs;
  Index reg_rows;  // the small training set of the regularisation section
  int reg_epochs;
};
Settings settings(bool quick) {
  return quick ? Settings{64, 64, 800, 400, 64, 4, 1, 1, 300, 2}
               : Settings{256, 256, 10000, 5000, 128, 6, 6, 2, 1000, 30};
}

struct Data {
  Matrix<float> X_train, X_val;  // pixels in [0, 1]   [n × 784]
  Eigen::VectorXi y_train, y_val;
};

Data load_data(const Settings& s, bool quick) {
  if (quick) {  // both parts from the 10 000-image test file (disjoint rows): fast to decode
    const mlc::Dataset test = mlc::load_fashion_mnist(false, s.train_rows + s.val_rows);
    return {test.X.topRows(s.train_rows).cast<float>(), test.X.bottomRows(s.val_rows).cast<float>(),
            test.labels().head(s.train_rows), test.labels().tail(s.val_rows)};
  }
  const mlc::Dataset train = mlc::load_fashion_mnist(true, s.train_rows);
  const mlc::Dataset test = mlc::load_fashion_mnist(false, s.val_rows);
  return {train.X.cast<float>(), test.X.cast<float>(), train.labels(), test.labels()};
}

// {784, w, …, w, 10} with `hidden` hidden layers of width w.
std::vector<Index> mlp_sizes(const Settings& s) {
  std::vector<Index> sizes{784};
  for (int l = 0; l < s.mlp_hidden; ++l) sizes.push_back(s.mlp_width);
  sizes.push_back(10);
  return sizes;
}

Eigen::VectorXd steps_axis(std::size_t n) {
  return Eigen::VectorXd::LinSpaced(static_cast<Index>(n), 1, static_cast<double>(n));
}

// Moving average over `window` steps (shorter at the start), to read a noisy minibatch curve.
std::vector<double> smooth(const std::vector<double>& v, std::size_t window) {
  std::vector<double> out(v.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    sum += v[i];
    if (i >= window) sum -= v[i - window];
    out[i] = sum / static_cast<double>(std::min(i + 1, window));
  }
  return out;
}

// ---- 1. Gradients through 20 layers -------------------------------------------------------

struct DeepRun {
  std::string key, label;
  td::DepthProfile profile;
};

const std::vector<td::Init> kInits{td::Init::small, td::Init::xavier, td::Init::he,
                                   td::Init::large};
const std::vector<td::Activation> kActivations{td::Activation::sigmoid, td::Activation::tanh,
                                               td::Activation::relu, td::Activation::gelu};

std::map<std::string, DeepRun> depth_sweep(mlc::Report& report, const mlc::Options& opt) {
  report.section("Gradients through 20 layers: initialisation × activation");
  const Settings s = settings(opt.quick);
  mlc::Rng data_rng = mlc::Rng(opt.seed).derive(1);
  // Inputs x ~ N(0, I) and labels of a random linear teacher: argmax of x V over 10 classes.
  const Matrix<double> X =
      autograd::to_matrix<double>(data_rng.normal_matrix(s.deep_batch, s.deep_width));
  const Eigen::MatrixXd V = data_rng.normal_matrix(s.deep_width, 10);
  Eigen::VectorXi y(s.deep_batch);
  for (Index i = 0; i < s.deep_batch; ++i) (Eigen::MatrixXd(X.row(i)) * V).row(0).maxCoeff(&y(i));
  std::vector<Index> sizes(20, s.deep_width);
  sizes.push_back(10);
  std::map<std::string, DeepRun> runs;
  std::vector<std::vector<std::string>> rows;
  auto measure = [&](td::Init init, td::Activation act, td::Norm norm) {
    mlc::Rng rng = mlc::Rng(opt.seed).derive(2);  // the same normal draws for every config
    auto net = td::make_network<double>(
        {.sizes = sizes, .activation = act, .init = init, .norm = norm}, rng);
    DeepRun run{td::init_name(init) + "_" + td::activation_name(act) +
                    (norm == td::Norm::none ? "" : "_" + td::norm_name(norm)),
                td::init_name(init) + " + " + td::activation_name(act) +
                    (norm == td::Norm::none ? "" : " + " + td::norm_name(norm)),
                td::depth_profile(net, X, y)};
    const auto& p = run.profile;
    const std::string m = "deep20." + run.key + ".";
    const double ratio = p.weight_grad_norm.front() / p.weight_grad_norm.back();
    const double backprop = p.output_grad_norm.front() / p.output_grad_norm.back();
    const double forward = p.output_rms[18] / p.output_rms[0];
    report.metric(m + "grad_norm_ratio", ratio);
    report.metric(m + "grad_norm_first", p.weight_grad_norm.front());
    report.metric(m + "grad_norm_last", p.weight_grad_norm.back());
    report.metric(m + "backprop_ratio", backprop);
    report.metric(m + "forward_rms_ratio", forward);
    report.metric(m + "loss", p.loss);
    rows.push_back({run.label, mlc::num(p.weight_grad_norm.front(), 3),
                    mlc::num(p.weight_grad_norm.back(), 3), mlc::num(ratio, 3),
                    mlc::num(backprop, 3), mlc::num(forward, 3), mlc::num(p.loss, 3)});
    runs[run.key] = std::move(run);
  };
  for (td::Init init : kInits) {
    for (td::Activation act : kActivations) measure(init, act, td::Norm::none);
  }
  for (td::Init init : {td::Init::large, td::Init::small}) {
    for (td::Activation act : {td::Activation::relu, td::Activation::sigmoid}) {
      measure(init, act, td::Norm::batch);
    }
  }
  report.text(fmt::format(
      "Twenty linear layers of width {} (the last one to 10 classes), each hidden one followed by "
      "the activation, one forward and backward pass of the mean cross-entropy (19) on a batch "
      "of {} Gaussian inputs labelled by a random linear teacher. Every configuration draws the "
      "same standard normal numbers and scales them by its rule's σ (3)-(4), so the rows differ "
      "only in the rule. Columns: ‖∂L/∂W_l‖_F of the first and last layer and their ratio (the "
      "brief's grad_norm_ratio); the ratio ‖∂L/∂Z_1‖/‖∂L/∂Z_20‖ of the gradients backpropagated "
      "into the layers' outputs; the ratio of the root mean square of Z_19 to that of Z_1 (the "
      "forward scale); the loss at initialisation.",
      s.deep_width, s.deep_batch));
  report.table({"init + activation", "‖∂L/∂W_1‖", "‖∂L/∂W_20‖", "ratio first/last",
                "‖∂L/∂Z_1‖ / ‖∂L/∂Z_20‖", "rms Z_19 / rms Z_1", "loss"},
               rows);
  return runs;
}

void depth_figures(mlc::Report& report, const std::map<std::string, DeepRun>& runs) {
  const std::vector<std::string> shown{"xavier_sigmoid", "xavier_tanh", "he_relu",
                                       "he_gelu",        "small_tanh",  "small_relu",
                                       "large_relu",     "large_tanh",  "large_relu_batchnorm"};
  auto layer_axis = [](std::size_t n) { return steps_axis(n); };
  mlc::Figure grads("Weight-gradient norm per layer of a 20-layer network at initialisation");
  grads.xlabel("layer l (1 = input side)").ylabel("‖∂L/∂W_l‖_F").logy().legend("outside right");
  grads.size(900, 520);
  mlc::Figure back("Gradient backpropagated into each layer's output");
  back.xlabel("layer l (1 = input side)").ylabel("‖∂L/∂Z_l‖_F").logy().legend("outside right");
  back.size(900, 520);
  for (const std::string& key : shown) {
    const DeepRun& r = runs.at(key);
    const bool dashed = key.find("small") == 0 || key.find("large") == 0;
    grads.line_points(layer_axis(20), r.profile.weight_grad_norm, r.label, {.dash = dashed});
    back.line_points(layer_axis(20), r.profile.output_grad_norm, r.label, {.dash = dashed});
  }
  report.figure(
      grads, "deep20_weight_grads",
      "‖∂L/∂W_l‖ for each layer. Sigmoid with Glorot's rule loses orders of magnitude toward the "
      "input; ReLU with He's rule and tanh with Glorot's stay within a small factor. Under a "
      "uniform scale error (small, large) the curves are flat but sit far from the others: the "
      "forward and backward factors cancel in ∂L/∂W_l = H_{l−1}ᵀ ∂L/∂Z_l (Glorot & Bengio 2010, "
      "§4.2.1), so the weight gradients' ratio hides what the backpropagated signal shows.");
  report.figure(back, "deep20_backprop",
                "‖∂L/∂Z_l‖, the signal backpropagated into layer l's output: it shrinks toward "
                "the input (vanishing) for sigmoid and the small rule and grows (exploding) for "
                "ReLU with the large rule, by a constant factor per layer; batch norm (dashed "
                "large + relu + batchnorm) holds it flat.");
  mlc::Figure fwd("Forward scale: root mean square of each layer's pre-activation Z_l");
  fwd.xlabel("layer l").ylabel("rms(Z_l)").logy().legend("outside right").size(900, 520);
  for (const char* key : {"small_relu", "xavier_relu", "he_relu", "large_relu", "xavier_tanh",
                          "xavier_sigmoid", "large_relu_batchnorm"}) {
    fwd.line_points(layer_axis(20), runs.at(key).profile.output_rms, runs.at(key).label);
  }
  report.figure(fwd, "deep20_forward",
                "The scale of Z_l through depth (5): ReLU multiplies the second moment by σ² d / 2 "
                "per layer, 1 under He's rule, 1/2 under Glorot's, about d/2 under the large "
                "rule; tanh and sigmoid stay bounded.");
}

// ---- 2-3. Failure modes of the sweep: vanishing and exploding gradients --------------------

void vanishing_gradients(mlc::Report& report, const std::map<std::string, DeepRun>& runs) {
  const auto& sig = runs.at("xavier_sigmoid").profile;
  const auto& he = runs.at("he_relu").profile;
  const auto& small = runs.at("small_tanh").profile;
  const auto& tanh = runs.at("xavier_tanh").profile;
  const double sig_ratio = sig.weight_grad_norm.front() / sig.weight_grad_norm.back();
  const double per_layer =
      std::pow(sig.output_grad_norm.front() / sig.output_grad_norm[18], 1.0 / 18);
  report.failure_mode(
      {.name = "Vanishing gradients: sigmoid, and a small initialisation",
       .trigger = "A 20-layer network with sigmoid activations (Glorot's rule), and one with "
                  "tanh and every weight drawn from N(0, 0.01²).",
       .symptom = fmt::format(
           "Sigmoid: ‖∂L/∂W_1‖/‖∂L/∂W_20‖ = {}, the backpropagated gradient shrinking by {} per "
           "layer. Small init + tanh: ‖∂L/∂W_1‖ = {} against {} with Glorot's rule, and "
           "‖∂L/∂Z_1‖/‖∂L/∂Z_20‖ = {}.",
           report.quote("failure.vanishing.sigmoid_ratio", sig_ratio, 3),
           report.quote("failure.vanishing.sigmoid_factor_per_layer", per_layer, 3),
           report.quote("failure.vanishing.small_tanh_first", small.weight_grad_norm.front(), 3),
           report.quote("failure.vanishing.xavier_tanh_first", tanh.weight_grad_norm.front(), 3),
           report.quote("failure.vanishing.small_tanh_backprop_ratio",
                        small.output_grad_norm.front() / small.output_grad_norm.back(), 3)),
       .why = "Backpropagation multiplies by Wᵀ and by f'(Z) at every layer (7): sigmoid's "
              "derivative is at most 1/4 and its outputs are all positive, so each layer scales "
              "the gradient by far less than 1; under the small rule σ² d ≪ 1 and both the "
              "forward signal and the gradient shrink geometrically (5).",
       .mitigation = fmt::format(
           "ReLU with He's rule keeps every layer's gradient within a factor of the others: "
           "ratio {} (tanh with Glorot's rule: {}).",
           report.quote("failure.vanishing.he_relu_ratio",
                        he.weight_grad_norm.front() / he.weight_grad_norm.back(), 3),
           mlc::num(tanh.weight_grad_norm.front() / tanh.weight_grad_norm.back(), 3))});
}

void exploding_gradients(mlc::Report& report, const std::map<std::string, DeepRun>& runs) {
  const auto& large = runs.at("large_relu").profile;
  const auto& bn = runs.at("large_relu_batchnorm").profile;
  report.failure_mode(
      {.name = "Exploding gradients: a large initialisation",
       .trigger = "A 20-layer ReLU network with every weight drawn from N(0, 1).",
       .symptom = fmt::format(
           "‖∂L/∂Z_1‖/‖∂L/∂Z_20‖ = {}, weight gradients of norm {} (He: {}), an initial loss of "
           "{} nats (log 10 = 2.3 for a uniform guess), activations {} times larger at layer 19 "
           "than at layer 1.",
           report.quote("failure.exploding.backprop_ratio",
                        large.output_grad_norm.front() / large.output_grad_norm.back(), 3),
           report.quote("failure.exploding.grad_norm_first", large.weight_grad_norm.front(), 3),
           mlc::num(runs.at("he_relu").profile.weight_grad_norm.front(), 3),
           report.quote("failure.exploding.loss", large.loss, 3),
           mlc::num(large.output_rms[18] / large.output_rms[0], 3)),
       .why = "Each ReLU layer multiplies the second moment by σ² d / 2 (5), here d / 2: the "
              "forward signal grows geometrically, the logits saturate the softmax, and the "
              "backward pass multiplies by the same factor at every layer on the way down.",
       .mitigation = fmt::format(
           "Batch norm after every linear layer (same weights) re-standardises each layer: "
           "‖∂L/∂Z_1‖/‖∂L/∂Z_20‖ = {}, loss {}; or He's rule without normalisation (ratio of "
           "weight gradients {}).",
           report.quote("failure.exploding.batchnorm_backprop_ratio",
                        bn.output_grad_norm.front() / bn.output_grad_norm.back(), 3),
           report.quote("failure.exploding.batchnorm_loss", bn.loss, 3),
           mlc::num(runs.at("he_relu").profile.weight_grad_norm.front() /
                        runs.at("he_relu").profile.weight_grad_norm.back(),
                    3))});
}

// ---- 4. Normalisation on Fashion-MNIST ----------------------------------------------------

td::TrainTrace train_mlp(const mlc::Options& opt, const Data& data, const td::NetSpec& spec,
                         const td::TrainConfig& config, std::uint64_t stream,
                         double* dead_fraction = nullptr) {
  mlc::Rng init_rng = mlc::Rng(opt.seed).derive(stream);
  auto net = td::make_network<float>(spec, init_rng);
  mlc::Rng order_rng = mlc::Rng(opt.seed).derive(stream + 1);
  td::TrainTrace trace =
      td::train(net, data.X_train, data.y_train, data.X_val, data.y_val, config, order_rng);
  if (dead_fraction != nullptr) *dead_fraction = td::dead_relu_fraction(net, data.X_val);
  return trace;
}

void normalization(mlc::Report& report, const mlc::Options& opt, const Data& data) {
  report.section("Loss curves with and without normalisation (Fashion-MNIST)");
  const Settings s = settings(opt.quick);
  const long steps_per_epoch = (s.train_rows + 127) / 128;
  const td::TrainConfig config{.epochs = s.norm_epochs,
                               .batch_size = 128,
                               .momentum = 0.9,
                               .schedule = {.kind = td::Schedule::Kind::warmup_cosine,
                                            .peak = 0.05,
                                            .warmup_steps = steps_per_epoch / 2,
                                            .total_steps = steps_per_epoch * s.norm_epochs}};
  mlc::Figure fig("Fashion-MNIST MLP: training loss with and without normalisation");
  fig.xlabel("training step (minibatch of 128)")
      .ylabel("minibatch cross-entropy, mean of 20 steps (nats)")
      .logy()
      .legend("top right");
  std::vector<std::vector<std::string>> rows;
  mlc::Progress progress("normalisation runs", 3);
  long done = 0;
  for (td::Norm norm : {td::Norm::none, td::Norm::batch, td::Norm::layer}) {
    mlc::Timer timer;
    const td::TrainTrace t =
        train_mlp(opt, data, {.sizes = mlp_sizes(s), .norm = norm}, config, 10);
    const std::string m = "norm." + td::norm_name(norm) + ".";
    report.timing(m + "seconds", timer.seconds());
    report.metric(m + "final_loss", t.epoch_loss.back());
    report.metric(m + "val_loss", t.eval_loss.back());
    report.metric(m + "val_accuracy", t.eval_accuracy.back());
    report.metric(m + "epoch_loss", t.epoch_loss);
    rows.push_back({td::norm_name(norm), mlc::num(t.epoch_loss.front()),
                    mlc::num(t.epoch_loss.back()), mlc::num(t.eval_loss.back()),
                    mlc::num(t.eval_accuracy.back())});
    fig.line(steps_axis(t.step_loss.size()), smooth(t.step_loss, 20), td::norm_name(norm));
    progress.update(
        ++done, fmt::format("{}: loss {}", td::norm_name(norm), mlc::num(t.epoch_loss.back(), 3)));
  }
  progress.finish();
  report.text(fmt::format(
      "A {}-hidden-layer ReLU MLP of width {} (He's rule, biases 0) on {} training images, "
      "validated on {} test images; SGD with momentum 0.9, batch 128, {} epochs, the learning "
      "rate warmed up linearly to 0.05 over half an epoch (17) and decayed by a cosine to 0 (18). "
      "The three runs draw the same weights and see the same minibatches; they differ only in the "
      "normalisation after each hidden linear layer (batch norm (9)-(10), or layer norm (14)); "
      "batch norm is evaluated with its running statistics (13).",
      s.mlp_hidden, s.mlp_width, s.train_rows, s.val_rows, s.norm_epochs));
  report.table({"normalisation", "first-epoch loss", "last-epoch loss", "validation loss",
                "validation accuracy"},
               rows);
  report.figure(fig, "norm_loss_curves",
                "Minibatch training loss (a 20-step moving mean) of the three runs. The numbers "
                "behind each curve are in the table above and in metrics.json (norm.*).");
}

// ---- 5. The learning rate: a sweep into divergence ----------------------------------------

struct LrSweep {
  std::vector<double> rates;
  std::map<std::string, std::vector<double>> loss, dead;  // by variant: nan where diverged
};

LrSweep learning_rate_sweep(mlc::Report& report, const mlc::Options& opt, const Data& data) {
  report.section("The learning rate: a sweep into divergence");
  const Settings s = settings(opt.quick);
  const long steps = s.lr_epochs * ((s.train_rows + 127) / 128);
  const std::vector<double> rates{0.01, 0.03, 0.1, 0.3, 1.0, 3.0};
  report.metric("lr.values", rates);
  mlc::Figure fig("Final training loss against the learning rate (SGD, momentum 0.9)");
  fig.xlabel("learning rate η").ylabel("last-epoch training loss (nats)").logx().logy();
  fig.legend("top left");
  std::vector<std::vector<std::string>> rows;
  mlc::Progress progress("learning-rate sweep", 3 * static_cast<long>(rates.size()));
  long done = 0;
  struct Variant {
    std::string key, label;
    td::Norm norm;
    td::Schedule::Kind kind;
  };
  const std::vector<Variant> variants{
      {"constant", "no normalisation, constant η", td::Norm::none, td::Schedule::Kind::constant},
      {"warmup_cosine", "no normalisation, warm-up + cosine", td::Norm::none,
       td::Schedule::Kind::warmup_cosine},
      {"batchnorm", "batch norm, constant η", td::Norm::batch, td::Schedule::Kind::constant}};
  std::map<std::string, std::vector<double>> loss, dead;
  for (const Variant& v : variants) {
    for (double lr : rates) {
      const td::TrainConfig config{
          .epochs = s.lr_epochs,
          .batch_size = 128,
          .momentum = 0.9,
          .schedule = {
              .kind = v.kind, .peak = lr, .warmup_steps = steps / 4, .total_steps = steps}};
      double dead_fraction = 0.0;
      const td::TrainTrace t =
          train_mlp(opt, data, {.sizes = mlp_sizes(s), .norm = v.norm}, config, 20, &dead_fraction);
      loss[v.key].push_back(t.diverged ? std::nan("") : t.epoch_loss.back());
      dead[v.key].push_back(t.diverged ? std::nan("") : dead_fraction);
      progress.update(++done, fmt::format("{} η = {}", v.key, lr));
    }
    report.metric("lr." + v.key + ".final_loss", loss[v.key]);
    report.metric("lr." + v.key + ".dead_fraction", dead[v.key]);
    fig.line_points(rates, loss[v.key], v.label);
  }
  progress.finish();
  for (std::size_t i = 0; i < rates.size(); ++i) {
    rows.push_back({mlc::num(rates[i]), mlc::num(loss["constant"][i]),
                    mlc::num(dead["constant"][i], 3), mlc::num(loss["warmup_cosine"][i]),
                    mlc::num(loss["batchnorm"][i])});
  }
  report.text(fmt::format(
      "The MLP of the previous section, {} epoch(s) of SGD with momentum 0.9 from the same "
      "weights on the same minibatches, at six learning rates, three ways: a constant η without "
      "normalisation; the same peak η reached by a linear warm-up over the first quarter of the "
      "steps and decayed by a cosine (17)-(18); a constant η with batch norm. A run that meets a "
      "minibatch loss above 50 nats or a non-finite one is stopped as diverged (shown as nan). "
      "'dead' is the fraction of hidden ReLU units that output 0 on every validation image after "
      "training.",
      s.lr_epochs));
  report.table(
      {"η", "loss, constant", "dead ReLUs, constant", "loss, warm-up + cosine", "loss, batch norm"},
      rows);
  report.figure(fig, "lr_sweep",
                "Last-epoch training loss against the peak learning rate; a missing point is a "
                "diverged run.");
  return {rates, loss, dead};
}

// The index of the smallest rate whose run diverged (or rates.size() when none did).
std::size_t first_diverged(const std::vector<double>& loss) {
  std::size_t i = 0;
  while (i < loss.size() && std::isfinite(loss[i])) ++i;
  return i;
}

void too_large_learning_rate(mlc::Report& report, const LrSweep& sweep) {
  const std::size_t i = first_diverged(sweep.loss.at("constant"));
  const std::size_t best = static_cast<std::size_t>(
      std::min_element(sweep.loss.at("constant").begin(),
                       sweep.loss.at("constant").begin() + static_cast<long>(i)) -
      sweep.loss.at("constant").begin());
  const double bad = i < sweep.rates.size() ? sweep.rates[i] : std::nan("");
  const std::size_t wi = first_diverged(sweep.loss.at("warmup_cosine"));
  const std::size_t bi = first_diverged(sweep.loss.at("batchnorm"));
  auto at = [&](const std::string& key, std::size_t k) {
    return k < sweep.rates.size() ? sweep.loss.at(key)[k] : std::nan("");
  };
  report.failure_mode(
      {.name = "A learning rate too large",
       .trigger = "SGD with momentum 0.9 on the Fashion-MNIST MLP (no normalisation) at a "
                  "constant η from 0.01 to 3.",
       .symptom = fmt::format(
           "The smallest diverging rate is η = {} (a minibatch loss above 50 nats or not "
           "finite); the best rate, η = {}, ends at loss {}.",
           report.quote("lr.constant.smallest_diverging", bad),
           report.quote("lr.constant.best_rate", sweep.rates[best]),
           report.quote("lr.constant.best_loss", sweep.loss.at("constant")[best])),
       .why = "A gradient step is only a descent step while η is below about 2 / λ_max of the "
              "local curvature (1.4's quadratic bound); momentum 0.9 divides that bound by about "
              "10 in the long run. Beyond it each step overshoots further, the logits grow and "
              "the cross-entropy blows up.",
       .mitigation = fmt::format(
           "Batch norm: with a constant η = {} it ends at loss {}; {} (loss {} at η = 3). Warm-up "
           "+ cosine at the same peak η = {} ends at loss {} "
           "(ln 10 = 2.303 is a uniform guess; its smallest diverging rate: {}). Below the "
           "threshold a smaller η is the plain fix.",
           mlc::num(bad), report.quote("lr.batchnorm.loss_at_diverging", at("batchnorm", i)),
           bi < sweep.rates.size()
               ? fmt::format("its smallest diverging rate is {}", mlc::num(sweep.rates[bi]))
               : std::string("no rate of the sweep diverges"),
           mlc::num(sweep.loss.at("batchnorm").back()), mlc::num(bad),
           report.quote("lr.warmup_cosine.loss_at_diverging", at("warmup_cosine", i)),
           wi < sweep.rates.size() ? mlc::num(sweep.rates[wi])
                                   : std::string("none in the sweep"))});
}

void dead_relus(mlc::Report& report, const LrSweep& sweep, double at_init) {
  // The largest constant rate that did not diverge: where a large step still trains.
  const std::size_t i = first_diverged(sweep.loss.at("constant"));
  const std::size_t k = i == 0 ? 0 : i - 1;
  const double fraction = sweep.dead.at("constant")[k];
  report.failure_mode(
      {.name = "Dead ReLUs",
       .trigger = fmt::format("SGD with momentum 0.9 at η = {}, the largest constant rate of the "
                              "sweep that did not diverge.",
                              report.quote("dead_relu.learning_rate", sweep.rates[k])),
       .symptom = fmt::format(
           "{} of the hidden ReLU units output 0 on every one of the validation images after "
           "training (at initialisation: {}; after η = {}: {}).",
           report.quote("dead_relu.fraction", fraction, 3),
           report.quote("dead_relu.fraction_at_init", at_init, 3), mlc::num(sweep.rates[0]),
           report.quote("dead_relu.fraction_smallest_rate", sweep.dead.at("constant")[0], 3)),
       .why = "A large step can push a unit's bias and weights so that w·x + b < 0 for every "
              "input; its gradient [z > 0] (7) is then 0 on every example, so no later step can "
              "revive it: the unit is dead, and its width is lost.",
       .mitigation = fmt::format(
           "Batch norm at the same η leaves {} dead: it re-centres every pre-activation over the "
           "batch, so no unit can sit below 0 on all of it. A smaller rate, η = {}, leaves {}. "
           "Warm-up + cosine to the same peak leaves {}: a gentler start does not protect the "
           "units once the peak rate is reached.",
           report.quote("dead_relu.batchnorm.fraction", sweep.dead.at("batchnorm")[k], 3),
           mlc::num(sweep.rates[k > 0 ? k - 1 : 0]),
           mlc::num(sweep.dead.at("constant")[k > 0 ? k - 1 : 0], 3),
           report.quote("dead_relu.warmup_cosine.fraction", sweep.dead.at("warmup_cosine")[k],
                        3))});
}

void schedules_figure(mlc::Report& report, const mlc::Options& opt) {
  report.section("Learning-rate schedules");
  const Settings s = settings(opt.quick);
  const long steps = s.norm_epochs * ((s.train_rows + 127) / 128);
  const td::Schedule constant{.peak = 0.05};
  const td::Schedule step{.kind = td::Schedule::Kind::step,
                          .peak = 0.05,
                          .step_every = std::max(1L, steps / 3),
                          .gamma = 0.1};
  const td::Schedule cosine{.kind = td::Schedule::Kind::warmup_cosine,
                            .peak = 0.05,
                            .warmup_steps = steps / (2 * s.norm_epochs),
                            .total_steps = steps};
  std::vector<double> t, a, b, c;
  for (long i = 0; i < steps; ++i) {
    t.push_back(static_cast<double>(i));
    a.push_back(td::learning_rate(constant, i));
    b.push_back(td::learning_rate(step, i));
    c.push_back(td::learning_rate(cosine, i));
  }
  mlc::Figure fig("Learning-rate schedules over the normalisation runs' steps");
  fig.xlabel("training step t").ylabel("learning rate η_t").legend("top right");
  fig.line(t, a, "constant");
  fig.line(t, b, "step: ×0.1 every third of the run");
  fig.line(t, c, "linear warm-up (17) + cosine decay (18)");
  report.text(fmt::format(
      "The schedules of this lesson over {} steps with peak 0.05: warm-up + cosine is the one "
      "the normalisation runs use, and the one the learning-rate sweep tries against divergence.",
      steps));
  report.figure(fig, "schedules", "η_t of each schedule, as learning_rate() computes it.");
}

// ---- 6. Dropout and weight decay ----------------------------------------------------------

void regularization(mlc::Report& report, const mlc::Options& opt, const Data& data) {
  report.section("Dropout and weight decay on a small training set");
  const Settings s = settings(opt.quick);
  const Data small{data.X_train.topRows(s.reg_rows), data.X_val, data.y_train.head(s.reg_rows),
                   data.y_val};
  struct Variant {
    std::string key, label;
    double dropout, weight_decay;
  };
  const std::vector<Variant> variants{{"none", "none", 0.0, 0.0},
                                      {"dropout", "dropout p = 0.5", 0.5, 0.0},
                                      {"weight_decay", "AdamW, λ = 0.1", 0.0, 0.1},
                                      {"both", "dropout + weight decay", 0.5, 0.1}};
  std::vector<std::vector<std::string>> rows;
  mlc::Figure fig("Validation loss on a small training set, with and without regularisation");
  fig.xlabel("epoch").ylabel("validation cross-entropy (nats)").legend("top right");
  std::map<std::string, double> gap, final_val;
  double best_none = 0.0, acc_lo = 1.0, acc_hi = 0.0;
  mlc::Progress progress("regularisation runs", static_cast<long>(variants.size()));
  long done = 0;
  for (const Variant& v : variants) {
    mlc::Rng init_rng = mlc::Rng(opt.seed).derive(30);
    auto net =
        td::make_network<float>({.sizes = {784, 128, 128, 10}, .dropout = v.dropout}, init_rng);
    mlc::Rng order_rng = mlc::Rng(opt.seed).derive(31);
    const td::TrainTrace t = td::train(net, small.X_train, small.y_train, small.X_val, small.y_val,
                                       {.epochs = s.reg_epochs,
                                        .batch_size = 50,
                                        .optimizer = td::Optimizer::adamw,
                                        .weight_decay = v.weight_decay,
                                        .schedule = {.peak = 1e-3}},
                                       order_rng);
    const td::Evaluation train_eval = td::evaluate(net, small.X_train, small.y_train);
    const std::string m = "reg." + v.key + ".";
    report.metric(m + "train_accuracy", train_eval.accuracy);
    report.metric(m + "val_accuracy", t.eval_accuracy.back());
    report.metric(m + "val_loss", t.eval_loss.back());
    report.metric(m + "best_val_loss", *std::min_element(t.eval_loss.begin(), t.eval_loss.end()));
    report.metric(m + "gap", train_eval.accuracy - t.eval_accuracy.back());
    gap[v.key] = train_eval.accuracy - t.eval_accuracy.back();
    final_val[v.key] = t.eval_loss.back();
    if (v.key == "none") best_none = *std::min_element(t.eval_loss.begin(), t.eval_loss.end());
    acc_lo = std::min(acc_lo, t.eval_accuracy.back());
    acc_hi = std::max(acc_hi, t.eval_accuracy.back());
    rows.push_back({v.label, mlc::num(train_eval.loss), mlc::num(train_eval.accuracy),
                    mlc::num(t.eval_loss.back()), mlc::num(t.eval_accuracy.back()),
                    mlc::num(train_eval.accuracy - t.eval_accuracy.back(), 3)});
    fig.line(t.eval_epoch, t.eval_loss, v.label);
    progress.update(++done, v.key);
  }
  progress.finish();
  report.text(fmt::format(
      "A 784-128-128-10 ReLU MLP trained on only {} images for {} epochs (Adam, η = 1e-3, batch "
      "50), validated on {} test images, four ways from the same weights and minibatch order: "
      "no regularisation; inverted dropout (15) with p = 0.5 after each hidden activation; "
      "AdamW's decoupled weight decay (3.4's (22)) with λ = 0.1; both. Accuracies in eval mode "
      "(dropout off).",
      s.reg_rows, s.reg_epochs, s.val_rows));
  report.table({"regularisation", "train loss", "train accuracy", "validation loss",
                "validation accuracy", "accuracy gap"},
               rows);
  report.text(fmt::format(
      "Without regularisation the validation loss reaches its minimum, {}, and ends at {}; with "
      "dropout it ends at {}. The train − validation accuracy gap is {} without and {} with "
      "dropout; the four validation accuracies lie within {} of each other.",
      mlc::num(best_none), mlc::num(final_val["none"]), mlc::num(final_val["dropout"]),
      mlc::num(gap["none"], 3), mlc::num(gap["dropout"], 3),
      report.quote("reg.val_accuracy_spread", acc_hi - acc_lo, 2)));
  report.figure(fig, "regularization",
                "Validation loss after each epoch (eval mode) of the four runs; the minimum and "
                "final values of each are in metrics.json (reg.*.best_val_loss, reg.*.val_loss).");
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const Settings s = settings(opt.quick);
  mlc::Timer timer;
  const auto deep = depth_sweep(report, opt);
  depth_figures(report, deep);
  report.timing("deep20.seconds", timer.seconds());
  vanishing_gradients(report, deep);
  exploding_gradients(report, deep);
  timer = mlc::Timer();
  const Data data = load_data(s, opt.quick);
  report.timing("load_data.seconds", timer.seconds());
  normalization(report, opt, data);
  schedules_figure(report, opt);
  timer = mlc::Timer();
  const LrSweep sweep = learning_rate_sweep(report, opt, data);
  report.timing("lr_sweep.seconds", timer.seconds());
  too_large_learning_rate(report, sweep);
  mlc::Rng init_rng = mlc::Rng(opt.seed).derive(20);  // the sweep's initial weights
  auto init = td::make_network<float>({.sizes = mlp_sizes(s)}, init_rng);
  dead_relus(report, sweep, td::dead_relu_fraction(init, data.X_val));
  timer = mlc::Timer();
  regularization(report, opt, data);
  report.timing("regularization.seconds", timer.seconds());
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
