#!/usr/bin/env python3
"""report.py: the report of ./learn bench (bench/README.md), standard library only.

  report.py --out DIR [--level2 LESSONS.json REFERENCE.json] [--deep DEEPDIR]
            [--machine TEXT] [--command TEXT]

Reads the JSON each side printed, writes DIR/report.md (the conditions, then a table per
group with both sides' quality and times and the ratio lessons / reference for each),
DIR/ratios.dat, DIR/ratios.gp and, when gnuplot is installed, DIR/ratios.svg (the ratios on
a log axis), and prints the tables. DEEPDIR holds <id>.lessons.json and <id>.torch.json
pairs (./learn bench deep writes them). Exit 2 on a missing or malformed input.
"""
import argparse
import glob
import json
import math
import os
import shutil
import subprocess
import sys


def die(msg):
    print(f"report.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die(f"{path}: {e} (rerun ./learn bench; the side that wrote it printed its error above)")


def secs(t):
    if t is None:
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def fmt_ratio(r):
    if r is None:
        return "—"
    text = f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"
    return f"**{text}**" if r >= 10 or r < 0.1 else text


def fmt_quality(q):
    if q is None:
        return "—"
    return f"{q:.4g}" if abs(q) >= 1e-3 else f"{q:.3g}"


def blas_warning(pools):
    """A line when the reference side ran without an optimised BLAS (Debian's default)."""
    if pools is None or any(p.get("internal_api") in ("openblas", "mkl", "blis") for p in pools):
        return []
    line = ("**Warning:** the reference side found no optimised BLAS (threadpoolctl saw none): "
            "NumPy and SciPy ran on the reference BLAS, which flatters the lessons in every "
            "GEMM- and LAPACK-bound row. Install libopenblas0-pthread (./learn setup --bench).")
    print(f"report.py: {line}", file=sys.stderr)
    return ["", line]


def level2_table(ours, ref):
    """Rows of the level-2 table and the ratios (model, fit, predict) for the figure."""
    theirs = {r["key"]: r for r in ref["results"]}
    lines = ["| model | data: train / test × d | quality | lessons | scikit-learn "
             "| fit: lessons | fit: sklearn | fit ratio | predict: lessons | predict: sklearn "
             "| predict ratio |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    points = []
    for r in ours["results"]:
        t = theirs.get(r["key"])
        if t is None:
            die(f"the reference side has no result for '{r['key']}'")
        fr = ratio(r["fit_seconds"], t["fit_seconds"])
        pr = ratio(r["predict_seconds"], t["predict_seconds"])
        data = f"{r['dataset']}: {r['n_train']} / {r['n_test']} × {r['d']}"
        lines.append(f"| {r['model']} | {data} | {r['quality_name']} | {fmt_quality(r['quality'])} "
                     f"| {fmt_quality(t['quality'])} | {secs(r['fit_seconds'])} "
                     f"| {secs(t['fit_seconds'])} | {fmt_ratio(fr)} | {secs(r['predict_seconds'])} "
                     f"| {secs(t['predict_seconds'])} | {fmt_ratio(pr)} |")
        points.append((r["key"], fr, pr))
    impl = ["| model | lessons | scikit-learn |", "| --- | --- | --- |"]
    for r in ours["results"]:
        impl.append(f"| {r['model']} | {r['implementation']} | {theirs[r['key']]['implementation']} |")
    return lines, impl, points


def deep_table(deep_dir):
    pairs = sorted(glob.glob(os.path.join(deep_dir, "*.lessons.json")))
    lines, points = [], []
    for p in pairs:
        lesson_id = os.path.basename(p)[: -len(".lessons.json")]
        q = os.path.join(deep_dir, f"{lesson_id}.torch.json")
        if not os.path.exists(q):
            continue
        a, b = load(p), load(q)
        for side, obj in (("lessons", a), ("torch", b)):
            for field in ("model", "time_name", "time", "threads"):
                if field not in obj:
                    die(f"{lesson_id}'s {side} side printed no '{field}' (bench/README.md has the contract)")
        r = ratio(a["time"], b["time"])
        lines.append(f"| {lesson_id} | {a['model']} | {a['time_name']} | {secs(a['time'])} "
                     f"| {secs(b['time'])} | {fmt_ratio(r)} | {a.get('quality_name') or '—'} "
                     f"| {fmt_quality(a.get('quality'))} | {fmt_quality(b.get('quality'))} "
                     f"| {a['threads']} / {b['threads']} |")
        points.append((lesson_id, r, None))
    if lines:
        lines = ["| lesson | model | timed | lessons | PyTorch | ratio | quality | lessons "
                 "| PyTorch | threads |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"] + lines
    return lines, points


def write_figure(out, points):
    """ratios.dat, ratios.gp and ratios.svg: bars of log ratio per model."""
    rows = [(k, f, p) for k, f, p in points if f is not None or p is not None]
    if not rows:
        return None
    val = lambda x: "NaN" if x is None else f"{x:.6g}"
    with open(os.path.join(out, "ratios.dat"), "w") as f:
        f.write("# model  fit_ratio  predict_ratio   (lessons / reference time)\n")
        for k, fr, pr in rows:
            f.write(f"{k} {val(fr)} {val(pr)}\n")
    finite = [x for _, a, b in rows for x in (a, b) if x is not None and x > 0]
    # gnuplot refuses a histogram column with no valid point: plot predict only if timed
    predict = ", '' using 3 title 'predict'" if any(p is not None for _, _, p in rows) else ""
    lo = 10 ** math.floor(math.log10(min(finite + [0.5])))
    hi = 10 ** math.ceil(math.log10(max(finite + [2.0])))
    gp = f"""set terminal svg size 900,480 dynamic enhanced font 'sans,11'
set output 'ratios.svg'
set title "Time of the lessons' code / time of the reference library (1 = as fast; log scale)" noenhanced
set ylabel 'time ratio, lessons / reference'
set xlabel 'model'
set logscale y
set yrange [{lo:g}:{hi:g}]
set grid ytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30 noenhanced
set key outside right top vertical
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 lw 1.5
plot 'ratios.dat' using 2:xtic(1) title 'fit (or epoch)'{predict}
"""
    with open(os.path.join(out, "ratios.gp"), "w") as f:
        f.write(gp)
    if shutil.which("gnuplot") is None:
        print("report.py: gnuplot not found; ratios.gp written, no SVG (./learn setup installs it)",
              file=sys.stderr)
        return None
    done = subprocess.run(["gnuplot", "ratios.gp"], cwd=out, capture_output=True, text=True)
    if done.returncode != 0:
        die(f"gnuplot failed on {os.path.join(out, 'ratios.gp')}: {done.stderr.strip()}")
    return "ratios.svg"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--level2", nargs=2, metavar=("LESSONS", "REFERENCE"))
    ap.add_argument("--deep")
    ap.add_argument("--machine", default="")
    ap.add_argument("--command", default="./learn bench")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    md = ["# Benchmark: the lessons against scikit-learn and PyTorch", "",
          f"Command: `{a.command}`. Ratio = time of the lessons' code / time of the reference "
          "library on the same data, split, hyperparameters and thread count (above 1: the "
          "lesson is slower). Times are medians of the repetitions; fit and predict are timed "
          "separately, data loading and preprocessing are not timed.", ""]
    if a.machine:
        md += [f"Machine: {a.machine}", ""]
    points, printed = [], []
    if a.level2:
        ours, ref = load(a.level2[0]), load(a.level2[1])
        for side in (ours, ref):
            if "results" not in side:
                die("a level-2 side printed no 'results' (bench/README.md has the contract)")
        lines, impl, pts = level2_table(ours, ref)
        points += pts
        v = ref.get("versions", {})
        pools = ", ".join(f"{p.get('internal_api')} {p.get('version') or ''}".strip() + f" ({p.get('num_threads')} threads)"
                          for p in v.get("thread_pools", []))
        b = ours.get("build", {})
        md += ["## Level 2: the lessons against scikit-learn", "",
               f"Threads: {ours['threads']} for scikit-learn (n_jobs, OpenMP, BLAS); the level-2 "
               f"lessons are serial code. Repetitions: {ours['reps']} (lessons), {ref['reps']} "
               f"(scikit-learn); size: {ours['size']}.",
               f"Lessons: {b.get('compiler', '?')}, {b.get('build_type', '?')}, Eigen "
               f"{b.get('eigen', '?')} with {b.get('simd', '?')}.",
               f"scikit-learn {v.get('sklearn', '?')}, NumPy {v.get('numpy', '?')}, SciPy "
               f"{v.get('scipy', '?')}, Python {v.get('python', '?')}; thread pools: {pools or '?'}.",
               *blas_warning(v.get("thread_pools")),
               "", *lines, "", "What each side runs:", "", *impl, ""]
        printed += ["Level 2 (ratio = lessons / scikit-learn):", *lines, ""]
    if a.deep is not None:
        lines, pts = deep_table(a.deep)
        points += pts
        md += ["## Deep: the lessons against PyTorch", ""]
        if lines:
            md += [*lines, ""]
            printed += ["Deep (ratio = lessons / PyTorch):", *lines, ""]
        else:
            note = ("No deep benchmark pairs yet: bench/deep/ has no <id>.py with a built "
                    "<id>_bench (bench/README.md, \"Deep\").")
            md += [note, ""]
            printed += [note, ""]
    svg = write_figure(a.out, points)
    if svg:
        md += ["## Ratios", "", f"![time ratios, lessons / reference]({svg})", ""]
    with open(os.path.join(a.out, "report.md.tmp"), "w") as f:
        f.write("\n".join(md))
    os.replace(os.path.join(a.out, "report.md.tmp"), os.path.join(a.out, "report.md"))
    print("\n".join(printed))
    print(f"report: {os.path.join(a.out, 'report.md')}")


if __name__ == "__main__":
    main()
