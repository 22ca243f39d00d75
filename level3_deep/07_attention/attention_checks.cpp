// attention_checks.cpp: the op cases, the comparison with the composed attention, the
// model's gradient check and the saturation measurement (attention_checks.hpp).
#include "attention_checks.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "mlc/gradcheck.hpp"

namespace attention {

namespace ag = autograd;

namespace {

template <class F>
ag::OpCase make_case(std::string name, std::string equation, std::vector<Matrix<double>> inputs,
                     F f) {
  return {std::move(name), std::move(equation), std::move(inputs), ag::OpBuilder<double>(f),
          ag::OpBuilder<float>(f)};
}

Matrix<double> normal(mlc::Rng& rng, Index rows, Index cols, double sd = 1.0) {
  Matrix<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal(0.0, sd);
  return m;
}

}  // namespace

std::vector<ag::OpCase> op_cases(mlc::Rng& rng) {
  std::vector<ag::OpCase> c;
  // (1)-(4): G = 3 groups of T = 4 queries, d = 5, d_v = 3
  c.push_back(make_case(
      "attention", "(1)-(4)", {normal(rng, 3 * 4, 5), normal(rng, 3 * 4, 5), normal(rng, 3 * 4, 3)},
      [](auto&, auto x) { return scaled_dot_product_attention(x[0], x[1], x[2], 3, false); }));
  c.push_back(make_case(
      "attention, causal", "(1)-(4)",
      {normal(rng, 2 * 5, 4), normal(rng, 2 * 5, 4), normal(rng, 2 * 5, 3)},
      [](auto&, auto x) { return scaled_dot_product_attention(x[0], x[1], x[2], 2, true); }));
  c.push_back(make_case(
      "attention, cross (T = 3, S = 5)", "(1)-(4)",
      {normal(rng, 2 * 3, 4), normal(rng, 2 * 5, 4), normal(rng, 2 * 5, 2)},
      [](auto&, auto x) { return scaled_dot_product_attention(x[0], x[1], x[2], 2, false); }));
  c.push_back(make_case("attention, unscaled (s = 1)", "(1)-(4)",
                        {normal(rng, 2 * 4, 3), normal(rng, 2 * 4, 3), normal(rng, 2 * 4, 3)},
                        [](auto&, auto x) {
                          using T = typename std::remove_reference_t<decltype(x[0])>::Scalar;
                          return scaled_dot_product_attention(x[0], x[1], x[2], 2, false, T(1));
                        }));
  // (5): columns [6, 12) of a fused [(B·T) × 18] projection, B = 2, T = 3, H = 2
  c.push_back(make_case("split_heads", "(5)", {normal(rng, 2 * 3, 18)},
                        [](auto&, auto x) { return split_heads(x[0], 2, 2, 6, 6); }));
  c.push_back(make_case("merge_heads", "(5)", {normal(rng, 2 * 2 * 3, 3)},
                        [](auto&, auto x) { return merge_heads(x[0], 2, 2); }));
  // (8): B = 3 sequences of T = 4 from a table of 6 positions
  c.push_back(make_case("add_positions", "(8)", {normal(rng, 3 * 4, 5), normal(rng, 6, 5)},
                        [](auto&, auto x) { return add_positions(x[0], x[1], 3); }));
  // (6): B = 2, T = 3, C = 4, H = 2
  for (bool causal : {false, true}) {
    c.push_back(make_case(causal ? "multi-head attention, causal" : "multi-head attention", "(6)",
                          {normal(rng, 2 * 3, 4), normal(rng, 4, 12, 0.5), normal(rng, 1, 12, 0.5),
                           normal(rng, 4, 4, 0.5), normal(rng, 1, 4, 0.5)},
                          [causal](auto&, auto x) {
                            return multi_head_attention(x[0], x[1], x[2], x[3], x[4], 2, 2,
                                                        AttentionConfig{.causal = causal});
                          }));
  }
  return c;
}

Agreement compare_with_composed(Index groups, Index queries, Index keys, Index head_dim,
                                Index value_dim, bool causal, mlc::Rng& rng) {
  const Matrix<double> Q = normal(rng, groups * queries, head_dim),
                       K = normal(rng, groups * keys, head_dim),
                       V = normal(rng, groups * keys, value_dim),
                       R = normal(rng, groups * queries, value_dim);
  struct Result {
    Matrix<double> output, dq, dk, dv;
  };
  auto run = [&](bool hand_written) {
    Parameter<double> q("q", Q), k("k", K), v("v", V);
    Tape<double> tape;
    const Var<double> o = hand_written ? scaled_dot_product_attention(tape.param(q), tape.param(k),
                                                                      tape.param(v), groups, causal)
                                       : composed_attention(tape.param(q), tape.param(k),
                                                            tape.param(v), groups, causal);
    tape.backward(o, R);
    return Result{o.value(), q.grad, k.grad, v.grad};
  };
  const Result a = run(true), b = run(false);
  auto rel = [](const Matrix<double>& x, const Matrix<double>& y) {
    return (x - y).norm() / y.norm();
  };
  return {rel(a.output, b.output), std::max({rel(a.dq, b.dq), rel(a.dk, b.dk), rel(a.dv, b.dv)})};
}

ModelCheck check_model_gradients(const ModelConfig& config, const TaskConfig& task, Index sequences,
                                 mlc::Rng& rng) {
  SequenceModel<double> model(config, rng);
  Batch batch;
  draw_batch(task, sequences, rng, batch);
  Tape<double> tape;
  const std::vector<Parameter<double>*> params = model.parameters();
  ag::zero_grad(params);
  tape.backward(batch_loss(model, tape, batch));
  ModelCheck result;
  for (Parameter<double>* p : params) {
    const Eigen::MatrixXd theta = p->value, analytic = p->grad;
    const mlc::MatrixFunction loss = [&](const Eigen::MatrixXd& W) {
      p->value = W;
      tape.reset();
      const double l = batch_loss(model, tape, batch).item();
      p->value = theta;
      return l;
    };
    const mlc::GradCheckResult g = mlc::gradcheck(loss, analytic, theta, 1e-6);
    result.relative_error = std::max(result.relative_error, g.relative_error);
    result.entries += theta.size();
  }
  return result;
}

Saturation measure_saturation(Index head_dim, Index positions, Index groups, bool scaled,
                              mlc::Rng& rng) {
  const Index value_dim = 16;
  Parameter<double> q("q", normal(rng, groups * positions, head_dim)),
      k("k", normal(rng, groups * positions, head_dim)),
      v("v", normal(rng, groups * positions, value_dim));
  const Matrix<double> R = normal(rng, groups * positions, value_dim);
  const double s = scaled ? 1.0 / std::sqrt(static_cast<double>(head_dim)) : 1.0;
  // (1)-(2) from engine ops, to read the gradient of the scores S = s Q Kᵀ
  Tape<double> tape;
  const Var<double> scores =
      ag::scale(ag::batched_matmul_nt(tape.param(q), tape.param(k), groups), s);
  const Var<double> P = ag::softmax(scores);  // [(G·T) × T]
  const Var<double> O = ag::batched_matmul(P, tape.param(v), groups);
  tape.backward(O, R);
  Saturation out;
  const Matrix<double>& W = P.value();
  for (Index r = 0; r < W.rows(); ++r) {
    double h = 0.0;
    for (Index j = 0; j < W.cols(); ++j)
      if (W(r, j) > 0.0) h -= W(r, j) * std::log(W(r, j));
    out.entropy += h;
    out.max_weight += W.row(r).maxCoeff();
  }
  const double rows = static_cast<double>(W.rows());
  out.entropy /= rows * std::log(static_cast<double>(positions));
  out.max_weight /= rows;
  std::vector<double> row_norms(static_cast<std::size_t>(W.rows()));
  for (Index r = 0; r < W.rows(); ++r) {
    row_norms[static_cast<std::size_t>(r)] = scores.grad().row(r).norm();
    out.dead_rows += row_norms[static_cast<std::size_t>(r)] < 1e-4 ? 1.0 : 0.0;
  }
  out.dead_rows /= rows;
  const auto middle = row_norms.begin() + static_cast<std::ptrdiff_t>(row_norms.size() / 2);
  std::nth_element(row_norms.begin(), middle, row_norms.end());
  out.score_gradient = *middle;
  return out;
}

}  // namespace attention
