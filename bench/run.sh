#!/usr/bin/env bash
# bench/run.sh — `make bench`: the figures of issues 2, 3, 4, 13 and 15 measured side by
# side in one run, as rates per CPU-second and ratios (see bench/README.md).
set -u -o pipefail
cd "$(dirname "$0")/.."

BIN=${ALERTFILTER_BIN:-bin/alertfilter}
OUT=bench/out
N_EVAL=${BENCH_EVAL_ALERTS:-100000}  # alerts for alertfilter eval
N_SLOW=${BENCH_SLOW_ALERTS:-2000}    # alerts for the seed's Python method (rates scale)
N_JQ=${BENCH_JQ_ALERTS:-10000}       # alerts for jq (its 24 ms start weighs little on them)
N_GRIND=${BENCH_GRIND_ALERTS:-2000}  # alerts under callgrind (instruction counts)
N_KAFKA=${BENCH_KAFKA_ALERTS:-20000} # alerts in the topic of the Kafka benchmark
N_MEM_SMALL=10000
N_MEM_LARGE=${BENCH_MEM_ALERTS:-1000000}
SEED=1

for tool in /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "bench: needs $tool (apt-get install -y ${tool##*/})" >&2; exit 1; }
done
mkdir -p "$OUT"

# ---- measuring ----

# measure OUTFILE CMD...: runs CMD (stdout to OUTFILE, stderr kept in $OUT/stderr.txt);
# sets RC, WALL and CPU (user+sys seconds, children included) and RSS (peak, KiB).
measure() {
    local out=$1 t0 t1 u s
    shift
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S %M' -o "$OUT/time.txt" "$@" >"$out" 2>"$OUT/stderr.txt"
    RC=$?
    t1=$(date +%s.%N)
    read -r u s RSS < <(tail -n 1 "$OUT/time.txt")
    WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}

REPEAT=${BENCH_REPEAT:-5}

# side_by_side NAME...: the methods to compare, each a command in the array
# CMD_NAME (stdout to the file OUT_NAME if that is set, else to /dev/null), run
# in turn for BENCH_REPEAT rounds: a drift of the machine's speed, seen to reach
# a third within minutes, then weighs on every method of a ratio alike. Sets
# CPU_NAME to the method's least user+sys seconds, or to "" when it failed (its
# stderr is kept in $OUT/stderr-NAME.txt, and it is not run again).
side_by_side() {
    local name i
    for name in "$@"; do printf -v "CPU_$name" '%s' ""; printf -v "FAILED_$name" '%s' ""; done
    for ((i = 0; i < REPEAT; i++)); do
        for name in "$@"; do
            local -n cmd="CMD_$name" out="OUT_$name" cpu="CPU_$name" failed="FAILED_$name"
            [ -z "$failed" ] || continue
            measure "${out:-/dev/null}" "${cmd[@]}"
            if [ "$RC" -ne 0 ]; then
                failed=1 cpu=""
                cp "$OUT/stderr.txt" "$OUT/stderr-$name.txt"
            elif [ -z "$cpu" ] || awk -v a="$CPU" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then
                cpu=$CPU
            fi
        done
    done
}

# instructions CMD...: instructions executed by CMD under callgrind (stdout discarded), or "".
instructions() {
    command -v valgrind >/dev/null || return 0
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# why_failed [NAME]: the first line of the stderr of the last measured command,
# or of side_by_side's method NAME.
why_failed() { head -n 1 "$OUT/stderr${1:+-$1}.txt"; }

# div A B [FORMAT]: A / B, or "-" when B is zero or empty.
div() { awk -v a="$1" -v b="${2:-0}" -v f="${3:-%.1f}" 'BEGIN { if (b + 0 > 0) printf f, a / b; else printf "-" }'; }

# verdict VALUE TARGET: "met" or "MISSED" for VALUE >= TARGET.
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "-" && v + 0 >= t) ? "met" : "MISSED" }'; }

row() { printf '  %-46s %9s %11s %14s %12s\n' "$@"; }

