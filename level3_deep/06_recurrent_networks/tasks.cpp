// tasks.cpp: the adding problem, the character corpus, the two models and their training
// loops (tasks.hpp). Equation numbers (n) refer to NOTES.md.
#include "tasks.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "mlc/timer.hpp"

namespace recurrent_networks {

namespace ag = autograd;

// ---- The adding problem ------------------------------------------------------------------------

void adding_problem(Index length, Index batch, mlc::Rng& rng, SequenceBatch& out) {
  mlc::require(length >= 2 && batch >= 1, "adding_problem", "length must be ≥ 2 and batch ≥ 1");
  const Index T = length, B = batch, half = T / 2;
  out.X.resize(T * B, 2);
  out.y.resize(B, 1);
  for (Index t = 0; t < T; ++t) {
    for (Index j = 0; j < B; ++j) out.X(t * B + j, 0) = rng.uniform();
  }
  out.X.col(1).setZero();
  for (Index j = 0; j < B; ++j) {
    const Index first = rng.index(half), second = half + rng.index(T - half);
    out.X(first * B + j, 1) = 1.0;
    out.X(second * B + j, 1) = 1.0;
    out.y(j, 0) = out.X(first * B + j, 0) + out.X(second * B + j, 0);  // (10)
  }
}

SequenceBatch adding_problem(Index length, Index batch, mlc::Rng& rng) {
  SequenceBatch out;
  adding_problem(length, batch, rng, out);
  return out;
}

template <class S>
std::vector<Parameter<S>*> SequenceRegressor<S>::parameters() {
  return {&cell.W, &cell.U, &cell.b, &w_out, &b_out};
}

template <class S>
Var<S> SequenceRegressor<S>::predict(ag::Tape<S>& tape, const Var<S>& x, Index batch, bool unrolled,
                                     Var<S>* hidden) {
  const Var<S> W = tape.param(cell.W), U = tape.param(cell.U), b = tape.param(cell.b);
  const Var<S> h = unrolled ? recurrent_unrolled(cell.cell, x, W, U, b, batch)
                            : recurrent(cell.cell, x, W, U, b, batch);  // [(T·B) × H]
  if (hidden) *hidden = h;
  const Var<S> last = ag::slice_rows(h, h.rows() - batch, batch);  // h_T   [B × H]
  return ag::add(ag::matmul(last, tape.param(w_out)), tape.param(b_out));
}

template <class S>
SequenceRegressor<S> make_regressor(Cell cell, Index hidden, mlc::Rng& rng,
                                    double recurrent_scale) {
  SequenceRegressor<S> model;
  model.cell = make_cell<S>(cell, 2, hidden, rng, recurrent_scale);
  const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
  model.w_out = Parameter<S>("w_out", rng.uniform_matrix(hidden, 1, -k, k).cast<S>());
  model.b_out = Parameter<S>("b_out", Matrix<S>::Zero(1, 1), /*decay=*/false);
  return model;
}

template <class S>
Var<S> mean_squared_error(const Var<S>& prediction, const Var<S>& target) {
  const Var<S> d = ag::sub(prediction, target);
  return ag::mean(ag::mul(d, d));
}

namespace {

constexpr Index kEvalChunk = 100;  // held-out sequences per forward pass

std::vector<SequenceBatch> adding_eval_set(const AddingConfig& c) {
  mlc::Rng rng = mlc::Rng(c.seed).derive(3);
  std::vector<SequenceBatch> chunks;
  for (Index done = 0; done < c.eval_sequences; done += kEvalChunk) {
    chunks.push_back(adding_problem(c.length, std::min(kEvalChunk, c.eval_sequences - done), rng));
  }
  return chunks;
}

double adding_eval_mse(SequenceRegressor<float>& model, ag::Tape<float>& tape,
                       const std::vector<SequenceBatch>& chunks) {
  double sum = 0.0;
  Index count = 0;
  for (const SequenceBatch& chunk : chunks) {
    tape.reset();
    const Index B = chunk.y.rows();
    const Var<float> yhat = model.predict(tape, tape.input(chunk.X), B);
    sum += (yhat.value().cast<double>() - chunk.y).squaredNorm();
    count += B;
  }
  return sum / static_cast<double>(count);
}

// ‖∂L/∂h_t‖ on one batch: forward, backward, BPTT again for the norms; gradients re-zeroed.
std::vector<double> adding_dh_norms(SequenceRegressor<float>& model, const SequenceBatch& batch) {
  ag::Tape<float> tape;
  Var<float> hidden;
  const Index B = batch.y.rows();
  const Var<float> loss = mean_squared_error(
      model.predict(tape, tape.input(batch.X), B, false, &hidden), tape.input(batch.y));
  const auto params = model.parameters();
  ag::zero_grad(params);
  tape.backward(loss);
  std::vector<double> norms = hidden_gradient_norms(model.cell.cell, hidden);
  ag::zero_grad(params);
  return norms;
}

}  // namespace

double adding_constant_baseline(const AddingConfig& config) {
  double sum = 0.0;
  Index count = 0;
  for (const SequenceBatch& chunk : adding_eval_set(config)) {
    sum += (chunk.y.array() - 1.0).square().sum();
    count += chunk.y.rows();
  }
  return sum / static_cast<double>(count);
}

AddingResult train_adding(const AddingConfig& c) {
  mlc::require(c.max_steps >= 1 && c.eval_every >= 1 && c.eval_sequences >= 1 && c.batch >= 1,
               "train_adding", "max_steps, eval_every, eval_sequences and batch must be ≥ 1");
  const mlc::Rng root(c.seed);
  mlc::Rng init_rng = root.derive(1), batch_rng = root.derive(2);
  auto model = make_regressor<float>(c.cell, c.hidden, init_rng, c.recurrent_scale);
  const std::vector<Parameter<float>*> params = model.parameters();
  const std::vector<SequenceBatch> eval = adding_eval_set(c);
  AddingResult result;
  result.dh_norm_initial = adding_dh_norms(model, eval.front());
  ag::Adam<float> adam({.learning_rate = static_cast<float>(c.learning_rate)});
  const ag::Sgd<float> sgd{.learning_rate = static_cast<float>(c.learning_rate),
                           .momentum = static_cast<float>(c.momentum)};
  ag::Tape<float> tape, eval_tape;
  SequenceBatch batch;
  result.best_eval_mse = std::numeric_limits<double>::infinity();
  mlc::Timer timer;
  for (long step = 1; step <= c.max_steps; ++step) {
    adding_problem(c.length, c.batch, batch_rng, batch);
    tape.reset();
    const Var<float> loss =
        mean_squared_error(model.predict(tape, tape.input(batch.X), c.batch), tape.input(batch.y));
    ag::zero_grad(params);
    tape.backward(loss);
    const double norm =
        c.clip > 0 ? clip_gradient_norm(params, c.clip) : global_gradient_norm(params);
    result.step_loss.push_back(loss.item());
    result.gradient_norm.push_back(norm);
    result.steps = step;
    if (!std::isfinite(loss.item()) || !std::isfinite(norm)) {
      result.diverged = true;
      break;
    }
    if (c.optimizer == Optimizer::adam) {
      adam.step(params);
    } else {
      sgd.step(params);
    }
    if (step % c.eval_every == 0 || step == c.max_steps) {
      const double mse = adding_eval_mse(model, eval_tape, eval);
      result.eval_step.push_back(static_cast<double>(step));
      result.eval_mse.push_back(mse);
      result.final_eval_mse = mse;
      if (std::isfinite(mse)) result.best_eval_mse = std::min(result.best_eval_mse, mse);
      if (!std::isfinite(mse)) {
        result.diverged = true;
        break;
      }
      if (mse < c.success_mse && !result.solved) {
        result.solved = true;
        result.steps_to_solve = step;
        if (c.stop_when_solved) break;
      }
    }
  }
  result.seconds = timer.seconds();
  if (result.eval_mse.empty()) result.final_eval_mse = std::nan("");
  if (!result.diverged) result.dh_norm_final = adding_dh_norms(model, eval.front());
  return result;
}

// ---- The character model
// -------------------------------------------------------------------------

Corpus load_corpus(const std::filesystem::path& file, double validation_fraction) {
  mlc::require(validation_fraction > 0.0 && validation_fraction < 1.0, "load_corpus",
               "validation_fraction must be in (0, 1)");
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw mlc::DataError(fmt::format(
        "{}: cannot read the character corpus; restore it with git checkout data/ (it is "
        "vendored, data/README.md) or point MLC_DATA_DIR at a folder holding it",
        file.string()));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (text.size() < 10000) {
    throw mlc::DataError(fmt::format(
        "{}: {} bytes, too short for a character model (tiny-shakespeare has about 1.1 MB); "
        "restore it with git checkout data/",
        file.string(), text.size()));
  }
  Corpus corpus;
  std::array<int, 256> index{};
  index.fill(-1);
  for (unsigned char ch : text) index[ch] = 0;
  for (int ch = 0; ch < 256; ++ch) {
    if (index[static_cast<std::size_t>(ch)] == 0) {
      index[static_cast<std::size_t>(ch)] = static_cast<int>(corpus.vocabulary.size());
      corpus.vocabulary += static_cast<char>(ch);
    }
  }
  corpus.ids.reserve(text.size());
  for (unsigned char ch : text) corpus.ids.push_back(index[ch]);
  corpus.train_size =
      static_cast<Index>(static_cast<double>(text.size()) * (1.0 - validation_fraction));
  std::vector<double> counts(corpus.vocabulary.size(), 0.0);
  for (Index i = 0; i < corpus.train_size; ++i)
    counts[static_cast<std::size_t>(corpus.ids[i])] += 1;
  for (double n : counts) {
    if (n > 0) {
      const double p = n / static_cast<double>(corpus.train_size);
      corpus.unigram_entropy -= p * std::log(p);
    }
  }
  return corpus;
}

template <class S>
std::vector<Parameter<S>*> CharModel<S>::parameters() {
  return {&embedding, &cell.W, &cell.U, &cell.b, &w_out, &b_out};
}

template <class S>
Var<S> CharModel<S>::logits(ag::Tape<S>& tape, const Eigen::VectorXi& indices, Index batch) {
  const Var<S> x = ag::embedding(tape.param(embedding), indices);  // [(T·B) × E]
  const Var<S> h = recurrent(cell.cell, x, tape.param(cell.W), tape.param(cell.U),
                             tape.param(cell.b), batch);                // [(T·B) × H]
  return ag::add(ag::matmul(h, tape.param(w_out)), tape.param(b_out));  // [(T·B) × V]
}

template <class S>
CharModel<S> make_char_model(Cell cell, Index vocabulary, Index embed, Index hidden,
                             mlc::Rng& rng) {
  CharModel<S> model;
  model.embedding =
      Parameter<S>("embedding", rng.normal_matrix(vocabulary, embed, 0.0, 1.0).cast<S>());
  model.cell = make_cell<S>(cell, embed, hidden, rng);
  const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
  model.w_out = Parameter<S>("w_out", rng.uniform_matrix(hidden, vocabulary, -k, k).cast<S>());
  model.b_out = Parameter<S>("b_out", Matrix<S>::Zero(1, vocabulary), /*decay=*/false);
  return model;
}

namespace {

// Chunks starting at `offsets` as time-major inputs and next-character targets   [(T·B)]
void gather_chunks(const Corpus& corpus, const std::vector<Index>& offsets, Index length,
                   Eigen::VectorXi& inputs, Eigen::VectorXi& targets) {
  const Index B = static_cast<Index>(offsets.size());
  inputs.resize(length * B);
  targets.resize(length * B);
  for (Index t = 0; t < length; ++t) {
    for (Index j = 0; j < B; ++j) {
      const std::size_t at = static_cast<std::size_t>(offsets[static_cast<std::size_t>(j)] + t);
      inputs(t * B + j) = corpus.ids[at];
      targets(t * B + j) = corpus.ids[at + 1];
    }
  }
}

double char_eval_loss(CharModel<float>& model, const Corpus& corpus, const CharConfig& c,
                      ag::Tape<float>& tape) {
  const Index available = static_cast<Index>(corpus.ids.size()) - corpus.train_size - c.length - 1;
  const Index stride = std::max<Index>(1, available / c.eval_chunks);
  double sum = 0.0;
  Index chunks = 0;
  Eigen::VectorXi inputs, targets;
  std::vector<Index> offsets;
  for (Index k = 0; k < c.eval_chunks; k += c.batch) {
    offsets.clear();
    for (Index j = k; j < std::min(c.eval_chunks, k + c.batch); ++j) {
      offsets.push_back(corpus.train_size + std::min(j * stride, available));
    }
    gather_chunks(corpus, offsets, c.length, inputs, targets);
    tape.reset();
    const Index B = static_cast<Index>(offsets.size());
    sum +=
        ag::cross_entropy(model.logits(tape, inputs, B), targets).item() * static_cast<double>(B);
    chunks += B;
  }
  return sum / static_cast<double>(chunks);
}

}  // namespace

CharResult train_char_model(const Corpus& corpus, const CharConfig& c) {
  const Index V = static_cast<Index>(corpus.vocabulary.size());
  mlc::require(corpus.train_size > c.length + 1 &&
                   static_cast<Index>(corpus.ids.size()) - corpus.train_size > c.length + 1,
               "train_char_model", "both splits must be longer than one chunk");
  const mlc::Rng root(c.seed);
  mlc::Rng init_rng = root.derive(1), batch_rng = root.derive(2);
  auto model = make_char_model<float>(c.cell, V, c.embed, c.hidden, init_rng);
  const std::vector<Parameter<float>*> params = model.parameters();
  CharResult result;
  for (const Parameter<float>* p : params) result.parameters += static_cast<long>(p->size());
  ag::Adam<float> adam({.learning_rate = static_cast<float>(c.learning_rate)});
  ag::Tape<float> tape, eval_tape;
  Eigen::VectorXi inputs, targets;
  std::vector<Index> offsets(static_cast<std::size_t>(c.batch));
  mlc::Progress progress(fmt::format("{} character model", cell_name(c.cell)), c.steps);
  mlc::Timer timer;
  double eval_seconds = 0.0;
  for (long step = 1; step <= c.steps; ++step) {
    for (Index& o : offsets) o = batch_rng.index(corpus.train_size - c.length - 1);
    gather_chunks(corpus, offsets, c.length, inputs, targets);
    tape.reset();
    const Var<float> loss = ag::cross_entropy(model.logits(tape, inputs, c.batch), targets);
    ag::zero_grad(params);
    tape.backward(loss);
    if (c.clip > 0) clip_gradient_norm(params, c.clip);
    adam.step(params);
    result.step_loss.push_back(loss.item());
    if (step % c.eval_every == 0 || step == c.steps) {
      mlc::Timer eval_timer;
      result.eval_step.push_back(static_cast<double>(step));
      result.eval_loss.push_back(char_eval_loss(model, corpus, c, eval_tape));
      eval_seconds += eval_timer.seconds();
      progress.update(step, fmt::format("train {:.3f}, validation {:.3f} nats/char", loss.item(),
                                        result.eval_loss.back()));
    }
  }
  progress.finish();
  result.seconds = timer.seconds() - eval_seconds;
  result.final_eval_loss = result.eval_loss.back();
  result.characters_per_second =
      static_cast<double>(c.steps * c.batch * c.length) / std::max(result.seconds, 1e-9);
  return result;
}

// ---- Compiled once, for float and double
// ---------------------------------------------------------

template struct SequenceRegressor<float>;
template struct SequenceRegressor<double>;
template SequenceRegressor<float> make_regressor<float>(Cell, Index, mlc::Rng&, double);
template SequenceRegressor<double> make_regressor<double>(Cell, Index, mlc::Rng&, double);
template Var<float> mean_squared_error<float>(const Var<float>&, const Var<float>&);
template Var<double> mean_squared_error<double>(const Var<double>&, const Var<double>&);
template struct CharModel<float>;
template struct CharModel<double>;
template CharModel<float> make_char_model<float>(Cell, Index, Index, Index, mlc::Rng&);
template CharModel<double> make_char_model<double>(Cell, Index, Index, Index, mlc::Rng&);

}  // namespace recurrent_networks
