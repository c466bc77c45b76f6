// Async benchmark, jco side: pipe.wasm (a stream<u8> between two
// components) and calls.wasm (async round trips) through `jco transpile`
// output on node. Usage: node jco.mjs DIR [TOTAL]   (DIR holds pipe/ and
// calls/, each from `jco transpile X.wasm --instantiation async --name X`).
// Prints the same rows as async_bench; a case jco cannot run prints why.
// CALLS (default 1000000) sync calls, JCO_ASYNC_CALLS (default 10000)
// async calls per case.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const dir = path.resolve(process.argv[2]);
const total = BigInt(process.argv[3] ?? 1073741824);
const load = async (name) => {
  const sub = path.join(dir, name);
  const { instantiate } = await import(pathToFileURL(path.join(sub, `${name}.js`)).href);
  const getCoreModule = async (m) => WebAssembly.compile(await readFile(path.join(sub, m)));
  return instantiate(getCoreModule, {});
};
const withTimeout = (p, ms) =>
  Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`no result after ${ms / 1000} s`)), ms))]);
const why = (e) => String(e && e.message ? e.message : e).split('\n')[0].slice(0, 100);

try {
  const pipe = await load('pipe');
  for (const chunk of [4096, 65536, 1048576]) {
    try {
      const t0 = process.hrtime.bigint();
      const got = await withTimeout(pipe.pipe(total, chunk), 120000);
      const ns = Number(process.hrtime.bigint() - t0);
      if (BigInt(got) !== total) throw new Error(`pipe returned ${got}, expected ${total}`);
      console.log(`jco comp->comp stream ${chunk / 1024} KiB\t${((Number(total) / ns) * 1000).toFixed(0)} MB/s`);
    } catch (e) {
      console.log(`jco comp->comp stream ${chunk / 1024} KiB\tfailed: ${why(e)}`);
    }
  }
} catch (e) {
  console.log(`jco pipe: cannot instantiate: ${why(e)}`);
}

try {
  const calls = await load('calls');
  const N = Number(process.env.CALLS ?? 1000000);
  const NA = Number(process.env.JCO_ASYNC_CALLS ?? 10000);
  const row = async (label, n, fn, expect) => {
    try {
      await withTimeout(Promise.resolve(fn(1000)), 30000); // warm up (JIT)
      const t0 = process.hrtime.bigint();
      const r = await withTimeout(Promise.resolve(fn(n)), 60000);
      const ns = Number(process.hrtime.bigint() - t0);
      if (expect !== undefined && Number(r) !== expect(n)) throw new Error(`returned ${r}`);
      console.log(`jco ${label}\t${(ns / n).toFixed(1)} ns/call`);
    } catch (e) {
      console.log(`jco ${label}\tfailed: ${why(e)}`);
    }
  };
  const tri = (n) => Number((BigInt(n) * BigInt(n + 1) / 2n) & 0xffffffffn);
  await row('host->guest sync inc', N, (n) => { let s = 0; for (let i = 0; i < n; i++) s = calls.inc(s); return s; }, (n) => n);
  await row('host->guest async now', NA, async (n) => { let s = 0; for (let i = 0; i < n; i++) s = await calls.now(s); return s; }, (n) => n);
  await row('comp->comp sync lower', N, (n) => calls.loopSync(n), tri);
  await row('comp->comp async lower, returns at once', NA, (n) => calls.loopNow(n), tri);
  await row('comp->comp async lower + wait', NA, (n) => calls.loopYield(n), tri);
} catch (e) {
  console.log(`jco calls: cannot instantiate: ${why(e)}`);
}
