// Bundles the widget (ESM, `export default { render }`) and its CSS into ../src/attnlens/static/.
// `node build.mjs --dev` also bundles the dev page into dev/dist/.
import * as esbuild from "esbuild";
import { cpSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dev = process.argv.includes("--dev");
const staticDir = join(here, "..", "src", "attnlens", "static");

// The wire contract (src/attnlens/contract.json) goes into the page without what only the kernel
// reads: each request kind's field checks and saving rule, trait keys the page does not use, and the
// methods' families other than "attention".
const contractForPage = {
  name: "contract-for-page",
  setup(build) {
    build.onLoad({ filter: /[\\/]contract\.json$/ }, (args) => {
      const c = JSON.parse(readFileSync(args.path, "utf8"));
      for (const r of Object.values(c.requests)) {
        delete r.fields;
        delete r.saved;
        delete r.derived;
      }
      for (const t of c.traits) {
        if (t.invalid === "default") delete t.invalid; // contract.ts reads a missing "invalid" as "default"
        delete t.nullable;
        delete t.out_of_range;
      }
      for (const m of c.methods) if (m.family !== "attention") delete m.family;
      return { contents: JSON.stringify(c), loader: "json" };
    });
  },
};

await esbuild.build({
  entryPoints: [join(here, "src", "index.ts")],
  outfile: join(staticDir, "widget.js"),
  bundle: true,
  format: "esm",
  target: ["es2020"],
  minify: !dev,
  sourcemap: false,
  legalComments: "none",
  logLevel: "info",
  plugins: [contractForPage],
});
// The offline page's script (Lens.save_html inlines it in a <script> element): an IIFE, always minified.
// It must hold no `</` at all (Python escapes it as `<\/`, which only strings and regexes survive) and no `<!--`.
const standaloneJs = join(staticDir, "standalone.js");
await esbuild.build({
  entryPoints: [join(here, "src", "standalone.ts")],
  outfile: standaloneJs,
  bundle: true,
  format: "iife",
  target: ["es2020"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "info",
  plugins: [contractForPage],
});
{
  const text = readFileSync(standaloneJs, "utf8");
  for (const bad of [/<\//, /<!--/, /^\s*(import|export)\b/m]) {
    if (bad.test(text)) throw new Error(`standalone.js contains ${bad}: it could not be inlined in a <script> element`);
  }
}
await esbuild.build({
  entryPoints: [join(here, "src", "widget.css")],
  outfile: join(staticDir, "widget.css"),
  bundle: true,
  minify: !dev,
  logLevel: "info",
});

if (dev) {
  const out = join(here, "dev", "dist");
  mkdirSync(out, { recursive: true });
  await esbuild.build({
    entryPoints: [join(here, "dev", "dev.ts")],
    outfile: join(out, "dev.js"),
    bundle: true,
    format: "esm",
    target: ["es2020"],
    sourcemap: "inline",
    logLevel: "info",
  });
  cpSync(join(staticDir, "widget.css"), join(out, "widget.css"));
  cpSync(join(here, "dev", "index.html"), join(out, "index.html"));
}
