// fashion_mnist_mlp.cpp: the training pipeline of fashion_mnist_mlp.hpp. Equation numbers
// (n) refer to NOTES.md; shapes in the comments (n rows = samples).
#include "fashion_mnist_mlp.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlc/error.hpp"
#include "mlc/timer.hpp"

namespace fashion_mnist_mlp {

namespace fs = std::filesystem;
using autograd::GemmWorkspace;
using autograd::Parameter;
using autograd::Tape;
using autograd::Var;

// ---- Data --------------------------------------------------------------------------------

namespace {

// (1) μ and σ over every pixel of the rows `rows` of X (two passes: mean, then spread).
Standardization fit_rows(const Eigen::MatrixXd& X, const std::vector<Index>& rows) {
  mlc::require(!rows.empty() && X.cols() > 0, "Standardization::fit", "no training pixels");
  const double count = static_cast<double>(rows.size()) * static_cast<double>(X.cols());
  double total = 0.0;
  for (Index j = 0; j < X.cols(); ++j) {  // column by column: X is column-major
    for (Index r : rows) total += X(r, j);
  }
  const double mean = total / count;
  double spread = 0.0;
  for (Index j = 0; j < X.cols(); ++j) {
    for (Index r : rows) spread += (X(r, j) - mean) * (X(r, j) - mean);
  }
  const double sd = std::sqrt(spread / count);
  mlc::require(sd > 0.0, "Standardization::fit", "the training pixels are constant");
  return {mean, sd};
}

// The standardized rows `rows` of X in the engine's layout   [rows.size() × X.cols()]
Matrix<float> gather(const Eigen::MatrixXd& X, const std::vector<Index>& rows,
                     const Standardization& st) {
  Matrix<float> out(static_cast<Index>(rows.size()), X.cols());
  for (Index j = 0; j < X.cols(); ++j) {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      out(static_cast<Index>(r), j) = static_cast<float>((X(rows[r], j) - st.mean) / st.sd);
    }
  }
  return out;
}

std::vector<Index> all_rows(Index n) {
  std::vector<Index> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), Index(0));
  return rows;
}

mlc::Dataset first_rows(const mlc::Dataset& d, Index begin, Index count) {
  mlc::Dataset out = d;
  out.X = d.X.middleRows(begin, count);
  out.y = d.y.segment(begin, count);
  return out;
}

}  // namespace

Standardization Standardization::fit(const Eigen::Ref<const Eigen::MatrixXd>& X) {
  return fit_rows(X, all_rows(X.rows()));
}

Matrix<float> Standardization::apply(const Eigen::Ref<const Eigen::MatrixXd>& X) const {
  return gather(X, all_rows(X.rows()), *this);
}

