// recurrent_networks.cpp: the three cells' forward passes and their backpropagation through
// time, written by hand over whole (B-row) blocks; the tape op around them; the unrolled
// reference; clipping. Time-major layout and shapes as in recurrent_networks.hpp. Equation
// numbers (n) refer to NOTES.md.
#include "recurrent_networks.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace recurrent_networks {

namespace ag = autograd;

std::string cell_name(Cell cell) {
  switch (cell) {
    case Cell::rnn:
      return "RNN";
    case Cell::lstm:
      return "LSTM";
    case Cell::gru:
      return "GRU";
  }
  return "?";
}

Index gate_count(Cell cell) {
  return cell == Cell::rnn ? 1 : cell == Cell::lstm ? 4 : 3;
}

Index state_width(Cell cell, Index hidden) {
  return hidden * (cell == Cell::rnn ? 1 : cell == Cell::lstm ? 6 : 5);
}

namespace {

// σ(x) = 1 / (1 + e^{−x}) on an array expression, in place.
template <class Block>
void sigmoid_in_place(Block&& a) {
  a = (1 + (-a.array()).exp()).inverse();
}

template <class S>
void check_shapes(const char* fn, Cell cell, const Matrix<S>& W, const Matrix<S>& U, Index x_rows,
                  Index x_cols, Index batch) {
  const Index H = U.rows(), GH = gate_count(cell) * H;
  if (batch < 1 || x_rows % batch != 0 || x_rows == 0) {
    throw std::invalid_argument(
        fmt::format("{}: batch {} must be ≥ 1 and divide the {} input rows", fn, batch, x_rows));
  }
  if (W.rows() != x_cols || W.cols() != GH || U.cols() != GH) {
    throw std::invalid_argument(fmt::format(
        "{}: {} needs W [{} × {}] and U [H × {}·H]; got W {}×{}, U {}×{}", fn, cell_name(cell),
        x_cols, GH, gate_count(cell), W.rows(), W.cols(), U.rows(), U.cols()));
  }
}

}  // namespace

// ---- Forward (1), (4), (7) -------------------------------------------------------------------

template <class S>
void sequence_forward(Cell cell, const Matrix<S>& W, const Matrix<S>& U, const Matrix<S>& b,
                      const ConstMatrixRef<S>& X, Index batch, Matrix<S>& states,
                      SequenceBuffers<S>& buf, MatrixRef<S> H_out) {
  check_shapes("sequence_forward", cell, W, U, X.rows(), X.cols(), batch);
  const Index B = batch, T = X.rows() / batch, H = U.rows(), GH = U.cols();
  mlc::require(b.rows() == 1 && b.cols() == GH, "sequence_forward", "b must be 1 × G·H");
  mlc::require(H_out.rows() == T * B && H_out.cols() == H, "sequence_forward",
               "H_out must be (T·B) × H");
  states.resize((T + 1) * B, state_width(cell, H));  // no-op when the shape is unchanged
  states.topRows(B).setZero();                       // h_0 = c_0 = 0
  buf.xw.resize(T * B, GH);
  // The input part of every step's pre-activation at once: X W + 1 b   [(T·B) × G·H]
  ag::gemm<S>(buf.gemm, X, false, W, false, buf.xw, S(1), S(0));
  buf.xw.rowwise() += b.row(0);
  for (Index t = 1; t <= T; ++t) {
    auto prev = states.middleRows((t - 1) * B, B);  // step t − 1   [B × width]
    auto cur = states.middleRows(t * B, B);         // step t
    const auto xw_t = buf.xw.middleRows((t - 1) * B, B);
    const auto h_prev = prev.leftCols(H);
    auto h = cur.leftCols(H);
    if (cell == Cell::rnn) {
      // BEGIN EXERCISE rnn_forward_step: a_t = x_t W + h_{t−1} U + b, h_t = tanh(a_t), equation (1)
      h = xw_t;
      ag::gemm<S>(buf.gemm, h_prev, false, U, false, h, S(1), S(1));
      h = h.array().tanh();
      // END EXERCISE
    } else if (cell == Cell::lstm) {
      // BEGIN EXERCISE lstm_forward_step: gates, cell state and output of the LSTM, equation (4)
      auto gates = cur.middleCols(2 * H, 4 * H);  // [i f g o]   [B × 4H]
      gates = xw_t;
      ag::gemm<S>(buf.gemm, h_prev, false, U, false, gates, S(1), S(1));
      sigmoid_in_place(gates.leftCols(2 * H));                                 // i, f
      gates.middleCols(2 * H, H) = gates.middleCols(2 * H, H).array().tanh();  // g
      sigmoid_in_place(gates.rightCols(H));                                    // o
      auto c = cur.middleCols(H, H);
      c = gates.middleCols(H, H).cwiseProduct(prev.middleCols(H, H)) +
          gates.leftCols(H).cwiseProduct(gates.middleCols(2 * H, H));  // c = f ⊙ c' + i ⊙ g
      h.array() = gates.rightCols(H).array() * c.array().tanh();       // h = o ⊙ tanh(c)
      // END EXERCISE
    } else {
      // BEGIN EXERCISE gru_forward_step: update and reset gates, candidate, new state, equation (7)
      auto zr = cur.middleCols(H, 2 * H);  // [z r]   [B × 2H]
      auto n = cur.middleCols(3 * H, H);
      auto rh = cur.middleCols(4 * H, H);  // r ⊙ h_{t−1}
      zr = xw_t.leftCols(2 * H);
      ag::gemm<S>(buf.gemm, h_prev, false, U.leftCols(2 * H), false, zr, S(1), S(1));
      sigmoid_in_place(zr);
      rh = zr.rightCols(H).cwiseProduct(h_prev);
      n = xw_t.rightCols(H);
      ag::gemm<S>(buf.gemm, rh, false, U.rightCols(H), false, n, S(1), S(1));
      n = n.array().tanh();
      h = n + zr.leftCols(H).cwiseProduct(h_prev - n);  // h = (1 − z) ⊙ n + z ⊙ h'
      // END EXERCISE
    }
    H_out.middleRows((t - 1) * B, B) = h;
  }
}

