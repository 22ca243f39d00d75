// transformer.cpp: the sequence model (11), the tasks (12), the schedule (13), training and
// evaluation. Shapes in the comments; equation numbers (n) refer to NOTES.md.
#include "transformer.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "mlc/timer.hpp"

namespace attention {

namespace ag = autograd;

std::string positions_name(Positions p) {
  switch (p) {
    case Positions::none:
      return "none";
    case Positions::sinusoidal:
      return "sinusoidal";
    default:
      return "learned";
  }
}

std::string task_name(Task task) {
  switch (task) {
    case Task::reversal:
      return "reversal";
    case Task::sorting:
      return "sorting";
    default:
      return "recall";
  }
}

namespace {
template <class T>
Matrix<T> normal(mlc::Rng& rng, Index rows, Index cols, double sd) {
  return rng.normal_matrix(rows, cols, 0.0, sd).template cast<T>();
}
template <class T>
Parameter<T> ones(const char* name, Index cols) {
  return Parameter<T>(name, Matrix<T>::Ones(1, cols), false);
}
template <class T>
Parameter<T> zeros(const char* name, Index cols) {
  return Parameter<T>(name, Matrix<T>::Zero(1, cols), false);
}
}  // namespace

template <class T>
SequenceModel<T>::SequenceModel(const ModelConfig& config, mlc::Rng& rng) : config_(config) {
  const Index V = config.vocabulary, L = config.length, C = config.width, F = config.hidden;
  mlc::require(V >= 2 && L >= 1 && C >= 2 && F >= 1 && config.layers >= 1, "SequenceModel",
               fmt::format("vocabulary {}, length {}, width {}, hidden {}, layers {}", V, L, C, F,
                           config.layers));
  token_embedding_ = Parameter<T>("E_tok", normal<T>(rng, V, C, 1.0), false);
  if (config.positions == Positions::learned)
    position_table_ = Parameter<T>("E_pos", normal<T>(rng, L, C, 1.0), false);
  if (config.positions == Positions::sinusoidal)
    sinusoidal_ = sinusoidal_encoding(L, C).template cast<T>();
  blocks_.reserve(static_cast<std::size_t>(config.layers));
  for (Index l = 0; l < config.layers; ++l) {
    blocks_.push_back(Block<T>{
        ones<T>("ln1_gain", C), zeros<T>("ln1_bias", C), ones<T>("ln2_gain", C),
        zeros<T>("ln2_bias", C), MultiHeadAttention<T>(C, config.heads, rng, config.attention),
        Parameter<T>("W1", normal<T>(rng, C, F, std::sqrt(2.0 / C))), zeros<T>("b1", F),
        Parameter<T>("W2", normal<T>(rng, F, C, std::sqrt(1.0 / F))), zeros<T>("b2", C)});
  }
  final_gain_ = ones<T>("lnf_gain", C);
  final_bias_ = zeros<T>("lnf_bias", C);
  w_out_ = Parameter<T>("W_out", normal<T>(rng, C, V, std::sqrt(1.0 / C)));
  b_out_ = zeros<T>("b_out", V);
}

template <class T>
Var<T> SequenceModel<T>::logits(Tape<T>& tape, const Eigen::Ref<const Eigen::VectorXi>& tokens) {
  const Index L = config_.length;
  mlc::require(tokens.size() >= L && tokens.size() % L == 0, "SequenceModel::logits",
               fmt::format("{} tokens are not whole sequences of {}", tokens.size(), L));
  const Index batch = tokens.size() / L;
  // (11) H_0 = E_tok[x] (+ E_pos)   [(B·T) × C]
  Var<T> h = ag::embedding(tape.param(token_embedding_), tokens);
  if (config_.positions == Positions::learned)
    h = add_positions(h, tape.param(position_table_), batch);
  else if (config_.positions == Positions::sinusoidal)
    h = add_positions(h, tape.input(sinusoidal_), batch);
  for (Block<T>& b : blocks_) {
    // (11) A = H + MHA(LN(H));  H ← A + MLP(LN(A))
    const Var<T> a =
        h + b.attention.forward(ag::layer_norm(h, tape.param(b.ln1_gain), tape.param(b.ln1_bias)),
                                batch);
    const Var<T> hidden =
        ag::relu(ag::matmul(ag::layer_norm(a, tape.param(b.ln2_gain), tape.param(b.ln2_bias)),
                            tape.param(b.w1)) +
                 tape.param(b.b1));  // [(B·T) × F]
    h = a + (ag::matmul(hidden, tape.param(b.w2)) + tape.param(b.b2));
  }
  const Var<T> top = ag::layer_norm(h, tape.param(final_gain_), tape.param(final_bias_));
  return ag::matmul(top, tape.param(w_out_)) + tape.param(b_out_);  // [(B·T) × V]
}

template <class T>
std::vector<Parameter<T>*> SequenceModel<T>::parameters() {
  std::vector<Parameter<T>*> p{&token_embedding_};
  if (config_.positions == Positions::learned) p.push_back(&position_table_);
  for (Block<T>& b : blocks_) {
    p.insert(p.end(), {&b.ln1_gain, &b.ln1_bias, &b.ln2_gain, &b.ln2_bias});
    for (Parameter<T>* q : b.attention.parameters()) p.push_back(q);
    p.insert(p.end(), {&b.w1, &b.b1, &b.w2, &b.b2});
  }
  p.insert(p.end(), {&final_gain_, &final_bias_, &w_out_, &b_out_});
  return p;
}

template <class T>
Index SequenceModel<T>::num_parameters() {
  Index n = 0;
  for (const Parameter<T>* p : parameters()) n += p->size();
  return n;
}

// ---- Tasks (12) ------------------------------------------------------------------------------

void draw_batch(const TaskConfig& task, Index sequences, mlc::Rng& rng, Batch& batch) {
  mlc::require(sequences >= 1 && task.length >= 1 && task.symbols >= 2, "draw_batch",
               "needs at least one sequence, one position and two symbols");
  mlc::require(
      task.task != Task::recall || task.keys >= task.length, "draw_batch",
      fmt::format("recall needs {} distinct keys from an alphabet of {}", task.length, task.keys));
  const Index T = task.sequence_length();
  const bool last_only = task.task == Task::recall;
  batch.sequences = sequences;
  batch.targets_per_sequence = last_only ? 1 : T;
  batch.tokens.resize(sequences * T);
  batch.targets.resize(sequences * batch.targets_per_sequence);
  batch.target_rows.resize(batch.targets.size());
  for (Index b = 0; b < sequences; ++b) {
    auto x = batch.tokens.segment(b * T, T);
    if (task.task == Task::recall) {
      // k_1 v_1 ... k_n v_n q: keys are ids 0 ... keys−1, values keys ... keys + symbols − 1
      const std::vector<Index> keys = rng.sample_without_replacement(task.keys, task.length);
      for (Index i = 0; i < task.length; ++i) {
        x(2 * i) = static_cast<int>(keys[static_cast<std::size_t>(i)]);
        x(2 * i + 1) = static_cast<int>(task.keys + rng.index(task.symbols));
      }
      const Index j = rng.index(task.length);
      x(T - 1) = x(2 * j);
      batch.targets(b) = x(2 * j + 1);
      batch.target_rows(b) = static_cast<int>(b * T + T - 1);
      continue;
    }
    for (Index t = 0; t < T; ++t) x(t) = static_cast<int>(rng.index(task.symbols));
    auto y = batch.targets.segment(b * T, T);
    if (task.task == Task::reversal) {
      y = x.reverse();
    } else {
      y = x;
      std::sort(y.begin(), y.end());
    }
    for (Index t = 0; t < T; ++t) batch.target_rows(b * T + t) = static_cast<int>(b * T + t);
  }
}

// ---- Training ----------------------------------------------------------------------------

double learning_rate_at(long step, const TrainConfig& config) {
  const double s = static_cast<double>(step + 1), w = static_cast<double>(config.warmup_steps);
  const double n = static_cast<double>(config.steps);
  // BEGIN EXERCISE learning_rate_schedule: (13) linear warm-up over w steps, then cosine decay to 0
  if (s <= w) return config.learning_rate * s / w;
  const double progress = n > w ? (s - w) / (n - w) : 1.0;
  return config.learning_rate * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  // END EXERCISE
}

template <class T>
Var<T> batch_loss(SequenceModel<T>& model, Tape<T>& tape, const Batch& batch) {
  const Var<T> logits = model.logits(tape, batch.tokens);  // [(B·T) × V]
  if (batch.target_rows.size() == logits.rows()) return ag::cross_entropy(logits, batch.targets);
  // (12) only the rows with a target: gathered (the embedding op is a row gather whose
  // backward scatters the gradient back)   [targets × V]
  return ag::cross_entropy(ag::embedding(logits, batch.target_rows), batch.targets);
}

template <class T>
Accuracy evaluate(SequenceModel<T>& model, const Batch& held_out) {
  Tape<T> tape;
  const Var<T> logits = model.logits(tape, held_out.tokens);
  const Var<T> loss =
      ag::cross_entropy(ag::embedding(logits, held_out.target_rows), held_out.targets);
  Accuracy acc;
  acc.loss = static_cast<double>(loss.item());
  const Index per = held_out.targets_per_sequence;
  long right_tokens = 0, right_sequences = 0;
  for (Index b = 0; b < held_out.sequences; ++b) {
    bool all = true;
    for (Index i = b * per; i < (b + 1) * per; ++i) {
      Index predicted = 0;
      logits.value().row(held_out.target_rows(i)).maxCoeff(&predicted);
      const bool right = predicted == held_out.targets(i);
      right_tokens += right;
      all = all && right;
    }
    right_sequences += all;
  }
  acc.token = static_cast<double>(right_tokens) / static_cast<double>(held_out.targets.size());
  acc.sequence = static_cast<double>(right_sequences) / static_cast<double>(held_out.sequences);
  return acc;
}

template <class T>
TrainTrace train(SequenceModel<T>& model, const TaskConfig& task, const TrainConfig& config,
                 const Batch& held_out) {
  mlc::require(config.steps >= 1 && config.batch_size >= 1 && config.warmup_steps >= 1, "train",
               "needs steps ≥ 1, batch_size ≥ 1 and warmup_steps ≥ 1");
  Tape<T> tape;
  ag::Adam<T> adam({.learning_rate = static_cast<T>(config.learning_rate),
                    .weight_decay = static_cast<T>(config.weight_decay)});
  const std::vector<Parameter<T>*> params = model.parameters();
  mlc::Rng rng(config.seed);
  Batch batch;
  TrainTrace trace;
  trace.step_loss.reserve(static_cast<std::size_t>(config.steps));
  std::optional<mlc::Progress> progress;
  if (config.progress) progress.emplace(task_name(task.task) + " steps", config.steps);
  mlc::Timer timer;
  double seconds_evaluating = 0.0;
  for (long s = 0; s < config.steps; ++s) {
    draw_batch(task, config.batch_size, rng, batch);
    adam.config().learning_rate = static_cast<T>(learning_rate_at(s, config));
    tape.reset();
    const Var<T> loss = batch_loss(model, tape, batch);
    ag::zero_grad(params);
    tape.backward(loss);
    adam.step(params);
    trace.step_loss.push_back(static_cast<double>(loss.item()));
    if (!std::isfinite(trace.step_loss.back())) break;  // diverged: the trace shows it
    if (config.evaluate_every > 0 &&
        ((s + 1) % config.evaluate_every == 0 || s + 1 == config.steps)) {
      mlc::Timer eval_timer;
      const Accuracy acc = evaluate(model, held_out);
      seconds_evaluating += eval_timer.seconds();
      trace.eval_step.push_back(static_cast<double>(s + 1));
      trace.eval_token_accuracy.push_back(acc.token);
      trace.eval_sequence_accuracy.push_back(acc.sequence);
    }
    if (progress) progress->update(s + 1, fmt::format("loss {:.4f}", trace.step_loss.back()));
  }
  if (progress) progress->finish();
  trace.seconds = timer.seconds() - seconds_evaluating;
  return trace;
}

template class SequenceModel<float>;
template class SequenceModel<double>;
template Var<float> batch_loss<float>(SequenceModel<float>&, Tape<float>&, const Batch&);
template Var<double> batch_loss<double>(SequenceModel<double>&, Tape<double>&, const Batch&);
template Accuracy evaluate<float>(SequenceModel<float>&, const Batch&);
template Accuracy evaluate<double>(SequenceModel<double>&, const Batch&);
template TrainTrace train<float>(SequenceModel<float>&, const TaskConfig&, const TrainConfig&,
                                 const Batch&);
template TrainTrace train<double>(SequenceModel<double>&, const TaskConfig&, const TrainConfig&,
                                  const Batch&);

}  // namespace attention
