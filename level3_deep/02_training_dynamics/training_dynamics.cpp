// training_dynamics.cpp: the layers, the network, the measurements, the schedules and the
// training loop. Pure computation: no I/O. Equation numbers refer to NOTES.md; shapes are
// [rows × cols]; rows are samples.
#include "training_dynamics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace training_dynamics {

// ---- Initialisation ------------------------------------------------------------------------

std::string init_name(Init init) {
  switch (init) {
    case Init::small:
      return "small";
    case Init::xavier:
      return "xavier";
    case Init::he:
      return "he";
    case Init::large:
      return "large";
  }
  return "unknown";
}

double init_std(Init init, Index d_in, Index d_out) {
  mlc::require(d_in > 0 && d_out > 0, "init_std",
               fmt::format("layer sizes must be positive, got {} × {}", d_in, d_out));
  // BEGIN EXERCISE init_std: σ of each initialisation rule, equations (3) and (4)
  switch (init) {
    case Init::small:
      return 0.01;
    case Init::xavier:  // (3) Var = 2 / (d_in + d_out): forward and backward variance kept
      return std::sqrt(2.0 / static_cast<double>(d_in + d_out));
    case Init::he:  // (4) Var = 2 / d_in: ReLU halves the second moment, the 2 restores it
      return std::sqrt(2.0 / static_cast<double>(d_in));
    case Init::large:
      return 1.0;
  }
  return 0.0;
  // END EXERCISE
}

// ---- Activations ---------------------------------------------------------------------------

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::tanh:
      return "tanh";
    case Activation::relu:
      return "relu";
    case Activation::gelu:
      return "gelu";
  }
  return "unknown";
}

namespace {

// σ(z) = 1 / (1 + e^{−z}) without overflow: e^{−|z|} ≤ 1 on both branches.
template <class T>
T sigmoid(T z) {
  if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
  const T e = std::exp(z);
  return e / (T(1) + e);
}
// Φ(z), the standard normal CDF, and φ(z), its density.
template <class T>
T normal_cdf(T z) {
  return T(0.5) * std::erfc(-z * T(std::numbers::sqrt2 / 2));
}
template <class T>
T normal_pdf(T z) {
  return T(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2) * std::exp(T(-0.5) * z * z);
}

}  // namespace

template <class T>
void activation_forward(Activation activation, const Matrix<T>& Z, Matrix<T>& H) {
  H.resize(Z.rows(), Z.cols());
  // (6) H = f(Z)
  switch (activation) {
    case Activation::sigmoid:
      H = Z.unaryExpr([](T z) { return sigmoid(z); });
      break;
    case Activation::tanh:
      H = Z.array().tanh().matrix();
      break;
    case Activation::relu:
      H = Z.cwiseMax(T(0));
      break;
    case Activation::gelu:  // (8) GELU(z) = z Φ(z)
      H = Z.unaryExpr([](T z) { return z * normal_cdf(z); });
      break;
  }
}

template <class T>
void activation_backward(Activation activation, const Matrix<T>& Z, const Matrix<T>& H,
                         const Matrix<T>& dH, Matrix<T>& dZ) {
  mlc::require(Z.rows() == dH.rows() && Z.cols() == dH.cols() && H.rows() == Z.rows() &&
                   H.cols() == Z.cols(),
               "activation_backward",
               fmt::format("Z is {} × {}, H {} × {}, dH {} × {}", Z.rows(), Z.cols(), H.rows(),
                           H.cols(), dH.rows(), dH.cols()));
  dZ.resize(Z.rows(), Z.cols());
  // BEGIN EXERCISE activation_backward: dZ = dH ⊙ f'(Z) for each activation, equations (7)-(8)
  switch (activation) {
    case Activation::sigmoid:  // σ' = σ(1 − σ) = h(1 − h) ≤ 1/4
      dZ = (dH.array() * H.array() * (T(1) - H.array())).matrix();
      break;
    case Activation::tanh:  // tanh' = 1 − h²
      dZ = (dH.array() * (T(1) - H.array().square())).matrix();
      break;
    case Activation::relu:  // [z > 0]
      dZ = (Z.array() > T(0)).select(dH, T(0));
      break;
    case Activation::gelu:  // (8) GELU'(z) = Φ(z) + z φ(z)
      dZ = dH.binaryExpr(Z, [](T g, T z) { return g * (normal_cdf(z) + z * normal_pdf(z)); });
      break;
  }
  // END EXERCISE
}

