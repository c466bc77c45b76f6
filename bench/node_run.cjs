// usage: node node_run.cjs FILE.wasm N
// Instantiates FILE with no imports, prints run(N) as u32 on stdout, and on
// stderr "bench-ms: T", the time to compile, instantiate and run (excluding
// node's ~100 ms process startup, which would otherwise swamp the number).
const fs = require('fs');
const [file, n] = process.argv.slice(2);
const bytes = fs.readFileSync(file);
const t0 = process.hrtime.bigint();
const mod = new WebAssembly.Module(bytes);
const instance = new WebAssembly.Instance(mod, {});
const result = instance.exports.run(Number(n)) >>> 0;
const t1 = process.hrtime.bigint();
console.log(result);
console.error(`bench-ms: ${Number(t1 - t0) / 1e6}`);
