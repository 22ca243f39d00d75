// autograd.cpp: the tape (recording, the backward sweep, reuse of buffers), the GEMM with
// persistent packing buffers, the parameters and the optimizers. The ops are in ops.cpp.
// Equation numbers (n) refer to NOTES.md.
#include "autograd.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace autograd {

// ---- Parameters --------------------------------------------------------------------------

template <class T>
Parameter<T>::Parameter(std::string name_, Matrix<T> value_, bool decay_)
    : name(std::move(name_)), value(std::move(value_)), decay(decay_) {
  grad = Matrix<T>::Zero(value.rows(), value.cols());
}

template <class T>
void zero_grad(std::span<Parameter<T>* const> params) {
  for (Parameter<T>* p : params) p->grad.setZero();
}

// ---- GEMM --------------------------------------------------------------------------------

namespace {

// Eigen's blocking descriptor pointing at buffers we own (level3_blocking is the base of
// Eigen's own gemm_blocking_space, which would allocate them for every product).
template <class T>
struct OwnedBlocking : Eigen::internal::level3_blocking<T, T> {
  OwnedBlocking(T* block_a, T* block_b, Index mc, Index nc, Index kc) {
    this->m_blockA = block_a;
    this->m_blockB = block_b;
    this->m_mc = mc;
    this->m_nc = nc;
    this->m_kc = kc;
  }
};

template <class T, int LhsOrder, int RhsOrder>
void gemm_kernel(GemmWorkspace<T>& ws, Index m, Index n, Index k, const T* a, Index lda, const T* b,
                 Index ldb, T* c, Index ldc, T alpha) {
  // A row-major result is computed by Eigen as the column-major product Cᵀ = op(B)ᵀ op(A)ᵀ,
  // so the blocking is that of an n × m result, as gemm_blocking_space would choose it.
  Index kc = k, mc = n, nc = m;
  Eigen::internal::computeProductBlockingSizes<T, T, 1>(kc, mc, nc, Index(1));
  if (ws.packed_lhs.size() < kc * mc) ws.packed_lhs.resize(kc * mc);
  if (ws.packed_rhs.size() < kc * nc) ws.packed_rhs.resize(kc * nc);
  OwnedBlocking<T> blocking(ws.packed_lhs.data(), ws.packed_rhs.data(), mc, nc, kc);
  Eigen::internal::general_matrix_matrix_product<Index, T, LhsOrder, false, T, RhsOrder, false,
                                                 Eigen::RowMajor, 1>::run(m, n, k, a, lda, b, ldb,
                                                                          c, 1, ldc, alpha,
                                                                          blocking, nullptr);
}

std::string shape(Index r, Index c) {
  return fmt::format("{}×{}", r, c);
}

}  // namespace

template <class T>
void gemm(GemmWorkspace<T>& ws, const ConstMatrixRef<T>& A, bool transpose_a,
          const ConstMatrixRef<T>& B, bool transpose_b, MatrixRef<T> C, T alpha, T beta) {
  const Index m = transpose_a ? A.cols() : A.rows(), k = transpose_a ? A.rows() : A.cols();
  const Index kb = transpose_b ? B.cols() : B.rows(), n = transpose_b ? B.rows() : B.cols();
  if (k != kb || C.rows() != m || C.cols() != n) {
    throw std::invalid_argument(fmt::format("gemm: op(A) is {}, op(B) is {}, C is {}", shape(m, k),
                                            shape(kb, n), shape(C.rows(), C.cols())));
  }
  if (beta == T(0)) {
    C.setZero();
  } else if (beta != T(1)) {
    C *= beta;
  }
  if (m == 0 || n == 0 || k == 0) return;
  // A row-major matrix read transposed is the same buffer read column-major.
  const Index lda = A.outerStride(), ldb = B.outerStride(), ldc = C.outerStride();
  constexpr int R = Eigen::RowMajor, Cm = Eigen::ColMajor;
  if (!transpose_a && !transpose_b) {
    gemm_kernel<T, R, R>(ws, m, n, k, A.data(), lda, B.data(), ldb, C.data(), ldc, alpha);
  } else if (!transpose_a && transpose_b) {
    gemm_kernel<T, R, Cm>(ws, m, n, k, A.data(), lda, B.data(), ldb, C.data(), ldc, alpha);
  } else if (transpose_a && !transpose_b) {
    gemm_kernel<T, Cm, R>(ws, m, n, k, A.data(), lda, B.data(), ldb, C.data(), ldc, alpha);
  } else {
    gemm_kernel<T, Cm, Cm>(ws, m, n, k, A.data(), lda, B.data(), ldb, C.data(), ldc, alpha);
  }
}

