#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS_PER_HARNESS | --runs N] [HARNESS ...]
#
# Builds the libFuzzer harnesses of fuzz/ (clang, ASan + UBSan; build/fuzz, never the
# lessons) and runs each in turn, one fuzzer process at a time: for SECONDS_PER_HARNESS
# seconds (default 30, CI's bounded run) or for N executions. Each harness starts from its
# seed corpus fuzz/corpus/NAME/, which is only read: new inputs go to build/fuzz/corpus/NAME/
# (kept between runs, so later local runs start deeper; delete it for a fresh start).
# Exit status: 0 no finding; 1 a crash, leak, timeout, out-of-memory or undefined behaviour,
# with the reproducer's path and the command that replays it; 2 bad usage or missing tools.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build/fuzz
ALL=(csv_reader idx_reader cli_args metrics_reader smoke_checks speeches_reader)

# -max_len per format: enough for a few rows, images or JSON fields; the IDX limit also
# bounds what a small gzip input can decompress to (about 1000x).
declare -A MAX_LEN=([csv_reader]=4096 [idx_reader]=4096 [cli_args]=512 [metrics_reader]=4096
                    [smoke_checks]=4096 [speeches_reader]=4096)
declare -A DICT=([csv_reader]=csv_reader.dict [idx_reader]=idx_reader.dict [cli_args]=cli_args.dict
                 [metrics_reader]=json.dict [smoke_checks]=json.dict [speeches_reader]=speeches_reader.dict)

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "fuzz.sh: $1" >&2; exit 2; }

limit=(-max_total_time=30)
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --runs) [[ "${2:-}" =~ ^[0-9]+$ ]] || die "--runs expects a number of executions, e.g. --runs 100000"
          limit=(-runs="$2"); shift 2 ;;
  '') ;;
  *) if [[ "$1" =~ ^[0-9]+$ ]]; then limit=(-max_total_time="$1"); shift
     elif [[ "$1" == -* ]]; then die "unknown option $1 (see --help)"; fi ;;
esac
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${ALL[@]}")
for h in "${harnesses[@]}"; do
  [ -n "${MAX_LEN[$h]:-}" ] || die "no harness '$h'; the harnesses are: ${ALL[*]}"
done

CXX=${FUZZ_CXX:-clang++}
command -v "$CXX" >/dev/null || die "$CXX not found: run ./learn setup (Debian's clang and libclang-rt-14-dev)"
runtime=$("$CXX" -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
[ -f "$runtime" ] || die "libFuzzer's runtime is missing: run ./learn setup (Debian's libclang-rt-14-dev)"

echo "== build (build/fuzz)"
cmake -S "$ROOT/fuzz" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CXX" >/dev/null
cmake --build "$BUILD" -j "${FUZZ_JOBS:-$(nproc)}" --target "${harnesses[@]}"

failed=()
for h in "${harnesses[@]}"; do
  work=$BUILD/corpus/$h artifacts=$BUILD/artifacts/$h log=$BUILD/logs/$h.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*
  echo "== $h (${limit[*]}, -max_len=${MAX_LEN[$h]})"
  start=$(date +%s)
  status=0
  # libFuzzer writes new inputs into the first folder only: the seed corpus stays as it is.
  "$BUILD/$h" "$work" "$ROOT/fuzz/corpus/$h" "${limit[@]}" -max_len="${MAX_LEN[$h]}" \
    -rss_limit_mb=2048 -timeout=30 -dict="$ROOT/fuzz/${DICT[$h]}" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  seconds=$(( $(date +%s) - start ))
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(sed -En 's/.* cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, ft \2, corpus \3/p' <<<"$done_line")
  if [ "$status" -eq 0 ]; then
    echo "   ok: ${runs:-?} executions in ${seconds} s (${rate:-?}/s), ${cov:-?}; no crash, leak or UB"
  else
    failed+=("$h")
    echo "   FINDING (exit $status) after ${seconds} s; log: $log"
    grep -E 'ERROR: |runtime error:|invariant violated|SUMMARY' "$log" | head -5 | sed 's/^/   /'
    for f in "$artifacts"/*; do
      [ -e "$f" ] || continue
      echo "   reproducer: $f"
      echo "   replay: $BUILD/$h $f"
    done
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#harnesses[@]} harness(es), no finding"
