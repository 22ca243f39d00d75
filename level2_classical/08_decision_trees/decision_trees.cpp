// Lesson 2.8 decision_trees: the algorithm (see decision_trees.hpp for the contract).
// CART after Breiman et al. (1984) ch. 2–3 and ESL §9.2; the newton criterion after
// Chen & Guestrin (2016) §2.2; histogram split finding after Ke et al. (2017).
// Equation numbers refer to NOTES.md.
#include "decision_trees.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "model_evaluation.hpp"

namespace decision_trees {

// ---- Impurities ---------------------------------------------------------------------------

double gini_impurity(std::span<const double> class_weights) {
  // BEGIN EXERCISE gini_impurity: 1 − Σ_k p_k², equation (1)
  double W = 0.0, sum_sq = 0.0;
  for (double c : class_weights) {
    W += c;
    sum_sq += c * c;
  }
  if (W <= 0.0) return 0.0;
  return std::max(0.0, 1.0 - sum_sq / (W * W));
  // END EXERCISE
}

double entropy_impurity(std::span<const double> class_weights) {
  // (2) H = −Σ_k p_k log₂ p_k, with 0 log 0 = 0
  double W = 0.0;
  for (double c : class_weights) W += c;
  if (W <= 0.0) return 0.0;
  double H = 0.0;
  for (double c : class_weights) {
    if (c > 0.0) {
      const double p = c / W;
      H -= p * std::log2(p);
    }
  }
  return std::max(0.0, H);
}

double mse_impurity(double W, double S, double Q) {
  // (4) Σ w (y − ȳ)² / W = Q / W − (S / W)²; clipped at 0 against rounding
  if (W <= 0.0) return 0.0;
  const double mean = S / W;
  return std::max(0.0, Q / W - mean * mean);
}

// ---- Binning ------------------------------------------------------------------------------

BinnedFeatures bin_features(const Eigen::MatrixXd& X, int max_bins) {
  mlc::require(X.rows() > 0 && X.cols() > 0, "bin_features", "X is empty");
  mlc::require(max_bins == 0 || (max_bins >= 2 && max_bins <= 65536), "bin_features",
               fmt::format("max_bins must be 0 (exact) or in [2, 65536], got {}", max_bins));
  mlc::require(X.allFinite(), "bin_features", "X contains NaN or Inf");
  BinnedFeatures B;
  B.n = X.rows();
  B.d = X.cols();
  B.edges.resize(static_cast<std::size_t>(B.d));
  B.codes.resize(static_cast<std::size_t>(B.n * B.d));
  std::vector<double> sorted(static_cast<std::size_t>(B.n));
  std::vector<double> distinct;
  for (Eigen::Index f = 0; f < B.d; ++f) {
    for (Eigen::Index i = 0; i < B.n; ++i) sorted[static_cast<std::size_t>(i)] = X(i, f);
    std::sort(sorted.begin(), sorted.end());
    distinct.assign(sorted.begin(), std::unique(sorted.begin(), sorted.end()));
    auto& edges = B.edges[static_cast<std::size_t>(f)];
    edges.clear();
    const auto m = distinct.size();
    if (max_bins == 0 || m <= static_cast<std::size_t>(max_bins)) {
      mlc::require(m <= 65536, "bin_features",
                   fmt::format("feature {} has {} distinct values; use max_bins <= 65536", f, m));
      for (std::size_t j = 0; j + 1 < m; ++j) edges.push_back(0.5 * (distinct[j] + distinct[j + 1]));
    } else {
      // Quantile edges: after the value at rank q n / max_bins, halfway to the next distinct value.
      for (int q = 1; q < max_bins; ++q) {
        const double v = sorted[static_cast<std::size_t>(q) * sorted.size() / static_cast<std::size_t>(max_bins)];
        const auto next = std::upper_bound(distinct.begin(), distinct.end(), v);
        if (next == distinct.end()) break;
        const double edge = 0.5 * (v + *next);
        if (edges.empty() || edge > edges.back()) edges.push_back(edge);
      }
    }
    for (Eigen::Index i = 0; i < B.n; ++i) {
      const auto c = std::lower_bound(edges.begin(), edges.end(), X(i, f)) - edges.begin();
      B.codes[static_cast<std::size_t>(f * B.n + i)] = static_cast<std::uint16_t>(c);
    }
  }
  return B;
}

// ---- Split search -------------------------------------------------------------------------

double node_cost(const SplitRule& rule, std::span<const double> stats) {
  switch (rule.criterion) {
    case Criterion::gini:
    case Criterion::entropy: {
      // (3) W_t I_t
      double W = 0.0;
      for (double c : stats) W += c;
      return W * (rule.criterion == Criterion::gini ? gini_impurity(stats) : entropy_impurity(stats));
    }
    case Criterion::mse:  // (4) Σ w (y − ȳ)² = W · mse_impurity
      return stats[0] * mse_impurity(stats[0], stats[1], stats[2]);
    case Criterion::newton:  // (5) the optimal objective of a leaf: −½ G² / (H + λ)
      return -0.5 * stats[0] * stats[0] / (stats[1] + rule.lambda);
  }
  return 0.0;
}

BinSplit best_bin_split(const SplitRule& rule, std::span<const double> hist, int bins,
                        std::span<const double> parent) {
  const auto S = static_cast<std::size_t>(rule.stride);
  const std::size_t row = S + 1;
  thread_local std::vector<double> left, right;  // scratch, allocated once per thread
  left.assign(S, 0.0);
  right.assign(S, 0.0);
  BinSplit best;
  // BEGIN EXERCISE best_split: scan the bin boundaries for the largest gain (3)
  double n = 0.0;
  for (int b = 0; b < bins; ++b) n += hist[static_cast<std::size_t>(b) * row];
  const double parent_cost = node_cost(rule, parent);
  double n_left = 0.0;
  for (int b = 0; b + 1 < bins; ++b) {
    const double* h = hist.data() + static_cast<std::size_t>(b) * row;
    n_left += h[0];
    for (std::size_t s = 0; s < S; ++s) left[s] += h[1 + s];
    if (h[0] == 0.0) continue;  // same partition as the boundary before: keep the lowest
    if (n_left < rule.min_samples_leaf || n - n_left < rule.min_samples_leaf) continue;
    for (std::size_t s = 0; s < S; ++s) right[s] = parent[s] - left[s];
    if (rule.criterion == Criterion::newton &&
        (left[1] < rule.min_child_weight || right[1] < rule.min_child_weight)) {
      continue;
    }
    const double gain = parent_cost - node_cost(rule, left) - node_cost(rule, right);
    if (gain > best.gain) best = {b, gain};
  }
  // END EXERCISE
  return best;
}

Split exhaustive_best_split(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K,
                            Criterion criterion, const Eigen::VectorXd& w, int min_samples_leaf) {
  const Eigen::Index n = X.rows();
  mlc::require(y.size() == n, "exhaustive_best_split", fmt::format("y has {} entries, X {} rows", y.size(), n));
  mlc::require(criterion != Criterion::newton, "exhaustive_best_split", "newton is not a CART criterion");
  const Eigen::VectorXd wt = w.size() == 0 ? Eigen::VectorXd::Ones(n) : w;
  // cost of a set of rows from the definitions: W · I for classes, Σ w (y − ȳ)² for mse.
  auto cost = [&](const std::vector<Eigen::Index>& rows) {
    if (criterion == Criterion::mse) {
      double W = 0.0, S = 0.0;
      for (auto i : rows) W += wt(i), S += wt(i) * y(i);
      if (W <= 0.0) return 0.0;
      double sse = 0.0;
      for (auto i : rows) sse += wt(i) * (y(i) - S / W) * (y(i) - S / W);
      return sse;
    }
    std::vector<double> c(static_cast<std::size_t>(K), 0.0);
    double W = 0.0;
    for (auto i : rows) c[static_cast<std::size_t>(y(i))] += wt(i), W += wt(i);
    return W * (criterion == Criterion::gini ? gini_impurity(c) : entropy_impurity(c));
  };
  std::vector<Eigen::Index> all(static_cast<std::size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  const double parent = cost(all);
  Split best;
  for (Eigen::Index f = 0; f < X.cols(); ++f) {
    std::vector<double> v(X.col(f).data(), X.col(f).data() + n);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    for (std::size_t j = 0; j + 1 < v.size(); ++j) {
      const double t = 0.5 * (v[j] + v[j + 1]);
      std::vector<Eigen::Index> L, R;
      for (Eigen::Index i = 0; i < n; ++i) (X(i, f) <= t ? L : R).push_back(i);
      if (static_cast<int>(L.size()) < min_samples_leaf || static_cast<int>(R.size()) < min_samples_leaf) continue;
      const double gain = parent - cost(L) - cost(R);
      if (gain > best.gain + 1e-12 * std::abs(parent)) best = {static_cast<int>(f), t, gain};
    }
  }
  return best;
}

// ---- The builder --------------------------------------------------------------------------

namespace {

// Grows one tree depth-first over an index array partitioned in place.
class Builder {
 public:
  Builder(const BinnedFeatures& B, const TreeParams& params, mlc::Rng& rng, int outputs,
          SplitRule rule)
      : B_(B), params_(params), rng_(rng), rule_(rule) {
    tree_.criterion = params.criterion;
    tree_.num_outputs = outputs;
    int max_bins = 1;
    for (Eigen::Index f = 0; f < B.d; ++f) max_bins = std::max(max_bins, B.bins(f));
    hist_.resize(static_cast<std::size_t>(max_bins) * static_cast<std::size_t>(rule.stride + 1));
    max_bins_ = max_bins;
    features_.resize(static_cast<std::size_t>(B.d));
    std::iota(features_.begin(), features_.end(), 0);
  }

  const int* label = nullptr;  // classification: class of each row
  const double* target = nullptr;  // mse: y;  newton: g
  const double* hess = nullptr;    // newton: h
  const double* weight = nullptr;  // sample weights (null: 1)

  Tree build(const Sample& sample) {
    if (sample.rows.empty()) {
      idx_.resize(static_cast<std::size_t>(B_.n));
      std::iota(idx_.begin(), idx_.end(), 0);
    } else {
      idx_ = sample.rows;
      for (int i : idx_) {
        mlc::require(i >= 0 && i < B_.n, "fit tree", fmt::format("row {} outside 0..{}", i, B_.n - 1));
      }
    }
    mlc::require(!idx_.empty(), "fit tree", "no rows to fit");
    grow(0, static_cast<int>(idx_.size()), 0, 0, false);
    tree_.root_weight = tree_.nodes[0].weight;
    return std::move(tree_);
  }

 private:
  double w(int i) const { return weight ? weight[i] : 1.0; }

  void add_row(double* stats, int i) const {
    const double wi = w(i);
    switch (rule_.criterion) {
      case Criterion::gini:
      case Criterion::entropy: stats[label[i]] += wi; break;
      case Criterion::mse:
        stats[0] += wi;
        stats[1] += wi * target[i];
        stats[2] += wi * target[i] * target[i];
        break;
      case Criterion::newton:
        stats[0] += wi * target[i];
        stats[1] += wi * hess[i];
        break;
    }
  }

  std::vector<double>& stats_at(int depth) {
    if (static_cast<int>(stats_.size()) <= depth) stats_.resize(static_cast<std::size_t>(depth) + 1);
    auto& s = stats_[static_cast<std::size_t>(depth)];
    s.assign(static_cast<std::size_t>(rule_.stride), 0.0);
    return s;
  }

  // Histograms of every feature for one node, [d × max_bins × (1 + stride)], kept per depth
  // and side (0: left child or root, 1: right child) for the subtraction trick.
  double* full_hist(int depth, int side) {
    const auto size = static_cast<std::size_t>(B_.d) * static_cast<std::size_t>(max_bins_) *
                      static_cast<std::size_t>(rule_.stride + 1);
    if (static_cast<int>(full_.size()) <= depth) full_.resize(static_cast<std::size_t>(depth) + 1);
    auto& pair = full_[static_cast<std::size_t>(depth)];
    auto& buf = pair[static_cast<std::size_t>(side)];
    if (buf.size() != size) buf.assign(size, 0.0);
    return buf.data();
  }

  // Fills `out` with the histograms of rows idx_[begin..end) for every feature: O(d · n_t).
  void scan_all(int begin, int end, double* out) {
    const auto row = static_cast<std::size_t>(rule_.stride + 1);
    const auto per_feature = static_cast<std::size_t>(max_bins_) * row;
    std::fill(out, out + static_cast<std::size_t>(B_.d) * per_feature, 0.0);
    for (Eigen::Index f = 0; f < B_.d; ++f) {
      const std::uint16_t* codes = B_.codes.data() + static_cast<std::size_t>(f) * static_cast<std::size_t>(B_.n);
      double* base = out + static_cast<std::size_t>(f) * per_feature;
      for (int r = begin; r < end; ++r) {
        const int i = idx_[static_cast<std::size_t>(r)];
        double* h = base + static_cast<std::size_t>(codes[i]) * row;
        h[0] += 1.0;
        add_row(h + 1, i);
      }
    }
  }

  // Histogram subtraction (LightGBM): with all features searched, a node's histograms are
  // its parent's minus its sibling's, so only the smaller child is scanned. Kept to the
  // first kSubtractDepth levels so that memory stays O(kSubtractDepth · d · bins).
  static constexpr int kSubtractDepth = 24;

  int grow(int begin, int end, int depth, int side, bool have_hist) {
    const int id = static_cast<int>(tree_.nodes.size());
    tree_.nodes.emplace_back();
    const auto K = static_cast<std::size_t>(tree_.num_outputs);
    tree_.values.resize(tree_.values.size() + K);
    auto& stats = stats_at(depth);
    for (int r = begin; r < end; ++r) add_row(stats.data(), idx_[static_cast<std::size_t>(r)]);

    // The node's value, weight and impurity.
    Node node;
    node.depth = depth;
    node.n_samples = end - begin;
    double* value = tree_.values.data() + static_cast<std::size_t>(id) * K;
    bool pure = false;
    switch (rule_.criterion) {
      case Criterion::gini:
      case Criterion::entropy: {
        double W = 0.0, top = 0.0;
        for (double c : stats) W += c, top = std::max(top, c);
        for (std::size_t k = 0; k < K; ++k) value[k] = W > 0 ? stats[k] / W : 1.0 / static_cast<double>(K);
        node.weight = W;
        node.impurity = rule_.criterion == Criterion::gini ? gini_impurity(stats) : entropy_impurity(stats);
        pure = top >= W * (1.0 - 1e-12);
        break;
      }
      case Criterion::mse:
        value[0] = stats[0] > 0 ? stats[1] / stats[0] : 0.0;
        node.weight = stats[0];
        node.impurity = mse_impurity(stats[0], stats[1], stats[2]);
        pure = node.impurity * stats[0] <= 1e-12 * stats[2];
        break;
      case Criterion::newton:
        value[0] = -stats[0] / (stats[1] + params_.lambda);  // (5) w* = −G / (H + λ)
        node.weight = stats[1];
        break;
    }
    tree_.nodes[static_cast<std::size_t>(id)] = node;

    const int n_node = end - begin;
    if (pure || (params_.max_depth >= 0 && depth >= params_.max_depth) ||
        n_node < params_.min_samples_split || n_node < 2 * params_.min_samples_leaf) {
      return id;
    }

    // Split search over the candidate features (a random subset of max_features that vary
    // in this node when max_features > 0, scikit-learn's rule; all features otherwise).
    const auto row = static_cast<std::size_t>(rule_.stride + 1);
    const int d = static_cast<int>(B_.d);
    const int wanted = params_.max_features > 0 ? std::min(params_.max_features, d) : d;
    const bool subtract = params_.max_features == 0 && depth < kSubtractDepth;
    double* own = nullptr;
    if (subtract) {
      own = full_hist(depth, side);
      if (!have_hist) scan_all(begin, end, own);
    }
    const auto per_feature = static_cast<std::size_t>(max_bins_) * row;
    int best_feature = -1, tried = 0;
    BinSplit best;
    for (int j = 0; j < d && tried < wanted; ++j) {
      if (params_.max_features > 0) {  // partial Fisher–Yates: features_[j] is a fresh draw
        const auto pick = j + static_cast<int>(rng_.index(d - j));
        std::swap(features_[static_cast<std::size_t>(j)], features_[static_cast<std::size_t>(pick)]);
      }
      const int f = features_[static_cast<std::size_t>(j)];
      const int bins = B_.bins(f);
      if (bins < 2) continue;  // constant column
      if (subtract) {
        const double* h = own + static_cast<std::size_t>(f) * per_feature;
        int nonempty = 0;
        for (int b = 0; b < bins && nonempty < 2; ++b) nonempty += h[static_cast<std::size_t>(b) * row] > 0.0;
        if (nonempty < 2) continue;  // constant in this node
        ++tried;
        const BinSplit s = best_bin_split(rule_, {h, static_cast<std::size_t>(bins) * row}, bins, stats);
        if (s.bin >= 0 && (s.gain > best.gain || (s.gain == best.gain && f < best_feature))) {
          best = s;
          best_feature = f;
        }
        continue;
      }
      std::fill(hist_.begin(), hist_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(bins) * row), 0.0);
      const std::uint16_t* codes = B_.codes.data() + static_cast<std::size_t>(f) * static_cast<std::size_t>(B_.n);
      int first_code = -1;
      bool varies = false;
      for (int r = begin; r < end; ++r) {
        const int i = idx_[static_cast<std::size_t>(r)];
        const int c = codes[i];
        double* h = hist_.data() + static_cast<std::size_t>(c) * row;
        h[0] += 1.0;
        add_row(h + 1, i);
        if (first_code < 0) first_code = c;
        varies |= c != first_code;
      }
      if (!varies) continue;  // constant in this node: does not count as tried
      ++tried;
      const BinSplit s = best_bin_split(rule_, {hist_.data(), static_cast<std::size_t>(bins) * row}, bins, stats);
      if (s.bin >= 0 && (s.gain > best.gain || (s.gain == best.gain && f < best_feature))) {
        best = s;
        best_feature = f;
      }
    }
    if (best_feature < 0) return id;
    const double parent_cost = node_cost(rule_, stats);
    const double needed = rule_.criterion == Criterion::newton
                              ? params_.gamma + 1e-12 * std::abs(parent_cost)
                              : params_.min_impurity_decrease * root_weight(id, node.weight) +
                                    1e-12 * std::abs(parent_cost);
    if (!(best.gain > needed)) return id;

    // Partition the rows: bins 0..best.bin go left.
    const std::uint16_t* codes = B_.codes.data() + static_cast<std::size_t>(best_feature) * static_cast<std::size_t>(B_.n);
    const auto mid = std::partition(idx_.begin() + begin, idx_.begin() + end,
                                    [&](int i) { return codes[i] <= best.bin; }) - idx_.begin();
    {
      Node& n = tree_.nodes[static_cast<std::size_t>(id)];
      n.feature = best_feature;
      n.threshold = B_.edges[static_cast<std::size_t>(best_feature)][static_cast<std::size_t>(best.bin)];
      n.gain = best.gain;
    }
    // The children's histograms: scan the smaller child, subtract it from this node's.
    // Worth it when scanning the larger child (~3 operations per row and feature) costs more
    // than subtracting the histograms (one per bin entry).
    const bool children_search =
        subtract && depth + 1 < kSubtractDepth && (params_.max_depth < 0 || depth + 1 < params_.max_depth) &&
        3 * static_cast<std::size_t>(std::max<std::ptrdiff_t>(mid - begin, end - mid)) >= per_feature;
    if (children_search) {
      const int small = (mid - begin) <= (end - mid) ? 0 : 1;
      double* small_hist = full_hist(depth + 1, small);
      double* large_hist = full_hist(depth + 1, 1 - small);
      own = full_hist(depth, side);  // full_ may have grown: refresh the pointer
      if (small == 0) {
        scan_all(begin, static_cast<int>(mid), small_hist);
      } else {
        scan_all(static_cast<int>(mid), end, small_hist);
      }
      const std::size_t size = static_cast<std::size_t>(B_.d) * per_feature;
      for (std::size_t j = 0; j < size; ++j) large_hist[j] = own[j] - small_hist[j];
    }
    const int left = grow(begin, static_cast<int>(mid), depth + 1, 0, children_search);
    const int right = grow(static_cast<int>(mid), end, depth + 1, 1, children_search);
    tree_.nodes[static_cast<std::size_t>(id)].left = left;
    tree_.nodes[static_cast<std::size_t>(id)].right = right;
    return id;
  }

  double root_weight(int id, double own) const { return id == 0 ? own : tree_.nodes[0].weight; }

  const BinnedFeatures& B_;
  const TreeParams& params_;
  mlc::Rng& rng_;
  SplitRule rule_;
  Tree tree_;
  std::vector<int> idx_;
  std::vector<double> hist_;
  std::vector<int> features_;
  std::vector<std::vector<double>> stats_;
  std::vector<std::array<std::vector<double>, 2>> full_;
  int max_bins_ = 1;
};

void check_params(const TreeParams& p, const char* who) {
  mlc::require(p.min_samples_leaf >= 1, who, fmt::format("min_samples_leaf must be >= 1, got {}", p.min_samples_leaf));
  mlc::require(p.max_features >= 0, who, fmt::format("max_features must be >= 0, got {}", p.max_features));
  mlc::require(p.lambda >= 0 && p.gamma >= 0 && p.min_impurity_decrease >= 0, who,
               "lambda, gamma and min_impurity_decrease must be >= 0");
}

void check_weights(const BinnedFeatures& B, const Sample& s, const char* who) {
  mlc::require(s.w.size() == 0 || s.w.size() == B.n, who,
               fmt::format("w has {} entries, the data {} rows", s.w.size(), B.n));
  mlc::require(s.w.size() == 0 || (s.w.array() >= 0).all(), who, "sample weights must be >= 0");
}

}  // namespace

Tree fit_classifier(const BinnedFeatures& B, const Eigen::VectorXi& y, int K, const TreeParams& params,
                    mlc::Rng& rng, const Sample& sample) {
  check_params(params, "fit_classifier");
  check_weights(B, sample, "fit_classifier");
  mlc::require(params.criterion == Criterion::gini || params.criterion == Criterion::entropy,
               "fit_classifier", "criterion must be gini or entropy");
  mlc::require(y.size() == B.n, "fit_classifier", fmt::format("y has {} entries, X {} rows", y.size(), B.n));
  mlc::require(K >= 1 && y.minCoeff() >= 0 && y.maxCoeff() < K, "fit_classifier",
               fmt::format("labels must lie in 0..{}", K - 1));
  Builder builder(B, params, rng, K, {params.criterion, K, params.min_samples_leaf, 0.0, 0.0});
  builder.label = y.data();
  builder.weight = sample.w.size() ? sample.w.data() : nullptr;
  return builder.build(sample);
}

Tree fit_regressor(const BinnedFeatures& B, const Eigen::VectorXd& y, const TreeParams& params, mlc::Rng& rng,
                   const Sample& sample) {
  check_params(params, "fit_regressor");
  check_weights(B, sample, "fit_regressor");
  mlc::require(params.criterion == Criterion::mse, "fit_regressor", "criterion must be mse");
  mlc::require(y.size() == B.n, "fit_regressor", fmt::format("y has {} entries, X {} rows", y.size(), B.n));
  Builder builder(B, params, rng, 1, {Criterion::mse, 3, params.min_samples_leaf, 0.0, 0.0});
  builder.target = y.data();
  builder.weight = sample.w.size() ? sample.w.data() : nullptr;
  return builder.build(sample);
}

Tree fit_newton(const BinnedFeatures& B, const Eigen::VectorXd& g, const Eigen::VectorXd& h,
                const TreeParams& params, mlc::Rng& rng, const Sample& sample) {
  check_params(params, "fit_newton");
  check_weights(B, sample, "fit_newton");
  mlc::require(params.criterion == Criterion::newton, "fit_newton", "criterion must be newton");
  mlc::require(g.size() == B.n && h.size() == B.n, "fit_newton",
               fmt::format("g has {} and h {} entries, X {} rows", g.size(), h.size(), B.n));
  mlc::require(g.allFinite() && h.allFinite(), "fit_newton", "gradients or hessians are not finite");
  Builder builder(B, params, rng, 1,
                  {Criterion::newton, 2, params.min_samples_leaf, params.lambda, params.min_child_weight});
  builder.target = g.data();
  builder.hess = h.data();
  builder.weight = sample.w.size() ? sample.w.data() : nullptr;
  return builder.build(sample);
}

Tree fit_classifier(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K, const TreeParams& params,
                    mlc::Rng& rng) {
  return fit_classifier(bin_features(X), y, K, params, rng);
}

Tree fit_regressor(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const TreeParams& params, mlc::Rng& rng) {
  return fit_regressor(bin_features(X), y, params, rng);
}

// ---- Tree queries -------------------------------------------------------------------------

void Tree::set_value(int node, std::span<const double> v) {
  mlc::require(node >= 0 && node < static_cast<int>(nodes.size()) &&
                   v.size() == static_cast<std::size_t>(num_outputs),
               "Tree::set_value", "node out of range or value of the wrong size");
  std::copy(v.begin(), v.end(), values.begin() + static_cast<std::ptrdiff_t>(node) * num_outputs);
}

int Tree::leaf_of(const double* x, Eigen::Index stride) const {
  int t = 0;
  while (!nodes[static_cast<std::size_t>(t)].is_leaf()) {
    const Node& nd = nodes[static_cast<std::size_t>(t)];
    t = x[nd.feature * stride] <= nd.threshold ? nd.left : nd.right;
  }
  return t;
}

Eigen::VectorXi Tree::apply(const Eigen::MatrixXd& X) const {
  mlc::require(!nodes.empty(), "Tree::apply", "the tree is empty (not fitted)");
  Eigen::VectorXi leaf(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) leaf(i) = leaf_of(X.data() + i, X.rows());
  return leaf;
}

Eigen::MatrixXd Tree::predict_values(const Eigen::MatrixXd& X) const {
  const Eigen::VectorXi leaf = apply(X);
  Eigen::MatrixXd out(X.rows(), num_outputs);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const auto v = value(leaf(i));
    for (int k = 0; k < num_outputs; ++k) out(i, k) = v[static_cast<std::size_t>(k)];
  }
  return out;
}

