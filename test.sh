#!/usr/bin/env bash
# Restores, builds and runs every test; exits non-zero on any failure.
# Installs what the integration tests need (redis-server with apt-get, Azurite and Helm with npm ci), starts them on free
# loopback ports and stops them afterwards, also when tests fail. Needs the .NET SDK pinned in global.json.
set -euo pipefail
cd "$(dirname "$0")"

configuration="${CONFIGURATION:-Release}"
results="$(mktemp -d)"
# shellcheck source=scripts-lib.sh
. ./scripts-lib.sh

server_pids=()
cleanup() {
  if [ "${#server_pids[@]}" -gt 0 ]; then
    # SIGINT: Azurite saves its database on SIGINT only.
    kill -INT "${server_pids[@]}" 2>/dev/null || true
    wait "${server_pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$results"
}
trap cleanup EXIT

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET SDK (dotnet) is required; see global.json for the version." >&2
  exit 2
fi

echo "==> restore"
dotnet restore ZeroPath.Orleans.sln
echo "==> build ($configuration, warnings are errors)"
dotnet build ZeroPath.Orleans.sln -c "$configuration" --no-restore
echo "==> format check"
dotnet format ZeroPath.Orleans.sln --verify-no-changes --no-restore
ensure_servers_installed
# The Helm chart tests (tests/ZeroPath.Silo.Tests/Deploy) lint and render deploy/helm with this binary.
ZP_TEST_HELM="$(ensure_helm)"
export ZP_TEST_HELM
# openssl: the cluster-certificate script (deploy/tls) is tested as run.sh uses it.
command -v openssl >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; }
echo "==> starting redis-server and Azurite on free loopback ports"
redis_port=$(free_port)
azurite_port=$(free_port)
# Membership Redis wants a password, as in ./run.sh and production: every integration test authenticates.
redis_password="$(random_password)"
start_redis "$redis_port" "$results/redis" "$results/redis.log" "$redis_password"
server_pids+=("$started_pid")
start_azurite "$azurite_port" "$results/azurite" "$results/azurite.log"
server_pids+=("$started_pid")
wait_for_port "$redis_port" redis-server "$results/redis.log"
wait_for_port "$azurite_port" Azurite "$results/azurite.log"
export ZP_TEST_REDIS="127.0.0.1:$redis_port,password=$redis_password,abortConnect=false"
ZP_TEST_STORAGE="$(azurite_connection "$azurite_port")"
export ZP_TEST_STORAGE

echo "==> test"
status=0
dotnet test ZeroPath.Orleans.sln -c "$configuration" --no-build \
  --blame-hang-timeout 5m \
  --logger "console;verbosity=detailed" 2>&1 | tee "$results/test.log" || status=$?

# Detailed verbosity prints what each test wrote, so the fault tests' figures are in the CI log.
# One closing line for CI: the sum over every test assembly.
count() { awk -v key="$1:" '$1 == key && $2 ~ /^[0-9]+$/ {s += $2} END {print s + 0}' "$results/test.log"; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Skipped)
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  status=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
