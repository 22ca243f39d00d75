// mlp_backprop.cpp: the layers, the losses, the network and its training loop. Pure
// computation: no I/O. Equation numbers refer to NOTES.md; shapes are [rows × cols].
#include "mlp_backprop.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace mlp_backprop {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using Eigen::VectorXi;

// ---- Activations ---------------------------------------------------------------------------

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::identity:
      return "identity";
  }
  return "unknown";
}

namespace {

// σ(z) = 1 / (1 + e^{−z}) without overflow: e^{−|z|} ≤ 1 on both branches.
double sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

}  // namespace

MatrixXd activation_forward(Activation activation, const MatrixXd& Z) {
  // (2) H = f(Z)
  switch (activation) {
    case Activation::relu:
      return Z.cwiseMax(0.0);
    case Activation::tanh:
      return Z.array().tanh().matrix();
    case Activation::sigmoid:
      return Z.unaryExpr([](double z) { return sigmoid(z); });
    case Activation::identity:
      return Z;
  }
  return Z;
}

MatrixXd activation_backward(Activation activation, const MatrixXd& H, const MatrixXd& dH) {
  mlc::require(
      H.rows() == dH.rows() && H.cols() == dH.cols(), "activation_backward",
      fmt::format("H is {} × {} but dH is {} × {}", H.rows(), H.cols(), dH.rows(), dH.cols()));
  // BEGIN EXERCISE activation_backward: dZ = dH ⊙ f'(Z) from the output H = f(Z), equation (5)
  switch (activation) {
    case Activation::relu:  // f'(z) = 1 where z > 0 (equivalently h > 0), 0 otherwise
      return (H.array() > 0.0).select(dH, 0.0);
    case Activation::tanh:  // f'(z) = 1 − tanh²(z) = 1 − h²
      return (dH.array() * (1.0 - H.array().square())).matrix();
    case Activation::sigmoid:  // f'(z) = σ(z)(1 − σ(z)) = h(1 − h)
      return (dH.array() * H.array() * (1.0 - H.array())).matrix();
    case Activation::identity:
      return dH;
  }
  return dH;
  // END EXERCISE
}

// ---- Linear ----------------------------------------------------------------------------------

Linear::Linear(Index d_in, Index d_out)
    : W(MatrixXd::Zero(d_in, d_out)),
      b(VectorXd::Zero(d_out)),
      dW(MatrixXd::Zero(d_in, d_out)),
      db(VectorXd::Zero(d_out)) {
  mlc::require(d_in > 0 && d_out > 0, "Linear",
               fmt::format("sizes must be positive, got {} × {}", d_in, d_out));
}

MatrixXd Linear::forward(const MatrixXd& input) {
  mlc::require(
      input.cols() == W.rows(), "Linear::forward",
      fmt::format("input has {} columns, the layer expects d_in = {}", input.cols(), W.rows()));
  mlc::require(b.size() == W.cols(), "Linear::forward",
               fmt::format("b has {} entries, W has {} columns", b.size(), W.cols()));
  X = input;
  // BEGIN EXERCISE linear_forward: the affine map Y = X W + 1 bᵀ, equation (1)
  MatrixXd Y = X * W;            // [n × d_out]
  Y.rowwise() += b.transpose();  // + 1 bᵀ
  return Y;
  // END EXERCISE
}

MatrixXd Linear::backward(const MatrixXd& dY) {
  mlc::require(dY.rows() == X.rows() && dY.cols() == W.cols(), "Linear::backward",
               fmt::format("dY is {} × {}, expected n × d_out = {} × {} (the last forward)",
                           dY.rows(), dY.cols(), X.rows(), W.cols()));
  // BEGIN EXERCISE linear_backward: the gradients of W, b and X, equation (4)
  dW.noalias() = X.transpose() * dY;    // Xᵀ dY          [d_in × d_out]
  db = dY.colwise().sum().transpose();  // dYᵀ 1          [d_out]
  return dY * W.transpose();            // dX = dY Wᵀ     [n × d_in]
  // END EXERCISE
}

// ---- Losses ------------------------------------------------------------------------------------

MatrixXd softmax(const MatrixXd& logits) {
  MatrixXd P = logits.colwise() - logits.rowwise().maxCoeff();  // z − max z ≤ 0
  P = P.array().exp().matrix();
  P.array().colwise() /= P.rowwise().sum().array();
  return P;
}

