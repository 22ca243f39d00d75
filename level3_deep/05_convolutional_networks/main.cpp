// 3.5 convolutional_networks: convolution and max pooling written by hand as engine ops (a
// direct reference and im2col + GEMM), checked against central differences, against each
// other and against the same layers built from 3.4's ops; LeNet-5 timed per epoch; the best
// CNN trained with warm-up, cosine decay, dropout and early stopping on Fashion-MNIST; its
// filters and feature maps; and two failure modes: an MLP under shifted inputs (no
// translation equivariance) and rotated inputs (handled by neither).
// Run: ./learn run convolutional_networks [--quick] [--seed N] [--out DIR] [--threads N] [--resume]
// Equation numbers (n) refer to NOTES.md.
#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <omp.h>

#include "cnn.hpp"
#include "convolutional_networks.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "mlp.hpp"
#include "op_checks.hpp"

namespace ag = autograd;
namespace cn = convolutional_networks;
using ag::Index;
using ag::Matrix;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "Convolution and max pooling by hand as ops of 3.4's engine: the direct convolution (the "
    "definition) and im2col + one GEMM per image (threaded over images, thread-count invariant), "
    "checked against central differences, against each other and against the same layers built "
    "from engine ops. LeNet-5 timed per epoch; a 32-64-channel CNN trained to the best test "
    "accuracy on Fashion-MNIST with warm-up, cosine decay, dropout, early stopping and a "
    "checkpoint per epoch (--resume); its filters and feature maps. Failure modes: an MLP under "
    "shifted images (no translation equivariance) and rotated images (handled by neither).",
    "report.md, metrics.json, figures/accuracy_vs_epochs.svg, figures/filters.svg, "
    "figures/feature_maps.svg, figures/shift.svg, figures/rotation.svg, checkpoint_cnn.bin",
    {.threads = true, .resume = true});

// Sizes of the full run and of --quick.
struct Settings {
  Index train_rows, val_rows, test_rows;  // Fashion-MNIST images
  int lenet_epochs, cnn_epochs, mlp_epochs, augment_epochs;
  Index max_steps;    // per epoch (0: all)
  Index agree_batch;  // images of the direct-vs-im2col comparison
};
Settings settings(bool quick) {
  return quick ? Settings{1000, 250, 500, 1, 2, 1, 1, 5, 8}
               : Settings{55000, 5000, 10000, 3, 5, 3, 2, 0, 64};
}

struct Data {
  cn::Split train, val, test;
};

Data load_data(const mlc::Options& opt) {
  const Settings s = settings(opt.quick);
  // The validation split: a seeded random 5 000 of the 60 000 training images.
  auto take = [](const mlc::Dataset& d, const std::vector<Index>& rows) {
    cn::Split out{Matrix<float>(static_cast<Index>(rows.size()), d.X.cols()),
                  Eigen::VectorXi(static_cast<Index>(rows.size()))};
    const Eigen::VectorXi labels = d.labels();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      out.X.row(static_cast<Index>(i)) = d.X.row(rows[i]).cast<float>();
      out.y(static_cast<Index>(i)) = labels(rows[i]);
    }
    return out;
  };
  auto range = [](Index lo, Index hi) {
    std::vector<Index> v;
    for (Index i = lo; i < hi; ++i) v.push_back(i);
    return v;
  };
  if (opt.quick) {  // every split from the 10 000-image test file (disjoint rows): seconds
    const mlc::Dataset t = mlc::load_fashion_mnist(false, s.train_rows + s.val_rows + s.test_rows);
    return {take(t, range(0, s.train_rows)),
            take(t, range(s.train_rows, s.train_rows + s.val_rows)),
            take(t, range(t.X.rows() - s.test_rows, t.X.rows()))};
  }
  const mlc::Dataset train = mlc::load_fashion_mnist(true), test = mlc::load_fashion_mnist(false);
  std::vector<Index> perm = mlc::Rng(opt.seed).derive(1).permutation(train.X.rows());
  const std::vector<Index> tr(perm.begin(), perm.begin() + s.train_rows);
  const std::vector<Index> va(perm.begin() + s.train_rows, perm.end());
  return {take(train, tr), take(train, va), take(test, range(0, test.X.rows()))};
}

