// 3.1 mlp_backprop: a multi-layer perceptron written as forward/backward pairs, every backward
// pass checked against central differences, trained by gradient descent.
//
// Experiments (each a section of report.md):
//   1. gradient checks of every layer, loss and whole network;
//   2. XOR: no hidden layer against hidden layers of 1 to 8 units, over many seeds;
//   3. symmetric initialization on XOR (failure mode);
//   4. two spirals as the hidden width grows: decision regions, accuracy, loss curves;
//   5. universal approximation in 1-D: sin(2x) by 1 to 16 tanh units, trained and constructed;
//   6. too large a learning rate (failure mode);
//   7. digits: the MLP against softmax regression of lesson 2.4.
// Sources: Rumelhart, Hinton & Williams (1986); Goodfellow, Bengio & Courville, Deep Learning
// (2016) §6; Cybenko (1989); Glorot & Bengio (2010); He et al. (2015).
// Run: ./learn run mlp_backprop [--quick] [--seed N] [--out DIR]
#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <Eigen/Eigenvalues>
#include <boost/math/distributions/students_t.hpp>

#include "lesson_identity.hpp"
#include "logistic_regression.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/error.hpp"
#include "mlc/gradcheck.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/stats.hpp"
#include "mlc/timer.hpp"
#include "mlp_backprop.hpp"
#include "model_evaluation.hpp"

namespace mb = mlp_backprop;
namespace lr = logistic_regression;
namespace me = model_evaluation;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "A multi-layer perceptron written as forward/backward pairs per layer (linear, relu / tanh / "
    "sigmoid, softmax cross-entropy, squared error), every backward pass gradient-checked. XOR "
    "with and without hidden units over many seeds; two spirals as the hidden width grows; "
    "universal approximation of sin(2x) by 1 to 16 units, trained and constructed; digits against "
    "softmax regression. Failure modes provoked and measured: symmetric initialization, a linear "
    "model on XOR, XOR stuck with 2 hidden units, too large a learning rate.",
    "report.md, metrics.json, figures/xor_failures.svg, figures/xor_stuck.svg, "
    "figures/spirals_width_{2,8,32}.svg, figures/spirals_accuracy.svg, figures/spirals_loss.svg, "
    "figures/fit_1d.svg, figures/fit_1d_error.svg, figures/learning_rate.svg");

// Sizes of the full run and of --quick, in one place.
struct Settings {
  int xor_seeds, xor_epochs;
  std::vector<Index> xor_widths;
  Index spiral_train, spiral_test;
  int spiral_inits, spiral_epochs;
  std::vector<Index> spiral_widths, spiral_region_widths;
  int fit_inits, fit_epochs;
  std::vector<Index> fit_widths;
  int lr_epochs;
  int digits_splits, digits_epochs;
  Index digits_subsample;  // 0: all 1797 images

  static Settings make(bool quick) {
    if (quick) {
      return {.xor_seeds = 10,
              .xor_epochs = 3000,
              .xor_widths = {1, 2, 4},
              .spiral_train = 300,
              .spiral_test = 500,
              .spiral_inits = 1,
              .spiral_epochs = 100,
              .spiral_widths = {2, 32},
              .spiral_region_widths = {2, 32},
              .fit_inits = 1,
              .fit_epochs = 3000,
              .fit_widths = {1, 4, 16},
              .lr_epochs = 300,
              .digits_splits = 1,
              .digits_epochs = 10,
              .digits_subsample = 400};
    }
    return {.xor_seeds = 50,
            .xor_epochs = 3000,
            .xor_widths = {1, 2, 3, 4, 8},
            .spiral_train = 400,
            .spiral_test = 1000,
            .spiral_inits = 5,
            .spiral_epochs = 300,
            .spiral_widths = {1, 2, 4, 8, 16, 32, 64},
            .spiral_region_widths = {2, 8, 32},
            .fit_inits = 5,
            .fit_epochs = 30000,
            .fit_widths = {1, 2, 4, 8, 16},
            .lr_epochs = 2000,
            .digits_splits = 5,
            .digits_epochs = 50,
            .digits_subsample = 0};
  }
};

const double kXorRate = 0.5;  // full-batch GD step on XOR (tanh units)

struct Xor {
  MatrixXd X{4, 2};
  VectorXi y{4};
  Xor() {
    X << -1, -1, -1, 1, 1, -1, 1, 1;  // (±1, ±1); label 1 when the signs differ
    y << 0, 1, 1, 0;
  }
};

VectorXd epochs_axis(std::size_t n) {
  return VectorXd::LinSpaced(static_cast<Index>(n), 1.0, static_cast<double>(n));
}

// Median of a list (the middle one; the mean of the two middle ones for an even count).
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// ---- 1. Gradient checks ----------------------------------------------------------------------

