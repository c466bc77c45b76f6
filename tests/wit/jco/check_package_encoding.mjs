// Cross-checks kumi's package encoding (`kumi wit --wasm`) with jco: jco
// (wasm-tools inside) loads each encoded WASI package as its WIT source and
// embeds each of its worlds; the component-type section it writes must be
// the one it writes from the WIT text (worlds/, from generate.mjs).
//   cd /tmp/jco && npm install @bytecodealliance/jco@1.34.0
//   node tests/wit/jco/check_package_encoding.mjs /tmp/jco /work/shared path/to/kumi
// Not run by the test suite (it needs npm); prints "N/M worlds agree".
import { readFile, readdir } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [jcoDir, shared, kumi] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const wt = await import(pathToFileURL(join(jcoDir,
  "node_modules/@bytecodealliance/jco-transpile/dist/wasm-tools.js")));

function leb(b, i) {
  let r = 0, s = 0;
  for (;;) { const x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; if (x < 0x80) return [r, i]; }
}
function componentType(b) {
  for (let i = 8; i < b.length;) {
    const id = b[i++]; let n; [n, i] = leb(b, i); const end = i + n;
    if (id === 0) {
      let nl, j; [nl, j] = leb(b, i);
      if (Buffer.from(b.slice(j, j + nl)).toString().startsWith("component-type")) return Buffer.from(b.slice(j + nl, end));
    }
    i = end;
  }
  return null;
}

let ok = 0, total = 0;
for (const ver of ["0.2.12", "0.3.0"]) {
  const root = join(shared, "spec/wasi", ver);
  for (const pkg of (await readdir(root)).sort()) {
    const out = `/tmp/kumi-pkg-${ver}-${pkg}.wasm`;
    execFileSync(kumi, ["wit", "--deps", root, "--wasm", "-o", out, join(root, pkg)]);
    const worldsDir = join(here, "worlds", ver);
    for (const f of (await readdir(worldsDir)).sort()) {
      if (!f.startsWith(pkg + "-")) continue;
      const world = f.slice(pkg.length + 1, -5);
      let pkgName = null;
      for (const w of await readdir(join(root, pkg))) {
        if (!w.endsWith(".wit")) continue;
        const m = (await readFile(join(root, pkg, w), "utf8")).match(/^package\s+([^;]+);/m);
        if (m) pkgName = m[1].trim();
      }
      const [nsname, version] = pkgName.split("@");
      total++;
      try {
        const bytes = await wt.componentEmbed({ witPath: out, dummy: true, world: `${nsname}/${world}@${version}` });
        const want = componentType(await readFile(join(worldsDir, f)));
        const got = componentType(bytes);
        if (want && got && want.equals(got)) ok++;
        else console.log(`differs: ${ver} ${pkg} ${world}`);
      } catch (e) {
        console.log(`error: ${ver} ${pkg} ${world}: ${e}`);
      }
    }
  }
}
console.log(`${ok}/${total} worlds agree`);