// ---- 1. The ops against central differences, each other and the engine ------------------
void op_checks(mlc::Report& report, const mlc::Options& opt) {
  report.section("Convolution and pooling, checked three ways");
  mlc::Rng rng = mlc::Rng(opt.seed).derive(2);
  const std::uint64_t adjoint_seed = mlc::Rng(opt.seed).derive(3).next_u64();
  std::vector<std::vector<std::string>> rows;
  double worst = 0.0;
  for (const ag::OpCase& op : cn::conv_op_cases(rng)) {
    const ag::OpCheck d = ag::check_op(op, adjoint_seed);
    worst = std::max(worst, d.relative_error);
    rows.push_back(
        {op.name, op.equation, std::to_string(d.entries), mlc::num(d.relative_error, 2)});
  }
  report.table({"op", "equations", "entries checked", "relative error (double, h = 1e-6)"}, rows);
  // The fast op against the direct one, in float on real images: LeNet-5's second convolution.
  const Settings s = settings(opt.quick);
  const cn::Conv2d g{.in_channels = 6, .height = 14, .width = 14, .out_channels = 16, .kernel = 5};
  ag::Parameter<float> x("x", rng.uniform_matrix(s.agree_batch, g.in_size()).cast<float>());
  ag::Parameter<float> w("W", rng.normal_matrix(g.out_channels, g.patch(), 0, 0.1).cast<float>());
  ag::Parameter<float> b("b", rng.normal_matrix(1, g.out_channels, 0, 0.1).cast<float>());
  const Matrix<float> R = rng.normal_matrix(s.agree_batch, g.out_size()).cast<float>();
  auto run_op = [&](auto op) {
    ag::zero_grad({&x, &w, &b});
    ag::Tape<float> tape;
    mlc::Timer t;
    const ag::Var<float> y = op(tape.param(x), tape.param(w), tape.param(b), g);
    tape.backward(y, R);
    return std::tuple{Matrix<float>(y.value()), x.grad, w.grad, t.seconds()};
  };
  const auto [y1, dx1, dw1, t_fast] = run_op(cn::conv2d<float>);
  const auto [y2, dx2, dw2, t_direct] = run_op(cn::conv2d_direct<float>);
  auto rel = [](const Matrix<float>& a, const Matrix<float>& c) {
    return static_cast<double>((a - c).norm() / c.norm());
  };
  const double agree = std::max({rel(y1, y2), rel(dx1, dx2), rel(dw1, dw2)});
  report.timing("conv.im2col_forward_backward_seconds", t_fast);
  report.timing("conv.direct_forward_backward_seconds", t_direct);
  report.text(fmt::format(
      "Each op is checked as 3.4's (19): a random adjoint R seeds one backward pass, central "
      "differences of L = Σ R ⊙ y give the gradients again, and the measure is the norm-wise "
      "relative error ‖a − n‖ / (‖a‖ + ‖n‖), the largest over the op's inputs: at most {} over {} "
      "cases in double. The im2col op and the direct one agree in float32 on LeNet-5's second "
      "convolution ({} images, 6 → 16 channels, 5 × 5): the largest relative difference of the "
      "output, dX and dW is {}. The direct loops and im2col + GEMM are timed on the same forward "
      "and backward in the Timing table. The tests also check both "
      "against the convolution built from engine ops (embedding gathers, concat, matmul) and "
      "against hand-computed cases.",
      report.quote("gradcheck.max_relative_error", worst, 2),
      report.quote("gradcheck.cases", static_cast<double>(rows.size())), s.agree_batch,
      report.quote("conv.im2col_vs_direct_relative_difference", agree, 2)));
}

// Accuracy per epoch of a training run as two series (validation, test).
void accuracy_series(mlc::Figure& fig, const cn::TrainResult& r, const std::string& name,
                     int color) {
  std::vector<double> epoch, val, test;
  for (std::size_t e = 0; e < r.epochs.size(); ++e) {
    epoch.push_back(static_cast<double>(e + 1));
    val.push_back(r.epochs[e].val_accuracy);
    test.push_back(r.epochs[e].test_accuracy);
  }
  fig.line_points(epoch, test, name + ", test", {.color = color});
  fig.line_points(epoch, val, name + ", validation", {.color = color, .dash = true});
}

double mean_epoch_seconds(const cn::TrainResult& r) {
  double sum = 0.0;
  for (std::size_t e = static_cast<std::size_t>(r.resumed_after); e < r.epochs.size(); ++e)
    sum += r.epochs[e].seconds;
  return sum / static_cast<double>(std::max<std::size_t>(
                   1, r.epochs.size() - static_cast<std::size_t>(r.resumed_after)));
}

