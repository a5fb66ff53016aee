#!/usr/bin/env bash
# Runs bench.sh (same arguments) for the entities scenario and looks into
# parleyd's glibc heap with gdb: before the activation (during its
# --settle, which should be >= 2), once all entities are active, once they
# are passivated, once they are released, and two seconds into
# --hold-passivated (which should be >= 6, so that the check has not
# started yet), where it also calls malloc_trim(0). The server is not
# changed: gdb calls glibc's malloc_stats() (and malloc_trim) inside the
# running process. Prints the bench's output, then one line per point:
# glibc's "in use" bytes (live allocations), its "system" bytes (what
# malloc holds from the kernel) and the RSS.
#
#   tools/parley-bench/heap_probe.sh BUILD_DIR --set passivate_s=180 \
#     --scenario entities --users 100000 --settle 3 --hold-passivated 10
#
# Needs gdb and ptrace rights on parleyd (root, or ptrace_scope 0). Each
# probe stops parleyd for about a second.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp /tmp/heap-probe-XXXXXX)"
"$here/bench.sh" "$@" > "$out" 2>&1 &
bench=$!
wait_for() { # PATTERN: true once the bench printed it
  while kill -0 "$bench" 2> /dev/null; do
    grep -q "$1" "$out" && return 0
    sleep 0.2
  done
  grep -q "$1" "$out"
}
# Calls malloc_stats() in parleyd and keeps a line with its totals (the
# last ones on parleyd's stderr, the log bench.sh keeps beside the data
# dir) and the RSS.
stats=()
probe() { # LABEL
  local label="$1"
  gdb -p "$pid" -batch -ex 'call (void) malloc_stats()' > /dev/null 2>&1
  local in_use system
  in_use="$(grep "^in use bytes" "$log" | tail -1 | tr -dc 0-9)"
  system="$(grep "^system bytes" "$log" | tail -1 | tr -dc 0-9)"
  stats+=("$(printf '# heap %-22s in use %7.1f MiB, system %7.1f MiB, RSS %s' \
    "$label:" "$(echo "${in_use:-0} / 1048576" | bc -l)" \
    "$(echo "${system:-0} / 1048576" | bc -l)" \
    "$(awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status")")")
}
wait_for "^# parleyd pid" || { cat "$out"; exit 1; }
pid="$(sed -n 's/^# parleyd pid \([0-9]*\) .*/\1/p' "$out")"
log="$(sed -n 's/^# parleyd pid .* data \([^;]*\);.*/\1/p' "$out").log"
# The scenario's header: --settle seconds before the activation starts.
wait_for "^ENTITIES: .* online at a time" && probe "before activation"
wait_for "all active (" && probe "all active"
wait_for "passivated (" && probe "passivated"
wait_for "released (" && probe "released"
if wait_for "held   2 s"; then
  gdb -p "$pid" -batch -ex 'call (int) malloc_trim(0)' > /dev/null 2>&1
  probe "after malloc_trim(0)"
fi
status=0
wait "$bench" || status=$?
cat "$out"
printf '%s\n' "${stats[@]+"${stats[@]}"}"
rm -f "$out"
exit "$status"
