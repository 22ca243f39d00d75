// transformer_language_model.hpp: a decoder-only transformer (GPT) on 3.4's autograd engine,
// trained on characters (or BPE tokens, bpe.hpp) to predict the next one; sampling with
// temperature and top-k; training with AdamW, warm-up and cosine decay, clipping and
// checkpoints that a killed run resumes from.
//
// Sources:
//   Vaswani et al., "Attention is all you need", NeurIPS (2017): scaled dot-product and
//     multi-head attention, the causal mask of the decoder.
//   Radford et al., "Language models are unsupervised multitask learners" (GPT-2, 2019):
//     pre-norm blocks, the final layer norm, the tied output head, the scaled init of the
//     residual projections.
//   Karpathy, nanoGPT (model.py, train.py, config/train_shakespeare_char.py) and llm.c: the
//     configuration, the schedule, and the hand-written attention backward.
//   Holtzman et al., "The curious case of neural text degeneration", ICLR (2020): repetition
//     at low temperature, top-k sampling.
// Equation numbers (n) refer to NOTES.md.
//
// Symbols: B = sequences per batch, T = context (time steps), n = B·T rows, C = width,
// H = heads, d = C / H the head width, V = vocabulary. A batch is B sequences stacked as
// rows: row b·T + t is position t of sequence b (the engine's batched layout).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "autograd.hpp"
#include "mlc/rng.hpp"

namespace transformer_language_model {

namespace ag = autograd;
using ag::Index;
using ag::Matrix;
using ag::Parameter;
using ag::Tape;
using ag::Var;
using Tokens = Eigen::VectorXi;

// ---- Ops added to the engine (Tape::record), threaded over fixed chunks ---------------------
// Each op splits its work into a fixed number of chunks that do not depend on the thread
// count (OpenMP runs the chunks), so every result is bitwise the same on 1 or 16 threads.

// (6) Y = X W + 1 b   x [n × k], w [k × m], b [1 × m] → [n × m]. Rows of Y (forward, dX) and
// rows of dW are computed chunk by chunk through the engine's GEMM.
template <class T>
Var<T> linear(const Var<T>& x, const Var<T>& w, const Var<T>& b);

// (3)-(5) fused causal multi-head self-attention. qkv [(B·T) × 3C] holds Q, K, V side by side
// (columns [0, C), [C, 2C), [2C, 3C)); head h uses columns h·d ... h·d + d − 1 of each.
//   S = Q_h K_hᵀ / √d,  P = softmax(S with S_ts = −∞ for s > t),  O_h = P V_h   → [(B·T) × C]
// The probabilities P are kept (node().saved, [(B·H·T) × T], block b·H + h) for backward (5)
// and for attention_map().
template <class T>
Var<T> causal_self_attention(const Var<T>& qkv, Index batch, Index heads);

// The same computation from the engine's ops (slice, batched_matmul_nt, scale, causal_mask,
// softmax, batched_matmul, concat): the reference the fused op is tested against.
template <class T>
Var<T> causal_self_attention_reference(const Var<T>& qkv, Index batch, Index heads);

// P of sequence b, head h of a causal_self_attention node   [T × T], row t = query t
template <class T>
Matrix<T> attention_map(const Var<T>& attention, Index b, Index h);

// ---- The model ------------------------------------------------------------------------------

struct ModelConfig {
  Index vocabulary = 65;    // V
  Index context = 64;       // T, the longest sequence (the position table's rows)
  Index width = 128;        // C
  Index layers = 4;         // L
  Index heads = 4;          // H, divides C
  Index mlp_ratio = 4;      // the MLP's hidden width is mlp_ratio · C
  bool tie_weights = true;  // the output head is the token embedding (GPT-2): logits = h Eᵀ
};

// Parameters of one pre-norm block (7)
template <class T>
struct Block {
  Parameter<T> ln1_gain, ln1_bias;  // [1 × C]
  Parameter<T> w_qkv, b_qkv;        // [C × 3C], [1 × 3C]
  Parameter<T> w_o, b_o;            // [C × C], [1 × C]
  Parameter<T> ln2_gain, ln2_bias;  // [1 × C]
  Parameter<T> w_fc, b_fc;          // [C × 4C], [1 × 4C]
  Parameter<T> w_proj, b_proj;      // [4C × C], [1 × C]
};

template <class T>
class Gpt {
 public:
  // Weights N(0, 0.02²), the residual projections w_o and w_proj N(0, (0.02/√(2L))²)
  // (GPT-2), biases 0, layer-norm gains 1; drawn in double from rng, so the float and double
  // models made from the same stream are the same model. AdamW decays the matrices and the
  // embeddings, not biases or gains (p.decay).
  Gpt(const ModelConfig& config, mlc::Rng& rng);
  Gpt(const Gpt&) = delete;  // parameters() hands out pointers into the model
  Gpt& operator=(const Gpt&) = delete;

