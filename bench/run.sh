#!/bin/bash
# Time each benchmark natively and in each available wasm engine; print a
# table with ratios to native and a geometric-mean row; flag checksum mismatches.
#
# SIMD programs (simd_*.c, built as NAME.simd.wasm and NAME.scalar.wasm) get
# a second table: native, kumi and node on both builds.
#
# usage: bench/run.sh [NAME[:N] ...]      (default: every programs/*.c and simd_*.c at its bench-n)
# env:   KUMI=path (default build/kumi)   RUNS=3 (median of RUNS per engine; native uses 10)
#        TIMEOUT=300 (seconds per run)     NO_NODE=1 / NO_INTERP=1 to skip columns
#        NO_SIMD=1 to skip the SIMD programs when no NAME is given
set -eu

start_dir=$(pwd)
cd "$(dirname "$0")"
bench_dir=$(pwd)
KUMI=${KUMI:-$bench_dir/../build/kumi}
case $KUMI in /*) ;; */*) KUMI=$start_dir/$KUMI ;; *) KUMI=$(command -v "$KUMI" || echo "$KUMI") ;; esac
RUNS=${RUNS:-3}
NATIVE_RUNS=${NATIVE_RUNS:-10}
TIMEOUT=${TIMEOUT:-300}

[ -d out ] || { echo "run.sh: no bench/out; run bench/build.sh first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

to=""
command -v timeout >/dev/null 2>&1 && to="timeout $TIMEOUT"

# measure RUNS CMD...: run CMD RUNS times; print "MEDIAN_MS CHECKSUM" (u32,
# the last integer CMD prints), wall-clock time including process start-up,
# or "fail fail" if any run fails or prints no number.
measure() {
    local runs=$1 i t0 t1 out self sum="" times=""
    shift
    for ((i = 0; i < runs; i++)); do
        t0=$EPOCHREALTIME
        if ! $to "$@" >"$tmp/out" 2>"$tmp/err"; then
            echo "  $* failed: $(cat "$tmp/err" "$tmp/out" | head -c 300 | tr '\n' ' ')" >&2
            echo "fail fail"; return
        fi
        t1=$EPOCHREALTIME
        # An engine may report its own time as "bench-ms: T" on stderr (node does).
        self=$(sed -n 's/^bench-ms: \([0-9.]*\)$/\1/p' "$tmp/err" | tail -n 1)
        times="$times $(awk -v a="$t0" -v b="$t1" -v s="$self" 'BEGIN { printf "%.1f", s != "" ? s : (b - a) * 1000 }')"
        out=$(grep -oE -- '-?[0-9]+' "$tmp/out" | tail -n 1 || true)
        [ -n "$out" ] || { echo "  $* printed no result" >&2; echo "fail fail"; return; }
        sum=$(awk -v x="$out" 'BEGIN { printf "%.0f", (x % 4294967296 + 4294967296) % 4294967296 }')
    done
    printf '%s\n' $times | sort -n | awk -v s="$sum" '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], s }'
}

# --- which engines exist -------------------------------------------------
# kumi's --invoke syntax for core modules is kumi's to settle: "args" is
# `--invoke run FILE N`, "wave" is `--invoke 'run(N)' FILE`. Probe with fib(10).
kumi_cmd() { # NAME N -> array kcmd
    if [ $kumi_style = args ]; then kcmd=("$KUMI" run --invoke run "out/$1.wasm" "$2")
    else kcmd=("$KUMI" run --invoke "run($2)" "out/$1.wasm"); fi
}
use_kumi=0
if [ -x "$KUMI" ]; then
    for kumi_style in args wave; do
        kumi_cmd fib 10
        if [ "$(measure 1 "${kcmd[@]}" 2>"$tmp/probe" | cut -d' ' -f2)" = 55 ]; then
            use_kumi=1; break
        fi
    done
    if [ $use_kumi = 0 ]; then
        cat "$tmp/probe" >&2
        echo "note: $KUMI cannot call run in fib.wasm (tried both --invoke forms); skipping kumi column" >&2
    fi
else
    echo "note: kumi not found at $KUMI (set KUMI=...); skipping kumi column" >&2
fi
use_interp=0
if [ -z "${NO_INTERP:-}" ] && command -v wasm-interp >/dev/null 2>&1 &&
    command -v wasm2wat >/dev/null 2>&1 && command -v wat2wasm >/dev/null 2>&1; then
    use_interp=1
else
    echo "note: NO_INTERP set or wasm-interp/wasm2wat/wat2wasm missing; skipping wasm-interp column" >&2
fi
use_node=0
if [ -z "${NO_NODE:-}" ] && command -v node >/dev/null 2>&1; then use_node=1
else echo "note: NO_NODE set or node missing; skipping node column" >&2; fi

# wasm-interp (wabt 1.0.32) can only call exports without parameters, so wrap:
# add an export "bench_main" that calls run(N), and use --run-all-exports.
interp_module() { # NAME N -> path of wrapped module
    local ref
    ref=$(wasm2wat "out/$1.wasm" | sed -n 's/.*(export "run" (func \([^)]*\))).*/\1/p')
    wasm2wat "out/$1.wasm" |
        sed '$ s/)$/\n  (func (export "bench_main") (result i32) i32.const '"$2"' call '"$ref"'))/' |
        wat2wasm - -o "$tmp/$1.interp.wasm"
    echo "$tmp/$1.interp.wasm"
}

# --- run -------------------------------------------------------------------
if [ $# -eq 0 ]; then
    for f in programs/*.c; do f=${f##*/}; set -- "$@" "${f%.c}"; done
    if [ -z "${NO_SIMD:-}" ]; then
        for f in simd_*.c; do [ -e "$f" ] && set -- "$@" "${f%.c}"; done
    fi
fi
plain=() simd=()
for spec in "$@"; do
    case $spec in simd_*) simd+=("$spec") ;; *) plain+=("$spec") ;; esac
