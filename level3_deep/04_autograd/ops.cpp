// ops.cpp: every op of the engine as a forward function and its backward function, side by
// side (llm.c's habit). A forward records its node (Tape::record), fills the value and
// saves what its backward needs; a backward ADDS the vector-Jacobian product (2) into the
// gradient of each parent that requires one. Rows are samples; shapes in the comments.
// Equation numbers (n) refer to NOTES.md.
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "autograd.hpp"
#include "mlc/error.hpp"

namespace autograd {

namespace {

// Formats an error only when there is one: the ops run in training loops that must not
// allocate, so no message string is built on the good path.
[[noreturn]] void shape_error(const char* op, const std::string& detail) {
  throw std::invalid_argument(fmt::format("{}: {}", op, detail));
}
template <class T>
std::string shape(const Var<T>& v) {
  return fmt::format("{}×{}", v.rows(), v.cols());
}

// ---- Products (4), (18) --------------------------------------------------------------------
// One implementation for matmul (batch = 1) and batched_matmul: block b of a is rows
// [b·m, (b+1)·m), of b rows [b·kb, (b+1)·kb), of the result rows [b·m, (b+1)·m).

template <class T, bool kTransposeB>
void matmul_backward(const Var<T>& c) {
  const Var<T> a = c.parent(0), b = c.parent(1);
  const Index batch = c.node().attr[0];
  const Index m = a.rows() / batch, kb = b.rows() / batch;
  GemmWorkspace<T>& ws = c.tape().gemm_workspace();
  const Matrix<T>& A = a.value();
  const Matrix<T>& B = b.value();
  const Matrix<T>& dC = c.grad();
  for (Index i = 0; i < batch; ++i) {
    const auto A_i = A.middleRows(i * m, m);
    const auto B_i = B.middleRows(i * kb, kb);
    const auto dC_i = dC.middleRows(i * m, m);
    // BEGIN EXERCISE matmul_backward: (4) and (18), per block, through gemm
    if (!kTransposeB) {  // C = A B:   dA += dC Bᵀ  [m × k],  dB += Aᵀ dC  [k × n]
      if (a.requires_grad())
        gemm<T>(ws, dC_i, false, B_i, true, a.grad().middleRows(i * m, m), T(1), T(1));
      if (b.requires_grad())
        gemm<T>(ws, A_i, true, dC_i, false, b.grad().middleRows(i * kb, kb), T(1), T(1));
    } else {  // C = A Bᵀ:  dA += dC B  [m × k],  dB += dCᵀ A  [n × k]
      if (a.requires_grad())
        gemm<T>(ws, dC_i, false, B_i, false, a.grad().middleRows(i * m, m), T(1), T(1));
      if (b.requires_grad())
        gemm<T>(ws, dC_i, true, A_i, false, b.grad().middleRows(i * kb, kb), T(1), T(1));
    }
    // END EXERCISE
  }
}

template <class T, bool kTransposeB>
Var<T> matmul_forward(const char* op, const Var<T>& a, const Var<T>& b, Index batch) {
  if (batch < 1 || a.rows() % batch != 0 || b.rows() % batch != 0) {
    shape_error(op, fmt::format("batch {} does not divide the rows of {} and {}", batch, shape(a),
                                shape(b)));
  }
  const Index m = a.rows() / batch, k = a.cols(), kb = b.rows() / batch;
  const Index n = kTransposeB ? kb : b.cols();
  if ((kTransposeB ? b.cols() : kb) != k) {
    shape_error(op, fmt::format("inner dimensions differ: {} and {}{} (batch {})", shape(a),
                                shape(b), kTransposeB ? "ᵀ" : "", batch));
  }
  Var<T> c = a.tape().record(op, {a, b}, batch * m, n, matmul_backward<T, kTransposeB>);
  c.node().attr[0] = batch;
  GemmWorkspace<T>& ws = a.tape().gemm_workspace();
  for (Index i = 0; i < batch; ++i) {
    gemm<T>(ws, a.value().middleRows(i * m, m), false, b.value().middleRows(i * kb, kb),
            kTransposeB, c.mutable_value().middleRows(i * m, m), T(1), T(0));
  }
  return c;
}

// ---- Broadcasting arithmetic (5) -----------------------------------------------------------

enum Broadcast : Index { kSame = 0, kRow = 1, kCol = 2, kScalar = 3 };

template <class T>
Broadcast broadcast_kind(const char* op, const Var<T>& a, const Var<T>& b) {
  if (b.rows() == a.rows() && b.cols() == a.cols()) return kSame;
  if (b.rows() == 1 && b.cols() == a.cols()) return kRow;
  if (b.cols() == 1 && b.rows() == a.rows()) return kCol;
  if (b.rows() == 1 && b.cols() == 1) return kScalar;
  shape_error(op, fmt::format("cannot broadcast {} to {} (b needs a's shape, 1×{}, {}×1 or 1×1)",
                              shape(b), shape(a), a.cols(), a.rows()));
}

// db += g summed over the axes along which b was broadcast   [b's shape]
template <class T, class Expr>
void add_reduced(Matrix<T>& db, const Expr& g, Index kind, T sign) {
  switch (kind) {
    case kSame:
      db += sign * g;
      break;
    case kRow:
      db.row(0) += sign * g.colwise().sum();
      break;
    case kCol:
      db.col(0) += sign * g.rowwise().sum();
      break;
    default:
      db(0, 0) += sign * g.sum();
      break;
  }
}

template <class T>
void add_backward(const Var<T>& y) {  // (5) dA += dY, dB += Σ over broadcast axes of ±dY
  const Var<T> a = y.parent(0), b = y.parent(1);
  const T sign = y.node().scalar;  // +1 add, −1 sub
  if (a.requires_grad()) a.grad() += y.grad();
  if (b.requires_grad()) add_reduced<T>(b.grad(), y.grad(), y.node().attr[0], sign);
}

template <class T>
Var<T> add_or_sub(const char* op, const Var<T>& a, const Var<T>& b, T sign) {
  const Broadcast kind = broadcast_kind(op, a, b);
  Var<T> y = a.tape().record(op, {a, b}, a.rows(), a.cols(), add_backward<T>);
  y.node().attr[0] = kind;
  y.node().scalar = sign;
  Matrix<T>& Y = y.mutable_value();
  const Matrix<T>& A = a.value();
  const Matrix<T>& B = b.value();
  // (No scalar factor inside rowwise()/colwise(): Eigen would evaluate it into a temporary.)
  const bool plus = sign > T(0);
  if (kind == kSame) {
    if (plus)
      Y = A + B;
    else
      Y = A - B;
  } else if (kind == kRow) {
    if (plus)
      Y = A.rowwise() + B.row(0);
    else
      Y = A.rowwise() - B.row(0);
  } else if (kind == kCol) {
    if (plus)
      Y = A.colwise() + B.col(0);
    else
      Y = A.colwise() - B.col(0);
  } else {
    Y.array() = A.array() + sign * B(0, 0);
  }
  return y;
}

// out (+)= A ⊙ B with B broadcast to A's shape   [A's shape]
template <class T, bool kAccumulate>
void multiply_broadcast(Matrix<T>& out, const Matrix<T>& A, const Matrix<T>& B, Index kind) {
  if (!kAccumulate) out.setZero(A.rows(), A.cols());
  switch (kind) {
    case kSame:
      out.array() += A.array() * B.array();
      break;
    case kRow:
      out.array() += A.array().rowwise() * B.row(0).array();
      break;
    case kCol:
      out.array() += A.array().colwise() * B.col(0).array();
      break;
    default:
      out.array() += A.array() * B(0, 0);
      break;
  }
}

template <class T>
void mul_backward(const Var<T>& y) {  // (5) dA += dY ⊙ B,  dB += Σ over broadcast axes of dY ⊙ A
  const Var<T> a = y.parent(0), b = y.parent(1);
  const Index kind = y.node().attr[0];
  if (a.requires_grad()) multiply_broadcast<T, true>(a.grad(), y.grad(), b.value(), kind);
  if (b.requires_grad()) add_reduced<T>(b.grad(), y.grad().cwiseProduct(a.value()), kind, T(1));
}

template <class T>
void scale_backward(const Var<T>& y) {  // (5) dA += s dY
  y.parent(0).grad() += y.node().scalar * y.grad();
}

// ---- Elementwise functions (6), (7) --------------------------------------------------------

template <class T>
void relu_backward(const Var<T>& y) {  // dX += dY ⊙ [x > 0]
  const Var<T> x = y.parent(0);
  x.grad().array() += (x.value().array() > T(0)).select(y.grad().array(), T(0));
}
template <class T>
void tanh_backward(const Var<T>& y) {  // dX += dY ⊙ (1 − y²)
  y.parent(0).grad().array() += y.grad().array() * (T(1) - y.value().array().square());
}
template <class T>
void sigmoid_backward(const Var<T>& y) {  // dX += dY ⊙ y (1 − y)
  y.parent(0).grad().array() += y.grad().array() * y.value().array() * (T(1) - y.value().array());
}
template <class T>
void exp_backward(const Var<T>& y) {  // dX += dY ⊙ y
  y.parent(0).grad().array() += y.grad().array() * y.value().array();
}
template <class T>
void log_backward(const Var<T>& y) {  // dX += dY / x
  y.parent(0).grad().array() += y.grad().array() / y.parent(0).value().array();
}

// (7) GELU, tanh form: y = ½ x (1 + tanh u),  u = c (x + a x³),  c = √(2/π),  a = 0.044715
template <class T>
constexpr T kGeluC = static_cast<T>(0.79788456080286535588);  // √(2/π)
template <class T>
constexpr T kGeluA = static_cast<T>(0.044715);

template <class T>
void gelu_backward(const Var<T>& y) {
  // dy/dx = ½ (1 + tanh u) + ½ x (1 − tanh² u) c (1 + 3 a x²)
  const Var<T> x = y.parent(0);
  const auto X = x.value().array();
  Matrix<T>& t = y.node().saved;  // tanh u, recomputed here rather than stored by the forward
  t.array() = (kGeluC<T> * (X + kGeluA<T> * X.cube())).tanh();
  const auto tanh_u = t.array();
  x.grad().array() += y.grad().array() * (T(0.5) * (T(1) + tanh_u) +
                                          T(0.5) * X * (T(1) - tanh_u.square()) * kGeluC<T> *
                                              (T(1) + T(3) * kGeluA<T> * X.square()));
}

template <class T>
Var<T> unary(const char* op, const Var<T>& x, BackwardFn<T> backward) {
  return x.tape().record(op, {x}, x.rows(), x.cols(), backward);
}

// ---- Reductions (8) ------------------------------------------------------------------------

template <class T>
void sum_backward(
    const Var<T>& y) {  // dX += dy · 1 1ᵀ · factor (factor 1 for sum, 1/(n d) for mean)
  const Var<T> x = y.parent(0);
  x.grad().array() += y.node().scalar * y.grad()(0, 0);
}
template <class T>
void row_sum_backward(const Var<T>& y) {  // dX += dy 1ᵀ · factor
  const Var<T> x = y.parent(0);
  const T factor = y.node().scalar;
  for (Index r = 0; r < x.rows(); ++r) x.grad().row(r).array() += factor * y.grad()(r, 0);
}

// ---- Softmax (9), log-softmax (10), cross-entropy (11) --------------------------------------

// out = e^{x − max x} for one row, with exact zeros where x = −∞ (Eigen's vectorised exp
// returns about 5.6e-309 there, not 0, and a masked position must get no weight at all);
// returns Σ out.
template <class T, class In, class Out>
T exp_shifted(const In& x, Out&& out) {
  const T m = x.maxCoeff();
  out.array() =
      (x.array() == -std::numeric_limits<T>::infinity()).select(T(0), (x.array() - m).exp());
  return out.sum();
}

template <class T>
void softmax_backward(const Var<T>& y) {
  const Var<T> x = y.parent(0);
  const Matrix<T>& Y = y.value();
  const Matrix<T>& dY = y.grad();
  Matrix<T>& dX = x.grad();
  // BEGIN EXERCISE softmax_backward: (9) dx = y ⊙ (dy − (dy · y)) for each row
  for (Index i = 0; i < Y.rows(); ++i) {
    const T dot = dY.row(i).dot(Y.row(i));
    dX.row(i).array() += Y.row(i).array() * (dY.row(i).array() - dot);
  }
  // END EXERCISE
}

template <class T>
void log_softmax_backward(const Var<T>& y) {
  const Var<T> x = y.parent(0);
  const Matrix<T>& Y = y.value();
  const Matrix<T>& dY = y.grad();
  Matrix<T>& dX = x.grad();
  // BEGIN EXERCISE log_softmax_backward: (10) dx = dy − softmax(x) Σ_j dy_j for each row
  for (Index i = 0; i < Y.rows(); ++i) {
    const T total = dY.row(i).sum();
    dX.row(i).array() += dY.row(i).array() - Y.row(i).array().exp() * total;  // softmax = e^y
  }
  // END EXERCISE
}

template <class T>
void cross_entropy_backward(const Var<T>& loss) {
  const Var<T> z = loss.parent(0);
  const Matrix<T>& P = loss.node().saved;  // softmax(Z), saved by the forward   [n × k]
  const std::vector<int>& labels = loss.node().ints;
  const Index n = P.rows();
  const T g = loss.grad()(0, 0) / static_cast<T>(n);
  Matrix<T>& dZ = z.grad();
  // BEGIN EXERCISE cross_entropy_backward: (11) dZ = (P − Y) / n, Y one-hot
  dZ += g * P;
  for (Index i = 0; i < n; ++i) dZ(i, labels[static_cast<std::size_t>(i)]) -= g;
  // END EXERCISE
}

// ---- Layer norm (12), (13) -----------------------------------------------------------------

template <class T>
void layer_norm_backward(const Var<T>& y) {
  const Var<T> x = y.parent(0), gain = y.parent(1), bias = y.parent(2);
  const Matrix<T>& X = x.value();
  const Matrix<T>& dY = y.grad();
  const Matrix<T>& stats = y.node().saved;  // column 0: mean μ_i, column 1: 1/σ_i   [n × 2]
  const auto g = gain.value().row(0).array();
  for (Index i = 0; i < X.rows(); ++i) {
    const T mu = stats(i, 0), rstd = stats(i, 1);
    const auto xhat = (X.row(i).array() - mu) * rstd;  // x̂ = (x − μ)/σ, recomputed
    const auto dy = dY.row(i).array();
    if (gain.requires_grad()) gain.grad().row(0).array() += dy * xhat;  // dg += dy ⊙ x̂
    if (bias.requires_grad()) bias.grad().row(0).array() += dy;         // db += dy
    if (x.requires_grad()) {
      // BEGIN EXERCISE layer_norm_backward: (13) dx = (dx̂ − mean(dx̂) − x̂ mean(dx̂ ⊙ x̂)) / σ
      const auto dxhat = dy * g;
      const T mean_dxhat = dxhat.mean();
      const T mean_dxhat_xhat = (dxhat * xhat).mean();
      x.grad().row(i).array() += rstd * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat);
      // END EXERCISE
    }
  }
}

// ---- Embedding (14), slicing and concatenation (15) -----------------------------------------

template <class T>
void embedding_backward(const Var<T>& y) {
  const Var<T> table = y.parent(0);
  const std::vector<int>& indices = y.node().ints;
  // BEGIN EXERCISE embedding_backward: (14) scatter-add: dE[idx_r] += dY[r]; repeats add up
  for (std::size_t r = 0; r < indices.size(); ++r) {
    table.grad().row(indices[r]) += y.grad().row(static_cast<Index>(r));
  }
  // END EXERCISE
}

template <class T>
void slice_cols_backward(const Var<T>& y) {
  y.parent(0).grad().middleCols(y.node().attr[0], y.cols()) += y.grad();
}
template <class T>
void slice_rows_backward(const Var<T>& y) {
  y.parent(0).grad().middleRows(y.node().attr[0], y.rows()) += y.grad();
}
template <class T>
void concat_cols_backward(const Var<T>& y) {
  Index offset = 0;
  for (int k = 0; k < y.node().num_parents; ++k) {
    const Var<T> part = y.parent(k);
    if (part.requires_grad()) part.grad() += y.grad().middleCols(offset, part.cols());
    offset += part.cols();
  }
}
template <class T>
void concat_rows_backward(const Var<T>& y) {
  Index offset = 0;
  for (int k = 0; k < y.node().num_parents; ++k) {
    const Var<T> part = y.parent(k);
    if (part.requires_grad()) part.grad() += y.grad().middleRows(offset, part.rows());
    offset += part.rows();
  }
}

// ---- Masking (16), dropout (17) ------------------------------------------------------------

template <class T>
void masked_fill_backward(const Var<T>& y) {  // dX += dY where the mask is 0
  const Var<T> x = y.parent(0), mask = y.parent(1);
  x.grad().array() += (mask.value().array() != T(0)).select(T(0), y.grad().array());
}
template <class T>
void causal_mask_backward(const Var<T>& y) {  // dX += dY on and below each block's diagonal
  const Var<T> x = y.parent(0);
  const Index steps = y.cols();
  for (Index r = 0; r < y.rows(); ++r) {
    const Index t = r % steps;  // the query's position within its block
    x.grad().row(r).head(t + 1) += y.grad().row(r).head(t + 1);
  }
}
template <class T>
void dropout_backward(const Var<T>& y) {  // dX += dY ⊙ mask
  y.parent(0).grad().array() += y.grad().array() * y.node().saved.array();
}

}  // namespace