Eigen::VectorXi Tree::predict_class(const Eigen::MatrixXd& X) const {
  const Eigen::VectorXi leaf = apply(X);
  Eigen::VectorXi out(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const auto v = value(leaf(i));
    out(i) = static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
  }
  return out;
}

Eigen::VectorXd Tree::predict(const Eigen::MatrixXd& X) const { return predict_values(X).col(0); }

int Tree::num_leaves() const {
  int leaves = 0;
  std::vector<int> stack{0};
  while (!stack.empty()) {
    const Node& nd = nodes[static_cast<std::size_t>(stack.back())];
    stack.pop_back();
    if (nd.is_leaf()) {
      ++leaves;
    } else {
      stack.push_back(nd.left);
      stack.push_back(nd.right);
    }
  }
  return leaves;
}

int Tree::depth() const {
  int depth = 0;
  std::vector<int> stack{0};
  while (!stack.empty()) {
    const Node& nd = nodes[static_cast<std::size_t>(stack.back())];
    stack.pop_back();
    depth = std::max(depth, nd.depth);
    if (!nd.is_leaf()) {
      stack.push_back(nd.left);
      stack.push_back(nd.right);
    }
  }
  return depth;
}

Eigen::VectorXd Tree::feature_importance(Eigen::Index d) const {
  // (8) Imp(f) = Σ_{t splits on f} (W_t I_t − W_L I_L − W_R I_R), normalised
  Eigen::VectorXd imp = Eigen::VectorXd::Zero(d);
  std::vector<int> stack{0};
  while (!stack.empty()) {
    const Node& nd = nodes[static_cast<std::size_t>(stack.back())];
    stack.pop_back();
    if (nd.is_leaf()) continue;
    mlc::require(nd.feature < d, "Tree::feature_importance", fmt::format("tree splits on feature {} >= d = {}", nd.feature, d));
    imp(nd.feature) += std::max(0.0, nd.gain);
    stack.push_back(nd.left);
    stack.push_back(nd.right);
  }
  const double total = imp.sum();
  return total > 0 ? Eigen::VectorXd(imp / total) : imp;
}