// ---- Linear --------------------------------------------------------------------------------

namespace {

template <class T>
Matrix<T> draw_weights(Init init, Index d_in, Index d_out, mlc::Rng& rng) {
  const double sd = init_std(init, d_in, d_out);
  Matrix<T> W(d_in, d_out);
  for (Index i = 0; i < W.size(); ++i) W.data()[i] = static_cast<T>(sd * rng.normal());
  return W;
}

}  // namespace

template <class T>
Linear<T>::Linear(Index d_in, Index d_out, Init init, mlc::Rng& rng)
    : W("W", draw_weights<T>(init, d_in, d_out, rng)), b("b", Matrix<T>::Zero(1, d_out), false) {}

template <class T>
const Matrix<T>& Linear<T>::forward(const Matrix<T>& X, Mode) {
  if (X.cols() != W.value.rows()) {
    throw std::invalid_argument(fmt::format("Linear::forward: input has {} columns, W is {} × {}",
                                            X.cols(), W.value.rows(), W.value.cols()));
  }
  X_ = &X;
  Y_.resize(X.rows(), W.value.cols());
  // (1) Y = X W + 1 bᵀ   [n × d_out]
  autograd::gemm<T>(ws_, X, false, W.value, false, Y_, T(1), T(0));
  Y_.rowwise() += b.value.row(0);
  return Y_;
}

template <class T>
const Matrix<T>& Linear<T>::backward(const Matrix<T>& dY) {
  if (X_ == nullptr || dY.rows() != X_->rows() || dY.cols() != W.value.cols()) {
    throw std::invalid_argument(
        fmt::format("Linear::backward: dY is {} × {}; call forward first with the same batch",
                    dY.rows(), dY.cols()));
  }
  W.grad.resize(W.value.rows(), W.value.cols());
  b.grad.resize(1, W.value.cols());
  // (2) dW = Xᵀ dY [d_in × d_out], db = 1ᵀ dY [1 × d_out], dX = dY Wᵀ [n × d_in]
  autograd::gemm<T>(ws_, *X_, true, dY, false, W.grad, T(1), T(0));
  b.grad = dY.colwise().sum();
  if (input_gradient) {
    dX_.resize(dY.rows(), W.value.rows());
    autograd::gemm<T>(ws_, dY, false, W.value, true, dX_, T(1), T(0));
  }
  return dX_;
}

// ---- Activation layer ----------------------------------------------------------------------

template <class T>
const Matrix<T>& ActivationLayer<T>::forward(const Matrix<T>& X, Mode) {
  Z_ = &X;
  activation_forward(activation, X, H_);
  return H_;
}

template <class T>
const Matrix<T>& ActivationLayer<T>::backward(const Matrix<T>& dY) {
  mlc::require(Z_ != nullptr, "ActivationLayer::backward", "call forward first");
  activation_backward(activation, *Z_, H_, dY, dZ_);
  return dZ_;
}

// ---- Batch normalisation -------------------------------------------------------------------

template <class T>
BatchNorm<T>::BatchNorm(Index d, double momentum_, double eps_)
    : gamma("gamma", Matrix<T>::Ones(1, d), false),
      beta("beta", Matrix<T>::Zero(1, d), false),
      running_mean(Matrix<T>::Zero(1, d)),
      running_var(Matrix<T>::Ones(1, d)),
      momentum(static_cast<T>(momentum_)),
      eps(static_cast<T>(eps_)) {
  mlc::require(d > 0, "BatchNorm", "the width must be positive");
  mlc::require(momentum_ > 0.0 && momentum_ <= 1.0, "BatchNorm", "momentum must lie in (0, 1]");
  mlc::require(eps_ > 0.0, "BatchNorm", "eps must be positive");
}

