#!/usr/bin/env bash
# perf/run-benchmarks.sh: every ivbot benchmark in one run, on one machine, printed as one table.
#
# Sections (SECTIONS picks some; each runs as a whole, in this order):
#   jmh        raw ONNX Runtime throughput in-process (JMH, IntentModelBenchmark), batch 1/8/16/32: the best
#              batch;
#   model      the served model path: unique queries (--unique) over MODEL_CONNECTIONS connections, cache off,
#              rules never first: the highest rate with P99 <= 25 ms (find-max), its ratio to jmh, the P99 of
#              an open-loop run at half that rate, and its capacity with no latency target (closed loop); once
#              per server configuration in MODEL_SERVE_OPTS;
#   mix        a realistic mix: Zipf over the dev set's questions, cache on, default settings: the highest rate
#              with P99 <= 10 ms;
#   cached     the HTTP stack: ivbot's cached path (every answer from the cache), its P99 at half its maximum
#              (at half of each find-max search's maximum; the figure is the worst);
#              protobuf frames against HTTP on it; the harness against wrk on the same endpoint and request, at
#              one fixed rate (the check: within 10% on throughput) and closed loop at the same concurrency;
#   hello      Netty's own HttpHelloWorldServer (io.netty:netty-example, its jar only, on ivbot's Netty jars),
#              same client, same P99 target: what the cached path is compared with;
#   efficiency CPU and allocation per request, EFF_ROUNDS rounds, each interleaving a JMH run at batch 1 and
#              intra-op 1, a served-model server (intra-op 1) and a cached-path server, medians over rounds:
#              the server's CPU per model answer (all threads, after warm-up) over JMH's CPU per query; the
#              event loops' CPU per model request and per cached request; bytes allocated per model and per
#              cached request; the GC pauses' P99 during the cached run (perf/ThreadUsageMain);
#   pinned     the served/raw ratio on separate cores at one intra-op thread: JMH (batch 1) and the server on
#              core 0 (taskset -c 0), the load generator on core 1; needs 2 cores.
#
# Find-max figures are each the median of FINDMAX_RUNS independent searches (separate harness processes);
# in each, a failing step counts only when it fails again on retry (BENCH_RETRIES). Before a find-max the
# same server is loaded closed loop (SAT_CONCURRENCY connections): a find-max median below SANITY_SHARE of
# that throughput is re-run once and flagged "low" in the table if it stays low. Each section records the
# CPU that other processes and the hypervisor (steal, /proc/stat) took while it ran; a section whose steal
# exceeded STEAL_MAX_PCT runs once more and the second run counts.
#
# The last two lines are machine-readable:
#   ratios: served_over_raw=R cached_over_hello=C model_p99_at_half_ms=P cached_p99_at_half_ms=Q
#           served_over_raw_pinned=S max_steal_pct=T low_findmax=N                        (one line)
#   efficiency: model_cpu_over_raw=R el_us_per_model_request=E el_us_per_cached_request=C
#           alloc_bytes_per_cached_request=A                                               (one line)
# A figure of a section that did not run is NaN.
#
# Everything runs on 127.0.0.1; every server started here is stopped on exit (by PID). Settings, by
# environment (defaults in brackets):
#   SECTIONS [jmh model mix cached hello efficiency pinned]   the sections to run, space-separated
#   BENCH_STEP [5s]        measured time of each find-max step
#   BENCH_DURATION [10s]   measured time of the half-rate runs, the closed-loop runs, the wrk/harness check
#                          runs and each efficiency window
#   BENCH_WARMUP [5s]      warmup before a run (and before a find-max's first step)
#   BENCH_MAX_STEPS [14]   find-max steps that start a new rate (a failing step's retries run regardless)
#   BENCH_RETRIES [1]      find-max runs a failing step again this many times (passes if any run does):
#                          on a shared machine one stall of someone else's must not cap a search
#   FINDMAX_RUNS [3]       independent find-max searches per figure; the figure is their median
#   SAT_CONCURRENCY [4]    connections, one request in flight each, of the closed-loop run before the mix,
#                          cached, protobuf and HelloWorld find-max searches (the model path's is
#                          MODEL_SATURATION over MODEL_CONNECTIONS); 4 is the harness's default connections
#   SANITY_SHARE [0.5]     a find-max median below this share of the same server's closed-loop throughput
#                          is re-run once, then flagged low; 0: no check
#   STEAL_MAX_PCT [5]      a section whose steal (hypervisor's other guests) exceeded this % runs again once
#   JMH_ITERATION [2s]     JMH iteration time (2 warmup, 3 measured iterations, 1 fork)
#   JMH_BATCHES [1,8,16,32]
#   JMH_JAVA_OPTS []       extra JVM options of the JMH launcher (-Djmh.ignoreLock=true when another JMH
#                          holds /tmp/jmh.lock: the figures are then noise)
#   INTRA_OP_THREADS [nproc]   ONNX Runtime threads of the tuned served-model server
#   JMH_INTRA_OP [1,nproc]     JMH's ONNX Runtime threads; the raw figure is the best of all rows
#   MODEL_P99 [25ms]  MIX_P99 [10ms]  HTTP_P99 [10ms]   find-max targets
#   MODEL_MIN_RATE [50]  MIX_MIN_RATE [100]  HTTP_MIN_RATE [250]   find-max first steps: a search
#                          doubles from there, so a first step that fails caps the result below it
#   ZIPF [1.0]             Zipf exponent of the realistic mix
#   MODEL_SERVE_OPTS [;--io-threads 1 --intra-op-threads $INTRA_OP_THREADS]
#                          served-model server configurations, separated by ';' (empty: the defaults),
#                          each measured; the best is compared with the raw figure. The second gives
#                          ONNX Runtime the threads it had in JMH and one event loop the rest.
#   MODEL_SATURATION [32]  outstanding requests of the served model's closed-loop capacity run
#   MODEL_CONNECTIONS [32] connections of the served-model runs: the server works through one
#                          connection's requests one at a time, so with the harness's default 4
#                          connections no model batch could hold more than 4 queries
#   MODEL_JAVA_OPTS        JAVA_OPTS of the served-model server (e.g. a JFR recording)
#   WRK_CONNECTIONS [8]    connections (one request in flight each) of the wrk check
#   EFF_ROUNDS [2]         efficiency rounds (JMH, model server, cached server each); figures are medians
#   EFF_WARMUP [10s]       load at the measured rate before each efficiency window (not measured)
#   EFF_MODEL_RATE []      open-loop rate of the efficiency model runs; empty: half of one find-max on the
#                          first round's model server
#   EFF_CACHED_RATE []     same for the cached runs; empty: half the cached section's figure when it ran,
#                          else half of one find-max on the first round's cached server
#   EFF_SERVE_OPTS []      extra serve options of both efficiency servers
#   PIN_SERVER_CPU [0]  PIN_CLIENT_CPU [1]   the pinned section's cores (taskset -c)
#   BENCH_PORT [18480]     first of the ports used (3 consecutive: ivbot, HelloWorld, ivbot's JMX)
#   BENCH_OUT [mktemp -d]  where logs, JMH results and table.md go
#   SKIP_BUILD [0]         1: do not run `mvn install -DskipTests` first
set -euo pipefail
# the whole script is one block, read before it runs: editing the file during a run does not change that run
{

home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"

SECTIONS="${SECTIONS:-jmh model mix cached hello efficiency pinned}"
BENCH_STEP="${BENCH_STEP:-5s}"
BENCH_DURATION="${BENCH_DURATION:-10s}"
BENCH_WARMUP="${BENCH_WARMUP:-5s}"
BENCH_MAX_STEPS="${BENCH_MAX_STEPS:-14}"
BENCH_RETRIES="${BENCH_RETRIES:-1}"
FINDMAX_RUNS="${FINDMAX_RUNS:-3}"
SAT_CONCURRENCY="${SAT_CONCURRENCY:-4}"
SANITY_SHARE="${SANITY_SHARE:-0.5}"
STEAL_MAX_PCT="${STEAL_MAX_PCT:-5}"
JMH_ITERATION="${JMH_ITERATION:-2s}"
JMH_BATCHES="${JMH_BATCHES:-1,8,16,32}"
JMH_JAVA_OPTS="${JMH_JAVA_OPTS:-}"
INTRA_OP_THREADS="${INTRA_OP_THREADS:-$(nproc)}"
JMH_INTRA_OP="${JMH_INTRA_OP:-$( [ "$INTRA_OP_THREADS" -gt 1 ] && echo "1,$INTRA_OP_THREADS" || echo 1 )}"
MODEL_P99="${MODEL_P99:-25ms}"
MIX_P99="${MIX_P99:-10ms}"
HTTP_P99="${HTTP_P99:-10ms}"
ZIPF="${ZIPF:-1.0}"
MODEL_SERVE_OPTS="${MODEL_SERVE_OPTS-;--io-threads 1 --intra-op-threads $INTRA_OP_THREADS}"
MODEL_MIN_RATE="${MODEL_MIN_RATE:-50}"
MODEL_SATURATION="${MODEL_SATURATION:-32}"
MODEL_CONNECTIONS="${MODEL_CONNECTIONS:-32}"
MIX_MIN_RATE="${MIX_MIN_RATE:-100}"
HTTP_MIN_RATE="${HTTP_MIN_RATE:-250}"
MODEL_JAVA_OPTS="${MODEL_JAVA_OPTS:-}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-8}"
EFF_ROUNDS="${EFF_ROUNDS:-2}"
EFF_WARMUP="${EFF_WARMUP:-10s}"
EFF_MODEL_RATE="${EFF_MODEL_RATE:-}"
EFF_CACHED_RATE="${EFF_CACHED_RATE:-}"
EFF_SERVE_OPTS="${EFF_SERVE_OPTS:-}"
PIN_SERVER_CPU="${PIN_SERVER_CPU:-0}"
PIN_CLIENT_CPU="${PIN_CLIENT_CPU:-1}"
BENCH_PORT="${BENCH_PORT:-18480}"
OUT="${BENCH_OUT:-$(mktemp -d -t ivbot-bench.XXXXXX)}"
SKIP_BUILD="${SKIP_BUILD:-0}"
mkdir -p "$OUT"

for s in $SECTIONS; do
  case "$s" in jmh|model|mix|cached|hello|efficiency|pinned) ;; *) echo "SECTIONS: unknown section '$s' (expected: jmh model mix cached hello efficiency pinned)" >&2; exit 2;; esac
