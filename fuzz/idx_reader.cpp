// Fuzz harness of mlc::read_idx_images and mlc::read_idx_labels (common/src/data.cpp), the
// readers of Fashion-MNIST's IDX files, plain or gzip-compressed.
//
// Input: the bytes of an IDX file (either kind; both readers run on every input and one of
// them refuses it by its magic number). A DataError is the documented answer to bad input;
// any other exception, a crash, a leak or undefined behaviour is a finding. Invariants:
//   * accepted images: n × (rows·cols) as the header says (the element count is the
//     product of the dimensions, at least 1), every value the byte at its place;
//   * accepted labels: n ≥ 1 entries, each the byte at its place and below num_classes;
//   * plain input, gzip-compressed here, reads to the same result (or fails alike).
#include <zlib.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "mlc/data.hpp"
#include "mlc/error.hpp"

namespace {

constexpr int kNumClasses = 10;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "idx_reader invariant violated: %s\n", what);
    std::abort();
  }
}

std::optional<Eigen::MatrixXd> images(const std::string& bytes) {
  std::istringstream in(bytes);
  try {
    return mlc::read_idx_images(in, "fuzz.idx");
  } catch (const mlc::DataError&) {
    return std::nullopt;
  }
}

std::optional<Eigen::VectorXi> labels(const std::string& bytes) {
  std::istringstream in(bytes);
  try {
    return mlc::read_idx_labels(in, "fuzz.idx", kNumClasses);
  } catch (const mlc::DataError&) {
    return std::nullopt;
  }
}

std::uint64_t u32_at(const std::string& b, std::size_t offset) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(b[offset + k]);
  return v;
}

// gzip (one member, as gzip(1) writes it) of `plain`.
std::string gzip(const std::string& plain) {
  z_stream zs{};
  check(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
        "deflateInit2");
  std::string out(deflateBound(&zs, static_cast<uLong>(plain.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  check(deflate(&zs, Z_FINISH) == Z_STREAM_END, "deflate finishes in one call");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

bool is_gzip(const std::string& b) {
  return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
         static_cast<unsigned char>(b[1]) == 0x8b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const auto X = images(bytes);
  const auto y = labels(bytes);
  check(!(X && y), "no input is both an image file and a label file");
  if (is_gzip(bytes)) {
    // Compressed input: only the shape can be checked without decompressing here.
    if (X)
      check(X->size() >= 1 && X->minCoeff() >= 0 && X->maxCoeff() <= 255, "pixel values are bytes");
    if (y)
      check(y->size() >= 1 && y->minCoeff() >= 0 && y->maxCoeff() < kNumClasses, "labels in range");
    return 0;
  }
  if (X) {
    const std::uint64_t n = u32_at(bytes, 4), rows = u32_at(bytes, 8), cols = u32_at(bytes, 12);
    check(static_cast<std::uint64_t>(X->rows()) == n, "one row per image");
    check(static_cast<std::uint64_t>(X->cols()) == rows * cols, "one column per pixel");
    check(static_cast<std::uint64_t>(X->size()) == n * rows * cols,
          "element count = product of dims");
    check(X->size() >= 1, "at least one image of at least one pixel");
    check(bytes.size() == 16 + static_cast<std::size_t>(X->size()),
          "the data is exactly the header's size");
    for (Eigen::Index i = 0; i < X->rows(); ++i)
      for (Eigen::Index p = 0; p < X->cols(); ++p)
        check((*X)(i, p) == static_cast<unsigned char>(
                                bytes[16 + static_cast<std::size_t>(i * X->cols() + p)]),
              "each pixel is its byte");
  }
  if (y) {
    check(static_cast<std::uint64_t>(y->size()) == u32_at(bytes, 4), "one label per item");
    check(bytes.size() == 8 + static_cast<std::size_t>(y->size()),
          "the data is exactly the header's size");
    for (Eigen::Index i = 0; i < y->size(); ++i)
      check((*y)(i) == static_cast<unsigned char>(bytes[8 + static_cast<std::size_t>(i)]) &&
                (*y)(i) < kNumClasses,
            "each label is its byte, below num_classes");
  }
  // The same bytes compressed read to the same result.
  const std::string gz = gzip(bytes);
  const auto X2 = images(gz);
  const auto y2 = labels(gz);
  check(X.has_value() == X2.has_value() && y.has_value() == y2.has_value(),
        "gzip-compressed input is accepted alike");
  if (X)
    check(X->rows() == X2->rows() && X->cols() == X2->cols() && *X == *X2,
          "gzip gives the same images");
  if (y) check(*y == *y2, "gzip gives the same labels");
  return 0;
}
