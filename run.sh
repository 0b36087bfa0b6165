#!/usr/bin/env bash
# Runs the whole system locally on embedded defaults:
#   redis-server on 6379 (membership, grain state and reminders; append-only file fsynced before every reply), data in
#   .run/; N silos (admin API on 8081, 8083, ...; Orleans ports 11111+i and 30000+i), M gateways (8080, 8082, ...),
#   and a demo upstream on 9090 that echoes what it receives.
#   --storage azure keeps grain state and reminders in Azure Table storage instead: Azurite on 10002, data in .run/.
# Every acknowledged write survives kill -9 of everything with the default storage; Azurite keeps its tables in memory
# and saves them every few seconds and on Ctrl-C, so --storage azure is for trying the production provider, not for
# keeping data through a crash. Tokens survive stopping and restarting it (with the secret format key kept in .run/).
# Ctrl-C or SIGTERM stops everything it started.
#
#   ./run.sh [--silos N] [--gateways M] [--storage redis|azure] [--no-build]
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=scripts-lib.sh
. ./scripts-lib.sh
configuration="${CONFIGURATION:-Release}"
# ZP_RUN_DIR and ZP_RUN_PORT_OFFSET (both optional) move the state folder and every port, so a test can run this script
# beside a developer's own run.
state="${ZP_RUN_DIR:-$root/.run}"
o="${ZP_RUN_PORT_OFFSET:-0}"
logs="$state/logs"
silos=1
gateways=1
storage=redis
build=1

say() { printf '%s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }
usage() {
  say "usage: ./run.sh [--silos N] [--gateways M] [--storage redis|azure] [--no-build]"
  say "  --silos N, --gateways M   from 1 to 9 (default 1 each)"
  say "  --storage redis           grain state and reminders in the redis-server it starts (default): every"
  say "                            acknowledged write is fsynced first and survives kill -9 of everything"
  say "  --storage azure           in Azure Table storage (Azurite on 10002), the production option; Azurite"
  say "                            saves to disk every few seconds, so a crash loses the last writes"
  say "  Each store keeps its own tokens in .run/: switching shows the other store's tokens, nothing moves."
  say "  --no-build                use the last build"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --silos) silos="${2:-}"; shift 2 ;;
    --gateways) gateways="${2:-}"; shift 2 ;;
    --storage) storage="${2:-}"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ "$silos" =~ ^[1-9]$ ]] || die "--silos takes a number from 1 to 9 (was '$silos')"
[[ "$gateways" =~ ^[1-9]$ ]] || die "--gateways takes a number from 1 to 9 (was '$gateways')"
[[ "$storage" =~ ^(redis|azure)$ ]] || die "--storage takes redis or azure (was '$storage')"
[[ "$o" =~ ^[0-9]{1,5}$ ]] && [ "$o" -le 35000 ] || die "ZP_RUN_PORT_OFFSET takes a number from 0 to 35000 (was '$o')"