done
[ "$FINDMAX_RUNS" -ge 1 ] 2>/dev/null || { echo "FINDMAX_RUNS=$FINDMAX_RUNS (expected: >= 1)" >&2; exit 2; }
[ "$EFF_ROUNDS" -ge 1 ] 2>/dev/null || { echo "EFF_ROUNDS=$EFF_ROUNDS (expected: >= 1)" >&2; exit 2; }

export IVBOT_STATE_DIR="$OUT/state"   # the servers write the dev secret here, the harness signs with it
mkdir -p "$IVBOT_STATE_DIR"
unset IVBOT_JWT_SECRET

IVBOT_PORT="$BENCH_PORT"
HELLO_PORT=$((BENCH_PORT + 1))
JMX_PORT=$((BENCH_PORT + 2))
url="http://127.0.0.1:$IVBOT_PORT"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- servers, stopped on exit by PID
server_pid=""
server_cpus=""   # taskset -c list for the next server; empty: not pinned
bench_cpus=""    # taskset -c list for the harness; empty: not pinned
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pinned() { if [ -n "$1" ]; then echo "taskset -c $1"; fi; }

wait_http() { # url log: until the url answers 200, at most 120 s
  local i
  for i in $(seq 1 240); do
    if curl -sf -o /dev/null "$1"; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$2" >&2; die "server exited (log: $2)"; }
    sleep 0.5
  done
  die "no answer from $1 after 120 s (log: $2)"
}

start_ivbot() { # name, serve options...: starts ivbot on IVBOT_PORT (on server_cpus), waits until ready
  local name="$1"; shift
  port_free "$IVBOT_PORT" || die "port $IVBOT_PORT is taken (set BENCH_PORT)"
  log "starting ivbot ($name): $(pinned "$server_cpus") serve --host 127.0.0.1 --port $IVBOT_PORT $*"
  # --dev: the harness signs with the dev secret; the per-user and per-address limits are off, since the
  # harness is one user on one address measuring the server, not a crowd of candidates
  # shellcheck disable=SC2046 # taskset and its list are words
  $(pinned "$server_cpus") ./ivbot serve --dev --host 127.0.0.1 --port "$IVBOT_PORT" --kb-poll-ms 0 --model-poll-ms 0 \
    --rate-per-user 0 --rate-per-address 0 --max-queued-per-user 0 --max-connections-per-address 100000 "$@" \
    >"$OUT/server-$name.log" 2>&1 &
  server_pid=$!
  wait_http "http://127.0.0.1:$IVBOT_PORT/readyz" "$OUT/server-$name.log"
}

