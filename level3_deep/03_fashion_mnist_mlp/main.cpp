// 3.3 fashion_mnist_mlp: a real training pipeline. The program carves a stratified
// validation split from the 60 000 training images, standardizes with training statistics,
// trains a 784-256-128-10 MLP on 3.4's engine in float32 (fused dense layers, threaded over
// fixed tiles) with Adam and with SGD + momentum, stops early on the validation split
// keeping the best checkpoint, and evaluates once on the test set: confusion matrix and the
// most confused images. It kills and resumes a run to show that the checkpoint continues it
// to the same bytes, and provokes four failure modes: training past the best epoch, a
// resume that restores the weights alone, a step size too large for Adam, and a checkpoint
// written in place and cut short.
// Run: ./learn run fashion_mnist_mlp [--quick] [--seed N] [--threads N] [--resume] [--out DIR].
// Equation numbers (n) refer to NOTES.md.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <omp.h>
#include <Eigen/Core>

#include "fashion_mnist_mlp.hpp"
#include "lesson_identity.hpp"
#include "mlc/checkpoint.hpp"
#include "mlc/cli.hpp"
#include "mlc/error.hpp"
#include "mlc/io.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/timer.hpp"

namespace fm = fashion_mnist_mlp;
using fm::Index;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "A real training pipeline for an MLP (784-256-128-10) on Fashion-MNIST, on 3.4's engine in "
    "float32: a stratified validation split, standardization with training statistics, "
    "minibatches, Adam and SGD with momentum, early stopping with the best checkpoint kept, a "
    "checkpoint every epoch from which --resume continues a killed run to the same bytes; "
    "confusion matrix and most confused images; failure modes: overfitting past the best epoch, "
    "a resume that restores the weights alone, too large a step, a checkpoint cut short.",
    "report.md, metrics.json, figures/learning_curves.svg, figures/optimizers.svg, "
    "figures/confusion_matrix.svg, figures/most_confused.svg, figures/resume.svg, "
    "figures/learning_rate.svg; checkpoints/<run>/last.ckpt and best.ckpt",
    {.threads = true, .resume = true});

// The headline configuration (full) and its --quick sizes.
fm::TrainConfig adam_config(const mlc::Options& opt) {
  fm::TrainConfig c = opt.quick ? fm::quick_config(opt.seed) : fm::TrainConfig{};
  if (opt.quick) {
    c.hidden = {256, 128};
    c.train_rows = 1024;
    c.max_epochs = 3;
    c.patience = 3;
  }
  c.seed = opt.seed;
  return c;
}
fm::TrainConfig sgd_config(const mlc::Options& opt) {
  fm::TrainConfig c = adam_config(opt);
  c.optimizer = fm::Optimizer::sgd;
  c.learning_rate = 0.05;
  c.momentum = 0.9;
  c.weight_decay = 5e-4;
  return c;
}

// The first `rows` training rows of `data` (the validation and test splits unchanged).
fm::FashionData first_training_rows(const fm::FashionData& data, Index rows) {
  fm::FashionData out = data;
  rows = std::min(rows, data.train.X.rows());
  out.train.X = data.train.X.topRows(rows);
  out.train.y = data.train.y.head(rows);
  return out;
}

