// C++ side of the convolutional_networks benchmark (lesson 3.5): the lesson's library, the
// same network, data, optimizer and batch as bench/deep/convolutional_networks.py: LeNet-5
// (conv 6@5×5 padding 2 → ReLU → 2×2 max pool → conv 16@5×5 → ReLU → pool → 120 → 84 → 10),
// mean cross-entropy, Adam (η = 1e-3), batch 128, shuffled, on the 60 000 training images.
// One warm-up epoch (then the test accuracy, the quality), then one timed epoch of training
// steps (evaluation not timed).
//
// Usage: convolutional_networks_bench [--threads N] [--seed S]   (prints one JSON object)
// Data: Fashion-MNIST's IDX files (mlc::fashion_mnist_dir(), MLC_FASHION_MNIST_DIR).
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <omp.h>
#include <Eigen/Core>

#include "cnn.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/rng.hpp"

namespace cn = convolutional_networks;

int main(int argc, char** argv) {
  int threads = mlc::default_thread_count();
  std::uint64_t seed = 42;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      fmt::print(stderr, "usage: {} [--threads N] [--seed S]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1) {
    fmt::print(stderr, "--threads needs a positive count\n");
    return 2;
  }
  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
  try {
    const mlc::Dataset train = mlc::load_fashion_mnist(true), test = mlc::load_fashion_mnist(false);
    const cn::Split tr{train.X.cast<float>(), train.labels()};
    const cn::Split te{test.X.cast<float>(), test.labels()};
    const mlc::Rng root(seed);
    mlc::Rng init = root.derive(1);
    auto net = cn::make_cnn<float>(cn::lenet5(), init);
    cn::TrainConfig config{.epochs = 1,
                           .batch_size = 128,
                           .learning_rate = 1e-3,
                           .evaluate_test = false,
                           .seed = root.derive(2).next_u64(),
                           .progress = false};
    // The warm-up epoch; the test split stands in as the validation split (not timed).
    const cn::TrainResult warm = cn::train(net, tr, te, te, config);
    config.seed = root.derive(3).next_u64();
    const cn::TrainResult timed = cn::train(net, tr, te, te, config);
    fmt::print(
        "{{\"model\": \"lenet5\", \"time_name\": \"lenet5_epoch_seconds\", \"time\": {:.4f}, "
        "\"quality_name\": \"test_accuracy_after_1_epoch\", \"quality\": {:.4f}, \"threads\": "
        "{}}}\n",
        timed.epochs[0].seconds, warm.epochs[0].val_accuracy, threads);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
