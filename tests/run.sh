#!/usr/bin/env bash
# tests/run.sh — runs each Criterion test binary given, then prints one closing
# line for all of them: "tests: N passed, N failed". Exits non-zero on any failure.
# What the failing tests printed is repeated just above that line, so the end
# of a long log (all a CI page may show) says what failed and why.
set -u
passed=0 failed=0 status=0 report=""
for t in "$@"; do
    name=$(basename "$t")
    out=$("$t" --short-filename 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -vE '^\[(RUN |PASS)\]' | grep -v '^$' | sed "/Synthesis/s|$| ($name)|"
    line=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -n 1)
    p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
    f=$(sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p' <<<"$line")
    if [ -z "$p" ]; then
        echo "$name: no Criterion summary (exit $rc)"
        report+="== $name: no Criterion summary (exit $rc); its output ends:"$'\n'
        report+=$(printf '%s\n' "$out" | tail -n 20)$'\n'
        failed=$((failed + 1)); status=1; continue
    fi
    passed=$((passed + p))
    for x in $f; do failed=$((failed + x)); done
    if [ "$rc" -ne 0 ]; then
        status=1
        report+="== $name (exit $rc):"$'\n'
        report+=$(printf '%s\n' "$out" | grep -E '^\[(----|FAIL)\]|^\[ERR |Assertion|Timed out|CRASH|Sanitizer|SUMMARY' | head -n 60)$'\n'
    fi
done
[ -z "$report" ] || printf '\nfailures, again:\n%s' "$report"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
