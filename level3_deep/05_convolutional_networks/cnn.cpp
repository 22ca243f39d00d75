// cnn.cpp: the networks, the training loop with its schedule, early stopping and
// checkpoints, evaluation, and the image transforms (cnn.hpp).
// Equation numbers (n) refer to NOTES.md.
#include "cnn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <span>

#include <fmt/format.h>

#include "mlc/checkpoint.hpp"
#include "mlc/error.hpp"
#include "mlc/timer.hpp"

namespace convolutional_networks {

CnnConfig lenet5() {
  return {.name = "LeNet-5",
          .blocks = {{.channels = 6, .kernel = 5, .padding = 2},
                     {.channels = 16, .kernel = 5, .padding = 0}},
          .hidden = {120, 84}};
}

CnnConfig best_cnn() {
  return {.name = "CNN 32-64",
          .blocks = {{.channels = 32, .kernel = 3, .padding = 1},
                     {.channels = 64, .kernel = 3, .padding = 1}},
          .hidden = {256},
          .dropout = 0.3};
}

// ---- The network ---------------------------------------------------------------------------

template <class T>
std::vector<Parameter<T>*> Cnn<T>::parameters() {
  std::vector<Parameter<T>*> out;
  for (auto& p : params) out.push_back(&p);
  return out;
}

template <class T>
Index Cnn<T>::num_parameters() const {
  Index total = 0;
  for (const auto& p : params) total += p.size();
  return total;
}

template <class T>
Var<T> Cnn<T>::logits(Tape<T>& tape, const Var<T>& x, mlc::Rng* dropout_rng,
                      std::vector<Var<T>>* feature_maps) {
  Var<T> h = x;  // [N × C·H·W]
  std::size_t p = 0;
  for (std::size_t b = 0; b < convs.size(); ++b) {
    const Var<T> a = autograd::relu(conv2d(h, tape.param(params[p]), tape.param(params[p + 1]),
                                           convs[b]));  // (3)   [N × C_b·H_b·W_b]
    if (feature_maps) feature_maps->push_back(a);
    h = max_pool2d(a, pools[b]);  // (9)   [N × C_b·(H_b/2)·(W_b/2)]
    p += 2;
  }
  // The pooled NCHW row is the flattened feature vector: the dense layers read it as it is.
  for (std::size_t l = 0; p < params.size(); ++l, p += 2) {
    h = autograd::add(autograd::matmul(h, tape.param(params[p])), tape.param(params[p + 1]));
    if (p + 2 < params.size()) {
      h = autograd::relu(h);
      if (dropout_rng && config.dropout > 0.0) {
        h = autograd::dropout(h, static_cast<T>(config.dropout), *dropout_rng);
      }
    }
  }
  return h;  // [N × k]
}

template <class T>
Cnn<T> make_cnn(const CnnConfig& config, mlc::Rng& rng) {
  mlc::require(!config.blocks.empty(), "make_cnn", "a CNN needs at least one convolution block");
  Cnn<T> net;
  net.config = config;
  net.params.reserve(2 * (config.blocks.size() + config.hidden.size() + 1));
  Index C = config.channels, H = config.height, W = config.width;
  for (std::size_t b = 0; b < config.blocks.size(); ++b) {
    const ConvBlock& blk = config.blocks[b];
    const Conv2d g{.in_channels = C,
                   .height = H,
                   .width = W,
                   .out_channels = blk.channels,
                   .kernel = blk.kernel,
                   .padding = blk.padding};
    g.check();
    const Pool2d pool{.channels = blk.channels, .height = g.out_height(), .width = g.out_width()};
    pool.check();
    net.convs.push_back(g);
    net.pools.push_back(pool);
    const double sd = std::sqrt(2.0 / static_cast<double>(g.patch()));  // (13) He, fan_in = C·k²
    net.params.emplace_back(fmt::format("conv{}.W", b + 1),
                            rng.normal_matrix(g.out_channels, g.patch(), 0.0, sd).cast<T>());
    net.params.emplace_back(fmt::format("conv{}.b", b + 1), Matrix<T>::Zero(1, g.out_channels),
                            false);
    C = pool.channels, H = pool.out_height(), W = pool.out_width();
  }
  Index d = C * H * W;
  std::vector<Index> widths = config.hidden;
  widths.push_back(config.classes);
  for (std::size_t l = 0; l < widths.size(); ++l) {
    const double sd = std::sqrt(2.0 / static_cast<double>(d));
    net.params.emplace_back(fmt::format("dense{}.W", l + 1),
                            rng.normal_matrix(d, widths[l], 0.0, sd).cast<T>());
    net.params.emplace_back(fmt::format("dense{}.b", l + 1), Matrix<T>::Zero(1, widths[l]), false);
    d = widths[l];
  }
  return net;
}

// ---- Schedule (12) -------------------------------------------------------------------------

double Schedule::learning_rate(long step) const {
  // BEGIN EXERCISE cosine_schedule: linear warm-up, then cosine decay to f·η, equation (12)
  if (step < warmup_steps) {
    return peak * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  }
  const long span = std::max(1L, total_steps - warmup_steps);
  const double progress =
      std::min(1.0, static_cast<double>(step - warmup_steps) / static_cast<double>(span));
  return peak * (final_fraction +
                 (1.0 - final_fraction) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
  // END EXERCISE
}

// ---- Evaluation ----------------------------------------------------------------------------

template <class T>
Evaluation evaluate(Cnn<T>& net, const Matrix<float>& X, const Eigen::VectorXi& y) {
  mlc::require(X.rows() == y.size() && X.rows() > 0, "evaluate",
               "X and y must be non-empty and "
               "of equal length");
  constexpr Index kChunk = 250;
  Tape<T> tape;
  double loss = 0.0;
  Index correct = 0;
  for (Index start = 0; start < X.rows(); start += kChunk) {
    const Index n = std::min(kChunk, X.rows() - start);
    tape.reset();
    const Var<T> z = net.logits(tape, tape.input(X.middleRows(start, n)));
    const Eigen::VectorXi labels = y.segment(start, n);
    loss += autograd::cross_entropy(z, labels).item() * static_cast<double>(n);
    for (Index i = 0; i < n; ++i) {
      Index best = 0;
      z.value().row(i).maxCoeff(&best);
      correct += best == labels(i) ? 1 : 0;
    }
  }
  return {loss / static_cast<double>(X.rows()),
          static_cast<double>(correct) / static_cast<double>(X.rows())};
}

// ---- Image transforms ----------------------------------------------------------------------

namespace {

void rotate_one(const float* in, float* out, Index channels, Index height, Index width,
                double degrees) {
  const double a = degrees * std::numbers::pi / 180.0, ca = std::cos(a), sa = std::sin(a);
  const double cy = 0.5 * static_cast<double>(height - 1),
               cx = 0.5 * static_cast<double>(width - 1);
  for (Index c = 0; c < channels; ++c) {
    const float* src = in + c * height * width;
    float* dst = out + c * height * width;
    for (Index y = 0; y < height; ++y) {
      for (Index x = 0; x < width; ++x) {
        // The source point of output pixel (y, x): the inverse rotation about the centre.
        const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
        const double sx = ca * dx - sa * dy + cx, sy = sa * dx + ca * dy + cy;
        const double fx = std::floor(sx), fy = std::floor(sy);
        const auto x0 = static_cast<Index>(fx), y0 = static_cast<Index>(fy);
        const double wx = sx - fx, wy = sy - fy;
        auto at = [&](Index yy, Index xx) -> double {
          return (yy < 0 || yy >= height || xx < 0 || xx >= width) ? 0.0 : src[yy * width + xx];
        };
        dst[y * width + x] =
            static_cast<float>((1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x0 + 1)) +
                               wy * ((1 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1)));
      }
    }
  }
}

}  // namespace

Matrix<float> shift_images(const Matrix<float>& X, Index channels, Index height, Index width,
                           Index dx, Index dy) {
  mlc::require(X.cols() == channels * height * width, "shift_images", "X must be [n × C·H·W]");
  Matrix<float> out = Matrix<float>::Zero(X.rows(), X.cols());
  for (Index n = 0; n < X.rows(); ++n) {
    for (Index c = 0; c < channels; ++c) {
      for (Index y = 0; y < height; ++y) {
        const Index sy = y - dy;
        if (sy < 0 || sy >= height) continue;
        for (Index x = 0; x < width; ++x) {
          const Index sx = x - dx;
          if (sx >= 0 && sx < width) {
            out(n, (c * height + y) * width + x) = X(n, (c * height + sy) * width + sx);
          }
        }
      }
    }
  }
  return out;
}

Matrix<float> rotate_images(const Matrix<float>& X, Index channels, Index height, Index width,
                            double degrees) {
  mlc::require(X.cols() == channels * height * width, "rotate_images", "X must be [n × C·H·W]");
  Matrix<float> out(X.rows(), X.cols());
  for (Index n = 0; n < X.rows(); ++n) {
    rotate_one(X.row(n).data(), out.row(n).data(), channels, height, width, degrees);
  }
  return out;
}

// ---- Training ------------------------------------------------------------------------------

std::string fingerprint(const CnnConfig& net, const TrainConfig& c, Index train_rows) {
  std::string blocks;
  for (const ConvBlock& b : net.blocks) {
    blocks += fmt::format("c{}k{}p{};", b.channels, b.kernel, b.padding);
  }
  std::string hidden;
  for (Index h : net.hidden) hidden += fmt::format("{};", h);
  return fmt::format(
      "net={} in={}x{}x{} blocks={} hidden={} classes={} dropout={} | epochs={} batch={} lr={} "
      "wd={} warmup={} cosine={} patience={} max_steps={} augment={}:{} seed={} rows={}",
      net.name, net.channels, net.height, net.width, blocks, hidden, net.classes, net.dropout,
      c.epochs, c.batch_size, c.learning_rate, c.weight_decay, c.warmup_epochs, c.cosine,
      c.patience, c.max_steps_per_epoch, static_cast<int>(c.augment), c.augment_degrees, c.seed,
      train_rows);
}

namespace {

constexpr int kHistoryColumns = 6;

template <class T>
void save_checkpoint(const TrainConfig& c, const std::string& fp,
                     const std::vector<Parameter<T>*>& params, long adam_steps,
                     const TrainResult& r, const std::vector<Matrix<T>>& best, double best_acc,
                     int since_best) {
  mlc::Checkpoint ck;
  ck.put_string("fingerprint", fp);
  ck.put_int("epochs_done", static_cast<std::int64_t>(r.epochs.size()));
  ck.put_int("adam_steps", adam_steps);
  ck.put_int("steps", r.steps);
  ck.put_int("best_epoch", r.best_epoch);
  ck.put_int("since_best", since_best);
  Eigen::MatrixXd best_acc_m(1, 1);
  best_acc_m(0, 0) = best_acc;
  ck.put("best_val_accuracy", best_acc_m);
  Eigen::MatrixXd history(static_cast<Index>(r.epochs.size()), kHistoryColumns);
  for (std::size_t e = 0; e < r.epochs.size(); ++e) {
    const EpochRecord& h = r.epochs[e];
    history.row(static_cast<Index>(e)) << h.train_loss, h.val_loss, h.val_accuracy, h.test_accuracy,
        h.learning_rate, h.seconds;
  }
  ck.put("history", history);
  for (std::size_t i = 0; i < params.size(); ++i) {
    ck.put(fmt::format("param{}.value", i), params[i]->value);
    ck.put(fmt::format("param{}.adam_m", i), params[i]->moment1);
    ck.put(fmt::format("param{}.adam_v", i), params[i]->moment2);
    ck.put(fmt::format("param{}.best", i), best[i]);
  }
  ck.save(c.checkpoint);
}

// Restores what save_checkpoint wrote; returns the optimizer's step count.
template <class T>
long load_checkpoint(const TrainConfig& c, const std::string& fp,
                     const std::vector<Parameter<T>*>& params, TrainResult& r,
                     std::vector<Matrix<T>>& best, double& best_acc, int& since_best) {
  const mlc::Checkpoint ck = mlc::Checkpoint::load(c.checkpoint);
  ck.require_string("fingerprint", fp);
  const Eigen::MatrixXd history = ck.matrix_d("history");
  if (history.cols() != kHistoryColumns) {
    throw mlc::DataError(
        fmt::format("{}: the history has {} columns, not {}; delete the file to "
                    "start afresh",
                    c.checkpoint.string(), history.cols(), kHistoryColumns));
  }
  r.epochs.clear();
  for (Index e = 0; e < history.rows(); ++e) {
    r.epochs.push_back(
        {history(e, 0), history(e, 1), history(e, 2), history(e, 3), history(e, 4), history(e, 5)});
  }
  r.steps = ck.get_int("steps");
  r.best_epoch = static_cast<int>(ck.get_int("best_epoch"));
  since_best = static_cast<int>(ck.get_int("since_best"));
  best_acc = ck.matrix_d("best_val_accuracy")(0, 0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    Parameter<T>& p = *params[i];
    p.moment1.resize(p.value.rows(), p.value.cols());
    p.moment2.resize(p.value.rows(), p.value.cols());
    best[i].resize(p.value.rows(), p.value.cols());
    ck.get(fmt::format("param{}.value", i), p.value);
    ck.get(fmt::format("param{}.adam_m", i), p.moment1);
    ck.get(fmt::format("param{}.adam_v", i), p.moment2);
    ck.get(fmt::format("param{}.best", i), best[i]);
  }
  return static_cast<long>(ck.get_int("adam_steps"));
}

}  // namespace

template <class T>
TrainResult train(Cnn<T>& net, const Split& tr, const Split& val, const Split& test,
                  const TrainConfig& c) {
  const Index n = tr.X.rows(), B = c.batch_size, d = tr.X.cols();
  mlc::require(n >= B && B > 0 && tr.y.size() == n, "train",
               "the training split needs at least one batch, with one label per image");
  mlc::require(c.epochs >= 1, "train", "epochs must be at least 1");
  Index steps_per_epoch = n / B;
  if (c.max_steps_per_epoch > 0) steps_per_epoch = std::min(steps_per_epoch, c.max_steps_per_epoch);
  const long total_steps = static_cast<long>(steps_per_epoch) * c.epochs;
  const Schedule schedule{
      .peak = c.learning_rate,
      .warmup_steps = std::lround(c.warmup_epochs * static_cast<double>(steps_per_epoch)),
      .total_steps = c.cosine ? total_steps : std::numeric_limits<long>::max() / 2,
      .final_fraction = c.cosine ? 0.0 : 1.0};
  const std::vector<Parameter<T>*> params = net.parameters();
  autograd::Adam<T> adam({.learning_rate = static_cast<T>(c.learning_rate),
                          .weight_decay = static_cast<T>(c.weight_decay)});
  TrainResult r;
  std::vector<Matrix<T>> best(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) best[i] = params[i]->value;
  double best_acc = -1.0;
  int since_best = 0;
  const std::string fp = fingerprint(net.config, c, n);
  if (c.resume && !c.checkpoint.empty() && std::filesystem::exists(c.checkpoint)) {
    const long adam_steps = load_checkpoint(c, fp, params, r, best, best_acc, since_best);
    // Adam's step count t sets its bias corrections (3.4's (21)); the engine exposes no
    // setter, so replay t empty steps (each only increments t).
    for (long i = 0; i < adam_steps; ++i) adam.step(std::span<Parameter<T>* const>{});
    r.resumed_after = static_cast<int>(r.epochs.size());
  }
  Tape<T> tape;
  Matrix<float> batch(B, d);  // the augmented minibatch
  Eigen::VectorXi labels(B);
  const mlc::Rng root(c.seed);
  const mlc::Rng order_root = root.derive(1), dropout_root = root.derive(2),
                 augment_root = root.derive(3);
  mlc::Progress progress(net.config.name, total_steps);
  bool stop = since_best >= c.patience && c.patience > 0 && !r.epochs.empty();
  for (int epoch = static_cast<int>(r.epochs.size()); epoch < c.epochs && !stop; ++epoch) {
    // Every stream of the epoch is derived from the epoch's number, so a resumed run draws
    // exactly what the uninterrupted one would have.
    mlc::Rng order = order_root.derive(static_cast<std::uint64_t>(epoch));
    mlc::Rng drop = dropout_root.derive(static_cast<std::uint64_t>(epoch));
    mlc::Rng augment = augment_root.derive(static_cast<std::uint64_t>(epoch));
    const std::vector<Index> perm = order.permutation(n);
    EpochRecord rec;
    double loss_sum = 0.0;
    mlc::Timer timer;
    for (Index s = 0; s < steps_per_epoch; ++s) {
      const long step = static_cast<long>(epoch) * steps_per_epoch + s;
      rec.learning_rate = schedule.learning_rate(step);
      adam.config().learning_rate = static_cast<T>(rec.learning_rate);
      const std::span<const Index> rows(perm.data() + s * B, static_cast<std::size_t>(B));
      for (Index i = 0; i < B; ++i) labels(i) = tr.y(rows[static_cast<std::size_t>(i)]);
      tape.reset();
      Var<T> x;
      if (c.augment == Augment::rotation) {
        for (Index i = 0; i < B; ++i) {
          rotate_one(tr.X.row(rows[static_cast<std::size_t>(i)]).data(), batch.row(i).data(),
                     net.config.channels, net.config.height, net.config.width,
                     augment.uniform(-c.augment_degrees, c.augment_degrees));
        }
        x = tape.input(batch);
      } else if constexpr (std::is_same_v<T, float>) {
        x = tape.input_rows(tr.X, rows);
      } else {
        for (Index i = 0; i < B; ++i) batch.row(i) = tr.X.row(rows[static_cast<std::size_t>(i)]);
        x = tape.input(batch);
      }
      const Var<T> loss = autograd::cross_entropy(net.logits(tape, x, &drop), labels);
      autograd::zero_grad(params);
      tape.backward(loss);
      adam.step(params);
      const double l = static_cast<double>(loss.item());
      if (!std::isfinite(l)) {
        throw mlc::NumericalError(
            fmt::format("{}: the loss is {} at step {}", net.config.name, l, step));
      }
      loss_sum += l;
      ++r.steps;
      if (c.progress && (s % 20 == 0 || s + 1 == steps_per_epoch)) {
        progress.update(
            step + 1, fmt::format("epoch {}/{}, loss {:.4f}, {:.0f} images/s", epoch + 1, c.epochs,
                                  loss_sum / static_cast<double>(s + 1),
                                  static_cast<double>((s + 1) * B) / timer.seconds()));
      }
    }
    rec.seconds = timer.seconds();
    r.seconds += rec.seconds;
    rec.train_loss = loss_sum / static_cast<double>(steps_per_epoch);
    const Evaluation v = evaluate(net, val.X, val.y);
    rec.val_loss = v.loss;
    rec.val_accuracy = v.accuracy;
    rec.test_accuracy = c.evaluate_test ? evaluate(net, test.X, test.y).accuracy : std::nan("");
    r.epochs.push_back(rec);
    // Early stopping on the validation split: keep the best weights, stop after `patience`
    // epochs without improvement.
    if (v.accuracy > best_acc) {
      best_acc = v.accuracy;
      r.best_epoch = epoch + 1;
      since_best = 0;
      for (std::size_t i = 0; i < params.size(); ++i) best[i] = params[i]->value;
    } else {
      ++since_best;
    }
    stop = (c.patience > 0 && since_best >= c.patience) ||
           (c.stop_after_epochs > 0 && epoch + 1 >= c.stop_after_epochs);
    r.stopped_early = c.patience > 0 && since_best >= c.patience && epoch + 1 < c.epochs;
    if (!c.checkpoint.empty()) {
      save_checkpoint(c, fp, params, adam.steps(), r, best, best_acc, since_best);
    }
  }
  if (c.progress) progress.finish();
  for (std::size_t i = 0; i < params.size(); ++i) params[i]->value = best[i];
  return r;
}

// ---- Instantiations ------------------------------------------------------------------------

template struct Cnn<float>;
template struct Cnn<double>;
template Cnn<float> make_cnn<float>(const CnnConfig&, mlc::Rng&);
template Cnn<double> make_cnn<double>(const CnnConfig&, mlc::Rng&);
template Evaluation evaluate<float>(Cnn<float>&, const Matrix<float>&, const Eigen::VectorXi&);
template TrainResult train<float>(Cnn<float>&, const Split&, const Split&, const Split&,
                                  const TrainConfig&);

}  // namespace convolutional_networks
