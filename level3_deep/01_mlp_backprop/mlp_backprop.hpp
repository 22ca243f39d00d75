// mlp_backprop.hpp: a multi-layer perceptron written as forward/backward pairs, one per
// layer, and trained by gradient descent; the library that later level-3 lessons reuse.
//
// Sources:
//   Rumelhart, Hinton & Williams, "Learning representations by back-propagating errors",
//     Nature 323 (1986): backpropagation.
//   Goodfellow, Bengio & Courville, Deep Learning (2016), §6.5 (back-propagation), §8.4
//     (initialization and symmetry breaking).
//   Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural
//     networks", AISTATS (2010): variance 2 / (d_in + d_out).
//   He, Zhang, Ren & Sun, "Delving deep into rectifiers", ICCV (2015): variance 2 / d_in.
// Equation numbers (n) refer to NOTES.md.
//
// Symbols: n = batch size (rows), d_in / d_out = a layer's input / output width, k = number
// of classes (or outputs). Rows are samples everywhere: X is n × d_in, a layer's output
// n × d_out. Gradients are of the batch loss, which is a mean over the n rows.
//
// Every layer is a pair: forward(input) caches what backward needs and returns the output;
// backward(d output) returns d input and, for a layer with parameters, sets their gradients
// (it overwrites, it does not accumulate). A backward call belongs to the forward call just
// before it.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace mlp_backprop {

// ---- Activations (2) ---------------------------------------------------------------------

// Elementwise nonlinearities of the hidden layers. The derivative of relu at exactly 0 is
// taken as 0 (a subgradient; the kink has probability zero under random weights).
enum class Activation { relu, tanh, sigmoid, identity };

// "relu", "tanh", "sigmoid", "identity".
std::string activation_name(Activation activation);

// (2) H = f(Z) elementwise   [n × d]
Eigen::MatrixXd activation_forward(Activation activation, const Eigen::MatrixXd& Z);
// (5) dZ = dH ⊙ f'(Z) elementwise   [n × d]. f' is computed from the forward output
// H = f(Z), which every activation here allows (relu: [h > 0]; tanh: 1 − h²; sigmoid:
// h(1 − h); identity: 1), so backward needs no second evaluation of f.
Eigen::MatrixXd activation_backward(Activation activation, const Eigen::MatrixXd& H,
                                    const Eigen::MatrixXd& dH);

// ---- The affine layer (1), (4) -----------------------------------------------------------

struct Linear {
  Eigen::MatrixXd W;   // d_in × d_out weights
  Eigen::VectorXd b;   // d_out biases
  Eigen::MatrixXd dW;  // d_in × d_out, set by backward
  Eigen::VectorXd db;  // d_out, set by backward
  Eigen::MatrixXd X;   // n × d_in, the input cached by forward

  Linear() = default;
  // A d_in × d_out layer with zero weights, biases and gradients.
  Linear(Eigen::Index d_in, Eigen::Index d_out);

  Eigen::Index d_in() const { return W.rows(); }
  Eigen::Index d_out() const { return W.cols(); }

  // (1) Y = X W + 1 bᵀ   [n × d_out]; caches X. Throws std::invalid_argument when X does
  // not have d_in columns. O(n d_in d_out).
  Eigen::MatrixXd forward(const Eigen::MatrixXd& X);
  // (4) dW = Xᵀ dY [d_in × d_out], db = dYᵀ 1 [d_out]; returns dX = dY Wᵀ [n × d_in].
  // dY must be n × d_out for the n of the last forward. O(n d_in d_out).
  Eigen::MatrixXd backward(const Eigen::MatrixXd& dY);
};

// ---- Losses (3), (6), (7) ----------------------------------------------------------------

// Row-wise softmax with the row maximum subtracted (no overflow)   [n × k]
Eigen::MatrixXd softmax(const Eigen::MatrixXd& logits);

// (3) Mean softmax cross-entropy L = (1/n) Σ_i [logsumexp(z_i) − z_{i, y_i}] of logits
// (n × k) and labels y_i ∈ {0, ..., k−1}. When dlogits is given, sets it to
// (6) dL/dZ = (softmax(Z) − Y) / n   [n × k], Y one-hot.
double softmax_cross_entropy(const Eigen::MatrixXd& logits, const Eigen::VectorXi& y,
                             Eigen::MatrixXd* dlogits = nullptr);

// (7) Mean squared error L = (1/n) Σ_i ‖ŷ_i − y_i‖² of predictions and targets (both
// n × k). When dprediction is given, sets it to dL/dŶ = 2 (Ŷ − Y) / n   [n × k].
double mean_squared_error(const Eigen::MatrixXd& prediction, const Eigen::MatrixXd& target,
                          Eigen::MatrixXd* dprediction = nullptr);

// ---- The network (8) ---------------------------------------------------------------------

// layers[0], ..., layers[L−1] with the hidden activation after every layer but the last:
//   H_0 = X,  Z_l = H_{l−1} W_l + 1 b_lᵀ,  H_l = f(Z_l) (l < L),  output = Z_L.
struct Mlp {
  std::vector<Linear> layers;
  Activation hidden = Activation::relu;
  // Cache set by forward: activations[l] = H_l = f(Z_l) of hidden layer l (L − 1 entries).
  std::vector<Eigen::MatrixXd> activations;

