#!/bin/bash
# Start-up of WASI 0.2 command components: `kumi run` against `jco
# transpile` + node (jco's @bytecodealliance/preview2-shim as the host) on
#   - hello: a hello-world C program (wasi-libc, `jco new --wasi-command`),
#   - the largest component of wasi-testsuite's *-wasip2-adapted folders,
#     run with its .json spec's root preopened as "/" and its args
#     (a fresh copy of the root before every run),
# each run to its end, whole process included. Prints the median wall time
# of each, and node's time over kumi's. jco transpile runs once per
# component beforehand, untimed (reported apart: it is node's compile step).
# Uses hyperfine when installed (median of its runs; HYPERFINE=none to
# skip it), else a loop of RUNS runs timed with date +%s%N.
#
#   bench/wasi/p2_startup.sh
#   env: KUMI (default build/kumi), RUNS (default 20), CC_WASI (clang),
#        SUITE (default /work/shared/conformance/wasi-testsuite),
#        JCO_DIR: a folder whose node_modules holds @bytecodealliance/jco
#        and preview2-shim (default /tmp/jco; npm-installed there if missing)
# Needs clang --target=wasm32-wasi with wasi-libc, node and npm (or JCO_DIR).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
KUMI=${KUMI:-$here/../../build/kumi}
RUNS=${RUNS:-20}
CC_WASI=${CC_WASI:-clang}
SUITE=${SUITE:-/work/shared/conformance/wasi-testsuite}
JCO_DIR=${JCO_DIR:-/tmp/jco}
HYPERFINE=${HYPERFINE:-hyperfine}
if [ ! -d "$JCO_DIR/node_modules/@bytecodealliance/preview2-shim" ]; then
  npm install --prefix "$JCO_DIR" @bytecodealliance/jco@1.34.0 >&2
fi
JCO=$JCO_DIR/node_modules/.bin/jco
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$JCO_DIR/node_modules" "$tmp/node_modules"

# node run.mjs MODULE.js ROOT|- ARGS...: runs a transpiled wasi:cli/run
# command with ROOT as "/" (or none), empty environment, exit status as kumi.
cat >"$tmp/run.mjs" <<'JS'
import { pathToFileURL } from "node:url";
import { _setPreopens } from "@bytecodealliance/preview2-shim/filesystem";
import { _setArgs, _setEnv } from "@bytecodealliance/preview2-shim/cli";
const [mod, root, ...args] = process.argv.slice(2);
_setPreopens(root === "-" ? {} : { "/": root });
_setArgs([mod, ...args]);
_setEnv({});
const m = await import(pathToFileURL(mod).href);
try {
  (m.run ?? m["wasi:cli/run@0.2.0"]).run();
} catch (e) {
  if (e?.constructor?.name !== "ComponentError") console.error(e);
  process.exitCode = 1;
}
JS

# The hello-world component.
printf '#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }\n' >"$tmp/hello.c"
$CC_WASI --target=wasm32-wasi -Os -g0 -Wl,--strip-all -o "$tmp/hello.wasm" "$tmp/hello.c"
"$JCO" new "$tmp/hello.wasm" --wasi-command -o "$tmp/hello.component.wasm" >/dev/null

