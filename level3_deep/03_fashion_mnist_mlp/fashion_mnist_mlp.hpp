// fashion_mnist_mlp.hpp: a real training pipeline for an MLP on Fashion-MNIST, on the
// engine of 3.4 (autograd) in float32: a stratified validation split carved from the
// training images, standardization with training statistics, a fused dense layer (matrix
// product, bias and ReLU in one op, threaded over fixed tiles so that results do not depend
// on the thread count), minibatch training with Adam(W) or SGD with momentum, early
// stopping on the validation split, a checkpoint saved atomically every epoch from which a
// killed run resumes to the same bytes, and a cache of trained networks for later lessons.
//
// Sources:
//   Xiao, Rasul & Vollgraf, "Fashion-MNIST: a novel image dataset for benchmarking machine
//     learning algorithms", arXiv:1708.07747 (2017): the data and its benchmark.
//   Kingma & Ba, "Adam: a method for stochastic optimization", ICLR (2015), Algorithm 1.
//   Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR (2019): AdamW.
//   Prechelt, "Early stopping — but when?", in Neural Networks: Tricks of the Trade (1998).
//   He, Zhang, Ren & Sun, "Delving deep into rectifiers", ICCV (2015): the initialization.
//   PyTorch's torch.save/torch.load of model and optimizer state_dicts: what a resumable
//     checkpoint must hold.
// Equation numbers (n) refer to NOTES.md.
//
// Symbols: n = minibatch rows, d = 784 pixels, k = 10 classes, h_l = hidden widths.
// Rows are samples. Later lessons (3.5, levels 5 and 6) call trained_mlp() for a trained
// network without running this lesson's program first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "autograd.hpp"
#include "mlc/checkpoint.hpp"
#include "mlc/data.hpp"
#include "mlc/rng.hpp"
#include "mlp.hpp"

namespace fashion_mnist_mlp {

using autograd::Index;
template <class T>
using Matrix = autograd::Matrix<T>;
using Net = autograd::Mlp<float>;

// ---- Data --------------------------------------------------------------------------------

// (1) x̃ = (x − μ) / σ with one μ and one σ over every pixel of the training rows (not the
// validation or test rows: their statistics must not leak into training).
struct Standardization {
  double mean = 0.0, sd = 1.0;
  static Standardization fit(const Eigen::Ref<const Eigen::MatrixXd>& X);
  Matrix<float> apply(const Eigen::Ref<const Eigen::MatrixXd>& X) const;  // float, row-major
};

// (9) A stratified holdout: from each class c with n_c of the n rows, round(n_val n_c / n)
// rows (largest remainders, so the counts sum to n_val exactly), chosen by a shuffle from
// rng. Returns the holdout rows, sorted. Each class keeps at least one training row.
std::vector<Index> stratified_holdout(const Eigen::VectorXi& labels, Index holdout, mlc::Rng& rng);

struct Split {
  Matrix<float> X;  // standardized pixels   [n × 784]
  Eigen::VectorXi y;
};
struct FashionData {
  Split train, validation, test;
  Standardization standardization;
  std::vector<std::string> class_names;
};

// Builds the three splits: the validation rows carved from `pool` (stratified, from rng),
// the rest for training; standardization fitted on the training rows only.
FashionData prepare_data(const mlc::Dataset& pool, const mlc::Dataset& test, Index validation_rows,
                         mlc::Rng& rng);

// ---- The model -----------------------------------------------------------------------------

// (2)-(3) The fused dense layer Y = f(X W + 1 b), f = ReLU or the identity, as one op of the
// engine (Tape::record): X [n × d_in], W [d_in × d_out], b [1 × d_out] → Y [n × d_out].
// Backward: dZ = dY ⊙ [Y > 0] (ReLU), dW += Xᵀ dZ, db += 1ᵀ dZ, dX += dZ Wᵀ. The products
// are split into fixed tiles of rows run by OpenMP threads, each tile through the engine's
// single-threaded GEMM with a per-thread packing workspace: the tiles do not depend on the
// thread count, so neither do the results.
template <class T>
autograd::Var<T> dense(const autograd::Var<T>& x, const autograd::Var<T>& W,
                       const autograd::Var<T>& b, bool relu);
// The same layer from the engine's own ops, relu(add(matmul(x, W), b)): the reference the
// fused op is checked against.
template <class T>
autograd::Var<T> dense_reference(const autograd::Var<T>& x, const autograd::Var<T>& W,
                                 const autograd::Var<T>& b, bool relu);

// The logits of x [n × 784] through the network: fused ReLU layers, a linear last layer.
template <class T>
autograd::Var<T> logits(autograd::Mlp<T>& net, autograd::Tape<T>& tape, const autograd::Var<T>& x);

// 784-h_1-...-10 with He-normal weights (σ² = 2/d_in) from rng and zero biases (3.4's make_mlp).
Net make_net(const std::vector<Index>& hidden, mlc::Rng& rng);

struct Evaluation {
  double loss = 0.0, accuracy = 0.0;
  Eigen::VectorXi predicted;    // argmax of each row (filled when asked)
  Eigen::MatrixXf probability;  // softmax of each row [n × 10] (filled when asked)
};
// Mean cross-entropy and accuracy over (X, y) in chunks of 1000 rows, no backward.
Evaluation evaluate(Net& net, const Matrix<float>& X, const Eigen::VectorXi& y,
                    bool keep_predictions = false);

// ---- Training ------------------------------------------------------------------------------

enum class Optimizer { adam, sgd };
enum class Monitor { validation_loss, validation_accuracy };

struct TrainConfig {
  std::vector<Index> hidden{256, 128};
  Optimizer optimizer = Optimizer::adam;
  double learning_rate = 1e-3;
  double momentum = 0.9;      // SGD (5)
  double weight_decay = 0.0;  // AdamW's decoupled decay (7), SGD's L2 term (5); weights only
  Index batch_size = 128;     // the last incomplete batch of an epoch is dropped
  int max_epochs = 40;
  int patience = 6;  // (8) stop after this many epochs without a better monitored value
  Monitor monitor = Monitor::validation_accuracy;
  Index train_rows = 0;  // 0: the whole pool minus the validation rows; else its first rows
  Index validation_rows = 5000;
  Index test_rows = 0;      // 0: all 10 000
  bool small_data = false;  // true: every split from the 10 000-image test file (fast to load)
  std::uint64_t seed = 42;  // initialization, split and minibatch order derive from it