// ---- 2. LeNet-5 ----------------------------------------------------------------------------
cn::TrainResult lenet(mlc::Report& report, const mlc::Options& opt, const Data& data) {
  report.section("LeNet-5");
  const Settings s = settings(opt.quick);
  mlc::Rng rng = mlc::Rng(opt.seed).derive(4);
  auto net = cn::make_cnn<float>(cn::lenet5(), rng);
  const cn::TrainConfig config{.epochs = s.lenet_epochs,
                               .batch_size = 128,
                               .learning_rate = 1e-3,
                               .max_steps_per_epoch = s.max_steps,
                               .seed = mlc::Rng(opt.seed).derive(5).next_u64()};
  const cn::TrainResult r = cn::train(net, data.train, data.val, data.test, config);
  const double epoch_seconds = mean_epoch_seconds(r);
  report.timing("lenet5_epoch_seconds", epoch_seconds);
  report.metric("lenet5.parameters", static_cast<double>(net.num_parameters()));
  std::vector<double> test;
  for (const auto& e : r.epochs) test.push_back(e.test_accuracy);
  report.metric("lenet5.test_accuracy_per_epoch", test);
  report.text(fmt::format(
      "LeNet-5 as the issue fixes it: conv 6@5×5 (padding 2) → ReLU → 2×2 max pool → conv 16@5×5 "
      "→ ReLU → pool → 120 → 84 → 10, {} parameters (LeCun et al. 1998 count 60 000 for the "
      "original), Adam (η = 1e-3, constant), batch 128, {} epochs on {} training images with "
      "{} threads. Test accuracy after the last epoch: {}. The mean epoch time is in the Timing "
      "table (lenet5_epoch_seconds); NOTES.md compares it with PyTorch "
      "on the same machine.",
      mlc::num(static_cast<double>(net.num_parameters())), s.lenet_epochs, data.train.X.rows(),
      opt.threads, report.quote("lenet5.test_accuracy", r.epochs.back().test_accuracy)));
  fmt::print("LeNet-5: test accuracy {}, {} s per epoch\n", mlc::num(r.epochs.back().test_accuracy),
             mlc::num(epoch_seconds, 3));
  return r;
}

// ---- 3. The best CNN ------------------------------------------------------------------------
cn::Cnn<float> best(mlc::Report& report, const mlc::Options& opt, const Data& data,
                    const cn::TrainResult& lenet_run) {
  report.section("The best CNN: 32 and 64 channels, schedule, dropout, early stopping");
  const Settings s = settings(opt.quick);
  mlc::Rng rng = mlc::Rng(opt.seed).derive(6);
  auto net = cn::make_cnn<float>(cn::best_cnn(), rng);
  const cn::TrainConfig config{.epochs = s.cnn_epochs,
                               .batch_size = 128,
                               .learning_rate = 2e-3,
                               .weight_decay = 1e-4,
                               .warmup_epochs = 0.5,
                               .cosine = true,
                               .patience = 2,
                               .max_steps_per_epoch = s.max_steps,
                               .seed = mlc::Rng(opt.seed).derive(7).next_u64(),
                               .checkpoint = opt.out / "checkpoint_cnn.bin",
                               .resume = opt.resume};
  const cn::TrainResult r = cn::train(net, data.train, data.val, data.test, config);
  const cn::Evaluation test = cn::evaluate(net, data.test.X, data.test.y);
  report.timing("cnn.epoch_seconds", mean_epoch_seconds(r));
  std::vector<std::vector<std::string>> rows;
  for (std::size_t e = 0; e < r.epochs.size(); ++e) {
    const auto& h = r.epochs[e];
    rows.push_back({std::to_string(e + 1), mlc::num(h.learning_rate, 3), mlc::num(h.train_loss),
                    mlc::num(h.val_loss), mlc::num(h.val_accuracy), mlc::num(h.test_accuracy)});
  }
  report.table({"epoch", "η at the epoch's end", "train loss", "validation loss",
                "validation accuracy", "test accuracy"},
               rows);
  report.text(fmt::format(
      "conv 32@3×3 (padding 1) → ReLU → pool → conv 64@3×3 (padding 1) → ReLU → pool → 256 → "
      "ReLU → dropout 0.3 → 10, {} parameters; AdamW (peak η = 2e-3, decoupled decay 1e-4), "
      "linear warm-up over half an epoch then cosine decay to 0 (12), batch 128, at most {} epochs "
      "on {} images; early stopping on the {} validation images (patience 2) keeps the weights of "
      "the best validation epoch, {}{}. Test accuracy of those weights: {} (test loss {}). A "
      "checkpoint is written after every epoch; --resume continues from it{}.",
      mlc::num(static_cast<double>(net.num_parameters())), s.cnn_epochs, data.train.X.rows(),
      data.val.X.rows(), report.quote("cnn.best_epoch", r.best_epoch),
      r.stopped_early ? " (stopped early)" : "", report.quote("test_accuracy", test.accuracy),
      report.quote("cnn.test_loss", test.loss),
      r.resumed_after > 0 ? fmt::format(" (this run resumed after epoch {})", r.resumed_after)
                          : ""));
  mlc::Figure fig("Accuracy on Fashion-MNIST after each epoch");
  fig.xlabel("epoch").ylabel("accuracy").legend("bottom right");
  accuracy_series(fig, lenet_run, "LeNet-5", 0);
  accuracy_series(fig, r, "CNN 32-64", 1);
  report.figure(
      fig, "accuracy_vs_epochs",
      fmt::format("Test (solid) and validation (dashed) accuracy after each epoch. The "
                  "32-64 CNN ends at {} test accuracy, LeNet-5 at {}.",
                  mlc::num(test.accuracy), mlc::num(lenet_run.epochs.back().test_accuracy)));
  fmt::print("CNN 32-64: test accuracy {} (best epoch {})\n", mlc::num(test.accuracy),
             r.best_epoch);
  return net;
}

