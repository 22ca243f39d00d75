// attention_checks.hpp: the evidence that the hand-written ops are right, shared by the
// report and the tests: gradient checks of every op against central differences (the 3.4
// engine's projected check (19) of 3.4's NOTES), the hand-written attention against the
// same computation composed from engine ops, the gradient check of the whole model, and
// the saturation measurement of the unscaled softmax.
#pragma once

#include <vector>

#include "attention.hpp"
#include "mlc/rng.hpp"
#include "op_checks.hpp"
#include "transformer.hpp"

namespace attention {

// The ops of attention.hpp as 3.4 op cases (small random inputs from rng): attention plain,
// causal, cross (T ≠ S) and unscaled; split_heads from a fused projection; merge_heads;
// add_positions; the multi-head layer, plain and causal.
std::vector<autograd::OpCase> op_cases(mlc::Rng& rng);

// The hand-written op against composed_attention on the same random inputs, in double:
// the relative difference ‖a − b‖/‖b‖ of the outputs and the largest of those of the
// gradients of Σ R ⊙ O with respect to q, k and v (R random).
struct Agreement {
  double output = 0.0;
  double gradient = 0.0;
};
Agreement compare_with_composed(Index groups, Index queries, Index keys, Index head_dim,
                                Index value_dim, bool causal, mlc::Rng& rng);

// The gradient check of the whole sequence model in double: the loss (12) of one batch of
// `task` against central differences (h = 1e-6) for every parameter matrix; returns the
// largest norm-wise relative error and the number of entries checked.
struct ModelCheck {
  double relative_error = 0.0;
  Index entries = 0;
};
ModelCheck check_model_gradients(const ModelConfig& model, const TaskConfig& task, Index sequences,
                                 mlc::Rng& rng);

// (10) Saturation of one attention layer at head width d: Q, K entries N(0, 1) (so
// q · k has variance d), V [(G·T) × 16] N(0, 1), the adjoint R of the output N(0, 1);
// scale 1/√d when scaled, 1 otherwise. Measured in double over G groups of T positions:
// The gradient is summarised per row (query) of ∂L/∂S: a near-tie between the two largest
// scores keeps a few rows alive at any d, so the RMS over all rows hides that the typical
// row's gradient vanishes; the median row and the fraction of dead rows show it.
struct Saturation {
  double entropy = 0.0;         // mean row entropy of P, in units of log T (1 = uniform)
  double max_weight = 0.0;      // mean of each row's largest weight
  double score_gradient = 0.0;  // median over rows of ‖∂L/∂S_t‖, the gradient into the scores
  double dead_rows = 0.0;       // fraction of rows with ‖∂L/∂S_t‖ < 1e-4
};
Saturation measure_saturation(Index head_dim, Index positions, Index groups, bool scaled,
                              mlc::Rng& rng);

}  // namespace attention