  // Every field above, as text: a checkpoint or cache entry of another config is rejected.
  std::string fingerprint() const;
};

// The data a config trains on (loads Fashion-MNIST; DataError when it is not installed).
FashionData load_data(const TrainConfig& config);

struct EpochRecord {
  double train_loss = 0.0;  // mean minibatch loss of the epoch
  double validation_loss = 0.0, validation_accuracy = 0.0;
  double test_accuracy = 0.0;  // recorded for the learning curves, never used for selection
  double seconds = 0.0;        // wall time of the epoch's training steps
};

struct TrainResult {
  Net best;  // the parameters of the best epoch (by the monitor)
  Net last;  // the parameters when training stopped
  std::vector<EpochRecord> history;
  int best_epoch = 0;  // 1-based
  bool stopped_early = false;
  bool finished = false;  // false when stop_after ended the call first
  long steps = 0;
  int resumed_from_epoch = -1;  // the checkpoint's epoch when resumed, else −1
};

// Where the checkpoints go and how a call behaves.
struct RunControl {
  std::filesystem::path checkpoint_dir;  // empty: no checkpoints; else last.ckpt, best.ckpt
  bool resume = false;  // continue from checkpoint_dir/last.ckpt (a fresh start if none)
  int stop_after = 0;   // > 0: return after this many epochs of this call (a simulated kill)
  // false: resume restores only the parameters, not the optimizer moments, the step count
  // or the minibatch order (the failure mode of NOTES.md)
  bool restore_optimizer = true;
  bool progress = false;  // a progress line on stderr
};

// Minibatch training with early stopping (8) and a checkpoint after every epoch.
// Resuming from a checkpoint written by a call with the same config gives the same bytes as
// a run never interrupted. A damaged checkpoint or one of another config: DataError naming
// the file and the fix.
TrainResult train(const TrainConfig& config, const FashionData& data,
                  const RunControl& control = {});

// (5)-(7) One optimizer step over the parameters; t counts Adam's steps (1 at the first).
void optimizer_step(const TrainConfig& config,
                    const std::vector<autograd::Parameter<float>*>& params, long t);

// (8) Early stopping's bookkeeping: whether epoch `epoch` (value `value` of the monitor) is
// the new best, and whether training should stop after it.
struct EarlyStopping {
  Monitor monitor = Monitor::validation_accuracy;
  int patience = 6;
  double best_value = 0.0;
  int best_epoch = 0;                    // 0: no epoch seen yet
  bool update(int epoch, double value);  // true when `epoch` is the new best
  bool should_stop(int epoch) const { return best_epoch > 0 && epoch - best_epoch >= patience; }
};

// ---- Checkpoints and the cache -------------------------------------------------------------

// The network's parameters as checkpoint entries "<prefix>W1", "<prefix>b1", ... and back
// (shapes must match: DataError otherwise).
void put_net(mlc::Checkpoint& ck, const std::string& prefix, const Net& net);
void get_net(const mlc::Checkpoint& ck, const std::string& prefix, Net& net);

// A trained network for later lessons: trained by train() with `config` (no checkpoints) on
// the first call, then loaded from cache_dir/fashion_mnist_mlp_<hash of the config>.ckpt.
struct TrainedMlp {
  Net net;
  Standardization standardization;  // apply it to new images before logits()
  double test_accuracy = 0.0;
  int best_epoch = 0;
  bool loaded_from_cache = false;
  std::filesystem::path file;
};
TrainedMlp trained_mlp(const TrainConfig& config, const std::filesystem::path& cache_dir);
// The sizes of --quick: a 784-64-10 network on 2 000 images for 2 epochs (seconds).
TrainConfig quick_config(std::uint64_t seed = 42);

}  // namespace fashion_mnist_mlp