std::vector<double> column(const fm::TrainResult& r, double fm::EpochRecord::*field) {
  std::vector<double> v;
  for (const auto& e : r.history) v.push_back(e.*field);
  return v;
}
std::vector<double> epochs(const fm::TrainResult& r) {
  std::vector<double> v;
  for (std::size_t e = 1; e <= r.history.size(); ++e) v.push_back(static_cast<double>(e));
  return v;
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double max_abs_difference(const fm::Net& a, const fm::Net& b) {
  double d = 0.0;
  for (std::size_t l = 0; l < a.weights.size(); ++l) {
    d = std::max(
        d, static_cast<double>((a.weights[l].value - b.weights[l].value).cwiseAbs().maxCoeff()));
    d = std::max(
        d, static_cast<double>((a.biases[l].value - b.biases[l].value).cwiseAbs().maxCoeff()));
  }
  return d;
}

// ---- 1. The data --------------------------------------------------------------------------
void data_section(mlc::Report& report, const fm::FashionData& data) {
  report.section("Data: a stratified validation split and training statistics");
  std::vector<std::vector<std::string>> rows;
  for (int c = 0; c < 10; ++c) {
    rows.push_back({data.class_names[static_cast<std::size_t>(c)],
                    std::to_string((data.train.y.array() == c).count()),
                    std::to_string((data.validation.y.array() == c).count()),
                    std::to_string((data.test.y.array() == c).count())});
  }
  report.text(fmt::format(
      "{} training images, {} validation images carved from the training file by a stratified "
      "holdout (9) drawn from the seed, and {} test images, used once, at the end. Pixels x ∈ "
      "[0, 1] are standardized (1) with the mean μ = {} and standard deviation σ = {} of the "
      "training pixels only; the validation and test images get the same (μ, σ).",
      report.quote("data.train_rows", static_cast<double>(data.train.X.rows())),
      report.quote("data.validation_rows", static_cast<double>(data.validation.X.rows())),
      report.quote("data.test_rows", static_cast<double>(data.test.X.rows())),
      report.quote("data.pixel_mean", data.standardization.mean),
      report.quote("data.pixel_sd", data.standardization.sd)));
  report.table({"class", "training", "validation", "test"}, rows);
}

// ---- 2. The headline run: Adam with early stopping -----------------------------------------
fm::TrainResult adam_section(mlc::Report& report, const mlc::Options& opt,
                             const fm::FashionData& data) {
  report.section("Adam with early stopping on the validation split");
  const fm::TrainConfig c = adam_config(opt);
  mlc::Timer timer;
  fm::TrainResult r = fm::train(
      c, data,
      {.checkpoint_dir = opt.out / "checkpoints" / "adam", .resume = opt.resume, .progress = true});
  report.timing("adam.train_seconds", timer.seconds());
  report.timing("epoch_seconds", median(column(r, &fm::EpochRecord::seconds)));
  const fm::Evaluation test = fm::evaluate(r.best, data.test.X, data.test.y);
  const fm::EpochRecord& best = r.history[static_cast<std::size_t>(r.best_epoch - 1)];
  report.metric("test_accuracy", test.accuracy);
  report.metric("test_loss", test.loss);
  report.metric("adam.validation_loss", column(r, &fm::EpochRecord::validation_loss));
  report.metric("adam.validation_accuracy", column(r, &fm::EpochRecord::validation_accuracy));
  report.metric("adam.train_loss", column(r, &fm::EpochRecord::train_loss));
  report.text(fmt::format(
      "MLP {} with ReLU, He-normal initialization (10), fused dense layers (2)-(3), Adam (6) "
      "with η = {}, minibatches of {} in a fresh shuffle each epoch, at most {} epochs. Early "
      "stopping (8) watches the validation accuracy with patience {}: training ran {} epochs "
      "({}), the best was epoch {} with validation accuracy {} (loss {}). Its checkpoint, "
      "evaluated once on the test set: **test accuracy {}** (loss {}); the target is 0.89 and "
      "the published MLPs of the Fashion-MNIST benchmark reach about 0.87–0.89 "
      "(data/REFERENCE_NUMBERS.md §4.1). The median wall time of an epoch's training steps "
      "with {} thread(s) is `epoch_seconds` in the Timing table.",
      "784-256-128-10", c.learning_rate, c.batch_size, c.max_epochs, c.patience,
      report.quote("adam.epochs_run", static_cast<double>(r.history.size())),
      r.stopped_early ? "stopped early" : "the epoch limit",
      report.quote("adam.best_epoch", r.best_epoch),
      report.quote("adam.best_validation_accuracy", best.validation_accuracy),
      mlc::num(best.validation_loss), mlc::num(test.accuracy), mlc::num(test.loss), opt.threads));
  const std::vector<double> x = epochs(r), val_loss = column(r, &fm::EpochRecord::validation_loss);
  const auto min_it = std::min_element(val_loss.begin(), val_loss.end());
  const int min_epoch = 1 + static_cast<int>(std::distance(val_loss.begin(), min_it));
  report.metric("adam.min_validation_loss_epoch", min_epoch);
  std::vector<double> val_error, test_error;
  for (const auto& e : r.history) {
    val_error.push_back(1.0 - e.validation_accuracy);
    test_error.push_back(1.0 - e.test_accuracy);
  }
  mlc::Figure fig("Learning curves of the 784-256-128-10 MLP (Adam)");
  fig.xlabel("epoch").ylabel("cross-entropy (nats) or error rate").logy().legend("top right");
  fig.line_points(x, column(r, &fm::EpochRecord::train_loss), "training loss (minibatch mean)");
  fig.line_points(x, val_loss, "validation loss");
  fig.line_points(x, val_error, "validation error rate");
  fig.line(x, test_error, "test error rate (not used for selection)", {.dash = true});
  fig.vline(r.best_epoch, "kept epoch (best validation accuracy)", {.color = 8, .dash = true});
  report.figure(
      fig, "learning_curves",
      fmt::format("Per epoch: the training loss falls throughout; the validation loss "
                  "is lowest ({}) at epoch {} and rises after it, while the validation "
                  "error keeps improving longer. The dashed line marks the kept epoch {}.",
                  mlc::num(*min_it), min_epoch, r.best_epoch));
  fmt::print("Adam: best epoch {} of {}, test accuracy {}\n", r.best_epoch, r.history.size(),
             mlc::num(test.accuracy));
  return r;
}

// ---- 3. SGD with momentum against Adam -------------------------------------------------------
void sgd_section(mlc::Report& report, const mlc::Options& opt, const fm::FashionData& data,
                 const fm::TrainResult& adam, double adam_test) {
  report.section("SGD with momentum and weight decay against Adam");
  const fm::TrainConfig c = sgd_config(opt);
  mlc::Timer timer;
  fm::TrainResult r = fm::train(
      c, data,
      {.checkpoint_dir = opt.out / "checkpoints" / "sgd", .resume = opt.resume, .progress = true});
  report.timing("sgd.train_seconds", timer.seconds());
  const double test = fm::evaluate(r.best, data.test.X, data.test.y).accuracy;
  report.text(fmt::format(
      "The same network, data, batches and early stopping with SGD and heavy-ball momentum (5): "
      "η = {}, μ = {}, L2 decay λ = {} on the weights. It ran {} epochs, kept epoch {} "
      "(validation accuracy {}) and scores test accuracy {}, against {} for Adam.",
      c.learning_rate, c.momentum, c.weight_decay,
      report.quote("sgd.epochs_run", static_cast<double>(r.history.size())),
      report.quote("sgd.best_epoch", r.best_epoch),
      report.quote("sgd.best_validation_accuracy",
                   r.history[static_cast<std::size_t>(r.best_epoch - 1)].validation_accuracy),
      report.quote("sgd.test_accuracy", test), mlc::num(adam_test)));
  mlc::Figure fig("Validation accuracy per epoch: Adam against SGD with momentum");
  fig.xlabel("epoch").ylabel("validation accuracy").legend("bottom right");
  fig.line_points(epochs(adam), column(adam, &fm::EpochRecord::validation_accuracy),
                  "Adam, η = 1e-3");
  fig.line_points(epochs(r), column(r, &fm::EpochRecord::validation_accuracy),
                  fmt::format("SGD + momentum {}, η = {}, λ = {}", c.momentum, c.learning_rate,
                              c.weight_decay));
  report.figure(fig, "optimizers",
                "Validation accuracy of each epoch for both optimizers (each run ends where its "
                "early stopping did).");
}

// ---- 4. Where the errors are: confusion matrix and the most confused images --------------------
// The images `rows` of X (standardized) back in [0, 1], tiled g_rows × g_cols with a gap.
Eigen::MatrixXd tile(const fm::Matrix<float>& X, const std::vector<Index>& rows, int g_rows,
                     int g_cols, const fm::Standardization& st) {
  Eigen::MatrixXd canvas = Eigen::MatrixXd::Constant(g_rows * 29 - 1, g_cols * 29 - 1,
                                                     std::numeric_limits<double>::quiet_NaN());
  for (std::size_t t = 0; t < rows.size(); ++t) {
    const int gr = static_cast<int>(t) / g_cols, gc = static_cast<int>(t) % g_cols;
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c)
        canvas(gr * 29 + r, gc * 29 + c) = X(rows[t], r * 28 + c) * st.sd + st.mean;
  }
  return canvas.colwise().reverse();  // heat maps draw row 0 at the bottom
}

