// autograd.hpp: a reverse-mode automatic differentiation engine over matrices, the
// substrate every later deep lesson trains on (3.5 CNNs, 3.6 RNNs, 3.7 attention, 3.8 the
// transformer language model, levels 5 and 6).
//
// Sources:
//   Griewank & Walther, Evaluating Derivatives, 2nd ed. (2008), ch. 3-4: the reverse mode,
//     the adjoint recursion and its cost.
//   Baydin, Pearlmutter, Radul & Siskind, "Automatic differentiation in machine learning:
//     a survey", JMLR 18 (2018), §3.2 and §4 (tapes, tensors, implementations).
//   Paszke et al., "Automatic differentiation in PyTorch" (2017): accumulation into leaves,
//     zeroing gradients, requires_grad; the op set follows torch.nn.functional.
//   Karpathy, llm.c (train_gpt2.c): forward/backward pairs, activations allocated once,
//     layer norm's saved (mean, rstd), the tanh GELU.
//   Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR (2019): AdamW.
// Equation numbers (n) refer to NOTES.md.
//
// Symbols: n = rows (samples, or batch × time steps), d = columns (features), B = batch
// count of a batched tensor, T = time steps. Every node holds a row-major matrix; rows are
// samples, as everywhere in the curriculum. A batched tensor of B matrices, each r × c, is
// stored stacked as one (B·r) × c matrix: block b is rows b·r ... b·r + r − 1.
//
// How it is used (one training step; the buffers of step 1 are reused by every later step
// of the same shapes, so a steady-state step allocates nothing):
//
//   Tape<float> tape;
//   Parameter<float> W("W", init_W), b("b", Matrix<float>::Zero(1, k), /*decay=*/false);
//   Adam<float> adam({.learning_rate = 1e-3f});
//   for (each minibatch) {
//     tape.reset();                                     // keeps every buffer
//     Var<float> x = tape.input_rows(X, rows);          // n × d, copied and cast to float
//     Var<float> logits = add(matmul(x, tape.param(W)), tape.param(b));   // n × k
//     Var<float> loss = cross_entropy(logits, labels);  // 1 × 1
//     zero_grad({&W, &b});                              // or gradients accumulate (NOTES)
//     tape.backward(loss);                              // accumulates into W.grad, b.grad
//     adam.step({&W, &b});
//   }
//
// Design (NOTES.md, "Design of the engine", says why):
//   * Tape: owns the nodes in creation order, which is a topological order; backward is one
//     reverse sweep (3). reset() rewinds it and keeps every node's buffers.
//   * Var: a light handle (tape, node index, the tape's generation, so a stale Var from
//     before reset() is an error, not a silent read of another step's node).
//   * Parameter: lives outside the tape (value, gradient, optimizer state) and is bound to
//     the tape each step by tape.param(p); backward accumulates into p.grad.
//   * Ops: free functions, each a forward function and a backward function side by side in
//     ops.cpp; a backward adds the vector-Jacobian product into its parents' gradients (2).
//     Later lessons add their own ops the same way, through Tape::record (see below).
//   * Matrix products go through Eigen's GEMM kernel (gemm() below) with packing buffers
//     owned by the tape, so that not even the GEMM allocates in the steady state.
//   * Templated on the scalar: float to train, double for the gradient checks; both are
//     compiled once, in autograd.cpp and ops.cpp (the extern templates below).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "mlc/rng.hpp"

namespace autograd {

using Eigen::Index;
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatrixRef = Eigen::Ref<Matrix<T>>;
template <class T>
using ConstMatrixRef = Eigen::Ref<const Matrix<T>>;

// A double matrix of the rest of the curriculum (column-major) as an engine matrix.
template <class T>
Matrix<T> to_matrix(const Eigen::MatrixXd& m) {
  return m.cast<T>();
}

// ---- Parameters: trained values that outlive the tape --------------------------------------

template <class T>
struct Parameter {
  std::string name;
  Matrix<T> value;    // the weights
  Matrix<T> grad;     // ∂L/∂value, same shape; backward ACCUMULATES into it (zero_grad)
  Matrix<T> moment1;  // optimizer state: SGD's velocity, Adam's first moment m (20)-(21)
  Matrix<T> moment2;  // Adam's second moment v (21)
  bool decay = true;  // weight decay applies (false for biases and layer-norm gains)

