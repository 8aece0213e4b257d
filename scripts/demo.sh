#!/usr/bin/env bash
# scripts/demo.sh — `make demo`: the main job end to end on the embedded mock broker:
# send sample alerts, filter them with etc/demo.cfg, show what each rule selected.
# DEMO_BROKER=kafka (`make demo-kafka`): the same on a one-node Apache Kafka started by
# scripts/kafka.sh, and the table adds what a read_committed reader finds in each topic.
set -euo pipefail

BIN=${ALERTFILTER_BIN:-bin/alertfilter}
CFG=${DEMO_CONFIG:-etc/demo.cfg}
N=${DEMO_ALERTS:-10000}
INPUT=alerts
RUN_TIMEOUT=100
BROKER=${DEMO_BROKER:-mock}
case "$BROKER" in mock | kafka) ;; *) echo "demo: DEMO_BROKER is mock or kafka, not '$BROKER'" >&2; exit 2 ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/alertfilter-demo.XXXXXX")
broker_pid=

stop_broker() {
    if [ "$BROKER" = kafka ]; then
        scripts/kafka.sh stop "$tmp/kafka" || true
    elif [ -n "$broker_pid" ]; then
        kill -TERM "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
        broker_pid=
    fi
}
cleanup() {
    stop_broker
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "demo: $*" >&2
    exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

[ -x "$BIN" ] || die "no binary at $BIN (run 'make demo', or set ALERTFILTER_BIN)"
for tool in kcat python3 awk; do
    command -v "$tool" >/dev/null || die "'$tool' is missing (make demo installs it: scripts/deps.sh test)"
done

# Rule names and topics, from the `name = "..."; topic = "...";` pairs of the config.
mapfile -t rules < <(grep -o 'name *= *"[^"]*"; *topic *= *"[^"]*"' "$CFG" |
    sed 's/name *= *"\([^"]*\)"; *topic *= *"\([^"]*\)"/\1 \2/')
[ ${#rules[@]} -gt 0 ] || die "no rules found in $CFG"
dlq=$(sed -n 's/^ *dead_letter_topic *= *"\([^"]*\)".*/\1/p' "$CFG")

# The mock broker keeps about 5 MB per partition and drops older data beyond
# that, so every topic gets enough partitions for 10,000 alerts of ~3.4 KB.
topic_args=(--topic "$INPUT:12")
for r in "${rules[@]}"; do topic_args+=(--topic "${r#* }:8"); done
[ -z "$dlq" ] || topic_args+=(--topic "$dlq:1")

if [ "$BROKER" = kafka ]; then
    echo "== starting a one-node Apache Kafka (scripts/kafka.sh)"
    scripts/kafka.sh start "$tmp/kafka" >"$tmp/broker.out" || die "Kafka did not start (its reason is above)"
    brokers=$(head -n 1 "$tmp/broker.out")
    for t in "${topic_args[@]}"; do
        [ "$t" = --topic ] || scripts/kafka.sh create-topic "$tmp/kafka" "${t%:*}" "${t##*:}" || die "cannot create topic $t"
    done
else
    echo "== starting the mock broker"
    "$BIN" mock-broker "${topic_args[@]}" >"$tmp/broker.out" 2>"$tmp/broker.log" &
    broker_pid=$!
    for _ in $(seq 100); do
        [ -s "$tmp/broker.out" ] && break
        kill -0 "$broker_pid" 2>/dev/null || { cat "$tmp/broker.log" >&2; die "the mock broker exited"; }
        sleep 0.1
    done
    brokers=$(head -n 1 "$tmp/broker.out")
    [ -n "$brokers" ] || die "the mock broker printed no bootstrap servers within 10 s"
fi
echo "   bootstrap servers: $brokers"

malformed=("this is not an alert" "{'alertId': 1, 'diaSource': {'ra': 351.2" "{'alertId': 2, 'snr': nan}")
total=$((N + ${#malformed[@]}))
echo "== sending $N sample alerts to '$INPUT' (alertfilter send), and ${#malformed[@]} malformed messages (kcat)"
t0=$(now)
"$BIN" send -b "$brokers" -t "$INPUT" -n "$N" 2>"$tmp/send.log" || { cat "$tmp/send.log" >&2; die "send failed"; }
t1=$(now)
echo "   sent in $(elapsed "$t0" "$t1") s"
printf '%s\n' "${malformed[@]}" |
    kcat -P -b "$brokers" -t "$INPUT" -p 0 2>"$tmp/kcat.log" || { cat "$tmp/kcat.log" >&2; die "kcat could not produce"; }

# run takes its brokers from the config: a copy of it points at the mock broker.
sed "s|^kafka *= *{ *bootstrap_servers *= *\"[^\"]*\"; *};|kafka = { bootstrap_servers = \"$brokers\"; };|" \
    "$CFG" >"$tmp/demo.cfg"
grep -qF "bootstrap_servers = \"$brokers\"" "$tmp/demo.cfg" ||
    die "$CFG has no one-line 'kafka = { bootstrap_servers = \"...\"; };' to point at the mock broker"

echo "== alertfilter run -c $CFG --until-eof (exactly once, ${#rules[@]} rules)"
t0=$(now)
if ! timeout --foreground "$RUN_TIMEOUT" "$BIN" run -c "$tmp/demo.cfg" --until-eof 2>"$tmp/run.log"; then
    tail -n 20 "$tmp/run.log" >&2
    die "run failed or took more than $RUN_TIMEOUT s (its log is above)"
fi
t1=$(now)
secs=$(elapsed "$t0" "$t1")
echo "   filtered $total messages in $secs s ($(awk -v n="$total" -v s="$secs" 'BEGIN { printf "%d", n / s }') messages/s, startup included)"

# Messages in a topic, from the beginning to the current end: all that the log holds, or
# (committed) what a read_committed reader gets (a real broker hides aborted transactions).
topic_count() {
    kcat -C -b "$brokers" -t "$1" -X isolation.level=read_uncommitted -o beginning -e -q -f 'x\n' 2>/dev/null | wc -l
}
committed_count() {
    kcat -C -b "$brokers" -t "$1" -X isolation.level=read_committed -o beginning -e -q -f 'x\n' 2>/dev/null | wc -l
}
# Pretty JSON with every number as written: jq 1.6 would round 64-bit ids
# through a double (281323062375219199 -> ...200) and print 1241.0 as 1241.
pretty() { python3 -m json.tool --indent 2; }
topic_first() {
    kcat -C -b "$brokers" -t "$1" -o beginning -e -q -c 1 -f '%s\n' 2>/dev/null
}

# The reference answer: the same input through `alertfilter eval`, no Kafka involved.
kcat -C -b "$brokers" -t "$INPUT" -o beginning -e -q -f '%s\n' >"$tmp/input.txt" 2>/dev/null
in_count=$(wc -l <"$tmp/input.txt")
[ "$in_count" -eq $total ] || die "the input topic holds $in_count messages, expected $total"
"$BIN" eval -c "$CFG" "$tmp/input.txt" 2>/dev/null | cut -f 1 | sort | uniq -c >"$tmp/eval.counts" || true
expected() { awk -v t="$1" '$2 == t { print $1; found = 1 } END { if (!found) print 0 }' "$tmp/eval.counts"; }

for r in "${rules[@]}"; do
    topic=${r#* }
    echo
    echo "== one alert from $topic (rule ${r%% *})"
    msg=$(topic_first "$topic")
    if [ -n "$msg" ]; then pretty <<<"$msg"; else echo "(no match)"; fi
done
if [ -n "$dlq" ]; then
    echo
    echo "== the dead-letter topic $dlq: malformed input kept byte for byte, with the reason in a header"
    kcat -C -b "$brokers" -t "$dlq" -o beginning -e -q -f '%s\n    headers: %h\n' 2>/dev/null
fi

echo
echo "== what each rule selected from $N alerts"
# On Kafka, one more column: what a read_committed reader gets, which must be eval's count exactly.
committed_col() { [ "$BROKER" = kafka ] && printf ' %14s' "$1"; echo; }
printf '%-16s %-24s %9s %7s %9s' rule topic matched share eval; committed_col read_committed
lost=0 extra=0
for r in "${rules[@]}"; do
    name=${r%% *} topic=${r#* }
    got=$(topic_count "$topic")
    want=$(expected "$topic")
    seen=$got
    [ "$BROKER" = mock ] || seen=$(committed_count "$topic")
    [ "$seen" -ge "$want" ] || lost=1
    [ "$seen" -le "$want" ] || extra=1
    printf '%-16s %-24s %9d %6.2f%% %9d' "$name" "$topic" "$got" "$(awk -v a="$got" -v n="$N" 'BEGIN { print 100 * a / n }')" "$want"
    committed_col "$seen"
done
if [ -n "$dlq" ]; then
    printf '%-16s %-24s %9d %7s %9s' "(dead letters)" "$dlq" "$(topic_count "$dlq")" "" "${#malformed[@]}"
    [ "$BROKER" = mock ] && echo || committed_col "$(committed_count "$dlq")"
fi
echo "('eval' is what 'alertfilter eval' selects from the same input without Kafka: the topics must hold exactly that.)"
[ "$BROKER" = mock ] || echo "('matched' counts every record in the log, those of aborted transactions included;" \
    "'read_committed' what a consumer with isolation.level=read_committed reads.)"

echo
stop_broker
if [ "$lost" -ne 0 ]; then
    die "a rule topic holds fewer alerts than eval selects: alerts were lost"
fi
if [ "$extra" -ne 0 ]; then
    [ "$BROKER" = mock ] || die "a read_committed reader finds more alerts than eval selects: alerts were repeated"
    echo "note: a topic holds more alerts than eval selects. The mock broker shows the messages of aborted"
    echo "      transactions to every reader (it has no read_committed filtering); a real broker hides them."
fi
echo "demo: done, broker stopped."
