#!/usr/bin/env bash
# check_lessons_test.sh ROOT: the test of tools/check_lessons itself. It copies the checker
# the catalog's level-1 lines and one lesson (1.4 gradient_descent) into a small temporary tree, which must pass; then
# it plants every kind of defect the checker exists to catch, each in a different file so
# that none hides another, and expects exit 1 and one message naming each defect. Two
# defects that exclude each other get a second copy. About a second; builds nothing.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The pristine tree: the catalog lists 1.1..1.4, of which only 1.4 is written (1.1-1.3
# planned); the figures are empty stand-ins (only their names matter here).
base="$tmp/base"
mkdir -p "$base/tools" "$base/level1_math"
cp "$root/tools/check_lessons" "$base/tools/"
lesson_src="$root/level1_math/04_gradient_descent"
mkdir -p "$base/level1_math/04_gradient_descent/figures"
cp "$lesson_src"/*.* "$base/level1_math/04_gradient_descent/"
for fig in "$lesson_src"/figures/*; do : >"$base/level1_math/04_gradient_descent/figures/${fig##*/}"; done
printf '# Level 1\n\nThe [lesson](04_gradient_descent/NOTES.md).\n\n| no. | lesson | builds on |\n| --- | --- | --- |\n| 1.4 | gradient_descent | 1.2, 1.3 |\n' \
  >"$base/level1_math/README.md"
grep -E '^(1\.[1-4] |#)' "$root/catalog.txt" >"$base/catalog.txt"
printf '# Design\n' >"$base/DESIGN.md"

failed=0
fresh() { rm -rf "$tmp/tree"; cp -r "$base" "$tmp/tree"; tree="$tmp/tree"; lesson="$tree/level1_math/04_gradient_descent"; }
check() {  # check WHAT EXPECTED_STATUS [FLAGS]: runs the checker on $tree, then expects each line of $want
  local what=$1 expected=$2 status=0 text
  "$tree/tools/check_lessons" "${@:3}" >"$tmp/out" 2>&1 || status=$?
  if [ "$status" -ne "$expected" ]; then
    echo "FAIL: $what: exit $status (expected $expected)"; sed 's/^/  /' "$tmp/out"; failed=1; return
  fi
  while IFS='|' read -r defect text; do
    [ -n "$defect" ] || continue
    if grep -qF -- "$text" "$tmp/out"; then echo "ok: $defect"
    else echo "FAIL: $defect: no message containing \"$text\""; failed=1; fi
  done <<<"$want"
  [ $failed -eq 0 ] || sed 's/^/  /' "$tmp/out"
}

fresh
want="a well-formed lesson passes|the structure holds"
check "the pristine copy" 0

fresh
cm="$lesson/CMakeLists.txt"
sed -i 's/add_lesson(gradient_descent SOURCES gradient_descent.cpp/add_lesson(gradient_descend LEVEL 1 SOURCES gradient_descent.cpp LINKS no_such_lesson/' "$cm"
sed -i '0,/END EXERCISE/{/END EXERCISE/d}' "$lesson/gradient_descent.cpp"
sed -i 's/mlc::this_lesson(/mlc::LessonInfo{"gradient_descent", "level1_math", "1.4", "Gradient descent", /' "$lesson/main.cpp"
sed -i -E 's/^(#+ .*)[Ff]ailure/\1Trouble/; 1s/.*/# 1.4 Gradient descents/' "$lesson/NOTES.md"
rm "$lesson/figures/suboptimality.svg"
sed -i -E 's/^1\.3( +)automatic_differentiation( +)floating_point/1.3\1automatic_differentiation\2gradient_descent/; s/^1\.2 /1.5 /' "$tree/catalog.txt"
sed -i 's/| 1.2, 1.3 |/| 1.3 |/' "$tree/level1_math/README.md"
mkdir -p "$tree/level1_math/07_stray_lesson"
printf 'mlc_lessons(01_floating_point)\n' >"$tree/level1_math/CMakeLists.txt"
echo "// see ../sha""red/tools/ for the rules" >>"$lesson/test.cpp"
missing_doc=PLANNING  # written so that this file itself cites no such document
echo "The protocol is in ${missing_doc}.md." >>"$tree/DESIGN.md"
echo "See [the map](../no_such_file.md)." >>"$tree/level1_math/README.md"
want="add_lesson id differs from the folder|add_lesson id 'gradient_descend' is not the folder name
add_lesson keeps a keyword the catalog replaced|LEVEL is not a keyword any more
LINKS names no written lesson|LINKS names 'no_such_lesson'
BEGIN EXERCISE without its END|BEGIN EXERCISE inside the region
main.cpp spells out its identity|spells out its own LessonInfo identity
NOTES.md title differs from the catalog|the first line is not '# 1.4 Gradient descent'
NOTES.md without a failure-modes section|no failure-modes section
an embedded figure is missing|embeds figures/suboptimality.svg
catalog numbering skips|1.5 is out of order; 1.2 comes next
a lesson builds on a later one|1.3 automatic_differentiation builds on 1.4 gradient_descent, which comes later
the level README's builds-on differs from the catalog|'builds on' says '1.3', catalog.txt says '1.3 1.5'
a lesson folder not in the catalog|not in catalog.txt under this number and id
a stale level CMakeLists.txt|stale: the lessons come from catalog.txt
a file cites the starting-point folder|cites the writers' starting-point folder
a file cites a document the repository lacks|cites ${missing_doc}.md
a Markdown link to a missing file|links to ../no_such_file.md"
check "the copy with planted defects" 1

# A draft (as ./learn new writes it) passes, with a note, unless --no-drafts.
fresh
sed -i '1a <!-- draft: written by ./learn new -->' "$lesson/NOTES.md"
sed -i -E 's/^(#+ .*)[Ff]ailure/\1Trouble/' "$lesson/NOTES.md"
want="a draft passes and is named|draft notes (CI's --no-drafts rejects them): level1_math/04_gradient_descent"
check "a draft lesson" 0
want="--no-drafts rejects a draft|is a draft"
check "a draft lesson under --no-drafts" 1 --no-drafts

fresh
sed -i 's/BEGIN EXERCISE/BEGIN_NOTHING/; s/END EXERCISE/END_NOTHING/' "$lesson"/*.cpp "$lesson"/*.hpp
want="no exercise region|no BEGIN EXERCISE region"
check "the copy without exercises" 1

exit $failed