template <class T>
const Matrix<T>& BatchNorm<T>::forward(const Matrix<T>& X, Mode mode) {
  const Index n = X.rows(), d = X.cols();
  if (d != gamma.value.cols()) {
    throw std::invalid_argument(fmt::format(
        "BatchNorm::forward: input has {} columns, the layer {}", d, gamma.value.cols()));
  }
  if (mode == Mode::train && n < 2) {
    throw std::invalid_argument(fmt::format(
        "BatchNorm::forward: train mode needs a batch of at least 2 rows, got {} (the variance of "
        "one row is 0); use eval mode for single examples",
        n));
  }
  mode_ = mode;
  xhat_.resize(n, d);
  Y_.resize(n, d);
  if (mode == Mode::train) {
    // BEGIN EXERCISE batchnorm_forward: batch statistics (9), normalisation and affine map (10),
    // running averages (13)
    mean_ = X.colwise().mean();  // (9) μ_j = (1/n) Σ_i x_ij   [1 × d]
    xhat_ = X.rowwise() - mean_.row(0);
    const Matrix<T> var = xhat_.cwiseAbs2().colwise().mean();  // (9) σ²_j, biased   [1 × d]
    rstd_ = (var.array() + eps).rsqrt().matrix();              // 1 / √(σ²_j + ε)
    xhat_.array().rowwise() *= rstd_.array().row(0);  // (10) x̂ = (x − μ) / √(σ² + ε)
    // (13) running averages; the variance unbiased, n / (n − 1), as PyTorch keeps it
    const T unbias = static_cast<T>(n) / static_cast<T>(n - 1);
    running_mean = (T(1) - momentum) * running_mean + momentum * mean_;
    running_var = (T(1) - momentum) * running_var + (momentum * unbias) * var;
    // END EXERCISE
  } else {
    rstd_ = (running_var.array() + eps).rsqrt().matrix();
    xhat_ = X.rowwise() - running_mean.row(0);
    xhat_.array().rowwise() *= rstd_.array().row(0);
  }
  // (10) y = γ ⊙ x̂ + β
  Y_.array() = xhat_.array().rowwise() * gamma.value.array().row(0);
  Y_.rowwise() += beta.value.row(0);
  return Y_;
}

template <class T>
const Matrix<T>& BatchNorm<T>::backward(const Matrix<T>& dY) {
  const Index n = xhat_.rows(), d = xhat_.cols();
  if (dY.rows() != n || dY.cols() != d) {
    throw std::invalid_argument(
        fmt::format("BatchNorm::backward: dY is {} × {}, the last forward {} × {}", dY.rows(),
                    dY.cols(), n, d));
  }
  // (11) dγ = Σ_i dy_i ⊙ x̂_i, dβ = Σ_i dy_i   [1 × d]
  gamma.grad = (dY.array() * xhat_.array()).colwise().sum().matrix();
  beta.grad = dY.colwise().sum();
  dxhat_.resize(n, d);
  dxhat_.array() = dY.array().rowwise() * gamma.value.array().row(0);  // dX̂ = dY ⊙ γ
  dX_.resize(n, d);
  if (mode_ == Mode::eval) {  // an affine map: dX = dX̂ ⊙ rstd_running
    dX_.array() = dxhat_.array().rowwise() * rstd_.array().row(0);
    return dX_;
  }
  // BEGIN EXERCISE batchnorm_backward: the input gradient through the batch statistics, equation
  // (12)
  const Matrix<T> mean_dxhat = dxhat_.colwise().mean();                                 // [1 × d]
  const Matrix<T> mean_dxhat_xhat = (dxhat_.array() * xhat_.array()).colwise().mean();  // [1 × d]
  dX_ = dxhat_.rowwise() - mean_dxhat.row(0);
  dX_.array() -= xhat_.array().rowwise() * mean_dxhat_xhat.array().row(0);
  dX_.array().rowwise() *= rstd_.array().row(0);
  // END EXERCISE
  return dX_;
}

