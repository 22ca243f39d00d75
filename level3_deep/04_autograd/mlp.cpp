// mlp.cpp: 3.1's network on the engine and its training loop (mlp.hpp).
#include "mlp.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mlc/error.hpp"
#include "mlc/timer.hpp"

namespace autograd {

template <class T>
ActivationFn<T> activation_fn(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return relu<T>;
    case Activation::tanh:
      return tanh<T>;
    case Activation::sigmoid:
      return sigmoid<T>;
    case Activation::gelu:
      return gelu<T>;
    case Activation::identity:
      return nullptr;
  }
  return nullptr;
}

template <class T>
std::vector<Parameter<T>*> Mlp<T>::parameters() {
  std::vector<Parameter<T>*> out;
  for (std::size_t l = 0; l < weights.size(); ++l) {
    out.push_back(&weights[l]);
    out.push_back(&biases[l]);
  }
  return out;
}

template <class T>
Index Mlp<T>::num_parameters() const {
  Index total = 0;
  for (std::size_t l = 0; l < weights.size(); ++l) total += weights[l].size() + biases[l].size();
  return total;
}

template <class T>
Var<T> Mlp<T>::logits(Tape<T>& tape, const Var<T>& x) {
  Var<T> h = x;
  for (std::size_t l = 0; l < weights.size(); ++l) {
    h = add(matmul(h, tape.param(weights[l])), tape.param(biases[l]));  // Z_l = H W_l + 1 b_l
    if (l + 1 < weights.size() && hidden != nullptr) h = hidden(h);     // H_l = f(Z_l)
  }
  return h;
}

template <class T>
Mlp<T> make_mlp(const std::vector<Index>& sizes, Activation hidden, mlc::Rng& rng) {
  mlc::require(sizes.size() >= 2, "make_mlp", "needs at least an input and an output size");
  for (Index s : sizes) mlc::require(s > 0, "make_mlp", "every layer size must be positive");
  Mlp<T> net;
  net.hidden = activation_fn<T>(hidden);
  const bool he = hidden == Activation::relu || hidden == Activation::gelu;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const Index d_in = sizes[l], d_out = sizes[l + 1];
    const double sd =
        std::sqrt(he ? 2.0 / static_cast<double>(d_in) : 2.0 / static_cast<double>(d_in + d_out));
    Matrix<double> W(d_in, d_out);
    for (Index i = 0; i < W.size(); ++i) W.data()[i] = rng.normal(0.0, sd);  // row-major order
    net.weights.emplace_back("W" + std::to_string(l + 1), W.cast<T>());
    net.biases.emplace_back("b" + std::to_string(l + 1), Matrix<T>::Zero(1, d_out), false);
  }
  return net;
}

template <class To, class From>
Mlp<To> cast_mlp(const Mlp<From>& net) {
  Mlp<To> out;
  for (std::size_t l = 0; l < net.weights.size(); ++l) {
    out.weights.emplace_back(net.weights[l].name, net.weights[l].value.template cast<To>(),
                             net.weights[l].decay);
    out.biases.emplace_back(net.biases[l].name, net.biases[l].value.template cast<To>(),
                            net.biases[l].decay);
  }
  // The activation of the source network, found among the engine's own.
  for (Activation a : {Activation::relu, Activation::tanh, Activation::sigmoid, Activation::gelu}) {
    if (activation_fn<From>(a) == net.hidden) out.hidden = activation_fn<To>(a);
  }
  return out;
}

template <class T>
Mlp<T> from_mlp_backprop(const mlp_backprop::Mlp& net) {
  Mlp<T> out;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const mlp_backprop::Linear& layer = net.layers[l];
    out.weights.emplace_back("W" + std::to_string(l + 1), to_matrix<T>(layer.W));
    out.biases.emplace_back("b" + std::to_string(l + 1), to_matrix<T>(layer.b.transpose()), false);
  }
  switch (net.hidden) {
    case mlp_backprop::Activation::relu:
      out.hidden = relu<T>;
      break;
    case mlp_backprop::Activation::tanh:
      out.hidden = tanh<T>;
      break;
    case mlp_backprop::Activation::sigmoid:
      out.hidden = sigmoid<T>;
      break;
    case mlp_backprop::Activation::identity:
      out.hidden = nullptr;
      break;
  }
  return out;
}

