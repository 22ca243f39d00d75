// training_dynamics.hpp: what decides whether a deep network trains. Initialisation (small,
// Glorot/Xavier, He, large), activations (sigmoid, tanh, ReLU, GELU), batch and layer
// normalisation, inverted dropout, weight decay and learning-rate schedules (warm-up + cosine,
// step), each written as a hand-written forward/backward layer in 3.1's style, templated on the
// scalar: float32 to train, double for the gradient checks, through the same code.
//
// Sources:
//   Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural
//     networks", AISTATS (2010): variance propagation, the normalised initialisation (3).
//   He, Zhang, Ren & Sun, "Delving deep into rectifiers", ICCV (2015): σ² = 2 / d_in (4).
//   Hendrycks & Gimpel, "Gaussian error linear units (GELUs)", arXiv:1606.08415 (2016): (8).
//   Ioffe & Szegedy, "Batch normalization", ICML (2015): (9)-(12), running statistics (13).
//   Ba, Kiros & Hinton, "Layer normalization", arXiv:1607.06450 (2016): (14).
//   Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, "Dropout", JMLR 15 (2014),
//     with the inverted scaling of modern libraries: (15).
//   Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour" (2017): linear
//     warm-up; Loshchilov & Hutter, "SGDR", ICLR (2017): cosine decay: (17)-(18).
// Equation numbers (n) refer to NOTES.md.
//
// Symbols: n = batch size (rows), d = features (columns), d_in / d_out = a linear layer's
// widths, k = classes. Rows are samples: a layer maps X [n × d_in] to Y [n × d_out]. Matrices
// are the engine's row-major autograd::Matrix<T>; parameters are autograd::Parameter<T>, so
// 3.4's optimizers (SGD with momentum, Adam/AdamW) step them directly.
//
// Every layer is a forward/backward pair (3.1's contract): forward(X, mode) caches what
// backward needs and returns its output, a buffer the layer owns (reused: a steady-state step
// allocates nothing); backward(dY) returns dL/dX (also owned) and OVERWRITES its parameters'
// gradients. X must stay alive until the backward that follows the forward.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "autograd.hpp"
#include "mlc/rng.hpp"

namespace training_dynamics {

using Eigen::Index;
template <class T>
using Matrix = autograd::Matrix<T>;  // row-major
template <class T>
using Parameter = autograd::Parameter<T>;

// train: batch statistics, dropout masks drawn; eval: running statistics, dropout off.
enum class Mode { train, eval };

// ---- Initialisation (3)-(5) ----------------------------------------------------------------

// Weights W(i, j) ~ N(0, σ²): small σ = 0.01; Glorot/Xavier σ² = 2 / (d_in + d_out) (3);
// He σ² = 2 / d_in (4); large σ = 1 (the "standard normal" initialisation). Biases 0.
enum class Init { small, xavier, he, large };
std::string init_name(Init init);  // "small", "xavier", "he", "large"
// σ of the rule for a d_in × d_out layer. Throws std::invalid_argument on non-positive sizes.
double init_std(Init init, Index d_in, Index d_out);

// ---- Activations (6)-(8) -------------------------------------------------------------------

enum class Activation { sigmoid, tanh, relu, gelu };
std::string activation_name(Activation activation);  // "sigmoid", "tanh", "relu", "gelu"
// (6) H = f(Z) elementwise   [n × d]. GELU is the exact x Φ(x) (8), not the tanh form.
template <class T>
void activation_forward(Activation activation, const Matrix<T>& Z, Matrix<T>& H);
// (7) dZ = dH ⊙ f'(Z) elementwise   [n × d], from Z and H = f(Z) of the forward pass.
template <class T>
void activation_backward(Activation activation, const Matrix<T>& Z, const Matrix<T>& H,
                         const Matrix<T>& dH, Matrix<T>& dZ);

// ---- Layers --------------------------------------------------------------------------------

template <class T>
class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string name() const = 0;
  virtual const Matrix<T>& forward(const Matrix<T>& X, Mode mode) = 0;
  virtual const Matrix<T>& backward(const Matrix<T>& dY) = 0;
  virtual std::vector<Parameter<T>*> parameters() { return {}; }
};

// (1)-(2) Y = X W + 1 bᵀ; W [d_in × d_out], b [1 × d_out]. Products through 3.4's gemm with
// the layer's own packing buffers.
template <class T>
class Linear final : public Layer<T> {
 public:
  Linear(Index d_in, Index d_out, Init init, mlc::Rng& rng);  // (3)-(5), rows of W in order
  std::string name() const override { return "linear"; }
  const Matrix<T>& forward(const Matrix<T>& X, Mode mode) override;
  // (2) dW = Xᵀ dY, db = 1ᵀ dY, dX = dY Wᵀ (dX skipped, left empty, when !input_gradient).
  const Matrix<T>& backward(const Matrix<T>& dY) override;
  std::vector<Parameter<T>*> parameters() override { return {&W, &b}; }

  Parameter<T> W, b;
  bool input_gradient = true;  // false for a first layer: nobody needs dL/dX