// ==== The public ops ========================================================================

template <class T>
Var<T> matmul(const Var<T>& a, const Var<T>& b) {
  return matmul_forward<T, false>("matmul", a, b, 1);
}
template <class T>
Var<T> matmul_nt(const Var<T>& a, const Var<T>& b) {
  return matmul_forward<T, true>("matmul_nt", a, b, 1);
}
template <class T>
Var<T> batched_matmul(const Var<T>& a, const Var<T>& b, Index batch) {
  return matmul_forward<T, false>("batched_matmul", a, b, batch);
}
template <class T>
Var<T> batched_matmul_nt(const Var<T>& a, const Var<T>& b, Index batch) {
  return matmul_forward<T, true>("batched_matmul_nt", a, b, batch);
}

template <class T>
Var<T> add(const Var<T>& a, const Var<T>& b) {
  return add_or_sub("add", a, b, T(1));
}
template <class T>
Var<T> sub(const Var<T>& a, const Var<T>& b) {
  return add_or_sub("sub", a, b, T(-1));
}
template <class T>
Var<T> mul(const Var<T>& a, const Var<T>& b) {
  const Broadcast kind = broadcast_kind("mul", a, b);
  Var<T> y = a.tape().record("mul", {a, b}, a.rows(), a.cols(), mul_backward<T>);
  y.node().attr[0] = kind;
  multiply_broadcast<T, false>(y.mutable_value(), a.value(), b.value(), kind);
  return y;
}
template <class T>
Var<T> scale(const Var<T>& a, T factor) {
  Var<T> y = unary("scale", a, scale_backward<T>);
  y.node().scalar = factor;
  y.mutable_value() = factor * a.value();
  return y;
}

