#!/bin/bash
# WASI throughput: copy a file through fd_read/fd_write (64 KiB chunks) in
# kumi, against native cp and cat, and node's node:wasi when present.
#
#   bench/wasi/run.sh [MB]            (default 100 MB; median of RUNS=3)
#   env: KUMI=path/to/kumi (default build/kumi)   CC_WASI=clang
#        KUMI_RUN="cmd ..." to run the guest another way: it gets
#        "--dir HOST::GUEST FILE.wasm ARGS" (e.g. a test driver)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
MB=${1:-100}
RUNS=${RUNS:-3}
KUMI=${KUMI:-$here/../../build/kumi}
KUMI_RUN=${KUMI_RUN:-"$KUMI run"}
CC_WASI=${CC_WASI:-clang}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

$CC_WASI --target=wasm32-wasi -O2 -o "$tmp/copy.wasm" "$here/copy.c"
head -c $((MB * 1024 * 1024)) /dev/urandom > "$tmp/in"

# time_ms CMD...: median wall time of RUNS runs, in ms.
time_ms() {
  local ts=()
  for _ in $(seq "$RUNS"); do
    rm -f "$tmp/out"
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    ts+=($(((t1 - t0) / 1000000)))
  done
  printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

check() { cmp -s "$tmp/in" "$tmp/out" || { echo "MISMATCH: $1 did not copy the file" >&2; exit 1; }; }

row() { # name ms
  local mbs=$((MB * 1000 / ($2 > 0 ? $2 : 1)))
  printf '%-34s %7d ms %7d MB/s %8s\n' "$1" "$2" "$mbs" "$(awk -v a="$2" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')"
}

echo "copying $MB MB ($RUNS runs, median), ratio to native cp"
base=$(time_ms cp "$tmp/in" "$tmp/out"); check cp
row "native cp" "$base"
t=$(time_ms sh -c "cat '$tmp/in' > '$tmp/out'"); check cat; row "native cat (file > file)" "$t"
t=$(time_ms sh -c "$KUMI_RUN --dir '$tmp::/d' '$tmp/copy.wasm' /d/in /d/out"); check "kumi file copy"
row "kumi: copy.wasm file -> file" "$t"
t=$(time_ms sh -c "$KUMI_RUN '$tmp/copy.wasm' < '$tmp/in' > '$tmp/out'"); check "kumi stdin/stdout"
row "kumi: copy.wasm stdin -> stdout" "$t"
if command -v node >/dev/null 2>&1; then
  node_run="node --no-warnings $here/../../tests/wasi/node_wasi.cjs"
  t=$(time_ms sh -c "$node_run --dir '$tmp::/d' '$tmp/copy.wasm' /d/in /d/out"); check "node file copy"
  row "node:wasi: copy.wasm file -> file" "$t"
  t=$(time_ms sh -c "$node_run '$tmp/copy.wasm' < '$tmp/in' > '$tmp/out'"); check "node stdin/stdout"
  row "node:wasi: copy.wasm stdin -> stdout" "$t"
fi
