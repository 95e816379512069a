#!/usr/bin/env bash
# perf/jit-ab.sh: what the JIT costs a fresh server, and what a JIT flag choice changes. ROUNDS times, interleaved,
# a fresh `serve` (default warm-up) per variant in VARIANTS (JAVA_OPTS, separated by ';'; default: the JVM's
# tiered compilation, then C1 only with -XX:TieredStopAtLevel=1), measuring on one server:
#   start:   the first 20 s after /readyz at RATE q/s of unique queries (model path, cache off): CPU of the C1/C2
#            compiler threads and of the whole process (ticks of 10 ms, /proc), and the client's latency line;
#   steady:  20 s more at RATE, after 40 s at RATE: process CPU per answer (ms);
# and on a second fresh server per variant the cached path closed loop (cache filled, 32 outstanding, 10 s).
# -XX:-UseDynamicNumberOfCompilerThreads keeps the compiler threads alive so their CPU can be read.
# Loopback only; servers stopped by PID. Build first: mvn -q -DskipTests package
set -u
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
ROUNDS="${ROUNDS:-2}"
RATE="${RATE:-150}"
PORT="${PORT:-18620}"
VARIANTS="${VARIANTS:-;-XX:TieredStopAtLevel=1}"
OUT="${OUT:-$(mktemp -d)}"
export IVBOT_STATE_DIR="$OUT/state"
url="http://127.0.0.1:$PORT"
hz=$(getconf CLK_TCK)

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
kv() { sed -n "s/.*[ :]$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1; }

serve() { # java-opts serve-options...: starts a server, sets pid and jpid
  local opts=$1; shift
  JAVA_OPTS="-XX:-UseDynamicNumberOfCompilerThreads $opts" ./ivbot serve --dev --host 127.0.0.1 --port "$PORT" \
    --rate-per-user 0 --rate-per-address 0 --max-queued-per-user 0 --max-connections-per-address 100000 \
    --events off --canary off --kb-poll-ms 0 --model-poll-ms 0 "$@" >"$OUT/serve.log" 2>&1 &
  pid=$!
  until curl -sf "$url/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "serve exited" >&2; tail "$OUT/serve.log" >&2; return 1; }
    sleep 0.1
  done
  jpid=$(pgrep -P "$pid" java || echo "$pid")
}

load() { ./ivbot bench --url "$url" "$@" 2>&1 | tail -n 1; }

for r in $(seq 1 "$ROUNDS"); do
  IFS=';' read -r -a variants <<<"$VARIANTS"
  for v in "${variants[@]}"; do
    label="[${v:-tiered}]"
    serve "$v" --cache-size 0 --rules-first false || exit 1
    c0=$(ticks "$jpid" compiler); a0=$(ticks "$jpid")
    start=$(load --rate "$RATE" --unique --warmup 0s --duration 20s --connections 32)
    c1=$(ticks "$jpid" compiler); a1=$(ticks "$jpid")
    load --rate "$RATE" --unique --warmup 0s --duration 40s --connections 32 >/dev/null
    a2=$(ticks "$jpid")
    steady=$(load --rate "$RATE" --unique --warmup 0s --duration 20s --connections 32)
    a3=$(ticks "$jpid")
    answers=$(awk -v r="$(kv "$steady" achieved)" 'BEGIN { printf "%d", r * 20 }')
    echo "$label round=$r start: compiler_s=$(awk -v t=$((c1 - c0)) -v h="$hz" 'BEGIN { printf "%.2f", t / h }')" \
      "process_s=$(awk -v t=$((a1 - a0)) -v h="$hz" 'BEGIN { printf "%.2f", t / h }')" \
      "p99_ms=$(kv "$start" p99_ms) max_ms=$(kv "$start" max_ms)" \
      "steady: cpu_ms_per_answer=$(awk -v t=$((a3 - a2)) -v h="$hz" -v n="$answers" 'BEGIN { printf "%.3f", t / h * 1000 / n }')" \
      "p99_ms=$(kv "$steady" p99_ms)"
    kill "$pid"; wait "$pid" 2>/dev/null
    serve "$v" --rules-first false || exit 1
    for fill in 1 2 3 4 5 6; do
      hits=$(kv "$(load --concurrency 8 --duration 5s --warmup 0s)" cache_hit_share)
      awk -v h="${hits:-0}" 'BEGIN { exit !(h >= 0.95) }' && break
    done
    cached=$(load --concurrency 32 --connections 8 --duration 10s --warmup 3s)
    echo "$label round=$r cached: replies_per_s=$(kv "$cached" achieved) p99_ms=$(kv "$cached" p99_ms)"
    kill "$pid"; wait "$pid" 2>/dev/null
  done
done
echo "logs in $OUT"
