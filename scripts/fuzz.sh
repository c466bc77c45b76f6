#!/usr/bin/env bash
# Fuzzes the core engine with libFuzzer (clang -fsanitize=fuzzer,address,
# undefined). Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#
#   SECONDS  how long to fuzz each target (default 20; 0 only replays)
#   TARGET   fuzz_module | fuzz_instantiate | fuzz_oom (default: all)
#
# Builds the targets in build-fuzz/ straight from src/base and src/core (the
# main CMake build is not involved), replays tests/fuzz/regressions/*
# (named <target>-<what>.wasm), builds a seed corpus from the conformance
# binaries (../shared/conformance/core/json/wasm-2.0 and the proposals kumi
# enables by default, when present) and examples/*.wasm, then fuzzes each
# target. The growing corpus is kept in
# build-fuzz/corpus/<target>/ between runs; crashes go to
# build-fuzz/artifacts/. Exits non-zero on any crash, leak, UB report or
# hang. Without clang or libFuzzer it prints why and exits 0.
set -u
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_module fuzz_instantiate fuzz_oom)
CC=${FUZZ_CC:-clang}
out=${FUZZ_OUT:-build-fuzz}  # FUZZ_OUT: another build folder, e.g. for FUZZ_EXTRA_CFLAGS
jobs=$(nproc 2>/dev/null || echo 2)

if ! command -v "$CC" >/dev/null 2>&1; then
  echo "fuzz: skipped: $CC not found (install clang)"
  exit 0
fi
mkdir -p "$out/obj" "$out/artifacts" "$out/seeds"
probe=$out/probe.c
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$probe" -o "$out/probe" >"$out/probe.log" 2>&1; then
  echo "fuzz: skipped: $CC cannot build libFuzzer targets (on Debian: apt-get install libclang-rt-14-dev)"
  sed 's/^/  /' "$out/probe.log" | head -5
  exit 0
fi

# ---- build -------------------------------------------------------------------
cflags=(-std=c11 -g -O1 -fno-omit-frame-pointer -ffp-contract=off -Wall -Wextra -Wno-unused-parameter
        -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude -Isrc -Itests/fuzz)
# FUZZ_EXTRA_CFLAGS, e.g. -fno-sanitize=pointer-overflow, lets a campaign look
# past a known report; the default build checks everything.
read -r -a extra <<<"${FUZZ_EXTRA_CFLAGS:-}"
cflags+=("${extra[@]}")
headers=$(ls include/*.h src/base/*.h src/core/*.h src/core/*.def tests/fuzz/*.h)
newest_header=$(ls -t $headers | head -1)
# A change of compiler or flags rebuilds everything.
if [ "$(cat "$out/flags" 2>/dev/null)" != "$CC ${cflags[*]}" ]; then
  rm -f "$out"/obj/*.o
  echo "$CC ${cflags[*]}" >"$out/flags"
fi
objs=()
todo=()
for src in src/base/*.c src/core/*.c tests/fuzz/fuzz_exec.c; do
  obj=$out/obj/$(echo "${src%.c}" | tr / _).o
  objs+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then todo+=("$src"); fi
done
if [ ${#todo[@]} -gt 0 ]; then
  echo "== fuzz: compiling ${#todo[@]} files"
  export CC out
  printf '%s\n' "${todo[@]}" | xargs -P "$jobs" -I{} sh -c \
    'o="$out/obj/$(echo "{}" | sed "s/\.c$//" | tr / _).o"; '"$CC"' '"${cflags[*]}"' -fsanitize=fuzzer-no-link -c "{}" -o "$o" || { rm -f "$o"; exit 1; }' \
    || { echo "fuzz: build failed"; exit 1; }
fi
for t in "${targets[@]}"; do
  "$CC" "${cflags[@]}" -fsanitize=fuzzer "tests/fuzz/$t.c" "${objs[@]}" -lm -o "$out/$t" || { echo "fuzz: link of $t failed"; exit 1; }
done

# Prints the gist of a sanitizer/libFuzzer report: the error lines and the
# top frames of the first stack.
summarize() {
  grep -E 'ERROR|runtime error|SUMMARY|fuzz allocator|fuzz_module:|Test unit written' "$1" | head -6 | sed 's/^/  /'
  grep -E '^ +#[0-9]+ ' "$1" | awk '/ #0 /{n++} n==1' | head -6 | sed 's/^/  /'
}

status=0
# ASAN/UBSAN: every report is fatal; leaks are checked per input by libFuzzer.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fuzz_flags=(-max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024)

# ---- regressions ---------------------------------------------------------------
shopt -s nullglob
for f in tests/fuzz/regressions/*; do
  t=$(basename "$f"); t=${t%%-*}
  [[ " ${targets[*]} " == *" $t "* ]] || continue
  if ! "$out/$t" "${fuzz_flags[@]}" "$f" >"$out/replay.log" 2>&1; then
    echo "FAIL: regression $f ($t)"
    summarize "$out/replay.log"
    status=1
  fi
done
echo "== fuzz: replayed regressions"

# ---- seed corpus ---------------------------------------------------------------
seeds=$out/seeds/core
if [ ! -d "$seeds" ]; then
  mkdir -p "$seeds.tmp"
  # 2.0 first; then the proposals the default features accept.
  for f in ../shared/conformance/core/json/{wasm-2.0,simd,tail-call,extended-const,multi-memory}/*.wasm \
      examples/*.wasm; do
    [ -f "$f" ] || continue
    [ "$(stat -c %s "$f")" -le 65536 ] || continue
    cp "$f" "$seeds.tmp/$(echo "$f" | tr / _ | sed 's/^[._]*//')"
  done
  mv "$seeds.tmp" "$seeds"
fi
# fuzz_oom takes two bytes (which allocation fails) before the module.
if [ ! -d "$out/seeds/oom" ]; then
  mkdir -p "$out/seeds/oom.tmp"
  i=0
  for f in "$seeds"/*; do
    i=$((i + 1))
    n=$(( (i * 37) % 200 ))
    { printf "\\$(printf %03o $n)\\000"; cat "$f"; } >"$out/seeds/oom.tmp/$(basename "$f")"
  done
  mv "$out/seeds/oom.tmp" "$out/seeds/oom"
fi

# ---- fuzz ----------------------------------------------------------------------
if [ "$secs" -gt 0 ]; then
  for t in "${targets[@]}"; do
    mkdir -p "$out/corpus/$t"
    seed_dir=$seeds
    [ "$t" = fuzz_oom ] && seed_dir=$out/seeds/oom
    regs=$out/regress-seeds/$t
    rm -rf "$regs"; mkdir -p "$regs"
    for f in tests/fuzz/regressions/"$t"-*; do cp "$f" "$regs/"; done
    log=$out/$t.log
    echo "== fuzz: $t for ${secs}s (log: $log)"
    "$out/$t" "${fuzz_flags[@]}" -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/$t-" "$out/corpus/$t" "$seed_dir" "$regs" >"$log" 2>&1
    rc=$?
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/  /'
    if [ $rc -ne 0 ]; then
      echo "FAIL: $t exited with $rc"
      summarize "$log"
      status=1
    fi
  done
fi
[ $status -eq 0 ] && echo "fuzz: OK" || echo "fuzz: FAILED"
exit $status
