// Seeded random numbers that reproduce across standard libraries (mlc/rng.hpp).
#include "mlc/rng.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace mlc {

namespace {
// splitmix64 (Steele, Lea & Flood 2014): a bijective mixer used to derive seeds.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

Rng::Rng(std::uint64_t seed) : seed_(seed), engine_(splitmix64(seed)) {}

Rng Rng::derive(std::uint64_t stream) const {
  return Rng(splitmix64(seed_ ^ splitmix64(stream + 0x632be59bd9b4e019ULL)));
}

std::uint64_t Rng::next_u64() {
  return engine_();
}

double Rng::uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * uniform();
}

double Rng::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * factor;
  has_spare_normal_ = true;
  return u * factor;
}

double Rng::normal(double mean, double stddev) {
  return mean + stddev * normal();
}

std::int64_t Rng::integer(std::int64_t lo, std::int64_t hi) {
  require(lo <= hi, "Rng::integer", "empty range");
  const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
  if (range == 0) return static_cast<std::int64_t>(engine_());  // the full 64-bit range
  // Rejection sampling removes the modulo bias.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  std::uint64_t r;
  do {
    r = engine_();
  } while (r >= limit);
  return lo + static_cast<std::int64_t>(r % range);
}

Eigen::Index Rng::index(Eigen::Index n) {
  require(n > 0, "Rng::index", "n must be positive");
  return static_cast<Eigen::Index>(integer(0, n - 1));
}

bool Rng::bernoulli(double p) {
  return uniform() < p;
}

Eigen::VectorXd Rng::uniform_vector(Eigen::Index n, double lo, double hi) {
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v(i) = uniform(lo, hi);
  return v;
}

Eigen::VectorXd Rng::normal_vector(Eigen::Index n, double mean, double stddev) {
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v(i) = normal(mean, stddev);
  return v;
}

Eigen::MatrixXd Rng::normal_matrix(Eigen::Index rows, Eigen::Index cols, double mean,
                                   double stddev) {
  Eigen::MatrixXd m(rows, cols);
  // Row by row, so the numbers land in reading order whatever the storage order.
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = normal(mean, stddev);
  return m;
}

Eigen::MatrixXd Rng::uniform_matrix(Eigen::Index rows, Eigen::Index cols, double lo, double hi) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = uniform(lo, hi);
  return m;
}

std::vector<Eigen::Index> Rng::permutation(Eigen::Index n) {
  std::vector<Eigen::Index> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), Eigen::Index{0});
  shuffle(p);
  return p;
}

std::vector<Eigen::Index> Rng::sample_without_replacement(Eigen::Index n, Eigen::Index k) {
  require(0 <= k && k <= n, "Rng::sample_without_replacement", "need 0 <= k <= n");
  std::vector<Eigen::Index> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), Eigen::Index{0});
  // Partial Fisher-Yates: the first k positions are a uniform k-subset in random order.
  for (Eigen::Index i = 0; i < k; ++i) {
    const Eigen::Index j = i + index(n - i);
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  p.resize(static_cast<std::size_t>(k));
  return p;
}

std::string Rng::state() const {
  std::ostringstream out;
  out << "mlc-rng-1 " << seed_ << ' ' << (has_spare_normal_ ? 1 : 0) << ' '
      << std::bit_cast<std::uint64_t>(spare_normal_) << ' ' << engine_;
  return out.str();
}

void Rng::set_state(const std::string& state) {
  std::istringstream in(state);
  std::string tag;
  std::uint64_t seed = 0, spare_bits = 0;
  int has_spare = 0;
  std::mt19937_64 engine;
  in >> tag >> seed >> has_spare >> spare_bits >> engine;
  if (!in || tag != "mlc-rng-1" || (has_spare != 0 && has_spare != 1) || !(in >> std::ws).eof()) {
    throw DataError(
        fmt::format("random-number state '{:.40}...' is malformed (not written by "
                    "Rng::state()); the checkpoint holding it is damaged",
                    state));
  }
  seed_ = seed;
  has_spare_normal_ = has_spare == 1;
  spare_normal_ = std::bit_cast<double>(spare_bits);
  engine_ = engine;
}

}  // namespace mlc
