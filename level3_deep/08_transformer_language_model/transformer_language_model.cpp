// transformer_language_model.cpp: the two ops this lesson adds to the engine (a threaded
// linear layer and fused causal multi-head attention, each a forward and a hand-written
// backward), the GPT model on them, data, evaluation, the trainer with its checkpoints, and
// sampling. Equation numbers (n) refer to NOTES.md.
#include "transformer_language_model.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "mlc/checkpoint.hpp"
#include "mlc/error.hpp"
#include "mlc/timer.hpp"

namespace transformer_language_model {

namespace {

// Work is split into kChunks pieces whatever the thread count, so that every GEMM call has
// the same sizes (hence the same blocking and summation order) on 1 thread or 16.
constexpr Index kChunks = 8;
inline Index chunk_begin(Index n, Index c) {
  return n * c / kChunks;
}

// The GEMM packing buffers of the calling thread: allocated on its first product, reused.
template <class T>
ag::GemmWorkspace<T>& thread_workspace() {
  thread_local ag::GemmWorkspace<T> workspace;
  return workspace;
}

// Runs body(c) for c = 0 ... count − 1 on the OpenMP threads. An exception thrown by a body
// (a shape error, a stubbed exercise) is rethrown on the calling thread: one escaping an
// OpenMP region would terminate the program instead.
template <class Body>
void parallel_for(Index count, const Body& body) {
  std::exception_ptr error;
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < count; ++c) {
    try {
      body(c);
    } catch (...) {
#pragma omp critical(transformer_language_model_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

[[noreturn]] void shape_error(const char* op, const std::string& detail) {
  throw std::invalid_argument(fmt::format("{}: {}", op, detail));
}

// ---- (6) linear ---------------------------------------------------------------------------

template <class T>
void linear_backward(const Var<T>& y) {
  const Var<T> x = y.parent(0), w = y.parent(1), b = y.parent(2);
  const Matrix<T>& X = x.value();
  const Matrix<T>& W = w.value();
  const Matrix<T>& dY = y.grad();
  const Index n = X.rows(), k = X.cols();
  const bool need_dx = x.requires_grad(), need_dw = w.requires_grad();
  Matrix<T>* dX = need_dx ? &x.grad() : nullptr;
  Matrix<T>* dW = need_dw ? &w.grad() : nullptr;
  // Chunks 0 ... 7: rows of dX; chunks 8 ... 15: rows of dW. Disjoint writes.
  parallel_for(2 * kChunks, [&](Index c) {
    ag::GemmWorkspace<T>& ws = thread_workspace<T>();
    // BEGIN EXERCISE linear_backward: (6) dX += dY Wᵀ, dW += Xᵀ dY, chunk by chunk
    if (c < kChunks && need_dx) {  // dX[r0:r1] += dY[r0:r1] Wᵀ   [rows × k]
      const Index r0 = chunk_begin(n, c), r1 = chunk_begin(n, c + 1);
      if (r1 > r0)
        ag::gemm<T>(ws, dY.middleRows(r0, r1 - r0), false, W, true, dX->middleRows(r0, r1 - r0),
                    T(1), T(1));
    } else if (c >= kChunks && need_dw) {  // dW[k0:k1] += X[:, k0:k1]ᵀ dY   [cols × m]
      const Index k0 = chunk_begin(k, c - kChunks), k1 = chunk_begin(k, c - kChunks + 1);
      if (k1 > k0)
        ag::gemm<T>(ws, X.middleCols(k0, k1 - k0), true, dY, false, dW->middleRows(k0, k1 - k0),
                    T(1), T(1));
    }
    // END EXERCISE
  });
  if (b.requires_grad()) b.grad().row(0) += dY.colwise().sum();  // db += 1ᵀ dY
}

// ---- (3)-(5) fused causal multi-head attention ----------------------------------------------

// The softmax (4) of row t of S over the keys s ≤ t, in place; the masked keys s > t get 0.
template <class T, class Row>
void causal_softmax_row(Row&& row, Index t) {
  auto visible = row.head(t + 1);
  const T m = visible.maxCoeff();
  visible.array() = (visible.array() - m).exp();
  visible /= visible.sum();
  row.tail(row.size() - t - 1).setZero();
}

template <class T>
void attention_backward(const Var<T>& out) {
  const Var<T> qkv = out.parent(0);
  const Index batch = out.node().attr[0], heads = out.node().attr[1];
  const Index len = qkv.rows() / batch, C = qkv.cols() / 3, d = C / heads;
  const T scale = T(1) / std::sqrt(static_cast<T>(d));
  const Matrix<T>& X = qkv.value();
  const Matrix<T>& P = out.node().saved;  // [(B·H·T) × T]
  const Matrix<T>& dO = out.grad();       // [(B·T) × C]
  Matrix<T>& dX = qkv.grad();             // [(B·T) × 3C]
  parallel_for(batch * heads, [&](Index bh) {
    ag::GemmWorkspace<T>& ws = thread_workspace<T>();
    thread_local Matrix<T> dS;  // dP, then dS in place   [T × T]
    dS.resize(len, len);
    const Index r = (bh / heads) * len, h = bh % heads;
    const auto Q = X.block(r, h * d, len, d), K = X.block(r, C + h * d, len, d),
               V = X.block(r, 2 * C + h * d, len, d);
    const auto Ph = P.middleRows(bh * len, len);
    const auto dOh = dO.block(r, h * d, len, d);
    // BEGIN EXERCISE attention_backward: (5) dV, dP, the softmax backward to dS, dQ and dK
    ag::gemm<T>(ws, dOh, false, V, true, dS, T(1), T(0));  // dP = dO Vᵀ   [T × T]
    ag::gemm<T>(ws, Ph, true, dOh, false, dX.block(r, 2 * C + h * d, len, d), T(1),
                T(1));                 // dV += Pᵀ dO
    for (Index t = 0; t < len; ++t) {  // dS = P ⊙ (dP − Σ_s P dP), row by row
      const T dot = Ph.row(t).head(t + 1).dot(dS.row(t).head(t + 1));
      dS.row(t).head(t + 1).array() =
          Ph.row(t).head(t + 1).array() * (dS.row(t).head(t + 1).array() - dot);
      dS.row(t).tail(len - t - 1).setZero();
    }
    ag::gemm<T>(ws, dS, false, K, false, dX.block(r, h * d, len, d), scale, T(1));  // dQ += dS K/√d
    ag::gemm<T>(ws, dS, true, Q, false, dX.block(r, C + h * d, len, d), scale,
                T(1));  // dK += dSᵀ Q/√d
    // END EXERCISE
  });
}

// ---- Initialisation --------------------------------------------------------------------------

template <class T>
Matrix<T> normal_init(mlc::Rng& rng, Index rows, Index cols, double sd) {
  Matrix<T> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>(sd * rng.normal());
  return m;
}
template <class T>
Parameter<T> zeros(const std::string& name, Index cols) {
  return Parameter<T>(name, Matrix<T>::Zero(1, cols), /*decay=*/false);
}
template <class T>
Parameter<T> ones(const std::string& name, Index cols) {
  return Parameter<T>(name, Matrix<T>::Ones(1, cols), /*decay=*/false);
}

}  // namespace

// ---- Ops ---------------------------------------------------------------------------------------

template <class T>
Var<T> linear(const Var<T>& x, const Var<T>& w, const Var<T>& b) {
  const Index n = x.rows(), k = x.cols(), m = w.cols();
  if (w.rows() != k || b.rows() != 1 || b.cols() != m) {
    shape_error("linear", fmt::format("x {}×{}, w {}×{}, b {}×{} (need w {}×m, b 1×m)", n, k,
                                      w.rows(), w.cols(), b.rows(), b.cols(), k));
  }
  Var<T> y = x.tape().record("linear", {x, w, b}, n, m, linear_backward<T>);
  const Matrix<T>& X = x.value();
  const Matrix<T>& W = w.value();
  const auto bias = b.value().row(0);
  Matrix<T>& Y = y.mutable_value();
  parallel_for(kChunks, [&](Index c) {  // (6) Y[r0:r1] = X[r0:r1] W + 1 b
    const Index r0 = chunk_begin(n, c), r1 = chunk_begin(n, c + 1);
    if (r1 == r0) return;
    ag::gemm<T>(thread_workspace<T>(), X.middleRows(r0, r1 - r0), false, W, false,
                Y.middleRows(r0, r1 - r0), T(1), T(0));
    Y.middleRows(r0, r1 - r0).rowwise() += bias;
  });
  return y;
}

template <class T>
Var<T> causal_self_attention(const Var<T>& qkv, Index batch, Index heads) {
  const Index n = qkv.rows();
  if (batch < 1 || n % batch != 0 || qkv.cols() % 3 != 0 || heads < 1 ||
      (qkv.cols() / 3) % heads != 0) {
    shape_error("causal_self_attention",
                fmt::format("qkv {}×{} with batch {} and {} heads: need rows divisible by the "
                            "batch, 3C columns and C divisible by the heads",
                            n, qkv.cols(), batch, heads));
  }
  const Index len = n / batch, C = qkv.cols() / 3, d = C / heads;
  const T scale = T(1) / std::sqrt(static_cast<T>(d));
  Var<T> out = qkv.tape().record("causal_self_attention", {qkv}, n, C, attention_backward<T>);
  out.node().attr[0] = batch;
  out.node().attr[1] = heads;
  Matrix<T>& P = out.node().saved;
  P.resize(batch * heads * len, len);
  const Matrix<T>& X = qkv.value();
  Matrix<T>& O = out.mutable_value();
  parallel_for(batch * heads, [&](Index bh) {
    ag::GemmWorkspace<T>& ws = thread_workspace<T>();
    const Index r = (bh / heads) * len, h = bh % heads;
    const auto Q = X.block(r, h * d, len, d), K = X.block(r, C + h * d, len, d),
               V = X.block(r, 2 * C + h * d, len, d);
    auto Ph = P.middleRows(bh * len, len);
    // BEGIN EXERCISE attention_forward: (3) scores, (4) causal softmax and the weighted values
    ag::gemm<T>(ws, Q, false, K, true, Ph, scale, T(0));  // S = Q Kᵀ / √d   [T × T]
    for (Index t = 0; t < len; ++t) causal_softmax_row<T>(Ph.row(t), t);
    ag::gemm<T>(ws, Ph, false, V, false, O.block(r, h * d, len, d), T(1), T(0));  // O_h = P V
    // END EXERCISE
  });
  return out;
}

template <class T>
Var<T> causal_self_attention_reference(const Var<T>& qkv, Index batch, Index heads) {
  const Index C = qkv.cols() / 3, d = C / heads;
  std::vector<Var<T>> outputs;
  for (Index h = 0; h < heads; ++h) {
    const Var<T> q = ag::slice_cols(qkv, h * d, d), k = ag::slice_cols(qkv, C + h * d, d),
                 v = ag::slice_cols(qkv, 2 * C + h * d, d);
    const Var<T> s =
        ag::scale(ag::batched_matmul_nt(q, k, batch), T(1) / std::sqrt(static_cast<T>(d)));
    const Var<T> p = ag::softmax(ag::causal_mask(s, batch));
    outputs.push_back(ag::batched_matmul(p, v, batch));
  }
  return ag::concat_cols(std::span<const Var<T>>(outputs));
}

template <class T>
Matrix<T> attention_map(const Var<T>& attention, Index b, Index h) {
  const Index len = attention.node().saved.cols(), heads = attention.node().attr[1];
  mlc::require(b >= 0 && b < attention.node().attr[0] && h >= 0 && h < heads, "attention_map",
               "sequence or head out of range");
  return attention.node().saved.middleRows((b * heads + h) * len, len);
}

// ---- The model ---------------------------------------------------------------------------------

template <class T>
Gpt<T>::Gpt(const ModelConfig& c, mlc::Rng& rng) : config_(c) {
  mlc::require(c.vocabulary > 0 && c.context > 0 && c.layers > 0 && c.heads > 0 &&
                   c.width % c.heads == 0 && c.mlp_ratio > 0,
               "Gpt", "sizes must be positive and the heads must divide the width");
  const Index C = c.width, F = c.mlp_ratio * c.width;
  const double sd = 0.02, residual_sd = 0.02 / std::sqrt(2.0 * static_cast<double>(c.layers));
  wte_ = Parameter<T>("wte", normal_init<T>(rng, c.vocabulary, C, sd));
  wpe_ = Parameter<T>("wpe", normal_init<T>(rng, c.context, C, sd));
  blocks_.resize(static_cast<std::size_t>(c.layers));
  for (Index l = 0; l < c.layers; ++l) {
    Block<T>& b = blocks_[static_cast<std::size_t>(l)];
    const std::string p = fmt::format("h{}.", l);
    b.ln1_gain = ones<T>(p + "ln1.gain", C);
    b.ln1_bias = zeros<T>(p + "ln1.bias", C);
    b.w_qkv = Parameter<T>(p + "attn.w_qkv", normal_init<T>(rng, C, 3 * C, sd));
    b.b_qkv = zeros<T>(p + "attn.b_qkv", 3 * C);
    b.w_o = Parameter<T>(p + "attn.w_o", normal_init<T>(rng, C, C, residual_sd));
    b.b_o = zeros<T>(p + "attn.b_o", C);
    b.ln2_gain = ones<T>(p + "ln2.gain", C);
    b.ln2_bias = zeros<T>(p + "ln2.bias", C);
    b.w_fc = Parameter<T>(p + "mlp.w_fc", normal_init<T>(rng, C, F, sd));
    b.b_fc = zeros<T>(p + "mlp.b_fc", F);
    b.w_proj = Parameter<T>(p + "mlp.w_proj", normal_init<T>(rng, F, C, residual_sd));
    b.b_proj = zeros<T>(p + "mlp.b_proj", C);
  }
  lnf_gain_ = ones<T>("ln_f.gain", C);
  lnf_bias_ = zeros<T>("ln_f.bias", C);
  if (!c.tie_weights) head_ = Parameter<T>("head", normal_init<T>(rng, c.vocabulary, C, sd));
}

template <class T>
std::vector<Parameter<T>*> Gpt<T>::parameters() {
  std::vector<Parameter<T>*> p = {&wte_, &wpe_};
  for (Block<T>& b : blocks_) {
    for (Parameter<T>* q : {&b.ln1_gain, &b.ln1_bias, &b.w_qkv, &b.b_qkv, &b.w_o, &b.b_o,
                            &b.ln2_gain, &b.ln2_bias, &b.w_fc, &b.b_fc, &b.w_proj, &b.b_proj}) {
      p.push_back(q);
    }
  }
  p.push_back(&lnf_gain_);
  p.push_back(&lnf_bias_);
  if (!config_.tie_weights) p.push_back(&head_);
  return p;
}

template <class T>
Index Gpt<T>::num_parameters() const {
  Index total = 0;
  for (Parameter<T>* p : const_cast<Gpt<T>*>(this)->parameters()) total += p->size();
  return total;
}

template <class T>
template <class U>
void Gpt<T>::copy_values_from(Gpt<U>& other) {
  std::vector<Parameter<T>*> mine = parameters();
  std::vector<Parameter<U>*> theirs = other.parameters();
  mlc::require(mine.size() == theirs.size(), "Gpt::copy_values_from", "different architectures");
  for (std::size_t i = 0; i < mine.size(); ++i) {
    mlc::require(mine[i]->value.rows() == theirs[i]->value.rows() &&
                     mine[i]->value.cols() == theirs[i]->value.cols(),
                 "Gpt::copy_values_from", "different shapes");
    mine[i]->value = theirs[i]->value.template cast<T>();
  }
}

template <class T>
Var<T> Gpt<T>::logits(Tape<T>& tape, const Eigen::Ref<const Tokens>& tokens, Index batch,
                      std::vector<Var<T>>* attention) {
  const Index n = tokens.size();
  if (batch < 1 || n == 0 || n % batch != 0 || n / batch > config_.context) {
    throw std::invalid_argument(fmt::format(
        "Gpt::logits: {} tokens in {} sequences (need equal sequences of at most {} tokens)", n,
        batch, config_.context));
  }
  const Index len = n / batch;
  positions_.resize(n);
  for (Index i = 0; i < n; ++i) positions_(i) = static_cast<int>(i % len);
  // (2) h⁰ = E[x_t] + P[t]   [n × C]
  const Var<T> E = tape.param(wte_);
  Var<T> x = ag::add(ag::embedding(E, tokens), ag::embedding(tape.param(wpe_), positions_));
  for (Block<T>& b : blocks_) {
    // (7) x ← x + Attn(LN₁(x)) W_o,  x ← x + GELU(LN₂(x) W_fc) W_proj
    Var<T> h = ag::layer_norm(x, tape.param(b.ln1_gain), tape.param(b.ln1_bias));
    const Var<T> qkv = linear(h, tape.param(b.w_qkv), tape.param(b.b_qkv));  // [n × 3C]
    const Var<T> a = causal_self_attention(qkv, batch, config_.heads);       // [n × C]
    if (attention) attention->push_back(a);
    x = ag::add(x, linear(a, tape.param(b.w_o), tape.param(b.b_o)));
    h = ag::layer_norm(x, tape.param(b.ln2_gain), tape.param(b.ln2_bias));
    const Var<T> f = ag::gelu(linear(h, tape.param(b.w_fc), tape.param(b.b_fc)));  // [n × 4C]
    x = ag::add(x, linear(f, tape.param(b.w_proj), tape.param(b.b_proj)));
  }
  x = ag::layer_norm(x, tape.param(lnf_gain_), tape.param(lnf_bias_));
  // (8) logits = LN_f(x) Eᵀ (tied) or LN_f(x) W_headᵀ   [n × V]
  return ag::matmul_nt(x, config_.tie_weights ? E : tape.param(head_));
}

template <class T>
Var<T> Gpt<T>::loss(Tape<T>& tape, const Eigen::Ref<const Tokens>& tokens,
                    const Eigen::Ref<const Tokens>& targets, Index batch) {
  return ag::cross_entropy(logits(tape, tokens, batch), targets);  // (9)
}

double training_flops_per_step(const ModelConfig& c, Index batch) {
  const double C = static_cast<double>(c.width), T = static_cast<double>(c.context);
  const double F = static_cast<double>(c.mlp_ratio) * C, V = static_cast<double>(c.vocabulary);
  // multiply–adds per token of the forward pass: per layer the four products (3C², C², 2CF)
  // and the attention (Q Kᵀ and P V, T·C each, computed over the full T × T), then the head
  const double per_token =
      static_cast<double>(c.layers) * (3 * C * C + C * C + 2 * C * F + 2 * T * C) + C * V;
  return 2.0 * 3.0 * per_token * T * static_cast<double>(batch);  // FLOPs = 2 × MACs; ×3 fwd+bwd
}

// ---- Data -------------------------------------------------------------------------------------

CharVocabulary::CharVocabulary(const std::string& text) : index_(256, -1) {
  std::vector<bool> seen(256, false);
  for (unsigned char ch : text) seen[ch] = true;
  for (int ch = 0; ch < 256; ++ch) {
    if (seen[static_cast<std::size_t>(ch)]) {
      index_[static_cast<std::size_t>(ch)] = static_cast<int>(chars_.size());
      chars_.push_back(static_cast<char>(ch));
    }
  }
}

Tokens CharVocabulary::encode(const std::string& text) const {
  Tokens out(static_cast<Index>(text.size()));
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int id = index_[static_cast<unsigned char>(text[i])];
    if (id < 0) {
      throw mlc::DataError(fmt::format(
          "character code {} at offset {} is not in the vocabulary (built from the training "
          "text): use text from the same corpus",
          static_cast<int>(static_cast<unsigned char>(text[i])), i));
    }
    out(static_cast<Index>(i)) = id;
  }
  return out;
}

std::string CharVocabulary::decode(const Eigen::Ref<const Tokens>& tokens) const {
  std::string out;
  out.reserve(static_cast<std::size_t>(tokens.size()));
  for (Index i = 0; i < tokens.size(); ++i) {
    mlc::require(tokens(i) >= 0 && tokens(i) < size(), "CharVocabulary::decode",
                 "token id out of range");
    out.push_back(chars_[static_cast<std::size_t>(tokens(i))]);
  }
  return out;
}

Split split_tokens(const Tokens& tokens, double fraction) {
  mlc::require(fraction > 0 && fraction < 1, "split_tokens", "fraction must be in (0, 1)");
  const Index n_train = static_cast<Index>(fraction * static_cast<double>(tokens.size()));
  return {tokens.head(n_train), tokens.tail(tokens.size() - n_train)};
}

std::vector<Index> draw_offsets(const Tokens& data, Index batch, Index context, mlc::Rng& rng) {
  mlc::require(data.size() > context + 1, "draw_offsets", "the text is shorter than the context");
  std::vector<Index> offsets(static_cast<std::size_t>(batch));
  for (Index& o : offsets) o = rng.index(data.size() - context - 1);
  return offsets;
}

void fill_batch(const Tokens& data, const std::vector<Index>& offsets, Index context, Batch& out) {
  const Index B = static_cast<Index>(offsets.size());
  out.inputs.resize(B * context);
  out.targets.resize(B * context);
  for (Index b = 0; b < B; ++b) {
    const Index o = offsets[static_cast<std::size_t>(b)];
    out.inputs.segment(b * context, context) = data.segment(o, context);
    out.targets.segment(b * context, context) = data.segment(o + 1, context);
  }
}

template <class T>
double evaluate(Gpt<T>& model, Tape<T>& tape, const Tokens& data, const std::vector<Index>& offsets,
                Index batch) {
  const Index context = model.config().context;
  const std::size_t B = static_cast<std::size_t>(batch);
  mlc::require(batch > 0 && offsets.size() % B == 0, "evaluate", "offsets must fill whole batches");
  Batch b;
  std::vector<Index> chunk(B);
  double total = 0.0;
  for (std::size_t i = 0; i < offsets.size(); i += B) {
    std::copy(offsets.begin() + static_cast<std::ptrdiff_t>(i),
              offsets.begin() + static_cast<std::ptrdiff_t>(i + B), chunk.begin());
    fill_batch(data, chunk, context, b);
    tape.reset();
    total += static_cast<double>(model.loss(tape, b.inputs, b.targets, batch).item());
  }
  return total / static_cast<double>(offsets.size() / B);
}

template <class T>
Likelihood sequence_likelihood(Gpt<T>& model, Tape<T>& tape, const Tokens& data) {
  const Index context = model.config().context, group = 16;
  Likelihood out;
  Index start = 0;
  while (start + 1 < data.size()) {
    // `group` windows of T inputs at start, start + T, ..., or one shorter last window
    const Index full = (data.size() - 1 - start) / context;
    const Index windows = std::min(group, full);
    const Index len = windows > 0 ? context : data.size() - 1 - start;
    const Index count = std::max<Index>(windows, 1);
    Tokens inputs(count * len), targets(count * len);
    for (Index w = 0; w < count; ++w) {
      inputs.segment(w * len, len) = data.segment(start + w * len, len);
      targets.segment(w * len, len) = data.segment(start + w * len + 1, len);
    }
    tape.reset();
    out.nll += static_cast<double>(model.loss(tape, inputs, targets, count).item()) *
               static_cast<double>(count * len);
    out.predicted += count * len;
    start += count * len;
  }
  return out;
}

// ---- Training ---------------------------------------------------------------------------------

double learning_rate_at(const TrainConfig& c, long step) {
  // BEGIN EXERCISE learning_rate_schedule: (10) linear warm-up, then cosine decay to the minimum
  if (step < c.warmup_steps) {
    return c.learning_rate * static_cast<double>(step + 1) / static_cast<double>(c.warmup_steps);
  }
  const double span = static_cast<double>(std::max<long>(c.steps - 1 - c.warmup_steps, 1));
  const double progress = std::min(1.0, static_cast<double>(step - c.warmup_steps) / span);
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return c.min_learning_rate + cosine * (c.learning_rate - c.min_learning_rate);
  // END EXERCISE
}

template <class T>
double clip_grad_norm(const std::vector<Parameter<T>*>& params, double max_norm) {
  double squares = 0.0;  // in a fixed order, in double: the same on any thread count
  for (const Parameter<T>* p : params) squares += p->grad.template cast<double>().squaredNorm();
  const double norm = std::sqrt(squares);
  if (max_norm > 0 && norm > max_norm) {  // (11)
    const T factor = static_cast<T>(max_norm / norm);
    for (Parameter<T>* p : params) p->grad *= factor;
  }
  return norm;
}

Trainer::Trainer(Gpt<float>& model, const TrainConfig& config, const Tokens& train,
                 const Tokens& val, const mlc::Rng& rng)
    : model_(model),
      config_(config),
      train_(train),
      val_(val),
      batch_rng_(rng.derive(1)),
      params_(model.parameters()),
      adam_(ag::AdamConfig<float>{.learning_rate = static_cast<float>(config.learning_rate),
                                  .beta1 = static_cast<float>(config.beta1),
                                  .beta2 = static_cast<float>(config.beta2),
                                  .epsilon = 1e-8f,
                                  .weight_decay = static_cast<float>(config.weight_decay)}) {
  mlc::Rng eval_rng = rng.derive(2);
  const Index n = config.eval_batches * config.batch, T = model.config().context;
  eval_train_ = draw_offsets(train, n, T, eval_rng);
  eval_val_ = draw_offsets(val, n, T, eval_rng);
}

double Trainer::step() {
  const Index T = model_.config().context;
  adam_.config().learning_rate = static_cast<float>(learning_rate_at(config_, step_));
  fill_batch(train_, draw_offsets(train_, config_.batch, T, batch_rng_), T, batch_);
  tape_.reset();
  const Var<float> loss = model_.loss(tape_, batch_.inputs, batch_.targets, config_.batch);
  ag::zero_grad(params_);
  tape_.backward(loss);
  clip_grad_norm(params_, config_.grad_clip);
  adam_.step(params_);  // (12) AdamW
  ++step_;
  return static_cast<double>(loss.item());
}

void Trainer::evaluate_now() {
  history_.eval_step.push_back(static_cast<double>(step_));
  history_.train_loss.push_back(evaluate(model_, tape_, train_, eval_train_, config_.batch));
  history_.val_loss.push_back(evaluate(model_, tape_, val_, eval_val_, config_.batch));
}

void Trainer::run(const std::filesystem::path& checkpoint,
                  const std::function<void(long, double)>& on_step) {
  while (step_ < config_.steps) {
    if (config_.eval_every > 0 && step_ % config_.eval_every == 0) evaluate_now();
    mlc::Timer timer;
    const double loss = step();
    const double seconds = timer.seconds();
    history_.train_seconds += seconds;
    history_.run_seconds += seconds;
    ++history_.steps_run;
    history_.step_loss.push_back(loss);
    if (on_step) on_step(step_, loss);
    if (!checkpoint.empty() && config_.checkpoint_every > 0 &&
        step_ % config_.checkpoint_every == 0) {
      save(checkpoint);
    }
  }
  if (history_.eval_step.empty() || history_.eval_step.back() != static_cast<double>(step_)) {
    evaluate_now();
  }
  if (!checkpoint.empty()) save(checkpoint);
}

std::string Trainer::fingerprint() const {
  const ModelConfig& m = model_.config();
  const TrainConfig& c = config_;
  return fmt::format(
      "V{} T{} C{} L{} H{} F{} tie{} | steps{} B{} lr{} min{} warm{} wd{} b{}/{} clip{} "
      "eval{}x{} | train{} val{}",
      m.vocabulary, m.context, m.width, m.layers, m.heads, m.mlp_ratio, m.tie_weights, c.steps,
      c.batch, c.learning_rate, c.min_learning_rate, c.warmup_steps, c.weight_decay, c.beta1,
      c.beta2, c.grad_clip, c.eval_every, c.eval_batches, train_.size(), val_.size());
}

namespace {
Eigen::MatrixXd as_row(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::MatrixXd>(v.data(), 1, static_cast<Index>(v.size()));
}
std::vector<double> from_row(const Eigen::MatrixXd& m) {
  return std::vector<double>(m.data(), m.data() + m.size());
}
}  // namespace

void Trainer::save(const std::filesystem::path& file) const {
  mlc::Checkpoint ck;
  ck.put_string("config", fingerprint());
  ck.put_int("step", step_);
  ck.put_int("adam.t", adam_.steps());
  ck.put_string("rng.batches", batch_rng_.state());
  for (const Parameter<float>* p : params_) {
    ck.put(p->name, p->value);
    const bool has_moments = p->moment1.size() == p->value.size();
    ck.put("adam.m." + p->name,
           has_moments ? p->moment1 : Matrix<float>::Zero(p->value.rows(), p->value.cols()));
    ck.put("adam.v." + p->name,
           has_moments ? p->moment2 : Matrix<float>::Zero(p->value.rows(), p->value.cols()));
  }
  ck.put("history.step_loss", as_row(history_.step_loss));
  ck.put("history.eval_step", as_row(history_.eval_step));
  ck.put("history.train_loss", as_row(history_.train_loss));
  ck.put("history.val_loss", as_row(history_.val_loss));
  ck.put("history.train_seconds", Eigen::MatrixXd::Constant(1, 1, history_.train_seconds));
  ck.save(file);
}

void Trainer::load(const std::filesystem::path& file) {
  const mlc::Checkpoint ck = mlc::Checkpoint::load(file);
  ck.require_string("config", fingerprint());
  step_ = static_cast<long>(ck.get_int("step"));
  batch_rng_.set_state(ck.get_string("rng.batches"));
  for (Parameter<float>* p : params_) {
    ck.get(p->name, p->value);
    p->moment1.resize(p->value.rows(), p->value.cols());
    p->moment2.resize(p->value.rows(), p->value.cols());
    ck.get("adam.m." + p->name, p->moment1);
    ck.get("adam.v." + p->name, p->moment2);
  }
  // The engine's Adam keeps its step count t private: a fresh one replays t empty steps (no
  // parameters, only t advances), so the bias corrections (12) continue where they stopped.
  ag::Adam<float> adam(adam_.config());
  const long t = static_cast<long>(ck.get_int("adam.t"));
  for (long i = 0; i < t; ++i) adam.step(std::span<Parameter<float>* const>{});
  adam_ = adam;
  history_.step_loss = from_row(ck.matrix_d("history.step_loss"));
  history_.eval_step = from_row(ck.matrix_d("history.eval_step"));
  history_.train_loss = from_row(ck.matrix_d("history.train_loss"));
  history_.val_loss = from_row(ck.matrix_d("history.val_loss"));
  history_.train_seconds = ck.matrix_d("history.train_seconds")(0, 0);
  history_.resumed_from = step_;
}

// ---- Sampling ---------------------------------------------------------------------------------

Eigen::VectorXd sampling_distribution(const Eigen::Ref<const Eigen::VectorXd>& z,
                                      double temperature, Index top_k) {
  mlc::require(z.size() > 0 && temperature >= 0 && top_k >= 0, "sampling_distribution",
               "need logits, temperature ≥ 0 and top_k ≥ 0");
  Eigen::VectorXd p = Eigen::VectorXd::Zero(z.size());
  Index best = 0;
  z.maxCoeff(&best);
  if (temperature == 0.0) {  // the limit τ → 0: all mass on the arg max (greedy decoding)
    p(best) = 1.0;
    return p;
  }
  // BEGIN EXERCISE sampling_distribution: (13) softmax(z / τ) over the k largest logits
  double threshold = -std::numeric_limits<double>::infinity();
  if (top_k > 0 && top_k < z.size()) {
    std::vector<double> sorted(z.data(), z.data() + z.size());
    std::nth_element(sorted.begin(), sorted.begin() + (top_k - 1), sorted.end(),
                     std::greater<double>());
    threshold = sorted[static_cast<std::size_t>(top_k - 1)];  // ties with the k-th are kept
  }
  const double m = z(best);
  for (Index i = 0; i < z.size(); ++i) {
    if (z(i) >= threshold) p(i) = std::exp((z(i) - m) / temperature);
  }
  p /= p.sum();
  // END EXERCISE
  return p;
}

template <class T>
Tokens generate(Gpt<T>& model, Tape<T>& tape, const Tokens& prompt, Index count, double temperature,
                Index top_k, mlc::Rng& rng) {
  mlc::require(prompt.size() > 0, "generate", "the prompt needs at least one token");
  const Index context = model.config().context;
  Tokens sequence(prompt.size() + count);
  sequence.head(prompt.size()) = prompt;
  for (Index i = prompt.size(); i < sequence.size(); ++i) {
    const Index len = std::min(i, context);
    tape.reset();
    const Var<T> z = model.logits(tape, sequence.segment(i - len, len), 1);
    const Eigen::VectorXd p = sampling_distribution(
        z.value().row(len - 1).transpose().template cast<double>(), temperature, top_k);
    double u = rng.uniform();  // inverse transform on the cumulative distribution
    Index token = p.size() - 1;
    for (Index k = 0; k < p.size(); ++k) {
      if (p(k) == 0.0) continue;
      if (u < p(k)) {
        token = k;
        break;
      }
      u -= p(k);
    }
    while (p(token) == 0.0) --token;  // rounding left u past the end: the last candidate
    sequence(i) = static_cast<int>(token);
  }
  return sequence.tail(count);
}

double distinct_ngram_ratio(const std::string& text, int n) {
  mlc::require(n > 0 && text.size() >= static_cast<std::size_t>(n), "distinct_ngram_ratio",
               "the text is shorter than n");
  std::unordered_set<std::string_view> seen;
  const std::size_t count = text.size() - static_cast<std::size_t>(n) + 1;
  for (std::size_t i = 0; i < count; ++i) {
    seen.insert(std::string_view(text).substr(i, static_cast<std::size_t>(n)));
  }
  return static_cast<double>(seen.size()) / static_cast<double>(count);
}

Index longest_repeated_substring(const std::string& text) {
  // run[j] = length of the common suffix of text[..i] and text[..j] (j < i), row by row
  const std::size_t n = text.size();
  std::vector<Index> run(n + 1, 0), next(n + 1, 0);
  Index best = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j < i; ++j) {
      next[j] = text[i - 1] == text[j - 1] ? run[j - 1] + 1 : 0;
      best = std::max(best, next[j]);
    }
    std::swap(run, next);
  }
  return best;
}

