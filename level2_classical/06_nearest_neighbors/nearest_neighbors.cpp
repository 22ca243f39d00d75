// Lesson 2.6 nearest_neighbors: the algorithm (no I/O). See nearest_neighbors.hpp for the
// contracts and NOTES.md for equations (1)–(7).
#include "nearest_neighbors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>
#include <boost/math/distributions/normal.hpp>

#include "mlc/error.hpp"
#include "model_evaluation.hpp"

namespace nearest_neighbors {

namespace {

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

using detail::Candidate;
bool before(const Candidate& a, const Candidate& b) {
  return a.dist2 < b.dist2 || (a.dist2 == b.dist2 && a.index < b.index);
}

void check_knn_arguments(const char* function, const Eigen::MatrixXd& X, const Eigen::MatrixXd& Q,
                         int k) {
  mlc::require(X.rows() >= 1 && X.cols() >= 1, function, "need at least one reference point");
  mlc::require(Q.cols() == X.cols(), function,
               fmt::format("queries have {} features, reference points {}", Q.cols(), X.cols()));
  mlc::require(k >= 1 && k <= X.rows(), function,
               fmt::format("need 1 <= k <= n = {}, got k = {}", X.rows(), k));
  mlc::require(X.allFinite() && Q.allFinite(), function, "points must be finite");
}

}  // namespace

// ---- Distances ---------------------------------------------------------------------------

double squared_euclidean(const double* a, const double* b, Eigen::Index d) {
  double sum = 0.0;
  for (Eigen::Index j = 0; j < d; ++j) {
    const double diff = a[j] - b[j];
    sum += diff * diff;
  }
  return sum;
}

Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& Q, const Eigen::MatrixXd& X) {
  mlc::require(Q.cols() == X.cols(), "squared_distances",
               fmt::format("Q is {} × {}, X is {} × {}: feature counts differ", Q.rows(), Q.cols(),
                           X.rows(), X.cols()));
  // BEGIN EXERCISE squared_distances: all pairwise squared distances by the Gram trick (1)
  const Eigen::VectorXd q_norm2 = Q.rowwise().squaredNorm();                 // [m]
  const Eigen::RowVectorXd x_norm2 = X.rowwise().squaredNorm().transpose();  // [n]
  Eigen::MatrixXd D = -2.0 * Q * X.transpose();                              // [m × n], one GEMM
  D.colwise() += q_norm2;
  D.rowwise() += x_norm2;
  return D.cwiseMax(0.0);  // cancellation can leave tiny negatives for coincident points
  // END EXERCISE
}

// ---- Brute force -------------------------------------------------------------------------

