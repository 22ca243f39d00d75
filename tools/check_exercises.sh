#!/usr/bin/env bash
# check_exercises.sh: every lesson's exercise stubs compile. For each written lesson it
# runs ./learn exercise into a temporary workspace and compiles each stubbed source with
# -fsyntax-only, so a BEGIN EXERCISE region that leaves dangling code behind (a variable
# declared inside the region and used after it) is caught before a learner meets it.
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
  "$root/learn" exercise "$id" --workspace "$tmp/$id" >/dev/null
  stubs=$(grep -l "mlc::NotImplemented" "$tmp/$id"/*.cpp "$tmp/$id"/*.hpp 2>/dev/null | wc -l)
  [ "$stubs" -gt 0 ] || { echo "$id: no exercise stubs"; failed=1; continue; }
  for f in "$tmp/$id"/*.cpp; do
    if ! g++ -std=c++20 -fsyntax-only -w -I "$tmp/$id" "${includes[@]}" "$f" 2>"$tmp/err"; then
      echo "$id: the stubbed $(basename "$f") does not compile:"; head -20 "$tmp/err"; failed=1
    fi
  done
  echo "$id: stubs compile"
done
exit $failed