  Parameter() = default;
  Parameter(std::string name, Matrix<T> value, bool decay = true);
  Index size() const { return value.size(); }
};

// Sets every gradient to zero: call it before each backward, or gradients of successive
// steps add up (the failure mode of NOTES.md, (23)).
template <class T>
void zero_grad(std::span<Parameter<T>* const> params);
template <class T>
void zero_grad(std::initializer_list<Parameter<T>*> params) {
  zero_grad(std::span<Parameter<T>* const>(params.begin(), params.size()));
}
template <class T>
void zero_grad(const std::vector<Parameter<T>*>& params) {
  zero_grad(std::span<Parameter<T>* const>(params));
}

// ---- Nodes and handles ----------------------------------------------------------------------

template <class T>
class Tape;
template <class T>
class Var;

// The backward function of an op: adds ∂L/∂(parent) = vjp(∂L/∂out) into the gradient of
// each parent that requires one (2). It reads out.grad(), out.value(), the parents' values
// and whatever the forward saved in the node.
template <class T>
using BackwardFn = void (*)(const Var<T>& out);

// One node of the graph: an op's result, its gradient and what its backward needs.
template <class T>
struct Node {
  const char* op = "";                    // the op's name ("matmul"), for errors and stats
  Matrix<T> value;                        // the result                    [rows × cols]
  Matrix<T> grad;                         // ∂L/∂value, same shape (not used by leaves)
  Matrix<T> saved;                        // what backward needs beyond the parents' values
  std::vector<int> ints;                  // integer inputs: class labels, embedding indices
  Parameter<T>* param = nullptr;          // a parameter leaf: value and grad are *param's
  BackwardFn<T> backward = nullptr;       // null for leaves
  int first_parent = 0, num_parents = 0;  // the parents are tape.parent_ids[first, first + num)
  Index attr[2] = {0, 0};                 // integer attributes: batch count, offset, ...
  T scalar = T(0);                        // a real attribute: factor, ε, dropout rate
  bool requires_grad = false;             // some parameter is an ancestor
};

// A handle to a node of a tape. Cheap to copy; valid until the tape's next reset().
template <class T>
class Var {
 public:
  using Scalar = T;
  Var() = default;
  Var(Tape<T>* tape, int id);

  Tape<T>& tape() const { return *tape_; }
  int id() const { return id_; }
  Index rows() const { return value().rows(); }
  Index cols() const { return value().cols(); }
  const Matrix<T>& value() const;  // the forward result
  T item() const;                  // the value of a 1 × 1 node (a loss)
  bool requires_grad() const { return node().requires_grad; }

  // For the implementation of ops (and of new ops in later lessons):
  Node<T>& node() const;
  Matrix<T>& mutable_value() const { return node().value; }  // filled by the op's forward
  Matrix<T>& grad() const;  // ∂L/∂value: read by the op's backward, added into by children
  Var parent(int k) const;
  bool valid() const;  // on a tape, and recorded since the tape's last reset()