// ---- Layer normalisation -------------------------------------------------------------------

template <class T>
LayerNorm<T>::LayerNorm(Index d, double eps_)
    : gamma("gamma", Matrix<T>::Ones(1, d), false),
      beta("beta", Matrix<T>::Zero(1, d), false),
      eps(static_cast<T>(eps_)) {
  mlc::require(d > 0, "LayerNorm", "the width must be positive");
  mlc::require(eps_ > 0.0, "LayerNorm", "eps must be positive");
}

template <class T>
const Matrix<T>& LayerNorm<T>::forward(const Matrix<T>& X, Mode) {
  const Index n = X.rows(), d = X.cols();
  if (d != gamma.value.cols()) {
    throw std::invalid_argument(fmt::format(
        "LayerNorm::forward: input has {} columns, the layer {}", d, gamma.value.cols()));
  }
  // (14) per row: μ_i = mean_j x_ij, σ²_i = mean_j (x_ij − μ_i)², x̂ = (x − μ_i) / √(σ²_i + ε)
  xhat_.resize(n, d);
  xhat_ = X.colwise() - X.rowwise().mean();
  rstd_ = (xhat_.cwiseAbs2().rowwise().mean().array() + eps).rsqrt().matrix();  // [n × 1]
  xhat_.array().colwise() *= rstd_.array().col(0);
  Y_.resize(n, d);
  Y_.array() = xhat_.array().rowwise() * gamma.value.array().row(0);
  Y_.rowwise() += beta.value.row(0);
  return Y_;
}

template <class T>
const Matrix<T>& LayerNorm<T>::backward(const Matrix<T>& dY) {
  const Index n = xhat_.rows(), d = xhat_.cols();
  if (dY.rows() != n || dY.cols() != d) {
    throw std::invalid_argument(
        fmt::format("LayerNorm::backward: dY is {} × {}, the last forward {} × {}", dY.rows(),
                    dY.cols(), n, d));
  }
  gamma.grad = (dY.array() * xhat_.array()).colwise().sum().matrix();
  beta.grad = dY.colwise().sum();
  dxhat_.resize(n, d);
  dxhat_.array() = dY.array().rowwise() * gamma.value.array().row(0);
  // BEGIN EXERCISE layernorm_backward: the input gradient through each row's statistics, equation
  // (14)
  dX_.resize(n, d);
  dX_ = dxhat_.colwise() - dxhat_.rowwise().mean();
  dX_.array() -= xhat_.array().colwise() * (dxhat_.array() * xhat_.array()).rowwise().mean().col(0);
  dX_.array().colwise() *= rstd_.array().col(0);
  // END EXERCISE
  return dX_;
}

// ---- Dropout -------------------------------------------------------------------------------

template <class T>
Dropout<T>::Dropout(double p_, mlc::Rng rng) : p(p_), rng_(std::move(rng)) {
  mlc::require(p_ >= 0.0 && p_ < 1.0, "Dropout", fmt::format("p = {} is outside [0, 1)", p_));
}

template <class T>
const Matrix<T>& Dropout<T>::forward(const Matrix<T>& X, Mode mode) {
  active_ = mode == Mode::train && p > 0.0;
  Y_.resize(X.rows(), X.cols());
  if (!active_) {  // eval: the identity (the scaling already happened in training)
    Y_ = X;
    return Y_;
  }
  mask_.resize(X.rows(), X.cols());
  // BEGIN EXERCISE dropout_forward: the inverted-dropout mask and output, equation (15)
  const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
  for (Index i = 0; i < mask_.size(); ++i) {
    mask_.data()[i] = rng_.uniform() < p ? T(0) : keep_scale;  // 0 w.p. p, else 1/(1 − p)
  }
  Y_ = X.cwiseProduct(mask_);
  // END EXERCISE
  return Y_;
}

