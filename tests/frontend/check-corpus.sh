#!/usr/bin/env bash
#===- check-corpus.sh - Broken and example descriptions under ASan/UBSan --===#
#
# Part of Strata. SPDX-License-Identifier: Apache-2.0
#
# usage: check-corpus.sh DRIVER BROKEN_DIR EXAMPLES_DIR
# Runs DRIVER (strata-check-model-sanitized) on
#   - every BROKEN_DIR/*.yaml: it must exit exactly 1, print an
#     "FILE:LINE:COL: error: " line for that file, and print the substring
#     given on the file's first line, "# expect: <substring>";
#   - every EXAMPLES_DIR/*.yaml: it must exit 0 and print no error;
# and fails if any run prints a sanitizer report (the binaries also exit
# 98/99 on a report, never 0 or 1).
#
#===------------------------------------------------------------------------===#
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 DRIVER BROKEN_DIR EXAMPLES_DIR" >&2
  exit 2
fi
driver=$1
broken=$2
examples=$3
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:exitcode=99:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=98:print_stacktrace=1}

failures=0
checked_broken=0
checked_examples=0

fail() {
  echo "FAIL: $1: $2"
  printf '%s\n' "$3" | sed 's/^/    | /'
  failures=$((failures + 1))
}

has_sanitizer_report() {
  grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer' <<<"$1"
}

# Whether $1 (output) has a line "$2:<line>:<col>: error: " with line >= 1.
has_located_error() {
  awk -v prefix="$2:" '
    index($0, prefix) == 1 {
      rest = substr($0, length(prefix) + 1)
      if (rest ~ /^[1-9][0-9]*:[1-9][0-9]*: error: /) found = 1
    }
    END { exit found ? 0 : 1 }' <<<"$1"
}

shopt -s nullglob
for file in "$broken"/*.yaml; do
  checked_broken=$((checked_broken + 1))
  expect=$(head -n 1 "$file" | sed -n 's/^# expect: //p')
  if [ -z "$expect" ]; then
    fail "$file" "first line is not '# expect: <substring>'" ""
    continue
  fi
  output=$("$driver" "$file" 2>&1)
  status=$?
  if has_sanitizer_report "$output"; then
    fail "$file" "sanitizer report (exit $status)" "$output"
  elif [ "$status" -ne 1 ]; then
    fail "$file" "exit status $status, expected 1" "$output"
  elif ! has_located_error "$output" "$file"; then
    fail "$file" "no '$file:LINE:COL: error:' line" "$output"
  elif ! grep -qF -- "$expect" <<<"$output"; then
    fail "$file" "expected message not printed: $expect" "$output"
  fi
done

for file in "$examples"/*.yaml; do
  checked_examples=$((checked_examples + 1))
  output=$("$driver" "$file" 2>&1)
  status=$?
  if has_sanitizer_report "$output"; then
    fail "$file" "sanitizer report (exit $status)" "$output"
  elif [ "$status" -ne 0 ]; then
    fail "$file" "exit status $status, expected 0" "$output"
  elif grep -q ': error: ' <<<"$output"; then
    fail "$file" "error printed for a valid example" "$output"
  fi
done

if [ "$checked_broken" -eq 0 ] || [ "$checked_examples" -eq 0 ]; then
  echo "FAIL: found $checked_broken broken files and $checked_examples examples"
  exit 1
fi
echo "$checked_broken broken descriptions, $checked_examples examples, $failures failures"
[ "$failures" -eq 0 ]
