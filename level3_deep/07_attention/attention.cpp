// attention.cpp: the attention op (forward and backward side by side, llm.c's habit), the
// head split and merge, positional encodings and the multi-head layer. Shapes in the
// comments; equation numbers (n) refer to NOTES.md.
#include "attention.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace attention {

using autograd::gemm;
using autograd::GemmWorkspace;

namespace {

[[noreturn]] void shape_error(const char* op, const std::string& detail) {
  throw std::invalid_argument(fmt::format("{}: {}", op, detail));
}
template <class T>
std::string shape(const Var<T>& v) {
  return fmt::format("{}×{}", v.rows(), v.cols());
}

template <class T>
T default_scale(T scale, Index head_dim) {
  return scale > T(0) ? scale : static_cast<T>(1.0 / std::sqrt(static_cast<double>(head_dim)));
}

// ---- The attention op (1)-(4) ----------------------------------------------------------------
// The node saves P in the first G·T rows of node().saved [(G·T + T) × S]; the last T rows are
// the backward's scratch for dP_g, so that the backward allocates nothing.

template <class T>
void attention_backward(const Var<T>& o) {
  const Var<T> q = o.parent(0), k = o.parent(1), v = o.parent(2);
  const Index groups = o.node().attr[0];
  const T scale = o.node().scalar;
  const Index t_len = q.rows() / groups, s_len = k.rows() / groups;
  Matrix<T>& saved = o.node().saved;
  auto dP = saved.bottomRows(t_len);  // scratch   [T × S]
  GemmWorkspace<T>& ws = o.tape().gemm_workspace();
  for (Index g = 0; g < groups; ++g) {
    const auto P = saved.middleRows(g * t_len, t_len);  // [T × S]
    const auto Q = q.value().middleRows(g * t_len, t_len);
    const auto K = k.value().middleRows(g * s_len, s_len);
    const auto V = v.value().middleRows(g * s_len, s_len);
    const auto dO = o.grad().middleRows(g * t_len, t_len);  // [T × d_v]
    // BEGIN EXERCISE attention_backward: (3)-(4) dV, dP, the softmax backward dS, then dQ, dK
    // (3) dV += Pᵀ dO   [S × d_v];   dP = dO Vᵀ   [T × S]
    if (v.requires_grad())
      gemm<T>(ws, P, true, dO, false, v.grad().middleRows(g * s_len, s_len), T(1), T(1));
    gemm<T>(ws, dO, false, V, true, dP, T(1), T(0));
    // (4) dS = P ⊙ (dP − rowsum(P ⊙ dP)), in place in the scratch   [T × S]
    for (Index t = 0; t < t_len; ++t) {
      const T dot = P.row(t).dot(dP.row(t));
      dP.row(t).array() = P.row(t).array() * (dP.row(t).array() - dot);
    }
    // (4) dQ += s dS K   [T × d];   dK += s dSᵀ Q   [S × d]
    if (q.requires_grad())
      gemm<T>(ws, dP, false, K, false, q.grad().middleRows(g * t_len, t_len), scale, T(1));
    if (k.requires_grad())
      gemm<T>(ws, dP, true, Q, false, k.grad().middleRows(g * s_len, s_len), scale, T(1));
    // END EXERCISE
  }
}

// ---- Heads (5) -------------------------------------------------------------------------------
// One copy routine for both directions: wide [(B·T) × ·] columns [begin, begin + H·d) and
// head-major [(B·H·T) × d]. kToHeads copies wide → heads, else heads → wide; kAccumulate adds.
template <class T, bool kToHeads, bool kAccumulate, class Wide, class Heads>
void copy_heads(Wide& wide, Heads& heads_major, Index batch, Index heads, Index begin) {
  const Index head_dim = heads_major.cols();
  const Index t_len = heads_major.rows() / (batch * heads);
  for (Index b = 0; b < batch; ++b) {
    for (Index h = 0; h < heads; ++h) {
      auto head_block = heads_major.middleRows((b * heads + h) * t_len, t_len);        // [T × d]
      auto wide_block = wide.block(b * t_len, begin + h * head_dim, t_len, head_dim);  // [T × d]
      if constexpr (kToHeads) {
        if constexpr (kAccumulate)
          head_block += wide_block;
        else
          head_block = wide_block;
      } else {
        if constexpr (kAccumulate)
          wide_block += head_block;
        else
          wide_block = head_block;
      }
    }
  }
}

template <class T>
void split_heads_backward(const Var<T>& y) {  // (5) dX[:, begin ...] += merge(dY)
  const Var<T> x = y.parent(0);
  copy_heads<T, false, true>(x.grad(), y.grad(), y.node().attr[0], y.node().attr[1],
                             static_cast<Index>(y.node().scalar));
}
template <class T>
void merge_heads_backward(const Var<T>& y) {  // (5) dX += split(dY)
  const Var<T> x = y.parent(0);
  copy_heads<T, true, true>(y.grad(), x.grad(), y.node().attr[0], y.node().attr[1], 0);
}

// ---- Positions (8) ---------------------------------------------------------------------------

template <class T>
void add_positions_backward(const Var<T>& y) {
  const Var<T> x = y.parent(0), table = y.parent(1);
  const Index batch = y.node().attr[0];
  const Index t_len = y.rows() / batch;
  if (x.requires_grad()) x.grad() += y.grad();
  if (table.requires_grad()) {
    // BEGIN EXERCISE add_positions_backward: (8) dE_pos[t] += Σ_b dY[b·T + t]
    for (Index b = 0; b < batch; ++b) {
      table.grad().topRows(t_len) += y.grad().middleRows(b * t_len, t_len);
    }
    // END EXERCISE
  }
}

}  // namespace