start_hello() { # Netty's HelloWorld HTTP server: the netty-example jar alone, on ivbot's Netty jars
  local jar
  jar="$(ls perf/target/netty-example/netty-example-*.jar 2>/dev/null | head -n 1 || true)"
  [ -n "$jar" ] || die "perf/target/netty-example/netty-example-*.jar missing (build perf)"
  port_free "$HELLO_PORT" || die "port $HELLO_PORT is taken (set BENCH_PORT)"
  log "starting Netty HttpHelloWorldServer ($(basename "$jar")) on $HELLO_PORT"
  java -Dport="$HELLO_PORT" -cp "$jar:perf/target/lib/*" io.netty.example.http.helloworld.HttpHelloWorldServer \
    >"$OUT/server-hello.log" 2>&1 &
  server_pid=$!
  wait_http "http://127.0.0.1:$HELLO_PORT/" "$OUT/server-hello.log"
}

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# ---------------------------------------------------------------- CPU taken by other processes, steal
# Busy time of the whole machine (/proc/stat, steal excluded) minus the CPU time of this script's
# finished children (`times`, run in this shell so that it sees them) and of the running server: what
# other processes (builds and tests on a shared machine) took while a section ran; steal (/proc/stat's
# eighth value: the hypervisor's other guests) separately.
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
cpu_sample() { # sets s_t s_busy s_steal s_kids
  s_t=$(date +%s.%N)
  read -r s_busy s_steal < <(awk '/^cpu /{print $2+$3+$4+$7+$8, $9}' /proc/stat)
  times >"$OUT/.times"
  s_kids=$(awk -v hz="$hz" 'NR==2{ split($1,u,/[ms]/); split($2,s,/[ms]/); printf "%d", (u[1]*60+u[2]+s[1]*60+s[2])*hz }' "$OUT/.times")
  # a server still running is not in `times` yet: add what it has used so far (utime + stime)
  if [ -n "$server_pid" ] && [ -r "/proc/$server_pid/stat" ]; then
    s_kids=$(( s_kids + $(sed 's/^.*) //' "/proc/$server_pid/stat" | awk '{print $12 + $13}') ))
  fi
}
section_start() { cpu_sample; sec_t0=$s_t; sec_busy0=$s_busy; sec_steal0=$s_steal; sec_kids0=$s_kids; }
section_other() { # sets sec_other ("N%" of the machine used by other processes) and sec_steal ("N.N")
  cpu_sample
  read -r sec_other sec_steal < <(awk -v t0="$sec_t0" -v t1="$s_t" -v b0="$sec_busy0" -v b1="$s_busy" \
      -v k0="$sec_kids0" -v k1="$s_kids" -v st0="$sec_steal0" -v st1="$s_steal" -v hz="$hz" -v n="$ncpu" 'BEGIN{
        cap=(t1-t0)*n*hz; if (cap <= 0) cap = 1; o=((b1-b0)-(k1-k0))/cap*100; if (o<0) o=0; st=(st1-st0)/cap*100;
        printf "%.0f%% %.1f\n", o, st }')
}

# run_section NAME: section_NAME between two samples; once more when its steal exceeded STEAL_MAX_PCT.
# Sets other_NAME, steal_NAME ("N.N%", "(re-run)" appended when it ran twice).
max_steal=0
run_section() {
  local name="$1" try note=""
  for try in 1 2; do
    section_start
    "section_$name"
    stop_server
    section_other
    if [ "$try" = 1 ] && awk -v s="$sec_steal" -v m="$STEAL_MAX_PCT" 'BEGIN{ exit !(s+0 > m+0) }'; then
      log "section $name: steal $sec_steal% > $STEAL_MAX_PCT%: running it again"
      note=" (re-run; first run $sec_steal%)"
      continue
    fi
    break
  done
  max_steal=$(awk -v a="$max_steal" -v b="$sec_steal" 'BEGIN{ print (b+0 > a+0 ? b : a) }')
  printf -v "other_$name" '%s' "$sec_other"
  printf -v "steal_$name" '%s' "$sec_steal%$note"
}

# ---------------------------------------------------------------- harness helpers
kv() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<" $1" | tail -n 1; }
fmt2() { awk -v x="$1" 'BEGIN{ if (x ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) printf "%.2f", x; else printf "NaN" }'; }
ratio() { # a/b to 2 places; NaN unless both are numbers and b > 0
  awk -v a="$1" -v b="$2" 'BEGIN{ n = "^-?[0-9.]+([eE][-+]?[0-9]+)?$"
    if (a ~ n && b ~ n && b+0 > 0) printf "%.2f", a/b; else printf "NaN" }'
}
le() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a+0 <= b+0) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a+0 >= b+0) }'; }
ms_of() { awk -v d="$1" 'BEGIN{ v=d+0; if (d ~ /us$/) v/=1000; else if (d ~ /ms$/) v=v; else if (d ~ /s$/) v*=1000; print v }'; }
yes_no() { if "$@"; then echo "yes"; else echo "**no**"; fi; }
half() { awk -v r="$1" 'BEGIN{ h=int(r/2); printf "%d", (h < 1 ? 1 : h) }'; }
median() { # numbers...: their median (the mean of the middle two for an even count), NaN for none
  { printf '%s\n' "$@" | grep -E '^-?[0-9.]+([eE][-+]?[0-9]+)?$' || true; } | sort -g \
    | awk '{ a[NR]=$1 } END{ if (NR==0) print "NaN"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'
}

bench() { # name, bench args...: runs ./ivbot bench (on bench_cpus), keeps its output, prints its last line
  local name="$1"; shift
  log "bench ($name): $*"
  # shellcheck disable=SC2046
  if ! $(pinned "$bench_cpus") ./ivbot bench "$@" >"$OUT/bench-$name.log" 2>&1; then
    log "bench ($name) exited non-zero (see $OUT/bench-$name.log)"
  fi
  tail -n 1 "$OUT/bench-$name.log"
}

# the HTTP paths' closed loop: SAT_CONCURRENCY connections, one request in flight each (no pipelining, which
# lets a closed loop batch replies far beyond what an open loop's spread-out requests get)
sat_conns=(--connections "$SAT_CONCURRENCY" --max-in-flight 1)
saturation() { # name, concurrency, more bench args: closed loop; sets sat (answers/s; model answers only
  # when replies say source=rules with a fallback_reason: a request past its deadline) and sat_p99
  local name="$1" c="$2" line; shift 2
  line=$(bench "$name" --concurrency "$c" --duration "$BENCH_DURATION" --warmup 3s "$@")
  sat=$(awk -v a="$(kv "$line" achieved)" -v f="$(kv "$line" fallback_share)" 'BEGIN{ printf "%.0f", a*(1-f) }')
  sat_p99=$(kv "$line" p99_ms)
}