template <class T>
Var<T> relu(const Var<T>& x) {
  Var<T> y = unary("relu", x, relu_backward<T>);
  y.mutable_value() = x.value().cwiseMax(T(0));
  return y;
}
template <class T>
Var<T> tanh(const Var<T>& x) {
  Var<T> y = unary("tanh", x, tanh_backward<T>);
  y.mutable_value().array() = x.value().array().tanh();
  return y;
}
template <class T>
Var<T> sigmoid(const Var<T>& x) {
  Var<T> y = unary("sigmoid", x, sigmoid_backward<T>);
  // 1/(1 + e^{−x}): e^{−x} = ∞ below about −88 (float) gives exactly 0, never NaN
  y.mutable_value().array() = T(1) / (T(1) + (-x.value().array()).exp());
  return y;
}
template <class T>
Var<T> gelu(const Var<T>& x) {
  Var<T> y = unary("gelu", x, gelu_backward<T>);
  const auto X = x.value().array();
  y.mutable_value().array() = T(0.5) * X * (T(1) + (kGeluC<T> * (X + kGeluA<T> * X.cube())).tanh());
  return y;
}
template <class T>
Var<T> exp(const Var<T>& x) {
  Var<T> y = unary("exp", x, exp_backward<T>);
  y.mutable_value().array() = x.value().array().exp();
  return y;
}
template <class T>
Var<T> log(const Var<T>& x) {
  Var<T> y = unary("log", x, log_backward<T>);
  y.mutable_value().array() = x.value().array().log();
  return y;
}

