// convolutional_networks.cpp: the convolution and max-pool ops (convolutional_networks.hpp):
// im2col and col2im, the fast convolution (one GEMM per image, OpenMP over images), the
// direct convolution, max pooling, the same two layers built from engine ops, and their
// gradient-check cases. Each forward records its node through Tape::record and keeps its
// geometry in node.ints; each backward ADDS its vector-Jacobian products (3.4's rule (2)).
// Equation numbers (n) refer to NOTES.md.
#include "convolutional_networks.hpp"

#include <exception>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace convolutional_networks {

using autograd::ConstMatrixRef;
using autograd::GemmWorkspace;
using autograd::MatrixRef;

void Conv2d::check() const {
  if (in_channels < 1 || height < 1 || width < 1 || out_channels < 1 || kernel < 1 || stride < 1 ||
      padding < 0 || padding >= kernel || height + 2 * padding < kernel ||
      width + 2 * padding < kernel) {
    throw std::invalid_argument(fmt::format(
        "conv2d: bad geometry C={} H={} W={} C_out={} k={} s={} p={} (sizes and stride must be "
        "positive, 0 <= p < k, and the kernel must fit in the padded image)",
        in_channels, height, width, out_channels, kernel, stride, padding));
  }
}

void Pool2d::check() const {
  if (channels < 1 || height < kernel || width < kernel || kernel < 1 || stride < 1) {
    throw std::invalid_argument(
        fmt::format("max_pool2d: bad geometry C={} H={} W={} k={} s={} (the window must fit in the "
                    "image; sizes and stride positive)",
                    channels, height, width, kernel, stride));
  }
}