void errors_section(mlc::Report& report, const fm::FashionData& data, fm::Net& best) {
  report.section("Where the errors are");
  const fm::Evaluation e = fm::evaluate(best, data.test.X, data.test.y, true);
  Eigen::MatrixXd confusion = Eigen::MatrixXd::Zero(10, 10);  // row: true class, column: predicted
  for (Index i = 0; i < data.test.y.size(); ++i) confusion(data.test.y(i), e.predicted(i)) += 1.0;
  // The off-diagonal pairs by count.
  std::vector<std::pair<double, std::pair<int, int>>> pairs;
  for (int a = 0; a < 10; ++a)
    for (int b = 0; b < 10; ++b)
      if (a != b) pairs.push_back({confusion(a, b), {a, b}});
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  const auto& names = data.class_names;
  std::vector<std::vector<std::string>> rows;
  for (int k = 0; k < 5; ++k) {
    const auto [a, b] = pairs[static_cast<std::size_t>(k)].second;
    rows.push_back({names[static_cast<std::size_t>(a)], names[static_cast<std::size_t>(b)],
                    mlc::num(pairs[static_cast<std::size_t>(k)].first, 4)});
    report.metric(fmt::format("confusion.top{}.count", k + 1),
                  pairs[static_cast<std::size_t>(k)].first);
  }
  std::vector<double> per_class;
  for (int c = 0; c < 10; ++c) per_class.push_back(confusion(c, c) / confusion.row(c).sum());
  report.metric("test.per_class_accuracy", per_class);
  const auto worst = std::min_element(per_class.begin(), per_class.end());
  const int worst_class = static_cast<int>(std::distance(per_class.begin(), worst));
  report.text(fmt::format(
      "The kept network on the {} test images. The hardest class is {} (accuracy {}); the most "
      "frequent confusion is true {} predicted as {} ({} images). The five largest "
      "off-diagonal counts:",
      data.test.y.size(), names[static_cast<std::size_t>(worst_class)],
      report.quote("test.worst_class_accuracy", *worst),
      names[static_cast<std::size_t>(pairs[0].second.first)],
      names[static_cast<std::size_t>(pairs[0].second.second)], mlc::num(pairs[0].first, 4)));
  report.table({"true class", "predicted as", "test images"}, rows);
  Eigen::MatrixXd shown = confusion.colwise().reverse();  // row 0 (class 0) at the top
  mlc::Figure fig("Confusion matrix of the test set (row: true class, column: predicted)");
  fig.xlabel("predicted class (0 T-shirt ... 9 ankle boot)")
      .ylabel("true class (9 at the bottom ... 0 at the top)");
  fig.heatmap((shown.array() + 1.0).log10().matrix(), -0.5, 9.5, -0.5, 9.5, "log10(1 + images)")
      .equal_axes()
      .size(640, 560);
  report.figure(fig, "confusion_matrix",
                "Counts on a log scale: the shirt, T-shirt, pullover and coat classes confuse each "
                "other; footwear and bags are almost never wrong.");
  // The most confident mistakes of the three most frequent pairs: 3 rows of 6 images.
  std::vector<Index> shown_rows;
  std::vector<std::string> row_names;
  for (int k = 0; k < 3; ++k) {
    const auto [a, b] = pairs[static_cast<std::size_t>(k)].second;
    std::vector<std::pair<float, Index>> mistakes;
    for (Index i = 0; i < data.test.y.size(); ++i)
      if (data.test.y(i) == a && e.predicted(i) == b) mistakes.push_back({-e.probability(i, b), i});
    std::sort(mistakes.begin(), mistakes.end());
    for (std::size_t j = 0; j < 6; ++j)
      shown_rows.push_back(j < mistakes.size() ? mistakes[j].second : mistakes[0].second);
    row_names.push_back(fmt::format("row {}: {} taken for {}", k + 1,
                                    names[static_cast<std::size_t>(a)],
                                    names[static_cast<std::size_t>(b)]));
  }
  mlc::Figure img("The most confident mistakes of the three most frequent confusions");
  img.xlabel("six test images per row, most confident mistake first")
      .ylabel("row 3 ... row 1 (top)");
  img.heatmap(tile(data.test.X, shown_rows, 3, 6, data.standardization), 0, 6 * 29 - 1, 0,
              3 * 29 - 1, "pixel value")
      .equal_axes()
      .size(760, 440);
  report.figure(img, "most_confused",
                fmt::format("Each row: the test images of one confused pair to which the network "
                            "gave the highest probability of the wrong class; {}.",
                            fmt::join(row_names, "; ")));
}