// ---- Backward through time (2), (5), (8) ------------------------------------------------------

template <class S>
void sequence_backward(Cell cell, const Matrix<S>& W, const Matrix<S>& U,
                       const ConstMatrixRef<S>& X, Index batch, const Matrix<S>& states,
                       SequenceBuffers<S>& buf, const ConstMatrixRef<S>& dH, Matrix<S>& dW,
                       Matrix<S>& dU, Matrix<S>& db, Matrix<S>* dX, std::vector<double>* dh_norms) {
  check_shapes("sequence_backward", cell, W, U, X.rows(), X.cols(), batch);
  const Index B = batch, T = X.rows() / batch, H = U.rows(), GH = U.cols();
  mlc::require(states.rows() == (T + 1) * B && states.cols() == state_width(cell, H),
               "sequence_backward", "states must come from sequence_forward on the same X");
  mlc::require(dH.rows() == T * B && dH.cols() == H, "sequence_backward", "dH must be (T·B) × H");
  mlc::require(dW.rows() == W.rows() && dW.cols() == GH && dU.rows() == H && dU.cols() == GH &&
                   db.rows() == 1 && db.cols() == GH,
               "sequence_backward", "dW, dU, db must have the shapes of W, U, b");
  if (dh_norms) dh_norms->assign(static_cast<std::size_t>(T), 0.0);
  buf.dA.resize(T * B, GH);
  buf.dh.setZero(B, H);
  buf.dc.setZero(B, H);
  buf.tmp.resize(B, H);
  Matrix<S>& dh = buf.dh;  // ∂L/∂h_t: first from later steps, then plus the direct part
  Matrix<S>& dc = buf.dc;  // ∂L/∂c_t (LSTM)
  for (Index t = T; t >= 1; --t) {
    const auto prev = states.middleRows((t - 1) * B, B);
    const auto cur = states.middleRows(t * B, B);
    const auto h_prev = prev.leftCols(H);
    const auto h = cur.leftCols(H);
    auto dA_t = buf.dA.middleRows((t - 1) * B, B);  // ∂L/∂a_t   [B × G·H]
    dh += dH.middleRows((t - 1) * B, B);            // the total gradient reaching h_t
    if (dh_norms) (*dh_norms)[static_cast<std::size_t>(t - 1)] = dh.template cast<double>().norm();
    if (cell == Cell::rnn) {
      // BEGIN EXERCISE rnn_bptt_step: da_t = dh_t ⊙ (1 − h_t²), then dh_{t−1} = da_t Uᵀ, equation
      // (2)
      dA_t = dh.cwiseProduct((1 - h.array().square()).matrix());
      ag::gemm<S>(buf.gemm, dA_t, false, U, true, dh, S(1), S(0));
      // END EXERCISE
    } else if (cell == Cell::lstm) {
      // BEGIN EXERCISE lstm_bptt_step: through o, c, then the four gates, equation (5)
      const auto c = cur.middleCols(H, H), c_prev = prev.middleCols(H, H);
      const auto i = cur.middleCols(2 * H, H), f = cur.middleCols(3 * H, H);
      const auto g = cur.middleCols(4 * H, H), o = cur.middleCols(5 * H, H);
      Matrix<S>& tanh_c = buf.tmp;
      tanh_c = c.array().tanh();
      // dc_t = dh_t ⊙ o ⊙ (1 − tanh² c_t) + (what reached c_t from step t + 1)
      dc.array() += dh.array() * o.array() * (1 - tanh_c.array().square());
      dA_t.middleCols(0, H) = (dc.array() * g.array() * i.array() * (1 - i.array())).matrix();
      dA_t.middleCols(H, H) = (dc.array() * c_prev.array() * f.array() * (1 - f.array())).matrix();
      dA_t.middleCols(2 * H, H) = (dc.array() * i.array() * (1 - g.array().square())).matrix();
      dA_t.middleCols(3 * H, H) =
          (dh.array() * tanh_c.array() * o.array() * (1 - o.array())).matrix();
      dc = dc.cwiseProduct(f);  // ∂c_t/∂c_{t−1} = diag(f_t): the constant error carousel (6)
      ag::gemm<S>(buf.gemm, dA_t, false, U, true, dh, S(1), S(0));
      // END EXERCISE
    } else {
      // BEGIN EXERCISE gru_bptt_step: through h = n + z ⊙ (h' − n), the candidate and the gates,
      // equation (8)
      const auto z = cur.middleCols(H, H), r = cur.middleCols(2 * H, H);
      const auto n = cur.middleCols(3 * H, H);
      dA_t.middleCols(2 * H, H) =
          (dh.array() * (1 - z.array()) * (1 - n.array().square())).matrix();
      dA_t.middleCols(0, H) =
          (dh.array() * (h_prev.array() - n.array()) * z.array() * (1 - z.array())).matrix();
      Matrix<S>& drh = buf.tmp;  // ∂L/∂(r ⊙ h_{t−1}) = da_n U_nᵀ   [B × H]
      ag::gemm<S>(buf.gemm, dA_t.middleCols(2 * H, H), false, U.rightCols(H), true, drh, S(1),
                  S(0));
      dA_t.middleCols(H, H) = (drh.array() * h_prev.array() * r.array() * (1 - r.array())).matrix();
      dh = dh.cwiseProduct(z) + drh.cwiseProduct(r);  // the direct paths to h_{t−1}
      ag::gemm<S>(buf.gemm, dA_t.leftCols(2 * H), false, U.leftCols(2 * H), true, dh, S(1), S(1));
      // END EXERCISE
    }
  }
  // BEGIN EXERCISE bptt_weight_gradients: the sums over steps as three GEMMs, equations (2), (5),
  // (8) dW = Σ_t x_tᵀ da_t = Xᵀ dA,  db = Σ_t 1ᵀ da_t,  dU = Σ_t h_{t−1}ᵀ da_t (the GRU's candidate
  // block: Σ_t (r_t ⊙ h_{t−1})ᵀ da_n,t).
  ag::gemm<S>(buf.gemm, X, true, buf.dA, false, dW, S(1), S(1));
  db.row(0) += buf.dA.colwise().sum();
  const auto h_prevs = states.topRows(T * B).leftCols(H);  // h_0 ... h_{T−1}   [(T·B) × H]
  if (cell == Cell::gru) {
    const auto rh = states.bottomRows(T * B).middleCols(4 * H, H);  // r_t ⊙ h_{t−1}, t = 1 ... T
    ag::gemm<S>(buf.gemm, h_prevs, true, buf.dA.leftCols(2 * H), false, dU.leftCols(2 * H), S(1),
                S(1));
    ag::gemm<S>(buf.gemm, rh, true, buf.dA.rightCols(H), false, dU.rightCols(H), S(1), S(1));
  } else {
    ag::gemm<S>(buf.gemm, h_prevs, true, buf.dA, false, dU, S(1), S(1));
  }
  if (dX) ag::gemm<S>(buf.gemm, buf.dA, false, W, true, *dX, S(1), S(1));  // dX = dA Wᵀ
  // END EXERCISE
}

