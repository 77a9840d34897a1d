/**
 * A page that hosts widgets the way VS Code's Jupyter extension does in its notebook webview, with
 * VS Code's own widget manager bundle (@vscode/jupyter-ipywidgets8, loaded unmodified from npm) and a
 * real kernel behind a Jupyter server on 127.0.0.1.
 *
 * What it mirrors from vscode-jupyter (src/webviews/webview-side/ipywidgets/kernel/):
 * - kernel.ts: the widget manager talks to a @jupyterlab/services KernelConnection whose WebSocket is a
 *   proxy; everything it sends goes through the "extension host", which owns the one real socket to the
 *   kernel and relays every kernel message back. Cells are executed by the host's own connection (same
 *   session), not by the widget manager.
 * - manager.ts: `new vscIPyWidgets.WidgetManager(kernel, el, scriptLoader, logger)`, models primed from
 *   display_data on iopub, `renderWidget` = get_model → create_view → display_view into
 *   `.cell-output-ipywidget-background`.
 * - scriptManager.ts / requirejsRegistry.ts: a third-party widget module (anywidget) is loaded by
 *   registering a require.js path to the `index.js` in the kernel environment's
 *   share/jupyter/nbextensions/<module>/ (VS Code's "local" widget source; no CDN).
 * - the webview theme: `--vscode-*` variables on <html> style, `vscode-light|dark` class and
 *   `data-vscode-theme-kind` on <body>.
 */
import { ServerConnection } from "@jupyterlab/services";
import { KernelConnection } from "@jupyterlab/services/lib/kernel/default";

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const WIDGET_MIME = "application/vnd.jupyter.widget-view+json";
const params = new URLSearchParams(location.search);
const kernelId = params.get("kernel") ?? "";
const clientId = `vscode-harness-${Date.now()}`;

// ---- the extension host's one real socket, fanned out to proxy sockets -----------------------------------
class HostSocket {
  readonly ws: WebSocket;
  readonly clients = new Set<ProxyWebSocket>();
  readonly opened: Promise<void>;
  constructor(url: string) {
    this.ws = new WebSocket(url); // no subprotocol: the legacy JSON/binary framing, as the proxies declare
    this.ws.binaryType = "arraybuffer";
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = () => reject(new Error(`kernel websocket ${url} failed`));
    });
    this.ws.onmessage = (ev) => {
      for (const c of this.clients) c.onmessage?.({ target: c, data: ev.data, type: "message" });
    };
  }
}

let host: HostSocket;

class ProxyWebSocket {
  onopen: ((ev: Any) => void) | null = null;
  onmessage: ((ev: Any) => void) | null = null;
  onclose: ((ev: Any) => void) | null = null;
  onerror: ((ev: Any) => void) | null = null;
  binaryType = "arraybuffer";
  protocol = "";
  readyState = 1;
  constructor(_url: string, _protocols?: string[]) {
    host.clients.add(this);
    void host.opened.then(() => setTimeout(() => this.onopen?.({ target: this }), 0));
  }
  send(data: string | ArrayBuffer): void {
    host.ws.send(data);
  }
  close(): void {
    host.clients.delete(this);
  }
}

/** A kernel connection over a proxy socket. Only the widget manager's handles comms: a second handler
 * without the comm target would answer every comm_open with comm_close and kill the widget in Python. */
function connection(handleComms: boolean): Any {
  const settings = ServerConnection.makeSettings({
    baseUrl: `${location.origin}/`,
    wsUrl: "ws://proxied-by-the-extension-host/",
    WebSocket: ProxyWebSocket as Any,
  });
  return new KernelConnection({
    serverSettings: settings,
    clientId,
    username: "vscode",
    handleComms,
    model: { id: kernelId, name: "python3" },
  });
}

// ---- widget scripts: VS Code's "local" source -----------------------------------------------------------
const registered = new Set<string>();
const scriptLoader = {
  widgetsRegisteredInRequireJs: registered,
  successHandler: () => undefined,
  errorHandler: (className: string, moduleName: string, version: string, error: unknown) => {
    console.error(`harness: could not load widget class ${moduleName}:${className}@${version}`, error);
  },
  loadWidgetScript: async (moduleName: string, _version: string) => {
    const base = new URL(`nbextensions/${moduleName}/index`, location.href).pathname;
    (window as Any).requirejs.config({ paths: { [moduleName]: base } });
    registered.add(moduleName);
  },
};