// An image [H × W] as heat-map rows (row 0 at the bottom: flip so the image stands upright).
Eigen::MatrixXd upright(const Eigen::MatrixXd& image) {
  return image.colwise().reverse();
}

// ---- 4. What the network learned: filters and feature maps --------------------------------
void filters_and_maps(mlc::Report& report, cn::Cnn<float>& net, const Data& data) {
  report.section("First-layer filters and feature maps");
  const Matrix<float>& W = net.params[0].value;  // [32 × 9]
  const Index k = net.convs[0].kernel, filters = W.rows(), per_row = 8, gap = 1;
  const Index grid_rows = (filters + per_row - 1) / per_row;
  Eigen::MatrixXd tiles =
      Eigen::MatrixXd::Constant(grid_rows * (k + gap) - gap, per_row * (k + gap) - gap, 0.0);
  for (Index f = 0; f < filters; ++f) {
    Eigen::MatrixXd filter(k, k);
    for (Index i = 0; i < k * k; ++i) filter(i / k, i % k) = W(f, i);
    filter /= std::max(1e-12, filter.cwiseAbs().maxCoeff());  // each filter scaled to [−1, 1]
    tiles.block((f / per_row) * (k + gap), (f % per_row) * (k + gap), k, k) = filter;
  }
  mlc::Figure fig("The 32 learned 3×3 filters of the first convolution");
  fig.size(900, 480).heatmap(upright(tiles), 0, static_cast<double>(tiles.cols()), 0,
                             static_cast<double>(tiles.rows()),
                             "weight / max |weight| of its filter");
  fig.xlabel("filters 1-8, 9-16, ... (left to right, top to bottom)").ylabel("3×3 taps");
  report.figure(fig, "filters",
                "Each 3×3 filter of the first layer scaled by its largest magnitude.");
  // Feature maps of one test image: the input and the first 8 channels of block 1's ReLU output.
  ag::Tape<float> tape;
  std::vector<ag::Var<float>> maps;
  net.logits(tape, tape.input(data.test.X.topRows(1)), nullptr, &maps);
  const Index H = net.convs[0].out_height(), Wd = net.convs[0].out_width(), shown = 8;
  Eigen::MatrixXd panel = Eigen::MatrixXd::Constant(H, (shown + 1) * (Wd + 2) - 2, 0.0);
  for (Index i = 0; i < H * Wd; ++i) panel(i / Wd, i % Wd) = data.test.X(0, i);
  for (Index c = 0; c < shown; ++c) {
    Eigen::MatrixXd m(H, Wd);
    for (Index i = 0; i < H * Wd; ++i) m(i / Wd, i % Wd) = maps[0].value()(0, c * H * Wd + i);
    panel.block(0, (c + 1) * (Wd + 2), H, Wd) = m / std::max(1e-12, m.maxCoeff());
  }
  mlc::Figure maps_fig("A test image and 8 of the 32 feature maps of the first block");
  maps_fig.size(1100, 220).heatmap(upright(panel), 0, static_cast<double>(panel.cols()), 0,
                                   static_cast<double>(H), "activation / its map's maximum");
  maps_fig.xlabel("input image, then ReLU(conv) channels 1-8").ylabel("pixel row");
  report.figure(
      maps_fig, "feature_maps",
      "The first test image (left) and the ReLU outputs of the first 8 filters, each on the "
      "image's grid: the convolution is equivariant to shifts (11).");
}

