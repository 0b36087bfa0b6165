#!/usr/bin/env bash
# Edge benchmark: the gateway's /auth/check and proxying against baselines, side by side on this machine
# (docs/benchmarks.md says what each scenario measures and shows the last full run).
#
# Starts on free loopback ports: redis-server and Azurite; 1 silo (cheap Argon2, so tokens can be seeded quickly);
# 2 gateways with the validation cache and 1 without it; the demo upstream; RedisEdge with its own redis-server and
# PlainProxy (bench/). The driver (bench/ZeroPath.Bench.Edge) seeds tokens through the admin API and runs wrk with
# bench/lua/edge.lua; then the silo is restarted with production Argon2 for the cold-validation scenario. Refusal
# timing: its tokens are created (cheap Argon2 before that restart, production Argon2 after it), the silo is
# restarted once more and a 4th gateway started, and the driver times refused credentials of every kind against it,
# interleaved. Writes docs/benchmarks.md and bench/results/summary.json (printed at the end); logs and raw results
# stay in bench/results/. Everything it started is stopped when it ends, also on failure or Ctrl-C.
#
#   ./bench.sh [--quick] [--no-build] [--timing-only]
#   ./bench.sh --org-scale [--quick] [--no-build]
#     --quick        short runs, fewer tokens: a smoke test of the tooling; the report goes to
#                    bench/results/benchmarks-quick.md, docs/benchmarks.md is left alone
#     --no-build     build only the bench projects; use the existing Release builds of silo, gateway and demo upstream
#     --timing-only  only the refusal timing (Redis, Azurite, the silo and the timing gateway): replaces its section
#                    of the report and leaves the rest of it as it was
#     --org-scale    one organization at size instead (issue #10): Redis (appendfsync always) and one silo on its default
#                    Redis storage, driven by a trusted Orleans client (bench/ZeroPath.Benchmarks org-scale). First
#                    creates/s into one organization against TokenSecretHasher's own rate with PRODUCTION Argon2 (the
#                    default hasher bound, then bound 2; 1 and BENCH_ORG_CALLERS callers); then, on a silo restarted with
#                    cheap Argon2, seeds BENCH_ORG_MEMBERS members and BENCH_ORG_TOKENS tokens into one organization and
#                    times list, delete, a permission change, member removal and revoke-all. Replaces its own section of
#                    docs/benchmarks.md (with --quick: 5,000 tokens, 500 members, report in bench/results/org-scale/);
#                    raw results in bench/results/org-scale/.
#
# Environment, defaults in brackets: BENCH_THREADS [1] and BENCH_CONNECTIONS [32] of every wrk run;
# BENCH_DURATION [10] and BENCH_WARMUP [2] seconds per run; BENCH_PREWARM [4] seconds per endpoint before the first
# run; BENCH_TOKENS [10000]; BENCH_TOKENS_PER_ORG [100]; BENCH_SEED_PARALLELISM [64]; BENCH_EVENTS [200] per
# propagation kind; BENCH_FLOOD_RATE [1000] req/s; BENCH_COLD_TOKENS [40]; BENCH_MEMORY_TOKENS [100000];
# BENCH_TIMING_COLD [200] ids and BENCH_TIMING_WARM [2000] repeated requests per refusal kind; BENCH_TIMING_SEED
# [random] the order of the timing requests. With --org-scale: BENCH_ORG_TOKENS [100000], BENCH_ORG_MEMBERS [10000],
# BENCH_ORG_CREATORS [16] concurrent creators while seeding, BENCH_ORG_SAMPLE [200] tokens watched after revoke-all,
# BENCH_ORG_PROBE [100] sequential creates timed on the empty and the full organization, BENCH_ORG_HASHES [200] hashes
# and creates per creates/s run, BENCH_ORG_CALLERS [8] concurrent callers of the parallel creates/s runs.
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=scripts-lib.sh
. ./scripts-lib.sh
started_at=$(date +%s)
invocation="./bench.sh${*:+ $*}"
load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
configuration=Release
results="$root/bench/results"
logs="$results/logs"
report="$root/docs/benchmarks.md"

say() { printf '%s\n' "$*"; }
phase() { printf '==> [%4ss] %s\n' "$(($(date +%s) - started_at))" "$*"; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }

quick=0
build=1
timing_only=0
org_scale=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --no-build) build=0; shift ;;
    --timing-only) timing_only=1; shift ;;
    --org-scale) org_scale=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see ./bench.sh --help)" ;;
  esac
done

threads="${BENCH_THREADS:-1}"
connections="${BENCH_CONNECTIONS:-32}"
duration="${BENCH_DURATION:-10}"
warmup="${BENCH_WARMUP:-2}"
prewarm="${BENCH_PREWARM:-4}"
tokens="${BENCH_TOKENS:-10000}"
events="${BENCH_EVENTS:-200}"
flood_rate="${BENCH_FLOOD_RATE:-1000}"
cold_tokens="${BENCH_COLD_TOKENS:-40}"
tokens_per_org="${BENCH_TOKENS_PER_ORG:-100}"
seed_parallelism="${BENCH_SEED_PARALLELISM:-64}"
memory_tokens="${BENCH_MEMORY_TOKENS:-100000}"
timing_cold="${BENCH_TIMING_COLD:-200}"
timing_warm="${BENCH_TIMING_WARM:-2000}"
timing_warmup_ids=10
org_tokens="${BENCH_ORG_TOKENS:-100000}"
org_members="${BENCH_ORG_MEMBERS:-10000}"
org_creators="${BENCH_ORG_CREATORS:-16}"
org_sample="${BENCH_ORG_SAMPLE:-200}"
org_probe="${BENCH_ORG_PROBE:-100}"
org_hashes="${BENCH_ORG_HASHES:-200}"
org_callers="${BENCH_ORG_CALLERS:-8}"
if [ "$org_scale" -eq 1 ]; then
  [ "$timing_only" -eq 0 ] || die "--org-scale and --timing-only do not go together"
  results="$root/bench/results/org-scale"
  logs="$results/logs"
fi
if [ "$quick" -eq 1 ]; then
  org_tokens="${BENCH_ORG_TOKENS:-5000}"; org_members="${BENCH_ORG_MEMBERS:-500}"; org_hashes="${BENCH_ORG_HASHES:-40}"
  duration=4; warmup=1; prewarm=2; tokens=1000; events=20; cold_tokens=20; memory_tokens=10000
  timing_cold=10; timing_warm=100; timing_warmup_ids=2
  report="$results/benchmarks-quick.md"
fi

command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is required; see global.json for the version."
command -v python3 >/dev/null 2>&1 || die "python3 is required (free port lookup)."
if { [ "$org_scale" -eq 0 ] && ! command -v wrk >/dev/null 2>&1; } || ! command -v curl >/dev/null 2>&1; then
  say "==> installing wrk and curl (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl >/dev/null
fi
ensure_servers_installed
unset OTEL_EXPORTER_OTLP_ENDPOINT

note() { printf '# %s\n' "$*" >>"$commands"; }

if [ "$org_scale" -eq 1 ]; then
  projects=(bench/ZeroPath.Benchmarks)
  [ "$build" -eq 0 ] || projects=(silo "${projects[@]}")
  say "==> building ($configuration): ${projects[*]}"
  for project in "${projects[@]}"; do
    dotnet build "$root/$project" -c "$configuration" -nologo -v quiet >/dev/null ||
      dotnet build "$root/$project" -c "$configuration" -nologo
  done
elif [ "$build" -eq 1 ]; then
  say "==> building ($configuration): silo, gateway, demo upstream, bench projects"
  dotnet build "$root/bench/edge.slnf" -c "$configuration" -nologo -v quiet >/dev/null ||
    dotnet build "$root/bench/edge.slnf" -c "$configuration" -nologo
else
  say "==> building the bench projects only (--no-build)"
  for project in Bench.RedisEdge Bench.PlainProxy Bench.Edge Benchmarks; do
    dotnet build "$root/bench/ZeroPath.$project" -c "$configuration" -nologo -v quiet >/dev/null ||
      dotnet build "$root/bench/ZeroPath.$project" -c "$configuration" -nologo
  done
fi

rm -rf "$results"
mkdir -p "$logs"
commands="$results/commands.txt"
: >"$commands"
if [ "$org_scale" -eq 1 ]; then
  printf 'dotnet build silo -c %s && dotnet build bench/ZeroPath.Benchmarks -c %s\n' "$configuration" "$configuration" >>"$commands"
elif [ "$build" -eq 1 ]; then
  printf 'dotnet build bench/edge.slnf -c %s\n' "$configuration" >>"$commands"