 private:
  const Matrix<T>* X_ = nullptr;
  Matrix<T> Y_, dX_;
  autograd::GemmWorkspace<T> ws_;
};

// (6)-(7) an elementwise activation as a layer; caches Z and H.
template <class T>
class ActivationLayer final : public Layer<T> {
 public:
  explicit ActivationLayer(Activation activation) : activation(activation) {}
  std::string name() const override { return activation_name(activation); }
  const Matrix<T>& forward(const Matrix<T>& X, Mode mode) override;
  const Matrix<T>& backward(const Matrix<T>& dY) override;
  const Matrix<T>& output() const { return H_; }  // H of the last forward

  Activation activation;

 private:
  const Matrix<T>* Z_ = nullptr;
  Matrix<T> H_, dZ_;
};

// (9)-(13) batch normalisation of each feature over the n rows of the batch, with gain γ and
// shift β [1 × d]. Train mode: batch mean and biased variance (9)-(10), and the running
// statistics updated as an exponential moving average with the unbiased variance (13), as
// PyTorch does. Eval mode: the running statistics; the layer is then an affine map per
// feature and each row's output depends on that row alone. Train mode needs n ≥ 2.
template <class T>
class BatchNorm final : public Layer<T> {
 public:
  explicit BatchNorm(Index d, double momentum = 0.1, double eps = 1e-5);
  std::string name() const override { return "batchnorm"; }
  const Matrix<T>& forward(const Matrix<T>& X, Mode mode) override;
  // (12) train: dX = rstd ⊙ (dX̂ − mean_rows(dX̂) − X̂ ⊙ mean_rows(dX̂ ⊙ X̂)), dX̂ = dY ⊙ γ;
  // eval: dX = dY ⊙ γ ⊙ rstd_running. (11) dγ = 1ᵀ(dY ⊙ X̂), dβ = 1ᵀ dY.
  const Matrix<T>& backward(const Matrix<T>& dY) override;
  std::vector<Parameter<T>*> parameters() override { return {&gamma, &beta}; }

  Parameter<T> gamma, beta;             // [1 × d], γ = 1, β = 0 at the start, no weight decay
  Matrix<T> running_mean, running_var;  // [1 × d], 0 and 1 at the start
  T momentum, eps;

 private:
  Mode mode_ = Mode::train;
  Matrix<T> xhat_, rstd_, mean_, Y_, dX_, dxhat_;
};

// (14) layer normalisation: the same standardisation over the d features of each row, with
// gain and shift [1 × d]; identical in train and eval mode (no batch statistics).
template <class T>
class LayerNorm final : public Layer<T> {
 public:
  explicit LayerNorm(Index d, double eps = 1e-5);
  std::string name() const override { return "layernorm"; }
  const Matrix<T>& forward(const Matrix<T>& X, Mode mode) override;
  // (14) dX = rstd ⊙ (dX̂ − mean_cols(dX̂) − X̂ ⊙ mean_cols(dX̂ ⊙ X̂)) per row.
  const Matrix<T>& backward(const Matrix<T>& dY) override;
  std::vector<Parameter<T>*> parameters() override { return {&gamma, &beta}; }

  Parameter<T> gamma, beta;
  T eps;

 private:
  Matrix<T> xhat_, rstd_, Y_, dX_, dxhat_;  // rstd_ [n × 1]
};

// (15)-(16) inverted dropout: in train mode each entry is kept with probability 1 − p and
// scaled by 1 / (1 − p), so E[Y] = X; in eval mode the identity. The masks come from the
// layer's own stream (derive it for the purpose). p ∈ [0, 1).
template <class T>
class Dropout final : public Layer<T> {
 public:
  Dropout(double p, mlc::Rng rng);
  std::string name() const override { return "dropout"; }
  const Matrix<T>& forward(const Matrix<T>& X, Mode mode) override;
  const Matrix<T>& backward(const Matrix<T>& dY) override;  // (16) dX = dY ⊙ mask
  const Matrix<T>& mask() const { return mask_; }           // of the last train forward

  double p;

 private:
  mlc::Rng rng_;
  bool active_ = false;
  Matrix<T> mask_, Y_, dX_;
};

// ---- Losses ------------------------------------------------------------------------------

// (19) mean softmax cross-entropy of logits [n × k] and labels y_i ∈ {0 … k−1}, summed in
// double; sets dlogits = (softmax(Z) − Y) / n [n × k] when given.
template <class T>
double softmax_cross_entropy(const Matrix<T>& logits, const Eigen::VectorXi& y,
                             Matrix<T>* dlogits = nullptr);

// ---- Networks ----------------------------------------------------------------------------

enum class Norm { none, batch, layer };
std::string norm_name(Norm norm);  // "none", "batchnorm", "layernorm"

// sizes = {d_in, h_1, …, h_{L−1}, k}; every hidden layer is Linear → [norm] → activation →
// [dropout], the last layer Linear alone (the logits).
struct NetSpec {
  std::vector<Index> sizes;
  Activation activation = Activation::relu;
  Init init = Init::he;
  Norm norm = Norm::none;
  double dropout = 0.0;  // p of every hidden layer's dropout; 0: no dropout layers
};

