#!/usr/bin/env bash
# bench/avro.sh — issue 16's figures, side by side in one run: Avro decode + rules +
# JSON encode, alerts/s per CPU-second, for `alertfilter eval` against fastavro +
# json.dumps (bench/avro_fastavro.py) and libavro's generic value API
# (bench/avro_libavro.c), on Rubin sample alerts with and without cutouts and on
# ZTF-shaped alerts; then eval's peak RSS on N and 10 N alerts. Run by bench/run.sh.
set -u -o pipefail
cd "$(dirname "$0")/.."

BIN=${ALERTFILTER_BIN:-bin/alertfilter}
OUT=bench/out/avro
N_RUBIN=${BENCH_AVRO_RUBIN:-2000} # Rubin sample alerts without cutouts
N_CUT=${BENCH_AVRO_CUTOUTS:-500}  # with three 16,000-byte cutouts; and ZTF-shaped alerts
K=${BENCH_AVRO_COPIES:-20}        # eval reads each corpus K times over (one file given K times): CPU times
                                  # of 10 ms steps then weigh little
ROUNDS=${BENCH_REPEAT:-3}
GEN=tests/tools/avrogen.py
mkdir -p "$OUT"

python3 -c 'import fastavro' 2>/dev/null || { echo "avro bench: needs fastavro (make test installs it)"; exit 0; }
LSST=$(python3 $GEN lsst-dir 2>/dev/null) || { echo "avro bench: needs lsst-alert-packet"; exit 0; }
VERSION=$(python3 $GEN versions | tail -n 1)
SAMPLE=$LSST/$VERSION/sample_data/fakeAlert.avro

# ---- corpora (kept between runs) ----
[ -f "$OUT/rubin.avro" ] || python3 $GEN repeat "$SAMPLE" "$N_RUBIN" "$OUT/rubin.avro"
[ -f "$OUT/rubin_cutouts.avro" ] || { python3 $GEN repeat "$SAMPLE" "$N_CUT" "$OUT/rubin_small.avro" &&
    python3 $GEN rewrite "$OUT/rubin_small.avro" "$OUT/rubin_cutouts.avro" \
        cutoutDifference=bytes:16000 cutoutScience=bytes:16000 cutoutTemplate=bytes:16000; }
[ -f "$OUT/ztf.avro" ] || python3 $GEN shaped 1 "$N_CUT" "$OUT/ztf.avro" tests/alert/avro/ztf.avsc
LIBAVRO=""
if cc -O2 -std=c11 -D_GNU_SOURCE -o "$OUT/avro_libavro" bench/avro_libavro.c -lavro 2>"$OUT/cc.txt"; then
    LIBAVRO="$OUT/avro_libavro"
fi

# cpu CMD...: user+sys seconds of CMD (stdout discarded), or "" when it fails; RSS: its peak KiB.
cpu() {
    /usr/bin/time -f '%U %S %M' -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || { echo ""; return; }
    awk '{ printf "%.3f", $1 + $2 }' "$OUT/time.txt"
}
rss() { "$@" >/dev/null 2>&1; /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }
least() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || (a != "" && a + 0 < b + 0)) print a; else print b }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s + 0 > 0) printf "%.0f", n / s; else printf "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.1f", b / a; else printf "-" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "-" && v + 0 >= t) ? "met" : "MISSED" }'; }

echo
echo "== issue 16: Avro decode + rule exists(PATH) + JSON encode of every alert (rounds: $ROUNDS, least CPU kept)"
echo "  eval reads each corpus $K times over (CPU divided by $K); fastavro and libavro read it once"
printf '  %-34s %7s %12s %12s %12s %9s %9s\n' corpus alerts eval/s fastavro/s libavro/s "x fastavro" "x libavro"
for corpus in rubin:diaSource.psfFlux:$N_RUBIN rubin_cutouts:diaSource.psfFlux:$N_CUT ztf:candidate.magpsf:$N_CUT; do
    IFS=: read -r name path n <<<"$corpus"
    file=$OUT/$name.avro
    printf 'rules = ( { name = "all"; topic = "all"; where = "exists(%s)"; } );\n' "$path" >"$OUT/$name.cfg"
    e="" p="" l=""
    for ((i = 0; i < ROUNDS; i++)); do
        e=$(least "$(cpu "$BIN" eval -c "$OUT/$name.cfg" $(printf "$file %.0s" $(seq "$K")))" "$e")
        p=$(least "$(cpu python3 bench/avro_fastavro.py "$file" "$path")" "$p")
        [ -z "$LIBAVRO" ] || l=$(least "$(cpu "$LIBAVRO" "$file" "$path")" "$l")
    done
    case $name in
        rubin) label="Rubin $VERSION sample, no cutouts" ;;
        rubin_cutouts) label="Rubin $VERSION sample, 3 x 16 kB cutouts" ;;
        *) label="ZTF-shaped, 3 x 16 kB cutouts" ;;
    esac
    e=$(awk -v e="$e" -v k="$K" 'BEGIN { if (e != "") printf "%.4f", e / k }') # per copy
    RE=$(rate "$n" "$e") RP=$(rate "$n" "$p") RL=$(rate "$n" "$l")
    XP=$(ratio "$e" "$p") XL=$(ratio "$e" "$l")
    printf '  %-34s %7s %12s %12s %12s %9s %9s\n' "$label" "$n" "$RE" "$RP" "${RL:--}" "$XP" "$XL"
    TARGETS+="$name: ${XP}x fastavro (>= 20: $(verdict "$XP" 20)), ${XL}x libavro (>= 3: $(verdict "$XL" 3)); "
done
[ -n "$LIBAVRO" ] || echo "  libavro: not built ($(head -n 1 "$OUT/cc.txt"); apt-get install libavro-dev)"
echo "  targets: $TARGETS"


R1=$(rss "$BIN" eval -c "$OUT/ztf.cfg" "$OUT/ztf.avro")
R10=$(rss "$BIN" eval -c "$OUT/ztf.cfg" $(printf "$OUT/ztf.avro %.0s" $(seq 10)))
echo "  memory: eval peak RSS $R1 KiB for $N_CUT ZTF-shaped alerts, $R10 KiB for $((N_CUT * 10)) (the file 10 times)" \
    "($(awk -v a="$R10" -v b="$R1" 'BEGIN { printf "%.2f", a / b }')x)"
