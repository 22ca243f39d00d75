// Data sets, strict readers, synthetic generators and splits (mlc/data.hpp).
#include "mlc/data.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"

#ifndef MLC_DEFAULT_DATA_DIR
#error "MLC_DEFAULT_DATA_DIR must be defined by common/CMakeLists.txt"
#endif

namespace mlc {

namespace fs = std::filesystem;

Eigen::VectorXi Dataset::labels() const {
  if (!is_classification()) throw std::logic_error("Dataset::labels: " + name + " is a regression data set");
  Eigen::VectorXi l(y.size());
  for (Eigen::Index i = 0; i < y.size(); ++i) l(i) = static_cast<int>(std::lround(y(i)));
  return l;
}

// ---- CSV -------------------------------------------------------------------------------

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_line(std::string_view line, char delimiter) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(delimiter, start);
    cells.push_back(trim(line.substr(start, end == std::string_view::npos ? line.npos : end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return cells;
}

// A finite double or nan, the whole cell. from_chars takes no '+' sign, so one is removed
// first; a sign must then not follow ("+-1" is not a number), and an infinity is refused.
bool parse_double(std::string_view cell, double& value) {
  if (cell.empty()) return false;
  if (cell.front() == '+') {
    cell.remove_prefix(1);
    if (cell.empty() || cell.front() == '-') return false;
  }
  const char* first = cell.data();
  const char* last = cell.data() + cell.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  return ec == std::errc() && ptr == last && !std::isinf(value);
}

}  // namespace

CsvTable read_csv(const fs::path& file, char delimiter, bool has_header) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw DataError(fmt::format("{}: cannot open file ({}); check the path", file.string(),
                                std::strerror(errno)));
  }
  return read_csv(in, file.string(), delimiter, has_header);
}

CsvTable read_csv(std::istream& in, const std::string& source, char delimiter, bool has_header) {
  CsvTable table;
  std::vector<double> values;
  std::size_t columns = 0, rows = 0, line_number = 0;
  std::string line;
  bool header_pending = has_header;
  while (std::getline(in, line)) {
    ++line_number;
    std::string_view view = trim(line);
    if (view.empty()) {
      // A blank line is allowed only at the very end of the file.
      std::string rest;
      while (std::getline(in, rest)) {
        if (!trim(rest).empty()) {
          throw DataError(fmt::format("{}:{}: blank line inside the data; expected a row of {} cells",
                                      source, line_number, columns));
        }
      }
      break;
    }
    auto cells = split_line(view, delimiter);
    if (header_pending) {
      for (auto c : cells) table.header.emplace_back(c);
      columns = cells.size();
      header_pending = false;
      continue;
    }
    if (columns == 0) columns = cells.size();
    if (cells.size() != columns) {
      throw DataError(fmt::format("{}:{}: ragged row: {} cells, expected {} (as in {})",
                                  source, line_number, cells.size(), columns,
                                  has_header ? "the header" : "the first row"));
    }
    for (std::size_t c = 0; c < cells.size(); ++c) {
      double v;
      if (!parse_double(cells[c], v)) {
        throw DataError(fmt::format("{}:{}: column {}{}: '{}' is not a number (expected a finite decimal or nan)",
                                    source, line_number, c + 1,
                                    table.header.empty() ? "" : " (" + table.header[c] + ")",
                                    std::string(cells[c])));
      }
      values.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) {
    throw DataError(fmt::format("{}: no data rows{}; expected a numeric CSV file", source,
                                line_number == 0 ? " (the file is empty)" : ""));
  }
  table.values = Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      values.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(columns));
  return table;
}

// ---- IDX -------------------------------------------------------------------------------

