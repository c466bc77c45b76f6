// Regenerates the jco reference outputs used by tests/wit/test_wit_bin.c.
//   cd /tmp/jco && npm install @bytecodealliance/jco@1.34.0
//   node /work/main/tests/wit/jco/generate.mjs /tmp/jco /work/shared
// Writes, next to this script:
//   worlds/<ver>/<pkg>-<world>.wasm  `jco embed --dummy` of each world of each
//       WASI package (a core module whose component-type custom section holds
//       the world encoding; the test compares that section byte for byte)
//   components/<suite>/<name>.wit    `jco wit` of each wasi-testsuite component
//   extra/kitchen-combined.wasm      `jco embed --dummy` of world `combined` of
//       extra/kitchen.wit (world-level types, resources, functions, inline
//       and exported interfaces)
//   extra/kitchen-component.wasm/.wit  `jco new` of that dummy module (a real
//       component with those exports) and `jco wit` of it
import { readFile, writeFile, mkdir, readdir, cp, rm } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [jcoDir, shared] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const wt = await import(pathToFileURL(join(jcoDir,
  "node_modules/@bytecodealliance/jco-transpile/dist/wasm-tools.js")));

for (const ver of ["0.2.12", "0.3.0"]) {
  const root = join(shared, "spec/wasi", ver);
  const pkgs = (await readdir(root)).sort();
  for (const pkg of pkgs) {
    const tmp = join("/tmp", `wit-bin-jco-${ver}-${pkg}`);
    await rm(tmp, { recursive: true, force: true });
    await cp(join(root, pkg), tmp, { recursive: true });
    for (const dep of pkgs) if (dep !== pkg) await cp(join(root, dep), join(tmp, "deps", dep), { recursive: true });
    const worlds = [];
    let pkgName = null;
    for (const f of (await readdir(join(root, pkg))).sort()) {
      if (!f.endsWith(".wit")) continue;
      const text = await readFile(join(root, pkg, f), "utf8");
      for (const m of text.matchAll(/^package\s+([^;]+);/gm)) pkgName = m[1].trim();
      for (const m of text.matchAll(/^world\s+([a-z0-9-]+)/gm)) worlds.push(m[1]);
    }
    const [nsname, version] = pkgName.split("@");
    for (const w of worlds) {
      const out = join(here, "worlds", ver, `${pkg}-${w}.wasm`);
      await mkdir(dirname(out), { recursive: true });
      const bytes = await wt.componentEmbed({ witPath: tmp, dummy: true, world: `${nsname}/${w}@${version}` });
      await writeFile(out, bytes);
      console.log(out, bytes.length);
    }
    await rm(tmp, { recursive: true, force: true });
  }
}

const suites = join(shared, "conformance/wasi-testsuite");
for (const suite of (await readdir(suites)).sort()) {
  if (!suite.endsWith("-wasip2-adapted") && suite !== "rust-wasip3") continue;
  for (const f of (await readdir(join(suites, suite))).sort()) {
    if (!f.endsWith(".wasm")) continue;
    const out = join(here, "components", suite, f.replace(/\.wasm$/, ".wit"));
    await mkdir(dirname(out), { recursive: true });
    try {
      const text = await wt.componentWit(await readFile(join(suites, suite, f)));
      await writeFile(out, text);
    } catch (e) {
      await writeFile(out + ".error", String(e) + "\n");
    }
  }
  console.log(suite);
}

{
  const wit = join(here, "extra", "kitchen.wit");
  const mod = await wt.componentEmbed({ witPath: wit, dummy: true, world: "my:kt/combined@1.0.0" });
  await writeFile(join(here, "extra", "kitchen-combined.wasm"), mod);
  const comp = await wt.componentNew(mod, []);
  await writeFile(join(here, "extra", "kitchen-component.wasm"), comp);
  await writeFile(join(here, "extra", "kitchen-component.wit"), await wt.componentWit(comp));
  console.log("extra");
}
