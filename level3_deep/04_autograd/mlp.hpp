// mlp.hpp: lesson 3.1's multi-layer perceptron rebuilt on the engine, and a minibatch
// training loop whose steady-state steps allocate nothing. Used by the experiments (engine
// against 3.1's hand-written backward, float against double) and by the tests.
//
// Symbols: n = batch rows, d_0 = input width, k = classes. Rows are samples.
//   H_0 = X,  Z_l = H_{l−1} W_l + 1 b_l   (l = 1 ... L),  H_l = f(Z_l) for l < L,
//   loss = cross_entropy(Z_L, y)   (11)
// exactly 3.1's network: the hidden activation after every layer but the last.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "autograd.hpp"
#include "mlc/rng.hpp"
#include "mlp_backprop.hpp"

namespace autograd {

enum class Activation { relu, tanh, sigmoid, gelu, identity };

// A hidden nonlinearity is any op Var → Var (so a hand-written or a deliberately broken one
// can be plugged in).
template <class T>
using ActivationFn = Var<T> (*)(const Var<T>&);
template <class T>
ActivationFn<T> activation_fn(Activation activation);

template <class T>
struct Mlp {
  std::vector<Parameter<T>> weights;  // W_l   [d_{l−1} × d_l]
  std::vector<Parameter<T>> biases;   // b_l   [1 × d_l], not decayed
  ActivationFn<T> hidden = nullptr;

  // The parameters in a fixed order (W_1, b_1, W_2, ...). The pointers stay valid while the
  // Mlp is neither copied nor moved: take them once, before the training loop.
  std::vector<Parameter<T>*> parameters();
  Index num_parameters() const;
  // The logits Z_L of x [n × d_0], the parameters bound to the tape   [n × k]
  Var<T> logits(Tape<T>& tape, const Var<T>& x);
};

// sizes = {d_0, h_1, ..., k}. Weights N(0, σ²) drawn in double from rng (so float and double
// networks made from the same stream are the same network): σ² = 2/d_in (He) for relu and
// gelu, 2/(d_in + d_out) (Glorot) otherwise, as 3.1 does; biases 0.
template <class T>
Mlp<T> make_mlp(const std::vector<Index>& sizes, Activation hidden, mlc::Rng& rng);
// The same network in another precision (float for training from a double one).
template <class To, class From>
Mlp<To> cast_mlp(const Mlp<From>& net);

// 3.1's network (lesson mlp_backprop: its weights, biases and hidden activation) on the
// engine, and the engine's gradients flattened in 3.1's order (each layer's W column by
// column, then b), for the comparison with mlp_backprop::flatten_gradients.
template <class T>
Mlp<T> from_mlp_backprop(const mlp_backprop::Mlp& net);
template <class T>
Eigen::VectorXd flatten_gradients(const Mlp<T>& net);

// One forward and backward pass on (X, y): zero_grad, loss (11), backward. Returns the loss;
// the gradients are in each parameter's grad.
template <class T>
double loss_and_gradients(Mlp<T>& net, Tape<T>& tape, const Eigen::MatrixXd& X,
                          const Eigen::VectorXi& y);

// Mean loss and accuracy over (X, y), evaluated in chunks of 1000 rows without a backward.
struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
};
template <class T>
Evaluation evaluate(Mlp<T>& net, const Eigen::MatrixXd& X, const Eigen::VectorXi& y);

enum class Optimizer { sgd, adam };

struct TrainConfig {
  int epochs = 5;
  Index batch_size = 128;  // the last incomplete batch of each epoch is dropped
  Optimizer optimizer = Optimizer::adam;
  double learning_rate = 1e-3;
  double momentum = 0.0;   // SGD only
  bool zero_grad = true;   // false reproduces the accumulation failure mode (23)
  std::uint64_t seed = 0;  // the minibatch order
  int evaluate_every = 0;  // > 0: evaluate on the held-out set every that many epochs
};

struct TrainTrace {
  std::vector<double> step_loss;   // the minibatch loss of every step
  std::vector<double> epoch_loss;  // mean minibatch loss of each epoch
  std::vector<double> eval_epoch;  // epochs at which the held-out set was evaluated
  std::vector<double> eval_loss;   // its loss and accuracy then
  std::vector<double> eval_accuracy;
  long steps = 0;
  bool diverged = false;          // a non-finite loss stopped the run
  double seconds_in_steps = 0.0;  // wall time inside the training steps
  // Heap allocations counted inside steps 2 ... N (the steady state): measured only when a
  // counter is given; −1 otherwise.
  long steady_state_allocations = -1;
};

// Minibatch training of the mean cross-entropy. allocation_counter, when given, returns
// the number of heap allocations of the process so far (alloc_counter.hpp); the loop reads
// it around each step after the first.
template <class T>
TrainTrace train_classifier(Mlp<T>& net, const Eigen::MatrixXd& X, const Eigen::VectorXi& y,
                            const Eigen::MatrixXd& X_eval, const Eigen::VectorXi& y_eval,
                            const TrainConfig& config,
                            std::uint64_t (*allocation_counter)() = nullptr);

extern template struct Mlp<float>;
extern template struct Mlp<double>;

}  // namespace autograd
