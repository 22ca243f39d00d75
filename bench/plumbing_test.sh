#!/usr/bin/env bash
# structure.bench_level2: the plumbing of ./learn bench level2 without scikit-learn.
#   plumbing_test.sh BENCH_DIR LEVEL2_BENCH WORK_DIR
# The C++ side on tiny sizes (one repetition) must print valid JSON with one finite result
# per model of level2.json and write splits.json; report.py must turn it (as both sides)
# into a table with a ratio for each model, and say "no deep pairs yet" for an empty
# folder; a bad flag must exit 2. Times nothing: ratios of a side against itself are 1.
set -euo pipefail
bench_dir=$1 program=$2 work=$3
rm -rf "$work" && mkdir -p "$work/deep"
fail() { echo "bench plumbing: $*" >&2; exit 1; }

"$program" --size tiny --reps 1 --threads 1 --out "$work" >"$work/lessons.json" ||
  fail "level2_bench --size tiny exited $?"
[ -s "$work/splits.json" ] || fail "level2_bench wrote no splits.json"

python3 - "$bench_dir/level2.json" "$work/lessons.json" "$work/splits.json" <<'PY'
import json, math, sys
config, out, splits = (json.load(open(p)) for p in sys.argv[1:4])
keys = [m["key"] for m in config["models"]]
got = [r["key"] for r in out["results"]]
assert got == keys, f"results {got} != models of level2.json {keys}"
assert out["side"] == "lessons" and out["threads"] == 1 and out["size"] == "tiny", out
for r in out["results"]:
    for f in ("fit_seconds", "quality"):
        assert isinstance(r[f], (int, float)) and math.isfinite(r[f]), (r["key"], f, r[f])
    assert r["fit_seconds"] >= 0 and r["n_train"] > 0 and r["d"] > 0, r
    assert r["predict_seconds"] is None or r["predict_seconds"] >= 0, r
    assert r["dataset"] in splits, (r["dataset"], list(splits))
for name, s in splits.items():
    if s["kind"] == "csv":
        tr, te = set(s["train_rows"]), set(s["test_rows"])
        assert tr and not (tr & te), f"{name}: train and test rows overlap or train is empty"
acc = {r["key"]: r["quality"] for r in out["results"] if r["quality_name"] == "test accuracy"}
assert all(0 <= a <= 1 for a in acc.values()), acc
PY

python3 "$bench_dir/report.py" --out "$work/report" --level2 "$work/lessons.json" "$work/lessons.json" \
  --deep "$work/deep" >"$work/report.txt" || fail "report.py exited $?"
n_models=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["models"]))' "$bench_dir/level2.json")
n_rows=$(grep -c '| 1.00× |' "$work/report/report.md" || true)
[ "$n_rows" = "$n_models" ] || fail "report.md has $n_rows rows with a ratio of 1.00×, expected $n_models"
grep -q "No deep benchmark pairs yet" "$work/report/report.md" || fail "report.md does not say there are no deep pairs"
grep -q "Level 2" "$work/report.txt" || fail "report.py printed no level-2 table"
[ -s "$work/report/ratios.gp" ] && [ -s "$work/report/ratios.dat" ] || fail "no ratios.gp/ratios.dat"
if command -v gnuplot >/dev/null; then
  grep -q "</svg>" "$work/report/ratios.svg" || fail "ratios.svg is incomplete"
fi

set +e
"$program" --size huge >/dev/null 2>"$work/bad.txt"; rc=$?
set -e
[ "$rc" = 2 ] || fail "level2_bench --size huge exited $rc, expected 2"
echo "bench plumbing: ok ($n_models models)"