command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is required; see global.json for the version."
command -v curl >/dev/null 2>&1 || { say "==> installing curl"; apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
command -v openssl >/dev/null 2>&1 || { say "==> installing openssl"; apt-get update -qq && apt-get install -y -qq openssl >/dev/null; }
ensure_servers_installed

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=($((6379 + o)) $((9090 + o)))
[ "$storage" = redis ] || ports+=($((10002 + o)))
for ((i = 0; i < silos; i++)); do ports+=($((8081 + o + 2 * i)) $((11111 + o + i)) $((30000 + o + i))); done
for ((j = 0; j < gateways; j++)); do ports+=($((8080 + o + 2 * j)) $((9001 + o + j))); done
for port in "${ports[@]}"; do
  port_in_use "$port" && die "port $port on 127.0.0.1 is already in use; stop whatever holds it (an earlier ./run.sh?) and retry."
done

# The admin key goes to the silos only (not exported: gateways and the upstream never see it), and is printed only
# when this script made it.
admin_key="${ZP_ADMIN_KEY:-}"
admin_key_next="${ZP_ADMIN_KEY_NEXT:-}"
unset ZP_ADMIN_KEY ZP_ADMIN_KEY_NEXT
if [ -z "$admin_key" ]; then
  admin_key="$(random_password)"
  generated_key=1
fi

# Secrets kept in .run/ (mode 600) with the tokens, handed to processes in the environment, never in argv:
# - the secret format key (checksum and tag of every issued secret; secrets issued under it stop validating without
#   it): silos and gateways;
# - the cluster call key (proves a grain call came from a silo): silos only;
# - the Redis password: redis-server, silos and gateways;
# - the cluster plane's CA and certificates (mutual TLS between silos and from gateways): .run/tls/.
mkdir -p "$state"
format_key="$(keep_secret "$state/secret-format-key" random_key)"
call_key="$(keep_secret "$state/cluster-call-key" random_key)"
# - the identity signing key (gateways sign the identity headers; the demo upstream verifies them):
signing_key="$(keep_secret "$state/identity-signing-key" random_key)"
redis_password="$(keep_secret "$state/redis-password" random_password)"
# - the webhook signing key (derives each webhook's signing secret; the same on every silo):
webhook_key="$(keep_secret "$state/webhook-signing-key" random_key)"
tls="$state/tls"
deploy/tls/make-cluster-certs.sh "$tls"

if [ "$build" -eq 1 ]; then
  say "==> building ($configuration)"
  dotnet build ZeroPath.Orleans.sln -c "$configuration" -v quiet -nologo >/dev/null || dotnet build ZeroPath.Orleans.sln -c "$configuration"
fi

mkdir -p "$logs"
pids=()         # everything, for the liveness checks
app_pids=()     # silos, gateways, upstream: stopped first, while membership and storage are still there
server_pids=()  # redis-server (and Azurite): stopped last

stop() {
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    say ""
    say "==> stopping"
    stop_group TERM 30 "${app_pids[@]}"
    # SIGINT: Azurite saves its database on SIGINT only; redis-server flushes its AOF on either.
    stop_group INT 10 "${server_pids[@]}"
  fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

start_app() { # log-name project assembly args...
  local name="$1" folder="$root/$2/bin/$configuration/net10.0" assembly="$3"
  shift 3
  (cd "$folder" && exec dotnet "$assembly.dll" "$@") >"$logs/$name.log" 2>&1 &
  pids+=("$!")
  app_pids+=("$!")
}

wait_ok() { # name url
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || die "a process exited while waiting for $1; see $logs/"
    done
    sleep 0.5
  done
  die "$1 did not become ready at $2; see $logs/$1.log"
}

# Grain state and reminders: in the cluster's redis-server (the default), or in Azure Table storage (Azurite).
if [ "$storage" = redis ]; then
  say "==> starting redis-server (membership, grain state, reminders; data in .run/)"
  storage_args=(--ZeroPath:Storage:Provider=Redis)
else
  say "==> starting redis-server (membership) and Azurite (grain state, reminders; data in .run/)"
  storage_args=(--ZeroPath:Storage:Provider=AzureTable --ZeroPath:Storage:ConnectionString="$(azurite_connection $((10002 + o)))")
fi
start_redis $((6379 + o)) "$state/redis" "$logs/redis.log" "$redis_password"
pids+=("$started_pid")
server_pids+=("$started_pid")
if [ "$storage" = azure ]; then
  start_azurite $((10002 + o)) "$state/azurite" "$logs/azurite.log"
  pids+=("$started_pid")
  server_pids+=("$started_pid")
  wait_for_port $((10002 + o)) Azurite "$logs/azurite.log"
fi
wait_for_port $((6379 + o)) redis-server "$logs/redis.log"

# A new cluster id each run: membership rows of a killed earlier run cannot confuse this one. State and reminders are
# keyed by the service id, which stays, so tokens survive restarts.
cluster_id="local-$(date +%s)"
cluster=(--ZeroPath:Cluster:ClusterId="$cluster_id" --ZeroPath:Cluster:Redis=127.0.0.1:$((6379 + o))
  --ZeroPath:Cluster:Tls:CaCertificatePath="$tls/ca.pem")

say "==> starting $silos silo(s), $gateways gateway(s) and the demo upstream (logs in .run/logs/)"
for ((i = 0; i < silos; i++)); do
  ZeroPath__SecretFormat__CurrentKeyId=l1 ZeroPath__SecretFormat__Keys__l1="$format_key" \
    ZeroPath__Cluster__CallKey="$call_key" ZP_ADMIN_KEY="$admin_key" ZP_ADMIN_KEY_NEXT="$admin_key_next" \
    ZeroPath__Cluster__RedisPassword="$redis_password" ZeroPath__Webhooks__SigningKey="$webhook_key" \
    start_app "silo-$i" silo ZeroPath.Silo "${cluster[@]}" \
    --ZeroPath:Cluster:Tls:CertificatePath="$tls/silo.pem" --ZeroPath:Cluster:Tls:KeyPath="$tls/silo.key" \
    --Urls="http://127.0.0.1:$((8081 + o + 2 * i))" --ZeroPath:Silo:SiloName="silo-$i" \
    --ZeroPath:Silo:SiloPort=$((11111 + o + i)) --ZeroPath:Silo:GatewayPort=$((30000 + o + i)) \
    "${storage_args[@]}"
done
ZeroPath__Gateway__IdentitySigning__Keys__l1="$signing_key" start_app upstream tools/demo-upstream ZeroPath.DemoUpstream --Urls="http://127.0.0.1:$((9090 + o))"
for ((i = 0; i < silos; i++)); do wait_ok "silo-$i" "http://127.0.0.1:$((8081 + o + 2 * i))/readyz"; done
for ((j = 0; j < gateways; j++)); do
  ZeroPath__SecretFormat__Keys__l1="$format_key" ZeroPath__Cluster__RedisPassword="$redis_password" \
    ZeroPath__Gateway__IdentitySigning__Keys__l1="$signing_key" ZeroPath__Gateway__IdentitySigning__CurrentKeyId=l1 \
    start_app "gateway-$j" gateway ZeroPath.Gateway "${cluster[@]}" \
    --ZeroPath:Cluster:Tls:CertificatePath="$tls/gateway.pem" --ZeroPath:Cluster:Tls:KeyPath="$tls/gateway.key" \
    --Urls="http://127.0.0.1:$((8080 + o + 2 * j))" --ZeroPath:Gateway:ExtAuthz:Listen="http://127.0.0.1:$((9001 + o + j))" \
    --ZeroPath:Upstreams:V1="http://127.0.0.1:$((9090 + o))" --ZeroPath:Upstreams:V2="http://127.0.0.1:$((9090 + o))"
done
wait_ok upstream "http://127.0.0.1:$((9090 + o))/"
for ((j = 0; j < gateways; j++)); do wait_ok "gateway-$j" "http://127.0.0.1:$((8080 + o + 2 * j))/readyz"; done

say ""
say "ZeroPath token cluster is running (cluster id $cluster_id)."
for ((j = 0; j < gateways; j++)); do say "  gateway $j    http://127.0.0.1:$((8080 + o + 2 * j))   (/api/v1/**, /api/v2/**, /auth/check, /healthz, /readyz); Envoy ext_authz gRPC on h2c://127.0.0.1:$((9001 + o + j))"; done
for ((i = 0; i < silos; i++)); do say "  silo $i       http://127.0.0.1:$((8081 + o + 2 * i))   (admin API /admin/v1/**, needs the admin key)"; done
say "  upstream     http://127.0.0.1:$((9090 + o))   (demo: echoes method, path and headers, and whether the identity signature is valid)"
if [ "$storage" = redis ]; then
  say "  redis        127.0.0.1:$((6379 + o))       membership, grain state and reminders (data in $state)"
else
  say "  redis        127.0.0.1:$((6379 + o))       membership; Azurite table service 127.0.0.1:$((10002 + o)): grain state and reminders (data in $state)"
fi
say "  cluster      mutual TLS (certificates in .run/tls/); Redis password in .run/redis-password"
if [ -n "${generated_key:-}" ]; then
  say "  admin key    generated for this run (set ZP_ADMIN_KEY to choose your own):"
  say ""
  say "  export ZP_ADMIN_KEY='$admin_key'"
else
  say "  admin key    yours, from ZP_ADMIN_KEY (export it in the other shell too)"
fi
cat <<INFO

Try it (in another shell, with ZP_ADMIN_KEY set):

  # 1. make alice a member of organization acme
  curl -s -X PUT http://127.0.0.1:8081/admin/v1/orgs/acme/members/alice \\
    -H "Authorization: Bearer \$ZP_ADMIN_KEY" -H 'Content-Type: application/json' \\
    -d '{"permissions": ["scans:read", "vulns:write"]}'

  # 2. create a token for her (the secret is shown once)
  curl -s -X POST http://127.0.0.1:8081/admin/v1/orgs/acme/tokens \\
    -H "Authorization: Bearer \$ZP_ADMIN_KEY" -H 'Content-Type: application/json' \\
    -d '{"userId": "alice", "name": "CI", "expiresInDays": 30}'

  # 3. call the API through the gateway with the two values from step 2: 200 from the demo upstream
  curl -s http://127.0.0.1:8080/api/v2/vulnerabilities/search \\
    -H "X-ZeroPath-API-Token-Id: <tokenId>" -H "X-ZeroPath-API-Token-Secret: <tokenSecret>"

  # 4. a wrong secret: 401 invalid_token
  curl -s http://127.0.0.1:8080/api/v2/vulnerabilities/search \\
    -H "X-ZeroPath-API-Token-Id: <tokenId>" -H "X-ZeroPath-API-Token-Secret: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

  # 5. delete the token; step 3 now answers 401
  curl -s -X DELETE http://127.0.0.1:8081/admin/v1/orgs/acme/tokens/<tokenId> -H "Authorization: Bearer \$ZP_ADMIN_KEY"

Tokens are kept in .run/ and survive a restart of ./run.sh (delete .run/ to start empty).
Press Ctrl-C to stop.
INFO

wait -n "${pids[@]}" || true
die "a process exited unexpectedly; see $logs/"