double softmax_cross_entropy(const MatrixXd& logits, const VectorXi& y, MatrixXd* dlogits) {
  const Index n = logits.rows(), k = logits.cols();
  mlc::require(n > 0 && k >= 1, "softmax_cross_entropy", "logits must be non-empty");
  mlc::require(y.size() == n, "softmax_cross_entropy",
               fmt::format("y has {} labels, logits have {} rows", y.size(), n));
  mlc::require(y.minCoeff() >= 0 && y.maxCoeff() < k, "softmax_cross_entropy",
               fmt::format("labels must lie in 0..{}", k - 1));
  // BEGIN EXERCISE softmax_cross_entropy: the mean loss (3) and its gradient (6)
  double total = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double m = logits.row(i).maxCoeff();
    const double lse = m + std::log((logits.row(i).array() - m).exp().sum());  // logsumexp
    total += lse - logits(i, y(i));
  }
  if (dlogits != nullptr) {
    *dlogits = softmax(logits);                                // P        [n × k]
    for (Index i = 0; i < n; ++i) (*dlogits)(i, y(i)) -= 1.0;  // P − Y
    *dlogits /= static_cast<double>(n);                        // (P − Y) / n
  }
  return total / static_cast<double>(n);
  // END EXERCISE
}

double mean_squared_error(const MatrixXd& prediction, const MatrixXd& target,
                          MatrixXd* dprediction) {
  mlc::require(prediction.rows() == target.rows() && prediction.cols() == target.cols(),
               "mean_squared_error",
               fmt::format("prediction is {} × {}, target {} × {}", prediction.rows(),
                           prediction.cols(), target.rows(), target.cols()));
  mlc::require(prediction.rows() > 0, "mean_squared_error", "empty batch");
  const double n = static_cast<double>(prediction.rows());
  const MatrixXd residual = prediction - target;                  // Ŷ − Y   [n × k]
  if (dprediction != nullptr) *dprediction = 2.0 * residual / n;  // (7)
  return residual.squaredNorm() / n;
}

// ---- The network ---------------------------------------------------------------------------

Index Mlp::input_dim() const {
  return layers.empty() ? 0 : layers.front().d_in();
}
Index Mlp::output_dim() const {
  return layers.empty() ? 0 : layers.back().d_out();
}

Index Mlp::num_parameters() const {
  Index count = 0;
  for (const Linear& layer : layers) count += layer.W.size() + layer.b.size();
  return count;
}

MatrixXd Mlp::forward(const MatrixXd& X) {
  mlc::require(!layers.empty(), "Mlp::forward", "the network has no layers");
  const std::size_t L = layers.size();
  activations.resize(L - 1);
  // (8) H_0 = X; Z_l = H_{l−1} W_l + 1 b_lᵀ; H_l = f(Z_l) for the hidden layers
  for (std::size_t l = 0; l + 1 < L; ++l) {
    activations[l] = activation_forward(hidden, layers[l].forward(l == 0 ? X : activations[l - 1]));
  }
  return layers.back().forward(L == 1 ? X : activations[L - 2]);  // Z_L, the logits   [n × k]
}

MatrixXd Mlp::backward(const MatrixXd& doutput) {
  mlc::require(!layers.empty(), "Mlp::backward", "the network has no layers");
  mlc::require(activations.size() + 1 == layers.size(), "Mlp::backward",
               "call forward before backward");
  // BEGIN EXERCISE network_backward: backpropagation through the layers, equation (9)
  MatrixXd dH = layers.back().backward(doutput);  // dL/dH_{L−1}
  for (std::size_t l = layers.size() - 1; l-- > 0;) {
    const MatrixXd dZ = activation_backward(hidden, activations[l], dH);  // (5)
    dH = layers[l].backward(dZ);                                          // (4)
  }
  return dH;  // dL/dX
  // END EXERCISE
}

double Mlp::loss_and_backward(const MatrixXd& X, const VectorXi& y) {
  MatrixXd dlogits;
  const double loss = softmax_cross_entropy(forward(X), y, &dlogits);
  backward(dlogits);
  return loss;
}

double Mlp::squared_error_and_backward(const MatrixXd& X, const MatrixXd& Y) {
  MatrixXd dprediction;
  const double loss = mean_squared_error(forward(X), Y, &dprediction);
  backward(dprediction);
  return loss;
}

VectorXi Mlp::predict(const MatrixXd& X) {
  const MatrixXd logits = forward(X);
  VectorXi labels(logits.rows());
  for (Index i = 0; i < logits.rows(); ++i) logits.row(i).maxCoeff(&labels(i));
  return labels;
}

