// mlc/error.hpp: the error types every lesson shares, and how they map to exit codes.
//
//   UsageError     bad command-line use                      -> exit 2
//   DataError      a missing or malformed input file         -> exit 2
//   NumericalError an unexpected NaN/Inf in a computation     -> exit 1
//   NotImplemented an exercise stub the learner has not filled (./learn exercise)
//
// Functions check their arguments with require(), which throws std::invalid_argument
// naming the function and what was wrong (mlpack's habit).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <Eigen/Core>

namespace mlc {

// Bad flags or arguments on the command line. The message says how to fix it.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A data file that is missing, truncated or malformed. The message names the file, the
// line or byte offset, and what was expected.
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A computation produced NaN or Inf where that is not an expected result.
struct NumericalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown by the stubs that ./learn exercise puts in place of each BEGIN EXERCISE region.
struct NotImplemented : std::logic_error {
  explicit NotImplemented(const std::string& exercise_name)
      : std::logic_error("exercise \"" + exercise_name +
                         "\" is not implemented yet: fill in its BEGIN EXERCISE region"),
        exercise(exercise_name) {}
  std::string exercise;
};

// Precondition check for public functions: throws std::invalid_argument("func: message").
inline void require(bool condition, std::string_view function, std::string_view message) {
  if (!condition) {
    throw std::invalid_argument(std::string(function) + ": " + std::string(message));
  }
}

// Throws NumericalError("<what> contains NaN or Inf") unless every entry is finite.
inline void require_finite(const Eigen::Ref<const Eigen::MatrixXd>& values, std::string_view what) {
  if (!values.allFinite()) {
    throw NumericalError(std::string(what) + " contains NaN or Inf");
  }
}

}  // namespace mlc
