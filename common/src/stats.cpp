// Summaries of repeated measurements (mlc/stats.hpp).
#include "mlc/stats.hpp"

#include <cmath>

#include "mlc/error.hpp"

namespace mlc {

double mean(const Eigen::Ref<const Eigen::VectorXd>& values) {
  require(values.size() > 0, "mlc::mean", "empty list");
  return values.mean();
}

double mean(const std::vector<double>& values) {
  return mean(Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size())));
}

double sample_sd(const Eigen::Ref<const Eigen::VectorXd>& values) {
  require(values.size() > 0, "mlc::sample_sd", "empty list");
  if (values.size() < 2) return 0.0;
  const double m = values.mean();  // two passes: no cancellation (lesson 1.1)
  return std::sqrt((values.array() - m).square().sum() / static_cast<double>(values.size() - 1));
}

double sample_sd(const std::vector<double>& values) {
  return sample_sd(Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size())));
}

}  // namespace mlc