void gradient_checks(mlc::Report& report, mlc::Rng rng) {
  report.section("Gradient checks");
  std::vector<std::vector<std::string>> rows;
  double worst = 0.0;
  auto record = [&](const std::string& key, const std::string& what,
                    const mlc::GradCheckResult& c) {
    worst = std::max(worst, c.relative_error);
    rows.push_back({what, report.quote("gradcheck." + key, c.relative_error, 2)});
  };
  // The linear layer (4): L = Σ G ⊙ Y for a random G.
  mb::Linear layer(4, 3);
  layer.W = rng.normal_matrix(4, 3);
  layer.b = rng.normal_vector(3);
  const MatrixXd X = rng.normal_matrix(6, 4), G = rng.normal_matrix(6, 3);
  layer.forward(X);
  const MatrixXd dX = layer.backward(G);
  auto linear_loss = [&](const MatrixXd& W, const VectorXd& b, const MatrixXd& x) {
    mb::Linear l = layer;
    l.W = W;
    l.b = b;
    return (G.array() * l.forward(x).array()).sum();
  };
  record("linear.W", "linear layer: dW = Xᵀ dY",
         mlc::gradcheck(
             mlc::MatrixFunction([&](const MatrixXd& W) { return linear_loss(W, layer.b, X); }),
             layer.dW, layer.W));
  record("linear.b", "linear layer: db = dYᵀ 1",
         mlc::gradcheck(
             mlc::ScalarFunction([&](const VectorXd& b) { return linear_loss(layer.W, b, X); }),
             layer.db, layer.b));
  record("linear.X", "linear layer: dX = dY Wᵀ",
         mlc::gradcheck(mlc::MatrixFunction(
                            [&](const MatrixXd& x) { return linear_loss(layer.W, layer.b, x); }),
                        dX, X));
  // Activations (5) and losses (6), (7).
  const MatrixXd Z = rng.normal_matrix(6, 3, 0.0, 2.0);
  for (const auto act : {mb::Activation::relu, mb::Activation::tanh, mb::Activation::sigmoid}) {
    auto loss = [&](const MatrixXd& z) {
      return (G.array() * mb::activation_forward(act, z).array()).sum();
    };
    record("activation." + mb::activation_name(act), mb::activation_name(act) + ": dZ = dH ⊙ f'(Z)",
           mlc::gradcheck(mlc::MatrixFunction(loss),
                          mb::activation_backward(act, mb::activation_forward(act, Z), G), Z));
  }
  VectorXi y(6);
  for (Index i = 0; i < 6; ++i) y(i) = static_cast<int>(rng.integer(0, 2));
  MatrixXd dZ;
  mb::softmax_cross_entropy(Z, y, &dZ);
  record("softmax_cross_entropy", "softmax cross-entropy: (P − Y)/n",
         mlc::gradcheck(mlc::MatrixFunction(
                            [&](const MatrixXd& z) { return mb::softmax_cross_entropy(z, y); }),
                        dZ, Z));
  mb::mean_squared_error(Z, G, &dZ);
  record("mean_squared_error", "mean squared error: 2(Ŷ − Y)/n",
         mlc::gradcheck(
             mlc::MatrixFunction([&](const MatrixXd& z) { return mb::mean_squared_error(z, G); }),
             dZ, Z));
  // Whole networks 4-8-8-3 (9): every parameter at once.
  const MatrixXd Xn = rng.normal_matrix(10, 4);
  VectorXi yn(10);
  for (Index i = 0; i < 10; ++i) yn(i) = static_cast<int>(rng.integer(0, 2));
  for (const auto act : {mb::Activation::relu, mb::Activation::tanh, mb::Activation::sigmoid}) {
    mb::Mlp net = mb::make_mlp({4, 8, 8, 3}, act, rng);
    net.loss_and_backward(Xn, yn);
    auto loss = [&](const VectorXd& t) {
      mb::Mlp copy = net;
      mb::unflatten_parameters(copy, t);
      return mb::softmax_cross_entropy(copy.forward(Xn), yn);
    };
    record("network." + mb::activation_name(act),
           fmt::format("network 4-8-8-3, {}: all {} parameters", mb::activation_name(act),
                       net.num_parameters()),
           mlc::gradcheck(mlc::ScalarFunction(loss), mb::flatten_gradients(net),
                          mb::flatten_parameters(net)));
  }
  if (!(worst < 1e-6))
    throw mlc::NumericalError(fmt::format("a backward pass fails its gradient check: {}", worst));
  report.text(
      fmt::format("Each backward pass against central differences (h = 1e-6), as the norm-wise "
                  "relative error ‖a − n‖ / (‖a‖ + ‖n‖) of mlc::gradcheck, at random points; the "
                  "largest is {}. A wrong derivative gives errors of order 1 (the tests plant "
                  "none; lesson 3.4 plants one on purpose).",
                  report.quote("gradcheck.max_relative_error", worst, 2)));
  report.table({"backward pass", "relative error"}, rows);
}

// ---- 2. XOR ------------------------------------------------------------------------------------

struct XorResult {
  double linear_loss, linear_accuracy;
  std::map<Index, int> failures;  // width -> seeds that end below accuracy 1
  double stuck_loss;              // mean final loss of the failed width-2 runs
  double stuck_accuracy;          // their mean accuracy
  double stuck_undecided;         // their mean number of points at probability 0.5 ± 0.05
  int seeds;
};