std::string Tree::to_text(const std::vector<std::string>& feature_names,
                          const std::vector<std::string>& class_names, int precision) const {
  std::string out;
  auto name = [&](int f) {
    return f < static_cast<int>(feature_names.size()) ? feature_names[static_cast<std::size_t>(f)]
                                                       : fmt::format("x{}", f);
  };
  auto leaf_text = [&](int t) {
    const auto v = value(t);
    const Node& nd = nodes[static_cast<std::size_t>(t)];
    if (criterion == Criterion::gini || criterion == Criterion::entropy) {
      const auto k = static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
      const std::string cls = k < class_names.size() ? class_names[k] : std::to_string(k);
      return fmt::format("class: {} (n = {}, p = {:.{}f})", cls, nd.n_samples, v[k], precision);
    }
    return fmt::format("value: {:.{}f} (n = {})", v[0], precision, nd.n_samples);
  };
  auto walk = [&](auto&& self, int t, int level) -> void {
    const Node& nd = nodes[static_cast<std::size_t>(t)];
    std::string indent;
    for (int i = 0; i < level; ++i) indent += "|   ";
    if (nd.is_leaf()) {
      out += indent + "|--- " + leaf_text(t) + "\n";
      return;
    }
    out += fmt::format("{}|--- {} <= {:.{}f}\n", indent, name(nd.feature), nd.threshold, precision);
    self(self, nd.left, level + 1);
    out += fmt::format("{}|--- {} >  {:.{}f}\n", indent, name(nd.feature), nd.threshold, precision);
    self(self, nd.right, level + 1);
  };
  walk(walk, 0, 0);
  return out;
}

