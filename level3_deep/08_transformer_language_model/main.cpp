// 3.8 transformer_language_model: a decoder-only transformer trained on tiny-shakespeare's
// characters. The program checks the two hand-written ops against the engine and central
// differences, trains nanoGPT's CPU configuration (checkpointed: --resume continues a killed
// run), draws the loss curves and the attention maps of a trained head, samples at several
// temperatures, compares characters with BPE tokens at equal compute in bits per character,
// shows that the results do not depend on the thread count, and provokes the failure modes
// (overfitting a tiny slice; temperature extremes).
// Run: ./learn run transformer_language_model [--quick] [--seed N] [--threads N] [--resume].
// Equation numbers (n) refer to NOTES.md.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <omp.h>

#include "bpe.hpp"
#include "lesson_identity.hpp"
#include "mlc/cli.hpp"
#include "mlc/data.hpp"
#include "mlc/io.hpp"
#include "mlc/plot.hpp"
#include "mlc/report.hpp"
#include "mlc/rng.hpp"
#include "mlc/timer.hpp"
#include "op_checks.hpp"
#include "transformer_language_model.hpp"

namespace ag = autograd;
namespace tlm = transformer_language_model;
using ag::Index;

namespace {

const mlc::LessonInfo kLesson = mlc::this_lesson(
    "A decoder-only transformer (token and position embeddings, pre-norm blocks of causal "
    "multi-head attention and a GELU MLP, tied output head) trained on tiny-shakespeare's "
    "characters with AdamW, warm-up and cosine decay on 3.4's engine, with a fused attention op "
    "checked against engine ops and central differences; sampling with temperature and top-k; a "
    "BPE tokenizer compared with characters at equal compute in bits per character; results "
    "independent of the thread count; checkpoints and --resume. Failure modes: overfitting a "
    "tiny slice, temperature extremes.",
    "report.md, metrics.json, checkpoint_char.bin, checkpoint_bpe.bin, figures/loss_curves.svg, "
    "figures/attention_layer1.svg, figures/attention_layer4.svg, figures/temperature.svg, "
    "figures/overfitting.svg",
    {.threads = true, .resume = true});

constexpr double kLn2 = std::numbers::ln2;

// Sizes of the full run (nanoGPT's CPU configuration, data/REFERENCE_NUMBERS.md §4.2) and of
// --quick (a toy model, a few steps).
struct Settings {
  tlm::ModelConfig model;
  tlm::TrainConfig train;
  Index bpe_vocabulary;     // characters + merges
  std::size_t bpe_text;     // training characters the merges are learned on
  Index sample_chars;       // characters per sample
  std::size_t slice_chars;  // the tiny slice of the overfitting failure mode
  long slice_steps;
  int timing_steps;  // steps per thread count in the thread section
};
Settings settings(bool quick) {
  Settings s;
  if (quick) {
    s.model = {.vocabulary = 65, .context = 16, .width = 32, .layers = 2, .heads = 2};
    s.train = {.steps = 40,
               .batch = 8,
               .warmup_steps = 5,
               .eval_every = 20,
               .eval_batches = 4,
               .checkpoint_every = 20};
    s.bpe_vocabulary = 96;
    s.bpe_text = 50'000;
    s.sample_chars = 120;
    s.slice_chars = 400;
    s.slice_steps = 120;
    s.timing_steps = 2;
  } else {
    s.model = {.vocabulary = 65, .context = 64, .width = 128, .layers = 4, .heads = 4};
    s.train = {.steps = 2000,
               .batch = 12,
               .warmup_steps = 100,
               .eval_every = 200,
               .eval_batches = 40,
               .checkpoint_every = 250};
    s.bpe_vocabulary = 512;
    s.bpe_text = 1'003'854;  // all of the training text
    s.sample_chars = 600;
    s.slice_chars = 5'000;
    s.slice_steps = 600;
    s.timing_steps = 10;
  }
  return s;
}

struct Corpus {
  std::string text;
  tlm::CharVocabulary vocabulary;
  tlm::Split split;  // character ids: first 90 % train, last 10 % validate
  std::string train_text, val_text;
};
Corpus load_corpus() {
  const std::filesystem::path file = mlc::data_dir() / "tinyshakespeare.txt";
  std::string text = mlc::read_text_file(file);
  tlm::CharVocabulary vocabulary(text);
  tlm::Split split = tlm::split_tokens(vocabulary.encode(text));
  const std::size_t n_train = static_cast<std::size_t>(split.train.size());
  return {text, vocabulary, split, text.substr(0, n_train), text.substr(n_train)};
}

// A trained model with its trainer (which holds the history).
struct Trained {
  std::unique_ptr<tlm::Gpt<float>> model;
  std::unique_ptr<tlm::Trainer> trainer;
};

// Trains (or, with --resume, continues from `checkpoint` in --out) with a progress line.
Trained train_model(const tlm::ModelConfig& config, const tlm::TrainConfig& train_config,
                    const tlm::Tokens& train, const tlm::Tokens& val, const mlc::Rng& rng,
                    const mlc::Options& opt, const std::string& checkpoint, const char* what) {
  mlc::Rng init = rng.derive(1);
  Trained t;
  t.model = std::make_unique<tlm::Gpt<float>>(config, init);
  t.trainer = std::make_unique<tlm::Trainer>(*t.model, train_config, train, val, rng.derive(2));
  const std::filesystem::path file = checkpoint.empty() ? "" : opt.out / checkpoint;
  if (opt.resume && !file.empty() && std::filesystem::exists(file)) {
    t.trainer->load(file);
    fmt::print("{}: resumed from {} at step {}\n", what, file.string(), t.trainer->steps_done());
  }
  mlc::Progress progress(what, train_config.steps);
  t.trainer->run(file, [&](long step, double loss) {
    progress.update(step, fmt::format("loss {:.3f}", loss));
  });
  progress.finish();
  return t;
}

// ---- 1. Data and model --------------------------------------------------------------------
void data_and_model(mlc::Report& report, const Corpus& corpus, const Settings& s) {
  report.section("Data and model");
  mlc::Rng rng(0);
  tlm::Gpt<float> model(s.model, rng);
  report.text(fmt::format(
      "tiny-shakespeare: {} characters, {} distinct; the first 90 % ({} characters) train, the "
      "last {} validate (nanoGPT's split, data/REFERENCE_NUMBERS.md §4.2). The model (7)-(8): "
      "{} layers, {} heads, width {}, MLP {}× wide with GELU, context {}, output head tied to the "
      "token embedding, biases in every linear layer and layer norm: {} parameters. A training "
      "step of {} sequences costs {} GFLOP (the matrix products and the attention, forward and "
      "backward).",
      report.quote("data.characters", static_cast<double>(corpus.text.size())),
      report.quote("data.vocabulary", static_cast<double>(corpus.vocabulary.size())),
      report.quote("data.train_characters", static_cast<double>(corpus.split.train.size())),
      report.quote("data.val_characters", static_cast<double>(corpus.split.val.size())),
      s.model.layers, s.model.heads, s.model.width, s.model.mlp_ratio, s.model.context,
      report.quote("model.parameters", static_cast<double>(model.num_parameters())), s.train.batch,
      report.quote("model.gflop_per_step",
                   tlm::training_flops_per_step(s.model, s.train.batch) / 1e9, 3)));
}

// ---- 2. The hand-written ops against the engine and central differences --------------------
ag::OpCase attention_case(mlc::Rng& rng, Index batch, Index len, Index C, Index heads) {
  return {"causal_self_attention",
          "(3)-(5)",
          {rng.normal_matrix(batch * len, 3 * C)},
          [=](ag::Tape<double>&, std::span<const ag::Var<double>> v) {
            return tlm::causal_self_attention(v[0], batch, heads);
          },
          [=](ag::Tape<float>&, std::span<const ag::Var<float>> v) {
            return tlm::causal_self_attention(v[0], batch, heads);
          }};
}
ag::OpCase linear_case(mlc::Rng& rng) {
  return {"linear",
          "(6)",
          {rng.normal_matrix(19, 7), rng.normal_matrix(7, 5), rng.normal_matrix(1, 5)},
          [](ag::Tape<double>&, std::span<const ag::Var<double>> v) {
            return tlm::linear(v[0], v[1], v[2]);
          },
          [](ag::Tape<float>&, std::span<const ag::Var<float>> v) {
            return tlm::linear(v[0], v[1], v[2]);
          }};
}

// Forward and backward of the fused op and of the engine-op reference, float, one batch.
double time_attention(bool fused, Index batch, Index len, Index C, Index heads, int repeats) {
  mlc::Rng rng(1);
  ag::Parameter<float> qkv("qkv", rng.normal_matrix(batch * len, 3 * C).cast<float>());
  ag::Matrix<float> seed = rng.normal_matrix(batch * len, C).cast<float>();
  ag::Tape<float> tape;
  mlc::Timer timer;
  for (int r = -1; r < repeats; ++r) {
    if (r == 0) timer.reset();  // the first pass allocates the buffers
    tape.reset();
    const ag::Var<float> x = tape.param(qkv);
    const ag::Var<float> y = fused ? tlm::causal_self_attention(x, batch, heads)
                                   : tlm::causal_self_attention_reference(x, batch, heads);
    tape.backward(y, seed);
  }
  return timer.seconds() / repeats;
}

void op_checks(mlc::Report& report, const mlc::Options& opt, const Settings& s) {
  report.section("The hand-written ops against the engine and central differences");
  mlc::Rng rng = mlc::Rng(opt.seed).derive(10);
  const std::uint64_t adjoint_seed = mlc::Rng(opt.seed).derive(11).next_u64();
  const ag::OpCheck attention = ag::check_op(attention_case(rng, 2, 5, 6, 2), adjoint_seed);
  const ag::OpCheck linear = ag::check_op(linear_case(rng), adjoint_seed);
  // Fused against the engine-op reference on the same input and adjoint, in double
  const Index B = 3, T = 7, C = 8, H = 2;
  ag::Parameter<double> qkv("qkv", rng.normal_matrix(B * T, 3 * C));
  const ag::Matrix<double> seed = rng.normal_matrix(B * T, C);
  ag::Tape<double> tape;
  auto forward_backward = [&](bool fused) {
    tape.reset();
    qkv.grad.setZero();
    const ag::Var<double> x = tape.param(qkv);
    const ag::Var<double> y =
        fused ? tlm::causal_self_attention(x, B, H) : tlm::causal_self_attention_reference(x, B, H);
    tape.backward(y, seed);
    return std::pair{ag::Matrix<double>(y.value()), ag::Matrix<double>(qkv.grad)};
  };
  const auto [y_fused, g_fused] = forward_backward(true);
  const auto [y_ref, g_ref] = forward_backward(false);
  const Index full_T = s.model.context, full_C = s.model.width;
  const int repeats = opt.quick ? 3 : 30;
  const double fused_ms =
      1e3 * time_attention(true, s.train.batch, full_T, full_C, s.model.heads, repeats);
  const double reference_ms =
      1e3 * time_attention(false, s.train.batch, full_T, full_C, s.model.heads, repeats);
  report.timing("attention.fused_forward_backward", fused_ms / 1e3);
  report.timing("attention.reference_forward_backward", reference_ms / 1e3);
  report.text(fmt::format(
      "The fused attention (3)-(5) and the threaded linear layer (6) are checked as 3.4's ops "
      "are: a random adjoint seeds the backward pass and central differences of Σ R ⊙ y (h = "
      "1e-6, double) give the gradients again; the norm-wise relative errors are {} (attention) "
      "and {} (linear). Against the same attention built from engine ops (slices, batched "
      "products, causal mask, softmax, concatenation) on a {}×{} input in double, the outputs "
      "differ by at most {} and the input gradients by at most {}. The time of one forward and "
      "backward at the training size (B = {}, T = {}, C = {}, {} heads, float) is in the Timing "
      "section, fused (attention.fused_forward_backward) and from engine ops "
      "(attention.reference_forward_backward).",
      report.quote("gradcheck.attention", attention.relative_error, 2),
      report.quote("gradcheck.linear", linear.relative_error, 2), B * T, 3 * C,
      report.quote("attention.max_output_difference", (y_fused - y_ref).cwiseAbs().maxCoeff(), 2),
      report.quote("attention.max_gradient_difference", (g_fused - g_ref).cwiseAbs().maxCoeff(), 2),
      s.train.batch, full_T, full_C, s.model.heads));
}

// ---- 3. Training ----------------------------------------------------------------------------
void training(mlc::Report& report, const mlc::Options& opt, const Settings& s, const Corpus& corpus,
              Trained& out) {
  report.section("Training the character model");
  const mlc::Rng rng = mlc::Rng(opt.seed).derive(20);
  mlc::Timer timer;
  out = train_model(s.model, s.train, corpus.split.train, corpus.split.val, rng, opt,
                    "checkpoint_char.bin", "char model");
  const tlm::TrainHistory& h = out.trainer->history();
  report.timing("train.char_model", timer.seconds());
  const double step_ms = h.steps_run > 0 ? 1e3 * h.run_seconds / h.steps_run : 0.0;
  report.timing("step_ms", step_ms);  // milliseconds, as the name says (the bench's unit)
  report.timing("train.char_model_steps_total", h.train_seconds);
  const double val = h.val_loss.back(), train = h.train_loss.back();
  const auto best = std::min_element(h.val_loss.begin(), h.val_loss.end());
  mlc::Timer full_timer;
  const tlm::Likelihood full =
      tlm::sequence_likelihood(*out.model, out.trainer->tape(), corpus.split.val);
  report.timing("eval.full_validation_text", full_timer.seconds());
  report.text(fmt::format(
      "AdamW (12) with β = (0.9, 0.99), weight decay 0.1 on matrices and embeddings, peak "
      "learning rate 1e-3 after {} warm-up steps, cosine decay (10) to 1e-4 at step {}, "
      "gradients clipped at norm 1 (11), batches of {} random windows of {} characters: "
      "nanoGPT's CPU configuration. Every {} steps the loss is estimated on fixed seeded "
      "batches, {} from the training text and {} from the validation text ({} windows each). "
      "After {} steps the validation loss is **{}** nats per character (target ≤ 1.88; nanoGPT "
      "reports about 1.88 for this configuration, data/REFERENCE_NUMBERS.md §4.2) and the "
      "training loss {}; the lowest validation estimate, {}, came at step {}. Over the whole "
      "validation text (every character predicted once from up to {} before it) the loss is "
      "{} nats = {} bits per character. This process ran {} steps on {} threads; the "
      "mean time per step, step_ms, is in the Timing section (in milliseconds).",
      s.train.warmup_steps, s.train.steps, s.train.batch, s.model.context, s.train.eval_every,
      s.train.eval_batches, s.train.eval_batches, s.train.eval_batches * s.train.batch,
      s.train.steps, report.quote("val_loss", val), report.quote("train_loss", train),
      report.quote("val_loss_best", *best),
      report.quote("val_loss_best_step",
                   h.eval_step[static_cast<std::size_t>(best - h.val_loss.begin())]),
      s.model.context - 1,
      report.quote("val_text.nats_per_char", full.nll / static_cast<double>(full.predicted)),
      report.quote("val_text.bits_per_char", full.nll / static_cast<double>(full.predicted) / kLn2),
      report.quote("steps_this_run", static_cast<double>(h.steps_run)), opt.threads));
  report.metric("resumed_from_step", static_cast<double>(h.resumed_from));
  std::vector<double> steps(h.step_loss.size());
  for (std::size_t i = 0; i < steps.size(); ++i) steps[i] = static_cast<double>(i + 1);
  report.figure(mlc::Figure("Character model: loss against training step")
                    .xlabel("training step")
                    .ylabel("cross-entropy (nats per character)")
                    .line(steps, h.step_loss, "minibatch loss", {.color = 8, .width = 0.6})
                    .line_points(h.eval_step, h.train_loss, "training text (fixed batches)")
                    .line_points(h.eval_step, h.val_loss, "validation text (fixed batches)")
                    .hline(1.88, "target 1.88"),
                "loss_curves",
                "Training and validation loss of the character model. The two estimates stay "
                "close: at this size and step count the model does not overfit 1M characters.");
}

// ---- 4. Attention maps -------------------------------------------------------------------------
void attention_maps(mlc::Report& report, const Settings& s, const Corpus& corpus,
                    Trained& trained) {
  report.section("Attention maps of the trained model");
  const Index T = s.model.context;
  const std::string snippet = corpus.val_text.substr(0, static_cast<std::size_t>(T));
  std::vector<ag::Var<float>> attention;
  ag::Tape<float>& tape = trained.trainer->tape();
  tape.reset();
  trained.model->logits(tape, corpus.vocabulary.encode(snippet), 1, &attention);
  const Index last = static_cast<Index>(attention.size()) - 1;
  for (Index layer : {Index(0), last}) {
    // The head whose attention is most concentrated (lowest mean entropy of its rows)
    Index best_head = 0;
    double best_entropy = 1e300;
    for (Index h = 0; h < s.model.heads; ++h) {
      const Eigen::MatrixXd P =
          tlm::attention_map(attention[static_cast<std::size_t>(layer)], 0, h).cast<double>();
      const double entropy =
          -(P.array() * (P.array() + 1e-30).log()).sum() / static_cast<double>(P.rows());
      if (entropy < best_entropy) best_entropy = entropy, best_head = h;
    }
    const Eigen::MatrixXd P =
        tlm::attention_map(attention[static_cast<std::size_t>(layer)], 0, best_head).cast<double>();
    const std::string name = fmt::format("attention_layer{}", layer + 1);
    report.metric(name + ".head", static_cast<double>(best_head + 1));
    report.metric(name + ".mean_row_entropy_nats", best_entropy);
    report.figure(
        mlc::Figure(fmt::format("Layer {}, head {}: attention of each query to earlier keys",
                                layer + 1, best_head + 1))
            .xlabel("key position s")
            .ylabel("query position t")
            .size(620, 560)
            .heatmap(P, -0.5, static_cast<double>(T) - 0.5, -0.5, static_cast<double>(T) - 0.5,
                     "attention weight P_ts"),
        name,
        fmt::format("Layer {}, head {} (the most concentrated of its layer: mean row entropy {} "
                    "nats) on the first {} validation characters. The upper triangle is the "
                    "causal mask (3).",
                    layer + 1, best_head + 1, mlc::num(best_entropy, 3), T));
  }
  std::string shown = snippet;
  std::replace(shown.begin(), shown.end(), '\n', '|');
  report.text(fmt::format("The text of the maps (newlines shown as |): `{}`", shown));
}

// ---- 5. Sampling and the temperature failure mode -------------------------------------------
struct SampleStats {
  double temperature;
  Index top_k;
  double distinct4, repeat, loglik;
  std::string text;
};

void sampling(mlc::Report& report, const mlc::Options& opt, const Settings& s, const Corpus& corpus,
              Trained& trained) {
  report.section("Sampling: temperature and top-k");
  ag::Tape<float> tape;
  const tlm::Tokens prompt = corpus.vocabulary.encode("\n");
  const std::vector<std::pair<double, Index>> settings_list = {
      {0.1, 0}, {0.5, 0}, {0.8, 0}, {1.0, 0}, {1.0, 10}, {1.5, 0}, {2.5, 0}};
  std::vector<SampleStats> stats;
  std::vector<std::vector<std::string>> rows;
  const mlc::Rng root = mlc::Rng(opt.seed).derive(30);
  for (std::size_t i = 0; i < settings_list.size(); ++i) {
    const auto [temperature, top_k] = settings_list[i];
    mlc::Rng rng = root.derive(i);
    const tlm::Tokens tokens =
        tlm::generate(*trained.model, tape, prompt, s.sample_chars, temperature, top_k, rng);
    const std::string text = corpus.vocabulary.decode(tokens);
    tlm::Tokens with_prompt(tokens.size() + 1);
    with_prompt << prompt, tokens;
    const tlm::Likelihood l = tlm::sequence_likelihood(*trained.model, tape, with_prompt);
    const SampleStats st{temperature,
                         top_k,
                         tlm::distinct_ngram_ratio(text, 4),
                         static_cast<double>(tlm::longest_repeated_substring(text)),
                         -l.nll / static_cast<double>(l.predicted),
                         text};
    const std::string key =
        fmt::format("sample.t{}_k{}", static_cast<int>(10 * temperature), top_k);
    report.metric(key + ".distinct_4gram_ratio", st.distinct4);
    report.metric(key + ".longest_repeat", st.repeat);
    report.metric(key + ".loglik_per_char", st.loglik);
    rows.push_back({mlc::num(temperature, 2), top_k == 0 ? "all" : std::to_string(top_k),
                    mlc::num(st.distinct4, 3), mlc::num(st.repeat, 3), mlc::num(st.loglik, 3)});
    stats.push_back(st);
  }
  // The real text as the reference: validation characters of the same length
  const std::string real = corpus.val_text.substr(1000, static_cast<std::size_t>(s.sample_chars));
  tlm::Tokens real_tokens = corpus.vocabulary.encode("\n" + real);
  const tlm::Likelihood lr = tlm::sequence_likelihood(*trained.model, tape, real_tokens);
  const double real_distinct = tlm::distinct_ngram_ratio(real, 4);
  const double real_loglik = -lr.nll / static_cast<double>(lr.predicted);
  report.metric("sample.real.distinct_4gram_ratio", real_distinct);
  report.metric("sample.real.longest_repeat",
                static_cast<double>(tlm::longest_repeated_substring(real)));
  report.metric("sample.real.loglik_per_char", real_loglik);
  rows.push_back({"validation text", "", mlc::num(real_distinct, 3),
                  mlc::num(static_cast<double>(tlm::longest_repeated_substring(real)), 3),
                  mlc::num(real_loglik, 3)});
  report.text(fmt::format(
      "{} characters after a newline at each temperature τ (13), top-k over all {} characters "
      "unless stated. Distinct 4-grams: the fraction of the text's 4-grams that are different "
      "(repetition lowers it); longest repeat: the longest substring that occurs twice; "
      "log-likelihood: the mean log p of each sampled character under the model at τ = 1 "
      "(noise lowers it). The last row is real validation text.",
      s.sample_chars, corpus.vocabulary.size()));
  report.table(
      {"τ", "top-k", "distinct 4-grams", "longest repeat (chars)", "log-likelihood (nats/char)"},
      rows);
  std::vector<double> taus, distinct, loglik;
  for (const SampleStats& st : stats) {
    if (st.top_k != 0) continue;
    taus.push_back(st.temperature);
    distinct.push_back(st.distinct4);
    loglik.push_back(st.loglik);
  }
  report.figure(mlc::Figure("Samples against temperature")
                    .xlabel("temperature τ")
                    .ylabel("distinct 4-gram ratio; log-likelihood / 5 (nats per char)")
                    .line_points(taus, distinct, "distinct 4-gram ratio")
                    .line_points(taus, std::vector<double>(loglik.size(), 0.0), "", {.color = 8})
                    .line_points(
                        taus,
                        [&] {
                          std::vector<double> v;
                          for (double x : loglik) v.push_back(x / 5.0);
                          return v;
                        }(),
                        "log-likelihood under the model / 5")
                    .hline(real_distinct, "real text: distinct 4-grams")
                    .hline(real_loglik / 5.0, "real text: log-likelihood / 5"),
                "temperature",
                "Low temperature repeats itself (few distinct 4-grams, a high likelihood no "
                "real text has); high temperature is noise (a likelihood far below real "
                "text's). τ near 1 matches the real text on both.");
  const SampleStats& cold = stats.front();
  const SampleStats& hot = stats.back();
  const SampleStats& one = stats[3];
  report.text("Samples (τ = 0.1, 1.0, 2.5; newlines kept):");
  for (const SampleStats* st : {&cold, &one, &hot}) {
    report.text(fmt::format("τ = {}:\n\n```\n{}\n```", st->temperature,
                            st->text.substr(0, std::min<std::size_t>(st->text.size(), 300))));
  }
  report.failure_mode(
      {"Temperature extremes: repetition when cold, noise when hot",
       "sampling (13) at τ = 0.1 and at τ = 2.5 instead of τ ≈ 1",
       fmt::format("τ = 0.1: distinct 4-gram ratio {}, longest repeat {} characters, "
                   "log-likelihood {} nats/char; τ = 2.5: ratio {}, log-likelihood {}; the "
                   "real validation text: ratio {}, longest repeat {}, log-likelihood {}",
                   mlc::num(cold.distinct4, 3), cold.repeat, mlc::num(cold.loglik, 3),
                   mlc::num(hot.distinct4, 3), mlc::num(hot.loglik, 3), mlc::num(real_distinct, 3),
                   tlm::longest_repeated_substring(real), mlc::num(real_loglik, 3)),
       "dividing the logits by τ → 0 puts all mass on the arg max: a greedy model falls into "
       "the loop of its most likely continuation (its own output becomes its context); τ ≫ 1 "
       "flattens p towards uniform, so characters the model rates unlikely are drawn often",
       fmt::format("τ = 1.0 gives ratio {} and log-likelihood {} (real text: {} and {}); top-k "
                   "= 10 at τ = 1 gives {} and {}",
                   mlc::num(one.distinct4, 3), mlc::num(one.loglik, 3), mlc::num(real_distinct, 3),
                   mlc::num(real_loglik, 3), mlc::num(stats[4].distinct4, 3),
                   mlc::num(stats[4].loglik, 3))});
}

// ---- 6. Characters against BPE tokens at equal compute --------------------------------------
void bpe_comparison(mlc::Report& report, const mlc::Options& opt, const Settings& s,
                    const Corpus& corpus, Trained& char_model) {
  report.section("Characters against BPE tokens at equal compute");
  mlc::Timer timer;
  const tlm::Bpe bpe = tlm::Bpe::train(corpus.train_text.substr(0, s.bpe_text), s.bpe_vocabulary,
                                       corpus.vocabulary.chars());
  report.timing("bpe.learn_merges", timer.seconds());
  const tlm::Tokens train = bpe.encode(corpus.train_text), val = bpe.encode(corpus.val_text);
  const bool roundtrip =
      bpe.decode(train) == corpus.train_text && bpe.decode(val) == corpus.val_text;
  report.metric("bpe.roundtrip_exact", roundtrip ? 1.0 : 0.0);
  const double chars_per_token =
      static_cast<double>(corpus.val_text.size()) / static_cast<double>(val.size());
  tlm::ModelConfig config = s.model;
  config.vocabulary = bpe.size();
  tlm::TrainConfig train_config = s.train;
  // Equal compute: as many FLOPs as the character model's steps (the BPE head is wider)
  const double char_flops = tlm::training_flops_per_step(s.model, s.train.batch);
  const double bpe_flops = tlm::training_flops_per_step(config, s.train.batch);
  train_config.steps =
      static_cast<long>(std::floor(static_cast<double>(s.train.steps) * char_flops / bpe_flops));
  timer.reset();
  Trained bpe_model = train_model(config, train_config, train, val, mlc::Rng(opt.seed).derive(40),
                                  opt, "checkpoint_bpe.bin", "BPE model");
  report.timing("train.bpe_model", timer.seconds());
  const tlm::Likelihood lb =
      tlm::sequence_likelihood(*bpe_model.model, bpe_model.trainer->tape(), val);
  const tlm::Likelihood lc =
      tlm::sequence_likelihood(*char_model.model, char_model.trainer->tape(), corpus.split.val);
  // (15) bits per character: Σ −log₂ p over the tokens / characters they cover
  const double val_chars = static_cast<double>(corpus.val_text.size());
  const double bpe_covered = val_chars - static_cast<double>(bpe.token(val(0)).size());
  const double bpc_bpe = lb.nll / kLn2 / bpe_covered;
  const double bpc_char = lc.nll / kLn2 / static_cast<double>(lc.predicted);
  std::string examples;
  for (int id = bpe.size() - 1; id >= std::max<int>(bpe.size() - 8, 0); --id) {
    std::string t = bpe.token(id);
    std::replace(t.begin(), t.end(), '\n', '|');
    examples += fmt::format("`{}` ", t);
  }
  report.text(fmt::format(
      "BPE (14) learns {} merges on the training text (from its {} characters; merges may cross "
      "spaces), so {} tokens; decode(encode(x)) = x holds on the training and validation texts: "
      "{}. The last merges learned: {}. A token covers {} characters of validation text on "
      "average. The same architecture with a {}-row embedding trains for {} steps, the FLOPs of "
      "the character model's {} steps ({} against {} GFLOP per step: equal compute by FLOPs, "
      "computed, not wall time), so each step sees {} characters instead of {}. Over the whole "
      "validation text (15): characters **{}** bits per character, BPE **{}** (the BPE loss {} "
      "nats per token).",
      report.quote("bpe.merges", static_cast<double>(bpe.merges().size())),
      corpus.vocabulary.size(), report.quote("bpe.vocabulary", static_cast<double>(bpe.size())),
      roundtrip ? "yes" : "NO", examples, report.quote("bpe.chars_per_token", chars_per_token, 3),
      bpe.size(), report.quote("bpe.steps", static_cast<double>(train_config.steps)), s.train.steps,
      mlc::num(bpe_flops / 1e9, 3), mlc::num(char_flops / 1e9, 3),
      mlc::num(chars_per_token * static_cast<double>(s.train.batch * s.model.context), 3),
      s.train.batch * s.model.context, report.quote("char.bits_per_char", bpc_char),
      report.quote("bpe.bits_per_char", bpc_bpe),
      report.quote("bpe.val_nats_per_token", lb.nll / static_cast<double>(lb.predicted))));
  report.table({"model", "vocabulary", "steps", "GFLOP per step", "bits per character"},
               {{"characters", std::to_string(s.model.vocabulary), std::to_string(s.train.steps),
                 mlc::num(char_flops / 1e9, 3), mlc::num(bpc_char, 4)},
                {"BPE", std::to_string(bpe.size()), std::to_string(train_config.steps),
                 mlc::num(bpe_flops / 1e9, 3), mlc::num(bpc_bpe, 4)}});
}

// ---- 7. Overfitting a tiny slice -----------------------------------------------------------
void overfitting(mlc::Report& report, const mlc::Options& opt, const Settings& s,
                 const Corpus& corpus, const Trained& full) {
  report.section("Failure mode: overfitting a tiny slice");
  const tlm::Tokens slice = corpus.split.train.head(static_cast<Index>(s.slice_chars));
  tlm::TrainConfig config = s.train;
  config.steps = s.slice_steps;
  config.eval_every = std::max<long>(config.steps / 12, 1);
  config.warmup_steps = std::min(config.warmup_steps, config.steps / 10);
  mlc::Timer timer;
  Trained t = train_model(s.model, config, slice, corpus.split.val, mlc::Rng(opt.seed).derive(50),
                          opt, "", "slice model");
  report.timing("train.slice_model", timer.seconds());
  const tlm::TrainHistory& h = t.trainer->history();
  const auto best = std::min_element(h.val_loss.begin(), h.val_loss.end());
  const double best_step = h.eval_step[static_cast<std::size_t>(best - h.val_loss.begin())];
  const double tokens_seen = static_cast<double>(config.steps * config.batch * s.model.context);
  const tlm::TrainHistory& f = full.trainer->history();
  report.figure(mlc::Figure("Training on a tiny slice: training and validation loss")
                    .xlabel("training step")
                    .ylabel("cross-entropy (nats per character)")
                    .line_points(h.eval_step, h.train_loss, "training slice")
                    .line_points(h.eval_step, h.val_loss, "validation text")
                    .vline(best_step, "lowest validation loss"),
                "overfitting",
                fmt::format("The model of the full run trained on the first {} characters only: "
                            "the training loss falls towards zero while the validation loss "
                            "turns up.",
                            s.slice_chars));
  report.failure_mode(
      {"Overfitting a tiny slice of text",
       fmt::format("the same model ({} parameters) trained for {} steps on the first {} "
                   "characters only ({} epochs of the slice)",
                   full.model->num_parameters(), config.steps, s.slice_chars,
                   mlc::num(tokens_seen / static_cast<double>(s.slice_chars), 3)),
       fmt::format("training loss {} against validation loss {} at the end (gap {}); the "
                   "validation loss was lowest, {}, at step {}",
                   report.quote("overfit.train_loss", h.train_loss.back(), 3),
                   report.quote("overfit.val_loss", h.val_loss.back(), 3),
                   report.quote("overfit.gap", h.val_loss.back() - h.train_loss.back(), 3),
                   report.quote("overfit.best_val_loss", *best, 3),
                   report.quote("overfit.best_val_step", best_step)),
       "with far more parameters than characters the model can memorise the slice: the "
       "training loss keeps falling on text it has seen while the predictions for unseen text "
       "grow overconfident",
       fmt::format("early stopping at the lowest validation loss keeps {} instead of {}; the "
                   "real fix is data: the full training text gives a gap of {} (train {}, "
                   "validation {})",
                   mlc::num(*best, 3), mlc::num(h.val_loss.back(), 3),
                   mlc::num(f.val_loss.back() - f.train_loss.back(), 3),
                   mlc::num(f.train_loss.back(), 3), mlc::num(f.val_loss.back(), 3))});
}

// ---- 8. Thread count ---------------------------------------------------------------------------
void threads(mlc::Report& report, const mlc::Options& opt, const Settings& s,
             const Corpus& corpus) {
  report.section("Results do not depend on the thread count");
  std::vector<std::vector<std::string>> rows;
  std::vector<double> losses;
  for (int n : {1, opt.threads}) {
    omp_set_num_threads(n);
    mlc::Rng init = mlc::Rng(opt.seed).derive(60);
    tlm::Gpt<float> model(s.model, init);
    tlm::Trainer trainer(model, s.train, corpus.split.train, corpus.split.val,
                         mlc::Rng(opt.seed).derive(61));
    trainer.step();  // the first step allocates every buffer
    mlc::Timer timer;
    double loss = 0.0;
    for (int i = 0; i < s.timing_steps; ++i) loss = trainer.step();
    const double ms = 1e3 * timer.seconds() / s.timing_steps;
    report.timing(fmt::format("threads_{}.step", n), ms / 1e3);
    losses.push_back(loss);
    rows.push_back({std::to_string(n), fmt::format("{:.9g}", loss)});
  }
  omp_set_num_threads(opt.threads);
  report.text(fmt::format(
      "{} training steps from the same seed on 1 thread and on {} (--threads): every op splits "
      "its work into fixed chunks, the same whatever the thread count, so the GEMMs see the same "
      "sizes and sum in the same order. The final losses differ by {} (exactly zero means "
      "bitwise equal). Step times are in the Timing section (threads_N.step, seconds).",
      s.timing_steps + 1, opt.threads,
      report.quote("threads.loss_difference", std::abs(losses[1] - losses[0]), 2)));
  report.table({"threads", "loss after the steps"}, rows);
}

void run(const mlc::Options& opt) {
  omp_set_num_threads(opt.threads);
  const Corpus corpus = load_corpus();
  Settings s = settings(opt.quick);
  s.model.vocabulary = corpus.vocabulary.size();
  mlc::Report report(kLesson, opt);
  data_and_model(report, corpus, s);
  op_checks(report, opt, s);
  Trained char_model;
  training(report, opt, s, corpus, char_model);
  attention_maps(report, s, corpus, char_model);
  sampling(report, opt, s, corpus, char_model);
  bpe_comparison(report, opt, s, corpus, char_model);
  overfitting(report, opt, s, corpus, char_model);
  threads(report, opt, s, corpus);
  report.write();
}

}  // namespace

int main(int argc, char** argv) {
  return mlc::lesson_main(argc, argv, kLesson, run);
}
