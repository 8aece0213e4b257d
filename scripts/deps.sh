#!/usr/bin/env bash
# scripts/deps.sh — installs the Debian packages alertfilter needs for a goal (build, test, bench, fuzz, kafka, peers, ci).
# Called by the Makefile; installs only what is missing; as non-root it names the command to run.
# Python packages for a goal are listed in tests/requirements-GOAL.txt (pip's format) and
# installed with `python3 -m pip` when one of them is missing.
set -euo pipefail
goal=${1:-build}
pkgs=(gcc make pkg-config librdkafka-dev libconfig-dev libmicrohttpd-dev libchealpix-dev libcfitsio-dev zlib1g-dev libcurl4-openssl-dev)
case "$goal" in
  build) ;;
  test)  pkgs+=(libcriterion-dev python3 kcat jq) ;;
  bench) pkgs+=(libcriterion-dev python3 kcat jq time valgrind libavro-dev) ;;
  fuzz)  pkgs+=(libcriterion-dev clang libclang-rt-14-dev) ;;
  # A real Kafka (scripts/kafka.sh): Java 17 runs it, Maven fetches its jars once.
  kafka) pkgs+=(python3 kcat jq openjdk-17-jre-headless maven) ;;
  # make bench-peers: the broker's packages, and a JDK to build the Kafka Streams peer.
  peers) pkgs+=(python3 kcat jq openjdk-17-jre-headless openjdk-17-jdk-headless maven) ;;
  ci)    pkgs+=(libcriterion-dev python3 kcat jq clang libclang-rt-14-dev docker-compose openjdk-17-jre-headless maven) ;;
  *) echo "deps.sh: unknown goal '$goal' (build|test|bench|fuzz|kafka|peers|ci)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "alertfilter needs these Debian packages: ${missing[*]}" >&2
    echo "run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# Python packages: ci installs every goal's list.
here=$(cd "$(dirname "$0")/.." && pwd)
case "$goal" in
  ci) reqs=("$here"/tests/requirements-*.txt) ;;
  *)  reqs=("$here/tests/requirements-$goal.txt") ;;
esac
for r in "${reqs[@]}"; do
  [ -f "$r" ] || continue
  if ! python3 "$here/scripts/pip_missing.py" "$r" >/dev/null; then
    echo "installing Python packages of ${r#"$here"/}: $(python3 "$here/scripts/pip_missing.py" "$r" | tr '\n' ' ')" >&2
    python3 -m pip install -q --disable-pip-version-check -r "$r" >&2
  fi
done
