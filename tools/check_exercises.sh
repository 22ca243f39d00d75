#!/usr/bin/env bash
# check_exercises.sh: every lesson's exercise stubs compile. For each written lesson it
# runs ./learn exercise into a temporary workspace and compiles each stubbed source with
# -fsyntax-only, so a BEGIN EXERCISE region that leaves dangling code behind (a variable
# declared inside the region and used after it) is caught before a learner meets it.
# The sources compile side by side (one per core), with Eigen's decompositions declared
# extern as in the lesson build (mlc/eigen_instances.hpp).
# Usage: tools/check_exercises.sh [LESSON...]   (default: every lesson)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
includes=(-I "$root/common/include" -I /usr/include/eigen3)
for dir in "$root"/level[1-6]_*/[0-9][0-9]_*/; do includes+=(-I "$dir"); done
if [ $# -gt 0 ]; then lessons=("$@"); else
  mapfile -t lessons < <(ls -d "$root"/level[1-6]_*/[0-9][0-9]_*/ | while read -r d; do
    [ -f "$d/CMakeLists.txt" ] && basename "$d" | sed 's/^[0-9][0-9]_//'; done)
fi
failed=0
for id in "${lessons[@]}"; do
  "$root/learn" exercise "$id" --workspace "$tmp/ws/$id" >/dev/null
  stubs=$(grep -l "mlc::NotImplemented" "$tmp/ws/$id"/*.cpp "$tmp/ws/$id"/*.hpp 2>/dev/null | wc -l)
  [ "$stubs" -gt 0 ] || { echo "$id: no exercise stubs"; failed=1; }
done
# One compile per stubbed source; a failure leaves its first errors in a .err file.
export root tmp
compile() {
  local f=$1 id
  id=$(basename "$(dirname "$f")")
  g++ -std=c++20 -fsyntax-only -w -include "$root/common/include/mlc/eigen_instances.hpp" \
    -I "$(dirname "$f")" @"$tmp/includes" "$f" 2>"$tmp/$id.$(basename "$f").err" ||
    echo "$id: the stubbed $(basename "$f") does not compile"
}
export -f compile
printf '"%s"\n' "${includes[@]}" >"$tmp/includes"  # a gcc response file, one flag a line
find "$tmp/ws" -name '*.cpp' | sort | xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} bash -c 'compile {}' >"$tmp/failures"
if [ -s "$tmp/failures" ]; then
  failed=1
  while read -r line; do
    echo "$line:"; f=${line#*: the stubbed }; f=${f% does not compile}
    head -20 "$tmp/${line%%:*}.$f.err"
  done <"$tmp/failures"
fi
echo "exercise stubs: ${#lessons[@]} lessons, $(find "$tmp/ws" -name '*.cpp' | wc -l) sources checked, $([ $failed -eq 0 ] && echo "all compile" || echo "failures above")"
exit $failed