Neighbors brute_force_knn(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Q, int k,
                          SearchStats* stats) {
  check_knn_arguments("brute_force_knn", X, Q, k);
  const Eigen::Index m = Q.rows(), n = X.rows(), d = X.cols();
  Neighbors out{Eigen::MatrixXi(m, k), Eigen::MatrixXd(m, k)};
  // Exact re-ranking reads contiguous rows.
  const RowMajorMatrix Xr = X, Qr = Q;
  // Screening by (1) on centred coordinates (distances are translation invariant, and small
  // norms keep the cancellation error of (1) small).
  const Eigen::RowVectorXd center = X.colwise().mean();
  const Eigen::MatrixXd Xc = X.rowwise() - center;
  const double max_x_norm = Xc.rowwise().norm().maxCoeff();
  // (2) rounding bound of (1) against squared_euclidean: |D̃ − D| ≤ δ with
  // δ = 4 (d + 2) u (‖q‖ + max‖x‖)², twice the first-order bound (2d + 4) u (‖q‖ + ‖x‖)².
  const double u = std::numeric_limits<double>::epsilon() / 2.0;
  constexpr Eigen::Index kBlock =
      64;  // queries per GEMM: a 64 × n block of distances (cache-sized)
  const auto ku = static_cast<std::size_t>(k);
  std::vector<double> kbest;
  kbest.reserve(ku);
  std::vector<Candidate> candidates;
  for (Eigen::Index b0 = 0; b0 < m; b0 += kBlock) {
    const Eigen::Index bm = std::min(kBlock, m - b0);
    const Eigen::MatrixXd Qc = Q.middleRows(b0, bm).rowwise() - center;
    const Eigen::MatrixXd D = squared_distances(Xc, Qc);  // [n × bm]: column i is query b0 + i
    for (Eigen::Index i = 0; i < bm; ++i) {
      const double* col = D.col(i).data();
      // k-th smallest screened distance: one pass with a bounded max-heap of k values,
      // O(n log k) worst case, and one comparison per point once the heap is full.
      kbest.clear();
      for (Eigen::Index j = 0; j < n; ++j) {
        if (kbest.size() < ku) {
          kbest.push_back(col[j]);
          std::push_heap(kbest.begin(), kbest.end());
        } else if (col[j] < kbest.front()) {
          std::pop_heap(kbest.begin(), kbest.end());
          kbest.back() = col[j];
          std::push_heap(kbest.begin(), kbest.end());
        }
      }
      const double q_norm = Qc.row(i).norm();
      const double delta =
          4.0 * static_cast<double>(d + 2) * u * (q_norm + max_x_norm) * (q_norm + max_x_norm);
      // Every true k-nearest point has D̃ ≤ D̃_(k) + 2δ (NOTES, "Exact brute force").
      const double threshold = kbest.front() + 2.0 * delta;
      candidates.clear();
      const double* q = Qr.row(b0 + i).data();
      for (Eigen::Index j = 0; j < n; ++j) {
        if (col[j] <= threshold) {
          candidates.push_back({squared_euclidean(q, Xr.row(j).data(), d), static_cast<int>(j)});
        }
      }
      std::partial_sort(candidates.begin(), candidates.begin() + k, candidates.end(), before);
      for (int r = 0; r < k; ++r) {
        out.index(b0 + i, r) = candidates[static_cast<std::size_t>(r)].index;
        out.distance(b0 + i, r) = std::sqrt(candidates[static_cast<std::size_t>(r)].dist2);
      }
    }
  }
  if (stats != nullptr) stats->distance_computations += static_cast<std::int64_t>(m) * n;
  return out;
}

// ---- k-d tree ----------------------------------------------------------------------------

KdTree::KdTree(const Eigen::MatrixXd& X, int leaf_size) : leaf_size_(leaf_size) {
  mlc::require(X.rows() >= 1 && X.cols() >= 1, "KdTree", "need at least one point");
  mlc::require(X.rows() <= std::numeric_limits<int>::max(), "KdTree", "too many points");
  mlc::require(leaf_size >= 1, "KdTree", fmt::format("leaf_size must be >= 1, got {}", leaf_size));
  mlc::require(X.allFinite(), "KdTree", "points must be finite");
  points_ = X.transpose();  // d × n, original order while building
  order_.resize(static_cast<std::size_t>(X.rows()));
  std::iota(order_.begin(), order_.end(), 0);
  build(0, static_cast<int>(X.rows()));
  // Store the points in tree order so that a leaf scans contiguous columns.
  Eigen::MatrixXd ordered(points_.rows(), points_.cols());
  for (std::size_t p = 0; p < order_.size(); ++p) {
    ordered.col(static_cast<Eigen::Index>(p)) = points_.col(order_[p]);
  }
  points_ = std::move(ordered);
  // Rounding margin of (3'): rd_far is at most (1 + 3·depth·u) times the exact cell distance
  // R (rd never decreases along a path), and squared_euclidean is at least (1 − (d+1) u)
  // times the exact distance ≥ R; pruning only when rd_far·shrink > k-th best keeps ties.
  const double u = std::numeric_limits<double>::epsilon() / 2.0;
  cell_shrink_ = 1.0 - 4.0 * static_cast<double>(points_.rows() + depth() + 4) * u;
}

