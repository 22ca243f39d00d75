// mlc/rng.hpp: one seeded random engine for every random choice in the curriculum.
//
// The standard library's distributions (std::normal_distribution, ...) are allowed to
// differ between library implementations, so results would not reproduce across
// machines. Rng uses only std::mt19937_64 (whose output the standard fixes) and derives
// uniforms, normals, integers and shuffles itself, so the same seed gives the same
// numbers everywhere.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include <string>

#include <Eigen/Core>

namespace mlc {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  // An independent stream for sub-task `stream` (e.g. one per repetition): the seed is
  // mixed with splitmix64 so that Rng(s).derive(k) never equals Rng(s + k).
  Rng derive(std::uint64_t stream) const;

  std::uint64_t next_u64();
  double uniform();                      // U[0, 1) with 53 random bits
  double uniform(double lo, double hi);  // U[lo, hi)
  double normal();                       // N(0, 1), Marsaglia's polar method
  double normal(double mean, double stddev);
  std::int64_t integer(std::int64_t lo, std::int64_t hi);  // uniform on {lo, ..., hi}, unbiased
  Eigen::Index index(Eigen::Index n);                      // uniform on {0, ..., n-1}
  bool bernoulli(double p);

  Eigen::VectorXd uniform_vector(Eigen::Index n, double lo = 0.0, double hi = 1.0);
  Eigen::VectorXd normal_vector(Eigen::Index n, double mean = 0.0, double stddev = 1.0);
  Eigen::MatrixXd normal_matrix(Eigen::Index rows, Eigen::Index cols, double mean = 0.0,
                                double stddev = 1.0);
  Eigen::MatrixXd uniform_matrix(Eigen::Index rows, Eigen::Index cols, double lo = 0.0,
                                 double hi = 1.0);

  std::vector<Eigen::Index> permutation(Eigen::Index n);  // Fisher-Yates
  template <class T>
  void shuffle(std::vector<T>& values) {
    for (std::size_t i = values.size(); i > 1; --i) {
      std::swap(values[i - 1],
                values[static_cast<std::size_t>(index(static_cast<Eigen::Index>(i)))]);
    }
  }
  // k distinct indices from {0, ..., n-1}, in random order.
  std::vector<Eigen::Index> sample_without_replacement(Eigen::Index n, Eigen::Index k);

  std::uint64_t seed() const { return seed_; }

  // The whole state as text (seed, engine, the spare normal deviate), and the way back, so
  // that a run resumed from a checkpoint (mlc/checkpoint.hpp) continues the same stream.
  // set_state throws DataError on text that state() did not write.
  std::string state() const;
  void set_state(const std::string& state);

 private:
  std::uint64_t seed_;
  std::mt19937_64 engine_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace mlc
