#!/usr/bin/env bash
# book_test.sh ROOT BUILD_DIR (ctest `book`): ./learn book, then every page in headless
# Chromium (check_book.py): no KaTeX error, missing image, broken internal link or console
# error; screenshots of the front page and of a lesson page in BUILD_DIR/book_screenshots/.
# The book is built in BUILD_DIR/book/ from the repository's notes and, when the build has
# the programs, from a quick `./learn run --all` of lessons 1.1 and 1.3, so that the report
# pages and the run index are checked too.
set -euo pipefail
root=$1 build=$2
preset=$(basename "$build")

# Everything comes from Debian through ./learn setup; a missing piece fails the test.
missing=()
for tool in pandoc dot chromium chromedriver; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -f /usr/share/javascript/katex/katex.min.js ] || missing+=(libjs-katex)
[ -f /usr/share/javascript/lunr/lunr.min.js ] || missing+=(libjs-lunr)
/usr/bin/python3 -c 'import selenium' 2>/dev/null || missing+=(python3-selenium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "FAIL: the book test needs ${missing[*]} (Debian's pandoc, graphviz, chromium,"
  echo "chromium-driver, libjs-katex, libjs-lunr, python3-selenium): ./learn setup installs them."
  exit 1
fi

work="$build/book_test"
rm -rf "$work"
mkdir -p "$work"
runs="$work/runs"
mkdir -p "$runs"
if [ "$build" -ef "$root/build/$preset" ] && [ -x "$build/tools/mlc_run_index" ] &&
   [ -x "$build/level1_math/01_floating_point/floating_point" ] &&
   [ -x "$build/level1_math/03_automatic_differentiation/automatic_differentiation" ]; then
  MLC_NO_BUILD=1 MLC_PRESET=$preset "$root/learn" run --all --quick --out "$runs" 1.1 1.3 >"$work/run.log" 2>&1 ||
    { cat "$work/run.log"; echo "FAIL: ./learn run --all --quick 1.1 1.3 failed"; exit 1; }
  with_runs=1
else
  echo "note: lessons 1.1 and 1.3 or mlc_run_index are not built in $build: the book is checked"
  echo "without report pages and run index (./learn test builds them first)."
  with_runs=0
fi

"$root/learn" book --out "$work/book" --runs "$runs"
if [ $with_runs = 1 ]; then
  for page in runs/index.html runs/level1_math/floating_point/report.html \
              runs/level1_math/automatic_differentiation/report.html; do
    [ -f "$work/book/$page" ] || { echo "FAIL: the book has no $page"; exit 1; }
  done
  grep -q 'href="runs/index.html"' "$work/book/index.html" ||
    { echo "FAIL: the front page does not link the run index"; exit 1; }
  grep -q 'runs/level1_math/floating_point/report.html' "$work/book/level1_math/01_floating_point/index.html" ||
    { echo "FAIL: the page of 1.1 does not link the report of its run"; exit 1; }
fi
/usr/bin/python3 "$root/tools/book/check_book.py" "$work/book" "$build/book_screenshots" \
  --lesson level1_math/04_gradient_descent
