#!/bin/sh
# Remakes hello.component.wasm from hello.c (see hello.c). Needs clang,
# lld-14, wasi-libc, libclang-rt-14-dev-wasm32 (scripts/deps.sh test) and
# jco (JCO, default `npx -y @bytecodealliance/jco@1.34.0`).
set -eu
cd "$(dirname "$0")"
JCO=${JCO:-npx -y @bytecodealliance/jco@1.34.0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
clang --target=wasm32-wasi -Os -g0 -Wall -Wextra -Werror -Wl,--strip-all -o "$tmp/hello.wasm" hello.c
$JCO new "$tmp/hello.wasm" --wasi-command -o hello.component.wasm