template <class T>
const Matrix<T>& Dropout<T>::backward(const Matrix<T>& dY) {
  if (dY.rows() != Y_.rows() || dY.cols() != Y_.cols()) {
    throw std::invalid_argument(
        fmt::format("Dropout::backward: dY is {} × {}, the last forward {} × {}", dY.rows(),
                    dY.cols(), Y_.rows(), Y_.cols()));
  }
  // (16) dX = dY ⊙ mask (the identity in eval mode)
  if (active_) {
    dX_ = dY.cwiseProduct(mask_);
  } else {
    dX_ = dY;
  }
  return dX_;
}

// ---- Loss ----------------------------------------------------------------------------------

template <class T>
double softmax_cross_entropy(const Matrix<T>& logits, const Eigen::VectorXi& y,
                             Matrix<T>* dlogits) {
  const Index n = logits.rows(), k = logits.cols();
  mlc::require(n > 0 && k > 0, "softmax_cross_entropy", "logits must be non-empty");
  mlc::require(y.size() == n, "softmax_cross_entropy",
               fmt::format("{} labels for {} rows of logits", y.size(), n));
  mlc::require(y.minCoeff() >= 0 && y.maxCoeff() < k, "softmax_cross_entropy",
               fmt::format("labels must lie in 0..{}", k - 1));
  if (dlogits != nullptr) dlogits->resize(n, k);
  double total = 0.0;
  for (Index i = 0; i < n; ++i) {
    // (19) ℓ_i = logsumexp(z_i) − z_{i, y_i}, with the row maximum subtracted
    const T m = logits.row(i).maxCoeff();
    const double sum = (logits.row(i).array() - m).exp().template cast<double>().sum();
    total += static_cast<double>(m) + std::log(sum) - static_cast<double>(logits(i, y(i)));
    if (dlogits != nullptr) {
      auto g = dlogits->row(i);
      g = ((logits.row(i).array() - m).exp() / static_cast<T>(sum)).matrix();  // softmax
      g(y(i)) -= T(1);
      g /= static_cast<T>(n);  // (softmax − onehot) / n
    }
  }
  return total / static_cast<double>(n);
}

// ---- Networks ------------------------------------------------------------------------------

std::string norm_name(Norm norm) {
  switch (norm) {
    case Norm::none:
      return "none";
    case Norm::batch:
      return "batchnorm";
    case Norm::layer:
      return "layernorm";
  }
  return "unknown";
}

template <class T>
const Matrix<T>& Network<T>::forward(const Matrix<T>& X, Mode mode) {
  mlc::require(!layers.empty(), "Network::forward", "the network has no layers");
  const Matrix<T>* h = &X;
  for (auto& layer : layers) h = &layer->forward(*h, mode);
  return *h;
}

template <class T>
const Matrix<T>& Network<T>::backward(const Matrix<T>& dlogits) {
  const Matrix<T>* g = &dlogits;
  for (std::size_t l = layers.size(); l-- > 0;) g = &layers[l]->backward(*g);
  return *g;
}

template <class T>
double Network<T>::loss_and_backward(const Matrix<T>& X, const Eigen::VectorXi& y) {
  const double loss = softmax_cross_entropy<T>(forward(X, Mode::train), y, &dlogits_);
  backward(dlogits_);
  return loss;
}

template <class T>
std::vector<Parameter<T>*> Network<T>::parameters() {
  std::vector<Parameter<T>*> out;
  for (auto& layer : layers) {
    for (Parameter<T>* p : layer->parameters()) out.push_back(p);
  }
  return out;
}

template <class T>
std::vector<Linear<T>*> Network<T>::linears() {
  std::vector<Linear<T>*> out;
  for (auto& layer : layers) {
    if (auto* linear = dynamic_cast<Linear<T>*>(layer.get())) out.push_back(linear);
  }
  return out;
}

