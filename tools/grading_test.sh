#!/usr/bin/env bash
# grading_test.sh ROOT LESSON BUILD_DIR: the learner's path, end to end, in a temporary
# workspace: ./learn exercise, then ./learn grade must score below full marks and name the
# unimplemented exercises; with the reference code put back it must score full marks.
set -euo pipefail
root=$1 lesson=$2 build=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/$lesson"

"$root/learn" exercise "$lesson" --workspace "$ws" >"$tmp/exercise.log"
grep -q "NotImplemented" "$ws"/*.cpp || { echo "FAIL: the workspace has no exercise stubs"; cat "$tmp/exercise.log"; exit 1; }

if "$root/learn" grade "$lesson" --workspace "$ws" --build-dir "$build" >"$tmp/stubs.log" 2>&1; then
  echo "FAIL: the untouched workspace scored full marks"; cat "$tmp/stubs.log"; exit 1
fi
grep -q "^score: " "$tmp/stubs.log" || { echo "FAIL: no score printed"; cat "$tmp/stubs.log"; exit 1; }
grep -q "^exercises still to implement: " "$tmp/stubs.log" || { echo "FAIL: pending exercises not named"; cat "$tmp/stubs.log"; exit 1; }
grep -q "^first failing test: " "$tmp/stubs.log" || { echo "FAIL: first failure not named"; cat "$tmp/stubs.log"; exit 1; }
echo "untouched workspace: $(grep '^score: ' "$tmp/stubs.log")"

# The reference solution, copied back over the stubs, must score full marks.
lesson_dir=$(ls -d "$root"/level[1-6]_*/[0-9][0-9]_"$lesson")
for f in "$ws"/*; do cp "$lesson_dir/$(basename "$f")" "$f"; done
if ! "$root/learn" grade "$lesson" --workspace "$ws" --build-dir "$build" >"$tmp/reference.log" 2>&1; then
  echo "FAIL: the reference code did not score full marks"; cat "$tmp/reference.log"; exit 1
fi
echo "reference code: $(grep '^score: ' "$tmp/reference.log")"