XorResult xor_experiment(mlc::Report& report, const Settings& s, const mlc::Rng& rng) {
  report.section("XOR");
  const Xor data;
  const mb::TrainOptions options{.epochs = s.xor_epochs, .learning_rate = kXorRate};
  mlc::Rng unused(0);  // full-batch training draws nothing
  XorResult result{0.0, 0.0, {}, std::nan(""), std::nan(""), std::nan(""), s.xor_seeds};
  std::vector<double> linear_loss, linear_acc, stuck, stuck_acc, undecided;
  std::vector<std::string> names;
  std::vector<double> fractions;
  std::vector<std::vector<std::string>> rows;
  mb::TrainTrace solved_trace, stuck_trace;
  for (int seed = 0; seed < s.xor_seeds; ++seed) {
    mlc::Rng init = rng.derive(static_cast<std::uint64_t>(seed));
    mb::Mlp linear = mb::make_mlp({2, 2}, mb::Activation::tanh, init);
    linear_loss.push_back(
        mb::train_classifier(linear, data.X, data.y, options, unused).loss.back());
    linear_acc.push_back(mb::accuracy(linear, data.X, data.y));
  }
  result.linear_loss = mlc::mean(linear_loss);
  result.linear_accuracy = *std::max_element(linear_acc.begin(), linear_acc.end());
  for (const Index h : s.xor_widths) {
    int failed = 0;
    for (int seed = 0; seed < s.xor_seeds; ++seed) {
      mlc::Rng init =
          rng.derive(1000 * static_cast<std::uint64_t>(h) + static_cast<std::uint64_t>(seed));
      mb::Mlp net = mb::make_mlp({2, h, 2}, mb::Activation::tanh, init);
      const auto trace = mb::train_classifier(net, data.X, data.y, options, unused);
      const double acc = mb::accuracy(net, data.X, data.y);
      const bool ok = acc == 1.0;
      failed += !ok;
      if (h == 2 && !ok) {
        stuck.push_back(trace.loss.back());
        stuck_acc.push_back(acc);
        // Points the stuck network leaves undecided: probability of class 1 within 0.5 ± 0.05.
        const MatrixXd P = mb::softmax(net.forward(data.X));
        undecided.push_back(static_cast<double>(((P.col(1).array() - 0.5).abs() < 0.05).count()));
      }
      if (h == 2 && !ok && stuck_trace.loss.empty()) stuck_trace = trace;
      if (h == 2 && ok && solved_trace.loss.empty()) solved_trace = trace;
    }
    result.failures[h] = failed;
    const double fraction = static_cast<double>(failed) / s.xor_seeds;
    names.push_back(fmt::format("{}", h));
    fractions.push_back(fraction);
    rows.push_back({fmt::format("{}", h), fmt::format("{} / {}", failed, s.xor_seeds),
                    report.quote(fmt::format("xor.width_{}.failure_fraction", h), fraction, 3)});
  }
  if (!stuck.empty()) {
    result.stuck_loss = mlc::mean(stuck);
    result.stuck_accuracy = mlc::mean(stuck_acc);
    result.stuck_undecided = mlc::mean(undecided);
  }
  report.text(fmt::format(
      "The four points (±1, ±1), label 1 when the signs differ, trained by full-batch gradient "
      "descent (11) with step {} for {} epochs on the mean cross-entropy (3), from {} random "
      "initializations (10) per architecture, tanh hidden units. Without a hidden layer the loss "
      "ends at {} (log 2 = 0.6931: every probability 1/2) and the best accuracy over the seeds is "
      "{}. A run fails when its final accuracy is below 1.",
      kXorRate, s.xor_epochs, s.xor_seeds,
      report.quote("xor.linear.final_loss", result.linear_loss),
      report.quote("xor.linear.best_accuracy", result.linear_accuracy)));
  report.table({"hidden units", "failed seeds", "fraction"}, rows);
  mlc::Figure bars("XOR: fraction of initializations that fail, by hidden width");
  bars.xlabel("hidden tanh units").ylabel("fraction of seeds with accuracy < 1").yrange(0.0, 1.05);
  bars.bars(names, fractions, fmt::format("{} seeds each", s.xor_seeds));
  report.figure(
      bars, "xor_failures",
      "One unit can never separate XOR (its output is monotone along w·x); two units can, but "
      "gradient descent gets stuck from some starts; wider layers fail less often.");
  if (!stuck_trace.loss.empty() && !solved_trace.loss.empty()) {
    mlc::Figure fig("XOR with 2 tanh units: a solved and a stuck run");
    fig.xlabel("epoch").ylabel("mean cross-entropy (3)").logy().logx();
    fig.line(epochs_axis(solved_trace.loss.size()), solved_trace.loss, "a seed that solves XOR")
        .line(epochs_axis(stuck_trace.loss.size()), stuck_trace.loss, "a seed that gets stuck");
    report.figure(
        fig, "xor_stuck",
        "Training loss of two initializations of the same 2-2-2 network: one goes to zero, the "
        "other settles at log(2)/2 = 0.347, two points fitted and two left at probability 1/2.");
  }
  report.metric("xor.width_2.stuck_loss", result.stuck_loss);
  report.metric("xor.width_2.stuck_accuracy", result.stuck_accuracy);
  report.metric("xor.width_2.stuck_undecided_points", result.stuck_undecided);
  return result;
}

// ---- 3. Symmetric initialization --------------------------------------------------------------

struct SymmetryResult {
  std::map<std::string, double> spread, accuracy;  // by initialization: zero, constant, random
};