int KdTree::build(int begin, int end) {
  const int id = static_cast<int>(nodes_.size());
  nodes_.push_back(Node{.begin = begin, .end = end});
  if (end - begin <= leaf_size_) return id;
  // Split the coordinate of largest spread (Friedman, Bentley & Finkel 1977).   O(n_node d)
  Eigen::VectorXd lo = points_.col(order_[static_cast<std::size_t>(begin)]), hi = lo;
  for (int p = begin + 1; p < end; ++p) {
    lo = lo.cwiseMin(points_.col(order_[static_cast<std::size_t>(p)]));
    hi = hi.cwiseMax(points_.col(order_[static_cast<std::size_t>(p)]));
  }
  Eigen::Index dim = 0;
  const double spread = (hi - lo).maxCoeff(&dim);
  if (spread <= 0.0) return id;  // all points coincide: a leaf, whatever its size
  // Median split: points [begin, mid) have x[dim] <= split, [mid, end) have x[dim] >= split.
  const int mid = begin + (end - begin) / 2;
  const auto coord = [&](int i) { return points_(dim, i); };
  std::nth_element(
      order_.begin() + begin, order_.begin() + mid, order_.begin() + end,
      [&](int a, int b) { return coord(a) < coord(b) || (coord(a) == coord(b) && a < b); });
  const double split = coord(order_[static_cast<std::size_t>(mid)]);
  const int left = build(begin, mid);
  const int right = build(mid, end);
  Node& node = nodes_[static_cast<std::size_t>(id)];  // after the recursion: no reallocation
  node.split_dim = static_cast<int>(dim);
  node.split = split;
  node.left = left;
  node.right = right;
  return id;
}

int KdTree::depth() const {
  // Depth of the deepest leaf (the root alone has depth 0), by an explicit stack.
  int deepest = 0;
  std::vector<std::pair<int, int>> stack{{0, 0}};
  while (!stack.empty()) {
    const auto [id, level] = stack.back();
    stack.pop_back();
    const Node& node = nodes_[static_cast<std::size_t>(id)];
    deepest = std::max(deepest, level);
    if (node.split_dim >= 0) {
      stack.push_back({node.left, level + 1});
      stack.push_back({node.right, level + 1});
    }
  }
  return deepest;
}

void KdTree::search(int node_id, const double* q, int k, Bound bound, double rd,
                    std::vector<double>& offsets, std::vector<Candidate>& heap,
                    SearchStats& stats) const {
  // BEGIN EXERCISE kdtree_search: branch and bound, plane bound (3) or cell bound (3')
  const Node& node = nodes_[static_cast<std::size_t>(node_id)];
  ++stats.nodes_visited;
  const auto ku = static_cast<std::size_t>(k);
  const auto worse = [](const Candidate& a, const Candidate& b) {
    return a.dist2 < b.dist2 || (a.dist2 == b.dist2 && a.index < b.index);
  };  // max-heap on (dist2, index): heap.front() is the current k-th best
  if (node.split_dim < 0) {
    for (int p = node.begin; p < node.end; ++p) {
      const Candidate c{squared_euclidean(q, points_.col(p).data(), points_.rows()),
                        order_[static_cast<std::size_t>(p)]};
      ++stats.distance_computations;
      if (heap.size() < ku) {
        heap.push_back(c);
        std::push_heap(heap.begin(), heap.end(), worse);
      } else if (worse(c, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), worse);
        heap.back() = c;
        std::push_heap(heap.begin(), heap.end(), worse);
      }
    }
    return;
  }
  const int s = node.split_dim;
  const double diff = q[s] - node.split;  // signed distance to the splitting plane
  const int near = diff <= 0.0 ? node.left : node.right;
  const int far = diff <= 0.0 ? node.right : node.left;
  search(near, q, k, bound, rd, offsets, heap, stats);  // the near cell keeps the bound rd
  if (bound == Bound::plane) {
    // (3) every point beyond the plane is at squared distance >= diff², also in floating
    // point; "<=" keeps equal distances, which may still win on the index.
    if (heap.size() < ku || diff * diff <= heap.front().dist2) {
      search(far, q, k, bound, rd, offsets, heap, stats);
    }
    return;
  }
  // (3') the far cell: coordinate s of the offset grows from offsets[s] to |diff|.
  const double old = offsets[static_cast<std::size_t>(s)];
  const double rd_far = rd - old * old + diff * diff;
  // cell_shrink_ < 1 absorbs the rounding of rd_far and of squared_euclidean, so a point
  // that ties the k-th best is never pruned (NOTES, "Exactness").
  if (heap.size() < ku || rd_far * cell_shrink_ <= heap.front().dist2) {
    offsets[static_cast<std::size_t>(s)] = diff;
    search(far, q, k, bound, rd_far, offsets, heap, stats);
    offsets[static_cast<std::size_t>(s)] = old;
  }
  // END EXERCISE
}

