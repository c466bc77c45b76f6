#!/usr/bin/env bash
# Builds kumi and runs the examples through `kumi run`: a component (WAVE
# arguments and results) and a core module.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target kumi >/dev/null
echo "+ build/kumi run --invoke 'list([\"foo\", \"bar\", \"baz\"])' examples/concat.wasm"
build/kumi run --invoke 'list(["foo", "bar", "baz"])' examples/concat.wasm
echo "+ build/kumi run --invoke fib examples/fib.wasm 20"
build/kumi run --invoke fib examples/fib.wasm 20
