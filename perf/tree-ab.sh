#!/usr/bin/env bash
# perf/tree-ab.sh TREE_A TREE_B...: CPU per model answer, by thread group, of the servers of two (or more) built
# checkouts of ivbot (e.g. a `git worktree` of an older commit, built with mvn -q -DskipTests package, against this
# one), ROUNDS times interleaved: a fresh `serve` from each tree, unique queries at RATE q/s over 32 connections (cache
# off, rules not first, events off), 30 s of load, then 20 s more measured by this tree's ThreadUsageMain (the same
# per-thread reading as run-benchmarks.sh's efficiency section: event loops, the inference thread, C1/C2 compilers,
# GC, other); printed per answer, in ms. Loopback only; each server is stopped by PID.
set -u
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
perf_jar="$(ls "$home"/perf/target/ivbot-perf-*.jar | grep -v -- '-tests.jar' | head -n 1)"
RATE=${RATE:-150}; ROUNDS=${ROUNDS:-2}; port=${PORT:-18730}
OUT="${OUT:-$(mktemp -d)}"
export IVBOT_STATE_DIR="$OUT/state"
mkdir -p "$IVBOT_STATE_DIR"
kv() { sed -n "s/.*[ :]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1; }
for r in $(seq 1 "$ROUNDS"); do for d in "$@"; do
  (cd "$d" && exec ./ivbot serve --dev --port "$port" --rate-per-user 0 --rate-per-address 0 --max-queued-per-user 0 \
    --max-connections-per-address 100000 --cache-size 0 --rules-first false --events off --canary off --kb-poll-ms 0 \
    --model-poll-ms 0 >"$OUT/serve.log" 2>&1) &
  pid=$!; until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done
  jpid=$(pgrep -P "$pid" java || echo "$pid")
  load=(./ivbot bench --url "http://127.0.0.1:$port" --rate "$RATE" --unique --warmup 0s --connections 32)
  (cd "$d" && "${load[@]}" --duration 30s >/dev/null 2>&1)
  out=$(cd "$d" && java -cp "$perf_jar:$home/perf/target/lib/*" ivbot.perf.ThreadUsageMain --pid "$jpid" -- \
    "${load[@]}" --duration 20s 2>&1)
  usage=$(grep '^usage:' <<<"$out" | tail -n 1)
  ok=$(sed -n 's/^requests: sent=[0-9]* ok=\([0-9]*\).*/\1/p' <<<"$out" | tail -n 1)
  per() { awk -v x="$(kv "$usage" "$1")" -v n="${ok:-0}" 'BEGIN { if (n > 0) printf "%.3f", x / n; else print "NaN" }'; }
  echo "$d el=$(per cpu_ms_event_loop) inf=$(per cpu_ms_inference) jit=$(per cpu_ms_jit) gc=$(per cpu_ms_gc)" \
    "other=$(per cpu_ms_other) total=$(per cpu_ms) ms/answer | $(grep '^bench:' <<<"$out" | tail -n 1)"
  kill "$pid"; wait "$pid" 2>/dev/null
done; done