fi
note "servers"

ZP_ADMIN_KEY="$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')"
export ZP_ADMIN_KEY
key_id=b1
format_key="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
secret_format=(--ZeroPath:SecretFormat:CurrentKeyId="$key_id" --ZeroPath:SecretFormat:Keys:"$key_id"="$format_key")
cheap_argon2=(--ZeroPath:Argon2:MemoryKiB=64 --ZeroPath:Argon2:Iterations=1)
# The cluster plane as in production: mutual TLS (certificates made for this run) and the silos' call key.
tls="$(mktemp -d)"
deploy/tls/make-cluster-certs.sh "$tls"
ZeroPath__Cluster__CallKey="$(random_key)"
export ZeroPath__Cluster__CallKey

redis_port=$(free_port)
edge_redis_port=$(free_port)
azurite_port=$(free_port)
admin_port=$(free_port)
silo_port=$(free_port)
silo_gateway_port=$(free_port)
upstream_port=$(free_port)
gateway1_port=$(free_port)
gateway2_port=$(free_port)
nocache_port=$(free_port)
timing_gateway_port=$(free_port)
redisedge_port=$(free_port)
plainproxy_port=$(free_port)

pids=()         # everything started, for the liveness checks
app_pids=()     # .NET processes: stopped first, while membership and storage are still there
server_pids=()  # redis-server (x2) and Azurite: stopped last
silo_pid=""
driver_pid=""

