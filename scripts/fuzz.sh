#!/usr/bin/env bash
# Fuzzes kumi's decoders and parsers with libFuzzer (clang
# -fsanitize=fuzzer,address,undefined). Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#
#   SECONDS  how long to fuzz each target (default 20; 0 only replays)
#   TARGET   fuzz_module | fuzz_instantiate | fuzz_oom | fuzz_component |
#            fuzz_comp_run | fuzz_wat | fuzz_wit (default: all)
#
# Builds the targets in build-fuzz/ with tests/fuzz/fuzz.mk (each library
# source compiled once, in parallel, into per-folder archives; re-runs
# recompile only what changed; the main CMake build is not involved),
# replays tests/fuzz/regressions/<target>-<what>.<ext>, builds seed corpora
# (conformance binaries and texts from ../shared, examples/, tests/wit)
# once, then fuzzes each target. The growing corpus is kept in
# build-fuzz/corpus/<target>/ between runs; crashes go to
# build-fuzz/artifacts/. Exits non-zero on any crash, leak, UB report, hang
# or build failure. Without clang or libFuzzer it prints why and exits 0.
set -u
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
all_targets=(fuzz_module fuzz_instantiate fuzz_oom fuzz_component fuzz_comp_run fuzz_wat fuzz_wit)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz: unknown target $t (one of: ${all_targets[*]})"; exit 2; }
done
CC=${FUZZ_CC:-clang}
out=${FUZZ_OUT:-build-fuzz}  # FUZZ_OUT: another build folder, e.g. for FUZZ_EXTRA_CFLAGS
jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)

if ! command -v "$CC" >/dev/null 2>&1; then
  echo "fuzz: skipped: $CC not found (install clang)"
  exit 0
fi
mkdir -p "$out/artifacts" "$out/seeds"
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
# fuzz.mk rebuilds everything when this file changes, so it is only
# rewritten when the compiler or the flags differ.
if [ "$(cat "$out/flags" 2>/dev/null)" != "$CC ${cflags[*]}" ]; then
  echo "$CC ${cflags[*]}" >"$out/flags"
fi
echo "== fuzz: building ${targets[*]}"
status=0
mk=(make -s -f tests/fuzz/fuzz.mk -j"$jobs" OUT="$out" CC="$CC" CFLAGS="${cflags[*]}")
# All targets at once (-k: past a file that does not compile), then each
# alone, which does nothing for a target just built and tells which fail.
"${mk[@]}" -k "${targets[@]/#/$out/}" >"$out/build.log" 2>&1
built=()
for t in "${targets[@]}"; do
  if "${mk[@]}" "$out/$t" >>"$out/build.log" 2>&1; then
    built+=("$t")
  else
    echo "FAIL: build of $t (log: $out/build.log)"
    status=1
  fi
done
[ $status -eq 0 ] || grep -E 'error|Error' "$out/build.log" | sort -u | head -10 | sed 's/^/  /'
echo "== fuzz: built in $(( $(date +%s) - start ))s"

# Prints the gist of a sanitizer/libFuzzer report: the error lines and the
# top frames of the first stack.
summarize() {
  grep -E 'ERROR|runtime error|SUMMARY|fuzz allocator|fuzz_[a-z]+:|Test unit written' "$1" | head -6 | sed 's/^/  /'
  grep -E '^ +#[0-9]+ ' "$1" | awk '/ #0 /{n++} n==1' | head -6 | sed 's/^/  /'
}

# ASAN/UBSAN: every report is fatal; leaks are checked per input by libFuzzer.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fuzz_flags=(-max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024)