  const ModelConfig& config() const { return config_; }
  std::vector<Parameter<T>*> parameters();  // fixed order: wte, wpe, blocks..., ln_f, head
  Index num_parameters() const;

  // (8) The logits of B sequences of `len` tokens (len ≤ context), tokens [B·len]: token and
  // position embeddings, L blocks (7), the final layer norm, the head   → [(B·len) × V].
  // `attention`, when given, receives each layer's causal_self_attention node.
  Var<T> logits(Tape<T>& tape, const Eigen::Ref<const Tokens>& tokens, Index batch,
                std::vector<Var<T>>* attention = nullptr);
  // (9) Mean cross-entropy of the next-token targets [B·len] (nats per token).
  Var<T> loss(Tape<T>& tape, const Eigen::Ref<const Tokens>& tokens,
              const Eigen::Ref<const Tokens>& targets, Index batch);

  // Every parameter's value as the other precision's model (float to train, double to check).
  template <class U>
  void copy_values_from(Gpt<U>& other);

 private:
  ModelConfig config_;
  Parameter<T> wte_;  // token embedding E   [V × C]
  Parameter<T> wpe_;  // position embedding  [T × C]
  std::vector<Block<T>> blocks_;
  Parameter<T> lnf_gain_, lnf_bias_;  // [1 × C]
  Parameter<T> head_;                 // [V × C], used when the weights are not tied
  Tokens positions_;                  // 0 ... len − 1 repeated B times (reused buffer)
};

// Multiply–adds of one training step (forward + backward ≈ 3 × forward) of B sequences of T
// tokens: the matrix products and the attention, for equal-compute comparisons.
double training_flops_per_step(const ModelConfig& config, Index batch);

// ---- Data -----------------------------------------------------------------------------------

// Characters ↔ token ids: the sorted distinct bytes of a text.
class CharVocabulary {
 public:
  explicit CharVocabulary(const std::string& text);
  Index size() const { return static_cast<Index>(chars_.size()); }
  Tokens encode(const std::string& text) const;  // DataError on a character it lacks
  std::string decode(const Eigen::Ref<const Tokens>& tokens) const;
  const std::string& chars() const { return chars_; }