Mlp make_mlp(const std::vector<Index>& sizes, Activation hidden, mlc::Rng& rng) {
  mlc::require(sizes.size() >= 2, "make_mlp",
               fmt::format("sizes needs at least {{d_in, k}}, got {} entries", sizes.size()));
  for (const Index s : sizes) {
    mlc::require(s > 0, "make_mlp", fmt::format("every size must be positive, got {}", s));
  }
  Mlp net;
  net.hidden = hidden;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const Index d_in = sizes[l], d_out = sizes[l + 1];
    // (10) He for relu, Glorot (normal) otherwise
    const double variance = hidden == Activation::relu ? 2.0 / static_cast<double>(d_in)
                                                       : 2.0 / static_cast<double>(d_in + d_out);
    const double sd = std::sqrt(variance);
    Linear layer(d_in, d_out);
    for (Index i = 0; i < d_in; ++i) {
      for (Index j = 0; j < d_out; ++j) layer.W(i, j) = sd * rng.normal();
    }
    net.layers.push_back(std::move(layer));
  }
  return net;
}

Mlp relu_interpolant(const VectorXd& knots, const VectorXd& values) {
  const Index m = knots.size();
  mlc::require(m >= 2 && values.size() == m, "relu_interpolant",
               fmt::format("need m ≥ 2 knots and as many values, got {} and {}", m, values.size()));
  for (Index j = 1; j < m; ++j) {
    mlc::require(knots(j) > knots(j - 1), "relu_interpolant", "knots must be strictly increasing");
  }
  Mlp net;
  net.hidden = Activation::relu;
  net.layers.emplace_back(1, m - 1);
  net.layers.emplace_back(m - 1, 1);
  // BEGIN EXERCISE relu_interpolant: hidden unit j is relu(x − t_j), its output weight the change
  // of slope, equation (13)
  Linear& hidden = net.layers[0];
  Linear& output = net.layers[1];
  double previous_slope = 0.0;
  for (Index j = 0; j + 1 < m; ++j) {
    const double slope = (values(j + 1) - values(j)) / (knots(j + 1) - knots(j));  // s_j
    hidden.W(0, j) = 1.0;
    hidden.b(j) = -knots(j);
    output.W(j, 0) = slope - previous_slope;  // c_j
    previous_slope = slope;
  }
  output.b(0) = values(0);
  // END EXERCISE
  return net;
}

// ---- Parameters as one vector ----------------------------------------------------------------

namespace {

template <class Get>
VectorXd flatten(const Mlp& net, Get get) {
  VectorXd out(net.num_parameters());
  Index offset = 0;
  for (const Linear& layer : net.layers) {
    const auto [W, b] = get(layer);
    out.segment(offset, W.size()) = Eigen::Map<const VectorXd>(W.data(), W.size());
    offset += W.size();
    out.segment(offset, b.size()) = b;
    offset += b.size();
  }
  return out;
}

}  // namespace

VectorXd flatten_parameters(const Mlp& net) {
  return flatten(
      net, [](const Linear& l) { return std::pair<const MatrixXd&, const VectorXd&>(l.W, l.b); });
}

VectorXd flatten_gradients(const Mlp& net) {
  for (const Linear& layer : net.layers) {
    mlc::require(layer.dW.rows() == layer.W.rows() && layer.dW.cols() == layer.W.cols() &&
                     layer.db.size() == layer.b.size(),
                 "flatten_gradients", "a layer's gradients do not match its parameters");
  }
  return flatten(
      net, [](const Linear& l) { return std::pair<const MatrixXd&, const VectorXd&>(l.dW, l.db); });
}

void unflatten_parameters(Mlp& net, const VectorXd& theta) {
  mlc::require(theta.size() == net.num_parameters(), "unflatten_parameters",
               fmt::format("theta has {} entries, the network {} parameters", theta.size(),
                           net.num_parameters()));
  Index offset = 0;
  for (Linear& layer : net.layers) {
    layer.W = Eigen::Map<const MatrixXd>(theta.data() + offset, layer.W.rows(), layer.W.cols());
    offset += layer.W.size();
    layer.b = theta.segment(offset, layer.b.size());
    offset += layer.b.size();
  }
}

// ---- Training ----------------------------------------------------------------------------------

void sgd_step(Mlp& net, double learning_rate) {
  // BEGIN EXERCISE sgd_step: one gradient-descent step on every layer, equation (11)
  for (Linear& layer : net.layers) {
    layer.W -= learning_rate * layer.dW;
    layer.b -= learning_rate * layer.db;
  }
  // END EXERCISE
}