// ==== The public ops ========================================================================

template <class T>
Var<T> scaled_dot_product_attention(const Var<T>& q, const Var<T>& k, const Var<T>& v, Index groups,
                                    bool causal, T scale) {
  const char* op = "scaled_dot_product_attention";
  if (groups < 1 || q.rows() % groups != 0 || k.rows() % groups != 0 || k.rows() != v.rows()) {
    shape_error(op, fmt::format("groups {} must divide the rows of q {}, k {}, v {} (k, v equal)",
                                groups, shape(q), shape(k), shape(v)));
  }
  if (q.cols() != k.cols())
    shape_error(op, fmt::format("q {} and k {} need equal widths", shape(q), shape(k)));
  const Index t_len = q.rows() / groups, s_len = k.rows() / groups, d_v = v.cols();
  if (causal && t_len != s_len)
    shape_error(
        op, fmt::format("a causal mask needs as many keys as queries ({} and {})", s_len, t_len));
  scale = default_scale(scale, q.cols());
  Var<T> o = q.tape().record(op, {q, k, v}, groups * t_len, d_v, attention_backward<T>);
  o.node().attr[0] = groups;
  o.node().attr[1] = causal ? 1 : 0;
  o.node().scalar = scale;
  Matrix<T>& saved = o.node().saved;
  saved.resize((groups + 1) * t_len, s_len);  // P, then the backward's scratch
  GemmWorkspace<T>& ws = q.tape().gemm_workspace();
  for (Index g = 0; g < groups; ++g) {
    auto P = saved.middleRows(g * t_len, t_len);  // [T × S]
    const auto Q = q.value().middleRows(g * t_len, t_len);
    const auto K = k.value().middleRows(g * s_len, s_len);
    const auto V = v.value().middleRows(g * s_len, s_len);
    // BEGIN EXERCISE attention_forward: (1)-(2) S = s Q Kᵀ, masked row softmax P, O = P V
    gemm<T>(ws, Q, false, K, true, P, scale, T(0));  // (1) S = s Q Kᵀ   [T × S]
    for (Index t = 0; t < t_len; ++t) {              // (2) P = softmax of each (masked) row
      const Index visible = causal ? t + 1 : s_len;  // keys 0 ... visible − 1
      auto row = P.row(t).head(visible);
      const T m = row.maxCoeff();  // subtracting the maximum: no overflow at any scale
      row.array() = (row.array() - m).exp();
      row /= row.sum();
      P.row(t).tail(s_len - visible).setZero();  // masked keys get exactly zero weight
    }
    gemm<T>(ws, P, false, V, false, o.mutable_value().middleRows(g * t_len, t_len), T(1),
            T(0));  // (2) O = P V   [T × d_v]
    // END EXERCISE
  }
  return o;
}

template <class T>
Var<T> composed_attention(const Var<T>& q, const Var<T>& k, const Var<T>& v, Index groups,
                          bool causal, T scale) {
  scale = default_scale(scale, q.cols());
  Var<T> scores = autograd::scale(autograd::batched_matmul_nt(q, k, groups), scale);  // (1)
  if (causal) scores = autograd::causal_mask(scores, groups);
  return autograd::batched_matmul(autograd::softmax(scores), v, groups);  // (2)
}