// ---- The tape ----------------------------------------------------------------------------

template <class T>
Node<T>& Tape<T>::next_node(const char* op) {
  if (static_cast<std::size_t>(size_) == nodes_.size()) {
    nodes_.push_back(std::make_unique<Node<T>>());  // first steps only: later steps reuse it
  }
  Node<T>& n = *nodes_[static_cast<std::size_t>(size_)];
  ++size_;
  n.op = op;
  n.param = nullptr;
  n.backward = nullptr;
  n.first_parent = static_cast<int>(parent_ids_.size());
  n.num_parents = 0;
  n.attr[0] = n.attr[1] = 0;
  n.scalar = T(0);
  n.requires_grad = false;
  return n;
}

template <class T>
Var<T> Tape<T>::input_rows(const Eigen::MatrixXd& X, std::span<const Index> rows) {
  Node<T>& n = next_node("input");
  n.value.resize(static_cast<Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    mlc::require(rows[i] >= 0 && rows[i] < X.rows(), "Tape::input_rows", "row index out of range");
    n.value.row(static_cast<Index>(i)) = X.row(rows[i]).template cast<T>();
  }
  return Var<T>(this, size_ - 1);
}

template <class T>
Var<T> Tape<T>::input_rows(const Matrix<T>& X, std::span<const Index> rows) {
  Node<T>& n = next_node("input");
  n.value.resize(static_cast<Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    mlc::require(rows[i] >= 0 && rows[i] < X.rows(), "Tape::input_rows", "row index out of range");
    n.value.row(static_cast<Index>(i)) = X.row(rows[i]);
  }
  return Var<T>(this, size_ - 1);
}

template <class T>
Var<T> Tape<T>::param(Parameter<T>& p) {
  mlc::require(p.grad.rows() == p.value.rows() && p.grad.cols() == p.value.cols(), "Tape::param",
               "the parameter's grad does not have its value's shape (construct it with "
               "Parameter(name, value))");
  Node<T>& n = next_node("param");
  n.param = &p;
  n.requires_grad = true;
  return Var<T>(this, size_ - 1);
}

template <class T>
Var<T> Tape<T>::record(const char* op, std::span<const Var<T>> parents, Index rows, Index cols,
                       BackwardFn<T> backward) {
  for (const Var<T>& p : parents) {
    if (&p.tape() != this || !p.valid()) {
      throw std::invalid_argument(fmt::format(
          "{}: an operand is not a live node of this tape (a Var kept from before tape.reset(), or "
          "from another tape)",
          op));
    }
  }
  Node<T>& n = next_node(op);
  for (const Var<T>& p : parents) {
    parent_ids_.push_back(p.id());
    n.requires_grad = n.requires_grad || p.requires_grad();
  }
  n.num_parents = static_cast<int>(parents.size());
  n.backward = n.requires_grad ? backward : nullptr;
  n.value.resize(rows, cols);  // a no-op when the buffer already has rows · cols entries
  return Var<T>(this, size_ - 1);
}

template <class T>
void Tape<T>::check_output(const Var<T>& out) const {
  if (&out.tape() != this || !out.valid()) {
    throw std::invalid_argument("Tape::backward: the output is not a live node of this tape");
  }
  mlc::require(out.requires_grad(), "Tape::backward",
               "no parameter reaches the output (bind parameters with tape.param(p))");
}

template <class T>
void Tape<T>::backward(const Var<T>& loss) {
  check_output(loss);
  if (loss.rows() != 1 || loss.cols() != 1) {
    throw std::invalid_argument(
        fmt::format("Tape::backward: the loss must be 1×1, not {} (pass a seed "
                    "for a vector-Jacobian product)",
                    shape(loss.rows(), loss.cols())));
  }
  zero_adjoints(loss.id());
  loss.grad()(0, 0) = T(1);  // ∂L/∂L
  sweep(loss.id());
}

template <class T>
void Tape<T>::backward(const Var<T>& out, const ConstMatrixRef<T>& seed) {
  check_output(out);
  if (seed.rows() != out.rows() || seed.cols() != out.cols()) {
    throw std::invalid_argument(fmt::format("Tape::backward: seed {} for an output {}",
                                            shape(seed.rows(), seed.cols()),
                                            shape(out.rows(), out.cols())));
  }
  zero_adjoints(out.id());
  if (out.node().param == nullptr)
    out.grad() = seed;
  else
    out.grad() += seed;  // the output is a parameter leaf: its gradient accumulates
  sweep(out.id());
}