namespace {

void check_options(const char* fn, const Mlp& net, const MatrixXd& X, Index targets,
                   const TrainOptions& o) {
  mlc::require(!net.layers.empty(), fn, "the network has no layers");
  mlc::require(X.rows() > 0, fn, "X has no rows");
  mlc::require(X.cols() == net.input_dim(), fn,
               fmt::format("X has {} columns, the network expects {}", X.cols(), net.input_dim()));
  mlc::require(targets == X.rows(), fn,
               fmt::format("{} targets for {} rows of X", targets, X.rows()));
  mlc::require(o.epochs >= 0, fn, "epochs must be non-negative");
  mlc::require(o.learning_rate > 0.0, fn, "learning_rate must be positive");
  mlc::require(o.momentum >= 0.0 && o.momentum < 1.0, fn, "momentum must lie in [0, 1)");
  mlc::require(o.batch_size >= 0, fn, "batch_size must be non-negative");
}

// The loop (11) shared by both losses. batch_loss(rows) runs forward and backward on the
// given rows (all rows when empty) and returns the batch loss.
template <class BatchLoss>
TrainTrace train_loop(Mlp& net, Index n, const TrainOptions& o, mlc::Rng& rng,
                      BatchLoss batch_loss) {
  TrainTrace trace;
  const bool full_batch = o.batch_size == 0 || o.batch_size >= n;
  // Heavy-ball velocities, one per parameter block, allocated once.
  std::vector<MatrixXd> vW;
  std::vector<VectorXd> vb;
  for (const Linear& layer : net.layers) {
    vW.push_back(MatrixXd::Zero(layer.W.rows(), layer.W.cols()));
    vb.push_back(VectorXd::Zero(layer.b.size()));
  }
  std::vector<Index> rows;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    double sum = 0.0;
    int batches = 0;
    std::vector<Index> order;
    if (!full_batch) order = rng.permutation(n);
    for (Index start = 0; start < n; start += full_batch ? n : o.batch_size) {
      if (full_batch) {
        rows.clear();
      } else {
        rows.assign(order.begin() + start, order.begin() + std::min(n, start + o.batch_size));
      }
      sum += batch_loss(rows);
      ++batches;
      if (o.momentum == 0.0) {
        sgd_step(net, o.learning_rate);
      } else {
        // (11b) v ← β v − η ∇L; θ ← θ + v
        for (std::size_t l = 0; l < net.layers.size(); ++l) {
          vW[l] = o.momentum * vW[l] - o.learning_rate * net.layers[l].dW;
          vb[l] = o.momentum * vb[l] - o.learning_rate * net.layers[l].db;
          net.layers[l].W += vW[l];
          net.layers[l].b += vb[l];
        }
      }
    }
    const double loss = sum / batches;
    trace.loss.push_back(loss);
    trace.epochs = epoch + 1;
    if (!std::isfinite(loss) || loss > o.divergence_loss) {
      trace.diverged = true;
      break;
    }
  }
  return trace;
}

MatrixXd take_rows(const MatrixXd& A, const std::vector<Index>& rows) {
  return A(rows, Eigen::all);
}
VectorXi take_rows(const VectorXi& a, const std::vector<Index>& rows) {
  return a(rows);
}

}  // namespace

TrainTrace train_classifier(Mlp& net, const MatrixXd& X, const VectorXi& y,
                            const TrainOptions& options, mlc::Rng& rng) {
  check_options("train_classifier", net, X, y.size(), options);
  return train_loop(net, X.rows(), options, rng, [&](const std::vector<Index>& rows) {
    if (rows.empty()) return net.loss_and_backward(X, y);
    return net.loss_and_backward(take_rows(X, rows), take_rows(y, rows));
  });
}

TrainTrace train_regressor(Mlp& net, const MatrixXd& X, const MatrixXd& Y,
                           const TrainOptions& options, mlc::Rng& rng) {
  check_options("train_regressor", net, X, Y.rows(), options);
  mlc::require(Y.cols() == net.output_dim(), "train_regressor",
               fmt::format("Y has {} columns, the network {} outputs", Y.cols(), net.output_dim()));
  return train_loop(net, X.rows(), options, rng, [&](const std::vector<Index>& rows) {
    if (rows.empty()) return net.squared_error_and_backward(X, Y);
    return net.squared_error_and_backward(take_rows(X, rows), take_rows(Y, rows));
  });
}

// ---- Measurements ------------------------------------------------------------------------------

double accuracy(Mlp& net, const MatrixXd& X, const VectorXi& y) {
  mlc::require(y.size() == X.rows() && X.rows() > 0, "accuracy",
               fmt::format("{} labels for {} rows", y.size(), X.rows()));
  return (net.predict(X).array() == y.array()).cast<double>().mean();
}

double unit_spread(const Linear& layer) {
  // (12) max_j ‖(W(:, j), b_j) − (W(:, 0), b_0)‖
  double spread = 0.0;
  for (Index j = 1; j < layer.W.cols(); ++j) {
    const double d2 = (layer.W.col(j) - layer.W.col(0)).squaredNorm() +
                      (layer.b(j) - layer.b(0)) * (layer.b(j) - layer.b(0));
    spread = std::max(spread, std::sqrt(d2));
  }
  return spread;
}

}  // namespace mlp_backprop
