#!/usr/bin/env bash
# Component Model async benchmark (a benchmark, not a test):
#   - a stream<u8> of 1 GiB between two components (pipe.wat), and between
#     the host and a component both ways through include/kumi_async.h
#     (host.wat), in chunks of 4 KiB, 64 KiB and 1 MiB: MB/s and the ratio
#     to memcpy of the same bytes in the same chunks;
#   - async call round trips (calls.wat): ns per call beside sync calls;
#   - the same component-to-component cases under jco transpile + node,
#     when node has JS promise integration (WebAssembly.promising, node 24+).
# Usage, from anywhere: bench/async/run.sh
#   BUILD        kumi's Release build folder (default build-release; configured
#                and built here when it is missing, `--target kumi` otherwise)
#   RUNS         runs per case, the best is shown (default 3)
#   TOTAL        bytes per stream run (default 1073741824)
#   CALLS        sync calls per run (default 1000000)
#   ASYNC_CALLS  async calls per run under kumi (default 100000; see README.md)
#   NODE, JCO    node (>= 24) and jco commands (default node, and
#                npx -y @bytecodealliance/jco@1.34.0); JCO_TOTAL bytes per
#                jco stream run (default 67108864: jco moves ~10 MB/s);
#                JCO_ASYNC_CALLS async calls per jco case (default 10000)
set -eu
cd "$(dirname "$0")/../.."
build=${BUILD:-build-release}
out=bench/out/async
mkdir -p "$out"

log=$out/build.log
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DKUMI_TESTS=OFF >"$log" 2>&1 || { tail -20 "$log"; exit 1; }
fi
if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt"; then
  echo "warning: $build is not a Release build (CMAKE_BUILD_TYPE); figures will be low" >&2
fi
cmake --build "$build" -j2 --target kumi >"$log" 2>&1 || { tail -20 "$log"; exit 1; }
uv=$(sed -n 's/^LIBUV_LIBRARY:FILEPATH=//p' "$build/CMakeCache.txt")
libs=("$build/libkumi.a" ${uv:+"$uv"} -lm)

for f in pipe calls host; do
  "$build/kumi" parse "bench/async/$f.wat" -o "$out/$f.wasm"
done
cflags=(-O2 -std=c11 -Wall -Wextra -Iinclude)
cc "${cflags[@]}" bench/async/async_bench.c "${libs[@]}" -o "$out/async_bench"

echo "== kumi ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$out/async_bench" "$out"
echo
if cc "${cflags[@]}" bench/async/host_stream.c "${libs[@]}" -o "$out/host_stream" 2>"$out/host_stream.log"; then
  "$out/host_stream" "$out" || echo "(a host stream case failed; see above)"
else
  echo "host <-> guest streams: not measured (host_stream.c does not build against this libkumi:" \
       "$(grep -m1 -o 'undefined reference to .*\|error: .*' "$out/host_stream.log"))"
fi

echo
node=${NODE:-node}
if ! command -v "$node" >/dev/null 2>&1; then
  echo "== jco: skipped (no node)"
elif [ "$("$node" -e 'console.log(typeof WebAssembly.promising)' 2>/dev/null)" != function ]; then
  echo "== jco: skipped ($node $("$node" --version) has no WebAssembly.promising, which jco's async" \
       "output needs; set NODE to node 24 or later)"
else
  jco=${JCO:-npx -y @bytecodealliance/jco@1.34.0}
  ok=1
  for f in pipe calls; do
    rm -rf "${out:?}/jco/$f"
    $jco transpile "$out/$f.wasm" --instantiation async --name "$f" -o "$out/jco/$f" >/dev/null 2>&1 || ok=0
  done
  if [ $ok = 1 ]; then
    echo "== jco transpile + node $("$node" --version) (stream: ${JCO_TOTAL:-67108864} bytes per run, one run)"
    "$node" bench/async/jco.mjs "$out/jco" "${JCO_TOTAL:-67108864}"
  else
    echo "== jco: skipped ($jco transpile failed; set JCO to a jco command)"
  fi
fi
