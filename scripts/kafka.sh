#!/usr/bin/env bash
# scripts/kafka.sh — a throwaway Apache Kafka cluster (KRaft, 1 or 3 combined broker+controller
# nodes, loopback only) for the real-broker tests, demo and bench. No Docker, no ZooKeeper.
#
#   scripts/kafka.sh start DIR [--nodes N]        N = 1 (default) or 3, on free 127.0.0.1 ports; data and
#                                                 logs under DIR; returns once the cluster commits a
#                                                 transaction; prints the bootstrap servers as stdout's first line
#   scripts/kafka.sh create-topic DIR NAME PARTITIONS   (replication = N; an identical topic is fine)
#   scripts/kafka.sh kill DIR NODE                SIGKILL node NODE (1..N), returns once it is gone
#   scripts/kafka.sh restart DIR NODE             start it again, returns once it is back in the cluster
#   scripts/kafka.sh stop DIR                     stop every node started under DIR; nothing left running
#
# The broker's jars come from Maven Central (tests/kafka/pom.xml) into a cache outside the tree,
# $ALERTFILTER_CACHE (default ~/.cache/alertfilter)/kafka-VERSION, once. Topics are not created
# automatically: create them with create-topic. Needs java, mvn (first run only), python3 with
# confluent_kafka: `scripts/deps.sh kafka` installs them.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
pom=$here/tests/kafka/pom.xml
VERSION=$(sed -n 's|.*<kafka.version>\(.*\)</kafka.version>.*|\1|p' "$pom")
CACHE=${ALERTFILTER_CACHE:-$HOME/.cache/alertfilter}/kafka-$VERSION
START_TIMEOUT=120
# Small heap and the serial collector: these brokers start many times on 2 shared cores.
JVM_OPTS=(-Xms64m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true)

die() {
    echo "kafka.sh: $*" >&2
    exit 1
}
usage() {
    sed -n '5,10s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

# --- the jars ---------------------------------------------------------------------------------

fetch_jars() {
    [ -f "$CACHE/complete" ] && return 0
    command -v mvn >/dev/null || die "no mvn to fetch Kafka $VERSION's jars (scripts/deps.sh kafka installs Maven)"
    mkdir -p "$(dirname "$CACHE")"
    # One fetch at a time: tests on this machine may start clusters at the same moment.
    exec 9>"$CACHE.lock"
    flock -w 600 9 || die "waited 600 s for another fetch of Kafka $VERSION (lock $CACHE.lock)"
    if [ ! -f "$CACHE/complete" ]; then
        echo "kafka.sh: fetching Apache Kafka $VERSION's jars with Maven into $CACHE" >&2
        rm -rf "$CACHE.tmp"
        if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
            -DoutputDirectory="$CACHE.tmp/libs" >"$CACHE.mvn.log" 2>&1; then
            tail -n 20 "$CACHE.mvn.log" >&2
            rm -rf "$CACHE.tmp"
            die "Maven could not fetch org.apache.kafka:kafka_2.13:$VERSION (log: $CACHE.mvn.log)"
        fi
        touch "$CACHE.tmp/complete"
        rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE"
    fi
    exec 9>&-
}

# --- a cluster's files under DIR ----------------------------------------------------------------
# DIR/cluster.env: NODES, BOOTSTRAP; DIR/nodeK/{server.properties,pid,kafka.out,logs/,data/}

load() {
    [ -f "$DIR/cluster.env" ] || die "no cluster under $DIR (start one first)"
    # shellcheck disable=SC1091
    . "$DIR/cluster.env"
}

node_pid() {
    local f=$DIR/node$1/pid pid
    [ -f "$f" ] || return 1
    pid=$(cat "$f")
    # The pid is ours only while its command line still names this node's config.
    local cmd
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ $cmd == *"$DIR/node$1/server.properties"* ]] || return 1
    echo "$pid"
}

free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

write_config() { # node broker_port controller_port voters
    local n=$1 rf=$NODES isr=1
    [ "$NODES" -eq 1 ] || isr=2
    mkdir -p "$DIR/node$n/data" "$DIR/node$n/logs"
    cat >"$DIR/node$n/server.properties" <<EOF
# Written by scripts/kafka.sh for node $n of $NODES.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$4
listeners=PLAINTEXT://127.0.0.1:$2,CONTROLLER://127.0.0.1:$3
advertised.listeners=PLAINTEXT://127.0.0.1:$2
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/node$n/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
# The transaction of a killed client is aborted within 1 s of its timeout, not 10 s.
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
# A killed node is fenced (and a restarted one may register again) after 4 s, not 9.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
# Fewer threads and a small cleaner buffer: a test broker on 2 shared cores.
num.network.threads=2
num.io.threads=4
background.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
EOF
}

