// recurrent_networks.hpp: the vanilla RNN, the LSTM and the GRU as hand-written
// forward/backward pairs (backpropagation through time), batched over sequences, recorded
// on 3.4's tape as one op each; the same cells unrolled from the engine's ops as the
// reference they are checked against; gradient clipping by global norm.
//
// Sources:
//   Elman, "Finding structure in time", Cognitive Science 14 (1990): the simple recurrent net.
//   Werbos, "Backpropagation through time: what it does and how to do it", Proc. IEEE 78
//     (1990): BPTT.
//   Hochreiter & Schmidhuber, "Long short-term memory", Neural Computation 9 (1997), and
//     Gers, Schmidhuber & Cummins, "Learning to forget", Neural Computation 12 (2000): the
//     LSTM with a forget gate, as every library writes it today.
//   Cho et al., "Learning phrase representations using RNN encoder-decoder", EMNLP (2014),
//     §2.3: the GRU (the reset gate applied before the recurrent product, as in the paper).
//   Pascanu, Mikolov & Bengio, "On the difficulty of training recurrent neural networks",
//     ICML (2013): vanishing and exploding gradients, clipping by norm.
//   Karpathy, llm.c: forward/backward pairs, activations stored once, shapes in comments.
// Equation numbers (n) refer to NOTES.md.
//
// Symbols: B = sequences in a batch, T = time steps, D = input width, H = hidden width,
// G = gates per cell (RNN 1, LSTM 4, GRU 3). Data are TIME-MAJOR: a batch of B sequences is
// one (T·B) × D matrix whose block t (rows t·B ... t·B + B − 1) holds step t of every
// sequence, so each step's product is one B-row GEMM and the input products of all steps
// are one (T·B)-row GEMM. The initial state h_0 (and c_0) is zero.
//
// Weights of a cell: W [D × G·H] (input), U [H × G·H] (recurrent), b [1 × G·H]; the gate
// blocks are the column blocks of width H, in the order
//   RNN:  a                                      h_t = tanh(a_t)                         (1)
//   LSTM: i f g o   (input, forget, candidate, output)                                  (4)
//   GRU:  z r n     (update, reset, candidate)                                          (7)
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "autograd.hpp"
#include "mlc/rng.hpp"

