#!/usr/bin/env bash
# bench/kafka.sh — `make bench-kafka`: alertfilter run --until-eof (exactly_once, catch-all rule)
# against a kcat -C | kcat -P copy of the same topic on one real Apache Kafka node, in one run;
# CPU seconds per 100,000 alerts of alertfilter, of the copy and of the broker (from /proc).
set -u -o pipefail
cd "$(dirname "$0")/.."
BENCH_HELPERS_ONLY=1 . bench/run.sh # measure, div, verdict, row, why_failed, $BIN, $OUT

N=${BENCH_KAFKA_ALERTS:-100000}
PARTITIONS=12
ROUNDS=${BENCH_KAFKA_ROUNDS:-3}
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
    "the two methods take turns for $ROUNDS rounds, each keeping its fastest (wall clock)"

# Each round copies into fresh topics, and run reads in a fresh group, from the beginning.
best_copy="" best_run="" copy_cpu="" run_cpu="" copy_bcpu="" run_bcpu="" bad=""
for ((i = 1; i <= ROUNDS; i++)); do
    copy=$(topic "copy-$i") all=$(topic "all-$i")
    b0=$(broker_cpu)
    # Keys copied too, as run keeps them.
    measure /dev/null bash -c "kcat -C -b '$BS' -t alerts -e -q -f '%k\t%s\n' | kcat -P -b '$BS' -t '$copy' -K '\t'"
    b1=$(broker_cpu)
    [ "$RC" -eq 0 ] || { echo "  kcat copy failed: $(why_failed)"; bad=1; break; }
    got=$(count_topic "$copy")
    [ "$got" -eq "$N" ] || { echo "  kcat copy: $got messages in $copy, not $N"; bad=1; }
    if [ -z "$best_copy" ] || awk -v a="$WALL" -v b="$best_copy" 'BEGIN { exit !(a < b) }'; then
        best_copy=$WALL copy_cpu=$CPU copy_bcpu=$(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.2f", b - a }')
    fi
    cat >"$OUT/kafka-run-$i.cfg" <<EOF
kafka = { bootstrap_servers = "$BS"; };
input = { topics = [ "alerts" ]; group = "bench-$i"; format = "python"; };
output = { guarantee = "exactly_once"; };
rules = ( { name = "all"; topic = "$all"; where = "true"; } );
EOF
    b0=$(broker_cpu)
    measure /dev/null timeout 600 "$BIN" run -c "$OUT/kafka-run-$i.cfg" --until-eof
    b1=$(broker_cpu)
    [ "$RC" -eq 0 ] || { echo "  alertfilter run failed (exit $RC): $(grep -m1 'level=error' "$OUT/stderr.txt" || why_failed)"; bad=1; break; }
    got=$(count_topic "$all")
    [ "$got" -eq "$N" ] || { echo "  alertfilter run: $got committed messages in $all, not $N"; bad=1; }
    if [ -z "$best_run" ] || awk -v a="$WALL" -v b="$best_run" 'BEGIN { exit !(a < b) }'; then
        best_run=$WALL run_cpu=$CPU run_bcpu=$(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.2f", b - a }')
    fi
    echo "  round $i: copy $(div "$N" "$best_copy" %.0f) alerts/s best so far, run $(div "$N" "$best_run" %.0f)"
done
[ -z "$bad" ] || exit 1

per100k() { div "$(awk -v c="$1" 'BEGIN { print c * 100000 }')" "$N" %.2f; }
echo
row "method (fastest round)" "alerts" "alerts/s" "CPU s/100k" "broker s/100k"
COPY_RATE=$(div "$N" "$best_copy" %.0f)
RUN_RATE=$(div "$N" "$best_run" %.0f)
row "kcat -C | kcat -P (keyed copy)" "$N" "$COPY_RATE" "$(per100k "$copy_cpu")" "$(per100k "$copy_bcpu")"
row "alertfilter run --until-eof, exactly_once" "$N" "$RUN_RATE" "$(per100k "$run_cpu")" "$(per100k "$run_bcpu")"
R=$(div "$RUN_RATE" "$COPY_RATE" %.2f)
echo "  target: run >= 1.0x the copy: ${R}x $(verdict "$R" 1) (each output topic held all $N alerts, read_committed)"