write_log4j() {
    cat >"$DIR/log4j2.properties" <<'EOF'
# The brokers' log4j2 setup (scripts/kafka.sh): INFO to each node's logs/server.log.
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
}

# The java command line of node N, in JAVA_CMD (the main class and its arguments follow it).
java_cmd() {
    JAVA_CMD=(java "${JVM_OPTS[@]}" -Dkafka.logs.dir="$DIR/node$1/logs"
        -Dlog4j2.configurationFile="$DIR/log4j2.properties" -cp "$CACHE/libs/*")
}

launch() { # node
    java_cmd "$1"
    # setsid: a node outlives this script and its caller's terminal; `stop` ends it by its pid.
    # (The script runs without job control, so setsid execs in place and $! is java's pid.)
    setsid "${JAVA_CMD[@]}" kafka.Kafka "$DIR/node$1/server.properties" >"$DIR/node$1/kafka.out" 2>&1 </dev/null &
    local pid=$! i
    echo "$pid" >"$DIR/node$1/pid"
    # Until the child has exec'd java its command line is this script's: on a loaded machine
    # that takes a while, and node_pid would take the node for gone.
    for ((i = 0; i < 300; i++)); do
        node_pid "$1" >/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
}

kill_node() { # node signal
    local pid
    pid=$(node_pid "$1") || return 0
    kill "-$2" "$pid" 2>/dev/null || true
}

wait_gone() { # seconds, node...
    local secs=$1 end n
    shift
    end=$((SECONDS + secs))
    for n in "$@"; do
        while node_pid "$n" >/dev/null; do
            [ $SECONDS -lt $end ] || return 1
            sleep 0.1
        done
    done
}

# Why a node that should be up is not: its own words, or the last lines of its log.
node_failure() { # node
    local n=$1 log=$DIR/node$n/logs/server.log
    if grep -qsh 'Address already in use' "$DIR/node$n/kafka.out" "$log"; then
        echo "node $n: a port is in use ($(grep -h 'Address already in use' "$DIR/node$n/kafka.out" "$log" 2>/dev/null | head -n 1))"
    elif ! node_pid "$n" >/dev/null; then
        echo "node $n exited; the end of its output ($DIR/node$n/kafka.out, $log):"
        tail -n 15 "$DIR/node$n/kafka.out" 2>/dev/null
        grep -sh -E ' (ERROR|FATAL) ' "$log" | tail -n 5
    else
        echo "node $n is running but the cluster did not take a transaction within $START_TIMEOUT s (log: $log)"
    fi
}

# Waits for the cluster (or NODE) to take a transaction, watching that every node stays alive.
wait_ready() { # node-or-empty, nodes to watch...
    local only=$1 n ready_pid end
    shift
    end=$((SECONDS + START_TIMEOUT))
    python3 "$here/scripts/kafka_admin.py" ready "$BOOTSTRAP" "$NODES" $only "$START_TIMEOUT" 2>"$DIR/ready.err" &
    ready_pid=$!
    while kill -0 "$ready_pid" 2>/dev/null; do
        for n in "$@"; do
            if ! node_pid "$n" >/dev/null; then
                kill "$ready_pid" 2>/dev/null; wait "$ready_pid" 2>/dev/null || true
                echo "$(node_failure "$n")" >&2
                return 1
            fi
        done
        [ $SECONDS -le $((end + 10)) ] || { kill "$ready_pid" 2>/dev/null; break; }
        sleep 0.2
    done
    if ! wait "$ready_pid"; then
        cat "$DIR/ready.err" >&2
        for n in "$@"; do node_failure "$n" >&2; done
        return 1
    fi
}

# --- subcommands --------------------------------------------------------------------------------