// ---- 5. Checkpoints: kill, resume, and the failure modes of resuming ---------------------------
void resume_section(mlc::Report& report, const mlc::Options& opt, const fm::FashionData& full) {
  report.section("Checkpoints: a killed run resumed to the same bytes");
  fm::TrainConfig c = adam_config(opt);
  c.train_rows = opt.quick ? 512 : 10000;
  c.max_epochs = opt.quick ? 2 : 6;
  c.patience = c.max_epochs;
  const int kill_after = opt.quick ? 1 : 3;
  const fm::FashionData data = first_training_rows(full, c.train_rows);
  const std::filesystem::path dir = opt.out / "checkpoints" / "resume_demo";
  std::filesystem::remove_all(dir);
  const fm::TrainResult straight = fm::train(c, data);
  fm::train(c, data, {.checkpoint_dir = dir / "resumed", .stop_after = kill_after});  // "killed"
  std::filesystem::copy(dir / "resumed", dir / "weights_only");
  const fm::TrainResult resumed =
      fm::train(c, data, {.checkpoint_dir = dir / "resumed", .resume = true});
  const fm::TrainResult naive = fm::train(
      c, data,
      {.checkpoint_dir = dir / "weights_only", .resume = true, .restore_optimizer = false});
  const double diff = max_abs_difference(resumed.last, straight.last);
  const double naive_diff = max_abs_difference(naive.last, straight.last);
  bool same_history = resumed.history.size() == straight.history.size();
  for (std::size_t e = 0; same_history && e < straight.history.size(); ++e) {
    same_history = resumed.history[e].validation_loss == straight.history[e].validation_loss &&
                   resumed.history[e].train_loss == straight.history[e].train_loss;
  }
  report.metric("resume.max_abs_parameter_difference", diff);
  report.metric("resume.history_identical", same_history ? 1.0 : 0.0);
  const double straight_val = straight.history.back().validation_loss;
  const double naive_val = naive.history.back().validation_loss;
  report.text(fmt::format(
      "A run of {} epochs on {} training images is stopped after epoch {} (as a kill would stop "
      "it: the last checkpoint is all that survives) and started again with --resume. The "
      "checkpoint (mlc::Checkpoint, saved atomically after every epoch) holds the parameters, "
      "Adam's moments m and v and its step count t, the minibatch order's random state, early "
      "stopping's best value and epoch, the best parameters, the history so far and the "
      "config's fingerprint. The resumed run ends with parameters that differ from a run never "
      "stopped by at most {} (bitwise equal), and its whole history is identical: {}.",
      c.max_epochs, c.train_rows, kill_after,
      report.quote("resume.max_abs_parameter_difference_shown", diff),
      same_history ? "yes" : "no"));
  mlc::Figure fig(
      "Validation loss of a run never stopped, resumed from its checkpoint, and resumed from its "
      "weights alone");
  fig.xlabel("epoch").ylabel("validation loss (nats)").legend("top right");
  fig.line_points(epochs(straight), column(straight, &fm::EpochRecord::validation_loss),
                  "never stopped");
  fig.line(epochs(resumed), column(resumed, &fm::EpochRecord::validation_loss),
           "resumed from the full checkpoint", {.dash = true});
  fig.line_points(epochs(naive), column(naive, &fm::EpochRecord::validation_loss),
                  "resumed from the weights alone");
  fig.vline(kill_after + 0.5, "killed here", {.color = 8, .dash = true});
  report.figure(fig, "resume",
                "The full resume lies on the uninterrupted run; the weights-only resume leaves it "
                "at the kill.");
  report.failure_mode(
      {.name = "A resume that restores the weights alone",
       .trigger = fmt::format(
           "Resuming after epoch {} from the parameters only: Adam's m, v and t start at zero "
           "again and the minibatch order restarts from the seed.",
           kill_after),
       .symptom = fmt::format(
           "The final parameters differ from the uninterrupted run's by up to {}; "
           "final validation loss {} against {}.",
           report.quote("resume.weights_only.max_abs_parameter_difference", naive_diff, 3),
           report.quote("resume.weights_only.final_validation_loss", naive_val),
           mlc::num(straight_val)),
       .why = "With t = 1 again, Adam's bias correction (6) makes the first steps ±η for every "
              "weight, a "
              "jolt the trained network never took; the repeated shuffle shows the same batches in "
              "the same order again. The run is a different run, not a continuation.",
       .mitigation =
           fmt::format("Checkpoint the optimizer state, step count and RNG state with the "
                       "weights (what last.ckpt holds): the resumed run differs by {}.",
                       mlc::num(diff))});
  // A checkpoint written in place and cut short by a crash.
  const std::string bytes = mlc::read_text_file(dir / "resumed" / "last.ckpt");
  const std::filesystem::path cut = dir / "written_in_place.ckpt";
  {
    std::ofstream out(cut,
                      std::ios::binary);  // what a non-atomic save leaves when killed mid-write
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  std::string message;
  try {
    mlc::Checkpoint::load(cut);
  } catch (const mlc::DataError& e) {
    message = e.what();
    for (std::size_t at; (at = message.find(opt.out.string())) != std::string::npos;)
      message.replace(at, opt.out.string().size(), "<out>");  // the same text for any --out
  }
  const int survived =
      static_cast<int>(mlc::Checkpoint::load(dir / "resumed" / "last.ckpt").get_int("epoch"));
  report.failure_mode(
      {.name = "A checkpoint written in place and cut short",
       .trigger = fmt::format(
           "The first {} of the {} bytes of a checkpoint written straight to its "
           "final name, as a kill during a non-atomic save leaves it.",
           bytes.size() / 2, report.quote("checkpoint.bytes", static_cast<double>(bytes.size()))),
       .symptom =
           fmt::format("Loading it fails: \"{}\" (exit 2 from the program with --resume). "
                       "Had the save overwritten the only checkpoint, the run would be lost.",
                       message),
       .why = "The file is read back in full and its CRC-32 and length are checked; half a file "
              "cannot pass, and there is no earlier copy to fall back to when the old file was "
              "truncated first.",
       .mitigation =
           fmt::format("Checkpoint::save writes a temporary file and renames it over the old "
                       "one (atomic on POSIX): a kill leaves the previous or the new file, "
                       "never half of one; last.ckpt here loads and holds epoch {}.",
                       survived)});
  report.metric("checkpoint.truncated_load_failed", message.empty() ? 0.0 : 1.0);
}

// ---- 6. Failure mode: overfitting past the best epoch
// --------------------------------------------
void overfitting_section(mlc::Report& report, const fm::FashionData& data,
                         const fm::TrainResult& adam) {
  const std::vector<double> val_loss = column(adam, &fm::EpochRecord::validation_loss);
  const auto min_it = std::min_element(val_loss.begin(), val_loss.end());
  const fm::EpochRecord& last = adam.history.back();
  fm::Net last_net = adam.last, best_net = adam.best;
  const double last_test = fm::evaluate(last_net, data.test.X, data.test.y).accuracy;
  const double best_test = fm::evaluate(best_net, data.test.X, data.test.y).accuracy;
  report.failure_mode(
      {.name = "Training past the best epoch: overfitting",
       .trigger = fmt::format(
           "The Adam run of the headline kept training {} epochs past its best "
           "validation accuracy (the patience), {} past its lowest validation loss.",
           static_cast<int>(adam.history.size()) - adam.best_epoch,
           static_cast<long>(adam.history.size()) - 1 - std::distance(val_loss.begin(), min_it)),
       .symptom = fmt::format(
           "Training loss {} → {} (first → last epoch) while the validation loss "
           "rose from its minimum {} to {} ({}×); test accuracy of the last "
           "epoch's parameters {}.",
           mlc::num(adam.history.front().train_loss), mlc::num(last.train_loss), mlc::num(*min_it),
           mlc::num(last.validation_loss),
           report.quote("overfitting.validation_loss_ratio", last.validation_loss / *min_it, 3),
           report.quote("overfitting.last_epoch_test_accuracy", last_test)),
       .why = "235 146 parameters against 55 000 images: the network drives the training loss "
              "toward zero by growing confident on the training images, and the confidence on "
              "images it gets wrong costs validation loss faster than accuracy improves.",
       .mitigation = fmt::format(
           "Early stopping (8) ends the run {} epochs after the best validation accuracy and keeps "
           "that epoch: test accuracy {} against {} for the last epoch's parameters. The "
           "validation accuracy's standard error √(p(1 − p)/n_val) = {} is as large as the "
           "differences among late epochs, so the choice among them is noise; what early stopping "
           "bounds here is the rise of the validation loss and the compute.",
           static_cast<int>(adam.history.size()) - adam.best_epoch, mlc::num(best_test),
           mlc::num(last_test),
           mlc::num(std::sqrt(last.validation_accuracy * (1.0 - last.validation_accuracy) /
                              static_cast<double>(data.validation.X.rows())),
                    2))});
}

// ---- 7. Failure mode: a step size too large for Adam
// ----------------------------------------------
void learning_rate_section(mlc::Report& report, const mlc::Options& opt,
                           const fm::FashionData& full) {
  report.section("Step size");
  fm::TrainConfig c = adam_config(opt);
  c.train_rows = opt.quick ? 512 : 10000;
  c.max_epochs = opt.quick ? 2 : 5;
  c.patience = c.max_epochs;
  const fm::FashionData data = first_training_rows(full, c.train_rows);
  const std::vector<double> rates =
      opt.quick ? std::vector<double>{1e-3, 3e-2, 1e-1}
                : std::vector<double>{1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1};
  std::vector<double> val_acc, val_loss;
  for (double eta : rates) {
    c.learning_rate = eta;
    const fm::TrainResult r = fm::train(c, data);
    val_acc.push_back(r.history.back().validation_accuracy);
    val_loss.push_back(r.history.back().validation_loss);
  }
  report.metric("learning_rate.rates", rates);
  report.metric("learning_rate.validation_accuracy", val_acc);
  report.metric("learning_rate.validation_loss", val_loss);
  const std::size_t good = static_cast<std::size_t>(
      std::distance(rates.begin(), std::find(rates.begin(), rates.end(), 1e-3)));
  const std::size_t bad = rates.size() - 1;
  report.text(
      fmt::format("Adam with η from {} to {}, {} epochs on {} training images each, same "
                  "initialization and batches.",
                  rates.front(), rates.back(), c.max_epochs, c.train_rows));
  mlc::Figure fig("Validation accuracy after a fixed budget against Adam's step size");
  fig.xlabel("learning rate η").ylabel("validation accuracy").logx().legend("bottom left");
  fig.line_points(rates, val_acc,
                  fmt::format("after {} epochs on {} images", c.max_epochs, c.train_rows));
  report.figure(fig, "learning_rate",
                "Too small a step learns slowly within the budget; too large a step "
                "does not converge to a good network at all.");
  report.failure_mode(
      {.name = "A step size too large for Adam",
       .trigger = fmt::format("Adam with η = {} instead of 1e-3.", rates[bad]),
       .symptom = fmt::format(
           "Validation accuracy {} and loss {} after {} epochs, against {} and {} at η = 1e-3.",
           report.quote("learning_rate.too_large.validation_accuracy", val_acc[bad]),
           mlc::num(val_loss[bad]), c.max_epochs, mlc::num(val_acc[good]),
           mlc::num(val_loss[good])),
       .why =
           "Adam's step is about η per weight whatever the gradient's scale (6): at η = 0.1 each "
           "step moves every weight by up to 0.1 while He initialization gives weights of about "
           "√(2/784) ≈ 0.05, so ReLUs die and the logits swing far past the minimum.",
       .mitigation = fmt::format("η = 1e-3 (the sweep's figure): validation accuracy {}.",
                                 mlc::num(val_acc[good]))});
}

// ---- 8. Threads -------------------------------------------------------------------------------
void threads_section(mlc::Report& report, const mlc::Options& opt, const fm::FashionData& data) {
  report.section("Threads");
  fm::TrainConfig c = adam_config(opt);
  c.max_epochs = 1;
  std::vector<fm::TrainResult> runs;
  for (int threads : {1, std::max(2, opt.threads)}) {
    omp_set_num_threads(threads);
    runs.push_back(fm::train(c, data));
    report.timing(fmt::format("threads.{}.epoch_seconds", threads), runs.back().history[0].seconds);
  }
  omp_set_num_threads(opt.threads);
  const double diff = max_abs_difference(runs[0].last, runs[1].last);
  report.text(fmt::format(
      "The products of the dense layers are split into fixed tiles of 32 rows, each run by one "
      "OpenMP thread through the engine's single-threaded GEMM, and the optimizer's update into "
      "fixed chunks: the order of every floating-point sum is the same for any thread count. One "
      "epoch with 1 thread and with {} gives parameters that differ by {} (bitwise equal); the "
      "epoch times are in the Timing table (a shared machine).",
      std::max(2, opt.threads), report.quote("threads.max_abs_parameter_difference", diff)));
}

void run(const mlc::Options& opt) {
  mlc::Report report(kLesson, opt);
  omp_set_num_threads(opt.threads);
  mlc::Timer load;
  const fm::FashionData data = fm::load_data(adam_config(opt));
  report.timing("data.load_seconds", load.seconds());
  data_section(report, data);
  fm::TrainResult adam = adam_section(report, opt, data);
  const double adam_test = fm::evaluate(adam.best, data.test.X, data.test.y).accuracy;
  sgd_section(report, opt, data, adam, adam_test);
  errors_section(report, data, adam.best);
  resume_section(report, opt, data);
  learning_rate_section(report, opt, data);
  threads_section(report, opt, data);
  overfitting_section(report, data, adam);
  report.headline({"test_accuracy", "sgd.test_accuracy", "resume.max_abs_parameter_difference"});
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
