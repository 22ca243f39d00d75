// transformer.hpp: a small transformer-style sequence model built from the attention layer
// (one or two blocks of pre-norm self-attention and an MLP), the three tasks it is trained
// on (reversal, sorting, associative recall), minibatch training with AdamW, warm-up and
// cosine decay, and per-token and per-sequence accuracy.
//
// Sources: Vaswani et al. (2017) §3.1 (the block, with the norm moved before each sublayer
// as in GPT-2: Radford et al. 2019, §2.3); Xiong et al., "On layer normalization in the
// transformer architecture", ICML (2020) (why pre-norm trains without warm-up tricks);
// Ba, Hinton et al., "Using fast weights to attend to the recent past", NeurIPS (2016), and
// Olsson et al., "In-context learning and induction heads" (2022): associative recall.
// Equation numbers (n) refer to NOTES.md.
//
// Symbols as in attention.hpp: B sequences of T tokens, width C, H heads, F the MLP's hidden
// width, V the vocabulary. Tokens of a batch are one vector of B·T ids, sequence b at
// b·T ... b·T + T − 1; the model's logits are (B·T) × V, one row per position.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "attention.hpp"
#include "autograd.hpp"
#include "mlc/rng.hpp"

namespace attention {

enum class Positions { none, sinusoidal, learned };
std::string positions_name(Positions p);  // "none", "sinusoidal", "learned"

struct ModelConfig {
  Index vocabulary = 10;  // V
  Index length = 8;       // T: positions of a sequence (the learned table has T rows)
  Index width = 64;       // C
  Index heads = 4;        // H
  Index layers = 2;
  Index hidden = 128;  // F
  Positions positions = Positions::learned;
  AttentionConfig attention = {};
};

// (11) H_0 = E_tok[x] + E_pos,  for each block l:
//   A_l = H_{l−1} + MHA_l(LN(H_{l−1})),  H_l = A_l + W_2,l relu(W_1,l LN(A_l) + b_1,l) + b_2,l
// logits = LN(H_L) W_out + b_out   [(B·T) × V]
template <class T>
struct Block {
  Parameter<T> ln1_gain, ln1_bias, ln2_gain, ln2_bias;  // [1 × C], not decayed
  MultiHeadAttention<T> attention;
  Parameter<T> w1, b1, w2, b2;  // [C × F], [1 × F], [F × C], [1 × C]
};

template <class T>
class SequenceModel {
 public:
  // Token embeddings N(0, 1), learned positions N(0, 1) (the sinusoidal table's entries have
  // RMS 1/√2), attention weights as MultiHeadAttention, W_1 He, W_2 and W_out N(0, 1/fan-in),
  // biases 0, gains 1; every draw from rng.
  SequenceModel(const ModelConfig& config, mlc::Rng& rng);
  SequenceModel(const SequenceModel&) = delete;  // parameters() hands out pointers
  SequenceModel& operator=(const SequenceModel&) = delete;

  // The logits of tokens (B·T ids, B = tokens.size() / T) on tape   [(B·T) × V]
  Var<T> logits(Tape<T>& tape, const Eigen::Ref<const Eigen::VectorXi>& tokens);
  // The attention weights of block l in the last forward, (B·H·T) × T.
  Eigen::Ref<const Matrix<T>> attention_weights(std::size_t layer) const {
    return blocks_[layer].attention.weights();
  }

  std::vector<Parameter<T>*> parameters();
  Index num_parameters();
  const ModelConfig& config() const { return config_; }

 private:
  ModelConfig config_;
  Parameter<T> token_embedding_;  // [V × C]
  Parameter<T> position_table_;   // [T × C] (learned)
  Matrix<T> sinusoidal_;          // [T × C] (fixed)
  std::vector<Block<T>> blocks_;  // reserved once: no reallocation moves a parameter
  Parameter<T> final_gain_, final_bias_, w_out_, b_out_;
};

// ---- Tasks (12) ------------------------------------------------------------------------------

enum class Task { reversal, sorting, recall };
std::string task_name(Task task);  // "reversal", "sorting", "recall"

struct TaskConfig {
  Task task = Task::reversal;
  Index length = 8;    // reversal, sorting: tokens per sequence; recall: key-value pairs
  Index symbols = 10;  // reversal, sorting: the digits 0 ... symbols−1; recall: the values
  Index keys = 16;     // recall: the key alphabet
  bool causal() const { return task == Task::recall; }
  Index sequence_length() const { return task == Task::recall ? 2 * length + 1 : length; }
  Index vocabulary() const { return task == Task::recall ? keys + symbols : symbols; }
};

// A batch of B sequences: tokens and targets [B·T], and the rows that carry a loss
// (every position for reversal and sorting, the last position for recall).
struct Batch {
  Eigen::VectorXi tokens, targets;
  Eigen::VectorXi target_rows;  // rows of the logits with a target, in order
  Index sequences = 0;
  Index targets_per_sequence = 0;
};
// Draws a batch from rng into `batch` (buffers reused):
//   reversal: y_t = x_{T−1−t};  sorting: y = x sorted ascending;
//   recall: k_1 v_1 ... k_n v_n q with distinct keys, q = k_j for a random j, y = v_j.
void draw_batch(const TaskConfig& task, Index sequences, mlc::Rng& rng, Batch& batch);

// ---- Training ----------------------------------------------------------------------------

struct TrainConfig {
  long steps = 1000;
  Index batch_size = 64;
  double learning_rate = 3e-3;  // peak, after warm-up
  long warmup_steps = 100;      // linear warm-up, then cosine decay to 0 (13)
  double weight_decay = 0.01;   // AdamW (decoupled), not on gains, biases, embeddings
  long evaluate_every = 0;      // > 0: evaluate on the held-out set every that many steps
  std::uint64_t seed = 0;       // the training batches
  bool progress = false;        // a progress line on stderr
};

struct Accuracy {
  double loss = 0.0;      // mean cross-entropy per target token
  double token = 0.0;     // fraction of target tokens predicted right
  double sequence = 0.0;  // fraction of sequences with every target token right
};

struct TrainTrace {
  std::vector<double> step_loss;            // minibatch loss of every step
  std::vector<double> eval_step;            // steps at which the held-out set was scored
  std::vector<double> eval_token_accuracy;  // and its accuracies
  std::vector<double> eval_sequence_accuracy;
  double seconds = 0.0;  // wall time of the training steps
};

// (13) The learning rate at step s (0-based) of n: η s'/w for s' = s + 1 ≤ w, then
// η (1 + cos(π (s' − w)/(n − w)))/2.
double learning_rate_at(long step, const TrainConfig& config);

// The loss (12) of a batch on tape: the mean cross-entropy over its target rows.
template <class T>
Var<T> batch_loss(SequenceModel<T>& model, Tape<T>& tape, const Batch& batch);

template <class T>
TrainTrace train(SequenceModel<T>& model, const TaskConfig& task, const TrainConfig& config,
                 const Batch& held_out);

// Loss and accuracies on a held-out set (one forward pass, no backward).
template <class T>
Accuracy evaluate(SequenceModel<T>& model, const Batch& held_out);

extern template class SequenceModel<float>;
extern template class SequenceModel<double>;

}  // namespace attention
