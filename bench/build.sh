#!/bin/sh
# Build every bench/programs/*.c to out/NAME.wasm (clang + wasm-ld, no
# wasm-opt, no libc, no imports) and to out/NAME.native (gcc -O2); and every
# bench/simd_*.c twice for wasm - out/NAME.simd.wasm (-O3 -msimd128) and
# out/NAME.scalar.wasm (-O3, no SIMD, vectorizers off) - plus out/NAME.native.
set -eu
cd "$(dirname "$0")"

CLANG=${CLANG:-clang}
WASM_LD=${WASM_LD:-wasm-ld-14}
CC=${CC:-gcc}
WASM_CFLAGS="--target=wasm32 -O2 -ffreestanding -fno-builtin -nostdlib"
NATIVE_CFLAGS="-O2 -fno-math-errno"

command -v "$WASM_LD" >/dev/null 2>&1 || WASM_LD=wasm-ld
SIMD_CFLAGS="--target=wasm32 -O3 -ffreestanding -fno-builtin -nostdlib"
mkdir -p out

# A benchmark must be self-contained: refuse any import.
check_imports() { # FILE.wasm
    if command -v wasm-objdump >/dev/null 2>&1 &&
        wasm-objdump -j Import -x "$1" 2>/dev/null | grep -q ' - func\| - memory\| - global\| - table'; then
        echo "build.sh: $1 has imports:" >&2
        wasm-objdump -j Import -x "$1" >&2
        exit 1
    fi
}

# How many SIMD instructions FILE.wasm has ("?" without wasm-objdump).
simd_ops() { # FILE.wasm
    if command -v wasm-objdump >/dev/null 2>&1; then
        wasm-objdump -d "$1" | grep -cE '\| *(v128|[if](8x16|16x8|32x4|64x2))[._]' || true
    else
        echo "?"
    fi
}

for src in programs/*.c; do
    name=$(basename "$src" .c)
    $CLANG $WASM_CFLAGS -c "$src" -o "out/$name.o"
    $WASM_LD --no-entry --export=run "out/$name.o" -o "out/$name.wasm"
    rm -f "out/$name.o"
    check_imports "out/$name.wasm"
    $CC $NATIVE_CFLAGS -o "out/$name.native" native_main.c "$src" -lm
    echo "built $name ($(wc -c < "out/$name.wasm") bytes wasm)"
done

# SIMD programs: the same source with and without wasm SIMD. The scalar build
# must have no SIMD instruction, and the SIMD build some.
for src in simd_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    $CLANG $SIMD_CFLAGS -msimd128 -c "$src" -o "out/$name.simd.o"
    $CLANG $SIMD_CFLAGS -fno-vectorize -fno-slp-vectorize -c "$src" -o "out/$name.scalar.o"
    for v in simd scalar; do
        $WASM_LD --no-entry --export=run "out/$name.$v.o" -o "out/$name.$v.wasm"
        rm -f "out/$name.$v.o"
        check_imports "out/$name.$v.wasm"
    done
    ops=$(simd_ops "out/$name.simd.wasm")
    if [ "$ops" != "?" ] && { [ "$ops" = 0 ] || [ "$(simd_ops "out/$name.scalar.wasm")" != 0 ]; }; then
        echo "build.sh: $name: expected SIMD instructions in $name.simd.wasm only" >&2
        exit 1
    fi
    $CC $NATIVE_CFLAGS -o "out/$name.native" native_main.c "$src" -lm
    echo "built $name ($(wc -c < "out/$name.simd.wasm") bytes simd wasm with $ops SIMD instructions," \
        "$(wc -c < "out/$name.scalar.wasm") bytes scalar wasm)"
done