SymmetryResult symmetry_experiment(mlc::Report& report, const Settings& s, mlc::Rng rng) {
  report.section("Symmetric initialization");
  const Xor data;
  mlc::Rng unused(0);
  const mb::TrainOptions options{.epochs = s.xor_epochs, .learning_rate = kXorRate};
  SymmetryResult r;
  std::vector<std::vector<std::string>> rows;
  const std::map<std::string, std::string> label{
      {"zero", "all weights 0"}, {"constant", "all weights 0.5"}, {"random", "random (10)"}};
  for (const std::string kind : {"zero", "constant", "random"}) {
    mb::Mlp net = mb::make_mlp({2, 8, 2}, mb::Activation::tanh, rng);
    if (kind != "random") {
      for (auto& layer : net.layers) layer.W.setConstant(kind == "zero" ? 0.0 : 0.5);
    }
    const double before = mb::unit_spread(net.layers[0]);
    mb::train_classifier(net, data.X, data.y, options, unused);
    r.spread[kind] = mb::unit_spread(net.layers[0]);
    r.accuracy[kind] = mb::accuracy(net, data.X, data.y);
    rows.push_back({label.at(kind), report.quote("symmetry." + kind + ".spread_before", before, 3),
                    report.quote("symmetry." + kind + ".spread_after", r.spread[kind], 3),
                    report.quote("symmetry." + kind + ".accuracy", r.accuracy[kind], 3)});
  }
  report.text(
      fmt::format("The 2-8-2 tanh network on XOR, trained as above, from three initializations. "
                  "The spread (12) is the largest distance between the incoming weights and bias "
                  "of hidden unit j and those of unit 0: zero means the eight units compute one "
                  "function. Units that start equal receive equal gradients (9) and stay equal, so "
                  "the network is a 1-unit network in disguise, which cannot separate XOR."));
  report.table({"initialization", "spread before", "spread after training", "accuracy"}, rows);
  return r;
}

// ---- 4. Two spirals
// ------------------------------------------------------------------------------

void spirals_experiment(mlc::Report& report, const Settings& s, const mlc::Rng& rng) {
  report.section("Two spirals as the hidden width grows");
  mlc::Rng data_rng = rng.derive(0);
  const double noise = 0.05;
  const mlc::Dataset train = mlc::make_spirals(s.spiral_train, 2, noise, data_rng);
  const mlc::Dataset test = mlc::make_spirals(s.spiral_test, 2, noise, data_rng);
  const mb::TrainOptions options{
      .epochs = s.spiral_epochs, .learning_rate = 0.05, .momentum = 0.9, .batch_size = 32};
  std::vector<double> widths, train_acc, test_acc, test_sd;
  std::vector<std::vector<std::string>> rows;
  mlc::Figure loss_fig("Two spirals: training loss by hidden width (first initialization)");
  loss_fig.xlabel("epoch")
      .ylabel("mean cross-entropy over the epoch's batches")
      .logy()
      .legend("outside right top");
  mlc::Timer timer;
  for (const Index h : s.spiral_widths) {
    std::vector<double> tr, te;
    for (int i = 0; i < s.spiral_inits; ++i) {
      mlc::Rng init =
          rng.derive(100 * static_cast<std::uint64_t>(h) + static_cast<std::uint64_t>(i) + 1);
      mb::Mlp net = mb::make_mlp({2, h, 2}, mb::Activation::relu, init);
      const auto trace = mb::train_classifier(net, train.X, train.labels(), options, init);
      tr.push_back(mb::accuracy(net, train.X, train.labels()));
      te.push_back(mb::accuracy(net, test.X, test.labels()));
      if (i > 0) continue;
      loss_fig.line(epochs_axis(trace.loss.size()), trace.loss,
                    fmt::format("{} unit{}", h, h > 1 ? "s" : ""));
      if (std::find(s.spiral_region_widths.begin(), s.spiral_region_widths.end(), h) ==
          s.spiral_region_widths.end())
        continue;
      mlc::Figure fig(fmt::format("Two spirals, one hidden layer of {} relu units", h));
      fig.xlabel("x_1").ylabel("x_2").equal_axes().legend("off");
      fig.decision_regions([&](const MatrixXd& grid) { return net.predict(grid); }, train.X, 0.2,
                           200);
      fig.scatter_classes(train.X, train.labels(), train.class_names, 0.5);
      report.figure(fig, fmt::format("spirals_width_{}", h),
                    fmt::format("Decision regions of the 2-{}-2 relu network (first "
                                "initialization; test accuracy {}). Points: the training set.",
                                h, mlc::num(te.back(), 3)));
    }
    const std::string key = fmt::format("spirals.width_{}", h);
    widths.push_back(static_cast<double>(h));
    train_acc.push_back(mlc::mean(tr));
    test_acc.push_back(mlc::mean(te));
    test_sd.push_back(mlc::sample_sd(te));
    report.metric(key + ".train_accuracy", train_acc.back());
    report.metric(key + ".test_accuracy", test_acc.back());
    report.metric(key + ".test_accuracy_sd", test_sd.back());
    rows.push_back({fmt::format("{}", h), fmt::format("{}", 4 * h + 2),
                    mlc::mean_sd(train_acc.back(), mlc::sample_sd(tr), 3),
                    mlc::mean_sd(test_acc.back(), test_sd.back(), 3)});
  }
  report.timing("spirals.train_seconds", timer.seconds());
  report.text(fmt::format(
      "Two interleaved spirals of 1.25 turns (mlc::make_spirals, Gaussian noise σ = {}): {} "
      "training and {} test points at different positions along the arms. One hidden layer of h "
      "relu units (He initialization (10)), mini-batch SGD (batch 32, step 0.05, heavy-ball "
      "momentum 0.9) for {} epochs, {} initialization(s) per width. The logits of a relu network "
      "with one hidden layer are piecewise linear in x, with kinks only along the h lines w_j·x + "
      "b_j = 0: too few lines cut the plane into too few pieces to follow the arms.",
      noise, s.spiral_train, s.spiral_test, s.spiral_epochs, s.spiral_inits));
  report.table({"hidden units h", "parameters", "train accuracy", "test accuracy"}, rows);
  mlc::Figure acc("Two spirals: accuracy against hidden width");
  acc.xlabel("hidden relu units h")
      .ylabel("accuracy (mean over initializations)")
      .logx()
      .legend("bottom right");
  acc.line_points(widths, train_acc, "train")
      .line_points(widths, test_acc, "test")
      .hline(0.5, "chance");
  report.figure(acc, "spirals_accuracy",
                "Accuracy rises from chance to about 1 as the width grows.");
  report.figure(loss_fig, "spirals_loss",
                "Training loss per epoch for each width (first initialization).");
}