done

# bench_n SPEC: the n of NAME:N, else the bench-n: in the program's header.
bench_n() {
    local name=${1%%:*} n=${1#*:}
    if [ "$n" = "$1" ]; then
        local src=programs/$name.c
        [ -f "$src" ] || src=$name.c
        n=$(sed -n 's/.*bench-n: \([0-9]*\).*/\1/p' "$src" | head -n 1)
    fi
    echo "$n"
}

status=0
: >"$tmp/results"
for spec in ${plain[@]+"${plain[@]}"}; do
    name=${spec%%:*}
    n=$(bench_n "$spec")
    [ -f "out/$name.wasm" ] || { echo "run.sh: out/$name.wasm missing (build.sh?)" >&2; exit 1; }
    echo "running $name (n=$n)..." >&2
    read -r nat_ms nat_sum < <(measure "$NATIVE_RUNS" "out/$name.native" "$n")
    row="$name $n $nat_ms"
    for engine in kumi interp node; do
        ms=- sum=-
        case $engine in
        kumi) if [ $use_kumi = 1 ]; then
                  kumi_cmd "$name" "$n"
                  read -r ms sum < <(measure "$RUNS" "${kcmd[@]}")
              fi ;;
        interp) [ $use_interp = 0 ] ||
                  read -r ms sum < <(measure "$RUNS" wasm-interp "$(interp_module "$name" "$n")" --run-all-exports) ;;
        node) [ $use_node = 0 ] || read -r ms sum < <(measure "$RUNS" node node_run.cjs "out/$name.wasm" "$n") ;;
        esac
        if [ "$sum" = fail ]; then
            status=1
        elif [ "$sum" != - ] && [ "$sum" != "$nat_sum" ]; then
            echo "MISMATCH: $name n=$n $engine checksum $sum, native $nat_sum" >&2
            ms="$ms!"
            status=1
        fi
        row="$row $ms"
    done
    echo "$row" >>"$tmp/results"
done