# The largest adapted wasi-testsuite component, and its spec.
big=$(ls -S "$SUITE"/*-wasip2-adapted/*.wasm | head -n 1)
spec=${big%.wasm}.json
read_spec() { # field: prints the spec's root (or -) or args (one a line)
  [ -f "$spec" ] || { [ "$1" = root ] && echo -; return; }
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (process.argv[2] === "root") console.log(s.root ?? "-");
    else for (const a of s.args ?? []) console.log(a);' "$spec" "$1"
}
root=$(read_spec root)
mapfile -t args < <(read_spec args)
# Before each run: a fresh writable copy of the root. A script file, as
# hyperfine -N runs --prepare without a shell (so no && there).
scratch=$tmp/root
printf 'true\n' >"$tmp/nothing.sh"
kumi_dir=()
node_root=-
if [ "$root" != "-" ]; then
  printf 'rm -rf "%s" && cp -r "%s" "%s" && chmod -R u+w "%s"\n' \
    "$scratch" "$(dirname "$big")/$root" "$scratch" "$scratch" >"$tmp/fresh.sh"
  kumi_dir=(--dir "$scratch::/")
  node_root=$scratch
else
  cp "$tmp/nothing.sh" "$tmp/fresh.sh"
fi

transpile() { # NAME FILE: prints the seconds jco transpile took
  local t0 t1
  t0=$(date +%s%N)
  "$JCO" transpile "$2" -o "$tmp/js-$1" --name "$1" -q --no-typescript
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

# median_ms PREPARE.sh CMD...: median wall time in ms over RUNS runs.
median_ms() {
  local prep=$1
  shift
  if command -v "$HYPERFINE" >/dev/null; then
    local q=() a
    for a in "$@"; do q+=("$(printf '%q' "$a")"); done
    "$HYPERFINE" -N -w 2 -r "$RUNS" --prepare "sh $prep" --export-json "$tmp/h.json" \
      --output=pipe "${q[*]}" >/dev/null 2>&1 || { echo "hyperfine failed: $*" >&2; exit 1; }
    node -e 'const r = require(process.argv[1]).results[0];
             console.log(Math.round(r.median * 1000))' "$tmp/h.json"
  else
    local ts=() t0 t1
    for _ in $(seq "$RUNS"); do
      sh "$prep"
      t0=$(date +%s%N)
      "$@" >/dev/null 2>&1 </dev/null || true
      t1=$(date +%s%N)
      ts+=($(((t1 - t0) / 1000000)))
    done
    printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
  fi
}

# check NAME PREPARE.sh: both runners should give the same stdout and status.
check() {
  local name=$1 prep=$2 k n
  shift 2
  sh "$prep"
  "$KUMI" run "${kumi_cur[@]}" >"$tmp/k.out" 2>/dev/null </dev/null && k=0 || k=$?
  sh "$prep"
  node "$tmp/run.mjs" "${node_cur[@]}" >"$tmp/n.out" 2>/dev/null </dev/null && n=0 || n=$?
  if [ "$k" != "$n" ] || ! cmp -s "$tmp/k.out" "$tmp/n.out"; then
    echo "warning: $name: kumi (status $k) and node (status $n) differ" >&2
  fi
}

printf '%-44s %9s %9s %11s %13s\n' component "kumi ms" "node ms" "node/kumi" "transpile ms"
row() { # ID NAME FILE PREPARE.sh (the transpiled module: $tmp/js-ID/ID.js)
  local id=$1 name=$2 file=$3 prep=$4 tms km nm
  tms=$(transpile "$id" "$file")
  check "$name" "$prep"
  km=$(median_ms "$prep" "$KUMI" run "${kumi_cur[@]}")
  nm=$(median_ms "$prep" node "$tmp/run.mjs" "${node_cur[@]}")
  printf '%-44s %9d %9d %10sx %13d\n' "$name ($(($(wc -c <"$file") / 1024)) KiB)" "$km" "$nm" \
    "$(awk -v a="$nm" -v b="$km" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1) }')" "$tms"
}

kumi_cur=("$tmp/hello.component.wasm")
node_cur=("$tmp/js-hello/hello.js" -)
row hello hello "$tmp/hello.component.wasm" "$tmp/nothing.sh"
bigname=$(basename "$(dirname "$big")")/$(basename "$big")
kumi_cur=("${kumi_dir[@]}" "$big" "${args[@]}")
node_cur=("$tmp/js-big/big.js" "$node_root" "${args[@]}")
row big "$bigname" "$big" "$tmp/fresh.sh"
echo "(median of $RUNS runs$(command -v "$HYPERFINE" >/dev/null && echo ', hyperfine'); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