// Accuracy of a network (CNN or MLP) on transformed test images.
double cnn_accuracy(cn::Cnn<float>& net, const Matrix<float>& X, const Eigen::VectorXi& y) {
  return cn::evaluate(net, X, y).accuracy;
}
double mlp_accuracy(ag::Mlp<float>& mlp, const Matrix<float>& X, const Eigen::VectorXi& y) {
  return ag::evaluate(mlp, X.cast<double>(), y).accuracy;
}

// The MLP of 3.3/3.4 (784-256-128-10, ReLU, Adam) trained on the same images.
ag::Mlp<float> train_mlp(const mlc::Options& opt, const Data& data) {
  const Settings s = settings(opt.quick);
  mlc::Rng rng = mlc::Rng(opt.seed).derive(8);
  auto mlp = ag::make_mlp<float>({784, 256, 128, 10}, ag::Activation::relu, rng);
  const Eigen::MatrixXd X = data.train.X.cast<double>();
  ag::train_classifier(mlp, X, data.train.y, X.topRows(1), data.train.y.head(1),
                       {.epochs = s.mlp_epochs,
                        .batch_size = 128,
                        .learning_rate = 1e-3,
                        .seed = mlc::Rng(opt.seed).derive(9).next_u64()});
  return mlp;
}

// ---- 5. Failure mode: an MLP is not translation equivariant -------------------------------
void shifts(mlc::Report& report, const Data& data, cn::Cnn<float>& net, ag::Mlp<float>& mlp) {
  report.section("Failure mode: shifted images");
  std::vector<double> pixels, acc_cnn, acc_mlp;
  for (Index d = 0; d <= 4; ++d) {
    const Matrix<float> X = cn::shift_images(data.test.X, 1, 28, 28, d, d);
    pixels.push_back(static_cast<double>(d));
    acc_cnn.push_back(cnn_accuracy(net, X, data.test.y));
    acc_mlp.push_back(mlp_accuracy(mlp, X, data.test.y));
  }
  report.metric("shift.pixels", pixels);
  report.metric("shift.cnn_accuracy", acc_cnn);
  report.metric("shift.mlp_accuracy", acc_mlp);
  const double drop_mlp = acc_mlp[0] - acc_mlp[2], drop_cnn = acc_cnn[0] - acc_cnn[2];
  mlc::Figure fig("Test accuracy on images shifted right and down by d pixels");
  fig.xlabel("shift d (pixels, both right and down)").ylabel("test accuracy").legend("bottom left");
  fig.line_points(pixels, acc_cnn, "CNN 32-64");
  fig.line_points(pixels, acc_mlp, "MLP 784-256-128-10");
  report.figure(fig, "shift",
                fmt::format("Both trained on centred images only. A 2-pixel shift costs the MLP {} "
                            "and the CNN {} of accuracy.",
                            mlc::num(drop_mlp), mlc::num(drop_cnn)));
  report.failure_mode(
      {.name = "No translation equivariance in an MLP",
       .trigger = "Test images shifted by d pixels right and down (zero fill); networks trained "
                  "on centred images only.",
       .symptom = fmt::format(
           "MLP accuracy {} → {} → {} at d = 0, 2, 4 (a drop of {} at d = 2); the CNN's "
           "{} → {} → {} (a drop of {} at d = 2).",
           mlc::num(acc_mlp[0]), mlc::num(acc_mlp[2]), mlc::num(acc_mlp[4]),
           report.quote("shift.mlp_drop_at_2px", drop_mlp), mlc::num(acc_cnn[0]),
           mlc::num(acc_cnn[2]), mlc::num(acc_cnn[4]),
           report.quote("shift.cnn_drop_at_2px", drop_cnn)),
       .why = "A dense layer has one weight per pixel: a pattern that moves meets other weights, "
              "so the MLP must learn every position separately. A convolution applies the same "
              "filter everywhere (weight sharing), so its feature maps shift with the input (11); "
              "max pooling absorbs shifts within its window. The dense head after the convolutions "
              "is still position-specific, so large shifts hurt the CNN too.",
       .mitigation = fmt::format(
           "The convolutional architecture: at d = 2 the CNN keeps {} where the MLP keeps {}.",
           mlc::num(acc_cnn[2]), mlc::num(acc_mlp[2]))});
}

