// Bundles the zoomable heatmap's dev page (dev/zoom.html) into dev/dist/. Run after `npm run build:dev`.
import * as esbuild from "esbuild";
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, "zoom-dev.ts")],
  outfile: join(out, "zoom.js"),
  bundle: true,
  format: "esm",
  target: ["es2020"],
  sourcemap: "inline",
  logLevel: "info",
});
cpSync(join(here, "zoom.html"), join(out, "zoom.html"));
