// mlc/stats.hpp: summaries of repeated measurements (seeds, splits, folds), the mean ± sd
// that every report states. Inference proper (intervals, tests) is lesson 1.7's subject.
#pragma once

#include <vector>

#include <Eigen/Core>

namespace mlc {

// Arithmetic mean; throws std::invalid_argument on an empty list.
double mean(const std::vector<double>& values);
double mean(const Eigen::Ref<const Eigen::VectorXd>& values);

// Sample standard deviation √(Σ (x − x̄)² / (n − 1)), by two passes; 0 for one value.
double sample_sd(const std::vector<double>& values);
double sample_sd(const Eigen::Ref<const Eigen::VectorXd>& values);

// Values collected in a std::vector, copied into an Eigen vector (mlc::Figure takes either).
inline Eigen::VectorXd to_vector(const std::vector<double>& values) {
  return Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
}

}  // namespace mlc