// ---- 5. Universal approximation in 1-D ----------------------------------------------------------

double target(double x) {
  return std::sin(2.0 * x);
}

void approximation_experiment(mlc::Report& report, const Settings& s, const mlc::Rng& rng) {
  report.section("Universal approximation in 1-D");
  const Index n = 100, n_fine = 1000;
  const double pi = std::numbers::pi;
  const MatrixXd x = VectorXd::LinSpaced(n, -pi, pi), x_fine = VectorXd::LinSpaced(n_fine, -pi, pi);
  const MatrixXd y = x.unaryExpr(&target), y_fine = x_fine.unaryExpr(&target);
  const mb::TrainOptions options{.epochs = s.fit_epochs, .learning_rate = 0.05, .momentum = 0.9};
  mlc::Figure fits("Fitting sin(2x) with one hidden layer of tanh units");
  fits.xlabel("x").ylabel("y").legend("outside right top").size(900, 480);
  fits.line(x_fine.col(0), y_fine.col(0), "target sin(2x)", {.color = 8, .width = 3.0});
  mlc::Figure curves("Fitting sin(2x): training loss (best initialization)");
  curves.xlabel("epoch").ylabel("mean squared error (7)").logy().logx().legend("outside right top");
  std::vector<double> widths, best_mse, median_mse, constructive_mse;
  std::vector<std::vector<std::string>> rows;
  mlc::Timer timer;
  for (const Index h : s.fit_widths) {
    std::vector<double> mse;
    mb::Mlp best;
    mb::TrainTrace best_trace;
    for (int i = 0; i < s.fit_inits; ++i) {
      mlc::Rng init =
          rng.derive(100 * static_cast<std::uint64_t>(h) + static_cast<std::uint64_t>(i));
      mb::Mlp net = mb::make_mlp({1, h, 1}, mb::Activation::tanh, init);
      const auto trace = mb::train_regressor(net, x, y, options, init);
      mse.push_back(mb::mean_squared_error(net.forward(x_fine), y_fine));  // on the fine grid
      if (mse.back() <= *std::min_element(mse.begin(), mse.end())) {
        best = net;
        best_trace = trace;
      }
    }
    // (13) the constructive relu network with h units: interpolation at h + 1 equal knots.
    const VectorXd knots = VectorXd::LinSpaced(h + 1, -pi, pi);
    mb::Mlp built = mb::relu_interpolant(knots, knots.unaryExpr(&target));
    const std::string key = fmt::format("fit.width_{}", h);
    widths.push_back(static_cast<double>(h));
    best_mse.push_back(*std::min_element(mse.begin(), mse.end()));
    median_mse.push_back(median(mse));
    constructive_mse.push_back(mb::mean_squared_error(built.forward(x_fine), y_fine));
    rows.push_back({fmt::format("{}", h), report.quote(key + ".best_mse", best_mse.back(), 3),
                    report.quote(key + ".median_mse", median_mse.back(), 3),
                    report.quote(key + ".constructive_relu_mse", constructive_mse.back(), 3)});
    if (h == 1 || h == 4 || h == 16) {
      fits.line(x_fine.col(0), best.forward(x_fine).col(0),
                fmt::format("{} unit{}", h, h > 1 ? "s" : ""));
      curves.line(epochs_axis(best_trace.loss.size()), best_trace.loss,
                  fmt::format("{} unit{}", h, h > 1 ? "s" : ""));
    }
  }
  report.timing("fit.train_seconds", timer.seconds());
  report.text(fmt::format(
      "The target sin(2x) on [−π, π] (two periods), {} equally spaced training points; networks "
      "1-h-1 with tanh hidden units (Glorot initialization (10)) and a linear output, full-batch "
      "gradient descent with heavy-ball momentum (step 0.05, β = 0.9) for {} epochs on the mean "
      "squared error (7), {} initialization(s) per width. Errors are measured on {} points of a "
      "finer grid. Beside them, the relu network (13) that interpolates the target at h + 1 "
      "equally spaced knots: Cybenko's theorem in its constructive 1-D form. Its error falls like "
      "h⁻⁴ (the error of linear interpolation is O(h⁻²) pointwise); for h ≤ 4 the knots fall on "
      "zeros of sin(2x) and the interpolant is the zero function (aliasing: fewer than two knots "
      "per half period).",
      n, s.fit_epochs, s.fit_inits, n_fine));
  report.table(
      {"hidden units h", "trained MSE, best", "trained MSE, median", "constructive relu MSE"},
      rows);
  const auto index_of = [&](Index h) {
    return static_cast<std::size_t>(std::find(s.fit_widths.begin(), s.fit_widths.end(), h) -
                                    s.fit_widths.begin());
  };
  if (index_of(8) < widths.size() && index_of(16) < widths.size()) {
    report.text(fmt::format(
        "Doubling the constructive network from 8 to 16 units divides its error by {} (h⁻⁴ "
        "predicts 16).",
        report.quote("fit.constructive_ratio_8_to_16",
                     constructive_mse[index_of(8)] / constructive_mse[index_of(16)], 3)));
  }
  report.figure(fits, "fit_1d", "The best of the trained fits with 1, 4 and 16 tanh units.");
  mlc::Figure err("Fitting sin(2x): error against width");
  err.xlabel("hidden units h")
      .ylabel("mean squared error on the fine grid")
      .logx()
      .logy()
      .xrange(0.8, 1.25 * widths.back())
      .legend("outside right top")
      .size(900, 480);
  err.line_points(widths, best_mse, "trained tanh, best initialization")
      .line_points(widths, median_mse, "trained tanh, median")
      .line_points(widths, constructive_mse, "constructive relu interpolant (13)", {.dash = true});
  report.figure(err, "fit_1d_error", "Mean squared error against the number of hidden units.");
  report.figure(curves, "fit_1d_loss", "Training loss of the fits shown above.");
}