# bench/kafka.sh sources this file for the helpers above, and stops here.
[ -z "${BENCH_HELPERS_ONLY:-}" ] || return 0

# ---- corpora ----

bytes() { stat -c %s "$1"; }

"$BIN" send -o "$OUT/corpus.py" -n "$N_EVAL" --seed $SEED 2>/dev/null || { echo "bench: '$BIN send' failed" >&2; exit 1; }
"$BIN" send -o "$OUT/corpus.json" -n "$N_EVAL" --seed $SEED --format json 2>/dev/null
head -n "$N_SLOW" "$OUT/corpus.py" >"$OUT/slow.py"
head -n "$N_JQ" "$OUT/corpus.json" >"$OUT/jq.json"
head -n "$N_GRIND" "$OUT/corpus.py" >"$OUT/grind.py"
printf 'rules = ( { name = "all"; topic = "all"; where = "true"; } );\n' >"$OUT/all.cfg"
python3 bench/rules.py 1 --cfg "$OUT/rules1.cfg"
python3 bench/rules.py 100 --cfg "$OUT/rules100.cfg"
python3 bench/rules.py 100 --python "$OUT/rules100.json"
PY_BYTES=$(bytes "$OUT/corpus.py")
JSON_BYTES=$(bytes "$OUT/corpus.json")
SLOW_BYTES=$(bytes "$OUT/slow.py")
JQ_BYTES=$(bytes "$OUT/jq.json")

