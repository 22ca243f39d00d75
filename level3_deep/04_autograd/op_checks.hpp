// op_checks.hpp: every op of the engine with a gradient check against central differences,
// one list shared by the report's op table and the tests; and a deliberately wrong op for
// the failure mode the check must catch.
//
// The check of an op y = f(θ_1, ..., θ_m) (19): draw a fixed random adjoint R of y's shape,
// take the backward pass seeded with R (Tape::backward(y, R)), which gives the gradients of
// the scalar L = Σ R ⊙ y with respect to every θ_j, and compare each with the central
// differences of L (mlc::gradcheck: the norm-wise relative error ‖a − n‖ / (‖a‖ + ‖n‖)).
// A random R exercises every entry of the Jacobian, where Σ y would miss, for example, all
// of softmax's (its rows sum to 1 whatever the input).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "autograd.hpp"

namespace autograd {

// An op applied to its inputs on a tape (the inputs are bound as parameters). Written once
// as a generic lambda, stored for both precisions.
template <class T>
using OpBuilder = std::function<Var<T>(Tape<T>&, std::span<const Var<T>>)>;

struct OpCase {
  std::string name;                    // "matmul", "add (row broadcast)", ...
  std::string equation;                // the NOTES.md equation, "(4)"
  std::vector<Matrix<double>> inputs;  // θ_1 ... θ_m
  OpBuilder<double> build_double;
  OpBuilder<float> build_float;
};

// Every op of autograd.hpp (with each broadcasting form), small random inputs drawn from
// rng (log gets positive ones; cross-entropy and embedding fixed labels and indices), and
// two compositions: a two-layer MLP and a causal self-attention block.
std::vector<OpCase> op_cases(mlc::Rng& rng);

struct OpCheck {
  double relative_error = 0.0;  // the largest over the inputs of the norm-wise error (19)
  double error_norm = 0.0;      // ‖a − n‖ of that input
  Index entries = 0;            // the number of input entries checked
};

// The check above in double (h = 1e-6), or in float (the same op through the float build,
// the central differences of its float loss, h = 1e-3 ≈ the cube root of float's ε).
// The adjoint R comes from Rng(seed).
OpCheck check_op(const OpCase& op, std::uint64_t seed, double h = 1e-6);
OpCheck check_op_float(const OpCase& op, std::uint64_t seed, double h = 1e-3);

// A pre-norm causal self-attention block with a residual (3.7's subject, here a composition
// of the engine's ops) on `batch` sequences of T steps stacked as rows, x [(B·T) × C]:
//   H = LN(X),  [Q K V] = H W_qkv,  O_h = softmax(mask(Q_h K_hᵀ / √d_h)) V_h  (h = 1 ... heads),
//   Y = X + [O_1 ... O_heads] W_o,      W_qkv [C × 3C], W_o [C × C], gain, bias [1 × C]
// heads (at most 16) divides C, d_h = C / heads.
template <class T>
Var<T> attention_block(const Var<T>& x, const Var<T>& w_qkv, const Var<T>& w_o, const Var<T>& gain,
                       const Var<T>& bias, Index batch, Index heads);

// A sigmoid whose backward forgets the factor (1 − y): dX += dY ⊙ y instead of
// dY ⊙ y (1 − y). Its forward is right; the failure mode shows the check catching it.
template <class T>
Var<T> sigmoid_missing_factor(const Var<T>& x);
OpCase sigmoid_missing_factor_case(mlc::Rng& rng);

}  // namespace autograd
