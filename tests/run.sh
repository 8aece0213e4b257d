#!/usr/bin/env bash
# tests/run.sh — runs each Criterion test binary given, then prints one closing
# line for all of them: "tests: N passed, N failed". Exits non-zero on any failure.
set -u
passed=0 failed=0 status=0
for t in "$@"; do
    out=$("$t" --short-filename 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -vE '^\[(----|RUN |PASS)\]' | grep -v '^$' | sed "/Synthesis/s|$| ($(basename "$t"))|"
    line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -n 1)
    p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
    f=$(sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p' <<<"$line")
    if [ -z "$p" ]; then
        echo "$(basename "$t"): no Criterion summary (exit $rc)"
        failed=$((failed + 1)); status=1; continue
    fi
    passed=$((passed + p))
    for x in $f; do failed=$((failed + x)); done
    [ "$rc" -eq 0 ] || status=1
done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