Neighbors KdTree::query(const Eigen::MatrixXd& Q, int k, SearchStats* stats, Bound bound) const {
  mlc::require(Q.cols() == dim(), "KdTree::query",
               fmt::format("queries have {} features, the tree {}", Q.cols(), dim()));
  mlc::require(k >= 1 && k <= size(), "KdTree::query",
               fmt::format("need 1 <= k <= n = {}, got k = {}", size(), k));
  const Eigen::Index m = Q.rows();
  Neighbors out{Eigen::MatrixXi(m, k), Eigen::MatrixXd(m, k)};
  SearchStats local;
  std::vector<Candidate> heap;
  heap.reserve(static_cast<std::size_t>(k));
  Eigen::VectorXd q(dim());
  std::vector<double> offsets(static_cast<std::size_t>(dim()));
  for (Eigen::Index i = 0; i < m; ++i) {
    q = Q.row(i).transpose();
    heap.clear();
    std::fill(offsets.begin(), offsets.end(), 0.0);
    search(0, q.data(), k, bound, 0.0, offsets, heap, local);
    std::sort(heap.begin(), heap.end(), before);
    for (int r = 0; r < k; ++r) {
      out.index(i, r) = heap[static_cast<std::size_t>(r)].index;
      out.distance(i, r) = std::sqrt(heap[static_cast<std::size_t>(r)].dist2);
    }
  }
  if (stats != nullptr) {
    stats->distance_computations += local.distance_computations;
    stats->nodes_visited += local.nodes_visited;
  }
  return out;
}

// ---- k-NN prediction ---------------------------------------------------------------------

Eigen::VectorXd neighbor_weights(const Eigen::VectorXd& distances, Weighting weighting) {
  mlc::require(distances.size() >= 1, "neighbor_weights", "need at least one neighbour");
  if (weighting == Weighting::uniform) return Eigen::VectorXd::Ones(distances.size());
  // (4) w_i = 1 / d_i; exact matches (d_i = 0) take all the weight, shared equally.
  const Eigen::Array<bool, Eigen::Dynamic, 1> zero = distances.array() == 0.0;
  if (zero.any()) return zero.cast<double>().matrix();
  return distances.cwiseInverse();
}

int knn_vote(const Eigen::VectorXi& neighbor_labels, const Eigen::VectorXd& distances,
             int num_classes, Weighting weighting) {
  mlc::require(neighbor_labels.size() >= 1 && neighbor_labels.size() == distances.size(),
               "knn_vote",
               fmt::format("{} labels and {} distances: need equal, non-zero sizes",
                           neighbor_labels.size(), distances.size()));
  mlc::require(num_classes >= 1 && neighbor_labels.minCoeff() >= 0 &&
                   neighbor_labels.maxCoeff() < num_classes,
               "knn_vote", fmt::format("labels must lie in 0..{}", num_classes - 1));
  // BEGIN EXERCISE knn_vote: the weighted majority vote (5) with the nearest-member tie rule
  const Eigen::VectorXd w = neighbor_weights(distances, weighting);
  Eigen::VectorXd score = Eigen::VectorXd::Zero(num_classes);
  for (Eigen::Index i = 0; i < neighbor_labels.size(); ++i) score(neighbor_labels(i)) += w(i);
  const double best = score.maxCoeff();
  // Neighbours come nearest first: the first whose class reaches the top score settles a tie.
  for (Eigen::Index i = 0; i < neighbor_labels.size(); ++i) {
    if (score(neighbor_labels(i)) == best) return neighbor_labels(i);
  }
  return neighbor_labels(0);  // not reached: some neighbour's class holds the maximum
  // END EXERCISE
}