template <class T>
Var<T> sum(const Var<T>& x) {
  Var<T> y = x.tape().record("sum", {x}, 1, 1, sum_backward<T>);
  y.node().scalar = T(1);
  y.mutable_value()(0, 0) = x.value().sum();
  return y;
}
template <class T>
Var<T> mean(const Var<T>& x) {
  if (x.value().size() == 0) shape_error("mean", "empty input");
  Var<T> y = x.tape().record("mean", {x}, 1, 1, sum_backward<T>);
  y.node().scalar = T(1) / static_cast<T>(x.value().size());
  y.mutable_value()(0, 0) = x.value().mean();
  return y;
}
template <class T>
Var<T> row_sum(const Var<T>& x) {
  Var<T> y = x.tape().record("row_sum", {x}, x.rows(), 1, row_sum_backward<T>);
  y.node().scalar = T(1);
  y.mutable_value().col(0) = x.value().rowwise().sum();
  return y;
}
template <class T>
Var<T> row_mean(const Var<T>& x) {
  if (x.cols() == 0) shape_error("row_mean", "no columns");
  Var<T> y = x.tape().record("row_mean", {x}, x.rows(), 1, row_sum_backward<T>);
  y.node().scalar = T(1) / static_cast<T>(x.cols());
  y.mutable_value().col(0) = x.value().rowwise().mean();
  return y;
}