template <class T>
Eigen::VectorXd flatten_gradients(const Mlp<T>& net) {
  Index total = 0;
  for (std::size_t l = 0; l < net.weights.size(); ++l)
    total += net.weights[l].size() + net.biases[l].size();
  Eigen::VectorXd flat(total);
  Index at = 0;
  for (std::size_t l = 0; l < net.weights.size(); ++l) {
    const Eigen::MatrixXd dW =
        net.weights[l].grad.template cast<double>();  // column-major, as 3.1 flattens
    flat.segment(at, dW.size()) = Eigen::Map<const Eigen::VectorXd>(dW.data(), dW.size());
    at += dW.size();
    const Index nb = net.biases[l].size();
    flat.segment(at, nb) = net.biases[l].grad.row(0).transpose().template cast<double>();
    at += nb;
  }
  return flat;
}

template <class T>
double loss_and_gradients(Mlp<T>& net, Tape<T>& tape, const Eigen::MatrixXd& X,
                          const Eigen::VectorXi& y) {
  tape.reset();
  const Var<T> loss = cross_entropy(net.logits(tape, tape.input(X)), y);
  zero_grad(net.parameters());
  tape.backward(loss);
  return static_cast<double>(loss.item());
}

template <class T>
Evaluation evaluate(Mlp<T>& net, const Eigen::MatrixXd& X, const Eigen::VectorXi& y) {
  mlc::require(X.rows() == y.size() && X.rows() > 0, "evaluate",
               "X and y need the same, positive, number of rows");
  Tape<T> tape;
  const Index chunk = 1000;
  double loss = 0.0;
  Index correct = 0;
  for (Index begin = 0; begin < X.rows(); begin += chunk) {
    const Index n = std::min(chunk, X.rows() - begin);
    tape.reset();
    const Var<T> z = net.logits(tape, tape.input(X.middleRows(begin, n)));
    const Var<T> l = cross_entropy(z, y.segment(begin, n));
    loss += static_cast<double>(l.item()) * static_cast<double>(n);
    for (Index i = 0; i < n; ++i) {
      Index arg = 0;
      z.value().row(i).maxCoeff(&arg);
      correct += arg == y(begin + i) ? 1 : 0;
    }
  }
  return {loss / static_cast<double>(X.rows()),
          static_cast<double>(correct) / static_cast<double>(X.rows())};
}