// ---- Cost-complexity pruning --------------------------------------------------------------

PruningPath cost_complexity_path(const Tree& tree) {
  mlc::require(!tree.nodes.empty(), "cost_complexity_path", "the tree is empty");
  mlc::require(tree.criterion != Criterion::newton, "cost_complexity_path",
               "pruning needs an impurity criterion (gini, entropy or mse)");
  const std::size_t m = tree.nodes.size();
  PruningPath path;
  path.collapse_alpha.assign(m, std::numeric_limits<double>::infinity());
  // BEGIN EXERCISE cost_complexity_prune: the weakest-link sequence, equations (9)–(11)
  // R(t) = W_t I_t / W_root: the cost of node t as a leaf.                          (9)
  std::vector<double> R(m), RT(m), g(m);
  std::vector<int> L(m);
  std::vector<char> leaf(m), alive(m, 1);
  for (std::size_t t = 0; t < m; ++t) {
    R[t] = tree.nodes[t].weight * tree.nodes[t].impurity / tree.root_weight;
    leaf[t] = tree.nodes[t].is_leaf();
  }
  double alpha = 0.0;
  while (true) {
    // Children come after their parents, so one backward sweep gives every alive node's
    // subtree cost R(T_t) and leaf count |T_t|.
    for (std::size_t t = m; t-- > 0;) {
      if (!alive[t]) continue;
      if (leaf[t]) {
        RT[t] = R[t];
        L[t] = 1;
      } else {
        const auto l = static_cast<std::size_t>(tree.nodes[t].left), r = static_cast<std::size_t>(tree.nodes[t].right);
        RT[t] = RT[l] + RT[r];
        L[t] = L[l] + L[r];
      }
    }
    path.alphas.push_back(alpha);
    path.impurities.push_back(RT[0]);
    path.leaves.push_back(L[0]);
    if (leaf[0]) break;
    // (10) g(t) = (R(t) − R(T_t)) / (|T_t| − 1); the weakest links have the smallest g.
    double g_min = std::numeric_limits<double>::infinity();
    for (std::size_t t = 0; t < m; ++t) {
      if (!alive[t] || leaf[t]) continue;
      g[t] = (R[t] - RT[t]) / (L[t] - 1);
      g_min = std::min(g_min, g[t]);
    }
    // (11) α_{k+1} = min_t g(t); collapse every node that attains it (ties up to rounding).
    // The sequence is non-decreasing in exact arithmetic; max() guards against rounding.
    alpha = std::max(alpha, g_min);
    const double tol = 1e-12 * std::max(std::abs(g_min), 1e-300) + 1e-15;
    for (std::size_t t = 0; t < m; ++t) {
      if (!alive[t] || leaf[t] || g[t] > g_min + tol) continue;
      leaf[t] = 1;
      path.collapse_alpha[t] = std::min(path.collapse_alpha[t], alpha);
      std::vector<int> stack{tree.nodes[t].left, tree.nodes[t].right};
      while (!stack.empty()) {  // the subtree below t is gone with it
        const auto s = static_cast<std::size_t>(stack.back());
        stack.pop_back();
        alive[s] = 0;
        path.collapse_alpha[s] = std::min(path.collapse_alpha[s], alpha);
        if (!tree.nodes[s].is_leaf()) {
          stack.push_back(tree.nodes[s].left);
          stack.push_back(tree.nodes[s].right);
        }
      }
    }
  }
  // END EXERCISE
  return path;
}

