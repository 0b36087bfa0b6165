#!/usr/bin/env bash
# Builds and runs the whole system locally on embedded defaults: one silo (admin API on 8081), the gateway (8080)
# and a demo upstream (9090) that echoes what it receives. Ctrl-C or SIGTERM stops everything it started.
set -euo pipefail
cd "$(dirname "$0")"
root="$(pwd)"
configuration="${CONFIGURATION:-Release}"
logs="$root/.run/logs"

say() { printf '%s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is required; see global.json for the version."
command -v curl >/dev/null 2>&1 || { say "==> installing curl"; apt-get update -qq && apt-get install -y -qq curl >/dev/null; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 8080 8081 9090 11111 30000; do
  port_in_use "$port" && die "port $port on 127.0.0.1 is already in use; stop whatever holds it (an earlier ./run.sh?) and retry."
done

if [ -z "${ZP_ADMIN_KEY:-}" ]; then
  ZP_ADMIN_KEY="$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')"
  generated_key=1
fi
export ZP_ADMIN_KEY

say "==> building ($configuration)"
dotnet build ZeroPath.Orleans.sln -c "$configuration" -v quiet -nologo >/dev/null || dotnet build ZeroPath.Orleans.sln -c "$configuration"

mkdir -p "$logs"
pids=()
stop() {
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    say ""
    say "==> stopping"
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

start() { # name project assembly
  local folder="$root/$2/bin/$configuration/net10.0"
  (cd "$folder" && exec dotnet "$3.dll") >"$logs/$1.log" 2>&1 &
  pids+=("$!")
}

wait_ok() { # name url
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || die "$1 exited; see $logs/$1.log"
    done
    sleep 0.5
  done
  die "$1 did not become ready at $2; see $logs/$1.log"
}

say "==> starting silo, demo upstream and gateway (logs in .run/logs/)"
start silo silo ZeroPath.Silo
start upstream tools/demo-upstream ZeroPath.DemoUpstream
wait_ok silo http://127.0.0.1:8081/readyz
start gateway gateway ZeroPath.Gateway
wait_ok upstream http://127.0.0.1:9090/
wait_ok gateway http://127.0.0.1:8080/readyz

cat <<INFO

ZeroPath token cluster is running.
  gateway      http://127.0.0.1:8080   (/api/v1/**, /api/v2/**, /auth/check, /healthz, /readyz)
  admin API    http://127.0.0.1:8081   (/admin/v1/**, needs the admin key)
  upstream     http://127.0.0.1:9090   (demo: echoes method, path and headers)
INFO
if [ -n "${generated_key:-}" ]; then
  say "  admin key    generated for this run (set ZP_ADMIN_KEY to choose your own)"
fi
cat <<INFO

Try it (in another shell):

  export ZP_ADMIN_KEY='$ZP_ADMIN_KEY'

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

Press Ctrl-C to stop.
INFO

wait -n "${pids[@]}" || true
die "a process exited unexpectedly; see $logs/"