template <class T>
Var<T> softmax(const Var<T>& x) {
  Var<T> y = unary("softmax", x, softmax_backward<T>);
  const Matrix<T>& X = x.value();
  Matrix<T>& Y = y.mutable_value();
  for (Index i = 0; i < X.rows(); ++i) {  // (9) e^{x − max} / Σ e^{x − max}: no overflow
    exp_shifted<T>(X.row(i), Y.row(i));
    Y.row(i) /= Y.row(i).sum();
  }
  return y;
}
template <class T>
Var<T> log_softmax(const Var<T>& x) {
  Var<T> y = unary("log_softmax", x, log_softmax_backward<T>);
  const Matrix<T>& X = x.value();
  Matrix<T>& Y = y.mutable_value();
  for (Index i = 0; i < X.rows(); ++i) {  // (10) (x − max) − log Σ e^{x − max}
    const T m = X.row(i).maxCoeff();
    const T log_sum =
        std::log(exp_shifted<T>(X.row(i), Y.row(i)));  // Y holds e^{x − max} for a moment
    Y.row(i).array() = (X.row(i).array() - m) - log_sum;
  }
  return y;
}
template <class T>
Var<T> cross_entropy(const Var<T>& logits, const Eigen::Ref<const Eigen::VectorXi>& labels) {
  const Index n = logits.rows(), k = logits.cols();
  if (labels.size() != n) {
    shape_error("cross_entropy",
                fmt::format("{} labels for logits {}", labels.size(), shape(logits)));
  }
  Var<T> loss = logits.tape().record("cross_entropy", {logits}, 1, 1, cross_entropy_backward<T>);
  Node<T>& node = loss.node();
  node.ints.assign(labels.data(), labels.data() + n);
  node.saved.resize(n, k);
  const Matrix<T>& Z = logits.value();
  Matrix<T>& P = node.saved;
  T total = T(0);
  for (Index i = 0; i < n; ++i) {  // (11) log-sum-exp − z_{i, y_i}, and P = softmax(Z) for backward
    const int y = labels(i);
    if (y < 0 || y >= k) {
      shape_error("cross_entropy", fmt::format("label {} of row {} is outside 0..{}", y, i, k - 1));
    }
    const T m = Z.row(i).maxCoeff();
    const T s = exp_shifted<T>(Z.row(i), P.row(i));
    P.row(i) /= s;
    total +=
        std::log(s) - (Z(i, y) - m);  // log Σ e^{z − m} − (z_y − m): no cancellation at large |z|
  }
  loss.mutable_value()(0, 0) = total / static_cast<T>(n);
  return loss;
}