# rate NAME ALERTS [BYTES [FORMAT]]: alerts/s of side_by_side's method NAME (or
# "-" if it failed), or its input MB/s when BYTES are given (FORMAT: %.1f).
rate() {
    local -n cpu="CPU_$1"
    if [ -z "$cpu" ]; then echo "-"; elif [ $# -gt 2 ]; then div "$(div "$3" "$cpu" %.0f)" 1000000 "${4:-%.1f}"; else div "$2" "$cpu" %.0f; fi
}

echo "alertfilter bench — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $("$BIN" --version)"
echo "corpus: $N_EVAL sample alerts (seed $SEED), Python str(dict) $(div "$PY_BYTES" 1000000 %.1f) MB," \
    "mean $(div "$PY_BYTES" "$N_EVAL" %.0f) B/alert; JSON copy $(div "$JSON_BYTES" 1000000 %.1f) MB;" \
    "the seed's method on the first $N_SLOW, jq on the first $N_JQ"
echo "rates are per CPU-second (= per core): input MB/s and alerts/s; ratios compare alerts/s;" \
    "the methods of a comparison take turns (rounds: $REPEAT), each keeping its best run"
CMD_send=("$BIN" send -o - -n "$N_EVAL" --seed $SEED)
side_by_side send
echo "generator: alertfilter send -o - writes $(rate send "$N_EVAL") alerts/s/core"

# ---- issue 2: parse + encode ----

echo
echo "== issue 2: parse + encode every alert (eval, where = \"true\", output to /dev/null)"
row "method" "alerts" "MB/s/core" "alerts/s/core" "eval is"
CMD_all_py=("$BIN" eval -c "$OUT/all.cfg" "$OUT/corpus.py")
CMD_all_json=("$BIN" eval -c "$OUT/all.cfg" "$OUT/corpus.json")
CMD_seed=(python3 bench/seed_method.py "$OUT/slow.py")
CMD_jq=(jq -c 'select(.diaSource.ra > 350)' "$OUT/jq.json")
CMD_one_py=("$BIN" eval -c "$OUT/rules1.cfg" "$OUT/corpus.py")
CMD_one_json=("$BIN" eval -c "$OUT/rules1.cfg" "$OUT/corpus.json")
HAVE_JQ=$(command -v jq >/dev/null && echo jq)
side_by_side all_py all_json seed $HAVE_JQ one_py one_json
EVAL_RATE=""
if [ -n "$CPU_all_py" ]; then
    EVAL_RATE=$(rate all_py "$N_EVAL")
    EVAL_MBS=$(rate all_py "$N_EVAL" "$PY_BYTES")
    row "alertfilter eval (Python input)" "$N_EVAL" "$EVAL_MBS" "$EVAL_RATE" "1.0x"
    [ -n "$CPU_all_json" ] && row "alertfilter eval (JSON input)" "$N_EVAL" \
        "$(rate all_json "$N_EVAL" "$JSON_BYTES")" "$(rate all_json "$N_EVAL")" "-"
else
    echo "  alertfilter eval: failed: $(why_failed all_py)"
fi
SEED_RATE=$(div "$N_SLOW" "$CPU_seed" %.1f)
row "seed method (literal_eval, ra > 350, dumps)" "$N_SLOW" "$(rate seed "$N_SLOW" "$SLOW_BYTES" %.2f)" \
    "$SEED_RATE" "$(div "${EVAL_RATE:-0}" "$SEED_RATE")x"
[ -n "$CPU_seed" ] || echo "  seed method: failed: $(why_failed seed)"
JQ_RATE=""
if [ -z "$HAVE_JQ" ]; then
    echo "  jq: not available"
elif [ -z "$CPU_jq" ]; then
    echo "  jq: failed: $(why_failed jq)"
else
    JQ_RATE=$(div "$N_JQ" "$CPU_jq" %.1f)
    row "jq -c 'select(.diaSource.ra > 350)' (JSON)" "$N_JQ" \
        "$(rate jq "$N_JQ" "$JQ_BYTES" %.2f)" "$JQ_RATE" "$(div "${EVAL_RATE:-0}" "$JQ_RATE")x"
fi
if [ -n "$EVAL_RATE" ]; then
    R_SEED=$(div "$EVAL_RATE" "$SEED_RATE")
    R_JQ=$(div "$EVAL_RATE" "${JQ_RATE:-0}")
    echo "  targets, eval encoding every alert: >= 300x seed method: ${R_SEED}x $(verdict "$R_SEED" 300);" \
        ">= 30x jq: ${R_JQ}x $(verdict "$R_JQ" 30); >= 1000 MB/s/core: $EVAL_MBS $(verdict "$EVAL_MBS" 1000)"
    # The baselines' own job: the same filter, only the matches encoded.
    SAME_PY=$(rate one_py "$N_EVAL")
    SAME_JSON=$(rate one_json "$N_EVAL")
    R_SEED_SAME=$(div "$SAME_PY" "$SEED_RATE")
    R_JQ_SAME=$(div "$SAME_JSON" "${JQ_RATE:-0}")
    echo "  the baselines' own job (diaSource.ra > 350, matches encoded): eval $SAME_PY alerts/s on the Python" \
        "corpus = ${R_SEED_SAME}x seed method ($(verdict "$R_SEED_SAME" 300) at 300x); $SAME_JSON alerts/s on the" \
        "JSON copy = ${R_JQ_SAME}x jq ($(verdict "$R_JQ_SAME" 30) at 30x)"
    I_ALL=$(instructions "$BIN" eval -c "$OUT/all.cfg" "$OUT/grind.py")
    [ -n "$I_ALL" ] && echo "  callgrind, $N_GRIND alerts: $(div "$I_ALL" "$N_GRIND" %.0f) instructions/alert," \
        "$(div "$I_ALL" "$(bytes "$OUT/grind.py")" %.2f) instructions/byte (startup included)"
fi

# Memory: the peak RSS of eval does not grow with the number of lines.
if [ -n "$EVAL_RATE" ]; then
    for n in $N_MEM_SMALL $N_MEM_LARGE; do
        "$BIN" send -o - -n "$n" --seed $SEED 2>/dev/null |
            /usr/bin/time -f '%M' -o "$OUT/rss-$n.txt" "$BIN" eval -c "$OUT/all.cfg" >/dev/null 2>"$OUT/stderr.txt"
    done
    RSS_SMALL=$(tail -n 1 "$OUT/rss-$N_MEM_SMALL.txt")
    RSS_LARGE=$(tail -n 1 "$OUT/rss-$N_MEM_LARGE.txt")
    echo "  memory: eval peak RSS $RSS_SMALL KiB over $N_MEM_SMALL lines, $RSS_LARGE KiB over $N_MEM_LARGE lines" \
        "($(div "$RSS_LARGE" "$RSS_SMALL" %.2f)x)"
fi

# ---- issue 3: 100 rules ----

echo
echo "== issue 3: 100 rules of mixed shape (bench/rules.py) against 1 rule (diaSource.ra > 350)"
row "method" "alerts" "MB/s/core" "alerts/s/core" "eval100 is"
if "$BIN" check -c "$OUT/rules100.cfg" >/dev/null 2>"$OUT/stderr.txt"; then
    CMD_hundred=("$BIN" eval -c "$OUT/rules100.cfg" "$OUT/corpus.py")
    CMD_seed100=(python3 bench/seed_method.py --rules "$OUT/rules100.json" "$OUT/slow.py")
    OUT_seed100=$OUT/seed100.txt
    side_by_side one_py hundred seed100
    R100=$(rate hundred "$N_EVAL")
    [ -n "$CPU_one_py" ] || echo "  eval, 1 rule: failed: $(why_failed one_py)"
    [ -n "$CPU_hundred" ] || echo "  eval, 100 rules: failed: $(why_failed hundred)"
    [ -n "$CPU_seed100" ] || echo "  seed method, 100 predicates: failed: $(why_failed seed100)"
    MATCHES1=$("$BIN" eval -c "$OUT/rules1.cfg" "$OUT/corpus.py" 2>/dev/null | wc -l)
    MATCHES=$("$BIN" eval -c "$OUT/rules100.cfg" "$OUT/corpus.py" 2>/dev/null | wc -l)
    row "alertfilter eval, 1 rule" "$N_EVAL" "$(rate one_py "$N_EVAL" "$PY_BYTES")" "$(rate one_py "$N_EVAL")" "-"
    row "alertfilter eval, 100 rules" "$N_EVAL" "$(rate hundred "$N_EVAL" "$PY_BYTES")" "$R100" "1.0x"
    PY100=$(div "$N_SLOW" "$CPU_seed100" %.1f)
    row "seed method, 100 predicates (parse once)" "$N_SLOW" \
        "$(rate seed100 "$N_SLOW" "$SLOW_BYTES" %.2f)" "$PY100" "$(div "$R100" "$PY100")x"
    COST=$(div "$CPU_hundred" "$CPU_one_py" %.2f)
    echo "  matches, each written as JSON: $MATCHES1 with 1 rule, $MATCHES with 100 rules" \
        "($(div "$MATCHES" "$N_EVAL" %.2f) per alert)"
    echo "  targets: 100 rules cost <= 2x one rule: ${COST}x $(verdict "$(div 2 "$COST" %.3f)" 1);" \
        ">= 200000 alerts/s/core with 100 rules: $R100 $(verdict "$R100" 200000)"
    [ -n "$EVAL_RATE" ] && echo "  against the catch-all rule of issue 2 (one JSON per alert):" \
        "100 rules cost $(div "$EVAL_RATE" "$R100" %.2f)x"
    I1=$(instructions "$BIN" eval -c "$OUT/rules1.cfg" "$OUT/grind.py")
    I100=$(instructions "$BIN" eval -c "$OUT/rules100.cfg" "$OUT/grind.py")
    [ -n "$I1" ] && [ -n "$I100" ] && echo "  callgrind, $N_GRIND alerts: $(div "$I1" "$N_GRIND" %.0f) instructions/alert" \
        "with 1 rule, $(div "$I100" "$N_GRIND" %.0f) with 100 rules: $(div "$I100" "$I1" %.2f)x"
    # The same selections, byte for byte: eval and Python agree on every line.
    "$BIN" eval -c "$OUT/rules100.cfg" "$OUT/slow.py" >"$OUT/eval100-slow.txt" 2>/dev/null
    if cmp -s "$OUT/eval100-slow.txt" "$OUT/seed100.txt"; then
        echo "  eval and the Python predicates write identical output on the first $N_SLOW alerts" \
            "($(wc -l <"$OUT/seed100.txt") lines)"
    else
        echo "  DIFFERENT output from eval and the Python predicates on the first $N_SLOW alerts" \
            "(compare $OUT/eval100-slow.txt $OUT/seed100.txt)"
    fi
else
    echo "  alertfilter check: bench/rules.py's 100 rules do not compile ($(why_failed))"
fi

# ---- issue 15: the rule language on ZTF-shaped alerts ----

N_LANG=${BENCH_LANG_ALERTS:-20000}
echo
echo "== issue 15: ZTF-shaped alerts (tests/tools/ztfgen.py via bench/lang.py), $N_LANG for eval," \
    "the first $N_SLOW for Python"
python3 bench/lang.py corpus "$N_LANG" "$OUT/ztf.py"
head -n "$N_SLOW" "$OUT/ztf.py" >"$OUT/ztf-slow.py"
for what in one hundred brokers; do python3 bench/lang.py "$what" "$OUT/lang-$what.cfg"; done
row "method" "alerts" "MB/s/core" "alerts/s/core" "ratio"
CMD_lang_one=("$BIN" eval -c "$OUT/lang-one.cfg" "$OUT/ztf.py")
CMD_lang_hundred=("$BIN" eval -c "$OUT/lang-hundred.cfg" "$OUT/ztf.py")
CMD_lang_brokers=("$BIN" eval -c "$OUT/lang-brokers.cfg" "$OUT/ztf.py")
CMD_lang_python=(python3 bench/lang.py python "$OUT/ztf-slow.py")
side_by_side lang_one lang_hundred lang_brokers lang_python
ZTF_BYTES=$(bytes "$OUT/ztf.py")
L1=$(rate lang_one "$N_LANG")
L100=$(rate lang_hundred "$N_LANG")
LBR=$(rate lang_brokers "$N_LANG")
LPY=$(div "$N_SLOW" "$CPU_lang_python" %.1f)
row "eval, 1 rule (candidate.ra > 350)" "$N_LANG" "$(rate lang_one "$N_LANG" "$ZTF_BYTES")" "$L1" "1.0x"
row "eval, 100 rules: aggregates + definitions" "$N_LANG" "$(rate lang_hundred "$N_LANG" "$ZTF_BYTES")" "$L100" \
    "$(div "$CPU_lang_hundred" "$CPU_lang_one" %.2f)x cost"
row "eval, the 20 brokers' filters" "$N_LANG" "$(rate lang_brokers "$N_LANG" "$ZTF_BYTES")" "$LBR" "1.0x"
row "Python: literal_eval + the 20 functions" "$N_SLOW" "-" "$LPY" "eval $(div "$LBR" "$LPY")x"
for m in lang_one lang_hundred lang_brokers lang_python; do
    local_cpu="CPU_$m"
    [ -n "${!local_cpu}" ] || echo "  $m: failed: $(why_failed "$m")"
done
LCOST=$(div "$CPU_lang_hundred" "$CPU_lang_one" %.2f)
echo "  matches: $("$BIN" eval -c "$OUT/lang-hundred.cfg" "$OUT/ztf.py" 2>/dev/null | wc -l) with the 100 rules," \
    "$("$BIN" eval -c "$OUT/lang-brokers.cfg" "$OUT/ztf.py" 2>/dev/null | wc -l) with the 20 filters"
echo "  targets: 100 aggregate/definition rules cost <= 2x one simple rule: ${LCOST}x" \
    "$(verdict "$(div 2 "$LCOST" %.3f)" 1); the 20 filters against Python: $(div "$LBR" "$LPY")x (reported)"
I_L1=$(instructions "$BIN" eval -c "$OUT/lang-one.cfg" "$OUT/ztf-slow.py")
I_L100=$(instructions "$BIN" eval -c "$OUT/lang-hundred.cfg" "$OUT/ztf-slow.py")
[ -n "$I_L1" ] && [ -n "$I_L100" ] && echo "  callgrind, $N_SLOW alerts: $(div "$I_L1" "$N_SLOW" %.0f) instructions/alert" \
    "with 1 rule, $(div "$I_L100" "$N_SLOW" %.0f) with the 100: $(div "$I_L100" "$I_L1" %.2f)x"

# ---- issue 15: a watchlist of a million entries ----

N_WL=${BENCH_WATCHLIST_ENTRIES:-1000000}
echo
echo "== issue 15: a watchlist of $N_WL entries (bench/watchlist.py, made here), eval with and without it"
python3 bench/watchlist.py "$N_WL" "$OUT/wl.csv"
python3 bench/watchlist.py 1 "$OUT/wl1.csv"
# wl_cfg FILE RULE: a config with watchlist 'wd' of FILE and one rule.
wl_cfg() {
    printf 'watchlists = ( { name = "wd"; file = "%s"; radius_arcsec = 2.0; } );\nrules = ( { name = "wd"; topic = "wd"; where = "%s"; } );\n' "$1" "$2"
}
wl_cfg wl.csv "watchlist('wd', diaSource.ra, diaSource.decl)" >"$OUT/wl.cfg"
wl_cfg wl1.csv "watchlist('wd', diaSource.ra, diaSource.decl)" >"$OUT/wl1.cfg"
# Without: a rule of the same two fields that, like the watchlist's, matches nearly nothing.
wl_cfg wl.csv "diaSource.ra > 400 or diaSource.decl > 100" >"$OUT/wl-unused.cfg"
if "$BIN" check -c "$OUT/wl.cfg" >/dev/null 2>"$OUT/stderr.txt"; then
    # check: the config, the list read and indexed, nothing else. eval: the same, then the alerts.
    CMD_wl_load=("$BIN" check -c "$OUT/wl.cfg")
    CMD_wl_load1=("$BIN" check -c "$OUT/wl1.cfg")
    # The corpus three times over: the alerts' share then outweighs the load's.
    N_WL_EVAL=$((3 * N_EVAL))
    CMD_wl_eval=("$BIN" eval -c "$OUT/wl.cfg" "$OUT/corpus.py" "$OUT/corpus.py" "$OUT/corpus.py")
    CMD_wl_plain=("$BIN" eval -c "$OUT/wl-unused.cfg" "$OUT/corpus.py" "$OUT/corpus.py" "$OUT/corpus.py")
    side_by_side wl_load wl_load1 wl_eval wl_plain
    measure /dev/null "$BIN" check -c "$OUT/wl.cfg"
    RSS_WL=$RSS
    measure /dev/null "$BIN" check -c "$OUT/wl1.cfg"
    RSS_WL1=$RSS
    WL_MATCHES=$("$BIN" eval -c "$OUT/wl.cfg" "$OUT/corpus.py" 2>/dev/null | wc -l)
    LOAD=$(awk -v a="$CPU_wl_load" -v b="$CPU_wl_load1" 'BEGIN { printf "%.2f", a - b }')
    PER_ENTRY=$(awk -v a="$RSS_WL" -v b="$RSS_WL1" -v n="$N_WL" 'BEGIN { printf "%.1f", (a - b) * 1024 / n }')
    # Both evals read the same list; the alerts' share of each is its CPU less the load's.
    R_WITH=$(div "$N_WL_EVAL" "$(awk -v a="$CPU_wl_eval" -v b="$CPU_wl_load" 'BEGIN { print a - b }')" %.0f)
    R_WITHOUT=$(div "$N_WL_EVAL" "$(awk -v a="$CPU_wl_plain" -v b="$CPU_wl_load" 'BEGIN { print a - b }')" %.0f)
    R_WL=$(div "$R_WITH" "$R_WITHOUT" %.2f)
    row "method" "alerts" "CPU s" "alerts/s/core" "ratio"
    row "check (read and index the list)" "-" "$CPU_wl_load" "-" "-"
    row "check (a list of 1 entry)" "-" "$CPU_wl_load1" "-" "-"
    row "eval, rule watchlist('wd', ra, decl)" "$N_WL_EVAL" "$CPU_wl_eval" "$R_WITH" "${R_WL}x"
    row "eval, rule ra > 400 or decl > 100 (list read)" "$N_WL_EVAL" "$CPU_wl_plain" "$R_WITHOUT" "1.0x"
    echo "  matches: $WL_MATCHES of the $N_EVAL alerts; peak RSS of check $RSS_WL KiB with the list, $RSS_WL1 KiB with 1 entry"
    echo "  targets: load <= 2 s: ${LOAD} s CPU $(verdict "$(div 2 "${LOAD:-0}" %.3f)" 1);" \
        "<= 64 bytes/entry: $PER_ENTRY (peak RSS difference) $(verdict "$(div 64 "$PER_ENTRY" %.3f)" 1);" \
        "eval with the rule >= 0.8x without (alerts only, load subtracted): ${R_WL}x $(verdict "$R_WL" 0.8)"
else
    echo "  alertfilter check: the watchlist config fails ($(why_failed))"
fi

# ---- issue 13: configs at scale ----

N_RULES_BIG=${BENCH_SCALE_RULES:-100000}
N_IN_BIG=${BENCH_SCALE_IN:-1000000}
echo
echo "== issue 13: check of $N_RULES_BIG rules; an in list of $N_IN_BIG strings or integers (bench/scale_configs.py)"
python3 bench/scale_configs.py rules "$N_RULES_BIG" "$OUT/rules-big.cfg"
python3 bench/scale_configs.py strings "$N_IN_BIG" "$OUT/in-strings.cfg"
python3 bench/scale_configs.py ints "$N_IN_BIG" "$OUT/in-ints.cfg"
python3 bench/scale_configs.py strings 16 "$OUT/in-16.cfg"
row "method" "items" "CPU s" "peak RSS KiB" "target"
# Limits: CPU s, and peak RSS in KiB (64 MB = 62,500 KiB for the lists; none for the rules).
for c in rules-big:"$N_RULES_BIG":5:- in-strings:"$N_IN_BIG":2:62500 in-ints:"$N_IN_BIG":2:62500; do
    IFS=: read -r name items limit kib <<<"$c"
    measure /dev/null "$BIN" check -c "$OUT/$name.cfg"
    if [ "$RC" -ne 0 ]; then
        row "check $name.cfg" "$items" "failed" "-" "-"
        continue
    fi
    mem=""
    [ "$kib" = "-" ] || mem=", <= 64 MB $(verdict "$(div "$kib" "$RSS" %.3f)" 1)"
    row "check $name.cfg" "$items" "$CPU" "$RSS" "<= $limit s $(verdict "$(div "$limit" "$CPU" %.3f)" 1)$mem"
done
# The list is hashed (INSET): eval with 1,000,000 strings runs as with 16.
CMD_in_big=("$BIN" eval -c "$OUT/in-strings.cfg" "$OUT/corpus.py")
CMD_in_16=("$BIN" eval -c "$OUT/in-16.cfg" "$OUT/corpus.py")
side_by_side in_big in_16
measure /dev/null "$BIN" check -c "$OUT/in-strings.cfg"
LOAD_BIG=$CPU
measure /dev/null "$BIN" check -c "$OUT/in-16.cfg"
LOAD_16=$CPU
R_BIG=$(div "$N_EVAL" "$(awk -v a="$CPU_in_big" -v b="$LOAD_BIG" 'BEGIN { print a - b }')" %.0f)
R_16=$(div "$N_EVAL" "$(awk -v a="$CPU_in_16" -v b="$LOAD_16" 'BEGIN { print a - b }')" %.0f)
echo "  eval, filterName in (1,000,000 strings): $R_BIG alerts/s/core; in (16 strings): $R_16" \
    "(load subtracted): $(div "$R_BIG" "$R_16" %.2f)x"

# ---- issue 4: Kafka to Kafka ----

echo
echo "== issue 4: $N_KAFKA alerts Kafka to Kafka on alertfilter mock-broker (wall clock)"
BROKER_PID=""
stop_broker() { [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null; BROKER_PID=""; }
trap stop_broker EXIT
# count_topic TOPIC: committed messages in TOPIC.
count_topic() {
    kcat -C -b "$BS" -t "$1" -X isolation.level=read_committed -e -q -f '.\n' 2>/dev/null | wc -l
}
# run_cfg TOPIC OUT_TOPIC: a config for run on TOPIC with one catch-all rule into OUT_TOPIC.
run_cfg() {
    cat >"$OUT/run-$1.cfg" <<EOF
kafka = { bootstrap_servers = "$BS"; };
input = { topics = [ "$1" ]; group = "bench-$1"; format = "python"; };
output = { guarantee = "exactly_once"; };
rules = ( { name = "all"; topic = "$2"; where = "true"; } );
EOF
    echo "$OUT/run-$1.cfg"
}
N_KAFKA_SMALL=$((N_KAFKA / 4))
if command -v kcat >/dev/null; then
    # 32 partitions: the mock keeps at most 5 MB per partition.
    coproc BROKER { exec "$BIN" mock-broker --topic alerts:32 --topic all:32 --topic copy:32 \
        --topic small:8 --topic small-all:8 2>"$OUT/broker.log"; }
    BS=""
    read -r -t 10 BS <&"${BROKER[0]}"
    if [ -z "$BS" ]; then
        echo "  mock-broker: no bootstrap servers within 10 s"
    elif ! "$BIN" send -b "$BS" -t alerts -n "$N_KAFKA" --seed $SEED 2>"$OUT/stderr.txt" ||
        ! "$BIN" send -b "$BS" -t small -n "$N_KAFKA_SMALL" --seed $SEED 2>"$OUT/stderr.txt"; then
        echo "  send: failed: $(why_failed)"
    else
        row "method" "alerts" "alerts/s" "CPU s" "peak RSS KiB"
        # Keys copied too: keyed messages spread over the partitions (an unkeyed
        # burst piles into one sticky partition and overflows the mock's 5 MB).
        measure /dev/null bash -c "kcat -C -b '$BS' -t alerts -e -q -f '%k\t%s\n' | kcat -P -b '$BS' -t copy -K '\t'"
        KCAT_RATE=$(div "$N_KAFKA" "$WALL" %.0f)
        row "kcat -C | kcat -P (keyed copy)" "$(count_topic copy)" "$KCAT_RATE" "$CPU" "$RSS"
        measure /dev/null timeout 300 "$BIN" run -c "$(run_cfg alerts all)" --until-eof
        if [ "$RC" -eq 0 ]; then
            RUN_RATE=$(div "$N_KAFKA" "$WALL" %.0f)
            RUN_RSS=$RSS
            row "alertfilter run --until-eof, exactly_once" "$(count_topic all)" "$RUN_RATE" "$CPU" "$RSS"
            R_RUN=$(div "$RUN_RATE" "$KCAT_RATE" %.2f)
            echo "  target: run >= 1.0x the copy: ${R_RUN}x $(verdict "$R_RUN" 1)" \
                "(alerts column: committed messages found in the output topic)"
            measure /dev/null timeout 300 "$BIN" run -c "$(run_cfg small small-all)" --until-eof
            echo "  memory: run peak RSS $RSS KiB for $N_KAFKA_SMALL alerts, $RUN_RSS KiB for $N_KAFKA alerts" \
                "($(div "$RUN_RSS" "$RSS" %.2f)x)"
        else
            echo "  alertfilter run: failed (exit $RC): $(grep -m1 'level=error' "$OUT/stderr.txt" || why_failed)"
        fi
    fi
    stop_broker
else
    echo "  not available (needs kcat)"
fi

# ---- issue 16: Avro (bench/avro.sh) ----
ALERTFILTER_BIN="$BIN" bench/avro.sh