// Op nodes up to `last` get zero adjoints; leaves have none (inputs) or accumulate (parameters).
template <class T>
void Tape<T>::zero_adjoints(int last) {
  for (int i = 0; i <= last; ++i) {
    Node<T>& n = node(i);
    if (n.requires_grad && n.param == nullptr) n.grad.setZero(n.value.rows(), n.value.cols());
  }
}

template <class T>
void Tape<T>::sweep(int last) {
  reached_.assign(static_cast<std::size_t>(last) + 1, 0);
  reached_[static_cast<std::size_t>(last)] = 1;
  // BEGIN EXERCISE backward_sweep: (3) the reverse sweep from node `last`
  // Creation order is a topological order: every child of node i was recorded after i, so
  // when the sweep reaches i its adjoint is complete (2). Only nodes on a path to the output
  // (reached) run their backward.
  for (int i = last; i >= 0; --i) {
    Node<T>& n = node(i);
    if (!reached_[static_cast<std::size_t>(i)] || n.backward == nullptr) continue;
    n.backward(Var<T>(this, i));
    for (int k = 0; k < n.num_parents; ++k) {
      const int p = parent_id(i, k);
      if (node(p).requires_grad) reached_[static_cast<std::size_t>(p)] = 1;
    }
  }
  // END EXERCISE
}

template <class T>
void Tape<T>::reset() {
  size_ = 0;
  ++generation_;
  parent_ids_.clear();  // keeps its capacity
}

template <class T>
TapeStats Tape<T>::stats() const {
  TapeStats s;
  s.nodes = size_;
  s.nodes_held = static_cast<int>(nodes_.size());
  for (const auto& n : nodes_) {
    s.bytes +=
        static_cast<std::size_t>(n->value.size() + n->grad.size() + n->saved.size()) * sizeof(T) +
        n->ints.capacity() * sizeof(int);
  }
  return s;
}

// ---- Optimizers --------------------------------------------------------------------------

template <class T>
void Sgd<T>::step(std::span<Parameter<T>* const> params) const {
  for (Parameter<T>* p : params) {
    if (p->moment1.size() != p->value.size())
      p->moment1 = Matrix<T>::Zero(p->value.rows(), p->value.cols());
    const T decay = p->decay ? weight_decay : T(0);
    // (20) v ← μ v + (∇ + λ θ),  θ ← θ − η v
    p->moment1 = momentum * p->moment1 + p->grad + decay * p->value;
    p->value -= learning_rate * p->moment1;
  }
}

template <class T>
void Adam<T>::step(std::span<Parameter<T>* const> params) {
  ++t_;
  const AdamConfig<T>& c = config_;
  const T correction1 = T(1) - std::pow(c.beta1, static_cast<T>(t_));
  const T correction2 = T(1) - std::pow(c.beta2, static_cast<T>(t_));
  for (Parameter<T>* p : params) {
    if (p->moment1.size() != p->value.size()) {
      p->moment1 = Matrix<T>::Zero(p->value.rows(), p->value.cols());
      p->moment2 = Matrix<T>::Zero(p->value.rows(), p->value.cols());
    }
    // BEGIN EXERCISE adam_update: AdamW, the decoupled decay (22) and the Adam step (21)
    if (p->decay && c.weight_decay != T(0)) p->value *= T(1) - c.learning_rate * c.weight_decay;
    p->moment1 = c.beta1 * p->moment1 + (T(1) - c.beta1) * p->grad;
    p->moment2 = c.beta2 * p->moment2 + (T(1) - c.beta2) * p->grad.cwiseAbs2();
    // θ ← θ − η m̂ / (√v̂ + ε), with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)
    p->value.array() -= c.learning_rate * (p->moment1.array() / correction1) /
                        ((p->moment2.array() / correction2).sqrt() + c.epsilon);
    // END EXERCISE
  }
}

// ---- Instantiations ----------------------------------------------------------------------

#define AUTOGRAD_INSTANTIATE(T)                                              \
  template struct Parameter<T>;                                              \
  template void zero_grad<T>(std::span<Parameter<T>* const>);                \
  template void gemm<T>(GemmWorkspace<T>&, const ConstMatrixRef<T>&, bool,   \
                        const ConstMatrixRef<T>&, bool, MatrixRef<T>, T, T); \
  template class Tape<T>;                                                    \
  template struct Sgd<T>;                                                    \
  template class Adam<T>;

AUTOGRAD_INSTANTIATE(float)
AUTOGRAD_INSTANTIATE(double)
#undef AUTOGRAD_INSTANTIATE

}  // namespace autograd
