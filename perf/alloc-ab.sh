#!/usr/bin/env bash
# perf/alloc-ab.sh TREE...: Java bytes allocated per cached HTTP chat request and per model request, of the
# servers of one or more built checkouts of ivbot (mvn -q -DskipTests package in each), ROUNDS times
# interleaved, read the way run-benchmarks.sh's efficiency section reads them: a fresh `serve` (its start_ivbot
# options, with --jmx-port), then
#   cached: --rules-first false, the cache filled through the model (closed loop, 8 connections, until 0.95 of
#           the answers are cache hits), CACHED_WARMUP of load at CACHED_RATE, then BENCH_DURATION at
#           CACHED_RATE under this tree's ThreadUsageMain;
#   model:  --cache-size 0 --rules-first false --intra-op-threads 1, unique queries over 32 connections,
#           MODEL_WARMUP at MODEL_RATE, then BENCH_DURATION at MODEL_RATE under ThreadUsageMain.
# Bytes per request = alloc_bytes of the usage: line (every Java thread of the server, over JMX) / ok requests.
# Prints one line per tree and round, and the medians per tree at the end. Loopback only; each server is
# stopped by PID. Settings, by environment (defaults in brackets):
#   ROUNDS [2]  CACHED_RATE [8000]  MODEL_RATE [300]  BENCH_DURATION [10s]  CACHED_WARMUP [10s]  MODEL_WARMUP [10s]
#   KINDS [cached model]   PORT [19010] (and PORT+1 for JMX)   OUT [mktemp -d]
#   SERVER_JAVA_OPTS []    JAVA_OPTS of the servers (e.g. a JFR recording)
set -u
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
perf_jar="$(ls "$home"/perf/target/ivbot-perf-*.jar | grep -v -- '-tests.jar' | head -n 1)"
ROUNDS=${ROUNDS:-2}; CACHED_RATE=${CACHED_RATE:-8000}; MODEL_RATE=${MODEL_RATE:-300}
BENCH_DURATION=${BENCH_DURATION:-10s}; CACHED_WARMUP=${CACHED_WARMUP:-10s}; MODEL_WARMUP=${MODEL_WARMUP:-10s}
KINDS=${KINDS:-cached model}
port=${PORT:-19010}; jmx=$((port + 1)); url="http://127.0.0.1:$port"
OUT="${OUT:-$(mktemp -d)}"; mkdir -p "$OUT"
export IVBOT_STATE_DIR="${IVBOT_STATE_DIR:-$OUT/state}"
mkdir -p "$IVBOT_STATE_DIR"
unset IVBOT_JWT_SECRET
[ $# -ge 1 ] || { echo "usage: perf/alloc-ab.sh TREE..." >&2; exit 2; }

kv() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<" $1" | tail -n 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; }
trap cleanup EXIT

start() { # tree, serve options...: as run-benchmarks.sh's start_ivbot, plus --jmx-port
  local d="$1"; shift
  (cd "$d" && JAVA_OPTS="${SERVER_JAVA_OPTS:-}" exec ./ivbot serve --dev --host 127.0.0.1 --port "$port" \
    --kb-poll-ms 0 --model-poll-ms 0 --rate-per-user 0 --rate-per-address 0 --max-queued-per-user 0 \
    --max-connections-per-address 100000 --jmx-port "$jmx" "$@") >"$OUT/serve.log" 2>&1 &
  pid=$!
  local i
  for i in $(seq 1 600); do
    curl -sf -o /dev/null "$url/readyz" && break
    kill -0 "$pid" 2>/dev/null || { tail -20 "$OUT/serve.log" >&2; exit 1; }
    sleep 0.2
  done
  jpid=$(pgrep -P "$pid" java || echo "$pid")
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""; }
bench() { (cd "$1" && shift && ./ivbot bench "$@" 2>&1 | tail -n 1); }
measure() { # tree, rate, warmup, bench args...: prints bytes per ok request
  local d="$1" rate="$2" warm="$3" out usage ok; shift 3
  bench "$d" --url "$url" "$@" --rate "$rate" --duration "$warm" --warmup 0s >/dev/null
  out=$(cd "$d" && java -cp "$perf_jar:$home/perf/target/lib/*" ivbot.perf.ThreadUsageMain --pid "$jpid" \
    --jmx "127.0.0.1:$jmx" -- ./ivbot bench --url "$url" "$@" --rate "$rate" --duration "$BENCH_DURATION" --warmup 0s 2>&1)
  usage=$(grep '^usage:' <<<"$out" | tail -n 1)
  ok=$(sed -n 's/^requests: sent=[0-9]* ok=\([0-9]*\).*/\1/p' <<<"$out" | tail -n 1)
  echo "$out" >>"$OUT/measure.log"
  awk -v x="$(kv "$usage" alloc_bytes)" -v n="${ok:-0}" 'BEGIN { if (n > 0 && x >= 0) printf "%.1f", x / n; else print "NaN" }'
  echo " ok=${ok:-0} hits=$(kv "$(grep '^bench:' <<<"$out" | tail -n 1)" cache_hit_share)"
}

declare -A results
for r in $(seq 1 "$ROUNDS"); do for d in "$@"; do for kind in $KINDS; do
  if [ "$kind" = cached ]; then
    start "$d" --rules-first false
    for f in 1 2 3 4 5 6 7 8; do
      hits=$(kv "$(bench "$d" --url "$url" --concurrency 8 --duration 5s --warmup 0s)" cache_hit_share)
      awk -v h="${hits:-0}" 'BEGIN { exit !(h >= 0.95) }' && break
    done
    line=$(measure "$d" "$CACHED_RATE" "$CACHED_WARMUP")
  else
    start "$d" --cache-size 0 --rules-first false --intra-op-threads 1
    line=$(measure "$d" "$MODEL_RATE" "$MODEL_WARMUP" --unique --connections 32)
  fi
  stop
  log "round $r $kind $d: $line B/request"
  results["$d $kind"]+="${line%% *} "
done; done; done
median() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{ a[NR]=$1 } END { if (NR == 0) print "NaN"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
for d in "$@"; do for kind in $KINDS; do
  # shellcheck disable=SC2086
  echo "alloc: tree=$d kind=$kind bytes_per_request=$(median ${results["$d $kind"]}) rounds=[${results["$d $kind"]% }]"
done; done