// ---- 6. Too large a learning rate ---------------------------------------------------------------

struct LearningRateResult {
  double stable_rate, stable_loss, unstable_rate;
  int unstable_epochs;
  double curvature_bound;
};

LearningRateResult learning_rate_experiment(mlc::Report& report, const Settings& s,
                                            const mlc::Rng& rng) {
  report.section("Too large a learning rate");
  const MatrixXd x = VectorXd::LinSpaced(100, -std::numbers::pi, std::numbers::pi);
  const MatrixXd y = x.unaryExpr(&target);
  const std::vector<double> rates{0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 3.0};
  // The output layer alone is least squares on the hidden features H̃ = [H 1]: its Hessian
  // 2 H̃ᵀH̃ / n is a principal block of the full Hessian, so λ_max of the block bounds the
  // full λ_max from below and 2 / λ_max(block) bounds the stable step from above.
  mlc::Rng init0 = rng.derive(0);
  mb::Mlp probe = mb::make_mlp({1, 16, 1}, mb::Activation::tanh, init0);
  probe.forward(x);
  MatrixXd Ht(100, 17);
  Ht << probe.activations[0], VectorXd::Ones(100);
  const double lambda_block = Eigen::SelfAdjointEigenSolver<MatrixXd>(
                                  2.0 * Ht.transpose() * Ht / 100.0, Eigen::EigenvaluesOnly)
                                  .eigenvalues()
                                  .maxCoeff();
  LearningRateResult r{std::nan(""), std::nan(""), std::nan(""), -1, 2.0 / lambda_block};
  mlc::Figure fig("Plain gradient descent on sin(2x), 16 tanh units, by step size");
  fig.xlabel("epoch")
      .ylabel("mean squared error (7)")
      .logy()
      .logx()
      .legend("outside right top")
      .size(900, 480);
  std::vector<std::vector<std::string>> rows;
  for (const double eta : rates) {
    mlc::Rng init = rng.derive(0);  // the same initialization for every step size
    mb::Mlp net = mb::make_mlp({1, 16, 1}, mb::Activation::tanh, init);
    const auto trace =
        mb::train_regressor(net, x, y, {.epochs = s.lr_epochs, .learning_rate = eta}, init);
    const std::string key = fmt::format("learning_rate.eta_{:g}", eta);
    report.metric(key + ".diverged", trace.diverged ? 1.0 : 0.0);
    rows.push_back({fmt::format("{:g}", eta),
                    report.quote(key + ".final_loss", trace.loss.back(), 3),
                    trace.diverged ? fmt::format("yes, after {} epochs", trace.epochs) : "no"});
    fig.line(epochs_axis(trace.loss.size()), trace.loss, fmt::format("step {:g}", eta));
    if (!trace.diverged) {  // the largest stable step
      r.stable_rate = eta;
      r.stable_loss = trace.loss.back();
    } else if (std::isnan(r.unstable_rate)) {  // the smallest diverging step
      r.unstable_rate = eta;
      r.unstable_epochs = trace.epochs;
    }
  }
  report.text(fmt::format(
      "The 1-16-1 tanh network of the previous section from one initialization, plain full-batch "
      "gradient descent (11) without momentum for {} epochs at seven step sizes; a run is stopped "
      "as diverged when its loss exceeds 1e8. At the initialization the output layer's block of "
      "the Hessian, 2 H̃ᵀH̃ / n with H̃ = [H 1], has largest eigenvalue {}, so no step above 2 / λ = "
      "{} can be stable near this point (1.4's 2/L limit); the full Hessian's largest eigenvalue "
      "is larger still, so the true limit lies below this bound.",
      s.lr_epochs, report.quote("learning_rate.output_block_lambda_max", lambda_block),
      report.quote("learning_rate.step_bound", r.curvature_bound)));
  report.table({"step η", "final loss", "diverged"}, rows);
  report.figure(fig, "learning_rate",
                "Loss curves by step size; the diverging runs end when the loss passes 1e8.");
  return r;
}