// ---- The op on the tape ---------------------------------------------------------------------

namespace {

template <class S>
SequenceBuffers<S>& thread_buffers() {
  thread_local SequenceBuffers<S> buffers;  // reused by every call on this thread
  return buffers;
}

template <class S>
void recurrent_backward(const Var<S>& out) {
  const Var<S> x = out.parent(0), W = out.parent(1), U = out.parent(2), b = out.parent(3);
  const Cell cell = static_cast<Cell>(out.node().attr[1]);
  const Index batch = out.node().attr[0];
  // Parameters not requiring a gradient still get one computed (into scratch would cost an
  // allocation); every use in this lesson trains W, U and b.
  mlc::require(W.requires_grad() && U.requires_grad() && b.requires_grad(), "recurrent",
               "W, U and b must be parameters");
  sequence_backward<S>(cell, W.value(), U.value(), x.value(), batch, out.node().saved,
                       thread_buffers<S>(), out.grad(), W.grad(), U.grad(), b.grad(),
                       x.requires_grad() ? &x.grad() : nullptr);
}

}  // namespace

template <class S>
Var<S> recurrent(Cell cell, const Var<S>& x, const Var<S>& W, const Var<S>& U, const Var<S>& b,
                 Index batch) {
  check_shapes("recurrent", cell, W.value(), U.value(), x.rows(), x.cols(), batch);
  Var<S> out =
      x.tape().record("recurrent", {x, W, U, b}, x.rows(), U.rows(), recurrent_backward<S>);
  out.node().attr[0] = batch;
  out.node().attr[1] = static_cast<Index>(cell);
  sequence_forward<S>(cell, W.value(), U.value(), b.value(), x.value(), batch, out.node().saved,
                      thread_buffers<S>(), out.mutable_value());
  return out;
}

