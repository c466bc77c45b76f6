#!/usr/bin/env bash
# Installs what kumi needs on Debian/Ubuntu, if it is not there yet.
#   scripts/deps.sh        building: a C compiler, CMake, make, cJSON (the
#                          wast runner reads the conformance manifests with it)
#                          SIMDe (the interpreter's v128 lane operations) and
#                          libuv (the component runtime's event loop)
#   scripts/deps.sh test   also what the tests use (below)
set -eu
need=()
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v make >/dev/null 2>&1 || need+=(make)
[ -f /usr/include/cjson/cJSON.h ] || need+=(libcjson-dev)
[ -f /usr/include/simde/wasm/simd128.h ] || need+=(libsimde-dev)
[ -f /usr/include/uv.h ] || need+=(libuv1-dev)
if [ "${1:-}" = test ]; then
# The WASI tests (tests/wasi) compile C programs to wasm32-wasi with clang
# against wasi-libc, and compare with node's node:wasi; they skip, saying
# so, when these are missing.
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v wasm-ld >/dev/null 2>&1 || [ -x /usr/lib/llvm-14/bin/wasm-ld ] || need+=(lld-14)
[ -f /usr/include/wasm32-wasi/stdio.h ] || need+=(wasi-libc)
compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a' >/dev/null || need+=(libclang-rt-14-dev-wasm32)
command -v node >/dev/null 2>&1 || need+=(nodejs)
# The fuzz targets (scripts/fuzz.sh) need libFuzzer, from clang's runtime.
compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null || need+=(libclang-rt-14-dev)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to apt-get install ${need[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