// ---- 7. Digits: the MLP against softmax regression ---------------------------------------------

void digits_experiment(mlc::Report& report, const Settings& s, const mlc::Options& opt) {
  report.section("Digits: an MLP against softmax regression");
  mlc::Dataset digits = mlc::load_dataset("digits");
  if (s.digits_subsample > 0) {
    mlc::Rng sub = mlc::Rng(opt.seed).derive(7);
    auto rows = sub.sample_without_replacement(digits.n(), s.digits_subsample);
    std::sort(rows.begin(), rows.end());
    digits = mlc::subset(digits, rows);
  }
  const Index hidden = 64;
  const double lambda = 1e-2;  // lesson 2.4's choice by cross-validation
  double mlp_seconds = 0.0, softmax_seconds = 0.0;
  std::uint64_t split = 0;
  const auto summary = me::evaluate_on_splits(
      digits, s.digits_splits, opt.seed, [&](const mlc::Dataset& tr, const mlc::Dataset& te) {
        mlc::Rng init = mlc::Rng(opt.seed).derive(700 + split++);
        mlc::Timer t;
        mb::Mlp net = mb::make_mlp({tr.d(), hidden, 10}, mb::Activation::relu, init);
        mb::train_classifier(
            net, tr.X, tr.labels(),
            {.epochs = s.digits_epochs, .learning_rate = 0.01, .momentum = 0.9, .batch_size = 32},
            init);
        mlp_seconds += t.seconds();
        t.reset();
        const auto softmax = lr::fit_softmax_newton(tr.X, tr.labels(), 10, lambda);
        softmax_seconds += t.seconds();
        const double mlp_acc = mb::accuracy(net, te.X, te.labels());
        const double softmax_acc = me::accuracy(te.labels(), softmax.predict(te.X));
        return std::map<std::string, double>{
            {"mlp", mlp_acc},
            {"mlp_train", mb::accuracy(net, tr.X, tr.labels())},
            {"softmax", softmax_acc},
            {"softmax_train", me::accuracy(tr.labels(), softmax.predict(tr.X))},
            {"difference", mlp_acc - softmax_acc}};
      });
  report.timing("digits.mlp.train_seconds", mlp_seconds / s.digits_splits);
  report.timing("digits.softmax.fit_seconds", softmax_seconds / s.digits_splits);
  report.metric("digits.mlp.test_accuracy_sd", summary.sd("mlp"));
  report.metric("digits.softmax.test_accuracy_sd", summary.sd("softmax"));
  report.metric("digits.difference_sd", summary.sd("difference"));
  report.metric("digits.mlp.test_accuracy", summary.mean("mlp"));
  report.metric("digits.softmax.test_accuracy", summary.mean("softmax"));
  report.text(fmt::format(
      "digits ({} images of 8 × 8 pixels{}, 10 classes), the curriculum's protocol: stratified "
      "75/25 splits with seeds {}..{}, features standardized on the training part. The MLP "
      "64-{}-10 with relu units is trained by mini-batch SGD (batch 32, step 0.01, momentum 0.9) "
      "for {} epochs without any penalty; softmax regression is lesson 2.4's damped Newton with λ "
      "= {}, fitted on the same splits.",
      digits.n(), s.digits_subsample > 0 ? ", --quick: a subsample" : "", opt.seed,
      opt.seed + s.digits_splits - 1, hidden, s.digits_epochs, lambda));
  report.table({"model", "parameters", "test accuracy (mean ± sd over splits)", "train accuracy"},
               {{fmt::format("MLP 64-{}-10, relu", hidden),
                 fmt::format("{}", 65 * hidden + (hidden + 1) * 10),
                 mlc::mean_sd(summary.mean("mlp"), summary.sd("mlp")),
                 report.quote("digits.mlp.train_accuracy", summary.mean("mlp_train"))},
                {"softmax regression (2.4)", "650",
                 mlc::mean_sd(summary.mean("softmax"), summary.sd("softmax")),
                 report.quote("digits.softmax.train_accuracy", summary.mean("softmax_train"))}});
  if (s.digits_splits >= 2) {
    // Paired t statistic of the per-split differences, against Student's t with k − 1 df.
    const double k = s.digits_splits;
    const double t = summary.mean("difference") / (summary.sd("difference") / std::sqrt(k));
    const double critical = boost::math::quantile(boost::math::students_t(k - 1.0), 0.975);
    report.text(fmt::format(
        "The paired difference MLP − softmax is {} ± {} over {} splits: paired t = {} against the "
        "two-sided 5 % critical value {} of Student's t with {} degrees of freedom{}.",
        report.quote("digits.difference", summary.mean("difference"), 3),
        mlc::num(summary.sd("difference"), 3), s.digits_splits,
        report.quote("digits.paired_t", t, 3),
        report.quote("digits.paired_t_critical", critical, 4), s.digits_splits - 1,
        std::abs(t) > critical ? "" : ": the gain is not significant at the 5 % level"));
  }
}