template <class T>
Index Network<T>::num_parameters() {
  Index count = 0;
  for (Parameter<T>* p : parameters()) count += p->size();
  return count;
}

template <class T>
Network<T> make_network(const NetSpec& spec, mlc::Rng& rng) {
  mlc::require(spec.sizes.size() >= 2, "make_network",
               fmt::format("sizes needs at least {{d_in, k}}, got {} entries", spec.sizes.size()));
  for (Index s : spec.sizes) {
    mlc::require(s > 0, "make_network", fmt::format("every size must be positive, got {}", s));
  }
  mlc::require(spec.dropout >= 0.0 && spec.dropout < 1.0, "make_network",
               fmt::format("dropout p = {} is outside [0, 1)", spec.dropout));
  Network<T> net;
  const std::size_t L = spec.sizes.size() - 1;
  for (std::size_t l = 0; l < L; ++l) {
    auto linear = std::make_unique<Linear<T>>(spec.sizes[l], spec.sizes[l + 1], spec.init, rng);
    linear->input_gradient = l > 0;
    net.layers.push_back(std::move(linear));
    if (l + 1 == L) break;  // the logits: no normalisation, activation or dropout
    if (spec.norm == Norm::batch)
      net.layers.push_back(std::make_unique<BatchNorm<T>>(spec.sizes[l + 1]));
    if (spec.norm == Norm::layer)
      net.layers.push_back(std::make_unique<LayerNorm<T>>(spec.sizes[l + 1]));
    net.layers.push_back(std::make_unique<ActivationLayer<T>>(spec.activation));
    if (spec.dropout > 0.0) {
      net.layers.push_back(
          std::make_unique<Dropout<T>>(spec.dropout, rng.derive(static_cast<std::uint64_t>(l))));
    }
  }
  return net;
}

// ---- Measurements --------------------------------------------------------------------------

namespace {

template <class T>
double frobenius(const Matrix<T>& M) {
  return M.template cast<double>().norm();
}

}  // namespace

template <class T>
DepthProfile depth_profile(Network<T>& net, const Matrix<T>& X, const Eigen::VectorXi& y) {
  DepthProfile profile;
  const Matrix<T>* h = &X;
  for (auto& layer : net.layers) {
    h = &layer->forward(*h, Mode::train);
    if (dynamic_cast<Linear<T>*>(layer.get()) != nullptr) {  // Z_l: its root mean square
      profile.output_rms.push_back(frobenius(*h) / std::sqrt(static_cast<double>(h->size())));
    }
  }
  Matrix<T> dlogits;
  profile.loss = softmax_cross_entropy<T>(*h, y, &dlogits);
  const Matrix<T>* g = &dlogits;
  for (std::size_t l = net.layers.size(); l-- > 0;) {
    auto* linear = dynamic_cast<Linear<T>*>(net.layers[l].get());
    if (linear != nullptr) profile.output_grad_norm.push_back(frobenius(*g));  // ‖∂L/∂Z_l‖
    g = &net.layers[l]->backward(*g);
    if (linear != nullptr) profile.weight_grad_norm.push_back(frobenius(linear->W.grad));
  }
  std::reverse(profile.output_grad_norm.begin(), profile.output_grad_norm.end());
  std::reverse(profile.weight_grad_norm.begin(), profile.weight_grad_norm.end());
  return profile;
}

template <class T>
double dead_relu_fraction(Network<T>& net, const Matrix<T>& X) {
  mlc::require(X.rows() > 0, "dead_relu_fraction", "X has no rows");
  Index units = 0, dead = 0;
  const Matrix<T>* h = &X;
  for (auto& layer : net.layers) {
    h = &layer->forward(*h, Mode::eval);
    const auto* act = dynamic_cast<const ActivationLayer<T>*>(layer.get());
    if (act == nullptr || act->activation != Activation::relu) continue;
    // A unit is dead on X when its output is 0 on every row: no input of X moves it.
    const auto alive = (h->array() > T(0)).colwise().any();
    units += h->cols();
    dead += h->cols() - alive.count();
  }
  return units == 0 ? 0.0 : static_cast<double>(dead) / static_cast<double>(units);
}

