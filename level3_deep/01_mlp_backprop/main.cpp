// 3.1 mlp_backprop: a multi-layer perceptron written as forward/backward pairs.
// (First version: XOR with and without a hidden layer; the full experiment follows.)
// Run: ./learn run mlp_backprop [--quick] [--seed N] [--out DIR]
#include <cmath>

#include <fmt/format.h>

#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlp_backprop.hpp"

namespace mb = mlp_backprop;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "A multi-layer perceptron written as forward/backward pairs; XOR with and without a hidden "
    "layer.",
    "report.md, metrics.json, figures/xor_loss.svg");

void xor_section(mlc::Report& report, const mlc::Options& opt) {
  report.section("XOR");
  Eigen::MatrixXd X(4, 2);
  X << -1, -1, -1, 1, 1, -1, 1, 1;
  Eigen::VectorXi y(4);
  y << 0, 1, 1, 0;
  mlc::Rng rng = mlc::Rng(opt.seed).derive(1);
  mb::Mlp linear = mb::make_mlp({2, 2}, mb::Activation::tanh, rng);
  mb::Mlp hidden = mb::make_mlp({2, 3, 2}, mb::Activation::tanh, rng);
  const mb::TrainOptions o{.epochs = 3000, .learning_rate = 0.5};
  const auto tl = mb::train_classifier(linear, X, y, o, rng);
  const auto th = mb::train_classifier(hidden, X, y, o, rng);
  const double acc_linear = mb::accuracy(linear, X, y), acc_hidden = mb::accuracy(hidden, X, y);
  report.text(
      fmt::format("Linear model: loss {}, accuracy {}. Three tanh units: loss {}, accuracy {}.",
                  report.quote("xor.linear.loss", tl.loss.back()),
                  report.quote("xor.linear.accuracy", acc_linear),
                  report.quote("xor.hidden3.loss", th.loss.back()),
                  report.quote("xor.hidden3.accuracy", acc_hidden)));
  mlc::Figure fig("Training loss on XOR");
  fig.xlabel("epoch").ylabel("mean cross-entropy").logy();
  Eigen::VectorXd e = Eigen::VectorXd::LinSpaced(3000, 1, 3000);
  fig.line(e, tl.loss, "no hidden layer").line(e, th.loss, "3 tanh units");
  report.figure(fig, "xor_loss", "loss against epoch");
  report.failure_mode(
      {.name = "A linear model cannot represent XOR",
       .trigger = "no hidden layer",
       .symptom = fmt::format("accuracy {}", acc_linear),
       .why = "XOR is not linearly separable",
       .mitigation = fmt::format("a hidden layer of 3 tanh units: accuracy {}", acc_hidden)});
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  xor_section(report, opt);
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