 private:
  Tape<T>* tape_ = nullptr;
  int id_ = -1;
  std::uint64_t generation_ = 0;
};

// Memory held by a tape (for the report: the graph's size).
struct TapeStats {
  int nodes = 0;          // nodes recorded since the last reset
  int nodes_held = 0;     // nodes whose buffers are kept for reuse
  std::size_t bytes = 0;  // bytes of value, grad and saved buffers held
};

// Packing buffers of Eigen's GEMM kernel. Eigen's operator* allocates them at every product
// whose panels exceed 128 KiB (EIGEN_STACK_ALLOCATION_LIMIT); the tape keeps them instead.
template <class T>
struct GemmWorkspace {
  Eigen::Matrix<T, Eigen::Dynamic, 1> packed_lhs, packed_rhs;
};

// C ← β C + α op(A) op(B), op(X) = X or Xᵀ, all row-major: Eigen's GEMM kernel (the one
// behind noalias() = A * B) with the packing buffers of ws, so it allocates only when a
// product larger than any before needs bigger buffers. Sizes are checked.
template <class T>
void gemm(GemmWorkspace<T>& ws, const ConstMatrixRef<T>& A, bool transpose_a,
          const ConstMatrixRef<T>& B, bool transpose_b, MatrixRef<T> C, T alpha, T beta);

// ---- The tape -------------------------------------------------------------------------------

template <class T>
class Tape {
 public:
  using Scalar = T;
  Tape() = default;
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // Leaves. An input is data: copied into the node, no gradient. A parameter leaf refers to
  // p (not copied): ops read p.value, and backward accumulates into p.grad.
  // Any Eigen matrix expression (MatrixXd, an engine Matrix, a block), cast to T.
  template <class Derived>
  Var<T> input(const Eigen::MatrixBase<Derived>& value) {
    Node<T>& n = next_node("input");
    n.value = value.template cast<T>();  // same shape as last step's: no allocation
    return Var<T>(this, size_ - 1);
  }
  // The rows `rows` of X (a minibatch), gathered and cast to T   [rows.size() × X.cols()]
  Var<T> input_rows(const Eigen::MatrixXd& X, std::span<const Index> rows);
  // The same from data already in the engine's layout: each row one contiguous copy (a
  // column-major X makes each gathered row a strided read, slow for wide data).
  Var<T> input_rows(const Matrix<T>& X, std::span<const Index> rows);
  Var<T> param(Parameter<T>& p);

  // Records an op's node: its name, parents, the shape of its result and its backward
  // function. The caller (the op's forward) then fills out.mutable_value() and, if it needs
  // them, node().saved, node().ints, node().attr, node().scalar. requires_grad is set when
  // a parent requires a gradient. This is how every op in ops.cpp is written, and how a
  // later lesson adds a hand-written layer (a convolution, fused attention).
  Var<T> record(const char* op, std::span<const Var<T>> parents, Index rows, Index cols,
                BackwardFn<T> backward);
  Var<T> record(const char* op, std::initializer_list<Var<T>> parents, Index rows, Index cols,
                BackwardFn<T> backward) {
    return record(op, std::span<const Var<T>>(parents.begin(), parents.size()), rows, cols,
                  backward);
  }

  // (3) The backward pass from a 1 × 1 loss: zeroes the gradients of the nodes up to the
  // loss, seeds ∂L/∂L = 1, and sweeps the nodes in reverse creation order (a topological
  // order), calling each reached node's backward. Parameter gradients are NOT zeroed: they
  // accumulate across calls, as PyTorch's do (zero_grad).
  void backward(const Var<T>& loss);
  // The same from any node with a given adjoint (seed, out's shape): the gradients of the
  // scalar Σ seed ⊙ out, a vector-Jacobian product. How an op is checked on its own.
  void backward(const Var<T>& out, const ConstMatrixRef<T>& seed);

  // Forgets the graph but keeps every node's buffers: the next step with the same shapes
  // reuses them (no allocation). Vars from before the reset become invalid.
  void reset();

  int size() const { return size_; }
  std::uint64_t generation() const { return generation_; }
  Node<T>& node(int id) { return *nodes_[static_cast<std::size_t>(id)]; }
  const Node<T>& node(int id) const { return *nodes_[static_cast<std::size_t>(id)]; }
  int parent_id(int id, int k) const {
    return parent_ids_[static_cast<std::size_t>(node(id).first_parent + k)];
  }
  GemmWorkspace<T>& gemm_workspace() { return gemm_; }
  TapeStats stats() const;

 private:
  Node<T>& next_node(const char* op);
  void check_output(const Var<T>& out) const;
  void zero_adjoints(int last);
  void sweep(int last);