# find_max NAME P99 MIN_RATE SAT more bench args: FINDMAX_RUNS independent searches, the median; when it is
# below SANITY_SHARE x SAT (the same server's closed-loop throughput), all of them once more. Sets fm_rate,
# fm_p99 (of the median search), fm_log (its log), fm_rates (every search's rate, for the table), fm_list
# (the same, space-separated) and fm_flag ("" or "low").
find_max() {
  local name="$1" p99="$2" min="$3" sat_rate="$4"; shift 4
  local attempt i line runs rates r p
  fm_flag=""
  for attempt in 1 2; do
    runs=""; rates=""; fm_list=""
    for i in $(seq 1 "$FINDMAX_RUNS"); do
      line=$(bench "$name-$attempt-$i" --find-max --p99 "$p99" --min-rate "$min" --duration "$BENCH_STEP" \
        --warmup "$BENCH_WARMUP" --max-steps "$BENCH_MAX_STEPS" --retries "$BENCH_RETRIES" "$@")
      r=$(kv "$line" rate); p=$(kv "$line" p99_ms)
      runs+="${r:-0} ${p:-NaN} $name-$attempt-$i"$'\n'
      rates+="${rates:+/}${r:-0}"; fm_list+=" ${r:-0}"
    done
    read -r fm_rate fm_p99 fm_log < <(sort -n -k1 <<<"${runs%$'\n'}" | awk -v n="$FINDMAX_RUNS" 'NR == int((n+1)/2)')
    fm_log="$OUT/bench-$fm_log.log"; fm_rates="$rates"
    if awk -v r="$fm_rate" -v s="$sat_rate" -v k="$SANITY_SHARE" 'BEGIN{ exit !(k+0 > 0 && r+0 < k*s) }'; then
      if [ "$attempt" = 1 ]; then
        log "find-max ($name): median $fm_rate/s ($rates) < $SANITY_SHARE x closed loop $sat_rate/s: once more"
        continue
      fi
      fm_flag="low"
    fi
    break
  done
  [ "$attempt" = 2 ] && fm_rates="$fm_rates, re-run"
  log "find-max ($name): $fm_rate/s at P99 $fm_p99 ms (searches: $fm_rates)${fm_flag:+ LOW}"
}
# the table's words for a find-max: "median of 3 (a/b/c)", and the flag
fm_note() { echo "median of $FINDMAX_RUNS ($1)${2:+; **low**: under $SANITY_SHARE x closed loop $3/s}"; }

jmh() { # name, batch sizes, intra-op threads, [cpu list]: one JMH run; its CSV in $OUT/jmh-NAME.csv
  local name="$1" batches="$2" intra="$3" cpus="${4:-}"
  log "JMH ($name) IntentModelBenchmark batch=$batches intra-op=$intra ${cpus:+on cpu $cpus}"
  # shellcheck disable=SC2086,SC2046 # JMH_JAVA_OPTS are words
  $(pinned "$cpus") java $JMH_JAVA_OPTS -Duser.language=en -Duser.country=US -Divbot.home="$home" \
    -cp "$perf_jar:perf/target/lib/*:server/target/lib/*" org.openjdk.jmh.Main IntentModelBenchmark \
    -p batchSize="$batches" -p intraOpThreads="$intra" -p suffix=true \
    -wi 2 -w "$JMH_ITERATION" -i 3 -r "$JMH_ITERATION" -f 1 -rf csv -rff "$OUT/jmh-$name.csv" >"$OUT/jmh-$name.log" 2>&1 \
    || { tail -30 "$OUT/jmh-$name.log" >&2; die "JMH ($name) failed"; }
}
# CSV: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit","Param: batchSize",
#      "Param: intraOpThreads",...
jmh_counter() { # name, counter, batch, intra: that row's score
  awk -F, -v c="predict:$2\"" -v b="$3" -v t="$4" 'NR>1 { k=$1; gsub(/"/,"",$8); gsub(/"/,"",$9)
    if (substr(k, length(k)-length(c)+1) == c && $8 == b && $9 == t) { print $5; exit } }' "$OUT/jmh-$1.csv"
}

# ---------------------------------------------------------------- build and machine
if [ "$SKIP_BUILD" != "1" ]; then
  log "building (mvn -B -q -o install -DskipTests)"
  mvn -B -q -o install -DskipTests >"$OUT/build.log" 2>&1 || mvn -B -q install -DskipTests >"$OUT/build.log" 2>&1 \
    || { tail -30 "$OUT/build.log" >&2; die "build failed"; }
fi
perf_jar="$(ls perf/target/ivbot-perf-*.jar 2>/dev/null | grep -v -- '-tests.jar' | head -n 1 || true)"
[ -n "$perf_jar" ] && [ -d server/target/lib ] || die "not built: run mvn -B -q install -DskipTests"
if want cached && ! command -v wrk >/dev/null; then log "wrk is not installed (apt-get install -y wrk): no wrk check"; fi
if want pinned; then command -v taskset >/dev/null || die "taskset is not installed (util-linux)"; fi

cpu_model=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
mem_gib=$(awk '/^MemTotal/{printf "%.0f", $2/1048576}' /proc/meminfo)
machine="$(nproc) vCPU ${cpu_model:-unknown CPU}, ${mem_gib} GiB RAM, $(uname -sr), $(java -version 2>&1 | head -n 1)"
log "machine: $machine"
log "sections: $SECTIONS"
log "results in $OUT"
run_t0=$(date +%s)

# every figure, NaN until its section runs
raw_qps=NaN; raw_batch=?; raw_intra=?; jmh_detail=""
model_rows=""; model_rate=NaN; model_half_p99=NaN; model_best_opts=""
mix_rate=NaN; mix_p99=NaN
cached_rate=NaN; cached_half_p99=NaN; cached_half_rate=""; proto_rate=NaN
hello_rate=NaN; hello_p99=NaN
served_over_raw_pinned=NaN
eff_model_cpu_over_raw=NaN; eff_el_model_us=NaN; eff_el_cached_us=NaN; eff_alloc_cached=NaN
low_findmax=0

# ---------------------------------------------------------------- jmh: raw ORT
section_jmh() {
  jmh main "$JMH_BATCHES" "$JMH_INTRA_OP"
  local rows best
  rows=$(awk -F, 'NR>1 && $1 ~ /predict:queries"$/ { gsub(/"/,""); printf "%s %s %.0f\n", $8, $9, $5 }' "$OUT/jmh-main.csv")
  [ -n "$rows" ] || die "no JMH results in $OUT/jmh-main.csv"
  best=$(sort -k3 -n -r <<<"$rows" | head -n 1); read -r raw_batch raw_intra raw_qps <<<"$best"
  jmh_detail=$(sort -k2 -n -k1 -n <<<"$rows" | awk '{ printf "%st%s/b%s %s", (NR>1?", ":""), $2, $1, $3 }')
  log "raw ORT: best batch $raw_batch, intra-op $raw_intra: $raw_qps q/s ($jmh_detail)"
}

