#!/usr/bin/env bash
# Runs one parley-bench scenario against a fresh parleyd (empty data dir,
# tools/parley-bench/bench.conf), then stops the server. Everything stays on
# 127.0.0.1; the bench bounds itself in time.
#
#   tools/parley-bench/bench.sh BUILD_DIR [--set KEY=VALUE]... \
#     [--env VAR=VALUE]... [parley-bench options...]
#   tools/parley-bench/bench.sh build-rel --users 1000 --rate 0 --duration 10
#   tools/parley-bench/bench.sh build-rel --scenario group --groups 10 \
#     --members 100 --rate 1000 --duration 10
#   tools/parley-bench/bench.sh build-rel --set passivate_s=120 \
#     --env MALLOC_ARENA_MAX=2 --scenario entities --users 100000
#   tools/parley-bench/bench.sh build-rel --set heartbeat_s=1 \
#     --scenario presence --users 2000 --disappear vanish
#
# --set KEY=VALUE (before the bench's options, repeatable): the server runs
# with a copy of bench.conf whose [server] KEY is VALUE (a key bench.conf
# lacks is added). --env VAR=VALUE: parleyd runs with that environment
# variable (e.g. glibc's MALLOC_ARENA_MAX, MALLOC_TRIM_THRESHOLD_).
# --port, --server-pid, --server-conf (the conf used) and --server-data are
# filled in here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: bench.sh BUILD_DIR [--set K=V]... [--env V=X]... [options]}" && pwd)"
shift
sets=()
envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --set) sets+=("${2:?--set needs KEY=VALUE}"); shift 2 ;;
    --env) envs+=("${2:?--env needs VAR=VALUE}"); shift 2 ;;
    *) break ;;
  esac
done
data="$(mktemp -d /tmp/parley-bench-XXXXXX)"
log="$data.log"
conf="$data.conf"
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2> /dev/null || true
  [ -n "${server:-}" ] && wait "$server" 2> /dev/null || true
  rm -rf "$data" "$data.out" "$log" "$conf"
}
trap cleanup EXIT
cp "$here/bench.conf" "$conf"
for kv in "${sets[@]+"${sets[@]}"}"; do
  key="${kv%%=*}"
  value="${kv#*=}"
  [[ "$key" =~ ^[a-z_]+$ && "$kv" == *=* ]] || { echo "bad --set $kv"; exit 2; }
  if grep -q "^$key *=" "$conf"; then
    sed -i "s|^$key *=.*|$key = $value  # --set|" "$conf"
  else
    sed -i "s|^\[server\]\$|[server]\n$key = $value  # --set|" "$conf"
  fi
done
env ${envs[@]+"${envs[@]}"} "$build/tools/parleyd" --config "$conf" \
  --data "$data" --port 0 > "$data.out" 2> "$log" &
server=$!
for _ in $(seq 100); do
  grep -q "listening on" "$data.out" 2> /dev/null && break
  sleep 0.1
done
port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$data.out")"
[ -n "$port" ] || { echo "parleyd did not start:"; cat "$log"; exit 1; }
echo "# parleyd pid $server on port $port, data $data; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for kv in "${sets[@]+"${sets[@]}"}" "${envs[@]+"${envs[@]}"}"; do
  echo "#   with $kv"
done
"$build/tools/parley-bench/parley-bench" --port "$port" --server-pid "$server" \
  --server-conf "$conf" --server-data "$data" "$@"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# What the server said about memory (runtime/memory_release.hpp).
grep "memory release" "$log" | sed 's/^/# server: /' || true
