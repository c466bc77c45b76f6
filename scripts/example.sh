#!/usr/bin/env bash
# Builds kumi and runs the examples through `kumi run`: a component in the
# text format (WAVE arguments and results), a WASI 0.2 command component and
# a core module.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target kumi >/dev/null
# a component written in the text format (examples/strings.wat)
echo "+ build/kumi run --invoke 'concat([\"foo\", \"bar\", \"baz\"])' examples/strings.wat"
build/kumi run --invoke 'concat(["foo", "bar", "baz"])' examples/strings.wat
# a WASI 0.2 command component made from C (examples/hello.c)
echo "+ build/kumi run --dir examples/fs::/ examples/hello.component.wasm kumi"
build/kumi run --dir examples/fs::/ examples/hello.component.wasm kumi
# a core module
echo "+ build/kumi run --invoke fib examples/fib.wasm 20"
build/kumi run --invoke fib examples/fib.wasm 20