# ---------------------------------------------------------------- model: served model, unique, cache off
# per server configuration in MODEL_SERVE_OPTS: closed-loop capacity, find-max, a half-rate run; the best
# configuration is compared
section_model() {
  local n=0 opts hrate hline hp99 fallback met
  model_rows=""; model_rate=0; model_half_p99=NaN; model_best_opts=""
  IFS=';' read -r -a model_configs <<<"$MODEL_SERVE_OPTS"
  [ "${#model_configs[@]}" -gt 0 ] || model_configs=("")
  for opts in "${model_configs[@]}"; do
    n=$((n + 1))
    # shellcheck disable=SC2086 # options are words
    JAVA_OPTS="$MODEL_JAVA_OPTS" start_ivbot "model$n" --cache-size 0 --rules-first false $opts
    # capacity without a latency target first (the find-max sanity check): closed loop, MODEL_SATURATION
    # outstanding requests; only model answers count (a request past its deadline is answered by the rules)
    saturation "model$n-saturation" "$MODEL_SATURATION" --url "$url" --unique --connections "$MODEL_CONNECTIONS"
    find_max "model$n-findmax" "$MODEL_P99" "$MODEL_MIN_RATE" "$sat" --url "$url" --unique --connections "$MODEL_CONNECTIONS"
    [ -z "$fm_flag" ] || low_findmax=$((low_findmax + 1))
    hrate=$(half "$fm_rate")
    hline=$(bench "model$n-half" --url "$url" --unique --connections "$MODEL_CONNECTIONS" --rate "$hrate" \
      --duration "$BENCH_DURATION" --warmup "$BENCH_WARMUP")
    hp99=$(kv "$hline" p99_ms)
    fallback=$(kv "$(grep '^bench:' "$fm_log" | tail -n 1 || true)" fallback_share)
    stop_server
    log "served model [${opts:-server defaults}]: $fm_rate/s at P99 $fm_p99 ms; at $hrate/s P99 $hp99 ms; saturated $sat/s"
    met=$(yes_no ge "$(ratio "$fm_rate" "$raw_qps")" 0.8)
    model_rows+="| served model path | unique queries, cache off, rules not first, HTTP, $MODEL_CONNECTIONS connections; serve ${opts:-defaults} | **$fm_rate q/s** at P99 $fm_p99 ms (target $MODEL_P99), fallback share ${fallback:-?}; $(fm_note "$fm_rates" "$fm_flag" "$sat") | raw ORT $raw_qps q/s | $(ratio "$fm_rate" "$raw_qps") | >= 0.80 | $met | OTHER_MODEL | STEAL_MODEL |"$'\n'
    model_rows+="| served model, saturated | serve ${opts:-defaults}; closed loop, $MODEL_SATURATION outstanding, no latency target | $sat model answers/s (P99 $sat_p99 ms) | raw ORT $raw_qps q/s | $(ratio "$sat" "$raw_qps") | (information) | | | |"$'\n'
    model_rows+="| served model at half max | serve ${opts:-defaults}; open loop $hrate/s | P99 $(fmt2 "${hp99:-NaN}") ms | | | <= $MODEL_P99 | $(yes_no le "${hp99:-1e9}" "$(ms_of "$MODEL_P99")") | | |"$'\n'
    # the half-rate figure of the first configuration, unless a later one does better
    if [ "$n" = 1 ] || awk -v a="$fm_rate" -v b="$model_rate" 'BEGIN{ exit !(a+0 > b+0) }'; then
      model_rate=$fm_rate; model_half_p99=$hp99; model_best_opts=${opts:-defaults}
    fi
  done
}

# ---------------------------------------------------------------- mix: realistic mix
section_mix() {
  local line
  start_ivbot mix
  saturation mix-saturation "$SAT_CONCURRENCY" "${sat_conns[@]}" --url "$url" --zipf "$ZIPF"; mix_sat=$sat
  find_max mix-findmax "$MIX_P99" "$MIX_MIN_RATE" "$mix_sat" --url "$url" --zipf "$ZIPF"
  mix_rate=$fm_rate; mix_p99=$fm_p99; mix_note=$(fm_note "$fm_rates" "$fm_flag" "$mix_sat")
  [ -z "$fm_flag" ] || low_findmax=$((low_findmax + 1))
  line=$(grep '^bench:' "$fm_log" | tail -n 1 || true)
  mix_cache=$(kv "$line" cache_hit_share); mix_fallback=$(kv "$line" fallback_share)
  log "realistic mix: $mix_rate/s at P99 $mix_p99 ms (cache hits $mix_cache)"
}

# ---------------------------------------------------------------- cached path, protobuf, wrk
fill_cache() { # fills a --rules-first false server's cache through the model until a run is all cache hits
  # (closed loop: as fast as the model goes; about 0.98 of replies say "cache": a cached prediction under
  # the model's threshold is answered by the rules); a miss costs a model call and holds up its connection,
  # so a half-filled cache fails find-max's first steps and caps the search below them
  local fill hits
  for fill in 1 2 3 4 5 6 7 8; do
    hits=$(kv "$(bench "$1-fill$fill" --url "$url" --concurrency 8 --duration 5s --warmup 0s)" cache_hit_share)
    log "cache fill $fill: cache hit share ${hits:-?}"
    awk -v h="${hits:-0}" 'BEGIN { exit !(h >= 0.95) }' && break
  done
  return 0 # a cache that never reached 0.95 shows in the hit shares of the table
}

section_cached() {
  local line
  start_ivbot cached --rules-first false
  fill_cache cached
  saturation cached-saturation "$SAT_CONCURRENCY" "${sat_conns[@]}" --url "$url"; cached_sat=$sat
  find_max cached-findmax "$HTTP_P99" "$HTTP_MIN_RATE" "$cached_sat" --url "$url"
  cached_rate=$fm_rate; cached_p99=$fm_p99; cached_note=$(fm_note "$fm_rates" "$fm_flag" "$cached_sat")
  [ -z "$fm_flag" ] || low_findmax=$((low_findmax + 1))
  cached_hits=$(kv "$(grep '^bench:' "$fm_log" | tail -n 1 || true)" cache_hit_share)
  cached_half_rate=$(half "$cached_rate")
  # the P99 at half the maximum of each search (the goal holds in each): the figure is the worst of them
  local r n=0
  cached_half_p99=""; cached_half_detail=""
  for r in $fm_list; do
    n=$((n + 1))
    line=$(bench "cached-half$n" --url "$url" --rate "$(half "$r")" --duration "$BENCH_DURATION" --warmup "$BENCH_WARMUP")
    cached_half_detail+="${cached_half_detail:+, }$(half "$r")/s: $(fmt2 "$(kv "$line" p99_ms)") ms"
    cached_half_p99=$(awk -v a="${cached_half_p99:-0}" -v b="$(kv "$line" p99_ms)" 'BEGIN{ if (b == "") b = 1e9; print (b+0 > a+0 ? b : a) }')
  done
  saturation proto-saturation "$SAT_CONCURRENCY" "${sat_conns[@]}" --url "$url" --protocol proto; proto_sat=$sat
  find_max proto-findmax "$HTTP_P99" "$HTTP_MIN_RATE" "$proto_sat" --url "$url" --protocol proto
  proto_rate=$fm_rate; proto_p99=$fm_p99; proto_note=$(fm_note "$fm_rates" "$fm_flag" "$proto_sat")
  [ -z "$fm_flag" ] || low_findmax=$((low_findmax + 1))
  line=$(bench proto-half --url "$url" --protocol proto --rate "$cached_half_rate" --duration "$BENCH_DURATION" \
    --warmup "$BENCH_WARMUP")
  proto_half_p99=$(kv "$line" p99_ms)
  log "cached: $cached_rate/s at P99 $cached_p99 ms (hits $cached_hits), half P99 $cached_half_p99 ms; proto $proto_rate/s"
  wrk_check
}