double knn_average(const Eigen::VectorXd& neighbor_targets, const Eigen::VectorXd& distances,
                   Weighting weighting) {
  mlc::require(neighbor_targets.size() >= 1 && neighbor_targets.size() == distances.size(),
               "knn_average",
               fmt::format("{} targets and {} distances: need equal, non-zero sizes",
                           neighbor_targets.size(), distances.size()));
  const Eigen::VectorXd w = neighbor_weights(distances, weighting);
  return w.dot(neighbor_targets) / w.sum();  // (6)
}

KnnClassifier::KnnClassifier(int k, Weighting weighting, Search search)
    : k_(k), weighting_(weighting), search_(search) {
  mlc::require(k >= 1, "KnnClassifier", fmt::format("k must be >= 1, got {}", k));
}

void KnnClassifier::fit(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int num_classes) {
  mlc::require(X.rows() == y.size(), "KnnClassifier::fit",
               fmt::format("X has {} rows, y {} entries", X.rows(), y.size()));
  mlc::require(k_ <= X.rows(), "KnnClassifier::fit",
               fmt::format("k = {} exceeds the {} training points", k_, X.rows()));
  mlc::require(num_classes >= 1 && y.minCoeff() >= 0 && y.maxCoeff() < num_classes,
               "KnnClassifier::fit", fmt::format("labels must lie in 0..{}", num_classes - 1));
  X_ = X;
  y_ = y;
  num_classes_ = num_classes;
  tree_.clear();
  if (search_ == Search::kd_tree) tree_.emplace_back(X_);
}

Neighbors KnnClassifier::neighbors(const Eigen::MatrixXd& Q, SearchStats* stats) const {
  mlc::require(num_classes_ > 0, "KnnClassifier::predict", "call fit first");
  return tree_.empty() ? brute_force_knn(X_, Q, k_, stats) : tree_.front().query(Q, k_, stats);
}

Eigen::VectorXi KnnClassifier::predict(const Eigen::MatrixXd& Q, SearchStats* stats) const {
  const Neighbors nb = neighbors(Q, stats);
  Eigen::VectorXi out(Q.rows());
  Eigen::VectorXi labels(k_);
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    for (int r = 0; r < k_; ++r) labels(r) = y_(nb.index(i, r));
    out(i) = knn_vote(labels, nb.distance.row(i).transpose(), num_classes_, weighting_);
  }
  return out;
}

Eigen::MatrixXd KnnClassifier::predict_proba(const Eigen::MatrixXd& Q) const {
  const Neighbors nb = neighbors(Q, nullptr);
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(Q.rows(), num_classes_);
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    const Eigen::VectorXd w = neighbor_weights(nb.distance.row(i).transpose(), weighting_);
    for (int r = 0; r < k_; ++r) P(i, y_(nb.index(i, r))) += w(r);
    P.row(i) /= w.sum();
  }
  return P;
}

KnnRegressor::KnnRegressor(int k, Weighting weighting) : k_(k), weighting_(weighting) {
  mlc::require(k >= 1, "KnnRegressor", fmt::format("k must be >= 1, got {}", k));
}

void KnnRegressor::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  mlc::require(X.rows() == y.size(), "KnnRegressor::fit",
               fmt::format("X has {} rows, y {} entries", X.rows(), y.size()));
  mlc::require(k_ <= X.rows(), "KnnRegressor::fit",
               fmt::format("k = {} exceeds the {} training points", k_, X.rows()));
  X_ = X;
  y_ = y;
}

Eigen::VectorXd KnnRegressor::predict(const Eigen::MatrixXd& Q) const {
  mlc::require(X_.rows() > 0, "KnnRegressor::predict", "call fit first");
  const Neighbors nb = brute_force_knn(X_, Q, k_);
  Eigen::VectorXd out(Q.rows());
  Eigen::VectorXd targets(k_);
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    for (int r = 0; r < k_; ++r) targets(r) = y_(nb.index(i, r));
    out(i) = knn_average(targets, nb.distance.row(i).transpose(), weighting_);
  }
  return out;
}

