// convolutional_networks.hpp: 2-D convolution and max pooling as ops of 3.4's engine
// (autograd::Tape::record), each written twice: a direct convolution, seven nested loops that
// read like the definition (1), the reference; and the fast one, im2col (2) and one GEMM per
// image (3)-(5), threaded over the images of a batch. Both are gradient-checked in double and
// checked against each other and against the same convolution built from engine ops.
//
// Sources:
//   LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to document
//     recognition", Proc. IEEE 86 (1998): LeNet-5, convolution + subsampling.
//   Chellapilla, Puri & Simard, "High performance convolutional neural networks for document
//     processing" (2006): unrolling the convolution into a matrix product (im2col).
//   Goodfellow, Bengio & Courville, Deep Learning (2016), ch. 9: convolution, equivariance,
//     pooling, and the backward pass of a convolution as a convolution.
//   Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016): output
//     sizes (1) with stride and padding.
//   PyTorch's torch.nn.Conv2d / MaxPool2d: the weight layout [C_out, C_in, k, k] and the
//     first-maximum rule for ties.
// Equation numbers (n) refer to NOTES.md.
//
// Layout: NCHW, one image per row. A batch of N images of C channels of H × W pixels is an
// engine matrix [N × (C·H·W)], each row the image's channels one after the other, each channel
// row by row. Why NCHW: rows stay samples as everywhere in the curriculum; a dense layer reads
// a feature map as it is (flatten is free); and for one image the convolution is the product
// W [C_out × C·k²] · cols [C·k² × H'·W'] whose result [C_out × H'·W'] IS the output row in
// NCHW, so the GEMM writes the output in place with no transpose (NOTES.md, "Layout").
// The weight of a convolution is [C_out × (C·k·k)], row o holding filter o in (c, i, j) order:
// PyTorch's [C_out, C, k, k] flattened.
#pragma once

#include <vector>

#include "autograd.hpp"
#include "op_checks.hpp"

namespace convolutional_networks {

using autograd::Index;
using autograd::Matrix;
using autograd::Tape;
using autograd::Var;

// The geometry of a convolution: input C × H × W, C_out filters of k × k, stride s, zero
// padding p on every side. Output size (1): H' = ⌊(H + 2p − k)/s⌋ + 1, W' likewise.
struct Conv2d {
  Index in_channels = 1, height = 28, width = 28;
  Index out_channels = 1;
  Index kernel = 3, stride = 1, padding = 0;

  Index out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
  Index out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
  Index in_size() const { return in_channels * height * width; }  // C·H·W
  Index out_size() const { return out_channels * out_height() * out_width(); }
  Index patch() const { return in_channels * kernel * kernel; }   // C·k²
  Index positions() const { return out_height() * out_width(); }  // H'·W'
  // Throws std::invalid_argument (naming the problem) unless every size is positive, the
  // kernel fits in the padded input and 0 ≤ p < k.
  void check() const;
};

// The geometry of a max pool: C channels of H × W, windows of k × k moved by stride s, no
// padding (a window that would run off the edge is dropped, as PyTorch's floor mode does).
struct Pool2d {
  Index channels = 1, height = 28, width = 28;
  Index kernel = 2, stride = 2;

  Index out_height() const { return (height - kernel) / stride + 1; }
  Index out_width() const { return (width - kernel) / stride + 1; }
  Index in_size() const { return channels * height * width; }
  Index out_size() const { return channels * out_height() * out_width(); }
  void check() const;
};

// ---- Building blocks of the fast convolution (exposed for the tests and the exercises) ----

// (2) im2col of one image x [C·H·W] (NCHW): cols [C·k² × H'·W'],
//   cols[(c·k + i)·k + j, y·W' + x'] = x[c, y·s + i − p, x'·s + j − p]  (0 outside the image).
template <class T>
void im2col(const T* image, const Conv2d& g, autograd::MatrixRef<T> cols);
// (5) the adjoint of im2col: adds every entry of dcols back to the pixel it was read from,
//   dx[c, y·s + i − p, x'·s + j − p] += dcols[(c·k + i)·k + j, y·W' + x']   (inside the image).
template <class T>
void col2im_add(const autograd::ConstMatrixRef<T>& dcols, const Conv2d& g, T* image_grad);

// ---- Ops --------------------------------------------------------------------------------

// (3)-(5) Convolution (cross-correlation, as every framework computes it) of x [N × C·H·W]
// with weight [C_out × C·k²] and bias [1 × C_out]: y [N × C_out·H'·W'] (NCHW). im2col and a
// GEMM per image, OpenMP over images; the weight gradient is summed over fixed groups of
// images in a fixed order, so the result does not depend on the thread count.
template <class T>
Var<T> conv2d(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, const Conv2d& g);

// (1) The same convolution computed straight from the definition, and its backward (6)-(8)
// from the definition too: the readable reference the fast op is checked against.
template <class T>
Var<T> conv2d_direct(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, const Conv2d& g);

// (9)-(10) Max pooling of x [N × C·H·W] → [N × C·H'·W']: each output the largest entry of its
// window (the first one in row-major order on a tie); backward routes each output's gradient
// to that entry (saved as an index in the forward). OpenMP over images.
template <class T>
Var<T> max_pool2d(const Var<T>& x, const Pool2d& g);

// The convolution built from engine ops only (3.4's embedding, concat_cols, matmul, add): for
// each kernel offset (i, j), embedding() gathers the pixel under it for every output position
// from an NHWC table of the input with one extra zero row (the padding), concat_cols lays the
// k² gathers side by side: an im2col in (i, j, c) order, [N·H'·W' × k²·C]; one matmul with the
// weight in that order [k²·C × C_out] and a bias add give the output in NHWC [N·H'·W' × C_out].
// Slow and memory-hungry: an independent check of conv2d, not a layer to train with.
// table: the input as [(N·H·W + 1) × C] (to_nhwc_table); weight_hwio: [k²·C × C_out]
// (to_hwio). Returns [N·H'·W' × C_out].
template <class T>
Var<T> conv2d_from_engine_ops(const Var<T>& table, const Var<T>& weight_hwio, const Var<T>& bias,
                              const Conv2d& g, Index batch);
// The max pool from engine ops: the k² window entries gathered the same way, combined by
// max(a, b) = relu(a − b) + b. table [(N·H·W + 1) × C] as above; returns [N·H'·W' × C].
template <class T>
Var<T> max_pool2d_from_engine_ops(const Var<T>& table, const Pool2d& g, Index batch);

// Layout converters for the engine-op versions (plain copies, used by the tests and the report).
// NCHW rows [N × C·H·W] → NHWC table [(N·H·W + 1) × C] with a last zero row.
Matrix<double> to_nhwc_table(const Matrix<double>& x, Index channels, Index height, Index width);
// NHWC [N·H·W × C] → NCHW rows [N × C·H·W].
Matrix<double> nhwc_to_nchw(const Matrix<double>& y, Index batch, Index channels, Index height,
                            Index width);
// Weight [C_out × C·k²] in (c, i, j) order → [k²·C × C_out] in (i, j, c) order, and back.
Matrix<double> to_hwio(const Matrix<double>& weight, Index in_channels, Index kernel);
Matrix<double> from_hwio(const Matrix<double>& weight_hwio, Index in_channels, Index kernel);

// The ops above as gradient-check cases of 3.4's harness (autograd::check_op): conv2d and
// conv2d_direct at several strides and paddings, max_pool2d, and a small conv-pool-dense net.
std::vector<autograd::OpCase> conv_op_cases(mlc::Rng& rng);

}  // namespace convolutional_networks