namespace {

// Images per group of the weight-gradient reduction: each group sums its images' dW in image
// order, then the groups are summed in group order. Fixed, so the sum does not depend on how
// many threads share the groups.
constexpr Index kImagesPerGroup = 8;

// The geometry travels in the node's integer list: [C, H, W, C_out, k, s, p, unused], then
// (max pool) the argmax of every output.
constexpr std::size_t kGeometryInts = 8;

void store(std::vector<int>& ints, const Conv2d& g) {
  ints.resize(kGeometryInts);  // no allocation after the first step
  const Index values[kGeometryInts] = {g.in_channels, g.height, g.width,   g.out_channels,
                                       g.kernel,      g.stride, g.padding, 0};
  for (std::size_t i = 0; i < kGeometryInts; ++i) ints[i] = static_cast<int>(values[i]);
}
Conv2d load_conv(const std::vector<int>& v) {
  return {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
}
void store(std::vector<int>& ints, const Pool2d& g, Index outputs) {
  ints.resize(kGeometryInts + static_cast<std::size_t>(outputs));
  const Index values[5] = {g.channels, g.height, g.width, g.kernel, g.stride};
  for (std::size_t i = 0; i < 5; ++i) ints[i] = static_cast<int>(values[i]);
}
Pool2d load_pool(const std::vector<int>& v) {
  return {v[0], v[1], v[2], v[3], v[4]};
}

template <class T>
std::string shape(const Var<T>& v) {
  return fmt::format("{}×{}", v.rows(), v.cols());
}

template <class T>
void check_conv_operands(const char* op, const Var<T>& x, const Var<T>& weight, const Var<T>& bias,
                         const Conv2d& g) {
  g.check();
  if (x.cols() != g.in_size() || weight.rows() != g.out_channels || weight.cols() != g.patch() ||
      bias.rows() != 1 || bias.cols() != g.out_channels) {
    throw std::invalid_argument(fmt::format(
        "{}: x is {} (needs N×{} = C·H·W), weight {} (needs {}×{} = C_out×C·k²), bias {} "
        "(needs 1×{})",
        op, shape(x), g.in_size(), shape(weight), g.out_channels, g.patch(), shape(bias),
        g.out_channels));
  }
}

// One image's row of an NCHW batch as a C_rows × cols matrix (a view, no copy).
template <class T>
Eigen::Map<Matrix<T>> view(Matrix<T>& m, Index n, Index rows, Index cols) {
  return Eigen::Map<Matrix<T>>(m.row(n).data(), rows, cols);
}
template <class T>
Eigen::Map<const Matrix<T>> view(const Matrix<T>& m, Index n, Index rows, Index cols) {
  return Eigen::Map<const Matrix<T>>(m.row(n).data(), rows, cols);
}

// Runs body(i) for i = 0 … n−1 over the OpenMP threads. An exception thrown by body (a
// stubbed exercise's NotImplemented, say) is carried out of the parallel region and rethrown:
// one escaping an OpenMP region would terminate the program.
template <class Body>
void parallel_for(Index n, const Body& body) {
  std::exception_ptr error;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    try {
      body(i);
    } catch (...) {
#pragma omp critical(convolutional_networks_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

// Per-thread scratch of the fast convolution: the im2col buffer, its gradient, and the GEMM
// packing buffers. Kept for the thread's life, so steady-state steps allocate nothing.
template <class T>
struct Scratch {
  Matrix<T> cols, dcols;
  GemmWorkspace<T> gemm;
};
template <class T>
Scratch<T>& scratch() {
  static thread_local Scratch<T> s;
  return s;
}

}  // namespace

// ---- im2col and col2im (2), (5) ------------------------------------------------------------

template <class T>
void im2col(const T* image, const Conv2d& g, MatrixRef<T> cols) {
  const Index k = g.kernel, s = g.stride, p = g.padding, H = g.height, W = g.width;
  const Index Ho = g.out_height(), Wo = g.out_width();
  // BEGIN EXERCISE im2col: unroll every k × k patch into a column, equation (2)
  for (Index c = 0; c < g.in_channels; ++c) {
    const T* channel = image + c * H * W;
    for (Index i = 0; i < k; ++i) {
      for (Index j = 0; j < k; ++j) {
        T* row = cols.row((c * k + i) * k + j).data();  // [H'·W'], one entry per output position
        for (Index y = 0; y < Ho; ++y) {
          const Index in_y = y * s + i - p;
          T* out = row + y * Wo;
          if (in_y < 0 || in_y >= H) {
            for (Index x = 0; x < Wo; ++x) out[x] = T(0);
            continue;
          }
          const T* in = channel + in_y * W;
          for (Index x = 0; x < Wo; ++x) {
            const Index in_x = x * s + j - p;
            out[x] = (in_x >= 0 && in_x < W) ? in[in_x] : T(0);
          }
        }
      }
    }
  }
  // END EXERCISE
}

template <class T>
void col2im_add(const ConstMatrixRef<T>& dcols, const Conv2d& g, T* image_grad) {
  const Index k = g.kernel, s = g.stride, p = g.padding, H = g.height, W = g.width;
  const Index Ho = g.out_height(), Wo = g.out_width();
  // BEGIN EXERCISE col2im: the adjoint of im2col, scatter-add each column entry to its pixel, (5)
  for (Index c = 0; c < g.in_channels; ++c) {
    T* channel = image_grad + c * H * W;
    for (Index i = 0; i < k; ++i) {
      for (Index j = 0; j < k; ++j) {
        const T* row = dcols.row((c * k + i) * k + j).data();
        for (Index y = 0; y < Ho; ++y) {
          const Index in_y = y * s + i - p;
          if (in_y < 0 || in_y >= H) continue;
          T* out = channel + in_y * W;
          for (Index x = 0; x < Wo; ++x) {
            const Index in_x = x * s + j - p;
            if (in_x >= 0 && in_x < W) out[in_x] += row[y * Wo + x];
          }
        }
      }
    }
  }
  // END EXERCISE
}

// ---- The fast convolution: im2col + GEMM (3)-(5) ------------------------------------------

namespace {

template <class T>
void conv2d_backward(const Var<T>& out) {
  const Var<T> x = out.parent(0), weight = out.parent(1), bias = out.parent(2);
  const Conv2d g = load_conv(out.node().ints);
  const Index N = x.rows(), Co = g.out_channels, K = g.patch(), P = g.positions();
  const Index groups = (N + kImagesPerGroup - 1) / kImagesPerGroup;
  const bool need_w = weight.requires_grad() || bias.requires_grad();
  const bool need_x = x.requires_grad();
  // Partial gradients of each group: rows [gr·C_out, (gr+1)·C_out), columns 0 … K−1 for dW
  // and K for db.
  Matrix<T>& partial = out.node().saved;
  if (need_w) partial.resize(groups * Co, K + 1);
  const Matrix<T>& X = x.value();
  const Matrix<T>& Wt = weight.value();
  const Matrix<T>& dY = out.grad();
  Matrix<T>* dX = need_x ? &x.grad() : nullptr;
  parallel_for(groups, [&](Index gr) {
    Scratch<T>& s = scratch<T>();
    s.cols.resize(K, P);
    s.dcols.resize(K, P);
    auto dW_g = partial.block(gr * Co, 0, need_w ? Co : 0, need_w ? K : 0);
    if (need_w) partial.middleRows(gr * Co, Co).setZero();
    const Index last = std::min(N, (gr + 1) * kImagesPerGroup);
    for (Index n = gr * kImagesPerGroup; n < last; ++n) {
      const auto dY_n = view(dY, n, Co, P);  // [C_out × H'·W']
      // BEGIN EXERCISE conv2d_backward: dW += dY_n colsᵀ, db += dY_n 1, dX_n = col2im(Wᵀ dY_n),
      // (4)-(5)
      if (need_w) {
        im2col<T>(X.row(n).data(), g, s.cols);
        autograd::gemm<T>(s.gemm, dY_n, false, s.cols, true, dW_g, T(1), T(1));
        partial.block(gr * Co, K, Co, 1) += dY_n.rowwise().sum();
      }
      if (need_x) {
        autograd::gemm<T>(s.gemm, Wt, true, dY_n, false, s.dcols, T(1), T(0));
        col2im_add<T>(s.dcols, g, dX->row(n).data());
      }
      // END EXERCISE
    }
  });
  if (!need_w) return;
  // The fixed-order reduction over groups: the same sum whatever the thread count.
  for (Index gr = 0; gr < groups; ++gr) {
    if (weight.requires_grad()) weight.grad() += partial.block(gr * Co, 0, Co, K);
    if (bias.requires_grad()) bias.grad().row(0) += partial.block(gr * Co, K, Co, 1).transpose();
  }
}

}  // namespace

template <class T>
Var<T> conv2d(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, const Conv2d& g) {
  check_conv_operands("conv2d", x, weight, bias, g);
  const Index N = x.rows(), Co = g.out_channels, K = g.patch(), P = g.positions();
  Var<T> y = x.tape().record("conv2d", {x, weight, bias}, N, g.out_size(), conv2d_backward<T>);
  store(y.node().ints, g);
  Matrix<T>& Y = y.mutable_value();
  const Matrix<T>& X = x.value();
  const Matrix<T>& Wt = weight.value();
  const Matrix<T>& b = bias.value();
  parallel_for(N, [&](Index n) {
    Scratch<T>& s = scratch<T>();
    s.cols.resize(K, P);
    auto Y_n = view(Y, n, Co, P);  // [C_out × H'·W'], the output row itself
    // BEGIN EXERCISE conv2d_forward: Y_n = W cols_n + b 1ᵀ through im2col and gemm, (3)
    im2col<T>(X.row(n).data(), g, s.cols);
    autograd::gemm<T>(s.gemm, Wt, false, s.cols, false, Y_n, T(1), T(0));
    Y_n.colwise() += b.row(0).transpose();
    // END EXERCISE
  });
  return y;
}

// ---- The direct convolution (1), (6)-(8) ------------------------------------------------

namespace {

template <class T>
void conv2d_direct_backward(const Var<T>& out) {
  const Var<T> x = out.parent(0), weight = out.parent(1), bias = out.parent(2);
  const Conv2d g = load_conv(out.node().ints);
  const Index k = g.kernel, s = g.stride, p = g.padding, H = g.height, W = g.width;
  const Index Ho = g.out_height(), Wo = g.out_width();
  const Matrix<T>& X = x.value();
  const Matrix<T>& Wt = weight.value();
  const Matrix<T>& dY = out.grad();
  for (Index n = 0; n < x.rows(); ++n) {
    for (Index o = 0; o < g.out_channels; ++o) {
      for (Index y = 0; y < Ho; ++y) {
        for (Index xo = 0; xo < Wo; ++xo) {
          const T d = dY(n, (o * Ho + y) * Wo + xo);         // ∂L/∂y[n, o, y, x']
          if (bias.requires_grad()) bias.grad()(0, o) += d;  // (7)
          for (Index c = 0; c < g.in_channels; ++c) {
            for (Index i = 0; i < k; ++i) {
              for (Index j = 0; j < k; ++j) {
                const Index in_y = y * s + i - p, in_x = xo * s + j - p;
                if (in_y < 0 || in_y >= H || in_x < 0 || in_x >= W) continue;
                const Index pixel = (c * H + in_y) * W + in_x, tap = (c * k + i) * k + j;
                if (weight.requires_grad()) weight.grad()(o, tap) += d * X(n, pixel);  // (6)
                if (x.requires_grad()) x.grad()(n, pixel) += d * Wt(o, tap);           // (8)
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

template <class T>
Var<T> conv2d_direct(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, const Conv2d& g) {
  check_conv_operands("conv2d_direct", x, weight, bias, g);
  Var<T> out = x.tape().record("conv2d_direct", {x, weight, bias}, x.rows(), g.out_size(),
                               conv2d_direct_backward<T>);
  store(out.node().ints, g);
  const Index k = g.kernel, s = g.stride, p = g.padding, H = g.height, W = g.width;
  const Index Ho = g.out_height(), Wo = g.out_width();
  const Matrix<T>& X = x.value();
  const Matrix<T>& Wt = weight.value();
  Matrix<T>& Y = out.mutable_value();
  // BEGIN EXERCISE conv2d_direct: y[n,o,y,x] = b_o + Σ_{c,i,j} W[o,c,i,j] x[n,c,ys+i−p,xs+j−p], (1)
  for (Index n = 0; n < x.rows(); ++n) {
    for (Index o = 0; o < g.out_channels; ++o) {
      for (Index y = 0; y < Ho; ++y) {
        for (Index xo = 0; xo < Wo; ++xo) {
          T sum = bias.value()(0, o);
          for (Index c = 0; c < g.in_channels; ++c) {
            for (Index i = 0; i < k; ++i) {
              for (Index j = 0; j < k; ++j) {
                const Index in_y = y * s + i - p, in_x = xo * s + j - p;
                if (in_y < 0 || in_y >= H || in_x < 0 || in_x >= W) continue;  // zero padding
                sum += Wt(o, (c * k + i) * k + j) * X(n, (c * H + in_y) * W + in_x);
              }
            }
          }
          Y(n, (o * Ho + y) * Wo + xo) = sum;
        }
      }
    }
  }
  // END EXERCISE
  return out;
}

// ---- Max pooling (9)-(10) ----------------------------------------------------------------

namespace {

template <class T>
void max_pool2d_backward(const Var<T>& out) {
  const Var<T> x = out.parent(0);
  const Pool2d g = load_pool(out.node().ints);
  const Index outputs = g.out_size();
  const int* argmax = out.node().ints.data() + kGeometryInts;
  const Matrix<T>& dY = out.grad();
  Matrix<T>& dX = x.grad();
  parallel_for(x.rows(), [&](Index n) {
    // BEGIN EXERCISE max_pool2d_backward: route each output's gradient to its argmax, (10)
    for (Index q = 0; q < outputs; ++q) dX(n, argmax[n * outputs + q]) += dY(n, q);
    // END EXERCISE
  });
}

}  // namespace

template <class T>
Var<T> max_pool2d(const Var<T>& x, const Pool2d& g) {
  g.check();
  if (x.cols() != g.in_size()) {
    throw std::invalid_argument(
        fmt::format("max_pool2d: x is {} (needs N×{} = C·H·W)", shape(x), g.in_size()));
  }
  const Index N = x.rows(), outputs = g.out_size();
  Var<T> y = x.tape().record("max_pool2d", {x}, N, outputs, max_pool2d_backward<T>);
  std::vector<int>& ints = y.node().ints;
  store(ints, g, N * outputs);
  int* argmax = ints.data() + kGeometryInts;
  const Index k = g.kernel, s = g.stride, H = g.height, W = g.width;
  const Index Ho = g.out_height(), Wo = g.out_width();
  const Matrix<T>& X = x.value();
  Matrix<T>& Y = y.mutable_value();
  parallel_for(N, [&](Index n) {
    const T* image = X.row(n).data();
    for (Index c = 0; c < g.channels; ++c) {
      for (Index oy = 0; oy < Ho; ++oy) {
        for (Index ox = 0; ox < Wo; ++ox) {
          Index best = (c * H + oy * s) * W + ox * s;  // the window's first entry
          // BEGIN EXERCISE max_pool2d_forward: the largest entry of the window and where it is, (9)
          for (Index i = 0; i < k; ++i) {
            for (Index j = 0; j < k; ++j) {
              const Index at = (c * H + oy * s + i) * W + ox * s + j;
              if (image[at] > image[best]) best = at;  // strict: the first maximum wins a tie
            }
          }
          // END EXERCISE
          const Index q = (c * Ho + oy) * Wo + ox;
          Y(n, q) = image[best];
          argmax[n * outputs + q] = static_cast<int>(best);
        }
      }
    }
  });
  return y;
}

// ---- The same layers from engine ops -----------------------------------------------------

namespace {

// For kernel offset (i, j): the table row read by every output position (n, y, x'), the
// zero row N·H·W where the offset falls into the padding.
Eigen::VectorXi gather_indices(Index batch, Index height, Index width, Index out_h, Index out_w,
                               Index stride, Index padding, Index i, Index j) {
  Eigen::VectorXi idx(batch * out_h * out_w);
  const Index zero_row = batch * height * width;
  for (Index n = 0; n < batch; ++n) {
    for (Index y = 0; y < out_h; ++y) {
      for (Index x = 0; x < out_w; ++x) {
        const Index in_y = y * stride + i - padding, in_x = x * stride + j - padding;
        const bool inside = in_y >= 0 && in_y < height && in_x >= 0 && in_x < width;
        idx((n * out_h + y) * out_w + x) =
            static_cast<int>(inside ? (n * height + in_y) * width + in_x : zero_row);
      }
    }
  }
  return idx;
}

}  // namespace

template <class T>
Var<T> conv2d_from_engine_ops(const Var<T>& table, const Var<T>& weight_hwio, const Var<T>& bias,
                              const Conv2d& g, Index batch) {
  g.check();
  mlc::require(table.rows() == batch * g.height * g.width + 1 && table.cols() == g.in_channels,
               "conv2d_from_engine_ops", "table must be [(N·H·W + 1) × C]");
  std::vector<Var<T>> gathers;
  for (Index i = 0; i < g.kernel; ++i) {
    for (Index j = 0; j < g.kernel; ++j) {
      gathers.push_back(
          autograd::embedding(table, gather_indices(batch, g.height, g.width, g.out_height(),
                                                    g.out_width(), g.stride, g.padding, i, j)));
    }
  }
  const Var<T> cols = gathers.size() == 1 ? gathers[0] : autograd::concat_cols<T>(gathers);
  return autograd::add(autograd::matmul(cols, weight_hwio), bias);  // [N·H'·W' × C_out]
}

template <class T>
Var<T> max_pool2d_from_engine_ops(const Var<T>& table, const Pool2d& g, Index batch) {
  g.check();
  mlc::require(table.rows() == batch * g.height * g.width + 1 && table.cols() == g.channels,
               "max_pool2d_from_engine_ops", "table must be [(N·H·W + 1) × C]");
  Var<T> best;
  for (Index i = 0; i < g.kernel; ++i) {
    for (Index j = 0; j < g.kernel; ++j) {
      const Var<T> v =
          autograd::embedding(table, gather_indices(batch, g.height, g.width, g.out_height(),
                                                    g.out_width(), g.stride, 0, i, j));
      // max(a, b) = relu(a − b) + b
      best = (i == 0 && j == 0) ? v : autograd::add(autograd::relu(autograd::sub(v, best)), best);
    }
  }
  return best;
}

Matrix<double> to_nhwc_table(const Matrix<double>& x, Index channels, Index height, Index width) {
  const Index N = x.rows(), HW = height * width;
  Matrix<double> table = Matrix<double>::Zero(N * HW + 1, channels);
  for (Index n = 0; n < N; ++n) {
    for (Index c = 0; c < channels; ++c) {
      for (Index q = 0; q < HW; ++q) table(n * HW + q, c) = x(n, c * HW + q);
    }
  }
  return table;
}

Matrix<double> nhwc_to_nchw(const Matrix<double>& y, Index batch, Index channels, Index height,
                            Index width) {
  const Index HW = height * width;
  Matrix<double> out(batch, channels * HW);
  for (Index n = 0; n < batch; ++n) {
    for (Index c = 0; c < channels; ++c) {
      for (Index q = 0; q < HW; ++q) out(n, c * HW + q) = y(n * HW + q, c);
    }
  }
  return out;
}

Matrix<double> to_hwio(const Matrix<double>& weight, Index in_channels, Index kernel) {
  const Index Co = weight.rows(), kk = kernel * kernel;
  Matrix<double> out(kk * in_channels, Co);
  for (Index o = 0; o < Co; ++o) {
    for (Index c = 0; c < in_channels; ++c) {
      for (Index t = 0; t < kk; ++t) out(t * in_channels + c, o) = weight(o, c * kk + t);
    }
  }
  return out;
}

Matrix<double> from_hwio(const Matrix<double>& weight_hwio, Index in_channels, Index kernel) {
  const Index Co = weight_hwio.cols(), kk = kernel * kernel;
  Matrix<double> out(Co, in_channels * kk);
  for (Index o = 0; o < Co; ++o) {
    for (Index c = 0; c < in_channels; ++c) {
      for (Index t = 0; t < kk; ++t) out(o, c * kk + t) = weight_hwio(t * in_channels + c, o);
    }
  }
  return out;
}

// ---- Gradient-check cases ----------------------------------------------------------------

namespace {

Matrix<double> normal(mlc::Rng& rng, Index rows, Index cols, double sd = 1.0) {
  Matrix<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal(0.0, sd);
  return m;
}

template <class F>
autograd::OpCase make_case(std::string name, std::string equation,
                           std::vector<Matrix<double>> inputs, F f) {
  return {std::move(name), std::move(equation), std::move(inputs), autograd::OpBuilder<double>(f),
          autograd::OpBuilder<float>(f)};
}

}  // namespace

std::vector<autograd::OpCase> conv_op_cases(mlc::Rng& rng) {
  std::vector<autograd::OpCase> cases;
  const Index N = 2;
  const Conv2d geometries[] = {
      {.in_channels = 2, .height = 5, .width = 6, .out_channels = 3, .kernel = 3, .padding = 1},
      {.in_channels = 2, .height = 7, .width = 6, .out_channels = 3, .kernel = 3, .stride = 2},
      {.in_channels = 1, .height = 6, .width = 6, .out_channels = 2, .kernel = 5, .padding = 2},
  };
  for (const Conv2d& g : geometries) {
    const std::string where =
        fmt::format("{}×{} kernel, stride {}, padding {}", g.kernel, g.kernel, g.stride, g.padding);
    std::vector<Matrix<double>> inputs = {normal(rng, N, g.in_size()),
                                          normal(rng, g.out_channels, g.patch(), 0.5),
                                          normal(rng, 1, g.out_channels)};
    cases.push_back(make_case("conv2d (im2col + GEMM, " + where + ")", "(3)-(5)", inputs,
                              [g](auto&, auto v) { return conv2d(v[0], v[1], v[2], g); }));
    cases.push_back(make_case("conv2d_direct (" + where + ")", "(1), (6)-(8)", inputs,
                              [g](auto&, auto v) { return conv2d_direct(v[0], v[1], v[2], g); }));
  }
  const Pool2d pools[] = {{.channels = 2, .height = 6, .width = 5, .kernel = 2, .stride = 2},
                          {.channels = 2, .height = 7, .width = 7, .kernel = 3, .stride = 2}};
  for (const Pool2d& g : pools) {
    cases.push_back(
        make_case(fmt::format("max_pool2d ({}×{} window, stride {})", g.kernel, g.kernel, g.stride),
                  "(9)-(10)", {normal(rng, N, g.in_size())},
                  [g](auto&, auto v) { return max_pool2d(v[0], g); }));
  }
  // A small network: conv 3×3 (2 channels, padding 1) → ReLU → 2×2 max pool → dense → CE.
  const Conv2d c{
      .in_channels = 1, .height = 6, .width = 6, .out_channels = 2, .kernel = 3, .padding = 1};
  const Pool2d p{.channels = 2, .height = 6, .width = 6};
  const Eigen::VectorXi labels = (Eigen::VectorXi(3) << 2, 0, 1).finished();
  cases.push_back(
      make_case("network: conv → relu → max pool → dense → cross-entropy", "(3)-(10), 3.4's (11)",
                {normal(rng, 3, c.in_size()), normal(rng, 2, 9, 0.5), normal(rng, 1, 2, 0.1),
                 normal(rng, p.out_size(), 3, 0.5)},
                [c, p, labels](auto&, auto v) {
                  const auto h = max_pool2d(autograd::relu(conv2d(v[0], v[1], v[2], c)), p);
                  return autograd::cross_entropy(autograd::matmul(h, v[3]), labels);
                }));
  return cases;
}

// ---- Instantiations ------------------------------------------------------------------------

#define CONVOLUTIONAL_NETWORKS_INSTANTIATE(T)                                                   \
  template void im2col<T>(const T*, const Conv2d&, MatrixRef<T>);                               \
  template void col2im_add<T>(const ConstMatrixRef<T>&, const Conv2d&, T*);                     \
  template Var<T> conv2d<T>(const Var<T>&, const Var<T>&, const Var<T>&, const Conv2d&);        \
  template Var<T> conv2d_direct<T>(const Var<T>&, const Var<T>&, const Var<T>&, const Conv2d&); \
  template Var<T> max_pool2d<T>(const Var<T>&, const Pool2d&);                                  \
  template Var<T> conv2d_from_engine_ops<T>(const Var<T>&, const Var<T>&, const Var<T>&,        \
                                            const Conv2d&, Index);                              \
  template Var<T> max_pool2d_from_engine_ops<T>(const Var<T>&, const Pool2d&, Index);

CONVOLUTIONAL_NETWORKS_INSTANTIATE(float)
CONVOLUTIONAL_NETWORKS_INSTANTIATE(double)
#undef CONVOLUTIONAL_NETWORKS_INSTANTIATE

}  // namespace convolutional_networks