cleanup() {
  trap - INT TERM EXIT
  if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then
    # The driver's wrk processes first (its children, by parent id), then the driver.
    local children
    children=$(pgrep -P "$driver_pid" || true)
    # shellcheck disable=SC2086
    [ -z "$children" ] || kill -9 $children 2>/dev/null || true
    stop_group TERM 5 "$driver_pid"
  fi
  if [ "${#pids[@]}" -gt 0 ]; then
    say "==> stopping everything bench.sh started"
    stop_group TERM 30 "${app_pids[@]}"
    stop_group INT 10 "${server_pids[@]}"
  fi
  [ -z "${tls:-}" ] || rm -rf "$tls"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

# The command as the report shows it, one line, quoted where needed; the per-run secret-format key, the storage
# connection string and the per-run certificate folder (<tls>) are not spelled out.
record() { # folder args...
  local folder="$1" line="" arg connection
  shift
  connection="$(azurite_connection "$azurite_port")"
  for arg in "$@"; do
    arg="${arg//"$root"\//}"
    arg="${arg//"$format_key"/<key>}"
    arg="${arg//"$tls"/<tls>}"
    if [[ "$arg" == *"$connection"* ]]; then
      arg="${arg//"$connection"/\"\$(azurite_connection $azurite_port)\"}"
    elif [[ "$arg" =~ [[:space:]\;\&\(\)\'\"\$] || -z "$arg" ]]; then
      arg="'${arg//\'/\'\\\'\'}'"
    fi
    line+="${line:+ }$arg"
  done
  if [ "$folder" != "$root" ]; then line="(cd ${folder#"$root"/} && $line)"; fi
  printf '%s\n' "$line" >>"$commands"
}

start_app() { # log-name project assembly args...
  local name="$1" folder="$root/$2/bin/$configuration/net10.0" assembly="$3"
  shift 3
  [ -f "$folder/$assembly.dll" ] || die "$folder/$assembly.dll is missing; build first (without --no-build)."
  record "$folder" dotnet "$assembly.dll" "$@"
  (cd "$folder" && exec dotnet "$assembly.dll" "$@") >"$logs/$name.log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
  app_pids+=("$started_pid")
}

forget() { # pid: a process bench.sh stopped itself is no longer watched
  local kept=() pid
  for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  pids=("${kept[@]}")
  kept=()
  for pid in "${app_pids[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  app_pids=("${kept[@]}")
}

restart_silo() { # log-name [more silo args]: stops the silo (SIGTERM) and starts it again; every grain starts inactive
  stop_group TERM 60 "$silo_pid"
  forget "$silo_pid"
  start_app "$1" silo ZeroPath.Silo "${silo_args[@]}" "${@:2}"
  silo_pid=$started_pid
  wait_ok "$1" "http://127.0.0.1:$admin_port/readyz"
}

wait_ok() { # name url
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { tail -n 40 "$logs/$1.log" >&2 || true; die "a process exited while waiting for $1; see $logs/"; }
    done
    sleep 0.25
  done
  tail -n 40 "$logs/$1.log" >&2 || true
  die "$1 did not become ready at $2; see $logs/$1.log"
}

if [ "$org_scale" -eq 1 ]; then
  phase "starting redis-server (membership, grain state and reminders) on a free loopback port"
else
  phase "starting redis-server (x2: membership, RedisEdge; only the first with --timing-only) and Azurite on free loopback ports"
fi
start_redis "$redis_port" "$results/redis" "$logs/redis.log"
redis_pid=$started_pid
pids+=("$started_pid"); server_pids+=("$started_pid")
record "$root" redis-server --port "$redis_port" --bind 127.0.0.1 --dir "${results#"$root"/}/redis" --appendonly yes --appendfsync always --save ""
if [ "$timing_only" -eq 0 ] && [ "$org_scale" -eq 0 ]; then
  mkdir -p "$results/edge-redis"
  redis-server --port "$edge_redis_port" --bind 127.0.0.1 --dir "$results/edge-redis" --appendonly no --save "" >"$logs/edge-redis.log" 2>&1 &
  pids+=("$!"); server_pids+=("$!")
  record "$root" redis-server --port "$edge_redis_port" --bind 127.0.0.1 --dir bench/results/edge-redis --appendonly no --save ""
fi
if [ "$org_scale" -eq 0 ]; then
  start_azurite "$azurite_port" "$results/azurite" "$logs/azurite.log"
  pids+=("$started_pid"); server_pids+=("$started_pid")
  record "$root" tools/servers/node_modules/.bin/azurite-table --tableHost 127.0.0.1 --tablePort "$azurite_port" --location bench/results/azurite --skipApiVersionCheck --disableTelemetry --silent
fi
wait_for_port "$redis_port" redis-server "$logs/redis.log"
[ "$timing_only" -eq 1 ] || [ "$org_scale" -eq 1 ] || wait_for_port "$edge_redis_port" redis-server "$logs/edge-redis.log"
[ "$org_scale" -eq 1 ] || wait_for_port "$azurite_port" Azurite "$logs/azurite.log"

cluster=(--ZeroPath:Cluster:ClusterId="bench-$started_at" --ZeroPath:Cluster:Redis="127.0.0.1:$redis_port"
  --ZeroPath:Cluster:Tls:CaCertificatePath="$tls/ca.pem")
gateway_tls=(--ZeroPath:Cluster:Tls:CertificatePath="$tls/gateway.pem" --ZeroPath:Cluster:Tls:KeyPath="$tls/gateway.key")
silo_args=("${cluster[@]}" --ZeroPath:Cluster:Tls:CertificatePath="$tls/silo.pem" --ZeroPath:Cluster:Tls:KeyPath="$tls/silo.key"
  --Urls="http://127.0.0.1:$admin_port" --ZeroPath:Silo:SiloName=bench-silo
  --ZeroPath:Silo:SiloPort="$silo_port" --ZeroPath:Silo:GatewayPort="$silo_gateway_port"
  --ZeroPath:Storage:Provider=AzureTable --ZeroPath:Storage:ConnectionString="$(azurite_connection "$azurite_port")" "${secret_format[@]}")
upstreams=(--ZeroPath:Upstreams:V1="http://127.0.0.1:$upstream_port" --ZeroPath:Upstreams:V2="http://127.0.0.1:$upstream_port")

driver=(dotnet "$root/bench/ZeroPath.Bench.Edge/bin/$configuration/net10.0/ZeroPath.Bench.Edge.dll")
driver_args=(
  --Admin="http://127.0.0.1:$admin_port" --Results="$results" --Report="$report" --KeyId="$key_id" --Sdk="$(dotnet --version)"
  --LoadBefore="$load_before" --TokensPerOrg="$tokens_per_org" --SeedParallelism="$seed_parallelism"
  --SeedArgon2="m=64 KiB, t=1, p=1" --ColdArgon2="m=19456 KiB, t=2, p=1, the production defaults"
  --TimingCold="$timing_cold" --TimingWarm="$timing_warm" --TimingWarmupIds="$timing_warmup_ids" --Invocation="$invocation"
)
if [ -n "${BENCH_TIMING_SEED:-}" ]; then driver_args+=(--TimingSeed="$BENCH_TIMING_SEED"); fi
if [ "$timing_only" -eq 0 ]; then
  driver_args+=(
    --Gateway1="http://127.0.0.1:$gateway1_port" --Gateway2="http://127.0.0.1:$gateway2_port"
    --GatewayNoCache="http://127.0.0.1:$nocache_port" --RedisEdge="http://127.0.0.1:$redisedge_port"
    --PlainProxy="http://127.0.0.1:$plainproxy_port" --EdgeRedis="127.0.0.1:$edge_redis_port" --Lua="$root/bench/lua/edge.lua"
    --Threads="$threads" --Connections="$connections" --Duration="$duration" --Warmup="$warmup" --Prewarm="$prewarm"
    --Tokens="$tokens" --PropagationEvents="$events" --FloodRate="$flood_rate" --ColdTokens="$cold_tokens"
  )
fi
# CPU time, in clock ticks: of the whole machine (busy, not idle), and of bench.sh's own processes (the servers and
# hosts it started, plus everything it has waited for: the driver and its wrk runs). The difference over a
# measurement is what other processes took from the machine meanwhile; the report shows it.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
own_ticks() {
  local total=0 pid fields
  for pid in "$$" "${pids[@]}"; do
    fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    # After the command name: utime stime cutime cstime are the 12th to 15th fields.
    total=$((total + $(awk '{print $12 + $13 + $14 + $15}' <<<"$fields")))
  done
  echo "$total"
}
measure_start() { machine_before=$(machine_ticks); own_before=$(own_ticks); measure_started=$(date +%s); }
measure_foreign() { # "<seconds of CPU> of <elapsed> s x <cores> cores" since measure_start
  local machine_used own_used ticks
  machine_used=$(($(machine_ticks) - machine_before)); own_used=$(($(own_ticks) - own_before))
  ticks=$(getconf CLK_TCK)
  echo "$(((machine_used - own_used) / ticks)) of $(($(date +%s) - measure_started)) s x $(nproc) cores"
}

run_driver() { # phase [more args]; the driver alone gets the secret-format key, from its environment
  record "$root" "${driver[@]}" "$1" "${driver_args[@]}" "${@:2}"
  ZP_BENCH_FORMAT_KEY="$format_key" "${driver[@]}" "$1" "${driver_args[@]}" "${@:2}" &
  driver_pid=$!
  wait "$driver_pid"
  driver_pid=""
}

if [ "$org_scale" -eq 1 ]; then
  # One silo on the default storage provider (Redis: the cluster's redis-server above, appendfsync always).
  org_silo_args=("${cluster[@]}" --ZeroPath:Cluster:Tls:CertificatePath="$tls/silo.pem" --ZeroPath:Cluster:Tls:KeyPath="$tls/silo.key"
    --Urls="http://127.0.0.1:$admin_port" --ZeroPath:Silo:SiloName=bench-silo
    --ZeroPath:Silo:SiloPort="$silo_port" --ZeroPath:Silo:GatewayPort="$silo_gateway_port" "${secret_format[@]}")
  org_driver=(dotnet "$root/bench/ZeroPath.Benchmarks/bin/$configuration/net10.0/ZeroPath.Benchmarks.dll" org-scale)
  start_org_silo() { # log-name [more silo args]: stops the running silo (SIGTERM) first, if any
    if [ -n "$silo_pid" ]; then stop_group TERM 60 "$silo_pid"; forget "$silo_pid"; fi
    start_app "$1" silo ZeroPath.Silo "${org_silo_args[@]}" "${@:2}"
    silo_pid=$started_pid
    wait_ok "$1" "http://127.0.0.1:$admin_port/readyz"
  }
  org_run() { # phase [more args]: the driver, a trusted cluster client (gateway certificate, call key from the environment)
    local args=(--Results="$results" --Pids="$silo_pid,$redis_pid" "${cluster[@]}" "${gateway_tls[@]}" "${@:2}")
    record "$root" "${org_driver[@]}" "$1" "${args[@]}"
    "${org_driver[@]}" "$1" "${args[@]}" >"$logs/org-$1-$(date +%s%N).json" &
    driver_pid=$!
    local rc=0
    wait "$driver_pid" || rc=$?
    driver_pid=""
    [ "$rc" -eq 0 ] || say "bench.sh: the org-scale driver failed in phase $1 (exit $rc); see $logs/ and the output above" >&2
    return "$rc"
  }
  creates_vs_hasher() { # name-suffix: (a) and (b) interleaved, 1 caller then BENCH_ORG_CALLERS
    local callers
    for callers in 1 "$org_callers"; do
      phase "(a) TokenSecretHasher in process, $org_hashes hashes, $callers caller(s), bound $1"
      org_run hasher --Name="hasher-$1-$callers" --Hashes="$org_hashes" --Callers="$callers" "${@:2}" || exit 1
      phase "(b) $org_hashes creates into one organization through the silo, $callers caller(s)"
      org_run creates --Name="creates-$1-$callers" --Hashes="$org_hashes" --Callers="$callers" || exit 1
    done
  }

  note "creates/s vs the hasher, production Argon2: the silo's default bound (half the cores)"
  phase "starting the silo (production Argon2, default hasher bound) on Redis storage (logs in ${logs#"$root"/}/)"
  start_org_silo silo-production-default
  creates_vs_hasher default
  note "creates/s vs the hasher, production Argon2, bound 2 (ZeroPath:Argon2:MaxConcurrentOperations=2)"
  phase "restarting the silo: production Argon2, hasher bound 2"
  start_org_silo silo-production-bound2 --ZeroPath:Argon2:MaxConcurrentOperations=2
  creates_vs_hasher bound2 --Bound=2

  note "one organization at size: the silo restarted with cheap Argon2"
  phase "restarting the silo with cheap Argon2; seeding $org_members members and $org_tokens tokens"
  start_org_silo silo-cheap "${cheap_argon2[@]}"
  scale_ok=1
  org_run scale --SiloPid="$silo_pid" --Members="$org_members" --Tokens="$org_tokens" --Creators="$org_creators" \
    --Sample="$org_sample" --Probe="$org_probe" || scale_ok=0
  note "report"
  phase "report"
  org_run report --Report="$report" --Invocation="$invocation" --LoadBefore="$load_before" \
    --Cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" || exit 1
  say ""
  say "Report (org-scale section): $report"
  say "Raw results: $results/*.json (logs: $logs/)"
  say "bench.sh took $(($(date +%s) - started_at)) s"
  [ "$scale_ok" -eq 1 ] || die "the scale phase failed: its figures are missing from the report"
  exit 0
fi

if [ "$timing_only" -eq 1 ]; then
  note "silo (cheap Argon2)"
  phase "starting the silo (cheap Argon2) (logs in bench/results/logs/)"
  start_app silo silo ZeroPath.Silo "${silo_args[@]}" "${cheap_argon2[@]}"
  silo_pid=$started_pid
  wait_ok silo "http://127.0.0.1:$admin_port/readyz"
else
  note "silo (cheap Argon2), demo upstream, RedisEdge, PlainProxy, 2 gateways with the cache, 1 without"
  phase "starting the silo (cheap Argon2), 3 gateways, the demo upstream, RedisEdge and PlainProxy (logs in bench/results/logs/)"
  start_app silo silo ZeroPath.Silo "${silo_args[@]}" "${cheap_argon2[@]}"
  silo_pid=$started_pid
  start_app upstream tools/demo-upstream ZeroPath.DemoUpstream --Urls="http://127.0.0.1:$upstream_port"
  start_app redisedge bench/ZeroPath.Bench.RedisEdge ZeroPath.Bench.RedisEdge --Urls="http://127.0.0.1:$redisedge_port" --Redis="127.0.0.1:$edge_redis_port"
  start_app plainproxy bench/ZeroPath.Bench.PlainProxy ZeroPath.Bench.PlainProxy --Urls="http://127.0.0.1:$plainproxy_port" --Upstream="http://127.0.0.1:$upstream_port"
  wait_ok silo "http://127.0.0.1:$admin_port/readyz"
  start_app gateway-1 gateway ZeroPath.Gateway "${cluster[@]}" "${gateway_tls[@]}" --Urls="http://127.0.0.1:$gateway1_port" "${upstreams[@]}" "${secret_format[@]}"
  start_app gateway-2 gateway ZeroPath.Gateway "${cluster[@]}" "${gateway_tls[@]}" --Urls="http://127.0.0.1:$gateway2_port" "${upstreams[@]}" "${secret_format[@]}"
  start_app gateway-nocache gateway ZeroPath.Gateway "${cluster[@]}" "${gateway_tls[@]}" --Urls="http://127.0.0.1:$nocache_port" "${upstreams[@]}" "${secret_format[@]}" \
    --ZeroPath:Gateway:Cache:Enabled=false
  wait_ok upstream "http://127.0.0.1:$upstream_port/"
  wait_ok redisedge "http://127.0.0.1:$redisedge_port/healthz"
  wait_ok plainproxy "http://127.0.0.1:$plainproxy_port/healthz"
  wait_ok gateway-1 "http://127.0.0.1:$gateway1_port/readyz"
  wait_ok gateway-2 "http://127.0.0.1:$gateway2_port/readyz"
  wait_ok gateway-nocache "http://127.0.0.1:$nocache_port/readyz"
fi

if [ "$timing_only" -eq 0 ]; then
  note "phase 1, scenarios (a)-(g)"
  phase "phase 1: scenarios (a)-(g)"
  measure_start
  run_driver load
  foreign_cpu="$(measure_foreign)"
fi

note "refusal timing: its tokens hashed cheaply (the kinds that never run Argon2); revoked.earlier revoked now"
phase "refusal timing: creating the tokens that never run Argon2"
run_driver timing-seed --TimingSet=cheap

phase "phase 2: restarting the silo with production Argon2"
note "phase 2: the silo stopped (SIGTERM) and started again without the cheap Argon2 settings"
restart_silo silo-production-argon2
if [ "$timing_only" -eq 0 ]; then
  wait_ok gateway-1 "http://127.0.0.1:$gateway1_port/readyz"
  note "scenario (i)"
  run_driver cold
fi

note "refusal timing: the tokens whose wrong secrets are verified, hashed with production Argon2"
phase "refusal timing: creating the tokens hashed with production Argon2"
run_driver timing-seed --TimingSet=argon2
note "refusal timing: the silo restarted again (no grain active), then a gateway of its own (nothing cached)"
phase "refusal timing: restarting the silo, starting the timing gateway"
restart_silo silo-timing
start_app gateway-timing gateway ZeroPath.Gateway "${cluster[@]}" "${gateway_tls[@]}" --Urls="http://127.0.0.1:$timing_gateway_port" "${upstreams[@]}" "${secret_format[@]}"
wait_ok gateway-timing "http://127.0.0.1:$timing_gateway_port/readyz"
phase "refusal timing: $timing_cold ids and $timing_warm repeats per kind, interleaved"
note "refusal timing"
measure_start
run_driver timing --GatewayTiming="http://127.0.0.1:$timing_gateway_port"
timing_foreign_cpu="$(measure_foreign)"

if [ "$timing_only" -eq 1 ]; then
  phase "report: the refusal-timing section"
  note "report"
  run_driver timing-report --TimingForeignCpu="$timing_foreign_cpu"
  say ""
  say "Report (refusal-timing section): $report"
  say "Raw results: $results/timing.json, $results/timing-samples.csv (logs: $logs/)"
  say "bench.sh took $(($(date +%s) - started_at)) s"
  exit 0
fi

# (h) in process, with the product's own types, once the servers are no longer under load.
phase "scenario (h): memory per cached token and per active token grain, $memory_tokens tokens, in process"
note "scenario (h): memory, in process (bench/ZeroPath.Benchmarks/MemoryFootprint.cs)"
record "$root" dotnet "bench/ZeroPath.Benchmarks/bin/$configuration/net10.0/ZeroPath.Benchmarks.dll" memory "$memory_tokens"
dotnet "$root/bench/ZeroPath.Benchmarks/bin/$configuration/net10.0/ZeroPath.Benchmarks.dll" memory "$memory_tokens" \
  >"$results/memory.json" 2>"$logs/memory.log" || die "the memory measurement failed; see $logs/memory.log"

note "report"
phase "report"
run_driver report --Elapsed="$(($(date +%s) - started_at))" --ForeignCpu="$foreign_cpu" --TimingForeignCpu="$timing_foreign_cpu"
say ""
say "Report: $report"
say "JSON summary: $results/summary.json (raw results: $results/load.json, $results/cold.json, $results/timing.json; logs: $logs/)"
say "bench.sh took $(($(date +%s) - started_at)) s"