namespace recurrent_networks {

using autograd::ConstMatrixRef;
using autograd::Index;
using autograd::Matrix;
using autograd::MatrixRef;
using autograd::Parameter;
using autograd::Var;

enum class Cell { rnn, lstm, gru };
std::string cell_name(Cell cell);  // "RNN", "LSTM", "GRU"
Index gate_count(Cell cell);       // G: 1, 4, 3
// Columns of one step's row block in the state cache (see SequenceCache).
Index state_width(Cell cell, Index hidden);

// What the forward pass keeps for backward, `states`: every step's state, block t = 0 ... T
// (rows t·B ... t·B + B − 1; block 0 is the zero initial state), columns
//   RNN:  [h]                                  width H
//   LSTM: [h | c | i f g o]                    width 6H  (gates after their nonlinearity)
//   GRU:  [h | z r | n | r ⊙ h_{t−1}]          width 5H
// The buffers of both passes are kept in SequenceBuffers and reused by every later call of
// the same shapes, so a steady-state training step allocates nothing.
template <class S>
struct SequenceBuffers {
  Matrix<S> xw;           // [(T·B) × G·H]  X W + 1 b, the input part of every pre-activation
  Matrix<S> dA;           // [(T·B) × G·H]  ∂L/∂(pre-activations) of every step (backward)
  Matrix<S> dh, dc, tmp;  // [B × H]  the gradient reaching h_t (and c_t) from later steps
  autograd::GemmWorkspace<S> gemm;
};

// (1), (4), (7) The forward pass over T = X.rows() / batch steps from h_0 = c_0 = 0: fills
// states [(T+1)·B × state_width] and writes the hidden states h_1 ... h_T to H_out
// [(T·B) × H].
template <class S>
void sequence_forward(Cell cell, const Matrix<S>& W, const Matrix<S>& U, const Matrix<S>& b,
                      const ConstMatrixRef<S>& X, Index batch, Matrix<S>& states,
                      SequenceBuffers<S>& buffers, MatrixRef<S> H_out);

// (2), (5), (8) Backpropagation through time from dH [(T·B) × H], the gradient of the loss
// with respect to each output h_t through the layers above (zero rows where a step has no
// loss), and the states of the forward pass. ADDS the gradients into dW, dU, db and, when
// dX is given, into dX [(T·B) × D]. When dh_norms is given it receives ‖∂L/∂h_t‖ (Frobenius
// over the batch) for t = 1 ... T: the total gradient reaching h_t, directly and through
// time (the figure of NOTES.md).
template <class S>
void sequence_backward(Cell cell, const Matrix<S>& W, const Matrix<S>& U,
                       const ConstMatrixRef<S>& X, Index batch, const Matrix<S>& states,
                       SequenceBuffers<S>& buffers, const ConstMatrixRef<S>& dH, Matrix<S>& dW,
                       Matrix<S>& dU, Matrix<S>& db, Matrix<S>* dX = nullptr,
                       std::vector<double>* dh_norms = nullptr);

// The cell as one op of 3.4's engine (Tape::record): x [(T·B) × D] and the weights as
// parents, the hidden states h_1 ... h_T [(T·B) × H] as its value, sequence_backward as its
// backward. The states are saved in the node; the backward's buffers are per thread.
template <class S>
Var<S> recurrent(Cell cell, const Var<S>& x, const Var<S>& W, const Var<S>& U, const Var<S>& b,
                 Index batch);

// ‖∂L/∂h_t‖ for t = 1 ... T of a recurrent() node after tape.backward(loss): BPTT is run
// again from the node's gradient into scratch buffers (the parameters' gradients are not
// touched).
template <class S>
std::vector<double> hidden_gradient_norms(Cell cell, const Var<S>& out);

// The reference: the same cell unrolled step by step from the engine's ops (slice_rows,
// matmul, add, sigmoid, tanh, mul, slice_cols, concat_rows), whose backward the engine
// derives. Equal to recurrent() to rounding; slower (about ten nodes per step).
template <class S>
Var<S> recurrent_unrolled(Cell cell, const Var<S>& x, const Var<S>& W, const Var<S>& U,
                          const Var<S>& b, Index batch);

// ---- Parameters ----------------------------------------------------------------------------

template <class S>
struct CellWeights {
  Cell cell = Cell::rnn;
  Parameter<S> W, U, b;  // [D × G·H], [H × G·H], [1 × G·H]
  Index hidden() const { return U.value.rows(); }
};

// Initialisation (double, from rng, so float and double cells drawn from the same stream are
// the same cell): W and U uniform in ±1/√H (PyTorch's default for its recurrent layers), b = 0
// except the LSTM's forget-gate bias, 1 (Gers et al. 2000; Jozefowicz et al. 2015), so that
// the cell starts by remembering. recurrent_scale multiplies U (the exploding-gradient
// failure mode sets it above 1 / ρ(U)).
template <class S>
CellWeights<S> make_cell(Cell cell, Index input, Index hidden, mlc::Rng& rng,
                         double recurrent_scale = 1.0);

// ---- Gradient clipping -----------------------------------------------------------------------

// (9) The global norm ‖g‖ = √(Σ_p ‖∂L/∂p‖²) over every parameter's gradient, and clipping by
// it: when ‖g‖ > max_norm every gradient is multiplied by max_norm / ‖g‖ (the direction is
// kept, the step bounded). Returns ‖g‖ before clipping (non-finite when a gradient is).
template <class S>
double global_gradient_norm(const std::vector<Parameter<S>*>& params);
template <class S>
double clip_gradient_norm(const std::vector<Parameter<S>*>& params, double max_norm);

}  // namespace recurrent_networks