  Eigen::Index input_dim() const;
  Eigen::Index output_dim() const;
  Eigen::Index num_parameters() const;

  // (8) the logits (or regression outputs) Z_L   [n × k]. Caches every layer's input.
  Eigen::MatrixXd forward(const Eigen::MatrixXd& X);
  // (9) Backpropagation of dL/dZ_L (n × k, for the batch of the last forward) through
  // every layer: fills every layer's dW, db and returns dL/dX   [n × d_in].
  Eigen::MatrixXd backward(const Eigen::MatrixXd& doutput);
  // (3) + (9): mean softmax cross-entropy of the batch; fills every layer's dW, db; returns
  // the loss. y has n labels in {0, ..., k−1}.
  double loss_and_backward(const Eigen::MatrixXd& X, const Eigen::VectorXi& y);
  // (7) + (9): the same for the mean squared error against targets Y   [n × k].
  double squared_error_and_backward(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y);
  // argmax of each row of the logits   [n]
  Eigen::VectorXi predict(const Eigen::MatrixXd& X);
};

// A network of sizes = {d_in, h_1, ..., h_{L−1}, k} (at least two entries, all positive).
// Initialization (10): every weight W_l(i, j) ~ N(0, σ_l²), with σ_l² = 2 / d_in (He et al.
// 2015) when hidden is relu, and σ_l² = 2 / (d_in + d_out) (Glorot & Bengio 2010, normal
// form) for tanh, sigmoid and identity; the same rule for the output layer; biases 0.
// Draws the weights layer by layer, each row-major, from rng.
Mlp make_mlp(const std::vector<Eigen::Index>& sizes, Activation hidden, mlc::Rng& rng);

// (13) The constructive proof of universal approximation in 1-D: the relu network
// {1, m − 1, 1} whose output is the piecewise-linear interpolant of (knots_j, values_j),
// j = 0..m−1, on [knots_0, knots_{m−1}] (constant values_0 to the left of knots_0, the last
// slope continued to the right):
//   f(x) = values_0 + Σ_j c_j relu(x − knots_j),  c_0 = s_0,  c_j = s_j − s_{j−1},
// with s_j the slope on [knots_j, knots_{j+1}]. knots strictly increasing, m ≥ 2.
Mlp relu_interpolant(const Eigen::VectorXd& knots, const Eigen::VectorXd& values);

// ---- Parameters as one vector (gradient checks, comparisons) -----------------------------

// All parameters in a fixed order: for each layer, W in column-major order, then b.
Eigen::VectorXd flatten_parameters(const Mlp& net);
// The gradients dW, db in the same order (after a backward).
Eigen::VectorXd flatten_gradients(const Mlp& net);
// Sets the parameters from a vector of num_parameters() entries in that order.
void unflatten_parameters(Mlp& net, const Eigen::VectorXd& theta);

// ---- Training (11) -----------------------------------------------------------------------

struct TrainOptions {
  int epochs = 100;
  double learning_rate = 0.1;
  double momentum = 0.0;        // heavy ball β in [0, 1): 0 is plain (stochastic) GD
  Eigen::Index batch_size = 0;  // 0 or ≥ n: full-batch gradient descent (draws nothing)
  // A run stops as diverged when an epoch's loss is not finite or exceeds this value.
  double divergence_loss = 1e8;
};

struct TrainTrace {
  std::vector<double> loss;  // per epoch: the mean of its batch losses (exact loss before
                             // the step for full batch), in order
  int epochs = 0;            // epochs completed
  bool diverged = false;
};

// (11) One gradient step θ ← θ − η ∇L on every layer, from the dW, db of the last backward.
void sgd_step(Mlp& net, double learning_rate);

// Mini-batch SGD with heavy-ball momentum (11) on the mean softmax cross-entropy of
// (X [n × d_in], y [n]). Each epoch visits the rows in a fresh random order drawn from rng
// (full batch: in order, rng unused). Cost per epoch O(n × Σ_l d_in,l d_out,l).
TrainTrace train_classifier(Mlp& net, const Eigen::MatrixXd& X, const Eigen::VectorXi& y,
                            const TrainOptions& options, mlc::Rng& rng);
// The same on the mean squared error against targets Y   [n × k].
TrainTrace train_regressor(Mlp& net, const Eigen::MatrixXd& X, const Eigen::MatrixXd& Y,
                           const TrainOptions& options, mlc::Rng& rng);

// ---- Measurements ------------------------------------------------------------------------

// The fraction of rows whose argmax logit equals the label.
double accuracy(Mlp& net, const Eigen::MatrixXd& X, const Eigen::VectorXi& y);

// (12) How different the units of a layer are: max_j ‖θ_j − θ_0‖ over its output units j,
// where θ_j = (W(:, j), b_j) are unit j's incoming weights and bias. Exactly 0 when every
// unit computes the same function (symmetric initialization); 0 for a single unit.
double unit_spread(const Linear& layer);

}  // namespace mlp_backprop