Eigen::VectorXi leave_one_out_predictions(const Eigen::MatrixXd& X, const Eigen::VectorXi& y,
                                          int num_classes, int k, Weighting weighting) {
  mlc::require(X.rows() == y.size(), "leave_one_out_predictions",
               fmt::format("X has {} rows, y {} entries", X.rows(), y.size()));
  mlc::require(k >= 1 && k + 1 <= X.rows(), "leave_one_out_predictions",
               fmt::format("need 1 <= k <= n − 1 = {}, got {}", X.rows() - 1, k));
  const Neighbors nb = brute_force_knn(X, X, k + 1);
  Eigen::VectorXi out(X.rows());
  Eigen::VectorXi labels(k);
  Eigen::VectorXd distances(k);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    // Drop i itself; if k + 1 duplicates of lower index hid it, drop the farthest instead.
    int r_out = k;
    for (int r = 0; r <= k; ++r) {
      if (nb.index(i, r) == i) r_out = r;
    }
    for (int r = 0, s = 0; r <= k; ++r) {
      if (r == r_out) continue;
      labels(s) = y(nb.index(i, r));
      distances(s) = nb.distance(i, r);
      ++s;
    }
    out(i) = knn_vote(labels, distances, num_classes, weighting);
  }
  return out;
}

KSelection select_k_by_cv(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, int num_classes,
                          const std::vector<int>& candidates, int folds, std::uint64_t seed,
                          Weighting weighting, bool standardize_in_fold) {
  mlc::require(!candidates.empty(), "select_k_by_cv", "need at least one candidate k");
  KSelection sel;
  sel.candidates = candidates;
  double best = -1.0;
  for (int k : candidates) {
    mlc::Rng rng(seed);  // the same folds for every k
    const auto model = [&](const Eigen::MatrixXd& X_train, const Eigen::VectorXi& y_train,
                           const Eigen::MatrixXd& X_test) {
      KnnClassifier knn(k, weighting);
      knn.fit(X_train, y_train, num_classes);
      return knn.predict(X_test);
    };
    const auto cv = model_evaluation::cross_validate(X, y, model, folds, rng, standardize_in_fold);
    sel.cv_accuracy.push_back(cv.mean);
    sel.cv_sd.push_back(cv.sd);
    if (cv.mean > best) {
      best = cv.mean;
      sel.best_k = k;
    }
  }
  return sel;
}

// ---- The curse of dimensionality -----------------------------------------------------------

DistanceContrast distance_contrast(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Q) {
  mlc::require(
      X.rows() >= 2 && X.cols() == Q.cols() && Q.rows() >= 1, "distance_contrast",
      fmt::format("need n >= 2 reference points and matching dimensions, got X {} × {}, Q {} × {}",
                  X.rows(), X.cols(), Q.rows(), Q.cols()));
  const Eigen::MatrixXd D = squared_distances(Q, X);  // [m × n]
  DistanceContrast c;
  c.d_min = D.rowwise().minCoeff().cwiseSqrt();
  c.d_max = D.rowwise().maxCoeff().cwiseSqrt();
  c.ratio = c.d_min.cwiseQuotient(c.d_max);
  c.contrast = (c.d_max - c.d_min).cwiseQuotient(c.d_min);  // (7)
  return c;
}

ConcentrationPrediction predicted_concentration(Eigen::Index n, Eigen::Index d) {
  mlc::require(n >= 2 && d >= 1, "predicted_concentration",
               fmt::format("need n >= 2 and d >= 1, got n = {}, d = {}", n, d));
  const double nd = static_cast<double>(n), dd = static_cast<double>(d);
  const double z = boost::math::quantile(boost::math::normal(), (nd - 0.375) / (nd + 0.25));
  ConcentrationPrediction p;
  p.a = z * std::sqrt(dd / 30.0) / (dd / 6.0);  // (8)
  if (p.a >= 1.0) {
    p.ratio = p.contrast = std::numeric_limits<double>::quiet_NaN();
  } else {
    p.ratio = std::sqrt((1.0 - p.a) / (1.0 + p.a));
    p.contrast = 1.0 / p.ratio - 1.0;
  }
  return p;
}

}  // namespace nearest_neighbors