template <class T>
class Network {
 public:
  std::vector<std::unique_ptr<Layer<T>>> layers;

  const Matrix<T>& forward(const Matrix<T>& X, Mode mode);  // the logits [n × k]
  const Matrix<T>& backward(const Matrix<T>& dlogits);      // fills every parameter gradient
  // (19) + backward: the mean cross-entropy of the batch (train mode); fills the gradients.
  double loss_and_backward(const Matrix<T>& X, const Eigen::VectorXi& y);
  std::vector<Parameter<T>*> parameters();
  std::vector<Linear<T>*> linears();  // in order, first to last
  Index num_parameters();

 private:
  Matrix<T> dlogits_;
};

// The network of spec; weights drawn layer by layer from rng, dropout streams derived from it.
template <class T>
Network<T> make_network(const NetSpec& spec, mlc::Rng& rng);

// ---- Measurements ------------------------------------------------------------------------

// One forward and backward pass of a batch (train mode), measured layer by layer, for the
// depth sweep: for each Linear layer l = 1 … L (index l − 1),
//   weight_grad_norm[l]   ‖∂L/∂W_l‖_F
//   output_grad_norm[l]   ‖∂L/∂Z_l‖_F, the gradient backpropagated into its output Z_l
//   output_rms[l]         the root mean square of Z_l, √(mean Z_l²) (its scale)
// All in double whatever T is (float would overflow in ‖·‖² for the large initialisation).
struct DepthProfile {
  std::vector<double> weight_grad_norm, output_grad_norm, output_rms;
  double loss = 0.0;
};
template <class T>
DepthProfile depth_profile(Network<T>& net, const Matrix<T>& X, const Eigen::VectorXi& y);

// The fraction of ReLU units (over all ReLU layers) whose output is 0 on every row of X:
// units that pass no gradient for any of these inputs ("dead"). Eval-mode forward; 0 when
// the network has no ReLU layer.
template <class T>
double dead_relu_fraction(Network<T>& net, const Matrix<T>& X);

struct Evaluation {
  double loss = 0.0, accuracy = 0.0;
};
// Eval-mode mean cross-entropy and accuracy over X in batches of batch_size rows.
template <class T>
Evaluation evaluate(Network<T>& net, const Matrix<T>& X, const Eigen::VectorXi& y,
                    Index batch_size = 1000);

// ---- Learning-rate schedules (17)-(18) -----------------------------------------------------

// constant: η_t = peak. step: η_t = peak · gamma^⌊t / step_every⌋. warmup_cosine: linear
// warm-up η_t = peak (t + 1) / warmup_steps for t < warmup_steps (17), then cosine decay from
// peak to final over the remaining steps (18), final after total_steps. t counts from 0.
struct Schedule {
  enum class Kind { constant, step, warmup_cosine };
  Kind kind = Kind::constant;
  double peak = 0.1;
  long warmup_steps = 0;
  long total_steps = 1;
  double final = 0.0;
  long step_every = 1;
  double gamma = 0.1;
};
double learning_rate(const Schedule& schedule, long step);

// ---- Training ----------------------------------------------------------------------------

enum class Optimizer { sgd, adamw };

struct TrainConfig {
  int epochs = 1;
  Index batch_size = 128;
  Optimizer optimizer = Optimizer::sgd;
  double momentum = 0.9;          // SGD's heavy ball (3.4's (20))
  double weight_decay = 0.0;      // SGD: coupled L2 (20); AdamW: decoupled (22)
  Schedule schedule;              // η_t for step t = 0, 1, …
  double divergence_loss = 50.0;  // a minibatch loss above this (or not finite) stops the run
  int evaluate_every = 1;         // epochs between validation evaluations (0: never)
};

struct TrainTrace {
  std::vector<double> step_loss;   // every minibatch's loss (train mode), in order
  std::vector<double> step_lr;     // η_t used at each step
  std::vector<double> epoch_loss;  // mean minibatch loss of each completed epoch
  std::vector<double> eval_epoch, eval_loss, eval_accuracy;  // validation, eval mode
  long steps = 0;
  bool diverged = false;
};

// Minibatch training of the mean cross-entropy (19): each epoch visits the rows of X in a
// fresh order drawn from rng, in batches of batch_size (the last one smaller), and steps every
// parameter with the configured optimizer at the scheduled learning rate.
template <class T>
TrainTrace train(Network<T>& net, const Matrix<T>& X, const Eigen::VectorXi& y,
                 const Matrix<T>& X_val, const Eigen::VectorXi& y_val, const TrainConfig& config,
                 mlc::Rng& rng);

// ---- Compiled once, for float and double --------------------------------------------------
#define TRAINING_DYNAMICS_EXTERN(T)         \
  extern template class Linear<T>;          \
  extern template class ActivationLayer<T>; \
  extern template class BatchNorm<T>;       \
  extern template class LayerNorm<T>;       \
  extern template class Dropout<T>;         \
  extern template class Network<T>;
TRAINING_DYNAMICS_EXTERN(float)
TRAINING_DYNAMICS_EXTERN(double)
#undef TRAINING_DYNAMICS_EXTERN

}  // namespace training_dynamics