template <class T>
TrainTrace train_classifier(Mlp<T>& net, const Eigen::MatrixXd& X, const Eigen::VectorXi& y,
                            const Eigen::MatrixXd& X_eval, const Eigen::VectorXi& y_eval,
                            const TrainConfig& config, std::uint64_t (*allocation_counter)()) {
  mlc::require(X.rows() == y.size(), "train_classifier", "X and y need the same number of rows");
  mlc::require(config.batch_size >= 1 && config.batch_size <= X.rows(), "train_classifier",
               "batch_size must be in 1 ... number of rows");
  mlc::require(config.epochs >= 1, "train_classifier", "epochs must be at least 1");
  const Index batch = config.batch_size, steps_per_epoch = X.rows() / batch;
  TrainTrace trace;
  trace.step_loss.reserve(static_cast<std::size_t>(config.epochs * steps_per_epoch));
  std::vector<Parameter<T>*> params = net.parameters();
  const std::span<Parameter<T>* const> param_span(params);
  Sgd<T> sgd{static_cast<T>(config.learning_rate), static_cast<T>(config.momentum), T(0)};
  Adam<T> adam({.learning_rate = static_cast<T>(config.learning_rate)});
  Tape<T> tape;
  const Matrix<T> X_rows = X.cast<T>();  // the engine's layout, once: minibatch rows are contiguous
  mlc::Rng order_rng = mlc::Rng(config.seed).derive(0x0bde);
  std::vector<Index> order(static_cast<std::size_t>(X.rows()));
  std::iota(order.begin(), order.end(), Index(0));
  Eigen::VectorXi labels(batch);
  long allocations = 0;
  for (int epoch = 0; epoch < config.epochs && !trace.diverged; ++epoch) {
    order_rng.shuffle(order);  // in place: no allocation
    double epoch_total = 0.0;
    for (Index s = 0; s < steps_per_epoch; ++s) {
      const std::uint64_t before = allocation_counter ? allocation_counter() : 0;
      mlc::Timer timer;
      // ---- one training step: nothing below allocates once step 1 has sized the buffers
      const std::span<const Index> rows(order.data() + s * batch, static_cast<std::size_t>(batch));
      for (Index i = 0; i < batch; ++i) labels(i) = y(rows[static_cast<std::size_t>(i)]);
      tape.reset();
      const Var<T> loss = cross_entropy(net.logits(tape, tape.input_rows(X_rows, rows)), labels);
      if (config.zero_grad) zero_grad(param_span);
      tape.backward(loss);
      if (config.optimizer == Optimizer::adam) {
        adam.step(param_span);
      } else {
        sgd.step(param_span);
      }
      // ----
      trace.seconds_in_steps += timer.seconds();
      if (allocation_counter && trace.steps > 0)
        allocations += static_cast<long>(allocation_counter() - before);
      const double value = static_cast<double>(loss.item());
      trace.step_loss.push_back(value);  // reserved: no allocation
      ++trace.steps;
      epoch_total += value;
      if (!std::isfinite(value)) {
        trace.diverged = true;
        break;
      }
    }
    trace.epoch_loss.push_back(epoch_total / static_cast<double>(steps_per_epoch));
    if (config.evaluate_every > 0 &&
        ((epoch + 1) % config.evaluate_every == 0 || epoch + 1 == config.epochs) &&
        !trace.diverged) {
      const Evaluation e = evaluate(net, X_eval, y_eval);
      trace.eval_epoch.push_back(epoch + 1);
      trace.eval_loss.push_back(e.loss);
      trace.eval_accuracy.push_back(e.accuracy);
    }
  }
  if (allocation_counter) trace.steady_state_allocations = allocations;
  return trace;
}

#define AUTOGRAD_INSTANTIATE_MLP(T)                                                                \
  template ActivationFn<T> activation_fn<T>(Activation);                                           \
  template struct Mlp<T>;                                                                          \
  template Mlp<T> make_mlp<T>(const std::vector<Index>&, Activation, mlc::Rng&);                   \
  template Mlp<T> from_mlp_backprop<T>(const mlp_backprop::Mlp&);                                  \
  template Eigen::VectorXd flatten_gradients<T>(const Mlp<T>&);                                    \
  template double loss_and_gradients<T>(Mlp<T>&, Tape<T>&, const Eigen::MatrixXd&,                 \
                                        const Eigen::VectorXi&);                                   \
  template Evaluation evaluate<T>(Mlp<T>&, const Eigen::MatrixXd&, const Eigen::VectorXi&);        \
  template TrainTrace train_classifier<T>(Mlp<T>&, const Eigen::MatrixXd&, const Eigen::VectorXi&, \
                                          const Eigen::MatrixXd&, const Eigen::VectorXi&,          \
                                          const TrainConfig&, std::uint64_t (*)());

AUTOGRAD_INSTANTIATE_MLP(float)
AUTOGRAD_INSTANTIATE_MLP(double)
#undef AUTOGRAD_INSTANTIATE_MLP
template Mlp<float> cast_mlp<float, double>(const Mlp<double>&);
template Mlp<double> cast_mlp<double, float>(const Mlp<float>&);
template Mlp<double> cast_mlp<double, double>(const Mlp<double>&);

}  // namespace autograd