template <class S>
std::vector<double> hidden_gradient_norms(Cell cell, const Var<S>& out) {
  mlc::require(out.valid() && std::string(out.node().op) == "recurrent", "hidden_gradient_norms",
               "out must be a recurrent() node of the current tape");
  const Var<S> x = out.parent(0), W = out.parent(1), U = out.parent(2);
  Matrix<S> dW = Matrix<S>::Zero(W.rows(), W.cols()), dU = Matrix<S>::Zero(U.rows(), U.cols()),
            db = Matrix<S>::Zero(1, U.cols());
  SequenceBuffers<S> buffers;
  std::vector<double> norms;
  sequence_backward<S>(cell, W.value(), U.value(), x.value(), out.node().attr[0], out.node().saved,
                       buffers, out.grad(), dW, dU, db, nullptr, &norms);
  return norms;
}

// ---- The unrolled reference -------------------------------------------------------------------

template <class S>
Var<S> recurrent_unrolled(Cell cell, const Var<S>& x, const Var<S>& W, const Var<S>& U,
                          const Var<S>& b, Index batch) {
  check_shapes("recurrent_unrolled", cell, W.value(), U.value(), x.rows(), x.cols(), batch);
  const Index B = batch, T = x.rows() / batch, H = U.rows();
  ag::Tape<S>& tape = x.tape();
  Var<S> h = tape.input(Matrix<S>::Zero(B, H)), c = h;
  std::vector<Var<S>> outputs;
  for (Index t = 0; t < T; ++t) {
    const Var<S> x_t = ag::slice_rows(x, t * B, B);
    if (cell == Cell::rnn) {  // (1)
      h = ag::tanh(ag::add(ag::add(ag::matmul(x_t, W), ag::matmul(h, U)), b));
    } else if (cell == Cell::lstm) {  // (4)
      const Var<S> a = ag::add(ag::add(ag::matmul(x_t, W), ag::matmul(h, U)), b);
      const Var<S> i = ag::sigmoid(ag::slice_cols(a, 0, H)),
                   f = ag::sigmoid(ag::slice_cols(a, H, H));
      const Var<S> g = ag::tanh(ag::slice_cols(a, 2 * H, H));
      const Var<S> o = ag::sigmoid(ag::slice_cols(a, 3 * H, H));
      c = ag::add(ag::mul(f, c), ag::mul(i, g));
      h = ag::mul(o, ag::tanh(c));
    } else {  // (7)
      const Var<S> zr = ag::sigmoid(ag::add(ag::add(ag::matmul(x_t, ag::slice_cols(W, 0, 2 * H)),
                                                    ag::matmul(h, ag::slice_cols(U, 0, 2 * H))),
                                            ag::slice_cols(b, 0, 2 * H)));
      const Var<S> z = ag::slice_cols(zr, 0, H), r = ag::slice_cols(zr, H, H);
      const Var<S> n =
          ag::tanh(ag::add(ag::add(ag::matmul(x_t, ag::slice_cols(W, 2 * H, H)),
                                   ag::matmul(ag::mul(r, h), ag::slice_cols(U, 2 * H, H))),
                           ag::slice_cols(b, 2 * H, H)));
      h = ag::add(n, ag::mul(z, ag::sub(h, n)));
    }
    outputs.push_back(h);
  }
  return ag::concat_rows(std::span<const Var<S>>(outputs));
}