Tree prune(const Tree& tree, const PruningPath& path, double alpha) {
  mlc::require(path.collapse_alpha.size() == tree.nodes.size(), "prune", "the path belongs to another tree");
  Tree out;
  out.criterion = tree.criterion;
  out.num_outputs = tree.num_outputs;
  out.root_weight = tree.root_weight;
  const auto K = static_cast<std::size_t>(tree.num_outputs);
  auto copy = [&](auto&& self, int t) -> int {
    const int id = static_cast<int>(out.nodes.size());
    Node nd = tree.nodes[static_cast<std::size_t>(t)];
    const auto v = tree.value(t);
    out.values.insert(out.values.end(), v.begin(), v.end());
    const bool cut = path.collapse_alpha[static_cast<std::size_t>(t)] <= alpha;
    if (cut) {
      nd.feature = -1;
      nd.left = nd.right = -1;
      nd.gain = 0.0;
    }
    out.nodes.push_back(nd);
    if (!nd.is_leaf()) {
      const int l = self(self, nd.left);
      const int r = self(self, nd.right);
      out.nodes[static_cast<std::size_t>(id)].left = l;
      out.nodes[static_cast<std::size_t>(id)].right = r;
    }
    return id;
  };
  copy(copy, 0);
  (void)K;
  return out;
}