template <class T>
Var<T> layer_norm(const Var<T>& x, const Var<T>& gain, const Var<T>& bias, T eps) {
  const Index n = x.rows(), d = x.cols();
  if (gain.rows() != 1 || gain.cols() != d || bias.rows() != 1 || bias.cols() != d) {
    shape_error("layer_norm", fmt::format("x is {}: gain and bias must be 1×{}, not {} and {}",
                                          shape(x), d, shape(gain), shape(bias)));
  }
  Var<T> y = x.tape().record("layer_norm", {x, gain, bias}, n, d, layer_norm_backward<T>);
  y.node().scalar = eps;
  Matrix<T>& stats = y.node().saved;
  stats.resize(n, 2);
  const Matrix<T>& X = x.value();
  Matrix<T>& Y = y.mutable_value();
  for (Index i = 0; i < n; ++i) {  // (12) two-pass mean and variance of the row
    const T mu = X.row(i).mean();
    const T var = (X.row(i).array() - mu).square().mean();
    const T rstd = T(1) / std::sqrt(var + eps);
    stats(i, 0) = mu;
    stats(i, 1) = rstd;
    Y.row(i).array() =
        (X.row(i).array() - mu) * rstd * gain.value().row(0).array() + bias.value().row(0).array();
  }
  return y;
}