std::vector<Index> stratified_holdout(const Eigen::VectorXi& labels, Index holdout, mlc::Rng& rng) {
  const Index n = labels.size();
  mlc::require(n > 0 && labels.minCoeff() >= 0, "stratified_holdout",
               "labels must be nonempty class indices");
  const int classes = labels.maxCoeff() + 1;
  std::vector<std::vector<Index>> members(static_cast<std::size_t>(classes));
  for (Index i = 0; i < n; ++i) members[static_cast<std::size_t>(labels(i))].push_back(i);
  Index present = 0;
  for (const auto& m : members) present += m.empty() ? 0 : 1;
  mlc::require(holdout >= 0 && holdout <= n - present, "stratified_holdout",
               "the holdout must leave each class at least one row");
  std::vector<Index> chosen;
  // BEGIN EXERCISE stratified_holdout: (9) k_c = round(n_val n_c / n) by largest remainders, then a
  // shuffle per class
  std::vector<Index> quota(static_cast<std::size_t>(classes));
  std::vector<std::pair<double, int>> remainder;  // (fractional part, class)
  Index assigned = 0;
  for (int c = 0; c < classes; ++c) {
    const double exact = static_cast<double>(holdout) *
                         static_cast<double>(members[static_cast<std::size_t>(c)].size()) /
                         static_cast<double>(n);
    quota[static_cast<std::size_t>(c)] = static_cast<Index>(std::floor(exact));
    assigned += quota[static_cast<std::size_t>(c)];
    remainder.emplace_back(exact - std::floor(exact), c);
  }
  // Largest remainders first; ties to the smaller class index, so the order is defined.
  std::sort(remainder.begin(), remainder.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  for (std::size_t i = 0; assigned < holdout; ++i) {
    const auto c = static_cast<std::size_t>(remainder[i % remainder.size()].second);
    if (quota[c] + 1 < static_cast<Index>(members[c].size())) {
      ++quota[c];
      ++assigned;
    }
  }
  for (int c = 0; c < classes; ++c) {
    std::vector<Index>& m = members[static_cast<std::size_t>(c)];
    rng.shuffle(m);
    chosen.insert(chosen.end(), m.begin(), m.begin() + quota[static_cast<std::size_t>(c)]);
  }
  // END EXERCISE
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

FashionData prepare_data(const mlc::Dataset& pool, const mlc::Dataset& test, Index validation_rows,
                         mlc::Rng& rng) {
  mlc::require(pool.X.cols() == test.X.cols(), "prepare_data",
               "training and test images need the same number of pixels");
  const Eigen::VectorXi labels = pool.labels();
  const std::vector<Index> held = stratified_holdout(labels, validation_rows, rng);
  std::vector<Index> kept;
  kept.reserve(static_cast<std::size_t>(pool.X.rows()) - held.size());
  std::size_t h = 0;
  for (Index i = 0; i < pool.X.rows(); ++i) {
    if (h < held.size() && held[h] == i) {
      ++h;
    } else {
      kept.push_back(i);
    }
  }
  FashionData data;
  data.class_names = pool.class_names;
  data.standardization = fit_rows(pool.X, kept);  // (1) training rows only
  auto split = [&](const mlc::Dataset& d, const std::vector<Index>& rows) {
    Split s{gather(d.X, rows, data.standardization),
            Eigen::VectorXi(static_cast<Index>(rows.size()))};
    const Eigen::VectorXi y = d.labels();
    for (std::size_t r = 0; r < rows.size(); ++r) s.y(static_cast<Index>(r)) = y(rows[r]);
    return s;
  };
  data.train = split(pool, kept);
  data.validation = split(pool, held);
  data.test = split(test, all_rows(test.X.rows()));
  return data;
}

// ---- The fused dense layer (2)-(3) -------------------------------------------------------

namespace {

// Rows per tile of every threaded product: fixed, so the split of the work (and with it the
// order of every floating-point sum) is the same for any number of threads.
constexpr Index kTileRows = 32;

// One GEMM packing workspace per OpenMP thread, kept for the thread's lifetime: after the
// first step no product allocates.
template <class T>
GemmWorkspace<T>& thread_workspace() {
  thread_local GemmWorkspace<T> ws;
  return ws;
}

// f(begin, count) for the tiles [0, 32), [32, 64), ... of `rows` rows, spread over threads.
template <class F>
void for_each_tile(Index rows, const F& f) {
  const Index tiles = (rows + kTileRows - 1) / kTileRows;
#pragma omp parallel for schedule(static)
  for (Index t = 0; t < tiles; ++t) f(t * kTileRows, std::min(kTileRows, rows - t * kTileRows));
}

template <class T>
void dense_backward(const Var<T>& y) {
  const Var<T> x = y.parent(0), W = y.parent(1), b = y.parent(2);
  const bool relu = y.node().attr[0] != 0;
  const Matrix<T>& X = x.value();
  const Matrix<T>& Wv = W.value();
  const Matrix<T>& Y = y.value();
  const Matrix<T>& dY = y.grad();
  Matrix<T>& dZ_buffer = y.node().saved;  // ∂L/∂Z before the ReLU   [n × d_out]
  if (relu) dZ_buffer.resize(Y.rows(), Y.cols());
  const Matrix<T>& dZ = relu ? dZ_buffer : dY;
  // BEGIN EXERCISE dense_backward: (3) dZ = dY ⊙ [Y > 0], dW += Xᵀ dZ, db += 1ᵀ dZ, dX += dZ Wᵀ
  if (relu) {
    for_each_tile(Y.rows(), [&](Index r0, Index rows) {
      dZ_buffer.middleRows(r0, rows).array() =
          (Y.middleRows(r0, rows).array() > T(0)).select(dY.middleRows(r0, rows).array(), T(0));
    });
  }
  if (W.requires_grad()) {  // tiles of dW's rows: [rows × n]·[n × d_out]
    Matrix<T>& dW = W.grad();
    for_each_tile(X.cols(), [&](Index r0, Index rows) {
      autograd::gemm<T>(thread_workspace<T>(), X.middleCols(r0, rows), true, dZ, false,
                        dW.middleRows(r0, rows), T(1), T(1));
    });
  }
  if (b.requires_grad()) b.grad().row(0) += dZ.colwise().sum();
  if (x.requires_grad()) {  // tiles of dX's rows: [rows × d_out]·[d_out × d_in]
    Matrix<T>& dX = x.grad();
    for_each_tile(X.rows(), [&](Index r0, Index rows) {
      autograd::gemm<T>(thread_workspace<T>(), dZ.middleRows(r0, rows), false, Wv, true,
                        dX.middleRows(r0, rows), T(1), T(1));
    });
  }
  // END EXERCISE
}

}  // namespace

template <class T>
Var<T> dense(const Var<T>& x, const Var<T>& W, const Var<T>& b, bool relu) {
  const Index n = x.rows(), d_in = x.cols(), d_out = W.cols();
  if (W.rows() != d_in || b.rows() != 1 || b.cols() != d_out) {
    throw std::invalid_argument(
        fmt::format("dense: x {}×{}, W {}×{}, b {}×{} (need W {}×d_out, b 1×d_out)", n, d_in,
                    W.rows(), W.cols(), b.rows(), b.cols(), d_in));
  }
  Var<T> y = x.tape().record(relu ? "dense_relu" : "dense", {x, W, b}, n, d_out, dense_backward<T>);
  y.node().attr[0] = relu ? 1 : 0;
  Matrix<T>& Y = y.mutable_value();
  const Matrix<T>& X = x.value();
  const Matrix<T>& Wv = W.value();
  const Matrix<T>& bv = b.value();
  // BEGIN EXERCISE dense_forward: (2) Y = f(X W + 1 b), tile by tile of rows
  for_each_tile(n, [&](Index r0, Index rows) {
    auto Y_tile = Y.middleRows(r0, rows);
    autograd::gemm<T>(thread_workspace<T>(), X.middleRows(r0, rows), false, Wv, false, Y_tile, T(1),
                      T(0));
    Y_tile.rowwise() += bv.row(0);
    if (relu) Y_tile = Y_tile.cwiseMax(T(0));
  });
  // END EXERCISE
  return y;
}

template <class T>
Var<T> dense_reference(const Var<T>& x, const Var<T>& W, const Var<T>& b, bool relu) {
  const Var<T> z = autograd::add(autograd::matmul(x, W), b);
  return relu ? autograd::relu(z) : z;
}

template <class T>
Var<T> logits(autograd::Mlp<T>& net, Tape<T>& tape, const Var<T>& x) {
  Var<T> h = x;
  const std::size_t layers = net.weights.size();
  for (std::size_t l = 0; l < layers; ++l) {  // ReLU after every layer but the last
    h = dense(h, tape.param(net.weights[l]), tape.param(net.biases[l]), l + 1 < layers);
  }
  return h;
}

Net make_net(const std::vector<Index>& hidden, mlc::Rng& rng) {
  std::vector<Index> sizes{784};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(10);
  Net net = autograd::make_mlp<float>(sizes, autograd::Activation::relu, rng);
  for (Parameter<float>* p : net.parameters()) {  // optimizer state starts at zero (6)
    p->moment1 = Matrix<float>::Zero(p->value.rows(), p->value.cols());
    p->moment2 = Matrix<float>::Zero(p->value.rows(), p->value.cols());
  }
  return net;
}

Evaluation evaluate(Net& net, const Matrix<float>& X, const Eigen::VectorXi& y,
                    bool keep_predictions) {
  mlc::require(X.rows() == y.size() && X.rows() > 0, "evaluate",
               "X and y need the same, positive, number of rows");
  Tape<float> tape;
  Evaluation e;
  if (keep_predictions) {
    e.predicted.resize(X.rows());
    e.probability.resize(X.rows(), 10);
  }
  const Index chunk = 1000;
  Index correct = 0;
  for (Index begin = 0; begin < X.rows(); begin += chunk) {
    const Index n = std::min(chunk, X.rows() - begin);
    tape.reset();
    const Var<float> z = logits(net, tape, tape.input(X.middleRows(begin, n)));
    const Var<float> loss = autograd::cross_entropy(z, y.segment(begin, n));
    e.loss += static_cast<double>(loss.item()) * static_cast<double>(n);
    for (Index i = 0; i < n; ++i) {
      Index arg = 0;
      z.value().row(i).maxCoeff(&arg);
      correct += arg == y(begin + i) ? 1 : 0;
      if (keep_predictions) e.predicted(begin + i) = static_cast<int>(arg);
    }
    if (keep_predictions) e.probability.middleRows(begin, n) = loss.node().saved;  // softmax (4)
  }
  e.loss /= static_cast<double>(X.rows());
  e.accuracy = static_cast<double>(correct) / static_cast<double>(X.rows());
  return e;
}

// ---- Optimizers (5)-(7) and early stopping (8) ---------------------------------------------

void optimizer_step(const TrainConfig& config, const std::vector<Parameter<float>*>& params,
                    long t) {
  const auto lr = static_cast<float>(config.learning_rate);
  const auto lambda = static_cast<float>(config.weight_decay);
  const auto mu = static_cast<float>(config.momentum);
  constexpr float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
  const auto c1 = static_cast<float>(1.0 - std::pow(0.9, static_cast<double>(t)));
  const auto c2 = static_cast<float>(1.0 - std::pow(0.999, static_cast<double>(t)));
  constexpr Index kChunk = 16384;  // elementwise: any split gives the same bytes
  for (Parameter<float>* p : params) {
    const Index size = p->value.size();
    const float decay = p->decay ? lambda : 0.0f;
    const Index chunks = (size + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
    for (Index c = 0; c < chunks; ++c) {
      const Index begin = c * kChunk, len = std::min(kChunk, size - begin);
      auto theta = Eigen::Map<Eigen::ArrayXf>(p->value.data() + begin, len);
      auto g = Eigen::Map<const Eigen::ArrayXf>(p->grad.data() + begin, len);
      auto m = Eigen::Map<Eigen::ArrayXf>(p->moment1.data() + begin, len);
      auto v = Eigen::Map<Eigen::ArrayXf>(p->moment2.data() + begin, len);
      // BEGIN EXERCISE optimizer_step: AdamW (6)-(7) and SGD with momentum and L2 decay (5)
      if (config.optimizer == Optimizer::adam) {
        if (decay != 0.0f) theta *= 1.0f - lr * decay;  // (7) decoupled decay
        m = beta1 * m + (1.0f - beta1) * g;             // (6)
        v = beta2 * v + (1.0f - beta2) * g.square();
        theta -= lr * (m / c1) / ((v / c2).sqrt() + epsilon);
      } else {
        m = mu * m + g + decay * theta;  // (5) velocity, with the L2 gradient λθ
        theta -= lr * m;
      }
      // END EXERCISE
    }
  }
}

bool EarlyStopping::update(int epoch, double value) {
  // BEGIN EXERCISE early_stopping: (8) keep the best epoch by the monitor
  const bool better = best_epoch == 0 || (monitor == Monitor::validation_loss ? value < best_value
                                                                              : value > best_value);
  if (better) {
    best_value = value;
    best_epoch = epoch;
  }
  return better;
  // END EXERCISE
}

// ---- Configuration ---------------------------------------------------------------------

std::string TrainConfig::fingerprint() const {
  return fmt::format(
      "fashion_mnist_mlp v1; hidden {}; optimizer {}; learning_rate {}; momentum {}; "
      "weight_decay {}; batch {}; max_epochs {}; patience {}; monitor {}; train_rows {}; "
      "validation_rows {}; test_rows {}; small_data {}; seed {}",
      fmt::join(hidden, "-"), optimizer == Optimizer::adam ? "adam" : "sgd", learning_rate,
      momentum, weight_decay, batch_size, max_epochs, patience,
      monitor == Monitor::validation_loss ? "validation_loss" : "validation_accuracy", train_rows,
      validation_rows, test_rows, small_data ? 1 : 0, seed);
}

TrainConfig quick_config(std::uint64_t seed) {
  TrainConfig c;
  c.hidden = {64};
  c.max_epochs = 2;
  c.patience = 2;
  c.train_rows = 2000;
  c.validation_rows = 500;
  c.test_rows = 1000;
  c.small_data = true;
  c.seed = seed;
  return c;
}

FashionData load_data(const TrainConfig& config) {
  mlc::Rng split_rng = mlc::Rng(config.seed).derive(2);
  if (config.small_data) {  // every split from the 10 000 test images: disjoint rows
    const Index train = config.train_rows > 0 ? config.train_rows : 2000;
    const Index test = config.test_rows > 0 ? config.test_rows : 2000;
    const Index pool = train + config.validation_rows;
    if (pool + test > 10000) {
      throw std::invalid_argument(
          fmt::format("load_data: small_data holds 10 000 images, not {} + {} + {}", train,
                      config.validation_rows, test));
    }
    const mlc::Dataset all = mlc::load_fashion_mnist(false, pool + test);
    return prepare_data(first_rows(all, 0, pool), first_rows(all, pool, test),
                        config.validation_rows, split_rng);
  }
  mlc::Dataset pool = mlc::load_fashion_mnist(true);
  if (config.train_rows > 0) {
    mlc::require(config.train_rows + config.validation_rows <= pool.X.rows(), "load_data",
                 "train_rows + validation_rows exceeds the 60 000 training images");
    pool = first_rows(pool, 0, config.train_rows + config.validation_rows);
  }
  return prepare_data(pool, mlc::load_fashion_mnist(false, config.test_rows),
                      config.validation_rows, split_rng);
}

// ---- Checkpoints -------------------------------------------------------------------------

void put_net(mlc::Checkpoint& ck, const std::string& prefix, const Net& net) {
  for (std::size_t l = 0; l < net.weights.size(); ++l) {
    ck.put(prefix + net.weights[l].name, net.weights[l].value);
    ck.put(prefix + net.biases[l].name, net.biases[l].value);
  }
}

void get_net(const mlc::Checkpoint& ck, const std::string& prefix, Net& net) {
  for (std::size_t l = 0; l < net.weights.size(); ++l) {
    ck.get(prefix + net.weights[l].name, net.weights[l].value);
    ck.get(prefix + net.biases[l].name, net.biases[l].value);
  }
}

namespace {

void put_moments(mlc::Checkpoint& ck, Net& net) {
  for (Parameter<float>* p : net.parameters()) {
    ck.put("moment1." + p->name, p->moment1);
    ck.put("moment2." + p->name, p->moment2);
  }
}
void get_moments(const mlc::Checkpoint& ck, Net& net) {
  for (Parameter<float>* p : net.parameters()) {
    ck.get("moment1." + p->name, p->moment1);
    ck.get("moment2." + p->name, p->moment2);
  }
}

// Everything a resumed run needs to continue as if never stopped: parameters, optimizer
// moments and step count, the minibatch order's random state, early stopping's state, the
// best parameters and the history so far, under the config's fingerprint.
struct TrainingState {
  Net net, best;
  std::vector<EpochRecord> history;
  EarlyStopping stopper;
  mlc::Rng order_rng{0};
  long optimizer_steps = 0, steps = 0;
  int epoch = 0;
  bool finished = false, stopped_early = false;
};

void save_checkpoint(const fs::path& file, const std::string& fingerprint, TrainingState& s) {
  mlc::Checkpoint ck;
  ck.put_string("config", fingerprint);
  put_net(ck, "param.", s.net);
  put_moments(ck, s.net);
  put_net(ck, "best.", s.best);
  ck.put_int("epoch", s.epoch);
  ck.put_int("optimizer_steps", s.optimizer_steps);
  ck.put_int("steps", s.steps);
  ck.put_int("best_epoch", s.stopper.best_epoch);
  ck.put("best_value", Eigen::Matrix<double, 1, 1>::Constant(s.stopper.best_value));
  ck.put_int("finished", s.finished ? 1 : 0);
  ck.put_int("stopped_early", s.stopped_early ? 1 : 0);
  ck.put_string("order_rng", s.order_rng.state());
  Eigen::MatrixXd history(static_cast<Index>(s.history.size()), 5);
  for (std::size_t e = 0; e < s.history.size(); ++e) {
    const EpochRecord& r = s.history[e];
    history.row(static_cast<Index>(e)) << r.train_loss, r.validation_loss, r.validation_accuracy,
        r.test_accuracy, r.seconds;
  }
  ck.put("history", history);
  ck.save(file);
}

void load_checkpoint(const fs::path& file, const std::string& fingerprint, bool restore_optimizer,
                     TrainingState& s) {
  const mlc::Checkpoint ck = mlc::Checkpoint::load(file);
  ck.require_string("config", fingerprint);
  get_net(ck, "param.", s.net);
  get_net(ck, "best.", s.best);
  s.epoch = static_cast<int>(ck.get_int("epoch"));
  s.steps = ck.get_int("steps");
  s.stopper.best_epoch = static_cast<int>(ck.get_int("best_epoch"));
  s.stopper.best_value = ck.matrix_d("best_value")(0, 0);
  s.finished = ck.get_int("finished") != 0;
  s.stopped_early = ck.get_int("stopped_early") != 0;
  const Eigen::MatrixXd history = ck.matrix_d("history");
  if (history.cols() != 5 || history.rows() != s.epoch) {
    throw mlc::DataError(
        fmt::format("{}: the history holds {} rows for {} epochs; delete the file "
                    "and train again without --resume",
                    file.string(), history.rows(), s.epoch));
  }
  s.history.clear();
  for (Index e = 0; e < history.rows(); ++e) {
    s.history.push_back(
        {history(e, 0), history(e, 1), history(e, 2), history(e, 3), history(e, 4)});
  }
  if (restore_optimizer) {
    get_moments(ck, s.net);
    s.optimizer_steps = ck.get_int("optimizer_steps");
    s.order_rng.set_state(ck.get_string("order_rng"));
  }
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

// ---- Training ----------------------------------------------------------------------------

TrainResult train(const TrainConfig& config, const FashionData& data, const RunControl& control) {
  const Index n = data.train.X.rows(), batch = config.batch_size;
  mlc::require(batch >= 1 && batch <= n, "train", "batch_size must be in 1 ... training rows");
  mlc::require(config.max_epochs >= 1 && config.patience >= 1, "train",
               "max_epochs and patience must be at least 1");
  mlc::require(config.learning_rate > 0.0, "train", "learning_rate must be positive");
  mlc::require(data.validation.X.rows() > 0 && data.test.X.rows() > 0, "train",
               "needs validation and test rows");
  const std::string fingerprint = config.fingerprint();
  const mlc::Rng root(config.seed);
  TrainingState s;
  mlc::Rng init_rng = root.derive(1);
  s.net = make_net(config.hidden, init_rng);
  s.best = s.net;
  s.order_rng = root.derive(3);
  s.stopper = {config.monitor, config.patience};
  const fs::path last_file = control.checkpoint_dir / "last.ckpt";
  const fs::path best_file = control.checkpoint_dir / "best.ckpt";
  const bool checkpoints = !control.checkpoint_dir.empty();
  TrainResult result;
  if (checkpoints) fs::create_directories(control.checkpoint_dir);
  if (checkpoints && control.resume && fs::exists(last_file)) {
    load_checkpoint(last_file, fingerprint, control.restore_optimizer, s);
    result.resumed_from_epoch = s.epoch;
  }
  std::vector<Parameter<float>*> params = s.net.parameters();
  const Index steps_per_epoch = n / batch;
  std::vector<Index> order(static_cast<std::size_t>(n));
  Eigen::VectorXi labels(batch);
  Tape<float> tape;
  mlc::Progress progress("epochs", config.max_epochs);
  int epochs_this_call = 0;
  while (!s.finished && !(control.stop_after > 0 && epochs_this_call == control.stop_after)) {
    ++s.epoch;
    std::iota(order.begin(), order.end(), Index(0));  // a fresh shuffle each epoch: the RNG
    s.order_rng.shuffle(order);                       // state alone fixes the order
    mlc::Timer timer;
    double total = 0.0;
    bool diverged = false;
    for (Index step = 0; step < steps_per_epoch; ++step) {
      const std::span<const Index> rows(order.data() + step * batch,
                                        static_cast<std::size_t>(batch));
      for (Index i = 0; i < batch; ++i) labels(i) = data.train.y(rows[static_cast<std::size_t>(i)]);
      tape.reset();
      const Var<float> loss =
          autograd::cross_entropy(logits(s.net, tape, tape.input_rows(data.train.X, rows)), labels);
      autograd::zero_grad(params);
      tape.backward(loss);
      optimizer_step(config, params, ++s.optimizer_steps);
      ++s.steps;
      const double value = static_cast<double>(loss.item());
      total += value;
      if (!std::isfinite(value)) {
        diverged = true;
        break;
      }
    }
    EpochRecord record;
    record.seconds = timer.seconds();
    record.train_loss = diverged ? std::nan("") : total / static_cast<double>(steps_per_epoch);
    const Evaluation validation = evaluate(s.net, data.validation.X, data.validation.y);
    record.validation_loss = validation.loss;
    record.validation_accuracy = validation.accuracy;
    record.test_accuracy = evaluate(s.net, data.test.X, data.test.y).accuracy;
    s.history.push_back(record);
    const double monitored =
        config.monitor == Monitor::validation_loss ? validation.loss : validation.accuracy;
    const bool improved =
        !diverged && std::isfinite(monitored) && s.stopper.update(s.epoch, monitored);
    if (improved) {
      for (std::size_t l = 0; l < s.net.weights.size(); ++l) {  // values only: no moments
        s.best.weights[l].value = s.net.weights[l].value;
        s.best.biases[l].value = s.net.biases[l].value;
      }
    }
    s.stopped_early = s.stopper.should_stop(s.epoch) && s.epoch < config.max_epochs;
    s.finished = diverged || s.stopper.should_stop(s.epoch) || s.epoch >= config.max_epochs;
    if (checkpoints) {
      save_checkpoint(last_file, fingerprint, s);  // atomic: a kill leaves the old or the new
      if (improved) {
        mlc::Checkpoint best;
        best.put_string("config", fingerprint);
        best.put_int("epoch", s.epoch);
        put_net(best, "", s.best);
        best.save(best_file);
      }
    }
    ++epochs_this_call;
    if (control.progress) {
      progress.update(s.epoch,
                      fmt::format("loss {:.4f}, validation accuracy {:.4f}, {:.0f} images/s",
                                  record.train_loss, record.validation_accuracy,
                                  static_cast<double>(steps_per_epoch * batch) / record.seconds));
    }
  }
  if (control.progress) progress.finish();
  result.history = s.history;
  result.best_epoch = s.stopper.best_epoch;
  result.stopped_early = s.stopped_early;
  result.finished = s.finished;
  result.steps = s.steps;
  result.last = s.net;
  result.best = s.best;
  return result;
}

// ---- The cache of trained networks ---------------------------------------------------------

TrainedMlp trained_mlp(const TrainConfig& config, const fs::path& cache_dir) {
  const std::string fingerprint = config.fingerprint();
  TrainedMlp out;
  out.file = cache_dir / fmt::format("fashion_mnist_mlp_{:016x}.ckpt", fnv1a(fingerprint));
  mlc::Rng unused(0);
  out.net = make_net(config.hidden, unused);
  if (fs::exists(out.file)) {
    const mlc::Checkpoint ck = mlc::Checkpoint::load(out.file);
    ck.require_string("config", fingerprint);
    get_net(ck, "", out.net);
    const Eigen::MatrixXd st = ck.matrix_d("standardization");
    out.standardization = {st(0, 0), st(0, 1)};
    out.test_accuracy = ck.matrix_d("test_accuracy")(0, 0);
    out.best_epoch = static_cast<int>(ck.get_int("best_epoch"));
    out.loaded_from_cache = true;
    return out;
  }
  const FashionData data = load_data(config);
  TrainResult result = train(config, data);
  out.net = std::move(result.best);
  out.standardization = data.standardization;
  out.test_accuracy = evaluate(out.net, data.test.X, data.test.y).accuracy;
  out.best_epoch = result.best_epoch;
  mlc::Checkpoint ck;
  ck.put_string("config", fingerprint);
  put_net(ck, "", out.net);
  ck.put("standardization", Eigen::RowVector2d(out.standardization.mean, out.standardization.sd));
  ck.put("test_accuracy", Eigen::Matrix<double, 1, 1>::Constant(out.test_accuracy));
  ck.put_int("best_epoch", out.best_epoch);
  fs::create_directories(cache_dir);
  ck.save(out.file);
  return out;
}

// ---- Instantiations ------------------------------------------------------------------------

#define FASHION_INSTANTIATE(T)                                                           \
  template Var<T> dense<T>(const Var<T>&, const Var<T>&, const Var<T>&, bool);           \
  template Var<T> dense_reference<T>(const Var<T>&, const Var<T>&, const Var<T>&, bool); \
  template Var<T> logits<T>(autograd::Mlp<T>&, Tape<T>&, const Var<T>&);
FASHION_INSTANTIATE(float)
FASHION_INSTANTIATE(double)
#undef FASHION_INSTANTIATE

}  // namespace fashion_mnist_mlp
