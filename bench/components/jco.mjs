// Component call benchmark, jco side: the same calls as calls.c, through
// `jco transpile` output on node. Usage: node jco.mjs DIR (DIR holds calls.js
// and its core modules, from `jco transpile calls.wasm --instantiation async
// --name calls -o DIR`).
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const dir = path.resolve(process.argv[2]);
const { instantiate } = await import(pathToFileURL(path.join(dir, 'calls.js')).href);
const getCoreModule = async (name) => WebAssembly.compile(await readFile(path.join(dir, name)));
const inst = await instantiate(getCoreModule, { 'kumi:bench/host': { get: (x) => x } });

function time(label, n, fn) {
  fn(); // warm up (JIT)
  const t0 = process.hrtime.bigint();
  const r = fn();
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`${label}\t${(ns / n).toFixed(1)} ns/call\t(result ${r})`);
}
const N = 1000000;
time('host->guest inc', N, () => { let s = 0; for (let i = 0; i < N; i++) s = inst.inc(s); return s; });
time('guest->host get', N, () => inst.callHost(N));
time('comp->comp echo 16B', 100000, () => inst.echoLoop(100000, 16));
time('comp->comp echo 64KB', 2000, () => inst.echoLoop(2000, 65536));