template <class T>
Evaluation evaluate(Network<T>& net, const Matrix<T>& X, const Eigen::VectorXi& y,
                    Index batch_size) {
  mlc::require(X.rows() > 0 && y.size() == X.rows(), "evaluate",
               fmt::format("{} labels for {} rows", y.size(), X.rows()));
  mlc::require(batch_size > 0, "evaluate", "batch_size must be positive");
  double loss = 0.0;
  Index correct = 0;
  for (Index start = 0; start < X.rows(); start += batch_size) {
    const Index m = std::min(batch_size, X.rows() - start);
    const Matrix<T> Xb = X.middleRows(start, m);
    const Eigen::VectorXi yb = y.segment(start, m);
    const Matrix<T>& logits = net.forward(Xb, Mode::eval);
    loss += softmax_cross_entropy<T>(logits, yb) * static_cast<double>(m);
    for (Index i = 0; i < m; ++i) {
      Index arg = 0;
      logits.row(i).maxCoeff(&arg);
      correct += arg == yb(i) ? 1 : 0;
    }
  }
  const double n = static_cast<double>(X.rows());
  return {loss / n, static_cast<double>(correct) / n};
}

// ---- Schedules -----------------------------------------------------------------------------

double learning_rate(const Schedule& s, long step) {
  mlc::require(step >= 0, "learning_rate", fmt::format("step {} is negative", step));
  mlc::require(s.peak > 0.0, "learning_rate", "the peak learning rate must be positive");
  switch (s.kind) {
    case Schedule::Kind::constant:
      return s.peak;
    case Schedule::Kind::step:
      mlc::require(s.step_every > 0, "learning_rate", "step_every must be positive");
      return s.peak * std::pow(s.gamma, static_cast<double>(step / s.step_every));
    case Schedule::Kind::warmup_cosine: {
      mlc::require(s.warmup_steps >= 0 && s.total_steps > s.warmup_steps, "learning_rate",
                   fmt::format("need 0 ≤ warmup_steps < total_steps, got {} and {}", s.warmup_steps,
                               s.total_steps));
      // BEGIN EXERCISE warmup_cosine: linear warm-up (17), then cosine decay to the final rate (18)
      if (step < s.warmup_steps) {  // (17) η_t = η_peak (t + 1) / T_w
        return s.peak * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
      }
      if (step >= s.total_steps) return s.final;
      // (18) η_t = η_min + (η_peak − η_min) (1 + cos(π τ)) / 2, τ = (t − T_w) / (T − T_w)
      const double tau = static_cast<double>(step - s.warmup_steps) /
                         static_cast<double>(s.total_steps - s.warmup_steps);
      return s.final + (s.peak - s.final) * 0.5 * (1.0 + std::cos(std::numbers::pi * tau));
      // END EXERCISE
    }
  }
  return s.peak;
}

// ---- Training ------------------------------------------------------------------------------