// ---- 6. Failure mode: rotations, handled by neither ----------------------------------------
void rotations(mlc::Report& report, const mlc::Options& opt, const Data& data, cn::Cnn<float>& net,
               ag::Mlp<float>& mlp) {
  report.section("Failure mode: rotated images");
  const Settings s = settings(opt.quick);
  // Mitigation: LeNet-5 trained with random rotations in ±45°.
  mlc::Rng rng = mlc::Rng(opt.seed).derive(10);
  auto augmented = cn::make_cnn<float>(cn::lenet5(), rng);
  cn::train(augmented, data.train, data.val, data.test,
            {.epochs = s.augment_epochs,
             .learning_rate = 1e-3,
             .max_steps_per_epoch = s.max_steps,
             .augment = cn::Augment::rotation,
             .augment_degrees = 45.0,
             .evaluate_test = false,
             .seed = mlc::Rng(opt.seed).derive(11).next_u64()});
  std::vector<double> degrees, acc_cnn, acc_mlp, acc_aug;
  for (double a : {0.0, 15.0, 30.0, 45.0, 90.0}) {
    const Matrix<float> X = cn::rotate_images(data.test.X, 1, 28, 28, a);
    degrees.push_back(a);
    acc_cnn.push_back(cnn_accuracy(net, X, data.test.y));
    acc_mlp.push_back(mlp_accuracy(mlp, X, data.test.y));
    acc_aug.push_back(cnn_accuracy(augmented, X, data.test.y));
  }
  report.metric("rotation.degrees", degrees);
  report.metric("rotation.cnn_accuracy", acc_cnn);
  report.metric("rotation.mlp_accuracy", acc_mlp);
  report.metric("rotation.augmented_lenet_accuracy", acc_aug);
  mlc::Figure fig("Test accuracy on images rotated about their centre");
  fig.xlabel("rotation (degrees, counter-clockwise)").ylabel("test accuracy").legend("bottom left");
  fig.line_points(degrees, acc_cnn, "CNN 32-64");
  fig.line_points(degrees, acc_mlp, "MLP 784-256-128-10");
  fig.line_points(degrees, acc_aug, "LeNet-5 trained with rotations in ±45°");
  report.figure(fig, "rotation",
                fmt::format("At 45° the CNN keeps {}, the MLP {}; LeNet-5 trained on rotated "
                            "images keeps {}.",
                            mlc::num(acc_cnn[3]), mlc::num(acc_mlp[3]), mlc::num(acc_aug[3])));
  report.failure_mode(
      {.name = "Rotation is handled by neither network",
       .trigger = "Test images rotated by 15°, 30°, 45°, 90° (bilinear, zero fill).",
       .symptom = fmt::format(
           "CNN accuracy {} at 0°, {} at 45°, {} at 90°; MLP {}, {}, {}.", mlc::num(acc_cnn[0]),
           report.quote("rotation.cnn_accuracy_at_45", acc_cnn[3]),
           report.quote("rotation.cnn_accuracy_at_90", acc_cnn[4]), mlc::num(acc_mlp[0]),
           report.quote("rotation.mlp_accuracy_at_45", acc_mlp[3]), mlc::num(acc_mlp[4])),
       .why = "Convolution commutes with translations only (11): a rotated edge is a different "
              "pattern to a fixed filter, and nothing in the architecture ties a filter to its "
              "rotated copies. Fashion-MNIST's items are always upright, so the networks never saw "
              "one rotated.",
       .mitigation = fmt::format(
           "Data augmentation: LeNet-5 trained {} epoch(s) with random rotations in ±45° keeps {} "
           "at 45° and {} at 0° (group-equivariant convolutions build the symmetry in instead).",
           s.augment_epochs, report.quote("rotation.augmented_accuracy_at_45", acc_aug[3]),
           mlc::num(acc_aug[0]))});
}

void run(const mlc::Options& opt) {
  omp_set_num_threads(opt.threads);
  Eigen::setNbThreads(opt.threads);
  mlc::Report report(kLesson, opt);
  const Data data = load_data(opt);
  op_checks(report, opt);
  const cn::TrainResult lenet_run = lenet(report, opt, data);
  cn::Cnn<float> net = best(report, opt, data, lenet_run);
  filters_and_maps(report, net, data);
  ag::Mlp<float> mlp = train_mlp(opt, data);
  shifts(report, data, net, mlp);
  rotations(report, opt, data, net, mlp);
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
