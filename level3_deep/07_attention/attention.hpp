// attention.hpp: scaled dot-product attention as one hand-written op of the 3.4 engine
// (forward and backward written out over B·H heads), the head split and merge, sinusoidal
// and learned positional encodings, and a multi-head attention layer. A library component:
// 3.8 and levels 5-6 link attention_lib and call these functions.
//
// Sources:
//   Vaswani et al., "Attention is all you need", NeurIPS (2017), §3.2 (scaled dot-product and
//     multi-head attention, the 1/√d_k scale and why), §3.5 (sinusoidal encodings).
//   Bahdanau, Cho & Bengio, "Neural machine translation by jointly learning to align and
//     translate", ICLR (2015): attention as a soft, differentiable lookup.
//   Karpathy, llm.c (train_gpt2.c, attention_forward / attention_backward): the layout
//     (B, T, C) → (B, H, T, d_h), the softmax saved for the backward pass.
//   Lee et al., "Set Transformer", ICML (2019), Property 1: self-attention without positions
//     is permutation equivariant.
// Equation numbers (n) refer to NOTES.md.
//
// Symbols: B = sequences in the batch, T = positions (queries), S = positions of the keys
// (S = T in self-attention), C = model width, H = heads, d = C/H the head width, G = B·H the
// number of independent attention problems. Rows are positions: a batch of sequences is
// (B·T) × C, sequence b's rows b·T ... b·T + T − 1. A head-major tensor is (G·T) × d with
// group g = b·H + h holding head h of sequence b.
//
// How a layer is used (a self-attention sublayer with a residual, inside a training step):
//
//   mlc::Rng init = mlc::Rng(seed).derive(1);
//   attention::MultiHeadAttention<float> mha(/*width=*/64, /*heads=*/4, init, {.causal = true});
//   ...
//   Var<float> x = ...;                              // (B·T) × C
//   Var<float> y = x + mha.forward(x, B);            // (B·T) × C, parameters bound to x's tape
//   ... adam.step(mha.parameters()) ...
//   // The attention weights of the last forward (for plots): mha.weights(), (G·T) × T.
//
// Every op here allocates only the first time it meets a shape (the tape keeps the buffers),
// so a training step in the steady state allocates nothing, as the engine's own ops.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "autograd.hpp"
#include "mlc/rng.hpp"

namespace attention {

using autograd::Index;
using autograd::Matrix;
using autograd::Parameter;
using autograd::Tape;
using autograd::Var;

// ---- Scaled dot-product attention (1)-(4), one hand-written op ---------------------------

// O_g = softmax(mask(s · Q_g K_gᵀ)) V_g for g = 0 ... groups−1   (1)-(2), backward (3)-(4)
//   q [(G·T) × d], k [(G·S) × d], v [(G·S) × d_v]  →  [(G·T) × d_v]
// scale s: 1/√d in scaled attention (the default, scale < 0), any positive number otherwise
// (s = 1 is the unscaled attention of the saturation experiment). causal (needs S = T):
// query t attends to keys s ≤ t only (2). The attention weights P [(G·T) × S] are kept in
// the node for the backward pass and can be read with attention_weights().
template <class T>
Var<T> scaled_dot_product_attention(const Var<T>& q, const Var<T>& k, const Var<T>& v, Index groups,
                                    bool causal, T scale = T(-1));

// The same computation composed from the engine's ops (batched_matmul_nt, scale,
// causal_mask, softmax, batched_matmul): five nodes instead of one. The reference the
// hand-written op is tested against, and the baseline of its timing.
template <class T>
Var<T> composed_attention(const Var<T>& q, const Var<T>& k, const Var<T>& v, Index groups,
                          bool causal, T scale = T(-1));

// The attention weights P [(G·T) × S] of a node returned by scaled_dot_product_attention.
template <class T>
Eigen::Ref<const Matrix<T>> attention_weights(const Var<T>& attention_output);

// ---- Heads (5) -------------------------------------------------------------------------------

// Split columns [begin, begin + H·d) of x [(B·T) × ·] into heads: the result is head-major,
// (B·H·T) × d, row (b·H + h)·T + t = x(b·T + t, begin + h·d ... begin + h·d + d − 1).
// begin lets Q, K and V be taken from one fused projection [(B·T) × 3C] without a copy.
template <class T>
Var<T> split_heads(const Var<T>& x, Index batch, Index heads, Index begin, Index width);
// The inverse: head-major [(B·H·T) × d] → [(B·T) × H·d] (the heads side by side).
template <class T>
Var<T> merge_heads(const Var<T>& x, Index batch, Index heads);

// ---- Positional encodings (7)-(8) ------------------------------------------------------------

// (7) The sinusoidal table [positions × width]: PE(t, 2i) = sin(t / 10000^{2i/C}),
// PE(t, 2i+1) = cos(t / 10000^{2i/C}). width must be even.
Eigen::MatrixXd sinusoidal_encoding(Index positions, Index width);

// (8) x + the first T rows of table, added to each of the B sequences of x [(B·T) × C]:
// table [T_max × C], T_max ≥ T = x.rows() / batch. A learned table is a parameter (its
// gradient sums over the batch); a sinusoidal one is an input (no gradient).
template <class T>
Var<T> add_positions(const Var<T>& x, const Var<T>& table, Index batch);

// ---- The multi-head attention layer (6) ------------------------------------------------------

struct AttentionConfig {
  bool causal = false;  // position t attends to positions ≤ t only
  bool scaled = true;   // scores scaled by 1/√d (false: the saturation failure mode)
};

// MHA(X) = [O_1 ... O_H] W_o + b_o,  O_h = attention(X W_q,h, X W_k,h, X W_v,h)   (6)
// with Q, K, V from one fused projection [Q K V] = X W_qkv + b_qkv.
//   x [(B·T) × C], W_qkv [C × 3C], b_qkv [1 × 3C], W_o [C × C], b_o [1 × C] → [(B·T) × C]
// The function form (weights as nodes, as the gradient checks bind them); attention_node,
// when given, receives the attention op's node (its weights: attention_weights()).
template <class T>
Var<T> multi_head_attention(const Var<T>& x, const Var<T>& w_qkv, const Var<T>& b_qkv,
                            const Var<T>& w_o, const Var<T>& b_o, Index batch, Index heads,
                            AttentionConfig config, Var<T>* attention_node = nullptr);

// The layer: the function above with its own parameters.
// Weights N(0, 1/C) drawn in double from rng (so float and double layers drawn from equal
// streams are the same layer), biases 0.
template <class T>
class MultiHeadAttention {
 public:
  MultiHeadAttention(Index width, Index heads, mlc::Rng& rng, AttentionConfig config = {});

  // x [(B·T) × C] → [(B·T) × C] for batch B (T = x.rows() / B). The parameters are bound
  // to x's tape.
  Var<T> forward(const Var<T>& x, Index batch);
  // The attention weights of the last forward, (B·H·T) × T, while its tape is unchanged.
  Eigen::Ref<const Matrix<T>> weights() const { return attention_weights(last_attention_); }

  // The parameters in a fixed order (W_qkv, b_qkv, W_o, b_o); valid while the layer lives
  // and is not moved.
  std::vector<Parameter<T>*> parameters();
  Index width() const { return width_; }
  Index heads() const { return heads_; }
  const AttentionConfig& config() const { return config_; }

  Parameter<T> w_qkv, b_qkv, w_o, b_o;

 private:
  Index width_, heads_;
  AttentionConfig config_;
  Var<T> last_attention_;
};

extern template class MultiHeadAttention<float>;
extern template class MultiHeadAttention<double>;

}  // namespace attention