template <class T>
TrainTrace train(Network<T>& net, const Matrix<T>& X, const Eigen::VectorXi& y,
                 const Matrix<T>& X_val, const Eigen::VectorXi& y_val, const TrainConfig& c,
                 mlc::Rng& rng) {
  const Index n = X.rows();
  mlc::require(n > 0 && y.size() == n, "train", fmt::format("{} labels for {} rows", y.size(), n));
  mlc::require(c.epochs >= 0 && c.batch_size > 0, "train",
               "epochs must be non-negative and batch_size positive");
  mlc::require(c.evaluate_every == 0 || (X_val.rows() > 0 && y_val.size() == X_val.rows()), "train",
               "evaluation needs a non-empty validation set with one label per row");
  const std::vector<Parameter<T>*> params = net.parameters();
  autograd::Sgd<T> sgd{.learning_rate = T(0),
                       .momentum = static_cast<T>(c.momentum),
                       .weight_decay = static_cast<T>(c.weight_decay)};
  autograd::Adam<T> adam({.weight_decay = static_cast<T>(c.weight_decay)});
  TrainTrace trace;
  Matrix<T> Xb(std::min(c.batch_size, n), X.cols());
  Eigen::VectorXi yb(Xb.rows());
  for (int epoch = 1; epoch <= c.epochs && !trace.diverged; ++epoch) {
    const std::vector<Index> order = rng.permutation(n);
    double sum = 0.0;
    long batches = 0;
    for (Index start = 0; start < n; start += c.batch_size) {
      const Index m = std::min(c.batch_size, n - start);
      Xb.resize(m, X.cols());  // the same size but for a last, smaller batch
      yb.resize(m);
      for (Index i = 0; i < m; ++i) {  // gather the minibatch: contiguous row copies
        const Index r = order[static_cast<std::size_t>(start + i)];
        Xb.row(i) = X.row(r);
        yb(i) = y(r);
      }
      const double lr = learning_rate(c.schedule, trace.steps);
      const double loss = net.loss_and_backward(Xb, yb);
      trace.step_loss.push_back(loss);
      trace.step_lr.push_back(lr);
      ++trace.steps;
      if (!std::isfinite(loss) || loss > c.divergence_loss) {
        trace.diverged = true;
        break;
      }
      if (c.optimizer == Optimizer::sgd) {
        sgd.learning_rate = static_cast<T>(lr);
        sgd.step(params);
      } else {
        adam.config().learning_rate = static_cast<T>(lr);
        adam.step(params);
      }
      sum += loss;
      ++batches;
    }
    if (trace.diverged) break;
    trace.epoch_loss.push_back(sum / static_cast<double>(batches));
    if (c.evaluate_every > 0 && (epoch % c.evaluate_every == 0 || epoch == c.epochs)) {
      const Evaluation e = evaluate(net, X_val, y_val);
      trace.eval_epoch.push_back(epoch);
      trace.eval_loss.push_back(e.loss);
      trace.eval_accuracy.push_back(e.accuracy);
    }
  }
  return trace;
}

// ---- Instantiations ------------------------------------------------------------------------

#define TRAINING_DYNAMICS_INSTANTIATE(T)                                                          \
  template void activation_forward<T>(Activation, const Matrix<T>&, Matrix<T>&);                  \
  template void activation_backward<T>(Activation, const Matrix<T>&, const Matrix<T>&,            \
                                       const Matrix<T>&, Matrix<T>&);                             \
  template class Linear<T>;                                                                       \
  template class ActivationLayer<T>;                                                              \
  template class BatchNorm<T>;                                                                    \
  template class LayerNorm<T>;                                                                    \
  template class Dropout<T>;                                                                      \
  template class Network<T>;                                                                      \
  template double softmax_cross_entropy<T>(const Matrix<T>&, const Eigen::VectorXi&, Matrix<T>*); \
  template Network<T> make_network<T>(const NetSpec&, mlc::Rng&);                                 \
  template DepthProfile depth_profile<T>(Network<T>&, const Matrix<T>&, const Eigen::VectorXi&);  \
  template double dead_relu_fraction<T>(Network<T>&, const Matrix<T>&);                           \
  template Evaluation evaluate<T>(Network<T>&, const Matrix<T>&, const Eigen::VectorXi&, Index);  \
  template TrainTrace train<T>(Network<T>&, const Matrix<T>&, const Eigen::VectorXi&,             \
                               const Matrix<T>&, const Eigen::VectorXi&, const TrainConfig&,      \
                               mlc::Rng&);

TRAINING_DYNAMICS_INSTANTIATE(float)
TRAINING_DYNAMICS_INSTANTIATE(double)

}  // namespace training_dynamics
