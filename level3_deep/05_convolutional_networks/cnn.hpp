// cnn.hpp: convolutional networks built from the ops of convolutional_networks.hpp and 3.4's
// engine, and the training pipeline of the lesson: minibatches shuffled from the seed, Adam(W)
// with linear warm-up and cosine decay (12), a validation split for early stopping, a
// checkpoint after every epoch that --resume continues from, and image transforms (shifts,
// rotations) for the failure modes and for augmentation.
//
// Symbols: N = batch, images 1 × 28 × 28 in NCHW rows [N × 784], k = 10 classes.
//   block b:  H_b = maxpool_2×2(relu(conv_b(H_{b−1})))          (3), (9)
//   dense:    Z_1 = H_B W_1 + b_1, H = dropout(relu(Z_1)), ..., logits Z_L   (3.4's (4)-(6), (17))
//   loss:     mean cross-entropy of the logits (3.4's (11))
// Equation numbers (n) refer to NOTES.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "autograd.hpp"
#include "convolutional_networks.hpp"
#include "mlc/rng.hpp"

namespace convolutional_networks {

using autograd::Parameter;

// One convolution block: conv (k × k, `channels` filters, zero padding) → ReLU → 2 × 2 max pool.
struct ConvBlock {
  Index channels = 6;
  Index kernel = 5;
  Index padding = 0;
};

struct CnnConfig {
  std::string name = "cnn";
  Index channels = 1, height = 28, width = 28;  // the input images
  std::vector<ConvBlock> blocks{};              // the convolution blocks, in order
  std::vector<Index> hidden{};                  // widths of the dense ReLU layers after them
  Index classes = 10;
  double dropout = 0.0;  // inverted dropout (3.4's (17)) after every dense hidden layer
};

// LeNet-5 as the issue fixes it (LeCun et al. 1998, with ReLU and max pooling): conv 6@5×5
// padding 2 → pool → conv 16@5×5 → pool → 120 → 84 → 10: 61 706 parameters.
CnnConfig lenet5();
// The lesson's best network: conv 32@3×3 padding 1 → pool → conv 64@3×3 padding 1 → pool →
// 256 (dropout) → 10.
CnnConfig best_cnn();

// A network's parameters and the geometry of its layers.
template <class T>
struct Cnn {
  CnnConfig config;
  std::vector<Conv2d> convs;         // geometry of each block's convolution
  std::vector<Pool2d> pools;         // and of its pool
  std::vector<Parameter<T>> params;  // conv W, b per block, then dense W, b per layer

  // The parameters in a fixed order. Valid while the Cnn is not copied (moving keeps them).
  std::vector<Parameter<T>*> parameters();
  Index num_parameters() const;
  // The logits [N × k] of images x [N × C·H·W]. dropout_rng: the stream of the dropout masks
  // (training), or null (evaluation: no dropout). feature_maps, when given, receives each
  // block's ReLU output [N × C_b·H_b·W_b] (before its pool), for the figures.
  Var<T> logits(Tape<T>& tape, const Var<T>& x, mlc::Rng* dropout_rng = nullptr,
                std::vector<Var<T>>* feature_maps = nullptr);
};

// Weights N(0, 2/fan_in) (He; fan_in = C·k² for a convolution (13)) drawn in double from rng,
// biases 0.
template <class T>
Cnn<T> make_cnn(const CnnConfig& config, mlc::Rng& rng);

// A data split in the engine's layout: images [n × C·H·W] (float), labels.
struct Split {
  Matrix<float> X;
  Eigen::VectorXi y;
};

// (12) Linear warm-up to the peak over `warmup_steps`, then cosine decay to
// final_fraction · peak at total_steps:
//   η_t = η t / t_w (t < t_w),  η_t = η (f + (1 − f) (1 + cos(π (t − t_w)/(t_T − t_w))) / 2).
struct Schedule {
  double peak = 1e-3;
  long warmup_steps = 0;
  long total_steps = 1;
  double final_fraction = 0.0;
  double learning_rate(long step) const;  // step counts from 0
};

enum class Augment { none, rotation };

struct TrainConfig {
  int epochs = 10;
  Index batch_size = 128;  // the last incomplete batch of an epoch is dropped
  double learning_rate = 1e-3;
  double weight_decay = 0.0;  // AdamW's decoupled decay (3.4's (22)), weights only
  double warmup_epochs = 0.0;
  bool cosine = false;            // cosine decay (12) after the warm-up; else constant
  int patience = 0;               // > 0: stop when validation accuracy has not improved for that
                                  // many epochs; the best epoch's weights are restored at the end
  Index max_steps_per_epoch = 0;  // > 0: at most that many steps per epoch (--quick)
  Augment augment = Augment::none;
  double augment_degrees = 0.0;        // rotation augmentation: uniform in ±that
  bool evaluate_test = true;           // test accuracy after every epoch (the accuracy figure)
  std::uint64_t seed = 0;              // the minibatch order and the dropout masks derive from it
  std::filesystem::path checkpoint{};  // non-empty: written after every epoch
  bool resume = false;                 // continue from `checkpoint` when it exists
  bool progress = true;                // the progress line
  int stop_after_epochs = 0;  // > 0: return after that many epochs in all (a kill, for the tests)
};

struct EpochRecord {
  double train_loss = 0.0;  // mean minibatch loss of the epoch
  double val_loss = 0.0, val_accuracy = 0.0;
  double test_accuracy = 0.0;  // NaN when not evaluated
  double learning_rate = 0.0;  // at the epoch's last step
  double seconds = 0.0;        // wall time of the epoch's training steps
};

struct TrainResult {
  std::vector<EpochRecord> epochs;  // every epoch run (including those before a resume)
  int best_epoch = 0;               // 1-based, by validation accuracy
  int resumed_after = 0;            // epochs restored from the checkpoint (0: none)
  bool stopped_early = false;
  long steps = 0;
  double seconds = 0.0;  // training steps only, in this process
};

// Trains net on `train`, evaluating on `val` (and `test` if evaluate_test) after each epoch.
template <class T>
TrainResult train(Cnn<T>& net, const Split& train, const Split& val, const Split& test,
                  const TrainConfig& config);

struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};
// Mean cross-entropy and accuracy, in chunks of 250 images, no dropout.
template <class T>
Evaluation evaluate(Cnn<T>& net, const Matrix<float>& X, const Eigen::VectorXi& y);

// The checkpoint of a training run (mlc::Checkpoint): every parameter with its Adam moments,
// the optimizer's step count, the epoch history and the best weights so far. A fingerprint
// of the network and the training configuration guards against resuming another run.
std::string fingerprint(const CnnConfig& net, const TrainConfig& config, Index train_rows);

// Image transforms of NCHW rows [n × C·H·W] (zero fill outside the image):
// shift every image by (dx, dy) pixels (right and down positive);
Matrix<float> shift_images(const Matrix<float>& X, Index channels, Index height, Index width,
                           Index dx, Index dy);
// rotate every image by `degrees` (counter-clockwise) about its centre, bilinear interpolation.
Matrix<float> rotate_images(const Matrix<float>& X, Index channels, Index height, Index width,
                            double degrees);

extern template struct Cnn<float>;
extern template struct Cnn<double>;

}  // namespace convolutional_networks