namespace {

bool gzip_magic_at(const std::string& raw, std::size_t offset) {
  return raw.size() >= offset + 2 && static_cast<unsigned char>(raw[offset]) == 0x1f &&
         static_cast<unsigned char>(raw[offset + 1]) == 0x8b;
}

// The bytes of an IDX file, decompressed when they are gzip (one member or several, as
// zcat reads them); plain bytes are returned unchanged. Corrupt, truncated or trailing
// non-gzip data after the last member is a DataError.
std::vector<unsigned char> decompress_if_gzip(const std::string& raw, const std::string& source) {
  if (!gzip_magic_at(raw, 0)) return {raw.begin(), raw.end()};
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {  // 16: the gzip wrapper only
    throw DataError(fmt::format("{}: cannot start gzip decompression", source));
  }
  struct End {
    z_stream* zs;
    ~End() { inflateEnd(zs); }
  } end{&zs};
  std::vector<unsigned char> bytes;
  std::array<unsigned char, 1 << 16> buffer{};
  std::size_t fed = 0;  // bytes of `raw` handed to zlib so far
  while (true) {
    if (zs.avail_in == 0 && fed < raw.size()) {
      const std::size_t chunk = std::min<std::size_t>(raw.size() - fed, 1u << 30);  // avail_in is 32-bit
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data() + fed));
      zs.avail_in = static_cast<uInt>(chunk);
      fed += chunk;
    }
    zs.next_out = buffer.data();
    zs.avail_out = static_cast<uInt>(buffer.size());
    const int ret = inflate(&zs, Z_NO_FLUSH);
    bytes.insert(bytes.end(), buffer.begin(), buffer.end() - zs.avail_out);
    const std::size_t offset = fed - zs.avail_in;  // compressed bytes consumed
    if (ret == Z_STREAM_END) {
      if (offset == raw.size()) break;
      if (!gzip_magic_at(raw, offset)) {
        throw DataError(fmt::format("{}: byte offset {}: {} trailing bytes after the gzip data",
                                    source, offset, raw.size() - offset));
      }
      inflateReset(&zs);  // the next member
      continue;
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && zs.avail_in == 0 && fed == raw.size()) {
      throw DataError(fmt::format("{}: truncated gzip data: the compressed stream ends at byte "
                                  "offset {} before its end marker ({} bytes decompressed)",
                                  source, raw.size(), bytes.size()));
    }
    throw DataError(fmt::format("{}: corrupt compressed data near byte offset {} after {} "
                                "decompressed bytes ({})",
                                source, offset, bytes.size(), zs.msg ? zs.msg : "zlib error"));
  }
  return bytes;
}

