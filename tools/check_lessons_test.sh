#!/usr/bin/env bash
# check_lessons_test.sh ROOT: the test of tools/check_lessons itself. It copies the checker
# and one lesson (1.4 gradient_descent) into a small temporary tree, which must pass; then
# it plants every kind of defect the checker exists to catch, each in a different file so
# that none hides another, and expects exit 1 and one message naming each defect. Two
# defects that exclude each other get a second copy. About a second; builds nothing.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The pristine tree: level 1 lists 01..04, of which only 04 is written (01-03 planned);
# the figures are empty stand-ins (only their names matter here).
base="$tmp/base"
mkdir -p "$base/tools" "$base/level1_math"
cp "$root/tools/check_lessons" "$base/tools/"
lesson_src="$root/level1_math/04_gradient_descent"
mkdir -p "$base/level1_math/04_gradient_descent/figures"
cp "$lesson_src"/*.* "$base/level1_math/04_gradient_descent/"
for fig in "$lesson_src"/figures/*; do : >"$base/level1_math/04_gradient_descent/figures/${fig##*/}"; done
printf '# Level 1\n\nThe [lesson](04_gradient_descent/NOTES.md).\n' >"$base/level1_math/README.md"
printf '# Level 1\nmlc_lessons(\n  01_floating_point\n  02_linear_algebra\n  03_automatic_differentiation\n  04_gradient_descent)\n' \
  >"$base/level1_math/CMakeLists.txt"
printf '# Design\n' >"$base/DESIGN.md"

failed=0
fresh() { rm -rf "$tmp/tree"; cp -r "$base" "$tmp/tree"; tree="$tmp/tree"; lesson="$tree/level1_math/04_gradient_descent"; }
check() {  # check WHAT EXPECTED_STATUS: runs the checker on $tree, then expects each line of $want
  local what=$1 expected=$2 status=0 text
  "$tree/tools/check_lessons" >"$tmp/out" 2>&1 || status=$?
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
sed -i 's/add_lesson(gradient_descent LEVEL 1 SOURCES gradient_descent.cpp/add_lesson(gradient_descend LEVEL 2 SOURCES gradient_descent.cpp DEPENDS no_such_lesson/' "$cm"
sed -i '0,/END EXERCISE/{/END EXERCISE/d}' "$lesson/gradient_descent.cpp"
sed -i 's/"gradient_descent", "level1_math", "1.4"/"gradient_descent", "level1_math", "1.5"/' "$lesson/main.cpp"
sed -i -E 's/^(#+ .*)[Ff]ailure/\1Trouble/' "$lesson/NOTES.md"
rm "$lesson/figures/suboptimality.svg"
sed -i 's/03_automatic_differentiation/05_automatic_differentiation/; s/04_gradient_descent)/)/' "$tree/level1_math/CMakeLists.txt"
echo "// see ../sha""red/tools/ for the rules" >>"$lesson/test.cpp"
missing_doc=PLANNING  # written so that this file itself cites no such document
echo "The protocol is in ${missing_doc}.md." >>"$tree/DESIGN.md"
echo "See [the map](../no_such_file.md)." >>"$tree/level1_math/README.md"
want="add_lesson id differs from the folder|add_lesson id 'gradient_descend' is not the folder name
add_lesson LEVEL differs from the level folder|add_lesson LEVEL is '2'
DEPENDS names no written lesson|DEPENDS names 'no_such_lesson'
BEGIN EXERCISE without its END|BEGIN EXERCISE inside the region
main.cpp's LessonInfo disagrees with the folder|LessonInfo says 'gradient_descent level1_math 1.5'
NOTES.md without a failure-modes section|no failure-modes section
an embedded figure is missing|embeds figures/suboptimality.svg
a lesson folder not in mlc_lessons|not listed in level1_math/CMakeLists.txt
mlc_lessons numbering skips|is number 5 where 3 comes next
a file cites the starting-point folder|cites the writers' starting-point folder
a file cites a document the repository lacks|cites ${missing_doc}.md
a Markdown link to a missing file|links to ../no_such_file.md"
check "the copy with planted defects" 1

fresh
sed -i 's/BEGIN EXERCISE/BEGIN_NOTHING/; s/END EXERCISE/END_NOTHING/' "$lesson"/*.cpp "$lesson"/*.hpp
want="no exercise region|no BEGIN EXERCISE region"
check "the copy without exercises" 1

exit $failed
