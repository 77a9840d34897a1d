// Builds the VS Code harness page into dist/: our glue (harness.ts, bundled with @jupyterlab/services),
// VS Code's ipywidgets 8 bundle exactly as published on npm, and require.js (the AMD loader VS Code's
// webview uses for widget modules). The test copies dist/ beside the kernel's nbextensions.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const out = join(here, "dist");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, "harness.ts")],
  bundle: true,
  format: "esm",
  target: "es2020",
  outfile: join(out, "harness.js"),
  external: ["./ipywidgets.js"],
  logLevel: "warning",
});
copyFileSync(require.resolve("@vscode/jupyter-ipywidgets8"), join(out, "ipywidgets.js"));
copyFileSync(require.resolve("requirejs/require.js"), join(out, "require.js"));
copyFileSync(join(here, "index.html"), join(out, "index.html"));
