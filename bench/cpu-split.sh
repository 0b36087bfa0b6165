#!/usr/bin/env bash
# CPU seconds each process of a local system spent during a window: where the cores went while wrk was running.
#   bench/cpu-split.sh [seconds] [pattern]   (defaults: 10, the gateway, silo, Azurite, redis-server and wrk)
# Reads utime+stime from /proc/<pid>/stat before and after the window; run it while the load you want to split runs.
set -euo pipefail
seconds="${1:-10}"
pattern="${2:-ZeroPath.Gateway.dll|ZeroPath.Silo.dll|ZeroPath.Bench|azurite|redis-server|wrk}"
snapshot() {
  for pid in $(pgrep -f "$pattern"); do
    [ -r "/proc/$pid/stat" ] && printf '%s %s\n' "$pid" "$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')"
  done | sort
}
before=$(snapshot)
sleep "$seconds"
after=$(snapshot)
ticks=$(getconf CLK_TCK)
printf 'CPU seconds in %s s (%s cores available):\n' "$seconds" "$(nproc)"
join <(printf '%s\n' "$before") <(printf '%s\n' "$after") | while read -r pid was now; do
  name=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-70) || continue
  awk -v d="$((now - was))" -v t="$ticks" -v n="$name" 'BEGIN { printf "%7.2f  %s\n", d / t, n }'
done | sort -rn