// ---- Parameters -------------------------------------------------------------------------------

template <class S>
CellWeights<S> make_cell(Cell cell, Index input, Index hidden, mlc::Rng& rng,
                         double recurrent_scale) {
  mlc::require(input >= 1 && hidden >= 1, "make_cell", "input and hidden widths must be ≥ 1");
  const Index GH = gate_count(cell) * hidden;
  const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
  Eigen::MatrixXd W = rng.uniform_matrix(input, GH, -k, k);
  Eigen::MatrixXd U = recurrent_scale * rng.uniform_matrix(hidden, GH, -k, k);
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(1, GH);
  if (cell == Cell::lstm) b.middleCols(hidden, hidden).setOnes();  // forget-gate bias 1
  CellWeights<S> w;
  w.cell = cell;
  w.W = Parameter<S>("W", W.cast<S>());
  w.U = Parameter<S>("U", U.cast<S>());
  w.b = Parameter<S>("b", b.cast<S>(), /*decay=*/false);
  return w;
}

// ---- Clipping (9) ------------------------------------------------------------------------------

template <class S>
double global_gradient_norm(const std::vector<Parameter<S>*>& params) {
  double sum = 0.0;
  for (const Parameter<S>* p : params) sum += p->grad.template cast<double>().squaredNorm();
  return std::sqrt(sum);
}

template <class S>
double clip_gradient_norm(const std::vector<Parameter<S>*>& params, double max_norm) {
  mlc::require(max_norm > 0.0, "clip_gradient_norm", "max_norm must be positive");
  // BEGIN EXERCISE clip_by_global_norm: rescale every gradient when ‖g‖ > max_norm, equation (9)
  const double norm = global_gradient_norm(params);
  if (std::isfinite(norm) && norm > max_norm) {
    const S factor = static_cast<S>(max_norm / norm);
    for (Parameter<S>* p : params) p->grad *= factor;
  }
  return norm;
  // END EXERCISE
}

// ---- Compiled once for float and double ---------------------------------------------------------

#define RECURRENT_NETWORKS_INSTANTIATE(S)                                                        \
  template void sequence_forward<S>(Cell, const Matrix<S>&, const Matrix<S>&, const Matrix<S>&,  \
                                    const ConstMatrixRef<S>&, Index, Matrix<S>&,                 \
                                    SequenceBuffers<S>&, MatrixRef<S>);                          \
  template void sequence_backward<S>(Cell, const Matrix<S>&, const Matrix<S>&,                   \
                                     const ConstMatrixRef<S>&, Index, const Matrix<S>&,          \
                                     SequenceBuffers<S>&, const ConstMatrixRef<S>&, Matrix<S>&,  \
                                     Matrix<S>&, Matrix<S>&, Matrix<S>*, std::vector<double>*);  \
  template Var<S> recurrent<S>(Cell, const Var<S>&, const Var<S>&, const Var<S>&, const Var<S>&, \
                               Index);                                                           \
  template std::vector<double> hidden_gradient_norms<S>(Cell, const Var<S>&);                    \
  template Var<S> recurrent_unrolled<S>(Cell, const Var<S>&, const Var<S>&, const Var<S>&,       \
                                        const Var<S>&, Index);                                   \
  template CellWeights<S> make_cell<S>(Cell, Index, Index, mlc::Rng&, double);                   \
  template double global_gradient_norm<S>(const std::vector<Parameter<S>*>&);                    \
  template double clip_gradient_norm<S>(const std::vector<Parameter<S>*>&, double);

RECURRENT_NETWORKS_INSTANTIATE(float)
RECURRENT_NETWORKS_INSTANTIATE(double)

}  // namespace recurrent_networks