# ---- regressions ---------------------------------------------------------------
# tests/fuzz/regressions-open/ holds known, still-open findings: kept, not
# replayed (move one to regressions/ once fixed).
shopt -s nullglob
for f in tests/fuzz/regressions/*; do
  t=$(basename "$f"); t=${t%%-*}
  [[ " ${built[*]} " == *" $t "* ]] || continue
  if ! "$out/$t" "${fuzz_flags[@]}" "$f" >"$out/replay.log" 2>&1; then
    echo "FAIL: regression $f ($t)"
    summarize "$out/replay.log"
    status=1
  fi
done
echo "== fuzz: replayed regressions"
[ "$secs" -gt 0 ] || { [ $status -eq 0 ] && echo "fuzz: OK" || echo "fuzz: FAILED"; exit $status; }

# ---- seed corpora ----------------------------------------------------------------
# Each is made once (into <name>.tmp, then renamed), by a few batch
# commands (a process per file would take minutes on a busy machine). Files
# keep their path below the folder they were found from (libFuzzer reads
# corpus folders recursively); files over 64 KiB are left out.
conf=../shared/conformance
need() { [[ " ${built[*]} " == *" $1 "* ]]; }
abs_out=$(cd "$out" && pwd)
# seeds NAME FROM FIND-ARGS...: copies the files `find FIND-ARGS` lists,
# run in folder FROM, to seeds/NAME.
seeds() {
  local dir=$abs_out/seeds/$1 from=$2
  shift 2
  [ -d "$dir" ] && return
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  [ -d "$from" ] && (cd "$from" && find "$@" -type f -size -65537c -print0 2>/dev/null |
    xargs -0 -r cp --parents -t "$dir.tmp")
  mv "$dir.tmp" "$dir"
}
if need fuzz_module || need fuzz_instantiate || need fuzz_oom; then
  # 2.0; the proposals the default features accept; examples.
  seeds core $conf/core/json \( -path './wasm-2.0/*' -o -path './simd/*' -o -path './tail-call/*' \
    -o -path './extended-const/*' -o -path './multi-memory/*' \) -name '*.wasm'
  seeds examples examples -name '*.wasm'
fi
# fuzz_oom takes two bytes (which allocation fails) before the module.
if need fuzz_oom && [ ! -d "$out/seeds/oom" ]; then
  rm -rf "$out/seeds/oom.tmp"; mkdir -p "$out/seeds/oom.tmp"
  i=0
  while IFS= read -r f; do
    i=$((i + 1))
    printf -v byte '\\%03o' $(( (i * 37) % 200 ))
    { printf "$byte\\000"; cat "$f"; } >"$out/seeds/oom.tmp/$i.wasm"
  done < <(find "$out/seeds/core" "$out/seeds/examples" -name '*.wasm' | sort)
  mv "$out/seeds/oom.tmp" "$out/seeds/oom"
fi
# Component binaries: the .wasm files of the component suites whose
# preamble says component (00 61 73 6d 0d 00 01 00); the rest are core.
if { need fuzz_component || need fuzz_comp_run; } && [ ! -d "$out/seeds/component" ]; then
  rm -rf "$out/seeds/component.tmp"; mkdir -p "$out/seeds/component.tmp"
  [ -d $conf/component/json ] && (cd $conf/component/json && find . -name '*.wasm' -size -65537c -print0 |
    xargs -0 -r grep -l -a -Z -P '\A\x00asm\x0d\x00\x01\x00' |
    xargs -0 -r cp --parents -t "$abs_out/seeds/component.tmp")
  mv "$out/seeds/component.tmp" "$out/seeds/component"
fi
# The example components (their text forms are parsed by the test build).
if need fuzz_comp_run || need fuzz_component; then
  seeds component-examples examples -name '*.wasm'
fi
# Module texts: the .wat files of the core suites (mostly `module quote`
# texts of assert_malformed), modules cut out of the 2.0 scripts, examples.
if need fuzz_wat && [ ! -d "$out/seeds/wat" ]; then
  rm -rf "$out/seeds/wat.tmp"; mkdir -p "$out/seeds/wat.tmp/wast"
  wasts=($conf/core/wast/wasm-2.0/*.wast)
  [ ${#wasts[@]} -gt 0 ] && awk -v dir="$out/seeds/wat.tmp/wast" -f tests/fuzz/wast_modules.awk "${wasts[@]}"
  mv "$out/seeds/wat.tmp" "$out/seeds/wat"
  seeds wat-core $conf/core/json -name '*.wat'
  seeds wat-examples examples -name '*.wat'
fi
# WIT files: the WASI interfaces, kumi's WIT tests and the old WIT corpus.
if need fuzz_wit; then
  seeds wit-wasi ../shared/spec/wasi -name '*.wit'
  seeds wit-tests tests/wit -name '*.wit'
fi

# ---- fuzz ----------------------------------------------------------------------
for t in "${built[@]}"; do
  mkdir -p "$out/corpus/$t"
  case $t in
    fuzz_oom) seed_dirs=("$out/seeds/oom") ;;
    fuzz_component | fuzz_comp_run) seed_dirs=("$out/seeds/component" "$out/seeds/component-examples") ;;
    fuzz_wat) seed_dirs=("$out/seeds/wat" "$out/seeds/wat-core" "$out/seeds/wat-examples") ;;
    fuzz_wit) seed_dirs=("$out/seeds/wit-wasi" "$out/seeds/wit-tests") ;;
    *) seed_dirs=("$out/seeds/core" "$out/seeds/examples") ;;
  esac
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  regs=$out/regress-seeds/$t
  rm -rf "$regs"; mkdir -p "$regs"
  for f in tests/fuzz/regressions/"$t"-*; do cp "$f" "$regs/"; done
  log=$out/$t.log
  echo "== fuzz: $t for ${secs}s (log: $log)"
  "$out/$t" "${fuzz_flags[@]}" "${dict[@]}" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$t-" "$out/corpus/$t" "${seed_dirs[@]}" "$regs" >"$log" 2>&1
  rc=$?
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/  /'
  if [ $rc -ne 0 ]; then
    echo "FAIL: $t exited with $rc"
    summarize "$log"
    status=1
  fi
done
echo "== fuzz: done in $(( $(date +%s) - start ))s"
[ $status -eq 0 ] && echo "fuzz: OK" || echo "fuzz: FAILED"
exit $status