// ---- Instantiations ---------------------------------------------------------------------------

#define TLM_INSTANTIATE(T)                                                                         \
  template Var<T> linear<T>(const Var<T>&, const Var<T>&, const Var<T>&);                          \
  template Var<T> causal_self_attention<T>(const Var<T>&, Index, Index);                           \
  template Var<T> causal_self_attention_reference<T>(const Var<T>&, Index, Index);                 \
  template Matrix<T> attention_map<T>(const Var<T>&, Index, Index);                                \
  template class Gpt<T>;                                                                           \
  template double evaluate<T>(Gpt<T>&, Tape<T>&, const Tokens&, const std::vector<Index>&, Index); \
  template Likelihood sequence_likelihood<T>(Gpt<T>&, Tape<T>&, const Tokens&);                    \
  template double clip_grad_norm<T>(const std::vector<Parameter<T>*>&, double);                    \
  template Tokens generate<T>(Gpt<T>&, Tape<T>&, const Tokens&, Index, double, Index, mlc::Rng&);

TLM_INSTANTIATE(float)
TLM_INSTANTIATE(double)
#undef TLM_INSTANTIATE
template void Gpt<double>::copy_values_from<float>(Gpt<float>&);
template void Gpt<float>::copy_values_from<double>(Gpt<double>&);

}  // namespace transformer_language_model
