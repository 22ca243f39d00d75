#!/usr/bin/env bash
# new_lesson_test.sh ROOT BUILD_DIR: ./learn new, end to end, on a copy of the repository:
# the scaffolded lesson gets its catalog line and folder, passes the structure check (as a
# draft, which --no-drafts rejects), builds against BUILD_DIR's common library and
# precompiled headers, and passes its own tests and smoke test. Bad requests exit 2.
set -euo pipefail
root=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repo="$tmp/repo"
mkdir -p "$repo"
tar -C "$root" --exclude=./build --exclude=./out --exclude=./workspace --exclude=./.git -cf - . |
  tar -C "$repo" -xf -
fail() { echo "FAIL: $*"; exit 1; }

# Requests that must be refused with exit 2 and a message.
expect_usage_error() {  # expect_usage_error TEXT ARGS...
  local text=$1 status=0; shift
  "$repo/learn" new "$@" >"$tmp/out" 2>&1 || status=$?
  [ "$status" -eq 2 ] || fail "./learn new $* exited $status (expected 2)"
  grep -qF -- "$text" "$tmp/out" || fail "./learn new $*: no message containing '$text'"
  echo "ok: ./learn new $* is refused ($text)"
}
expect_usage_error "LEVEL must be 1-6" 7 some_lesson
expect_usage_error "lowercase identifier" 2 Bad-Name
expect_usage_error "already lesson 1.4" 2 gradient_descent
expect_usage_error "a later level" 2 early_lesson --builds-on mlp_backprop
cmp -s "$root/catalog.txt" "$repo/catalog.txt" || fail "a refused request changed catalog.txt"

# A planned lesson (catalog line, no folder yet): the folder comes from its catalog line,
# the catalog stays as it is, the level README's row links the notes and reads "draft".
planned=$(cd "$repo" && awk '$1 ~ /^[1-6]\.[0-9]+$/ { print $1, $2 }' catalog.txt |
  while read -r number id; do
    ls -d level"${number%%.*}"_*/"$(printf %02d "${number#*.}")_$id" >/dev/null 2>&1 || echo "$number $id"
  done | tail -1)
if [ -n "$planned" ]; then
  read -r number id <<<"$planned"
  expect_usage_error "which gives its title" "${number%%.*}" "$id" --title "Another title"
  "$repo/learn" new "${number%%.*}" "$id" >"$tmp/planned.log" || fail "./learn new ${number%%.*} $id (planned) failed"
  cmp -s "$root/catalog.txt" "$repo/catalog.txt" || fail "scaffolding planned lesson $number changed catalog.txt"
  planned_dir=$(cd "$repo" && ls -d level"${number%%.*}"_*/"$(printf %02d "${number#*.}")_$id")
  grep -q "^# $number " "$repo/$planned_dir/NOTES.md" || fail "$planned_dir/NOTES.md is not titled '# $number ...'"
  readme="$repo/${planned_dir%%/*}/README.md"
  row=$(grep -c "^| $number | \[$id\](${planned_dir#*/}/NOTES.md) |" "$readme" || true)
  [ "$row" = 1 ] || fail "the level README has $row linked rows for $number (expected 1)"
  echo "ok: planned lesson $number $id scaffolded from its catalog line"
  rm -rf "${repo:?}/$planned_dir"
  cp "$root/${planned_dir%%/*}/README.md" "$readme"
fi

"$repo/learn" new 2 scaffold_check --title "A scaffolded lesson" --builds-on model_evaluation >"$tmp/new.log"
folder="$repo/level2_classical/13_scaffold_check"
for f in CMakeLists.txt scaffold_check.hpp scaffold_check.cpp main.cpp test.cpp NOTES.md; do
  [ -f "$folder/$f" ] || fail "./learn new wrote no $f"
done
grep -qE '^2\.13 +scaffold_check +model_evaluation +A scaffolded lesson$' "$repo/catalog.txt" ||
  fail "catalog.txt has no line '2.13 scaffold_check model_evaluation A scaffolded lesson'"
[ "$(grep -n 'scaffold_check' "$repo/catalog.txt" | cut -d: -f1)" -lt "$(grep -n '^3\.1 ' "$repo/catalog.txt" | cut -d: -f1)" ] ||
  fail "the catalog line is not among level 2's"
echo "ok: catalog line and folder written"

grep -qE '^\| 2\.13 \| \[scaffold_check\]\(13_scaffold_check/NOTES\.md\) \|.*\| 2\.5 \|' "$repo/level2_classical/README.md" ||
  fail "level2_classical/README.md has no lesson-map row for 2.13 that builds on 2.5"
echo "ok: the level README's lesson map has its row"

"$repo/tools/check_lessons" >"$tmp/check.log" 2>&1 || { cat "$tmp/check.log"; fail "the scaffold fails the structure check"; }
grep -q "draft notes" "$tmp/check.log" || fail "the structure check does not name the draft"
if "$repo/tools/check_lessons" --no-drafts >/dev/null 2>&1; then fail "--no-drafts accepts the draft notes"; fi
echo "ok: the structure check passes the draft and --no-drafts rejects it"

# Build against the main build's common library, then its tests and smoke test.
sanitize=OFF
grep -q '^MLC_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && sanitize=ON
cmake -S "$repo" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLC_WERROR=ON \
      -DMLC_COMMON_PREBUILT="$build" -DMLC_SANITIZE="$sanitize" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; fail "configuration failed"; }
cmake --build "$tmp/build" --target scaffold_check scaffold_check_test >"$tmp/build.log" 2>&1 ||
  { tail -40 "$tmp/build.log"; fail "the scaffold does not build (warnings are errors)"; }
ctest --test-dir "$tmp/build" -L '^scaffold_check$' --output-on-failure >"$tmp/test.log" 2>&1 ||
  { cat "$tmp/test.log"; fail "the scaffold's tests fail"; }
grep -q "scaffold_check.smoke .* Passed" "$tmp/test.log" || { cat "$tmp/test.log"; fail "no passing smoke test"; }
echo "ok: the scaffold builds and passes $(grep -oE '[0-9]+ tests? failed out of [0-9]+' "$tmp/test.log")"
"$tmp/build/level2_classical/13_scaffold_check/scaffold_check" --help | grep -q "2.13" ||
  fail "the program's --help does not name lesson 2.13 (its identity from the catalog)"
echo "ok: the program's identity comes from the catalog"
