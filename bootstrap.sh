#!/usr/bin/env bash
# bootstrap.sh: everything a newcomer needs, on Debian 12, as root.
#
#   ./bootstrap.sh run    install what is missing, build (Release), start a
#                         node on ./cluster.conf (Ctrl-C stops it cleanly)
#   ./bootstrap.sh test   install what is missing, build (Release, with
#                         tests), run every test
#
# Environment: BUILD_DIR (default build), JOBS (default nproc).
# Packages come from Debian's own archive only; apt-get runs only when a
# package is missing, so a machine that has them needs no network.
set -euo pipefail

cd "$(dirname "$0")"
mode="${1:-}"
build_dir="${BUILD_DIR:-build}"
jobs="${JOBS:-$(nproc)}"

packages=(
  build-essential cmake pkg-config ccache
  libcaf-dev librocksdb-dev libmsgpack-cxx-dev libboost-dev
  libboost-system-dev libsqlite3-dev libsodium-dev libcli11-dev
  libtomlplusplus-dev nlohmann-json3-dev catch2
)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
        | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
      --no-install-recommends "${missing[@]}"
  fi
}

build() {
  local tests="$1"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
    -DPARLEY_TESTS="$tests" -DPARLEY_BENCH=ON
  cmake --build "$build_dir" -j "$jobs"
}

case "$mode" in
  run)
    install_missing
    build OFF
    exec "$build_dir/tools/parleyd" --config cluster.conf
    ;;
  test)
    install_missing
    build ON
    cd "$build_dir"
    ctest -j "$jobs" --output-on-failure --timeout 300
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
