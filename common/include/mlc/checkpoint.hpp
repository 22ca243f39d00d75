// mlc/checkpoint.hpp: the training checkpoint every long-running lesson saves and resumes
// from (DESIGN.md, "The common library"; lesson 3.3 teaches its use).
//
// A Checkpoint is a set of named entries: float and double matrices (parameters, optimizer
// moments), 64-bit integers (step, epoch) and strings (a configuration fingerprint, an
// Rng::state()). Typical use:
//
//   mlc::Checkpoint ck;
//   ck.put("W1", W1);  ck.put("adam.m.W1", m1);  ck.put_int("epoch", epoch);
//   ck.put_string("config", fingerprint);  ck.put_string("rng", rng.state());
//   ck.save(out / "checkpoint.bin");                 // atomic: temporary file, then rename
//   ...
//   auto ck = mlc::Checkpoint::load(out / "checkpoint.bin");   // DataError if damaged
//   ck.require_string("config", fingerprint);       // DataError if another configuration
//   ck.get("W1", W1);                                // shape must match
//
// File format, version 1 (little-endian, as every machine the curriculum runs on):
//   magic "MLCCKPT1" (8 bytes) | u32 version | u64 payload bytes | u32 CRC-32 of the payload
//   payload: u32 entry count, then per entry in name order:
//     u8 kind (1 float matrix, 2 double matrix, 3 int64, 4 string) | u32 name length | name
//     matrices: u64 rows | u64 cols | rows·cols values, row by row
//     int64: 8 bytes;  string: u64 length | bytes
// The same entries give the same bytes, so two runs that should agree can be compared by
// their checkpoints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

namespace mlc {

class Checkpoint {
 public:
  // Stores a float or double matrix (any storage order; kept row by row).
  template <class Derived>
  void put(const std::string& name, const Eigen::DenseBase<Derived>& m) {
    using Scalar = typename Derived::Scalar;
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                  "Checkpoint stores float or double matrices");
    Entry& e = entry_for_put(name);
    e.kind = std::is_same_v<Scalar, float> ? Kind::kFloat : Kind::kDouble;
    e.rows = static_cast<std::uint64_t>(m.rows());
    e.cols = static_cast<std::uint64_t>(m.cols());
    auto& values = values_of<Scalar>(e);
    values.resize(static_cast<std::size_t>(m.size()));
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      for (Eigen::Index j = 0; j < m.cols(); ++j) {
        values[static_cast<std::size_t>(i * m.cols() + j)] = m(i, j);
      }
    }
  }
  void put_int(const std::string& name, std::int64_t value);
  void put_string(const std::string& name, const std::string& value);

  // Copies the named matrix into `out`, which must have its shape and scalar type (a
  // checkpoint of another configuration is a DataError naming the entry and the fix).
  template <class Derived>
  void get(const std::string& name, Eigen::DenseBase<Derived>& out) const {
    using Scalar = typename Derived::Scalar;
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                  "Checkpoint stores float or double matrices");
    const Entry& e = matrix_entry(
        name, std::is_same_v<Scalar, float> ? Kind::kFloat : Kind::kDouble, out.rows(), out.cols());
    const auto& values = values_of<Scalar>(e);
    for (Eigen::Index i = 0; i < out.rows(); ++i) {
      for (Eigen::Index j = 0; j < out.cols(); ++j) {
        out(i, j) = values[static_cast<std::size_t>(i * out.cols() + j)];
      }
    }
  }
  template <class Derived>
  void get(const std::string& name, Eigen::DenseBase<Derived>&& out) const {  // blocks, maps
    get(name, out);
  }
  Eigen::MatrixXf matrix_f(const std::string& name) const;  // any shape
  Eigen::MatrixXd matrix_d(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  std::string get_string(const std::string& name) const;
  // DataError unless the string entry `name` equals `expected` (e.g. a config fingerprint).
  void require_string(const std::string& name, const std::string& expected) const;
  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  std::vector<std::string> names() const;

  // The file's bytes (format above) and the way back; from_bytes names `source` in errors.
  std::string to_bytes() const;
  static Checkpoint from_bytes(const std::string& bytes, const std::filesystem::path& source);

  // Writes atomically: a reader (or a run killed mid-save) sees the old file or the new one.
  void save(const std::filesystem::path& file) const;
  // Throws DataError naming the file and the fix when it is missing, truncated, corrupt
  // (CRC-32 mismatch), not a checkpoint, or of a newer format version.
  static Checkpoint load(const std::filesystem::path& file);

  static constexpr std::uint32_t kVersion = 1;

 private:
  enum class Kind : std::uint8_t { kFloat = 1, kDouble = 2, kInt = 3, kString = 4 };
  struct Entry {
    Kind kind = Kind::kInt;
    std::uint64_t rows = 0, cols = 0;
    std::vector<float> f;
    std::vector<double> d;
    std::int64_t i = 0;
    std::string s;
  };
  template <class Scalar>
  static auto& values_of(Entry& e) {
    if constexpr (std::is_same_v<Scalar, float>) {
      return e.f;
    } else {
      return e.d;
    }
  }
  template <class Scalar>
  static const auto& values_of(const Entry& e) {
    if constexpr (std::is_same_v<Scalar, float>) {
      return e.f;
    } else {
      return e.d;
    }
  }
  Entry& entry_for_put(const std::string& name);
  const Entry& entry(const std::string& name, Kind kind) const;
  const Entry& matrix_entry(const std::string& name, Kind kind, Eigen::Index rows,
                            Eigen::Index cols) const;

  std::map<std::string, Entry> entries_;
  std::filesystem::path source_;  // the file it was loaded from, for error messages
};

}  // namespace mlc
