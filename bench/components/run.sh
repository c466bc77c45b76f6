#!/usr/bin/env bash
# Component call benchmark: kumi (calls.c, linked with libkumi) beside
# jco transpile + node, on the same component (calls.wasm, from calls.wat).
# A benchmark, not a test. Usage (from the repository root, after building
# kumi in build/): bench/components/run.sh
#   BUILD  kumi's CMake build folder (default build)
#   JCO    the jco command (default: npx -y @bytecodealliance/jco@1.34.0)
set -eu
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
out=bench/out/components
mkdir -p "$out"
cc -O2 -std=c11 -Iinclude bench/components/calls.c "$build/libkumi.a" -luv -lm -o "$out/calls"
echo "== kumi"
"$out/calls" bench/components/calls.wasm
if command -v node >/dev/null 2>&1; then
  jco=${JCO:-npx -y @bytecodealliance/jco@1.34.0}
  if $jco transpile bench/components/calls.wasm --instantiation async --name calls -o "$out/jco" >/dev/null 2>&1; then
    echo "== jco transpile + node $(node --version)"
    node bench/components/jco.mjs "$out/jco"
  else
    echo "== jco: skipped ($jco transpile failed; set JCO to a jco command)"
  fi
else
  echo "== jco: skipped (no node)"
fi