Tree prune(const Tree& tree, double alpha) { return prune(tree, cost_complexity_path(tree), alpha); }

double cost_complexity(const Tree& tree, double alpha) {
  // (9) R_α(T) = Σ_leaves W_t I_t / W_root + α |T|
  double R = 0.0;
  int leaves = 0;
  std::vector<int> stack{0};
  while (!stack.empty()) {
    const Node& nd = tree.nodes[static_cast<std::size_t>(stack.back())];
    stack.pop_back();
    if (nd.is_leaf()) {
      R += nd.weight * nd.impurity / tree.root_weight;
      ++leaves;
    } else {
      stack.push_back(nd.left);
      stack.push_back(nd.right);
    }
  }
  return R + alpha * leaves;
}

namespace {

Tree fit_any(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K, const TreeParams& params, mlc::Rng& rng) {
  if (params.criterion == Criterion::mse) return fit_regressor(X, y, params, rng);
  return fit_classifier(X, y.cast<int>(), K, params, rng);
}

double score(const Tree& tree, const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  if (tree.criterion == Criterion::mse) return -(tree.predict(X) - y).squaredNorm() / static_cast<double>(y.size());
  return model_evaluation::accuracy(y.cast<int>(), tree.predict_class(X));
}

}  // namespace

AlphaSelection select_alpha_by_cv(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K,
                                  const TreeParams& params, int folds, mlc::Rng& rng) {
  mlc::require(folds >= 2 && folds <= X.rows(), "select_alpha_by_cv",
               fmt::format("folds must be in [2, n = {}], got {}", X.rows(), folds));
  mlc::require(y.size() == X.rows(), "select_alpha_by_cv", fmt::format("y has {} entries, X {} rows", y.size(), X.rows()));
  const Tree full = fit_any(X, y, K, params, rng);
  const PruningPath path = cost_complexity_path(full);
  AlphaSelection sel;
  for (std::size_t k = 0; k < path.alphas.size(); ++k) {
    sel.candidates.push_back(k + 1 < path.alphas.size() ? std::sqrt(path.alphas[k] * path.alphas[k + 1])
                                                        : path.alphas[k]);
  }
  sel.cv_score.assign(sel.candidates.size(), 0.0);
  const auto fold_rows = params.criterion == Criterion::mse
                             ? mlc::kfold_indices(X.rows(), folds, rng)
                             : mlc::stratified_kfold_indices(y.cast<int>(), folds, rng);
  for (const auto& test_rows : fold_rows) {
    const auto train_rows = mlc::complement(test_rows, X.rows());
    const Eigen::MatrixXd Xtr = X(train_rows, Eigen::all), Xte = X(test_rows, Eigen::all);
    const Eigen::VectorXd ytr = y(train_rows), yte = y(test_rows);
    const Tree tree = fit_any(Xtr, ytr, K, params, rng);
    const PruningPath fold_path = cost_complexity_path(tree);
    for (std::size_t c = 0; c < sel.candidates.size(); ++c) {
      sel.cv_score[c] += score(prune(tree, fold_path, sel.candidates[c]), Xte, yte) / folds;
    }
  }
  std::size_t best = 0;
  for (std::size_t c = 1; c < sel.candidates.size(); ++c) {
    if (sel.cv_score[c] >= sel.cv_score[best] - 1e-12) best = c;  // ties: the larger α
  }
  sel.best_alpha = sel.candidates[best];
  sel.best_score = sel.cv_score[best];
  return sel;
}

PrunedTree fit_pruned_classifier(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int K,
                                 const TreeParams& params, int folds, mlc::Rng& rng) {
  PrunedTree out;
  out.selection = select_alpha_by_cv(X, y.cast<double>(), K, params, folds, rng);
  out.full = fit_classifier(X, y, K, params, rng);
  out.pruned = prune(out.full, out.selection.best_alpha);
  return out;
}

}  // namespace decision_trees