template <class T>
Eigen::Ref<const Matrix<T>> attention_weights(const Var<T>& attention_output) {
  mlc::require(attention_output.valid(), "attention_weights",
               "the node is not live (its tape was reset)");
  const autograd::Node<T>& n = attention_output.node();
  mlc::require(std::string(n.op) == "scaled_dot_product_attention", "attention_weights",
               "the node is not a scaled_dot_product_attention output");
  return n.saved.topRows(attention_output.rows());
}

template <class T>
Var<T> split_heads(const Var<T>& x, Index batch, Index heads, Index begin, Index width) {
  if (batch < 1 || heads < 1 || x.rows() % batch != 0 || width % heads != 0 || begin < 0 ||
      begin + width > x.cols()) {
    shape_error("split_heads",
                fmt::format("x {}, batch {}, heads {}, columns [{}, {}): batch must divide the "
                            "rows, heads the width, and the columns lie inside x",
                            shape(x), batch, heads, begin, begin + width));
  }
  const Index t_len = x.rows() / batch, head_dim = width / heads;
  Var<T> y =
      x.tape().record("split_heads", {x}, batch * heads * t_len, head_dim, split_heads_backward<T>);
  y.node().attr[0] = batch;
  y.node().attr[1] = heads;
  y.node().scalar = static_cast<T>(begin);  // exact: column offsets are small integers
  // BEGIN EXERCISE split_heads: (5) row (b·H + h)·T + t of the result = x(b·T + t, begin + h·d ...)
  copy_heads<T, true, false>(x.value(), y.mutable_value(), batch, heads, begin);
  // END EXERCISE
  return y;
}

template <class T>
Var<T> merge_heads(const Var<T>& x, Index batch, Index heads) {
  if (batch < 1 || heads < 1 || x.rows() % (batch * heads) != 0) {
    shape_error("merge_heads", fmt::format("x {}: batch {} × heads {} must divide its rows",
                                           shape(x), batch, heads));
  }
  const Index t_len = x.rows() / (batch * heads);
  Var<T> y =
      x.tape().record("merge_heads", {x}, batch * t_len, heads * x.cols(), merge_heads_backward<T>);
  y.node().attr[0] = batch;
  y.node().attr[1] = heads;
  copy_heads<T, false, false>(y.mutable_value(), x.value(), batch, heads, 0);
  return y;
}

Eigen::MatrixXd sinusoidal_encoding(Index positions, Index width) {
  mlc::require(positions >= 1 && width >= 2 && width % 2 == 0, "sinusoidal_encoding",
               fmt::format("positions {} must be ≥ 1 and width {} even and ≥ 2", positions, width));
  Eigen::MatrixXd pe(positions, width);
  // BEGIN EXERCISE sinusoidal_encoding: (7) sin and cos of t / 10000^{2i/C}
  for (Index t = 0; t < positions; ++t) {
    for (Index i = 0; i < width / 2; ++i) {
      const double angle =
          static_cast<double>(t) /
          std::pow(10000.0, 2.0 * static_cast<double>(i) / static_cast<double>(width));
      pe(t, 2 * i) = std::sin(angle);
      pe(t, 2 * i + 1) = std::cos(angle);
    }
  }
  // END EXERCISE
  return pe;
}

template <class T>
Var<T> add_positions(const Var<T>& x, const Var<T>& table, Index batch) {
  if (batch < 1 || x.rows() % batch != 0 || table.cols() != x.cols() ||
      table.rows() < x.rows() / batch) {
    shape_error(
        "add_positions",
        fmt::format("x {} with batch {} needs a table of at least {} rows and {} columns, "
                    "not {}",
                    shape(x), batch, batch >= 1 ? x.rows() / batch : 0, x.cols(), shape(table)));
  }
  const Index t_len = x.rows() / batch;
  Var<T> y =
      x.tape().record("add_positions", {x, table}, x.rows(), x.cols(), add_positions_backward<T>);
  y.node().attr[0] = batch;
  for (Index b = 0; b < batch; ++b) {  // (8) row b·T + t gets E_pos[t]
    y.mutable_value().middleRows(b * t_len, t_len) =
        x.value().middleRows(b * t_len, t_len) + table.value().topRows(t_len);
  }
  return y;
}

// ---- The layer (6) ---------------------------------------------------------------------------