cmd_start() {
    NODES=1
    while [ $# -gt 0 ]; do
        case "$1" in
            --nodes) NODES=${2:-}; shift 2 || usage ;;
            *) usage ;;
        esac
    done
    case "$NODES" in 1 | 3) ;; *) die "--nodes is 1 or 3, not '$NODES'" ;; esac
    command -v java >/dev/null || die "no java (Kafka needs Java 17: scripts/deps.sh kafka installs it)"
    python3 -c 'import confluent_kafka' 2>/dev/null ||
        die "Python's confluent_kafka is missing (scripts/deps.sh kafka installs it)"
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    local n
    if [ -f "$DIR/cluster.env" ]; then
        for n in 1 2 3; do
            ! node_pid "$n" >/dev/null || die "a cluster is already running under $DIR (stop it first)"
        done
    fi
    fetch_jars

    local ports voters="" bootstrap="" cluster_id
    read -r -a ports <<<"$(free_ports $((2 * NODES)))"
    for n in $(seq "$NODES"); do
        voters+="${voters:+,}$n@127.0.0.1:${ports[$((2 * n - 1))]}"
        bootstrap+="${bootstrap:+,}127.0.0.1:${ports[$((2 * n - 2))]}"
    done
    BOOTSTRAP=$bootstrap
    printf 'NODES=%s\nBOOTSTRAP=%s\n' "$NODES" "$BOOTSTRAP" >"$DIR/cluster.env"
    write_log4j
    # Kafka's own ids never start with '-' (an argument parser would take it for an option).
    cluster_id=$(python3 -c 'import base64, uuid
while (i := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"): pass
print(i)')
    local fmt_pids=()
    for n in $(seq "$NODES"); do
        rm -rf "$DIR/node$n"
        write_config "$n" "${ports[$((2 * n - 2))]}" "${ports[$((2 * n - 1))]}" "$voters"
        java_cmd "$n"
        "${JAVA_CMD[@]}" -XX:TieredStopAtLevel=1 kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" \
            -c "$DIR/node$n/server.properties" >"$DIR/node$n/format.out" 2>&1 &
        fmt_pids+=($!)
    done
    for n in $(seq "$NODES"); do
        wait "${fmt_pids[$((n - 1))]}" || { cat "$DIR/node$n/format.out" >&2; die "formatting node $n's storage failed"; }
    done

    trap 'for n in $(seq "$NODES"); do kill_node "$n" KILL; done' EXIT
    for n in $(seq "$NODES"); do launch "$n"; done
    # shellcheck disable=SC2046
    if ! wait_ready "" $(seq "$NODES"); then
        for n in $(seq "$NODES"); do kill_node "$n" KILL; done
        wait_gone 10 $(seq "$NODES") || true
        die "the cluster under $DIR did not start (nothing is left running)"
    fi
    trap - EXIT
    echo "$BOOTSTRAP"
}

cmd_create_topic() {
    [ $# -eq 2 ] || usage
    load
    python3 "$here/scripts/kafka_admin.py" create-topic "$BOOTSTRAP" "$1" "$2" "$NODES" 60
}

node_arg() {
    load
    case "$1" in '' | *[!0-9]*) die "NODE is a number from 1 to $NODES, not '$1'" ;; esac
    [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "NODE is a number from 1 to $NODES, not '$1'"
}

cmd_kill() {
    [ $# -eq 1 ] || usage
    node_arg "$1"
    node_pid "$1" >/dev/null || die "node $1 is not running"
    kill_node "$1" KILL
    wait_gone 30 "$1" || die "node $1 still runs 30 s after SIGKILL"
}

cmd_restart() {
    [ $# -eq 1 ] || usage
    node_arg "$1"
    ! node_pid "$1" >/dev/null || die "node $1 is already running"
    fetch_jars
    launch "$1"
    if ! wait_ready "$1" "$1"; then
        kill_node "$1" KILL
        wait_gone 10 "$1" || true
        die "node $1 did not come back (it is not left running)"
    fi
}

cmd_stop() {
    [ $# -eq 0 ] || usage
    [ -f "$DIR/cluster.env" ] || return 0
    load
    local n all
    all=$(seq "$NODES")
    # A clean shutdown first (its logs are then readable), a SIGKILL for whatever lingers.
    for n in $all; do kill_node "$n" TERM; done
    # shellcheck disable=SC2086
    if ! wait_gone 15 $all; then
        for n in $all; do kill_node "$n" KILL; done
        wait_gone 10 $all || die "a node under $DIR survived SIGKILL"
    fi
}

trap 'exit 130' INT TERM
[ $# -ge 2 ] || usage
cmd=$1 DIR=$2
shift 2
[ "$cmd" = start ] || { [ -d "$DIR" ] && DIR=$(cd "$DIR" && pwd); }
case "$cmd" in
    start) cmd_start "$@" ;;
    create-topic) cmd_create_topic "$@" ;;
    kill) cmd_kill "$@" ;;
    restart) cmd_restart "$@" ;;
    stop) cmd_stop "$@" ;;
    *) usage ;;
esac
