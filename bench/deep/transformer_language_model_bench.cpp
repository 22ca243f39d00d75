// C++ side of the transformer_language_model benchmark (lesson 3.8): the lesson's library,
// the same model, data, optimizer and step as bench/deep/transformer_language_model.py
// (nanoGPT's CPU configuration: 4 layers, 4 heads, width 128, context 64, batch 12, AdamW with
// betas 0.9/0.99 and weight decay 0.1, clipping at norm 1). Five warm-up steps, then the mean
// wall time of 30 training steps (forward, backward, clipping, AdamW).
//
// Usage: transformer_language_model_bench [--threads N]   (prints one JSON object)
// Data: data/tinyshakespeare.txt (mlc::data_dir(), MLC_DATA_DIR overrides it).
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <omp.h>

#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/io.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "transformer_language_model.hpp"

namespace tlm = transformer_language_model;

int main(int argc, char** argv) {
  int threads = mlc::default_thread_count();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      fmt::print(stderr, "usage: {} [--threads N]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1) {
    fmt::print(stderr, "--threads needs a positive count\n");
    return 2;
  }
  omp_set_num_threads(threads);
  const std::string text = mlc::read_text_file(mlc::data_dir() / "tinyshakespeare.txt");
  const tlm::CharVocabulary vocabulary(text);
  const tlm::Split split = tlm::split_tokens(vocabulary.encode(text));
  mlc::Rng rng(42);
  mlc::Rng init = rng.derive(1);
  tlm::Gpt<float> model({.vocabulary = vocabulary.size()}, init);
  tlm::TrainConfig config;  // the defaults are nanoGPT's CPU configuration
  config.eval_every = 0;
  tlm::Trainer trainer(model, config, split.train, split.val, rng.derive(2));
  const int warmup = 5, steps = 30;
  for (int i = 0; i < warmup; ++i) trainer.step();
  mlc::Timer timer;
  for (int i = 0; i < steps; ++i) trainer.step();
  const double ms = 1e3 * timer.seconds() / steps;
  fmt::print(
      "{{\"model\": \"char_transformer\", \"time_name\": \"step_ms\", \"time\": {:.4f}, "
      "\"quality_name\": null, \"quality\": null, \"threads\": {}}}\n",
      ms, threads);
  return 0;
}