 private:
  std::string chars_;
  std::vector<int> index_;  // byte → id, −1 where absent
};

// The first `fraction` of the tokens train, the rest validates (nanoGPT's split).
struct Split {
  Tokens train, val;
};
Split split_tokens(const Tokens& tokens, double fraction = 0.9);

// A batch as nanoGPT draws it: B windows at offsets o_b, inputs data[o_b ... o_b + T − 1],
// targets shifted by one.
struct Batch {
  Tokens inputs, targets;  // [B·T]
};
// B offsets uniform on {0 ... |data| − T − 1}
std::vector<Index> draw_offsets(const Tokens& data, Index batch, Index context, mlc::Rng& rng);
void fill_batch(const Tokens& data, const std::vector<Index>& offsets, Index context, Batch& out);

// Mean loss over fixed batches (each `batch` offsets of `offsets`), forward only.
template <class T>
double evaluate(Gpt<T>& model, Tape<T>& tape, const Tokens& data, const std::vector<Index>& offsets,
                Index batch);

// The negative log-likelihood of a whole sequence under the model, read in consecutive
// windows of T + 1 tokens that overlap by one: each window predicts its tokens 1 ... T from
// the ones before it in the window, so every token but the first is predicted once.
struct Likelihood {
  double nll = 0.0;     // Σ −log p (nats)
  Index predicted = 0;  // tokens predicted
};
template <class T>
Likelihood sequence_likelihood(Gpt<T>& model, Tape<T>& tape, const Tokens& data);

// ---- Training -------------------------------------------------------------------------------

struct TrainConfig {
  long steps = 2000;
  Index batch = 12;
  double learning_rate = 1e-3;  // peak, after warm-up
  double min_learning_rate = 1e-4;
  long warmup_steps = 100;
  double weight_decay = 0.1;
  double beta1 = 0.9, beta2 = 0.99;
  double grad_clip = 1.0;       // global-norm clipping (11); 0 turns it off
  long eval_every = 200;        // train and validation loss on the fixed batches
  Index eval_batches = 20;      // fixed batches per evaluation
  long checkpoint_every = 250;  // 0: never
};

// (10) linear warm-up to the peak, then cosine decay to the minimum at the last step.
double learning_rate_at(const TrainConfig& config, long step);

// (11) g ← g · min(1, c / ‖g‖) over all parameters; returns ‖g‖ before clipping.
template <class T>
double clip_grad_norm(const std::vector<Parameter<T>*>& params, double max_norm);

struct TrainHistory {
  std::vector<double> step_loss;                        // every step's minibatch loss
  std::vector<double> eval_step, train_loss, val_loss;  // at each evaluation
  double train_seconds = 0.0;  // wall time of all steps, resumed runs included (checkpointed)
  double run_seconds = 0.0;    // wall time of the steps this process ran
  long steps_run = 0;          // steps this process ran
  long resumed_from = 0;       // the step a resumed run started at
};

// The trainer: model, optimizer, random streams and history, checkpointed together.
class Trainer {
 public:
  // Batches are drawn from rng.derive(1); the fixed evaluation batches from rng.derive(2).
  Trainer(Gpt<float>& model, const TrainConfig& config, const Tokens& train, const Tokens& val,
          const mlc::Rng& rng);

  // Runs steps step() ... config.steps − 1 (evaluating and checkpointing as configured);
  // `checkpoint`, when not empty, is written every checkpoint_every steps and at the end.
  // `on_step(step, loss)` is called after each step (for a progress line).
  void run(const std::filesystem::path& checkpoint = {},
           const std::function<void(long, double)>& on_step = {});
  // One AdamW step (12) on a fresh batch; returns its loss.
  double step();
  void evaluate_now();  // appends to history().eval_step, train_loss, val_loss

  void save(const std::filesystem::path& file) const;
  // Restores everything save() wrote; DataError on a damaged file or another configuration.
  void load(const std::filesystem::path& file);

  long steps_done() const { return step_; }
  const TrainHistory& history() const { return history_; }
  Tape<float>& tape() { return tape_; }
  std::string fingerprint() const;  // the configuration a checkpoint must match

 private:
  Gpt<float>& model_;
  TrainConfig config_;
  const Tokens& train_;
  const Tokens& val_;
  mlc::Rng batch_rng_;
  std::vector<Index> eval_train_, eval_val_;  // fixed evaluation offsets
  std::vector<Parameter<float>*> params_;
  ag::Adam<float> adam_;
  Tape<float> tape_;
  Batch batch_;
  long step_ = 0;
  TrainHistory history_;
};

// ---- Sampling -------------------------------------------------------------------------------

// (13) Draws `count` tokens after `prompt`: at each step the logits z of the last position
// (of the last ≤ T tokens) become p ∝ exp(z / τ) over the k largest (top_k = 0: all), and a
// token is drawn from p. τ → 0 is greedy decoding.
template <class T>
Tokens generate(Gpt<T>& model, Tape<T>& tape, const Tokens& prompt, Index count, double temperature,
                Index top_k, mlc::Rng& rng);

// The distribution (13) of one logit row: softmax(z / τ) restricted to the top k
Eigen::VectorXd sampling_distribution(const Eigen::Ref<const Eigen::VectorXd>& logits,
                                      double temperature, Index top_k);

// Text statistics for the temperature failure mode: the fraction of distinct n-grams among
// all n-grams, and the length of the longest substring that occurs twice (a repetition).
double distinct_ngram_ratio(const std::string& text, int n);
Index longest_repeated_substring(const std::string& text);

}  // namespace transformer_language_model
