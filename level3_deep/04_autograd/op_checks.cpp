// op_checks.cpp: the gradient check of every op (op_checks.hpp) and the wrong sigmoid.
#include "op_checks.hpp"

#include <cmath>
#include <type_traits>
#include <utility>

#include "mlc/error.hpp"
#include "mlc/gradcheck.hpp"

namespace autograd {

namespace {

// The scalar type of the tape a generic builder receives.
template <class TapeT>
using ScalarOf = typename std::remove_reference_t<TapeT>::Scalar;

template <class F>
OpCase make_case(std::string name, std::string equation, std::vector<Matrix<double>> inputs, F f) {
  return {std::move(name), std::move(equation), std::move(inputs), OpBuilder<double>(f),
          OpBuilder<float>(f)};
}

Matrix<double> normal(mlc::Rng& rng, Index rows, Index cols, double sd = 1.0) {
  Matrix<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal(0.0, sd);
  return m;
}
Matrix<double> uniform(mlc::Rng& rng, Index rows, Index cols, double lo, double hi) {
  Matrix<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform(lo, hi);
  return m;
}

template <class T>
void sigmoid_missing_factor_backward(const Var<T>& y) {
  // WRONG on purpose: the derivative of σ is y (1 − y); this adds dY ⊙ y.
  y.parent(0).grad().array() += y.grad().array() * y.value().array();
}

// The loss L = Σ R ⊙ y of the op at inputs θ, in precision T.
template <class T>
double projected_loss(const OpBuilder<T>& build, const std::vector<Matrix<double>>& inputs,
                      const Matrix<double>& R) {
  std::vector<Parameter<T>> params;
  params.reserve(inputs.size());
  for (const auto& m : inputs) params.emplace_back("theta", m.cast<T>());
  Tape<T> tape;
  std::vector<Var<T>> vars;
  for (auto& p : params) vars.push_back(tape.param(p));
  const Var<T> y = build(tape, vars);
  return (R.array() * y.value().template cast<double>().array()).sum();
}

template <class T>
OpCheck check(const OpBuilder<T>& build, const std::vector<Matrix<double>>& inputs,
              std::uint64_t seed, double h) {
  // The analytic gradients of L = Σ R ⊙ y: one backward pass seeded with R.
  std::vector<Parameter<T>> params;
  params.reserve(inputs.size());
  for (const auto& m : inputs) params.emplace_back("theta", m.cast<T>());
  Tape<T> tape;
  std::vector<Var<T>> vars;
  for (auto& p : params) vars.push_back(tape.param(p));
  const Var<T> y = build(tape, vars);
  mlc::Rng rng(seed);
  const Matrix<double> R = normal(rng, y.rows(), y.cols());
  tape.backward(y, R.cast<T>());
  OpCheck result;
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    const Eigen::MatrixXd theta = inputs[j];
    const Eigen::MatrixXd analytic = params[j].grad.template cast<double>();
    const mlc::MatrixFunction loss = [&](const Eigen::MatrixXd& W) {
      std::vector<Matrix<double>> moved = inputs;
      moved[j] = W;
      return projected_loss<T>(build, moved, R);
    };
    const mlc::GradCheckResult g = mlc::gradcheck(loss, analytic, theta, h);
    result.entries += theta.size();
    if (g.relative_error >= result.relative_error) {
      result.relative_error = g.relative_error;
      result.error_norm = g.error_norm;
    }
  }
  return result;
}

}  // namespace

template <class T>
Var<T> attention_block(const Var<T>& x, const Var<T>& w_qkv, const Var<T>& w_o, const Var<T>& gain,
                       const Var<T>& bias, Index batch, Index heads) {
  const Index width = x.cols();
  mlc::require(heads >= 1 && heads <= 16 && width % heads == 0, "attention_block",
               "heads must be in 1 ... 16 and divide the width");
  const Index head_dim = width / heads;
  const Var<T> qkv = matmul(layer_norm(x, gain, bias), w_qkv);  // [(B·T) × 3C]
  Var<T> outputs[16];                                           // no allocation per step
  const T inverse_sqrt_d = static_cast<T>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  for (Index h = 0; h < heads; ++h) {
    const Var<T> q = slice_cols(qkv, h * head_dim, head_dim);
    const Var<T> k = slice_cols(qkv, width + h * head_dim, head_dim);
    const Var<T> v = slice_cols(qkv, 2 * width + h * head_dim, head_dim);
    const Var<T> scores = scale(batched_matmul_nt(q, k, batch), inverse_sqrt_d);  // [(B·T) × T]
    outputs[h] = batched_matmul(softmax(causal_mask(scores, batch)), v, batch);   // [(B·T) × d_h]
  }
  const Var<T> heads_out =
      heads == 1 ? outputs[0] : concat_cols(std::span<const Var<T>>(outputs, heads));
  return add(x, matmul(heads_out, w_o));
}
template Var<float> attention_block<float>(const Var<float>&, const Var<float>&, const Var<float>&,
                                           const Var<float>&, const Var<float>&, Index, Index);
template Var<double> attention_block<double>(const Var<double>&, const Var<double>&,
                                             const Var<double>&, const Var<double>&,
                                             const Var<double>&, Index, Index);

