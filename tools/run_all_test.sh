#!/usr/bin/env bash
# run_all_test.sh ROOT BUILD_DIR: ./learn run --all on two lessons in --quick, the first
# forced to fail (its output folder is a file): the failure is reported with the last
# lines of its output and the exit status 1, the other lesson still runs, and the index
# lists the failure first, then both lessons with wall time and headline metrics. A
# second run shows an ETA taken from the first run's wall times.
set -euo pipefail
root=$1 build=$2
preset=$(basename "$build")
[ "$build" -ef "$root/build/$preset" ] || { echo "FAIL: $build is not $root/build/<preset>"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/run.log" ] && cat "$tmp/run.log"; exit 1; }
run() { MLC_NO_BUILD=1 MLC_PRESET=$preset "$root/learn" run --all --quick --out "$tmp/out" "$@" >"$tmp/run.log" 2>&1; }

mkdir -p "$tmp/out/level1_math"
echo "a file where the output folder should be" >"$tmp/out/level1_math/floating_point"
status=0
run 1.1 automatic_differentiation || status=$?
[ $status -eq 1 ] || fail "exit status $status with one failed lesson (expected 1)"
grep -q "1.1 floating_point failed (exit 2)" "$tmp/run.log" || fail "the failure is not reported with its exit status"
grep -q "2 lessons .* 1 failed" "$tmp/run.log" || fail "no closing line with the count of failures"
index="$tmp/out/index.md"
[ -f "$index" ] || fail "no index.md"
[ -f "$tmp/out/level1_math/automatic_differentiation/report.md" ] || fail "the second lesson did not run after the first failed"
failed_at=$(grep -n '^## Failed (1)' "$index" | cut -d: -f1)
table_at=$(grep -n '^## Lessons' "$index" | cut -d: -f1)
[ -n "$failed_at" ] && [ -n "$table_at" ] && [ "$failed_at" -lt "$table_at" ] || fail "the index does not list the failure first"
grep -q '^### 1.1 floating_point (exit status 2' "$index" || fail "the index has no entry for the failed lesson"
grep -qi "out" <(sed -n "$failed_at,${table_at}p" "$index" | sed -n '/^```$/,/^```$/p') ||
  fail "the failure entry does not show the program's error about its output folder"
grep -qE '^\| 1\.3 \| .* \| done \| [0-9.]+ s \| .* \| \[automatic_differentiation\]\(level1_math/automatic_differentiation/report\.md\) \|$' "$index" ||
  fail "the index has no done row with wall time and report link for 1.3"
echo "ok: a failed lesson is reported first, the other still runs, exit status 1"

rm "$tmp/out/level1_math/floating_point"
run 1.1 1.3 || fail "the second run failed"
grep -qE '\[2/2\] 1\.3 automatic_differentiation +elapsed [0-9]+m[0-9]{2}s  ETA [0-9]+m[0-9]{2}s' "$tmp/run.log" ||
  fail "the second run shows no ETA from the first run's timings"
grep -q '^## Failed' "$index" && fail "the index still lists a failure"
echo "ok: the second run passes and its progress line has an ETA"
