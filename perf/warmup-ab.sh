#!/usr/bin/env bash
# perf/warmup-ab.sh: does the start-up warm-up help the first candidates? ROUNDS times, alternating, a fresh
# server without (--warmup-turns 0) and with the default warm-up, each followed at once by 20 s of open-loop load
# at RATE q/s of unique queries (the model path, cache off, rules never first). Prints per run: time to ready,
# the compiler threads' and the whole process's CPU ticks in the load window, and the client's latency line.
# Loopback only; each server is stopped (by PID) after its run. Build first: mvn -q -DskipTests package
set -u
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
ROUNDS="${ROUNDS:-3}"
RATE="${RATE:-150}"
PORT="${PORT:-18600}"
OUT="${OUT:-$(mktemp -d)}"
export IVBOT_STATE_DIR="$OUT/state"

ticks() { # pid [compiler]: utime+stime of the process, or of its C1/C2 compiler threads only
  local s=0 t n
  if [ "${2:-}" = compiler ]; then
    for t in /proc/"$1"/task/*; do
      n=$(cat "$t/comm" 2>/dev/null) || continue
      case "$n" in C1*|C2*) set -- $(sed 's/.*) //' "$t/stat"); s=$((s + ${12} + ${13}));; esac
    done
    echo "$s"
  else
    set -- $(sed 's/.*) //' /proc/"$1"/stat); echo $(( ${12} + ${13} ))
  fi
}

one() { # label serve-options...
  local label=$1; shift
  local t0 t1 pid jpid c0 a0
  t0=$(date +%s%N)
  ./ivbot serve --dev --port "$PORT" --rate-per-user 0 --rate-per-address 0 --max-queued-per-user 0 \
    --rules-first false --cache-size 0 --events off --canary off "$@" >"$OUT/serve-$label.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "$label: serve exited"; tail "$OUT/serve-$label.log"; return 1; }
    sleep 0.1
  done
  t1=$(date +%s%N)
  jpid=$(pgrep -P "$pid" java || echo "$pid")
  c0=$(ticks "$jpid" compiler); a0=$(ticks "$jpid")
  ./ivbot bench --url "http://127.0.0.1:$PORT" --rate "$RATE" --unique --warmup 0s --duration 20s --connections 32 \
    >"$OUT/bench-$label.log" 2>&1
  echo "$label ready_ms=$(( (t1 - t0) / 1000000 )) compiler_ticks=$(( $(ticks "$jpid" compiler) - c0 ))" \
    "process_ticks=$(( $(ticks "$jpid") - a0 )) $(grep '^bench:' "$OUT/bench-$label.log")"
  kill "$pid"; wait "$pid" 2>/dev/null
}

for r in $(seq 1 "$ROUNDS"); do
  one "cold-$r" --warmup-turns 0
  one "warm-$r"
done
echo "logs in $OUT"