  std::vector<std::unique_ptr<Node<T>>> nodes_;  // stable addresses; nodes_[0, size_) live
  int size_ = 0;
  std::uint64_t generation_ = 1;
  std::vector<int> parent_ids_;  // every node's parents, in recording order
  std::vector<char> reached_;    // backward's marks: the node lies on a path to the loss
  GemmWorkspace<T> gemm_;
};

// ---- Var's inline members -------------------------------------------------------------------

template <class T>
inline Var<T>::Var(Tape<T>* tape, int id) : tape_(tape), id_(id), generation_(tape->generation()) {}
template <class T>
inline Node<T>& Var<T>::node() const {
  return tape_->node(id_);
}
template <class T>
inline const Matrix<T>& Var<T>::value() const {
  const Node<T>& n = node();
  return n.param ? n.param->value : n.value;
}
template <class T>
inline Matrix<T>& Var<T>::grad() const {
  Node<T>& n = node();
  return n.param ? n.param->grad : n.grad;
}
template <class T>
inline T Var<T>::item() const {
  return value()(0, 0);
}
template <class T>
inline Var<T> Var<T>::parent(int k) const {
  return Var<T>(tape_, tape_->parent_id(id_, k));
}
template <class T>
inline bool Var<T>::valid() const {
  return tape_ != nullptr && generation_ == tape_->generation() && id_ >= 0 && id_ < tape_->size();
}

// ---- Ops ------------------------------------------------------------------------------------
// Each returns a new node; shapes are checked (std::invalid_argument naming the op and the
// shapes). Broadcasting: in add, sub and mul the second operand b may have 1 row (a row
// vector, added to every row: a bias), 1 column (one value per row) or both (a scalar);
// the result has a's shape.

// (4) C = A B   [m × k]·[k × n] → [m × n]
template <class T>
Var<T> matmul(const Var<T>& a, const Var<T>& b);
// (4) C = A Bᵀ   [m × k]·[n × k]ᵀ → [m × n] (scores Q Kᵀ; logits against a tied embedding)
template <class T>
Var<T> matmul_nt(const Var<T>& a, const Var<T>& b);
// (18) C_b = A_b B_b for b = 0 ... batch−1: a is (batch·m) × k, b is (batch·k) × n
template <class T>
Var<T> batched_matmul(const Var<T>& a, const Var<T>& b, Index batch);
// (18) C_b = A_b B_bᵀ: a is (batch·m) × k, b is (batch·n) × k → (batch·m) × n
template <class T>
Var<T> batched_matmul_nt(const Var<T>& a, const Var<T>& b, Index batch);

// (5) elementwise a + b, a − b, a ⊙ b with b broadcast; s·a
template <class T>
Var<T> add(const Var<T>& a, const Var<T>& b);
template <class T>
Var<T> sub(const Var<T>& a, const Var<T>& b);
template <class T>
Var<T> mul(const Var<T>& a, const Var<T>& b);
template <class T>
Var<T> scale(const Var<T>& a, T factor);

// (6)-(7) elementwise functions
template <class T>
Var<T> relu(const Var<T>& x);
template <class T>
Var<T> tanh(const Var<T>& x);
template <class T>
Var<T> sigmoid(const Var<T>& x);
template <class T>
Var<T> gelu(const Var<T>& x);  // the tanh approximation (7), as GPT-2 and llm.c use
template <class T>
Var<T> exp(const Var<T>& x);
template <class T>
Var<T> log(const Var<T>& x);

// (8) reductions: all entries → 1 × 1; each row → n × 1
template <class T>
Var<T> sum(const Var<T>& x);
template <class T>
Var<T> mean(const Var<T>& x);
template <class T>
Var<T> row_sum(const Var<T>& x);
template <class T>
Var<T> row_mean(const Var<T>& x);

// (9) softmax and (10) log-softmax of each row, with the row maximum subtracted
template <class T>
Var<T> softmax(const Var<T>& x);
template <class T>
Var<T> log_softmax(const Var<T>& x);
// (11) mean cross-entropy −(1/n) Σ_i log softmax(z_i)_{y_i} of logits [n × k] and labels
// y_i ∈ {0 ... k−1}, fused with the log-softmax: 1 × 1
template <class T>
Var<T> cross_entropy(const Var<T>& logits, const Eigen::Ref<const Eigen::VectorXi>& labels);

// (12)-(13) layer norm of each row of x [n × d] with gain and bias [1 × d]
template <class T>
Var<T> layer_norm(const Var<T>& x, const Var<T>& gain, const Var<T>& bias, T eps = T(1e-5));

// (14) rows of table [V × d] by index → [indices.size() × d]; backward scatter-adds
template <class T>
Var<T> embedding(const Var<T>& table, const Eigen::Ref<const Eigen::VectorXi>& indices);

// (15) columns [begin, begin + count) / rows [begin, begin + count), and their inverses
template <class T>
Var<T> slice_cols(const Var<T>& x, Index begin, Index count);
template <class T>
Var<T> slice_rows(const Var<T>& x, Index begin, Index count);
template <class T>
Var<T> concat_cols(std::span<const Var<T>> parts);
template <class T>
Var<T> concat_cols(std::initializer_list<Var<T>> parts) {
  return concat_cols(std::span<const Var<T>>(parts.begin(), parts.size()));
}
template <class T>
Var<T> concat_rows(std::span<const Var<T>> parts);
template <class T>
Var<T> concat_rows(std::initializer_list<Var<T>> parts) {
  return concat_rows(std::span<const Var<T>>(parts.begin(), parts.size()));
}

// (16) masking: entries where mask (same shape, an input) is nonzero become `fill` and pass
// no gradient. causal_mask sets entry (t, s) of each T × T block of x [(batch·T) × T] to −∞
// where s > t: position t attends to positions s ≤ t only.
template <class T>
Var<T> masked_fill(const Var<T>& x, const Var<T>& mask, T fill);
template <class T>
Var<T> causal_mask(const Var<T>& x, Index batch);

// (17) inverted dropout: each entry kept with probability 1 − p and scaled by 1/(1 − p);
// the mask is drawn from rng (pass a stream derived for the purpose). p = 0 is the identity.
template <class T>
Var<T> dropout(const Var<T>& x, T p, mlc::Rng& rng);

// Operators for readability: a + b, a − b (with broadcasting), s·a.
template <class T>
Var<T> operator+(const Var<T>& a, const Var<T>& b) {
  return add(a, b);
}
template <class T>
Var<T> operator-(const Var<T>& a, const Var<T>& b) {
  return sub(a, b);
}
template <class T>
Var<T> operator*(T factor, const Var<T>& a) {
  return scale(a, factor);
}

// ---- Optimizers on parameters ---------------------------------------------------------------

// (20) SGD with heavy-ball momentum and coupled L2 decay:
//   g ← ∇ + λ θ (if p.decay),  v ← μ v + g,  θ ← θ − η v
template <class T>
struct Sgd {
  T learning_rate = T(0.1);
  T momentum = T(0);
  T weight_decay = T(0);
  void step(std::span<Parameter<T>* const> params) const;
  void step(std::initializer_list<Parameter<T>*> params) const {
    step(std::span<Parameter<T>* const>(params.begin(), params.size()));
  }
  void step(const std::vector<Parameter<T>*>& params) const {
    step(std::span<Parameter<T>* const>(params));
  }
};

// (21)-(22) Adam with bias correction, and AdamW's decoupled weight decay when
// weight_decay > 0: θ ← θ − η λ θ (if p.decay) before the Adam step.
template <class T>
struct AdamConfig {
  T learning_rate = T(1e-3);
  T beta1 = T(0.9);
  T beta2 = T(0.999);
  T epsilon = T(1e-8);
  T weight_decay = T(0);
};
template <class T>
class Adam {
 public:
  explicit Adam(AdamConfig<T> config = {}) : config_(config) {}
  void step(std::span<Parameter<T>* const> params);
  void step(std::initializer_list<Parameter<T>*> params) {
    step(std::span<Parameter<T>* const>(params.begin(), params.size()));
  }
  void step(const std::vector<Parameter<T>*>& params) {
    step(std::span<Parameter<T>* const>(params));
  }
  AdamConfig<T>& config() { return config_; }  // e.g. to schedule the learning rate
  long steps() const { return t_; }

 private:
  AdamConfig<T> config_;
  long t_ = 0;
};

// ---- Compiled once, for float and double ----------------------------------------------------
extern template struct Parameter<float>;
extern template struct Parameter<double>;
extern template class Tape<float>;
extern template class Tape<double>;
extern template struct Sgd<float>;
extern template struct Sgd<double>;
extern template class Adam<float>;
extern template class Adam<double>;

}  // namespace autograd