std::string read_all(std::istream& in, const std::string& source) {
  std::string raw{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw DataError(fmt::format("{}: read error after {} bytes", source, raw.size()));
  return raw;
}

std::string read_binary_file(const fs::path& file) {
  if (!fs::exists(file)) {
    throw DataError(fmt::format("{}: no such file", file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw DataError(fmt::format("{}: cannot open file ({})", file.string(), std::strerror(errno)));
  }
  return read_all(in, file.string());
}

std::uint32_t big_endian_u32(const std::vector<unsigned char>& b, std::size_t offset) {
  return (std::uint32_t{b[offset]} << 24) | (std::uint32_t{b[offset + 1]} << 16) |
         (std::uint32_t{b[offset + 2]} << 8) | std::uint32_t{b[offset + 3]};
}

void require_bytes(const std::string& source, const std::vector<unsigned char>& b,
                   std::size_t needed, const char* what) {
  if (b.size() < needed) {
    throw DataError(fmt::format("{}: truncated at byte offset {}: expected {} bytes for {}",
                                source, b.size(), needed, what));
  }
}

Eigen::MatrixXd parse_idx_images(const std::vector<unsigned char>& b, const std::string& source) {
  require_bytes(source, b, 16, "the IDX image header");
  const std::uint32_t magic = big_endian_u32(b, 0);
  if (magic != 0x00000803) {
    throw DataError(fmt::format("{}: byte offset 0: magic number 0x{:08x}, expected 0x00000803 "
                                "(IDX unsigned-byte images, 3 dimensions)", source, magic));
  }
  const std::uint64_t n = big_endian_u32(b, 4), rows = big_endian_u32(b, 8), cols = big_endian_u32(b, 12);
  // An empty file or empty images would give a matrix with no entries but up to 2^32 rows
  // or 2^64 columns, which every later loop over rows or columns walks: refused, as
  // read_csv refuses a file without data rows.
  if (n == 0 || rows == 0 || cols == 0) {
    throw DataError(fmt::format("{}: byte offset 4: {} images of {}x{} pixels; expected at least "
                                "one image of at least 1x1", source, n, rows, cols));
  }
  const std::uint64_t pixels = rows * cols;  // both below 2^32: no overflow
  const std::uint64_t available = b.size() - 16;
  // n · pixels can exceed 2^64 (a corrupt header): compare without forming the product.
  if (n > available / pixels) {
    std::uint64_t data_bytes = 0;
    const bool huge = __builtin_mul_overflow(n, pixels, &data_bytes) || data_bytes > UINT64_MAX - 16;
    throw DataError(fmt::format("{}: truncated at byte offset {}: expected {} bytes for the image "
                                "data ({} images of {}x{})",
                                source, b.size(), huge ? std::string("more than 2^64")
                                                       : std::to_string(16 + data_bytes),
                                n, rows, cols));
  }
  if (available != n * pixels) {
    throw DataError(fmt::format("{}: {} trailing bytes after {} images of {}x{}", source,
                                available - n * pixels, n, rows, cols));
  }
  Eigen::MatrixXd X(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(pixels));
  for (std::uint64_t i = 0; i < n; ++i)
    for (std::uint64_t p = 0; p < pixels; ++p)
      X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(p)) = b[16 + i * pixels + p];
  return X;
}

Eigen::VectorXi parse_idx_labels(const std::vector<unsigned char>& b, const std::string& source,
                                 int num_classes) {
  require(num_classes >= 1, "read_idx_labels", "num_classes must be at least 1");
  require_bytes(source, b, 8, "the IDX label header");
  const std::uint32_t magic = big_endian_u32(b, 0);
  if (magic != 0x00000801) {
    throw DataError(fmt::format("{}: byte offset 0: magic number 0x{:08x}, expected 0x00000801 "
                                "(IDX unsigned-byte labels, 1 dimension)", source, magic));
  }
  const std::size_t n = big_endian_u32(b, 4);
  if (n == 0) throw DataError(fmt::format("{}: byte offset 4: 0 labels; expected at least one", source));
  require_bytes(source, b, 8 + n, "the labels");
  if (b.size() != 8 + n) {
    throw DataError(fmt::format("{}: {} trailing bytes after {} labels", source, b.size() - 8 - n, n));
  }
  Eigen::VectorXi labels(static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const int label = b[8 + i];
    if (label >= num_classes) {
      throw DataError(fmt::format("{}: byte offset {}: label {} out of range, expected 0..{}",
                                  source, 8 + i, label, num_classes - 1));
    }
    labels(static_cast<Eigen::Index>(i)) = label;
  }
  return labels;
}

}  // namespace

Eigen::MatrixXd read_idx_images(const fs::path& file) {
  return parse_idx_images(decompress_if_gzip(read_binary_file(file), file.string()), file.string());
}

Eigen::VectorXi read_idx_labels(const fs::path& file, int num_classes) {
  return parse_idx_labels(decompress_if_gzip(read_binary_file(file), file.string()), file.string(),
                          num_classes);
}

Eigen::MatrixXd read_idx_images(std::istream& in, const std::string& source) {
  return parse_idx_images(decompress_if_gzip(read_all(in, source), source), source);
}

Eigen::VectorXi read_idx_labels(std::istream& in, const std::string& source, int num_classes) {
  return parse_idx_labels(decompress_if_gzip(read_all(in, source), source), source, num_classes);
}

// ---- SHA-256 (FIPS 180-4) ----------------------------------------------------------------

std::string sha256_file(const fs::path& file) {
  static constexpr std::array<std::uint32_t, 64> k = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::string data = read_text_file(file);
  const std::uint64_t bit_length = static_cast<std::uint64_t>(data.size()) * 8;
  data.push_back(static_cast<char>(0x80));
  while (data.size() % 64 != 56) data.push_back('\0');
  for (int i = 7; i >= 0; --i) data.push_back(static_cast<char>((bit_length >> (8 * i)) & 0xff));
  std::array<std::uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  auto rotr = [](std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (std::size_t block = 0; block < data.size(); block += 64) {
    std::array<std::uint32_t, 64> w{};
    for (int t = 0; t < 16; ++t) {
      const auto* p = reinterpret_cast<const unsigned char*>(data.data() + block + 4 * t);
      w[t] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    }
    for (int t = 16; t < 64; ++t) {
      const std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    auto [a, b, c, d, e, f, g, hh] = h;
    for (int t = 0; t < 64; ++t) {
      const std::uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const std::uint32_t ch = (e & f) ^ (~e & g);
      const std::uint32_t t1 = hh + s1 + ch + k[t] + w[t];
      const std::uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      const std::uint32_t t2 = s0 + maj;
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  std::string hex;
  for (auto word : h) hex += fmt::format("{:08x}", word);
  return hex;
}

// ---- Vendored data sets ----------------------------------------------------------------

fs::path data_dir() {
  if (const char* env = std::getenv("MLC_DATA_DIR"); env && *env) return env;
  return MLC_DEFAULT_DATA_DIR;
}

namespace {
struct DatasetSpec {
  const char* name;
  const char* file;
  std::vector<std::string> class_names;  // empty: regression
};

const std::vector<DatasetSpec>& registry() {
  static const std::vector<DatasetSpec> specs = {
      {"breast_cancer", "breast_cancer.csv", {"malignant", "benign"}},
      {"diabetes", "diabetes.csv", {}},
      {"digits", "digits.csv", {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
      {"iris", "iris.csv", {"setosa", "versicolor", "virginica"}},
      {"wine", "wine.csv", {"class_0", "class_1", "class_2"}},
  };
  return specs;
}
}  // namespace

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const auto& s : registry()) names.emplace_back(s.name);
  return names;
}

Dataset load_dataset(std::string_view name) {
  const auto& specs = registry();
  auto it = std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return name == s.name; });
  if (it == specs.end()) {
    throw DataError(fmt::format("unknown data set '{}'; the vendored ones are: {}", name,
                                fmt::join(dataset_names(), ", ")));
  }
  const fs::path file = data_dir() / it->file;
  CsvTable table = read_csv(file);
  const Eigen::Index d = table.values.cols() - 1;
  if (d < 1 || table.header.back() != "target") {
    throw DataError(fmt::format("{}: the last column must be 'target'", file.string()));
  }
  Dataset data;
  data.name = it->name;
  data.X = table.values.leftCols(d);
  data.y = table.values.col(d);
  data.feature_names.assign(table.header.begin(), table.header.end() - 1);
  data.class_names = it->class_names;
  if (data.is_classification()) {
    const int k = data.num_classes();
    for (Eigen::Index i = 0; i < data.y.size(); ++i) {
      const double v = data.y(i);
      if (v != std::floor(v) || v < 0 || v >= k) {
        throw DataError(fmt::format("{}:{}: target {} out of range, expected a class 0..{}",
                                    file.string(), i + 2, v, k - 1));
      }
    }
  }
  return data;
}

fs::path fashion_mnist_dir() {
  if (const char* env = std::getenv("MLC_FASHION_MNIST_DIR"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

Dataset load_fashion_mnist(bool train, Eigen::Index max_samples) {
  const fs::path dir = fashion_mnist_dir();
  const std::string prefix = train ? "train" : "t10k";
  const fs::path images = dir / (prefix + "-images-idx3-ubyte.gz");
  const fs::path labels = dir / (prefix + "-labels-idx1-ubyte.gz");
  if (!fs::exists(images) || !fs::exists(labels)) {
    throw DataError(fmt::format(
        "Fashion-MNIST not found: {} is missing.\n"
        "It comes from Debian's package dataset-fashion-mnist: run ./learn setup "
        "(or set MLC_FASHION_MNIST_DIR to a folder with the four IDX files).",
        (!fs::exists(images) ? images : labels).string()));
  }
  Dataset data;
  data.name = train ? "fashion_mnist_train" : "fashion_mnist_test";
  Eigen::MatrixXd X = read_idx_images(images);
  Eigen::VectorXi y = read_idx_labels(labels, 10);
  if (X.rows() != y.size()) {
    throw DataError(fmt::format("{}: {} images but {} labels in {}", images.string(), X.rows(),
                                y.size(), labels.string()));
  }
  const Eigen::Index n = max_samples > 0 ? std::min(max_samples, X.rows()) : X.rows();
  data.X = X.topRows(n) / 255.0;
  data.y = y.head(n).cast<double>();
  for (int i = 0; i < 784; ++i) data.feature_names.push_back(fmt::format("pixel_{}_{}", i / 28, i % 28));
  data.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return data;
}

// ---- Synthetic data --------------------------------------------------------------------

namespace {
Dataset synthetic(std::string name, Eigen::Index n, Eigen::Index d, int classes) {
  Dataset data;
  data.name = std::move(name);
  data.X.resize(n, d);
  data.y.resize(n);
  for (Eigen::Index j = 0; j < d; ++j) data.feature_names.push_back(fmt::format("x{}", j + 1));
  for (int c = 0; c < classes; ++c) data.class_names.push_back(fmt::format("class_{}", c));
  return data;
}
}  // namespace

Dataset make_blobs(Eigen::Index n, const Eigen::MatrixXd& centers, double stddev, Rng& rng) {
  require(n > 0 && centers.rows() > 0, "make_blobs", "need n > 0 and at least one center");
  const auto k = centers.rows();
  Dataset data = synthetic("blobs", n, centers.cols(), static_cast<int>(k));
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Index c = i % k;
    for (Eigen::Index j = 0; j < centers.cols(); ++j) data.X(i, j) = centers(c, j) + stddev * rng.normal();
    data.y(i) = static_cast<double>(c);
  }
  return data;
}

Dataset make_moons(Eigen::Index n, double noise, Rng& rng) {
  Dataset data = synthetic("moons", n, 2, 2);
  const Eigen::Index n_upper = (n + 1) / 2;
  for (Eigen::Index i = 0; i < n; ++i) {
    const bool upper = i < n_upper;
    const Eigen::Index m = upper ? n_upper : n - n_upper;
    const Eigen::Index k = upper ? i : i - n_upper;
    const double t = std::numbers::pi * (m > 1 ? static_cast<double>(k) / static_cast<double>(m - 1) : 0.5);
    data.X(i, 0) = upper ? std::cos(t) : 1.0 - std::cos(t);
    data.X(i, 1) = upper ? std::sin(t) : 0.5 - std::sin(t);
    data.X(i, 0) += noise * rng.normal();
    data.X(i, 1) += noise * rng.normal();
    data.y(i) = upper ? 0.0 : 1.0;
  }
  return data;
}

Dataset make_circles(Eigen::Index n, double noise, double factor, Rng& rng) {
  require(factor > 0 && factor < 1, "make_circles", "factor must lie in (0, 1)");
  Dataset data = synthetic("circles", n, 2, 2);
  const Eigen::Index n_outer = (n + 1) / 2;
  for (Eigen::Index i = 0; i < n; ++i) {
    const bool outer = i < n_outer;
    const Eigen::Index m = outer ? n_outer : n - n_outer;
    const Eigen::Index k = outer ? i : i - n_outer;
    const double t = 2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(m);
    const double r = outer ? 1.0 : factor;
    data.X(i, 0) = r * std::cos(t) + noise * rng.normal();
    data.X(i, 1) = r * std::sin(t) + noise * rng.normal();
    data.y(i) = outer ? 0.0 : 1.0;
  }
  return data;
}

Dataset make_spirals(Eigen::Index n, int num_classes, double noise, Rng& rng) {
  require(num_classes >= 2, "make_spirals", "need at least two classes");
  Dataset data = synthetic("spirals", n, 2, num_classes);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % num_classes);
    const Eigen::Index per = (n + num_classes - 1) / num_classes;
    const double s = static_cast<double>(i / num_classes) / static_cast<double>(std::max<Eigen::Index>(per - 1, 1));
    const double r = 0.1 + 0.9 * s;  // radius grows along the arm
    const double t = 2.0 * std::numbers::pi * (1.25 * s + static_cast<double>(c) / num_classes);
    data.X(i, 0) = r * std::cos(t) + noise * rng.normal();
    data.X(i, 1) = r * std::sin(t) + noise * rng.normal();
    data.y(i) = c;
  }
  return data;
}

Dataset make_linear(Eigen::Index n, const Eigen::VectorXd& w, double bias, double noise, Rng& rng) {
  Dataset data = synthetic("linear", n, w.size(), 0);
  data.X = rng.normal_matrix(n, w.size());
  data.y = (data.X * w).array() + bias;
  for (Eigen::Index i = 0; i < n; ++i) data.y(i) += noise * rng.normal();
  return data;
}

// ---- Splits and scaling ----------------------------------------------------------------

Dataset subset(const Dataset& data, const std::vector<Eigen::Index>& rows) {
  Dataset out;
  out.name = data.name;
  out.feature_names = data.feature_names;
  out.class_names = data.class_names;
  out.X.resize(static_cast<Eigen::Index>(rows.size()), data.d());
  out.y.resize(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Eigen::Index r = rows[i];
    require(r >= 0 && r < data.n(), "subset", fmt::format("row {} out of range 0..{}", r, data.n() - 1));
    out.X.row(static_cast<Eigen::Index>(i)) = data.X.row(r);
    out.y(static_cast<Eigen::Index>(i)) = data.y(r);
  }
  return out;
}

TrainTestSplit train_test_split(const Dataset& data, double test_fraction, Rng& rng, bool stratify) {
  require(test_fraction > 0 && test_fraction < 1, "train_test_split", "test_fraction must lie in (0, 1)");
  require(!stratify || data.is_classification(), "train_test_split",
          "stratification needs class labels; pass stratify = false for regression");
  TrainTestSplit split;
  std::vector<std::vector<Eigen::Index>> groups;
  if (stratify) {
    groups.resize(static_cast<std::size_t>(data.num_classes()));
    const Eigen::VectorXi labels = data.labels();
    for (Eigen::Index i = 0; i < data.n(); ++i) groups[static_cast<std::size_t>(labels(i))].push_back(i);
  } else {
    groups.emplace_back();
    for (Eigen::Index i = 0; i < data.n(); ++i) groups[0].push_back(i);
  }
  for (auto& group : groups) {
    rng.shuffle(group);
    const auto n_test = static_cast<std::size_t>(std::lround(test_fraction * static_cast<double>(group.size())));
    split.test_rows.insert(split.test_rows.end(), group.begin(), group.begin() + static_cast<long>(n_test));
    split.train_rows.insert(split.train_rows.end(), group.begin() + static_cast<long>(n_test), group.end());
  }
  std::sort(split.train_rows.begin(), split.train_rows.end());
  std::sort(split.test_rows.begin(), split.test_rows.end());
  require(!split.train_rows.empty() && !split.test_rows.empty(), "train_test_split",
          "a part would be empty; use more data or another test_fraction");
  split.train = subset(data, split.train_rows);
  split.test = subset(data, split.test_rows);
  return split;
}

std::vector<std::vector<Eigen::Index>> kfold_indices(Eigen::Index n, int k, Rng& rng) {
  require(k >= 2 && k <= n, "kfold_indices", fmt::format("need 2 <= k <= n, got k = {}, n = {}", k, n));
  const auto order = rng.permutation(n);
  std::vector<std::vector<Eigen::Index>> folds(static_cast<std::size_t>(k));
  for (Eigen::Index i = 0; i < n; ++i) folds[static_cast<std::size_t>(i % k)].push_back(order[static_cast<std::size_t>(i)]);
  for (auto& f : folds) std::sort(f.begin(), f.end());
  return folds;
}

std::vector<std::vector<Eigen::Index>> stratified_kfold_indices(const Eigen::VectorXi& labels, int k, Rng& rng) {
  require(k >= 2 && k <= labels.size(), "stratified_kfold_indices", "need 2 <= k <= n");
  const int classes = labels.size() > 0 ? labels.maxCoeff() + 1 : 0;
  std::vector<std::vector<Eigen::Index>> by_class(static_cast<std::size_t>(classes));
  for (Eigen::Index i = 0; i < labels.size(); ++i) {
    require(labels(i) >= 0, "stratified_kfold_indices", "labels must be 0..K-1");
    by_class[static_cast<std::size_t>(labels(i))].push_back(i);
  }
  std::vector<std::vector<Eigen::Index>> folds(static_cast<std::size_t>(k));
  std::size_t next = 0;  // continue the round robin across classes so fold sizes stay even
  for (auto& group : by_class) {
    rng.shuffle(group);
    for (auto i : group) folds[next++ % static_cast<std::size_t>(k)].push_back(i);
  }
  for (auto& f : folds) std::sort(f.begin(), f.end());
  return folds;
}

std::vector<Eigen::Index> complement(const std::vector<Eigen::Index>& fold, Eigen::Index n) {
  std::vector<char> in_fold(static_cast<std::size_t>(n), 0);
  for (auto i : fold) in_fold[static_cast<std::size_t>(i)] = 1;
  std::vector<Eigen::Index> rest;
  for (Eigen::Index i = 0; i < n; ++i)
    if (!in_fold[static_cast<std::size_t>(i)]) rest.push_back(i);
  return rest;
}

void Standardizer::fit(const Eigen::Ref<const Eigen::MatrixXd>& X) {
  require(X.rows() >= 1, "Standardizer::fit", "need at least one row");
  mean = X.colwise().mean();
  const Eigen::MatrixXd centered = X.rowwise() - mean;
  // Population standard deviation (divide by n), as in the usual z-score scalers.
  scale = (centered.array().square().colwise().sum() / static_cast<double>(X.rows())).sqrt();
  for (Eigen::Index j = 0; j < scale.size(); ++j)
    if (!(scale(j) > 0)) scale(j) = 1.0;
}

Eigen::MatrixXd Standardizer::transform(const Eigen::Ref<const Eigen::MatrixXd>& X) const {
  require(X.cols() == mean.size(), "Standardizer::transform",
          fmt::format("fitted on {} columns, got {}", mean.size(), X.cols()));
  return (X.rowwise() - mean).array().rowwise() / scale.array();
}

Eigen::MatrixXd Standardizer::fit_transform(const Eigen::Ref<const Eigen::MatrixXd>& X) {
  fit(X);
  return transform(X);
}

}  // namespace mlc