template <class T>
Var<T> sigmoid_missing_factor(const Var<T>& x) {
  Var<T> y = x.tape().record("sigmoid_missing_factor", {x}, x.rows(), x.cols(),
                             sigmoid_missing_factor_backward<T>);
  y.mutable_value().array() = T(1) / (T(1) + (-x.value().array()).exp());
  return y;
}
template Var<float> sigmoid_missing_factor<float>(const Var<float>&);
template Var<double> sigmoid_missing_factor<double>(const Var<double>&);

OpCase sigmoid_missing_factor_case(mlc::Rng& rng) {
  return make_case("sigmoid, backward missing (1 − y)", "(6)", {normal(rng, 4, 5)},
                   [](auto&, auto x) { return sigmoid_missing_factor(x[0]); });
}

OpCheck check_op(const OpCase& op, std::uint64_t seed, double h) {
  return check(op.build_double, op.inputs, seed, h);
}
OpCheck check_op_float(const OpCase& op, std::uint64_t seed, double h) {
  return check(op.build_float, op.inputs, seed, h);
}

std::vector<OpCase> op_cases(mlc::Rng& rng) {
  std::vector<OpCase> c;
  // (4), (18) products
  c.push_back(make_case("matmul", "(4)", {normal(rng, 4, 3), normal(rng, 3, 5)},
                        [](auto&, auto x) { return matmul(x[0], x[1]); }));
  c.push_back(make_case("matmul_nt", "(4)", {normal(rng, 4, 3), normal(rng, 5, 3)},
                        [](auto&, auto x) { return matmul_nt(x[0], x[1]); }));
  c.push_back(make_case("batched_matmul", "(18)", {normal(rng, 2 * 3, 4), normal(rng, 2 * 4, 2)},
                        [](auto&, auto x) { return batched_matmul(x[0], x[1], 2); }));
  c.push_back(make_case("batched_matmul_nt", "(18)", {normal(rng, 2 * 3, 4), normal(rng, 2 * 5, 4)},
                        [](auto&, auto x) { return batched_matmul_nt(x[0], x[1], 2); }));
  // (5) broadcasting arithmetic
  c.push_back(make_case("add", "(5)", {normal(rng, 4, 5), normal(rng, 4, 5)},
                        [](auto&, auto x) { return add(x[0], x[1]); }));
  c.push_back(make_case("add (row broadcast: bias)", "(5)", {normal(rng, 4, 5), normal(rng, 1, 5)},
                        [](auto&, auto x) { return add(x[0], x[1]); }));
  c.push_back(make_case("add (column broadcast)", "(5)", {normal(rng, 4, 5), normal(rng, 4, 1)},
                        [](auto&, auto x) { return add(x[0], x[1]); }));
  c.push_back(make_case("add (scalar broadcast)", "(5)", {normal(rng, 4, 5), normal(rng, 1, 1)},
                        [](auto&, auto x) { return add(x[0], x[1]); }));
  c.push_back(make_case("sub (row broadcast)", "(5)", {normal(rng, 4, 5), normal(rng, 1, 5)},
                        [](auto&, auto x) { return sub(x[0], x[1]); }));
  c.push_back(make_case("mul", "(5)", {normal(rng, 4, 5), normal(rng, 4, 5)},
                        [](auto&, auto x) { return mul(x[0], x[1]); }));
  c.push_back(make_case("mul (row broadcast)", "(5)", {normal(rng, 4, 5), normal(rng, 1, 5)},
                        [](auto&, auto x) { return mul(x[0], x[1]); }));
  c.push_back(make_case("mul (column broadcast)", "(5)", {normal(rng, 4, 5), normal(rng, 4, 1)},
                        [](auto&, auto x) { return mul(x[0], x[1]); }));
  c.push_back(make_case("scale", "(5)", {normal(rng, 4, 5)}, [](auto& tape, auto x) {
    using T = ScalarOf<decltype(tape)>;
    return scale(x[0], T(-0.7));
  }));
  // (6), (7) elementwise
  c.push_back(
      make_case("relu", "(6)", {normal(rng, 4, 5)}, [](auto&, auto x) { return relu(x[0]); }));
  c.push_back(
      make_case("tanh", "(6)", {normal(rng, 4, 5)}, [](auto&, auto x) { return tanh(x[0]); }));
  c.push_back(make_case("sigmoid", "(6)", {normal(rng, 4, 5)},
                        [](auto&, auto x) { return sigmoid(x[0]); }));
  c.push_back(make_case("gelu (tanh form)", "(7)", {normal(rng, 4, 5, 2.0)},
                        [](auto&, auto x) { return gelu(x[0]); }));
  c.push_back(
      make_case("exp", "(6)", {normal(rng, 4, 5)}, [](auto&, auto x) { return exp(x[0]); }));
  c.push_back(make_case("log", "(6)", {uniform(rng, 4, 5, 0.5, 2.0)},
                        [](auto&, auto x) { return log(x[0]); }));
  // (8) reductions
  c.push_back(
      make_case("sum", "(8)", {normal(rng, 4, 5)}, [](auto&, auto x) { return sum(x[0]); }));
  c.push_back(
      make_case("mean", "(8)", {normal(rng, 4, 5)}, [](auto&, auto x) { return mean(x[0]); }));
  c.push_back(make_case("row_sum", "(8)", {normal(rng, 4, 5)},
                        [](auto&, auto x) { return row_sum(x[0]); }));
  c.push_back(make_case("row_mean", "(8)", {normal(rng, 4, 5)},
                        [](auto&, auto x) { return row_mean(x[0]); }));
  // (9)-(11) softmax family
  c.push_back(make_case("softmax", "(9)", {normal(rng, 4, 5, 2.0)},
                        [](auto&, auto x) { return softmax(x[0]); }));
  c.push_back(make_case("log_softmax", "(10)", {normal(rng, 4, 5, 2.0)},
                        [](auto&, auto x) { return log_softmax(x[0]); }));
  {
    Eigen::VectorXi labels(4);
    labels << 2, 0, 4, 2;
    c.push_back(make_case("cross_entropy", "(11)", {normal(rng, 4, 5, 2.0)},
                          [labels](auto&, auto x) { return cross_entropy(x[0], labels); }));
  }
  // (12)-(13) layer norm: x, gain, bias
  c.push_back(make_case("layer_norm", "(12)-(13)",
                        {normal(rng, 4, 5, 2.0), uniform(rng, 1, 5, 0.5, 1.5), normal(rng, 1, 5)},
                        [](auto&, auto x) { return layer_norm(x[0], x[1], x[2]); }));
  // (14) embedding, with a repeated index (the scatter-add must add, not overwrite)
  {
    Eigen::VectorXi indices(5);
    indices << 3, 0, 3, 5, 1;
    c.push_back(make_case("embedding", "(14)", {normal(rng, 6, 4)},
                          [indices](auto&, auto x) { return embedding(x[0], indices); }));
  }
  // (15) slicing and concatenation
  c.push_back(make_case("slice_cols", "(15)", {normal(rng, 4, 6)},
                        [](auto&, auto x) { return slice_cols(x[0], 1, 3); }));
  c.push_back(make_case("slice_rows", "(15)", {normal(rng, 6, 4)},
                        [](auto&, auto x) { return slice_rows(x[0], 2, 3); }));
  c.push_back(make_case("concat_cols", "(15)", {normal(rng, 4, 2), normal(rng, 4, 3)},
                        [](auto&, auto x) { return concat_cols(x); }));
  c.push_back(make_case("concat_rows", "(15)", {normal(rng, 2, 4), normal(rng, 3, 4)},
                        [](auto&, auto x) { return concat_rows(x); }));
  // (16) masking
  {
    Eigen::MatrixXd mask(4, 5);
    mlc::Rng mask_rng = rng.derive(16);
    for (Index i = 0; i < mask.size(); ++i) mask.data()[i] = mask_rng.bernoulli(0.3) ? 1.0 : 0.0;
    c.push_back(make_case("masked_fill", "(16)", {normal(rng, 4, 5)}, [mask](auto& tape, auto x) {
      using T = ScalarOf<decltype(tape)>;
      return masked_fill(x[0], tape.input(mask), T(-3));
    }));
  }
  c.push_back(make_case("causal_mask, then softmax", "(16), (9)", {normal(rng, 2 * 4, 4)},
                        [](auto&, auto x) { return softmax(causal_mask(x[0], 2)); }));
  // (17) dropout: the same mask at every evaluation (a fresh Rng of a fixed seed)
  c.push_back(make_case("dropout (p = 0.3)", "(17)", {normal(rng, 4, 5)}, [](auto& tape, auto x) {
    using T = ScalarOf<decltype(tape)>;
    mlc::Rng dropout_rng(17);
    return dropout(x[0], T(0.3), dropout_rng);
  }));
  // Compositions: a two-layer MLP's loss (3.1's network) and a self-attention block (3.7).
  {
    Eigen::VectorXi labels(6);
    labels << 0, 2, 1, 2, 0, 1;
    const Matrix<double> X = normal(rng, 6, 4);
    c.push_back(
        make_case("MLP: cross_entropy(tanh(X W1 + b1) W2 + b2)", "(4)-(6), (11)",
                  {normal(rng, 4, 5), normal(rng, 1, 5), normal(rng, 5, 3), normal(rng, 1, 3)},
                  [labels, X](auto& tape, auto x) {
                    const auto input = tape.input(X);
                    return cross_entropy(
                        add(matmul(tanh(add(matmul(input, x[0]), x[1])), x[2]), x[3]), labels);
                  }));
  }
  c.push_back(
      make_case("attention block (2 heads, causal, layer norm, residual)", "(4)-(18)",
                {normal(rng, 2 * 3, 4), normal(rng, 4, 12, 0.5), normal(rng, 4, 4, 0.5),
                 uniform(rng, 1, 4, 0.5, 1.5), normal(rng, 1, 4)},
                [](auto&, auto x) { return attention_block(x[0], x[1], x[2], x[3], x[4], 2, 2); }));
  return c;
}

}  // namespace autograd