template <class T>
Var<T> embedding(const Var<T>& table, const Eigen::Ref<const Eigen::VectorXi>& indices) {
  const Index n = indices.size(), vocabulary = table.rows();
  Var<T> y = table.tape().record("embedding", {table}, n, table.cols(), embedding_backward<T>);
  y.node().ints.assign(indices.data(), indices.data() + n);
  for (Index r = 0; r < n; ++r) {  // (14) gather
    if (indices(r) < 0 || indices(r) >= vocabulary) {
      shape_error("embedding", fmt::format("index {} at {} is outside the table's rows 0..{}",
                                           indices(r), r, vocabulary - 1));
    }
    y.mutable_value().row(r) = table.value().row(indices(r));
  }
  return y;
}

template <class T>
Var<T> slice_cols(const Var<T>& x, Index begin, Index count) {
  if (begin < 0 || count < 0 || begin + count > x.cols()) {
    shape_error("slice_cols",
                fmt::format("columns [{}, {}) of {}", begin, begin + count, shape(x)));
  }
  Var<T> y = x.tape().record("slice_cols", {x}, x.rows(), count, slice_cols_backward<T>);
  y.node().attr[0] = begin;
  y.mutable_value() = x.value().middleCols(begin, count);
  return y;
}
template <class T>
Var<T> slice_rows(const Var<T>& x, Index begin, Index count) {
  if (begin < 0 || count < 0 || begin + count > x.rows()) {
    shape_error("slice_rows", fmt::format("rows [{}, {}) of {}", begin, begin + count, shape(x)));
  }
  Var<T> y = x.tape().record("slice_rows", {x}, count, x.cols(), slice_rows_backward<T>);
  y.node().attr[0] = begin;
  y.mutable_value() = x.value().middleRows(begin, count);
  return y;
}
template <class T>
Var<T> concat_cols(std::span<const Var<T>> parts) {
  if (parts.empty()) shape_error("concat_cols", "no parts");
  Index cols = 0;
  for (const Var<T>& p : parts) {
    if (p.rows() != parts[0].rows()) {
      shape_error("concat_cols",
                  fmt::format("parts with {} and {} rows", parts[0].rows(), p.rows()));
    }
    cols += p.cols();
  }
  Var<T> y =
      parts[0].tape().record("concat_cols", parts, parts[0].rows(), cols, concat_cols_backward<T>);
  Index offset = 0;
  for (const Var<T>& p : parts) {
    y.mutable_value().middleCols(offset, p.cols()) = p.value();
    offset += p.cols();
  }
  return y;
}
template <class T>
Var<T> concat_rows(std::span<const Var<T>> parts) {
  if (parts.empty()) shape_error("concat_rows", "no parts");
  Index rows = 0;
  for (const Var<T>& p : parts) {
    if (p.cols() != parts[0].cols()) {
      shape_error("concat_rows",
                  fmt::format("parts with {} and {} columns", parts[0].cols(), p.cols()));
    }
    rows += p.rows();
  }
  Var<T> y =
      parts[0].tape().record("concat_rows", parts, rows, parts[0].cols(), concat_rows_backward<T>);
  Index offset = 0;
  for (const Var<T>& p : parts) {
    y.mutable_value().middleRows(offset, p.rows()) = p.value();
    offset += p.rows();
  }
  return y;
}

