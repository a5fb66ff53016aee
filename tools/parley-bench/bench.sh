#!/usr/bin/env bash
# Runs one parley-bench scenario against a fresh parleyd (empty data dir,
# tools/parley-bench/bench.conf), then stops the server. Everything stays on
# 127.0.0.1; the bench bounds itself in time.
#
#   tools/parley-bench/bench.sh BUILD_DIR [parley-bench options...]
#   tools/parley-bench/bench.sh build-rel --users 1000 --rate 0 --duration 10
#   tools/parley-bench/bench.sh build-rel --scenario group --groups 10 \
#     --members 100 --rate 1000 --duration 10
#
# --port and --server-pid are filled in here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: bench.sh BUILD_DIR [options]}" && pwd)"
shift
data="$(mktemp -d /tmp/parley-bench-XXXXXX)"
log="$data.log"
"$build/tools/parleyd" --config "$here/bench.conf" --data "$data" --port 0 \
  > "$data.out" 2> "$log" &
server=$!
cleanup() {
  kill "$server" 2> /dev/null || true
  wait "$server" 2> /dev/null || true
  rm -rf "$data" "$data.out" "$log"
}
trap cleanup EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$data.out" 2> /dev/null && break
  sleep 0.1
done
port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$data.out")"
[ -n "$port" ] || { echo "parleyd did not start:"; cat "$log"; exit 1; }
echo "# parleyd pid $server on port $port, data $data; load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/tools/parley-bench/parley-bench" --port "$port" --server-pid "$server" "$@"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
