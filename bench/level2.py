#!/usr/bin/env python3
"""level2.py: the scikit-learn side of the level-2 benchmark (bench/README.md).

Reads bench/level2.json (the models, data sets and hyperparameters, shared with
level2_bench) and the splits the C++ side wrote (OUT/splits.json), fits and predicts each
model with scikit-learn on the same rows, and prints one JSON object on stdout with the
same fields as level2_bench ("side": "scikit-learn"). Times are the median of --reps
repetitions, fit and predict measured separately; loading, standardisation and the split
are outside the timed regions. --threads N holds OpenMP, OpenBLAS and joblib to N threads.

Needs Debian's python3-sklearn (./learn setup --bench); run it with /usr/bin/python3.
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--size", choices=["full", "tiny"], default="full")
    p.add_argument("--splits", required=True, help="splits.json written by level2_bench")
    p.add_argument("--config", default=os.path.join(here, "level2.json"))
    p.add_argument("--only", default="", help="comma-separated model keys")
    a = p.parse_args()
    if a.threads < 1 or a.reps < 1:
        p.error("--threads and --reps must be positive")
    return a


ARGS = parse_args()
# Thread counts must be fixed before numpy and scikit-learn load their thread pools.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

try:
    import numpy as np
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info, threadpool_limits
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.manifold import TSNE
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier
except ImportError as e:
    sys.exit(f"level2.py: {e}; scikit-learn comes from Debian's python3-sklearn: "
             "run ./learn setup --bench, and run this script with /usr/bin/python3")


def median(values):
    return statistics.median(values)


def read_idx(path, images):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if images:
        magic, n, rows, cols = struct.unpack(">IIII", data[:16])
        if magic != 2051:
            sys.exit(f"level2.py: {path}: not an IDX image file")
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows * cols)
    magic, n = struct.unpack(">II", data[:8])
    if magic != 2049:
        sys.exit(f"level2.py: {path}: not an IDX label file")
    return np.frombuffer(data, np.uint8, offset=8)


def load_split(record):
    """(X_train, X_test, y_train, y_test) of one data set, rows as the C++ side chose them."""
    if record["kind"] == "fashion_mnist":
        d, n, m = record["dir"], record["train_first"], record["test_first"]
        X_tr = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"), True)[:n] / 255.0
        y_tr = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz"), False)[:n].astype(int)
        X_te = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"), True)[:m] / 255.0
        y_te = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz"), False)[:m].astype(int)
        return X_tr, X_te, y_tr, y_te
    table = np.loadtxt(record["file"], delimiter=",", skiprows=1)
    X, y = table[:, :-1], table[:, -1]
    tr, te = np.array(record["train_rows"], int), np.array(record["test_rows"], int)
    return X[tr], X[te] if te.size else None, y[tr], y[te] if te.size else None


def time_model(reps, fit, predict):
    """Median fit and predict seconds over reps; quality from the last repetition."""
    fit_t, pred_t, quality = [], [], None
    for _ in range(reps):
        t = time.perf_counter()
        model = fit()
        fit_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        quality = predict(model)
        pred_t.append(time.perf_counter() - t)
    return median(fit_t), median(pred_t), quality


def accuracy(y, p):
    return float(np.mean(np.asarray(y).astype(int) == np.asarray(p).astype(int)))


def bench_linear_regression(s, p, reps, nt):
    X, Xt, y, yt = s

    def r2(m):
        pred = m.predict(Xt)
        return 1.0 - float(np.sum((yt - pred) ** 2) / np.sum((yt - yt.mean()) ** 2))
    f, q, quality = time_model(reps, lambda: LinearRegression().fit(X, y), r2)
    return "LinearRegression (LAPACK gelsd)", f, q, "test R²", quality


def bench_logistic_regression(s, p, reps, nt):
    X, Xt, y, yt = s
    if p.get("standardize"):
        z = StandardScaler().fit(X)  # population sd, zero sd -> 1: as mlc::Standardizer
        X, Xt = z.transform(X), z.transform(Xt)
    C = 1.0 / (X.shape[0] * p["lambda"])  # (1/n) Σ loss + λ/2 ‖W‖²  <=>  C Σ loss + ½ ‖W‖²
    model = lambda: LogisticRegression(C=C, multi_class="multinomial", solver="lbfgs", tol=1e-6,
                                       max_iter=1000).fit(X, y)
    f, q, quality = time_model(reps, model, lambda m: accuracy(yt, m.predict(Xt)))
    return f"LogisticRegression (lbfgs, C = 1/(nλ) = {C:.4g})", f, q, "test accuracy", quality


def bench_knn(s, p, reps, nt):
    X, Xt, y, yt = s
    model = lambda: KNeighborsClassifier(n_neighbors=p["k"], algorithm="brute", n_jobs=nt).fit(X, y)
    f, q, quality = time_model(reps, model, lambda m: accuracy(yt, m.predict(Xt)))
    return "KNeighborsClassifier (brute)", f, q, "test accuracy", quality


def bench_naive_bayes(s, p, reps, nt):
    X, Xt, y, yt = s
    model = lambda: GaussianNB(var_smoothing=p["var_smoothing"]).fit(X, y)
    f, q, quality = time_model(reps, model, lambda m: accuracy(yt, m.predict(Xt)))
    return "GaussianNB", f, q, "test accuracy", quality


def bench_decision_tree(s, p, reps, nt):
    X, Xt, y, yt = s
    model = lambda: DecisionTreeClassifier(criterion="gini", max_depth=p["max_depth"],
                                           min_samples_leaf=p["min_samples_leaf"],
                                           random_state=0).fit(X, y)
    f, q, quality = time_model(reps, model, lambda m: accuracy(yt, m.predict(Xt)))
    return "DecisionTreeClassifier (exact splits)", f, q, "test accuracy", quality


def bench_random_forest(s, p, reps, nt):
    X, Xt, y, yt = s
    model = lambda: RandomForestClassifier(n_estimators=p["n_trees"], max_features=p["max_features"],
                                           n_jobs=nt, random_state=0).fit(X, y)
    f, q, quality = time_model(reps, model, lambda m: accuracy(yt, m.predict(Xt)))
    return "RandomForestClassifier", f, q, "test accuracy", quality


def bench_gradient_boosting(s, p, reps, nt):
    X, Xt, y, yt = s
    model = lambda: HistGradientBoostingClassifier(
        loss="log_loss", learning_rate=p["learning_rate"], max_iter=p["n_rounds"],
        max_leaf_nodes=None, max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["lambda"], max_bins=p["max_bins"], early_stopping=False,
        random_state=0).fit(X, y)
    f, q, quality = time_model(reps, model, lambda m: accuracy(yt, m.predict(Xt)))
    return "HistGradientBoostingClassifier", f, q, "test accuracy", quality


def bench_svm(s, p, reps, nt):
    X, Xt, y, yt = s
    model = lambda: SVC(C=p["C"], kernel="rbf", gamma=p["gamma"], tol=p["tolerance"],
                        decision_function_shape="ovo").fit(X, y)
    f, q, quality = time_model(reps, model, lambda m: accuracy(yt, m.predict(Xt)))
    return "SVC (libsvm, one-vs-one)", f, q, "test accuracy", quality


def bench_kmeans(s, p, reps, nt):
    X, Xt, y, yt = s
    model = lambda: KMeans(n_clusters=p["k"], init="k-means++", n_init=p["n_init"],
                           max_iter=p["max_iterations"], tol=0.0, algorithm="lloyd",
                           random_state=0).fit(X)
    box = {}

    def predict(m):
        m.predict(Xt)
        box["inertia"] = m.inertia_ / X.shape[0]
        return 0.0
    f, q, _ = time_model(reps, model, predict)
    return "KMeans (lloyd, greedy k-means++)", f, q, "train inertia per point", box["inertia"]


def bench_pca(s, p, reps, nt):
    X, Xt, y, yt = s
    k = p["components"]
    model = lambda: PCA(n_components=k, svd_solver="full").fit(X)
    box = {}

    def predict(m):
        m.transform(Xt)
        box["ratio"] = float(np.sum(m.explained_variance_ratio_[:k]))
        return 0.0
    f, q, _ = time_model(reps, model, predict)
    return "PCA (full SVD)", f, q, "explained variance ratio", box["ratio"]


def bench_tsne(s, p, reps, nt):
    X = s[0]
    fit_t, kl = [], None
    for _ in range(reps):
        t = time.perf_counter()
        m = TSNE(n_components=2, perplexity=p["perplexity"], n_iter=p["iterations"],
                 learning_rate=p["learning_rate"], early_exaggeration=p["early_exaggeration"],
                 init="random", method="exact", random_state=0, n_jobs=nt).fit(X)
        fit_t.append(time.perf_counter() - t)
        kl = float(m.kl_divergence_)
    return "TSNE (method='exact')", median(fit_t), None, "final KL(P‖Q)", kl


BENCHES = {name[len("bench_"):]: fn for name, fn in globals().items() if name.startswith("bench_")}


def main():
    with open(ARGS.config) as f:
        config = json.load(f)
    with open(ARGS.splits) as f:
        splits = json.load(f)
    only = [k for k in ARGS.only.split(",") if k]
    results, cache = [], {}
    with threadpool_limits(limits=ARGS.threads):
        for entry in config["models"]:
            key, dataset = entry["key"], entry["dataset"]
            if only and key not in only:
                continue
            if key not in BENCHES:
                sys.exit(f"level2.py: {ARGS.config}: unknown model key '{key}'")
            if dataset not in splits:
                sys.exit(f"level2.py: {ARGS.splits} has no split of '{dataset}': run level2_bench "
                         "with the same --only and --size first (./learn bench does)")
            if dataset not in cache:
                cache[dataset] = load_split(splits[dataset])
            s = cache[dataset]
            params = dict(entry.get("params", {}))
            if ARGS.size == "tiny":
                params.update(entry.get("tiny", {}))
            print(f"level2.py: {key} on {dataset} ...", file=sys.stderr)
            impl, fit_s, pred_s, qname, quality = BENCHES[key](s, params, ARGS.reps, ARGS.threads)
            results.append({"key": key, "model": entry["name"], "dataset": dataset,
                            "n_train": int(s[0].shape[0]),
                            "n_test": 0 if s[1] is None else int(s[1].shape[0]),
                            "d": int(s[0].shape[1]), "implementation": impl,
                            "fit_seconds": fit_s, "predict_seconds": pred_s,
                            "quality_name": qname, "quality": quality})
        pools = [{k: i.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
                 for i in threadpool_info()]
    print(json.dumps({"side": "scikit-learn", "threads": ARGS.threads, "reps": ARGS.reps,
                      "size": ARGS.size,
                      "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__,
                                   "scipy": scipy.__version__, "python": sys.version.split()[0],
                                   "thread_pools": pools},
                      "results": results}, indent=1))


if __name__ == "__main__":
    main()
