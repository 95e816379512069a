#!/usr/bin/env bash
# perf/overload-ab.sh TREE_A [TREE_B...]: overload on a few pipelining connections, for the servers of one or more
# built checkouts of ivbot (e.g. a `git worktree` of an older commit, built with mvn -q -DskipTests package), ROUNDS
# times interleaved. Each round starts a fresh `serve` from each tree (cache off, rules not first, events off: every
# request is model work) and runs, with this tree's harness:
#   closed  a closed loop of CONCURRENCY outstanding unique queries over CONNECTIONS connections (16 pipelined on each
#           at the defaults): what a pipelining client gets when it asks for more than the model can do;
#   open    an open loop at RATE q/s over CONNECTIONS connections (about 10x the served model maximum on a 2-core
#           machine), latency from each request's intended send time: shed answers within the deadline, or a queue
#           that grows in the client;
#   after   an open loop at AFTER_RATE q/s over 32 connections right after it: back to model answers.
# Prints the harness's bench: line of each and the server's fallback counters. Loopback only; each server is
# stopped by PID.
set -u
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATE=${RATE:-7000}; CONCURRENCY=${CONCURRENCY:-256}; CONNECTIONS=${CONNECTIONS:-16}; AFTER_RATE=${AFTER_RATE:-300}
ROUNDS=${ROUNDS:-2}; DURATION=${DURATION:-20s}; port=${PORT:-18740}
OUT="${OUT:-$(mktemp -d)}"
export IVBOT_STATE_DIR="$OUT/state"
mkdir -p "$IVBOT_STATE_DIR"
for r in $(seq 1 "$ROUNDS"); do for d in "$@"; do
  (cd "$d" && exec ./ivbot serve --dev --port "$port" --rate-per-user 0 --rate-per-address 0 --max-queued-per-user 0 \
    --max-connections-per-address 100000 --cache-size 0 --rules-first false --events off --canary off --kb-poll-ms 0 \
    --model-poll-ms 0 >"$OUT/serve.log" 2>&1) &
  pid=$!; until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done
  bench=("$home/ivbot" bench --url "http://127.0.0.1:$port" --unique)
  closed=$("${bench[@]}" --concurrency "$CONCURRENCY" --connections "$CONNECTIONS" --duration "$DURATION" --warmup 3s 2>&1 \
    | grep '^bench:')
  open=$("${bench[@]}" --rate "$RATE" --connections "$CONNECTIONS" --duration "$DURATION" --warmup 5s 2>&1 | grep '^bench:')
  after=$("${bench[@]}" --rate "$AFTER_RATE" --connections 32 --duration "$DURATION" --warmup 3s 2>&1 | grep '^bench:')
  fallbacks=$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^ivbot_fallbacks_total{reason="\([a-z_]*\)"} \([0-9]*\)/\1=\2/p' \
    | tr '\n' ' ')
  echo "round $r $d"
  echo "  closed $CONCURRENCY/$CONNECTIONS: $closed"
  echo "  open $RATE/s/$CONNECTIONS: $open"
  echo "  after $AFTER_RATE/s: $after"
  echo "  fallbacks: $fallbacks"
  kill "$pid"; wait "$pid" 2>/dev/null
done; done