template <class T>
Var<T> masked_fill(const Var<T>& x, const Var<T>& mask, T fill) {
  if (mask.rows() != x.rows() || mask.cols() != x.cols()) {
    shape_error("masked_fill", fmt::format("mask {} for x {}", shape(mask), shape(x)));
  }
  if (mask.requires_grad())
    shape_error("masked_fill", "the mask must be an input, not a function of parameters");
  Var<T> y = x.tape().record("masked_fill", {x, mask}, x.rows(), x.cols(), masked_fill_backward<T>);
  y.node().scalar = fill;
  y.mutable_value() = (mask.value().array() != T(0)).select(fill, x.value());
  return y;
}
template <class T>
Var<T> causal_mask(const Var<T>& x, Index batch) {
  if (batch < 1 || x.rows() != batch * x.cols()) {
    shape_error("causal_mask",
                fmt::format("x is {}: it must be (batch·T)×T with batch {}", shape(x), batch));
  }
  Var<T> y = unary("causal_mask", x, causal_mask_backward<T>);
  Matrix<T>& Y = y.mutable_value();
  Y = x.value();
  const Index steps = x.cols();
  for (Index r = 0; r < Y.rows(); ++r) {  // (16) position t sees s ≤ t only
    const Index t = r % steps;
    Y.row(r).tail(steps - t - 1).setConstant(-std::numeric_limits<T>::infinity());
  }
  return y;
}
template <class T>
Var<T> dropout(const Var<T>& x, T p, mlc::Rng& rng) {
  if (!(p >= T(0) && p < T(1))) shape_error("dropout", fmt::format("rate {} is outside [0, 1)", p));
  if (p == T(0)) return x;
  Var<T> y = unary("dropout", x, dropout_backward<T>);
  y.node().scalar = p;
  Matrix<T>& mask = y.node().saved;
  mask.resize(x.rows(), x.cols());
  const T keep_scale = T(1) / (T(1) - p);
  for (Index i = 0; i < mask.size();
       ++i) {  // (17) kept with probability 1 − p, scaled by 1/(1 − p)
    mask.data()[i] = rng.uniform() >= static_cast<double>(p) ? keep_scale : T(0);
  }
  y.mutable_value() = x.value().cwiseProduct(mask);
  return y;
}

// ---- Instantiations ------------------------------------------------------------------------

#define AUTOGRAD_INSTANTIATE_OPS(T)                                                          \
  template Var<T> matmul<T>(const Var<T>&, const Var<T>&);                                   \
  template Var<T> matmul_nt<T>(const Var<T>&, const Var<T>&);                                \
  template Var<T> batched_matmul<T>(const Var<T>&, const Var<T>&, Index);                    \
  template Var<T> batched_matmul_nt<T>(const Var<T>&, const Var<T>&, Index);                 \
  template Var<T> add<T>(const Var<T>&, const Var<T>&);                                      \
  template Var<T> sub<T>(const Var<T>&, const Var<T>&);                                      \
  template Var<T> mul<T>(const Var<T>&, const Var<T>&);                                      \
  template Var<T> scale<T>(const Var<T>&, T);                                                \
  template Var<T> relu<T>(const Var<T>&);                                                    \
  template Var<T> tanh<T>(const Var<T>&);                                                    \
  template Var<T> sigmoid<T>(const Var<T>&);                                                 \
  template Var<T> gelu<T>(const Var<T>&);                                                    \
  template Var<T> exp<T>(const Var<T>&);                                                     \
  template Var<T> log<T>(const Var<T>&);                                                     \
  template Var<T> sum<T>(const Var<T>&);                                                     \
  template Var<T> mean<T>(const Var<T>&);                                                    \
  template Var<T> row_sum<T>(const Var<T>&);                                                 \
  template Var<T> row_mean<T>(const Var<T>&);                                                \
  template Var<T> softmax<T>(const Var<T>&);                                                 \
  template Var<T> log_softmax<T>(const Var<T>&);                                             \
  template Var<T> cross_entropy<T>(const Var<T>&, const Eigen::Ref<const Eigen::VectorXi>&); \
  template Var<T> layer_norm<T>(const Var<T>&, const Var<T>&, const Var<T>&, T);             \
  template Var<T> embedding<T>(const Var<T>&, const Eigen::Ref<const Eigen::VectorXi>&);     \
  template Var<T> slice_cols<T>(const Var<T>&, Index, Index);                                \
  template Var<T> slice_rows<T>(const Var<T>&, Index, Index);                                \
  template Var<T> concat_cols<T>(std::span<const Var<T>>);                                   \
  template Var<T> concat_rows<T>(std::span<const Var<T>>);                                   \
  template Var<T> masked_fill<T>(const Var<T>&, const Var<T>&, T);                           \
  template Var<T> causal_mask<T>(const Var<T>&, Index);                                      \
  template Var<T> dropout<T>(const Var<T>&, T, mlc::Rng&);

AUTOGRAD_INSTANTIATE_OPS(float)
AUTOGRAD_INSTANTIATE_OPS(double)
#undef AUTOGRAD_INSTANTIATE_OPS

}  // namespace autograd