# --- table -----------------------------------------------------------------
[ ${#plain[@]} = 0 ] || awk '
function num(x) { return x ~ /^[0-9.]+$/ && x > 0 }
function cell(x) { return num(x) ? sprintf("%.1f", x) : x }
function ratio(a, b) { return (num(a) && num(b)) ? sprintf("%.1fx", a / b) : "-" }
function geo(c) { return cnt[c] ? exp(lsum[c] / cnt[c]) : "-" }
function add(c, x) { if (num(x)) { lsum[c] += log(x); cnt[c]++ } }
BEGIN {
    fmt = "%-10s %9s %10s %10s %12s %10s %9s %9s %9s\n"
    printf fmt, "benchmark", "n", "native ms", "kumi ms", "interp ms", "node ms", "kumi/nat", "intp/nat", "node/nat"
}
{
    printf fmt, $1, $2, cell($3), cell($4), cell($5), cell($6), ratio($4, $3), ratio($5, $3), ratio($6, $3)
    for (c = 3; c <= 6; c++) add(c, $c)
    for (c = 4; c <= 6; c++) if (num($c) && num($3)) add(c + 4, $c / $3)
}
END {
    printf fmt, "geomean", "", cell(geo(3)), cell(geo(4)), cell(geo(5)), cell(geo(6)),
        (cnt[8] ? sprintf("%.1fx", geo(8)) : "-"), (cnt[9] ? sprintf("%.1fx", geo(9)) : "-"),
        (cnt[10] ? sprintf("%.1fx", geo(10)) : "-")
}' "$tmp/results"

# --- SIMD programs ------------------------------------------------------------
# Each runs natively (the scalar C path, gcc -O2) and, in kumi and node, as
# NAME.simd.wasm and NAME.scalar.wasm. kumi's SIMD column is skipped with a
# note when kumi cannot run a SIMD module at all.
if [ ${#simd[@]} != 0 ]; then
    use_kumi_simd=$use_kumi
    if [ $use_kumi = 1 ]; then
        probe=${simd[0]%%:*}
        kumi_cmd "$probe.simd" 1
        want=$(measure 1 "out/$probe.native" 1 2>/dev/null | cut -d' ' -f2)
        if [ "$(measure 1 "${kcmd[@]}" 2>"$tmp/probe" | cut -d' ' -f2)" != "$want" ]; then
            use_kumi_simd=0
            cat "$tmp/probe" >&2
            echo "note: $KUMI cannot run $probe.simd.wasm; skipping the kumi SIMD column" >&2
        fi
    fi
    : >"$tmp/simd"
    for spec in "${simd[@]}"; do
        name=${spec%%:*}
        n=$(bench_n "$spec")
        for v in simd scalar; do
            [ -f "out/$name.$v.wasm" ] || { echo "run.sh: out/$name.$v.wasm missing (build.sh?)" >&2; exit 1; }
        done
        echo "running $name (n=$n)..." >&2
        read -r nat_ms nat_sum < <(measure "$NATIVE_RUNS" "out/$name.native" "$n")
        row="$name $n $nat_ms"
        for col in kumi.simd kumi.scalar node.simd node.scalar; do
            ms=- sum=-
            case $col in
            kumi.simd) use=$use_kumi_simd ;;
            kumi.*) use=$use_kumi ;;
            node.*) use=$use_node ;;
            esac
            if [ "$use" = 1 ]; then
                case $col in
                kumi.*) kumi_cmd "$name.${col#*.}" "$n"
                        read -r ms sum < <(measure "$RUNS" "${kcmd[@]}") ;;
                node.*) read -r ms sum < <(measure "$RUNS" node node_run.cjs "out/$name.${col#*.}.wasm" "$n") ;;
                esac
            fi
            if [ "$sum" = fail ]; then
                status=1
            elif [ "$sum" != - ] && [ "$sum" != "$nat_sum" ]; then
                echo "MISMATCH: $name n=$n $col checksum $sum, native $nat_sum" >&2
                ms="$ms!"
                status=1
            fi
            row="$row $ms"
        done
        echo "$row" >>"$tmp/simd"
    done
    [ ${#plain[@]} = 0 ] || echo
    # kumi/nat and node/nat for both builds; the last column is kumi's
    # speed-up from SIMD (scalar time / SIMD time).
    awk '
function num(x) { return x ~ /^[0-9.]+$/ && x > 0 }
function cell(x) { return num(x) ? sprintf("%.1f", x) : x }
function ratio(a, b) { return (num(a) && num(b)) ? sprintf("%.1fx", a / b) : "-" }
function ratio2(a, b) { return (num(a) && num(b)) ? sprintf("%.2fx", a / b) : "-" }
BEGIN {
    fmt = "%-10s %6s %8s %10s %10s %10s %10s %9s %9s %9s %9s %9s\n"
    printf fmt, "simd", "n", "nat ms", "kumi simd", "kumi scal", "node simd", "node scal",
        "ksimd/nat", "kscal/nat", "nsimd/nat", "nscal/nat", "kumi gain"
}
{
    printf fmt, $1, $2, cell($3), cell($4), cell($5), cell($6), cell($7),
        ratio($4, $3), ratio($5, $3), ratio($6, $3), ratio($7, $3), ratio2($5, $4)
}' "$tmp/simd"
fi
[ $status = 0 ] || echo "some engines failed or disagreed with native (see above; ! = checksum mismatch)" >&2
exit $status