# wrk against the same endpoint with the same request (POST /v1/chat, no session, a cached query):
#  - fixed rate (the check): half the cached path's maximum, WRK_CONNECTIONS connections with one request
#    in flight each on both sides (the harness with --max-in-flight 1); wrk 4 has no rate option, so a Lua
#    delay() paces it on a per-thread schedule read from CLOCK_MONOTONIC (LuaJIT ffi);
#  - closed loop (information): the same connections, each sending as soon as its reply arrives: what
#    each client gets out of the cores it shares with the server.
wrk_check() {
  local query token wrk_threads line
  wrk_rate=$cached_half_rate; wrk_fixed=NaN; wrk_closed=NaN; wrk_fixed_p99=NaN; wrk_ratio=NaN; wrk_closed_ratio=NaN
  harness_fixed=NaN; harness_fixed_p99=NaN; harness_closed=NaN
  command -v wrk >/dev/null || return 0
  query="$(awk -F'\t' 'NR==3{print $1}' models/data/dev.tsv)"
  printf '%s\n' "$query" >"$OUT/wrk-query.txt"
  token=$(./ivbot token --sub bench --ttl 2h)
  wrk_threads=$(( WRK_CONNECTIONS < ncpu ? WRK_CONNECTIONS : ncpu ))
  wrk_rate=$cached_half_rate
  cat >"$OUT/wrk-post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"query":"$query"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local rate = tonumber(os.getenv("WRK_RATE") or "0")
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } ivbot_timespec;
    int clock_gettime(int clk_id, ivbot_timespec *tp);
  ]]
  local ts = ffi.new("ivbot_timespec")
  local interval_ms = 1000 * $wrk_threads / rate
  local next_ms = nil
  function delay()
    ffi.C.clock_gettime(1, ts)
    local now = tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    if next_ms == nil then next_ms = now end
    next_ms = next_ms + interval_ms
    if next_ms <= now then return 0 end
    return next_ms - now
  end
end
LUA
  wrk_run() { # name, rate (0: closed loop): prints requests/s
    WRK_RATE="$2" wrk -t"$wrk_threads" -c"$WRK_CONNECTIONS" -d"$BENCH_DURATION" --latency -s "$OUT/wrk-post.lua" \
      "$url/v1/chat" >"$OUT/wrk-$1.log" 2>&1 || true
    awk '/^Requests\/sec:/{print $2}' "$OUT/wrk-$1.log"
  }
  log "wrk check: fixed rate $wrk_rate/s, $WRK_CONNECTIONS connections x 1 in flight"
  wrk_fixed=$(wrk_run fixed "$wrk_rate"); wrk_fixed=${wrk_fixed:-0}
  line=$(bench harness-fixed --url "$url" --rate "$wrk_rate" --connections "$WRK_CONNECTIONS" --max-in-flight 1 \
    --turns-per-session 1 --queries "$OUT/wrk-query.txt" --token "$token" --duration "$BENCH_DURATION" --warmup 2s)
  harness_fixed=$(kv "$line" achieved); harness_fixed=${harness_fixed:-0}
  wrk_fixed_p99=$(awk '$1=="99%"{print $2}' "$OUT/wrk-fixed.log")
  harness_fixed_p99=$(kv "$line" p99_ms)
  log "wrk check: closed loop, $WRK_CONNECTIONS connections"
  wrk_closed=$(wrk_run closed 0); wrk_closed=${wrk_closed:-0}
  line=$(bench harness-closed --url "$url" --concurrency "$WRK_CONNECTIONS" --connections "$WRK_CONNECTIONS" \
    --turns-per-session 1 --queries "$OUT/wrk-query.txt" --token "$token" --duration "$BENCH_DURATION" --warmup 2s)
  harness_closed=$(kv "$line" achieved); harness_closed=${harness_closed:-0}
  wrk_ratio=$(ratio "$harness_fixed" "$wrk_fixed")
  wrk_closed_ratio=$(ratio "$harness_closed" "$wrk_closed")
  log "wrk check: fixed $wrk_rate/s: harness $harness_fixed/s, wrk $wrk_fixed/s; closed loop: harness $harness_closed/s, wrk $wrk_closed/s"
}

# ---------------------------------------------------------------- hello: Netty HelloWorld, same client
section_hello() {
  # --token: HelloWorld reads no header; without it the harness wants a dev secret that only ivbot makes
  local hello_url="http://127.0.0.1:$HELLO_PORT" raw=(--path / --raw --token hello)
  start_hello
  saturation hello-saturation "$SAT_CONCURRENCY" "${sat_conns[@]}" --url "$hello_url" "${raw[@]}"; hello_sat=$sat
  find_max hello-findmax "$HTTP_P99" "$HTTP_MIN_RATE" "$hello_sat" --url "$hello_url" "${raw[@]}"
  hello_rate=$fm_rate; hello_p99=$fm_p99; hello_note=$(fm_note "$fm_rates" "$fm_flag" "$hello_sat")
  [ -z "$fm_flag" ] || low_findmax=$((low_findmax + 1))
  log "Netty HelloWorld: $hello_rate/s at P99 $hello_p99 ms"
}

# ---------------------------------------------------------------- efficiency: CPU and bytes per request
# measure NAME RATE bench args...: EFF_WARMUP of load at RATE (not measured), then BENCH_DURATION at RATE
# under ThreadUsageMain (the running server's threads, its JMX, its GC log): sets u_line (usage:) and ok
# (requests answered in the window)
measure() {
  local name="$1" rate="$2"; shift 2
  bench "$name-warm" "$@" --rate "$rate" --duration "$EFF_WARMUP" --warmup 0s >/dev/null
  log "measure ($name): $rate/s for $BENCH_DURATION"
  java -cp "$perf_jar:perf/target/lib/*" ivbot.perf.ThreadUsageMain --pid "$server_pid" --jmx "127.0.0.1:$JMX_PORT" \
    --gc-log "$OUT/gc-$name.log" -- ./ivbot bench "$@" --rate "$rate" --duration "$BENCH_DURATION" --warmup 0s \
    >"$OUT/usage-$name.log" 2>&1 || log "measure ($name) exited non-zero (see $OUT/usage-$name.log)"
  u_line=$(grep '^usage:' "$OUT/usage-$name.log" | tail -n 1 || true)
  ok=$(sed -n 's/^requests: sent=[0-9]* ok=\([0-9]*\).*/\1/p' "$OUT/usage-$name.log" | tail -n 1)
  [ -n "$u_line" ] && [ "${ok:-0}" -gt 0 ] || die "measure ($name): no usage or no answers (see $OUT/usage-$name.log)"
}
per_request() { awk -v x="$1" -v n="$2" -v k="${3:-1}" 'BEGIN{ if (x+0 < 0 || n+0 <= 0) print "NaN"; else printf "%.1f", x*k/n }'; }

