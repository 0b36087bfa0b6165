#!/usr/bin/env bash
# Restores, builds and runs every test; exits non-zero on any failure.
# Needs only the .NET SDK pinned in global.json; NuGet packages are restored from the registry.
set -euo pipefail
cd "$(dirname "$0")"

configuration="${CONFIGURATION:-Release}"
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

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
echo "==> test"
status=0
dotnet test ZeroPath.Orleans.sln -c "$configuration" --no-build \
  --blame-hang-timeout 5m \
  --logger "console;verbosity=normal" 2>&1 | tee "$results/test.log" || status=$?

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
