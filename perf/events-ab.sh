#!/usr/bin/env bash
# perf/events-ab.sh: what turn events cost the cached path, and how many a second the event path delivers.
#   1. A/B, ROUNDS times interleaved: a fresh server with --events off, then with --events files, then (when
#      KAFKA=host:port is set, e.g. from `./ivbot analytics up`) with --events kafka://$KAFKA/ivbot-ab; each fills its
#      cache, then runs the cached path closed loop (CONCURRENCY outstanding requests over 8 connections, DURATION).
#      Prints each run's line and the medians, and the ratios files/off and kafka/off (the goal: >= 0.95).
#   2. With KAFKA: `ivbot events-bench` against it (the event path alone: EventLog, TurnEvents, KafkaSink), ROUNDS
#      times: delivered events a second (the goal: >= 20,000).
# Loopback only; every server is stopped by PID. Build first: mvn -q -DskipTests package
set -u
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONCURRENCY="${CONCURRENCY:-32}"
PORT="${PORT:-18700}"
KAFKA="${KAFKA:-}"
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
export IVBOT_STATE_DIR="$OUT/state"
url="http://127.0.0.1:$PORT"

kv() { sed -n "s/.*[ :]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

one() { # label events
  local label=$1 events=$2 pid line hits
  ./ivbot serve --dev --host 127.0.0.1 --port "$PORT" --rate-per-user 0 --rate-per-address 0 --max-queued-per-user 0 \
    --max-connections-per-address 100000 --rules-first false --canary off --kb-poll-ms 0 --model-poll-ms 0 \
    --events "$events" --events-dir "$OUT/events-$label" >"$OUT/serve-$label.log" 2>&1 &
  pid=$!
  until curl -sf "$url/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "$label: serve exited" >&2; tail "$OUT/serve-$label.log" >&2; return 1; }
    sleep 0.2
  done
  for fill in 1 2 3 4 5 6; do
    hits=$(kv "$(./ivbot bench --url "$url" --concurrency 8 --duration 5s --warmup 0s 2>&1 | tail -n 1)" cache_hit_share)
    awk -v h="${hits:-0}" 'BEGIN { exit !(h >= 0.95) }' && break
  done
  line=$(./ivbot bench --url "$url" --concurrency "$CONCURRENCY" --connections 8 --duration "$DURATION" --warmup 3s 2>&1 | tail -n 1)
  echo "$label events=$events $(curl -s "$url/metrics" | grep -E '^ivbot_events(_kafka)?_total' | tr '\n' ' ')" >&2
  echo "$label $line"
  kill "$pid"; wait "$pid" 2>/dev/null
}

variants="off files"
[ -n "$KAFKA" ] && variants="$variants kafka"
: >"$OUT/runs.txt"
for r in $(seq 1 "$ROUNDS"); do
  for v in $variants; do
    events=$v
    [ "$v" = kafka ] && events="kafka://$KAFKA/ivbot-ab"
    one "$v-$r" "$events" | tee -a "$OUT/runs.txt"
  done
done
declare -A med
for v in $variants; do
  med[$v]=$(grep "^$v-" "$OUT/runs.txt" | while read -r l; do kv "$l" achieved; done | median)
  echo "median $v: ${med[$v]} replies/s (closed loop, concurrency $CONCURRENCY)"
done
line="events-ab: files_over_off=$(awk -v a="${med[files]}" -v b="${med[off]}" 'BEGIN { printf "%.3f", a / b }')"
[ -n "$KAFKA" ] && line="$line kafka_over_off=$(awk -v a="${med[kafka]}" -v b="${med[off]}" 'BEGIN { printf "%.3f", a / b }')"
if [ -n "$KAFKA" ]; then
  for r in $(seq 1 "$ROUNDS"); do
    ./ivbot events-bench --events "kafka://$KAFKA/ivbot-events-bench" --seconds 10 2>/dev/null | tail -n 1 | tee -a "$OUT/events-bench.txt"
  done
  line="$line kafka_events_per_s=$(while read -r l; do kv "$l" events_per_s; done <"$OUT/events-bench.txt" | median)"
fi
echo "$line"
echo "logs in $OUT"