// ---- the webview theme -----------------------------------------------------------------------------------
const THEMES: Record<string, Record<string, string>> = {
  // Colours of VS Code's "Light Modern" and "Dark Modern" themes for the variables attnlens reads.
  light: {
    "--vscode-editor-background": "#ffffff",
    "--vscode-editor-foreground": "#3b3b3b",
    "--vscode-descriptionForeground": "#3b3b3b",
    "--vscode-panel-border": "#e5e5e5",
    "--vscode-focusBorder": "#005fb8",
    "--vscode-list-hoverBackground": "#f2f2f2",
    "--vscode-errorForeground": "#f85149",
  },
  dark: {
    "--vscode-editor-background": "#1f1f1f",
    "--vscode-editor-foreground": "#cccccc",
    "--vscode-descriptionForeground": "#9d9d9d",
    "--vscode-panel-border": "#2b2b2b",
    "--vscode-focusBorder": "#0078d4",
    "--vscode-list-hoverBackground": "#2a2d2e",
    "--vscode-errorForeground": "#f85149",
  },
};
const COMMON: Record<string, string> = {
  "--vscode-font-family": "system-ui, 'Ubuntu', 'Droid Sans', sans-serif",
  "--vscode-font-size": "13px",
  "--vscode-editor-font-family": "'Droid Sans Mono', 'monospace', monospace",
};

function setTheme(kind: "light" | "dark"): void {
  const style = document.documentElement.style;
  for (const [k, v] of Object.entries({ ...COMMON, ...THEMES[kind] })) style.setProperty(k, v);
  document.body.classList.remove("vscode-light", "vscode-dark");
  document.body.classList.add(`vscode-${kind}`);
  document.body.dataset.vscodeThemeKind = `vscode-${kind}`;
  document.body.dataset.vscodeThemeName = kind === "light" ? "Light Modern" : "Dark Modern";
}

// ---- manager and cells -----------------------------------------------------------------------------------
let manager: Any;
let hostKernel: Any;
const modelsToDisplay = new Map<string, Promise<void>>();
const primed = new Map<string, () => void>();

function waitModel(id: string): Promise<void> {
  let p = modelsToDisplay.get(id);
  if (!p) {
    p = new Promise((resolve) => primed.set(id, resolve));
    modelsToDisplay.set(id, p);
  }
  return p;
}

function primeFromIOPub(_sender: unknown, msg: Any): void {
  const type = msg.header.msg_type;
  if (type !== "display_data" && type !== "execute_result") return;
  const data = msg.content?.data?.[WIDGET_MIME];
  if (!data) return;
  void waitModel(data.model_id);
  const model = manager.get_model(data.model_id);
  void Promise.resolve(model).then(() => primed.get(data.model_id)?.());
}

async function renderWidget(data: Any, container: HTMLElement): Promise<void> {
  const ele = document.createElement("div");
  ele.className = "cell-output-ipywidget-background";
  const output = document.createElement("div");
  output.className = "cell-output cell-output";
  ele.appendChild(output);
  container.appendChild(ele);
  await waitModel(data.model_id);
  const model = await manager.get_model(data.model_id);
  const view = await manager.create_view(model, { el: ele });
  await manager.display_view(data, view, { node: ele });
}

interface CellResult {
  text: string;
  errors: string[];
  widgets: number;
}

async function run(code: string): Promise<CellResult> {
  const cell = document.createElement("div");
  cell.className = "cell-output-container";
  document.body.appendChild(cell);
  const result: CellResult = { text: "", errors: [], widgets: 0 };
  const renders: Promise<void>[] = [];
  const future = hostKernel.requestExecute({ code, stop_on_error: true });
  future.onIOPub = (msg: Any) => {
    const t = msg.header.msg_type;
    if (t === "stream") result.text += msg.content.text;
    else if (t === "error") result.errors.push(`${msg.content.ename}: ${msg.content.evalue}\n${msg.content.traceback.join("\n")}`);
    else if ((t === "display_data" || t === "execute_result") && msg.content.data[WIDGET_MIME]) {
      result.widgets += 1;
      renders.push(renderWidget(msg.content.data[WIDGET_MIME], cell));
    } else if (t === "display_data" || t === "execute_result") result.text += msg.content.data["text/plain"] ?? "";
  };
  await future.done;
  await Promise.all(renders);
  return result;
}

async function start(): Promise<void> {
  setTheme((params.get("theme") as "light" | "dark") ?? "light");
  const wsBase = location.origin.replace(/^http/, "ws");
  host = new HostSocket(`${wsBase}/api/kernels/${encodeURIComponent(kernelId)}/channels?session_id=${clientId}`);
  await host.opened;
  // VS Code's renderer imports the ESM bundle, activates it and loads ipywidgets 8 into require.js.
  const mod: Any = await import("./ipywidgets.js" as string);
  mod.activate();
  (window as Any).vscIPyWidgets8.load();
  hostKernel = connection(false);
  const webviewKernel = connection(true);
  const Manager = (window as Any).vscIPyWidgets.WidgetManager;
  manager = new Manager(webviewKernel, document.body, scriptLoader, (m: string) => console.debug(m));
  webviewKernel.iopubMessage.connect(primeFromIOPub);
  await hostKernel.info;
  await webviewKernel.info;
}

const ready = start();
(window as Any).harness = { ready, run, setTheme };