namespace {
template <class T>
Matrix<T> normal_weights(mlc::Rng& rng, Index rows, Index cols) {
  return rng.normal_matrix(rows, cols, 0.0, 1.0 / std::sqrt(static_cast<double>(rows)))
      .template cast<T>();
}
}  // namespace

template <class T>
MultiHeadAttention<T>::MultiHeadAttention(Index width, Index heads, mlc::Rng& rng,
                                          AttentionConfig config)
    : width_(width), heads_(heads), config_(config) {
  mlc::require(width >= 1 && heads >= 1 && width % heads == 0, "MultiHeadAttention",
               fmt::format("heads {} must divide the width {}", heads, width));
  w_qkv = Parameter<T>("W_qkv", normal_weights<T>(rng, width, 3 * width));
  b_qkv = Parameter<T>("b_qkv", Matrix<T>::Zero(1, 3 * width), false);
  w_o = Parameter<T>("W_o", normal_weights<T>(rng, width, width));
  b_o = Parameter<T>("b_o", Matrix<T>::Zero(1, width), false);
}

template <class T>
Var<T> multi_head_attention(const Var<T>& x, const Var<T>& w_qkv, const Var<T>& b_qkv,
                            const Var<T>& w_o, const Var<T>& b_o, Index batch, Index heads,
                            AttentionConfig config, Var<T>* attention_node) {
  const Index width = x.cols();
  if (heads < 1 || width % heads != 0 || w_qkv.rows() != width || w_qkv.cols() != 3 * width ||
      w_o.rows() != width || w_o.cols() != width) {
    shape_error(
        "multi_head_attention",
        fmt::format("x {} with {} heads needs W_qkv {}×{} and W_o {}×{}, not {} and {}", shape(x),
                    heads, width, 3 * width, width, width, shape(w_qkv), shape(w_o)));
  }
  const Index head_dim = width / heads;
  // [Q K V] = X W_qkv + b_qkv   [(B·T) × 3C]
  const Var<T> qkv = autograd::add(autograd::matmul(x, w_qkv), b_qkv);
  const Var<T> q = split_heads(qkv, batch, heads, 0, width);  // [(B·H·T) × d]
  const Var<T> k = split_heads(qkv, batch, heads, width, width);
  const Var<T> v = split_heads(qkv, batch, heads, 2 * width, width);
  const T scale =
      config.scaled ? static_cast<T>(1.0 / std::sqrt(static_cast<double>(head_dim))) : T(1);
  const Var<T> o = scaled_dot_product_attention(q, k, v, batch * heads, config.causal, scale);
  if (attention_node != nullptr) *attention_node = o;
  const Var<T> merged = merge_heads(o, batch, heads);        // [(B·T) × C]
  return autograd::add(autograd::matmul(merged, w_o), b_o);  // (6)
}

template <class T>
Var<T> MultiHeadAttention<T>::forward(const Var<T>& x, Index batch) {
  Tape<T>& tape = x.tape();
  return multi_head_attention(x, tape.param(w_qkv), tape.param(b_qkv), tape.param(w_o),
                              tape.param(b_o), batch, heads_, config_, &last_attention_);
}

template <class T>
std::vector<Parameter<T>*> MultiHeadAttention<T>::parameters() {
  return {&w_qkv, &b_qkv, &w_o, &b_o};
}

// ---- Instantiations ------------------------------------------------------------------------
#define ATTENTION_INSTANTIATE(T)                                                                  \
  template Var<T> scaled_dot_product_attention<T>(const Var<T>&, const Var<T>&, const Var<T>&,    \
                                                  Index, bool, T);                                \
  template Var<T> composed_attention<T>(const Var<T>&, const Var<T>&, const Var<T>&, Index, bool, \
                                        T);                                                       \
  template Eigen::Ref<const Matrix<T>> attention_weights<T>(const Var<T>&);                       \
  template Var<T> split_heads<T>(const Var<T>&, Index, Index, Index, Index);                      \
  template Var<T> merge_heads<T>(const Var<T>&, Index, Index);                                    \
  template Var<T> add_positions<T>(const Var<T>&, const Var<T>&, Index);                          \
  template Var<T> multi_head_attention<T>(const Var<T>&, const Var<T>&, const Var<T>&,            \
                                          const Var<T>&, const Var<T>&, Index, Index,             \
                                          AttentionConfig, Var<T>*);                              \
  template class MultiHeadAttention<T>;
ATTENTION_INSTANTIATE(float)
ATTENTION_INSTANTIATE(double)
#undef ATTENTION_INSTANTIATE

}  // namespace attention