section_efficiency() {
  local r model_rate_e="$EFF_MODEL_RATE" cached_rate_e="${EFF_CACHED_RATE:-$cached_half_rate}" raw_cpu raw_q
  local -a v_ratio=() v_raw=() v_model=() v_el_model=() v_el_cached=() v_alloc_model=() v_alloc_cached=() v_gc=() v_inf=()
  for r in $(seq 1 "$EFF_ROUNDS"); do
    # A: raw ORT, batch 1, intra-op 1: the thread's CPU per query
    jmh "eff$r" 1 1
    raw_cpu=$(jmh_counter "eff$r" cpuNs 1 1); raw_q=$(jmh_counter "eff$r" cpuQueries 1 1)
    v_raw+=("$(awk -v c="$raw_cpu" -v q="$raw_q" 'BEGIN{ if (q+0 > 0) printf "%.1f", c/q/1000; else print "NaN" }')")
    # B: served model, intra-op 1, unique queries
    # shellcheck disable=SC2086
    JAVA_OPTS="-Xlog:gc:file=$OUT/gc-eff-model$r.log" start_ivbot "eff-model$r" --jmx-port "$JMX_PORT" \
      --cache-size 0 --rules-first false --intra-op-threads 1 $EFF_SERVE_OPTS
    if [ -z "$model_rate_e" ]; then
      find_max_once "eff-model-findmax" "$MODEL_P99" "$MODEL_MIN_RATE" --url "$url" --unique --connections "$MODEL_CONNECTIONS"
      model_rate_e=$(half "$fm1_rate")
    fi
    measure "eff-model$r" "$model_rate_e" --url "$url" --unique --connections "$MODEL_CONNECTIONS"
    v_model+=("$(per_request "$(kv "$u_line" cpu_ms)" "$ok" 1000)")
    v_inf+=("$(per_request "$(kv "$u_line" cpu_ms_inference)" "$ok" 1000)")
    v_el_model+=("$(per_request "$(kv "$u_line" cpu_ms_event_loop)" "$ok" 1000)")
    v_alloc_model+=("$(per_request "$(kv "$u_line" alloc_bytes)" "$ok")")
    v_ratio+=("$(awk -v m="${v_model[-1]}" -v w="${v_raw[-1]}" 'BEGIN{ if (w+0 > 0) printf "%.3f", m/w; else print "NaN" }')")
    stop_server
    # C: cached path
    # shellcheck disable=SC2086
    JAVA_OPTS="-Xlog:gc:file=$OUT/gc-eff-cached$r.log" start_ivbot "eff-cached$r" --jmx-port "$JMX_PORT" \
      --rules-first false $EFF_SERVE_OPTS
    fill_cache "eff-cached$r"
    if [ -z "$cached_rate_e" ]; then
      find_max_once "eff-cached-findmax" "$HTTP_P99" "$HTTP_MIN_RATE" --url "$url"
      cached_rate_e=$(half "$fm1_rate")
    fi
    measure "eff-cached$r" "$cached_rate_e" --url "$url"
    v_el_cached+=("$(per_request "$(kv "$u_line" cpu_ms_event_loop)" "$ok" 1000)")
    v_alloc_cached+=("$(per_request "$(kv "$u_line" alloc_bytes)" "$ok")")
    v_gc+=("$(kv "$u_line" gc_pause_p99_ms)")
    stop_server
    log "efficiency round $r: raw ${v_raw[-1]} us/query; model ${v_model[-1]} us/answer (inference ${v_inf[-1]}," \
      "event loops ${v_el_model[-1]}), ${v_alloc_model[-1]} B; cached: event loops ${v_el_cached[-1]} us," \
      "${v_alloc_cached[-1]} B, GC pause P99 ${v_gc[-1]} ms"
  done
  eff_model_rate=$model_rate_e; eff_cached_rate=$cached_rate_e
  eff_raw_us=$(median "${v_raw[@]}"); eff_model_us=$(median "${v_model[@]}"); eff_inf_us=$(median "${v_inf[@]}")
  eff_model_cpu_over_raw=$(fmt2 "$(median "${v_ratio[@]}")")
  eff_el_model_us=$(median "${v_el_model[@]}"); eff_el_cached_us=$(median "${v_el_cached[@]}")
  eff_alloc_model=$(median "${v_alloc_model[@]}"); eff_alloc_cached=$(median "${v_alloc_cached[@]}")
  eff_gc_p99=$(median "${v_gc[@]}")
  eff_rounds="raw ${v_raw[*]} us; model ${v_model[*]} us; ratio ${v_ratio[*]}; event loops ${v_el_model[*]} / ${v_el_cached[*]} us; bytes ${v_alloc_model[*]} / ${v_alloc_cached[*]}; GC P99 ${v_gc[*]} ms"
}
find_max_once() { # NAME P99 MIN_RATE bench args: one search (for a rate to run at), sets fm1_rate
  local name="$1" p99="$2" min="$3" line; shift 3
  line=$(bench "$name" --find-max --p99 "$p99" --min-rate "$min" --duration "$BENCH_STEP" --warmup "$BENCH_WARMUP" \
    --max-steps "$BENCH_MAX_STEPS" --retries "$BENCH_RETRIES" "$@")
  fm1_rate=$(kv "$line" rate); fm1_rate=${fm1_rate:-0}
  [ "$fm1_rate" != 0 ] || die "find-max ($name): no rate met the target (see $OUT/bench-$name.log)"
}

# ---------------------------------------------------------------- pinned: server and client on their own cores
section_pinned() {
  if [ "$ncpu" -lt 2 ]; then log "pinned: needs 2 cores, this machine has $ncpu"; return; fi
  jmh pinned 1 1 "$PIN_SERVER_CPU"
  pinned_raw=$(printf '%.0f' "$(jmh_counter pinned queries 1 1)")
  server_cpus=$PIN_SERVER_CPU; bench_cpus=$PIN_CLIENT_CPU
  JAVA_OPTS="$MODEL_JAVA_OPTS" start_ivbot pinned --cache-size 0 --rules-first false --intra-op-threads 1 --io-threads 1
  saturation pinned-saturation "$MODEL_SATURATION" --url "$url" --unique --connections "$MODEL_CONNECTIONS"; pinned_sat=$sat
  find_max pinned-findmax "$MODEL_P99" "$MODEL_MIN_RATE" "$pinned_sat" --url "$url" --unique --connections "$MODEL_CONNECTIONS"
  pinned_rate=$fm_rate; pinned_p99=$fm_p99; pinned_note=$(fm_note "$fm_rates" "$fm_flag" "$pinned_sat")
  [ -z "$fm_flag" ] || low_findmax=$((low_findmax + 1))
  stop_server
  server_cpus=""; bench_cpus=""
  served_over_raw_pinned=$(ratio "$pinned_rate" "$pinned_raw")
  log "pinned: served $pinned_rate/s, raw $pinned_raw q/s (batch 1, intra-op 1): $served_over_raw_pinned"
}

for s in jmh model mix cached hello efficiency pinned; do
  if want "$s"; then run_section "$s"; fi
done

# ---------------------------------------------------------------- table
served_over_raw=$(ratio "$model_rate" "$raw_qps")
cached_over_hello=$(ratio "$cached_rate" "$hello_rate")
model_half_ms=$(fmt2 "${model_half_p99:-NaN}")
cached_half_ms=$(fmt2 "${cached_half_p99:-NaN}")
run_min=$(( ($(date +%s) - run_t0 + 30) / 60 ))

