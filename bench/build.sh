#!/bin/sh
# Build every bench/programs/*.c to out/NAME.wasm (clang + wasm-ld, no
# wasm-opt, no libc, no imports) and to out/NAME.native (gcc -O2).
set -eu
cd "$(dirname "$0")"

CLANG=${CLANG:-clang}
WASM_LD=${WASM_LD:-wasm-ld-14}
CC=${CC:-gcc}
WASM_CFLAGS="--target=wasm32 -O2 -ffreestanding -fno-builtin -nostdlib"
NATIVE_CFLAGS="-O2 -fno-math-errno"

command -v "$WASM_LD" >/dev/null 2>&1 || WASM_LD=wasm-ld
mkdir -p out

for src in programs/*.c; do
    name=$(basename "$src" .c)
    $CLANG $WASM_CFLAGS -c "$src" -o "out/$name.o"
    $WASM_LD --no-entry --export=run "out/$name.o" -o "out/$name.wasm"
    rm -f "out/$name.o"
    # A benchmark must be self-contained: refuse any import.
    if command -v wasm-objdump >/dev/null 2>&1 &&
        wasm-objdump -j Import -x "out/$name.wasm" 2>/dev/null | grep -q ' - func\| - memory\| - global\| - table'; then
        echo "build.sh: $name.wasm has imports:" >&2
        wasm-objdump -j Import -x "out/$name.wasm" >&2
        exit 1
    fi
    $CC $NATIVE_CFLAGS -o "out/$name.native" native_main.c "$src" -lm
    echo "built $name ($(wc -c < "out/$name.wasm") bytes wasm)"
done
