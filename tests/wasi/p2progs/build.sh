#!/bin/sh
# Remakes the committed command components: each PROG.c here is compiled
# with clang --target=wasm32-wasi against Debian's wasi-libc (packages
# clang, lld-14, wasi-libc, libclang-rt-14-dev-wasm32: scripts/deps.sh test)
# and wrapped with the preview1 adapter jco ships:
#   jco new PROG.wasm --wasi-command -o PROG.component.wasm
# The components are committed because CI machines may have no npm; after
# remaking them, remake the expected outputs with node_expected.sh and
# review the diff.
#   tests/wasi/p2progs/build.sh [PROG...]
# Environment: CC (default clang), JCO (default: /tmp/jco's jco if present,
# else `npx -y @bytecodealliance/jco@1.34.0`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-clang}
if [ -z "${JCO:-}" ]; then
  if [ -x /tmp/jco/node_modules/.bin/jco ]; then JCO=/tmp/jco/node_modules/.bin/jco
  else JCO="npx -y @bytecodealliance/jco@1.34.0"; fi
fi
progs=${*:-$(cd "$here" && ls *.c | sed 's/\.c$//')}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in $progs; do
  $CC --target=wasm32-wasi -Os -g0 -Wall -Wextra -Werror -Wl,--strip-all \
    -o "$tmp/$p.wasm" "$here/$p.c"
  $JCO new "$tmp/$p.wasm" --wasi-command -o "$here/$p.component.wasm"
  echo "built $p.component.wasm ($(wc -c <"$here/$p.component.wasm") bytes)"
done