// ---- The program
// -----------------------------------------------------------------------------------

void failure_modes(mlc::Report& report, const XorResult& x, const SymmetryResult& sym,
                   const LearningRateResult& lr) {
  const int f2 = x.failures.count(2) ? x.failures.at(2) : -1;
  const Index widest = x.failures.rbegin()->first;
  report.failure_mode(
      {.name = "Symmetric initialization: the hidden units stay identical",
       .trigger =
           "the 2-8-2 tanh network on XOR with every weight 0, or every weight 0.5 (biases 0)",
       .symptom = fmt::format(
           "after training the spread (12) between hidden units is {} (zero) and {} (0.5); "
           "accuracy {} and {}",
           mlc::num(sym.spread.at("zero"), 3), mlc::num(sym.spread.at("constant"), 3),
           mlc::num(sym.accuracy.at("zero"), 3), mlc::num(sym.accuracy.at("constant"), 3)),
       .why = "units with equal incoming and outgoing weights get equal gradients (9), so gradient "
              "descent keeps them equal: eight copies of one unit, which cannot separate XOR; with "
              "all weights 0 even that unit is frozen: the output weights are 0, so dH_1 = dZ_2 "
              "W_2ᵀ = 0 (4)",
       .mitigation = fmt::format("random initialization (10): spread {}, accuracy {}",
                                 mlc::num(sym.spread.at("random"), 3),
                                 mlc::num(sym.accuracy.at("random"), 3))});
  report.failure_mode(
      {.name = "A linear model cannot represent XOR",
       .trigger = "no hidden layer (softmax regression) on the four XOR points",
       .symptom = fmt::format(
           "the loss ends at {} (log 2 = 0.6931) and the best accuracy over {} seeds is {}",
           mlc::num(x.linear_loss), x.seeds, mlc::num(x.linear_accuracy, 3)),
       .why = "any linear score w·x + b with w·(1,1) and w·(−1,−1) on one side must put (1,−1) or "
              "(−1,1) on the same side; by symmetry the cross-entropy optimum is w = 0",
       .mitigation = fmt::format("one hidden layer: with {} tanh units {} of {} seeds fail", widest,
                                 x.failures.at(widest), x.seeds)});
  report.failure_mode(
      {.name = "XOR with 2 hidden units gets stuck for some seeds",
       .trigger =
           fmt::format("the 2-2-2 tanh network on XOR from {} random initializations", x.seeds),
       .symptom = fmt::format(
           "{} of {} runs end below accuracy 1, at a mean loss "
           "of {} (log(2)/2 = 0.3466) and mean accuracy {}, with on average {} of the 4 points "
           "at probability 0.5 ± 0.05",
           f2, x.seeds, mlc::num(x.stuck_loss, 4), mlc::num(x.stuck_accuracy, 3),
           mlc::num(x.stuck_undecided, 3)),
       .why = "two units are just enough to represent XOR, with nothing to spare: "
              "from some starts the units commit to fitting two of the points with "
              "certainty and gradient descent settles where the other two sit at "
              "probability 1/2, a local minimum or a very flat region of the loss",
       .mitigation = fmt::format("more width: {} of {} seeds fail with {} units",
                                 x.failures.at(widest), x.seeds, widest)});
  report.failure_mode(
      {.name = "Too large a learning rate diverges",
       .trigger = fmt::format("plain gradient descent with step {} on the 1-16-1 tanh regression",
                              mlc::num(lr.unstable_rate)),
       .symptom = fmt::format("the loss passes 1e8 after {} epochs", lr.unstable_epochs),
       .why = fmt::format(
           "a step above 2 / λ_max of the Hessian amplifies the error along the top eigenvector "
           "(1.4); the output layer's block alone bounds the stable step by {} here",
           mlc::num(lr.curvature_bound, 3)),
       .mitigation = fmt::format("step {}: the loss falls to {}", mlc::num(lr.stable_rate),
                                 mlc::num(lr.stable_loss, 3))});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  const Settings s = Settings::make(opt.quick);
  const mlc::Rng rng(opt.seed);
  mlc::Timer t;
  gradient_checks(report, rng.derive(1));
  const XorResult x = xor_experiment(report, s, rng.derive(2));
  report.timing("xor.seconds", t.seconds());
  const SymmetryResult sym = symmetry_experiment(report, s, rng.derive(3));
  spirals_experiment(report, s, rng.derive(4));
  approximation_experiment(report, s, rng.derive(5));
  const LearningRateResult lrr = learning_rate_experiment(report, s, rng.derive(6));
  t.reset();
  digits_experiment(report, s, opt);
  report.timing("digits.seconds", t.seconds());
  failure_modes(report, x, sym, lrr);
  fmt::print("XOR: {} of {} seeds fail with 2 units; hidden-unit spread after constant init {}\n",
             x.failures.count(2) ? x.failures.at(2) : -1, x.seeds, sym.spread.at("constant"));
  report.headline({"digits.mlp.test_accuracy", "digits.softmax.test_accuracy"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
