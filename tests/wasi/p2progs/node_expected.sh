#!/bin/sh
# Remakes the expected outputs PROG.out: each PROG.component.wasm here is
# run by `jco transpile` + node (jco's @bytecodealliance/preview2-shim as
# the WASI 0.2 host) the way check.cmake runs it under `kumi run`: the
# fixture of check.cmake as the only preopen "/", stdin from stdin.txt, no
# environment, argv ["PROG"], and "exit status: N" appended to stdout.
# Where kumi rightly differs, say so in divergences.txt instead of editing
# a .out file.
#   tests/wasi/p2progs/node_expected.sh [PROG...]
# Environment: JCO_DIR, a folder whose node_modules holds
# @bytecodealliance/jco and @bytecodealliance/preview2-shim (default
# /tmp/jco; made with `npm install --prefix DIR @bytecodealliance/jco@1.34.0`
# if missing), NODE (default node).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
JCO_DIR=${JCO_DIR:-/tmp/jco}
NODE=${NODE:-node}
if [ ! -d "$JCO_DIR/node_modules/@bytecodealliance/preview2-shim" ]; then
  npm install --prefix "$JCO_DIR" @bytecodealliance/jco@1.34.0 >&2
fi
progs=${*:-$(cd "$here" && ls *.component.wasm | sed 's/\.component\.wasm$//')}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The transpiled modules and the runner must load the same shim instance
# (the runner configures it), so both resolve it from this node_modules.
ln -s "$JCO_DIR/node_modules" "$tmp/node_modules"
cat >"$tmp/run.mjs" <<'JS'
// node run.mjs MODULE.js ROOT PROG: runs a transpiled wasi:cli/run command.
import { pathToFileURL } from "node:url";
import { _setPreopens } from "@bytecodealliance/preview2-shim/filesystem";
import { _setArgs, _setEnv, _setCwd } from "@bytecodealliance/preview2-shim/cli";
const [mod, root, prog] = process.argv.slice(2);
_setPreopens({ "/": root });
_setArgs([prog]);
_setEnv({});
_setCwd("/");
const m = await import(pathToFileURL(mod).href);
const run = m.run ?? m["wasi:cli/run@0.2.0"] ?? m["wasi:cli/run@0.2.3"];
try {
  run.run();
} catch (e) {
  // The command returned err (the adapter's nonzero exit without wasi:cli/exit).
  if (e?.constructor?.name !== "ComponentError") console.error(e);
  process.exitCode = 1;
}
JS
for p in $progs; do
  "$JCO_DIR/node_modules/.bin/jco" transpile "$here/$p.component.wasm" -o "$tmp/$p" -q --no-typescript
  cmake -DMAKE_FIXTURE="$tmp/fixture" -P "$here/check.cmake"
  set +e
  "$NODE" "$tmp/run.mjs" "$tmp/$p/$p.component.js" "$tmp/fixture/root" "$p" \
    <"$here/stdin.txt" >"$tmp/$p.stdout" 2>"$tmp/$p.stderr"
  rc=$?
  set -e
  { cat "$tmp/$p.stdout"; echo "exit status: $rc"; } >"$here/$p.out"
  echo "$p: exit status $rc, $(wc -l <"$here/$p.out") lines; stderr:" >&2
  cat "$tmp/$p.stderr" >&2
  # A sandbox escape under node must not touch the real outside.
  ls "$tmp/fixture" | tr '\n' ' ' | sed 's/^/  outside the root: /;s/$/\n/' >&2
done
