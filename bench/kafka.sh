#!/usr/bin/env bash
# bench/kafka.sh — `make bench-kafka`: alertfilter run --until-eof (exactly_once, catch-all rule)
# against a kcat -C | kcat -P copy of the same topic on one real Apache Kafka node, in one run;
# CPU seconds per 100,000 alerts of alertfilter, of the copy and of the broker (from /proc).
set -u -o pipefail
cd "$(dirname "$0")/.."
BENCH_HELPERS_ONLY=1 . bench/run.sh # measure, div, verdict, row, why_failed, $BIN, $OUT

N=${BENCH_KAFKA_ALERTS:-100000}
PARTITIONS=12
ROUNDS=${BENCH_KAFKA_ROUNDS:-5}
KDIR=$OUT/kafka-cluster
TICKS=$(getconf CLK_TCK)

for tool in kcat java; do
    command -v "$tool" >/dev/null || { echo "bench-kafka: needs $tool (scripts/deps.sh kafka)" >&2; exit 1; }
done
stop_kafka() { scripts/kafka.sh stop "$KDIR" >/dev/null 2>&1 || true; }
trap stop_kafka EXIT
trap 'exit 130' INT TERM
rm -rf "$KDIR"
BS=$(scripts/kafka.sh start "$KDIR" | head -n 1)
[ -n "$BS" ] || { echo "bench-kafka: Kafka did not start (its reason is above)" >&2; exit 1; }
BROKER_PID=$(cat "$KDIR/node1/pid")

# broker_cpu: the broker's user+sys CPU seconds so far (/proc/PID/stat fields 14 and 15).
broker_cpu() { awk -v t="$TICKS" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$BROKER_PID/stat"; }
count_topic() {
    kcat -C -b "$BS" -t "$1" -X isolation.level=read_committed -o beginning -e -q -f '.\n' 2>/dev/null | wc -l
}
topic() { scripts/kafka.sh create-topic "$KDIR" "$1" "$PARTITIONS" >/dev/null || exit 1; echo "$1"; }

topic alerts >/dev/null
"$BIN" send -b "$BS" -t alerts -n "$N" --seed 1 2>"$OUT/stderr.txt" || { echo "bench-kafka: send failed: $(why_failed)" >&2; exit 1; }
BYTES=$(kcat -C -b "$BS" -t alerts -e -q -f '%S\n' 2>/dev/null | awk '{ s += $1 } END { print s }')

echo "alertfilter bench-kafka — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $("$BIN" --version), Apache Kafka" \
    "$(sed -n 's|.*<kafka.version>\(.*\)</kafka.version>.*|\1|p' tests/kafka/pom.xml) (one node, scripts/kafka.sh)"
echo "input: $N alerts from alertfilter send ($(div "$BYTES" "$N" %.0f) B each, $(div "$BYTES" 1000000 %.0f) MB)" \
    "on $PARTITIONS partitions; rule: where = \"true\" (every alert re-encoded as JSON), exactly_once;" \
    "the methods take turns for $ROUNDS rounds, each keeping its fastest (wall clock)"

# run_cfg NAME OUT_TOPIC [OUTPUT SETTINGS]: a config for run in a fresh group, from the beginning.
run_cfg() {
    cat >"$OUT/kafka-$1.cfg" <<EOF
kafka = { bootstrap_servers = "$BS"; };
input = { topics = [ "alerts" ]; group = "bench-$1"; format = "python"; };
output = { guarantee = "exactly_once"; ${3:-} };
rules = ( { name = "all"; topic = "$2"; where = "true"; } );
EOF
    echo "$OUT/kafka-$1.cfg"
}

# once METHOD OUT_TOPIC CMD...: one measured run of CMD, which must leave all N alerts in OUT_TOPIC
# (read_committed); keeps METHOD's fastest run: WALL_M, CPU_M (its own), BROKER_M (the broker's).
once() {
    local m=$1 out=$2 b0 b1 got
    shift 2
    local -n wall="WALL_$m" cpu="CPU_$m" bcpu="BROKER_$m"
    b0=$(broker_cpu)
    measure /dev/null "$@"
    b1=$(broker_cpu)
    if [ "$RC" -ne 0 ]; then
        echo "  $m failed (exit $RC): $(grep -m1 'level=error' "$OUT/stderr.txt" || why_failed)"
        return 1
    fi
    got=$(count_topic "$out")
    [ "$got" -eq "$N" ] || { echo "  $m: $got committed messages in $out, not $N"; return 1; }
    if [ -z "$wall" ] || awk -v a="$WALL" -v b="$wall" 'BEGIN { exit !(a < b) }'; then
        wall=$WALL cpu=$CPU bcpu=$(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.2f", b - a }')
    fi
}

# The methods take turns; each round writes into fresh topics. run_small: transactions of at most
# 1,000 alerts, the default until the first run on a real Kafka showed what each commit costs.
for m in copy run run_small; do printf -v "WALL_$m" '%s' ""; done
for ((i = 1; i <= ROUNDS; i++)); do
    # Keys copied too, as run keeps them.
    t=$(topic "copy-$i")
    once copy "$t" bash -c "kcat -C -b '$BS' -t alerts -e -q -f '%k\t%s\n' | kcat -P -b '$BS' -t '$t' -K '\t'" || exit 1
    t=$(topic "run-$i")
    once run "$t" timeout 600 "$BIN" run -c "$(run_cfg "run-$i" "$t")" --until-eof || exit 1
    t=$(topic "run-small-$i")
    once run_small "$t" timeout 600 "$BIN" run -c "$(run_cfg "run-small-$i" "$t" "transaction_max_messages = 1000;")" \
        --until-eof || exit 1
    echo "  round $i: fastest so far (alerts/s): copy $(div "$N" "$WALL_copy" %.0f)," \
        "run $(div "$N" "$WALL_run" %.0f), run with transactions of 1,000 $(div "$N" "$WALL_run_small" %.0f)"
done

per100k() { div "$(awk -v c="$1" 'BEGIN { print c * 100000 }')" "$N" %.2f; }
echo
row "method (fastest round)" "alerts" "alerts/s" "CPU s/100k" "broker s/100k"
COPY_RATE=$(div "$N" "$WALL_copy" %.0f)
RUN_RATE=$(div "$N" "$WALL_run" %.0f)
SMALL_RATE=$(div "$N" "$WALL_run_small" %.0f)
row "kcat -C | kcat -P (keyed copy)" "$N" "$COPY_RATE" "$(per100k "$CPU_copy")" "$(per100k "$BROKER_copy")"
row "alertfilter run --until-eof, exactly_once" "$N" "$RUN_RATE" "$(per100k "$CPU_run")" "$(per100k "$BROKER_run")"
row "the same, transactions of <= 1000 alerts" "$N" "$SMALL_RATE" "$(per100k "$CPU_run_small")" "$(per100k "$BROKER_run_small")"
R=$(div "$RUN_RATE" "$COPY_RATE" %.2f)
echo "  target: run >= 1.0x the copy: ${R}x $(verdict "$R" 1) (with transactions of <= 1000 alerts:" \
    "$(div "$SMALL_RATE" "$COPY_RATE" %.2f)x; each output topic held all $N alerts, read_committed)"
