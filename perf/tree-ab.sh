#!/usr/bin/env bash
# perf/tree-ab.sh TREE_A TREE_B...: CPU per model answer, by thread group, of the servers of two (or more) built
# checkouts of ivbot (e.g. a `git worktree` of an older commit, built with mvn -q -DskipTests package, against this
# one), ROUNDS times interleaved: a fresh `serve` from each tree, unique queries at RATE q/s over 32 connections (cache
# off, rules not first, events off), 30 s of load, then CPU over 20 s more from /proc/<pid>/task/*/stat (ticks of
# 10 ms) by group: event loops, the inference thread, C1/C2 compilers, GC, other; per answer, in ms.
# Loopback only; each server is stopped by PID.
set -u
RATE=${RATE:-150}; ROUNDS=${ROUNDS:-2}; port=${PORT:-18730}
export IVBOT_STATE_DIR="${OUT:-$(mktemp -d)}/state"
mkdir -p "$IVBOT_STATE_DIR"
groups() { # pid -> "el inf jit gc other" ticks
  local el=0 inf=0 jit=0 gc=0 oth=0 t n v
  for t in /proc/$1/task/*; do n=$(cat $t/comm 2>/dev/null) || continue; set -- $(sed 's/.*) //' $t/stat); v=$(( ${12} + ${13} ))
    case "$n" in multiThreadIoEv*|epollEventLoop*|ivbot-io*) el=$((el+v));; ivbot-inference) inf=$((inf+v));; C1*|C2*) jit=$((jit+v));; G1*|GC*) gc=$((gc+v));; *) oth=$((oth+v));; esac; done
  echo "$el $inf $jit $gc $oth"
}
for r in $(seq 1 $ROUNDS); do for d in "$@"; do
  (cd $d && exec ./ivbot serve --dev --port $port --rate-per-user 0 --rate-per-address 0 --max-queued-per-user 0 --max-connections-per-address 100000 --cache-size 0 --rules-first false --events off --canary off --kb-poll-ms 0 --model-poll-ms 0 > "$IVBOT_STATE_DIR/../serve.log" 2>&1) &
  pid=$!; until curl -sf http://127.0.0.1:$port/readyz >/dev/null 2>&1; do sleep 0.2; done
  jpid=$(pgrep -P $pid java || echo $pid)
  (cd $d && ./ivbot bench --url http://127.0.0.1:$port --rate $RATE --unique --warmup 0s --duration 30s --connections 32 >/dev/null 2>&1)
  read -r e0 i0 j0 g0 o0 <<<"$(groups $jpid)"
  line=$(cd $d && ./ivbot bench --url http://127.0.0.1:$port --rate $RATE --unique --warmup 0s --duration 20s --connections 32 2>&1 | tail -1)
  read -r e1 i1 j1 g1 o1 <<<"$(groups $jpid)"
  n=$(echo "$line" | sed -n 's/.*achieved=\([0-9.]*\).*/\1/p'); n=$(awk -v r=$n 'BEGIN{print r*20}')
  awk -v d=$d -v n=$n -v e=$((e1-e0)) -v i=$((i1-i0)) -v j=$((j1-j0)) -v g=$((g1-g0)) -v o=$((o1-o0)) -v l="$line" 'BEGIN{ms=10; printf "%s el=%.3f inf=%.3f jit=%.3f gc=%.3f other=%.3f total=%.3f ms/answer | %s\n", d, e*ms/n, i*ms/n, j*ms/n, g*ms/n, o*ms/n, (e+i+j+g+o)*ms/n, l}'
  kill $pid; wait $pid 2>/dev/null
done; done
