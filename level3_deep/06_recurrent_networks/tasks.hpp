// tasks.hpp: the tasks the cells are trained on and the training loops.
//
//   The adding problem (Hochreiter & Schmidhuber 1997, §5.4 Experiment 4, in the form of Le,
//   Jaitly & Hinton 2015, §4.1): each step carries a value u_t ~ U[0, 1] and a marker m_t;
//   exactly two markers are 1, one in each half of the sequence; the target is the sum of
//   the two marked values (10). The two relevant inputs lie on average T/2 steps apart, so
//   the sequence length T sets the memory span the network must bridge.
//
//   A character model on data/tinyshakespeare.txt: next-character prediction, mean
//   cross-entropy in nats per character (11), against the unigram entropy.
//
// Both models are a recurrent cell (recurrent_networks.hpp, one op on 3.4's tape) with a
// linear read-out; training: minibatches drawn from the seed, Adam (or SGD with momentum),
// clipping by global norm (9). Layout: time-major, as in recurrent_networks.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "autograd.hpp"
#include "mlc/rng.hpp"
#include "recurrent_networks.hpp"

namespace recurrent_networks {

// ---- The adding problem (10) -------------------------------------------------------------------

struct SequenceBatch {
  Eigen::MatrixXd X;  // [(T·B) × 2] time-major: column 0 the value u_t, column 1 the marker m_t
  Eigen::MatrixXd y;  // [B × 1] the sum of the two marked values
};
// B sequences of length T ≥ 2: one marker uniform in steps [0, T/2), one in [T/2, T).
// Written into `out` (its buffers reused when the shapes repeat).
void adding_problem(Index length, Index batch, mlc::Rng& rng, SequenceBatch& out);
SequenceBatch adding_problem(Index length, Index batch, mlc::Rng& rng);

// A cell and a linear read-out of its last state: ŷ = h_T w + c.
template <class S>
struct SequenceRegressor {
  CellWeights<S> cell;
  Parameter<S> w_out, b_out;  // [H × 1], [1 × 1]
  std::vector<Parameter<S>*> parameters();
  // ŷ [B × 1] of x [(T·B) × 2]; `unrolled` records the cell from the engine's ops instead
  // (the reference); hidden, when given, receives the cell's node (h_1 ... h_T).
  Var<S> predict(autograd::Tape<S>& tape, const Var<S>& x, Index batch, bool unrolled = false,
                 Var<S>* hidden = nullptr);
};
template <class S>
SequenceRegressor<S> make_regressor(Cell cell, Index hidden, mlc::Rng& rng,
                                    double recurrent_scale = 1.0);
// The mean squared error (1/B) Σ (ŷ − y)² as engine ops   [1 × 1]
template <class S>
Var<S> mean_squared_error(const Var<S>& prediction, const Var<S>& target);

enum class Optimizer { adam, sgd };

struct AddingConfig {
  Cell cell = Cell::lstm;
  Index length = 50;  // T
  Index hidden = 64;  // H
  Index batch = 64;   // B
  long max_steps = 2000;
  Optimizer optimizer = Optimizer::adam;
  double learning_rate = 1e-3;
  double momentum = 0.9;           // SGD only
  double clip = 1.0;               // max global norm (9); 0 = no clipping
  double recurrent_scale = 1.0;    // U's initialisation multiplied by it
  Index eval_sequences = 1000;     // the fixed held-out set
  long eval_every = 100;           // steps between evaluations
  double success_mse = 0.1 / 6.0;  // solved: held-out MSE below 10 % of Var(u + u') = 1/6
  bool stop_when_solved = true;    // early stop at the first evaluation below success_mse
  std::uint64_t seed = 0;          // the weights, the batches and the held-out set
};

struct AddingResult {
  bool solved = false;
  long steps_to_solve = -1;     // the step of the first evaluation below success_mse
  long steps = 0;               // steps run
  bool diverged = false;        // a non-finite loss or gradient stopped the run
  double final_eval_mse = 0.0;  // the held-out MSE at the last evaluation
  double best_eval_mse = 0.0;
  std::vector<double> eval_step, eval_mse;  // the learning curve on the held-out set
  std::vector<double> step_loss;            // every minibatch's loss
  std::vector<double> gradient_norm;        // every step's global norm before clipping
  std::vector<double> dh_norm_initial;      // ‖∂L/∂h_t‖, t = 1 ... T, before training
  std::vector<double> dh_norm_final;        // the same after training (held-out batch)
  double seconds = 0.0;                     // wall time of the training steps
};

// Trains config.cell on the adding problem of length config.length.
AddingResult train_adding(const AddingConfig& config);
// The held-out MSE of the constant predictor ŷ = 1 (= E[y]) on the set train_adding uses:
// the trivial baseline, 1/6 in expectation.
double adding_constant_baseline(const AddingConfig& config);

// ---- The character model (11) -------------------------------------------------------------------

struct Corpus {
  std::string vocabulary;      // the distinct characters, sorted
  std::vector<int> ids;        // the text as indices into vocabulary
  Index train_size = 0;        // ids[0, train_size) train, the rest validation
  double unigram_entropy = 0;  // −Σ p_c log p_c of the training characters, nats
};
// Reads the text file (DataError naming it and the fix when it is missing or too short) and
// splits it: the first (1 − validation_fraction) for training, the rest for validation.
Corpus load_corpus(const std::filesystem::path& file, double validation_fraction = 0.1);

template <class S>
struct CharModel {
  Parameter<S> embedding;     // [V × E]
  CellWeights<S> cell;        // input width E
  Parameter<S> w_out, b_out;  // [H × V], [1 × V]
  std::vector<Parameter<S>*> parameters();
  // The logits of every step [(T·B) × V] for indices [(T·B)] time-major.
  Var<S> logits(autograd::Tape<S>& tape, const Eigen::VectorXi& indices, Index batch);
};
template <class S>
CharModel<S> make_char_model(Cell cell, Index vocabulary, Index embed, Index hidden, mlc::Rng& rng);

struct CharConfig {
  Cell cell = Cell::lstm;
  Index hidden = 128, embed = 32;
  Index length = 64, batch = 32;  // T characters per chunk, B chunks per step
  long steps = 1000;
  double learning_rate = 3e-3;
  double clip = 1.0;
  long eval_every = 200;
  Index eval_chunks = 128;  // validation chunks of length T, spread over the validation text
  std::uint64_t seed = 0;
};

struct CharResult {
  std::vector<double> step_loss;             // nats per character of every minibatch
  std::vector<double> eval_step, eval_loss;  // validation nats per character
  double final_eval_loss = 0.0;
  double seconds = 0.0;  // wall time of the training steps
  double characters_per_second = 0.0;
  long parameters = 0;
};

CharResult train_char_model(const Corpus& corpus, const CharConfig& config);

}  // namespace recurrent_networks
