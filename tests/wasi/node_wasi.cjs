// Runs a wasm32-wasi command under node's own WASI (node:wasi, preview1),
// for comparing its output with kumi's. Usage:
//   node --no-warnings node_wasi.cjs [--dir HOST::GUEST]... [--env NAME=VALUE]...
//        [--stdin FILE] WASM [ARGS...]
// argv[0] of the guest is WASM's file name. Exits with the guest's status.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { WASI } = require('node:wasi');

const preopens = {};
const env = {};
let stdinFd;
let i = 2;
for (; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--dir') {
    const spec = process.argv[++i];
    const sep = spec.indexOf('::');
    preopens[sep < 0 ? spec : spec.slice(sep + 2)] = sep < 0 ? spec : spec.slice(0, sep);
  } else if (a === '--env') {
    const kv = process.argv[++i];
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else if (a === '--stdin') {
    stdinFd = fs.openSync(process.argv[++i], 'r');
  } else {
    break;
  }
}
const wasm = process.argv[i];
const args = [path.basename(wasm), ...process.argv.slice(i + 1)];
const options = { version: 'preview1', args, env, preopens, returnOnExit: true };
if (stdinFd !== undefined) options.stdin = stdinFd;
const wasi = new WASI(options);
const wasmModule = new WebAssembly.Module(fs.readFileSync(wasm));
const instance = new WebAssembly.Instance(wasmModule, wasi.getImportObject());
let status = 0;
try {
  status = wasi.start(instance);
} catch (e) {
  process.stderr.write(`node: ${e && e.message ? e.message : e}\n`);
  status = 1;
}
process.exitCode = status === undefined ? 0 : status;