{
  echo "ivbot benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), one run of perf/run-benchmarks.sh (${run_min} min; sections: $SECTIONS)"
  echo "machine: $machine"
  echo
  echo "| measurement | setup | result | compared with | ratio | goal | met | other CPU | steal |"
  echo "|---|---|---|---|---|---|---|---|---|"
  if want jmh; then
    echo "| raw ORT, in-process (JMH) | int8, dev queries + \" #n\", 1 thread; t = intra-op threads, b = batch | **$raw_qps q/s** at batch $raw_batch, intra-op $raw_intra ($jmh_detail) | | | | | $other_jmh | $steal_jmh |"
  fi
  if want model; then
    model_rows=${model_rows//OTHER_MODEL/$other_model}; printf '%s' "${model_rows//STEAL_MODEL/$steal_model}"
  fi
  if want mix; then
    echo "| realistic mix | Zipf $ZIPF over $(( $(wc -l <models/data/dev.tsv) - 1 )) dev questions, cache on, defaults | **$mix_rate q/s** at P99 $mix_p99 ms (target $MIX_P99), cache hits ${mix_cache:-?}, fallback ${mix_fallback:-?}; $mix_note | closed loop $mix_sat/s | | | | $other_mix | $steal_mix |"
  fi
  if want cached; then
    echo "| cached path, HTTP | every answer from the cache (hits ${cached_hits:-?}) | **$cached_rate q/s** at P99 $cached_p99 ms (target $HTTP_P99); $cached_note | Netty HelloWorld $hello_rate q/s | $cached_over_hello | >= 0.80 | $(yes_no ge "$cached_over_hello" 0.8) | $other_cached | $steal_cached |"
    echo "| cached path at half max | open loop at half each search's maximum ($cached_half_detail) | P99 $cached_half_ms ms (the worst) | | | <= 2 ms in each | $(yes_no le "${cached_half_p99:-1e9}" 2) | | |"
    echo "| cached path, protobuf frames | same server, same queries | **$proto_rate q/s** at P99 $proto_p99 ms; at $cached_half_rate/s P99 $(fmt2 "${proto_half_p99:-NaN}") ms; $proto_note | cached path, HTTP | $(ratio "$proto_rate" "$cached_rate") | | | | |"
    if command -v wrk >/dev/null; then
      echo "| harness vs wrk, fixed rate | $wrk_rate/s, $WRK_CONNECTIONS connections x 1 in flight, same request to /v1/chat | harness $harness_fixed/s (P99 $harness_fixed_p99 ms from intended send) | wrk $wrk_fixed/s (P99 ${wrk_fixed_p99:-?} from actual send) | $wrk_ratio | within 10% | $(yes_no awk -v r="$wrk_ratio" 'BEGIN{ exit !(r >= 0.9 && r <= 1.1) }') | | |"
      echo "| harness vs wrk, closed loop | $WRK_CONNECTIONS connections x 1 in flight, same request | harness $harness_closed/s | wrk $wrk_closed/s | $wrk_closed_ratio | (information) | | | |"
    else
      echo "| harness vs wrk | | wrk is not installed: no check | | | within 10% | | | |"
    fi
  fi
  if want hello; then
    echo "| Netty HttpHelloWorldServer | netty-example $(ls perf/target/netty-example | sed 's/netty-example-\(.*\)\.jar/\1/') jar on Netty $(ls perf/target/lib/netty-common-*.jar | sed 's/.*netty-common-\(.*\)\.jar/\1/'), NIO, same client (--raw) | **$hello_rate q/s** at P99 $hello_p99 ms (target $HTTP_P99); $hello_note | closed loop $hello_sat/s | | | | $other_hello | $steal_hello |"
  fi
  if want efficiency; then
    echo "| efficiency: model CPU per answer | serve --cache-size 0 --rules-first false --intra-op-threads 1 $EFF_SERVE_OPTS; unique queries, open loop $eff_model_rate/s after $EFF_WARMUP; all threads | $eff_model_us us per answer (inference thread $eff_inf_us us), median of $EFF_ROUNDS | JMH batch 1, intra-op 1: $eff_raw_us us CPU per query | **$eff_model_cpu_over_raw** | <= 1.20 | $(yes_no le "$eff_model_cpu_over_raw" 1.2) | $other_efficiency | $steal_efficiency |"
    echo "| efficiency: event loops per model request | same runs | **$eff_el_model_us us** | | | <= 150 us | $(yes_no le "$eff_el_model_us" 150) | | |"
    echo "| efficiency: event loops per cached request | serve --rules-first false $EFF_SERVE_OPTS, cache filled; open loop $eff_cached_rate/s | **$eff_el_cached_us us** | | | (information) | | | |"
    echo "| efficiency: bytes allocated per request | Java threads (ThreadMXBean over JMX) | cached **$eff_alloc_cached B**, model $eff_alloc_model B | | | (today's figure) | | | |"
    echo "| efficiency: GC pauses, cached run | -Xlog:gc Pause lines in the window | P99 $eff_gc_p99 ms | | | | | | |"
    echo "| efficiency rounds | each: JMH, model server, cached server | $eff_rounds | | | | | | |"
  fi
  if want pinned && [ "$ncpu" -ge 2 ]; then
    echo "| served model, pinned | server on cpu $PIN_SERVER_CPU (--io-threads 1 --intra-op-threads 1), harness on cpu $PIN_CLIENT_CPU | **$pinned_rate q/s** at P99 $pinned_p99 ms (target $MODEL_P99); $pinned_note | JMH batch 1, intra-op 1 on cpu $PIN_SERVER_CPU: $pinned_raw q/s | $served_over_raw_pinned | >= 0.80 | $(yes_no ge "$served_over_raw_pinned" 0.8) | $other_pinned | $steal_pinned |"
  fi
  echo
  if want model; then echo "served_over_raw and model_p99_at_half_ms use the best served configuration: serve $model_best_opts."; fi
  echo "Find-max figures: the median of $FINDMAX_RUNS searches (each search's rate in brackets), a failing step failed only when its retry failed too ($BENCH_RETRIES retries)."
  echo "Other CPU: share of the machine used by processes other than this run's while a section ran; steal: the hypervisor's other guests (a section over $STEAL_MAX_PCT% ran again)."
  echo "Logs: $OUT"
} | tee "$OUT/table.md"

echo "ratios: served_over_raw=$served_over_raw cached_over_hello=$cached_over_hello model_p99_at_half_ms=$model_half_ms cached_p99_at_half_ms=$cached_half_ms served_over_raw_pinned=$served_over_raw_pinned max_steal_pct=$max_steal low_findmax=$low_findmax"
echo "efficiency: model_cpu_over_raw=$eff_model_cpu_over_raw el_us_per_model_request=$eff_el_model_us el_us_per_cached_request=$eff_el_cached_us alloc_bytes_per_cached_request=$eff_alloc_cached"
exit
}
